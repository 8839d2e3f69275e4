/* netbench: two runs' results side by side (`netbench compare`, and
 * `netbench run --compare`).
 *
 * Per case present in both runs: the change of the mean goodput and
 * Welch's two-sample t-test on the kept replicates (unequal variances;
 * the two-sided p-value from Student's t distribution). A change is
 * significant when p < alpha; it is a regression when significant and
 * more than threshold_pct lower (goodput: higher is better), an
 * improvement when significant and more than threshold_pct higher, and
 * unchanged otherwise (the table still shows its p). A case that ran ok
 * in BASE and failed in NEW is a regression too.
 *
 * Pure logic: nothing here reads a file; the print functions write to the
 * stream they are given.
 */
#ifndef NB_COMPARE_H
#define NB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "results.h"

/* Defaults: perfherder's alertThreshold (%), and the usual alpha. */
#define NB_COMPARE_THRESHOLD_PCT 2.0
#define NB_COMPARE_ALPHA 0.05

/* The regularized incomplete beta function I_x(a, b), a > 0, b > 0,
 * 0 <= x <= 1 (continued fraction, modified Lentz). NaN outside. */
double nb_betai(double a, double b, double x);

/* Two-sided p-value of Student's t distribution with df degrees of
 * freedom (df > 0, not necessarily whole): P(|T| >= |t|). NaN when df is
 * not > 0 or t is NaN; 0 for an infinite t. */
double nb_t_pvalue(double t, double df);

struct nb_welch {
	double t;       /* (mean b - mean a) / standard error */
	double df;      /* Welch–Satterthwaite */
	double p;       /* two-sided */
};

/* Welch's t-test of b against a. When both samples have no variance
 * (every replicate agrees) there is no t distribution: p = 1 if the means
 * are equal, else 0 (t = 0 or +-inf, df = na + nb - 2). Errors: -EINVAL
 * when na or nb < 2 (no test possible). */
int nb_welch_test(const double *a, size_t na, const double *b, size_t nb,
		  struct nb_welch *w);

/* One value x against a sample a of na values: the two-sided p of x
 * belonging to a's distribution (t = (x - mean) / (s sqrt(1 + 1/na)),
 * na - 1 degrees of freedom: the prediction interval). Used when
 * discards leave one replicate on a side. No variance in a: p = 1 if x is
 * its mean, else 0. Errors: -EINVAL when na < 2. */
int nb_predict_test(const double *a, size_t na, double x, struct nb_welch *w);

enum nb_verdict {
	NB_VERDICT_UNCHANGED,
	NB_VERDICT_REGRESSION,
	NB_VERDICT_IMPROVEMENT,
	NB_VERDICT_MISSING_IN_NEW,
	NB_VERDICT_MISSING_IN_BASE,
	NB_VERDICT_FAILED,      /* not "ok" in BASE, NEW or both */
};

/* "UNCHANGED", "REGRESSION", ... */
const char *nb_verdict_name(enum nb_verdict v);

struct nb_compare_row {
	char name[96];
	double base_mean, new_mean;     /* bit/s, of the kept replicates */
	double base_stdev, new_stdev;
	size_t base_n, new_n;           /* kept replicates */
	double change_pct;              /* new / base - 1, in %; NaN: none */
	double p;                       /* NaN: no test */
	bool significant;               /* p < alpha */
	enum nb_verdict verdict;
	bool regression;                /* counts toward the exit code */
	/* Why: "n<2: no test", or for FAILED which side failed and its
	 * error. "" otherwise. */
	char note[192];
};

/* One case of BASE against the same case of NEW (either may be NULL:
 * missing there, not both). Errors: -EINVAL (both NULL, threshold_pct not
 * in [0, 100], alpha not in (0, 1)), -ENOMEM. */
int nb_compare_case(const struct nb_result_case *base,
		    const struct nb_result_case *new, double threshold_pct,
		    double alpha, struct nb_compare_row *row);

struct nb_compare {
	struct nb_compare_row *rows;    /* BASE's order, then NEW-only */
	size_t nrows;
	double threshold_pct, alpha;
	size_t compared;                /* in both runs */
	size_t regressions, improvements;
};

/* Every case of base and new. Errors: as nb_compare_case; cmp is left
 * empty on error. */
int nb_compare_build(const struct nb_results *base,
		     const struct nb_results *new, double threshold_pct,
		     double alpha, struct nb_compare *cmp);

void nb_compare_free(struct nb_compare *cmp);

/* Prints "warning: <what> differs: base X, new Y" for each run condition
 * that differs (backend, loss, replicates, duration, size, rate_scale,
 * kernel, CPU, library versions), one line each; returns how many. */
size_t nb_compare_conditions(FILE *out, const struct nb_results *base,
			     const struct nb_results *new);

/* The table: case, base and new Mbit/s (mean ± stdev, n), change, p,
 * verdict; then "N cases compared, R regressions, I improvements
 * (threshold ±T%, alpha A)". */
void nb_compare_print(FILE *out, const struct nb_compare *cmp);

/* All of the above: warnings on differing conditions, then the table, to
 * out. Returns the number of regressions (>= 0), or a negative errno:
 * -EINVAL (a NULL argument, threshold_pct not in [0, 100], alpha not in
 * (0, 1)), -ENOMEM, -EIO (writing to out failed); nb_lasterr() says
 * which. */
int nb_compare_results(const struct nb_results *base,
		       const struct nb_results *new, double threshold_pct,
		       double alpha, FILE *out);

#endif
