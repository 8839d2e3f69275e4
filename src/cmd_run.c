/* netbench: `netbench run`: the selected profile x protocol x direction
 * cases, one after another, each guarded, printed as they finish and
 * summarised in a table; with -o, written as results.json, perfherder.json,
 * results.csv and report.html; with --compare, judged against a baseline
 * run. The tcp baseline of every profile runs too unless asked for or
 * --no-baseline. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "error.h"
#include "ext.h"
#include "fx_case.h"
#include "interrupt.h"
#include "link.h"
#include "lossgen.h"
#include "profile.h"
#include "proto.h"
#include "results.h"
#include "run_opts.h"
#include "run_case.h"
#include "stats.h"
#include "tcp_cc.h"
#include "tmproot.h"

struct tally {
	unsigned ok, failed, env_changed, skipped, run;
	bool interrupted;
};

/* $NETBENCH_TEST_RATE_SCALE: a hidden test knob that shapes every link at
 * a fraction of its profile's rate (compare's tests lower a link by 5%
 * with it); recorded in results.json and announced on every run. */
static int rate_scale_knob(struct run_opts *o)
{
	const char *v = getenv("NETBENCH_TEST_RATE_SCALE");

	o->rate_scale = 1.0;
	if (!v || !*v)
		return 0;
	return nb_parse_double("NETBENCH_TEST_RATE_SCALE", v, 0.01, 1.0,
			       &o->rate_scale);
}

static void defaults(struct run_opts *o)
{
	if (!o->nprofiles) {
		for (size_t i = 0; i < nb_profile_count(); i++)
			o->profiles[o->nprofiles++] = nb_profile_at(i);
	}
	if (!o->nprotos) {
		/* Those both ends do. */
		for (size_t i = 0; i < nb_proto_count(); i++) {
			if (nb_ext_check(&o->server, &o->client,
					 nb_proto_at(i)) != -EINVAL)
				o->protos[o->nprotos++] = nb_proto_at(i);
		}
	}
	/* The baseline first, as the seed ran iperf3 first (and then, unlike
	 * the seed, it is reported). */
	if (!o->no_baseline) {
		bool have = false;

		for (size_t j = 0; j < o->nprotos; j++)
			have |= o->protos[j] == &nb_proto_tcp;
		if (!have && o->nprotos < MAX_SEL) {
			memmove(&o->protos[1], &o->protos[0],
				o->nprotos * sizeof(o->protos[0]));
			o->protos[0] = &nb_proto_tcp;
			o->nprotos++;
			o->baseline_added = true;
			printf("tcp baseline added to every profile (--no-baseline "
			       "to leave it out)\n");
		}
	}
	if (!o->ndirs) {
		o->dirs[o->ndirs++] = NB_DOWNLOAD;
		o->dirs[o->ndirs++] = NB_UPLOAD;
	}
}

/* CPU seconds per 100 MB (10^8 bytes) of payload over a case's kept
 * replicates: comparable across profiles, sizes and replicate counts. */
struct cpu_figures {
	double client, server, emu;   /* emu < 0: no userspace emulator */
};

static void cpu_per_100mb(const struct nb_result_case *c, struct cpu_figures *f)
{
	double cl = 0, sv = 0, all = 0;
	uint64_t bytes = 0, all_bytes = 0;

	for (size_t i = 0; i < c->nrep; i++) {
		all_bytes += c->rep[i].bytes;
		if (c->rep[i].discarded)
			continue;
		bytes += c->rep[i].bytes;
		cl += c->rep[i].client_cpu_s;
		sv += c->rep[i].server_cpu_s > 0 ? c->rep[i].server_cpu_s : 0;
	}
	all = c->emu_cpu_s;
	f->client = bytes ? cl * 1e8 / (double)bytes : 0;
	f->server = bytes ? sv * 1e8 / (double)bytes : 0;
	/* The emulator runs through the whole case, discarded replicates
	 * included. */
	f->emu = all >= 0 && all_bytes ? all * 1e8 / (double)all_bytes : -1;
}

/* The case column: wider when case names carry their ends. */
static int name_w = 26;

static bool case_ok(const struct nb_result_case *c)
{
	return !strcmp(c->status, "ok") || !strcmp(c->status, "ENV_CHANGED");
}

static void print_row(FILE *f, const struct nb_result_case *c)
{
	struct cpu_figures cpu;

	if (!case_ok(c) || !c->st.n) {
		fprintf(f, "%-*s %10s %10s %7s %6s %3s %6s %7s %7s %7s  %s%s%s\n",
			name_w, c->name, "-", "-", "-", "-", "0", "-", "-", "-", "-",
			c->status, c->error[0] ? ": " : "", c->error);
		return;
	}
	cpu_per_100mb(c, &cpu);
	fprintf(f, "%-*s %10.3f", name_w, c->name, c->st.mean / 1e6);
	if (c->ceiling_bps > 0)
		fprintf(f, " %10.3f %6.1f%%", c->ceiling_bps / 1e6,
			100.0 * c->efficiency);
	else
		fprintf(f, " %10s %7s", "-", "-");
	if (c->st.n > 1)
		fprintf(f, " %5.2f%%", 100.0 * c->st.cv);
	else
		fprintf(f, " %6s", "-");
	fprintf(f, " %3zu", c->st.n);
	if (c->baseline_bps > 0 && strcmp(c->proto, "tcp"))
		fprintf(f, " %6.3f", c->st.mean / c->baseline_bps);
	else
		fprintf(f, " %6s", "-");
	fprintf(f, " %7.2f %7.2f", cpu.client, cpu.server);
	if (cpu.emu >= 0)
		fprintf(f, " %7.2f", cpu.emu);
	else
		fprintf(f, " %7s", "-");
	fprintf(f, "  %s\n", c->status);
}

static void print_header(FILE *f)
{
	fprintf(f, "%-*s %10s %10s %7s %6s %3s %6s %7s %7s %7s  %s\n", name_w, "case",
		"goodput", "ceiling", "eff", "cv", "n", "x tcp", "cl.cpu",
		"sv.cpu", "emu.cpu", "status");
	fprintf(f, "%-*s %10s %10s %7s %6s %3s %6s %23s\n", name_w, "", "Mbit/s",
		"Mbit/s", "", "", "", "", "CPU s per 100 MB");
}

/* The live line of a finished case (nb_run_case derived its figures; its
 * baseline may come later in the run, so "x tcp" waits for the table). */
static void print_finished(const struct nb_result_case *c, size_t k, size_t n)
{
	printf("[%*zu/%zu] ", n > 9 ? 2 : 1, k + 1, n);
	print_row(stdout, c);
	fflush(stdout);
}

static void describe_link(const struct run_opts *o,
			  const struct nb_link_backend *b)
{
	if (!strcmp(b->name, "netem"))
		printf("link: backend netem: htb rate + netem delay/loss in the "
		       "kernel; loss %g%% each way (netem's own PRNG: --seed "
		       "does not apply); TCP %s\n", o->loss, NB_TCP_CC);
	else
		printf("link: backend %s: htb rate in the kernel + delay/loss "
		       "in the userspace emulator; loss %g%% each way, "
		       "seed %llu; TCP %s\n", b->name, o->loss,
		       (unsigned long long)o->seed, NB_TCP_CC);
	if (o->rate_scale != 1.0)
		printf("warning: NETBENCH_TEST_RATE_SCALE: every link is shaped "
		       "at %g of its profile's rate (a test knob; recorded in "
		       "results.json)\n", o->rate_scale);
}

/* Who is at each end, and how an external client's transfers are timed. */
static void describe_ends(const struct run_opts *o)
{
	static const char *const timing[] = {
		[NB_TIMING_INTERNAL] = "netbench's own timing",
		[NB_TIMING_OWN] = "its own figure (curl -w, iperf3's receiver, "
				  "NETBENCH_SECONDS=)",
		[NB_TIMING_PAGE] = "the page's performance.now()",
		[NB_TIMING_WALL] = "its wall time, start-up and handshake "
				   "included",
	};
	const struct nb_ext *c = o->client.ext;

	if (!o->server.ext && !c)
		return;
	printf("ends: server %s, client %s, timed by %s%s\n",
	       nb_ext_label(&o->server), nb_ext_label(&o->client),
	       timing[c ? c->timing : NB_TIMING_INTERNAL],
	       c == &nb_ext_cmd_client ? " (else its wall time)" : "");
}

static void describe_run(const struct run_opts *o,
			 const struct nb_link_backend *b, struct nb_results *r)
{
	snprintf(r->backend, sizeof(r->backend), "%s", b->name);
	snprintf(r->tcp_cc, sizeof(r->tcp_cc), "%s", NB_TCP_CC);
	r->seed = o->seed;
	r->loss_pct = o->loss;
	r->replicates = o->replicates;
	r->duration_s = o->size ? 0 : o->duration;
	r->size = o->size;
	r->rate_scale = o->rate_scale;
}

/* One pass over the selection. */
static void run_pass(const struct run_opts *o, const char *inject_kind,
		     unsigned long inject_at, unsigned long *seq,
		     struct nb_results *res, struct tally *t)
{
	size_t ncases = o->nprofiles * o->nprotos * o->ndirs, k = 0;

	for (size_t i = 0; i < o->nprofiles && !t->interrupted; i++)
	for (size_t j = 0; j < o->nprotos && !t->interrupted; j++)
	for (size_t d = 0; d < o->ndirs && !t->interrupted; d++, k++) {
		struct nb_case_spec spec = {
			.profile = o->profiles[i],
			.proto = o->protos[j],
			.dir = o->dirs[d],
			.size = o->size ? o->size
					: nb_profile_transfer_bytes(o->profiles[i], o->duration),
			.replicates = o->replicates,
			.loss_pct = o->loss,
			.emulator = o->emulator,
			.seed = o->seed,
			.rate_scale = o->rate_scale,
		};
		struct nb_run_case_opts ro = {
			.replicates = o->replicates, .log = stdout,
			.progress = isatty(STDOUT_FILENO), .index = k,
			.total = ncases,
		};
		struct nb_result_case *c = nb_results_add_case(res);

		if (!c) {
			t->failed++;
			nb_errorf("run: out of memory");
			return;
		}
		/* The baseline added to the selection is ours, end to end. */
		if (!(o->baseline_added && spec.proto == &nb_proto_tcp)) {
			spec.server_ext = o->server;
			spec.client_ext = o->client;
		}
		if (inject_kind[0] && ++*seq == inject_at)
			spec.inject_leak = inject_kind;
		t->run++;
		nb_run_case(&spec, &ro, c);
		if (!strcmp(c->status, "INTERRUPTED"))
			t->interrupted = true;
		else if (!strcmp(c->status, "FAILED"))
			t->failed++;
		else if (!strcmp(c->status, "ENV_CHANGED"))
			t->env_changed++;
		else
			t->ok++;
		print_finished(c, k, ncases);
	}
}

/* Everything after the cases: the table, the files, the comparison.
 * Returns how many regressions the comparison found (0 without one) or
 * -1 when the files could not be written. */
static int conclude(const struct run_opts *o, struct nb_results *res,
		    const struct nb_results *base, const struct tally *t)
{
	int regressions = 0;

	nb_results_finish(res);
	printf("\n");
	print_header(stdout);
	for (size_t k = 0; k < res->ncases; k++)
		print_row(stdout, &res->cases[k]);
	printf("\n%u ok, %u failed, %u env changed\n", t->ok, t->failed,
	       t->env_changed);
	if (o->out_dir) {
		if (nb_results_write_dir(res, o->out_dir)) {
			nb_errorf("run: cannot write the results: %s", nb_lasterr());
			return -1;
		}
		printf("results: %s/{results.json,perfherder.json,results.csv,"
		       "report.html}\n", o->out_dir);
	}
	if (base) {
		printf("\ncompared with %s:\n", o->compare);
		regressions = nb_compare_results(base, res, o->threshold,
						 NB_COMPARE_ALPHA, stdout);
		if (regressions < 0) {
			nb_errorf("run: --compare: %s", nb_lasterr());
			return -1;
		}
	}
	fflush(stdout);
	return regressions;
}

int nb_cmd_run(int argc, char **argv)
{
	struct run_opts o = {.replicates = 5, .duration = 10.0,
			     .seed = nb_lossgen_random_seed(),
			     .threshold = NB_COMPARE_THRESHOLD_PCT};
	const char *inject = getenv("NETBENCH_INJECT_LEAK");
	char inject_kind[32] = "";
	unsigned long inject_at = 1, seq = 0;
	struct tally t = {0};
	const struct nb_link_backend *backend;
	struct nb_results res, base;
	bool have_base = false;
	size_t ncases, pass = 0;
	int rv, regressions = 0;

	if (nb_run_parse_opts(argc, argv, &o) || rate_scale_knob(&o)) {
		nb_errorf("run: %s", nb_lasterr());
		return NB_EXIT_USAGE;
	}
	/* The baseline is read before anything runs: a bad file is bad
	 * input, found in a second, not after an hour of measuring. */
	if (o.compare) {
		if (nb_results_read_json(o.compare, &base)) {
			nb_errorf("run: --compare: %s", nb_lasterr());
			return NB_EXIT_USAGE;
		}
		have_base = true;
	}
	if (o.out_dir && nb_results_check_dir(o.out_dir)) {
		nb_errorf("run: -o: %s", nb_lasterr());
		rv = NB_EXIT_USAGE;
		goto out;
	}
	defaults(&o);
	if (inject && *inject) {
		const char *at = strchr(inject, '@');

		snprintf(inject_kind, sizeof(inject_kind), "%.*s",
			 at ? (int)(at - inject) : (int)strlen(inject), inject);
		if (at)
			inject_at = strtoul(at + 1, NULL, 10);
	}
	rv = NB_EXIT_FAIL;
	if (nb_interrupt_install() || prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    !nb_tmproot()) {
		nb_errorf("run: cannot set up the process: %s", nb_lasterr());
		goto out;
	}
	rv = NB_EXIT_NOTHING_RAN;
	if (nb_can_build_links()) {
		nb_errorf("run: nothing ran: %s", nb_lasterr());
		goto out;
	}
	if (nb_ext_check(&o.server, &o.client, NULL) == -ENOENT) {
		nb_errorf("run: nothing ran: %s", nb_lasterr());
		goto out;
	}
	backend = nb_link_backend_find(o.emulator);
	if (!backend || backend->probe() < 0) {
		nb_errorf("run: nothing ran: %s", nb_lasterr());
		goto out;
	}
	ncases = o.nprofiles * o.nprotos * o.ndirs;
	if (o.server.ext || o.client.ext)
		name_w = 48;
	describe_link(&o, backend);
	describe_ends(&o);
	printf("%zu case%s, %u replicate%s each, %s\n", ncases,
	       ncases > 1 ? "s" : "", o.replicates,
	       o.replicates > 1 ? "s" : "", o.size ? "fixed size" : "sized by duration");
	fflush(stdout);
	nb_results_init(&res);
	describe_run(&o, backend, &res);
	do {
		/* --forever keeps only the pass at hand. */
		nb_results_free(&res);
		pass++;
		run_pass(&o, inject_kind, inject_at, &seq, &res, &t);
	} while (o.forever && !t.interrupted && !t.failed && !t.env_changed);
	if (!t.interrupted) {
		regressions = conclude(&o, &res, have_base ? &base : NULL, &t);
		if (o.forever)
			printf("forever: stopped after %zu pass%s\n", pass,
			       pass > 1 ? "es" : "");
	}
	fflush(stdout);
	nb_results_free(&res);
	if (t.interrupted) {
		nb_errorf("run: interrupted");
		rv = NB_EXIT_INTERRUPTED;
	} else if (t.failed || regressions) {
		rv = NB_EXIT_FAIL;
	} else if (t.env_changed && o.fail_env_changed) {
		rv = NB_EXIT_ENV_CHANGED;
	} else if (!t.ok && !t.env_changed) {
		rv = NB_EXIT_NOTHING_RAN;
	} else {
		rv = NB_EXIT_OK;
	}
out:
	if (have_base)
		nb_results_free(&base);
	return rv;
}
