/* Fuzz target: `netbench run`'s command line (run_opts.c). The input is
 * split into arguments at NUL and newline bytes; argv[0] is "run". The
 * parser only parses: nothing runs. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "run_opts.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct run_opts o = {.replicates = 5, .duration = 10.0};
	int argc = 0;
	size_t start = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "run";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i < size && copy[i] != '\0' && copy[i] != '\n')
			continue;
		copy[i] = '\0';
		/* An empty line between two is an empty argument, as "" is;
		 * a trailing newline makes none. */
		if (i > start || i < size)
			argv[argc++] = copy + start;
		start = i + 1;
	}
	argv[argc] = NULL;
	nb_run_parse_opts(argc, argv, &o);
	free(copy);
	return 0;
}
