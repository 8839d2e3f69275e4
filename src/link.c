/* netbench: the emulated link of one case (see link.h).
 *
 * Order of construction, each step registered on the case's undo stack as
 * soon as it exists (so unwinding releases in the reverse order):
 *
 *   namespaces client, server            NB_RES_NETNS  (close the ns fd)
 *   route socket per namespace           NB_RES_FD     (nl_socket_free)
 *   the pair nbc0 <-> nbs0 (backend)     veth: not registered (it dies with
 *                                        the namespaces); TAP: NB_RES_FD
 *   lo and ends up, gso_max_segs 1, addresses, TCP buffer and IPv6
 *   sysctls, permanent neighbours        (not registered: they live inside
 *                                        the namespaces and die with them)
 *   shaping per egress (backend)         NB_RES_QDISC  (delete root qdisc)
 *   emulator (userspace backend)         NB_RES_OTHER + NB_RES_THREAD
 *
 * Every failure returns at once: the caller's nb_undo_unwind() removes what
 * was built so far.
 */
#include "link.h"
#include "link_backend.h"
#include "nlerr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>

#include "emulator.h"
#include "error.h"
#include "netns.h"
#include "profile.h"
#include "undo.h"

const char *const nb_link_side_name[2] = { "client", "server" };
const char *const nb_link_if_name[2] = { "nbc0", "nbs0" };
static const char *const if_cidr[2] = { "10.77.0.1/24", "10.77.0.2/24" };
static const char *const if_addr[2] = { NB_LINK_CLIENT_ADDR,
					 NB_LINK_SERVER_ADDR };

/* TCP buffers for 300 Mbit x 80 ms = 3 MB of BDP, with 2x headroom. */
static const char *const sysctls[][2] = {
	{ "net/ipv4/tcp_rmem", "4096 131072 16777216" },
	{ "net/ipv4/tcp_wmem", "4096 16384 16777216" },
};

/* Nothing but the case's IPv4 crosses the link: no router solicitations,
 * no MLD, no DAD (absent when the kernel has no IPv6: then skipped). */
static const char *const ipv6_off[] = {
	"net/ipv6/conf/all/disable_ipv6",
	"net/ipv6/conf/default/disable_ipv6",
};

#define VALID_BACKENDS "auto, netem, userspace"

/* --- shaping, shared by the backends ------------------------------------ */

struct qdisc_undo {
	struct nl_sock *sk;	/* owned by its own, older, undo record */
	int ifindex;
};

/* Unwinding often follows a failure whose message the caller has yet to
 * print: a failed removal here must not replace it. */
static void release_qdisc(void *arg)
{
	struct qdisc_undo *q = arg;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", nb_lasterr());
	if (nb_shaper_remove(q->sk, q->ifindex) < 0)
		nb_fail(0, "%s", msg);
	free(q);
}

int nb_link_shape_egress(struct nb_link *l, enum nb_side side)
{
	struct nb_shape_result *res = &l->applied[side];
	struct qdisc_undo *q;
	int rv, idx;

	rv = nb_shaper_apply(l->nl[side], l->ifindex[side], &l->shape, res);
	if (rv < 0 || !res->shaped)
		return rv;

	q = malloc(sizeof(*q));
	if (!q) {
		rv = -ENOMEM;
		goto fail;
	}
	q->sk = l->nl[side];
	q->ifindex = l->ifindex[side];
	idx = nb_undo_push_at(l->undo, l->file, l->line, NB_RES_QDISC,
			      l->ifindex[side], release_qdisc, q,
			      "qdisc htb 1: on %s (ifindex %d) in the %s "
			      "namespace", nb_link_if_name[side], l->ifindex[side],
			      nb_link_side_name[side]);
	if (idx < 0) {
		free(q);
		rv = idx;
		goto fail;
	}
	l->undo->e[idx].id2 = nb_netns_inode(l->ns[side]);
	return 0;
fail:
	nb_shaper_remove(l->nl[side], l->ifindex[side]);
	memset(res, 0, sizeof(*res));
	return nb_fail(rv, "link: cannot register the %s qdisc: %s",
		       nb_link_side_name[side], strerror(-rv));
}

int nb_link_shaper_counters(struct nb_link *l, enum nb_side side,
			    struct nb_shaper_stats *st)
{
	return nb_shaper_stats(l->nl[side], l->ifindex[side], st);
}

/* --- backends ------------------------------------------------------------ */

/* In the order "auto" tries them. */
static const struct nb_link_backend *const backends[] = {
	&nb_link_backend_netem,
	&nb_link_backend_userspace,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

static int backend_lookup(const char *name, const struct nb_link_backend **out)
{
	char why[512] = "";
	int rv = -EOPNOTSUPP;

	*out = NULL;
	if (!name || !strcasecmp(name, "auto")) {
		for (size_t i = 0; i < NBACKENDS; i++) {
			rv = backends[i]->probe();
			if (rv == 0) {
				*out = backends[i];
				return 0;
			}
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "%s%s", i ? "; " : "", nb_lasterr());
		}
		return nb_fail(rv, "no link emulator is usable here: %s", why);
	}
	for (size_t i = 0; i < NBACKENDS; i++) {
		if (!strcasecmp(name, backends[i]->name)) {
			*out = backends[i];
			return 0;
		}
	}
	return nb_fail(-EINVAL, "unknown emulator '%s' (valid: "
		       VALID_BACKENDS ")", name);
}

const struct nb_link_backend *nb_link_backend_find(const char *name)
{
	const struct nb_link_backend *b;

	backend_lookup(name, &b);
	return b;
}

/* --- construction ------------------------------------------------------- */

static void release_nl_sock(void *arg)
{
	nl_socket_free(arg);
}

/* A NETLINK_ROUTE socket made inside the namespace of `side`: it
 * configures that namespace whatever thread uses it. */
static int open_route_socket(struct nb_link *l, enum nb_side side)
{
	struct nl_sock *sk;
	int idx;

	sk = nb_netns_route_socket(l->ns[side]);
	if (!sk)
		return -errno;
	idx = nb_undo_push_at(l->undo, l->file, l->line, NB_RES_FD,
			      nl_socket_get_fd(sk), release_nl_sock, sk,
			      "netlink route socket (fd %d) in the %s namespace",
			      nl_socket_get_fd(sk), nb_link_side_name[side]);
	if (idx < 0) {
		nl_socket_free(sk);
		return nb_fail(idx, "link: undo stack full");
	}
	l->nl[side] = sk;
	return 0;
}

int nb_link_make_veth(struct nb_link *l)
{
	struct rtnl_link *veth, *peer;
	int rv;

	veth = rtnl_link_veth_alloc();
	if (!veth)
		return nb_fail(-ENOMEM, "link: rtnl_link_veth_alloc failed");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, nb_link_if_name[NB_CLIENT]);
	rtnl_link_set_mtu(veth, NB_MTU);
	rtnl_link_set_name(peer, nb_link_if_name[NB_SERVER]);
	rtnl_link_set_mtu(peer, NB_MTU);
	rtnl_link_set_ns_fd(peer, l->ns[NB_SERVER]);
	rv = rtnl_link_add(l->nl[NB_CLIENT], veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	if (rv < 0)
		return nb_fail(nb_nl_errno(rv), "link: create veth %s/%s: %s",
			       nb_link_if_name[NB_CLIENT], nb_link_if_name[NB_SERVER],
			       nl_geterror(rv));
	return 0;
}

/* Sets IFF_UP on `name` in sk's namespace; its ifindex into *ifindex and
 * its hardware address into mac (both optional). */
static int link_set_up(struct nl_sock *sk, const char *name, int *ifindex,
		       unsigned char mac[6], enum nb_side side)
{
	struct nl_addr *hw;
	struct rtnl_link *cur = NULL, *chg = NULL;
	int rv;

	rv = rtnl_link_get_kernel(sk, 0, name, &cur);
	if (rv < 0)
		goto out;
	chg = rtnl_link_alloc();
	if (!chg) {
		rv = -NLE_NOMEM;
		goto out;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	rv = rtnl_link_change(sk, cur, chg, 0);
	if (rv == 0 && ifindex)
		*ifindex = rtnl_link_get_ifindex(cur);
	hw = rv == 0 && mac ? rtnl_link_get_addr(cur) : NULL;
	if (hw && nl_addr_get_len(hw) == 6)
		memcpy(mac, nl_addr_get_binary_addr(hw), 6);
out:
	if (chg)
		rtnl_link_put(chg);
	if (cur)
		rtnl_link_put(cur);
	if (rv < 0)
		return nb_fail(nb_nl_errno(rv), "link: bring %s up in the %s "
			       "namespace: %s", name, nb_link_side_name[side],
			       nl_geterror(rv));
	return 0;
}

static int add_address(struct nb_link *l, enum nb_side side)
{
	struct rtnl_addr *a;
	struct nl_addr *na = NULL;
	int rv;

	if (inet_pton(AF_INET, if_addr[side], &l->addr[side]) != 1)
		return nb_fail(-EINVAL, "link: bad address %s", if_addr[side]);
	a = rtnl_addr_alloc();
	if (!a)
		return nb_fail(-ENOMEM, "link: rtnl_addr_alloc failed");
	rv = nl_addr_parse(if_cidr[side], AF_INET, &na);
	if (rv == 0) {
		rtnl_addr_set_ifindex(a, l->ifindex[side]);
		rv = rtnl_addr_set_local(a, na);
	}
	if (rv == 0)
		rv = rtnl_addr_add(l->nl[side], a, NLM_F_CREATE | NLM_F_EXCL);
	if (na)
		nl_addr_put(na);
	rtnl_addr_put(a);
	if (rv < 0)
		return nb_fail(nb_nl_errno(rv), "link: add %s to %s: %s",
			       if_cidr[side], nb_link_if_name[side], nl_geterror(rv));
	return 0;
}

/* One segment per packet on the veth end. TCP always builds GSO
 * super-packets (up to 64 KB, whatever ethtool says about gso/tso) and
 * segments them only after the qdisc: htb would charge such a packet as
 * one and let it through in one go, a line-rate burst of up to 52 ms at
 * 10 Mbit/s. With gso_max_segs = 1 every packet the shaper sees is at most
 * one MTU. libnl 3.7 has no setter for IFLA_GSO_MAX_SEGS: raw RTM_SETLINK
 * (the kernel accepts the change on an existing device since 5.19). */
static int limit_gso(struct nb_link *l, enum nb_side side)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = l->ifindex[side],
	};
	struct nl_msg *msg;
	int rv;

	msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	if (!msg)
		return nb_fail(-ENOMEM, "link: nlmsg_alloc failed");
	rv = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (rv == 0)
		rv = nla_put_u32(msg, IFLA_GSO_MAX_SEGS, 1);
	if (rv == 0)
		rv = nl_send_auto(l->nl[side], msg);
	if (rv >= 0)
		rv = nl_wait_for_ack(l->nl[side]);
	nlmsg_free(msg);
	if (rv < 0)
		return nb_fail(nb_nl_errno(rv), "link: set gso_max_segs 1 on "
			       "%s: %s", nb_link_if_name[side], nl_geterror(rv));
	return 0;
}

/* The peer's address, permanently resolved to its MAC on `side`: no ARP
 * on the link. */
static int add_neighbour(struct nb_link *l, enum nb_side side,
			 const unsigned char peer_mac[6])
{
	struct rtnl_neigh *n;
	struct nl_addr *dst = NULL, *ll = NULL;
	int rv;

	n = rtnl_neigh_alloc();
	if (!n)
		return nb_fail(-ENOMEM, "link: rtnl_neigh_alloc failed");
	rv = nl_addr_parse(if_addr[!side], AF_INET, &dst);
	if (rv == 0) {
		ll = nl_addr_build(AF_LLC, peer_mac, 6);
		if (!ll)
			rv = -NLE_NOMEM;
	}
	if (rv == 0) {
		rtnl_neigh_set_ifindex(n, l->ifindex[side]);
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		rv = rtnl_neigh_add(l->nl[side], n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	if (ll)
		nl_addr_put(ll);
	if (dst)
		nl_addr_put(dst);
	rtnl_neigh_put(n);
	if (rv < 0)
		return nb_fail(nb_nl_errno(rv), "link: neighbour %s on %s: %s",
			       if_addr[!side], nb_link_if_name[side], nl_geterror(rv));
	return 0;
}

static int configure_side(struct nb_link *l, enum nb_side side,
			  unsigned char mac[6])
{
	int rv;

	rv = link_set_up(l->nl[side], "lo", NULL, NULL, side);
	if (rv == 0)
		rv = link_set_up(l->nl[side], nb_link_if_name[side], &l->ifindex[side],
				 mac, side);
	if (rv == 0)
		rv = limit_gso(l, side);
	if (rv == 0)
		rv = add_address(l, side);
	for (size_t i = 0; rv == 0 && i < sizeof(sysctls) / sizeof(sysctls[0]);
	     i++)
		rv = nb_netns_sysctl_write(l->ns[side], sysctls[i][0],
					   sysctls[i][1]);
	for (size_t i = 0; rv == 0 && i < sizeof(ipv6_off) / sizeof(ipv6_off[0]);
	     i++) {
		rv = nb_netns_sysctl_write(l->ns[side], ipv6_off[i], "1");
		if (rv == -ENOENT)
			rv = 0;
	}
	return rv;
}

int nb_link_up_at(struct nb_undo *u, const char *file, int line,
		  struct nb_link *l, const struct nb_profile *p,
		  const struct nb_link_opts *o)
{
	double loss = o ? o->loss_pct : 0.0;
	unsigned char mac[2][6] = {{0}};
	int rv;

	memset(l, 0, sizeof(*l));
	l->ns[NB_CLIENT] = l->ns[NB_SERVER] = -1;
	l->tap_fd[NB_CLIENT] = l->tap_fd[NB_SERVER] = -1;
	l->seed = o ? o->seed : 0;
	l->profile = p;
	l->undo = u;
	l->file = file;
	l->line = line;
	if (!u || !p)
		return nb_fail(-EINVAL, "link: no undo stack or profile");
	if (o && !(o->rate_scale >= 0.0 && o->rate_scale <= 1.0))
		return nb_fail(-EINVAL, "link: rate scale %g is not in 0..1",
			       o->rate_scale);
	if (!(loss >= 0.0 && loss <= 100.0))
		return nb_fail(-EINVAL, "link: loss %g%% is not in 0..100",
			       loss);
	if (loss > 0 && !p->rate_bps)
		return nb_fail(-EOPNOTSUPP, "link: loss on the unthrottled "
			       "profile is not supported (no shaping tree "
			       "to carry it)");
	rv = backend_lookup(o ? o->backend : NULL, &l->backend);
	if (rv < 0)
		return rv;
	rv = l->backend->probe();
	if (rv < 0)
		return rv;

	for (int s = NB_CLIENT; s <= NB_SERVER; s++) {
		rv = nb_netns_new_at(u, file, line);
		if (rv < 0)
			return rv;
		l->ns[s] = rv;
	}
	for (int s = NB_CLIENT; s <= NB_SERVER; s++) {
		rv = open_route_socket(l, (enum nb_side)s);
		if (rv < 0)
			return rv;
	}
	l->shape = (struct nb_shape){
		.rate_bps = o && o->rate_scale > 0 ?
				    (uint64_t)((double)p->rate_bps * o->rate_scale) :
				    p->rate_bps,
		.delay_us = p->rate_bps ? p->rtt_ms * 1000 / 2 : 0,
		.loss_pct = loss,
		.queue_pkts = nb_profile_queue_packets(p),
		.netem_limit = nb_profile_netem_limit(p),
	};
	rv = l->backend->make_pair(l);
	if (rv < 0)
		return rv;
	for (int s = NB_CLIENT; s <= NB_SERVER; s++) {
		rv = configure_side(l, (enum nb_side)s, mac[s]);
		if (rv < 0)
			return rv;
	}
	for (int s = NB_CLIENT; s <= NB_SERVER; s++) {
		rv = add_neighbour(l, (enum nb_side)s, mac[!s]);
		if (rv < 0)
			return rv;
	}
	if (p->rate_bps) {
		for (int s = NB_CLIENT; s <= NB_SERVER; s++) {
			rv = l->backend->apply(l, (enum nb_side)s);
			if (rv < 0)
				return rv;
		}
	}
	if (l->backend->start)
		return l->backend->start(l);
	return 0;
}

/* --- reporting ---------------------------------------------------------- */

int nb_link_tx_dropped(struct nb_link *l, enum nb_side side, uint64_t *drops)
{
	struct rtnl_link *dev = NULL;
	int rv;

	*drops = 0;
	rv = rtnl_link_get_kernel(l->nl[side], l->ifindex[side], NULL, &dev);
	if (rv < 0)
		return nb_fail(nb_nl_errno(rv), "link: read %s: %s",
			       nb_link_if_name[side], nl_geterror(rv));
	*drops = rtnl_link_get_stat(dev, RTNL_LINK_TX_DROPPED);
	rtnl_link_put(dev);
	return 0;
}

void nb_link_describe(const struct nb_link *l, char *buf, size_t len)
{
	const struct nb_shape *s = &l->shape;
	const char *name = l->backend ? l->backend->name : "none";
	const struct nb_emulator_config *c;
	int n;

	if (!len)
		return;
	if (!l->applied[NB_CLIENT].shaped || !l->applied[NB_SERVER].shaped) {
		snprintf(buf, len, "%s: no shaping (%s)", name,
			 l->profile ? l->profile->name : "no profile");
	} else if (l->applied[NB_CLIENT].netem &&
		   l->applied[NB_SERVER].netem) {
		snprintf(buf, len, "%s: htb %g Mbit/s + netem delay %g ms "
			 "loss %g%% limit %u", name, (double)s->rate_bps / 1e6,
			 s->delay_us / 1000.0, s->loss_pct, s->netem_limit);
	} else {
		n = snprintf(buf, len, "%s: htb %g Mbit/s + pfifo %u pkts", name,
			     (double)s->rate_bps / 1e6, s->queue_pkts);
		if (n < 0 || (size_t)n >= len)
			return;
		if (!l->emu) {
			snprintf(buf + n, len - (size_t)n, "%s",
				 nb_link_emulates_delay(l) ? "" :
				 " (delay/loss not applied)");
			return;
		}
		c = nb_emulator_config(l->emu);
		snprintf(buf + n, len - (size_t)n, "; emulator delay %g ms "
			 "loss %g%% limit %u seed %llu", c->delay_us / 1000.0,
			 c->loss_pct, c->limit_pkts,
			 (unsigned long long)c->seed);
	}
}

/* Vacuously true when the profile asks for no delay and no loss. */
bool nb_link_emulates_delay(const struct nb_link *l)
{
	if (!l->shape.delay_us && !(l->shape.loss_pct > 0))
		return true;
	if (l->emu)
		return true;
	return l->applied[NB_CLIENT].netem && l->applied[NB_SERVER].netem;
}
