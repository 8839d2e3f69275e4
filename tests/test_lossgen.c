/* Unit tests of src/lossgen.c: reproducible, index-addressed packet loss. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "lossgen.h"

#define MILLION 1000000u
#define N_SEQ 100000u

static unsigned count_drops(const struct nb_lossgen *g, uint64_t n)
{
	unsigned drops = 0;

	for (uint64_t i = 0; i < n; i++)
		drops += nb_lossgen_drop(g, i);
	return drops;
}

/* How many of the first n decisions of a and b differ. */
static unsigned count_differ(const struct nb_lossgen *a,
			     const struct nb_lossgen *b, uint64_t n)
{
	unsigned diff = 0;

	for (uint64_t i = 0; i < n; i++)
		diff += nb_lossgen_drop(a, i) != nb_lossgen_drop(b, i);
	return diff;
}

static void t_zero_never_drops(void **state)
{
	struct nb_lossgen g;

	(void)state;
	for (unsigned dir = 0; dir < 2; dir++) {
		nb_lossgen_init(&g, 42, dir, 0);
		assert_int_equal(count_drops(&g, MILLION), 0);
	}
	/* Below the range: clamped to 0. */
	nb_lossgen_init(&g, 7, 0, -5);
	assert_int_equal(count_drops(&g, MILLION), 0);
	/* Beyond the counter's usual range too. */
	nb_lossgen_init(&g, 7, 1, 0);
	for (uint64_t i = UINT64_MAX - 1000; i != 0; i++)
		assert_false(nb_lossgen_drop(&g, i));
}

static void t_hundred_always_drops(void **state)
{
	struct nb_lossgen g;

	(void)state;
	for (unsigned dir = 0; dir < 2; dir++) {
		nb_lossgen_init(&g, 42, dir, 100);
		assert_int_equal(count_drops(&g, MILLION), MILLION);
	}
	/* Above the range: clamped to 100. */
	nb_lossgen_init(&g, 9, 0, 250);
	assert_int_equal(count_drops(&g, MILLION), MILLION);
	for (uint64_t i = UINT64_MAX - 1000; i != 0; i++)
		assert_true(nb_lossgen_drop(&g, i));
}

/* The drop rate matches the probability: 1% within 0.05 points over a
 * million indexes (5 standard deviations), for a few seeds and both
 * directions; 10% and 50% likewise. */
static void t_rate(void **state)
{
	const uint64_t seeds[] = { 0, 1, 42, 123456789, UINT64_MAX };
	struct nb_lossgen g;

	(void)state;
	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		for (unsigned dir = 0; dir < 2; dir++) {
			nb_lossgen_init(&g, seeds[k], dir, 1);
			assert_in_range(count_drops(&g, MILLION),
					MILLION / 100 - 500, MILLION / 100 + 500);
		}
	}
	nb_lossgen_init(&g, 42, 0, 10);
	assert_in_range(count_drops(&g, MILLION), 100000 - 1500, 100000 + 1500);
	nb_lossgen_init(&g, 42, 1, 50);
	assert_in_range(count_drops(&g, MILLION), 500000 - 2500, 500000 + 2500);
	/* A tiny probability still drops now and then. */
	nb_lossgen_init(&g, 42, 0, 0.01);
	assert_in_range(count_drops(&g, MILLION), 100 - 50, 100 + 50);
}

static void t_same_seed_same_sequence(void **state)
{
	struct nb_lossgen a, b;

	(void)state;
	for (unsigned dir = 0; dir < 2; dir++) {
		nb_lossgen_init(&a, 42, dir, 10);
		nb_lossgen_init(&b, 42, dir, 10);
		assert_int_equal(count_differ(&a, &b, N_SEQ), 0);
		assert_int_equal(a.key, b.key);
		assert_int_equal(a.threshold, b.threshold);
		assert_int_equal(a.all, b.all);
	}
}

/* Independent streams: at 50% two independent sequences differ at half the
 * indexes (50000 +- 158 for 1e5), identical ones at none; correlated ones
 * would stray from the half. */
static void t_different_streams(void **state)
{
	struct nb_lossgen a, b;

	(void)state;
	nb_lossgen_init(&a, 42, 0, 50);
	nb_lossgen_init(&b, 42, 1, 50);
	assert_in_range(count_differ(&a, &b, N_SEQ), 48000, 52000);
	nb_lossgen_init(&b, 43, 0, 50);
	assert_in_range(count_differ(&a, &b, N_SEQ), 48000, 52000);
	nb_lossgen_init(&b, 43, 1, 50);
	assert_in_range(count_differ(&a, &b, N_SEQ), 48000, 52000);
	/* At 10%: 2 x 0.1 x 0.9 = 18% of the indexes. */
	nb_lossgen_init(&a, 42, 0, 10);
	nb_lossgen_init(&b, 42, 1, 10);
	assert_in_range(count_differ(&a, &b, N_SEQ), 16500, 19500);
	nb_lossgen_init(&b, 1042, 0, 10);
	assert_in_range(count_differ(&a, &b, N_SEQ), 16500, 19500);
}

/* A higher probability drops a superset: the draw is compared with a
 * threshold, so raising the loss only adds drops. */
static void t_nested(void **state)
{
	struct nb_lossgen lo, hi;

	(void)state;
	nb_lossgen_init(&lo, 5, 1, 2);
	nb_lossgen_init(&hi, 5, 1, 20);
	for (uint64_t i = 0; i < N_SEQ; i++)
		if (nb_lossgen_drop(&lo, i))
			assert_true(nb_lossgen_drop(&hi, i));
}

/* A decision depends on the index alone: evaluated backwards and in a
 * shuffled order, every answer is the one of the forward pass. */
static void t_index_only(void **state)
{
	bool *fwd = malloc(N_SEQ * sizeof(*fwd));
	uint32_t *perm = malloc(N_SEQ * sizeof(*perm));
	uint64_t x = 0x2545f4914f6cdd1dull;
	struct nb_lossgen g;

	(void)state;
	assert_non_null(fwd);
	assert_non_null(perm);
	nb_lossgen_init(&g, 42, 0, 10);
	for (uint32_t i = 0; i < N_SEQ; i++) {
		fwd[i] = nb_lossgen_drop(&g, i);
		perm[i] = i;
	}
	for (uint32_t i = N_SEQ; i-- > 0;)
		assert_int_equal(nb_lossgen_drop(&g, i), fwd[i]);
	for (uint32_t i = N_SEQ - 1; i > 0; i--) {   /* Fisher-Yates */
		uint32_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (uint32_t)(x % (i + 1));
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint32_t k = 0; k < N_SEQ; k++)
		assert_int_equal(nb_lossgen_drop(&g, perm[k]), fwd[perm[k]]);
	/* A generator set up afresh agrees too: no hidden state. */
	nb_lossgen_init(&g, 42, 0, 10);
	for (uint32_t k = 0; k < N_SEQ; k += 7)
		assert_int_equal(nb_lossgen_drop(&g, perm[k]), fwd[perm[k]]);
	free(fwd);
	free(perm);
}

static void t_random_seed(void **state)
{
	uint64_t a, b;

	(void)state;
	a = nb_lossgen_random_seed();
	b = nb_lossgen_random_seed();
	assert_true(a < 1000000000ull);
	assert_true(b < 1000000000ull);
	if (a == b) {   /* one chance in 1e9: try once more */
		b = nb_lossgen_random_seed();
		assert_true(b < 1000000000ull);
	}
	assert_true(a != b);
	for (int k = 0; k < 1000; k++)
		assert_true(nb_lossgen_random_seed() < 1000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_zero_never_drops),
		cmocka_unit_test(t_hundred_always_drops),
		cmocka_unit_test(t_rate),
		cmocka_unit_test(t_same_seed_same_sequence),
		cmocka_unit_test(t_different_streams),
		cmocka_unit_test(t_nested),
		cmocka_unit_test(t_index_only),
		cmocka_unit_test(t_random_seed),
	};

	return cmocka_run_group_tests_name("lossgen", tests, NULL, NULL);
}
