/* Fuzz target: profile names (profile.c: nb_profile_find with its seed
 * spellings) and `-p` lists (run_opts.c: comma-split, each looked up).
 * netbench has no profile file: the profiles are the compiled table of
 * src/profiles.def. The input is the text of one -p argument. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "profile.h"
#include "run_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1);
	const struct nb_profile *p;
	struct run_opts o = {.replicates = 5, .duration = 10.0};
	char *argv[] = {"run", "-p", name, NULL};

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';        /* a NUL inside ends the name early */
	p = nb_profile_find(name);
	if (p) {
		/* Whatever is found must be a profile of the table. */
		if (p->name == NULL || nb_profile_find(p->name) != p)
			abort();
		(void)nb_profile_netem_limit(p);
		(void)nb_profile_transfer_bytes(p, 10.0);
	}
	nb_run_parse_opts(3, argv, &o);
	for (size_t i = 0; i < o.nprofiles; i++) {
		if (!o.profiles[i])
			abort();
	}
	free(name);
	return 0;
}
