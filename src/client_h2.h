/* netbench: the HTTP/2 client, on nghttp2 over gnutls.
 *
 * nb_curl_transfer(x, 2, r) dispatches here: HTTP/2 is not run on libcurl
 * 7.88.1, whose HTTP/2 uploads are broken in two ways measured here:
 *
 *  - it spins: in the PERFORMING state it asks for POLLOUT whenever the
 *    upload has data left (Curl_single_getsock; the HTTP/2 filter's check
 *    of the flow-control window is only consulted while connecting), so
 *    while the server's window is exhausted the socket is writable, every
 *    curl_multi_perform() sends nothing and curl_multi_poll() returns at
 *    once: 100% of a core until the WINDOW_UPDATE (curl issue #10618,
 *    fixed in 8.0.0 by d9ccc75). 8.4 s of CPU for 100 MB at 100 Mbit/s
 *    against a server with 64 KiB windows;
 *  - working around the spin from the application (waiting for input
 *    while no body byte leaves) makes its send path corrupt the stream.
 *    As lib/http2.c reads, cf_h2_send() can report CURLE_AGAIN (its
 *    buffer of small frames could not be flushed), i.e. nothing taken,
 *    after nghttp2 has framed bytes of the buffer: they go twice, and
 *    the server resets the stream (PROTOCOL_ERROR: more body than
 *    content-length; 7 of 14 transfers of 100 MB against nghttpd).
 *
 * Here: a non-blocking socket and poll(), TLS 1.3 with ALPN "h2" (and
 * "http/1.1", so that an HTTP/1.1-only server is recognised as one), the
 * certificate verified against the CA of certs/ (the IP address against
 * its IP SANs) and the server's key compared with the pin of certs/, 16 MiB
 * stream and connection windows. The upload body is generated straight
 * into nghttp2's DATA frames; nothing is polled for writing while nothing
 * is queued, so an exhausted window costs no CPU. Timing, series, progress,
 * fault injection and errors as nb_curl_transfer (client_curl.h).
 */
#ifndef NB_CLIENT_H2_H
#define NB_CLIENT_H2_H

#include "proto.h"

/* One verified transfer over HTTP/2. Errors as nb_proto.transfer, and
 * -EPROTONOSUPPORT (the server did not agree to HTTP/2), -ECONNABORTED
 * (abort_after reached), -EKEYREJECTED (pin or CA mismatch). */
int nb_h2_transfer(const struct nb_xfer *x, struct nb_xfer_result *r);

#endif
