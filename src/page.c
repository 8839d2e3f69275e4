/* netbench: the browser's test page (see page.h).
 *
 * The payload generator in JavaScript works on 32-bit halves, never on
 * BigInt: the first word's x = (k + 1) * C mod 2^64 is one multiplication
 * of 16-bit limbs (exact in doubles) plus two Math.imul for the cross
 * terms; every next word adds C with a carry (x(k + 1) = x(k) + C), and
 * w = x ^ (x >> 29) is three shifts. Whole words go through a Uint32Array
 * (little-endian hosts, 4-byte aligned) or else a little-endian DataView.
 */
#include "page.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define JS_MAX_INT (1ULL << 53)

static const char payload_js[] =
"/* netbench payload (src/payload.h): byte i is byte i % 8 of the\n"
" * little-endian 64-bit word w(i / 8), w(k) = x ^ (x >> 29) where\n"
" * x = (k + 1) * 0x9E3779B97F4A7C15 mod 2^64; computed in 32-bit halves. */\n"
"var nbLittle = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;\n"
"/* x(k) as [low, high] 32-bit halves, k an integer below 2^53. */\n"
"function nbPayloadX(k) {\n"
"  var K = k + 1, khi = Math.floor(K / 4294967296), klo = K >>> 0;\n"
"  var a0 = klo & 0xffff, a1 = klo >>> 16;\n"
"  var p00 = a0 * 0x7c15, p01 = a0 * 0x7f4a, p10 = a1 * 0x7c15;\n"
"  var mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);\n"
"  var lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;\n"
"  var hi = a1 * 0x7f4a + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) +\n"
"    Math.imul(klo, 0x9e3779b9) + Math.imul(khi, 0x7f4a7c15);\n"
"  return [lo, hi >>> 0];\n"
"}\n"
"/* The payload byte at absolute offset o. */\n"
"function nbPayloadByte(o) {\n"
"  var x = nbPayloadX(Math.floor(o / 8)), b = o % 8, w;\n"
"  if (b < 4)\n"
"    w = x[0] ^ ((x[0] >>> 29) | (x[1] << 3));\n"
"  else\n"
"    w = x[1] ^ (x[1] >>> 29);\n"
"  return (w >>> (8 * (b & 3))) & 255;\n"
"}\n"
"/* n whole words at u8[i], the first being word k: written (check\n"
" * false), or compared (check true: the index of the first word that\n"
" * differs, else -1). */\n"
"function nbPayloadWords(u8, i, n, k, check) {\n"
"  var x = nbPayloadX(k), lo = x[0], hi = x[1], wl, wh, nlo, j;\n"
"  var at = u8.byteOffset + i, u32 = null, dv = null;\n"
"  if (nbLittle && at % 4 === 0)\n"
"    u32 = new Uint32Array(u8.buffer, at, 2 * n);\n"
"  else\n"
"    dv = new DataView(u8.buffer, at, 8 * n);\n"
"  for (j = 0; j < n; j++) {\n"
"    wl = (lo ^ ((lo >>> 29) | (hi << 3))) >>> 0;\n"
"    wh = (hi ^ (hi >>> 29)) >>> 0;\n"
"    if (check) {\n"
"      if (u32 ? u32[2 * j] !== wl || u32[2 * j + 1] !== wh :\n"
"          dv.getUint32(8 * j, true) !== wl ||\n"
"          dv.getUint32(8 * j + 4, true) !== wh)\n"
"        return j;\n"
"    } else if (u32) {\n"
"      u32[2 * j] = wl;\n"
"      u32[2 * j + 1] = wh;\n"
"    } else {\n"
"      dv.setUint32(8 * j, wl, true);\n"
"      dv.setUint32(8 * j + 4, wh, true);\n"
"    }\n"
"    nlo = (lo + 0x7f4a7c15) >>> 0;\n"
"    hi = (hi + 0x9e3779b9 + (nlo < lo ? 1 : 0)) >>> 0;\n"
"    lo = nlo;\n"
"  }\n"
"  return -1;\n"
"}\n"
"/* Fills the Uint8Array u8 with the payload bytes from offset on. */\n"
"function nbPayloadFill(u8, offset) {\n"
"  var n = u8.length, i = 0, w;\n"
"  for (; i < n && (offset + i) % 8 !== 0; i++)\n"
"    u8[i] = nbPayloadByte(offset + i);\n"
"  w = Math.floor((n - i) / 8);\n"
"  if (w > 0)\n"
"    nbPayloadWords(u8, i, w, (offset + i) / 8, false);\n"
"  for (i += 8 * w; i < n; i++)\n"
"    u8[i] = nbPayloadByte(offset + i);\n"
"}\n"
"/* The absolute offset of the first byte of u8 (holding the payload from\n"
" * offset on) that is not the payload's, or -1. */\n"
"function nbPayloadCheck(u8, offset) {\n"
"  var n = u8.length, i = 0, w, j, b;\n"
"  for (; i < n && (offset + i) % 8 !== 0; i++)\n"
"    if (u8[i] !== nbPayloadByte(offset + i))\n"
"      return offset + i;\n"
"  w = Math.floor((n - i) / 8);\n"
"  j = w > 0 ? nbPayloadWords(u8, i, w, (offset + i) / 8, true) : -1;\n"
"  if (j >= 0) {\n"
"    for (b = i + 8 * j; b < i + 8 * j + 8; b++)\n"
"      if (u8[b] !== nbPayloadByte(offset + b))\n"
"        return offset + b;\n"
"  }\n"
"  for (i += 8 * w; i < n; i++)\n"
"    if (u8[i] !== nbPayloadByte(offset + i))\n"
"      return offset + i;\n"
"  return -1;\n"
"}\n";

/* printf format: dir, size, dir, size, payload_js, dir, size, path. No
 * '%' in the script but the conversions. */
#define PAGE_FMT \
"<!DOCTYPE html>\n" \
"<html lang=\"en\"><head><meta charset=\"utf-8\">\n" \
"<title>netbench %s %" PRIu64 "</title>\n" \
"</head><body>\n" \
"<pre id=\"result\">netbench: %s of %" PRIu64 " bytes: running</pre>\n" \
"<script>\n" \
"\"use strict\";\n" \
"%s" \
"var nbDir = \"%s\", nbSize = %" PRIu64 ", nbPath = \"%s\";\n" \
"function nbShow(title, text) {\n" \
"  document.title = title;\n" \
"  document.getElementById(\"result\").textContent = text;\n" \
"}\n" \
"function nbPost(o) {\n" \
"  return fetch(\"/result\", {method: \"POST\", body: JSON.stringify(o),\n" \
"                           cache: \"no-store\"});\n" \
"}\n" \
"/* The protocol of path's last transfer: \"http/1.1\", \"h2\", \"h3\". */\n" \
"function nbProtocol(path) {\n" \
"  var e = performance.getEntriesByType(\"resource\"), i;\n" \
"  for (i = e.length - 1; i >= 0; i--)\n" \
"    if (new URL(e[i].name).pathname === path)\n" \
"      return e[i].nextHopProtocol || \"\";\n" \
"  return \"\";\n" \
"}\n" \
"async function nbRun() {\n" \
"  var body = null, r, buf, bytes, answer = \"\", bad = -1, ok, t0, t1;\n" \
"  if (nbDir === \"upload\") {\n" \
"    body = new Uint8Array(nbSize);\n" \
"    nbPayloadFill(body, 0);\n" \
"  }\n" \
"  await nbPost({event: \"start\"});\n" \
"  if (nbDir === \"download\") {\n" \
"    t0 = performance.now();\n" \
"    r = await fetch(nbPath, {cache: \"no-store\"});\n" \
"    buf = await r.arrayBuffer();\n" \
"    t1 = performance.now();\n" \
"    buf = new Uint8Array(buf);\n" \
"    bytes = buf.length;\n" \
"    bad = nbPayloadCheck(buf, 0);\n" \
"    ok = r.status === 200 && bad < 0 && bytes === nbSize;\n" \
"  } else {\n" \
"    t0 = performance.now();\n" \
"    r = await fetch(nbPath, {method: \"PUT\", body: body,\n" \
"                             cache: \"no-store\"});\n" \
"    answer = await r.text();\n" \
"    t1 = performance.now();\n" \
"    bytes = body.length;\n" \
"    ok = r.status === 200;\n" \
"  }\n" \
"  var res = {event: \"done\", dir: nbDir, size: nbSize, bytes: bytes,\n" \
"             ms: t1 - t0, status: r.status, ok: ok, bad: bad,\n" \
"             answer: answer, protocol: nbProtocol(nbPath)};\n" \
"  nbShow(\"netbench \" + (ok ? \"ok\" : \"FAILED\"), JSON.stringify(res));\n" \
"  await nbPost(res);\n" \
"}\n" \
"window.addEventListener(\"load\", function () {\n" \
"  nbRun().catch(function (e) {\n" \
"    var err = {event: \"error\", error: String(e)};\n" \
"    nbShow(\"netbench error\", JSON.stringify(err));\n" \
"    return nbPost(err);\n" \
"  }).catch(function () {});\n" \
"});\n" \
"</script>\n" \
"</body></html>\n"

const char *nb_page_payload_js(void)
{
	return payload_js;
}

int nb_page_html(enum nb_dir dir, uint64_t size, char **out, size_t *len)
{
	const char *d = dir == NB_UPLOAD ? "upload" : "download";
	char path[32];
	char *page;
	int n, rv;

	if (size > JS_MAX_INT)
		return -EINVAL;
	if (dir == NB_UPLOAD)
		snprintf(path, sizeof(path), "/upload");
	else
		snprintf(path, sizeof(path), "/bytes/%" PRIu64, size);
	n = snprintf(NULL, 0, PAGE_FMT, d, size, d, size, payload_js, d, size,
		     path);
	page = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!page)
		return -ENOMEM;
	rv = snprintf(page, (size_t)n + 1, PAGE_FMT, d, size, d, size,
		      payload_js, d, size, path);
	if (rv != n) {
		free(page);
		return -ENOMEM;
	}
	*out = page;
	*len = (size_t)n;
	return 0;
}
