/* Unit tests for http_date(): the fast path against libcurl's own parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "guard.h"
#include "httpdate.h"

/* t as an IMF-fixdate, in buf (at least 64 bytes). */
static const char *fixdate_of(time_t t, char *buf, size_t len)
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	assert_int_equal(strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm), 29);
	return buf;
}

/* http_date(s) is want, and libcurl's reading too; s read from a guard. */
static void expect(struct guard *g, const char *s, time_t want)
{
	const char *in = guard_str(g, s);
	time_t got = http_date(in), curls = curl_getdate(s, NULL);

	if (got != want || curls != want)
		fail_msg("'%s': http_date %lld, curl_getdate %lld, want %lld", s, (long long)got,
			 (long long)curls, (long long)want);
}

static void test_httpdate_known(void **state)
{
	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 256), 0);
	expect(&g, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
	expect(&g, "Thu, 01 Jan 1970 00:00:00 GMT", 0);
	expect(&g, "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799);
	expect(&g, "Tue, 29 Feb 2000 12:00:00 GMT", 951825600);
	guard_release(&g);
}

/* Every day from 1970 to 2400 (2000 and 2400 leap, 2100 not), at its
 * first and last second. */
static void test_httpdate_every_day(void **state)
{
	struct guard g;
	char buf[64];

	(void)state;
	assert_int_equal(guard_init(&g, 256), 0);
	for (time_t day = 0; day < 157054; day++) {
		expect(&g, fixdate_of(day * 86400, buf, sizeof(buf)), day * 86400);
		expect(&g, fixdate_of(day * 86400 + 86399, buf, sizeof(buf)), day * 86400 + 86399);
	}
	guard_release(&g);
}

/* Seconds spread over the whole range, from a fixed linear congruence. */
static void test_httpdate_any_second(void **state)
{
	struct guard g;
	char buf[64];
	uint64_t x = 12345;

	(void)state;
	assert_int_equal(guard_init(&g, 256), 0);
	for (int i = 0; i < 20000; i++) {
		time_t t;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		t = (time_t)((x >> 11) % 253402300800ULL);
		expect(&g, fixdate_of(t, buf, sizeof(buf)), t);
	}
	guard_release(&g);
}

/* What is not certainly an IMF-fixdate is libcurl's to read, whatever it
 * makes of it: the obsolete forms, impossible dates, other spellings,
 * stray bytes, non-dates. */
static void test_httpdate_others_as_curl(void **state)
{
	static const char *const others[] = {
	    "Sunday, 06-Nov-94 08:49:37 GMT",
	    "Sun Nov  6 08:49:37 1994",
	    "Sun, 06 Nov 1994 08:49:37 GMT ",
	    " Sun, 06 Nov 1994 08:49:37 GMT",
	    "sun, 06 nov 1994 08:49:37 gmt",
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "Sun, 06 Nov 1994 08:49:37 +0100",
	    "Sun, 6 Nov 1994 08:49:37 GMT",
	    "Mon, 29 Feb 2021 00:00:00 GMT",
	    "Sat, 31 Apr 1994 00:00:00 GMT",
	    "Sun, 00 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49:60 GMT",
	    "Sun, 06 Nov 1994 24:00:00 GMT",
	    "Sun, 06 Nov 1994 08:60:00 GMT",
	    "Thu, 06 Nov 1969 08:49:37 GMT",
	    "Xyz, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nox 1994 08:49:37 GMT",
	    "Sun, 0x Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 19x4 08:49:37 GMT",
	    "Sun; 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08.49.37 GMT",
	    "Tue, 99 Foo 2023",
	    "",
	    "yesterday",
	};
	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 256), 0);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		expect(&g, others[i], curl_getdate(others[i], NULL));
	guard_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_httpdate_known),
	    cmocka_unit_test(test_httpdate_every_day),
	    cmocka_unit_test(test_httpdate_any_second),
	    cmocka_unit_test(test_httpdate_others_as_curl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
