/* netbench: small helpers for HTML and inline SVG (see svg.h). */
#include "svg.h"

#include <math.h>
#include <stdio.h>

void nb_html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n')
				fputc(c, f);
		}
	}
}

void nb_axis_nice(double hi, int target, struct nb_axis *a)
{
	double raw, mag, norm;
	int k;

	if (!isfinite(hi) || hi <= 0)
		hi = 1;
	if (hi < 1e-6)
		hi = 1e-6;
	if (target < 1)
		target = 1;
	raw = hi / target;
	k = (int)floor(log10(raw));
	mag = pow(10, k);
	norm = raw / mag;
	if (norm <= 1 + 1e-9) {
		a->step = mag;
	} else if (norm <= 2 + 1e-9) {
		a->step = 2 * mag;
	} else if (norm <= 5 + 1e-9) {
		a->step = 5 * mag;
	} else {
		a->step = 10 * mag;
		k++;
	}
	a->n = (int)ceil(hi / a->step - 1e-9);
	if (a->n < 1)
		a->n = 1;
	a->max = a->n * a->step;
	a->decimals = k < 0 ? -k : 0;
	if (a->decimals > 9)
		a->decimals = 9;
}

void nb_axis_label(const struct nb_axis *a, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%.*f", a->decimals, i * a->step);
}

static double frac(const struct nb_axis *a, double v)
{
	double t = a->max > 0 ? nb_svg_fin(v) / a->max : 0;

	return t < 0 ? 0 : t > 1 ? 1 : t;
}

double nb_plot_x(const struct nb_plot *p, const struct nb_axis *a, double v)
{
	return p->x + frac(a, v) * p->w;
}

double nb_plot_y(const struct nb_plot *p, const struct nb_axis *a, double v)
{
	return p->y + p->h - frac(a, v) * p->h;
}

void nb_svg_xaxis(FILE *f, const struct nb_plot *p, const struct nb_axis *a,
		  const char *title)
{
	double bottom = p->y + p->h;
	char label[32];

	fputs("<g class=\"axis\">", f);
	for (int i = 0; i <= a->n; i++) {
		double x = nb_plot_x(p, a, i * a->step);

		nb_axis_label(a, i, label, sizeof(label));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\"/>", x, p->y, x, bottom);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/>", x, bottom, x, bottom + 5);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
			"%s</text>", x, bottom + 18, label);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
		p->x, bottom, p->x + p->w, bottom);
	fprintf(f, "<text class=\"atitle\" x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"middle\">", p->x + p->w / 2, bottom + 36);
	nb_html_esc(f, title);
	fputs("</text></g>\n", f);
}

void nb_svg_yaxis(FILE *f, const struct nb_plot *p, const struct nb_axis *a,
		  const char *title)
{
	char label[32];

	fputs("<g class=\"axis\">", f);
	for (int i = 0; i <= a->n; i++) {
		double y = nb_plot_y(p, a, i * a->step);

		nb_axis_label(a, i, label, sizeof(label));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\"/>", p->x, y, p->x + p->w, y);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/>", p->x - 5, y, p->x, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
			"%s</text>", p->x - 8, y + 4, label);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
		p->x, p->y, p->x, p->y + p->h);
	fprintf(f, "<text class=\"atitle\" x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">",
		p->x - 46, p->y + p->h / 2, p->x - 46, p->y + p->h / 2);
	nb_html_esc(f, title);
	fputs("</text></g>\n", f);
}

void nb_svg_points(FILE *f, const struct nb_plot *p, const struct nb_axis *ax,
		   const struct nb_axis *ay, const double *v, size_t n,
		   double dx, double scale, size_t max_points)
{
	size_t k = max_points ? (n + max_points - 1) / max_points : 1;

	for (size_t j = 0; v && j < n; j += k) {
		size_t m = n - j < k ? n - j : k;
		double sum = 0;

		for (size_t q = 0; q < m; q++)
			sum += fmax(nb_svg_fin(v[j + q]), 0);
		fprintf(f, "%s%.1f,%.1f", j ? " " : "",
			nb_plot_x(p, ax, ((double)j + (double)m / 2) * dx),
			nb_plot_y(p, ay,
				  scale > 0 ? sum / (double)m / scale : 0));
	}
}

void nb_svg_legend(FILE *f, const struct nb_plot *p, size_t row,
		   const char *attrs, const char *text)
{
	double y = p->y + 8 + NB_SVG_LEGEND_ROW * (double)row;
	double x = p->x + p->w + 16;

	fprintf(f, "<line %s x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\">", attrs, x, y,
		x + 22, y, x + 28, y + 4);
	nb_html_esc(f, text);
	fputs("</text>\n", f);
}
