/* netbench: the goodput ceiling of each protocol's framing: the most
 * payload a link of a given rate can carry once every header and trailer
 * of the protocol stack is paid for (DESIGN §5). efficiency = goodput /
 * ceiling. The whole derivation is in one function, nb_ceiling_bps. */
#ifndef NB_CEILING_H
#define NB_CEILING_H

#include <stdint.h>

#include "proto.h"

enum nb_framing {
	NB_FRAMING_TCP_BASELINE,  /* plain TCP, MSS 1240 (iperf3 -M 1240) */
	NB_FRAMING_TCP,           /* plain TCP, MSS 1460 (MTU 1500) */
	NB_FRAMING_H1,            /* HTTP/1.1 over TLS 1.3 over TCP */
	NB_FRAMING_H2,            /* HTTP/2 over TLS 1.3 over TCP */
	NB_FRAMING_H3,            /* HTTP/3 over QUIC v1 over UDP */
};

/* The MSS of the tcp baseline (what `-M 1240` gives iperf3). */
#define NB_CEILING_BASELINE_MSS 1240

/* Goodput ceiling, bit/s, of framing f on a link of rate_bps (10^6 bit =
 * 1 Mbit) in direction d; 0 when rate_bps is 0 (unthrottled: no ceiling). */
double nb_ceiling_bps(enum nb_framing f, uint64_t rate_bps, enum nb_dir d);

/* The ceiling of plain TCP with a given MSS (options included). */
double nb_ceiling_tcp_bps(uint64_t rate_bps, unsigned mss);

#endif
