/* netbench: what /proc says of processes (see procfs.h). */
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

const char *nb_proc_stat(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

int nb_proc_cpu(pid_t pid, double *seconds)
{
	unsigned long long ut, st;
	char buf[1024];
	const char *f = nb_proc_stat(pid, buf, sizeof(buf));

	if (!f)
		return nb_fail(-ENOENT, "/proc/%d/stat: cannot be read",
			       (int)pid);
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime (field 14) stime */
	if (sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return nb_fail(-EIO, "/proc/%d/stat: unexpected format",
			       (int)pid);
	*seconds = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

/* The processes of /proc, one call of fn per pid; stops when fn returns
 * false. Errors: negative errno from opendir. */
static int each_pid(bool (*fn)(pid_t pid, void *arg), void *arg)
{
	struct dirent *d;
	DIR *proc = opendir("/proc");

	if (!proc)
		return -errno;
	while ((d = readdir(proc)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' &&
		    !fn((pid_t)atoi(d->d_name), arg))
			break;
	closedir(proc);
	return 0;
}

struct group_sum {
	pid_t pgid;
	unsigned long long ticks;
	bool any;
};

static bool add_if_in_group(pid_t pid, void *arg)
{
	struct group_sum *g = arg;
	unsigned long long ut, st, cut, cst;
	char buf[1024];
	const char *f = nb_proc_stat(pid, buf, sizeof(buf));
	int pgrp;

	/* state ppid pgrp ... utime (14) stime cutime cstime */
	if (f && sscanf(f, "%*c %*d %d %*d %*d %*d %*u %*u %*u %*u "
			"%*u %llu %llu %llu %llu", &pgrp, &ut, &st, &cut,
			&cst) == 5 && pgrp == g->pgid) {
		g->ticks += ut + st + cut + cst;
		g->any = true;
	}
	return true;
}

int nb_proc_group_cpu(pid_t pgid, double *seconds)
{
	struct group_sum g = {.pgid = pgid};
	int rv = each_pid(add_if_in_group, &g);

	if (rv)
		return rv;
	if (!g.any)
		return -ESRCH;
	*seconds = (double)g.ticks / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

struct child_list {
	pid_t self, *out;
	size_t cap, n;
};

static bool add_if_child(pid_t pid, void *arg)
{
	struct child_list *l = arg;
	char buf[512];
	const char *f = nb_proc_stat(pid, buf, sizeof(buf));
	int ppid;

	if (f && sscanf(f, "%*c %d", &ppid) == 1 && ppid == l->self)
		l->out[l->n++] = pid;
	return l->n < l->cap;
}

size_t nb_proc_children(pid_t *out, size_t cap)
{
	struct child_list l = {.self = getpid(), .out = out, .cap = cap};

	if (cap && each_pid(add_if_child, &l))
		return 0;
	return l.n;
}
