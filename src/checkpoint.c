/* checkpoint.c -- when the checkpoint is saved and the output synced (see
 * checkpoint.h; the checkpoint's protocol is written at the top of
 * state.c). */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "output.h"
#include "path.h"
#include "pool.h"
#include "rotate.h"
#include "state.h"
#include "watch.h"
#include "xmalloc.h"

struct checkpoint {
	const struct config *cfg;
	struct output *out;
	struct checkpoint_cbs cbs;

	struct event *save_ev; /* the next timed save; NULL with once */
	int dirty;             /* something changed since the last save */
	int soon;              /* save_ev is set for checkpoint_soon() */
	int busy;              /* a save is in the pool */
	int failed;            /* errno of the last failed save, or 0 */

	struct event *sync_ev; /* fsync = interval */
	int sync_busy;         /* a sync is in the pool */
	int sync_again;        /* one more was asked for meanwhile */
	int sync_failed;       /* errno of the last failed sync, or 0 */
	int paused;            /* checkpoint_pause() */
	int stopped;           /* checkpoint_stop() */
};

struct checkpoint_save_job {
	struct pool_job job;
	struct checkpoint *c;
	char *path;
	struct buf data;
	int sync_fd[2]; /* dups of output files to sync first, or -1 */
	int barrier;    /* handed back to the saved callback */
	int err;
	char *cause;
};

/* Syncs the output's data, off the loop. */
struct checkpoint_sync_job {
	struct pool_job job;
	struct checkpoint *c;
	int fd; /* a dup of the output's descriptor */
	int err;
};

static void checkpoint_sync(struct checkpoint *c);

/* The checkpoint as of now, in its text form. */
static void
checkpoint_render(struct checkpoint *c, struct buf *out)
{
	struct state st = {0};

	c->cbs.render(c->cbs.arg, &st);
	state_format(&st, out);
	state_clear(&st);
}

/* Worker thread: syncs the output if asked to, then writes the file. */
static void
checkpoint_save_run(struct pool_job *job)
{
	struct checkpoint_save_job *j = (struct checkpoint_save_job *)job;

	/* The checkpoint may only name output that is on disk. */
	for (int i = 0; i < 2; i++) {
		if (j->sync_fd[i] == -1)
			continue;
		if (j->err == 0 && fdatasync(j->sync_fd[i]) == -1) {
			j->err = errno;
			j->cause = xasprintf("cannot sync the output: %s",
			                     strerror(errno));
		}
		close(j->sync_fd[i]);
	}
	if (j->err != 0)
		return;
	if (state_write(j->path, j->data.data, j->data.len, &j->cause) == -1)
		j->err = errno;
}

static void
checkpoint_save_job_free(struct checkpoint_save_job *j)
{
	free(j->cause);
	free(j->path);
	buf_free(&j->data);
	free(j);
}

/* A save came back: a failure is said once and retried. */
static void
checkpoint_save_done(struct pool_job *job)
{
	struct checkpoint_save_job *j = (struct checkpoint_save_job *)job;
	struct checkpoint *c = j->c;
	int err = j->err, barrier = j->barrier;

	c->busy = 0;
	if (err != 0) {
		if (c->failed != err)
			log_errx("cannot save the checkpoint: %s; retrying "
			         "(a restart now would repeat lines)",
			         j->cause);
		c->failed = err;
		checkpoint_dirty(c);
	} else if (c->failed != 0) {
		log_notice("checkpoint saved to %s again", j->path);
		c->failed = 0;
	}
	checkpoint_save_job_free(j);
	c->cbs.saved(c->cbs.arg, barrier, err);
	c->cbs.job_done(c->cbs.arg);
}

void
checkpoint_save(struct checkpoint *c, int barrier, int sync_fd, int sync_fd2)
{
	struct checkpoint_save_job *j;

	j = xcalloc(1, sizeof *j);
	j->job.run = checkpoint_save_run;
	j->job.done = checkpoint_save_done;
	j->c = c;
	j->path = xstrdup(c->cfg->state_file);
	j->barrier = barrier;
	j->sync_fd[0] = sync_fd;
	j->sync_fd[1] = sync_fd2;
	checkpoint_render(c, &j->data);
	c->dirty = 0;
	c->busy = 1;
	c->cbs.submit(c->cbs.arg, &j->job);
}

/* The timer: saves from a worker, one save at a time. */
static void
checkpoint_save_cb(evutil_socket_t fd, short what, void *arg)
{
	struct checkpoint *c = arg;

	(void)fd;
	(void)what;
	c->soon = 0;
	if (!c->dirty)
		return;
	if (c->busy || c->cbs.held(c->cbs.arg)) {
		clock_timer(c->save_ev, c->cfg->checkpoint_interval);
		return; /* again after this one */
	}
	checkpoint_save(c, 0,
	                c->cfg->fsync == FSYNC_INTERVAL ||
	                        c->cfg->fsync == FSYNC_ALWAYS
	                    ? dup(output_fd(c->out))
	                    : -1,
	                -1);
}

void
checkpoint_dirty(struct checkpoint *c)
{
	if (c == NULL || c->save_ev == NULL)
		return;
	c->dirty = 1;
	if (!evtimer_pending(c->save_ev, NULL))
		clock_timer(c->save_ev, c->cfg->checkpoint_interval);
}

void
checkpoint_soon(struct checkpoint *c)
{
	uint64_t ms = CHECKPOINT_SOON_MS;

	if (c == NULL || c->save_ev == NULL)
		return;
	c->dirty = 1;
	if (c->soon)
		return;
	c->soon = 1;
	if (c->cfg->checkpoint_interval < ms)
		ms = c->cfg->checkpoint_interval;
	clock_timer(c->save_ev, ms); /* sooner than a timed save set */
}

int
checkpoint_save_now(struct checkpoint *c)
{
	struct buf b = {0};
	char *cause;
	int r;

	checkpoint_render(c, &b);
	r = state_write(c->cfg->state_file, b.data, b.len, &cause);
	if (r == -1) {
		c->failed = errno != 0 ? errno : EIO;
		log_errx("cannot save the checkpoint: %s", cause);
		free(cause);
		checkpoint_dirty(c); /* retried */
	} else if (c->failed != 0) {
		log_notice("checkpoint saved to %s again", c->cfg->state_file);
		c->failed = 0;
	}
	buf_free(&b);
	return r;
}

int
checkpoint_busy(const struct checkpoint *c)
{
	return c->busy;
}

int
checkpoint_failed(const struct checkpoint *c)
{
	return c->failed;
}

/* Worker thread: syncs the output's data. */
static void
checkpoint_sync_run(struct pool_job *job)
{
	struct checkpoint_sync_job *j = (struct checkpoint_sync_job *)job;

	if (fdatasync(j->fd) == -1)
		j->err = errno;
	close(j->fd);
}

static void
checkpoint_sync_done(struct pool_job *job)
{
	struct checkpoint_sync_job *j = (struct checkpoint_sync_job *)job;
	struct checkpoint *c = j->c;

	c->sync_busy = 0;
	if (j->err != 0 && j->err != c->sync_failed)
		log_errx("cannot sync %s: %s", c->cfg->output_path,
		         strerror(j->err));
	c->sync_failed = j->err;
	free(j);
	if (c->sync_again && !c->paused) {
		c->sync_again = 0;
		checkpoint_sync(c);
	}
	c->cbs.job_done(c->cbs.arg);
}

/* Syncs the output's data from a worker; one at a time. */
static void
checkpoint_sync(struct checkpoint *c)
{
	struct checkpoint_sync_job *j;
	int fd;

	if (c->sync_busy || c->paused) {
		c->sync_again = 1;
		return;
	}
	if (c->stopped || (fd = dup(output_fd(c->out))) == -1)
		return;
	j = xcalloc(1, sizeof *j);
	j->job.run = checkpoint_sync_run;
	j->job.done = checkpoint_sync_done;
	j->c = c;
	j->fd = fd;
	c->sync_busy = 1;
	c->cbs.submit(c->cbs.arg, &j->job);
}

static void
checkpoint_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	checkpoint_sync(arg);
}

void
checkpoint_written(struct checkpoint *c)
{
	if (c->cfg->fsync == FSYNC_ALWAYS)
		checkpoint_sync(c);
	else if (c->cfg->fsync == FSYNC_INTERVAL &&
	         !evtimer_pending(c->sync_ev, NULL))
		clock_timer(c->sync_ev, c->cfg->fsync_interval);
}

void
checkpoint_pause(struct checkpoint *c, int on)
{
	c->paused = on;
	if (!on && c->sync_again) {
		c->sync_again = 0;
		checkpoint_sync(c);
	}
}

void
checkpoint_stop(struct checkpoint *c)
{
	if (c != NULL)
		c->stopped = 1;
}

struct checkpoint *
checkpoint_create(struct event_base *base, const struct config *cfg,
                  struct output *out, int once,
                  const struct checkpoint_cbs *cbs)
{
	struct checkpoint *c = xcalloc(1, sizeof *c);

	c->cfg = cfg;
	c->out = out;
	c->cbs = *cbs;
	c->sync_ev = evtimer_new(base, checkpoint_sync_cb, c);
	if (!once)
		c->save_ev = evtimer_new(base, checkpoint_save_cb, c);
	if (c->sync_ev == NULL || (!once && c->save_ev == NULL)) {
		log_errx("cannot create the checkpoint's timers");
		checkpoint_free(c);
		return NULL;
	}
	return c;
}

void
checkpoint_set_config(struct checkpoint *c, const struct config *cfg)
{
	c->cfg = cfg;
}

void
checkpoint_free(struct checkpoint *c)
{
	if (c == NULL)
		return;
	if (c->save_ev != NULL)
		event_free(c->save_ev);
	if (c->sync_ev != NULL)
		event_free(c->sync_ev);
	free(c);
}

void
checkpoint_load(const char *path, struct state *st)
{
	char *cause = NULL, *aside;
	int r;

	r = state_read(path, st, &cause);
	if (r == 1) {
		log_info("no checkpoint at %s yet: starting afresh", path);
		return;
	}
	if (r == -1) {
		/* Left as it is: it may be fine once it can be read. */
		log_errx("%s: %s; starting without a checkpoint", path, cause);
		free(cause);
		return;
	}
	if (r == -2) {
		aside = xasprintf("%s.bad", path);
		log_errx("%s: %s; starting without a checkpoint (the "
		         "file is "
		         "kept as %s)",
		         path, cause, aside);
		if (rename(path, aside) == -1 && errno != ENOENT)
			log_warn("cannot rename %s to %s", path, aside);
		free(aside);
		free(cause);
		return;
	}
	log_info("resuming from the checkpoint in %s (%zu files)", path,
	         st->nfiles);
}

/* The checkpoint's output was found as `found', not at its path.  When
 * that is a name our rotation gives the output now open (same path, same
 * directory), the file at the path was made by that rotation after the
 * checkpoint was rendered (see barrier.c): all it holds is read again, so
 * it is cut to 0.  Anything else at the path (an outside rename, a reload
 * that moved the output) is left alone.  Returns 0, or -1 after logging
 * why. */
static int
checkpoint_cut_rotated(struct output *out, const struct state *st,
                       const char *found)
{
	char *dir = path_dir(st->out_path), *fdir = path_dir(found);
	size_t stem;
	int ours;
	int64_t cut;

	ours = strcmp(st->out_path, output_path(out)) == 0 &&
	       strcmp(dir, fdir) == 0 &&
	       rotate_match(path_base(st->out_path), path_base(found), &stem) ==
	           ROTATE_PLAIN;
	free(dir);
	free(fdir);
	if (!ours)
		return 0;
	cut = output_truncate(out, 0);
	if (cut < 0) {
		log_warn("cannot cut %s back to empty", output_path(out));
		return -1;
	}
	if (cut > 0)
		log_notice("%s: cut %" PRId64 " bytes written after the "
		           "rotation to %s and before a checkpoint named it; "
		           "their lines are read again",
		           output_path(out), cut, path_base(found));
	return 0;
}

int
checkpoint_cut_back(struct output *out, const struct state *st)
{
	struct watch_find q;
	uint64_t dev, ino;
	struct stat sb;
	char *name, *dir;
	int64_t cut;
	int fd, r;

	if (st->out_path == NULL)
		return 0;
	output_identity(out, &dev, &ino);
	if (dev == st->out_dev && ino == st->out_ino) {
		cut = output_truncate(out, st->out_len);
		if (cut < 0) {
			log_warn("cannot cut %s back to its "
			         "checkpointed length",
			         output_path(out));
			return -1;
		}
		if (cut > 0)
			log_notice("%s: cut %" PRId64
			           " bytes written after the "
			           "last checkpoint; their lines are "
			           "read again",
			           output_path(out), cut);
		if ((uint64_t)output_committed(out) < st->out_len)
			log_warnx("%s is shorter than the checkpoint says "
			          "(%" PRIu64 " < %" PRIu64
			          " bytes): lines may "
			          "have been lost (a power failure without "
			          "fsync?)",
			          output_path(out), output_committed(out),
			          st->out_len);
		return 0;
	}
	/* The output was replaced: find the one the checkpoint names.
	 */
	dir = path_dir(st->out_path);
	memset(&q, 0, sizeof q);
	q.dev = st->out_dev;
	q.ino = st->out_ino;
	fd = watch_find(dir, &q, &sb, &name);
	free(dir);
	if (fd == -1) {
		log_warnx("the output the checkpoint names (inode %" PRIu64
		          ") is gone; lines written after that checkpoint "
		          "may "
		          "appear twice",
		          st->out_ino);
		return 0;
	}
	close(fd);
	if ((uint64_t)sb.st_size > st->out_len) {
		if (truncate(name, (off_t)st->out_len) == -1) {
			log_warn("cannot cut %s back to its "
			         "checkpointed length",
			         name);
			free(name);
			return -1;
		}
		log_notice("%s: cut %" PRIu64 " bytes written after the last "
		           "checkpoint; their lines are read again",
		           name, (uint64_t)sb.st_size - st->out_len);
	}
	r = checkpoint_cut_rotated(out, st, name);
	free(name);
	return r;
}
