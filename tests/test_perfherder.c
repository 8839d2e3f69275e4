/* Tests for perfherder.c: the seed's shape, field by field, and validity
 * against treeherder's performance-artifact schema (python3-jsonschema;
 * tests/data/perfherder-schema.json). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "results.h"
#include "results_testutil.h"


static void write_perfherder(struct nb_results *r, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(nb_perfherder_write(r, f), 0);
	assert_int_equal(fclose(f), 0);
}

/* jsonschema's verdict on path: 0 valid, 1 invalid (the reason printed). */
static int validate(const char *path)
{
	const char *root = getenv("NETBENCH_SOURCE_ROOT");
	char cmd[1024];
	int status;

	assert_non_null(root);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, sys, jsonschema\n"
		 "try:\n"
		 "    jsonschema.validate(json.load(open(sys.argv[1])), "
		 "json.load(open(sys.argv[2])))\n"
		 "except jsonschema.ValidationError as e:\n"
		 "    print(\"invalid:\", e.message); sys.exit(1)' "
		 "%s %s/tests/data/perfherder-schema.json", path, root);
	status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 2);  /* no python error */
	return WEXITSTATUS(status);
}

static void t_shape(void **state)
{
	struct nb_results r;
	json_error_t err;
	json_t *root, *suites, *s, *sub;
	char path[128];
	size_t i;

	(void)state;
	results_sample(&r, 10);
	r.cases[2].loss_pct = 0.5;
	snprintf(path, sizeof(path), "%s/perfherder.json", results_dir);
	write_perfherder(&r, path);
	root = json_load_file(path, 0, &err);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(root, "framework"), "name")), "mozperftest");
	suites = json_object_get(root, "suites");
	/* 8 cases, one failed: 7 suites. */
	assert_int_equal(json_array_size(suites), 7);
	json_array_foreach(suites, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		json_t *eo = json_object_get(s, "extraOptions");

		assert_string_equal(json_string_value(json_object_get(s, "type")),
				    "benchmark");
		assert_int_equal(json_array_size(eo), 2);
		assert_int_equal(json_array_size(json_object_get(s, "subtests")), 1);
		sub = json_array_get(json_object_get(s, "subtests"), 0);
		assert_true(strstr(name, "-download") || strstr(name, "-upload"));
		assert_string_equal(json_string_value(json_object_get(sub, "name")),
				    strstr(name, "-download") ? "download-goodput"
							      : "upload-goodput");
		assert_string_equal(json_string_value(json_object_get(sub, "unit")),
				    "Mbit/s");
		assert_true(json_is_false(json_object_get(sub, "lowerIsBetter")));
		assert_true(json_is_true(json_object_get(sub, "shouldAlert")));
		assert_float_equal(json_real_value(json_object_get(sub, "alertThreshold")),
				   2.0, 0);
	}
	/* 10M_40ms/h2/download: the kept replicates only, the mean to 3
	 * decimals, the seed's loss spelling. */
	s = json_array_get(suites, 2);
	assert_string_equal(json_string_value(json_object_get(s, "name")),
			    "h2-download");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(s, "extraOptions"), 0)), "10M_40ms");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(s, "extraOptions"), 1)), "loss-0.5");
	sub = json_array_get(json_object_get(s, "subtests"), 0);
	assert_int_equal(json_array_size(json_object_get(sub, "replicates")), 3);
	assert_float_equal(json_real_value(json_object_get(sub, "value")), 9.4, 1e-9);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_array_get(suites, 0), "extraOptions"), 1)), "loss-0");
	json_decref(root);

	/* The mean is rounded, the replicates are not. */
	r.cases[0].rep[0].goodput_bps = 9123456.7;
	nb_results_finish(&r);
	write_perfherder(&r, path);
	root = json_load_file(path, 0, &err);
	assert_non_null(root);
	sub = json_array_get(json_object_get(json_array_get(
		json_object_get(root, "suites"), 0), "subtests"), 0);
	assert_float_equal(json_real_value(json_object_get(sub, "value")),
			   round(r.cases[0].st.mean / 1e3) / 1e3, 1e-9);
	assert_float_equal(json_real_value(json_array_get(
		json_object_get(sub, "replicates"), 0)), 9.1234567, 1e-9);
	json_decref(root);
	nb_results_free(&r);
}

/* Valid against the schema; and the validator does reject what the
 * schema forbids (so the first verdict means something). */
static void t_schema(void **state)
{
	struct nb_results r;
	char path[128], bad[160];
	FILE *f;

	(void)state;
	results_sample(&r, 10);
	snprintf(path, sizeof(path), "%s/perfherder.json", results_dir);
	write_perfherder(&r, path);
	assert_int_equal(validate(path), 0);

	snprintf(bad, sizeof(bad), "%s/bad.json", results_dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("{\"framework\": {\"name\": \"mozperftest\"}, \"suites\": [{\"name\":"
	      " \"h2-download\", \"extraOptions\": [\"10M_40ms\", \"10M_40ms\"],"
	      " \"subtests\": []}]}", f);
	fclose(f);
	assert_int_equal(validate(bad), 1);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("{\"framework\": {\"name\": \"x\"}, \"suites\": [{\"name\": \"a\","
	      " \"subtests\": [{\"name\": \"b\", \"value\": 1, \"unit\":"
	      " \"megabits per second, please\"}]}]}", f);
	fclose(f);
	assert_int_equal(validate(bad), 1);
	nb_results_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_shape),
		cmocka_unit_test(t_schema),
	};

	return cmocka_run_group_tests(tests, results_dir_setup,
					  results_dir_teardown);
}
