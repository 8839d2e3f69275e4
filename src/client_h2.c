/* netbench: the HTTP/2 client, on nghttp2 over gnutls (see client_h2.h). */
#include "client_h2.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <nghttp2/nghttp2.h>

#include "error.h"
#include "goodput.h"
#include "http_target.h"
#include "interrupt.h"
#include "payload.h"
#include "rcvlowat.h"
#include "thread.h"
#include "tls.h"

#define STALL_S 30.0
#define WINDOW (16 * 1024 * 1024)
/* Frames are pulled from nghttp2 while less than this is queued for TLS
 * (an upload's series counts body bytes as they are framed: they reach the
 * socket at most this much later). */
#define OUT_LOW (64 * 1024)
#define IN_BUF (64 * 1024)
/* TLS records read per turn before stop requests are looked at again. */
#define IN_BURST 64

struct h2c {
	const struct nb_xfer *x;
	int fd;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t tls;
	nghttp2_session *h2;
	int32_t sid;
	/* Bytes framed by nghttp2, waiting for TLS: obuf[ohead, olen). */
	uint8_t *obuf;
	size_t ohead, olen, ocap;
	bool tls_again;        /* a record is half sent: resume with NULL, 0 */
	uint8_t *ibuf;
	int status;            /* :status of the last response HEADERS */
	bool closed;           /* the stream is closed ... */
	uint32_t close_code;   /* ... with this error code */
	bool eof;              /* the server closed the connection */
	uint64_t off;          /* body bytes verified (down) or framed (up) */
	double t0, t_end, last;
	uint64_t wire;         /* TCP bytes acked + received at the last look */
	bool reading;          /* the body generator has been called */
	struct nb_lowat lowat;
	int err;               /* the first failure a callback recorded */
	char body[NB_HTTP_ANSWER_MAX + 1];
	size_t blen;
	bool body_long;
};

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void h2c_fail(struct h2c *c, int rv)
{
	if (!c->err)
		c->err = rv;
}

static void moved(struct h2c *c, uint64_t n, double now)
{
	c->last = now;
	if (c->x->series)
		nb_series_add(c->x->series, now, n);
	if (c->x->progress)
		atomic_store(c->x->progress, c->off);
}

static bool abort_due(struct h2c *c)
{
	if (!c->x->abort_after || c->off < c->x->abort_after)
		return false;
	h2c_fail(c, nb_fail(-ECONNABORTED,
			    "client aborted after %llu bytes (fault injection)",
			    (unsigned long long)c->off));
	return true;
}

/* --- progress, stop requests ------------------------------------------ */

static uint64_t wire_bytes(const struct h2c *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_bytes_acked + ti.tcpi_bytes_received;
}

/* 0 while the transfer may go on; -ECANCELED, -EINTR, -ETIMEDOUT. Progress
 * is a body byte moved or, failing that, TCP bytes acked or received (a
 * full send buffer draining slowly). */
static int should_end(struct h2c *c)
{
	double now;
	uint64_t w;

	if (c->x->self && nb_thread_should_stop(c->x->self))
		return nb_fail(-ECANCELED, "transfer stopped");
	if (nb_interrupted())
		return nb_fail(-EINTR, "interrupted");
	now = nb_now();
	if (now - c->last <= 1.0)
		return 0;
	w = wire_bytes(c);
	if (w != c->wire) {
		c->wire = w;
		c->last = now;
		return 0;
	}
	if (now - c->last > STALL_S)
		return nb_fail(-ETIMEDOUT, "no progress for %.0f s (%llu of "
			       "%llu body bytes %s)", STALL_S,
			       (unsigned long long)c->off,
			       (unsigned long long)c->x->size,
			       c->x->dir == NB_DOWNLOAD ? "received" : "sent");
	return 0;
}

/* Waits up to NB_POLL_MS for `events` on the socket. */
static int wait_fd(struct h2c *c, short events, int timeout_ms)
{
	struct pollfd p = {.fd = c->fd, .events = events};

	if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		return nb_fail(-errno, "poll: %s", strerror(errno));
	return 0;
}

/* --- connection -------------------------------------------------------- */

static int tcp_connect(struct h2c *c)
{
	const struct nb_xfer *x = c->x;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(x->port)};
	socklen_t len = sizeof(int);
	int one = 1, err = 0, rv;

	if (inet_pton(AF_INET, x->server_addr, &sa.sin_addr) != 1)
		return nb_fail(-EINVAL, "not an IPv4 address: '%s'",
			       x->server_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return nb_fail(-errno, "socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS)
		return nb_fail(-errno, "connect to %s:%u: %s", x->server_addr,
			       x->port, strerror(errno));
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};

		rv = should_end(c);
		if (rv)
			return rv;
		if (poll(&p, 1, NB_POLL_MS) > 0)
			break;
	}
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		return nb_fail(-err, "connect to %s:%u: %s", x->server_addr,
			       x->port, strerror(err));
	c->last = nb_now();
	return 0;
}

/* The "sha256//<base64>" pin of the server's certificate's key. */
static int tls_setup(struct h2c *c, const char *ca)
{
	static const gnutls_datum_t alpn[2] = {
		{(unsigned char *)"h2", 2},
		{(unsigned char *)"http/1.1", 8},
	};
	int rv;

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		c->cred = NULL;
		return nb_fail(-ENOMEM, "gnutls: out of memory");
	}
	rv = gnutls_certificate_set_x509_trust_file(c->cred, ca,
						    GNUTLS_X509_FMT_PEM);
	if (rv <= 0)
		return nb_fail(-EINVAL, "%s: no CA certificate%s%s", ca,
			       rv < 0 ? ": " : "",
			       rv < 0 ? gnutls_strerror(rv) : "");
	if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
				 GNUTLS_NO_TICKETS) < 0) {
		c->tls = NULL;
		return nb_fail(-ENOMEM, "gnutls: out of memory");
	}
	if (gnutls_priority_set_direct(c->tls, NB_TLS_PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred) < 0 ||
	    gnutls_alpn_set_protocols(c->tls, alpn, 2, 0) < 0)
		return nb_fail(-EINVAL, "gnutls: cannot configure the session");
	/* An IP literal is checked against the certificate's IP SANs; no SNI
	 * (RFC 6066 has none for addresses). */
	gnutls_session_set_verify_cert(c->tls, c->x->server_addr, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	return 0;
}

static int handshake(struct h2c *c, const char *pin)
{
	const struct nb_xfer *x = c->x;
	gnutls_datum_t proto = {0}, text = {0};
	char got[128];
	int rv;

	for (;;) {
		rv = gnutls_handshake(c->tls);
		if (rv == GNUTLS_E_SUCCESS)
			break;
		if (rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED) {
			rv = should_end(c);
			if (!rv)
				rv = wait_fd(c, gnutls_record_get_direction(c->tls) ?
						POLLOUT : POLLIN, NB_POLL_MS);
			if (rv)
				return rv;
			continue;
		}
		if (!gnutls_error_is_fatal(rv))
			continue;
		if (rv == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_certificate_verification_status_print(
				gnutls_session_get_verify_cert_status(c->tls),
				GNUTLS_CRT_X509, &text, 0);
			rv = nb_fail(-EKEYREJECTED, "the server's certificate is "
				     "not trusted: %s", text.data ?
				     (const char *)text.data : "?");
			gnutls_free(text.data);
			return rv;
		}
		if (rv == GNUTLS_E_NO_APPLICATION_PROTOCOL)
			return nb_fail(-EPROTONOSUPPORT, "%s:%u does not speak "
				       "HTTP/2 (ALPN refused)", x->server_addr,
				       x->port);
		return nb_fail(-EPROTO, "TLS handshake with %s:%u: %s",
			       x->server_addr, x->port, gnutls_strerror(rv));
	}
	rv = nb_tls_peer_pin(c->tls, got, sizeof(got));
	if (rv)
		return rv;
	if (strcmp(got, pin))
		return nb_fail(-EKEYREJECTED, "the server's key (%s) does not "
			       "match the pin %s", got, pin);
	if (gnutls_alpn_get_selected_protocol(c->tls, &proto) ||
	    proto.size != 2 || memcmp(proto.data, "h2", 2))
		return nb_fail(-EPROTONOSUPPORT, "server answered over "
			       "HTTP/1.1, not HTTP/2 (ALPN: %.*s)",
			       proto.size ? (int)proto.size : 4,
			       proto.size ? (const char *)proto.data : "none");
	c->last = nb_now();
	return 0;
}

/* --- HTTP/2 ------------------------------------------------------------ */

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *ud)
{
	struct h2c *c = ud;
	char v[8];

	(void)s;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS || f->hd.stream_id != c->sid)
		return 0;
	if (nlen == 7 && !memcmp(name, ":status", 7) && vlen < sizeof(v)) {
		memcpy(v, value, vlen);
		v[vlen] = '\0';
		c->status = atoi(v);
	}
	return 0;
}

static void keep_body(struct h2c *c, const uint8_t *p, size_t len)
{
	size_t room = NB_HTTP_ANSWER_MAX - c->blen;

	if (len > room) {
		c->body_long = true;
		len = room;
	}
	memcpy(c->body + c->blen, p, len);
	c->blen += len;
	c->body[c->blen] = '\0';
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t sid,
		   const uint8_t *p, size_t len, void *ud)
{
	struct h2c *c = ud;
	double now = nb_now();
	uint64_t bad;

	(void)s;
	(void)flags;
	if (sid != c->sid)
		return 0;
	if (c->x->dir == NB_UPLOAD || c->status != 200) {
		keep_body(c, p, len);
		c->last = now;
		return 0;
	}
	if (c->x->abort_after && len > c->x->abort_after - c->off)
		len = (size_t)(c->x->abort_after - c->off);   /* then abort */
	if (len > c->x->size - c->off) {
		h2c_fail(c, nb_fail(-EPROTO, "server sent more than %llu bytes",
				    (unsigned long long)c->x->size));
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	if (nb_payload_check(p, c->off, len, &bad)) {
		h2c_fail(c, nb_fail(-EBADMSG, "payload mismatch at byte %llu",
				    (unsigned long long)bad));
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	c->off += len;
	c->t_end = now;
	moved(c, len, now);
	nb_lowat_update(c->fd, &c->lowat, c->off, c->x->size - c->off);
	nb_lowat_set(c->fd, &c->lowat, c->lowat.want);
	return abort_due(c) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int on_close(nghttp2_session *s, int32_t sid, uint32_t code, void *ud)
{
	struct h2c *c = ud;

	(void)s;
	if (sid == c->sid) {
		c->closed = true;
		c->close_code = code;
	}
	return 0;
}

/* The upload body, generated into nghttp2's DATA frame. */
static ssize_t gen_body(nghttp2_session *s, int32_t sid, uint8_t *buf,
			size_t len, uint32_t *flags, nghttp2_data_source *src,
			void *ud)
{
	struct h2c *c = ud;
	uint64_t left = c->x->size - c->off;
	double now = nb_now();

	(void)s;
	(void)sid;
	(void)src;
	if (c->err || abort_due(c))
		return NGHTTP2_ERR_DEFERRED;
	if (!c->reading) {
		/* The upload's time starts at its first body byte. */
		c->reading = true;
		c->t0 = now;
		if (c->x->series)
			c->x->series->t0 = now;
	}
	if (c->x->abort_after && c->x->abort_after - c->off < left)
		left = c->x->abort_after - c->off;
	if (len > left)
		len = (size_t)left;
	nb_payload_fill(buf, c->off, len);
	c->off += len;
	if (c->off == c->x->size)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	if (len)
		moved(c, len, now);
	return (ssize_t)len;
}

static int h2_setup(struct h2c *c)
{
	const nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, WINDOW},
	};
	nghttp2_session_callbacks *cbs;
	int rv;

	if (nghttp2_session_callbacks_new(&cbs))
		return nb_fail(-ENOMEM, "nghttp2: out of memory");
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
	rv = nghttp2_session_client_new(&c->h2, cbs, c);
	nghttp2_session_callbacks_del(cbs);
	if (rv) {
		c->h2 = NULL;
		return nb_fail(-ENOMEM, "nghttp2: %s", nghttp2_strerror(rv));
	}
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv,
				    sizeof(iv) / sizeof(iv[0])) ||
	    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0,
						  WINDOW))
		return nb_fail(-ENOMEM, "nghttp2: cannot submit SETTINGS");
	return 0;
}

#define NV(n, v)                                                               \
	{(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v),                \
	 NGHTTP2_NV_FLAG_NONE}

static int submit(struct h2c *c)
{
	const struct nb_xfer *x = c->x;
	char path[48], auth[64], clen[24];
	nghttp2_data_provider body = {.read_callback = gen_body};
	bool up = x->dir == NB_UPLOAD;

	snprintf(auth, sizeof(auth), "%s:%u", x->server_addr, x->port);
	if (up)
		snprintf(path, sizeof(path), "/upload");
	else
		snprintf(path, sizeof(path), "/bytes/%llu",
			 (unsigned long long)x->size);
	snprintf(clen, sizeof(clen), "%llu", (unsigned long long)x->size);

	nghttp2_nv nva[] = {
		NV(":method", up ? "PUT" : "GET"),
		NV(":scheme", "https"),
		NV(":authority", auth),
		NV(":path", path),
		NV("user-agent", "netbench"),
		NV("content-length", clen),   /* uploads only */
	};

	c->sid = nghttp2_submit_request(c->h2, NULL, nva, up ? 6 : 5,
					up ? &body : NULL, NULL);
	if (c->sid < 0)
		return nb_fail(-ENOMEM, "nghttp2_submit_request: %s",
			       nghttp2_strerror(c->sid));
	return 0;
}

/* --- I/O --------------------------------------------------------------- */

static int out_append(struct h2c *c, const uint8_t *p, size_t n)
{
	if (c->ohead && c->ocap - c->olen < n) {
		memmove(c->obuf, c->obuf + c->ohead, c->olen - c->ohead);
		c->olen -= c->ohead;
		c->ohead = 0;
	}
	if (c->ocap - c->olen < n) {
		size_t cap = c->ocap ? c->ocap : 2 * OUT_LOW;
		uint8_t *b;

		while (cap - c->olen < n)
			cap *= 2;
		b = realloc(c->obuf, cap);
		if (!b)
			return nb_fail(-ENOMEM, "out of memory");
		c->obuf = b;
		c->ocap = cap;
	}
	memcpy(c->obuf + c->olen, p, n);
	c->olen += n;
	return 0;
}

static bool out_pending(const struct h2c *c)
{
	return c->tls_again || c->ohead < c->olen;
}

/* Frames what nghttp2 has to send and writes it until TLS would block. */
static int pump_out(struct h2c *c)
{
	const uint8_t *p;
	ssize_t n;
	int rv;

	for (;;) {
		while (c->olen - c->ohead < OUT_LOW) {
			n = nghttp2_session_mem_send(c->h2, &p);
			if (c->err)
				return c->err;
			if (n < 0)
				return nb_fail(-EPROTO, "HTTP/2: %s",
					       nghttp2_strerror((int)n));
			if (!n)
				break;
			rv = out_append(c, p, (size_t)n);
			if (rv)
				return rv;
		}
		if (!out_pending(c))
			return 0;
		n = c->tls_again ? gnutls_record_send(c->tls, NULL, 0)
				 : gnutls_record_send(c->tls, c->obuf + c->ohead,
						      c->olen - c->ohead);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			c->tls_again = true;
			return 0;
		}
		if (n < 0)
			return nb_fail(-ECONNRESET, "TLS send to %s:%u: %s",
				       c->x->server_addr, c->x->port,
				       gnutls_strerror((int)n));
		c->tls_again = false;
		c->ohead += (size_t)n;
		if (c->ohead == c->olen)
			c->ohead = c->olen = 0;
	}
}

/* Reads what has arrived and hands it to nghttp2. *more: stopped early,
 * data may be buffered in gnutls already. */
static int pump_in(struct h2c *c, bool *more)
{
	ssize_t n, m;

	*more = false;
	for (int i = 0; i < IN_BURST; i++) {
		n = gnutls_record_recv(c->tls, c->ibuf, IN_BUF);
		if (n == GNUTLS_E_AGAIN)
			return 0;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			c->eof = true;
			return 0;
		}
		if (n < 0) {
			if (!gnutls_error_is_fatal((int)n))
				continue;
			return nb_fail(-ECONNRESET, "TLS receive from %s:%u: %s",
				       c->x->server_addr, c->x->port,
				       gnutls_strerror((int)n));
		}
		c->last = nb_now();
		m = nghttp2_session_mem_recv(c->h2, c->ibuf, (size_t)n);
		if (c->err)
			return c->err;
		if (m < 0)
			return nb_fail(-EPROTO, "HTTP/2: %s",
				       nghttp2_strerror((int)m));
		if (c->closed)
			return 0;
	}
	*more = true;
	return 0;
}

/* Runs the exchange until the stream is closed. */
static int exchange(struct h2c *c)
{
	bool more;
	int rv;

	for (;;) {
		rv = should_end(c);
		if (rv)
			return rv;
		rv = pump_in(c, &more);
		if (rv)
			return rv;
		if (c->closed)
			return 0;
		if (c->eof)
			return nb_fail(-EPROTO, "the server closed the connection "
				       "early (%llu of %llu body bytes %s)",
				       (unsigned long long)c->off,
				       (unsigned long long)c->x->size,
				       c->x->dir == NB_DOWNLOAD ? "received"
								: "sent");
		rv = pump_out(c);
		if (rv)
			return rv;
		if (!nghttp2_session_want_read(c->h2) &&
		    !nghttp2_session_want_write(c->h2) && !out_pending(c))
			return nb_fail(-EPROTO, "HTTP/2 session ended before "
				       "the answer");
		more = more || gnutls_record_check_pending(c->tls) > 0;
		rv = wait_fd(c, POLLIN | (out_pending(c) ? POLLOUT : 0),
			     more ? 0 : NB_POLL_MS);
		if (rv)
			return rv;
	}
}

/* What the server answered, checked. */
static int check_answer(struct h2c *c)
{
	const struct nb_xfer *x = c->x;
	char verdict[NB_HTTP_ANSWER_MAX];
	uint64_t bytes;
	bool ok;

	if (c->close_code != NGHTTP2_NO_ERROR)
		return nb_fail(-EPROTO, "the server reset the stream: %s "
			       "(%llu of %llu body bytes %s)",
			       nghttp2_http2_strerror(c->close_code),
			       (unsigned long long)c->off,
			       (unsigned long long)x->size,
			       x->dir == NB_DOWNLOAD ? "received" : "sent");
	if (x->dir == NB_DOWNLOAD) {
		if (c->status != 200)
			return nb_fail(-EPROTO, "server answered %d: %.*s",
				       c->status, (int)strcspn(c->body, "\r\n"),
				       c->body);
		if (c->off != x->size)
			return nb_fail(-EPROTO, "short transfer: %llu of %llu bytes",
				       (unsigned long long)c->off,
				       (unsigned long long)x->size);
		return 0;
	}
	if ((c->status != 200 && c->status != 422) || c->body_long ||
	    nb_http_answer_parse(c->body, c->blen, &bytes, &ok, verdict,
				 sizeof(verdict)))
		return nb_fail(-EPROTO, "server answered %d: %.*s", c->status,
			       (int)strcspn(c->body, "\r\n"), c->body);
	if (c->status == 422 || !ok)
		return nb_fail(-EBADMSG, "server verdict: %s (%llu of %llu bytes)",
			       verdict, (unsigned long long)bytes,
			       (unsigned long long)x->size);
	if (bytes != x->size)
		return nb_fail(-EPROTO, "server counted %llu of %llu bytes",
			       (unsigned long long)bytes,
			       (unsigned long long)x->size);
	return 0;
}

/* A polite end when the exchange went well: GOAWAY and close_notify, as
 * far as they go without waiting. */
static void goodbye(struct h2c *c)
{
	if (nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR) == 0)
		pump_out(c);
	if (!out_pending(c))
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
}

int nb_h2_transfer(const struct nb_xfer *x, struct nb_xfer_result *r)
{
	struct h2c c = {.x = x, .fd = -1, .lowat = NB_LOWAT_INIT};
	char ca[4096], pin[128];
	double cpu0 = thread_cpu(), done;
	int rv;

	memset(r, 0, sizeof(*r));
	if (x->size > NB_HTTP_MAX_SIZE)
		return nb_fail(-EINVAL, "size %llu: at most %llu",
			       (unsigned long long)x->size, NB_HTTP_MAX_SIZE);
	rv = nb_certs_path("ca.pem", ca, sizeof(ca));
	if (rv)
		return rv;
	if (access(ca, R_OK))
		return nb_fail(-errno, "cannot read %s: %s", ca, strerror(errno));
	rv = nb_tls_read_pin(pin, sizeof(pin));
	if (rv)
		return rv;
	c.last = nb_now();
	c.ibuf = malloc(IN_BUF);
	if (!c.ibuf) {
		rv = nb_fail(-ENOMEM, "out of memory");
		goto out;
	}
	rv = tcp_connect(&c);
	if (!rv)
		rv = tls_setup(&c, ca);
	if (!rv)
		rv = handshake(&c, pin);
	if (!rv)
		rv = h2_setup(&c);
	if (!rv)
		rv = submit(&c);
	if (rv)
		goto out;
	/* The request goes out now (with the connection preface). */
	c.t0 = nb_now();
	if (x->series)
		x->series->t0 = c.t0;
	rv = exchange(&c);
	done = nb_now();
	if (!rv)
		rv = check_answer(&c);
	if (rv)
		goto out;
	r->bytes = x->size;
	if (x->dir == NB_DOWNLOAD)
		r->seconds = (x->size ? c.t_end : done) - c.t0;
	else
		r->seconds = done - c.t0;
	goodbye(&c);
out:
	if (c.h2)
		nghttp2_session_del(c.h2);
	if (c.tls)
		gnutls_deinit(c.tls);
	if (c.cred)
		gnutls_certificate_free_credentials(c.cred);
	if (c.fd >= 0)
		close(c.fd);
	free(c.obuf);
	free(c.ibuf);
	r->client_cpu_s = thread_cpu() - cpu0;
	return rv;
}
