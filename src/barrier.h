/* barrier.h -- the output's file switches: rotation (by size, at clock
 * boundaries) and reopening the configured path (SIGUSR1, a reload that
 * moved the output, an output deleted under tailmux), each through a
 * checkpointed barrier, so that a crash at any moment of one neither loses
 * nor repeats a line.  The protocol is written at the top of barrier.c.
 * Loop thread only. */
#ifndef TAILMUX_BARRIER_H
#define TAILMUX_BARRIER_H

struct barrier;
struct checkpoint;
struct config;
struct event_base;
struct notify;
struct output;

/* What the barrier tells the hub. */
struct barrier_cbs {
	/* A switch is over: the output writes to its new file.  `rotated'
	 * (the hub takes it) names the file a rotation left, NULL after a
	 * reopen. */
	void (*done)(void *arg, char *rotated);
	/* A barrier that failed was taken up again after its pause, or
	 * given up on for now: a stop may be able to finish. */
	void (*retried)(void *arg);
	void *arg;
};

/* Makes the barrier's timers and watches the output file for its removal
 * (`notify' NULL: not watched, as with `once', when no save is made
 * either).  Returns NULL after logging why. */
struct barrier *barrier_create(struct event_base *base,
                               const struct config *cfg, struct output *out,
                               struct checkpoint *ckpt, struct notify *notify,
                               int once, const struct barrier_cbs *cbs);

/* At start-up: a rotation is due if the output was last written before
 * the current rotate_interval began (tailmux was down at the boundary);
 * arms the timer for the next boundary.  barrier_step() starts it. */
void barrier_start(struct barrier *b);

/* Takes a reloaded configuration: the new size limit, the next clock
 * boundary, and a reopen if the output path changed. */
void barrier_set_config(struct barrier *b, const struct config *cfg);

/* Asks for the output path to be opened anew (SIGUSR1). */
void barrier_reopen(struct barrier *b);

/* Asks for a rotation (the output is full). */
void barrier_rotate(struct barrier *b);

/* Starts a barrier that was asked for, when nothing stands in the way, or
 * takes a stalled one on.  Called whenever that may have changed: bytes
 * written, a save done. */
void barrier_step(struct barrier *b);

/* One of the barrier's own saves (see checkpoint_save()) is done (err 0)
 * or failed. */
void barrier_saved(struct barrier *b, int err);

/* True while a barrier is under way: the output is held. */
int barrier_busy(const struct barrier *b);

/* Frees `b' (NULL is fine). */
void barrier_free(struct barrier *b);

#endif
