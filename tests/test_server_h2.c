/* Unit tests of src/server_h2.c (HTTP/2): the real server (`netbench
 * serve --proto h2`, a child process; under the valgrind setup it runs
 * under valgrind too) in a network namespace of this test's own, spoken to
 * by the curl command line and by a small blocking gnutls client
 * (tests/server_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "server_testutil.h"
#include "tls.h"

#define CURL "curl -sS --no-progress-meter --http2 --max-time 60 --cacert %s "

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void t_h2_curl(void **state)
{
	char ca[4096], out[512];

	(void)state;
	if (access("/usr/bin/curl", X_OK))
		skip();
	assert_int_equal(nb_certs_path("ca.pem", ca, sizeof(ca)), 0);
	assert_int_equal(run_shell(out, sizeof(out), CURL "-o %s -w "
				   "'%%{http_version} %%{http_code}' " URL
				   "/bytes/3000000", ca, tmpfile_path), 0);
	assert_string_equal(out, "2 200");
	check_file(3000000);
	assert_int_equal(run_shell(out, sizeof(out), CURL "-T %s -w "
				   "'%%{http_version} %%{http_code}' " URL
				   "/upload", ca, tmpfile_path), 0);
	assert_string_equal(out, "{\"bytes\":3000000,\"verdict\":\"ok\"}\n2 200");
	flip_file_byte(1234567);
	assert_int_equal(run_shell(out, sizeof(out), CURL "-T %s -w "
				   "'%%{http_code}' " URL "/upload", ca,
				   tmpfile_path), 0);
	assert_string_equal(out, "{\"bytes\":3000000,\"verdict\":"
				 "\"mismatch at byte 1234567\"}\n422");
	/* Errors, and streams side by side on one connection. */
	assert_int_equal(run_shell(out, sizeof(out), CURL "-o /dev/null -o "
				   "/dev/null -w '%%{http_code} ' " URL "/nope "
				   URL "/bytes/x", ca), 0);
	assert_string_equal(out, "404 400 ");
	assert_int_equal(run_shell(out, sizeof(out), CURL "-Z -o /dev/null -o "
				   "/dev/null -w '%%{size_download} ' " URL
				   "/bytes/2000000 " URL "/bytes/1000001", ca),
			 0);
	assert_true(!strcmp(out, "2000000 1000001 ") ||
		    !strcmp(out, "1000001 2000000 "));
}

/* The server's first frames: SETTINGS (100 streams, 16 MiB stream window)
 * and a WINDOW_UPDATE that takes the connection window to 16 MiB; then
 * garbage after the preface gets GOAWAY. */
static void t_h2_settings_and_garbage(void **state)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const uint8_t data0[9] = {0};   /* DATA on stream 0 */
	bool streams = false, window = false, conn_window = false, goaway = false;
	gnutls_datum_t p;
	struct cli *c;
	struct resp r;

	(void)state;
	c = cli_open("h2,http/1.1");
	assert_int_equal(gnutls_alpn_get_selected_protocol(c->s, &p), 0);
	assert_int_equal(p.size, 2);
	assert_memory_equal(p.data, "h2", 2);
	cli_send(c, preface, sizeof(preface) - 1);
	cli_send(c, data0, sizeof(data0));
	cli_drain(c);
	for (size_t off = 0, len; off + 9 <= c->len; off += 9 + len) {
		const uint8_t *f = c->in + off, *pl = f + 9;

		len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
		assert_true(off + 9 + len <= c->len);
		for (size_t i = 0; f[3] == 4 && i + 6 <= len; i += 6) {
			streams |= pl[i + 1] == 3 && be32(pl + i + 2) == 100;
			window |= pl[i + 1] == 4 && be32(pl + i + 2) == 16777216;
		}
		conn_window |= f[3] == 8 && be32(f + 5) == 0 &&
			       be32(pl) == 16777216 - 65535;
		goaway |= f[3] == 7;
	}
	assert_true(streams && window && conn_window && goaway);
	cli_close(c);
	/* A bad preface: closed. Then the server still serves. */
	c = cli_open("h2");
	cli_sends(c, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n\0\0\0\0\0\0\0\0\0");
	cli_drain(c);
	cli_close(c);
	request(cli_open("http/1.1"), GET("/bytes/1000"), &r);
	assert_int_equal(r.status, 200);
}

#define T(f) cmocka_unit_test_teardown(f, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_h2_curl), T(t_h2_settings_and_garbage),
	};
	int rv = srv_prepare("server_h2");

	if (rv)
		return rv;
	return srv_result(cmocka_run_group_tests_name("server_h2", tests,
						      srv_group_setup,
						      srv_group_teardown));
}
