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
 * Helpers shared with test_client_h3.c: tests/client_testutil.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_curl.h"
#include "client_testutil.h"
#include "error.h"
#include "goodput.h"
#include "proto.h"
#include "spawn.h"
#include "tls.h"
#include "undo.h"

#define NGHTTPD_PORT 4443
#define H1_PORT 4444
#define H2_PORT 4445
#define SILENT_PORT 4446
#define CLOSED_PORT 4447

/* nghttpd serves make_htdocs()'s files under htdocs/bytes/, and: */
#define UP_SIZE 2000000ULL       /* the answer file says so */

static char tmp[] = "/tmp/nb-test-client-curl-XXXXXX";
static char htdocs[sizeof(tmp) + 16];
static pid_t nghttpd = -1;

/* --- helpers ------------------------------------------------------------- */

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

/* One transfer with the invariants every transfer keeps (checked_xfer). */
static int xfer_at(const char *addr, int version, enum nb_dir dir,
		   uint16_t port, uint64_t size, uint64_t abort_after,
		   struct nb_xfer_result *r)
{
	struct nb_xfer x = {.server_addr = addr, .port = port, .dir = dir,
			    .size = size, .abort_after = abort_after};

	return checked_xfer(nb_curl_transfer, version, &x, r);
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

/* --- nghttpd ------------------------------------------------------------- */

static int nghttpd_setup(void **state)
{
	char key[4096], cert[4096];
	double t0;

	(void)state;
	if (nb_certs_path("server.key", key, sizeof(key)) ||
	    nb_certs_path("server.pem", cert, sizeof(cert)) ||
	    make_htdocs(htdocs, true))
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
	assert_true(nb_now() - t0 < (under_valgrind ? 30 : 3));
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
	assert_true(nb_now() - t0 < (under_valgrind ? 10 : 1));
}

/* Runs a transfer while a watcher stops or interrupts it; returns the
 * error and checks that it came promptly. */
static int stopped(int version, enum nb_dir dir, uint16_t port,
		   uint64_t size, struct watcher *w)
{
	struct nb_xfer x = {.server_addr = ADDR, .port = port, .dir = dir,
			    .size = size};

	return stopped_xfer(nb_curl_transfer, version, &x, w);
}

/* A TCP listener that accepts and never speaks. */
static int silent_setup(void **state)
{
	(void)state;
	return silent_listen(SOCK_STREAM, SILENT_PORT);
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
	for (int i = 0; i < 2; i++)
		if (spawn_serve(&undo, &servers[i], protos[i], ports[i])) {
			fprintf(stderr, "test_client_curl: netbench serve "
				"--proto %s: %s\n", protos[i], nb_lasterr());
			return -1;
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
	uint64_t big = under_valgrind ? 3000000 : 30000000;
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

	rv = client_test_prepare("test_client_curl", tmp, htdocs,
				 sizeof(htdocs));
	if (rv)
		return rv;

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

	client_test_cleanup("test_client_curl", tmp);
	return failed ? 1 : 0;
}
