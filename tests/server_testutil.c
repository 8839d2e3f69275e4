/* netbench: helpers shared by the server tests (see server_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "server_testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "payload.h"
#include "tls.h"
#include "undo.h"

#define IO_TIMEOUT_S 60
#define MAX_CLIS 32

const char *srv_proto = "h2";
const char *srv_results_file;
struct nb_child server;
char tmpfile_path[] = "/tmp/nb-test-server-http-XXXXXX";

static const char *test_name = "server_http";
static struct nb_undo undo;
static bool spawned;
static bool stop_failed;            /* the server did not end well */
static struct cli clis[MAX_CLIS];
static gnutls_certificate_credentials_t cred;   /* trusts ca.pem */
static char logpath[] = "/tmp/nb-test-server-http-log-XXXXXX";
static bool have_tmpfile;

/* --- the client ---------------------------------------------------------- */

void cli_close(struct cli *c)
{
	if (!c->used)
		return;
	gnutls_deinit(c->s);
	close(c->fd);
	c->used = false;
}

int tcp_connect(void)
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

struct cli *cli_open(const char *alpn)
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

void cli_send(struct cli *c, const void *buf, size_t len)
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

void cli_sends(struct cli *c, const char *s)
{
	cli_send(c, s, strlen(s));
}

void cli_send_payload(struct cli *c, uint64_t off, uint64_t len,
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

ssize_t cli_fill(struct cli *c)
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

bool cli_at_end(struct cli *c)
{
	return c->off == c->len && cli_fill(c) == 0;
}

void cli_drain(struct cli *c)
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

void cli_head(struct cli *c, struct resp *r)
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

void cli_response(struct cli *c, struct resp *r, bool head_only)
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

void request(struct cli *c, const char *req, struct resp *r)
{
	cli_sends(c, req);
	cli_response(c, r, !strncmp(req, "HEAD ", 5));
}

/* --- the payload file ----------------------------------------------------- */

void check_file(uint64_t size)
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

void flip_file_byte(uint64_t at)
{
	int fd = open(tmpfile_path, O_RDWR | O_CLOEXEC);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
	close(fd);
}

/* --- the server's log ---------------------------------------------------- */

bool log_has_within(const char *needle, int tries)
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

bool log_has(const char *needle)
{
	return log_has_within(needle, 200);
}

/* --- command-line clients ------------------------------------------------ */

int run_shell(char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
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

/* --- the process --------------------------------------------------------- */

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

int srv_prepare(const char *name)
{
	test_name = name;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: skipped: needs root for a network "
			"namespace of its own\n", name);
		return 77;
	}
	if (unshare(CLONE_NEWNET) || lo_up()) {
		fprintf(stderr, "%s: skipped: cannot make a network "
			"namespace with lo up: %s\n", name, strerror(errno));
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int srv_spawn(struct nb_undo *u, struct nb_child *c, const char *proto,
	      const char *port, const char *results_file)
{
	/* Under the valgrind setup, the server runs under valgrind too, its
	 * report in its stderr (valgrind itself is not traced: /usr). */
	char listen[32];
	char *argv[] = {"/usr/bin/valgrind", "--quiet", "--error-exitcode=1",
			"--leak-check=full", "--errors-for-leak-kinds=definite",
			"--track-fds=yes", (char *)nb_self_exe(), "serve",
			"--proto", (char *)proto, "--listen", listen,
			"--ready-fd", "3",
			results_file ? "--results-file" : NULL,
			(char *)results_file, NULL};
	bool vg = getenv("NETBENCH_UNDER_VALGRIND") != NULL;
	int rv;

	snprintf(listen, sizeof(listen), ADDR ":%s", port);
	rv = nb_spawn(u, c, -1, vg ? argv : argv + 6, vg ? 60000 : 5000);
	if (rv)
		fprintf(stderr, "%s: %s\n", test_name, nb_lasterr());
	return rv;
}

int srv_group_setup(void **state)
{
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
	rv = srv_spawn(&undo, &server, srv_proto, "4443", srv_results_file);
	dup2(saved, 2);
	close(saved);
	close(fd);
	spawned = rv == 0;
	return rv;
}

/* Stops the server if it still runs (SIGTERM, as t_sigterm of
 * test_server_http.c does) and checks how it ended: exit status 0 (under
 * valgrind: no error, no definite leak, nothing but stdio left open).
 * Returns 0 or -1. */
static int stop_server(void)
{
	if (!spawned)
		return 0;
	if (!server.reaped && kill(server.pid, SIGTERM) == 0)
		for (int i = 0; i < 600 && nb_child_poll(&server) == 0; i++)
			usleep(100000);
	if (!server.reaped) {
		fprintf(stderr, "%s: the server did not exit within 60 s of "
			"SIGTERM\n", test_name);
		return -1;
	}
	if (!WIFEXITED(server.status) || WEXITSTATUS(server.status) != 0) {
		fprintf(stderr, "%s: the server ended with wait status 0x%x, "
			"not exit status 0\n", test_name, server.status);
		return -1;
	}
	/* valgrind --track-fds lists fds beyond stdio open at exit. */
	if (log_has_within("FILE DESCRIPTORS", 1)) {
		fprintf(stderr, "%s: the server left fds open\n", test_name);
		return -1;
	}
	return 0;
}

int srv_group_teardown(void **state)
{
	char buf[4096];
	FILE *f;
	size_t n;
	int rv;

	(void)state;
	rv = stop_server();
	stop_failed = rv != 0;
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
	return rv;
}

int srv_result(int rv)
{
	return rv ? rv : stop_failed;
}

int srv_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < MAX_CLIS; i++)
		cli_close(&clis[i]);
	return 0;
}
