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
#include <time.h>

#include "buf.h"

struct event_base;
struct output;

/* What an appended buffer's owner wants to hear back once its last byte is
 * written: which input file (slot, gen) and the input offset its lines end
 * at.  See state.c: offsets follow the output. */
struct output_mark {
	uint32_t slot;
	uint32_t gen;
	uint64_t offset;
};

struct output_cbs {
	/* A buffer was written whole; `length' is the output's length after
	 * it. */
	void (*committed)(void *arg, const struct output_mark *mark,
	                  uint64_t length);
	/* Bytes were written: the owner may read again if the backlog was
	 * full. */
	void (*written)(void *arg);
	/* The next buffer would take the file past its size limit: the
	 * owner should rotate it (see output_set_limit()). */
	void (*full)(void *arg);
	void *arg;
};

/* Opens `path' for appending, creating it and its directory as needed.
 * Returns NULL with a message in *cause (the caller frees it). */
struct output *output_open(struct event_base *base, const char *path,
                           const struct output_cbs *cbs, char **cause);

/* Takes the bytes of `b' (leaving it empty) to write after those before;
 * `mark' is reported once they are written. */
void output_append(struct output *out, struct buf *b,
                   const struct output_mark *mark);

/* Cuts the file back to `length' bytes when it is longer (nothing may be
 * pending).  Returns the bytes cut, or -1 with errno. */
int64_t output_truncate(struct output *out, uint64_t length);

/* The open file's device and inode. */
void output_identity(const struct output *out, uint64_t *dev, uint64_t *ino);

/* The file's length up to the last buffer written whole. */
uint64_t output_committed(const struct output *out);

/* Writes everything waiting.  Returns 0, or -1 with errno when a write
 * failed (the rest stays queued and a retry is scheduled). */
int output_flush(struct output *out);

/* Bytes appended but not yet written. */
size_t output_pending(const struct output *out);

/* Bytes written to the file since it was opened. */
uint64_t output_written(const struct output *out);

/* Opens the path anew (after an outside rotation renamed the file), at a
 * boundary (see output_at_boundary(); buffers still waiting go to the new
 * file).  Returns 0, or -1 with a message in *cause; the old
 * file stays in use then. */
int output_reopen(struct output *out, char **cause);

/* Lets the file grow to at most `limit' bytes (0: no limit): a buffer that
 * would take a non-empty file past it is held back and cbs.full called;
 * it is written once the file is rotated.  A file holds at least one whole
 * buffer, so one buffer larger than the limit makes a larger file. */
void output_set_limit(struct output *out, uint64_t limit);

/* While held, nothing more is written except the rest of a buffer that a
 * short write left half written; appended buffers wait. */
void output_hold(struct output *out, int hold);

/* True when no buffer is half written: the file ends at a line boundary
 * and every byte in it has been reported committed. */
int output_at_boundary(const struct output *out);

/* The open file's descriptor, for a worker to dup() and fsync. */
int output_fd(const struct output *out);

/* Renames the file to base's next rotated name at `when' (see rotate.h;
 * the counter grows past every name used before, so none is used twice)
 * and opens
 * a new file at the path, at a boundary (buffers waiting go to the new
 * file).
 * Returns 0 with the new name of the old file in *rotated, or -1 with a
 * message in *cause and errno (ESTALE: the path no longer names the file
 * being written); the old file then stays in use. */
int output_rotate(struct output *out, time_t when, int utc, char **rotated,
                  char **cause);

/* The same at another path (a reload moved the output): from now on the
 * output is the file at `path', opened and created as output_open() does.
 * On failure the old file stays in use. */
int output_reopen_at(struct output *out, const char *path, char **cause);

/* The path the open file was opened at. */
const char *output_path(const struct output *out);

/* Closes the file; bytes still pending are dropped, so flush first. */
void output_close(struct output *out);

#endif
