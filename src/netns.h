/* netbench: anonymous network namespaces.
 *
 * A namespace is held by an O_CLOEXEC file descriptor and nothing else: no
 * name under /run/netns, no bind mount. When the last descriptor and the last
 * process inside it are gone the kernel frees it, with every link and qdisc
 * in it, so a crashed runner leaves nothing behind.
 *
 * The calling thread's own namespace is never changed on return: functions
 * that must act inside a namespace enter it, act, and come back.
 */
#ifndef NB_NETNS_H
#define NB_NETNS_H

struct nb_undo;
struct nl_sock;

/* Creates a new anonymous network namespace and returns an O_CLOEXEC fd that
 * holds it, registered on `u` (kind NB_RES_NETNS, release closes the fd).
 * Errors: -EPERM (no CAP_SYS_ADMIN), -ENOMEM, -ENOSPC (undo full), other
 * negative errno from unshare/open/setns. */
int nb_netns_new_at(struct nb_undo *u, const char *file, int line);
#define nb_netns_new(u) nb_netns_new_at((u), __FILE__, __LINE__)

/* Moves the calling thread into the namespace of `nsfd`; *saved receives an
 * fd of the namespace it was in (for nb_netns_leave). Errors: negative errno. */
int nb_netns_enter(int nsfd, int *saved);

/* Returns the calling thread to the namespace saved by nb_netns_enter and
 * closes `saved`. Errors: negative errno from setns (the thread is then left
 * where it was; callers treat it as fatal). */
int nb_netns_leave(int saved);

/* A socket created inside the namespace of nsfd (it stays there whatever
 * thread uses it; nsfd < 0: the calling thread's), SOCK_CLOEXEC added.
 * Returns the fd or a negative errno. */
int nb_netns_socket(int nsfd, int domain, int type, int protocol);

/* A file opened inside the namespace of nsfd (O_CLOEXEC added): for
 * devices whose objects belong to the opener's namespace, such as
 * /dev/net/tun. Returns the fd or a negative errno (message set). */
int nb_netns_open(int nsfd, const char *path, int flags);

/* A connected NETLINK_ROUTE libnl socket created inside the namespace of
 * nsfd, or of the calling thread's when nsfd < 0. Like nb_netns_socket it
 * stays in that namespace whatever thread uses it; free it with
 * nl_socket_free(). Errors: NULL, with errno set to the positive errno and
 * nb_lasterr() saying why: ENOMEM (no libnl socket), EBADF or EINVAL
 * (nsfd is not a network namespace), EPERM (no CAP_SYS_ADMIN to enter it),
 * the errno of the failed connect (libnl's code translated, EIO when it has
 * no equivalent), or that of a failed return to the thread's namespace. */
struct nl_sock *nb_netns_route_socket(int nsfd);

/* Writes `value` to /proc/sys/<path> as seen from inside nsfd
 * (e.g. "net/ipv4/tcp_rmem"). Errors: negative errno. */
int nb_netns_sysctl_write(int nsfd, const char *path, const char *value);

/* Inode number of the namespace behind nsfd (as shown in "net:[N]"), or of
 * the calling thread's namespace when nsfd < 0. Returns 0 on failure. */
unsigned long nb_netns_inode(int nsfd);

#endif
