/* netbench: kernel traffic shaping through libnl-route-3 (see shaper.h).
 *
 * libnl units (api-notes §5): htb rates are bytes/s, bursts bytes, the htb
 * default class is a MINOR id, netem delay is in microseconds, netem loss is
 * the probability scaled to UINT32_MAX, netem and pfifo limits are packets.
 * libnl returns negative NLE_* codes, which leave this file as negative
 * errno (nb_nl_errno).
 */
#include "nlerr.h"
#include "shaper.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "error.h"

#define ROOT_HANDLE	TC_HANDLE(1, 0)
#define CLASS_MINOR	0x10			/* htb defcls takes the minor */
#define CLASS_HANDLE	TC_HANDLE(1, CLASS_MINOR)
#define LEAF_HANDLE	TC_HANDLE(0x10, 0)
#define SHAPER_MTU	1500
#define MIN_BURST	1600			/* one MTU plus slack, as tc */
#define PFIFO_DEFAULT	1000			/* when queue_pkts is 0 */

/* HTB quantum: the bytes a class may send per DRR round when it borrows.
 * With one class and rate == ceil nothing is borrowed, so it only has to be
 * sane. tc computes rate / r2q (r2q = 10) and the kernel complains ("quantum
 * of class is big/small") outside [1000, 200000]; we set the same value,
 * clamped to [one full frame, 200000], explicitly, so no warning is logged
 * at any rate. */
#define R2Q		10
#define QUANTUM_MIN	1514
#define QUANTUM_MAX	200000

/* Records "shaper: <what> on ifindex N: <libnl reason>" and returns the
 * errno equivalent of nlerr. */
static int nl_fail(int nlerr, const char *what, int ifindex)
{
	return nb_fail(nb_nl_errno(nlerr), "shaper: %s on ifindex %d: %s",
		       what, ifindex, nl_geterror(nlerr));
}

/* A qdisc object with identity and kind set (the kind first: libnl's
 * kind-specific setters need it). NULL on ENOMEM. */
static struct rtnl_qdisc *qdisc_new(int ifindex, uint32_t parent,
				    uint32_t handle, const char *kind)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), parent);
	rtnl_tc_set_handle(TC_CAST(q), handle);
	if (kind && rtnl_tc_set_kind(TC_CAST(q), kind) < 0) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

static int add_root(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q;
	int rv;

	q = qdisc_new(ifindex, TC_H_ROOT, ROOT_HANDLE, "htb");
	if (!q)
		return nl_fail(-NLE_NOMEM, "htb root", ifindex);
	rv = rtnl_htb_set_defcls(q, CLASS_MINOR);
	if (rv >= 0)
		rv = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return rv < 0 ? nl_fail(rv, "add htb root 1:", ifindex) : 0;
}

static int add_class(struct nl_sock *sk, int ifindex, uint64_t rate_Bps,
		     uint32_t burst)
{
	struct rtnl_class *c = rtnl_class_alloc();
	uint64_t quantum = rate_Bps / R2Q;
	int rv;

	if (!c)
		return nl_fail(-NLE_NOMEM, "htb class", ifindex);
	if (quantum < QUANTUM_MIN)
		quantum = QUANTUM_MIN;
	if (quantum > QUANTUM_MAX)
		quantum = QUANTUM_MAX;
	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_mtu(TC_CAST(c), SHAPER_MTU);
	rtnl_tc_set_parent(TC_CAST(c), ROOT_HANDLE);
	rtnl_tc_set_handle(TC_CAST(c), CLASS_HANDLE);
	rv = rtnl_tc_set_kind(TC_CAST(c), "htb");
	/* The 64-bit setters serve every rate: libnl 3.7 sends
	 * TCA_HTB_RATE64/CEIL64 only when the value exceeds 32 bits. */
	if (rv >= 0)
		rv = rtnl_htb_set_rate64(c, rate_Bps);
	if (rv >= 0)
		rv = rtnl_htb_set_ceil64(c, rate_Bps);
	if (rv >= 0)
		rv = rtnl_htb_set_rbuffer(c, burst);
	if (rv >= 0)
		rv = rtnl_htb_set_cbuffer(c, burst);
	if (rv >= 0)
		rv = rtnl_htb_set_quantum(c, (uint32_t)quantum);
	if (rv >= 0)
		rv = rtnl_class_add(sk, c, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_class_put(c);
	return rv < 0 ? nl_fail(rv, "add htb class 1:10", ifindex) : 0;
}

/* Returns 0, or the raw negative NLE_* code so that the caller can tell
 * "kind unknown" (-NLE_OBJ_NOTFOUND) from other failures. */
static int add_netem(struct nl_sock *sk, int ifindex, uint32_t parent,
		     uint32_t handle, const struct nb_shape *s)
{
	struct rtnl_qdisc *q;
	uint32_t loss;
	int rv;

	q = qdisc_new(ifindex, parent, handle, "netem");
	if (!q)
		return -NLE_NOMEM;
	loss = s->loss_pct >= 100.0 ? UINT32_MAX :
		(uint32_t)(s->loss_pct / 100.0 * (double)UINT32_MAX);
	if (s->delay_us)
		rtnl_netem_set_delay(q, (int)s->delay_us);
	if (loss)
		rtnl_netem_set_loss(q, (int)loss);
	rtnl_netem_set_limit(q, (int)(s->netem_limit ? s->netem_limit :
				      PFIFO_DEFAULT));
	rv = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return rv;
}

static int add_pfifo(struct nl_sock *sk, int ifindex, uint32_t limit)
{
	struct rtnl_qdisc *q;
	int rv;

	q = qdisc_new(ifindex, CLASS_HANDLE, LEAF_HANDLE, "pfifo");
	if (!q)
		return nl_fail(-NLE_NOMEM, "pfifo leaf", ifindex);
	rv = rtnl_qdisc_fifo_set_limit(q, (int)(limit ? limit : PFIFO_DEFAULT));
	if (rv >= 0)
		rv = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return rv < 0 ? nl_fail(rv, "add pfifo leaf 10:", ifindex) : 0;
}

/* Returns 0 or a raw negative NLE_* code; records no message. */
static int delete_root(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, 0, NULL);
	int rv;

	if (!q)
		return -NLE_NOMEM;
	rv = rtnl_qdisc_delete(sk, q);
	rtnl_qdisc_put(q);
	return rv;
}

int nb_shaper_apply(struct nl_sock *sk, int ifindex, const struct nb_shape *s,
		    struct nb_shape_result *res)
{
	uint64_t rate_Bps;
	uint32_t burst;
	int rv;

	memset(res, 0, sizeof(*res));
	if (!sk || ifindex <= 0 || !s)
		return nb_fail(-EINVAL, "shaper: bad arguments (ifindex %d)",
			       ifindex);
	if (!(s->loss_pct >= 0.0 && s->loss_pct <= 100.0))
		return nb_fail(-EINVAL, "shaper: loss %g%% is not in 0..100",
			       s->loss_pct);
	if (s->pfifo_leaf && s->require_netem)
		return nb_fail(-EINVAL, "shaper: a pfifo leaf cannot be netem");
	if (!s->rate_bps)
		return 0;
	rate_Bps = s->rate_bps / 8;
	if (!rate_Bps)
		return nb_fail(-EINVAL, "shaper: rate %llu bit/s is below "
			       "1 byte/s", (unsigned long long)s->rate_bps);
	burst = s->burst_bytes;
	if (!burst) {
		uint64_t b = rate_Bps / 1000;	/* 1 ms of rate */

		burst = b < MIN_BURST ? MIN_BURST :
			b > INT32_MAX ? INT32_MAX : (uint32_t)b;
	}

	rv = add_root(sk, ifindex);
	if (rv < 0)
		return rv;	/* nothing was added */
	rv = add_class(sk, ifindex, rate_Bps, burst);
	if (rv < 0)
		goto undo;

	/* Required netem is always tried, so that a kernel without it fails
	 * here for real; otherwise the cached probe spares the attempt. */
	if (!s->pfifo_leaf &&
	    (s->require_netem || nb_shaper_netem_available())) {
		rv = add_netem(sk, ifindex, CLASS_HANDLE, LEAF_HANDLE, s);
		if (rv == 0) {
			res->netem = true;
		} else if (rv != -NLE_OBJ_NOTFOUND) {
			rv = nl_fail(rv, "add netem leaf 10:", ifindex);
			goto undo;
		} else if (s->require_netem) {
			rv = nb_fail(-EOPNOTSUPP, "shaper: netem required on "
				     "ifindex %d, but this kernel lacks "
				     "sch_netem", ifindex);
			goto undo;
		}
	}
	if (!res->netem) {
		rv = add_pfifo(sk, ifindex, s->queue_pkts);
		if (rv < 0)
			goto undo;
	}
	res->shaped = true;
	res->burst_bytes = burst;
	snprintf(res->leaf, sizeof(res->leaf), "%s",
		 res->netem ? "netem" : "pfifo");
	return 0;

undo:
	/* Deleting the root takes the class and any leaf with it; the
	 * message of the original failure is kept. */
	delete_root(sk, ifindex);
	memset(res, 0, sizeof(*res));
	return rv;
}

int nb_shaper_remove(struct nl_sock *sk, int ifindex)
{
	int rv = delete_root(sk, ifindex);

	return rv < 0 ? nl_fail(rv, "delete root qdisc", ifindex) : 0;
}

int nb_shaper_stats(struct nl_sock *sk, int ifindex, struct nb_shaper_stats *st)
{
	struct nl_cache *cc = NULL, *qc = NULL;
	struct rtnl_class *c = NULL;
	struct rtnl_qdisc *leaf = NULL;
	int rv;

	memset(st, 0, sizeof(*st));
	rv = rtnl_class_alloc_cache(sk, ifindex, &cc);
	if (rv < 0)
		return nl_fail(rv, "dump classes", ifindex);
	c = rtnl_class_get(cc, ifindex, CLASS_HANDLE);
	if (!c) {
		rv = nb_fail(-ENOENT, "shaper: no class 1:10 on ifindex %d",
			     ifindex);
		goto out;
	}
	st->bytes = rtnl_tc_get_stat(TC_CAST(c), RTNL_TC_BYTES);
	st->packets = rtnl_tc_get_stat(TC_CAST(c), RTNL_TC_PACKETS);
	st->overlimits = rtnl_tc_get_stat(TC_CAST(c), RTNL_TC_OVERLIMITS);

	rv = rtnl_qdisc_alloc_cache(sk, &qc);
	if (rv < 0) {
		rv = nl_fail(rv, "dump qdiscs", ifindex);
		goto out;
	}
	leaf = rtnl_qdisc_get(qc, ifindex, LEAF_HANDLE);
	if (leaf)
		st->drops = rtnl_tc_get_stat(TC_CAST(leaf), RTNL_TC_DROPS);
	rv = 0;
out:
	if (leaf)
		rtnl_qdisc_put(leaf);
	if (c)
		rtnl_class_put(c);
	if (qc)
		nl_cache_free(qc);
	nl_cache_free(cc);
	return rv;
}

/* The probe. A forked child makes a scratch namespace (its own: nothing
 * else sees it, and it dies with the child), brings lo up and tries a netem
 * root and an htb root on lo. Its exit code carries the answer. */
enum {
	PROBE_HTB = 1,
	PROBE_NETEM = 2,
	PROBE_NO_NETNS = 0x40,	/* unshare failed with EPERM */
	PROBE_FAILED = 0x41,	/* anything else went wrong */
};

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_result;	/* PROBE_* bits, or a negative errno */

static bool probe_try_root(struct nl_sock *sk, int ifindex, const char *kind)
{
	struct rtnl_qdisc *q;
	bool ok = false;

	q = qdisc_new(ifindex, TC_H_ROOT, ROOT_HANDLE, kind);
	if (!q)
		return false;
	if (!strcmp(kind, "htb"))
		rtnl_htb_set_defcls(q, CLASS_MINOR);
	if (rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL) == 0) {
		ok = true;
		rtnl_qdisc_delete(sk, q);
	}
	rtnl_qdisc_put(q);
	return ok;
}

static int probe_child(void)
{
	struct rtnl_link *lo = NULL, *chg = NULL;
	struct nl_sock *sk;
	int code = PROBE_FAILED;

	if (unshare(CLONE_NEWNET) < 0)
		return errno == EPERM ? PROBE_NO_NETNS : PROBE_FAILED;
	sk = nl_socket_alloc();
	if (!sk)
		return PROBE_FAILED;
	if (nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_link_get_kernel(sk, 0, "lo", &lo) < 0)
		goto out;
	chg = rtnl_link_alloc();
	if (!chg)
		goto out;
	rtnl_link_set_flags(chg, IFF_UP);
	if (rtnl_link_change(sk, lo, chg, 0) < 0)
		goto out;
	code = 0;
	if (probe_try_root(sk, rtnl_link_get_ifindex(lo), "htb"))
		code |= PROBE_HTB;
	if (probe_try_root(sk, rtnl_link_get_ifindex(lo), "netem"))
		code |= PROBE_NETEM;
out:
	if (chg)
		rtnl_link_put(chg);
	if (lo)
		rtnl_link_put(lo);
	nl_socket_free(sk);
	return code;
}

static void probe_run(void)
{
	int status;
	pid_t pid, w;

	pid = fork();
	if (pid < 0) {
		probe_result = -errno;
		return;
	}
	if (pid == 0)
		_exit(probe_child());
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		probe_result = -errno;
	else if (!WIFEXITED(status))
		probe_result = -EIO;
	else if (WEXITSTATUS(status) == PROBE_NO_NETNS)
		probe_result = -EPERM;
	else if (WEXITSTATUS(status) == PROBE_FAILED)
		probe_result = -EIO;
	else
		probe_result = WEXITSTATUS(status);
}

bool nb_shaper_netem_available(void)
{
	pthread_once(&probe_once, probe_run);
	return probe_result > 0 && (probe_result & PROBE_NETEM);
}

int nb_shaper_htb_usable(void)
{
	pthread_once(&probe_once, probe_run);
	if (probe_result == -EPERM)
		return nb_fail(-EPERM, "shaper: cannot create a network "
			       "namespace (needs CAP_SYS_ADMIN)");
	if (probe_result < 0)
		return nb_fail(probe_result, "shaper: the htb probe failed: %s",
			       strerror(-probe_result));
	if (!(probe_result & PROBE_HTB))
		return nb_fail(-EOPNOTSUPP, "shaper: this kernel cannot "
			       "create an htb qdisc (sch_htb missing or no "
			       "CAP_NET_ADMIN)");
	return 0;
}
