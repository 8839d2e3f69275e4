/* Test helper: runs the netbench binary ($NETBENCH_EXE) as a user would
 * and keeps its exit code, stdout and stderr. */
#ifndef NB_CMD_TESTUTIL_H
#define NB_CMD_TESTUTIL_H

struct cmd_out {
	int code;            /* exit status, 128 + signal when killed */
	char text[65536];    /* stdout (the start of it) */
	char err[8192];      /* stderr */
};

/* Runs netbench with the NULL-terminated arguments, with `env` ("NAME=
 * value", or NULL) added to its environment. Fails the test when it
 * cannot start. */
void cmd_run(struct cmd_out *o, const char *env, ...);

/* Lines in s. */
int cmd_lines(const char *s);

/* Fails the test unless the command exited 2 with one line on stderr
 * holding `needle`. */
void cmd_bad(const struct cmd_out *o, const char *needle);

#endif
