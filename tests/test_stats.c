/* Unit tests of src/stats.c and src/goodput.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "goodput.h"
#include "stats.h"

static void t_stats(void **state)
{
	const double v[] = {10, 12, 11, 9, 13};
	struct nb_stats s;

	(void)state;
	nb_stats_compute(v, 5, &s);
	assert_int_equal(s.n, 5);
	assert_float_equal(s.mean, 11.0, 1e-12);
	assert_float_equal(s.median, 11.0, 1e-12);
	assert_float_equal(s.stdev, 1.5811388300841898, 1e-12);
	assert_float_equal(s.cv, 1.5811388300841898 / 11.0, 1e-12);
	assert_float_equal(s.min, 9, 0);
	assert_float_equal(s.max, 13, 0);
	nb_stats_compute(v, 4, &s);
	assert_float_equal(s.median, 10.5, 1e-12);
	nb_stats_compute(v, 1, &s);
	assert_float_equal(s.stdev, 0, 0);
	nb_stats_compute(v, 0, &s);
	assert_int_equal(s.n, 0);
}

static void t_series(void **state)
{
	struct nb_series s;

	(void)state;
	assert_int_equal(nb_series_init(&s, 100.0), 0);
	nb_series_add(&s, 100.05, 10);
	nb_series_add(&s, 100.09, 5);
	nb_series_add(&s, 100.31, 7);
	nb_series_add(&s, 99.0, 1);          /* before t0: first bucket */
	assert_int_equal(s.n, 4);
	assert_int_equal(s.bytes[0], 16);
	assert_int_equal(s.bytes[1], 0);
	assert_int_equal(s.bytes[3], 7);
	nb_series_add(&s, 1e9, 3);           /* folded into the last bucket */
	assert_int_equal(s.n, NB_SERIES_MAX);
	assert_int_equal(s.bytes[NB_SERIES_MAX - 1], 3);
	nb_series_free(&s);
	assert_float_equal(nb_goodput_bps(1250000, 1.0), 1e7, 1e-6);
	assert_float_equal(nb_goodput_bps(1, 0), 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_stats),
		cmocka_unit_test(t_series),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
