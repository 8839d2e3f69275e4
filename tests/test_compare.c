/* Unit tests of src/compare.c: the t distribution against table values,
 * Welch's test against a hand-computed example, the verdict of one case
 * in every situation, and the table of two whole runs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "results.h"

/* Within 3 significant digits of a table value. */
#define assert_sig3(v, ref) assert_true(fabs((v) - (ref)) <= 5e-4 * fabs(ref))

/* Adds a case with replicates of these goodputs (Mbit/s); a negative one
 * is a discarded replicate of that absolute goodput. */
static struct nb_result_case *add(struct nb_results *r, const char *name,
				  const char *status, const double *mbps,
				  size_t n)
{
	struct nb_result_case *c = nb_results_add_case(r);

	assert_non_null(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->status, sizeof(c->status), "%s", status);
	for (size_t i = 0; i < n; i++) {
		struct nb_result_rep *p = nb_result_case_add_rep(c);

		assert_non_null(p);
		p->goodput_bps = fabs(mbps[i]) * 1e6;
		p->discarded = mbps[i] < 0;
	}
	return c;
}

/* base and new each hold one case "x"; the row of their comparison. */
static void compare_one(const double *b, size_t nb, const double *n, size_t nn,
			struct nb_compare_row *row)
{
	struct nb_results base = {0}, new = {0};

	add(&base, "x", "ok", b, nb);
	add(&new, "x", "ok", n, nn);
	assert_int_equal(nb_compare_case(&base.cases[0], &new.cases[0],
					 NB_COMPARE_THRESHOLD_PCT,
					 NB_COMPARE_ALPHA, row), 0);
	nb_results_free(&base);
	nb_results_free(&new);
}

static const double base5[] = {100, 100.2, 99.9, 100.1, 100};

static void scaled(double *out, double f)
{
	for (size_t i = 0; i < 5; i++)
		out[i] = base5[i] * f;
}

static void t_betai(void **state)
{
	(void)state;
	/* Reference values from mpmath.betainc(regularized=True). */
	assert_float_equal(nb_betai(2, 3, 0.3), 0.3483, 1e-12);
	assert_float_equal(nb_betai(0.5, 0.5, 0.9), 0.79516723530086657, 1e-12);
	assert_float_equal(nb_betai(50, 60, 0.45), 0.46423529143060363, 1e-10);
	assert_float_equal(nb_betai(2, 3, 0), 0, 0);
	assert_float_equal(nb_betai(2, 3, 1), 1, 0);
	assert_true(isnan(nb_betai(0, 3, 0.5)));
	assert_true(isnan(nb_betai(2, -1, 0.5)));
	assert_true(isnan(nb_betai(2, 3, 1.5)));
	assert_true(isnan(nb_betai(2, 3, NAN)));
}

static void t_pvalue(void **state)
{
	(void)state;
	/* Two-sided critical values of Student's t tables. */
	assert_sig3(nb_t_pvalue(2.776, 4), 0.05);
	assert_sig3(nb_t_pvalue(2.228, 10), 0.05);
	assert_sig3(nb_t_pvalue(12.706, 1), 0.05);
	assert_sig3(nb_t_pvalue(4.604, 4), 0.01);
	/* Large df: the normal distribution's 1.96. */
	assert_sig3(nb_t_pvalue(1.959964, 1e6), 0.05);
	/* ... and closer, against mpmath. */
	assert_float_equal(nb_t_pvalue(2.776, 4), 0.0500227783199764, 1e-12);
	assert_float_equal(nb_t_pvalue(4.604, 4), 0.0100007144360157, 1e-12);
	assert_float_equal(nb_t_pvalue(20, 3), 0.000273203250247312, 1e-14);
	assert_float_equal(nb_t_pvalue(0.5, 3), 0.651447964848151, 1e-12);
	assert_float_equal(nb_t_pvalue(1.96, 1000), 0.0502731849557487, 1e-12);
	assert_float_equal(nb_t_pvalue(2.0, 1e5), 0.0455029634575064, 1e-10);
	/* Non-integer degrees of freedom. */
	assert_float_equal(nb_t_pvalue(2.0, 2.5), 0.157391495757966, 1e-12);
	assert_float_equal(nb_t_pvalue(1.5, 7.3), 0.175563092803086, 1e-12);
	assert_float_equal(nb_t_pvalue(2.0, 0.5), 0.445514890183131, 1e-12);
	/* Closed forms: df = 1 (Cauchy), df = 2. */
	for (double t = 0.1; t < 50; t *= 1.7) {
		assert_float_equal(nb_t_pvalue(t, 1), 1 - 2 / M_PI * atan(t), 1e-12);
		assert_float_equal(nb_t_pvalue(t, 2), 1 - t / sqrt(t * t + 2), 1e-12);
	}
	assert_float_equal(nb_t_pvalue(0, 4), 1, 0);
	assert_float_equal(nb_t_pvalue(-2.776, 4), nb_t_pvalue(2.776, 4), 0);
	assert_float_equal(nb_t_pvalue(INFINITY, 4), 0, 0);
	assert_float_equal(nb_t_pvalue(-INFINITY, 4), 0, 0);
	assert_true(nb_t_pvalue(1e10, 3) < 1e-25);
	assert_true(isnan(nb_t_pvalue(1, 0)));
	assert_true(isnan(nb_t_pvalue(NAN, 3)));
}

static void t_welch(void **state)
{
	const double a[] = {10, 12, 11, 9, 13}, b[] = {14, 15, 13, 16};
	const double same[] = {7, 7, 7}, other[] = {8, 8};
	struct nb_welch w;

	(void)state;
	/* var a = 2.5, var b = 5/3: se^2 = 2.5/5 + (5/3)/4 = 11/12;
	 * t = 3.5 / sqrt(11/12); df = (11/12)^2 / (0.5^2/4 + (5/12)^2/3)
	 * = 6.98077. */
	assert_int_equal(nb_welch_test(a, 5, b, 4, &w), 0);
	assert_float_equal(w.t, 3.5 / sqrt(11.0 / 12), 1e-12);
	assert_float_equal(w.df, (121.0 / 144) / (0.0625 + 25.0 / 432), 1e-12);
	assert_float_equal(w.df, 6.980769230769232, 1e-12);
	assert_float_equal(w.p, 0.00815617082839186, 1e-12);
	/* Swapped: t changes sign, nothing else. */
	assert_int_equal(nb_welch_test(b, 4, a, 5, &w), 0);
	assert_float_equal(w.t, -3.5 / sqrt(11.0 / 12), 1e-12);
	assert_float_equal(w.p, 0.00815617082839186, 1e-12);
	/* No variance on either side. */
	assert_int_equal(nb_welch_test(same, 3, same, 3, &w), 0);
	assert_float_equal(w.p, 1, 0);
	assert_float_equal(w.t, 0, 0);
	assert_int_equal(nb_welch_test(same, 3, other, 2, &w), 0);
	assert_float_equal(w.p, 0, 0);
	assert_true(isinf(w.t) && w.t > 0);
	assert_float_equal(w.df, 3, 0);
	/* No variance on one side only: the other's carries the test. */
	assert_int_equal(nb_welch_test(same, 3, a, 5, &w), 0);
	assert_float_equal(w.df, 4, 1e-12);
	assert_float_equal(w.t, 4 / sqrt(0.5), 1e-12);
	/* Too few values. */
	assert_int_equal(nb_welch_test(a, 1, b, 4, &w), -EINVAL);
	assert_int_equal(nb_welch_test(a, 5, b, 0, &w), -EINVAL);
}

static void t_identical(void **state)
{
	const double v[] = {9.3, 9.3, 9.3, 9.3, 9.3};
	struct nb_compare_row row;

	(void)state;
	compare_one(v, 5, v, 5, &row);
	assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	assert_float_equal(row.p, 1, 0);
	assert_false(row.significant);
	assert_false(row.regression);
	assert_float_equal(row.change_pct, 0, 0);
	assert_string_equal(row.note, "");
	compare_one(base5, 5, base5, 5, &row);
	assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	assert_float_equal(row.p, 1, 1e-12);
}

static void t_regression(void **state)
{
	double v[5];
	struct nb_compare_row row;

	(void)state;
	/* 5 % lower with the same noise. */
	scaled(v, 0.95);
	compare_one(base5, 5, v, 5, &row);
	assert_int_equal(row.verdict, NB_VERDICT_REGRESSION);
	assert_true(row.significant);
	assert_true(row.regression);
	assert_true(row.p < 1e-6);
	assert_float_equal(row.change_pct, -5, 1e-9);
	assert_float_equal(row.base_mean, 100.04e6, 1e-3);
	assert_int_equal(row.base_n, 5);
	assert_int_equal(row.new_n, 5);
	assert_string_equal(row.name, "x");
	/* Every replicate agrees on each side, 5 % apart: certain. */
	{
		const double b[] = {10, 10, 10}, n[] = {9.5, 9.5, 9.5};

		compare_one(b, 3, n, 3, &row);
		assert_int_equal(row.verdict, NB_VERDICT_REGRESSION);
		assert_float_equal(row.p, 0, 0);
	}
}

static void t_within_threshold(void **state)
{
	double v[5];
	struct nb_compare_row row;

	(void)state;
	/* 1 % lower: significant, but within the 2 % threshold. */
	scaled(v, 0.99);
	compare_one(base5, 5, v, 5, &row);
	assert_true(row.significant);
	assert_true(row.p < NB_COMPARE_ALPHA);
	assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	assert_false(row.regression);
	assert_float_equal(row.change_pct, -1, 1e-9);
}

static void t_noise(void **state)
{
	/* 5 % lower on average, but the replicates scatter by 10 %. */
	const double b[] = {100, 88, 112, 95, 105}, n[] = {80, 110, 90, 104, 91};
	struct nb_compare_row row;

	(void)state;
	compare_one(b, 5, n, 5, &row);
	assert_float_equal(row.change_pct, -5, 1e-9);
	assert_false(row.significant);
	assert_true(row.p > 0.3);
	assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	assert_false(row.regression);
}

static void t_improvement(void **state)
{
	double v[5];
	struct nb_compare_row row;

	(void)state;
	scaled(v, 1.05);
	compare_one(base5, 5, v, 5, &row);
	assert_int_equal(row.verdict, NB_VERDICT_IMPROVEMENT);
	assert_true(row.significant);
	assert_false(row.regression);
	assert_float_equal(row.change_pct, 5, 1e-9);
	/* A threshold above the change: unchanged. */
	{
		struct nb_results base = {0}, new = {0};

		add(&base, "x", "ok", base5, 5);
		add(&new, "x", "ok", v, 5);
		assert_int_equal(nb_compare_case(&base.cases[0], &new.cases[0],
						 6, 0.05, &row), 0);
		assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
		assert_true(row.significant);
		/* A tiny alpha: not significant. */
		assert_int_equal(nb_compare_case(&base.cases[0], &new.cases[0],
						 2, 1e-20, &row), 0);
		assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
		assert_false(row.significant);
		nb_results_free(&base);
		nb_results_free(&new);
	}
}

static void t_missing_failed(void **state)
{
	struct nb_results base = {0}, new = {0};
	struct nb_result_case *b, *n;
	struct nb_compare_row row;

	(void)state;
	b = add(&base, "a/h2/download", "ok", base5, 5);
	assert_int_equal(nb_compare_case(b, NULL, 2, 0.05, &row), 0);
	assert_int_equal(row.verdict, NB_VERDICT_MISSING_IN_NEW);
	assert_false(row.regression);
	assert_string_equal(row.name, "a/h2/download");
	assert_int_equal(row.base_n, 5);
	assert_int_equal(row.new_n, 0);
	assert_true(isnan(row.change_pct) && isnan(row.p));
	assert_int_equal(nb_compare_case(NULL, b, 2, 0.05, &row), 0);
	assert_int_equal(row.verdict, NB_VERDICT_MISSING_IN_BASE);
	assert_false(row.regression);
	assert_int_equal(nb_compare_case(NULL, NULL, 2, 0.05, &row), -EINVAL);
	assert_int_equal(nb_compare_case(b, b, -1, 0.05, &row), -EINVAL);
	assert_int_equal(nb_compare_case(b, b, 2, 1, &row), -EINVAL);
	assert_int_equal(nb_compare_case(b, b, 2, 0, &row), -EINVAL);

	/* Failed in NEW, ok in BASE: a regression, with the error. */
	n = add(&new, "a/h2/download", "FAILED", base5, 2);
	snprintf(n->error, sizeof(n->error), "connection reset by peer");
	assert_int_equal(nb_compare_case(&base.cases[0], n, 2, 0.05, &row), 0);
	assert_int_equal(row.verdict, NB_VERDICT_FAILED);
	assert_true(row.regression);
	assert_non_null(strstr(row.note, "new FAILED: connection reset by peer"));
	/* Failed in BASE only: not a regression. */
	assert_int_equal(nb_compare_case(&new.cases[0], &base.cases[0], 2,
					 0.05, &row), 0);
	assert_int_equal(row.verdict, NB_VERDICT_FAILED);
	assert_false(row.regression);
	assert_non_null(strstr(row.note, "base FAILED"));
	/* Failed in both: not a new regression. */
	assert_int_equal(nb_compare_case(&new.cases[0], &new.cases[0], 2,
					 0.05, &row), 0);
	assert_int_equal(row.verdict, NB_VERDICT_FAILED);
	assert_false(row.regression);
	assert_non_null(strstr(row.note, "base too"));
	/* Interrupted: says nothing of the code. */
	snprintf(new.cases[0].status, sizeof(new.cases[0].status), "INTERRUPTED");
	assert_int_equal(nb_compare_case(&base.cases[0], &new.cases[0], 2,
					 0.05, &row), 0);
	assert_int_equal(row.verdict, NB_VERDICT_FAILED);
	assert_false(row.regression);
	/* An environment change is the guard's verdict: the figures stand
	 * and are compared (the same replicates: unchanged). */
	snprintf(new.cases[0].status, sizeof(new.cases[0].status), "ENV_CHANGED");
	new.cases[0].error[0] = '\0';
	assert_int_equal(nb_compare_case(&base.cases[0], &new.cases[0], 2,
					 0.05, &row), 0);
	assert_false(row.regression);
	assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	nb_results_free(&base);
	nb_results_free(&new);
}

static void t_few(void **state)
{
	/* One kept replicate (the others discarded): tested against the
	 * other side's spread (a prediction interval). */
	const double one[] = {100, -10, -20}, low[] = {50, 51, 50, -1};
	const double slow[] = {95, -10};
	struct nb_compare_row row;
	struct nb_welch w;
	double v[5];

	(void)state;
	compare_one(base5, 5, one, 3, &row);
	assert_int_equal(row.new_n, 1);
	assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	assert_false(row.significant);
	assert_true(row.p > 0.5);
	assert_string_equal(row.note, "n=1: tested against the other run's spread");
	assert_float_equal(row.change_pct, (100 / 100.04 - 1) * 100, 1e-9);
	compare_one(base5, 5, slow, 2, &row);
	assert_int_equal(row.verdict, NB_VERDICT_REGRESSION);
	assert_true(row.p < 0.001);
	compare_one(low, 4, base5, 5, &row);
	assert_int_equal(row.base_n, 3);
	compare_one(one, 1, low, 3, &row);
	assert_int_equal(row.verdict, NB_VERDICT_REGRESSION);
	/* By hand: a = {1, 2, 3}, x = 5: s = 1, se = sqrt(4/3), t = 3 *
	 * sqrt(3) / 2 = 2.598, df 2: p = 1 - t / sqrt(t^2 + 2) = 0.12169. */
	assert_int_equal(nb_predict_test((const double[]){1, 2, 3}, 3, 5, &w), 0);
	assert_float_equal(w.t, 2.598076, 1e-6);
	assert_float_equal(w.df, 2, 0);
	assert_float_equal(w.p, 0.12169, 1e-5);
	assert_int_equal(nb_predict_test(one, 1, 5, &w), -EINVAL);
	/* One on each side: no test. */
	compare_one(one, 1, slow, 1, &row);
	assert_string_equal(row.note, "n<2: no test");
	/* A discarded replicate does not count: a slow one marked so does
	 * not make a regression. */
	{
		const double n[] = {100, 100.2, 99.9, 100.1, 100, -1};

		compare_one(base5, 5, n, 6, &row);
		assert_int_equal(row.new_n, 5);
		assert_int_equal(row.verdict, NB_VERDICT_UNCHANGED);
	}
	/* Nothing kept on one side. */
	v[0] = -100;
	compare_one(base5, 5, v, 1, &row);
	assert_int_equal(row.new_n, 0);
	assert_true(isnan(row.change_pct));
	assert_string_equal(row.note, "n<2: no test");
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void t_results(void **state)
{
	struct nb_results base = {0}, new = {0};
	double lower[5], higher[5];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	scaled(lower, 0.9);
	scaled(higher, 1.1);
	snprintf(base.backend, sizeof(base.backend), "netem");
	snprintf(new.backend, sizeof(new.backend), "userspace");
	base.replicates = new.replicates = 5;
	base.rate_scale = 1;
	new.rate_scale = 0.9;
	snprintf(base.kernel, sizeof(base.kernel), "6.1.0 #1");
	snprintf(new.kernel, sizeof(new.kernel), "6.1.0 #1");
	snprintf(base.lib[0].name, sizeof(base.lib[0].name), "gnutls");
	snprintf(base.lib[0].version, sizeof(base.lib[0].version), "3.7.9");
	snprintf(base.lib[1].name, sizeof(base.lib[1].name), "nghttp2");
	snprintf(base.lib[1].version, sizeof(base.lib[1].version), "1.52.0");
	base.nlib = 2;
	new.lib[0] = base.lib[1];
	snprintf(new.lib[1].name, sizeof(new.lib[1].name), "gnutls");
	snprintf(new.lib[1].version, sizeof(new.lib[1].version), "3.8.0");
	new.nlib = 2;

	add(&base, "10M_40ms/h2/download", "ok", base5, 5);
	add(&base, "10M_40ms/h2/upload", "ok", base5, 5);
	add(&base, "10M_40ms/h3/download", "ok", base5, 5);
	add(&base, "10M_40ms/h1/download", "ok", base5, 5);
	add(&base, "only_base/tcp/download", "ok", base5, 5);
	add(&new, "only_new/tcp/download", "ok", base5, 5);
	add(&new, "10M_40ms/h3/download", "ok", higher, 5);
	add(&new, "10M_40ms/h2/upload", "ok", base5, 5);
	add(&new, "10M_40ms/h2/download", "ok", lower, 5);
	snprintf(add(&new, "10M_40ms/h1/download", "FAILED", NULL, 0)->error,
		 sizeof(base.cases[0].error), "timed out");

	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(nb_compare_results(&base, &new, 2, 0.05, f), 2);
	fclose(f);
	printf("%s", text);
	/* The conditions that differ, one line each. */
	assert_int_equal(count(text, "warning: "), 3);
	assert_non_null(strstr(text, "warning: link backend differs: base netem, "
				     "new userspace\n"));
	assert_non_null(strstr(text, "warning: rate_scale differs: base 1, new 0.9\n"));
	assert_non_null(strstr(text, "warning: gnutls version differs: base 3.7.9, "
				     "new 3.8.0\n"));
	/* The table, in BASE's order then NEW's own. */
	assert_non_null(strstr(text, "case  "));
	assert_non_null(strstr(text, "10M_40ms/h2/download    100.040 ± 0.114 (n=5)"));
	assert_non_null(strstr(text, "-10.00%  <0.001  REGRESSION\n"));
	assert_non_null(strstr(text, "+10.00%  <0.001  IMPROVEMENT\n"));
	assert_non_null(strstr(text, "+0.00%   1.000  UNCHANGED\n"));
	assert_non_null(strstr(text, "FAILED (new FAILED: timed out)\n"));
	assert_non_null(strstr(text, "only_base/tcp/download"));
	assert_non_null(strstr(text, "MISSING_IN_NEW\n"));
	assert_true(strstr(text, "MISSING_IN_NEW") < strstr(text, "MISSING_IN_BASE"));
	assert_true(strstr(text, "h2/download") < strstr(text, "h2/upload"));
	assert_non_null(strstr(text, "\n4 cases compared, 2 regressions, "
				     "1 improvement (threshold ±2%, alpha 0.05); "
				     "2 cases in one run only\n"));
	free(text);

	/* Bad parameters. */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(nb_compare_results(&base, &new, 101, 0.05, f), -EINVAL);
	assert_int_equal(nb_compare_results(&base, &new, 2, 1.5, f), -EINVAL);
	assert_int_equal(nb_compare_results(NULL, &new, 2, 0.05, f), -EINVAL);
	fclose(f);
	assert_int_equal(len, 0);
	free(text);

	/* Against itself: nothing differs, nothing regressed. */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(nb_compare_results(&base, &base, 2, 0.05, f), 0);
	fclose(f);
	assert_int_equal(count(text, "warning: "), 0);
	assert_non_null(strstr(text, "\n5 cases compared, 0 regressions, "
				     "0 improvements (threshold ±2%, alpha 0.05)\n"));
	free(text);
	nb_results_free(&base);
	nb_results_free(&new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_betai),
		cmocka_unit_test(t_pvalue),
		cmocka_unit_test(t_welch),
		cmocka_unit_test(t_identical),
		cmocka_unit_test(t_regression),
		cmocka_unit_test(t_within_threshold),
		cmocka_unit_test(t_noise),
		cmocka_unit_test(t_improvement),
		cmocka_unit_test(t_missing_failed),
		cmocka_unit_test(t_few),
		cmocka_unit_test(t_results),
	};

	return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
