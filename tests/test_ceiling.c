/* Tests for ceiling.c: every framing's ceiling against the figures its
 * derivation gives by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ceiling.h"

#define M100 100000000ULL

static void t_tcp(void **state)
{
	(void)state;
	/* MTU 1500 with timestamps: 1448 of 1514 bytes. */
	assert_float_equal(nb_ceiling_tcp_bps(M100, 1460), 1e8 * 1448 / 1514, 1e-3);
	assert_float_equal(nb_ceiling_bps(NB_FRAMING_TCP, M100, NB_DOWNLOAD),
			   1e8 * 1448 / 1514, 1e-3);
	/* The seed's iperf3 -M 1240: 1228 of 1294. */
	assert_float_equal(nb_ceiling_bps(NB_FRAMING_TCP_BASELINE, M100, NB_UPLOAD),
			   1e8 * 1228 / 1294, 1e-3);
}

static void t_http(void **state)
{
	double tcp = 1e8 * 1448 / 1514;

	(void)state;
	/* TLS 1.3 records: 16384 of 16406 bytes. */
	assert_float_equal(nb_ceiling_bps(NB_FRAMING_H1, M100, NB_DOWNLOAD),
			   tcp * 16384 / 16406, 1e-3);
	/* + HTTP/2 DATA frames: 16384 of 16393. */
	assert_float_equal(nb_ceiling_bps(NB_FRAMING_H2, M100, NB_UPLOAD),
			   tcp * 16384 / 16406 * 16384 / 16393, 1e-3);
	/* The figures ceiling.c's comment quotes. */
	assert_int_equal((long)(nb_ceiling_bps(NB_FRAMING_H1, M100, NB_UPLOAD) / 1e3),
			 95512);
	assert_int_equal((long)(nb_ceiling_bps(NB_FRAMING_H2, M100, NB_UPLOAD) / 1e3),
			 95459);
}

static void t_h3(void **state)
{
	(void)state;
	/* 1452-byte UDP payloads in 1494-byte frames; 19 bytes of short
	 * header + tag, 8 of STREAM header; DATA frames of 16384 + 5. */
	for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++)
		assert_float_equal(nb_ceiling_bps(NB_FRAMING_H3, M100, (enum nb_dir)d),
				   1e8 * 1425 / 1494 * 16384 / 16389, 1e-3);
	assert_int_equal((long)(nb_ceiling_bps(NB_FRAMING_H3, M100, NB_DOWNLOAD) / 1e3),
			 95352);
}

static void t_order_and_scale(void **state)
{
	(void)state;
	/* Each layer costs something: tcp > h1 > h2; no rate, no ceiling;
	 * ceilings scale with the rate. */
	assert_true(nb_ceiling_bps(NB_FRAMING_TCP, M100, NB_DOWNLOAD) >
		    nb_ceiling_bps(NB_FRAMING_H1, M100, NB_DOWNLOAD));
	assert_true(nb_ceiling_bps(NB_FRAMING_H1, M100, NB_DOWNLOAD) >
		    nb_ceiling_bps(NB_FRAMING_H2, M100, NB_DOWNLOAD));
	for (int f = NB_FRAMING_TCP_BASELINE; f <= NB_FRAMING_H3; f++) {
		double c10 = nb_ceiling_bps((enum nb_framing)f, 10000000, NB_DOWNLOAD);

		assert_float_equal(nb_ceiling_bps((enum nb_framing)f, 0, NB_DOWNLOAD),
				   0, 0);
		assert_float_equal(nb_ceiling_bps((enum nb_framing)f, M100, NB_DOWNLOAD),
				   10 * c10, 1e-3);
		assert_true(c10 > 0.9e7 && c10 < 1e7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_tcp),
		cmocka_unit_test(t_http),
		cmocka_unit_test(t_h3),
		cmocka_unit_test(t_order_and_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
