/* Unit tests for pool: every job runs exactly once, states made and freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pool.h"
#include "queue.h"
#include "threads.h"

#define NJOBS 5000

struct world {
	atomic_int runs[NJOBS];
	atomic_int inits, finis;
	atomic_int finis_by_caller; /* of them, on the thread that made the world */
	pthread_t caller;
	int fail_at; /* thread_init fails for this index; -1: never */
};

struct tstate {
	struct world *w;
	unsigned index;
};

static void *t_init(void *ctx, unsigned index)
{
	struct world *w = ctx;
	struct tstate *s;

	if ((int)index == w->fail_at)
		return NULL;
	s = malloc(sizeof(*s));
	if (s) {
		s->w = w;
		s->index = index;
		atomic_fetch_add(&w->inits, 1);
	}
	return s;
}

/* A job's number; a negative one is a held job: it runs until the
 * world's `release` is set, counted in `held` meanwhile. */
static atomic_bool release;
static atomic_int held;

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void t_run(void *state, void *job)
{
	struct tstate *s = state;
	int *n = job;

	if (*n < 0) {
		atomic_fetch_add(&held, 1);
		for (int i = 0; i < 60000 && !atomic_load(&release); i++)
			sleep_ms(1);
		atomic_fetch_sub(&held, 1);
	} else {
		atomic_fetch_add(&s->w->runs[*n], 1);
	}
	free(n);
}

static void t_fini(void *state)
{
	struct tstate *s = state;

	atomic_fetch_add(&s->w->finis, 1);
	if (pthread_equal(pthread_self(), s->w->caller))
		atomic_fetch_add(&s->w->finis_by_caller, 1);
	free(s);
}

/* Queues job `value` (see t_run()). */
static void push_job(struct queue *q, int value)
{
	int *n = malloc(sizeof(*n));

	assert_non_null(n);
	*n = value;
	assert_int_equal(queue_push(q, n), FA_OK);
}

static const struct pool_ops ops = {t_init, t_run, t_fini, pool_queue_next, pool_queue_close};

/* A world whose thread fail_at cannot make its state (-1: none fails). */
static struct world *world_new(int fail_at)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->fail_at = fail_at;
	w->caller = pthread_self();
	return w;
}

static void test_pool_every_job_once(void **state)
{
	static const unsigned threads[] = {1, 2, 16};

	(void)state;
	for (size_t t = 0; t < 3; t++) {
		for (int rep = 0; rep < 3; rep++) {
			struct world *w = world_new(-1);
			struct queue *q = queue_new(32, free);
			struct pool *p;

			assert_non_null(q);
			assert_int_equal(pool_new(threads[t], &ops, w, q, 0, &p), FA_OK);
			for (int i = 0; i < NJOBS; i++)
				push_job(q, i);
			queue_close(q);
			pool_join(p);
			for (int i = 0; i < NJOBS; i++)
				assert_int_equal(atomic_load(&w->runs[i]), 1);
			assert_int_equal(atomic_load(&w->inits), (int)threads[t]);
			assert_int_equal(atomic_load(&w->finis), (int)threads[t]);
			queue_free(q);
			free(w);
		}
	}
}

static void test_pool_init_failure_cleans_up(void **state)
{
	struct world *w = world_new(3);
	struct queue *q = queue_new(4, free);
	struct pool *p = (struct pool *)1;

	(void)state;
	assert_int_equal(pool_new(8, &ops, w, q, 0, &p), FA_ERR_NOMEM);
	assert_null(p);
	assert_int_equal(atomic_load(&w->inits), 3);
	assert_int_equal(atomic_load(&w->finis), 3);
	assert_int_equal(pool_new(0, &ops, w, q, 0, &p), FA_ERR_ARG);
	queue_free(q);
	free(w);
}

/* pool_each() after the source: every index once, on at most width
 * threads at a time, the jobs all done first; twice in a row. */
struct each {
	atomic_int hits[NJOBS];
	atomic_int now, peak;
	struct world *w;
	int jobs_done_when_called; /* jobs run before the first fn call */
	atomic_int calls;
};

static void each_fn(void *arg, size_t i)
{
	struct each *e = arg;
	int n = atomic_fetch_add(&e->now, 1) + 1;
	int peak = atomic_load(&e->peak);

	if (atomic_fetch_add(&e->calls, 1) == 0) {
		int done = 0;

		for (int k = 0; k < NJOBS; k++)
			done += atomic_load(&e->w->runs[k]);
		e->jobs_done_when_called = done;
	}
	while (n > peak && !atomic_compare_exchange_weak(&e->peak, &peak, n))
		;
	atomic_fetch_add(&e->hits[i], 1);
	for (volatile int spin = 0; spin < 200; spin++)
		;
	atomic_fetch_sub(&e->now, 1);
}

/* A pool of 8 threads over a world whose threads all start, a queue of
 * cap jobs, and an each for pool_each() over the world. */
struct each_run {
	struct world *w;
	struct each *e;
	struct queue *q;
	struct pool *p;
};

static void each_run_start(struct each_run *r, size_t cap)
{
	r->w = world_new(-1);
	r->e = calloc(1, sizeof(*r->e));
	r->q = queue_new(cap, free);
	assert_non_null(r->e);
	assert_non_null(r->q);
	r->e->w = r->w;
	assert_int_equal(pool_new(8, &ops, r->w, r->q, POOL_EACH, &r->p), FA_OK);
}

/* Joins r's pool (each of its threads ended once) and frees the rest. */
static void each_run_end(struct each_run *r)
{
	pool_join(r->p);
	assert_int_equal(atomic_load(&r->w->finis), 8);
	queue_free(r->q);
	free(r->e);
	free(r->w);
}

static void test_pool_each_after_source(void **state)
{
	static const unsigned widths[] = {1, 3, 16, 40};

	(void)state;
	for (size_t t = 0; t < 4; t++) {
		struct each_run r;

		each_run_start(&r, 32);
		for (int i = 0; i < NJOBS; i++)
			push_job(r.q, i);
		queue_close(r.q);
		for (int round = 1; round <= 2; round++) {
			pool_each(r.p, widths[t], NJOBS, each_fn, r.e);
			for (int i = 0; i < NJOBS; i++)
				assert_int_equal(atomic_load(&r.e->hits[i]), round);
			assert_int_equal(atomic_load(&r.e->now), 0);
		}
		pool_wait_idle(r.p);
		pool_each(r.p, widths[t], 0, each_fn, r.e); /* nothing to do: returns */
		assert_int_equal(r.e->jobs_done_when_called, NJOBS);
		assert_true(atomic_load(&r.e->peak) >= 1);
		assert_true(atomic_load(&r.e->peak) <= (int)(widths[t] < 8 ? widths[t] : 8));
		each_run_end(&r);
	}
}

/* Whether threads_now() reaches want within 10 s. */
static bool threads_reach(int want)
{
	for (int i = 0; i < 1000; i++) {
		if (threads_now() == want)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* Threads start as jobs need them: one with nothing to do; a second
 * once the first is busy with a held job; a third when the second takes
 * a job; then no more for jobs one at a time, given time to finish (one
 * thread always waits);
 * all of them for as many jobs held at once, which then all run side by
 * side. */
static void test_pool_threads_start_as_needed(void **state)
{
	struct world *w = world_new(-1);
	struct queue *q = queue_new(64, free);
	struct pool *p;
	int before = threads_now(), now;

	(void)state;
	assert_non_null(q);
	assert_true(before >= 1);
	atomic_store(&release, false);
	assert_int_equal(pool_new(16, &ops, w, q, 0, &p), FA_OK);
	assert_int_equal(atomic_load(&w->inits), 16); /* states up front */
	sleep_ms(50);
	assert_int_equal(threads_now(), before + 1);

	push_job(q, -1);
	assert_true(threads_reach(before + 2));
	for (int i = 0; i < 20; i++) {
		push_job(q, i);
		for (int k = 0; k < 1000 && atomic_load(&w->runs[i]) == 0; k++)
			sleep_ms(1);
		assert_int_equal(atomic_load(&w->runs[i]), 1);
		/* its thread back in next() (a job counts itself run just
		 * before its thread returns there) */
		sleep_ms(20);
	}
	sleep_ms(50);
	/* three, or four if a thread was slow to get back once */
	now = threads_now();
	if (now < before + 3 || now > before + 4)
		fail_msg("%d threads for jobs one at a time, want 3", now - before);

	for (int i = 1; i < 16; i++)
		push_job(q, -1);
	assert_true(threads_reach(before + 16));
	for (int k = 0; k < 10000 && atomic_load(&held) < 16; k++)
		sleep_ms(1);
	assert_int_equal(atomic_load(&held), 16);
	atomic_store(&release, true);
	queue_close(q);
	pool_join(p);
	assert_int_equal(threads_now(), before);
	assert_int_equal(atomic_load(&w->finis), 16);
	queue_free(q);
	free(w);
}

/* A pool_each() batch wider than the threads the source needed starts
 * the ones it lacks (up to the pool's size) before it is posted: every
 * index still runs once. */
static void test_pool_each_starts_threads(void **state)
{
	static const unsigned widths[] = {3, 40};
	static const int threads_after[] = {3, 8};
	int before = threads_now();
	struct each_run r;

	(void)state;
	each_run_start(&r, 4);
	queue_close(r.q); /* no job at all */
	pool_wait_idle(r.p);
	assert_int_equal(threads_now(), before + 1);
	for (int round = 0; round < 2; round++) {
		pool_each(r.p, widths[round], NJOBS, each_fn, r.e);
		for (int i = 0; i < NJOBS; i++)
			assert_int_equal(atomic_load(&r.e->hits[i]), round + 1);
		assert_int_equal(threads_now(), before + threads_after[round]);
	}
	each_run_end(&r);
	assert_int_equal(threads_now(), before);
}

/* Without POOL_EACH a thread leaves as soon as the source is spent, its
 * state freed on that thread before pool_wait_idle() returns: the
 * threads are gone before pool_join(), which then only reaps them; with
 * it they stay, waiting for a batch, and keep their states until
 * pool_join() frees them on the caller's thread. */
static void test_pool_threads_leave_when_spent(void **state)
{
	int before = threads_now();

	(void)state;
	for (int each = 0; each < 2; each++) {
		struct world *w = world_new(-1);
		struct queue *q = queue_new(64, free);
		struct pool *p;

		assert_non_null(q);
		atomic_store(&release, false);
		assert_int_equal(pool_new(4, &ops, w, q, each ? POOL_EACH : 0, &p), FA_OK);
		for (int i = 0; i < 4; i++)
			push_job(q, -1); /* held: all four threads start */
		assert_true(threads_reach(before + 4));
		atomic_store(&release, true);
		queue_close(q);
		pool_wait_idle(p);
		assert_int_equal(atomic_load(&w->finis), each ? 0 : 4);
		if (each) {
			sleep_ms(50);
			assert_int_equal(threads_now(), before + 4);
		} else {
			assert_true(threads_reach(before));
		}
		pool_join(p);
		assert_int_equal(threads_now(), before);
		assert_int_equal(atomic_load(&w->finis), 4);
		assert_int_equal(atomic_load(&w->finis_by_caller), each ? 4 : 0);
		queue_free(q);
		free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_every_job_once),
	    cmocka_unit_test(test_pool_each_after_source),
	    cmocka_unit_test(test_pool_init_failure_cleans_up),
	    cmocka_unit_test(test_pool_threads_start_as_needed),
	    cmocka_unit_test(test_pool_each_starts_threads),
	    cmocka_unit_test(test_pool_threads_leave_when_spent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
