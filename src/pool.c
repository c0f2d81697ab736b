/* pool.c -- a fixed set of worker threads and the queues to and from them.
 *
 * Lock order: the two mutexes are never held together.  `lock' guards the
 * job queue and `stopping'; `done_lock' guards the completion queue. */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "pool.h"
#include "xmalloc.h"

struct pool_queue {
	struct pool_job *head;
	struct pool_job **tail;
};

struct pool {
	struct event_base *base;
	struct event *wake; /* activated by workers, runs on the loop */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pool_queue jobs;
	int stopping;

	pthread_mutex_t done_lock;
	struct pool_queue done;

	pthread_t *threads;
	unsigned nthreads;
	size_t busy; /* loop thread only */
};

static void
pool_queue_init(struct pool_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
pool_queue_push(struct pool_queue *q, struct pool_job *job)
{
	job->next = NULL;
	*q->tail = job;
	q->tail = &job->next;
}

/* Takes every job done so far and runs their callbacks, unlocked. */
static void
pool_drain(struct pool *pool)
{
	struct pool_job *job, *next;

	pthread_mutex_lock(&pool->done_lock);
	job = pool->done.head;
	pool_queue_init(&pool->done);
	pthread_mutex_unlock(&pool->done_lock);

	for (; job != NULL; job = next) {
		next = job->next;
		pool->busy--;
		job->done(job);
	}
}

static void
pool_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pool_drain(arg);
}

static void *
pool_worker(void *arg)
{
	struct pool *pool = arg;
	struct pool_job *job;
	int was_empty;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->jobs.head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->lock);
		job = pool->jobs.head;
		if (job == NULL) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		pool->jobs.head = job->next;
		if (pool->jobs.head == NULL)
			pool->jobs.tail = &pool->jobs.head;
		pthread_mutex_unlock(&pool->lock);

		job->run(job);

		pthread_mutex_lock(&pool->done_lock);
		was_empty = pool->done.head == NULL;
		pool_queue_push(&pool->done, job);
		pthread_mutex_unlock(&pool->done_lock);
		if (was_empty)
			event_active(pool->wake, EV_READ, 0);
	}
}

struct pool *
pool_create(struct event_base *base, unsigned nthreads)
{
	struct pool *pool = xcalloc(1, sizeof *pool);
	sigset_t all, old;
	int r;

	pool->base = base;
	pool->wake = event_new(base, -1, 0, pool_wake_cb, pool);
	if (pool->wake == NULL)
		fatalx("cannot create the worker wake-up event");
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pthread_mutex_init(&pool->done_lock, NULL);
	pool_queue_init(&pool->jobs);
	pool_queue_init(&pool->done);
	pool->threads = xcalloc(nthreads, sizeof *pool->threads);

	/* Signals belong to the loop thread: workers inherit this mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; pool->nthreads < nthreads; pool->nthreads++) {
		r = pthread_create(&pool->threads[pool->nthreads], NULL,
		                   pool_worker, pool);
		if (r != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			pool_free(pool);
			errno = r;
			return NULL;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pool;
}

void
pool_submit(struct pool *pool, struct pool_job *job)
{
	pool->busy++;
	pthread_mutex_lock(&pool->lock);
	pool_queue_push(&pool->jobs, job);
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

size_t
pool_busy(const struct pool *pool)
{
	return pool->busy;
}

void
pool_free(struct pool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pool_drain(pool);
	event_free(pool->wake);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->done_lock);
	free(pool->threads);
	free(pool);
}
