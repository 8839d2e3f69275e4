/* netbench: what /proc says of processes: a process's CPU, a process
 * group's CPU, this process's children. */
#ifndef NB_PROCFS_H
#define NB_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* The fields of /proc/<pid>/stat after "pid (comm) " into buf (comm may
 * hold spaces and parentheses: they are counted from the last ')'), from
 * the state on. Returns them, or NULL (gone, unreadable). */
const char *nb_proc_stat(pid_t pid, char *buf, size_t len);

/* CPU seconds (user + system) of process pid. Errors: negative errno
 * (gone: -ENOENT), -EIO (unexpected format); nb_lasterr() says which. */
int nb_proc_cpu(pid_t pid, double *seconds);

/* CPU seconds of every process in group pgid (with what they reaped).
 * Errors: -ESRCH (no such group), negative errno from opendir. */
int nb_proc_group_cpu(pid_t pgid, double *seconds);

/* This process's children (PPid = us), at most cap of them into out.
 * Returns how many (0 when /proc cannot be read). */
size_t nb_proc_children(pid_t *out, size_t cap);

#endif
