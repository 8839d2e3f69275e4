/* netbench: protocols under test, a vtable per protocol chosen by name.
 *
 * A protocol provides the server (`netbench serve --proto NAME`, run as a
 * child in the server namespace) and the client transfer (run on the
 * client thread, which is already inside the client namespace). Adding h1,
 * h2, h3 means adding a struct nb_proto, not an if-chain.
 */
#ifndef NB_PROTO_H
#define NB_PROTO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nb_series;
struct nb_thread;
struct nb_profile;

enum nb_dir { NB_DOWNLOAD = 0, NB_UPLOAD = 1 };

const char *nb_dir_name(enum nb_dir d);
/* Errors: -EINVAL for an unknown name. */
int nb_dir_parse(const char *s, enum nb_dir *d);

struct nb_serve_opts {
	const char *addr;      /* IPv4 literal */
	uint16_t port;
	int ready_fd;          /* -1: none */
	const char *cert;      /* TLS: PEM chain, NULL = certs/server.pem */
	const char *key;       /* TLS: PEM key, NULL = certs/server.key */
	const char *cc;        /* QUIC congestion control, NULL = cubic */
	/* Where POST /result bodies go (http_target.h): NULL = nowhere
	 * (404); else results_fd is that file, opened by the caller
	 * (O_WRONLY | O_APPEND), and stays the caller's to close. */
	const char *results_file;
	int results_fd;
};

struct nb_xfer {
	const char *server_addr;
	uint16_t port;
	enum nb_dir dir;
	uint64_t size;         /* payload bytes */
	struct nb_series *series; /* may be NULL */
	struct nb_thread *self;   /* the client thread (for stop requests) */
	/* Body bytes moved so far, published for watchers (fault
	 * injection, progress lines); may be NULL. */
	_Atomic uint64_t *progress;
	/* Fault injection: after this many body bytes the client drops the
	 * connection and the transfer fails with -ECONNABORTED. 0 = never. */
	uint64_t abort_after;
	/* The server is not ours (ext.h): an upload's 2xx answer that is not
	 * our JSON answer is accepted, and only the count stands. */
	bool foreign_server;
};

struct nb_xfer_result {
	uint64_t bytes;        /* payload bytes moved and verified */
	double seconds;        /* per DESIGN §5 */
	double client_cpu_s;   /* CPU of the client thread during the transfer */
	bool count_only;       /* a foreign server's answer: bytes unchecked */
};

struct nb_proto {
	const char *name;
	uint16_t port;                 /* default server port */
	/* `netbench serve`: runs until SIGTERM/SIGINT. Returns 0 or negative
	 * errno (nb_lasterr() says why). */
	int (*serve)(const struct nb_serve_opts *o);
	/* One verified transfer. Errors: -EBADMSG (payload mismatch),
	 * -EPROTO (short/long/garbled), -ETIMEDOUT (stalled), -EINTR,
	 * -ECANCELED (stop requested), negative errno. */
	int (*transfer)(const struct nb_xfer *x, struct nb_xfer_result *r);
	/* Goodput ceiling on the profile's link in direction d, bit/s (0 if
	 * unthrottled). */
	double (*ceiling_bps)(const struct nb_profile *p, enum nb_dir d);
};

/* By name; NULL if unknown (nb_lasterr() lists the valid ones). */
const struct nb_proto *nb_proto_find(const char *name);
/* "tcp" ... for messages. */
const char *nb_proto_names(void);
size_t nb_proto_count(void);
const struct nb_proto *nb_proto_at(size_t i);

extern const struct nb_proto nb_proto_tcp;
extern const struct nb_proto nb_proto_h1;
extern const struct nb_proto nb_proto_h2;
extern const struct nb_proto nb_proto_h3;

#endif
