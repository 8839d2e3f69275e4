/* netbench: the environment guard's collectors (see envcheck_proc.h).
 *
 * How each kind is collected (all of it per call, nothing kept open):
 *   threads    /proc/self/task/T/comm
 *   children   /proc/P/stat of every process whose ppid is ours; state 'Z'
 *              makes it a zombie
 *   fds        /proc/self/fd/N and its link target. Skipped: the fd of the
 *              directory stream that lists them, and nsfs fds of network
 *              namespaces ("net:[N]"), which are NB_ENV_NETNS items "held by
 *              fd N" instead, so that one leaked namespace is one line
 *   qdiscs     a netlink dump (libnl-route-3) in the calling thread's netns
 *   netns      "net:[N]" of our fds, of our threads and of our children
 *              (their ns/net link), other than the calling thread's own
 *              namespace; plus every name in /run/netns. One item per inode,
 *              its desc lists the holders
 *   temp files every entry under tmpdir, recursively (tmpdir itself not);
 *              a path too long for desc gets id 1 and is only removed with
 *              its nearest new ancestor directory
 *   listening  /proc/thread-self/net/{tcp,tcp6} in state LISTEN and
 *              /proc/thread-self/net/{udp,udp6} with no remote address
 *
 * Items are compared by (kind, id, id2), plus desc for fds (target),
 * qdiscs, temp files (path, in descending order: deepest first) and
 * listening sockets.
 */
#include "envcheck_proc.h"
#include "nlerr.h"

#include "error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

/* ---- items ------------------------------------------------------------ */

static int add_item(struct nb_env_snapshot *s, enum nb_env_kind kind,
		    long long id, unsigned long long id2, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int add_item(struct nb_env_snapshot *s, enum nb_env_kind kind,
		    long long id, unsigned long long id2, const char *fmt, ...)
{
	struct nb_env_item *it;
	va_list ap;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		it = NULL;
		if (cap <= SIZE_MAX / sizeof(*it))
			it = realloc(s->items, cap * sizeof(*it));
		if (!it)
			return nb_fail(-ENOMEM, "envcheck: out of memory");
		s->items = it;
		s->cap = cap;
	}
	it = &s->items[s->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = id;
	it->id2 = id2;
	va_start(ap, fmt);
	vsnprintf(it->desc, sizeof(it->desc), fmt, ap);
	va_end(ap);
	return 0;
}

static bool key_by_desc(enum nb_env_kind k)
{
	return k == NB_ENV_FD || k == NB_ENV_QDISC || k == NB_ENV_TEMPFILE ||
	       k == NB_ENV_LISTEN;
}

int nb_envp_cmp(const void *pa, const void *pb)
{
	const struct nb_env_item *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->id2 != b->id2)
		return a->id2 < b->id2 ? -1 : 1;
	if (a->kind == NB_ENV_TEMPFILE)
		return strcmp(b->desc, a->desc); /* descending: deepest first */
	return key_by_desc(a->kind) ? strcmp(a->desc, b->desc) : 0;
}

/* ---- /proc helpers ---------------------------------------------------- */

static bool is_number(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++) {
		if (!isdigit((unsigned char)*name))
			return false;
	}
	return true;
}

/* Reads the start of a small file, NUL-terminated. Returns length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* readlinkat() into buf, NUL-terminated, truncated to size. 0 or -errno. */
int nb_envp_link(int dfd, const char *path, char *buf, size_t size)
{
	char full[PATH_MAX];
	ssize_t n;

	n = readlinkat(dfd, path, full, sizeof(full));
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		n = (ssize_t)size - 1;
	memcpy(buf, full, (size_t)n);
	buf[n] = '\0';
	return 0;
}

/* The netns inode behind an ns link ("net:[N]"), or -errno. */
long long nb_envp_ns_inode(const char *path)
{
	char t[64];
	unsigned long long ino;
	int rv;

	rv = nb_envp_link(AT_FDCWD, path, t, sizeof(t));
	if (rv < 0)
		return rv;
	if (sscanf(t, "net:[%llu]", &ino) != 1)
		return -EINVAL;
	return (long long)ino;
}

/* Parses /proc/PID/stat; comm may hold spaces and parentheses. */
static int read_stat(pid_t pid, pid_t *ppid, char *state, char *comm,
		     size_t commsz)
{
	char path[64], buf[512], *lp, *rp;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return -EINVAL;
	if (sscanf(rp + 2, "%c %d", state, ppid) != 2)
		return -EINVAL;
	if (comm)
		snprintf(comm, commsz, "%.*s", (int)(rp - lp - 1), lp + 1);
	return 0;
}

/* 0 (and its state) if pid is our child, alive or zombie, else -ESRCH. */
int nb_envp_child_state(pid_t pid, char *state)
{
	pid_t ppid;

	if (read_stat(pid, &ppid, state, NULL, 0) < 0 || ppid != getpid())
		return -ESRCH;
	return 0;
}

/* The number of the first fd in directory `dir` (a /proc/P/fd) whose target
 * is `want`, or -1. */
int nb_envp_find_fd(const char *dir, const char *want)
{
	char t[sizeof(((struct nb_env_item *)0)->desc)];
	struct dirent *de;
	int rv = -1;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		/* (the stream's own fd points to a directory, never to
		 * `want`; and in another process's list its number is not
		 * ours) */
		if (!is_number(de->d_name))
			continue;
		if (nb_envp_link(dirfd(d), de->d_name, t, sizeof(t)) == 0 &&
		    !strcmp(t, want)) {
			rv = atoi(de->d_name);
			break;
		}
	}
	closedir(d);
	return rv;
}

/* ---- collectors ------------------------------------------------------- */

static int collect_threads(struct nb_env_snapshot *s)
{
	char path[320], comm[64];
	struct dirent *de;
	int rv = 0;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return nb_fail(-errno, "envcheck: /proc/self/task: %s",
			       strerror(errno));
	while ((de = readdir(d))) {
		if (!is_number(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		if (read_small(path, comm, sizeof(comm)) < 0)
			continue; /* exited meanwhile */
		comm[strcspn(comm, "\n")] = '\0';
		rv = add_item(s, NB_ENV_THREAD, atoll(de->d_name), 0, "%s",
			      comm);
		if (rv < 0)
			break;
	}
	closedir(d);
	return rv;
}

static int collect_children(struct nb_env_snapshot *s)
{
	struct dirent *de;
	char comm[64], state;
	pid_t me = getpid(), pid, ppid;
	int rv = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return nb_fail(-errno, "envcheck: /proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		if (!is_number(de->d_name))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (read_stat(pid, &ppid, &state, comm, sizeof(comm)) < 0 ||
		    ppid != me)
			continue;
		rv = add_item(s, state == 'Z' ? NB_ENV_ZOMBIE : NB_ENV_CHILD,
			      pid, 0, "%s", comm);
		if (rv < 0)
			break;
	}
	closedir(d);
	return rv;
}

static int collect_fds(struct nb_env_snapshot *s)
{
	char t[sizeof(s->items->desc)];
	struct dirent *de;
	int rv = 0, fd;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return nb_fail(-errno, "envcheck: /proc/self/fd: %s",
			       strerror(errno));
	while ((de = readdir(d))) {
		if (!is_number(de->d_name))
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) ||
		    nb_envp_link(dirfd(d), de->d_name, t, sizeof(t)) < 0 ||
		    !strncmp(t, "net:[", 5))
			continue;
		rv = add_item(s, NB_ENV_FD, fd, 0, "%s", t);
		if (rv < 0)
			break;
	}
	closedir(d);
	return rv;
}

static void format_handle(char *buf, size_t size, uint32_t h)
{
	if (TC_H_MIN(h))
		snprintf(buf, size, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(buf, size, "%x:", TC_H_MAJ(h) >> 16);
}

static int collect_qdiscs(struct nb_env_snapshot *s)
{
	struct nl_cache *qc = NULL, *lc = NULL;
	char name[IFNAMSIZ], hs[16], ps[32];
	struct nl_object *o;
	struct nl_sock *sk;
	int rv;

	sk = nl_socket_alloc();
	if (!sk)
		return nb_fail(-ENOMEM, "envcheck: out of memory");
	rv = nl_connect(sk, NETLINK_ROUTE);
	if (rv == 0)
		rv = rtnl_link_alloc_cache(sk, AF_UNSPEC, &lc);
	if (rv == 0)
		rv = rtnl_qdisc_alloc_cache(sk, &qc);
	if (rv < 0) {
		rv = nb_fail(nb_nl_errno(rv), "envcheck: qdisc dump: %s",
			     nl_geterror(rv));
		goto out;
	}
	for (o = nl_cache_get_first(qc); o; o = nl_cache_get_next(o)) {
		struct rtnl_tc *tc = TC_CAST(o);
		const char *kind = rtnl_tc_get_kind(tc);
		uint32_t h = rtnl_tc_get_handle(tc), p = rtnl_tc_get_parent(tc);
		int ifi = rtnl_tc_get_ifindex(tc);

		if (!rtnl_link_i2name(lc, ifi, name, sizeof(name)))
			snprintf(name, sizeof(name), "?");
		format_handle(hs, sizeof(hs), h);
		ps[0] = '\0';
		if (p != TC_H_ROOT) {
			memcpy(ps, " parent ", 9);
			format_handle(ps + 8, sizeof(ps) - 8, p);
		}
		rv = add_item(s, NB_ENV_QDISC, ifi, (unsigned long long)h << 32 | p,
			      "%s %s%s on %s (ifindex %d)", kind ? kind : "?",
			      hs, ps, name, ifi);
		if (rv < 0)
			break;
	}
out:
	if (qc)
		nl_cache_free(qc);
	if (lc)
		nl_cache_free(lc);
	nl_socket_free(sk);
	return rv;
}

/* Adds `holder` to the netns item of inode ino, creating it if needed. */
static int add_ns_holder(struct nb_env_snapshot *s, long long ino,
			 const char *holder)
{
	size_t len;

	for (size_t i = 0; i < s->n; i++) {
		struct nb_env_item *it = &s->items[i];

		if (it->kind != NB_ENV_NETNS || it->id != ino)
			continue;
		len = strlen(it->desc);
		if (len + strlen(holder) + 3 < sizeof(it->desc))
			snprintf(it->desc + len - 1, sizeof(it->desc) - len + 1,
				 ", %s)", holder);
		return 0;
	}
	return add_item(s, NB_ENV_NETNS, ino, 0, "net:[%lld] (held by %s)", ino,
			holder);
}

static int collect_netns(struct nb_env_snapshot *s)
{
	struct nb_env_snapshot kids = { 0 };
	char path[PATH_MAX], holder[300], t[64];
	unsigned long long ino;
	struct dirent *de;
	long long own, ns;
	struct stat st;
	DIR *d = NULL;
	int rv;

	own = nb_envp_ns_inode("/proc/thread-self/ns/net");
	if (own < 0)
		return nb_fail((int)own, "envcheck: own netns: %s",
			       strerror((int)-own));
	d = opendir("/proc/self/fd");
	if (!d) {
		rv = nb_fail(-errno, "envcheck: /proc/self/fd: %s",
			     strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (!is_number(de->d_name) ||
		    nb_envp_link(dirfd(d), de->d_name, t, sizeof(t)) < 0 ||
		    sscanf(t, "net:[%llu]", &ino) != 1 || (long long)ino == own)
			continue;
		snprintf(holder, sizeof(holder), "fd %s", de->d_name);
		rv = add_ns_holder(s, (long long)ino, holder);
		if (rv < 0)
			goto out;
	}
	closedir(d);
	d = opendir("/proc/self/task");
	if (!d) {
		rv = nb_fail(-errno, "envcheck: /proc/self/task: %s",
			     strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (!is_number(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/ns/net",
			 de->d_name);
		ns = nb_envp_ns_inode(path);
		if (ns < 0 || ns == own)
			continue;
		snprintf(holder, sizeof(holder), "thread %s", de->d_name);
		rv = add_ns_holder(s, ns, holder);
		if (rv < 0)
			goto out;
	}
	closedir(d);
	d = NULL;
	rv = collect_children(&kids);
	for (size_t i = 0; rv == 0 && i < kids.n; i++) {
		snprintf(path, sizeof(path), "/proc/%lld/ns/net", kids.items[i].id);
		ns = nb_envp_ns_inode(path);
		if (ns < 0 || ns == own)
			continue;
		snprintf(holder, sizeof(holder), "process %lld", kids.items[i].id);
		rv = add_ns_holder(s, ns, holder);
	}
	if (rv < 0)
		goto out;
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (stat(path, &st) < 0)
			continue;
		rv = add_ns_holder(s, (long long)st.st_ino, path);
		if (rv < 0)
			goto out;
	}
	rv = 0;
out:
	if (d)
		closedir(d);
	nb_env_snapshot_free(&kids);
	return rv;
}

static int walk_tmp(struct nb_env_snapshot *s, const char *dir, bool top)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int rv = 0, n;
	bool is_dir;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || (errno == ENOTDIR && !top))
			return 0;
		return nb_fail(-errno, "envcheck: %s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		rv = add_item(s, NB_ENV_TEMPFILE,
			      (size_t)n >= sizeof(s->items->desc), 0, "%s", path);
		if (rv == 0 && is_dir)
			rv = walk_tmp(s, path, false);
		if (rv < 0)
			break;
	}
	closedir(d);
	return rv;
}

/* Decodes a /proc/net/{tcp,udp}[6] address ("0100007F") as printed. */
static int hex_addr(const char *hex, bool v6, char *out, size_t size)
{
	unsigned char a[16];
	size_t words = v6 ? 4 : 1;
	char w[9];
	uint32_t v;

	if (strlen(hex) != words * 8)
		return -EINVAL;
	for (size_t i = 0; i < words; i++) {
		memcpy(w, hex + 8 * i, 8);
		w[8] = '\0';
		v = (uint32_t)strtoul(w, NULL, 16);
		memcpy(a + 4 * i, &v, 4);
	}
	return inet_ntop(v6 ? AF_INET6 : AF_INET, a, out, (socklen_t)size) ?
		       0 : -errno;
}

static int collect_listen(struct nb_env_snapshot *s)
{
	static const char *const files[] = { "tcp", "tcp6", "udp", "udp6" };
	char path[64], line[512], la[40], ra[40], addr[INET6_ADDRSTRLEN];
	unsigned int lport, rport, st;
	unsigned long long ino;
	int rv = 0;
	FILE *f;

	for (size_t i = 0; i < 4 && rv == 0; i++) {
		bool tcp = i < 2, v6 = i % 2;

		snprintf(path, sizeof(path), "/proc/thread-self/net/%s", files[i]);
		f = fopen(path, "re");
		if (!f) {
			if (errno == ENOENT)
				continue; /* no IPv6 */
			return nb_fail(-errno, "envcheck: %s: %s", path,
				       strerror(errno));
		}
		while (rv == 0 && fgets(line, sizeof(line), f)) {
			if (sscanf(line,
				   " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %*u %*u %llu",
				   la, &lport, ra, &rport, &st, &ino) != 6)
				continue;
			if (tcp ? st != 0x0A :
				  (rport != 0 || strspn(ra, "0") != strlen(ra)))
				continue;
			if (hex_addr(la, v6, addr, sizeof(addr)) < 0)
				continue;
			rv = add_item(s, NB_ENV_LISTEN, (long long)ino, 0,
				      v6 ? "%s [%s]:%u" : "%s %s:%u", files[i],
				      addr, lport);
		}
		fclose(f);
	}
	return rv;
}

int nb_envp_collect(struct nb_env_snapshot *s, enum nb_env_kind kind,
			const char *tmpdir)
{
	switch (kind) {
	case NB_ENV_THREAD:
		return collect_threads(s);
	case NB_ENV_CHILD:
	case NB_ENV_ZOMBIE:
		return collect_children(s);
	case NB_ENV_FD:
		return collect_fds(s);
	case NB_ENV_QDISC:
		return collect_qdiscs(s);
	case NB_ENV_NETNS:
		return collect_netns(s);
	case NB_ENV_TEMPFILE:
		return tmpdir ? walk_tmp(s, tmpdir, true) : 0;
	case NB_ENV_LISTEN:
		return collect_listen(s);
	default:
		return -EINVAL;
	}
}

int nb_envp_qdisc_delete(const struct nb_env_item *it)
{
	struct rtnl_qdisc *q = NULL;
	struct nl_sock *sk;
	int rv;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	rv = nl_connect(sk, NETLINK_ROUTE);
	if (rv < 0)
		goto out;
	q = rtnl_qdisc_alloc();
	if (!q) {
		rv = -NLE_NOMEM;
		goto out;
	}
	rtnl_tc_set_ifindex(TC_CAST(q), (int)it->id);
	rtnl_tc_set_parent(TC_CAST(q), (uint32_t)it->id2);
	rtnl_tc_set_handle(TC_CAST(q), (uint32_t)(it->id2 >> 32));
	rv = rtnl_qdisc_delete(sk, q);
out:
	if (q)
		rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return rv < 0 ? nb_nl_errno(rv) : 0;
}
