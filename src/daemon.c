/* daemon.c -- the loop thread's state and the work it drives.
 *
 * A follow is a configured path; a watch is an open file.  The file at a
 * follow's path is its current watch.  When the path comes to name another
 * file (rotation) or none, the old watch keeps its descriptor for the
 * input's rotate_wait to catch late writes, then is closed once all it read
 * is written.  A watch wants a read when inotify (or the stat poll) says its
 * file changed.  It then waits in the ready queue until fewer than
 * max_inflight jobs are out and the output's backlog is under max_pending:
 * the inputs are the buffer.  At most one job per watch is in flight, so a
 * file's lines come back in order.  A job carries a copy of what it needs
 * and names its watch by slot and generation; its result is dropped if the
 * watch has gone.  The checkpoint protocol is described in state.c. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "barrier.h"
#include "checkpoint.h"
#include "clock.h"
#include "daemon.h"
#include "follow.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "path.h"
#include "pool.h"
#include "reader.h"
#include "rotate.h"
#include "rotated.h"
#include "service.h"
#include "state.h"
#include "status.h"
#include "xmalloc.h"

#define DAEMON_MAX_CLOSED 1024

/* Why a path's file is being opened, which says where to start in it. */
enum daemon_open {
	OPEN_STARTUP,  /* the first look at start-up: checkpoint, then start */
	OPEN_APPEARED, /* appeared or replaced while followed: from its start */
	OPEN_ADDED,    /* a path a reload added: as at start-up without a
	                  checkpoint, unless read before (then from there) */
};

/* One glob pattern of an input.  When its directory part holds no
 * wildcard, that directory is watched so that a new match is seen at once;
 * otherwise new matches are found by the rescan. */
struct daemon_glob {
	const struct config_input *input;
	const char *pattern;
	char *dir; /* the literal directory, or NULL */
	struct notify_reg *dir_reg;
};

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

/* Looks for the copy copytruncate made of a file, off the loop. */
struct daemon_find_job {
	struct pool_job job;
	struct daemon *d;
	uint32_t slot; /* the watch of the old contents, waiting for it */
	uint32_t gen;
	char *dir;
	struct watch_find q;
	int fd;
	struct stat st;
	char *name;
};

static void daemon_wake_held(struct daemon *d, struct follow *f);
static void daemon_follow_event(void *arg, void *owner, uint32_t mask,
                                uint32_t cookie, const char *name);
static void daemon_watch_event(void *arg, void *owner, uint32_t mask,
                               uint32_t cookie, const char *name);
static void daemon_glob_event(void *arg, void *owner, uint32_t mask,
                              uint32_t cookie, const char *name);
static void daemon_wake(struct daemon *d, struct watch *w);
static void daemon_follow_open(struct daemon *d, struct follow *f,
                               enum daemon_open how);
static void daemon_maybe_finish(struct daemon *d);
static void daemon_maybe_close(struct daemon *d, struct watch *w);
static void daemon_job_done(struct pool_job *job);
static void daemon_mark_dirty(struct daemon *d);
static void daemon_watch_dir(struct daemon *d, struct follow *f);
static void daemon_drain_update(struct daemon *d);
static void daemon_check_path(struct daemon *d, struct watch *w);
static void daemon_follow_maybe_drop(struct daemon *d, struct follow *f);
static void daemon_unpark(struct daemon *d, struct follow *f);
static void daemon_resume_copy(struct daemon *d, struct follow *f,
                               const struct state_file *e);
struct daemon_job;
static void daemon_job_free(struct daemon_job *j);
static void daemon_release(struct daemon *d, struct watch *w);
static void daemon_retired_free(struct daemon *d);
static void daemon_try_resize(struct daemon *d);

static struct watch *
daemon_lookup(const struct daemon *d, uint32_t slot, uint32_t gen)
{
	struct watch *w = slot < d->nslots ? d->slots[slot] : NULL;

	return w != NULL && w->gen == gen ? w : NULL;
}

/* Takes entry `e' (or nothing, if NULL) off the list of closed files. */
static void
daemon_forget(struct daemon *d, struct state_file *e)
{
	struct state *c = &d->closed;

	if (e == NULL)
		return;
	free(e->path);
	memmove(e, e + 1, (size_t)(c->files + c->nfiles - (e + 1)) * sizeof *e);
	c->nfiles--;
}

/* Gives `w' a free slot and a new generation. */
static void
daemon_slot_add(struct daemon *d, struct watch *w)
{
	uint32_t i;

	for (i = 0; i < d->nslots && d->slots[i] != NULL; i++)
		;
	if (i == d->nslots) {
		d->slots =
		    xreallocarray(d->slots, d->nslots + 1, sizeof *d->slots);
		d->nslots++;
	}
	d->slots[i] = w;
	w->slot = i;
	w->gen = ++d->next_gen;
	w->f->nwatches++;
	/* An open file is in the checkpoint as such, not as a closed one. */
	daemon_forget(d, state_find(&d->closed, w->dev, w->ino));
}

/* The watch on (dev, ino), if any. */
static struct watch *
daemon_watch_find(const struct daemon *d, uint64_t dev, uint64_t ino)
{
	for (uint32_t i = 0; i < d->nslots; i++)
		if (d->slots[i] != NULL && d->slots[i]->dev == dev &&
		    d->slots[i]->ino == ino)
			return d->slots[i];
	return NULL;
}

/* The index of `in' in the configuration, or -1 if it is an input of an
 * older one. */
static ssize_t
daemon_input_index(const struct daemon *d, const struct config_input *in)
{
	for (size_t i = 0; i < d->cfg->ninputs; i++)
		if (&d->cfg->inputs[i] == in)
			return (ssize_t)i;
	return -1;
}

/* Stops following `f': it no longer counts against its input's max_files,
 * and is freed on the next reap once none of its files is open. */
static void
daemon_follow_drop(struct daemon *d, struct follow *f)
{
	ssize_t idx = daemon_input_index(d, f->input);

	f->gone = 1;
	if (idx >= 0) {
		d->input_files[idx]--;
		d->input_full[idx] = 0;
	}
	event_active(d->reap_ev, 0, 0);
}

/* Drops a path found by a glob once nothing of it is left to read; frees
 * one dropped (by a reload too) once none of its files is open. */
static void
daemon_follow_maybe_drop(struct daemon *d, struct follow *f)
{
	if (f->gone && f->nwatches == 0 && f->hold == 0)
		event_active(d->reap_ev, 0, 0);
	if (!f->from_glob || f->gone || f->cur != NULL || f->nwatches > 0 ||
	    f->hold > 0 || access(f->path, F_OK) == 0)
		return;
	log_info("%s is gone and read to its end; no longer following it",
	         f->path);
	daemon_follow_drop(d, f);
}

/* Makes `w', a file rotated away from its path, hold the path's current
 * file until it is read to its end.  Files of one path are read in the
 * order they were created (birth time; where the filesystem keeps none,
 * last written): two rotated within one tick of the clock that stamps
 * writes would otherwise tie. */
static void
daemon_hold(struct watch *w)
{
	struct stat st;

	if (w->holding)
		return;
	w->holding = 1;
	w->held = w->f;
	w->held->hold++;
	w->age =
	    w->fd != -1 && fstat(w->fd, &st) == 0
	        ? watch_birth(w->fd, (uint64_t)st.st_mtim.tv_sec * 1000000000u +
	                                 (uint64_t)st.st_mtim.tv_nsec)
	        : 0;
}

/* True if an older file of w's path is still to be read before it. */
static int
daemon_behind(const struct daemon *d, const struct watch *w)
{
	const struct watch *o;

	if (!w->holding)
		return 0;
	for (uint32_t i = 0; i < d->nslots; i++) {
		o = d->slots[i];
		if (o != NULL && o != w && o->held == w->held && o->holding &&
		    (o->age < w->age ||
		     (o->age == w->age && o->slot < w->slot)))
			return 1;
	}
	return 0;
}

/* Reads the oldest of the files that hold f's current file, if it waits
 * for a read. */
static void
daemon_wake_held(struct daemon *d, struct follow *f)
{
	for (uint32_t i = 0; i < d->nslots; i++) {
		struct watch *o = d->slots[i];
		if (o != NULL && o->held == f && o->holding && o->dirty &&
		    !o->busy && !daemon_behind(d, o)) {
			o->dirty = 0;
			daemon_wake(d, o);
		}
	}
}

/* Lets the current file of the path w holds be read once w no longer
 * holds it. */
static void
daemon_release(struct daemon *d, struct watch *w)
{
	struct follow *f = w->held;

	if (!w->holding)
		return;
	w->holding = 0;
	w->held = NULL;
	if (--f->hold > 0) {
		daemon_wake_held(d, f); /* the next older file goes on */
		return;
	}
	daemon_unpark(d, f);
	if (f->hold == 0 && f->cur != NULL && f->cur->dirty &&
	    f->cur->parked == NULL) {
		f->cur->dirty = 0;
		daemon_wake(d, f->cur);
	}
	daemon_follow_maybe_drop(d, f);
}

/* Remembers a file read to its end, so that found again under another
 * name it goes on from there; forgets the oldest past DAEMON_MAX_CLOSED. */
static void
daemon_remember(struct daemon *d, const char *path, uint64_t dev, uint64_t ino,
                uint64_t offset, uint32_t fp_len, uint64_t fp_hash)
{
	struct state *c = &d->closed;
	size_t k = 0;

	for (size_t i = 0; i < c->nfiles; i++) {
		if ((c->files[i].dev == dev && c->files[i].ino == ino) ||
		    (c->nfiles >= DAEMON_MAX_CLOSED && i == 0)) {
			free(c->files[i].path);
			continue;
		}
		c->files[k++] = c->files[i];
	}
	c->nfiles = k;
	state_add(c, path, dev, ino, offset, fp_len, fp_hash)->kind =
	    STATE_DONE;
}

/* The remembered file on (dev, ino) whose fingerprint the file open on fd
 * still has; taken off the list.  Returns its offset, or -1. */
static int64_t
daemon_recall(struct daemon *d, int fd, uint64_t dev, uint64_t ino)
{
	struct state_file *e = state_find(&d->closed, dev, ino);
	int64_t offset;

	if (e == NULL)
		return -1;
	offset = watch_fp_matches(fd, e->fp_len, e->fp_hash)
	             ? (int64_t)e->offset
	             : -1;
	daemon_forget(d, e);
	return offset;
}

/* Forgets a watch: its slot, registration, timer and file. */
static void
daemon_watch_remove(struct daemon *d, struct watch *w)
{
	if (w->busy || w->parked != NULL)
		fatalx("internal error: %s closed with a read in flight",
		       w->f->path);
	if (w->queued)
		TAILQ_REMOVE(&d->ready, w, ready_entry);
	daemon_release(d, w);
	notify_rm(d->notify, w->file_reg);
	if (w->f->cur == w)
		w->f->cur = NULL;
	d->slots[w->slot] = NULL;
	w->f->nwatches--;
	daemon_follow_maybe_drop(d, w->f);
	watch_free(w);
	daemon_mark_dirty(d);
}

/* A path needs the stat poll when inotify cannot tell us about it. */
static int
daemon_follow_needs_poll(const struct daemon *d, const struct follow *f)
{
	return !d->once && !f->gone &&
	       (f->polled || f->dir_lost ||
	        (f->cur == NULL && f->dir_reg == NULL));
}

/* Arms the poll timer while some path or file needs it, and only then: an
 * idle daemon whose files inotify watches has no timer at all. */
static void
daemon_poll_update(struct daemon *d)
{
	int need = 0;

	for (size_t i = 0; i < d->nfollows && !need; i++)
		need = daemon_follow_needs_poll(d, d->follows[i]);
	for (uint32_t i = 0; i < d->nslots && !need; i++)
		need = d->slots[i] != NULL && d->slots[i]->polled;
	if (need && !evtimer_pending(d->poll_ev, NULL)) {
		clock_timer(d->poll_ev, d->cfg->poll_interval);
	} else if (!need)
		evtimer_del(d->poll_ev);
}

static void
daemon_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct follow *f;
	struct watch *w;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->nfollows; i++) {
		f = d->follows[i];
		if (f->gone)
			continue;
		if (f->dir_lost) {
			/* Watch whatever directory has the path now. */
			notify_rm(d->notify, f->dir_reg);
			f->dir_reg = NULL;
			f->dir_lost = 0;
			daemon_watch_dir(d, f);
			if (f->cur == NULL)
				daemon_follow_open(d, f, OPEN_APPEARED);
		} else if (f->cur == NULL && daemon_follow_needs_poll(d, f))
			daemon_follow_open(d, f, OPEN_APPEARED);
	}
	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w == NULL || !(w->polled || w->f->polled))
			continue;
		w->moved = w->f->cur == w;
		daemon_wake(d, w);
	}
	daemon_poll_update(d);
}

/* Watches the directory of `f' for its name to appear or be replaced. */
static void
daemon_watch_dir(struct daemon *d, struct follow *f)
{
	struct stat st;

	if (d->once || f->dir_reg != NULL)
		return;
	f->dir_reg = notify_add(d->notify, f->dir, NOTIFY_DIR_MASK,
	                        daemon_follow_event, d, f);
	if (f->dir_reg != NULL && stat(f->dir, &st) == 0) {
		f->dir_dev = (uint64_t)st.st_dev;
		f->dir_ino = (uint64_t)st.st_ino;
	}
}

/* Starts inotify on the file of `w', opened from `path'. */
static void
daemon_watch_notify(struct daemon *d, struct watch *w, const char *path)
{
	if (d->once)
		return;
	w->file_reg = notify_add(d->notify, path, NOTIFY_FILE_MASK,
	                         daemon_watch_event, d, w);
	if (w->file_reg == NULL) {
		log_warn("cannot watch %s with inotify; checking it every "
		         "poll_interval",
		         path);
		w->polled = 1;
	}
}

/* Reads an older file of f's path (rotated away, or the copy of a
 * truncated file) from `offset' to its end before f's current file. */
static void
daemon_read_first(struct daemon *d, struct follow *f, int fd,
                  const struct stat *st, uint64_t offset, uint32_t fp_len,
                  uint64_t fp_hash)
{
	struct watch *w = watch_create(f, fd, st, offset);

	daemon_slot_add(d, w);
	w->fp_len = fp_len;
	w->fp_hash = fp_hash;
	w->draining = 1;
	w->closing = 1;
	daemon_hold(w);
	if (d->once)
		d->once_left++;
	w->dirty = 1; /* read, oldest first, by daemon_wake_held() */
}

/* At start-up: the checkpoint names files of this path other than the one
 * there now (rotated while tailmux was down).  Find each by identity in the
 * directory and read its rest before the current file. */
static void
daemon_resume_rotated(struct daemon *d, struct follow *f, uint64_t cur_dev,
                      uint64_t cur_ino)
{
	struct state_file *e;
	struct watch_find q;
	struct stat st;
	char *name;
	int fd;

	for (size_t i = 0; i < d->loaded.nfiles; i++) {
		e = &d->loaded.files[i];
		if (strcmp(e->path, f->path) == 0 && e->kind == STATE_COPY) {
			daemon_resume_copy(d, f, e);
			continue;
		}
		if (strcmp(e->path, f->path) != 0 || e->ino == 0 ||
		    e->kind != STATE_OPEN ||
		    (e->dev == cur_dev && e->ino == cur_ino) ||
		    daemon_watch_find(d, e->dev, e->ino) != NULL)
			continue;
		memset(&q, 0, sizeof q);
		q.dev = e->dev;
		q.ino = e->ino;
		q.fp_len = e->fp_len;
		q.fp_hash = e->fp_hash;
		fd = watch_find(f->dir, &q, &st, &name);
		if (fd == -1) {
			log_warnx(
			    "%s: the file it named at the last checkpoint "
			    "(inode %" PRIu64 ", offset %" PRIu64 ") is "
			    "gone; lines it got after that checkpoint "
			    "cannot be read",
			    f->path, e->ino, e->offset);
			continue;
		}
		log_info("%s was rotated while tailmux was down; reading the "
		         "rest of %s from offset %" PRIu64 " first",
		         f->path, name, e->offset);
		free(name);
		daemon_read_first(d, f, fd, &st, e->offset, e->fp_len,
		                  e->fp_hash);
	}
}

/* Fills *q to look for the copy of truncated contents: those of file
 * `ino', read up to `offset', with the given fingerprint, first seen at
 * `seen_at'.  A copy can be told by its fingerprint alone when lines were
 * read from it (the copy holds the rest), or, when none were, when its
 * fingerprint is a whole KiB; a shorter one could match an unrelated file,
 * so then only files created since the contents were first seen will do.
 * Returns 0 when no copy can be told (no fingerprint, or a short one and
 * no time seen). */
static int
daemon_copy_query(struct watch_find *q, uint64_t ino, uint64_t offset,
                  uint32_t fp_len, uint64_t fp_hash, uint64_t seen_at)
{
	memset(q, 0, sizeof *q);
	if (fp_len == 0)
		return 0;
	if (offset == 0 && fp_len < STATE_FP_MAX) {
		if (seen_at == 0)
			return 0;
		q->min_birth = seen_at;
	}
	q->skip_ino = ino;
	q->fp_len = fp_len;
	q->fp_hash = fp_hash;
	q->min_size = offset;
	return 1;
}

/* At start-up: the file at f's path has the checkpointed inode but not its
 * contents: truncated while tailmux was down (copytruncate), or a new file
 * on a reused inode.  If a copy of the old contents is in the directory,
 * read its rest first. */
static void
daemon_resume_copy(struct daemon *d, struct follow *f,
                   const struct state_file *e)
{
	struct watch_find q;
	struct stat st;
	char *name;
	int fd;

	if (!daemon_copy_query(&q, e->ino, e->offset, e->fp_len, e->fp_hash,
	                       e->seen_at))
		return;
	fd = watch_find(f->dir, &q, &st, &name);
	if (fd == -1)
		return;
	log_info("%s was truncated while tailmux was down; reading the rest "
	         "of its copy %s from offset %" PRIu64 " first",
	         f->path, name, e->offset);
	free(name);
	daemon_read_first(d, f, fd, &st, e->offset, e->fp_len, e->fp_hash);
}

/* Where to start reading a file found at f's path. */
static uint64_t
daemon_start_offset(struct daemon *d, struct follow *f, int fd,
                    const struct stat *st, enum daemon_open how,
                    struct watch *w)
{
	struct state_file *e;
	int64_t known;

	if (how != OPEN_STARTUP) {
		/* Appeared or replaced while we watched: all new, unless it is
		 * a file we read to its end under another name (or, added by a
		 * reload, under this one while an earlier configuration had
		 * it).  Added by a reload: as at start-up. */
		known = daemon_recall(d, fd, (uint64_t)st->st_dev,
		                      (uint64_t)st->st_ino);
		if (known >= 0 && (uint64_t)known <= (uint64_t)st->st_size) {
			log_info("%s is a file already read%s; going on from "
			         "offset %" PRId64,
			         f->path,
			         how == OPEN_ADDED ? "" : " under another name",
			         known);
			return (uint64_t)known;
		}
		if (how == OPEN_APPEARED || known >= 0)
			return 0;
		return f->input->start == START_END ? (uint64_t)st->st_size : 0;
	}
	e = state_find(&d->loaded, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	if (e != NULL && watch_fp_matches(fd, e->fp_len, e->fp_hash) &&
	    e->offset <= (uint64_t)st->st_size) {
		log_debug("%s: resuming at offset %" PRIu64, f->path,
		          e->offset);
		w->fp_len = e->fp_len;
		w->fp_hash = e->fp_hash;
		if (e->seen_at != 0)
			w->seen_at = e->seen_at;
		return e->offset;
	}
	if (e != NULL) {
		log_info("%s holds new contents on the checkpointed inode; "
		         "reading it from its start",
		         f->path);
		daemon_resume_copy(d, f, e);
		return 0;
	}
	if (f->seen) {
		log_info("%s is a new file since the last checkpoint; reading "
		         "it from its start",
		         f->path);
		return 0;
	}
	return f->input->start == START_END ? (uint64_t)st->st_size : 0;
}

/* The file just opened at f's path is already open under another name:
 * a rotated file that now matches a glob takes its new name (and keeps
 * its offset); the current file of another path is not read twice.
 * Returns 1 if it dealt with the file (closing fd), 0 if it is new. */
static int
daemon_follow_adopt(struct daemon *d, struct follow *f, int fd,
                    const struct stat *st)
{
	struct watch *w =
	    daemon_watch_find(d, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	struct follow *old;

	if (w == NULL || w->f == f)
		return 0;
	close(fd);
	if (!w->draining && watch_replaced(w, w->f->path) == 1)
		daemon_check_path(d, w); /* its rename is seen here first */
	if (!w->draining) {
		if (f->reported != EEXIST)
			log_warnx("%s is the file %s, already followed; not "
			          "reading it twice",
			          f->path, w->f->path);
		f->reported = EEXIST;
		return 1;
	}
	if (strcmp(w->f->path, f->path) == 0)
		log_info("%s is followed again; going on from offset %" PRIu64,
		         f->path, w->offset);
	else
		log_info("%s was renamed to %s; following it under that name",
		         w->f->path, f->path);
	/* It goes on holding its old path's current file, if it did: its
	 * unread lines were written before those. */
	old = w->f;
	old->nwatches--;
	if (old->cur == w)
		old->cur = NULL; /* a path a reload dropped */
	if (w->file_reg == NULL)
		daemon_watch_notify(d, w, f->path);
	w->f = f;
	f->nwatches++;
	f->cur = w;
	f->seen = 1;
	f->reported = 0;
	w->draining = w->closing = 0;
	daemon_watch_dir(d, f);
	daemon_follow_maybe_drop(d, old);
	daemon_drain_update(d);
	daemon_mark_dirty(d);
	daemon_wake(d, w);
	return 1;
}

/* Opens the file at f's path and starts reading it, where `how' says. */
static void
daemon_follow_open(struct daemon *d, struct follow *f, enum daemon_open how)
{
	struct stat st;
	struct watch *w;
	int fd;

	switch (watch_open(f->path, &fd, &st)) {
	case WATCH_OPENED:
		if (daemon_follow_adopt(d, f, fd, &st))
			break;
		if (how == OPEN_STARTUP)
			daemon_resume_rotated(d, f, (uint64_t)st.st_dev,
			                      (uint64_t)st.st_ino);
		else if (how == OPEN_APPEARED && f->reported == ENOENT)
			log_info("%s appeared; reading it from its start",
			         f->path);
		f->reported = 0;
		f->polled = 0;
		w = watch_create(f, fd, &st, 0);
		w->offset = w->committed =
		    daemon_start_offset(d, f, fd, &st, how, w);
		/* Known from the first checkpoint on, so that a file truncated
		 * (or replaced on its inode) before its first read is told
		 * from the one checkpointed. */
		if (w->fp_len == 0)
			watch_fingerprint(fd, &w->fp_len, &w->fp_hash);
		daemon_slot_add(d, w);
		f->cur = w;
		f->seen = 1;
		daemon_watch_notify(d, w, f->path);
		daemon_watch_dir(d, f);
		daemon_mark_dirty(d);
		daemon_wake(d, w);
		break;
	case WATCH_MISSING:
		if (how == OPEN_STARTUP)
			daemon_resume_rotated(d, f, 0, 0);
		if (d->once) {
			log_warnx("%s does not exist; nothing to read from it",
			          f->path);
			d->once_left--;
			break;
		}
		if (f->from_glob) {
			daemon_follow_maybe_drop(d, f);
			break;
		}
		if (how != OPEN_APPEARED || f->reported != ENOENT)
			log_warnx("%s does not exist yet; waiting for it",
			          f->path);
		f->reported = ENOENT;
		daemon_watch_dir(d, f);
		break;
	case WATCH_FAILED:
		if (d->once) {
			log_warn("cannot read %s", f->path);
			d->once_left--;
			break;
		}
		if (f->reported != errno)
			log_warn("cannot read %s; trying again every "
			         "poll_interval",
			         f->path);
		f->reported = errno;
		f->polled = 1;
		break;
	}
	/* Files found rotated at start-up are read oldest first, once all
	 * of them hold the path. */
	daemon_wake_held(d, f);
	daemon_poll_update(d);
}

/* Arms the drain timer for the earliest rotate_wait still running. */
static void
daemon_drain_update(struct daemon *d)
{
	uint64_t next = UINT64_MAX, now;
	struct watch *w;

	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w != NULL && w->draining && !w->closing &&
		    w->drain_at < next)
			next = w->drain_at;
	}
	evtimer_del(d->drain_ev);
	if (next == UINT64_MAX)
		return;
	now = clock_ms();
	next = next > now ? next - now : 0;
	clock_timer(d->drain_ev, next);
}

/* rotate_wait is over for some rotated files: read them one last time to
 * their end, then close them once what they gave is written. */
static void
daemon_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t now = clock_ms();
	struct watch *w;

	(void)fd;
	(void)what;
	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w == NULL || !w->draining || w->closing ||
		    w->drain_at > now)
			continue;
		w->closing = 1;
		w->dirty = 1; /* one more read, even if inotify was quiet */
		if (!w->busy) {
			w->dirty = 0;
			daemon_wake(d, w);
		}
	}
	daemon_drain_update(d);
}

/* Closes a rotated file once rotate_wait is over, it was read to its end
 * and every line it gave is written. */
static void
daemon_maybe_close(struct daemon *d, struct watch *w)
{
	if (!w->closing || w->seeking || w->busy || w->queued || w->dirty ||
	    w->parked != NULL || w->committed != w->offset)
		return;
	log_debug("%s: closing the rotated file (inode %" PRIu64
	          ") after %" PRIu64 " bytes",
	          w->f->path, w->ino, w->offset);
	if (w->fd != -1)
		daemon_remember(d, w->f->path, w->dev, w->ino, w->offset,
		                w->fp_len, w->fp_hash);
	daemon_watch_remove(d, w);
}

/* Notices a directory replaced under its path (removed and made again, or
 * renamed and replaced): its watch, on the old one, would see nothing. */
static void
daemon_check_dir(struct daemon *d, struct follow *f)
{
	struct stat st;

	if (f->dir_reg == NULL)
		return;
	if (stat(f->dir, &st) == -1 || (uint64_t)st.st_dev != f->dir_dev ||
	    (uint64_t)st.st_ino != f->dir_ino) {
		f->dir_lost = 1;
		daemon_poll_update(d);
	}
}

/* `w' is no longer at its path: it is read to its end before the path's
 * current file, and kept open for late lines during rotate_wait. */
static void
daemon_drain_begin(struct daemon *d, struct watch *w)
{
	w->draining = 1;
	w->drain_at = clock_ms() + w->f->input->rotate_wait;
	daemon_hold(w);
	daemon_drain_update(d);
	daemon_wake(d, w);
}

/* The path of `w' (its current file) may name another file now: if so, w
 * becomes a rotated file read for late lines during rotate_wait, and the
 * new file (if any) becomes current. */
static void
daemon_check_path(struct daemon *d, struct watch *w)
{
	struct follow *f = w->f;
	int r;

	w->moved = 0;
	r = watch_replaced(w, f->path);
	if (r == 0)
		return;
	if (r == -1) {
		log_warn("cannot stat %s", f->path);
		return;
	}
	f->cur = NULL;
	/* What is left in the old file was written before anything in the
	 * new one: read it to its end first. */
	daemon_drain_begin(d, w);
	if (access(f->path, F_OK) == 0) {
		log_info("%s was rotated; following the new file, and the old "
		         "one for %" PRIu64 " ms more",
		         f->path, f->input->rotate_wait);
		f->reported = 0;
	} else {
		log_info("%s was removed or renamed; waiting for a new file",
		         f->path);
		f->reported = ENOENT; /* said just now */
		daemon_check_dir(d, f);
	}
	daemon_follow_open(d, f, OPEN_APPEARED);
	daemon_mark_dirty(d);
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

	while (!d->stopping && !d->resize && d->inflight < d->max_inflight &&
	       output_pending(d->out) < d->max_pending &&
	       (w = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, w, ready_entry);
		w->queued = 0;
		j = xcalloc(1, sizeof *j);
		j->job.run = daemon_job_run;
		j->job.done = daemon_job_done;
		j->d = d;
		j->slot = w->slot;
		j->gen = w->gen;
		j->tag = xstrdup(w->f->input->tag);
		j->path = xstrdup(w->f->path);
		j->req.fd = w->fd; /* not closed while the job is out */
		j->req.offset = w->offset;
		/* Lines of one read go to one file: with rotate_size, a
		 * read takes no more than fits in an empty one. */
		j->req.chunk = READER_CHUNK;
		if (d->cfg->rotate_size != 0 &&
		    d->cfg->rotate_size < READER_CHUNK)
			j->req.chunk = (size_t)d->cfg->rotate_size;
		j->req.max_line = (size_t)d->cfg->max_line;
		j->req.final = d->once;
		j->req.format = d->cfg->format;
		j->req.tag = j->tag;
		j->req.path = j->path;
		j->req.fp_len = w->fp_len;
		j->req.fp_hash = w->fp_hash;
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
	if (d->stopping || w->done || w->fd == -1)
		return;
	if (w->busy || w->parked != NULL ||
	    (w->f->cur == w && w->f->hold > 0) || daemon_behind(d, w)) {
		w->dirty = 1;
		return;
	}
	if (!w->queued) {
		TAILQ_INSERT_TAIL(&d->ready, w, ready_entry);
		w->queued = 1;
	}
	daemon_dispatch(d);
}

static void
daemon_find_run(struct pool_job *job)
{
	struct daemon_find_job *j = (struct daemon_find_job *)job;

	j->fd = watch_find(j->dir, &j->q, &j->st, &j->name);
}

/* The search for a truncated file's copy came back. */
static void
daemon_find_done(struct pool_job *job)
{
	struct daemon_find_job *j = (struct daemon_find_job *)job;
	struct daemon *d = j->d;
	struct watch *old = daemon_lookup(d, j->slot, j->gen);

	d->inflight--;
	if (old != NULL)
		old->seeking = 0;
	if (old == NULL || d->freeing) { /* gone, or the loop is */
		if (j->fd != -1)
			close(j->fd);
	} else if (j->fd != -1) {
		log_info("%s: reading the lines it held past offset %" PRIu64
		         " from its copy %s",
		         old->f->path, old->offset, j->name);
		old->fd = j->fd;
		old->dev = (uint64_t)j->st.st_dev;
		old->ino = (uint64_t)j->st.st_ino;
		if (d->once)
			d->once_left++; /* one more file to read to its end */
		daemon_mark_dirty(d);
		daemon_wake(d, old); /* to its end; then it lets go */
	} else {
		log_info("%s: no copy of it found in %s; lines written just "
		         "before the truncation, if any, were not read",
		         old->f->path, j->dir);
		daemon_release(d, old);
		event_active(d->reap_ev, 0, 0);
	}
	free(j->name);
	free(j->dir);
	free(j);
	if (d->freeing)
		return;
	daemon_try_resize(d);
	daemon_dispatch(d);
	daemon_maybe_finish(d);
}

/* The file of `w' was truncated (copytruncate, or by hand): start over at
 * its start, after reading what its copy holds past our offset.  When no
 * line of it was read yet (it waited behind older files) and its
 * fingerprint is short, only a copy created after its contents were first
 * seen will do (the first such): an older file, even one renamed or
 * written since, could start with the same bytes. */
static void
daemon_truncated(struct daemon *d, struct watch *w)
{
	struct daemon_find_job *j;
	struct watch_find q;
	struct watch *old;

	log_info("%s was truncated; reading it from its start", w->f->path);
	if (w == w->f->cur &&
	    daemon_copy_query(&q, w->ino, w->offset, w->fp_len, w->fp_hash,
	                      w->seen_at)) {
		/* The old contents keep w's slot and generation, so that the
		 * lines of them still waiting for the output commit to them;
		 * until their copy is found they have no file, and the
		 * checkpoint names them as a "copy" to look for. */
		old = xcalloc(1, sizeof *old);
		*old = *w;
		old->fd = -1;
		old->file_reg = NULL;
		old->moved = old->dirty = old->queued = 0;
		old->draining = old->closing = old->holding = 1;
		old->seeking = 1;
		old->held = old->f;
		old->age = UINT64_MAX; /* the newest contents before */
		old->f->hold++;
		old->f->nwatches++;
		d->slots[old->slot] = old;
		w->f->nwatches--; /* daemon_slot_add counts w again */
		daemon_slot_add(d, w);

		j = xcalloc(1, sizeof *j);
		j->job.run = daemon_find_run;
		j->job.done = daemon_find_done;
		j->d = d;
		j->slot = old->slot;
		j->gen = old->gen;
		j->dir = xstrdup(w->f->dir);
		j->q = q;
		j->fd = -1;
		d->inflight++;
		pool_submit(d->pool, &j->job);
	} else
		w->gen = ++d->next_gen; /* old lines commit nothing */
	w->offset = w->committed = 0;
	w->fp_len = 0;
	w->seen_at = watch_now();
	daemon_mark_dirty(d);
}

/* True if a file rotated away from f's path holds lines not read yet, or
 * truncated contents of it still wait for their copy to be found; the
 * files are woken, and hold f's current file until read. */
static int
daemon_old_has_more(struct daemon *d, struct follow *f)
{
	struct watch *o;
	struct stat st;
	int more = 0;

	for (uint32_t i = 0; i < d->nslots && f->nwatches > 1; i++) {
		o = d->slots[i];
		if (o != NULL && o->f == f && o->seeking) {
			more = 1; /* read once its copy is found */
			continue;
		}
		if (o == NULL || o->f != f || o == f->cur ||
		    fstat(o->fd, &st) == -1 ||
		    (uint64_t)st.st_size <= o->offset)
			continue;
		daemon_hold(o);
		daemon_wake(d, o);
		more = 1;
	}
	return more;
}

/* Hands a read's lines to the output and decides what next.  A read of a
 * path's current file that finds older, rotated files of the path with
 * lines still unread is parked until those are read: they were written
 * first. */
static void
daemon_job_apply(struct daemon *d, struct watch *w, struct daemon_job *j)
{
	struct reader_result *res = &j->res;
	struct output_mark mark;
	int eof;

	if (res->fp_changed || (uint64_t)res->st.st_size < j->req.offset) {
		/* What was read may be new contents at an old offset. */
		daemon_truncated(d, w);
		w->dirty = 1;
	} else if (w == w->f->cur && daemon_old_has_more(d, w->f)) {
		w->parked = j;
		return;
	} else {
		d->newline_added += res->stats.newline_added;
		if (res->stats.splits > 0) {
			d->splits += res->stats.splits;
			log_warnx(
			    "%s: split lines longer than max_line (%" PRIu64
			    " bytes): %" PRIu64 " cuts",
			    w->f->path, d->cfg->max_line, res->stats.splits);
		}
		mark.slot = w->slot;
		mark.gen = w->gen;
		mark.offset = res->next_offset;
		w->offset = res->next_offset;
		if (res->fp_len > w->fp_len) {
			w->fp_len = res->fp_len;
			w->fp_hash = res->fp_hash;
		}
		output_append(d->out, &res->out, &mark);
	}
	eof = res->eof;
	daemon_job_free(j);
	if (!eof || w->dirty) {
		w->dirty = 0;
		daemon_wake(d, w);
	} else {
		daemon_release(d, w);
		if (d->once) {
			w->done = 1;
			d->once_left--;
		} else if (w->moved && w->f->cur == w)
			daemon_check_path(d, w);
		else
			daemon_maybe_close(d, w);
	}
}

/* Applies the reads parked on f's files, once nothing holds them. */
static void
daemon_unpark(struct daemon *d, struct follow *f)
{
	struct daemon_job *j;
	struct watch *w;

	for (uint32_t i = 0; i < d->nslots && f->hold == 0; i++) {
		w = d->slots[i];
		if (w == NULL || w->f != f || w->parked == NULL)
			continue;
		j = w->parked;
		w->parked = NULL;
		daemon_job_apply(d, w, j);
	}
}

/* A read came back from the pool. */
static void
daemon_job_done(struct pool_job *job)
{
	struct daemon_job *j = (struct daemon_job *)job;
	struct daemon *d = j->d;
	struct watch *w;

	d->inflight--;
	w = daemon_lookup(d, j->slot, j->gen);
	if (w == NULL || d->freeing) {
		daemon_job_free(j); /* its watch went while it ran */
	} else if (j->res.err != 0) {
		w->busy = 0;
		if (w->reported != j->res.err)
			log_warnx("cannot read %s: %s", w->f->path,
			          strerror(j->res.err));
		w->reported = j->res.err;
		w->polled = 1;
		daemon_job_free(j);
		daemon_poll_update(d);
	} else {
		w->busy = 0;
		w->reported = 0;
		daemon_job_apply(d, w, j);
	}
	daemon_try_resize(d);
	daemon_dispatch(d);
	daemon_maybe_finish(d);
}

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
	if (!d->stopping && !(d->once && d->once_left == 0))
		return;
	if (d->inflight > 0 || checkpoint_busy(d->ckpt) ||
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

/* Output callback: a chunk of w's lines is written whole. */
static void
daemon_committed(void *arg, const struct output_mark *mark, uint64_t length)
{
	struct daemon *d = arg;
	struct watch *w = daemon_lookup(d, mark->slot, mark->gen);

	(void)length;
	if (w != NULL) {
		w->committed = mark->offset;
		if (w->closing)
			event_active(d->reap_ev, 0, 0); /* not from in here */
	}
	daemon_mark_dirty(d);
}

/* Output callback: bytes were written, so reads may go on. */
static void
daemon_written(void *arg)
{
	struct daemon *d = arg;

	checkpoint_written(d->ckpt);
	barrier_step(d->barrier);
	daemon_dispatch(d);
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
	daemon_dispatch(d);
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

/* Closes the rotated files that are done, on a loop turn of their own. */
static void
daemon_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	size_t k = 0;

	for (uint32_t i = 0; i < d->nslots; i++)
		if (d->slots[i] != NULL)
			daemon_maybe_close(d, d->slots[i]);
	for (size_t i = 0; i < d->nfollows; i++) {
		struct follow *f = d->follows[i];
		if (!f->gone || f->nwatches > 0 || f->hold > 0) {
			d->follows[k++] = f;
			continue;
		}
		notify_rm(d->notify, f->dir_reg);
		follow_free(f);
	}
	d->nfollows = k;
	daemon_retired_free(d);
	daemon_maybe_finish(d);
}

/* Renders the checkpoint as of now: the output's length up to its last
 * whole write, and what each open file has had written. */
static void
daemon_render(void *arg, struct state *st)
{
	struct daemon *d = arg;
	struct state_file *e;
	struct watch *w;
	struct follow *f;

	st->out_path = xstrdup(output_path(d->out));
	output_identity(d->out, &st->out_dev, &st->out_ino);
	st->out_len = output_committed(d->out);
	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w == NULL)
			continue;
		e = state_add(st, w->f->path, w->dev, w->ino, w->committed,
		              w->fp_len, w->fp_hash);
		e->kind = w->fd == -1 ? STATE_COPY : STATE_OPEN;
		e->seen_at = w->seen_at;
	}
	for (size_t i = 0; i < d->closed.nfiles; i++) {
		const struct state_file *c = &d->closed.files[i];
		state_add(st, c->path, c->dev, c->ino, c->offset, c->fp_len,
		          c->fp_hash)
		    ->kind = STATE_DONE;
	}
	/* A path with no file now is still known: whatever appears there is
	 * read from its start. */
	for (size_t i = 0; i < d->nfollows; i++) {
		f = d->follows[i];
		if (f->cur == NULL && f->seen)
			state_add(st, f->path, 0, 0, 0, 0, 0);
	}
}

/* A save is done (err 0) or failed: an output barrier takes its own on;
 * once a checkpoint names the current output, rotated files may be
 * gzipped. */
static void
daemon_saved(void *arg, int barrier, int err)
{
	struct daemon *d = arg;

	if (d->freeing)
		return; /* the loop is gone */
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

/* True if `path' is a file tailmux writes: the output, its rotated files
 * (and their .gz, .gz.tmp), the checkpoint and its .tmp and .bad.  A glob
 * never follows those: it would read back what tailmux wrote. */
static int
daemon_is_own(const struct daemon *d, const char *path)
{
	const char *out = d->cfg->output_path, *st = d->cfg->state_file;
	size_t dlen = strlen(out) - strlen(path_base(out)), slen = strlen(st),
	       stem;

	if (strcmp(path, out) == 0 || strcmp(path, output_path(d->out)) == 0)
		return 1;
	if (strncmp(path, st, slen) == 0 &&
	    (path[slen] == '\0' || strcmp(path + slen, ".tmp") == 0 ||
	     strcmp(path + slen, ".bad") == 0))
		return 1;
	return strncmp(path, out, dlen) == 0 &&
	       strchr(path + dlen, '/') == NULL &&
	       rotate_match(path_base(out), path + dlen, &stem) !=
	           ROTATE_NOT_OURS;
}

/* Adds a follow of `path' for `in'. */
static struct follow *
daemon_follow_add(struct daemon *d, const char *path,
                  const struct config_input *in, int from_glob)
{
	struct follow *f = follow_create(path, in);

	f->from_glob = from_glob;
	for (size_t k = 0; k < d->loaded.nfiles; k++)
		if (strcmp(d->loaded.files[k].path, path) == 0)
			f->seen = 1;
	d->follows =
	    xreallocarray(d->follows, d->nfollows + 1, sizeof *d->follows);
	d->follows[d->nfollows++] = f;
	d->input_files[in - d->cfg->inputs]++;
	return f;
}

/* The follow of `path', if any. */
static struct follow *
daemon_follow_get(const struct daemon *d, const char *path)
{
	for (size_t i = 0; i < d->nfollows; i++)
		if (!d->follows[i]->gone &&
		    strcmp(d->follows[i]->path, path) == 0)
			return d->follows[i];
	return NULL;
}

/* True if `path' matches one of the input's exclude patterns (those
 * without '/' are matched against the file name). */
static int
daemon_excluded(const struct config_input *in, const char *path)
{
	const char *base = path_base(path);

	for (size_t i = 0; i < in->nexcludes; i++) {
		const char *ex = in->excludes[i];
		if (strchr(ex, '/') != NULL
		        ? fnmatch(ex, path, FNM_PATHNAME) == 0
		        : fnmatch(ex, base, 0) == 0)
			return 1;
	}
	return 0;
}

/* The input of `cfg' that covers `path': one that names it, else one with
 * a glob that matches it and no exclude pattern that does, the input
 * called `name' (if any) before others.  *from_glob says which kind.
 * NULL if no input covers it. */
static const struct config_input *
daemon_input_for(const struct config *cfg, const char *path, const char *name,
                 int *from_glob)
{
	const struct config_input *in, *found = NULL;

	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++) {
			if (!config_is_glob(in->paths[k]) &&
			    strcmp(in->paths[k], path) == 0) {
				*from_glob = 0;
				return in;
			}
		}
	}
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		if (daemon_excluded(in, path))
			continue;
		for (size_t k = 0; k < in->npaths; k++) {
			if (!config_is_glob(in->paths[k]) ||
			    fnmatch(in->paths[k], path,
			            FNM_PATHNAME | FNM_PERIOD) != 0)
				continue;
			if (found == NULL ||
			    (name != NULL && strcmp(in->name, name) == 0))
				found = in;
		}
	}
	*from_glob = 1;
	return found;
}

/* True if some input of `cfg' covers `path'. */
static int
daemon_covered(const struct config *cfg, const char *path)
{
	int from_glob;

	return daemon_input_for(cfg, path, NULL, &from_glob) != NULL;
}

/* A file matching glob `g' was found: follow it unless it is excluded,
 * followed already, not a regular file, or over max_files.  Returns the
 * new follow, or NULL. */
static struct follow *
daemon_glob_found(struct daemon *d, struct daemon_glob *g, const char *path)
{
	const struct config_input *in = g->input;
	size_t idx = (size_t)(in - d->cfg->inputs);
	struct stat st;

	if (daemon_excluded(in, path) || daemon_follow_get(d, path) != NULL)
		return NULL;
	if (daemon_is_own(d, path))
		return NULL;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return NULL;
	if (d->input_files[idx] >= in->max_files) {
		if (!d->input_full[idx])
			log_warnx(
			    "[input:%s] follows max_files (%u) files; not "
			    "following %s or any more new ones",
			    in->name, in->max_files, path);
		d->input_full[idx] = 1;
		return NULL;
	}
	return daemon_follow_add(d, path, in, 1);
}

/* Expands glob `g' and follows each new match; at start-up (`initial')
 * the files are opened by the caller, later they are opened here: as new
 * files, or, at a reload, those `prev' (the configuration before) did not
 * cover as paths added by it. */
static void
daemon_glob_scan(struct daemon *d, struct daemon_glob *g, int initial,
                 const struct config *prev)
{
	struct follow *f;
	glob_t gl;
	int r;

	r = glob(g->pattern, GLOB_NOSORT, NULL, &gl);
	if (r != 0 && r != GLOB_NOMATCH) {
		log_warnx("[input:%s] cannot expand %s", g->input->name,
		          g->pattern);
		return;
	}
	for (size_t i = 0; r == 0 && i < gl.gl_pathc; i++) {
		f = daemon_glob_found(d, g, gl.gl_pathv[i]);
		if (f != NULL && !initial)
			daemon_follow_open(d, f,
			                   prev == NULL ||
			                           daemon_covered(prev, f->path)
			                       ? OPEN_APPEARED
			                       : OPEN_ADDED);
	}
	if (r == 0)
		globfree(&gl);
	if (g->dir != NULL && g->dir_reg == NULL && !d->once)
		g->dir_reg = notify_add(d->notify, g->dir, NOTIFY_DIR_MASK,
		                        daemon_glob_event, d, g);
}

/* Looks for new glob matches every rescan_interval (the shortest of the
 * inputs'): for directories with wildcards, and as a safety net. */
static void
daemon_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t ms = UINT64_MAX;

	(void)fd;
	(void)what;
	if (what != 0)
		for (size_t i = 0; i < d->nglobs; i++)
			daemon_glob_scan(d, &d->globs[i], 0, NULL);
	for (size_t i = 0; i < d->nglobs; i++)
		if (d->globs[i].input->rescan_interval < ms)
			ms = d->globs[i].input->rescan_interval;
	if (ms == UINT64_MAX || d->once)
		return;
	clock_timer(d->rescan_ev, ms);
}

/* Sets up the glob patterns of every input. */
static void
daemon_globs_init(struct daemon *d)
{
	const struct config_input *in;
	struct daemon_glob *g;

	for (size_t i = 0; i < d->cfg->ninputs; i++) {
		in = &d->cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++) {
			if (!config_is_glob(in->paths[k]))
				continue;
			d->globs = xreallocarray(d->globs, d->nglobs + 1,
			                         sizeof *d->globs);
			g = &d->globs[d->nglobs++];
			memset(g, 0, sizeof *g);
			g->input = in;
			g->pattern = in->paths[k];
			/* Left to the rescan: a directory part with
			 * wildcards, or the root (names there would be
			 * joined as "//name"). */
			g->dir = path_dir(g->pattern);
			if (config_is_glob(g->dir) ||
			    strcmp(g->dir, "/") == 0 ||
			    strcmp(g->dir, ".") == 0) {
				free(g->dir);
				g->dir = NULL;
			}
		}
	}
}

/* The file at f's path was renamed to `name' in its directory.  A file
 * tailmux has not opened (created and renamed away again before a busy loop
 * saw it at the path) is read from its start, or from where it was left if
 * it was read before, ahead of the path's current file. */
static void
daemon_follow_moved(struct daemon *d, struct follow *f, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	struct watch *w;
	struct stat st;
	int64_t offset;
	int fd;

	if (d->once || f->dir_lost || strcmp(name, f->base) == 0 ||
	    daemon_is_own(d, path) ||
	    watch_open(path, &fd, &st) != WATCH_OPENED)
		goto out;
	if (daemon_watch_find(d, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);
		goto out;
	}
	offset = daemon_recall(d, fd, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (offset < 0)
		log_info("%s held a file only briefly, renamed to %s before "
		         "it was seen there; reading it from its start",
		         f->path, path);
	w = watch_create(f, fd, &st, offset < 0 ? 0 : (uint64_t)offset);
	watch_fingerprint(fd, &w->fp_len, &w->fp_hash);
	daemon_slot_add(d, w);
	daemon_watch_notify(d, w, path);
	daemon_drain_begin(d, w);
	daemon_mark_dirty(d);
out:
	free(path);
}

/* inotify: a name appeared in the literal directory of glob `owner'. */
static void
daemon_glob_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
                  const char *name)
{
	struct daemon *d = arg;
	struct daemon_glob *g = owner;
	struct follow *f;
	char *path;

	(void)cookie;
	if (name == NULL || !(mask & (IN_CREATE | IN_MOVED_TO)))
		return;
	path = xasprintf("%s/%s", g->dir, name);
	if (fnmatch(g->pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0 &&
	    (f = daemon_glob_found(d, g, path)) != NULL)
		daemon_follow_open(d, f, OPEN_APPEARED);
	free(path);
}

/* inotify: something happened in the directory of follow `owner'. */
static void
daemon_follow_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
                    const char *name)
{
	struct daemon *d = arg;
	struct follow *f = owner;

	if (mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* The directory itself went: the poll watches for a new one
		 * (registrations cannot change in here). */
		f->dir_lost = 1;
		daemon_poll_update(d);
		return;
	}
	if (name != NULL && (mask & IN_MOVED_TO) && cookie != 0 &&
	    cookie == f->move_cookie) {
		f->move_cookie = 0;
		daemon_follow_moved(d, f, name);
	}
	/* Otherwise only events of the path's own name matter. */
	if (name == NULL || strcmp(name, f->base) != 0)
		return;
	if (mask & IN_MOVED_FROM)
		f->move_cookie = cookie;
	if (f->cur == NULL) {
		daemon_follow_open(d, f, OPEN_APPEARED);
		return;
	}
	/* Switch now: a file that is created and rotated away again before
	 * the old one is read to its end would be missed. */
	daemon_check_path(d, f->cur);
}

/* inotify: the file of watch `owner' changed, moved or went. */
static void
daemon_watch_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
                   const char *name)
{
	struct daemon *d = arg;
	struct watch *w = owner;

	(void)cookie;
	(void)name;
	if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
		w->moved = w->f->cur == w;
	/* Late lines in a rotated file were written before what the path's
	 * new file got since: read them first. */
	if (w->draining && (mask & IN_MODIFY))
		daemon_hold(w);
	/* A read is asked for even when the file did not grow: it comes back
	 * at the end of the file and then looks at what the path names. */
	daemon_wake(d, w);
}

/* True if `cfg' still has inputs that follows point to. */
static int
daemon_config_used(const struct daemon *d, const struct config *cfg)
{
	for (size_t i = 0; i < d->nfollows; i++)
		for (size_t k = 0; k < cfg->ninputs; k++)
			if (d->follows[i]->input == &cfg->inputs[k])
				return 1;
	return 0;
}

/* Frees the configurations replaced by reloads that no follow points into
 * any more (the paths they alone named are read to their end by now). */
static void
daemon_retired_free(struct daemon *d)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nretired; i++) {
		if (daemon_config_used(d, d->retired[i]))
			d->retired[k++] = d->retired[i];
		else
			config_free(d->retired[i]);
	}
	d->nretired = k;
}

/* Ends the glob patterns' directory watches and forgets the patterns. */
static void
daemon_globs_free(struct daemon *d)
{
	for (size_t i = 0; i < d->nglobs; i++) {
		notify_rm(d->notify, d->globs[i].dir_reg);
		free(d->globs[i].dir);
	}
	free(d->globs);
	d->globs = NULL;
	d->nglobs = 0;
}

/* A reload changed workers: the pool is made anew once no job is in it;
 * meanwhile no read is started (daemon_dispatch).  On a loop turn of its
 * own, since this is called from the pool's callbacks. */
static void
daemon_try_resize(struct daemon *d)
{
	if (d->resize && pool_busy(d->pool) == 0)
		event_active(d->resize_ev, 0, 0);
}

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
	d->max_inflight = (size_t)d->workers * 2;
	daemon_dispatch(d);
	checkpoint_pause(d->ckpt, 0);
	daemon_maybe_finish(d);
}

/* True if two inputs have the same settings and paths. */
static int
daemon_input_same(const struct config_input *a, const struct config_input *b)
{
	if (strcmp(a->name, b->name) != 0 || strcmp(a->tag, b->tag) != 0 ||
	    a->start != b->start || a->rotate_wait != b->rotate_wait ||
	    a->max_files != b->max_files ||
	    a->rescan_interval != b->rescan_interval ||
	    a->npaths != b->npaths || a->nexcludes != b->nexcludes)
		return 0;
	for (size_t i = 0; i < a->npaths; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->nexcludes; i++)
		if (strcmp(a->excludes[i], b->excludes[i]) != 0)
			return 0;
	return 1;
}

/* The input of `cfg' called `name', or NULL. */
static const struct config_input *
daemon_input_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ninputs; i++)
		if (strcmp(cfg->inputs[i].name, name) == 0)
			return &cfg->inputs[i];
	return NULL;
}

/* What a reload did to the inputs, by name. */
struct daemon_reload_count {
	size_t added;
	size_t removed;
	size_t changed;
	size_t unchanged;
};

/* Counts and logs the inputs a reload adds, removes and changes. */
static void
daemon_reload_count(const struct config *old, const struct config *cfg,
                    struct daemon_reload_count *n)
{
	const struct config_input *in, *o;

	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		o = daemon_input_named(old, in->name);
		if (o == NULL) {
			log_info("reload: [input:%s] added (%s:%d)", in->name,
			         in->file, in->line);
			n->added++;
		} else if (!daemon_input_same(o, in)) {
			log_info("reload: [input:%s] changed (%s:%d)", in->name,
			         in->file, in->line);
			n->changed++;
		} else
			n->unchanged++;
	}
	for (size_t i = 0; i < old->ninputs; i++) {
		if (daemon_input_named(cfg, old->inputs[i].name) != NULL)
			continue;
		log_info("reload: [input:%s] removed", old->inputs[i].name);
		n->removed++;
	}
}

/* A reload no longer covers f's path.  Each of its files is read to the
 * end it has now, closed once its lines are written, and remembered as
 * read to its end, as a rotated file is when its rotate_wait is over: the
 * path, added again later, goes on from there.  Then the path is dropped;
 * nothing new at it is opened. */
static void
daemon_follow_remove(struct daemon *d, struct follow *f)
{
	struct watch *w;

	f->gone = 1; /* not counted: the reload counts the files anew */
	notify_rm(d->notify, f->dir_reg);
	f->dir_reg = NULL;
	f->polled = f->dir_lost = 0;
	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w == NULL || w->f != f)
			continue;
		/* No more wake-ups: what it holds now is read, not what it
		 * gets later. */
		notify_rm(d->notify, w->file_reg);
		w->file_reg = NULL;
		w->polled = w->moved = 0;
		w->draining = w->closing = 1;
		if (w->busy || w->parked != NULL)
			w->dirty = 1; /* a read that starts after now */
		else {
			w->dirty = 0;
			daemon_wake(d, w);
		}
	}
	event_active(d->reap_ev, 0, 0);
}

/* Points the follows at the inputs of the new configuration that cover
 * their paths (keeping their open files and offsets), and removes those no
 * input covers any more. */
static void
daemon_reload_follows(struct daemon *d)
{
	const struct config_input *in;
	struct follow *f;
	int from_glob;

	free(d->input_files);
	free(d->input_full);
	d->input_files = xcalloc(d->cfg->ninputs, sizeof *d->input_files);
	d->input_full = xcalloc(d->cfg->ninputs, sizeof *d->input_full);
	for (size_t i = 0; i < d->nfollows; i++) {
		f = d->follows[i];
		if (f->gone)
			continue;
		in = daemon_input_for(d->cfg, f->path, f->input->name,
		                      &from_glob);
		if (in == NULL) {
			log_info("reload: %s is no longer followed ([input:%s] "
			         "had it); reading it to its end",
			         f->path, f->input->name);
			daemon_follow_remove(d, f);
			continue;
		}
		f->input = in;
		f->from_glob = from_glob;
		d->input_files[in - d->cfg->inputs]++;
	}
}

/* Follows the paths of the new configuration not followed yet, and
 * expands its globs: a path `old' did not cover starts as at start-up
 * (its input's `start'), unless it is a file read before. */
static void
daemon_reload_paths(struct daemon *d, const struct config *old)
{
	const struct config_input *in;
	struct follow *f;

	for (size_t i = 0; i < d->cfg->ninputs; i++) {
		in = &d->cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++) {
			if (config_is_glob(in->paths[k]) ||
			    daemon_follow_get(d, in->paths[k]) != NULL)
				continue;
			f = daemon_follow_add(d, in->paths[k], in, 0);
			daemon_follow_open(d, f,
			                   daemon_covered(old, f->path)
			                       ? OPEN_APPEARED
			                       : OPEN_ADDED);
		}
	}
	daemon_globs_init(d);
	for (size_t i = 0; i < d->nglobs; i++)
		daemon_glob_scan(d, &d->globs[i], 0, old);
}

/* Applies the settings of a reloaded configuration. */
static void
daemon_reload_settings(struct daemon *d, const struct config *old)
{
	const struct config *cfg = d->cfg;

	log_set_level((enum log_level)cfg->log_level);
	d->max_pending = (size_t)cfg->max_pending;
	d->resize = cfg->workers != d->workers;
	checkpoint_pause(d->ckpt, d->resize);
	daemon_try_resize(d);
	/* The timers run on with the new intervals from now. */
	evtimer_del(d->poll_ev);
	daemon_poll_update(d);
	evtimer_del(d->rescan_ev);
	daemon_rescan_cb(-1, 0, d);
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
	struct daemon_reload_count n = {0};

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
	daemon_reload_count(old, cfg, &n);
	daemon_globs_free(d);
	d->cfg = cfg;
	checkpoint_set_config(d->ckpt, cfg);
	daemon_reload_follows(d);
	daemon_reload_paths(d, old);
	daemon_reload_settings(d, old);
	/* The follows of removed paths still point into it while drained. */
	if (daemon_config_used(d, old)) {
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
	daemon_poll_update(d);
	daemon_dispatch(d);
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
	         d->cfg->output_path, d->inflight);
	daemon_force_stop(d);
}

/* Starts the stop_timeout clock. */
static void
daemon_stop_arm(struct daemon *d)
{
	clock_timer(d->stop_ev, d->cfg->stop_timeout);
}

/* The figures of a STATUS= line, as of now. */
static void
daemon_status_sample(void *arg, struct status_sample *m)
{
	struct daemon *d = arg;
	struct watch *w;
	struct stat st;

	for (uint32_t i = 0; i < d->nslots; i++) {
		w = d->slots[i];
		if (w == NULL || w->fd == -1)
			continue;
		m->nopen++;
		if (fstat(w->fd, &st) == 0 &&
		    (uint64_t)st.st_size > w->committed)
			m->behind += (uint64_t)st.st_size - w->committed;
	}
	m->written = output_written(d->out);
	m->pending = output_pending(d->out);
	m->stopping = d->stopping;
	m->output = d->cfg->output_path;
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
	struct rotated_cbs rcbs = {daemon_rotated_done, d};
	struct checkpoint_cbs ccbs = {daemon_render,    daemon_saved,
	                              daemon_ckpt_done, daemon_ckpt_held,
	                              daemon_submit,    d};
	struct config_input *in;
	char *cause;

	memset(d, 0, sizeof *d);
	d->cfg = cfg;
	d->once = once;
	TAILQ_INIT(&d->ready);
	d->workers = cfg->workers;
	d->max_inflight = (size_t)cfg->workers * 2;
	d->max_pending = (size_t)cfg->max_pending;

	d->base = event_base_new();
	if (d->base == NULL || event_base_priority_init(d->base, 3) == -1) {
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
	d->poll_ev = evtimer_new(d->base, daemon_poll_cb, d);
	d->drain_ev = evtimer_new(d->base, daemon_drain_cb, d);
	d->reap_ev = event_new(d->base, -1, 0, daemon_reap_cb, d);
	d->resize_ev = event_new(d->base, -1, 0, daemon_resize_cb, d);
	d->stop_ev = evtimer_new(d->base, daemon_stop_cb, d);
	if (d->poll_ev == NULL || d->drain_ev == NULL || d->reap_ev == NULL ||
	    d->resize_ev == NULL || d->stop_ev == NULL) {
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
		checkpoint_load(cfg->state_file, &d->loaded);
	}
	d->out = output_open(d->base, cfg->output_path, &cbs, &cause);
	if (d->out == NULL) {
		log_errx("%s", cause);
		free(cause);
		return -1;
	}
	if (checkpoint_cut_back(d->out, &d->loaded) == -1)
		return -1;
	d->ckpt = checkpoint_create(d->base, cfg, d->out, once, &ccbs);
	if (d->ckpt == NULL)
		return -1;
	d->barrier = barrier_create(d->base, cfg, d->out, d->ckpt, d->notify,
	                            once, &bcbs);
	if (d->barrier == NULL)
		return -1;
	d->pool = pool_create(d->base, cfg->workers);
	if (d->pool == NULL) {
		log_warn("cannot start %u worker threads", cfg->workers);
		return -1;
	}
	d->rotated = rotated_create(d->base, cfg, d->ckpt, d->barrier, &rcbs);
	if (d->rotated == NULL)
		return -1;
	d->input_files = xcalloc(cfg->ninputs, sizeof *d->input_files);
	d->input_full = xcalloc(cfg->ninputs, sizeof *d->input_full);
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++)
			if (!config_is_glob(in->paths[k]))
				daemon_follow_add(d, in->paths[k], in, 0);
	}
	for (size_t k = 0; k < d->loaded.nfiles; k++) {
		const struct state_file *e = &d->loaded.files[k];
		if (e->kind == STATE_DONE)
			daemon_remember(d, e->path, e->dev, e->ino, e->offset,
			                e->fp_len, e->fp_hash);
	}
	daemon_globs_init(d);
	d->rescan_ev = evtimer_new(d->base, daemon_rescan_cb, d);
	if (d->rescan_ev == NULL) {
		log_errx("cannot create the rescan timer");
		return -1;
	}
	return 0;
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

int
daemon_run(struct daemon *d)
{
	for (size_t i = 0; i < d->nglobs; i++)
		daemon_glob_scan(d, &d->globs[i], 1, NULL);
	daemon_rescan_cb(-1, 0, d); /* arms the timer */
	d->once_left = d->nfollows;
	for (size_t i = 0; i < d->nfollows; i++)
		daemon_follow_open(d, d->follows[i], OPEN_STARTUP);
	state_clear(&d->loaded);
	/* A checkpoint before the first write: a kill -9 before the
	 * first timed save must not find output that no checkpoint
	 * accounts for. The loop has not run, so nothing has been
	 * written yet. */
	if (!d->once)
		(void)checkpoint_save_now(d->ckpt); /* retried if it fails */
	log_info("%s %zu files into %s (%s)", d->once ? "merging" : "following",
	         d->nfollows, d->cfg->output_path,
	         config_format_name(d->cfg->format));
	daemon_rotate_start(d);
	if (!d->once) {
		service_ready(); /* every input is open and watched */
		status_now(d->status);
	}
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
	log_info("stopped: %" PRIu64 " bytes written, %" PRIu64
	         " cuts at max_line, %" PRIu64
	         " lines completed with a newline",
	         output_written(d->out), d->splits, d->newline_added);
	return d->exit_code;
}

void
daemon_free(struct daemon *d)
{
	d->stopping = 1; /* the pool's last callbacks submit nothing */
	checkpoint_stop(d->ckpt);
	d->freeing = 1;
	/* A gzip under way stops (its file is compressed at the next
	 * start), unless --once, which leaves no work for later. */
	rotated_free(d->rotated, d->once);
	pool_free(d->pool); /* first: its last callbacks use the rest */
	for (uint32_t i = 0; i < d->nslots; i++) {
		struct watch *w = d->slots[i];
		if (w == NULL)
			continue;
		notify_rm(d->notify, w->file_reg);
		if (w->parked != NULL)
			daemon_job_free(w->parked);
		watch_free(w);
	}
	free(d->slots);
	for (size_t i = 0; i < d->nfollows; i++) {
		notify_rm(d->notify, d->follows[i]->dir_reg);
		follow_free(d->follows[i]);
	}
	free(d->follows);
	daemon_globs_free(d);
	free(d->input_files);
	free(d->input_full);
	if (d->rescan_ev != NULL)
		event_free(d->rescan_ev);
	output_close(d->out);
	barrier_free(d->barrier);
	notify_free(d->notify);
	for (size_t i = 0; i < sizeof d->sig_ev / sizeof d->sig_ev[0]; i++)
		if (d->sig_ev[i] != NULL)
			event_free(d->sig_ev[i]);
	if (d->poll_ev != NULL)
		event_free(d->poll_ev);
	if (d->drain_ev != NULL)
		event_free(d->drain_ev);
	if (d->reap_ev != NULL)
		event_free(d->reap_ev);
	if (d->resize_ev != NULL)
		event_free(d->resize_ev);
	checkpoint_free(d->ckpt);
	if (d->stop_ev != NULL)
		event_free(d->stop_ev);
	status_free(d->status);
	if (d->base != NULL)
		event_base_free(d->base);
	state_clear(&d->loaded);
	state_clear(&d->closed);
	for (size_t i = 0; i < d->nretired; i++)
		config_free(d->retired[i]);
	free(d->retired);
	config_free(d->cfg);
}
