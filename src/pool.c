/*
 * pool: a set of threads draining one job source.
 *
 * Modelled on libuv's threadpool: the source (a queue, the frontier) is
 * the only shared state of the jobs and carries its own lock; threads
 * block in its next() until it reports that no job will come, so no job is
 * lost or run twice.  Then each thread says it is idle and, in a pool
 * made with POOL_EACH, waits on the pool's own lock for a pool_each()
 * batch (an index handed out by one atomic counter) or for pool_join(),
 * which is "close the source, join every thread"; in any other pool it
 * ends there, and pool_join() only reaps it.  The threads run on stacks
 * from one mapping (stacks.h says why).  States are made up front on
 * the caller's thread.  A
 * failed pthread call other than create aborts: it means a broken
 * invariant, not a condition to handle.
 *
 * Threads start as they are needed, up to nthreads: pool_new() starts
 * one, and a thread that takes a job while no other waits in next()
 * starts the next (under the lock, never once pool_join() has begun).  A
 * thread costs about 0.1 ms to start here, so a run of one URL at -j 16
 * spent 1.4 ms, a fifth of its time, starting fifteen threads it never
 * used; a long list still has all of them within a few jobs.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"
#include "queue.h"
#include "stacks.h"
#include "sync.h"

struct worker {
	struct pool *pool;
	pthread_t thread;
	void *state;
	bool started;
};

struct pool {
	void *source;
	const struct pool_ops *ops;
	unsigned nthreads;
	struct worker *workers;
	struct stacks *stacks; /* the threads' (stacks.h); NULL: glibc's */
	atomic_uint waiting;   /* threads in the source's next() */
	atomic_bool all_started;
	bool each;  /* POOL_EACH: threads stay for pool_each() batches */
	int policy; /* pool_new()'s caller's (policy.h) */

	/* Once the source is spent, threads wait on `cond` for a pool_each()
	 * batch or for pool_join(), and the caller waits on `changed` for
	 * `idle` or `finished` to reach `started`; all under lock.  Two
	 * conditions, because one woke every idle thread each time another
	 * went idle: sixteen threads ending a list made some 250 futex calls
	 * in the millisecond before pool_wait_idle() returned. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t changed;
	unsigned started;  /* threads running */
	unsigned idle;     /* of them, done with the source and the last batch */
	unsigned finished; /* of them, done with this batch */
	unsigned joined;   /* of them, that took a place in this batch */
	unsigned long gen; /* batches posted */
	bool closing;      /* pool_join(): leave */
	/* the batch */
	unsigned width;
	size_t n;
	atomic_size_t next_index;
	void (*fn)(void *arg, size_t i);
	void *arg;
};

/* One pool_each() batch on this thread, if it has a place in it. */
static void batch(struct pool *p)
{
	unsigned place;

	sync_lock(&p->lock);
	place = p->joined++;
	sync_unlock(&p->lock);
	if (place < p->width) {
		for (size_t i = atomic_fetch_add(&p->next_index, 1); i < p->n;
		     i = atomic_fetch_add(&p->next_index, 1))
			p->fn(p->arg, i);
	}
	sync_lock(&p->lock);
	p->finished++;
	sync_must(pthread_cond_signal(&p->changed), "pthread_cond_signal");
	sync_unlock(&p->lock);
}

static void *work(void *arg);

/* With p->lock held: starts thread p->started, if there is one to start
 * and pool_join() has not begun; false if none was started. */
static bool start_locked(struct pool *p)
{
	struct worker *w;
	pthread_attr_t attr;
	bool attr_made;
	int rc;

	if (p->closing || p->started >= p->nthreads)
		return false;
	w = &p->workers[p->started];
	attr_made = stacks_attr(p->stacks, p->started, &attr);
	rc = pthread_create(&w->thread, attr_made ? &attr : NULL, work, w);
	if (attr_made)
		pthread_attr_destroy(&attr);
	if (rc != 0)
		return false; /* the run goes on with the threads it has */
	w->started = true;
	if (++p->started == p->nthreads)
		atomic_store(&p->all_started, true);
	return true;
}

/* A thread took a job: one more thread, if none is left waiting for the
 * next job and not all have started. */
static void grow(struct pool *p)
{
	if (atomic_load(&p->all_started) || atomic_load(&p->waiting) > 0)
		return;
	sync_lock(&p->lock);
	start_locked(p);
	sync_unlock(&p->lock);
}

/* The source's next job for w, counted as a thread waiting for one. */
static enum fa_err next_job(struct pool *p, struct worker *w, void **job)
{
	enum fa_err err;

	atomic_fetch_add(&p->waiting, 1);
	err = p->ops->next(p->source, w->state, job);
	atomic_fetch_sub(&p->waiting, 1);
	return err;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	void *job;

	policy_restore(p->policy); /* started by a fetch thread, maybe batch */
	for (;;) {
		unsigned long gen;

		while (next_job(p, w, &job) == FA_OK) {
			grow(p);
			p->ops->run(w->state, job);
		}
		if (!p->each) {
			/* No batch will come: the state goes now, on this
			 * thread, while others may still run their last jobs,
			 * not in pool_join() after the last of them (sixteen
			 * libcurl handles freed one after another there, a
			 * quarter of a millisecond, were on every run's way
			 * to its end).  pool_join() sees NULL. */
			p->ops->thread_fini(w->state);
			w->state = NULL;
		}
		sync_lock(&p->lock);
		p->idle++;
		sync_must(pthread_cond_signal(&p->changed), "pthread_cond_signal");
		if (!p->each) { /* no batch will come: leave now, not on a
				 * pool_join() wake-up, which woke the threads one
				 * after another through the lock */
			sync_unlock(&p->lock);
			return NULL;
		}
		gen = p->gen;
		while (p->gen == gen && !p->closing)
			sync_must(pthread_cond_wait(&p->cond, &p->lock), "pthread_cond_wait");
		if (p->gen == gen) { /* closing, and no batch left to run */
			sync_unlock(&p->lock);
			return NULL;
		}
		sync_unlock(&p->lock);
		batch(p);
	}
}

void pool_wait_idle(struct pool *p)
{
	sync_lock(&p->lock);
	while (p->idle < p->started)
		sync_must(pthread_cond_wait(&p->changed, &p->lock), "pthread_cond_wait");
	sync_unlock(&p->lock);
}

void pool_each(struct pool *p, unsigned width, size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
	if (!p->each) {
		fprintf(stderr, "fetchall: internal error: pool_each() on a pool made without "
				"POOL_EACH\n");
		abort();
	}
	sync_lock(&p->lock);
	/* threads for the batch's width that the source never needed: they
	 * find it spent and count as idle before the batch is posted */
	while (p->started < width && start_locked(p))
		;
	while (p->idle < p->started)
		sync_must(pthread_cond_wait(&p->changed, &p->lock), "pthread_cond_wait");
	p->idle = p->finished = p->joined = 0;
	p->width = width ? width : 1;
	p->n = n;
	atomic_store(&p->next_index, 0);
	p->fn = fn;
	p->arg = arg;
	p->gen++;
	sync_must(pthread_cond_broadcast(&p->cond), "pthread_cond_broadcast");
	while (p->finished < p->started)
		sync_must(pthread_cond_wait(&p->changed, &p->lock), "pthread_cond_wait");
	sync_unlock(&p->lock);
}

static void release(struct pool *p)
{
	sync_lock(&p->lock);
	p->closing = true;
	sync_must(pthread_cond_broadcast(&p->cond), "pthread_cond_broadcast");
	sync_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++) {
		if (p->workers[i].started)
			sync_must(pthread_join(p->workers[i].thread, NULL), "pthread_join");
		if (p->workers[i].state)
			p->ops->thread_fini(p->workers[i].state);
	}
	stacks_free(p->stacks); /* every thread on them is joined */
	sync_must(pthread_cond_destroy(&p->cond), "pthread_cond_destroy");
	sync_must(pthread_cond_destroy(&p->changed), "pthread_cond_destroy");
	sync_must(pthread_mutex_destroy(&p->lock), "pthread_mutex_destroy");
	free(p->workers);
	free(p);
}

enum fa_err pool_queue_next(void *queue, void *state, void **job)
{
	(void)state;
	return queue_pop(queue, job);
}

void pool_queue_close(void *queue)
{
	queue_close(queue);
}

enum fa_err pool_new(unsigned nthreads, const struct pool_ops *ops, void *ctx, void *source,
		     unsigned flags, struct pool **out)
{
	struct pool *p;
	enum fa_err err = FA_OK;

	*out = NULL;
	if (nthreads == 0 || !source || !ops)
		return FA_ERR_ARG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return FA_ERR_NOMEM;
	p->workers = calloc(nthreads, sizeof(*p->workers));
	if (!p->workers) {
		free(p);
		return FA_ERR_NOMEM;
	}
	p->source = source;
	p->ops = ops;
	p->each = flags & POOL_EACH;
	p->stacks = stacks_new(nthreads);
	p->nthreads = nthreads;
	sync_must(pthread_mutex_init(&p->lock, NULL), "pthread_mutex_init");
	sync_must(pthread_cond_init(&p->cond, NULL), "pthread_cond_init");
	sync_must(pthread_cond_init(&p->changed, NULL), "pthread_cond_init");
	for (unsigned i = 0; i < nthreads; i++) {
		p->workers[i].pool = p;
		p->workers[i].state = ops->thread_init(ctx, i);
		if (!p->workers[i].state) {
			release(p);
			return FA_ERR_NOMEM;
		}
	}
	atomic_init(&p->waiting, 0);
	atomic_init(&p->all_started, false);
	p->policy = policy_now();
	sync_lock(&p->lock);
	if (!start_locked(p))
		err = FA_ERR_THREAD;
	sync_unlock(&p->lock);
	if (err != FA_OK) {
		ops->close(source);
		release(p);
		return err;
	}
	*out = p;
	return FA_OK;
}

void pool_join(struct pool *p)
{
	if (p)
		release(p);
}
