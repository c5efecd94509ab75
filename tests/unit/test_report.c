/* Unit tests for report: JSON string escaping, byte formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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
	    cmocka_unit_test(test_report_format_bytes_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
