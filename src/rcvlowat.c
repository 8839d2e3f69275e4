/* netbench: the receive low-water mark (see rcvlowat.h). */
#include "rcvlowat.h"

#include <sys/socket.h>

/* The least and the most of the mark, and how often the socket's receive
 * buffer is looked at again. */
#define LOWAT_MIN 16384
#define LOWAT_MAX (256 * 1024)
#define LOWAT_RECHECK (256 * 1024)
/* Body bytes that may sit in gnutls already (a partial record) plus
 * margin: within this much of the end the mark is 1 again, so that the
 * end of the body is never waited for. */
#define LOWAT_TAIL (2 * (16384 + 256))

void nb_lowat_update(int fd, struct nb_lowat *l, uint64_t off, uint64_t left)
{
	int rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);

	if (l->tail)
		return;
	if (left <= (uint64_t)l->want + LOWAT_TAIL) {
		l->want = 1;
		l->tail = true;
		return;
	}
	if (off < l->next)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len))
		return;
	/* About a round trip's worth of data before the next look. */
	l->next = off + ((uint64_t)rcvbuf / 2 > LOWAT_RECHECK ?
			 (uint64_t)rcvbuf / 2 : LOWAT_RECHECK);
	if (rcvbuf > l->rcvbuf) {
		/* Autotuning still grows the buffer: the connection is
		 * ramping up, and a mark would slow it down. */
		l->rcvbuf = rcvbuf;
		l->want = 1;
		return;
	}
	l->want = rcvbuf / 8;
	if (l->want < LOWAT_MIN)
		l->want = LOWAT_MIN;
	if (l->want > LOWAT_MAX)
		l->want = LOWAT_MAX;
	if (left <= (uint64_t)l->want + LOWAT_TAIL)
		l->want = 1;
}

void nb_lowat_set(int fd, struct nb_lowat *l, int v)
{
	if (v != l->set &&
	    !setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)))
		l->set = v;
}
