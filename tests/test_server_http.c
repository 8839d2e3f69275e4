/* Unit tests of src/server_http.c: the accept loop, TLS, ALPN, the
 * certificates, SIGTERM; on the real server (`netbench serve --proto h2`,
 * a child process; under the valgrind setup it runs under valgrind too) in
 * a network namespace of this test's own (tests/server_testutil.h). The
 * HTTP/1.1 and HTTP/2 cases are in test_server_h1.c and test_server_h2.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "proto.h"
#include "server_http.h"
#include "server_testutil.h"
#include "spawn.h"

/* Many connections at once, responses read in reverse order, while a
 * client that reads nothing of its 1 GB holds its connection. */
static void t_concurrent(void **state)
{
	struct cli *c[20], *stalled;
	struct resp r;

	(void)state;
	stalled = cli_open("http/1.1");
	cli_sends(stalled, GET("/bytes/1000000000"));
	for (int i = 0; i < 20; i++) {
		c[i] = cli_open(i % 2 ? "http/1.1" : NULL);
		cli_sends(c[i], GET("/bytes/300000"));
	}
	for (int i = 19; i >= 0; i--) {
		cli_response(c[i], &r, false);
		assert_int_equal(r.length, 300000);
		cli_close(c[i]);
	}
	cli_response(stalled, &r, true);
	assert_int_equal(r.length, 1000000000);
}

/* Plain HTTP to the TLS port: the handshake fails, that connection goes. */
static void t_garbage_before_tls(void **state)
{
	const char junk[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct resp r;
	char buf[256];
	int fd;

	(void)state;
	fd = tcp_connect();
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), sizeof(junk) - 1);
	assert_true(read(fd, buf, sizeof(buf)) <= 7);  /* an alert at most */
	close(fd);
	assert_true(log_has("TLS handshake"));
	request(cli_open("http/1.1"), GET("/bytes/1000"), &r);
	assert_int_equal(r.status, 200);
}

static void t_bad_setup(void **state)
{
	struct nb_serve_opts o = {.addr = ADDR, .port = PORT + 1, .ready_fd = -1,
				  .cert = "/nonexistent/server.pem",
				  .key = "/nonexistent/server.key"};

	(void)state;
	assert_int_equal(nb_http_serve(&o, true), -ENOENT);
	assert_non_null(strstr(nb_lasterr(), "/nonexistent/server.pem"));
	o.cert = o.key = NULL;
	o.port = PORT;                       /* the server's */
	assert_int_equal(nb_http_serve(&o, false), -EADDRINUSE);
}

/* SIGTERM with connections open: exit status 0 (under valgrind: no error,
 * no definite leak, nothing but stdio left open). */
static void t_sigterm(void **state)
{
	struct cli *a, *b;

	(void)state;
	a = cli_open("http/1.1");
	b = cli_open("h2");
	cli_sends(a, GET("/bytes/1000000000"));
	cli_fill(a);
	(void)b;
	assert_int_equal(kill(server.pid, SIGTERM), 0);
	for (int i = 0; i < 600 && nb_child_poll(&server) == 0; i++)
		usleep(100000);
	assert_true(server.reaped);
	assert_true(WIFEXITED(server.status));
	assert_int_equal(WEXITSTATUS(server.status), 0);
	/* valgrind --track-fds lists fds beyond stdio open at exit. */
	assert_false(log_has_within("FILE DESCRIPTORS", 1));
}

#define T(f) cmocka_unit_test_teardown(f, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_concurrent), T(t_garbage_before_tls), T(t_bad_setup),
		T(t_sigterm),                /* last: stops the server */
	};
	int rv = srv_prepare("server_http");

	if (rv)
		return rv;
	return srv_result(cmocka_run_group_tests_name("server_http", tests,
						      srv_group_setup,
						      srv_group_teardown));
}
