/* netbench: link probes (see probe.h).
 *
 * Both probes run entirely in the calling thread: every socket is created in
 * its namespace, made non-blocking, and driven by one ppoll() loop that waits
 * at most NB_POLL_MS and checks nb_interrupted() on every turn. Every socket
 * is closed on every return path.
 */
#include "probe.h"

#include "error.h"
#include "tcp_cc.h"
#include "netns.h"
#include "interrupt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

#define RTT_MAGIC 0x6e627274u		/* "nbrt" */
#define RATE_BUF (256 * 1024)
#define RATE_TIMEOUT_MS 10000u		/* connect, first byte, stalled link */

/* Source of the bulk transfer: only ever read, so one copy serves every
 * thread. Contents do not matter (all zeroes). */
static char rate_src[RATE_BUF];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ppoll() until `due` (ns, CLOCK_MONOTONIC) at the latest, capped at
 * NB_POLL_MS: to the nanosecond, so that waiting adds nothing measurable to
 * an RTT (a millisecond poll() timeout rounds up by as much as 1 ms).
 * Returns what ppoll returns. */
static int wait_until(struct pollfd *pfd, nfds_t n, uint64_t now, uint64_t due)
{
	uint64_t wait = due > now ? due - now : 0;
	struct timespec ts;

	if (wait > (uint64_t)NB_POLL_MS * NS_PER_MS)
		wait = (uint64_t)NB_POLL_MS * NS_PER_MS;
	ts.tv_sec = (time_t)(wait / NS_PER_S);
	ts.tv_nsec = (long)(wait % NS_PER_S);
	return ppoll(pfd, n, &ts, NULL);
}

int nb_probe_parse_addr(const char *addr, uint16_t port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr && inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (addr && inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	return nb_fail(-EINVAL, "not an IP address: %s", addr ? addr : "(null)");
}

/* A non-blocking socket of `type` in nsfd bound to sa; a SOCK_STREAM one
 * gets SO_REUSEADDR and listens. Returns the fd or a negative errno
 * (message set). */
static int bound_socket(int nsfd, int type, const struct sockaddr_storage *sa,
			socklen_t len, const char *what)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int s, one = 1, rv;

	s = nb_netns_socket(nsfd, sa->ss_family, type | SOCK_NONBLOCK, 0);
	if (s < 0)
		return nb_fail(s, "%s: socket: %s", what, strerror(-s));
	if ((type == SOCK_STREAM && setsockopt(s, SOL_SOCKET, SO_REUSEADDR,
					       &one, sizeof(one)) < 0) ||
	    bind(s, (const struct sockaddr *)sa, len) < 0 ||
	    (type == SOCK_STREAM && listen(s, 4) < 0)) {
		rv = -errno;
		getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host),
			    NULL, 0, NI_NUMERICHOST);
		close(s);
		/* sin_port and sin6_port share their offset */
		return nb_fail(rv, "%s: %s port %u: %s", what, host,
			       ntohs(((const struct sockaddr_in *)sa)->sin_port),
			       strerror(-rv));
	}
	return s;
}

/* Same address family, address and port. */
static bool same_endpoint(const struct sockaddr_storage *x,
			  const struct sockaddr_storage *y)
{
	const struct sockaddr_in *x4 = (const void *)x, *y4 = (const void *)y;
	const struct sockaddr_in6 *x6 = (const void *)x, *y6 = (const void *)y;

	if (x->ss_family != y->ss_family)
		return false;
	if (x->ss_family == AF_INET)
		return x4->sin_port == y4->sin_port &&
		       x4->sin_addr.s_addr == y4->sin_addr.s_addr;
	return x6->sin6_port == y6->sin6_port &&
	       !memcmp(&x6->sin6_addr, &y6->sin6_addr, sizeof(x6->sin6_addr));
}

/* --- RTT ---------------------------------------------------------------- */

/* One probe, echoed verbatim. Both ends are in this process, so host byte
 * order and one clock are shared. `token` tells this call's probes from
 * datagrams left over by earlier calls. */
struct rtt_pkt {
	uint32_t magic;
	uint32_t seq;
	uint64_t token;
	uint64_t sent_ns;
};

/* Send errors that mean "this probe got lost", not "the probe is broken". */
static bool transient_err(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS ||
	       e == EHOSTUNREACH || e == EHOSTDOWN || e == ECONNREFUSED ||
	       e == EINTR;
}

/* Echoes every pending probe on the server socket (others are dropped).
 * Errors: negative errno. */
static int rtt_echo(int srv, uint64_t token)
{
	struct sockaddr_storage from;
	struct rtt_pkt p;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		flen = sizeof(from);
		n = recvfrom(srv, &p, sizeof(p), MSG_TRUNC,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return transient_err(errno) ? 0 : -errno;
		if (n != sizeof(p) || p.magic != RTT_MAGIC || p.token != token)
			continue;
		if (sendto(srv, &p, sizeof(p), 0, (struct sockaddr *)&from,
			   flen) < 0 && !transient_err(errno))
			return -errno;
	}
}

/* Takes every pending reply off the client socket; rtt[seq] (ms) is set
 * and got[seq] marked for the first valid reply to each probe. Returns the
 * number of new replies or a negative errno. */
static int rtt_collect(int cli, uint64_t token, unsigned count, double *rtt,
		       unsigned char *got)
{
	struct rtt_pkt p;
	uint64_t t;
	ssize_t n;
	int fresh = 0;

	for (;;) {
		n = recv(cli, &p, sizeof(p), MSG_TRUNC);
		if (n < 0)
			return transient_err(errno) ? fresh : -errno;
		t = now_ns();
		if (n != sizeof(p) || p.magic != RTT_MAGIC ||
		    p.token != token || p.seq >= count || got[p.seq] ||
		    p.sent_ns > t)
			continue;
		got[p.seq] = 1;
		rtt[p.seq] = (double)(t - p.sent_ns) / NS_PER_MS;
		fresh++;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Contract (beyond probe.h): *r is zeroed first; on success and on
 * -ETIMEDOUT r->sent/received tell how far it got. */
int nb_probe_rtt(int client_ns, int server_ns, const char *client_addr,
		 const char *server_addr, uint16_t port, unsigned count,
		 unsigned interval_ms, unsigned timeout_ms,
		 struct nb_rtt_result *r)
{
	struct sockaddr_storage srv_sa, cli_sa;
	socklen_t srv_len, cli_len;
	struct pollfd pfd[2];
	unsigned char *got = NULL;
	double *rtt = NULL;
	uint64_t token, start, now, next, due, deadline = 0;
	unsigned sent = 0, received = 0, k = 0;
	int srv = -1, cli = -1, last_err = 0, n, rv;

	if (!r || !count)
		return nb_fail(-EINVAL, "rtt probe: no result or count 0");
	memset(r, 0, sizeof(*r));
	rv = nb_probe_parse_addr(server_addr, port, &srv_sa, &srv_len);
	if (!rv)
		rv = nb_probe_parse_addr(client_addr, 0, &cli_sa, &cli_len);
	if (!rv && srv_sa.ss_family != cli_sa.ss_family)
		rv = nb_fail(-EINVAL, "rtt probe: %s and %s: mixed families",
			     client_addr, server_addr);
	if (rv)
		return rv;

	rtt = calloc(count, sizeof(*rtt));
	got = calloc(count, 1);
	if (!rtt || !got) {
		rv = nb_fail(-ENOMEM, "rtt probe: %u probes", count);
		goto out;
	}
	srv = bound_socket(server_ns, SOCK_DGRAM, &srv_sa, srv_len,
			   "rtt probe: echo server");
	if (srv < 0) {
		rv = srv;
		goto out;
	}
	cli = bound_socket(client_ns, SOCK_DGRAM, &cli_sa, cli_len,
			   "rtt probe: client");
	if (cli < 0) {
		rv = cli;
		goto out;
	}

	start = next = now_ns();
	token = start ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)r;
	pfd[0] = (struct pollfd){ .fd = srv, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = cli, .events = POLLIN };
	for (;;) {
		if (nb_interrupted()) {
			rv = nb_fail(-EINTR, "rtt probe: interrupted");
			goto out;
		}
		now = now_ns();
		if (sent < count && now >= next) {
			struct rtt_pkt p = { RTT_MAGIC, sent, token, now_ns() };

			if (sendto(cli, &p, sizeof(p), 0,
				   (struct sockaddr *)&srv_sa, srv_len) < 0) {
				if (!transient_err(errno)) {
					rv = nb_fail(-errno, "rtt probe: send to %s: %s",
						     server_addr, strerror(errno));
					goto out;
				}
				last_err = errno;	/* counts as lost */
			}
			sent++;
			next = start + (uint64_t)sent * interval_ms * NS_PER_MS;
			if (sent == count)
				deadline = now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
			continue;
		}
		if (sent == count && (received == count || now >= deadline))
			break;
		due = sent < count ? next : deadline;
		n = wait_until(pfd, 2, now, due);
		if (n < 0 && errno != EINTR) {
			rv = nb_fail(-errno, "rtt probe: poll: %s", strerror(errno));
			goto out;
		}
		if (n <= 0)
			continue;
		if (pfd[0].revents && (rv = rtt_echo(srv, token)) < 0) {
			nb_fail(rv, "rtt probe: echo: %s", strerror(-rv));
			goto out;
		}
		if (pfd[1].revents) {
			rv = rtt_collect(cli, token, count, rtt, got);
			if (rv < 0) {
				nb_fail(rv, "rtt probe: receive: %s", strerror(-rv));
				goto out;
			}
			received += (unsigned)rv;
		}
	}

	r->sent = sent;
	r->received = received;
	if (!received) {
		rv = nb_fail(-ETIMEDOUT, "rtt probe: no reply from %s:%u within %u ms%s%s",
			     server_addr, port, timeout_ms,
			     last_err ? "; last send error: " : "",
			     last_err ? strerror(last_err) : "");
		goto out;
	}
	/* compact the replies to the front, then sort them for the median */
	for (unsigned i = 0; i < count; i++) {
		if (got[i])
			rtt[k++] = rtt[i];
	}
	qsort(rtt, k, sizeof(*rtt), cmp_double);
	r->min_ms = rtt[0];
	r->max_ms = rtt[k - 1];
	r->median_ms = k % 2 ? rtt[k / 2] : (rtt[k / 2 - 1] + rtt[k / 2]) / 2;
	for (unsigned i = 0; i < k; i++)
		r->mean_ms += rtt[i];
	r->mean_ms /= k;
	rv = 0;
out:
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	free(got);
	free(rtt);
	return rv;
}

/* --- rate --------------------------------------------------------------- */

/* The measurement window, tracked online from "drains": each time the
 * receiver has read its socket empty (EAGAIN) we have a time e_k and the
 * bytes B_k that arrived in (e_{k-1}, e_k]. The window [t0, t1] (t0 = first
 * drain + warm-up, t1 = t0 + measure) is bracketed from outside by ea, the
 * last drain at or before t0, and eb, the first drain at or after t1: the
 * result is the bytes of the drains in (ea, eb] over eb - ea. Both ends are
 * instants at which the queue was empty, so no byte is counted that arrived
 * outside the span, and the span covers the whole window. */
struct rate_win {
	bool started, closed;
	uint64_t warmup, measure;	/* ns */
	uint64_t t0, t1, ea, eb;
	uint64_t bytes;
};

static void rate_drained(struct rate_win *w, uint64_t e, uint64_t b)
{
	if (!w->started) {
		w->started = true;
		w->t0 = e + w->warmup;
		w->t1 = w->t0 + w->measure;
		w->ea = e;
		return;
	}
	if (e <= w->t0) {
		w->ea = e;
		w->bytes = 0;
		return;
	}
	w->bytes += b;
	if (e >= w->t1) {
		w->eb = e;
		w->closed = true;
	}
}

/* Non-blocking connect from snd to `sa` and accept of that very connection
 * (peer checked against snd's local address) on lst. Returns the accepted
 * fd or a negative errno (message set). */
static int rate_connect(int snd, int lst, const struct sockaddr_storage *sa,
			socklen_t len, const char *to_addr)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen;
	struct pollfd pfd[2];
	uint64_t deadline = now_ns() + RATE_TIMEOUT_MS * NS_PER_MS, now;
	bool connected = false;
	int rcv = -1, fd, err, rv;
	socklen_t elen = sizeof(err);

	if (connect(snd, (const struct sockaddr *)sa, len) < 0 &&
	    errno != EINPROGRESS)
		return nb_fail(-errno, "rate probe: connect %s: %s", to_addr,
			       strerror(errno));
	if (getsockname(snd, (struct sockaddr *)&local, &llen) < 0)
		return nb_fail(-errno, "rate probe: getsockname: %s",
			       strerror(errno));
	while (rcv < 0 || !connected) {
		if (nb_interrupted()) {
			rv = nb_fail(-EINTR, "rate probe: interrupted");
			goto out;
		}
		now = now_ns();
		if (now >= deadline) {
			rv = nb_fail(-ETIMEDOUT, "rate probe: no connection to %s within %u ms",
				     to_addr, RATE_TIMEOUT_MS);
			goto out;
		}
		pfd[0] = (struct pollfd){ .fd = connected ? -1 : snd, .events = POLLOUT };
		pfd[1] = (struct pollfd){ .fd = rcv >= 0 ? -1 : lst, .events = POLLIN };
		if (wait_until(pfd, 2, now, deadline) < 0 && errno != EINTR) {
			rv = nb_fail(-errno, "rate probe: poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].fd >= 0 && pfd[0].revents) {
			if (getsockopt(snd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
				err = errno;
			if (err) {
				rv = nb_fail(-err, "rate probe: connect %s: %s",
					     to_addr, strerror(err));
				goto out;
			}
			connected = true;
		}
		if (pfd[1].fd < 0 || !pfd[1].revents)
			continue;
		plen = sizeof(peer);
		fd = accept4(lst, (struct sockaddr *)&peer, &plen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == ECONNABORTED ||
			    errno == EINTR)
				continue;
			rv = nb_fail(-errno, "rate probe: accept: %s", strerror(errno));
			goto out;
		}
		if (same_endpoint(&peer, &local))
			rcv = fd;
		else
			close(fd);	/* somebody else's connection */
	}
	return rcv;
out:
	if (rcv >= 0)
		close(rcv);
	return rv;
}

/* Contract (beyond probe.h): sends until the receiver's window has closed
 * (so at least warmup_s + measure_s), then closes both ends abortively
 * (RST): nothing the probe queued keeps flowing over the link after it
 * returns, and no TIME_WAIT remains. *r is zeroed first, filled on success. */
int nb_probe_rate(int from_ns, int to_ns, const char *to_addr, uint16_t port,
		  double warmup_s, double measure_s, struct nb_rate_result *r)
{
	static const struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	struct rate_win w = { 0 };
	struct sockaddr_storage sa;
	struct pollfd pfd[2];
	socklen_t len;
	uint64_t start, now, total = 0, drained;
	char *buf = NULL;
	ssize_t n;
	int lst = -1, snd = -1, rcv = -1, rv;

	if (!r || !(warmup_s >= 0 && warmup_s < 1e6) ||
	    !(measure_s > 0 && measure_s < 1e6))
		return nb_fail(-EINVAL, "rate probe: bad warm-up %g s / measure %g s",
			       warmup_s, measure_s);
	memset(r, 0, sizeof(*r));
	w.warmup = (uint64_t)(warmup_s * NS_PER_S);
	w.measure = (uint64_t)(measure_s * NS_PER_S);
	rv = nb_probe_parse_addr(to_addr, port, &sa, &len);
	if (rv)
		return rv;
	buf = malloc(RATE_BUF);
	if (!buf) {
		rv = nb_fail(-ENOMEM, "rate probe: receive buffer");
		goto out;
	}

	lst = bound_socket(to_ns, SOCK_STREAM, &sa, len, "rate probe: listener");
	if (lst < 0) {
		rv = lst;
		goto out;
	}
	snd = nb_netns_socket(from_ns, sa.ss_family,
			      SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (snd < 0) {
		rv = nb_fail(snd, "rate probe: sender socket: %s", strerror(-snd));
		goto out;
	}
	rv = nb_tcp_cc_set(snd);
	if (rv)
		goto out;
	rcv = rate_connect(snd, lst, &sa, len, to_addr);
	if (rcv < 0) {
		rv = rcv;
		goto out;
	}
	close(lst);		/* one connection is all we take */
	lst = -1;

	start = now_ns();
	pfd[0] = (struct pollfd){ .fd = snd, .events = POLLOUT };
	pfd[1] = (struct pollfd){ .fd = rcv, .events = POLLIN };
	while (!w.closed) {
		if (nb_interrupted()) {
			rv = nb_fail(-EINTR, "rate probe: interrupted");
			goto out;
		}
		now = now_ns();
		if (now >= (w.started ? w.t1 : start) + RATE_TIMEOUT_MS * NS_PER_MS) {
			rv = nb_fail(-ETIMEDOUT, w.started ?
				     "rate probe: link to %s stalled" :
				     "rate probe: nothing arrived at %s", to_addr);
			goto out;
		}
		if (poll(pfd, 2, NB_POLL_MS) < 0 && errno != EINTR) {
			rv = nb_fail(-errno, "rate probe: poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].revents &&
		    send(snd, rate_src, RATE_BUF, MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN && errno != EINTR) {
			rv = nb_fail(-errno, "rate probe: send: %s", strerror(errno));
			goto out;
		}
		if (!pfd[1].revents)
			continue;
		drained = 0;
		while ((n = recv(rcv, buf, RATE_BUF, 0)) > 0)
			drained += (uint64_t)n;
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			rv = nb_fail(n ? -errno : -ECONNRESET,
				     "rate probe: receive: %s",
				     n ? strerror(errno) : "connection closed");
			goto out;
		}
		if (!drained)
			continue;
		total += drained;
		rate_drained(&w, now_ns(), drained);
	}

	r->bytes = w.bytes;
	r->seconds = (double)(w.eb - w.ea) / NS_PER_S;
	r->bps = (double)w.bytes * 8 / r->seconds;
	r->total = total;
	rv = 0;
out:
	if (rcv >= 0)
		close(rcv);
	if (snd >= 0) {
		setsockopt(snd, SOL_SOCKET, SO_LINGER, &abort_close,
			   sizeof(abort_close));
		close(snd);
	}
	if (lst >= 0)
		close(lst);
	free(buf);
	return rv;
}
