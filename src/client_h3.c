/* netbench: the HTTP/3 client, on the QUIC core of quic.c (see client_h3.h). */
#include "client_h3.h"
#include "client_xfer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>

#include "body_ring.h"
#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "quic.h"
#include "tls.h"

/* Datagrams (with UDP_GRO: trains of them) taken by one recvmmsg(). */
#define RX_SLOTS 16
/* Room for one slot: a GRO train is at most 64 KiB. */
#define RX_SLOT (64 * 1024)
/* recvmmsg() calls per turn before timers, writes and stop requests. */
#define RX_ROUNDS 8
/* Upload body bytes handed to nghttp3 per call: what it sends soon, so
 * that the series counts bytes about when they leave. */
#define UP_CHUNK (64 * 1024)

struct h3c {
	struct nb_quic q;      /* first: nghttp3's conn_user_data is &q */
	struct nb_cxfer t;     /* progress, timing, answer (client_xfer.h) */
	int fd;
	struct sockaddr_in peer;
	gnutls_certificate_credentials_t cred;
	struct nb_ring ring;   /* upload body bytes not acknowledged yet */
	int64_t sid;           /* the request stream, -1 before it */
	bool waiting;          /* the body waits for ring space (WOULDBLOCK) */
	bool ended;            /* the response is complete ... */
	double t_answer;       /* ... since then */
	bool closed;           /* the stream is closed ... */
	uint64_t close_code;   /* ... with this HTTP/3 error code */
	uint8_t *rx;           /* RX_SLOTS x RX_SLOT */
};

static struct h3c *of(void *conn_user_data)
{
	return conn_user_data;   /* struct nb_quic is the first member */
}

/* --- HTTP/3 (nghttp3 callbacks) ------------------------------------------ */

static int on_header(nghttp3_conn *h3, int64_t sid, int32_t token,
		     nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
		     void *ud, void *sud)
{
	struct h3c *c = of(ud);
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
	char s[8];

	(void)h3;
	(void)name;
	(void)flags;
	(void)sud;
	if (sid != c->sid || token != NGHTTP3_QPACK_TOKEN__STATUS ||
	    v.len >= sizeof(s))
		return 0;
	memcpy(s, v.base, v.len);
	s[v.len] = '\0';
	c->t.status = atoi(s);
	return 0;
}

/* Response body: verified and counted (a download's payload) or kept (an
 * answer), and its flow-control credit returned. A failure is recorded
 * (with its message) for the exchange loop, which ends the connection: no
 * callback of ours fails nghttp3. */
static int on_data(nghttp3_conn *h3, int64_t sid, const uint8_t *p,
		   size_t len, void *ud, void *sud)
{
	struct h3c *c = of(ud);

	(void)h3;
	(void)sud;
	if (sid == c->sid && !c->t.err)
		nb_cxfer_take(&c->t, p, len, nb_now());
	nb_quic_consumed(&c->q, sid, len);
	return 0;
}

static int on_end_stream(nghttp3_conn *h3, int64_t sid, void *ud, void *sud)
{
	struct h3c *c = of(ud);

	(void)h3;
	(void)sud;
	if (sid == c->sid && !c->ended) {
		c->ended = true;
		c->t_answer = nb_now();
	}
	return 0;
}

static int on_stream_close(nghttp3_conn *h3, int64_t sid, uint64_t code,
			   void *ud, void *sud)
{
	struct h3c *c = of(ud);

	(void)h3;
	(void)sud;
	if (sid == c->sid) {
		c->closed = true;
		c->close_code = code;
	}
	return 0;
}

/* The server acknowledged body bytes: their ring space is free again, and
 * a body waiting for it goes on (at every acknowledgement, not once all
 * is acknowledged: curl#14198). */
static int on_acked(nghttp3_conn *h3, int64_t sid, uint64_t n, void *ud,
		    void *sud)
{
	struct h3c *c = of(ud);

	(void)sud;
	if (sid != c->sid)
		return 0;
	if (nb_ring_release(&c->ring, n)) {
		nb_cxfer_fail(&c->t, -EPROTO);
		return 0;
	}
	c->t.last = nb_now();
	if (c->waiting && nghttp3_conn_resume_stream(h3, sid) == 0)
		c->waiting = false;
	return 0;
}

/* The upload body, generated into the ring's free space (nghttp3 keeps
 * pointing at it until the server acknowledges it). */
static nghttp3_ssize gen_body(nghttp3_conn *h3, int64_t sid, nghttp3_vec *vec,
			      size_t veccnt, uint32_t *flags, void *ud,
			      void *sud)
{
	struct h3c *c = of(ud);
	double now = nb_now();
	size_t room;
	uint8_t *p = nb_ring_space(&c->ring, &room);
	long got;

	(void)h3;
	(void)sid;
	(void)sud;
	if (!veccnt)
		return 0;
	if (!room && c->t.off < c->t.x->size) {
		c->waiting = true;
		return NGHTTP3_ERR_WOULDBLOCK;
	}
	got = nb_cxfer_give(&c->t, p, room < UP_CHUNK ? room : UP_CHUNK, now);
	if (got < 0)   /* recorded: the exchange loop ends it */
		return NGHTTP3_ERR_WOULDBLOCK;
	if (c->t.off == c->t.x->size)
		*flags |= NGHTTP3_DATA_FLAG_EOF;
	if (!got)
		return 0;
	nb_ring_commit(&c->ring, (size_t)got);
	nb_cxfer_moved(&c->t, (uint64_t)got, c->t.off, now);
	vec[0].base = p;
	vec[0].len = (size_t)got;
	return 1;
}

static const nghttp3_callbacks h3_callbacks = {
	.acked_stream_data = on_acked,
	.stream_close = on_stream_close,
	.recv_data = on_data,
	.recv_header = on_header,
	.end_stream = on_end_stream,
};

#define NV(n, v)                                                               \
	{(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v),                \
	 NGHTTP3_NV_FLAG_NONE}

/* The request, once the handshake is complete (the pin checked). Errors:
 * -EPROTO (no HTTP/3 connection, no stream granted), -ENOMEM. */
static int request(struct h3c *c)
{
	struct nb_quic *q = &c->q;
	const struct nb_xfer *x = c->t.x;
	char path[48], auth[64], clen[24];
	nghttp3_data_reader body = {.read_data = gen_body};
	bool up = x->dir == NB_UPLOAD;
	int rv;

	if (!q->h3)
		return nb_fail(-EPROTO, "HTTP/3: no connection after the "
			       "handshake");
	rv = ngtcp2_conn_open_bidi_stream(q->conn, &c->sid, NULL);
	if (rv)
		return nb_fail(-EPROTO, "%s:%u grants no request stream: %s",
			       x->server_addr, x->port, ngtcp2_strerror(rv));
	snprintf(auth, sizeof(auth), "%s:%u", x->server_addr, x->port);
	if (up)
		snprintf(path, sizeof(path), "/upload");
	else
		snprintf(path, sizeof(path), "/bytes/%llu",
			 (unsigned long long)x->size);
	snprintf(clen, sizeof(clen), "%llu", (unsigned long long)x->size);

	const nghttp3_nv nva[] = {
		NV(":method", up ? "PUT" : "GET"),
		NV(":scheme", "https"),
		NV(":authority", auth),
		NV(":path", path),
		NV("user-agent", "netbench"),
		NV("content-length", clen),   /* uploads only */
	};

	rv = nghttp3_conn_submit_request(q->h3, c->sid, nva, up ? 6 : 5,
					 up ? &body : NULL, NULL);
	if (rv)
		return nb_fail(-ENOMEM, "nghttp3_conn_submit_request: %s",
			       nghttp3_strerror(rv));
	/* The request goes out with the next write; an upload's time starts
	 * at its first body byte instead. */
	if (!up)
		nb_cxfer_start(&c->t, nb_now());
	return 0;
}

/* ops.handshake_done: a failure is recorded for the exchange loop. */
static int submit(struct nb_quic *q)
{
	struct h3c *c = of(q);
	int rv = request(c);

	if (rv)
		nb_cxfer_fail(&c->t, rv);
	return 0;
}

static const struct nb_quic_ops ops = {
	.server = false,
	.h3_callbacks = &h3_callbacks,
	.handshake_done = submit,
};

/* --- socket and connection ---------------------------------------------- */

static int udp_connect(struct h3c *c, struct sockaddr_in *local)
{
	const struct nb_xfer *x = c->t.x;
	socklen_t len = sizeof(*local);
	int one = 1, rv;

	c->peer.sin_family = AF_INET;
	c->peer.sin_port = htons(x->port);
	if (inet_pton(AF_INET, x->server_addr, &c->peer.sin_addr) != 1)
		return nb_fail(-EINVAL, "not an IPv4 address: '%s'",
			       x->server_addr);
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return nb_fail(-errno, "socket: %s", strerror(errno));
	rv = nb_udp_tune(c->fd);
	if (rv)
		return rv;
	/* Trains of datagrams in one receive (kernels without it: one by one). */
	setsockopt(c->fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&c->peer, sizeof(c->peer)) ||
	    getsockname(c->fd, (struct sockaddr *)local, &len))
		return nb_fail(-errno, "UDP to %s:%u: %s", x->server_addr,
			       x->port, strerror(errno));
	return 0;
}

static int quic_setup(struct h3c *c, const char *ca, const char *pin)
{
	struct sockaddr_in local;
	int rv;

	rv = udp_connect(c, &local);
	if (rv)
		return rv;
	rv = nb_tls_client_creds(ca, &c->cred);
	if (rv)
		return rv;
	return nb_quic_init(&c->q, &ops, c->fd, (struct sockaddr *)&local,
			    sizeof(local), (struct sockaddr *)&c->peer,
			    sizeof(c->peer), NULL, NGTCP2_CC_ALGO_CUBIC,
			    c->cred, pin);
}

/* --- I/O ------------------------------------------------------------------ */

/* The segment size of a GRO train (its length when there is none). */
static size_t gro_segment(struct msghdr *m, size_t len)
{
	struct cmsghdr *cm;
	int seg;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			return seg > 0 ? (size_t)seg : len;
		}
	return len;
}

/* Hands one datagram (or train) to the connection. */
static int take_in(struct h3c *c, struct msghdr *m, size_t len,
		   ngtcp2_tstamp now)
{
	const uint8_t *p = m->msg_iov->iov_base;
	size_t seg = gro_segment(m, len), n;
	int rv;

	for (size_t off = 0; off < len; off += n) {
		n = len - off < seg ? len - off : seg;
		rv = nb_quic_read(&c->q, (struct sockaddr *)&c->peer,
				  sizeof(c->peer), p + off, n, now);
		if (c->t.err)
			return c->t.err;
		if (rv == -ECONNRESET && (c->ended || c->closed))
			return 0;   /* the answer came before the close */
		if (rv && c->q.failed)   /* the pin, the CA, ... */
			return c->q.failed;
		if (rv == -ECONNABORTED)   /* we closed it, not fault injection */
			return -EPROTO;
		if (rv)
			return rv;
	}
	return 0;
}

/* Reads what has arrived. *more: stopped early with data left. Errors:
 * those of nb_quic_read, of the callbacks, -ECONNREFUSED. */
static int receive(struct h3c *c, bool *more)
{
	struct mmsghdr mm[RX_SLOTS];
	struct iovec iov[RX_SLOTS];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl[RX_SLOTS];
	const struct nb_xfer *x = c->t.x;
	ngtcp2_tstamp now;
	int n, rv;

	*more = false;
	for (int round = 0; round < RX_ROUNDS; round++) {
		for (int i = 0; i < RX_SLOTS; i++) {
			iov[i].iov_base = c->rx + (size_t)i * RX_SLOT;
			iov[i].iov_len = RX_SLOT;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		n = recvmmsg(c->fd, mm, RX_SLOTS, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ECONNREFUSED)
				return nb_fail(-ECONNREFUSED, "%s:%u (UDP): "
					       "Connection refused",
					       x->server_addr, x->port);
			return nb_fail(-errno, "recvmmsg: %s", strerror(errno));
		}
		now = nb_quic_now();
		for (int i = 0; i < n; i++) {
			rv = take_in(c, &mm[i].msg_hdr, mm[i].msg_len, now);
			if (rv)
				return rv;
		}
		if (n < RX_SLOTS)
			return 0;
	}
	*more = true;
	return 0;
}

/* Sleeps until input, room to send (when tx is waiting), the next timer
 * or NB_POLL_MS, whichever comes first; not at all when `now_again`.
 * ppoll: the timer to the nanosecond, as ngtcp2 sets it (pacing gaps
 * are a fraction of a millisecond at Gbit/s). */
static int wait_io(struct h3c *c, bool want_out, bool now_again)
{
	struct pollfd p = {.fd = c->fd,
			   .events = POLLIN | (want_out ? POLLOUT : 0)};
	ngtcp2_tstamp now = nb_quic_now(), exp = nb_quic_expiry(&c->q);
	uint64_t ns = (uint64_t)NB_POLL_MS * 1000000;
	struct timespec ts;

	if (now_again || exp <= now)
		ns = 0;
	else if (exp - now < ns)
		ns = exp - now;
	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR)
		return nb_fail(-errno, "ppoll: %s", strerror(errno));
	return 0;
}

/* Runs the connection until the response is complete or the stream is
 * closed. */
static int exchange(struct h3c *c)
{
	ngtcp2_tstamp now;
	bool more;
	int rv;

	for (;;) {
		rv = nb_cxfer_should_end(&c->t, -1);
		if (rv)
			return rv;
		rv = receive(c, &more);
		if (rv)
			return rv;
		if (c->ended || c->closed)
			return 0;
		now = nb_quic_now();
		if (nb_quic_expiry(&c->q) <= now)
			rv = nb_quic_expire(&c->q, now);   /* writes too */
		else
			rv = nb_quic_write(&c->q, now);
		if (c->t.err)
			return c->t.err;
		if (rv && rv != -EAGAIN)
			return rv;
		rv = wait_io(c, nb_quic_tx_pending(&c->q), more);
		if (rv)
			return rv;
	}
}

/* What the server answered, checked: a stream that was not reset, then
 * as every client checks it. */
static int check_answer(struct h3c *c)
{
	const struct nb_xfer *x = c->t.x;

	if (!c->ended && c->close_code != NGHTTP3_H3_NO_ERROR)
		return nb_fail(-EPROTO, "the server reset the stream: HTTP/3 "
			       "error 0x%llx (%llu of %llu body bytes %s)",
			       (unsigned long long)c->close_code,
			       (unsigned long long)c->t.off,
			       (unsigned long long)x->size,
			       x->dir == NB_DOWNLOAD ? "received" : "sent");
	return nb_cxfer_check_answer(&c->t);
}

/* Closes the connection unless it is gone already (or must be dropped:
 * fault injection): CONNECTION_CLOSE with H3_NO_ERROR after a transfer,
 * H3_REQUEST_CANCELLED after a failure. The failure's message is kept. */
static void goodbye(struct h3c *c, int err)
{
	char why[256];

	if (!c->q.conn || c->q.closing || c->q.draining || err == -ECONNABORTED)
		return;
	snprintf(why, sizeof(why), "%s", nb_lasterr());
	nb_quic_close(&c->q, err ? NGHTTP3_H3_REQUEST_CANCELLED : 0,
		      nb_quic_now());
	if (err)
		nb_fail(err, "%s", why);
}

int nb_h3_transfer(const struct nb_xfer *x, struct nb_xfer_result *r)
{
	struct h3c c = {.fd = -1, .sid = -1};
	char ca[4096], pin[128];
	double cpu0 = nb_thread_cpu(), done;
	int rv;

	memset(r, 0, sizeof(*r));
	rv = nb_cxfer_init(&c.t, x, ca, sizeof(ca), pin, sizeof(pin));
	if (rv)
		return rv;
	c.rx = malloc((size_t)RX_SLOTS * RX_SLOT);
	if (!c.rx) {
		rv = nb_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (x->dir == NB_UPLOAD) {
		rv = nb_ring_init(&c.ring, 2 * (size_t)NB_QUIC_WINDOW);
		if (rv)
			goto out;
	}
	rv = quic_setup(&c, ca, pin);
	if (rv)
		goto out;
	c.t.last = nb_now();   /* the stall clock starts after the set-up */
	rv = nb_quic_write(&c.q, nb_quic_now());   /* the Initial */
	if (!rv || rv == -EAGAIN)
		rv = exchange(&c);
	done = c.ended ? c.t_answer : nb_now();
	if (!rv)
		rv = check_answer(&c);
	if (!rv)
		nb_cxfer_result(&c.t, done, r);
	goodbye(&c, rv);
out:
	nb_quic_free(&c.q);
	if (c.cred)
		gnutls_certificate_free_credentials(c.cred);
	if (c.fd >= 0)
		close(c.fd);
	nb_ring_free(&c.ring);
	free(c.rx);
	r->client_cpu_s = nb_thread_cpu() - cpu0;
	return rv;
}
