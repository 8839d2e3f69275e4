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
 * root (or namespaces) the whole test is (exit 77). Helpers shared with
 * test_client_curl.c: tests/client_testutil.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_h3.h"
#include "client_testutil.h"
#include "error.h"
#include "goodput.h"
#include "peer.h"
#include "proto.h"
#include "spawn.h"
#include "tls.h"
#include "undo.h"

#define GTLS_PORT 4453
#define H3_PORT 4454
#define SILENT_PORT 4455
#define CLOSED_PORT 4456

/* gtlsserver serves make_htdocs()'s files under htdocs/bytes/, and: */
#define BIG_SIZE (32ULL << 20)   /* for stop requests mid-body */

static char tmp[] = "/tmp/nb-test-client-h3-XXXXXX";
static char htdocs[sizeof(tmp) + 16];

/* --- helpers ------------------------------------------------------------- */

/* nb_h3_transfer() as a transfer_fn (HTTP/3 has one version). */
static int h3_transfer(const struct nb_xfer *x, int version,
		       struct nb_xfer_result *r)
{
	(void)version;
	return nb_h3_transfer(x, r);
}

/* One transfer with the invariants every transfer keeps (checked_xfer). */
static int xfer_at(const char *addr, enum nb_dir dir, uint16_t port,
		   uint64_t size, uint64_t abort_after,
		   struct nb_xfer_result *r)
{
	struct nb_xfer x = {.server_addr = addr, .port = port, .dir = dir,
			    .size = size, .abort_after = abort_after};

	return checked_xfer(h3_transfer, 3, &x, r);
}

static int xfer(enum nb_dir dir, uint16_t port, uint64_t size)
{
	struct nb_xfer_result r;

	return xfer_at(ADDR, dir, port, size, 0, &r);
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

/* Runs a transfer while a watcher stops or interrupts it; returns the
 * error and checks that it came promptly. */
static int stopped(enum nb_dir dir, uint16_t port, uint64_t size,
		   struct watcher *w)
{
	struct nb_xfer x = {.server_addr = ADDR, .port = port, .dir = dir,
			    .size = size};

	return stopped_xfer(h3_transfer, 3, &x, w);
}

/* --- no server, or a silent one ------------------------------------------ */

/* A UDP socket that never answers. */
static int silent_setup(void **state)
{
	(void)state;
	return silent_listen(SOCK_DGRAM, SILENT_PORT);
}

/* Nothing listens: the ICMP port unreachable ends it at once. */
static void t_refused(void **state)
{
	double t0 = nb_now();

	(void)state;
	assert_int_equal(xfer(NB_DOWNLOAD, CLOSED_PORT, 10), -ECONNREFUSED);
	assert_int_equal(xfer(NB_UPLOAD, CLOSED_PORT, 10), -ECONNREFUSED);
	assert_true(nb_now() - t0 < (under_valgrind ? 10 : 1));
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
	char key[4096], cert[4096], big[32], port[8];
	char *argv[] = {"gtlsserver", "-q", "--no-quic-dump", "--no-http-dump",
			"-d", htdocs, ADDR, port, key, cert, NULL};
	int nsfd, rv;

	snprintf(port, sizeof(port), "%d", GTLS_PORT);
	snprintf(big, sizeof(big), "%llu", BIG_SIZE);
	/* (gtlsserver cannot serve an empty file: it mmaps it.) */
	rv = make_htdocs(htdocs, false);
	if (rv)
		return rv;
	if (nb_certs_path("server.key", key, sizeof(key)) ||
	    nb_certs_path("server.pem", cert, sizeof(cert)) ||
	    write_served(htdocs, big, BIG_SIZE, UINT64_MAX))
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

/* Returns 0, or a reason to skip in nb_lasterr(). */
static int h3_start(void)
{
	nb_undo_init(&h3_undo);
	return spawn_serve(&h3_undo, &h3_server, "h3", H3_PORT);
}

static int h3_teardown(void **state)
{
	(void)state;
	nb_undo_unwind(&h3_undo);
	return 0;
}

static void t_roundtrips(void **state)
{
	uint64_t big = under_valgrind ? 3000000 : 30000000;
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
	if (under_valgrind)
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

/* Says that the group of `peer` is skipped, and why (nb_lasterr()). */
static void not_ready(const char *peer)
{
	fprintf(stderr, "test_client_h3: %s not ready, its tests skipped: "
		"%s\n", peer, nb_lasterr());
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

	rv = client_test_prepare("test_client_h3", tmp, htdocs,
				 sizeof(htdocs));
	if (rv)
		return rv;

	failed += cmocka_run_group_tests_name("client_h3_local", local,
					      silent_setup, silent_teardown);
	if (gtls_start() == 0)
		failed += cmocka_run_group_tests_name("client_h3_gtlsserver",
				with_gtls, NULL, gtls_teardown);
	else
		not_ready("gtlsserver (ngtcp2-server)");
	if (h3_start() == 0)
		failed += cmocka_run_group_tests_name("client_h3_netbench_serve",
				with_ours, NULL, h3_teardown);
	else
		not_ready("netbench serve --proto h3");

	client_test_cleanup("test_client_h3", tmp);
	return failed ? 1 : 0;
}
