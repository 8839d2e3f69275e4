/* netbench: report.html, one self-contained page per run (see results.h).
 *
 * The run's conditions, a summary table, then two kinds of inline SVG
 * chart: per profile, each case's mean goodput as a bar against its
 * ceiling (replicates as dots, min-max whisker); per case, the goodput of
 * every replicate per NB_BUCKET_S bucket against time. No script, no
 * resource from anywhere: the page reads the same offline. Each chart is
 * <svg class="chart"> with data-profile or data-case and a <title>.
 */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "error.h"
#include "goodput.h"
#include "svg.h"

#define CHART_W 960.0
#define BAR_ROW 34.0           /* height of one case in a bar chart */
#define SERIES_MAX_POINTS 1200 /* more buckets are averaged into these */

static const char *const palette[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
	"#8c564b", "#e377c2", "#17becf", "#bcbd22",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))
#define NLIB(r) (sizeof((r)->lib) / sizeof((r)->lib[0]))

static const char css[] =
	"body{font-family:system-ui,sans-serif;margin:24px;color:#222;"
	"background:#fff;max-width:1220px}\n"
	"h1{font-size:1.6em;margin:0 0 .4em}\n"
	"h2{margin-top:1.6em;border-bottom:1px solid #ccc}\n"
	"h3{margin:1.2em 0 .2em;font-size:1.05em}\n"
	"table{border-collapse:collapse;font-size:13px}\n"
	"td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}\n"
	"th{background:#f2f2f2}\n"
	".l{text-align:left}\n"
	"table.meta td{text-align:left}\n"
	"table.meta td:first-child{font-weight:600;background:#fafafa}\n"
	"tr.bad td{background:#fde8e8}\n"
	".warn{border:2px solid #c00;background:#fff0f0;color:#900;"
	"padding:6px 10px;font-weight:600;display:inline-block}\n"
	".err{color:#a00;font-family:monospace;white-space:pre-wrap;"
	"text-align:left}\n"
	".note{color:#555;font-size:13px}\n"
	"svg.chart{display:block;max-width:100%;height:auto;font-size:12px;"
	"margin:4px 0 14px}\n"
	"svg.chart text{fill:#333}\n"
	"svg.chart .axis line{stroke:#888}\n"
	"svg.chart .axis line.grid{stroke:#e8e8e8}\n"
	"svg.chart .atitle{font-weight:600}\n"
	"svg.chart .ceil{stroke:#d00;stroke-width:2.5}\n"
	"svg.chart line.ceil.ts{stroke-width:1.5;stroke-dasharray:6 4}\n"
	"svg.chart .whisk{stroke:#222;stroke-width:1.2}\n"
	"svg.chart circle.rep{fill:#111;stroke:#fff;stroke-width:1}\n"
	"svg.chart circle.disc{fill:none;stroke:#888;stroke-width:1.2}\n"
	"svg.chart text.fail{fill:#c00;font-weight:700}\n"
	"svg.chart polyline{fill:none;stroke-width:1.6}\n"
	"svg.chart polyline.disc{stroke:#999;stroke-dasharray:4 3}\n";

/* bit/s as Mbit/s, precision by magnitude; an em dash if not finite. */
static const char *mbps(char *buf, size_t len, double bps)
{
	double v = bps / 1e6;

	if (!isfinite(v))
		snprintf(buf, len, "\u2014");
	else
		snprintf(buf, len, "%.*f", fabs(v) >= 100 ? 1 :
			 fabs(v) >= 1 ? 2 : 3, v);
	return buf;
}

/* "%.<prec>f" of v, or an em dash if v is not finite or `ok` is false. */
static const char *num(char *buf, size_t len, bool ok, int prec, double v)
{
	if (!ok || !isfinite(v))
		snprintf(buf, len, "\u2014");
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

/* A case gets a bar when it has kept replicates and did not fail. */
static bool drawable(const struct nb_result_case *c)
{
	return c->st.n && strcmp(c->status, "FAILED");
}

/* Table cells: a number, or a dash unless ok. */
static void td_mbps(FILE *f, bool ok, double bps)
{
	char b[64];

	fprintf(f, "<td>%s</td>", ok ? mbps(b, sizeof(b), bps) : "\u2014");
}

static void td_num(FILE *f, bool ok, int prec, double v)
{
	char b[64];

	fprintf(f, "<td>%s</td>", num(b, sizeof(b), ok, prec, v));
}

static bool has_ceiling(const struct nb_result_case *c)
{
	return isfinite(c->ceiling_bps) && c->ceiling_bps > 0;
}

static const char *proto_colour(const char *proto)
{
	static const char *const names[] = {"tcp", "h1", "h2", "h3"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(proto, names[i]))
			return palette[i];
	return palette[4];
}

static size_t ndiscarded(const struct nb_result_case *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nrep; i++)
		n += c->rep[i].discarded;
	return n;
}

static void meta_row(FILE *f, const char *key, const char *val)
{
	fputs("<tr><td>", f);
	nb_html_esc(f, key);
	fputs("</td><td>", f);
	nb_html_esc(f, val && *val ? val : "\u2014");
	fputs("</td></tr>\n", f);
}

static void write_head(const struct nb_results *r, FILE *f)
{
	char buf[512], b[64], loss[64];
	size_t off = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n<title>netbench report ", f);
	nb_html_esc(f, r->started);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		"<h1>netbench report</h1>\n", css);
	if (isfinite(r->rate_scale))
		snprintf(b, sizeof(b), "%.4g", r->rate_scale);
	else
		snprintf(b, sizeof(b), "\u2014");
	if (!isfinite(r->rate_scale) || fabs(r->rate_scale - 1) > 1e-9)
		fprintf(f, "<p class=\"warn\">the shaped rate was scaled by %s "
			"(test knob)</p>\n", b);
	fputs("<table class=\"meta\">\n", f);
	meta_row(f, "netbench", r->netbench_version);
	meta_row(f, "started", r->started);
	meta_row(f, "host", r->host);
	meta_row(f, "kernel", r->kernel);
	meta_row(f, "machine", r->machine);
	snprintf(buf, sizeof(buf), "%u", r->cpus);
	meta_row(f, "cpus", buf);
	meta_row(f, "cpu model", r->cpu_model);
	meta_row(f, "link backend", r->backend);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->seed);
	meta_row(f, "seed", buf);
	snprintf(buf, sizeof(buf), "%s %%",
		 num(loss, sizeof(loss), true, 3, r->loss_pct));
	meta_row(f, "loss", buf);
	snprintf(buf, sizeof(buf), "%u per case", r->replicates);
	meta_row(f, "replicates", buf);
	if (isfinite(r->duration_s) && r->duration_s > 0)
		snprintf(buf, sizeof(buf), "%.3g s per replicate",
			 r->duration_s);
	else if (r->size)
		snprintf(buf, sizeof(buf), "%llu bytes per replicate",
			 (unsigned long long)r->size);
	else
		buf[0] = '\0';
	meta_row(f, "duration / size", buf);
	meta_row(f, "rate scale", b);
	buf[0] = '\0';
	for (size_t i = 0; i < r->nlib && i < NLIB(r) && off < sizeof(buf);
	     i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s %s",
					i ? ", " : "", r->lib[i].name,
					r->lib[i].version);
	meta_row(f, "libraries", buf);
	fputs("</table>\n", f);
}

static void write_summary(const struct nb_results *r, FILE *f)
{
	size_t disc = 0;
	char b[64];

	fputs("<h2>Summary</h2>\n<table class=\"summary\">\n<tr>"
	      "<th class=\"l\">case</th><th class=\"l\">status</th><th>n</th>"
	      "<th>mean Mbit/s</th><th>median</th><th>stdev</th><th>CV %</th>"
	      "<th>min</th><th>max</th><th>ceiling Mbit/s</th>"
	      "<th>efficiency %</th><th>tcp baseline Mbit/s</th>"
	      "<th>ratio to tcp</th><th class=\"l\">error</th></tr>\n", f);
	for (size_t i = 0; i < r->ncases; i++) {
		const struct nb_result_case *c = &r->cases[i];
		const struct nb_stats *s = &c->st;
		size_t d = ndiscarded(c);
		bool n = s->n > 0, base = n && isfinite(c->baseline_bps) &&
					  c->baseline_bps > 0;

		disc += d;
		fprintf(f, "<tr%s><td class=\"l\"><a href=\"#case-%zu\">",
			strcmp(c->status, "ok") ? " class=\"bad\"" : "", i);
		nb_html_esc(f, c->name);
		fputs("</a></td><td class=\"l\">", f);
		nb_html_esc(f, c->status);
		fprintf(f, "</td><td>%zu", s->n);
		if (d)
			fprintf(f, " (+%zu discarded)", d);
		fputs("</td>", f);
		td_mbps(f, n, s->mean);
		td_mbps(f, n, s->median);
		td_mbps(f, n, s->stdev);
		td_num(f, n, 1, s->cv * 100);
		td_mbps(f, n, s->min);
		td_mbps(f, n, s->max);
		td_mbps(f, has_ceiling(c), c->ceiling_bps);
		td_num(f, n && has_ceiling(c), 1, c->efficiency * 100);
		td_mbps(f, base, c->baseline_bps);
		td_num(f, base, 3, s->mean / c->baseline_bps);
		fputs("<td class=\"err\">", f);
		nb_html_esc(f, c->error);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (!r->ncases)
		fputs("<p class=\"note\">No cases.</p>\n", f);
	if (!disc)
		return;
	fprintf(f, "<p class=\"note\">%zu replicate%s discarded and repeated "
		"(not in the statistics):</p>\n<ul class=\"note\">\n",
		disc, disc == 1 ? " was" : "s were");
	for (size_t i = 0; i < r->ncases; i++) {
		const struct nb_result_case *c = &r->cases[i];

		for (size_t j = 0; j < c->nrep; j++) {
			if (!c->rep[j].discarded)
				continue;
			fputs("<li>", f);
			nb_html_esc(f, c->name);
			fprintf(f, " replicate %zu (%s Mbit/s): ", j + 1,
				mbps(b, sizeof(b), c->rep[j].goodput_bps));
			nb_html_esc(f, c->rep[j].discard_reason);
			fputs("</li>\n", f);
		}
	}
	fputs("</ul>\n", f);
}

/* The largest goodput (bit/s) a bar chart has to show for c. */
static double bar_extent(const struct nb_result_case *c)
{
	double hi = has_ceiling(c) ? c->ceiling_bps : 0;

	for (size_t i = 0; i < c->nrep; i++)
		if (isfinite(c->rep[i].goodput_bps))
			hi = fmax(hi, c->rep[i].goodput_bps);
	return fmax(hi, nb_svg_fin(c->st.mean));
}

/* One case of a bar chart, in the row from y. */
static void write_bar_row(FILE *f, const struct nb_result_case *c,
			  const struct nb_plot *p, const struct nb_axis *a,
			  double y)
{
	double cy = y + BAR_ROW / 2, xm, x1, x2;
	char b[64], b2[64];

	fprintf(f, "<g class=\"case\" data-case=\"");
	nb_html_esc(f, c->name);
	fprintf(f, "\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
		p->x - 8, cy + 4);
	nb_html_esc(f, c->proto);
	fprintf(f, " / %s</text>\n", nb_dir_name(c->dir));
	if (!drawable(c)) {
		fprintf(f, "<text class=\"fail\" x=\"%.1f\" y=\"%.1f\">",
			p->x + 6, cy + 4);
		nb_html_esc(f, strcmp(c->status, "ok") ? c->status :
			     "no replicates");
		fputs("<title>", f);
		nb_html_esc(f, c->error);
		fputs("</title></text></g>\n", f);
		return;
	}
	xm = nb_plot_x(p, a, c->st.mean / 1e6);
	fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"16\" fill=\"%s\"><title>", p->x, cy - 8, xm - p->x,
		proto_colour(c->proto));
	nb_html_esc(f, c->name);
	fprintf(f, ": mean %s Mbit/s over %zu replicates</title></rect>\n",
		mbps(b, sizeof(b), c->st.mean), c->st.n);
	x1 = nb_plot_x(p, a, c->st.min / 1e6);
	x2 = nb_plot_x(p, a, c->st.max / 1e6);
	fprintf(f, "<path class=\"whisk\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1f"
		"M%.1f %.1fV%.1f\"/>\n", x1, cy - 5, cy + 5, x1, cy, x2, x2,
		cy - 5, cy + 5);
	for (size_t i = 0; i < c->nrep; i++) {
		const struct nb_result_rep *rp = &c->rep[i];

		fprintf(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" "
			"r=\"3.5\"><title>replicate %zu: %s Mbit/s%s",
			rp->discarded ? "disc" : "rep",
			nb_plot_x(p, a, rp->goodput_bps / 1e6), cy, i + 1,
			mbps(b, sizeof(b), rp->goodput_bps),
			rp->discarded ? ", discarded: " : "");
		if (rp->discarded)
			nb_html_esc(f, rp->discard_reason);
		fputs("</title></circle>\n", f);
	}
	if (has_ceiling(c))
		fprintf(f, "<line class=\"ceil\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\"><title>ceiling %s Mbit/s"
			"</title></line>\n",
			nb_plot_x(p, a, c->ceiling_bps / 1e6), y + 3,
			nb_plot_x(p, a, c->ceiling_bps / 1e6), y + BAR_ROW - 3,
			mbps(b, sizeof(b), c->ceiling_bps));
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s Mbit/s", p->x + p->w + 10,
		cy + 4, mbps(b, sizeof(b), c->st.mean));
	if (has_ceiling(c))
		fprintf(f, " (%s %% of %s)",
			num(b, sizeof(b), true, 1, c->efficiency * 100),
			mbps(b2, sizeof(b2), c->ceiling_bps));
	if (strcmp(c->status, "ok")) {
		fputs(" \u00b7 ", f);
		nb_html_esc(f, c->status);
	}
	fputs("</text></g>\n", f);
}

/* The bar chart of the profile of case `first` (its first case). */
static void write_bars(const struct nb_results *r, size_t first, FILE *f)
{
	const struct nb_result_case *c0 = &r->cases[first];
	struct nb_plot p = {170, 12, CHART_W - 170 - 250, 0};
	struct nb_axis a;
	double hi = 0, y;
	size_t n = 0;

	for (size_t i = first; i < r->ncases; i++) {
		if (strcmp(r->cases[i].profile, c0->profile))
			continue;
		hi = fmax(hi, bar_extent(&r->cases[i]));
		n++;
	}
	nb_axis_nice(hi / 1e6, 8, &a);
	p.h = BAR_ROW * (double)n;
	fputs("<h3>", f);
	nb_html_esc(f, c0->profile);
	if (c0->rate_bps)
		fprintf(f, " \u2014 %.4g Mbit/s, RTT %u ms",
			(double)c0->rate_bps / 1e6, c0->rtt_ms);
	else
		fputs(" \u2014 unthrottled (no ceiling)", f);
	fprintf(f, "</h3>\n<svg class=\"chart\" data-profile=\"");
	nb_html_esc(f, c0->profile);
	fprintf(f, "\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\""
		" role=\"img\">\n<title>goodput against ceiling, profile ",
		CHART_W, p.y + p.h + 48, CHART_W, p.y + p.h + 48);
	nb_html_esc(f, c0->profile);
	fputs("</title>\n", f);
	nb_svg_xaxis(f, &p, &a, "goodput (Mbit/s)");
	y = p.y;
	for (size_t i = first; i < r->ncases; i++) {
		if (strcmp(r->cases[i].profile, c0->profile))
			continue;
		write_bar_row(f, &r->cases[i], &p, &a, y);
		y += BAR_ROW;
	}
	fputs("</svg>\n", f);
}

/* One replicate's series as a polyline. */
static void write_polyline(FILE *f, const struct nb_result_rep *rp,
			   size_t i, size_t colour, const struct nb_plot *p,
			   const struct nb_axis *ax, const struct nb_axis *ay)
{
	char b[64];

	if (rp->discarded)
		fputs("<polyline class=\"disc\" points=\"", f);
	else
		fprintf(f, "<polyline stroke=\"%s\" points=\"",
			palette[colour % NPALETTE]);
	nb_svg_points(f, p, ax, ay, rp->series_bps, rp->nseries, NB_BUCKET_S,
		      1e6, SERIES_MAX_POINTS);
	fprintf(f, "\"><title>replicate %zu: %s Mbit/s%s</title></polyline>\n",
		i + 1, mbps(b, sizeof(b), rp->goodput_bps),
		rp->discarded ? " (discarded)" : "");
}

/* The time series chart of case c (index idx). */
static void write_series(FILE *f, const struct nb_result_case *c, size_t idx)
{
	struct nb_plot p = {70, 14, CHART_W - 70 - 260, 200};
	double tmax = 0, vmax = has_ceiling(c) ? c->ceiling_bps : 0, h;
	struct nb_axis ax, ay;
	size_t points = 0, colour = 0;
	char b[64], text[128], attrs[64];

	for (size_t i = 0; i < c->nrep; i++) {
		const struct nb_result_rep *rp = &c->rep[i];

		if (!rp->series_bps)
			continue;
		points += rp->nseries;
		tmax = fmax(tmax, (double)rp->nseries * NB_BUCKET_S);
		for (size_t j = 0; j < rp->nseries; j++)
			vmax = fmax(vmax, nb_svg_fin(rp->series_bps[j]));
	}
	nb_axis_nice(tmax, 10, &ax);
	nb_axis_nice(vmax / 1e6, 6, &ay);
	h = fmax(p.y + p.h + 50,
		 p.y + 16 + NB_SVG_LEGEND_ROW * (double)(c->nrep + 1));
	fprintf(f, "<h3 id=\"case-%zu\">", idx);
	nb_html_esc(f, c->name);
	fputs(" <span class=\"note\">", f);
	if (c->st.n)
		fprintf(f, "%s Mbit/s, mean of %zu \u00b7 ",
			mbps(b, sizeof(b), c->st.mean), c->st.n);
	nb_html_esc(f, c->status);
	fputs("</span></h3>\n", f);
	if (c->error[0]) {
		fputs("<p class=\"err\">", f);
		nb_html_esc(f, c->error);
		fputs("</p>\n", f);
	}
	fputs("<svg class=\"chart\" data-case=\"", f);
	nb_html_esc(f, c->name);
	fprintf(f, "\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\""
		" role=\"img\">\n<title>goodput per %.0f ms bucket, ", CHART_W,
		h, CHART_W, h, NB_BUCKET_S * 1000);
	nb_html_esc(f, c->name);
	fputs("</title>\n", f);
	nb_svg_xaxis(f, &p, &ax, "time (s)");
	nb_svg_yaxis(f, &p, &ay, "goodput (Mbit/s)");
	if (!points) {
		fprintf(f, "<text class=\"fail\" x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">", p.x + p.w / 2,
			p.y + p.h / 2);
		if (strcmp(c->status, "ok")) {
			nb_html_esc(f, c->status);
			fputs(": ", f);
		}
		fputs("no time series<title>", f);
		nb_html_esc(f, c->error);
		fputs("</title></text>\n", f);
	}
	for (size_t i = 0; i < c->nrep; i++) {
		const struct nb_result_rep *rp = &c->rep[i];

		if (rp->series_bps && rp->nseries)
			write_polyline(f, rp, i, colour, &p, &ax, &ay);
		if (rp->discarded)
			snprintf(attrs, sizeof(attrs), "class=\"disc\" "
				 "stroke=\"#999\" stroke-dasharray=\"4 3\"");
		else
			snprintf(attrs, sizeof(attrs), "stroke=\"%s\" "
				 "stroke-width=\"2\"",
				 palette[colour % NPALETTE]);
		snprintf(text, sizeof(text), "rep %zu: %s Mbit/s%s", i + 1,
			 mbps(b, sizeof(b), rp->goodput_bps),
			 rp->discarded ? " (discarded)" : "");
		nb_svg_legend(f, &p, i, attrs, text);
		colour += !rp->discarded;
	}
	if (has_ceiling(c)) {
		double y = nb_plot_y(&p, &ay, c->ceiling_bps / 1e6);

		fprintf(f, "<line class=\"ceil ts\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\"><title>ceiling %s Mbit/s"
			"</title></line>\n", p.x, y, p.x + p.w, y,
			mbps(b, sizeof(b), c->ceiling_bps));
		snprintf(text, sizeof(text), "ceiling %s Mbit/s", b);
		nb_svg_legend(f, &p, c->nrep, "class=\"ceil ts key\"", text);
	}
	fputs("</svg>\n", f);
}

/* Errors: -EINVAL (no results or stream), -EIO (the stream failed). */
int nb_report_write_html(const struct nb_results *r, FILE *f)
{
	if (!r || !f)
		return nb_fail(-EINVAL, "report.html: nothing to write");
	write_head(r, f);
	write_summary(r, f);
	fputs("<h2>Goodput against ceiling</h2>\n<p class=\"note\">Bar: mean "
	      "of the kept replicates; dots: each replicate (hollow: "
	      "discarded); whisker: min to max; red line: the ceiling.</p>\n",
	      f);
	for (size_t i = 0; i < r->ncases && !ferror(f); i++) {
		const char *profile = r->cases[i].profile;
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(r->cases[j].profile, profile);
		if (!seen)
			write_bars(r, i, f);
	}
	fprintf(f, "<h2>Time series</h2>\n<p class=\"note\">Goodput per "
		"%.0f ms bucket from the transfer's start (the last bucket is "
		"partial); dashed grey: a discarded replicate; dashed red: the "
		"ceiling.</p>\n", NB_BUCKET_S * 1000);
	for (size_t i = 0; i < r->ncases && !ferror(f); i++)
		write_series(f, &r->cases[i], i);
	fputs("</body>\n</html>\n", f);
	if (ferror(f) || fflush(f))
		return nb_fail(-EIO, "report.html: write error: %s",
			       strerror(errno ? errno : EIO));
	return 0;
}
