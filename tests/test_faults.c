/* netbench: faults in the middle of a transfer, on real links with the
 * real fixtures: the server killed (SIGKILL, as a crash), the client
 * dropping its connection mid-upload. Each case must fail with a clear
 * message well within its time limit, the server must survive a client
 * that vanishes, and the environment guard must find nothing left. The
 * h3 server also takes a burst of garbage datagrams (random bytes, short
 * headers of unknown connections, Initials that do not decrypt) in the
 * middle of a transfer, which must go on unharmed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "error.h"
#include "fx_case.h"
#include "goodput.h"
#include "interrupt.h"
#include "profile.h"
#include "proto.h"
#include "testutil.h"
#include "tmproot.h"

/* A 3 s transfer on 10M_40ms; a fault at half of it must end the
 * transfer in a few seconds, far from the 30 s stall limit. */
#define SECONDS 3.0
#define FAIL_WITHIN_S 10.0

struct fault_case {
	const char *proto;
	enum nb_dir dir;
	enum nb_fault fault;
	struct nb_case c;
};

static struct fault_case cases[] = {
	{.proto = "h1", .dir = NB_DOWNLOAD, .fault = NB_FAULT_KILL_SERVER},
	{.proto = "h2", .dir = NB_DOWNLOAD, .fault = NB_FAULT_KILL_SERVER},
	{.proto = "h1", .dir = NB_UPLOAD, .fault = NB_FAULT_KILL_SERVER},
	{.proto = "h2", .dir = NB_UPLOAD, .fault = NB_FAULT_KILL_SERVER},
	{.proto = "h1", .dir = NB_UPLOAD, .fault = NB_FAULT_CLIENT_ABORT},
	{.proto = "h2", .dir = NB_UPLOAD, .fault = NB_FAULT_CLIENT_ABORT},
	{.proto = "h3", .dir = NB_DOWNLOAD, .fault = NB_FAULT_KILL_SERVER},
	{.proto = "h3", .dir = NB_UPLOAD, .fault = NB_FAULT_KILL_SERVER},
	{.proto = "h3", .dir = NB_UPLOAD, .fault = NB_FAULT_CLIENT_ABORT},
	{.proto = "h3", .dir = NB_DOWNLOAD, .fault = NB_FAULT_GARBAGE},
	{.proto = "h3", .dir = NB_UPLOAD, .fault = NB_FAULT_GARBAGE},
};

static int setup(void **state)
{
	struct fault_case *fc = *state;
	struct nb_case_spec spec = {
		.profile = nb_profile_find("10M_40ms"),
		.proto = nb_proto_find(fc->proto),
		.dir = fc->dir,
		.replicates = 2,
		.seed = 1,
		.fault = fc->fault,
	};
	void *cs = &fc->c;
	int rv;

	spec.size = nb_profile_transfer_bytes(spec.profile, SECONDS);
	fx_case_init(&fc->c, &spec);
	rv = fx_case_setup(&cs);
	if (rv)
		fprintf(stderr, "%s: %s\n", fc->c.name, fc->c.error);
	return rv;
}

static int teardown(void **state)
{
	struct fault_case *fc = *state;
	void *cs = &fc->c;
	int rv = fx_case_teardown(&cs);

	if (fc->c.env_changes)
		fprintf(stderr, "%s: the guard found %d change%s\n", fc->c.name,
			fc->c.env_changes, fc->c.env_changes > 1 ? "s" : "");
	fx_case_fini(&fc->c);
	return rv || fc->c.env_changes ? -1 : 0;
}

/* Garbage datagrams at the server's port mid-transfer have no effect: the
 * transfer completes and verifies, and the server lives on. */
static void t_garbage(void **state)
{
	struct fault_case *fc = *state;
	struct nb_case *c = &fc->c;
	double t0 = nb_now();
	int rv = fx_case_transfer(c);

	if (rv)
		fail_msg("%s: %s", c->name, c->error);
	assert_true(c->fault_done);
	printf("%s: %d garbage datagrams sent mid-transfer; the transfer "
	       "completed in %.2f s at %.3f Mbit/s\n", c->name, c->garbage_sent,
	       nb_now() - t0, c->rep[c->nrep - 1].goodput_bps / 1e6);
	assert_true(c->garbage_sent > NB_FAULT_GARBAGE_DATAGRAMS / 2);
	assert_int_equal(c->rep[c->nrep - 1].bytes, c->spec.size);
	assert_int_equal(nb_child_poll(&c->server), 0);
}

/* The faulty transfer fails fast with a message that says what happened. */
static void expect_clean_failure(struct nb_case *c)
{
	double t0 = nb_now(), took;
	int rv = fx_case_transfer(c);

	took = nb_now() - t0;
	printf("%s: failed as it should in %.2f s: %s\n", c->name, took,
	       c->error);
	if (!rv)
		fail_msg("%s: the transfer succeeded despite the fault", c->name);
	assert_true(rv < 0);
	assert_true(strlen(c->error) > 10);
	if (took > FAIL_WITHIN_S)
		fail_msg("%s: took %.1f s to fail, more than %.0f s", c->name,
			 took, FAIL_WITHIN_S);
}

static void t_server_killed(void **state)
{
	struct fault_case *fc = *state;

	expect_clean_failure(&fc->c);
	assert_true(fc->c.fault_done);
	assert_true(nb_child_poll(&fc->c.server) == 1 || fc->c.server.reaped);
}

/* The server loses one connection and serves the next request. */
static void t_client_aborts(void **state)
{
	struct fault_case *fc = *state;
	struct nb_case *c = &fc->c;
	int rv;

	expect_clean_failure(c);
	assert_non_null(strstr(c->error, "abort"));
	c->spec.fault = NB_FAULT_NONE;
	rv = fx_case_transfer(c);
	if (rv)
		fail_msg("%s: the server did not survive a vanished client: %s",
			 c->name, c->error);
	assert_int_equal(c->rep[c->nrep - 1].bytes, c->spec.size);
	assert_int_equal(nb_child_poll(&c->server), 0);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
	char names[sizeof(cases) / sizeof(cases[0])][96];
	int rv;

	if (nb_interrupt_install() || prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    !nb_tmproot()) {
		fprintf(stderr, "test_faults: cannot set up the process\n");
		return 99;
	}
	rv = nb_test_require_links("faults");
	if (rv)
		return rv;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fault_case *fc = &cases[i];

		static const struct {
			const char *what;
			CMUnitTestFunction test;
		} kinds[] = {
			[NB_FAULT_KILL_SERVER] = {"server killed", t_server_killed},
			[NB_FAULT_CLIENT_ABORT] = {"client aborts", t_client_aborts},
			[NB_FAULT_GARBAGE] = {"garbage datagrams", t_garbage},
		};

		snprintf(names[i], sizeof(names[i]), "%s/%s %s", fc->proto,
			 nb_dir_name(fc->dir), kinds[fc->fault].what);
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = kinds[fc->fault].test,
			.setup_func = setup,
			.teardown_func = teardown,
			.initial_state = fc,
		};
	}
	return _cmocka_run_group_tests("faults", tests,
				       sizeof(tests) / sizeof(tests[0]), NULL,
				       NULL);
}
