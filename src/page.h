/* netbench: the browser's test page.
 *
 * `netbench serve` answers GET /netbench/download-N.html and
 * /netbench/upload-N.html with a self-contained page (inline script, no
 * external resource) that a browser (headless Chromium, `--client
 * chromium`) loads; on load, with no user action, the page:
 *
 *   1. upload only: fills a Uint8Array of N bytes with the payload (before
 *      any timing);
 *   2. POST /result {"event":"start"};
 *   3. t0 = performance.now(); download: fetch('/bytes/N') and its
 *      arrayBuffer(); upload: fetch('/upload', PUT the body) and its text();
 *      t1 = performance.now() (as the seed, network_bench.py, times
 *      fetch() and the body);
 *   4. download: verifies the bytes against the payload (after t1);
 *   5. reads the protocol used from the transfer's resource timing entry
 *      (nextHopProtocol: "http/1.1", "h2", "h3");
 *   6. POST /result with one line of JSON (below);
 *   7. shows the outcome in document.title and <pre id="result">.
 *
 * Any exception on the way posts {"event":"error","error":"<String(e)>"}.
 *
 * The result posted, keys in this order (JSON.stringify of the page):
 *   {"event":"done","dir":"download"|"upload","size":N,"bytes":B,
 *    "ms":T,"status":S,"ok":true|false,"bad":K,"answer":"...",
 *    "protocol":"h2"}
 * bytes: body bytes received (download) or sent (upload); ms: t1 - t0 in
 * milliseconds (fractional); status: the transfer's HTTP status; ok:
 * download: no mismatch and bytes == size, upload: status 200; bad: the
 * first mismatching offset of a download, else -1; answer: the server's
 * upload answer text ("" for a download); protocol: nextHopProtocol ("" if
 * the browser did not say).
 */
#ifndef NB_PAGE_H
#define NB_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* The page for a transfer of `size` payload bytes in direction dir, a
 * malloc'd NUL-terminated string into *out (the caller frees it), its
 * length (without the NUL) into *len. Errors: -EINVAL (size above 2^53,
 * beyond a JavaScript number's integers), -ENOMEM. */
int nb_page_html(enum nb_dir dir, uint64_t size, char **out, size_t *len);

/* The JavaScript source that the page inlines (static storage):
 *   nbPayloadFill(u8, offset)   fills the Uint8Array u8 with the payload
 *                               bytes [offset, offset + u8.length)
 *   nbPayloadCheck(u8, offset)  the absolute offset of the first byte of
 *                               u8 that differs from the payload, or -1
 * the same bytes as nb_payload_fill (payload.h), for offsets up to 2^53
 * (any alignment; a multiple of 8 is fastest). */
const char *nb_page_payload_js(void);

#endif
