/* netbench: goodput measurement (see goodput.h). */
#include "goodput.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

double nb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double nb_thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int nb_series_init(struct nb_series *s, double t0)
{
	s->t0 = t0;
	s->n = 0;
	s->bytes = calloc(NB_SERIES_MAX, sizeof(*s->bytes));
	return s->bytes ? 0 : -ENOMEM;
}

void nb_series_add(struct nb_series *s, double t, uint64_t bytes)
{
	double rel = t - s->t0;
	size_t i = rel > 0 ? (size_t)(rel / NB_BUCKET_S) : 0;

	if (!s->bytes)
		return;
	if (i >= NB_SERIES_MAX)
		i = NB_SERIES_MAX - 1;
	s->bytes[i] += bytes;
	if (i + 1 > s->n)
		s->n = i + 1;
}

void nb_series_free(struct nb_series *s)
{
	free(s->bytes);
	s->bytes = NULL;
	s->n = 0;
}
