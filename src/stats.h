/* netbench: statistics over replicates. */
#ifndef NB_STATS_H
#define NB_STATS_H

#include <stddef.h>

struct nb_stats {
	size_t n;
	double mean, median, stdev, cv, min, max;  /* cv = stdev / mean */
};

/* Sample statistics of v[0..n) (stdev with n - 1; 0 when n < 2). */
void nb_stats_compute(const double *v, size_t n, struct nb_stats *s);

#endif
