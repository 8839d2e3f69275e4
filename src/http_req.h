/* netbench: one request of a multiplexed HTTP server (one h2 or h3
 * stream): what the server_h2.c and server_h3_req.c streams share.
 *
 * The request head is kept as it arrives (:method, :path without the
 * query, content-length), routed by http_target.c once complete; the body
 * of an upload is verified at its offset and counted, that of a POST
 * /result kept (at most NB_HTTP_RESULT_MAX bytes) and appended to the
 * results file once it has ended; the response head and its small body
 * (an answer, or a page) come from nb_http_respond(). The framing (frames,
 * flow control, the body in flight) stays with each server.
 *
 * Memory: a request holds at most one page (page.h, a few KiB) or one
 * result body (NB_HTTP_RESULT_MAX), malloc'd when needed and freed by
 * nb_http_req_free(); bounded by the streams a connection may open.
 */
#ifndef NB_HTTP_REQ_H
#define NB_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_target.h"

struct nb_http_req {
	struct nb_http_target t;
	char method[16];
	size_t mlen;
	char path[256];              /* up to the '?' */
	size_t plen;
	bool has_length;
	uint64_t length;             /* the request's content-length */
	bool routed;
	bool ended;                  /* the request is complete */
	bool responded;
	uint64_t got, bad;           /* request body: count, first mismatch */
	bool small;                  /* response body: `body`, not payload */
	uint64_t size;               /* response body bytes */
	const char *body;            /* small: answer or page */
	char answer[NB_HTTP_ANSWER_MAX];
	char *page;                  /* a page's body (malloc'd) */
	char *post;                  /* a result's body so far (malloc'd) */
	int results_fd;              /* -1 (init): no results file; the
				      * server sets its own */
};

/* The request header fields a server keeps. */
enum nb_http_field {
	NB_HTTP_METHOD,
	NB_HTTP_PATH,
	NB_HTTP_CONTENT_LENGTH,      /* checked to be a number by the library */
};

/* A request before its first header field (results_fd -1). */
void nb_http_req_init(struct nb_http_req *r);

/* Frees what the request holds (its page, its result body); r can be
 * initialised again. */
void nb_http_req_free(struct nb_http_req *r);

/* A header field's value (len bytes, not NUL-terminated). */
void nb_http_req_field(struct nb_http_req *r, enum nb_http_field f,
		       const uint8_t *v, size_t len);

/* The head is complete: routes it (once). Returns the status with which
 * to refuse the request at once (before its body): 413 for an upload
 * declared too large, or for a POST /result declared longer than
 * NB_HTTP_RESULT_MAX; else 0 (a POST /result without a results file is
 * routed to a 404 answered at its end). */
int nb_http_req_route(struct nb_http_req *r);

/* Request body bytes: an upload's are verified at their offset (the first
 * mismatch is kept), a result's kept; all are counted. Returns 413 once an
 * upload or a result is too large (to be refused), else 0. Never fails: a
 * result body that cannot be kept (out of memory) is refused with 503. */
int nb_http_req_body(struct nb_http_req *r, const uint8_t *p, size_t len);

/* The response is due: its head into h, its small body (if any) into
 * r->answer or r->page (r->body points at it); sets responded, size and
 * small. A result that has ended is appended to the results file first,
 * an upload that has ended is recorded there (http_target.h). `status`
 * nonzero refuses the request with it instead (before its body has
 * ended). Returns r->size. */
uint64_t nb_http_req_respond(struct nb_http_req *r, int status,
			     struct nb_http_head *h);

/* Whether a body was cut short, `sent` response body bytes delivered:
 * then "after X of N body bytes" (or "after X body bytes") into buf. */
bool nb_http_req_unfinished(const struct nb_http_req *r, uint64_t sent,
			    char *buf, size_t len);

#endif
