/* netbench: child processes that a case owns (see spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "interrupt.h"
#include "procfs.h"
#include "undo.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(int nsfd, int ready_w, int out_fd, pid_t parent,
	   char *const argv[])
{
	int devnull;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(126);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
		_exit(126);
	/* Output first: out_fd may be fd NB_READY_FD, which the pipe is
	 * about to take. */
	if (out_fd >= 0 && (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0))
		_exit(126);
	if (ready_w != NB_READY_FD) {
		if (dup2(ready_w, NB_READY_FD) < 0)
			_exit(126);
	} else if (fcntl(ready_w, F_SETFD, 0)) {
		_exit(126);
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull >= 0 && devnull != 0)
		dup2(devnull, 0);
	/* Nothing of the runner's but stdio and the readiness pipe. */
	close_range(NB_READY_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC);
	/* The runner ignores SIGPIPE and catches SIGINT/SIGTERM: restore. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

static void release_child(void *arg)
{
	nb_child_stop(arg);
}

int nb_child_poll(struct nb_child *c)
{
	pid_t r;
	int status;

	if (c->reaped)
		return 1;
	r = wait4(c->pid, &status, WNOHANG, &c->ru);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	c->status = status;
	c->reaped = true;
	return 1;
}

static int wait_exit(struct nb_child *c, double timeout_s)
{
	double end = now_s() + timeout_s;
	int rv;

	while ((rv = nb_child_poll(c)) == 0 && now_s() < end)
		usleep(5000);
	return rv;
}

/* Reaps what the child left in its group once it is handed to us (a
 * subreaper gets its orphans), until the group is empty or
 * NB_SPAWN_TERM_MS pass: a browser's helpers must not outlive its stop as
 * zombies. */
static void reap_group(pid_t pgid)
{
	double end = now_s() + NB_SPAWN_TERM_MS / 1000.0;

	do {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) && errno == ESRCH)
			return;
		usleep(2000);
	} while (now_s() < end);
}

int nb_child_stop(struct nb_child *c)
{
	int rv;

	if (c->reaped) {
		/* It exited by itself: what it left in its group goes. */
		if (c->pid > 0 && !kill(-c->pid, SIGKILL))
			reap_group(c->pid);
		return 0;
	}
	kill(-c->pid, SIGTERM);
	rv = wait_exit(c, NB_SPAWN_TERM_MS / 1000.0);
	if (rv == 0) {
		kill(-c->pid, SIGKILL);
		while (wait4(c->pid, &c->status, 0, &c->ru) < 0) {
			if (errno != EINTR)
				return -errno;
		}
		c->reaped = true;
		rv = 1;
	}
	/* Anything the child left in its group goes with it. */
	if (!kill(-c->pid, SIGKILL))
		reap_group(c->pid);
	return rv < 0 ? rv : 0;
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "wait status 0x%x", status);
}

/* Waits for "READY\n" on rfd. Returns 0, -ECHILD, -ETIMEDOUT or -EINTR. */
static int wait_ready(struct nb_child *c, int rfd, int ready_ms)
{
	double end = now_s() + ready_ms / 1000.0;
	char buf[16];
	size_t got = 0;

	while (got < 6) {
		struct pollfd p = {.fd = rfd, .events = POLLIN};
		double left = end - now_s();
		ssize_t n;
		char st[64];

		if (nb_interrupted())
			return nb_fail(-EINTR, "interrupted while %s started",
				       c->name);
		if (left <= 0)
			return nb_fail(-ETIMEDOUT,
				       "%s did not report ready within %d ms",
				       c->name, ready_ms);
		if (poll(&p, 1, left * 1000 < NB_POLL_MS ? (int)(left * 1000) + 1
							 : NB_POLL_MS) <= 0)
			continue;
		n = read(rfd, buf + got, sizeof(buf) - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* EOF: the child closed the pipe or died. */
		if (wait_exit(c, 1.0) == 1) {
			describe_status(c->status, st, sizeof(st));
			return nb_fail(-ECHILD, "%s exited before it was ready (%s)",
				       c->name, st);
		}
		return nb_fail(-ECHILD, "%s closed its readiness pipe", c->name);
	}
	if (memcmp(buf, "READY\n", 6))
		return nb_fail(-EPROTO, "%s wrote garbage on its readiness pipe",
			       c->name);
	return 0;
}

int nb_spawn_at(struct nb_undo *u, const char *file, int line,
		struct nb_child *c, int nsfd, char *const argv[], int ready_ms)
{
	return nb_spawn_out_at(u, file, line, c, nsfd, argv, ready_ms, -1);
}

int nb_spawn_out_at(struct nb_undo *u, const char *file, int line,
		    struct nb_child *c, int nsfd, char *const argv[],
		    int ready_ms, int out_fd)
{
	pid_t parent = getpid();
	const char *base = strrchr(argv[0], '/');
	int p[2];
	int rv;

	memset(c, 0, sizeof(*c));
	c->undo_idx = -1;
	snprintf(c->name, sizeof(c->name), "%s", base ? base + 1 : argv[0]);
	if (argv[1])
		snprintf(c->name, sizeof(c->name), "%s %s",
			 base ? base + 1 : argv[0], argv[1]);
	if (pipe2(p, O_CLOEXEC))
		return nb_fail(-errno, "pipe: %s", strerror(errno));
	c->pid = fork();
	if (c->pid < 0) {
		rv = nb_fail(-errno, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return rv;
	}
	if (c->pid == 0)
		child_exec(nsfd, p[1], out_fd, parent, argv);
	/* The parent sets the group too: no race with kill(-pid). */
	setpgid(c->pid, c->pid);
	close(p[1]);
	rv = nb_undo_push_at(u, file, line, NB_RES_PROCESS, c->pid,
			     release_child, c, "process \"%s\"", c->name);
	if (rv < 0) {
		nb_child_stop(c);
		close(p[0]);
		return nb_fail(rv, "undo stack full");
	}
	c->undo_idx = rv;
	rv = ready_ms > 0 ? wait_ready(c, p[0], ready_ms) : 0;
	close(p[0]);
	if (rv < 0)
		nb_undo_release(u, c->undo_idx);
	return rv;
}

double nb_child_cpu_seconds(const struct nb_child *c)
{
	return (double)c->ru.ru_utime.tv_sec + c->ru.ru_utime.tv_usec / 1e6 +
	       (double)c->ru.ru_stime.tv_sec + c->ru.ru_stime.tv_usec / 1e6;
}

int nb_child_cpu_now(const struct nb_child *c, double *seconds)
{
	if (c->reaped) {
		*seconds = nb_child_cpu_seconds(c);
		return 0;
	}
	return nb_proc_cpu(c->pid, seconds);
}

void nb_children_now(struct nb_child_set *s)
{
	s->n = nb_proc_children(s->pid, NB_CHILD_SET_MAX);
}

void nb_children_stop_new(const struct nb_child_set *before)
{
	double end = now_s() + 1.0;
	struct nb_child_set now;

	do {
		size_t strays = 0;

		nb_children_now(&now);
		for (size_t i = 0; i < now.n; i++) {
			bool old = false;

			for (size_t k = 0; k < before->n && !old; k++)
				old = now.pid[i] == before->pid[k];
			if (old)
				continue;
			strays++;
			kill(now.pid[i], SIGKILL);
			waitpid(now.pid[i], NULL, 0);
		}
		if (!strays)
			return;
		usleep(20000);
	} while (now_s() < end);
}

const char *nb_self_exe(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("NETBENCH_EXE");
	const char *base;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0) {
		nb_fail(-ENOENT, "cannot read /proc/self/exe");
		return NULL;
	}
	path[n] = '\0';
	/* A test program run by hand without $NETBENCH_EXE must not spawn
	 * itself as the server: that child would run the tests again and
	 * spawn another, without end. */
	base = strrchr(path, '/');
	if (strcmp(base ? base + 1 : path, "netbench")) {
		nb_fail(-ENOENT, "NETBENCH_EXE is not set and %s is not netbench "
			"(meson test sets it; by hand: NETBENCH_EXE=build/netbench)",
			path);
		return NULL;
	}
	/* Under a chroot the kernel's name for the binary may lie outside our
	 * root; the magic link always execs the very same file. */
	if (access(path, X_OK))
		return "/proc/self/exe";
	return path;
}

void nb_signal_ready(int fd)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return;
	if (write(fd, "READY\n", 6) != 6) {
		/* The parent is gone or not listening: nothing to tell. */
	}
	close(fd);
}
