/* Unit tests of the environment guard (src/envcheck.c).
 *
 * Every case takes a snapshot, leaks one kind of thing, runs nb_env_check()
 * and asserts on the report and on the state of the OS after restoration.
 * The group setup moves the test thread into a fresh network namespace, so
 * the "host namespace" of the guard (qdiscs, listening sockets) is private to
 * this run. Needs root; exits 77 when it cannot create a network namespace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <net/if.h> /* before libnl, which pulls linux/if.h */

#include "envcheck.h"
#include "netns.h"
#include "testutil.h"
#include "undo.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/socket.h>
#include <netlink/route/tc.h>

#define CASE "envcheck/unit"

#define assert_has(hay, needle)                                                \
	do {                                                                   \
		if (!strstr((hay), (needle)))                                  \
			fail_msg("report lacks \"%s\"; report:\n%s", (needle), \
				 (hay));                                       \
	} while (0)

#define assert_lacks(hay, needle)                                              \
	do {                                                                   \
		if (strstr((hay), (needle)))                                   \
			fail_msg("report has \"%s\"; report:\n%s", (needle),   \
				 (hay));                                       \
	} while (0)

struct sleeper {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thr;
	const char *name;
	pid_t tid;
	bool ready, stop, started, joined;
};

struct fx {
	struct nb_env_snapshot before;
	struct nb_undo u;
	FILE *out;
	char *text;
	size_t len;
	struct sleeper sl;
	pid_t pid;
	int fd[2];
	char tmpdir[64];
	char path[128];
};

/* ---- helpers ---------------------------------------------------------- */

static void *sleeper_main(void *arg)
{
	struct sleeper *sl = arg;

	pthread_setname_np(pthread_self(), sl->name);
	pthread_mutex_lock(&sl->mu);
	sl->tid = gettid();
	sl->ready = true;
	pthread_cond_broadcast(&sl->cv);
	while (!sl->stop)
		pthread_cond_wait(&sl->cv, &sl->mu);
	pthread_mutex_unlock(&sl->mu);
	return NULL;
}

static int sleeper_start(struct sleeper *sl, const char *name)
{
	int rv;

	sl->name = name;
	rv = pthread_create(&sl->thr, NULL, sleeper_main, sl);
	if (rv)
		return rv;
	sl->started = true;
	pthread_mutex_lock(&sl->mu);
	while (!sl->ready)
		pthread_cond_wait(&sl->cv, &sl->mu);
	pthread_mutex_unlock(&sl->mu);
	return 0;
}

/* The release function of a thread record: stop + join. */
static void sleeper_stop(void *arg)
{
	struct sleeper *sl = arg;

	if (!sl->started || sl->joined)
		return;
	pthread_mutex_lock(&sl->mu);
	sl->stop = true;
	pthread_cond_broadcast(&sl->cv);
	pthread_mutex_unlock(&sl->mu);
	pthread_join(sl->thr, NULL);
	sl->joined = true;
}

static void close_fd(void *arg)
{
	close(*(int *)arg);
}

static void unlink_path(void *arg)
{
	unlink(arg);
}

static int rm_entry(const char *p, const struct stat *st, int fl,
		    struct FTW *ftw)
{
	(void)st;
	(void)fl;
	(void)ftw;
	remove(p);
	return 0;
}

static bool fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static bool task_exists(pid_t tid)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/task/%d", (int)tid);
	return access(p, F_OK) == 0;
}

/* The report so far, NUL-terminated. */
static const char *report(struct fx *f)
{
	fflush(f->out);
	return f->text;
}

/* The report names where a resource was acquired: the nb_undo_push call
 * that starts on `line` and may go on to the next. gcc's __LINE__ in a
 * macro call spread over lines is its first line, clang's its last. */
static void assert_origin(const char *text, int line)
{
	char first[64], last[64];

	snprintf(first, sizeof(first), "test_envcheck.c:%d\n", line);
	snprintf(last, sizeof(last), "test_envcheck.c:%d\n", line + 1);
	if (!strstr(text, first) && !strstr(text, last))
		fail_msg("report names neither line %d nor %d of "
			 "test_envcheck.c; report:\n%s", line, line + 1, text);
}

static void new_report(struct fx *f)
{
	if (f->out)
		fclose(f->out);
	free(f->text);
	f->text = NULL;
	f->len = 0;
	f->out = open_memstream(&f->text, &f->len);
	assert_non_null(f->out);
}

static void snap(struct fx *f, const char *tmpdir)
{
	nb_env_snapshot_free(&f->before);
	assert_int_equal(nb_env_snapshot(&f->before, tmpdir), 0);
}

static int check(struct fx *f, const char *tmpdir)
{
	return nb_env_check(CASE, &f->before, tmpdir, &f->u, f->out);
}

static long long own_netns(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return -1;
	return (long long)st.st_ino;
}

static int add_htb_root(int ifindex)
{
	struct rtnl_qdisc *q = NULL;
	struct nl_sock *sk;
	int rv;

	sk = nb_netns_route_socket(-1);
	if (!sk)
		return -NLE_FAILURE;
	q = rtnl_qdisc_alloc();
	if (!q) {
		rv = -NLE_NOMEM;
		goto out;
	}
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	rv = rtnl_tc_set_kind(TC_CAST(q), "htb");
	if (rv == 0)
		rv = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (q)
		rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return rv;
}

/* The release function of a qdisc record. */
static void del_root_qdisc(void *arg)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_sock *sk = nb_netns_route_socket(-1);

	if (q && sk) {
		rtnl_tc_set_ifindex(TC_CAST(q), *(int *)arg);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rtnl_qdisc_delete(sk, q);
	}
	if (q)
		rtnl_qdisc_put(q);
	if (sk)
		nl_socket_free(sk);
}

/* How many qdiscs of that kind the calling thread's namespace has, or -1. */
static int count_qdiscs(const char *kind)
{
	struct nl_cache *qc = NULL;
	struct nl_object *o;
	struct nl_sock *sk;
	int n = -1;

	sk = nb_netns_route_socket(-1);
	if (!sk)
		return -1;
	if (rtnl_qdisc_alloc_cache(sk, &qc) == 0) {
		n = 0;
		for (o = nl_cache_get_first(qc); o; o = nl_cache_get_next(o))
			n += !strcmp(rtnl_tc_get_kind(TC_CAST(o)), kind);
		nl_cache_free(qc);
	}
	nl_socket_free(sk);
	return n;
}

struct ns_opener {
	int fd, err;
};

/* Enters a new netns on a helper thread and opens it: after the thread has
 * exited, only the fd holds that namespace. */
static void *ns_opener_main(void *arg)
{
	struct ns_opener *o = arg;

	o->fd = -1;
	if (unshare(CLONE_NEWNET) < 0) {
		o->err = errno;
		return NULL;
	}
	o->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	o->err = o->fd < 0 ? errno : 0;
	return NULL;
}

static int open_new_netns(void)
{
	struct ns_opener o = { -1, 0 };
	pthread_t t;

	if (pthread_create(&t, NULL, ns_opener_main, &o))
		return -1;
	pthread_join(t, NULL);
	return o.fd;
}

/* ---- fixtures --------------------------------------------------------- */

static int group_setup(void **state)
{
	struct ifreq ifr;
	int s, rv = -1;

	(void)state;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0)
			rv = 0;
	}
	close(s);
	return rv;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	pthread_mutex_init(&f->sl.mu, NULL);
	pthread_cond_init(&f->sl.cv, NULL);
	f->pid = -1;
	f->fd[0] = f->fd[1] = -1;
	nb_undo_init(&f->u);
	f->out = open_memstream(&f->text, &f->len);
	if (!f->out) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sleeper_stop(&f->sl);
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	}
	if (f->tmpdir[0])
		nftw(f->tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	nb_env_snapshot_free(&f->before);
	if (getenv("ENVCHECK_VERBOSE"))
		fprintf(stderr, "%s", report(f) ? report(f) : "");
	fclose(f->out);
	free(f->text);
	pthread_cond_destroy(&f->sl.cv);
	pthread_mutex_destroy(&f->sl.mu);
	free(f);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void t_clean(void **state)
{
	struct fx *f = *state;
	bool fd_ok;
	FILE *rf;
	int rv;

	snap(f, NULL);
	assert_true(nb_env_has(&f->before, NB_ENV_THREAD, gettid()));
	assert_true(nb_env_has(&f->before, NB_ENV_QDISC,
			       if_nametoindex("lo")));
	assert_int_equal(check(f, NULL), 0);
	assert_string_equal(report(f), "");

	/* a report stream opened after the snapshot is not the case's: it
	 * is neither reported nor closed under the writer's feet */
	rf = fopen("/dev/null", "we");
	assert_non_null(rf);
	rv = nb_env_check(CASE, &f->before, NULL, &f->u, rf);
	fd_ok = fcntl(fileno(rf), F_GETFD) >= 0;
	fclose(rf);
	assert_int_equal(rv, 0);
	assert_true(fd_ok);
}

static void t_thread_unknown(void **state)
{
	struct fx *f = *state;
	char want[128];

	snap(f, NULL);
	assert_int_equal(sleeper_start(&f->sl, "nb-leaky"), 0);
	assert_int_equal(check(f, NULL), 1);
	snprintf(want, sizeof(want),
		 CASE " leaked thread \"nb-leaky\" (tid %d), origin unknown (not on the undo stack)\n",
		 (int)f->sl.tid);
	assert_has(report(f), want);
	snprintf(want, sizeof(want),
		 CASE " could not restore thread \"nb-leaky\" (tid %d)\n",
		 (int)f->sl.tid);
	assert_has(report(f), want);
	/* nothing generic is safe for a thread: it must still run */
	assert_true(task_exists(f->sl.tid));
	sleeper_stop(&f->sl);
}

static void t_thread_registered(void **state)
{
	struct fx *f = *state;
	struct nb_env_snapshot now;
	char want[160];
	int idx, line;

	snap(f, NULL);
	assert_int_equal(sleeper_start(&f->sl, "nb-tracked"), 0);
	line = __LINE__ + 1;
	idx = nb_undo_push(&f->u, NB_RES_THREAD, f->sl.tid, sleeper_stop,
			   &f->sl, "thread \"nb-tracked\"");
	assert_true(idx >= 0);
	nb_undo_forget(&f->u, idx); /* a teardown that forgot it */
	assert_int_equal(check(f, NULL), 1);
	snprintf(want, sizeof(want),
		 " leaked thread \"nb-tracked\" (tid %d), started at ",
		 (int)f->sl.tid);
	assert_has(report(f), want);
	assert_origin(report(f), line);
	assert_lacks(report(f), "could not restore");
	assert_true(f->u.e[idx].released);
	assert_true(f->sl.joined);
	assert_false(task_exists(f->sl.tid));
	assert_int_equal(nb_env_snapshot(&now, NULL), 0);
	assert_false(nb_env_has(&now, NB_ENV_THREAD, f->sl.tid));
	nb_env_snapshot_free(&now);
}

static void t_fd(void **state)
{
	struct fx *f = *state;
	char want[128];
	int fd;

	snap(f, NULL);
	f->fd[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(f->fd[0] >= 0);
	assert_int_equal(check(f, NULL), 1);
	snprintf(want, sizeof(want),
		 CASE " leaked fd %d -> /dev/null, origin unknown (not on the undo stack)\n",
		 f->fd[0]);
	assert_has(report(f), want);
	assert_lacks(report(f), "could not restore");
	assert_true(fd_closed(f->fd[0]));
	f->fd[0] = -1;

	/* the same number, another file: a leak and a disappearance */
	new_report(f);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	snap(f, NULL);
	close(fd);
	f->fd[0] = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	assert_int_equal(f->fd[0], fd);
	assert_int_equal(check(f, NULL), 2);
	snprintf(want, sizeof(want), CASE " leaked fd %d -> /dev/zero, origin",
		 fd);
	assert_has(report(f), want);
	snprintf(want, sizeof(want), CASE " fd %d -> /dev/null is gone\n", fd);
	assert_has(report(f), want);
	assert_true(fd_closed(fd));
	f->fd[0] = -1;
}

static void t_child(void **state)
{
	struct fx *f = *state;
	char want[128];
	int line;

	snap(f, NULL);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		for (;;)
			pause();
	}
	/* a record whose release does nothing: the guard must fall back to
	 * kill + reap */
	line = __LINE__ + 1;
	assert_true(nb_undo_push(&f->u, NB_RES_PROCESS, f->pid, NULL, NULL,
				 "process %d", (int)f->pid) >= 0);
	assert_int_equal(check(f, NULL), 1);
	assert_has(report(f), CASE " leaked child process \"");
	snprintf(want, sizeof(want), "(pid %d), spawned at ", (int)f->pid);
	assert_has(report(f), want);
	assert_origin(report(f), line);
	assert_lacks(report(f), "could not restore");
	assert_int_equal(waitpid(f->pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	f->pid = -1;
}

static void t_zombie(void **state)
{
	struct fx *f = *state;
	char want[128], path[64], buf[256], *rp = NULL;
	int fd, i;
	ssize_t n;

	snap(f, NULL);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		_exit(0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)f->pid);
	for (i = 0; i < 5000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		assert_true(n > 0);
		buf[n] = '\0';
		rp = strrchr(buf, ')');
		if (rp && rp[2] == 'Z')
			break;
		usleep(1000);
	}
	assert_true(rp && rp[2] == 'Z');
	assert_int_equal(check(f, NULL), 1);
	snprintf(want, sizeof(want),
		 "(pid %d), origin unknown (not on the undo stack)\n",
		 (int)f->pid);
	assert_has(report(f), CASE " leaked zombie process \"");
	assert_has(report(f), want);
	assert_lacks(report(f), "could not restore");
	assert_int_equal(waitpid(f->pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	f->pid = -1;
}

static void make_file(const char *dir, const char *name)
{
	char p[128];
	int fd;

	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void t_tempfile(void **state)
{
	struct fx *f = *state;
	char want[256], p[128];
	struct stat st;
	int idx, line;

	snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/nb-envcheck-XXXXXX");
	assert_non_null(mkdtemp(f->tmpdir));
	make_file(f->tmpdir, "keep");
	snap(f, f->tmpdir);
	make_file(f->tmpdir, "f");
	snprintf(p, sizeof(p), "%s/d", f->tmpdir);
	assert_int_equal(mkdir(p, 0700), 0);
	make_file(p, "g");
	snprintf(f->path, sizeof(f->path), "%s/f", f->tmpdir);
	line = __LINE__ + 1;
	idx = nb_undo_push(&f->u, NB_RES_TEMPFILE, 0, unlink_path, f->path,
			   "%s", f->path);
	assert_true(idx >= 0);
	/* a record of another path that has "DIR/d/g" in it must not match */
	assert_true(nb_undo_push(&f->u, NB_RES_TEMPFILE, 0, NULL, NULL,
				 "%s/d/gx", f->tmpdir) >= 0);

	assert_int_equal(check(f, f->tmpdir), 3);
	snprintf(want, sizeof(want), CASE " leaked temp file %s, created at ",
		 f->path);
	assert_has(report(f), want);
	assert_origin(report(f), line);
	snprintf(want, sizeof(want),
		 CASE " leaked temp file %s/d, origin unknown (not on the undo stack)\n",
		 f->tmpdir);
	assert_has(report(f), want);
	snprintf(want, sizeof(want),
		 CASE " leaked temp file %s/d/g, origin unknown (not on the undo stack)\n",
		 f->tmpdir);
	assert_has(report(f), want);
	assert_lacks(report(f), "could not restore");
	assert_true(f->u.e[idx].released);
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(lstat(p, &st), -1);
	snprintf(p, sizeof(p), "%s/keep", f->tmpdir);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(lstat(f->tmpdir, &st), 0);
}

static int bound_socket(int type, unsigned int *port, unsigned long long *ino)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct stat st;
	int s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(s, 1) < 0) ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0 ||
	    fstat(s, &st) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	*ino = (unsigned long long)st.st_ino;
	return s;
}

static void t_listen(void **state)
{
	struct fx *f = *state;
	struct nb_env_snapshot now;
	unsigned long long tino, uino;
	unsigned int tport, uport;
	char want[200];
	int idx, line;

	snap(f, NULL);
	f->fd[0] = bound_socket(SOCK_STREAM, &tport, &tino);
	assert_true(f->fd[0] >= 0);
	line = __LINE__ + 1;
	idx = nb_undo_push(&f->u, NB_RES_FD, f->fd[0], close_fd, &f->fd[0],
			   "tcp listener");
	assert_true(idx >= 0);
	f->fd[1] = bound_socket(SOCK_DGRAM, &uport, &uino);
	assert_true(f->fd[1] >= 0);

	assert_int_equal(check(f, NULL), 4);
	snprintf(want, sizeof(want),
		 CASE " leaked listening socket tcp 127.0.0.1:%u (inode %llu) in the host namespace, opened at ",
		 tport, tino);
	assert_has(report(f), want);
	assert_origin(report(f), line);
	snprintf(want, sizeof(want),
		 CASE " leaked listening socket udp 127.0.0.1:%u (inode %llu) in the host namespace, origin unknown",
		 uport, uino);
	assert_has(report(f), want);
	snprintf(want, sizeof(want),
		 CASE " leaked fd %d -> socket:[%llu], opened at ",
		 f->fd[0], tino);
	assert_has(report(f), want);
	snprintf(want, sizeof(want),
		 CASE " leaked fd %d -> socket:[%llu], origin unknown",
		 f->fd[1], uino);
	assert_has(report(f), want);
	assert_lacks(report(f), "could not restore");
	assert_true(f->u.e[idx].released);
	assert_true(fd_closed(f->fd[0]));
	assert_true(fd_closed(f->fd[1]));
	f->fd[0] = f->fd[1] = -1;
	assert_int_equal(nb_env_snapshot(&now, NULL), 0);
	assert_false(nb_env_has(&now, NB_ENV_LISTEN, (long long)tino));
	assert_false(nb_env_has(&now, NB_ENV_LISTEN, (long long)uino));
	nb_env_snapshot_free(&now);
}

static void t_netns(void **state)
{
	struct fx *f = *state;
	struct nb_env_snapshot now;
	struct stat st0, st1;
	char want[200];
	int line;

	snap(f, NULL);
	f->fd[0] = open_new_netns();
	assert_true(f->fd[0] >= 0);
	f->fd[1] = open_new_netns();
	assert_true(f->fd[1] >= 0);
	assert_int_equal(fstat(f->fd[0], &st0), 0);
	assert_int_equal(fstat(f->fd[1], &st1), 0);
	line = __LINE__ + 1;
	assert_true(nb_undo_push(&f->u, NB_RES_NETNS, (long long)st1.st_ino,
				 close_fd, &f->fd[1], "netns") >= 0);

	assert_int_equal(check(f, NULL), 2);
	snprintf(want, sizeof(want),
		 CASE " leaked network namespace net:[%llu] (held by fd %d), origin unknown (not on the undo stack)\n",
		 (unsigned long long)st0.st_ino, f->fd[0]);
	assert_has(report(f), want);
	snprintf(want, sizeof(want),
		 CASE " leaked network namespace net:[%llu] (held by fd %d), created at ",
		 (unsigned long long)st1.st_ino, f->fd[1]);
	assert_has(report(f), want);
	assert_origin(report(f), line);
	assert_lacks(report(f), "leaked fd");
	assert_lacks(report(f), "could not restore");
	assert_true(fd_closed(f->fd[0]));
	assert_true(fd_closed(f->fd[1]));
	f->fd[0] = f->fd[1] = -1;
	assert_int_equal(nb_env_snapshot(&now, NULL), 0);
	assert_false(nb_env_has(&now, NB_ENV_NETNS, (long long)st0.st_ino));
	assert_false(nb_env_has(&now, NB_ENV_NETNS, (long long)st1.st_ino));
	nb_env_snapshot_free(&now);
}

static void t_qdisc(void **state)
{
	struct fx *f = *state;
	static int lo;
	char want[200];
	int rv, a, b, line;

	lo = (int)if_nametoindex("lo");
	assert_true(lo > 0);
	snap(f, NULL);
	rv = add_htb_root(lo);
	if (rv == -NLE_OBJ_NOTFOUND)
		skip(); /* no sch_htb */
	assert_int_equal(rv, 0);
	assert_int_equal(count_qdiscs("htb"), 1);
	assert_int_equal(check(f, NULL), 2);
	snprintf(want, sizeof(want),
		 CASE " leaked qdisc htb 1: on lo (ifindex %d) in the host namespace, origin unknown (not on the undo stack)\n",
		 lo);
	assert_has(report(f), want);
	snprintf(want, sizeof(want),
		 CASE " qdisc noqueue 0: on lo (ifindex %d) in the host namespace is gone\n",
		 lo);
	assert_has(report(f), want);
	assert_lacks(report(f), "could not restore");
	assert_int_equal(count_qdiscs("htb"), 0);
	assert_int_equal(count_qdiscs("noqueue"), 1);

	/* now on the undo stack; a newer record of the same ifindex in
	 * another namespace (id2) must not be taken for it */
	new_report(f);
	snap(f, NULL);
	assert_int_equal(add_htb_root(lo), 0);
	line = __LINE__ + 1;
	a = nb_undo_push(&f->u, NB_RES_QDISC, lo, del_root_qdisc, &lo, "htb");
	assert_true(a >= 0);
	f->u.e[a].id2 = (unsigned long long)own_netns();
	b = nb_undo_push(&f->u, NB_RES_QDISC, lo, NULL, NULL, "htb elsewhere");
	assert_true(b >= 0);
	f->u.e[b].id2 = (unsigned long long)own_netns() + 12345;
	assert_int_equal(check(f, NULL), 2);
	snprintf(want, sizeof(want),
		 CASE " leaked qdisc htb 1: on lo (ifindex %d) in the host namespace, added at ",
		 lo);
	assert_has(report(f), want);
	assert_origin(report(f), line);
	assert_true(f->u.e[a].released);
	assert_false(f->u.e[b].released);
	assert_int_equal(count_qdiscs("htb"), 0);
}

struct nl_holder {
	struct nl_sock *sk;
	int ifindex;
	bool fd_ok;
};

/* A qdisc release that frees a netlink socket of its own, like a shaper
 * fixture does: the socket's fd is not on the undo stack. */
static void release_with_socket(void *arg)
{
	struct nl_holder *h = arg;
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	h->fd_ok = fcntl(nl_socket_get_fd(h->sk), F_GETFD) >= 0;
	if (q) {
		rtnl_tc_set_ifindex(TC_CAST(q), h->ifindex);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rtnl_qdisc_delete(h->sk, q);
		rtnl_qdisc_put(q);
	}
	nl_socket_free(h->sk);
	h->sk = NULL;
}

/* Records are released before anything generic happens: the unregistered
 * fd of the socket the qdisc record owns must not be closed first. */
static void t_records_first(void **state)
{
	struct fx *f = *state;
	static struct nl_holder h;
	char want[200];
	int fd, idx;

	memset(&h, 0, sizeof(h));
	h.ifindex = (int)if_nametoindex("lo");
	snap(f, NULL);
	h.sk = nb_netns_route_socket(-1);
	assert_non_null(h.sk);
	fd = nl_socket_get_fd(h.sk);
	if (add_htb_root(h.ifindex) == -NLE_OBJ_NOTFOUND) {
		nl_socket_free(h.sk);
		skip();
	}
	idx = nb_undo_push(&f->u, NB_RES_QDISC, h.ifindex, release_with_socket,
			   &h, "htb 1: on lo");
	assert_true(idx >= 0);
	f->u.e[idx].id2 = (unsigned long long)own_netns();
	nb_undo_forget(&f->u, idx);

	assert_int_equal(check(f, NULL), 3);
	snprintf(want, sizeof(want), CASE " leaked fd %d -> socket:[", fd);
	assert_has(report(f), want);
	assert_has(report(f), CASE " leaked qdisc htb 1: on lo");
	assert_lacks(report(f), "could not restore");
	assert_true(f->u.e[idx].released);
	assert_null(h.sk);
	assert_true(h.fd_ok);
	assert_true(fd_closed(fd));
	assert_int_equal(count_qdiscs("htb"), 0);
}

/* ---- main ------------------------------------------------------------- */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(t_thread_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(t_thread_registered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(t_child, setup, teardown),
		cmocka_unit_test_setup_teardown(t_zombie, setup, teardown),
		cmocka_unit_test_setup_teardown(t_tempfile, setup, teardown),
		cmocka_unit_test_setup_teardown(t_listen, setup, teardown),
		cmocka_unit_test_setup_teardown(t_netns, setup, teardown),
		cmocka_unit_test_setup_teardown(t_qdisc, setup, teardown),
		cmocka_unit_test_setup_teardown(t_records_first, setup,
						teardown),
	};
	int rv;

	rv = nb_test_require_links("test_envcheck");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("envcheck", tests, group_setup,
					   NULL);
}
