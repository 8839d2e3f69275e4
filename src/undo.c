/* netbench: the undo stack (see undo.h). */
#include "undo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void nb_undo_init(struct nb_undo *u)
{
	u->n = 0;
}

int nb_undo_push_at(struct nb_undo *u, const char *file, int line,
		    enum nb_res_kind kind, long long id, nb_release_fn release,
		    void *arg, const char *fmt, ...)
{
	struct nb_undo_entry *e;
	va_list ap;

	if (u->n == NB_UNDO_MAX)
		return -ENOSPC;
	e = &u->e[u->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->id = id;
	e->file = file;
	e->line = line;
	e->release = release;
	e->arg = arg;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	return (int)u->n++;
}

void nb_undo_release(struct nb_undo *u, int idx)
{
	struct nb_undo_entry *e;

	if (idx < 0 || (size_t)idx >= u->n)
		return;
	e = &u->e[idx];
	if (e->released)
		return;
	e->released = true;
	e->forgotten = false;
	if (e->release)
		e->release(e->arg);
}

void nb_undo_unwind(struct nb_undo *u)
{
	for (size_t i = u->n; i-- > 0;) {
		if (!u->e[i].forgotten)
			nb_undo_release(u, (int)i);
	}
}

void nb_undo_forget(struct nb_undo *u, int idx)
{
	if (idx >= 0 && (size_t)idx < u->n)
		u->e[idx].forgotten = true;
}

struct nb_undo_entry *nb_undo_find(struct nb_undo *u, enum nb_res_kind kind,
				   long long id)
{
	for (size_t i = u->n; i-- > 0;) {
		if (u->e[i].kind == kind && u->e[i].id == id)
			return &u->e[i];
	}
	return NULL;
}

struct nb_undo_entry *nb_undo_find_what(struct nb_undo *u,
					enum nb_res_kind kind,
					const char *needle)
{
	for (size_t i = u->n; i-- > 0;) {
		if (u->e[i].kind == kind && strstr(u->e[i].what, needle))
			return &u->e[i];
	}
	return NULL;
}

void nb_undo_clear(struct nb_undo *u)
{
	u->n = 0;
}
