/* Test helper: runs the netbench binary ($NETBENCH_EXE) as a user would
 * and keeps its exit code, stdout and stderr. */
#ifndef NB_CMD_TESTUTIL_H
#define NB_CMD_TESTUTIL_H

#include <sys/types.h>

struct cmd_out {
	int code;            /* exit status, 128 + signal when killed */
	char text[65536];    /* stdout (the start of it) */
	char err[8192];      /* stderr */
};

/* Runs netbench with the NULL-terminated arguments, with `env` ("NAME=
 * value", or NULL) added to its environment. Fails the test when it
 * cannot start. */
void cmd_run(struct cmd_out *o, const char *env, ...);

/* As cmd_run, the program `exe` run as uid:gid (no supplementary
 * groups), without an added environment. */
void cmd_run_as(struct cmd_out *o, uid_t uid, gid_t gid, const char *exe, ...);

/* Lines in s. */
int cmd_lines(const char *s);

/* Fails the test unless the command exited 2 with one line on stderr
 * holding `needle`. */
void cmd_bad(const struct cmd_out *o, const char *needle);

/* Fails the test unless the command exited `code` with one line on
 * stderr holding `needle`. */
void cmd_fails(const struct cmd_out *o, int code, const char *needle);

#endif
