/* netbench: one client transfer's bookkeeping (see client_xfer.h). */
#include "client_xfer.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "payload.h"
#include "thread.h"
#include "tls.h"

int nb_cxfer_init(struct nb_cxfer *t, const struct nb_xfer *x, char *ca,
		  size_t calen, char *pin, size_t pinlen)
{
	int rv;

	memset(t, 0, sizeof(*t));
	t->x = x;
	t->last = nb_now();
	if (x->size > NB_HTTP_MAX_SIZE)
		return nb_fail(-EINVAL, "size %llu: at most %llu",
			       (unsigned long long)x->size, NB_HTTP_MAX_SIZE);
	rv = nb_certs_path("ca.pem", ca, calen);
	if (rv)
		return rv;
	if (access(ca, R_OK))
		return nb_fail(-errno, "cannot read %s: %s", ca, strerror(errno));
	return nb_tls_read_pin(pin, pinlen);
}

void nb_cxfer_start(struct nb_cxfer *t, double now)
{
	t->t0 = now;
	t->last = now;
	if (t->x->series)
		t->x->series->t0 = now;
}

void nb_cxfer_fail(struct nb_cxfer *t, int rv)
{
	if (!t->err)
		t->err = rv;
}

void nb_cxfer_moved(struct nb_cxfer *t, uint64_t n, uint64_t total,
		    double now)
{
	t->last = now;
	if (t->x->series)
		nb_series_add(t->x->series, now, n);
	if (t->x->progress)
		atomic_store(t->x->progress, total);
}

bool nb_cxfer_abort_due(struct nb_cxfer *t)
{
	if (!t->x->abort_after || t->off < t->x->abort_after)
		return false;
	nb_cxfer_fail(t, nb_fail(-ECONNABORTED,
				 "client aborted after %llu bytes (fault "
				 "injection)", (unsigned long long)t->off));
	return true;
}

static uint64_t wire_bytes(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_bytes_acked + ti.tcpi_bytes_received;
}

int nb_cxfer_should_end(struct nb_cxfer *t, int fd)
{
	double now;
	uint64_t w;

	if (t->x->self && nb_thread_should_stop(t->x->self))
		return nb_fail(-ECANCELED, "transfer stopped");
	if (nb_interrupted())
		return nb_fail(-EINTR, "interrupted");
	now = nb_now();
	if (now - t->last <= 1.0)
		return 0;
	w = wire_bytes(fd);
	if (w != t->wire) {
		t->wire = w;
		t->last = now;
		return 0;
	}
	if (now - t->last > NB_CXFER_STALL_S)
		return nb_fail(-ETIMEDOUT, "no progress for %.0f s (%llu of "
			       "%llu body bytes %s)", NB_CXFER_STALL_S,
			       (unsigned long long)t->off,
			       (unsigned long long)t->x->size,
			       t->x->dir == NB_DOWNLOAD ? "received" : "sent");
	return 0;
}

void nb_cxfer_keep_body(struct nb_cxfer *t, const void *p, size_t len)
{
	size_t room = NB_HTTP_ANSWER_MAX - t->blen;

	if (len > room) {
		t->body_long = true;
		len = room;
	}
	memcpy(t->body + t->blen, p, len);
	t->blen += len;
	t->body[t->blen] = '\0';
}

long nb_cxfer_take(struct nb_cxfer *t, const void *p, size_t len, double now)
{
	const struct nb_xfer *x = t->x;
	uint64_t bad;

	if (x->dir == NB_UPLOAD || t->status != 200) {
		nb_cxfer_keep_body(t, p, len);
		t->last = now;
		return 0;
	}
	if (x->abort_after && len > x->abort_after - t->off)
		len = (size_t)(x->abort_after - t->off);   /* then abort */
	if (len > x->size - t->off) {
		nb_cxfer_fail(t, nb_fail(-EPROTO, "server sent more than %llu "
					 "bytes", (unsigned long long)x->size));
		return t->err;
	}
	if (nb_payload_check(p, t->off, len, &bad)) {
		nb_cxfer_fail(t, nb_fail(-EBADMSG, "payload mismatch at byte "
					 "%llu", (unsigned long long)bad));
		return t->err;
	}
	t->off += len;
	t->t_end = now;
	nb_cxfer_moved(t, len, t->off, now);
	return nb_cxfer_abort_due(t) ? t->err : (long)len;
}

long nb_cxfer_give(struct nb_cxfer *t, uint8_t *buf, size_t len, double now)
{
	const struct nb_xfer *x = t->x;
	uint64_t left = x->size - t->off;

	if (t->err || nb_cxfer_abort_due(t))
		return t->err;
	if (!t->giving) {
		/* The upload's time starts at its first body byte. */
		t->giving = true;
		nb_cxfer_start(t, now);
	}
	if (x->abort_after && x->abort_after - t->off < left)
		left = x->abort_after - t->off;
	if (len > left)
		len = (size_t)left;
	nb_payload_fill(buf, t->off, len);
	t->off += len;
	t->last = now;
	return (long)len;
}

int nb_cxfer_check_answer(const struct nb_cxfer *t)
{
	const struct nb_xfer *x = t->x;
	char verdict[NB_HTTP_ANSWER_MAX];
	uint64_t bytes;
	bool ok;

	if (x->dir == NB_DOWNLOAD) {
		if (t->status != 200)
			return nb_fail(-EPROTO, "server answered %d: %.*s",
				       t->status, (int)strcspn(t->body, "\r\n"),
				       t->body);
		if (t->off != x->size)
			return nb_fail(-EPROTO, "short transfer: %llu of %llu bytes",
				       (unsigned long long)t->off,
				       (unsigned long long)x->size);
		return 0;
	}
	if (x->foreign_server && t->status >= 200 && t->status < 300 &&
	    (t->body_long || nb_http_answer_parse(t->body, t->blen, &bytes, &ok,
						  NULL, 0)))
		return 0;   /* not our answer: nothing to check but the count */
	if ((t->status != 200 && t->status != 422) || t->body_long ||
	    nb_http_answer_parse(t->body, t->blen, &bytes, &ok, verdict,
				 sizeof(verdict)))
		return nb_fail(-EPROTO, "server answered %d: %.*s", t->status,
			       (int)strcspn(t->body, "\r\n"), t->body);
	if (t->status == 422 || !ok)
		return nb_fail(-EBADMSG, "server verdict: %s (%llu of %llu bytes)",
			       verdict, (unsigned long long)bytes,
			       (unsigned long long)x->size);
	if (bytes != x->size)
		return nb_fail(-EPROTO, "server counted %llu of %llu bytes",
			       (unsigned long long)bytes,
			       (unsigned long long)x->size);
	return 0;
}

void nb_cxfer_result(const struct nb_cxfer *t, double done,
		     struct nb_xfer_result *r)
{
	r->bytes = t->x->size;
	r->count_only = t->x->dir == NB_UPLOAD && t->x->foreign_server &&
			(t->body_long || nb_http_answer_parse(t->body, t->blen,
							      &(uint64_t){0},
							      &(bool){0}, NULL, 0));
	if (t->x->dir == NB_DOWNLOAD && t->x->size)
		r->seconds = t->t_end - t->t0;
	else
		r->seconds = done - t->t0;
}
