/* netbench: the results of a run, in memory (see results.h). */
#include "results.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <math.h>
#include <netlink/version.h>
#include <nghttp2/nghttp2.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

#ifndef NB_VERSION
#define NB_VERSION "0.1.0"
#endif

static void add_lib(struct nb_results *r, const char *name, const char *version)
{
	if (r->nlib >= sizeof(r->lib) / sizeof(r->lib[0]) || !version)
		return;
	snprintf(r->lib[r->nlib].name, sizeof(r->lib[0].name), "%s", name);
	snprintf(r->lib[r->nlib].version, sizeof(r->lib[0].version), "%s",
		 version);
	r->nlib++;
}

/* The first "model name" of /proc/cpuinfo. */
static void read_cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

void nb_results_init(struct nb_results *r)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	char nl[16];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(r, 0, sizeof(*r));
	r->schema = NB_RESULTS_SCHEMA;
	r->rate_scale = 1.0;
	snprintf(r->netbench_version, sizeof(r->netbench_version), "%s",
		 NB_VERSION);
	if (gmtime_r(&now, &tm))
		strftime(r->started, sizeof(r->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (uname(&u) == 0) {
		snprintf(r->host, sizeof(r->host), "%s", u.nodename);
		snprintf(r->kernel, sizeof(r->kernel), "%s %s", u.release,
			 u.version);
		snprintf(r->machine, sizeof(r->machine), "%s", u.machine);
	}
	r->cpus = cpus > 0 ? (unsigned)cpus : 0;
	read_cpu_model(r->cpu_model, sizeof(r->cpu_model));
	/* The libraries under test, as loaded (not as compiled against). */
	add_lib(r, "gnutls", gnutls_check_version(NULL));
	add_lib(r, "libcurl", curl_version_info(CURLVERSION_NOW)->version);
	add_lib(r, "nghttp2", nghttp2_version(0)->version_str);
	add_lib(r, "ngtcp2", ngtcp2_version(0)->version_str);
	add_lib(r, "nghttp3", nghttp3_version(0)->version_str);
	snprintf(nl, sizeof(nl), "%d.%d.%d", nl_ver_maj, nl_ver_min, nl_ver_mic);
	add_lib(r, "libnl", nl);
	add_lib(r, "jansson", jansson_version_str());
}

void nb_results_free(struct nb_results *r)
{
	for (size_t i = 0; i < r->ncases; i++) {
		struct nb_result_case *c = &r->cases[i];

		for (size_t j = 0; j < c->nrep; j++)
			free(c->rep[j].series_bps);
		free(c->rep);
	}
	free(r->cases);
	r->cases = NULL;
	r->ncases = r->cap = 0;
}

struct nb_result_case *nb_results_add_case(struct nb_results *r)
{
	struct nb_result_case *c;

	if (r->ncases == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *p = realloc(r->cases, cap * sizeof(*r->cases));

		if (!p)
			return NULL;
		r->cases = p;
		r->cap = cap;
	}
	c = &r->cases[r->ncases++];
	memset(c, 0, sizeof(*c));
	c->emu_cpu_s = -1;
	snprintf(c->server, sizeof(c->server), "netbench");
	snprintf(c->client, sizeof(c->client), "netbench");
	snprintf(c->timing, sizeof(c->timing), "internal");
	snprintf(c->verify, sizeof(c->verify), "payload");
	snprintf(c->status, sizeof(c->status), "ok");
	return c;
}

struct nb_result_rep *nb_result_case_add_rep(struct nb_result_case *c)
{
	struct nb_result_rep *p = realloc(c->rep, (c->nrep + 1) * sizeof(*p));

	if (!p)
		return NULL;
	c->rep = p;
	p = &c->rep[c->nrep++];
	memset(p, 0, sizeof(*p));
	p->server_cpu_s = -1;
	p->emu_late_max_ms = -1;
	return p;
}

size_t nb_result_case_goodputs(const struct nb_result_case *c, double *v,
			       size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nrep && n < cap; i++)
		if (!c->rep[i].discarded)
			v[n++] = c->rep[i].goodput_bps;
	return n;
}

void nb_result_case_finish(struct nb_result_case *c)
{
	double *v = malloc((c->nrep ? c->nrep : 1) * sizeof(*v));
	size_t n = v ? nb_result_case_goodputs(c, v, c->nrep) : 0;

	nb_stats_compute(v, n, &c->st);
	free(v);
	c->efficiency = c->ceiling_bps > 0 && n ? c->st.mean / c->ceiling_bps : 0;
}

void nb_results_finish(struct nb_results *r)
{
	for (size_t i = 0; i < r->ncases; i++)
		nb_result_case_finish(&r->cases[i]);
	/* The baseline: our tcp case of the same profile and direction. */
	for (size_t i = 0; i < r->ncases; i++) {
		struct nb_result_case *c = &r->cases[i];

		c->baseline_bps = 0;
		for (size_t j = 0; j < r->ncases; j++) {
			const struct nb_result_case *b = &r->cases[j];

			if (!strcmp(b->proto, "tcp") && b->dir == c->dir &&
			    !strcmp(b->server, "netbench") &&
			    !strcmp(b->client, "netbench") &&
			    !strcmp(b->profile, c->profile) && b->st.n)
				c->baseline_bps = b->st.mean;
		}
	}
}

const struct nb_result_case *nb_results_find(const struct nb_results *r,
					     const char *name)
{
	for (size_t i = 0; i < r->ncases; i++)
		if (!strcmp(r->cases[i].name, name))
			return &r->cases[i];
	return NULL;
}

typedef int (*writer_fn)(const struct nb_results *r, FILE *f);

/* dir/name written through dir/.name.tmp, renamed into place. */
static int write_one(const struct nb_results *r, const char *dir,
		     const char *name, writer_fn fn)
{
	char path[4096], tmp[4096];
	FILE *f;
	int rv;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	f = fopen(tmp, "we");
	if (!f)
		return nb_fail(-errno, "%s: %s", tmp, strerror(errno));
	rv = fn(r, f);
	if (rv) {
		const char *why = nb_lasterr();
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", why);
		fclose(f);
		unlink(tmp);
		return nb_fail(rv, "%s: %s", path, msg);
	}
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		rv = -(errno ? errno : EIO);
		fclose(f);
		unlink(tmp);
		return nb_fail(rv, "%s: %s", path, strerror(-rv));
	}
	if (fclose(f)) {
		rv = -errno;
		unlink(tmp);
		return nb_fail(rv, "%s: %s", path, strerror(-rv));
	}
	if (rename(tmp, path)) {
		rv = -errno;
		unlink(tmp);
		return nb_fail(rv, "%s: %s", path, strerror(-rv));
	}
	return 0;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
	char p[4096];
	size_t len = strlen(dir);

	if (!len || len >= sizeof(p))
		return nb_fail(-EINVAL, "-o: bad directory name '%s'", dir);
	memcpy(p, dir, len + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return nb_fail(-errno, "%s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return nb_fail(-errno, "%s: %s", p, strerror(errno));
	return 0;
}

int nb_results_check_dir(const char *dir)
{
	int rv = make_dirs(dir);

	if (!rv && access(dir, W_OK | X_OK))
		rv = nb_fail(-errno, "%s: %s", dir, strerror(errno));
	return rv;
}

int nb_results_write_dir(const struct nb_results *r, const char *dir)
{
	static const struct {
		const char *name;
		writer_fn fn;
	} files[] = {
		{"results.json", nb_results_write_json},
		{"perfherder.json", nb_perfherder_write},
		{"results.csv", nb_results_write_csv},
		{"report.html", nb_report_write_html},
	};
	int rv = make_dirs(dir);

	for (size_t i = 0; !rv && i < sizeof(files) / sizeof(files[0]); i++)
		rv = write_one(r, dir, files[i].name, files[i].fn);
	return rv;
}
