/* netbench: `netbench link -p PROFILE`: builds the case link and measures it
 * against the profile, each figure printed beside the profile's value with
 * the deviation and the tolerance:
 *
 *   loss   a paced UDP stream each way (probe_loss.h), first, while nothing
 *          else has crossed the link: measured loss per direction within
 *          max(6 binomial sigma, 0.05 points) of --loss; the drop pattern,
 *          and with the userspace emulator the check that it is the one the
 *          seed predicts; one-way delay p50/p99/max;
 *   RTT    UDP echo probes: within 5% + 1 ms of the profile's;
 *   rate   TCP each way: 0.93 to 1.00 of the TCP ceiling (1448/1514 x rate
 *          at MTU 1500); not checked under loss (TCP cannot fill the link);
 *   emulator  lateness p50/p99/max and CPU (userspace backend).
 *
 * Exit 1 when a check fails. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "ceiling.h"
#include "cli.h"
#include "commands.h"
#include "emulator.h"
#include "error.h"
#include "interrupt.h"
#include "link.h"
#include "lossgen.h"
#include "probe.h"
#include "probe_loss.h"
#include "profile.h"
#include "undo.h"

#define RATE_MIN 0.93
#define RATE_MAX 1.00
#define RTT_TOL_REL 0.05
#define RTT_TOL_MS 1.0
#define PROBE_PORT 5301
#define RATE_PORT 5302
#define LOSS_PORT 5303
#define DEFAULT_MSS 1460
#define LOSS_SIGMAS 6.0
#define LOSS_MIN_TOL_PTS 0.05
#define LOSS_PACKETS 100000          /* with --loss */
#define LOSS_PACKETS_NONE 10000      /* without */
#define LOSS_BUDGET_S 60.0           /* default count capped to fit */
#define LOSS_PPS_MAX 10000.0        /* the relay handles both ways at once */

struct link_opts {
	const struct nb_profile *profile;
	double loss;
	const char *emulator;
	double measure_s;
	uint64_t seed;                   /* drawn unless --seed */
	uint64_t loss_packets;           /* 0 = default */
};

static int parse(int argc, char **argv, struct link_opts *o)
{
	enum { O_MEASURE = 256, O_LOSS_PACKETS };
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"network_type", required_argument, NULL, 'p'},
		NB_CLI_LINK_OPTIONS,
		{"measure", required_argument, NULL, O_MEASURE},
		{"loss-packets", required_argument, NULL, O_LOSS_PACKETS},
		{NULL, 0, NULL, 0},
	};
	unsigned long long n;
	char names[256];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:", opts, NULL)) != -1) {
		int taken = nb_cli_link_option(c, optarg, &o->loss,
					       &o->emulator, &o->seed);

		if (taken < 0)
			return taken;
		if (taken)
			continue;
		switch (c) {
		case 'p':
			if (nb_profile_parse(NULL, optarg, &o->profile))
				return -EINVAL;
			break;
		case O_MEASURE:
			if (nb_parse_double("--measure", optarg, 0.5, 600, &o->measure_s))
				return -EINVAL;
			break;
		case O_LOSS_PACKETS:
			if (nb_parse_uint("--loss-packets", optarg, 1000,
					  NB_LOSS_MAX_COUNT, &n))
				return -EINVAL;
			o->loss_packets = n;
			break;
		default:
			return nb_getopt_error(c, argv, "see netbench --help");
		}
	}
	if (nb_getopt_done(argc, argv))
		return -EINVAL;
	if (!o->profile) {
		nb_profile_names(names, sizeof(names));
		return nb_fail(-EINVAL, "-p PROFILE is required (valid: %s)", names);
	}
	return 0;
}

/* Prints one rate line; returns 1 if the check failed. */
static int report_rate(const char *what, const struct nb_profile *p,
		       double loss, const struct nb_rate_result *r)
{
	double ceiling = nb_ceiling_tcp_bps(p->rate_bps, DEFAULT_MSS);
	double ratio;

	if (!p->rate_bps || loss > 0) {
		printf("  %-9s measured %9.3f Mbit/s   not checked: %s\n", what,
		       r->bps / 1e6,
		       !p->rate_bps ? "unthrottled"
				    : "with loss TCP cannot fill the link");
		return 0;
	}
	/* Checked at the precision printed: a ratio that prints as 1.000 is
	 * on the ceiling, whatever the timer's last digit says. */
	ratio = round(r->bps / ceiling * 1000.0) / 1000.0;
	printf("  %-9s measured %9.3f Mbit/s   TCP ceiling %9.3f Mbit/s "
	       "(1448/1514 x %g)   %.3f of ceiling, %+.1f%%   tolerance %.2f-%.2f   %s\n",
	       what, r->bps / 1e6, ceiling / 1e6, p->rate_bps / 1e6, ratio,
	       100.0 * (ratio - 1.0), RATE_MIN, RATE_MAX,
	       ratio >= RATE_MIN && ratio <= RATE_MAX ? "ok" : "FAIL");
	return ratio >= RATE_MIN && ratio <= RATE_MAX ? 0 : 1;
}

static int report_rtt(const struct nb_link *l, const struct nb_rtt_result *r)
{
	const struct nb_profile *p = l->profile;
	double tol = RTT_TOL_REL * p->rtt_ms + RTT_TOL_MS;
	double dev = r->median_ms - p->rtt_ms;

	printf("  rtt       measured %9.3f ms (min %.3f, max %.3f, %u/%u probes)   "
	       "profile %u ms",
	       r->median_ms, r->min_ms, r->max_ms, r->received, r->sent, p->rtt_ms);
	if (!p->rtt_ms || !nb_link_emulates_delay(l)) {
		printf("   not checked: %s\n", p->rtt_ms ? "delay not applied on this machine"
						   : "no delay in this profile");
		return 0;
	}
	printf("   %+.3f ms   tolerance +-%.2f ms   %s\n", dev, tol,
	       fabs(dev) <= tol ? "ok" : "FAIL");
	return fabs(dev) <= tol ? 0 : 1;
}

/* The loss probe's rate: a quarter of what the delay line holds (netem's
 * limit: queue + delay line, in packets) per one-way delay, so that the
 * probe does not overflow it even when the host stalls for three one-way
 * delays and the backlog arrives at once, and at most a quarter of the
 * link's bytes (probe frames are 74 bytes). */
static double loss_pps(const struct nb_link *l)
{
	const struct nb_shape *s = &l->shape;
	double pps = LOSS_PPS_MAX;

	if (s->delay_us && s->netem_limit)
		pps = fmin(pps, 0.25 * s->netem_limit / (s->delay_us / 1e6));
	if (s->rate_bps)
		pps = fmin(pps, 0.25 * (double)s->rate_bps / (8.0 * 74));
	return pps;
}

/* Probes per direction: --loss-packets, else 100,000 with --loss (10,000
 * without) or what fits the time budget at loss_pps. */
static uint64_t loss_count(const struct link_opts *o, double pps, bool *capped)
{
	double want = o->loss > 0 ? LOSS_PACKETS : LOSS_PACKETS_NONE;
	double budget = o->loss > 0 ? LOSS_BUDGET_S : 5.0;

	*capped = false;
	if (o->loss_packets)
		return o->loss_packets;
	if (want > pps * budget) {
		*capped = true;
		want = fmax(500, floor(pps * budget));
	}
	return (uint64_t)want;
}

/* FNV-1a 64 over the indexes the seed drops among the first n packets of
 * direction dir: what the loss probe's pattern must be when the probe is
 * the first traffic through the userspace emulator. */
static uint64_t predicted_pattern(uint64_t seed, unsigned dir, double loss,
				  uint64_t n)
{
	struct nb_lossgen g;
	uint64_t h = NB_LOSS_FNV_BASIS;

	nb_lossgen_init(&g, seed, dir, loss);
	for (uint64_t i = 0; i < n; i++) {
		if (nb_lossgen_drop(&g, i))
			h = nb_loss_pattern_add(h, i);
	}
	return h;
}

/* Prints one direction of the loss probe; returns 1 if a check failed. */
static int report_loss(const struct nb_link *l, const struct link_opts *o,
		       unsigned dir, const struct nb_loss_dir *d)
{
	static const char *const name[2] = { "loss up", "loss down" };
	double p = o->loss / 100.0, got = nb_loss_pct(d);
	double tol = fmax(LOSS_SIGMAS * sqrt(p * (1 - p) / (double)d->sent) * 100,
			  LOSS_MIN_TOL_PTS);
	bool ok = fabs(got - o->loss) <= tol && !d->duplicates;
	uint64_t want;
	int fails = !ok;

	printf("  %-9s measured %7.3f%% (%llu of %llu lost)   profile %g%%   "
	       "%+.3f points   tolerance +-%.3f (%.0f sigma over %llu)%s   %s\n",
	       name[dir], got, (unsigned long long)(d->sent - d->received),
	       (unsigned long long)d->sent, o->loss, got - o->loss, tol,
	       LOSS_SIGMAS, (unsigned long long)d->sent,
	       d->duplicates ? "   DUPLICATES" : "", ok ? "ok" : "FAIL");
	printf("  %-9s drop pattern %016llx", "", (unsigned long long)d->pattern);
	if (l->emu) {
		want = predicted_pattern(l->seed, dir, o->loss, d->sent);
		printf(", %sthe one seed %llu gives   %s",
		       want == d->pattern ? "" : "NOT ",
		       (unsigned long long)l->seed,
		       want == d->pattern ? "ok" : "FAIL");
		fails |= want != d->pattern;
	} else if (o->loss > 0) {
		printf(" (netem draws its own: not reproducible)");
	}
	printf("\n  %-9s one-way delay p50 %.3f ms  p99 %.3f ms  max %.3f ms   "
	       "profile %g ms\n", dir ? "owd down" : "owd up",
	       nb_hist_quantile(&d->owd, 0.5) / 1e6,
	       nb_hist_quantile(&d->owd, 0.99) / 1e6, d->owd.max / 1e6,
	       l->shape.delay_us / 1000.0);
	return fails;
}

/* The loss probe is the first traffic: whatever the emulator dropped by
 * its limit, or its TAP rings could not hold, so far happened during it
 * and is in the measured loss. Prints it; returns 1 if there was any. */
static int report_unasked_drops(struct nb_link *l, const struct nb_loss_result *r)
{
	struct nb_emulator_stats *st;
	uint64_t over, ring[2] = {0, 0};

	if (!l->emu)
		return 0;
	st = malloc(sizeof(*st));
	if (!st)
		return 1;
	nb_emulator_stats(l->emu, st);
	over = st->dir[0].overflow + st->dir[1].overflow;
	free(st);
	for (int s = NB_CLIENT; s <= NB_SERVER; s++)
		nb_link_tx_dropped(l, (enum nb_side)s, &ring[s]);
	if (!over && !ring[0] && !ring[1])
		return 0;
	printf("  loss      %llu frames dropped by the delay line's limit and "
	       "%llu by full TAP rings during the probe (the host stalled: "
	       "one-way delay max %.3f ms); the loss above includes them   "
	       "FAIL\n", (unsigned long long)over,
	       (unsigned long long)(ring[0] + ring[1]),
	       fmax(r->dir[0].owd.max, r->dir[1].owd.max) / 1e6);
	return 1;
}

static int probe_loss(struct nb_link *l, const struct link_opts *o)
{
	struct nb_loss_result *r = calloc(1, sizeof(*r));
	double pps = loss_pps(l);
	bool capped;
	uint64_t n = loss_count(o, pps, &capped);
	int rv, fails = 0;

	if (!r)
		return nb_fail(-ENOMEM, "out of memory");
	printf("  loss probe: %llu packets each way at %.0f/s, about %.0f s%s\n",
	       (unsigned long long)n, pps, n / pps,
	       capped ? " (capped to fit; --loss-packets N for more)" : "");
	fflush(stdout);
	rv = nb_probe_loss(l->ns[NB_CLIENT], l->ns[NB_SERVER],
			   NB_LINK_CLIENT_ADDR, NB_LINK_SERVER_ADDR, LOSS_PORT, n,
			   pps, 2 * o->profile->rtt_ms + 500, r);
	if (rv == 0) {
		fails += report_loss(l, o, 0, &r->dir[0]);
		fails += report_loss(l, o, 1, &r->dir[1]);
		fails += report_unasked_drops(l, r);
	}
	free(r);
	return rv < 0 ? rv : fails;
}

/* Lateness over every frame; CPU over the whole run and over the rate
 * probes, per 100 Mbit/s of frames relayed then. */
static int report_emulator(struct nb_link *l,
			   const struct nb_emulator_stats *a,
			   const struct nb_emulator_stats *b)
{
	const struct nb_hist *h = &b->lateness;
	double wall, cpu, mbps, lost = 0, over = 0;
	uint64_t ring[2] = {0, 0};

	if (!l->emu) {
		printf("  emulator  %s\n", l->applied[NB_CLIENT].netem
		       ? "netem, in the kernel: no lateness or CPU of its own "
			 "to read (the one-way delays above are end to end)"
		       : "none: nothing to emulate");
		return 0;
	}
	for (int s = NB_CLIENT; s <= NB_SERVER; s++)
		if (nb_link_tx_dropped(l, (enum nb_side)s, &ring[s]) < 0)
			return -1;
	for (int d = 0; d < 2; d++) {
		lost += (double)b->dir[d].lost;
		over += (double)b->dir[d].overflow;
	}
	printf("  emulator  userspace (%s): lateness p50 %.3f ms  p99 %.3f ms  "
	       "max %.3f ms over %llu frames; dropped %.0f by loss, %.0f by "
	       "the limit, %llu write errors\n"
	       "  emulator  TAP rings full (the emulator fell behind): %llu "
	       "frames dropped up, %llu down   %s\n",
	       b->realtime ? "SCHED_FIFO" : "normal priority: SCHED_FIFO refused",
	       nb_hist_quantile(h, 0.5) / 1e6, nb_hist_quantile(h, 0.99) / 1e6,
	       h->max / 1e6, (unsigned long long)h->count, lost, over,
	       (unsigned long long)(b->dir[0].write_errors +
				    b->dir[1].write_errors),
	       (unsigned long long)ring[NB_CLIENT],
	       (unsigned long long)ring[NB_SERVER],
	       ring[0] + ring[1] ? "FAIL" : "ok");
	wall = (double)(b->wall_ns - a->wall_ns) / 1e9;
	cpu = (double)(b->cpu_ns - a->cpu_ns) / 1e9;
	mbps = (double)(b->dir[0].bytes + b->dir[1].bytes - a->dir[0].bytes -
			a->dir[1].bytes) * 8 / 1e6 / wall;
	printf("  emulator  CPU %.2f s of %.2f s in all (%.1f%% of a core); "
	       "during the rate probes %.1f%% of a core for %.1f Mbit/s "
	       "relayed = %.1f%% of a core per 100 Mbit/s\n",
	       b->cpu_ns / 1e9, b->wall_ns / 1e9,
	       100.0 * (double)b->cpu_ns / (double)b->wall_ns,
	       100.0 * cpu / wall, mbps,
	       mbps > 0 ? 100.0 * cpu / wall / (mbps / 100.0) : 0.0);
	return ring[0] + ring[1] ? 1 : 0;
}

int nb_cmd_link(int argc, char **argv)
{
	struct link_opts o = {.measure_s = 3.0,
			      .seed = nb_lossgen_random_seed()};
	struct nb_link_opts lo;
	struct nb_undo *u = NULL;
	struct nb_link l;
	struct nb_rtt_result rtt;
	struct nb_rate_result down, up;
	struct nb_emulator_stats *emu = NULL;
	char desc[512];
	double warmup;
	int rv, fails = 0, code = NB_EXIT_FAIL;

	if (parse(argc, argv, &o)) {
		nb_errorf("link: %s", nb_lasterr());
		return NB_EXIT_USAGE;
	}
	if (nb_interrupt_install() || prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		nb_errorf("link: cannot install signal handlers");
		return NB_EXIT_FAIL;
	}
	if (nb_can_build_links()) {
		nb_errorf("link: %s", nb_lasterr());
		return NB_EXIT_NOTHING_RAN;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NB_EXIT_FAIL;
	nb_undo_init(u);
	emu = calloc(2, sizeof(*emu));
	if (!emu)
		goto out;
	lo = (struct nb_link_opts){.backend = o.emulator, .loss_pct = o.loss,
				   .seed = o.seed};
	rv = nb_link_up(u, &l, o.profile, &lo);
	if (rv) {
		nb_errorf("link: cannot build the link: %s", nb_lasterr());
		code = rv == -EOPNOTSUPP ? NB_EXIT_NOTHING_RAN : NB_EXIT_FAIL;
		goto out;
	}
	nb_link_describe(&l, desc, sizeof(desc));
	printf("link %s: %s\n", o.profile->name, desc);
	rv = probe_loss(&l, &o);
	if (rv < 0) {
		nb_errorf("link: loss probe: %s", nb_lasterr());
		goto out;
	}
	fails += rv;
	rv = nb_probe_rtt(l.ns[NB_CLIENT], l.ns[NB_SERVER], NB_LINK_CLIENT_ADDR,
			  NB_LINK_SERVER_ADDR, PROBE_PORT, 20, 50,
			  2 * o.profile->rtt_ms + 1000, &rtt);
	if (rv) {
		nb_errorf("link: RTT probe: %s", nb_lasterr());
		goto out;
	}
	fails += report_rtt(&l, &rtt);
	warmup = 0.5 + 10.0 * o.profile->rtt_ms / 1000.0;
	if (l.emu)
		nb_emulator_stats(l.emu, &emu[0]);
	rv = nb_probe_rate(l.ns[NB_SERVER], l.ns[NB_CLIENT], NB_LINK_CLIENT_ADDR,
			   RATE_PORT, warmup, o.measure_s, &down);
	if (rv) {
		nb_errorf("link: rate probe (download): %s", nb_lasterr());
		goto out;
	}
	fails += report_rate("rate down", o.profile, o.loss, &down);
	rv = nb_probe_rate(l.ns[NB_CLIENT], l.ns[NB_SERVER], NB_LINK_SERVER_ADDR,
			   RATE_PORT, warmup, o.measure_s, &up);
	if (rv) {
		nb_errorf("link: rate probe (upload): %s", nb_lasterr());
		goto out;
	}
	fails += report_rate("rate up", o.profile, o.loss, &up);
	if (l.emu)
		nb_emulator_stats(l.emu, &emu[1]);
	rv = report_emulator(&l, &emu[0], &emu[1]);
	if (rv < 0) {
		nb_errorf("link: %s", nb_lasterr());
		goto out;
	}
	fails += rv;
	printf("result: %s\n", fails ? "FAIL" : "ok");
	code = fails ? NB_EXIT_FAIL : NB_EXIT_OK;
out:
	if (u)
		nb_undo_unwind(u);
	free(u);
	free(emu);
	if (nb_interrupted())
		return NB_EXIT_INTERRUPTED;
	return code;
}
