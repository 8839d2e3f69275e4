/* netbench: results.json, written and read back (schema in
 * docs/results.md). Built with jansson, so strings are escaped and numbers
 * round-trip; goodputs are Mbit/s (10^6 bit/s) in the file. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "goodput.h"
#include "results.h"

/* jansson refuses NaN and infinities: a figure that is not finite is 0. */
static json_t *num(double v)
{
	return json_real(isfinite(v) ? v : 0.0);
}

static json_t *mbps(double bps)
{
	return num(bps / 1e6);
}

static json_t *rep_json(const struct nb_result_rep *p)
{
	json_t *series = json_array();
	json_t *o;

	for (size_t i = 0; series && i < p->nseries; i++)
		json_array_append_new(series, mbps(p->series_bps[i]));
	o = json_pack("{s:o, s:o, s:I, s:o, s:o, s:o, s:b, s:s, s:o}",
		      "goodput_mbps", mbps(p->goodput_bps),
		      "seconds", num(p->seconds),
		      "bytes", (json_int_t)p->bytes,
		      "client_cpu_s", num(p->client_cpu_s),
		      "server_cpu_s", num(p->server_cpu_s),
		      "emu_late_max_ms", num(p->emu_late_max_ms),
		      "discarded", p->discarded,
		      "discard_reason", p->discard_reason,
		      "series_mbps", series ? series : json_array());
	return o;
}

static json_t *case_json(const struct nb_result_case *c)
{
	json_t *reps = json_array(), *o;

	for (size_t i = 0; reps && i < c->nrep; i++)
		json_array_append_new(reps, rep_json(&c->rep[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
		      " s:I, s:I, s:o, s:I, s:s, s:s,"
		      " s:o, s:o, s:o, s:o,"
		      " s:{s:I, s:o, s:o, s:o, s:o, s:o, s:o}, s:o}",
		      "name", c->name, "profile", c->profile, "proto", c->proto,
		      "server", c->server, "client", c->client,
		      "timing", c->timing, "verify", c->verify,
		      "client_protocol", c->client_protocol,
		      "direction", nb_dir_name(c->dir),
		      "rate_bps", (json_int_t)c->rate_bps,
		      "rtt_ms", (json_int_t)c->rtt_ms,
		      "loss_pct", num(c->loss_pct),
		      "size_bytes", (json_int_t)c->size,
		      "status", c->status, "error", c->error,
		      "ceiling_mbps", mbps(c->ceiling_bps),
		      "efficiency", num(c->efficiency),
		      "baseline_mbps", mbps(c->baseline_bps),
		      "emu_cpu_s", num(c->emu_cpu_s),
		      "stats",
		      "n", (json_int_t)c->st.n,
		      "mean_mbps", mbps(c->st.mean),
		      "median_mbps", mbps(c->st.median),
		      "stdev_mbps", mbps(c->st.stdev),
		      "cv", num(c->st.cv),
		      "min_mbps", mbps(c->st.min),
		      "max_mbps", mbps(c->st.max),
		      "replicates", reps ? reps : json_array());
	return o;
}

int nb_results_write_json(const struct nb_results *r, FILE *f)
{
	json_t *libs = json_object(), *cases = json_array(), *root;
	int rv = 0;

	for (size_t i = 0; libs && i < r->nlib; i++)
		json_object_set_new(libs, r->lib[i].name,
				    json_string(r->lib[i].version));
	for (size_t i = 0; cases && i < r->ncases; i++)
		json_array_append_new(cases, case_json(&r->cases[i]));
	root = json_pack("{s:i, s:{s:s}, s:s,"
			 " s:{s:s, s:s, s:s, s:I, s:s}, s:o,"
			 " s:{s:s, s:s, s:I, s:o, s:I, s:o, s:I, s:o, s:o, s:o}, s:o}",
			 "schema", r->schema,
			 "netbench", "version", r->netbench_version,
			 "started", r->started,
			 "machine", "host", r->host, "kernel", r->kernel,
			 "arch", r->machine, "cpus", (json_int_t)r->cpus,
			 "cpu_model", r->cpu_model,
			 "libraries", libs ? libs : json_object(),
			 "run", "backend", r->backend, "tcp_cc", r->tcp_cc,
			 "seed", (json_int_t)r->seed,
			 "loss_pct", num(r->loss_pct),
			 "replicates", (json_int_t)r->replicates,
			 "duration_s", num(r->duration_s),
			 "size_bytes", (json_int_t)r->size,
			 "rate_scale", num(r->rate_scale),
			 "stall_ms", num(NB_RESULTS_STALL_MS),
			 "bucket_s", num(NB_BUCKET_S),
			 "cases", cases ? cases : json_array());
	if (!root)
		return nb_fail(-ENOMEM, "cannot build the JSON document");
	if (json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) ||
	    fputc('\n', f) == EOF)
		rv = nb_fail(-EIO, "write error");
	json_decref(root);
	return rv;
}

/* Reading. Every accessor records where a field is missing or mistyped;
 * the first failure wins. */
struct reader {
	const char *path;
	int rv;
};

static json_t *field(struct reader *rd, json_t *o, const char *where,
		     const char *key, json_type type)
{
	json_t *v = json_object_get(o, key);
	bool ok = v && (json_typeof(v) == type ||
			(type == JSON_REAL && json_is_integer(v)) ||
			(type == JSON_TRUE && json_is_boolean(v)));

	if (!ok && !rd->rv)
		rd->rv = nb_fail(-EINVAL, "%s: %s\"%s\" is %s", rd->path, where,
				 key, v ? "of the wrong type" : "missing");
	return ok ? v : NULL;
}

static double get_num(struct reader *rd, json_t *o, const char *where,
		      const char *key)
{
	json_t *v = field(rd, o, where, key, JSON_REAL);

	return v ? json_number_value(v) : 0;
}

static uint64_t get_uint(struct reader *rd, json_t *o, const char *where,
			 const char *key)
{
	json_t *v = field(rd, o, where, key, JSON_INTEGER);

	if (v && json_integer_value(v) < 0 && !rd->rv)
		rd->rv = nb_fail(-EINVAL, "%s: %s\"%s\" is negative", rd->path,
				 where, key);
	return v && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static void get_str(struct reader *rd, json_t *o, const char *where,
		    const char *key, char *buf, size_t len)
{
	json_t *v = field(rd, o, where, key, JSON_STRING);

	snprintf(buf, len, "%s", v ? json_string_value(v) : "");
}

/* The ends of a case: optional (results written before they existed
 * had only netbench's own). */
static void opt_str(json_t *o, const char *key, char *buf, size_t len,
		    const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(buf, len, "%s", v ? v : dflt);
}

static void ends_json(json_t *o, struct nb_result_case *c)
{
	opt_str(o, "server", c->server, sizeof(c->server), "netbench");
	opt_str(o, "client", c->client, sizeof(c->client), "netbench");
	opt_str(o, "timing", c->timing, sizeof(c->timing), "internal");
	opt_str(o, "verify", c->verify, sizeof(c->verify), "payload");
	opt_str(o, "client_protocol", c->client_protocol,
		sizeof(c->client_protocol), "");
}

static int read_rep(struct reader *rd, json_t *o, const char *where,
		    struct nb_result_case *c)
{
	struct nb_result_rep *p = nb_result_case_add_rep(c);
	json_t *series, *v;
	size_t i;

	if (!p)
		return rd->rv = nb_fail(-ENOMEM, "out of memory");
	p->goodput_bps = get_num(rd, o, where, "goodput_mbps") * 1e6;
	p->seconds = get_num(rd, o, where, "seconds");
	p->bytes = get_uint(rd, o, where, "bytes");
	p->client_cpu_s = get_num(rd, o, where, "client_cpu_s");
	p->server_cpu_s = get_num(rd, o, where, "server_cpu_s");
	p->emu_late_max_ms = get_num(rd, o, where, "emu_late_max_ms");
	v = field(rd, o, where, "discarded", JSON_TRUE);
	p->discarded = v && json_is_true(v);
	get_str(rd, o, where, "discard_reason", p->discard_reason,
		sizeof(p->discard_reason));
	series = field(rd, o, where, "series_mbps", JSON_ARRAY);
	if (!series || !json_array_size(series))
		return rd->rv;
	p->series_bps = calloc(json_array_size(series), sizeof(double));
	if (!p->series_bps)
		return rd->rv = nb_fail(-ENOMEM, "out of memory");
	json_array_foreach(series, i, v) {
		if (!json_is_number(v)) {
			if (!rd->rv)
				rd->rv = nb_fail(-EINVAL, "%s: %s\"series_mbps\" "
						 "holds a non-number", rd->path, where);
			break;
		}
		p->series_bps[p->nseries++] = json_number_value(v) * 1e6;
	}
	return rd->rv;
}

static int read_case(struct reader *rd, json_t *o, size_t idx,
		     struct nb_results *r)
{
	struct nb_result_case *c = nb_results_add_case(r);
	char where[160], dir[16];
	json_t *reps, *v;
	size_t i;

	if (!c)
		return rd->rv = nb_fail(-ENOMEM, "out of memory");
	if (!json_is_object(o))
		return rd->rv = nb_fail(-EINVAL, "%s: cases[%zu] is not an object",
					rd->path, idx);
	snprintf(where, sizeof(where), "cases[%zu]: ", idx);
	get_str(rd, o, where, "name", c->name, sizeof(c->name));
	snprintf(where, sizeof(where), "case %s: ", c->name);
	get_str(rd, o, where, "profile", c->profile, sizeof(c->profile));
	get_str(rd, o, where, "proto", c->proto, sizeof(c->proto));
	ends_json(o, c);
	get_str(rd, o, where, "direction", dir, sizeof(dir));
	if (!rd->rv && nb_dir_parse(dir, &c->dir))
		rd->rv = nb_fail(-EINVAL, "%s: %s\"direction\" is '%s'", rd->path,
				 where, dir);
	c->rate_bps = get_uint(rd, o, where, "rate_bps");
	c->rtt_ms = (uint32_t)get_uint(rd, o, where, "rtt_ms");
	c->loss_pct = get_num(rd, o, where, "loss_pct");
	c->size = get_uint(rd, o, where, "size_bytes");
	get_str(rd, o, where, "status", c->status, sizeof(c->status));
	get_str(rd, o, where, "error", c->error, sizeof(c->error));
	c->ceiling_bps = get_num(rd, o, where, "ceiling_mbps") * 1e6;
	c->emu_cpu_s = get_num(rd, o, where, "emu_cpu_s");
	reps = field(rd, o, where, "replicates", JSON_ARRAY);
	if (!reps)
		return rd->rv;
	json_array_foreach(reps, i, v) {
		char w[200];

		snprintf(w, sizeof(w), "%sreplicates[%zu]: ", where, i);
		if (!json_is_object(v))
			return rd->rv = nb_fail(-EINVAL, "%s: %sis not an object",
						rd->path, w);
		if (read_rep(rd, v, w, c))
			return rd->rv;
	}
	return rd->rv;
}

static void read_run(struct reader *rd, json_t *root, struct nb_results *r)
{
	json_t *m = field(rd, root, "", "machine", JSON_OBJECT);
	json_t *run = field(rd, root, "", "run", JSON_OBJECT);
	json_t *libs = field(rd, root, "", "libraries", JSON_OBJECT);
	json_t *nb = field(rd, root, "", "netbench", JSON_OBJECT);
	const char *key;
	json_t *v;

	get_str(rd, root, "", "started", r->started, sizeof(r->started));
	if (nb)
		get_str(rd, nb, "netbench: ", "version", r->netbench_version,
			sizeof(r->netbench_version));
	if (m) {
		get_str(rd, m, "machine: ", "host", r->host, sizeof(r->host));
		get_str(rd, m, "machine: ", "kernel", r->kernel, sizeof(r->kernel));
		get_str(rd, m, "machine: ", "arch", r->machine, sizeof(r->machine));
		r->cpus = (unsigned)get_uint(rd, m, "machine: ", "cpus");
		get_str(rd, m, "machine: ", "cpu_model", r->cpu_model,
			sizeof(r->cpu_model));
	}
	if (run) {
		get_str(rd, run, "run: ", "backend", r->backend, sizeof(r->backend));
		/* Added after schema 1 was out: optional. */
		if (json_is_string(json_object_get(run, "tcp_cc")))
			get_str(rd, run, "run: ", "tcp_cc", r->tcp_cc,
				sizeof(r->tcp_cc));
		r->seed = get_uint(rd, run, "run: ", "seed");
		r->loss_pct = get_num(rd, run, "run: ", "loss_pct");
		r->replicates = (unsigned)get_uint(rd, run, "run: ", "replicates");
		r->duration_s = get_num(rd, run, "run: ", "duration_s");
		r->size = get_uint(rd, run, "run: ", "size_bytes");
		r->rate_scale = get_num(rd, run, "run: ", "rate_scale");
	}
	r->nlib = 0;
	if (libs) {
		json_object_foreach(libs, key, v) {
			if (r->nlib >= sizeof(r->lib) / sizeof(r->lib[0]))
				break;
			snprintf(r->lib[r->nlib].name, sizeof(r->lib[0].name), "%s", key);
			snprintf(r->lib[r->nlib].version, sizeof(r->lib[0].version),
				 "%s", json_is_string(v) ? json_string_value(v) : "?");
			r->nlib++;
		}
	}
}

int nb_results_read_json(const char *path, struct nb_results *r)
{
	char file[4096];
	struct stat sb;
	json_error_t err;
	json_t *root, *cases, *v;
	struct reader rd = {.path = file};
	size_t i;

	memset(r, 0, sizeof(*r));
	if (stat(path, &sb))
		return nb_fail(-errno, "%s: %s", path, strerror(errno));
	snprintf(file, sizeof(file), S_ISDIR(sb.st_mode) ? "%s/results.json" : "%s",
		 path);
	root = json_load_file(file, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (json_error_code(&err) == json_error_cannot_open_file)
			return nb_fail(-ENOENT, "%s: %s", file, err.text);
		return nb_fail(-EINVAL, "%s: not JSON: %s (line %d)", file,
			       err.text, err.line);
	}
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "schema"))) {
		rd.rv = nb_fail(-EINVAL, "%s: not a netbench results.json (no "
				"\"schema\")", file);
		goto out;
	}
	r->schema = (int)json_integer_value(json_object_get(root, "schema"));
	if (r->schema > NB_RESULTS_SCHEMA || r->schema < 1) {
		rd.rv = nb_fail(-EINVAL, "%s: schema %d, this netbench reads "
				"1 to %d", file, r->schema, NB_RESULTS_SCHEMA);
		goto out;
	}
	read_run(&rd, root, r);
	cases = field(&rd, root, "", "cases", JSON_ARRAY);
	if (cases)
		json_array_foreach(cases, i, v)
			if (read_case(&rd, v, i, r))
				break;
	if (!rd.rv)
		nb_results_finish(r);
out:
	json_decref(root);
	if (rd.rv)
		nb_results_free(r);
	return rd.rv;
}
