/* resume.h -- the files a followed path held that tailmux did not read
 * yet, to read before the file at the path: at start-up, those the
 * checkpoint knows and did not finish, wherever rotation put them, and
 * those it never saw (created and rotated away while tailmux was down, or
 * between two checkpoints); at run time, when the path moved on, those
 * created and rotated away before the loop looked.  The path's directory
 * (and its input's rotated_dir) is listed, and lineage_plan() decides.
 * Blocking (directory listings, small reads): the loop thread calls it once
 * per path at start-up, and at each rotation it sees. */
#ifndef TAILMUX_RESUME_H
#define TAILMUX_RESUME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct follow;
struct state;

/* One file to read before the path's current one. */
struct resume_read {
	int fd; /* open; the caller takes it (and sets -1) */
	struct stat st;
	char *where;     /* DIR/NAME, for messages */
	uint64_t offset; /* where to start (decompressed, for a gzip) */
	uint32_t fp_len; /* its fingerprint, the longest known */
	uint64_t fp_hash;
	uint64_t began; /* ns: when its contents began; strictly increasing
	                   from one read to the next */
	int known;      /* a generation the checkpoint knew (else one never
	                   seen, read whole) */
	int gz;         /* a gzip: read its decompressed stream */
	int wait;       /* not complete yet (a gzip being written): neither
	                   it nor the reads after it may start */
};

/* What the plan saw of the file at the path, open on cur_fd: the one
 * snapshot the reads before it and the start of its own are decided on.
 * Whatever happens to it after (a truncation just after the listing) its
 * first read then tells by the fingerprint, as at run time. */
struct resume_cur {
	int listed;      /* it was listed (else the rest says nothing) */
	int known;       /* it held the generation the checkpoint knew on its
	                    inode */
	uint32_t fp_len; /* the fingerprint of its first bytes as listed */
	uint64_t fp_hash;
};

/* A file the checkpoint knew, found with nothing left to read: as one
 * read to its end, to be remembered as such. */
struct resume_done {
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;
	uint32_t fp_len;
	uint64_t fp_hash;
	uint64_t seen_at;
};

/* What to read of one path, oldest first. */
struct resume_plan {
	struct resume_read *reads;
	size_t nreads;
	size_t nlost;             /* known files not found (logged) */
	struct resume_done *done; /* at start-up */
	size_t ndone;
	struct resume_cur cur;
};

/* When a plan is made. */
enum resume_when {
	RESUME_STARTUP, /* from the checkpoint */
	RESUME_RUNTIME, /* from the files open now: the path moved on */
};

/* Plans what to read of f's path before the file at it now (open on
 * `cur_fd', -1: none), given the generations `known' (the checkpoint at
 * start-up; the path's open files at run time) and the files read to their
 * end `closed'.  At start-up, logs each known file that is gone, and the
 * plan is empty when the path did not move on and its directory did not
 * change since the checkpoint was saved, and a gzip still being written
 * (its plain file gone) is waited for, up to 10 s, blocking, and the plan
 * made again once it is complete; at run time a known file not
 * listed is still read through its descriptor, and the directory is
 * always listed. */
void resume_plan(const struct follow *f, const struct state *known,
                 const struct state *closed, int cur_fd, const struct stat *cur,
                 enum resume_when when, struct resume_plan *out);

/* Closes the descriptors not taken and frees the plan. */
void resume_plan_clear(struct resume_plan *p);

#endif
