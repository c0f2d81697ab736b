/* state.h -- the checkpoint: which bytes of which input files are in the
 * output, and how long the output was when they were.
 *
 * The protocol (why a kill -9 at any moment neither loses nor repeats a
 * line) is written at the top of state.c. */
#ifndef TAILMUX_STATE_H
#define TAILMUX_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* How many leading bytes of a file identify it with its device and inode:
 * its fingerprint is the hash of its first STATE_FP_MAX bytes (or of all it
 * has while it is shorter; the fingerprint grows with the file). */
#define STATE_FP_MAX 1024

/* What an entry stands for. */
enum state_kind {
	STATE_OPEN, /* "file": a file being read */
	STATE_DONE, /* "done": read to its end and closed after rotation; found
	               again under another name, it goes on from offset */
	STATE_COPY, /* "copy": the old contents of a truncated file, whose
	               copy (found by fingerprint, at least offset bytes long,
	               not this inode) holds lines past offset not yet read */
};

/* One input file as checkpointed. */
struct state_file {
	char *path; /* the path it was tailed under */
	uint64_t dev;
	uint64_t ino;
	uint64_t offset; /* its bytes before this are in the output */
	uint32_t fp_len; /* bytes hashed into fp_hash */
	uint64_t fp_hash;
	uint64_t seen_at; /* when its contents were first seen (watch_now()),
	                     or 0: bounds the search for a copy of them */
	enum state_kind kind;
};

/* A forwarder's cursor: the output file it reads (by identity) and the
 * offset up to which the receiver acknowledged every line. */
struct state_forward {
	char *name; /* the [forward:NAME] section's */
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;
};

struct state {
	char *out_path;
	uint64_t out_dev;
	uint64_t out_ino;
	uint64_t out_len; /* the output's first out_len bytes hold exactly the
	                     lines before each file's offset */
	struct state_file *files;
	size_t nfiles;
	struct state_forward *forwards;
	size_t nforwards;
	uint64_t saved_at; /* state_read(): when the file was written (its
	                      mtime, ns since the epoch); else 0 */
};

/* Appends a file entry (copying path). */
struct state_file *state_add(struct state *st, const char *path, uint64_t dev,
                             uint64_t ino, uint64_t offset, uint32_t fp_len,
                             uint64_t fp_hash);

/* The entry for (dev, ino) that is not a STATE_COPY, or NULL. */
struct state_file *state_find(const struct state *st, uint64_t dev,
                              uint64_t ino);

/* Appends a forwarder's cursor (copying name). */
void state_add_forward(struct state *st, const char *name, uint64_t dev,
                       uint64_t ino, uint64_t offset);

/* The cursor of the forwarder called `name', or NULL. */
const struct state_forward *state_find_forward(const struct state *st,
                                               const char *name);

/* Frees every entry and leaves an empty state. */
void state_clear(struct state *st);

/* Renders `st' into `out' in the state file's text form. */
void state_format(const struct state *st, struct buf *out);

/* Parses the text form.  Returns 0, or -1 with a message naming the line in
 * *cause (the caller frees it); `st' is then empty. */
int state_parse(const char *text, size_t len, struct state *st, char **cause);

/* Reads the state file.  Returns 0, 1 when there is none yet, -1 with a
 * message in *cause when it cannot be read, or -2 with a message naming
 * the line when it is damaged. */
int state_read(const char *path, struct state *st, char **cause);

/* Writes `data' as the new state file: a temporary file beside it, fsync,
 * rename over it, fsync of the directory.  Blocking: run it in the pool.
 * Returns 0, or -1 with errno and a message in *cause. */
int state_write(const char *path, const void *data, size_t len, char **cause);

/* A quick hash of the bytes a fingerprint (fp_len, fp_hash) covers, so
 * that the reader's read of a live file checks its head without FNV-1a's byte
 * at a time.  Only good for the fingerprint it names: a caller that keeps one
 * with a fingerprint that later changes need not clear it. */
struct state_quick {
	uint32_t fp_len;
	uint64_t fp_hash;
	uint64_t hash;
};

/* FNV-1a, 64 bits: the fingerprint hash and the state file's checksum. */
uint64_t state_hash(const void *data, size_t len);

/* The hash of what state_hash() hashed to h followed by `data': a
 * prefix's hash carried on over the rest, in one pass. */
#define STATE_HASH_INIT 0xcbf29ce484222325ULL
uint64_t state_hash_more(uint64_t h, const void *data, size_t len);

#endif
