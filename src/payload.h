/* netbench: the deterministic payload.
 *
 * Byte i of every transfer is byte (i % 8) of the little-endian 64-bit word
 * nb_payload_word(i / 8): a function of the absolute offset, so a transfer
 * that is short, long, reordered, shifted or corrupt is detected, and nothing
 * is held in memory or on disk. Generating or checking costs one multiply per
 * 8 bytes.
 */
#ifndef NB_PAYLOAD_H
#define NB_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t nb_payload_word(uint64_t k)
{
	uint64_t x = (k + 1) * 0x9E3779B97F4A7C15ULL;

	return x ^ (x >> 29);
}

/* Fills buf with the payload bytes [offset, offset + len). */
void nb_payload_fill(uint8_t *buf, uint64_t offset, size_t len);

/* Checks buf against the payload bytes [offset, offset + len). Returns 0 if
 * they match; else -EBADMSG and *bad = absolute offset of the first
 * mismatching byte (bad may be NULL). */
int nb_payload_check(const uint8_t *buf, uint64_t offset, size_t len,
		     uint64_t *bad);

#endif
