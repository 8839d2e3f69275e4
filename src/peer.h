/* netbench: external programs at either end of a link (nghttpd, caddy,
 * curl, ...), which know nothing of netbench's readiness pipe.
 */
#ifndef NB_PEER_H
#define NB_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nb_child;
struct nb_undo;

/* Spawns argv (argv[0] a path, or a name looked up in PATH) in the
 * namespace nsfd like nb_spawn, and waits up to ready_ms until a TCP
 * connection to addr:port, made from that namespace, is accepted.
 * Registered as nb_spawn registers. Errors: -ENOENT (no such program),
 * -ECHILD (it exited first; nb_lasterr() has its status), -ETIMEDOUT (the
 * port never opened: the peer is stopped), -EINTR, negative errno. */
int nb_peer_spawn(struct nb_undo *u, struct nb_child *c, int nsfd,
		  char *const argv[], const char *addr, uint16_t port,
		  int ready_ms);

/* As nb_peer_spawn, for a server on UDP (QUIC): it is ready once addr:port
 * is bound in the namespace. Errors as nb_peer_spawn. */
int nb_peer_spawn_udp(struct nb_undo *u, struct nb_child *c, int nsfd,
		      char *const argv[], const char *addr, uint16_t port,
		      int ready_ms);

/* When a peer counts as ready. */
enum nb_peer_ready {
	NB_PEER_TCP_ACCEPTS,     /* a connection to it is accepted */
	NB_PEER_TCP_LISTENING,   /* it listens (seen in /proc, no connection) */
	NB_PEER_UDP_BOUND,       /* its UDP port is bound */
};

/* The two above in one, with the peer's stdout and stderr on out_fd (-1:
 * the runner's). Errors as nb_peer_spawn. */
int nb_peer_spawn_out(struct nb_undo *u, struct nb_child *c, int nsfd,
		      char *const argv[], const char *addr, uint16_t port,
		      int ready_ms, enum nb_peer_ready ready, int out_fd);

/* The full path of a program found in PATH into buf, or -ENOENT. */
int nb_peer_which(const char *name, char *buf, size_t len);

#endif
