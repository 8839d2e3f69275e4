/* netbench: the netem link backend: a veth pair, and on each egress htb at
 * the profile rate with a netem leaf for the delay (RTT/2), the loss and
 * the limit (queue + delay line, in packets). Everything is in the kernel;
 * it needs sch_netem, which some kernels (this project's CI machines among
 * them) do not have: "auto" then picks the userspace backend. netem draws
 * its loss from the kernel's PRNG: --seed does not apply. */
#include <errno.h>

#include "error.h"
#include "link_backend.h"
#include "shaper.h"

static int netem_probe(void)
{
	int rv = nb_shaper_htb_usable();

	if (rv < 0)
		return rv;
	if (!nb_shaper_netem_available())
		return nb_fail(-EOPNOTSUPP, "emulator 'netem' needs sch_netem, "
			       "which this kernel lacks (--emulator userspace "
			       "works without it)");
	return 0;
}

static int netem_apply(struct nb_link *l, enum nb_side side)
{
	l->shape.require_netem = l->shape.delay_us || l->shape.loss_pct > 0;
	return nb_link_shape_egress(l, side);
}

const struct nb_link_backend nb_link_backend_netem = {
	.name = "netem",
	.probe = netem_probe,
	.make_pair = nb_link_make_veth,
	.apply = netem_apply,
	.counters = nb_link_shaper_counters,
};
