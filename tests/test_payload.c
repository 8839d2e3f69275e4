/* Unit tests of src/payload.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "payload.h"

static void t_roundtrip_unaligned(void **state)
{
	uint8_t buf[4096];

	(void)state;
	for (uint64_t off = 0; off < 20; off++) {
		for (size_t len = 0; len < 40; len += 3) {
			nb_payload_fill(buf, off, len);
			assert_int_equal(nb_payload_check(buf, off, len, NULL), 0);
		}
	}
	nb_payload_fill(buf, 1ULL << 33, sizeof(buf));
	assert_int_equal(nb_payload_check(buf, 1ULL << 33, sizeof(buf), NULL), 0);
}

static void t_detects(void **state)
{
	uint8_t buf[1000];
	uint64_t bad = 0;

	(void)state;
	nb_payload_fill(buf, 5, sizeof(buf));
	buf[517] ^= 1;
	assert_int_equal(nb_payload_check(buf, 5, sizeof(buf), &bad), -EBADMSG);
	assert_int_equal(bad, 5 + 517);
	/* A shift by one whole word is caught: offsets are absolute. */
	nb_payload_fill(buf, 8, sizeof(buf));
	assert_int_equal(nb_payload_check(buf, 0, sizeof(buf), &bad), -EBADMSG);
	assert_int_equal(bad, 0);
	/* The same chunk at another place of the stream is wrong too. */
	nb_payload_fill(buf, 65536, sizeof(buf));
	assert_int_equal(nb_payload_check(buf, 0, sizeof(buf), NULL), -EBADMSG);
}

static void t_chunking_is_irrelevant(void **state)
{
	uint8_t a[777], b[777];

	(void)state;
	nb_payload_fill(a, 100, sizeof(a));
	nb_payload_fill(b, 100, 13);
	nb_payload_fill(b + 13, 113, 500);
	nb_payload_fill(b + 513, 613, 264);
	assert_memory_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip_unaligned),
		cmocka_unit_test(t_detects),
		cmocka_unit_test(t_chunking_is_irrelevant),
	};

	return cmocka_run_group_tests_name("payload", tests, NULL, NULL);
}
