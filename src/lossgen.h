/* netbench: reproducible packet loss.
 *
 * Whether packet number i of a direction is dropped is a pure function of
 * (seed, direction, i): a counter-based generator (SplitMix64's finaliser
 * over the seed, the direction and the index) compared with the loss
 * probability scaled to 2^64. Nothing depends on timing or on what came
 * before, so the same seed drops the same packets of a packet sequence on
 * every run and every machine, which netem's own loss (drawn from the
 * kernel's per-CPU PRNG) cannot give. Directions use independent streams.
 */
#ifndef NB_LOSSGEN_H
#define NB_LOSSGEN_H

#include <stdbool.h>
#include <stdint.h>

struct nb_lossgen {
	uint64_t key;          /* seed and direction mixed */
	uint64_t threshold;    /* drop when the draw is below it */
	bool all;              /* 100%: drop everything */
};

/* Sets g up for loss_pct (0..100, clamped) on direction `dir` (0 or 1). */
void nb_lossgen_init(struct nb_lossgen *g, uint64_t seed, unsigned dir,
		     double loss_pct);

/* SplitMix64's finaliser: a bijection of 64-bit words that mixes well. */
static inline uint64_t nb_lossgen_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Whether packet `index` (0-based, counted per direction) is dropped. */
static inline bool nb_lossgen_drop(const struct nb_lossgen *g, uint64_t index)
{
	uint64_t z = nb_lossgen_mix(g->key + (index + 1) * 0x9e3779b97f4a7c15ULL);

	return g->all || z < g->threshold;
}

/* A seed from the kernel's random source, for runs without --seed (the seed
 * is printed, so any run can be repeated). Never fails: falls back to the
 * clock when getrandom is unavailable. */
uint64_t nb_lossgen_random_seed(void);

#endif
