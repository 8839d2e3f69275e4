/* netbench: `netbench compare BASE NEW [--threshold PCT] [--alpha A]`: two
 * runs' results.json side by side, per case the change of the goodput and
 * whether the replicates make it significant. Exit 1 on a significant
 * regression beyond the threshold (or a case that failed in NEW only), 0
 * otherwise, 2 for bad usage or input. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "error.h"
#include "results.h"

struct compare_opts {
	const char *base, *new;
	double threshold_pct, alpha;
};

/* Errors: -EINVAL with nb_lasterr() naming the problem. */
static int parse(int argc, char **argv, struct compare_opts *o)
{
	enum { O_THRESHOLD = 256, O_ALPHA };
	static const struct option opts[] = {
		{"threshold", required_argument, NULL, O_THRESHOLD},
		{"alpha", required_argument, NULL, O_ALPHA},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->threshold_pct = NB_COMPARE_THRESHOLD_PCT;
	o->alpha = NB_COMPARE_ALPHA;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_THRESHOLD:
			if (nb_parse_double("--threshold", optarg, 0, 100,
					    &o->threshold_pct))
				return -EINVAL;
			break;
		case O_ALPHA:
			if (nb_parse_double("--alpha", optarg, 0, 1, &o->alpha) ||
			    o->alpha <= 0 || o->alpha >= 1)
				return nb_fail(-EINVAL, "--alpha: '%s' is not a "
					       "number between 0 and 1 (exclusive)",
					       optarg);
			break;
		default:
			return nb_getopt_error(c, argv, "valid: --threshold PCT, "
					       "--alpha A");
		}
	}
	if (argc - optind != 2)
		return nb_fail(-EINVAL, "%s (usage: netbench compare BASE NEW "
			       "[--threshold PCT] [--alpha A])",
			       argc - optind < 2 ? "needs BASE and NEW"
						 : "too many arguments");
	o->base = argv[optind];
	o->new = argv[optind + 1];
	return 0;
}

int nb_cmd_compare(int argc, char **argv)
{
	struct nb_results base, new;
	struct compare_opts o;
	int rv;

	if (parse(argc, argv, &o)) {
		nb_errorf("compare: %s", nb_lasterr());
		return NB_EXIT_USAGE;
	}
	if (nb_results_read_json(o.base, &base)) {
		nb_errorf("compare: %s", nb_lasterr());
		return NB_EXIT_USAGE;
	}
	if (nb_results_read_json(o.new, &new)) {
		nb_errorf("compare: %s", nb_lasterr());
		nb_results_free(&base);
		return NB_EXIT_USAGE;
	}
	rv = nb_compare_results(&base, &new, o.threshold_pct, o.alpha, stdout);
	nb_results_free(&base);
	nb_results_free(&new);
	if (rv < 0) {
		nb_errorf("compare: %s", nb_lasterr());
		return NB_EXIT_USAGE;
	}
	return rv > 0 ? NB_EXIT_FAIL : NB_EXIT_OK;
}
