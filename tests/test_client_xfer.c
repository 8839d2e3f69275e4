/* Unit tests of src/client_xfer.c: the bookkeeping every HTTP client
 * shares: body verification, generation, fault injection, the answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "client_xfer.h"
#include "goodput.h"
#include "payload.h"

static void init(struct nb_cxfer *t, const struct nb_xfer *x)
{
	char ca[4096], pin[128];

	assert_int_equal(nb_cxfer_init(t, x, ca, sizeof(ca), pin, sizeof(pin)), 0);
}

static void t_download_verified_and_counted(void **state)
{
	struct nb_xfer x = {.dir = NB_DOWNLOAD, .size = 1000};
	_Atomic uint64_t progress = 0;
	struct nb_cxfer t;
	uint8_t buf[1000];

	(void)state;
	x.progress = &progress;
	init(&t, &x);
	t.status = 200;
	nb_payload_fill(buf, 0, sizeof(buf));
	assert_int_equal(nb_cxfer_take(&t, buf, 600, nb_now()), 600);
	assert_int_equal(nb_cxfer_take(&t, buf + 600, 400, nb_now()), 400);
	assert_int_equal(atomic_load(&progress), 1000);
	assert_int_equal(nb_cxfer_check_answer(&t), 0);
	/* One more byte is one too many. */
	assert_int_equal(nb_cxfer_take(&t, buf, 1, nb_now()), -EPROTO);
}

static void t_download_mismatch_and_short(void **state)
{
	struct nb_xfer x = {.dir = NB_DOWNLOAD, .size = 1000};
	struct nb_cxfer t;
	uint8_t buf[1000];

	(void)state;
	init(&t, &x);
	t.status = 200;
	nb_payload_fill(buf, 0, sizeof(buf));
	assert_int_equal(nb_cxfer_take(&t, buf, 500, nb_now()), 500);
	assert_int_equal(nb_cxfer_check_answer(&t), -EPROTO);   /* short */
	buf[700] ^= 1;
	assert_int_equal(nb_cxfer_take(&t, buf + 500, 500, nb_now()), -EBADMSG);
	assert_int_equal(t.err, -EBADMSG);
}

static void t_error_status_keeps_body(void **state)
{
	struct nb_xfer x = {.dir = NB_DOWNLOAD, .size = 1000};
	struct nb_cxfer t;

	(void)state;
	init(&t, &x);
	t.status = 404;
	assert_int_equal(nb_cxfer_take(&t, "not found\n", 10, nb_now()), 0);
	assert_int_equal(nb_cxfer_check_answer(&t), -EPROTO);
	assert_string_equal(t.body, "not found\n");
}

static void t_upload_generated_and_answered(void **state)
{
	struct nb_xfer x = {.dir = NB_UPLOAD, .size = 100};
	struct nb_cxfer t;
	uint8_t buf[64];
	const char *ok = "{\"bytes\":100,\"verdict\":\"ok\"}\n";
	const char *bad = "{\"bytes\":100,\"verdict\":\"mismatch at byte 7\"}\n";

	(void)state;
	init(&t, &x);
	assert_int_equal(nb_cxfer_give(&t, buf, sizeof(buf), nb_now()), 64);
	assert_true(t.giving && t.t0 > 0);
	assert_int_equal(nb_payload_check(buf, 0, 64, NULL), 0);
	assert_int_equal(nb_cxfer_give(&t, buf, sizeof(buf), nb_now()), 36);
	assert_int_equal(nb_payload_check(buf, 64, 36, NULL), 0);
	assert_int_equal(nb_cxfer_give(&t, buf, sizeof(buf), nb_now()), 0);
	t.status = 200;
	assert_int_equal(nb_cxfer_take(&t, ok, strlen(ok), nb_now()), 0);
	assert_int_equal(nb_cxfer_check_answer(&t), 0);
	t.blen = 0;
	t.status = 422;
	nb_cxfer_take(&t, bad, strlen(bad), nb_now());
	assert_int_equal(nb_cxfer_check_answer(&t), -EBADMSG);
}

static void t_abort_after(void **state)
{
	struct nb_xfer x = {.dir = NB_UPLOAD, .size = 100, .abort_after = 50};
	struct nb_cxfer t;
	uint8_t buf[64];

	(void)state;
	init(&t, &x);
	assert_int_equal(nb_cxfer_give(&t, buf, sizeof(buf), nb_now()), 50);
	assert_int_equal(nb_cxfer_give(&t, buf, sizeof(buf), nb_now()),
			 -ECONNABORTED);
	x = (struct nb_xfer){.dir = NB_DOWNLOAD, .size = 100, .abort_after = 30};
	init(&t, &x);
	t.status = 200;
	nb_payload_fill(buf, 0, sizeof(buf));
	assert_int_equal(nb_cxfer_take(&t, buf, 64, nb_now()), -ECONNABORTED);
	assert_int_equal(t.off, 30);
}

static void t_should_end(void **state)
{
	struct nb_xfer x = {.dir = NB_DOWNLOAD, .size = 100};
	struct nb_cxfer t;

	(void)state;
	init(&t, &x);
	assert_int_equal(nb_cxfer_should_end(&t, -1), 0);
	t.last = nb_now() - NB_CXFER_STALL_S - 1;
	assert_int_equal(nb_cxfer_should_end(&t, -1), -ETIMEDOUT);
}

static void t_init_refuses(void **state)
{
	struct nb_xfer x = {.dir = NB_DOWNLOAD, .size = (1ULL << 40) + 1};
	struct nb_cxfer t;
	char ca[4096], pin[128];

	(void)state;
	assert_int_equal(nb_cxfer_init(&t, &x, ca, sizeof(ca), pin, sizeof(pin)),
			 -EINVAL);
}

/* DESIGN §5: a download ends at its last body byte, an upload (and an
 * empty download) at the answer. */
static void t_result(void **state)
{
	struct nb_xfer x = {.dir = NB_DOWNLOAD, .size = 1000};
	struct nb_xfer_result r;
	struct nb_cxfer t;

	(void)state;
	init(&t, &x);
	t.t0 = 10.0;
	t.t_end = 12.5;
	nb_cxfer_result(&t, 13.0, &r);
	assert_int_equal(r.bytes, 1000);
	assert_float_equal(r.seconds, 2.5, 1e-9);
	x.size = 0;
	nb_cxfer_result(&t, 13.0, &r);
	assert_float_equal(r.seconds, 3.0, 1e-9);
	x.dir = NB_UPLOAD;
	x.size = 1000;
	nb_cxfer_result(&t, 13.0, &r);
	assert_float_equal(r.seconds, 3.0, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_download_verified_and_counted),
		cmocka_unit_test(t_download_mismatch_and_short),
		cmocka_unit_test(t_error_status_keeps_body),
		cmocka_unit_test(t_upload_generated_and_answered),
		cmocka_unit_test(t_abort_after),
		cmocka_unit_test(t_should_end),
		cmocka_unit_test(t_init_refuses),
		cmocka_unit_test(t_result),
	};

	return cmocka_run_group_tests_name("client_xfer", tests, NULL, NULL);
}
