/* netbench: TAP devices (see tap.h). */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include "error.h"
#include "netns.h"

#define TUN_PATH "/dev/net/tun"

int nb_tap_open(int nsfd, const char *name)
{
	/* IFF_TUN_EXCL: create, never attach to a device of that name (a
	 * persistent leftover would outlive our fd); a taken name is -EBUSY. */
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL };
	int fd, rv;

	if (!name || strlen(name) >= IFNAMSIZ)
		return nb_fail(-EINVAL, "tap: bad device name");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	/* The device is made in the namespace of the fd's opener, whoever
	 * calls TUNSETIFF: only the open needs to happen inside. */
	fd = nb_netns_open(nsfd, TUN_PATH, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return nb_fail(fd == -ENOENT || fd == -ENODEV ? -EOPNOTSUPP : fd,
			       "tap: %s", nb_lasterr());
	if (ioctl(fd, TUNSETIFF, &ifr) == 0)
		return fd;
	rv = -errno;
	close(fd);
	if (rv == -EBUSY)
		return nb_fail(-EEXIST, "tap: create %s: the name is taken in "
			       "that namespace", name);
	return nb_fail(rv, "tap: create %s: %s", name, strerror(-rv));
}

static int usable_rv;
static char usable_msg[256];

/* Opening the clone device is enough to know the driver is there (the
 * open loads it); no device is created, nothing changes anywhere. */
static void probe_once(void)
{
	int fd, rv;

	fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return;
	}
	rv = -errno;
	usable_rv = rv == -ENOENT || rv == -ENODEV || rv == -ENXIO
			    ? -EOPNOTSUPP : rv;
	snprintf(usable_msg, sizeof(usable_msg), "no TUN/TAP: open %s: %s",
		 TUN_PATH, strerror(-rv));
}

int nb_tap_usable(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, probe_once);
	if (usable_rv < 0)
		return nb_fail(usable_rv, "%s", usable_msg);
	return 0;
}
