/* netbench: `netbench run`: the selected profile x protocol x direction
 * cases, one after another, each guarded, printed as they finish and
 * summarised in a table. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "fx_case.h"
#include "interrupt.h"
#include "link.h"
#include "lossgen.h"
#include "profile.h"
#include "proto.h"
#include "stats.h"
#include "tmproot.h"

#define MAX_SEL 16

struct run_opts {
	const struct nb_profile *profiles[MAX_SEL];
	size_t nprofiles;
	const struct nb_proto *protos[MAX_SEL];
	size_t nprotos;
	enum nb_dir dirs[2];
	size_t ndirs;
	double loss;
	unsigned replicates;
	double duration;
	uint64_t size;
	const char *emulator;
	uint64_t seed;            /* drawn unless --seed */
	bool fail_env_changed;
	bool forever;
};

struct tally {
	unsigned ok, failed, env_changed, skipped, run;
	bool interrupted;
};

/* Splits a comma list and resolves each item; returns -EINVAL with the
 * message of the failing item. */
static int parse_list(const char *opt, const char *arg, struct run_opts *o, int which)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	size_t before = o->nprofiles + o->nprotos + o->ndirs;
	int rv = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (which == 'p') {
			const struct nb_profile *p = nb_profile_find(tok);
			char names[256];

			if (!p) {
				nb_profile_names(names, sizeof(names));
				rv = nb_fail(-EINVAL, "%s: unknown profile '%s' (valid: %s)",
					     opt, tok, names);
				break;
			}
			if (o->nprofiles < MAX_SEL)
				o->profiles[o->nprofiles++] = p;
		} else if (which == 'P') {
			const struct nb_proto *p = nb_proto_find(tok);

			if (!p) {
				rv = nb_fail(-EINVAL, "%s: %s", opt, nb_lasterr());
				break;
			}
			if (o->nprotos < MAX_SEL)
				o->protos[o->nprotos++] = p;
		} else {
			enum nb_dir d;

			rv = nb_dir_parse(tok, &d);
			if (rv) {
				rv = nb_fail(-EINVAL, "%s: %s", opt, nb_lasterr());
				break;
			}
			if (o->ndirs < 2)
				o->dirs[o->ndirs++] = d;
		}
	}
	if (!rv && o->nprofiles + o->nprotos + o->ndirs == before)
		rv = nb_fail(-EINVAL, "%s: empty list", opt);
	free(copy);
	return rv;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	enum { O_LOSS = 256, O_DURATION, O_SIZE, O_EMU, O_SEED, O_FEC, O_NOFEC,
	       O_FOREVER };
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"network_type", required_argument, NULL, 'p'},
		{"proto", required_argument, NULL, 'P'},
		{"direction", required_argument, NULL, 'd'},
		{"replicates", required_argument, NULL, 'n'},
		{"loss", required_argument, NULL, O_LOSS},
		{"pkt_loss_rate", required_argument, NULL, O_LOSS},
		{"duration", required_argument, NULL, O_DURATION},
		{"size", required_argument, NULL, O_SIZE},
		{"emulator", required_argument, NULL, O_EMU},
		{"seed", required_argument, NULL, O_SEED},
		{"fail-env-changed", no_argument, NULL, O_FEC},
		{"no-fail-env-changed", no_argument, NULL, O_NOFEC},
		{"forever", no_argument, NULL, O_FOREVER},
		{NULL, 0, NULL, 0},
	};
	unsigned long long n;
	bool have_duration = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:P:d:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'P':
		case 'd':
			if (parse_list(c == 'p' ? "-p" : c == 'P' ? "-P" : "-d",
				       optarg, o, c))
				return -EINVAL;
			break;
		case 'n':
			if (nb_parse_uint("-n", optarg, 1, NB_MAX_REPLICATES, &n))
				return -EINVAL;
			o->replicates = (unsigned)n;
			break;
		case O_LOSS:
			if (nb_parse_double("--loss", optarg, 0, 100, &o->loss))
				return -EINVAL;
			break;
		case O_DURATION:
			if (nb_parse_double("--duration", optarg, 0.1, 3600, &o->duration))
				return -EINVAL;
			have_duration = true;
			break;
		case O_SIZE:
			if (nb_parse_size("--size", optarg, &o->size))
				return -EINVAL;
			break;
		case O_EMU:
			o->emulator = optarg;
			break;
		case O_SEED:
			if (nb_parse_uint("--seed", optarg, 0, UINT64_MAX, &n))
				return -EINVAL;
			o->seed = n;
			break;
		case O_FEC:
			o->fail_env_changed = true;
			break;
		case O_NOFEC:
			o->fail_env_changed = false;
			break;
		case O_FOREVER:
			o->forever = true;
			break;
		case ':':
			return nb_fail(-EINVAL, "option %s needs a value",
				       argv[optind - 1]);
		default:
			return nb_fail(-EINVAL, "unknown option '%s' (see netbench --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return nb_fail(-EINVAL, "unexpected argument '%s'", argv[optind]);
	if (have_duration && o->size)
		return nb_fail(-EINVAL, "--duration and --size exclude each other");
	if (o->emulator && !nb_link_backend_find(o->emulator))
		return nb_fail(-EINVAL, "--emulator: %s", nb_lasterr());
	return 0;
}

static void defaults(struct run_opts *o)
{
	if (!o->nprofiles) {
		for (size_t i = 0; i < nb_profile_count(); i++)
			o->profiles[o->nprofiles++] = nb_profile_at(i);
	}
	if (!o->nprotos) {
		for (size_t i = 0; i < nb_proto_count(); i++)
			o->protos[o->nprotos++] = nb_proto_at(i);
	}
	if (!o->ndirs) {
		o->dirs[o->ndirs++] = NB_DOWNLOAD;
		o->dirs[o->ndirs++] = NB_UPLOAD;
	}
}

struct row {
	char name[96];
	const char *status;
	struct nb_stats st;
	double ceiling_bps;
	/* CPU seconds over the replicates' transfers (emu: the whole case) */
	double client_cpu, server_cpu;
	double emu_cpu;           /* < 0: no userspace emulator */
	uint64_t bytes;           /* payload moved by the replicates */
	char error[512];
};

/* CPU seconds per 100 MB (10^8 bytes) of payload: comparable across
 * profiles, sizes and replicate counts. */
static double per_100mb(const struct row *r, double seconds)
{
	return r->bytes ? seconds * 1e8 / (double)r->bytes : 0;
}

static void print_row(FILE *f, const struct row *r)
{
	if (r->st.n) {
		fprintf(f, "%-26s %10.3f", r->name, r->st.mean / 1e6);
		if (r->ceiling_bps > 0)
			fprintf(f, " %10.3f %6.1f%%", r->ceiling_bps / 1e6,
				100.0 * r->st.mean / r->ceiling_bps);
		else
			fprintf(f, " %10s %7s", "-", "-");
		if (r->st.n > 1)
			fprintf(f, " %5.2f%%", 100.0 * r->st.cv);
		else
			fprintf(f, " %6s", "-");
		fprintf(f, " %3zu %7.2f %7.2f", r->st.n, per_100mb(r, r->client_cpu),
			per_100mb(r, r->server_cpu));
		if (r->emu_cpu >= 0)
			fprintf(f, " %7.2f", per_100mb(r, r->emu_cpu));
		else
			fprintf(f, " %7s", "-");
		fprintf(f, "  %s\n", r->status);
	} else {
		fprintf(f, "%-26s %10s %10s %7s %6s %3s %7s %7s %7s  %s%s%s\n",
			r->name, "-", "-", "-", "-", "0", "-", "-", "-", r->status,
			r->error[0] ? ": " : "", r->error);
	}
}

static void print_header(FILE *f)
{
	fprintf(f, "%-26s %10s %10s %7s %6s %3s %7s %7s %7s  %s\n", "case",
		"goodput", "ceiling", "eff", "cv", "n", "cl.cpu", "sv.cpu",
		"emu.cpu", "status");
	fprintf(f, "%-26s %10s %10s %7s %6s %3s %23s\n", "", "Mbit/s",
		"Mbit/s", "", "", "", "CPU s per 100 MB");
}

/* Runs one case; fills the row. */
static void run_case(const struct run_opts *o, const struct nb_case_spec *spec,
		     struct row *row, struct tally *t)
{
	struct nb_case *c = malloc(sizeof(*c));
	void *state = c;
	double gp[NB_MAX_REPLICATES];
	int rv;

	memset(row, 0, sizeof(*row));
	row->emu_cpu = -1;
	if (!c) {
		row->status = "FAILED";
		snprintf(row->error, sizeof(row->error), "out of memory");
		t->failed++;
		return;
	}
	fx_case_init(c, spec);
	snprintf(row->name, sizeof(row->name), "%s", c->name);
	row->ceiling_bps = spec->proto->ceiling_bps(spec->profile, spec->dir);
	t->run++;
	rv = fx_case_setup(&state);
	if (rv == 0) {
		for (unsigned i = 0; i < o->replicates && rv == 0; i++) {
			rv = fx_case_transfer(c);
			if (rv == 0) {
				gp[row->st.n] = c->rep[i].goodput_bps;
				row->client_cpu += c->rep[i].client_cpu_s;
				row->server_cpu += c->rep[i].server_cpu_s;
				row->bytes += c->rep[i].bytes;
				row->st.n++;
			}
		}
		fx_case_teardown(&state);
		row->emu_cpu = c->emulated ? c->emu_cpu_s : -1;
		if (c->emu_ring_drops[0] + c->emu_ring_drops[1])
			printf("warning: %s: the emulator fell behind: %llu "
			       "frames lost at full TAP rings (loss nobody "
			       "asked for is in these figures)\n", c->name,
			       (unsigned long long)(c->emu_ring_drops[0] +
						    c->emu_ring_drops[1]));
	}
	if (row->st.n)
		nb_stats_compute(gp, row->st.n, &row->st);
	if (rv && nb_interrupted()) {
		row->status = "INTERRUPTED";
		t->interrupted = true;
		row->st.n = 0;
	} else if (rv) {
		row->status = "FAILED";
		row->st.n = 0;
		t->failed++;
	} else if (c->env_changes) {
		row->status = "ENV_CHANGED";
		t->env_changed++;
	} else {
		row->status = "ok";
		t->ok++;
	}
	if (rv)
		snprintf(row->error, sizeof(row->error), "%s", c->error);
	fx_case_fini(c);
	free(c);
}

static void describe_link(const struct run_opts *o,
			  const struct nb_link_backend *b)
{
	if (!strcmp(b->name, "netem"))
		printf("link: backend netem: htb rate + netem delay/loss in the "
		       "kernel; loss %g%% each way (netem's own PRNG: --seed "
		       "does not apply)\n", o->loss);
	else
		printf("link: backend %s: htb rate in the kernel + delay/loss "
		       "in the userspace emulator; loss %g%% each way, "
		       "seed %llu\n", b->name, o->loss,
		       (unsigned long long)o->seed);
}

int nb_cmd_run(int argc, char **argv)
{
	struct run_opts o = {.replicates = 5, .duration = 10.0,
			     .seed = nb_lossgen_random_seed()};
	const char *inject = getenv("NETBENCH_INJECT_LEAK");
	char inject_kind[32] = "";
	unsigned long inject_at = 1, seq = 0;
	struct tally t = {0};
	const struct nb_link_backend *backend;
	struct row *rows;
	size_t ncases, pass = 0;
	int rv;

	if (parse_opts(argc, argv, &o)) {
		nb_errorf("run: %s", nb_lasterr());
		return NB_EXIT_USAGE;
	}
	defaults(&o);
	if (inject && *inject) {
		const char *at = strchr(inject, '@');

		snprintf(inject_kind, sizeof(inject_kind), "%.*s",
			 at ? (int)(at - inject) : (int)strlen(inject), inject);
		if (at)
			inject_at = strtoul(at + 1, NULL, 10);
	}
	if (nb_interrupt_install() || prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    !nb_tmproot()) {
		nb_errorf("run: cannot set up the process: %s", nb_lasterr());
		return NB_EXIT_FAIL;
	}
	rv = nb_can_build_links();
	if (rv) {
		nb_errorf("run: nothing ran: %s", nb_lasterr());
		return NB_EXIT_NOTHING_RAN;
	}
	backend = nb_link_backend_find(o.emulator);
	if (!backend || backend->probe() < 0) {
		nb_errorf("run: nothing ran: %s", nb_lasterr());
		return NB_EXIT_NOTHING_RAN;
	}

	ncases = o.nprofiles * o.nprotos * o.ndirs;
	rows = calloc(ncases, sizeof(*rows));
	if (!rows)
		return NB_EXIT_FAIL;
	describe_link(&o, backend);
	printf("%zu case%s, %u replicate%s each, %s\n", ncases,
	       ncases > 1 ? "s" : "", o.replicates,
	       o.replicates > 1 ? "s" : "", o.size ? "fixed size" : "sized by duration");
	fflush(stdout);
	do {
		size_t k = 0;

		pass++;
		for (size_t i = 0; i < o.nprofiles && !t.interrupted; i++)
		for (size_t j = 0; j < o.nprotos && !t.interrupted; j++)
		for (size_t d = 0; d < o.ndirs && !t.interrupted; d++, k++) {
			struct nb_case_spec spec = {
				.profile = o.profiles[i],
				.proto = o.protos[j],
				.dir = o.dirs[d],
				.size = o.size ? o.size
					       : nb_profile_transfer_bytes(o.profiles[i], o.duration),
				.replicates = o.replicates,
				.loss_pct = o.loss,
				.emulator = o.emulator,
				.seed = o.seed,
			};

			if (inject_kind[0] && ++seq == inject_at)
				spec.inject_leak = inject_kind;
			run_case(&o, &spec, &rows[k], &t);
			printf("[%*zu/%zu] ", ncases > 9 ? 2 : 1, k + 1, ncases);
			print_row(stdout, &rows[k]);
			fflush(stdout);
		}
	} while (o.forever && !t.interrupted && !t.failed && !t.env_changed);
	if (!t.interrupted) {
		printf("\n");
		print_header(stdout);
		for (size_t k = 0; k < ncases; k++)
			print_row(stdout, &rows[k]);
		printf("\n%u ok, %u failed, %u env changed%s\n", t.ok, t.failed,
		       t.env_changed, o.forever ? "" : "");
		if (o.forever)
			printf("forever: stopped after %zu pass%s\n", pass,
			       pass > 1 ? "es" : "");
	}
	fflush(stdout);
	free(rows);
	if (t.interrupted) {
		nb_errorf("run: interrupted");
		return NB_EXIT_INTERRUPTED;
	}
	if (t.failed)
		return NB_EXIT_FAIL;
	if (t.env_changed && o.fail_env_changed)
		return NB_EXIT_ENV_CHANGED;
	if (!t.ok && !t.env_changed)
		return NB_EXIT_NOTHING_RAN;
	return NB_EXIT_OK;
}
