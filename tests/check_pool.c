/* check_pool.c -- unit tests for pool.c: jobs run on workers, finish on
 * the loop thread, exactly once each, with signals kept off the workers. */
#include "autoconf.h"

#include "pool.h"

#include "tmcheck.h"
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

/* How long a test waits for its jobs before it gives up. */
#define DEADLINE_SEC 30

/* One test's shared state; the loop thread owns all of it but `runs'. */
struct world {
	struct event_base *base;
	struct event *deadline;
	struct pool *pool;
	pthread_t loop_thread;
	size_t want; /* done callbacks to wait for */
	size_t ndone;
	int timed_out;
	int wrong_thread; /* a done ran off the loop thread */
	size_t *order;    /* ids in the order their done ran */
	size_t norder;
	pthread_t workers[64];
	size_t nworkers;
};

struct job {
	struct pool_job pj; /* first, so a pool_job is a job */
	struct world *w;
	size_t id;
	atomic_int runs;
	int dones;
	int generations; /* resubmissions left */
	pthread_t ran_on;
	int sig_ok; /* every signal was blocked in run */
	uint64_t work;
	uint64_t spin;
};

/* The deadline: stop the loop so the test fails instead of hanging. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;

	w->timed_out = 1;
	event_base_loopbreak(w->base);
}

/* Creates the base, a pool of `nthreads' and an armed deadline. */
static void
world_init(struct world *w, unsigned nthreads, size_t njobs)
{
	struct timeval tv = {DEADLINE_SEC, 0};

	memset(w, 0, sizeof *w);
	w->base = event_base_new();
	ck_assert_ptr_nonnull(w->base);
	w->loop_thread = pthread_self();
	w->deadline = evtimer_new(w->base, deadline_cb, w);
	ck_assert_ptr_nonnull(w->deadline);
	ck_assert_int_eq(evtimer_add(w->deadline, &tv), 0);
	w->order = calloc(njobs + 1, sizeof *w->order);
	ck_assert_ptr_nonnull(w->order);
	w->norder = njobs + 1;
	w->pool = pool_create(w->base, nthreads);
	ck_assert_ptr_nonnull(w->pool);
	ck_assert_uint_eq(pool_busy(w->pool), 0);
}

/* Frees what world_init() made (the pool too, if still there). */
static void
world_free(struct world *w)
{
	pool_free(w->pool);
	event_free(w->deadline);
	event_base_free(w->base);
	free(w->order);
}

/* Runs the loop until `want' done callbacks have run or the deadline. */
static void
world_wait(struct world *w)
{
	if (w->ndone < w->want)
		event_base_loop(w->base, 0);
	ck_assert_msg(!w->timed_out, "timed out: %zu of %zu jobs done",
	              w->ndone, w->want);
}

/* A job's work on a worker: a little arithmetic, and notes. */
static void
job_run(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;
	uint64_t x = j->id + 1;

	for (int i = 0; i < 200; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	j->work = x;
	j->ran_on = pthread_self();
	atomic_fetch_add(&j->runs, 1);
}

/* Records that this done ran, where, and in which order. */
static void
job_note_done(struct job *j)
{
	struct world *w = j->w;

	if (!pthread_equal(pthread_self(), w->loop_thread))
		w->wrong_thread = 1;
	j->dones++;
	if (w->ndone < w->norder)
		w->order[w->ndone] = j->id;
	w->ndone++;
	for (size_t i = 0; i < w->nworkers; i++)
		if (pthread_equal(w->workers[i], j->ran_on))
			return;
	if (w->nworkers < sizeof w->workers / sizeof w->workers[0])
		w->workers[w->nworkers++] = j->ran_on;
}

/* A job's completion on the loop thread. */
static void
job_done(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;

	job_note_done(j);
	if (j->w->ndone == j->w->want)
		event_base_loopbreak(j->w->base);
}

/* Makes `n' jobs for world w. */
static struct job *
jobs_new(struct world *w, size_t n, void (*run)(struct pool_job *),
         void (*done)(struct pool_job *))
{
	struct job *jobs = calloc(n, sizeof *jobs);

	ck_assert_ptr_nonnull(jobs);
	for (size_t i = 0; i < n; i++) {
		jobs[i].pj.run = run;
		jobs[i].pj.done = done;
		jobs[i].w = w;
		jobs[i].id = i;
		atomic_init(&jobs[i].runs, 0);
	}
	return jobs;
}

/* Asserts each job ran `times' times on a worker, had as many done calls
 * on the loop thread, and computed the right thing. */
static void
jobs_check(struct world *w, struct job *jobs, size_t n, int times)
{
	ck_assert_int_eq(w->wrong_thread, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t x = i + 1;

		for (int k = 0; k < 200; k++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if (atomic_load(&jobs[i].runs) != times ||
		    jobs[i].dones != times)
			ck_abort_msg("job %zu: ran %d times, done %d times", i,
			             atomic_load(&jobs[i].runs), jobs[i].dones);
		if (jobs[i].work != x)
			ck_abort_msg("job %zu: wrong result", i);
		if (pthread_equal(jobs[i].ran_on, w->loop_thread))
			ck_abort_msg("job %zu ran on the loop thread", i);
	}
	ck_assert_uint_ge(w->nworkers, 1);
}

START_TEST(test_many_jobs)
{
	const size_t n = 10000;
	struct world w;
	struct job *jobs;

	world_init(&w, 4, n);
	jobs = jobs_new(&w, n, job_run, job_done);
	w.want = n;
	for (size_t i = 0; i < n; i++)
		pool_submit(w.pool, &jobs[i].pj);
	/* No done can run before the loop does. */
	ck_assert_uint_eq(pool_busy(w.pool), n);
	world_wait(&w);
	ck_assert_uint_eq(w.ndone, n);
	ck_assert_uint_eq(pool_busy(w.pool), 0);
	jobs_check(&w, jobs, n, 1);
	ck_assert_uint_le(w.nworkers, 4);

	/* The pool takes more work after going idle. */
	w.want = 2 * n;
	for (size_t i = 0; i < n; i++)
		pool_submit(w.pool, &jobs[i].pj);
	ck_assert_uint_eq(pool_busy(w.pool), n);
	world_wait(&w);
	ck_assert_uint_eq(pool_busy(w.pool), 0);
	jobs_check(&w, jobs, n, 2);

	world_free(&w);
	free(jobs);
}
END_TEST

/* With one worker, jobs finish in the order they were submitted. */
START_TEST(test_one_worker_order)
{
	const size_t n = 1000;
	struct world w;
	struct job *jobs;

	world_init(&w, 1, n);
	jobs = jobs_new(&w, n, job_run, job_done);
	w.want = n;
	for (size_t i = 0; i < n; i++)
		pool_submit(w.pool, &jobs[i].pj);
	world_wait(&w);
	jobs_check(&w, jobs, n, 1);
	ck_assert_uint_eq(w.nworkers, 1);
	for (size_t i = 0; i < n; i++)
		if (w.order[i] != i)
			ck_abort_msg("done %zu was job %zu", i, w.order[i]);
	world_free(&w);
	free(jobs);
}
END_TEST

/* A done that submits its job again until its generations run out. */
static void
job_done_again(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;

	job_note_done(j);
	if (j->generations-- > 0) {
		pool_submit(j->w->pool, pj);
		return;
	}
	if (j->w->ndone == j->w->want)
		event_base_loopbreak(j->w->base);
}

START_TEST(test_submit_from_done)
{
	const size_t n = 200;
	const int gens = 25;
	struct world w;
	struct job *jobs;

	world_init(&w, 4, n * (gens + 1));
	jobs = jobs_new(&w, n, job_run, job_done_again);
	for (size_t i = 0; i < n; i++)
		jobs[i].generations = gens;
	w.want = n * (size_t)(gens + 1);
	for (size_t i = 0; i < n; i++)
		pool_submit(w.pool, &jobs[i].pj);
	world_wait(&w);
	ck_assert_uint_eq(w.ndone, w.want);
	ck_assert_uint_eq(pool_busy(w.pool), 0);
	jobs_check(&w, jobs, n, gens + 1);
	world_free(&w);
	free(jobs);
}
END_TEST

/* A job slow enough that pool_free() surely finds others still queued. */
static void
job_run_slow(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;
	uint64_t x = j->id;

	for (int i = 0; i < 20000; i++)
		x = x * 2862933555777941757ULL + 3037000493ULL;
	j->spin = x;
	job_run(pj);
}

START_TEST(test_free_finishes_queued)
{
	const size_t n = 2000;
	struct world w;
	struct job *jobs;

	world_init(&w, 2, n);
	jobs = jobs_new(&w, n, job_run_slow, job_done);
	w.want = n + 1; /* never break the loop: it does not run anyway */
	for (size_t i = 0; i < n; i++)
		pool_submit(w.pool, &jobs[i].pj);
	ck_assert_uint_eq(pool_busy(w.pool), n);
	pool_free(w.pool);
	w.pool = NULL;
	/* Every job ran and had its done, here, on the loop thread. */
	ck_assert_uint_eq(w.ndone, n);
	jobs_check(&w, jobs, n, 1);
	world_free(&w);
	free(jobs);
}
END_TEST

START_TEST(test_free_idle)
{
	struct world w;

	pool_free(NULL);
	world_init(&w, 3, 0);
	pool_free(w.pool);
	w.pool = NULL;
	world_free(&w);
}
END_TEST

/* A job that checks that every signal is blocked in its thread. */
static void
job_run_sigmask(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;
	sigset_t set;
	int ok = 1;

	if (pthread_sigmask(SIG_BLOCK, NULL, &set) != 0)
		ok = 0;
	for (int sig = 1; sig < SIGRTMIN && ok; sig++) {
		/* These cannot be blocked at all. */
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc keeps its own (32, 33) out of every mask. */
		if (sig > 31)
			continue;
		if (sigismember(&set, sig) != 1)
			ok = 0;
	}
	for (int sig = SIGRTMIN; sig <= SIGRTMAX && ok; sig++)
		if (sigismember(&set, sig) != 1)
			ok = 0;
	j->sig_ok = ok;
	job_run(pj);
}

/* Which thread ran the SIGUSR1 handler. */
static pthread_t sig_thread;
static volatile sig_atomic_t sig_count;

/* Notes the thread the signal came to. */
static void
sigusr1_handler(int sig)
{
	sig_thread = pthread_self();
	sig_count++;
}

START_TEST(test_workers_block_signals)
{
	const size_t n = 64;
	struct world w;
	struct job *jobs;
	sigset_t before, after;
	struct sigaction sa;

	/* The loop thread's own mask: SIGUSR2 blocked, SIGUSR1 not. */
	sigemptyset(&before);
	sigaddset(&before, SIGUSR2);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &before, NULL), 0);

	world_init(&w, 4, n);
	jobs = jobs_new(&w, n, job_run_sigmask, job_done);
	w.want = n;
	for (size_t i = 0; i < n; i++)
		pool_submit(w.pool, &jobs[i].pj);
	world_wait(&w);
	jobs_check(&w, jobs, n, 1);
	for (size_t i = 0; i < n; i++)
		if (!jobs[i].sig_ok)
			ck_abort_msg("job %zu ran with a signal unblocked", i);

	/* pool_create() gave the loop thread its mask back. */
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
	ck_assert_int_eq(sigismember(&after, SIGUSR2), 1);
	ck_assert_int_eq(sigismember(&after, SIGUSR1), 0);
	ck_assert_int_eq(sigismember(&after, SIGTERM), 0);

	/* A signal for the process, blocked here while the workers live,
	 * stays pending for this thread: no worker takes it. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sigusr1_handler;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	for (int i = 0; i < 20; i++) {
		sigset_t usr1, pending;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sig_count = 0;
		ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
		ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
		ck_assert_int_eq(sigpending(&pending), 0);
		ck_assert_int_eq(sigismember(&pending, SIGUSR1), 1);
		/* Unblocking delivers it here before the call returns. */
		ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), 0);
		ck_assert_int_eq(sig_count, 1);
		ck_assert(pthread_equal(sig_thread, pthread_self()));
	}
	world_free(&w);
	free(jobs);
}
END_TEST

/* The suite; every test gets its own base and pool. */
static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	tcase_set_timeout(tc, 2 * DEADLINE_SEC);
	tcase_add_test(tc, test_many_jobs);
	tcase_add_test(tc, test_one_worker_order);
	tcase_add_test(tc, test_submit_from_done);
	tcase_add_test(tc, test_free_finishes_queued);
	tcase_add_test(tc, test_free_idle);
	tcase_add_test(tc, test_workers_block_signals);
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
	return tmcheck_run(pool_suite());
}
