/* Unit tests of src/tap.c: TAP devices created in a namespace, held by
 * their fd. Every test works in fresh anonymous namespaces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <net/if.h>
#include <linux/if_tun.h>

#include "error.h"
#include "netns.h"
#include "tap.h"
#include "testutil.h"
#include "undo.h"

struct fx {
	struct nb_undo u;
	int ns;
	int fd[2];
	int nfds;               /* open fds before the test */
	unsigned long host;     /* the thread's namespace */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	nb_undo_init(&f->u);
	f->fd[0] = f->fd[1] = -1;
	f->nfds = nb_test_count_fds();
	f->host = nb_netns_inode(-1);
	f->ns = nb_netns_new(&f->u);
	if (f->ns < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int leaked;

	for (int i = 0; i < 2; i++)
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	nb_undo_unwind(&f->u);
	leaked = nb_test_count_fds() - f->nfds;
	free(f);
	return leaked ? -1 : 0;
}

/* The ifindex of `name` as seen from inside nsfd, 0 when it is not there. */
static unsigned ifindex_in(int nsfd, const char *name)
{
	unsigned idx;
	int saved;

	assert_int_equal(nb_netns_enter(nsfd, &saved), 0);
	idx = if_nametoindex(name);
	assert_int_equal(nb_netns_leave(saved), 0);
	return idx;
}

/* Waits up to 2 s for `name` to be gone from nsfd. */
static bool gone_from(int nsfd, const char *name)
{
	for (int k = 0; k < 200; k++) {
		if (!ifindex_in(nsfd, name))
			return true;
		usleep(10000);
	}
	return false;
}

static void t_usable(void **state)
{
	(void)state;
	assert_int_equal(nb_tap_usable(), 0);
	assert_int_equal(nb_tap_usable(), 0);   /* cached, same answer */
}

static void t_open_in_namespace(void **state)
{
	struct fx *f = *state;
	struct ifreq ifr;
	int fl;

	f->fd[0] = nb_tap_open(f->ns, "nbtap0");
	if (f->fd[0] < 0)
		fail_msg("nb_tap_open: %s", nb_lasterr());
	/* The calling thread is back where it was. */
	assert_int_equal(nb_netns_inode(-1), f->host);

	fl = fcntl(f->fd[0], F_GETFL);
	assert_true(fl >= 0);
	assert_true(fl & O_NONBLOCK);
	assert_int_equal(fl & O_ACCMODE, O_RDWR);
	fl = fcntl(f->fd[0], F_GETFD);
	assert_true(fl >= 0);
	assert_true(fl & FD_CLOEXEC);

	/* A TAP with bare Ethernet frames, named as asked. */
	memset(&ifr, 0, sizeof(ifr));
	assert_int_equal(ioctl(f->fd[0], TUNGETIFF, &ifr), 0);
	assert_string_equal(ifr.ifr_name, "nbtap0");
	assert_true(ifr.ifr_flags & IFF_TAP);
	assert_false(ifr.ifr_flags & IFF_TUN);
	assert_true(ifr.ifr_flags & IFF_NO_PI);

	/* In the namespace, not in the host's. */
	assert_true(ifindex_in(f->ns, "nbtap0") > 0);
	assert_int_equal(if_nametoindex("nbtap0"), 0);

	/* Not persistent: closing the fd deletes the device. */
	close(f->fd[0]);
	f->fd[0] = -1;
	assert_true(gone_from(f->ns, "nbtap0"));
}

static void t_name_taken(void **state)
{
	struct fx *f = *state;
	int rv, ns2;

	f->fd[0] = nb_tap_open(f->ns, "nbtap0");
	assert_true(f->fd[0] >= 0);
	nb_clearerr();
	rv = nb_tap_open(f->ns, "nbtap0");
	if (rv >= 0)
		close(rv);
	assert_true(rv < 0);
	assert_non_null(strstr(nb_lasterr(), "nbtap0"));
	/* The first device is untouched. */
	assert_true(ifindex_in(f->ns, "nbtap0") > 0);
	assert_int_equal(nb_netns_inode(-1), f->host);

	/* A name a device of another kind holds. */
	nb_clearerr();
	rv = nb_tap_open(f->ns, "lo");
	if (rv >= 0)
		close(rv);
	assert_true(rv < 0);
	assert_true(nb_lasterr()[0] != '\0');

	/* Names are per namespace: the same one elsewhere is fine. */
	ns2 = nb_netns_new(&f->u);
	assert_true(ns2 >= 0);
	f->fd[1] = nb_tap_open(ns2, "nbtap0");
	assert_true(f->fd[1] >= 0);
	assert_true(ifindex_in(ns2, "nbtap0") > 0);

	/* Once the holder is closed, the name is free again. */
	close(f->fd[0]);
	f->fd[0] = -1;
	assert_true(gone_from(f->ns, "nbtap0"));
	f->fd[0] = nb_tap_open(f->ns, "nbtap0");
	assert_true(f->fd[0] >= 0);
}

static void t_bad_name(void **state)
{
	struct fx *f = *state;
	int fds = nb_test_count_fds();

	nb_clearerr();
	assert_int_equal(nb_tap_open(f->ns, "nbtap-too-long0"  "x"), -EINVAL);
	assert_true(nb_lasterr()[0] != '\0');
	assert_int_equal(nb_tap_open(f->ns, NULL), -EINVAL);
	assert_int_equal(nb_test_count_fds(), fds);
	assert_int_equal(nb_netns_inode(-1), f->host);

	/* IFNAMSIZ - 1 characters is the longest name that fits. */
	f->fd[0] = nb_tap_open(f->ns, "nbtap-fifteen-0");
	assert_true(f->fd[0] >= 0);
	assert_true(ifindex_in(f->ns, "nbtap-fifteen-0") > 0);
}

static void t_bad_namespace(void **state)
{
	struct fx *f = *state;
	int fds = nb_test_count_fds(), null;

	nb_clearerr();
	assert_int_equal(nb_tap_open(-1, "nbtap0"), -EBADF);
	assert_true(nb_lasterr()[0] != '\0');
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(null >= 0);
	assert_true(nb_tap_open(null, "nbtap0") < 0);
	close(null);
	assert_int_equal(nb_test_count_fds(), fds);
	assert_int_equal(nb_netns_inode(-1), f->host);
	assert_int_equal(if_nametoindex("nbtap0"), 0);
}

static void t_read_empty(void **state)
{
	struct fx *f = *state;
	unsigned char buf[2048];

	f->fd[0] = nb_tap_open(f->ns, "nbtap0");
	assert_true(f->fd[0] >= 0);
	errno = 0;
	assert_int_equal(read(f->fd[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Makes TAP `name` in nsfd persistent (persist = 1) and lets go of it, or
 * attaches to it and makes it ordinary again, so that closing deletes it. */
static void set_persist(int nsfd, const char *name, unsigned long persist)
{
	struct ifreq ifr;
	int saved, fd;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(nb_netns_enter(nsfd, &saved), 0);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_int_equal(nb_netns_leave(saved), 0);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, persist), 0);
	close(fd);
}

/* nb_tap_open creates: a name already taken is -EEXIST, as tap.h says,
 * and a leftover persistent TAP of that name is not silently adopted (its
 * fd would not delete it on close). */
static void t_name_taken_exclusive(void **state)
{
	struct fx *f = *state;
	int busy, adopted;
	bool left;

	f->fd[0] = nb_tap_open(f->ns, "nbtap0");
	assert_true(f->fd[0] >= 0);
	busy = nb_tap_open(f->ns, "nbtap0");
	if (busy >= 0)
		close(busy);

	set_persist(f->ns, "nbtap-p", 1);
	assert_true(ifindex_in(f->ns, "nbtap-p") > 0);
	adopted = nb_tap_open(f->ns, "nbtap-p");
	if (adopted >= 0)
		close(adopted);
	left = ifindex_in(f->ns, "nbtap-p") > 0;
	set_persist(f->ns, "nbtap-p", 0);
	assert_true(gone_from(f->ns, "nbtap-p"));

	print_message("taken: %d, persistent leftover: %d%s\n", busy, adopted,
		      adopted >= 0 ? " (adopted)" : "");
	assert_true(busy < 0);
	assert_int_equal(busy, -EEXIST);
	assert_int_equal(adopted, -EEXIST);
	assert_true(left);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_usable),
		cmocka_unit_test_setup_teardown(t_open_in_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(t_name_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bad_name, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bad_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(t_read_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(t_name_taken_exclusive, setup,
						teardown),
	};
	int rv;

	if ((rv = nb_test_require_links("tap")))
		return rv;
	return cmocka_run_group_tests_name("tap", tests, NULL, NULL);
}
