/* netbench: other implementations at either end of a case.
 *
 * `run --server NAME|cmd:TEMPLATE` and `--client NAME|cmd:TEMPLATE` put
 * another program in place of netbench's own server or client: a recipe
 * (struct nb_ext, a vtable per program) or a command template. The
 * program runs as a child of the runner in the case's namespace; the
 * fixture starts it (servers, once per case) or runs it (clients, once per
 * replicate), times the transfer and checks what arrived.
 *
 * External servers serve files: the fixture writes the download as
 * <root>/bytes/N with the payload pattern in the case's temp directory
 * (removed at teardown, as the guard checks), so clients ask every server
 * for the same URL, https://ADDR:PORT/bytes/N. Uploads go to /upload:
 * servers that proxy (caddy) forward them to a `netbench serve` of ours
 * behind them, which verifies the body; the others read and discard it
 * and answer from a small file, so only the sender's byte count stands.
 *
 * External clients are timed by their own figure where they print one
 * (curl's -w, iperf3's JSON, a template's `NETBENCH_SECONDS=S` line), by
 * the browser page's performance.now() (chromium), else by the process's
 * wall time from exec to exit (which includes its start-up and handshake);
 * every result says which. A download lands in a file of the temp
 * directory that is checked against the payload and removed.
 */
#ifndef NB_EXT_H
#define NB_EXT_H

#include <limits.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.h"
#include "proto.h"

#define NB_ARGV_MAX 64

/* A command line under construction: words copied into buf. */
struct nb_argv {
	char *v[NB_ARGV_MAX + 1];   /* NULL-terminated */
	size_t n;
	char buf[8192];
	size_t used;
};

void nb_argv_init(struct nb_argv *a);
/* Appends one word (printf format). Errors: -E2BIG (too many or too long;
 * nb_lasterr() says so). */
int nb_argv_add(struct nb_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* snprintf for paths. Errors: -ENAMETOOLONG (nb_lasterr() names it). */
int nb_ext_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum nb_ext_side { NB_EXT_SERVER, NB_EXT_CLIENT };

enum nb_ext_timing {
	NB_TIMING_INTERNAL,  /* netbench's own client (DESIGN §5) */
	NB_TIMING_OWN,       /* the command's own figure, from its output */
	NB_TIMING_PAGE,      /* the browser page's performance.now() */
	NB_TIMING_WALL,      /* the process's wall time, exec to exit */
};

/* What was checked of the bytes that arrived. */
enum nb_ext_verify {
	NB_VERIFY_PAYLOAD,   /* every byte against the payload pattern */
	NB_VERIFY_COUNT,     /* the count only (the receiver is not ours) */
};

const char *nb_ext_timing_name(enum nb_ext_timing t);
const char *nb_ext_verify_name(enum nb_ext_verify v);

/* What a recipe is told about the case, and where it may write. */
struct nb_ext_ctx {
	const struct nb_proto *proto;
	enum nb_dir dir;
	uint64_t size;
	const char *addr;          /* the server's IPv4 literal */
	uint16_t port;             /* the server's port */
	uint16_t sink_port;        /* our server behind a proxying one */
	const char *tmpdir;        /* the case's temp directory */
	char root[PATH_MAX];       /* files served: tmpdir/htdocs */
	char url[256];             /* what the client asks for */
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	char pin[128];             /* base64 SHA-256 of the server's SPKI */
	const char *template;      /* cmd: form, else NULL */
};

/* What a recipe's command() gives back besides the argv. */
struct nb_ext_cmd {
	struct nb_argv argv;
	/* client, download: where the body lands (checked, removed);
	 * upload: the file it sends. */
	char file[PATH_MAX];
	/* client, upload: where the server's answer lands, "" = nowhere. */
	char answer[PATH_MAX];
	enum nb_peer_ready ready;  /* server: when it is ready (peer.h) */
};

/* Recipe flags. */
#define NB_EXT_SINK 0x1    /* server: proxies /upload and /result to ours */
#define NB_EXT_PAGE 0x2    /* client: a browser that needs the page */
#define NB_EXT_COUNT 0x4   /* server/client: receives without checking */

struct nb_ext {
	const char *name;
	enum nb_ext_side side;
	const char *program;       /* looked up in PATH before the run */
	const char *protos;        /* "h1,h2,h3" */
	unsigned flags;
	enum nb_ext_timing timing; /* clients */
	/* Writes what it needs under x->tmpdir and its command line into
	 * cmd. Errors: -E2BIG, -EINVAL (a bad template), negative errno of
	 * a file it writes; nb_lasterr() says why. */
	int (*command)(const struct nb_ext_ctx *x, struct nb_ext_cmd *cmd);
	/* NB_TIMING_OWN: the transfer's seconds from the command's output,
	 * and the bytes it says it moved (UINT64_MAX: it does not say).
	 * Errors: -ENOENT (no figure in it), -EPROTO (a figure that makes
	 * no sense, e.g. HTTP/1.1 where h2 was asked for). */
	int (*seconds)(const struct nb_ext_ctx *x, const char *out, double *s,
		       uint64_t *bytes);
};

/* An end of a case chosen on the command line. ext NULL = netbench's. */
struct nb_ext_choice {
	const struct nb_ext *ext;
	const char *template;      /* cmd: form */
};

/* Parses `--server` / `--client`: a recipe name, "netbench" (ours) or
 * "cmd:TEMPLATE" (checked: it names the placeholders it must). Errors:
 * -EINVAL with one line in nb_lasterr() naming what is accepted. */
int nb_ext_parse(enum nb_ext_side side, const char *arg,
		 struct nb_ext_choice *out);

/* The end's name in case names and results: "netbench", a recipe's
 * name, or "cmd". */
const char *nb_ext_label(const struct nb_ext_choice *c);

/* Whether the pair can run proto (NULL proto: any selected later).
 * Errors: -EINVAL, nb_lasterr() says which end refuses and why; -ENOENT
 * when a program is not installed (a skip, not bad usage). */
int nb_ext_check(const struct nb_ext_choice *server,
		 const struct nb_ext_choice *client,
		 const struct nb_proto *proto);

/* The recipes, for `list` and messages. */
size_t nb_ext_count(void);
const struct nb_ext *nb_ext_at(size_t i);
const char *nb_ext_names(enum nb_ext_side side);

/* Expands a cmd: template word by word (split on blanks; '...' and
 * "..." quote), replacing {name} placeholders by vars[i] of names[i]; {{
 * and }} stand for { and } (curl's -w '%{{time_total}}').
 * Errors: -EINVAL (an unknown placeholder, an unterminated quote),
 * -E2BIG. */
int nb_ext_expand(const char *tmpl, const char *const names[],
		  const char *const vars[], size_t nvars, struct nb_argv *out);

/* Appends the flow-control options that give ngtcp2's example client
 * and server the windows of ours (16 MiB). Errors: -E2BIG. */
int nb_ext_gtls_windows(struct nb_argv *a);

/* The recipes (ext_servers.c, ext_clients.c, ext_chromium.c). */
extern const struct nb_ext nb_ext_caddy, nb_ext_nghttpd, nb_ext_gtlsserver,
	nb_ext_iperf3_server, nb_ext_cmd_server;
extern const struct nb_ext nb_ext_curl, nb_ext_gtlsclient, nb_ext_chromium,
	nb_ext_iperf3_client, nb_ext_cmd_client;

#endif
