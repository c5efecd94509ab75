/*
 * pool: N worker threads running jobs popped from a queue.
 *
 * Each thread has a state made before any thread starts (a libcurl
 * handle, say), so a failure to make one fails pool_new() cleanly instead
 * of leaving a half-started pool.  Shutdown is a message through the
 * queue: close it, and each thread exits once the queue is drained.
 */
#ifndef FA_POOL_H
#define FA_POOL_H

#include "err.h"
#include "queue.h"

struct pool_ops {
	/* Makes thread `index`'s state from ctx; NULL fails pool_new(). */
	void *(*thread_init)(void *ctx, unsigned index);
	/* Runs one job on a thread's state; takes ownership of job. */
	void (*run)(void *state, void *job);
	/* Frees a thread's state (also for states of a failed pool_new). */
	void (*thread_fini)(void *state);
};

struct pool;

/*
 * Makes nthreads states, then starts nthreads threads that pop from
 * `jobs` until it is closed and empty.  jobs, ops and ctx are borrowed
 * until pool_join().  On failure returns FA_ERR_NOMEM or FA_ERR_THREAD and
 * leaves nothing running (threads already started are stopped by closing
 * `jobs` and joined).  Not thread-safe: call from one thread.
 */
enum fa_err pool_new(unsigned nthreads, struct queue *jobs, const struct pool_ops *ops, void *ctx,
		     struct pool **out);

/* Waits for every thread to finish (someone must close the queue), frees
 * the states and the pool.  NULL is fine. */
void pool_join(struct pool *pool);

#endif
