/* netbench: the userspace link backend, for kernels without sch_netem.
 *
 * The two ends are TAP devices relayed by the emulator thread (emulator.h,
 * where the design and the choice of a TAP relay over NFQUEUE are
 * explained): delay, loss (seeded, reproducible) and the delay line's limit
 * are applied in userspace; the rate and the bottleneck queue stay in the
 * kernel, htb + pfifo of one BDP on each TAP's egress. A profile that asks
 * for neither delay nor loss gets a plain veth pair: there is nothing to
 * emulate, and the relay would only cap the unthrottled rate.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "emulator.h"
#include "error.h"
#include "link_backend.h"
#include "shaper.h"
#include "tap.h"
#include "undo.h"

static bool needs_emulator(const struct nb_link *l)
{
	return l->shape.delay_us || l->shape.loss_pct > 0;
}

static int userspace_probe(void)
{
	int rv = nb_shaper_htb_usable();

	if (rv < 0)
		return rv;
	return nb_tap_usable();
}

static void release_fd(void *arg)
{
	close((int)(long)arg);
}

static int userspace_make_pair(struct nb_link *l)
{
	int fd, idx;

	if (!needs_emulator(l))
		return nb_link_make_veth(l);
	for (int s = NB_CLIENT; s <= NB_SERVER; s++) {
		fd = nb_tap_open(l->ns[s], nb_link_if_name[s]);
		if (fd < 0)
			return nb_fail(fd, "link: %s", nb_lasterr());
		idx = nb_undo_push_at(l->undo, l->file, l->line, NB_RES_FD, fd,
				      release_fd, (void *)(long)fd,
				      "TAP %s (fd %d) in the %s namespace",
				      nb_link_if_name[s], fd,
				      nb_link_side_name[s]);
		if (idx < 0) {
			close(fd);
			return nb_fail(idx, "link: undo stack full");
		}
		l->tap_fd[s] = fd;
	}
	return 0;
}

static int userspace_apply(struct nb_link *l, enum nb_side side)
{
	l->shape.pfifo_leaf = true;
	l->shape.require_netem = false;
	return nb_link_shape_egress(l, side);
}

static int userspace_start(struct nb_link *l)
{
	struct nb_emulator_config cfg = {
		.fd = { l->tap_fd[NB_CLIENT], l->tap_fd[NB_SERVER] },
		.delay_us = l->shape.delay_us,
		.loss_pct = l->shape.loss_pct,
		/* As netem's limit: the queue plus the delay line. The
		 * queue itself is the pfifo under htb, so a full-size data
		 * flow never reaches this limit; small packets (ACKs) have
		 * the room netem would give them. */
		.limit_pkts = l->shape.netem_limit ? l->shape.netem_limit : 1000,
		.seed = l->seed,
		.realtime = true,
	};

	if (l->tap_fd[NB_CLIENT] < 0)
		return 0;
	return nb_emulator_start_at(l->undo, l->file, l->line, &cfg, &l->emu);
}

const struct nb_link_backend nb_link_backend_userspace = {
	.name = "userspace",
	.probe = userspace_probe,
	.make_pair = userspace_make_pair,
	.apply = userspace_apply,
	.start = userspace_start,
	.counters = nb_link_shaper_counters,
};
