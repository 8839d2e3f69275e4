/* netbench: helpers shared by the client tests (test_client_curl.c for
 * h1/h2, test_client_h3.c; tests/client_testutil.c): the process's own
 * network namespace and temporary directory, thread counting, the files a
 * file server (nghttpd, gtlsserver) serves, certificate directories with
 * another pin, a transfer checked for what every transfer keeps, a watcher
 * thread that stops or interrupts one, a silent peer, and the project's
 * server (`netbench serve`) as a child. */
#ifndef NB_CLIENT_TESTUTIL_H
#define NB_CLIENT_TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "spawn.h"
#include "thread.h"
#include "undo.h"

#define ADDR "127.0.0.1"

/* What the file servers serve (files under htdocs/bytes/, make_htdocs). */
#define GOOD_SIZE 1000000ULL
#define CORRUPT_SIZE 777777ULL
#define CORRUPT_AT 123457ULL
#define SHORT_SIZE 500000ULL     /* the file holds 400000 bytes */
#define LONG_SIZE 300000ULL      /* the file holds 300001 bytes */

/* Set by client_test_prepare(): the test runs under valgrind (slower). */
extern bool under_valgrind;

/* --- the process --------------------------------------------------------- */

/* To be called first in main(): 0 once this process is in a network
 * namespace of its own with lo up (SIGPIPE ignored), the directory `tmp`
 * (a mkdtemp() template) made and `htdocs` set to tmp/htdocs (not made).
 * Without root or namespaces: prints "<name>: skipped: <reason>" and
 * returns 77 (meson's skip); when mkdtemp fails: says so, returns 1. */
int client_test_prepare(const char *name, char *tmp, char *htdocs,
			size_t htdocs_len);

/* Removes the directory tmp and all in it; says so on stderr when it
 * cannot. */
void client_test_cleanup(const char *name, const char *tmp);

/* Threads of the process, or -1. */
int count_threads(void);

/* --- files --------------------------------------------------------------- */

/* Writes path (created or truncated). Returns 0, negative errno, or -EIO
 * on a short write. */
int write_file(const char *path, const void *buf, size_t len);

/* htdocs/bytes/<name>: `len` payload bytes, byte `flip` (if < len)
 * inverted. Returns 0 or negative errno. */
int write_served(const char *htdocs, const char *name, size_t len,
		 uint64_t flip);

/* Makes htdocs and htdocs/bytes holding "1000000" (GOOD_SIZE), "1",
 * "777777" (CORRUPT_SIZE, byte CORRUPT_AT inverted), "500000" (400000
 * bytes), "300000" (300001 bytes) and, with `empty`, "0". Returns 0 or
 * negative errno (nb_lasterr() says why). */
int make_htdocs(const char *htdocs, bool empty);

/* A certs directory like the real one but with another pin; fails the
 * test when it cannot make it. */
void certs_with_pin(char *dir, const char *pin);
/* Removes dir/ca.pem, dir/server.pin and dir. */
void certs_cleanup(const char *dir);

/* --- transfers ----------------------------------------------------------- */

/* One client: nb_curl_transfer() itself, or nb_h3_transfer() behind a
 * wrapper that ignores `version`. */
typedef int (*transfer_fn)(const struct nb_xfer *x, int version,
			   struct nb_xfer_result *r);

/* Runs x (its series and progress set here) with `run`, and fails the
 * test unless it keeps what every transfer keeps: no thread or fd left,
 * the client's CPU counted; when it succeeds, the result, series and
 * progress account for every byte; when it fails, r->bytes is 0. Returns
 * what `run` returned. */
int checked_xfer(transfer_fn run, int version, struct nb_xfer *x,
		 struct nb_xfer_result *r);

/* Fails the test unless nb_lasterr() has `want`. */
void assert_err(const char *want);

struct watcher {
	pthread_t th;
	struct nb_thread *self;      /* stop it ... */
	uint64_t after;              /* ... once this many bytes moved */
	double delay;                /* ... or (after == 0) this long */
	_Atomic uint64_t *progress;
	bool interrupt;              /* raise nb_interrupted() instead */
	double fired;                /* when it did */
};

/* Runs x (its self and progress set here) with `run` while a watcher
 * thread stops or interrupts it (at the latest after 60 s); returns the
 * transfer's error. Fails the test when the thread cannot start, when a
 * thread or fd is left, or when the transfer ended more than 0.5 s (under
 * valgrind 3 s) after the request. */
int stopped_xfer(transfer_fn run, int version, struct nb_xfer *x,
		 struct watcher *w);

/* --- peers --------------------------------------------------------------- */

/* A peer on ADDR:port that never speaks: a TCP listener (SOCK_STREAM)
 * whose connections wait in its backlog, or a UDP socket (SOCK_DGRAM)
 * that never answers. Returns 0, or -1 when it cannot open, bind or
 * listen. silent_teardown() (a cmocka group teardown) closes it. */
int silent_listen(int type, uint16_t port);
int silent_teardown(void **state);

/* `netbench serve --proto <proto> --listen ADDR:<port>` spawned into c,
 * its release pushed onto u, ready within 10 s (stdio flushed first).
 * Returns 0, or negative errno (nb_lasterr() says why) after unwinding
 * all of u. */
int spawn_serve(struct nb_undo *u, struct nb_child *c, const char *proto,
		uint16_t port);

#endif
