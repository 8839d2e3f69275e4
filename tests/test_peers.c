/* netbench: our HTTP ends cross-checked against real peers from Debian, on
 * a real link: curl's command line downloads from and uploads to `netbench
 * serve`; our client downloads from nghttpd (h2) and caddy (h1, h2) and
 * uploads through caddy's reverse proxy to our server. Every byte is
 * verified at the receiving end. Then, unthrottled, our pair and curl ->
 * nghttpd move the same bytes on the same link and both figures are
 * printed (reported, not asserted: the goal is to be faster). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_curl.h"
#include "error.h"
#include "goodput.h"
#include "link.h"
#include "netns.h"
#include "payload.h"
#include "peer.h"
#include "peer_testutil.h"
#include "profile.h"
#include "proto.h"
#include "spawn.h"
#include "testutil.h"
#include "tls.h"
#include "tmproot.h"
#include "undo.h"

#define PORT_OURS 4443
#define PORT_NGHTTPD 4444
#define PORT_CADDY 4445
#define SIZE (8u << 20)             /* cross-checks */
#define SIDE_BY_SIDE_SIZE 1000000000ULL   /* 1 GB unthrottled */

struct env {
	struct nb_undo u;
	struct nb_link l;
	struct nb_child ours, nghttpd, caddy;
	char dir[256];            /* htdocs, caddy's home, curl's files */
	char ca[4096], cert[4096], key[4096], pin[128];
	int saved;
};

static struct env E;

static int start_peers(void)
{
	char listen[64], port[16], htdocs[300], caddyfile[300];
	char *ours[] = {(char *)nb_self_exe(), "serve", "--proto", "h2",
			"--listen", listen, "--ready-fd", "3", NULL};
	char *nghttpd[] = {"nghttpd", "--address", NB_LINK_SERVER_ADDR,
			   "--htdocs", htdocs, port, E.key, E.cert, NULL};
	char *caddy[] = {"caddy", "run", "--config", caddyfile, "--adapter",
			 "caddyfile", NULL};
	int rv;

	snprintf(listen, sizeof(listen), "%s:%d", NB_LINK_SERVER_ADDR, PORT_OURS);
	snprintf(port, sizeof(port), "%d", PORT_NGHTTPD);
	snprintf(htdocs, sizeof(htdocs), "%s/htdocs", E.dir);
	snprintf(caddyfile, sizeof(caddyfile), "%s/Caddyfile", E.dir);
	rv = nb_spawn(&E.u, &E.ours, E.l.ns[NB_SERVER], ours, 5000);
	if (!rv)
		rv = nb_peer_spawn(&E.u, &E.nghttpd, E.l.ns[NB_SERVER], nghttpd,
				   NB_LINK_SERVER_ADDR, PORT_NGHTTPD, 5000);
	if (!rv)
		rv = write_caddyfile(caddyfile, "h1 h2", NB_LINK_SERVER_ADDR,
				     PORT_CADDY, PORT_OURS, E.cert, E.key, E.ca,
				     E.dir);
	if (!rv) {
		/* caddy wants a writable home for its data and config. */
		setenv("HOME", E.dir, 1);
		setenv("XDG_DATA_HOME", E.dir, 1);
		setenv("XDG_CONFIG_HOME", E.dir, 1);
		rv = nb_peer_spawn(&E.u, &E.caddy, E.l.ns[NB_SERVER], caddy,
				   NB_LINK_SERVER_ADDR, PORT_CADDY, 10000);
	}
	return rv;
}

static int group_setup(void **state)
{
	struct nb_link_opts lo = {0};
	char path[400];
	int rv;

	nb_undo_init(&E.u);
	snprintf(E.dir, sizeof(E.dir), "%s/peers-XXXXXX", nb_tmproot());
	if (!mkdtemp(E.dir))
		return -1;
	rv = nb_undo_push(&E.u, NB_RES_TEMPFILE, 0, release_tree, E.dir, "%s",
			  E.dir);
	if (rv < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/htdocs", E.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/htdocs/bytes", E.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/htdocs/bytes/%u", E.dir, SIZE);
	if (write_payload(path, SIZE, UINT64_MAX) ||
	    nb_certs_path("ca.pem", E.ca, sizeof(E.ca)) ||
	    nb_certs_path("server.pem", E.cert, sizeof(E.cert)) ||
	    nb_certs_path("server.key", E.key, sizeof(E.key)) ||
	    nb_tls_read_pin(E.pin, sizeof(E.pin)))
		goto fail;
	if (nb_link_up(&E.u, &E.l, nb_profile_find("unthrottled"), &lo) ||
	    start_peers() || nb_netns_enter(E.l.ns[NB_CLIENT], &E.saved))
		goto fail;
	*state = &E;
	return 0;
fail:
	fprintf(stderr, "peers: setup: %s\n", nb_lasterr());
	nb_undo_unwind(&E.u);
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	nb_netns_leave(E.saved);
	nb_undo_unwind(&E.u);
	return 0;
}

static void curl_download(const char *version, const char *expect_version)
{
	char url[128], file[300], pin[160];
	char *argv[] = {"curl", "-sS", (char *)version, "--cacert", E.ca,
			"--pinnedpubkey", pin, "-o", file, "-w",
			"%{http_version} %{http_code}", url, NULL};
	struct cmd_result r;
	char want[32];

	snprintf(pin, sizeof(pin), "%s", E.pin);
	snprintf(url, sizeof(url), "https://%s:%d/bytes/%u",
		 NB_LINK_SERVER_ADDR, PORT_OURS, SIZE);
	snprintf(file, sizeof(file), "%s/curl-download", E.dir);
	run_cmd(argv, &r);
	snprintf(want, sizeof(want), "%s 200", expect_version);
	assert_string_equal(r.out, want);
	check_payload_file(file, SIZE);
	unlink(file);
}

static void t_curl_downloads_h1(void **state)
{
	(void)state;
	curl_download("--http1.1", "1.1");
}

static void t_curl_downloads_h2(void **state)
{
	(void)state;
	curl_download("--http2", "2");
}

/* curl -T of a payload file (one bit flipped at corrupt_at, or none). */
static void curl_upload(const char *version, uint64_t corrupt_at,
			const char *expect)
{
	char url[128], file[300], pin[160];
	char *argv[] = {"curl", "-sS", (char *)version, "--cacert", E.ca,
			"--pinnedpubkey", pin, "-T", file, "-w", " %{http_code}",
			url, NULL};
	struct cmd_result r;

	snprintf(pin, sizeof(pin), "%s", E.pin);
	snprintf(url, sizeof(url), "https://%s:%d/upload", NB_LINK_SERVER_ADDR,
		 PORT_OURS);
	snprintf(file, sizeof(file), "%s/curl-upload", E.dir);
	assert_int_equal(write_payload(file, SIZE, corrupt_at), 0);
	run_cmd(argv, &r);
	unlink(file);
	assert_string_equal(r.out, expect);
}

static void t_curl_uploads_h1(void **state)
{
	(void)state;
	curl_upload("--http1.1", UINT64_MAX,
		    "{\"bytes\":8388608,\"verdict\":\"ok\"}\n 200");
	curl_upload("--http1.1", 12345,
		    "{\"bytes\":8388608,\"verdict\":\"mismatch at byte 12345\"}\n 422");
}

static void t_curl_uploads_h2(void **state)
{
	(void)state;
	curl_upload("--http2", UINT64_MAX,
		    "{\"bytes\":8388608,\"verdict\":\"ok\"}\n 200");
	curl_upload("--http2", 7777777,
		    "{\"bytes\":8388608,\"verdict\":\"mismatch at byte 7777777\"}\n 422");
}

static void ours(uint16_t port, enum nb_dir dir, int version,
		 struct nb_xfer_result *r, uint64_t size)
{
	struct nb_xfer x = {.server_addr = NB_LINK_SERVER_ADDR, .port = port,
			    .dir = dir, .size = size};

	if (nb_curl_transfer(&x, version, r))
		fail_msg("h%d %s on port %u: %s", version, nb_dir_name(dir),
			 port, nb_lasterr());
	assert_int_equal(r->bytes, size);
}

static void t_client_downloads_from_nghttpd(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	ours(PORT_NGHTTPD, NB_DOWNLOAD, 2, &r, SIZE);
}

static void t_client_downloads_from_caddy(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	ours(PORT_CADDY, NB_DOWNLOAD, 1, &r, SIZE);
	ours(PORT_CADDY, NB_DOWNLOAD, 2, &r, SIZE);
}

/* caddy streams the body to our server, which verifies and answers. */
static void t_client_uploads_through_caddy(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	ours(PORT_CADDY, NB_UPLOAD, 1, &r, SIZE);
	ours(PORT_CADDY, NB_UPLOAD, 2, &r, SIZE);
}

/* Same link, same bytes, one after the other: our client -> our server,
 * then curl -> nghttpd. Reported; both must complete. */
static void t_side_by_side_unthrottled(void **state)
{
	char url[128], file[300], pin[160];
	char *argv[] = {"curl", "-sS", "--http2", "--cacert", E.ca,
			"--pinnedpubkey", pin, "-o", "/dev/null", "-w",
			"%{size_download} %{time_pretransfer} %{time_total}",
			url, NULL};
	struct nb_xfer_result r;
	struct cmd_result c;
	unsigned long long got;
	double pre, total, s0, s1, n0, n1;

	(void)state;
	snprintf(file, sizeof(file), "%s/htdocs/bytes/%llu", E.dir,
		 SIDE_BY_SIDE_SIZE);
	assert_int_equal(write_payload(file, SIDE_BY_SIDE_SIZE, UINT64_MAX), 0);
	snprintf(pin, sizeof(pin), "%s", E.pin);
	snprintf(url, sizeof(url), "https://%s:%d/bytes/%llu",
		 NB_LINK_SERVER_ADDR, PORT_NGHTTPD, SIDE_BY_SIDE_SIZE);

	assert_int_equal(nb_child_cpu_now(&E.ours, &s0), 0);
	ours(PORT_OURS, NB_DOWNLOAD, 2, &r, SIDE_BY_SIDE_SIZE);
	assert_int_equal(nb_child_cpu_now(&E.ours, &s1), 0);

	assert_int_equal(nb_child_cpu_now(&E.nghttpd, &n0), 0);
	run_cmd(argv, &c);
	assert_int_equal(nb_child_cpu_now(&E.nghttpd, &n1), 0);
	unlink(file);
	assert_int_equal(sscanf(c.out, "%llu %lf %lf", &got, &pre, &total), 3);
	assert_int_equal(got, SIDE_BY_SIDE_SIZE);

	printf("side by side, unthrottled, h2 download of %llu bytes:\n",
	       SIDE_BY_SIDE_SIZE);
	printf("  netbench client -> netbench serve: %8.1f Mbit/s, client CPU "
	       "%.2f s, server CPU %.2f s\n",
	       nb_goodput_bps(r.bytes, r.seconds) / 1e6, r.client_cpu_s, s1 - s0);
	printf("  curl -> nghttpd:                   %8.1f Mbit/s, client CPU "
	       "%.2f s, server CPU %.2f s (curl: request sent to last byte)\n",
	       (double)got * 8 / (total - pre) / 1e6, c.cpu_s, n1 - n0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_curl_downloads_h1),
		cmocka_unit_test(t_curl_downloads_h2),
		cmocka_unit_test(t_curl_uploads_h1),
		cmocka_unit_test(t_curl_uploads_h2),
		cmocka_unit_test(t_client_downloads_from_nghttpd),
		cmocka_unit_test(t_client_downloads_from_caddy),
		cmocka_unit_test(t_client_uploads_through_caddy),
		cmocka_unit_test(t_side_by_side_unthrottled),
	};
	const char *need[] = {"curl", "nghttpd", "caddy"};
	char path[4096];
	int rv;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || !nb_tmproot()) {
		fprintf(stderr, "peers: cannot set up the process\n");
		return 99;
	}
	rv = nb_test_require_links("peers");
	if (rv)
		return rv;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (nb_peer_which(need[i], path, sizeof(path))) {
			fprintf(stderr, "peers: skipped: %s\n", nb_lasterr());
			return 77;
		}
	}
	return cmocka_run_group_tests_name("peers", tests, group_setup,
					   group_teardown);
}
