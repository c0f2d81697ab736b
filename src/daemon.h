/* daemon.h -- the loop thread's state and the work it drives: paths to
 * follow, files to read, read jobs in the pool, the one output their lines
 * go to, and the checkpoint that ties the two together. */
#ifndef TAILMUX_DAEMON_H
#define TAILMUX_DAEMON_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "config.h"
#include "state.h"
#include "watch.h"

struct event;
struct event_base;
struct barrier;
struct checkpoint;
struct daemon_glob;
struct follow;
struct notify;
struct notify_reg;
struct output;
struct pool;
struct rotated;
struct status;

struct daemon {
	struct config *cfg;
	struct config **retired; /* configurations before a reload that
	                            follows still being drained point into */
	size_t nretired;
	int once; /* --once: read what is there, then exit */

	struct event_base *base;
	struct pool *pool;
	struct output *out;
	struct checkpoint *ckpt; /* when it is saved, and the output synced */
	struct notify *notify;
	struct event *sig_ev[5];
	struct event *poll_ev;
	struct event *drain_ev;  /* the next rotate_wait to end */
	struct event *reap_ev;   /* closes rotated files that are done */
	struct event *resize_ev; /* remakes the pool for a new `workers' */

	struct follow **follows;
	size_t nfollows;
	size_t *input_files; /* follows per input, by index in cfg->inputs */
	int *input_full;     /* max_files was reported for the input */

	struct daemon_glob *globs; /* the glob patterns of all inputs */
	size_t nglobs;
	struct event *rescan_ev;

	struct watch **slots; /* open files by slot; NULL where free */
	uint32_t nslots;
	uint32_t next_gen;
	TAILQ_HEAD(, watch) ready; /* watches waiting for a free job slot */
	size_t inflight;
	size_t max_inflight;
	unsigned workers;   /* threads in the pool */
	int resize;         /* a reload changed workers: remake the pool once
	                       no job is in it (no read is started meanwhile) */
	size_t max_pending; /* output bytes waiting before reads pause */
	size_t once_left;   /* --once: watches not read to their end yet */

	struct state loaded; /* the checkpoint found at start */
	struct state closed; /* files read to their end and closed, newest
	                        last, at most DAEMON_MAX_CLOSED */

	struct barrier *barrier; /* the output's file switches */

	struct rotated *rotated; /* gzip and retention of rotated outputs */

	int stopping;
	int freeing; /* daemon_free() runs: callbacks only free */
	int exit_code;

	uint64_t splits;
	uint64_t newline_added;

	struct event *stop_ev; /* a stop that takes too long is forced */
	int forced;            /* exit once no save is in the pool */
	struct status *status; /* STATUS= and the watchdog */
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
