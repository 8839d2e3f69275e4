/* netbench: link probes for `netbench link`: RTT and TCP rate, timestamped in
 * userspace (CLOCK_MONOTONIC), between two network namespaces.
 *
 * Both ends live in this process: each socket is created inside its
 * namespace (nb_netns_socket) and the probes drive them from the calling
 * thread with non-blocking I/O and poll(). No thread or process is started.
 * Loops poll at most NB_POLL_MS at a time and stop with -EINTR when
 * nb_interrupted() (interrupt.h).
 */
#ifndef NB_PROBE_H
#define NB_PROBE_H

#include <stdint.h>
#include <sys/socket.h>

/* Parses an IPv4 or IPv6 literal into *ss, with port (shared by the probes).
 * Errors: -EINVAL, with nb_lasterr() naming the address. */
int nb_probe_parse_addr(const char *addr, uint16_t port,
			struct sockaddr_storage *ss, socklen_t *len);

struct nb_rtt_result {
	unsigned sent, received;
	double min_ms, median_ms, mean_ms, max_ms;
};

/* UDP echo: `count` probes, one every `interval_ms`, from client_addr (in
 * client_ns) to an echo socket on server_addr:port (in server_ns); waits for
 * replies up to `timeout_ms` after the last probe. Errors: -ETIMEDOUT when
 * no reply came back, -EINTR, other negative errno. */
int nb_probe_rtt(int client_ns, int server_ns, const char *client_addr,
		 const char *server_addr, uint16_t port, unsigned count,
		 unsigned interval_ms, unsigned timeout_ms,
		 struct nb_rtt_result *r);

struct nb_rate_result {
	uint64_t bytes;      /* bytes received inside the measurement window */
	double seconds;      /* length of the window */
	double bps;          /* goodput bit/s in the window */
	uint64_t total;      /* all bytes received */
};

/* TCP bulk transfer from a socket in from_ns to a listener on to_addr:port
 * in to_ns, default MSS: sends for warmup_s + measure_s, and reports the
 * receiver's goodput over the last measure_s seconds (the warm-up covers
 * slow start). Errors: -EINTR, -ETIMEDOUT (nothing arrived), negative errno. */
int nb_probe_rate(int from_ns, int to_ns, const char *to_addr, uint16_t port,
		  double warmup_s, double measure_s, struct nb_rate_result *r);

#endif
