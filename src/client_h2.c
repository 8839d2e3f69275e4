/* netbench: the HTTP/2 client, on nghttp2 over gnutls (see client_h2.h). */
#include "client_h2.h"
#include "client_xfer.h"

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
#include "tcp_cc.h"
#include "goodput.h"
#include "http_target.h"
#include "interrupt.h"
#include "payload.h"
#include "rcvlowat.h"
#include "thread.h"
#include "tls.h"

#define WINDOW (16 * 1024 * 1024)
/* Frames are pulled from nghttp2 while less than this is queued for TLS
 * (an upload's series counts body bytes as they are framed: they reach the
 * socket at most this much later). */
#define OUT_LOW (64 * 1024)
#define IN_BUF (64 * 1024)
/* TLS records read per turn before stop requests are looked at again. */
#define IN_BURST 64

struct h2c {
	struct nb_cxfer t;     /* progress, timing, answer (client_xfer.h) */
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
	bool closed;           /* the stream is closed ... */
	uint32_t close_code;   /* ... with this error code */
	bool eof;              /* the server closed the connection */
	struct nb_lowat lowat;
};

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
	const struct nb_xfer *x = c->t.x;
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
	rv = nb_tcp_cc_set(c->fd);
	if (rv)
		return rv;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS)
		return nb_fail(-errno, "connect to %s:%u: %s", x->server_addr,
			       x->port, strerror(errno));
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};

		rv = nb_cxfer_should_end(&c->t, c->fd);
		if (rv)
			return rv;
		if (poll(&p, 1, NB_POLL_MS) > 0)
			break;
	}
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		return nb_fail(-err, "connect to %s:%u: %s", x->server_addr,
			       x->port, strerror(err));
	c->t.last = nb_now();
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

	rv = nb_tls_client_creds(ca, &c->cred);
	if (rv)
		return rv;
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
	gnutls_session_set_verify_cert(c->tls, c->t.x->server_addr, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	return 0;
}

static int handshake(struct h2c *c, const char *pin)
{
	const struct nb_xfer *x = c->t.x;
	gnutls_datum_t proto = {0}, text = {0};
	char got[128];
	int rv;

	for (;;) {
		rv = gnutls_handshake(c->tls);
		if (rv == GNUTLS_E_SUCCESS)
			break;
		if (rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED) {
			rv = nb_cxfer_should_end(&c->t, c->fd);
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
	c->t.last = nb_now();
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
		c->t.status = atoi(v);
	}
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t sid,
		   const uint8_t *p, size_t len, void *ud)
{
	struct h2c *c = ud;
	long got;

	(void)s;
	(void)flags;
	if (sid != c->sid)
		return 0;
	got = nb_cxfer_take(&c->t, p, len, nb_now());
	if (got < 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (got) {
		nb_lowat_update(c->fd, &c->lowat, c->t.off,
				c->t.x->size - c->t.off);
		nb_lowat_set(c->fd, &c->lowat, c->lowat.want);
	}
	return 0;
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
	double now = nb_now();
	long got = nb_cxfer_give(&c->t, buf, len, now);

	(void)s;
	(void)sid;
	(void)src;
	if (got < 0)
		return NGHTTP2_ERR_DEFERRED;
	if (c->t.off == c->t.x->size)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	if (got)
		nb_cxfer_moved(&c->t, (uint64_t)got, c->t.off, now);
	return got;
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
	const struct nb_xfer *x = c->t.x;
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
			if (c->t.err)
				return c->t.err;
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
				       c->t.x->server_addr, c->t.x->port,
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
				       c->t.x->server_addr, c->t.x->port,
				       gnutls_strerror((int)n));
		}
		c->t.last = nb_now();
		m = nghttp2_session_mem_recv(c->h2, c->ibuf, (size_t)n);
		if (c->t.err)
			return c->t.err;
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
		rv = nb_cxfer_should_end(&c->t, c->fd);
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
				       (unsigned long long)c->t.off,
				       (unsigned long long)c->t.x->size,
				       c->t.x->dir == NB_DOWNLOAD ? "received"
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

/* What the server answered, checked: a stream that was not reset, then
 * as every client checks it. */
static int check_answer(struct h2c *c)
{
	const struct nb_xfer *x = c->t.x;

	if (c->close_code != NGHTTP2_NO_ERROR)
		return nb_fail(-EPROTO, "the server reset the stream: %s "
			       "(%llu of %llu body bytes %s)",
			       nghttp2_http2_strerror(c->close_code),
			       (unsigned long long)c->t.off,
			       (unsigned long long)x->size,
			       x->dir == NB_DOWNLOAD ? "received" : "sent");
	return nb_cxfer_check_answer(&c->t);
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
	struct h2c c = {.fd = -1, .lowat = NB_LOWAT_INIT};
	char ca[4096], pin[128];
	double cpu0 = nb_thread_cpu(), done;
	int rv;

	memset(r, 0, sizeof(*r));
	rv = nb_cxfer_init(&c.t, x, ca, sizeof(ca), pin, sizeof(pin));
	if (rv)
		return rv;
	c.t.last = nb_now();   /* the stall clock starts after the set-up */
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
	/* The request goes out now (with the connection preface); an upload's
	 * time starts at its first body byte instead. */
	if (!c.t.giving)
		nb_cxfer_start(&c.t, nb_now());
	rv = exchange(&c);
	done = nb_now();
	if (!rv)
		rv = check_answer(&c);
	if (rv)
		goto out;
	nb_cxfer_result(&c.t, done, r);
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
	r->client_cpu_s = nb_thread_cpu() - cpu0;
	return rv;
}
