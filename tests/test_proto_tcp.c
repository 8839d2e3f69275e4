/* Unit tests of src/proto_tcp.c: the real server (`netbench serve --proto
 * tcp`, a child in the server namespace) and the client over an unshaped
 * link. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "goodput.h"
#include "link.h"
#include "netns.h"
#include "profile.h"
#include "proto.h"
#include "spawn.h"
#include "testutil.h"
#include "undo.h"

struct env {
	struct nb_undo u;
	struct nb_link l;
	struct nb_child server;
	int saved;
};

static int setup(void **state)
{
	static struct env e;
	char *argv[] = {(char *)nb_self_exe(), "serve", "--proto", "tcp",
			"--listen", NB_LINK_SERVER_ADDR ":5201", "--ready-fd", "3",
			NULL};
	struct nb_link_opts lo = {0};

	nb_undo_init(&e.u);
	if (nb_link_up(&e.u, &e.l, nb_profile_find("unthrottled"), &lo) ||
	    nb_spawn(&e.u, &e.server, e.l.ns[NB_SERVER], argv, 5000) ||
	    nb_netns_enter(e.l.ns[NB_CLIENT], &e.saved)) {
		nb_undo_unwind(&e.u);
		return -1;
	}
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	nb_netns_leave(e->saved);
	nb_undo_unwind(&e->u);
	return 0;
}

static void xfer(enum nb_dir dir, uint64_t size)
{
	struct nb_series s;
	struct nb_xfer x = {.server_addr = NB_LINK_SERVER_ADDR, .port = 5201,
			    .dir = dir, .size = size, .series = &s};
	struct nb_xfer_result r;
	uint64_t sum = 0;

	assert_int_equal(nb_series_init(&s, nb_now()), 0);
	assert_int_equal(nb_proto_tcp.transfer(&x, &r), 0);
	assert_int_equal(r.bytes, size);
	assert_true(r.seconds > 0);
	for (size_t i = 0; i < s.n; i++)
		sum += s.bytes[i];
	assert_int_equal(sum, size);
	nb_series_free(&s);
}

static void t_download(void **state)
{
	(void)state;
	xfer(NB_DOWNLOAD, 20000000);
	xfer(NB_DOWNLOAD, 1);
	xfer(NB_DOWNLOAD, 1201);
}

static void t_upload(void **state)
{
	(void)state;
	xfer(NB_UPLOAD, 20000000);
	xfer(NB_UPLOAD, 7);
}

/* A garbled request costs the client its connection, and the server goes
 * on serving. */
static void t_bad_request(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5201)};
	char junk[16] = "GET / HTTP/1.1\r\n", c;
	int fd;

	(void)state;
	inet_pton(AF_INET, NB_LINK_SERVER_ADDR, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	assert_int_equal(read(fd, &c, 1), 0);        /* closed, nothing sent */
	close(fd);
	xfer(NB_DOWNLOAD, 100000);
}

/* A client that vanishes mid-upload costs nothing but its connection. */
static void t_client_vanishes(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5201)};
	uint8_t hdr[16] = {'N', 'B', 'T', '1', NB_UPLOAD, 0, 0, 0,
			   0, 0, 0, 0, 0, 0x10, 0, 0};   /* 1 MiB */
	int fd;

	(void)state;
	inet_pton(AF_INET, NB_LINK_SERVER_ADDR, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	assert_int_equal(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	close(fd);
	xfer(NB_UPLOAD, 100000);
}

static void t_refused(void **state)
{
	struct nb_xfer x = {.server_addr = NB_LINK_SERVER_ADDR, .port = 5299,
			    .dir = NB_DOWNLOAD, .size = 10};
	struct nb_xfer_result r;

	(void)state;
	assert_int_equal(nb_proto_tcp.transfer(&x, &r), -ECONNREFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_download),
		cmocka_unit_test(t_upload),
		cmocka_unit_test(t_bad_request),
		cmocka_unit_test(t_client_vanishes),
		cmocka_unit_test(t_refused),
	};
	int rv;

	rv = nb_test_require_links("test_proto_tcp");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("proto_tcp", tests, setup, teardown);
}
