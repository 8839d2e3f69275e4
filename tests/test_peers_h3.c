/* netbench: our HTTP/3 ends cross-checked against real peers from Debian,
 * on a real link: ngtcp2's example client (gtlsclient) downloads from and
 * uploads to `netbench serve --proto h3`; our client downloads from
 * ngtcp2's example server (gtlsserver) and from caddy's HTTP/3, and
 * uploads through caddy's reverse proxy to our server. Every byte is
 * verified at the receiving end. Then, unthrottled, the same bytes on the
 * same link: our client -> our server, gtlsclient -> gtlsserver and
 * gtlsclient -> caddy, printed with the CPU of each end (reported, not
 * asserted: the goal is to be the fastest). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_h3.h"
#include "error.h"
#include "goodput.h"
#include "link.h"
#include "peer.h"
#include "peer_testutil.h"
#include "proto.h"
#include "spawn.h"

#define PORT_OURS 4443            /* h3 on UDP; h2 on TCP for caddy */
#define PORT_GTLSSERVER 4446
#define PORT_CADDY 4445
#define SIZE (8u << 20)           /* cross-checks */
#define SIDE_BY_SIDE_SIZE 1000000000ULL   /* 1 GB unthrottled */

struct env {
	struct peer_env p;        /* p.dir: htdocs, caddy's home, downloads */
	struct nb_child ours_h3, ours_h2, gtlsserver, caddy;
};

static struct env E;

/* Our h3 server (and our h2 server, caddy's upstream, on the same port
 * number), gtlsserver and caddy (h1, h2, h3) on the link
 * (peer_group_setup's start). */
static int start_peers(void)
{
	char port[16], htdocs[300];
	char *gtlsserver[] = {"gtlsserver", "-q", "-d", htdocs,
			      NB_LINK_SERVER_ADDR, port, E.p.key, E.p.cert,
			      NULL};
	int rv;

	snprintf(port, sizeof(port), "%d", PORT_GTLSSERVER);
	snprintf(htdocs, sizeof(htdocs), "%s/htdocs", E.p.dir);
	rv = peer_spawn_serve(&E.p, &E.ours_h3, "h3", PORT_OURS);
	if (!rv)
		rv = peer_spawn_serve(&E.p, &E.ours_h2, "h2", PORT_OURS);
	if (!rv)
		rv = nb_peer_spawn_udp(&E.p.u, &E.gtlsserver,
				       E.p.l.ns[NB_SERVER], gtlsserver,
				       NB_LINK_SERVER_ADDR, PORT_GTLSSERVER,
				       5000);
	if (!rv)
		rv = peer_spawn_caddy(&E.p, &E.caddy, "h1 h2 h3", PORT_CADDY,
				      PORT_OURS, true);
	return rv;
}

static int group_setup(void **state)
{
	if (peer_group_setup(&E.p, "peers_h3", SIZE, start_peers))
		return -1;
	*state = &E;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return peer_group_teardown(&E.p);
}

/* gtlsclient against port, one request; what it receives is saved in
 * dir (named after the path's last part; dir NULL: discarded). method
 * NULL = GET; data: the file to POST. */
static void gtlsclient(int port, const char *path, const char *method,
		       const char *data, const char *dir,
		       struct cmd_result *r)
{
	char p[16], url[160], dl[320], d[320];
	char *argv[16] = {"gtlsclient", "-q", "--exit-on-all-streams-close"};
	int n = 3;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(url, sizeof(url), "https://%s:%d%s", NB_LINK_SERVER_ADDR,
		 port, path);
	if (dir) {
		snprintf(dl, sizeof(dl), "--download=%s", dir);
		argv[n++] = dl;
	}
	if (method) {
		snprintf(d, sizeof(d), "--data=%s", data);
		argv[n++] = "-m";
		argv[n++] = (char *)method;
		argv[n++] = d;
	}
	argv[n++] = NB_LINK_SERVER_ADDR;
	argv[n++] = p;
	argv[n++] = url;
	argv[n] = NULL;
	run_cmd(argv, r);
}

/* The file `name` in dir holds exactly `want`. */
static void check_text_file(const char *dir, const char *name,
			    const char *want)
{
	char path[400], got[256] = "";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		fail_msg("%s: no answer saved", path);
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	unlink(path);
	assert_string_equal(got, want);
}

static void t_gtlsclient_downloads(void **state)
{
	char dir[300], path[400], url[64];
	struct cmd_result r;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/dl", E.p.dir);
	mkdir(dir, 0755);
	snprintf(url, sizeof(url), "/bytes/%u", SIZE);
	gtlsclient(PORT_OURS, url, NULL, NULL, dir, &r);
	snprintf(path, sizeof(path), "%s/%u", dir, SIZE);
	check_payload_file(path, SIZE);
	unlink(path);
}

/* A POST of a payload file (one bit flipped at corrupt_at, or none); our
 * server's answer is what gtlsclient saves as "upload". */
static void gtlsclient_upload(uint64_t corrupt_at, const char *expect)
{
	char dir[300], file[300];
	struct cmd_result r;

	snprintf(dir, sizeof(dir), "%s/up", E.p.dir);
	mkdir(dir, 0755);
	snprintf(file, sizeof(file), "%s/upload-body", E.p.dir);
	assert_int_equal(write_payload(file, SIZE, corrupt_at), 0);
	gtlsclient(PORT_OURS, "/upload", "POST", file, dir, &r);
	unlink(file);
	check_text_file(dir, "upload", expect);
}

static void t_gtlsclient_uploads(void **state)
{
	(void)state;
	gtlsclient_upload(UINT64_MAX, "{\"bytes\":8388608,\"verdict\":\"ok\"}\n");
	gtlsclient_upload(4242424, "{\"bytes\":8388608,\"verdict\":"
				   "\"mismatch at byte 4242424\"}\n");
}

static void ours(uint16_t port, enum nb_dir dir, struct nb_xfer_result *r,
		 uint64_t size)
{
	struct nb_xfer x = {.server_addr = NB_LINK_SERVER_ADDR, .port = port,
			    .dir = dir, .size = size};

	if (nb_h3_transfer(&x, r))
		fail_msg("h3 %s on port %u: %s", nb_dir_name(dir), port,
			 nb_lasterr());
	assert_int_equal(r->bytes, size);
}

static void t_client_downloads_from_gtlsserver(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	ours(PORT_GTLSSERVER, NB_DOWNLOAD, &r, SIZE);
}

static void t_client_downloads_from_caddy(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	ours(PORT_CADDY, NB_DOWNLOAD, &r, SIZE);
}

/* caddy streams the body to our h2 server, which verifies and answers. */
static void t_client_uploads_through_caddy(void **state)
{
	struct nb_xfer_result r;

	(void)state;
	ours(PORT_CADDY, NB_UPLOAD, &r, SIZE);
}

/* gtlsclient's whole run (process start, handshake, body), the body
 * discarded as peers.md measured it (the cross-checks above verify what
 * it receives). */
static void side_by_side_peer(const char *what, int port,
			      struct nb_child *server)
{
	char url[64];
	struct cmd_result r;
	double s0, s1;

	snprintf(url, sizeof(url), "/bytes/%llu", SIDE_BY_SIDE_SIZE);
	assert_int_equal(nb_child_cpu_now(server, &s0), 0);
	gtlsclient(port, url, NULL, NULL, NULL, &r);
	assert_int_equal(nb_child_cpu_now(server, &s1), 0);
	printf("  %-34s %8.1f Mbit/s, client CPU %.2f s, server CPU %.2f s "
	       "(whole process)\n", what,
	       (double)SIDE_BY_SIDE_SIZE * 8 / r.wall_s / 1e6, r.cpu_s,
	       s1 - s0);
}

/* Same link, same bytes, one after the other. Reported; all must
 * complete and verify. */
static void t_side_by_side_unthrottled(void **state)
{
	char file[300];
	struct nb_xfer_result r;
	double s0, s1;

	(void)state;
	snprintf(file, sizeof(file), "%s/htdocs/bytes/%llu", E.p.dir,
		 SIDE_BY_SIDE_SIZE);
	assert_int_equal(write_payload(file, SIDE_BY_SIDE_SIZE, UINT64_MAX), 0);

	printf("side by side, unthrottled, h3 download of %llu bytes:\n",
	       SIDE_BY_SIDE_SIZE);
	assert_int_equal(nb_child_cpu_now(&E.ours_h3, &s0), 0);
	ours(PORT_OURS, NB_DOWNLOAD, &r, SIDE_BY_SIDE_SIZE);
	assert_int_equal(nb_child_cpu_now(&E.ours_h3, &s1), 0);
	printf("  %-34s %8.1f Mbit/s, client CPU %.2f s, server CPU %.2f s\n",
	       "netbench client -> netbench serve:",
	       nb_goodput_bps(r.bytes, r.seconds) / 1e6, r.client_cpu_s,
	       s1 - s0);
	side_by_side_peer("gtlsclient -> gtlsserver:", PORT_GTLSSERVER,
			  &E.gtlsserver);
	side_by_side_peer("gtlsclient -> caddy:", PORT_CADDY, &E.caddy);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_gtlsclient_downloads),
		cmocka_unit_test(t_gtlsclient_uploads),
		cmocka_unit_test(t_client_downloads_from_gtlsserver),
		cmocka_unit_test(t_client_downloads_from_caddy),
		cmocka_unit_test(t_client_uploads_through_caddy),
		cmocka_unit_test(t_side_by_side_unthrottled),
	};
	const char *const need[] = {"gtlsclient", "gtlsserver", "caddy"};
	int rv = peer_prepare("peers_h3", need,
			      sizeof(need) / sizeof(need[0]));

	if (rv)
		return rv;
	return cmocka_run_group_tests_name("peers_h3", tests, group_setup,
					   group_teardown);
}
