/* netbench: `netbench link -p PROFILE`: builds the case link and measures it
 * against the profile: RTT (UDP echo probes timestamped in userspace) and
 * TCP rate in both directions, each printed beside the profile's value with
 * the deviation. Exit 1 when a check fails:
 *   rate: 0.93 to 1.00 of the TCP ceiling (1448/1514 x rate at MTU 1500);
 *   RTT:  within 5% + 1 ms of the profile's, where delay is applied. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "interrupt.h"
#include "link.h"
#include "probe.h"
#include "profile.h"
#include "undo.h"

#define RATE_MIN 0.93
#define RATE_MAX 1.00
#define RTT_TOL_REL 0.05
#define RTT_TOL_MS 1.0
#define PROBE_PORT 5301
#define RATE_PORT 5302
#define DEFAULT_MSS 1460

struct link_opts {
	const struct nb_profile *profile;
	double loss;
	const char *emulator;
	double measure_s;
};

static int parse(int argc, char **argv, struct link_opts *o)
{
	enum { O_LOSS = 256, O_EMU, O_MEASURE };
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"network_type", required_argument, NULL, 'p'},
		{"loss", required_argument, NULL, O_LOSS},
		{"pkt_loss_rate", required_argument, NULL, O_LOSS},
		{"emulator", required_argument, NULL, O_EMU},
		{"measure", required_argument, NULL, O_MEASURE},
		{NULL, 0, NULL, 0},
	};
	char names[256];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->profile = nb_profile_find(optarg);
			if (!o->profile) {
				nb_profile_names(names, sizeof(names));
				return nb_fail(-EINVAL, "unknown profile '%s' (valid: %s)",
					       optarg, names);
			}
			break;
		case O_LOSS:
			if (nb_parse_double("--loss", optarg, 0, 100, &o->loss))
				return -EINVAL;
			break;
		case O_EMU:
			if (!nb_link_backend_find(optarg))
				return nb_fail(-EINVAL, "--emulator: %s", nb_lasterr());
			o->emulator = optarg;
			break;
		case O_MEASURE:
			if (nb_parse_double("--measure", optarg, 0.5, 600, &o->measure_s))
				return -EINVAL;
			break;
		case ':':
			return nb_fail(-EINVAL, "option %s needs a value", argv[optind - 1]);
		default:
			return nb_fail(-EINVAL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return nb_fail(-EINVAL, "unexpected argument '%s'", argv[optind]);
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
	double ceiling = nb_profile_tcp_ceiling_bps(p, DEFAULT_MSS);
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

int nb_cmd_link(int argc, char **argv)
{
	struct link_opts o = {.measure_s = 3.0};
	struct nb_link_opts lo;
	struct nb_undo *u = NULL;
	struct nb_link l;
	struct nb_rtt_result rtt;
	struct nb_rate_result down, up;
	char desc[256];
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
	lo = (struct nb_link_opts){.backend = o.emulator, .loss_pct = o.loss};
	rv = nb_link_up(u, &l, o.profile, &lo);
	if (rv) {
		nb_errorf("link: cannot build the link: %s", nb_lasterr());
		code = rv == -EOPNOTSUPP ? NB_EXIT_NOTHING_RAN : NB_EXIT_FAIL;
		goto out;
	}
	nb_link_describe(&l, desc, sizeof(desc));
	printf("link %s: %s\n", o.profile->name, desc);
	rv = nb_probe_rtt(l.ns[NB_CLIENT], l.ns[NB_SERVER], NB_LINK_CLIENT_ADDR,
			  NB_LINK_SERVER_ADDR, PROBE_PORT, 20, 50,
			  2 * o.profile->rtt_ms + 1000, &rtt);
	if (rv) {
		nb_errorf("link: RTT probe: %s", nb_lasterr());
		goto out;
	}
	fails += report_rtt(&l, &rtt);
	warmup = 0.5 + (nb_link_emulates_delay(&l) ? 10.0 * o.profile->rtt_ms / 1000.0 : 0);
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
	printf("result: %s\n", fails ? "FAIL" : "ok");
	code = fails ? NB_EXIT_FAIL : NB_EXIT_OK;
out:
	if (u)
		nb_undo_unwind(u);
	free(u);
	if (nb_interrupted())
		return NB_EXIT_INTERRUPTED;
	return code;
}
