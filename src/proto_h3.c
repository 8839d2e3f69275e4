/* netbench: the h3 protocol: the server of server_h3.c, the client of
 * client_h3.c, and the goodput ceiling of HTTP/3 over QUIC (ceiling.c). */
#include "ceiling.h"
#include "client_h3.h"
#include "profile.h"
#include "proto.h"
#include "quic.h"
#include "server_h3.h"

static double h3_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	return nb_ceiling_bps(NB_FRAMING_H3, p->rate_bps, d);
}

const struct nb_proto nb_proto_h3 = {
	.name = "h3",
	.port = 4443,
	.serve = nb_h3_serve,
	.transfer = nb_h3_transfer,
	.ceiling_bps = h3_ceiling,
};
