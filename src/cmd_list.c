/* netbench: `netbench list [--json]`: profiles, protocols, directions, and
 * what this machine can run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "ext.h"
#include "peer.h"
#include "link.h"
#include "profile.h"
#include "proto.h"
#include "shaper.h"

/* Whether a recipe's program is in PATH. */
static bool installed(const struct nb_ext *e)
{
	char path[PATH_MAX];

	return !e->program || !nb_peer_which(e->program, path, sizeof(path));
}

int nb_cmd_list(int argc, char **argv)
{
	bool json = false, links, netem, userspace;
	const struct nb_link_backend *b = NULL;
	const char *why = "";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			nb_errorf("list: unknown argument '%s' (valid: --json)", argv[i]);
			return NB_EXIT_USAGE;
		}
	}
	links = nb_can_build_links() == 0;
	if (!links)
		why = nb_lasterr();
	netem = links && nb_shaper_netem_available();
	userspace = links && nb_link_backend_find("userspace")->probe() == 0;
	if (links)
		b = nb_link_backend_find("auto");
	if (json) {
		printf("{\"profiles\": [");
		for (size_t i = 0; i < nb_profile_count(); i++) {
			const struct nb_profile *p = nb_profile_at(i);

			printf("%s{\"name\": \"%s\", \"rate_bps\": %llu, \"rtt_ms\": %u, "
			       "\"bdp_bytes\": %llu, \"queue_packets\": %u}",
			       i ? ", " : "", p->name, (unsigned long long)p->rate_bps,
			       p->rtt_ms, (unsigned long long)nb_profile_bdp_bytes(p),
			       nb_profile_queue_packets(p));
		}
		printf("], \"protocols\": [");
		for (size_t i = 0; i < nb_proto_count(); i++)
			printf("%s\"%s\"", i ? ", " : "", nb_proto_at(i)->name);
		printf("], \"directions\": [\"download\", \"upload\"], "
		       "\"peers\": [");
		for (size_t i = 0; i < nb_ext_count(); i++) {
			const struct nb_ext *e = nb_ext_at(i);

			printf("%s{\"name\": \"%s\", \"end\": \"%s\", "
			       "\"protocols\": \"%s\", \"installed\": %s}",
			       i ? ", " : "", e->name,
			       e->side == NB_EXT_SERVER ? "server" : "client",
			       e->protos, installed(e) ? "true" : "false");
		}
		printf("], \"machine\": {\"links\": %s, \"netem\": %s, "
		       "\"userspace\": %s, \"auto\": \"%s\"}}\n",
		       links ? "true" : "false", netem ? "true" : "false",
		       userspace ? "true" : "false", b ? b->name : "");
		return NB_EXIT_OK;
	}
	printf("profiles:\n");
	for (size_t i = 0; i < nb_profile_count(); i++) {
		const struct nb_profile *p = nb_profile_at(i);

		if (p->rate_bps)
			printf("  %-12s %6g Mbit/s  RTT %3u ms  BDP %8llu B  queue %4u pkts\n",
			       p->name, p->rate_bps / 1e6, p->rtt_ms,
			       (unsigned long long)nb_profile_bdp_bytes(p),
			       nb_profile_queue_packets(p));
		else
			printf("  %-12s %s\n", p->name, p->notes);
	}
	printf("protocols:  ");
	for (size_t i = 0; i < nb_proto_count(); i++)
		printf("%s%s", i ? ", " : "", nb_proto_at(i)->name);
	printf("\ndirections: download, upload\n");
	printf("peers (run --server NAME / --client NAME, or cmd:TEMPLATE):\n");
	for (size_t i = 0; i < nb_ext_count(); i++) {
		const struct nb_ext *e = nb_ext_at(i);

		printf("  %-10s %-6s %-9s %s\n", e->name,
		       e->side == NB_EXT_SERVER ? "server" : "client", e->protos,
		       installed(e) ? "installed" : "not installed");
	}
	printf("this machine: links %s%s%s; emulators: netem %s, userspace %s; "
	       "auto = %s\n", links ? "yes" : "no", links ? "" : " - ", why,
	       netem ? "yes" : "no (no sch_netem)",
	       userspace ? "yes" : "no", b ? b->name : "none");
	return NB_EXIT_OK;
}
