/* netbench: log-linear histogram (see histogram.h). */
#include "histogram.h"

#include <math.h>
#include <string.h>

void nb_hist_init(struct nb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned nb_hist_bucket_of(uint64_t v)
{
	unsigned e;

	if (v < NB_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);	/* >= NB_HIST_SUB_BITS */
	return (e - NB_HIST_SUB_BITS + 1) * NB_HIST_SUB +
	       (unsigned)(v >> (e - NB_HIST_SUB_BITS)) - NB_HIST_SUB;
}

uint64_t nb_hist_bucket_low(unsigned i)
{
	unsigned e;

	if (i < NB_HIST_SUB)
		return i;
	e = i / NB_HIST_SUB + NB_HIST_SUB_BITS - 1;
	return (uint64_t)(i % NB_HIST_SUB + NB_HIST_SUB) << (e - NB_HIST_SUB_BITS);
}

void nb_hist_add(struct nb_hist *h, uint64_t v)
{
	h->bucket[nb_hist_bucket_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t nb_hist_max_since(const struct nb_hist *now,
			   const struct nb_hist *before)
{
	if (now->count == before->count)
		return 0;
	if (now->max > before->max)
		return now->max;
	for (unsigned i = NB_HIST_BUCKETS; i-- > 0;)
		if (now->bucket[i] > before->bucket[i])
			return nb_hist_bucket_low(i);
	return 0;
}

void nb_hist_merge(struct nb_hist *dst, const struct nb_hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < NB_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t nb_hist_quantile(const struct nb_hist *h, double q)
{
	uint64_t rank, seen = 0, low, high, mid;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* The rank of the q-th value, 1-based: ceil(q x count). */
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < NB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen < rank)
			continue;
		low = nb_hist_bucket_low(i);
		high = i + 1 < NB_HIST_BUCKETS ? nb_hist_bucket_low(i + 1) - 1
					       : UINT64_MAX;
		mid = low + (high - low) / 2;
		if (mid < h->min)
			mid = h->min;
		if (mid > h->max)
			mid = h->max;
		return mid;
	}
	return h->max;
}
