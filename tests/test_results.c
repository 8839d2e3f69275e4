/* Tests for results.c, results_json.c and results_csv.c: what a run keeps,
 * what it derives, the files it writes and reading results.json back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "results.h"
#include "results_testutil.h"


static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", results_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Statistics leave discarded replicates out; efficiency and the tcp
 * baseline come from the same profile and direction. */
static void t_finish(void **state)
{
	struct nb_results r;
	const struct nb_result_case *c, *tcp;

	(void)state;
	results_sample(&r, 10);
	assert_string_equal(r.lib[0].name, "gnutls");
	assert_true(r.nlib >= 6);
	assert_int_equal(r.schema, NB_RESULTS_SCHEMA);
	assert_true(strlen(r.kernel) > 0 && strlen(r.started) == 20);
	c = nb_results_find(&r, "10M_40ms/h2/download");
	tcp = nb_results_find(&r, "10M_40ms/tcp/download");
	assert_non_null(c);
	assert_non_null(tcp);
	assert_int_equal(c->nrep, 4);
	assert_int_equal(c->st.n, 3);
	assert_float_equal(c->st.mean, 9.4e6, 1e-3);
	assert_float_equal(c->st.min, 9.4e6 * 0.99, 1e-3);
	assert_float_equal(c->efficiency, c->st.mean / c->ceiling_bps, 1e-12);
	assert_float_equal(c->baseline_bps, 9.5e6, 1e-3);
	assert_float_equal(tcp->baseline_bps, tcp->st.mean, 1e-3);
	/* No ceiling when unthrottled. */
	c = nb_results_find(&r, "unthrottled/h2/upload");
	assert_float_equal(c->ceiling_bps, 0, 0);
	assert_float_equal(c->efficiency, 0, 0);
	assert_null(nb_results_find(&r, "10M_40ms/h3/upload"));
	nb_results_free(&r);
}

static void t_json_round_trip(void **state)
{
	struct nb_result_case *ext;
	struct nb_results a, b;
	char path[128];
	FILE *f;

	(void)state;
	results_sample(&a, 10);
	a.rate_scale = 0.95;
	/* One case with other programs at its ends (ext.h); not a tcp
	 * one, which would stop being the others' baseline. */
	ext = &a.cases[a.ncases - 1];
	assert_string_not_equal(ext->proto, "tcp");
	snprintf(ext->server, sizeof(ext->server), "caddy");
	snprintf(ext->client, sizeof(ext->client), "chromium");
	snprintf(ext->timing, sizeof(ext->timing), "page");
	snprintf(ext->verify, sizeof(ext->verify), "count");
	snprintf(ext->client_protocol, sizeof(ext->client_protocol), "h3");
	snprintf(path, sizeof(path), "%s/results.json", results_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(nb_results_write_json(&a, f), 0);
	fclose(f);
	/* The file, and the directory holding it. */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(nb_results_read_json(k ? results_dir : path, &b), 0);
		assert_int_equal(b.schema, NB_RESULTS_SCHEMA);
		assert_string_equal(b.backend, "userspace");
		assert_string_equal(b.kernel, a.kernel);
		assert_int_equal(b.seed, 42);
		assert_float_equal(b.rate_scale, 0.95, 1e-12);
		assert_int_equal(b.nlib, a.nlib);
		assert_int_equal(b.ncases, a.ncases);
		for (size_t i = 0; i < a.ncases; i++) {
			const struct nb_result_case *x = &a.cases[i], *y = &b.cases[i];

			assert_string_equal(x->name, y->name);
			assert_string_equal(x->server, y->server);
			assert_string_equal(x->client, y->client);
			assert_string_equal(x->timing, y->timing);
			assert_string_equal(x->verify, y->verify);
			assert_string_equal(x->client_protocol, y->client_protocol);
			assert_string_equal(x->status, y->status);
			assert_string_equal(x->error, y->error);
			assert_int_equal(x->dir, y->dir);
			assert_int_equal(x->rate_bps, y->rate_bps);
			assert_int_equal(x->nrep, y->nrep);
			assert_int_equal(x->st.n, y->st.n);
			assert_float_equal(x->st.mean, y->st.mean, 1e-3);
			assert_float_equal(x->ceiling_bps, y->ceiling_bps, 1e-3);
			assert_float_equal(x->baseline_bps, y->baseline_bps, 1e-3);
			for (size_t j = 0; j < x->nrep; j++) {
				assert_float_equal(x->rep[j].goodput_bps,
						   y->rep[j].goodput_bps, 1e-3);
				assert_int_equal(x->rep[j].discarded,
						 y->rep[j].discarded);
				assert_int_equal(x->rep[j].nseries, y->rep[j].nseries);
				for (size_t k2 = 0; k2 < x->rep[j].nseries; k2++)
					assert_float_equal(x->rep[j].series_bps[k2],
							   y->rep[j].series_bps[k2], 1e-3);
			}
		}
		nb_results_free(&b);
	}
	nb_results_free(&a);
}

/* Bad input: one line that names the file and what is wrong. */
static void t_json_errors(void **state)
{
	struct nb_results r;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/none.json", results_dir);
	assert_int_equal(nb_results_read_json(path, &r), -ENOENT);
	assert_non_null(strstr(nb_lasterr(), "none.json"));

	write_file("garbage.json", "{\"schema\": 1, \"cases\": [");
	snprintf(path, sizeof(path), "%s/garbage.json", results_dir);
	assert_int_equal(nb_results_read_json(path, &r), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "not JSON"));

	write_file("other.json", "{\"suites\": []}");
	snprintf(path, sizeof(path), "%s/other.json", results_dir);
	assert_int_equal(nb_results_read_json(path, &r), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "not a netbench results.json"));

	write_file("newer.json", "{\"schema\": 2, \"cases\": []}");
	snprintf(path, sizeof(path), "%s/newer.json", results_dir);
	assert_int_equal(nb_results_read_json(path, &r), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "schema 2"));

	write_file("field.json",
		   "{\"schema\": 1, \"started\": \"x\", \"netbench\": {\"version\": \"0\"},"
		   " \"machine\": {\"host\": \"h\", \"kernel\": \"k\", \"arch\": \"a\","
		   " \"cpus\": 2, \"cpu_model\": \"c\"}, \"libraries\": {},"
		   " \"run\": {\"backend\": \"netem\", \"seed\": 1, \"loss_pct\": 0,"
		   " \"replicates\": 1, \"duration_s\": 1, \"size_bytes\": 0,"
		   " \"rate_scale\": 1},"
		   " \"cases\": [{\"name\": \"10M_40ms/h1/upload\", \"profile\": \"10M_40ms\","
		   " \"proto\": \"h1\", \"direction\": \"upload\", \"rate_bps\": 10000000,"
		   " \"rtt_ms\": 40, \"loss_pct\": 0, \"size_bytes\": 1, \"status\": \"ok\","
		   " \"error\": \"\", \"ceiling_mbps\": 9, \"emu_cpu_s\": 0,"
		   " \"replicates\": [{\"goodput_mbps\": \"fast\"}]}]}");
	snprintf(path, sizeof(path), "%s/field.json", results_dir);
	assert_int_equal(nb_results_read_json(path, &r), -EINVAL);
	assert_non_null(strstr(nb_lasterr(),
			       "case 10M_40ms/h1/upload: replicates[0]: "
			       "\"goodput_mbps\" is of the wrong type"));
	assert_int_equal(r.ncases, 0);
}

static size_t count_lines(const char *path, const char *needle)
{
	char line[2048];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += !needle || strstr(line, needle);
	fclose(f);
	return n;
}

/* The four files, written whole; nothing else left in the directory. */
static void t_write_dir(void **state)
{
	static const char *const names[] = {"results.json", "perfherder.json",
					    "results.csv", "report.html"};
	struct nb_results r;
	char out[128], path[192];
	struct stat sb;

	(void)state;
	results_sample(&r, 10);
	snprintf(out, sizeof(out), "%s/a/b", results_dir);
	assert_int_equal(nb_results_check_dir(out), 0);
	assert_int_equal(nb_results_write_dir(&r, out), 0);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, names[i]);
		assert_int_equal(stat(path, &sb), 0);
		assert_true(sb.st_size > 100);
		snprintf(path, sizeof(path), "%s/.%s.tmp", out, names[i]);
		assert_int_not_equal(stat(path, &sb), 0);
	}
	/* CSV: a header, one row per replicate (discarded ones too), one
	 * for the failed case's single replicate; specials quoted. */
	snprintf(path, sizeof(path), "%s/results.csv", out);
	assert_int_equal(count_lines(path, NULL), 1 + 8 * 3 - 2 + 1);
	assert_int_equal(count_lines(path, "case,profile,proto,direction,"), 1);
	assert_int_equal(count_lines(path, "\"after 5 of 9 body bytes: <b>"
					   "\"\"refused\"\", 'x' & y</b>\""), 1);
	assert_int_equal(count_lines(path, "10M_40ms/h2/download,10M_40ms,h2,"
					   "download,10,40,0,ok,4,1.000000,"), 1);
	/* A file where the directory should be. */
	snprintf(path, sizeof(path), "%s/results.csv/x", out);
	assert_int_equal(nb_results_check_dir(path), -ENOTDIR);
	assert_non_null(strstr(nb_lasterr(), "results.csv"));
	nb_results_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_finish),
		cmocka_unit_test(t_json_round_trip),
		cmocka_unit_test(t_json_errors),
		cmocka_unit_test(t_write_dir),
	};

	return cmocka_run_group_tests(tests, results_dir_setup,
					  results_dir_teardown);
}
