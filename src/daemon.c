/* daemon.c -- the loop thread's state and the work it drives.
 *
 * A watch wants a read when inotify (or the stat poll) says its file
 * changed.  It then waits in the ready queue until fewer than max_inflight
 * jobs are out and the output's backlog is under max_pending: the inputs are
 * the buffer.  At most one job per watch is in flight, so a file's lines
 * come back in order.  A job carries a copy of what it needs and names its
 * watch by slot and generation; its result is dropped if the watch has gone. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "pool.h"
#include "reader.h"
#include "xmalloc.h"

#define DAEMON_MAX_PENDING (16 * 1024 * 1024)

struct daemon_job {
	struct pool_job job;
	struct daemon *d;
	uint32_t slot;
	uint32_t gen;
	char *tag;
	char *path;
	struct reader_req req;
	struct reader_result res;
};

static void daemon_wake(struct daemon *d, struct watch *w);
static void daemon_open(struct daemon *d, struct watch *w, int initial);
static void daemon_maybe_finish(struct daemon *d);
static void daemon_job_done(struct pool_job *job);

/* A watch needs the stat poll when inotify cannot tell us about it. */
static int
daemon_needs_poll(const struct daemon *d, const struct watch *w)
{
	if (d->once || w->done)
		return 0;
	return w->polled || (w->fd == -1 && w->dir_reg == NULL);
}

/* Arms the poll timer while some watch needs it, and only then: an idle
 * daemon whose files inotify watches has no timer at all. */
static void
daemon_poll_update(struct daemon *d)
{
	struct timeval tv;
	int need = 0;

	for (uint32_t i = 0; i < d->nslots && !need; i++)
		need = d->slots[i] != NULL && daemon_needs_poll(d, d->slots[i]);
	if (need && !evtimer_pending(d->poll_ev, NULL)) {
		tv.tv_sec = (time_t)(d->cfg->poll_interval / 1000);
		tv.tv_usec = (suseconds_t)(d->cfg->poll_interval % 1000) * 1000;
		evtimer_add(d->poll_ev, &tv);
	} else if (!need)
		evtimer_del(d->poll_ev);
}

static void
daemon_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct watch *w;

	(void)fd;
	(void)what;
	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w == NULL || !daemon_needs_poll(d, w))
			continue;
		if (w->fd == -1)
			daemon_open(d, w, 0);
		else {
			w->moved = 1;
			daemon_wake(d, w);
		}
	}
	daemon_poll_update(d);
}

/* Watches the directory of `w' for its name to appear or be replaced. */
static void
daemon_watch_dir(struct daemon *d, struct watch *w)
{
	if (d->once || w->dir_reg != NULL)
		return;
	w->dir_reg = notify_add(d->notify, w->dir, NOTIFY_DIR_MASK, w);
}

/* Opens the file at the watch's path and starts reading it.  `initial' is
 * the first look at start-up, where `start = end' applies. */
static void
daemon_open(struct daemon *d, struct watch *w, int initial)
{
	int at_end = initial && w->input->start == START_END;

	switch (watch_open(w, at_end)) {
	case WATCH_OPENED:
		if (initial)
			log_debug("following %s from offset %llu", w->path,
				  (unsigned long long)w->offset);
		else
			log_info("%s appeared; reading it from its start",
				 w->path);
		w->reported = 0;
		w->moved = 0;
		w->polled = 0;
		if (!d->once) {
			notify_rm(d->notify, w->file_reg);
			w->file_reg =
			    notify_add(d->notify, w->path, NOTIFY_FILE_MASK, w);
			if (w->file_reg == NULL) {
				log_warn("cannot watch %s with inotify; "
					 "checking it every poll_interval",
					 w->path);
				w->polled = 1;
			}
		}
		daemon_watch_dir(d, w);
		daemon_wake(d, w);
		break;
	case WATCH_MISSING:
		if (d->once) {
			log_warnx("%s does not exist; nothing to read from it",
				  w->path);
			w->done = 1;
			d->once_left--;
			break;
		}
		if (initial || w->reported != ENOENT)
			log_warnx("%s does not exist yet; waiting for it",
				  w->path);
		w->reported = ENOENT;
		daemon_watch_dir(d, w);
		break;
	case WATCH_FAILED:
		if (d->once) {
			log_warn("cannot read %s", w->path);
			w->done = 1;
			d->once_left--;
			break;
		}
		if (w->reported != errno)
			log_warn("cannot read %s; trying again every "
				 "poll_interval",
				 w->path);
		w->reported = errno;
		w->polled = 1;
		break;
	}
	daemon_poll_update(d);
}

/* The path may name a new file now: once the old one is read to its end,
 * switch to the new one (or wait for one). */
static void
daemon_check_path(struct daemon *d, struct watch *w)
{
	int r;

	w->moved = 0;
	r = watch_replaced(w);
	if (r == 0)
		return;
	if (r == -1) {
		log_warn("cannot stat %s", w->path);
		return;
	}
	notify_rm(d->notify, w->file_reg);
	w->file_reg = NULL;
	watch_close(w);
	if (access(w->path, F_OK) == 0)
		log_info("%s was rotated; following the new file", w->path);
	else
		log_info("%s was removed or renamed; waiting for a new file",
			 w->path);
	w->reported = ENOENT; /* said just now */
	daemon_open(d, w, 0);
}

static void
daemon_job_run(struct pool_job *job)
{
	struct daemon_job *j = (struct daemon_job *)job;

	reader_run(&j->req, &j->res);
}

static void
daemon_job_free(struct daemon_job *j)
{
	close(j->req.fd);
	buf_free(&j->res.out);
	free(j->tag);
	free(j->path);
	free(j);
}

/* Fills free job slots from the ready queue while the output keeps up. */
static void
daemon_dispatch(struct daemon *d)
{
	struct daemon_job *j;
	struct watch *w;
	int fd;

	while (!d->stopping && d->inflight < d->max_inflight &&
	       output_pending(d->out) < d->max_pending &&
	       (w = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, w, ready_entry);
		w->queued = 0;
		if (w->fd == -1 || w->busy)
			continue;
		fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
		if (fd == -1) {
			log_warn("cannot read %s", w->path);
			w->polled = 1;
			daemon_poll_update(d);
			continue;
		}
		j = xcalloc(1, sizeof *j);
		j->job.run = daemon_job_run;
		j->job.done = daemon_job_done;
		j->d = d;
		j->slot = w->slot;
		j->gen = w->gen;
		j->tag = xstrdup(w->input->tag);
		j->path = xstrdup(w->path);
		j->req.fd = fd;
		j->req.offset = w->offset;
		j->req.chunk = READER_CHUNK;
		j->req.max_line = (size_t)d->cfg->max_line;
		j->req.final = d->once;
		j->req.format = d->cfg->format;
		j->req.tag = j->tag;
		j->req.path = j->path;
		w->busy = 1;
		w->dirty = 0;
		d->inflight++;
		pool_submit(d->pool, &j->job);
	}
}

/* Asks for a read of `w' (or another one, if one is in flight). */
static void
daemon_wake(struct daemon *d, struct watch *w)
{
	if (d->stopping || w->done)
		return;
	if (w->fd == -1) {
		daemon_open(d, w, 0);
		return;
	}
	if (w->busy) {
		w->dirty = 1;
		return;
	}
	if (!w->queued) {
		TAILQ_INSERT_TAIL(&d->ready, w, ready_entry);
		w->queued = 1;
	}
	daemon_dispatch(d);
}

/* A read came back: hand its lines to the output and decide what next. */
static void
daemon_job_done(struct pool_job *job)
{
	struct daemon_job *j = (struct daemon_job *)job;
	struct daemon *d = j->d;
	struct reader_result *res = &j->res;
	struct watch *w = NULL;

	d->inflight--;
	if (j->slot < d->nslots)
		w = d->slots[j->slot];
	if (w == NULL || w->gen != j->gen) {
		daemon_job_free(j); /* its watch went while it ran */
		daemon_dispatch(d);
		return;
	}
	w->busy = 0;
	if (res->err != 0) {
		if (w->reported != res->err)
			log_warnx("cannot read %s: %s", w->path,
				  strerror(res->err));
		w->reported = res->err;
		w->polled = 1;
		daemon_job_free(j);
		daemon_poll_update(d);
		daemon_maybe_finish(d);
		return;
	}
	d->newline_added += res->stats.newline_added;
	if (res->stats.splits > 0) {
		d->splits += res->stats.splits;
		log_warnx("%s: a line longer than max_line (%llu bytes) was "
			  "split into %llu pieces",
			  w->path, (unsigned long long)d->cfg->max_line,
			  (unsigned long long)res->stats.splits);
	}
	output_append(d->out, &res->out);
	w->offset = res->next_offset;
	if ((uint64_t)res->st.st_size < w->offset) {
		log_info("%s was truncated; reading it from its start",
			 w->path);
		w->offset = 0;
		w->dirty = 1;
	}
	if (d->once && res->eof && !w->dirty) {
		w->done = 1;
		d->once_left--;
	} else if (!res->eof || w->dirty)
		daemon_wake(d, w);
	else if (w->moved)
		daemon_check_path(d, w);
	daemon_job_free(j);
	daemon_dispatch(d);
	daemon_maybe_finish(d);
}

/* Ends the loop once a stop (or --once) has nothing left in flight and
 * every line read has been written. */
static void
daemon_maybe_finish(struct daemon *d)
{
	if (!d->stopping && !(d->once && d->once_left == 0))
		return;
	if (d->inflight > 0)
		return;
	if (output_pending(d->out) > 0 && output_flush(d->out) == -1)
		return; /* the output retries, then calls us again */
	event_base_loopbreak(d->base);
}

/* The output wrote a backlog: reads may go on. */
static void
daemon_written(void *arg)
{
	struct daemon *d = arg;

	daemon_dispatch(d);
	daemon_maybe_finish(d);
}

static void
daemon_notify_cb(void *arg, void *owner, uint32_t mask, const char *name)
{
	struct daemon *d = arg;
	struct watch *w = owner;

	if (name != NULL) {
		/* An event in the directory: only our name matters. */
		if (strcmp(name, w->base) != 0)
			return;
		if (w->fd != -1)
			w->moved = 1;
	} else if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
		w->moved = 1;
	/* A read is asked for even when the file did not grow: it comes back
	 * at the end of the file and then looks at what the path names. */
	daemon_wake(d, w);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (d->stopping) {
			log_warnx("%s again: exiting now with %zu bytes not "
				  "written",
				  strsignal((int)sig), output_pending(d->out));
			d->exit_code = 1;
			event_base_loopbreak(d->base);
			return;
		}
		log_info("%s: stopping once the reads in flight are written",
			 strsignal((int)sig));
		d->stopping = 1;
		daemon_maybe_finish(d);
		break;
	case SIGHUP:
		log_notice("SIGHUP: reloading the configuration is not "
			   "supported yet; going on with %s as loaded",
			   d->cfg->file);
		break;
	case SIGUSR1:
		log_notice("SIGUSR1: reopening the output is not supported "
			   "yet; ignored");
		break;
	}
}

/* Registers one watch in a free slot and gives it a new generation. */
static struct watch *
daemon_add_watch(struct daemon *d, const char *path,
		 const struct config_input *in)
{
	struct watch *w = watch_create(path, in);
	uint32_t i;

	for (i = 0; i < d->nslots && d->slots[i] != NULL; i++)
		;
	if (i == d->nslots) {
		d->slots = xreallocarray(d->slots, d->nslots + 1,
					 sizeof *d->slots);
		d->nslots++;
	}
	d->slots[i] = w;
	w->slot = i;
	w->gen = ++d->next_gen;
	return w;
}

int
daemon_init(struct daemon *d, struct config *cfg, int once)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	struct config_input *in;
	char *cause;

	memset(d, 0, sizeof *d);
	d->cfg = cfg;
	d->once = once;
	TAILQ_INIT(&d->ready);
	d->max_inflight = (size_t)cfg->workers * 2;
	d->max_pending = DAEMON_MAX_PENDING;

	d->base = event_base_new();
	if (d->base == NULL || event_base_priority_init(d->base, 3) == -1) {
		log_errx("cannot create the event loop");
		return -1;
	}
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], daemon_signal_cb, d);
		if (d->sig_ev[i] == NULL || event_add(d->sig_ev[i], NULL) == -1) {
			log_errx("cannot handle signal %d", sigs[i]);
			return -1;
		}
	}
	d->poll_ev = evtimer_new(d->base, daemon_poll_cb, d);
	if (d->poll_ev == NULL) {
		log_errx("cannot create the poll timer");
		return -1;
	}
	if (!once) {
		d->notify = notify_create(d->base, daemon_notify_cb, d);
		if (d->notify == NULL) {
			log_warn("cannot start inotify");
			return -1;
		}
	}
	d->out = output_open(d->base, cfg->output_path, daemon_written, d,
			     &cause);
	if (d->out == NULL) {
		log_errx("%s", cause);
		free(cause);
		return -1;
	}
	d->pool = pool_create(d->base, cfg->workers);
	if (d->pool == NULL) {
		log_warn("cannot start %u worker threads", cfg->workers);
		return -1;
	}
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++)
			daemon_add_watch(d, in->paths[k], in);
	}
	d->once_left = d->nslots;
	return 0;
}

int
daemon_run(struct daemon *d)
{
	for (uint32_t i = 0; i < d->nslots; i++)
		daemon_open(d, d->slots[i], 1);
	log_info("%s %zu files into %s (%s)",
		 d->once ? "merging" : "following", (size_t)d->nslots,
		 d->cfg->output_path, config_format_name(d->cfg->format));
	daemon_maybe_finish(d);
	if (event_base_dispatch(d->base) == -1) {
		log_errx("the event loop failed");
		return 1;
	}
	log_info("stopped: %llu bytes written, %llu lines split at max_line, "
		 "%llu completed with a newline",
		 (unsigned long long)output_written(d->out),
		 (unsigned long long)d->splits,
		 (unsigned long long)d->newline_added);
	return d->exit_code;
}

void
daemon_free(struct daemon *d)
{
	d->stopping = 1; /* the pool's last callbacks submit nothing */
	pool_free(d->pool); /* first: its last callbacks use the rest */
	for (uint32_t i = 0; i < d->nslots; i++) {
		struct watch *w = d->slots[i];
		if (w == NULL)
			continue;
		notify_rm(d->notify, w->file_reg);
		notify_rm(d->notify, w->dir_reg);
		watch_free(w);
	}
	free(d->slots);
	output_close(d->out);
	notify_free(d->notify);
	for (size_t i = 0; i < sizeof d->sig_ev / sizeof d->sig_ev[0]; i++)
		if (d->sig_ev[i] != NULL)
			event_free(d->sig_ev[i]);
	if (d->poll_ev != NULL)
		event_free(d->poll_ev);
	if (d->base != NULL)
		event_base_free(d->base);
	config_free(d->cfg);
}
