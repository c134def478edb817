/*
 * mime_arena: the memory of one MIME tree.  Parts, parameters and the
 * decoded field values come from a few blocks that double in size (4 kB
 * to 1 MB), all freed together with the tree: a plain message costs one
 * block, a message at MIME_PARTS_MAX about a dozen.
 *
 * Trust: none needed: sizes come from the parser, checked for overflow.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime_int.h"

#define ARENA_FIRST	4096
#define ARENA_BIG	(1024 * 1024)

struct arena_block {
	struct arena_block	*prev;
	size_t			 size;	/* usable bytes after the header */
	size_t			 used;
	max_align_t		 data[];
};

struct mime_arena {
	struct arena_block	*cur;
	size_t			 next_size;
};

struct mime_arena *
mime_arena_new(void)
{
	struct mime_arena	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->next_size = ARENA_FIRST;
	return a;
}

void
mime_arena_free(struct mime_arena *a)
{
	struct arena_block	*b, *prev;

	if (a == NULL)
		return;
	for (b = a->cur; b != NULL; b = prev) {
		prev = b->prev;
		free(b);
	}
	free(a);
}

void *
mime_arena_alloc(struct mime_arena *a, size_t n)
{
	struct arena_block	*b = a->cur;
	size_t			 align = alignof(max_align_t), size;
	char			*p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	if (b == NULL || b->size - b->used < n) {
		size = a->next_size;
		if (size < n)
			size = n;
		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->prev = a->cur;
		b->size = size;
		b->used = 0;
		a->cur = b;
		if (a->next_size < ARENA_BIG)
			a->next_size *= 2;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *
mime_arena_dup(struct mime_arena *a, const char *p, size_t n)
{
	char	*d;

	if ((d = mime_arena_alloc(a, n == 0 ? 1 : n)) == NULL)
		return NULL;
	memcpy(d, p, n);
	return d;
}
