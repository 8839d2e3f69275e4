/* netbench: what the HTTP servers answer, shared by h1, h2 and h3.
 *
 *   GET|HEAD /bytes/N     N payload bytes (payload.h), streamed as they
 *                         are sent; N in [0, NB_HTTP_MAX_SIZE]
 *   PUT|POST /upload      reads and verifies the body against the payload,
 *                         then answers with what it counted (see below)
 *   GET|HEAD /netbench/download-N.html, /netbench/upload-N.html
 *                         the browser's test page (page.h) for a transfer
 *                         of N bytes, N as for /bytes/N; text/html,
 *                         never from a cache
 *   POST /result          the page's report: the body (at most
 *                         NB_HTTP_RESULT_MAX bytes, else 413) is appended
 *                         as one line to the server's results file (`serve
 *                         --results-file`), answered 204; 404 when the
 *                         server has no results file
 *
 * Anything else: 404 (unknown path), 405 (known path, wrong method), 400
 * (malformed N), 413 (N or a request body above NB_HTTP_MAX_SIZE).
 * A query string is ignored ("/bytes/N?nocache=3").
 *
 * The upload answer is one line of JSON, the same on every protocol:
 *   200 {"bytes":N,"verdict":"ok"}
 *   422 {"bytes":N,"verdict":"mismatch at byte K"}
 * where N is the number of body bytes the server received.
 *
 * The results file gets one line per write() (O_APPEND: lines of several
 * writers never mix): each POST /result body, its CR and LF bytes made
 * spaces; and, for every upload that ended (verified or not), the server's
 * own record of it, its answer with an event:
 *   {"event":"upload","bytes":N,"verdict":"ok"}
 */
#ifndef NB_HTTP_TARGET_H
#define NB_HTTP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define NB_HTTP_MAX_SIZE (1ULL << 40)   /* 1 TiB */
#define NB_HTTP_ANSWER_MAX 96           /* an upload answer fits */
#define NB_HTTP_RESULT_MAX 4096         /* a POST /result body */

enum nb_http_route {
	NB_ROUTE_DOWNLOAD,   /* size = N */
	NB_ROUTE_UPLOAD,
	NB_ROUTE_PAGE,       /* size = N, dir */
	NB_ROUTE_RESULT,
	NB_ROUTE_ERROR,      /* status says which */
};

struct nb_http_target {
	enum nb_http_route route;
	uint64_t size;       /* download: bytes to send; page: its transfer's */
	enum nb_dir dir;     /* page: its transfer's direction */
	int status;          /* 200 (204 for a result taken), or the error */
	bool head;           /* HEAD: headers only */
	const char *why;     /* error: the body, if not nb_http_error_body's */
};

/* Routes a request by method and path (neither NUL-terminated). Never
 * fails: an unroutable request gets route NB_ROUTE_ERROR and its status. */
void nb_http_route(const char *method, size_t mlen, const char *path,
		   size_t plen, struct nb_http_target *t);

/* Makes t an error answer: status, and `why` (static storage, at most
 * NB_HTTP_ANSWER_MAX - 1 bytes; NULL: nb_http_error_body's) as its body. */
void nb_http_refuse(struct nb_http_target *t, int status, const char *why);

/* A POST /result whose head is complete: refused (t made an error) with
 * 404 when the server has no results file (results_fd < 0), with 413 when
 * its declared length (has_length) is above NB_HTTP_RESULT_MAX. Other
 * routes are left alone. */
void nb_http_result_admit(struct nb_http_target *t, int results_fd,
			  bool has_length, uint64_t length);

/* A POST /result whose body (len bytes, at most NB_HTTP_RESULT_MAX) has
 * ended: appended to the results file as one line, then t->status is 204;
 * a failed write makes t a 500 (and logs one line on stderr). */
void nb_http_result_take(struct nb_http_target *t, int results_fd,
			 const char *body, size_t len);

/* The server's record of an upload that ended, from its answer (len bytes
 * of nb_http_answer), appended to the results file; nothing when
 * results_fd < 0. A failed write logs one line on stderr. */
void nb_http_upload_record(int results_fd, const char *answer, size_t len);

/* Appends len bytes to the results file as one line: every CR and LF made
 * a space, then a '\n', in one write(). Returns 0. Errors: -EINVAL (len
 * above NB_HTTP_RESULT_MAX), -EIO (a short write), negative errno of
 * write. */
int nb_http_results_append(int fd, const void *line, size_t len);

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
 * header fields (h2, h3; h1 for pages and results). */
struct nb_http_head {
	int status;
	char status_text[8];       /* ":status" value */
	const char *type;          /* content-type ("": none, for a 204) */
	char length[24];           /* content-length ("": none, for a 204) */
	bool no_store;             /* add cache-control NB_HTTP_NO_STORE */
	bool small;                /* the body is `answer` or `page`, not the
				    * payload */
	char *page;                /* a page's body (malloc'd, the caller
				    * frees it), else NULL */
};

/* The response to t: its head into h and, unless it is a download, its
 * body: a page's into h->page (NULL for HEAD), or the small body (the
 * upload's answer for `got` bytes received, first mismatch at `bad`; or
 * the error body; none for a result taken) into answer
 * (NB_HTTP_ANSWER_MAX bytes). Returns the body bytes to send: the payload
 * size of a download (0 for HEAD), else the body's length. Never fails: a
 * page that cannot be made (out of memory) is answered 503. */
uint64_t nb_http_respond(const struct nb_http_target *t, uint64_t got,
			 uint64_t bad, struct nb_http_head *h, char *answer);

#endif
