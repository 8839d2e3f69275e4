/* netbench: the userspace link emulator (delay, loss and the delay line's
 * queue limit) for kernels without sch_netem.
 *
 * Design. The two namespaces are joined by a pair of TAP devices (tap.h)
 * instead of a veth pair, and a thread of the runner, "nb-emu", relays the
 * frames between their fds:
 *
 *   client stack -> htb (rate) -> nbc0 (TAP) -> fd -> [delay line, loss] -> fd -> nbs0 -> server stack
 *   server stack -> htb (rate) -> nbs0 (TAP) -> fd -> [delay line, loss] -> fd -> nbc0 -> client stack
 *
 * The rate stays in the kernel: htb on each TAP's egress, exactly as with
 * the netem backend, so the shaping counters and the bottleneck queue (a
 * pfifo of one BDP under htb) are the same code. Each frame read from a TAP
 * is stamped (CLOCK_MONOTONIC, in userspace), dropped or kept by the loss
 * generator (lossgen.h: the same seed drops the same frames on every run),
 * held for the one-way delay, and written to the other TAP when due.
 *
 * Why a TAP relay and not NFQUEUE. Both were measured viable at 300 Mbit
 * with 20 ms each way: the relay at 282 Mbit/s iperf3 goodput and 0.5-1
 * core, NFQUEUE holding verdicts at the receiving namespace's ingress at
 * 279 Mbit/s and 0.25 core. NFQUEUE costs less CPU, but it needs a
 * netfilter rule to send packets to the queue, and the kernels we run on
 * differ in which they have: this project's CI kernel has nfnetlink_queue
 * and the xtables NFQUEUE target but no nft "queue" expression, others
 * build without legacy iptables. TUN/TAP is in every kernel, needs no rule
 * and no netfilter at all, keeps Ethernet framing (htb charges the same
 * 1514-byte frames as on veth), and the frames held in the delay line are
 * out of the sender's socket accounting, so TCP small queues do not
 * throttle the sender (the failure of NFQUEUE on the sender's OUTPUT).
 *
 * Queue limit. Like netem's limit, the delay line holds at most
 * limit_pkts frames per direction; a frame arriving at a full line is
 * dropped and counted as overflow, apart from the random loss.
 *
 * Scheduling. The thread asks for SCHED_FIFO (falls back to the normal
 * policy where that is not allowed, and says so in the stats), sleeps in
 * ppoll() until the next frame is due or a TAP is readable, and records for
 * every frame how late it was written (its lateness). Writing a frame to a
 * TAP runs the receiving stack in the writer's context, so the emulator's
 * CPU time includes the receive path that a veth would run in softirq.
 * The thread is registered on the case's undo stack and joined at teardown.
 */
#ifndef NB_EMULATOR_H
#define NB_EMULATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"

struct nb_undo;
struct nb_emulator;

enum nb_emu_dir {
	NB_EMU_UP = 0,    /* client -> server */
	NB_EMU_DOWN = 1,  /* server -> client */
};

struct nb_emulator_config {
	int fd[2];            /* TAP fds, non-blocking: [0] client end, [1]
			       * server end; not owned */
	uint32_t delay_us;    /* one way, in each direction */
	double loss_pct;      /* 0..100, in each direction independently */
	uint32_t limit_pkts;  /* frames one direction's delay line holds,
			       * 1..65536 (2 KiB each, allocated up front) */
	uint64_t seed;        /* loss pattern */
	bool realtime;        /* ask for SCHED_FIFO */
};

struct nb_emulator_dir_stats {
	uint64_t frames;      /* read from the sending end */
	uint64_t bytes;
	uint64_t lost;        /* dropped by the loss generator */
	uint64_t overflow;    /* dropped: the delay line was full */
	uint64_t forwarded;   /* written to the receiving end */
	uint64_t write_errors;
};

struct nb_emulator_stats {
	struct nb_emulator_dir_stats dir[2];  /* by enum nb_emu_dir */
	struct nb_hist lateness;  /* ns past due, one value per forwarded frame */
	uint64_t cpu_ns;          /* CPU time of the emulator thread so far */
	uint64_t wall_ns;         /* since the thread started */
	bool realtime;            /* it runs under SCHED_FIFO */
	int error;                /* the thread's fatal error (negative errno), 0 */
};

/* Starts the emulator thread on the two TAP fds. The emulator's memory and
 * thread are registered on u, the thread last, so unwinding stops it before
 * anything it uses is released; the fds must have been registered before.
 * Errors: -EINVAL (bad config, or an fd that is not O_NONBLOCK), -ENOMEM, -ENOSPC (undo stack full), other
 * negative errno from pthread_create. */
int nb_emulator_start_at(struct nb_undo *u, const char *file, int line,
			 const struct nb_emulator_config *cfg,
			 struct nb_emulator **out);
#define nb_emulator_start(u, cfg, out)                                         \
	nb_emulator_start_at((u), __FILE__, __LINE__, (cfg), (out))

/* A consistent copy of the counters so far (st is large: ~120 KB; callers
 * keep it off small stacks). */
void nb_emulator_stats(struct nb_emulator *e, struct nb_emulator_stats *st);

/* The configuration the emulator runs with. */
const struct nb_emulator_config *nb_emulator_config(const struct nb_emulator *e);

#endif
