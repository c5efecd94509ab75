/* Unit tests for report: JSON string escaping, byte formatting. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_json_string_table),
	    cmocka_unit_test(test_report_json_string_null_and_truncation),
	    cmocka_unit_test(test_report_json_uri_and_bytes_table),
	    cmocka_unit_test(test_report_format_bytes_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
