/* netbench: small helpers for HTML and inline SVG (report_html.c).
 *
 * Everything written goes through these so that a string is always
 * escaped and a number is always finite: no "nan" or "inf" reaches a page.
 */
#ifndef NB_SVG_H
#define NB_SVG_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

/* x if it is a finite number, else 0. */
static inline double nb_svg_fin(double x)
{
	return isfinite(x) ? x : 0.0;
}

/* Writes s with & < > " ' escaped, fit for HTML text, attribute values and
 * SVG <title>/<text>; control characters other than tab and newline are
 * dropped. NULL writes nothing. */
void nb_html_esc(FILE *f, const char *s);

/* An axis from 0 to max in n steps of step (1, 2 or 5 x 10^k), labels with
 * `decimals` digits after the point. */
struct nb_axis {
	double max, step;
	int n, decimals;
};

/* The axis of about `target` ticks that covers [0, hi]. hi <= 0 or not a
 * number gives 0..1. */
void nb_axis_nice(double hi, int target, struct nb_axis *a);

/* Tick i's label ("%.*f" of i x step). */
void nb_axis_label(const struct nb_axis *a, int i, char *buf, size_t len);

/* The plot area of a chart, in SVG user units (y down). */
struct nb_plot {
	double x, y, w, h;
};

/* Pixel position of v on the x axis (clamped into the plot). */
double nb_plot_x(const struct nb_plot *p, const struct nb_axis *a, double v);
/* Pixel position of v on the y axis (0 at the bottom, clamped). */
double nb_plot_y(const struct nb_plot *p, const struct nb_axis *a, double v);

/* Ticks, grid lines and labels of a horizontal axis under the plot, with
 * `title` centred below it. */
void nb_svg_xaxis(FILE *f, const struct nb_plot *p, const struct nb_axis *a,
		  const char *title);

/* The same for a vertical axis left of the plot, `title` rotated. */
void nb_svg_yaxis(FILE *f, const struct nb_plot *p, const struct nb_axis *a,
		  const char *title);

/* The content of a polyline's points attribute: v[i] / scale at time
 * (i + 1/2) x dx; non-numbers and negatives as 0; averaged over
 * consecutive values down to at most max_points points. */
void nb_svg_points(FILE *f, const struct nb_plot *p, const struct nb_axis *ax,
		   const struct nb_axis *ay, const double *v, size_t n,
		   double dx, double scale, size_t max_points);

/* Legend row `row` right of the plot: a line sample with `attrs` (class,
 * stroke) and `text`. */
#define NB_SVG_LEGEND_ROW 18.0
void nb_svg_legend(FILE *f, const struct nb_plot *p, size_t row,
		   const char *attrs, const char *text);

#endif
