/* netbench: unit tests of the link probes (probe.h).
 *
 * Three anonymous network namespaces, held by fds only: A (10.77.0.1/24) and
 * B (10.77.0.2/24) joined by a veth pair, and C, which owns 10.77.0.9 on its
 * loopback only, so that from A it is an on-link address nobody answers.
 * Built with libnl-route-3 (never by running ip/tc); everything disappears
 * when the fds are closed in the group teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/pkt_sched.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include "error.h"
#include "interrupt.h"
#include "netns.h"
#include "probe.h"
#include "testutil.h"

#define ADDR_A "10.77.0.1"
#define ADDR_B "10.77.0.2"
#define ADDR_SILENT "10.77.0.9"
#define PORT 47001
#define SHAPE_BPS 10000000.0			/* bit/s */
#define TCP_CEILING (SHAPE_BPS * 1448 / 1514)

static int ns_a = -1, ns_b = -1, ns_c = -1;

/* A new anonymous network namespace, held by the returned O_CLOEXEC fd; the
 * calling thread stays where it was. Returns the fd or a negative errno. */
static int ns_new(void)
{
	int save, fd;

	save = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (save < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		fd = -errno;
	} else {
		fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		if (setns(save, CLONE_NEWNET) < 0)
			abort();	/* stuck in the wrong namespace */
	}
	close(save);
	return fd;
}

/* Brings `name` up and, if cidr, adds that address. Returns 0 or -NLE_*. */
static int nl_up(struct nl_sock *sk, const char *name, const char *cidr)
{
	struct rtnl_link *l = NULL, *chg = NULL;
	struct rtnl_addr *a = NULL;
	struct nl_addr *na = NULL;
	int rv;

	rv = rtnl_link_get_kernel(sk, 0, name, &l);
	if (rv < 0)
		goto out;
	chg = rtnl_link_alloc();
	rtnl_link_set_flags(chg, IFF_UP);
	rv = rtnl_link_change(sk, l, chg, 0);
	if (rv < 0 || !cidr)
		goto out;
	rv = nl_addr_parse(cidr, AF_INET, &na);
	if (rv < 0)
		goto out;
	a = rtnl_addr_alloc();
	rtnl_addr_set_ifindex(a, rtnl_link_get_ifindex(l));
	rtnl_addr_set_local(a, na);
	rv = rtnl_addr_add(sk, a, NLM_F_CREATE);
out:
	if (a)
		rtnl_addr_put(a);
	if (na)
		nl_addr_put(na);
	if (chg)
		rtnl_link_put(chg);
	if (l)
		rtnl_link_put(l);
	return rv;
}

/* Waits up to 2 s for `name` to be operationally up (qdisc attached).
 * Returns 0 or -1. */
static int nl_wait_running(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l;
	int up;

	for (int i = 0; i < 200; i++) {
		if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
			return -1;
		up = rtnl_link_get_operstate(l) == IF_OPER_UP;
		rtnl_link_put(l);
		if (up)
			return 0;
		usleep(10000);
	}
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int grp_teardown(void **state)
{
	int *fds[] = { &ns_a, &ns_b, &ns_c };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	return 0;
}

static int grp_setup(void **state)
{
	struct nl_sock *sa = NULL, *sb = NULL, *sc = NULL;
	struct rtnl_link *veth = NULL, *peer = NULL;
	const char *what = NULL;
	int rv = -1;

	(void)state;
	ns_a = ns_new();
	ns_b = ns_new();
	ns_c = ns_new();
	if (ns_a < 0 || ns_b < 0 || ns_c < 0) {
		what = "namespaces";
		goto out;
	}
	sa = nb_netns_route_socket(ns_a);
	sb = nb_netns_route_socket(ns_b);
	sc = nb_netns_route_socket(ns_c);
	if (!sa || !sb || !sc) {
		what = "netlink sockets";
		goto out;
	}
	veth = rtnl_link_veth_alloc();
	rtnl_link_set_name(veth, "nbp0");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "nbp1");
	rtnl_link_set_ns_fd(peer, ns_b);
	if (rtnl_link_add(sa, veth, NLM_F_CREATE | NLM_F_EXCL) < 0) {
		what = "veth";
		goto out;
	}
	if (nl_up(sa, "lo", NULL) || nl_up(sa, "nbp0", ADDR_A "/24") ||
	    nl_up(sb, "lo", NULL) || nl_up(sb, "nbp1", ADDR_B "/24") ||
	    nl_up(sc, "lo", ADDR_SILENT "/32")) {
		what = "links up / addresses";
		goto out;
	}
	if (nl_wait_running(sa, "nbp0") || nl_wait_running(sb, "nbp1")) {
		what = "veth operstate";
		goto out;
	}
	rv = 0;
out:
	if (what)
		fprintf(stderr, "test_probe: group setup failed: %s\n", what);
	if (peer)
		rtnl_link_put(peer);
	if (veth)
		rtnl_link_put(veth);
	if (sa)
		nl_socket_free(sa);
	if (sb)
		nl_socket_free(sb);
	if (sc)
		nl_socket_free(sc);
	return rv;
}

/* htb root 1: (default 1:10), class 1:10 at SHAPE_BPS on nbp1 (B's egress).
 * Returns 0 or -NLE_*. */
static int shape_b(void)
{
	struct nl_sock *sk = nb_netns_route_socket(ns_b);
	struct rtnl_link *l = NULL;
	struct rtnl_qdisc *q = NULL;
	struct rtnl_class *c = NULL;
	uint32_t rate = (uint32_t)(SHAPE_BPS / 8);
	int rv;

	if (!sk)
		return -NLE_FAILURE;
	rv = rtnl_link_get_kernel(sk, 0, "nbp1", &l);
	if (rv < 0)
		goto out;
	q = rtnl_qdisc_alloc();
	rtnl_tc_set_link(TC_CAST(q), l);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	rtnl_tc_set_kind(TC_CAST(q), "htb");
	rtnl_htb_set_defcls(q, 0x10);
	rv = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	if (rv < 0)
		goto out;
	c = rtnl_class_alloc();
	rtnl_tc_set_link(TC_CAST(c), l);
	rtnl_tc_set_parent(TC_CAST(c), TC_HANDLE(1, 0));
	rtnl_tc_set_handle(TC_CAST(c), TC_HANDLE(1, 0x10));
	rtnl_tc_set_kind(TC_CAST(c), "htb");
	rtnl_htb_set_rate(c, rate);
	rtnl_htb_set_ceil(c, rate);
	rtnl_htb_set_rbuffer(c, rate / 1000 + 1600);
	rtnl_htb_set_cbuffer(c, rate / 1000 + 1600);
	rv = rtnl_class_add(sk, c, NLM_F_CREATE);
out:
	if (c)
		rtnl_class_put(c);
	if (q)
		rtnl_qdisc_put(q);
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return rv;
}

/* Removes B's root qdisc (if any). */
static int unshape_b(void **state)
{
	struct nl_sock *sk = nb_netns_route_socket(ns_b);
	struct rtnl_link *l = NULL;
	struct rtnl_qdisc *q;

	(void)state;
	if (!sk)
		return -1;
	if (rtnl_link_get_kernel(sk, 0, "nbp1", &l) == 0) {
		q = rtnl_qdisc_alloc();
		rtnl_tc_set_ifindex(TC_CAST(q), rtnl_link_get_ifindex(l));
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rtnl_qdisc_delete(sk, q);	/* -NLE_OBJ_NOTFOUND if none */
		rtnl_qdisc_put(q);
		rtnl_link_put(l);
	}
	nl_socket_free(sk);
	return 0;
}

static void t_rtt_unshaped(void **state)
{
	struct nb_rtt_result r;
	int fds = nb_test_count_fds(), rv;

	(void)state;
	rv = nb_probe_rtt(ns_a, ns_b, ADDR_A, ADDR_B, PORT, 20, 5, 1000, &r);
	assert_int_equal(rv, 0);
	print_message("rtt: sent %u received %u min %.3f median %.3f mean %.3f max %.3f ms\n",
		      r.sent, r.received, r.min_ms, r.median_ms, r.mean_ms, r.max_ms);
	assert_int_equal(r.sent, 20);
	assert_int_equal(r.received, r.sent);
	assert_true(r.median_ms < 5.0);
	assert_true(r.min_ms > 0 && r.min_ms <= r.median_ms);
	assert_true(r.median_ms <= r.max_ms);
	assert_true(r.mean_ms >= r.min_ms && r.mean_ms <= r.max_ms);
	assert_int_equal(nb_test_count_fds(), fds);
}

/* C holds ADDR_SILENT: the probe's echo socket binds fine there, but from A
 * the address is on the veth's subnet and nobody answers ARP for it. */
static void t_rtt_silent(void **state)
{
	struct nb_rtt_result r;
	int fds = nb_test_count_fds(), rv;
	double t = now_s();

	(void)state;
	rv = nb_probe_rtt(ns_a, ns_c, ADDR_A, ADDR_SILENT, PORT, 3, 10, 300, &r);
	t = now_s() - t;
	print_message("silent: rv %d (%s) after %.3f s\n", rv, nb_lasterr(), t);
	assert_int_equal(rv, -ETIMEDOUT);
	assert_int_equal(r.sent, 3);
	assert_int_equal(r.received, 0);
	assert_true(t < 1.0);
	assert_int_equal(nb_test_count_fds(), fds);
}

static void t_bad_args(void **state)
{
	struct nb_rtt_result rr;
	struct nb_rate_result ra;

	(void)state;
	assert_int_equal(nb_probe_rtt(ns_a, ns_b, ADDR_A, ADDR_B, PORT, 0, 1, 1, &rr),
			 -EINVAL);
	assert_int_equal(nb_probe_rtt(ns_a, ns_b, ADDR_A, "nope", PORT, 1, 1, 1, &rr),
			 -EINVAL);
	assert_int_equal(nb_probe_rate(ns_a, ns_b, ADDR_B, PORT, 0.1, 0, &ra),
			 -EINVAL);
	/* B does not own ADDR_A: the listener cannot bind */
	assert_int_equal(nb_probe_rate(ns_a, ns_b, ADDR_A, PORT, 0.1, 0.1, &ra),
			 -EADDRNOTAVAIL);
}

static void t_interrupted(void **state)
{
	struct nb_rate_result ra;
	struct nb_rtt_result rr;
	int fds = nb_test_count_fds(), rv1, rv2;

	(void)state;
	nb_interrupt_signal = SIGINT;
	rv1 = nb_probe_rate(ns_a, ns_b, ADDR_B, PORT, 0.1, 0.1, &ra);
	rv2 = nb_probe_rtt(ns_a, ns_b, ADDR_A, ADDR_B, PORT, 5, 10, 100, &rr);
	nb_interrupt_signal = 0;
	assert_int_equal(rv1, -EINTR);
	assert_int_equal(rv2, -EINTR);
	assert_int_equal(nb_test_count_fds(), fds);
}

/* Upload direction (A -> B), no shaping: a veth does many Gbit/s. */
static void t_rate_unshaped(void **state)
{
	struct nb_rate_result r;
	int fds = nb_test_count_fds(), rv;

	(void)state;
	rv = nb_probe_rate(ns_a, ns_b, ADDR_B, PORT, 0.2, 0.5, &r);
	assert_int_equal(rv, 0);
	print_message("unshaped: %.1f Mbit/s (%llu B in %.3f s, total %llu B)\n",
		      r.bps / 1e6, (unsigned long long)r.bytes, r.seconds,
		      (unsigned long long)r.total);
	assert_true(r.bps > 100e6);
	assert_true(r.seconds >= 0.5);
	assert_true(r.total >= r.bytes);
	assert_int_equal(nb_test_count_fds(), fds);
}

/* Download direction (B -> A) through htb at 10 Mbit/s on B's egress. */
static void t_rate_shaped(void **state)
{
	struct nb_rate_result r;
	int fds = nb_test_count_fds(), rv;
	double ratio;

	(void)state;
	rv = shape_b();
	if (rv == -NLE_OBJ_NOTFOUND)
		skip();		/* no sch_htb in this kernel */
	assert_int_equal(rv, 0);
	rv = nb_probe_rate(ns_b, ns_a, ADDR_A, PORT, 0.5, 2.0, &r);
	assert_int_equal(rv, 0);
	ratio = r.bps / TCP_CEILING;
	print_message("shaped 10 Mbit/s: %.3f Mbit/s = %.4f of ceiling %.3f (%llu B in %.3f s, total %llu B)\n",
		      r.bps / 1e6, ratio, TCP_CEILING / 1e6,
		      (unsigned long long)r.bytes, r.seconds,
		      (unsigned long long)r.total);
	/* cubic fills the link: a window of 2 s can hold htb's burst and a
	 * timer tick over the rate, so the top is 1.005, not 1. */
	assert_true(ratio >= 0.93 && ratio <= 1.005);
	assert_true(r.seconds >= 2.0 && r.seconds < 2.2);
	assert_int_equal(nb_test_count_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rtt_unshaped),
		cmocka_unit_test(t_rtt_silent),
		cmocka_unit_test(t_bad_args),
		cmocka_unit_test(t_interrupted),
		cmocka_unit_test(t_rate_unshaped),
		cmocka_unit_test_teardown(t_rate_shaped, unshape_b),
	};
	int rv;

	rv = nb_test_require_links("test_probe");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("probe", tests, grp_setup,
					   grp_teardown);
}
