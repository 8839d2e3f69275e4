/* netbench: one request of a multiplexed HTTP server (see http_req.h). */
#include "http_req.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payload.h"

void nb_http_req_init(struct nb_http_req *r)
{
	memset(r, 0, sizeof(*r));
	r->bad = UINT64_MAX;
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
	}
	return r->t.route == NB_ROUTE_UPLOAD && r->has_length &&
	       r->length > NB_HTTP_MAX_SIZE ? 413 : 0;
}

int nb_http_req_body(struct nb_http_req *r, const uint8_t *p, size_t len)
{
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
		r->t.route = NB_ROUTE_ERROR;
		r->t.status = status;
	}
	r->responded = true;
	r->size = nb_http_respond(&r->t, r->got, r->bad, h, r->answer);
	r->small = h->small;
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
