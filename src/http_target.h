/* netbench: what the HTTP servers answer, shared by h1, h2 and h3.
 *
 *   GET|HEAD /bytes/N     N payload bytes (payload.h), streamed as they
 *                         are sent; N in [0, NB_HTTP_MAX_SIZE]
 *   PUT|POST /upload      reads and verifies the body against the payload,
 *                         then answers with what it counted (see below)
 *
 * Anything else: 404 (unknown path), 405 (known path, wrong method), 400
 * (malformed N), 413 (N or a request body above NB_HTTP_MAX_SIZE).
 * A query string is ignored ("/bytes/N?nocache=3").
 *
 * The upload answer is one line of JSON, the same on every protocol:
 *   200 {"bytes":N,"verdict":"ok"}
 *   422 {"bytes":N,"verdict":"mismatch at byte K"}
 * where N is the number of body bytes the server received.
 */
#ifndef NB_HTTP_TARGET_H
#define NB_HTTP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_HTTP_MAX_SIZE (1ULL << 40)   /* 1 TiB */
#define NB_HTTP_ANSWER_MAX 96           /* an upload answer fits */

enum nb_http_route {
	NB_ROUTE_DOWNLOAD,   /* size = N */
	NB_ROUTE_UPLOAD,
	NB_ROUTE_ERROR,      /* status says which */
};

struct nb_http_target {
	enum nb_http_route route;
	uint64_t size;       /* download: bytes to send */
	int status;          /* 200, or the error status */
	bool head;           /* HEAD: headers only */
};

/* Routes a request by method and path (neither NUL-terminated). Never
 * fails: an unroutable request gets route NB_ROUTE_ERROR and its status. */
void nb_http_route(const char *method, size_t mlen, const char *path,
		   size_t plen, struct nb_http_target *t);

/* The reason phrase of a status ("Not Found"), "Unknown" if not ours. */
const char *nb_http_reason(int status);

/* The upload answer body for `bytes` received and the first mismatching
 * offset `bad` (UINT64_MAX: all matched) into buf (NB_HTTP_ANSWER_MAX).
 * Returns its length; *status gets 200 or 422. */
size_t nb_http_answer(char *buf, uint64_t bytes, uint64_t bad, int *status);

/* Parses an upload answer body. Returns 0 when it is well formed: *bytes
 * and *ok (verdict "ok") set, verdict (may be NULL) gets the verdict text.
 * Errors: -EPROTO (not an answer of ours). */
int nb_http_answer_parse(const char *body, size_t len, uint64_t *bytes,
			 bool *ok, char *verdict, size_t vlen);

/* Copies a request header value (len bytes, not NUL-terminated) into dst
 * of cap bytes; a value too long for it is replaced by `instead` (at most
 * cap bytes), chosen to route to an error. Returns the length copied. */
size_t nb_http_keep(char *dst, size_t cap, const uint8_t *v, size_t len,
		    const char *instead);

/* An error answer's short body ("not found\n"). */
const char *nb_http_error_body(int status);

/* What downloads are served with: never from a cache. */
#define NB_HTTP_NO_STORE "no-store, no-cache, must-revalidate"

/* The head of the response to a routed request, for servers that frame
 * header fields (h2, h3). */
struct nb_http_head {
	int status;
	char status_text[8];       /* ":status" value */
	const char *type;          /* content-type */
	char length[24];           /* content-length */
	bool no_store;             /* add cache-control NB_HTTP_NO_STORE */
	bool small;                /* the body is `answer`, not the payload */
};

/* The response to t: its head into h and, unless it is a download, its
 * small body (the upload's answer for `got` bytes received, first
 * mismatch at `bad`; or the error body) into answer (NB_HTTP_ANSWER_MAX
 * bytes). Returns the body bytes to send: the payload size of a download
 * (0 for HEAD), else the answer's length. Never fails. */
uint64_t nb_http_respond(const struct nb_http_target *t, uint64_t got,
			 uint64_t bad, struct nb_http_head *h, char *answer);

#endif
