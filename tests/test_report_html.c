/* Unit tests of src/report_html.c (and src/svg.c).
 *
 * A realistic run built in memory (3 profiles, a FAILED case whose error
 * holds HTML specials, a discarded replicate, unthrottled cases without a
 * ceiling) is written to report.html in a temp directory; its text is
 * checked (one chart per case and per profile, escaping, nothing from the
 * network, no nan/inf), then headless Chromium renders it: the DOM it
 * dumps must hold the charts, and its 1280x4000 screenshot must be
 * clearly more than a blank page's. Without /usr/bin/chromium the text
 * checks still run and the test then exits 77 (skipped), saying why.
 * NETBENCH_KEEP_SCREENSHOT=PATH keeps a copy of the screenshot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chromium_testutil.h"
#include "error.h"
#include "goodput.h"
#include "results.h"
#include "results_testutil.h"
#include "testutil.h"

#define CHROMIUM_TIMEOUT_S 60
#define NCASES 10
#define NPROFILES 3
#define FAILED_CASE "1M_400ms/h3/upload"
#define ERROR_TEXT "peer said <script>alert(\"x\")</script> & 'bye'"
#define ERROR_ESCAPED "peer said &lt;script&gt;alert(&quot;x&quot;)" \
	"&lt;/script&gt; &amp; &#39;bye&#39;"

extern char **environ;

static struct nb_results res;
static char tmpdir[64];
static char report[128];

/* ---- the sample run ---------------------------------------------------- */

/* Deterministic noise in [-1, 1] (xorshift64). */
static double noise(void)
{
	static uint64_t s = 88172645463325252ull;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (double)(s >> 11) / (double)(1ull << 53) * 2 - 1;
}

/* A replicate of `seconds` converging on steady_bps with time constant
 * ramp_s (slow start), its last bucket partial. */
static void fill_rep(struct nb_result_rep *rp, double steady_bps,
		     double seconds, double ramp_s)
{
	size_t n = (size_t)ceil(seconds / NB_BUCKET_S);
	double sum = 0;

	rp->series_bps = malloc(n * sizeof(*rp->series_bps));
	assert_non_null(rp->series_bps);
	rp->nseries = n;
	for (size_t i = 0; i < n; i++) {
		double t = ((double)i + 0.5) * NB_BUCKET_S;
		double v = steady_bps * (1 - exp(-t / ramp_s)) *
			   (1 + 0.05 * noise());

		if (i == n - 1)
			v *= (seconds - (double)i * NB_BUCKET_S) / NB_BUCKET_S;
		rp->series_bps[i] = v;
		sum += v * NB_BUCKET_S;
	}
	rp->seconds = seconds;
	rp->goodput_bps = sum / seconds;
	rp->bytes = (uint64_t)(sum / 8);
	rp->client_cpu_s = seconds * 0.2;
	rp->server_cpu_s = seconds * 0.15;
}

static struct nb_result_case *add_case(const char *profile, uint64_t rate,
				       uint32_t rtt, const char *proto,
				       enum nb_dir dir, double eff)
{
	struct nb_result_case *c = nb_results_add_case(&res);
	double ramp = rtt ? rtt * 1.5e-3 : 0.05;
	double steady = rate ? (double)rate * eff : 9e9 * eff;

	assert_non_null(c);
	snprintf(c->name, sizeof(c->name), "%s/%s/%s", profile, proto,
		 nb_dir_name(dir));
	snprintf(c->profile, sizeof(c->profile), "%s", profile);
	snprintf(c->proto, sizeof(c->proto), "%s", proto);
	c->dir = dir;
	c->rate_bps = rate;
	c->rtt_ms = rtt;
	c->size = (uint64_t)(steady * 3 / 8);
	if (rate)
		c->ceiling_bps = (double)rate *
				 (strcmp(proto, "tcp") ? 0.9433 :
							 1448.0 / 1514);
	if (!strcmp(c->name, FAILED_CASE)) {
		snprintf(c->status, sizeof(c->status), "FAILED");
		snprintf(c->error, sizeof(c->error), "%s", ERROR_TEXT);
		return c;
	}
	for (int i = 0; i < 3; i++) {
		struct nb_result_rep *rp = nb_result_case_add_rep(c);

		assert_non_null(rp);
		fill_rep(rp, steady * (1 + 0.01 * noise()),
			 3.0 + 0.04 * (1 + noise()), ramp);
	}
	return c;
}

static void build_sample(void)
{
	static const struct {
		const char *name;
		uint64_t rate;
		uint32_t rtt;
	} profiles[] = {{"10M_40ms", 10000000, 40}, {"1M_400ms", 1000000, 400}};
	struct nb_result_case *c;
	struct nb_result_rep *rp;

	nb_results_init(&res);
	snprintf(res.backend, sizeof(res.backend), "netem");
	res.seed = 20240611;
	res.replicates = 3;
	res.duration_s = 3;
	for (size_t p = 0; p < 2; p++) {
		for (int d = 0; d < 2; d++) {
			add_case(profiles[p].name, profiles[p].rate,
				 profiles[p].rtt, "tcp", d, d ? 0.94 : 0.955);
			add_case(profiles[p].name, profiles[p].rate,
				 profiles[p].rtt, "h3", d, d ? 0.9 : 0.925);
		}
	}
	/* 10M_40ms/h3/download: a fourth replicate, the second discarded */
	c = &res.cases[1];
	assert_string_equal(c->name, "10M_40ms/h3/download");
	rp = nb_result_case_add_rep(c);
	assert_non_null(rp);
	fill_rep(rp, 9.2e6, 3.02, 0.06);
	rp = &c->rep[1];
	rp->discarded = true;
	rp->emu_late_max_ms = 14.2;
	for (size_t i = 12; i < rp->nseries; i++)
		rp->series_bps[i] *= 0.55;
	rp->goodput_bps *= 0.7;
	snprintf(rp->discard_reason, sizeof(rp->discard_reason),
		 "the emulator was late by 14.2 ms (>= 10 ms)");
	add_case("unthrottled", 0, 0, "tcp", NB_DOWNLOAD, 1.0);
	add_case("unthrottled", 0, 0, "h3", NB_DOWNLOAD, 0.13);
	assert_int_equal(res.ncases, NCASES);
	nb_results_finish(&res);
}

/* ---- helpers ----------------------------------------------------------- */

/* The whole file, NUL-terminated; its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	char *buf = nb_test_slurp(path, len);

	assert_non_null(buf);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Whole-word, case-insensitive occurrences of "nan", "inf", "infinity". */
static size_t non_numbers(const char *s)
{
	static const char *const words[] = {"nan", "inf", "infinity"};
	size_t n = 0;

	for (const char *p = s; *p; p++) {
		if (p > s && isalnum((unsigned char)p[-1]))
			continue;
		for (size_t w = 0; w < 3; w++) {
			size_t l = strlen(words[w]);

			if (!strncasecmp(p, words[w], l) &&
			    !isalpha((unsigned char)p[l]))
				n++;
		}
	}
	return n;
}

/* The chart whose opening tag holds `attr` ("data-case=\"x\""), up to its
 * </svg>, as a malloc'd string; NULL if none. */
static char *chart(const char *page, const char *attr)
{
	const char *p = page, *end;
	char *s;

	while ((p = strstr(p, "<svg class=\"chart\""))) {
		const char *gt = strchr(p, '>');
		char *at = strstr(p, attr);

		end = strstr(p, "</svg>");
		if (gt && end && at && at < gt) {
			s = strndup(p, (size_t)(end - p));
			assert_non_null(s);
			return s;
		}
		p++;
	}
	return NULL;
}

/* Every chart of `page`, checked: a bar chart has bars, a time series
 * polylines (but the failed case's, which has no replicate). Returns how
 * many charts. */
static size_t check_charts(const char *page)
{
	const char *p = page;
	size_t n = 0;

	while ((p = strstr(p, "<svg class=\"chart\""))) {
		const char *end = strstr(p, "</svg>");
		char *s;

		assert_non_null(end);
		s = strndup(p, (size_t)(end - p));
		assert_non_null(s);
		assert_non_null(strstr(s, "<title>"));
		if (strstr(s, "data-profile=\""))
			assert_non_null(strstr(s, "<rect class=\"bar\""));
		else if (!strstr(s, "data-case=\"" FAILED_CASE "\""))
			assert_non_null(strstr(s, "<polyline"));
		else
			assert_null(strstr(s, "<polyline"));
		free(s);
		n++;
		p = end;
	}
	return n;
}

/* ---- text -------------------------------------------------------------- */

static void t_text(void **state)
{
	char *page = slurp(report, NULL), *s, attr[128];
	const char *p;

	(void)state;
	assert_true(!strncmp(page, "<!DOCTYPE html>\n", 16));
	assert_non_null(strstr(page, "</body>\n</html>\n"));
	/* one time series per case, one bar chart per profile */
	assert_int_equal(count(page, "<svg class=\"chart\""),
			 NCASES + NPROFILES);
	assert_int_equal(count(page, "<svg class=\"chart\" data-case=\""),
			 NCASES);
	assert_int_equal(count(page, "<svg class=\"chart\" data-profile=\""),
			 NPROFILES);
	for (size_t i = 0; i < res.ncases; i++) {
		snprintf(attr, sizeof(attr), "<svg class=\"chart\" "
			 "data-case=\"%s\"", res.cases[i].name);
		assert_int_equal(count(page, attr), 1);
	}
	assert_int_equal(check_charts(page), NCASES + NPROFILES);
	/* nothing from anywhere, no script */
	assert_null(strstr(page, "http://"));
	assert_null(strstr(page, "https://"));
	assert_null(strstr(page, "src="));
	assert_null(strstr(page, "url("));
	assert_null(strstr(page, "@import"));
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "<link"));
	assert_null(strstr(page, "<img"));
	for (p = page; (p = strstr(p, "href=")); p++)
		assert_true(!strncmp(p, "href=\"#", 7));
	assert_int_equal(non_numbers(page), 0);
	/* the error, escaped */
	assert_non_null(strstr(page, ERROR_ESCAPED));
	/* the failed case: FAILED instead of a bar, no series */
	s = chart(page, "data-profile=\"1M_400ms\"");
	assert_non_null(s);
	assert_int_equal(count(s, "<rect class=\"bar\""), 3);
	assert_int_equal(count(s, "<text class=\"fail\""), 1);
	assert_non_null(strstr(s, ">FAILED<"));
	assert_int_equal(count(s, "<line class=\"ceil\""), 3);
	free(s);
	/* 3 kept replicates of 3 cases as dots, 1 discarded hollow */
	s = chart(page, "data-profile=\"10M_40ms\"");
	assert_non_null(s);
	assert_int_equal(count(s, "<rect class=\"bar\""), 4);
	assert_int_equal(count(s, "<circle class=\"rep\""), 12);
	assert_int_equal(count(s, "<circle class=\"disc\""), 1);
	assert_int_equal(count(s, "<line class=\"ceil\""), 4);
	assert_non_null(strstr(s, " % of 9.56)</text>"));
	free(s);
	/* unthrottled: no ceiling anywhere */
	s = chart(page, "data-profile=\"unthrottled\"");
	assert_non_null(s);
	assert_int_equal(count(s, "<rect class=\"bar\""), 2);
	assert_null(strstr(s, "class=\"ceil"));
	free(s);
	s = chart(page, "data-case=\"unthrottled/tcp/download\"");
	assert_non_null(s);
	assert_null(strstr(s, "class=\"ceil"));
	assert_int_equal(count(s, "<polyline"), 3);
	free(s);
	/* the discarded replicate: dashed grey, counted in the summary */
	s = chart(page, "data-case=\"10M_40ms/h3/download\"");
	assert_non_null(s);
	assert_int_equal(count(s, "<polyline"), 4);
	assert_int_equal(count(s, "<polyline class=\"disc\""), 1);
	assert_int_equal(count(s, "<line class=\"ceil ts\""), 1);
	assert_non_null(strstr(s, "(discarded)"));
	free(s);
	assert_non_null(strstr(page, "3 (+1 discarded)"));
	assert_non_null(strstr(page, "1 replicate was discarded"));
	assert_non_null(strstr(page, "the emulator was late by 14.2 ms"));
	/* the header */
	assert_non_null(strstr(page, "<td>netem</td>"));
	assert_non_null(strstr(page, "<td>20240611</td>"));
	assert_non_null(strstr(page, "3 s per replicate"));
	assert_null(strstr(page, "test knob"));
	free(page);
}

/* ---- edge cases -------------------------------------------------------- */

static char *render(const struct nb_results *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(nb_report_write_html(r, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void t_degenerate(void **state)
{
	struct nb_results r;
	struct nb_result_case *c;
	struct nb_result_rep *rp;
	const char *p;
	char *page, *points;

	(void)state;
	nb_results_init(&r);
	page = render(&r);                 /* no case at all */
	assert_int_equal(count(page, "<svg"), 0);
	assert_int_equal(non_numbers(page), 0);
	free(page);

	r.rate_scale = 0.5;
	snprintf(r.cpu_model, sizeof(r.cpu_model), "<b>fast</b>");
	c = nb_results_add_case(&r);       /* no replicate, status ok */
	snprintf(c->name, sizeof(c->name), "p/tcp/download");
	snprintf(c->profile, sizeof(c->profile), "p");
	snprintf(c->proto, sizeof(c->proto), "tcp");
	c->rate_bps = 1000000;
	c->ceiling_bps = NAN;
	c = nb_results_add_case(&r);       /* zeros, empty and odd series */
	snprintf(c->name, sizeof(c->name), "p/h2/upload");
	snprintf(c->profile, sizeof(c->profile), "p");
	snprintf(c->proto, sizeof(c->proto), "h2");
	c->dir = NB_UPLOAD;
	c->ceiling_bps = 0;
	assert_non_null(nb_result_case_add_rep(c));
	rp = nb_result_case_add_rep(c);
	assert_non_null(rp);
	rp->nseries = 3;
	rp->series_bps = calloc(3, sizeof(double));
	assert_non_null(rp->series_bps);
	rp = nb_result_case_add_rep(c);
	assert_non_null(rp);
	rp->goodput_bps = NAN;
	rp->discarded = true;
	rp->nseries = 4;
	rp->series_bps = malloc(4 * sizeof(double));
	assert_non_null(rp->series_bps);
	rp->series_bps[0] = NAN;
	rp->series_bps[1] = INFINITY;
	rp->series_bps[2] = -1;
	rp->series_bps[3] = -INFINITY;
	c = nb_results_add_case(&r);       /* a whole hour of buckets */
	snprintf(c->name, sizeof(c->name), "q/h1/download");
	snprintf(c->profile, sizeof(c->profile), "q");
	snprintf(c->proto, sizeof(c->proto), "h1");
	c->rate_bps = 1000000;
	c->ceiling_bps = 956e3;
	rp = nb_result_case_add_rep(c);
	assert_non_null(rp);
	rp->nseries = NB_SERIES_MAX;
	rp->series_bps = malloc(NB_SERIES_MAX * sizeof(double));
	assert_non_null(rp->series_bps);
	for (size_t i = 0; i < NB_SERIES_MAX; i++)
		rp->series_bps[i] = 9e5 + (double)(i % 7) * 1e4;
	rp->goodput_bps = 9.3e5;
	nb_results_finish(&r);

	page = render(&r);
	assert_int_equal(non_numbers(page), 0);
	assert_int_equal(count(page, "<svg class=\"chart\" data-case=\""), 3);
	assert_int_equal(count(page, "<svg class=\"chart\" data-profile"), 2);
	assert_non_null(strstr(page, "the shaped rate was scaled by 0.5 "
				     "(test knob)"));
	assert_non_null(strstr(page, "&lt;b&gt;fast&lt;/b&gt;"));
	assert_non_null(strstr(page, ">no replicates<"));
	assert_non_null(strstr(page, ">no time series<"));
	/* the hour is averaged down to at most 1200 points */
	p = strstr(page, "<svg class=\"chart\" data-case=\"q/h1/download\"");
	assert_non_null(p);
	p = strstr(p, "<polyline");
	assert_non_null(p);
	points = strndup(p, (size_t)(strchr(p, '>') - p));
	assert_non_null(points);
	assert_true(count(points, ",") <= 1200);
	assert_true(count(points, ",") >= 1000);
	free(points);
	free(page);
	nb_results_free(&r);
}

static void t_errors(void **state)
{
	FILE *f = fopen("/dev/full", "we");

	(void)state;
	assert_int_equal(nb_report_write_html(NULL, stdout), -EINVAL);
	assert_non_null(f);
	nb_clearerr();
	assert_int_equal(nb_report_write_html(&res, f), -EIO);
	assert_non_null(strstr(nb_lasterr(), "report.html"));
	fclose(f);
}

/* ---- Chromium ---------------------------------------------------------- */

/* Runs Chromium headless in a 1280x4000 window on file://<tmpdir>/<page>
 * with `extra` as its last option, stdout to <tmpdir>/<out>; fails the
 * test (showing the end of its stderr) if it does not exit 0 within
 * CHROMIUM_TIMEOUT_S (chromium_testutil.h). No process of it is left
 * behind. */
static void chromium(const char *page, const char *extra, const char *out)
{
	char url[256], outp[128];
	const char *args[] = {"--window-size=1280,4000", extra, url, NULL};
	struct chromium c;
	int status;

	snprintf(url, sizeof(url), "file://%s/%s", tmpdir, page);
	snprintf(outp, sizeof(outp), "%s/%s", tmpdir, out);
	chromium_start(&c, tmpdir, args, outp);
	chromium_wait(&c, CHROMIUM_TIMEOUT_S);
	status = chromium_stop(&c, NULL);
	assert_int_equal(chromium_procs(tmpdir, false), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *err = chromium_err_tail(tmpdir);

		print_error("chromium %s: wait status 0x%x; its stderr ends:\n%s\n",
			    extra, status, err ? err : "");
		free(err);
		fail();
	}
}

/* Checks the PNG signature and IHDR size of path; returns its length. */
static size_t check_png(const char *path, unsigned w, unsigned h)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n',
					     0x1a, '\n'};
	size_t len;
	unsigned char *p = (unsigned char *)slurp(path, &len);
	unsigned pw, ph;

	assert_true(len > 33);
	assert_memory_equal(p, sig, 8);
	assert_memory_equal(p + 12, "IHDR", 4);
	pw = (unsigned)p[16] << 24 | (unsigned)p[17] << 16 |
	     (unsigned)p[18] << 8 | p[19];
	ph = (unsigned)p[20] << 24 | (unsigned)p[21] << 16 |
	     (unsigned)p[22] << 8 | p[23];
	assert_int_equal(pw, w);
	assert_int_equal(ph, h);
	free(p);
	return len;
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *buf = slurp(from, &len);
	FILE *f = fopen(to, "wbe");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

static void t_chromium(void **state)
{
	char path[160], blank_png[160], shot[200], *dom;
	size_t rep, blank;
	const char *keep = getenv("NETBENCH_KEEP_SCREENSHOT");
	FILE *f;

	(void)state;
	chromium("report.html", "--dump-dom", "dom.html");
	snprintf(path, sizeof(path), "%s/dom.html", tmpdir);
	dom = slurp(path, NULL);
	assert_int_equal(count(dom, "<svg class=\"chart\""),
			 NCASES + NPROFILES);
	assert_int_equal(check_charts(dom), NCASES + NPROFILES);
	assert_true(count(dom, "<polyline") >= 28);
	assert_true(count(dom, "<rect class=\"bar\"") == 9);
	assert_non_null(strstr(dom, "netbench report"));
	assert_null(strstr(dom, "<script"));    /* the error stayed text */
	free(dom);

	snprintf(path, sizeof(path), "%s/blank.html", tmpdir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	      "<title>blank</title></head><body></body></html>\n", f);
	assert_int_equal(fclose(f), 0);
	snprintf(blank_png, sizeof(blank_png), "%s/blank.png", tmpdir);
	snprintf(shot, sizeof(shot), "--screenshot=%s", blank_png);
	chromium("blank.html", shot, "blank.out");
	snprintf(path, sizeof(path), "%s/report.png", tmpdir);
	snprintf(shot, sizeof(shot), "--screenshot=%s", path);
	chromium("report.html", shot, "report.out");
	blank = check_png(blank_png, 1280, 4000);
	rep = check_png(path, 1280, 4000);
	if (rep < 3 * blank) {
		print_error("report.png %zu bytes, blank.png %zu\n", rep,
			    blank);
		fail();
	}
	if (keep && *keep)
		copy_file(path, keep);
}

/* ---- the group --------------------------------------------------------- */

static int setup(void **state)
{
	FILE *f;

	(void)state;
	results_tmpdir(tmpdir, sizeof(tmpdir));
	build_sample();
	snprintf(report, sizeof(report), "%s/report.html", tmpdir);
	f = fopen(report, "we");
	if (!f || nb_report_write_html(&res, f)) {
		fprintf(stderr, "report.html: %s\n", nb_lasterr());
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	nb_results_free(&res);
	if (tmpdir[0])
		results_rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_text),
		cmocka_unit_test(t_degenerate),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_chromium),
	};
	const struct CMUnitTest text_only[] = {
		cmocka_unit_test(t_text),
		cmocka_unit_test(t_degenerate),
		cmocka_unit_test(t_errors),
	};
	int rv;

	/* Without a browser the text is still checked, then: skipped. */
	if (access(CHROMIUM, X_OK)) {
		rv = cmocka_run_group_tests_name("report_html", text_only,
						 setup, teardown);
		if (rv)
			return rv;
		fprintf(stderr, "report_html: skipped: no %s to render the "
			"page (its text was checked)\n", CHROMIUM);
		return 77;
	}
	return cmocka_run_group_tests_name("report_html", tests, setup,
					   teardown);
}
