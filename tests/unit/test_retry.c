/* Unit tests for the retry policy: transient set, backoff, Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "retry.h"

static void test_retry_transient_table(void **state)
{
	static const struct {
		CURLcode cc;
		long code;
		bool transient;
	} cases[] = {
	    {CURLE_OK, 200, false},
	    {CURLE_OK, 404, false},
	    {CURLE_OK, 403, false},
	    {CURLE_OK, 410, false},
	    {CURLE_OK, 408, true},
	    {CURLE_OK, 429, true},
	    {CURLE_OK, 500, true},
	    {CURLE_OK, 501, false},
	    {CURLE_OK, 502, true},
	    {CURLE_OK, 503, true},
	    {CURLE_OK, 504, true},
	    {CURLE_OK, 505, false},
	    {CURLE_COULDNT_CONNECT, 0, true},
	    {CURLE_OPERATION_TIMEDOUT, 0, true},
	    {CURLE_PARTIAL_FILE, 200, true},
	    {CURLE_RECV_ERROR, 0, true},
	    {CURLE_GOT_NOTHING, 0, true},
	    {CURLE_COULDNT_RESOLVE_HOST, 0, false},
	    {CURLE_WRITE_ERROR, 200, false},
	    {CURLE_TOO_MANY_REDIRECTS, 302, false},
	    {CURLE_ABORTED_BY_CALLBACK, 0, false},
	    {CURLE_FILESIZE_EXCEEDED, 200, false},
	    {CURLE_UNSUPPORTED_PROTOCOL, 0, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (retry_is_transient(cases[i].cc, cases[i].code) != cases[i].transient)
			fail_msg("case %zu: curl %d http %ld", i, cases[i].cc, cases[i].code);
	}
}

static void test_retry_backoff_bounds_and_growth(void **state)
{
	(void)state;
	/* attempt 1: [500, 1000]; 2: [500, 2000]; 3: [500, 4000]; capped */
	assert_int_equal(retry_backoff_ms(1, 1000, 30000, 0), 500);
	assert_int_equal(retry_backoff_ms(1, 1000, 30000, 500), 1000);
	assert_int_equal(retry_backoff_ms(1, 1000, 30000, 501), 500);
	assert_int_equal(retry_backoff_ms(3, 1000, 30000, 3500), 4000);
	for (uint32_t r = 0; r < 100000; r += 997) {
		for (unsigned a = 1; a <= 40; a++) {
			long hi = 1000L << (a - 1 > 10 ? 10 : a - 1);
			long ms = retry_backoff_ms(a, 1000, 5000, r * 2654435761u);

			if (hi > 5000)
				hi = 5000;
			assert_in_range(ms, 500, hi);
		}
	}
	assert_int_equal(retry_backoff_ms(1, 0, 1000, 7), 0);
	/* jitter really spreads */
	assert_int_not_equal(retry_backoff_ms(4, 1000, 30000, 1),
			     retry_backoff_ms(4, 1000, 30000, 4000));
}

static void test_retry_after_parse_forms(void **state)
{
	time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
	long ms = -1;

	(void)state;
	assert_int_equal(retry_after_parse("120", now, &ms), FA_OK);
	assert_int_equal(ms, 120000);
	assert_int_equal(retry_after_parse("  0 \r\n", now, &ms), FA_OK);
	assert_int_equal(ms, 0);
	assert_int_equal(retry_after_parse("Tue, 14 Nov 2023 22:13:50 GMT", now, &ms), FA_OK);
	assert_int_equal(ms, 30000);
	/* RFC 850 and asctime forms are HTTP-dates too */
	assert_int_equal(retry_after_parse("Tuesday, 14-Nov-23 22:14:20 GMT", now, &ms), FA_OK);
	assert_int_equal(ms, 60000);
	assert_int_equal(retry_after_parse("Tue Nov 14 22:13:30 2023", now, &ms), FA_OK);
	assert_int_equal(ms, 10000);
	/* a date in the past means now */
	assert_int_equal(retry_after_parse("Tue, 14 Nov 2023 22:00:00 GMT", now, &ms), FA_OK);
	assert_int_equal(ms, 0);
	/* huge values saturate instead of overflowing */
	assert_int_equal(retry_after_parse("99999999999999999999999", now, &ms), FA_OK);
	assert_true(ms > 0);
}

static void test_retry_after_parse_rejects(void **state)
{
	static const char *const bad[] = {"",     "   ", "-5",   "12abc",
					  "soon", "1.5", "0x10", "Tue, 99 Foo 2023"};
	long ms = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (retry_after_parse(bad[i], 1700000000, &ms) != FA_ERR_PARSE)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(ms, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retry_transient_table),
	    cmocka_unit_test(test_retry_backoff_bounds_and_growth),
	    cmocka_unit_test(test_retry_after_parse_forms),
	    cmocka_unit_test(test_retry_after_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
