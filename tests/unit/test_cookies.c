/*
 * Unit tests for cookies: the line key, the jar kept in step with several
 * libcurl engines (a cookie one engine learns reaches the others; one a
 * server deletes leaves them all; a stale copy never overwrites a newer
 * one), and cookies.txt saved and loaded back.  No network: engines are
 * filled through CURLOPT_COOKIELIST, as a response would fill them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cookies.h"

static int group_setup(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

/* The value of cookie name in easy's engine, into buf; "" if absent. */
static const char *engine_value(CURL *easy, const char *name, char *buf, size_t len)
{
	struct curl_slist *list = NULL;

	buf[0] = '\0';
	assert_int_equal(curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &list), CURLE_OK);
	for (struct curl_slist *l = list; l; l = l->next) {
		const char *p = l->data;

		for (int i = 0; i < 5 && p; i++) {
			p = strchr(p, '\t');
			if (p)
				p++;
		}
		if (p && strncmp(p, name, strlen(name)) == 0 && p[strlen(name)] == '\t')
			snprintf(buf, len, "%s", p + strlen(name) + 1);
	}
	curl_slist_free_all(list);
	return buf;
}

static void test_cookies_line_key(void **state)
{
	char key[64];

	(void)state;
	assert_int_equal(
	    cookies_line_key("example.com\tFALSE\t/a\tFALSE\t0\tsid\tv", key, sizeof(key)),
	    strlen("example.com\t/a\tsid"));
	assert_string_equal(key, "example.com\t/a\tsid");
	/* libcurl's HttpOnly mark is no part of the identity */
	assert_true(cookies_line_key("#HttpOnly_.example.com\tTRUE\t/\tTRUE\t9\tsid\tv", key,
				     sizeof(key)) > 0);
	assert_string_equal(key, ".example.com\t/\tsid");
	/* comments, blank lines, too few fields, a key too long */
	assert_int_equal(cookies_line_key("# Netscape HTTP Cookie File", key, sizeof(key)), 0);
	assert_int_equal(cookies_line_key("", key, sizeof(key)), 0);
	assert_int_equal(cookies_line_key("example.com\tFALSE\t/\tFALSE\t0\tsid", key, sizeof(key)),
			 0);
	assert_int_equal(cookies_line_key("\tFALSE\t/\tFALSE\t0\tsid\tv", key, sizeof(key)), 0);
	assert_int_equal(cookies_line_key("example.com\tFALSE\t/\tFALSE\t0\tsid\tv", key, 8), 0);
	assert_int_equal(cookies_line_key(NULL, key, sizeof(key)), 0);
}

static void test_cookies_engines_in_step(void **state)
{
	struct cookies *jar = cookies_new();
	struct cookies_sync sa, sb;
	CURL *a = curl_easy_init(), *b = curl_easy_init();
	char v[64];

	(void)state;
	assert_non_null(jar);
	assert_non_null(a);
	assert_non_null(b);
	cookies_attach(a, &sa);
	cookies_attach(b, &sb);

	/* a learns a cookie from "a response": b gets it before its next
	 * transfer */
	cookies_before(jar, a, &sa);
	curl_easy_setopt(a, CURLOPT_COOKIELIST, "example.com\tFALSE\t/\tFALSE\t0\tsid\t1");
	cookies_after(jar, a, &sa);
	assert_int_equal(cookies_count(jar), 1);
	cookies_before(jar, b, &sb);
	assert_string_equal(engine_value(b, "sid", v, sizeof(v)), "1");

	/* b's server changes it while a still holds the old value: a's stale
	 * copy does not overwrite the new one */
	cookies_before(jar, a, &sa);
	curl_easy_setopt(b, CURLOPT_COOKIELIST, "example.com\tFALSE\t/\tFALSE\t0\tsid\t2");
	cookies_after(jar, b, &sb);
	cookies_after(jar, a, &sa);
	cookies_before(jar, a, &sa);
	assert_string_equal(engine_value(a, "sid", v, sizeof(v)), "2");

	/* b's server deletes it: the jar drops it, and a's engine with it */
	cookies_before(jar, b, &sb);
	curl_easy_setopt(b, CURLOPT_COOKIELIST, "ALL");
	cookies_after(jar, b, &sb);
	assert_int_equal(cookies_count(jar), 0);
	cookies_before(jar, a, &sa);
	assert_string_equal(engine_value(a, "sid", v, sizeof(v)), "");

	/* a cookie a learns after the deletion is kept */
	curl_easy_setopt(a, CURLOPT_COOKIELIST, "example.com\tFALSE\t/\tFALSE\t0\tlang\ten");
	cookies_after(jar, a, &sa);
	assert_int_equal(cookies_count(jar), 1);
	cookies_before(jar, b, &sb);
	assert_string_equal(engine_value(b, "lang", v, sizeof(v)), "en");

	curl_easy_cleanup(a);
	curl_easy_cleanup(b);
	cookies_free(jar);
}

static void test_cookies_save_and_load(void **state)
{
	char dir[] = "/tmp/fetchall-cookies-XXXXXX", path[128], err[256], *text = NULL;
	struct cookies *jar = cookies_new(), *back = cookies_new();
	struct cookies_sync s;
	CURL *h = curl_easy_init();
	FILE *f;
	size_t cap = 0;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cookies.txt", dir);
	cookies_attach(h, &s);
	curl_easy_setopt(h, CURLOPT_COOKIELIST, "example.com\tFALSE\t/\tFALSE\t0\tsession\tS");
	curl_easy_setopt(h, CURLOPT_COOKIELIST,
			 "example.com\tFALSE\t/\tFALSE\t4102444800\tkeep\tK");
	cookies_after(jar, h, &s);
	assert_int_equal(cookies_count(jar), 2);

	/* wget's default: session cookies are not saved */
	assert_int_equal(cookies_save(jar, path, false, err, sizeof(err)), FA_OK);
	f = fopen(path, "r");
	assert_non_null(f);
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	assert_true(n > 0);
	assert_non_null(strstr(text, "# Netscape HTTP Cookie File"));
	assert_non_null(strstr(text, "\tkeep\tK"));
	assert_null(strstr(text, "session"));
	assert_int_equal(cookies_load(back, path, err, sizeof(err)), FA_OK);
	assert_int_equal(cookies_count(back), 1);

	/* --keep-session-cookies: both, and loaded back both */
	assert_int_equal(cookies_save(jar, path, true, err, sizeof(err)), FA_OK);
	cookies_free(back);
	back = cookies_new();
	assert_int_equal(cookies_load(back, path, err, sizeof(err)), FA_OK);
	assert_int_equal(cookies_count(back), 2);

	/* errors name the file; a failed save leaves no file behind */
	assert_int_equal(cookies_load(back, "/nonexistent/cookies.txt", err, sizeof(err)),
			 FA_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/cookies.txt"));
	assert_int_equal(cookies_save(jar, "/nonexistent/dir/c.txt", true, err, sizeof(err)),
			 FA_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/dir/c.txt"));

	free(text);
	unlink(path);
	rmdir(dir);
	curl_easy_cleanup(h);
	cookies_free(jar);
	cookies_free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cookies_line_key),
	    cmocka_unit_test(test_cookies_engines_in_step),
	    cmocka_unit_test(test_cookies_save_and_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
