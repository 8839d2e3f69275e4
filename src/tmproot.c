/* netbench: the process's temp root (see tmproot.h). */
#include "tmproot.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static char root[PATH_MAX];
static bool private_root;

static int mount_private(void)
{
	if (mkdir(NB_TMPROOT, 0700) && errno != EEXIST)
		return -errno;
	if (unshare(CLONE_NEWNS))
		return -errno;
	/* Mounts made here must not propagate back to the host. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("netbench", NB_TMPROOT, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0700,size=50%"))
		return -errno;
	return 0;
}

static void remove_fallback(void)
{
	rmdir(root);
}

const char *nb_tmproot(void)
{
	const char *tmp = getenv("TMPDIR");

	if (root[0])
		return root;
	if (mount_private() == 0) {
		snprintf(root, sizeof(root), "%s", NB_TMPROOT);
		private_root = true;
		return root;
	}
	snprintf(root, sizeof(root), "%s/netbench-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		nb_fail(-errno, "cannot make a temp directory in %s: %s",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		root[0] = '\0';
		return NULL;
	}
	atexit(remove_fallback);
	return root;
}

bool nb_tmproot_private(void)
{
	return private_root;
}
