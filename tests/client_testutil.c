/* netbench: helpers of the client tests (see client_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_testutil.h"
#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "payload.h"
#include "testutil.h"
#include "tls.h"

#define SKIP 77

bool under_valgrind;

/* --- the process --------------------------------------------------------- */

/* A network namespace of our own with lo up: the peers listen on
 * 127.0.0.1 without meeting the host's. */
static int isolate(void)
{
	struct ifreq ifr = {0};
	int fd, rv = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rv = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!rv && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rv = -errno;
	close(fd);
	return rv;
}

int client_test_prepare(const char *name, char *tmp, char *htdocs,
			size_t htdocs_len)
{
	int rv;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: skipped: needs root "
			"(a network namespace of its own)\n", name);
		return SKIP;
	}
	rv = isolate();
	if (rv) {
		fprintf(stderr, "%s: skipped: cannot isolate: %s\n", name,
			strerror(-rv));
		return SKIP;
	}
	under_valgrind = getenv("NETBENCH_UNDER_VALGRIND") != NULL;
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "%s: mkdtemp: %s\n", name, strerror(errno));
		return 1;
	}
	snprintf(htdocs, htdocs_len, "%s/htdocs", tmp);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(path);
}

void client_test_cleanup(const char *name, const char *tmp)
{
	if (nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "%s: cannot remove %s\n", name, tmp);
}

int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* --- files --------------------------------------------------------------- */

int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

int write_served(const char *htdocs, const char *name, size_t len,
		 uint64_t flip)
{
	char path[256];
	uint8_t *buf = malloc(len ? len : 1);
	int rv;

	if (!buf)
		return -ENOMEM;
	nb_payload_fill(buf, 0, len);
	if (flip < len)
		buf[flip] ^= 0xff;
	snprintf(path, sizeof(path), "%s/bytes/%s", htdocs, name);
	rv = write_file(path, buf, len);
	free(buf);
	return rv;
}

int make_htdocs(const char *htdocs, bool empty)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/bytes", htdocs);
	if (mkdir(htdocs, 0755) || mkdir(path, 0755))
		return nb_fail(-errno, "mkdir %s: %s", path, strerror(errno));
	if (write_served(htdocs, "1000000", GOOD_SIZE, UINT64_MAX) ||
	    write_served(htdocs, "1", 1, UINT64_MAX) ||
	    (empty && write_served(htdocs, "0", 0, UINT64_MAX)) ||
	    write_served(htdocs, "777777", CORRUPT_SIZE, CORRUPT_AT) ||
	    write_served(htdocs, "500000", 400000, UINT64_MAX) ||
	    write_served(htdocs, "300000", LONG_SIZE + 1, UINT64_MAX))
		return nb_fail(-EIO, "cannot write the files to serve");
	return 0;
}

void certs_with_pin(char *dir, const char *pin)
{
	char src[4096], dst[512];

	assert_int_equal(nb_certs_path("ca.pem", src, sizeof(src)), 0);
	snprintf(dst, sizeof(dst), "%s/ca.pem", dir);
	assert_int_equal(symlink(src, dst), 0);
	snprintf(dst, sizeof(dst), "%s/server.pin", dir);
	assert_int_equal(write_file(dst, pin, strlen(pin)), 0);
}

void certs_cleanup(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/ca.pem", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/server.pin", dir);
	unlink(p);
	rmdir(dir);
}

/* --- transfers ----------------------------------------------------------- */

int checked_xfer(transfer_fn run, int version, struct nb_xfer *x,
		 struct nb_xfer_result *r)
{
	struct nb_series s;
	_Atomic uint64_t progress = 0;
	int threads = count_threads(), fds = nb_test_count_fds(), rv;
	uint64_t sum = 0;

	x->series = &s;
	x->progress = &progress;
	assert_int_equal(nb_series_init(&s, nb_now()), 0);
	rv = run(x, version, r);
	x->series = NULL;
	x->progress = NULL;
	assert_int_equal(count_threads(), threads);
	assert_int_equal(nb_test_count_fds(), fds);
	assert_true(r->client_cpu_s >= 0);
	for (size_t i = 0; i < s.n; i++)
		sum += s.bytes[i];
	nb_series_free(&s);
	if (!rv) {
		assert_int_equal(r->bytes, x->size);
		assert_true(r->seconds >= 0);
		assert_int_equal(sum, x->size);
		assert_int_equal(atomic_load(&progress), x->size);
	} else {
		assert_int_equal(r->bytes, 0);
	}
	return rv;
}

void assert_err(const char *want)
{
	if (!strstr(nb_lasterr(), want))
		fail_msg("error '%s' does not say '%s'", nb_lasterr(), want);
}

static void *watch(void *arg)
{
	struct watcher *w = arg;
	double t0 = nb_now();

	while (nb_now() - t0 < 60) {
		if ((w->after && atomic_load(w->progress) >= w->after) ||
		    (!w->after && nb_now() - t0 >= w->delay))
			break;
		usleep(1000);
	}
	w->fired = nb_now();
	if (w->interrupt)
		nb_interrupt_signal = SIGINT;
	else
		atomic_store(&w->self->stop, true);
	return NULL;
}

int stopped_xfer(transfer_fn run, int version, struct nb_xfer *x,
		 struct watcher *w)
{
	struct nb_thread self;
	_Atomic uint64_t progress = 0;
	struct nb_xfer_result r;
	int threads = count_threads(), fds = nb_test_count_fds(), rv;
	double lag;

	memset(&self, 0, sizeof(self));
	atomic_store(&self.stop, false);
	x->self = &self;
	x->progress = &progress;
	w->self = &self;
	w->progress = &progress;
	assert_int_equal(pthread_create(&w->th, NULL, watch, w), 0);
	rv = run(x, version, &r);
	lag = nb_now() - w->fired;
	pthread_join(w->th, NULL);
	x->self = NULL;
	x->progress = NULL;
	nb_interrupt_signal = 0;
	assert_int_equal(count_threads(), threads);
	assert_int_equal(nb_test_count_fds(), fds);
	if (w->fired > 0 && lag > (under_valgrind ? 3.0 : 0.5))
		fail_msg("ended %.3f s after the request", lag);
	return rv;
}

/* --- peers --------------------------------------------------------------- */

static int silent_fd = -1;

int silent_listen(int type, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};

	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	silent_fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	if (type == SOCK_STREAM && listen(silent_fd, 16))
		return -1;
	return 0;
}

int silent_teardown(void **state)
{
	(void)state;
	if (silent_fd >= 0)
		close(silent_fd);
	return 0;
}

int spawn_serve(struct nb_undo *u, struct nb_child *c, const char *proto,
		uint16_t port)
{
	char listen[32];
	char *argv[] = {(char *)nb_self_exe(), "serve", "--proto",
			(char *)proto, "--listen", listen, "--ready-fd", "3",
			NULL};
	int rv;

	snprintf(listen, sizeof(listen), ADDR ":%u", port);
	fflush(NULL);
	rv = nb_spawn(u, c, -1, argv, 10000);
	if (rv)
		nb_undo_unwind(u);
	return rv;
}
