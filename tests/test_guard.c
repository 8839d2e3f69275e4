/* netbench: the guard suite. Each case builds a real case (link, server),
 * leaks one kind of resource on purpose through the real fixtures
 * (fixtures/fx_leak.c), and asserts that the environment guard names it with
 * its origin, marks the case ENV_CHANGED, and restores the environment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "envcheck.h"
#include "error.h"
#include "fx_case.h"
#include "fx_leak.h"
#include "netns.h"
#include "profile.h"
#include "proto.h"
#include "testutil.h"
#include "tmproot.h"

struct guard_case {
	struct nb_case c;
	struct nb_env_snapshot base;
	char *report;
	size_t report_len;
	FILE *mem;
};

static int setup(void **state)
{
	struct guard_case *g = calloc(1, sizeof(*g));
	struct nb_case_spec spec = {
		.profile = nb_profile_find("10M_40ms"),
		.proto = &nb_proto_tcp,
		.dir = NB_DOWNLOAD,
		.size = 100000,
		.replicates = 1,
	};
	void *cs;

	if (!g)
		return -1;
	*state = g;
	if (nb_env_snapshot(&g->base, nb_tmproot()))
		return -1;
	fx_case_init(&g->c, &spec);
	g->mem = open_memstream(&g->report, &g->report_len);
	if (!g->mem)
		return -1;
	g->c.report = g->mem;
	cs = &g->c;
	if (fx_case_setup(&cs)) {
		fprintf(stderr, "setup: %s\n", g->c.error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct guard_case *g = *state;

	if (!g)
		return 0;
	if (g->mem)
		fclose(g->mem);
	free(g->report);
	fx_case_fini(&g->c);
	nb_env_snapshot_free(&g->base);
	free(g);
	return 0;
}

/* Leaks `kind`, tears the case down, and checks the report and the
 * restoration. `phrase` is what the report must say of the leak. */
static void leak_and_check(struct guard_case *g, const char *kind,
			   const char *phrase)
{
	char origin[256], line[512];
	const struct nb_undo_entry *e;
	void *cs = &g->c;
	FILE *devnull;
	int idx, after;

	idx = fx_leak_inject(&g->c, kind);
	if (idx < 0)
		fail_msg("cannot leak a %s: %s", kind, nb_lasterr());
	e = &g->c.undo.e[idx];
	snprintf(origin, sizeof(origin), "%s:%d", e->file, e->line);
	/* The origin is a source path, not a build-relative one. */
	assert_true(!strncmp(origin, "src/", 4) || !strncmp(origin, "fixtures/", 9));

	assert_int_equal(fx_case_teardown(&cs), 0);
	fflush(g->mem);
	fprintf(stderr, "--- report for a leaked %s:\n%s", kind, g->report);
	assert_true(g->c.env_changes > 0);

	/* "Warning -- CASE leaked <phrase> ..., <verb> at <origin>" */
	snprintf(line, sizeof(line), "Warning -- %s leaked %s", g->c.name, phrase);
	if (!strstr(g->report, line))
		fail_msg("the report does not say \"%s\"", line);
	{
		const char *l = strstr(g->report, line);
		const char *eol = strchr(l, '\n');
		const char *o = strstr(l, origin);

		if (!o || (eol && o > eol))
			fail_msg("the leak line does not name its origin %s", origin);
	}

	/* Restored: the environment equals the one before the case. */
	devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	after = nb_env_check("restored", &g->base, nb_tmproot(), NULL, devnull);
	fclose(devnull);
	assert_int_equal(after, 0);
}

static void t_thread(void **state)
{
	leak_and_check(*state, "thread", "thread \"nb-leaky\" (tid ");
}

static void t_process(void **state)
{
	leak_and_check(*state, "process", "child process ");
}

static void t_zombie(void **state)
{
	leak_and_check(*state, "zombie", "zombie process ");
}

static void t_fd(void **state)
{
	leak_and_check(*state, "fd", "fd ");
}

static void t_qdisc(void **state)
{
	leak_and_check(*state, "qdisc", "qdisc htb ");
}

static void t_netns(void **state)
{
	leak_and_check(*state, "netns", "network namespace net:[");
}

static void t_tempfile(void **state)
{
	leak_and_check(*state, "tempfile", "temp file ");
}

static void t_listen(void **state)
{
	leak_and_check(*state, "listen", "listening socket tcp 127.0.0.1:");
}

/* Without a leak the same case is clean: the guard is not crying wolf. */
static void t_clean(void **state)
{
	struct guard_case *g = *state;
	void *cs = &g->c;

	assert_int_equal(fx_case_transfer(&g->c), 0);
	assert_int_equal(fx_case_teardown(&cs), 0);
	fflush(g->mem);
	if (g->c.env_changes)
		fail_msg("a clean case was reported as changed:\n%s", g->report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(t_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(t_process, setup, teardown),
		cmocka_unit_test_setup_teardown(t_zombie, setup, teardown),
		cmocka_unit_test_setup_teardown(t_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(t_qdisc, setup, teardown),
		cmocka_unit_test_setup_teardown(t_netns, setup, teardown),
		cmocka_unit_test_setup_teardown(t_tempfile, setup, teardown),
		cmocka_unit_test_setup_teardown(t_listen, setup, teardown),
	};
	int rv;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || !nb_tmproot()) {
		fprintf(stderr, "test_guard: cannot set up the process\n");
		return 99;
	}
	rv = nb_test_require_links("test_guard");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}
