/* Unit tests of src/nlerr.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include <netlink/errno.h>

#include "nlerr.h"

static void t_nl_errno(void **state)
{
	static const int map[][2] = {
		{ 0, 0 }, { -NLE_EXIST, -EEXIST }, { NLE_EXIST, -EEXIST },
		{ -NLE_OBJ_NOTFOUND, -ENOENT }, { -NLE_PERM, -EPERM },
		{ -NLE_NOMEM, -ENOMEM }, { -NLE_INVAL, -EINVAL },
		{ -NLE_OPNOTSUPP, -EOPNOTSUPP }, { -NLE_BUSY, -EBUSY },
		{ -NLE_NODEV, -ENODEV }, { -NLE_FAILURE, -EIO },
		{ -NLE_PARSE_ERR, -EIO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_int_equal(nb_nl_errno(map[i][0]), map[i][1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_nl_errno),
	};

	return cmocka_run_group_tests_name("nlerr", tests, NULL, NULL);
}
