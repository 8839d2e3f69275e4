/* netbench: internals of the environment guard (envcheck.h), shared by
 * envcheck.c (compare, report, restore) and envcheck_proc.c (collect from
 * /proc and netlink). Not an API of libnetbench: nothing else includes it.
 */
#ifndef NB_ENVCHECK_PROC_H
#define NB_ENVCHECK_PROC_H

#include "envcheck.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Orders items by their key: (kind, id, id2), plus desc for fds (target),
 * qdiscs, temp files (path; descending, so that what is inside a directory
 * comes before it) and listening sockets. For qsort/bsearch. */
int nb_envp_cmp(const void *a, const void *b);

/* Appends the items of one kind to s (NB_ENV_CHILD and NB_ENV_ZOMBIE: both
 * kinds). tmpdir is used by NB_ENV_TEMPFILE only (NULL = none).
 * Errors: -ENOMEM, negative errno when /proc or netlink cannot be read,
 * -EINVAL for an unknown kind. */
int nb_envp_collect(struct nb_env_snapshot *s, enum nb_env_kind kind,
		    const char *tmpdir);

/* readlinkat() into buf, NUL-terminated, truncated to size (> 0).
 * Errors: the negative errno of readlinkat(). */
int nb_envp_link(int dfd, const char *path, char *buf, size_t size);

/* The inode of the network namespace behind an ns link ("net:[N]").
 * Errors: negative errno of readlink, -EINVAL if it is no netns link. */
long long nb_envp_ns_inode(const char *path);

/* 0 and the state letter ('Z' for a zombie) if pid is a child of this
 * process; -ESRCH if it is not (or no longer). */
int nb_envp_child_state(pid_t pid, char *state);

/* The first fd listed in dir (a /proc/P/fd directory) whose link target is
 * `want`, or -1 (none, or dir unreadable). */
int nb_envp_find_fd(const char *dir, const char *want);

/* Deletes the qdisc of an NB_ENV_QDISC item in the calling thread's netns.
 * Errors: -ENOMEM, -ENOENT, -EPERM, -EIO (libnl errors mapped). */
int nb_envp_qdisc_delete(const struct nb_env_item *it);

#endif
