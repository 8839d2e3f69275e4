/* netbench: goodput measurement (DESIGN §5).
 *
 * Goodput = payload bytes x 8 / transfer time. Download: from the request
 * being sent to the last body byte received. Upload: from the first body
 * byte sent to the server's final answer. A series keeps the payload bytes
 * moved in each NB_BUCKET_S bucket from the start of the transfer.
 */
#ifndef NB_GOODPUT_H
#define NB_GOODPUT_H

#include <stddef.h>
#include <stdint.h>

#define NB_BUCKET_S 0.1
#define NB_SERIES_MAX 36000   /* one hour of 100 ms buckets */

struct nb_series {
	double t0;             /* CLOCK_MONOTONIC seconds at the start */
	uint64_t *bytes;       /* bytes[i]: payload moved in bucket i */
	size_t n;              /* buckets used */
};

/* Monotonic clock in seconds. */
double nb_now(void);

/* CPU seconds the calling thread has used (a client's CPU per transfer). */
double nb_thread_cpu(void);

/* Starts a series at t0. Errors: -ENOMEM. */
int nb_series_init(struct nb_series *s, double t0);

/* Accounts `bytes` at time t (seconds, same clock as t0); times past the
 * last bucket are folded into it. */
void nb_series_add(struct nb_series *s, double t, uint64_t bytes);

void nb_series_free(struct nb_series *s);

/* bit/s */
static inline double nb_goodput_bps(uint64_t bytes, double seconds)
{
	return seconds > 0 ? (double)bytes * 8.0 / seconds : 0.0;
}

#endif
