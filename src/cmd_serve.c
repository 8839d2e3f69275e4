/* netbench: `netbench serve --proto PROTO --listen ADDR:PORT [--ready-fd FD]
 *                          [--cert PEM --key PEM] [--cc ALGO]
 *                          [--results-file PATH]`
 *
 * The server a case starts in its server namespace. It says "READY\n" on
 * the readiness fd once it listens, and exits 0 on SIGTERM or SIGINT. The
 * TLS protocols use certs/server.pem and server.key unless --cert/--key.
 * --cc chooses h3's congestion control: cubic (default), reno, bbr, bbr2.
 * --results-file (h1, h2, h3) is where POST /result bodies and the records
 * of uploads go (http_target.h), opened at start in append mode (created
 * if need be); a file that cannot be opened is a usage error (exit 2). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "interrupt.h"
#include "proto.h"
#include "quic.h"

int nb_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"proto", required_argument, NULL, 'P'},
		{"listen", required_argument, NULL, 'l'},
		{"ready-fd", required_argument, NULL, 'r'},
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"cc", required_argument, NULL, 'C'},
		{"results-file", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct nb_serve_opts so = {.ready_fd = -1, .results_fd = -1};
	const struct nb_proto *proto = NULL;
	char addr[64] = "";
	unsigned long long fd;
	ngtcp2_cc_algo cc;
	int c, rv;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":P:l:", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			proto = nb_proto_find(optarg);
			if (!proto)
				goto bad;
			break;
		case 'l':
			if (nb_parse_hostport("--listen", optarg, addr,
					      sizeof(addr), &so.port))
				goto bad;
			break;
		case 'r':
			if (nb_parse_uint("--ready-fd", optarg, 0, 1023, &fd))
				goto bad;
			so.ready_fd = (int)fd;
			break;
		case 'c':
			so.cert = optarg;
			break;
		case 'k':
			so.key = optarg;
			break;
		case 'C':
			if (nb_quic_cc_parse(optarg, &cc))
				goto bad;
			so.cc = optarg;
			break;
		case 'R':
			so.results_file = optarg;
			break;
		default:
			nb_getopt_error(c, argv, NULL);
			goto bad;
		}
	}
	if (nb_getopt_done(argc, argv))
		goto bad;
	if (!so.cert != !so.key) {
		nb_errorf("serve: --cert and --key go together");
		return NB_EXIT_USAGE;
	}
	/* Unreadable material is bad input, told before anything listens. */
	for (int i = 0; so.cert && i < 2; i++) {
		const char *path = i ? so.key : so.cert;

		if (access(path, R_OK)) {
			nb_errorf("serve: %s %s: %s", i ? "--key" : "--cert", path,
				  strerror(errno));
			return NB_EXIT_USAGE;
		}
	}
	if (!proto || !addr[0]) {
		nb_errorf("serve: --proto and --listen are required "
			  "(e.g. --proto tcp --listen 10.77.0.2:5201)");
		return NB_EXIT_USAGE;
	}
	if (so.cc && proto != &nb_proto_h3) {
		nb_errorf("serve: --cc applies to --proto h3 only");
		return NB_EXIT_USAGE;
	}
	if (so.results_file && proto == &nb_proto_tcp) {
		nb_errorf("serve: --results-file applies to h1, h2 and h3");
		return NB_EXIT_USAGE;
	}
	so.addr = addr;
	if (so.results_file) {
		so.results_fd = open(so.results_file, O_WRONLY | O_APPEND |
				     O_CREAT | O_CLOEXEC, 0644);
		if (so.results_fd < 0) {
			nb_errorf("serve: --results-file %s: %s",
				  so.results_file, strerror(errno));
			return NB_EXIT_USAGE;
		}
	}
	if (nb_interrupt_install()) {
		nb_errorf("serve: cannot install signal handlers");
		rv = NB_EXIT_FAIL;
	} else if (proto->serve(&so)) {
		nb_errorf("serve: %s", nb_lasterr());
		rv = NB_EXIT_FAIL;
	} else {
		rv = NB_EXIT_OK;
	}
	if (so.results_fd >= 0)
		close(so.results_fd);
	return rv;
bad:
	nb_errorf("serve: %s", nb_lasterr());
	return NB_EXIT_USAGE;
}
