/* Unit tests for pool: every job runs exactly once, states made and freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>

#include "pool.h"
#include "queue.h"

#define NJOBS 5000

struct world {
	atomic_int runs[NJOBS];
	atomic_int inits, finis;
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

static void t_run(void *state, void *job)
{
	struct tstate *s = state;
	int *n = job;

	atomic_fetch_add(&s->w->runs[*n], 1);
	free(n);
}

static void t_fini(void *state)
{
	struct tstate *s = state;

	atomic_fetch_add(&s->w->finis, 1);
	free(s);
}

static const struct pool_ops ops = {t_init, t_run, t_fini, pool_queue_next, pool_queue_close};

static void test_pool_every_job_once(void **state)
{
	static const unsigned threads[] = {1, 2, 16};

	(void)state;
	for (size_t t = 0; t < 3; t++) {
		for (int rep = 0; rep < 3; rep++) {
			struct world *w = calloc(1, sizeof(*w));
			struct queue *q = queue_new(32, free);
			struct pool *p;

			assert_non_null(w);
			assert_non_null(q);
			w->fail_at = -1;
			assert_int_equal(pool_new(threads[t], &ops, w, q, &p), FA_OK);
			for (int i = 0; i < NJOBS; i++) {
				int *n = malloc(sizeof(*n));

				assert_non_null(n);
				*n = i;
				assert_int_equal(queue_push(q, n), FA_OK);
			}
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
	struct world *w = calloc(1, sizeof(*w));
	struct queue *q = queue_new(4, free);
	struct pool *p = (struct pool *)1;

	(void)state;
	assert_non_null(w);
	w->fail_at = 3;
	assert_int_equal(pool_new(8, &ops, w, q, &p), FA_ERR_NOMEM);
	assert_null(p);
	assert_int_equal(atomic_load(&w->inits), 3);
	assert_int_equal(atomic_load(&w->finis), 3);
	assert_int_equal(pool_new(0, &ops, w, q, &p), FA_ERR_ARG);
	queue_free(q);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_every_job_once),
	    cmocka_unit_test(test_pool_init_failure_cleans_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
