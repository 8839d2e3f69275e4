/* netbench: routes and answers of the HTTP servers (see http_target.h). */
#include "http_target.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
	t->route = NB_ROUTE_ERROR;
	t->status = status;
}

void nb_http_route(const char *method, size_t mlen, const char *path,
		   size_t plen, struct nb_http_target *t)
{
	const char *q = memchr(path, '?', plen);
	bool get = is(method, mlen, "GET"), head = is(method, mlen, "HEAD");
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
	error(t, 404);
}

const char *nb_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

const char *nb_http_error_body(int status)
{
	switch (status) {
	case 400: return "bad request\n";
	case 404: return "not found: try GET /bytes/N or PUT /upload\n";
	case 405: return "method not allowed: GET /bytes/N, PUT|POST /upload\n";
	case 408: return "request timeout\n";
	case 411: return "length required: send Content-Length\n";
	case 413: return "too large: at most 1 TiB\n";
	case 417: return "expectation failed\n";
	case 431: return "request header too large\n";
	case 501: return "not implemented\n";
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

uint64_t nb_http_respond(const struct nb_http_target *t, uint64_t got,
			 uint64_t bad, struct nb_http_head *h, char *answer)
{
	uint64_t size;

	memset(h, 0, sizeof(*h));
	h->status = t->status;
	if (t->route == NB_ROUTE_DOWNLOAD) {
		size = t->head ? 0 : t->size;
		h->type = "application/octet-stream";
		h->no_store = true;
		snprintf(h->length, sizeof(h->length), "%" PRIu64, t->size);
	} else {
		h->small = true;
		if (t->route == NB_ROUTE_UPLOAD) {
			size = nb_http_answer(answer, got, bad, &h->status);
			h->type = "application/json";
		} else {
			size = (uint64_t)snprintf(answer, NB_HTTP_ANSWER_MAX,
						  "%s",
						  nb_http_error_body(t->status));
			h->type = "text/plain";
		}
		snprintf(h->length, sizeof(h->length), "%" PRIu64, size);
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
