/* netbench: the deterministic payload (see payload.h). */
#include "payload.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

static inline uint8_t byte_at(uint64_t off)
{
	return (uint8_t)(nb_payload_word(off / 8) >> (8 * (off % 8)));
}

void nb_payload_fill(uint8_t *buf, uint64_t offset, size_t len)
{
	size_t i = 0;

	for (; i < len && (offset + i) % 8; i++)
		buf[i] = byte_at(offset + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = htole64(nb_payload_word((offset + i) / 8));

		memcpy(buf + i, &w, 8);
	}
	for (; i < len; i++)
		buf[i] = byte_at(offset + i);
}

int nb_payload_check(const uint8_t *buf, uint64_t offset, size_t len,
		     uint64_t *bad)
{
	size_t i = 0;

	for (; i < len && (offset + i) % 8; i++) {
		if (buf[i] != byte_at(offset + i))
			goto mismatch;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w = htole64(nb_payload_word((offset + i) / 8));

		if (memcmp(buf + i, &w, 8))
			break;
	}
	for (; i < len; i++) {
		if (buf[i] != byte_at(offset + i))
			goto mismatch;
	}
	return 0;
mismatch:
	if (bad)
		*bad = offset + i;
	return -EBADMSG;
}
