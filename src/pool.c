/*
 * pool: a fixed set of threads draining one job source.
 *
 * Modelled on libuv's threadpool: the source (a queue, the frontier) is
 * the only shared state and carries its own lock; threads block in its
 * next() and leave when it reports that no job will come, so shutdown is
 * "close the source, join every thread" and no job is lost or run twice.  States are made
 * up front on the caller's thread.  A failed pthread call other than
 * create aborts: it means a broken invariant, not a condition to handle.
 */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "queue.h"
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
};

static void *work(void *arg)
{
	struct worker *w = arg;
	void *job;

	while (w->pool->ops->next(w->pool->source, &job) == FA_OK)
		w->pool->ops->run(w->state, job);
	return NULL;
}

static void release(struct pool *p)
{
	for (unsigned i = 0; i < p->nthreads; i++) {
		if (p->workers[i].started)
			sync_must(pthread_join(p->workers[i].thread, NULL), "pthread_join");
		if (p->workers[i].state)
			p->ops->thread_fini(p->workers[i].state);
	}
	free(p->workers);
	free(p);
}

enum fa_err pool_queue_next(void *queue, void **job)
{
	return queue_pop(queue, job);
}

void pool_queue_close(void *queue)
{
	queue_close(queue);
}

enum fa_err pool_new(unsigned nthreads, const struct pool_ops *ops, void *ctx, void *source,
		     struct pool **out)
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
	p->nthreads = nthreads;
	for (unsigned i = 0; i < nthreads; i++) {
		p->workers[i].pool = p;
		p->workers[i].state = ops->thread_init(ctx, i);
		if (!p->workers[i].state) {
			release(p);
			return FA_ERR_NOMEM;
		}
	}
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&p->workers[i].thread, NULL, work, &p->workers[i]) != 0) {
			err = FA_ERR_THREAD;
			break;
		}
		p->workers[i].started = true;
	}
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
