/* netbench: the emulated link of one case.
 *
 * Two fresh anonymous network namespaces, client and server, joined by a
 * pair of Ethernet interfaces (MTU 1500): "nbc0" 10.77.0.1/24 in the client
 * namespace, "nbs0" 10.77.0.2/24 in the server namespace; loopbacks up; TCP
 * buffers sized for 300 Mbit x 80 ms; IPv6 off and each peer's address in a
 * permanent neighbour entry, so that nothing but the case's own IPv4 packets
 * crosses the link (no ARP, no router solicitations: a seeded loss pattern
 * sees the same packet sequence on every run); htb at the profile rate on
 * both egresses. Addresses never collide: every case has namespaces of its
 * own.
 *
 * Link backends are a vtable chosen by name (struct nb_link_backend):
 *   netem      veth pair, htb + netem leaf (delay, loss, limit): the kernel
 *              does everything. Needs sch_netem.
 *   userspace  TAP pair relayed by the emulator thread (emulator.h), which
 *              applies delay, loss and the delay line's limit; htb + pfifo
 *              in the kernel for the rate and the bottleneck queue.
 * "auto" picks netem where the kernel has it, else userspace.
 */
#ifndef NB_LINK_H
#define NB_LINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "shaper.h"

struct nb_undo;
struct nb_profile;
struct nl_sock;
struct nb_emulator;

enum nb_side { NB_CLIENT = 0, NB_SERVER = 1 };

#define NB_LINK_CLIENT_ADDR "10.77.0.1"
#define NB_LINK_SERVER_ADDR "10.77.0.2"

struct nb_link_opts {
	const char *backend;   /* "auto" (NULL) or a backend name */
	double loss_pct;       /* per direction */
	uint64_t seed;         /* loss pattern (userspace backend) */
	/* Test knob: shape at this fraction of the profile's rate (0 or 1:
	 * the profile's rate). compare's tests lower a link by 5% with it. */
	double rate_scale;
};

struct nb_link {
	int ns[2];                     /* namespace fds, by enum nb_side */
	int ifindex[2];                /* the two ends, each in its own namespace */
	int tap_fd[2];                 /* userspace backend: the TAP fds, else -1 */
	struct nb_emulator *emu;       /* userspace backend: the relay, else NULL */
	uint64_t seed;
	struct nl_sock *nl[2];         /* route socket per namespace */
	struct in_addr addr[2];
	const struct nb_profile *profile;
	const struct nb_link_backend *backend;
	struct nb_shape shape;         /* what was asked */
	struct nb_shape_result applied[2]; /* what each egress got */
	/* Where nb_link_up registers what it (and the backend's apply)
	 * acquires, and the origin it reports; set by nb_link_up. */
	struct nb_undo *undo;
	const char *file;
	int line;
};

struct nb_link_backend {
	const char *name;
	/* 0 when usable on this machine, else -EOPNOTSUPP with nb_lasterr(). */
	int (*probe)(void);
	/* Creates "nbc0" in the client namespace and "nbs0" in the server's,
	 * joined; registers what it holds. Errors: negative errno. */
	int (*make_pair)(struct nb_link *l);
	/* Shapes the egress of `side`. Errors: negative errno. */
	int (*apply)(struct nb_link *l, enum nb_side side);
	/* Starts what runs beside the link once both ends are configured
	 * (the emulator thread), or NULL. Errors: negative errno. */
	int (*start)(struct nb_link *l);
	/* Bytes and packets the shaped path carried out of `side` so far. */
	int (*counters)(struct nb_link *l, enum nb_side side,
			struct nb_shaper_stats *st);
};

/* Finds a backend by name; "auto" or NULL picks the first usable one.
 * Errors: NULL with nb_lasterr() naming the valid backends. */
const struct nb_link_backend *nb_link_backend_find(const char *name);

/* Builds the link for profile p, registering every acquisition on u (so a
 * failure half-way is undone by nb_undo_unwind(u)). Errors: -EPERM (no
 * CAP_NET_ADMIN / CAP_SYS_ADMIN), -EOPNOTSUPP (veth or htb missing), other
 * negative errno; nb_lasterr() says which step failed. */
int nb_link_up_at(struct nb_undo *u, const char *file, int line,
		  struct nb_link *l, const struct nb_profile *p,
		  const struct nb_link_opts *o);
#define nb_link_up(u, l, p, o) nb_link_up_at((u), __FILE__, __LINE__, (l), (p), (o))

/* One line describing the shaping actually applied, e.g.
 * "netem: htb 100 Mbit/s + netem delay 20 ms loss 0% limit 496" or
 * "userspace: htb 100 Mbit/s + pfifo 331 pkts; emulator delay 20 ms loss 0%
 * limit 496 seed 7, realtime". */
void nb_link_describe(const struct nb_link *l, char *buf, size_t len);

/* Frames the interface of `side` dropped on transmit. With the userspace
 * backend these are frames its TAP ring had no room for because the
 * emulator fell behind: loss nobody asked for. Errors: negative errno. */
int nb_link_tx_dropped(struct nb_link *l, enum nb_side side, uint64_t *drops);

/* Whether delay and loss are really applied on both directions (true when
 * the profile asks for neither, e.g. unthrottled). Always true for a link
 * that nb_link_up built: no backend falls back to rate only any more. */
bool nb_link_emulates_delay(const struct nb_link *l);

#endif
