/* netbench: the h1 and h2 protocols: the server of server_http.c, the
 * libcurl client of client_curl.c, and their goodput ceilings. */
#include "client_curl.h"
#include "profile.h"
#include "proto.h"
#include "server_http.h"

/* TCP with the default MSS of a 1500-byte MTU (1460, 12 of it timestamps). */
#define HTTP_TCP_MSS 1460
/* A full TLS 1.3 record: 16384 bytes of data, a 5-byte header, the inner
 * content type byte and a 16-byte AEAD tag. */
#define TLS_RECORD_DATA 16384.0
#define TLS_RECORD_WIRE (16384.0 + 5 + 1 + 16)
/* An HTTP/2 DATA frame at the default SETTINGS_MAX_FRAME_SIZE: 9-byte
 * header + 16384 bytes, no padding. */
#define H2_FRAME_DATA 16384.0
#define H2_FRAME_WIRE (16384.0 + 9)

static double h1_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	(void)d;
	return nb_profile_tcp_ceiling_bps(p, HTTP_TCP_MSS) * TLS_RECORD_DATA /
	       TLS_RECORD_WIRE;
}

static double h2_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	return h1_ceiling(p, d) * H2_FRAME_DATA / H2_FRAME_WIRE;
}

static int h1_serve(const struct nb_serve_opts *o)
{
	return nb_http_serve(o, false);
}

static int h2_serve(const struct nb_serve_opts *o)
{
	return nb_http_serve(o, true);
}

static int h1_transfer(const struct nb_xfer *x, struct nb_xfer_result *r)
{
	return nb_curl_transfer(x, 1, r);
}

static int h2_transfer(const struct nb_xfer *x, struct nb_xfer_result *r)
{
	return nb_curl_transfer(x, 2, r);
}

const struct nb_proto nb_proto_h1 = {
	.name = "h1",
	.port = 4443,
	.serve = h1_serve,
	.transfer = h1_transfer,
	.ceiling_bps = h1_ceiling,
};

const struct nb_proto nb_proto_h2 = {
	.name = "h2",
	.port = 4443,
	.serve = h2_serve,
	.transfer = h2_transfer,
	.ceiling_bps = h2_ceiling,
};
