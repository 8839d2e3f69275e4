/* netbench: the HTTP/3 server (see server_h3.h).
 *
 * Demultiplexing: every connection ID a connection answers to (each SCID
 * it issued, and the client's original DCID) is a key of one hash table.
 * A datagram whose DCID is not there is either an acceptable Initial
 * (ngtcp2_accept: a new connection, up to MAX_CONNS) or dropped: garbage
 * and unknown short-header packets cost a header decode and a lookup,
 * never state, never an answer. Long headers of an unknown version that
 * are at least 1200 bytes get a Version Negotiation (stateless, never
 * larger than what came in).
 *
 * The loop: datagrams are read in batches (recvmmsg) until the socket is
 * empty or READ_BUDGET is spent; each connection that received something
 * then writes once (ACK processing is batched, and one write round is one
 * send quantum, GSO-batched by quic_io.c). Then the timers: every
 * connection whose expiry (loss detection, ACK delay, pacing slot, idle,
 * closing period) has come runs; the earliest next expiry is the epoll
 * timeout, with nanosecond precision (epoll_pwait2): pacing slots are
 * microseconds apart on a fast link, and a timeout rounded up to the next
 * millisecond would cap the rate.
 */
#include "server_h3.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "error.h"
#include "interrupt.h"
#include "quic.h"
#include "server_h3_req.h"
#include "spawn.h"
#include "tls.h"

#define MAX_CONNS 512
#define BUCKETS 4096             /* connection-ID table, a power of 2 */
#define RX_BATCH 64              /* datagrams per recvmmsg */
#define RX_BUF 2048              /* larger than any datagram we accept */
#define READ_BUDGET 1024         /* datagrams per loop turn, then timers */
#define VN_MIN 1200              /* RFC 9000 §6: answer only that large */
#define LINGER_MS 1000           /* closing periods after SIGTERM, at most */

struct cid_entry {
	struct cid_entry *next;      /* in its bucket */
	struct cid_entry *cnext;     /* of its connection */
	struct conn *c;
	ngtcp2_cid cid;
};

struct conn {
	struct nb_quic q;            /* first: quic.c callbacks cast */
	struct server *srv;
	struct conn *prev, *next;
	struct conn *dirty_next;
	bool dirty;                  /* received: write once the batch is in */
	bool ended;                  /* its end was seen (and logged) */
	struct cid_entry *cids;
	struct nb_h3_reqs reqs;
	char peer[INET_ADDRSTRLEN + 8];
};

struct server {
	int fd, epfd;
	int results_fd;              /* POST /result (http_target.h); -1 */
	struct sockaddr_in local;
	gnutls_certificate_credentials_t cred;
	ngtcp2_cc_algo cc;
	struct conn *conns, *dirty;
	size_t nconns;
	uint32_t events;             /* registered for fd */
	bool no_pwait2;              /* epoll_pwait2 said ENOSYS */
	uint64_t seed;
	struct cid_entry *table[BUCKETS];
	uint8_t (*rx)[RX_BUF];       /* RX_BATCH buffers */
};

/* --- connection IDs ---------------------------------------------------- */

/* FNV-1a, seeded: the original DCID is the client's choice. */
static size_t cid_hash(const struct server *srv, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ srv->seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32)) & (BUCKETS - 1);
}

static struct conn *cid_find(const struct server *srv, const uint8_t *p,
			     size_t n)
{
	for (struct cid_entry *e = srv->table[cid_hash(srv, p, n)]; e;
	     e = e->next)
		if (e->cid.datalen == n && !memcmp(e->cid.data, p, n))
			return e->c;
	return NULL;
}

/* The routing key of a client's address and port, for packets whose
 * destination connection ID is empty (ours are, see NB_QUIC_SCIDLEN): 6
 * bytes, shorter than any client-chosen Initial DCID (8 at least), so the
 * two kinds of key never meet. */
static ngtcp2_cid addr_key(const struct sockaddr_in *from)
{
	ngtcp2_cid k = {.datalen = 6};

	memcpy(k.data, &from->sin_addr, 4);
	memcpy(k.data + 4, &from->sin_port, 2);
	return k;
}

/* Errors: -ENOMEM (the ID does not route; its packets are dropped). */
static int cid_add(struct conn *c, const ngtcp2_cid *cid)
{
	struct server *srv = c->srv;
	struct cid_entry *e = malloc(sizeof(*e));
	size_t b;

	if (!e)
		return nb_fail(-ENOMEM, "out of memory");
	b = cid_hash(srv, cid->data, cid->datalen);
	e->cid = *cid;
	e->c = c;
	e->next = srv->table[b];
	srv->table[b] = e;
	e->cnext = c->cids;
	c->cids = e;
	return 0;
}

/* Unlinks e from its bucket and its connection, frees it. */
static void cid_drop(struct server *srv, struct cid_entry *e)
{
	struct cid_entry **pp = &srv->table[cid_hash(srv, e->cid.data,
						     e->cid.datalen)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	for (pp = &e->c->cids; *pp && *pp != e; pp = &(*pp)->cnext)
		;
	if (*pp)
		*pp = e->cnext;
	free(e);
}

/* Errors: -EEXIST (the ID routes elsewhere already), -ENOMEM. */
static int on_cid_added(struct nb_quic *q, const ngtcp2_cid *cid)
{
	struct conn *c = (struct conn *)q;

	if (cid_find(c->srv, cid->data, cid->datalen))
		return -EEXIST;
	return cid_add(c, cid);
}

static void on_cid_removed(struct nb_quic *q, const ngtcp2_cid *cid)
{
	struct conn *c = (struct conn *)q;

	for (struct cid_entry *e = c->cids; e; e = e->cnext) {
		if (ngtcp2_cid_eq(&e->cid, cid)) {
			cid_drop(c->srv, e);
			return;
		}
	}
}

static const struct nb_quic_ops ops = {
	.server = true,
	.h3_callbacks = &nb_h3_req_callbacks,
	.cid_added = on_cid_added,
	.cid_removed = on_cid_removed,
};

/* --- connections ------------------------------------------------------- */

static void conn_free(struct server *srv, struct conn *c)
{
	while (c->cids)
		cid_drop(srv, c->cids);
	nb_quic_free(&c->q);
	nb_h3_req_free_all(&c->reqs);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c);
}

/* The peer closed the connection without an error: whatever it had
 * asked for, it has what it wanted (the last ACKs may still be on their
 * way). */
static bool peer_closed_cleanly(struct conn *c)
{
	ngtcp2_connection_close_error e;

	if (!c->q.draining)
		return false;
	ngtcp2_conn_get_connection_close_error(c->q.conn, &e);
	if (e.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION)
		return e.error_code == NGHTTP3_H3_NO_ERROR;
	return e.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT &&
	       e.error_code == NGTCP2_NO_ERROR;
}

/* The connection failed or was closed (rv, nb_lasterr() saying why): one
 * log line if a body was under way (unless the client closed without an
 * error) or if it was not a plain close. */
static void conn_ended(struct conn *c, int rv)
{
	char what[128];

	if (c->ended)
		return;
	c->ended = true;
	if (rv == -ECONNRESET && peer_closed_cleanly(c))
		return;
	if (nb_h3_req_unfinished(&c->reqs, what, sizeof(what)))
		fprintf(stderr, "netbench serve: %s: connection closed %s: %s\n",
			c->peer, what, nb_lasterr());
	else if (rv != -ECONNRESET && rv != -ETIMEDOUT)
		fprintf(stderr, "netbench serve: %s: %s\n", c->peer,
			nb_lasterr());
}

static void mark_dirty(struct server *srv, struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->dirty_next = srv->dirty;
	srv->dirty = c;
}

/* A datagram for c. */
static void conn_input(struct server *srv, struct conn *c,
		       const struct sockaddr *from, socklen_t fromlen,
		       const uint8_t *pkt, size_t len, ngtcp2_tstamp now)
{
	int rv = nb_quic_read(&c->q, from, fromlen, pkt, len, now);

	if (rv)
		conn_ended(c, rv);
	else
		mark_dirty(srv, c);
}

/* A new connection for an acceptable Initial; quietly nothing when the
 * cap is reached or memory is short. */
static void conn_new(struct server *srv, const ngtcp2_pkt_hd *hd,
		     const struct sockaddr_in *from, const uint8_t *pkt,
		     size_t len, ngtcp2_tstamp now)
{
	ngtcp2_cid scid[8];
	struct conn *c;
	char ip[INET_ADDRSTRLEN] = "?";
	size_t n;

	if (srv->nconns >= MAX_CONNS)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	c->reqs.q = &c->q;
	c->reqs.peer = c->peer;
	c->reqs.results_fd = srv->results_fd;
	c->q.app = &c->reqs;
	inet_ntop(AF_INET, &from->sin_addr, ip, sizeof(ip));
	snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, ntohs(from->sin_port));
	if (nb_quic_init(&c->q, &ops, srv->fd,
			 (const struct sockaddr *)&srv->local,
			 sizeof(srv->local), (const struct sockaddr *)from,
			 sizeof(*from), hd, srv->cc, srv->cred, NULL)) {
		fprintf(stderr, "netbench serve: %s: %s\n", c->peer,
			nb_lasterr());
		free(c);
		return;
	}
	/* The keys this connection is found by: its connection IDs (empty
	 * ones stand for the client's address and port). One that routes
	 * elsewhere already (a client port reused while its old connection
	 * closes, or a drawn ID taken) loses this Initial; the client's next
	 * one comes later or draws again. */
	n = ngtcp2_conn_get_num_scid(c->q.conn);
	if (n > sizeof(scid) / sizeof(scid[0]))
		n = 0;
	if (n)
		ngtcp2_conn_get_scid(c->q.conn, scid);
	if (!n)
		scid[n++].datalen = 0;       /* no ID of ours at all */
	for (size_t i = 0; i < n; i++) {
		if (!scid[i].datalen)
			scid[i] = addr_key(from);
		if (cid_find(srv, scid[i].data, scid[i].datalen)) {
			nb_quic_free(&c->q);
			free(c);
			return;
		}
	}
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	for (size_t i = 0; i < n; i++)
		cid_add(c, &scid[i]);
	cid_add(c, &hd->dcid);
	conn_input(srv, c, (const struct sockaddr *)from, sizeof(*from), pkt,
		   len, now);
}

/* --- datagrams --------------------------------------------------------- */

static void version_negotiation(struct server *srv, const ngtcp2_version_cid *vc,
				const struct sockaddr_in *from)
{
	static const uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
	uint8_t buf[256], rnd = 0;
	ngtcp2_ssize n;

	gnutls_rnd(GNUTLS_RND_NONCE, &rnd, 1);
	n = ngtcp2_pkt_write_version_negotiation(buf, sizeof(buf), rnd,
						 vc->scid, vc->scidlen,
						 vc->dcid, vc->dcidlen, versions,
						 1);
	if (n > 0)
		sendto(srv->fd, buf, (size_t)n, MSG_DONTWAIT,
		       (const struct sockaddr *)from, sizeof(*from));
}

static void on_datagram(struct server *srv, const uint8_t *pkt, size_t len,
			const struct sockaddr_in *from, ngtcp2_tstamp now)
{
	ngtcp2_version_cid vc;
	ngtcp2_pkt_hd hd;
	struct conn *c;
	int rv;

	rv = ngtcp2_pkt_decode_version_cid(&vc, pkt, len, NB_QUIC_SCIDLEN);
	if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
		if (len >= VN_MIN)
			version_negotiation(srv, &vc, from);
		return;
	}
	if (rv)
		return;
	if (vc.dcidlen) {
		c = cid_find(srv, vc.dcid, vc.dcidlen);
	} else {
		ngtcp2_cid k = addr_key(from);

		c = cid_find(srv, k.data, k.datalen);
	}
	if (c) {
		conn_input(srv, c, (const struct sockaddr *)from,
			   sizeof(*from), pkt, len, now);
		return;
	}
	if (!(pkt[0] & 0x80) || ngtcp2_accept(&hd, pkt, len) ||
	    hd.type != NGTCP2_PKT_INITIAL)
		return;
	conn_new(srv, &hd, from, pkt, len, now);
}

/* Each connection that received datagrams writes once. */
static void write_dirty(struct server *srv, ngtcp2_tstamp now)
{
	while (srv->dirty) {
		struct conn *c = srv->dirty;
		int rv;

		srv->dirty = c->dirty_next;
		c->dirty = false;
		rv = nb_quic_write(&c->q, now);
		if (rv && rv != -EAGAIN)
			conn_ended(c, rv);
	}
}

/* Reads datagrams until the socket is empty or the budget is spent. */
static void read_all(struct server *srv)
{
	struct sockaddr_in from[RX_BATCH];
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];

	for (int done = 0; done < READ_BUDGET;) {
		ngtcp2_tstamp now;
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = srv->rx[i];
			iov[i].iov_len = RX_BUF;
			mm[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
			};
		}
		n = recvmmsg(srv->fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		now = nb_quic_now();
		for (int i = 0; i < n; i++) {
			if ((mm[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    mm[i].msg_hdr.msg_namelen != sizeof(from[i]) ||
			    from[i].sin_family != AF_INET || !mm[i].msg_len)
				continue;
			on_datagram(srv, srv->rx[i], mm[i].msg_len, &from[i],
				    now);
		}
		write_dirty(srv, now);
		done += n;
		if (n < RX_BATCH)
			return;
	}
}

/* --- the loop ---------------------------------------------------------- */

/* Runs due timers, frees finished connections, and says when the next
 * timer is due and whether some connection waits for the socket. */
static ngtcp2_tstamp run_timers(struct server *srv, ngtcp2_tstamp now,
				bool *want_out)
{
	ngtcp2_tstamp next = UINT64_MAX, t;
	struct conn *c, *cnext;

	*want_out = false;
	for (c = srv->conns; c; c = cnext) {
		int rv;

		cnext = c->next;
		if (nb_quic_expiry(&c->q) <= now) {
			rv = nb_quic_expire(&c->q, now);
			if (rv)
				conn_ended(c, rv);
		}
		if (nb_quic_done(&c->q, now)) {
			conn_free(srv, c);
			continue;
		}
		if (nb_quic_tx_pending(&c->q))
			*want_out = true;
		t = nb_quic_expiry(&c->q);
		if (t < next)
			next = t;
	}
	return next;
}

/* The socket accepts datagrams again: the connections waiting write. */
static void write_blocked(struct server *srv)
{
	ngtcp2_tstamp now = nb_quic_now();

	for (struct conn *c = srv->conns; c; c = c->next) {
		int rv;

		if (!nb_quic_tx_pending(&c->q))
			continue;
		rv = nb_quic_write(&c->q, now);
		if (rv == -EAGAIN)
			return;
		if (rv)
			conn_ended(c, rv);
	}
}

/* Errors: negative errno of epoll_ctl. */
static int want_events(struct server *srv, uint32_t events)
{
	struct epoll_event e = {.events = events};

	if (events == srv->events)
		return 0;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->fd, &e))
		return nb_fail(-errno, "epoll_ctl: %s", strerror(errno));
	srv->events = events;
	return 0;
}

/* Waits for the socket or the next timer (at most NB_POLL_MS). Returns
 * the events, or a negative errno from epoll. */
static int wait_events(struct server *srv, ngtcp2_tstamp next)
{
	ngtcp2_tstamp now = nb_quic_now(), wait = 0;
	struct epoll_event ev[2];
	struct timespec ts;
	uint32_t got = 0;
	int n;

	if (next > now)
		wait = next - now;
	if (wait > (ngtcp2_tstamp)NB_POLL_MS * NGTCP2_MILLISECONDS)
		wait = (ngtcp2_tstamp)NB_POLL_MS * NGTCP2_MILLISECONDS;
	ts.tv_sec = (time_t)(wait / NGTCP2_SECONDS);
	ts.tv_nsec = (long)(wait % NGTCP2_SECONDS);
	n = srv->no_pwait2 ? -1 : epoll_pwait2(srv->epfd, ev, 2, &ts, NULL);
	if (n < 0 && (srv->no_pwait2 || errno == ENOSYS)) {
		/* Before Linux 5.11 (or under valgrind 3.19): milliseconds,
		 * rounded up. */
		srv->no_pwait2 = true;
		n = epoll_wait(srv->epfd, ev, 2,
			       (int)((wait + NGTCP2_MILLISECONDS - 1) /
				     NGTCP2_MILLISECONDS));
	}
	if (n < 0)
		return errno == EINTR ? 0 : nb_fail(-errno, "epoll_wait: %s",
						    strerror(errno));
	for (int i = 0; i < n; i++)
		got |= ev[i].events;
	return (int)got;
}

static int serve_loop(struct server *srv)
{
	int rv;

	while (!nb_interrupted()) {
		bool want_out;
		ngtcp2_tstamp next = run_timers(srv, nb_quic_now(), &want_out);
		int ev;

		rv = want_events(srv, EPOLLIN | (want_out ? EPOLLOUT : 0));
		if (rv)
			return rv;
		ev = wait_events(srv, next);
		if (ev < 0)
			return ev;
		if (ev & EPOLLOUT)
			write_blocked(srv);
		if (ev & (EPOLLIN | EPOLLERR))
			read_all(srv);
	}
	return 0;
}

/* Interrupted: every connection is closed (CONNECTION_CLOSE sent), and
 * the server stays through their closing periods, at most LINGER_MS,
 * sending it again to a client that keeps sending -- one whose socket
 * was full when the first arrived. */
static void linger(struct server *srv)
{
	ngtcp2_tstamp now = nb_quic_now();
	ngtcp2_tstamp end = now + LINGER_MS * NGTCP2_MILLISECONDS;

	for (struct conn *c = srv->conns; c; c = c->next)
		nb_quic_close(&c->q, 0, now);
	if (want_events(srv, EPOLLIN))
		return;
	while (srv->conns && now < end) {
		bool want_out;
		ngtcp2_tstamp next = run_timers(srv, now, &want_out);
		int ev;

		ev = wait_events(srv, next < end ? next : end);
		if (ev < 0)
			return;
		if (ev & (EPOLLIN | EPOLLERR))
			read_all(srv);
		now = nb_quic_now();
	}
}

/* TLS material, the socket, the epoll set. Errors: see nb_h3_serve. */
static int server_open(struct server *srv, const struct nb_serve_opts *o)
{
	struct epoll_event e = {.events = EPOLLIN};
	int rv;

	if (o->cc) {
		rv = nb_quic_cc_parse(o->cc, &srv->cc);
		if (rv)
			return rv;
	}
	srv->local.sin_family = AF_INET;
	srv->local.sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->addr, &srv->local.sin_addr) != 1)
		return nb_fail(-EINVAL, "not an IPv4 address: '%s'", o->addr);
	rv = nb_tls_server_creds(o->cert, o->key, &srv->cred);
	if (rv) {
		srv->cred = NULL;
		return rv;
	}
	srv->rx = malloc(RX_BATCH * sizeof(*srv->rx));
	if (!srv->rx)
		return nb_fail(-ENOMEM, "out of memory");
	gnutls_rnd(GNUTLS_RND_NONCE, &srv->seed, sizeof(srv->seed));
	srv->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		return nb_fail(-errno, "socket: %s", strerror(errno));
	if (bind(srv->fd, (struct sockaddr *)&srv->local, sizeof(srv->local)))
		return nb_fail(-errno, "listen on %s:%u/udp: bind: %s", o->addr,
			       o->port, strerror(errno));
	rv = nb_udp_tune(srv->fd);
	if (rv)
		return rv;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->fd, &e))
		return nb_fail(-errno, "epoll: %s", strerror(errno));
	srv->events = EPOLLIN;
	return 0;
}

/* Closes every connection (GOAWAY, CONNECTION_CLOSE) and frees all. */
static void server_close(struct server *srv)
{
	ngtcp2_tstamp now = nb_quic_now();

	while (srv->conns) {
		nb_quic_close(&srv->conns->q, 0, now);
		conn_free(srv, srv->conns);
	}
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->cred)
		gnutls_certificate_free_credentials(srv->cred);
	free(srv->rx);
}

int nb_h3_serve(const struct nb_serve_opts *o)
{
	struct server *srv;
	int rv;

	/* The table is large; the stack of a serve process is not. */
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return nb_fail(-ENOMEM, "out of memory");
	srv->fd = srv->epfd = -1;
	srv->results_fd = o->results_file ? o->results_fd : -1;
	srv->cc = NGTCP2_CC_ALGO_CUBIC;
	/* Pacing slots are microseconds apart: sleep no longer than asked. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	rv = server_open(srv, o);
	if (rv)
		goto out;
	nb_signal_ready(o->ready_fd);
	rv = serve_loop(srv);
	if (!rv)
		linger(srv);
out:
	server_close(srv);
	free(srv);
	return rv;
}
