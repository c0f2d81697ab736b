/* watch.h -- one open input file: its identity, the offset of the next line
 * to read, the offset of the last line written to the output, and the flags
 * of its state machine.  Watches belong to the loop thread. */
#ifndef TAILMUX_WATCH_H
#define TAILMUX_WATCH_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "state.h"

struct tail_job;
struct follow;
struct gunzip;
struct notify_reg;

/* What watch_open() found. */
enum watch_open_result {
	WATCH_OPENED,
	WATCH_MISSING, /* no file at the path */
	WATCH_FAILED,  /* errno says why (EACCES, not a regular file, ...) */
};

struct watch {
	uint32_t slot;    /* index in the tail's table */
	uint32_t gen;     /* changes when the slot is reused or the file's
	                     contents start over (truncation) */
	struct follow *f; /* the path it was found under */

	int fd;
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;    /* where the next unread line starts */
	uint64_t committed; /* lines before this are written to the output */
	uint32_t fp_len;    /* fingerprint: see state.h */
	uint64_t fp_hash;
	struct state_quick quick; /* the last read's, for the next */
	uint64_t seen_at; /* when its contents began: the file's birth, or
	                     for contents a truncation started, when that
	                     was seen (watch_now()); a copy of them made
	                     later is newer */

	struct notify_reg *file_reg;
	struct gunzip *gz; /* a gzipped generation: its decompressed stream,
	                      lent to one read at a time; else NULL */
	uint64_t drain_at; /* draining: when rotate_wait ends (monotonic ms) */
	uint64_t eof_size; /* the file's size when a read last reached its end
	                      (its rest a line not whole yet), or 0 */
	struct follow *held; /* holding: the path whose current file waits */
	uint64_t age; /* holding: its birth time (else mtime) in ns; the older
	                 of two files of one path that hold it is read first */

	unsigned busy : 1;       /* a read job is in flight */
	unsigned dirty : 1;      /* woken while busy: read again */
	unsigned queued : 1;     /* in the ready queue */
	unsigned moved : 1;      /* the path may name another file now */
	unsigned done : 1;       /* --once: read to its end */
	unsigned polled : 1;     /* inotify cannot watch it: stat-polled */
	unsigned draining : 1;   /* no longer at its path: read late lines */
	unsigned closing : 1;    /* rotate_wait is over: close at the end */
	unsigned holding : 1;    /* its path's current file waits for it */
	unsigned seeking : 1;    /* truncated contents whose copy is being
	                            looked for: no file yet, not closed */
	unsigned no_nowait : 1;  /* its file system cannot read without
	                            waiting: only workers read it */
	unsigned behind : 1;     /* its last read stopped short of its end:
	                            a backlog, which workers read */
	unsigned shelved : 1;    /* closed for the descriptor budget: its
	                            file is opened again (and checked) before
	                            it is read */
	unsigned in_lru : 1;     /* in the tail's list of open files */
	int reported;            /* errno already logged for it, or 0 */
	struct tail_job *parked; /* a read held back until older files of
	                             its path are read (tail.c) */

	TAILQ_ENTRY(watch) ready_entry;
	/* In the tail's open files, least recently read first. */
	TAILQ_ENTRY(watch) lru_entry;
};

/* The wall clock in ns, to the ns: a file created (or changed) before a
 * call has times not above what it gives, even where the filesystem
 * stamps them finer than the coarse clock (multigrain time stamps); one
 * created after it may be stamped up to a clock tick below it. */
uint64_t watch_now(void);

/* When the file open on fd was created (statx's birth time), in ns, or
 * `otherwise' where the filesystem keeps none. */
uint64_t watch_birth(int fd, uint64_t otherwise);

/* Opens the file at `path'.  Returns what happened; on WATCH_FAILED errno
 * says why.  On WATCH_OPENED, *fd and *st describe the file. */
enum watch_open_result watch_open(const char *path, int *fd, struct stat *st);

/* A watch of `f' on an open file (taking fd), starting at `offset'. */
struct watch *watch_create(struct follow *f, int fd, const struct stat *st,
                           uint64_t offset);

/* Closes its file and frees it; registrations must be gone. */
void watch_free(struct watch *w);

/* 1 if the path now names a file other than the one open (or none), 0 if
 * the same, -1 with errno if it cannot be told. */
int watch_replaced(const struct watch *w, const char *path);

/* 1 if the first fp_len bytes of the open file hash to fp_hash (always when
 * fp_len is 0), 0 if not.  Blocking (one small pread). */
int watch_fp_matches(int fd, uint32_t fp_len, uint64_t fp_hash);

/* Takes the fingerprint of the file open on fd (its first STATE_FP_MAX
 * bytes, or all it has) into *len and *hash.  Blocking (one small pread). */
void watch_fingerprint(int fd, uint32_t *len, uint64_t *hash);

/* What watch_find() looks for in a directory: a regular file other than
 * `skip_ino' whose leading bytes match the fingerprint and which holds at
 * least `min_size' bytes, with the given inode if `ino' is not 0. */
struct watch_find {
	uint64_t dev;
	uint64_t ino;
	uint64_t skip_ino;
	uint32_t fp_len;
	uint64_t fp_hash;
	uint64_t min_size;
	uint64_t min_birth; /* created at or after this (watch_now()), or 0;
	                       then the first created such file is taken */
};

/* Looks in `dir' for a file as `q' describes; opens it.  A birth time is
 * the file's creation time where the filesystem keeps one (statx), else
 * its ctime.  Returns the open
 * fd with *st and its name in *name (the caller frees it), or -1.  Blocking:
 * safe on a worker thread. */
int watch_find(const char *dir, const struct watch_find *q, struct stat *st,
               char **name);

/* A file of a directory as watch_list() found it, open. */
struct watch_listed {
	char *name; /* its name in the directory */
	int fd;     /* O_RDONLY; the caller may take it (and set -1) */
	struct stat st;
	uint64_t birth; /* watch_birth(), else its ctime, in ns */
	unsigned char head[STATE_FP_MAX];
	uint32_t head_len; /* its first bytes, up to STATE_FP_MAX */
};

/* Lists the regular files of `dir' that keep(arg, name, ino) wants, each
 * opened, with its identity, birth time and first bytes.  A listing during
 * which a wanted name came to name another file, or a file was created or
 * removed (a rotation under way), is taken again (a few times at most), so
 * that a file renamed meanwhile is neither missed nor listed twice.
 * Blocking.
 * Returns how many are in *out (watch_list_free() frees them), or -1 with
 * errno when the directory cannot be read. */
ssize_t watch_list(const char *dir,
                   int (*keep)(void *arg, const char *name, uint64_t ino),
                   void *arg, struct watch_listed **out);

/* Closes what watch_list() left open and frees the listing. */
void watch_list_free(struct watch_listed *l, size_t n);

#endif
