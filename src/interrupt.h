/* netbench: interruption (SIGINT/SIGTERM) as seen by long-running loops.
 *
 * The command installs handlers (nb_interrupt_install) that only set a flag;
 * every loop that can run for more than ~100 ms polls with a timeout of at
 * most NB_POLL_MS and gives up with -EINTR when nb_interrupted() is true, so
 * that `netbench run` tears down and exits 130 within a second of ^C.
 */
#ifndef NB_INTERRUPT_H
#define NB_INTERRUPT_H

#include <signal.h>
#include <stdbool.h>

#define NB_POLL_MS 100

extern volatile sig_atomic_t nb_interrupt_signal;

static inline bool nb_interrupted(void)
{
	return nb_interrupt_signal != 0;
}

/* Installs SIGINT and SIGTERM handlers (no SA_RESTART) that record the
 * signal number; ignores SIGPIPE. Errors: negative errno. */
int nb_interrupt_install(void);

#endif
