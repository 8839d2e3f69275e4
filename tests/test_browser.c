/* netbench: the browser's test page end to end (src/page.c served by
 * `netbench serve`), on a real link: headless Chromium in the client's
 * namespace loads https://localhost:4443/netbench/<dir>-N.html from our
 * server in the server's namespace (--host-resolver-rules maps localhost
 * to it; the certificate is trusted by its SPKI pin), the page moves and
 * verifies the bytes and posts its result, which the server appends to
 * its --results-file: a start line then a done line, ok, over the
 * protocol of the case (h2; http/1.1 from an h1 server; h3 with
 * --origin-to-force-quic-on), and for an upload the server's own record
 * with verdict ok. Chromium's whole process group is then killed and
 * nothing of it may remain. The processes it ran and the page's figures
 * are printed (tests/chromium_testutil.c says what Chromium does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chromium_testutil.h"
#include "error.h"
#include "link.h"
#include "peer_testutil.h"
#include "spawn.h"
#include "tls.h"

#define PORT 4443
#define SIZE 1000000
#define WAIT_S 30

static struct peer_env pe;
static char pin[128];              /* base64 of the SPKI's SHA-256 */
static int runs;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `netbench serve --proto proto --results-file <dir>/<results>` on the
 * server's side of the link. */
static void serve(struct nb_child *c, const char *proto, const char *results)
{
	char listen[64], file[400];
	char *argv[] = {(char *)nb_self_exe(), "serve", "--proto",
			(char *)proto, "--listen", listen, "--ready-fd", "3",
			"--results-file", file, NULL};

	snprintf(listen, sizeof(listen), "%s:%d", NB_LINK_SERVER_ADDR, PORT);
	snprintf(file, sizeof(file), "%s/%s", pe.dir, results);
	if (nb_spawn(&pe.u, c, pe.l.ns[NB_SERVER], argv, 5000))
		fail_msg("serve: %s", nb_lasterr());
}

/* The records of the results file (a JSON array), once it holds a line
 * whose event is "done" or "error" (NULL after WAIT_S). */
static json_t *wait_results(const char *results, struct chromium *c)
{
	char path[400], line[8192];
	double end = now_s() + WAIT_S;

	snprintf(path, sizeof(path), "%s/%s", pe.dir, results);
	while (now_s() < end && !chromium_wait(c, 0)) {
		json_t *all = json_array();
		bool over = false;
		FILE *f = fopen(path, "re");

		while (f && fgets(line, sizeof(line), f)) {
			json_t *rec = json_loads(line, 0, NULL);
			const char *e;

			if (!rec)
				fail_msg("%s: not JSON: %s", results, line);
			e = json_string_value(json_object_get(rec, "event"));
			over |= e && (!strcmp(e, "done") || !strcmp(e, "error"));
			json_array_append_new(all, rec);
		}
		if (f)
			fclose(f);
		if (over)
			return all;
		json_decref(all);
		usleep(50 * 1000);
	}
	return NULL;
}

/* The first record of `event` in the array, or NULL. */
static json_t *record(json_t *all, const char *event)
{
	size_t i;
	json_t *rec;

	json_array_foreach(all, i, rec) {
		const char *e = json_string_value(json_object_get(rec, "event"));

		if (e && !strcmp(e, event))
			return rec;
	}
	return NULL;
}

/* Chromium loads the page of `dir` from a `proto` server: the page's
 * result must be ok over `expect` (nextHopProtocol). */
static void page_case(const char *proto, const char *dir, const char *expect,
		      const char *extra)
{
	char results[64], cdir[300], spki[200], url[128], *err, *text;
	const char *args[] = {spki, "--host-resolver-rules=MAP localhost "
			      NB_LINK_SERVER_ADDR, url, NULL, NULL};
	struct nb_child server;
	struct chromium c;
	json_t *all, *done;
	double t0 = now_s();
	int strays, status;

	snprintf(results, sizeof(results), "results-%d.jsonl", runs);
	snprintf(cdir, sizeof(cdir), "%s/chromium-%d", pe.dir, runs++);
	assert_int_equal(mkdir(cdir, 0700), 0);
	snprintf(spki, sizeof(spki), "--ignore-certificate-errors-spki-list=%s",
		 pin);
	snprintf(url, sizeof(url), "https://localhost:%d/netbench/%s-%d.html",
		 PORT, dir, SIZE);
	if (extra) {
		args[3] = url;
		args[2] = extra;
	}
	serve(&server, proto, results);
	chromium_start(&c, cdir, args, NULL);
	all = wait_results(results, &c);
	fprintf(stderr, "browser: %s %s: chromium's processes after %.1f s:\n",
		proto, dir, now_s() - t0);
	chromium_procs(cdir, true);
	status = chromium_stop(&c, &strays);
	fprintf(stderr, "browser: %d of them outside its process group when "
		"it was killed (wait status 0x%x)\n", strays, status);
	assert_int_equal(chromium_procs(cdir, false), 0);
	nb_child_stop(&server);
	if (!all) {
		err = chromium_err_tail(cdir);
		fail_msg("no result from the page within %d s (chromium %s); "
			 "its stderr ends:\n%s", WAIT_S,
			 c.exited ? "exited" : "still ran", err);
	}
	text = json_dumps(all, JSON_COMPACT);
	fprintf(stderr, "browser: results: %s\n", text);
	free(text);
	assert_non_null(record(all, "start"));
	done = record(all, "done");
	if (!done)
		fail_msg("the page failed: %s", json_string_value(json_object_get(
			 record(all, "error"), "error")));
	assert_true(json_is_true(json_object_get(done, "ok")));
	assert_string_equal(json_string_value(json_object_get(done, "dir")),
			    dir);
	assert_int_equal(json_integer_value(json_object_get(done, "size")),
			 SIZE);
	assert_int_equal(json_integer_value(json_object_get(done, "bytes")),
			 SIZE);
	assert_int_equal(json_integer_value(json_object_get(done, "bad")), -1);
	assert_true(json_number_value(json_object_get(done, "ms")) > 0);
	assert_string_equal(json_string_value(json_object_get(done,
							      "protocol")),
			    expect);
	if (!strcmp(dir, "upload")) {
		json_t *up = record(all, "upload");

		assert_non_null(up);
		assert_string_equal(json_string_value(json_object_get(up,
								      "verdict")),
				    "ok");
		assert_int_equal(json_integer_value(json_object_get(up,
								    "bytes")),
				 SIZE);
		assert_string_equal(json_string_value(json_object_get(done,
								      "answer")),
				    "{\"bytes\":1000000,\"verdict\":\"ok\"}\n");
	}
	json_decref(all);
}

static void t_h2_download(void **state)
{
	(void)state;
	page_case("h2", "download", "h2", NULL);
}

static void t_h2_upload(void **state)
{
	(void)state;
	page_case("h2", "upload", "h2", NULL);
}

static void t_h1_download(void **state)
{
	(void)state;
	page_case("h1", "download", "http/1.1", NULL);
}

static void t_h3_download(void **state)
{
	char force[64];

	(void)state;
	snprintf(force, sizeof(force), "--origin-to-force-quic-on=localhost:%d",
		 PORT);
	page_case("h3", "download", "h3", force);
}

static void t_h3_upload(void **state)
{
	char force[64];

	(void)state;
	snprintf(force, sizeof(force), "--origin-to-force-quic-on=localhost:%d",
		 PORT);
	page_case("h3", "upload", "h3", force);
}

/* The pin without curl's "sha256//" (Chromium wants the bare base64). */
static int start(void)
{
	char p[128];
	int rv = nb_tls_read_pin(p, sizeof(p));

	if (rv)
		return rv;
	snprintf(pin, sizeof(pin), "%s",
		 strncmp(p, "sha256//", 8) ? p : p + 8);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	return peer_group_setup(&pe, "browser", 1, start) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return peer_group_teardown(&pe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_h2_download),
		cmocka_unit_test(t_h2_upload),
		cmocka_unit_test(t_h1_download),
		cmocka_unit_test(t_h3_download),
		cmocka_unit_test(t_h3_upload),
	};
	const char *const need[] = {CHROMIUM};
	int rv = peer_prepare("browser", need, 1);

	if (rv)
		return rv;
	return cmocka_run_group_tests_name("browser", tests, group_setup,
					   group_teardown);
}
