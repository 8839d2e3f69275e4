/* netbench: the emulated link of one case.
 *
 * Two fresh anonymous network namespaces, client and server, joined by a veth
 * pair (MTU 1500): "nbc0" 10.77.0.1/24 in the client namespace, "nbs0"
 * 10.77.0.2/24 in the server namespace; loopbacks up; TCP buffers sized for
 * 300 Mbit x 80 ms; shaping on both egresses by the chosen link backend.
 * Addresses never collide: every case has namespaces of its own.
 *
 * Link backends are a vtable chosen by name ("netem" now; "userspace" comes
 * with the emulator issue): see struct nb_link_backend.
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

enum nb_side { NB_CLIENT = 0, NB_SERVER = 1 };

#define NB_LINK_CLIENT_ADDR "10.77.0.1"
#define NB_LINK_SERVER_ADDR "10.77.0.2"

struct nb_link_opts {
	const char *backend;   /* "auto" (NULL) or a backend name */
	double loss_pct;       /* per direction */
};

struct nb_link {
	int ns[2];                     /* namespace fds, by enum nb_side */
	int ifindex[2];                /* veth ends, each in its own namespace */
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
	/* Shapes the egress of `side`. Errors: negative errno. */
	int (*apply)(struct nb_link *l, enum nb_side side);
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
 * "netem: htb 100 Mbit/s + netem delay 20 ms loss 0% limit 1321" or
 * "netem: htb 100 Mbit/s + pfifo 331 pkts (no sch_netem: delay/loss not applied)". */
void nb_link_describe(const struct nb_link *l, char *buf, size_t len);

/* Whether delay and loss are really applied on both directions (true when
 * the profile asks for neither, e.g. unthrottled). */
bool nb_link_emulates_delay(const struct nb_link *l);

#endif
