/* Unit tests of src/profile.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "error.h"
#include "profile.h"

static void t_table(void **state)
{
	static const char *const names[] = {"unthrottled", "1M_400ms", "10M_40ms",
					    "100M_40ms", "300M_40ms", "300M_80ms"};
	(void)state;
	assert_int_equal(nb_profile_count(), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(nb_profile_at(i)->name, names[i]);
	assert_null(nb_profile_at(6));
	assert_int_equal(nb_profile_find("300M_80ms")->rate_bps, 300000000);
	assert_int_equal(nb_profile_find("300M_80ms")->rtt_ms, 80);
	assert_int_equal(nb_profile_find("unthrottled")->rate_bps, 0);
}

static void t_lookup(void **state)
{
	(void)state;
	assert_ptr_equal(nb_profile_find("10m_40MS"), nb_profile_find("10M_40ms"));
	assert_ptr_equal(nb_profile_find("10Mbit_40ms"), nb_profile_find("10M_40ms"));
	assert_ptr_equal(nb_profile_find("none"), nb_profile_find("unthrottled"));
	assert_null(nb_profile_find("nosuch"));
	assert_null(nb_profile_find(""));
	assert_null(nb_profile_find(NULL));
	assert_null(nb_profile_find("10M_41ms"));
}

static void t_names(void **state)
{
	char buf[256];

	(void)state;
	nb_profile_names(buf, sizeof(buf));
	assert_string_equal(buf, "unthrottled, 1M_400ms, 10M_40ms, 100M_40ms, "
				 "300M_40ms, 300M_80ms");
}

static void t_parse(void **state)
{
	const struct nb_profile *p = NULL;

	(void)state;
	assert_int_equal(nb_profile_parse("-p", "10Mbit_40ms", &p), 0);
	assert_string_equal(p->name, "10M_40ms");
	assert_int_equal(nb_profile_parse("-p", "10M_41ms", &p), -EINVAL);
	assert_null(p);
	assert_string_equal(nb_lasterr(), "-p: unknown profile '10M_41ms' "
			    "(valid: unthrottled, 1M_400ms, 10M_40ms, 100M_40ms, "
			    "300M_40ms, 300M_80ms)");
	assert_int_equal(nb_profile_parse(NULL, "", &p), -EINVAL);
	assert_string_equal(nb_lasterr(), "unknown profile '' (valid: "
			    "unthrottled, 1M_400ms, 10M_40ms, 100M_40ms, "
			    "300M_40ms, 300M_80ms)");
}

static void t_bdp_queue(void **state)
{
	const struct nb_profile *p = nb_profile_find("300M_80ms");

	(void)state;
	/* 300 Mbit x 80 ms = 3 MB; 3e6 / 1514 = 1981.5 -> 1982 packets. */
	assert_int_equal(nb_profile_bdp_bytes(p), 3000000);
	assert_int_equal(nb_profile_queue_packets(p), 1982);
	/* + the 40 ms delay line: 1.5 MB = 991 packets. */
	assert_int_equal(nb_profile_netem_limit(p), 1982 + 991);
	p = nb_profile_find("1M_400ms");
	assert_int_equal(nb_profile_bdp_bytes(p), 50000);
	assert_int_equal(nb_profile_queue_packets(p), 34);
	/* 34 + the 200 ms delay line: 25 kB = 17 packets. */
	assert_int_equal(nb_profile_netem_limit(p), 34 + 17);
	p = nb_profile_find("unthrottled");
	assert_int_equal(nb_profile_bdp_bytes(p), 0);
	assert_int_equal(nb_profile_queue_packets(p), 0);
}

static void t_sizes(void **state)
{
	(void)state;
	assert_int_equal(nb_profile_transfer_bytes(nb_profile_find("10M_40ms"), 3), 3750000);
	/* Unthrottled is sized as if 1000 Mbit/s. */
	assert_int_equal(nb_profile_transfer_bytes(nb_profile_find("unthrottled"), 1), 125000000);
	/* The seed's 60 s at 1 Mbit. */
	assert_int_equal(nb_profile_transfer_bytes(nb_profile_find("1M_400ms"), 60), 7500000);
	assert_int_equal(nb_profile_transfer_bytes(nb_profile_find("1M_400ms"), 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_table),   cmocka_unit_test(t_lookup),
		cmocka_unit_test(t_names),   cmocka_unit_test(t_bdp_queue),
		cmocka_unit_test(t_sizes),   cmocka_unit_test(t_parse),  
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
