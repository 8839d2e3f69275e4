/* Test helper: a known nb_results (see results_testutil.h). */
#include "results_testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ftw.h>
#include <unistd.h>

#include "ceiling.h"
#include "profile.h"

static void add_case(struct nb_results *r, const char *profile,
		     const char *proto, enum nb_dir dir, double mbps)
{
	const struct nb_profile *p = nb_profile_find(profile);
	const struct nb_proto *pr = nb_proto_find(proto);
	struct nb_result_case *c = nb_results_add_case(r);
	static const double f[] = {1.0, 1.01, 0.99};

	assert_non_null(c);
	assert_non_null(p);
	assert_non_null(pr);
	snprintf(c->name, sizeof(c->name), "%s/%s/%s", profile, proto,
		 nb_dir_name(dir));
	snprintf(c->profile, sizeof(c->profile), "%s", profile);
	snprintf(c->proto, sizeof(c->proto), "%s", proto);
	c->dir = dir;
	c->rate_bps = p->rate_bps;
	c->rtt_ms = p->rtt_ms;
	c->loss_pct = r->loss_pct;
	c->size = 12500000;
	c->ceiling_bps = pr->ceiling_bps(p, dir);
	c->emu_cpu_s = p->rate_bps ? 0.25 : -1;
	for (int i = 0; i < 3; i++) {
		struct nb_result_rep *x = nb_result_case_add_rep(c);

		assert_non_null(x);
		x->goodput_bps = mbps * 1e6 * f[i];
		x->bytes = c->size;
		x->seconds = (double)c->size * 8 / x->goodput_bps;
		x->client_cpu_s = 0.1 * (i + 1);
		x->server_cpu_s = 0.2 * (i + 1);
		x->emu_late_max_ms = p->rate_bps ? 0.5 : -1;
		x->series_bps = calloc(20, sizeof(double));
		assert_non_null(x->series_bps);
		for (int k = 0; k < 20; k++)
			x->series_bps[k] = x->goodput_bps * (k < 19 ? 1.0 : 0.4);
		x->nseries = 20;
	}
}

void results_sample(struct nb_results *r, double base_mbps)
{
	struct nb_result_case *c;
	struct nb_result_rep *x;

	nb_results_init(r);
	snprintf(r->backend, sizeof(r->backend), "userspace");
	r->seed = 42;
	r->loss_pct = 0;
	r->replicates = 3;
	r->duration_s = 10;
	add_case(r, "10M_40ms", "tcp", NB_DOWNLOAD, base_mbps * 0.95);
	add_case(r, "10M_40ms", "tcp", NB_UPLOAD, base_mbps * 0.95);
	add_case(r, "10M_40ms", "h2", NB_DOWNLOAD, base_mbps * 0.94);
	add_case(r, "10M_40ms", "h2", NB_UPLOAD, base_mbps * 0.93);
	add_case(r, "unthrottled", "tcp", NB_DOWNLOAD, base_mbps * 300);
	add_case(r, "unthrottled", "tcp", NB_UPLOAD, base_mbps * 310);
	add_case(r, "unthrottled", "h2", NB_DOWNLOAD, base_mbps * 150);
	add_case(r, "unthrottled", "h2", NB_UPLOAD, base_mbps * 140);
	c = &r->cases[3];
	snprintf(c->status, sizeof(c->status), "FAILED");
	snprintf(c->error, sizeof(c->error),
		 "after 5 of 9 body bytes: <b>\"refused\", 'x' & y</b>");
	for (size_t i = 1; i < c->nrep; i++)
		free(c->rep[i].series_bps);
	c->nrep = 1;
	c = &r->cases[2];
	x = nb_result_case_add_rep(c);
	assert_non_null(x);
	x->goodput_bps = 1e6;
	x->seconds = 100;
	x->bytes = c->size;
	x->emu_late_max_ms = 131.5;
	x->discarded = true;
	snprintf(x->discard_reason, sizeof(x->discard_reason),
		 "the emulator was 131.5 ms late (host stall)");
	nb_results_finish(r);
}

void results_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/nb-results-test.XXXXXX");
	assert_non_null(mkdtemp(buf));
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void results_rmdir(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char results_dir[64];

int results_dir_setup(void **state)
{
	(void)state;
	results_tmpdir(results_dir, sizeof(results_dir));
	return 0;
}

int results_dir_teardown(void **state)
{
	(void)state;
	results_rmdir(results_dir);
	return 0;
}
