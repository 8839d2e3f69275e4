/* netbench: perfherder.json, in the seed's shape (network_bench.py's
 * _build_subtest / summarize_test / summarize_suites) and valid against
 * treeherder's performance-artifact schema:
 *
 *   {"framework": {"name": "mozperftest"},
 *    "suites": [{"name": "<proto>-<dir>", "type": "benchmark",
 *                "extraOptions": ["<profile>", "loss-<X>"],
 *                "subtests": [{"name": "<dir>-goodput",
 *                              "lowerIsBetter": false,
 *                              "alertThreshold": 2.0, "unit": "Mbit/s",
 *                              "replicates": [...], "shouldAlert": true,
 *                              "value": <mean, 3 decimals>}]}]}
 *
 * The value is the case's mean (nb_results_finish: the kept replicates).
 * One suite per case that produced replicates (failed cases have none and
 * are left out, as the seed leaves out a test without measurements); the
 * tcp cases are there too, as suites "tcp-download" / "tcp-upload": the
 * baseline the seed logged and never reported. Loss is formatted as the
 * seed's f"loss-{rate}" ("loss-0", "loss-1", "loss-0.5").
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "results.h"

#define PERFHERDER_ALERT_THRESHOLD 2.0

/* Python's round(x, 3) for the values at hand (half away from zero). */
static double round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

static json_t *suite_json(const struct nb_result_case *c)
{
	json_t *reps = json_array(), *subtest, *suite, *opts;
	char suite_name[64], subtest_name[32], loss[32];

	for (size_t i = 0; reps && i < c->nrep; i++) {
		double v = c->rep[i].goodput_bps / 1e6;

		if (!c->rep[i].discarded)
			json_array_append_new(reps, json_real(isfinite(v) ? v : 0));
	}
	snprintf(suite_name, sizeof(suite_name), "%s-%s", c->proto,
		 nb_dir_name(c->dir));
	snprintf(subtest_name, sizeof(subtest_name), "%s-goodput",
		 nb_dir_name(c->dir));
	snprintf(loss, sizeof(loss), "loss-%g", c->loss_pct);
	subtest = json_pack("{s:s, s:b, s:f, s:s, s:o, s:b, s:f}",
			    "name", subtest_name,
			    "lowerIsBetter", 0,
			    "alertThreshold", PERFHERDER_ALERT_THRESHOLD,
			    "unit", "Mbit/s",
			    "replicates", reps ? reps : json_array(),
			    "shouldAlert", 1,
			    "value", isfinite(c->st.mean) ? round3(c->st.mean / 1e6) : 0.0);
	opts = json_pack("[s, s]", c->profile, loss);
	/* Another implementation at an end is another series. */
	if (opts && strcmp(c->server, "netbench"))
		json_array_append_new(opts, json_sprintf("server-%s", c->server));
	if (opts && strcmp(c->client, "netbench"))
		json_array_append_new(opts, json_sprintf("client-%s", c->client));
	suite = json_pack("{s:s, s:s, s:o, s:[o]}",
			  "name", suite_name,
			  "type", "benchmark",
			  "extraOptions", opts,
			  "subtests", subtest);
	return suite;
}

int nb_perfherder_write(const struct nb_results *r, FILE *f)
{
	json_t *suites = json_array(), *root;
	int rv = 0;

	for (size_t i = 0; suites && i < r->ncases; i++) {
		const struct nb_result_case *c = &r->cases[i];

		if (strcmp(c->status, "ok") && strcmp(c->status, "ENV_CHANGED"))
			continue;
		if (!c->st.n)
			continue;
		json_array_append_new(suites, suite_json(c));
	}
	root = json_pack("{s:{s:s}, s:o}", "framework", "name", "mozperftest",
			 "suites", suites ? suites : json_array());
	if (!root)
		return nb_fail(-ENOMEM, "cannot build the JSON document");
	if (json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) ||
	    fputc('\n', f) == EOF)
		rv = nb_fail(-EIO, "write error");
	json_decref(root);
	return rv;
}
