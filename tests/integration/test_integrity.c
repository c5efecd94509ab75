/*
 * test_integrity: a final name always holds the exact whole resource, and
 * -c finishes exactly what was started (issue 9).
 *
 * Each test runs the real binary against the test server's lying routes
 * (/lie206, /unsolicited206, /gzip-range) or same-named URLs, interrupted
 * or not, and checks the files byte for byte against content.h, the
 * absence of any final name for what failed, and every JSON line against
 * the outcome invariants (h_json_check).  Faults are combined: same-named
 * URLs x Ctrl-C x -c; a cut body x a lying 206; a .part x a lying 206.
 * Every run and every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"

#define RUN_TIMEOUT 120 /* s, one run on a slow machine under a sanitizer */

static struct h_server server;

struct ctx {
	char *dir;
	char list[4096];
	char out[4096];
	struct h_result res;
};

static int group_setup(void **state)
{
	(void)state;
	return h_server_start(&server, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return h_server_stop(&server);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || !(c->dir = h_tmpdir()))
		return -1;
	snprintf(c->list, sizeof(c->list), "%s/urls.txt", c->dir);
	snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	*state = c;
	return h_server_reset(&server, NULL);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	h_result_release(&c->res);
	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

/* Writes the list: server.base + each path, one a line. */
static void write_list(struct ctx *c, const char *const *paths, int n)
{
	FILE *f = fopen(c->list, "w");

	assert_non_null(f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s\n", server.base, paths[i]);
	assert_int_equal(fclose(f), 0);
}

/* No crash, no sanitizer report, the JSON lines' invariants hold. */
static void assert_sane(const struct ctx *c)
{
	H_ASSERT_RUN_SANE(&c->res, c->out);
}

/* Runs fetchall LIST -o OUT --json extra... (NULL-terminated). */
static void run(struct ctx *c, ...)
{
	const char *argv[32] = {"fetchall", c->list, "-o", c->out, "--json"};
	int argc = 5;
	const char *a;
	va_list ap;

	va_start(ap, c);
	while ((a = va_arg(ap, const char *)) && argc < 30)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	h_result_release(&c->res);
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
	assert_sane(c);
}

/* The JSON line whose url ends with suffix, copied into buf. */
static const char *line_for(const struct ctx *c, const char *suffix, char *buf, size_t len)
{
	const char *p = c->res.out;
	size_t slen = strlen(suffix);

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char url[4096];

		if (n < len) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (h_json_get(buf, "url", url, sizeof(url)) && strlen(url) >= slen &&
			    strcmp(url + strlen(url) - slen, suffix) == 0)
				return buf;
		}
		p = nl ? nl + 1 : NULL;
	}
	fail_msg("no JSON line for %s in:\n%s", suffix, c->res.out);
	return NULL;
}

static void out_path(const struct ctx *c, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->out, name);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The URL ending in suffix failed, and left no final file named name. */
static void assert_failed_no_file(const struct ctx *c, const char *suffix, const char *name)
{
	char line[8192], v[64], path[4200];

	line_for(c, suffix, line, sizeof(line));
	h_json_get(line, "ok", v, sizeof(v));
	if (strcmp(v, "false") != 0)
		fail_msg("%s did not fail: %s", suffix, line);
	out_path(c, name, path, sizeof(path));
	if (exists(path))
		fail_msg("%s exists for a failed URL: %s", name, line);
}

/* The saved file name holds exactly /bytes/seed's first n bytes. */
static void assert_bytes(const struct ctx *c, const char *name, uint64_t seed, uint64_t n)
{
	char path[4200];

	out_path(c, name, path, sizeof(path));
	if (!h_check_bytes(path, seed, n))
		fail_msg("%s is not exactly the %llu bytes of seed %llu", name,
			 (unsigned long long)n, (unsigned long long)seed);
}

/* Two URLs, one name, in one -c run into an empty directory: both are
 * saved, each whole, beside each other; a second -c run skips both with
 * no request, and so does --no-clobber. */
static void test_integrity_same_name_continue(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/3000/a/file.bin", "/bytes/3001/b/file.bin"};
	char path[4200], line[8192], v[64];
	struct h_stats st;
	bool a_first;

	write_list(c, paths, 2);
	run(c, "-c", "-j", "2", NULL);
	assert_int_equal(c->res.status, 0);
	out_path(c, "file.bin", path, sizeof(path));
	a_first = h_check_bytes(path, 3000, 3000);
	assert_bytes(c, "file.bin", a_first ? 3000 : 3001, a_first ? 3000 : 3001);
	assert_bytes(c, "file.bin.1", a_first ? 3001 : 3000, a_first ? 3001 : 3000);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(h_server_reset(&server, NULL), 0);
		run(c, pass == 0 ? "-c" : "--no-clobber", "-j", "2", NULL);
		assert_int_equal(c->res.status, 0);
		line_for(c, "/a/file.bin", line, sizeof(line));
		h_json_get(line, "skipped", v, sizeof(v));
		assert_string_equal(v, "true");
		h_json_get(line, "path", v, sizeof(v));
		assert_string_equal(v, a_first ? "file.bin" : "file.bin.1");
		line_for(c, "/b/file.bin", line, sizeof(line));
		h_json_get(line, "path", v, sizeof(v));
		assert_string_equal(v, a_first ? "file.bin.1" : "file.bin");
		assert_int_equal(h_server_stats(&server, &st), 0);
		assert_int_equal(st.requests, 0);
	}
	assert_int_equal(h_count_files(c->out, NULL), 2);
}

/* Same-named URLs x Ctrl-C x -c: two slow URLs with one name are cut by
 * SIGINT at a random moment, then the same command with -c finishes them.
 * Each final file is one URL's whole resource, never a splice, however
 * the interruption fell (bounded tries with different moments). */
static void test_integrity_same_name_interrupt_resume(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/drip/2000/a/file.bin?ms=1", "/drip/2001/b/file.bin?ms=1",
			       "/drip/1500/c/other.bin?ms=1"};
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "-j", "3", "-q", NULL};
	unsigned seed = (unsigned)time(NULL);

	write_list(c, paths, 3);
	for (int t = 0; t < 4; t++) {
		char path[4200];
		int status;
		pid_t pid;
		struct timespec ts;
		long ms = 200 + (long)(rand_r(&seed) % 1200);

		h_rmrf(c->out);
		pid = h_spawn(argv, NULL, c->dir);
		assert_true(pid > 0);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGINT);
		assert_int_equal(h_wait(pid, RUN_TIMEOUT, &status), 0);
		assert_true(status == 130 || status == 0);
		run(c, "-c", "-j", "3", NULL);
		assert_int_equal(c->res.status, 0);
		/* the query is folded into the name: "file_ms=1.bin" */
		out_path(c, "file_ms=1.bin", path, sizeof(path));
		if (h_check_bytes(path, 2000, 2000)) {
			assert_bytes(c, "file_ms=1.bin.1", 2001, 2001);
		} else {
			assert_bytes(c, "file_ms=1.bin", 2001, 2001);
			assert_bytes(c, "file_ms=1.bin.1", 2000, 2000);
		}
		assert_bytes(c, "other_ms=1.bin", 1500, 1500);
		assert_int_equal(h_count_files(c->out, ".part"), 0);
		assert_int_equal(h_count_files(c->out, NULL), 3);
	}
}

/* A cut body x a lying 206: the first response promises 200000 bytes and
 * is cut at 100000; the retry's 206 lies (the total grew, the whole file
 * again, another start, a short body).  Never a spliced file: the URL
 * fails (after one restart from zero) and no final name appears.  The
 * honest server beside them is resumed and saved exactly. */
static void test_integrity_lying_206(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {
	    "/lie206/200000/grow.bin?mode=grow&cut=100000",
	    "/lie206/200000/whole.bin?mode=whole&cut=100000",
	    "/lie206/200000/shift.bin?mode=shift&cut=100000",
	    "/lie206/200000/short.bin?mode=short&cut=100000",
	    "/lie206/200000/ok.bin?mode=ok&cut=100000",
	};

	write_list(c, paths, 5);
	run(c, "-j", "5", "--retries", "2", NULL);
	assert_int_equal(c->res.status, 1);
	assert_failed_no_file(c, "grow.bin?mode=grow&cut=100000", "grow.bin");
	assert_failed_no_file(c, "whole.bin?mode=whole&cut=100000", "whole.bin");
	assert_failed_no_file(c, "shift.bin?mode=shift&cut=100000", "shift.bin");
	assert_failed_no_file(c, "short.bin?mode=short&cut=100000", "short.bin");
	assert_bytes(c, "ok_mode=ok_cut=100000.bin", 200000, 200000);
	assert_int_equal(h_count_files(c->out, NULL), 1);
}

/* A .part x a lying 206 under -c: the 206 claims the right start but
 * sends the whole file; it is refused and the file fetched again whole
 * (200000 bytes, not 250000). */
static void test_integrity_continue_lying_206(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/lie206/200000/w.bin?mode=whole"};
	char path[4200];
	uint8_t *head = malloc(50000);

	assert_non_null(head);
	assert_int_equal(mkdir(c->out, 0755), 0);
	tsrv_fill(200000, 0, head, 50000);
	out_path(c, "w_mode=whole.bin.part", path, sizeof(path));
	assert_int_equal(h_write_file(path, head, 50000), 0);
	free(head);
	write_list(c, paths, 1);
	run(c, "-c", NULL);
	assert_int_equal(c->res.status, 0);
	assert_bytes(c, "w_mode=whole.bin", 200000, 200000);
	assert_int_equal(h_count_files(c->out, NULL), 1);
}

/* A 206 nobody asked for (bytes 5000 on) is never saved as the file. */
static void test_integrity_unasked_206(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/unsolicited206/10000/u.bin?from=5000", "/bytes/100/good.bin"};

	write_list(c, paths, 2);
	run(c, NULL);
	assert_int_equal(c->res.status, 1);
	assert_failed_no_file(c, "u.bin?from=5000", "u_from=5000.bin");
	assert_bytes(c, "good.bin", 100, 100);
}

/* A gzip-coded resource whose ranges count encoded bytes (gzip_static),
 * cut on the first try: the retry starts over without Range instead of
 * asking decoded offsets, and the file is whole. */
static void test_integrity_gzip_range_cut(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/gzip-range/200000/z.bin?cut=50000&once=1"};

	write_list(c, paths, 1);
	run(c, NULL);
	assert_int_equal(c->res.status, 0);
	assert_bytes(c, "z_cut=50000_once=1.bin", 200000, 200000);
	assert_int_equal(h_count_files(c->out, NULL), 1);
}

/* File versus directory in a mirror: the page /dirs/blog and the page
 * /dirs/blog/post1 below it, the pages /dirs/docs/ and /dirs/docs, all
 * saved (as blog.html, blog/post1.html, docs/index.html, docs.html), in
 * either order; a -c or --no-clobber run afterwards finds every one done
 * and asks for nothing. */
static void test_integrity_file_and_directory(void **state)
{
	struct ctx *c = *state;
	static const char *const want[] = {"dirs/index.html", "dirs/blog.html",
					   "dirs/blog/post1.html", "dirs/docs/index.html",
					   "dirs/docs.html"};
	const char *paths[] = {"/dirs/"};
	char host[64], path[4300];
	struct h_stats st;

	snprintf(host, sizeof(host), "127.0.0.1:%d", server.port);
	write_list(c, paths, 1);
	for (int pass = 0; pass < 3; pass++) {
		assert_int_equal(h_server_reset(&server, NULL), 0);
		run(c, "-r", "--no-robots", "-j", "2",
		    pass == 0   ? NULL
		    : pass == 1 ? "-c"
				: "--no-clobber",
		    NULL);
		assert_int_equal(c->res.status, 0);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s/%s", c->out, host, want[i]);
			if (!exists(path))
				fail_msg("pass %d: %s is missing:\n%s", pass, want[i], c->res.out);
		}
		assert_int_equal(h_count_files(c->out, NULL), 5);
		if (pass > 0) {
			/* done pages are read back from disk, not requested */
			assert_int_equal(h_server_stats(&server, &st), 0);
			assert_int_equal(st.requests, 0);
		}
	}
}

/* -c over a --convert-links mirror: the converted pages are this URL's
 * (their record survives the rewrite), are read back with their local
 * links mapped to the URLs recorded on the files they point at, and
 * nothing is requested: no bogus URL made of local paths, no Range
 * request that would append to a rewritten page.  Converting again
 * leaves every link local. */
static void test_integrity_continue_converted_mirror(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/dirs/"};
	char path[4300], *before = NULL, *after = NULL;
	size_t before_len = 0, after_len = 0;
	struct h_stats st;

	write_list(c, paths, 1);
	h_result_release(&c->res);
	{
		const char *argv[] = {"fetchall",    c->list,           "-o", c->out, "-q", "-r",
				      "--no-robots", "--convert-links", NULL};

		assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
		assert_int_equal(c->res.status, 0);
	}
	snprintf(path, sizeof(path), "%s/127.0.0.1:%d/dirs/blog.html", c->out, server.port);
	assert_int_equal(h_read_file(path, &before, &before_len), 0);
	assert_non_null(strstr(before, "href=\"blog/post1.html\""));
	for (int pass = 0; pass < 2; pass++) {
		const char *argv[] = {"fetchall",    c->list, "-o",
				      c->out,        "-q",    "-r",
				      "--no-robots", "-c",    pass ? "--convert-links" : NULL,
				      NULL};

		assert_int_equal(h_server_reset(&server, NULL), 0);
		h_result_release(&c->res);
		assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
		assert_int_equal(c->res.status, 0);
		assert_int_equal(h_server_stats(&server, &st), 0);
		if (st.requests != 0)
			fail_msg("pass %d: %lld requests over a finished mirror", pass,
				 st.requests);
		assert_int_equal(h_count_files(c->out, NULL), 5);
	}
	assert_int_equal(h_read_file(path, &after, &after_len), 0);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	free(before);
	free(after);
}

/* A gzip body whose stream never ends (the HTTP framing is complete, the
 * compressed data stops halfway) fails after its retries, with no file;
 * a whole gzip body beside it is saved decoded, byte for byte. */
static void test_integrity_gzip_truncated(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/gzip-trunc/t.txt", "/gzip/g.txt"};
	char text[TSRV_GZIP_TEXT_LEN], path[4200], line[8192], v[512];
	char *data = NULL;
	size_t len = 0;

	write_list(c, paths, 2);
	run(c, "--retries", "1", NULL);
	assert_int_equal(c->res.status, 1);
	assert_failed_no_file(c, "/t.txt", "t.txt");
	line_for(c, "/t.txt", line, sizeof(line));
	h_json_get(line, "error", v, sizeof(v));
	assert_non_null(strstr(v, "compressed"));
	tsrv_gzip_text(text);
	out_path(c, "g.txt", path, sizeof(path));
	assert_int_equal(h_read_file(path, &data, &len), 0);
	assert_int_equal(len, TSRV_GZIP_TEXT_LEN);
	assert_memory_equal(data, text, len);
	free(data);
}

/* file:// (--allow-file) with -c: libcurl reads from the offset asked,
 * so the .part's bytes are continued, not replaced by the tail (and the
 * URL is not dropped for having no host). */
static void test_integrity_file_url_resume(void **state)
{
	struct ctx *c = *state;
	char src[4200], part[4200], url[4300];
	uint8_t *body = malloc(100000);
	const char *argv[] = {"fetchall", "--allow-file", "-c", "-o", c->out, "--json", url, NULL};

	assert_non_null(body);
	tsrv_fill(100000, 0, body, 100000);
	snprintf(src, sizeof(src), "%s/src.bin", c->dir);
	assert_int_equal(h_write_file(src, body, 100000), 0);
	assert_int_equal(mkdir(c->out, 0755), 0);
	out_path(c, "src.bin.part", part, sizeof(part));
	assert_int_equal(h_write_file(part, body, 40000), 0);
	free(body);
	snprintf(url, sizeof(url), "file://%s", src);
	h_result_release(&c->res);
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
	assert_sane(c);
	assert_int_equal(c->res.status, 0);
	assert_bytes(c, "src.bin", 100000, 100000);
	assert_int_equal(h_count_files(c->out, NULL), 1);
}

/* -c over files with no record, as wget -c: a short one is completed by
 * Range, one of the right size is skipped, a longer one is left alone
 * with a reason. */
static void test_integrity_continue_existing(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/100/short.bin", "/bytes/100/right.bin",
			       "/bytes/100/long.bin"};
	char path[4200], line[8192], v[256];
	uint8_t buf[150];

	assert_int_equal(mkdir(c->out, 0755), 0);
	tsrv_fill(100, 0, buf, 100);
	out_path(c, "short.bin", path, sizeof(path));
	assert_int_equal(h_write_file(path, buf, 50), 0);
	out_path(c, "right.bin", path, sizeof(path));
	assert_int_equal(h_write_file(path, buf, 100), 0);
	memset(buf + 100, 'x', 50);
	out_path(c, "long.bin", path, sizeof(path));
	assert_int_equal(h_write_file(path, buf, 150), 0);
	write_list(c, paths, 3);
	run(c, "-c", NULL);
	assert_int_equal(c->res.status, 0);
	assert_bytes(c, "short.bin", 100, 100);
	assert_bytes(c, "right.bin", 100, 100);
	line_for(c, "/right.bin", line, sizeof(line));
	h_json_get(line, "skip_reason", v, sizeof(v));
	assert_string_equal(v, "file exists");
	line_for(c, "/long.bin", line, sizeof(line));
	h_json_get(line, "skipped", v, sizeof(v));
	assert_string_equal(v, "true");
	h_json_get(line, "skip_reason", v, sizeof(v));
	assert_non_null(strstr(v, "longer"));
	out_path(c, "long.bin", path, sizeof(path));
	{
		char *data = NULL;
		size_t len = 0;

		assert_int_equal(h_read_file(path, &data, &len), 0);
		assert_int_equal(len, 150);
		free(data);
	}
	assert_int_equal(h_count_files(c->out, NULL), 3);
}

/* One outcome per URL: a 503 then a 200 that --min-size drops is skipped
 * with its reason and no error (it said ok, skipped and "HTTP 503" at
 * once before). */
static void test_integrity_one_outcome(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/flaky/503/1/m.bin"};
	char line[8192], v[256];

	write_list(c, paths, 1);
	run(c, "--min-size", "100", "--retries", "2", NULL);
	assert_int_equal(c->res.status, 0);
	line_for(c, "/m.bin", line, sizeof(line));
	h_json_get(line, "skipped", v, sizeof(v));
	assert_string_equal(v, "true");
	h_json_get(line, "error", v, sizeof(v));
	assert_string_equal(v, "null");
	h_json_get(line, "skip_reason", v, sizeof(v));
	assert_non_null(strstr(v, "--min-size"));
}

/* A crawl from a directory URL whose pages link to "./", "index.html" and
 * "/static/index.html" saves the home page once, as index.html, and
 * --convert-links points every spelling at it. */
static void test_integrity_home_page_once(void **state)
{
	struct ctx *c = *state;
	static const char home[] =
	    "<html><body><a href=\"index.html\">home</a> <a href=\"./\">dir</a>"
	    " <a href=\"a.html\">a</a></body></html>\n";
	static const char page_a[] =
	    "<html><body><a href=\"/static/index.html\">home</a> <a href=\"./\">dir</a>"
	    "</body></html>\n";
	struct h_server site = {0};
	char root[4200], path[4300], seed[256];
	int site_port;
	char *data = NULL;
	size_t len = 0;
	const char *argv[] = {"fetchall", "-r", "--no-robots",     "-o", c->out,
			      "--json",   "-q", "--convert-links", seed, NULL};

	snprintf(root, sizeof(root), "%s/root", c->dir);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/index.html", root);
	assert_int_equal(h_write_file(path, home, sizeof(home) - 1), 0);
	snprintf(path, sizeof(path), "%s/a.html", root);
	assert_int_equal(h_write_file(path, page_a, sizeof(page_a) - 1), 0);
	assert_int_equal(h_server_start(&site, root), 0);
	site_port = site.port;
	snprintf(seed, sizeof(seed), "%s/static/", site.base);
	h_result_release(&c->res);
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
	assert_int_equal(h_server_stop(&site), 0);
	/* (no h_json_check: --convert-links rewrites the files after their
	 * JSON lines, so their sizes change) */
	H_ASSERT_SANE(c->res.status, c->res.timed_out, c->res.err, NULL, NULL);
	assert_int_equal(c->res.status, 0);
	assert_int_equal(h_count_files(c->out, NULL), 2);
	snprintf(path, sizeof(path), "%s/127.0.0.1:%d/static/index.html", c->out, site_port);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/127.0.0.1:%d/static/index.html.1", c->out, site_port);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/127.0.0.1:%d/static/a.html", c->out, site_port);
	assert_int_equal(h_read_file(path, &data, &len), 0);
	if (!strstr(data, "href=\"index.html\""))
		fail_msg("a.html's home links do not point at index.html:\n%s", data);
	free(data);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_integrity_same_name_continue),
	    T(test_integrity_same_name_interrupt_resume),
	    T(test_integrity_lying_206),
	    T(test_integrity_continue_lying_206),
	    T(test_integrity_unasked_206),
	    T(test_integrity_gzip_range_cut),
	    T(test_integrity_continue_existing),
	    T(test_integrity_one_outcome),
	    T(test_integrity_home_page_once),
	    T(test_integrity_gzip_truncated),
	    T(test_integrity_file_url_resume),
	    T(test_integrity_file_and_directory),
	    T(test_integrity_continue_converted_mirror),
	};
#undef T
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
