/* netbench: the options of `netbench run`, parsed (cmd_run.c runs them).
 *
 * Pure parsing: nothing is run, printed, probed or written; only
 * getopt_long's globals change (optind is reset here, so the parser can be
 * called again, as the fuzz target fuzz/fuzz_cli.c does). Strings in the
 * result point into argv, which must outlive it.
 */
#ifndef NB_RUN_OPTS_H
#define NB_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ext.h"
#include "profile.h"
#include "proto.h"

#define MAX_SEL 16

struct run_opts {
	const struct nb_profile *profiles[MAX_SEL];
	size_t nprofiles;
	const struct nb_proto *protos[MAX_SEL];
	size_t nprotos;
	enum nb_dir dirs[2];
	size_t ndirs;
	double loss;
	unsigned replicates;
	double duration;
	uint64_t size;
	const char *emulator;
	uint64_t seed;            /* drawn unless --seed */
	bool fail_env_changed;
	bool forever;
	bool no_baseline;
	const char *out_dir;      /* -o */
	const char *compare;      /* --compare BASE */
	double threshold;         /* --threshold PCT */
	double rate_scale;        /* $NETBENCH_TEST_RATE_SCALE, 1 */
	/* --server, --client: another program at that end (ext.h). */
	struct nb_ext_choice server, client;
	bool baseline_added;      /* tcp added as the baseline: ours */
};

/* Parses argv[1..argc) (argv[0] is the subcommand) into o, which the
 * caller initialised with its defaults. Returns 0, or -EINVAL (-ENOMEM)
 * with one line in nb_lasterr() naming the option and what is accepted. */
int nb_run_parse_opts(int argc, char **argv, struct run_opts *o);

#endif
