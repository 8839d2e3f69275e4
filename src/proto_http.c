/* netbench: the h1 and h2 protocols: the server of server_http.c, the
 * libcurl client of client_curl.c, and their goodput ceilings. */
#include "ceiling.h"
#include "client_curl.h"
#include "profile.h"
#include "proto.h"
#include "server_http.h"

static double h1_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	return nb_ceiling_bps(NB_FRAMING_H1, p->rate_bps, d);
}

static double h2_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	return nb_ceiling_bps(NB_FRAMING_H2, p->rate_bps, d);
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
