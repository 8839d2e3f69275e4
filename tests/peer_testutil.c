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
#include <sys/wait.h>
#include <unistd.h>

#include "goodput.h"
#include "payload.h"
#include "peer_testutil.h"

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

