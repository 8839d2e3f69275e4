/* Fuzz target: the HTTP/3 requests of the server (server_h3_req.c:
 * nghttp3 + http_req.c + http_target.c) fed raw stream bytes.
 *
 * The QUIC layer below (server_h3.c, quic.c) is not fuzzed here: every
 * packet it takes is authenticated by keys from a TLS handshake, so raw
 * input would stop at decryption. This target starts above it, where a
 * client's stream bytes arrive in clear: a server nghttp3 connection with
 * the server's callbacks (nb_h3_req_callbacks), its control and QPACK
 * streams bound, and an ngtcp2 server connection that never handshakes,
 * only so that the callbacks' calls into it (flow-control credit,
 * shutdown of a stream's read side) have one: it knows no stream, so
 * they change nothing.
 *
 * Input: a sequence of chunks, each
 *   byte 0  bits 0-2: stream (0-3: request streams 0, 4, 8, 12; 4: the
 *           client's control stream 2; 5, 6: its QPACK encoder 6 and
 *           decoder 10 streams; 7: request stream 16), bit 7: FIN
 *   byte 1  length L
 *   L bytes
 * Each chunk goes to nghttp3_conn_read_stream(); then everything the
 * server has to send is taken as written and acknowledged (so that
 * download rings drain), up to OUT_CAP_BYTES per input. A connection
 * error ends the input. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <nghttp3/nghttp3.h>

#include "fuzz.h"
#include "quic.h"
#include "server_h3_req.h"

#define OUT_CAP_BYTES (1u << 20)

static const int64_t stream_of[8] = {0, 4, 8, 12, 2, 6, 10, 16};

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	memset(dest, 0x5a, len);
}

static int new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token,
		   size_t cidlen, void *ud)
{
	(void)conn;
	(void)ud;
	memset(cid->data, 0x33, cidlen);
	cid->datalen = cidlen;
	memset(token, 0x44, NGTCP2_STATELESS_RESET_TOKENLEN);
	return 0;
}

/* A server connection that never handshakes (see above). */
static ngtcp2_conn *quic_conn(struct nb_quic *q)
{
	ngtcp2_callbacks cb = {
		.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb,
		.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
		.encrypt = ngtcp2_crypto_encrypt_cb,
		.decrypt = ngtcp2_crypto_decrypt_cb,
		.hp_mask = ngtcp2_crypto_hp_mask_cb,
		.rand = rand_cb,
		.get_new_connection_id = new_cid,
		.update_key = ngtcp2_crypto_update_key_cb,
		.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
		.delete_crypto_cipher_ctx =
			ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
		.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
	};
	ngtcp2_settings st;
	ngtcp2_transport_params tp;
	ngtcp2_cid dcid = {.datalen = 8, .data = {1, 2, 3, 4, 5, 6, 7, 8}};
	ngtcp2_cid scid = {.datalen = 8, .data = {8, 7, 6, 5, 4, 3, 2, 1}};
	struct sockaddr_in a = {.sin_family = AF_INET};
	ngtcp2_path path = {
		.local = {.addr = (ngtcp2_sockaddr *)&a, .addrlen = sizeof(a)},
		.remote = {.addr = (ngtcp2_sockaddr *)&a, .addrlen = sizeof(a)},
	};
	ngtcp2_conn *conn = NULL;

	ngtcp2_settings_default(&st);
	ngtcp2_transport_params_default(&tp);
	tp.original_dcid = dcid;
	tp.initial_max_streams_bidi = 100;
	tp.initial_max_streams_uni = 3;
	if (ngtcp2_conn_server_new(&conn, &dcid, &scid, &path,
				   NGTCP2_PROTO_VER_V1, &cb, &st, &tp, NULL, q))
		abort();
	return conn;
}

/* Takes everything the server has to send as written and acknowledged.
 * Returns false once the cap is reached or on an error. */
static bool drain(nghttp3_conn *h3, size_t *out)
{
	for (int i = 0; i < 10000; i++) {
		nghttp3_vec vec[16];
		int64_t sid = -1;
		int fin = 0;
		nghttp3_ssize n = nghttp3_conn_writev_stream(h3, &sid, &fin,
							     vec, 16);
		size_t len = 0;

		if (n < 0)
			return false;
		if (sid < 0)
			return true;
		for (nghttp3_ssize k = 0; k < n; k++)
			len += vec[k].len;
		if (nghttp3_conn_add_write_offset(h3, sid, len) ||
		    nghttp3_conn_add_ack_offset(h3, sid, len))
			return false;
		*out += len;
		if (*out >= OUT_CAP_BYTES || (!len && !fin))
			return *out < OUT_CAP_BYTES;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nghttp3_callbacks cb = nb_h3_req_callbacks;
	nghttp3_settings st;
	struct nb_quic q;
	struct nb_h3_reqs r = {.q = &q, .peer = "fuzz", .results_fd = -1};
	size_t out = 0;

	memset(&q, 0, sizeof(q));
	q.app = &r;
	q.fd = -1;
	q.conn = quic_conn(&q);
	nb_quic_h3_glue(&cb);
	nghttp3_settings_default(&st);
	if (nghttp3_conn_server_new(&q.h3, &cb, &st, nghttp3_mem_default(), &q))
		abort();
	nghttp3_conn_set_max_client_streams_bidi(q.h3, 100);
	if (nghttp3_conn_bind_control_stream(q.h3, 3) ||
	    nghttp3_conn_bind_qpack_streams(q.h3, 7, 11))
		abort();
	drain(q.h3, &out);
	for (size_t off = 0; off + 2 <= size;) {
		int64_t sid = stream_of[data[off] & 7];
		int fin = (data[off] & 0x80) != 0;
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		nghttp3_ssize n = nghttp3_conn_read_stream(q.h3, sid, data + off,
							   len, fin);
		off += len;
		if (n < 0)
			break;
		/* What nghttp3 consumed at once (the rest: deferred). */
		nb_quic_consumed(&q, sid, (size_t)n);
		if (!drain(q.h3, &out))
			break;
	}
	nghttp3_conn_del(q.h3);
	nb_h3_req_free_all(&r);
	ngtcp2_conn_del(q.conn);
	return 0;
}
