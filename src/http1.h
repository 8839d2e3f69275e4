/* netbench: a pure HTTP/1.1 request-head parser over a byte buffer.
 *
 * No I/O, no allocation, no state between calls: the caller keeps the bytes
 * of a connection in a buffer and calls nb_http1_parse() on them whenever
 * more arrive; the parser looks at the request line and the header fields
 * up to the empty line and says whether the head is complete, needs more
 * bytes, or is wrong (with the status to answer). It must stay safe for any
 * bytes (it is fuzzed): every read is bounded by `len`.
 *
 * What it accepts (RFC 9112, strictly, so that nothing is smuggled):
 *   request-line = method SP request-target SP "HTTP/1." DIGIT CRLF
 *   field-line   = token ":" OWS value OWS CRLF   (value: VCHAR, obs-text,
 *                                                  SP, HTAB)
 * Lines end with CRLF only: a bare LF or CR is an error, as are obs-fold,
 * NUL and control bytes. Empty lines before the request line are skipped.
 * HTTP/1.1 needs exactly one Host.
 *
 * Fields it interprets: Content-Length (digits; duplicates must agree),
 * Transfer-Encoding (must end in "chunked"; never with Content-Length),
 * Expect ("100-continue", else 417), Connection ("close", "keep-alive").
 */
#ifndef NB_HTTP1_H
#define NB_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nb_http1_result {
	NB_HTTP1_COMPLETE,   /* the head is complete: req is filled */
	NB_HTTP1_MORE,       /* a valid prefix: more bytes needed */
	NB_HTTP1_ERROR,      /* req->status says what to answer */
};

struct nb_http1_req {
	const char *method;        /* into the buffer, not NUL-terminated */
	size_t method_len;
	const char *target;        /* request-target, as sent */
	size_t target_len;
	int minor;                 /* HTTP/1.<minor>: 0 or 1 */
	bool has_content_length;
	uint64_t content_length;   /* at most NB_HTTP_MAX_SIZE */
	bool transfer_encoding;    /* present (always ending in chunked) */
	bool expect_continue;      /* Expect: 100-continue */
	bool conn_close;           /* Connection: close */
	bool conn_keep_alive;      /* Connection: keep-alive */
	size_t head_len;           /* bytes of the head, final CRLF included */
	int status;                /* NB_HTTP1_ERROR: 400, 413, 417, 431, 505 */
};

/* Parses the request head at the start of buf[0, len). A head (leading
 * empty lines included) may be at most max_head bytes. Returns
 * NB_HTTP1_COMPLETE (req filled, the body or the next request starts at
 * buf + req->head_len), NB_HTTP1_MORE, or NB_HTTP1_ERROR with req->status:
 *   400  malformed (bad request line or field, bare LF, NUL, missing or
 *        duplicate Host, bad or conflicting Content-Length, Transfer-Encoding
 *        not ending in chunked, or with Content-Length, or on HTTP/1.0)
 *   413  Content-Length above NB_HTTP_MAX_SIZE
 *   417  an Expect other than 100-continue
 *   431  no complete head within max_head bytes
 *   505  a version other than HTTP/1.0 and HTTP/1.1
 * The result for a prefix of a valid head is always NB_HTTP1_MORE. */
enum nb_http1_result nb_http1_parse(const uint8_t *buf, size_t len,
				    size_t max_head, struct nb_http1_req *req);

#endif
