/* netbench: threads that a case owns.
 *
 * nb_thread_start() starts a named thread, waits until it has reported its
 * tid, and registers on the undo stack a release that asks it to stop
 * (nb_thread_should_stop() turns true), joins it, and, if it has not ended
 * after NB_THREAD_JOIN_MS, cancels it and joins again. The thread body polls
 * nb_thread_should_stop() (and nb_interrupted()) at least every NB_POLL_MS.
 */
#ifndef NB_THREAD_H
#define NB_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

struct nb_undo;

#define NB_THREAD_JOIN_MS 5000

struct nb_thread {
	pthread_t th;
	pid_t tid;
	char name[16];
	atomic_bool stop;
	atomic_bool done;      /* the body has returned */
	int (*fn)(struct nb_thread *t, void *arg);
	void *arg;
	int rv;                /* what fn returned (valid once done) */
	bool joined;
	int undo_idx;
};

/* Starts `fn(t, arg)` on a new thread named `name` (at most 15 chars) and
 * registers it (NB_RES_THREAD, id = tid). `t` must stay valid until the
 * thread is joined. Errors: -EAGAIN/-ENOMEM from pthread_create, -ENOSPC
 * (undo full: the thread is stopped and joined before returning). */
int nb_thread_start_at(struct nb_undo *u, const char *file, int line,
		       struct nb_thread *t, const char *name,
		       int (*fn)(struct nb_thread *t, void *arg), void *arg);
#define nb_thread_start(u, t, name, fn, arg)                                   \
	nb_thread_start_at((u), __FILE__, __LINE__, (t), (name), (fn), (arg))

static inline bool nb_thread_should_stop(struct nb_thread *t)
{
	return atomic_load(&t->stop);
}

/* Waits up to timeout_ms for the body to return (0), -ETIMEDOUT otherwise.
 * Does not ask it to stop. */
int nb_thread_wait(struct nb_thread *t, int timeout_ms);

/* Asks the thread to stop and joins it (the undo release). Idempotent.
 * Returns fn's return value, or -ECANCELED when it had to be cancelled. */
int nb_thread_stop(struct nb_thread *t);

#endif
