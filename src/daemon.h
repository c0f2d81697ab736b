/* daemon.h -- the hub of the loop thread: it makes the modules (the tail
 * of the paths followed, their globs, the output, the checkpoint, the
 * output's barrier and rotated files, the worker pool), wires their
 * callbacks, and drives signals, reloads and the stop. */
#ifndef TAILMUX_DAEMON_H
#define TAILMUX_DAEMON_H

#include <stddef.h>

struct barrier;
struct checkpoint;
struct config;
struct event;
struct event_base;
struct forward;
struct globs;
struct notify;
struct output;
struct pool;
struct rotated;
struct status;
struct tail;

struct daemon {
	struct config *cfg;
	struct config **retired; /* configurations before a reload that
	                            follows still being drained point into */
	size_t nretired;
	int once; /* --once: read what is there, then exit */

	struct event_base *base;
	struct pool *pool; /* reads, copy searches, saves and syncs */
	struct output *out;
	struct checkpoint *ckpt; /* when it is saved, and the output synced */
	struct barrier *barrier; /* the output's file switches */
	struct rotated *rotated; /* gzip and retention of rotated outputs */
	struct tail *tail;       /* the paths followed and their files */
	struct globs *globs;     /* the glob patterns, and their new matches */
	struct notify *notify;
	struct status *status; /* STATUS= and the watchdog */
	struct forward **fwd;  /* one a [forward:NAME] section */
	size_t nfwd;
	int rotated_held; /* a forwarder held the rotated files back */
	struct event *sig_ev[5];
	struct event *resize_ev; /* remakes the pool for a new `workers' */
	struct event *stop_ev;   /* a stop that takes too long is forced */

	unsigned workers; /* threads in the pool */
	int resize;       /* a reload changed workers: remake the pool once
	                     no job is in it (no read is started meanwhile) */
	int starting;     /* the start-up checkpoint is being saved: the output
	                     holds what is read meanwhile */
	int stopping;
	int freeing; /* daemon_free() runs: callbacks only free */
	int forced;  /* exit once no save is in the pool */
	int exit_code;
};

/* Sets up the loop, the pool, the output and one follow per configured
 * path.  Takes `cfg'.  Returns 0, or -1 after logging why. */
int daemon_init(struct daemon *d, struct config *cfg, int once);

/* Runs until stopped by SIGTERM or SIGINT (or, with --once, until every
 * input is read to its end) and returns the exit status.  SIGHUP reloads
 * the configuration; SIGUSR1 reopens the output. */
int daemon_run(struct daemon *d);

/* Frees everything daemon_init() made. */
void daemon_free(struct daemon *d);

#endif
