/* netbench: interruption flag (see interrupt.h). */
#include "interrupt.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t nb_interrupt_signal;

static void on_signal(int sig)
{
	nb_interrupt_signal = sig;
}

int nb_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL))
		return -errno;
	return 0;
}
