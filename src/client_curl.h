/* netbench: the HTTP/1.1 and HTTP/2 client, on libcurl (gnutls flavour)
 * for HTTP/1.1; HTTP/2 is dispatched to client_h2.c (nghttp2 over gnutls),
 * because libcurl 7.88.1 spins the CPU on HTTP/2 uploads and corrupts them
 * when worked around (client_h2.h says how).
 *
 * Runs on the calling thread, which has entered the client namespace: an
 * IP-literal URL (no resolver thread), the certs/ CA trusted and the
 * server's key pinned, one fresh connection per transfer, every body byte
 * verified against the payload. Timing per DESIGN §5: a download runs from
 * the request being sent to the last body byte; an upload from the first
 * body byte handed to the connection to the server's answer.
 */
#ifndef NB_CLIENT_CURL_H
#define NB_CLIENT_CURL_H

#include "proto.h"

/* One verified transfer over HTTP/`version` (1 or 2; the negotiated
 * version is checked). Errors as nb_proto.transfer, and -EPROTONOSUPPORT
 * (the server did not speak that version), -ECONNABORTED (abort_after
 * reached), -EKEYREJECTED (pin or CA mismatch). */
int nb_curl_transfer(const struct nb_xfer *x, int version,
		     struct nb_xfer_result *r);

#endif
