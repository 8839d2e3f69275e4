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

/* Whether the process may build links (CAP_NET_ADMIN and CAP_SYS_ADMIN,
 * and unshare(CLONE_NEWNET) works). 0, or -EPERM with the reason. */
int nb_can_build_links(void);

#endif
