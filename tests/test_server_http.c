/* Unit tests of src/server_http.c (+ server_h1.c, server_h2.c): the real
 * server (`netbench serve --proto h2`, a child process; under the valgrind
 * setup it runs under valgrind too) on 127.0.0.1 of a network namespace of
 * this test's own, spoken to by a small blocking gnutls client (HTTP/1.1)
 * and by the curl command line (HTTP/2). The server's stderr goes to a file
 * so that its log lines can be checked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "error.h"
#include "http_target.h"
#include "payload.h"
#include "proto.h"
#include "server_http.h"
#include "spawn.h"
#include "tls.h"
#include "undo.h"

#define ADDR "127.0.0.1"
#define PORT 4443
#define URL "https://" ADDR ":4443"
#define IO_TIMEOUT_S 60
#define MAX_CLIS 32

struct cli {
	bool used;
	int fd;
	gnutls_session_t s;
	uint8_t in[65536];           /* received, [off, len) not consumed */
	size_t off, len;
};

struct resp {
	int status;
	char head[4096];
	uint64_t length;             /* content-length (UINT64_MAX: none) */
	char body[4096];
	size_t body_len;
};

static struct nb_undo undo;
static struct nb_child server;
static struct cli clis[MAX_CLIS];
static gnutls_certificate_credentials_t cred;   /* trusts ca.pem */
static char logpath[] = "/tmp/nb-test-server-http-log-XXXXXX";
static char tmpfile_path[] = "/tmp/nb-test-server-http-XXXXXX";
static bool have_tmpfile;

/* --- the client ---------------------------------------------------------- */

static void cli_close(struct cli *c)
{
	if (!c->used)
		return;
	gnutls_deinit(c->s);
	close(c->fd);
	c->used = false;
}

static int tcp_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fail_msg("connect: %s", strerror(errno));
	}
	return fd;
}

/* A TLS 1.3 connection that verifies the server against ca.pem and offers
 * the ALPN protocols (comma-separated; NULL: no ALPN). */
static struct cli *cli_open(const char *alpn)
{
	gnutls_datum_t protos[2];
	struct cli *c = NULL;
	char list[32];
	unsigned n = 0;
	int rv;

	for (size_t i = 0; i < MAX_CLIS && !c; i++)
		if (!clis[i].used)
			c = &clis[i];
	assert_non_null(c);
	memset(c, 0, sizeof(*c));
	assert_int_equal(gnutls_init(&c->s, GNUTLS_CLIENT), 0);
	c->fd = -1;
	c->used = true;
	c->fd = tcp_connect();
	assert_int_equal(gnutls_priority_set_direct(c->s, NB_TLS_PRIORITY, NULL), 0);
	gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_session_set_verify_cert(c->s, ADDR, 0);
	if (alpn) {
		snprintf(list, sizeof(list), "%s", alpn);
		for (char *t = strtok(list, ","); t && n < 2; t = strtok(NULL, ","))
			protos[n++] = (gnutls_datum_t){(unsigned char *)t,
						       (unsigned)strlen(t)};
		assert_int_equal(gnutls_alpn_set_protocols(c->s, protos, n, 0), 0);
	}
	gnutls_transport_set_int(c->s, c->fd);
	do
		rv = gnutls_handshake(c->s);
	while (rv < 0 && !gnutls_error_is_fatal(rv));
	if (rv < 0)
		fail_msg("handshake: %s", gnutls_strerror(rv));
	assert_int_equal(gnutls_protocol_get_version(c->s), GNUTLS_TLS1_3);
	return c;
}

static void cli_send(struct cli *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = gnutls_record_send(c->s, p, len < 16384 ? len : 16384);

		if (n < 0)
			fail_msg("send: %s", gnutls_strerror((int)n));
		p += n;
		len -= (size_t)n;
	}
}

static void cli_sends(struct cli *c, const char *s)
{
	cli_send(c, s, strlen(s));
}

/* Sends payload bytes [off, off + len), byte `flip` (absolute) altered. */
static void cli_send_payload(struct cli *c, uint64_t off, uint64_t len,
			     uint64_t flip)
{
	static uint8_t buf[16384];

	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);

		nb_payload_fill(buf, off, n);
		if (flip >= off && flip < off + n)
			buf[flip - off] ^= 0x40;
		cli_send(c, buf, n);
		off += n;
		len -= n;
	}
}

/* Reads one record more into c->in. Returns its size, 0 at the end. */
static ssize_t cli_fill(struct cli *c)
{
	ssize_t n;

	if (c->off == c->len)
		c->off = c->len = 0;
	assert_true(c->len < sizeof(c->in));
	do
		n = gnutls_record_recv(c->s, c->in + c->len, sizeof(c->in) - c->len);
	while (n == GNUTLS_E_INTERRUPTED);
	if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	if (n < 0)
		fail_msg("recv: %s", gnutls_strerror((int)n));
	c->len += (size_t)n;
	return n;
}

/* True when the server closes the connection (nothing more comes). */
static bool cli_at_end(struct cli *c)
{
	return c->off == c->len && cli_fill(c) == 0;
}

/* Reads a response head into r (status, content-length). */
static void cli_head(struct cli *c, struct resp *r)
{
	const char *cl;
	uint8_t *end;

	memset(r, 0, sizeof(*r));
	while (!(end = memmem(c->in + c->off, c->len - c->off, "\r\n\r\n", 4))) {
		if (c->off) {
			memmove(c->in, c->in + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (cli_fill(c) == 0)
			fail_msg("connection closed before a response head");
	}
	end += 4;
	assert_true((size_t)(end - (c->in + c->off)) < sizeof(r->head));
	memcpy(r->head, c->in + c->off, (size_t)(end - (c->in + c->off)));
	c->off = (size_t)(end - c->in);
	assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
	r->length = UINT64_MAX;
	cl = strcasestr(r->head, "\r\ncontent-length: ");
	if (cl)
		r->length = strtoull(cl + 18, NULL, 10);
}

/* Reads a whole response; a body of payload is verified (not kept), any
 * other body (at most 4 KiB) is kept in r->body. */
static void cli_response(struct cli *c, struct resp *r, bool head_only)
{
	uint64_t got = 0, bad;
	bool payload;

	cli_head(c, r);
	if (head_only)
		return;
	assert_true(r->length != UINT64_MAX);
	payload = strstr(r->head, "application/octet-stream") != NULL;
	if (!payload)
		assert_true(r->length < sizeof(r->body));
	while (got < r->length) {
		size_t n = c->len - c->off;

		if (!n) {
			if (cli_fill(c) == 0)
				fail_msg("closed after %llu of %llu body bytes",
					 (unsigned long long)got,
					 (unsigned long long)r->length);
			continue;
		}
		if (n > r->length - got)
			n = (size_t)(r->length - got);
		if (payload) {
			if (nb_payload_check(c->in + c->off, got, n, &bad))
				fail_msg("payload mismatch at %llu",
					 (unsigned long long)bad);
		} else {
			memcpy(r->body + got, c->in + c->off, n);
		}
		c->off += n;
		got += n;
	}
	r->body_len = payload ? 0 : (size_t)got;
}

/* One request on c, its response into r. */
static void request(struct cli *c, const char *req, struct resp *r)
{
	cli_sends(c, req);
	cli_response(c, r, !strncmp(req, "HEAD ", 5));
}

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

#define GET(path) "GET " path " HTTP/1.1\r\nHost: " ADDR "\r\n\r\n"

/* Whether the server's log has `needle`, looking `tries` times 50 ms
 * apart (log lines are written as the server gets to them). */
static bool log_has_within(const char *needle, int tries)
{
	static char buf[1 << 16];

	for (int i = 0; i < tries; i++) {
		FILE *f = fopen(logpath, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, needle))
			return true;
		usleep(50000);
	}
	return false;
}

static bool log_has(const char *needle)
{
	return log_has_within(needle, 200);
}

/* --- HTTP/1.1 ------------------------------------------------------------ */

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

/* --- HTTP/2 ------------------------------------------------------------- */

/* Runs a shell command; its stdout into out. Returns its exit status. */
static int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define CURL "curl -sS --no-progress-meter --http2 --max-time 60 --cacert %s "

/* The temporary file holds `size` payload bytes (byte `flip` altered). */
static void check_file(uint64_t size)
{
	static uint8_t buf[65536];
	FILE *f = fopen(tmpfile_path, "re");
	uint64_t off = 0, bad;
	size_t n;

	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (nb_payload_check(buf, off, n, &bad)) {
			fclose(f);
			fail_msg("mismatch at byte %llu", (unsigned long long)bad);
		}
		off += n;
	}
	fclose(f);
	assert_int_equal(off, size);
}

static void flip_file_byte(uint64_t at)
{
	int fd = open(tmpfile_path, O_RDWR | O_CLOEXEC);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
	close(fd);
}

static void t_h2_curl(void **state)
{
	char ca[4096], out[512];

	(void)state;
	if (access("/usr/bin/curl", X_OK))
		skip();
	assert_int_equal(nb_certs_path("ca.pem", ca, sizeof(ca)), 0);
	assert_int_equal(run(out, sizeof(out), CURL "-o %s -w '%%{http_version}"
			     " %%{http_code}' " URL "/bytes/3000000", ca,
			     tmpfile_path), 0);
	assert_string_equal(out, "2 200");
	check_file(3000000);
	assert_int_equal(run(out, sizeof(out), CURL "-T %s -w '%%{http_version}"
			     " %%{http_code}' " URL "/upload", ca, tmpfile_path),
			 0);
	assert_string_equal(out, "{\"bytes\":3000000,\"verdict\":\"ok\"}\n2 200");
	flip_file_byte(1234567);
	assert_int_equal(run(out, sizeof(out), CURL "-T %s -w '%%{http_code}' "
			     URL "/upload", ca, tmpfile_path), 0);
	assert_string_equal(out, "{\"bytes\":3000000,\"verdict\":"
				 "\"mismatch at byte 1234567\"}\n422");
	/* Errors, and streams side by side on one connection. */
	assert_int_equal(run(out, sizeof(out), CURL "-o /dev/null -o /dev/null "
			     "-w '%%{http_code} ' " URL "/nope " URL "/bytes/x",
			     ca), 0);
	assert_string_equal(out, "404 400 ");
	assert_int_equal(run(out, sizeof(out), CURL "-Z -o /dev/null -o "
			     "/dev/null -w '%%{size_download} ' " URL
			     "/bytes/2000000 " URL "/bytes/1000001", ca), 0);
	assert_true(!strcmp(out, "2000000 1000001 ") ||
		    !strcmp(out, "1000001 2000000 "));
}

/* Reads until the server closes, whatever way. */
static void cli_drain(struct cli *c)
{
	ssize_t n;

	do {
		if (c->len == sizeof(c->in))
			c->off = c->len = 0;
		n = gnutls_record_recv(c->s, c->in + c->len,
				       sizeof(c->in) - c->len);
		if (n > 0)
			c->len += (size_t)n;
	} while (n > 0 || n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
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

/* --- the process --------------------------------------------------------- */

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

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rv = -1;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		rv = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rv;
}

static int group_setup(void **state)
{
	/* Under the valgrind setup, the server runs under valgrind too. */
	char *argv[] = {"/usr/bin/valgrind", "--quiet", "--error-exitcode=1",
			"--leak-check=full", "--errors-for-leak-kinds=definite",
			"--track-fds=yes", (char *)nb_self_exe(), "serve",
			"--proto", "h2", "--listen", ADDR ":4443", "--ready-fd",
			"3", NULL};
	bool vg = getenv("NETBENCH_UNDER_VALGRIND") != NULL;
	char ca[4096];
	int fd, tfd, saved, rv;

	(void)state;
	nb_undo_init(&undo);
	if (nb_certs_path("ca.pem", ca, sizeof(ca)) ||
	    gnutls_certificate_allocate_credentials(&cred) ||
	    gnutls_certificate_set_x509_trust_file(cred, ca,
						   GNUTLS_X509_FMT_PEM) <= 0)
		return -1;
	fd = mkstemp(logpath);
	tfd = mkstemp(tmpfile_path);
	if (fd < 0 || tfd < 0)
		return -1;
	have_tmpfile = true;
	close(tfd);
	/* The server's stderr is the log file. */
	saved = dup(2);
	dup2(fd, 2);
	rv = nb_spawn(&undo, &server, -1, vg ? argv : argv + 6,
		      vg ? 60000 : 5000);
	dup2(saved, 2);
	close(saved);
	close(fd);
	if (rv)
		fprintf(stderr, "server_http: %s\n", nb_lasterr());
	return rv;
}

static int group_teardown(void **state)
{
	char buf[4096];
	FILE *f;
	size_t n;

	(void)state;
	nb_undo_unwind(&undo);
	gnutls_certificate_free_credentials(cred);
	f = fopen(logpath, "re");
	fprintf(stderr, "--- server log ---\n");
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	if (f)
		fclose(f);
	unlink(logpath);
	if (have_tmpfile)
		unlink(tmpfile_path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < MAX_CLIS; i++)
		cli_close(&clis[i]);
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_download), T(t_upload), T(t_expect_continue),
		T(t_pipelined_and_close), T(t_errors), T(t_concurrent),
		T(t_vanish), T(t_garbage_before_tls), T(t_h2_curl),
		T(t_h2_settings_and_garbage), T(t_bad_setup),
		T(t_sigterm),                /* last: stops the server */
	};

	if (geteuid() != 0) {
		fprintf(stderr, "server_http: skipped: needs root for a network "
			"namespace of its own\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) || lo_up()) {
		fprintf(stderr, "server_http: skipped: cannot make a network "
			"namespace with lo up: %s\n", strerror(errno));
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("server_http", tests, group_setup,
					   group_teardown);
}
