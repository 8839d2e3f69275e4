/* netbench: what the link backends (link_netem.c, link_userspace.c) share
 * with the link's construction (link.c). Internal to the link. */
#ifndef NB_LINK_BACKEND_H
#define NB_LINK_BACKEND_H

#include "link.h"

extern const struct nb_link_backend nb_link_backend_netem;
extern const struct nb_link_backend nb_link_backend_userspace;

extern const char *const nb_link_side_name[2];  /* "client", "server" */
extern const char *const nb_link_if_name[2];    /* "nbc0", "nbs0" */

/* Creates the veth pair nbc0 <-> nbs0 across the two namespaces (it dies
 * with them: not registered). Errors: negative errno. */
int nb_link_make_veth(struct nb_link *l);

/* Adds l->shape on the egress of `side` (nb_shaper_apply) and registers the
 * removal of the root qdisc. Errors: negative errno. */
int nb_link_shape_egress(struct nb_link *l, enum nb_side side);

/* The htb class counters of the egress of `side`. */
int nb_link_shaper_counters(struct nb_link *l, enum nb_side side,
			    struct nb_shaper_stats *st);

#endif
