/* barrier.c -- the output's file switches, through a checkpointed barrier.
 *
 * A barrier holds the output at a line boundary, switches files, and saves
 * a checkpoint naming the new file at length 0 (after syncing the old one,
 * unless fsync = never).  A crash before that save restarts on the old
 * file, found by identity, cut back to the length the last checkpoint gave
 * it; the lines past it are read again into the new file, once.
 *
 * A reopen (SIGUSR1, a reload moving the output, the output deleted) first
 * saves a checkpoint naming the old file at its final length, as it may
 * have been moved where it cannot be found, and writes nothing to the new
 * file before the second save: the new file is someone else's (logrotate's
 * `create'), and a restart must not cut it.
 *
 * A rotation skips the first save (the renamed file stays in its
 * directory, under a name of ours) and lets lines flow into the new file
 * as soon as it is made, while the second save is under way: the output is
 * held only for the rename and the open, not for the syncs, nor for a
 * timed save that was in the pool (the second save then follows it).  A crash
 * before that save restarts with a checkpoint naming the file the rotation
 * renamed: checkpoint_cut_back() cuts it back to its length, and the new
 * file, made by the rotation after that checkpoint, to 0; the lines of
 * both are read again, once.
 *
 * Timed saves wait while a barrier is under way (barrier_busy()), and so
 * do gzip and retention: the file a rotation left may be the one the
 * checkpoint on disk still names.
 *
 *   NONE --(asked, at a line boundary)--> OLD: save naming the old file
 *        (a rotation skips the save) --> switch files (a rotation lets
 *        the output go on; NEW_WAIT while a timed save is in the pool)
 *        --> NEW: save naming the new file --> NONE, lines flow into the
 *        new file.
 *   A failure before the switch gives the barrier up (the old file goes
 *   on) and tries again in 5s; a failed NEW save is retried every second
 *   (NEW_RETRY), a reopen's output held meanwhile. */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "barrier.h"
#include "checkpoint.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "path.h"
#include "rotate.h"
#include "xmalloc.h"

/* The steps of a barrier. */
enum barrier_step {
	BARRIER_NONE,
	BARRIER_OLD,       /* saving the checkpoint naming the old file */
	BARRIER_NEW_WAIT,  /* a rotation switched while another save was in
	                      the pool: the one naming the new file comes
	                      once that is done */
	BARRIER_NEW,       /* saving the one naming the new file */
	BARRIER_NEW_RETRY, /* that save failed; trying again soon */
};

struct barrier {
	const struct config *cfg;
	struct output *out;
	struct checkpoint *ckpt;
	struct notify *notify;
	struct barrier_cbs cbs;
	int once;

	int reopen;        /* open the configured output path when possible */
	int rotate_wanted; /* rotate the output when possible */
	enum barrier_step step;
	int rotate;             /* the barrier under way renames the file */
	char *rotated;          /* the file's rotated name, in a barrier */
	int old_fd;             /* a dup of the rotated file, to sync before the
	                           checkpoint naming the new one; or -1 */
	struct event *retry_ev; /* retries a barrier that failed */
	struct event *rotate_ev; /* the next rotate_interval boundary */
	time_t rotate_at;
	struct notify_reg *out_reg; /* the output file, for its removal */
};

static void barrier_watch(struct barrier *b);

/* inotify: the output file's links changed; if it was deleted, it is
 * made again. */
static void
barrier_output_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
                     const char *name)
{
	struct barrier *b = arg;
	struct stat st;

	(void)owner;
	(void)mask;
	(void)cookie;
	(void)name;
	if (fstat(output_fd(b->out), &st) == 0 && st.st_nlink == 0 &&
	    !b->reopen) {
		log_warnx("%s was deleted, and with it the lines "
		          "written to it; creating it again",
		          output_path(b->out));
		b->reopen = 1;
		barrier_step(b);
	}
}

/* Watches the output file for its removal (its link count falling to 0:
 * IN_ATTRIB), so that a deleted output, or one whose directory was
 * removed, is created again rather than written to unseen. */
static void
barrier_watch(struct barrier *b)
{
	struct stat st;

	if (b->notify == NULL)
		return;
	notify_rm(b->notify, b->out_reg);
	b->out_reg = notify_add(b->notify, output_path(b->out), IN_ATTRIB,
	                        barrier_output_event, b, b);
	/* Removed before the watch was in place (or no watch could be
	 * added): the next barrier step reopens it. */
	if (fstat(output_fd(b->out), &st) == 0 && st.st_nlink == 0)
		b->reopen = 1;
}

/* A dup of the output's descriptor when the fsync policy syncs it at a
 * barrier, else -1. */
static int
barrier_sync_fd(struct barrier *b, int fd)
{
	return b->cfg->fsync != FSYNC_NEVER && fd != -1 ? dup(fd) : -1;
}

/* Saves the checkpoint naming the new file as it is now, after the
 * switch: the old file synced first and, after a rotation, the new one,
 * which has taken lines since. */
static void
barrier_save_new(struct barrier *b)
{
	b->step = BARRIER_NEW;
	checkpoint_save(b->ckpt, 1, barrier_sync_fd(b, b->old_fd),
	                b->rotate ? barrier_sync_fd(b, output_fd(b->out)) : -1);
}

void
barrier_step(struct barrier *b)
{
	/* A failed NEW save is taken on again once its pause is over, not
	 * by the hub's step right after the failure. */
	if (b->step == BARRIER_NEW_RETRY && !checkpoint_busy(b->ckpt) &&
	    !evtimer_pending(b->retry_ev, NULL)) {
		barrier_save_new(b);
		return;
	}
	/* One save at a time: a rotation's comes after the one that was in
	 * the pool when it switched. */
	if (b->step == BARRIER_NEW_WAIT && !checkpoint_busy(b->ckpt)) {
		barrier_save_new(b);
		return;
	}
	if (b->step != BARRIER_NONE || (!b->reopen && !b->rotate_wanted))
		return;
	/* A reopen's first save waits for one in the pool; a rotation, which
	 * makes none before switching, switches at once, so that a full
	 * output does not wait for a timed save's syncs. */
	if ((b->reopen && checkpoint_busy(b->ckpt)) ||
	    evtimer_pending(b->retry_ev, NULL))
		return; /* called again after the save or the pause */
	output_hold(b->out, 1);
	if (!output_at_boundary(b->out)) {
		(void)output_flush(b->out); /* the rest of a half line */
		if (!output_at_boundary(b->out))
			return; /* called again once it is written */
	}
	if (!b->reopen && output_committed(b->out) == 0) {
		b->rotate_wanted = 0; /* nothing to rotate */
		output_hold(b->out, 0);
		return;
	}
	b->rotate = !b->reopen;
	if (b->reopen)
		b->reopen = 0;
	else
		b->rotate_wanted = 0;
	b->step = BARRIER_OLD;
	if (b->once || b->rotate) {
		b->old_fd =
		    b->once ? -1 : barrier_sync_fd(b, output_fd(b->out));
		barrier_saved(b, 0);
	} else
		checkpoint_save(b->ckpt, 1,
		                barrier_sync_fd(b, output_fd(b->out)), -1);
}

/* Lets the output go on into the file just switched to, within its size
 * limit, and watches that file for its removal. */
static void
barrier_release(struct barrier *b)
{
	output_set_limit(b->out, b->cfg->rotate_size);
	output_hold(b->out, 0);
	barrier_watch(b);
}

/* Gives the barrier up after a failure: the output goes on in the old
 * file, and the barrier is tried again after a pause. */
static void
barrier_abort(struct barrier *b)
{
	struct timeval tv = {5, 0};

	if (b->rotate)
		b->rotate_wanted = 1;
	else
		b->reopen = 1;
	if (b->old_fd != -1)
		close(b->old_fd);
	b->old_fd = -1;
	b->step = BARRIER_NONE;
	output_set_limit(b->out, 0); /* or it stays full */
	output_hold(b->out, 0);
	evtimer_add(b->retry_ev, &tv);
}

/* The OLD save is done: switch files, then save naming the new one. */
static void
barrier_switch(struct barrier *b)
{
	char *cause, *rotated = NULL, *old;
	int r;

	old = xstrdup(output_path(b->out));
	if (b->rotate)
		r = output_rotate(b->out, time(NULL), b->cfg->rotate_utc,
		                  &rotated, &cause);
	else
		r = output_reopen_at(b->out, b->cfg->output_path, &cause);
	if (r == -1 && b->rotate && errno == ESTALE) {
		/* Reopen instead (with its first save), then rotate what is
		 * at the path if there is anything. */
		log_notice("%s; opening the path anew instead of rotating",
		           cause);
		free(cause);
		free(old);
		if (b->old_fd != -1)
			close(b->old_fd);
		b->old_fd = -1;
		b->step = BARRIER_NONE;
		output_hold(b->out, 0);
		b->reopen = b->rotate_wanted = 1;
		barrier_step(b);
		return;
	}
	if (r == -1) {
		log_errx("cannot %s the output: %s; still writing %s, trying "
		         "again in 5s",
		         b->rotate ? "rotate" : "reopen", cause, old);
		free(cause);
		free(old);
		barrier_abort(b);
		return;
	}
	if (!b->rotate && strcmp(old, b->cfg->output_path) != 0)
		log_notice("reload: the output is now %s (%s is complete and "
		           "left as it is)",
		           b->cfg->output_path, old);
	else if (!b->rotate)
		log_notice("SIGUSR1: reopened %s", b->cfg->output_path);
	free(old);
	free(b->rotated);
	b->rotated = rotated;
	b->step = BARRIER_NEW;
	if (b->once) {
		barrier_saved(b, 0);
		return;
	}
	/* A rotation's lines flow from here on; a reopen's once the save is
	 * done.  The save is rendered now, naming the new file at length 0,
	 * or, if another is in the pool, after it (barrier_step()). */
	if (b->rotate && checkpoint_busy(b->ckpt))
		b->step = BARRIER_NEW_WAIT;
	else
		checkpoint_save(b->ckpt, 1, barrier_sync_fd(b, b->old_fd), -1);
	if (b->rotate)
		barrier_release(b);
}

void
barrier_saved(struct barrier *b, int err)
{
	struct timeval tv = {1, 0};
	char *rotated;

	if (b->step == BARRIER_OLD) {
		if (err != 0)
			barrier_abort(b);
		else
			barrier_switch(b);
		return;
	}
	if (b->step != BARRIER_NEW)
		return;
	if (err != 0) {
		/* Nothing may go to the new file before a checkpoint names
		 * it: keep holding, and save again. */
		b->step = BARRIER_NEW_RETRY;
		evtimer_add(b->retry_ev, &tv);
		return;
	}
	b->step = BARRIER_NONE;
	if (b->old_fd != -1)
		close(b->old_fd);
	b->old_fd = -1;
	if (!b->rotate || b->once)
		barrier_release(b);
	else
		output_set_limit(b->out, b->cfg->rotate_size); /* a reload's */
	rotated = b->rotated;
	b->rotated = NULL;
	if (rotated != NULL)
		log_notice("rotated %s to %s", b->cfg->output_path,
		           path_base(rotated));
	b->cbs.done(b->cbs.arg, rotated);
}

/* The retry pause of a barrier is over. */
static void
barrier_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct barrier *b = arg;

	(void)fd;
	(void)what;
	if (b->step == BARRIER_NONE)
		output_set_limit(b->out, b->cfg->rotate_size);
	barrier_step(b);
	b->cbs.retried(b->cbs.arg);
}

/* Arms the timer for the next rotate_interval boundary, if any. */
static void
barrier_rotate_arm(struct barrier *b)
{
	const struct config *cfg = b->cfg;
	struct timeval tv;
	time_t now = time(NULL), at;

	at = rotate_boundary(now, cfg->rotate_period, cfg->rotate_every,
	                     cfg->rotate_utc);
	if (at == 0) {
		evtimer_del(b->rotate_ev);
		return;
	}
	b->rotate_at = at;
	tv.tv_sec = at - now;
	tv.tv_usec = 0;
	evtimer_add(b->rotate_ev, &tv);
}

/* A rotate_interval boundary: rotate unless the file is empty. */
static void
barrier_rotate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct barrier *b = arg;
	struct timeval tv = {1, 0};

	(void)fd;
	(void)what;
	if (time(NULL) < b->rotate_at) { /* the clock was set back */
		evtimer_add(b->rotate_ev, &tv);
		return;
	}
	b->rotate_wanted = 1;
	barrier_step(b);
	barrier_rotate_arm(b);
}

void
barrier_start(struct barrier *b)
{
	const struct config *cfg = b->cfg;
	struct stat st;

	if (cfg->rotate_period != ROTATE_NONE && output_committed(b->out) > 0 &&
	    fstat(output_fd(b->out), &st) == 0 &&
	    rotate_boundary(st.st_mtime, cfg->rotate_period, cfg->rotate_every,
	                    cfg->rotate_utc) <= time(NULL))
		b->rotate_wanted = 1;
	barrier_rotate_arm(b);
}

void
barrier_set_config(struct barrier *b, const struct config *cfg)
{
	b->cfg = cfg;
	if (b->step == BARRIER_NONE)
		output_set_limit(b->out, cfg->rotate_size);
	barrier_rotate_arm(b);
	if (strcmp(cfg->output_path, output_path(b->out)) != 0) {
		b->reopen = 1;
		barrier_step(b);
	}
}

void
barrier_reopen(struct barrier *b)
{
	b->reopen = 1;
	barrier_step(b);
}

void
barrier_rotate(struct barrier *b)
{
	b->rotate_wanted = 1;
	barrier_step(b);
}

int
barrier_busy(const struct barrier *b)
{
	return b != NULL && b->step != BARRIER_NONE;
}

struct barrier *
barrier_create(struct event_base *base, const struct config *cfg,
               struct output *out, struct checkpoint *ckpt,
               struct notify *notify, int once, const struct barrier_cbs *cbs)
{
	struct barrier *b = xcalloc(1, sizeof *b);

	b->cfg = cfg;
	b->out = out;
	b->ckpt = ckpt;
	b->notify = notify;
	b->once = once;
	b->cbs = *cbs;
	b->old_fd = -1;
	b->retry_ev = evtimer_new(base, barrier_retry_cb, b);
	b->rotate_ev = evtimer_new(base, barrier_rotate_cb, b);
	if (b->retry_ev == NULL || b->rotate_ev == NULL) {
		log_errx("cannot create the output rotation's timers");
		barrier_free(b);
		return NULL;
	}
	output_set_limit(out, cfg->rotate_size);
	barrier_watch(b);
	return b;
}

void
barrier_free(struct barrier *b)
{
	if (b == NULL)
		return;
	notify_rm(b->notify, b->out_reg);
	if (b->retry_ev != NULL)
		event_free(b->retry_ev);
	if (b->rotate_ev != NULL)
		event_free(b->rotate_ev);
	free(b->rotated);
	if (b->old_fd != -1)
		close(b->old_fd);
	free(b);
}
