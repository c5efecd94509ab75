/*
 * Unit tests for json: fields found by the object's grammar, not by text
 * search.  Every input sits right before an unreadable page (guard.h), so
 * reading past a string's end crashes the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "guard.h"
#include "json.h"

static const char *G(const char *s)
{
	const char *p = guard_str(&guard_shared, s);

	assert_non_null(p);
	return p;
}

static void test_json_fields(void **state)
{
	const char *line =
	    "{\"url\":\"http://h/\\\"ok\\\":true\",\"ok\":false,\"skipped\":true,"
	    "\"bytes\":1234,\"total_ms\":12.5,\"error\":null,"
	    "\"nested\":{\"bytes\":9,\"a\":[1,{\"ok\":true},\"]\"]},\"last\":-3e2}\n{\"ok\":true}";
	char buf[64];
	double d;

	(void)state;
	/* a key spelled inside a string value or a nested object is not the field */
	assert_false(json_true(G(line), "ok"));
	assert_true(json_true(G(line), "skipped"));
	assert_true(json_number(G(line), "bytes", &d));
	assert_true(d == 1234);
	assert_true(json_number(G(line), "total_ms", &d));
	assert_true(d == 12.5);
	assert_true(json_number(G(line), "last", &d));
	assert_true(d == -300);
	assert_false(json_number(G(line), "error", &d));
	assert_false(json_number(G(line), "url", &d));
	assert_false(json_number(G(line), "a", &d));
	assert_true(json_string(G(line), "url", buf, sizeof(buf)));
	assert_string_equal(buf, "http://h/\"ok\":true");
	assert_true(json_string(G(line), "error", buf, sizeof(buf)));
	assert_string_equal(buf, "null");
	assert_true(json_string(G(line), "nested", buf, sizeof(buf)));
	assert_string_equal(buf, "{\"bytes\":9,\"a\":[1,{\"ok\":true},\"]\"]}");
	assert_false(json_string(G(line), "missing", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	/* whitespace between tokens, as other writers put it */
	assert_true(json_number(G(" { \"a\" : 1 , \"b\" :\t2 }"), "b", &d));
	assert_true(d == 2);
}

static void test_json_escapes(void **state)
{
	char buf[64];

	(void)state;
	assert_true(json_string(G("{\"s\":\"a\\n\\t\\\\\\/\\u00e9\\u20ac\\ud83d\\ude00\"}"), "s",
				buf, sizeof(buf)));
	assert_string_equal(buf, "a\n\t\\/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* a lone surrogate or a bad escape is U+FFFD */
	assert_true(json_string(G("{\"s\":\"\\ud800x\\uzzzz\"}"), "s", buf, sizeof(buf)));
	assert_string_equal(buf, "\xef\xbf\xbdx\xef\xbf\xbdzzzz");
	/* cut to the buffer, never past it, never half a character */
	assert_true(json_string(G("{\"s\":\"abcdef\"}"), "s", buf, 4));
	assert_string_equal(buf, "abc");
	assert_true(json_string(G("{\"s\":\"ab\\u20acd\"}"), "s", buf, 5));
	assert_string_equal(buf, "ab");
}

static void test_json_broken(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[1]",
	    "{",
	    "{\"a\"",
	    "{\"a\":",
	    "{\"a\":\"unterminated",
	    "{\"a\":\"x\\",
	    "{\"a\":1 \"b\":2}",
	    "{\"x\":{\"y\":[1,2},\"b\":2}",
	    "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"b\":2}",
	    "{\"a\":\"ctl\x01\",\"b\":2}",
	};
	double d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(json_number(G(bad[i]), "b", &d));
	/* a field before the damage is still found */
	assert_true(json_number(G("{\"b\":7,\"a\":"), "b", &d));
	assert_true(d == 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_json_escapes),
	    cmocka_unit_test(test_json_broken),
	};

	return cmocka_run_group_tests(tests, guard_group_setup, guard_group_teardown);
}
