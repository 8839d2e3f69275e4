/* netbench: headless Chromium for the tests (tests/chromium_testutil.c):
 * Debian's /usr/bin/chromium started in a process group of its own with
 * its home, profile, caches and temp files in a directory of the test's,
 * waited for with a time limit, then killed as a whole, leftovers
 * included (its crash handler leaves the group: it is found by the
 * directory its command line names).
 *
 * What Chromium does with these flags is told at the top of
 * chromium_testutil.c.
 */
#ifndef NB_CHROMIUM_TESTUTIL_H
#define NB_CHROMIUM_TESTUTIL_H

#include <stdbool.h>
#include <sys/types.h>

#define CHROMIUM "/usr/bin/chromium"

struct chromium {
	pid_t pid;                 /* its process group too */
	bool exited;               /* seen to exit (not reaped yet) */
	char dir[256];             /* home, profile, caches, chromium.err */
};

/* Whether the browser is installed. */
bool chromium_present(void);

/* Starts CHROMIUM with the flags every test wants (--headless
 * --no-sandbox --disable-gpu --user-data-dir=<dir>/profile and those
 * that keep it from talking to the outside), then args (NULL-terminated),
 * in this thread's network namespace, in a process group of its own;
 * HOME, TMPDIR and XDG_* point into dir; stdout to out (a path; NULL:
 * /dev/null), stderr appended to <dir>/chromium.err. Fails the test if it
 * cannot be started. */
void chromium_start(struct chromium *c, const char *dir,
		    const char *const args[], const char *out);

/* Waits up to timeout_s for it to exit, without reaping it (its pid and
 * group stay reserved). Returns whether it exited. */
bool chromium_wait(struct chromium *c, double timeout_s);

/* SIGKILLs its process group, reaps it, then waits up to 10 s for the
 * processes that left the group (those naming c->dir) to go, SIGKILLing
 * what remains. Returns its wait status; *strays (may be NULL) gets how
 * many processes outside the group named c->dir when the group was
 * killed. */
int chromium_stop(struct chromium *c, int *strays);

/* The processes (not this one) whose command line names dir: how many;
 * with `print`, one line each on stderr (pid, ppid, pgid, sid, name,
 * --type). */
int chromium_procs(const char *dir, bool print);

/* The end (at most 2000 bytes) of <dir>/chromium.err, malloc'd. */
char *chromium_err_tail(const char *dir);

#endif
