/* netbench: thread-local error messages (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char lasterr[512];

int nb_fail(int rv, const char *fmt, ...)
{
	char buf[sizeof(lasterr)];
	va_list ap;

	/* Through a copy: the arguments may include nb_lasterr() itself. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(lasterr, buf, sizeof(lasterr));
	return rv;
}

const char *nb_lasterr(void)
{
	return lasterr;
}

void nb_clearerr(void)
{
	lasterr[0] = '\0';
}
