/* Unit tests of src/server_h1.c (HTTP/1.1): the real server (`netbench
 * serve --proto h2`, a child process; under the valgrind setup it runs
 * under valgrind too) in a network namespace of this test's own, spoken to
 * by a small blocking gnutls client (tests/server_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "server_testutil.h"

/* r is the upload answer `json` (a line of JSON). */
static void answer(const struct resp *r, int status, const char *json)
{
	assert_int_equal(r->status, status);
	assert_non_null(strstr(r->head, "content-type: application/json\r\n"));
	assert_string_equal(r->body, json);
}

/* PUT /upload of len bytes (flip: a byte to alter) on c. */
static void upload(struct cli *c, uint64_t len, uint64_t flip, struct resp *r)
{
	char head[256];

	snprintf(head, sizeof(head), "PUT /upload HTTP/1.1\r\nHost: " ADDR
		 "\r\nContent-Length: %llu\r\n\r\n", (unsigned long long)len);
	cli_sends(c, head);
	cli_send_payload(c, 0, len, flip);
	cli_response(c, r, false);
}

static void t_download(void **state)
{
	struct cli *c;
	struct resp r;

	(void)state;
	c = cli_open("http/1.1");
	request(c, GET("/bytes/1000000"), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.length, 1000000);
	assert_non_null(strstr(r.head, "content-type: application/octet-stream\r\n"));
	assert_non_null(strstr(r.head, "cache-control: no-store, no-cache, "
				       "must-revalidate\r\n"));
	assert_non_null(strstr(r.head, "pragma: no-cache\r\n"));
	/* Keep-alive: HEAD, an empty body and an odd size on the same one. */
	request(c, "HEAD /bytes/12345 HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.length, 12345);
	request(c, GET("/bytes/0?nocache=1"), &r);
	assert_int_equal(r.length, 0);
	request(c, GET("/bytes/16383"), &r);
	assert_int_equal(r.length, 16383);
}

static void t_upload(void **state)
{
	struct cli *c;
	struct resp r;

	(void)state;
	c = cli_open("http/1.1");
	upload(c, 1000000, UINT64_MAX, &r);
	answer(&r, 200, "{\"bytes\":1000000,\"verdict\":\"ok\"}\n");
	/* A corrupt byte: 422 and where. The connection goes on. */
	upload(c, 1000000, 777777, &r);
	answer(&r, 422, "{\"bytes\":1000000,\"verdict\":"
		   "\"mismatch at byte 777777\"}\n");
	upload(c, 0, UINT64_MAX, &r);
	answer(&r, 200, "{\"bytes\":0,\"verdict\":\"ok\"}\n");
}

static void t_expect_continue(void **state)
{
	struct pollfd p;
	struct cli *c;
	struct resp r;

	(void)state;
	c = cli_open("http/1.1");
	cli_sends(c, "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000"
		  "\r\nExpect: 100-continue\r\n\r\n");
	p = (struct pollfd){.fd = c->fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 900), 1);   /* curl would wait 1 s */
	cli_head(c, &r);
	assert_int_equal(r.status, 100);
	assert_string_equal(r.head, "HTTP/1.1 100 Continue\r\n\r\n");
	cli_send_payload(c, 0, 100000, UINT64_MAX);
	cli_response(c, &r, false);
	answer(&r, 200, "{\"bytes\":100000,\"verdict\":\"ok\"}\n");
}

static void t_pipelined_and_close(void **state)
{
	struct cli *c;
	struct resp r;

	(void)state;
	c = cli_open("http/1.1");
	cli_sends(c, GET("/bytes/10") GET("/bytes/20000")
		  "GET /bytes/30 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
	cli_response(c, &r, false);
	assert_int_equal(r.length, 10);
	cli_response(c, &r, false);
	assert_int_equal(r.length, 20000);
	cli_response(c, &r, false);
	assert_int_equal(r.length, 30);
	assert_non_null(strstr(r.head, "connection: close\r\n"));
	assert_true(cli_at_end(c));
	/* HTTP/1.0: one request, then the server closes. */
	c = cli_open(NULL);                 /* no ALPN: HTTP/1.1 too */
	request(c, "GET /bytes/5 HTTP/1.0\r\n\r\n", &r);
	assert_int_equal(r.length, 5);
	assert_true(cli_at_end(c));
}

/* A request that gets `status`; then the connection is closed or not. */
static void expect_status(const char *req, int status, bool closes)
{
	struct cli *c = cli_open("http/1.1");
	struct resp r;

	request(c, req, &r);
	assert_int_equal(r.status, status);
	assert_non_null(strstr(r.head, "content-type: text/plain\r\n"));
	assert_int_equal(r.body_len, r.length);
	if (closes) {
		assert_true(cli_at_end(c));
	} else {
		request(c, GET("/bytes/3"), &r);
		assert_int_equal(r.status, 200);
	}
	cli_close(c);
}

static void t_errors(void **state)
{
	static char big[20000];
	int n;

	(void)state;
	expect_status(GET("/nope"), 404, false);
	expect_status("DELETE /upload HTTP/1.1\r\nHost: a\r\n\r\n", 405, false);
	expect_status("POST /bytes/5 HTTP/1.1\r\nHost: a\r\n\r\n", 405, false);
	expect_status(GET("/bytes/12x"), 400, true);
	expect_status("GARBAGE\r\n\r\n", 400, true);
	expect_status("GET / HTTP/1.1\n\n", 400, true);
	expect_status(GET("/bytes/99999999999999999"), 413, false);
	expect_status("PUT /upload HTTP/1.1\r\nHost: a\r\n"
		      "Content-Length: 2199023255552\r\n\r\n", 413, true);
	expect_status("PUT /upload HTTP/1.1\r\nHost: a\r\n\r\n", 411, true);
	expect_status("PUT /upload HTTP/1.1\r\nHost: a\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		      411, true);
	expect_status("PUT /upload HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n",
		      417, true);
	n = snprintf(big, sizeof(big), "GET /bytes/1 HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + n, 'x', sizeof(big) - (size_t)n - 5);
	memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
	expect_status(big, 431, true);
}

/* Clients that vanish mid-body cost only their connection, and say so. */
static void t_vanish(void **state)
{
	struct cli *c;
	struct resp r;

	(void)state;
	c = cli_open("http/1.1");
	cli_sends(c, "PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000"
		  "\r\n\r\n");
	cli_send_payload(c, 0, 300000, UINT64_MAX);
	cli_close(c);                        /* no close_notify */
	assert_true(log_has("connection closed after 300000 of 1000000 body "
			    "bytes"));
	c = cli_open("http/1.1");
	cli_sends(c, GET("/bytes/1000000000"));
	cli_fill(c);
	cli_close(c);
	assert_true(log_has("of 1000000000 body bytes"));
	c = cli_open("http/1.1");
	request(c, GET("/bytes/100000"), &r);
	assert_int_equal(r.status, 200);
}

#define T(f) cmocka_unit_test_teardown(f, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_download), T(t_upload), T(t_expect_continue),
		T(t_pipelined_and_close), T(t_errors), T(t_vanish),
	};
	int rv = srv_prepare("server_h1");

	if (rv)
		return rv;
	return srv_result(cmocka_run_group_tests_name("server_h1", tests,
						      srv_group_setup,
						      srv_group_teardown));
}
