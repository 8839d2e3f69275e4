/* netbench: two runs' results side by side (see compare.h). */
#include "compare.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stats.h"

/* --- Student's t ---------------------------------------------------------- */

/* One step of the modified Lentz method with partial numerator aa:
 * updates c and d and returns the factor of the convergent. */
static double lentz_step(double aa, double *c, double *d)
{
	const double tiny = 1e-300;

	*d = 1 + aa * *d;
	if (fabs(*d) < tiny)
		*d = tiny;
	*c = 1 + aa / *c;
	if (fabs(*c) < tiny)
		*c = tiny;
	*d = 1 / *d;
	return *d * *c;
}

/* The continued fraction of I_x(a, b) (Numerical Recipes' betacf), by the
 * modified Lentz method. Converges fast for x < (a + 1) / (a + b + 2); it
 * needs O(sqrt(max(a, b))) terms. */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double qab = a + b, qap = a + 1, qam = a - 1;
	double c = 1, d = 1 - qab * x / qap, h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 100000; m++) {
		double m2 = 2.0 * m, del;

		/* The even step, then the odd one. */
		h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
		del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
				 &c, &d);
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

double nb_betai(double a, double b, double x)
{
	double front;

	if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1) || isinf(a) ||
	    isinf(b))
		return NAN;
	if (x == 0 || x == 1)
		return x;
	/* x^a (1-x)^b / (a B(a, b)) times the fraction, on whichever side
	 * the fraction converges; I_x(a, b) = 1 - I_{1-x}(b, a). */
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
		    b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * betacf(a, b, x) / a;
	return 1 - front * betacf(b, a, 1 - x) / b;
}

double nb_t_pvalue(double t, double df)
{
	double p;

	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return 0;
	if (t == 0)
		return 1;
	/* P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2). */
	p = nb_betai(df / 2, 0.5, df / (df + t * t));
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

int nb_welch_test(const double *a, size_t na, const double *b, size_t nb,
		  struct nb_welch *w)
{
	struct nb_stats sa, sb;
	double va, vb, se2, scale;

	if (na < 2 || nb < 2)
		return nb_fail(-EINVAL, "Welch's t-test needs 2 values a side "
				       "(got %zu and %zu)", na, nb);
	nb_stats_compute(a, na, &sa);
	nb_stats_compute(b, nb, &sb);
	va = sa.stdev * sa.stdev / (double)na;
	vb = sb.stdev * sb.stdev / (double)nb;
	se2 = va + vb;
	scale = fmax(fabs(sa.mean), fabs(sb.mean));
	/* Every replicate agrees on both sides (up to rounding): the
	 * difference of the means, if any, is certain. */
	if (se2 <= (1e-12 * scale) * (1e-12 * scale)) {
		w->df = (double)(na + nb - 2);
		if (fabs(sb.mean - sa.mean) <= 1e-12 * scale) {
			w->t = 0;
			w->p = 1;
		} else {
			w->t = copysign(INFINITY, sb.mean - sa.mean);
			w->p = 0;
		}
		return 0;
	}
	w->t = (sb.mean - sa.mean) / sqrt(se2);
	w->df = se2 * se2 / (va * va / (double)(na - 1) +
			     vb * vb / (double)(nb - 1));
	w->p = nb_t_pvalue(w->t, w->df);
	return 0;
}

int nb_predict_test(const double *a, size_t na, double x, struct nb_welch *w)
{
	struct nb_stats sa;
	double se;

	if (na < 2)
		return nb_fail(-EINVAL, "a prediction test needs 2 values "
			       "(got %zu)", na);
	nb_stats_compute(a, na, &sa);
	w->df = (double)(na - 1);
	se = sa.stdev * sqrt(1 + 1.0 / (double)na);
	if (se <= 1e-12 * fmax(fabs(sa.mean), fabs(x))) {
		bool same = fabs(x - sa.mean) <= 1e-12 * fmax(fabs(sa.mean), fabs(x));

		w->t = same ? 0 : copysign(INFINITY, x - sa.mean);
		w->p = same ? 1 : 0;
		return 0;
	}
	w->t = (x - sa.mean) / se;
	w->p = nb_t_pvalue(w->t, w->df);
	return 0;
}

/* --- one case ------------------------------------------------------------- */

const char *nb_verdict_name(enum nb_verdict v)
{
	switch (v) {
	case NB_VERDICT_UNCHANGED:
		return "UNCHANGED";
	case NB_VERDICT_REGRESSION:
		return "REGRESSION";
	case NB_VERDICT_IMPROVEMENT:
		return "IMPROVEMENT";
	case NB_VERDICT_MISSING_IN_NEW:
		return "MISSING_IN_NEW";
	case NB_VERDICT_MISSING_IN_BASE:
		return "MISSING_IN_BASE";
	case NB_VERDICT_FAILED:
		return "FAILED";
	}
	return "?";
}

static int check_params(double threshold_pct, double alpha)
{
	if (!(threshold_pct >= 0 && threshold_pct <= 100))
		return nb_fail(-EINVAL, "threshold %g%% is not from 0 to 100",
			       threshold_pct);
	if (!(alpha > 0 && alpha < 1))
		return nb_fail(-EINVAL, "alpha %g is not between 0 and 1", alpha);
	return 0;
}

/* The kept goodputs of c into *v (malloc'd), their statistics into st. */
static int kept(const struct nb_result_case *c, double **v,
		struct nb_stats *st)
{
	*v = malloc((c->nrep ? c->nrep : 1) * sizeof(**v));
	if (!*v)
		return nb_fail(-ENOMEM, "compare: out of memory");
	nb_stats_compute(*v, nb_result_case_goodputs(c, *v, c->nrep), st);
	return 0;
}

/* A case whose figures stand: ok, or ENV_CHANGED (its transfers finished
 * and verified; what it left behind is the guard's verdict, not a
 * measurement's). */
static bool is_ok(const struct nb_result_case *c)
{
	return !strcmp(c->status, "ok") || !strcmp(c->status, "ENV_CHANGED");
}

static void note_failure(struct nb_compare_row *row,
			 const struct nb_result_case *base,
			 const struct nb_result_case *new)
{
	const struct nb_result_case *c = is_ok(new) ? base : new;
	const char *side = c == new ? "new" : "base";

	snprintf(row->note, sizeof(row->note), "%s %s%s%.*s%s", side,
		 c->status, c->error[0] ? ": " : "", 150, c->error,
		 !is_ok(new) && !is_ok(base) ? "; base too" : "");
}

int nb_compare_case(const struct nb_result_case *base,
		    const struct nb_result_case *new, double threshold_pct,
		    double alpha, struct nb_compare_row *row)
{
	double *bv = NULL, *nv = NULL;
	struct nb_stats bs = {0}, ns = {0};
	struct nb_welch w;
	int rv;

	memset(row, 0, sizeof(*row));
	row->change_pct = NAN;
	row->p = NAN;
	if (!base && !new)
		return nb_fail(-EINVAL, "compare: no case on either side");
	rv = check_params(threshold_pct, alpha);
	if (rv)
		return rv;
	snprintf(row->name, sizeof(row->name), "%s", base ? base->name : new->name);
	if ((base && (rv = kept(base, &bv, &bs))) ||
	    (new && (rv = kept(new, &nv, &ns))))
		goto out;
	row->base_mean = bs.mean;
	row->base_stdev = bs.stdev;
	row->base_n = bs.n;
	row->new_mean = ns.mean;
	row->new_stdev = ns.stdev;
	row->new_n = ns.n;
	if (!new) {
		row->verdict = NB_VERDICT_MISSING_IN_NEW;
		goto out;
	}
	if (!base) {
		row->verdict = NB_VERDICT_MISSING_IN_BASE;
		goto out;
	}
	if (!is_ok(base) || !is_ok(new)) {
		/* Ok before, failed now: a regression, unless the run was
		 * interrupted (which says nothing of the code). */
		row->verdict = NB_VERDICT_FAILED;
		row->regression = is_ok(base) &&
				  strcmp(new->status, "INTERRUPTED") != 0;
		note_failure(row, base, new);
		goto out;
	}
	if (bs.n && ns.n && bs.mean > 0)
		row->change_pct = (ns.mean / bs.mean - 1) * 100;
	row->verdict = NB_VERDICT_UNCHANGED;
	if (bs.n < 1 || ns.n < 1 || bs.n + ns.n < 3) {
		snprintf(row->note, sizeof(row->note), "n<2: no test");
		goto out;
	}
	if (bs.n == 1 || ns.n == 1) {
		/* One replicate left on a side (the others discarded): is it
		 * within the spread of the other side's? */
		nb_predict_test(bs.n == 1 ? nv : bv, bs.n == 1 ? ns.n : bs.n,
				bs.n == 1 ? bv[0] : nv[0], &w);
		snprintf(row->note, sizeof(row->note), "n=1: tested against "
			 "the other run's spread");
	} else {
		nb_welch_test(bv, bs.n, nv, ns.n, &w);
	}
	row->p = w.p;
	row->significant = w.p < alpha;
	if (row->significant && row->change_pct < -threshold_pct) {
		row->verdict = NB_VERDICT_REGRESSION;
		row->regression = true;
	} else if (row->significant && row->change_pct > threshold_pct) {
		row->verdict = NB_VERDICT_IMPROVEMENT;
	}
out:
	free(bv);
	free(nv);
	return rv;
}

/* --- every case ------------------------------------------------------------ */

int nb_compare_build(const struct nb_results *base,
		     const struct nb_results *new, double threshold_pct,
		     double alpha, struct nb_compare *cmp)
{
	size_t cap = base->ncases + new->ncases;
	int rv;

	memset(cmp, 0, sizeof(*cmp));
	cmp->threshold_pct = threshold_pct;
	cmp->alpha = alpha;
	rv = check_params(threshold_pct, alpha);
	if (rv)
		return rv;
	cmp->rows = calloc(cap ? cap : 1, sizeof(*cmp->rows));
	if (!cmp->rows)
		return nb_fail(-ENOMEM, "compare: out of memory");
	for (size_t i = 0; i < base->ncases + new->ncases; i++) {
		const struct nb_result_case *b, *n;
		struct nb_compare_row *row = &cmp->rows[cmp->nrows];

		if (i < base->ncases) {
			b = &base->cases[i];
			n = nb_results_find(new, b->name);
		} else {
			n = &new->cases[i - base->ncases];
			b = NULL;
			if (nb_results_find(base, n->name))
				continue;       /* already compared */
		}
		rv = nb_compare_case(b, n, threshold_pct, alpha, row);
		if (rv) {
			nb_compare_free(cmp);
			return rv;
		}
		cmp->nrows++;
		cmp->compared += b && n;
		cmp->regressions += row->regression;
		cmp->improvements += row->verdict == NB_VERDICT_IMPROVEMENT;
	}
	return 0;
}

void nb_compare_free(struct nb_compare *cmp)
{
	free(cmp->rows);
	cmp->rows = NULL;
	cmp->nrows = 0;
}

/* --- printing ------------------------------------------------------------- */

static size_t cond_str(FILE *out, const char *what, const char *b,
		       const char *n)
{
	if (!strcmp(b, n))
		return 0;
	fprintf(out, "warning: %s differs: base %s, new %s\n", what,
		b[0] ? b : "(none)", n[0] ? n : "(none)");
	return 1;
}

static size_t cond_num(FILE *out, const char *what, double b, double n,
		       const char *unit)
{
	char bs[48], ns[48];

	if (b == n)
		return 0;
	snprintf(bs, sizeof(bs), "%g%s", b, unit);
	snprintf(ns, sizeof(ns), "%g%s", n, unit);
	return cond_str(out, what, bs, ns);
}

static const char *lib_version(const struct nb_results *r, const char *name)
{
	for (size_t i = 0; i < r->nlib; i++)
		if (!strcmp(r->lib[i].name, name))
			return r->lib[i].version;
	return "";
}

size_t nb_compare_conditions(FILE *out, const struct nb_results *base,
			     const struct nb_results *new)
{
	size_t n = 0;
	char what[48];

	n += cond_str(out, "link backend", base->backend, new->backend);
	n += cond_str(out, "TCP congestion control", base->tcp_cc, new->tcp_cc);
	n += cond_num(out, "loss", base->loss_pct, new->loss_pct, "%");
	n += cond_num(out, "replicates", base->replicates, new->replicates, "");
	n += cond_num(out, "duration", base->duration_s, new->duration_s, " s");
	n += cond_num(out, "size", (double)base->size, (double)new->size, " B");
	n += cond_num(out, "rate_scale", base->rate_scale, new->rate_scale, "");
	n += cond_str(out, "kernel", base->kernel, new->kernel);
	n += cond_str(out, "CPU", base->cpu_model, new->cpu_model);
	for (size_t i = 0; i < base->nlib; i++) {
		snprintf(what, sizeof(what), "%s version", base->lib[i].name);
		n += cond_str(out, what, base->lib[i].version,
			      lib_version(new, base->lib[i].name));
	}
	for (size_t i = 0; i < new->nlib; i++) {
		if (lib_version(base, new->lib[i].name)[0])
			continue;
		snprintf(what, sizeof(what), "%s version", new->lib[i].name);
		n += cond_str(out, what, "", new->lib[i].version);
	}
	return n;
}

/* Display width of UTF-8 text (code points; "±" is one column). */
static int width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* s left-aligned in a field of w columns. */
static void pad(FILE *out, const char *s, int w)
{
	int n = w - width(s);

	fprintf(out, "%s%*s", s, n > 0 ? n : 0, "");
}

static void goodput_cell(char *buf, size_t len, double mean, double stdev,
			 size_t n)
{
	if (!n)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f ± %.3f (n=%zu)", mean / 1e6,
			 stdev / 1e6, n);
}

static void p_cell(char *buf, size_t len, double p)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 0.001)
		snprintf(buf, len, "<0.001");
	else
		snprintf(buf, len, "%.3f", p);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

void nb_compare_print(FILE *out, const struct nb_compare *cmp)
{
	int wname = width("case"), wbase = width("base Mbit/s"),
	    wnew = width("new Mbit/s");
	size_t missing = 0;
	char cell[96];

	for (size_t i = 0; i < cmp->nrows; i++) {
		const struct nb_compare_row *r = &cmp->rows[i];
		int w = width(r->name);

		wname = w > wname ? w : wname;
		goodput_cell(cell, sizeof(cell), r->base_mean, r->base_stdev,
			     r->base_n);
		w = width(cell);
		wbase = w > wbase ? w : wbase;
		goodput_cell(cell, sizeof(cell), r->new_mean, r->new_stdev,
			     r->new_n);
		w = width(cell);
		wnew = w > wnew ? w : wnew;
	}
	pad(out, "case", wname);
	fputs("  ", out);
	pad(out, "base Mbit/s", wbase);
	fputs("  ", out);
	pad(out, "new Mbit/s", wnew);
	fprintf(out, "  %8s  %6s  %s\n", "change", "p", "verdict");
	for (size_t i = 0; i < cmp->nrows; i++) {
		const struct nb_compare_row *r = &cmp->rows[i];

		missing += r->verdict == NB_VERDICT_MISSING_IN_NEW ||
			   r->verdict == NB_VERDICT_MISSING_IN_BASE;
		pad(out, r->name, wname);
		fputs("  ", out);
		goodput_cell(cell, sizeof(cell), r->base_mean, r->base_stdev,
			     r->base_n);
		pad(out, cell, wbase);
		fputs("  ", out);
		goodput_cell(cell, sizeof(cell), r->new_mean, r->new_stdev,
			     r->new_n);
		pad(out, cell, wnew);
		if (isnan(r->change_pct))
			snprintf(cell, sizeof(cell), "-");
		else
			snprintf(cell, sizeof(cell), "%+.2f%%", r->change_pct);
		fprintf(out, "  %8s", cell);
		p_cell(cell, sizeof(cell), r->p);
		fprintf(out, "  %6s  %s%s%s%s\n", cell, nb_verdict_name(r->verdict),
			r->note[0] ? " (" : "", r->note, r->note[0] ? ")" : "");
	}
	fprintf(out, "%zu case%s compared, %zu regression%s, %zu improvement%s "
		"(threshold ±%g%%, alpha %g)", cmp->compared,
		plural(cmp->compared), cmp->regressions,
		plural(cmp->regressions), cmp->improvements,
		plural(cmp->improvements), cmp->threshold_pct, cmp->alpha);
	if (missing)
		fprintf(out, "; %zu case%s in one run only", missing,
			plural(missing));
	fputc('\n', out);
}

int nb_compare_results(const struct nb_results *base,
		       const struct nb_results *new, double threshold_pct,
		       double alpha, FILE *out)
{
	struct nb_compare cmp;
	int rv;

	if (!base || !new || !out)
		return nb_fail(-EINVAL, "compare: no results to compare");
	rv = nb_compare_build(base, new, threshold_pct, alpha, &cmp);
	if (rv)
		return rv;
	nb_compare_conditions(out, base, new);
	nb_compare_print(out, &cmp);
	rv = cmp.regressions > INT_MAX ? INT_MAX : (int)cmp.regressions;
	nb_compare_free(&cmp);
	if (fflush(out) || ferror(out))
		return nb_fail(-EIO, "compare: writing the table: %s",
			       strerror(errno ? errno : EIO));
	return rv;
}
