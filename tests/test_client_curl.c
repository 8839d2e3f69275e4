/* Unit tests of src/client_curl.c and src/client_h2.c: the HTTP/1.1 and
 * HTTP/2 clients, in a network namespace of their own (loopback only).
 *
 * Peers: nghttpd (Debian's nghttp2-server) serving prepared files, for
 * the client's own checks (payload, short, long, pin, HTTP/2 only); the
 * project's server (`netbench serve --proto h1|h2`) for round trips, the
 * server's verdicts and fault injection; a silent TCP listener for stop
 * requests and interruptions. Every transfer must leave the thread and fd
 * counts as it found them. A group whose peer is missing is skipped with a
 * message; without root (or namespaces) the whole test is (exit 77).
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client_curl.h"
#include "error.h"
#include "goodput.h"
#include "http_target.h"
#include "interrupt.h"
#include "payload.h"
#include "proto.h"
#include "spawn.h"
#include "testutil.h"
#include "thread.h"
#include "tls.h"
#include "undo.h"

#define SKIP 77
#define ADDR "127.0.0.1"
#define NGHTTPD_PORT 4443
#define H1_PORT 4444
#define H2_PORT 4445
#define SILENT_PORT 4446
#define CLOSED_PORT 4447

/* What nghttpd serves (files under htdocs/bytes/). */
#define GOOD_SIZE 1000000ULL
#define CORRUPT_SIZE 777777ULL
#define CORRUPT_AT 123457ULL
#define SHORT_SIZE 500000ULL     /* the file holds 400000 bytes */
#define LONG_SIZE 300000ULL      /* the file holds 300001 bytes */
#define UP_SIZE 2000000ULL       /* the answer file says so */

static bool valgrind;
static char tmp[] = "/tmp/nb-test-client-curl-XXXXXX";
static char htdocs[sizeof(tmp) + 16];
static pid_t nghttpd = -1;

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

/* The answer nghttpd gives to any PUT /upload: the file htdocs/upload,
 * always ANSWER_LEN bytes long. nghttpd keeps the files it served open,
 * with their length: rewritten in place at the same length, the file is
 * served anew. */
#define ANSWER_LEN 64

static void set_upload_answer(uint64_t bytes, const char *verdict)
{
	char path[256], num[24], text[ANSWER_LEN * 2];
	size_t pad;

	if (bytes == UINT64_MAX) {   /* not an answer of ours */
		memset(text, ' ', ANSWER_LEN);
		memcpy(text, "<html>", 6);
		memcpy(text + ANSWER_LEN - 8, "</html>\n", 8);
	} else {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)bytes);
		pad = ANSWER_LEN - strlen("{\"bytes\":,\"verdict\":\"\"}\n") -
		      strlen(verdict) - strlen(num);
		assert_true(pad < ANSWER_LEN);
		memcpy(text, "{\"bytes\":", 9);
		memset(text + 9, '0', pad);
		snprintf(text + 9 + pad, sizeof(text) - 9 - pad,
			 "%s,\"verdict\":\"%s\"}\n", num, verdict);
	}
	text[ANSWER_LEN] = '\0';
	assert_int_equal(strlen(text), ANSWER_LEN);
	snprintf(path, sizeof(path), "%s/upload", htdocs);
	assert_int_equal(write_file(path, text, ANSWER_LEN), 0);
}

static bool port_open(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool have_program(const char *name)
{
	char path[256];
	const char *dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin",
			      "/usr/local/bin", "/usr/local/sbin"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (!access(path, X_OK))
			return true;
	}
	return false;
}

/* One transfer with the invariants every transfer keeps: no thread or fd
 * left; when it succeeds, the series and progress account for every byte. */
static int xfer_at(const char *addr, int version, enum nb_dir dir,
		   uint16_t port, uint64_t size, uint64_t abort_after,
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
	rv = nb_curl_transfer(&x, version, r);
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

static int xfer_full(int version, enum nb_dir dir, uint16_t port,
		     uint64_t size, uint64_t abort_after,
		     struct nb_xfer_result *r)
{
	return xfer_at(ADDR, version, dir, port, size, abort_after, r);
}

static int xfer(int version, enum nb_dir dir, uint16_t port, uint64_t size)
{
	struct nb_xfer_result r;

	return xfer_full(version, dir, port, size, 0, &r);
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

static void certs_cleanup(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/ca.pem", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/server.pin", dir);
	unlink(p);
	rmdir(dir);
}

/* --- nghttpd ------------------------------------------------------------- */

static int nghttpd_setup(void **state)
{
	char key[4096], cert[4096], path[256];
	double t0;

	(void)state;
	snprintf(path, sizeof(path), "%s/bytes", htdocs);
	if (mkdir(htdocs, 0755) || mkdir(path, 0755) ||
	    nb_certs_path("server.key", key, sizeof(key)) ||
	    nb_certs_path("server.pem", cert, sizeof(cert)) ||
	    write_payload("1000000", GOOD_SIZE, UINT64_MAX) ||
	    write_payload("1", 1, UINT64_MAX) ||
	    write_payload("0", 0, UINT64_MAX) ||
	    write_payload("777777", CORRUPT_SIZE, CORRUPT_AT) ||
	    write_payload("500000", 400000, UINT64_MAX) ||
	    write_payload("300000", LONG_SIZE + 1, UINT64_MAX))
		return -1;
	nghttpd = fork();
	if (nghttpd < 0)
		return -1;
	if (nghttpd == 0) {
		char port[8], docs[300];
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		snprintf(port, sizeof(port), "%d", NGHTTPD_PORT);
		snprintf(docs, sizeof(docs), "--htdocs=%s", htdocs);
		execlp("nghttpd", "nghttpd", "-a", "0.0.0.0", "-w", "24", "-W", "24",
		       docs, port, key, cert, (char *)NULL);
		_exit(127);
	}
	for (t0 = nb_now(); !port_open(NGHTTPD_PORT); usleep(20000))
		if (nb_now() - t0 > 10 || waitpid(nghttpd, NULL, WNOHANG))
			return -1;
	return 0;
}

static int nghttpd_teardown(void **state)
{
	(void)state;
	if (nghttpd > 0) {
		kill(nghttpd, SIGTERM);
		waitpid(nghttpd, NULL, 0);
	}
	return 0;
}

static void t_h2_download(void **state)
{
	(void)state;
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, GOOD_SIZE), 0);
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, 1), 0);
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, 0), 0);
}

static void t_h2_upload(void **state)
{
	(void)state;
	set_upload_answer(UP_SIZE, "ok");
	assert_int_equal(xfer(2, NB_UPLOAD, NGHTTPD_PORT, UP_SIZE), 0);
}

/* The answer is checked: a count that is not the size, a bad verdict, and
 * something that is not an answer of ours. */
static void t_h2_upload_answers(void **state)
{
	(void)state;
	set_upload_answer(UP_SIZE - 1, "ok");
	assert_int_equal(xfer(2, NB_UPLOAD, NGHTTPD_PORT, UP_SIZE), -EPROTO);
	assert_err("counted 1999999");
	set_upload_answer(UP_SIZE, "mismatch at byte 5");
	assert_int_equal(xfer(2, NB_UPLOAD, NGHTTPD_PORT, UP_SIZE), -EBADMSG);
	assert_err("mismatch at byte 5");
	set_upload_answer(UINT64_MAX, NULL);
	assert_int_equal(xfer(2, NB_UPLOAD, NGHTTPD_PORT, UP_SIZE), -EPROTO);
	assert_err("<html>");
	set_upload_answer(UP_SIZE, "ok");
	assert_int_equal(xfer(2, NB_UPLOAD, NGHTTPD_PORT, UP_SIZE), 0);
}

static void t_h2_corrupt(void **state)
{
	char want[64];

	(void)state;
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, CORRUPT_SIZE),
			 -EBADMSG);
	snprintf(want, sizeof(want), "mismatch at byte %llu", CORRUPT_AT);
	assert_err(want);
}

static void t_h2_short_long_missing(void **state)
{
	(void)state;
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, SHORT_SIZE), -EPROTO);
	assert_err("short transfer: 400000 of 500000");
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, LONG_SIZE), -EPROTO);
	assert_err("more than 300000");
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, 42), -EPROTO);
	assert_err("404");
}

static void t_h2_wrong_pin(void **state)
{
	char dir[] = "/tmp/nb-test-client-curl-certs-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	certs_with_pin(dir, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	setenv("NETBENCH_CERTS", dir, 1);
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, GOOD_SIZE),
			 -EKEYREJECTED);
	assert_err("does not match the pin");
	unsetenv("NETBENCH_CERTS");
	certs_cleanup(dir);
}

/* 127.0.0.2 reaches nghttpd too, but is not among the certificate's
 * names (IP 10.77.0.2, IP 127.0.0.1, DNS localhost). */
static void t_wrong_address(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	for (int v = 1; v <= 2; v++) {
		assert_int_equal(xfer_at("127.0.0.2", v, NB_DOWNLOAD,
					 NGHTTPD_PORT, GOOD_SIZE, 0, &r),
				 -EKEYREJECTED);
		assert_err("not trusted");
	}
}

static void t_h2_no_ca(void **state)
{
	(void)state;
	setenv("NETBENCH_CERTS", "/nonexistent-certs", 1);
	assert_int_equal(xfer(2, NB_DOWNLOAD, NGHTTPD_PORT, 1), -ENOENT);
	assert_int_equal(xfer(1, NB_DOWNLOAD, NGHTTPD_PORT, 1), -ENOENT);
	unsetenv("NETBENCH_CERTS");
}

/* nghttpd speaks HTTP/2 only: HTTP/1.1 fails cleanly, fast. */
static void t_h1_of_h2_only(void **state)
{
	double t0 = nb_now();

	(void)state;
	assert_int_equal(xfer(1, NB_DOWNLOAD, NGHTTPD_PORT, GOOD_SIZE),
			 -EPROTONOSUPPORT);
	assert_int_equal(xfer(1, NB_UPLOAD, NGHTTPD_PORT, GOOD_SIZE),
			 -EPROTONOSUPPORT);
	assert_true(nb_now() - t0 < (valgrind ? 30 : 3));
}

/* --- no server, or a silent one ------------------------------------------ */

static void t_refused(void **state)
{
	double t0 = nb_now();

	(void)state;
	assert_int_equal(xfer(1, NB_DOWNLOAD, CLOSED_PORT, 10), -ECONNREFUSED);
	assert_err("Connection refused");
	assert_int_equal(xfer(2, NB_UPLOAD, CLOSED_PORT, 10), -ECONNREFUSED);
	assert_err("Connection refused");
	assert_true(nb_now() - t0 < (valgrind ? 10 : 1));
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
static int stopped(int version, enum nb_dir dir, uint16_t port,
		   uint64_t size, struct watcher *w)
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
	rv = nb_curl_transfer(&x, version, &r);
	lag = nb_now() - w->fired;
	pthread_join(w->th, NULL);
	nb_interrupt_signal = 0;
	assert_int_equal(count_threads(), threads);
	assert_int_equal(nb_test_count_fds(), fds);
	if (w->fired > 0 && lag > (valgrind ? 3.0 : 0.5))
		fail_msg("ended %.3f s after the request", lag);
	return rv;
}

static int silent_fd = -1;

static int silent_setup(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(SILENT_PORT)};

	(void)state;
	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	silent_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(silent_fd, 16))
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

/* The server accepts and never speaks: a stop request or an interruption
 * ends the TLS handshake wait within NB_POLL_MS or so. */
static void t_stop_silent(void **state)
{
	(void)state;
	for (int v = 1; v <= 2; v++) {
		struct watcher w = {.delay = 0.3};

		assert_int_equal(stopped(v, NB_DOWNLOAD, SILENT_PORT, 10, &w),
				 -ECANCELED);
		assert_err("stopped");
	}
}

static void t_interrupt_silent(void **state)
{
	(void)state;
	for (int v = 1; v <= 2; v++) {
		struct watcher w = {.delay = 0.3, .interrupt = true};

		assert_int_equal(stopped(v, NB_UPLOAD, SILENT_PORT, 10, &w),
				 -EINTR);
		assert_err("interrupted");
	}
}

/* --- the project's server -------------------------------------------------- */

static struct nb_undo undo;
static struct nb_child servers[2];

static int servers_setup(void **state)
{
	const char *protos[2] = {"h1", "h2"};
	const uint16_t ports[2] = {H1_PORT, H2_PORT};

	(void)state;
	nb_undo_init(&undo);
	for (int i = 0; i < 2; i++) {
		char listen[32];
		char *argv[] = {(char *)nb_self_exe(), "serve", "--proto",
				(char *)protos[i], "--listen", listen,
				"--ready-fd", "3", NULL};

		snprintf(listen, sizeof(listen), ADDR ":%u", ports[i]);
		if (nb_spawn(&undo, &servers[i], -1, argv, 10000)) {
			fprintf(stderr, "test_client_curl: netbench serve "
				"--proto %s: %s\n", protos[i], nb_lasterr());
			nb_undo_unwind(&undo);
			return -1;
		}
	}
	return 0;
}

static int servers_teardown(void **state)
{
	(void)state;
	nb_undo_unwind(&undo);
	return 0;
}

static uint16_t port_of(int version)
{
	return version == 1 ? H1_PORT : H2_PORT;
}

static void t_roundtrips(void **state)
{
	uint64_t big = valgrind ? 3000000 : 30000000;
	const uint64_t sizes[] = {big, 1, 16384, 16385, 0};

	(void)state;
	for (int v = 1; v <= 2; v++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (xfer(v, NB_DOWNLOAD, port_of(v), sizes[i]) ||
			    xfer(v, NB_UPLOAD, port_of(v), sizes[i]))
				fail_msg("h%d, %llu bytes: %s", v,
					 (unsigned long long)sizes[i],
					 nb_lasterr());
		}
}

/* The h2 server speaks HTTP/1.1 too; the h1 server offers no h2. */
static void t_versions(void **state)
{
	(void)state;
	assert_int_equal(xfer(1, NB_DOWNLOAD, H2_PORT, 100000), 0);
	assert_int_equal(xfer(2, NB_DOWNLOAD, H1_PORT, 100000), -EPROTONOSUPPORT);
	assert_err("not HTTP/2");
	assert_int_equal(xfer(2, NB_UPLOAD, H1_PORT, 100000), -EPROTONOSUPPORT);
}

static void t_abort_after(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	for (int v = 1; v <= 2; v++)
		for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++) {
			assert_int_equal(xfer_full(v, d, port_of(v), 20000000,
						   1000000, &r),
					 -ECONNABORTED);
			assert_err("client aborted after 1000000 bytes");
			/* The server goes on serving. */
			assert_int_equal(xfer(v, d, port_of(v), 100000), 0);
		}
}

static void t_pin_mismatch(void **state)
{
	char dir[] = "/tmp/nb-test-client-curl-certs-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	certs_with_pin(dir, "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=");
	setenv("NETBENCH_CERTS", dir, 1);
	for (int v = 1; v <= 2; v++) {
		assert_int_equal(xfer(v, NB_DOWNLOAD, port_of(v), 1000),
				 -EKEYREJECTED);
		assert_err("pin");
		assert_int_equal(xfer(v, NB_UPLOAD, port_of(v), 1000),
				 -EKEYREJECTED);
	}
	unsetenv("NETBENCH_CERTS");
	certs_cleanup(dir);
}

/* A stop request in the middle of the body ends the transfer at once. */
static void t_stop_mid_body(void **state)
{
	(void)state;
	for (int v = 1; v <= 2; v++)
		for (int d = NB_DOWNLOAD; d <= NB_UPLOAD; d++) {
			struct watcher w = {.after = 2000000};

			assert_int_equal(stopped(v, d, port_of(v), 1ULL << 36, &w),
					 -ECANCELED);
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
	};
	const struct CMUnitTest with_nghttpd[] = {
		cmocka_unit_test(t_h2_download),
		cmocka_unit_test(t_h2_upload),
		cmocka_unit_test(t_h2_upload_answers),
		cmocka_unit_test(t_h2_corrupt),
		cmocka_unit_test(t_h2_short_long_missing),
		cmocka_unit_test(t_h2_wrong_pin),
		cmocka_unit_test(t_wrong_address),
		cmocka_unit_test(t_h2_no_ca),
		cmocka_unit_test(t_h1_of_h2_only),
	};
	const struct CMUnitTest with_servers[] = {
		cmocka_unit_test(t_roundtrips),
		cmocka_unit_test(t_versions),
		cmocka_unit_test(t_abort_after),
		cmocka_unit_test(t_pin_mismatch),
		cmocka_unit_test(t_stop_mid_body),
	};
	int rv, failed = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "test_client_curl: skipped: needs root "
			"(a network namespace of its own)\n");
		return SKIP;
	}
	rv = isolate();
	if (rv) {
		fprintf(stderr, "test_client_curl: skipped: cannot isolate: "
			"%s\n", strerror(-rv));
		return SKIP;
	}
	valgrind = getenv("NETBENCH_UNDER_VALGRIND") != NULL;
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmp)) {
		perror("test_client_curl: mkdtemp");
		return 1;
	}
	snprintf(htdocs, sizeof(htdocs), "%s/htdocs", tmp);

	failed += cmocka_run_group_tests_name("client_local", local,
					      silent_setup, silent_teardown);
	if (have_program("nghttpd"))
		failed += cmocka_run_group_tests_name("client_nghttpd",
						      with_nghttpd,
						      nghttpd_setup,
						      nghttpd_teardown);
	else
		fprintf(stderr, "test_client_curl: nghttpd not installed "
			"(nghttp2-server): its tests skipped\n");
	failed += cmocka_run_group_tests_name("client_netbench_serve",
					      with_servers, servers_setup,
					      servers_teardown);

	if (nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "test_client_curl: cannot remove %s\n", tmp);
	return failed ? 1 : 0;
}
