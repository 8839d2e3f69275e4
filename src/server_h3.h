/* netbench: the HTTP/3 server (`netbench serve --proto h3`).
 *
 * One thread, one epoll loop, one UDP socket bound to the exact address:
 * datagrams are read in batches (recvmmsg) and handed to the connection
 * their destination connection ID names; a long-header packet of an
 * unknown version gets a Version Negotiation, an acceptable Initial a new
 * connection (up to a cap), anything else is dropped without a trace.
 * Routes and answers are those of http_target.h (server_h3_req.c).
 */
#ifndef NB_SERVER_H3_H
#define NB_SERVER_H3_H

#include "proto.h"

/* Serves until SIGTERM/SIGINT (nb_interrupted()), then closes every
 * connection (GOAWAY + CONNECTION_CLOSE) and returns 0. o->cc NULL means
 * cubic. Errors: from nb_tls_server_creds, -EINVAL (bad address or
 * congestion control), -EADDRINUSE and other negative errno of
 * socket/bind/epoll (nb_lasterr() says which). */
int nb_h3_serve(const struct nb_serve_opts *o);

#endif
