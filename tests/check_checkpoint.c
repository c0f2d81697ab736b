/* check_checkpoint.c -- unit tests for checkpoint.c: when the checkpoint is
 * saved (within checkpoint_interval of a change, one save at a time, not
 * while held, retried after a failure, never by timer with once, no timer
 * when idle), when the output is synced (never, interval, always; paused,
 * stopped), and what start-up does with the checkpoint on disk. */
#include "autoconf.h"

#include "checkpoint.h"
#include "clock.h"
#include "config.h"
#include "output.h"
#include "pool.h"
#include "state.h"
#include "xmalloc.h"

#include "tmcheck.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

/* The checkpoint_interval and fsync_interval of the tests, in ms. */
#define INTERVAL_MS 100
#define SYNC_MS 50
/* How long a test waits for something that must happen. */
#define WAIT_MS 5000

/* One test's loop, pool, output and checkpoint, and what the callbacks
 * were called with.  The loop thread owns all of it. */
struct world {
	char dir[TMCHECK_DIR_MAX];
	char *out_path;
	char *state_path;
	struct config cfg;
	struct event_base *base;
	struct event *deadline;
	int timed_out;
	struct pool *pool;
	struct output *out;
	struct checkpoint *ckpt;

	uint64_t render_value; /* rendered as the offset of one file */
	int held;              /* what the held callback says */
	int gate;              /* keep submitted jobs back from the pool */
	struct pool_job *gated[16];
	size_t ngated;

	/* Jobs in the pool, with the done each had before we wrapped it. */
	struct pool_job *jobs[16];
	void (*job_dones[16])(struct pool_job *);
	size_t inflight, max_inflight;
	size_t nsubmit, njob_done;
	size_t nsaves, nsyncs; /* jobs done of each kind */

	size_t nsaved;
	int saved_barrier[64];
	int saved_err[64];
	uint64_t saved_at[64]; /* clock_ms() */
};

/* The world of the running test (each runs in a process of its own). */
static struct world *W;

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

/* Conditions for run_until(): a save ended. */
static int
saved_once(const struct world *w)
{
	return w->nsaved >= 1;
}

/* Two saves ended. */
static int
saved_twice(const struct world *w)
{
	return w->nsaved >= 2;
}

/* The last save to end succeeded. */
static int
saved_ok(const struct world *w)
{
	return w->nsaved >= 1 && w->saved_err[w->nsaved - 1] == 0;
}

/* A job was handed over. */
static int
submitted(const struct world *w)
{
	return w->nsubmit >= 1;
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

/* The written and full callbacks: nothing to do. */
static void
out_nothing(void *arg)
{
	(void)arg;
}

/* Renders what a hub would: the output's identity and committed length,
 * and one input file at offset render_value. */
static void
cb_render(void *arg, struct state *st)
{
	struct world *w = arg;

	st->out_path = xstrdup(output_path(w->out));
	output_identity(w->out, &st->out_dev, &st->out_ino);
	st->out_len = output_committed(w->out);
	state_add(st, "/in/a.log", 1, 2, w->render_value, 0, 0);
}

/* Records a save's end. */
static void
cb_saved(void *arg, int barrier, int err)
{
	struct world *w = arg;

	ck_assert_uint_lt(w->nsaved, 64);
	w->saved_barrier[w->nsaved] = barrier;
	w->saved_err[w->nsaved] = err;
	w->saved_at[w->nsaved] = clock_ms();
	w->nsaved++;
	ck_assert_int_eq(checkpoint_busy(w->ckpt), 0);
}

/* Counts the job_done calls. */
static void
cb_job_done(void *arg)
{
	struct world *w = arg;

	w->njob_done++;
}

/* Holds timed saves while the test says so. */
static int
cb_held(void *arg)
{
	struct world *w = arg;

	return w->held;
}

/* A job of the checkpoint's is done: notes it, then runs its own done. */
static void
wrap_done(struct pool_job *job)
{
	struct world *w = W;
	void (*done)(struct pool_job *) = NULL;
	size_t nsaved = w->nsaved;

	for (size_t i = 0; i < 16; i++)
		if (w->jobs[i] == job) {
			done = w->job_dones[i];
			w->jobs[i] = NULL;
			break;
		}
	ck_assert_ptr_nonnull(done);
	w->inflight--;
	done(job);
	if (w->nsaved > nsaved)
		w->nsaves++;
	else
		w->nsyncs++;
}

/* Submits a job to the pool with its done wrapped. */
static void
pool_hand(struct world *w, struct pool_job *job)
{
	size_t i;

	for (i = 0; i < 16 && w->jobs[i] != NULL; i++)
		;
	ck_assert_uint_lt(i, 16);
	w->jobs[i] = job;
	w->job_dones[i] = job->done;
	job->done = wrap_done;
	pool_submit(w->pool, job);
}

/* Hands a job to the pool, or keeps it back while gated. */
static void
cb_submit(void *arg, struct pool_job *job)
{
	struct world *w = arg;

	w->nsubmit++;
	if (++w->inflight > w->max_inflight)
		w->max_inflight = w->inflight;
	if (w->gate) {
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
	for (size_t i = 0; i < w->ngated; i++)
		pool_hand(w, w->gated[i]);
	w->ngated = 0;
}

/* Timers and events added to the base (our deadline is never among them
 * when this is asked). */
static int
events_added(const struct world *w)
{
	return event_base_get_num_events(w->base, EVENT_BASE_COUNT_ADDED);
}

/* Makes the base, the pool, the output in a new directory and a
 * configuration; the checkpoint is made by world_start(). */
static void
world_init(struct world *w)
{
	static const struct output_cbs ocbs = {out_committed, out_nothing,
	                                       out_nothing, NULL};
	char *cause = NULL;

	memset(w, 0, sizeof *w);
	W = w;
	tmcheck_mkdtemp(w->dir, "check_checkpoint");
	w->out_path = xasprintf("%s/out.log", w->dir);
	w->state_path = xasprintf("%s/state", w->dir);
	w->cfg.state_file = w->state_path;
	w->cfg.output_path = w->out_path;
	w->cfg.checkpoint_interval = INTERVAL_MS;
	w->cfg.fsync = FSYNC_NEVER;
	w->cfg.fsync_interval = SYNC_MS;
	w->cfg.workers = 2;
	w->base = event_base_new();
	ck_assert_ptr_nonnull(w->base);
	w->deadline = evtimer_new(w->base, deadline_cb, w);
	ck_assert_ptr_nonnull(w->deadline);
	w->pool = pool_create(w->base, 2);
	ck_assert_ptr_nonnull(w->pool);
	w->out = output_open(w->base, w->out_path, &ocbs, &cause);
	ck_assert_msg(w->out != NULL, "%s", cause);
}

/* Makes the checkpoint (with `once' as given). */
static void
world_start(struct world *w, int once)
{
	struct checkpoint_cbs cbs = {cb_render, cb_saved,  cb_job_done,
	                             cb_held,   cb_submit, w};

	w->ckpt = checkpoint_create(w->base, &w->cfg, w->out, once, &cbs);
	ck_assert_ptr_nonnull(w->ckpt);
}

/* Lets every job finish, then frees it all and removes the directory. */
static void
world_free(struct world *w)
{
	release(w);
	(void)run_until(w, pool_idle, WAIT_MS);
	pool_free(w->pool);
	checkpoint_free(w->ckpt);
	output_close(w->out);
	event_free(w->deadline);
	event_base_free(w->base);
	tmcheck_rmtree(w->dir);
	free(w->out_path);
	free(w->state_path);
	W = NULL;
}

/* Reads the state file at `path', which must be good, into *st. */
static void
read_state(const char *path, struct state *st)
{
	char *cause = NULL;
	int r = state_read(path, st, &cause);

	ck_assert_msg(r == 0, "state_read %s: %d %s", path, r,
	              cause ? cause : "");
}

/* Asserts the state file holds what cb_render() put in with `value'. */
static void
check_state_file(struct world *w, uint64_t value)
{
	struct state st;
	uint64_t dev, ino;

	read_state(w->state_path, &st);
	output_identity(w->out, &dev, &ino);
	ck_assert_str_eq(st.out_path, w->out_path);
	ck_assert_uint_eq(st.out_dev, dev);
	ck_assert_uint_eq(st.out_ino, ino);
	ck_assert_uint_eq(st.out_len, output_committed(w->out));
	ck_assert_uint_eq(st.nfiles, 1);
	ck_assert_str_eq(st.files[0].path, "/in/a.log");
	ck_assert_uint_eq(st.files[0].offset, value);
	state_clear(&st);
}

/* True if something is at `path'. */
static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
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
	char *s = xcalloc(1, 4096);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ne(fd, -1);
	n = read(fd, s, 4095);
	ck_assert_int_ge(n, 0);
	close(fd);
	return s;
}

/* The size of the file at `path', which must exist. */
static uint64_t
file_size(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return (uint64_t)sb.st_size;
}

/* A change is saved once, from a worker, a checkpoint_interval later (not
 * at once), holding what was rendered; then the loop has nothing left. */
START_TEST(test_dirty_saves)
{
	struct world w;
	int idle;
	uint64_t t0, took;

	world_init(&w);
	world_start(&w, 0);
	idle = events_added(&w);
	w.render_value = 42;
	t0 = clock_ms();
	for (int i = 0; i < 5; i++)
		checkpoint_dirty(w.ckpt); /* one save for them all */
	ck_assert_int_eq(events_added(&w), idle + 1);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_int_eq(exists(w.state_path), 0);
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	took = w.saved_at[0] - t0;
	ck_assert_uint_ge(took, INTERVAL_MS - 10);
	ck_assert_uint_le(took, INTERVAL_MS + 1000);
	ck_assert_int_eq(w.saved_barrier[0], 0);
	ck_assert_int_eq(w.saved_err[0], 0);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), 0);
	check_state_file(&w, 42);
	/* Nothing changed since: no other save, and no timer left. */
	run_for(&w, 3 * INTERVAL_MS);
	ck_assert_uint_eq(w.nsaved, 1);
	ck_assert_uint_eq(w.nsubmit, 1);
	ck_assert_int_eq(events_added(&w), idle);
	ck_assert_uint_eq(w.max_inflight, 1);
	world_free(&w);
}
END_TEST

/* Without a change nothing is saved, and no timer runs. */
START_TEST(test_idle)
{
	struct world w;

	world_init(&w);
	world_start(&w, 0);
	ck_assert_int_eq(events_added(&w), 0);
	run_for(&w, 3 * INTERVAL_MS);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_uint_eq(w.nsaved, 0);
	ck_assert_int_eq(exists(w.state_path), 0);
	ck_assert_int_eq(events_added(&w), 0);
	world_free(&w);
}
END_TEST

/* With once, no save is made by timer, but checkpoint_save_now() saves. */
START_TEST(test_once)
{
	struct world w;

	world_init(&w);
	world_start(&w, 1);
	w.render_value = 3;
	checkpoint_dirty(w.ckpt);
	ck_assert_int_eq(events_added(&w), 0);
	run_for(&w, 3 * INTERVAL_MS);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_int_eq(exists(w.state_path), 0);
	ck_assert_int_eq(checkpoint_save_now(w.ckpt), 0);
	check_state_file(&w, 3);
	checkpoint_dirty(NULL); /* NULL is fine */
	world_free(&w);
}
END_TEST

/* While held, the timed save waits (its timer comes round again); once no
 * longer held, it is made at the next round. */
START_TEST(test_held)
{
	struct world w;
	int idle;

	world_init(&w);
	world_start(&w, 0);
	idle = events_added(&w);
	w.held = 1;
	w.render_value = 5;
	checkpoint_dirty(w.ckpt);
	run_for(&w, 3 * INTERVAL_MS + INTERVAL_MS / 2);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_int_eq(exists(w.state_path), 0);
	ck_assert_int_eq(events_added(&w), idle + 1); /* still waiting */
	w.held = 0;
	w.render_value = 6;
	ck_assert_int_eq(run_until(&w, saved_once, 2 * INTERVAL_MS + 500), 1);
	ck_assert_int_eq(w.saved_err[0], 0);
	check_state_file(&w, 6);
	world_free(&w);
}
END_TEST

/* One save at a time: a change while a save is in the pool is saved after
 * it, by the timer, with what is rendered then. */
START_TEST(test_one_save_at_a_time)
{
	struct world w;

	world_init(&w);
	world_start(&w, 0);
	w.gate = 1;
	w.render_value = 1;
	checkpoint_dirty(w.ckpt);
	ck_assert_int_eq(run_until(&w, submitted, WAIT_MS), 1);
	ck_assert_int_eq(checkpoint_busy(w.ckpt), 1);
	w.render_value = 2;
	checkpoint_dirty(w.ckpt);
	run_for(&w, 3 * INTERVAL_MS);
	ck_assert_uint_eq(w.nsubmit, 1);
	ck_assert_uint_eq(w.nsaved, 0);
	release(&w);
	ck_assert_int_eq(run_until(&w, saved_twice, WAIT_MS), 1);
	ck_assert_int_eq(w.saved_err[0], 0);
	ck_assert_int_eq(w.saved_err[1], 0);
	ck_assert_uint_eq(w.max_inflight, 1);
	check_state_file(&w, 2);
	run_for(&w, 2 * INTERVAL_MS);
	ck_assert_uint_eq(w.nsaved, 2);
	world_free(&w);
}
END_TEST

/* checkpoint_save() renders at once, is busy until its end, hands its
 * barrier back, and takes a pending change with it. */
START_TEST(test_save_barrier)
{
	struct world w;

	world_init(&w);
	world_start(&w, 0);
	w.render_value = 8;
	checkpoint_dirty(w.ckpt);
	checkpoint_save(w.ckpt, 1, dup(output_fd(w.out)), -1);
	ck_assert_int_eq(checkpoint_busy(w.ckpt), 1);
	ck_assert_uint_eq(w.nsubmit, 1);
	w.render_value = 9; /* after the render: not in this save */
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	ck_assert_int_eq(w.saved_barrier[0], 1);
	ck_assert_int_eq(w.saved_err[0], 0);
	ck_assert_int_eq(checkpoint_busy(w.ckpt), 0);
	check_state_file(&w, 8);
	/* The change before it was in it: the timer saves nothing more. */
	run_for(&w, 3 * INTERVAL_MS);
	ck_assert_uint_eq(w.nsaved, 1);
	world_free(&w);
}
END_TEST

/* A save that fails is reported with its errno and retried, each a
 * checkpoint_interval later, without another change; once the path can be
 * written it succeeds and the failure is cleared.  _i: 0, the directory
 * is missing; 1, it is a regular file. */
START_TEST(test_failed_save_retried)
{
	struct world w;
	char *sub;

	world_init(&w);
	sub = xasprintf("%s/sub", w.dir);
	w.cfg.state_file = xasprintf("%s/state", sub);
	if (_i == 1)
		write_text(sub, "not a directory\n");
	world_start(&w, 0);
	w.render_value = 11;
	checkpoint_dirty(w.ckpt);
	ck_assert_int_eq(run_until(&w, saved_twice, WAIT_MS), 1);
	ck_assert_int_eq(w.saved_err[0], _i == 0 ? ENOENT : ENOTDIR);
	ck_assert_int_eq(w.saved_err[1], w.saved_err[0]);
	ck_assert_int_eq(w.saved_barrier[0], 0);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), w.saved_err[0]);
	/* Retried after a pause, not at once. */
	ck_assert_uint_ge(w.saved_at[1] - w.saved_at[0], INTERVAL_MS - 10);
	ck_assert_uint_le(w.saved_at[1] - w.saved_at[0], INTERVAL_MS + 1000);
	if (_i == 1)
		ck_assert_int_eq(unlink(sub), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(run_until(&w, saved_ok, WAIT_MS), 1);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), 0);
	free(w.state_path); /* check_state_file() reads the new one */
	w.state_path = w.cfg.state_file;
	check_state_file(&w, 11);
	free(sub);
	world_free(&w);
}
END_TEST

/* checkpoint_save_now() writes at once, on the calling thread; when it
 * fails, it says so and a save is retried from the pool. */
START_TEST(test_save_now)
{
	struct world w;
	char *sub;

	world_init(&w);
	world_start(&w, 0);
	w.render_value = 7;
	ck_assert_int_eq(checkpoint_save_now(w.ckpt), 0);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_uint_eq(w.nsaved, 0);
	check_state_file(&w, 7);

	sub = xasprintf("%s/sub", w.dir);
	w.cfg.state_file = xasprintf("%s/state", sub);
	ck_assert_int_eq(checkpoint_save_now(w.ckpt), -1);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), ENOENT);
	ck_assert_uint_eq(w.nsubmit, 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	w.render_value = 12;
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	ck_assert_int_eq(w.saved_err[0], 0);
	ck_assert_int_eq(w.saved_barrier[0], 0);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), 0);
	free(w.state_path);
	w.state_path = w.cfg.state_file;
	check_state_file(&w, 12);
	free(sub);
	world_free(&w);
}
END_TEST

/* A checkpoint_save_now() that succeeds after a failed save clears the
 * failure at once (checkpoint_failed() says the last save). */
START_TEST(test_save_now_clears_failure)
{
	struct world w;
	char *sub;

	world_init(&w);
	world_start(&w, 0);
	sub = xasprintf("%s/sub", w.dir);
	w.cfg.state_file = xasprintf("%s/state", sub);
	ck_assert_int_eq(checkpoint_save_now(w.ckpt), -1);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), ENOENT);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(checkpoint_save_now(w.ckpt), 0);
	ck_assert_int_eq(checkpoint_failed(w.ckpt), 0);
	free(w.state_path);
	w.state_path = w.cfg.state_file;
	free(sub);
	world_free(&w);
}
END_TEST

/* What checkpoint_written() starts under each fsync policy (_i): never
 * and rotate, no sync; interval, one sync an fsync_interval later for any
 * number of writes; always, one at once. */
START_TEST(test_sync_policy)
{
	static const enum fsync_policy policies[] = {
	    FSYNC_NEVER, FSYNC_ROTATE, FSYNC_INTERVAL, FSYNC_ALWAYS};
	struct world w;
	uint64_t t0;

	world_init(&w);
	w.cfg.fsync = policies[_i];
	world_start(&w, 0);
	t0 = clock_ms();
	checkpoint_written(w.ckpt);
	checkpoint_written(w.ckpt);
	switch (w.cfg.fsync) {
	case FSYNC_NEVER:
	case FSYNC_ROTATE:
		run_for(&w, 3 * SYNC_MS);
		ck_assert_uint_eq(w.nsubmit, 0);
		break;
	case FSYNC_INTERVAL:
		ck_assert_uint_eq(w.nsubmit, 0);
		ck_assert_int_eq(run_until(&w, submitted, WAIT_MS), 1);
		ck_assert_uint_ge(clock_ms() - t0, SYNC_MS - 10);
		ck_assert_int_eq(run_until(&w, pool_idle, WAIT_MS), 1);
		run_for(&w, 3 * SYNC_MS);
		ck_assert_uint_eq(w.nsubmit, 1);
		break;
	case FSYNC_ALWAYS:
		ck_assert_uint_eq(w.nsubmit, 1); /* at once; the second waits */
		ck_assert_int_eq(run_until(&w, pool_idle, WAIT_MS), 1);
		ck_assert_uint_eq(w.nsubmit, 2);
		break;
	}
	ck_assert_int_eq(run_until(&w, pool_idle, WAIT_MS), 1);
	/* Syncs are not saves: no saved callback, but a job_done each. */
	ck_assert_uint_eq(w.nsaved, 0);
	ck_assert_uint_eq(w.nsyncs, w.nsubmit);
	ck_assert_uint_eq(w.njob_done, w.nsubmit);
	ck_assert_int_eq(exists(w.state_path), 0);
	world_free(&w);
}
END_TEST

/* One sync at a time: those asked for while one runs make one more. */
START_TEST(test_sync_one_at_a_time)
{
	struct world w;

	world_init(&w);
	w.cfg.fsync = FSYNC_ALWAYS;
	world_start(&w, 0);
	w.gate = 1;
	for (int i = 0; i < 3; i++)
		checkpoint_written(w.ckpt);
	ck_assert_uint_eq(w.nsubmit, 1);
	run_for(&w, 2 * SYNC_MS);
	ck_assert_uint_eq(w.nsubmit, 1);
	release(&w);
	ck_assert_int_eq(run_until(&w, pool_idle, WAIT_MS), 1);
	run_for(&w, SYNC_MS);
	ck_assert_uint_eq(w.nsubmit, 2);
	ck_assert_uint_eq(w.nsyncs, 2);
	ck_assert_uint_eq(w.max_inflight, 1);
	world_free(&w);
}
END_TEST

/* While paused no sync starts; one asked for meanwhile starts when the
 * pause ends.  After a stop none starts at all. */
START_TEST(test_sync_pause_stop)
{
	struct world w;

	world_init(&w);
	w.cfg.fsync = FSYNC_ALWAYS;
	world_start(&w, 0);
	checkpoint_pause(w.ckpt, 1);
	checkpoint_written(w.ckpt);
	run_for(&w, 2 * SYNC_MS);
	ck_assert_uint_eq(w.nsubmit, 0);
	checkpoint_pause(w.ckpt, 0);
	ck_assert_uint_eq(w.nsubmit, 1);
	ck_assert_int_eq(run_until(&w, pool_idle, WAIT_MS), 1);
	checkpoint_pause(w.ckpt, 1);
	checkpoint_pause(w.ckpt, 0); /* nothing was asked for */
	ck_assert_uint_eq(w.nsubmit, 1);

	checkpoint_stop(w.ckpt);
	checkpoint_stop(NULL); /* NULL is fine */
	checkpoint_written(w.ckpt);
	w.cfg.fsync = FSYNC_INTERVAL;
	checkpoint_written(w.ckpt);
	run_for(&w, 3 * SYNC_MS);
	ck_assert_uint_eq(w.nsubmit, 1);
	/* A stop stops syncs, not saves. */
	checkpoint_dirty(w.ckpt);
	ck_assert_int_eq(run_until(&w, saved_once, WAIT_MS), 1);
	ck_assert_int_eq(w.saved_err[0], 0);
	world_free(&w);
}
END_TEST

/* checkpoint_load(): none yet leaves the state empty; a good one is read;
 * a damaged one is set aside as PATH.bad; one that cannot be read is left
 * where it is. */
START_TEST(test_load)
{
	struct world w;
	struct state st, want = {0};
	struct buf b = {0};
	char *bad, *cause = NULL, *text;
	static const char damaged[] = "tailmux-state 1\noutput 1 2 3 /x\n"
	                              "end 9 12345\n";

	world_init(&w);
	bad = xasprintf("%s.bad", w.state_path);
	checkpoint_load(w.state_path, &st);
	ck_assert_ptr_null(st.out_path);
	ck_assert_uint_eq(st.nfiles, 0);
	ck_assert_int_eq(exists(bad), 0);

	want.out_path = xstrdup("/var/log/merged.log");
	want.out_dev = 5;
	want.out_ino = 6;
	want.out_len = 7;
	state_add(&want, "/in/b.log", 8, 9, 10, 0, 0);
	state_format(&want, &b);
	ck_assert_int_eq(state_write(w.state_path, b.data, b.len, &cause), 0);
	checkpoint_load(w.state_path, &st);
	ck_assert_str_eq(st.out_path, "/var/log/merged.log");
	ck_assert_uint_eq(st.out_ino, 6);
	ck_assert_uint_eq(st.out_len, 7);
	ck_assert_uint_eq(st.nfiles, 1);
	ck_assert_uint_eq(st.files[0].offset, 10);
	ck_assert_int_eq(exists(w.state_path), 1);
	ck_assert_int_eq(exists(bad), 0);
	state_clear(&st);

	write_text(w.state_path, damaged);
	checkpoint_load(w.state_path, &st);
	ck_assert_ptr_null(st.out_path);
	ck_assert_uint_eq(st.nfiles, 0);
	ck_assert_int_eq(exists(w.state_path), 0);
	text = read_text(bad);
	ck_assert_str_eq(text, damaged);
	free(text);

	ck_assert_int_eq(unlink(bad), 0);
	ck_assert_int_eq(mkdir(w.state_path, 0700), 0); /* cannot be read */
	checkpoint_load(w.state_path, &st);
	ck_assert_ptr_null(st.out_path);
	ck_assert_int_eq(exists(w.state_path), 1);
	ck_assert_int_eq(exists(bad), 0);
	ck_assert_int_eq(rmdir(w.state_path), 0);

	state_clear(&want);
	buf_free(&b);
	free(bad);
	world_free(&w);
}
END_TEST

/* Reopens the world's output on a file holding `text'. */
static void
reopen_on(struct world *w, const char *text)
{
	static const struct output_cbs ocbs = {out_committed, out_nothing,
	                                       out_nothing, NULL};
	char *cause = NULL;

	output_close(w->out);
	write_text(w->out_path, text);
	w->out = output_open(w->base, w->out_path, &ocbs, &cause);
	ck_assert_msg(w->out != NULL, "%s", cause);
}

/* A checkpoint naming the open output: cut back to its length when the
 * file is longer, left as it is when shorter; none: nothing is done; with
 * bytes still pending it refuses. */
START_TEST(test_cut_back_same)
{
	struct world w;
	struct state st = {0};
	struct buf b = {0};
	struct output_mark mark = {0, 0, 0};
	char *text;

	world_init(&w);
	reopen_on(&w, "one\ntwo\nthree\n");
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	ck_assert_uint_eq(file_size(w.out_path), 14);

	st.out_path = xstrdup(w.out_path);
	output_identity(w.out, &st.out_dev, &st.out_ino);
	st.out_len = 8;
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	text = read_text(w.out_path);
	ck_assert_str_eq(text, "one\ntwo\n");
	free(text);
	ck_assert_uint_eq(output_committed(w.out), 8);

	st.out_len = 100; /* longer than the file: lines were lost, no cut */
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	ck_assert_uint_eq(file_size(w.out_path), 8);
	ck_assert_uint_eq(output_committed(w.out), 8);

	st.out_len = 4;
	buf_add(&b, "four\n", 5);
	output_append(w.out, &b, &mark); /* pending, not written yet */
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), -1);
	ck_assert_uint_eq(file_size(w.out_path), 8);
	state_clear(&st);
	world_free(&w);
}
END_TEST

/* A checkpoint naming an output replaced since: the file it names is found
 * in the directory and cut back there.  Moved to a name not ours
 * (logrotate's), the new output is left alone; if it is gone, nothing is
 * cut. */
START_TEST(test_cut_back_replaced)
{
	struct world w;
	struct state st = {0};
	char *old, *text;

	world_init(&w);
	old = xasprintf("%s/out.log.1", w.dir);
	reopen_on(&w, "one\ntwo\nthree\n");
	st.out_path = xstrdup(w.out_path);
	output_identity(w.out, &st.out_dev, &st.out_ino);
	ck_assert_int_eq(rename(w.out_path, old), 0);
	reopen_on(&w, "new\n");

	st.out_len = 100; /* longer: left as it is */
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	ck_assert_uint_eq(file_size(old), 14);
	st.out_len = 4;
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	text = read_text(old);
	ck_assert_str_eq(text, "one\n");
	free(text);
	text = read_text(w.out_path);
	ck_assert_str_eq(text, "new\n");
	free(text);
	ck_assert_uint_eq(output_committed(w.out), 4);

	ck_assert_int_eq(unlink(old), 0);
	st.out_len = 0;
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	ck_assert_uint_eq(file_size(w.out_path), 4);
	state_clear(&st);
	free(old);
	world_free(&w);
}
END_TEST

/* A checkpoint naming the file a rotation of ours renamed (a crash before
 * the save naming the new one): that file is cut back to its length and
 * the new output, made by the rotation after the checkpoint, to 0.  The
 * same name beside another output path (a reload moved it) cuts only the
 * file the checkpoint names. */
START_TEST(test_cut_back_rotated)
{
	struct world w;
	struct state st = {0};
	char *old, *text;

	world_init(&w);
	old = xasprintf("%s/out.log.20200101-000000.000", w.dir);
	reopen_on(&w, "one\ntwo\nthree\n");
	st.out_path = xstrdup(w.out_path);
	output_identity(w.out, &st.out_dev, &st.out_ino);
	ck_assert_int_eq(rename(w.out_path, old), 0);
	reopen_on(&w, "new\n");

	st.out_len = 8;
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	text = read_text(old);
	ck_assert_str_eq(text, "one\ntwo\n");
	free(text);
	ck_assert_uint_eq(file_size(w.out_path), 0);
	ck_assert_uint_eq(output_committed(w.out), 0);

	reopen_on(&w, "again\n");
	free(st.out_path);
	st.out_path = xasprintf("%s/elsewhere.log", w.dir);
	ck_assert_int_eq(rename(old, st.out_path), 0);
	free(old);
	old = xasprintf("%s/elsewhere.log.20200101-000000.000", w.dir);
	ck_assert_int_eq(rename(st.out_path, old), 0);
	st.out_len = 4;
	ck_assert_int_eq(checkpoint_cut_back(w.out, &st), 0);
	ck_assert_uint_eq(file_size(old), 4);
	ck_assert_uint_eq(file_size(w.out_path), 6);
	state_clear(&st);
	free(old);
	world_free(&w);
}
END_TEST

static Suite *
checkpoint_suite(void)
{
	Suite *s = suite_create("checkpoint");
	TCase *tc;

	tc = tcase_create("save");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dirty_saves);
	tcase_add_test(tc, test_idle);
	tcase_add_test(tc, test_once);
	tcase_add_test(tc, test_held);
	tcase_add_test(tc, test_one_save_at_a_time);
	tcase_add_test(tc, test_save_barrier);
	tcase_add_loop_test(tc, test_failed_save_retried, 0, 2);
	tcase_add_test(tc, test_save_now);
	tcase_add_test(tc, test_save_now_clears_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("sync");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sync_policy, 0, 4);
	tcase_add_test(tc, test_sync_one_at_a_time);
	tcase_add_test(tc, test_sync_pause_stop);
	suite_add_tcase(s, tc);

	tc = tcase_create("start");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_cut_back_same);
	tcase_add_test(tc, test_cut_back_replaced);
	tcase_add_test(tc, test_cut_back_rotated);
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
	return tmcheck_run(checkpoint_suite());
}
