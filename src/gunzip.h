/* gunzip.h -- the decompressed bytes of one gzip file, read in pieces.
 *
 * A rotated generation that logrotate compressed before tailmux read it
 * to its end is read on from its .gz, at offsets in the decompressed
 * stream.  A struct gunzip keeps the inflate state between reads, so that
 * reading a file from start to end in jobs decompresses it once.
 *
 * Not thread-safe, and need not be: the loop thread keeps the object with
 * the file's watch and lends it to one read job at a time, so only one
 * thread ever uses it at a time (the hand-off through the pool orders the
 * accesses).  gunzip_head() keeps no state and may run anywhere. */
#ifndef TAILMUX_GUNZIP_H
#define TAILMUX_GUNZIP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gunzip;

/* How a gunzip_read() ended. */
enum gunzip_status {
	GUNZIP_OK,      /* all the bytes asked for were given: ask on */
	GUNZIP_END,     /* the stream is complete: the last member's trailer
	                   was read and the file holds nothing after it; the
	                   bytes given (fewer than asked) reach its end */
	GUNZIP_PARTIAL, /* the file ends inside the stream (a gzip still being
	                   written): the bytes given are all there is for
	                   now; ask again once the file has grown */
	GUNZIP_ERROR,   /* errno says why: EBADMSG when the data is damaged
	                   or not gzip, EINVAL when zlib refused to work, or
	                   pread()'s error; gunzip_error() tells more */
};

/* What an object has done since it was created. */
struct gunzip_stats {
	uint64_t in_bytes;  /* compressed bytes read, over every restart */
	uint64_t out_bytes; /* decompressed bytes made, over every restart */
	uint64_t skipped;   /* of those, thrown away to reach an offset */
	uint64_t restarts;  /* reads that went back to the file's start */
	uint64_t members;   /* gzip members decompressed to their trailer */
};

/* A decompressor at the start of the stream; never fails (xmalloc). */
struct gunzip *gunzip_create(void);

/* Frees it; NULL is ignored. */
void gunzip_free(struct gunzip *g);

/* Gives up to `len' decompressed bytes of the gzip file open on `fd',
 * starting at decompressed offset `off', into buf; *n is how many.  The
 * file is read with pread() at the object's own position, never through
 * the fd's file position.  Reading where the last read stopped goes on
 * from there; an offset ahead is reached by decompressing and throwing
 * away the bytes before it.  An offset behind, at or after the last
 * gunzip_mark(), gives the bytes given since again, from a copy; further
 * behind starts again from the file's start.  Concatenated members make
 * one stream.  An
 * offset past the end of a complete stream gives no bytes and GUNZIP_END. After
 * GUNZIP_END or GUNZIP_PARTIAL a later call sees what the file has gained since
 * (another member appended, the rest of one being written).  GUNZIP_ERROR may
 * come after some bytes: *n were given before the damage was found (they
 * are what zlib made of the data, which a bad checksum at the member's end
 * may yet condemn).  Damage is final: every later call fails the same way,
 * at any offset (a fresh object would find it again). */
enum gunzip_status gunzip_read(struct gunzip *g, int fd, uint64_t off,
                               void *buf, size_t len, size_t *n);

/* From now on, keeps a copy of the bytes from decompressed offset `off'
 * on as reads give them (forgetting those before), so that a read may go
 * back to any offset from `off' without starting again from the file's
 * start.  A read job marks where it starts: the next job starts at the
 * first line this one did not hand back whole, somewhere after. */
void gunzip_mark(struct gunzip *g, uint64_t off);

/* What the last GUNZIP_ERROR was, as a sentence without the file's name
 * (the caller adds it): what is wrong and where, e.g. "damaged gzip data
 * found at compressed byte 1234 (member 1, decompressed byte 5678):
 * invalid block type".  Empty before any error. */
const char *gunzip_error(const struct gunzip *g);

/* Fills *st with what g has done (see struct gunzip_stats). */
void gunzip_stats(const struct gunzip *g, struct gunzip_stats *st);

/* Decompresses just the first `len' bytes of the gzip file open on `fd'
 * into buf, with a decompressor of its own: for a fingerprint (see
 * state.h) of a file that is not being read.  Returns the bytes given,
 * fewer than len when the stream (or what is written of it) is shorter,
 * or -1 with errno as for GUNZIP_ERROR; when `cause' is not NULL, a
 * message then goes to *cause (the caller frees it). */
ssize_t gunzip_head(int fd, void *buf, size_t len, char **cause);

#endif
