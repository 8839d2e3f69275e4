/* netbench: headless Chromium for the tests (see chromium_testutil.h).
 *
 * What Debian 12's chromium (156 here) does under these flags, as root in
 * a network namespace (measured by test_browser): the pid we fork (the
 * wrapper script execs the browser) stays the browser; in its process
 * group are two zygotes, a GPU process (SwiftShader, --disable-gpu
 * notwithstanding), the network and storage services and three
 * renderers. Two chrome_crashpad_handler processes are started all the
 * same (--disable-breakpad and --disable-crash-reporter do not stop
 * them), each in a session of its own, re-parented to init (or to our
 * child subreaper), their command lines naming the user data directory:
 * killing the group does not reach them, but they exit on their own
 * within about 10 ms of the browser's death (chromium_stop() waits for
 * them, then kills what is left). --headless with a page and without
 * --dump-dom or --screenshot never exits: the caller stops it. The
 * browser gets PR_SET_PDEATHSIG: a test that dies takes it along (its
 * helpers follow it), otherwise a test killed by meson's timeout leaves
 * the whole browser running in a group of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "chromium_testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STRAY_WAIT_S 10
#define MAX_ARGS 64

extern char **environ;

/* Everything that would talk to the outside is off (ext_chromium.c's
 * flags, for the same browser). */
static const char *const base_flags[] = {
	"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
	"--no-default-browser-check", "--disable-extensions",
	"--disable-background-networking", "--disable-component-update",
	"--disable-sync", "--disable-default-apps", "--disable-breakpad",
	"--disable-crash-reporter", "--metrics-recording-only",
	"--password-store=basic", "--use-mock-keychain",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool chromium_present(void)
{
	return access(CHROMIUM, X_OK) == 0;
}

void chromium_start(struct chromium *c, const char *dir,
		    const char *const args[], const char *out)
{
	char udd[300], errp[300], env[4][300];
	const char *argv[MAX_ARGS];
	size_t n = 0, k = 0, a = 0;
	char **envp;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(udd, sizeof(udd), "--user-data-dir=%s/profile", dir);
	snprintf(errp, sizeof(errp), "%s/chromium.err", dir);
	snprintf(env[0], sizeof(env[0]), "HOME=%s", dir);
	snprintf(env[1], sizeof(env[1]), "TMPDIR=%s", dir);
	snprintf(env[2], sizeof(env[2]), "XDG_CONFIG_HOME=%s/.config", dir);
	snprintf(env[3], sizeof(env[3]), "XDG_CACHE_HOME=%s/.cache", dir);
	argv[a++] = CHROMIUM;
	for (size_t i = 0; i < sizeof(base_flags) / sizeof(*base_flags); i++)
		argv[a++] = base_flags[i];
	argv[a++] = udd;
	for (size_t i = 0; args[i]; i++) {
		assert_true(a < MAX_ARGS - 1);
		argv[a++] = args[i];
	}
	argv[a] = NULL;
	while (environ[n])
		n++;
	envp = calloc(n + 5, sizeof(*envp));
	assert_non_null(envp);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "HOME=", 5) &&
		    strncmp(environ[i], "TMPDIR=", 7) &&
		    strncmp(environ[i], "XDG_CONFIG_HOME=", 16) &&
		    strncmp(environ[i], "XDG_CACHE_HOME=", 15))
			envp[k++] = environ[i];
	for (size_t i = 0; i < 4; i++)
		envp[k++] = env[i];

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int o = open(out ? out : "/dev/null",
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0600);

		setpgid(0, 0);
		/* Dies with the test, whatever kills it (its helpers follow
		 * the browser). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 ||
		    dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execve(CHROMIUM, (char *const *)argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	free(envp);
	c->pid = pid;
}

bool chromium_wait(struct chromium *c, double timeout_s)
{
	double end = now_s() + timeout_s;
	siginfo_t si;

	while (!c->exited) {
		memset(&si, 0, sizeof(si));
		assert_int_equal(waitid(P_PID, (id_t)c->pid, &si,
					WEXITED | WNOHANG | WNOWAIT), 0);
		if (si.si_pid == c->pid)
			c->exited = true;
		else if (now_s() >= end)
			break;
		else
			usleep(50 * 1000);
	}
	return c->exited;
}

/* /proc/<pid>/stat fields 4-6 (ppid, pgrp, session) and the name. Returns
 * 0, or -1 when the process is gone. */
static int proc_stat(const char *pid, int *ppid, int *pgrp, int *sid,
		     char *name, size_t len)
{
	char path[300], buf[1024], *l, *r;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -1;
	snprintf(name, len, "%.*s", (int)(r - l - 1), l + 1);
	return sscanf(r + 2, "%*c %d %d %d", ppid, pgrp, sid) == 3 ? 0 : -1;
}

/* The processes naming dir, but for those of process group `skip` (0:
 * none): counted, listed with `print`, SIGKILLed with `kill_them`; the
 * first `max` pids into pids (may be NULL). */
static int procs(const char *dir, pid_t skip, bool print, bool kill_them,
		 pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[8192], name[64], type[64] = "browser";
		int fd, ppid = 0, pgrp = 0, sid = 0;
		ssize_t len;
		char *t;

		if (!isdigit((unsigned char)e->d_name[0]) ||
		    atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0 || !memmem(buf, (size_t)len, dir, strlen(dir)))
			continue;
		if (proc_stat(e->d_name, &ppid, &pgrp, &sid, name,
			      sizeof(name)) || (skip && pgrp == skip))
			continue;
		if (n < max)
			pids[n] = atoi(e->d_name);
		n++;
		if (print) {
			buf[len] = '\0';
			for (ssize_t i = 0; i < len; i++)
				if (!buf[i])
					buf[i] = ' ';
			t = strstr(buf, "--type=");
			if (t)
				sscanf(t + 7, "%63s", type);
			t = strstr(buf, "--utility-sub-type=");
			if (t)
				sscanf(t + 19, "%63s", type);
			if (!strncmp(name, "chrome_crashpad", 15))
				snprintf(type, sizeof(type), "crash handler");
			fprintf(stderr, "  pid %s ppid %d pgid %d sid %d %s "
				"(%s)\n", e->d_name, ppid, pgrp, sid, name, type);
		}
		if (kill_them)
			kill(atoi(e->d_name), SIGKILL);
	}
	closedir(d);
	return n;
}

int chromium_procs(const char *dir, bool print)
{
	return procs(dir, 0, print, false, NULL, 0);
}

/* Whether pid still runs (a zombie does not; one of ours is reaped). */
static bool running(pid_t pid)
{
	char path[64], buf[512], *r;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	r = strrchr(buf, ')');
	if (r && r[1] == ' ' && r[2] != 'Z')
		return true;
	waitpid(pid, NULL, WNOHANG);   /* ours if this is a subreaper */
	return false;
}

int chromium_stop(struct chromium *c, int *strays)
{
	pid_t left[16];
	double t0, gone_s = -1;
	int status, n, alive = 0;

	/* Those that left the group (the crash handler), while they run. */
	n = procs(c->dir, c->pid, false, false, left, 16);
	if (n > 16)
		n = 16;
	if (strays)
		*strays = n;
	kill(-c->pid, SIGKILL);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	t0 = now_s();
	for (int i = 0; i < STRAY_WAIT_S * 100; i++) {
		alive = 0;
		for (int j = 0; j < n; j++)
			alive += running(left[j]);
		if (!alive) {
			gone_s = now_s() - t0;
			break;
		}
		usleep(10 * 1000);
	}
	if (n && gone_s >= 0)
		fprintf(stderr, "chromium: %d process(es) outside its group "
			"exited %.2f s after it was killed\n", n, gone_s);
	if (procs(c->dir, 0, true, true, NULL, 0))
		fprintf(stderr, "chromium: killed its leftovers (above)\n");
	for (int j = 0, i = 0; j < n && i < 500; j++)
		while (running(left[j]) && i++ < 500)
			usleep(10 * 1000);
	return status;
}

char *chromium_err_tail(const char *dir)
{
	char path[300], *buf;
	struct stat st;
	off_t from;
	ssize_t n;
	int fd;

	buf = calloc(1, 2001);
	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/chromium.err", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	from = fstat(fd, &st) == 0 && st.st_size > 2000 ? st.st_size - 2000
							: 0;
	n = pread(fd, buf, 2000, from);
	close(fd);
	if (n > 0)
		buf[n] = '\0';
	return buf;
}
