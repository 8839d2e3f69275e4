/* Unit tests of src/histogram.c: the log-linear histogram. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "histogram.h"

/* The histogram's resolution comes from NB_HIST_SUB_BITS: exact below
 * 2 x NB_HIST_SUB, then NB_HIST_SUB buckets per power of two, so a value's
 * bucket starts within 1/NB_HIST_SUB of it (1/64 or better, the 1.6% the
 * probes report with). */
#define EXACT_BELOW (2ull * NB_HIST_SUB)

/* Values the bucket checks visit: the linear range, its edge, powers of two
 * and their neighbours, round decimal values and the extreme. */
static const uint64_t edge_values[] = {
	0, 1, 2, 31, 62, 63, 64, 65, 126, 127, 128, 129, 130, 255, 256, 257,
	1000, 1023, 1024, 1025, 4095, 4096, 65535, 65536, 1000000, 1000001,
	1000000000, 1000000007, (1ull << 32) - 1, 1ull << 32,
	(1ull << 63) - 1, 1ull << 63, UINT64_MAX - 1, UINT64_MAX,
};

#define N_EDGE (sizeof(edge_values) / sizeof(edge_values[0]))

/* Checks one value: its bucket is in range, the bucket's lower bound is at
 * most v, the next bucket starts above v, the lower bound maps back to the
 * same bucket, and the bound is within 1/64 of v. */
static void check_value(uint64_t v)
{
	unsigned i = nb_hist_bucket_of(v);
	uint64_t low;

	assert_true(i < NB_HIST_BUCKETS);
	low = nb_hist_bucket_low(i);
	assert_true(low <= v);
	if (i + 1 < NB_HIST_BUCKETS)
		assert_true(v < nb_hist_bucket_low(i + 1));
	assert_int_equal(nb_hist_bucket_of(low), i);
	/* (v - low) / v <= 1/NB_HIST_SUB <= 1/64, in integers. */
	assert_true(NB_HIST_SUB >= 64);
	if (v)
		assert_true((v - low) <= v / NB_HIST_SUB);
	if (v < EXACT_BELOW)
		assert_int_equal(low, v);
}

static void t_bucket_edges(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_EDGE; k++)
		check_value(edge_values[k]);
	/* A bucket per value up to the linear range's end ... */
	for (uint64_t v = 0; v < EXACT_BELOW; v++)
		assert_int_equal(nb_hist_bucket_of(v), v);
	/* ... then buckets of width 2 for the next power of two. */
	assert_int_equal(nb_hist_bucket_of(EXACT_BELOW), EXACT_BELOW);
	assert_int_equal(nb_hist_bucket_of(EXACT_BELOW + 1), EXACT_BELOW);
	assert_int_equal(nb_hist_bucket_of(EXACT_BELOW + 2), EXACT_BELOW + 1);
	/* The top bucket holds UINT64_MAX and is the array's last, of width
	 * 2^63 / NB_HIST_SUB. */
	assert_int_equal(nb_hist_bucket_of(UINT64_MAX), NB_HIST_BUCKETS - 1);
	assert_int_equal(nb_hist_bucket_low(NB_HIST_BUCKETS - 1),
			 UINT64_MAX - ((1ull << (63 - NB_HIST_SUB_BITS)) - 1));
}

/* Every bucket: lower bounds strictly increase and map back to themselves,
 * as does the last value of each bucket. */
static void t_bucket_round_trip(void **state)
{
	uint64_t prev = 0;

	(void)state;
	for (unsigned i = 0; i < NB_HIST_BUCKETS; i++) {
		uint64_t low = nb_hist_bucket_low(i);

		if (i)
			assert_true(low > prev);
		assert_int_equal(nb_hist_bucket_of(low), i);
		if (i + 1 < NB_HIST_BUCKETS)
			assert_int_equal(
				nb_hist_bucket_of(nb_hist_bucket_low(i + 1) - 1), i);
		prev = low;
	}
}

/* bucket_of never decreases over a dense walk (every value to 4096, then
 * steps of ~0.4% up to the top) and the relative error holds everywhere. */
static void t_bucket_monotonic(void **state)
{
	unsigned prev = 0;
	uint64_t v = 0;

	(void)state;
	for (;;) {
		unsigned i = nb_hist_bucket_of(v);

		assert_true(i >= prev);
		check_value(v);
		prev = i;
		if (v < 4096)
			v++;
		else if (v >= UINT64_MAX - v / 256 - 1)
			break;
		else
			v += v / 256 + 1;
	}
	assert_true(nb_hist_bucket_of(UINT64_MAX) >= prev);
}

static void t_empty(void **state)
{
	struct nb_hist *h = malloc(sizeof(*h));

	(void)state;
	assert_non_null(h);
	nb_hist_init(h);
	assert_int_equal(h->count, 0);
	assert_int_equal(h->sum, 0);
	assert_int_equal(h->min, UINT64_MAX);
	assert_int_equal(h->max, 0);
	assert_int_equal(nb_hist_quantile(h, 0), 0);
	assert_int_equal(nb_hist_quantile(h, 0.5), 0);
	assert_int_equal(nb_hist_quantile(h, 0.99), 0);
	assert_int_equal(nb_hist_quantile(h, 1), 0);
	free(h);
}

static void t_exact_summary(void **state)
{
	const uint64_t v[] = { 500, 7, 123456789, 64, 0, 99 };
	struct nb_hist *h = malloc(sizeof(*h));
	uint64_t sum = 0, total = 0;

	(void)state;
	assert_non_null(h);
	nb_hist_init(h);
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		nb_hist_add(h, v[k]);
		sum += v[k];
	}
	assert_int_equal(h->count, 6);
	assert_int_equal(h->sum, sum);
	assert_int_equal(h->min, 0);
	assert_int_equal(h->max, 123456789);
	for (unsigned i = 0; i < NB_HIST_BUCKETS; i++)
		total += h->bucket[i];
	assert_int_equal(total, 6);
	assert_int_equal(h->bucket[nb_hist_bucket_of(123456789)], 1);

	/* One value: every quantile is that value (clamped to min = max). */
	nb_hist_init(h);
	nb_hist_add(h, 1000003);
	assert_int_equal(nb_hist_quantile(h, 0), 1000003);
	assert_int_equal(nb_hist_quantile(h, 0.5), 1000003);
	assert_int_equal(nb_hist_quantile(h, 1), 1000003);

	/* The top bucket does not overflow the middle computation. */
	nb_hist_init(h);
	nb_hist_add(h, UINT64_MAX);
	nb_hist_add(h, UINT64_MAX);
	assert_int_equal(h->min, UINT64_MAX);
	assert_int_equal(h->max, UINT64_MAX);
	assert_int_equal(nb_hist_quantile(h, 0.5), UINT64_MAX);
	free(h);
}

static void assert_within(uint64_t got, uint64_t want, double rel)
{
	double d = (double)got - (double)want;

	if (d < 0)
		d = -d;
	if (d > rel * (double)want)
		fail_msg("%llu is not within %.2f%% of %llu",
			 (unsigned long long)got, rel * 100,
			 (unsigned long long)want);
}

static void t_quantiles(void **state)
{
	struct nb_hist *h = malloc(sizeof(*h));
	uint64_t prev = 0;

	(void)state;
	assert_non_null(h);
	nb_hist_init(h);
	for (uint64_t v = 1; v <= 100000; v++)
		nb_hist_add(h, v);
	assert_int_equal(h->count, 100000);
	assert_int_equal(h->sum, 100000ull * 100001 / 2);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 100000);
	assert_within(nb_hist_quantile(h, 0.5), 50000, 1.0 / 64);
	assert_within(nb_hist_quantile(h, 0.99), 99000, 1.0 / 64);
	assert_within(nb_hist_quantile(h, 0.9), 90000, 1.0 / 64);
	assert_within(nb_hist_quantile(h, 0.01), 1000, 1.0 / 64);
	/* The resolution the header promises: 1/NB_HIST_SUB. */
	assert_within(nb_hist_quantile(h, 0.5), 50000, 1.0 / NB_HIST_SUB);
	assert_within(nb_hist_quantile(h, 0.99), 99000, 1.0 / NB_HIST_SUB);
	assert_int_equal(nb_hist_quantile(h, 0), 1);
	assert_int_equal(nb_hist_quantile(h, -1), 1);
	assert_int_equal(nb_hist_quantile(h, 1), 100000);
	assert_int_equal(nb_hist_quantile(h, 2), 100000);
	/* The smallest values have exact buckets. */
	assert_int_equal(nb_hist_quantile(h, 0.00001), 1);
	assert_in_range(nb_hist_quantile(h, 0.0005), 50, 51);
	/* Quantiles never decrease with q and stay in [min, max]. */
	for (double q = 0; q <= 1.0; q += 0.001) {
		uint64_t x = nb_hist_quantile(h, q);

		assert_true(x >= prev);
		assert_true(x >= 1 && x <= 100000);
		prev = x;
	}
	free(h);
}

static void t_merge(void **state)
{
	struct nb_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct nb_hist *all = malloc(sizeof(*all)), *e = malloc(sizeof(*e));
	uint64_t x = 88172645463325252ull;

	(void)state;
	assert_true(a && b && all && e);
	nb_hist_init(a);
	nb_hist_init(b);
	nb_hist_init(all);
	nb_hist_init(e);
	for (int k = 0; k < 20000; k++) {
		uint64_t v;

		/* xorshift64: values of every magnitude */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x % 64);
		nb_hist_add(k % 3 ? a : b, v);
		nb_hist_add(all, v);
	}
	nb_hist_add(b, 3);   /* b holds the smallest value */
	nb_hist_add(all, 3);
	nb_hist_merge(a, b);
	assert_memory_equal(a, all, sizeof(*a));

	/* Merging an empty histogram changes nothing ... */
	nb_hist_merge(a, e);
	assert_memory_equal(a, all, sizeof(*a));
	/* ... and merging into an empty one copies. */
	nb_hist_merge(e, all);
	assert_memory_equal(e, all, sizeof(*e));
	assert_int_equal(nb_hist_quantile(e, 0.5), nb_hist_quantile(all, 0.5));
	free(a);
	free(b);
	free(all);
	free(e);
}

/* The largest value since a snapshot: a replicate's worst emulator
 * lateness, though the case's overall max came earlier. */
static void t_max_since(void **state)
{
	struct nb_hist *h = malloc(sizeof(*h)), *snap = malloc(sizeof(*snap));
	uint64_t m;

	(void)state;
	assert_true(h && snap);
	nb_hist_init(h);
	nb_hist_add(h, 50000000);           /* 50 ms: an earlier stall */
	nb_hist_add(h, 200000);
	memcpy(snap, h, sizeof(*h));
	assert_int_equal(nb_hist_max_since(h, snap), 0);   /* nothing new */
	nb_hist_add(h, 300000);
	nb_hist_add(h, 12000000);           /* 12 ms, below the old max */
	nb_hist_add(h, 100);
	m = nb_hist_max_since(h, snap);
	assert_true(m <= 12000000 && m >= 12000000 - 12000000 / 256);
	memcpy(snap, h, sizeof(*h));
	nb_hist_add(h, 70000000);           /* a new overall max: exact */
	assert_int_equal(nb_hist_max_since(h, snap), 70000000);
	free(h);
	free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_bucket_edges),
		cmocka_unit_test(t_bucket_round_trip),
		cmocka_unit_test(t_bucket_monotonic),
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_exact_summary),
		cmocka_unit_test(t_quantiles),
		cmocka_unit_test(t_merge),
		cmocka_unit_test(t_max_since),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
