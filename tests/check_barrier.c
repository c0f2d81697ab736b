/* check_barrier.c -- unit tests for barrier.c: the output's file switches
 * (rotation asked for, by size and at clock boundaries; reopening the
 * path, a moved path, a deleted output) and the checkpointed barrier each
 * goes through: the output held, the saves made around the switch and
 * what they name, one save at a time, a failed save retried. */
#include "autoconf.h"

#include "barrier.h"
#include "checkpoint.h"
#include "clock.h"
#include "config.h"
#include "notify.h"
#include "output.h"
#include "pool.h"
#include "state.h"
#include "xmalloc.h"

#include "tmcheck.h"
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

/* The checkpoint_interval of the tests, in ms. */
#define INTERVAL_MS 200
/* How long a test waits for something that must happen. */
#define WAIT_MS 5000
/* How long it waits to see that something does not happen. */
#define QUIET_MS 300
#define MAX_EVENTS 64

/* One save's end as the hub heard it, with the checkpoint it wrote. */
struct saved {
	int barrier;
	int err;
	uint64_t at; /* clock_ms() */
	int busy;    /* barrier_busy() before the hub passed it on */
	uint64_t out_ino, out_len; /* what the state file then named */
};

/* One test's loop, pool, output, checkpoint and barrier, and what the
 * callbacks were called with.  The loop thread owns all of it. */
struct world {
	char dir[TMCHECK_DIR_MAX];
	char *out_path;
	char *state_path;
	struct config cfg;
	struct event_base *base;
	struct event *deadline;
	int timed_out;
	struct pool *pool;
	struct notify *notify;
	struct output *out;
	struct checkpoint *ckpt;
	struct barrier *barrier;

	int gate;         /* keep submitted jobs back from the pool */
	size_t gate_from; /* or those from this submission on (1: the first) */
	struct pool_job *gated[16];
	size_t ngated;
	size_t nsubmit, inflight;

	struct saved saved[MAX_EVENTS];
	size_t nsaved;
	size_t nbarrier_saves; /* of them, with barrier != 0 */

	char *rotated[MAX_EVENTS]; /* each done's argument */
	int busy_at_done[MAX_EVENTS];
	size_t ndone;
	size_t nretried;
};

/* The deadline: stops the loop so that the test goes on. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;

	(void)fd;
	(void)what;
	w->timed_out = 1;
	event_base_loopbreak(w->base);
}

/* Runs the loop until cond(w) holds or `ms' pass; returns cond(w). */
static int
run_until(struct world *w, int (*cond)(const struct world *), uint64_t ms)
{
	w->timed_out = 0;
	clock_timer(w->deadline, ms);
	while ((cond == NULL || !cond(w)) && !w->timed_out)
		event_base_loop(w->base, EVLOOP_ONCE);
	evtimer_del(w->deadline);
	return cond != NULL && cond(w);
}

/* Runs the loop for `ms' whatever happens. */
static void
run_for(struct world *w, uint64_t ms)
{
	(void)run_until(w, NULL, ms);
}

/* Conditions for run_until(): a switch ended. */
static int
done_once(const struct world *w)
{
	return w->ndone >= 1;
}

/* Two switches ended. */
static int
done_twice(const struct world *w)
{
	return w->ndone >= 2;
}

/* A save ended. */
static int
saved_once(const struct world *w)
{
	return w->nsaved >= 1;
}

/* Every byte appended is written. */
static int
flushed(const struct world *w)
{
	return output_pending(w->out) == 0;
}

/* Everything written and no barrier under way. */
static int
settled(const struct world *w)
{
	return flushed(w) && !barrier_busy(w->barrier);
}

/* No job is in the pool or kept back. */
static int
pool_idle(const struct world *w)
{
	return w->inflight == 0 && w->ngated == 0;
}

/* The committed callback: nothing to do. */
static void
out_committed(void *arg, const struct output_mark *mark, uint64_t length)
{
	(void)arg;
	(void)mark;
	(void)length;
}

/* Bytes were written: a sync may be due, a barrier may start. */
static void
out_written(void *arg)
{
	struct world *w = arg;

	if (w->ckpt != NULL)
		checkpoint_written(w->ckpt);
	if (w->barrier != NULL)
		barrier_step(w->barrier);
}

/* The output is full: rotate it. */
static void
out_full(void *arg)
{
	struct world *w = arg;

	if (w->barrier != NULL)
		barrier_rotate(w->barrier);
}

/* Renders what a hub would: the output's identity and committed length. */
static void
cb_render(void *arg, struct state *st)
{
	struct world *w = arg;

	st->out_path = xstrdup(output_path(w->out));
	output_identity(w->out, &st->out_dev, &st->out_ino);
	st->out_len = output_committed(w->out);
}

/* Records a save's end and what the state file names now, then passes it
 * on to the barrier as the hub does. */
static void
cb_saved(void *arg, int barrier, int err)
{
	struct world *w = arg;
	struct saved *s;
	struct state st;
	char *cause = NULL;

	/* Past the last slot (saves in a tight loop), the last is kept. */
	s = &w->saved[w->nsaved < MAX_EVENTS ? w->nsaved : MAX_EVENTS - 1];
	w->nsaved++;
	s->barrier = barrier;
	s->err = err;
	s->at = clock_ms();
	s->busy = barrier_busy(w->barrier);
	if (barrier)
		w->nbarrier_saves++;
	if (err == 0) {
		ck_assert_int_eq(state_read(w->cfg.state_file, &st, &cause), 0);
		s->out_ino = st.out_ino;
		s->out_len = st.out_len;
		state_clear(&st);
	}
	if (barrier)
		barrier_saved(w->barrier, err);
	barrier_step(w->barrier);
}

/* A job of the checkpoint's is done: nothing to do. */
static void
cb_job_done(void *arg)
{
	(void)arg;
}

/* Timed saves wait while a barrier is under way, as in the hub. */
static int
cb_held(void *arg)
{
	struct world *w = arg;

	return barrier_busy(w->barrier);
}

/* The world of the running test, and the done of each job in the pool
 * (wrapped by wrap_done()). */
static struct world *W;
static void (*orig_done[16])(struct pool_job *);
static struct pool_job *orig_job[16];

/* Counts a job out of the pool, then runs its own done. */
static void
wrap_done(struct pool_job *job)
{
	void (*done)(struct pool_job *) = NULL;

	for (size_t i = 0; i < 16; i++)
		if (orig_job[i] == job) {
			done = orig_done[i];
			orig_job[i] = NULL;
			break;
		}
	ck_assert_ptr_nonnull(done);
	W->inflight--;
	done(job);
}

/* Submits a job to the pool with its done wrapped. */
static void
pool_hand(struct world *w, struct pool_job *job)
{
	size_t i;

	for (i = 0; i < 16 && orig_job[i] != NULL; i++)
		;
	ck_assert_uint_lt(i, 16);
	orig_job[i] = job;
	orig_done[i] = job->done;
	job->done = wrap_done;
	pool_submit(w->pool, job);
}

/* Hands a job to the pool, or keeps it back while gated. */
static void
cb_submit(void *arg, struct pool_job *job)
{
	struct world *w = arg;

	w->nsubmit++;
	w->inflight++;
	if (w->gate || (w->gate_from > 0 && w->nsubmit >= w->gate_from)) {
		ck_assert_uint_lt(w->ngated, 16);
		w->gated[w->ngated++] = job;
		return;
	}
	pool_hand(w, job);
}

/* Lets the jobs kept back go to the pool, and any from now on. */
static void
release(struct world *w)
{
	w->gate = 0;
	w->gate_from = 0;
	for (size_t i = 0; i < w->ngated; i++)
		pool_hand(w, w->gated[i]);
	w->ngated = 0;
}

/* A switch is over: records the name handed back and whether the
 * barrier still said busy. */
static void
cb_done(void *arg, char *rotated)
{
	struct world *w = arg;

	ck_assert_uint_lt(w->ndone, MAX_EVENTS);
	w->busy_at_done[w->ndone] = barrier_busy(w->barrier);
	w->rotated[w->ndone++] = rotated;
}

/* Counts the retried calls. */
static void
cb_retried(void *arg)
{
	struct world *w = arg;

	w->nretried++;
}

/* Writes `text' to `path' (created or truncated). */
static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Reads all of `path' (which must exist); the caller frees it. */
static char *
read_text(const char *path)
{
	char *s = xcalloc(1, 8192);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_msg(fd != -1, "cannot open %s", path);
	n = read(fd, s, 8191);
	ck_assert_int_ge(n, 0);
	close(fd);
	return s;
}

/* The inode at `path', which must exist. */
static uint64_t
inode_of(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return (uint64_t)sb.st_ino;
}

/* The inode of the file the output has open. */
static uint64_t
open_ino(const struct world *w)
{
	uint64_t dev, ino;

	output_identity(w->out, &dev, &ino);
	return ino;
}

/* Makes the base, the pool, a configuration and the output (on a file
 * holding `text' if not NULL) in a new directory; the rest is made by
 * world_start(). */
static void
world_init(struct world *w, const char *text)
{
	memset(w, 0, sizeof *w);
	W = w;
	memset(orig_job, 0, sizeof orig_job);
	tmcheck_mkdtemp(w->dir, "check_barrier");
	w->out_path = xasprintf("%s/out.log", w->dir);
	w->state_path = xasprintf("%s/state", w->dir);
	w->cfg.state_file = w->state_path;
	w->cfg.output_path = w->out_path;
	w->cfg.checkpoint_interval = INTERVAL_MS;
	w->cfg.fsync = FSYNC_ROTATE;
	w->cfg.fsync_interval = 1000;
	w->cfg.rotate_utc = 1;
	w->cfg.workers = 2;
	if (text != NULL)
		write_text(w->out_path, text);
	w->base = event_base_new();
	ck_assert_ptr_nonnull(w->base);
	w->deadline = evtimer_new(w->base, deadline_cb, w);
	ck_assert_ptr_nonnull(w->deadline);
	w->pool = pool_create(w->base, 2);
	ck_assert_ptr_nonnull(w->pool);
}

/* Opens the output and makes the checkpoint and the barrier (watching
 * the output with inotify unless `once'). */
static void
world_start(struct world *w, int once)
{
	struct output_cbs ocbs = {out_committed, out_written, out_full, w};
	struct checkpoint_cbs ccbs = {cb_render, cb_saved,  cb_job_done,
	                              cb_held,   cb_submit, w};
	struct barrier_cbs bcbs = {cb_done, cb_retried, w};
	char *cause = NULL;

	w->out = output_open(w->base, w->out_path, &ocbs, &cause);
	ck_assert_msg(w->out != NULL, "%s", cause);
	if (!once) {
		w->notify = notify_create(w->base);
		ck_assert_ptr_nonnull(w->notify);
	}
	w->ckpt = checkpoint_create(w->base, &w->cfg, w->out, once, &ccbs);
	ck_assert_ptr_nonnull(w->ckpt);
	w->barrier = barrier_create(w->base, &w->cfg, w->out, w->ckpt,
	                            w->notify, once, &bcbs);
	ck_assert_ptr_nonnull(w->barrier);
}

/* Lets every job finish, then frees it all and removes the directory. */
static void
world_free(struct world *w)
{
	release(w);
	(void)run_until(w, pool_idle, WAIT_MS);
	pool_free(w->pool);
	barrier_free(w->barrier);
	checkpoint_free(w->ckpt);
	if (w->notify != NULL)
		notify_free(w->notify);
	output_close(w->out);
	event_free(w->deadline);
	event_base_free(w->base);
	tmcheck_rmtree(w->dir);
	for (size_t i = 0; i < w->ndone; i++)
		free(w->rotated[i]);
	free(w->out_path);
	free(w->state_path);
	W = NULL;
}

/* Appends `text' (whole lines) to the output. */
static void
append(struct world *w, const char *text)
{
	struct output_mark mark = {0, 0, 0};
	struct buf b = {0};

	buf_add(&b, text, strlen(text));
	output_append(w->out, &b, &mark);
}

/* Appends `text' and lets the loop write it. */
static void
write_lines(struct world *w, const char *text)
{
	append(w, text);
	ck_assert_int_eq(run_until(w, flushed, WAIT_MS), 1);
}

/* Asserts `path' holds exactly `want'. */
static void
ck_file_eq(const char *path, const char *want)
{
	char *text = read_text(path);

	ck_assert_str_eq(text, want);
	free(text);
}

/* A rotation: held at once, the file renamed to a rotated name beside it
 * with its contents, a new empty file at the path, and one save (the
 * rotation skips the first) naming the new file at length 0 before done
 * hands the rotated name back, no longer busy. */
START_TEST(test_rotate)
{
	struct world w;
	uint64_t old_ino;
	char *prefix;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\ntwo\n");
	old_ino = open_ino(&w);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	barrier_rotate(w.barrier);
	ck_assert_int_eq(barrier_busy(w.barrier), 1);
	ck_assert_int_eq(checkpoint_busy(w.ckpt), 1);
	ck_assert_uint_eq(w.ndone, 0);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);

	ck_assert_ptr_nonnull(w.rotated[0]);
	prefix = xasprintf("%s.", w.out_path);
	ck_assert_int_eq(strncmp(w.rotated[0], prefix, strlen(prefix)), 0);
	free(prefix);
	ck_file_eq(w.rotated[0], "one\ntwo\n");
	ck_assert_uint_eq(inode_of(w.rotated[0]), old_ino);
	ck_file_eq(w.out_path, "");
	ck_assert_uint_ne(inode_of(w.out_path), old_ino);
	ck_assert_uint_eq(inode_of(w.out_path), open_ino(&w));
	ck_assert_str_eq(output_path(w.out), w.out_path);
	ck_assert_int_eq(w.busy_at_done[0], 0);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);

	ck_assert_uint_eq(w.nsaved, 1);
	ck_assert_int_eq(w.saved[0].barrier, 1);
	ck_assert_int_eq(w.saved[0].err, 0);
	ck_assert_int_eq(w.saved[0].busy, 1);
	ck_assert_uint_eq(w.saved[0].out_ino, open_ino(&w));
	ck_assert_uint_eq(w.saved[0].out_len, 0);

	write_lines(&w, "three\n");
	ck_file_eq(w.out_path, "three\n");
	ck_file_eq(w.rotated[0], "one\ntwo\n");
	world_free(&w);
}
END_TEST

/* A rotation holds the output only for the switch: a line appended while
 * the save naming the new file is under way goes to the new file at once,
 * past the length 0 that save names; the barrier stays busy (no timed
 * save, no gzip) until the save is done. */
START_TEST(test_rotate_flows)
{
	struct world w;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	w.gate = 1;
	barrier_rotate(w.barrier);
	append(&w, "late\n");
	ck_assert_int_eq(run_until(&w, flushed, WAIT_MS), 1);
	ck_file_eq(w.out_path, "late\n");
	ck_assert_uint_eq(w.ndone, 0);
	ck_assert_int_eq(barrier_busy(w.barrier), 1);
	release(&w);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_uint_eq(w.saved[0].out_ino, open_ino(&w));
	ck_assert_uint_eq(w.saved[0].out_len, 0);
	ck_file_eq(w.out_path, "late\n");
	ck_file_eq(w.rotated[0], "one\n");
	world_free(&w);
}
END_TEST

/* An empty output is not rotated: no save, no done, no new file. */
START_TEST(test_rotate_empty)
{
	struct world w;
	uint64_t ino;

	world_init(&w, NULL);
	world_start(&w, 0);
	ino = open_ino(&w);
	barrier_rotate(w.barrier);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	run_for(&w, QUIET_MS);
	ck_assert_uint_eq(w.ndone, 0);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_uint_eq(inode_of(w.out_path), ino);
	world_free(&w);
}
END_TEST

/* A rotation asked for while a timed save is in the pool switches at once
 * (a full output does not wait for that save's syncs); lines go to the new
 * file; the save naming the new file follows the one in the pool, and
 * names the new file at its length then. */
START_TEST(test_rotate_waits_for_save)
{
	struct world w;
	uint64_t ino;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	ino = open_ino(&w);
	w.gate = 1;
	checkpoint_save(w.ckpt, 0, -1, -1);
	barrier_rotate(w.barrier);
	ck_assert_int_eq(barrier_busy(w.barrier), 1);
	ck_assert_uint_ne(inode_of(w.out_path), ino);
	append(&w, "two\n");
	ck_assert_int_eq(run_until(&w, flushed, WAIT_MS), 1);
	ck_file_eq(w.out_path, "two\n");
	ck_assert_uint_eq(w.nsubmit, 1); /* only the save in the pool */
	ck_assert_uint_eq(w.ndone, 0);
	release(&w);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_uint_eq(w.nsaved, 2);
	ck_assert_int_eq(w.saved[0].barrier, 0);
	ck_assert_uint_eq(w.saved[0].out_ino, ino);
	ck_assert_int_eq(w.saved[1].barrier, 1);
	ck_assert_uint_eq(w.saved[1].out_ino, open_ino(&w));
	ck_assert_uint_eq(w.saved[1].out_len, 4);
	ck_assert_ptr_nonnull(w.rotated[0]);
	ck_file_eq(w.rotated[0], "one\n");
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	world_free(&w);
}
END_TEST

/* Rotation by size: the output's full callback asks for it; each file
 * holds whole buffers within rotate_size, and together, in order, they
 * hold every line once. */
START_TEST(test_rotate_by_size)
{
	struct world w;
	char line[32], all[512] = "", joined[512] = "";
	char *text;

	world_init(&w, NULL);
	w.cfg.rotate_size = 64;
	world_start(&w, 0);
	for (int i = 0; i < 12; i++) {
		snprintf(line, sizeof line, "line %02d of twelve..\n", i);
		ck_assert_uint_eq(strlen(line), 20);
		strcat(all, line);
		append(&w, line);
	}
	ck_assert_int_eq(run_until(&w, settled, WAIT_MS), 1);
	/* 12 lines of 20 bytes, 3 a file: 4 files, 3 of them rotated. */
	ck_assert_uint_eq(w.ndone, 3);
	for (size_t i = 0; i < w.ndone; i++) {
		ck_assert_ptr_nonnull(w.rotated[i]);
		text = read_text(w.rotated[i]);
		ck_assert_uint_eq(strlen(text), 60);
		strcat(joined, text);
		free(text);
		if (i > 0)
			ck_assert_int_lt(strcmp(w.rotated[i - 1], w.rotated[i]),
			                 0);
	}
	text = read_text(w.out_path);
	strcat(joined, text);
	free(text);
	ck_assert_str_eq(joined, all);
	ck_assert_uint_eq(w.nbarrier_saves, 3);
	world_free(&w);
}
END_TEST

/* Rotation at a clock boundary (every second here): a written output is
 * rotated at the next one, an empty one is not. */
START_TEST(test_rotate_clock)
{
	struct world w;

	world_init(&w, NULL);
	w.cfg.rotate_period = ROTATE_EVERY;
	w.cfg.rotate_every = 1000;
	world_start(&w, 0);
	write_lines(&w, "one\n");
	barrier_start(w.barrier);
	barrier_step(w.barrier);
	ck_assert_int_eq(barrier_busy(w.barrier), 0); /* written just now */
	ck_assert_int_eq(run_until(&w, done_once, 2500), 1);
	ck_assert_ptr_nonnull(w.rotated[0]);
	ck_file_eq(w.rotated[0], "one\n");
	/* The next boundary finds the new file empty. */
	run_for(&w, 1200);
	ck_assert_uint_eq(w.ndone, 1);
	ck_file_eq(w.out_path, "");
	world_free(&w);
}
END_TEST

/* At start-up, an output last written before the current hour began is
 * rotated (_i 0); one written since is not (_i 1). */
START_TEST(test_start_overdue)
{
	struct world w;
	struct timeval tv[2];

	world_init(&w, "old\n");
	w.cfg.rotate_period = ROTATE_HOURLY;
	if (_i == 0) {
		ck_assert_int_eq(gettimeofday(&tv[0], NULL), 0);
		tv[0].tv_sec -= 7200;
		tv[1] = tv[0];
		ck_assert_int_eq(utimes(w.out_path, tv), 0);
	}
	world_start(&w, 0);
	barrier_start(w.barrier);
	barrier_step(w.barrier);
	if (_i == 1) {
		ck_assert_int_eq(barrier_busy(w.barrier), 0);
		run_for(&w, QUIET_MS);
		ck_assert_uint_eq(w.ndone, 0);
		ck_assert_uint_eq(w.nsubmit, 0);
	} else {
		ck_assert_int_eq(barrier_busy(w.barrier), 1);
		ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
		ck_assert_ptr_nonnull(w.rotated[0]);
		ck_file_eq(w.rotated[0], "old\n");
		ck_file_eq(w.out_path, "");
	}
	world_free(&w);
}
END_TEST

/* A reopen after an outside rename: first a save naming the old file at
 * its final length (it was moved), then one naming the new file at 0;
 * done hands back NULL. */
START_TEST(test_reopen)
{
	struct world w;
	uint64_t old_ino;
	char *moved;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\ntwo\n");
	old_ino = open_ino(&w);
	moved = xasprintf("%s/moved.log", w.dir);
	ck_assert_int_eq(rename(w.out_path, moved), 0);
	barrier_reopen(w.barrier);
	ck_assert_int_eq(barrier_busy(w.barrier), 1);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_ptr_null(w.rotated[0]);
	ck_assert_int_eq(w.busy_at_done[0], 0);
	ck_assert_uint_eq(w.nsaved, 2);
	ck_assert_int_eq(w.saved[0].barrier, 1);
	ck_assert_int_eq(w.saved[0].err, 0);
	ck_assert_uint_eq(w.saved[0].out_ino, old_ino);
	ck_assert_uint_eq(w.saved[0].out_len, 8);
	ck_assert_int_eq(w.saved[1].barrier, 1);
	ck_assert_uint_eq(w.saved[1].out_ino, open_ino(&w));
	ck_assert_uint_eq(w.saved[1].out_len, 0);
	ck_assert_uint_ne(open_ino(&w), old_ino);
	ck_assert_uint_eq(inode_of(w.out_path), open_ino(&w));
	write_lines(&w, "three\n");
	ck_file_eq(w.out_path, "three\n");
	ck_file_eq(moved, "one\ntwo\n");
	free(moved);
	world_free(&w);
}
END_TEST

/* A reopen writes nothing to the new file (someone else's: logrotate's
 * `create') before the checkpoint naming it is saved: a line appended
 * meanwhile waits, then goes there. */
START_TEST(test_reopen_holds_output)
{
	struct world w;
	char *moved;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	moved = xasprintf("%s/moved.log", w.dir);
	ck_assert_int_eq(rename(w.out_path, moved), 0);
	w.gate_from = w.nsubmit + 2; /* the save after the switch */
	barrier_reopen(w.barrier);
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	append(&w, "late\n");
	run_for(&w, QUIET_MS);
	ck_assert_uint_eq(w.ngated, 1);
	ck_assert_uint_eq(w.ndone, 0);
	ck_assert_uint_eq(output_pending(w.out), 5);
	ck_file_eq(w.out_path, "");
	release(&w);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_int_eq(run_until(&w, flushed, WAIT_MS), 1);
	ck_file_eq(w.out_path, "late\n");
	ck_file_eq(moved, "one\n");
	free(moved);
	world_free(&w);
}
END_TEST

/* Rotating an output renamed from outside reopens the path instead (with
 * the reopen's first save), leaving the renamed file alone. */
START_TEST(test_rotate_renamed_outside)
{
	struct world w;
	uint64_t old_ino;
	char *moved;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	old_ino = open_ino(&w);
	moved = xasprintf("%s/moved.log", w.dir);
	ck_assert_int_eq(rename(w.out_path, moved), 0);
	barrier_rotate(w.barrier);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_ptr_null(w.rotated[0]);
	ck_assert_uint_eq(w.nbarrier_saves, 2);
	ck_assert_uint_eq(w.saved[0].out_ino, old_ino);
	ck_assert_uint_eq(w.saved[0].out_len, 4);
	ck_assert_uint_eq(inode_of(w.out_path), open_ino(&w));
	ck_file_eq(moved, "one\n");
	run_for(&w, QUIET_MS); /* the new, empty file is not rotated */
	ck_assert_uint_eq(w.ndone, 1);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	free(moved);
	world_free(&w);
}
END_TEST

/* A reload moving the output reopens at the new path (its directory
 * made); the old file is left complete.  The same path: nothing. */
START_TEST(test_set_config)
{
	struct world w;
	struct config cfg2;
	uint64_t old_ino;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	old_ino = open_ino(&w);
	cfg2 = w.cfg;
	barrier_set_config(w.barrier, &cfg2);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	run_for(&w, QUIET_MS);
	ck_assert_uint_eq(w.nsubmit, 0);

	cfg2.output_path = xasprintf("%s/sub/new.log", w.dir);
	barrier_set_config(w.barrier, &cfg2);
	ck_assert_int_eq(barrier_busy(w.barrier), 1);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_ptr_null(w.rotated[0]);
	ck_assert_str_eq(output_path(w.out), cfg2.output_path);
	ck_assert_uint_eq(inode_of(cfg2.output_path), open_ino(&w));
	ck_assert_uint_eq(w.nbarrier_saves, 2);
	ck_assert_uint_eq(w.saved[0].out_ino, old_ino);
	ck_assert_uint_eq(w.saved[0].out_len, 4);
	ck_assert_uint_eq(w.saved[1].out_ino, open_ino(&w));
	ck_assert_uint_eq(w.saved[1].out_len, 0);
	write_lines(&w, "two\n");
	ck_file_eq(cfg2.output_path, "two\n");
	ck_file_eq(w.out_path, "one\n");
	/* The checkpoint's hub passes the new configuration on too. */
	checkpoint_set_config(w.ckpt, &cfg2);
	world_free(&w);
	free(cfg2.output_path);
}
END_TEST

/* A deleted output is created again through a reopen, and so is the new
 * one when deleted in its turn; a change that deletes nothing (chmod) is
 * no reason to reopen. */
START_TEST(test_deleted_output)
{
	struct world w;

	world_init(&w, NULL);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	ck_assert_int_eq(chmod(w.out_path, 0600), 0);
	run_for(&w, QUIET_MS);
	ck_assert_uint_eq(w.ndone, 0);
	ck_assert_uint_eq(w.nsubmit, 0);

	ck_assert_int_eq(unlink(w.out_path), 0);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_ptr_null(w.rotated[0]);
	ck_assert_uint_eq(inode_of(w.out_path), open_ino(&w));
	write_lines(&w, "two\n");
	ck_file_eq(w.out_path, "two\n");

	ck_assert_int_eq(unlink(w.out_path), 0);
	ck_assert_int_eq(run_until(&w, done_twice, WAIT_MS), 1);
	ck_assert_ptr_null(w.rotated[1]);
	ck_assert_uint_eq(inode_of(w.out_path), open_ino(&w));
	ck_assert_uint_eq(w.nbarrier_saves, 4);
	world_free(&w);
}
END_TEST

/* A failed save before the switch gives the barrier up: the old file
 * goes on, not held. */
START_TEST(test_reopen_save_fails)
{
	struct world w;
	uint64_t ino;

	world_init(&w, NULL);
	w.cfg.state_file = xasprintf("%s/missing/state", w.dir);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	ino = open_ino(&w);
	barrier_reopen(w.barrier);
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	ck_assert_int_eq(w.saved[0].barrier, 1);
	ck_assert_int_eq(w.saved[0].err, ENOENT);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	ck_assert_uint_eq(w.ndone, 0);
	ck_assert_uint_eq(open_ino(&w), ino);
	write_lines(&w, "two\n");
	ck_file_eq(w.out_path, "one\ntwo\n");
	free(w.cfg.state_file);
	w.cfg.state_file = w.state_path;
	world_free(&w);
}
END_TEST

/* A failed save naming the new file is retried a second later, not at
 * once, the lines going on into the new file meanwhile; the retry names
 * the new file at its length then, and once it succeeds the barrier
 * ends. */
START_TEST(test_new_save_retried)
{
	struct world w;
	char *sub;

	world_init(&w, NULL);
	sub = xasprintf("%s/sub", w.dir);
	w.cfg.state_file = xasprintf("%s/state", sub);
	world_start(&w, 0);
	write_lines(&w, "one\n");
	barrier_rotate(w.barrier);
	append(&w, "late\n");
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	ck_assert_int_eq(w.saved[0].barrier, 1);
	ck_assert_int_eq(w.saved[0].err, ENOENT);
	run_for(&w, 600);
	ck_assert_msg(w.nbarrier_saves == 1,
	              "%zu saves in 600ms, not 1 a second", w.nbarrier_saves);
	ck_assert_int_eq(barrier_busy(w.barrier), 1);
	ck_assert_uint_eq(w.ndone, 0);
	ck_file_eq(w.out_path, "late\n");
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(run_until(&w, done_once, WAIT_MS), 1);
	ck_assert_uint_eq(w.nbarrier_saves, 2);
	ck_assert_uint_le(w.nsaved, MAX_EVENTS);
	ck_assert_int_eq(w.saved[w.nsaved - 1].err, 0);
	ck_assert_uint_ge(w.saved[w.nsaved - 1].at - w.saved[0].at, 900);
	ck_assert_uint_eq(w.saved[w.nsaved - 1].out_ino, open_ino(&w));
	ck_assert_uint_eq(w.saved[w.nsaved - 1].out_len, 5);
	ck_assert_uint_ge(w.nretried, 1);
	ck_file_eq(w.out_path, "late\n");
	ck_file_eq(w.rotated[0], "one\n");
	free(w.cfg.state_file);
	w.cfg.state_file = w.state_path;
	free(sub);
	world_free(&w);
}
END_TEST

/* With once, a switch makes no save and ends before barrier_rotate()
 * returns. */
START_TEST(test_once)
{
	struct world w;

	world_init(&w, NULL);
	world_start(&w, 1);
	write_lines(&w, "one\n");
	barrier_rotate(w.barrier);
	ck_assert_uint_eq(w.ndone, 1);
	ck_assert_ptr_nonnull(w.rotated[0]);
	ck_assert_int_eq(barrier_busy(w.barrier), 0);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_file_eq(w.rotated[0], "one\n");
	ck_file_eq(w.out_path, "");
	world_free(&w);
}
END_TEST

static Suite *
barrier_suite(void)
{
	Suite *s = suite_create("barrier");
	TCase *tc;

	tc = tcase_create("rotate");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rotate);
	tcase_add_test(tc, test_rotate_flows);
	tcase_add_test(tc, test_reopen_holds_output);
	tcase_add_test(tc, test_rotate_empty);
	tcase_add_test(tc, test_rotate_waits_for_save);
	tcase_add_test(tc, test_rotate_by_size);
	tcase_add_test(tc, test_rotate_clock);
	tcase_add_loop_test(tc, test_start_overdue, 0, 2);
	tcase_add_test(tc, test_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("reopen");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_rotate_renamed_outside);
	tcase_add_test(tc, test_set_config);
	tcase_add_test(tc, test_deleted_output);
	suite_add_tcase(s, tc);

	tc = tcase_create("failure");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reopen_save_fails);
	tcase_add_test(tc, test_new_save_retried);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* Before any base exists, so that workers may wake the loop. */
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "evthread_use_pthreads failed\n");
		return 1;
	}
	return tmcheck_run(barrier_suite());
}
