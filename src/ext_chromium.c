/* netbench: the browser as a client (see ext.h): Debian's chromium,
 * headless, loading the test page of page.h from the server under test.
 * The page times the transfer with performance.now() and posts the result
 * to /result, which our server (directly, or behind caddy's proxy) appends
 * to its results file; ext_run.c reads it from there.
 *
 * The flags are the seed's: the server's certificate is trusted by its
 * SPKI pin (--ignore-certificate-errors-spki-list), h3 is forced with
 * --origin-to-force-quic-on. The page is loaded as https://localhost:PORT
 * (the certificate names localhost; --host-resolver-rules maps it to the
 * server, so no resolver is asked). Everything that would talk to the
 * outside (updates, sync, metrics, crash reports) is off, and the profile
 * lives in the case's temp directory. */
#include "ext.h"

#include <stdio.h>
#include <string.h>

static const char *const quiet_flags[] = {
	"--headless=new",
	"--no-sandbox",          /* root, and no user namespaces needed */
	"--disable-gpu",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-extensions",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-default-apps",
	"--disable-breakpad",
	"--disable-crash-reporter",
	"--metrics-recording-only",
	"--disable-features=MediaRouter,OptimizationHints,Translate",
	"--password-store=basic",
	"--use-mock-keychain",
};

static int chromium_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	struct nb_argv *a = &cmd->argv;
	const char *proto = x->proto->name;
	int rv;

	if ((rv = nb_argv_add(a, "chromium")))
		return rv;
	for (size_t i = 0; i < sizeof(quiet_flags) / sizeof(*quiet_flags); i++) {
		rv = nb_argv_add(a, "%s", quiet_flags[i]);
		if (rv)
			return rv;
	}
	if ((rv = nb_argv_add(a, "--user-data-dir=%s/chromium", x->tmpdir)) ||
	    (rv = nb_argv_add(a, "--ignore-certificate-errors-spki-list=%s",
			      x->pin)) ||
	    (rv = nb_argv_add(a, "--host-resolver-rules=MAP localhost %s",
			      x->addr)))
		return rv;
	if (!strcmp(proto, "h3") &&
	    (rv = nb_argv_add(a, "--origin-to-force-quic-on=localhost:%u",
			      x->port)))
		return rv;
	if (!strcmp(proto, "h1") && (rv = nb_argv_add(a, "--disable-http2")))
		return rv;
	return nb_argv_add(a, "https://localhost:%u/netbench/%s-%llu.html",
			   x->port, nb_dir_name(x->dir),
			   (unsigned long long)x->size);
}

const struct nb_ext nb_ext_chromium = {
	.name = "chromium",
	.side = NB_EXT_CLIENT,
	.program = "chromium",
	.protos = "h1,h2,h3",
	.flags = NB_EXT_PAGE,
	.timing = NB_TIMING_PAGE,
	.command = chromium_command,
};
