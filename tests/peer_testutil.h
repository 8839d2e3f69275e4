/* netbench: helpers shared by the tests against real peers (test_peers.c
 * for h1/h2, test_peers_h3.c; tests/peer_testutil.c): payload files for
 * servers that serve files, their verification, a peer's command line run
 * with a time limit and its CPU, caddy's configuration. */
#ifndef NB_PEER_TESTUTIL_H
#define NB_PEER_TESTUTIL_H

#include <stdint.h>

/* A peer's command that runs longer is killed (and the test fails). */
#define CMD_TIMEOUT_S 60

struct cmd_result {
	int status;
	double cpu_s, wall_s;
	char out[512];            /* its stdout, the start of it */
};

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
