/* netbench: helpers shared by the tests against real peers (test_peers.c
 * for h1/h2, test_peers_h3.c; tests/peer_testutil.c): the process's checks,
 * the group's setup (temporary directory, files to serve, certificates, an
 * unthrottled link, the peers, the client's namespace) and teardown, our
 * server and caddy spawned on the link, payload files for servers that
 * serve files, their verification, a peer's command line run with a time
 * limit and its CPU, caddy's configuration. */
#ifndef NB_PEER_TESTUTIL_H
#define NB_PEER_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "spawn.h"
#include "undo.h"

/* A peer's command that runs longer is killed (and the test fails). */
#define CMD_TIMEOUT_S 60

struct cmd_result {
	int status;
	double cpu_s, wall_s;
	char out[512];            /* its stdout, the start of it */
};

/* What every test against peers sets up (peer_group_setup). */
struct peer_env {
	struct nb_undo u;
	struct nb_link l;
	char dir[256];            /* htdocs, caddy's home, downloads */
	char ca[4096], cert[4096], key[4096];
	int saved;                /* the namespace to go back to */
};

/* To be called first in main(): 0 when the test can run (this process a
 * child subreaper, a temporary root, network namespaces, and the n
 * programs of need[] installed). Else prints "<name>: ..." and returns 99
 * (the process cannot be set up) or 77 (meson's skip). */
int peer_prepare(const char *name, const char *const need[], size_t n);

/* cmocka group setup, all of it undone by peer_group_teardown(): a
 * temporary directory <tmproot>/<name>-XXXXXX into pe->dir (removed at the
 * end) holding htdocs/bytes/<size> (size payload bytes), the certificates'
 * paths into pe->ca, cert and key, an unthrottled link, start() to spawn
 * the peers in the server's namespace; then this thread enters the
 * client's. Returns 0, or -1 after saying why ("<name>: setup: ...") and
 * undoing what it did. */
int peer_group_setup(struct peer_env *pe, const char *name, unsigned size,
		     int (*start)(void));
int peer_group_teardown(struct peer_env *pe);

/* `netbench serve --proto <proto>` on NB_LINK_SERVER_ADDR:port spawned
 * into c in the server's namespace, ready within 5 s. Returns 0 or
 * negative errno (nb_lasterr() says why). */
int peer_spawn_serve(struct peer_env *pe, struct nb_child *c,
		     const char *proto, int port);

/* caddy serving `protocols` on NB_LINK_SERVER_ADDR:port (write_caddyfile,
 * /upload proxied to upstream_port) with pe->dir as its home (HOME and
 * XDG_* set to it), spawned into c in the server's namespace, ready on TCP
 * (with `udp`: on UDP) within 10 s. Returns 0 or negative errno. */
int peer_spawn_caddy(struct peer_env *pe, struct nb_child *c,
		     const char *protocols, int port, int upstream_port,
		     bool udp);

/* An undo release: rm -rf of the directory arg. */
void release_tree(void *arg);

/* A file of `size` payload bytes; corrupt_at < size flips one bit there.
 * Returns 0 or negative errno. */
int write_payload(const char *path, uint64_t size, uint64_t corrupt_at);

/* Fails the test unless the file holds exactly `size` payload bytes. */
void check_payload_file(const char *path, uint64_t size);

/* Runs argv in this thread's network namespace, stdout captured, killed
 * after CMD_TIMEOUT_S; fails the test unless it exits 0. */
void run_cmd(char *const argv[], struct cmd_result *res);

/* caddy's configuration: `protocols` (e.g. "h1 h2 h3") on addr:port with
 * TLS from cert/key (default SNI localhost), files from root/htdocs, no-cache headers, /upload
 * proxied over HTTPS (trusting ca) to addr:upstream_port. Returns 0 or
 * negative errno. */
int write_caddyfile(const char *path, const char *protocols,
		    const char *addr, int port, int upstream_port,
		    const char *cert, const char *key, const char *ca,
		    const char *root);

#endif
