/* netbench: the undo stack, the ledger of everything a case acquires.
 *
 * Every acquisition is followed at once by nb_undo_push(), which records what
 * was acquired (kind, identity, description), where (file:line of the push,
 * i.e. of the acquisition) and how to release it. Teardown unwinds the stack
 * in LIFO order. Records stay in the ledger after they are released, so that
 * the environment guard (envcheck.h) can name the origin of anything that the
 * operating system still shows after teardown, and can restore it with the
 * recorded release function.
 *
 * A stack holds at most NB_UNDO_MAX records; entries are addressed by index
 * (stable for the life of the stack).
 */
#ifndef NB_UNDO_H
#define NB_UNDO_H

#include <stdbool.h>
#include <stddef.h>

enum nb_res_kind {
	NB_RES_THREAD,   /* id = tid */
	NB_RES_PROCESS,  /* id = pid (a child, alive or zombie) */
	NB_RES_FD,       /* id = fd number */
	NB_RES_QDISC,    /* id = ifindex, id2 = netns inode */
	NB_RES_NETNS,    /* id = netns inode */
	NB_RES_TEMPFILE, /* id = 0, what = path */
	NB_RES_OTHER,    /* anything else with an undo (id free) */
};

#define NB_UNDO_MAX 128

typedef void (*nb_release_fn)(void *arg);

struct nb_undo_entry {
	enum nb_res_kind kind;
	long long id;
	unsigned long long id2;
	char what[160];       /* "thread \"tcp-client\"", "/tmp/x", ... */
	const char *file;     /* origin: where it was acquired */
	int line;
	nb_release_fn release;
	void *arg;
	bool released;        /* release has run */
	bool forgotten;       /* test hook: skipped by unwind, see nb_undo_forget */
};

struct nb_undo {
	struct nb_undo_entry e[NB_UNDO_MAX];
	size_t n;
};

void nb_undo_init(struct nb_undo *u);

/* Records an acquisition. Returns the entry's index (>= 0), or -ENOSPC when
 * the stack is full; in that case the caller must release what it acquired
 * itself. */
int nb_undo_push_at(struct nb_undo *u, const char *file, int line,
		    enum nb_res_kind kind, long long id, nb_release_fn release,
		    void *arg, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

#define nb_undo_push(u, kind, id, release, arg, ...)                           \
	nb_undo_push_at((u), __FILE__, __LINE__, (kind), (id), (release),      \
			(arg), __VA_ARGS__)

/* Releases one entry now, out of LIFO order (e.g. joining a client thread as
 * soon as the transfer is over). Idempotent. */
void nb_undo_release(struct nb_undo *u, int idx);

/* Releases every entry not yet released, newest first. */
void nb_undo_unwind(struct nb_undo *u);

/* Test hook for the guard's self-tests: marks an entry as forgotten, the way
 * a code path that never releases what it acquired behaves. nb_undo_unwind()
 * skips it; its record (origin, release) stays for the guard. Never called by
 * netbench itself. */
void nb_undo_forget(struct nb_undo *u, int idx);

/* The newest record of that kind and identity, or NULL. */
struct nb_undo_entry *nb_undo_find(struct nb_undo *u, enum nb_res_kind kind,
				   long long id);

/* The newest record of that kind whose description contains `needle`. */
struct nb_undo_entry *nb_undo_find_what(struct nb_undo *u,
					enum nb_res_kind kind,
					const char *needle);

/* Drops every record (after the guard has compared). */
void nb_undo_clear(struct nb_undo *u);

#endif
