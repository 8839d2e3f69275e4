/* netbench: one case of `netbench run` (see run_case.h). */
#include "run_case.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "profile.h"

/* The live line: at most every 0.5 s, overwritten in place. */
struct live {
	const struct nb_run_case_opts *o;
	unsigned rep, of;
	double t0, last;
	uint64_t size;
	bool shown;
};

static void live_line(const struct nb_case *c, uint64_t bytes, void *arg)
{
	struct live *l = arg;
	double now = nb_now(), el = now - l->t0;

	if (now - l->last < 0.5)
		return;
	l->last = now;
	l->shown = true;
	fprintf(l->o->log, "\r\033[K[%zu/%zu] %s  replicate %u/%u  %5.1f%%  %.3f Mbit/s",
		l->o->index + 1, l->o->total, c->name, l->rep, l->of,
		l->size ? 100.0 * (double)bytes / (double)l->size : 0.0,
		el > 0 ? nb_goodput_bps(bytes, el) / 1e6 : 0.0);
	fflush(l->o->log);
}

static void live_clear(struct live *l)
{
	if (l->shown)
		fprintf(l->o->log, "\r\033[K");
	l->shown = false;
}

/* Copies replicate i of c into out (series in bit/s per bucket). */
static int record(const struct nb_case *c, unsigned i, struct nb_result_case *out)
{
	const struct nb_replicate *r = &c->rep[i];
	struct nb_result_rep *p = nb_result_case_add_rep(out);

	if (!p)
		return -ENOMEM;
	p->goodput_bps = r->goodput_bps;
	p->seconds = r->seconds;
	p->bytes = r->bytes;
	p->client_cpu_s = r->client_cpu_s;
	p->server_cpu_s = r->server_cpu_s;
	p->emu_late_max_ms = r->emu_late_max_ms;
	if (r->series.n) {
		p->series_bps = calloc(r->series.n, sizeof(double));
		if (!p->series_bps)
			return -ENOMEM;
		for (size_t k = 0; k < r->series.n; k++)
			p->series_bps[k] = (double)r->series.bytes[k] * 8.0 / NB_BUCKET_S;
		p->nseries = r->series.n;
	}
	if (r->emu_late_max_ms >= NB_RESULTS_STALL_MS) {
		p->discarded = true;
		snprintf(p->discard_reason, sizeof(p->discard_reason),
			 "the emulator was %.1f ms late",
			 r->emu_late_max_ms);
	}
	return 0;
}

static void describe(const struct nb_case_spec *spec, const struct nb_case *c,
		     struct nb_result_case *out)
{
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	snprintf(out->profile, sizeof(out->profile), "%s", spec->profile->name);
	snprintf(out->proto, sizeof(out->proto), "%s", spec->proto->name);
	out->dir = spec->dir;
	out->rate_bps = spec->profile->rate_bps;
	out->rtt_ms = spec->profile->rtt_ms;
	out->loss_pct = spec->loss_pct;
	out->size = spec->size;
	out->ceiling_bps = spec->proto->ceiling_bps(spec->profile, spec->dir);
	snprintf(out->server, sizeof(out->server), "%s",
		 nb_ext_label(&spec->server_ext));
	snprintf(out->client, sizeof(out->client), "%s",
		 nb_ext_label(&spec->client_ext));
}

/* How the case's transfers were timed and checked (known once one ran). */
static void describe_ends(const struct nb_case *c, struct nb_result_case *out)
{
	snprintf(out->timing, sizeof(out->timing), "%s",
		 nb_ext_timing_name(c->timing));
	snprintf(out->verify, sizeof(out->verify), "%s",
		 nb_ext_verify_name(c->verify));
	snprintf(out->client_protocol, sizeof(out->client_protocol), "%s",
		 c->client_protocol);
}

/* The replicates: each recorded as it finishes; a stalled one repeated. */
static int replicates(struct nb_case *c, const struct nb_run_case_opts *o,
		      struct nb_result_case *out)
{
	/* As many extra attempts as replicates, at least 3. */
	unsigned kept = 0, attempts = 0,
		 max = o->replicates + (o->replicates > 3 ? o->replicates : 3);
	struct live l = {.o = o, .of = o->replicates, .size = c->spec.size};
	int rv = 0;

	if (max > NB_MAX_REPLICATES)
		max = NB_MAX_REPLICATES;
	if (o->progress) {
		c->on_progress = live_line;
		c->progress_arg = &l;
	}
	while (kept < o->replicates && attempts < max && !rv) {
		const struct nb_result_rep *p;

		l.rep = kept + 1;
		l.t0 = l.last = nb_now();
		rv = fx_case_transfer(c);
		attempts++;
		live_clear(&l);
		if (rv)
			break;
		rv = record(c, c->nrep - 1, out);
		if (rv)
			break;
		p = &out->rep[out->nrep - 1];
		if (!p->discarded) {
			kept++;
			continue;
		}
		fprintf(o->log, "  %s: replicate %u discarded, %s: the link was "
			"not the profile; %s\n", c->name, attempts,
			p->discard_reason, attempts < max ? "repeating it" :
			"no attempts left");
	}
	if (!rv && !kept) {
		rv = -EAGAIN;
		snprintf(c->error, sizeof(c->error), "every replicate was "
			 "discarded: the emulator was late in each of "
			 "%u attempts", attempts);
	}
	else if (!rv && kept < o->replicates)
		fprintf(o->log, "  %s: only %u of %u replicates kept (%u "
			"discarded: the emulator was late)\n", c->name, kept,
			o->replicates, attempts - kept);
	c->on_progress = NULL;
	return rv;
}

int nb_run_case(const struct nb_case_spec *spec,
		const struct nb_run_case_opts *o, struct nb_result_case *out)
{
	struct nb_case *c = malloc(sizeof(*c));
	void *state = c;
	int rv;

	if (!c) {
		snprintf(out->status, sizeof(out->status), "FAILED");
		snprintf(out->error, sizeof(out->error), "out of memory");
		return -ENOMEM;
	}
	fx_case_init(c, spec);
	describe(spec, c, out);
	rv = fx_case_setup(&state);
	if (rv == 0) {
		rv = replicates(c, o, out);
		describe_ends(c, out);
		fx_case_teardown(&state);
		out->emu_cpu_s = c->emulated ? c->emu_cpu_s : -1;
		if (c->emu_ring_drops[0] + c->emu_ring_drops[1])
			fprintf(o->log, "warning: %s: the emulator fell behind: "
				"%llu frames lost at full TAP rings (loss nobody "
				"asked for is in these figures)\n", c->name,
				(unsigned long long)(c->emu_ring_drops[0] +
						     c->emu_ring_drops[1]));
	} else {
		rv = -EIO;
	}
	if (rv && nb_interrupted()) {
		snprintf(out->status, sizeof(out->status), "INTERRUPTED");
		rv = -EINTR;
	} else if (rv) {
		snprintf(out->status, sizeof(out->status), "FAILED");
	} else if (c->env_changes) {
		snprintf(out->status, sizeof(out->status), "ENV_CHANGED");
	} else {
		snprintf(out->status, sizeof(out->status), "ok");
	}
	if (rv)
		snprintf(out->error, sizeof(out->error), "%s",
			 c->error[0] ? c->error : strerror(-rv));
	nb_result_case_finish(out);
	fx_case_fini(c);
	free(c);
	return rv;
}
