/* netbench: the table of external ends, their choice on the command line
 * and command templates (see ext.h). */
#include "ext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "peer.h"

static const struct nb_ext *const exts[] = {
	&nb_ext_caddy,       &nb_ext_nghttpd,        &nb_ext_gtlsserver,
	&nb_ext_iperf3_server, &nb_ext_curl,         &nb_ext_gtlsclient,
	&nb_ext_chromium,    &nb_ext_iperf3_client,
};

#define NEXTS (sizeof(exts) / sizeof(exts[0]))

void nb_argv_init(struct nb_argv *a)
{
	a->n = 0;
	a->used = 0;
	a->v[0] = NULL;
}

int nb_argv_add(struct nb_argv *a, const char *fmt, ...)
{
	size_t room = sizeof(a->buf) - a->used;
	va_list ap;
	int n;

	if (a->n >= NB_ARGV_MAX)
		return nb_fail(-E2BIG, "command line longer than %d words",
			       NB_ARGV_MAX);
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return nb_fail(-E2BIG, "command line longer than %zu bytes",
			       sizeof(a->buf));
	a->v[a->n++] = a->buf + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

int nb_ext_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return nb_fail(-ENAMETOOLONG, "path too long: %s...", buf);
	return 0;
}

const char *nb_ext_timing_name(enum nb_ext_timing t)
{
	static const char *const names[] = {"internal", "own", "page", "wall"};

	return (unsigned)t < 4 ? names[t] : "?";
}

const char *nb_ext_verify_name(enum nb_ext_verify v)
{
	return v == NB_VERIFY_COUNT ? "count" : "payload";
}

size_t nb_ext_count(void)
{
	return NEXTS;
}

const struct nb_ext *nb_ext_at(size_t i)
{
	return i < NEXTS ? exts[i] : NULL;
}

const char *nb_ext_names(enum nb_ext_side side)
{
	static char names[2][160];
	char *buf = names[side == NB_EXT_CLIENT];
	size_t off = 0;

	off += (size_t)snprintf(buf, sizeof(names[0]), "netbench");
	for (size_t i = 0; i < NEXTS && off < sizeof(names[0]); i++) {
		if (exts[i]->side == side)
			off += (size_t)snprintf(buf + off, sizeof(names[0]) - off,
						", %s", exts[i]->name);
	}
	if (off < sizeof(names[0]))
		snprintf(buf + off, sizeof(names[0]) - off, ", cmd:TEMPLATE");
	return buf;
}

/* The placeholders a template of each side may use and must use. */
static const char *const server_vars[] = {"addr", "port", "cert", "key",
					  "root", "ca"};
static const char *const client_vars[] = {"url", "size", "file", "addr",
					  "port", "ca", "pin", "answer"};

static int check_template(enum nb_ext_side side, const char *tmpl)
{
	const char *const *vars = side == NB_EXT_SERVER ? server_vars : client_vars;
	size_t nvars = side == NB_EXT_SERVER ?
			       sizeof(server_vars) / sizeof(*server_vars) :
			       sizeof(client_vars) / sizeof(*client_vars);
	struct nb_argv *a = malloc(sizeof(*a));
	int rv;

	if (!a)
		return -ENOMEM;
	/* Expanding with the names themselves checks the syntax. */
	rv = nb_ext_expand(tmpl, vars, vars, nvars, a);
	free(a);
	if (rv)
		return rv;
	if (side == NB_EXT_SERVER && !strstr(tmpl, "{port}"))
		return nb_fail(-EINVAL, "--server cmd: the template must listen "
			       "on {port} (and {addr})");
	if (side == NB_EXT_CLIENT &&
	    (!strstr(tmpl, "{url}") && !strstr(tmpl, "{addr}")))
		return nb_fail(-EINVAL, "--client cmd: the template must name "
			       "the server: {url} (or {addr} and {port})");
	if (side == NB_EXT_CLIENT && !strstr(tmpl, "{file}"))
		return nb_fail(-EINVAL, "--client cmd: the template must use "
			       "{file}: a download is written to it and "
			       "checked, an upload is read from it");
	return 0;
}

int nb_ext_parse(enum nb_ext_side side, const char *arg,
		 struct nb_ext_choice *out)
{
	const char *opt = side == NB_EXT_SERVER ? "--server" : "--client";

	memset(out, 0, sizeof(*out));
	if (!strcmp(arg, "netbench"))
		return 0;
	if (!strncmp(arg, "cmd:", 4)) {
		if (!arg[4] || strspn(arg + 4, " \t") == strlen(arg + 4))
			return nb_fail(-EINVAL, "%s cmd: needs a command after "
				       "'cmd:'", opt);
		out->ext = side == NB_EXT_SERVER ? &nb_ext_cmd_server
						 : &nb_ext_cmd_client;
		out->template = arg + 4;
		return check_template(side, out->template);
	}
	for (size_t i = 0; i < NEXTS; i++) {
		if (exts[i]->side == side && !strcmp(exts[i]->name, arg)) {
			out->ext = exts[i];
			return 0;
		}
	}
	return nb_fail(-EINVAL, "%s: unknown %s '%s' (valid: %s)", opt,
		       side == NB_EXT_SERVER ? "server" : "client", arg,
		       nb_ext_names(side));
}

const char *nb_ext_label(const struct nb_ext_choice *c)
{
	return c && c->ext ? c->ext->name : "netbench";
}

static bool speaks(const struct nb_ext *e, const struct nb_proto *proto)
{
	const char *p = e->protos;
	size_t n = strlen(proto->name);

	while ((p = strstr(p, proto->name))) {
		if ((p == e->protos || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

static int check_end(const struct nb_ext_choice *c, const char *opt,
		     const struct nb_proto *proto)
{
	char path[PATH_MAX];

	if (!c || !c->ext)
		return 0;
	if (proto && !speaks(c->ext, proto))
		return nb_fail(-EINVAL, "%s %s does not do %s (it does: %s)", opt,
			       c->ext->name, proto->name, c->ext->protos);
	if (c->ext->program && nb_peer_which(c->ext->program, path, sizeof(path)))
		return -ENOENT;
	return 0;
}

int nb_ext_check(const struct nb_ext_choice *server,
		 const struct nb_ext_choice *client,
		 const struct nb_proto *proto)
{
	bool iperf_s = server && server->ext == &nb_ext_iperf3_server;
	bool iperf_c = client && client->ext == &nb_ext_iperf3_client;
	int rv;

	if (iperf_s != iperf_c)
		return nb_fail(-EINVAL, "iperf3 speaks only to iperf3: give "
			       "--server iperf3 and --client iperf3 together");
	if (client && client->ext && (client->ext->flags & NB_EXT_PAGE) &&
	    server && server->ext && !(server->ext->flags & NB_EXT_SINK))
		return nb_fail(-EINVAL, "--client %s needs a server that serves "
			       "its page and takes its result: netbench or "
			       "caddy, not %s", client->ext->name,
			       server->ext->name);
	rv = check_end(server, "--server", proto);
	if (!rv)
		rv = check_end(client, "--client", proto);
	return rv;
}

/* Appends the expansion of one placeholder name (len bytes at p). */
static int expand_var(const char *p, size_t len, const char *const names[],
		      const char *const vars[], size_t nvars, char *dst,
		      size_t *off, size_t cap)
{
	for (size_t i = 0; i < nvars; i++) {
		size_t vl = strlen(vars[i]);

		if (strlen(names[i]) != len || memcmp(names[i], p, len))
			continue;
		if (*off + vl >= cap)
			return nb_fail(-E2BIG, "template word too long");
		memcpy(dst + *off, vars[i], vl);
		*off += vl;
		return 0;
	}
	return nb_fail(-EINVAL, "unknown placeholder {%.*s} in the template "
		       "(valid: %s%s%s%s%s...)", (int)len, p,
		       names[0], nvars > 1 ? ", " : "", nvars > 1 ? names[1] : "",
		       nvars > 2 ? ", " : "", nvars > 2 ? names[2] : "");
}

int nb_ext_expand(const char *tmpl, const char *const names[],
		  const char *const vars[], size_t nvars, struct nb_argv *out)
{
	char word[4096];
	const char *p = tmpl;
	int rv;

	nb_argv_init(out);
	for (;;) {
		size_t off = 0;
		char quote = 0;
		bool any = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		while (*p && (quote || (*p != ' ' && *p != '\t'))) {
			if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p++;
				any = true;
				continue;
			}
			if (quote && *p == quote) {
				quote = 0;
				p++;
				continue;
			}
			if ((p[0] == '{' && p[1] == '{') ||
			    (p[0] == '}' && p[1] == '}')) {
				if (off + 1 >= sizeof(word))
					return nb_fail(-E2BIG, "template word "
						       "too long");
				word[off++] = *p;   /* {{ and }} are { and } */
				p += 2;
				any = true;
				continue;
			}
			if (*p == '{') {
				const char *end = strchr(p, '}');

				if (!end)
					return nb_fail(-EINVAL, "unterminated "
						       "{ in the template");
				rv = expand_var(p + 1, (size_t)(end - p - 1),
						names, vars, nvars, word, &off,
						sizeof(word));
				if (rv)
					return rv;
				p = end + 1;
				any = true;
				continue;
			}
			if (off + 1 >= sizeof(word))
				return nb_fail(-E2BIG, "template word too long");
			word[off++] = *p++;
			any = true;
		}
		if (quote)
			return nb_fail(-EINVAL, "unterminated %c in the template",
				       quote);
		if (any) {
			word[off] = '\0';
			rv = nb_argv_add(out, "%s", word);
			if (rv)
				return rv;
		}
	}
}
