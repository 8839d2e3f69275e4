/* netbench: running an external client for one replicate, and the files
 * external ends need (see ext.h).
 *
 * The client runs as a child of the runner in the client namespace, its
 * stdout and stderr in a log of the case's temp directory (quoted when it
 * fails). Its result is taken from what it printed (NB_TIMING_OWN), from
 * the page's record in our server's results file (NB_TIMING_PAGE: the
 * browser is then stopped, with every process of its group) or from its
 * wall time; what arrived is checked: a download's file against the
 * payload (then removed), an upload by our server's verdict in the
 * results file or its answer.
 *
 * Our server appends one JSON object per line to its results file
 * (`netbench serve --results-file`): the page's {"event":"start"|"done"|
 * "error",...} and, for every upload it receives, {"event":"upload",
 * "bytes":N,"verdict":"ok"|"mismatch at byte K"}.
 */
#ifndef NB_EXT_RUN_H
#define NB_EXT_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ext.h"

struct nb_undo;

struct nb_ext_outcome {
	uint64_t bytes;            /* payload bytes moved (iperf3: counted) */
	double seconds;
	double client_cpu_s;       /* the client's processes, see below */
	enum nb_ext_timing timing;
	enum nb_ext_verify verify;
	char protocol[16];         /* what the page says it used, or "" */
};

struct nb_ext_client_job {
	const struct nb_ext_choice *client;
	const struct nb_ext_ctx *ctx;
	struct nb_undo *undo;
	int nsfd;                  /* the client namespace */
	const char *results;       /* our server's results file, NULL = none */
	bool server_verifies;      /* an upload's verdict is in results */
	double timeout_s;
	_Atomic uint64_t *progress;   /* body bytes so far (downloads), or NULL */
	/* Called every poll while the client runs (progress lines); NULL. */
	void (*tick)(void *arg);
	void *arg;
};

/* Runs the client once and checks its transfer. Client CPU: the child's
 * rusage at exit (its waited-for children included); for the browser,
 * the CPU of its process group from the page's start record to its done
 * record. Errors: -ENOENT (program missing), -EPROTO (no usable timing,
 * the wrong protocol), -EBADMSG (the bytes do not match the payload, or
 * a server's verdict says so), -EIO (it exited with an error), -ETIMEDOUT,
 * -EINTR, negative errno; nb_lasterr() says why, with the tail of its log. */
int nb_ext_client_run(const struct nb_ext_client_job *j,
		      struct nb_ext_outcome *o);

/* Fills the paths, pin and URL of x (proto, dir, size, addr, port,
 * sink_port, tmpdir, template set by the caller). Errors: negative errno
 * from the certificates. */
int nb_ext_ctx_fill(struct nb_ext_ctx *x);

/* Writes `size` payload bytes to path (mode 0644). Errors: negative errno. */
int nb_ext_write_payload(const char *path, uint64_t size);

/* Checks that path holds exactly `size` payload bytes. Errors: -EBADMSG
 * (mismatch, or a different length; nb_lasterr() says where), negative
 * errno. */
int nb_ext_check_payload(const char *path, uint64_t size);


#endif
