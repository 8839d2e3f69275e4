/* netbench: anonymous network namespaces (see netns.h).
 *
 * Every function here acts on the calling thread only: setns() and
 * unshare(CLONE_NEWNET) change the namespace of one thread, not of the
 * process, so other threads are never disturbed. A thread that enters a
 * namespace always comes back before the function returns.
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "error.h"
#include "nlerr.h"
#include "undo.h"

#define SELF_NS "/proc/thread-self/ns/net"

/* Release of an NB_RES_NETNS record: the fd is encoded in the pointer, so
 * there is nothing to allocate and nothing to leak. */
static void release_close_fd(void *arg)
{
	close((int)(intptr_t)arg);
}

static int open_self_ns(void)
{
	int fd = open(SELF_NS, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

unsigned long nb_netns_inode(int nsfd)
{
	struct stat st;
	int rv = nsfd >= 0 ? fstat(nsfd, &st) : stat(SELF_NS, &st);

	return rv < 0 ? 0 : (unsigned long)st.st_ino;
}

int nb_netns_new_at(struct nb_undo *u, const char *file, int line)
{
	unsigned long ino;
	int save, fd, rv;

	save = open_self_ns();
	if (save < 0)
		return nb_fail(save, "netns: open %s: %s", SELF_NS,
			       strerror(-save));
	/* Make sure the way back is open before leaving: re-entering the
	 * current namespace needs the same privilege as returning to it
	 * (which a root mapped in a user namespace lacks). */
	if (setns(save, CLONE_NEWNET) < 0) {
		rv = -errno;
		close(save);
		return nb_fail(rv, "netns: cannot setns into the current "
			       "namespace: %s (needs CAP_SYS_ADMIN over it)",
			       strerror(-rv));
	}
	if (unshare(CLONE_NEWNET) < 0) {
		rv = -errno;
		close(save);
		return nb_fail(rv, "netns: unshare(CLONE_NEWNET): %s%s",
			       strerror(-rv),
			       rv == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	}
	fd = open_self_ns();
	/* Back home first, whatever happened: the thread must not stay in
	 * the new namespace. */
	if (setns(save, CLONE_NEWNET) < 0) {
		rv = -errno;
		close(save);
		if (fd >= 0)
			close(fd);
		return nb_fail(rv, "netns: setns back to the original "
			       "namespace: %s (thread is stranded)",
			       strerror(-rv));
	}
	close(save);
	if (fd < 0)
		return nb_fail(fd, "netns: open new %s: %s", SELF_NS,
			       strerror(-fd));

	ino = nb_netns_inode(fd);
	rv = nb_undo_push_at(u, file, line, NB_RES_NETNS, (long long)ino,
			     release_close_fd, (void *)(intptr_t)fd,
			     "network namespace net:[%lu] (fd %d)", ino, fd);
	if (rv < 0) {
		close(fd);
		return nb_fail(rv, "netns: undo stack full");
	}
	return fd;
}

int nb_netns_enter(int nsfd, int *saved)
{
	int save, rv;

	save = open_self_ns();
	if (save < 0)
		return nb_fail(save, "netns: open %s: %s", SELF_NS,
			       strerror(-save));
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		rv = -errno;
		close(save);
		return nb_fail(rv, "netns: setns(%d): %s", nsfd, strerror(-rv));
	}
	*saved = save;
	return 0;
}

int nb_netns_leave(int saved)
{
	int rv = 0;

	if (setns(saved, CLONE_NEWNET) < 0)
		rv = nb_fail(-errno, "netns: setns back (fd %d): %s", saved,
			     strerror(errno));
	close(saved);
	return rv;
}

struct fd_maker {
	int domain, type, protocol;   /* a socket, or ... */
	const char *path;             /* ... a file opened with `flags` */
	int flags;
};

/* The one place that makes an fd inside another namespace: enter, make,
 * come back (closing the fd if the way back fails). */
static int fd_in_ns(int nsfd, const struct fd_maker *m)
{
	int saved = -1, fd, rv;

	if (nsfd >= 0) {
		rv = nb_netns_enter(nsfd, &saved);
		if (rv < 0)
			return rv;
	}
	if (m->path) {
		fd = open(m->path, m->flags | O_CLOEXEC);
		if (fd < 0)
			fd = nb_fail(-errno, "netns: open %s: %s", m->path,
				     strerror(errno));
	} else {
		fd = socket(m->domain, m->type | SOCK_CLOEXEC, m->protocol);
		if (fd < 0)
			fd = nb_fail(-errno, "netns: socket(%d, %d, %d): %s",
				     m->domain, m->type, m->protocol,
				     strerror(errno));
	}
	if (saved < 0)
		return fd;
	rv = nb_netns_leave(saved);
	if (rv < 0) {
		if (fd >= 0)
			close(fd);
		return rv;
	}
	return fd;
}

int nb_netns_socket(int nsfd, int domain, int type, int protocol)
{
	const struct fd_maker m = { .domain = domain, .type = type,
				    .protocol = protocol };

	return fd_in_ns(nsfd, &m);
}

int nb_netns_open(int nsfd, const char *path, int flags)
{
	const struct fd_maker m = { .path = path, .flags = flags };

	/* Unlike a socket, a device opened "here" by mistake would create
	 * objects in the wrong namespace: a namespace is required. */
	if (nsfd < 0)
		return nb_fail(-EBADF, "netns: open %s: no namespace given", path);

	return fd_in_ns(nsfd, &m);
}

struct nl_sock *nb_netns_route_socket(int nsfd)
{
	struct nl_sock *sk = NULL;
	int saved = -1, rv, lrv;

	if (nsfd >= 0) {
		rv = nb_netns_enter(nsfd, &saved);
		if (rv < 0)
			goto out;
	}
	sk = nl_socket_alloc();
	if (!sk)
		rv = nb_fail(-ENOMEM, "netns: nl_socket_alloc failed");
	else if ((rv = nl_connect(sk, NETLINK_ROUTE)) < 0)
		rv = nb_fail(nb_nl_errno(rv), "netns: netlink connect in "
			     "net:[%lu]: %s", nb_netns_inode(nsfd),
			     nl_geterror(rv));
	if (saved >= 0) {
		lrv = nb_netns_leave(saved);
		if (rv == 0)
			rv = lrv;
	}
out:
	if (rv < 0) {
		if (sk)
			nl_socket_free(sk);
		errno = -rv;
		return NULL;
	}
	return sk;
}

/* path is relative to /proc/sys and may not climb out of it. */
static bool sysctl_path_ok(const char *path)
{
	return path && *path && *path != '/' && !strstr(path, "..");
}

int nb_netns_sysctl_write(int nsfd, const char *path, const char *value)
{
	char full[PATH_MAX];
	size_t len = strlen(value);
	int saved, fd, rv;
	ssize_t n;

	if (!sysctl_path_ok(path))
		return nb_fail(-EINVAL, "netns: bad sysctl path \"%s\"",
			       path ? path : "(null)");
	if (snprintf(full, sizeof(full), "/proc/sys/%s", path) >=
	    (int)sizeof(full))
		return nb_fail(-ENAMETOOLONG, "netns: sysctl path too long");

	rv = nb_netns_enter(nsfd, &saved);
	if (rv < 0)
		return rv;
	/* /proc/sys/net resolves to the namespace of the opener: open and
	 * write while inside. */
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		rv = nb_fail(-errno, "netns: open %s: %s", full,
			     strerror(errno));
	} else {
		n = write(fd, value, len);
		if (n < 0)
			rv = nb_fail(-errno, "netns: write \"%s\" to %s: %s",
				     value, full, strerror(errno));
		else if ((size_t)n != len)
			rv = nb_fail(-EIO, "netns: short write to %s", full);
		close(fd);
	}
	n = nb_netns_leave(saved);
	return n < 0 && rv == 0 ? (int)n : rv;
}
