/* netbench: helpers shared by the server tests (test_server_http.c,
 * test_server_h1.c, test_server_h2.c, test_server_h3.c;
 * tests/server_testutil.c): the real server (`netbench serve --proto h2`,
 * a child process; under the valgrind setup it runs under valgrind too) on
 * 127.0.0.1 of a network namespace of the test's own, a small blocking
 * gnutls client, the temporary payload file, the server's log (its stderr
 * goes to a file so that its log lines can be checked), and shell commands
 * for the command-line clients (curl, gtlsclient). */
#ifndef NB_SERVER_TESTUTIL_H
#define NB_SERVER_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "spawn.h"

#define ADDR "127.0.0.1"
#define PORT 4443
#define URL "https://" ADDR ":4443"

#define GET(path) "GET " path " HTTP/1.1\r\nHost: " ADDR "\r\n\r\n"

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

/* The protocol the server is started with (--proto): "h2" unless a test
 * sets it before srv_group_setup() runs ("h3" in test_server_h3.c). */
extern const char *srv_proto;
/* The server's --results-file: none (NULL) unless a test sets it before
 * srv_group_setup() runs (test_server_page.c). */
extern const char *srv_results_file;
/* The server process (spawned by srv_group_setup()). */
extern struct nb_child server;
/* A temporary file of the test's own (for payload), removed at the end. */
extern char tmpfile_path[];

/* --- the process --------------------------------------------------------- */

/* To be called first in main(): 0 once this process is in a network
 * namespace of its own with lo up (SIGPIPE ignored); else prints
 * "<name>: skipped: <reason>" and returns 77 (meson's skip). */
int srv_prepare(const char *name);

/* Spawns `netbench serve --proto proto --listen ADDR:port [--results-file
 * results_file]` (under valgrind when the test is), its undo registered
 * on u. Returns 0 or nb_spawn()'s error (printed). */
int srv_spawn(struct nb_undo *u, struct nb_child *c, const char *proto,
	      const char *port, const char *results_file);

/* cmocka group fixtures: spawn the server / stop it (SIGTERM unless it
 * has exited), check that it exited with status 0 (under valgrind: no
 * error, no definite leak, nothing but stdio left open), print its log. */
int srv_group_setup(void **state);
int srv_group_teardown(void **state);

/* What main() returns: rv, the result of cmocka_run_group_tests_name(),
 * or 1 when the server did not end well (cmocka 1.1 reports a failed
 * group teardown but does not count it). */
int srv_result(int rv);

/* cmocka test teardown: closes every client connection. */
int srv_teardown(void **state);

/* --- the client ---------------------------------------------------------- */

void cli_close(struct cli *c);
/* A TCP connection to the server (timeouts set). */
int tcp_connect(void);
/* A TLS 1.3 connection that verifies the server against ca.pem and offers
 * the ALPN protocols (comma-separated; NULL: no ALPN). */
struct cli *cli_open(const char *alpn);
void cli_send(struct cli *c, const void *buf, size_t len);
void cli_sends(struct cli *c, const char *s);
/* Sends payload bytes [off, off + len), byte `flip` (absolute) altered. */
void cli_send_payload(struct cli *c, uint64_t off, uint64_t len,
		      uint64_t flip);
/* Reads one record more into c->in. Returns its size, 0 at the end. */
ssize_t cli_fill(struct cli *c);
/* True when the server closes the connection (nothing more comes). */
bool cli_at_end(struct cli *c);
/* Reads until the server closes, whatever way. */
void cli_drain(struct cli *c);
/* Reads a response head into r (status, content-length). */
void cli_head(struct cli *c, struct resp *r);
/* Reads a whole response; a body of payload is verified (not kept), any
 * other body (at most 4 KiB) is kept in r->body. */
void cli_response(struct cli *c, struct resp *r, bool head_only);
/* One request on c, its response into r. */
void request(struct cli *c, const char *req, struct resp *r);

/* --- the payload file ----------------------------------------------------- */

/* The temporary file holds `size` payload bytes (byte `flip` altered). */
void check_file(uint64_t size);
void flip_file_byte(uint64_t at);

/* --- the server's log ---------------------------------------------------- */

/* Whether the server's log has `needle`, looking `tries` times 50 ms
 * apart (log lines are written as the server gets to them). */
bool log_has_within(const char *needle, int tries);
bool log_has(const char *needle);

/* --- command-line clients ------------------------------------------------ */

/* Runs a shell command (printf format, at most 4 KiB), its stdout (the
 * start of it) into out. Returns its exit status, -1 when it did not exit;
 * fails the test when it cannot start. */
int run_shell(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
