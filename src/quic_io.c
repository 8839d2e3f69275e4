/* netbench: one HTTP/3 connection, the I/O half (see quic.h): datagrams
 * in, the write loop out (GSO batches, pacing), timers, the closing and
 * draining periods, and the UDP send path.
 *
 * The write loop builds at most one send quantum (ngtcp2's, capped at
 * NB_QUIC_MAX_BURST packets) into q->tx back to back, the datagrams of
 * one size (the last may be shorter), and hands them to the kernel in one
 * sendmsg with UDP_SEGMENT. Then it tells ngtcp2 when the burst left
 * (ngtcp2_conn_update_pkt_tx_time): the pacer's next slot is part of
 * ngtcp2_conn_get_expiry(), so the caller's timer brings it back, never a
 * busy loop. When the socket is full the rest waits in q->tx.
 */
#include "quic.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/uio.h>

#include "error.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* Largest UDP payload of one sendmsg (IPv4: 65535 - IP - UDP headers). */
#define UDP_MAX_PAYLOAD 65507
/* Segments the kernel takes in one GSO send (UDP_MAX_SEGMENTS, older). */
#define GSO_MAX_SEGS 64
/* Closing and draining periods last this many PTOs (RFC 9000 §10.2). */
#define CLOSE_PTOS 3

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ngtcp2's codes are -2xx and -50x; nghttp3's -1xx, -4xx, -6xx, -90x. */
static bool is_ngtcp2_err(int e)
{
	return (e <= -201 && e >= -299) || (e <= -500 && e >= -599);
}

/* --- UDP ---------------------------------------------------------------- */

int nb_udp_tune(int fd)
{
	int val = IP_PMTUDISC_DO, buf = 8 << 20;

	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &val, sizeof(val)))
		return nb_fail(-errno, "IP_MTU_DISCOVER: %s", strerror(errno));
	/* Root may exceed the sysctl limits; others get what they get. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;
}

/* One sendmsg of len bytes cut into seg-byte datagrams by the kernel.
 * Returns the bytes sent or -1 (errno). */
static ssize_t send_gso(int fd, const struct sockaddr *to, socklen_t tolen,
			const uint8_t *buf, size_t len, size_t seg)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {
		.msg_name = (void *)to, .msg_namelen = tolen,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	uint16_t s = (uint16_t)seg;

	memset(&ctl, 0, sizeof(ctl));
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(s));
	memcpy(CMSG_DATA(cm), &s, sizeof(s));
	return sendmsg(fd, &mh, 0);
}

/* Up to GSO_MAX_SEGS datagrams of seg bytes (the last may be shorter) in
 * one sendmmsg. Returns the bytes sent or -1 (errno). */
static ssize_t send_each(int fd, const struct sockaddr *to, socklen_t tolen,
			 const uint8_t *buf, size_t len, size_t seg)
{
	struct mmsghdr mm[GSO_MAX_SEGS];
	struct iovec iov[GSO_MAX_SEGS];
	unsigned int n = 0;
	size_t off = 0, sent = 0;
	int rv;

	for (; off < len && n < GSO_MAX_SEGS; n++, off += seg) {
		iov[n].iov_base = (void *)(buf + off);
		iov[n].iov_len = min_sz(seg, len - off);
		mm[n].msg_hdr = (struct msghdr){
			.msg_name = (void *)to, .msg_namelen = tolen,
			.msg_iov = &iov[n], .msg_iovlen = 1,
		};
	}
	rv = sendmmsg(fd, mm, n, 0);
	if (rv < 0)
		return -1;
	for (int i = 0; i < rv; i++)
		sent += iov[i].iov_len;
	return (ssize_t)sent;
}

int nb_udp_send(int fd, bool *no_gso, const struct sockaddr *to,
		socklen_t tolen, const uint8_t *buf, size_t len, size_t seg,
		size_t *sent)
{
	size_t per_gso = min_sz(GSO_MAX_SEGS, UDP_MAX_PAYLOAD / seg) * seg;

	*sent = 0;
	while (*sent < len) {
		size_t left = len - *sent;
		ssize_t n;

		if (!*no_gso && left > seg) {
			n = send_gso(fd, to, tolen, buf + *sent,
				     min_sz(left, per_gso), seg);
			if (n < 0 && errno == EIO) {
				/* No segmentation offload on this path. */
				*no_gso = true;
				continue;
			}
		} else {
			n = send_each(fd, to, tolen, buf + *sent, left, seg);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -EAGAIN;
			return nb_fail(-errno, "sendmsg: %s", strerror(errno));
		}
		*sent += (size_t)n;
	}
	return 0;
}

/* Sends what waits in q->tx. Returns 0 (all gone: q->tx is empty again;
 * a datagram the kernel refused is lost, ngtcp2 will retransmit), -EAGAIN
 * (the rest waits), -ECONNREFUSED (the peer's port is closed). */
static int tx_flush(struct nb_quic *q, ngtcp2_tstamp now)
{
	struct nb_udp_tx *t = &q->tx;
	size_t sent = 0;
	int rv = 0;

	if (t->off < t->len)
		rv = nb_udp_send(q->fd, &t->no_gso, (struct sockaddr *)&t->to,
				 t->tolen, t->buf + t->off, t->len - t->off,
				 t->seg, &sent);
	t->off += sent;
	if (rv == -EAGAIN) {
		q->blocked_at = now ? now : 1;
		return rv;
	}
	q->blocked_at = 0;
	t->off = t->len = 0;
	return rv == -ECONNREFUSED ? rv : 0;
}

/* --- closing ------------------------------------------------------------ */

/* (Re)sends the saved CONNECTION_CLOSE, dropping whatever else waited. */
static void send_close(struct nb_quic *q)
{
	size_t sent;

	if (!q->close_len)
		return;
	nb_udp_send(q->fd, &q->tx.no_gso, (struct sockaddr *)&q->tx.to,
		    q->tx.tolen, q->close_pkt, q->close_len, q->close_len,
		    &sent);
	q->tx.off = q->tx.len = 0;
	q->blocked_at = 0;
}

/* Closes with q->ccerr: CONNECTION_CLOSE built, saved and sent; the
 * closing period begins. If none can be built the connection just ends. */
static void enter_closing(struct nb_quic *q, ngtcp2_tstamp now)
{
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (q->closing || q->draining)
		return;
	ngtcp2_path_storage_zero(&ps);
	q->close_until = now + CLOSE_PTOS * ngtcp2_conn_get_pto(q->conn);
	n = ngtcp2_conn_write_connection_close(q->conn, &ps.path, &pi,
					       q->close_pkt,
					       sizeof(q->close_pkt), &q->ccerr,
					       now);
	if (n <= 0) {
		q->draining = true;
		q->close_until = now;
		return;
	}
	q->closing = true;
	q->close_len = (size_t)n;
	send_close(q);
}

/* A fatal ngtcp2/nghttp3 error `liberr` on our side: close with it (or
 * with the error a callback set). Returns the mapped errno, nb_lasterr()
 * saying why. */
static int fail_close(struct nb_quic *q, int liberr, const char *what,
		      ngtcp2_tstamp now)
{
	int rv;

	if (q->ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT &&
	    !q->ccerr.error_code) {
		if (liberr == NGTCP2_ERR_CRYPTO)
			ngtcp2_connection_close_error_set_transport_error_tls_alert(
				&q->ccerr, ngtcp2_conn_get_tls_alert(q->conn),
				NULL, 0);
		else if (is_ngtcp2_err(liberr))
			ngtcp2_connection_close_error_set_transport_error_liberr(
				&q->ccerr, liberr, NULL, 0);
		else
			ngtcp2_connection_close_error_set_application_error(
				&q->ccerr,
				nghttp3_err_infer_quic_app_error_code(liberr),
				NULL, 0);
	}
	enter_closing(q, now);
	if (q->failed)
		return q->failed == -EKEYREJECTED ? -ECONNABORTED : q->failed;
	rv = nb_quic_errno(liberr);
	if (rv == -EPROTO || rv == -EIO)
		rv = -ECONNABORTED;
	return nb_fail(rv, "QUIC %s: %s", what,
		       is_ngtcp2_err(liberr) ? ngtcp2_strerror(liberr)
			       : nghttp3_strerror(liberr));
}

/* -ECONNRESET with the peer's CONNECTION_CLOSE in the message: its error
 * code (transport or application) and reason. */
static int peer_closed(struct nb_quic *q)
{
	ngtcp2_connection_close_error cc;
	size_t n;

	ngtcp2_conn_get_connection_close_error(q->conn, &cc);
	n = cc.reasonlen < 80 ? cc.reasonlen : 80;
	return nb_fail(-ECONNRESET, "QUIC: the peer closed the connection "
		       "(%s error 0x%llx%s%.*s%s)",
		       cc.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION
			       ? "application" : "transport",
		       (unsigned long long)cc.error_code, n ? ": \"" : "",
		       (int)n, n ? (const char *)cc.reason : "", n ? "\"" : "");
}

/* --- input -------------------------------------------------------------- */

int nb_quic_read(struct nb_quic *q, const struct sockaddr *from,
		 socklen_t fromlen, const uint8_t *pkt, size_t len,
		 ngtcp2_tstamp now)
{
	ngtcp2_path path = {
		.local = q->ps.path.local,
		.remote = {(ngtcp2_sockaddr *)from, fromlen},
	};
	ngtcp2_pkt_info pi = {0};
	int rv;

	if (q->draining)
		return -ECONNRESET;
	if (q->closing) {
		send_close(q);
		return -ECONNABORTED;
	}
	q->failed = 0;
	rv = ngtcp2_conn_read_pkt(q->conn, &path, &pi, pkt, len, now);
	switch (rv) {
	case 0:
	case NGTCP2_ERR_DISCARD_PKT:
		return 0;
	case NGTCP2_ERR_DRAINING:
		q->draining = true;
		q->close_until = now + CLOSE_PTOS * ngtcp2_conn_get_pto(q->conn);
		return peer_closed(q);
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_RETRY:
		q->draining = true;
		q->close_until = now;
		return nb_fail(-ECONNRESET, "QUIC: connection dropped (%s)",
			       ngtcp2_strerror(rv));
	default:
		rv = fail_close(q, rv, "input", now);
		return rv == -ECONNABORTED || rv == -ECONNRESET ? rv
								: -ECONNABORTED;
	}
}

/* --- output ------------------------------------------------------------- */

/* The packet just built at q->tx.buf + q->tx.len (nw bytes, to `to`) may
 * join the batch. */
static bool fits(const struct nb_quic *q, size_t nw, size_t path_max,
		 const ngtcp2_path *to)
{
	const struct nb_udp_tx *t = &q->tx;

	if (t->len == 0)
		return true;
	if (to->remote.addrlen != t->tolen ||
	    memcmp(to->remote.addr, &t->to, t->tolen))
		return false;
	if (nw > t->seg)
		return false;
	return !(t->seg > path_max && nw != t->seg);
}

/* One round of packets, see the file comment. Returns 0 or a negative
 * ngtcp2/nghttp3 error (fatal), *rv_io the send result. */
static int write_round(struct nb_quic *q, ngtcp2_tstamp now, int *rv_io)
{
	struct nb_udp_tx *t = &q->tx;
	size_t pmtu = min_sz(ngtcp2_conn_get_max_tx_udp_payload_size(q->conn),
			     NB_QUIC_MAX_PKT);
	size_t path_max = ngtcp2_conn_get_path_max_tx_udp_payload_size(q->conn);
	size_t max_pkts = ngtcp2_conn_get_send_quantum(q->conn) / pmtu;
	size_t npkts = 0;
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;

	if (max_pkts < 1)
		max_pkts = 1;
	if (max_pkts > NB_QUIC_MAX_BURST)
		max_pkts = NB_QUIC_MAX_BURST;
	ngtcp2_path_storage_zero(&ps);
	*rv_io = 0;
	for (;;) {
		nghttp3_vec vec[16];
		nghttp3_ssize nv = 0;
		ngtcp2_ssize nw, ndata = -1;
		int64_t sid = -1;
		uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
		int fin = 0, rv;

		if (q->h3 && ngtcp2_conn_get_max_data_left(q->conn)) {
			nv = nghttp3_conn_writev_stream(q->h3, &sid, &fin, vec,
							16);
			if (nv < 0)
				return (int)nv;
		}
		if (fin)
			flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		nw = ngtcp2_conn_writev_stream(q->conn, &ps.path, &pi,
					       t->buf + t->len, pmtu, &ndata,
					       flags, sid,
					       (const ngtcp2_vec *)vec,
					       (size_t)nv, now);
		if (nw < 0) {
			switch (nw) {
			case NGTCP2_ERR_STREAM_DATA_BLOCKED:
				nghttp3_conn_block_stream(q->h3, sid);
				continue;
			case NGTCP2_ERR_STREAM_SHUT_WR:
				nghttp3_conn_shutdown_stream_write(q->h3, sid);
				continue;
			case NGTCP2_ERR_WRITE_MORE:
				rv = nghttp3_conn_add_write_offset(
					q->h3, sid, (size_t)ndata);
				if (rv)
					return rv;
				continue;
			default:
				return (int)nw;
			}
		}
		if (ndata >= 0 && sid >= 0) {
			rv = nghttp3_conn_add_write_offset(q->h3, sid,
							   (size_t)ndata);
			if (rv)
				return rv;
		}
		if (nw == 0)
			break;
		if (!fits(q, (size_t)nw, path_max, &ps.path)) {
			/* Send the batch, then this one alone. */
			size_t at = t->len;

			*rv_io = tx_flush(q, now);
			if (*rv_io)
				return 0;    /* it is lost; ngtcp2 resends */
			memmove(t->buf, t->buf + at, (size_t)nw);
			t->len = 0;
			npkts = max_pkts - 1;
		}
		if (t->len == 0) {
			t->seg = (size_t)nw;
			memcpy(&t->to, ps.path.remote.addr,
			       ps.path.remote.addrlen);
			t->tolen = ps.path.remote.addrlen;
		}
		t->len += (size_t)nw;
		if (++npkts >= max_pkts || (size_t)nw < t->seg)
			break;
	}
	*rv_io = tx_flush(q, now);
	return 0;
}

int nb_quic_write(struct nb_quic *q, ngtcp2_tstamp now)
{
	int rv, rv_io;

	if (q->closing || q->draining)
		return 0;
	rv = tx_flush(q, now);
	if (rv)
		goto io;
	q->failed = 0;
	rv = write_round(q, now, &rv_io);
	ngtcp2_conn_update_pkt_tx_time(q->conn, now);
	if (rv)
		return fail_close(q, rv, "output", now);
	rv = rv_io;
io:
	if (rv == -ECONNREFUSED) {
		q->draining = true;
		q->close_until = now;
		return nb_fail(rv, "QUIC: the peer's port is closed");
	}
	return rv;
}

/* --- timers ------------------------------------------------------------- */

ngtcp2_tstamp nb_quic_expiry(const struct nb_quic *q)
{
	ngtcp2_tstamp t;

	if (q->closing || q->draining)
		return q->close_until;
	t = ngtcp2_conn_get_expiry(q->conn);
	/* Socket full: EPOLLOUT brings us back; timers may wait 1 ms. */
	if (q->blocked_at && t < q->blocked_at + NGTCP2_MILLISECONDS)
		t = q->blocked_at + NGTCP2_MILLISECONDS;
	return t;
}

int nb_quic_expire(struct nb_quic *q, ngtcp2_tstamp now)
{
	int rv;

	if (q->closing || q->draining)
		return 0;
	rv = ngtcp2_conn_handle_expiry(q->conn, now);
	if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
		q->draining = true;
		q->close_until = now;
		return nb_fail(-ETIMEDOUT, "QUIC: %s",
			       rv == NGTCP2_ERR_IDLE_CLOSE
				       ? "idle timeout"
				       : "handshake timeout");
	}
	if (rv)
		return fail_close(q, rv, "timer", now);
	rv = nb_quic_write(q, now);
	return rv == -EAGAIN ? 0 : rv;
}

int nb_quic_close(struct nb_quic *q, uint64_t app_error, ngtcp2_tstamp now)
{
	if (q->closing || q->draining)
		return 0;
	if (q->h3 && !nghttp3_conn_shutdown(q->h3))
		nb_quic_write(q, now);          /* the GOAWAY, best effort */
	if (q->closing || q->draining)
		return 0;
	ngtcp2_connection_close_error_set_application_error(
		&q->ccerr, app_error ? app_error : NGHTTP3_H3_NO_ERROR, NULL, 0);
	enter_closing(q, now);
	return 0;
}

bool nb_quic_done(const struct nb_quic *q, ngtcp2_tstamp now)
{
	return (q->closing || q->draining) && now >= q->close_until;
}
