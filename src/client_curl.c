/* netbench: the HTTP/1.1 client on libcurl, and the entry point of the
 * HTTP/2 one (see client_curl.h).
 *
 * HTTP/2 is dispatched to client_h2.c (nghttp2 over gnutls): libcurl
 * 7.88.1 spins the CPU on HTTP/2 uploads and, worked around, corrupts them;
 * client_h2.h says how. HTTP/1.1 runs here: one easy handle in a multi
 * handle of its own, driven on the calling thread with curl_multi_poll() at
 * most NB_POLL_MS at a time, so that a stop request, an interruption or a
 * stall ends the transfer within that time. Both are cleaned up before
 * returning, which closes the connection.
 */
#include "client_curl.h"
#include "client_h2.h"
#include "client_xfer.h"

#include <curl/curl.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "tcp_cc.h"
#include "goodput.h"
#include "http_target.h"
#include "interrupt.h"
#include "payload.h"
#include "rcvlowat.h"
#include "thread.h"
#include "tls.h"

#define CONNECT_TIMEOUT_MS 30000L
/* curl's receive buffer (default 16 KiB): bigger means fewer write calls
 * per TLS record burst. */
#define RECV_BUFFER (512L * 1024)
/* curl's upload buffer: the maximum 7.88.1 accepts (setopt clamps it). */
#define UPLOAD_BUFFER (2L * 1024 * 1024)

struct cx {
	struct nb_cxfer t;     /* progress, timing, answer (client_xfer.h) */
	CURL *easy;
	int seen_major;        /* HTTP major version of the last status line */
	uint64_t sent;         /* upload: body bytes curl wrote to the socket */
	curl_socket_t fd;      /* the connection's socket, -1 until known */
	struct nb_lowat lowat; /* downloads: SO_RCVLOWAT (rcvlowat.h) */
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* Once per process, never cleaned up: what it allocates (gnutls's global
 * state) stays reachable to the end and is not a leak. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* An upload moves when curl writes body bytes to the socket, not when the
 * read callback hands it up to UPLOAD_BUFFER at a time (2 MiB: 1.7 s at
 * 10 Mbit/s, which would make the series lumpy). */
static void upload_sent(struct cx *c)
{
	curl_off_t ul = 0;

	if (c->t.x->dir != NB_UPLOAD)
		return;
	curl_easy_getinfo(c->easy, CURLINFO_SIZE_UPLOAD_T, &ul);
	if ((uint64_t)ul > c->sent) {
		uint64_t n = (uint64_t)ul - c->sent;

		c->sent = (uint64_t)ul;
		nb_cxfer_moved(&c->t, n, c->sent, nb_now());
	}
}

/* Right before the request is sent, on the established connection. */
static int on_prereq(void *ud, char *pip, char *lip, int pport, int lport)
{
	struct cx *c = ud;

	(void)pip;
	(void)lip;
	(void)pport;
	(void)lport;
	nb_cxfer_start(&c->t, nb_now());
	return CURL_PREREQFUNC_OK;
}

static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	struct cx *c = ud;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKOPT_OK;
	c->fd = fd;
	return nb_tcp_cc_set(fd) ? CURL_SOCKOPT_ERROR : CURL_SOCKOPT_OK;
}

/* Every header line; status lines ("HTTP/1.1 100 Continue") tell the
 * version the server speaks. A wrong one ends the transfer here, before
 * the body. */
static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct cx *c = ud;
	size_t len = sz * n;
	char line[64];
	int major = 0, minor = 0, status = 0;

	if (len < 5 || memcmp(p, "HTTP/", 5))
		return len;
	snprintf(line, sizeof(line), "%.*s", (int)(len < 63 ? len : 63), p);
	if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &status) == 3 ||
	    sscanf(line, "HTTP/%d %d", &major, &status) == 2) {
		c->seen_major = major;
		c->t.status = status;
	}
	if (c->seen_major != 1) {
		nb_cxfer_fail(&c->t, nb_fail(-EPROTONOSUPPORT, "server answered over "
				   "HTTP/%d, not HTTP/1.1", c->seen_major));
		return 0;
	}
	return len;
}

/* Keeps the first NB_HTTP_ANSWER_MAX bytes of a body that is not payload. */
static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
	struct cx *c = ud;
	size_t len = sz * n;
	long got;

	if (c->t.err)
		return 0;
	got = nb_cxfer_take(&c->t, p, len, nb_now());
	if (got < 0)
		return 0;
	if (got && c->fd != CURL_SOCKET_BAD)
		nb_lowat_update(c->fd, &c->lowat, c->t.off,
				c->t.x->size - c->t.off);
	return len;
}

static size_t on_read(char *buf, size_t sz, size_t n, void *ud)
{
	struct cx *c = ud;
	long got = nb_cxfer_give(&c->t, (uint8_t *)buf, sz * n, nb_now());

	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (curl_easy_setopt(c->easy, (opt), (val)) != CURLE_OK)       \
			return nb_fail(-EINVAL, "curl: cannot set " #opt);     \
	} while (0)

static int configure(struct cx *c, const char *ca, const char *pin)
{
	const struct nb_xfer *x = c->t.x;
	char url[128];

	if (x->dir == NB_DOWNLOAD)
		snprintf(url, sizeof(url), "https://%s:%u/bytes/%llu",
			 x->server_addr, x->port, (unsigned long long)x->size);
	else
		snprintf(url, sizeof(url), "https://%s:%u/upload",
			 x->server_addr, x->port);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_CAINFO, ca);
	SET(CURLOPT_CAPATH, (char *)NULL);
	SET(CURLOPT_PINNEDPUBLICKEY, pin);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	SET(CURLOPT_BUFFERSIZE, RECV_BUFFER);
	SET(CURLOPT_PREREQFUNCTION, on_prereq);
	SET(CURLOPT_PREREQDATA, c);
	SET(CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	SET(CURLOPT_SOCKOPTDATA, c);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, c);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, c);
	/* Uploads keep curl's "Expect: 100-continue": the server answers 100
	 * at once (measured: the first body byte leaves one RTT after the
	 * request), and the upload's time starts at the first body byte. */
	if (x->dir == NB_UPLOAD) {
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, c);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->size);
		SET(CURLOPT_UPLOAD_BUFFERSIZE, UPLOAD_BUFFER);
	}
	return 0;
}

/* Drives the transfer to its end. Returns curl's result in *rc, or a
 * negative errno when the loop itself ended it. */
static int run(struct cx *c, CURLM *m, CURLcode *rc)
{
	CURLMsg *msg;
	CURLMcode mc;
	int running = 1, left, rv;

	while (running) {
		mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK)
			return nb_fail(-EIO, "curl_multi_perform: %s",
				       curl_multi_strerror(mc));
		upload_sent(c);
		if (!running)
			break;
		rv = nb_cxfer_should_end(&c->t, c->fd);
		if (rv)
			return rv;
		/* The receive mark only while waiting: curl polls the socket
		 * before each read and would leave a mark's worth queued. */
		if (c->fd != CURL_SOCKET_BAD)
			nb_lowat_set(c->fd, &c->lowat, c->lowat.want);
		mc = curl_multi_poll(m, NULL, 0, NB_POLL_MS, NULL);
		if (c->fd != CURL_SOCKET_BAD)
			nb_lowat_set(c->fd, &c->lowat, 1);
		if (mc != CURLM_OK)
			return nb_fail(-EIO, "curl_multi_poll: %s",
				       curl_multi_strerror(mc));
	}
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == c->easy) {
			*rc = msg->data.result;
			return 0;
		}
	return nb_fail(-EIO, "curl: the transfer ended without a result");
}

static const char *errtext(const struct cx *c, CURLcode rc)
{
	return c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
}

/* curl's failure as a negative errno with a message. */
static int curl_error(struct cx *c, CURLcode rc, const char *pin)
{
	const struct nb_xfer *x = c->t.x;
	long oserr = 0;

	curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return nb_fail(oserr ? -(int)oserr : -ECONNREFUSED,
			       "connect to %s:%u: %s", x->server_addr, x->port,
			       oserr ? strerror((int)oserr) : errtext(c, rc));
	case CURLE_OPERATION_TIMEDOUT:
		return nb_fail(-ETIMEDOUT, "%s:%u: %s", x->server_addr, x->port,
			       errtext(c, rc));
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return nb_fail(-EKEYREJECTED, "the server's key does not match "
			       "the pin %s", pin);
	case CURLE_PEER_FAILED_VERIFICATION:
		return nb_fail(-EKEYREJECTED, "the server's certificate is not "
			       "trusted: %s", errtext(c, rc));
	case CURLE_SSL_CACERT_BADFILE:
		return nb_fail(-ENOENT, "TLS: %s", errtext(c, rc));
	case CURLE_PARTIAL_FILE:
		return nb_fail(-EPROTO, "short transfer: %llu of %llu bytes (%s)",
			       (unsigned long long)c->t.off,
			       (unsigned long long)x->size, errtext(c, rc));
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_GOT_NOTHING:
		if (!c->seen_major)
			return nb_fail(-EPROTONOSUPPORT, "%s:%u does not speak "
				       "HTTP/1.1: %s", x->server_addr, x->port,
				       errtext(c, rc));
		return nb_fail(-EPROTO, "HTTP/1.1: %s", errtext(c, rc));
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (oserr == ECONNRESET || oserr == EPIPE)
			return nb_fail(-(int)oserr, "%s", errtext(c, rc));
		return nb_fail(-EPROTO, "%s", errtext(c, rc));
	case CURLE_OUT_OF_MEMORY:
		return nb_fail(-ENOMEM, "curl: out of memory");
	default:
		return nb_fail(-EPROTO, "curl: %s", errtext(c, rc));
	}
}

/* What the server answered, checked: over HTTP/1.1, then as every
 * client checks it. */
static int check_answer(struct cx *c)
{
	long httpv = 0;

	curl_easy_getinfo(c->easy, CURLINFO_HTTP_VERSION, &httpv);
	if (httpv != CURL_HTTP_VERSION_1_1)
		return nb_fail(-EPROTONOSUPPORT, "server answered over HTTP/%s, "
			       "not HTTP/1.1",
			       httpv == CURL_HTTP_VERSION_2_0 ? "2" : "1.0");
	return nb_cxfer_check_answer(&c->t);
}

int nb_curl_transfer(const struct nb_xfer *x, int version,
		     struct nb_xfer_result *r)
{
	struct cx c = {.fd = CURL_SOCKET_BAD, .lowat = NB_LOWAT_INIT};
	char ca[4096], pin[128];
	double cpu0 = nb_thread_cpu(), done;
	CURLM *m = NULL;
	CURLcode rc = CURLE_OK;
	int rv;

	memset(r, 0, sizeof(*r));
	if (version == 2)
		return nb_h2_transfer(x, r);
	if (version != 1)
		return nb_fail(-EINVAL, "HTTP version %d: 1 or 2", version);
	rv = nb_cxfer_init(&c.t, x, ca, sizeof(ca), pin, sizeof(pin));
	if (rv)
		return rv;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return nb_fail(-ENOMEM, "curl_global_init: %s",
			       curl_easy_strerror(global_rc));

	c.t.last = nb_now();   /* the stall clock starts after the set-up */
	c.easy = curl_easy_init();
	m = curl_multi_init();
	if (!c.easy || !m) {
		rv = nb_fail(-ENOMEM, "curl: out of memory");
		goto out;
	}
	rv = configure(&c, ca, pin);
	if (rv)
		goto out;
	if (curl_multi_add_handle(m, c.easy) != CURLM_OK) {
		rv = nb_fail(-ENOMEM, "curl_multi_add_handle failed");
		goto out;
	}
	rv = run(&c, m, &rc);
	done = nb_now();
	curl_multi_remove_handle(m, c.easy);
	if (rv)
		goto out;
	if (c.t.err) {
		rv = c.t.err;
		goto out;
	}
	if (rc != CURLE_OK) {
		rv = curl_error(&c, rc, pin);
		goto out;
	}
	rv = check_answer(&c);
	if (rv)
		goto out;
	nb_cxfer_result(&c.t, done, r);
out:
	/* The connection closes here, before the CPU is read. */
	if (m)
		curl_multi_cleanup(m);
	if (c.easy)
		curl_easy_cleanup(c.easy);
	r->client_cpu_s = nb_thread_cpu() - cpu0;
	return rv;
}
