/* netbench: the ring of body bytes in flight (see body_ring.h). */
#include "body_ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"

int nb_ring_init(struct nb_ring *r, size_t cap)
{
	void *p;

	memset(r, 0, sizeof(*r));
	if (!cap)
		return nb_fail(-EINVAL, "body ring of 0 bytes");
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return nb_fail(-ENOMEM, "body ring of %zu bytes: %s", cap,
			       strerror(errno));
	r->buf = p;
	r->cap = cap;
	return 0;
}

void nb_ring_free(struct nb_ring *r)
{
	if (r->buf)
		munmap(r->buf, r->cap);
	memset(r, 0, sizeof(*r));
}

uint8_t *nb_ring_space(struct nb_ring *r, size_t *len)
{
	size_t at, free_bytes, to_end;

	if (!r->buf) {
		*len = 0;
		return NULL;
	}
	at = (size_t)(r->head % r->cap);
	free_bytes = r->cap - nb_ring_used(r);
	to_end = r->cap - at;
	*len = free_bytes < to_end ? free_bytes : to_end;
	return r->buf + at;
}

void nb_ring_commit(struct nb_ring *r, size_t n)
{
	r->head += n;
}

int nb_ring_release(struct nb_ring *r, uint64_t n)
{
	if (n > r->head - r->tail)
		return nb_fail(-EINVAL,
			       "body ring: %llu bytes acknowledged, only %zu "
			       "in flight", (unsigned long long)n,
			       nb_ring_used(r));
	r->tail += n;
	return 0;
}
