/* daemon.c -- the hub: sets the modules up, wires their callbacks, and
 * drives signals, reloads, the pool's resize and the stop.  The paths and
 * their files are tail.c's; the checkpoint protocol is described in
 * state.c. */
#include "autoconf.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "barrier.h"
#include "checkpoint.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "forward.h"
#include "globs.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "path.h"
#include "pool.h"
#include "rotated.h"
#include "service.h"
#include "state.h"
#include "status.h"
#include "tail.h"
#include "xmalloc.h"

static void daemon_maybe_finish(struct daemon *d);
static void daemon_mark_dirty(struct daemon *d);
static void daemon_try_resize(struct daemon *d);
static void daemon_submit(void *arg, struct pool_job *job);

/* Ends the loop once a stop (or --once) has nothing left in flight and
 * every line read has been written. */
static void
daemon_maybe_finish(struct daemon *d)
{
	if (d->forced) {
		/* Not while a save is in the pool: the last one is made
		 * after the loop, on the same temporary file. */
		if (!checkpoint_busy(d->ckpt))
			event_base_loopbreak(d->base);
		return;
	}
	if (!d->stopping && !tail_once_done(d->tail))
		return;
	if (tail_inflight(d->tail) > 0 || checkpoint_busy(d->ckpt) ||
	    barrier_busy(d->barrier))
		return;
	/* --once leaves nothing for later: every rotated file gzipped. */
	if (d->once && rotated_busy(d->rotated))
		return; /* daemon_rotated_done() calls again */
	/* A failed write is retried, a full file rotated; either calls us
	 * again. */
	if (output_pending(d->out) > 0 &&
	    (output_flush(d->out) == -1 || output_pending(d->out) > 0))
		return;
	event_base_loopbreak(d->base);
}

/* Output callback: bytes were written, so reads may go on. */
static void
daemon_written(void *arg)
{
	struct daemon *d = arg;

	checkpoint_written(d->ckpt);
	barrier_step(d->barrier);
	tail_dispatch(d->tail);
	daemon_maybe_finish(d);
}

/* Output callback: the next lines would take the file past rotate_size. */
static void
daemon_full(void *arg)
{
	struct daemon *d = arg;

	barrier_rotate(d->barrier);
}

/* The output switched files: the one a rotation left is gzipped (and,
 * at start, every plain rotated file, now that a checkpoint names the
 * current output), and reads go on. */
static void
daemon_switched(void *arg, char *rotated)
{
	struct daemon *d = arg;

	rotated_switched(d->rotated, rotated);
	tail_dispatch(d->tail);
}

/* A failed barrier was taken up again, or given up on for now. */
static void
daemon_barrier_retried(void *arg)
{
	daemon_maybe_finish(arg);
}

/* A gzip and retention job is done. */
static void
daemon_rotated_done(void *arg)
{
	struct daemon *d = arg;

	if (d->freeing)
		return;
	daemon_maybe_finish(d);
}

/* Output callback: a chunk of lines is written whole. */
static void
daemon_committed(void *arg, const struct output_mark *mark, uint64_t length)
{
	struct daemon *d = arg;

	(void)length;
	tail_committed(d->tail, mark);
	daemon_mark_dirty(d);
	for (size_t i = 0; i < d->nfwd; i++)
		forward_kick(d->fwd[i]);
}

/* Renders the checkpoint as of now: the output's length up to its last
 * whole write, and what each file has had written. */
static void
daemon_render(void *arg, struct state *st)
{
	struct daemon *d = arg;

	st->out_path = xstrdup(output_path(d->out));
	output_identity(d->out, &st->out_dev, &st->out_ino);
	st->out_len = output_committed(d->out);
	tail_render(d->tail, st);
	for (size_t i = 0; i < d->nfwd; i++)
		forward_render(d->fwd[i], st);
}

/* The figures of a STATUS= line, as of now. */
static void
daemon_status_sample(void *arg, struct status_sample *m)
{
	struct daemon *d = arg;

	tail_sample(d->tail, m);
	m->written = output_written(d->out);
	m->pending = output_pending(d->out);
	m->stopping = d->stopping;
	m->output = d->cfg->output_path;
	for (size_t i = 0, off = 0; i < d->nfwd && off < sizeof m->fwd; i++) {
		uint64_t b = forward_behind(d->fwd[i]);
		int n = snprintf(m->fwd + off, sizeof m->fwd - off,
		                 "; forward %s: %" PRIu64 " bytes behind",
		                 forward_name(d->fwd[i]), b);
		m->fwd_behind += b;
		if (n > 0)
			off += (size_t)n;
	}
}

/* Forwarder callback: the output file being written and its length. */
static void
daemon_fwd_output(void *arg, struct forward_out *o)
{
	struct daemon *d = arg;

	output_identity(d->out, &o->dev, &o->ino);
	o->committed = output_committed(d->out);
	o->path = output_path(d->out);
	o->format = d->cfg->format;
}

/* Rotated-files callback: true while a forwarder has not finished with
 * the rotated output files (they are neither gzipped nor removed). */
static int
daemon_rotated_held(void *arg)
{
	struct daemon *d = arg;

	for (size_t i = 0; i < d->nfwd; i++)
		if (forward_holds_rotated(d->fwd[i])) {
			d->rotated_held = 1;
			return 1;
		}
	return 0;
}

/* Forwarder callback: its cursor moved; the rotated files it held may be
 * gzipped and removed now. */
static void
daemon_fwd_moved(void *arg)
{
	struct daemon *d = arg;

	if (d->freeing)
		return;
	daemon_mark_dirty(d);
	if (d->rotated_held && !daemon_rotated_held(d)) {
		d->rotated_held = 0;
		rotated_resume(d->rotated);
	}
}

/* Forwarder callback: one of its jobs is done. */
static void
daemon_fwd_job_done(void *arg)
{
	struct daemon *d = arg;

	if (d->freeing)
		return;
	daemon_try_resize(d);
	daemon_maybe_finish(d);
}

/* Makes the forwarder of `fc', its cursor from `loaded'. */
static struct forward *
daemon_fwd_create(struct daemon *d, const struct config_forward *fc,
                  const struct state *loaded)
{
	struct forward_cbs cbs = {daemon_fwd_output, daemon_fwd_moved,
	                          daemon_submit, daemon_fwd_job_done, d};

	return forward_create(d->base, fc, loaded, &cbs);
}

/* A reload: forwarders added start (from the start of the current
 * output), changed ones reconnect from their cursors, removed ones
 * stop (their cursors leave the checkpoint). */
static void
daemon_fwd_reload(struct daemon *d, const struct config *old)
{
	const struct config *cfg = d->cfg;
	struct forward **fwd = xcalloc(cfg->nforwards + 1, sizeof *fwd);
	struct state none = {0};

	for (size_t i = 0; i < cfg->nforwards; i++) {
		const struct config_forward *fc = &cfg->forwards[i];
		const struct config_forward *o =
		    config_forward_named(old, fc->name);
		for (size_t k = 0; o != NULL && k < d->nfwd; k++) {
			if (d->fwd[k] == NULL ||
			    strcmp(forward_name(d->fwd[k]), fc->name) != 0)
				continue;
			fwd[i] = d->fwd[k];
			d->fwd[k] = NULL;
			if (!config_forward_same(o, fc)) {
				log_info("reload: [forward:%s] changed",
				         fc->name);
				forward_set_config(fwd[i], fc);
			}
		}
		if (fwd[i] == NULL) {
			log_info("reload: [forward:%s] added (to %s:%s)",
			         fc->name, fc->host, fc->port);
			fwd[i] = daemon_fwd_create(d, fc, &none);
		}
	}
	for (size_t k = 0; k < d->nfwd; k++) {
		if (d->fwd[k] == NULL)
			continue;
		log_info("reload: [forward:%s] removed",
		         forward_name(d->fwd[k]));
		forward_free(d->fwd[k]);
	}
	free(d->fwd);
	d->fwd = fwd;
	d->nfwd = cfg->nforwards;
	if (d->rotated_held && !daemon_rotated_held(d)) {
		d->rotated_held = 0;
		rotated_resume(d->rotated);
	}
}

static void daemon_started(struct daemon *d);

/* A save is done (err 0) or failed: an output barrier takes its own on;
 * once a checkpoint names the current output, rotated files may be
 * gzipped. */
static void
daemon_saved(void *arg, int barrier, int err)
{
	struct daemon *d = arg;

	if (d->freeing)
		return; /* the loop is gone */
	if (d->starting)
		daemon_started(d);
	/* The forwarders' cursors on disk moved: rotated files behind them
	 * all may go. */
	for (size_t i = 0; i < d->nfwd && err == 0; i++)
		forward_saved(d->fwd[i]);
	if (err == 0 && d->rotated_held && !daemon_rotated_held(d)) {
		d->rotated_held = 0;
		rotated_resume(d->rotated);
	}
	if (err != 0)
		status_kick(d->status);
	else if (!barrier)
		rotated_saved(d->rotated);
	if (barrier)
		barrier_saved(d->barrier, err);
	barrier_step(d->barrier);
}

/* A job of the checkpoint's is done. */
static void
daemon_ckpt_done(void *arg)
{
	struct daemon *d = arg;

	if (d->freeing)
		return;
	daemon_try_resize(d);
	daemon_maybe_finish(d);
}

/* True while timed saves wait: an output barrier makes its own. */
static int
daemon_ckpt_held(void *arg)
{
	struct daemon *d = arg;

	return barrier_busy(d->barrier);
}

/* Hands a job to the worker pool. */
static void
daemon_submit(void *arg, struct pool_job *job)
{
	struct daemon *d = arg;

	pool_submit(d->pool, job);
}

/* Something the checkpoint holds changed: save within checkpoint_interval,
 * and say so in the next STATUS= line. */
static void
daemon_mark_dirty(struct daemon *d)
{
	status_kick(d->status);
	checkpoint_dirty(d->ckpt);
}

/* Frees the configurations replaced by reloads that no follow points into
 * any more (the paths they alone named are read to their end by now). */
static void
daemon_retired_free(struct daemon *d)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nretired; i++) {
		if (tail_config_used(d->tail, d->retired[i]))
			d->retired[k++] = d->retired[i];
		else
			config_free(d->retired[i]);
	}
	d->nretired = k;
}

/* Tail callback: what the checkpoint holds changed. */
static void
daemon_tail_changed(void *arg)
{
	daemon_mark_dirty(arg);
}

/* Tail callback: a rotated file was read to its end. */
static void
daemon_tail_settled(void *arg)
{
	struct daemon *d = arg;

	status_kick(d->status);
	checkpoint_soon(d->ckpt);
}

/* Tail callback: a read, a copy search or a reap is done. */
static void
daemon_tail_done(void *arg)
{
	struct daemon *d = arg;

	if (d->freeing)
		return;
	daemon_retired_free(d);
	daemon_try_resize(d);
	daemon_maybe_finish(d);
}

/* A reload changed workers: the pool is made anew once no job is in it;
 * meanwhile no read is started.  On a loop turn of its
 * own, since this is called from the pool's callbacks. */
static void
daemon_try_resize(struct daemon *d)
{
	if (d->resize && pool_busy(d->pool) == 0)
		event_active(d->resize_ev, 0, 0);
}

/* Remakes the pool with the reloaded number of workers, once no job is in
 * it; if that fails, with as many as before. */
static void
daemon_resize_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	unsigned want = d->cfg->workers;

	(void)fd;
	(void)what;
	if (!d->resize || pool_busy(d->pool) > 0)
		return; /* a save went in meanwhile: called again after it */
	d->resize = 0;
	pool_free(d->pool);
	d->pool = pool_create(d->base, want);
	if (d->pool != NULL) {
		log_info("reload: %u worker thread%s now (were %u)", want,
		         want == 1 ? "" : "s", d->workers);
		d->workers = want;
	} else {
		log_warn("reload: cannot start %u worker threads; going on "
		         "with %u",
		         want, d->workers);
		d->pool = pool_create(d->base, d->workers);
		if (d->pool == NULL)
			fatal("cannot start %u worker threads", d->workers);
	}
	tail_set_pool(d->tail, d->pool, d->workers);
	for (size_t i = 0; i < d->nfwd; i++)
		forward_pause(d->fwd[i], 0);
	checkpoint_pause(d->ckpt, 0);
	daemon_maybe_finish(d);
}

/* Logs what a reload does to one input. */
static void
daemon_reload_said(void *arg, enum config_change what,
                   const struct config_input *in)
{
	(void)arg;
	if (what == CONFIG_ADDED)
		log_info("reload: [input:%s] added (%s:%d)", in->name, in->file,
		         in->line);
	else if (what == CONFIG_CHANGED)
		log_info("reload: [input:%s] changed (%s:%d)", in->name,
		         in->file, in->line);
	else if (what == CONFIG_REMOVED)
		log_info("reload: [input:%s] removed", in->name);
}

/* Applies the settings of a reloaded configuration. */
static void
daemon_reload_settings(struct daemon *d, const struct config *old)
{
	const struct config *cfg = d->cfg;

	log_set_level((enum log_level)cfg->log_level);
	d->resize = cfg->workers != d->workers;
	checkpoint_pause(d->ckpt, d->resize);
	tail_pause(d->tail, d->resize);
	for (size_t i = 0; i < d->nfwd; i++)
		forward_pause(d->fwd[i], d->resize);
	daemon_try_resize(d);
	if (cfg->format != old->format)
		log_info("reload: format %s for the lines of the reads started "
		         "from now on",
		         config_format_name(cfg->format));
	if (strcmp(cfg->state_file, old->state_file) != 0) {
		if (path_mkdirs(cfg->state_file) == -1)
			log_warn("cannot create the directory of %s",
			         cfg->state_file);
		log_info("reload: the checkpoint is saved to %s from now on "
		         "(%s is left as it is)",
		         cfg->state_file, old->state_file);
		/* At once: a restart with this configuration looks there. */
		(void)checkpoint_save_now(d->ckpt); /* retried if it fails */
	}
	/* Rotation settings: a new size limit, the next clock boundary,
	 * a moved output, max_age. */
	barrier_set_config(d->barrier, cfg);
	rotated_set_config(d->rotated, cfg);
}

/* SIGHUP: reads the configuration again.  One with errors is reported and
 * changes nothing.  A good one is applied as a difference: the paths it
 * still covers keep their open files and offsets (repointed to its
 * inputs), paths it adds start as at start-up, paths it drops are read to
 * their end and closed; settings take effect at once, workers once the
 * pool is idle, a new output path through the reopen barrier. */
static void
daemon_reload(struct daemon *d)
{
	struct config_errors errs = {0};
	struct config *cfg, *old = d->cfg;
	struct config_diff n;

	if (d->once || d->stopping) {
		log_notice("SIGHUP: %s; not reloading %s",
		           d->once ? "--once runs to its end" : "stopping",
		           old->file);
		return;
	}
	service_reloading();
	log_info("SIGHUP: reloading %s", old->file);
	cfg = config_load(old->file, &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_errx("SIGHUP: %s", errs.msgs[i]);
		log_errx("SIGHUP: %s has %zu error%s; going on with the "
		         "configuration loaded before",
		         old->file, errs.n, errs.n == 1 ? "" : "s");
		config_errors_clear(&errs);
		service_ready();
		return;
	}
	config_diff(old, cfg, daemon_reload_said, d, &n);
	/* Every module takes the new configuration here, at once: none may
	 * keep a pointer into the old one past this point. */
	d->cfg = cfg;
	checkpoint_set_config(d->ckpt, cfg);
	tail_reload(d->tail, cfg, old);
	globs_reload(d->globs, cfg, old);
	daemon_fwd_reload(d, old);
	daemon_reload_settings(d, old);
	/* The follows of removed paths still point into it while drained. */
	if (tail_config_used(d->tail, old)) {
		d->retired = xreallocarray(d->retired, d->nretired + 1,
		                           sizeof *d->retired);
		d->retired[d->nretired++] = old;
	} else
		config_free(old);
	log_notice("reloaded %s: %zu input%s added, %zu removed, %zu changed, "
	           "%zu unchanged",
	           cfg->file, n.added, n.added == 1 ? "" : "s", n.removed,
	           n.changed, n.unchanged);
	status_reset(d->status); /* the next STATUS= names what is new */
	daemon_mark_dirty(d);
	tail_dispatch(d->tail);
	service_ready();
}

/* Gives up on a stop: the loop ends as soon as no save is in the pool,
 * and daemon_run() saves a checkpoint of what was written and
 * returns 1. */
static void
daemon_force_stop(struct daemon *d)
{
	d->exit_code = 1;
	d->forced = 1;
	daemon_maybe_finish(d);
}

/* stop_timeout is over and the stop has not finished. */
static void
daemon_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_errx("stop_timeout (%" PRIu64 " ms) is over with %zu bytes read "
	         "but not written to %s and %zu reads in progress: exiting "
	         "with a checkpoint of what was written; the rest is read "
	         "again at the next start",
	         d->cfg->stop_timeout, output_pending(d->out),
	         d->cfg->output_path, tail_inflight(d->tail));
	daemon_force_stop(d);
}

/* Starts the stop_timeout clock. */
static void
daemon_stop_arm(struct daemon *d)
{
	clock_timer(d->stop_ev, d->cfg->stop_timeout);
}

/* SIGTERM and SIGINT stop (a second one forces the stop), SIGHUP
 * reloads, SIGUSR1 reopens the output. */
static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (d->stopping) {
			log_warnx("%s again: exiting now with %zu bytes read "
			          "but not written; they are read again at "
			          "the "
			          "next start",
			          strsignal((int)sig), output_pending(d->out));
			daemon_force_stop(d);
			return;
		}
		log_info("%s: stopping once the reads in flight are written",
		         strsignal((int)sig));
		service_stopping();
		d->stopping = 1;
		tail_stop(d->tail);
		for (size_t i = 0; i < d->nfwd; i++)
			forward_stop(d->fwd[i]);
		checkpoint_stop(d->ckpt);
		rotated_stop(d->rotated);
		daemon_stop_arm(d);
		daemon_maybe_finish(d);
		break;
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGUSR1:
		barrier_reopen(d->barrier);
		break;
	}
}

int
daemon_init(struct daemon *d, struct config *cfg, int once)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	struct output_cbs cbs = {daemon_committed, daemon_written, daemon_full,
	                         d};
	struct status_cbs scbs = {daemon_status_sample, d};
	struct barrier_cbs bcbs = {daemon_switched, daemon_barrier_retried, d};
	struct rotated_cbs rcbs = {daemon_rotated_done, daemon_rotated_held, d};
	struct tail_cbs tcbs = {daemon_tail_changed, daemon_tail_settled,
	                        daemon_tail_done, d};
	struct checkpoint_cbs ccbs = {daemon_render,    daemon_saved,
	                              daemon_ckpt_done, daemon_ckpt_held,
	                              daemon_submit,    d};
	struct state loaded = {0};
	char *cause;

	memset(d, 0, sizeof *d);
	d->cfg = cfg;
	d->once = once;
	d->workers = cfg->workers;

	d->base = event_base_new();
	if (d->base == NULL) {
		log_errx("cannot create the event loop");
		return -1;
	}
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		d->sig_ev[i] =
		    evsignal_new(d->base, sigs[i], daemon_signal_cb, d);
		if (d->sig_ev[i] == NULL ||
		    event_add(d->sig_ev[i], NULL) == -1) {
			log_errx("cannot handle signal %d", sigs[i]);
			return -1;
		}
	}
	d->resize_ev = event_new(d->base, -1, 0, daemon_resize_cb, d);
	d->stop_ev = evtimer_new(d->base, daemon_stop_cb, d);
	if (d->resize_ev == NULL || d->stop_ev == NULL) {
		log_errx("cannot create the loop's timers");
		return -1;
	}
	d->status = status_create(d->base, once, &scbs);
	if (d->status == NULL)
		return -1;
	if (!once) {
		d->notify = notify_create(d->base);
		if (d->notify == NULL) {
			log_warn("cannot start inotify");
			return -1;
		}
		if (path_mkdirs(cfg->state_file) == -1)
			log_warn("cannot create the directory of %s",
			         cfg->state_file);
		checkpoint_load(cfg->state_file, &loaded);
	}
	d->out = output_open(d->base, cfg->output_path, &cbs, &cause);
	if (d->out == NULL) {
		log_errx("%s", cause);
		free(cause);
		goto fail;
	}
	if (checkpoint_cut_back(d->out, &loaded) == -1)
		goto fail;
	d->ckpt = checkpoint_create(d->base, cfg, d->out, once, &ccbs);
	if (d->ckpt == NULL)
		goto fail;
	d->barrier = barrier_create(d->base, cfg, d->out, d->ckpt, d->notify,
	                            once, &bcbs);
	if (d->barrier == NULL)
		goto fail;
	d->pool = pool_create(d->base, cfg->workers);
	if (d->pool == NULL) {
		log_warn("cannot start %u worker threads", cfg->workers);
		goto fail;
	}
	d->rotated = rotated_create(d->base, cfg, d->ckpt, d->barrier, &rcbs);
	if (d->rotated == NULL)
		goto fail;
	/* The forwarders take their cursors from the checkpoint first;
	 * --once copies like cat(1) and forwards nothing. */
	if (once && cfg->nforwards > 0)
		log_notice("--once: the [forward:NAME] sections are not used");
	if (!once) {
		d->fwd = xcalloc(cfg->nforwards + 1, sizeof *d->fwd);
		for (size_t i = 0; i < cfg->nforwards; i++)
			d->fwd[d->nfwd++] =
			    daemon_fwd_create(d, &cfg->forwards[i], &loaded);
	}
	/* The tail takes the checkpoint: where to resume each file. */
	d->tail = tail_create(d->base, cfg, d->out, d->notify, d->pool, once,
	                      &loaded, &tcbs);
	if (d->tail == NULL)
		goto fail;
	d->globs = globs_create(d->base, cfg, d->notify, d->tail, once);
	if (d->globs == NULL)
		goto fail;
	return 0;

fail:
	state_clear(&loaded);
	return -1;
}

/* At start: rotates an output last written before the current
 * rotate_interval began (tailmux was down at the boundary), arms the
 * rotation and max_age timers, and tidies the rotated files: a gzip cut
 * short by a crash is redone, retention applied. */
static void
daemon_rotate_start(struct daemon *d)
{
	barrier_start(d->barrier);
	rotated_start(d->rotated);
	barrier_step(d->barrier);
}

/* Start-up is over (with the daemon, the first checkpoint saved, or not,
 * then retried): the output may write, and the service is ready. */
static void
daemon_started(struct daemon *d)
{
	if (d->starting) {
		d->starting = 0;
		output_hold(d->out, 0);
	}
	log_info("%s %zu files into %s (%s)", d->once ? "merging" : "following",
	         tail_nfollows(d->tail), d->cfg->output_path,
	         config_format_name(d->cfg->format));
	if (!d->once) {
		service_ready(); /* every input is open and watched */
		status_now(d->status);
	}
}

int
daemon_run(struct daemon *d)
{
	uint64_t splits, newline_added;

	globs_start(d->globs);
	tail_start(d->tail);
	/* A checkpoint before the first write: a kill -9 before the
	 * first timed save must not find output that no checkpoint
	 * accounts for.  The loop has not run, so nothing has been
	 * written yet; it is saved by a worker while the first reads
	 * fill the output's buffer, which writes nothing till then. */
	if (d->once)
		daemon_started(d);
	else {
		d->starting = 1;
		output_hold(d->out, 1);
		checkpoint_save(d->ckpt, 0, -1, -1); /* retried if it fails */
	}
	daemon_rotate_start(d);
	daemon_maybe_finish(d);
	if (event_base_dispatch(d->base) == -1) {
		log_errx("the event loop failed");
		return 1;
	}
	/* The last checkpoint, with everything written (and synced,
	 * unless fsync = never; with --once, which copies like cat(1),
	 * only with fsync = always). */
	if ((d->once ? d->cfg->fsync == FSYNC_ALWAYS
	             : d->cfg->fsync != FSYNC_NEVER) &&
	    fdatasync(output_fd(d->out)) == -1)
		log_warn("cannot sync %s", d->cfg->output_path);
	/* ... with everything written, or, for a stop given up on, with
	 * what was. */
	if (!d->once && checkpoint_save_now(d->ckpt) == -1)
		d->exit_code = 1;
	tail_counts(d->tail, &splits, &newline_added);
	log_info("stopped: %" PRIu64 " bytes written, %" PRIu64
	         " cuts at max_line, %" PRIu64
	         " lines completed with a newline",
	         output_written(d->out), splits, newline_added);
	return d->exit_code;
}

void
daemon_free(struct daemon *d)
{
	d->stopping = 1; /* the pool's last callbacks submit nothing */
	checkpoint_stop(d->ckpt);
	d->freeing = 1;
	if (d->tail != NULL)
		tail_shutdown(d->tail);
	for (size_t i = 0; i < d->nfwd; i++)
		forward_stop(d->fwd[i]);
	/* A gzip under way stops (its file is compressed at the next
	 * start), unless --once, which leaves no work for later. */
	rotated_free(d->rotated, d->once);
	pool_free(d->pool); /* first: its last callbacks use the rest */
	for (size_t i = 0; i < d->nfwd; i++)
		forward_free(d->fwd[i]);
	free(d->fwd);
	globs_free(d->globs);
	tail_free(d->tail);
	output_close(d->out);
	barrier_free(d->barrier);
	notify_free(d->notify);
	for (size_t i = 0; i < sizeof d->sig_ev / sizeof d->sig_ev[0]; i++)
		if (d->sig_ev[i] != NULL)
			event_free(d->sig_ev[i]);
	if (d->resize_ev != NULL)
		event_free(d->resize_ev);
	checkpoint_free(d->ckpt);
	if (d->stop_ev != NULL)
		event_free(d->stop_ev);
	status_free(d->status);
	if (d->base != NULL)
		event_base_free(d->base);
	for (size_t i = 0; i < d->nretired; i++)
		config_free(d->retired[i]);
	free(d->retired);
	config_free(d->cfg);
}
