/* archive.h -- the output's rotated files: gzip them, and remove the ones
 * past retention.
 *
 * archive_run() is a job for a worker thread: it reads only its request,
 * writes only its result, and logs nothing (the loop reports the result).
 * One runs at a time, so it is the only one touching the rotated files of
 * the output (see rotate.h for their names).  A gzip is written as
 * NAME.gz.tmp, synced, renamed to NAME.gz and only then is NAME removed; a
 * .gz.tmp found later is what a crash left, and is removed (and NAME, still
 * there, is compressed again). */
#ifndef TAILMUX_ARCHIVE_H
#define TAILMUX_ARCHIVE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct archive_req {
	char *dir;       /* the output's directory */
	char *base;      /* the output's file name */
	char **compress; /* rotated files (full paths) to gzip */
	size_t ncompress;
	int compress_all; /* gzip every plain rotated file found (at start) */
	int level;        /* gzip level, 1 to 9; 0: no gzip at all */
	unsigned keep;    /* rotated files kept, newest first; 0: all */
	uint64_t max_age; /* ms; older rotated files go; 0: no limit */
	time_t now;
	const atomic_int *cancel; /* when set, a gzip stops (NULL: never) */
};

struct archive_result {
	char **msgs; /* what went wrong, one sentence each, path named */
	size_t nmsgs;
	unsigned compressed;
	unsigned removed;
	uint64_t bytes_in, bytes_out; /* of the files compressed */
};

/* Compresses, cleans up after a crash, and applies retention, as the
 * request says. */
void archive_run(const struct archive_req *req, struct archive_result *res);

/* Puts the calling thread at the lowest CPU priority (nice 19) and the
 * lowest best-effort I/O priority: it yields to the reads but is never
 * starved outright, so that compression keeps up on a busy host (best
 * effort: failures are ignored).  For a thread that does nothing but
 * archive_run(). */
void archive_lower_priority(void);

/* Frees what a request and a result hold (not the structs themselves). */
void archive_req_clear(struct archive_req *req);
void archive_result_clear(struct archive_result *res);

#endif
