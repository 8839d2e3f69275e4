/* netbench: threads that a case owns (see thread.h). */
#include "thread.h"

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "undo.h"

struct start_ctx {
	struct nb_thread *t;
	sem_t ready;
};

static void *trampoline(void *p)
{
	struct start_ctx *ctx = p;
	struct nb_thread *t = ctx->t;

	t->tid = gettid();
	pthread_setname_np(pthread_self(), t->name);
	sem_post(&ctx->ready);   /* ctx is gone after this */
	t->rv = t->fn(t, t->arg);
	atomic_store(&t->done, true);
	return NULL;
}

static void release_thread(void *arg)
{
	nb_thread_stop(arg);
}

int nb_thread_start_at(struct nb_undo *u, const char *file, int line,
		       struct nb_thread *t, const char *name,
		       int (*fn)(struct nb_thread *t, void *arg), void *arg)
{
	struct start_ctx ctx = {.t = t};
	int rv;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fn = fn;
	t->arg = arg;
	t->undo_idx = -1;
	if (sem_init(&ctx.ready, 0, 0))
		return -errno;
	rv = -pthread_create(&t->th, NULL, trampoline, &ctx);
	if (rv) {
		sem_destroy(&ctx.ready);
		return rv;
	}
	while (sem_wait(&ctx.ready) && errno == EINTR)
		;
	sem_destroy(&ctx.ready);
	rv = nb_undo_push_at(u, file, line, NB_RES_THREAD, t->tid,
			     release_thread, t, "thread \"%s\"", t->name);
	if (rv < 0) {
		nb_thread_stop(t);
		return rv;
	}
	t->undo_idx = rv;
	return 0;
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int nb_thread_wait(struct nb_thread *t, int timeout_ms)
{
	for (int waited = 0; !atomic_load(&t->done); waited += 10) {
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

int nb_thread_stop(struct nb_thread *t)
{
	struct timespec ts;

	if (t->joined)
		return t->rv;
	atomic_store(&t->stop, true);
	deadline_in(&ts, NB_THREAD_JOIN_MS);
	if (pthread_timedjoin_np(t->th, NULL, &ts)) {
		pthread_cancel(t->th);
		pthread_join(t->th, NULL);
		t->rv = -ECANCELED;
	}
	t->joined = true;
	return t->rv;
}
