/* Unit tests of src/client_h3.c: the HTTP/3 client, in a network namespace
 * of its own (loopback only).
 *
 * Peers: Debian's gtlsserver (ngtcp2's example server, ngtcp2-server)
 * serving prepared files, for the client's own checks (payload, short,
 * long, missing, pin, CA, stop, fault injection); the project's server
 * (`netbench serve --proto h3`) for round trips both ways, the server's
 * verdict and fault injection; a silent UDP socket and a closed port for
 * stop requests, interruptions, the handshake timeout and refusals. Every
 * transfer must leave the thread and fd counts as it found them. A group
 * whose peer is missing or not ready is skipped with a message; without
 * root (or namespaces) the whole test is (exit 77).
 */
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
#include <pthread.h>
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

#include "client_h3.h"
#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "payload.h"
#include "peer.h"
#include "proto.h"
#include "spawn.h"
#include "testutil.h"
#include "thread.h"
#include "tls.h"
#include "undo.h"

#define SKIP 77
#define ADDR "127.0.0.1"
#define GTLS_PORT 4453
#define H3_PORT 4454
#define SILENT_PORT 4455
#define CLOSED_PORT 4456

/* What gtlsserver serves (files under htdocs/bytes/). */
#define GOOD_SIZE 1000000ULL
#define CORRUPT_SIZE 777777ULL
#define CORRUPT_AT 123457ULL
#define SHORT_SIZE 500000ULL     /* the file holds 400000 bytes */
#define LONG_SIZE 300000ULL      /* the file holds 300001 bytes */
#define BIG_SIZE (32ULL << 20)   /* for stop requests mid-body */

static bool valgrind;
static char tmp[] = "/tmp/nb-test-client-h3-XXXXXX";
static char htdocs[sizeof(tmp) + 16];

/* --- helpers ------------------------------------------------------------- */

static int count_threads(void)
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

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* htdocs/bytes/<name>: `len` payload bytes, byte `flip` (if < len)
 * inverted. */
static int write_payload(const char *name, size_t len, uint64_t flip)
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

/* One transfer with the invariants every transfer keeps: no thread or fd
 * left; when it succeeds, the series and progress account for every byte. */
static int xfer_at(const char *addr, enum nb_dir dir, uint16_t port,
		   uint64_t size, uint64_t abort_after,
		   struct nb_xfer_result *r)
{
	struct nb_series s;
	_Atomic uint64_t progress = 0;
	struct nb_xfer x = {.server_addr = addr, .port = port, .dir = dir,
			    .size = size, .series = &s, .progress = &progress,
			    .abort_after = abort_after};
	int threads = count_threads(), fds = nb_test_count_fds(), rv;
	uint64_t sum = 0;

	assert_int_equal(nb_series_init(&s, nb_now()), 0);
	rv = nb_h3_transfer(&x, r);
	assert_int_equal(count_threads(), threads);
	assert_int_equal(nb_test_count_fds(), fds);
	assert_true(r->client_cpu_s >= 0);
	for (size_t i = 0; i < s.n; i++)
		sum += s.bytes[i];
	nb_series_free(&s);
	if (!rv) {
		assert_int_equal(r->bytes, size);
		assert_true(r->seconds >= 0);
		assert_int_equal(sum, size);
		assert_int_equal(atomic_load(&progress), size);
	} else {
		assert_int_equal(r->bytes, 0);
	}
	return rv;
}

static int xfer(enum nb_dir dir, uint16_t port, uint64_t size)
{
	struct nb_xfer_result r;

	return xfer_at(ADDR, dir, port, size, 0, &r);
}

static void assert_err(const char *want)
{
	if (!strstr(nb_lasterr(), want))
		fail_msg("error '%s' does not say '%s'", nb_lasterr(), want);
}

/* A certs directory like the real one but with another pin. */
static void certs_with_pin(char *dir, const char *pin)
{
	char src[4096], dst[512];

	assert_int_equal(nb_certs_path("ca.pem", src, sizeof(src)), 0);
	snprintf(dst, sizeof(dst), "%s/ca.pem", dir);
	assert_int_equal(symlink(src, dst), 0);
	snprintf(dst, sizeof(dst), "%s/server.pin", dir);
	assert_int_equal(write_file(dst, pin, strlen(pin)), 0);
}

/* A certs directory whose CA is another one (the system's bundle, which
 * did not sign ours) with the right pin. False when there is none. */
static bool certs_other_ca(char *dir)
{
	const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
	char src[4096], dst[512];

	if (access(bundle, R_OK))
		return false;
	snprintf(dst, sizeof(dst), "%s/ca.pem", dir);
	assert_int_equal(symlink(bundle, dst), 0);
	assert_int_equal(nb_certs_path("server.pin", src, sizeof(src)), 0);
	snprintf(dst, sizeof(dst), "%s/server.pin", dir);
	assert_int_equal(symlink(src, dst), 0);
	return true;
}

static void certs_cleanup(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/ca.pem", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/server.pin", dir);
	unlink(p);
	rmdir(dir);
}

static void pin_mismatch(uint16_t port, enum nb_dir dir)
{
	char d[] = "/tmp/nb-test-client-h3-certs-XXXXXX";

	assert_non_null(mkdtemp(d));
	certs_with_pin(d, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	setenv("NETBENCH_CERTS", d, 1);
	assert_int_equal(xfer(dir, port, 1000), -EKEYREJECTED);
	assert_err("pin");
	unsetenv("NETBENCH_CERTS");
	certs_cleanup(d);
}

struct watcher {
	pthread_t th;
	struct nb_thread *self;      /* stop it ... */
	uint64_t after;              /* ... once this many bytes moved */
	double delay;                /* ... or (after == 0) this long */
	_Atomic uint64_t *progress;
	bool interrupt;              /* raise nb_interrupted() instead */
	double fired;                /* when it did */
};

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

/* Runs a transfer while a watcher stops or interrupts it; returns the
 * error and checks that it came promptly. */
static int stopped(enum nb_dir dir, uint16_t port, uint64_t size,
		   struct watcher *w)
{
	struct nb_thread self;
	_Atomic uint64_t progress = 0;
	struct nb_xfer x = {.server_addr = ADDR, .port = port, .dir = dir,
			    .size = size, .self = &self, .progress = &progress};
	struct nb_xfer_result r;
	int threads = count_threads(), fds = nb_test_count_fds(), rv;
	double lag;

	memset(&self, 0, sizeof(self));
	atomic_store(&self.stop, false);
	w->self = &self;
	w->progress = &progress;
	assert_int_equal(pthread_create(&w->th, NULL, watch, w), 0);
	rv = nb_h3_transfer(&x, &r);
	lag = nb_now() - w->fired;
	pthread_join(w->th, NULL);
	nb_interrupt_signal = 0;
	assert_int_equal(count_threads(), threads);
	assert_int_equal(nb_test_count_fds(), fds);
	if (w->fired > 0 && lag > (valgrind ? 3.0 : 0.5))
		fail_msg("ended %.3f s after the request", lag);
	return rv;
}

/* --- no server, or a silent one ------------------------------------------ */

static int silent_fd = -1;

static int silent_setup(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(SILENT_PORT)};

	(void)state;
	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	silent_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return 0;
}

static int silent_teardown(void **state)
{
	(void)state;
	if (silent_fd >= 0)
		close(silent_fd);
	return 0;
}

/* Nothing listens: the ICMP port unreachable ends it at once. */
static void t_refused(void **state)
{
	double t0 = nb_now();

	(void)state;
	assert_int_equal(xfer(NB_DOWNLOAD, CLOSED_PORT, 10), -ECONNREFUSED);
	assert_int_equal(xfer(NB_UPLOAD, CLOSED_PORT, 10), -ECONNREFUSED);
	assert_true(nb_now() - t0 < (valgrind ? 10 : 1));
}

/* The server never answers: a stop request or an interruption ends the
 * handshake wait within NB_POLL_MS or so. */
static void t_stop_silent(void **state)
{
	struct watcher w = {.delay = 0.3};

	(void)state;
	assert_int_equal(stopped(NB_DOWNLOAD, SILENT_PORT, 10, &w), -ECANCELED);
	assert_err("stopped");
}

static void t_interrupt_silent(void **state)
{
	struct watcher w = {.delay = 0.3, .interrupt = true};

	(void)state;
	assert_int_equal(stopped(NB_UPLOAD, SILENT_PORT, 10, &w), -EINTR);
	assert_err("interrupted");
}

/* Left alone, it gives up within the stall limit with a timeout. */
static void t_silent_times_out(void **state)
{
	double t0 = nb_now();
	int rv;

	(void)state;
	rv = xfer(NB_DOWNLOAD, SILENT_PORT, 10);
	if (rv != -ETIMEDOUT)
		fail_msg("silent server: %d (%s), not -ETIMEDOUT", rv,
			 nb_lasterr());
	assert_true(nb_now() - t0 < 31);
}

/* --- gtlsserver ---------------------------------------------------------- */

static struct nb_undo gtls_undo;
static struct nb_child gtls;

/* Returns 0, or a reason to skip in nb_lasterr(). */
static int gtls_start(void)
{
	char key[4096], cert[4096], path[256], port[8];
	char *argv[] = {"gtlsserver", "-q", "--no-quic-dump", "--no-http-dump",
			"-d", htdocs, ADDR, port, key, cert, NULL};
	int nsfd, rv;

	snprintf(port, sizeof(port), "%d", GTLS_PORT);
	snprintf(path, sizeof(path), "%s/bytes", htdocs);
	if (mkdir(htdocs, 0755) || mkdir(path, 0755))
		return nb_fail(-errno, "mkdir %s: %s", path, strerror(errno));
	if (nb_certs_path("server.key", key, sizeof(key)) ||
	    nb_certs_path("server.pem", cert, sizeof(cert)) ||
	    write_payload("1000000", GOOD_SIZE, UINT64_MAX) ||
	    write_payload("1", 1, UINT64_MAX) ||
	    write_payload("777777", CORRUPT_SIZE, CORRUPT_AT) ||
	    write_payload("500000", 400000, UINT64_MAX) ||
	    write_payload("300000", LONG_SIZE + 1, UINT64_MAX))
		return nb_fail(-EIO, "cannot write the files to serve");
	snprintf(path, sizeof(path), "%llu", BIG_SIZE);
	if (write_payload(path, BIG_SIZE, UINT64_MAX))
		return nb_fail(-EIO, "cannot write the files to serve");
	/* The readiness probe enters the namespace it is given: ours. */
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return nb_fail(-errno, "/proc/self/ns/net: %s", strerror(errno));
	nb_undo_init(&gtls_undo);
	fflush(NULL);
	rv = nb_peer_spawn_udp(&gtls_undo, &gtls, nsfd, argv, ADDR, GTLS_PORT,
			       10000);
	close(nsfd);
	if (rv)
		nb_undo_unwind(&gtls_undo);
	return rv;
}

static int gtls_teardown(void **state)
{
	(void)state;
	nb_undo_unwind(&gtls_undo);
	return 0;
}

static void t_download(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	assert_int_equal(xfer_at(ADDR, NB_DOWNLOAD, GTLS_PORT, GOOD_SIZE, 0,
				 &r), 0);
	assert_true(r.seconds > 0);
	assert_true(r.client_cpu_s > 0);
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, 1), 0);
	/* (gtlsserver cannot serve an empty file: it mmaps it.) */
}

static void t_corrupt(void **state)
{
	char want[64];

	(void)state;
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, CORRUPT_SIZE), -EBADMSG);
	snprintf(want, sizeof(want), "mismatch at byte %llu", CORRUPT_AT);
	assert_err(want);
	/* The server goes on serving. */
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, GOOD_SIZE), 0);
}

static void t_short_long_missing(void **state)
{
	(void)state;
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, SHORT_SIZE), -EPROTO);
	assert_err("short transfer: 400000 of 500000");
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, LONG_SIZE), -EPROTO);
	assert_err("more than 300000");
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, 42), -EPROTO);
	assert_err("404");
}

static void t_wrong_pin(void **state)
{
	(void)state;
	pin_mismatch(GTLS_PORT, NB_DOWNLOAD);
}

static void t_wrong_ca(void **state)
{
	char d[] = "/tmp/nb-test-client-h3-certs-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(d));
	if (!certs_other_ca(d)) {
		certs_cleanup(d);
		skip();
	}
	setenv("NETBENCH_CERTS", d, 1);
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, GOOD_SIZE), -EKEYREJECTED);
	assert_err("rejected");
	unsetenv("NETBENCH_CERTS");
	certs_cleanup(d);
}

static void t_no_ca(void **state)
{
	(void)state;
	setenv("NETBENCH_CERTS", "/nonexistent-certs", 1);
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, 1), -ENOENT);
	unsetenv("NETBENCH_CERTS");
}

static void t_stop_mid_download(void **state)
{
	struct watcher w = {.after = 1000000};

	(void)state;
	assert_int_equal(stopped(NB_DOWNLOAD, GTLS_PORT, BIG_SIZE, &w),
			 -ECANCELED);
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, GOOD_SIZE), 0);
}

static void t_abort_download(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	assert_int_equal(xfer_at(ADDR, NB_DOWNLOAD, GTLS_PORT, BIG_SIZE,
				 1000000, &r), -ECONNABORTED);
	assert_err("client aborted after 1000000 bytes");
	assert_int_equal(xfer(NB_DOWNLOAD, GTLS_PORT, GOOD_SIZE), 0);
}

/* --- the project's server -------------------------------------------------- */

static struct nb_undo h3_undo;
static struct nb_child h3_server;

static int h3_start(void)
{
	char listen[32];
	char *argv[] = {(char *)nb_self_exe(), "serve", "--proto", "h3",
			"--listen", listen, "--ready-fd", "3", NULL};
	int rv;

	snprintf(listen, sizeof(listen), ADDR ":%u", H3_PORT);
	nb_undo_init(&h3_undo);
	fflush(NULL);
	rv = nb_spawn(&h3_undo, &h3_server, -1, argv, 10000);
	if (rv)
		nb_undo_unwind(&h3_undo);
	return rv;
}

static int h3_teardown(void **state)
{
	(void)state;
	nb_undo_unwind(&h3_undo);
	return 0;
}

static void t_roundtrips(void **state)
{
	uint64_t big = valgrind ? 3000000 : 30000000;
	const uint64_t sizes[] = {big, 1, 16384, 16385, 0};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++)
			if (xfer(d, H3_PORT, sizes[i]))
				fail_msg("%s of %llu bytes: %s",
					 nb_dir_name(d),
					 (unsigned long long)sizes[i],
					 nb_lasterr());
}

/* More than the ring holds: the body waits for acknowledgements. */
static void t_upload_beyond_ring(void **state)
{
	(void)state;
	if (valgrind)
		skip();
	assert_int_equal(xfer(NB_UPLOAD, H3_PORT, 100000000), 0);
}

static void t_abort_after(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++) {
		assert_int_equal(xfer_at(ADDR, d, H3_PORT, 20000000, 1000000,
					 &r), -ECONNABORTED);
		assert_err("client aborted after 1000000 bytes");
		/* The server goes on serving. */
		assert_int_equal(xfer(d, H3_PORT, 100000), 0);
	}
}

static void t_pin_mismatch_ours(void **state)
{
	(void)state;
	pin_mismatch(H3_PORT, NB_DOWNLOAD);
	pin_mismatch(H3_PORT, NB_UPLOAD);
}

static void t_stop_mid_body(void **state)
{
	(void)state;
	for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++) {
		struct watcher w = {.after = 2000000};

		assert_int_equal(stopped(d, H3_PORT, 1ULL << 36, &w),
				 -ECANCELED);
		assert_int_equal(xfer(d, H3_PORT, 100000), 0);
	}
}

/* --- main ---------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(path);
}

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

int main(void)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_stop_silent),
		cmocka_unit_test(t_interrupt_silent),
		cmocka_unit_test(t_silent_times_out),
	};
	const struct CMUnitTest with_gtls[] = {
		cmocka_unit_test(t_download),
		cmocka_unit_test(t_corrupt),
		cmocka_unit_test(t_short_long_missing),
		cmocka_unit_test(t_wrong_pin),
		cmocka_unit_test(t_wrong_ca),
		cmocka_unit_test(t_no_ca),
		cmocka_unit_test(t_stop_mid_download),
		cmocka_unit_test(t_abort_download),
	};
	const struct CMUnitTest with_ours[] = {
		cmocka_unit_test(t_roundtrips),
		cmocka_unit_test(t_upload_beyond_ring),
		cmocka_unit_test(t_abort_after),
		cmocka_unit_test(t_pin_mismatch_ours),
		cmocka_unit_test(t_stop_mid_body),
	};
	int rv, failed = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "test_client_h3: skipped: needs root "
			"(a network namespace of its own)\n");
		return SKIP;
	}
	rv = isolate();
	if (rv) {
		fprintf(stderr, "test_client_h3: skipped: cannot isolate: %s\n",
			strerror(-rv));
		return SKIP;
	}
	valgrind = getenv("NETBENCH_UNDER_VALGRIND") != NULL;
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmp)) {
		perror("test_client_h3: mkdtemp");
		return 1;
	}
	snprintf(htdocs, sizeof(htdocs), "%s/htdocs", tmp);

	failed += cmocka_run_group_tests_name("client_h3_local", local,
					      silent_setup, silent_teardown);
	if (gtls_start() == 0)
		failed += cmocka_run_group_tests_name("client_h3_gtlsserver",
						      with_gtls, NULL,
						      gtls_teardown);
	else
		fprintf(stderr, "test_client_h3: gtlsserver (ngtcp2-server) "
			"not ready, its tests skipped: %s\n", nb_lasterr());
	if (h3_start() == 0)
		failed += cmocka_run_group_tests_name("client_h3_netbench_serve",
						      with_ours, NULL,
						      h3_teardown);
	else
		fprintf(stderr, "test_client_h3: netbench serve --proto h3 not "
			"ready, its tests skipped: %s\n", nb_lasterr());

	if (nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "test_client_h3: cannot remove %s\n", tmp);
	return failed ? 1 : 0;
}
