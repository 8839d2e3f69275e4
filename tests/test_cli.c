/* Unit tests of src/cli.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "error.h"

static void t_numbers(void **state)
{
	unsigned long long u;
	double d;

	(void)state;
	assert_int_equal(nb_parse_double("--loss", "1.5", 0, 100, &d), 0);
	assert_float_equal(d, 1.5, 0);
	assert_int_equal(nb_parse_double("--loss", "101", 0, 100, &d), -EINVAL);
	assert_string_equal(nb_lasterr(), "--loss: '101' is not a number from 0 to 100");
	assert_int_equal(nb_parse_double("--loss", "-1", 0, 100, &d), -EINVAL);
	assert_int_equal(nb_parse_double("--loss", "nan", 0, 100, &d), -EINVAL);
	assert_int_equal(nb_parse_double("--loss", "1x", 0, 100, &d), -EINVAL);
	assert_int_equal(nb_parse_double("--loss", "", 0, 100, &d), -EINVAL);
	assert_int_equal(nb_parse_uint("-n", "5", 1, 100, &u), 0);
	assert_int_equal(u, 5);
	assert_int_equal(nb_parse_uint("-n", "0", 1, 100, &u), -EINVAL);
	assert_int_equal(nb_parse_uint("-n", "-3", 1, 100, &u), -EINVAL);
	assert_int_equal(nb_parse_uint("-n", "99999999999999999999999", 1, 100, &u), -EINVAL);
}

static void t_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(nb_parse_size("--size", "1000", &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(nb_parse_size("--size", "10M", &v), 0);
	assert_int_equal(v, 10000000);
	assert_int_equal(nb_parse_size("--size", "64MiB", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(nb_parse_size("--size", "1.5k", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(nb_parse_size("--size", "0", &v), -EINVAL);
	assert_int_equal(nb_parse_size("--size", "-5", &v), -EINVAL);
	assert_int_equal(nb_parse_size("--size", "2TiB", &v), -EINVAL);
	assert_int_equal(nb_parse_size("--size", "10Q", &v), -EINVAL);
	assert_int_equal(nb_parse_size("--size", "0.5", &v), -EINVAL);
}

static void t_hostport(void **state)
{
	char addr[64];
	uint16_t port;

	(void)state;
	assert_int_equal(nb_parse_hostport("--listen", "10.77.0.2:5201", addr,
					   sizeof(addr), &port), 0);
	assert_string_equal(addr, "10.77.0.2");
	assert_int_equal(port, 5201);
	assert_int_equal(nb_parse_hostport("--listen", "10.77.0.2", addr,
					   sizeof(addr), &port), -EINVAL);
	assert_int_equal(nb_parse_hostport("--listen", "host:80", addr,
					   sizeof(addr), &port), -EINVAL);
	assert_int_equal(nb_parse_hostport("--listen", "1.2.3.4:0", addr,
					   sizeof(addr), &port), -EINVAL);
	assert_int_equal(nb_parse_hostport("--listen", "1.2.3.4:65536", addr,
					   sizeof(addr), &port), -EINVAL);
}

static void t_link_options(void **state)
{
	const struct option opts[] = {NB_CLI_LINK_OPTIONS, {"x", 0, NULL, 'x'},
				      {NULL, 0, NULL, 0}};
	char *argv[] = {"link", "--pkt_loss_rate", "2.5", "--emulator",
			"userspace", "--seed", "7", "-x", "extra", NULL};
	const char *emu = NULL;
	double loss = -1;
	uint64_t seed = 0;
	int c, taken = 0, other = 0;

	(void)state;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(9, argv, ":x", opts, NULL)) != -1) {
		int rv = nb_cli_link_option(c, optarg, &loss, &emu, &seed);

		assert_true(rv >= 0);
		taken += rv;
		other += !rv;
	}
	assert_int_equal(taken, 3);
	assert_int_equal(other, 1);                   /* -x is not ours */
	assert_true(loss == 2.5);
	assert_string_equal(emu, "userspace");
	assert_int_equal(seed, 7);
	assert_int_equal(nb_getopt_done(9, argv), -EINVAL);
	assert_string_equal(nb_lasterr(), "unexpected argument 'extra'");

	assert_int_equal(nb_cli_link_option(NB_OPT_LOSS, "101", &loss, &emu,
					    &seed), -EINVAL);
	assert_int_equal(nb_cli_link_option(NB_OPT_EMULATOR, "magic", &loss,
					    &emu, &seed), -EINVAL);
	assert_string_equal(nb_lasterr(), "--emulator: unknown emulator "
			    "'magic' (valid: auto, netem, userspace)");
	assert_string_equal(emu, "userspace");        /* unchanged */
}

static void t_getopt_error(void **state)
{
	char *argv[] = {"run", "--bogus", "--loss", NULL};

	(void)state;
	optind = 2;                     /* as getopt_long leaves it */
	assert_int_equal(nb_getopt_error('?', argv, "see netbench --help"),
			 -EINVAL);
	assert_string_equal(nb_lasterr(), "unknown option '--bogus' (see "
			    "netbench --help)");
	nb_getopt_error('?', argv, NULL);
	assert_string_equal(nb_lasterr(), "unknown option '--bogus'");
	optind = 3;
	nb_getopt_error(':', argv, NULL);
	assert_string_equal(nb_lasterr(), "option --loss needs a value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_numbers),
		cmocka_unit_test(t_sizes),
		cmocka_unit_test(t_hostport),
		cmocka_unit_test(t_link_options),
		cmocka_unit_test(t_getopt_error),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
