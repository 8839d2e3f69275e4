/* Unit tests of src/http_target.c: routes, statuses, the upload answer. */
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
#include <unistd.h>

#include "http_target.h"
#include "page.h"

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

/* The browser's page and its result. */
static void t_page_and_result_routes(void **state)
{
	static const struct {
		const char *method, *path;
		int status;
	} errors[] = {
		{"POST", "/netbench/download-1.html", 405},
		{"GET", "/netbench/download-.html", 400},
		{"GET", "/netbench/upload-1e3.html", 400},
		{"GET", "/netbench/upload-1099511627777.html", 413},
		{"GET", "/netbench/download-1.htm", 404},
		{"GET", "/netbench/sideways-1.html", 404},
		{"GET", "/netbench/.html", 404},
		{"GET", "/netbench/", 404},
		{"GET", "/result", 405},
		{"PUT", "/result", 405},
		{"POST", "/results", 404},
	};
	struct nb_http_target t;

	(void)state;
	t = route("GET", "/netbench/download-1000000.html");
	assert_int_equal(t.route, NB_ROUTE_PAGE);
	assert_int_equal(t.dir, NB_DOWNLOAD);
	assert_int_equal(t.size, 1000000);
	assert_false(t.head);
	t = route("HEAD", "/netbench/upload-1099511627776.html?x");
	assert_int_equal(t.route, NB_ROUTE_PAGE);
	assert_int_equal(t.dir, NB_UPLOAD);
	assert_int_equal(t.size, 1ULL << 40);
	assert_true(t.head);
	assert_int_equal(route("POST", "/result?x=1").route, NB_ROUTE_RESULT);
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		t = route(errors[i].method, errors[i].path);
		if (t.route != NB_ROUTE_ERROR || t.status != errors[i].status)
			fail_msg("%s %s: route %d status %d, expected error %d",
				 errors[i].method, errors[i].path, t.route,
				 t.status, errors[i].status);
	}
}

static void t_respond_page_and_result(void **state)
{
	char answer[NB_HTTP_ANSWER_MAX], len[24], *page;
	struct nb_http_target t;
	struct nb_http_head h;
	size_t plen;
	uint64_t n;

	(void)state;
	assert_int_equal(nb_page_html(NB_UPLOAD, 4242, &page, &plen), 0);
	t = route("GET", "/netbench/upload-4242.html");
	n = nb_http_respond(&t, 0, UINT64_MAX, &h, answer);
	assert_int_equal(n, plen);
	assert_non_null(h.page);
	assert_memory_equal(h.page, page, plen);
	assert_string_equal(h.status_text, "200");
	assert_string_equal(h.type, "text/html; charset=utf-8");
	snprintf(len, sizeof(len), "%zu", plen);
	assert_string_equal(h.length, len);
	assert_true(h.no_store);
	assert_true(h.small);
	free(h.page);
	t = route("HEAD", "/netbench/upload-4242.html");
	assert_int_equal(nb_http_respond(&t, 0, UINT64_MAX, &h, answer), 0);
	assert_null(h.page);
	assert_string_equal(h.length, len);
	free(page);

	/* A result taken: 204, neither type nor length. */
	t = route("POST", "/result");
	t.status = 204;
	assert_int_equal(nb_http_respond(&t, 10, UINT64_MAX, &h, answer), 0);
	assert_string_equal(h.status_text, "204");
	assert_string_equal(h.type, "");
	assert_string_equal(h.length, "");
	assert_null(h.page);

	/* Refused with a reason: that is the body. */
	nb_http_refuse(&t, 413, "too big\n");
	n = nb_http_respond(&t, 0, UINT64_MAX, &h, answer);
	assert_int_equal(n, 8);
	assert_string_equal(answer, "too big\n");
	assert_string_equal(h.status_text, "413");
	assert_string_equal(h.length, "8");
}

/* The results file: admission, lines, the server's upload records. */
static void t_results_file(void **state)
{
	char path[] = "/tmp/nb-test-http-target-XXXXXX", buf[8192];
	static char big[NB_HTTP_RESULT_MAX + 1];
	struct nb_http_target t;
	ssize_t n;
	int fd, rfd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	t = route("POST", "/result");
	nb_http_result_admit(&t, -1, true, 10);
	assert_int_equal(t.route, NB_ROUTE_ERROR);
	assert_int_equal(t.status, 404);
	assert_non_null(strstr(t.why, "--results-file"));
	t = route("POST", "/result");
	nb_http_result_admit(&t, fd, true, NB_HTTP_RESULT_MAX + 1);
	assert_int_equal(t.status, 413);
	t = route("POST", "/result");
	nb_http_result_admit(&t, fd, false, 0);
	nb_http_result_admit(&t, fd, true, NB_HTTP_RESULT_MAX);
	assert_int_equal(t.route, NB_ROUTE_RESULT);
	t = route("PUT", "/upload");
	nb_http_result_admit(&t, -1, true, 1);
	assert_int_equal(t.route, NB_ROUTE_UPLOAD);

	t = route("POST", "/result");
	nb_http_result_take(&t, fd, "{\"a\":\"x\r\ny\"}\n", 13);
	assert_int_equal(t.route, NB_ROUTE_RESULT);
	assert_int_equal(t.status, 204);
	nb_http_upload_record(fd, "{\"bytes\":7,\"verdict\":\"ok\"}\n", 27);
	nb_http_upload_record(-1, "{\"bytes\":7,\"verdict\":\"ok\"}\n", 27);
	assert_int_equal(nb_http_results_append(fd, "", 0), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(nb_http_results_append(fd, big, sizeof(big)),
			 -EINVAL);
	assert_int_equal(nb_http_results_append(fd, big, sizeof(big) - 1), 0);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(rfd >= 0);
	n = read(rfd, buf, sizeof(buf) - 1);
	close(rfd);
	assert_int_equal(n, 14 + 44 + 1 + NB_HTTP_RESULT_MAX + 1);
	buf[n] = '\0';
	assert_int_equal(strncmp(buf, "{\"a\":\"x  y\"} \n"
				 "{\"event\":\"upload\",\"bytes\":7,"
				 "\"verdict\":\"ok\"}\n\n", 14 + 44 + 1), 0);
	/* A write that fails: 500. */
	t = route("POST", "/result");
	nb_http_result_take(&t, -1, "x", 1);
	assert_int_equal(t.route, NB_ROUTE_ERROR);
	assert_int_equal(t.status, 500);
	assert_string_not_equal(nb_http_reason(500), "Unknown");
	assert_string_not_equal(nb_http_reason(204), "Unknown");
	assert_string_not_equal(nb_http_reason(503), "Unknown");
	close(fd);
	unlink(path);
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
		cmocka_unit_test(t_page_and_result_routes),
		cmocka_unit_test(t_respond_page_and_result),
		cmocka_unit_test(t_results_file),
	};

	return cmocka_run_group_tests_name("http_target", tests, NULL, NULL);
}
