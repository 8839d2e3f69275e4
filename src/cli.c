/* netbench: command-line helpers (see cli.h). */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "link.h"

int nb_parse_double(const char *opt, const char *s, double min, double max,
		    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max)
		return nb_fail(-EINVAL, "%s: '%s' is not a number from %g to %g",
			       opt, s, min, max);
	*out = v;
	return 0;
}

int nb_parse_uint(const char *opt, const char *s, unsigned long long min,
		  unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < min || v > max)
		return nb_fail(-EINVAL,
			       "%s: '%s' is not a whole number from %llu to %llu",
			       opt, s, min, max);
	*out = v;
	return 0;
}

int nb_parse_size(const char *opt, const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9},
		{"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
	};
	const double max = 1099511627776.0; /* 1 TiB */
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s && !errno && isfinite(v) && *s != '-') {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].suffix))
				continue;
			v *= units[i].mult;
			if (v >= 1 && v <= max && v == floor(v)) {
				*out = (uint64_t)v;
				return 0;
			}
		}
	}
	return nb_fail(-EINVAL,
		       "%s: '%s' is not a byte count from 1 to 1TiB "
		       "(e.g. 1000000, 10M, 64MiB)",
		       opt, s);
}

int nb_parse_hostport(const char *opt, const char *s, char *addr, size_t len,
		      uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	struct in_addr ia;
	unsigned long long p;
	char buf[64];

	if (!colon || (size_t)(colon - s) >= sizeof(buf) ||
	    (size_t)(colon - s) >= len)
		goto bad;
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	if (inet_pton(AF_INET, buf, &ia) != 1)
		goto bad;
	if (nb_parse_uint(opt, colon + 1, 1, 65535, &p))
		goto bad;
	snprintf(addr, len, "%s", buf);
	*port = (uint16_t)p;
	return 0;
bad:
	return nb_fail(-EINVAL, "%s: '%s' is not IPv4-ADDRESS:PORT (port 1-65535)",
		       opt, s);
}

int nb_can_build_links(void)
{
	char ok = 0;
	int p[2], status;
	pid_t pid;

	/* Try it for real in a throwaway child: capabilities may be there and
	 * still be refused (seccomp, user namespaces, ...). The answer comes
	 * through a pipe, not the exit status, which a wrapper such as
	 * valgrind may rewrite. */
	if (pipe2(p, O_CLOEXEC))
		return nb_fail(-errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return nb_fail(-errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		char r = unshare(CLONE_NEWNET) ? 'n' : 'y';

		if (write(p[1], &r, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	while (read(p[0], &ok, 1) < 0 && errno == EINTR)
		;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ok != 'y')
		return nb_fail(-EPERM,
			       "cannot create network namespaces "
			       "(needs root: CAP_SYS_ADMIN and CAP_NET_ADMIN)");
	return 0;
}

int nb_cli_link_option(int c, const char *arg, double *loss,
		       const char **emulator, uint64_t *seed)
{
	unsigned long long n;

	switch (c) {
	case NB_OPT_LOSS:
		return nb_parse_double("--loss", arg, 0, 100, loss) ? -EINVAL : 1;
	case NB_OPT_EMULATOR:
		if (!nb_link_backend_find(arg))
			return nb_fail(-EINVAL, "--emulator: %s", nb_lasterr());
		*emulator = arg;
		return 1;
	case NB_OPT_SEED:
		if (nb_parse_uint("--seed", arg, 0, UINT64_MAX, &n))
			return -EINVAL;
		*seed = n;
		return 1;
	default:
		return 0;
	}
}

int nb_getopt_error(int c, char *const argv[], const char *hint)
{
	if (c == ':')
		return nb_fail(-EINVAL, "option %s needs a value",
			       argv[optind - 1]);
	return nb_fail(-EINVAL, "unknown option '%s'%s%s%s", argv[optind - 1],
		       hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
}

int nb_getopt_done(int argc, char *const argv[])
{
	if (optind < argc)
		return nb_fail(-EINVAL, "unexpected argument '%s'",
			       argv[optind]);
	return 0;
}
