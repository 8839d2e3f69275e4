/* netbench: the userspace link emulator (see emulator.h for the design).
 *
 * Each direction has a delay line: a ring of fixed-size slots, each holding
 * one frame and the time it is due. Frames are read straight into the next
 * free slot, so a frame is copied twice in all (out of one TAP, into the
 * other). With one delay for every frame the ring is also the release
 * order. The counters and the lateness histogram are guarded by a mutex
 * that the thread holds while it works and drops while it sleeps.
 */
#include "emulator.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "interrupt.h"
#include "lossgen.h"
#include "thread.h"
#include "undo.h"

#define SLOT_BYTES 2048        /* an Ethernet frame of MTU 1500 + VLAN tag */
#define READ_BATCH 64          /* frames read per direction between releases */
#define RT_PRIORITY 20
#define LIMIT_MAX 65536u       /* 128 MiB of delay line per direction */

struct slot {
	uint64_t due_ns;
	uint32_t len;
};

struct delay_line {
	struct slot *slot;
	unsigned char *data;       /* cap x SLOT_BYTES */
	uint32_t cap, head, count;
	uint64_t index;            /* frames seen: the loss generator's counter */
	struct nb_lossgen loss;
	int in_fd, out_fd;
};

struct nb_emulator {
	struct nb_emulator_config cfg;
	struct delay_line line[2];
	unsigned char scratch[SLOT_BYTES];   /* frames that are dropped */
	pthread_mutex_t lock;
	struct nb_emulator_stats st;         /* under lock */
	uint64_t start_ns;
	struct nb_thread thread;
	bool thread_started;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads up to READ_BATCH frames of one direction. Returns 0, or a negative
 * errno when the TAP failed for good. */
static int read_frames(struct nb_emulator *e, enum nb_emu_dir d)
{
	struct delay_line *l = &e->line[d];
	struct nb_emulator_dir_stats *ds = &e->st.dir[d];
	uint64_t delay = (uint64_t)e->cfg.delay_us * 1000;

	for (int i = 0; i < READ_BATCH; i++) {
		uint32_t tail = (l->head + l->count) % l->cap;
		bool full = l->count == l->cap;
		unsigned char *buf = full ? e->scratch
					  : l->data + (size_t)tail * SLOT_BYTES;
		ssize_t n = read(l->in_fd, buf, SLOT_BYTES);
		uint64_t t;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return nb_fail(-errno, "emulator: read: %s",
				       strerror(errno));
		}
		if (n == 0)
			return 0;
		t = now_ns();
		ds->frames++;
		ds->bytes += (uint64_t)n;
		if (nb_lossgen_drop(&l->loss, l->index++)) {
			ds->lost++;
			continue;
		}
		if (full) {
			ds->overflow++;
			continue;
		}
		l->slot[tail].due_ns = t + delay;
		l->slot[tail].len = (uint32_t)n;
		l->count++;
	}
	return 0;
}

/* Writes every frame of one direction that is due. */
static void release_frames(struct nb_emulator *e, enum nb_emu_dir d)
{
	struct delay_line *l = &e->line[d];
	struct nb_emulator_dir_stats *ds = &e->st.dir[d];

	while (l->count) {
		struct slot *s = &l->slot[l->head];
		uint64_t t = now_ns();

		if (s->due_ns > t)
			break;
		if (write(l->out_fd, l->data + (size_t)l->head * SLOT_BYTES,
			  s->len) == (ssize_t)s->len) {
			nb_hist_add(&e->st.lateness, t - s->due_ns);
			ds->forwarded++;
		} else {
			ds->write_errors++;
		}
		l->head = (l->head + 1) % l->cap;
		l->count--;
	}
}

/* Nanoseconds until the next frame is due (0 = one is due now), capped at
 * NB_POLL_MS so that a stop request is seen in time. */
static uint64_t next_wait_ns(struct nb_emulator *e)
{
	uint64_t wait = (uint64_t)NB_POLL_MS * 1000000, t = now_ns();

	for (int d = 0; d < 2; d++) {
		struct delay_line *l = &e->line[d];
		uint64_t due;

		if (!l->count)
			continue;
		due = l->slot[l->head].due_ns;
		if (due <= t)
			return 0;
		if (due - t < wait)
			wait = due - t;
	}
	return wait;
}

static void go_realtime(struct nb_emulator *e)
{
	struct sched_param sp = { .sched_priority = RT_PRIORITY };

	/* Timer slack only applies to normal threads: make it 1 ns for the
	 * fallback, so that a sleep ends when it is due, not 50 us later. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (e->cfg.realtime &&
	    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0)
		e->st.realtime = true;
}

static int emulator_main(struct nb_thread *t, void *arg)
{
	struct nb_emulator *e = arg;
	struct pollfd pfd[2] = {
		{ .fd = e->line[NB_EMU_UP].in_fd, .events = POLLIN },
		{ .fd = e->line[NB_EMU_DOWN].in_fd, .events = POLLIN },
	};
	int rv = 0;

	pthread_mutex_lock(&e->lock);
	go_realtime(e);
	pthread_mutex_unlock(&e->lock);
	while (!nb_thread_should_stop(t)) {
		uint64_t wait;
		struct timespec ts;

		pthread_mutex_lock(&e->lock);
		for (int d = 0; d < 2 && rv == 0; d++) {
			rv = read_frames(e, (enum nb_emu_dir)d);
			release_frames(e, NB_EMU_UP);
			release_frames(e, NB_EMU_DOWN);
		}
		if (rv < 0)
			e->st.error = rv;
		wait = next_wait_ns(e);
		pthread_mutex_unlock(&e->lock);
		if (rv < 0)
			break;
		if (!wait)
			continue;
		ts.tv_sec = (time_t)(wait / 1000000000ull);
		ts.tv_nsec = (long)(wait % 1000000000ull);
		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR) {
			rv = nb_fail(-errno, "emulator: ppoll: %s",
				     strerror(errno));
			pthread_mutex_lock(&e->lock);
			e->st.error = rv;
			pthread_mutex_unlock(&e->lock);
			break;
		}
	}
	return rv;
}

static void emulator_free(void *arg)
{
	struct nb_emulator *e = arg;

	for (int d = 0; d < 2; d++) {
		free(e->line[d].slot);
		free(e->line[d].data);
	}
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static int line_init(struct delay_line *l, const struct nb_emulator_config *c,
		     enum nb_emu_dir d)
{
	l->cap = c->limit_pkts;
	l->slot = calloc(l->cap, sizeof(*l->slot));
	l->data = malloc((size_t)l->cap * SLOT_BYTES);
	if (!l->slot || !l->data)
		return -ENOMEM;
	nb_lossgen_init(&l->loss, c->seed, d, c->loss_pct);
	l->in_fd = c->fd[d == NB_EMU_UP ? 0 : 1];
	l->out_fd = c->fd[d == NB_EMU_UP ? 1 : 0];
	return 0;
}

int nb_emulator_start_at(struct nb_undo *u, const char *file, int line,
			 const struct nb_emulator_config *cfg,
			 struct nb_emulator **out)
{
	struct nb_emulator *e;
	int rv, idx;

	*out = NULL;
	if (!u || cfg->fd[0] < 0 || cfg->fd[1] < 0 || cfg->limit_pkts < 1 ||
	    cfg->limit_pkts > LIMIT_MAX ||
	    !(cfg->loss_pct >= 0 && cfg->loss_pct <= 100))
		return nb_fail(-EINVAL, "emulator: bad configuration (limit "
			       "%u, loss %g%%)", cfg->limit_pkts, cfg->loss_pct);
	/* A blocking fd would hold the thread in read(): it must poll. */
	for (int i = 0; i < 2; i++)
		if (!(fcntl(cfg->fd[i], F_GETFL) & O_NONBLOCK))
			return nb_fail(-EINVAL, "emulator: fd %d is not "
				       "non-blocking", cfg->fd[i]);
	e = calloc(1, sizeof(*e));
	if (!e)
		return nb_fail(-ENOMEM, "emulator: out of memory");
	e->cfg = *cfg;
	pthread_mutex_init(&e->lock, NULL);
	nb_hist_init(&e->st.lateness);
	for (int d = 0; d < 2; d++) {
		if (line_init(&e->line[d], cfg, (enum nb_emu_dir)d) < 0) {
			emulator_free(e);
			return nb_fail(-ENOMEM, "emulator: no memory for a "
				       "delay line of %u frames",
				       cfg->limit_pkts);
		}
	}
	idx = nb_undo_push_at(u, file, line, NB_RES_OTHER, 0, emulator_free, e,
			      "emulator state (delay %u us, limit %u)",
			      cfg->delay_us, cfg->limit_pkts);
	if (idx < 0) {
		emulator_free(e);
		return nb_fail(idx, "emulator: undo stack full");
	}
	e->start_ns = now_ns();
	rv = nb_thread_start_at(u, file, line, &e->thread, "nb-emu",
				emulator_main, e);
	if (rv < 0)
		return nb_fail(rv, "emulator: cannot start its thread: %s",
			       strerror(-rv));
	e->thread_started = true;
	*out = e;
	return 0;
}

void nb_emulator_stats(struct nb_emulator *e, struct nb_emulator_stats *st)
{
	struct timespec ts;
	clockid_t cid;

	pthread_mutex_lock(&e->lock);
	*st = e->st;
	pthread_mutex_unlock(&e->lock);
	st->wall_ns = now_ns() - e->start_ns;
	st->cpu_ns = 0;
	if (e->thread_started && !e->thread.joined &&
	    pthread_getcpuclockid(e->thread.th, &cid) == 0 &&
	    clock_gettime(cid, &ts) == 0)
		st->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull +
			     (uint64_t)ts.tv_nsec;
}

const struct nb_emulator_config *nb_emulator_config(const struct nb_emulator *e)
{
	return &e->cfg;
}
