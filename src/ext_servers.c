/* netbench: server recipes (see ext.h): caddy as the seed configures it,
 * nghttpd, ngtcp2's gtlsserver, iperf3, and a command template. Each
 * serves x->root, where the fixture has written bytes/N (downloads), an
 * small `upload` (uploads: those that do not proxy answer 200 from it once
 * they have read the body) and the browser's pages. */
#include "ext.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* caddy 2.6 as the seed's network_bench.py configures it: JSON config,
 * admin off, protocols per case (["h1","h2"], or ["h3"] alone), TLS from
 * certs/ with session tickets off, no-cache headers on what it serves;
 * uploads (and the browser page's result) go through its reverse proxy
 * to our server on sink_port, as the seed's go to its node backend. */
static int caddy_config(const struct nb_ext_ctx *x, const char *path)
{
	const char *name = x->proto->name;
	json_t *protocols, *proxy, *files, *server, *cfg;
	char listen[64], upstream[64], storage[PATH_MAX];
	int rv;

	if (!strcmp(name, "h3"))
		protocols = json_pack("[s]", "h3");
	else if (!strcmp(name, "h1"))
		protocols = json_pack("[s]", "h1");
	else
		protocols = json_pack("[ss]", "h1", "h2");
	snprintf(listen, sizeof(listen), "%s:%u", x->addr, x->port);
	snprintf(upstream, sizeof(upstream), "%s:%u", x->addr, x->sink_port);
	snprintf(storage, sizeof(storage), "%s/caddy", x->tmpdir);
	proxy = json_pack("{s:[{s:[ss]}], s:[{s:s, s:[{s:s}],"
			  " s:{s:s, s:{s:[s]}}}]}",
			  "match", "path", "/upload", "/result",
			  "handle", "handler", "reverse_proxy",
			  "upstreams", "dial", upstream,
			  "transport", "protocol", "http",
			  "tls", "root_ca_pem_files", x->ca);
	files = json_pack("{s:[{s:s, s:{s:{s:[sss]}}}, {s:s, s:s}]}",
			  "handle", "handler", "headers",
			  "response", "set", "Cache-Control",
			  "no-store", "no-cache", "must-revalidate",
			  "handler", "file_server", "root", x->root);
	server = json_pack("{s:[s], s:o, s:{s:b}, s:[{s:s}], s:[oo]}",
			   "listen", listen, "protocols", protocols,
			   "automatic_https", "disable", 1,
			   "tls_connection_policies", "default_sni", "localhost",
			   "routes", proxy, files);
	cfg = json_pack("{s:{s:b}, s:{s:{s:{s:s}}}, s:{s:s, s:s},"
			" s:{s:{s:{s:o}}, s:{s:{s:b}, s:{s:[{s:s, s:s}]}}}}",
			"admin", "disabled", 1,
			"logging", "logs", "default", "level", "ERROR",
			"storage", "module", "file_system", "root", storage,
			"apps", "http", "servers", "nb", server,
			"tls", "session_tickets", "disabled", 1,
			"certificates", "load_files", "certificate", x->cert,
			"key", x->key);
	if (!cfg)
		return nb_fail(-ENOMEM, "caddy: cannot build its configuration");
	rv = json_dump_file(cfg, path, JSON_INDENT(1)) ?
		     nb_fail(-EIO, "caddy: cannot write %s", path) : 0;
	json_decref(cfg);
	return rv;
}

static int caddy_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	char path[PATH_MAX];
	int rv;

	snprintf(path, sizeof(path), "%s/caddy.json", x->tmpdir);
	rv = caddy_config(x, path);
	if (rv)
		return rv;
	if (!strcmp(x->proto->name, "h3"))
		cmd->ready = NB_PEER_UDP_BOUND;
	/* caddy writes autosave.json and its data under HOME/XDG dirs. */
	if ((rv = nb_argv_add(&cmd->argv, "env")) ||
	    (rv = nb_argv_add(&cmd->argv, "HOME=%s", x->tmpdir)) ||
	    (rv = nb_argv_add(&cmd->argv, "XDG_DATA_HOME=%s", x->tmpdir)) ||
	    (rv = nb_argv_add(&cmd->argv, "XDG_CONFIG_HOME=%s", x->tmpdir)) ||
	    (rv = nb_argv_add(&cmd->argv, "caddy")) ||
	    (rv = nb_argv_add(&cmd->argv, "run")) ||
	    (rv = nb_argv_add(&cmd->argv, "--config")) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", path)))
		return rv;
	return 0;
}

const struct nb_ext nb_ext_caddy = {
	.name = "caddy",
	.side = NB_EXT_SERVER,
	.program = "caddy",
	.protos = "h1,h2,h3",
	.flags = NB_EXT_SINK,
	.command = caddy_command,
};

/* nghttpd (nghttp2's example server, h2 over TLS only), with stream and
 * connection windows of 16 MiB as ours (DESIGN §4): its default 64 KiB
 * holds an upload to 13 Mbit/s at 40 ms. */
static int nghttpd_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	int rv;

	if ((rv = nb_argv_add(&cmd->argv, "nghttpd")) ||
	    (rv = nb_argv_add(&cmd->argv, "--window-bits=24")) ||
	    (rv = nb_argv_add(&cmd->argv, "--connection-window-bits=24")) ||
	    (rv = nb_argv_add(&cmd->argv, "--address=%s", x->addr)) ||
	    (rv = nb_argv_add(&cmd->argv, "--htdocs=%s", x->root)) ||
	    (rv = nb_argv_add(&cmd->argv, "%u", x->port)) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->key)) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->cert)))
		return rv;
	return 0;
}

const struct nb_ext nb_ext_nghttpd = {
	.name = "nghttpd",
	.side = NB_EXT_SERVER,
	.program = "nghttpd",
	.protos = "h2",
	.flags = NB_EXT_COUNT,
	.command = nghttpd_command,
};

/* QUIC flow control of ngtcp2's examples as ours: 16 MiB windows from the
 * start (quic.h), where the examples start small and grow. */
int nb_ext_gtls_windows(struct nb_argv *a)
{
	static const char *const opts[] = {
		"--max-data=16M", "--max-stream-data-bidi-local=16M",
		"--max-stream-data-bidi-remote=16M", "--max-window=16M",
		"--max-stream-window=16M",
	};
	int rv;

	for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++) {
		rv = nb_argv_add(a, "%s", opts[i]);
		if (rv)
			return rv;
	}
	return 0;
}

/* gtlsserver (ngtcp2's example server on GnuTLS, h3). */
static int gtlsserver_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	int rv;

	cmd->ready = NB_PEER_UDP_BOUND;
	if ((rv = nb_argv_add(&cmd->argv, "gtlsserver")) ||
	    (rv = nb_argv_add(&cmd->argv, "-q")) ||
	    (rv = nb_ext_gtls_windows(&cmd->argv)) ||
	    (rv = nb_argv_add(&cmd->argv, "-d")) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->root)) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->addr)) ||
	    (rv = nb_argv_add(&cmd->argv, "%u", x->port)) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->key)) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->cert)))
		return rv;
	return 0;
}

const struct nb_ext nb_ext_gtlsserver = {
	.name = "gtlsserver",
	.side = NB_EXT_SERVER,
	.program = "gtlsserver",
	.protos = "h3",
	.flags = NB_EXT_COUNT,
	.command = gtlsserver_command,
};

/* iperf3's server: the peer of --client iperf3, for tcp. */
static int iperf3_server_command(const struct nb_ext_ctx *x,
				 struct nb_ext_cmd *cmd)
{
	int rv;

	/* A probing connection would be taken for a test's. */
	cmd->ready = NB_PEER_TCP_LISTENING;
	if ((rv = nb_argv_add(&cmd->argv, "iperf3")) ||
	    (rv = nb_argv_add(&cmd->argv, "--server")) ||
	    (rv = nb_argv_add(&cmd->argv, "--bind")) ||
	    (rv = nb_argv_add(&cmd->argv, "%s", x->addr)) ||
	    (rv = nb_argv_add(&cmd->argv, "--port")) ||
	    (rv = nb_argv_add(&cmd->argv, "%u", x->port)))
		return rv;
	return 0;
}

const struct nb_ext nb_ext_iperf3_server = {
	.name = "iperf3",
	.side = NB_EXT_SERVER,
	.program = "iperf3",
	.protos = "tcp",
	.flags = NB_EXT_COUNT,
	.command = iperf3_server_command,
};

/* cmd:TEMPLATE with {addr} {port} {cert} {key} {root} {ca}; ready when
 * its port is open (UDP for h3). */
static int cmd_server_command(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd)
{
	static const char *const names[] = {"addr", "port", "cert", "key",
					    "root", "ca"};
	char port[8];
	const char *const vars[] = {x->addr, port, x->cert, x->key, x->root,
				    x->ca};

	snprintf(port, sizeof(port), "%u", x->port);
	if (!strcmp(x->proto->name, "h3"))
		cmd->ready = NB_PEER_UDP_BOUND;
	return nb_ext_expand(x->template, names, vars, 6, &cmd->argv);
}

const struct nb_ext nb_ext_cmd_server = {
	.name = "cmd",
	.side = NB_EXT_SERVER,
	.protos = "tcp,h1,h2,h3",
	.flags = NB_EXT_COUNT,
	.command = cmd_server_command,
};
