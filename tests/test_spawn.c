/* Unit tests of src/spawn.c: real children (netbench serve, /bin/sleep). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "spawn.h"
#include "testutil.h"
#include "undo.h"

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

static void t_serve_ready_and_stop(void **state)
{
	char *argv[] = {(char *)nb_self_exe(), "serve", "--proto", "tcp",
			"--listen", "127.0.0.1:5999", "--ready-fd", "3", NULL};
	struct nb_undo u;
	struct nb_child c;
	int ns;

	(void)state;
	nb_undo_init(&u);
	ns = nb_netns_new(&u);
	assert_true(ns >= 0);
	assert_int_equal(nb_spawn(&u, &c, ns, argv, 5000), 0);
	assert_true(alive(c.pid));
	assert_int_equal(getpgid(c.pid), c.pid);        /* own process group */
	{
		char path[64];
		struct stat st;

		/* It runs in the namespace it was given. */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", c.pid);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_ino, nb_netns_inode(ns));
	}
	assert_int_equal(u.e[1].kind, NB_RES_PROCESS);
	assert_int_equal(u.e[1].id, c.pid);
	nb_undo_unwind(&u);
	assert_true(c.reaped);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 0);      /* clean exit on SIGTERM */
	assert_false(alive(c.pid));
}

static void t_exits_early(void **state)
{
	char *argv[] = {"/bin/false", NULL};
	struct nb_undo u;
	struct nb_child c;

	(void)state;
	nb_undo_init(&u);
	assert_int_equal(nb_spawn(&u, &c, -1, argv, 5000), -ECHILD);
	assert_true(c.reaped);
	nb_undo_unwind(&u);
}

static void t_never_ready(void **state)
{
	char *argv[] = {"/bin/sleep", "100", NULL};
	struct nb_undo u;
	struct nb_child c;

	(void)state;
	nb_undo_init(&u);
	assert_int_equal(nb_spawn(&u, &c, -1, argv, 300), -ETIMEDOUT);
	assert_true(c.reaped);                /* killed and reaped at once */
	assert_false(alive(c.pid));
	nb_undo_unwind(&u);
}

static void t_sigterm_ignored(void **state)
{
	/* A child that ignores SIGTERM is killed after NB_SPAWN_TERM_MS. */
	char *argv[] = {"/bin/sh", "-c", "trap '' TERM; echo READY >&3; "
			"exec 3>&-; while :; do sleep 0.05; done", NULL};
	struct nb_undo u;
	struct nb_child c;

	(void)state;
	nb_undo_init(&u);
	assert_int_equal(nb_spawn(&u, &c, -1, argv, 5000), 0);
	nb_undo_unwind(&u);
	assert_true(c.reaped);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGKILL);
}

/* New children that are not set members, as seen by nb_children_now. */
static size_t new_children(const struct nb_child_set *before)
{
	struct nb_child_set now;
	size_t n = 0;

	nb_children_now(&now);
	for (size_t i = 0; i < now.n; i++) {
		bool old = false;

		for (size_t k = 0; k < before->n; k++)
			old = old || now.pid[i] == before->pid[k];
		n += !old;
	}
	return n;
}

static pid_t ours = -1;     /* t_children_stop_new's own child */

/* Whatever t_children_stop_new failed with, its child does not outlive it
 * (it would hold meson's output pipe open). */
static int stop_ours(void **state)
{
	(void)state;
	if (ours > 0) {
		kill(ours, SIGKILL);
		waitpid(ours, NULL, 0);
		ours = -1;
	}
	return 0;
}

static void t_children_stop_new(void **state)
{
	/* The child daemonizes a grandchild (own session, like chromium's
	 * crash handler): stopping the child's group does not reach it, it is
	 * handed to us (a subreaper), and nb_children_stop_new stops it --
	 * but not the child we had before. */
	char dir[] = "/tmp/nb-test-spawn-XXXXXX", up[64], script[300];
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct nb_child_set before;
	struct nb_undo u;
	struct nb_child c;
	int i;

	(void)state;
	/* READY once the daemon is in its own session (it made the file). */
	assert_non_null(mkdtemp(dir));
	snprintf(up, sizeof(up), "%s/up", dir);
	snprintf(script, sizeof(script),
		 "setsid -f sh -c ': > %s; exec sleep 30'; "
		 "while [ ! -e %s ]; do sleep 0.01; done; "
		 "echo READY >&3; exec 3>&-; sleep 30", up, up);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ours = fork();
	assert_true(ours >= 0);
	if (ours == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);  /* even if we abort */
		pause();
		_exit(0);
	}
	nb_children_now(&before);
	assert_true(before.n >= 1);
	nb_undo_init(&u);
	assert_int_equal(nb_spawn(&u, &c, -1, argv, 5000), 0);
	nb_undo_unwind(&u);
	for (i = 0; i < 500 && new_children(&before) == 0; i++)
		usleep(10000);
	assert_int_equal(new_children(&before), 1);   /* the stray sleep */
	nb_children_stop_new(&before);
	assert_int_equal(new_children(&before), 0);
	assert_int_equal(kill(ours, 0), 0);           /* ours stays */
	assert_int_equal(unlink(up), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_serve_ready_and_stop),
		cmocka_unit_test(t_exits_early),
		cmocka_unit_test(t_never_ready),
		cmocka_unit_test(t_sigterm_ignored),
		cmocka_unit_test_teardown(t_children_stop_new, stop_ours),
	};
	int rv;

	rv = nb_test_require_links("test_spawn");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
