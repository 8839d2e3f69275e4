/* netbench: the TCP congestion control of every TCP socket netbench's own
 * ends open (tcp, h1, h2, `netbench link`'s rate probe): pinned, not the
 * host's default, which may be anything (bbr on the machine netbench was
 * built on: its PROBE_RTT cuts the window to 4 packets for 200 ms every
 * 10 s, and whether a transfer meets one makes replicates differ by 2%).
 * Set per socket: a namespace's default (sysctl) may only name an
 * algorithm the host allows, the socket option takes any the kernel has.
 * Recorded in results.json; peers under test keep their own. */
#ifndef NB_TCP_CC_H
#define NB_TCP_CC_H

#define NB_TCP_CC "cubic"

/* Sets NB_TCP_CC on fd (a listening socket passes it to the connections
 * it accepts). Errors: negative errno (-ENOENT: the kernel has no such
 * algorithm), nb_lasterr() says so. */
int nb_tcp_cc_set(int fd);

#endif
