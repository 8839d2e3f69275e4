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

#include <stdio.h>
#include <unistd.h>

#include "client_curl.h"
#include "error.h"
#include "goodput.h"
#include "link.h"
#include "peer.h"
#include "peer_testutil.h"
#include "proto.h"
#include "spawn.h"
#include "tls.h"

#define PORT_OURS 4443
#define PORT_NGHTTPD 4444
#define PORT_CADDY 4445
#define SIZE (8u << 20)             /* cross-checks */
#define SIDE_BY_SIDE_SIZE 1000000000ULL   /* 1 GB unthrottled */

struct env {
	struct peer_env p;        /* p.dir: htdocs, caddy's home, curl's files */
	struct nb_child ours, nghttpd, caddy;
	char pin[128];
};

static struct env E;

/* The certificates' pin, then our h2 server, nghttpd and caddy (h1, h2)
 * on the link (peer_group_setup's start). */
static int start_peers(void)
{
	char port[16], htdocs[300];
	char *nghttpd[] = {"nghttpd", "--address", NB_LINK_SERVER_ADDR,
			   "--htdocs", htdocs, port, E.p.key, E.p.cert, NULL};
	int rv;

	snprintf(port, sizeof(port), "%d", PORT_NGHTTPD);
	snprintf(htdocs, sizeof(htdocs), "%s/htdocs", E.p.dir);
	rv = nb_tls_read_pin(E.pin, sizeof(E.pin));
	if (!rv)
		rv = peer_spawn_serve(&E.p, &E.ours, "h2", PORT_OURS);
	if (!rv)
		rv = nb_peer_spawn(&E.p.u, &E.nghttpd, E.p.l.ns[NB_SERVER],
				   nghttpd, NB_LINK_SERVER_ADDR, PORT_NGHTTPD,
				   5000);
	if (!rv)
		rv = peer_spawn_caddy(&E.p, &E.caddy, "h1 h2", PORT_CADDY,
				      PORT_OURS, false);
	return rv;
}

static int group_setup(void **state)
{
	if (peer_group_setup(&E.p, "peers", SIZE, start_peers))
		return -1;
	*state = &E;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return peer_group_teardown(&E.p);
}

static void curl_download(const char *version, const char *expect_version)
{
	char url[128], file[300], pin[160];
	char *argv[] = {"curl", "-sS", (char *)version, "--cacert", E.p.ca,
			"--pinnedpubkey", pin, "-o", file, "-w",
			"%{http_version} %{http_code}", url, NULL};
	struct cmd_result r;
	char want[32];

	snprintf(pin, sizeof(pin), "%s", E.pin);
	snprintf(url, sizeof(url), "https://%s:%d/bytes/%u",
		 NB_LINK_SERVER_ADDR, PORT_OURS, SIZE);
	snprintf(file, sizeof(file), "%s/curl-download", E.p.dir);
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
	char *argv[] = {"curl", "-sS", (char *)version, "--cacert", E.p.ca,
			"--pinnedpubkey", pin, "-T", file, "-w", " %{http_code}",
			url, NULL};
	struct cmd_result r;

	snprintf(pin, sizeof(pin), "%s", E.pin);
	snprintf(url, sizeof(url), "https://%s:%d/upload", NB_LINK_SERVER_ADDR,
		 PORT_OURS);
	snprintf(file, sizeof(file), "%s/curl-upload", E.p.dir);
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
	char *argv[] = {"curl", "-sS", "--http2", "--cacert", E.p.ca,
			"--pinnedpubkey", pin, "-o", "/dev/null", "-w",
			"%{size_download} %{time_pretransfer} %{time_total}",
			url, NULL};
	struct nb_xfer_result r;
	struct cmd_result c;
	unsigned long long got;
	double pre, total, s0, s1, n0, n1;

	(void)state;
	snprintf(file, sizeof(file), "%s/htdocs/bytes/%llu", E.p.dir,
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
	const char *const need[] = {"curl", "nghttpd", "caddy"};
	int rv = peer_prepare("peers", need, sizeof(need) / sizeof(need[0]));

	if (rv)
		return rv;
	return cmocka_run_group_tests_name("peers", tests, group_setup,
					   group_teardown);
}
