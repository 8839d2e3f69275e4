/* netbench: the HTTP/3 requests of one server connection (server_h3.c
 * owns the connections; this is what they answer, http_target.h).
 *
 * The nghttp3 callbacks of the server: request headers are routed, a
 * download body is generated into a body ring per stream (nghttp3 keeps
 * pointers into it until the bytes are acknowledged), an upload body is
 * verified as it arrives, counted, credited back to the client and
 * answered once it has ended.
 */
#ifndef NB_SERVER_H3_REQ_H
#define NB_SERVER_H3_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include <nghttp3/nghttp3.h>

struct nb_quic;
struct h3_stream;

/* The requests of a connection; the connection's q->app points here. */
struct nb_h3_reqs {
	struct nb_quic *q;
	const char *peer;            /* for log lines */
	int results_fd;              /* POST /result (http_target.h); -1 */
	struct h3_stream *streams;   /* open, ours to free */
};

/* nghttp3 callbacks of the server (conn_user_data: the struct nb_quic *
 * whose app is a struct nb_h3_reqs *). */
extern const nghttp3_callbacks nb_h3_req_callbacks;

/* A body under way on some stream: "after X of N body bytes (stream S)"
 * into buf. Returns false when no body is unfinished. */
bool nb_h3_req_unfinished(const struct nb_h3_reqs *r, char *buf, size_t len);

/* Frees every stream (the nghttp3 connection is gone or going). */
void nb_h3_req_free_all(struct nb_h3_reqs *r);

#endif
