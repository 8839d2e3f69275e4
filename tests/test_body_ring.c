/* Unit tests of src/body_ring.c: bytes written stay where they were put
 * until released, the space never overlaps what is in flight, the ring
 * wraps, and a release of more than is in flight is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "body_ring.h"
#include "payload.h"

#define CAP 65536

/* Writes up to want payload bytes at the head (absolute offset r->head);
 * returns how many went. */
static size_t put(struct nb_ring *r, size_t want)
{
	size_t len, n;
	uint8_t *p = nb_ring_space(r, &len);

	n = want < len ? want : len;
	if (n) {
		nb_payload_fill(p, r->head, n);
		nb_ring_commit(r, n);
	}
	return n;
}

/* Every byte in flight is still the payload byte of its offset. */
static void check_in_flight(const struct nb_ring *r)
{
	for (uint64_t off = r->tail; off < r->head;) {
		size_t at = (size_t)(off % r->cap);
		size_t n = r->cap - at;

		if (n > r->head - off)
			n = (size_t)(r->head - off);
		assert_int_equal(nb_payload_check(r->buf + at, off, n, NULL), 0);
		off += n;
	}
}

static void t_fill_and_full(void **state)
{
	struct nb_ring r;
	size_t len;

	(void)state;
	assert_int_equal(nb_ring_init(&r, CAP), 0);
	assert_int_equal(put(&r, 1000), 1000);
	assert_int_equal(nb_ring_used(&r), 1000);
	assert_int_equal(put(&r, CAP), CAP - 1000);
	nb_ring_space(&r, &len);
	assert_int_equal(len, 0);
	check_in_flight(&r);
	nb_ring_free(&r);
	nb_ring_free(&r);
}

static void t_wraps_without_overwriting(void **state)
{
	struct nb_ring r;
	uint64_t total = 0;

	(void)state;
	assert_int_equal(nb_ring_init(&r, CAP), 0);
	/* Odd-sized writes and releases, many times round the ring. */
	for (int i = 0; i < 2000; i++) {
		total += put(&r, 7777 + (size_t)(i % 13) * 311);
		check_in_flight(&r);
		assert_true(nb_ring_used(&r) <= CAP);
		assert_int_equal(nb_ring_release(&r, nb_ring_used(&r) / 2 + 1),
				 0);
	}
	assert_true(total > 20 * (uint64_t)CAP);
	assert_int_equal(r.head, total);
	nb_ring_free(&r);
}

static void t_space_is_contiguous_to_the_end(void **state)
{
	struct nb_ring r;
	size_t len;
	uint8_t *p;

	(void)state;
	assert_int_equal(nb_ring_init(&r, CAP), 0);
	assert_int_equal(put(&r, CAP - 100), CAP - 100);
	assert_int_equal(nb_ring_release(&r, 5000), 0);
	/* 100 bytes before the end, then 5000 from the start. */
	p = nb_ring_space(&r, &len);
	assert_ptr_equal(p, r.buf + CAP - 100);
	assert_int_equal(len, 100);
	assert_int_equal(put(&r, 100), 100);
	p = nb_ring_space(&r, &len);
	assert_ptr_equal(p, r.buf);
	assert_int_equal(len, 5000);
	nb_ring_free(&r);
}

static void t_over_release_refused(void **state)
{
	struct nb_ring r;

	(void)state;
	assert_int_equal(nb_ring_init(&r, CAP), 0);
	assert_int_equal(put(&r, 10), 10);
	assert_int_equal(nb_ring_release(&r, 11), -EINVAL);
	assert_int_equal(nb_ring_used(&r), 10);
	assert_int_equal(nb_ring_release(&r, 10), 0);
	assert_int_equal(nb_ring_used(&r), 0);
	assert_int_equal(nb_ring_init(&r, 0), -EINVAL);
	nb_ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_fill_and_full),
		cmocka_unit_test(t_wraps_without_overwriting),
		cmocka_unit_test(t_space_is_contiguous_to_the_end),
		cmocka_unit_test(t_over_release_refused),
	};

	return cmocka_run_group_tests_name("body_ring", tests, NULL, NULL);
}
