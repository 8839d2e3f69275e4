/* `netbench run`'s results end to end, on real links: -o writes the four
 * files, results.json reads back with the cases and replicates the run
 * printed, --compare against a run whose link was 50% faster (the hidden
 * knob NETBENCH_TEST_RATE_SCALE lowers this run's) exits 1 naming the
 * case, and bad -o / --compare / knob input is one line and exit 2 before
 * anything runs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_testutil.h"
#include "results.h"
#include "results_testutil.h"
#include "testutil.h"


static void t_bad_input(void **state)
{
	static struct cmd_out o;
	char path[128];

	(void)state;
	cmd_run(&o, NULL, "run", "-o", "", NULL);
	cmd_bad(&o, "-o: empty directory name");
	cmd_run(&o, NULL, "run", "-p", "10M_40ms", "-o", "/proc/self/nb", NULL);
	cmd_bad(&o, "-o: /proc/self/nb");
	snprintf(path, sizeof(path), "%s/none.json", results_dir);
	cmd_run(&o, NULL, "run", "--compare", path, NULL);
	cmd_bad(&o, "--compare: ");
	cmd_run(&o, NULL, "run", "--threshold", "5", NULL);
	cmd_bad(&o, "--threshold needs --compare BASE");
	cmd_run(&o, NULL, "run", "--forever", "-o", results_dir, NULL);
	cmd_bad(&o, "--forever");
	cmd_run(&o, "NETBENCH_TEST_RATE_SCALE=2", "run", NULL);
	cmd_bad(&o, "NETBENCH_TEST_RATE_SCALE: '2'");
	/* Other programs at the ends (ext.h): refused before anything runs. */
	cmd_run(&o, NULL, "run", "--server", "apache", NULL);
	cmd_bad(&o, "--server: unknown server 'apache' (valid: netbench, caddy");
	cmd_run(&o, NULL, "run", "--client", "caddy", NULL);
	cmd_bad(&o, "--client: unknown client 'caddy'");
	cmd_run(&o, NULL, "run", "-P", "h3", "--server", "nghttpd", NULL);
	cmd_bad(&o, "--server nghttpd does not do h3 (it does: h2)");
	cmd_run(&o, NULL, "run", "--server", "iperf3", NULL);
	cmd_bad(&o, "iperf3 speaks only to iperf3");
	cmd_run(&o, NULL, "run", "--server", "nghttpd", "--client", "gtlsclient",
		NULL);
	cmd_bad(&o, "have no protocol in common");
	cmd_run(&o, NULL, "run", "--server", "gtlsserver", "--client",
		"chromium", NULL);
	cmd_bad(&o, "serves its page");
	cmd_run(&o, NULL, "run", "--client", "cmd:curl -o out {url}", NULL);
	cmd_bad(&o, "must use {file}");
	cmd_run(&o, NULL, "run", "--server", "cmd:srv {port} {nope}", NULL);
	cmd_bad(&o, "unknown placeholder {nope}");
	cmd_run(&o, NULL, "run", "--server", "cmd:srv {port} 'x", NULL);
	cmd_bad(&o, "unterminated '");
	/* A peer that is not installed: the machine cannot run it. */
	cmd_run(&o, "PATH=/nonexistent", "run", "-p", "10M_40ms", "--client",
		"chromium", NULL);
	cmd_fails(&o, 4, "run: nothing ran: chromium: not found in PATH");
}

/* A host that stalls the emulator through every attempt leaves a case
 * without replicates (it fails, saying so): that says nothing of -o or
 * --compare, so the test skips, as the link checks do. */
static void skip_if_stalled(const struct cmd_out *o)
{
	if (strstr(o->text, "every replicate was discarded")) {
		printf("skipped: the emulator was late through every attempt "
		       "(a stalling host)\n%s", o->text);
		skip();
	}
}

static void t_output_and_compare(void **state)
{
	static struct cmd_out o;
	struct nb_results r;
	char out[128], slow[128], path[192];
	struct stat sb;
	const struct nb_result_case *c;

	(void)state;
	snprintf(out, sizeof(out), "%s/base", results_dir);
	cmd_run(&o, NULL, "run", "-p", "10M_40ms", "-P", "h2", "-d", "download",
		"-n", "3", "--size", "400k", "--seed", "3", "-o", out, NULL);
	skip_if_stalled(&o);
	if (o.code != 0)
		fail_msg("run -o: exit %d\n%s\n%s", o.code, o.text, o.err);
	assert_non_null(strstr(o.text, "tcp baseline added"));
	assert_non_null(strstr(o.text, "[2/2] 10M_40ms/h2/download"));
	for (const char *const *f = (const char *const[]){"results.json",
		"perfherder.json", "results.csv", "report.html", NULL}; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", out, *f);
		assert_int_equal(stat(path, &sb), 0);
	}
	assert_int_equal(nb_results_read_json(out, &r), 0);
	assert_int_equal(r.ncases, 2);
	assert_int_equal(r.seed, 3);
	assert_float_equal(r.rate_scale, 1.0, 0);
	c = nb_results_find(&r, "10M_40ms/h2/download");
	assert_non_null(c);
	assert_string_equal(c->status, "ok");
	assert_true(c->st.n >= 1 && c->st.n <= 3);
	assert_true(c->rep[0].nseries > 0);
	assert_true(c->baseline_bps > 0);
	assert_true(c->efficiency > 0.3 && c->efficiency <= 1.0);
	nb_results_free(&r);

	/* The same case on a link at half the rate: a regression. */
	snprintf(slow, sizeof(slow), "%s/slow", results_dir);
	cmd_run(&o, "NETBENCH_TEST_RATE_SCALE=0.5", "run", "-p", "10M_40ms",
		"-P", "h2", "-d", "download", "-n", "3", "--size", "400k",
		"--seed", "3", "--no-baseline", "-o", slow, "--compare", out, NULL);
	skip_if_stalled(&o);
	if (o.code != 1 || !strstr(o.text, "NETBENCH_TEST_RATE_SCALE") ||
	    !strstr(o.text, "REGRESSION"))
		fail_msg("expected exit 1 and a REGRESSION; got %d\n%s\n%s",
			 o.code, o.text, o.err);
	assert_int_equal(nb_results_read_json(slow, &r), 0);
	assert_float_equal(r.rate_scale, 0.5, 0);
	assert_int_equal(r.ncases, 1);
	nb_results_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_bad_input),
		cmocka_unit_test(t_output_and_compare),
	};
	int rv;

	rv = nb_test_require_links("test_cmd_run");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("cmd_run", tests, results_dir_setup,
					  results_dir_teardown);
}
