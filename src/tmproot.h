/* netbench: the process's temp root, where every case gets its temp
 * directory.
 *
 * Where the process may (root), it moves into a mount namespace of its own
 * and mounts a tmpfs on NB_TMPROOT (created once, empty, 0700): whatever a
 * case writes there is seen by nobody else and is discarded by the kernel
 * when the process and its children are gone, even after SIGKILL. Elsewhere
 * it falls back to a mkdtemp() directory removed at exit.
 *
 * Call before starting any thread (a mount namespace is per task, and only
 * threads created afterwards share it).
 */
#ifndef NB_TMPROOT_H
#define NB_TMPROOT_H

#include <stdbool.h>

#define NB_TMPROOT "/tmp/.netbench"

/* Sets up the temp root once and returns its path, or NULL with
 * nb_lasterr() set. */
const char *nb_tmproot(void);

/* Whether the temp root is a private tmpfs (crash-safe). */
bool nb_tmproot_private(void);

#endif
