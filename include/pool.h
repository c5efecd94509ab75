/*
 * pool: N worker threads running jobs popped from a queue.
 *
 * Each thread has a state made before any thread starts (a libcurl
 * handle, say), so a failure to make one fails pool_new() cleanly instead
 * of leaving a half-started pool.  Jobs come from a source (a queue, the
 * frontier) through ops->next; shutdown is a message through the source:
 * close it, and each thread exits once next() says there is no more.
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
	/* Blocks for the source's next job; anything but FA_OK ends the
	 * thread.  Thread-safe. */
	enum fa_err (*next)(void *source, void **job);
	/* Makes every next() fail from now on (used if starting fails). */
	void (*close)(void *source);
};

/* next/close for a struct queue source. */
enum fa_err pool_queue_next(void *queue, void **job);
void pool_queue_close(void *queue);

struct pool;

/*
 * Makes nthreads states, then starts nthreads threads that take jobs from
 * `source` until ops->next fails.  source, ops and ctx are borrowed until
 * pool_join().  On failure returns FA_ERR_NOMEM or FA_ERR_THREAD and
 * leaves nothing running (threads already started are stopped with
 * ops->close and joined).  Not thread-safe: call from one thread.
 */
enum fa_err pool_new(unsigned nthreads, const struct pool_ops *ops, void *ctx, void *source,
		     struct pool **out);

/* Waits for every thread to finish (someone must close the source), frees
 * the states and the pool.  NULL is fine. */
void pool_join(struct pool *pool);

#endif
