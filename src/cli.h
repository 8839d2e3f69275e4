/* netbench: command-line helpers shared by the subcommands.
 *
 * Every parser prints nothing: it returns -EINVAL with nb_lasterr() set to
 * one line naming the option, the value and what is accepted. */
#ifndef NB_CLI_H
#define NB_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes (DESIGN §8). */
enum {
	NB_EXIT_OK = 0,
	NB_EXIT_FAIL = 1,
	NB_EXIT_USAGE = 2,
	NB_EXIT_ENV_CHANGED = 3,
	NB_EXIT_NOTHING_RAN = 4,
	NB_EXIT_INTERRUPTED = 130,
};

/* A number in [min, max]. */
int nb_parse_double(const char *opt, const char *s, double min, double max,
		    double *out);
int nb_parse_uint(const char *opt, const char *s, unsigned long long min,
		  unsigned long long max, unsigned long long *out);

/* A byte count: 123, 10k/10M/10G (10^3..), 10KiB/10MiB/10GiB (2^10..). */
int nb_parse_size(const char *opt, const char *s, uint64_t *out);

/* ADDR:PORT with an IPv4 literal. `addr` gets the address part. */
int nb_parse_hostport(const char *opt, const char *s, char *addr, size_t len,
		      uint16_t *port);

/* --- getopt_long(3) ------------------------------------------------------ */

/* The options `run` and `link` share, for their getopt_long tables, with
 * the seed's alias --pkt_loss_rate; nb_cli_link_option() takes them. */
enum { NB_OPT_LOSS = 0x1000, NB_OPT_EMULATOR, NB_OPT_SEED };
#define NB_CLI_LINK_OPTIONS                                                    \
	{"loss", required_argument, NULL, NB_OPT_LOSS},                        \
	{"pkt_loss_rate", required_argument, NULL, NB_OPT_LOSS},               \
	{"emulator", required_argument, NULL, NB_OPT_EMULATOR},                \
	{"seed", required_argument, NULL, NB_OPT_SEED}

/* Takes option c (what getopt_long returned) with its value arg if it is
 * one of NB_CLI_LINK_OPTIONS: --loss PCT in [0, 100] into *loss,
 * --emulator NAME (a link backend, link.h) into *emulator, --seed N into
 * *seed. Returns 1 when taken, 0 when c is not a link option, -EINVAL on
 * a bad value. */
int nb_cli_link_option(int c, const char *arg, double *loss,
		       const char **emulator, uint64_t *seed);

/* The one-line error for what getopt_long returned on a problem, with an
 * optstring that starts with ':': c == ':' is a missing value, anything
 * else an unknown option, followed by " (hint)" when hint is not NULL.
 * argv as given to getopt_long. Returns -EINVAL. */
int nb_getopt_error(int c, char *const argv[], const char *hint);

/* -EINVAL ("unexpected argument 'X'") when getopt_long left an operand at
 * argv[optind], else 0. */
int nb_getopt_done(int argc, char *const argv[]);

/* Whether the process may build links (CAP_NET_ADMIN and CAP_SYS_ADMIN,
 * and unshare(CLONE_NEWNET) works). 0, or -EPERM with the reason. */
int nb_can_build_links(void);

#endif
