/*
 * Unit tests for mux, the lanes that drive transfers handed over by other
 * threads.
 *
 * Transfers are file:// URLs of files this test writes (libcurl's multi
 * handle runs them like any other), so the lanes run real transfers with
 * no server.  Checked: a lane starts only when a transfer first wants it
 * (the process's thread count, from /proc/self/status, before and after),
 * every transfer's bytes reach its own callback and its result its own
 * caller, under many threads at once, and mux_free() stops what started.
 * Worker threads only record; cmocka asserts on the test thread after the
 * joins.
 */
#define _GNU_SOURCE /* SCHED_BATCH */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"
#include "threads.h"

#define FILES   8
#define THREADS 12
#define ROUNDS  40

static char dir[] = "/tmp/fetchall-test-mux.XXXXXX";
static char urls[FILES][4200];
static size_t sizes[FILES];

static void *nothing(void *arg)
{
	return arg;
}

/* File i holds sizes[i] bytes, each (i * 31 + offset) & 0xff.  A thread
 * made and joined first: ThreadSanitizer starts a thread of its own with
 * the process's first, which would count as a lane's. */
static int setup(void **state)
{
	pthread_t t;

	(void)state;
	if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
		return -1;
	if (!mkdtemp(dir))
		return -1;
	for (int i = 0; i < FILES; i++) {
		char path[4100];
		FILE *f;

		snprintf(path, sizeof(path), "%s/f%d.bin", dir, i);
		sizes[i] = (size_t)(1000 + i * 7919);
		f = fopen(path, "wb");
		if (!f)
			return -1;
		for (size_t k = 0; k < sizes[i]; k++)
			fputc((int)((i * 31 + k) & 0xff), f);
		if (fclose(f))
			return -1;
		snprintf(urls[i], sizeof(urls[i]), "file://%s", path);
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	char path[4100];

	(void)state;
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%d.bin", dir, i);
		unlink(path);
	}
	rmdir(dir);
	curl_global_cleanup();
	return 0;
}

/* What one transfer's write callback saw. */
struct sink {
	int file;
	size_t bytes;
	bool wrong; /* a byte that is not file's */
	pthread_t writer;
	int writer_policy; /* the writing thread's scheduling policy */
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t len = size * nmemb;

	for (size_t k = 0; k < len; k++)
		if ((unsigned char)data[k] != (unsigned char)((s->file * 31 + s->bytes + k) & 0xff))
			s->wrong = true;
	s->bytes += len;
	s->writer = pthread_self();
	s->writer_policy = sched_getscheduler(0);
	return len;
}

/* mux_perform() of file i on a new handle; its result and what it wrote. */
static CURLcode fetch(struct mux *m, const char *host_key, int i, struct sink *s)
{
	CURL *easy = curl_easy_init();
	CURLcode cc;

	memset(s, 0, sizeof(*s));
	s->file = i;
	if (!easy)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_setopt(easy, CURLOPT_URL, urls[i]);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, s);
	cc = mux_perform(m, host_key, easy);
	curl_easy_cleanup(easy);
	return cc;
}

/* No lane thread before a transfer wants one; one after it, for any
 * number of transfers to the same key; none after mux_free(). */
static void test_mux_lanes_start_on_first_use(void **state)
{
	int before = threads_now();
	struct sink s;
	struct mux *m;

	(void)state;
	assert_true(before >= 1);
	m = mux_new(4);
	assert_non_null(m);
	assert_int_equal(threads_now(), before);

	assert_int_equal(fetch(m, "a.example:443", 0, &s), CURLE_OK);
	assert_int_equal(s.bytes, sizes[0]);
	assert_false(s.wrong);
	/* the callback ran on the lane, not here */
	assert_false(pthread_equal(s.writer, pthread_self()));
	assert_int_equal(threads_now(), before + 1);

	for (int i = 1; i < FILES; i++) {
		assert_int_equal(fetch(m, "a.example:443", i, &s), CURLE_OK);
		assert_int_equal(s.bytes, sizes[i]);
		assert_false(s.wrong);
	}
	assert_int_equal(threads_now(), before + 1);
	mux_free(m);
	assert_int_equal(threads_now(), before);

	/* made and freed unused: nothing ever ran */
	m = mux_new(MUX_LANES_MAX);
	assert_non_null(m);
	assert_int_equal(threads_now(), before);
	mux_free(m);
	assert_null(mux_new(0));
	assert_null(mux_new(MUX_LANES_MAX + 1));
	mux_free(NULL);
}

/* A file that is not there: the lane hands back libcurl's error to the
 * one transfer that met it. */
static void test_mux_error_to_its_caller(void **state)
{
	struct mux *m = mux_new(2);
	CURL *easy = curl_easy_init();
	char missing[4200];
	struct sink s;

	(void)state;
	assert_non_null(m);
	assert_non_null(easy);
	snprintf(missing, sizeof(missing), "file://%s/none.bin", dir);
	curl_easy_setopt(easy, CURLOPT_URL, missing);
	assert_int_equal(mux_perform(m, "b.example:443", easy), CURLE_FILE_COULDNT_READ_FILE);
	curl_easy_cleanup(easy);
	assert_int_equal(fetch(m, "b.example:443", 3, &s), CURLE_OK);
	assert_int_equal(s.bytes, sizes[3]);
	mux_free(m);
}

/* A hand-over that took this long waited out an idle lane's poll (1000
 * ms): its lane was never woken for it.  A file:// transfer of a few KB
 * takes a millisecond or two, even under a sanitizer. */
#define STALLED_MS 900

struct worker {
	struct mux *m;
	int id;
	unsigned ok, short_or_wrong, failed, stalled;
};

static double ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static const char *keys[] = {"a.example:443", "b.example:443", "c.example:80"};

	for (int r = 0; r < ROUNDS; r++) {
		int i = (w->id * 5 + r) % FILES;
		struct sink s;
		double t0 = ms_now();
		CURLcode cc = fetch(w->m, keys[(w->id + r) % 3], i, &s);

		if (ms_now() - t0 >= STALLED_MS)
			w->stalled++;
		if (cc != CURLE_OK)
			w->failed++;
		else if (s.bytes != sizes[i] || s.wrong)
			w->short_or_wrong++;
		else
			w->ok++;
	}
	return NULL;
}

/* mux_stop() ends the lanes early, on their own threads, and may be
 * called again; mux_free() afterwards only joins, also on a mux whose
 * lanes never started.  The lanes' transfers before it are whole. */
static void test_mux_stop_then_free(void **state)
{
	struct mux *m = mux_new(2);
	struct sink s;

	(void)state;
	assert_non_null(m);
	assert_int_equal(fetch(m, "a.example:443", 0, &s), CURLE_OK);
	assert_int_equal(s.bytes, sizes[0]);
	assert_int_equal(fetch(m, "b.example:443", 1, &s), CURLE_OK);
	mux_stop(m);
	mux_stop(m);
	mux_free(m);
	mux_stop(NULL);
	/* a mux whose lanes never started */
	m = mux_new(3);
	assert_non_null(m);
	mux_stop(m);
	mux_free(m);
}

/* Many threads handing transfers to two lanes at once: each gets exactly
 * its own file's bytes and result, none is lost or woken for another's,
 * and none waits for a lane that was not woken for it (a request pushed
 * while others wait in the inbox wakes nobody: the first one's wake-up
 * must serve it). */
static void test_mux_many_threads(void **state)
{
	pthread_t threads[THREADS];
	struct worker w[THREADS];
	struct mux *m = mux_new(2);
	int started = 0;

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.m = m, .id = i};
		if (pthread_create(&threads[i], NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	mux_free(m);
	assert_int_equal(started, THREADS);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].failed, 0);
		assert_int_equal(w[i].short_or_wrong, 0);
		assert_int_equal(w[i].ok, ROUNDS);
		assert_int_equal(w[i].stalled, 0);
	}
}

/* A thread's scheduling policy before and after it hands transfers to
 * lanes, and the lanes', seen from the transfers' callbacks. */
#define KEYS 8
struct policies {
	struct mux *m;
	int before, after, lane[KEYS];
	pthread_t writer[KEYS];
	CURLcode cc[KEYS];
};

static void *hand_over(void *arg)
{
	struct policies *p = arg;

	p->before = sched_getscheduler(0);
	for (int k = 0; k < KEYS; k++) {
		char key[32];
		struct sink s;

		snprintf(key, sizeof(key), "k%d.example:443", k);
		p->cc[k] = fetch(p->m, key, k % FILES, &s);
		p->lane[k] = s.writer_policy;
		p->writer[k] = s.writer;
	}
	p->after = sched_getscheduler(0);
	return NULL;
}

/* A thread that hands its transfers to lanes is SCHED_BATCH from its
 * first one, so that a lane's hand-back does not make it preempt the
 * lane.  The lanes keep the run's default policy, also one started by
 * that thread once it was SCHED_BATCH (a new thread inherits its maker's
 * policy).  The thread is made SCHED_OTHER here: this test's own thread
 * handed transfers to lanes in the tests before. */
static void test_mux_hand_over_thread_is_batch(void **state)
{
	struct policies p = {.m = NULL};
	struct sched_param none = {.sched_priority = 0};
	pthread_t t;
	int lanes_seen = 1;

	(void)state;
	assert_int_equal(pthread_setschedparam(pthread_self(), SCHED_OTHER, &none), 0);
	p.m = mux_new(2);
	assert_non_null(p.m);
	assert_int_equal(pthread_create(&t, NULL, hand_over, &p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	mux_free(p.m);
	assert_int_equal(p.before, SCHED_OTHER);
	assert_int_equal(p.after, SCHED_BATCH);
	for (int k = 0; k < KEYS; k++) {
		assert_int_equal(p.cc[k], CURLE_OK);
		assert_int_equal(p.lane[k], SCHED_OTHER);
		if (!pthread_equal(p.writer[k], p.writer[0]))
			lanes_seen = 2;
	}
	/* both lanes ran, so one was started by the SCHED_BATCH thread */
	assert_int_equal(lanes_seen, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mux_lanes_start_on_first_use),
	    cmocka_unit_test(test_mux_error_to_its_caller),
	    cmocka_unit_test(test_mux_stop_then_free),
	    cmocka_unit_test(test_mux_many_threads),
	    cmocka_unit_test(test_mux_hand_over_thread_is_batch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
