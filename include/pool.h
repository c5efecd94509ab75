/*
 * pool: up to N worker threads running jobs popped from a queue, started
 * as jobs need them.
 *
 * Each thread has a state made before any thread starts (a libcurl
 * handle, say), so a failure to make one fails pool_new() cleanly instead
 * of leaving a half-started pool.  Jobs come from a source (a queue, the
 * frontier) through ops->next; shutdown is a message through the source:
 * close it, and each thread is done with it once next() says there is no
 * more.  The threads of a pool made with POOL_EACH then wait for a batch
 * of pool_each() work or for pool_join(); the others end there.
 */
#ifndef FA_POOL_H
#define FA_POOL_H

#include <stddef.h>

#include "err.h"
#include "queue.h"

struct pool_ops {
	/* Makes thread `index`'s state from ctx; NULL fails pool_new(). */
	void *(*thread_init)(void *ctx, unsigned index);
	/* Runs one job on a thread's state; takes ownership of job. */
	void (*run)(void *state, void *job);
	/* Frees a thread's state: on the thread itself once next() has
	 * failed, in a pool without POOL_EACH (so before pool_wait_idle()
	 * returns); else, and for states of threads that never started or
	 * of a failed pool_new(), in pool_join(). */
	void (*thread_fini)(void *state);
	/* Blocks for the source's next job for the thread with `state`;
	 * anything but FA_OK ends the thread.  Thread-safe. */
	enum fa_err (*next)(void *source, void *state, void **job);
	/* Makes every next() fail from now on (used if starting fails). */
	void (*close)(void *source);
};

/* next/close for a struct queue source. */
enum fa_err pool_queue_next(void *queue, void *state, void **job);
void pool_queue_close(void *queue);

struct pool;

/* pool_new() flag: the pool is to run pool_each() batches, so its threads
 * wait for them once the source is spent.  Without it a thread leaves as
 * soon as next() fails, and pool_each() is not to be called. */
#define POOL_EACH 1u

/*
 * Makes nthreads states, then starts a thread that takes jobs from
 * `source` until ops->next fails; a thread that takes a job while no
 * other waits for one starts another, up to nthreads (one that cannot be
 * started leaves the pool with the threads it has).  source, ops and ctx
 * are borrowed until pool_join(); flags: POOL_EACH or 0.  On failure
 * returns FA_ERR_NOMEM or
 * FA_ERR_THREAD and leaves nothing running.  Not thread-safe: call from
 * one thread.
 */
enum fa_err pool_new(unsigned nthreads, const struct pool_ops *ops, void *ctx, void *source,
		     unsigned flags, struct pool **out);

/* Returns once every thread is done with the source (next() has failed on
 * each) and with any pool_each() batch.  Call from the thread that made
 * the pool. */
void pool_wait_idle(struct pool *pool);

/*
 * Once the source is spent (next() has failed on every thread), runs
 * fn(arg, i) for each i in [0, n) on at most `width` of the pool's threads,
 * each taking the next i; returns when all are done.  For work after the
 * job source, such as --convert-links' pass over the saved pages, so that
 * it needs no threads of its own.  The caller waits; call from the
 * thread that made the pool, never from a pool thread.
 */
void pool_each(struct pool *pool, unsigned width, size_t n, void (*fn)(void *arg, size_t i),
	       void *arg);

/* Waits for every thread to finish (someone must close the source), frees
 * the states and the pool.  NULL is fine. */
void pool_join(struct pool *pool);

#endif
