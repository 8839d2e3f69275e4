/* netbench: the HTTP/1.1 side of the server, one connection.
 *
 * A state machine over a TLS session whose handshake is done (ALPN chose
 * "http/1.1" or nothing): read a request head (http1.h), route it
 * (http_target.h), read and verify an upload body or stream a generated
 * download body, answer, and go on with the next request of the same
 * connection (keep-alive, pipelining) until the client closes or asks to.
 *
 * It never blocks: nb_h1_run() moves as much as the socket allows and says
 * which epoll events it waits for. Memory is fixed per connection (the
 * request head buffer, NB_H1_HEAD_MAX, and a result body,
 * NB_HTTP_RESULT_MAX) but for a page being sent (page.h, a few KiB);
 * payload bodies pass through the caller's scratch buffer, one TLS record
 * at a time, and are never held.
 */
#ifndef NB_SERVER_H1_H
#define NB_SERVER_H1_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#define NB_H1_HEAD_MAX 16384   /* a longer request head gets 431 */

struct nb_h1;

/* A connection on `tls` (non-blocking, handshake done). results_fd is the
 * results file of POST /result (http_target.h; -1: none). scratch (at
 * least 16384 bytes) may be shared by every connection of the thread:
 * nothing is kept in it between calls; it must outlive the connection.
 * Errors: -EINVAL (scratch too small), -ENOMEM. */
int nb_h1_new(gnutls_session_t tls, int results_fd, uint8_t *scratch,
	      size_t scratch_len, struct nb_h1 **out);

/* Makes all the progress it can; adds the bytes it read or wrote (TLS
 * plaintext) to *moved. Returns the epoll events to wait for (EPOLLIN and/or
 * EPOLLOUT; with EPOLLIN, records gnutls still holds may be pending after a
 * long read: the caller checks gnutls_record_check_pending), or 0 when the
 * connection is over and every response is handed to TLS: close it
 * gracefully. Errors (close at once; nb_lasterr() has one line for the log):
 * -ECONNRESET (the client vanished; in the middle of a body the message says
 * after how many of how many body bytes), -EPROTO (a TLS error). */
int nb_h1_run(struct nb_h1 *h, uint64_t *moved);

/* Frees the connection state (not the TLS session). NULL is fine. */
void nb_h1_free(struct nb_h1 *h);

#endif
