/* rotated.h -- the output's rotated files, looked after off the loop: each
 * one a rotation leaves is gzipped, and retention (keep, max_age) applied,
 * by one job at a time on a worker thread of its own at the lowest
 * priority.  At start-up, once a checkpoint names the current output, every
 * plain rotated file found is gzipped (a gzip a crash cut short is redone).
 * Loop thread, but for the jobs' `run' halves. */
#ifndef TAILMUX_ROTATED_H
#define TAILMUX_ROTATED_H

struct barrier;
struct checkpoint;
struct config;
struct event_base;
struct rotated;

/* What the rotated files tell the hub. */
struct rotated_cbs {
	/* A job is done: a stop (or --once) waiting for it may finish. */
	void (*done)(void *arg);
	/* True while no job may start: a forwarder has not finished with
	 * the rotated files (see rotated_resume()). */
	int (*held)(void *arg);
	void *arg;
};

/* Starts the compression thread and the max_age timer.  No job starts
 * while `barrier' is busy, nor, at start, before `ckpt' has saved once.
 * Returns NULL after logging why. */
struct rotated *rotated_create(struct event_base *base,
                               const struct config *cfg,
                               struct checkpoint *ckpt, struct barrier *barrier,
                               const struct rotated_cbs *cbs);

/* At start-up: every plain rotated file is to be gzipped once a checkpoint
 * names the current output; retention is applied now, and every max_age
 * from now on (hourly at most). */
void rotated_start(struct rotated *r);

/* Takes a reloaded configuration: compression, keep and max_age apply to
 * the next job; the max_age timer is armed anew. */
void rotated_set_config(struct rotated *r, const struct config *cfg);

/* The output switched files; `path' (taken; NULL after a reopen) is the
 * one a rotation left.  It is gzipped as soon as nothing stands in the
 * way. */
void rotated_switched(struct rotated *r, char *path);

/* A timed checkpoint was saved: the files waiting for the first one (at
 * start) may be gzipped now. */
void rotated_saved(struct rotated *r);

/* What held jobs back (rotated_cbs.held) no longer does: the jobs
 * waiting start. */
void rotated_resume(struct rotated *r);

/* True while a job runs or a file waits for gzip. */
int rotated_busy(const struct rotated *r);

/* A stop began: no job is started from now on. */
void rotated_stop(struct rotated *r);

/* Frees `r' (NULL is fine).  A gzip under way is cut short (its file is
 * compressed at the next start), unless `finish' (--once leaves no work
 * for later). */
void rotated_free(struct rotated *r, int finish);

#endif
