/* netbench: UDP loss probe for `netbench link`: how many packets of a paced
 * UDP stream the link loses in each direction, which ones, and their
 * one-way delay.
 *
 * Method. One UDP socket in each namespace (nb_netns_socket), bound to its
 * address:port and connected to the other end, non-blocking, with an 8 MiB
 * receive buffer so that the receiver itself never drops; SO_RXQ_OVFL
 * reports any drop by the receiving socket, which fails the probe (-ENOBUFS)
 * rather than be counted as link loss. Both directions run at once, each
 * sending sequence numbers 0..count-1 strictly in increasing order, paced at
 * `pps` (probe seq is due at start + seq/pps). A send the local stack refuses
 * for want of room (EAGAIN, ENOBUFS) is retried, never skipped: a link
 * emulator that decides drops by packet index must see the probes, and only
 * them, in order. After the last send the sockets are read for drain_ms
 * more.
 *
 * Each probe is a 32-byte datagram: magic, direction, sequence number, send
 * time (CLOCK_MONOTONIC ns, one clock for every network namespace, so the
 * one-way delay is receive time minus send time) and a token of the call
 * (datagrams of an earlier call still in flight are ignored). Datagrams of
 * the wrong length, magic, direction or token are ignored, counted nowhere.
 *
 * Both ends live in this process and are driven from the calling thread
 * with non-blocking I/O and ppoll(); no thread or process is started. The
 * loop waits at most NB_POLL_MS at a time and stops with -EINTR when
 * nb_interrupted() (interrupt.h).
 */
#ifndef NB_PROBE_LOSS_H
#define NB_PROBE_LOSS_H

#include <stdint.h>

#include "histogram.h"

#define NB_LOSS_MAX_COUNT 100000000ull
#define NB_LOSS_FNV_BASIS 0xcbf29ce484222325ull	/* FNV-1a 64 offset basis */

struct nb_loss_dir {
	uint64_t sent;          /* probes sent */
	uint64_t received;      /* distinct probes received */
	uint64_t duplicates;    /* probes received more than once */
	uint64_t reordered;     /* probes that arrived after a higher sequence number */
	uint64_t pattern;       /* FNV-1a 64 over the lost sequence numbers (uint64 LE each), in increasing order; the FNV offset basis when nothing was lost */
	struct nb_hist owd;     /* one-way delay of received probes, ns */
};

struct nb_loss_result {
	struct nb_loss_dir dir[2]; /* [0] client->server ("up"), [1] server->client ("down") */
	double seconds;            /* from the first send to the end of the drain */
};

/* Sends `count` UDP probes in each direction at the same time, paced at `pps`
 * per direction, between client_addr:port (in client_ns) and
 * server_addr:port (in server_ns), then reads for drain_ms more; fills *r
 * (zeroed first, complete on success only). A probe not received by the end
 * of the drain is lost.
 * Errors: -EINVAL (no result, count outside 1..NB_LOSS_MAX_COUNT, pps not
 * positive and finite, an address that is not an IP literal, mixed address
 * families), -ENOMEM (sequence bitmaps), -ENOBUFS (a receiving socket
 * overflowed: its drops would have passed for link loss), -EINTR
 * (nb_interrupted()), other negative errno of socket, bind, connect, send,
 * recv or ppoll; nb_lasterr() says which. */
int nb_probe_loss(int client_ns, int server_ns, const char *client_addr,
		  const char *server_addr, uint16_t port, uint64_t count,
		  double pps, unsigned drain_ms, struct nb_loss_result *r);

/* One lost sequence number added to a pattern: FNV-1a 64 over its 8 bytes,
 * little-endian. A pattern starts at NB_LOSS_FNV_BASIS. */
static inline uint64_t nb_loss_pattern_add(uint64_t h, uint64_t seq)
{
	for (unsigned b = 0; b < 8; b++) {
		h ^= (seq >> (8 * b)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Loss in percent of a direction (0 when nothing was sent). */
double nb_loss_pct(const struct nb_loss_dir *d);

#endif
