/* netbench: the pinned TCP congestion control (see tcp_cc.h). */
#include "tcp_cc.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"

int nb_tcp_cc_set(int fd)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, NB_TCP_CC,
		       strlen(NB_TCP_CC)))
		return nb_fail(-errno, "TCP congestion control %s: %s",
			       NB_TCP_CC, strerror(errno));
	return 0;
}
