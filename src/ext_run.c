/* netbench: running an external client for one replicate (see ext_run.h). */
#include "ext_run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "goodput.h"
#include "http_target.h"
#include "interrupt.h"
#include "payload.h"
#include "peer.h"
#include "procfs.h"
#include "spawn.h"
#include "tls.h"
#include "undo.h"

#define LOG_MAX (1 << 20)     /* what is read of a client's output */
#define TAIL 300              /* what of it an error quotes */

int nb_ext_ctx_fill(struct nb_ext_ctx *x)
{
	int rv;

	if ((rv = nb_certs_path("server.pem", x->cert, sizeof(x->cert))) ||
	    (rv = nb_certs_path("server.key", x->key, sizeof(x->key))) ||
	    (rv = nb_certs_path("ca.pem", x->ca, sizeof(x->ca))) ||
	    (rv = nb_tls_read_pin(x->pin, sizeof(x->pin))))
		return rv;
	/* The bare base64 (curl wants "sha256//" before it, chromium not). */
	if (!strncmp(x->pin, "sha256//", 8))
		memmove(x->pin, x->pin + 8, strlen(x->pin + 8) + 1);
	snprintf(x->root, sizeof(x->root), "%s/htdocs", x->tmpdir);
	if (!strcmp(x->proto->name, "tcp"))
		snprintf(x->url, sizeof(x->url), "tcp://%s:%u", x->addr, x->port);
	else if (x->dir == NB_DOWNLOAD)
		snprintf(x->url, sizeof(x->url), "https://%s:%u/bytes/%llu",
			 x->addr, x->port, (unsigned long long)x->size);
	else
		snprintf(x->url, sizeof(x->url), "https://%s:%u/upload", x->addr,
			 x->port);
	return 0;
}

int nb_ext_write_payload(const char *path, uint64_t size)
{
	uint8_t *buf = malloc(1 << 16);
	int fd, rv = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rv = nb_fail(-errno, "create %s: %s", path, strerror(errno));
		goto out;
	}
	for (uint64_t off = 0; off < size && !rv;) {
		size_t n = size - off < (1 << 16) ? (size_t)(size - off) : 1 << 16;

		nb_payload_fill(buf, off, n);
		if (write(fd, buf, n) != (ssize_t)n)
			rv = nb_fail(-EIO, "write %s: %s", path, strerror(errno));
		off += n;
	}
	if (close(fd) && !rv)
		rv = nb_fail(-errno, "close %s: %s", path, strerror(errno));
out:
	free(buf);
	return rv;
}

int nb_ext_check_payload(const char *path, uint64_t size)
{
	uint8_t *buf = malloc(1 << 16);
	uint64_t off = 0, bad;
	ssize_t n = 0;
	int fd, rv = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rv = nb_fail(-errno, "no body at %s: %s", path, strerror(errno));
		goto out;
	}
	while (!rv && (n = read(fd, buf, 1 << 16)) > 0) {
		if (nb_payload_check(buf, off, (size_t)n, &bad))
			rv = nb_fail(-EBADMSG, "the body does not match the "
				     "payload at byte %llu",
				     (unsigned long long)bad);
		off += (uint64_t)n;
	}
	if (!rv && n < 0)
		rv = nb_fail(-errno, "read %s: %s", path, strerror(errno));
	if (!rv && off != size)
		rv = nb_fail(-EBADMSG, "the body is %llu bytes, not %llu",
			     (unsigned long long)off, (unsigned long long)size);
	close(fd);
out:
	free(buf);
	return rv;
}

/* The client's output (at most LOG_MAX bytes from its start), malloc'd,
 * NUL-terminated; "" when unreadable. */
static char *read_log(const char *path)
{
	char *buf = calloc(1, LOG_MAX + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (buf && fd >= 0) {
		while (got < LOG_MAX &&
		       (n = read(fd, buf + got, LOG_MAX - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

/* The last TAIL bytes of the log, on one line, for error messages. */
static const char *tail_of(char *log)
{
	size_t len = log ? strlen(log) : 0;
	char *t = log ? log + (len > TAIL ? len - TAIL : 0) : "";

	for (char *p = t; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	return t;
}

/* The next complete line of the results file after *off, parsed; NULL
 * when there is none yet (or it is not JSON: skipped). */
static json_t *next_record(const char *path, off_t *off)
{
	char buf[8192];
	json_t *rec = NULL;
	ssize_t n;
	char *nl;
	int fd;

	while (!rec) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		n = pread(fd, buf, sizeof(buf) - 1, *off);
		close(fd);
		if (n <= 0)
			return NULL;
		buf[n] = '\0';
		nl = strchr(buf, '\n');
		if (!nl)
			return NULL;
		*nl = '\0';
		*off += nl - buf + 1;
		rec = json_loads(buf, 0, NULL);
	}
	return rec;
}

static const char *event_of(json_t *rec)
{
	const char *e = json_string_value(json_object_get(rec, "event"));

	return e ? e : "";
}

/* The server's verdict on the upload that just ended: the first upload
 * record after *off. Errors: -EBADMSG, -EPROTO (none). */
static int upload_verdict(const char *results, off_t *off, uint64_t size)
{
	json_t *rec;
	int rv = nb_fail(-EPROTO, "our server recorded no upload");

	while ((rec = next_record(results, off))) {
		const char *verdict;
		json_int_t bytes;

		if (strcmp(event_of(rec), "upload")) {
			json_decref(rec);
			continue;
		}
		verdict = json_string_value(json_object_get(rec, "verdict"));
		bytes = json_integer_value(json_object_get(rec, "bytes"));
		if (!verdict || strcmp(verdict, "ok"))
			rv = nb_fail(-EBADMSG, "our server's verdict on the "
				     "upload: %s", verdict ? verdict : "none");
		else if ((uint64_t)bytes != size)
			rv = nb_fail(-EBADMSG, "our server received %lld bytes "
				     "of %llu", (long long)bytes,
				     (unsigned long long)size);
		else
			rv = 0;
		json_decref(rec);
		break;
	}
	return rv;
}

struct run_state {
	const struct nb_ext_client_job *j;
	struct nb_ext_cmd *cmd;
	struct nb_child child;
	off_t results_off;         /* what the page's records consumed */
	off_t start_off;           /* the results file when the client began */
	double t0, t1;
	double cpu0, cpu1;         /* page: the group's CPU at start, done */
	json_t *done;              /* page: its done or error record */
	bool exited;
};

/* Page clients: consumes the results file; a start record samples the
 * group's CPU, a done or error record ends the run. */
static void page_records(struct run_state *s)
{
	json_t *rec;

	while (!s->done && (rec = next_record(s->j->results, &s->results_off))) {
		const char *e = event_of(rec);

		if (!strcmp(e, "start") &&
		    nb_proc_group_cpu(s->child.pid, &s->cpu0))
			s->cpu0 = -1;
		if (!strcmp(e, "done") || !strcmp(e, "error")) {
			if (nb_proc_group_cpu(s->child.pid, &s->cpu1))
				s->cpu1 = -1;
			s->done = rec;
			return;
		}
		json_decref(rec);
	}
}

/* Waits for the client to exit (or, for the page, to report). */
static int wait_client(struct run_state *s)
{
	const struct nb_ext_client_job *j = s->j;
	bool page = j->client->ext->timing == NB_TIMING_PAGE;
	struct stat st;
	int rv;

	for (;;) {
		rv = nb_child_poll(&s->child);
		if (rv < 0)
			return nb_fail(rv, "waiting for %s: %s", s->child.name,
				       strerror(-rv));
		if (rv == 1) {
			s->t1 = nb_now();
			s->exited = true;
			if (!page)
				return 0;
		}
		if (page) {
			page_records(s);
			if (s->done)
				return 0;
			if (s->exited)
				return nb_fail(-EIO, "%s exited before its page "
					       "reported (wait status 0x%x)",
					       s->child.name, s->child.status);
		}
		if (j->progress && j->ctx->dir == NB_DOWNLOAD &&
		    !stat(s->cmd->file, &st))
			atomic_store(j->progress, (uint64_t)st.st_size);
		if (j->tick)
			j->tick(j->arg);
		if (nb_interrupted())
			return nb_fail(-EINTR, "interrupted");
		if (nb_now() - s->t0 > j->timeout_s)
			return nb_fail(-ETIMEDOUT, "%s did not finish within "
				       "%.0f s", s->child.name, j->timeout_s);
		usleep(20000);
	}
}

/* The page's done record into o. */
static int page_outcome(struct run_state *s, struct nb_ext_outcome *o)
{
	json_t *d = s->done;
	const char *proto = json_string_value(json_object_get(d, "protocol"));
	double ms = json_number_value(json_object_get(d, "ms"));
	json_int_t bytes = json_integer_value(json_object_get(d, "bytes"));

	if (!strcmp(event_of(d), "error"))
		return nb_fail(-EIO, "the page failed: %s",
			       json_string_value(json_object_get(d, "error")) ?:
			       "(no reason)");
	snprintf(o->protocol, sizeof(o->protocol), "%s", proto ? proto : "");
	if (!json_is_true(json_object_get(d, "ok")))
		return nb_fail(-EBADMSG, "the page's transfer is not whole: "
			       "status %lld, %lld bytes, first mismatch %lld",
			       (long long)json_integer_value(json_object_get(d, "status")),
			       (long long)bytes,
			       (long long)json_integer_value(json_object_get(d, "bad")));
	if ((uint64_t)bytes != s->j->ctx->size || !(ms > 0))
		return nb_fail(-EPROTO, "the page reports %lld bytes in %g ms",
			       (long long)bytes, ms);
	o->seconds = ms / 1000.0;
	if (s->cpu0 >= 0 && s->cpu1 >= s->cpu0)
		o->client_cpu_s = s->cpu1 - s->cpu0;
	return 0;
}

/* The command's own figure, or its wall time where it gives none and may
 * (templates). */
static int own_outcome(struct run_state *s, char *log, struct nb_ext_outcome *o,
		       uint64_t *said)
{
	const struct nb_ext *e = s->j->client->ext;
	int rv;

	*said = UINT64_MAX;
	o->seconds = s->t1 - s->t0;
	o->timing = NB_TIMING_WALL;
	if (e->timing != NB_TIMING_OWN)
		return 0;
	rv = e->seconds(s->j->ctx, log, &o->seconds, said);
	if (rv == -ENOENT && e == &nb_ext_cmd_client) {
		o->seconds = s->t1 - s->t0;
		return 0;
	}
	if (rv)
		return rv;
	o->timing = NB_TIMING_OWN;
	if (!(o->seconds > 0))
		return nb_fail(-EPROTO, "%s reports %g s", e->name, o->seconds);
	return 0;
}

/* What arrived: the download's file, the upload's verdict or answer. */
static int verify(struct run_state *s, uint64_t said, struct nb_ext_outcome *o)
{
	const struct nb_ext_client_job *j = s->j;
	uint64_t size = j->ctx->size, bytes;
	bool ok;
	int rv;

	o->verify = NB_VERIFY_PAYLOAD;
	o->bytes = size;
	if (j->client->ext->flags & NB_EXT_COUNT) {
		/* iperf3's receiver stops counting when the sender says it is
		 * done, with bytes still in flight: its own count and time
		 * are the measure. */
		o->verify = NB_VERIFY_COUNT;
		o->bytes = said;
		return said && said != UINT64_MAX ? 0 :
		       nb_fail(-EPROTO, "%s counted no bytes",
			       j->client->ext->name);
	}
	if (said != UINT64_MAX && said != size)
		return nb_fail(-EBADMSG, "%s moved %llu bytes of %llu",
			       j->client->ext->name, (unsigned long long)said,
			       (unsigned long long)size);
	if (j->ctx->dir == NB_DOWNLOAD) {
		if (j->client->ext->timing == NB_TIMING_PAGE)
			return 0;   /* the page checked every byte */
		rv = nb_ext_check_payload(s->cmd->file, size);
		unlink(s->cmd->file);
		return rv;
	}
	if (j->server_verifies && j->results)
		return upload_verdict(j->results, &s->start_off, size);
	if (s->cmd->answer[0]) {
		char *ans = read_log(s->cmd->answer);

		unlink(s->cmd->answer);
		rv = ans ? nb_http_answer_parse(ans, strlen(ans), &bytes, &ok,
						NULL, 0) : -ENOMEM;
		free(ans);
		if (!rv)
			return ok && bytes == size ? 0 :
			       nb_fail(-EBADMSG, "the server's answer: %llu "
				       "bytes, %s", (unsigned long long)bytes,
				       ok ? "ok" : "mismatch");
	}
	/* A server that does not check (nghttpd, gtlsserver): the client
	 * sent it all and the server answered after reading it. */
	o->verify = NB_VERIFY_COUNT;
	return 0;
}

int nb_ext_client_run(const struct nb_ext_client_job *j,
		      struct nb_ext_outcome *o)
{
	struct nb_ext_ctx x = *j->ctx;
	struct run_state s = {.j = j, .cpu0 = -1, .cpu1 = -1};
	char logpath[PATH_MAX], exe[PATH_MAX], why[512], *log = NULL;
	uint64_t said = UINT64_MAX;
	struct nb_child_set *before = NULL;
	struct stat st;
	int fd, rv;

	memset(o, 0, sizeof(*o));
	o->timing = j->client->ext->timing;
	x.template = j->client->template;
	s.cmd = calloc(1, sizeof(*s.cmd));
	if (!s.cmd)
		return -ENOMEM;
	nb_argv_init(&s.cmd->argv);
	rv = j->client->ext->command(&x, s.cmd);
	if (rv)
		goto out;
	if (!s.cmd->argv.n) {
		rv = nb_fail(-EINVAL, "the client's command is empty");
		goto out;
	}
	rv = nb_peer_which(s.cmd->argv.v[0], exe, sizeof(exe));
	if (rv)
		goto out;
	s.cmd->argv.v[0] = exe;
	if (j->results && !stat(j->results, &st))
		s.results_off = s.start_off = st.st_size;
	snprintf(logpath, sizeof(logpath), "%s/client.log", x.tmpdir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rv = nb_fail(-errno, "create %s: %s", logpath, strerror(errno));
		goto out;
	}
	before = malloc(sizeof(*before));
	if (before)
		nb_children_now(before);
	s.t0 = nb_now();
	rv = nb_spawn_out(j->undo, &s.child, j->nsfd, s.cmd->argv.v, 0, fd);
	close(fd);
	if (rv)
		goto out;
	rv = wait_client(&s);
	/* Exited, or stopped here (the browser, a timeout, an interrupt);
	 * then whatever it left with us. */
	nb_undo_release(j->undo, s.child.undo_idx);
	if (before)
		nb_children_stop_new(before);
	log = read_log(logpath);
	if (rv)
		goto fail;
	if (o->timing == NB_TIMING_PAGE) {
		rv = page_outcome(&s, o);
	} else {
		o->client_cpu_s = nb_child_cpu_seconds(&s.child);
		if (!WIFEXITED(s.child.status) || WEXITSTATUS(s.child.status))
			rv = nb_fail(-EIO, "%s failed (wait status 0x%x)",
				     s.child.name, s.child.status);
		else
			rv = own_outcome(&s, log ? log : "", o, &said);
	}
	if (!rv)
		rv = verify(&s, said, o);
	if (!rv)
		goto out;
fail:
	snprintf(why, sizeof(why), "%s", nb_lasterr());
	nb_fail(rv, "%s; its output ends: %s", why, tail_of(log));
out:
	if (s.cmd->file[0] && x.dir == NB_DOWNLOAD)
		unlink(s.cmd->file);
	json_decref(s.done);
	free(before);
	free(log);
	free(s.cmd);
	return rv;
}
