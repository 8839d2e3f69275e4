/* netbench: the HTTP/1.1 side of the server, one connection (see
 * server_h1.h).
 *
 * States: HEAD (read and parse a request head) -> BODY (an upload: read and
 * verify Content-Length bytes; a result: keep them) -> SEND (the response:
 * a head, a short body and/or generated payload) -> HEAD again, or DONE
 * when the connection is to close. SEND also carries "100 Continue"
 * between HEAD and BODY.
 *
 * Output goes to gnutls one record at a time: the response head and the
 * first payload bytes share the first record, every other record is full
 * (16384 bytes), generated into the scratch buffer just before it is
 * encrypted. When gnutls says GNUTLS_E_AGAIN it holds that record, encrypted;
 * gnutls_record_send(NULL, 0) finishes it later and returns its size, so the
 * plaintext is not kept. A response too long for the `out` buffer (a
 * page) is queued in a buffer of its own, freed once it is sent.
 */
#include "server_h1.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "error.h"
#include "http1.h"
#include "http_target.h"
#include "payload.h"
#include "tls.h"

#define RECORD 16384                 /* TLS plaintext per record */
#define READ_BUDGET (4u << 20)       /* bytes read per run, then yield */
#define OUT_MAX 1024                 /* a response head + a short body */

enum state { ST_HEAD, ST_BODY, ST_SEND, ST_DONE };

struct nb_h1 {
	gnutls_session_t tls;
	int results_fd;              /* POST /result: -1, none */
	uint8_t *scratch;
	size_t scratch_len;
	size_t record;               /* plaintext bytes per record */
	enum state state;
	enum state next;             /* the state after SEND */
	bool close_after;            /* close once this response is sent */
	bool wpending;               /* gnutls holds a record for us */
	/* Request bytes: [in_off, in_len) are not consumed yet. */
	size_t in_len, in_off;
	/* The upload being read. */
	uint64_t body_len, body_got;
	uint64_t bad;                /* first mismatching offset, or MAX */
	bool result;                 /* the body is a result's, kept in post */
	/* The response being sent: out[out_off, out_len) (or big's), then
	 * the payload bytes [gen_off, gen_end). */
	size_t out_len, out_off;
	uint64_t gen_off, gen_end;
	char *big;                   /* malloc'd, instead of out */
	char out[OUT_MAX];
	char post[NB_HTTP_RESULT_MAX];
	uint8_t in[NB_H1_HEAD_MAX];
};

static size_t min_sz(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

/* The client went away in the middle of a body: one line for the log.
 * Returns -ECONNRESET. */
static int body_lost(ssize_t err, uint64_t done, uint64_t total)
{
	char cause[160] = "";

	if (err < 0)
		snprintf(cause, sizeof(cause), " (%s)", nb_lasterr());
	return nb_fail(-ECONNRESET, "connection closed after %" PRIu64
		       " of %" PRIu64 " body bytes%s", done, total, cause);
}

/* Queues a response: the head (with the `extra` header lines) and `body`
 * (may be NULL) in out, then `gen` payload bytes. `length` is the
 * Content-Length (a HEAD gets the length of the GET without its bytes).
 * Returns 0 (state is now SEND). */
static int respond(struct nb_h1 *h, int status, const char *type,
		   const char *extra, uint64_t length, const char *body,
		   uint64_t gen)
{
	int n;

	n = snprintf(h->out, sizeof(h->out),
		     "HTTP/1.1 %d %s\r\n"
		     "content-type: %s\r\n"
		     "content-length: %" PRIu64 "\r\n"
		     "%s%s\r\n%s",
		     status, nb_http_reason(status), type, length, extra,
		     h->close_after ? "connection: close\r\n" : "",
		     body ? body : "");
	if (n < 0 || (size_t)n >= sizeof(h->out))
		n = 0;       /* cannot happen: our heads and bodies are short */
	h->out_len = (size_t)n;
	h->out_off = 0;
	h->gen_off = 0;
	h->gen_end = gen;
	h->state = ST_SEND;
	h->next = h->close_after ? ST_DONE : ST_HEAD;
	return 0;
}

static int respond_error(struct nb_h1 *h, int status)
{
	const char *body = nb_http_error_body(status);

	return respond(h, status, "text/plain", "", strlen(body), body, 0);
}

/* Appends the printf output to buf of cap bytes at *n (cut short: not
 * with our short heads). */
static void __attribute__((format(printf, 4, 5)))
add(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k < cap - *n ? (size_t)k : cap - *n - 1;
}

/* Queues the response nb_http_respond() makes of t (a page, a result's
 * 204, an error with its reason): in out, or in big when it does not fit
 * (out of memory: a 503 instead). Returns 0 (state is now SEND). */
static int respond_target(struct nb_h1 *h, const struct nb_http_target *t)
{
	static const char no_cache[] = "cache-control: " NB_HTTP_NO_STORE
				       "\r\npragma: no-cache\r\n";
	char answer[NB_HTTP_ANSWER_MAX], head[512];
	struct nb_http_head hd;
	size_t n = 0, size;
	char *buf = h->out;

	size = (size_t)nb_http_respond(t, 0, UINT64_MAX, &hd, answer);
	add(head, sizeof(head), &n, "HTTP/1.1 %d %s\r\n", hd.status,
	    nb_http_reason(hd.status));
	if (hd.type[0])
		add(head, sizeof(head), &n, "content-type: %s\r\n", hd.type);
	if (hd.length[0])
		add(head, sizeof(head), &n, "content-length: %s\r\n",
		    hd.length);
	add(head, sizeof(head), &n, "%s%s\r\n", hd.no_store ? no_cache : "",
	    h->close_after ? "connection: close\r\n" : "");
	if (n + size > sizeof(h->out)) {
		buf = h->big = malloc(n + size);
		if (!buf) {
			free(hd.page);
			return respond_error(h, 503);
		}
	}
	memcpy(buf, head, n);
	memcpy(buf + n, hd.page ? hd.page : answer, size);
	free(hd.page);
	h->out_len = n + size;
	h->out_off = 0;
	h->gen_off = h->gen_end = 0;
	h->state = ST_SEND;
	h->next = h->close_after ? ST_DONE : ST_HEAD;
	return 0;
}

/* Routes a complete request head. Returns 0 (the state says what next). */
static int on_request(struct nb_h1 *h, const struct nb_http1_req *r)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	static const char no_cache[] =
		"cache-control: " NB_HTTP_NO_STORE "\r\n"
		"pragma: no-cache\r\n";
	bool has_body = r->transfer_encoding || r->content_length > 0;
	struct nb_http_target t;

	h->close_after = r->conn_close || (r->minor == 0 && !r->conn_keep_alive);
	nb_http_route(r->method, r->method_len, r->target, r->target_len, &t);
	nb_http_result_admit(&t, h->results_fd, r->has_content_length,
			     r->content_length);
	if (t.route == NB_ROUTE_UPLOAD || t.route == NB_ROUTE_RESULT) {
		if (!r->has_content_length) {
			/* Chunked or no length: we read neither. */
			h->close_after = true;
			return respond_error(h, 411);
		}
		h->result = t.route == NB_ROUTE_RESULT;
		h->body_len = r->content_length;
		h->body_got = 0;
		h->bad = UINT64_MAX;
		h->state = ST_BODY;
		if (r->expect_continue && r->minor == 1 && h->body_len) {
			memcpy(h->out, cont, sizeof(cont) - 1);
			h->out_len = sizeof(cont) - 1;
			h->out_off = 0;
			h->gen_off = h->gen_end = 0;
			h->state = ST_SEND;
			h->next = ST_BODY;
		}
		return 0;
	}
	/* A body we do not read leaves the connection out of step. */
	if (has_body || (t.route == NB_ROUTE_ERROR && t.status == 400))
		h->close_after = true;
	if (t.route == NB_ROUTE_ERROR || t.route == NB_ROUTE_PAGE)
		return respond_target(h, &t);
	return respond(h, 200, "application/octet-stream", no_cache, t.size,
		       NULL, t.head ? 0 : t.size);
}

/* HEAD: parses what is buffered, reads more until a head is complete.
 * Returns 0 (state changed: a response queued, BODY, or DONE when the
 * client has gone: before a request is complete nothing is lost, so that
 * is not an error) or EPOLLIN (wait). Never fails. */
static int read_head(struct nb_h1 *h, uint64_t *moved, size_t *budget)
{
	struct nb_http1_req r;
	ssize_t n;

	if (h->in_off) {
		memmove(h->in, h->in + h->in_off, h->in_len - h->in_off);
		h->in_len -= h->in_off;
		h->in_off = 0;
	}
	for (;;) {
		if (h->in_len) {
			switch (nb_http1_parse(h->in, h->in_len, NB_H1_HEAD_MAX,
					       &r)) {
			case NB_HTTP1_COMPLETE:
				h->in_off = r.head_len;
				return on_request(h, &r);
			case NB_HTTP1_ERROR:
				h->close_after = true;
				return respond_error(h, r.status);
			case NB_HTTP1_MORE:
				break;
			}
		}
		if (!*budget)
			return EPOLLIN;
		n = nb_tls_recv(h->tls, h->in + h->in_len, sizeof(h->in) - h->in_len);
		if (n == -EAGAIN)
			return EPOLLIN;
		if (n <= 0) {
			/* Between requests (or inside a head: nothing done
			 * yet) the client may go as it likes. */
			h->state = ST_DONE;
			return 0;
		}
		h->in_len += (size_t)n;
		*moved += (uint64_t)n;
		*budget -= min_sz(*budget, (uint64_t)n);
	}
}

/* Counts and verifies body bytes, the first mismatch kept; or keeps a
 * result's (body_len is at most NB_HTTP_RESULT_MAX). */
static void body_take(struct nb_h1 *h, const uint8_t *p, size_t n)
{
	if (h->result)
		memcpy(h->post + h->body_got, p, n);
	else if (h->bad == UINT64_MAX)
		nb_payload_check(p, h->body_got, n, &h->bad);
	h->body_got += n;
}

/* BODY: the upload's (or result's) bytes, from what the head buffer holds,
 * then from TLS straight into the scratch buffer. Returns 0 (answer
 * queued: an upload is recorded, a result appended to the results file),
 * EPOLLIN, or -ECONNRESET when the client goes before the end. */
static int read_body(struct nb_h1 *h, uint64_t *moved, size_t *budget)
{
	struct nb_http_target t = {.route = NB_ROUTE_RESULT};
	char answer[NB_HTTP_ANSWER_MAX];
	size_t alen;
	int status;

	while (h->body_got < h->body_len) {
		uint64_t left = h->body_len - h->body_got;
		ssize_t n;

		if (h->in_off < h->in_len) {
			n = (ssize_t)min_sz(h->in_len - h->in_off, left);
			body_take(h, h->in + h->in_off, (size_t)n);
			h->in_off += (size_t)n;
			continue;
		}
		if (!*budget)
			return EPOLLIN;
		n = nb_tls_recv(h->tls, h->scratch, min_sz(h->scratch_len, left));
		if (n == -EAGAIN)
			return EPOLLIN;
		if (n <= 0)
			return body_lost(n, h->body_got, h->body_len);
		body_take(h, h->scratch, (size_t)n);
		*moved += (uint64_t)n;
		*budget -= min_sz(*budget, (uint64_t)n);
	}
	if (h->result) {
		h->result = false;
		nb_http_result_take(&t, h->results_fd, h->post,
				    (size_t)h->body_got);
		return respond_target(h, &t);
	}
	alen = nb_http_answer(answer, h->body_got, h->bad, &status);
	nb_http_upload_record(h->results_fd, answer, alen);
	return respond(h, status, "application/json", "", alen, answer, 0);
}

/* Consumes n bytes of the response that gnutls has taken. */
static void sent(struct nb_h1 *h, size_t n)
{
	size_t head = min_sz(h->out_len - h->out_off, n);

	h->out_off += head;
	h->gen_off += n - head;
}

/* SEND: hands the response to gnutls, a record at a time. Returns 0 (sent:
 * state is `next`), EPOLLOUT (socket full), -ECONNRESET or -EPROTO. */
static int send_response(struct nb_h1 *h, uint64_t *moved)
{
	for (;;) {
		size_t head = h->out_len - h->out_off, hp, bp;
		uint64_t gen = h->gen_end - h->gen_off;
		const uint8_t *p = (const uint8_t *)(h->big ? h->big : h->out) +
				   h->out_off;
		ssize_t n;

		if (!head && !gen) {
			free(h->big);
			h->big = NULL;
			h->out_len = h->out_off = 0;
			h->gen_off = h->gen_end = 0;
			h->state = h->next;
			return 0;
		}
		hp = min_sz(h->record, head);
		bp = min_sz(h->record - hp, gen);
		if (h->wpending) {
			n = gnutls_record_send(h->tls, NULL, 0);
		} else {
			if (bp) {
				memcpy(h->scratch, p, hp);
				nb_payload_fill(h->scratch + hp, h->gen_off, bp);
				p = h->scratch;
			}
			n = gnutls_record_send(h->tls, p, hp + bp);
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			h->wpending = true;
			if (n == GNUTLS_E_AGAIN)
				return EPOLLOUT;
			continue;
		}
		h->wpending = false;
		if (n < 0) {
			nb_tls_error((int)n);
			if (h->gen_end)
				return body_lost(n, h->gen_off, h->gen_end);
			return -ECONNRESET;
		}
		sent(h, (size_t)n);
		*moved += (uint64_t)n;
	}
}

int nb_h1_new(gnutls_session_t tls, int results_fd, uint8_t *scratch,
	      size_t scratch_len, struct nb_h1 **out)
{
	struct nb_h1 *h;
	size_t max = gnutls_record_get_max_size(tls);

	if (scratch_len < RECORD)
		return nb_fail(-EINVAL, "scratch buffer too small");
	h = calloc(1, sizeof(*h));
	if (!h)
		return nb_fail(-ENOMEM, "out of memory");
	h->tls = tls;
	h->results_fd = results_fd;
	h->scratch = scratch;
	h->scratch_len = scratch_len;
	h->record = max && max < RECORD ? max : RECORD;
	h->state = ST_HEAD;
	h->bad = UINT64_MAX;
	*out = h;
	return 0;
}

int nb_h1_run(struct nb_h1 *h, uint64_t *moved)
{
	size_t budget = READ_BUDGET;
	int rv;

	for (;;) {
		switch (h->state) {
		case ST_HEAD:
			rv = read_head(h, moved, &budget);
			break;
		case ST_BODY:
			rv = read_body(h, moved, &budget);
			break;
		case ST_SEND:
			rv = send_response(h, moved);
			break;
		case ST_DONE:
		default:
			return 0;
		}
		if (rv)
			return rv;
	}
}

void nb_h1_free(struct nb_h1 *h)
{
	if (h)
		free(h->big);
	free(h);
}
