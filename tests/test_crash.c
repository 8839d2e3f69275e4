/* netbench: crash safety. A real `netbench run` is killed mid-case, with
 * SIGKILL (no chance to clean up) and with SIGINT (clean exit 130 within a
 * second); afterwards no namespace, qdisc, process or temp file of it may
 * remain anywhere on the machine. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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

#include "envcheck.h"
#include "error.h"
#include "goodput.h"
#include "spawn.h"
#include "testutil.h"

#define MAX_INODES 64

struct runner {
	pid_t pid;
	pid_t server;
	unsigned long netns[MAX_INODES];
	size_t nnetns;
	unsigned long mntns;
	struct nb_env_snapshot host;   /* host qdiscs, listening sockets */
	char *tmp_before;
};

/* Names in /tmp, sorted into one string, to compare before and after. */
static char *list_tmp(void)
{
	struct dirent **names;
	int n = scandir("/tmp", &names, NULL, alphasort);
	size_t len = 1;
	char *s;

	if (n < 0)
		return strdup("");
	for (int i = 0; i < n; i++)
		len += strlen(names[i]->d_name) + 1;
	s = calloc(1, len);
	for (int i = 0; i < n; i++) {
		if (s) {
			strcat(s, names[i]->d_name);
			strcat(s, "\n");
		}
		free(names[i]);
	}
	free(names);
	return s;
}

static unsigned long ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

/* The parent pid of `pid`, or -1. */
static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

static void add_inode(struct runner *r, unsigned long ino)
{
	for (size_t i = 0; i < r->nnetns; i++) {
		if (r->netns[i] == ino)
			return;
	}
	if (ino && r->nnetns < MAX_INODES)
		r->netns[r->nnetns++] = ino;
}

/* Network namespaces the runner holds through fds and its children. */
static void collect(struct runner *r)
{
	unsigned long host = ns_inode("/proc/self/ns/net");
	char path[600], target[128];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", r->pid);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		unsigned long ino;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", r->pid, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "net:[%lu]", &ino) == 1 && ino != host)
			add_inode(r, ino);
	}
	if (dir)
		closedir(dir);
	if (r->server > 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", r->server);
		add_inode(r, ns_inode(path));
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", r->pid);
	r->mntns = ns_inode(path);
}

/* Whether any process on the machine refers to inode `ino` through an ns
 * link of `kind` or an fd. */
static int inode_in_use(unsigned long ino, const char *kind)
{
	char path[600], target[128], want[64];
	struct dirent *p, *f;
	DIR *proc = opendir("/proc"), *fds;
	int found = 0;

	snprintf(want, sizeof(want), "%s:[%lu]", kind, ino);
	while (proc && !found && (p = readdir(proc))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", p->d_name, kind);
		if (ns_inode(path) == ino) {
			found = 1;
			break;
		}
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && (f = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name,
				 f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n > 0) {
				target[n] = '\0';
				if (!strcmp(target, want)) {
					found = 1;
					break;
				}
			}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return found;
}

/* Finds the runner's server child and waits until the client thread runs. */
static int wait_mid_case(struct runner *r, double timeout_s)
{
	double end = nb_now() + timeout_s;
	char path[600], comm[32];

	while (nb_now() < end) {
		DIR *tasks;
		struct dirent *d;
		int client = 0;

		snprintf(path, sizeof(path), "/proc/%d/task", r->pid);
		tasks = opendir(path);
		while (tasks && (d = readdir(tasks))) {
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", r->pid,
				 d->d_name);
			f = fopen(path, "r");
			if (f && fgets(comm, sizeof(comm), f) &&
			    !strncmp(comm, "nb-client", 9))
				client = 1;
			if (f)
				fclose(f);
		}
		if (tasks)
			closedir(tasks);
		if (client) {
			DIR *proc = opendir("/proc");

			while (proc && (d = readdir(proc))) {
				pid_t pid = atoi(d->d_name);

				if (pid > 0 && ppid_of(pid) == r->pid)
					r->server = pid;
			}
			if (proc)
				closedir(proc);
			if (r->server > 0)
				return 0;
		}
		usleep(20000);
	}
	return -ETIMEDOUT;
}

static void start_runner(struct runner *r)
{
	char *argv[] = {(char *)nb_self_exe(), "run", "-p", "10M_40ms", "-P",
			"tcp", "-d", "download", "-n", "1", "--duration", "60",
			NULL};

	memset(r, 0, sizeof(*r));
	assert_int_equal(nb_env_snapshot(&r->host, NULL), 0);
	r->tmp_before = list_tmp();
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait_mid_case(r, 20.0))
		fail_msg("netbench run did not reach the transfer within 20 s");
	collect(r);
	assert_true(r->nnetns >= 2);   /* client and server namespaces */
	assert_true(r->mntns != 0);
}

/* Nothing of the runner remains: its server is gone, no process holds its
 * namespaces, the host has the same qdiscs, listening sockets and /tmp. */
static void assert_nothing_left(struct runner *r)
{
	double end = nb_now() + 3.0;
	char *tmp_after;
	int left, status;

	/* The test is a subreaper: the orphaned server comes to us. */
	while (nb_now() < end && waitpid(r->server, &status, WNOHANG) == 0)
		usleep(10000);
	if (kill(r->server, 0) == 0)
		fail_msg("server pid %d outlived the runner", r->server);
	for (;;) {
		left = 0;
		for (size_t i = 0; i < r->nnetns; i++)
			left += inode_in_use(r->netns[i], "net");
		left += inode_in_use(r->mntns, "mnt");
		if (!left || nb_now() > end)
			break;
		usleep(20000);
	}
	assert_int_equal(left, 0);
	{
		struct nb_env_snapshot now;
		size_t qd_before = 0, qd_after = 0;

		assert_int_equal(nb_env_snapshot(&now, NULL), 0);
		for (size_t i = 0; i < r->host.n; i++)
			qd_before += r->host.items[i].kind == NB_ENV_QDISC ||
				     r->host.items[i].kind == NB_ENV_LISTEN;
		for (size_t i = 0; i < now.n; i++)
			qd_after += now.items[i].kind == NB_ENV_QDISC ||
				    now.items[i].kind == NB_ENV_LISTEN;
		assert_int_equal(qd_before, qd_after);
		nb_env_snapshot_free(&now);
	}
	tmp_after = list_tmp();
	assert_string_equal(r->tmp_before, tmp_after);
	free(tmp_after);
	free(r->tmp_before);
	nb_env_snapshot_free(&r->host);
}

static void t_sigkill(void **state)
{
	struct runner r;
	int status;

	(void)state;
	start_runner(&r);
	assert_int_equal(kill(r.pid, SIGKILL), 0);
	assert_int_equal(waitpid(r.pid, &status, 0), r.pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_nothing_left(&r);
}

static void t_sigint(void **state)
{
	struct runner r;
	double t0, took;
	int status;

	(void)state;
	start_runner(&r);
	t0 = nb_now();
	assert_int_equal(kill(r.pid, SIGINT), 0);
	assert_int_equal(waitpid(r.pid, &status, 0), r.pid);
	took = nb_now() - t0;
	printf("netbench run exited %d, %.3f s after SIGINT\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, took);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 130);
	if (took > 1.0)
		fail_msg("exit took %.3f s after SIGINT (limit 1 s)", took);
	assert_nothing_left(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sigkill),
		cmocka_unit_test(t_sigint),
	};
	int rv;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(stderr, "test_crash: cannot become a subreaper\n");
		return 99;
	}
	rv = nb_test_require_links("test_crash");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
