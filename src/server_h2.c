/* netbench: the HTTP/2 side of the server, one connection (see
 * server_h2.h).
 *
 * Input: TLS records are read into the scratch buffer and given whole to
 * nghttp2_session_mem_recv; the callbacks collect :method, :path and
 * content-length per stream, verify upload bytes at their offset as they
 * arrive, and submit the response once the request has ended.
 *
 * Output: nghttp2_session_mem_send output is appended to `out`, and DATA
 * frames are written there by send_data (NGHTTP2_DATA_FLAG_NO_COPY: frame
 * header, then the payload generated in place), so a download byte is
 * written once by nb_payload_fill and once more by the cipher. nghttp2 is
 * asked for more only while out holds less than OUT_HIGH.
 */
#include "server_h2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <nghttp2/nghttp2.h>

#include "error.h"
#include "http_req.h"
#include "payload.h"
#include "tls.h"

#define RECORD 16384                 /* TLS plaintext per record */
#define OUT_HIGH (64 * 1024)         /* stop pulling frames above this */
#define OUT_CAP (OUT_HIGH + 32 * 1024) /* + the largest frame */
#define READ_BUDGET (4u << 20)       /* bytes read per run, then yield */
#define WINDOW (16 * 1024 * 1024)    /* stream and connection windows */
#define MAX_STREAMS 100

struct stream {
	struct stream *prev, *next;
	int32_t id;
	struct nb_http_req req;
	uint64_t queued, sent;       /* response body bytes framed, written */
	bool reset_after;            /* refused: RST_STREAM once answered */
};

struct nb_h2 {
	gnutls_session_t tls;
	const char *peer;
	int results_fd;              /* POST /result: -1, none */
	uint8_t *scratch;
	size_t scratch_len;
	size_t record;
	nghttp2_session *sess;
	struct stream *streams;      /* open streams, ours to free */
	bool wpending;               /* gnutls holds a record for us */
	bool eof;                    /* the client has finished sending */
	uint8_t *out;                /* [out_off, out_len) not yet sent */
	size_t out_off, out_len, out_cap;
};

static size_t min_sz(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

/* --- streams ----------------------------------------------------------- */

static void stream_unlink(struct nb_h2 *h, struct stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
}

/* nghttp2: a request begins: its stream state. Returns 0, or
 * NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE (out of memory: that stream is
 * reset, the connection goes on). */
static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f,
			    void *ud)
{
	struct nb_h2 *h = ud;
	struct stream *st;

	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st->id = f->hd.stream_id;
	nb_http_req_init(&st->req);
	st->req.results_fd = h->results_fd;
	st->next = h->streams;
	if (h->streams)
		h->streams->prev = st;
	h->streams = st;
	nghttp2_session_set_stream_user_data(s, st->id, st);
	return 0;
}

/* nghttp2: a request header field (validated by nghttp2): keeps :method,
 * :path (without the query) and content-length. Returns 0. */
static int on_header(nghttp2_session *s, const nghttp2_frame *f,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *ud)
{
	struct stream *st = nghttp2_session_get_stream_user_data(s,
								 f->hd.stream_id);

	(void)flags;
	(void)ud;
	if (!st || f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;      /* trailers */
	if (nlen == 7 && !memcmp(name, ":method", 7))
		nb_http_req_field(&st->req, NB_HTTP_METHOD, value, vlen);
	else if (nlen == 5 && !memcmp(name, ":path", 5))
		nb_http_req_field(&st->req, NB_HTTP_PATH, value, vlen);
	else if (nlen == 14 && !memcmp(name, "content-length", 14))
		nb_http_req_field(&st->req, NB_HTTP_CONTENT_LENGTH, value,
				  vlen);
	return 0;
}

/* nghttp2: how many bytes the next DATA frame of a response carries (at
 * most `length`); the bytes themselves are written by send_data
 * (NO_COPY). Returns the count. */
static ssize_t data_read(nghttp2_session *s, int32_t id, uint8_t *buf,
			 size_t length, uint32_t *flags,
			 nghttp2_data_source *src, void *ud)
{
	struct stream *st = src->ptr;
	size_t n = min_sz(length, st->req.size - st->queued);

	(void)s;
	(void)id;
	(void)buf;
	(void)ud;
	st->queued += n;
	*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (st->queued == st->req.size)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* nghttp2 (NO_COPY): writes a DATA frame into out: header, pad length,
 * the body bytes (generated payload, or the answer or page), padding. Returns
 * 0, NGHTTP2_ERR_PAUSE once out is above OUT_HIGH (mem_send returns), or
 * NGHTTP2_ERR_WOULDBLOCK (the frame does not fit: nothing written, it is
 * offered again later). */
static int send_data(nghttp2_session *s, nghttp2_frame *f,
		     const uint8_t *framehd, size_t length,
		     nghttp2_data_source *src, void *ud)
{
	struct nb_h2 *h = ud;
	struct stream *st = src->ptr;
	size_t pad = f->data.padlen;
	uint8_t *p;

	(void)s;
	if (h->out_cap - h->out_len < 9 + length + pad)
		return NGHTTP2_ERR_WOULDBLOCK;
	p = h->out + h->out_len;
	memcpy(p, framehd, 9);
	p += 9;
	if (pad)
		*p++ = (uint8_t)(pad - 1);
	if (st->req.small)
		memcpy(p, st->req.body + st->sent, length);
	else
		nb_payload_fill(p, st->sent, length);
	p += length;
	if (pad > 1) {
		memset(p, 0, pad - 1);
		p += pad - 1;
	}
	st->sent += length;
	h->out_len = (size_t)(p - h->out);
	return h->out_len >= OUT_HIGH ? NGHTTP2_ERR_PAUSE : 0;
}

#define NV(n, v, vl)                                                         \
	{(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl),                 \
	 NGHTTP2_NV_FLAG_NONE}

/* Submits the response of a stream: the download, the upload answer, the
 * page, the result's 204 or the error; `status` nonzero refuses a request
 * whose body can never be accepted. When more than a window of body may
 * still come (or an unknown amount), the stream is then reset with
 * NO_ERROR once the response is sent (on_frame_send; a reset submitted now
 * would overtake the response); a smaller rest is read and dropped: curl
 * 7.88 fails a request whose stream is reset while it still sends, however
 * complete the response. Returns 0 or a negative nghttp2 error. */
static int respond(nghttp2_session *s, struct stream *st, int status)
{
	nghttp2_data_provider dp = {.source.ptr = st, .read_callback = data_read};
	struct nb_http_head h;
	int n = 0, rv;
	nghttp2_nv nv[4];

	nb_http_req_respond(&st->req, status, &h);
	nv[n++] = (nghttp2_nv)NV(":status", h.status_text,
				 strlen(h.status_text));
	if (h.type[0])
		nv[n++] = (nghttp2_nv)NV("content-type", h.type,
					 strlen(h.type));
	if (h.length[0])
		nv[n++] = (nghttp2_nv)NV("content-length", h.length,
					 strlen(h.length));
	if (h.no_store)
		nv[n++] = (nghttp2_nv)NV("cache-control", NB_HTTP_NO_STORE,
					 strlen(NB_HTTP_NO_STORE));
	rv = nghttp2_submit_response(s, st->id, nv, (size_t)n,
				     st->req.size ? &dp : NULL);
	if (!rv && status)
		st->reset_after = !st->req.has_length ||
				  st->req.length - st->req.got > WINDOW;
	return rv;
}

/* nghttp2: a frame has been sent. The last one of a refused request's
 * response is followed by RST_STREAM(NO_ERROR) while the client may still
 * be sending (RFC 9113 §8.1). Returns 0, or NGHTTP2_ERR_CALLBACK_FAILURE
 * on a fatal nghttp2 error. */
static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f,
			 void *ud)
{
	struct stream *st;
	int rv;

	(void)ud;
	if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
	    !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
	if (!st || !st->reset_after)
		return 0;
	st->reset_after = false;
	if (nghttp2_session_get_stream_remote_close(s, st->id))
		return 0;
	rv = nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id,
				       NGHTTP2_NO_ERROR);
	return nghttp2_is_fatal(rv) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

/* nghttp2: a frame is complete. Request HEADERS are routed (an upload
 * whose content-length is too large is refused at once); a request that
 * has ended (END_STREAM) gets its response. Returns 0 (a response that
 * cannot be submitted resets its stream), or NGHTTP2_ERR_CALLBACK_FAILURE
 * on a fatal nghttp2 error. */
static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct stream *st;
	int rv = 0, status;

	(void)ud;
	if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
		return 0;
	st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
	if (!st || st->req.responded)
		return 0;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST) {
		status = nb_http_req_route(&st->req);
		if (status)
			rv = respond(s, st, status);
	}
	if (!rv && !st->req.responded &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		st->req.ended = true;
		rv = respond(s, st, 0);
	}
	if (rv && nghttp2_is_fatal(rv))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (rv)
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id,
					  NGHTTP2_INTERNAL_ERROR);
	return 0;
}

/* nghttp2: request body bytes: counted and, for an upload, verified at
 * their offset (the first mismatch is kept). Returns 0, or
 * NGHTTP2_ERR_CALLBACK_FAILURE on a fatal nghttp2 error. */
static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id,
			 const uint8_t *data, size_t len, void *ud)
{
	struct stream *st = nghttp2_session_get_stream_user_data(s, id);
	int status;

	(void)flags;
	(void)ud;
	if (!st || st->req.responded)
		return 0;
	status = nb_http_req_body(&st->req, data, len);
	if (status && nghttp2_is_fatal(respond(s, st, status)))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

/* nghttp2: a stream is closed: one log line when a body was cut short
 * (reset by the client), then its state is freed. Returns 0. */
static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code,
			   void *ud)
{
	struct nb_h2 *h = ud;
	struct stream *st = nghttp2_session_get_stream_user_data(s, id);
	char what[96];

	if (!st)
		return 0;
	if (nb_http_req_unfinished(&st->req, st->sent, what, sizeof(what))) {
		fprintf(stderr, "netbench serve: %s: stream %d closed %s (%s)\n",
			h->peer, id, what, nghttp2_http2_strerror(code));
	}
	stream_unlink(h, st);
	nb_http_req_free(&st->req);
	free(st);
	return 0;
}

/* --- output ------------------------------------------------------------ */

/* Appends what nghttp2 has to send to out, up to OUT_HIGH. Errors: -EPROTO,
 * -ENOMEM. */
static int pull(struct nb_h2 *h)
{
	while (h->out_len < OUT_HIGH) {
		const uint8_t *p;
		ssize_t n = nghttp2_session_mem_send(h->sess, &p);

		if (n < 0)
			return nb_fail(n == NGHTTP2_ERR_NOMEM ? -ENOMEM : -EPROTO,
				       "HTTP/2: %s", nghttp2_strerror((int)n));
		if (n == 0)
			break;
		if ((size_t)n > h->out_cap - h->out_len) {
			/* A frame larger than the slack: cannot happen with
			 * nghttp2's 16 KiB frames, but stay correct. */
			uint8_t *o = realloc(h->out, h->out_len + (size_t)n);

			if (!o)
				return nb_fail(-ENOMEM, "out of memory");
			h->out = o;
			h->out_cap = h->out_len + (size_t)n;
		}
		memcpy(h->out + h->out_len, p, (size_t)n);
		h->out_len += (size_t)n;
	}
	return 0;
}

/* Writes out to gnutls in full records, pulling more from nghttp2 when less
 * than a record is left; a short record only when nghttp2 has nothing more.
 * Returns 0 (all written), EPOLLOUT (the socket is full), or the errors of
 * pull and nb_tls_error. */
static int flush(struct nb_h2 *h, uint64_t *moved)
{
	int rv;

	for (;;) {
		size_t avail = h->out_len - h->out_off;
		ssize_t n;

		if (!h->wpending && avail < h->record) {
			memmove(h->out, h->out + h->out_off, avail);
			h->out_off = 0;
			h->out_len = avail;
			rv = pull(h);
			if (rv)
				return rv;
			avail = h->out_len;
			if (!avail)
				return 0;
		}
		if (h->wpending)
			n = gnutls_record_send(h->tls, NULL, 0);
		else
			n = gnutls_record_send(h->tls, h->out + h->out_off,
					       min_sz(h->record, avail));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			h->wpending = true;
			if (n == GNUTLS_E_AGAIN)
				return EPOLLOUT;
			continue;
		}
		h->wpending = false;
		if (n < 0)
			return nb_tls_error((int)n);
		h->out_off += (size_t)n;
		*moved += (uint64_t)n;
	}
}

/* --- the connection ---------------------------------------------------- */

/* The connection failed with rv (0: ended), nb_lasterr() saying why. When
 * a body was under way it is a failure (-ECONNRESET if rv was 0) and the
 * log line says how far the body got; else, and when nothing else failed,
 * it is not. Returns 0, rv or -ECONNRESET. */
static int lost(struct nb_h2 *h, int rv)
{
	char cause[160], what[96];

	for (struct stream *st = h->streams; st; st = st->next) {
		if (!nb_http_req_unfinished(&st->req, st->sent, what,
					    sizeof(what)))
			continue;
		snprintf(cause, sizeof(cause), "%s", nb_lasterr());
		return nb_fail(rv ? rv : -ECONNRESET,
			       "connection closed %s (stream %d: %s)", what,
			       st->id, cause);
	}
	return rv == -ECONNRESET ? 0 : rv;
}

/* Feeds n bytes of scratch to nghttp2. On an error it cannot answer itself
 * (a bad preface, a flood) it is told to send GOAWAY, which is tried once.
 * Returns 0 or -EPROTO/-ENOMEM. */
static int feed(struct nb_h2 *h, size_t n, uint64_t *moved)
{
	ssize_t r = nghttp2_session_mem_recv(h->sess, h->scratch, n);

	if (r >= 0)
		return 0;
	nghttp2_session_terminate_session(h->sess, NGHTTP2_PROTOCOL_ERROR);
	if (!h->wpending)
		flush(h, moved);
	return nb_fail(r == NGHTTP2_ERR_NOMEM ? -ENOMEM : -EPROTO,
		       "HTTP/2: %s", nghttp2_strerror((int)r));
}

int nb_h2_run(struct nb_h2 *h, uint64_t *moved)
{
	size_t budget = READ_BUDGET;
	int ev, rv;

	for (;;) {
		ssize_t n;

		ev = flush(h, moved);
		if (ev < 0)
			return lost(h, ev);
		if (h->eof || !nghttp2_session_want_read(h->sess))
			return ev;      /* finish writing, then over */
		if (ev && h->out_len - h->out_off >= OUT_HIGH)
			return ev;      /* backed up: read nothing more */
		if (!budget)
			return EPOLLIN | ev;
		n = nb_tls_recv(h->tls, h->scratch, h->scratch_len);
		if (n == -EAGAIN)
			return EPOLLIN | ev;
		if (n <= 0) {
			/* The client has gone (curl does not always send
			 * close_notify): fine unless a body is under way. */
			rv = lost(h, n ? (int)n : nb_fail(0, "end of stream"));
			if (rv || n < 0)
				return rv;
			h->eof = true;
			continue;
		}
		*moved += (uint64_t)n;
		budget -= min_sz(budget, (uint64_t)n);
		rv = feed(h, (size_t)n, moved);
		if (rv)
			return rv;
	}
}

int nb_h2_new(gnutls_session_t tls, const char *peer, int results_fd,
	      uint8_t *scratch, size_t scratch_len, struct nb_h2 **out)
{
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, WINDOW},
	};
	nghttp2_session_callbacks *cbs;
	size_t max = gnutls_record_get_max_size(tls);
	struct nb_h2 *h;
	int rv;

	if (scratch_len < RECORD)
		return nb_fail(-EINVAL, "scratch buffer too small");
	h = calloc(1, sizeof(*h));
	if (!h)
		return nb_fail(-ENOMEM, "out of memory");
	h->tls = tls;
	h->peer = peer;
	h->results_fd = results_fd;
	h->scratch = scratch;
	h->scratch_len = scratch_len;
	h->record = max && max < RECORD ? max : RECORD;
	h->out_cap = OUT_CAP;
	h->out = malloc(h->out_cap);
	if (!h->out || nghttp2_session_callbacks_new(&cbs)) {
		rv = nb_fail(-ENOMEM, "out of memory");
		goto fail;
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
								on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
								  on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
							       on_stream_close);
	nghttp2_session_callbacks_set_send_data_callback(cbs, send_data);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs,
							     on_frame_send);
	rv = nghttp2_session_server_new(&h->sess, cbs, h);
	nghttp2_session_callbacks_del(cbs);
	if (rv) {
		rv = nb_fail(-ENOMEM, "HTTP/2: %s", nghttp2_strerror(rv));
		goto fail;
	}
	/* The connection window is not set by SETTINGS: both are needed. */
	if (nghttp2_submit_settings(h->sess, NGHTTP2_FLAG_NONE, iv, 2) ||
	    nghttp2_session_set_local_window_size(h->sess, NGHTTP2_FLAG_NONE, 0,
						  WINDOW)) {
		rv = nb_fail(-ENOMEM, "HTTP/2: cannot queue SETTINGS");
		goto fail;
	}
	*out = h;
	return 0;
fail:
	nb_h2_free(h);
	return rv;
}

void nb_h2_free(struct nb_h2 *h)
{
	struct stream *st;

	if (!h)
		return;
	/* nghttp2_session_del does not call on_stream_close. */
	nghttp2_session_del(h->sess);
	while ((st = h->streams)) {
		h->streams = st->next;
		nb_http_req_free(&st->req);
		free(st);
	}
	free(h->out);
	free(h);
}
