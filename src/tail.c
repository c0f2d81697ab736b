/* tail.c -- follows, their files, the ready queue and the reads: see
 * tail.h.  The checkpoint protocol is described in state.c. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "fds.h"
#include "follow.h"
#include "gunzip.h"
#include "hmap.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "path.h"
#include "pool.h"
#include "reader.h"
#include "resume.h"
#include "rotate.h"
#include "state.h"
#include "status.h"
#include "tail.h"
#include "watch.h"
#include "xmalloc.h"

#define TAIL_MAX_CLOSED 1024

/* The most a read on the loop thread takes: what a live file gets between
 * two looks; a backlog goes to the workers, several files at once. */
#define TAIL_NOWAIT_MAX (64 * 1024)

/* The most reads started in one loop turn: the loop's timers and events
 * come between. */
#define TAIL_DISPATCH_TURN 64

struct tail {
	const struct config *cfg;
	int once; /* --once: read what is there, then stop */
	struct output *out;
	struct notify *notify;
	struct pool *pool;
	struct tail_cbs cbs;
	struct event *poll_ev;
	struct event *drain_ev;    /* the next rotate_wait to end */
	struct event *reap_ev;     /* closes rotated files that are done */
	struct event *dispatch_ev; /* starts the reads the ready queue holds */

	struct follow **follows;
	size_t nfollows;
	size_t *input_files; /* follows per input, by index in cfg->inputs */
	int *input_full;     /* max_files was reported for the input */

	struct watch **slots; /* open files by slot; NULL where free */
	uint32_t nslots;
	uint32_t *free_slots; /* the free slots, the last freed last */
	uint32_t nfree;
	struct hmap *by_id;   /* watches by (dev, ino) */
	struct hmap *by_path; /* follows by path (the dropped ones too) */
	/* The descriptor budget: watches whose file is open, least recently
	 * read first; past `budget', the first that can be are shelved. */
	TAILQ_HEAD(, watch) lru;
	size_t nopen;
	size_t budget;
	struct event *poll_check_ev; /* tail_poll_update(), once a turn */
	uint32_t next_gen;
	TAILQ_HEAD(, watch) ready; /* watches waiting for a free job slot */
	size_t inflight;
	size_t max_inflight;
	char *scratch; /* TAIL_NOWAIT_MAX bytes: a read on the loop thread */
	int paused;    /* the pool is being remade: no read starts */
	int shelving;  /* files were closed for the budget (said) */
	int watches_short; /* inotify ran out of watches (said) */
	int stopping;      /* no read starts */
	int freeing;       /* the loop is going: jobs back are only freed */
	size_t once_left;  /* --once: watches not read to their end yet */

	struct state loaded;         /* the checkpoint found at start */
	struct hmap *loaded_by_path; /* its entries by path, */
	struct hmap *loaded_by_id;   /* and by (dev, ino) */
	struct state closed; /* files read to their end and closed, newest
	                        last, at most TAIL_MAX_CLOSED */

	uint64_t splits;
	uint64_t newline_added;
	uint64_t lost; /* files the checkpoint named, gone before read */
};

/* A read of one file, from one offset to its end (or a chunk). */
struct tail_job {
	struct pool_job job;
	struct tail *t;
	uint32_t slot;
	uint32_t gen;
	char *tag;
	char *path;
	struct reader_req req;
	struct reader_result res;
};

/* Looks for the copy copytruncate made of a file, off the loop. */
struct tail_find_job {
	struct pool_job job;
	struct tail *t;
	uint32_t slot; /* the watch of the old contents, waiting for it */
	uint32_t gen;
	char *dir;
	struct watch_find q;
	int fd;
	struct stat st;
	char *name;
};

static void tail_wake_held(struct tail *t, struct follow *f);
static void tail_follow_event(void *arg, void *owner, uint32_t mask,
                              uint32_t cookie, const char *name);
static void tail_watch_event(void *arg, void *owner, uint32_t mask,
                             uint32_t cookie, const char *name);
static void tail_wake(struct tail *t, struct watch *w);
static void tail_maybe_close(struct tail *t, struct watch *w);
static void tail_job_done(struct pool_job *job);
static void tail_job_finish(struct tail *t, struct tail_job *j);
static void tail_watch_dir(struct tail *t, struct follow *f);
static void tail_drain_update(struct tail *t);
static void tail_check_path(struct tail *t, struct watch *w);
static void tail_follow_maybe_drop(struct tail *t, struct follow *f);
static void tail_unpark(struct tail *t, struct follow *f);
static void tail_job_free(struct tail_job *j);
static void tail_release(struct tail *t, struct watch *w);

/* Something the checkpoint holds changed. */
static void
tail_changed(struct tail *t)
{
	t->cbs.changed(t->cbs.arg);
}

/* The watch in `slot', if it is still generation `gen'. */
static struct watch *
tail_lookup(const struct tail *t, uint32_t slot, uint32_t gen)
{
	struct watch *w = slot < t->nslots ? t->slots[slot] : NULL;

	return w != NULL && w->gen == gen ? w : NULL;
}

/* Takes entry `e' (or nothing, if NULL) off the list of closed files. */
static void
tail_forget(struct tail *t, struct state_file *e)
{
	struct state *c = &t->closed;

	if (e == NULL)
		return;
	free(e->path);
	memmove(e, e + 1, (size_t)(c->files + c->nfiles - (e + 1)) * sizeof *e);
	c->nfiles--;
}

/* True if an array holding n items, grown by tail_room(), must grow for
 * one more: at 0 and at each power of two from 8 (it never shrinks). */
static int
tail_grows(size_t n)
{
	return n == 0 || (n >= 8 && (n & (n - 1)) == 0);
}

/* The room to grow an array of n items to, where tail_grows(n). */
static size_t
tail_room(size_t n)
{
	return n == 0 ? 8 : n * 2;
}

/* The file of `w' is open now: it counts against the budget, and is the
 * most recently read. */
static void
tail_fd_opened(struct tail *t, struct watch *w)
{
	if (w->in_lru || w->fd == -1)
		return;
	TAILQ_INSERT_TAIL(&t->lru, w, lru_entry);
	w->in_lru = 1;
	t->nopen++;
}

/* The file of `w' is being closed (or w forgotten). */
static void
tail_fd_closed(struct tail *t, struct watch *w)
{
	if (!w->in_lru)
		return;
	TAILQ_REMOVE(&t->lru, w, lru_entry);
	w->in_lru = 0;
	t->nopen--;
}

/* `w' was just read: the last its budget would close. */
static void
tail_fd_touch(struct tail *t, struct watch *w)
{
	if (!w->in_lru)
		return;
	TAILQ_REMOVE(&t->lru, w, lru_entry);
	TAILQ_INSERT_TAIL(&t->lru, w, lru_entry);
}

/* Files `w' by its identity. */
static void
tail_id_put(struct tail *t, struct watch *w)
{
	hmap_put(t->by_id, hmap_hash_pair(w->dev, w->ino), w);
}

/* Takes `w' out of the files by identity. */
static void
tail_id_del(struct tail *t, struct watch *w)
{
	hmap_del(t->by_id, hmap_hash_pair(w->dev, w->ino), w);
}

/* Gives `w' a free slot and a new generation. */
static void
tail_slot_add(struct tail *t, struct watch *w)
{
	uint32_t i;

	if (t->nfree > 0) {
		i = t->free_slots[--t->nfree];
	} else {
		if (tail_grows(t->nslots)) {
			t->slots = xreallocarray(t->slots, tail_room(t->nslots),
			                         sizeof *t->slots);
			t->free_slots =
			    xreallocarray(t->free_slots, tail_room(t->nslots),
			                  sizeof *t->free_slots);
		}
		i = t->nslots++;
	}
	t->slots[i] = w;
	w->slot = i;
	w->gen = ++t->next_gen;
	w->f->nwatches++;
	tail_id_put(t, w);
	tail_fd_opened(t, w);
	/* An open file is in the checkpoint as such, not as a closed one. */
	tail_forget(t, state_find(&t->closed, w->dev, w->ino));
}

/* The watch on (dev, ino), if any: of several (the old contents of a
 * truncated file wait for their copy on its identity), the one in the
 * lowest slot. */
static struct watch *
tail_watch_find(const struct tail *t, uint64_t dev, uint64_t ino)
{
	struct watch *w, *best = NULL;
	void *pos = NULL;
	uint64_t h = hmap_hash_pair(dev, ino);

	while ((w = hmap_next(t->by_id, h, &pos)) != NULL)
		if (w->dev == dev && w->ino == ino &&
		    (best == NULL || w->slot < best->slot))
			best = w;
	return best;
}

/* The entry of the start-up checkpoint on (dev, ino) that is not the
 * old contents of a truncated file, as state_find() on it would give. */
static struct state_file *
tail_loaded_find(const struct tail *t, uint64_t dev, uint64_t ino)
{
	struct state_file *e, *best = NULL;
	void *pos = NULL;
	uint64_t h = hmap_hash_pair(dev, ino);

	if (t->loaded_by_id == NULL)
		return NULL;
	while ((e = hmap_next(t->loaded_by_id, h, &pos)) != NULL)
		if (e->dev == dev && e->ino == ino && e->kind != STATE_COPY &&
		    (best == NULL || e < best))
			best = e;
	return best;
}

/* The entries of the start-up checkpoint for `path', into *sub (which
 * borrows them: free only sub->files): the plan of one path need not
 * look through every file's. */
static void
tail_loaded_sub(const struct tail *t, const char *path, struct state *sub)
{
	struct state_file *e;
	void *pos = NULL;
	uint64_t h = hmap_hash_str(path);
	size_t n = 0;

	*sub = t->loaded;
	sub->files = NULL;
	sub->nfiles = 0;
	if (t->loaded_by_path == NULL)
		return;
	while ((e = hmap_next(t->loaded_by_path, h, &pos)) != NULL)
		n += strcmp(e->path, path) == 0;
	if (n == 0)
		return;
	sub->files = xcalloc(n, sizeof *sub->files);
	pos = NULL;
	while ((e = hmap_next(t->loaded_by_path, h, &pos)) != NULL)
		if (strcmp(e->path, path) == 0)
			sub->files[sub->nfiles++] = *e;
}

/* The index of `in' in the configuration, or -1 if it is an input of an
 * older one. */
static ssize_t
tail_input_index(const struct tail *t, const struct config_input *in)
{
	for (size_t i = 0; i < t->cfg->ninputs; i++)
		if (&t->cfg->inputs[i] == in)
			return (ssize_t)i;
	return -1;
}

/* Stops following `f': it no longer counts against its input's max_files,
 * and is freed on the next reap once none of its files is open. */
static void
tail_follow_drop(struct tail *t, struct follow *f)
{
	ssize_t idx = tail_input_index(t, f->input);

	f->gone = 1;
	if (idx >= 0) {
		t->input_files[idx]--;
		t->input_full[idx] = 0;
	}
	event_active(t->reap_ev, 0, 0);
}

/* Drops a path found by a glob once nothing of it is left to read; frees
 * one dropped (by a reload too) once none of its files is open. */
static void
tail_follow_maybe_drop(struct tail *t, struct follow *f)
{
	if (f->gone && f->nwatches == 0 && f->hold == 0)
		event_active(t->reap_ev, 0, 0);
	if (!f->from_glob || f->gone || f->cur != NULL || f->nwatches > 0 ||
	    f->hold > 0 || access(f->path, F_OK) == 0)
		return;
	log_info("%s is gone and read to its end; no longer following it",
	         f->path);
	tail_follow_drop(t, f);
}

/* Makes `w', a file rotated away from its path, hold the path's current
 * file until it is read to its end.  Files of one path are read in the
 * order they were created (birth time; where the filesystem keeps none,
 * last written): two rotated within one tick of the clock that stamps
 * writes would otherwise tie. */
static void
tail_hold(struct watch *w)
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
tail_behind(const struct tail *t, const struct watch *w)
{
	const struct watch *o;

	if (!w->holding)
		return 0;
	for (uint32_t i = 0; i < t->nslots; i++) {
		o = t->slots[i];
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
tail_wake_held(struct tail *t, struct follow *f)
{
	if (f->hold == 0)
		return; /* nothing holds it */
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct watch *o = t->slots[i];
		if (o != NULL && o->held == f && o->holding && o->dirty &&
		    !o->busy && !tail_behind(t, o)) {
			o->dirty = 0;
			tail_wake(t, o);
		}
	}
}

/* Lets the current file of the path w holds be read once w no longer
 * holds it. */
static void
tail_release(struct tail *t, struct watch *w)
{
	struct follow *f = w->held;

	if (!w->holding)
		return;
	w->holding = 0;
	w->held = NULL;
	if (--f->hold > 0) {
		tail_wake_held(t, f); /* the next older file goes on */
		return;
	}
	tail_unpark(t, f);
	if (f->hold == 0 && f->cur != NULL && f->cur->dirty &&
	    f->cur->parked == NULL) {
		f->cur->dirty = 0;
		tail_wake(t, f->cur);
	}
	tail_follow_maybe_drop(t, f);
}

/* Remembers a file read to its end, so that found again under another
 * name it goes on from there; forgets the oldest past TAIL_MAX_CLOSED. */
static void
tail_remember(struct tail *t, const char *path, uint64_t dev, uint64_t ino,
              uint64_t offset, uint32_t fp_len, uint64_t fp_hash,
              uint64_t seen_at)
{
	struct state *c = &t->closed;
	struct state_file *e;
	size_t k = 0;

	for (size_t i = 0; i < c->nfiles; i++) {
		if ((c->files[i].dev == dev && c->files[i].ino == ino) ||
		    (c->nfiles >= TAIL_MAX_CLOSED && i == 0)) {
			free(c->files[i].path);
			continue;
		}
		c->files[k++] = c->files[i];
	}
	c->nfiles = k;
	e = state_add(c, path, dev, ino, offset, fp_len, fp_hash);
	e->kind = STATE_DONE;
	e->seen_at = seen_at;
}

/* The remembered file on (dev, ino) whose fingerprint the file open on fd
 * still has; taken off the list.  Returns its offset, or -1. */
static int64_t
tail_recall(struct tail *t, int fd, uint64_t dev, uint64_t ino)
{
	struct state_file *e = state_find(&t->closed, dev, ino);
	int64_t offset;

	if (e == NULL)
		return -1;
	offset = watch_fp_matches(fd, e->fp_len, e->fp_hash)
	             ? (int64_t)e->offset
	             : -1;
	tail_forget(t, e);
	return offset;
}

/* Forgets a watch: its slot, registration, timer and file. */
static void
tail_watch_remove(struct tail *t, struct watch *w)
{
	if (w->busy || w->parked != NULL)
		fatalx("internal error: %s closed with a read in flight",
		       w->f->path);
	if (w->queued)
		TAILQ_REMOVE(&t->ready, w, ready_entry);
	tail_release(t, w);
	notify_rm(t->notify, w->file_reg);
	if (w->f->cur == w)
		w->f->cur = NULL;
	t->slots[w->slot] = NULL;
	t->free_slots[t->nfree++] = w->slot;
	tail_id_del(t, w);
	tail_fd_closed(t, w);
	w->f->nwatches--;
	tail_follow_maybe_drop(t, w->f);
	watch_free(w);
	tail_changed(t);
}

/* A path needs the stat poll when inotify cannot tell us about it. */
static int
tail_follow_needs_poll(const struct tail *t, const struct follow *f)
{
	return !t->once && !f->gone &&
	       (f->polled || f->dir_lost ||
	        (f->cur == NULL && f->dir_reg == NULL));
}

/* Arms the poll timer while some path or file needs it, and only then: an
 * idle daemon whose files inotify watches has no timer at all.  Looks once
 * a loop turn, however many files were opened in it. */
static void
tail_poll_update(struct tail *t)
{
	event_active(t->poll_check_ev, 0, 0);
}

/* What tail_poll_update() asked for. */
static void
tail_poll_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail *t = arg;
	int need = 0;

	(void)fd;
	(void)what;

	for (size_t i = 0; i < t->nfollows && !need; i++)
		need = tail_follow_needs_poll(t, t->follows[i]);
	for (uint32_t i = 0; i < t->nslots && !need; i++)
		need = t->slots[i] != NULL && t->slots[i]->polled;
	if (need && !evtimer_pending(t->poll_ev, NULL)) {
		clock_timer(t->poll_ev, t->cfg->poll_interval);
	} else if (!need)
		evtimer_del(t->poll_ev);
}

/* poll_interval: looks again at the paths and files inotify cannot
 * watch. */
static void
tail_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail *t = arg;
	struct follow *f;
	struct watch *w;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < t->nfollows; i++) {
		f = t->follows[i];
		if (f->gone)
			continue;
		if (f->dir_lost) {
			/* Watch whatever directory has the path now. */
			notify_rm(t->notify, f->dir_reg);
			f->dir_reg = NULL;
			f->dir_lost = 0;
			tail_watch_dir(t, f);
			if (f->cur == NULL)
				tail_follow_open(t, f, TAIL_APPEARED);
		} else if (f->cur == NULL && tail_follow_needs_poll(t, f))
			tail_follow_open(t, f, TAIL_APPEARED);
	}
	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w == NULL || !(w->polled || w->f->polled))
			continue;
		w->moved = w->f->cur == w;
		tail_wake(t, w);
	}
	tail_poll_update(t);
}

/* Watches the directory of `f' for its name to appear, be replaced, or its
 * file to be written (the path's current file then needs no watch of its
 * own: see tail_watch_cur()). */
static void
tail_watch_dir(struct tail *t, struct follow *f)
{
	struct stat st;

	if (t->once || f->dir_reg != NULL)
		return;
	/* A glob's files (often many in one directory) are told of by the
	 * directory's watch: none takes a watch of its own.  A path named in
	 * the configuration has one, so that the writes to other files of
	 * its directory (/var/log, say) do not wake the loop. */
	f->dir_writes = f->from_glob;
	f->dir_reg =
	    notify_add_entry(t->notify, f->dir, f->base,
	                     NOTIFY_DIR_MASK | (f->dir_writes ? IN_MODIFY : 0u),
	                     tail_follow_event, t, f);
	if (f->dir_reg != NULL && stat(f->dir, &st) == 0) {
		f->dir_dev = (uint64_t)st.st_dev;
		f->dir_ino = (uint64_t)st.st_ino;
	}
}

/* Starts inotify on the file of `w', opened from `path'.  Out of inotify
 * watches (or instances), it is said once, not for each file. */
static void
tail_watch_notify(struct tail *t, struct watch *w, const char *path)
{
	if (t->once)
		return;
	w->file_reg = notify_add(t->notify, path, NOTIFY_FILE_MASK,
	                         tail_watch_event, t, w);
	if (w->file_reg != NULL)
		return;
	w->polled = 1;
	if (errno == ENOSPC || fds_exhausted(errno)) {
		if (!t->watches_short)
			log_warnx(
			    "cannot watch %s with inotify: %s; it and the "
			    "other files inotify cannot watch are checked "
			    "every poll_interval (raise the sysctl "
			    "fs.inotify.max_user_watches, or "
			    "fs.inotify.max_user_instances, to watch "
			    "them all); said once",
			    path, strerror(errno));
		t->watches_short = 1;
		return;
	}
	log_warn("cannot watch %s with inotify; checking it every "
	         "poll_interval",
	         path);
}

/* Starts inotify on `w', the file at f's path.  For a glob's path the
 * watch of its directory tells of its writes by its name, and it needs no
 * watch of its own (so 10,000 files in one directory take one inotify
 * watch), unless the directory is not watched, the path is a symbolic
 * link (its file's writes name the link's target, elsewhere) or its file
 * has other links (written through another, it is named in another
 * directory). */
static void
tail_watch_cur(struct tail *t, struct follow *f, struct watch *w)
{
	struct stat st;

	tail_watch_dir(t, f);
	if (f->dir_reg != NULL && f->dir_writes && lstat(f->path, &st) == 0 &&
	    !S_ISLNK(st.st_mode) && st.st_nlink == 1)
		return;
	tail_watch_notify(t, w, f->path);
}

/* Starts inotify on `w' by its descriptor, when it has no watch of its
 * own: no longer at its path (rotated, its name unknown or gone), its
 * directory's watch no longer tells of it. */
static void
tail_watch_own(struct tail *t, struct watch *w)
{
	char path[64];

	if (t->once || w->file_reg != NULL || w->polled)
		return;
	if (w->fd == -1) {
		w->polled = 1;
		tail_poll_update(t);
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", w->fd);
	tail_watch_notify(t, w, path);
	if (w->polled)
		tail_poll_update(t);
}

/* True if `w' may be closed for the descriptor budget: the current file
 * of its path, open, and not being read or waited on.  Rotated files, the
 * old contents of truncated ones and gzips keep their descriptors: they
 * cannot be found again by their path. */
static int
tail_shelvable(const struct watch *w)
{
	return w->fd != -1 && w->f->cur == w && !w->busy && w->parked == NULL &&
	       !w->draining && !w->closing && !w->holding && !w->seeking &&
	       w->gz == NULL;
}

/* Closes the file of `w' for the descriptor budget.  Its watch keeps its
 * identity, offsets and inotify watch (which does not need the
 * descriptor): a change wakes it as before, and it is opened again, by its
 * path, before it is read. */
static void
tail_shelve(struct tail *t, struct watch *w)
{
	if (!t->shelving)
		log_info("following more files than the descriptor budget "
		         "holds (%zu open): the files written least recently "
		         "are closed, and opened again when they change",
		         t->budget);
	t->shelving = 1;
	tail_fd_closed(t, w);
	if (close(w->fd) == -1)
		log_warn("closing %s", w->f->path);
	w->fd = -1;
	w->shelved = 1;
}

/* Makes room for one more open file under the budget, closing the files
 * read least recently that may be. */
static void
tail_make_room(struct tail *t)
{
	struct watch *w, *next;

	for (w = TAILQ_FIRST(&t->lru); w != NULL && t->nopen >= t->budget;
	     w = next) {
		next = TAILQ_NEXT(w, lru_entry);
		if (tail_shelvable(w))
			tail_shelve(t, w);
	}
}

/* Gives the shelved `w' its file again, open on fd. */
static void
tail_unshelve_fd(struct tail *t, struct watch *w, int fd)
{
	w->fd = fd;
	w->shelved = 0;
	if (fds_exhausted(w->reported)) {
		w->reported = 0;
		w->polled = !t->once && w->file_reg == NULL;
	}
	tail_fd_opened(t, w);
}

/* The shelved `w' is no longer at its path: looks for its file among the
 * path's rotated files, as at a rotation tailmux did not see (see
 * resume.h).  Returns 1 with the file open again (read to its end, then
 * the path is looked at); 0 when it is gone: w is forgotten and the
 * path's file now, if any, is opened as a new one. */
static int
tail_shelf_find(struct tail *t, struct watch *w)
{
	struct state known = {0}, none = {0};
	struct follow *f = w->f;
	struct resume_plan plan;
	struct resume_read *r;
	struct state_file *e;
	int found = 0;

	e = state_add(&known, f->path, w->dev, w->ino, w->offset, w->fp_len,
	              w->fp_hash);
	e->kind = STATE_OPEN;
	e->seen_at = w->seen_at;
	resume_plan(f, &known, &none, -1, NULL, RESUME_RUNTIME, &plan);
	state_clear(&known);
	for (size_t i = 0; i < plan.nreads && !found; i++) {
		r = &plan.reads[i];
		if ((uint64_t)r->st.st_dev != w->dev ||
		    (uint64_t)r->st.st_ino != w->ino || r->gz)
			continue;
		log_info("%s was rotated while its file was closed for the "
		         "descriptor budget; reading the rest of %s from "
		         "offset %" PRIu64 " first",
		         f->path, r->where, w->offset);
		tail_unshelve_fd(t, w, r->fd);
		r->fd = -1;
		w->moved = 1; /* the path's new file once read to its end */
		found = 1;
	}
	resume_plan_clear(&plan);
	if (found)
		return 1;
	log_info("%s: the file it held (inode %" PRIu64 "), closed for the "
	         "descriptor budget, is no longer there nor among its "
	         "rotated files with lines to read; lines written to it past "
	         "offset %" PRIu64 " since, if any, are lost",
	         f->path, w->ino, w->offset);
	/* Remembered as read that far: found again later (renamed back, or
	 * to a name the lineage rules know), it goes on from there. */
	tail_remember(t, f->path, w->dev, w->ino, w->offset, w->fp_len,
	              w->fp_hash, w->seen_at);
	w->shelved = 0;
	if (t->once && !w->done)
		t->once_left--;
	tail_watch_remove(t, w);
	f->reported = 0;
	if (!t->once)
		tail_follow_open(t, f, TAIL_APPEARED);
	return 0;
}

/* Opens the file of the shelved `w' again, by its path, if it is still
 * there (what it holds is checked by the read: a file truncated meanwhile
 * is one truncated under our eyes); else as tail_shelf_find() says.
 * Returns 1 when w has its file, 0 when w is gone, -1 when no descriptor
 * is to be had now (w stays shelved; the poll tries again). */
static int
tail_unshelve(struct tail *t, struct watch *w)
{
	struct stat st;
	int fd;

	tail_make_room(t);
	switch (watch_open(w->f->path, &fd, &st)) {
	case WATCH_OPENED:
		if ((uint64_t)st.st_dev == w->dev &&
		    (uint64_t)st.st_ino == w->ino) {
			tail_unshelve_fd(t, w, fd);
			return 1;
		}
		close(fd); /* another file: rotated */
		break;
	case WATCH_FAILED:
		if (fds_exhausted(errno)) {
			fds_report(errno, "opening a file again");
			w->reported = errno;
			w->polled = 1;
			tail_poll_update(t);
			return -1;
		}
		break;
	case WATCH_MISSING:
		break;
	}
	return tail_shelf_find(t, w);
}

/* Reads an older file of f's path (rotated away, or the copy of a
 * truncated file) from `offset' to its end before f's current file, and
 * for rotate_wait more, as a file the loop saw rotated (a writer may not
 * have reopened yet; a copy may still be being written); its contents were
 * first seen at `seen_at' (0: now).  Returns its watch. */
static struct watch *
tail_read_first(struct tail *t, struct follow *f, int fd, const struct stat *st,
                uint64_t offset, uint32_t fp_len, uint64_t fp_hash,
                uint64_t seen_at)
{
	struct watch *w = watch_create(f, fd, st, offset);

	tail_slot_add(t, w);
	w->fp_len = fp_len;
	w->fp_hash = fp_hash;
	if (seen_at != 0)
		w->seen_at = seen_at;
	w->draining = 1;
	w->drain_at = clock_ms() + f->input->rotate_wait;
	tail_drain_update(t);
	tail_hold(w);
	if (t->once)
		t->once_left++;
	w->dirty = 1; /* read, oldest first, by tail_wake_held() */
	return w;
}

/* The generations of f's path open now but its current file (just found
 * at the path: what was born after it is no older generation), as the
 * checkpoint would name them, into *st: each with the fingerprint of what
 * its file holds now (that of a file shorter than its offset, truncated,
 * stays the one of the contents read), and its offset where reading got
 * to. */
static void
tail_render_open(const struct tail *t, const struct follow *f, struct state *st)
{
	struct state_file *e;
	struct watch *w;
	struct stat sb;

	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w == NULL || w->f != f || w == f->cur)
			continue;
		e = state_add(st, f->path, w->dev, w->ino, w->offset, w->fp_len,
		              w->fp_hash);
		e->kind = w->fd == -1 ? STATE_COPY : STATE_OPEN;
		e->seen_at = w->seen_at;
		if (w->fd != -1 && w->gz == NULL && fstat(w->fd, &sb) == 0 &&
		    (uint64_t)sb.st_size >= w->offset)
			watch_fingerprint(w->fd, &e->fp_len, &e->fp_hash);
	}
}

/* Reads, oldest first and before the current file (open on `cur_fd', -1:
 * none), the files resume_plan() finds f's path held and tailmux did not
 * read: at start-up, while tailmux was down; at run time, when the path
 * moved on, those created and rotated away before the loop looked (the
 * files it knows are read already).  Returns when the newest of them
 * began (ns), or 0: the current file's contents are no older. */
static uint64_t
tail_resume_lineage(struct tail *t, struct follow *f, int cur_fd,
                    const struct stat *cur, enum resume_when when,
                    struct resume_cur *seen)
{
	struct state open = {0};
	struct resume_plan plan;
	struct resume_read *r;
	struct watch *w;
	uint64_t newest = 0;

	tail_make_room(t);
	if (when == RESUME_RUNTIME) {
		tail_render_open(t, f, &open);
		resume_plan(f, &open, &t->closed, cur_fd, cur, when, &plan);
		state_clear(&open);
	} else {
		tail_loaded_sub(t, f->path, &open);
		resume_plan(f, &open, &t->closed, cur_fd, cur, when, &plan);
		free(open.files);
	}
	for (size_t i = 0; i < plan.nreads; i++) {
		r = &plan.reads[i];
		if (tail_watch_find(t, (uint64_t)r->st.st_dev,
		                    (uint64_t)r->st.st_ino) != NULL)
			continue; /* followed under its own name (a glob) */
		if (r->known && when == RESUME_RUNTIME)
			continue; /* open, or its copy looked for */
		if (r->wait) {
			/* Read on only once complete: not done yet. */
			log_warnx("%s: %s is not complete (a gzip being "
			          "written); it and the files after it are not "
			          "read",
			          f->path, r->where);
			break;
		}
		if (r->known)
			log_info(
			    "%s was rotated while tailmux was down; reading "
			    "the rest of %s from offset %" PRIu64 " first",
			    f->path, r->where, r->offset);
		else if (when == RESUME_STARTUP)
			log_info(
			    "%s: %s held the path after the last checkpoint "
			    "and was rotated away before tailmux saw it; "
			    "reading it whole first",
			    f->path, r->where);
		else
			log_info("%s held %s only briefly, rotated away "
			         "(or copied and truncated) before it was "
			         "seen there; reading it whole first",
			         f->path, r->where);
		w = tail_read_first(t, f, r->fd, &r->st, r->offset, r->fp_len,
		                    r->fp_hash, r->began);
		r->fd = -1; /* the watch's now */
		/* Oldest first, as the plan says; at run time among the
		 * rotated files already held, by birth. */
		w->age = when == RESUME_STARTUP ? i + 1 : r->began;
		if (r->gz) {
			w->gz = gunzip_create();
			w->closing = 1; /* a gzip gets no late lines */
		}
		newest = r->began;
	}
	t->lost += plan.nlost;
	/* Found with nothing left (a copy holds no more than was read): read
	 * to their end, and remembered so, that no later plan takes them for
	 * files never seen. */
	for (size_t i = 0; i < plan.ndone; i++)
		tail_remember(t, f->path, plan.done[i].dev, plan.done[i].ino,
		              plan.done[i].offset, plan.done[i].fp_len,
		              plan.done[i].fp_hash, plan.done[i].seen_at);
	if (seen != NULL)
		*seen = plan.cur;
	resume_plan_clear(&plan);
	return newest;
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
tail_copy_query(struct watch_find *q, uint64_t ino, uint64_t offset,
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
	/* Any size: lines written between copytruncate's copy and its
	 * truncation were read at the path and are in no copy, so the copy
	 * may hold fewer bytes than were read (lineage_plan() takes it so). */
	q->min_size = 0;
	return 1;
}

/* Where to start reading a file found at f's path; at start-up, as the
 * lineage plan saw it (`seen'), when it listed it. */
static uint64_t
tail_start_offset(struct tail *t, struct follow *f, int fd,
                  const struct stat *st, enum tail_open how, struct watch *w,
                  const struct resume_cur *seen)
{
	struct state_file *e;
	int64_t known;

	if (how != TAIL_STARTUP) {
		/* Appeared or replaced while we watched: all new, unless it is
		 * a file we read to its end under another name (or, added by a
		 * reload, under this one while an earlier configuration had
		 * it).  Added by a reload: as at start-up. */
		known = tail_recall(t, fd, (uint64_t)st->st_dev,
		                    (uint64_t)st->st_ino);
		if (known >= 0 && (uint64_t)known <= (uint64_t)st->st_size) {
			log_info("%s is a file already read%s; going on from "
			         "offset %" PRId64,
			         f->path,
			         how == TAIL_ADDED ? "" : " under another name",
			         known);
			return (uint64_t)known;
		}
		if (how == TAIL_APPEARED || known >= 0)
			return 0;
		return f->input->start == START_END ? (uint64_t)st->st_size : 0;
	}
	e = tail_loaded_find(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	if (e != NULL &&
	    (seen->listed ? seen->known
	                  : watch_fp_matches(fd, e->fp_len, e->fp_hash)) &&
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
		/* Begun since that checkpoint, not at the inode's birth. */
		w->seen_at = watch_now();
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
tail_follow_adopt(struct tail *t, struct follow *f, int fd,
                  const struct stat *st)
{
	struct watch *w =
	    tail_watch_find(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	struct follow *old;

	if (w == NULL || w->f == f)
		return 0;
	if (w->shelved)
		tail_unshelve_fd(t, w, fd); /* found again, by its new name */
	else
		close(fd);
	if (!w->draining && watch_replaced(w, w->f->path) == 1)
		tail_check_path(t, w); /* its rename is seen here first */
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
		tail_watch_notify(t, w, f->path);
	if (watch_replaced(w, f->path) != 0)
		w->moved = 1; /* renamed again meanwhile: looked at once read */
	w->f = f;
	f->nwatches++;
	f->cur = w;
	f->seen = 1;
	f->reported = 0;
	w->draining = w->closing = 0;
	tail_watch_dir(t, f);
	tail_follow_maybe_drop(t, old);
	tail_drain_update(t);
	tail_changed(t);
	tail_wake(t, w);
	return 1;
}

void
tail_follow_open(struct tail *t, struct follow *f, enum tail_open how)
{
	struct resume_cur seen = {0};
	struct stat st;
	struct watch *w;
	uint64_t after = 0;
	int fd;

	tail_make_room(t);
	switch (watch_open(f->path, &fd, &st)) {
	case WATCH_OPENED:
		if (tail_follow_adopt(t, f, fd, &st))
			break;
		if (how == TAIL_STARTUP)
			after = tail_resume_lineage(t, f, fd, &st,
			                            RESUME_STARTUP, &seen);
		else if (how == TAIL_APPEARED && f->reported == ENOENT)
			log_info("%s appeared; reading it from its start",
			         f->path);
		f->reported = 0;
		f->polled = 0;
		w = watch_create(f, fd, &st, 0);
		w->offset = w->committed =
		    tail_start_offset(t, f, fd, &st, how, w, &seen);
		/* Read from its start: its first bytes are what the plan saw,
		 * so that a truncation since is told at its first read. */
		if (w->offset == 0 && seen.listed) {
			w->fp_len = seen.fp_len;
			w->fp_hash = seen.fp_hash;
		}
		/* Its contents came after the generations read before it (a
		 * copytruncate keeps the inode the checkpoint knew): strictly
		 * after, so that the next plan does not find them tied. */
		if (after != 0 && w->seen_at <= after)
			w->seen_at = after + 1;
		/* Known from the first checkpoint on, so that a file truncated
		 * (or replaced on its inode) before its first read is told
		 * from the one checkpointed. */
		if (w->fp_len == 0)
			watch_fingerprint(fd, &w->fp_len, &w->fp_hash);
		tail_slot_add(t, w);
		f->cur = w;
		f->seen = 1;
		tail_watch_cur(t, f, w);
		/* Rotated between the open and the watches (which follow the
		 * path's name, not the file): no event will say so.  Its read
		 * looks at the path again once at its end. */
		if (watch_replaced(w, f->path) != 0)
			w->moved = 1;
		/* The path moved on: files that held it in between, created
		 * and rotated away before the loop looked, are read first. */
		if (how == TAIL_APPEARED) {
			tail_resume_lineage(t, f, fd, &st, RESUME_RUNTIME,
			                    &seen);
			if (w->offset == 0 && seen.listed) {
				w->fp_len = seen.fp_len;
				w->fp_hash = seen.fp_hash;
			}
		}
		tail_changed(t);
		tail_wake(t, w);
		break;
	case WATCH_MISSING:
		if (how == TAIL_STARTUP)
			tail_resume_lineage(t, f, -1, NULL, RESUME_STARTUP,
			                    NULL);
		if (t->once) {
			log_warnx("%s does not exist; nothing to read from it",
			          f->path);
			t->once_left--;
			break;
		}
		if (f->from_glob) {
			tail_follow_maybe_drop(t, f);
			break;
		}
		if (how != TAIL_APPEARED || f->reported != ENOENT)
			log_warnx("%s does not exist yet; waiting for it",
			          f->path);
		f->reported = ENOENT;
		tail_watch_dir(t, f);
		break;
	case WATCH_FAILED:
		if (fds_exhausted(errno)) {
			/* Tried again at poll_interval; said once. */
			fds_report(errno, "opening input files");
			f->reported = errno;
			f->polled = 1;
			if (t->once)
				t->once_left--;
			break;
		}
		if (t->once) {
			log_warn("cannot read %s", f->path);
			t->once_left--;
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
	tail_wake_held(t, f);
	tail_poll_update(t);
}

/* Arms the drain timer for the earliest rotate_wait still running. */
static void
tail_drain_update(struct tail *t)
{
	uint64_t next = UINT64_MAX, now;
	struct watch *w;

	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w != NULL && w->draining && !w->closing &&
		    w->drain_at < next)
			next = w->drain_at;
	}
	evtimer_del(t->drain_ev);
	if (next == UINT64_MAX)
		return;
	now = clock_ms();
	next = next > now ? next - now : 0;
	clock_timer(t->drain_ev, next);
}

/* rotate_wait is over for some rotated files: read them one last time to
 * their end, then close them once what they gave is written. */
static void
tail_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail *t = arg;
	uint64_t now = clock_ms();
	struct watch *w;

	(void)fd;
	(void)what;
	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w == NULL || !w->draining || w->closing ||
		    w->drain_at > now)
			continue;
		w->closing = 1;
		w->dirty = 1; /* one more read, even if inotify was quiet */
		if (!w->busy) {
			w->dirty = 0;
			tail_wake(t, w);
		}
	}
	tail_drain_update(t);
}

/* Closes a rotated file once rotate_wait is over, it was read to its end
 * and every line it gave is written. */
static void
tail_maybe_close(struct tail *t, struct watch *w)
{
	if (!w->closing || w->seeking || w->busy || w->queued || w->dirty ||
	    w->parked != NULL || w->committed != w->offset)
		return;
	log_debug("%s: closing the rotated file (inode %" PRIu64
	          ") after %" PRIu64 " bytes",
	          w->f->path, w->ino, w->offset);
	if (w->fd != -1)
		tail_remember(t, w->f->path, w->dev, w->ino, w->offset,
		              w->fp_len, w->fp_hash, w->seen_at);
	tail_watch_remove(t, w);
	t->cbs.settled(t->cbs.arg);
}

/* Notices a directory replaced under its path (removed and made again, or
 * renamed and replaced): its watch, on the old one, would see nothing. */
static void
tail_check_dir(struct tail *t, struct follow *f)
{
	struct stat st;

	if (f->dir_reg == NULL)
		return;
	if (stat(f->dir, &st) == -1 || (uint64_t)st.st_dev != f->dir_dev ||
	    (uint64_t)st.st_ino != f->dir_ino) {
		f->dir_lost = 1;
		tail_poll_update(t);
	}
}

/* `w' is no longer at its path: it is read to its end before the path's
 * current file, and kept open for late lines during rotate_wait. */
static void
tail_drain_begin(struct tail *t, struct watch *w)
{
	w->draining = 1;
	w->drain_at = clock_ms() + w->f->input->rotate_wait;
	tail_hold(w);
	tail_drain_update(t);
	tail_wake(t, w);
}

/* The path of `w' (its current file) may name another file now: if so, w
 * becomes a rotated file read for late lines during rotate_wait, and the
 * new file (if any) becomes current. */
static void
tail_check_path(struct tail *t, struct watch *w)
{
	struct follow *f = w->f;
	int r;

	/* A file closed for the budget is found again first (it may have
	 * been rotated, with lines to read). */
	if (w->shelved && tail_unshelve(t, w) != 1)
		return;
	w->moved = 0;
	r = watch_replaced(w, f->path);
	if (r == 0)
		return;
	if (r == -1) {
		log_warn("cannot stat %s", f->path);
		return;
	}
	f->cur = NULL;
	/* Watched by its descriptor from now on: for late lines, which its
	 * drain read below (after the watch is set) or the watch catch. */
	tail_watch_own(t, w);
	/* What is left in the old file was written before anything in the
	 * new one: read it to its end first. */
	tail_drain_begin(t, w);
	if (access(f->path, F_OK) == 0) {
		log_info("%s was rotated; following the new file, and the old "
		         "one for %" PRIu64 " ms more",
		         f->path, f->input->rotate_wait);
		f->reported = 0;
	} else {
		log_info("%s was removed or renamed; waiting for a new file",
		         f->path);
		f->reported = ENOENT; /* said just now */
		tail_check_dir(t, f);
	}
	tail_follow_open(t, f, TAIL_APPEARED);
	tail_changed(t);
}

/* Worker thread: reads the file from the job's offset and cuts it into
 * rendered lines. */
static void
tail_job_run(struct pool_job *job)
{
	struct tail_job *j = (struct tail_job *)job;

	reader_run(&j->req, &j->res);
}

/* Frees a read job and what it holds. */
static void
tail_job_free(struct tail_job *j)
{
	buf_free(&j->res.out);
	free(j->tag);
	free(j->path);
	free(j);
}

/* Reads `j' on the loop thread if that cannot wait for the disk (a few
 * lines a live file just got, in the page cache); returns 1 if done, and
 * 0 if a worker must read it. */
static int
tail_read_now(struct tail *t, struct watch *w, struct tail_job *j)
{
	/* Not a backlog: its reads on the loop thread would fill the
	 * buffer and then be done again by a worker. */
	if (t->once || w->gz != NULL || w->no_nowait || w->behind)
		return 0;
	j->req.nowait = TAIL_NOWAIT_MAX;
	j->req.scratch = t->scratch;
	reader_run(&j->req, &j->res);
	j->req.nowait = 0;
	if (!reader_would_wait(j->res.err))
		return 1;
	if (j->res.err == EOPNOTSUPP)
		w->no_nowait = 1; /* the file system cannot say: workers */
	buf_free(&j->res.out);
	return 0;
}

/* Fills free job slots from the ready queue while the output keeps up.  A
 * read that cannot wait for the disk is done at once, on the loop thread:
 * it saves two thread hand-offs on the way of a live line.  On a loop turn
 * of its own (tail_dispatch()), so that what a read finds is never acted
 * on inside whatever asked for the read. */
static void
tail_dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail *t = arg;
	struct tail_job *j;
	struct watch *w;
	unsigned n = 0;

	(void)fd;
	(void)what;
	while (!t->stopping && !t->paused && t->inflight < t->max_inflight &&
	       n++ < TAIL_DISPATCH_TURN &&
	       output_pending(t->out) < (size_t)t->cfg->max_pending &&
	       (w = TAILQ_FIRST(&t->ready)) != NULL) {
		TAILQ_REMOVE(&t->ready, w, ready_entry);
		w->queued = 0;
		if (w->shelved && tail_unshelve(t, w) != 1)
			continue; /* gone, or no descriptor now */
		tail_fd_touch(t, w);
		j = xcalloc(1, sizeof *j);
		j->job.run = tail_job_run;
		j->job.done = tail_job_done;
		j->t = t;
		j->slot = w->slot;
		j->gen = w->gen;
		j->tag = xstrdup(w->f->input->tag);
		j->path = xstrdup(w->f->path);
		j->req.fd = w->fd; /* not closed while the job is out */
		j->req.offset = w->offset;
		/* Lines of one read go to one file: with rotate_size, a
		 * read takes no more than fits in an empty one. */
		j->req.chunk = READER_CHUNK;
		if (t->cfg->rotate_size != 0 &&
		    t->cfg->rotate_size < READER_CHUNK)
			j->req.chunk = (size_t)t->cfg->rotate_size;
		j->req.max_line = (size_t)t->cfg->max_line;
		/* A rotated file read for the last time (rotate_wait is over)
		 * gives its last line even without a newline: none will
		 * come. */
		j->req.final = t->once || w->closing;
		j->req.format = t->cfg->format;
		j->req.tag = j->tag;
		j->req.path = j->path;
		j->req.fp_len = w->fp_len;
		j->req.fp_hash = w->fp_hash;
		j->req.quick = w->quick;
		j->req.gz = w->gz;
		w->busy = 1;
		w->dirty = 0;
		t->inflight++;
		if (tail_read_now(t, w, j))
			tail_job_finish(t, j);
		else
			pool_submit(t->pool, &j->job);
	}
	if (n > TAIL_DISPATCH_TURN)
		tail_dispatch(t); /* the rest on the next turn */
}

void
tail_dispatch(struct tail *t)
{
	if (!TAILQ_EMPTY(&t->ready) && !t->stopping && !t->paused)
		event_active(t->dispatch_ev, 0, 0);
}

/* Asks for a read of `w' (or another one, if one is in flight). */
static void
tail_wake(struct tail *t, struct watch *w)
{
	if (t->stopping || w->done || (w->fd == -1 && !w->shelved))
		return;
	if (w->busy || w->parked != NULL ||
	    (w->f->cur == w && w->f->hold > 0) || tail_behind(t, w)) {
		w->dirty = 1;
		return;
	}
	if (!w->queued) {
		TAILQ_INSERT_TAIL(&t->ready, w, ready_entry);
		w->queued = 1;
	}
	tail_dispatch(t);
}

/* Worker thread: looks for the copy of truncated contents in the
 * directory. */
static void
tail_find_run(struct pool_job *job)
{
	struct tail_find_job *j = (struct tail_find_job *)job;

	j->fd = watch_find(j->dir, &j->q, &j->st, &j->name);
}

/* The search for a truncated file's copy came back. */
static void
tail_find_done(struct pool_job *job)
{
	struct tail_find_job *j = (struct tail_find_job *)job;
	struct tail *t = j->t;
	struct watch *old = tail_lookup(t, j->slot, j->gen);

	t->inflight--;
	if (old != NULL)
		old->seeking = 0;
	if (old == NULL || t->freeing) { /* gone, or the loop is */
		if (j->fd != -1)
			close(j->fd);
	} else if (j->fd != -1 && (uint64_t)j->st.st_size <= old->offset) {
		/* Nothing past what was read: known from now on as read to
		 * its end, so that no plan takes it for contents never seen. */
		log_info("%s: its copy %s holds nothing past offset %" PRIu64
		         " (the lines written between the copy and the "
		         "truncation were read here)",
		         old->f->path, j->name, old->offset);
		tail_remember(t, old->f->path, (uint64_t)j->st.st_dev,
		              (uint64_t)j->st.st_ino, (uint64_t)j->st.st_size,
		              old->fp_len, old->fp_hash, old->seen_at);
		close(j->fd);
		tail_release(t, old);
		event_active(t->reap_ev, 0, 0);
	} else if (j->fd != -1) {
		log_info("%s: reading the lines it held past offset %" PRIu64
		         " from its copy %s",
		         old->f->path, old->offset, j->name);
		tail_id_del(t, old);
		old->fd = j->fd;
		old->dev = (uint64_t)j->st.st_dev;
		old->ino = (uint64_t)j->st.st_ino;
		tail_id_put(t, old);
		tail_fd_opened(t, old);
		if (t->once)
			t->once_left++; /* one more file to read to its end */
		tail_changed(t);
		tail_wake(t, old); /* to its end; then it lets go */
	} else {
		log_info("%s: no copy of it found in %s; lines written just "
		         "before the truncation, if any, were not read",
		         old->f->path, j->dir);
		tail_release(t, old);
		event_active(t->reap_ev, 0, 0);
	}
	free(j->name);
	free(j->dir);
	free(j);
	if (t->freeing)
		return;
	tail_dispatch(t);
	t->cbs.done(t->cbs.arg);
}

/* The file of `w' was truncated (copytruncate, or by hand): start over at
 * its start, after reading what its copy holds past our offset.  When no
 * line of it was read yet (it waited behind older files) and its
 * fingerprint is short, only a copy created after its contents were first
 * seen will do (the first such): an older file, even one renamed or
 * written since, could start with the same bytes. */
static void
tail_truncated(struct tail *t, struct watch *w)
{
	struct tail_find_job *j;
	struct watch_find q;
	struct resume_cur seen = {0};
	struct watch *old;
	struct stat st;
	int copied = 0;

	log_info("%s was truncated; reading it from its start", w->f->path);
	if (w == w->f->cur && tail_copy_query(&q, w->ino, w->offset, w->fp_len,
	                                      w->fp_hash, w->seen_at)) {
		/* The old contents keep w's slot and generation, so that the
		 * lines of them still waiting for the output commit to them;
		 * until their copy is found they have no file, and the
		 * checkpoint names them as a "copy" to look for. */
		old = xcalloc(1, sizeof *old);
		*old = *w;
		old->fd = -1;
		old->in_lru = 0;
		old->file_reg = NULL;
		old->moved = old->dirty = old->queued = 0;
		old->draining = old->closing = old->holding = 1;
		old->seeking = 1;
		old->held = old->f;
		old->age = old->seen_at; /* before contents that came after */
		old->f->hold++;
		old->f->nwatches++;
		t->slots[old->slot] = old;
		tail_id_del(t, w);
		tail_fd_closed(t, w);
		tail_id_put(t, old);
		w->f->nwatches--; /* tail_slot_add counts w again */
		tail_slot_add(t, w);

		j = xcalloc(1, sizeof *j);
		j->job.run = tail_find_run;
		j->job.done = tail_find_done;
		j->t = t;
		j->slot = old->slot;
		j->gen = old->gen;
		j->dir = xstrdup(w->f->dir);
		j->q = q;
		j->fd = -1;
		t->inflight++;
		pool_submit(t->pool, &j->job);
		copied = 1;
	} else
		w->gen = ++t->next_gen; /* old lines commit nothing */
	w->offset = w->committed = 0;
	w->fp_len = 0;
	w->seen_at = watch_now();
	/* More than one copytruncate may have come and gone before the loop
	 * looked: contents that held the path only in between are in their
	 * copies alone, read whole after the old contents' rest and before
	 * what the path holds now. */
	if (copied && fstat(w->fd, &st) == 0) {
		tail_resume_lineage(t, w->f, w->fd, &st, RESUME_RUNTIME, &seen);
		/* Its first bytes as the plan saw them: a truncation since
		 * (one more copytruncate) is told at its next read. */
		if (seen.listed) {
			w->fp_len = seen.fp_len;
			w->fp_hash = seen.fp_hash;
		}
	}
	tail_changed(t);
}

/* True if a file rotated away from f's path holds lines not read yet, or
 * truncated contents of it still wait for their copy to be found; the
 * files are woken, and hold f's current file until read. */
static int
tail_old_has_more(struct tail *t, struct follow *f)
{
	struct watch *o;
	struct stat st;
	int more = 0;

	for (uint32_t i = 0; i < t->nslots && f->nwatches > 1; i++) {
		o = t->slots[i];
		if (o != NULL && o->f == f && o->seeking) {
			more = 1; /* read once its copy is found */
			continue;
		}
		if (o != NULL && o->f == f && o->gz != NULL) {
			more |= o->holding; /* a gzip gets no late lines */
			continue;
		}
		if (o == NULL || o->f != f || o == f->cur ||
		    fstat(o->fd, &st) == -1 ||
		    (uint64_t)st.st_size <= o->offset)
			continue;
		if ((uint64_t)st.st_size == o->eof_size && !o->closing) {
			/* Its rest is a line without its newline, read as
			 * it is once rotate_wait is over: it holds the path
			 * till then, with no read to make meanwhile. */
			tail_hold(o);
			more = 1;
			continue;
		}
		tail_hold(o);
		tail_wake(t, o);
		more = 1;
	}
	return more;
}

/* `w' has nothing more to read for now: it lets its path's current file
 * go on; with --once it is done; the current file of a path that may name
 * another file now is checked; a rotated file is closed once what it gave
 * is written. */
static void
tail_at_end(struct tail *t, struct watch *w)
{
	tail_release(t, w);
	if (t->once) {
		w->done = 1;
		t->once_left--;
	} else if (w->moved && w->f->cur == w)
		tail_check_path(t, w);
	else
		tail_maybe_close(t, w);
}

/* Hands a read's lines to the output and decides what next.  A read of a
 * path's current file that finds older, rotated files of the path with
 * lines still unread is parked until those are read: they were written
 * first. */
static void
tail_job_apply(struct tail *t, struct watch *w, struct tail_job *j)
{
	struct reader_result *res = &j->res;
	struct output_mark mark;
	int eof;

	if (w->gz == NULL &&
	    (res->fp_changed || (uint64_t)res->st.st_size < j->req.offset)) {
		/* What was read may be new contents at an old offset. */
		tail_truncated(t, w);
		w->dirty = 1;
	} else if (w == w->f->cur && tail_old_has_more(t, w->f)) {
		w->parked = j;
		return;
	} else {
		t->newline_added += res->stats.newline_added;
		if (res->stats.splits > 0) {
			t->splits += res->stats.splits;
			log_warnx(
			    "%s: split lines longer than max_line (%" PRIu64
			    " bytes): %" PRIu64 " cuts",
			    w->f->path, t->cfg->max_line, res->stats.splits);
		}
		mark.slot = w->slot;
		mark.gen = w->gen;
		mark.offset = res->next_offset;
		w->offset = res->next_offset;
		if (res->fp_len > w->fp_len) {
			w->fp_len = res->fp_len;
			w->fp_hash = res->fp_hash;
		}
		w->quick = res->quick;
		output_append(t->out, &res->out, &mark);
	}
	eof = res->eof;
	w->behind = !eof;
	/* What follows its offset up to this size is a line not whole yet. */
	w->eof_size = eof && w->gz == NULL ? (uint64_t)res->st.st_size : 0;
	if (res->partial) {
		/* A gzip that ends inside its stream, and that no other file
		 * stands in for (lineage_plan() leaves out one being written
		 * beside its plain file): cut short, so read as far as it
		 * goes. */
		log_warnx("%s: the gzip of inode %" PRIu64 " ends inside its "
		          "stream; its lines past offset %" PRIu64
		          " (decompressed), if any, cannot be read",
		          w->f->path, w->ino, w->offset);
		eof = 1;
	}
	tail_job_free(j);
	if (!eof || w->dirty) {
		w->dirty = 0;
		tail_wake(t, w);
	} else
		tail_at_end(t, w);
}

/* Applies the reads parked on f's files, once nothing holds them. */
static void
tail_unpark(struct tail *t, struct follow *f)
{
	struct tail_job *j;
	struct watch *w;

	for (uint32_t i = 0; i < t->nslots && f->hold == 0; i++) {
		w = t->slots[i];
		if (w == NULL || w->f != f || w->parked == NULL)
			continue;
		j = w->parked;
		w->parked = NULL;
		tail_job_apply(t, w, j);
	}
}

/* A read came back from the pool. */
static void
tail_job_done(struct pool_job *job)
{
	struct tail_job *j = (struct tail_job *)job;
	struct tail *t = j->t;

	tail_job_finish(t, j);
	tail_dispatch(t);
	t->cbs.done(t->cbs.arg);
}

/* Applies a read done, by a worker or on the loop thread. */
static void
tail_job_finish(struct tail *t, struct tail_job *j)
{
	struct watch *w;

	t->inflight--;
	w = tail_lookup(t, j->slot, j->gen);
	if (w == NULL || t->freeing) {
		tail_job_free(j); /* its watch went while it ran */
	} else if (j->res.err != 0 && w->gz != NULL) {
		/* Damage in a gzip stays: what it held past it is lost. */
		w->busy = 0;
		log_warnx("%s: the gzip of inode %" PRIu64 " cannot be read "
		          "past offset %" PRIu64 " (decompressed): %s",
		          w->f->path, w->ino, w->offset, gunzip_error(w->gz));
		tail_job_free(j);
		w->dirty = 0;
		tail_at_end(t, w);
	} else if (j->res.err != 0) {
		w->busy = 0;
		if (w->reported != j->res.err)
			log_warnx("cannot read %s: %s", w->f->path,
			          strerror(j->res.err));
		w->reported = j->res.err;
		w->polled = 1;
		tail_job_free(j);
		tail_poll_update(t);
	} else {
		w->busy = 0;
		w->reported = 0;
		tail_job_apply(t, w, j);
	}
}

void
tail_committed(struct tail *t, const struct output_mark *mark)
{
	struct watch *w = tail_lookup(t, mark->slot, mark->gen);

	if (w != NULL) {
		w->committed = mark->offset;
		if (w->closing)
			event_active(t->reap_ev, 0, 0); /* not from in here */
	}
}

/* Closes the rotated files that are done, on a loop turn of their own. */
static void
tail_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail *t = arg;

	(void)fd;
	(void)what;
	size_t k = 0;

	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i] != NULL)
			tail_maybe_close(t, t->slots[i]);
	for (size_t i = 0; i < t->nfollows; i++) {
		struct follow *f = t->follows[i];
		if (!f->gone || f->nwatches > 0 || f->hold > 0) {
			t->follows[k++] = f;
			continue;
		}
		notify_rm(t->notify, f->dir_reg);
		hmap_del(t->by_path, hmap_hash_str(f->path), f);
		follow_free(f);
	}
	t->nfollows = k;
	t->cbs.done(t->cbs.arg);
}

void
tail_render(const struct tail *t, struct state *st)
{
	struct state_file *e;
	struct watch *w;
	struct follow *f;

	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w == NULL)
			continue;
		e = state_add(st, w->f->path, w->dev, w->ino, w->committed,
		              w->fp_len, w->fp_hash);
		e->kind = w->fd == -1 && !w->shelved ? STATE_COPY : STATE_OPEN;
		e->seen_at = w->seen_at;
	}
	for (size_t i = 0; i < t->closed.nfiles; i++) {
		const struct state_file *c = &t->closed.files[i];
		e = state_add(st, c->path, c->dev, c->ino, c->offset, c->fp_len,
		              c->fp_hash);
		e->kind = STATE_DONE;
		e->seen_at = c->seen_at;
	}
	/* A path with no file now is still known: whatever appears there is
	 * read from its start. */
	for (size_t i = 0; i < t->nfollows; i++) {
		f = t->follows[i];
		if (f->cur == NULL && f->seen)
			state_add(st, f->path, 0, 0, 0, 0, 0);
	}
}

int
tail_is_own(const struct tail *t, const char *path)
{
	return strcmp(path, output_path(t->out)) == 0 ||
	       rotate_is_own(t->cfg->output_path, t->cfg->state_file, path);
}

struct follow *
tail_follow_add(struct tail *t, const char *path, const struct config_input *in,
                int from_glob)
{
	size_t idx = (size_t)(in - t->cfg->inputs);
	struct follow *f;

	if (from_glob && t->input_files[idx] >= in->max_files) {
		if (!t->input_full[idx])
			log_warnx(
			    "[input:%s] follows max_files (%u) files; not "
			    "following %s or any more new ones",
			    in->name, in->max_files, path);
		t->input_full[idx] = 1;
		return NULL;
	}
	f = follow_create(path, in);
	f->from_glob = from_glob;
	f->seen = tail_known(t, path);
	if (tail_grows(t->nfollows))
		t->follows = xreallocarray(t->follows, tail_room(t->nfollows),
		                           sizeof *t->follows);
	t->follows[t->nfollows++] = f;
	hmap_put(t->by_path, hmap_hash_str(f->path), f);
	t->input_files[in - t->cfg->inputs]++;
	return f;
}

int
tail_known(const struct tail *t, const char *path)
{
	struct state_file *e;
	void *pos = NULL;
	uint64_t h = hmap_hash_str(path);

	if (t->loaded_by_path == NULL)
		return 0;
	while ((e = hmap_next(t->loaded_by_path, h, &pos)) != NULL)
		if (strcmp(e->path, path) == 0)
			return 1;
	return 0;
}

struct follow *
tail_follow_get(const struct tail *t, const char *path)
{
	struct follow *f;
	void *pos = NULL;
	uint64_t h = hmap_hash_str(path);

	while ((f = hmap_next(t->by_path, h, &pos)) != NULL)
		if (!f->gone && strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

/* The file at f's path was renamed to `name' in its directory.  A file
 * tailmux has not opened (created and renamed away again before a busy loop
 * saw it at the path) is read from its start, or from where it was left if
 * it was read before, ahead of the path's current file. */
static void
tail_follow_moved(struct tail *t, struct follow *f, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	struct watch *w;
	struct stat st;
	int64_t offset;
	int fd;

	if (t->once || f->dir_lost || strcmp(name, f->base) == 0 ||
	    tail_is_own(t, path))
		goto out;
	tail_make_room(t);
	if (watch_open(path, &fd, &st) != WATCH_OPENED)
		goto out;
	if ((w = tail_watch_find(t, (uint64_t)st.st_dev,
	                         (uint64_t)st.st_ino)) != NULL) {
		if (w->shelved)
			tail_unshelve_fd(t, w, fd); /* found again */
		else
			close(fd);
		goto out;
	}
	offset = tail_recall(t, fd, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (offset < 0)
		log_info("%s held a file only briefly, renamed to %s before "
		         "it was seen there; reading it from its start",
		         f->path, path);
	w = watch_create(f, fd, &st, offset < 0 ? 0 : (uint64_t)offset);
	watch_fingerprint(fd, &w->fp_len, &w->fp_hash);
	tail_slot_add(t, w);
	tail_watch_notify(t, w, path);
	tail_drain_begin(t, w);
	tail_changed(t);
out:
	free(path);
}

/* inotify: something happened in the directory of follow `owner'. */
static void
tail_follow_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
                  const char *name)
{
	struct tail *t = arg;
	struct follow *f = owner;

	(void)cookie; /* notify pairs a rename's halves */
	if (mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* The directory itself went: the poll watches for a new one
		 * (the directory's registration cannot end in here); the
		 * current file, which it watched, gets a watch of its own,
		 * and is looked at. */
		f->dir_lost = 1;
		if (f->cur != NULL) {
			tail_watch_own(t, f->cur);
			f->cur->moved = 1;
			tail_wake(t, f->cur);
		}
		tail_poll_update(t);
		return;
	}
	/* Events were lost: a path with no file may have one now; one with
	 * a file is looked at through it, which may then find the path
	 * moved on. */
	if (mask & IN_Q_OVERFLOW) {
		if (f->cur == NULL)
			tail_follow_open(t, f, TAIL_APPEARED);
		else if (f->cur->file_reg == NULL) {
			f->cur->moved = 1;
			tail_wake(t, f->cur);
		}
		return;
	}
	if (name == NULL)
		return;
	/* The path's file renamed: the registration, for the path's name
	 * alone, gets the second half of the rename under the new name (by
	 * its cookie). */
	if (strcmp(name, f->base) != 0) {
		if (mask & IN_MOVED_TO)
			tail_follow_moved(t, f, name);
		return;
	}
	/* Written to: the file at the path (if tailmux's current file is
	 * not, its read finds that at its end, and events of the rename or
	 * removal come anyway). */
	if ((mask & ~(uint32_t)IN_MODIFY) == 0 && f->cur != NULL) {
		if (f->cur->file_reg == NULL)
			tail_wake(t, f->cur);
		return;
	}
	if (f->cur == NULL) {
		tail_follow_open(t, f, TAIL_APPEARED);
		return;
	}
	/* Switch now: a file that is created and rotated away again before
	 * the old one is read to its end would be missed. */
	tail_check_path(t, f->cur);
}

/* inotify: the file of watch `owner' changed, moved or went. */
static void
tail_watch_event(void *arg, void *owner, uint32_t mask, uint32_t cookie,
                 const char *name)
{
	struct tail *t = arg;
	struct watch *w = owner;

	(void)cookie;
	(void)name;
	if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
		w->moved = w->f->cur == w;
	/* Late lines in a rotated file were written before what the path's
	 * new file got since: read them first. */
	if (w->draining && (mask & IN_MODIFY))
		tail_hold(w);
	/* A read is asked for even when the file did not grow: it comes back
	 * at the end of the file and then looks at what the path names. */
	tail_wake(t, w);
}

int
tail_config_used(const struct tail *t, const struct config *cfg)
{
	for (size_t i = 0; i < t->nfollows; i++)
		for (size_t k = 0; k < cfg->ninputs; k++)
			if (t->follows[i]->input == &cfg->inputs[k])
				return 1;
	return 0;
}

/* A reload no longer covers f's path.  Each of its files is read to the
 * end it has now, closed once its lines are written, and remembered as
 * read to its end, as a rotated file is when its rotate_wait is over: the
 * path, added again later, goes on from there.  Then the path is dropped;
 * nothing new at it is opened. */
static void
tail_follow_remove(struct tail *t, struct follow *f)
{
	struct watch *w;

	f->gone = 1; /* not counted: the reload counts the files anew */
	notify_rm(t->notify, f->dir_reg);
	f->dir_reg = NULL;
	f->polled = f->dir_lost = 0;
	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w == NULL || w->f != f)
			continue;
		/* No more wake-ups: what it holds now is read, not what it
		 * gets later. */
		notify_rm(t->notify, w->file_reg);
		w->file_reg = NULL;
		w->polled = w->moved = 0;
		w->draining = w->closing = 1;
		if (w->busy || w->parked != NULL)
			w->dirty = 1; /* a read that starts after now */
		else {
			w->dirty = 0;
			tail_wake(t, w);
		}
	}
	event_active(t->reap_ev, 0, 0);
}

/* Points the follows at the inputs of the new configuration that cover
 * their paths (keeping their open files and offsets), and removes those no
 * input covers any more. */
static void
tail_reload_follows(struct tail *t)
{
	const struct config_input *in;
	struct follow *f;
	int from_glob;

	free(t->input_files);
	free(t->input_full);
	t->input_files = xcalloc(t->cfg->ninputs, sizeof *t->input_files);
	t->input_full = xcalloc(t->cfg->ninputs, sizeof *t->input_full);
	for (size_t i = 0; i < t->nfollows; i++) {
		f = t->follows[i];
		if (f->gone)
			continue;
		in = config_input_for(t->cfg, f->path, f->input->name,
		                      &from_glob);
		if (in == NULL) {
			log_info("reload: %s is no longer followed ([input:%s] "
			         "had it); reading it to its end",
			         f->path, f->input->name);
			tail_follow_remove(t, f);
			continue;
		}
		f->input = in;
		f->from_glob = from_glob;
		t->input_files[in - t->cfg->inputs]++;
	}
}

void
tail_reload(struct tail *t, const struct config *cfg, const struct config *old)
{
	const struct config_input *in;
	struct follow *f;

	t->cfg = cfg;
	tail_reload_follows(t);
	/* The paths it names that are not followed yet: one `old' did not
	 * cover starts as at start-up (its input's `start'), unless it is a
	 * file read before. */
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++) {
			if (config_is_glob(in->paths[k]) ||
			    tail_follow_get(t, in->paths[k]) != NULL)
				continue;
			f = tail_follow_add(t, in->paths[k], in, 0);
			tail_follow_open(t, f,
			                 config_covers(old, f->path)
			                     ? TAIL_APPEARED
			                     : TAIL_ADDED);
		}
	}
	/* The poll runs on with the new interval from now. */
	evtimer_del(t->poll_ev);
	tail_poll_update(t);
}

void
tail_sample(const struct tail *t, struct status_sample *m)
{
	struct watch *w;
	struct stat st;

	m->lost = t->lost;
	for (uint32_t i = 0; i < t->nslots; i++) {
		w = t->slots[i];
		if (w == NULL || (w->fd == -1 && !w->shelved))
			continue;
		m->nopen++; /* followed, if closed for the budget */
		if (w->fd != -1 && w->gz == NULL && fstat(w->fd, &st) == 0 &&
		    (uint64_t)st.st_size > w->committed)
			m->behind += (uint64_t)st.st_size - w->committed;
	}
}

struct tail *
tail_create(struct event_base *base, const struct config *cfg,
            struct output *out, struct notify *notify, struct pool *pool,
            int once, struct state *loaded, const struct tail_cbs *cbs)
{
	struct tail *t = xcalloc(1, sizeof *t);
	const struct config_input *in;

	t->cfg = cfg;
	t->once = once;
	t->scratch = xmalloc(TAIL_NOWAIT_MAX);
	t->out = out;
	t->notify = notify;
	t->pool = pool;
	t->cbs = *cbs;
	t->max_inflight = (size_t)cfg->workers * 2;
	TAILQ_INIT(&t->ready);
	t->loaded = *loaded;
	memset(loaded, 0, sizeof *loaded);
	t->by_id = hmap_create();
	t->by_path = hmap_create();
	t->loaded_by_path = hmap_create();
	t->loaded_by_id = hmap_create();
	for (size_t k = 0; k < t->loaded.nfiles; k++) {
		struct state_file *e = &t->loaded.files[k];
		hmap_put(t->loaded_by_path, hmap_hash_str(e->path), e);
		hmap_put(t->loaded_by_id, hmap_hash_pair(e->dev, e->ino), e);
	}
	TAILQ_INIT(&t->lru);
	t->budget = fds_budget();
	t->poll_ev = evtimer_new(base, tail_poll_cb, t);
	t->drain_ev = evtimer_new(base, tail_drain_cb, t);
	t->reap_ev = event_new(base, -1, 0, tail_reap_cb, t);
	t->dispatch_ev = event_new(base, -1, 0, tail_dispatch_cb, t);
	t->poll_check_ev = event_new(base, -1, 0, tail_poll_check_cb, t);
	if (t->poll_ev == NULL || t->drain_ev == NULL || t->reap_ev == NULL ||
	    t->dispatch_ev == NULL || t->poll_check_ev == NULL) {
		log_errx("cannot create the loop's timers");
		tail_free(t);
		return NULL;
	}
	t->input_files = xcalloc(cfg->ninputs, sizeof *t->input_files);
	t->input_full = xcalloc(cfg->ninputs, sizeof *t->input_full);
	for (size_t i = 0; i < cfg->ninputs; i++) {
		in = &cfg->inputs[i];
		for (size_t k = 0; k < in->npaths; k++)
			if (!config_is_glob(in->paths[k]))
				tail_follow_add(t, in->paths[k], in, 0);
	}
	for (size_t k = 0; k < t->loaded.nfiles; k++) {
		const struct state_file *e = &t->loaded.files[k];
		if (e->kind == STATE_DONE)
			tail_remember(t, e->path, e->dev, e->ino, e->offset,
			              e->fp_len, e->fp_hash, e->seen_at);
	}
	return t;
}

void
tail_start(struct tail *t)
{
	t->once_left = t->nfollows;
	for (size_t i = 0; i < t->nfollows; i++)
		tail_follow_open(t, t->follows[i], TAIL_STARTUP);
	state_clear(&t->loaded);
	hmap_free(t->loaded_by_path);
	hmap_free(t->loaded_by_id);
	t->loaded_by_path = t->loaded_by_id = NULL;
}

void
tail_pause(struct tail *t, int on)
{
	t->paused = on;
}

void
tail_set_pool(struct tail *t, struct pool *pool, unsigned workers)
{
	t->pool = pool;
	t->max_inflight = (size_t)workers * 2;
	t->paused = 0;
	tail_dispatch(t);
}

void
tail_stop(struct tail *t)
{
	t->stopping = 1;
}

void
tail_shutdown(struct tail *t)
{
	t->stopping = 1;
	t->freeing = 1;
}

size_t
tail_inflight(const struct tail *t)
{
	return t->inflight;
}

int
tail_once_done(const struct tail *t)
{
	return t->once && t->once_left == 0;
}

size_t
tail_nfollows(const struct tail *t)
{
	return t->nfollows;
}

void
tail_counts(const struct tail *t, uint64_t *splits, uint64_t *newline_added)
{
	*splits = t->splits;
	*newline_added = t->newline_added;
}

void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct watch *w = t->slots[i];
		if (w == NULL)
			continue;
		notify_rm(t->notify, w->file_reg);
		if (w->parked != NULL)
			tail_job_free(w->parked);
		watch_free(w);
	}
	free(t->slots);
	free(t->scratch);
	free(t->free_slots);
	hmap_free(t->by_id);
	hmap_free(t->by_path);
	hmap_free(t->loaded_by_path);
	hmap_free(t->loaded_by_id);
	for (size_t i = 0; i < t->nfollows; i++) {
		notify_rm(t->notify, t->follows[i]->dir_reg);
		follow_free(t->follows[i]);
	}
	free(t->follows);
	free(t->input_files);
	free(t->input_full);
	struct event *evs[] = {t->poll_ev, t->drain_ev, t->reap_ev,
	                       t->dispatch_ev, t->poll_check_ev};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	state_clear(&t->loaded);
	state_clear(&t->closed);
	free(t);
}
