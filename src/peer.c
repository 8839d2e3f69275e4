/* netbench: external peers (see peer.h). */
#include "peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "goodput.h"
#include "interrupt.h"
#include "netns.h"
#include "probe.h"
#include "spawn.h"
#include "undo.h"

int nb_peer_which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return nb_fail(-ENOENT, "%s: not executable", name);
		snprintf(buf, len, "%s", name);
		return 0;
	}
	for (p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"; *p; p = end) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)(end - p), p,
				     name) < len && !access(buf, X_OK))
			return 0;
		if (*end)
			end++;
	}
	return nb_fail(-ENOENT, "%s: not found in PATH (is its Debian package "
		       "installed? ci/install-deps installs the peers)", name);
}

/* One connection attempt from the namespace, at most NB_POLL_MS. Returns 1
 * when accepted, 0 when not (yet), negative errno. */
static int port_open(int nsfd, const struct sockaddr_storage *sa,
		     socklen_t salen)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0, rv = 0;

	fd = nb_netns_socket(nsfd, sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (!connect(fd, (const struct sockaddr *)sa, salen)) {
		rv = 1;
		goto out;
	}
	if (errno != EINPROGRESS)
		goto out;
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, NB_POLL_MS) == 1 &&
	    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err)
		rv = 1;
out:
	close(fd);
	return rv;
}

/* Whether a UDP port is bound in the namespace: binding it ourselves
 * fails with EADDRINUSE (without SO_REUSEADDR/SO_REUSEPORT). Returns 1
 * when bound, 0 when not (yet), negative errno. */
static int udp_port_bound(int nsfd, const struct sockaddr_storage *sa,
			  socklen_t salen)
{
	int fd, rv = 0;

	fd = nb_netns_socket(nsfd, sa->ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	if (bind(fd, (const struct sockaddr *)sa, salen)) {
		if (errno == EADDRINUSE)
			rv = 1;
		else
			rv = nb_fail(-errno, "probing UDP port: %s",
				     strerror(errno));
	}
	close(fd);
	return rv;
}

/* Whether a TCP socket listens on port in the namespace, from
 * /proc/thread-self/net/tcp read inside it: no connection is made (iperf3
 * takes any connection for a test's control connection). Returns 1, 0 or
 * negative errno. */
static int tcp_listening(int nsfd, uint16_t port)
{
	char line[256], want[8];
	int saved, rv;
	FILE *f;

	rv = nb_netns_enter(nsfd, &saved);
	if (rv)
		return rv;
	f = fopen("/proc/thread-self/net/tcp", "re");
	nb_netns_leave(saved);
	if (!f)
		return nb_fail(-errno, "reading the namespace's TCP sockets: %s",
			       strerror(errno));
	snprintf(want, sizeof(want), ":%04X", port);
	rv = 0;
	while (!rv && fgets(line, sizeof(line), f)) {
		char local[64], remote[64], st[8];

		if (sscanf(line, "%*s %63s %63s %7s", local, remote, st) == 3 &&
		    !strcmp(st, "0A") && strstr(local, want) &&
		    !strcmp(strstr(local, want), want))
			rv = 1;
	}
	fclose(f);
	return rv;
}

int nb_peer_spawn_out(struct nb_undo *u, struct nb_child *c, int nsfd,
		      char *const argv[], const char *addr, uint16_t port,
		      int ready_ms, enum nb_peer_ready ready, int out_fd)
{
	bool udp = ready == NB_PEER_UDP_BOUND;

	char exe[4096];
	char *const *args = argv;
	char *copy[64];
	struct sockaddr_storage sa;
	socklen_t salen;
	double end = nb_now() + ready_ms / 1000.0;
	size_t n;
	int rv;

	for (n = 0; argv[n]; n++)
		;
	if (n >= sizeof(copy) / sizeof(copy[0]))
		return nb_fail(-E2BIG, "%s: too many arguments", argv[0]);
	rv = nb_probe_parse_addr(addr, port, &sa, &salen);
	if (rv)
		return rv;
	rv = nb_peer_which(argv[0], exe, sizeof(exe));
	if (rv)
		return rv;
	memcpy(copy, argv, (n + 1) * sizeof(*copy));
	copy[0] = exe;
	args = copy;
	rv = nb_spawn_out(u, c, nsfd, args, 0, out_fd);
	if (rv)
		return rv;
	for (;;) {
		rv = nb_child_poll(c);
		if (rv == 1) {
			rv = nb_fail(-ECHILD, "%s exited before %s:%u opened "
				     "(wait status 0x%x)", c->name, addr, port,
				     c->status);
			break;
		}
		rv = ready == NB_PEER_UDP_BOUND ? udp_port_bound(nsfd, &sa, salen) :
		     ready == NB_PEER_TCP_LISTENING ? tcp_listening(nsfd, port) :
		     port_open(nsfd, &sa, salen);
		if (rv == 1)
			return 0;
		if (rv < 0)
			break;
		if (nb_interrupted()) {
			rv = nb_fail(-EINTR, "interrupted while %s started",
				     c->name);
			break;
		}
		if (nb_now() > end) {
			rv = nb_fail(-ETIMEDOUT, "%s did not open %s %s:%u "
				     "within %d ms", c->name, udp ? "UDP" : "TCP",
				     addr, port, ready_ms);
			break;
		}
		usleep(20000);
	}
	nb_undo_release(u, c->undo_idx);
	return rv;
}

int nb_peer_spawn(struct nb_undo *u, struct nb_child *c, int nsfd,
		  char *const argv[], const char *addr, uint16_t port,
		  int ready_ms)
{
	return nb_peer_spawn_out(u, c, nsfd, argv, addr, port, ready_ms,
				 NB_PEER_TCP_ACCEPTS, -1);
}

int nb_peer_spawn_udp(struct nb_undo *u, struct nb_child *c, int nsfd,
		      char *const argv[], const char *addr, uint16_t port,
		      int ready_ms)
{
	return nb_peer_spawn_out(u, c, nsfd, argv, addr, port, ready_ms,
				 NB_PEER_UDP_BOUND, -1);
}
