/* Unit tests of src/thread.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thread.h"
#include "undo.h"

static int until_stopped(struct nb_thread *t, void *arg)
{
	(void)arg;
	while (!nb_thread_should_stop(t))
		usleep(1000);
	return 7;
}

static int quick(struct nb_thread *t, void *arg)
{
	(void)t;
	*(int *)arg = 1;
	return 0;
}

static int task_exists(pid_t tid, char *name, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(name, (int)len, f))
		name[0] = '\0';
	name[strcspn(name, "\n")] = '\0';
	fclose(f);
	return 1;
}

static void t_start_name_tid_release(void **state)
{
	struct nb_undo u;
	struct nb_thread t;
	char name[32];

	(void)state;
	nb_undo_init(&u);
	assert_int_equal(nb_thread_start(&u, &t, "nb-test-worker", until_stopped, NULL), 0);
	assert_true(t.tid > 0 && t.tid != gettid());
	assert_true(task_exists(t.tid, name, sizeof(name)));
	assert_string_equal(name, "nb-test-worker");
	assert_int_equal(u.n, 1);
	assert_int_equal(u.e[0].kind, NB_RES_THREAD);
	assert_int_equal(u.e[0].id, t.tid);
	assert_int_equal(nb_thread_wait(&t, 50), -ETIMEDOUT);
	nb_undo_unwind(&u);
	assert_true(t.joined);
	assert_int_equal(t.rv, 7);
	assert_false(task_exists(t.tid, name, sizeof(name)));
}

static void t_wait_done(void **state)
{
	struct nb_undo u;
	struct nb_thread t;
	int flag = 0;

	(void)state;
	nb_undo_init(&u);
	assert_int_equal(nb_thread_start(&u, &t, "nb-quick", quick, &flag), 0);
	assert_int_equal(nb_thread_wait(&t, 5000), 0);
	assert_int_equal(flag, 1);
	assert_int_equal(nb_thread_stop(&t), 0);
	assert_int_equal(nb_thread_stop(&t), 0);   /* idempotent */
	nb_undo_unwind(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_start_name_tid_release),
		cmocka_unit_test(t_wait_done),
	};

	return cmocka_run_group_tests_name("thread", tests, NULL, NULL);
}
