/* netbench: the plain TCP bulk transfer, the per-profile baseline.
 *
 * It plays iperf3's role in the seed, with the seed's settings (`iperf3 -M
 * 1240 -l 1200`): MSS clamped to 1240 on both ends and 1200-byte writes, so
 * its IP packets carry 1280 bytes like Firefox's. It is reported, not only
 * logged, and compared with the HTTP cases of the same profile.
 *
 * Wire format (all integers big-endian):
 *   request  = "NBT1" dir:u8 pad:3 size:u64        (16 bytes, client first)
 *   download : the server sends `size` payload bytes and closes.
 *   upload   : the client sends `size` payload bytes; the server verifies
 *              them and answers "NBR1" verdict:u32 count:u64 (16 bytes),
 *              verdict 0 = every byte matched.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ceiling.h"
#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "payload.h"
#include "profile.h"
#include "proto.h"
#include "spawn.h"
#include "tcp_cc.h"
#include "thread.h"

#define NB_TCP_MSS NB_CEILING_BASELINE_MSS
#define NB_TCP_WRITE 1200
#define READ_BUF (128 * 1024)
#define STALL_S 30.0
#define MAX_SIZE (1ULL << 40)

struct hdr {
	char magic[4];
	uint8_t dir;
	uint8_t pad[3];
	uint64_t size;
} __attribute__((packed));

struct answer {
	char magic[4];
	uint32_t verdict;
	uint64_t count;
} __attribute__((packed));

/* Waits until fd is ready for `events` or the transfer must end.
 * Returns 0, -ECANCELED (stop requested), -EINTR, -ETIMEDOUT (no progress
 * for STALL_S since *last), negative errno. */
static int wait_io(int fd, short events, struct nb_thread *self, double last)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;

	for (;;) {
		if (self && nb_thread_should_stop(self))
			return nb_fail(-ECANCELED, "transfer stopped");
		if (nb_interrupted())
			return nb_fail(-EINTR, "interrupted");
		if (nb_now() - last > STALL_S)
			return nb_fail(-ETIMEDOUT, "no progress for %.0f s", STALL_S);
		n = poll(&p, 1, NB_POLL_MS);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return nb_fail(-errno, "poll: %s", strerror(errno));
	}
}

/* Writes all of buf. Errors as wait_io, -EPIPE/-ECONNRESET. */
static int write_all(int fd, const void *buf, size_t len, struct nb_thread *self)
{
	const uint8_t *p = buf;
	double last = nb_now();
	int rv;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			last = nb_now();
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return nb_fail(-errno, "send: %s", strerror(errno));
		rv = wait_io(fd, POLLOUT, self, last);
		if (rv)
			return rv;
	}
	return 0;
}

/* After a recv() that failed: waits for more input when the error is only
 * EAGAIN or EINTR. Returns 0 (try again), errors as wait_io, or the negative
 * errno of the recv. */
static int recv_wait(int fd, struct nb_thread *self, double last)
{
	if (errno != EAGAIN && errno != EINTR)
		return nb_fail(-errno, "recv: %s", strerror(errno));
	return wait_io(fd, POLLIN, self, last);
}

/* Reads exactly len bytes. Errors as wait_io, -EPROTO on early EOF. */
static int read_all(int fd, void *buf, size_t len, struct nb_thread *self)
{
	uint8_t *p = buf;
	double last = nb_now();
	int rv;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			last = nb_now();
			continue;
		}
		if (n == 0)
			return nb_fail(-EPROTO, "connection closed early");
		rv = recv_wait(fd, self, last);
		if (rv)
			return rv;
	}
	return 0;
}

/* Sends `size` payload bytes in NB_TCP_WRITE chunks. */
static int send_payload(int fd, uint64_t size, struct nb_series *series,
			_Atomic uint64_t *progress, struct nb_thread *self)
{
	uint8_t buf[NB_TCP_WRITE];
	uint64_t off = 0;
	int rv;

	while (off < size) {
		size_t len = size - off < NB_TCP_WRITE ? (size_t)(size - off) : NB_TCP_WRITE;

		nb_payload_fill(buf, off, len);
		rv = write_all(fd, buf, len, self);
		if (rv)
			return rv;
		off += len;
		if (series)
			nb_series_add(series, nb_now(), len);
		if (progress)
			atomic_store_explicit(progress, off, memory_order_relaxed);
	}
	return 0;
}

/* Receives exactly `size` payload bytes and verifies them; then expects EOF
 * when expect_eof. Sets *got to the verified count. */
static int recv_payload(int fd, uint64_t size, bool expect_eof, uint64_t *got,
			struct nb_series *series, _Atomic uint64_t *progress,
			struct nb_thread *self)
{
	static _Thread_local uint8_t buf[READ_BUF];
	double last = nb_now();
	uint64_t bad;
	int rv;

	*got = 0;
	while (*got < size || expect_eof) {
		size_t want = READ_BUF;
		ssize_t n;

		if (*got < size && size - *got < want)
			want = (size_t)(size - *got);
		n = recv(fd, buf, want, 0);
		if (n > 0) {
			double t = nb_now();

			if (*got >= size)
				return nb_fail(-EPROTO, "peer sent more than %llu bytes",
					       (unsigned long long)size);
			if (nb_payload_check(buf, *got, (size_t)n, &bad))
				return nb_fail(-EBADMSG,
					       "payload mismatch at byte %llu",
					       (unsigned long long)bad);
			*got += (uint64_t)n;
			last = t;
			if (series)
				nb_series_add(series, t, (uint64_t)n);
			if (progress)
				atomic_store_explicit(progress, *got,
						      memory_order_relaxed);
			continue;
		}
		if (n == 0) {
			if (*got < size)
				return nb_fail(-EPROTO,
					       "short transfer: %llu of %llu bytes",
					       (unsigned long long)*got,
					       (unsigned long long)size);
			return 0;
		}
		rv = recv_wait(fd, self, last);
		if (rv)
			return rv;
	}
	return 0;
}

static int set_mss(int fd)
{
	int mss = NB_TCP_MSS;

	if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)))
		return nb_fail(-errno, "TCP_MAXSEG: %s", strerror(errno));
	return 0;
}

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
		return nb_fail(-EINVAL, "not an IPv4 address: '%s'", addr);
	return 0;
}

/* A non-blocking TCP socket with the clamped MSS, for addr:port (parsed into
 * *sa). Returns the fd or a negative errno. */
static int tcp_socket(const char *addr, uint16_t port, struct sockaddr_in *sa)
{
	int fd, rv;

	rv = parse_addr(addr, port, sa);
	if (rv)
		return rv;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nb_fail(-errno, "socket: %s", strerror(errno));
	rv = set_mss(fd);
	if (!rv)
		rv = nb_tcp_cc_set(fd);
	if (rv) {
		close(fd);
		return rv;
	}
	return fd;
}

/* --- server ------------------------------------------------------------ */

static int serve_one(int fd)
{
	struct hdr h;
	struct answer a = {.magic = "NBR1"};
	uint64_t size, got = 0;
	int rv;

	rv = read_all(fd, &h, sizeof(h), NULL);
	if (rv)
		return rv;
	size = be64toh(h.size);
	if (memcmp(h.magic, "NBT1", 4) || h.dir > NB_UPLOAD || !size ||
	    size > MAX_SIZE)
		return nb_fail(-EPROTO, "bad request");
	if (h.dir == NB_DOWNLOAD)
		return send_payload(fd, size, NULL, NULL, NULL);
	rv = recv_payload(fd, size, false, &got, NULL, NULL, NULL);
	if (rv && rv != -EBADMSG)
		return rv;
	a.verdict = htonl(rv ? 1 : 0);
	a.count = htobe64(got);
	return write_all(fd, &a, sizeof(a), NULL);
}

static int tcp_serve(const struct nb_serve_opts *o)
{
	struct sockaddr_in sa;
	int one = 1, lfd, rv;

	lfd = tcp_socket(o->addr, o->port, &sa);
	if (lfd < 0)
		return lfd;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16)) {
		rv = nb_fail(-errno, "listen on %s:%u: %s", o->addr, o->port,
			     strerror(errno));
		goto out;
	}
	nb_signal_ready(o->ready_fd);
	while (!nb_interrupted()) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int cfd;

		if (poll(&p, 1, NB_POLL_MS) <= 0)
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			continue;
		/* A client that misbehaves or vanishes costs its connection. */
		if (serve_one(cfd) && !nb_interrupted())
			fprintf(stderr, "netbench serve: tcp: %s\n", nb_lasterr());
		close(cfd);
	}
	rv = 0;
out:
	close(lfd);
	return rv;
}

/* --- client ------------------------------------------------------------ */

static int connect_to(const struct nb_xfer *x, int *pfd)
{
	struct sockaddr_in sa;
	double start = nb_now();
	socklen_t len = sizeof(int);
	int fd, err = 0, rv;

	fd = tcp_socket(x->server_addr, x->port, &sa);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		rv = nb_fail(-errno, "connect to %s:%u: %s", x->server_addr,
			     x->port, strerror(errno));
		goto out;
	}
	rv = wait_io(fd, POLLOUT, x->self, start);
	if (rv)
		goto out;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		rv = nb_fail(-err, "connect to %s:%u: %s", x->server_addr,
			     x->port, strerror(err));
		goto out;
	}
	*pfd = fd;
	return 0;
out:
	close(fd);
	return rv;
}

static int tcp_transfer(const struct nb_xfer *x, struct nb_xfer_result *r)
{
	struct hdr h = {.magic = "NBT1", .dir = (uint8_t)x->dir};
	struct answer a;
	double cpu0 = nb_thread_cpu(), t0;
	uint64_t got = 0;
	int fd = -1, rv;

	memset(r, 0, sizeof(*r));
	h.size = htobe64(x->size);
	rv = connect_to(x, &fd);
	if (rv)
		return rv;
	t0 = nb_now();
	if (x->series)
		x->series->t0 = t0;
	rv = write_all(fd, &h, sizeof(h), x->self);
	if (rv)
		goto out;
	if (x->dir == NB_UPLOAD) {
		/* Upload time starts at the first body byte. */
		t0 = nb_now();
		if (x->series)
			x->series->t0 = t0;
	}
	if (x->dir == NB_DOWNLOAD) {
		rv = recv_payload(fd, x->size, true, &got, x->series,
				  x->progress, x->self);
		if (rv)
			goto out;
	} else {
		rv = send_payload(fd, x->size, x->series, x->progress,
				  x->self);
		if (rv)
			goto out;
		rv = read_all(fd, &a, sizeof(a), x->self);
		if (rv)
			goto out;
		got = be64toh(a.count);
		if (memcmp(a.magic, "NBR1", 4) || ntohl(a.verdict) || got != x->size) {
			rv = nb_fail(-EBADMSG,
				     "server verdict: %s, %llu of %llu bytes",
				     ntohl(a.verdict) ? "payload mismatch" : "ok",
				     (unsigned long long)got,
				     (unsigned long long)x->size);
			goto out;
		}
	}
	r->seconds = nb_now() - t0;
	r->bytes = got;
out:
	r->client_cpu_s = nb_thread_cpu() - cpu0;
	close(fd);
	return rv;
}

static double tcp_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	return nb_ceiling_bps(NB_FRAMING_TCP_BASELINE, p->rate_bps, d);
}

const struct nb_proto nb_proto_tcp = {
	.name = "tcp",
	.port = 5201,
	.serve = tcp_serve,
	.transfer = tcp_transfer,
	.ceiling_bps = tcp_ceiling,
};
