/* output.h -- the merged output file and the one writer that appends to it.
 *
 * Only the loop thread touches an output.  Appended buffers are written in
 * order with writev(2) when the loop has nothing else to do, or at once when
 * a megabyte is waiting.  A failed write keeps every byte not yet written,
 * says why once, and retries with a growing pause (up to 30s). */
#ifndef TAILMUX_OUTPUT_H
#define TAILMUX_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event_base;
struct output;

/* Called on the loop thread after bytes were written, so that the owner can
 * read again once the backlog has shrunk. */
typedef void (*output_written_fn)(void *arg);

/* Opens `path' for appending, creating it and its directory as needed.
 * Returns NULL with a message in *cause (the caller frees it). */
struct output *output_open(struct event_base *base, const char *path,
			   output_written_fn written, void *arg, char **cause);

/* Takes the bytes of `b' (leaving it empty) to write after those before. */
void output_append(struct output *out, struct buf *b);

/* Writes everything waiting.  Returns 0, or -1 with errno when a write
 * failed (the rest stays queued and a retry is scheduled). */
int output_flush(struct output *out);

/* Bytes appended but not yet written. */
size_t output_pending(const struct output *out);

/* Bytes written to the file since it was opened. */
uint64_t output_written(const struct output *out);

/* Closes the file; bytes still pending are dropped, so flush first. */
void output_close(struct output *out);

#endif
