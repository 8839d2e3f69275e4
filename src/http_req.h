/* netbench: one request of a multiplexed HTTP server (one h2 or h3
 * stream): what the server_h2.c and server_h3_req.c streams share.
 *
 * The request head is kept as it arrives (:method, :path without the
 * query, content-length), routed by http_target.c once complete; the body
 * of an upload is verified at its offset and counted; the response head
 * and its small body come from nb_http_respond(). The framing (frames,
 * flow control, the body in flight) stays with each server.
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
	bool small;                  /* response body: `answer`, not payload */
	uint64_t size;               /* response body bytes */
	char answer[NB_HTTP_ANSWER_MAX];
};

/* The request header fields a server keeps. */
enum nb_http_field {
	NB_HTTP_METHOD,
	NB_HTTP_PATH,
	NB_HTTP_CONTENT_LENGTH,      /* checked to be a number by the library */
};

/* A request before its first header field. */
void nb_http_req_init(struct nb_http_req *r);

/* A header field's value (len bytes, not NUL-terminated). */
void nb_http_req_field(struct nb_http_req *r, enum nb_http_field f,
		       const uint8_t *v, size_t len);

/* The head is complete: routes it (once). Returns 413 when the request is
 * an upload declared too large (to be refused at once), else 0. */
int nb_http_req_route(struct nb_http_req *r);

/* Request body bytes: an upload's are verified at their offset (the first
 * mismatch is kept); all are counted. Returns 413 once an upload is too
 * large (to be refused), else 0. */
int nb_http_req_body(struct nb_http_req *r, const uint8_t *p, size_t len);

/* The response is due: its head into h, its small body (if any) into
 * r->answer; sets responded, size and small. `status` nonzero refuses the
 * request with it instead (before its body has ended). Returns r->size. */
uint64_t nb_http_req_respond(struct nb_http_req *r, int status,
			     struct nb_http_head *h);

/* Whether a body was cut short, `sent` response body bytes delivered:
 * then "after X of N body bytes" (or "after X body bytes") into buf. */
bool nb_http_req_unfinished(const struct nb_http_req *r, uint64_t sent,
			    char *buf, size_t len);

#endif
