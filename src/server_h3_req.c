/* netbench: the HTTP/3 requests of one server connection (see
 * server_h3_req.h).
 *
 * A download body is generated CHUNK bytes at a time into the stream's
 * body ring when nghttp3 asks for it, just before ngtcp2 encrypts it, so
 * the bytes are written once by nb_payload_fill and once by the cipher;
 * the ring releases them as acknowledgements arrive. A full ring pauses
 * the stream (NGHTTP3_ERR_WOULDBLOCK) until the next acknowledgement.
 */
#include "server_h3_req.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body_ring.h"
#include "error.h"
#include "http_target.h"
#include "payload.h"
#include "quic.h"

#define RING_CAP (2 * (size_t)NB_QUIC_WINDOW)
#define CHUNK (64 * 1024)       /* generated per read_data call */

struct h3_stream {
	struct h3_stream *prev, *next;
	int64_t id;
	struct nb_http_target t;
	char method[16];
	size_t mlen;
	char path[256];              /* up to the '?' */
	size_t plen;
	bool has_length;
	uint64_t length;             /* the request's content-length */
	bool ended;                  /* the request is complete */
	bool responded;
	bool blocked;                /* read_data said WOULDBLOCK */
	uint64_t got, bad;           /* request body: count, first mismatch */
	bool small;                  /* response body: `answer`, not payload */
	uint64_t size, queued, acked; /* response body bytes */
	struct nb_ring ring;         /* download bodies in flight */
	char answer[NB_HTTP_ANSWER_MAX];
};

static struct nb_h3_reqs *reqs_of(void *cud)
{
	return ((struct nb_quic *)cud)->app;
}

/* A body under way on st: its progress and total (UINT64_MAX: unknown). */
static bool unfinished(const struct h3_stream *st, uint64_t *done,
		       uint64_t *total)
{
	if (st->responded && !st->small && st->acked < st->size) {
		*done = st->acked;
		*total = st->size;
		return true;
	}
	if (st->t.route == NB_ROUTE_UPLOAD && !st->ended && !st->responded) {
		*done = st->got;
		*total = st->has_length ? st->length : UINT64_MAX;
		return true;
	}
	return false;
}

static void progress(char *buf, size_t len, const struct h3_stream *st,
		     uint64_t done, uint64_t total)
{
	if (total == UINT64_MAX)
		snprintf(buf, len, "after %" PRIu64 " body bytes (stream %"
			 PRId64 ")", done, st->id);
	else
		snprintf(buf, len, "after %" PRIu64 " of %" PRIu64
			 " body bytes (stream %" PRId64 ")", done, total, st->id);
}

bool nb_h3_req_unfinished(const struct nb_h3_reqs *r, char *buf, size_t len)
{
	uint64_t done, total;

	for (struct h3_stream *st = r->streams; st; st = st->next) {
		if (unfinished(st, &done, &total)) {
			progress(buf, len, st, done, total);
			return true;
		}
	}
	return false;
}

static void stream_free(struct nb_h3_reqs *r, struct h3_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		r->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	nb_ring_free(&st->ring);
	free(st);
}

void nb_h3_req_free_all(struct nb_h3_reqs *r)
{
	while (r->streams)
		stream_free(r, r->streams);
}

/* --- request ------------------------------------------------------------ */

static int begin_headers(nghttp3_conn *h3, int64_t sid, void *cud, void *sud)
{
	struct nb_h3_reqs *r = reqs_of(cud);
	struct h3_stream *st;

	if (sud)
		return 0;            /* trailers come the same way */
	st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	st->id = sid;
	st->bad = UINT64_MAX;
	st->next = r->streams;
	if (r->streams)
		r->streams->prev = st;
	r->streams = st;
	nghttp3_conn_set_stream_user_data(h3, sid, st);
	return 0;
}

/* Copies a header value into a fixed field; one too long for it becomes
 * `instead`, which routes to an error. */
static size_t keep(char *dst, size_t cap, const uint8_t *v, size_t len,
		   const char *instead)
{
	if (len > cap) {
		v = (const uint8_t *)instead;
		len = strlen(instead);
	}
	memcpy(dst, v, len);
	return len;
}

/* :method, :path (without the query) and content-length (nghttp3 has
 * checked that it is a number). */
static int recv_header(nghttp3_conn *h3, int64_t sid, int32_t token,
		       nghttp3_rcbuf *name, nghttp3_rcbuf *value,
		       uint8_t flags, void *cud, void *sud)
{
	struct h3_stream *st = sud;
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
	const uint8_t *q;

	(void)h3;
	(void)sid;
	(void)name;
	(void)flags;
	(void)cud;
	if (!st)
		return 0;
	switch (token) {
	case NGHTTP3_QPACK_TOKEN__METHOD:
		st->mlen = keep(st->method, sizeof(st->method), v.base, v.len,
				"?");
		break;
	case NGHTTP3_QPACK_TOKEN__PATH:
		q = memchr(v.base, '?', v.len);
		if (q)
			v.len = (size_t)(q - v.base);
		st->plen = keep(st->path, sizeof(st->path), v.base, v.len, "/?");
		break;
	case NGHTTP3_QPACK_TOKEN_CONTENT_LENGTH:
		st->has_length = true;
		st->length = 0;
		for (size_t i = 0; i < v.len && st->length <= NB_HTTP_MAX_SIZE;
		     i++)
			st->length = st->length * 10 + (uint64_t)(v.base[i] - '0');
		break;
	}
	return 0;
}

/* --- response ----------------------------------------------------------- */

/* nghttp3 wants body bytes: the short answer, or CHUNK generated bytes in
 * the ring. Returns the vec count, or NGHTTP3_ERR_WOULDBLOCK (ring full:
 * resumed on the next acknowledgement). */
static nghttp3_ssize read_data(nghttp3_conn *h3, int64_t sid,
			       nghttp3_vec *vec, size_t veccnt,
			       uint32_t *pflags, void *cud, void *sud)
{
	struct h3_stream *st = sud;
	uint64_t left = st->size - st->queued;
	size_t len;
	uint8_t *p;

	(void)h3;
	(void)sid;
	(void)veccnt;
	(void)cud;
	if (st->small) {
		vec[0].base = (uint8_t *)st->answer;
		vec[0].len = (size_t)st->size;
		st->queued = st->size;
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
		return 1;
	}
	if (!left) {
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
		return 0;
	}
	p = nb_ring_space(&st->ring, &len);
	if (!len) {
		st->blocked = true;
		return NGHTTP3_ERR_WOULDBLOCK;
	}
	if (len > CHUNK)
		len = CHUNK;
	if (len > left)
		len = (size_t)left;
	nb_payload_fill(p, st->queued, len);
	nb_ring_commit(&st->ring, len);
	st->queued += len;
	vec[0].base = p;
	vec[0].len = len;
	if (st->queued == st->size)
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
	return 1;
}

#define NV(n, v, vl)                                                         \
	{(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl),                 \
	 NGHTTP3_NV_FLAG_NONE}

/* Submits the response of a stream: the download, the upload answer or
 * the error. Returns 0 or a negative nghttp3 error (-ENOMEM as
 * NGHTTP3_ERR_NOMEM: no ring). */
static int respond(nghttp3_conn *h3, struct h3_stream *st)
{
	nghttp3_data_reader dr = {.read_data = read_data};
	struct nb_http_head h;
	int n = 3;
	nghttp3_nv nv[4];

	st->responded = true;
	st->size = nb_http_respond(&st->t, st->got, st->bad, &h, st->answer);
	st->small = h.small;
	if (!h.small && st->size && nb_ring_init(&st->ring, RING_CAP))
		return NGHTTP3_ERR_NOMEM;
	nv[0] = (nghttp3_nv)NV(":status", h.status_text, strlen(h.status_text));
	nv[1] = (nghttp3_nv)NV("content-type", h.type, strlen(h.type));
	nv[2] = (nghttp3_nv)NV("content-length", h.length, strlen(h.length));
	if (h.no_store)
		nv[n++] = (nghttp3_nv)NV("cache-control", NB_HTTP_NO_STORE,
					 strlen(NB_HTTP_NO_STORE));
	return nghttp3_conn_submit_response(h3, st->id, nv, (size_t)n,
					    st->size ? &dr : NULL);
}

/* An upload that can never be accepted: `status` now, and the client is
 * told to stop sending. Returns 0 or a negative nghttp3 error. */
static int reject(nghttp3_conn *h3, struct nb_quic *q, struct h3_stream *st,
		  int status)
{
	st->t.route = NB_ROUTE_ERROR;
	st->t.status = status;
	ngtcp2_conn_shutdown_stream_read(q->conn, st->id, NGHTTP3_H3_NO_ERROR);
	return respond(h3, st);
}

/* Headers complete: routed; an upload declared too large is refused at
 * once. A request without a body is answered at end_stream. */
static int end_headers(nghttp3_conn *h3, int64_t sid, int fin, void *cud,
		       void *sud)
{
	struct h3_stream *st = sud;
	int rv = 0;

	(void)sid;
	(void)fin;
	if (!st || st->responded || st->t.status)
		return 0;            /* trailers */
	nb_http_route(st->method, st->mlen, st->path, st->plen, &st->t);
	if (st->t.route == NB_ROUTE_UPLOAD && st->has_length &&
	    st->length > NB_HTTP_MAX_SIZE)
		rv = reject(h3, cud, st, 413);
	return rv ? NGHTTP3_ERR_CALLBACK_FAILURE : 0;
}

/* Request body bytes: verified at their offset (the first mismatch is
 * kept), counted, credited back. */
static int recv_data(nghttp3_conn *h3, int64_t sid, const uint8_t *data,
		     size_t len, void *cud, void *sud)
{
	struct h3_stream *st = sud;

	nb_quic_consumed(cud, sid, len);
	if (!st || st->responded)
		return 0;
	if (st->t.route == NB_ROUTE_UPLOAD && st->bad == UINT64_MAX)
		nb_payload_check(data, st->got, len, &st->bad);
	st->got += len;
	if (st->t.route == NB_ROUTE_UPLOAD && st->got > NB_HTTP_MAX_SIZE &&
	    reject(h3, cud, st, 413))
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return 0;
}

static int end_stream(nghttp3_conn *h3, int64_t sid, void *cud, void *sud)
{
	struct h3_stream *st = sud;

	(void)sid;
	(void)cud;
	if (!st || st->responded)
		return 0;
	st->ended = true;
	if (!st->t.status)
		nb_http_route(st->method, st->mlen, st->path, st->plen, &st->t);
	return respond(h3, st) ? NGHTTP3_ERR_CALLBACK_FAILURE : 0;
}

/* Body bytes acknowledged: released from the ring; a paused body goes on. */
static int acked_data(nghttp3_conn *h3, int64_t sid, uint64_t len, void *cud,
		      void *sud)
{
	struct h3_stream *st = sud;

	(void)cud;
	if (!st || st->small)
		return 0;
	st->acked += len;
	if (nb_ring_release(&st->ring, len))
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	if (st->blocked) {
		st->blocked = false;
		return nghttp3_conn_resume_stream(h3, sid) ?
		       NGHTTP3_ERR_CALLBACK_FAILURE : 0;
	}
	return 0;
}

/* A stream is closed: one log line when a body was cut short (the client
 * reset it), then its state is freed. */
static int stream_close(nghttp3_conn *h3, int64_t sid, uint64_t code,
			void *cud, void *sud)
{
	struct nb_h3_reqs *r = reqs_of(cud);
	struct h3_stream *st = sud;
	uint64_t done, total;
	char what[96];

	(void)h3;
	(void)sid;
	if (!st)
		return 0;
	if (unfinished(st, &done, &total)) {
		progress(what, sizeof(what), st, done, total);
		fprintf(stderr, "netbench serve: %s: stream closed %s (HTTP/3 "
			"error 0x%" PRIx64 ")\n", r->peer, what, code);
	}
	stream_free(r, st);
	return 0;
}

const nghttp3_callbacks nb_h3_req_callbacks = {
	.acked_stream_data = acked_data,
	.stream_close = stream_close,
	.recv_data = recv_data,
	.begin_headers = begin_headers,
	.recv_header = recv_header,
	.end_headers = end_headers,
	.end_stream = end_stream,
};
