/* netbench: helpers shared by the unit tests (see testutil.h). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "netns.h"
#include "undo.h"

#define SKIP 77

int nb_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

int nb_test_fds_holding(unsigned long netns_inode)
{
	char want[64], tgt[64];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	ssize_t n;
	int hits = 0;

	if (!d)
		return -1;
	snprintf(want, sizeof(want), "net:[%lu]", netns_inode);
	while ((e = readdir(d))) {
		n = readlinkat(dirfd(d), e->d_name, tgt, sizeof(tgt) - 1);
		if (n <= 0)
			continue;
		tgt[n] = '\0';
		hits += !strcmp(tgt, want);
	}
	closedir(d);
	return hits;
}

int nb_test_require_links(const char *name)
{
	struct nb_undo u;
	int rv;

	rv = nb_can_build_links();
	if (rv == 0) {
		/* The library's own way in: it also needs the way back into
		 * this thread's namespace, which a forked unshare() does not
		 * try. */
		nb_undo_init(&u);
		rv = nb_netns_new(&u);
		nb_undo_unwind(&u);
	}
	if (rv < 0) {
		fprintf(stderr, "%s: skipped: %s\n", name, nb_lasterr());
		return SKIP;
	}
	return 0;
}

char *nb_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}
