/* netbench: the receive low-water mark of the download clients
 * (client_h2.c, client_curl.c).
 *
 * poll() reports the socket readable at every packet, and over the
 * emulated link packets arrive one by one: a wakeup per packet (with the
 * window update each small read sends, whose processing in the server's
 * namespace is charged to this thread) costs more CPU than the rest of the
 * transfer. With SO_RCVLOWAT poll() waits for several packets; each wakeup
 * then reads everything queued (recv() ignores the mark on a non-blocking
 * socket; curl does not, it polls before each read, so client_curl.c sets
 * the mark only while it waits). Measured on h2 downloads, 3 replicates,
 * client CPU per 100 MB: 10M_40ms 1.66 -> 0.42, 100M_40ms 0.53 -> 0.10,
 * 300M_80ms 0.35 -> 0.20, goodput unchanged.
 *
 * The mark is an eighth of the receive buffer, 16 KiB to 256 KiB, and only
 * once autotuning has stopped growing the buffer: above about a quarter of
 * the buffer the kernel clamps the TCP window to the mark
 * (tcp_set_rcvlowat; 48 KiB on the initial 128 KiB buffer cut 100M_40ms to
 * 31 Mbit/s), and even 16 KiB during the ramp-up cost 0.5-1.7% of goodput
 * at 300M_80ms. Within the last two TLS records of the body it is 1, so
 * that the end of the body is never waited for. */
#ifndef NB_RCVLOWAT_H
#define NB_RCVLOWAT_H

#include <stdbool.h>
#include <stdint.h>

struct nb_lowat {
	int want;              /* the mark for what remains of the body */
	int set;               /* what the socket has */
	bool tail;             /* the end is near: 1 from now on */
	uint64_t next;         /* body offset at which to look again */
	int rcvbuf;            /* the receive buffer at the last look */
};

#define NB_LOWAT_INIT {.want = 1, .set = 1}

/* After every body chunk: `off` body bytes received, `left` to come.
 * Updates l->want. */
void nb_lowat_update(int fd, struct nb_lowat *l, uint64_t off, uint64_t left);

/* Sets SO_RCVLOWAT to v unless the socket has it already. */
void nb_lowat_set(int fd, struct nb_lowat *l, int v);

#endif
