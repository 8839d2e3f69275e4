/* `netbench compare` end to end: results.json files written by
 * nb_results_write_json into a temporary directory, compared by the real
 * binary ($NETBENCH_EXE): exit 0 when nothing regressed, 1 on a
 * regression (the table names the case), 2 with one line on stderr for
 * bad usage or input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_testutil.h"
#include "results.h"
#include "results_testutil.h"

static char dir[64];

/* One line on stderr, exit 2, naming what was wrong; nothing on stdout. */
static void bad(const struct cmd_out *o, const char *needle)
{
	if (o->code != 2 || cmd_lines(o->err) != 1 || !strstr(o->err, needle) ||
	    o->text[0])
		fail_msg("expected exit 2 and one line with \"%s\"; got exit %d:\n"
			 "%s%s", needle, o->code, o->err, o->text);
}

static void expect(const struct cmd_out *o, int code, const char *needle)
{
	if (o->code != code || o->err[0] || !strstr(o->text, needle))
		fail_msg("expected exit %d and \"%s\" on stdout; got exit %d:\n"
			 "%s%s", code, needle, o->code, o->text, o->err);
}

static const double good[] = {9.30, 9.32, 9.29, 9.31, 9.30};

static void add(struct nb_results *r, const char *profile, const char *proto,
		enum nb_dir d, double scale, const char *status)
{
	struct nb_result_case *c = nb_results_add_case(r);

	assert_non_null(c);
	snprintf(c->profile, sizeof(c->profile), "%s", profile);
	snprintf(c->proto, sizeof(c->proto), "%s", proto);
	c->dir = d;
	snprintf(c->name, sizeof(c->name), "%s/%s/%s", profile, proto,
		 nb_dir_name(d));
	snprintf(c->status, sizeof(c->status), "%s", status);
	if (strcmp(status, "ok"))
		snprintf(c->error, sizeof(c->error), "the server went away");
	c->rate_bps = 10000000;
	c->rtt_ms = 40;
	c->size = 12500000;
	c->ceiling_bps = 9.5e6;
	for (size_t i = 0; i < 5; i++) {
		struct nb_result_rep *p = nb_result_case_add_rep(c);

		assert_non_null(p);
		p->goodput_bps = good[i] * 1e6 * scale;
		p->bytes = c->size;
		p->seconds = (double)c->size * 8 / p->goodput_bps;
	}
}

/* A run of the 10M_40ms cases with h2/download's goodput times `h2`
 * and its status; schema as given; into dir/name. */
static void write_run(const char *name, double h2, const char *status,
		      const char *backend, int schema)
{
	struct nb_results r;
	char path[256];
	FILE *f;

	nb_results_init(&r);
	r.schema = schema;
	snprintf(r.backend, sizeof(r.backend), "%s", backend);
	r.replicates = 5;
	r.duration_s = 10;
	r.seed = 19;
	add(&r, "10M_40ms", "tcp", NB_DOWNLOAD, 1, "ok");
	add(&r, "10M_40ms", "h2", NB_DOWNLOAD, h2, status);
	add(&r, "10M_40ms", "h2", NB_UPLOAD, 1, "ok");
	nb_results_finish(&r);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(nb_results_write_json(&r, f), 0);
	assert_int_equal(fclose(f), 0);
	nb_results_free(&r);
}

static void write_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* dir/name, in a static buffer of 4 (several on one command line). */
static char *at(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static int setup(void **state)
{
	(void)state;
	if (!getenv("NETBENCH_EXE")) {
		fprintf(stderr, "cmd_compare: NETBENCH_EXE is not set "
			"(meson test sets it)\n");
		return -1;
	}
	results_tmpdir(dir, sizeof(dir));
	if (mkdir(at("basedir"), 0755))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	results_rmdir(dir);
	return 0;
}

static void t_same(void **state)
{
	static struct cmd_out o;

	(void)state;
	write_run("base.json", 1, "ok", "userspace", NB_RESULTS_SCHEMA);
	write_run("same.json", 1, "ok", "userspace", NB_RESULTS_SCHEMA);
	cmd_run(&o, NULL, "compare", at("base.json"), at("same.json"), NULL);
	expect(&o, 0, "3 cases compared, 0 regressions, 0 improvements "
		      "(threshold ±2%, alpha 0.05)\n");
	assert_null(strstr(o.text, "warning"));
	assert_non_null(strstr(o.text, "10M_40ms/h2/download"));
	assert_non_null(strstr(o.text, "UNCHANGED"));
	/* A different link backend: a warning, not a failure. */
	write_run("netem.json", 1, "ok", "netem", NB_RESULTS_SCHEMA);
	cmd_run(&o, NULL, "compare", at("base.json"), at("netem.json"), NULL);
	expect(&o, 0, "warning: link backend differs: base userspace, new netem\n");
	printf("%s", o.text);
}

static void t_regression(void **state)
{
	static struct cmd_out o;
	char *line;

	(void)state;
	write_run("base.json", 1, "ok", "userspace", NB_RESULTS_SCHEMA);
	write_run("basedir/results.json", 1, "ok", "userspace",
		  NB_RESULTS_SCHEMA);
	write_run("slow.json", 0.9, "ok", "userspace", NB_RESULTS_SCHEMA);
	/* BASE as a directory holding results.json. */
	cmd_run(&o, NULL, "compare", at("basedir"), at("slow.json"), NULL);
	expect(&o, 1, "3 cases compared, 1 regression, 0 improvements");
	printf("%s", o.text);
	line = strstr(o.text, "10M_40ms/h2/download");
	assert_non_null(line);
	assert_true(strstr(line, "REGRESSION") < strchr(line, '\n'));
	assert_non_null(strstr(line, "-10.00%"));
	/* The only one. */
	assert_true(strstr(o.text, "REGRESSION") == strstr(line, "REGRESSION"));
	assert_null(strstr(strstr(line, "REGRESSION") + 1, "REGRESSION"));
	/* Within a 15 % threshold: not a regression. */
	cmd_run(&o, NULL, "compare", "--threshold", "15", at("base.json"), at("slow.json"), NULL);
	expect(&o, 0, "0 regressions, 0 improvements (threshold ±15%, alpha 0.05)");
	/* The other way round: an improvement. */
	cmd_run(&o, NULL, "compare", at("slow.json"), at("base.json"), "--alpha", "0.01", NULL);
	expect(&o, 0, "1 improvement (threshold ±2%, alpha 0.01)");
	assert_non_null(strstr(o.text, "IMPROVEMENT"));
	/* Failed in NEW: a regression, with the error. */
	write_run("failed.json", 1, "FAILED", "userspace", NB_RESULTS_SCHEMA);
	cmd_run(&o, NULL, "compare", at("base.json"), at("failed.json"), NULL);
	expect(&o, 1, "FAILED (new FAILED: the server went away)");
}

static void t_bad_input(void **state)
{
	static struct cmd_out o;

	(void)state;
	write_run("base.json", 1, "ok", "userspace", NB_RESULTS_SCHEMA);
	write_run("newer.json", 1, "ok", "userspace", NB_RESULTS_SCHEMA + 1);
	write_text("garbage.json", "{\"schema\": 1, \"cases\": [1, 2,\n");
	write_text("other.json", "{\"name\": \"not ours\"}\n");
	cmd_run(&o, NULL, "compare", at("base.json"), at("nosuch.json"), NULL);
	bad(&o, "nosuch.json");
	cmd_run(&o, NULL, "compare", at("nosuch"), at("base.json"), NULL);
	bad(&o, "nosuch");
	cmd_run(&o, NULL, "compare", at("base.json"), at("garbage.json"), NULL);
	bad(&o, "garbage.json: not JSON");
	cmd_run(&o, NULL, "compare", at("other.json"), at("base.json"), NULL);
	bad(&o, "other.json: not a netbench results.json");
	cmd_run(&o, NULL, "compare", at("base.json"), at("newer.json"), NULL);
	bad(&o, "newer.json: schema 2");
	cmd_run(&o, NULL, "compare", at("base.json"), dir, NULL);      /* no results.json there */
	bad(&o, "results.json");
	cmd_run(&o, NULL, "compare", "--threshold", "abc", at("base.json"), at("base.json"), NULL);
	bad(&o, "--threshold: 'abc'");
	cmd_run(&o, NULL, "compare", "--threshold", "101", at("base.json"), at("base.json"), NULL);
	bad(&o, "--threshold: '101'");
	cmd_run(&o, NULL, "compare", "--alpha", "1", at("base.json"), at("base.json"), NULL);
	bad(&o, "--alpha: '1'");
	cmd_run(&o, NULL, "compare", "--alpha", "0", at("base.json"), at("base.json"), NULL);
	bad(&o, "--alpha: '0'");
	cmd_run(&o, NULL, "compare", at("base.json"), at("base.json"), "--alpha", NULL);
	bad(&o, "option --alpha needs a value");
	cmd_run(&o, NULL, "compare", "--bogus", at("base.json"), at("base.json"), NULL);
	bad(&o, "unknown option '--bogus'");
	cmd_run(&o, NULL, "compare", at("base.json"), NULL);
	bad(&o, "needs BASE and NEW");
	cmd_run(&o, NULL, "compare", at("base.json"), at("base.json"), at("base.json"), NULL);
	bad(&o, "too many arguments");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_same),
		cmocka_unit_test(t_regression),
		cmocka_unit_test(t_bad_input),
	};

	return cmocka_run_group_tests_name("cmd_compare", tests, setup, teardown);
}
