/* Unit tests of src/http1.c: the HTTP/1.1 request-head parser alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "http_target.h"

#define MAX 16384

/* The copy the last request's pointers point into. */
static uint8_t *copy;

static int free_copy(void **state)
{
	(void)state;
	free(copy);
	copy = NULL;
	return 0;
}

static enum nb_http1_result parse_n(const char *s, size_t n,
				    struct nb_http1_req *r)
{
	/* A copy of exactly n bytes, so that valgrind sees any overread. */
	free(copy);
	copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	return nb_http1_parse(copy, n, MAX, r);
}

static enum nb_http1_result parse(const char *s, struct nb_http1_req *r)
{
	return parse_n(s, strlen(s), r);
}

/* The request must be an error with that status. */
static void bad(const char *s, int status)
{
	struct nb_http1_req r;

	assert_int_equal(parse(s, &r), NB_HTTP1_ERROR);
	assert_int_equal(r.status, status);
}

static void t_get(void **state)
{
	const char *s = "GET /bytes/100?x=1 HTTP/1.1\r\nHost: a\r\n"
			"User-Agent: t\r\nAccept: */*\r\n\r\n";
	struct nb_http1_req r;

	(void)state;
	assert_int_equal(parse(s, &r), NB_HTTP1_COMPLETE);
	assert_int_equal(r.head_len, strlen(s));
	assert_int_equal(r.method_len, 3);
	assert_memory_equal(r.method, "GET", 3);
	assert_int_equal(r.target_len, strlen("/bytes/100?x=1"));
	assert_memory_equal(r.target, "/bytes/100?x=1", r.target_len);
	assert_int_equal(r.minor, 1);
	assert_false(r.has_content_length);
	assert_false(r.transfer_encoding);
	assert_false(r.expect_continue);
	assert_false(r.conn_close);
}

static void t_put_fields(void **state)
{
	const char *s = "PUT /upload HTTP/1.1\r\nhost: a\r\n"
			"content-length:  1000 \r\nEXPECT: 100-Continue\r\n"
			"Connection: foo, Close\r\n\r\nBODY";
	struct nb_http1_req r;

	(void)state;
	assert_int_equal(parse(s, &r), NB_HTTP1_COMPLETE);
	assert_int_equal(r.head_len, strlen(s) - 4);
	assert_true(r.has_content_length);
	assert_int_equal(r.content_length, 1000);
	assert_true(r.expect_continue);
	assert_true(r.conn_close);
	assert_false(r.conn_keep_alive);
}

/* Every proper prefix needs more; the whole gives the same answer. */
static void t_split_everywhere(void **state)
{
	const char *s = "\r\nPOST /upload HTTP/1.1\r\nHost: x\r\n"
			"Content-Length: 7\r\nConnection: keep-alive\r\n\r\n";
	size_t n = strlen(s);
	struct nb_http1_req r;

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(parse_n(s, i, &r), NB_HTTP1_MORE);
	assert_int_equal(parse_n(s, n, &r), NB_HTTP1_COMPLETE);
	assert_int_equal(r.head_len, n);
	assert_int_equal(r.content_length, 7);
	assert_true(r.conn_keep_alive);
	assert_memory_equal(r.method, "POST", 4);
}

static void t_pipelined(void **state)
{
	const char *s = "GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"
			"HEAD /bytes/2 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct nb_http1_req r;
	size_t first;

	(void)state;
	assert_int_equal(parse(s, &r), NB_HTTP1_COMPLETE);
	first = r.head_len;
	assert_int_equal(first, strlen("GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_int_equal(parse(s + first, &r), NB_HTTP1_COMPLETE);
	assert_memory_equal(r.method, "HEAD", 4);
	assert_int_equal(r.head_len, strlen(s) - first);
}

static void t_content_length(void **state)
{
	struct nb_http1_req r;

	(void)state;
	/* Missing: no length, not an error for the parser. */
	assert_int_equal(parse("PUT /upload HTTP/1.1\r\nHost: a\r\n\r\n", &r),
			 NB_HTTP1_COMPLETE);
	assert_false(r.has_content_length);
	/* Duplicates that agree are one; that differ are an error. */
	assert_int_equal(parse("PUT /upload HTTP/1.1\r\nHost: a\r\n"
			       "Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
			       &r), NB_HTTP1_COMPLETE);
	assert_int_equal(r.content_length, 5);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400);
	/* Above 1 TiB, or beyond 64 bits: too large. */
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1099511627777\r\n\r\n", 413);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 99999999999999999999999999999\r\n\r\n", 413);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 99999999999999999999999999x\r\n\r\n", 400);
	assert_int_equal(parse("PUT /upload HTTP/1.1\r\nHost: a\r\n"
			       "Content-Length: 1099511627776\r\n\r\n", &r),
			 NB_HTTP1_COMPLETE);
	assert_int_equal(r.content_length, NB_HTTP_MAX_SIZE);
	assert_int_equal(parse("PUT /upload HTTP/1.1\r\nHost: a\r\n"
			       "Content-Length: 007\r\n\r\n", &r),
			 NB_HTTP1_COMPLETE);
	assert_int_equal(r.content_length, 7);
}

static void t_chunked(void **state)
{
	struct nb_http1_req r;

	(void)state;
	assert_int_equal(parse("PUT /upload HTTP/1.1\r\nHost: a\r\n"
			       "Transfer-Encoding: gzip, Chunked\r\n\r\n", &r),
			 NB_HTTP1_COMPLETE);
	assert_true(r.transfer_encoding);
	assert_false(r.has_content_length);
	/* Not ending in chunked, with Content-Length, or on HTTP/1.0. */
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
	    400);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n", 400);
	bad("PUT /upload HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

static void t_expect(void **state)
{
	struct nb_http1_req r;

	(void)state;
	assert_int_equal(parse("PUT /upload HTTP/1.1\r\nHost: a\r\n"
			       "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n",
			       &r), NB_HTTP1_COMPLETE);
	assert_true(r.expect_continue);
	bad("PUT /upload HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417);
}

static void t_too_long(void **state)
{
	size_t n = MAX + 100;
	char *s = malloc(n + 1);
	struct nb_http1_req r;
	size_t len;

	(void)state;
	assert_non_null(s);
	len = (size_t)snprintf(s, n + 1, "GET /bytes/1 HTTP/1.1\r\nHost: a\r\nX: ");
	memset(s + len, 'a', n - len);
	s[n] = '\0';
	/* Short of the limit: more, at the limit: 431. */
	assert_int_equal(parse_n(s, MAX - 1, &r), NB_HTTP1_MORE);
	assert_int_equal(parse_n(s, MAX, &r), NB_HTTP1_ERROR);
	assert_int_equal(r.status, 431);
	assert_int_equal(parse_n(s, n, &r), NB_HTTP1_ERROR);
	assert_int_equal(r.status, 431);
	/* A head of exactly MAX bytes is fine. */
	len = (size_t)snprintf(s, n + 1, "GET /bytes/1 HTTP/1.1\r\nHost: a\r\nX: ");
	memset(s + len, 'b', MAX - len - 4);
	memcpy(s + MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(parse_n(s, MAX, &r), NB_HTTP1_COMPLETE);
	assert_int_equal(r.head_len, MAX);
	free(s);
}

static void t_bare_lf_and_cr(void **state)
{
	(void)state;
	bad("GET /bytes/1 HTTP/1.1\nHost: a\r\n\r\n", 400);
	bad("GET /bytes/1 HTTP/1.1\r\nHost: a\n\r\n", 400);
	bad("GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\n", 400);
	bad("\n", 400);
	bad("GET /bytes/1 HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
	bad("GET /bytes/1 HTTP/1.1\rX", 400);
}

static void t_garbage(void **state)
{
	static const char *const junk[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		"GET  /bytes/1 HTTP/1.1\r\n",      /* two spaces */
		"GET /bytes/1  HTTP/1.1\r\n",
		" GET /bytes/1 HTTP/1.1\r\n",
		"GET /bytes/1 HTTP/1.1 \r\n",
		"GET /bytes/1\r\n",                /* HTTP/0.9 */
		"GET\r\n",
		"G(T / HTTP/1.1\r\n",
		"GET /a b HTTP/1.1\r\n",
		"GET / http/1.1\r\n",
		"GET / HTTP/1.10\r\n",
		"GET / HTTP/1.x\r\n",
		"GET / HTTP/1.1\r\nHost a\r\n",    /* no colon */
		"GET / HTTP/1.1\r\nHost : a\r\n",  /* space before colon */
		"GET / HTTP/1.1\r\n: a\r\n",       /* empty name */
		"GET / HTTP/1.1\r\nHost: a\r\n b\r\n",   /* obs-fold */
		"GET / HTTP/1.1\r\nX: \x7f\r\n",
		"GET / HTTP/1.1\r\nX: \x01\r\n",
		"\xff\xfe\xfd",
	};
	struct nb_http1_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		/* Caught as soon as it is seen, complete head or not. */
		assert_int_equal(parse(junk[i], &r), NB_HTTP1_ERROR);
		assert_int_equal(r.status, 400);
	}
	bad("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	bad("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
}

static void t_host(void **state)
{
	struct nb_http1_req r;

	(void)state;
	bad("GET / HTTP/1.1\r\n\r\n", 400);
	bad("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), NB_HTTP1_COMPLETE);
}

static void t_http10(void **state)
{
	struct nb_http1_req r;

	(void)state;
	assert_int_equal(parse("GET /bytes/5 HTTP/1.0\r\n\r\n", &r),
			 NB_HTTP1_COMPLETE);
	assert_int_equal(r.minor, 0);
	assert_false(r.conn_keep_alive);
	assert_int_equal(parse("GET /bytes/5 HTTP/1.0\r\nConnection: Keep-Alive"
			       "\r\n\r\n", &r), NB_HTTP1_COMPLETE);
	assert_true(r.conn_keep_alive);
}

static void t_nul(void **state)
{
	static const char a[] = "GET /bytes/1 HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	static const char b[] = "GE\0 /bytes/1 HTTP/1.1\r\n\r\n";
	static const char c[] = "GET /by\0es/1 HTTP/1.1\r\n\r\n";
	static const char d[] = "GET /bytes/1 HTTP/1.1\r\nHo\0t: a\r\n\r\n";
	static const char e[] = "\0";
	struct nb_http1_req r;

	(void)state;
	assert_int_equal(parse_n(a, sizeof(a) - 1, &r), NB_HTTP1_ERROR);
	assert_int_equal(parse_n(b, sizeof(b) - 1, &r), NB_HTTP1_ERROR);
	assert_int_equal(parse_n(c, sizeof(c) - 1, &r), NB_HTTP1_ERROR);
	assert_int_equal(parse_n(d, sizeof(d) - 1, &r), NB_HTTP1_ERROR);
	assert_int_equal(parse_n(e, 1, &r), NB_HTTP1_ERROR);
	assert_int_equal(r.status, 400);
}

/* Random bytes and random mutations of a valid head: no crash, no read
 * out of bounds (valgrind), a well-formed verdict. */
static void t_random(void **state)
{
	const char *base = "PUT /upload HTTP/1.1\r\nHost: a\r\n"
			   "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n";
	size_t blen = strlen(base);
	uint8_t buf[128];
	uint32_t x = 12345;
	struct nb_http1_req r;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n;
		enum nb_http1_result res;

		memcpy(buf, base, blen);
		n = blen;
		for (int k = 0; k < 1 + i % 4; k++) {
			x = x * 1103515245 + 12345;
			buf[(x >> 8) % blen] = (uint8_t)(x >> 20);
		}
		x = x * 1103515245 + 12345;
		if (i % 3 == 0)
			n = (x >> 8) % (blen + 1);
		res = nb_http1_parse(buf, n, 128, &r);
		if (res == NB_HTTP1_COMPLETE) {
			assert_true(r.head_len <= n && r.head_len <= 128);
			assert_true(r.method >= (const char *)buf &&
				    r.method + r.method_len <= (const char *)buf + n);
		} else if (res == NB_HTTP1_ERROR) {
			assert_true(r.status >= 400 && r.status < 600);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_get),
		cmocka_unit_test(t_put_fields),
		cmocka_unit_test(t_split_everywhere),
		cmocka_unit_test(t_pipelined),
		cmocka_unit_test(t_content_length),
		cmocka_unit_test(t_chunked),
		cmocka_unit_test(t_expect),
		cmocka_unit_test(t_too_long),
		cmocka_unit_test(t_bare_lf_and_cr),
		cmocka_unit_test(t_garbage),
		cmocka_unit_test(t_host),
		cmocka_unit_test(t_http10),
		cmocka_unit_test(t_nul),
		cmocka_unit_test(t_random),
	};

	return cmocka_run_group_tests_name("http1", tests, NULL, free_copy);
}
