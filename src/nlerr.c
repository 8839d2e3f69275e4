/* netbench: libnl error codes as negative errno (see nlerr.h). */
#include "nlerr.h"

#include <errno.h>
#include <stdlib.h>

#include <netlink/errno.h>

int nb_nl_errno(int nlerr)
{
	switch (abs(nlerr)) {
	case NLE_SUCCESS:	return 0;
	case NLE_EXIST:		return -EEXIST;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_BUSY:		return -EBUSY;
	case NLE_NODEV:		return -ENODEV;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_INTR:		return -EINTR;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	case NLE_BAD_SOCK:	return -EBADF;
	default:		return -EIO;
	}
}
