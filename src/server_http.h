/* netbench: the HTTP/1.1 + HTTP/2 server (`netbench serve --proto h1|h2`).
 *
 * One thread, one epoll loop over non-blocking sockets: TLS 1.3 on gnutls,
 * ALPN chooses HTTP/2 (nghttp2) or HTTP/1.1 per connection. Routes and
 * answers are those of http_target.h. A connection that misbehaves or
 * vanishes costs only itself.
 */
#ifndef NB_SERVER_HTTP_H
#define NB_SERVER_HTTP_H

#include <stdbool.h>

#include "proto.h"

/* Serves until SIGTERM/SIGINT (nb_interrupted()). `h2` offers ALPN "h2"
 * before "http/1.1"; otherwise only "http/1.1" is offered. Returns 0 on a
 * clean stop. Errors: from nb_tls_server_creds, -EADDRINUSE and other
 * negative errno from socket/bind/listen/epoll (nb_lasterr() says which). */
int nb_http_serve(const struct nb_serve_opts *o, bool h2);

#endif
