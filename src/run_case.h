/* netbench: one case of `netbench run`: the fixtures of fx_case.h around
 * the requested replicates, recorded into an nb_result_case.
 *
 * A replicate during which the userspace emulator was late by
 * NB_RESULTS_STALL_MS or more (a stalled host, or kernel work charged to
 * its thread, held it up: for that long the link was not the profile) is
 * kept in the results, marked discarded, and
 * repeated, up to as many extra attempts as replicates were asked for (at
 * least 3); a case that keeps none fails, saying so.
 */
#ifndef NB_RUN_CASE_H
#define NB_RUN_CASE_H

#include <stdbool.h>
#include <stdio.h>

#include "fx_case.h"
#include "results.h"

struct nb_run_case_opts {
	unsigned replicates;
	FILE *log;                /* discard notices, emulator warnings */
	bool progress;            /* a live line on log (a terminal) */
	size_t index, total;      /* "[3/16]" in the live line */
};

/* Runs the case of `spec` and fills out (name, conditions, status, error,
 * replicates, ceiling, emulator CPU, statistics, efficiency). Returns 0 when the case ran to the
 * end, else the negative errno of the failure (out->status says FAILED or
 * INTERRUPTED, out->error why). An environment change is not a failure:
 * out->status is ENV_CHANGED. */
int nb_run_case(const struct nb_case_spec *spec,
		const struct nb_run_case_opts *o, struct nb_result_case *out);

#endif
