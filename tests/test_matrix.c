/* netbench: the case matrix. One executable, one cmocka case per run: meson
 * declares `<profile>/<proto>/<dir>` tests that pass the case name as the
 * first argument (and, for the peers suite, `--server X` / `--client Y`:
 * another program at that end, fx_ext.h). Setup and teardown are the real fixtures (fixtures/), so
 * every case is guarded: exit 3 when it changed the environment (meson runs
 * with --fail-env-changed semantics), 77 when this machine cannot run it. */
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
#include "fx_ext.h"
#include "interrupt.h"
#include "profile.h"
#include "proto.h"
#include "shaper.h"
#include "testutil.h"
#include "tmproot.h"

#define VALGRIND_CASE_BYTES (4u << 20)

static struct nb_case the_case;

static int setup(void **state)
{
	struct nb_case *c = *state;
	int rv = fx_case_setup(state);

	if (rv)
		fprintf(stderr, "%s: %s\n", c->name, c->error);
	return rv;
}

static void t_case(void **state)
{
	struct nb_case *c = *state;
	const struct nb_proto *p = c->spec.proto;
	double ceiling = p->ceiling_bps(c->spec.profile, c->spec.dir);
	char desc[256];

	nb_link_describe(&c->link, desc, sizeof(desc));
	printf("%s: link %s\n", c->name, desc);
	for (unsigned i = 0; i < c->spec.replicates; i++) {
		int rv = fx_case_transfer(c);
		struct nb_replicate *r = &c->rep[i];

		if (rv)
			fail_msg("%s: %s", c->name, c->error);
		/* iperf3 reports what its receiver counted (ext_run.h). */
		if (c->spec.client_ext.ext &&
		    (c->spec.client_ext.ext->flags & NB_EXT_COUNT))
			assert_true(r->bytes > 0 && r->bytes <= c->spec.size);
		else
			assert_int_equal(r->bytes, c->spec.size);
		printf("%s: %llu bytes in %.3f s = %.3f Mbit/s", c->name,
		       (unsigned long long)r->bytes, r->seconds,
		       r->goodput_bps / 1e6);
		if (ceiling > 0)
			printf(" (%.1f%% of the %.3f Mbit/s ceiling; shaped path "
			       "carried %llu bytes)",
			       100.0 * r->goodput_bps / ceiling, ceiling / 1e6,
			       (unsigned long long)r->shaped_bytes);
		printf(", client CPU %.3f s, server CPU %.3f s\n",
		       r->client_cpu_s, r->server_cpu_s);
	}
	if (fx_ext_active(c))
		printf("%s: timed by %s, checked: %s%s%s\n", c->name,
		       nb_ext_timing_name(c->timing),
		       nb_ext_verify_name(c->verify),
		       c->client_protocol[0] ? ", the page says it used " : "",
		       c->client_protocol);
	/* The browser says what it spoke: it must be what was asked for. */
	if (c->client_protocol[0] &&
	    strcmp(c->client_protocol, !strcmp(p->name, "h1") ? "http/1.1"
								: p->name))
		fail_msg("%s: the browser used %s", c->name, c->client_protocol);
}

static int parse_case(const char *name, struct nb_case_spec *spec)
{
	char buf[96], *prof, *proto, *dir, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", name);
	prof = strtok_r(buf, "/", &save);
	proto = strtok_r(NULL, "/", &save);
	dir = strtok_r(NULL, "/", &save);
	if (!prof || !proto || !dir || strtok_r(NULL, "/", &save))
		return nb_fail(-EINVAL, "case '%s' is not PROFILE/PROTO/DIR", name);
	if (nb_profile_parse(NULL, prof, &spec->profile))
		return -EINVAL;
	spec->proto = nb_proto_find(proto);
	if (!spec->proto)
		return -EINVAL;
	return nb_dir_parse(dir, &spec->dir);
}

static int parse_ends(int argc, char **argv, struct nb_case_spec *spec)
{
	for (int i = 2; i + 1 < argc; i += 2) {
		bool server = !strcmp(argv[i], "--server");

		if (!server && strcmp(argv[i], "--client"))
			return nb_fail(-EINVAL, "unknown option %s", argv[i]);
		if (nb_ext_parse(server ? NB_EXT_SERVER : NB_EXT_CLIENT,
				 argv[i + 1], server ? &spec->server_ext
						     : &spec->client_ext))
			return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* A fixed seed: a case drops the same packets on every CI run. */
	struct nb_case_spec spec = {.replicates = 1, .seed = 1};
	const char *secs = getenv("NETBENCH_CASE_SECONDS");
	double seconds = secs ? atof(secs) : 3.0;
	struct CMUnitTest tests[1];
	int failed, rv;

	if (argc != 2 && argc != 4 && argc != 6) {
		fprintf(stderr, "usage: test_matrix PROFILE/PROTO/DIR "
			"[--server X] [--client Y]\n");
		return 99;
	}
	if (parse_case(argv[1], &spec) || parse_ends(argc, argv, &spec)) {
		fprintf(stderr, "test_matrix: %s\n", nb_lasterr());
		return 99;
	}
	rv = nb_ext_check(&spec.server_ext, &spec.client_ext, spec.proto);
	if (rv == -ENOENT) {
		fprintf(stderr, "%s: skipped: %s\n", argv[1], nb_lasterr());
		return 77;
	}
	if (rv) {
		fprintf(stderr, "test_matrix: %s\n", nb_lasterr());
		return 99;
	}
	if (nb_interrupt_install() || prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    !nb_tmproot()) {
		fprintf(stderr, "test_matrix: cannot set up the process\n");
		return 99;
	}
	rv = nb_test_require_links(argv[1]);
	if (rv)
		return rv;
	spec.size = nb_profile_transfer_bytes(spec.profile, seconds > 0 ? seconds : 3.0);
	/* Under valgrind (ci/test --valgrind) a case checks memory and fds,
	 * not speed: 4 MiB exercise every path of a transfer. */
	if (getenv("NETBENCH_UNDER_VALGRIND") && spec.size > VALGRIND_CASE_BYTES)
		spec.size = VALGRIND_CASE_BYTES;
	fx_case_init(&the_case, &spec);
	tests[0] = (struct CMUnitTest){
		.name = the_case.name,
		.test_func = t_case,
		.setup_func = setup,
		.teardown_func = fx_case_teardown,
		.initial_state = &the_case,
	};
	failed = _cmocka_run_group_tests("matrix", tests, 1, NULL, NULL);
	if (the_case.emulated)
		printf("%s: emulator CPU %.3f s, lateness p99 %.3f ms max %.3f "
		       "ms, dropped up %llu+%llu+%llu down %llu+%llu+%llu "
		       "(loss+limit+full TAP ring)\n",
		       the_case.name, the_case.emu_cpu_s,
		       the_case.emu_late_p99_ms, the_case.emu_late_max_ms,
		       (unsigned long long)the_case.emu_lost[0],
		       (unsigned long long)the_case.emu_overflow[0],
		       (unsigned long long)the_case.emu_ring_drops[0],
		       (unsigned long long)the_case.emu_lost[1],
		       (unsigned long long)the_case.emu_overflow[1],
		       (unsigned long long)the_case.emu_ring_drops[1]);
	fx_case_fini(&the_case);
	if (failed)
		return 1;
	if (the_case.env_changes) {
		printf("%s: ENV_CHANGED (%d change%s, see the warnings above)\n",
		       the_case.name, the_case.env_changes,
		       the_case.env_changes > 1 ? "s" : "");
		return 3;
	}
	return 0;
}
