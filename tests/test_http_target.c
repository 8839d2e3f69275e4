/* Unit tests of src/http_target.c: routes, statuses, the upload answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "http_target.h"

static struct nb_http_target route(const char *method, const char *path)
{
	struct nb_http_target t;

	nb_http_route(method, strlen(method), path, strlen(path), &t);
	return t;
}

static void t_download(void **state)
{
	struct nb_http_target t;

	(void)state;
	t = route("GET", "/bytes/1000000");
	assert_int_equal(t.route, NB_ROUTE_DOWNLOAD);
	assert_int_equal(t.size, 1000000);
	assert_false(t.head);
	t = route("GET", "/bytes/0");
	assert_int_equal(t.route, NB_ROUTE_DOWNLOAD);
	assert_int_equal(t.size, 0);
	t = route("HEAD", "/bytes/5?nocache=7");
	assert_int_equal(t.route, NB_ROUTE_DOWNLOAD);
	assert_int_equal(t.size, 5);
	assert_true(t.head);
	t = route("GET", "/bytes/1099511627776");   /* exactly 1 TiB */
	assert_int_equal(t.route, NB_ROUTE_DOWNLOAD);
}

static void t_errors(void **state)
{
	static const struct {
		const char *method, *path;
		int status;
	} cases[] = {
		{"GET", "/bytes/", 404},
		{"GET", "/bytes/-1", 400},
		{"GET", "/bytes/+1", 400},
		{"GET", "/bytes/1e6", 400},
		{"GET", "/bytes/ 1", 400},
		{"GET", "/bytes/1099511627777", 413},
		{"GET", "/bytes/99999999999999999999999", 413},
		{"POST", "/bytes/10", 405},
		{"GET", "/upload", 405},
		{"DELETE", "/upload", 405},
		{"GET", "/", 404},
		{"GET", "/upload/x", 404},
		{"GET", "", 404},
		{"get", "/bytes/1", 405},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nb_http_target t = route(cases[i].method, cases[i].path);

		if (t.route != NB_ROUTE_ERROR || t.status != cases[i].status)
			fail_msg("%s %s: route %d status %d, expected error %d",
				 cases[i].method, cases[i].path, t.route,
				 t.status, cases[i].status);
		assert_string_not_equal(nb_http_reason(t.status), "Unknown");
		assert_string_not_equal(nb_http_error_body(t.status), "error\n");
	}
}

static void t_upload(void **state)
{
	(void)state;
	assert_int_equal(route("PUT", "/upload").route, NB_ROUTE_UPLOAD);
	assert_int_equal(route("POST", "/upload?x=1").route, NB_ROUTE_UPLOAD);
}

static void t_answer_roundtrip(void **state)
{
	char buf[NB_HTTP_ANSWER_MAX], verdict[80];
	uint64_t bytes;
	size_t len;
	bool ok;
	int status;

	(void)state;
	len = nb_http_answer(buf, 12345, UINT64_MAX, &status);
	assert_int_equal(status, 200);
	assert_string_equal(buf, "{\"bytes\":12345,\"verdict\":\"ok\"}\n");
	assert_int_equal(nb_http_answer_parse(buf, len, &bytes, &ok, verdict,
					      sizeof(verdict)), 0);
	assert_int_equal(bytes, 12345);
	assert_true(ok);

	len = nb_http_answer(buf, UINT64_MAX, UINT64_MAX - 1, &status);
	assert_int_equal(status, 422);
	assert_true(len < NB_HTTP_ANSWER_MAX);
	assert_int_equal(nb_http_answer_parse(buf, len, &bytes, &ok, verdict,
					      sizeof(verdict)), 0);
	assert_false(ok);
	assert_int_equal(bytes, UINT64_MAX);
	assert_string_equal(verdict, "mismatch at byte 18446744073709551614");
}

static void t_answer_parse_rejects(void **state)
{
	const char *bad[] = {
		"", "{}", "not found\n", "{\"bytes\":1}",
		"{\"bytes\":1,\"verdict\":\"ok\"}trailing",
		"{\"bytes\":x,\"verdict\":\"ok\"}",
	};
	uint64_t bytes;
	bool ok;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nb_http_answer_parse(bad[i], strlen(bad[i]),
						      &bytes, &ok, NULL, 0),
				 -EPROTO);
}

/* The response head and small body each kind of request gets. */
static void t_respond(void **state)
{
	struct nb_http_target t;
	struct nb_http_head h;
	char answer[NB_HTTP_ANSWER_MAX];
	uint64_t n;

	(void)state;
	t = route("GET", "/bytes/123456");
	assert_int_equal(nb_http_respond(&t, 0, UINT64_MAX, &h, answer), 123456);
	assert_string_equal(h.status_text, "200");
	assert_string_equal(h.type, "application/octet-stream");
	assert_string_equal(h.length, "123456");
	assert_true(h.no_store);
	assert_false(h.small);

	t = route("HEAD", "/bytes/77");
	assert_int_equal(nb_http_respond(&t, 0, UINT64_MAX, &h, answer), 0);
	assert_string_equal(h.length, "77");

	t = route("PUT", "/upload");
	n = nb_http_respond(&t, 1000, 999, &h, answer);
	assert_int_equal(n, strlen(answer));
	assert_int_equal(h.status, 422);
	assert_string_equal(h.status_text, "422");
	assert_string_equal(h.type, "application/json");
	assert_string_equal(answer,
			    "{\"bytes\":1000,\"verdict\":\"mismatch at byte 999\"}\n");
	assert_false(h.no_store);
	assert_true(h.small);
	nb_http_respond(&t, 1000, UINT64_MAX, &h, answer);
	assert_string_equal(h.status_text, "200");

	t = route("DELETE", "/bytes/1");
	n = nb_http_respond(&t, 0, UINT64_MAX, &h, answer);
	assert_int_equal(n, strlen(nb_http_error_body(405)));
	assert_string_equal(h.status_text, "405");
	assert_string_equal(h.type, "text/plain");
	assert_string_equal(answer, nb_http_error_body(405));
}

/* A header value that fits is copied; a longer one becomes `instead`. */
static void t_keep(void **state)
{
	char dst[8];

	(void)state;
	assert_int_equal(nb_http_keep(dst, sizeof(dst), (const uint8_t *)"GET",
				      3, "?"), 3);
	assert_memory_equal(dst, "GET", 3);
	assert_int_equal(nb_http_keep(dst, sizeof(dst),
				      (const uint8_t *)"TOOLONGMETHOD", 13,
				      "?"), 1);
	assert_memory_equal(dst, "?", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_download),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_upload),
		cmocka_unit_test(t_answer_roundtrip),
		cmocka_unit_test(t_answer_parse_rejects),
		cmocka_unit_test(t_respond),
		cmocka_unit_test(t_keep),
	};

	return cmocka_run_group_tests_name("http_target", tests, NULL, NULL);
}
