/* netbench: helpers shared by the unit tests (tests/testutil.c). */
#ifndef NB_TESTUTIL_H
#define NB_TESTUTIL_H

#include <stddef.h>

/* Number of open fds of the process (the scan's own fd excluded), or -1. */
int nb_test_count_fds(void);

/* How many fds of the process point to the network namespace
 * net:[netns_inode], or -1. */
int nb_test_fds_holding(unsigned long netns_inode);

/* 0 when the process can create network namespaces (nb_can_build_links(),
 * then one nb_netns_new() in this thread); else prints
 * "<name>: skipped: <reason>" on stderr and returns 77, the exit code meson
 * reads as a skip: `if ((rv = nb_test_require_links("x"))) return rv;`. */
int nb_test_require_links(const char *name);

/* The whole file, malloc'd and NUL-terminated, its length into *len (may
 * be NULL); NULL if it cannot be read. */
char *nb_test_slurp(const char *path, size_t *len);

#endif
