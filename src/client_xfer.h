/* netbench: what every HTTP client keeps of one transfer, whatever drives
 * the connection (libcurl for h1, nghttp2 for h2, later ngtcp2 for h3):
 * body progress and its publication (series, progress counter), fault
 * injection, stop requests and the stall limit, the answer body and its
 * check against http_target.h. One place, so that every protocol fails and
 * reports the same way.
 */
#ifndef NB_CLIENT_XFER_H
#define NB_CLIENT_XFER_H

#include <stdbool.h>
#include <stdint.h>

#include "http_target.h"
#include "proto.h"

/* No sign of progress for this long ends a transfer with -ETIMEDOUT. */
#define NB_CXFER_STALL_S 30.0

struct nb_cxfer {
	const struct nb_xfer *x;
	uint64_t off;          /* body bytes verified (down) or handed (up) */
	double t0;             /* timing start; 0 until known */
	double t_end;          /* download: last body byte */
	double last;           /* last sign of progress */
	uint64_t wire;         /* TCP bytes acked + received at the last look */
	int err;               /* the first failure a callback recorded */
	int status;            /* HTTP status of the last response head */
	bool giving;           /* upload: the first body byte is given */
	char body[NB_HTTP_ANSWER_MAX + 1];   /* answer (or error) body */
	size_t blen;
	bool body_long;        /* it did not fit */
};

/* A transfer of x starting now, with the TLS material every client needs:
 * the path of certs/ca.pem into ca (checked readable) and the server key's
 * pin into pin. Errors: -EINVAL (size above NB_HTTP_MAX_SIZE), -ENOENT /
 * -EACCES (unreadable CA or pin file), -ENAMETOOLONG. */
int nb_cxfer_init(struct nb_cxfer *t, const struct nb_xfer *x, char *ca,
		  size_t calen, char *pin, size_t pinlen);

/* The timing starts at `now` (and the series with it). */
void nb_cxfer_start(struct nb_cxfer *t, double now);

/* Records the first failure of a callback (later ones are consequences). */
void nb_cxfer_fail(struct nb_cxfer *t, int rv);

/* n body bytes moved at `now`, `total` so far: series and progress. */
void nb_cxfer_moved(struct nb_cxfer *t, uint64_t n, uint64_t total,
		    double now);

/* True (and -ECONNABORTED recorded) once abort_after body bytes moved. */
bool nb_cxfer_abort_due(struct nb_cxfer *t);

/* 0 while the transfer may go on: -ECANCELED (stop requested), -EINTR,
 * -ETIMEDOUT (no progress for NB_CXFER_STALL_S). Progress is a body byte
 * moved or, failing that, TCP bytes acked or received on fd (a full send
 * buffer draining slowly); fd < 0: body bytes only. */
int nb_cxfer_should_end(struct nb_cxfer *t, int fd);

/* A chunk of the response body, arrived at `now`. A download's payload
 * (status 200) is verified and counted, at most up to abort_after; any
 * other body is kept as the answer. Returns the payload bytes counted (0
 * for an answer), or a negative errno, also recorded: -EPROTO (more than
 * the size), -EBADMSG (a byte is not the payload's), -ECONNABORTED
 * (abort_after reached). */
long nb_cxfer_take(struct nb_cxfer *t, const void *p, size_t len, double now);

/* The next upload body bytes, at most len, generated into buf at `now`;
 * the upload's time starts at the first call. Returns the count (0: the
 * body is complete), or a negative errno: the failure recorded already,
 * or -ECONNABORTED (abort_after reached, recorded). */
long nb_cxfer_give(struct nb_cxfer *t, uint8_t *buf, size_t len, double now);

/* Keeps up to NB_HTTP_ANSWER_MAX bytes of a non-payload body. */
void nb_cxfer_keep_body(struct nb_cxfer *t, const void *p, size_t len);

/* Checks what the server answered: a download got status 200 and every
 * byte; an upload got our answer, verdict ok, with the whole count (or,
 * from a foreign server, any 2xx answer).
 * Errors: -EPROTO (other status, short, not our answer, wrong count),
 * -EBADMSG (the server found a mismatch). */
int nb_cxfer_check_answer(const struct nb_cxfer *t);

/* The figures of a verified transfer whose response ended at `done`, per
 * DESIGN §5: the payload size, and the time from the start (request sent,
 * or an upload's first body byte) to a download's last body byte or an
 * upload's answer (a download of 0 bytes: its answer). */
void nb_cxfer_result(const struct nb_cxfer *t, double done,
		     struct nb_xfer_result *r);

#endif
