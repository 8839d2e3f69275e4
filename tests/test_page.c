/* Unit tests of src/page.c: the browser's test page.
 *
 * Its text: the paths and size it names, one inline script, nothing from
 * the network. Then headless Chromium runs the page's payload generator
 * (nb_page_payload_js) in a page of the test's own: the bytes it makes at
 * offsets 0, 8 x (2^32 - 3) (where the word index carries into the high
 * half), near 2^40, at odd offsets and into a buffer that is not 4-byte
 * aligned (the DataView path) must be nb_payload_fill's, and
 * nbPayloadCheck must find a flipped byte where it is; the time it takes
 * for 16 MiB is printed (not asserted). Finally the real page, loaded from
 * a file, must run its script to the end: it cannot reach /result there,
 * and says so in its title and <pre id="result">. Without /usr/bin/chromium
 * the text is still checked, then the test exits 77 (skipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "chromium_testutil.h"
#include "page.h"
#include "payload.h"
#include "results_testutil.h"
#include "testutil.h"

#define TIMEOUT_S 60

static char tmpdir[64];

/* The ranges the JavaScript generator is compared on: offset, length,
 * and whether its buffer starts 1 byte into an ArrayBuffer. */
static const struct {
	uint64_t off;
	size_t len;
	int shift;
} ranges[] = {
	{0, 4096, 0},
	{8 * ((1ULL << 32) - 3), 64, 0},
	{(1ULL << 40) - 64, 64, 0},
	{3, 29, 0},
	{(1ULL << 40) - 61, 61, 1},
	{8 * ((1ULL << 32) - 1) - 5, 40, 1},
	{1000, 1000, 1},
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void t_text(void **state)
{
	static const uint64_t sizes[] = {0, 1000000, 1ULL << 40};
	char want[128], *page;
	size_t len;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++) {
			assert_int_equal(nb_page_html((enum nb_dir)d, sizes[i],
						      &page, &len), 0);
			assert_int_equal(strlen(page), len);
			assert_int_equal(strncmp(page, "<!DOCTYPE html>", 15),
					 0);
			snprintf(want, sizeof(want), "nbSize = %" PRIu64 ",",
				 sizes[i]);
			assert_non_null(strstr(page, want));
			if (d == NB_DOWNLOAD)
				snprintf(want, sizeof(want),
					 "nbPath = \"/bytes/%" PRIu64 "\"",
					 sizes[i]);
			else
				snprintf(want, sizeof(want),
					 "nbPath = \"/upload\"");
			assert_non_null(strstr(page, want));
			assert_non_null(strstr(page, d == NB_DOWNLOAD ?
					       "nbDir = \"download\"" :
					       "nbDir = \"upload\""));
			assert_non_null(strstr(page, "fetch(\"/result\""));
			assert_non_null(strstr(page,
					       nb_page_payload_js()));
			/* One inline script; nothing from elsewhere. */
			assert_int_equal(count(page, "<script"), 1);
			assert_int_equal(count(page, "</script>"), 1);
			assert_null(strstr(page, "src="));
			assert_null(strstr(page, "href"));
			assert_null(strstr(page, "://"));
			assert_null(strstr(page, "<link"));
			assert_null(strstr(page, "@import"));
			assert_null(strstr(page, "url("));
			assert_null(strstr(page, "import("));
			free(page);
		}
	}
	assert_int_equal(nb_page_html(NB_DOWNLOAD, (1ULL << 53) + 1, &page,
				      &len), -EINVAL);
	assert_int_equal(nb_page_html(NB_UPLOAD, 1ULL << 53, &page, &len), 0);
	free(page);
}

/* ---- Chromium ---------------------------------------------------------- */

static char *slurp(const char *path)
{
	char *buf = nb_test_slurp(path, NULL);

	assert_non_null(buf);
	return buf;
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Runs Chromium on file://<tmpdir>/<page> with `extra` flags, its DOM
 * (--dump-dom) into a malloc'd string; fails unless it exits 0 within
 * TIMEOUT_S, leaving nothing behind. */
static char *dump_dom(const char *page, const char *extra)
{
	char url[160], out[128];
	const char *args[] = {"--dump-dom", url, NULL, NULL};
	struct chromium c;
	int status;

	if (extra) {
		args[1] = extra;
		args[2] = url;
	}
	snprintf(url, sizeof(url), "file://%s/%s", tmpdir, page);
	snprintf(out, sizeof(out), "%s/%s.dom", tmpdir, page);
	chromium_start(&c, tmpdir, args, out);
	chromium_wait(&c, TIMEOUT_S);
	status = chromium_stop(&c, NULL);
	if (!c.exited || !WIFEXITED(status) || WEXITSTATUS(status)) {
		char *err = chromium_err_tail(tmpdir);

		print_error("chromium %s: %s (wait status 0x%x); its stderr "
			    "ends:\n%s\n", page, c.exited ? "failed" :
			    "did not exit in time", status, err);
		free(err);
		fail();
	}
	assert_int_equal(chromium_procs(tmpdir, false), 0);
	return slurp(out);
}

/* The text of <pre id="id"> in dom, into buf. */
static void pre_text(const char *dom, const char *id, char *buf, size_t len)
{
	char open[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<pre id=\"%s\">", id);
	p = strstr(dom, open);
	if (!p)
		fail_msg("no <pre id=\"%s\"> in the DOM", id);
	p += strlen(open);
	e = strstr(p, "</pre>");
	assert_non_null(e);
	assert_true((size_t)(e - p) < len);
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
}

static void t_js_payload(void **state)
{
	static char hex[2 * 4096 + 1], got[2 * 4096 + 16];
	static uint8_t buf[4096];
	char html[16384], id[16], num[64], *dom;
	size_t n;

	(void)state;
	n = (size_t)snprintf(html, sizeof(html),
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<title>payload</title></head><body>\n<script>\n"
		"\"use strict\";\n%s"
		"function show(id, text) {\n"
		"  var p = document.createElement(\"pre\");\n"
		"  p.id = id; p.textContent = String(text);\n"
		"  document.body.appendChild(p);\n}\n"
		"function hex(u8) {\n"
		"  var s = \"\", i;\n"
		"  for (i = 0; i < u8.length; i++)\n"
		"    s += (u8[i] < 16 ? \"0\" : \"\") + u8[i].toString(16);\n"
		"  return s;\n}\n"
		"var ranges = [", nb_page_payload_js());
	for (size_t i = 0; i < NRANGES; i++)
		n += (size_t)snprintf(html + n, sizeof(html) - n,
				      "[%" PRIu64 ", %zu, %d]%s", ranges[i].off,
				      ranges[i].len, ranges[i].shift,
				      i + 1 < NRANGES ? ", " : "];\n");
	snprintf(html + n, sizeof(html) - n,
		"ranges.forEach(function (r, i) {\n"
		"  var u8 = new Uint8Array(new ArrayBuffer(r[1] + r[2]), r[2]);\n"
		"  nbPayloadFill(u8, r[0]);\n"
		"  show(\"r\" + i, hex(u8));\n"
		"  show(\"c\" + i, nbPayloadCheck(u8, r[0]));\n"
		"  var k = Math.floor(r[1] / 2) + 1;\n"
		"  u8[k] ^= 0x40;\n"
		"  show(\"m\" + i, nbPayloadCheck(u8, r[0]));\n"
		"  u8[k] ^= 0x40; u8[r[1] - 1] ^= 1;\n"
		"  show(\"l\" + i, nbPayloadCheck(u8, r[0]));\n"
		"  u8[r[1] - 1] ^= 1; u8[0] ^= 0x80;\n"
		"  show(\"f\" + i, nbPayloadCheck(u8, r[0]));\n"
		"});\n"
		"var big = new Uint8Array(16 << 20), t0 = performance.now();\n"
		"nbPayloadFill(big, 0);\n"
		"var t1 = performance.now(), bad = nbPayloadCheck(big, 0);\n"
		"var t2 = performance.now();\n"
		"show(\"time\", (t1 - t0).toFixed(1) + \" \" +\n"
		"     (t2 - t1).toFixed(1) + \" \" + bad);\n"
		"</script>\n</body></html>\n");
	write_file("payload.html", html);
	dom = dump_dom("payload.html", NULL);
	for (size_t i = 0; i < NRANGES; i++) {
		uint64_t off = ranges[i].off;
		size_t len = ranges[i].len, k = len / 2 + 1;
		struct {
			char tag;
			uint64_t want;
		} checks[] = {{'c', UINT64_MAX}, {'m', off + k},
			      {'l', off + len - 1}, {'f', off}};

		nb_payload_fill(buf, off, len);
		for (size_t j = 0; j < len; j++)
			snprintf(hex + 2 * j, 3, "%02x", buf[j]);
		snprintf(id, sizeof(id), "r%zu", i);
		pre_text(dom, id, got, sizeof(got));
		if (strcmp(got, hex))
			fail_msg("range %zu (offset %" PRIu64 ", %zu bytes): "
				 "JavaScript %.64s..., C %.64s...", i, off, len,
				 got, hex);
		for (size_t j = 0; j < 4; j++) {
			char want[32];

			snprintf(id, sizeof(id), "%c%zu", checks[j].tag, i);
			pre_text(dom, id, num, sizeof(num));
			if (checks[j].want == UINT64_MAX)
				snprintf(want, sizeof(want), "-1");
			else
				snprintf(want, sizeof(want), "%" PRIu64,
					 checks[j].want);
			if (strcmp(num, want))
				fail_msg("nbPayloadCheck %s: %s, expected %s",
					 id, num, want);
		}
	}
	pre_text(dom, "time", num, sizeof(num));
	{
		double fill_ms = 0, check_ms = 0;
		long long bad = 0;

		assert_int_equal(sscanf(num, "%lf %lf %lld", &fill_ms,
					&check_ms, &bad), 3);
		assert_int_equal(bad, -1);
		printf("page: in Chromium, nbPayloadFill of 16 MiB took %.1f ms "
		       "(%.0f MB/s), nbPayloadCheck %.1f ms (%.0f MB/s)\n",
		       fill_ms, fill_ms > 0 ? 16.777216e3 / fill_ms : 0,
		       check_ms, check_ms > 0 ? 16.777216e3 / check_ms : 0);
	}
	free(dom);
}

/* The real page, from a file: its script runs to the end; /result cannot
 * be reached from file://, which it reports as an error. */
static void t_page_runs(void **state)
{
	char *page, *dom;
	size_t len;

	(void)state;
	assert_int_equal(nb_page_html(NB_UPLOAD, 1000, &page, &len), 0);
	write_file("upload-1000.html", page);
	free(page);
	/* Virtual time waits for the fetches before the DOM is dumped. */
	dom = dump_dom("upload-1000.html", "--virtual-time-budget=10000");
	if (!strstr(dom, "<title>netbench error</title>") ||
	    !strstr(dom, "{\"event\":\"error\",\"error\":\"TypeError"))
		fail_msg("the page did not report its error; its DOM:\n%s",
			 dom);
	free(dom);
}

static int setup(void **state)
{
	(void)state;
	results_tmpdir(tmpdir, sizeof(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (tmpdir[0])
		results_rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_text),
		cmocka_unit_test(t_js_payload),
		cmocka_unit_test(t_page_runs),
	};
	const struct CMUnitTest text_only[] = {
		cmocka_unit_test(t_text),
	};
	int rv;

	/* Without a browser the text is still checked, then: skipped. */
	if (!chromium_present()) {
		rv = cmocka_run_group_tests_name("page", text_only, setup,
						 teardown);
		if (rv)
			return rv;
		fprintf(stderr, "page: skipped: no %s to run the page's "
			"script (its text was checked)\n", CHROMIUM);
		return 77;
	}
	return cmocka_run_group_tests_name("page", tests, setup, teardown);
}
