/* netbench: the HTTP/2 side of the server, one connection.
 *
 * nghttp2 glue over a TLS session whose handshake chose ALPN "h2". The
 * session announces MAX_CONCURRENT_STREAMS 100 and 16 MiB windows (stream
 * and connection: a 3 MB BDP must fit). Downloads are generated straight
 * into the connection's output buffer (DATA frames without copy); uploads
 * are verified as DATA arrives and answered at END_STREAM.
 *
 * Output: nghttp2 frames go to an output buffer of about 64 KiB (nghttp2 is
 * not asked for more while it is full, so a stalled client holds at most
 * that), written to gnutls in full 16384-byte records.
 */
#ifndef NB_SERVER_H2_H
#define NB_SERVER_H2_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

struct nb_h2;

/* A connection on `tls` (non-blocking, handshake done, ALPN h2). `peer`
 * names the client in log lines (streams reset in the middle of a body);
 * results_fd is the results file of POST /result (http_target.h; -1:
 * none); scratch (at least 16384 bytes) may be shared by every connection
 * of the thread. peer and scratch must outlive the connection. Errors:
 * -EINVAL (scratch too small), -ENOMEM. */
int nb_h2_new(gnutls_session_t tls, const char *peer, int results_fd,
	      uint8_t *scratch, size_t scratch_len, struct nb_h2 **out);

/* Makes all the progress it can; adds the TLS plaintext bytes it read or
 * wrote to *moved. Returns the epoll events to wait for (EPOLLIN and/or
 * EPOLLOUT; with EPOLLIN, gnutls may still hold records after a long read:
 * the caller checks gnutls_record_check_pending), or 0 when the session is
 * over (GOAWAY exchanged, or the client closed with nothing in flight) and
 * everything is handed to TLS: close it gracefully. Errors (close at once;
 * nb_lasterr() has one line for the log): -ECONNRESET (the client vanished;
 * with a body under way the message says after how many of how many body
 * bytes), -EPROTO (a TLS error, or an HTTP/2 error nghttp2 cannot answer
 * with GOAWAY, such as a bad preface: a GOAWAY is attempted), -ENOMEM. */
int nb_h2_run(struct nb_h2 *h, uint64_t *moved);

/* Frees the session and its streams (not the TLS session). NULL is fine. */
void nb_h2_free(struct nb_h2 *h);

#endif
