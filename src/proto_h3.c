/* netbench: the h3 protocol: the server of server_h3.c, the client of
 * client_h3.c, and the goodput ceiling of HTTP/3 over QUIC. */
#include "client_h3.h"
#include "profile.h"
#include "proto.h"
#include "quic.h"
#include "server_h3.h"

/* Bytes of one full-size packet on the wire, and of it the stream payload.
 *
 *   Ethernet 14 + IPv4 20 + UDP 8 + UDP payload NB_QUIC_MAX_PKT (1452):
 *   1494 bytes of frame.
 *   Of the UDP payload, the 1-RTT short header: 1 byte of flags, the
 *   destination connection ID (the receiver's: NB_QUIC_CLIENT_SCIDLEN and
 *   NB_QUIC_SCIDLEN, both empty), a 2-byte packet number (what
 *   ngtcp2 encodes while fewer than 2^15 packets are unacknowledged), the
 *   16-byte AEAD tag; then the STREAM frame's header: type 1, stream ID 1
 *   (stream 0), offset 4 (a varint below 1 GiB), length 2.
 *   HTTP/3 frames the body in DATA frames, 1 byte of type and a varint
 *   length (4 bytes) each; at one frame per 16 KiB that is 0.03%.
 *
 * Download packets travel to the client, upload packets to the server;
 * ACKs travel the other way, on the other direction's rate. */
#define QUIC_L2_OVERHEAD (14.0 + 20 + 8)
#define QUIC_SHORT_HEADER(dcidlen) (1.0 + (dcidlen) + 2 + 16)
#define QUIC_STREAM_FRAME_HEADER (1.0 + 1 + 4 + 2)
#define H3_DATA_FRAME_DATA 16384.0
#define H3_DATA_FRAME_WIRE (16384.0 + 1 + 4)

static double h3_ceiling(const struct nb_profile *p, enum nb_dir d)
{
	double dcid = d == NB_DOWNLOAD ? NB_QUIC_CLIENT_SCIDLEN
				       : NB_QUIC_SCIDLEN;
	double wire = NB_QUIC_MAX_PKT + QUIC_L2_OVERHEAD;
	double payload = NB_QUIC_MAX_PKT - QUIC_SHORT_HEADER(dcid) -
			 QUIC_STREAM_FRAME_HEADER;

	return (double)p->rate_bps * payload / wire * H3_DATA_FRAME_DATA /
	       H3_DATA_FRAME_WIRE;
}

const struct nb_proto nb_proto_h3 = {
	.name = "h3",
	.port = 4443,
	.serve = nb_h3_serve,
	.transfer = nb_h3_transfer,
	.ceiling_bps = h3_ceiling,
};
