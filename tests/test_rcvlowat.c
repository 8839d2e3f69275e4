/* Unit tests of src/rcvlowat.c: the mark stays 1 while the receive buffer
 * grows and near the end of the body, and is an eighth of the buffer,
 * clamped, otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rcvlowat.h"

#define MB (1024ULL * 1024)

static int tcp_with_rcvbuf(int bytes)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	/* The kernel doubles what it is given. */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes,
				    sizeof(bytes)), 0);
	return fd;
}

static int rcvbuf(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	return v;
}

static void t_one_while_the_buffer_grows(void **state)
{
	struct nb_lowat l = NB_LOWAT_INIT;
	int fd = tcp_with_rcvbuf(256 * 1024);

	(void)state;
	nb_lowat_update(fd, &l, 0, 100 * MB);
	assert_int_equal(l.want, 1);          /* first look: it grew from 0 */
	nb_lowat_update(fd, &l, 16 * MB, 84 * MB);
	assert_int_equal(l.want, rcvbuf(fd) / 8);   /* stable: an eighth */
	nb_lowat_set(fd, &l, l.want);
	assert_int_equal(l.set, rcvbuf(fd) / 8);
	close(fd);
}

static void t_clamped(void **state)
{
	struct nb_lowat l = NB_LOWAT_INIT;
	int fd = tcp_with_rcvbuf(8 * 1024 * 1024);

	(void)state;
	nb_lowat_update(fd, &l, 0, 100 * MB);
	nb_lowat_update(fd, &l, 32 * MB, 68 * MB);
	assert_int_equal(l.want, 256 * 1024);
	close(fd);
	fd = tcp_with_rcvbuf(4096);
	l = (struct nb_lowat)NB_LOWAT_INIT;
	nb_lowat_update(fd, &l, 0, 100 * MB);
	nb_lowat_update(fd, &l, 32 * MB, 68 * MB);
	assert_int_equal(l.want, 16384);
	close(fd);
}

static void t_one_near_the_end(void **state)
{
	struct nb_lowat l = NB_LOWAT_INIT;
	int fd = tcp_with_rcvbuf(1024 * 1024);

	(void)state;
	nb_lowat_update(fd, &l, 0, 100 * MB);
	nb_lowat_update(fd, &l, 16 * MB, 84 * MB);
	assert_true(l.want > 1);
	nb_lowat_update(fd, &l, 100 * MB - 40000, 40000);
	assert_int_equal(l.want, 1);
	assert_true(l.tail);
	/* Once at the tail, it stays 1 whatever the buffer does. */
	nb_lowat_update(fd, &l, 100 * MB - 100, 100);
	assert_int_equal(l.want, 1);
	close(fd);
}

static void t_small_body_never_waits(void **state)
{
	struct nb_lowat l = NB_LOWAT_INIT;
	int fd = tcp_with_rcvbuf(1024 * 1024);

	(void)state;
	nb_lowat_update(fd, &l, 0, 20000);
	assert_int_equal(l.want, 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_one_while_the_buffer_grows),
		cmocka_unit_test(t_clamped),
		cmocka_unit_test(t_one_near_the_end),
		cmocka_unit_test(t_small_body_never_waits),
	};

	return cmocka_run_group_tests_name("rcvlowat", tests, NULL, NULL);
}
