/* netbench: helpers of the tests against real peers (see
 * peer_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "goodput.h"
#include "netns.h"
#include "payload.h"
#include "peer.h"
#include "peer_testutil.h"
#include "profile.h"
#include "testutil.h"
#include "tls.h"
#include "tmproot.h"

void release_tree(void *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (const char *)arg);
	if (system(cmd))
		fprintf(stderr, "peers: could not remove %s\n", (char *)arg);
}

int write_payload(const char *path, uint64_t size, uint64_t corrupt_at)
{
	static uint8_t buf[1 << 16];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		nb_payload_fill(buf, off, n);
		if (corrupt_at >= off && corrupt_at < off + n)
			buf[corrupt_at - off] ^= 1;
		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
		off += n;
	}
	return close(fd) ? -errno : 0;
}

void check_payload_file(const char *path, uint64_t size)
{
	static uint8_t buf[1 << 16];
	uint64_t off = 0, bad;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (nb_payload_check(buf, off, (size_t)n, &bad))
			fail_msg("%s: payload mismatch at byte %llu", path,
				 (unsigned long long)bad);
		off += (uint64_t)n;
	}
	close(fd);
	assert_int_equal(off, size);
}

int write_caddyfile(const char *path, const char *protocols,
		    const char *addr, int port, int upstream_port,
		    const char *cert, const char *key, const char *ca,
		    const char *root)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f,
		"{\n\tadmin off\n"
		/* Our clients connect to an IP literal and send no SNI
		 * (RFC 6066 has no IP names); caddy's QUIC listener then
		 * finds no certificate and fails the handshake with
		 * internal_error. The seed's caddy sets the same. */
		"\tdefault_sni localhost\n"
		"\tauto_https disable_redirects\n"
		"\tservers {\n\t\tprotocols %s\n\t}\n}\n"
		"https://%s:%d {\n"
		"\ttls %s %s\n"
		"\theader Cache-Control \"no-store, no-cache, must-revalidate\"\n"
		"\thandle /upload {\n"
		"\t\treverse_proxy https://%s:%d {\n"
		"\t\t\ttransport http {\n\t\t\t\ttls_trusted_ca_certs %s\n"
		"\t\t\t}\n\t\t}\n\t}\n"
		"\thandle {\n\t\troot * %s/htdocs\n\t\tfile_server\n\t}\n}\n",
		protocols, addr, port, cert, key, addr, upstream_port, ca,
		root);
	return fclose(f) ? -errno : 0;
}

void run_cmd(char *const argv[], struct cmd_result *res)
{
	int p[2], status;
	struct rusage ru;
	double t0 = nb_now();
	size_t got = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		ssize_t n;

		if (nb_now() - t0 > CMD_TIMEOUT_S) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = read(p[0], res->out + got, sizeof(res->out) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	res->wall_s = nb_now() - t0;
	res->status = status;
	res->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("%s exited with status 0x%x; output: %s", argv[0],
			 status, res->out);
}


int peer_prepare(const char *name, const char *const need[], size_t n)
{
	char path[4096];
	int rv;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || !nb_tmproot()) {
		fprintf(stderr, "%s: cannot set up the process\n", name);
		return 99;
	}
	rv = nb_test_require_links(name);
	if (rv)
		return rv;
	for (size_t i = 0; i < n; i++) {
		if (nb_peer_which(need[i], path, sizeof(path))) {
			fprintf(stderr, "%s: skipped: %s\n", name, nb_lasterr());
			return 77;
		}
	}
	return 0;
}

int peer_group_setup(struct peer_env *pe, const char *name, unsigned size,
		     int (*start)(void))
{
	struct nb_link_opts lo = {0};
	char path[400];
	int rv;

	nb_undo_init(&pe->u);
	snprintf(pe->dir, sizeof(pe->dir), "%s/%s-XXXXXX", nb_tmproot(), name);
	if (!mkdtemp(pe->dir))
		return -1;
	rv = nb_undo_push(&pe->u, NB_RES_TEMPFILE, 0, release_tree, pe->dir,
			  "%s", pe->dir);
	if (rv < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/htdocs", pe->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/htdocs/bytes", pe->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/htdocs/bytes/%u", pe->dir, size);
	if (write_payload(path, size, UINT64_MAX) ||
	    nb_certs_path("ca.pem", pe->ca, sizeof(pe->ca)) ||
	    nb_certs_path("server.pem", pe->cert, sizeof(pe->cert)) ||
	    nb_certs_path("server.key", pe->key, sizeof(pe->key)))
		goto fail;
	if (nb_link_up(&pe->u, &pe->l, nb_profile_find("unthrottled"), &lo) ||
	    start() || nb_netns_enter(pe->l.ns[NB_CLIENT], &pe->saved))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "%s: setup: %s\n", name, nb_lasterr());
	nb_undo_unwind(&pe->u);
	return -1;
}

int peer_group_teardown(struct peer_env *pe)
{
	nb_netns_leave(pe->saved);
	nb_undo_unwind(&pe->u);
	return 0;
}

int peer_spawn_serve(struct peer_env *pe, struct nb_child *c,
		     const char *proto, int port)
{
	char listen[64];
	char *argv[] = {(char *)nb_self_exe(), "serve", "--proto",
			(char *)proto, "--listen", listen, "--ready-fd", "3",
			NULL};

	snprintf(listen, sizeof(listen), "%s:%d", NB_LINK_SERVER_ADDR, port);
	return nb_spawn(&pe->u, c, pe->l.ns[NB_SERVER], argv, 5000);
}

int peer_spawn_caddy(struct peer_env *pe, struct nb_child *c,
		     const char *protocols, int port, int upstream_port,
		     bool udp)
{
	char caddyfile[300];
	char *argv[] = {"caddy", "run", "--config", caddyfile, "--adapter",
			"caddyfile", NULL};
	int rv;

	snprintf(caddyfile, sizeof(caddyfile), "%s/Caddyfile", pe->dir);
	rv = write_caddyfile(caddyfile, protocols, NB_LINK_SERVER_ADDR, port,
			     upstream_port, pe->cert, pe->key, pe->ca, pe->dir);
	if (rv)
		return rv;
	/* caddy wants a writable home for its data and config. */
	setenv("HOME", pe->dir, 1);
	setenv("XDG_DATA_HOME", pe->dir, 1);
	setenv("XDG_CONFIG_HOME", pe->dir, 1);
	return (udp ? nb_peer_spawn_udp : nb_peer_spawn)(&pe->u, c,
			pe->l.ns[NB_SERVER], argv, NB_LINK_SERVER_ADDR, port, 10000);
}
