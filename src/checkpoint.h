/* checkpoint.h -- when the checkpoint is saved and the output synced.
 *
 * Something the checkpoint holds changed: it is saved within
 * checkpoint_interval, from a worker, one save at a time, never while the
 * hub holds saves back (an output barrier saves on its own).  The output's
 * data is synced as the fsync policy says, from a worker, one sync at a
 * time; with fsync = interval or always, a timed save syncs the output
 * first, so that a checkpoint never names output that is not on disk.  An
 * idle daemon has no timer.  At start-up, the checkpoint is read and the
 * output cut back to the length it names.  Loop thread, but for the jobs'
 * `run' halves. */
#ifndef TAILMUX_CHECKPOINT_H
#define TAILMUX_CHECKPOINT_H

struct checkpoint;
struct config;
struct event_base;
struct output;
struct pool_job;
struct state;

/* What the checkpoint needs of the hub. */
struct checkpoint_cbs {
	/* Renders the checkpoint as of now into the empty *st. */
	void (*render)(void *arg, struct state *st);
	/* A save asked for by checkpoint_save() (with its `barrier') or by
	 * the timer (barrier 0) is done (err 0) or failed (an errno). */
	void (*saved)(void *arg, int barrier, int err);
	/* Any of its jobs is done: the pool may be idle now. */
	void (*job_done)(void *arg);
	/* True while timed saves must wait (an output barrier). */
	int (*held)(void *arg);
	/* Hands a job to the worker pool. */
	void (*submit)(void *arg, struct pool_job *job);
	void *arg;
};

/* Makes the timers.  `cfg' gives state_file, checkpoint_interval and the
 * fsync policy (see checkpoint_set_config()); with `once' nothing is ever
 * saved by the timer.  Returns NULL after logging why. */
struct checkpoint *checkpoint_create(struct event_base *base,
                                     const struct config *cfg,
                                     struct output *out, int once,
                                     const struct checkpoint_cbs *cbs);

/* Takes the settings of a reloaded configuration, from now on. */
void checkpoint_set_config(struct checkpoint *c, const struct config *cfg);

/* Something the checkpoint holds changed: save within
 * checkpoint_interval. */
void checkpoint_dirty(struct checkpoint *c);

/* How soon checkpoint_soon() saves, in ms (checkpoint_interval if less). */
#define CHECKPOINT_SOON_MS 100

/* Something changed that a restart would be slow to redo (a rotated file
 * read to its end): save within CHECKPOINT_SOON_MS, whatever
 * checkpoint_interval says. */
void checkpoint_soon(struct checkpoint *c);

/* Renders the checkpoint now and saves it from a worker, syncing
 * `sync_fd' and `sync_fd2' (which it takes; -1: none) first; `barrier' is
 * handed back to the saved callback.  Only while no save is in the pool. */
void checkpoint_save(struct checkpoint *c, int barrier, int sync_fd,
                     int sync_fd2);

/* Saves the checkpoint on the loop thread, blocking (at start-up, at stop,
 * and when a reload moves it).  Returns 0, or -1 after logging why; then
 * a save is retried within checkpoint_interval. */
int checkpoint_save_now(struct checkpoint *c);

/* True while a save is in the pool. */
int checkpoint_busy(const struct checkpoint *c);

/* The errno of the last save if it failed, else 0. */
int checkpoint_failed(const struct checkpoint *c);

/* Bytes were written to the output: sync them as the fsync policy says. */
void checkpoint_written(struct checkpoint *c);

/* While `on', no sync is started (the pool is being remade); one asked
 * for meanwhile starts when it is turned off. */
void checkpoint_pause(struct checkpoint *c, int on);

/* A stop began: no sync is started from now on (the hub makes the last
 * one after the loop).  NULL is fine. */
void checkpoint_stop(struct checkpoint *c);

/* Frees `c' (NULL is fine).  Its jobs must be done. */
void checkpoint_free(struct checkpoint *c);

/* Reads the checkpoint at `path' into the empty *st, if there is one; a
 * damaged one is set aside as PATH.bad.  Says what it found. */
void checkpoint_load(const char *path, struct state *st);

/* Cuts the output back to the length the loaded checkpoint `st' names
 * (also when the output was replaced since: the file it names is found in
 * its directory), so that the lines past it, read again, appear once.
 * Returns 0, or -1 after logging why. */
int checkpoint_cut_back(struct output *out, const struct state *st);

#endif
