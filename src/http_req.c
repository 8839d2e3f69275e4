/* netbench: one request of a multiplexed HTTP server (see http_req.h). */
#include "http_req.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"

void nb_http_req_init(struct nb_http_req *r)
{
	memset(r, 0, sizeof(*r));
	r->bad = UINT64_MAX;
	r->results_fd = -1;
}

void nb_http_req_free(struct nb_http_req *r)
{
	free(r->page);
	free(r->post);
	r->page = r->post = NULL;
	r->body = NULL;
}

void nb_http_req_field(struct nb_http_req *r, enum nb_http_field f,
		       const uint8_t *v, size_t len)
{
	const uint8_t *q;

	switch (f) {
	case NB_HTTP_METHOD:
		r->mlen = nb_http_keep(r->method, sizeof(r->method), v, len,
				       "?");
		break;
	case NB_HTTP_PATH:
		q = memchr(v, '?', len);
		if (q)
			len = (size_t)(q - v);
		r->plen = nb_http_keep(r->path, sizeof(r->path), v, len, "/?");
		break;
	case NB_HTTP_CONTENT_LENGTH:
		r->has_length = true;
		r->length = 0;
		for (size_t i = 0; i < len && r->length <= NB_HTTP_MAX_SIZE; i++)
			r->length = r->length * 10 + (uint64_t)(v[i] - '0');
		break;
	}
}

int nb_http_req_route(struct nb_http_req *r)
{
	if (!r->routed) {
		nb_http_route(r->method, r->mlen, r->path, r->plen, &r->t);
		r->routed = true;
		/* A result without a results file gets its 404 at its end,
		 * as any other error (its body only counted): refused at
		 * once, a short body would rather be read than reset. */
		if (r->t.route == NB_ROUTE_RESULT) {
			nb_http_result_admit(&r->t, r->results_fd,
					     r->has_length, r->length);
			if (r->t.route == NB_ROUTE_ERROR && r->t.status == 413)
				return 413;
		}
	}
	return r->t.route == NB_ROUTE_UPLOAD && r->has_length &&
	       r->length > NB_HTTP_MAX_SIZE ? 413 : 0;
}

/* A result's body bytes, kept. Returns 0, or the status refusing it:
 * 413 (too long) or 503 (out of memory). */
static int result_body(struct nb_http_req *r, const uint8_t *p, size_t len)
{
	if (len > NB_HTTP_RESULT_MAX - r->got) {
		nb_http_refuse(&r->t, 413, "too large: a result is at most "
			       "4096 bytes\n");
		return 413;
	}
	if (!r->post)
		r->post = malloc(NB_HTTP_RESULT_MAX);
	if (!r->post) {
		nb_http_refuse(&r->t, 503, NULL);
		return 503;
	}
	memcpy(r->post + r->got, p, len);
	r->got += len;
	return 0;
}

int nb_http_req_body(struct nb_http_req *r, const uint8_t *p, size_t len)
{
	if (r->t.route == NB_ROUTE_RESULT)
		return result_body(r, p, len);
	if (r->t.route == NB_ROUTE_UPLOAD && r->bad == UINT64_MAX)
		nb_payload_check(p, r->got, len, &r->bad);
	r->got += len;
	return r->t.route == NB_ROUTE_UPLOAD && r->got > NB_HTTP_MAX_SIZE ?
	       413 : 0;
}

uint64_t nb_http_req_respond(struct nb_http_req *r, int status,
			     struct nb_http_head *h)
{
	if (status) {
		/* Keeps the reason of a refusal made by route or body. */
		if (r->t.route != NB_ROUTE_ERROR || r->t.status != status)
			nb_http_refuse(&r->t, status, NULL);
	} else if (r->t.route == NB_ROUTE_RESULT) {
		nb_http_result_take(&r->t, r->results_fd, r->post,
				    (size_t)r->got);
	}
	r->responded = true;
	r->size = nb_http_respond(&r->t, r->got, r->bad, h, r->answer);
	r->small = h->small;
	r->page = h->page;
	r->body = r->page ? r->page : r->answer;
	if (!status && r->t.route == NB_ROUTE_UPLOAD)
		nb_http_upload_record(r->results_fd, r->answer,
				      (size_t)r->size);
	return r->size;
}

bool nb_http_req_unfinished(const struct nb_http_req *r, uint64_t sent,
			    char *buf, size_t len)
{
	uint64_t done, total;

	if (r->responded && !r->small && sent < r->size) {
		done = sent;
		total = r->size;
	} else if (r->t.route == NB_ROUTE_UPLOAD && !r->ended &&
		   !r->responded) {
		done = r->got;
		total = r->has_length ? r->length : UINT64_MAX;
	} else {
		return false;
	}
	if (total == UINT64_MAX)
		snprintf(buf, len, "after %" PRIu64 " body bytes", done);
	else
		snprintf(buf, len, "after %" PRIu64 " of %" PRIu64
			 " body bytes", done, total);
	return true;
}
