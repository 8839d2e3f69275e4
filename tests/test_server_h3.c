/* Unit tests of src/server_h3.c and src/server_h3_req.c (HTTP/3): the real
 * server (`netbench serve --proto h3`, a child process; under the valgrind
 * setup it runs under valgrind too) in a network namespace of this test's
 * own, spoken to by Debian's ngtcp2 example client, gtlsclient: downloads
 * compared byte for byte, uploads verified (and a corrupt one refused),
 * errors, HEAD, a burst of garbage datagrams during a download, a client
 * that vanishes, and SIGTERM during a transfer (tests/server_testutil.h). */
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "server_testutil.h"

#define GTLS "/usr/bin/gtlsclient"
/* Quiet but for the response headers; bodies saved in dldir. */
#define GTLS_CMD "timeout 60 " GTLS " --exit-on-all-streams-close " \
	"--no-quic-dump --no-http-dump --download=%s "

static char dldir[] = "/tmp/netbench-h3-XXXXXX";

/* gtlsclient with `args` (options and URLs): the statuses it saw, one
 * "NNN " each, into out. Returns its exit status. */
static int gtls(char *out, size_t len, const char *args)
{
	return run_shell(out, len, GTLS_CMD "%s 2>&1 | grep -a -o "
			 "':status: [0-9]*' | cut -d' ' -f2 | tr '\\n' ' '",
			 dldir, args);
}

/* The file gtlsclient saved for the last path component `name`, moved to
 * the payload file. Returns its size. */
static uint64_t take(const char *name)
{
	char path[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dldir, name);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(rename(path, tmpfile_path), 0);
	return (uint64_t)sb.st_size;
}

/* The small body gtlsclient saved for `name` into buf, then removed. */
static void body(const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dldir, name);
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
}

static void t_h3_download(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(gtls(out, sizeof(out), "127.0.0.1 4443 " URL
			      "/bytes/3000000?nocache=1"), 0);
	assert_string_equal(out, "200 ");
	assert_int_equal(take("3000000?nocache=1"), 3000000);
	check_file(3000000);
	/* Two streams side by side on one connection. */
	assert_int_equal(gtls(out, sizeof(out), "127.0.0.1 4443 " URL
			      "/bytes/2000000 " URL "/bytes/1000001"), 0);
	assert_string_equal(out, "200 200 ");
	assert_int_equal(take("1000001"), 1000001);
	check_file(1000001);
	assert_int_equal(take("2000000"), 2000000);
	check_file(2000000);
}

static void t_h3_upload(void **state)
{
	char out[256], args[512], answer[256];

	(void)state;
	assert_int_equal(gtls(out, sizeof(out), "127.0.0.1 4443 " URL
			      "/bytes/3000000"), 0);
	assert_int_equal(take("3000000"), 3000000);
	snprintf(args, sizeof(args), "-m PUT -d %s 127.0.0.1 4443 " URL
		 "/upload", tmpfile_path);
	assert_int_equal(gtls(out, sizeof(out), args), 0);
	assert_string_equal(out, "200 ");
	body("upload", answer, sizeof(answer));
	assert_string_equal(answer, "{\"bytes\":3000000,\"verdict\":\"ok\"}\n");
	flip_file_byte(1234567);
	snprintf(args, sizeof(args), "-m POST -d %s 127.0.0.1 4443 " URL
		 "/upload", tmpfile_path);
	assert_int_equal(gtls(out, sizeof(out), args), 0);
	assert_string_equal(out, "422 ");
	body("upload", answer, sizeof(answer));
	assert_string_equal(answer, "{\"bytes\":3000000,\"verdict\":"
				    "\"mismatch at byte 1234567\"}\n");
}

static void t_h3_errors_and_head(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(gtls(out, sizeof(out), "127.0.0.1 4443 " URL "/nope "
			      URL "/bytes/x " URL "/upload"), 0);
	assert_string_equal(out, "404 400 405 ");
	/* With the HTTP dump: a body would show as "body N bytes". */
	assert_int_equal(run_shell(out, sizeof(out), "timeout 60 " GTLS
				   " --exit-on-all-streams-close --no-quic-dump"
				   " -m HEAD 127.0.0.1 4443 " URL "/bytes/1000"
				   " 2>&1 | grep -a -o 'content-length: [0-9]*"
				   "\\|body [0-9]* bytes'"), 0);
	assert_string_equal(out, "content-length: 1000\n");
}

/* Random datagrams and short-header packets of unknown connection IDs at
 * the port while a download runs: it completes and verifies, and the
 * server says nothing about them. */
static void t_h3_garbage(void **state)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(PORT)};
	static uint8_t pkt[1500];
	char cmd[512], out[64];
	FILE *dl;
	int fd, st;

	(void)state;
	inet_pton(AF_INET, ADDR, &to.sin_addr);
	snprintf(cmd, sizeof(cmd), GTLS_CMD "-q 127.0.0.1 4443 " URL
		 "/bytes/200000000", dldir);
	dl = popen(cmd, "r");
	assert_non_null(dl);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	usleep(100000);
	for (int i = 0; i < 6000; i++) {
		size_t len;

		gnutls_rnd(GNUTLS_RND_NONCE, pkt, sizeof(pkt));
		len = 1 + pkt[0] % 1400u + (i % 7 == 0 ? 100u : 0u);
		if (i % 3 == 1)
			pkt[0] = (uint8_t)(0x40 | (pkt[0] & 0x3f)); /* short */
		else if (i % 3 == 2 && i % 2)
			pkt[0] |= 0xc0;          /* long, any version */
		sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
		if (i % 500 == 0)
			usleep(5000);
	}
	close(fd);
	st = pclose(dl);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(take("200000000"), 200000000);
	check_file(200000000);
	assert_false(log_has("netbench serve:"));
	assert_int_equal(gtls(out, sizeof(out), "127.0.0.1 4443 " URL
			      "/bytes/10"), 0);
	assert_string_equal(out, "200 ");
}

/* A client that vanishes in the middle of a body costs its connection
 * after the idle timeout, and one log line. */
static void t_h3_vanished_client(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(GTLS, GTLS, "-q", "--no-quic-dump", "--no-http-dump",
		      "127.0.0.1", "4443", URL "/bytes/100000000000",
		      (char *)NULL);
		_exit(127);
	}
	usleep(500000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_false(log_has("connection closed after"));
	/* NB_QUIC_IDLE_S is 30 s: look for 40 s (valgrind: 3 minutes). */
	assert_true(log_has_within("connection closed after",
				   getenv("NETBENCH_UNDER_VALGRIND") ? 3600 : 800));
	assert_true(log_has_within("idle timeout", 1));
}

/* SIGTERM in the middle of a transfer: the server closes the connection
 * (the client hears it at once, not after its idle timeout) and exits 0
 * (checked by the group teardown). */
static void t_h3_sigterm(void **state)
{
	char cmd[512], path[256];
	struct stat sb = {0};
	FILE *dl;
	int st;
	time_t t0;

	(void)state;
	snprintf(cmd, sizeof(cmd), GTLS_CMD "-q --timeout=50s 127.0.0.1 4443 "
		 URL "/bytes/100000000000 2>&1", dldir);
	dl = popen(cmd, "r");
	assert_non_null(dl);
	/* Once the body flows (a busy machine may take seconds to connect). */
	snprintf(path, sizeof(path), "%s/100000000000", dldir);
	for (int i = 0; i < 400 && (stat(path, &sb) || sb.st_size < 1000000);
	     i++)
		usleep(50000);
	assert_true(sb.st_size >= 1000000);
	assert_int_equal(kill(server.pid, SIGTERM), 0);
	t0 = time(NULL);
	st = pclose(dl);
	assert_true(time(NULL) - t0 < 10);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 124);   /* not timeout(1)'s */
	for (int i = 0; i < 600 && nb_child_poll(&server) == 0; i++)
		usleep(100000);
	assert_true(server.reaped);
	assert_true(WIFEXITED(server.status));
	assert_int_equal(WEXITSTATUS(server.status), 0);
}

static int group_setup(void **state)
{
	if (!mkdtemp(dldir))
		return -1;
	return srv_group_setup(state);
}

static int group_teardown(void **state)
{
	char cmd[128];
	int rv = srv_group_teardown(state);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dldir);
	if (system(cmd))
		rv = -1;
	return rv;
}

#define T(f) cmocka_unit_test_teardown(f, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_h3_download), T(t_h3_upload), T(t_h3_errors_and_head),
		T(t_h3_garbage), T(t_h3_vanished_client), T(t_h3_sigterm),
	};
	int rv;

	if (access(GTLS, X_OK)) {
		fprintf(stderr, "server_h3: skipped: no %s (ngtcp2-client)\n",
			GTLS);
		return 77;
	}
	rv = srv_prepare("server_h3");
	if (rv)
		return rv;
	srv_proto = "h3";
	return srv_result(cmocka_run_group_tests_name("server_h3", tests,
						      group_setup,
						      group_teardown));
}
