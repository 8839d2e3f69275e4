/* netbench: kernel traffic shaping on one interface, through libnl-route-3.
 *
 * The tree on the egress of each veth end is
 *
 *   htb 1: (root, default 0x10)  ->  class 1:10 (rate = ceil = profile rate,
 *   explicit burst ~1 ms of rate, >= one MTU)  ->  leaf 10:
 *
 * where the leaf is netem (delay = RTT/2, loss, limit in packets) when the
 * kernel has sch_netem, else, or when asked (pfifo_leaf: the userspace
 * emulator applies delay and loss after the TAP), a pfifo holding the
 * bottleneck queue (one BDP in packets).
 * The default class exists, so no packet leaves unshaped, and no filter is
 * needed: the link carries nothing but the case's traffic.
 *
 * Units at this interface: rate in bit/s, delay in microseconds, loss in
 * percent (0..100), limits in packets, burst in bytes.
 */
#ifndef NB_SHAPER_H
#define NB_SHAPER_H

#include <stdbool.h>
#include <stdint.h>

struct nl_sock;

struct nb_shape {
	uint64_t rate_bps;     /* 0 = no shaping at all (nothing is added) */
	uint32_t delay_us;     /* one way; 0 = none */
	double loss_pct;       /* 0..100 */
	uint32_t queue_pkts;   /* bottleneck queue when there is no netem */
	uint32_t netem_limit;  /* netem limit (packets): queue + delay line */
	uint32_t burst_bytes;  /* 0 = computed: max(rate x 1 ms, 1600) */
	bool require_netem;    /* fail (-EOPNOTSUPP) rather than fall back */
	bool pfifo_leaf;       /* always the pfifo leaf: delay and loss are
				* applied elsewhere (the userspace emulator) */
};

struct nb_shape_result {
	bool shaped;           /* an htb tree was added */
	bool netem;            /* the leaf is netem: delay and loss applied */
	uint32_t burst_bytes;  /* the burst actually configured */
	char leaf[16];         /* "netem", "pfifo" or "" */
};

/* Adds the tree described above on `ifindex` through `sk` (a NETLINK_ROUTE
 * socket of the interface's namespace). On failure nothing is left on the
 * interface. Errors: -EOPNOTSUPP (netem required but absent), -EINVAL,
 * other negative errno (libnl errors are translated; nb_lasterr() names the
 * failing object). */
int nb_shaper_apply(struct nl_sock *sk, int ifindex, const struct nb_shape *s,
		    struct nb_shape_result *res);

/* Deletes the root qdisc of ifindex (the interface's default qdisc comes
 * back). Errors: negative errno; -ENOENT when there was none. */
int nb_shaper_remove(struct nl_sock *sk, int ifindex);

struct nb_shaper_stats {
	uint64_t bytes;        /* bytes sent by class 1:10 (L2 frame lengths) */
	uint64_t packets;
	uint64_t drops;        /* drops in the leaf */
	uint64_t overlimits;
};

/* Reads the counters of class 1:10 and of its leaf. Errors: -ENOENT when the
 * tree is not there, other negative errno. */
int nb_shaper_stats(struct nl_sock *sk, int ifindex, struct nb_shaper_stats *st);

/* Whether this kernel can create a netem qdisc (probed once in a scratch
 * namespace, then cached). */
bool nb_shaper_netem_available(void);

/* 0 when this kernel can create an htb qdisc (same cached probe as above);
 * -EPERM when the probe could not make a namespace, -EOPNOTSUPP when htb is
 * missing, other negative errno when the probe itself failed; nb_lasterr()
 * says which. */
int nb_shaper_htb_usable(void);


#endif
