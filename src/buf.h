/* buf.h -- a growable byte buffer with one owner at a time. */
#ifndef TAILMUX_BUF_H
#define TAILMUX_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Makes room for `more' bytes past len; never fails (xmalloc). */
void buf_reserve(struct buf *b, size_t more);

/* Frees the bytes and leaves an empty buffer. */
void buf_free(struct buf *b);

/* Appends n bytes. */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len < n)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Appends one byte. */
static inline void
buf_add_byte(struct buf *b, char c)
{
	if (b->cap == b->len)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}

#endif
