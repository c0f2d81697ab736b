/* tail.h -- the configured paths and the files found at them, read in
 * order into the output.
 *
 * A follow is a path; a watch is an open file.  The file at a follow's path
 * is its current watch.  When the path comes to name another file
 * (rotation) or none, the old watch keeps its descriptor for the input's
 * rotate_wait to catch late writes, then is closed once all it read is
 * written.  A watch wants a read when inotify (or the stat poll) says its
 * file changed.  It then waits in the ready queue until fewer than
 * max_inflight jobs are out and the output's backlog is under max_pending:
 * the inputs are the buffer.  At most one job per watch is in flight, so a
 * file's lines come back in order; a path's older files are read to their
 * end before its current one.  A job carries a copy of what it needs and
 * names its watch by slot and generation; its result is dropped if the
 * watch has gone.  Loop thread only, but for the jobs' `run' halves
 * (reader_run() and watch_find(), on a worker).
 *
 * Descriptors are budgeted (fds.h): past fds_budget() open files, the
 * current files of paths read least recently, with no read in flight, are
 * closed ("shelved").  A shelved watch keeps its identity, offsets and
 * inotify watch; when it is to be read, its path is opened again and must
 * hold the same (dev, ino) (a truncation is then seen by the read, as for
 * an open file).  A file renamed away meanwhile is looked for among the
 * path's rotated files (resume.h) and read to its end first; one gone is
 * forgotten, and the path's new file is read as a new generation.  Files
 * and paths are found by hash (hmap.h): an event costs the same whatever
 * the number of files. */
#ifndef TAILMUX_TAIL_H
#define TAILMUX_TAIL_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct config_input;
struct event_base;
struct follow;
struct notify;
struct output;
struct output_mark;
struct pool;
struct state;
struct status_sample;
struct tail;

/* Why a path's file is being opened, which says where to start in it. */
enum tail_open {
	TAIL_STARTUP,  /* the first look at start-up: checkpoint, then start */
	TAIL_APPEARED, /* appeared or replaced while followed: from its start */
	TAIL_ADDED,    /* a path a reload added: as at start-up without a
	                  checkpoint, unless read before (then from there) */
};

/* What the tail tells the hub. */
struct tail_cbs {
	/* What the checkpoint holds changed: save it within
	 * checkpoint_interval. */
	void (*changed)(void *arg);
	/* A rotated file was read to its end and closed: save soon, so that
	 * a restart does not read it again (after a kill -9 in a catch-up
	 * longer than checkpoint_interval, every restart would). */
	void (*settled)(void *arg);
	/* A read, a copy search or a reap is done: the pool may be idle, a
	 * configuration unused, a stop able to finish. */
	void (*done)(void *arg);
	void *arg;
};

/* Follows each literal path of `cfg'.  Takes the checkpoint `loaded' (left
 * empty): it says where to resume at tail_start().  Reads go to `pool',
 * their lines to `out'; `notify' is NULL with `once'. */
struct tail *tail_create(struct event_base *base, const struct config *cfg,
                         struct output *out, struct notify *notify,
                         struct pool *pool, int once, struct state *loaded,
                         const struct tail_cbs *cbs);

/* Opens every path followed and starts reading, resuming where the
 * checkpoint says: first, oldest first, each generation of a path the
 * checkpoint knows and did not finish and each one it never saw, wherever
 * rotation put it (see lineage.h); then the file at the path.  Forgets the
 * checkpoint.  Blocking: lists the directories of paths that moved on. */
void tail_start(struct tail *t);

/* Follows `path' for `in' (found by a glob, or not).  Returns the follow,
 * to be opened with tail_follow_open(), or NULL when the input already
 * follows max_files paths found by its globs (said once). */
struct follow *tail_follow_add(struct tail *t, const char *path,
                               const struct config_input *in, int from_glob);

/* True if the checkpoint given to tail_create() names `path' (until
 * tail_start() forgets it): the path was followed before. */
int tail_known(const struct tail *t, const char *path);

/* The follow of `path', or NULL. */
struct follow *tail_follow_get(const struct tail *t, const char *path);

/* Opens the file at f's path and starts reading it, where `how' says. */
void tail_follow_open(struct tail *t, struct follow *f, enum tail_open how);

/* True if `path' is a file tailmux writes (the output, its rotated files,
 * the checkpoint and its temporaries): never followed. */
int tail_is_own(const struct tail *t, const char *path);

/* Takes a reloaded configuration `cfg': the follows it still covers keep
 * their files and offsets, those it does not are read to their end and
 * dropped, and its literal paths not followed yet are opened (as at
 * start-up for those `old' did not cover).  Its globs are the hub's. */
void tail_reload(struct tail *t, const struct config *cfg,
                 const struct config *old);

/* True if a follow still points into `cfg' (an old configuration). */
int tail_config_used(const struct tail *t, const struct config *cfg);

/* Starts reads, on a loop turn of their own, while job slots are free and
 * the output keeps up. */
void tail_dispatch(struct tail *t);

/* The output wrote a chunk of lines whole, up to `mark'. */
void tail_committed(struct tail *t, const struct output_mark *mark);

/* Adds what each open and recently closed file has had written, and the
 * paths known with no file, to the checkpoint *st. */
void tail_render(const struct tail *t, struct state *st);

/* Adds the files followed (open, or closed for the budget) and the bytes
 * the open ones hold past what was written to a STATUS= sample. */
void tail_sample(const struct tail *t, struct status_sample *m);

/* While `on', no read starts (the pool is being remade). */
void tail_pause(struct tail *t, int on);

/* Reads go to `pool' from now on, at most 2 per worker at a time; ends a
 * pause. */
void tail_set_pool(struct tail *t, struct pool *pool, unsigned workers);

/* A stop began: no read starts from now on. */
void tail_stop(struct tail *t);

/* The loop is going: jobs that come back from now on are only freed. */
void tail_shutdown(struct tail *t);

/* Reads and copy searches in the pool. */
size_t tail_inflight(const struct tail *t);

/* --once: true when every file is read to its end. */
int tail_once_done(const struct tail *t);

/* Paths followed. */
size_t tail_nfollows(const struct tail *t);

/* Lines cut at max_line, and lines completed with a newline, so far. */
void tail_counts(const struct tail *t, uint64_t *splits,
                 uint64_t *newline_added);

/* Closes every file and frees `t' (NULL is fine); the pool must be gone. */
void tail_free(struct tail *t);

#endif
