/* netbench: the bytes of a generated body that the QUIC stack still points
 * at.
 *
 * nghttp3 (and ngtcp2 beneath it) keeps pointers to the body bytes it was
 * handed until the peer acknowledges them, for retransmission. The payload
 * is generated, never stored (payload.h), so the bytes in flight are kept
 * here: a ring written at the head as nghttp3 asks for body data and
 * released at the tail, in order, as acknowledgements arrive. Its capacity
 * bounds what is in flight: when it is full the body waits (the sender
 * returns NGHTTP3_ERR_WOULDBLOCK and resumes on the next ack).
 *
 * The buffer is an anonymous mapping: pages are only touched as the body
 * reaches them, so a 32 MiB ring for a small transfer costs little.
 */
#ifndef NB_BODY_RING_H
#define NB_BODY_RING_H

#include <stddef.h>
#include <stdint.h>

struct nb_ring {
	uint8_t *buf;
	size_t cap;
	uint64_t head;         /* bytes written since the start */
	uint64_t tail;         /* bytes released (acknowledged) */
};

/* A ring of cap bytes (a multiple of the page size is best). Errors:
 * -EINVAL (cap 0), -ENOMEM. */
int nb_ring_init(struct nb_ring *r, size_t cap);

/* Unmaps the buffer (safe on a zeroed ring, and twice). */
void nb_ring_free(struct nb_ring *r);

/* The free space at the head that is contiguous in memory: a pointer and
 * *len bytes (*len 0 when the ring is full). */
uint8_t *nb_ring_space(struct nb_ring *r, size_t *len);

/* n bytes of the space were written (n <= the *len given). */
void nb_ring_commit(struct nb_ring *r, size_t n);

/* n more bytes were acknowledged, the oldest first. Errors: -EINVAL (more
 * than were written and not yet released; nothing is released). */
int nb_ring_release(struct nb_ring *r, uint64_t n);

/* Bytes written and not yet released. */
static inline size_t nb_ring_used(const struct nb_ring *r)
{
	return (size_t)(r->head - r->tail);
}

#endif
