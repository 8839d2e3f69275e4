/* netbench: reproducible packet loss (see lossgen.h). */
#include "lossgen.h"

#include <math.h>
#include <sys/random.h>
#include <time.h>

void nb_lossgen_init(struct nb_lossgen *g, uint64_t seed, unsigned dir,
		     double loss_pct)
{
	double p = loss_pct / 100.0;

	g->key = nb_lossgen_mix(seed ^ nb_lossgen_mix(0x6e6574626e636800ULL + dir));
	g->all = false;
	if (!(p > 0)) {
		g->threshold = 0;
	} else if (p >= 1) {
		g->threshold = UINT64_MAX;
		g->all = true;
	} else {
		/* 2^64 x p, exact enough: a double has 53 bits. */
		g->threshold = (uint64_t)ldexp(p, 64);
	}
}

uint64_t nb_lossgen_random_seed(void)
{
	uint64_t s;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s % 1000000000ULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	return nb_lossgen_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30)) %
	       1000000000ULL;
}
