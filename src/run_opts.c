/* netbench: the options of `netbench run` (see run_opts.h). */
#include "run_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "fx_case.h"
#include "link.h"


/* Splits a comma list and resolves each item; returns -EINVAL with the
 * message of the failing item. */
static int parse_list(const char *opt, const char *arg, struct run_opts *o, int which)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	size_t before = o->nprofiles + o->nprotos + o->ndirs;
	int rv = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (which == 'p') {
			const struct nb_profile *p;

			rv = nb_profile_parse(opt, tok, &p);
			if (rv)
				break;
			if (o->nprofiles < MAX_SEL)
				o->profiles[o->nprofiles++] = p;
		} else if (which == 'P') {
			const struct nb_proto *p = nb_proto_find(tok);

			if (!p) {
				rv = nb_fail(-EINVAL, "%s: %s", opt, nb_lasterr());
				break;
			}
			if (o->nprotos < MAX_SEL)
				o->protos[o->nprotos++] = p;
		} else {
			enum nb_dir d;

			rv = nb_dir_parse(tok, &d);
			if (rv) {
				rv = nb_fail(-EINVAL, "%s: %s", opt, nb_lasterr());
				break;
			}
			if (o->ndirs < 2)
				o->dirs[o->ndirs++] = d;
		}
	}
	if (!rv && o->nprofiles + o->nprotos + o->ndirs == before)
		rv = nb_fail(-EINVAL, "%s: empty list", opt);
	free(copy);
	return rv;
}

int nb_run_parse_opts(int argc, char **argv, struct run_opts *o)
{
	enum { O_DURATION = 256, O_SIZE, O_FEC, O_NOFEC, O_FOREVER, O_COMPARE,
	       O_THRESHOLD, O_NOBASE, O_SERVER, O_CLIENT };
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"network_type", required_argument, NULL, 'p'},
		{"proto", required_argument, NULL, 'P'},
		{"direction", required_argument, NULL, 'd'},
		{"replicates", required_argument, NULL, 'n'},
		NB_CLI_LINK_OPTIONS,
		{"duration", required_argument, NULL, O_DURATION},
		{"size", required_argument, NULL, O_SIZE},
		{"fail-env-changed", no_argument, NULL, O_FEC},
		{"no-fail-env-changed", no_argument, NULL, O_NOFEC},
		{"forever", no_argument, NULL, O_FOREVER},
		{"output", required_argument, NULL, 'o'},
		{"compare", required_argument, NULL, O_COMPARE},
		{"threshold", required_argument, NULL, O_THRESHOLD},
		{"no-baseline", no_argument, NULL, O_NOBASE},
		{"server", required_argument, NULL, O_SERVER},
		{"client", required_argument, NULL, O_CLIENT},
		{NULL, 0, NULL, 0},
	};
	unsigned long long n;
	bool have_duration = false, have_threshold = false;
	int c;

	opterr = 0;
	optind = 0;     /* getopt_long starts afresh on every call */
	while ((c = getopt_long(argc, argv, ":p:P:d:n:o:", opts, NULL)) != -1) {
		int taken = nb_cli_link_option(c, optarg, &o->loss,
					       &o->emulator, &o->seed);

		if (taken < 0)
			return taken;
		if (taken)
			continue;
		switch (c) {
		case 'p':
		case 'P':
		case 'd':
			if (parse_list(c == 'p' ? "-p" : c == 'P' ? "-P" : "-d",
				       optarg, o, c))
				return -EINVAL;
			break;
		case 'n':
			if (nb_parse_uint("-n", optarg, 1, NB_MAX_REPLICATES, &n))
				return -EINVAL;
			o->replicates = (unsigned)n;
			break;
		case O_DURATION:
			if (nb_parse_double("--duration", optarg, 0.1, 3600, &o->duration))
				return -EINVAL;
			have_duration = true;
			break;
		case O_SIZE:
			if (nb_parse_size("--size", optarg, &o->size))
				return -EINVAL;
			break;
		case O_FEC:
			o->fail_env_changed = true;
			break;
		case O_NOFEC:
			o->fail_env_changed = false;
			break;
		case O_FOREVER:
			o->forever = true;
			break;
		case 'o':
			if (!*optarg)
				return nb_fail(-EINVAL, "-o: empty directory name");
			o->out_dir = optarg;
			break;
		case O_COMPARE:
			o->compare = optarg;
			break;
		case O_THRESHOLD:
			if (nb_parse_double("--threshold", optarg, 0, 100,
					    &o->threshold))
				return -EINVAL;
			have_threshold = true;
			break;
		case O_NOBASE:
			o->no_baseline = true;
			break;
		case O_SERVER:
		case O_CLIENT:
			if (nb_ext_parse(c == O_SERVER ? NB_EXT_SERVER : NB_EXT_CLIENT,
					 optarg, c == O_SERVER ? &o->server
							       : &o->client))
				return -EINVAL;
			break;
		default:
			return nb_getopt_error(c, argv, "see netbench --help");
		}
	}
	if (nb_getopt_done(argc, argv))
		return -EINVAL;
	if (have_duration && o->size)
		return nb_fail(-EINVAL, "--duration and --size exclude each other");
	if (have_threshold && !o->compare)
		return nb_fail(-EINVAL, "--threshold needs --compare BASE");
	if (o->nprotos && (o->server.ext || o->client.ext)) {
		for (size_t i = 0; i < o->nprotos; i++) {
			int rv = nb_ext_check(&o->server, &o->client, o->protos[i]);

			if (rv == -EINVAL)
				return rv;
		}
	}
	if (nb_ext_check(&o->server, &o->client, NULL) == -EINVAL)
		return -EINVAL;
	if (o->server.ext || o->client.ext) {
		size_t common = 0;

		for (size_t i = 0; i < nb_proto_count(); i++)
			common += nb_ext_check(&o->server, &o->client,
					       nb_proto_at(i)) != -EINVAL;
		if (!common)
			return nb_fail(-EINVAL, "--server %s and --client %s "
				       "have no protocol in common",
				       nb_ext_label(&o->server),
				       nb_ext_label(&o->client));
	}
	if (o->forever && (o->out_dir || o->compare))
		return nb_fail(-EINVAL, "--forever runs until something fails: "
			       "it writes no results (-o) and compares nothing "
			       "(--compare)");
	return 0;
}
