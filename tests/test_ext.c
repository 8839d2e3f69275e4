/* netbench: unit tests of ext.c, ext_clients.c, ext_servers.c and the
 * file helpers of ext_run.c: choices on the command line, templates, the
 * recipes' command lines and how their output is read. (The recipes
 * against real programs on real links are the peers suite's
 * <profile>/<proto>/<dir>/<client>-to-<server> cases.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "ext.h"
#include "ext_run.h"

static void t_parse(void **state)
{
	struct nb_ext_choice c;

	(void)state;
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "caddy", &c), 0);
	assert_ptr_equal(c.ext, &nb_ext_caddy);
	assert_string_equal(nb_ext_label(&c), "caddy");
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "netbench", &c), 0);
	assert_null(c.ext);
	assert_string_equal(nb_ext_label(&c), "netbench");
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "iperf3", &c), 0);
	assert_ptr_equal(c.ext, &nb_ext_iperf3_client);
	/* A server's name is no client, and the other way round. */
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "caddy", &c), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "--client: unknown client 'caddy'"));
	assert_non_null(strstr(nb_lasterr(), "chromium"));
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "curl", &c), -EINVAL);
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "", &c), -EINVAL);
	/* Templates must name what they need. */
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "cmd:", &c), -EINVAL);
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "cmd:   ", &c), -EINVAL);
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "cmd:srv {addr}", &c),
			 -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "{port}"));
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "cmd:srv {port} {bogus}",
				      &c), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "{bogus}"));
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "cmd:srv {addr}:{port}",
				      &c), 0);
	assert_ptr_equal(c.ext, &nb_ext_cmd_server);
	assert_string_equal(c.template, "srv {addr}:{port}");
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "cmd:get {url}", &c),
			 -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "{file}"));
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "cmd:get {file}", &c),
			 -EINVAL);
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "cmd:get -o {file} {url}",
				      &c), 0);
	assert_string_equal(nb_ext_label(&c), "cmd");
}

static void t_check(void **state)
{
	struct nb_ext_choice caddy, nghttpd, curl, gtls, chrome, ip_s, ip_c,
		ours = {0};

	(void)state;
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "caddy", &caddy), 0);
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "nghttpd", &nghttpd), 0);
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "curl", &curl), 0);
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "gtlsclient", &gtls), 0);
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "chromium", &chrome), 0);
	assert_int_equal(nb_ext_parse(NB_EXT_SERVER, "iperf3", &ip_s), 0);
	assert_int_equal(nb_ext_parse(NB_EXT_CLIENT, "iperf3", &ip_c), 0);
	/* -EINVAL (bad usage) whatever is installed: */
	assert_int_equal(nb_ext_check(&nghttpd, &ours, &nb_proto_h3), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "nghttpd does not do h3"));
	assert_int_equal(nb_ext_check(&ours, &curl, &nb_proto_h3), -EINVAL);
	assert_int_equal(nb_ext_check(&ours, &gtls, &nb_proto_h2), -EINVAL);
	assert_int_equal(nb_ext_check(&caddy, &ours, &nb_proto_tcp), -EINVAL);
	assert_int_equal(nb_ext_check(&ip_s, &ours, &nb_proto_tcp), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "iperf3 speaks only to iperf3"));
	assert_int_equal(nb_ext_check(&ours, &ip_c, NULL), -EINVAL);
	assert_int_equal(nb_ext_check(&nghttpd, &chrome, &nb_proto_h2), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "serves its page"));
	/* Allowed pairs: 0, or -ENOENT where a program is missing. */
	assert_true(nb_ext_check(&caddy, &chrome, &nb_proto_h3) != -EINVAL);
	assert_true(nb_ext_check(&ip_s, &ip_c, &nb_proto_tcp) != -EINVAL);
	assert_true(nb_ext_check(&ours, &curl, &nb_proto_h1) != -EINVAL);
	assert_int_equal(nb_ext_check(&ours, &ours, &nb_proto_h3), 0);
}

static void t_expand(void **state)
{
	static const char *const names[] = {"url", "file"};
	static const char *const vars[] = {"https://a/b c", "/tmp/x"};
	struct nb_argv *a = malloc(sizeof(*a));

	(void)state;
	assert_int_equal(nb_ext_expand("  get  -o {file}  '{url}' \"x y\"{file} ",
				       names, vars, 2, a), 0);
	assert_int_equal(a->n, 5);
	assert_string_equal(a->v[0], "get");
	assert_string_equal(a->v[1], "-o");
	assert_string_equal(a->v[2], "/tmp/x");
	/* A value with a blank stays one word. */
	assert_string_equal(a->v[3], "https://a/b c");
	assert_string_equal(a->v[4], "x y/tmp/x");
	assert_null(a->v[5]);
	assert_int_equal(nb_ext_expand("-w %{{t}} {{{url}}}", names, vars, 2, a),
			 0);
	assert_int_equal(a->n, 3);
	assert_string_equal(a->v[0], "-w");
	assert_string_equal(a->v[1], "%{t}");
	assert_string_equal(a->v[2], "{https://a/b c}");
	assert_int_equal(nb_ext_expand("'' x", names, vars, 2, a), 0);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->v[0], "");
	assert_int_equal(nb_ext_expand("get 'x", names, vars, 2, a), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "unterminated '"));
	assert_int_equal(nb_ext_expand("get {url", names, vars, 2, a), -EINVAL);
	assert_int_equal(nb_ext_expand("get {size}", names, vars, 2, a), -EINVAL);
	assert_non_null(strstr(nb_lasterr(), "{size}"));
	free(a);
}

static void t_argv_limits(void **state)
{
	struct nb_argv *a = malloc(sizeof(*a));
	char big[5000];

	(void)state;
	nb_argv_init(a);
	for (int i = 0; i < NB_ARGV_MAX; i++)
		assert_int_equal(nb_argv_add(a, "w%d", i), 0);
	assert_int_equal(nb_argv_add(a, "one too many"), -E2BIG);
	assert_null(a->v[NB_ARGV_MAX]);
	nb_argv_init(a);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(nb_argv_add(a, "%s", big), 0);
	assert_int_equal(nb_argv_add(a, "%s", big), -E2BIG);
	assert_int_equal(a->n, 1);
	free(a);
}

/* A context as the fixture fills it. */
static void ctx(struct nb_ext_ctx *x, const struct nb_proto *p, enum nb_dir d)
{
	memset(x, 0, sizeof(*x));
	x->proto = p;
	x->dir = d;
	x->size = 1234567;
	x->addr = "10.77.0.2";
	x->port = 4443;
	x->sink_port = 4444;
	x->tmpdir = "/tmp";
	assert_int_equal(nb_ext_ctx_fill(x), 0);
}

static bool has_word(const struct nb_argv *a, const char *w)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], w))
			return true;
	return false;
}

static void t_curl(void **state)
{
	struct nb_ext_cmd *cmd = calloc(1, sizeof(*cmd));
	struct nb_ext_ctx x;
	uint64_t bytes;
	double s;

	(void)state;
	ctx(&x, &nb_proto_h2, NB_DOWNLOAD);
	assert_string_equal(x.url, "https://10.77.0.2:4443/bytes/1234567");
	nb_argv_init(&cmd->argv);
	assert_int_equal(nb_ext_curl.command(&x, cmd), 0);
	assert_true(has_word(&cmd->argv, "--http2"));
	assert_true(has_word(&cmd->argv, x.url));
	assert_true(has_word(&cmd->argv, cmd->file));
	assert_false(has_word(&cmd->argv, "-T"));
	assert_int_equal(nb_ext_curl.seconds(&x, "body\nnetbench-curl "
		"pretransfer=0.120 total=3.370 version=2 down=1234567 up=0\n",
		&s, &bytes), 0);
	assert_float_equal(s, 3.25, 1e-9);
	assert_int_equal(bytes, 1234567);
	/* HTTP/1.1 where h2 was asked for is no h2 measurement. */
	assert_int_equal(nb_ext_curl.seconds(&x, "netbench-curl "
		"pretransfer=0.1 total=3 version=1.1 down=1 up=0\n", &s,
		&bytes), -EPROTO);
	assert_int_equal(nb_ext_curl.seconds(&x, "curl: (7) refused", &s,
					     &bytes), -ENOENT);
	ctx(&x, &nb_proto_h1, NB_UPLOAD);
	assert_string_equal(x.url, "https://10.77.0.2:4443/upload");
	nb_argv_init(&cmd->argv);
	assert_int_equal(nb_ext_curl.command(&x, cmd), 0);
	assert_true(has_word(&cmd->argv, "--http1.1"));
	assert_true(has_word(&cmd->argv, "-T"));
	assert_true(has_word(&cmd->argv, "Expect:"));
	assert_string_equal(cmd->answer, "/tmp/answer");
	assert_int_equal(nb_ext_curl.seconds(&x, "{\"bytes\":5}\nnetbench-curl "
		"pretransfer=1 total=2.5 version=1.1 down=10 up=1234567\n",
		&s, &bytes), 0);
	assert_float_equal(s, 1.5, 1e-9);
	assert_int_equal(bytes, 1234567);
	free(cmd);
}

static void t_iperf3(void **state)
{
	struct nb_ext_cmd *cmd = calloc(1, sizeof(*cmd));
	struct nb_ext_ctx x;
	uint64_t bytes;
	double s;

	(void)state;
	ctx(&x, &nb_proto_tcp, NB_DOWNLOAD);
	nb_argv_init(&cmd->argv);
	assert_int_equal(nb_ext_iperf3_client.command(&x, cmd), 0);
	assert_true(has_word(&cmd->argv, "--reverse"));
	assert_true(has_word(&cmd->argv, "1234567"));
	assert_true(has_word(&cmd->argv, "1240"));
	assert_true(has_word(&cmd->argv, "cubic"));
	assert_int_equal(nb_ext_iperf3_client.seconds(&x,
		"{\"start\":{},\"end\":{\"sum_sent\":{\"seconds\":3.1,"
		"\"bytes\":1234567},\"sum_received\":{\"seconds\":3.05,"
		"\"bytes\":1234567.0}}}\n", &s, &bytes), 0);
	assert_float_equal(s, 3.05, 1e-9);
	assert_int_equal(bytes, 1234567);
	assert_int_equal(nb_ext_iperf3_client.seconds(&x,
		"{\"start\":{},\"end\":{},\"error\":\"unable to connect\"}",
		&s, &bytes), -ENOENT);
	assert_non_null(strstr(nb_lasterr(), "unable to connect"));
	assert_int_equal(nb_ext_iperf3_client.seconds(&x, "garbage", &s,
						      &bytes), -ENOENT);
	free(cmd);
}

static void t_cmd_client(void **state)
{
	struct nb_ext_cmd *cmd = calloc(1, sizeof(*cmd));
	struct nb_ext_ctx x;
	uint64_t bytes;
	double s;

	(void)state;
	ctx(&x, &nb_proto_h3, NB_DOWNLOAD);
	x.template = "get --size {size} -o {file} {url}";
	nb_argv_init(&cmd->argv);
	assert_int_equal(nb_ext_cmd_client.command(&x, cmd), 0);
	assert_int_equal(cmd->argv.n, 6);
	assert_string_equal(cmd->argv.v[2], "1234567");
	assert_string_equal(cmd->argv.v[4], "/tmp/download");
	assert_string_equal(cmd->argv.v[5], x.url);
	assert_int_equal(nb_ext_cmd_client.seconds(&x, "x\nNETBENCH_SECONDS=2.5\n",
						   &s, &bytes), 0);
	assert_float_equal(s, 2.5, 1e-9);
	assert_int_equal(bytes, UINT64_MAX);
	/* Only at the start of a line, and only a positive number. */
	assert_int_equal(nb_ext_cmd_client.seconds(&x, "echo NETBENCH_SECONDS=2",
						   &s, &bytes), -ENOENT);
	assert_int_equal(nb_ext_cmd_client.seconds(&x, "NETBENCH_SECONDS=-1\n",
						   &s, &bytes), -EPROTO);
	assert_int_equal(nb_ext_cmd_client.seconds(&x, "NETBENCH_SECONDS=2s\n",
						   &s, &bytes), -EPROTO);
	free(cmd);
}

static void t_servers(void **state)
{
	struct nb_ext_cmd *cmd = calloc(1, sizeof(*cmd));
	char dir[] = "/tmp/test_ext-XXXXXX", path[300], buf[4096];
	struct nb_ext_ctx x;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ctx(&x, &nb_proto_h3, NB_UPLOAD);
	x.tmpdir = dir;
	nb_argv_init(&cmd->argv);
	assert_int_equal(nb_ext_gtlsserver.command(&x, cmd), 0);
	assert_int_equal(cmd->ready, NB_PEER_UDP_BOUND);
	assert_true(has_word(&cmd->argv, "4443"));
	/* caddy: a JSON configuration as the seed's, h3 alone, the proxy to
	 * our server on the sink port. */
	nb_argv_init(&cmd->argv);
	cmd->ready = NB_PEER_TCP_ACCEPTS;
	assert_int_equal(nb_ext_caddy.command(&x, cmd), 0);
	assert_int_equal(cmd->ready, NB_PEER_UDP_BOUND);
	snprintf(path, sizeof(path), "%s/caddy.json", dir);
	assert_true(has_word(&cmd->argv, path));
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"disabled\": true"));
	assert_non_null(strstr(buf, "\"h3\""));
	assert_null(strstr(buf, "\"h2\""));
	assert_non_null(strstr(buf, "10.77.0.2:4444"));
	assert_non_null(strstr(buf, "\"session_tickets\""));
	assert_non_null(strstr(buf, "no-store"));
	unlink(path);
	nb_argv_init(&cmd->argv);
	x.template = "srv -l {addr}:{port} --root {root}";
	assert_int_equal(nb_ext_cmd_server.command(&x, cmd), 0);
	assert_int_equal(cmd->argv.n, 5);
	assert_string_equal(cmd->argv.v[2], "10.77.0.2:4443");
	assert_string_equal(cmd->argv.v[4], x.root);
	rmdir(dir);
	free(cmd);
}

static void t_payload_file(void **state)
{
	char path[] = "/tmp/test_ext-payload-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(nb_ext_write_payload(path, 200003), 0);
	assert_int_equal(nb_ext_check_payload(path, 200003), 0);
	assert_int_equal(nb_ext_check_payload(path, 200004), -EBADMSG);
	assert_non_null(strstr(nb_lasterr(), "200003 bytes, not 200004"));
	/* One byte changed. */
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "\x00\x01", 2, 99999), 2);
	close(fd);
	assert_int_equal(nb_ext_check_payload(path, 200003), -EBADMSG);
	assert_non_null(strstr(nb_lasterr(), "at byte 999"));
	unlink(path);
	assert_true(nb_ext_check_payload(path, 1) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse),
		cmocka_unit_test(t_check),
		cmocka_unit_test(t_expand),
		cmocka_unit_test(t_argv_limits),
		cmocka_unit_test(t_curl),
		cmocka_unit_test(t_iperf3),
		cmocka_unit_test(t_cmd_client),
		cmocka_unit_test(t_servers),
		cmocka_unit_test(t_payload_file),
	};

	return cmocka_run_group_tests_name("ext", tests, NULL, NULL);
}
