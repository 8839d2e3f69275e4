/* Fuzz target: the HTTP/2 server (server_h2.c, nghttp2 + http_req.c +
 * http_target.c) fed the input as the plaintext a client sends after the
 * TLS handshake, i.e. starting with the client preface.
 *
 * server_h2.c reads and writes through a gnutls session only, so the
 * target gives it one: a client and a server session over in-memory
 * transport (two byte queues), TLS 1.3 with ALPN h2 and the test
 * certificates of certs/, handshaken once per process. Each input gets a
 * fresh nb_h2 on that session: the client sends the input in records, the
 * server runs until it wants more input. Afterwards every record left for
 * the server is read and dropped, and what the server wrote is dropped
 * unread (the client never reads after the handshake), so the TLS session
 * is clean for the next input and nothing of one input reaches the next.
 *
 * What the server may write per input is capped (OUT_CAP_BYTES): past it
 * the transport says EAGAIN, as a full socket would, and the server stops
 * (a GET /bytes/N would otherwise stream up to N bytes). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "fuzz.h"
#include "server_h2.h"
#include "tls.h"

#define OUT_CAP_BYTES (1u << 20)
#define MAX_RUNS 1000

/* One direction of the connection. */
struct queue {
	uint8_t *buf;
	size_t len, off;
	size_t written;     /* since the last reset (server's output cap) */
	bool capped;        /* refuse writes past OUT_CAP_BYTES */
	bool refused;       /* a write was refused: a record is pending */
};

static struct queue c2s, s2c;
static gnutls_session_t client, server;

static ssize_t q_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
	struct queue *q = p;
	uint8_t *b;

	if (q->capped && q->written >= OUT_CAP_BYTES) {
		q->refused = true;
		gnutls_transport_set_errno(q == &s2c ? server : client, EAGAIN);
		return -1;
	}
	q->written += len;
	b = realloc(q->buf, q->len + len);
	if (!b)
		abort();
	q->buf = b;
	memcpy(q->buf + q->len, data, len);
	q->len += len;
	return (ssize_t)len;
}

static ssize_t q_pull(gnutls_transport_ptr_t p, void *data, size_t len)
{
	struct queue *q = p;
	size_t n = q->len - q->off;

	if (!n) {
		gnutls_transport_set_errno(q == &c2s ? server : client, EAGAIN);
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(data, q->buf + q->off, n);
	q->off += n;
	if (q->off == q->len)
		q->off = q->len = 0;
	return (ssize_t)n;
}

static void q_drop(struct queue *q)
{
	q->off = q->len = 0;
	q->written = 0;
}

static void die(const char *what, int rv)
{
	fprintf(stderr, "fuzz_h2: %s: %s\n", what, gnutls_strerror(rv));
	abort();
}

/* The two sessions, handshaken (once per process). */
static void setup(void)
{
	static const gnutls_datum_t h2 = {(unsigned char *)"h2", 2};
	gnutls_certificate_credentials_t sc, cc;
	int rs = GNUTLS_E_AGAIN, rc = GNUTLS_E_AGAIN;

	if (nb_tls_server_creds(NULL, NULL, &sc) ||
	    gnutls_certificate_allocate_credentials(&cc)) {
		fprintf(stderr, "fuzz_h2: no TLS material in %s\n",
			nb_certs_dir());
		abort();
	}
	if (gnutls_init(&server, GNUTLS_SERVER | GNUTLS_NONBLOCK) ||
	    gnutls_init(&client, GNUTLS_CLIENT | GNUTLS_NONBLOCK))
		abort();
	gnutls_priority_set_direct(server, NB_TLS_PRIORITY, NULL);
	gnutls_priority_set_direct(client, NB_TLS_PRIORITY, NULL);
	gnutls_credentials_set(server, GNUTLS_CRD_CERTIFICATE, sc);
	gnutls_credentials_set(client, GNUTLS_CRD_CERTIFICATE, cc);
	gnutls_alpn_set_protocols(server, &h2, 1, 0);
	gnutls_alpn_set_protocols(client, &h2, 1, 0);
	gnutls_transport_set_ptr2(server, &c2s, &s2c);
	gnutls_transport_set_ptr2(client, &s2c, &c2s);
	gnutls_transport_set_push_function(server, q_push);
	gnutls_transport_set_pull_function(server, q_pull);
	gnutls_transport_set_push_function(client, q_push);
	gnutls_transport_set_pull_function(client, q_pull);
	/* The client does not verify the certificate: there is nothing to
	 * protect, only a session to reach. */
	for (int i = 0; i < 100 && (rs || rc); i++) {
		if (rc)
			rc = gnutls_handshake(client);
		if (rc && rc != GNUTLS_E_AGAIN)
			die("client handshake", rc);
		if (rs)
			rs = gnutls_handshake(server);
		if (rs && rs != GNUTLS_E_AGAIN)
			die("server handshake", rs);
	}
	if (rs || rc)
		die("handshake does not finish", rs ? rs : rc);
	/* Whatever is left (tickets are off; nothing should be). */
	q_drop(&s2c);
	s2c.capped = true;
}

/* Reads and drops every record the client sent that the server has not
 * read, so that the next input starts on a record boundary. */
static void drain_server(void)
{
	uint8_t buf[16384];

	while (c2s.len - c2s.off || gnutls_record_check_pending(server)) {
		ssize_t n = gnutls_record_recv(server, buf, sizeof(buf));

		if (n < 0 && n != GNUTLS_E_AGAIN && gnutls_error_is_fatal((int)n))
			die("draining", (int)n);
		if (n == GNUTLS_E_AGAIN)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[16384];
	struct nb_h2 *h;
	uint64_t moved = 0;

	if (!server)
		setup();
	if (nb_h2_new(server, "fuzz", -1, scratch, sizeof(scratch), &h))
		abort();
	for (size_t off = 0; off < size;) {
		size_t n = size - off < 16384 ? size - off : 16384;
		ssize_t w = gnutls_record_send(client, data + off, n);

		if (w <= 0)
			die("client send", (int)w);
		off += (size_t)w;
	}
	for (int i = 0; i < MAX_RUNS; i++) {
		int ev = nb_h2_run(h, &moved);

		if (ev <= 0 || s2c.refused)
			break;
		/* EPOLLIN with nothing left to read: it waits for more. */
		if (c2s.len == c2s.off && !gnutls_record_check_pending(server))
			break;
	}
	nb_h2_free(h);
	drain_server();
	if (s2c.refused) {
		/* Let gnutls finish the record it holds. */
		s2c.capped = false;
		gnutls_record_send(server, NULL, 0);
		s2c.capped = true;
		s2c.refused = false;
	}
	q_drop(&s2c);
	return 0;
}
