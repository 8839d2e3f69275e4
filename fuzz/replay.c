/* netbench fuzz targets without libFuzzer: feeds every regular file of the
 * directories (or files) named on the command line to
 * LLVMFuzzerTestOneInput, once each, in name order. Exits 0 when all were
 * fed (a crash aborts the process, under sanitizers or not), 1 when a path
 * cannot be read or a directory holds no input at all. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads a whole file; NULL on error (message printed). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *b = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!b) {
				free(buf);
				fclose(f);
				fprintf(stderr, "replay: out of memory\n");
				return NULL;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int feed_file(const char *path)
{
	size_t len;
	uint8_t *buf = slurp(path, &len);

	if (!buf)
		return -1;
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* Every regular file of dir; returns how many, or -1. */
static long feed_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	long fed = 0;
	int rv = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (!rv && !stat(path, &st) && S_ISREG(st.st_mode)) {
			if (feed_file(path))
				rv = -1;
			else
				fed++;
		}
		free(names[i]);
	}
	free(names);
	return rv ? -1 : fed;
}

int main(int argc, char **argv)
{
	long total = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? feed_dir(argv[i])
					: (feed_file(argv[i]) ? -1 : 1);
		if (n <= 0) {
			if (!n)
				fprintf(stderr, "replay: %s: no input\n", argv[i]);
			return 1;
		}
		total += n;
	}
	printf("replay: %ld input%s, no crash\n", total, total == 1 ? "" : "s");
	return 0;
}
