/* Fuzz target: HTTP/1.1 request heads (http1.c) and their routing
 * (http_target.c), as server_h1.c uses them.
 *
 * Input: byte 0 seeds the chunk sizes (1..64 bytes, a small xorshift), the
 * rest are the bytes of a connection. They arrive chunk by chunk in a
 * buffer, as from a socket, and nb_http1_parse() runs after each chunk;
 * a complete head is routed, its response made, and the bytes after it
 * (a body is skipped by its Content-Length) start the next request.
 *
 * Checked, beyond memory safety: the contract of http1.h that a prefix of
 * a complete head is NB_HTTP1_MORE and that the result is the same in
 * whichever chunks the bytes came; fields point into the buffer; an error
 * has one of the documented statuses. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http1.h"
#include "http_target.h"
#include "server_h1.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool inside(const uint8_t *buf, size_t len, const char *p, size_t n)
{
	return (const uint8_t *)p >= buf && n <= len &&
	       (const uint8_t *)p - buf <= (ptrdiff_t)(len - n);
}

/* The parse of all of buf[0, len) at once, as the reference. */
static enum nb_http1_result whole(const uint8_t *buf, size_t len,
				  struct nb_http1_req *req)
{
	memset(req, 0, sizeof(*req));
	return nb_http1_parse(buf, len, NB_H1_HEAD_MAX, req);
}

/* Routes a complete head and makes its response, as server_h1.c does. */
static void route(const struct nb_http1_req *r)
{
	struct nb_http_target t;
	struct nb_http_head h;
	char answer[NB_HTTP_ANSWER_MAX];

	nb_http_route(r->method, r->method_len, r->target, r->target_len, &t);
	memset(&h, 0, sizeof(h));
	nb_http_respond(&t, 0, UINT64_MAX, &h, answer);
	free(h.page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed;
	const uint8_t *in;
	size_t n, got = 0, off = 0;
	struct nb_http1_req ref, req;
	enum nb_http1_result want, r;

	if (size < 1)
		return 0;
	seed = data[0] * 2654435761u | 1;
	in = data + 1;
	n = size - 1;
	while (off < n) {
		const uint8_t *buf = in + off;
		size_t avail = n - off;

		/* The reference: everything there is, at once. */
		want = whole(buf, avail, &ref);
		if (want == NB_HTTP1_ERROR)
			check(ref.status == 400 || ref.status == 413 ||
			      ref.status == 417 || ref.status == 431 ||
			      ref.status == 505);
		/* The same bytes in chunks: a prefix shorter than a complete
		 * head is MORE; the first result that is not MORE is the
		 * reference's when the head is complete. */
		got = 0;
		do {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			got += 1 + seed % 64;
			if (got > avail)
				got = avail;
			memset(&req, 0, sizeof(req));
			r = nb_http1_parse(buf, got, NB_H1_HEAD_MAX, &req);
			if (want == NB_HTTP1_COMPLETE && got < ref.head_len)
				check(r == NB_HTTP1_MORE);
		} while (r == NB_HTTP1_MORE && got < avail);
		if (want == NB_HTTP1_COMPLETE) {
			check(r == NB_HTTP1_COMPLETE);
			check(req.head_len == ref.head_len &&
			      req.method_len == ref.method_len &&
			      req.target_len == ref.target_len &&
			      req.content_length == ref.content_length);
		}
		if (r != NB_HTTP1_COMPLETE)
			break;
		check(req.head_len >= 1 && req.head_len <= got);
		check(inside(buf, got, req.method, req.method_len));
		check(inside(buf, got, req.target, req.target_len));
		check(req.minor == 0 || req.minor == 1);
		check(req.content_length <= NB_HTTP_MAX_SIZE);
		route(&req);
		/* The next request after this one's body (chunked bodies
		 * are not decoded: the rest is taken as the next head). */
		off += req.head_len;
		if (req.has_content_length)
			off += req.content_length < n - off ?
			       (size_t)req.content_length : n - off;
	}
	return 0;
}
