/*
 * Unit tests for queue, the bounded blocking MPMC queue with close.
 *
 * Items are small heap structs that count their own frees, so every test can
 * check the ownership rule: each item pushed is either popped (and freed by
 * the test) or freed by the queue, exactly once.  Tests that need a thread
 * blocked show it by the thread not having finished after a bounded wait,
 * then release it and wait for it with a deadline; a correct queue can never
 * fail them by timing.  Worker threads only record; cmocka assertions run on
 * the test thread after every join.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"

/* Upper bound for "should happen promptly"; generous for TSan on 2 cores. */
#define PROMPT_MS 5000L
/* How long a thread must stay blocked to count as blocked. */
#define BLOCKED_MS 100L

struct item {
	unsigned value;
	atomic_uint *frees;
};

static struct item *item_new(unsigned value, atomic_uint *frees)
{
	struct item *it = malloc(sizeof(*it));

	if (it) {
		it->value = value;
		it->frees = frees;
	}
	return it;
}

static void item_free(void *p)
{
	struct item *it = p;

	if (!it)
		return;
	atomic_fetch_add(it->frees, 1);
	free(it);
}

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Polls flag until it is true; false if it is still false after timeout_ms. */
static bool eventually(atomic_bool *flag, long timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!atomic_load(flag)) {
		if (now_ns() > deadline)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* Pops one item, checks its value, frees it. */
static void pop_expect(struct queue *q, unsigned value)
{
	void *p = NULL;

	assert_int_equal(queue_try_pop(q, &p), FA_OK);
	assert_non_null(p);
	assert_int_equal(((struct item *)p)->value, value);
	item_free(p);
}

static void test_queue_new_rejects_zero_capacity(void **state)
{
	(void)state;
	assert_null(queue_new(0, item_free));
}

static void test_queue_free_accepts_null(void **state)
{
	(void)state;
	queue_free(NULL);
}

/* Push and pop interleaved so the ring wraps several times. */
static void test_queue_fifo_order(void **state)
{
	static const size_t capacities[] = {1, 2, 3, 8};
	enum { ITEMS = 50 };

	(void)state;
	for (size_t c = 0; c < sizeof(capacities) / sizeof(capacities[0]); c++) {
		atomic_uint frees = 0;
		struct queue *q = queue_new(capacities[c], item_free);
		unsigned pushed = 0, popped = 0;

		assert_non_null(q);
		assert_int_equal(queue_capacity(q), capacities[c]);
		while (popped < ITEMS) {
			/* Fill to capacity, then take back one or two. */
			while (pushed < ITEMS && queue_length(q) < capacities[c]) {
				struct item *it = item_new(pushed, &frees);

				assert_int_equal(queue_push(q, it), FA_OK);
				pushed++;
			}
			assert_int_equal(queue_length(q), pushed - popped);
			pop_expect(q, popped++);
			if (popped % 3 == 0 && popped < pushed)
				pop_expect(q, popped++);
		}
		assert_int_equal(queue_length(q), 0);
		assert_int_equal(atomic_load(&frees), ITEMS);
		queue_free(q);
	}
}

static void test_queue_try_pop_empty(void **state)
{
	struct queue *q = queue_new(2, item_free);
	void *p = &p;

	(void)state;
	assert_non_null(q);
	assert_int_equal(queue_try_pop(q, &p), FA_ERR_BUSY);
	assert_null(p);
	queue_close(q);
	p = &p;
	assert_int_equal(queue_try_pop(q, &p), FA_ERR_CLOSED);
	assert_null(p);
	queue_free(q);
}

struct worker {
	struct queue *q;
	enum { DO_PUSH, DO_POP, DO_POP_TIMED, DO_PAUSE } op;
	void *item;      /* pushed, or popped */
	long timeout_ms; /* for DO_POP_TIMED and DO_PAUSE */
	enum fa_err result;
	atomic_bool done;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	switch (w->op) {
	case DO_PUSH: w->result = queue_push(w->q, w->item); break;
	case DO_POP: w->result = queue_pop(w->q, &w->item); break;
	case DO_POP_TIMED: w->result = queue_pop_timed(w->q, &w->item, w->timeout_ms); break;
	case DO_PAUSE:
		queue_pause(w->q, w->timeout_ms);
		w->result = FA_OK;
		break;
	}
	atomic_store(&w->done, true);
	return NULL;
}

static void start(pthread_t *thread, struct worker *w)
{
	atomic_init(&w->done, false);
	assert_int_equal(pthread_create(thread, NULL, worker_main, w), 0);
}

static void test_queue_push_blocks_while_full(void **state)
{
	static const size_t capacities[] = {1, 4};

	(void)state;
	for (size_t c = 0; c < sizeof(capacities) / sizeof(capacities[0]); c++) {
		size_t capacity = capacities[c];
		atomic_uint frees = 0;
		struct queue *q = queue_new(capacity, item_free);
		struct worker w = {.op = DO_PUSH};
		pthread_t thread;
		bool finished_early, finished_after_pop;

		assert_non_null(q);
		for (unsigned i = 0; i < capacity; i++)
			assert_int_equal(queue_push(q, item_new(i, &frees)), FA_OK);
		w.q = q;
		w.item = item_new((unsigned)capacity, &frees);
		start(&thread, &w);
		finished_early = eventually(&w.done, BLOCKED_MS);
		pop_expect(q, 0);
		finished_after_pop = eventually(&w.done, PROMPT_MS);
		assert_int_equal(pthread_join(thread, NULL), 0);

		assert_false(finished_early);
		assert_true(finished_after_pop);
		assert_int_equal(w.result, FA_OK);
		assert_int_equal(queue_length(q), capacity);
		for (unsigned i = 1; i <= capacity; i++)
			pop_expect(q, i);
		assert_int_equal(atomic_load(&frees), capacity + 1);
		queue_free(q);
	}
}

/* Every blocked popper, one or many, wakes to FA_ERR_CLOSED. */
static void test_queue_close_wakes_blocked_pop(void **state)
{
	static const struct {
		int op;
		int threads;
	} cases[] = {
	    {DO_POP, 1},
	    {DO_POP, 4},
	    {DO_POP_TIMED, 1},
	    {DO_POP_TIMED, 4},
	};
	enum { MAX_THREADS = 4 };

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct queue *q = queue_new(2, item_free);
		struct worker w[MAX_THREADS];
		pthread_t threads[MAX_THREADS];
		bool finished_early[MAX_THREADS];
		bool finished[MAX_THREADS];
		int n = cases[c].threads;

		assert_non_null(q);
		for (int i = 0; i < n; i++) {
			w[i] = (struct worker){
			    .q = q, .op = cases[c].op, .item = &w[i], .timeout_ms = 60000};
			start(&threads[i], &w[i]);
		}
		for (int i = 0; i < n; i++)
			finished_early[i] = eventually(&w[i].done, i == 0 ? BLOCKED_MS : 0);
		queue_close(q);
		for (int i = 0; i < n; i++)
			finished[i] = eventually(&w[i].done, PROMPT_MS);
		for (int i = 0; i < n; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);

		for (int i = 0; i < n; i++) {
			assert_false(finished_early[i]);
			assert_true(finished[i]);
			assert_int_equal(w[i].result, FA_ERR_CLOSED);
			assert_null(w[i].item);
		}
		queue_free(q);
	}
}

/*
 * Blocked pushers wake to FA_ERR_CLOSED with their items freed by the queue;
 * what was queued before the close is still handed out.
 */
static void test_queue_close_wakes_blocked_push(void **state)
{
	static const int pushers[] = {1, 4};
	enum { MAX_THREADS = 4 };

	(void)state;
	for (size_t c = 0; c < sizeof(pushers) / sizeof(pushers[0]); c++) {
		atomic_uint frees = 0;
		struct queue *q = queue_new(1, item_free);
		struct worker w[MAX_THREADS];
		pthread_t threads[MAX_THREADS];
		bool finished_early[MAX_THREADS];
		bool finished[MAX_THREADS];
		unsigned frees_after_close;
		void *p = NULL;
		int n = pushers[c];

		assert_non_null(q);
		assert_int_equal(queue_push(q, item_new(0, &frees)), FA_OK);
		for (int i = 0; i < n; i++) {
			w[i] = (struct worker){.q = q, .op = DO_PUSH};
			w[i].item = item_new(100 + (unsigned)i, &frees);
			start(&threads[i], &w[i]);
		}
		for (int i = 0; i < n; i++)
			finished_early[i] = eventually(&w[i].done, i == 0 ? BLOCKED_MS : 0);
		queue_close(q);
		for (int i = 0; i < n; i++)
			finished[i] = eventually(&w[i].done, PROMPT_MS);
		for (int i = 0; i < n; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);
		frees_after_close = atomic_load(&frees);

		for (int i = 0; i < n; i++) {
			assert_false(finished_early[i]);
			assert_true(finished[i]);
			assert_int_equal(w[i].result, FA_ERR_CLOSED);
		}
		assert_int_equal(frees_after_close, n);
		pop_expect(q, 0);
		assert_int_equal(queue_pop(q, &p), FA_ERR_CLOSED);
		assert_null(p);
		assert_int_equal(atomic_load(&frees), n + 1);
		queue_free(q);
	}
}

static void test_queue_push_after_close_frees_item(void **state)
{
	atomic_uint frees = 0;
	struct queue *q = queue_new(4, item_free);

	(void)state;
	assert_non_null(q);
	queue_close(q);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(queue_push(q, item_new(i, &frees)), FA_ERR_CLOSED);
		assert_int_equal(atomic_load(&frees), i);
	}
	assert_int_equal(queue_length(q), 0);
	queue_free(q);
	assert_int_equal(atomic_load(&frees), 3);
}

/* After close every kind of pop hands out what is left, then CLOSED. */
static void test_queue_pop_drains_after_close(void **state)
{
	enum { ITEMS = 3 };
	static const int ops[] = {DO_POP, DO_POP_TIMED, -1 /* try */};

	(void)state;
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		atomic_uint frees = 0;
		struct queue *q = queue_new(ITEMS, item_free);
		void *p;

		assert_non_null(q);
		for (unsigned i = 0; i < ITEMS; i++)
			assert_int_equal(queue_push(q, item_new(i, &frees)), FA_OK);
		queue_close(q);
		queue_close(q); /* idempotent */
		for (unsigned i = 0; i <= ITEMS; i++) {
			enum fa_err want = i < ITEMS ? FA_OK : FA_ERR_CLOSED;
			enum fa_err got;

			p = NULL;
			if (ops[o] == DO_POP)
				got = queue_pop(q, &p);
			else if (ops[o] == DO_POP_TIMED)
				got = queue_pop_timed(q, &p, 60000);
			else
				got = queue_try_pop(q, &p);
			assert_int_equal(got, want);
			if (want == FA_OK) {
				assert_non_null(p);
				assert_int_equal(((struct item *)p)->value, i);
				item_free(p);
			} else {
				assert_null(p);
			}
		}
		assert_int_equal(atomic_load(&frees), ITEMS);
		queue_free(q);
	}
}

/* Leftovers, also across the ring's wrap-around, are freed exactly once. */
static void test_queue_free_frees_leftovers(void **state)
{
	static const struct {
		size_t capacity;
		unsigned pushed;
		unsigned popped;
		bool close;
	} cases[] = {
	    {1, 0, 0, false}, {1, 1, 0, false}, {5, 5, 0, true}, {5, 5, 3, false}, {4, 7, 5, true},
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		atomic_uint frees = 0;
		struct queue *q = queue_new(cases[c].capacity, item_free);
		unsigned pushed = 0, popped = 0;

		assert_non_null(q);
		while (pushed < cases[c].pushed) {
			if (queue_length(q) == cases[c].capacity)
				pop_expect(q, popped++);
			assert_int_equal(queue_push(q, item_new(pushed, &frees)), FA_OK);
			pushed++;
		}
		while (popped < cases[c].popped)
			pop_expect(q, popped++);
		if (cases[c].close)
			queue_close(q);
		assert_int_equal(atomic_load(&frees), popped);
		queue_free(q);
		assert_int_equal(atomic_load(&frees), pushed);
	}
}

static void test_queue_pop_timed_times_out(void **state)
{
	static const long timeouts[] = {-1, 0, 1, 30, 120, 1001};

	(void)state;
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		long wanted = timeouts[i] > 0 ? timeouts[i] : 0;
		struct queue *q = queue_new(1, item_free);
		void *p = &p;
		uint64_t started, elapsed_ns;

		assert_non_null(q);
		started = now_ns();
		assert_int_equal(queue_pop_timed(q, &p, timeouts[i]), FA_ERR_TIMEOUT);
		elapsed_ns = now_ns() - started;
		assert_null(p);
		assert_true(elapsed_ns >= (uint64_t)wanted * 1000000u);
		assert_true(elapsed_ns < (uint64_t)(wanted + PROMPT_MS) * 1000000u);
		queue_free(q);
	}
}

static void test_queue_pop_timed_gets_late_item(void **state)
{
	atomic_uint frees = 0;
	struct queue *q = queue_new(1, item_free);
	struct worker w = {.op = DO_POP_TIMED, .timeout_ms = 60000};
	pthread_t thread;
	bool finished_early, finished;

	(void)state;
	assert_non_null(q);
	w.q = q;
	start(&thread, &w);
	finished_early = eventually(&w.done, BLOCKED_MS);
	assert_int_equal(queue_push(q, item_new(7, &frees)), FA_OK);
	finished = eventually(&w.done, PROMPT_MS);
	assert_int_equal(pthread_join(thread, NULL), 0);

	assert_false(finished_early);
	assert_true(finished);
	assert_int_equal(w.result, FA_OK);
	assert_non_null(w.item);
	assert_int_equal(((struct item *)w.item)->value, 7);
	item_free(w.item);
	assert_int_equal(atomic_load(&frees), 1);
	queue_free(q);
}

/* A pause lasts its time however many items arrive meanwhile, and takes
 * none of them; a closed queue does not pause. */
static void test_queue_pause_lasts_through_pushes(void **state)
{
	static const long timeouts[] = {-1, 0, 1, 30, 300};

	(void)state;
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		long wanted = timeouts[i] > 0 ? timeouts[i] : 0;
		atomic_uint frees = 0;
		struct queue *q = queue_new(8, item_free);
		struct worker w = {.op = DO_PAUSE, .timeout_ms = timeouts[i]};
		pthread_t thread;
		uint64_t started = now_ns(), elapsed_ns;

		assert_non_null(q);
		w.q = q;
		start(&thread, &w);
		for (unsigned k = 0; k < 4; k++)
			assert_int_equal(queue_push(q, item_new(k, &frees)), FA_OK);
		assert_int_equal(pthread_join(thread, NULL), 0);
		elapsed_ns = now_ns() - started;
		assert_true(elapsed_ns >= (uint64_t)wanted * 1000000u);
		assert_true(elapsed_ns < (uint64_t)(wanted + PROMPT_MS) * 1000000u);
		assert_int_equal(queue_length(q), 4);
		queue_close(q);
		started = now_ns();
		queue_pause(q, 60000);
		assert_true(now_ns() - started < (uint64_t)PROMPT_MS * 1000000u);
		queue_free(q);
		assert_int_equal(atomic_load(&frees), 4);
	}
}

/* A close ends every pause at once, long before its time. */
static void test_queue_close_ends_pause(void **state)
{
	enum { N = 3 };
	struct queue *q = queue_new(2, item_free);
	struct worker w[N];
	pthread_t threads[N];
	bool finished_early = false, finished = true;

	(void)state;
	assert_non_null(q);
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){.q = q, .op = DO_PAUSE, .timeout_ms = 60000};
		start(&threads[i], &w[i]);
	}
	for (int i = 0; i < N; i++)
		finished_early |= eventually(&w[i].done, i == 0 ? BLOCKED_MS : 0);
	queue_close(q);
	for (int i = 0; i < N; i++)
		finished &= eventually(&w[i].done, PROMPT_MS);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	assert_false(finished_early);
	assert_true(finished);
	queue_free(q);
}

static void test_queue_high_water(void **state)
{
	atomic_uint frees = 0;
	struct queue *q = queue_new(5, item_free);
	void *p;

	(void)state;
	assert_non_null(q);
	assert_int_equal(queue_high_water(q), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(queue_push(q, item_new(i, &frees)), FA_OK);
	assert_int_equal(queue_high_water(q), 3);
	pop_expect(q, 0);
	pop_expect(q, 1);
	assert_int_equal(queue_high_water(q), 3);
	assert_int_equal(queue_push(q, item_new(3, &frees)), FA_OK);
	assert_int_equal(queue_high_water(q), 3);
	for (unsigned i = 4; i < 7; i++)
		assert_int_equal(queue_push(q, item_new(i, &frees)), FA_OK);
	assert_int_equal(queue_length(q), 5);
	assert_int_equal(queue_high_water(q), 5);
	/* Draining, closing and refused pushes leave it where it was. */
	while (queue_try_pop(q, &p) == FA_OK)
		item_free(p);
	queue_close(q);
	assert_int_equal(queue_push(q, item_new(9, &frees)), FA_ERR_CLOSED);
	assert_int_equal(queue_high_water(q), 5);
	assert_int_equal(atomic_load(&frees), 8);
	queue_free(q);
}

/*
 * MPMC stress.  Producers push distinct values, consumers pop with the three
 * pop flavours in turn until the queue is closed and drained, marking each
 * value in `seen`.  A small capacity keeps both sides blocking.
 */
enum { STRESS_ITEMS = 4000, STRESS_ROUNDS = 3, STRESS_CAPACITY = 4 };

struct mpmc_case {
	int producers;
	int consumers;
};

struct mpmc {
	struct queue *q;
	pthread_barrier_t start;
	atomic_uint frees;
	atomic_uint seen[STRESS_ITEMS];
	atomic_uint push_errors;
	unsigned per_producer;
};

struct mpmc_thread {
	struct mpmc *m;
	int index;
	/* consumer's record */
	unsigned count;
	uint64_t sum;
	unsigned timeouts;
	unsigned busy;
	enum fa_err last;
};

static void *producer_main(void *arg)
{
	struct mpmc_thread *t = arg;
	struct mpmc *m = t->m;
	unsigned first = (unsigned)t->index * m->per_producer;

	pthread_barrier_wait(&m->start);
	for (unsigned i = 0; i < m->per_producer; i++) {
		struct item *it = item_new(first + i, &m->frees);

		if (queue_push(m->q, it) != FA_OK)
			atomic_fetch_add(&m->push_errors, 1);
	}
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct mpmc_thread *t = arg;
	struct mpmc *m = t->m;

	pthread_barrier_wait(&m->start);
	for (;;) {
		void *p = NULL;
		struct item *it;
		enum fa_err err;

		switch (t->index % 3) {
		case 0: err = queue_pop(m->q, &p); break;
		case 1: err = queue_pop_timed(m->q, &p, 1); break;
		default: err = queue_try_pop(m->q, &p); break;
		}
		if (err == FA_ERR_TIMEOUT) {
			t->timeouts++;
			continue;
		}
		if (err == FA_ERR_BUSY) {
			t->busy++;
			sched_yield();
			continue;
		}
		if (err != FA_OK) {
			t->last = err;
			break;
		}
		it = p;
		if (it && it->value < STRESS_ITEMS)
			atomic_fetch_add(&m->seen[it->value], 1);
		t->count++;
		t->sum += it ? it->value : 0;
		item_free(it);
	}
	return NULL;
}

static void test_queue_mpmc_stress(void **state)
{
	const struct mpmc_case *mc = *state;
	int nthreads = mc->producers + mc->consumers;

	for (int round = 0; round < STRESS_ROUNDS; round++) {
		struct mpmc *m = calloc(1, sizeof(*m));
		struct mpmc_thread *args = calloc((size_t)nthreads, sizeof(*args));
		pthread_t *threads = calloc((size_t)nthreads, sizeof(*threads));
		unsigned total, count = 0;
		uint64_t sum = 0, want_sum;

		assert_non_null(m);
		assert_non_null(args);
		assert_non_null(threads);
		m->per_producer = STRESS_ITEMS / (unsigned)mc->producers;
		total = m->per_producer * (unsigned)mc->producers;
		want_sum = (uint64_t)total * (total - 1) / 2;
		m->q = queue_new(STRESS_CAPACITY, item_free);
		assert_non_null(m->q);
		assert_int_equal(pthread_barrier_init(&m->start, NULL, (unsigned)nthreads), 0);
		atomic_init(&m->frees, 0);
		atomic_init(&m->push_errors, 0);
		for (unsigned v = 0; v < STRESS_ITEMS; v++)
			atomic_init(&m->seen[v], 0);

		for (int i = 0; i < nthreads; i++) {
			bool producer = i < mc->producers;

			args[i].m = m;
			args[i].index = producer ? i : i - mc->producers;
			if (pthread_create(&threads[i], NULL,
					   producer ? producer_main : consumer_main, &args[i]) != 0)
				fail_msg("pthread_create failed at %d", i);
		}
		/* Producers first: once they are done, closing ends it. */
		for (int i = 0; i < mc->producers; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);
		queue_close(m->q);
		for (int i = mc->producers; i < nthreads; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);

		for (int i = mc->producers; i < nthreads; i++) {
			count += args[i].count;
			sum += args[i].sum;
			assert_int_equal(args[i].last, FA_ERR_CLOSED);
		}
		assert_int_equal(atomic_load(&m->push_errors), 0);
		assert_int_equal(count, total);
		assert_true(sum == want_sum);
		for (unsigned v = 0; v < total; v++)
			assert_int_equal(atomic_load(&m->seen[v]), 1);
		assert_int_equal(atomic_load(&m->frees), total);
		assert_int_equal(queue_length(m->q), 0);
		assert_true(queue_high_water(m->q) <= STRESS_CAPACITY);

		queue_free(m->q);
		pthread_barrier_destroy(&m->start);
		free(threads);
		free(args);
		free(m);
	}
}

/*
 * Close while producers are still pushing: every item is either accepted and
 * then popped, or refused and freed by the queue on the spot -- freed exactly
 * once either way, nothing stranded.
 */
struct close_load {
	struct queue *q;
	atomic_uint created;
	atomic_uint accepted;
	atomic_uint popped;
	atomic_uint frees;
};

static void *close_producer_main(void *arg)
{
	struct close_load *cl = arg;

	for (unsigned i = 0; i < 1000000; i++) {
		struct item *it = item_new(i, &cl->frees);

		atomic_fetch_add(&cl->created, 1);
		if (queue_push(cl->q, it) != FA_OK)
			break;
		atomic_fetch_add(&cl->accepted, 1);
	}
	return NULL;
}

static void *close_consumer_main(void *arg)
{
	struct close_load *cl = arg;
	void *p;

	while (queue_pop(cl->q, &p) == FA_OK) {
		atomic_fetch_add(&cl->popped, 1);
		item_free(p);
		if (atomic_load(&cl->popped) % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void test_queue_close_under_load_frees_everything(void **state)
{
	static const int workers[] = {1, 2, 8};
	enum { MAX_EACH = 8 };

	(void)state;
	for (size_t c = 0; c < sizeof(workers) / sizeof(workers[0]); c++) {
		int n = workers[c];
		struct close_load cl;
		pthread_t producers[MAX_EACH], consumers[MAX_EACH];
		size_t left;

		cl.q = queue_new(STRESS_CAPACITY, item_free);
		assert_non_null(cl.q);
		atomic_init(&cl.created, 0);
		atomic_init(&cl.accepted, 0);
		atomic_init(&cl.popped, 0);
		atomic_init(&cl.frees, 0);
		for (int i = 0; i < n; i++) {
			assert_int_equal(
			    pthread_create(&producers[i], NULL, close_producer_main, &cl), 0);
			assert_int_equal(
			    pthread_create(&consumers[i], NULL, close_consumer_main, &cl), 0);
		}
		while (atomic_load(&cl.popped) < 500)
			sleep_ms(1);
		queue_close(cl.q);
		for (int i = 0; i < n; i++) {
			assert_int_equal(pthread_join(producers[i], NULL), 0);
			assert_int_equal(pthread_join(consumers[i], NULL), 0);
		}
		left = queue_length(cl.q);

		/* Consumers stop only at CLOSED, i.e. closed and drained. */
		assert_int_equal(left, 0);
		assert_int_equal(atomic_load(&cl.accepted), atomic_load(&cl.popped));
		assert_true(atomic_load(&cl.created) > atomic_load(&cl.accepted));
		/* Refused pushes were freed by the queue before returning. */
		assert_int_equal(atomic_load(&cl.frees), atomic_load(&cl.created));
		queue_free(cl.q);
		assert_int_equal(atomic_load(&cl.frees), atomic_load(&cl.created));
	}
}

static struct mpmc_case mpmc_cases[] = {
    {1, 1}, {2, 2}, {8, 8}, {1, 8}, {8, 1},
};

#define MPMC_TEST(i, name)                                                                         \
	{                                                                                          \
		"test_queue_mpmc_stress_" name, test_queue_mpmc_stress, NULL, NULL, &mpmc_cases[i] \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_new_rejects_zero_capacity),
	    cmocka_unit_test(test_queue_free_accepts_null),
	    cmocka_unit_test(test_queue_fifo_order),
	    cmocka_unit_test(test_queue_try_pop_empty),
	    cmocka_unit_test(test_queue_push_blocks_while_full),
	    cmocka_unit_test(test_queue_close_wakes_blocked_pop),
	    cmocka_unit_test(test_queue_close_wakes_blocked_push),
	    cmocka_unit_test(test_queue_push_after_close_frees_item),
	    cmocka_unit_test(test_queue_pop_drains_after_close),
	    cmocka_unit_test(test_queue_free_frees_leftovers),
	    cmocka_unit_test(test_queue_pop_timed_times_out),
	    cmocka_unit_test(test_queue_pop_timed_gets_late_item),
	    cmocka_unit_test(test_queue_pause_lasts_through_pushes),
	    cmocka_unit_test(test_queue_close_ends_pause),
	    cmocka_unit_test(test_queue_high_water),
	    MPMC_TEST(0, "1p_1c"),
	    MPMC_TEST(1, "2p_2c"),
	    MPMC_TEST(2, "8p_8c"),
	    MPMC_TEST(3, "1p_8c"),
	    MPMC_TEST(4, "8p_1c"),
	    cmocka_unit_test(test_queue_close_under_load_frees_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
