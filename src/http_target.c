/* netbench: routes and answers of the HTTP servers (see http_target.h). */
#include "http_target.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "page.h"

static bool is(const char *s, size_t len, const char *lit)
{
	return len == strlen(lit) && !memcmp(s, lit, len);
}

/* Digits only, no sign, no leading junk; at most NB_HTTP_MAX_SIZE.
 * Returns 0, 400 (malformed) or 413 (too large). */
static int parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (!len || len > 20)
		return len > 20 ? 413 : 400;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 400;
		if (v > (NB_HTTP_MAX_SIZE - (uint64_t)(s[i] - '0')) / 10)
			return 413;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static void error(struct nb_http_target *t, int status)
{
	nb_http_refuse(t, status, NULL);
}

void nb_http_refuse(struct nb_http_target *t, int status, const char *why)
{
	t->route = NB_ROUTE_ERROR;
	t->status = status;
	t->why = why;
}

/* Whether path is a page's, "/netbench/download-N.html" or
 * "/netbench/upload-N.html": then its direction into *dir and where its N
 * is (*n, *nlen: maybe empty or not digits). */
static bool page_path(const char *path, size_t plen, enum nb_dir *dir,
		      const char **n, size_t *nlen)
{
	static const char pre[] = "/netbench/", suf[] = ".html";
	static const struct {
		const char *kind;
		enum nb_dir dir;
	} kinds[] = {{"download-", NB_DOWNLOAD}, {"upload-", NB_UPLOAD}};
	size_t fix = sizeof(pre) - 1 + sizeof(suf) - 1;

	if (plen < fix || memcmp(path, pre, sizeof(pre) - 1) ||
	    memcmp(path + plen - (sizeof(suf) - 1), suf, sizeof(suf) - 1))
		return false;
	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(kinds[i].kind);

		if (plen - fix >= k &&
		    !memcmp(path + sizeof(pre) - 1, kinds[i].kind, k)) {
			*dir = kinds[i].dir;
			*n = path + sizeof(pre) - 1 + k;
			*nlen = plen - fix - k;
			return true;
		}
	}
	return false;
}

void nb_http_route(const char *method, size_t mlen, const char *path,
		   size_t plen, struct nb_http_target *t)
{
	const char *q = memchr(path, '?', plen), *n;
	bool get = is(method, mlen, "GET"), head = is(method, mlen, "HEAD");
	enum nb_dir dir;
	size_t nlen;
	int st;

	memset(t, 0, sizeof(*t));
	t->status = 200;
	if (q)
		plen = (size_t)(q - path);
	if (plen > 7 && !memcmp(path, "/bytes/", 7)) {
		if (!get && !head)
			return error(t, 405);
		st = parse_size(path + 7, plen - 7, &t->size);
		if (st)
			return error(t, st);
		t->route = NB_ROUTE_DOWNLOAD;
		t->head = head;
		return;
	}
	if (is(path, plen, "/upload")) {
		if (!is(method, mlen, "PUT") && !is(method, mlen, "POST"))
			return error(t, 405);
		t->route = NB_ROUTE_UPLOAD;
		return;
	}
	if (page_path(path, plen, &dir, &n, &nlen)) {
		if (!get && !head)
			return error(t, 405);
		st = parse_size(n, nlen, &t->size);
		if (st)
			return error(t, st);
		t->route = NB_ROUTE_PAGE;
		t->dir = dir;
		t->head = head;
		return;
	}
	if (is(path, plen, "/result")) {
		if (!is(method, mlen, "POST"))
			return error(t, 405);
		t->route = NB_ROUTE_RESULT;
		return;
	}
	error(t, 404);
}

void nb_http_result_admit(struct nb_http_target *t, int results_fd,
			  bool has_length, uint64_t length)
{
	if (t->route != NB_ROUTE_RESULT)
		return;
	if (results_fd < 0)
		nb_http_refuse(t, 404, "not found: this server keeps no "
			       "results (serve --results-file)\n");
	else if (has_length && length > NB_HTTP_RESULT_MAX)
		nb_http_refuse(t, 413, "too large: a result is at most 4096 "
			       "bytes\n");
}

int nb_http_results_append(int fd, const void *line, size_t len)
{
	char buf[NB_HTTP_RESULT_MAX + 1];
	ssize_t n;

	if (len > NB_HTTP_RESULT_MAX)
		return -EINVAL;
	if (len)
		memcpy(buf, line, len);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			buf[i] = ' ';
	}
	buf[len] = '\n';
	do
		n = write(fd, buf, len + 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len + 1 ? 0 : -EIO;
}

void nb_http_result_take(struct nb_http_target *t, int results_fd,
			 const char *body, size_t len)
{
	int rv = nb_http_results_append(results_fd, body, len);

	if (rv) {
		fprintf(stderr, "netbench serve: results file: %s\n",
			strerror(-rv));
		nb_http_refuse(t, 500, "cannot write the results file\n");
		return;
	}
	t->status = 204;
}

void nb_http_upload_record(int results_fd, const char *answer, size_t len)
{
	static const char event[] = "{\"event\":\"upload\",";
	char line[sizeof(event) + NB_HTTP_ANSWER_MAX];
	int rv;

	if (results_fd < 0 || !len || answer[0] != '{' ||
	    len > NB_HTTP_ANSWER_MAX)
		return;
	/* {"bytes":...}\n -> {"event":"upload","bytes":...} */
	if (answer[len - 1] == '\n')
		len--;
	memcpy(line, event, sizeof(event) - 1);
	memcpy(line + sizeof(event) - 1, answer + 1, len - 1);
	rv = nb_http_results_append(results_fd, line, sizeof(event) - 2 + len);
	if (rv)
		fprintf(stderr, "netbench serve: results file: %s\n",
			strerror(-rv));
}

const char *nb_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

const char *nb_http_error_body(int status)
{
	switch (status) {
	case 400: return "bad request\n";
	case 404: return "not found: try GET /bytes/N or PUT /upload\n";
	case 405: return "method not allowed: GET /bytes/N, PUT|POST /upload, "
			 "GET /netbench/*.html, POST /result\n";
	case 408: return "request timeout\n";
	case 411: return "length required: send Content-Length\n";
	case 413: return "too large: at most 1 TiB\n";
	case 417: return "expectation failed\n";
	case 431: return "request header too large\n";
	case 500: return "internal server error\n";
	case 501: return "not implemented\n";
	case 503: return "service unavailable\n";
	case 505: return "HTTP version not supported\n";
	default: return "error\n";
	}
}

size_t nb_http_answer(char *buf, uint64_t bytes, uint64_t bad, int *status)
{
	int n;

	if (bad == UINT64_MAX) {
		*status = 200;
		n = snprintf(buf, NB_HTTP_ANSWER_MAX,
			     "{\"bytes\":%" PRIu64 ",\"verdict\":\"ok\"}\n", bytes);
	} else {
		*status = 422;
		n = snprintf(buf, NB_HTTP_ANSWER_MAX,
			     "{\"bytes\":%" PRIu64
			     ",\"verdict\":\"mismatch at byte %" PRIu64 "\"}\n",
			     bytes, bad);
	}
	return (size_t)n;
}

int nb_http_answer_parse(const char *body, size_t len, uint64_t *bytes,
			 bool *ok, char *verdict, size_t vlen)
{
	char copy[NB_HTTP_ANSWER_MAX + 1], v[NB_HTTP_ANSWER_MAX];
	unsigned long long n;
	int end = 0;

	if (len > NB_HTTP_ANSWER_MAX)
		return -EPROTO;
	memcpy(copy, body, len);
	copy[len] = '\0';
	if (sscanf(copy, "{\"bytes\":%llu,\"verdict\":\"%79[^\"]\"}%n", &n, v,
		   &end) != 2 || !end)
		return -EPROTO;
	if (copy[end] && strcmp(copy + end, "\n"))
		return -EPROTO;
	*bytes = n;
	*ok = !strcmp(v, "ok");
	if (verdict && vlen)
		snprintf(verdict, vlen, "%s", v);
	return 0;
}

/* A page's response: its body into h->page (none for HEAD). Returns the
 * body bytes to send; 0 with h->page NULL and status 503 when the page
 * cannot be made. */
static uint64_t respond_page(const struct nb_http_target *t,
			     struct nb_http_head *h)
{
	size_t len;

	if (nb_page_html(t->dir, t->size, &h->page, &len)) {
		h->page = NULL;
		h->status = 503;
		return 0;
	}
	h->type = "text/html; charset=utf-8";
	h->no_store = true;
	snprintf(h->length, sizeof(h->length), "%zu", len);
	if (t->head) {
		free(h->page);
		h->page = NULL;
		return 0;
	}
	return len;
}

uint64_t nb_http_respond(const struct nb_http_target *t, uint64_t got,
			 uint64_t bad, struct nb_http_head *h, char *answer)
{
	const char *body;
	uint64_t size;

	memset(h, 0, sizeof(*h));
	h->status = t->status;
	h->small = t->route != NB_ROUTE_DOWNLOAD;
	switch (t->route) {
	case NB_ROUTE_DOWNLOAD:
		size = t->head ? 0 : t->size;
		h->type = "application/octet-stream";
		h->no_store = true;
		snprintf(h->length, sizeof(h->length), "%" PRIu64, t->size);
		break;
	case NB_ROUTE_UPLOAD:
		size = nb_http_answer(answer, got, bad, &h->status);
		h->type = "application/json";
		snprintf(h->length, sizeof(h->length), "%" PRIu64, size);
		break;
	case NB_ROUTE_RESULT:
		/* Taken: 204, no body, no content-length (RFC 9110 §8.6). */
		h->status = 204;
		h->type = "";
		size = 0;
		break;
	case NB_ROUTE_PAGE:
		size = respond_page(t, h);
		if (h->status == 200)
			break;
		/* Out of memory: the error answer. */
		/* fall through */
	case NB_ROUTE_ERROR:
	default:
		body = t->route == NB_ROUTE_ERROR && t->why ? t->why :
		       nb_http_error_body(h->status);
		size = (uint64_t)snprintf(answer, NB_HTTP_ANSWER_MAX, "%s",
					  body);
		h->type = "text/plain";
		snprintf(h->length, sizeof(h->length), "%" PRIu64, size);
		break;
	}
	snprintf(h->status_text, sizeof(h->status_text), "%d", h->status);
	return size;
}

size_t nb_http_keep(char *dst, size_t cap, const uint8_t *v, size_t len,
		    const char *instead)
{
	if (len > cap) {
		v = (const uint8_t *)instead;
		len = strlen(instead);
	}
	memcpy(dst, v, len);
	return len;
}
