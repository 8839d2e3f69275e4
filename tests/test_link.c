/* Unit tests for src/link.c, src/link_netem.c and src/link_userspace.c: the
 * two-namespace link of a case, with each backend this machine can run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "error.h"
#include "link.h"
#include "netns.h"
#include "profile.h"
#include "shaper.h"
#include "testutil.h"
#include "undo.h"

struct fx {
	struct nb_undo u;
	struct nb_link l;
	int fd[3];		/* listener, client, accepted */
	int nfds;		/* open fds before the test */
	unsigned long host;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	nb_undo_init(&f->u);
	for (int i = 0; i < 3; i++)
		f->fd[i] = -1;
	f->nfds = nb_test_count_fds();
	f->host = nb_netns_inode(-1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 3; i++)
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	nb_undo_unwind(&f->u);
	free(f);
	return 0;
}

static const struct nb_profile *profile(const char *name)
{
	const struct nb_profile *p = nb_profile_find(name);

	assert_non_null(p);
	return p;
}

/* After unwinding: no fd of ours is left, the namespaces are not held by
 * anything in the process, and the thread is home. */
static void assert_all_gone(struct fx *f, unsigned long ic, unsigned long is)
{
	assert_int_equal(nb_test_count_fds(), f->nfds);
	if (ic)
		assert_int_equal(nb_test_fds_holding(ic), 0);
	if (is)
		assert_int_equal(nb_test_fds_holding(is), 0);
	assert_int_equal(nb_netns_inode(-1), f->host);
}

/* Qdiscs in sk's namespace other than devices' defaults (handle 0). */
static void count_added(struct nl_object *o, void *arg)
{
	*(int *)arg += rtnl_tc_get_handle((struct rtnl_tc *)o) != 0;
}

static int added_qdiscs(struct nl_sock *sk)
{
	struct nl_cache *qc;
	int n = 0;

	if (rtnl_qdisc_alloc_cache(sk, &qc) < 0)
		return -1;
	nl_cache_foreach(qc, count_added, &n);
	nl_cache_free(qc);
	return n;
}

static void read_sysctl(int ns, const char *path, char *buf, size_t len)
{
	char full[128];
	int saved, fd;
	ssize_t n;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	assert_int_equal(nb_netns_enter(ns, &saved), 0);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (fd >= 0)
		close(fd);
	assert_int_equal(nb_netns_leave(saved), 0);
	assert_true(n > 0);
	buf[n] = '\0';
}

/* Opens a TCP connection client -> server across the link; fills f->fd.
 * The connect must succeed at once: nothing waits for the link. */
static void tcp_connect(struct fx *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(5201) };
	struct pollfd pfd;
	int one = 1;

	sa.sin_addr = f->l.addr[NB_SERVER];
	f->fd[0] = nb_netns_socket(f->l.ns[NB_SERVER], AF_INET, SOCK_STREAM, 0);
	f->fd[1] = nb_netns_socket(f->l.ns[NB_CLIENT], AF_INET, SOCK_STREAM, 0);
	assert_true(f->fd[0] >= 0 && f->fd[1] >= 0);
	setsockopt(f->fd[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(f->fd[0], (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->fd[0], 4), 0);
	assert_int_equal(connect(f->fd[1], (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	pfd = (struct pollfd){ .fd = f->fd[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 3000), 1);
	f->fd[2] = accept4(f->fd[0], NULL, NULL, SOCK_CLOEXEC);
	assert_true(f->fd[2] >= 0);
}

/* Sends n bytes from the server to the client (one thread, poll loop).
 * Returns the seconds it took until the client had them all. */
static double bulk_server_to_client(struct fx *f, size_t n)
{
	static char buf[65536];
	size_t sent = 0, got = 0;
	double t0 = now_s();

	fcntl(f->fd[2], F_SETFL, O_NONBLOCK);
	fcntl(f->fd[1], F_SETFL, O_NONBLOCK);
	while (got < n) {
		struct pollfd p[2] = {
			{ .fd = f->fd[2], .events = sent < n ? POLLOUT : 0 },
			{ .fd = f->fd[1], .events = POLLIN },
		};
		ssize_t k;

		assert_true(poll(p, 2, 5000) > 0);
		if (p[0].revents & POLLOUT) {
			k = send(f->fd[2], buf, n - sent < sizeof(buf) ?
				 n - sent : sizeof(buf), MSG_NOSIGNAL);
			assert_true(k > 0 || errno == EAGAIN);
			sent += k > 0 ? (size_t)k : 0;
		}
		if (p[1].revents & POLLIN) {
			k = recv(f->fd[1], buf, sizeof(buf), 0);
			assert_true(k > 0 || errno == EAGAIN);
			got += k > 0 ? (size_t)k : 0;
		}
	}
	return now_s() - t0;
}

static void t_backend_find(void **state)
{
	const struct nb_link_backend *b;

	(void)state;
	b = nb_link_backend_find(NULL);
	assert_non_null(b);
	assert_string_equal(b->name, nb_shaper_netem_available() ? "netem"
								 : "userspace");
	assert_ptr_equal(nb_link_backend_find("auto"), b);
	assert_int_equal(b->probe(), 0);
	assert_string_equal(nb_link_backend_find("netem")->name, "netem");
	assert_string_equal(nb_link_backend_find("USERSPACE")->name,
			    "userspace");
	if (!nb_shaper_netem_available()) {
		assert_int_equal(nb_link_backend_find("netem")->probe(),
				 -EOPNOTSUPP);
		assert_non_null(strstr(nb_lasterr(), "sch_netem"));
	}
	assert_null(nb_link_backend_find("bogus"));
	assert_non_null(strstr(nb_lasterr(), "'bogus'"));
	assert_non_null(strstr(nb_lasterr(), "auto, netem, userspace"));
}

/* Skips (cmocka's skip) when the backend cannot run here. */
static const char *usable(const char *backend)
{
	const struct nb_link_backend *b = nb_link_backend_find(backend);

	if (!b || b->probe() < 0) {
		print_message("      skipped: %s\n", nb_lasterr());
		skip();
	}
	return backend;
}

static void check_link_10M(struct fx *f, const char *backend)
{
	struct nb_link_opts o = { .backend = backend, .seed = 1 };
	struct nb_link *l = &f->l;
	const struct nb_profile *p = profile("10M_40ms");
	struct nb_shaper_stats sc0, ss0, sc, ss;
	struct nb_undo_entry *e;
	char buf[256], want[128];
	unsigned long ic, is;
	size_t n = 256 * 1024;
	double dt, ideal;
	bool netem = !strcmp(backend, "netem");
	size_t records = netem ? 6 : 10;

	assert_int_equal(nb_link_up(&f->u, l, p, &o), 0);
	ic = nb_netns_inode(l->ns[NB_CLIENT]);
	is = nb_netns_inode(l->ns[NB_SERVER]);
	assert_true(ic && is && ic != is && ic != f->host && is != f->host);
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_true(l->ifindex[NB_CLIENT] > 0 && l->ifindex[NB_SERVER] > 0);
	assert_string_equal(inet_ntop(AF_INET, &l->addr[NB_CLIENT], buf,
				      sizeof(buf)), NB_LINK_CLIENT_ADDR);
	assert_string_equal(inet_ntop(AF_INET, &l->addr[NB_SERVER], buf,
				      sizeof(buf)), NB_LINK_SERVER_ADDR);

	/* What was asked and what was applied. */
	assert_int_equal(l->shape.rate_bps, 10000000);
	assert_int_equal(l->shape.delay_us, 20000);
	assert_int_equal(l->shape.queue_pkts, nb_profile_queue_packets(p));
	assert_int_equal(l->shape.netem_limit, nb_profile_netem_limit(p));
	for (int s = 0; s < 2; s++) {
		assert_true(l->applied[s].shaped);
		assert_int_equal(l->applied[s].netem, netem);
		assert_int_equal(l->applied[s].burst_bytes, 1600);
	}
	assert_true(nb_link_emulates_delay(l));
	assert_int_equal(l->emu != NULL, !netem);
	nb_link_describe(l, buf, sizeof(buf));
	if (netem)
		snprintf(want, sizeof(want), "netem: htb 10 Mbit/s + netem "
			 "delay 20 ms loss 0%% limit %u", l->shape.netem_limit);
	else
		snprintf(want, sizeof(want), "userspace: htb 10 Mbit/s + pfifo "
			 "%u pkts; emulator delay 20 ms loss 0%% limit %u "
			 "seed 1", l->shape.queue_pkts, l->shape.netem_limit);
	assert_string_equal(buf, want);

	/* The ledger: 2 namespaces, 2 sockets, 2 qdiscs, with origins; the
	 * userspace backend adds 2 TAP fds, the emulator and its thread. */
	assert_int_equal(f->u.n, records);
	if (!netem) {
		assert_non_null(nb_undo_find(&f->u, NB_RES_FD,
					     l->tap_fd[NB_SERVER]));
		assert_non_null(nb_undo_find_what(&f->u, NB_RES_THREAD,
						  "nb-emu"));
	}
	assert_non_null(nb_undo_find(&f->u, NB_RES_NETNS, (long long)ic));
	assert_non_null(nb_undo_find(&f->u, NB_RES_NETNS, (long long)is));
	assert_non_null(nb_undo_find(&f->u, NB_RES_FD,
				     nl_socket_get_fd(l->nl[NB_CLIENT])));
	e = nb_undo_find(&f->u, NB_RES_QDISC, l->ifindex[NB_SERVER]);
	assert_non_null(e);
	assert_string_equal(e->file, __FILE__);
	assert_non_null(strstr(e->what, "server"));
	for (size_t i = 0; i < f->u.n; i++)
		if (f->u.e[i].kind == NB_RES_QDISC)
			assert_true(f->u.e[i].id2 == ic || f->u.e[i].id2 == is);
	/* One segment per packet on both ends (no GSO super-packets). */
	for (int s = 0; s < 2; s++) {
		struct rtnl_link *dev = NULL;
		uint32_t segs = 0;

		assert_int_equal(rtnl_link_get_kernel(l->nl[s], l->ifindex[s],
						      NULL, &dev), 0);
		assert_int_equal(rtnl_link_get_gso_max_segs(dev, &segs), 0);
		assert_int_equal(rtnl_link_get_mtu(dev), NB_MTU);
		rtnl_link_put(dev);
		assert_int_equal(segs, 1);
	}
	assert_int_equal(added_qdiscs(l->nl[NB_CLIENT]), 2);
	assert_int_equal(added_qdiscs(l->nl[NB_SERVER]), 2);

	/* TCP buffers in both namespaces; no IPv6 on the link. */
	for (int s = 0; s < 2; s++) {
		char path[64];

		snprintf(path, sizeof(path), "net/ipv6/conf/%s/disable_ipv6",
			 s == NB_CLIENT ? "nbc0" : "nbs0");
		read_sysctl(l->ns[s], path, buf, sizeof(buf));
		assert_string_equal(buf, "1\n");
		read_sysctl(l->ns[s], "net/ipv4/tcp_rmem", buf, sizeof(buf));
		assert_string_equal(buf, "4096\t131072\t16777216\n");
		read_sysctl(l->ns[s], "net/ipv4/tcp_wmem", buf, sizeof(buf));
		assert_string_equal(buf, "4096\t16384\t16777216\n");
	}

	/* Traffic: connect at once, then a bulk download. */
	tcp_connect(f);
	assert_int_equal(l->backend->counters(l, NB_CLIENT, &sc0), 0);
	assert_int_equal(l->backend->counters(l, NB_SERVER, &ss0), 0);
	dt = bulk_server_to_client(f, n);
	assert_int_equal(l->backend->counters(l, NB_CLIENT, &sc), 0);
	assert_int_equal(l->backend->counters(l, NB_SERVER, &ss), 0);
	/* The server's egress carried the download (payload + headers) ... */
	assert_true(ss.bytes - ss0.bytes >= n);
	assert_true(ss.packets - ss0.packets >= n / 1448);
	/* ... the client's only the ACKs. */
	assert_true(sc.bytes - sc0.bytes > 0);
	assert_true(sc.bytes - sc0.bytes < (ss.bytes - ss0.bytes) / 4);
	/* What left the server's egress cannot have passed faster than the
	 * rate allows, less one burst (1600 B + one frame). A faster transfer
	 * means unshaped traffic or super-packets charged as one. */
	ideal = (double)(ss.bytes - ss0.bytes - 2 * NB_FRAME) * 8 / 10e6;
	print_message("      256 KiB server->client: %.3f s for %llu bytes "
		      "(%llu packets, %llu drops) on the wire, rate allows "
		      ">= %.3f s\n", dt, (unsigned long long)(ss.bytes - ss0.bytes),
		      (unsigned long long)(ss.packets - ss0.packets),
		      (unsigned long long)(ss.drops - ss0.drops), ideal);
	assert_true(dt >= 0.97 * ideal);
}

static void t_link_10M_netem(void **state)
{
	check_link_10M(*state, usable("netem"));
}

static void t_link_10M_userspace(void **state)
{
	check_link_10M(*state, usable("userspace"));
}

static void t_unwind_frees(void **state)
{
	struct fx *f = *state;
	unsigned long ic, is;
	int nlfd;

	assert_int_equal(nb_link_up(&f->u, &f->l, profile("100M_40ms"), NULL),
			 0);
	ic = nb_netns_inode(f->l.ns[NB_CLIENT]);
	is = nb_netns_inode(f->l.ns[NB_SERVER]);
	nlfd = nl_socket_get_fd(f->l.nl[NB_SERVER]);
	assert_int_equal(nb_test_fds_holding(ic), 1);
	assert_int_equal(nb_test_fds_holding(is), 1);
	assert_int_equal(nb_test_count_fds(),
			 f->nfds + 4 + (f->l.tap_fd[NB_CLIENT] >= 0 ? 2 : 0));
	nb_undo_unwind(&f->u);
	for (size_t i = 0; i < f->u.n; i++)
		assert_true(f->u.e[i].released);
	assert_int_equal(fcntl(nlfd, F_GETFD), -1);
	assert_all_gone(f, ic, is);
}

static void t_unthrottled(void **state)
{
	struct fx *f = *state;
	struct nb_link *l = &f->l;
	char buf[128], want[128];

	assert_int_equal(nb_link_up(&f->u, l, profile("unthrottled"), NULL), 0);
	assert_false(l->applied[NB_CLIENT].shaped);
	assert_false(l->applied[NB_SERVER].shaped);
	assert_null(nb_undo_find_what(&f->u, NB_RES_QDISC, ""));
	assert_int_equal(f->u.n, 4);
	assert_int_equal(added_qdiscs(l->nl[NB_CLIENT]), 0);
	assert_int_equal(added_qdiscs(l->nl[NB_SERVER]), 0);
	assert_true(nb_link_emulates_delay(l));	/* nothing to emulate */
	nb_link_describe(l, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s: no shaping (unthrottled)",
		 l->backend->name);
	assert_string_equal(buf, want);
	assert_null(l->emu);
	tcp_connect(f);
	bulk_server_to_client(f, 1 << 20);
}

static void t_fail_early(void **state)
{
	struct fx *f = *state;
	const struct nb_profile *p = profile("10M_40ms");
	struct nb_link_opts o = { .backend = "bogus" };

	assert_int_equal(nb_link_up(&f->u, &f->l, p, &o), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "valid: auto, netem, userspace"));
	if (!nb_shaper_netem_available()) {
		o.backend = "netem";
		assert_int_equal(nb_link_up(&f->u, &f->l, p, &o), -EOPNOTSUPP);
		assert_non_null(strstr(nb_lasterr(), "sch_netem"));
	}
	o = (struct nb_link_opts){ .loss_pct = 101 };
	assert_int_equal(nb_link_up(&f->u, &f->l, p, &o), -EINVAL);
	o.loss_pct = 1;
	assert_int_equal(nb_link_up(&f->u, &f->l, profile("unthrottled"), &o),
			 -EOPNOTSUPP);
	/* Nothing was acquired. */
	assert_int_equal(f->u.n, 0);
	assert_all_gone(f, 0, 0);
}

static void fill(struct nb_undo *u, size_t free_slots)
{
	nb_undo_init(u);
	while (u->n < NB_UNDO_MAX - free_slots)
		assert_true(nb_undo_push(u, NB_RES_OTHER, 0, NULL, NULL,
					 "filler") >= 0);
}

/* Every registered step can fail (the undo stack runs out of room right
 * there); each failure leaves nothing behind once unwound. */
static void check_fail_every_step(struct fx *f, const char *backend,
				  size_t steps)
{
	const struct nb_profile *p = profile("10M_40ms");
	struct nb_link_opts o = { .backend = backend, .loss_pct = 1 };
	int rv;

	for (size_t k = 0; k <= steps; k++) {
		fill(&f->u, k);
		rv = nb_link_up(&f->u, &f->l, p, &o);
		if (k < steps) {
			assert_int_equal(rv, -ENOSPC);
			assert_int_equal(f->u.n, NB_UNDO_MAX);
		} else {
			assert_int_equal(rv, 0);
		}
		nb_undo_unwind(&f->u);
		assert_all_gone(f, 0, 0);
	}
	nb_undo_init(&f->u);
}

static void t_fail_every_step_netem(void **state)
{
	check_fail_every_step(*state, usable("netem"), 6);
}

static void t_fail_every_step_userspace(void **state)
{
	check_fail_every_step(*state, usable("userspace"), 10);
}

/* Build + tear down, repeatedly: each round leaves nothing. The time is
 * reported, not asserted (DESIGN §9). */
static void t_build_teardown_time(void **state)
{
	struct fx *f = *state;
	const struct nb_profile *p = profile("300M_80ms");
	double t0, t1, up = 0, down = 0, worst = 0;
	const int rounds = 20;

	for (int i = 0; i < rounds; i++) {
		nb_undo_init(&f->u);
		t0 = now_s();
		assert_int_equal(nb_link_up(&f->u, &f->l, p, NULL), 0);
		t1 = now_s();
		nb_undo_unwind(&f->u);
		up += t1 - t0;
		down += now_s() - t1;
		if (now_s() - t0 > worst)
			worst = now_s() - t0;
		assert_all_gone(f, 0, 0);
	}
	print_message("      link build %.2f ms + teardown %.2f ms (mean of "
		      "%d), worst round %.2f ms\n", up * 1e3 / rounds,
		      down * 1e3 / rounds, rounds, worst * 1e3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_backend_find),
		cmocka_unit_test_setup_teardown(t_link_10M_netem, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_link_10M_userspace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_unwind_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unthrottled, setup, teardown),
		cmocka_unit_test_setup_teardown(t_fail_early, setup, teardown),
		cmocka_unit_test_setup_teardown(t_fail_every_step_netem, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_fail_every_step_userspace,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_build_teardown_time, setup,
						teardown),
	};
	int rv;

	rv = nb_test_require_links("test_link");
	if (rv)
		return rv;
	if (!nb_link_backend_find("auto")) {
		fprintf(stderr, "test_link: skipped: %s\n", nb_lasterr());
		return 77;
	}
	return cmocka_run_group_tests_name("link", tests, NULL, NULL);
}
