/* netbench: results.csv: one row per replicate ("tidy": every row stands
 * alone, the case's statistics repeated on each), RFC 4180 quoting, Mbit/s.
 * A case without replicates (it failed before one finished) has one row
 * with the replicate columns empty. Discarded replicates are rows too,
 * with discarded=1; the statistics leave them out. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "results.h"

static const char header[] =
	"case,profile,proto,direction,rate_mbps,rtt_ms,loss_pct,status,"
	"replicate,goodput_mbps,seconds,bytes,client_cpu_s,server_cpu_s,"
	"discarded,n,mean_mbps,median_mbps,stdev_mbps,cv,min_mbps,max_mbps,"
	"ceiling_mbps,efficiency,baseline_mbps,error\n";

/* A field, quoted when it holds a comma, a quote or a line break. */
static void put_str(FILE *f, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A number, or nothing when it is not finite. */
static void put_num(FILE *f, const char *fmt, double v)
{
	fputc(',', f);
	if (isfinite(v))
		fprintf(f, fmt, v);
}

static void put_row(FILE *f, const struct nb_result_case *c,
		    const struct nb_result_rep *p, size_t idx)
{
	put_str(f, c->name);
	fputc(',', f);
	put_str(f, c->profile);
	fprintf(f, ",%s,%s", c->proto, nb_dir_name(c->dir));
	put_num(f, "%.6g", (double)c->rate_bps / 1e6);
	fprintf(f, ",%u", c->rtt_ms);
	put_num(f, "%g", c->loss_pct);
	fprintf(f, ",%s", c->status);
	if (p) {
		fprintf(f, ",%zu", idx + 1);
		put_num(f, "%.6f", p->goodput_bps / 1e6);
		put_num(f, "%.6f", p->seconds);
		fprintf(f, ",%llu", (unsigned long long)p->bytes);
		put_num(f, "%.4f", p->client_cpu_s);
		if (p->server_cpu_s >= 0)
			put_num(f, "%.4f", p->server_cpu_s);
		else
			fputc(',', f);
		fprintf(f, ",%d", p->discarded ? 1 : 0);
	} else {
		fputs(",,,,,,,", f);
	}
	fprintf(f, ",%zu", c->st.n);
	if (c->st.n) {
		put_num(f, "%.6f", c->st.mean / 1e6);
		put_num(f, "%.6f", c->st.median / 1e6);
		put_num(f, "%.6f", c->st.stdev / 1e6);
		put_num(f, "%.6f", c->st.cv);
		put_num(f, "%.6f", c->st.min / 1e6);
		put_num(f, "%.6f", c->st.max / 1e6);
	} else {
		fputs(",,,,,,", f);
	}
	if (c->ceiling_bps > 0) {
		put_num(f, "%.6f", c->ceiling_bps / 1e6);
		put_num(f, "%.6f", c->efficiency);
	} else {
		fputs(",,", f);
	}
	if (c->baseline_bps > 0)
		put_num(f, "%.6f", c->baseline_bps / 1e6);
	else
		fputc(',', f);
	fputc(',', f);
	put_str(f, c->error);
	fputc('\n', f);
}

int nb_results_write_csv(const struct nb_results *r, FILE *f)
{
	fputs(header, f);
	for (size_t i = 0; i < r->ncases; i++) {
		const struct nb_result_case *c = &r->cases[i];

		if (!c->nrep)
			put_row(f, c, NULL, 0);
		for (size_t j = 0; j < c->nrep; j++)
			put_row(f, c, &c->rep[j], j);
	}
	if (ferror(f))
		return nb_fail(-EIO, "write error");
	return 0;
}
