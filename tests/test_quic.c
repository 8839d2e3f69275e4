/* Unit tests of src/quic.c and src/quic_io.c: congestion-control names,
 * the UDP send path on real sockets (GSO, and the per-datagram fallback
 * when the kernel refuses segmentation: UDP-Lite sockets get EIO for
 * UDP_SEGMENT), and a real QUIC + HTTP/3 connection over 127.0.0.1
 * between an nb_quic client and an nb_quic server (the server's request
 * callbacks of server_h3_req.c) in this one thread: handshake, a
 * verified download, the pin check, and the closing and draining
 * periods. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "payload.h"
#include "quic.h"
#include "server_h3_req.h"
#include "tls.h"

#define DOWNLOAD 3000000

/* --- congestion control names ------------------------------------------ */

static void t_cc_parse(void **state)
{
	static const char *names[] = {"cubic", "reno", "bbr", "bbr2"};
	ngtcp2_cc_algo a;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(nb_quic_cc_parse(names[i], &a), 0);
		assert_string_equal(nb_quic_cc_name(a), names[i]);
	}
	assert_int_equal(nb_quic_cc_parse("cubic", &a), 0);
	assert_int_equal(a, NGTCP2_CC_ALGO_CUBIC);
	assert_int_equal(nb_quic_cc_parse("vegas", &a), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "bbr2"));
	assert_int_equal(nb_quic_cc_parse("", &a), -EINVAL);
	assert_int_equal(nb_quic_cc_parse(NULL, &a), -EINVAL);
	assert_string_equal(nb_quic_cc_name((ngtcp2_cc_algo)42), "?");
}

/* --- UDP ---------------------------------------------------------------- */

/* A receiving socket of protocol proto on 127.0.0.1 and a sender
 * connected to nothing; *to gets the receiver's address. */
static void udp_pair(int proto, int *rx, int *tx, struct sockaddr_in *to)
{
	socklen_t len = sizeof(*to);

	*to = (struct sockaddr_in){.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	*rx = socket(AF_INET, SOCK_DGRAM, proto);
	*tx = socket(AF_INET, SOCK_DGRAM, proto);
	assert_true(*rx >= 0 && *tx >= 0);
	assert_int_equal(bind(*rx, (struct sockaddr *)to, sizeof(*to)), 0);
	assert_int_equal(getsockname(*rx, (struct sockaddr *)to, &len), 0);
	assert_int_equal(nb_udp_tune(*rx), 0);
	assert_int_equal(nb_udp_tune(*tx), 0);
}

/* Sends n bytes of payload as seg-byte datagrams and checks that the
 * receiver gets exactly those datagrams, in order. */
static void send_and_check(int rx, int tx, const struct sockaddr_in *to,
			   bool *no_gso, size_t n, size_t seg)
{
	static uint8_t buf[256 * 1024], in[65536];
	size_t sent = 0, off = 0;

	assert_true(n <= sizeof(buf));
	nb_payload_fill(buf, 0, n);
	assert_int_equal(nb_udp_send(tx, no_gso, (const struct sockaddr *)to,
				     sizeof(*to), buf, n, seg, &sent), 0);
	assert_int_equal(sent, n);
	while (off < n) {
		ssize_t got = recv(rx, in, sizeof(in), MSG_DONTWAIT);
		size_t want = n - off < seg ? n - off : seg;

		assert_int_equal(got, want);
		assert_int_equal(nb_payload_check(in, off, want, NULL), 0);
		off += want;
	}
	assert_int_equal(recv(rx, in, sizeof(in), MSG_DONTWAIT), -1);
}

static void t_udp_gso(void **state)
{
	struct sockaddr_in to;
	bool no_gso = false;
	int rx, tx;

	(void)state;
	udp_pair(0, &rx, &tx, &to);
	send_and_check(rx, tx, &to, &no_gso, 10 * 1200 + 500, 1200);
	assert_false(no_gso);
	/* More than one sendmsg takes (64 KiB): cut in several. */
	send_and_check(rx, tx, &to, &no_gso, 150 * 1472 + 1, 1472);
	assert_false(no_gso);
	/* One datagram: no segmentation asked. */
	send_and_check(rx, tx, &to, &no_gso, 700, 1472);
	close(rx);
	close(tx);
}

static void t_udp_fallback(void **state)
{
	struct sockaddr_in to;
	bool no_gso = false;
	int rx, tx;

	(void)state;
	rx = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	if (rx < 0)
		skip();       /* no UDP-Lite in this kernel */
	close(rx);
	udp_pair(IPPROTO_UDPLITE, &rx, &tx, &to);
	/* The kernel refuses UDP_SEGMENT on UDP-Lite with EIO. */
	send_and_check(rx, tx, &to, &no_gso, 20 * 1000 + 3, 1000);
	assert_true(no_gso);
	send_and_check(rx, tx, &to, &no_gso, 100 * 1472, 1472);
	close(rx);
	close(tx);
}

/* --- a connection over 127.0.0.1 --------------------------------------- */

struct srv_end {
	struct nb_quic q;
	struct nb_h3_reqs reqs;
	bool up;
	int rv;                      /* first error of nb_quic_read */
};

struct cli_end {
	struct nb_quic q;
	int status;
	uint64_t got, bad;
	bool ended;
	bool submitted;
	int rv;
};

struct pair {
	int sfd, cfd;
	struct sockaddr_in saddr, caddr;
	gnutls_certificate_credentials_t scred, ccred;
	char pin[128];
	struct srv_end s;
	struct cli_end c;
};

static const struct nb_quic_ops srv_ops = {
	.server = true,
	.h3_callbacks = &nb_h3_req_callbacks,
};

static int cli_recv_header(nghttp3_conn *h3, int64_t sid, int32_t token,
			   nghttp3_rcbuf *name, nghttp3_rcbuf *value,
			   uint8_t flags, void *cud, void *sud)
{
	struct cli_end *c = ((struct nb_quic *)cud)->app;
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);

	(void)h3;
	(void)sid;
	(void)name;
	(void)flags;
	(void)sud;
	if (token == NGHTTP3_QPACK_TOKEN__STATUS && v.len == 3)
		c->status = (v.base[0] - '0') * 100 + (v.base[1] - '0') * 10 +
			    (v.base[2] - '0');
	return 0;
}

static int cli_recv_data(nghttp3_conn *h3, int64_t sid, const uint8_t *data,
			 size_t len, void *cud, void *sud)
{
	struct cli_end *c = ((struct nb_quic *)cud)->app;

	(void)h3;
	(void)sud;
	if (c->bad == UINT64_MAX)
		nb_payload_check(data, c->got, len, &c->bad);
	c->got += len;
	nb_quic_consumed(cud, sid, len);
	return 0;
}

static int cli_end_stream(nghttp3_conn *h3, int64_t sid, void *cud, void *sud)
{
	struct cli_end *c = ((struct nb_quic *)cud)->app;

	(void)h3;
	(void)sid;
	(void)sud;
	c->ended = true;
	return 0;
}

static const nghttp3_callbacks cli_h3 = {
	.recv_header = cli_recv_header,
	.recv_data = cli_recv_data,
	.end_stream = cli_end_stream,
};

static const struct nb_quic_ops cli_ops = {
	.server = false,
	.h3_callbacks = &cli_h3,
};

static int pair_setup(void **state)
{
	static struct pair p;
	char ca[4096];
	socklen_t len = sizeof(p.saddr);

	memset(&p, 0, sizeof(p));
	p.c.bad = UINT64_MAX;
	p.saddr = (struct sockaddr_in){.sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	p.sfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	p.cfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (p.sfd < 0 || p.cfd < 0 ||
	    bind(p.sfd, (struct sockaddr *)&p.saddr, sizeof(p.saddr)) ||
	    getsockname(p.sfd, (struct sockaddr *)&p.saddr, &len) ||
	    connect(p.cfd, (struct sockaddr *)&p.saddr, sizeof(p.saddr)))
		return -1;
	len = sizeof(p.caddr);
	if (getsockname(p.cfd, (struct sockaddr *)&p.caddr, &len) ||
	    nb_udp_tune(p.sfd) || nb_udp_tune(p.cfd))
		return -1;
	if (nb_tls_server_creds(NULL, NULL, &p.scred) ||
	    nb_tls_read_pin(p.pin, sizeof(p.pin)) ||
	    nb_certs_path("ca.pem", ca, sizeof(ca)) ||
	    gnutls_certificate_allocate_credentials(&p.ccred) < 0 ||
	    gnutls_certificate_set_x509_trust_file(p.ccred, ca,
						   GNUTLS_X509_FMT_PEM) <= 0) {
		fprintf(stderr, "TLS material: %s\n", nb_lasterr());
		return -1;
	}
	p.s.reqs.q = &p.s.q;
	p.s.reqs.peer = "test client";
	p.s.q.app = &p.s.reqs;
	p.c.q.app = &p.c;
	*state = &p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	nb_quic_free(&p->c.q);
	nb_quic_free(&p->s.q);
	nb_h3_req_free_all(&p->s.reqs);
	gnutls_certificate_free_credentials(p->scred);
	gnutls_certificate_free_credentials(p->ccred);
	close(p->sfd);
	close(p->cfd);
	return 0;
}

static int client_start(struct pair *p, const char *pin)
{
	int rv = nb_quic_init(&p->c.q, &cli_ops, p->cfd,
			      (struct sockaddr *)&p->caddr, sizeof(p->caddr),
			      (struct sockaddr *)&p->saddr, sizeof(p->saddr),
			      NULL, NGTCP2_CC_ALGO_CUBIC, p->ccred, pin);

	return rv ? rv : nb_quic_write(&p->c.q, nb_quic_now());
}

/* GET path on a new client stream. */
static void submit(struct pair *p, const char *path)
{
	nghttp3_nv nv[] = {
		{(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
		{(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0},
		{(uint8_t *)":authority", (uint8_t *)"127.0.0.1", 10, 9, 0},
		{(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
	};
	int64_t sid;

	assert_int_equal(ngtcp2_conn_open_bidi_stream(p->c.q.conn, &sid, NULL),
			 0);
	assert_int_equal(nghttp3_conn_submit_request(p->c.q.h3, sid, nv, 4,
						     NULL, NULL), 0);
	p->c.submitted = true;
}

/* One turn of both ends: wait (at most until the earliest timer), read
 * every datagram, run the timers, write. */
static void pump(struct pair *p)
{
	struct pollfd pfd[2] = {{p->sfd, POLLIN, 0}, {p->cfd, POLLIN, 0}};
	ngtcp2_tstamp now = nb_quic_now(), next = now + 5 * NGTCP2_MILLISECONDS;
	struct sockaddr_in from;
	socklen_t flen;
	static uint8_t buf[65536];
	ssize_t n;

	if (p->c.q.conn && nb_quic_expiry(&p->c.q) < next)
		next = nb_quic_expiry(&p->c.q);
	if (p->s.up && nb_quic_expiry(&p->s.q) < next)
		next = nb_quic_expiry(&p->s.q);
	poll(pfd, 2, next > now ? (int)((next - now) / NGTCP2_MILLISECONDS) : 0);
	now = nb_quic_now();
	for (;;) {
		flen = sizeof(from);
		n = recvfrom(p->sfd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen);
		if (n <= 0)
			break;
		if (!p->s.up) {
			ngtcp2_pkt_hd hd;

			if (ngtcp2_accept(&hd, buf, (size_t)n))
				continue;
			assert_int_equal(nb_quic_init(&p->s.q, &srv_ops, p->sfd,
						      (struct sockaddr *)&p->saddr,
						      sizeof(p->saddr),
						      (struct sockaddr *)&from,
						      flen, &hd,
						      NGTCP2_CC_ALGO_CUBIC,
						      p->scred, NULL), 0);
			p->s.up = true;
		}
		n = nb_quic_read(&p->s.q, (struct sockaddr *)&from, flen, buf,
				 (size_t)n, now);
		if (n && !p->s.rv)
			p->s.rv = (int)n;
	}
	while (p->c.q.conn && (n = recv(p->cfd, buf, sizeof(buf), 0)) > 0) {
		n = nb_quic_read(&p->c.q, (struct sockaddr *)&p->saddr,
				 sizeof(p->saddr), buf, (size_t)n, now);
		if (n && !p->c.rv)
			p->c.rv = (int)n;
	}
	now = nb_quic_now();
	if (p->s.up) {
		if (nb_quic_expiry(&p->s.q) <= now)
			nb_quic_expire(&p->s.q, now);
		nb_quic_write(&p->s.q, now);
	}
	if (p->c.q.conn) {
		if (nb_quic_expiry(&p->c.q) <= now)
			nb_quic_expire(&p->c.q, now);
		nb_quic_write(&p->c.q, now);
	}
}

static void t_download(void **state)
{
	struct pair *p = *state;
	ngtcp2_tstamp end = nb_quic_now() + 10 * NGTCP2_SECONDS;

	assert_int_equal(client_start(p, p->pin), 0);
	while (!p->c.ended && !p->c.rv && nb_quic_now() < end) {
		pump(p);
		if (!p->c.submitted && p->c.q.conn &&
		    ngtcp2_conn_get_handshake_completed(p->c.q.conn))
			submit(p, "/bytes/3000000?x=1");
	}
	assert_int_equal(p->c.rv, 0);
	assert_int_equal(p->s.rv, 0);
	assert_true(p->c.ended);
	assert_int_equal(p->c.status, 200);
	assert_int_equal(p->c.got, DOWNLOAD);
	assert_true(p->c.bad == UINT64_MAX);
	assert_int_equal(gnutls_protocol_get_version(p->c.q.tls), GNUTLS_TLS1_3);

	/* The client closes: it is in its closing period, the server
	 * drains; both are over after three PTOs, not before. */
	assert_int_equal(nb_quic_close(&p->c.q, 0, nb_quic_now()), 0);
	assert_true(p->c.q.closing);
	assert_true(p->c.q.close_len > 0);
	assert_false(nb_quic_done(&p->c.q, nb_quic_now()));
	assert_int_equal(nb_quic_expiry(&p->c.q), p->c.q.close_until);
	end = nb_quic_now() + 2 * NGTCP2_SECONDS;
	while (!p->s.q.draining && nb_quic_now() < end)
		pump(p);
	assert_true(p->s.q.draining);
	assert_int_equal(p->s.rv, -ECONNRESET);
	/* Draining: nothing is sent any more; a closing end answers with
	 * its CONNECTION_CLOSE again. */
	assert_int_equal(nb_quic_write(&p->s.q, nb_quic_now()), 0);
	assert_int_equal(nb_quic_read(&p->c.q, (struct sockaddr *)&p->saddr,
				      sizeof(p->saddr), (const uint8_t *)"x", 1,
				      nb_quic_now()), -ECONNABORTED);
	assert_true(nb_quic_done(&p->c.q, p->c.q.close_until));
	assert_true(nb_quic_done(&p->s.q, p->s.q.close_until));
	assert_int_equal(nb_quic_expire(&p->s.q, nb_quic_now()), 0);
}

static void t_wrong_pin(void **state)
{
	struct pair *p = *state;
	ngtcp2_tstamp end = nb_quic_now() + 5 * NGTCP2_SECONDS;

	assert_int_equal(client_start(p, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
			 0);
	while (!p->c.rv && nb_quic_now() < end)
		pump(p);
	assert_int_equal(p->c.rv, -ECONNABORTED);
	assert_non_null(strstr(nb_lasterr(), "pinned"));
	assert_true(p->c.q.closing);
	/* The server hears the alert and drains (or closes). */
	while (!p->s.rv && nb_quic_now() < end)
		pump(p);
	assert_true(p->s.q.draining || p->s.q.closing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_cc_parse),
		cmocka_unit_test(t_udp_gso),
		cmocka_unit_test(t_udp_fallback),
		cmocka_unit_test_setup_teardown(t_download, pair_setup,
						pair_teardown),
		cmocka_unit_test_setup_teardown(t_wrong_pin, pair_setup,
						pair_teardown),
	};

	return cmocka_run_group_tests_name("quic", tests, NULL, NULL);
}
