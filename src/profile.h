/* netbench: network profiles (DESIGN §2), as data.
 *
 * Mbit = 10^6 bit. Delay is RTT/2 in each direction. The bottleneck queue is
 * one BDP counted in full-size packets; netem's limit (packets) is that queue
 * plus what the one-way delay line holds.
 */
#ifndef NB_PROFILE_H
#define NB_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define NB_MTU 1500
#define NB_FRAME 1514                 /* L2 frame of a full MTU packet */
#define NB_UNTHROTTLED_SIZING_BPS 1000000000ULL

struct nb_profile {
	const char *name;
	uint64_t rate_bps;   /* 0 = unthrottled */
	uint32_t rtt_ms;     /* 0 = no added delay */
	const char *notes;
};

size_t nb_profile_count(void);
const struct nb_profile *nb_profile_at(size_t i);

/* Lookup by name, case-insensitive, seed spellings accepted ("10Mbit_40ms",
 * "none" for unthrottled). NULL if unknown: see nb_profile_names(). */
const struct nb_profile *nb_profile_find(const char *name);

/* "unthrottled, 1M_400ms, ..." (for error messages). */
void nb_profile_names(char *buf, size_t len);

/* nb_profile_find() for user input: *out is the profile named `name`.
 * Errors: -EINVAL, nb_lasterr() saying "OPT: unknown profile 'NAME'
 * (valid: ...)" (without "OPT: " when opt is NULL). */
int nb_profile_parse(const char *opt, const char *name,
		     const struct nb_profile **out);

/* Bandwidth-delay product in bytes (0 when unthrottled). */
uint64_t nb_profile_bdp_bytes(const struct nb_profile *p);

/* One BDP in NB_FRAME-size packets, at least 16 (0 when unthrottled). */
uint32_t nb_profile_queue_packets(const struct nb_profile *p);

/* netem limit in packets: the queue plus the packets in flight on the one-way
 * delay line (rate x RTT/2). (The seed passes the BDP in *bytes* here, which
 * makes the queue effectively unbounded.) */
uint32_t nb_profile_netem_limit(const struct nb_profile *p);

/* Payload bytes that take `seconds` at the profile rate (at 1000 Mbit/s when
 * unthrottled), at least 1. */
uint64_t nb_profile_transfer_bytes(const struct nb_profile *p, double seconds);

#endif
