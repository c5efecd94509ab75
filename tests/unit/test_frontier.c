/*
 * Unit tests for frontier: per-host queues, the host scheduler, politeness
 * (per-host cap, wait, random wait, backoff), robots sequencing, the
 * seen-set, the end of the run, and a display (frontier_top_hosts) that
 * draws none of the scheduler's random waits.
 *
 * Order and bookkeeping are checked single-threaded and exactly.  Tests
 * that need a thread blocked show it by the thread not having finished
 * after BLOCKED_MS, then release it and wait for it with a generous
 * deadline (PROMPT_MS); if it misses the deadline the frontier is closed,
 * which frees every waiter, so a failing test still ends and joins its
 * threads.  Timing tests only assert lower bounds the frontier promises
 * (a start is never early), and upper bounds that are seconds wide.
 * Concurrency tests run with 1, 2 and 8 workers, repeated; workers only
 * record (atomics), the test thread asserts after every join.
 *
 * Jobs carry the test's own tag in fetch_job.line, which the frontier
 * never looks at, so workers need not parse URLs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "frontier.h"
#include "robots.h"
#include "url.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Upper bound for "should happen promptly"; generous for TSan on 2 cores. */
#define PROMPT_MS 5000L
/* How long a thread must stay blocked to count as blocked. */
#define BLOCKED_MS 100L
/* Upper bound for a whole stress run. */
#define STRESS_MS 120000L

#define MAX_WORKERS 8

/* ---- time ---------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static double ms_since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

static void sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L};

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
		sleep_us(1000);
	}
	return true;
}

static void raise_to(atomic_uint *max, unsigned v)
{
	unsigned m = atomic_load(max);

	while (v > m && !atomic_compare_exchange_weak(max, &m, v))
		;
}

static void lower_to(atomic_uint *min, unsigned v)
{
	unsigned m = atomic_load(min);

	while (v < m && !atomic_compare_exchange_weak(min, &m, v))
		;
}

/* ---- helpers --------------------------------------------------------------- */

static struct frontier_opts opts_default(void)
{
	return (struct frontier_opts){
	    .per_host = 0,
	    .wait_ms = 0,
	    .random_wait = false,
	    .robots = false,
	    .max_queued = 1u << 16,
	    .backoff_base_ms = 100,
	    .backoff_max_ms = 10000,
	};
}

static struct frontier *fr_new(const struct frontier_opts *o)
{
	struct frontier *f = frontier_new(o);

	assert_non_null(f);
	return f;
}

/* A job for url; NULL on OOM.  For worker threads, which do not assert. */
static struct fetch_job *job_make(const char *url, unsigned depth, unsigned long tag)
{
	struct fetch_job *job = fetch_job_new(url, JOB_PAGE);

	if (job) {
		job->depth = depth;
		job->line = tag;
	}
	return job;
}

/* The same, on the test thread. */
static struct fetch_job *job_new(const char *url, unsigned depth, unsigned long tag)
{
	struct fetch_job *job = job_make(url, depth, tag);

	assert_non_null(job);
	return job;
}

/* Adds a job made on a worker thread; FA_ERR_NOMEM if it could not be. */
static enum fa_err worker_add(struct frontier *f, const char *url, unsigned depth,
			      unsigned long tag, bool block)
{
	struct fetch_job *job = job_make(url, depth, tag);

	return job ? frontier_add(f, job, true, block) : FA_ERR_NOMEM;
}

static enum fa_err add(struct frontier *f, const char *url, unsigned depth, bool dedupe)
{
	return frontier_add(f, job_new(url, depth, 0), dedupe, false);
}

/* The next job, which must come at once. */
static struct fetch_job *take(struct frontier *f)
{
	struct fetch_job *job = NULL;

	assert_int_equal(frontier_next(f, NULL, &job), FA_OK);
	assert_non_null(job);
	assert_non_null(job->host);
	return job;
}

static void finish(struct frontier *f, struct fetch_job *job)
{
	frontier_done(f, job);
	fetch_job_free(job);
}

/* Takes the next job, checks its URL, finishes it. */
static void take_expect(struct frontier *f, const char *url)
{
	struct fetch_job *job = take(f);

	if (strcmp(job->url, url))
		print_message("next: got %s, want %s\n", job->url, url);
	assert_string_equal(job->url, url);
	finish(f, job);
}

static void expect_closed(struct frontier *f)
{
	struct fetch_job *job = (struct fetch_job *)&job;

	assert_int_equal(frontier_next(f, NULL, &job), FA_ERR_CLOSED);
	assert_null(job);
}

/* ---- one call on its own thread ----------------------------------------- */

enum call_op { CALL_NEXT, CALL_ADD, CALL_ATTEMPT };

struct call {
	struct frontier *f;
	enum call_op op;
	struct fetch_job *job;      /* CALL_ADD: given away; CALL_NEXT: got */
	struct frontier_host *host; /* CALL_ATTEMPT */
	bool dedupe;                /* CALL_ADD (always blocking) */
	enum fa_err err;
	bool go; /* CALL_ATTEMPT's answer */
	atomic_bool done;
	pthread_t thread;
};

static void *call_main(void *arg)
{
	struct call *c = arg;

	switch (c->op) {
	case CALL_NEXT: c->err = frontier_next(c->f, NULL, &c->job); break;
	case CALL_ADD:
		c->err = frontier_add(c->f, c->job, c->dedupe, true);
		c->job = NULL;
		break;
	case CALL_ATTEMPT: c->go = frontier_attempt_start(c->f, c->host); break;
	}
	atomic_store(&c->done, true);
	return NULL;
}

static void call_start(struct call *c)
{
	atomic_init(&c->done, false);
	assert_int_equal(pthread_create(&c->thread, NULL, call_main, c), 0);
}

/* Waits for every call to finish; if one is late, closes the frontier (so
 * that all return) and says so.  Joins them all either way. */
static bool calls_finish(struct frontier *f, struct call *calls, size_t n, long timeout_ms)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		if (!eventually(&calls[i].done, timeout_ms))
			ok = false;
	if (!ok)
		frontier_close(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_join(calls[i].thread, NULL), 0);
	return ok;
}

/* True if no call has finished after BLOCKED_MS. */
static bool calls_blocked(struct call *calls, size_t n)
{
	sleep_us(BLOCKED_MS * 1000);
	for (size_t i = 0; i < n; i++)
		if (atomic_load(&calls[i].done))
			return false;
	return true;
}

/* ---- order ----------------------------------------------------------------- */

static void test_frontier_free_accepts_null(void **state)
{
	(void)state;
	frontier_free(NULL);
}

static void test_frontier_fifo_within_host(void **state)
{
	static const char *const urls[] = {
	    "http://h.test/1",   "http://h.test/2", "http://h.test:80/3",
	    "http://H.test/4",   "http://h.test/1", /* a duplicate, no dedupe */
	    "http://h.test/5?x",
	};

	(void)state;
	for (unsigned depth = 0; depth < 3; depth++) {
		struct frontier_opts o = opts_default();
		struct frontier *f = fr_new(&o);

		for (size_t i = 0; i < ARRAY_LEN(urls); i++)
			assert_int_equal(add(f, urls[i], depth, false), FA_OK);
		for (size_t i = 0; i < ARRAY_LEN(urls); i++)
			take_expect(f, urls[i]);
		frontier_input_done(f);
		expect_closed(f);
		frontier_free(f);
	}
}

static void test_frontier_lowest_depth_first(void **state)
{
	static const struct {
		const char *url;
		unsigned depth;
	} jobs[] = {
	    {"http://a.test/3", 3}, {"http://b.test/1", 1}, {"http://c.test/2", 2},
	    {"http://d.test/0", 0}, {"http://e.test/1", 1},
	};
	/* depth first, then the host that has waited longest */
	static const char *const order[] = {
	    "http://d.test/0", "http://b.test/1", "http://e.test/1",
	    "http://c.test/2", "http://a.test/3",
	};
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(jobs); i++)
		assert_int_equal(add(f, jobs[i].url, jobs[i].depth, false), FA_OK);
	for (size_t i = 0; i < ARRAY_LEN(order); i++)
		take_expect(f, order[i]);

	/* a host's own queue stays FIFO: its depth-0 job waits behind its
	 * depth-5 head, while another host's depth-1 job goes first */
	assert_int_equal(add(f, "http://a.test/deep", 5, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/shallow", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/mid", 1, false), FA_OK);
	take_expect(f, "http://b.test/mid");
	take_expect(f, "http://a.test/deep");
	take_expect(f, "http://a.test/shallow");
	frontier_free(f);
}

static void test_frontier_hosts_take_turns(void **state)
{
	static const char *const added[] = {
	    "http://a.test/1", "http://a.test/2", "http://a.test/3",
	    "http://b.test/1", "http://b.test/2", "http://c.test/1",
	};
	static const char *const order[] = {
	    "http://a.test/1", "http://b.test/1", "http://c.test/1",
	    "http://a.test/2", "http://b.test/2", "http://a.test/3",
	};
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(added); i++)
		assert_int_equal(add(f, added[i], 0, false), FA_OK);
	for (size_t i = 0; i < ARRAY_LEN(order); i++)
		take_expect(f, order[i]);
	frontier_free(f);
}

/* Takes the next job for a thread whose last host is in `last`, checks
 * its URL, finishes it. */
static void take_as(struct frontier *f, char *last, const char *url)
{
	struct fetch_job *job = NULL;

	assert_int_equal(frontier_next(f, last, &job), FA_OK);
	assert_non_null(job);
	if (strcmp(job->url, url))
		print_message("next: got %s, want %s\n", job->url, url);
	assert_string_equal(job->url, url);
	assert_true(*last);
	finish(f, job);
}

/* A thread goes on with the host of its last job while that host has
 * work of the lowest depth waiting (its connection is open); other
 * threads, and a thread whose host is spent, take hosts in turn. */
static void test_frontier_last_host_first(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);
	char x[FRONTIER_KEY_MAX] = "", y[FRONTIER_KEY_MAX] = "";

	(void)state;
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/3", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/2", 0, false), FA_OK);
	assert_int_equal(add(f, "http://c.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://d.test/1", 1, false), FA_OK);
	take_as(f, x, "http://a.test/1");
	take_as(f, y, "http://b.test/1");
	take_as(f, x, "http://a.test/2");
	take_as(f, y, "http://b.test/2");
	take_as(f, y, "http://c.test/1"); /* b spent: the turn order */
	take_as(f, x, "http://a.test/3");
	/* a deeper job waits behind a lower one on another host */
	assert_int_equal(add(f, "http://d.test/2", 1, false), FA_OK);
	assert_int_equal(add(f, "http://e.test/1", 0, false), FA_OK);
	memcpy(x, "d.test:80", sizeof("d.test:80"));
	take_as(f, x, "http://e.test/1");
	take_as(f, y, "http://d.test/1");
	take_as(f, y, "http://d.test/2");
	frontier_input_done(f);
	expect_closed(f);
	frontier_free(f);
}

/* ---- dedupe ---------------------------------------------------------------- */

static void test_frontier_dedupe(void **state)
{
	static const struct {
		const char *first, *second;
		enum fa_err expect; /* of the second add, with dedupe */
	} cases[] = {
	    {"http://h/a/b", "http://h/a/b", FA_ERR_EXISTS},
	    {"http://H:80/a/./b", "http://h/a/b", FA_ERR_EXISTS},
	    {"http://h/a/b", "HTTP://h:80/a/c/../b", FA_ERR_EXISTS},
	    {"http://h/a/b#top", "http://h/a/b", FA_ERR_EXISTS},
	    {"http://h/%7euser", "http://h/~user", FA_ERR_EXISTS},
	    {"https://h:443/x", "https://h/x", FA_ERR_EXISTS},
	    {"http://h/a/b", "https://h/a/b", FA_OK},
	    {"http://h/a/b", "http://h:8080/a/b", FA_OK},
	    {"http://h/a/b", "http://h/a/b/", FA_OK},
	    {"http://h/a?x=1", "http://h/a?x=2", FA_OK},
	    {"http://h/a", "http://g/a", FA_OK},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct frontier_opts o = opts_default();
		struct frontier *f = fr_new(&o);
		struct frontier_stats st;

		assert_int_equal(add(f, cases[i].first, 0, true), FA_OK);
		if (add(f, cases[i].second, 0, true) != cases[i].expect) {
			print_message("case %zu: %s then %s\n", i, cases[i].first, cases[i].second);
			fail();
		}
		/* without dedupe, anything goes, and nothing is recorded */
		assert_int_equal(add(f, cases[i].first, 0, false), FA_OK);
		st = frontier_stats(f);
		assert_int_equal(st.queued, cases[i].expect == FA_OK ? 3 : 2);
		assert_int_equal(st.seen, cases[i].expect == FA_OK ? 2 : 1);
		assert_int_equal(st.dropped, 0); /* a duplicate is not "dropped" */
		/* a duplicate stays one even after the first has been handed out */
		take_expect(f, cases[i].first);
		assert_int_equal(add(f, cases[i].first, 0, true), FA_ERR_EXISTS);
		frontier_free(f);
	}
}

static void test_frontier_bad_url(void **state)
{
	static const char *const bad[] = {"not a url", "http://", ""};
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);
	struct frontier_stats st;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(add(f, bad[i], 0, false), FA_ERR_URL);
		assert_int_equal(add(f, bad[i], 0, true), FA_ERR_URL);
	}
	/* a file:// link a page gave is refused (only a listed one, with
	 * --allow-file, is fetched) */
	assert_int_equal(add(f, "file:///etc/passwd", 1, false), FA_ERR_URL);
	assert_int_equal(add(f, "file:///etc/passwd", 2, true), FA_ERR_URL);
	st = frontier_stats(f);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.seen, 0);
	frontier_input_done(f);
	expect_closed(f);
	frontier_free(f);
}

static void test_frontier_mark_seen(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);

	(void)state;
	assert_true(frontier_mark_seen(f, "http://h/redirected/./to"));
	assert_false(frontier_mark_seen(f, "HTTP://H:80/redirected/to"));
	assert_false(frontier_mark_seen(f, "not a url"));
	assert_int_equal(add(f, "http://h/redirected/to#x", 0, true), FA_ERR_EXISTS);
	assert_int_equal(add(f, "http://h/queued", 0, true), FA_OK);
	assert_false(frontier_mark_seen(f, "http://h/queued"));
	assert_int_equal(frontier_stats(f).seen, 2);
	assert_int_equal(frontier_stats(f).queued, 1);
	frontier_free(f);
}

/* ---- limits ---------------------------------------------------------------- */

/* A non-blocking add (URLs a page gave) is dropped once max_total jobs wait
 * (max_total is raised to max_queued when below it; 0 is the default). */
static void test_frontier_max_total_drops(void **state)
{
	static const struct {
		size_t max_queued, max_total, limit;
	} cases[] = {
	    {1, 1, 1},
	    {3, 3, 3},
	    {2, 5, 5},
	    {10, 4, 10},
	};

	(void)state;
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;
		struct frontier_stats st;
		size_t limit = cases[c].limit;
		char url[64];

		o.max_queued = cases[c].max_queued;
		o.max_total = cases[c].max_total;
		f = fr_new(&o);
		for (size_t i = 0; i < limit; i++) {
			snprintf(url, sizeof(url), "http://h%zu.test/%zu", i % 3, i);
			assert_int_equal(add(f, url, 0, true), FA_OK);
		}
		assert_int_equal(add(f, "http://h.test/over", 0, true), FA_ERR_TOO_LONG);
		assert_int_equal(add(f, "http://h.test/over2", 0, false), FA_ERR_TOO_LONG);
		st = frontier_stats(f);
		assert_int_equal(st.queued, limit);
		assert_int_equal(st.dropped, 2);
		assert_int_equal(st.high_water, limit);
		/* a dropped URL was not marked seen: it may come again */
		assert_int_equal(st.seen, limit);
		/* a job handed out makes room for exactly one */
		finish(f, take(f));
		assert_int_equal(add(f, "http://h.test/over", 0, true), FA_OK);
		assert_int_equal(add(f, "http://h.test/over3", 0, true), FA_ERR_TOO_LONG);
		st = frontier_stats(f);
		assert_int_equal(st.dropped, 3);
		assert_int_equal(st.high_water, limit);
		frontier_free(f);
	}
}

/* A blocking add waits while max_queued jobs wait, even when non-blocking
 * adds (up to max_total) have pushed the queue past that. */
static void test_frontier_blocking_add_waits_below_max_queued(void **state)
{
	enum { MAX_QUEUED = 2, MAX_TOTAL = 6, QUEUED = 5 };
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct call adder;
	bool blocked, still_blocked, finished;
	char url[64];

	(void)state;
	o.max_queued = MAX_QUEUED;
	o.max_total = MAX_TOTAL;
	f = fr_new(&o);
	for (int i = 0; i < QUEUED; i++) {
		snprintf(url, sizeof(url), "http://h%d.test/%d", i % 2, i);
		assert_int_equal(add(f, url, 0, true), FA_OK);
	}
	adder = (struct call){
	    .f = f, .op = CALL_ADD, .job = job_new("http://b.test/blocked", 0, 0), .dedupe = true};
	call_start(&adder);
	blocked = calls_blocked(&adder, 1);
	/* a non-blocking add still fits meanwhile */
	assert_int_equal(add(f, "http://n.test/6", 0, true), FA_OK);
	/* down to max_queued: still no room for the blocking add */
	for (int i = 0; i < QUEUED + 1 - MAX_QUEUED; i++)
		finish(f, take(f));
	still_blocked = calls_blocked(&adder, 1);
	finish(f, take(f));
	finished = calls_finish(f, &adder, 1, PROMPT_MS);
	assert_true(blocked);
	assert_true(still_blocked);
	assert_true(finished);
	assert_int_equal(adder.err, FA_OK);
	assert_int_equal(frontier_stats(f).queued, MAX_QUEUED);
	assert_int_equal(frontier_stats(f).dropped, 0);
	frontier_free(f);
}

static void test_frontier_max_seen(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct frontier_stats st;

	(void)state;
	o.max_seen = 2;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://h/1", 0, true), FA_OK);
	assert_int_equal(add(f, "http://h/2", 0, true), FA_OK);
	assert_int_equal(add(f, "http://h/3", 0, true), FA_ERR_TOO_LONG);
	assert_int_equal(add(f, "http://h/1", 0, true), FA_ERR_EXISTS);
	assert_int_equal(add(f, "http://h/3", 0, false), FA_OK); /* no dedupe: no cap */
	st = frontier_stats(f);
	assert_int_equal(st.seen, 2);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.queued, 3);
	frontier_free(f);
}

static void test_frontier_blocking_add_waits_for_room(void **state)
{
	static const unsigned adders[] = {1, 2, 4};
	enum { REPEAT = 2, ROOM = 2 };

	(void)state;
	for (size_t a = 0; a < ARRAY_LEN(adders); a++) {
		for (unsigned rep = 0; rep < REPEAT; rep++) {
			struct frontier_opts o = opts_default();
			struct call calls[4];
			struct frontier *f;
			char url[64];
			bool blocked, finished;

			o.max_queued = ROOM;
			f = fr_new(&o);
			assert_int_equal(add(f, "http://h.test/q0", 0, true), FA_OK);
			assert_int_equal(add(f, "http://g.test/q1", 0, true), FA_OK);
			for (unsigned i = 0; i < adders[a]; i++) {
				snprintf(url, sizeof(url), "http://h%u.test/blocked", i);
				calls[i] = (struct call){.f = f,
							 .op = CALL_ADD,
							 .job = job_new(url, 0, i),
							 .dedupe = true};
				call_start(&calls[i]);
			}
			blocked = calls_blocked(calls, adders[a]);
			/* each job handed out lets one adder in */
			for (unsigned i = 0; i < adders[a]; i++)
				finish(f, take(f));
			finished = calls_finish(f, calls, adders[a], PROMPT_MS);
			assert_true(blocked);
			assert_true(finished);
			for (unsigned i = 0; i < adders[a]; i++)
				assert_int_equal(calls[i].err, FA_OK);
			assert_int_equal(frontier_stats(f).queued, ROOM);
			assert_int_equal(frontier_stats(f).dropped, 0);
			frontier_free(f);
		}
	}
}

/*
 * A full frontier, an adder with a URL already seen and one with a new
 * URL.  The duplicate is refused at once (it never waits for room, so it
 * cannot swallow a wake-up meant for an adder that can use it); the new
 * URL waits, and gets in as soon as one job leaves.
 */
static void test_frontier_blocked_adder_not_starved_by_duplicate(void **state)
{
	enum { REPEAT = 3 };

	(void)state;
	for (unsigned rep = 0; rep < REPEAT; rep++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;
		struct call dup, fresh;
		bool dup_blocked, fresh_blocked, finished;

		o.max_queued = 1;
		f = fr_new(&o);
		assert_int_equal(add(f, "http://h.test/x", 0, true), FA_OK);
		dup = (struct call){.f = f,
				    .op = CALL_ADD,
				    .job = job_new("http://H.test/./x", 0, 1),
				    .dedupe = true};
		call_start(&dup);
		/* a URL seen before is refused at once, full frontier or not */
		dup_blocked = !eventually(&dup.done, PROMPT_MS);
		fresh = (struct call){.f = f,
				      .op = CALL_ADD,
				      .job = job_new("http://h.test/y", 0, 2),
				      .dedupe = true};
		call_start(&fresh);
		fresh_blocked = calls_blocked(&fresh, 1);
		finish(f, take(f)); /* room for one */
		finished = eventually(&fresh.done, PROMPT_MS) && eventually(&dup.done, PROMPT_MS);
		if (!finished)
			print_message("after one job left a full frontier, the new URL's adder "
				      "still waits (duplicate's adder %s)\n",
				      atomic_load(&dup.done) ? "finished" : "waits too");
		if (!finished)
			frontier_close(f);
		assert_int_equal(pthread_join(dup.thread, NULL), 0);
		assert_int_equal(pthread_join(fresh.thread, NULL), 0);
		frontier_free(f); /* before asserting: no leak report on failure */
		assert_false(dup_blocked);
		assert_true(fresh_blocked);
		assert_true(finished);
		assert_int_equal(dup.err, FA_ERR_EXISTS);
		assert_int_equal(fresh.err, FA_OK);
	}
}

/* ---- the end of the run ---------------------------------------------------- */

static void test_frontier_input_done_ends_every_waiter(void **state)
{
	static const unsigned waiters[] = {1, 2, MAX_WORKERS};
	enum { REPEAT = 3 };

	(void)state;
	for (size_t w = 0; w < ARRAY_LEN(waiters); w++) {
		for (unsigned rep = 0; rep < REPEAT; rep++) {
			struct frontier_opts o = opts_default();
			struct frontier *f = fr_new(&o);
			struct call calls[MAX_WORKERS];
			bool blocked, finished;

			for (unsigned i = 0; i < waiters[w]; i++) {
				calls[i] = (struct call){.f = f, .op = CALL_NEXT};
				call_start(&calls[i]);
			}
			blocked = calls_blocked(calls, waiters[w]);
			frontier_input_done(f);
			finished = calls_finish(f, calls, waiters[w], PROMPT_MS);
			assert_true(blocked);
			assert_true(finished);
			for (unsigned i = 0; i < waiters[w]; i++) {
				assert_int_equal(calls[i].err, FA_ERR_CLOSED);
				assert_null(calls[i].job);
			}
			/* and any later call too */
			expect_closed(f);
			frontier_free(f);
		}
	}
}

/* Jobs still queued when input ends are all handed out before the end. */
static void test_frontier_input_done_drains_first(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);
	struct fetch_job *a, *b;
	struct call waiter = {.f = f, .op = CALL_NEXT};
	bool blocked, finished;

	(void)state;
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	frontier_input_done(f);
	a = take(f);
	b = take(f);
	/* nothing queued, but two jobs active: a third caller waits */
	call_start(&waiter);
	blocked = calls_blocked(&waiter, 1);
	finish(f, a);
	blocked = blocked && calls_blocked(&waiter, 1);
	finish(f, b);
	finished = calls_finish(f, &waiter, 1, PROMPT_MS);
	assert_true(blocked);
	assert_true(finished);
	assert_int_equal(waiter.err, FA_ERR_CLOSED);
	frontier_free(f);
}

/* Leaf jobs (a list of files): with the input done and nothing queued, a
 * caller is through at once, though jobs are still active; the frontier
 * stays closed to every later caller, and the active jobs still finish. */
static void test_frontier_leaf_jobs_end_without_waiting(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a, *b;
	struct call caller;
	bool finished;

	(void)state;
	o.leaf_jobs = true;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	a = take(f);
	/* the input is not done: a caller waits, though nothing is queued
	 * once b is taken */
	b = take(f);
	caller = (struct call){.f = f, .op = CALL_NEXT};
	call_start(&caller);
	assert_true(calls_blocked(&caller, 1));
	frontier_input_done(f);
	finished = calls_finish(f, &caller, 1, PROMPT_MS);
	assert_true(finished);
	assert_int_equal(caller.err, FA_ERR_CLOSED);
	assert_null(caller.job);
	expect_closed(f);
	assert_int_equal(frontier_stats(f).active, 2);
	finish(f, a);
	finish(f, b);
	assert_int_equal(frontier_stats(f).active, 0);
	expect_closed(f);
	frontier_free(f);
}

/* Leaf jobs: a caller asleep while the last queued job waits for its host
 * (--per-host 1) is through as soon as another caller takes that job, not
 * when the job ends. */
static void test_frontier_leaf_jobs_last_taken_frees_sleepers(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a;
	struct call callers[2];
	bool blocked, finished;
	size_t got = 0;

	(void)state;
	o.leaf_jobs = true;
	o.per_host = 1;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	frontier_input_done(f);
	a = take(f);
	for (size_t i = 0; i < 2; i++) {
		callers[i] = (struct call){.f = f, .op = CALL_NEXT};
		call_start(&callers[i]);
	}
	blocked = calls_blocked(callers, 2);
	/* a's end lets one caller take a.test/2, the last job; the other
	 * must then be through while that job is still active */
	finish(f, a);
	finished = calls_finish(f, callers, 2, PROMPT_MS);
	assert_true(blocked);
	assert_true(finished);
	for (size_t i = 0; i < 2; i++) {
		if (callers[i].err == FA_OK) {
			assert_non_null(callers[i].job);
			assert_string_equal(callers[i].job->url, "http://a.test/2");
			got++;
		} else {
			assert_int_equal(callers[i].err, FA_ERR_CLOSED);
		}
	}
	assert_int_equal(got, 1);
	assert_int_equal(frontier_stats(f).active, 1);
	for (size_t i = 0; i < 2; i++)
		if (callers[i].job)
			finish(f, callers[i].job);
	frontier_free(f);
}

/*
 * A tree of TREE jobs over 5 hosts, grown by the workers: each job adds
 * its children before frontier_done().  Input is done before the first
 * job is taken, so only the active jobs keep the run going; no worker may
 * see the end while a job it could still get exists.
 */
#define TREE 300u

struct tree_world {
	struct frontier *f;
	atomic_uint hits[TREE];
	atomic_uint completed, closed, errors;
	atomic_uint min_completed_at_close;
};

static void *tree_worker(void *arg)
{
	struct tree_world *w = arg;

	for (;;) {
		struct fetch_job *job = NULL;
		enum fa_err err = frontier_next(w->f, NULL, &job);
		unsigned id;

		if (err == FA_ERR_CLOSED) {
			lower_to(&w->min_completed_at_close, atomic_load(&w->completed));
			atomic_fetch_add(&w->closed, 1);
			return NULL;
		}
		if (err != FA_OK || !job || job->line < 1 || job->line > TREE) {
			atomic_fetch_add(&w->errors, 1);
			return NULL;
		}
		id = (unsigned)job->line - 1;
		atomic_fetch_add(&w->hits[id], 1);
		for (int k = 0; k < 5; k++)
			sched_yield();
		for (unsigned child = 2 * id + 1; child <= 2 * id + 2 && child < TREE; child++) {
			char url[64];

			snprintf(url, sizeof(url), "http://h%u.test/n/%u", child % 5, child);
			if (worker_add(w->f, url, job->depth + 1, child + 1, false) != FA_OK)
				atomic_fetch_add(&w->errors, 1);
		}
		atomic_fetch_add(&w->completed, 1);
		finish(w->f, job);
	}
}

static void test_frontier_active_job_keeps_frontier_alive(void **state)
{
	static const unsigned workers[] = {1, 2, MAX_WORKERS};
	enum { REPEAT = 3 };

	(void)state;
	for (size_t n = 0; n < ARRAY_LEN(workers); n++) {
		for (unsigned rep = 0; rep < REPEAT; rep++) {
			struct frontier_opts o = opts_default();
			struct tree_world *w = calloc(1, sizeof(*w));
			pthread_t threads[MAX_WORKERS];

			assert_non_null(w);
			w->f = fr_new(&o);
			atomic_store(&w->min_completed_at_close, UINT32_MAX);
			assert_int_equal(
			    frontier_add(w->f, job_new("http://h0.test/n/0", 0, 1), true, false),
			    FA_OK);
			frontier_input_done(w->f);
			for (unsigned i = 0; i < workers[n]; i++)
				assert_int_equal(pthread_create(&threads[i], NULL, tree_worker, w),
						 0);
			for (unsigned i = 0; i < workers[n]; i++)
				assert_int_equal(pthread_join(threads[i], NULL), 0);
			assert_int_equal(atomic_load(&w->errors), 0);
			assert_int_equal(atomic_load(&w->closed), workers[n]);
			assert_int_equal(atomic_load(&w->completed), TREE);
			assert_int_equal(atomic_load(&w->min_completed_at_close), TREE);
			for (unsigned i = 0; i < TREE; i++)
				assert_int_equal(atomic_load(&w->hits[i]), 1);
			assert_int_equal(frontier_stats(w->f).active, 0);
			assert_int_equal(frontier_stats(w->f).queued, 0);
			frontier_free(w->f);
			free(w);
		}
	}
}

/* ---- per-host cap ---------------------------------------------------------- */

#define CAP_JOBS 60u /* per host */

struct cap_world {
	struct frontier *f;
	unsigned expect_total; /* active at once the run must reach */
	uint64_t deadline_ns;  /* after it, nobody waits for that */
	atomic_uint active[2], max[2];
	atomic_uint total, max_total;
	atomic_uint handled, closed, errors;
	atomic_bool reached;
};

static void *cap_worker(void *arg)
{
	struct cap_world *w = arg;

	for (;;) {
		struct fetch_job *job = NULL;
		enum fa_err err = frontier_next(w->f, NULL, &job);
		unsigned h, now_total;

		if (err == FA_ERR_CLOSED) {
			atomic_fetch_add(&w->closed, 1);
			return NULL;
		}
		if (err != FA_OK || !job || job->line > 1) {
			atomic_fetch_add(&w->errors, 1);
			return NULL;
		}
		h = (unsigned)job->line;
		raise_to(&w->max[h], atomic_fetch_add(&w->active[h], 1) + 1);
		now_total = atomic_fetch_add(&w->total, 1) + 1;
		raise_to(&w->max_total, now_total);
		if (now_total >= w->expect_total)
			atomic_store(&w->reached, true);
		/* hold the job: until the peak has been seen, then briefly */
		while (!atomic_load(&w->reached) && now_ns() < w->deadline_ns)
			sleep_us(200);
		sleep_us(100);
		atomic_fetch_sub(&w->active[h], 1);
		atomic_fetch_sub(&w->total, 1);
		atomic_fetch_add(&w->handled, 1);
		finish(w->f, job);
	}
}

static void test_frontier_per_host_cap(void **state)
{
	static const unsigned caps[] = {1, 2, 3};
	static const unsigned hosts[] = {1, 2};
	static const unsigned workers[] = {1, 2, MAX_WORKERS};
	enum { REPEAT = 2 };

	(void)state;
	for (size_t c = 0; c < ARRAY_LEN(caps); c++)
		for (size_t k = 0; k < ARRAY_LEN(hosts); k++)
			for (size_t n = 0; n < ARRAY_LEN(workers); n++)
				for (unsigned rep = 0; rep < REPEAT; rep++) {
					struct frontier_opts o = opts_default();
					struct cap_world *w = calloc(1, sizeof(*w));
					pthread_t threads[MAX_WORKERS];
					unsigned cap_total = caps[c] * hosts[k];

					assert_non_null(w);
					o.per_host = caps[c];
					w->f = fr_new(&o);
					w->expect_total =
					    workers[n] < cap_total ? workers[n] : cap_total;
					w->deadline_ns = now_ns() + PROMPT_MS * 1000000u;
					for (unsigned i = 0; i < CAP_JOBS; i++) {
						for (unsigned h = 0; h < hosts[k]; h++) {
							char url[64];

							snprintf(url, sizeof(url),
								 "http://h%u.test/%u", h, i);
							assert_int_equal(
							    frontier_add(w->f, job_new(url, 0, h),
									 true, false),
							    FA_OK);
						}
					}
					frontier_input_done(w->f);
					for (unsigned i = 0; i < workers[n]; i++)
						assert_int_equal(pthread_create(&threads[i], NULL,
										cap_worker, w),
								 0);
					for (unsigned i = 0; i < workers[n]; i++)
						assert_int_equal(pthread_join(threads[i], NULL), 0);
					if (atomic_load(&w->max_total) != w->expect_total)
						print_message("per_host %u, %u hosts, %u workers: "
							      "peak %u, want %u\n",
							      caps[c], hosts[k], workers[n],
							      atomic_load(&w->max_total),
							      w->expect_total);
					assert_int_equal(atomic_load(&w->errors), 0);
					assert_int_equal(atomic_load(&w->closed), workers[n]);
					assert_int_equal(atomic_load(&w->handled),
							 CAP_JOBS * hosts[k]);
					assert_int_equal(atomic_load(&w->max_total),
							 w->expect_total);
					for (unsigned h = 0; h < hosts[k]; h++) {
						assert_true(atomic_load(&w->max[h]) <= caps[c]);
						if (cap_total <= workers[n])
							assert_int_equal(atomic_load(&w->max[h]),
									 caps[c]);
					}
					frontier_free(w->f);
					free(w);
				}
}

/* ---- politeness in time ---------------------------------------------------- */

static void test_frontier_wait_spaces_attempts(void **state)
{
	static const long waits[] = {100, 250};
	enum { ATTEMPTS = 4 };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(waits); i++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;
		struct fetch_job *a, *b;
		uint64_t before[ATTEMPTS];
		double after_ms[ATTEMPTS], b_ms;

		o.wait_ms = waits[i];
		f = fr_new(&o);
		assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
		assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
		a = take(f);
		b = take(f);
		for (int k = 0; k < ATTEMPTS; k++) {
			before[k] = now_ns();
			assert_true(frontier_attempt_start(f, a->host));
			after_ms[k] = (double)now_ns() / 1e6;
		}
		/* another host has its own clock */
		{
			uint64_t t0 = now_ns();

			assert_true(frontier_attempt_start(f, b->host));
			b_ms = ms_since(t0);
		}
		for (int k = 1; k < ATTEMPTS; k++) {
			/* the frontier's clock has millisecond steps */
			double gap = after_ms[k] - (double)before[k - 1] / 1e6;

			if (gap < (double)waits[i] - 1.0)
				print_message("wait %ld: attempt %d came %.1f ms after %d\n",
					      waits[i], k, gap, k - 1);
			assert_true(gap >= (double)waits[i] - 1.0);
		}
		assert_true(b_ms < (double)PROMPT_MS);
		finish(f, a);
		finish(f, b);
		frontier_free(f);
	}
}

/* A host's next job is not handed out before its next allowed start; another
 * host's job is, meanwhile. */
static void test_frontier_wait_gates_next(void **state)
{
	enum { WAIT = 300 };
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a1, *a2, *b;
	uint64_t t0;
	double elapsed;

	(void)state;
	o.wait_ms = WAIT;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	a1 = take(f);
	t0 = now_ns();
	assert_true(frontier_attempt_start(f, a1->host));
	finish(f, a1);
	assert_int_equal(add(f, "http://b.test/1", 1, false), FA_OK);
	b = take(f); /* a's depth-0 job waits for its time; b's goes */
	assert_string_equal(b->url, "http://b.test/1");
	a2 = take(f);
	elapsed = ms_since(t0);
	assert_string_equal(a2->url, "http://a.test/2");
	if (elapsed < WAIT - 1)
		print_message("a's second job came after %.1f ms\n", elapsed);
	assert_true(elapsed >= WAIT - 1);
	finish(f, a2);
	finish(f, b);
	frontier_free(f);
}

/*
 * Starts one request on each of n fresh hosts (a host's first start comes
 * at once and books the next with a delay drawn then), calling
 * frontier_top_hosts() `looks` times before each start, and returns the
 * delays booked, in the order of the starts, in delays[]; each host's
 * displayed delay_ms must be wait_ms itself.
 */
static void first_delays(struct frontier *f, size_t n, long wait_ms, int looks, long *delays)
{
	struct frontier_host_view *views = calloc(n, sizeof(*views));
	struct fetch_job **jobs = calloc(n, sizeof(*jobs));
	char url[64], key[64];

	assert_non_null(views);
	assert_non_null(jobs);
	for (size_t i = 0; i < n; i++) {
		snprintf(url, sizeof(url), "http://h%zu.test/1", i);
		assert_int_equal(add(f, url, 0, false), FA_OK);
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i] = take(f);
		for (int k = 0; k < looks; k++)
			assert_int_equal(frontier_top_hosts(f, views, n), n);
		assert_true(frontier_attempt_start(f, jobs[i]->host));
	}
	assert_int_equal(frontier_top_hosts(f, views, n), n);
	for (size_t i = 0; i < n; i++) {
		size_t v = 0;

		assert_int_equal(url_host_key(jobs[i]->url, key, sizeof(key)), FA_OK);
		while (v < n && strcmp(views[v].key, key) != 0)
			v++;
		assert_true(v < n);
		assert_int_equal(views[v].delay_ms, wait_ms);
		delays[i] = views[v].last_delay_ms;
		finish(f, jobs[i]);
	}
	free(jobs);
	free(views);
}

/* --random-wait's draws fall in wait_ms x [0.5, 1.5) and vary; the
 * display shows wait_ms itself. */
static void test_frontier_random_wait_range(void **state)
{
	static const long waits[] = {10, 200, 1001};
	enum { HOSTS = 400 };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(waits); i++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;
		long delays[HOSTS], lo = LONG_MAX, hi = 0;

		o.wait_ms = waits[i];
		o.random_wait = true;
		f = fr_new(&o);
		first_delays(f, HOSTS, waits[i], 0, delays);
		for (size_t k = 0; k < HOSTS; k++) {
			if (delays[k] < lo)
				lo = delays[k];
			if (delays[k] > hi)
				hi = delays[k];
		}
		/* frontier.h: wait_ms x [0.5, 1.5) */
		assert_true(lo >= waits[i] / 2);
		assert_true(hi <= waits[i] + waits[i] / 2);
		assert_true(lo < hi);
		frontier_free(f);
	}
}

/* Looking (frontier_top_hosts, which the progress line calls) draws no
 * random number: two frontiers of one seed book the same random waits
 * whether or not they are looked at between the starts. */
static void test_frontier_top_hosts_draws_nothing(void **state)
{
	enum { HOSTS = 16, WAIT = 1000 };
	long quiet[HOSTS], watched[HOSTS];
	bool varied = false;

	(void)state;
	for (unsigned seed = 1; seed <= 3; seed++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;

		o.wait_ms = WAIT;
		o.random_wait = true;
		o.random_seed = seed * 7919;
		f = fr_new(&o);
		first_delays(f, HOSTS, WAIT, 0, quiet);
		frontier_free(f);
		f = fr_new(&o);
		first_delays(f, HOSTS, WAIT, 5, watched);
		frontier_free(f);
		for (size_t k = 0; k < HOSTS; k++) {
			if (quiet[k] != watched[k])
				fail_msg("seed %u, start %zu: %ld ms unwatched, %ld ms watched",
					 o.random_seed, k, quiet[k], watched[k]);
			varied |= quiet[k] != quiet[0];
		}
	}
	assert_true(varied); /* the draws are random, so equality means something */
}

/* A 503 with Retry-After holds that host back; another host goes on. */
static void test_frontier_backoff_retry_after(void **state)
{
	static const struct {
		long http_code, retry_after_ms;
	} cases[] = {{503, 300}, {429, 250}};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct frontier_opts o = opts_default();
		struct frontier *f = fr_new(&o);
		struct fetch_job *a, *b;
		uint64_t t0;
		double a_ms;

		assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
		assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
		a = take(f);
		b = take(f);
		assert_true(frontier_attempt_start(f, a->host));
		t0 = now_ns();
		frontier_attempt_end(f, a->host, cases[i].http_code, false, cases[i].retry_after_ms,
				     -1);
		assert_true(frontier_attempt_start(f, b->host));
		assert_true(frontier_attempt_start(f, a->host));
		a_ms = ms_since(t0);
		if (a_ms < (double)cases[i].retry_after_ms - 1.0)
			print_message("%ld with Retry-After %ld ms: next start after %.1f ms\n",
				      cases[i].http_code, cases[i].retry_after_ms, a_ms);
		assert_true(a_ms >= (double)cases[i].retry_after_ms - 1.0);
		finish(f, a);
		finish(f, b);
		frontier_free(f);
	}
}

/* A long backoff on one host: another host's start is prompt, the
 * throttled host's start waits (until close ends it with false). */
static void test_frontier_backoff_is_per_host(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);
	struct fetch_job *a, *b;
	struct call waiter;
	uint64_t t0;
	double b_ms;
	bool blocked, finished;

	(void)state;
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	a = take(f);
	b = take(f);
	assert_true(frontier_attempt_start(f, a->host));
	frontier_attempt_end(f, a->host, 429, false, 8000, -1);
	t0 = now_ns();
	assert_true(frontier_attempt_start(f, b->host));
	b_ms = ms_since(t0);
	waiter = (struct call){.f = f, .op = CALL_ATTEMPT, .host = a->host};
	call_start(&waiter);
	blocked = calls_blocked(&waiter, 1);
	frontier_close(f);
	finished = calls_finish(f, &waiter, 1, PROMPT_MS);
	assert_true(b_ms < 4000.0);
	assert_true(blocked);
	assert_true(finished);
	assert_false(waiter.go);
	/* closed: no start at all, not even on the healthy host */
	assert_false(frontier_attempt_start(f, b->host));
	finish(f, a);
	finish(f, b);
	frontier_free(f);
}

/* The slowdown as the display shows it (wait + standing backoff) in a
 * polite run: doubling from the base, capped; halved per success; a
 * Retry-After holds the host for itself and clears the rest. */
static void test_frontier_backoff_doubles_and_recovers(void **state)
{
	static const struct {
		long http_code;
		bool transport_error;
		long retry_after_ms;
		long expect_delay_ms; /* wait_ms 50 + backoff */
	} steps[] = {
	    {200, false, -1, 50},   {429, false, -1, 150}, {503, false, -1, 250},
	    {429, false, -1, 450},  {429, false, -1, 850}, {503, false, -1, 1050},
	    {503, false, -1, 1050},                        /* capped at backoff_max_ms */
	    {200, false, -1, 550},  {500, false, -1, 550}, /* an error is no success */
	    {0, true, -1, 550},     {200, false, -1, 300}, {200, false, -1, 175},
	    {200, false, -1, 112},  {200, false, -1, 81},  {200, false, -1, 65},
	    {200, false, -1, 50},  /* 7 ms left: gone */
	    {429, false, -1, 150}, /* doubling starts over */
	    {503, false, 300, 50}, /* Retry-After: no slowdown beyond its hold */
	    {200, false, -1, 50},
	};
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *job;
	struct frontier_host_view view;
	uint64_t throttled = 0, errors = 0;

	(void)state;
	o.wait_ms = 50;
	o.backoff_base_ms = 100;
	o.backoff_max_ms = 1000;
	o.polite = true;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	job = take(f);
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		frontier_attempt_end(f, job->host, steps[i].http_code, steps[i].transport_error,
				     steps[i].retry_after_ms, -1);
		throttled += steps[i].http_code == 429 || steps[i].http_code == 503;
		errors += steps[i].transport_error || steps[i].http_code == 500;
		assert_int_equal(frontier_top_hosts(f, &view, 1), 1);
		if (view.delay_ms != steps[i].expect_delay_ms)
			print_message("step %zu (%ld): delay %ld ms, want %ld\n", i,
				      steps[i].http_code, view.delay_ms, steps[i].expect_delay_ms);
		assert_int_equal(view.delay_ms, steps[i].expect_delay_ms);
		assert_int_equal(view.throttled, throttled);
		assert_int_equal(view.errors, errors);
	}
	finish(f, job);
	frontier_free(f);
}

/* The slowdown rule by table: what each response does to the hold and to
 * the standing slowdown, in a list and in polite runs. */
static void test_frontier_slowdown_rule(void **state)
{
	enum run { LIST, CRAWL, WAIT, THROTTLE };
	static const struct {
		enum run run;
		long backoff, http_code;
		bool transport_error;
		long retry_after;
		long hold, next_backoff;
	} cases[] = {
	    /* Retry-After: held exactly that long, capped, slowdown cleared */
	    {LIST, 0, 503, false, 2000, 2000, 0},
	    {LIST, 0, 429, false, 0, 0, 0},
	    {LIST, 0, 503, false, 999999, 5000, 0}, /* retry_after_max_ms */
	    {CRAWL, 800, 503, false, 300, 300, 0},  /* never longer than asked */
	    {WAIT, 800, 429, false, 2000, 2000, 0},
	    /* no Retry-After in a list: no hold, nothing changes */
	    {LIST, 0, 503, false, -1, 0, 0},
	    {LIST, 0, 429, false, -1, 0, 0},
	    /* ... in a polite run: doubling from the base, capped */
	    {CRAWL, 0, 503, false, -1, 100, 100},
	    {CRAWL, 100, 429, false, -1, 200, 200},
	    {CRAWL, 600, 503, false, -1, 1000, 1000},
	    {CRAWL, 1000, 503, false, -1, 1000, 1000},
	    {WAIT, 0, 503, false, -1, 100, 100},
	    {THROTTLE, 400, 429, false, -1, 800, 800},
	    /* errors change nothing; successes halve, to 0 under 10 ms */
	    {CRAWL, 400, 500, false, -1, 0, 400},
	    {CRAWL, 400, 0, true, -1, 0, 400},
	    {CRAWL, 400, 200, false, -1, 0, 200},
	    {CRAWL, 400, 404, false, -1, 0, 200},
	    {CRAWL, 19, 200, false, -1, 0, 0},
	    {LIST, 0, 200, false, -1, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct frontier_opts o = opts_default();
		struct frontier_slowdown sd;

		o.backoff_base_ms = 100;
		o.backoff_max_ms = 1000;
		o.retry_after_max_ms = 5000;
		o.polite = cases[i].run == CRAWL;
		o.wait_ms = cases[i].run == WAIT ? 50 : 0;
		o.throttle_target_milli = cases[i].run == THROTTLE ? 1000 : 0;
		sd = frontier_slowdown(&o, cases[i].backoff, cases[i].http_code,
				       cases[i].transport_error, cases[i].retry_after);
		if (sd.hold_ms != cases[i].hold || sd.backoff_ms != cases[i].next_backoff)
			fail_msg("case %zu: hold %ld backoff %ld, want %ld and %ld", i, sd.hold_ms,
				 sd.backoff_ms, cases[i].hold, cases[i].next_backoff);
	}
}

/* In a list, 503s without Retry-After do not hold the host: the next
 * start comes at once though the base is 10 s (the old rule held the
 * host for 10 s, then 20, ...); in a crawl one such 503 holds the host for
 * the base. */
static void test_frontier_list_503_holds_nothing(void **state)
{
	(void)state;
	for (int polite = 0; polite <= 1; polite++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;
		struct fetch_job *a;
		struct call waiter;
		uint64_t t0;
		double ms;
		bool blocked = false, finished;

		o.backoff_base_ms = polite ? 300 : 10000;
		o.polite = polite;
		f = fr_new(&o);
		assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
		a = take(f);
		for (int i = 0; i < (polite ? 1 : 6); i++) {
			assert_true(frontier_attempt_start(f, a->host));
			frontier_attempt_end(f, a->host, 503, false, -1, -1);
		}
		t0 = now_ns();
		waiter = (struct call){.f = f, .op = CALL_ATTEMPT, .host = a->host};
		call_start(&waiter);
		if (polite)
			blocked = calls_blocked(&waiter, 1);
		finished = calls_finish(f, &waiter, 1, PROMPT_MS);
		ms = ms_since(t0);
		assert_true(finished);
		assert_true(waiter.go);
		if (polite) {
			assert_true(blocked);
			assert_true(ms >= 299.0);
		}
		finish(f, a);
		frontier_free(f);
	}
}

/* ---- auto-throttle ---------------------------------------------------------- */

static void test_frontier_throttle_rule(void **state)
{
	static const struct {
		long delay, latency;
		unsigned target_milli;
		long min, max, http_code, want;
	} cases[] = {
	    {1000, 100, 1000, 0, 60000, 200, 550},     /* halfway to latency */
	    {550, 100, 1000, 0, 60000, 200, 325},      /* ... and on */
	    {100, 100, 1000, 0, 60000, 200, 100},      /* converged */
	    {100, 400, 1000, 0, 60000, 200, 400},      /* a slower server: at once */
	    {1000, 400, 2000, 0, 60000, 200, 600},     /* two in flight: 200 target */
	    {1000, 400, 500, 0, 60000, 200, 900},      /* half: 800 target */
	    {100, 0, 1000, 50, 60000, 200, 50},        /* never below --wait */
	    {100, 0, 1000, 0, 60000, 200, 50},         /* zero latency halves */
	    {1000, 90000, 1000, 0, 60000, 200, 60000}, /* capped */
	    {1000, 100, 1000, 0, 60000, 404, 1000},    /* non-200 never lowers */
	    {1000, 100, 1000, 0, 60000, 302, 1000},
	    {100, 400, 1000, 0, 60000, 500, 400}, /* but may raise */
	    {100, 400, 1000, 0, 60000, 503, 400},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		long got =
		    frontier_throttle_delay(cases[i].delay, cases[i].latency, cases[i].target_milli,
					    cases[i].min, cases[i].max, cases[i].http_code);

		if (got != cases[i].want)
			print_message("case %zu: %ld, want %ld\n", i, got, cases[i].want);
		assert_int_equal(got, cases[i].want);
	}
}

/* A host starts at FRONTIER_THROTTLE_START_MS (or --wait if larger), its
 * delay follows its own latency, failures without a response leave it,
 * 429 backoff still adds on top, and each host learns on its own. */
static void test_frontier_throttle_per_host(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a, *b;
	struct frontier_host_view view[2];

	(void)state;
	o.throttle_target_milli = 1000;
	o.throttle_max_ms = 60000;
	o.backoff_base_ms = 100;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	a = take(f);
	b = take(f);
	assert_int_equal(frontier_top_hosts(f, view, 2), 2);
	assert_int_equal(view[0].delay_ms, FRONTIER_THROTTLE_START_MS);
	assert_int_equal(view[1].delay_ms, FRONTIER_THROTTLE_START_MS);

	frontier_attempt_end(f, a->host, 200, false, -1, 200);  /* (1000 + 200) / 2 */
	frontier_attempt_end(f, a->host, 200, false, -1, 200);  /* (600 + 200) / 2 */
	frontier_attempt_end(f, a->host, 0, true, -1, -1);      /* no response: kept */
	frontier_attempt_end(f, a->host, 200, false, -1, -1);   /* no latency: kept */
	frontier_attempt_end(f, b->host, 200, false, -1, 3000); /* slow: at once */
	assert_int_equal(frontier_top_hosts(f, view, 2), 2);
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(view[i].key, "a.test:80") == 0)
			assert_int_equal(view[i].delay_ms, 400);
		else
			assert_int_equal(view[i].delay_ms, 3000);
	}
	/* A 429 backs off on top of the learned delay. */
	frontier_attempt_end(f, a->host, 429, false, -1, 10);
	assert_int_equal(frontier_top_hosts(f, view, 2), 2);
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(view[i].key, "a.test:80") == 0)
			assert_int_equal(view[i].delay_ms, 400 + 100);
	}
	finish(f, a);
	finish(f, b);
	frontier_free(f);

	/* --wait above the start value is where a host starts, and its floor. */
	o.wait_ms = 2500;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	a = take(f);
	assert_int_equal(frontier_top_hosts(f, view, 1), 1);
	assert_int_equal(view[0].delay_ms, 2500);
	frontier_attempt_end(f, a->host, 200, false, -1, 10);
	assert_int_equal(frontier_top_hosts(f, view, 1), 1);
	assert_int_equal(view[0].delay_ms, 2500);
	finish(f, a);
	frontier_free(f);
}

/* The progress line's counts: a job handed out whose thread waits (out
 * --wait, say) is active but not in flight; a host's in-flight count
 * and the sum, read by one snapshot, agree. */
static void test_frontier_in_flight_counts_agree(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a1, *a2, *b;
	struct frontier_host_view view[2];
	struct frontier_stats st;

	(void)state;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	a1 = take(f);
	a2 = take(f);
	b = take(f);
	/* handed out host by host, in turn */
	if (strstr(a2->url, "b.test")) {
		struct fetch_job *t = a2;

		a2 = b;
		b = t;
	}
	assert_non_null(strstr(a1->url, "a.test"));
	assert_non_null(strstr(a2->url, "a.test"));
	assert_non_null(strstr(b->url, "b.test"));
	assert_int_equal(frontier_snapshot(f, &st, view, 2), 2);
	assert_int_equal(st.active, 3);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(view[0].in_flight + view[1].in_flight, 0);

	frontier_in_flight(f, a1->host, true);
	frontier_in_flight(f, b->host, true);
	assert_int_equal(frontier_snapshot(f, &st, view, 2), 2);
	assert_int_equal(st.in_flight, 2);
	assert_int_equal(view[0].in_flight, 1);
	assert_int_equal(view[1].in_flight, 1);
	frontier_in_flight(f, a2->host, true);
	frontier_in_flight(f, b->host, false);
	assert_int_equal(frontier_snapshot(f, &st, view, 1), 1);
	assert_string_equal(view[0].key, "a.test:80");
	assert_int_equal(view[0].in_flight, 2);
	assert_int_equal(st.in_flight, 2);
	frontier_in_flight(f, a1->host, false);
	frontier_in_flight(f, a2->host, false);
	/* more offs than ons (a caller's bug) do not wrap around */
	frontier_in_flight(f, a2->host, false);
	assert_int_equal(frontier_stats(f).in_flight, 0);
	finish(f, a1);
	finish(f, a2);
	finish(f, b);
	frontier_free(f);
}

/* ---- robots ---------------------------------------------------------------- */

static void test_frontier_robots_sequencing(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *ra, *rb, *job;
	struct call waiter;
	bool blocked, finished;

	(void)state;
	o.robots = true;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test:8080/x/1?q#f", 0, true), FA_OK);
	assert_int_equal(add(f, "http://a.test:8080/2", 0, true), FA_OK);
	assert_int_equal(add(f, "https://b.test/3", 0, true), FA_OK);

	/* each host's first job out is its robots.txt */
	ra = take(f);
	assert_int_equal(ra->kind, JOB_ROBOTS);
	assert_string_equal(ra->url, "http://a.test:8080/robots.txt");
	assert_false(ra->save);
	/* a's pages wait for the verdict; b is not held up by them */
	rb = take(f);
	assert_int_equal(rb->kind, JOB_ROBOTS);
	assert_string_equal(rb->url, "https://b.test/robots.txt");
	assert_int_equal(frontier_stats(f).active, 2);
	assert_int_equal(frontier_stats(f).queued, 3);

	/* both hosts wait for robots: next() blocks, even after input ends */
	frontier_input_done(f);
	waiter = (struct call){.f = f, .op = CALL_NEXT};
	call_start(&waiter);
	blocked = calls_blocked(&waiter, 1);
	frontier_set_robots(f, ra->host, robots_allow_all());
	finished = calls_finish(f, &waiter, 1, PROMPT_MS);
	assert_true(blocked);
	assert_true(finished);
	assert_int_equal(waiter.err, FA_OK);
	assert_non_null(waiter.job);
	assert_string_equal(waiter.job->url, "http://a.test:8080/x/1?q#f");
	assert_int_equal(waiter.job->kind, JOB_PAGE);
	assert_ptr_equal(frontier_robots(waiter.job->host), robots_allow_all());
	finish(f, waiter.job);
	finish(f, ra);
	take_expect(f, "http://a.test:8080/2");

	/* robots known: a host's new jobs go straight out, no second robots */
	assert_int_equal(add(f, "http://a.test:8080/4", 1, true), FA_OK);
	job = take(f);
	assert_string_equal(job->url, "http://a.test:8080/4");
	assert_int_equal(job->kind, JOB_PAGE);
	finish(f, job);

	/* NULL robots: everything allowed */
	frontier_set_robots(f, rb->host, NULL);
	job = take(f);
	assert_string_equal(job->url, "https://b.test/3");
	assert_null(frontier_robots(job->host));
	finish(f, job);
	finish(f, rb);
	expect_closed(f);
	frontier_free(f);
}

/* With robots off no robots job is made. */
static void test_frontier_no_robots_job_when_off(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);
	struct fetch_job *job;

	(void)state;
	assert_int_equal(add(f, "http://a.test/1", 0, true), FA_OK);
	job = take(f);
	assert_int_equal(job->kind, JOB_PAGE);
	assert_string_equal(job->url, "http://a.test/1");
	assert_null(frontier_robots(job->host));
	finish(f, job);
	frontier_free(f);
}

static void test_frontier_robots_crawl_delay(void **state)
{
	static const struct {
		long wait_ms;
		const char *robots_txt; /* NULL: set_robots(NULL) */
		long expect_delay_ms;
	} cases[] = {
	    {100, "User-agent: *\nCrawl-delay: 0.3\n", 300},
	    {500, "User-agent: *\nCrawl-delay: 0.3\n", 500}, /* the larger wins */
	    {100, "User-agent: *\nDisallow: /x\n", 100},
	    {100, NULL, 100},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct frontier_opts o = opts_default();
		struct frontier *f;
		struct fetch_job *robots_job, *page;
		struct robots *r = NULL;
		struct frontier_host_view view;

		o.robots = true;
		o.wait_ms = cases[i].wait_ms;
		f = fr_new(&o);
		assert_int_equal(add(f, "http://a.test/page", 0, true), FA_OK);
		robots_job = take(f);
		assert_int_equal(robots_job->kind, JOB_ROBOTS);
		if (cases[i].robots_txt)
			assert_int_equal(robots_parse(cases[i].robots_txt,
						      strlen(cases[i].robots_txt), "fetchall", &r),
					 FA_OK);
		frontier_set_robots(f, robots_job->host, r);
		assert_ptr_equal(frontier_robots(robots_job->host), r);
		finish(f, robots_job);
		page = take(f);
		assert_string_equal(page->url, "http://a.test/page");
		assert_int_equal(frontier_top_hosts(f, &view, 1), 1);
		assert_int_equal(view.delay_ms, cases[i].expect_delay_ms);
		finish(f, page);
		frontier_free(f); /* frees r */
	}
}

/* ---- close ----------------------------------------------------------------- */

/* A job added while one thread waits for its host's next start and
 * another for any job goes to the one waiting for a job, at once: the
 * host's wait does not take the wake-up meant for it. */
static void test_frontier_added_job_wakes_a_taker(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a;
	struct call calls[2];
	bool finished;

	(void)state;
	o.wait_ms = 30000;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	a = take(f);
	assert_true(frontier_attempt_start(f, a->host));
	calls[0] = (struct call){.f = f, .op = CALL_ATTEMPT, .host = a->host};
	calls[1] = (struct call){.f = f, .op = CALL_NEXT};
	call_start(&calls[0]); /* a's next start is 30 s away */
	sleep_us(BLOCKED_MS * 1000);
	call_start(&calls[1]); /* nothing queued */
	assert_true(calls_blocked(calls, 2));
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	finished = eventually(&calls[1].done, PROMPT_MS);
	frontier_close(f); /* a's wait ends too */
	assert_true(calls_finish(f, calls, 2, PROMPT_MS));
	assert_true(finished);
	assert_int_equal(calls[1].err, FA_OK);
	assert_string_equal(calls[1].job->url, "http://b.test/1");
	assert_false(calls[0].go);
	finish(f, calls[1].job);
	finish(f, a);
	frontier_free(f);
}

static void test_frontier_close_wakes_everyone(void **state)
{
	static const unsigned nexts[] = {1, 2, 4};
	enum { REPEAT = 2 };

	(void)state;
	for (size_t n = 0; n < ARRAY_LEN(nexts); n++) {
		for (unsigned rep = 0; rep < REPEAT; rep++) {
			struct frontier_opts o = opts_default();
			struct frontier *f;
			struct fetch_job *active;
			struct call calls[6];
			size_t ncalls = 0;
			bool blocked, finished;

			o.per_host = 1;
			o.max_queued = 1;
			f = fr_new(&o);
			assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
			active = take(f);
			assert_true(frontier_attempt_start(f, active->host));
			frontier_attempt_end(f, active->host, 503, false, 8000, -1);
			assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
			/* next(): a is at its cap; add(): full; attempt: backoff */
			for (unsigned i = 0; i < nexts[n]; i++)
				calls[ncalls++] = (struct call){.f = f, .op = CALL_NEXT};
			calls[ncalls++] = (struct call){
			    .f = f, .op = CALL_ADD, .job = job_new("http://c.test/3", 0, 0)};
			calls[ncalls++] =
			    (struct call){.f = f, .op = CALL_ATTEMPT, .host = active->host};
			for (size_t i = 0; i < ncalls; i++)
				call_start(&calls[i]);
			blocked = calls_blocked(calls, ncalls);
			frontier_close(f);
			finished = calls_finish(f, calls, ncalls, PROMPT_MS);
			assert_true(blocked);
			assert_true(finished);
			for (unsigned i = 0; i < nexts[n]; i++) {
				assert_int_equal(calls[i].err, FA_ERR_CLOSED);
				assert_null(calls[i].job);
			}
			assert_int_equal(calls[nexts[n]].err, FA_ERR_CLOSED);
			assert_false(calls[nexts[n] + 1].go);

			/* after close: nothing out (a job is still queued), nothing in */
			expect_closed(f);
			assert_int_equal(add(f, "http://d.test/4", 0, false), FA_ERR_CLOSED);
			frontier_close(f); /* idempotent */
			finish(f, active);
			expect_closed(f);
			frontier_free(f); /* frees the queued job */
		}
	}
}

/* ---- views ----------------------------------------------------------------- */

static void test_frontier_top_hosts_order(void **state)
{
	static const struct {
		const char *url;
		unsigned depth;
	} jobs[] = {
	    {"http://a.test/1", 0},      {"http://a.test/2", 0},      {"https://B.test/1", 0},
	    {"https://b.test/2", 5},     {"https://b.test/3", 5},     {"https://b.test/4", 5},
	    {"https://b.test/5", 5},     {"https://b.test/6", 5},     {"http://c.test:8080/1", 5},
	    {"http://c.test:8080/2", 5}, {"http://c.test:8080/3", 5}, {"http://d.test/1", 5},
	};
	/* after three next(): a 2 active; b 1 active 5 queued; c 3 queued; d 1 */
	static const struct {
		const char *key;
		unsigned active;
		size_t queued;
	} expect[] = {
	    {"a.test:80", 2, 0},
	    {"b.test:443", 1, 5},
	    {"c.test:8080", 0, 3},
	    {"d.test:80", 0, 1},
	};
	struct frontier_opts o = opts_default();
	struct frontier *f = fr_new(&o);
	struct fetch_job *taken[3];
	struct frontier_host_view views[8];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(jobs); i++)
		assert_int_equal(add(f, jobs[i].url, jobs[i].depth, false), FA_OK);
	for (size_t i = 0; i < ARRAY_LEN(taken); i++)
		taken[i] = take(f);
	assert_string_equal(taken[0]->url, "http://a.test/1");
	assert_string_equal(taken[1]->url, "https://B.test/1");
	assert_string_equal(taken[2]->url, "http://a.test/2");
	assert_true(frontier_attempt_start(f, taken[0]->host));
	assert_true(frontier_attempt_start(f, taken[1]->host));

	for (size_t n = 0; n <= ARRAY_LEN(views); n++) {
		size_t want = n < ARRAY_LEN(expect) ? n : ARRAY_LEN(expect);

		memset(views, 0xa5, sizeof(views));
		assert_int_equal(frontier_top_hosts(f, views, n), want);
		for (size_t i = 0; i < want; i++) {
			assert_string_equal(views[i].key, expect[i].key);
			assert_int_equal(views[i].active, expect[i].active);
			assert_int_equal(views[i].queued, expect[i].queued);
			assert_int_equal(views[i].requests, i < 2 ? 1 : 0);
			assert_int_equal(views[i].errors, 0);
			assert_int_equal(views[i].throttled, 0);
			assert_int_equal(views[i].delay_ms, 0);
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(taken); i++)
		finish(f, taken[i]);
	frontier_free(f);
}

/*
 * What frontier_in_flight() calls busy (a transfer then goes to a lane):
 * another transfer of the host in flight, or URLs of it waiting while no
 * other host has any (every thread is about to take one), never with a
 * per-host cap of one.
 */
static void test_frontier_busy_host(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct fetch_job *a1, *a2, *a3, *b1;

	(void)state;
	/* one host, three URLs: busy from the first, while others wait */
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/3", 0, false), FA_OK);
	a1 = take(f);
	assert_true(frontier_in_flight(f, a1->host, true));
	a2 = take(f);
	assert_true(frontier_in_flight(f, a2->host, true));
	assert_true(frontier_in_flight(f, a1->host, false)); /* a2 in flight */
	assert_true(frontier_in_flight(f, a2->host, false)); /* a3 waits */
	/* the last URL: nothing waits, nothing else in flight */
	a3 = take(f);
	assert_false(frontier_in_flight(f, a3->host, true));
	assert_false(frontier_in_flight(f, a3->host, false));
	finish(f, a1);
	finish(f, a2);
	finish(f, a3);
	frontier_free(f);

	/* two hosts with URLs waiting: a host is busy only by its transfers */
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/3", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://b.test/2", 0, false), FA_OK);
	a1 = take(f);
	b1 = take(f);
	if (strstr(a1->url, "b.test")) {
		struct fetch_job *t = a1;

		a1 = b1;
		b1 = t;
	}
	assert_non_null(strstr(a1->url, "a.test"));
	assert_false(frontier_in_flight(f, a1->host, true));
	assert_false(frontier_in_flight(f, b1->host, true));
	a2 = take(f);
	if (strstr(a2->url, "a.test")) {
		assert_true(frontier_in_flight(f, a2->host, true)); /* a1 too */
		frontier_in_flight(f, a2->host, false);
	}
	frontier_in_flight(f, a1->host, false);
	frontier_in_flight(f, b1->host, false);
	finish(f, a1);
	finish(f, b1);
	finish(f, a2);
	for (int i = 0; i < 2; i++) /* the two URLs left */
		finish(f, take(f));
	frontier_free(f);

	/* a per-host cap of one: transfers to a host never overlap */
	o.per_host = 1;
	f = fr_new(&o);
	assert_int_equal(add(f, "http://a.test/1", 0, false), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, false), FA_OK);
	a1 = take(f);
	assert_false(frontier_in_flight(f, a1->host, true));
	frontier_in_flight(f, a1->host, false);
	finish(f, a1);
	a2 = take(f);
	finish(f, a2);
	frontier_free(f);
}

static void test_frontier_stats_counts(void **state)
{
	struct frontier_opts o = opts_default();
	struct frontier *f;
	struct frontier_stats st;
	struct fetch_job *a, *b;

	(void)state;
	o.max_queued = 4;
	o.max_total = 4;
	f = fr_new(&o);
	st = frontier_stats(f);
	assert_int_equal(st.queued + st.active + st.hosts + st.seen + st.dropped + st.high_water,
			 0);
	assert_int_equal(add(f, "http://a.test/1", 0, true), FA_OK);
	assert_int_equal(add(f, "http://a.test/2", 0, true), FA_OK);
	assert_int_equal(add(f, "http://b.test/1", 0, true), FA_OK);
	assert_int_equal(add(f, "http://c.test/1", 0, false), FA_OK);
	/* full: a new URL is dropped, a known one is known */
	assert_int_equal(add(f, "http://a.test/3", 0, true), FA_ERR_TOO_LONG);
	assert_int_equal(add(f, "http://a.test/1", 0, true), FA_ERR_EXISTS);
	st = frontier_stats(f);
	assert_int_equal(st.queued, 4);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.hosts, 3);
	assert_int_equal(st.seen, 3);
	assert_true(st.seen_bytes >= 3 * sizeof(uint64_t));
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.high_water, 4);
	a = take(f);
	b = take(f);
	assert_int_equal(add(f, "http://a.test/2", 0, true), FA_ERR_EXISTS);
	st = frontier_stats(f);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.active, 2);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.high_water, 4);
	finish(f, a);
	finish(f, b);
	st = frontier_stats(f);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.seen, 3);
	frontier_free(f); /* frees the two queued */
}

/* ---- stress ---------------------------------------------------------------- */

/*
 * 4 producers add 20k jobs over 50 hosts with dedupe: every one of UNIQUE
 * URLs twice, in two spellings, from two producers going opposite ways,
 * while consumers take jobs.  Every unique URL must be handed out exactly
 * once, the frontier must drain, and every consumer must see the end.
 */
#define PRODUCERS 4u
#define UNIQUE    10000u
#define HOSTS     50u

struct stress_world {
	struct frontier *f;
	bool block;
	atomic_uint hits[UNIQUE];
	atomic_uint added, dup, add_errors;
	atomic_uint handled, closed, errors;
	atomic_bool producers_done[PRODUCERS], consumers_done[MAX_WORKERS];
};

struct stress_arg {
	struct stress_world *w;
	unsigned index;
};

static void *stress_producer(void *arg)
{
	struct stress_arg *a = arg;
	struct stress_world *w = a->w;
	unsigned half = UNIQUE / 2, base = (a->index % 2) * half;
	bool odd_spelling = a->index >= 2;

	for (unsigned i = 0; i < half; i++) {
		unsigned id = base + (odd_spelling ? half - 1 - i : i);
		char url[96];
		enum fa_err err;

		if (odd_spelling)
			snprintf(url, sizeof(url), "HTTP://Host%u.TEST:80/p/./%u#frag", id % HOSTS,
				 id);
		else
			snprintf(url, sizeof(url), "http://host%u.test/p/%u", id % HOSTS, id);
		err = worker_add(w->f, url, id % 3, id + 1, w->block);
		if (err == FA_OK)
			atomic_fetch_add(&w->added, 1);
		else if (err == FA_ERR_EXISTS)
			atomic_fetch_add(&w->dup, 1);
		else
			atomic_fetch_add(&w->add_errors, 1);
	}
	atomic_store(&w->producers_done[a->index], true);
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress_arg *a = arg;
	struct stress_world *w = a->w;

	for (;;) {
		struct fetch_job *job = NULL;
		enum fa_err err = frontier_next(w->f, NULL, &job);

		if (err == FA_ERR_CLOSED) {
			atomic_fetch_add(&w->closed, 1);
			break;
		}
		if (err != FA_OK || !job || job->line < 1 || job->line > UNIQUE) {
			atomic_fetch_add(&w->errors, 1);
			break;
		}
		atomic_fetch_add(&w->hits[job->line - 1], 1);
		atomic_fetch_add(&w->handled, 1);
		finish(w->f, job);
	}
	atomic_store(&w->consumers_done[a->index], true);
	return NULL;
}

static bool all_true(atomic_bool *flags, unsigned n, uint64_t deadline_ns)
{
	for (unsigned i = 0; i < n; i++)
		while (!atomic_load(&flags[i])) {
			if (now_ns() > deadline_ns)
				return false;
			sleep_us(1000);
		}
	return true;
}

static void test_frontier_stress(void **state)
{
	static const struct {
		unsigned consumers;
		bool block;
		size_t max_queued;
	} cases[] = {
	    {1, false, 1u << 20},    {2, false, 1u << 20}, {MAX_WORKERS, false, 1u << 20},
	    {MAX_WORKERS, true, 64}, {2, true, 16},
	};
	enum { REPEAT = 2 };

	(void)state;
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		for (unsigned rep = 0; rep < REPEAT; rep++) {
			struct frontier_opts o = opts_default();
			struct stress_world *w = calloc(1, sizeof(*w));
			struct stress_arg pargs[PRODUCERS], cargs[MAX_WORKERS];
			pthread_t producers[PRODUCERS], consumers[MAX_WORKERS];
			uint64_t deadline = now_ns() + (uint64_t)STRESS_MS * 1000000u;
			bool produced, consumed;
			unsigned once = 0;
			struct frontier_stats st;

			assert_non_null(w);
			o.max_queued = cases[c].max_queued;
			w->f = fr_new(&o);
			w->block = cases[c].block;
			for (unsigned i = 0; i < cases[c].consumers; i++) {
				cargs[i] = (struct stress_arg){w, i};
				assert_int_equal(
				    pthread_create(&consumers[i], NULL, stress_consumer, &cargs[i]),
				    0);
			}
			for (unsigned i = 0; i < PRODUCERS; i++) {
				pargs[i] = (struct stress_arg){w, i};
				assert_int_equal(
				    pthread_create(&producers[i], NULL, stress_producer, &pargs[i]),
				    0);
			}
			produced = all_true(w->producers_done, PRODUCERS, deadline);
			if (produced)
				frontier_input_done(w->f);
			consumed =
			    produced && all_true(w->consumers_done, cases[c].consumers, deadline);
			if (!consumed)
				frontier_close(w->f);
			for (unsigned i = 0; i < PRODUCERS; i++)
				assert_int_equal(pthread_join(producers[i], NULL), 0);
			for (unsigned i = 0; i < cases[c].consumers; i++)
				assert_int_equal(pthread_join(consumers[i], NULL), 0);
			for (unsigned i = 0; i < UNIQUE; i++)
				once += atomic_load(&w->hits[i]) == 1;
			if (!consumed || once != UNIQUE)
				print_message("%u consumers, block %d: produced %d, drained %d, "
					      "%u of %u handed out once, %u added, %u dup\n",
					      cases[c].consumers, cases[c].block, produced,
					      consumed, once, UNIQUE, atomic_load(&w->added),
					      atomic_load(&w->dup));
			assert_true(produced);
			assert_true(consumed);
			assert_int_equal(atomic_load(&w->add_errors), 0);
			assert_int_equal(atomic_load(&w->errors), 0);
			assert_int_equal(atomic_load(&w->added), UNIQUE);
			assert_int_equal(atomic_load(&w->dup), UNIQUE);
			assert_int_equal(atomic_load(&w->handled), UNIQUE);
			assert_int_equal(once, UNIQUE);
			assert_int_equal(atomic_load(&w->closed), cases[c].consumers);
			st = frontier_stats(w->f);
			assert_int_equal(st.queued, 0);
			assert_int_equal(st.active, 0);
			assert_int_equal(st.seen, UNIQUE);
			assert_int_equal(st.dropped, 0);
			assert_true(st.high_water <= cases[c].max_queued);
			frontier_free(w->f);
			free(w);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frontier_free_accepts_null),
	    cmocka_unit_test(test_frontier_fifo_within_host),
	    cmocka_unit_test(test_frontier_lowest_depth_first),
	    cmocka_unit_test(test_frontier_hosts_take_turns),
	    cmocka_unit_test(test_frontier_last_host_first),
	    cmocka_unit_test(test_frontier_added_job_wakes_a_taker),
	    cmocka_unit_test(test_frontier_dedupe),
	    cmocka_unit_test(test_frontier_bad_url),
	    cmocka_unit_test(test_frontier_mark_seen),
	    cmocka_unit_test(test_frontier_max_total_drops),
	    cmocka_unit_test(test_frontier_blocking_add_waits_below_max_queued),
	    cmocka_unit_test(test_frontier_max_seen),
	    cmocka_unit_test(test_frontier_blocking_add_waits_for_room),
	    cmocka_unit_test(test_frontier_blocked_adder_not_starved_by_duplicate),
	    cmocka_unit_test(test_frontier_input_done_ends_every_waiter),
	    cmocka_unit_test(test_frontier_input_done_drains_first),
	    cmocka_unit_test(test_frontier_leaf_jobs_end_without_waiting),
	    cmocka_unit_test(test_frontier_leaf_jobs_last_taken_frees_sleepers),
	    cmocka_unit_test(test_frontier_active_job_keeps_frontier_alive),
	    cmocka_unit_test(test_frontier_per_host_cap),
	    cmocka_unit_test(test_frontier_wait_spaces_attempts),
	    cmocka_unit_test(test_frontier_wait_gates_next),
	    cmocka_unit_test(test_frontier_random_wait_range),
	    cmocka_unit_test(test_frontier_top_hosts_draws_nothing),
	    cmocka_unit_test(test_frontier_backoff_retry_after),
	    cmocka_unit_test(test_frontier_backoff_is_per_host),
	    cmocka_unit_test(test_frontier_backoff_doubles_and_recovers),
	    cmocka_unit_test(test_frontier_slowdown_rule),
	    cmocka_unit_test(test_frontier_list_503_holds_nothing),
	    cmocka_unit_test(test_frontier_throttle_rule),
	    cmocka_unit_test(test_frontier_throttle_per_host),
	    cmocka_unit_test(test_frontier_robots_sequencing),
	    cmocka_unit_test(test_frontier_no_robots_job_when_off),
	    cmocka_unit_test(test_frontier_robots_crawl_delay),
	    cmocka_unit_test(test_frontier_close_wakes_everyone),
	    cmocka_unit_test(test_frontier_top_hosts_order),
	    cmocka_unit_test(test_frontier_in_flight_counts_agree),
	    cmocka_unit_test(test_frontier_busy_host),
	    cmocka_unit_test(test_frontier_stats_counts),
	    cmocka_unit_test(test_frontier_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
