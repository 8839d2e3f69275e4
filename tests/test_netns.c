/* Unit tests for src/netns.c: anonymous namespaces held by fds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "error.h"
#include "netns.h"
#include "testutil.h"
#include "undo.h"

struct fx {
	struct nb_undo u;
	struct nl_sock *sk[2];
	int fd[2];
	int nfds;		/* open fds when the test started */
	unsigned long host;	/* the thread's namespace when it started */
};

/* Reads /proc/sys/<path> as seen from nsfd (-1: here) into buf. */
static int sysctl_read(int nsfd, const char *path, char *buf, size_t len)
{
	char full[256];
	int saved = -1, fd, rv = 0;
	ssize_t n;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if (nsfd >= 0 && nb_netns_enter(nsfd, &saved) < 0)
		return -1;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (fd >= 0)
		close(fd);
	if (saved >= 0 && nb_netns_leave(saved) < 0)
		rv = -1;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return rv;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	nb_undo_init(&f->u);
	f->fd[0] = f->fd[1] = -1;
	f->nfds = nb_test_count_fds();
	f->host = nb_netns_inode(-1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++) {
		if (f->sk[i])
			nl_socket_free(f->sk[i]);
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	}
	nb_undo_unwind(&f->u);
	free(f);
	return 0;
}

static void t_new_distinct(void **state)
{
	struct fx *f = *state;
	struct nb_undo_entry *e;
	unsigned long ia, ib;
	int a, b;

	assert_int_not_equal(f->host, 0);
	a = nb_netns_new(&f->u);
	b = nb_netns_new(&f->u);
	assert_true(a >= 0);
	assert_true(b >= 0);
	ia = nb_netns_inode(a);
	ib = nb_netns_inode(b);
	assert_int_not_equal(ia, 0);
	assert_int_not_equal(ib, 0);
	assert_int_not_equal(ia, f->host);
	assert_int_not_equal(ib, f->host);
	assert_int_not_equal(ia, ib);
	/* The calling thread never moved. */
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_true(fcntl(a, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(b, F_GETFD) & FD_CLOEXEC);

	assert_int_equal(f->u.n, 2);
	e = nb_undo_find(&f->u, NB_RES_NETNS, (long long)ia);
	assert_non_null(e);
	assert_string_equal(e->file, __FILE__);
	assert_non_null(strstr(e->what, "net:["));
	assert_non_null(nb_undo_find(&f->u, NB_RES_NETNS, (long long)ib));
	assert_int_equal(nb_test_fds_holding(ia), 1);

	nb_undo_unwind(&f->u);
	assert_int_equal(fcntl(a, F_GETFD), -1);
	assert_int_equal(fcntl(b, F_GETFD), -1);
	assert_int_equal(nb_test_fds_holding(ia), 0);
	assert_int_equal(nb_test_fds_holding(ib), 0);
	assert_int_equal(nb_test_count_fds(), f->nfds);
}

static void t_enter_leave(void **state)
{
	struct fx *f = *state;
	int ns, saved = -1;

	ns = nb_netns_new(&f->u);
	assert_true(ns >= 0);
	assert_int_equal(nb_netns_enter(ns, &saved), 0);
	assert_true(saved >= 0);
	assert_int_equal(nb_netns_inode(-1), nb_netns_inode(ns));
	assert_int_equal(nb_netns_inode(saved), f->host);
	assert_int_equal(nb_netns_leave(saved), 0);
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_int_equal(fcntl(saved, F_GETFD), -1);	/* leave closed it */

	/* A bad fd fails cleanly: no fd leaked, the thread stays home. */
	saved = -1;
	assert_int_equal(nb_netns_enter(-1, &saved), -EBADF);
	assert_int_equal(saved, -1);
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_int_equal(nb_test_count_fds(), f->nfds + 1);
}

static void t_socket_in_ns(void **state)
{
	struct fx *f = *state;
	int ns, skns;

	ns = nb_netns_new(&f->u);
	assert_true(ns >= 0);
	f->fd[0] = nb_netns_socket(ns, AF_INET, SOCK_DGRAM, 0);
	assert_true(f->fd[0] >= 0);
	assert_true(fcntl(f->fd[0], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(nb_netns_inode(-1), f->host);
	/* The kernel says which namespace the socket belongs to. */
	skns = ioctl(f->fd[0], SIOCGSKNS);
	assert_true(skns >= 0);
	f->fd[1] = skns;
	assert_int_equal(nb_netns_inode(skns), nb_netns_inode(ns));
}

static void t_route_socket(void **state)
{
	struct fx *f = *state;
	int ns, skns, bad, nfds;

	ns = nb_netns_new(&f->u);
	assert_true(ns >= 0);
	f->sk[0] = nb_netns_route_socket(ns);
	f->sk[1] = nb_netns_route_socket(-1);
	assert_non_null(f->sk[0]);
	assert_non_null(f->sk[1]);
	assert_int_equal(nb_netns_inode(-1), f->host);
	/* Connected, each in its own namespace. */
	assert_int_not_equal(nl_socket_get_local_port(f->sk[0]), 0);
	skns = ioctl(nl_socket_get_fd(f->sk[0]), SIOCGSKNS);
	assert_true(skns >= 0);
	f->fd[0] = skns;
	assert_int_equal(nb_netns_inode(skns), nb_netns_inode(ns));
	skns = ioctl(nl_socket_get_fd(f->sk[1]), SIOCGSKNS);
	assert_true(skns >= 0);
	f->fd[1] = skns;
	assert_int_equal(nb_netns_inode(skns), f->host);

	/* Failures: NULL, errno and a message; nothing leaked, thread home. */
	nfds = nb_test_count_fds();
	/* (a closed fd numbered high enough not to be reused meanwhile) */
	bad = fcntl(skns, F_DUPFD_CLOEXEC, 1000);
	assert_true(bad >= 1000);
	close(bad);
	nb_clearerr();
	errno = 0;
	assert_null(nb_netns_route_socket(bad));
	assert_int_equal(errno, EBADF);
	assert_string_not_equal(nb_lasterr(), "");
	bad = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(bad >= 0);
	errno = 0;
	assert_null(nb_netns_route_socket(bad));
	assert_int_equal(errno, EINVAL);
	close(bad);
	assert_int_equal(nb_test_count_fds(), nfds);
	assert_int_equal(nb_netns_inode(-1), f->host);
}

static void t_sysctl_per_ns(void **state)
{
	struct fx *f = *state;
	char host[128], va[128], vb[128];
	int a, b;

	a = nb_netns_new(&f->u);
	b = nb_netns_new(&f->u);
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(sysctl_read(-1, "net/ipv4/tcp_rmem", host,
				     sizeof(host)), 0);
	assert_int_equal(nb_netns_sysctl_write(a, "net/ipv4/tcp_rmem",
					       "4096 111111 6000000"), 0);
	assert_int_equal(nb_netns_sysctl_write(b, "net/ipv4/tcp_rmem",
					       "4096 222222 7000000"), 0);
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_int_equal(sysctl_read(a, "net/ipv4/tcp_rmem", va, sizeof(va)),
			 0);
	assert_int_equal(sysctl_read(b, "net/ipv4/tcp_rmem", vb, sizeof(vb)),
			 0);
	assert_string_equal(va, "4096\t111111\t6000000\n");
	assert_string_equal(vb, "4096\t222222\t7000000\n");
	/* The host's value is untouched. */
	assert_int_equal(sysctl_read(-1, "net/ipv4/tcp_rmem", va, sizeof(va)),
			 0);
	assert_string_equal(va, host);
	assert_string_not_equal(host, vb);
}

static void t_sysctl_errors(void **state)
{
	struct fx *f = *state;
	int ns;

	ns = nb_netns_new(&f->u);
	assert_true(ns >= 0);
	nb_clearerr();
	assert_int_equal(nb_netns_sysctl_write(ns, "../../etc/passwd", "x"),
			 -EINVAL);
	assert_string_not_equal(nb_lasterr(), "");
	assert_int_equal(nb_netns_sysctl_write(ns, "/proc/sys/x", "1"),
			 -EINVAL);
	assert_int_equal(nb_netns_sysctl_write(ns, "net/ipv4/no_such_knob",
					       "1"), -ENOENT);
	assert_int_equal(nb_netns_sysctl_write(ns, "net/ipv4/tcp_rmem",
					       "garbage"), -EINVAL);
	assert_int_equal(nb_netns_sysctl_write(-1, "net/ipv4/tcp_rmem",
					       "4096 1 2"), -EBADF);
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_int_equal(nb_test_count_fds(), f->nfds + 1);
}

static void t_undo_full(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < NB_UNDO_MAX; i++)
		assert_true(nb_undo_push(&f->u, NB_RES_OTHER, i, NULL, NULL,
					 "filler %d", i) >= 0);
	assert_int_equal(nb_netns_new(&f->u), -ENOSPC);
	assert_int_equal(nb_test_count_fds(), f->nfds);
	assert_int_equal(nb_netns_inode(-1), f->host);
}

/* Releasing the record really frees the namespace: a veth with one end in
 * namespace A and the other in B disappears from B once A is destroyed,
 * which the kernel does only when nothing holds A any more. */
static void t_release_destroys_ns(void **state)
{
	struct fx *f = *state;
	struct rtnl_link *veth, *peer, *got = NULL;
	struct timespec t0, t1;
	int a, b, ia, rv;

	a = nb_netns_new(&f->u);	/* record 0 */
	b = nb_netns_new(&f->u);	/* record 1 */
	assert_true(a >= 0 && b >= 0);
	f->sk[0] = nb_netns_route_socket(a);
	f->sk[1] = nb_netns_route_socket(b);
	assert_non_null(f->sk[0]);
	assert_non_null(f->sk[1]);

	veth = rtnl_link_veth_alloc();
	assert_non_null(veth);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, "tna0");
	rtnl_link_set_name(peer, "tnb0");
	rtnl_link_set_ns_fd(peer, b);
	rv = rtnl_link_add(f->sk[0], veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	assert_int_equal(rv, 0);
	assert_int_equal(rtnl_link_get_kernel(f->sk[1], 0, "tnb0", &got), 0);
	rtnl_link_put(got);
	got = NULL;

	/* Drop everything that holds A: its route socket, then its fd. */
	ia = (int)nb_netns_inode(a);
	nl_socket_free(f->sk[0]);
	f->sk[0] = NULL;
	nb_undo_release(&f->u, 0);
	assert_int_equal(nb_test_fds_holding((unsigned long)ia), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rv = rtnl_link_get_kernel(f->sk[1], 0, "tnb0", &got);
		if (got)
			rtnl_link_put(got);
		got = NULL;
		if (rv < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 10)
			break;
		usleep(5000);
	}
	/* A lookup by name of a device that is gone: ENODEV. */
	assert_int_equal(rv, -NLE_NODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_new_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(t_enter_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(t_socket_in_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(t_route_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(t_sysctl_per_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(t_sysctl_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(t_undo_full, setup, teardown),
		cmocka_unit_test_setup_teardown(t_release_destroys_ns, setup,
						teardown),
	};
	int rv;

	rv = nb_test_require_links("test_netns");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("netns", tests, NULL, NULL);
}
