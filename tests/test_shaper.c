/* Unit tests for src/shaper.c: the htb tree on a veth, read back through
 * libnl. Each test gets two fresh namespaces A and B joined by a veth
 * (sa0 10.78.0.1/24 in A, sb0 10.78.0.2/24 in B); shaping goes on sa0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "error.h"
#include "netns.h"
#include "shaper.h"
#include "testutil.h"
#include "undo.h"

struct fx {
	struct nb_undo u;
	int ns[2];
	struct nl_sock *sk[2];
	int ifindex[2];
	int fd[2];		/* UDP sockets, A and B */
};

static const char *const names[2] = { "sa0", "sb0" };
static const char *const cidrs[2] = { "10.78.0.1/24", "10.78.0.2/24" };

static void release_sock(void *arg)
{
	nl_socket_free(arg);
}

static int set_up(struct nl_sock *sk, const char *name, int *ifindex)
{
	struct rtnl_link *cur = NULL, *chg = rtnl_link_alloc();
	int rv = rtnl_link_get_kernel(sk, 0, name, &cur);

	if (rv == 0) {
		rtnl_link_set_flags(chg, IFF_UP);
		rv = rtnl_link_change(sk, cur, chg, 0);
		if (ifindex)
			*ifindex = rtnl_link_get_ifindex(cur);
		rtnl_link_put(cur);
	}
	rtnl_link_put(chg);
	return rv;
}

static int add_addr(struct nl_sock *sk, int ifindex, const char *cidr)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *na = NULL;
	int rv = nl_addr_parse(cidr, AF_INET, &na);

	if (rv == 0) {
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, na);
		rv = rtnl_addr_add(sk, a, NLM_F_CREATE);
		nl_addr_put(na);
	}
	rtnl_addr_put(a);
	return rv;
}

static int setup(void **state)
{
	struct rtnl_link *veth, *peer;
	struct fx *f = calloc(1, sizeof(*f));
	int rv;

	if (!f)
		return -1;
	*state = f;
	nb_undo_init(&f->u);
	f->fd[0] = f->fd[1] = -1;
	for (int i = 0; i < 2; i++) {
		f->ns[i] = nb_netns_new(&f->u);
		if (f->ns[i] < 0)
			goto fail;
		f->sk[i] = nb_netns_route_socket(f->ns[i]);
		if (!f->sk[i] || nb_undo_push(&f->u, NB_RES_FD, 0, release_sock,
					      f->sk[i], "nl socket") < 0)
			goto fail;
	}
	/* No IPv6: no router solicitations or MLD reports on the veth, so
	 * the counters see nothing but the test's own traffic. */
	for (int i = 0; i < 2; i++) {
		nb_netns_sysctl_write(f->ns[i], "net/ipv6/conf/all/disable_ipv6",
				      "1");
		nb_netns_sysctl_write(f->ns[i],
				      "net/ipv6/conf/default/disable_ipv6", "1");
	}
	veth = rtnl_link_veth_alloc();
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, names[0]);
	rtnl_link_set_name(peer, names[1]);
	rtnl_link_set_ns_fd(peer, f->ns[1]);
	rv = rtnl_link_add(f->sk[0], veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	if (rv < 0)
		goto fail;
	for (int i = 0; i < 2; i++) {
		if (set_up(f->sk[i], "lo", NULL) < 0 ||
		    set_up(f->sk[i], names[i], &f->ifindex[i]) < 0 ||
		    add_addr(f->sk[i], f->ifindex[i], cidrs[i]) < 0)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "setup failed: %s\n", nb_lasterr());
	nb_undo_unwind(&f->u);
	free(f);
	return -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++)
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	nb_undo_unwind(&f->u);
	free(f);
	return 0;
}

/* Counts qdiscs on ifindex: all, and those that are not the device's
 * default (handle != 0). */
struct qcount {
	int ifindex, all, added;
};

static void count_cb(struct nl_object *o, void *arg)
{
	struct qcount *c = arg;
	struct rtnl_tc *tc = (struct rtnl_tc *)o;

	if (rtnl_tc_get_ifindex(tc) != c->ifindex)
		return;
	c->all++;
	c->added += rtnl_tc_get_handle(tc) != 0;
}

static struct qcount count_qdiscs(struct nl_sock *sk, int ifindex)
{
	struct qcount c = { .ifindex = ifindex, .all = -1 };
	struct nl_cache *qc;

	if (rtnl_qdisc_alloc_cache(sk, &qc) < 0)
		return c;
	c.all = 0;
	nl_cache_foreach(qc, count_cb, &c);
	nl_cache_free(qc);
	return c;
}

static void assert_pristine(struct fx *f)
{
	struct qcount c = count_qdiscs(f->sk[0], f->ifindex[0]);
	struct nl_cache *cc;

	assert_int_equal(c.added, 0);
	assert_int_equal(c.all, 1);	/* the default noqueue only */
	assert_int_equal(rtnl_class_alloc_cache(f->sk[0], f->ifindex[0], &cc),
			 0);
	assert_int_equal(nl_cache_nitems(cc), 0);
	nl_cache_free(cc);
}

static struct nb_shape shape(uint64_t rate_bps)
{
	return (struct nb_shape){
		.rate_bps = rate_bps,
		.delay_us = 20000,
		.queue_pkts = 34,
		.netem_limit = 1000,
	};
}

/* Reads back the tree and checks every level of it. */
static void check_tree(struct fx *f, uint64_t rate_Bps, uint32_t burst,
		       uint32_t quantum, const struct nb_shape *s,
		       const struct nb_shape_result *res)
{
	struct nl_cache *qc, *cc;
	struct rtnl_qdisc *root, *leaf;
	struct rtnl_class *cls;
	uint64_t v;
	int ifi = f->ifindex[0];

	assert_int_equal(rtnl_qdisc_alloc_cache(f->sk[0], &qc), 0);
	root = rtnl_qdisc_get(qc, ifi, TC_HANDLE(1, 0));
	assert_non_null(root);
	assert_string_equal(rtnl_tc_get_kind(TC_CAST(root)), "htb");
	assert_int_equal(rtnl_tc_get_parent(TC_CAST(root)), TC_H_ROOT);
	assert_int_equal(rtnl_htb_get_defcls(root), 0x10);
	rtnl_qdisc_put(root);

	leaf = rtnl_qdisc_get(qc, ifi, TC_HANDLE(0x10, 0));
	assert_non_null(leaf);
	assert_string_equal(rtnl_tc_get_kind(TC_CAST(leaf)), res->leaf);
	assert_int_equal(rtnl_tc_get_parent(TC_CAST(leaf)), TC_HANDLE(1, 0x10));
	if (res->netem) {
		assert_int_equal(rtnl_netem_get_delay(leaf), (int)s->delay_us);
		assert_int_equal(rtnl_netem_get_limit(leaf),
				 (int)s->netem_limit);
	} else {
		assert_string_equal(res->leaf, "pfifo");
		assert_int_equal(rtnl_qdisc_fifo_get_limit(leaf),
				 (int)s->queue_pkts);
	}
	rtnl_qdisc_put(leaf);
	nl_cache_free(qc);
	assert_int_equal(count_qdiscs(f->sk[0], ifi).added, 2);

	assert_int_equal(rtnl_class_alloc_cache(f->sk[0], ifi, &cc), 0);
	assert_int_equal(nl_cache_nitems(cc), 1);
	cls = rtnl_class_get(cc, ifi, TC_HANDLE(1, 0x10));
	assert_non_null(cls);
	assert_string_equal(rtnl_tc_get_kind(TC_CAST(cls)), "htb");
	/* A top-level htb class is dumped with parent "root" (tc shows
	 * "class htb 1:10 root"); that it hangs off 1: is its major. */
	assert_int_equal(rtnl_tc_get_parent(TC_CAST(cls)), TC_H_ROOT);
	assert_int_equal(rtnl_htb_get_rate64(cls, &v), 0);
	assert_int_equal(v, rate_Bps);
	assert_int_equal(rtnl_htb_get_ceil64(cls, &v), 0);
	assert_int_equal(v, rate_Bps);
	/* The kernel keeps the burst as a time; 1% covers the rounding. */
	assert_in_range(rtnl_htb_get_rbuffer(cls), burst - burst / 100,
			burst + burst / 100);
	assert_in_range(rtnl_htb_get_cbuffer(cls), burst - burst / 100,
			burst + burst / 100);
	assert_int_equal(rtnl_htb_get_quantum(cls), quantum);
	rtnl_class_put(cls);
	nl_cache_free(cc);
	assert_int_equal(res->burst_bytes, burst);
	assert_true(res->shaped);
}

/* The probe agrees with a real attempt, and leaves no process behind. */
static void t_probe(void **state)
{
	struct fx *f = *state;
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	bool avail = nb_shaper_netem_available();
	int rv;

	assert_int_equal(nb_shaper_htb_usable(), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(nb_shaper_netem_available(), avail);	/* cached */

	rtnl_tc_set_ifindex(TC_CAST(q), f->ifindex[0]);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	rtnl_tc_set_kind(TC_CAST(q), "netem");
	rtnl_netem_set_limit(q, 1000);
	rv = rtnl_qdisc_add(f->sk[0], q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	if (avail) {
		assert_int_equal(rv, 0);
		assert_int_equal(nb_shaper_remove(f->sk[0], f->ifindex[0]), 0);
	} else {
		assert_int_equal(rv, -NLE_OBJ_NOTFOUND);
	}
	assert_pristine(f);
}

static void t_apply_10M(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(10000000);
	struct nb_shape_result res;

	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res), 0);
	/* This kernel's sch_netem decides the leaf. */
	assert_int_equal(res.netem, nb_shaper_netem_available());
	assert_string_equal(res.leaf, res.netem ? "netem" : "pfifo");
	/* 10 Mbit = 1.25 MB/s; 1 ms of it is less than 1600 B; quantum =
	 * rate / 10. */
	check_tree(f, 1250000, 1600, 125000, &s, &res);
	/* The peer's egress is untouched. */
	assert_int_equal(count_qdiscs(f->sk[1], f->ifindex[1]).added, 0);
}

/* Burst and quantum across rates, each tree removed before the next:
 * 300 Mbit/s = 37.5 MB/s, burst 1 ms = 37500 B, quantum clamped to 200000;
 * 40 Gbit/s = 5 GB/s, beyond 32 bits (TCA_HTB_RATE64); 100 kbit/s with an
 * explicit burst, rate / 10 below a frame so the quantum is one frame. */
static void t_apply_rates(void **state)
{
	static const struct {
		uint64_t bps, Bps;
		uint32_t burst_in, burst, quantum;
	} c[] = {
		{ 300000000, 37500000, 0, 37500, 200000 },
		{ 40000000000ULL, 5000000000ULL, 0, 5000000, 200000 },
		{ 100000, 12500, 10000, 10000, 1514 },
	};
	struct fx *f = *state;
	struct nb_shape_result res;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nb_shape s = shape(c[i].bps);

		s.queue_pkts = 991;
		s.netem_limit = 5000;
		s.burst_bytes = c[i].burst_in;
		assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s,
						 &res), 0);
		check_tree(f, c[i].Bps, c[i].burst, c[i].quantum, &s, &res);
		assert_int_equal(nb_shaper_remove(f->sk[0], f->ifindex[0]), 0);
		assert_pristine(f);
	}
}

static void t_apply_twice(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(10000000), s2 = shape(20000000);
	struct nb_shape_result res, res2;

	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res), 0);
	nb_clearerr();
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s2, &res2),
			 -EEXIST);
	assert_non_null(strstr(nb_lasterr(), "htb root"));
	assert_false(res2.shaped);
	/* The first tree is intact. */
	check_tree(f, 1250000, 1600, 125000, &s, &res);
}

static void t_remove(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(10000000);
	struct nb_shape_result res;
	struct nb_shaper_stats st;

	assert_int_equal(nb_shaper_remove(f->sk[0], f->ifindex[0]), -ENOENT);
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res), 0);
	assert_int_equal(nb_shaper_stats(f->sk[0], f->ifindex[0], &st), 0);
	assert_int_equal(nb_shaper_remove(f->sk[0], f->ifindex[0]), 0);
	assert_pristine(f);
	assert_int_equal(nb_shaper_remove(f->sk[0], f->ifindex[0]), -ENOENT);
	assert_int_equal(nb_shaper_stats(f->sk[0], f->ifindex[0], &st),
			 -ENOENT);
}

static void t_require_netem(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(10000000);
	struct nb_shape_result res;
	int rv;

	s.require_netem = true;
	s.loss_pct = 1.0;
	rv = nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res);
	if (nb_shaper_netem_available()) {
		assert_int_equal(rv, 0);
		assert_true(res.netem);
		check_tree(f, 1250000, 1600, 125000, &s, &res);
		return;
	}
	/* The root and class were added before netem was refused: the
	 * failure removed them. */
	assert_int_equal(rv, -EOPNOTSUPP);
	assert_non_null(strstr(nb_lasterr(), "sch_netem"));
	assert_false(res.shaped);
	assert_pristine(f);
}

static void t_invalid(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(10000000);
	struct nb_shape_result res;

	s.loss_pct = 150;
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res),
			 -EINVAL);
	s.loss_pct = NAN;
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res),
			 -EINVAL);
	s = shape(7);
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res),
			 -EINVAL);
	s = shape(10000000);
	assert_int_equal(nb_shaper_apply(f->sk[0], 0, &s, &res), -EINVAL);
	assert_int_equal(nb_shaper_apply(f->sk[0], 9999, &s, &res), -ENODEV);
	assert_pristine(f);

	/* No rate: nothing to do, nothing added. */
	s = shape(0);
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res), 0);
	assert_false(res.shaped);
	assert_string_equal(res.leaf, "");
	assert_pristine(f);
}

/* UDP sockets: A (10.78.0.1) sends to B (10.78.0.2:9000). One datagram goes
 * first and back-to-back so that ARP is resolved before counting starts. */
static void open_udp(struct fx *f)
{
	struct sockaddr_in sb = { .sin_family = AF_INET,
				  .sin_port = htons(9000) };
	struct timeval tv = { .tv_sec = 3 };
	char buf[16] = "warm-up";

	f->fd[0] = nb_netns_socket(f->ns[0], AF_INET, SOCK_DGRAM, 0);
	f->fd[1] = nb_netns_socket(f->ns[1], AF_INET, SOCK_DGRAM, 0);
	assert_true(f->fd[0] >= 0 && f->fd[1] >= 0);
	inet_pton(AF_INET, "10.78.0.2", &sb.sin_addr);
	assert_int_equal(bind(f->fd[1], (struct sockaddr *)&sb, sizeof(sb)), 0);
	assert_int_equal(setsockopt(f->fd[1], SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	assert_int_equal(connect(f->fd[0], (struct sockaddr *)&sb, sizeof(sb)),
			 0);
	assert_int_equal(send(f->fd[0], buf, sizeof(buf), 0), sizeof(buf));
	assert_int_equal(recv(f->fd[1], buf, sizeof(buf), 0), sizeof(buf));
}

#define NPKT 50
#define PAYLOAD 1000

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void t_stats_count(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(10000000);
	struct nb_shape_result res;
	struct nb_shaper_stats st0, st;
	char buf[PAYLOAD] = { 0 };
	double t0, dt;
	int got = 0;

	s.queue_pkts = 1000;
	s.netem_limit = 2000;
	assert_int_equal(nb_shaper_stats(f->sk[0], f->ifindex[0], &st0),
			 -ENOENT);
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res), 0);
	open_udp(f);
	assert_int_equal(nb_shaper_stats(f->sk[0], f->ifindex[0], &st0), 0);
	t0 = now_s();
	for (int i = 0; i < NPKT; i++)
		assert_int_equal(send(f->fd[0], buf, sizeof(buf), 0),
				 sizeof(buf));
	while (got < NPKT && recv(f->fd[1], buf, sizeof(buf), 0) == PAYLOAD)
		got++;
	dt = now_s() - t0;
	assert_int_equal(got, NPKT);
	assert_int_equal(nb_shaper_stats(f->sk[0], f->ifindex[0], &st), 0);
	/* Every datagram went through class 1:10: at least payload + UDP +
	 * IP + Ethernet each. */
	assert_true(st.packets - st0.packets >= NPKT);
	assert_true(st.bytes - st0.bytes >= NPKT * (PAYLOAD + 8 + 20 + 14));
	assert_int_equal(st.drops, 0);
	/* 52 kB at 10 Mbit/s cannot pass in less than ~40 ms (minus one
	 * burst); the class had to hold packets back. */
	assert_true(dt >= 0.030);
	assert_true(st.overlimits > st0.overlimits);
	/* Nothing flowed the other way through a tree: B has none. */
	assert_int_equal(nb_shaper_stats(f->sk[1], f->ifindex[1], &st),
			 -ENOENT);
}

static void t_stats_drops(void **state)
{
	struct fx *f = *state;
	struct nb_shape s = shape(1000000);
	struct nb_shape_result res;
	struct nb_shaper_stats st;
	struct timeval tv = { .tv_usec = 300000 };
	char buf[PAYLOAD] = { 0 };
	int got = 0;

	s.queue_pkts = 5;
	s.netem_limit = 5;
	assert_int_equal(nb_shaper_apply(f->sk[0], f->ifindex[0], &s, &res), 0);
	open_udp(f);
	assert_int_equal(setsockopt(f->fd[1], SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	for (int i = 0; i < NPKT; i++)
		send(f->fd[0], buf, sizeof(buf), 0);
	while (recv(f->fd[1], buf, sizeof(buf), 0) == PAYLOAD)
		got++;
	assert_int_equal(nb_shaper_stats(f->sk[0], f->ifindex[0], &st), 0);
	/* A queue of 5 cannot hold a burst of 50 at 1 Mbit/s: the leaf
	 * dropped what did not arrive. */
	assert_true(got < NPKT);
	assert_true(st.drops > 0);
	assert_int_equal(st.drops, (uint64_t)(NPKT - got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(t_apply_10M, setup, teardown),
		cmocka_unit_test_setup_teardown(t_apply_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(t_apply_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(t_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(t_require_netem, setup, teardown),
		cmocka_unit_test_setup_teardown(t_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(t_stats_count, setup, teardown),
		cmocka_unit_test_setup_teardown(t_stats_drops, setup, teardown),
	};
	int rv;

	rv = nb_test_require_links("test_shaper");
	if (rv)
		return rv;
	if (nb_shaper_htb_usable() < 0) {
		fprintf(stderr, "test_shaper: skipped: %s\n", nb_lasterr());
		return 77;
	}
	return cmocka_run_group_tests_name("shaper", tests, NULL, NULL);
}
