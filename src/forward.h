/* forward.h -- one [forward:NAME] section at work: the merged output, read
 * back from the output files, sent on to a relay over RELP or as syslog
 * over TCP (RFC 6587).
 *
 * The output is the forwarder's durable queue.  Its cursor (an output file,
 * by identity, and an offset in it) moves only over lines the receiver
 * acknowledged (over syslog-tcp: its TCP stack), and is kept in the
 * checkpoint; at start and after each reconnection everything past it is
 * sent again.  A line is therefore delivered at least once to a receiver
 * that lives on: it may see again the lines that were in flight when a
 * connection broke or tailmux was killed.  Memory is bounded by what may
 * be in flight and one read buffer, whatever the receiver does; the output
 * never waits for a forwarder.  Loop thread, but for the jobs' `run'
 * halves. */
#ifndef TAILMUX_FORWARD_H
#define TAILMUX_FORWARD_H

#include <stdint.h>

#include "config.h"

struct config_forward;
struct event_base;
struct forward;
struct pool_job;
struct state;

/* The output file as of now, as the hub sees it. */
struct forward_out {
	uint64_t dev;
	uint64_t ino;
	uint64_t committed; /* its bytes written whole */
	const char *path;   /* where it is written */
	enum format format; /* of the lines written now */
};

/* What a forwarder needs of the hub. */
struct forward_cbs {
	/* Fills *o with the output as of now. */
	void (*output)(void *arg, struct forward_out *o);
	/* The cursor moved: the checkpoint holds it. */
	void (*moved)(void *arg);
	/* Hands a job to the worker pool. */
	void (*submit)(void *arg, struct pool_job *job);
	/* One of its jobs is done: the pool may be idle now. */
	void (*job_done)(void *arg);
	void *arg;
};

/* Makes the forwarder of section `fc' (copied); its cursor is the one
 * `loaded' (a checkpoint) names for it, else the start of the current
 * output.  It connects at once. */
struct forward *forward_create(struct event_base *base,
                               const struct config_forward *fc,
                               const struct state *loaded,
                               const struct forward_cbs *cbs);

/* Takes the section of a reloaded configuration: a changed one closes the
 * connection and opens one as the new section says, from the cursor. */
void forward_set_config(struct forward *f, const struct config_forward *fc);

/* The output has more lines: send them if the window allows. */
void forward_kick(struct forward *f);

/* Adds the forwarder's cursor to the checkpoint *st, and notes its file
 * as the one of the checkpoint being saved. */
void forward_render(struct forward *f, struct state *st);

/* The checkpoint last rendered is saved: its cursor is the one a restart
 * goes on from. */
void forward_saved(struct forward *f);

/* True while the cursor, or the cursor of the checkpoint on disk, is not
 * in the current output file: the rotated files from it on must stay as
 * they are (plain, not removed), for this run and for a restart after a
 * crash. */
int forward_holds_rotated(const struct forward *f);

/* Output bytes not yet acknowledged (at least: rotated files between the
 * cursor's and the current one are not counted). */
uint64_t forward_behind(const struct forward *f);

/* The section's name. */
const char *forward_name(const struct forward *f);

/* While `on', no job is submitted (the pool is being remade); what waits
 * starts when it is turned off. */
void forward_pause(struct forward *f, int on);

/* A stop began: no job is submitted from now on. */
void forward_stop(struct forward *f);

/* Closes the connection (saying "close" if it can without waiting) and
 * frees `f' (NULL is fine), now or, with a job still in the pool, when it
 * is done. */
void forward_free(struct forward *f);

#endif
