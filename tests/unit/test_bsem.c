/*
 * Unit tests for bsem, the bounded counting semaphore.
 *
 * Single-threaded tests pin down the counting rules (bound, busy, over-
 * release, timeouts).  The threaded ones check that a release wakes a blocked
 * acquirer, that the wait is reported, and, in the stress test, that no more
 * than `bound` threads ever hold a unit at once while the bound is actually
 * reached.  Worker threads only record what they saw (atomics or their own
 * struct); cmocka assertions run on the test thread, after every join.
 * Where a test needs a thread to be blocked before acting, it polls
 * bsem_waiters() with a deadline rather than sleeping for a guessed time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "bsem.h"

/* Upper bound for "should happen promptly"; generous for TSan on 2 cores. */
#define PROMPT_MS 5000L

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void sleep_ns(long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Polls until `count` threads are blocked on s; false after timeout_ms. */
static bool wait_for_waiters(struct bsem *s, unsigned count, long timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (bsem_waiters(s) != count) {
		if (now_ns() > deadline)
			return false;
		sleep_ns(1000000L);
	}
	return true;
}

static const unsigned table_bounds[] = {1, 2, 3, 16};
#define N_BOUNDS (sizeof(table_bounds) / sizeof(table_bounds[0]))

static void test_bsem_init_rejects_zero_bound(void **state)
{
	struct bsem s;

	(void)state;
	assert_int_equal(bsem_init(&s, 0), FA_ERR_ARG);
}

static void test_bsem_init_starts_full(void **state)
{
	static const unsigned bounds[] = {1, 2, 16, UINT_MAX};
	struct bsem s;

	(void)state;
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		assert_int_equal(bsem_init(&s, bounds[i]), FA_OK);
		assert_int_equal(bsem_value(&s), bounds[i]);
		assert_int_equal(bsem_bound(&s), bounds[i]);
		assert_int_equal(bsem_waiters(&s), 0);
		bsem_destroy(&s);
	}
}

static void test_bsem_try_acquire_until_busy(void **state)
{
	struct bsem s;

	(void)state;
	for (size_t i = 0; i < N_BOUNDS; i++) {
		unsigned bound = table_bounds[i];

		assert_int_equal(bsem_init(&s, bound), FA_OK);
		for (unsigned taken = 1; taken <= bound; taken++) {
			assert_int_equal(bsem_try_acquire(&s), FA_OK);
			assert_int_equal(bsem_value(&s), bound - taken);
		}
		assert_int_equal(bsem_try_acquire(&s), FA_ERR_BUSY);
		assert_int_equal(bsem_try_acquire(&s), FA_ERR_BUSY);
		assert_int_equal(bsem_value(&s), 0);
		for (unsigned given = 1; given <= bound; given++)
			assert_int_equal(bsem_release(&s), FA_OK);
		assert_int_equal(bsem_value(&s), bound);
		bsem_destroy(&s);
	}
}

static void test_bsem_release_above_bound_fails(void **state)
{
	struct bsem s;

	(void)state;
	for (size_t i = 0; i < N_BOUNDS; i++) {
		unsigned bound = table_bounds[i];

		assert_int_equal(bsem_init(&s, bound), FA_OK);
		assert_int_equal(bsem_release(&s), FA_ERR_BSEM_OVER);
		assert_int_equal(bsem_value(&s), bound);
		assert_int_equal(bsem_release(&s), FA_ERR_BSEM_OVER);
		assert_int_equal(bsem_value(&s), bound);
		bsem_destroy(&s);
	}
}

static void test_bsem_release_twice_after_one_acquire_fails(void **state)
{
	struct bsem s;

	(void)state;
	for (size_t i = 0; i < N_BOUNDS; i++) {
		unsigned bound = table_bounds[i];

		assert_int_equal(bsem_init(&s, bound), FA_OK);
		for (int cycle = 0; cycle < 3; cycle++) {
			bsem_acquire(&s);
			assert_int_equal(bsem_value(&s), bound - 1);
			assert_int_equal(bsem_release(&s), FA_OK);
			assert_int_equal(bsem_release(&s), FA_ERR_BSEM_OVER);
			assert_int_equal(bsem_value(&s), bound);
		}
		/* The refused release did not eat a later legitimate one. */
		assert_int_equal(bsem_try_acquire(&s), FA_OK);
		assert_int_equal(bsem_release(&s), FA_OK);
		assert_int_equal(bsem_value(&s), bound);
		bsem_destroy(&s);
	}
}

static void test_bsem_timed_acquire_takes_free_unit(void **state)
{
	static const long timeouts[] = {-1, 0, 1, 1000};
	struct bsem s;

	(void)state;
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		assert_int_equal(bsem_init(&s, 1), FA_OK);
		assert_int_equal(bsem_timed_acquire(&s, timeouts[i]), FA_OK);
		assert_int_equal(bsem_value(&s), 0);
		bsem_destroy(&s);
	}
}

static void test_bsem_timed_acquire_times_out(void **state)
{
	static const long timeouts[] = {-5, 0, 1, 30, 120, 1001};
	struct bsem s;

	(void)state;
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		long timeout = timeouts[i];
		long wanted = timeout > 0 ? timeout : 0;
		uint64_t started, elapsed_ns;

		assert_int_equal(bsem_init(&s, 1), FA_OK);
		bsem_acquire(&s);
		started = now_ns();
		assert_int_equal(bsem_timed_acquire(&s, timeout), FA_ERR_TIMEOUT);
		elapsed_ns = now_ns() - started;
		assert_true(elapsed_ns >= (uint64_t)wanted * 1000000u);
		assert_true(elapsed_ns < (uint64_t)(wanted + PROMPT_MS) * 1000000u);
		assert_int_equal(bsem_value(&s), 0);
		assert_int_equal(bsem_waiters(&s), 0);
		assert_int_equal(bsem_release(&s), FA_OK);
		bsem_destroy(&s);
	}
}

struct waiter {
	struct bsem *sem;
	long timeout_ms; /* < 0: use bsem_acquire_wait() */
	enum fa_err result;
	uint64_t waited_ns;  /* from bsem_acquire_wait() */
	uint64_t elapsed_ns; /* measured around the call */
	atomic_bool done;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	uint64_t started = now_ns();

	if (w->timeout_ms < 0) {
		bsem_acquire_wait(w->sem, &w->waited_ns);
		w->result = FA_OK;
	} else {
		w->result = bsem_timed_acquire(w->sem, w->timeout_ms);
	}
	w->elapsed_ns = now_ns() - started;
	atomic_store(&w->done, true);
	return NULL;
}

static void test_bsem_timed_acquire_succeeds_on_release(void **state)
{
	struct bsem s;
	struct waiter w = {.sem = &s, .timeout_ms = 60000};
	pthread_t thread;
	bool blocked;

	(void)state;
	assert_int_equal(bsem_init(&s, 1), FA_OK);
	bsem_acquire(&s);
	assert_int_equal(pthread_create(&thread, NULL, waiter_main, &w), 0);
	blocked = wait_for_waiters(&s, 1, PROMPT_MS);
	assert_int_equal(bsem_release(&s), FA_OK);
	assert_int_equal(pthread_join(thread, NULL), 0);

	assert_true(blocked);
	assert_int_equal(w.result, FA_OK);
	assert_true(w.elapsed_ns < (uint64_t)PROMPT_MS * 1000000u);
	assert_int_equal(bsem_value(&s), 0);
	assert_int_equal(bsem_waiters(&s), 0);
	assert_int_equal(bsem_release(&s), FA_OK);
	bsem_destroy(&s);
}

static void test_bsem_acquire_wait_reports_wait(void **state)
{
	struct bsem s;
	struct waiter w = {.sem = &s, .timeout_ms = -1};
	uint64_t waited = 12345;
	pthread_t thread;
	bool blocked;

	(void)state;
	assert_int_equal(bsem_init(&s, 1), FA_OK);

	/* A free unit: no wait. */
	bsem_acquire_wait(&s, &waited);
	assert_int_equal(waited, 0);

	/* Held: the waiter blocks until the release. */
	assert_int_equal(pthread_create(&thread, NULL, waiter_main, &w), 0);
	blocked = wait_for_waiters(&s, 1, PROMPT_MS);
	sleep_ns(2000000L);
	assert_int_equal(bsem_release(&s), FA_OK);
	assert_int_equal(pthread_join(thread, NULL), 0);

	assert_true(blocked);
	assert_true(w.waited_ns > 0);
	/* It blocked across our 2 ms nap, and cannot exceed its own span. */
	assert_true(w.waited_ns >= 2000000u);
	assert_true(w.waited_ns <= w.elapsed_ns);
	assert_int_equal(bsem_value(&s), 0);
	assert_int_equal(bsem_release(&s), FA_OK);
	bsem_destroy(&s);
}

/*
 * The test thread holds every unit while WAITERS threads block; each release
 * hands one unit to exactly one of them, so after each the number still
 * blocked drops by one and no unit is left lying free.
 */
static void test_bsem_release_wakes_one_waiter_per_unit(void **state)
{
	enum { WAITERS = 3 };
	struct bsem s;
	struct waiter w[WAITERS];
	pthread_t threads[WAITERS];
	bool blocked[WAITERS + 1];
	unsigned value_after[WAITERS];

	(void)state;
	assert_int_equal(bsem_init(&s, WAITERS), FA_OK);
	for (int i = 0; i < WAITERS; i++)
		bsem_acquire(&s);
	for (int i = 0; i < WAITERS; i++) {
		w[i] = (struct waiter){.sem = &s, .timeout_ms = -1};
		assert_int_equal(pthread_create(&threads[i], NULL, waiter_main, &w[i]), 0);
	}
	blocked[0] = wait_for_waiters(&s, WAITERS, PROMPT_MS);
	for (int i = 0; i < WAITERS; i++) {
		assert_int_equal(bsem_release(&s), FA_OK);
		blocked[i + 1] = wait_for_waiters(&s, WAITERS - 1 - i, PROMPT_MS);
		value_after[i] = bsem_value(&s);
	}
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);

	for (int i = 0; i <= WAITERS; i++)
		assert_true(blocked[i]);
	for (int i = 0; i < WAITERS; i++) {
		assert_int_equal(value_after[i], 0);
		assert_int_equal(w[i].result, FA_OK);
	}
	/* The waiters now hold every unit; all come back, and no more. */
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(bsem_release(&s), FA_OK);
	assert_int_equal(bsem_release(&s), FA_ERR_BSEM_OVER);
	bsem_destroy(&s);
}

/*
 * Stress: 4 x bound threads each take a unit `ITERATIONS` times, hold it
 * briefly and give it back, counting simultaneous holders.  Threads use the
 * three blocking flavours in turn; the timed one uses a 1 ms timeout so its
 * expiry path races with releases.
 */
enum { STRESS_ITERATIONS = 40, STRESS_ROUNDS = 3 };
#define STRESS_HOLD_NS 200000L

struct stress {
	struct bsem sem;
	pthread_barrier_t start;
	atomic_uint holders;
	atomic_uint max_holders;
	atomic_uint completed;
	atomic_uint release_errors;
	atomic_uint timeouts;
};

struct stress_thread {
	struct stress *stress;
	unsigned index;
};

static void stress_take(struct stress *st, unsigned index)
{
	uint64_t waited;

	switch (index % 3) {
	case 0: bsem_acquire(&st->sem); break;
	case 1: bsem_acquire_wait(&st->sem, &waited); break;
	default:
		while (bsem_timed_acquire(&st->sem, 1) != FA_OK)
			atomic_fetch_add(&st->timeouts, 1);
		break;
	}
}

static void *stress_main(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *st = t->stress;

	pthread_barrier_wait(&st->start);
	for (unsigned i = 0; i < STRESS_ITERATIONS; i++) {
		unsigned now, seen;

		stress_take(st, t->index);
		now = atomic_fetch_add(&st->holders, 1) + 1;
		seen = atomic_load(&st->max_holders);
		while (now > seen && !atomic_compare_exchange_weak(&st->max_holders, &seen, now))
			;
		sleep_ns(STRESS_HOLD_NS);
		atomic_fetch_sub(&st->holders, 1);
		if (bsem_release(&st->sem) != FA_OK)
			atomic_fetch_add(&st->release_errors, 1);
		atomic_fetch_add(&st->completed, 1);
	}
	return NULL;
}

static void test_bsem_stress_bound_holds(void **state)
{
	unsigned bound = *(const unsigned *)*state;
	unsigned nthreads = 4 * bound;

	for (int round = 0; round < STRESS_ROUNDS; round++) {
		struct stress st;
		struct stress_thread *args = calloc(nthreads, sizeof(*args));
		pthread_t *threads = calloc(nthreads, sizeof(*threads));
		unsigned created = 0;

		assert_non_null(args);
		assert_non_null(threads);
		assert_int_equal(bsem_init(&st.sem, bound), FA_OK);
		assert_int_equal(pthread_barrier_init(&st.start, NULL, nthreads), 0);
		atomic_init(&st.holders, 0);
		atomic_init(&st.max_holders, 0);
		atomic_init(&st.completed, 0);
		atomic_init(&st.release_errors, 0);
		atomic_init(&st.timeouts, 0);

		for (unsigned i = 0; i < nthreads; i++) {
			args[i] = (struct stress_thread){&st, i};
			if (pthread_create(&threads[i], NULL, stress_main, &args[i]) != 0)
				break;
			created++;
		}
		/* All created or none can pass the barrier: abort loudly. */
		if (created != nthreads)
			fail_msg("pthread_create failed at thread %u", created);
		for (unsigned i = 0; i < nthreads; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);

		assert_int_equal(atomic_load(&st.completed), nthreads * STRESS_ITERATIONS);
		assert_int_equal(atomic_load(&st.release_errors), 0);
		assert_true(atomic_load(&st.max_holders) <= bound);
		assert_int_equal(atomic_load(&st.max_holders), bound);
		assert_int_equal(bsem_value(&st.sem), bound);
		assert_int_equal(bsem_waiters(&st.sem), 0);

		pthread_barrier_destroy(&st.start);
		bsem_destroy(&st.sem);
		free(threads);
		free(args);
	}
}

static unsigned stress_bounds[] = {1, 2, 4, 16};

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bsem_init_rejects_zero_bound),
	    cmocka_unit_test(test_bsem_init_starts_full),
	    cmocka_unit_test(test_bsem_try_acquire_until_busy),
	    cmocka_unit_test(test_bsem_release_above_bound_fails),
	    cmocka_unit_test(test_bsem_release_twice_after_one_acquire_fails),
	    cmocka_unit_test(test_bsem_timed_acquire_takes_free_unit),
	    cmocka_unit_test(test_bsem_timed_acquire_times_out),
	    cmocka_unit_test(test_bsem_timed_acquire_succeeds_on_release),
	    cmocka_unit_test(test_bsem_acquire_wait_reports_wait),
	    cmocka_unit_test(test_bsem_release_wakes_one_waiter_per_unit),
	    {"test_bsem_stress_bound_1", test_bsem_stress_bound_holds, NULL, NULL,
	     &stress_bounds[0]},
	    {"test_bsem_stress_bound_2", test_bsem_stress_bound_holds, NULL, NULL,
	     &stress_bounds[1]},
	    {"test_bsem_stress_bound_4", test_bsem_stress_bound_holds, NULL, NULL,
	     &stress_bounds[2]},
	    {"test_bsem_stress_bound_16", test_bsem_stress_bound_holds, NULL, NULL,
	     &stress_bounds[3]},
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
