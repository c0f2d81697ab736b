/* rotated.c -- gzip and retention of the output's rotated files, scheduled
 * from the loop, run by archive_run() on a thread of their own. */
#include "autoconf.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "archive.h"
#include "barrier.h"
#include "checkpoint.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "path.h"
#include "pool.h"
#include "rotate.h"
#include "rotated.h"
#include "xmalloc.h"

struct rotated {
	const struct config *cfg;
	struct checkpoint *ckpt;
	struct barrier *barrier;
	struct rotated_cbs cbs;
	struct pool *slow;      /* one thread, at the lowest priority */
	struct event *prune_ev; /* max_age */

	char **todo; /* rotated files waiting for gzip */
	size_t ntodo;
	int busy;
	int all;           /* gzip every plain rotated file (at start) */
	int stopping;      /* no job is started */
	atomic_int cancel; /* set at exit: a gzip under way stops */
};

/* One job: a location's files to gzip, and its retention. */
struct rotated_job {
	struct pool_job job;
	struct rotated *r;
	struct archive_req req;
	struct archive_result res;
};

static void rotated_submit(struct rotated *r, int all);

/* Worker thread: the job's gzip and retention. */
static void
rotated_job_run(struct pool_job *job)
{
	struct rotated_job *j = (struct rotated_job *)job;

	archive_lower_priority();
	archive_run(&j->req, &j->res);
}

/* Reports what a job did, and starts the next one if files wait. */
static void
rotated_job_done(struct pool_job *job)
{
	struct rotated_job *j = (struct rotated_job *)job;
	struct rotated *r = j->r;

	r->busy = 0;
	for (size_t i = 0; i < j->res.nmsgs; i++)
		log_errx("rotated files: %s", j->res.msgs[i]);
	if (j->res.compressed > 0)
		log_info("compressed %u rotated file%s (%" PRIu64
		         " bytes to %" PRIu64 ")",
		         j->res.compressed, j->res.compressed == 1 ? "" : "s",
		         j->res.bytes_in, j->res.bytes_out);
	if (j->res.removed > 0)
		log_info("removed %u rotated file%s past keep or max_age",
		         j->res.removed, j->res.removed == 1 ? "" : "s");
	archive_req_clear(&j->req);
	archive_result_clear(&j->res);
	free(j);
	/* At start, the next job waits for a checkpoint to name the
	 * output (rotated_saved() submits it then): submitted again at
	 * once, a job that fails (out of descriptors, say) would spin. */
	if (r->ntodo > 0 || (r->all && checkpoint_failed(r->ckpt) == 0))
		rotated_submit(r, 0);
	r->cbs.done(r->cbs.arg);
}

/* Moves the files waiting for gzip that are in req's location (directory
 * and output name) into it; the others wait for a later job. */
static void
rotated_take(struct rotated *r, struct archive_req *req)
{
	size_t k = 0, stem;
	char *dir;

	for (size_t i = 0; i < r->ntodo; i++) {
		char *p = r->todo[i];
		dir = path_dir(p);
		if (strcmp(dir, req->dir) == 0 &&
		    rotate_match(req->base, path_base(p), &stem) ==
		        ROTATE_PLAIN) {
			req->compress =
			    xreallocarray(req->compress, req->ncompress + 1,
			                  sizeof *req->compress);
			req->compress[req->ncompress++] = p;
		} else
			r->todo[k++] = p;
		free(dir);
	}
	r->ntodo = k;
}

/* Hands the files waiting for gzip, if any, to the thread, and applies
 * retention; one job at a time.  With `all', every plain rotated file
 * found is compressed. */
static void
rotated_submit(struct rotated *r, int all)
{
	const struct config *cfg = r->cfg;
	struct rotated_job *j;

	/* Not while a barrier is under way: the file it rotated may be the
	 * one the checkpoint on disk still names (found again after a
	 * crash); the barrier's end submits again. */
	if (r->busy || r->stopping || barrier_busy(r->barrier))
		return; /* rotated_job_done() submits again */
	/* Nor while a forwarder still reads a rotated file: gzip and
	 * retention would take lines it has not sent; rotated_resume()
	 * submits again. */
	if (r->cbs.held != NULL && r->cbs.held(r->cbs.arg))
		return;
	/* At start, only once a checkpoint names the current output: till
	 * then, the one on disk may name a rotated file, to be cut back. */
	if (r->all && checkpoint_failed(r->ckpt) == 0) {
		all = 1;
		r->all = 0;
	}
	j = xcalloc(1, sizeof *j);
	j->job.run = rotated_job_run;
	j->job.done = rotated_job_done;
	j->r = r;
	/* One location a job: the output's, or, after a reload moved it,
	 * the old one of the first file waiting (its name less the
	 * rotation's ".YYYYmmdd-HHMMSS.NNN"). */
	if (r->ntodo > 0 && !all) {
		const char *first = r->todo[0];
		size_t n = strlen(path_base(first)) - ROTATE_SUFFIX_LEN;
		j->req.dir = path_dir(first);
		j->req.base = xstrndup(path_base(first), n);
	} else {
		j->req.dir = path_dir(cfg->output_path);
		j->req.base = xstrdup(path_base(cfg->output_path));
	}
	rotated_take(r, &j->req);
	j->req.compress_all = all;
	j->req.level = cfg->compress == COMPRESS_GZIP ? cfg->compress_level : 0;
	j->req.keep = cfg->keep;
	j->req.max_age = cfg->max_age;
	j->req.now = time(NULL);
	j->req.cancel = &r->cancel;
	r->busy = 1;
	pool_submit(r->slow, &j->job);
}

/* max_age: looks for rotated files past it now and then (hourly, or
 * every max_age when that is shorter). */
static void
rotated_prune_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rotated *r = arg;
	uint64_t ms = r->cfg->max_age;

	(void)fd;
	(void)what;
	if (ms == 0)
		return;
	rotated_submit(r, 0);
	if (ms > 3600000)
		ms = 3600000;
	if (ms < 1000)
		ms = 1000;
	clock_timer(r->prune_ev, ms);
}

struct rotated *
rotated_create(struct event_base *base, const struct config *cfg,
               struct checkpoint *ckpt, struct barrier *barrier,
               const struct rotated_cbs *cbs)
{
	struct rotated *r = xcalloc(1, sizeof *r);

	r->cfg = cfg;
	r->ckpt = ckpt;
	r->barrier = barrier;
	r->cbs = *cbs;
	r->prune_ev = evtimer_new(base, rotated_prune_cb, r);
	if (r->prune_ev == NULL) {
		log_errx("cannot create the max_age timer");
		rotated_free(r, 0);
		return NULL;
	}
	/* gzip and retention: one thread of its own, at the lowest
	 * priority, so that compressing a large file takes no CPU from the
	 * reads. */
	r->slow = pool_create(base, 1);
	if (r->slow == NULL) {
		log_warn("cannot start the compression thread");
		rotated_free(r, 0);
		return NULL;
	}
	return r;
}

void
rotated_start(struct rotated *r)
{
	r->all = 1; /* once a checkpoint names the output */
	rotated_submit(r, 0);
	rotated_prune_cb(-1, 0, r);
}

void
rotated_set_config(struct rotated *r, const struct config *cfg)
{
	r->cfg = cfg;
	evtimer_del(r->prune_ev);
	rotated_prune_cb(-1, 0, r);
}

void
rotated_switched(struct rotated *r, char *path)
{
	if (r->all)
		rotated_submit(r, 1);
	if (path != NULL) {
		r->todo = xreallocarray(r->todo, r->ntodo + 1, sizeof *r->todo);
		r->todo[r->ntodo++] = path;
		rotated_submit(r, 0);
	}
}

void
rotated_saved(struct rotated *r)
{
	if (r->all)
		rotated_submit(r, 0);
}

void
rotated_resume(struct rotated *r)
{
	rotated_submit(r, 0);
}

int
rotated_busy(const struct rotated *r)
{
	return r->busy || r->ntodo > 0;
}

void
rotated_stop(struct rotated *r)
{
	r->stopping = 1;
}

void
rotated_free(struct rotated *r, int finish)
{
	if (r == NULL)
		return;
	r->stopping = 1; /* the last callbacks submit nothing */
	if (!finish)
		atomic_store(&r->cancel, 1);
	pool_free(r->slow);
	if (r->prune_ev != NULL)
		event_free(r->prune_ev);
	for (size_t i = 0; i < r->ntodo; i++)
		free(r->todo[i]);
	free(r->todo);
	free(r);
}
