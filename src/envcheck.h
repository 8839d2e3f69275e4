/* netbench: the environment guard (DESIGN §7), the spirit of CPython's
 * regrtest --fail-env-changed.
 *
 * Before a case, nb_env_snapshot() records what the process and the host
 * namespace hold; after the case's teardown nb_env_check() takes another
 * snapshot, reports every difference in the regrtest style, names the origin
 * of each leaked item from the case's undo stack (undo.h), restores it, and
 * returns how many items had changed. The caller marks the case ENV_CHANGED
 * (distinct from FAILED) when that count is not 0.
 *
 * What is compared:
 *   threads of the process (tid, name)            NB_ENV_THREAD
 *   child processes, alive                        NB_ENV_CHILD
 *   child processes, zombies                      NB_ENV_ZOMBIE
 *   open fds (with their readlink target)         NB_ENV_FD
 *   qdiscs in the host namespace                  NB_ENV_QDISC
 *   network namespaces held by the process, its
 *   threads or its children, and /run/netns       NB_ENV_NETNS
 *   files under the case's temp directory         NB_ENV_TEMPFILE
 *   listening sockets in the host namespace       NB_ENV_LISTEN
 *
 * Fds exclude the fd the guard lists /proc/self/fd with, and nsfs fds of
 * network namespaces ("net:[N]"): those show as NB_ENV_NETNS "held by fd N"
 * instead, so that one leaked namespace is one line. Threads and netns that
 * are new in the second snapshot are re-checked for a few tens of ms, so
 * that a thread joined just before the check (still on its way out in the
 * kernel) is not reported. Collection and helpers: envcheck_proc.c.
 *
 * "Host namespace" is the namespace of the calling thread: call both
 * functions from a thread that has not entered a case namespace. The process
 * should be a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so that
 * orphaned grandchildren show up as children.
 */
#ifndef NB_ENVCHECK_H
#define NB_ENVCHECK_H

#include <stdio.h>

struct nb_undo;

enum nb_env_kind {
	NB_ENV_THREAD,
	NB_ENV_CHILD,
	NB_ENV_ZOMBIE,
	NB_ENV_FD,
	NB_ENV_QDISC,
	NB_ENV_NETNS,
	NB_ENV_TEMPFILE,
	NB_ENV_LISTEN,
	NB_ENV_NKINDS
};

struct nb_env_item {
	enum nb_env_kind kind;
	long long id;              /* tid, pid, fd, ifindex, ns inode, socket inode;
				    * temp file: 0, or 1 when the path did not
				    * fit in desc (then it is only removed with
				    * its nearest new ancestor directory) */
	unsigned long long id2;    /* qdisc: handle << 32 | parent; 0 otherwise */
	char desc[256];            /* name / target / path, for the report */
};

struct nb_env_snapshot {
	struct nb_env_item *items;
	size_t n, cap;
};

/* Takes a snapshot (of the items sorted by key; `s` need not be
 * initialized). tmpdir: the case's temp directory (NULL = not checked; a
 * missing directory counts as empty). Creates and frees its own netlink
 * socket: nothing stays open.
 * Errors: -ENOMEM, negative errno when /proc cannot be read, -EPERM/-EIO
 * when the qdisc dump fails; nb_lasterr() says which. */
int nb_env_snapshot(struct nb_env_snapshot *s, const char *tmpdir);

void nb_env_snapshot_free(struct nb_env_snapshot *s);

/* Compares the environment now with `before`, writes one line per
 * difference to `report`:
 *
 *   Warning -- CASE leaked thread "tcp-client" (tid 4242), started at src/proto_tcp.c:88
 *   Warning -- CASE leaked child process "netbench" (pid 77), spawned at src/spawn.c:120
 *   Warning -- CASE leaked zombie process "netbench" (pid 78), spawned at ...
 *   Warning -- CASE leaked fd 9 -> socket:[123], opened at ...
 *   Warning -- CASE leaked qdisc htb 1: on lo (ifindex 1) in the host namespace, added at ...
 *   Warning -- CASE leaked network namespace net:[4026532301] (held by fd 7), created at ...
 *   Warning -- CASE leaked temp file /tmp/x/y, created at ...
 *   Warning -- CASE leaked listening socket tcp 0.0.0.0:5201 (inode 99) in the host namespace, opened at ...
 *
 * (", origin unknown (not on the undo stack)" when `u` has no record), then
 * restores each item: through its undo record when there is one, else by
 * killing+reaping the process, reaping the zombie, closing the fd, deleting
 * the qdisc, closing what holds the namespace, removing the file. Anything
 * that could not be restored gets a line "Warning -- CASE could not restore
 * ...". Something that disappeared (e.g. a thread that was there before) is
 * reported as "... thread X (tid N) is gone" and counts as a change too.
 *
 * Restoration: first every leaked item's record that is not yet released
 * is released (nb_undo_release()), so that a release that frees more than
 * its own item runs before anything generic; then whatever is still there
 * is restored the generic way, in the order threads, children, zombies,
 * listening sockets, fds, namespaces, qdiscs (roots first), temp files
 * (deepest first; they are also reported in that order). An fd is only ever
 * closed if it still points to the leaked target; a child is signalled
 * through a pidfd after re-checking that it is still ours. Threads have no
 * generic restoration. The qdisc record must have id2 = 0 or the calling
 * thread's netns inode (ifindexes repeat across namespaces); a temp file
 * record must have `what` equal to the path.
 *
 * The fd of `report` itself (if it has one) is neither reported nor
 * closed. `before` must come from nb_env_snapshot(). `report` NULL = stderr.
 * Returns the number of differences (0 = environment unchanged), or a
 * negative errno if the second snapshot could not be taken. */
int nb_env_check(const char *case_name, const struct nb_env_snapshot *before,
		 const char *tmpdir, struct nb_undo *u, FILE *report);

/* Convenience for tests: 1 if `s` has an item of that kind and id. */
int nb_env_has(const struct nb_env_snapshot *s, enum nb_env_kind kind,
	       long long id);

#endif
