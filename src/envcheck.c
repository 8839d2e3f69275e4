/* netbench: the environment guard (see envcheck.h): comparison, report
 * and restoration. What is collected, and how, is in envcheck_proc.c.
 */
#include "envcheck.h"

#include "envcheck_proc.h"
#include "undo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_sched.h>

#define SETTLE_TRIES 25       /* after-snapshots while exiting threads linger */
#define SETTLE_NS 2000000L
#define GONE_WAIT_MS 200      /* how long a restored item may take to go */
#define REAP_WAIT_MS 2000

/* What holds other things goes first. */
static const enum nb_env_kind restore_order[NB_ENV_NKINDS] = {
	NB_ENV_THREAD, NB_ENV_CHILD, NB_ENV_ZOMBIE, NB_ENV_LISTEN,
	NB_ENV_FD,     NB_ENV_NETNS, NB_ENV_QDISC,	NB_ENV_TEMPFILE,
};

static const char *const verbs[NB_ENV_NKINDS] = {
	[NB_ENV_THREAD] = "started",   [NB_ENV_CHILD] = "spawned",
	[NB_ENV_ZOMBIE] = "spawned",   [NB_ENV_FD] = "opened",
	[NB_ENV_QDISC] = "added",      [NB_ENV_NETNS] = "created",
	[NB_ENV_TEMPFILE] = "created", [NB_ENV_LISTEN] = "opened",
};

/* `s` must be sorted (nb_env_snapshot() sorts). */
static bool has_item(const struct nb_env_snapshot *s,
		     const struct nb_env_item *it)
{
	return s->n && bsearch(it, s->items, s->n, sizeof(*it), nb_envp_cmp);
}

int nb_env_snapshot(struct nb_env_snapshot *s, const char *tmpdir)
{
	static const enum nb_env_kind kinds[] = {
		NB_ENV_THREAD, NB_ENV_CHILD,	NB_ENV_FD,     NB_ENV_QDISC,
		NB_ENV_NETNS,  NB_ENV_TEMPFILE, NB_ENV_LISTEN,
	};
	int rv = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		rv = nb_envp_collect(s, kinds[i], tmpdir);
		if (rv < 0) {
			nb_env_snapshot_free(s);
			return rv;
		}
	}
	if (s->n)
		qsort(s->items, s->n, sizeof(*s->items), nb_envp_cmp);
	return 0;
}

void nb_env_snapshot_free(struct nb_env_snapshot *s)
{
	free(s->items);
	memset(s, 0, sizeof(*s));
}

int nb_env_has(const struct nb_env_snapshot *s, enum nb_env_kind kind,
	       long long id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->items[i].kind == kind && s->items[i].id == id)
			return 1;
	}
	return 0;
}

/* ---- origins ---------------------------------------------------------- */

/* Who holds socket inode ino: our fd (*fd), else a child (*pid). */
static void socket_holder(long long ino, int *fd, pid_t *pid)
{
	struct nb_env_snapshot kids = { 0 };
	char want[64], dir[64];

	*pid = -1;
	snprintf(want, sizeof(want), "socket:[%lld]", ino);
	*fd = nb_envp_find_fd("/proc/self/fd", want);
	if (*fd >= 0 || nb_envp_collect(&kids, NB_ENV_CHILD, NULL) < 0)
		goto out;
	for (size_t i = 0; i < kids.n; i++) {
		snprintf(dir, sizeof(dir), "/proc/%lld/fd", kids.items[i].id);
		if (nb_envp_find_fd(dir, want) >= 0) {
			*pid = (pid_t)kids.items[i].id;
			break;
		}
	}
out:
	nb_env_snapshot_free(&kids);
}

static struct nb_undo_entry *find_origin(struct nb_undo *u,
					 const struct nb_env_item *it,
					 long long own_ns)
{
	int fd;
	pid_t pid;

	if (!u)
		return NULL;
	switch (it->kind) {
	case NB_ENV_THREAD:
		return nb_undo_find(u, NB_RES_THREAD, it->id);
	case NB_ENV_CHILD:
	case NB_ENV_ZOMBIE:
		return nb_undo_find(u, NB_RES_PROCESS, it->id);
	case NB_ENV_FD:
		return nb_undo_find(u, NB_RES_FD, it->id);
	case NB_ENV_NETNS:
		return nb_undo_find(u, NB_RES_NETNS, it->id);
	case NB_ENV_QDISC:
		/* ifindexes repeat across namespaces: id2 (netns inode) must
		 * be ours when the record has one. */
		for (size_t i = u->n; i-- > 0;) {
			struct nb_undo_entry *e = &u->e[i];

			if (e->kind == NB_RES_QDISC && e->id == it->id &&
			    (e->id2 == 0 || (long long)e->id2 == own_ns))
				return e;
		}
		return NULL;
	case NB_ENV_TEMPFILE:
		for (size_t i = u->n; i-- > 0;) {
			if (u->e[i].kind == NB_RES_TEMPFILE &&
			    !strcmp(u->e[i].what, it->desc))
				return &u->e[i];
		}
		return NULL;
	case NB_ENV_LISTEN:
		socket_holder(it->id, &fd, &pid);
		if (fd >= 0)
			return nb_undo_find(u, NB_RES_FD, fd);
		if (pid > 0)
			return nb_undo_find(u, NB_RES_PROCESS, pid);
		return NULL;
	default:
		return NULL;
	}
}

static void describe(const struct nb_env_item *it, char *buf, size_t size)
{
	switch (it->kind) {
	case NB_ENV_THREAD:
		snprintf(buf, size, "thread \"%s\" (tid %lld)", it->desc, it->id);
		break;
	case NB_ENV_CHILD:
	case NB_ENV_ZOMBIE:
		snprintf(buf, size, "%s process \"%s\" (pid %lld)",
			 it->kind == NB_ENV_CHILD ? "child" : "zombie", it->desc,
			 it->id);
		break;
	case NB_ENV_FD:
		snprintf(buf, size, "fd %lld -> %s", it->id, it->desc);
		break;
	case NB_ENV_QDISC:
		snprintf(buf, size, "qdisc %s in the host namespace", it->desc);
		break;
	case NB_ENV_NETNS:
		snprintf(buf, size, "network namespace %s", it->desc);
		break;
	case NB_ENV_TEMPFILE:
		snprintf(buf, size, "temp file %s%s", it->desc,
			 it->id ? "..." : "");
		break;
	case NB_ENV_LISTEN:
		snprintf(buf, size,
			 "listening socket %s (inode %lld) in the host namespace",
			 it->desc, it->id);
		break;
	default:
		snprintf(buf, size, "item %lld", it->id);
		break;
	}
}

/* ---- restoration ------------------------------------------------------ */

static void sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* 1 if the item is still there, 0 if not, negative errno if unknown. */
static int item_present(const struct nb_env_item *it, const char *tmpdir)
{
	struct nb_env_snapshot t = { 0 };
	char path[64], target[sizeof(it->desc)], state;
	struct stat st;
	int rv;

	switch (it->kind) {
	case NB_ENV_FD:
		if (fcntl((int)it->id, F_GETFD) < 0)
			return 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%lld", it->id);
		rv = nb_envp_link(AT_FDCWD, path, target, sizeof(target));
		return rv == 0 && !strcmp(target, it->desc);
	case NB_ENV_CHILD:
	case NB_ENV_ZOMBIE:
		return nb_envp_child_state((pid_t)it->id, &state) == 0;
	case NB_ENV_TEMPFILE:
		if (it->id == 0)
			return lstat(it->desc, &st) == 0;
		break;
	default:
		break;
	}
	rv = nb_envp_collect(&t, it->kind, tmpdir);
	if (rv == 0) {
		if (t.n)
			qsort(t.items, t.n, sizeof(*t.items), nb_envp_cmp);
		rv = has_item(&t, it);
	}
	nb_env_snapshot_free(&t);
	return rv;
}

static bool wait_gone(const struct nb_env_item *it, const char *tmpdir)
{
	long long end = now_ms() + GONE_WAIT_MS;

	for (;;) {
		if (item_present(it, tmpdir) == 0)
			return true;
		if (now_ms() >= end)
			return false;
		sleep_ns(1000000);
	}
}

/* Kills (unless a zombie) and reaps a child of ours. */
static void reap_child(pid_t pid)
{
	long long end = now_ms() + REAP_WAIT_MS;
	char state;
	pid_t r;
	int pfd;

	if (nb_envp_child_state(pid, &state) < 0)
		return;
	if (state != 'Z') {
		/* pin the process, then make sure it is still ours */
		pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0 && nb_envp_child_state(pid, &state) == 0)
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		else if (pfd < 0)
			kill(pid, SIGKILL);
		if (pfd >= 0)
			close(pfd);
	}
	do {
		r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		sleep_ns(1000000);
	} while (now_ms() < end);
}

/* Closes fd only if it still points to `target`. */
static void close_if(int fd, const char *target)
{
	char path[64], t[sizeof(((struct nb_env_item *)0)->desc)];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (fd >= 0 && fcntl(fd, F_GETFD) >= 0 &&
	    nb_envp_link(AT_FDCWD, path, t, sizeof(t)) == 0 &&
	    !strcmp(t, target))
		close(fd);
}

static void release_netns(long long ino)
{
	struct nb_env_snapshot kids = { 0 };
	char want[64], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int fd;
	DIR *d;

	snprintf(want, sizeof(want), "net:[%lld]", ino);
	for (int i = 0; i < 1024; i++) {
		fd = nb_envp_find_fd("/proc/self/fd", want);
		if (fd < 0)
			break;
		close_if(fd, want);
	}
	if (nb_envp_collect(&kids, NB_ENV_CHILD, NULL) == 0) {
		for (size_t i = 0; i < kids.n; i++) {
			snprintf(path, sizeof(path), "/proc/%lld/ns/net",
				 kids.items[i].id);
			if (kids.items[i].kind == NB_ENV_CHILD &&
			    nb_envp_ns_inode(path) == ino)
				reap_child((pid_t)kids.items[i].id);
		}
	}
	nb_env_snapshot_free(&kids);
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (de->d_name[0] != '.' && stat(path, &st) == 0 &&
		    (long long)st.st_ino == ino) {
			umount2(path, MNT_DETACH);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The generic restoration. Returns false when there is none (threads). */
static bool restore_generic(const struct nb_env_item *it)
{
	char want[64];
	struct stat st;
	pid_t pid;
	int fd;

	switch (it->kind) {
	case NB_ENV_CHILD:
	case NB_ENV_ZOMBIE:
		reap_child((pid_t)it->id);
		return true;
	case NB_ENV_FD:
		close_if((int)it->id, it->desc);
		return true;
	case NB_ENV_QDISC:
		(void)nb_envp_qdisc_delete(it);
		return true;
	case NB_ENV_NETNS:
		release_netns(it->id);
		return true;
	case NB_ENV_TEMPFILE:
		if (it->id != 0 || lstat(it->desc, &st) < 0)
			return false;
		if (S_ISDIR(st.st_mode))
			nftw(it->desc, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		else
			unlink(it->desc);
		return true;
	case NB_ENV_LISTEN:
		socket_holder(it->id, &fd, &pid);
		snprintf(want, sizeof(want), "socket:[%lld]", it->id);
		if (fd >= 0)
			close_if(fd, want);
		else if (pid > 0)
			reap_child(pid);
		return fd >= 0 || pid > 0;
	default:
		return false;
	}
}

/* Phase 1 of the restoration: runs the undo record of every leaked item
 * that is still there, before anything generic happens, so that a release
 * that frees more than its own item (a socket held by a qdisc record, say)
 * runs first and no fd is closed twice. */
static void release_records(const struct nb_env_snapshot *leaked,
			    const char *tmpdir, struct nb_undo *u,
			    long long own_ns)
{
	struct nb_undo_entry *e;

	for (size_t o = 0; o < NB_ENV_NKINDS; o++) {
		for (size_t n = 0; n < leaked->n; n++) {
			const struct nb_env_item *it = &leaked->items[n];

			if (it->kind != restore_order[o] ||
			    item_present(it, tmpdir) == 0)
				continue;
			e = find_origin(u, it, own_ns);
			if (e && !e->released)
				nb_undo_release(u, (int)(e - u->e));
		}
	}
}

/* Phase 2: waits for an item with a record to go, else restores it the
 * generic way. Returns true when it is gone. */
static bool restore_item(const struct nb_env_item *it, const char *tmpdir,
			 struct nb_undo *u, long long own_ns)
{
	bool recorded = find_origin(u, it, own_ns) != NULL;

	if (recorded ? wait_gone(it, tmpdir) : item_present(it, tmpdir) == 0)
		return true;
	if (!restore_generic(it) && recorded)
		return false; /* nothing more to try, already waited */
	return wait_gone(it, tmpdir);
}

/* Within a kind, root qdiscs go before child qdiscs, and temp files
 * deepest first (the order they are sorted in), truncated paths last. */
static void restore_all(FILE *report, const char *cn,
			const struct nb_env_snapshot *leaked,
			const char *tmpdir, struct nb_undo *u, long long own_ns)
{
	char what[400];

	release_records(leaked, tmpdir, u, own_ns);
	for (size_t o = 0; o < NB_ENV_NKINDS; o++) {
		enum nb_env_kind kind = restore_order[o];

		for (int pass = 0; pass < 2; pass++) {
			for (size_t n = 0; n < leaked->n; n++) {
				const struct nb_env_item *it;
				int p;

				it = &leaked->items[n];
				if (it->kind != kind)
					continue;
				p = kind == NB_ENV_QDISC ?
					    (uint32_t)it->id2 != TC_H_ROOT :
					    kind == NB_ENV_TEMPFILE && it->id;
				if (p != pass || restore_item(it, tmpdir, u, own_ns))
					continue;
				describe(it, what, sizeof(what));
				fprintf(report, "Warning -- %s could not restore %s\n",
					cn, what);
			}
		}
	}
}

/* true if `after` has a thread or netns that `before` has not: maybe a
 * thread that has just been joined and is still on its way out. */
static bool settling(const struct nb_env_snapshot *before,
		     const struct nb_env_snapshot *after)
{
	for (size_t i = 0; i < after->n; i++) {
		const struct nb_env_item *it = &after->items[i];

		if ((it->kind == NB_ENV_THREAD || it->kind == NB_ENV_NETNS) &&
		    !has_item(before, it))
			return true;
	}
	return false;
}

int nb_env_check(const char *case_name, const struct nb_env_snapshot *before,
		 const char *tmpdir, struct nb_undo *u, FILE *report)
{
	struct nb_env_snapshot after;
	const char *cn = case_name ? case_name : "?";
	struct nb_undo_entry *e;
	size_t i = 0, j = 0, k = 0;
	char what[400];
	long long own_ns;
	int rv, c, report_fd;

	if (!report)
		report = stderr;
	for (int tries = 0;; tries++) {
		rv = nb_env_snapshot(&after, tmpdir);
		if (rv < 0)
			return rv;
		if (tries == SETTLE_TRIES || !settling(before, &after))
			break;
		nb_env_snapshot_free(&after);
		sleep_ns(SETTLE_NS);
	}
	own_ns = nb_envp_ns_inode("/proc/thread-self/ns/net");
	report_fd = fileno(report);
	/* merge; the leaked items are compacted to the front of `after` */
	while (i < before->n || j < after.n) {
		if (i == before->n)
			c = 1;
		else if (j == after.n)
			c = -1;
		else
			c = nb_envp_cmp(&before->items[i], &after.items[j]);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		if (c < 0) {
			rv++;
			describe(&before->items[i++], what, sizeof(what));
			fprintf(report, "Warning -- %s %s is gone\n", cn, what);
			continue;
		}
		if (after.items[j].kind == NB_ENV_FD &&
		    after.items[j].id == report_fd) {
			j++; /* the report's own stream: neither leak nor ours */
			continue;
		}
		rv++;
		describe(&after.items[j], what, sizeof(what));
		e = find_origin(u, &after.items[j], own_ns);
		if (e)
			fprintf(report, "Warning -- %s leaked %s, %s at %s:%d\n",
				cn, what, verbs[after.items[j].kind],
				e->file ? e->file : "?", e->line);
		else
			fprintf(report,
				"Warning -- %s leaked %s, origin unknown (not on the undo stack)\n",
				cn, what);
		if (k != j)
			after.items[k] = after.items[j];
		k++;
		j++;
	}
	after.n = k;
	fflush(report);
	restore_all(report, cn, &after, tmpdir, u, own_ns);
	fflush(report);
	nb_env_snapshot_free(&after);
	return rv;
}
