/* netbench: UDP loss probe (see probe_loss.h).
 *
 * sock[0] is the client's socket, sock[1] the server's: direction d is sent
 * by sock[d] and received by sock[1 - d]. One loop, in the calling thread:
 * send every probe now due, read both sockets empty, ppoll() until the next
 * send is due (at most NB_POLL_MS). Every socket is closed and every bitmap
 * freed on every return path.
 */
#include "probe_loss.h"
#include "probe.h"

#include "error.h"
#include "interrupt.h"
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

#define LOSS_MAGIC 0x6e626c73u		/* "nbls" */
#define LOSS_RCVBUF (8 * 1024 * 1024)
#define LOSS_BATCH 64			/* datagrams per recvmmsg */
#define LOSS_RETRY_NS NS_PER_MS		/* after ENOBUFS on send */

/* One probe. Both ends are in this process: host byte order, one clock. */
struct loss_pkt {
	uint32_t magic;
	uint8_t dir;
	uint8_t pad[3];
	uint64_t seq;
	uint64_t sent_ns;
	uint64_t token;		/* tells this call's probes from older ones */
};
_Static_assert(sizeof(struct loss_pkt) == 32, "probe payload is 32 bytes");

/* Receive state of one direction. */
struct loss_rx {
	uint64_t *seen;		/* bitmap, one bit per sequence number */
	uint64_t top;		/* highest sequence number seen + 1; 0: none */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* When probe `seq` is due, in ns after the start (capped far away, so that
 * a tiny rate cannot overflow). */
static uint64_t due_ns(uint64_t seq, double pps)
{
	double off = (double)seq * (double)NS_PER_S / pps;

	return off < 1e18 ? (uint64_t)off : (uint64_t)1e18;
}

/* A non-blocking UDP socket in nsfd with an 8 MiB receive buffer and
 * SO_RXQ_OVFL, bound to `self` and connected to `peer`. Returns the fd or a
 * negative errno of socket, setsockopt, bind or connect (message set). */
static int open_end(int nsfd, const struct sockaddr_storage *self,
		    const struct sockaddr_storage *peer, socklen_t len,
		    const char *what, const char *addr)
{
	int s, one = 1, buf = LOSS_RCVBUF, rv;
	const char *step = "setsockopt";

	s = nb_netns_socket(nsfd, self->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (s < 0)
		return nb_fail(s, "loss probe: %s socket: %s", what, strerror(-s));
	if ((setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0 &&
	     setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) < 0) ||
	    setsockopt(s, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0 ||
	    (step = "bind", bind(s, (const struct sockaddr *)self, len) < 0) ||
	    (step = "connect", connect(s, (const struct sockaddr *)peer, len) < 0)) {
		rv = -errno;
		close(s);
		/* sin_port and sin6_port share their offset */
		return nb_fail(rv, "loss probe: %s %s port %u: %s: %s", what, addr,
			       ntohs(((const struct sockaddr_in *)self)->sin_port),
			       step, strerror(-rv));
	}
	return s;
}

/* Sends every probe of direction d due by `now` (elapsed ns since the
 * start) on s, in order. Returns 0, or the positive errno (EAGAIN, ENOBUFS)
 * of a send the stack refused for want of room, to be retried; errors:
 * negative errno of send (message set). */
static int send_due(int s, unsigned d, uint64_t token, uint64_t count,
		    double pps, uint64_t now, struct nb_loss_dir *st)
{
	struct loss_pkt p = { .magic = LOSS_MAGIC, .dir = (uint8_t)d,
			      .token = token };

	while (st->sent < count && due_ns(st->sent, pps) <= now) {
		p.seq = st->sent;
		p.sent_ns = now_ns();
		if (send(s, &p, sizeof(p), 0) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS)
				return errno;	/* EWOULDBLOCK == EAGAIN */
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;	/* not sent: same probe again */
			return nb_fail(-errno, "loss probe: send (%s): %s",
				       d ? "down" : "up", strerror(errno));
		}
		st->sent++;
	}
	return 0;
}

/* Accounts one datagram of n bytes (flags: its msg_flags) received at t. */
static void account(const struct loss_pkt *p, size_t n, int flags, unsigned d,
		    uint64_t token, uint64_t count, uint64_t t,
		    struct loss_rx *rx, struct nb_loss_dir *st)
{
	uint64_t bit;

	if (n != sizeof(*p) || (flags & MSG_TRUNC) || p->magic != LOSS_MAGIC ||
	    p->dir != d || p->token != token || p->seq >= count ||
	    p->sent_ns > t)
		return;
	bit = 1ull << (p->seq % 64);
	if (rx->seen[p->seq / 64] & bit) {
		st->duplicates++;
		return;
	}
	rx->seen[p->seq / 64] |= bit;
	st->received++;
	if (p->seq + 1 < rx->top)
		st->reordered++;
	else
		rx->top = p->seq + 1;
	nb_hist_add(&st->owd, t - p->sent_ns);
}

/* Reads socket s (receiver of direction d) until it is empty. Errors:
 * -ENOBUFS (the socket dropped datagrams), negative errno of recvmmsg
 * (message set). */
static int recv_all(int s, unsigned d, uint64_t token, uint64_t count,
		    struct loss_rx *rx, struct nb_loss_dir *st)
{
	struct loss_pkt pkt[LOSS_BATCH];
	struct mmsghdr mm[LOSS_BATCH];
	struct iovec iov[LOSS_BATCH];
	char ctl[LOSS_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	struct cmsghdr *c;
	uint32_t drops;
	uint64_t t;
	int n;

	for (;;) {
		for (int i = 0; i < LOSS_BATCH; i++) {
			iov[i] = (struct iovec){ &pkt[i], sizeof(pkt[i]) };
			mm[i].msg_hdr = (struct msghdr){
				.msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = ctl[i],
				.msg_controllen = sizeof(ctl[i]) };
		}
		n = recvmmsg(s, mm, LOSS_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;	/* a stale ICMP error */
			return nb_fail(-errno, "loss probe: receive (%s): %s",
				       d ? "down" : "up", strerror(errno));
		}
		t = now_ns();
		for (int i = 0; i < n; i++) {
			for (c = CMSG_FIRSTHDR(&mm[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&mm[i].msg_hdr, c)) {
				if (c->cmsg_level != SOL_SOCKET ||
				    c->cmsg_type != SO_RXQ_OVFL)
					continue;
				memcpy(&drops, CMSG_DATA(c), sizeof(drops));
				if (drops)
					return nb_fail(-ENOBUFS, "loss probe: the receive socket overflowed (%s, %u datagrams dropped): its drops would count as link loss",
						       d ? "down" : "up", drops);
			}
			account(&pkt[i], mm[i].msg_len, mm[i].msg_hdr.msg_flags,
				d, token, count, t, rx, st);
		}
	}
}

/* FNV-1a 64 over the sequence numbers below count missing from `seen`,
 * each as 8 bytes little-endian, in increasing order. */
static uint64_t lost_pattern(const uint64_t *seen, uint64_t count)
{
	uint64_t h = NB_LOSS_FNV_BASIS, words = (count + 63) / 64;

	for (uint64_t w = 0; w < words; w++) {
		if (seen[w] == UINT64_MAX)
			continue;
		for (uint64_t seq = w * 64; seq < count && seq < w * 64 + 64; seq++) {
			if (seen[w] & (1ull << (seq % 64)))
				continue;
			h = nb_loss_pattern_add(h, seq);
		}
	}
	return h;
}

/* Contract (beyond probe_loss.h): `duplicates` counts the copies received
 * beyond the first; only a probe's first copy counts for `received`,
 * `reordered` and `owd`. */
int nb_probe_loss(int client_ns, int server_ns, const char *client_addr,
		  const char *server_addr, uint16_t port, uint64_t count,
		  double pps, unsigned drain_ms, struct nb_loss_result *r)
{
	struct sockaddr_storage sa[2];
	socklen_t len[2];
	struct loss_rx rx[2] = { { NULL, 0 }, { NULL, 0 } };
	struct pollfd pfd[2];
	struct timespec ts;
	uint64_t token, start, now, next, wake, end = 0, retry[2] = { 0, 0 };
	int sock[2] = { -1, -1 }, refused[2] = { 0, 0 }, rv;

	if (!r)
		return nb_fail(-EINVAL, "loss probe: no result");
	memset(r, 0, sizeof(*r));
	if (count < 1 || count > NB_LOSS_MAX_COUNT)
		return nb_fail(-EINVAL, "loss probe: count %llu outside 1..%llu",
			       (unsigned long long)count, NB_LOSS_MAX_COUNT);
	if (!(pps > 0) || !isfinite(pps))
		return nb_fail(-EINVAL, "loss probe: rate %g probes/s is not positive and finite",
			       pps);
	rv = nb_probe_parse_addr(client_addr, port, &sa[0], &len[0]);
	if (!rv)
		rv = nb_probe_parse_addr(server_addr, port, &sa[1], &len[1]);
	if (rv)
		return nb_fail(rv, "loss probe: %s", nb_lasterr());
	if (sa[0].ss_family != sa[1].ss_family)
		return nb_fail(-EINVAL, "loss probe: %s and %s: mixed families",
			       client_addr, server_addr);

	for (unsigned d = 0; d < 2; d++) {
		nb_hist_init(&r->dir[d].owd);
		rx[d].seen = calloc((count + 63) / 64, sizeof(uint64_t));
		if (!rx[d].seen) {
			rv = nb_fail(-ENOMEM, "loss probe: bitmap of %llu probes",
				     (unsigned long long)count);
			goto out;
		}
	}
	sock[0] = open_end(client_ns, &sa[0], &sa[1], len[0], "client", client_addr);
	if (sock[0] < 0) {
		rv = sock[0];
		goto out;
	}
	sock[1] = open_end(server_ns, &sa[1], &sa[0], len[1], "server", server_addr);
	if (sock[1] < 0) {
		rv = sock[1];
		goto out;
	}

	start = now_ns();
	token = start ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)r;
	for (;;) {
		if (nb_interrupted()) {
			rv = nb_fail(-EINTR, "loss probe: interrupted");
			goto out;
		}
		now = now_ns();
		for (unsigned d = 0; d < 2; d++) {
			if (refused[d] == ENOBUFS && now < retry[d])
				continue;
			rv = send_due(sock[d], d, token, count, pps, now - start,
				      &r->dir[d]);
			if (rv < 0)
				goto out;
			refused[d] = rv;
			retry[d] = now + LOSS_RETRY_NS;
		}
		if (!end && r->dir[0].sent == count && r->dir[1].sent == count)
			end = now_ns() + (uint64_t)drain_ms * NS_PER_MS;
		for (unsigned d = 0; d < 2; d++) {
			rv = recv_all(sock[1 - d], d, token, count, &rx[d], &r->dir[d]);
			if (rv < 0)
				goto out;
		}
		now = now_ns();
		if (end && now >= end)
			break;
		/* wake for the next send due, a retry, or the end of the drain */
		wake = end ? end : now + (uint64_t)NB_POLL_MS * NS_PER_MS;
		for (unsigned d = 0; d < 2; d++) {
			pfd[d] = (struct pollfd){ .fd = sock[d], .events = POLLIN |
				(refused[d] == EAGAIN ? POLLOUT : 0) };
			if (r->dir[d].sent == count || refused[d] == EAGAIN)
				continue;	/* done, or woken by POLLOUT */
			next = refused[d] == ENOBUFS ? retry[d] :
			       start + due_ns(r->dir[d].sent, pps);
			if (next < wake)
				wake = next;
		}
		wake = wake <= now ? 0 : wake - now;
		if (wake > (uint64_t)NB_POLL_MS * NS_PER_MS)
			wake = (uint64_t)NB_POLL_MS * NS_PER_MS;
		ts = (struct timespec){ (time_t)(wake / NS_PER_S), (long)(wake % NS_PER_S) };
		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR) {
			rv = nb_fail(-errno, "loss probe: ppoll: %s", strerror(errno));
			goto out;
		}
	}

	for (unsigned d = 0; d < 2; d++)
		r->dir[d].pattern = lost_pattern(rx[d].seen, count);
	r->seconds = (double)(now - start) / NS_PER_S;
	rv = 0;
out:
	for (unsigned d = 0; d < 2; d++) {
		if (sock[d] >= 0)
			close(sock[d]);
		free(rx[d].seen);
	}
	return rv;
}

double nb_loss_pct(const struct nb_loss_dir *d)
{
	if (!d->sent || d->received >= d->sent)
		return 0;
	return 100.0 * (double)(d->sent - d->received) / (double)d->sent;
}
