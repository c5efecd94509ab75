/*
 * Unit tests for disposition: the file name in a Content-Disposition
 * header.  Tables of header values against the expected name or error
 * (RFC 6266 and 8187 forms, the lenient cases servers send, hostile
 * names), every value placed right before an unreadable page so that an
 * over-read crashes; then the caps and the arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disposition.h"
#include "guard.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct cd_case {
	const char *value;
	const char *want; /* NULL: FA_ERR_PARSE */
};

static void run_cases(const struct cd_case *cases, size_t n)
{
	char out[DISPOSITION_NAME_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		enum fa_err err = disposition_filename(guard_str(&guard_shared, cases[i].value),
						       out, sizeof(out));

		if (cases[i].want) {
			if (err != FA_OK || strcmp(out, cases[i].want) != 0)
				fail_msg("[%s]: got %s \"%s\", want \"%s\"", cases[i].value,
					 fa_strerror(err), out, cases[i].want);
		} else if (err != FA_ERR_PARSE || out[0] != '\0') {
			fail_msg("[%s]: got %s \"%s\", want no name", cases[i].value,
				 fa_strerror(err), out);
		}
	}
}

static void test_disposition_rfc6266(void **state)
{
	static const struct cd_case cases[] = {
	    {"attachment; filename=report.pdf", "report.pdf"},
	    {"attachment; filename=\"report.pdf\"", "report.pdf"},
	    {"inline; filename=\"a.txt\"", "a.txt"},
	    {"x-custom; filename=a.txt", "a.txt"},
	    {"ATTACHMENT; FILENAME=Up.TXT", "Up.TXT"},
	    {"attachment;filename=tight.bin", "tight.bin"},
	    {"attachment ;  filename  =  \"spaced.bin\"  ; size=3", "spaced.bin"},
	    {"attachment; size=3; filename=later.bin", "later.bin"},
	    /* quoted-string escapes, and ';' inside quotes */
	    {"attachment; filename=\"a\\\"b.txt\"", "a\"b.txt"},
	    {"attachment; filename=\"x\\\\y.txt\"", "y.txt"}, /* an escaped '\' still separates */
	    {"attachment; filename=\"semi;colon.txt\"; size=1", "semi;colon.txt"},
	    /* RFC 8187 extended values win over the plain one, in either order */
	    {"attachment; filename=\"fallback.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
	     "r\xc3\xa9sum\xc3\xa9.pdf"},
	    {"attachment; filename*=utf-8''%e2%82%ac%20rates.txt; filename=rates.txt",
	     "\xe2\x82\xac rates.txt"},
	    {"attachment; filename*=UTF-8'en'lang.txt", "lang.txt"},
	    {"attachment; filename*=ISO-8859-1''caf%E9.txt", "caf\xc3\xa9.txt"},
	    {"attachment; filename*=iso-8859-1''%FF%E9", "\xc3\xbf\xc3\xa9"},
	    /* an unusable extended value falls back to the plain name */
	    {"attachment; filename*=KOI8-R''%F0.txt; filename=plain.txt", "plain.txt"},
	    {"attachment; filename*=UTF-8''bad%zz.txt; filename=plain.txt", "plain.txt"},
	    {"attachment; filename*=UTF-8''bad%4; filename=plain.txt", "plain.txt"},
	    {"attachment; filename*=no-quotes.txt; filename=plain.txt", "plain.txt"},
	    {"attachment; filename*=UTF-8''nul%00.txt; filename=plain.txt", "plain.txt"},
	    {"attachment; filename*=UTF-8''; filename=plain.txt", "plain.txt"},
	    /* the first of each parameter counts */
	    {"attachment; filename=first.txt; filename=second.txt", "first.txt"},
	};

	(void)state;
	run_cases(cases, ARRAY_LEN(cases));
}

static void test_disposition_lenient(void **state)
{
	static const struct cd_case cases[] = {
	    {"filename=no-type.txt", "no-type.txt"},
	    {"filename=\"no-type.txt\"", "no-type.txt"},
	    {"attachment; filename=two words.txt", "two words.txt"},
	    {"attachment; filename=\"unterminated.txt", "unterminated.txt"},
	    {"attachment; filename=\"quoted.txt\"junk; size=2", "quoted.txt"},
	    {"attachment; filename=\"  padded.txt  \"", "padded.txt"},
	    {"attachment; filename*=\"UTF-8''quoted%20ext.txt\"", "quoted ext.txt"},
	    {"attachment; filename=%41.txt", "%41.txt"}, /* never percent-decoded */
	    {"attachment; filename=a.txt;", "a.txt"},
	    {"attachment; ; ;filename=a.txt", "a.txt"},
	};

	(void)state;
	run_cases(cases, ARRAY_LEN(cases));
}

/* Directory parts are dropped, whatever separator or trick. */
static void test_disposition_hostile(void **state)
{
	static const struct cd_case cases[] = {
	    {"attachment; filename=\"../../etc/passwd\"", "passwd"},
	    {"attachment; filename=\"/etc/shadow\"", "shadow"},
	    {"attachment; filename=\"..\\\\..\\\\boot.ini\"", "boot.ini"},
	    {"attachment; filename=C:\\Windows\\evil.dll", "evil.dll"},
	    {"attachment; filename*=UTF-8''..%2F..%2Fetc%2Fcron.d%2Fx", "x"},
	    {"attachment; filename*=UTF-8''%5C%5Cserver%5Cshare.txt", "share.txt"},
	    {"attachment; filename=..", ".."}, /* store_component() makes it "__" */
	    {"attachment; filename=-rf", "-rf"},
	    {"attachment; filename=\"dir/\"", NULL},
	    {"attachment; filename=\"/\"", NULL},
	    {"attachment; filename*=UTF-8''%2F", NULL},
	};

	(void)state;
	run_cases(cases, ARRAY_LEN(cases));
}

static void test_disposition_no_name(void **state)
{
	static const struct cd_case cases[] = {
	    {"", NULL},
	    {"attachment", NULL},
	    {"inline", NULL},
	    {"attachment; size=100", NULL},
	    {"attachment; filename", NULL},
	    {"attachment; filename=", NULL},
	    {"attachment; filename=\"\"", NULL},
	    {"attachment; filename=\"   \"", NULL},
	    {"attachment; filenames=a.txt", NULL},
	    {"attachment; xfilename=a.txt", NULL},
	    {"attachment; filename*=KOI8-R''x.txt", NULL},
	    {"attachment; name=\"filename=a.txt\"", NULL},
	    {"\"", NULL},
	    {";;;", NULL},
	    {"=", NULL},
	};

	(void)state;
	run_cases(cases, ARRAY_LEN(cases));
}

/* The cap: a name of DISPOSITION_NAME_MAX bytes passes, one more does
 * not; a buffer too small says so; a long extended name falls back to a
 * plain one that fits. */
static void test_disposition_caps(void **state)
{
	size_t max = DISPOSITION_NAME_MAX;
	char *value = malloc(max + 200);
	char *out = malloc(max + 1);
	char small[8];

	(void)state;
	assert_non_null(value);
	assert_non_null(out);
	snprintf(value, max + 200, "attachment; filename=%0*d", (int)max, 7);
	assert_int_equal(disposition_filename(guard_str(&guard_shared, value), out, max + 1),
			 FA_OK);
	assert_int_equal(strlen(out), max);
	snprintf(value, max + 200, "attachment; filename=%0*d", (int)max + 1, 7);
	assert_int_equal(disposition_filename(guard_str(&guard_shared, value), out, max + 1),
			 FA_ERR_TOO_LONG);
	assert_string_equal(out, "");
	snprintf(value, max + 200, "attachment; filename*=UTF-8''%0*d; filename=short.txt",
		 (int)max + 1, 7);
	assert_int_equal(disposition_filename(guard_str(&guard_shared, value), out, max + 1),
			 FA_OK);
	assert_string_equal(out, "short.txt");
	assert_int_equal(
	    disposition_filename("attachment; filename=abcdefgh", small, sizeof(small)),
	    FA_ERR_TOO_LONG);
	assert_string_equal(small, "");
	assert_int_equal(disposition_filename("attachment; filename=abcdefg", small, sizeof(small)),
			 FA_OK);
	assert_string_equal(small, "abcdefg");
	/* Latin-1 widening: every byte doubles and still fits. */
	snprintf(value, max + 200, "attachment; filename*=iso-8859-1''");
	for (size_t i = strlen(value); i < 300; i++)
		value[i] = (char)0xe9;
	value[300] = '\0';
	assert_int_equal(disposition_filename(guard_str(&guard_shared, value), out, max + 1),
			 FA_OK);
	assert_int_equal(strlen(out), 2 * (300 - strlen("attachment; filename*=iso-8859-1''")));
	for (size_t i = 0; out[i]; i += 2) {
		assert_int_equal((unsigned char)out[i], 0xc3);
		assert_int_equal((unsigned char)out[i + 1], 0xa9);
	}
	free(value);
	free(out);
}

static void test_disposition_args(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(disposition_filename(NULL, out, sizeof(out)), FA_ERR_ARG);
	assert_int_equal(disposition_filename("filename=a", NULL, 1), FA_ERR_ARG);
	assert_int_equal(disposition_filename("filename=a", out, 0), FA_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disposition_rfc6266), cmocka_unit_test(test_disposition_lenient),
	    cmocka_unit_test(test_disposition_hostile), cmocka_unit_test(test_disposition_no_name),
	    cmocka_unit_test(test_disposition_caps),    cmocka_unit_test(test_disposition_args),
	};

	return cmocka_run_group_tests_name("disposition", tests, guard_group_setup,
					   guard_group_teardown);
}
