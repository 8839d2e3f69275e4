/* netbench: error convention.
 *
 * Every function of libnetbench returns 0 (or a non-negative count) on
 * success and a negative errno on failure. The human-readable reason of the
 * most recent failure on the calling thread is kept in a thread-local buffer:
 * callers that print an error print nb_lasterr(), one line, no newline.
 */
#ifndef NB_ERROR_H
#define NB_ERROR_H

/* Records a message for the calling thread and returns rv (a negative
 * errno), so that `return nb_fail(-EINVAL, "bad size %s", s);` reads well. */
int nb_fail(int rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). */
const char *nb_lasterr(void);

/* Clears the message of this thread. */
void nb_clearerr(void);

#endif
