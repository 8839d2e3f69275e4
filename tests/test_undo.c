/* Unit tests of src/undo.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "undo.h"

static char order[64];

static void rec(void *arg)
{
	strncat(order, arg, sizeof(order) - strlen(order) - 1);
}

static void t_lifo(void **state)
{
	struct nb_undo u;

	(void)state;
	order[0] = '\0';
	nb_undo_init(&u);
	assert_int_equal(nb_undo_push(&u, NB_RES_OTHER, 1, rec, "a", "a"), 0);
	assert_int_equal(nb_undo_push(&u, NB_RES_OTHER, 2, rec, "b", "b"), 1);
	assert_int_equal(nb_undo_push(&u, NB_RES_OTHER, 3, rec, "c", "c"), 2);
	nb_undo_release(&u, 1);
	nb_undo_unwind(&u);
	nb_undo_unwind(&u);   /* idempotent */
	assert_string_equal(order, "bca");
}

static void t_origin_and_find(void **state)
{
	const struct nb_undo_entry *e;
	struct nb_undo u;
	int idx, line;

	(void)state;
	nb_undo_init(&u);
	line = __LINE__ + 1;
	idx = nb_undo_push(&u, NB_RES_THREAD, 4242, NULL, NULL, "thread \"%s\"", "x");
	e = &u.e[idx];
	assert_string_equal(e->what, "thread \"x\"");
	assert_int_equal(e->line, line);
	assert_non_null(strstr(e->file, "test_undo.c"));
	assert_ptr_equal(nb_undo_find(&u, NB_RES_THREAD, 4242), e);
	assert_null(nb_undo_find(&u, NB_RES_PROCESS, 4242));
	assert_ptr_equal(nb_undo_find_what(&u, NB_RES_THREAD, "\"x\""), e);
}

static void t_forget(void **state)
{
	struct nb_undo u;
	int idx;

	(void)state;
	order[0] = '\0';
	nb_undo_init(&u);
	nb_undo_push(&u, NB_RES_OTHER, 1, rec, "a", "a");
	idx = nb_undo_push(&u, NB_RES_OTHER, 2, rec, "b", "b");
	nb_undo_forget(&u, idx);
	nb_undo_unwind(&u);
	assert_string_equal(order, "a");
	/* The record stays, and its release still works (the guard's way). */
	assert_false(u.e[idx].released);
	nb_undo_release(&u, idx);
	assert_string_equal(order, "ab");
}

static void t_full(void **state)
{
	struct nb_undo u;

	(void)state;
	nb_undo_init(&u);
	for (int i = 0; i < NB_UNDO_MAX; i++)
		assert_int_equal(nb_undo_push(&u, NB_RES_OTHER, i, NULL, NULL, "x"), i);
	assert_int_equal(nb_undo_push(&u, NB_RES_OTHER, 0, NULL, NULL, "x"), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_lifo),
		cmocka_unit_test(t_origin_and_find),
		cmocka_unit_test(t_forget),
		cmocka_unit_test(t_full),
	};

	return cmocka_run_group_tests_name("undo", tests, NULL, NULL);
}
