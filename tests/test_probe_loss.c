/* netbench: unit tests of the UDP loss probe (probe_loss.h).
 *
 * The link is the one a case gets: nb_link_up() for profile "100M_40ms" with
 * default options (20 ms each way, no loss asked), torn down by unwinding
 * its undo stack after each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "interrupt.h"
#include "link.h"
#include "probe_loss.h"
#include "profile.h"
#include "testutil.h"
#include "undo.h"

#define PORT 47011
#define COUNT 5000
#define PPS 2000.0
#define DRAIN_MS 500

struct fx {
	struct nb_undo u;
	struct nb_link l;
	struct nb_loss_result r;	/* 60 KB: kept off the stack */
	int nfds;			/* open fds before the test */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	nb_undo_init(&f->u);
	f->nfds = nb_test_count_fds();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nb_undo_unwind(&f->u);
	free(f);
	return 0;
}

static void link_up(struct fx *f)
{
	const struct nb_profile *p = nb_profile_find("100M_40ms");

	assert_non_null(p);
	if (nb_link_up(&f->u, &f->l, p, NULL) != 0)
		fail_msg("nb_link_up: %s", nb_lasterr());
}

/* Every bad input is refused with -EINVAL and a reason, before any socket
 * is opened (the namespace fds are not even looked at). */
static void t_bad_args(void **state)
{
	struct fx *f = *state;
	struct nb_loss_result *r = &f->r;
	const char *a = NB_LINK_CLIENT_ADDR, *b = NB_LINK_SERVER_ADDR;
	struct {
		const char *ca, *sa;
		uint64_t count;
		double pps;
		struct nb_loss_result *r;
	} bad[] = {
		{ a, b, 0, PPS, r },
		{ a, b, NB_LOSS_MAX_COUNT + 1, PPS, r },
		{ a, b, COUNT, 0, r },
		{ a, b, COUNT, -1, r },
		{ a, b, COUNT, NAN, r },
		{ a, b, COUNT, INFINITY, r },
		{ "nope", b, COUNT, PPS, r },
		{ a, "10.77.0.256", COUNT, PPS, r },
		{ NULL, b, COUNT, PPS, r },
		{ a, "::1", COUNT, PPS, r },		/* mixed families */
		{ a, b, COUNT, PPS, NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nb_clearerr();
		assert_int_equal(nb_probe_loss(-1, -1, bad[i].ca, bad[i].sa, PORT,
					       bad[i].count, bad[i].pps, 10,
					       bad[i].r), -EINVAL);
		assert_true(strstr(nb_lasterr(), "loss probe") != NULL);
	}
	assert_int_equal(nb_test_count_fds(), f->nfds);
}

static void t_pct(void **state)
{
	struct nb_loss_dir d = { .sent = 0 };

	(void)state;
	assert_true(nb_loss_pct(&d) == 0.0);
	d.sent = 200;
	d.received = 150;
	assert_true(fabs(nb_loss_pct(&d) - 25.0) < 1e-9);
	d.received = 200;
	assert_true(nb_loss_pct(&d) == 0.0);
}

/* No loss asked: every probe arrives, once, 20 ms after it left. */
static void t_clean_link(void **state)
{
	struct fx *f = *state;
	struct nb_loss_result *r = &f->r;
	int rv;

	link_up(f);
	rv = nb_probe_loss(f->l.ns[NB_CLIENT], f->l.ns[NB_SERVER],
			   NB_LINK_CLIENT_ADDR, NB_LINK_SERVER_ADDR, PORT,
			   COUNT, PPS, DRAIN_MS, r);
	if (rv)
		fail_msg("nb_probe_loss: %d (%s)", rv, nb_lasterr());
	for (int d = 0; d < 2; d++) {
		const struct nb_loss_dir *x = &r->dir[d];

		print_message("%s: sent %llu received %llu dup %llu reordered %llu loss %.3f%% owd min %.3f p50 %.3f max %.3f ms pattern %016llx\n",
			      d ? "down" : "up", (unsigned long long)x->sent,
			      (unsigned long long)x->received,
			      (unsigned long long)x->duplicates,
			      (unsigned long long)x->reordered, nb_loss_pct(x),
			      x->owd.min / 1e6, nb_hist_quantile(&x->owd, 0.5) / 1e6,
			      x->owd.max / 1e6, (unsigned long long)x->pattern);
		assert_int_equal(x->sent, COUNT);
		assert_int_equal(x->received, COUNT);
		assert_int_equal(x->duplicates, 0);
		assert_true(x->pattern == NB_LOSS_FNV_BASIS);
		assert_true(nb_loss_pct(x) == 0.0);
		assert_int_equal(x->owd.count, COUNT);
		assert_true(nb_hist_quantile(&x->owd, 0.5) <= 2000000000ull);
	}
	print_message("seconds %.3f\n", r->seconds);
	/* 4999 / 2000 pps of pacing, then the drain */
	assert_true(r->seconds >= (COUNT - 1) / PPS + DRAIN_MS / 1000.0);
	assert_true(r->seconds < 10.0);
	nb_undo_unwind(&f->u);
	nb_undo_init(&f->u);
	assert_int_equal(nb_test_count_fds(), f->nfds);
}

static void t_interrupted(void **state)
{
	struct fx *f = *state;
	int rv;

	link_up(f);
	nb_interrupt_signal = SIGINT;
	rv = nb_probe_loss(f->l.ns[NB_CLIENT], f->l.ns[NB_SERVER],
			   NB_LINK_CLIENT_ADDR, NB_LINK_SERVER_ADDR, PORT,
			   COUNT, PPS, DRAIN_MS, &f->r);
	nb_interrupt_signal = 0;
	assert_int_equal(rv, -EINTR);
	nb_undo_unwind(&f->u);
	nb_undo_init(&f->u);
	assert_int_equal(nb_test_count_fds(), f->nfds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_bad_args, setup, teardown),
		cmocka_unit_test(t_pct),
		cmocka_unit_test_setup_teardown(t_clean_link, setup, teardown),
		cmocka_unit_test_setup_teardown(t_interrupted, setup, teardown),
	};
	int rv;

	rv = nb_test_require_links("test_probe_loss");
	if (rv)
		return rv;
	return cmocka_run_group_tests_name("probe_loss", tests, NULL, NULL);
}
