/* netbench: libnl error codes as negative errno.
 *
 * libnl-3 returns negative NLE_* codes, not errno. Every module that calls
 * libnl translates at its boundary with nb_nl_errno(), so the rest of
 * netbench keeps one error convention (error.h). */
#ifndef NB_NLERR_H
#define NB_NLERR_H

/* Maps a libnl code (either sign) to a negative errno: 0 for NLE_SUCCESS,
 * -EIO for codes with no errno equivalent. */
int nb_nl_errno(int nlerr);

#endif
