/* netbench: the HTTP/3 client, on ngtcp2 + nghttp3 + gnutls (quic.h).
 *
 * One connection per transfer, driven on the calling thread: a connected,
 * non-blocking UDP socket with large buffers (SO_RCVBUFFORCE/SO_SNDBUFFORCE
 * when root) and UDP_GRO where the kernel has it, so that one recvmmsg()
 * brings in trains of datagrams; ppoll() sleeps until input, the socket
 * draining, or the connection's next timer (loss detection, ACK delay,
 * pacing: nanosecond precision, a millisecond is several bursts at a few
 * Gbit/s), at most NB_POLL_MS so that stop requests are seen.
 *
 * The certificate is verified against the CA of certs/ and the server's
 * key against the pin of certs/ (by quic.c). The request is sent once the
 * handshake is complete: GET /bytes/N, or PUT /upload with content-length
 * N whose body is generated into a ring of 2 x NB_QUIC_WINDOW bytes that
 * holds what the server has not acknowledged yet (body_ring.h); the body
 * waits while the ring is full and resumes on every acknowledgement.
 * Timing, series, progress, fault injection, stop requests, the stall
 * limit and the answer check as every client (client_xfer.h); the
 * connection is closed with H3_NO_ERROR at the end.
 */
#ifndef NB_CLIENT_H3_H
#define NB_CLIENT_H3_H

#include "proto.h"

/* One verified transfer over HTTP/3. Errors as nb_proto.transfer, and
 * -ECONNABORTED (abort_after reached: the connection is dropped without a
 * word), -EKEYREJECTED (pin or CA mismatch), -ECONNREFUSED (nothing
 * listens on the port), -EPROTONOSUPPORT (the server refused "h3"). */
int nb_h3_transfer(const struct nb_xfer *x, struct nb_xfer_result *r);

#endif
