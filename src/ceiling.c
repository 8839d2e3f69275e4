/* netbench: goodput ceilings per protocol framing (see ceiling.h). */
#include "ceiling.h"

#include "quic.h"

double nb_ceiling_tcp_bps(uint64_t rate_bps, unsigned mss)
{
	/* mss counts TCP options (12 bytes of timestamps on Linux). */
	double payload = (double)mss - 12.0;

	return (double)rate_bps * payload / ((double)mss + 20 + 20 + 14);
}

/*
 * Every layer, for a bulk transfer in full-size packets (the pure ACKs
 * travel the other way, on the other direction's rate, and cost nothing
 * here). The shaper (htb) counts whole Ethernet frames.
 *
 * L2 + IP + L4, per packet:
 *   Ethernet 14 (no FCS, no preamble: htb sees the frame as the kernel
 *   built it), IPv4 20.
 *   TCP: 20 + 12 of timestamps, inside the MSS; an MSS of 1460 (MTU 1500)
 *   carries 1448 bytes in a 1514-byte frame; the baseline's 1240 carries
 *   1228 in 1294.
 *   UDP: 8; QUIC packets of NB_QUIC_MAX_PKT (1452) bytes of UDP payload:
 *   a 1494-byte frame.
 *
 * TLS 1.3 (h1, h2), per record: a full record carries 16384 bytes of data
 *   behind a 5-byte header, plus the inner content type byte and a 16-byte
 *   AEAD tag: 16384 / 16406.
 *
 * HTTP/1.1: the body is the record payload (no chunking: Content-Length);
 *   the headers are a few hundred bytes once per transfer (< 0.01% of any
 *   payload we size), left out.
 *
 * HTTP/2: DATA frames of the default SETTINGS_MAX_FRAME_SIZE, a 9-byte
 *   header each, no padding: 16384 / 16393, on top of TLS.
 *
 * QUIC (h3), per packet: the 1-RTT short header is 1 byte of flags, the
 *   destination connection ID (the receiver's: NB_QUIC_CLIENT_SCIDLEN for
 *   download packets, NB_QUIC_SCIDLEN for upload packets; both empty), a
 *   2-byte packet number (what ngtcp2 encodes while fewer than 2^15
 *   packets are unacknowledged) and the 16-byte AEAD tag; then the STREAM
 *   frame's header: type 1, stream ID 1 (stream 0), offset 4 (a varint
 *   below 1 GiB), length 2. 1452 - 19 - 8 = 1425 bytes of stream data in
 *   a 1494-byte frame.
 * HTTP/3: DATA frames, 1 byte of type and a 4-byte varint length each; at
 *   one frame per 16 KiB that is 16384 / 16389.
 *
 * At 100 Mbit/s: tcp baseline 94.900, TCP 95.641, h1 95.512, h2 95.460,
 * h3 95.352 Mbit/s (tests/test_ceiling.c).
 */
#define TLS_RECORD_DATA 16384.0
#define TLS_RECORD_WIRE (16384.0 + 5 + 1 + 16)
#define H2_FRAME_DATA 16384.0
#define H2_FRAME_WIRE (16384.0 + 9)
#define QUIC_L2_OVERHEAD (14.0 + 20 + 8)
#define QUIC_SHORT_HEADER(dcidlen) (1.0 + (dcidlen) + 2 + 16)
#define QUIC_STREAM_FRAME_HEADER (1.0 + 1 + 4 + 2)
#define H3_DATA_FRAME_DATA 16384.0
#define H3_DATA_FRAME_WIRE (16384.0 + 1 + 4)

double nb_ceiling_bps(enum nb_framing f, uint64_t rate_bps, enum nb_dir d)
{
	double tcp = nb_ceiling_tcp_bps(rate_bps, 1460);
	double dcid, quic;

	switch (f) {
	case NB_FRAMING_TCP_BASELINE:
		return nb_ceiling_tcp_bps(rate_bps, NB_CEILING_BASELINE_MSS);
	case NB_FRAMING_TCP:
		return tcp;
	case NB_FRAMING_H1:
		return tcp * TLS_RECORD_DATA / TLS_RECORD_WIRE;
	case NB_FRAMING_H2:
		return tcp * TLS_RECORD_DATA / TLS_RECORD_WIRE *
		       H2_FRAME_DATA / H2_FRAME_WIRE;
	case NB_FRAMING_H3:
		dcid = d == NB_DOWNLOAD ? NB_QUIC_CLIENT_SCIDLEN : NB_QUIC_SCIDLEN;
		quic = (NB_QUIC_MAX_PKT - QUIC_SHORT_HEADER(dcid) -
			QUIC_STREAM_FRAME_HEADER) /
		       (NB_QUIC_MAX_PKT + QUIC_L2_OVERHEAD);
		return (double)rate_bps * quic * H3_DATA_FRAME_DATA /
		       H3_DATA_FRAME_WIRE;
	}
	return 0;
}
