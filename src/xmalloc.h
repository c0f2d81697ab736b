/* xmalloc.h -- allocation that ends the program when memory runs out. */
#ifndef TAILMUX_XMALLOC_H
#define TAILMUX_XMALLOC_H

#include <stddef.h>

/* Each returns usable memory or exits through fatalx(); never NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
