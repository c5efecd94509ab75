/*
 * End-to-end tests of the cookie jar against the test server's login site
 * (/cookies/login sets a session cookie, /cookies/private/K.html answers
 * 403 without it): a crawl from the login page gets every private page;
 * --no-cookies does not; --save-cookies writes cookies.txt (session
 * cookies only with --keep-session-cookies) and --load-cookies or -b
 * 'NAME=VALUE' let a plain list in; -b is sent as given (/headers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct h_server server;

struct ctx {
	char *dir;
	char out[4096];
	char jar[4096];
	char list[4096];
	char login[512];
};

static int group_setup(void **state)
{
	(void)state;
	return h_server_start(&server, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	h_server_stop(&server);
	return 0;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char buf[2048];
	size_t len = 0;

	if (!c || !(c->dir = h_tmpdir()))
		return -1;
	snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	snprintf(c->jar, sizeof(c->jar), "%s/cookies.txt", c->dir);
	snprintf(c->list, sizeof(c->list), "%s/private.txt", c->dir);
	snprintf(c->login, sizeof(c->login), "%s/cookies/login", server.base);
	for (int k = 1; k <= 5; k++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s/cookies/private/%d.html\n", server.base, k);
	if (h_write_file(c->list, buf, len) != 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

/* Private pages saved under the crawl's host directory. */
static int private_pages(const struct ctx *c)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/127.0.0.1:%d/cookies/private", c->out, server.port);
	return h_count_files(dir, ".html");
}

static void test_cookies_crawl_behind_login(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall",    "-r", c->login, "-d",     "6",
			      "--no-robots", "-o", c->out,   "--json", "--save-cookies",
			      c->jar,        NULL};
	struct h_result r;
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(h_run(argv, NULL, 60, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 0);
	assert_int_equal(private_pages(c), 5);
	h_result_release(&r);
	/* the session cookie ends with the session: not saved (wget) */
	assert_int_equal(h_read_file(c->jar, &text, &len), 0);
	assert_non_null(strstr(text, "# Netscape HTTP Cookie File"));
	assert_non_null(strstr(text, "\ttheme\tdark"));
	assert_null(strstr(text, "s3cret"));
	free(text);
}

static void test_cookies_off(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", "-r",   c->login, "-d",           "6",
			      "-o",       c->out, "--json", "--no-cookies", NULL};
	const char *both[] = {"fetchall",  c->list, "--no-cookies", "--load-cookies",
			      "/dev/null", "-o",    c->out,         NULL};
	struct h_result r;

	assert_int_equal(h_run(argv, NULL, 60, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 1); /* the login page ok, private/1 403 */
	assert_non_null(strstr(r.out, "\"http_code\":403"));
	assert_int_equal(private_pages(c), 0);
	h_result_release(&r);
	assert_int_equal(h_run(both, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--no-cookies"));
	h_result_release(&r);
}

static void test_cookies_saved_then_loaded(void **state)
{
	struct ctx *c = *state;
	const char *login[] = {"fetchall", c->login,         "-o",   c->out,
			       "-q",       "--save-cookies", c->jar, "--keep-session-cookies",
			       NULL};
	const char *load[] = {"fetchall", c->list,          "-o",   c->out,
			      "--json",   "--load-cookies", c->jar, NULL};
	const char *bare[] = {"fetchall", c->list, "-o", c->out, "--json", NULL};
	const char *missing[] = {"fetchall", c->list, "--load-cookies", "/nonexistent/c.txt", NULL};
	struct h_result r;

	assert_int_equal(h_run(login, NULL, 30, &r), 0);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	/* without the cookie: five 403s */
	assert_int_equal(h_run(bare, NULL, 30, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 3);
	h_result_release(&r);
	/* with the saved file, the plain list gets in */
	assert_int_equal(h_run(load, NULL, 30, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, ".html"), 5);
	h_result_release(&r);
	/* a file that cannot be read: a usage error naming it, nothing fetched */
	assert_int_equal(h_run(missing, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "/nonexistent/c.txt"));
	h_result_release(&r);
}

static void test_cookies_b_data(void **state)
{
	struct ctx *c = *state;
	char headers[512], saved[4200], *text = NULL;
	size_t len = 0;
	const char *data[] = {"fetchall", c->list,          "-o", c->out, "--json",
			      "-b",       "session=s3cret", NULL};
	const char *echo[] = {"fetchall", headers, "-o", c->out, "-q", "-b", "a=1; b=2", NULL};
	struct h_result r;

	assert_int_equal(h_run(data, NULL, 30, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, ".html"), 5);
	h_result_release(&r);
	/* sent as given (/headers answers with the request's header lines) */
	snprintf(headers, sizeof(headers), "%s/headers", server.base);
	assert_int_equal(h_run(echo, NULL, 30, &r), 0);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	snprintf(saved, sizeof(saved), "%s/headers", c->out);
	assert_int_equal(h_read_file(saved, &text, &len), 0);
	assert_non_null(strstr(text, "Cookie: a=1; b=2"));
	free(text);
}

/* A cookie set on a redirect is sent to where it leads; one set on a 401
 * is kept for the requests after it (wget's rule: any response). */
static void test_cookies_on_redirect_and_401(void **state)
{
	struct ctx *c = *state;
	char redirect[512], list[1024], path[4200];
	const char *follow[] = {"fetchall", redirect, "-o", c->out, "--json", NULL};
	const char *after401[] = {"fetchall", path, "-j", "1", "-o", c->out, "--json", NULL};
	struct h_result r;

	snprintf(redirect, sizeof(redirect), "%s/cookies/redirect", server.base);
	assert_int_equal(h_run(follow, NULL, 30, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"http_code\":200"));
	h_result_release(&r);

	/* -j 1: the 401 is answered before the private page is asked for */
	h_rmrf(c->out);
	snprintf(list, sizeof(list), "%s/cookies/denied\n%s/cookies/private/2.html\n", server.base,
		 server.base);
	snprintf(path, sizeof(path), "%s/two.txt", c->dir);
	assert_int_equal(h_write_file(path, list, strlen(list)), 0);
	assert_int_equal(h_run(after401, NULL, 30, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 1); /* the 401 itself fails */
	assert_non_null(strstr(r.out, "\"http_code\":401"));
	assert_non_null(strstr(r.out, "\"http_code\":200"));
	assert_int_equal(h_count_files(c->out, ".html"), 1);
	h_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cookies_crawl_behind_login, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cookies_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cookies_saved_then_loaded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cookies_b_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cookies_on_redirect_and_401, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
