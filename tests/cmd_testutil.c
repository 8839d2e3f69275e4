/* Test helper: the netbench binary as a user runs it (cmd_testutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
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

void cmd_run(struct cmd_out *o, const char *env, ...)
{
	char *argv[32] = {(char *)nb_self_exe()};
	int po[2], pe[2], status, i = 1;
	va_list ap;
	pid_t pid;

	assert_non_null(argv[0]);
	va_start(ap, env);
	while (i < 31 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (env)
			putenv((char *)env);
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

int cmd_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void cmd_bad(const struct cmd_out *o, const char *needle)
{
	if (o->code != 2 || cmd_lines(o->err) != 1 || !strstr(o->err, needle))
		fail_msg("expected exit 2 and one line with \"%s\"; got exit %d:\n%s",
			 needle, o->code, o->err);
}
