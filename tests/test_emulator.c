/* Unit tests of src/emulator.c on real TAP devices, no mocks.
 *
 * The rig: two fresh namespaces A (client end) and B (server end), TAP
 * "ta0" in A and "tb0" in B, each brought up with IPv6 off (so that no
 * frame but the test's own crosses them), the emulator relaying between
 * their fds. In each namespace an AF_PACKET socket bound to the TAP sends
 * raw Ethernet frames (ethertype 0x88b5, a sequence number and a
 * CLOCK_MONOTONIC send time) out through it, and receives the frames of that
 * ethertype that come in: A's frames leave A's stack through ta0, the
 * emulator reads them from fd[0] (direction NB_EMU_UP), holds them and
 * writes them to fd[1], and B's stack receives them on tb0; B's frames take
 * the way back (NB_EMU_DOWN).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>

#include "emulator.h"
#include "error.h"
#include "histogram.h"
#include "lossgen.h"
#include "netns.h"
#include "tap.h"
#include "testutil.h"
#include "undo.h"

#define ETH_TEST 0x88b5        /* IEEE local experimental ethertype */
#define MAGIC 0x6e62656du      /* "nbem" */
#define FRAME_LEN 60
#define MAXSEQ 2048
#define MS 1000000ull

/* Payload offsets, after the 14-byte Ethernet header. */
#define OFF_MAGIC 14
#define OFF_DIR 18
#define OFF_SEQ 22
#define OFF_SENT 26

static const char *const tap_name[2] = { "ta0", "tb0" };

struct rig {
	struct nb_undo u;
	int ns[2];
	int tap[2];
	int pkt[2];                     /* AF_PACKET socket on the TAP */
	int ifindex[2];
	struct nb_emulator *emu;
	/* By direction (= the sending side): what the other side received. */
	bool got[2][MAXSEQ];
	uint64_t delay_ns[2][MAXSEQ];
	unsigned rx[2], dups[2];
	struct nb_emulator_stats st;    /* 30 KB */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void release_fd(void *arg)
{
	close((int)(intptr_t)arg);
}

static void push_fd(struct rig *r, int fd, const char *what)
{
	assert_true(nb_undo_push(&r->u, NB_RES_FD, fd, release_fd,
				 (void *)(intptr_t)fd, "%s (fd %d)", what,
				 fd) >= 0);
}

/* Sets IFF_UP on the TAP of `side` through any socket of its namespace. */
static void bring_up(struct rig *r, int side)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap_name[side]);
	assert_int_equal(ioctl(r->pkt[side], SIOCGIFINDEX, &ifr), 0);
	r->ifindex[side] = ifr.ifr_ifindex;
	assert_int_equal(ioctl(r->pkt[side], SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(r->pkt[side], SIOCSIFFLAGS, &ifr), 0);
}

static void ipv6_off(int ns)
{
	static const char *const paths[] = {
		"net/ipv6/conf/all/disable_ipv6",
		"net/ipv6/conf/default/disable_ipv6",
	};

	for (int k = 0; k < 2; k++) {
		int rv = nb_netns_sysctl_write(ns, paths[k], "1");

		if (rv != -ENOENT)   /* a kernel without IPv6 sends none */
			assert_int_equal(rv, 0);
	}
}

/* The rigs alive, so that a failed test's teardown can unwind what its
 * assertion jumped over (and the next test starts clean). */
static struct rig *alive[4];

static void rig_free(struct rig *r)
{
	for (size_t k = 0; k < sizeof(alive) / sizeof(alive[0]); k++)
		if (alive[k] == r)
			alive[k] = NULL;
	nb_undo_unwind(&r->u);
	free(r);
}

static int cleanup(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(alive) / sizeof(alive[0]); k++)
		if (alive[k])
			rig_free(alive[k]);
	return 0;
}

/* Namespaces, TAPs (up), packet sockets: everything but the emulator. */
static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct sockaddr_ll sll;
	int buf = 4 << 20;
	size_t k;

	assert_non_null(r);
	nb_undo_init(&r->u);
	for (k = 0; k < sizeof(alive) / sizeof(alive[0]) && alive[k]; k++)
		;
	assert_true(k < sizeof(alive) / sizeof(alive[0]));
	alive[k] = r;
	for (int s = 0; s < 2; s++) {
		r->ns[s] = nb_netns_new(&r->u);
		if (r->ns[s] < 0)
			fail_msg("netns: %s", nb_lasterr());
		ipv6_off(r->ns[s]);
		r->tap[s] = nb_tap_open(r->ns[s], tap_name[s]);
		if (r->tap[s] < 0)
			fail_msg("tap: %s", nb_lasterr());
		push_fd(r, r->tap[s], tap_name[s]);
		/* Protocol 0: receives nothing until bound below. */
		r->pkt[s] = nb_netns_socket(r->ns[s], AF_PACKET, SOCK_RAW, 0);
		if (r->pkt[s] < 0)
			fail_msg("packet socket: %s", nb_lasterr());
		push_fd(r, r->pkt[s], "packet socket");
		bring_up(r, s);
		memset(&sll, 0, sizeof(sll));
		sll.sll_family = AF_PACKET;
		sll.sll_protocol = htons(ETH_TEST);
		sll.sll_ifindex = r->ifindex[s];
		assert_int_equal(bind(r->pkt[s], (struct sockaddr *)&sll,
				      sizeof(sll)), 0);
		assert_int_equal(setsockopt(r->pkt[s], SOL_SOCKET,
					    SO_RCVBUFFORCE, &buf,
					    sizeof(buf)), 0);
	}
	return r;
}

static void rig_start(struct rig *r, uint32_t delay_us, double loss,
		      uint32_t limit, uint64_t seed)
{
	struct nb_emulator_config cfg = {
		.fd = { r->tap[0], r->tap[1] },
		.delay_us = delay_us,
		.loss_pct = loss,
		.limit_pkts = limit,
		.seed = seed,
		.realtime = true,
	};

	if (nb_emulator_start(&r->u, &cfg, &r->emu) < 0)
		fail_msg("emulator: %s", nb_lasterr());
	assert_non_null(r->emu);
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Sends frame `seq` from `side` out through its TAP. */
static void send_frame(struct rig *r, int side, uint32_t seq)
{
	unsigned char f[FRAME_LEN];
	uint16_t type = htons(ETH_TEST);
	uint64_t t;

	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);                       /* broadcast */
	f[6] = 0x02;                              /* locally administered */
	f[11] = (unsigned char)(side + 1);
	memcpy(f + 12, &type, 2);
	put32(f + OFF_MAGIC, MAGIC);
	put32(f + OFF_DIR, (uint32_t)side);
	put32(f + OFF_SEQ, seq);
	t = now_ns();
	memcpy(f + OFF_SENT, &t, sizeof(t));
	if (send(r->pkt[side], f, sizeof(f), 0) != (ssize_t)sizeof(f))
		fail_msg("send on %s: %s", tap_name[side], strerror(errno));
}

/* Reads every frame waiting on `side`'s socket: frames of the other side. */
static void drain(struct rig *r, int side)
{
	unsigned char f[2048];
	int dir = !side;

	for (;;) {
		ssize_t n = recv(r->pkt[side], f, sizeof(f), MSG_DONTWAIT);
		uint64_t t = now_ns(), sent;
		uint32_t seq;

		if (n < 0) {
			/* ENETDOWN: the device went down (reported once). */
			if (errno == EAGAIN || errno == ENETDOWN)
				return;
			assert_int_equal(errno, EINTR);
			continue;
		}
		if (n < OFF_SENT + 8 || get32(f + OFF_MAGIC) != MAGIC ||
		    get32(f + OFF_DIR) != (uint32_t)dir)
			continue;
		seq = get32(f + OFF_SEQ);
		assert_true(seq < MAXSEQ);
		if (r->got[dir][seq]) {
			r->dups[dir]++;
			continue;
		}
		memcpy(&sent, f + OFF_SENT, sizeof(sent));
		r->got[dir][seq] = true;
		r->delay_ns[dir][seq] = t - sent;
		r->rx[dir]++;
	}
}

/* Receives on both sides until `deadline` (CLOCK_MONOTONIC ns). */
static void pump_until(struct rig *r, uint64_t deadline)
{
	struct pollfd pfd[2] = {
		{ .fd = r->pkt[0], .events = POLLIN },
		{ .fd = r->pkt[1], .events = POLLIN },
	};

	for (;;) {
		uint64_t t = now_ns(), w;
		struct timespec ts;

		drain(r, 0);
		drain(r, 1);
		if (t >= deadline)
			return;
		w = deadline - t;
		ts.tv_sec = (time_t)(w / 1000000000ull);
		ts.tv_nsec = (long)(w % 1000000000ull);
		if (ppoll(pfd, 2, &ts, NULL) < 0)
			assert_int_equal(errno, EINTR);
	}
}

static void stats(struct rig *r)
{
	nb_emulator_stats(r->emu, &r->st);
	assert_int_equal(r->st.error, 0);
}

/* Pumps until the emulator has read `frames` frames of direction d. */
static void wait_read(struct rig *r, int d, uint64_t frames)
{
	uint64_t end = now_ns() + 5000 * MS;

	for (;;) {
		stats(r);
		if (r->st.dir[d].frames >= frames)
			return;
		if (now_ns() > end)
			fail_msg("the emulator read %llu frames of %llu",
				 (unsigned long long)r->st.dir[d].frames,
				 (unsigned long long)frames);
		pump_until(r, now_ns() + MS / 5);
	}
}

/* Pumps until every frame read in direction d is dealt with (forwarded or
 * dropped) and every forwarded one has been received. */
static void wait_settled(struct rig *r, int d)
{
	uint64_t end = now_ns() + 5000 * MS;

	for (;;) {
		const struct nb_emulator_dir_stats *ds = &r->st.dir[d];

		stats(r);
		if (ds->forwarded + ds->write_errors + ds->lost +
			    ds->overflow == ds->frames &&
		    r->rx[d] >= ds->forwarded)
			return;
		if (now_ns() > end)
			fail_msg("dir %d: read %llu, forwarded %llu, lost %llu,"
				 " overflow %llu, received %u", d,
				 (unsigned long long)ds->frames,
				 (unsigned long long)ds->forwarded,
				 (unsigned long long)ds->lost,
				 (unsigned long long)ds->overflow, r->rx[d]);
		pump_until(r, now_ns() + MS);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Threads of this process named nb-emu. */
static int emu_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], comm[32];
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			n += !strcmp(comm, "nb-emu");
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* a) Delay: 200 frames each way, 1 ms apart, 20 ms each way. */
static void t_delay(void **state)
{
	enum { N = 200 };
	struct rig *r = rig_new();
	uint64_t t0, d[N], lo = UINT64_MAX;

	(void)state;
	rig_start(r, 20000, 0, 1000, 1);
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		pump_until(r, t0 + i * MS);
		send_frame(r, 0, i);
		send_frame(r, 1, i);
	}
	wait_settled(r, NB_EMU_UP);
	wait_settled(r, NB_EMU_DOWN);

	for (int dir = 0; dir < 2; dir++) {
		const struct nb_emulator_dir_stats *ds = &r->st.dir[dir];

		assert_int_equal(r->rx[dir], N);
		assert_int_equal(r->dups[dir], 0);
		for (int i = 0; i < N; i++) {
			assert_true(r->got[dir][i]);
			d[i] = r->delay_ns[dir][i];
			if (d[i] < lo)
				lo = d[i];
		}
		qsort(d, N, sizeof(d[0]), cmp_u64);
		print_message("dir %d: one-way delay min %.3f median %.3f "
			      "max %.3f ms\n", dir, (double)d[0] / 1e6,
			      (double)d[N / 2] / 1e6, (double)d[N - 1] / 1e6);
		assert_true(d[0] >= 20 * MS);          /* never early */
		/* Under valgrind (one thread at a time, 20-50x slower) only
		 * the floor is the emulator's: the median is valgrind's. */
		if (!getenv("NETBENCH_UNDER_VALGRIND"))
			assert_true(d[N / 2] < 22 * MS);
		assert_int_equal(ds->frames, N);
		assert_int_equal(ds->bytes, N * FRAME_LEN);
		assert_int_equal(ds->forwarded, N);
		assert_int_equal(ds->lost, 0);
		assert_int_equal(ds->overflow, 0);
		assert_int_equal(ds->write_errors, 0);
	}
	assert_true(lo >= 20 * MS);
	assert_int_equal(r->st.lateness.count, 2 * N);
	print_message("lateness p50 %.1f us, p99 %.1f us, max %.1f us; "
		      "realtime %d, cpu %.1f ms in %.1f ms\n",
		      (double)nb_hist_quantile(&r->st.lateness, 0.5) / 1e3,
		      (double)nb_hist_quantile(&r->st.lateness, 0.99) / 1e3,
		      (double)r->st.lateness.max / 1e3, r->st.realtime,
		      (double)r->st.cpu_ns / 1e6, (double)r->st.wall_ns / 1e6);
	assert_true(r->st.wall_ns >= 200 * MS);
	assert_true(r->st.cpu_ns > 0);
	rig_free(r);
}

/* One run of the loss test: 2000 frames A -> B at 10%, seed 42, in chunks
 * that the emulator reads before the next is sent (no queue anywhere can
 * overflow). Returns the stats' lost count; lost[i] says frame i is lost. */
static uint64_t loss_run(bool *lost)
{
	enum { N = 2000, CHUNK = 50 };
	struct rig *r = rig_new();
	uint64_t n_lost;

	rig_start(r, 1000, 10, 2048, 42);
	for (uint32_t i = 0; i < N; i += CHUNK) {
		for (uint32_t k = i; k < i + CHUNK; k++)
			send_frame(r, 0, k);
		wait_read(r, NB_EMU_UP, i + CHUNK);
	}
	wait_settled(r, NB_EMU_UP);
	/* Only the test's frames crossed ta0: the loss generator's index
	 * is the sequence number. */
	assert_int_equal(r->st.dir[NB_EMU_UP].frames, N);
	assert_int_equal(r->st.dir[NB_EMU_UP].overflow, 0);
	assert_int_equal(r->st.dir[NB_EMU_UP].write_errors, 0);
	assert_int_equal(r->st.dir[NB_EMU_DOWN].frames, 0);
	assert_int_equal(r->dups[NB_EMU_UP], 0);
	n_lost = r->st.dir[NB_EMU_UP].lost;
	assert_int_equal(r->st.dir[NB_EMU_UP].forwarded + n_lost, N);
	assert_int_equal(r->rx[NB_EMU_UP], N - n_lost);
	for (int i = 0; i < N; i++)
		lost[i] = !r->got[NB_EMU_UP][i];
	rig_free(r);
	return n_lost;
}

/* b) The lost frames are exactly those the generator predicts, and the
 * same on a second run. */
static void t_loss_reproducible(void **state)
{
	enum { N = 2000 };
	bool *a = calloc(N, sizeof(bool)), *b = calloc(N, sizeof(bool));
	struct nb_lossgen g;
	uint64_t la, lb, predicted = 0;
	int mismatch = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	nb_lossgen_init(&g, 42, NB_EMU_UP, 10);
	la = loss_run(a);
	for (int i = 0; i < N; i++) {
		bool p = nb_lossgen_drop(&g, (uint64_t)i);

		predicted += p;
		if (p != a[i] && mismatch++ < 5)
			print_message("frame %d: %s, predicted %s\n", i,
				      a[i] ? "lost" : "received",
				      p ? "lost" : "received");
	}
	assert_int_equal(mismatch, 0);
	assert_int_equal(la, predicted);
	assert_in_range(la, 140, 260);   /* 10% of 2000, +- 4.5 sd */
	lb = loss_run(b);
	assert_int_equal(lb, la);
	assert_memory_equal(a, b, N * sizeof(bool));
	free(a);
	free(b);
}

/* c) A delay line of 10 frames: of a burst of 100 sent well within the
 * delay, the first 10 are held and forwarded, the rest overflow. */
static void t_limit(void **state)
{
	enum { N = 100 };
	struct rig *r = rig_new();
	const struct nb_emulator_dir_stats *ds = &r->st.dir[NB_EMU_UP];
	uint64_t t0, burst;

	(void)state;
	rig_start(r, 50000, 0, 10, 1);
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++)
		send_frame(r, 0, i);
	burst = now_ns() - t0;
	wait_read(r, NB_EMU_UP, N);
	pump_until(r, t0 + 60 * MS);
	wait_settled(r, NB_EMU_UP);
	print_message("burst sent in %.3f ms; forwarded %llu, overflow %llu\n",
		      (double)burst / 1e6, (unsigned long long)ds->forwarded,
		      (unsigned long long)ds->overflow);
	assert_int_equal(ds->frames, N);
	assert_int_equal(ds->lost, 0);
	assert_in_range(ds->forwarded, 10, 12);
	assert_int_equal(ds->overflow, ds->frames - ds->forwarded - ds->lost);
	assert_int_equal(r->rx[NB_EMU_UP], ds->forwarded);
	for (int i = 0; i < 10; i++)   /* the first ones were held */
		assert_true(r->got[NB_EMU_UP][i]);
	assert_int_equal(r->st.lateness.count, ds->forwarded);
	rig_free(r);
}

/* d) A bad configuration is refused before anything is acquired. */
static void t_bad_config(void **state)
{
	struct nb_undo *u = malloc(sizeof(*u));
	struct nb_emulator *e, *sentinel = (struct nb_emulator *)u;
	struct nb_emulator_config good, c;
	int p[2], fds, threads;

	(void)state;
	assert_non_null(u);
	nb_undo_init(u);
	/* Non-blocking, as a TAP fd from nb_tap_open: the emulator reads
	 * before it polls. */
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	good = (struct nb_emulator_config){
		.fd = { p[0], p[0] }, .delay_us = 1000, .loss_pct = 1,
		.limit_pkts = 100, .seed = 1,
	};
	fds = nb_test_count_fds();
	threads = emu_threads();

#define REFUSED(field, value)                                                  \
	do {                                                                   \
		c = good;                                                      \
		c.field = (value);                                             \
		e = sentinel;                                                  \
		nb_clearerr();                                                 \
		assert_int_equal(nb_emulator_start(u, &c, &e), -EINVAL);       \
		assert_null(e);                                                \
		assert_int_equal(u->n, 0);                                     \
		assert_true(nb_lasterr()[0] != '\0');                          \
	} while (0)

	REFUSED(limit_pkts, 0);
	REFUSED(limit_pkts, (1u << 20) + 1);
	REFUSED(loss_pct, 101);
	REFUSED(loss_pct, 100.0001);
	REFUSED(loss_pct, -1);
	REFUSED(loss_pct, NAN);
	REFUSED(fd[0], -1);
	REFUSED(fd[1], -1);
#undef REFUSED
	e = sentinel;
	assert_int_equal(nb_emulator_start(NULL, &good, &e), -EINVAL);
	assert_null(e);
	assert_int_equal(nb_test_count_fds(), fds);
	assert_int_equal(emu_threads(), threads);

	/* The bounds themselves are accepted. */
	c = good;
	c.limit_pkts = 1;
	c.loss_pct = 100;
	assert_int_equal(nb_emulator_start(u, &c, &e), 0);
	assert_non_null(e);
	assert_int_equal(nb_emulator_config(e)->limit_pkts, 1);
	assert_float_equal(nb_emulator_config(e)->loss_pct, 100, 0);
	assert_int_equal(nb_emulator_config(e)->fd[0], p[0]);
	assert_int_equal(u->n, 2);   /* the state, then the thread */
	assert_int_equal(u->e[1].kind, NB_RES_THREAD);
	nb_undo_unwind(u);
	/* (Not started at the top limit, 1 << 20 frames: its delay lines
	 * would take 2 x 2 GiB, which MALLOC_PERTURB_ fills byte by byte.) */
	close(p[0]);
	close(p[1]);
	free(u);
}

/* e) Unwinding stops the thread promptly and releases everything. */
static void t_teardown(void **state)
{
	struct rig *r;
	int fds = nb_test_count_fds();
	uint64_t t;

	(void)state;
	assert_int_equal(emu_threads(), 0);
	r = rig_new();
	rig_start(r, 5000, 5, 100, 7);
	assert_int_equal(emu_threads(), 1);
	/* Some frames in flight when it stops. */
	for (uint32_t i = 0; i < 20; i++) {
		send_frame(r, 0, i);
		send_frame(r, 1, i);
	}
	t = now_ns();
	rig_free(r);
	t = now_ns() - t;
	assert_true(t < 2000 * MS);
	assert_int_equal(emu_threads(), 0);
	assert_int_equal(nb_test_count_fds(), fds);
}

/* f) A frame the receiving TAP refuses (its device is down: EIO) is a write
 * error, not a forwarded frame, and has no lateness. */
static void t_write_errors(void **state)
{
	enum { N = 10 };
	struct rig *r = rig_new();
	const struct nb_emulator_dir_stats *ds = &r->st.dir[NB_EMU_UP];
	struct ifreq ifr;
	uint64_t lateness;

	(void)state;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap_name[1]);
	assert_int_equal(ioctl(r->pkt[1], SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags &= ~IFF_UP;
	assert_int_equal(ioctl(r->pkt[1], SIOCSIFFLAGS, &ifr), 0);
	rig_start(r, 1000, 0, 100, 1);
	for (uint32_t i = 0; i < N; i++)
		send_frame(r, 0, i);
	wait_read(r, NB_EMU_UP, N);
	wait_settled(r, NB_EMU_UP);
	assert_int_equal(ds->frames, N);
	assert_int_equal(ds->forwarded, 0);
	assert_int_equal(ds->write_errors, N);
	assert_int_equal(r->rx[NB_EMU_UP], 0);
	assert_int_equal(r->st.error, 0);   /* not fatal: it keeps going */
	lateness = r->st.lateness.count;
	rig_free(r);
	assert_int_equal(lateness, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(t_delay, cleanup),
		cmocka_unit_test_teardown(t_loss_reproducible, cleanup),
		cmocka_unit_test_teardown(t_limit, cleanup),
		cmocka_unit_test_teardown(t_bad_config, cleanup),
		cmocka_unit_test_teardown(t_teardown, cleanup),
		cmocka_unit_test_teardown(t_write_errors, cleanup),
	};
	int rv;

	if ((rv = nb_test_require_links("emulator")))
		return rv;
	if (nb_tap_usable() < 0) {
		fprintf(stderr, "emulator: skipped: %s\n", nb_lasterr());
		return 77;
	}
	return cmocka_run_group_tests_name("emulator", tests, NULL, NULL);
}
