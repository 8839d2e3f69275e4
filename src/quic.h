/* netbench: one HTTP/3 connection, whichever end: ngtcp2 + gnutls +
 * nghttp3 glued together, and the UDP send path with GSO and pacing.
 *
 * Everything about QUIC that the server (server_h3.c) and the client
 * (client_h3.c) share lives here, so that the two ends differ only in
 * what they do with HTTP/3 requests and responses (their nghttp3
 * callbacks) and in how datagrams reach a connection (the server looks
 * them up by connection ID; the client has one connected socket).
 *
 * Contracts (see ../shared/reference/api-notes.md §1-2, ngtcp2 0.12.1,
 * nghttp3 0.8.0):
 *  - timestamps are CLOCK_MONOTONIC nanoseconds (nb_quic_now());
 *  - stream and connection windows are NB_QUIC_WINDOW each way, fixed (no
 *    auto-tuning); credit is returned as the application consumes bytes,
 *    DATA payload included (nb_quic_consumed());
 *  - TLS 1.3 only with %DISABLE_TLS13_COMPAT_MODE, ALPN "h3", no session
 *    tickets, no 0-RTT; the client checks the CA of certs/ and the pin;
 *  - a connection is driven by one thread only.
 *
 * Error convention: 0 or a negative errno, nb_lasterr() says why; the
 * ngtcp2/nghttp3 error codes are mapped (nb_quic_errno()).
 */
#ifndef NB_QUIC_H
#define NB_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

/* Stream and connection flow-control windows, both directions: more than
 * twice the largest profile's BDP (300 Mbit/s x 80 ms = 3 MB). */
#define NB_QUIC_WINDOW (16u << 20)
/* Connections without a packet for this long are dropped silently. */
#define NB_QUIC_IDLE_S 30
/* Length of the connection IDs each end issues: none. Every byte of a
 * connection ID rides in every packet towards its issuer (0.07% of a
 * full packet each; 4-byte server IDs, quic-go's default, cost an upload
 * 0.27%). The client never migrates; the server finds a connection by the
 * client's address and port instead (server_h3.c), and by the client's
 * original DCID for its Initials. Neither end can follow a NAT rebinding,
 * which a benchmark link never does. */
#define NB_QUIC_SCIDLEN 0
#define NB_QUIC_CLIENT_SCIDLEN 0
/* At most this many packets go in one sendmsg (GSO) or one write round. */
#define NB_QUIC_MAX_BURST 64
/* The UDP payload of every packet, set as settings.max_tx_udp_payload_size
 * with no_tx_udp_payload_size_shaping, so that packets are full from the
 * first one instead of 1200 bytes until PMTUD reaches 1444 (ngtcp2 0.12's
 * largest probe). 1452 = a 1500-byte MTU less IPv6 and UDP headers, not
 * the 1472 IPv4 allows: quic-go (caddy) reads datagrams into 1452-byte
 * buffers and drops longer ones, a client Initial included (measured: our
 * client's handshake with caddy timed out at 1472). On the wire it costs
 * 0.06% of goodput (the per-packet overhead is the same 69 bytes). */
#define NB_QUIC_MAX_PKT 1452
#define NB_QUIC_PRIORITY \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE"

/* The datagrams built but not yet accepted by the socket. */
struct nb_udp_tx {
	uint8_t buf[NB_QUIC_MAX_BURST * NB_QUIC_MAX_PKT];
	size_t off;            /* first unsent byte */
	size_t len;            /* end of the built datagrams */
	size_t seg;            /* datagram size (the last may be shorter) */
	struct sockaddr_storage to;
	socklen_t tolen;
	bool no_gso;           /* the kernel refused UDP_SEGMENT once */
};

struct nb_quic;

/* What an end adds to the shared connection. */
struct nb_quic_ops {
	bool server;
	/* nghttp3 callbacks of this end (request/response logic); the
	 * conn_user_data they get is the struct nb_quic *. */
	const nghttp3_callbacks *h3_callbacks;
	/* Optional: the handshake is complete (client: submit the request). */
	int (*handshake_done)(struct nb_quic *q);
	/* Optional: a stream closed at the QUIC level. */
	void (*stream_closed)(struct nb_quic *q, int64_t sid, uint64_t code);
	/* Optional (server demux): a connection ID is about to be issued to
	 * the peer / was retired by it. cid_added returns 0, or -EEXIST when
	 * the ID routes to another connection already (quic.c draws another),
	 * or another negative errno (the ID is not issued). The first SCID (ngtcp2_conn_get_scid) and the
	 * client's original DCID are not announced: the server registers
	 * them after nb_quic_init(). */
	int (*cid_added)(struct nb_quic *q, const ngtcp2_cid *cid);
	void (*cid_removed)(struct nb_quic *q, const ngtcp2_cid *cid);
};

/* One QUIC + HTTP/3 connection. Embed it first in the end's own
 * connection structure; `app` is free for the end. */
struct nb_quic {
	ngtcp2_crypto_conn_ref ref;   /* gnutls_session_get_ptr() -> this */
	ngtcp2_conn *conn;
	nghttp3_conn *h3;             /* NULL until the 1-RTT keys */
	gnutls_session_t tls;
	const struct nb_quic_ops *ops;
	int fd;                       /* the UDP socket (not owned) */
	ngtcp2_path_storage ps;
	struct nb_udp_tx tx;
	ngtcp2_connection_close_error ccerr;
	uint8_t close_pkt[NB_QUIC_MAX_PKT];  /* the CONNECTION_CLOSE sent */
	size_t close_len;
	ngtcp2_tstamp close_until;    /* closing/draining: drop after this */
	bool closing;                 /* CONNECTION_CLOSE sent */
	bool draining;                /* peer closed; send nothing */
	int failed;                   /* a callback of ours failed so */
	ngtcp2_tstamp blocked_at;     /* the socket was full then (0: not) */
	char peer_name[48];           /* client: the name to verify */
	char pin[64];                 /* client: the pin to insist on */
	void *app;
};

/* An ngtcp2 (NGTCP2_ERR_*) or nghttp3 (NGHTTP3_ERR_*) error as a negative
 * errno: -ENOMEM, -ECONNRESET (closing/draining/dropped), -ETIMEDOUT
 * (idle or handshake timeout), -EAGAIN (flow control, would block),
 * -EPROTO (everything the peer did wrong), -EIO (internal). */
int nb_quic_errno(int liberr);

/* Socket options every QUIC socket wants: IP_MTU_DISCOVER = DO (no
 * fragmentation, PMTUD by ngtcp2), large send/receive buffers. Errors:
 * negative errno of setsockopt (IP_MTU_DISCOVER only; the buffers are
 * best effort). */
int nb_udp_tune(int fd);

/* True while built datagrams wait for the socket (wait for EPOLLOUT). */
static inline bool nb_quic_tx_pending(const struct nb_quic *q)
{
	return q->tx.off < q->tx.len;
}

/* CLOCK_MONOTONIC in nanoseconds. */
ngtcp2_tstamp nb_quic_now(void);

/* "cubic", "reno", "bbr", "bbr2" -> algorithm. Errors: -EINVAL (message
 * lists the valid names). */
int nb_quic_cc_parse(const char *name, ngtcp2_cc_algo *algo);
const char *nb_quic_cc_name(ngtcp2_cc_algo algo);

/* A new connection on socket fd for path (local, remote).
 * Client: dcid/scid are random, version NGTCP2_PROTO_VER_V1, cred = trust
 * (CA of certs/), pin = the server key's "sha256//..." to insist on.
 * Server: hd is the client's first Initial (ngtcp2_accept()), cred = the
 * server certificate, pin NULL. The caller keeps cred alive. q->app is
 * kept, the rest of *q is overwritten; on error nothing is left to free.
 * The client verifies the certificate for the remote address (IP SAN).
 * Errors: -ENOMEM, -EPROTO (ngtcp2/gnutls refused the set-up), -EINVAL. */
int nb_quic_init(struct nb_quic *q, const struct nb_quic_ops *ops, int fd,
		 const struct sockaddr *local, socklen_t locallen,
		 const struct sockaddr *remote, socklen_t remotelen,
		 const ngtcp2_pkt_hd *hd, ngtcp2_cc_algo cc,
		 gnutls_certificate_credentials_t cred, const char *pin);

/* Releases everything nb_quic_init acquired (safe on a zeroed struct). */
void nb_quic_free(struct nb_quic *q);

/* One received datagram. Errors: -ECONNRESET (the peer closed: draining),
 * -ECONNABORTED (we closed it: a CONNECTION_CLOSE is queued), -EPROTO. */
int nb_quic_read(struct nb_quic *q, const struct sockaddr *from,
		 socklen_t fromlen, const uint8_t *pkt, size_t len,
		 ngtcp2_tstamp now);

/* Builds and sends what ngtcp2 + nghttp3 may send now (congestion,
 * pacing and flow control permitting), GSO-batched. Returns 0, -EAGAIN
 * (the socket is full: the rest waits in q->tx, call again on EPOLLOUT),
 * or a fatal negative errno (a CONNECTION_CLOSE is queued if possible). */
int nb_quic_write(struct nb_quic *q, ngtcp2_tstamp now);

/* When nb_quic_expire() wants to run next (absolute ns, UINT64_MAX none). */
ngtcp2_tstamp nb_quic_expiry(const struct nb_quic *q);

/* Timers (loss detection, ACK delay, pacing, idle), then sends what is
 * due (nb_quic_write; a full socket is not an error here: see
 * nb_quic_tx_pending()). Errors: -ETIMEDOUT (idle or handshake timeout:
 * drop the connection), the fatal errors of nb_quic_write. */
int nb_quic_expire(struct nb_quic *q, ngtcp2_tstamp now);

/* The application consumed n bytes of stream sid (DATA payload it
 * processed): return the credit to the peer. (nghttp3's deferred_consume
 * is handled here unless the end supplies its own.)
 * Server: when a client bidi stream closes, quic.c grants the client a
 * new one (ngtcp2_conn_extend_max_streams_bidi); the end need not. The
 * nghttp3 stop_sending/reset_stream glue is also quic.c's (unless the
 * end's h3_callbacks set them). */
void nb_quic_consumed(struct nb_quic *q, int64_t sid, size_t n);

/* Fills the nghttp3 callbacks cb leaves NULL that tie nghttp3 to the QUIC
 * connection (the nghttp3 user data is the struct nb_quic): stop_sending
 * and reset_stream shut the ngtcp2 stream's read / write side,
 * deferred_consume is nb_quic_consumed. Cannot fail. */
void nb_quic_h3_glue(nghttp3_callbacks *cb);

/* Closes gracefully (H3 GOAWAY, CONNECTION_CLOSE with H3_NO_ERROR, or
 * `app_error` when nonzero) and sends it. */
int nb_quic_close(struct nb_quic *q, uint64_t app_error, ngtcp2_tstamp now);

/* True once the connection may be freed: closed or drained and its
 * closing period over, or idle-timed out. */
bool nb_quic_done(const struct nb_quic *q, ngtcp2_tstamp now);

/* Sends len bytes of buf to `to` as datagrams of seg bytes (the last may
 * be shorter): one sendmsg with UDP_SEGMENT where the kernel takes it,
 * else one per datagram (and *no_gso is set for next time). *sent = bytes
 * accepted. Errors: -EAGAIN (socket full, *sent < len), negative errno. */
int nb_udp_send(int fd, bool *no_gso, const struct sockaddr *to,
		socklen_t tolen, const uint8_t *buf, size_t len, size_t seg,
		size_t *sent);

#endif
