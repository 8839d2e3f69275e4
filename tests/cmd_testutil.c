/* Test helper: the netbench binary as a user runs it (cmd_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_testutil.h"
#include "spawn.h"

static void slurp(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len && (n = read(fd, buf + got, len - got - 1)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

/* Runs argv (argv[0] a path) with env added, as uid:gid when uid is not
 * (uid_t)-1, into o. */
static void run_argv(struct cmd_out *o, const char *env, uid_t uid, gid_t gid,
		     char *argv[])
{
	int po[2], pe[2], status;
	pid_t pid;

	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (env)
			putenv((char *)env);
		if (uid != (uid_t)-1 &&
		    (setgroups(0, NULL) || setgid(gid) || setuid(uid)))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* stdout to its end first: stderr holds a line or two. */
	slurp(po[0], o->text, sizeof(o->text));
	slurp(pe[0], o->err, sizeof(o->err));
	close(po[0]);
	close(pe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	o->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* argv[1..] from the NULL-terminated arguments in ap (at most 30). */
static void argv_from(char *argv[32], va_list ap)
{
	int i = 1;

	while (i < 31 && (argv[i] = va_arg(ap, char *)))
		i++;
	argv[i] = NULL;
}

void cmd_run(struct cmd_out *o, const char *env, ...)
{
	char *argv[32] = {(char *)nb_self_exe()};
	va_list ap;

	assert_non_null(argv[0]);
	va_start(ap, env);
	argv_from(argv, ap);
	va_end(ap);
	run_argv(o, env, (uid_t)-1, 0, argv);
}

void cmd_run_as(struct cmd_out *o, uid_t uid, gid_t gid, const char *exe, ...)
{
	char *argv[32] = {(char *)exe};
	va_list ap;

	va_start(ap, exe);
	argv_from(argv, ap);
	va_end(ap);
	run_argv(o, NULL, uid, gid, argv);
}

int cmd_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void cmd_bad(const struct cmd_out *o, const char *needle)
{
	cmd_fails(o, 2, needle);
}

void cmd_fails(const struct cmd_out *o, int code, const char *needle)
{
	if (o->code != code || cmd_lines(o->err) != 1 || !strstr(o->err, needle))
		fail_msg("expected exit %d and one line with \"%s\"; got exit "
			 "%d:\n%s", code, needle, o->code, o->err);
}
