/*
 * End-to-end tests of --spider, the link checker: a crawl of
 * fixtures/site/spider (a site with known broken links: two missing pages,
 * a missing image, a 500, and an image on a server refusing HEAD) lists
 * exactly the broken links with the page each was found on, saves
 * nothing, asks files by HEAD, reads no body that is not a page, exits 1;
 * a list is checked the same way; --json gives a line per link; the
 * options that save or compare files are refused with it.
 *
 * One server serves the group with fixtures/site as its root.  Every test
 * runs fetchall in a fresh directory, which must stay empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define RUN_TIMEOUT 120

static struct h_server server;

static int group_setup(void **state)
{
	char root[4096];

	(void)state;
	snprintf(root, sizeof(root), "%s/site", h_fixtures());
	return h_server_start(&server, root);
}

static int group_teardown(void **state)
{
	(void)state;
	return h_server_stop(&server);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Asserts that out has the line "STATUS BASE+path  found on BASE+page". */
static void assert_broken(const char *out, const char *status, const char *path, const char *page)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s %s%s  found on %s%s\n", status, server.base, path,
		 server.base, page);
	if (!strstr(out, line))
		fail_msg("no line '%.*s' in:\n%s", (int)strlen(line) - 1, line, out);
}

#define SPIDER "/static/spider/"

static void run_crawl(const struct h_tmp *c, struct h_result *r, const char *extra)
{
	char *start = h_url(&server, SPIDER "index.html");
	const char *argv[] = {"fetchall", "--crawl", start, "--spider", "--retries",
			      "0",        "-j",      "4",   extra,      NULL};

	assert_non_null(start);
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, r), 0);
	free(start);
}

static void test_spider_crawl_lists_broken_links(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	struct h_stats st;

	assert_int_equal(h_server_reset(&server, NULL), 0);
	run_crawl(c, &r, NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 1);
	/* the broken links, each once, with the page it is on; nothing else */
	assert_broken(r.out, "404", SPIDER "missing.html", SPIDER "index.html");
	assert_broken(r.out, "404", SPIDER "gone.png", SPIDER "index.html");
	assert_broken(r.out, "500", "/status/500", SPIDER "index.html");
	assert_broken(r.out, "404", SPIDER "missing2.html", SPIDER "ok.html");
	assert_int_equal(count_lines(r.out), 4);
	assert_non_null(strstr(r.err, "spider: 4 broken links of 10 checked"));
	/* nothing saved, not even an output directory */
	assert_int_equal(h_count_files(c->dir, NULL), 0);
	/* the stylesheet and the three images by HEAD (one refused, then
	 * asked by GET); pages by GET */
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.head_requests, 4);
	h_result_release(&r);
}

static void test_spider_json_line_per_link(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	char line[4096], v[1024], want[1024];

	run_crawl(c, &r, "--json");
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 1);
	assert_int_equal(count_lines(r.out), 10);
	/* a broken link: not ok, its status, the page it is on */
	assert_non_null(h_json_line_for(r.out, SPIDER "missing2.html", line, sizeof(line)));
	h_json_get(line, "ok", v, sizeof(v));
	assert_string_equal(v, "false");
	h_json_get(line, "http_code", v, sizeof(v));
	assert_string_equal(v, "404");
	h_json_get(line, "source", v, sizeof(v));
	snprintf(want, sizeof(want), "%s%sok.html", server.base, SPIDER);
	assert_string_equal(v, want);
	/* a file that is not a page: checked without reading its body */
	assert_non_null(h_json_line_for(r.out, "/bytes/3000000", line, sizeof(line)));
	h_json_get(line, "ok", v, sizeof(v));
	assert_string_equal(v, "true");
	h_json_get(line, "bytes", v, sizeof(v));
	assert_string_equal(v, "0");
	/* the image on a server refusing HEAD: ok by GET */
	assert_non_null(h_json_line_for(r.out, "ok.png?nohead=1", line, sizeof(line)));
	h_json_get(line, "ok", v, sizeof(v));
	assert_string_equal(v, "true");
	/* with --json on stdout, the broken links are listed on stderr */
	assert_non_null(strstr(r.err, "404 "));
	assert_non_null(strstr(r.err, "missing2.html  found on "));
	assert_int_equal(h_count_files(c->dir, NULL), 0);
	h_result_release(&r);
}

static void test_spider_list(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	struct h_stats st;
	char list[1024], want[512];

	/* fine, missing, a redirect to a missing page, a closed port */
	snprintf(list, sizeof(list),
		 "%s/bytes/100\n%s/status/404\n%s/redirect-to?url=%%2Fnotfound\n"
		 "http://127.0.0.1:1/closed\n",
		 server.base, server.base, server.base);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	{
		const char *argv[] = {"fetchall", "-", "--spider", "--retries", "0", NULL};

		assert_int_equal(h_run_in(c->dir, argv, list, RUN_TIMEOUT, &r), 0);
	}
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 1);
	assert_int_equal(count_lines(r.out), 3);
	snprintf(want, sizeof(want), "404 %s/status/404  listed on line 2\n", server.base);
	assert_non_null(strstr(r.out, want));
	snprintf(want, sizeof(want), "404 %s/redirect-to?url=%%2Fnotfound  listed on line 3\n",
		 server.base);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "--- http://127.0.0.1:1/closed  listed on line 4  ("));
	assert_int_equal(h_count_files(c->dir, NULL), 0);
	/* every file by HEAD, the redirect's two hops included */
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.head_requests, 4);
	assert_int_equal(st.requests, 4);
	h_result_release(&r);
}

static void test_spider_all_fine(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	char list[512];
	const char *argv[] = {"fetchall", "-", "--spider", NULL};

	snprintf(list, sizeof(list), "%s/bytes/100\n%s%sok.png\n", server.base, server.base,
		 SPIDER);
	assert_int_equal(h_run_in(c->dir, argv, list, RUN_TIMEOUT, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "spider: 0 broken links of 2 checked"));
	h_result_release(&r);
}

/* Options that save, name or compare files do nothing with --spider. */
static void test_spider_refuses_saving_options(void **state)
{
	struct h_tmp *c = *state;
	static const char *const opts[][2] = {
	    {"-o", "out"},          {"-O", "f"},  {"-c", NULL}, {"-N", NULL},
	    {"--no-clobber", NULL}, {"-x", NULL}, {"-J", NULL}, {"--dedupe", NULL},
	    {"--min-size", "1k"},
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *argv[] = {
		    "fetchall", "http://127.0.0.1:1/", "--spider", opts[i][0], opts[i][1], NULL};
		struct h_result r;

		assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &r), 0);
		H_ASSERT_RUN_SANE(&r, c->dir);
		if (r.status != 2 || count_lines(r.err) != 1 || !strstr(r.err, "--spider"))
			fail_msg("%s with --spider: status %d, stderr:\n%s", opts[i][0], r.status,
				 r.err);
		h_result_release(&r);
	}
	assert_int_equal(h_count_files(c->dir, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_spider_crawl_lists_broken_links, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_spider_json_line_per_link, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_spider_list, h_tmp_setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_spider_all_fine, h_tmp_setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_spider_refuses_saving_options, h_tmp_setup,
					    h_tmp_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
