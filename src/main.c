/* netbench: entry point, subcommand dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
	"usage: netbench COMMAND [OPTIONS]\n"
	"\n"
	"  list [--json]            profiles, protocols, directions, and what this machine can run\n"
	"  run  [-p PROFILE,..] [-P PROTO,..] [-d DIR,..] [--loss PCT] [-n REPLICATES]\n"
	"       [--duration S | --size BYTES] [--emulator auto|netem|userspace]\n"
	"       [--seed N] [--fail-env-changed] [--forever] [--no-baseline]\n"
	"       [-o DIR] [--compare BASE [--threshold PCT]]\n"
	"       [--server netbench|caddy|nghttpd|gtlsserver|iperf3|cmd:TEMPLATE]\n"
	"       [--client netbench|curl|gtlsclient|chromium|iperf3|cmd:TEMPLATE]\n"
	"  serve --proto PROTO --listen ADDR:PORT [--ready-fd FD] [--cert PEM --key PEM]\n"
	"        [--cc cubic|reno|bbr|bbr2] [--results-file PATH]\n"
	"  link -p PROFILE [--loss PCT] [--emulator auto|netem|userspace] [--seed N]\n"
	"       [--loss-packets N] [--measure S]\n"
	"  compare BASE NEW [--threshold PCT] [--alpha A]\n"
	"                           two runs' results.json (or directories), per case\n"
	"\n"
	"Seed aliases: --network_type = -p, --pkt_loss_rate = --loss.\n"
	"Exit codes: 0 ok, 1 a case failed or regressed, 2 bad usage or\n"
	"input, 3 environment changed (with --fail-env-changed), 4 nothing ran,\n"
	"130 interrupted.\n";

void nb_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("netbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"list", nb_cmd_list},
		{"run", nb_cmd_run},
		{"serve", nb_cmd_serve},
		{"link", nb_cmd_link},
		{"compare", nb_cmd_compare},
	};

	if (argc < 2) {
		fputs(usage, stderr);
		return NB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return NB_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	}
	nb_errorf("unknown command '%s' (valid: list, run, serve, link, compare)", argv[1]);
	return NB_EXIT_USAGE;
}
