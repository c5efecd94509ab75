/*
 * Unit tests for rate, the run's token bucket (--limit-rate).
 *
 * The bucket's rule is checked through its pure functions with an
 * injected clock: exact waits by table, the credit an idle bucket keeps,
 * and simulated transfers that charge and sleep as fetch's write callback
 * does, whose long-run rate must be the limit.  The shared bucket is
 * checked with real threads charging at once (1, 2 and 8, repeated): no
 * charge may be lost, so the debt they leave is exactly what they
 * charged.  Workers only charge; the test thread asserts after the join.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "rate.h"
#include "sync.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MS           UINT64_C(1000000)
#define SECOND       UINT64_C(1000000000)

/* Charges at given times, each with the wait it must get, exactly. */
static void test_rate_bucket_waits_by_table(void **state)
{
	static const struct {
		uint64_t rate, depth;
		struct {
			uint64_t at_ms, bytes, wait_ms;
		} steps[6];
		size_t n;
	} cases[] = {
	    /* unlimited: never a wait */
	    {0, 0, {{0, 1u << 30, 0}, {0, 1u << 30, 0}}, 2},
	    /* a full bucket's depth is free, the rest paid at the rate */
	    {1000, 100, {{0, 100, 0}, {0, 100, 100}, {0, 50, 150}}, 3},
	    /* an overdraft is paid by waiting; waiting exactly leaves 0 */
	    {1000, 100, {{0, 300, 200}, {200, 100, 100}, {300, 1, 1}}, 3},
	    /* idle credit is capped at the depth, however long the idle */
	    {1000, 100, {{0, 100, 0}, {60000, 100, 0}, {60000, 100, 100}}, 3},
	    /* credit earned back at the rate: 50 ms earns 50 bytes */
	    {1000, 100, {{0, 100, 0}, {50, 50, 0}, {50, 10, 10}}, 3},
	    /* no depth: every byte paid as it comes */
	    {2000, 0, {{0, 1000, 500}, {500, 1000, 500}, {2000, 2, 1}}, 3},
	    /* big rates stay exact: 40 MiB/s, 4 MiB deep */
	    {40u << 20, 4u << 20, {{0, 4u << 20, 0}, {0, 40u << 20, 1000}, {1000, 0, 0}}, 3},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t t0 = 5 * SECOND; /* clocks do not start at 0 */
		struct rate_bucket b = rate_bucket_make(cases[i].rate, cases[i].depth, t0);

		for (size_t k = 0; k < cases[i].n; k++) {
			uint64_t wait = rate_bucket_charge(&b, cases[i].steps[k].bytes,
							   t0 + cases[i].steps[k].at_ms * MS);
			uint64_t want = cases[i].steps[k].wait_ms * MS;

			/* costs are rounded to the nanosecond */
			if (wait + 1 < want || wait > want + 1)
				fail_msg("case %zu step %zu: wait %llu ns, want %llu", i, k,
					 (unsigned long long)wait, (unsigned long long)want);
		}
	}
}

/*
 * T transfers that each read `chunk` bytes, charge them, sleep what the
 * bucket says (rounded up to a whole ms, as fetch sleeps) and read again,
 * on a simulated clock: over 20 simulated seconds, until their last
 * bytes are paid for, they get the rate (after the first burst), not more
 * and hardly less: oversleeping leaves credit that the next charge uses.
 */
static void test_rate_bucket_simulated_transfers_get_the_rate(void **state)
{
	static const struct {
		uint64_t rate;
		unsigned transfers;
		uint64_t chunk;
	} cases[] = {
	    {40u << 20, 2, 128 * 1024}, /* the benchmark's shape */
	    {40u << 20, 16, 16 * 1024},  {1u << 20, 8, 1024},
	    {100 * 1024, 1, 1280},       {3000, 3, 1024}, /* reads larger than the depth */
	    {10u << 20, 64, 128 * 1024},                  /* more debt than a second */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const uint64_t t0 = SECOND, span = 20 * SECOND;
		struct rate_bucket b = rate_bucket_make(cases[i].rate, cases[i].rate / 10, t0);
		uint64_t next[64], bytes = 0, now = t0, end;
		double got, want = (double)cases[i].rate;

		for (unsigned k = 0; k < cases[i].transfers; k++)
			next[k] = t0 + k * 1000; /* they start nearly together */
		while (now < t0 + span) {
			unsigned who = 0;
			uint64_t wait;

			for (unsigned k = 1; k < cases[i].transfers; k++)
				if (next[k] < next[who])
					who = k;
			now = next[who];
			wait = rate_bucket_charge(&b, cases[i].chunk, now);
			bytes += cases[i].chunk;
			/* 20 us to read and write a chunk; sleeps in whole ms */
			next[who] = now + 20000 + (wait + MS - 1) / MS * MS;
		}
		end = b.tat_ns > now ? b.tat_ns : now;
		got = (double)(bytes - cases[i].rate / 10) / ((double)(end - t0) / 1e9);
		if (got > want * 1.001 || got < want * 0.99)
			fail_msg("case %zu: %.0f B/s for a limit of %.0f", i, got, want);
	}
}

struct charger {
	struct rate *rate;
	unsigned charges;
	uint64_t bytes;
};

static void *charge_all(void *arg)
{
	struct charger *c = arg;

	for (unsigned i = 0; i < c->charges; i++)
		(void)rate_take(c->rate, c->bytes);
	return NULL;
}

/* Threads charging the shared bucket at once lose no charge: the debt
 * left is what they charged, less the depth and the time that passed. */
static void test_rate_shared_bucket_loses_no_charge(void **state)
{
	static const unsigned threads[] = {1, 2, 8};

	(void)state;
	for (size_t t = 0; t < ARRAY_LEN(threads); t++) {
		for (int round = 0; round < 5; round++) {
			const uint64_t limit = 1000000; /* 1 MB/s */
			const unsigned charges = 20000;
			struct charger c[8];
			pthread_t tid[8];
			struct rate r;
			uint64_t t0, charged, debt, elapsed, want;

			t0 = sync_now_ns();
			rate_init(&r, limit);
			for (unsigned k = 0; k < threads[t]; k++) {
				c[k] =
				    (struct charger){.rate = &r, .charges = charges, .bytes = 100};
				assert_int_equal(pthread_create(&tid[k], NULL, charge_all, &c[k]),
						 0);
			}
			for (unsigned k = 0; k < threads[t]; k++)
				assert_int_equal(pthread_join(tid[k], NULL), 0);
			debt = rate_take(&r, 0);
			elapsed = sync_now_ns() - t0;
			charged = (uint64_t)threads[t] * charges * 100;
			/* charged / limit seconds, less the depth's 0.1 s */
			want = charged * (SECOND / limit) - SECOND / 10;
			if (debt > want || debt + elapsed < want)
				fail_msg("%u threads: debt %llu ns after %llu ns, want %llu",
					 threads[t], (unsigned long long)debt,
					 (unsigned long long)elapsed, (unsigned long long)want);
		}
	}
}

/* Unlimited takes nothing and never waits. */
static void test_rate_unlimited_never_waits(void **state)
{
	struct rate r;

	(void)state;
	rate_init(&r, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rate_take(&r, UINT64_C(1) << 40), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate_bucket_waits_by_table),
	    cmocka_unit_test(test_rate_bucket_simulated_transfers_get_the_rate),
	    cmocka_unit_test(test_rate_shared_bucket_loses_no_charge),
	    cmocka_unit_test(test_rate_unlimited_never_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
