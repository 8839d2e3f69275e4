/* netbench: a log-linear histogram of non-negative integers (nanoseconds,
 * in practice): the emulator's lateness and the loss probe's one-way delay.
 *
 * Values below 256 have a bucket each; above, every power of two is split
 * in 256 buckets, so a quantile is within 1/256 (0.4%) of the value it
 * stands for: 78 us at a 20 ms delay. The histogram is a flat array
 * (117 KB) and adding a value costs a count-leading-zeros and an
 * increment: cheap enough for every packet.
 * count, sum, min and max are exact.
 */
#ifndef NB_HISTOGRAM_H
#define NB_HISTOGRAM_H

#include <stdint.h>

#define NB_HIST_SUB_BITS 8
#define NB_HIST_SUB (1u << NB_HIST_SUB_BITS)
#define NB_HIST_BUCKETS ((64 - NB_HIST_SUB_BITS + 1) * NB_HIST_SUB)

struct nb_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;          /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t bucket[NB_HIST_BUCKETS];
};

void nb_hist_init(struct nb_hist *h);

void nb_hist_add(struct nb_hist *h, uint64_t v);

/* Adds every value of src to dst. */
void nb_hist_merge(struct nb_hist *dst, const struct nb_hist *src);

/* The largest value added to `now` since it was `before` (a copy taken
 * earlier of the same histogram), within a bucket's width (0.4%): the low
 * end of the highest bucket that gained values; exact when the overall max
 * grew. 0 when nothing was added. */
uint64_t nb_hist_max_since(const struct nb_hist *now,
			   const struct nb_hist *before);

/* The value below which a fraction q (0..1) of the values lie: the middle
 * of the bucket that holds the q-th value, clamped to [min, max]; q <= 0
 * gives min, q >= 1 gives max. 0 when the histogram is empty. */
uint64_t nb_hist_quantile(const struct nb_hist *h, double q);

/* The bucket that holds v (exposed for the tests). */
unsigned nb_hist_bucket_of(uint64_t v);

/* The smallest value of bucket i. */
uint64_t nb_hist_bucket_low(unsigned i);

#endif
