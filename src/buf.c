/* buf.c -- a growable byte buffer. */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "log.h"
#include "xmalloc.h"

void
buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap == 0 ? 4096 : b->cap;

	if (more > SIZE_MAX - b->len)
		fatalx("buffer size overflows");
	while (cap - b->len < more)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap != b->cap) {
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
