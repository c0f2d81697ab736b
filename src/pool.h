/* pool.h -- a fixed set of worker threads and the queues to and from them.
 *
 * The loop thread submits jobs; a worker runs each job's `run' off the loop;
 * the finished job goes back through one completion queue, and its `done'
 * runs on the loop thread.  The loop is woken with event_active() only when
 * that queue goes from empty to non-empty, and each wake-up drains it. */
#ifndef TAILMUX_POOL_H
#define TAILMUX_POOL_H

#include <stddef.h>

struct event_base;
struct pool;

struct pool_job {
	struct pool_job *next;
	void (*run)(struct pool_job *job);  /* on a worker thread */
	void (*done)(struct pool_job *job); /* on the loop thread */
};

/* Starts `nthreads' workers, with every signal blocked in them.  The base
 * must have been created after evthread_use_pthreads().  Returns NULL and
 * sets errno when a thread cannot be started. */
struct pool *pool_create(struct event_base *base, unsigned nthreads);

/* Queues a job; loop thread only. */
void pool_submit(struct pool *pool, struct pool_job *job);

/* Jobs submitted whose `done' has not run yet; loop thread only. */
size_t pool_busy(const struct pool *pool);

/* Lets the workers finish every queued job, stops them, runs the remaining
 * `done' callbacks (which must not submit jobs) and frees the pool; loop
 * thread only.  NULL is fine. */
void pool_free(struct pool *pool);

#endif
