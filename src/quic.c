/* netbench: one HTTP/3 connection, the set-up half (see quic.h): ngtcp2
 * callbacks, the ngtcp2 <-> nghttp3 glue, the gnutls session, transport
 * parameters and settings. The I/O half (read, write, timers, closing,
 * UDP) is quic_io.c.
 *
 * The nghttp3 layer is created when the 1-RTT keys arrive (server: the
 * transmit key, client: the receive key), as the ngtcp2 examples do: from
 * then on both ends may open the three unidirectional streams HTTP/3
 * needs. Every ngtcp2 callback gets the struct nb_quic * as user data, and
 * so does every nghttp3 callback (conn_user_data).
 */
#include "quic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "error.h"
#include "tls.h"

/* Requests a client may have open at once (the server's grant). */
#define SERVER_STREAMS_BIDI 100
/* HTTP/3 needs three unidirectional streams each way (control, QPACK
 * encoder and decoder); a few more cost nothing. */
#define STREAMS_UNI 8

static const char *const cc_names[] = {
	[NGTCP2_CC_ALGO_RENO] = "reno",
	[NGTCP2_CC_ALGO_CUBIC] = "cubic",
	[NGTCP2_CC_ALGO_BBR] = "bbr",
	[NGTCP2_CC_ALGO_BBR2] = "bbr2",
};

ngtcp2_tstamp nb_quic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ngtcp2_tstamp)ts.tv_sec * NGTCP2_SECONDS +
	       (ngtcp2_tstamp)ts.tv_nsec;
}

int nb_quic_cc_parse(const char *name, ngtcp2_cc_algo *algo)
{
	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++) {
		if (cc_names[i] && name && !strcmp(name, cc_names[i])) {
			*algo = (ngtcp2_cc_algo)i;
			return 0;
		}
	}
	return nb_fail(-EINVAL, "unknown congestion control '%s' (valid: "
		       "cubic, reno, bbr, bbr2)", name ? name : "");
}

const char *nb_quic_cc_name(ngtcp2_cc_algo algo)
{
	if ((size_t)algo < sizeof(cc_names) / sizeof(cc_names[0]) &&
	    cc_names[algo])
		return cc_names[algo];
	return "?";
}

int nb_quic_errno(int liberr)
{
	switch (liberr) {
	case NGTCP2_ERR_NOMEM:
	case NGHTTP3_ERR_NOMEM:
		return -ENOMEM;
	case NGTCP2_ERR_CLOSING:
	case NGTCP2_ERR_DRAINING:
	case NGTCP2_ERR_DROP_CONN:
	case NGHTTP3_ERR_CONN_CLOSING:
		return -ECONNRESET;
	case NGTCP2_ERR_IDLE_CLOSE:
	case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
		return -ETIMEDOUT;
	case NGTCP2_ERR_STREAM_DATA_BLOCKED:
	case NGTCP2_ERR_STREAM_ID_BLOCKED:
	case NGHTTP3_ERR_WOULDBLOCK:
		return -EAGAIN;
	case NGTCP2_ERR_INVALID_ARGUMENT:
	case NGTCP2_ERR_INVALID_STATE:
	case NGTCP2_ERR_INTERNAL:
	case NGTCP2_ERR_NOBUF:
	case NGTCP2_ERR_CALLBACK_FAILURE:
	case NGHTTP3_ERR_INVALID_ARGUMENT:
	case NGHTTP3_ERR_INVALID_STATE:
	case NGHTTP3_ERR_NOBUF:
	case NGHTTP3_ERR_CALLBACK_FAILURE:
		return -EIO;
	default:
		return -EPROTO;
	}
}

/* A callback of ours failed: remember why (nb_lasterr() keeps the
 * message), and close with an HTTP/3 error code when it is nghttp3's.
 * Returns NGTCP2_ERR_CALLBACK_FAILURE. */
static int h3_failed(struct nb_quic *q, int h3err)
{
	q->failed = nb_fail(nb_quic_errno(h3err), "HTTP/3: %s",
			    nghttp3_strerror(h3err));
	ngtcp2_connection_close_error_set_application_error(
		&q->ccerr, nghttp3_err_infer_quic_app_error_code(h3err), NULL, 0);
	return NGTCP2_ERR_CALLBACK_FAILURE;
}

/* --- ngtcp2 callbacks --------------------------------------------------- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct nb_quic *)ref->user_data)->conn;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	gnutls_rnd(GNUTLS_RND_NONCE, dest, len);
}

/* A new connection ID (random, redrawn while the end says it is taken)
 * and its stateless reset token (random: we never send stateless resets).
 * Returns 0 or NGTCP2_ERR_CALLBACK_FAILURE. */
static int new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token,
		   size_t cidlen, void *ud)
{
	struct nb_quic *q = ud;
	int rv = -EEXIST;

	(void)conn;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, token,
		       NGTCP2_STATELESS_RESET_TOKENLEN))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	for (int draw = 0; draw < 16 && rv == -EEXIST; draw++) {
		if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen))
			return NGTCP2_ERR_CALLBACK_FAILURE;
		cid->datalen = cidlen;
		rv = q->ops->cid_added ? q->ops->cid_added(q, cid) : 0;
	}
	return rv ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

static int remove_cid(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *ud)
{
	struct nb_quic *q = ud;

	(void)conn;
	if (q->ops->cid_removed)
		q->ops->cid_removed(q, cid);
	return 0;
}

/* Stream bytes to nghttp3; the HTTP/3 framing it consumed is credited at
 * once (DATA payload is credited by the end, nb_quic_consumed). */
static int recv_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t sid,
			    uint64_t offset, const uint8_t *data, size_t len,
			    void *ud, void *sud)
{
	struct nb_quic *q = ud;
	nghttp3_ssize n;

	(void)conn;
	(void)offset;
	(void)sud;
	if (!q->h3)
		return 0;
	n = nghttp3_conn_read_stream(q->h3, sid, data, len,
				     flags & NGTCP2_STREAM_DATA_FLAG_FIN);
	if (n < 0)
		return h3_failed(q, (int)n);
	nb_quic_consumed(q, sid, (size_t)n);
	return 0;
}

static int acked_stream_data(ngtcp2_conn *conn, int64_t sid, uint64_t offset,
			     uint64_t len, void *ud, void *sud)
{
	struct nb_quic *q = ud;
	int rv;

	(void)conn;
	(void)offset;
	(void)sud;
	if (!q->h3)
		return 0;
	rv = nghttp3_conn_add_ack_offset(q->h3, sid, len);
	return rv ? h3_failed(q, rv) : 0;
}

static int stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t sid,
			uint64_t code, void *ud, void *sud)
{
	struct nb_quic *q = ud;
	int rv;

	(void)sud;
	if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
		code = NGHTTP3_H3_NO_ERROR;
	if (q->h3) {
		rv = nghttp3_conn_close_stream(q->h3, sid, code);
		if (rv && rv != NGHTTP3_ERR_STREAM_NOT_FOUND)
			return h3_failed(q, rv);
	}
	/* Only the client opens bidirectional streams: grant another. */
	if (q->ops->server && ngtcp2_is_bidi_stream(sid))
		ngtcp2_conn_extend_max_streams_bidi(conn, 1);
	if (q->ops->stream_closed)
		q->ops->stream_closed(q, sid, code);
	return 0;
}

/* The peer reset its side, or asked us to stop sending: nghttp3 stops
 * reading the stream. */
static int stream_reset(ngtcp2_conn *conn, int64_t sid, uint64_t final_size,
			uint64_t code, void *ud, void *sud)
{
	struct nb_quic *q = ud;
	int rv;

	(void)conn;
	(void)final_size;
	(void)code;
	(void)sud;
	if (!q->h3)
		return 0;
	rv = nghttp3_conn_shutdown_stream_read(q->h3, sid);
	return rv ? h3_failed(q, rv) : 0;
}

static int stream_stop_sending(ngtcp2_conn *conn, int64_t sid, uint64_t code,
			       void *ud, void *sud)
{
	return stream_reset(conn, sid, 0, code, ud, sud);
}

static int extend_max_remote_bidi(ngtcp2_conn *conn, uint64_t max, void *ud)
{
	struct nb_quic *q = ud;

	(void)conn;
	if (q->h3)
		nghttp3_conn_set_max_client_streams_bidi(q->h3, max);
	return 0;
}

static int extend_max_stream_data(ngtcp2_conn *conn, int64_t sid,
				  uint64_t max, void *ud, void *sud)
{
	struct nb_quic *q = ud;
	int rv;

	(void)conn;
	(void)max;
	(void)sud;
	if (!q->h3)
		return 0;
	rv = nghttp3_conn_unblock_stream(q->h3, sid);
	return rv ? h3_failed(q, rv) : 0;
}

static int handshake_completed(ngtcp2_conn *conn, void *ud)
{
	struct nb_quic *q = ud;

	(void)conn;
	if (q->ops->handshake_done && q->ops->handshake_done(q))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

/* --- nghttp3 glue ------------------------------------------------------- */

static int h3_stop_sending(nghttp3_conn *h3, int64_t sid, uint64_t code,
			   void *ud, void *sud)
{
	struct nb_quic *q = ud;

	(void)h3;
	(void)sud;
	return ngtcp2_conn_shutdown_stream_read(q->conn, sid, code) ?
	       NGHTTP3_ERR_CALLBACK_FAILURE : 0;
}

static int h3_reset_stream(nghttp3_conn *h3, int64_t sid, uint64_t code,
			   void *ud, void *sud)
{
	struct nb_quic *q = ud;

	(void)h3;
	(void)sud;
	return ngtcp2_conn_shutdown_stream_write(q->conn, sid, code) ?
	       NGHTTP3_ERR_CALLBACK_FAILURE : 0;
}

static int h3_deferred_consume(nghttp3_conn *h3, int64_t sid, size_t n,
			       void *ud, void *sud)
{
	(void)h3;
	(void)sud;
	nb_quic_consumed(ud, sid, n);
	return 0;
}

void nb_quic_h3_glue(nghttp3_callbacks *cb)
{
	if (!cb->stop_sending)
		cb->stop_sending = h3_stop_sending;
	if (!cb->reset_stream)
		cb->reset_stream = h3_reset_stream;
	if (!cb->deferred_consume)
		cb->deferred_consume = h3_deferred_consume;
}

/* The HTTP/3 layer on the 1-RTT keys: nghttp3 connection, control and
 * QPACK streams. Returns 0 or NGTCP2_ERR_CALLBACK_FAILURE. */
static int h3_setup(struct nb_quic *q)
{
	nghttp3_callbacks cb = *q->ops->h3_callbacks;
	nghttp3_settings st;
	int64_t ctrl, qenc, qdec;
	int rv;

	if (q->h3)
		return 0;
	nb_quic_h3_glue(&cb);
	nghttp3_settings_default(&st);
	if (ngtcp2_conn_get_max_local_streams_uni(q->conn) < 3) {
		q->failed = nb_fail(-EPROTO, "HTTP/3: the peer allows fewer "
				    "than 3 unidirectional streams");
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	if (q->ops->server)
		rv = nghttp3_conn_server_new(&q->h3, &cb, &st,
					     nghttp3_mem_default(), q);
	else
		rv = nghttp3_conn_client_new(&q->h3, &cb, &st,
					     nghttp3_mem_default(), q);
	if (rv) {
		q->h3 = NULL;
		return h3_failed(q, rv);
	}
	if (q->ops->server)
		nghttp3_conn_set_max_client_streams_bidi(
			q->h3, ngtcp2_conn_get_local_transport_params(q->conn)
				       ->initial_max_streams_bidi);
	if (ngtcp2_conn_open_uni_stream(q->conn, &ctrl, NULL) ||
	    ngtcp2_conn_open_uni_stream(q->conn, &qenc, NULL) ||
	    ngtcp2_conn_open_uni_stream(q->conn, &qdec, NULL)) {
		q->failed = nb_fail(-EPROTO, "HTTP/3: cannot open the "
				    "control and QPACK streams");
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	rv = nghttp3_conn_bind_control_stream(q->h3, ctrl);
	if (!rv)
		rv = nghttp3_conn_bind_qpack_streams(q->h3, qenc, qdec);
	return rv ? h3_failed(q, rv) : 0;
}

/* 1-RTT keys: the server has its transmit key first, the client its
 * receive key; either is when HTTP/3 may start. */
static int recv_rx_key(ngtcp2_conn *conn, ngtcp2_crypto_level level, void *ud)
{
	struct nb_quic *q = ud;

	(void)conn;
	if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION || q->ops->server)
		return 0;
	return h3_setup(q);
}

static int recv_tx_key(ngtcp2_conn *conn, ngtcp2_crypto_level level, void *ud)
{
	struct nb_quic *q = ud;

	(void)conn;
	if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION || !q->ops->server)
		return 0;
	return h3_setup(q);
}

static const ngtcp2_callbacks callbacks = {
	.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
	.encrypt = ngtcp2_crypto_encrypt_cb,
	.decrypt = ngtcp2_crypto_decrypt_cb,
	.hp_mask = ngtcp2_crypto_hp_mask_cb,
	.update_key = ngtcp2_crypto_update_key_cb,
	.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
	.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
	.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
	.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
	.rand = rand_cb,
	.get_new_connection_id = new_cid,
	.remove_connection_id = remove_cid,
	.recv_stream_data = recv_stream_data,
	.acked_stream_data_offset = acked_stream_data,
	.stream_close = stream_close,
	.stream_reset = stream_reset,
	.stream_stop_sending = stream_stop_sending,
	.extend_max_remote_streams_bidi = extend_max_remote_bidi,
	.extend_max_stream_data = extend_max_stream_data,
	.handshake_completed = handshake_completed,
	.recv_rx_key = recv_rx_key,
	.recv_tx_key = recv_tx_key,
};

/* --- TLS ---------------------------------------------------------------- */

/* Client: the server's certificate must chain to the CA of the
 * credentials, name the address we dialled, and carry the pinned key.
 * Returns 0, or -1 (gnutls fails the handshake). */
static int verify_server(gnutls_session_t s)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
	struct nb_quic *q = ref->user_data;
	unsigned int status = 0;
	gnutls_datum_t why = {0};
	char pin[64];
	int rv;

	rv = gnutls_certificate_verify_peers3(s, q->peer_name, &status);
	if (rv < 0) {
		q->failed = nb_fail(-EKEYREJECTED, "TLS: cannot verify the "
				    "server certificate: %s", gnutls_strerror(rv));
		return -1;
	}
	if (status) {
		gnutls_certificate_verification_status_print(
			status, GNUTLS_CRT_X509, &why, 0);
		q->failed = nb_fail(-EKEYREJECTED, "TLS: server certificate "
				    "rejected: %s", why.data ? (char *)why.data
							     : "?");
		gnutls_free(why.data);
		return -1;
	}
	if (!q->pin[0])
		return 0;
	rv = nb_tls_peer_pin(s, pin, sizeof(pin));
	if (rv) {
		q->failed = rv;
		return -1;
	}
	if (strcmp(pin, q->pin)) {
		q->failed = nb_fail(-EKEYREJECTED, "TLS: the server key %s is "
				    "not the pinned %s", pin, q->pin);
		return -1;
	}
	return 0;
}

/* The gnutls session of either end. Errors: -EPROTO, -ENOMEM. */
static int tls_setup(struct nb_quic *q, gnutls_certificate_credentials_t cred)
{
	static const gnutls_datum_t alpn = {(unsigned char *)"h3", 2};
	bool server = q->ops->server;
	unsigned int flags;
	int rv;

	flags = server ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET |
				 GNUTLS_NO_END_OF_EARLY_DATA
		       : GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA |
				 GNUTLS_NO_TICKETS;
	rv = gnutls_init(&q->tls, flags);
	if (rv < 0) {
		q->tls = NULL;
		return nb_fail(-ENOMEM, "TLS: %s", gnutls_strerror(rv));
	}
	rv = gnutls_priority_set_direct(q->tls, NB_QUIC_PRIORITY, NULL);
	if (rv < 0)
		return nb_fail(-EPROTO, "TLS priority: %s", gnutls_strerror(rv));
	rv = server ? ngtcp2_crypto_gnutls_configure_server_session(q->tls)
		    : ngtcp2_crypto_gnutls_configure_client_session(q->tls);
	if (rv)
		return nb_fail(-EPROTO, "TLS: ngtcp2_crypto_gnutls refused "
			       "the session");
	gnutls_session_set_ptr(q->tls, &q->ref);
	rv = gnutls_credentials_set(q->tls, GNUTLS_CRD_CERTIFICATE, cred);
	if (rv >= 0)
		rv = gnutls_alpn_set_protocols(q->tls, &alpn, 1,
					       GNUTLS_ALPN_MANDATORY |
					       (server ? GNUTLS_ALPN_SERVER_PRECEDENCE
						       : 0));
	if (rv < 0)
		return nb_fail(-EPROTO, "TLS: %s", gnutls_strerror(rv));
	if (!server)
		gnutls_session_set_verify_function(q->tls, verify_server);
	return 0;
}

/* --- the connection ----------------------------------------------------- */

static void transport_params(ngtcp2_transport_params *tp, bool server)
{
	ngtcp2_transport_params_default(tp);
	tp->initial_max_data = NB_QUIC_WINDOW;
	tp->initial_max_stream_data_bidi_local = NB_QUIC_WINDOW;
	tp->initial_max_stream_data_bidi_remote = NB_QUIC_WINDOW;
	tp->initial_max_stream_data_uni = NB_QUIC_WINDOW;
	tp->initial_max_streams_bidi = server ? SERVER_STREAMS_BIDI : 0;
	tp->initial_max_streams_uni = STREAMS_UNI;
	tp->max_idle_timeout = (ngtcp2_duration)NB_QUIC_IDLE_S * NGTCP2_SECONDS;
}

int nb_quic_init(struct nb_quic *q, const struct nb_quic_ops *ops, int fd,
		 const struct sockaddr *local, socklen_t locallen,
		 const struct sockaddr *remote, socklen_t remotelen,
		 const ngtcp2_pkt_hd *hd, ngtcp2_cc_algo cc,
		 gnutls_certificate_credentials_t cred, const char *pin)
{
	void *app = q->app;
	ngtcp2_transport_params tp;
	ngtcp2_settings st;
	ngtcp2_cid dcid, scid;
	int rv;

	memset(q, 0, sizeof(*q));
	q->app = app;
	q->ref.get_conn = get_conn;
	q->ref.user_data = q;
	q->ops = ops;
	q->fd = fd;
	ngtcp2_connection_close_error_default(&q->ccerr);
	if (remotelen > sizeof(q->tx.to) || (ops->server && !hd))
		return nb_fail(-EINVAL, "QUIC: bad arguments");
	ngtcp2_path_storage_init(&q->ps, local, locallen, remote, remotelen,
				 NULL);
	memcpy(&q->tx.to, remote, remotelen);
	q->tx.tolen = remotelen;
	if (!ops->server) {
		if (remote->sa_family == AF_INET)
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)remote)->sin_addr,
				  q->peer_name, sizeof(q->peer_name));
		else if (remote->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)remote)->sin6_addr,
				  q->peer_name, sizeof(q->peer_name));
		if (pin && strlen(pin) >= sizeof(q->pin))
			return nb_fail(-EINVAL, "QUIC: pin too long");
		if (pin)
			strcpy(q->pin, pin);
	}

	ngtcp2_settings_default(&st);
	st.cc_algo = cc;
	st.initial_ts = nb_quic_now();
	/* Full-size packets from the start, no path MTU discovery. */
	st.max_tx_udp_payload_size = NB_QUIC_MAX_PKT;
	st.no_tx_udp_payload_size_shaping = 1;
	st.no_pmtud = 1;
	transport_params(&tp, ops->server);
	scid.datalen = ops->server ? NB_QUIC_SCIDLEN : NB_QUIC_CLIENT_SCIDLEN;
	if (scid.datalen &&
	    gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen))
		return nb_fail(-EPROTO, "QUIC: no random bytes");
	if (ops->server) {
		tp.original_dcid = hd->dcid;
		tp.stateless_reset_token_present = 1;
		if (gnutls_rnd(GNUTLS_RND_RANDOM, tp.stateless_reset_token,
			       sizeof(tp.stateless_reset_token)))
			return nb_fail(-EPROTO, "QUIC: no random bytes");
		ngtcp2_callbacks cb = callbacks;

		cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
		rv = ngtcp2_conn_server_new(&q->conn, &hd->scid, &scid,
					    &q->ps.path, hd->version, &cb, &st,
					    &tp, NULL, q);
	} else {
		ngtcp2_callbacks cb = callbacks;

		cb.client_initial = ngtcp2_crypto_client_initial_cb;
		cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
		/* RFC 9000 7.2: at least 8 bytes until the server's own. */
		dcid.datalen = NGTCP2_MIN_INITIAL_DCIDLEN;
		if (gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen))
			return nb_fail(-EPROTO, "QUIC: no random bytes");
		rv = ngtcp2_conn_client_new(&q->conn, &dcid, &scid, &q->ps.path,
					    NGTCP2_PROTO_VER_V1, &cb, &st, &tp,
					    NULL, q);
	}
	if (rv) {
		q->conn = NULL;
		return nb_fail(nb_quic_errno(rv), "QUIC: %s", ngtcp2_strerror(rv));
	}
	rv = tls_setup(q, cred);
	if (rv) {
		nb_quic_free(q);
		return rv;
	}
	ngtcp2_conn_set_tls_native_handle(q->conn, q->tls);
	return 0;
}

void nb_quic_free(struct nb_quic *q)
{
	if (q->h3)
		nghttp3_conn_del(q->h3);
	if (q->conn)
		ngtcp2_conn_del(q->conn);
	if (q->tls)
		gnutls_deinit(q->tls);
	q->h3 = NULL;
	q->conn = NULL;
	q->tls = NULL;
}

void nb_quic_consumed(struct nb_quic *q, int64_t sid, size_t n)
{
	if (!n)
		return;
	ngtcp2_conn_extend_max_stream_offset(q->conn, sid, n);
	ngtcp2_conn_extend_max_offset(q->conn, n);
}
