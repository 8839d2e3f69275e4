/* netbench: client recipes (see ext.h): curl's command line, ngtcp2's
 * gtlsclient, iperf3 and a command template. The browser is in
 * ext_chromium.c. */
#include "ext.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "tcp_cc.h"

/* Downloads land in tmpdir/download, uploads are read from tmpdir/body. */
static void body_paths(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	snprintf(cmd->file, sizeof(cmd->file), "%s/%s", x->tmpdir,
		 x->dir == NB_DOWNLOAD ? "download" : "body");
	if (x->dir == NB_UPLOAD)
		snprintf(cmd->answer, sizeof(cmd->answer), "%s/answer",
			 x->tmpdir);
}

/* curl 7.88: TLS verified against certs/ca.pem and pinned to the key;
 * timed by its own clock: from just before the request (time_pretransfer,
 * after the handshake) to the end (time_total). No Expect: 100-continue
 * round trip on uploads. */
#define CURL_TAG "netbench-curl"

static int curl_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	struct nb_argv *a = &cmd->argv;
	int rv;

	body_paths(x, cmd);
	if ((rv = nb_argv_add(a, "curl")) || (rv = nb_argv_add(a, "-sS")) ||
	    (rv = nb_argv_add(a, "--fail-with-body")) ||
	    (rv = nb_argv_add(a, "%s", !strcmp(x->proto->name, "h1") ?
					       "--http1.1" : "--http2")) ||
	    (rv = nb_argv_add(a, "--cacert")) ||
	    (rv = nb_argv_add(a, "%s", x->ca)) ||
	    (rv = nb_argv_add(a, "--pinnedpubkey")) ||
	    (rv = nb_argv_add(a, "sha256//%s", x->pin)) ||
	    (rv = nb_argv_add(a, "-w")) ||
	    (rv = nb_argv_add(a, "\\n" CURL_TAG " pretransfer=%%{time_pretransfer}"
			      " total=%%{time_total} version=%%{http_version}"
			      " down=%%{size_download} up=%%{size_upload}\\n")))
		return rv;
	if (x->dir == NB_UPLOAD &&
	    ((rv = nb_argv_add(a, "-H")) || (rv = nb_argv_add(a, "Expect:")) ||
	     (rv = nb_argv_add(a, "-T")) ||
	     (rv = nb_argv_add(a, "%s", cmd->file))))
		return rv;
	if ((rv = nb_argv_add(a, "-o")) ||
	    (rv = nb_argv_add(a, "%s", x->dir == NB_UPLOAD ? cmd->answer
							   : cmd->file)) ||
	    (rv = nb_argv_add(a, "%s", x->url)))
		return rv;
	return 0;
}

static int curl_seconds(const struct nb_ext_ctx *x, const char *out, double *s,
			uint64_t *bytes)
{
	const char *p = strstr(out, CURL_TAG " ");
	const char *want = !strcmp(x->proto->name, "h1") ? "1.1" : "2";
	unsigned long long down, up;
	double pre, total;
	char version[8];

	if (!p || sscanf(p, CURL_TAG " pretransfer=%lf total=%lf version=%7s "
			 "down=%llu up=%llu", &pre, &total, version, &down,
			 &up) != 5)
		return nb_fail(-ENOENT, "curl printed no timing line");
	if (strcmp(version, want))
		return nb_fail(-EPROTO, "curl spoke HTTP/%s where %s was asked "
			       "for", version, x->proto->name);
	*s = total - pre;
	*bytes = x->dir == NB_DOWNLOAD ? down : up;
	return 0;
}

const struct nb_ext nb_ext_curl = {
	.name = "curl",
	.side = NB_EXT_CLIENT,
	.program = "curl",
	.protos = "h1,h2",
	.timing = NB_TIMING_OWN,
	.command = curl_command,
	.seconds = curl_seconds,
};

/* gtlsclient (ngtcp2's example client on GnuTLS): it prints no figure of
 * its own with -q, so the process's wall time is the measure. Bodies go
 * to --download=DIR under the last component of the path. */
static int gtlsclient_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	struct nb_argv *a = &cmd->argv;
	char dir[PATH_MAX / 2];
	int rv;

	snprintf(dir, sizeof(dir), "%s/gtls", x->tmpdir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return nb_fail(-errno, "mkdir %s: %s", dir, strerror(errno));
	if (x->dir == NB_DOWNLOAD) {
		snprintf(cmd->file, sizeof(cmd->file), "%s/%llu", dir,
			 (unsigned long long)x->size);
	} else {
		snprintf(cmd->file, sizeof(cmd->file), "%s/body", x->tmpdir);
		snprintf(cmd->answer, sizeof(cmd->answer), "%s/upload", dir);
	}
	if ((rv = nb_argv_add(a, "gtlsclient")) || (rv = nb_argv_add(a, "-q")) ||
	    (rv = nb_ext_gtls_windows(a)) ||
	    (rv = nb_argv_add(a, "--exit-on-all-streams-close")) ||
	    (rv = nb_argv_add(a, "--download=%s", dir)))
		return rv;
	if (x->dir == NB_UPLOAD &&
	    ((rv = nb_argv_add(a, "-m")) || (rv = nb_argv_add(a, "PUT")) ||
	     (rv = nb_argv_add(a, "-d")) ||
	     (rv = nb_argv_add(a, "%s", cmd->file))))
		return rv;
	if ((rv = nb_argv_add(a, "%s", x->addr)) ||
	    (rv = nb_argv_add(a, "%u", x->port)) ||
	    (rv = nb_argv_add(a, "%s", x->url)))
		return rv;
	return 0;
}

const struct nb_ext nb_ext_gtlsclient = {
	.name = "gtlsclient",
	.side = NB_EXT_CLIENT,
	.program = "gtlsclient",
	.protos = "h3",
	.timing = NB_TIMING_WALL,
	.command = gtlsclient_command,
};

/* iperf3's client, with the seed's settings (-M 1240 -l 1200, as our tcp
 * protocol) and our congestion control at both ends (-C, which iperf3
 * passes to its server); a download is -R. Timed and counted by iperf3's receiver
 * (end.sum_received), which knows nothing of our payload. */
static int iperf3_client_command(const struct nb_ext_ctx *x,
				 struct nb_ext_cmd *cmd)
{
	struct nb_argv *a = &cmd->argv;
	int rv;

	if ((rv = nb_argv_add(a, "iperf3")) || (rv = nb_argv_add(a, "--client")) ||
	    (rv = nb_argv_add(a, "%s", x->addr)) ||
	    (rv = nb_argv_add(a, "--port")) ||
	    (rv = nb_argv_add(a, "%u", x->port)) ||
	    (rv = nb_argv_add(a, "--bytes")) ||
	    (rv = nb_argv_add(a, "%llu", (unsigned long long)x->size)) ||
	    (rv = nb_argv_add(a, "--set-mss")) || (rv = nb_argv_add(a, "1240")) ||
	    (rv = nb_argv_add(a, "--congestion")) ||
	    (rv = nb_argv_add(a, "%s", NB_TCP_CC)) ||
	    (rv = nb_argv_add(a, "--length")) || (rv = nb_argv_add(a, "1200")) ||
	    (rv = nb_argv_add(a, "--json")))
		return rv;
	if (x->dir == NB_DOWNLOAD && (rv = nb_argv_add(a, "--reverse")))
		return rv;
	return 0;
}

static int iperf3_seconds(const struct nb_ext_ctx *x, const char *out,
			  double *s, uint64_t *bytes)
{
	const char *start = strchr(out, '{');
	json_t *root, *recv;
	json_error_t err;
	int rv = 0;

	(void)x;
	if (!start)
		return nb_fail(-ENOENT, "iperf3 printed no JSON");
	root = json_loads(start, JSON_DISABLE_EOF_CHECK, &err);
	if (!root)
		return nb_fail(-ENOENT, "iperf3's JSON: %s", err.text);
	recv = json_object_get(json_object_get(root, "end"), "sum_received");
	if (!json_is_number(json_object_get(recv, "seconds")) ||
	    !json_is_number(json_object_get(recv, "bytes"))) {
		const char *e = json_string_value(json_object_get(root, "error"));

		rv = nb_fail(-ENOENT, "iperf3: %s",
			     e ? e : "no end.sum_received in its JSON");
	} else {
		*s = json_number_value(json_object_get(recv, "seconds"));
		*bytes = (uint64_t)json_number_value(json_object_get(recv, "bytes"));
	}
	json_decref(root);
	return rv;
}

const struct nb_ext nb_ext_iperf3_client = {
	.name = "iperf3",
	.side = NB_EXT_CLIENT,
	.program = "iperf3",
	.protos = "tcp",
	.flags = NB_EXT_COUNT,
	.timing = NB_TIMING_OWN,
	.command = iperf3_client_command,
	.seconds = iperf3_seconds,
};

/* cmd:TEMPLATE with {url} {size} {file} {addr} {port} {ca} {pin}
 * {answer}; timed by a line `NETBENCH_SECONDS=S` in its output if it
 * prints one, else by its wall time. */
static int cmd_client_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	static const char *const names[] = {"url", "size", "file", "addr",
					    "port", "ca", "pin", "answer"};
	char size[24], port[8];
	const char *vars[8];

	body_paths(x, cmd);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)x->size);
	snprintf(port, sizeof(port), "%u", x->port);
	vars[0] = x->url;
	vars[1] = size;
	vars[2] = cmd->file;
	vars[3] = x->addr;
	vars[4] = port;
	vars[5] = x->ca;
	vars[6] = x->pin;
	vars[7] = cmd->answer;
	if (!strstr(x->template, "{answer}"))
		cmd->answer[0] = '\0';
	return nb_ext_expand(x->template, names, vars, 8, &cmd->argv);
}

static int cmd_seconds(const struct nb_ext_ctx *x, const char *out, double *s,
		       uint64_t *bytes)
{
	const char *p = out;

	(void)x;
	*bytes = UINT64_MAX;
	while ((p = strstr(p, "NETBENCH_SECONDS="))) {
		if (p == out || p[-1] == '\n') {
			char *end;

			*s = strtod(p + 17, &end);
			if (end == p + 17 || *s <= 0 || (*end && *end != '\n' &&
							   *end != '\r'))
				return nb_fail(-EPROTO, "NETBENCH_SECONDS= is "
					       "followed by no positive number");
			return 0;
		}
		p += 17;
	}
	return -ENOENT;
}

const struct nb_ext nb_ext_cmd_client = {
	.name = "cmd",
	.side = NB_EXT_CLIENT,
	.protos = "tcp,h1,h2,h3",
	.timing = NB_TIMING_OWN,
	.command = cmd_client_command,
	.seconds = cmd_seconds,
};
