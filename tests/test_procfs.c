/* netbench: tests of procfs.c, what /proc says of processes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

static void t_stat(void **state)
{
	char buf[1024];
	const char *f = nb_proc_stat(getpid(), buf, sizeof(buf));

	(void)state;
	assert_non_null(f);
	assert_true(f[0] == 'R' || f[0] == 'S');      /* the state comes first */
	assert_null(nb_proc_stat(0x3fffffff, buf, sizeof(buf)));
}

static void t_cpu(void **state)
{
	double before, after;
	struct timespec t0, t;

	(void)state;
	assert_int_equal(nb_proc_cpu(getpid(), &before), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do      /* 50 ms of CPU: at least a few clock ticks */
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) / 1e6 < 50);
	assert_int_equal(nb_proc_cpu(getpid(), &after), 0);
	assert_true(after > before);
	assert_int_equal(nb_proc_cpu(0x3fffffff, &after), -ENOENT);
}

static void t_group_cpu(void **state)
{
	double s = -1;

	(void)state;
	assert_int_equal(nb_proc_group_cpu(getpgrp(), &s), 0);
	assert_true(s >= 0);
	assert_int_equal(nb_proc_group_cpu(0x3fffffff, &s), -ESRCH);
}

static void t_children(void **state)
{
	pid_t kids[2], seen[8];
	size_t n;
	int found = 0;

	(void)state;
	assert_int_equal(nb_proc_children(seen, 8), 0);
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	n = nb_proc_children(seen, 8);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		found += seen[i] == kids[0] || seen[i] == kids[1];
	assert_int_equal(found, 2);
	assert_int_equal(nb_proc_children(seen, 1), 1);  /* at most cap */
	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		assert_int_equal(waitpid(kids[i], NULL, 0), kids[i]);
	}
	assert_int_equal(nb_proc_children(seen, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_stat),
		cmocka_unit_test(t_cpu),
		cmocka_unit_test(t_group_cpu),
		cmocka_unit_test(t_children),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
