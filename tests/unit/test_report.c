/* Unit tests for report: JSON string escaping, byte formatting, the
 * progress line's layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static void test_report_json_string_table(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "\"plain\""},
	    {"", "\"\""},
	    {"a\"b\\c", "\"a\\\"b\\\\c\""},
	    {"line\nbreak\r\ttab", "\"line\\nbreak\\r\\ttab\""},
	    {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
	    {"bad\xff\xfe", "\"bad\\ufffd\\ufffd\""},
	    {"overlong\xc0\xaf", "\"overlong\\ufffd\\ufffd\""},
	    {"surrogate\xed\xa0\x80", "\"surrogate\\ufffd\\ufffd\\ufffd\""},
	    {"cut\xe2\x82", "\"cut\\ufffd\\ufffd\""},
	    {"</script>", "\"</script>\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[128];
		size_t n = report_json_string(out, sizeof(out), cases[i].in);

		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

static void test_report_json_string_null_and_truncation(void **state)
{
	char out[6];
	char big[64];

	(void)state;
	assert_int_equal(report_json_string(big, sizeof(big), NULL), 4);
	assert_string_equal(big, "null");
	/* like snprintf: the needed length, a truncated NUL-terminated copy */
	assert_int_equal(report_json_string(out, sizeof(out), "abcdefgh"), 10);
	assert_string_equal(out, "\"abcd");
	assert_int_equal(report_json_string(NULL, 0, "a\nb"), 6);
}

/* Percent-decodes a JSON literal's content (quotes stripped, no JSON
 * escapes expected) into out; returns its length. */
static size_t percent_decode(const char *lit, char *out)
{
	size_t n = 0;

	for (const char *p = lit + 1; *p && p[1]; p++) {
		unsigned v;

		if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1) {
			out[n++] = (char)v;
			p += 2;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return n;
}

static void test_report_json_uri_and_bytes_table(void **state)
{
	static const struct {
		const char *in, *uri, *bytes;
		bool valid;
	} cases[] = {
	    {"plain", "\"plain\"", "\"plain\"", true},
	    {"caf\xc3\xa9", "\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", true},
	    {"100%.txt", "\"100%.txt\"", "\"100%25.txt\"", true},
	    {"caf\xe9.bin", "\"caf%E9.bin\"", "\"caf%E9.bin\"", false},
	    {"a%E9\xe9", "\"a%E9%E9\"", "\"a%25E9%E9\"", false},
	    {"\xff\xfe", "\"%FF%FE\"", "\"%FF%FE\"", false},
	    {"cut\xe2\x82", "\"cut%E2%82\"", "\"cut%E2%82\"", false},
	    {"surrogate\xed\xa0\x80", "\"surrogate%ED%A0%80\"", "\"surrogate%ED%A0%80\"", false},
	    {"http://h/x?q=\xe9&r=%41", "\"http://h/x?q=%E9&r=%41\"",
	     "\"http://h/x?q=%E9&r=%2541\"", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[128], back[128];

		assert_int_equal(report_json_uri(out, sizeof(out), cases[i].in),
				 strlen(cases[i].uri));
		assert_string_equal(out, cases[i].uri);
		assert_int_equal(report_json_bytes(out, sizeof(out), cases[i].in),
				 strlen(cases[i].bytes));
		assert_string_equal(out, cases[i].bytes);
		/* the exact form decodes to the very bytes */
		percent_decode(out, back);
		assert_string_equal(back, cases[i].in);
		assert_int_equal(report_utf8_valid(cases[i].in), cases[i].valid);
	}
}

static void test_report_format_bytes_table(void **state)
{
	static const struct {
		double bytes;
		const char *out;
	} cases[] = {
	    {0, "0 B"},           {999, "999 B"},     {1000, "1.00 kB"},    {12345, "12.3 kB"},
	    {9876543, "9.88 MB"}, {2.5e9, "2.50 GB"}, {123e12, "123.0 TB"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];

		report_format_bytes(out, sizeof(out), cases[i].bytes);
		assert_string_equal(out, cases[i].out);
	}
}

/* A list of known length, a few big files in flight. */
static const struct report_progress list_progress = {
    .done = 1423,
    .total = 2000,
    .ok = 1400,
    .failed = 23,
    .active = 16,
    .queued = 80,
    .bytes = 9.81e6,
    .expected = 40.0e6,
    .rate = 1.2e6,
    .eta_s = 42,
    .elapsed_s = 65,
};

/* A crawl: no total, the busiest host with a long name. */
static const struct report_progress crawl_progress = {
    .done = 1423,
    .total = REPORT_TOTAL_UNKNOWN,
    .ok = 1400,
    .failed = 23,
    .active = 9,
    .queued = 12000,
    .bytes = 9.81e6,
    .rate = 1.2e6,
    .eta_s = -1,
    .elapsed_s = 3725,
    .host = "a-rather-long-host-name.static.example.com:443",
    .host_active = 4,
    .host_queued = 3000,
    .host_errors = 2,
    .host_throttled = 1,
    .host_delay_ms = 500,
};

static void test_report_progress_line_widths(void **state)
{
	static const struct {
		const struct report_progress *p;
		unsigned width;
		const char *want[8]; /* each must be in the line */
		const char *gone[4]; /* each must not */
	} cases[] = {
	    {&list_progress,
	     200,
	     {"[1423/2000 71%]", "1400 ok, 23 failed", "16 active, 80 queued", "9.81 MB/40.0 MB",
	      "1.20 MB/s", "ETA 0:42", "1:05"},
	     {"?"}},
	    {&list_progress,
	     80,
	     {"[1423/2000 71%]", "1400 ok, 23 failed", "9.81 MB/40.0 MB", "1.20 MB/s", "ETA 0:42",
	      "1:05"},
	     {"?"}},
	    {&list_progress, 60, {"[1423/2000 71%]", "23 failed", "1.20 MB/s", "ETA 0:42"}, {"?"}},
	    {&list_progress, 40, {"[1423/2000 71%]", "1.20 MB/s", "ETA 0:42"}, {"?"}},
	    {&crawl_progress,
	     200,
	     {"[1423/?]", "9 active, 12000 queued",
	      "a-rather-long-host-name.static.example.com:443 4a "
	      "3000q 2e 1t 500ms",
	      "9.81 MB 1.20 MB/s", "1:02:05"},
	     {"ETA", "%"}},
	    /* the host's name goes first, then the host */
	    {&crawl_progress,
	     120,
	     {"[1423/?]", "9 active, 12000 queued", "| a-rather-", ".. 4a 3000q 2e 1t 500ms |",
	      "9.81 MB 1.20 MB/s", "1:02:05"},
	     {"ETA", "%", "static"}},
	    {&crawl_progress,
	     80,
	     {"[1423/?]", "1400 ok, 23 failed", "12000", "9.81 MB", "1.20 MB/s", "1:02:05"},
	     {"ETA", "%", "static.example.com"}},
	    {&crawl_progress, 60, {"[1423/?]", "12000q", "1.20 MB/s"}, {"ETA", "%", "example"}},
	    {&crawl_progress, 40, {"[1423/?]", "12000q", "1.20 MB/s"}, {"ETA", "example"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[512];
		size_t len = report_progress_line(out, sizeof(out), cases[i].p, cases[i].width);

		print_message("%3u: %s\n", cases[i].width, out);
		assert_int_equal(len, strlen(out));
		assert_true(len <= cases[i].width - 1);
		for (size_t k = 0; k < 8 && cases[i].want[k]; k++)
			if (!strstr(out, cases[i].want[k]))
				fail_msg("width %u: no \"%s\" in \"%s\"", cases[i].width,
					 cases[i].want[k], out);
		for (size_t k = 0; k < 4 && cases[i].gone[k]; k++)
			if (strstr(out, cases[i].gone[k]))
				fail_msg("width %u: \"%s\" in \"%s\"", cases[i].width,
					 cases[i].gone[k], out);
	}
}

/* A note (--redis: Redis out of reach) stays at every width that holds
 * it, right after the count. */
static void test_report_progress_line_note(void **state)
{
	struct report_progress p = crawl_progress;
	char out[512];

	(void)state;
	p.note = "redis unreachable 4 s, retrying";
	for (unsigned width = 60; width <= 200; width += 20) {
		size_t len = report_progress_line(out, sizeof(out), &p, width);

		assert_true(len <= width - 1);
		if (!strstr(out, "[1423/?] redis unreachable 4 s, retrying"))
			fail_msg("width %u: no note in \"%s\"", width, out);
	}
}

/* Whatever the width, nothing past it, and a host's name cannot put
 * control bytes on the terminal. */
static void test_report_progress_line_bounds(void **state)
{
	struct report_progress p = crawl_progress;
	char out[512];

	(void)state;
	p.host = "evil\033]0;title\007.example:80";
	for (unsigned width = 0; width <= 300; width++) {
		size_t len = report_progress_line(out, sizeof(out), &p, width);

		assert_int_equal(len, strlen(out));
		assert_true(len <= (width > 0 ? width - 1 : 0));
		assert_null(strchr(out, '\033'));
		assert_null(strchr(out, '\007'));
	}
	/* a buffer too small is cut, NUL-terminated */
	assert_int_equal(report_progress_line(out, 8, &list_progress, 80), 7);
	assert_int_equal(strlen(out), 7);
	/* all done, and a zero-length list */
	p = list_progress;
	p.done = p.total = 0;
	p.eta_s = 0;
	report_progress_line(out, sizeof(out), &p, 80);
	assert_non_null(strstr(out, "[0/0 100%]"));
	assert_non_null(strstr(out, "ETA 0:00"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_json_string_table),
	    cmocka_unit_test(test_report_json_string_null_and_truncation),
	    cmocka_unit_test(test_report_json_uri_and_bytes_table),
	    cmocka_unit_test(test_report_format_bytes_table),
	    cmocka_unit_test(test_report_progress_line_widths),
	    cmocka_unit_test(test_report_progress_line_bounds),
	    cmocka_unit_test(test_report_progress_line_note),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
