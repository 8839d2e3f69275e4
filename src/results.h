/* netbench: the results of a run (DESIGN §5-6), in memory.
 *
 * Everything a run measured, raw samples included: the run's conditions
 * (machine, kernel, link backend, seed, library versions), then one
 * nb_result_case per profile x protocol x direction with its replicates
 * (goodput, time, bytes, CPU, the 100 ms time series) and what is derived
 * from them (statistics, ceiling, efficiency, the tcp baseline of the same
 * profile and direction). results.json, perfherder.json, results.csv and
 * report.html are written from it; `compare` reads results.json back into
 * it. Goodputs are bit/s in memory, Mbit/s (10^6) in the files.
 *
 * Ownership: an nb_results owns its cases, a case its replicates, a
 * replicate its series. nb_results_free releases everything.
 */
#ifndef NB_RESULTS_H
#define NB_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"
#include "stats.h"

/* results.json's "schema": bumped when a field changes meaning or goes
 * away (adding a field does not bump it). A reader refuses a newer one. */
#define NB_RESULTS_SCHEMA 1

/* A replicate the run discarded and repeated (the instrument failed, e.g.
 * the userspace emulator was late by NB_RESULTS_STALL_MS or more: during
 * that replicate the link was not the profile). Kept, marked, not counted. */
#define NB_RESULTS_STALL_MS 10.0

struct nb_result_rep {
	double goodput_bps;
	double seconds;
	uint64_t bytes;
	double client_cpu_s;
	double server_cpu_s;       /* < 0: not measured */
	double emu_late_max_ms;    /* < 0: no userspace emulator */
	bool discarded;            /* not in the statistics */
	char discard_reason[96];
	/* Goodput in each NB_BUCKET_S bucket from the transfer's start,
	 * bit/s (the last bucket is partial). */
	double *series_bps;
	size_t nseries;
};

struct nb_result_case {
	char name[96];             /* <profile>/<proto>/<dir>[/<client>-to-<server>] */
	char profile[32];
	char proto[16];
	/* The ends (ext.h): "netbench", a recipe's name or "cmd"; how the
	 * transfers were timed and checked; the protocol the browser's page
	 * says it used ("" for the others). */
	char server[16], client[16];
	char timing[12];           /* internal, own, page, wall */
	char verify[12];           /* payload, count */
	char client_protocol[16];
	enum nb_dir dir;
	uint64_t rate_bps;         /* the profile's, 0 = unthrottled */
	uint32_t rtt_ms;
	double loss_pct;
	uint64_t size;             /* payload bytes per replicate */
	/* "ok", "FAILED", "ENV_CHANGED", "INTERRUPTED" */
	char status[16];
	char error[512];           /* why it failed, "" otherwise */
	struct nb_result_rep *rep; /* every replicate, discarded ones too */
	size_t nrep;
	/* Derived by nb_results_finish (and recomputed by the reader): */
	struct nb_stats st;        /* of the kept replicates' goodput */
	double ceiling_bps;        /* 0: none (unthrottled) */
	double efficiency;         /* st.mean / ceiling_bps, 0 without one */
	double baseline_bps;       /* mean of tcp, same profile + dir; 0 */
	double emu_cpu_s;          /* < 0: no userspace emulator */
};

struct nb_result_lib {
	char name[24];
	char version[40];
};

struct nb_results {
	int schema;                /* NB_RESULTS_SCHEMA when built here */
	char netbench_version[32];
	char started[32];          /* ISO 8601 UTC */
	char host[65];
	char kernel[160];          /* uname -r and -v */
	char machine[65];          /* uname -m */
	unsigned cpus;
	char cpu_model[96];
	char backend[16];          /* link backend: netem | userspace */
	char tcp_cc[16];           /* TCP congestion control of the link */
	uint64_t seed;
	double loss_pct;
	unsigned replicates;       /* asked for per case */
	double duration_s;         /* 0 when sized by --size */
	uint64_t size;             /* --size, 0 when sized by duration */
	/* Test knob: the shaped rate was this fraction of the profile's
	 * (1 normally; a hidden knob for compare's tests). */
	double rate_scale;
	struct nb_result_lib lib[12];
	size_t nlib;
	struct nb_result_case *cases;
	size_t ncases;
	size_t cap;
};

/* Empty results with this machine's and this build's description
 * (schema, version, time, host, kernel, CPU, libraries). Errors: none
 * (fields it cannot read stay empty). */
void nb_results_init(struct nb_results *r);

void nb_results_free(struct nb_results *r);

/* Appends a zeroed case and returns it (valid until the next append).
 * NULL: out of memory. */
struct nb_result_case *nb_results_add_case(struct nb_results *r);

/* Appends a zeroed replicate to c (server_cpu_s and emu_late_max_ms set
 * to -1). NULL: out of memory. */
struct nb_result_rep *nb_result_case_add_rep(struct nb_result_case *c);

/* Derives c's st and efficiency from its kept replicates. */
void nb_result_case_finish(struct nb_result_case *c);

/* Derives st, efficiency and baseline_bps of every case from its kept
 * replicates (ceiling_bps is set by whoever built the case). */
void nb_results_finish(struct nb_results *r);

/* The case named `name`, NULL if none. */
const struct nb_result_case *nb_results_find(const struct nb_results *r,
					     const char *name);

/* Goodputs of c's kept replicates into v (at most cap); returns how many. */
size_t nb_result_case_goodputs(const struct nb_result_case *c, double *v,
			       size_t cap);

/* Writes results.json, perfherder.json, results.csv and report.html into
 * dir (created if missing), each through a temporary file renamed into
 * place: a file is there whole or not at all. Returns 0 or a negative
 * errno (nb_lasterr() names the file and why). */
int nb_results_write_dir(const struct nb_results *r, const char *dir);

/* Creates dir (and its parents) if missing and checks that files can be
 * made in it: `run -o` calls it before measuring anything. Errors:
 * negative errno, nb_lasterr() naming the directory and why. */
int nb_results_check_dir(const char *dir);

/* Each file on its own (results_json.c, perfherder.c, results_csv.c,
 * report_html.c). Write to an open stream; 0 or a negative errno. */
int nb_results_write_json(const struct nb_results *r, FILE *f);
int nb_perfherder_write(const struct nb_results *r, FILE *f);
int nb_results_write_csv(const struct nb_results *r, FILE *f);
int nb_report_write_html(const struct nb_results *r, FILE *f);

/* Reads a results.json (or a directory holding one) written by this or an
 * older schema, and derives as nb_results_finish does. Errors: -ENOENT,
 * -EINVAL (not JSON, not ours, a newer schema, a missing or mistyped
 * field: nb_lasterr() says which and where), -ENOMEM. r is left empty
 * on error. */
int nb_results_read_json(const char *path, struct nb_results *r);

#endif
