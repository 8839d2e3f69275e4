/* netbench: the HTTP/1.1 + HTTP/2 server (see server_http.h).
 *
 * One thread, one level-triggered epoll set: the listening socket and every
 * connection. A connection goes HANDSHAKE -> H1 or H2 (by ALPN) -> CLOSING
 * -> freed. The protocol modules (server_h1.c, server_h2.c) do the I/O of
 * their state and say which events they wait for; this file registers
 * them, runs a connection again without waiting when gnutls still holds
 * input it has decrypted (a module yields after a long read so that one
 * fast client cannot starve the others), closes connections that make no
 * progress for IDLE_S, and closes gracefully: close_notify, shutdown(WR),
 * then reads what the client still sends (for up to LINGER_S) so that an
 * early answer (413, 400) is not destroyed by a reset.
 */
#include "server_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "error.h"
#include "tcp_cc.h"
#include "interrupt.h"
#include "server_h1.h"
#include "server_h2.h"
#include "spawn.h"
#include "tls.h"

#define SCRATCH_LEN (64 * 1024)  /* shared by every connection */
#define IDLE_S 60.0              /* no progress for that long: closed */
#define LINGER_S 2.0             /* a graceful close waits that long */
#define ACCEPT_PAUSE_S 1.0       /* out of fds: stop accepting that long */
#define MAX_CONNS 4096
#define MAX_EVENTS 64
#define BACKLOG 512

enum conn_state { C_HANDSHAKE, C_H1, C_H2, C_CLOSING };

struct conn {
	struct conn *prev, *next;
	int fd;
	gnutls_session_t tls;
	enum conn_state state;
	uint32_t events;             /* registered with epoll */
	bool again;                  /* run without waiting for epoll */
	bool bye_done;               /* CLOSING: close_notify and SHUT_WR */
	double last;                 /* last progress */
	double deadline;             /* CLOSING: give up then */
	struct nb_h1 *h1;
	struct nb_h2 *h2;
	char peer[INET_ADDRSTRLEN + 8];
};

struct server {
	bool h2;                     /* offer ALPN h2 */
	int results_fd;              /* POST /result (http_target.h); -1 */
	int epfd, lfd;
	bool accepting;              /* lfd is in the epoll set */
	double resume_accept;        /* when !accepting */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	struct conn *conns;
	size_t nconns, nagain;
	uint8_t *scratch;
};

static const gnutls_datum_t alpn[] = {
	{(unsigned char *)"h2", 2},
	{(unsigned char *)"http/1.1", 8},
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void conn_log(const struct conn *c, const char *msg)
{
	fprintf(stderr, "netbench serve: %s: %s\n", c->peer, msg);
}

static void set_again(struct server *srv, struct conn *c, bool again)
{
	if (c->again == again)
		return;
	c->again = again;
	if (again)
		srv->nagain++;
	else
		srv->nagain--;
}

static void conn_free(struct server *srv, struct conn *c)
{
	set_again(srv, c, false);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	nb_h1_free(c->h1);
	nb_h2_free(c->h2);
	gnutls_deinit(c->tls);
	close(c->fd);            /* also leaves the epoll set */
	free(c);
}

/* Registers the events c waits for. Errors: negative errno of epoll_ctl. */
static int conn_want(struct server *srv, struct conn *c, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = c};

	if (events == c->events)
		return 0;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &e))
		return nb_fail(-errno, "epoll_ctl: %s", strerror(errno));
	c->events = events;
	return 0;
}

/* HANDSHAKE: drives gnutls_handshake; once done, hands the connection to
 * the protocol ALPN chose (HTTP/1.1 without ALPN). Returns 0 (state
 * changed), the event to wait for, -EPROTO (handshake failed) or -ENOMEM. */
static int handshake(struct server *srv, struct conn *c)
{
	gnutls_datum_t p = {0};
	int rv = GNUTLS_E_AGAIN;

	for (int i = 0; i < 16; i++) {
		rv = gnutls_handshake(c->tls);
		if (rv == GNUTLS_E_AGAIN)
			return gnutls_record_get_direction(c->tls) ? EPOLLOUT
								    : EPOLLIN;
		if (rv >= 0 || gnutls_error_is_fatal(rv))
			break;
	}
	if (rv < 0)
		return nb_fail(-EPROTO, "TLS handshake: %s", gnutls_strerror(rv));
	if (srv->h2 && !gnutls_alpn_get_selected_protocol(c->tls, &p) &&
	    p.size == 2 && !memcmp(p.data, "h2", 2)) {
		rv = nb_h2_new(c->tls, c->peer, srv->results_fd, srv->scratch,
			       SCRATCH_LEN, &c->h2);
		c->state = C_H2;
	} else {
		rv = nb_h1_new(c->tls, srv->results_fd, srv->scratch,
			       SCRATCH_LEN, &c->h1);
		c->state = C_H1;
	}
	return rv;
}

/* CLOSING: close_notify, shutdown(SHUT_WR), then reads and drops whatever
 * the client still sends until it closes. Returns 0 (done: free it) or the
 * event to wait for. Never fails: a broken connection is simply done. */
static int closing(struct server *srv, struct conn *c)
{
	int rv;

	if (!c->bye_done) {
		do
			rv = gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		while (rv == GNUTLS_E_INTERRUPTED);
		if (rv == GNUTLS_E_AGAIN)
			return EPOLLOUT;
		c->bye_done = true;
		if (rv < 0 || shutdown(c->fd, SHUT_WR))
			return 0;
	}
	for (;;) {
		ssize_t n = recv(c->fd, srv->scratch, SCRATCH_LEN, 0);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN ? EPOLLIN : 0;
	}
}

/* Runs c until it waits, then registers what it waits for; frees it when
 * it is over or failed (one log line for a failure). */
static void conn_run(struct server *srv, struct conn *c)
{
	uint64_t moved = 0;
	int ev = 0;

	for (;;) {
		enum conn_state was = c->state;

		switch (c->state) {
		case C_HANDSHAKE:
			ev = handshake(srv, c);
			break;
		case C_H1:
			ev = nb_h1_run(c->h1, &moved);
			break;
		case C_H2:
			ev = nb_h2_run(c->h2, &moved);
			break;
		case C_CLOSING:
			ev = closing(srv, c);
			break;
		}
		if (ev)
			break;
		if (c->state != was) {
			moved++;        /* handshake done: run the protocol */
			continue;
		}
		if (c->state == C_CLOSING)
			break;          /* closed: free it */
		c->state = C_CLOSING;   /* the protocol is over */
		c->deadline = now_s() + LINGER_S;
	}
	if (moved)
		c->last = now_s();
	if (ev < 0)
		conn_log(c, nb_lasterr());
	if (ev > 0 && conn_want(srv, c, (uint32_t)ev) < 0) {
		conn_log(c, nb_lasterr());
		ev = -1;
	}
	if (ev <= 0) {
		conn_free(srv, c);
		return;
	}
	set_again(srv, c, c->state != C_HANDSHAKE && c->state != C_CLOSING &&
		  (ev & EPOLLIN) && gnutls_record_check_pending(c->tls) > 0);
}

/* A new connection: TLS session, ALPN offer, registered for the
 * ClientHello. Errors: -ENOMEM, negative errno of epoll_ctl (fd closed). */
static int conn_new(struct server *srv, int fd, const struct sockaddr_in *sa)
{
	struct epoll_event e = {.events = EPOLLIN};
	char ip[INET_ADDRSTRLEN] = "?";
	struct conn *c;
	int one = 1, rv;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return nb_fail(-ENOMEM, "out of memory");
	}
	c->fd = fd;
	c->last = now_s();
	c->events = EPOLLIN;
	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, ntohs(sa->sin_port));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* TLS 1.3 only, no session tickets, no early data (not enabled). */
	if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK |
				 GNUTLS_NO_TICKETS) < 0) {
		c->tls = NULL;
		rv = nb_fail(-ENOMEM, "gnutls_init failed");
		goto fail;
	}
	if (gnutls_priority_set(c->tls, srv->prio) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
				   srv->cred) < 0 ||
	    gnutls_alpn_set_protocols(c->tls, srv->h2 ? alpn : alpn + 1,
				      srv->h2 ? 2 : 1,
				      GNUTLS_ALPN_SERVER_PRECEDENCE) < 0) {
		rv = nb_fail(-ENOMEM, "cannot set up the TLS session");
		goto fail;
	}
	gnutls_transport_set_int(c->tls, fd);
	e.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &e)) {
		rv = nb_fail(-errno, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	return 0;
fail:
	if (c->tls)
		gnutls_deinit(c->tls);
	close(fd);
	free(c);
	return rv;
}

static void set_accepting(struct server *srv, bool on)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};

	if (srv->accepting == on)
		return;
	if (epoll_ctl(srv->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, srv->lfd,
		      &e) == 0)
		srv->accepting = on;
	srv->resume_accept = now_s() + ACCEPT_PAUSE_S;
}

/* Accepts every pending connection. Out of fds or memory, accepting pauses
 * for ACCEPT_PAUSE_S (level-triggered epoll would spin otherwise). */
static void accept_all(struct server *srv)
{
	for (;;) {
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		int fd;

		fd = accept4(srv->lfd, (struct sockaddr *)&sa, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				fprintf(stderr, "netbench serve: accept: %s\n",
					strerror(errno));
				set_accepting(srv, false);
				return;
			}
			continue;       /* EINTR, ECONNABORTED, ... */
		}
		if (srv->nconns >= MAX_CONNS) {
			close(fd);
			continue;
		}
		if (conn_new(srv, fd, &sa))
			fprintf(stderr, "netbench serve: %s\n", nb_lasterr());
	}
}

/* Once a second: closes connections without progress for IDLE_S and
 * graceful closes that took longer than LINGER_S; resumes accepting. */
static void sweep(struct server *srv, double now)
{
	struct conn *c, *next;

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->state == C_CLOSING && now >= c->deadline) {
			conn_free(srv, c);
		} else if (now - c->last >= IDLE_S) {
			conn_log(c, "no progress for 60 s: closed");
			conn_free(srv, c);
		}
	}
	if (!srv->accepting && now >= srv->resume_accept)
		set_accepting(srv, true);
}

/* Runs the connections that gnutls holds input for. */
static void run_again(struct server *srv)
{
	struct conn *c, *next;

	for (c = srv->conns; c && srv->nagain; c = next) {
		next = c->next;
		if (c->again)
			conn_run(srv, c);
	}
}

/* The event loop, until nb_interrupted(). Returns 0, or a negative errno
 * from epoll_wait. */
static int serve_loop(struct server *srv)
{
	struct epoll_event ev[MAX_EVENTS];
	double next_sweep = now_s() + 1;

	while (!nb_interrupted()) {
		int n = epoll_wait(srv->epfd, ev, MAX_EVENTS,
				   srv->nagain ? 0 : NB_POLL_MS);
		double now;

		if (n < 0 && errno != EINTR)
			return nb_fail(-errno, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr)
				conn_run(srv, ev[i].data.ptr);
			else
				accept_all(srv);
		}
		if (srv->nagain)
			run_again(srv);
		now = now_s();
		if (now >= next_sweep) {
			sweep(srv, now);
			next_sweep = now + 1;
		}
	}
	return 0;
}

/* TLS material, scratch, the listening socket and the epoll set. Errors:
 * those of nb_tls_server_creds, -EINVAL (bad address), -ENOMEM, negative
 * errno of socket/bind/listen/epoll (-EADDRINUSE...). */
static int server_open(struct server *srv, const struct nb_serve_opts *o)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *where = NULL;
	int one = 1, rv;

	rv = nb_tls_server_creds(o->cert, o->key, &srv->cred);
	if (rv)
		return rv;
	rv = gnutls_priority_init(&srv->prio, NB_TLS_PRIORITY, NULL);
	if (rv < 0) {
		srv->prio = NULL;
		return nb_fail(-EINVAL, "TLS priority %s: %s", NB_TLS_PRIORITY,
			       gnutls_strerror(rv));
	}
	srv->scratch = malloc(SCRATCH_LEN);
	if (!srv->scratch)
		return nb_fail(-ENOMEM, "out of memory");
	sa.sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->addr, &sa.sin_addr) != 1)
		return nb_fail(-EINVAL, "not an IPv4 address: '%s'", o->addr);
	srv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0)
		where = "socket";
	else if (setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one)))
		where = "SO_REUSEADDR";
	else if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)))
		where = "bind";
	else if (listen(srv->lfd, BACKLOG))
		where = "listen";
	if (where)
		return nb_fail(-errno, "listen on %s:%u: %s: %s", o->addr,
			       o->port, where, strerror(errno));
	rv = nb_tcp_cc_set(srv->lfd);
	if (rv)
		return rv;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &e))
		return nb_fail(-errno, "epoll: %s", strerror(errno));
	srv->accepting = true;
	return 0;
}

static void server_close(struct server *srv)
{
	while (srv->conns)
		conn_free(srv, srv->conns);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->prio)
		gnutls_priority_deinit(srv->prio);
	if (srv->cred)
		gnutls_certificate_free_credentials(srv->cred);
	free(srv->scratch);
}

int nb_http_serve(const struct nb_serve_opts *o, bool h2)
{
	struct server srv = {.h2 = h2, .epfd = -1, .lfd = -1,
			     .results_fd = o->results_file ? o->results_fd : -1};
	int rv;

	rv = server_open(&srv, o);
	if (rv)
		goto out;
	nb_signal_ready(o->ready_fd);
	rv = serve_loop(&srv);
out:
	server_close(&srv);
	return rv;
}
