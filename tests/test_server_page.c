/* Tests of the browser's page and its /result endpoint in the servers
 * (src/http_target.c routes, src/server_h1.c, server_h2.c, server_h3_req.c
 * serve): the real servers (`netbench serve`, child processes) in a network
 * namespace of this test's own (tests/server_testutil.h). The page over
 * HTTP/1.1 (our TLS client), HTTP/2 (curl) and HTTP/3 (gtlsclient) is
 * nb_page_html's, not to be cached; a POST /result is appended to the
 * server's --results-file as exactly one line (its CR and LF made spaces)
 * and answered 204; a body over 4096 bytes gets 413 and writes nothing; a
 * server without --results-file answers 404; an upload leaves the server's
 * record. Servers: h2 (ALPN h2 and http/1.1) on :4443 with a results
 * file, h3 on :4444 with another, h2 and h3 on :4445 without. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "page.h"
#include "server_testutil.h"
#include "spawn.h"
#include "tls.h"
#include "undo.h"

#define H3_PORT "4444"
#define BARE_PORT "4445"          /* h2 and h3 without a results file */
#define CURL "timeout 60 curl -sS --cacert %s "
#define GTLS "timeout 60 gtlsclient --exit-on-all-streams-close " \
	"--no-quic-dump --no-http-dump --download=%s "

static char dir[] = "/tmp/nb-test-server-page-XXXXXX";
static char results[300], results_h3[300], ca[4096];
static off_t seen, seen_h3;        /* results read so far */
static struct nb_undo undo;
static struct nb_child h3, bare_h2, bare_h3;

/* The results file's lines since the last call are exactly `want`. */
static void expect_results(const char *path, off_t *off, const char *want)
{
	char buf[16384];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	n = pread(fd, buf, sizeof(buf) - 1, *off);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	*off += n;
}

/* A file of the test's directory holding text. */
static const char *file_of(const char *name, const char *text, size_t len)
{
	static char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* The file `name` of the test's directory equals the page of dir, size. */
static void expect_page_file(const char *name, enum nb_dir d, uint64_t size)
{
	char path[400], *page, *got;
	size_t len;
	struct stat st;
	FILE *f;

	assert_int_equal(nb_page_html(d, size, &page, &len), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, len);
	got = malloc(len);
	assert_non_null(got);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, len, f), len);
	fclose(f);
	assert_memory_equal(got, page, len);
	unlink(path);
	free(got);
	free(page);
}

/* Reads the body of a response whose head is in r into buf (len bytes). */
static void read_body(struct cli *c, const struct resp *r, char *buf,
		      size_t len)
{
	size_t got = 0;

	assert_int_equal(r->length, len);
	while (got < len) {
		size_t n = c->len - c->off;

		if (!n) {
			assert_true(cli_fill(c) > 0);
			continue;
		}
		if (n > len - got)
			n = len - got;
		memcpy(buf + got, c->in + c->off, n);
		c->off += n;
		got += n;
	}
}

/* --- the page ------------------------------------------------------------ */

static void t_page_h1(void **state)
{
	struct cli *c = cli_open("http/1.1");
	char *page, *body;
	struct resp r;
	size_t len;

	(void)state;
	assert_int_equal(nb_page_html(NB_DOWNLOAD, 12345, &page, &len), 0);
	cli_sends(c, GET("/netbench/download-12345.html?x=1"));
	cli_head(c, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "content-type: text/html; "
				       "charset=utf-8\r\n"));
	assert_non_null(strstr(r.head, "cache-control: no-store"));
	body = malloc(len);
	assert_non_null(body);
	read_body(c, &r, body, len);
	assert_memory_equal(body, page, len);
	free(body);
	free(page);
	/* HEAD: the length, no body; the connection goes on. */
	assert_int_equal(nb_page_html(NB_UPLOAD, 1ULL << 40, &page, &len), 0);
	free(page);
	request(c, "HEAD /netbench/upload-1099511627776.html HTTP/1.1\r\n"
		"Host: a\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.length, len);
	request(c, GET("/netbench/upload-1099511627777.html"), &r);
	assert_int_equal(r.status, 413);
	request(c, GET("/netbench/upload-12.htm"), &r);
	assert_int_equal(r.status, 404);
	request(c, "DELETE /netbench/download-1.html HTTP/1.1\r\n"
		"Host: a\r\n\r\n", &r);
	assert_int_equal(r.status, 405);
	request(c, GET("/netbench/upload-12x.html"), &r);
	assert_int_equal(r.status, 400);      /* and the connection closes */
}

static void t_page_h2(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(run_shell(out, sizeof(out), CURL "--http2 -o %s/p2 "
				   "-w '%%{http_version} %%{http_code} "
				   "%%{content_type}' " URL
				   "/netbench/upload-1000000.html", ca, dir),
			 0);
	assert_string_equal(out, "2 200 text/html; charset=utf-8");
	expect_page_file("p2", NB_UPLOAD, 1000000);
	assert_int_equal(run_shell(out, sizeof(out), CURL "--http2 -D - -o "
				   "/dev/null " URL "/netbench/download-0.html "
				   "| grep -ai '^cache-control'", ca), 0);
	assert_string_equal(out, "cache-control: no-store, no-cache, "
				 "must-revalidate\r\n");
}

static void t_page_h3(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(run_shell(out, sizeof(out), GTLS "127.0.0.1 "
				   H3_PORT " https://127.0.0.1:" H3_PORT
				   "/netbench/download-777.html 2>&1 | grep -a "
				   "-o ':status: [0-9]*\\|content-type: [^]]*'",
				   dir), 0);
	assert_string_equal(out, ":status: 200\ncontent-type: text/html; "
				 "charset=utf-8\n");
	expect_page_file("download-777.html", NB_DOWNLOAD, 777);
}

/* --- /result ------------------------------------------------------------- */

/* Sends req on c: the answer must be 204, no body, no content-length. */
static void post_204(struct cli *c, const char *req)
{
	struct resp r;

	cli_sends(c, req);
	cli_head(c, &r);
	assert_int_equal(r.status, 204);
	assert_null(strcasestr(r.head, "content-length"));
	assert_null(strcasestr(r.head, "content-type"));
}

static void t_result_h1(void **state)
{
	static const char body[] = "{\"event\":\"done\",\"x\":\"a\r\nb\"}\n";
	struct cli *c = cli_open("http/1.1");
	char req[512];
	struct resp r;

	(void)state;
	snprintf(req, sizeof(req), "POST /result HTTP/1.1\r\nHost: a\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	post_204(c, req);
	expect_results(results, &seen,
		       "{\"event\":\"done\",\"x\":\"a  b\"} \n");
	/* Keep-alive: with 100-continue, then an empty body. */
	snprintf(req, sizeof(req), "POST /result HTTP/1.1\r\nHost: a\r\n"
		 "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n");
	cli_sends(c, req);
	cli_head(c, &r);
	assert_int_equal(r.status, 100);
	post_204(c, "{\"a\":1}");
	post_204(c, "POST /result HTTP/1.1\r\nHost: a\r\n"
		 "Content-Length: 0\r\n\r\n");
	expect_results(results, &seen, "{\"a\":1}\n\n");
	request(c, GET("/result"), &r);
	assert_int_equal(r.status, 405);
	/* Too long: refused before its body, the connection closed. */
	request(c, "POST /result HTTP/1.1\r\nHost: a\r\n"
		"Content-Length: 4097\r\n\r\n", &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "at most 4096 bytes"));
	assert_true(cli_at_end(c));
	/* Exactly 4096 is taken; chunked is not read (411). */
	c = cli_open("http/1.1");
	{
		static char big[4096 + 256];
		size_t n = (size_t)snprintf(big, sizeof(big),
					    "POST /result HTTP/1.1\r\nHost: "
					    "a\r\nContent-Length: 4096\r\n\r\n");

		memset(big + n, 'x', 4096);
		big[n + 4096] = '\0';
		post_204(c, big);
		memset(big, 'x', 4096);
		big[4096] = '\n';
		big[4097] = '\0';
		expect_results(results, &seen, big);
	}
	request(c, "POST /result HTTP/1.1\r\nHost: a\r\n"
		"Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", &r);
	assert_int_equal(r.status, 411);
	expect_results(results, &seen, "");
}

static void t_result_h2(void **state)
{
	static char big[5000];
	char out[256];
	const char *f;

	(void)state;
	f = file_of("r2", "{\"event\":\"start\"}\r\n", 19);
	assert_int_equal(run_shell(out, sizeof(out), CURL "--http2 -o "
				   "/dev/null -w '%%{http_version} "
				   "%%{http_code}' --data-binary @%s " URL
				   "/result", ca, f), 0);
	assert_string_equal(out, "2 204");
	expect_results(results, &seen, "{\"event\":\"start\"}  \n");
	/* Too long: 413 (the response before the stream's reset). */
	memset(big, 'y', sizeof(big));
	f = file_of("r2big", big, sizeof(big));
	assert_int_equal(run_shell(out, sizeof(out), CURL "--http2 -w "
				   "' %%{http_version} %%{http_code}' "
				   "--data-binary @%s " URL "/result", ca, f),
			 0);
	assert_string_equal(out, "too large: a result is at most 4096 "
				 "bytes\n 2 413");
	expect_results(results, &seen, "");
}

static void t_result_h3(void **state)
{
	static const char r3[] = "{\"event\":\"error\",\"error\":\"x\\ny\"}\n";
	static char big[5000];
	char out[256];
	const char *f;

	(void)state;
	f = file_of("r3", r3, strlen(r3));
	assert_int_equal(run_shell(out, sizeof(out), GTLS "-m POST -d %s "
				   "127.0.0.1 " H3_PORT " https://127.0.0.1:"
				   H3_PORT "/result 2>&1 | grep -a -o "
				   "':status: [0-9]*'", dir, f), 0);
	assert_string_equal(out, ":status: 204\n");
	expect_results(results_h3, &seen_h3,
		       "{\"event\":\"error\",\"error\":\"x\\ny\"} \n");
	memset(big, 'z', sizeof(big));
	f = file_of("r3big", big, sizeof(big));
	assert_int_equal(run_shell(out, sizeof(out), GTLS "-m POST -d %s "
				   "127.0.0.1 " H3_PORT " https://127.0.0.1:"
				   H3_PORT "/result 2>&1 | grep -a -o "
				   "':status: [0-9]*'", dir, f), 0);
	assert_string_equal(out, ":status: 413\n");
	expect_results(results_h3, &seen_h3, "");
}

/* No --results-file: 404 on every protocol. */
static void t_no_results_file(void **state)
{
	char out[512];
	const char *f = file_of("r4", "{}", 2);

	(void)state;
	for (int v = 1; v <= 2; v++) {
		assert_int_equal(run_shell(out, sizeof(out), CURL "%s -w "
					   "' %%{http_code}' --data-binary @%s "
					   "https://" ADDR ":" BARE_PORT
					   "/result", ca, v == 1 ? "--http1.1" :
					   "--http2", f), 0);
		assert_string_equal(out, "not found: this server keeps no "
					 "results (serve --results-file)\n 404");
	}
	assert_int_equal(run_shell(out, sizeof(out), GTLS "-m POST -d %s "
				   "127.0.0.1 " BARE_PORT " https://127.0.0.1:"
				   BARE_PORT "/result 2>&1 | grep -a -o "
				   "':status: [0-9]*'", dir, f), 0);
	assert_string_equal(out, ":status: 404\n");
	/* The page is served all the same. */
	assert_int_equal(run_shell(out, sizeof(out), CURL "-o /dev/null -w "
				   "'%%{http_code}' https://" ADDR ":"
				   BARE_PORT "/netbench/download-1.html", ca),
			 0);
	assert_string_equal(out, "200");
}

/* An upload that ended leaves the server's record, verdict included. */
static void t_upload_record(void **state)
{
	struct cli *c = cli_open("http/1.1");
	struct resp r;

	(void)state;
	cli_sends(c, "PUT /upload HTTP/1.1\r\nHost: a\r\n"
		  "Content-Length: 1000\r\n\r\n");
	cli_send_payload(c, 0, 1000, UINT64_MAX);
	cli_response(c, &r, false);
	assert_int_equal(r.status, 200);
	cli_sends(c, "PUT /upload HTTP/1.1\r\nHost: a\r\n"
		  "Content-Length: 1000\r\n\r\n");
	cli_send_payload(c, 0, 1000, 567);
	cli_response(c, &r, false);
	assert_int_equal(r.status, 422);
	expect_results(results, &seen,
		       "{\"event\":\"upload\",\"bytes\":1000,\"verdict\":\"ok\"}\n"
		       "{\"event\":\"upload\",\"bytes\":1000,\"verdict\":"
		       "\"mismatch at byte 567\"}\n");
}

/* --- the group ----------------------------------------------------------- */

static int group_setup(void **state)
{
	if (!mkdtemp(dir) || nb_certs_path("ca.pem", ca, sizeof(ca)))
		return -1;
	snprintf(results, sizeof(results), "%s/results.jsonl", dir);
	snprintf(results_h3, sizeof(results_h3), "%s/results-h3.jsonl", dir);
	srv_results_file = results;
	nb_undo_init(&undo);
	if (srv_group_setup(state) ||
	    srv_spawn(&undo, &h3, "h3", H3_PORT, results_h3) ||
	    srv_spawn(&undo, &bare_h2, "h2", BARE_PORT, NULL) ||
	    srv_spawn(&undo, &bare_h3, "h3", BARE_PORT, NULL))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[400];
	int rv;

	nb_undo_unwind(&undo);
	rv = srv_group_teardown(state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		rv = -1;
	return rv;
}

#define T(f) cmocka_unit_test_teardown(f, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_page_h1), T(t_page_h2), T(t_page_h3), T(t_result_h1),
		T(t_result_h2), T(t_result_h3), T(t_no_results_file),
		T(t_upload_record),
	};
	int rv = srv_prepare("server_page");

	if (rv)
		return rv;
	return srv_result(cmocka_run_group_tests_name("server_page", tests,
						      group_setup,
						      group_teardown));
}
