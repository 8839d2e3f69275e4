/* netbench: the HTTP/1.1 request-head parser (see http1.h).
 *
 * The head is read line by line. A complete line (ended by CRLF) is checked
 * whole and interpreted; the last, incomplete line is checked as a prefix,
 * so that garbage is rejected as soon as it is seen rather than after
 * max_head bytes. Every function here reads only [p, p + n).
 */
#include "http1.h"

#include <string.h>

#include "http_target.h"

/* A line checker's verdict: OK, or the status of the error. */
#define LINE_OK 0

/* tchar of RFC 9110 §5.6.2. */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* field-vchar, SP or HTAB: anything but controls (and DEL). */
static bool is_value_char(uint8_t c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive equality of p[0, n) with the lower-case literal. */
static bool ieq(const uint8_t *p, size_t n, const char *lit)
{
	if (n != strlen(lit))
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* Strips OWS from both ends of [*p, *p + *n). */
static void trim(const uint8_t **p, size_t *n)
{
	while (*n && is_ows((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_ows((*p)[*n - 1]))
		(*n)--;
}

/* Counts the bytes of p[0, n) that satisfy ok, from the start. */
static size_t span(const uint8_t *p, size_t n, bool (*ok)(uint8_t))
{
	size_t i = 0;

	while (i < n && ok(p[i]))
		i++;
	return i;
}

static bool is_target_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

/* "HTTP/" DIGIT "." DIGIT at p[0, n); complete says the line ended there.
 * A prefix of it is fine when !complete. Returns LINE_OK, 400 or 505. */
static int check_version(const uint8_t *p, size_t n, bool complete, int *minor)
{
	static const char proto[] = "HTTP/";

	for (size_t i = 0; i < n && i < 5; i++)
		if (p[i] != (uint8_t)proto[i])
			return 400;
	if (n > 5 && (p[5] < '0' || p[5] > '9'))
		return 400;
	if (n > 6 && p[6] != '.')
		return 400;
	if (n > 7 && (p[7] < '0' || p[7] > '9'))
		return 400;
	if (n > 8)
		return 400;
	if (!complete)
		return LINE_OK;
	if (n != 8)
		return 400;
	if (p[5] != '1')
		return 505;
	*minor = p[7] == '0' ? 0 : 1;
	return LINE_OK;
}

/* method SP request-target SP HTTP-version, possibly cut short when
 * !complete. Returns LINE_OK, 400 or 505. */
static int request_line(const uint8_t *p, size_t n, bool complete,
			struct nb_http1_req *req)
{
	size_t m, t;

	m = span(p, n, is_tchar);
	if (m == n)
		return complete ? 400 : LINE_OK;
	if (!m || p[m] != ' ')
		return 400;
	t = span(p + m + 1, n - m - 1, is_target_char);
	if (m + 1 + t == n)
		return complete ? 400 : LINE_OK;
	if (!t || p[m + 1 + t] != ' ')
		return 400;
	req->method = (const char *)p;
	req->method_len = m;
	req->target = (const char *)p + m + 1;
	req->target_len = t;
	return check_version(p + m + t + 2, n - m - t - 2, complete, &req->minor);
}

/* Digits only, at most NB_HTTP_MAX_SIZE. Returns LINE_OK, 400 or 413. */
static int parse_length(const uint8_t *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (!n)
		return 400;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400;
		if (x > (NB_HTTP_MAX_SIZE - (uint64_t)(v[i] - '0')) / 10) {
			/* Still only digits? Then it is too large, not bad. */
			for (; i < n; i++)
				if (v[i] < '0' || v[i] > '9')
					return 400;
			return 413;
		}
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return LINE_OK;
}

/* What the fields seen so far say, beyond struct nb_http1_req. */
struct fields {
	int hosts;
	bool te_chunked;    /* the last Transfer-Encoding ends in chunked */
};

/* Calls fn on each comma-separated, trimmed, non-empty element of v. */
static void each_element(const uint8_t *v, size_t n,
			 void (*fn)(const uint8_t *, size_t, void *), void *arg)
{
	while (n) {
		const uint8_t *c = memchr(v, ',', n);
		size_t k = c ? (size_t)(c - v) : n;
		const uint8_t *e = v;
		size_t en = k;

		trim(&e, &en);
		if (en)
			fn(e, en, arg);
		v += k;
		n -= k;
		if (n) {
			v++;
			n--;
		}
	}
}

static void connection_option(const uint8_t *e, size_t n, void *arg)
{
	struct nb_http1_req *req = arg;

	if (ieq(e, n, "close"))
		req->conn_close = true;
	else if (ieq(e, n, "keep-alive"))
		req->conn_keep_alive = true;
}

static void last_coding(const uint8_t *e, size_t n, void *arg)
{
	*(bool *)arg = ieq(e, n, "chunked");
}

/* Interprets one complete field line. Returns LINE_OK, 400, 413 or 417. */
static int field(const uint8_t *name, size_t nlen, const uint8_t *v,
		 size_t vlen, struct nb_http1_req *req, struct fields *f)
{
	uint64_t len = 0;
	int st;

	if (ieq(name, nlen, "content-length")) {
		st = parse_length(v, vlen, &len);
		if (st)
			return st;
		if (req->has_content_length && req->content_length != len)
			return 400;
		req->has_content_length = true;
		req->content_length = len;
	} else if (ieq(name, nlen, "transfer-encoding")) {
		req->transfer_encoding = true;
		f->te_chunked = false;
		each_element(v, vlen, last_coding, &f->te_chunked);
		if (!f->te_chunked)
			return 400;
	} else if (ieq(name, nlen, "expect")) {
		if (!ieq(v, vlen, "100-continue"))
			return 417;
		req->expect_continue = true;
	} else if (ieq(name, nlen, "connection")) {
		each_element(v, vlen, connection_option, req);
	} else if (ieq(name, nlen, "host")) {
		f->hosts++;
	}
	return LINE_OK;
}

/* token ":" OWS field-value OWS, possibly cut short when !complete; a
 * complete one is interpreted. Returns LINE_OK or an error status. */
static int field_line(const uint8_t *p, size_t n, bool complete,
		      struct nb_http1_req *req, struct fields *f)
{
	const uint8_t *v;
	size_t name, vlen;

	name = span(p, n, is_tchar);
	if (name == n)
		return complete ? 400 : LINE_OK;
	if (!name || p[name] != ':')
		return 400;     /* also obs-fold and space before the colon */
	v = p + name + 1;
	vlen = n - name - 1;
	if (span(v, vlen, is_value_char) != vlen)
		return 400;
	if (!complete)
		return LINE_OK;
	trim(&v, &vlen);
	return field(p, name, v, vlen, req, f);
}

/* Checks made once the head is complete. Returns LINE_OK or 400. */
static int whole_head(const struct nb_http1_req *req, const struct fields *f)
{
	if (req->transfer_encoding &&
	    (req->has_content_length || req->minor == 0))
		return 400;
	if (f->hosts > 1 || (req->minor == 1 && f->hosts != 1))
		return 400;
	return LINE_OK;
}

static enum nb_http1_result fail(struct nb_http1_req *req, int status)
{
	req->status = status;
	return NB_HTTP1_ERROR;
}

enum nb_http1_result nb_http1_parse(const uint8_t *buf, size_t len,
				    size_t max_head, struct nb_http1_req *req)
{
	size_t lim = len < max_head ? len : max_head, pos = 0;
	bool got_request_line = false;
	struct fields f = {0};
	int st;

	memset(req, 0, sizeof(*req));
	while (pos < lim) {
		const uint8_t *p = buf + pos;
		const uint8_t *lf = memchr(p, '\n', lim - pos);
		size_t n;

		if (!lf) {
			/* The last line, cut short: check what there is. */
			n = lim - pos;
			if (buf[lim - 1] == '\r')
				n--;
			st = got_request_line ? field_line(p, n, false, req, &f)
					      : request_line(p, n, false, req);
			if (st)
				return fail(req, st);
			break;
		}
		n = (size_t)(lf - p);
		if (!n || p[n - 1] != '\r')
			return fail(req, 400);          /* bare LF */
		n--;
		pos += n + 2;
		if (!n && !got_request_line)
			continue;                       /* leading empty line */
		if (!n) {
			st = whole_head(req, &f);
			if (st)
				return fail(req, st);
			req->head_len = pos;
			return NB_HTTP1_COMPLETE;
		}
		st = got_request_line ? field_line(p, n, true, req, &f)
				      : request_line(p, n, true, req);
		if (st)
			return fail(req, st);
		got_request_line = true;
	}
	if (len >= max_head)
		return fail(req, 431);
	return NB_HTTP1_MORE;
}
