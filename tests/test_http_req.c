/* Unit tests of src/http_req.c: one request of a multiplexed server, from
 * its header fields to the response and the "cut short" line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_req.h"
#include "payload.h"

static void field(struct nb_http_req *r, enum nb_http_field f, const char *v)
{
	nb_http_req_field(r, f, (const uint8_t *)v, strlen(v));
}

static void t_download(void **state)
{
	struct nb_http_req r;
	struct nb_http_head h;
	char buf[96];

	(void)state;
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "GET");
	field(&r, NB_HTTP_PATH, "/bytes/5000?nocache=1");
	assert_int_equal(r.plen, strlen("/bytes/5000"));
	assert_int_equal(nb_http_req_route(&r), 0);
	assert_int_equal(r.t.route, NB_ROUTE_DOWNLOAD);
	assert_int_equal(nb_http_req_respond(&r, 0, &h), 5000);
	assert_true(r.responded);
	assert_false(r.small);
	assert_true(nb_http_req_unfinished(&r, 1200, buf, sizeof(buf)));
	assert_string_equal(buf, "after 1200 of 5000 body bytes");
	assert_false(nb_http_req_unfinished(&r, 5000, buf, sizeof(buf)));
}

static void t_upload_verified(void **state)
{
	struct nb_http_req r;
	struct nb_http_head h;
	uint8_t body[3000];
	char buf[96];

	(void)state;
	nb_payload_fill(body, 0, sizeof(body));
	body[2345] ^= 1;
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "PUT");
	field(&r, NB_HTTP_PATH, "/upload");
	field(&r, NB_HTTP_CONTENT_LENGTH, "3000");
	assert_int_equal(nb_http_req_route(&r), 0);
	assert_int_equal(nb_http_req_body(&r, body, 1000), 0);
	assert_true(nb_http_req_unfinished(&r, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "after 1000 of 3000 body bytes");
	assert_int_equal(nb_http_req_body(&r, body + 1000, 2000), 0);
	r.ended = true;
	assert_false(nb_http_req_unfinished(&r, 0, buf, sizeof(buf)));
	nb_http_req_respond(&r, 0, &h);
	assert_int_equal(h.status, 422);
	assert_true(r.small);
	assert_string_equal(r.answer,
			    "{\"bytes\":3000,\"verdict\":\"mismatch at byte 2345\"}\n");
}

static void t_too_large(void **state)
{
	struct nb_http_req r;
	struct nb_http_head h;
	char buf[96];

	(void)state;
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "POST");
	field(&r, NB_HTTP_PATH, "/upload");
	field(&r, NB_HTTP_CONTENT_LENGTH, "99999999999999999999");
	assert_int_equal(nb_http_req_route(&r), 413);
	nb_http_req_respond(&r, 413, &h);
	assert_string_equal(h.status_text, "413");
	/* Refused: not a body cut short. */
	assert_false(nb_http_req_unfinished(&r, 0, buf, sizeof(buf)));

	/* No length declared: refused once the body passes 1 TiB. */
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "PUT");
	field(&r, NB_HTTP_PATH, "/upload");
	assert_int_equal(nb_http_req_route(&r), 0);
	r.got = NB_HTTP_MAX_SIZE;
	r.bad = 0;                   /* skip the check of the fake offset */
	assert_int_equal(nb_http_req_body(&r, (const uint8_t *)"x", 1), 413);
	assert_true(nb_http_req_unfinished(&r, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "after 1099511627777 body bytes");
}

static void t_routed_once_and_bad_fields(void **state)
{
	struct nb_http_req r;

	(void)state;
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "AVERYLONGMETHODNAME");
	field(&r, NB_HTTP_PATH, "/bytes/1");
	nb_http_req_route(&r);
	assert_int_equal(r.t.route, NB_ROUTE_ERROR);
	assert_int_equal(r.t.status, 405);
	/* Later fields (trailers) do not re-route a routed request. */
	field(&r, NB_HTTP_METHOD, "GET");
	nb_http_req_route(&r);
	assert_int_equal(r.t.status, 405);
}

/* A page: its body held by the request (body points at it) until freed. */
static void t_page(void **state)
{
	struct nb_http_req r;
	struct nb_http_head h;
	uint64_t n;

	(void)state;
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "GET");
	field(&r, NB_HTTP_PATH, "/netbench/download-99.html");
	assert_int_equal(nb_http_req_route(&r), 0);
	r.ended = true;
	n = nb_http_req_respond(&r, 0, &h);
	assert_true(n > 1000);
	assert_true(r.small);
	assert_non_null(r.page);
	assert_ptr_equal(r.body, r.page);
	assert_int_equal(strlen(r.page), n);
	assert_non_null(strstr(r.body, "nbPath = \"/bytes/99\""));
	nb_http_req_free(&r);
	assert_null(r.page);
	nb_http_req_free(&r);           /* twice is fine */
}

/* POST /result: kept, appended at the end, 204; refused when too long or
 * without a results file; an upload that ended is recorded. */
static void t_result(void **state)
{
	char path[] = "/tmp/nb-test-http-req-XXXXXX", buf[256];
	struct nb_http_req r;
	struct nb_http_head h;
	uint8_t body[1000];
	ssize_t n;
	int fd = mkstemp(path), rfd;

	(void)state;
	assert_true(fd >= 0);
	nb_http_req_init(&r);
	assert_int_equal(r.results_fd, -1);
	r.results_fd = fd;
	field(&r, NB_HTTP_METHOD, "POST");
	field(&r, NB_HTTP_PATH, "/result");
	field(&r, NB_HTTP_CONTENT_LENGTH, "12");
	assert_int_equal(nb_http_req_route(&r), 0);
	assert_int_equal(nb_http_req_body(&r, (const uint8_t *)"{\"a\":", 5),
			 0);
	assert_int_equal(nb_http_req_body(&r, (const uint8_t *)"\"b\nc\"}\n",
					  7), 0);
	r.ended = true;
	assert_int_equal(nb_http_req_respond(&r, 0, &h), 0);
	assert_string_equal(h.status_text, "204");
	assert_string_equal(h.length, "");
	nb_http_req_free(&r);

	/* Declared too long: refused at once, with the reason. */
	nb_http_req_init(&r);
	r.results_fd = fd;
	field(&r, NB_HTTP_METHOD, "POST");
	field(&r, NB_HTTP_PATH, "/result");
	field(&r, NB_HTTP_CONTENT_LENGTH, "4097");
	assert_int_equal(nb_http_req_route(&r), 413);
	nb_http_req_respond(&r, 413, &h);
	assert_non_null(strstr(r.answer, "4096"));
	nb_http_req_free(&r);

	/* No length declared: refused once the body passes 4096 bytes. */
	nb_http_req_init(&r);
	r.results_fd = fd;
	field(&r, NB_HTTP_METHOD, "POST");
	field(&r, NB_HTTP_PATH, "/result");
	assert_int_equal(nb_http_req_route(&r), 0);
	memset(body, 'x', sizeof(body));
	for (int i = 0; i < 4; i++)
		assert_int_equal(nb_http_req_body(&r, body, 1000), 0);
	assert_int_equal(nb_http_req_body(&r, body, 97), 413);
	nb_http_req_respond(&r, 413, &h);
	assert_string_equal(h.status_text, "413");
	assert_non_null(strstr(r.answer, "4096"));
	nb_http_req_free(&r);

	/* No results file: a 404 at the end, the body only counted. */
	nb_http_req_init(&r);
	field(&r, NB_HTTP_METHOD, "POST");
	field(&r, NB_HTTP_PATH, "/result");
	field(&r, NB_HTTP_CONTENT_LENGTH, "1000");
	assert_int_equal(nb_http_req_route(&r), 0);
	assert_int_equal(nb_http_req_body(&r, body, 1000), 0);
	assert_null(r.post);
	r.ended = true;
	nb_http_req_respond(&r, 0, &h);
	assert_string_equal(h.status_text, "404");
	assert_non_null(strstr(r.answer, "--results-file"));
	nb_http_req_free(&r);

	/* An upload that ended: the server's record. */
	nb_http_req_init(&r);
	r.results_fd = fd;
	field(&r, NB_HTTP_METHOD, "PUT");
	field(&r, NB_HTTP_PATH, "/upload");
	nb_payload_fill(body, 0, 100);
	assert_int_equal(nb_http_req_route(&r), 0);
	assert_int_equal(nb_http_req_body(&r, body, 100), 0);
	r.ended = true;
	nb_http_req_respond(&r, 0, &h);
	assert_string_equal(h.status_text, "200");
	nb_http_req_free(&r);

	rfd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(rfd >= 0);
	n = read(rfd, buf, sizeof(buf) - 1);
	close(rfd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"a\":\"b c\"} \n"
			    "{\"event\":\"upload\",\"bytes\":100,"
			    "\"verdict\":\"ok\"}\n");
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_download),
		cmocka_unit_test(t_upload_verified),
		cmocka_unit_test(t_too_large),
		cmocka_unit_test(t_routed_once_and_bad_fields),
		cmocka_unit_test(t_page),
		cmocka_unit_test(t_result),
	};

	return cmocka_run_group_tests_name("http_req", tests, NULL, NULL);
}
