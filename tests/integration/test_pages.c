/*
 * End-to-end tests of pages: --crawl, --images, filters, the parser
 * process pool and per-host politeness, against the test server's
 * generated site (tests/server/routes.c, /site/N/...) served with
 * fixtures/site as its root (so /robots.txt disallows /site/N/private/).
 *
 * Exact sets are checked on both sides: the files left in the output dir
 * and the server's own per-path request counts (/stats/paths), so a URL
 * fetched twice or one fetched that should not have been both show.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"
#include "url.h"

#define RUN_TIMEOUT 120

static struct h_server server;
static struct h_server extra_servers[3]; /* a test's own; teardown stops them */

struct ctx {
	char *dir;
	char list[4096];
	char out[4096];
};

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

	for (size_t i = 0; i < sizeof(extra_servers) / sizeof(extra_servers[0]); i++) {
		if (extra_servers[i].pid > 0)
			h_server_stop(&extra_servers[i]);
	}

	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	unsetenv("FETCHALL_TEST_HOOKS");
	return 0;
}

/* Writes the list: server paths, one per argument, NULL-terminated. */
static void write_list(struct ctx *c, ...)
{
	char buf[16384];
	size_t len = 0;
	const char *p;
	va_list ap;

	va_start(ap, c);
	while ((p = va_arg(ap, const char *))) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s\n", server.base, p);
		assert_true(len < sizeof(buf));
	}
	va_end(ap);
	assert_int_equal(h_write_file(c->list, buf, len), 0);
}

/* Runs fetchall -o OUT args... (NULL-terminated). */
static void run(struct ctx *c, struct h_result *r, ...)
{
	const char *argv[48];
	int argc = 0;
	const char *a;
	va_list ap;

	argv[argc++] = "fetchall";
	argv[argc++] = "-o";
	argv[argc++] = c->out;
	va_start(ap, r);
	while ((a = va_arg(ap, const char *)) && argc < 46)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, r), 0);
	/* under make asan / tsan the child is instrumented too */
	H_ASSERT_RUN_SANE(r, c->out);
}

struct body {
	char *data;
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	char *d = realloc(b->data, b->len + size * n + 1);

	if (!d)
		return 0;
	memcpy(d + b->len, p, size * n);
	b->data = d;
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

/* The server's "COUNT PATH" lines since the last reset; caller frees. */
static char *server_paths(void)
{
	char url[128];
	struct body b = {0};
	CURL *h = curl_easy_init();

	assert_non_null(h);
	snprintf(url, sizeof(url), "%s/stats/paths", server.base);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	return b.data ? b.data : strdup("");
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Asserts that the server saw exactly these paths, each once. */
static void assert_paths(const char *const *want, size_t n)
{
	char *got = server_paths();

	for (size_t i = 0; i < n; i++) {
		char line[512];

		snprintf(line, sizeof(line), "1 %s\n", want[i]);
		if (!strstr(got, line))
			fail_msg("server did not see %s exactly once; it saw:\n%s", want[i], got);
	}
	if ((size_t)count_lines(got) != n)
		fail_msg("server saw %d paths, want %zu:\n%s", count_lines(got), n, got);
	free(got);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* True if the file at dir/name holds the site's image NAME byte for byte. */
static bool image_ok(const char *dir, const char *name)
{
	char path[4200];
	char *data = NULL;
	size_t len, want = tsrv_image_size(name);
	uint8_t *expect;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (h_read_file(path, &data, &len) != 0)
		return false;
	expect = malloc(want ? want : 1);
	tsrv_image_fill(name, expect);
	ok = len == want && memcmp(data, expect, want) == 0;
	free(expect);
	free(data);
	return ok;
}

static void test_pages_crawl_exact_set(void **state)
{
	struct ctx *c = *state;
	const char *paths[16];
	char bufs[16][64], seed[128], tree[4200];
	struct h_result r;

	snprintf(seed, sizeof(seed), "%s/site/20/page/0.html", server.base);
	run(c, &r, "--crawl", seed, "-d", "3", "-j", "4", "--json", NULL);
	assert_int_equal(r.status, 0);
	/* pages 0..14 are within 3 links of page 0 (page K links 2K+1, 2K+2),
	 * page 1 is fetched once whatever its spelling, localhost and
	 * example.invalid are other hosts, private/ is disallowed */
	paths[0] = "/robots.txt";
	for (int k = 0; k < 15; k++) {
		snprintf(bufs[k], sizeof(bufs[k]), "/site/20/page/%d.html", k);
		paths[k + 1] = bufs[k];
	}
	assert_paths(paths, 16);
	snprintf(tree, sizeof(tree), "%s/127.0.0.1:%d/site/20/page", c->out, server.port);
	assert_int_equal(h_count_files(c->out, NULL), 15);
	assert_int_equal(h_count_files(tree, ".html"), 15);
	assert_non_null(strstr(r.out, "disallowed by robots.txt"));
	assert_null(strstr(r.out, "localhost"));
	h_result_release(&r);
}

static void test_pages_crawl_no_robots_and_max_pages(void **state)
{
	struct ctx *c = *state;
	char seed[128];
	char *got;
	struct h_result r;

	snprintf(seed, sizeof(seed), "%s/site/20/page/0.html", server.base);
	run(c, &r, "-r", seed, "-d", "1", "--no-robots", NULL);
	assert_int_equal(r.status, 0);
	got = server_paths();
	/* page 0, its children 1 and 2, its private page; no robots.txt */
	assert_non_null(strstr(got, "1 /site/20/private/0.html\n"));
	assert_null(strstr(got, "/robots.txt"));
	assert_int_equal(count_lines(got), 4);
	free(got);
	h_result_release(&r);

	assert_int_equal(h_server_reset(&server, NULL), 0);
	h_rmrf(c->out);
	/* --no-robots: every page queued is requested (a disallowed one
	 * would count against the cap without a request) */
	run(c, &r, "-r", seed, "-d", "inf", "--max-pages", "5", "--no-robots", NULL);
	assert_int_equal(r.status, 0);
	got = server_paths();
	assert_int_equal(count_lines(got), 5);
	free(got);
	h_result_release(&r);

	/* robots obeyed: page 0 queues 1, 2 and private/0; page 1 queues 3
	 * (the cap); private/0 is refused, which frees its place for
	 * another page.  Five pages fetched, not four.  (-j 1 bounds
	 * transfers, not parsing: on a loaded machine page 1 may be parsed
	 * before page 0's loop reaches private/0, which the cap then drops
	 * unqueued; five pages are fetched either way.) */
	assert_int_equal(h_server_reset(&server, NULL), 0);
	h_rmrf(c->out);
	run(c, &r, "-r", seed, "-d", "inf", "--max-pages", "5", "-j", "1", "--json", NULL);
	assert_int_equal(r.status, 0);
	got = server_paths();
	assert_non_null(strstr(got, "1 /robots.txt\n"));
	assert_null(strstr(got, "/private/"));
	assert_int_equal(count_lines(got), 6);
	free(got);
	h_result_release(&r);
}

static void test_pages_images_exact_set(void **state)
{
	struct ctx *c = *state;
	static const char *const want[] = {
	    "/site/20/page/0.html",     "/site/20/page/1.html",     "/site/20/page/2.html",
	    "/site/20/page/3.html",     "/site/20/img/shared.gif",  "/site/20/img/0.png",
	    "/site/20/img/1.png",       "/site/20/img/2.png",       "/site/20/img/3.png",
	    "/site/20/img/0-small.jpg", "/site/20/img/1-small.jpg", "/site/20/img/2-small.jpg",
	    "/site/20/img/3-small.jpg", "/site/20/img/0-big.jpg",   "/site/20/img/1-big.jpg",
	    "/site/20/img/2-big.jpg",   "/site/20/img/3-big.jpg"};
	struct h_result r;

	write_list(c, "/site/20/page/0.html", "/site/20/page/1.html", "/site/20/page/2.html",
		   "/site/20/page/3.html", NULL);
	run(c, &r, c->list, "--images", "-j", "4", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_paths(want, sizeof(want) / sizeof(want[0]));
	/* images only, flat, byte for byte; the pages are not saved */
	assert_int_equal(h_count_files(c->out, NULL), 13);
	for (size_t i = 5; i < sizeof(want) / sizeof(want[0]); i++)
		if (!image_ok(c->out, strrchr(want[i], '/') + 1))
			fail_msg("%s is not the server's image", want[i]);
	assert_true(image_ok(c->out, "shared.gif"));
	/* each image's JSON line names the page it came from */
	assert_non_null(strstr(r.out, "\"source\":\"http://127.0.0.1:"));
	h_result_release(&r);
}

static void test_pages_images_filters_in_processes(void **state)
{
	struct ctx *c = *state;
	struct h_result r;

	write_list(c, "/site/20/page/0.html", "/site/20/page/1.html", NULL);
	run(c, &r, c->list, "--images", "-P", "2", "--accept", "jpg,png", "--min-size", "10k",
	    NULL);
	assert_int_equal(r.status, 0);
	/* .gif refused by name before any request; small ones after */
	assert_int_equal(h_count_files(c->out, NULL), 2);
	assert_true(image_ok(c->out, "0-big.jpg"));
	assert_true(image_ok(c->out, "1-big.jpg"));
	assert_non_null(strstr(r.err, "in worker processes"));
	h_result_release(&r);
}

/* -p without --crawl (wget -p): each listed page is saved with its
 * stylesheet and images, once each however many pages share them, and
 * no link is followed; the same with the pages parsed in a process. */
static void test_pages_requisites_without_crawl(void **state)
{
	struct ctx *c = *state;
	static const char *const want[] = {"/site/20/page/1.html",     "/site/20/page/2.html",
					   "/site/20/style.css",       "/site/20/img/shared.gif",
					   "/site/20/img/1.png",       "/site/20/img/2.png",
					   "/site/20/img/1-small.jpg", "/site/20/img/2-small.jpg",
					   "/site/20/img/1-big.jpg",   "/site/20/img/2-big.jpg"};
	char path[4300], *data;
	size_t len;
	struct h_result r;

	write_list(c, "/site/20/page/1.html", "/site/20/page/2.html", NULL);
	for (int procs = 0; procs <= 1; procs++) {
		h_rmrf(c->out);
		assert_int_equal(h_server_reset(&server, NULL), 0); /* this run's paths */
		if (procs)
			run(c, &r, c->list, "-p", "-P", "1", "-j", "4", "--json", NULL);
		else
			run(c, &r, c->list, "-p", "-j", "4", "--json", NULL);
		assert_int_equal(r.status, 0);
		assert_paths(want, sizeof(want) / sizeof(want[0]));
		assert_int_equal(h_count_files(c->out, NULL), 10);
		for (size_t i = 3; i < sizeof(want) / sizeof(want[0]); i++)
			if (!image_ok(c->out, strrchr(want[i], '/') + 1))
				fail_msg("%s is not the server's image", want[i]);
		for (int k = 1; k <= 2; k++) {
			char title[64];

			snprintf(path, sizeof(path), "%s/%d.html", c->out, k);
			assert_int_equal(h_read_file(path, &data, &len), 0);
			snprintf(title, sizeof(title), "<title>site 20 page %d</title>", k);
			assert_non_null(strstr(data, title));
			free(data);
		}
		snprintf(path, sizeof(path), "%s/style.css", c->out);
		assert_true(exists(path));
		/* a requisite's JSON line names its page */
		assert_non_null(strstr(r.out, "\"source\":\"http://127.0.0.1:"));
		h_result_release(&r);
	}
}

static void test_pages_accept_type_by_magic(void **state)
{
	struct ctx *c = *state;
	struct h_result r;
	char path[4200];

	write_list(c, "/site/20/img/m.png?type=text/plain", "/site/20/img/fake.png",
		   "/site/20/style.css", "/site/20/img/w.gif", NULL);
	run(c, &r, c->list, "--accept-type", "image/png,image/gif", "--json", NULL);
	assert_int_equal(r.status, 0);
	/* a PNG sent as text/plain is a PNG; text sent as image/png is not */
	snprintf(path, sizeof(path), "%s/m_type=text_plain.png", c->out);
	assert_true(exists(path));
	assert_true(image_ok(c->out, "w.gif"));
	assert_int_equal(h_count_files(c->out, NULL), 2);
	assert_non_null(strstr(r.out, "type not accepted by --accept-type"));
	h_result_release(&r);
}

static void test_pages_dedupe_same_content(void **state)
{
	struct ctx *c = *state;
	struct h_result r;

	write_list(c, "/bytes/5000/a.bin", "/bytes/5000/b.bin", "/bytes/5001/c.bin", NULL);
	run(c, &r, c->list, "--dedupe", "-j", "1", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, NULL), 2);
	assert_non_null(strstr(r.out, "--dedupe"));
	h_result_release(&r);
}

/* No parser worker may outlive the run. */
static int count_parse_workers(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], *data = NULL;
		size_t len;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if (h_read_file(path, &data, &len) != 0)
			continue;
		for (size_t i = 0; i + 1 < len; i++)
			if (data[i] == '\0')
				data[i] = ' ';
		/* fetchall's workers: argv[0] "fetchall", then --parse-worker */
		if (!strncmp(data, "fetchall --parse-worker", 23))
			n++;
		free(data);
	}
	closedir(d);
	return n;
}

static void test_pages_parser_crash_and_hang_isolated(void **state)
{
	struct ctx *c = *state;
	struct h_result r;

	setenv("FETCHALL_TEST_HOOKS", "1", 1);
	write_list(
	    c,
	    "/html?b=%3C%21--fetchall-test%3Acrash--%3E%3Cimg%20src%3D%2Fsite%2F20%2Fimg%2Fc.png%"
	    "3E",
	    "/html?b=%3C%21--fetchall-test%3Ahang--%3E%3Cimg%20src%3D%2Fsite%2F20%2Fimg%2Fh.png%3E",
	    "/site/20/page/0.html", NULL);
	run(c, &r, c->list, "--images", "-P", "1", "-j", "1", "--parse-timeout", "1", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "crashed"));
	assert_non_null(strstr(r.err, "timed out"));
	/* the good page's images all came; the poisoned pages' did not */
	assert_int_equal(h_count_files(c->out, NULL), 4);
	assert_true(image_ok(c->out, "0-big.jpg"));
	assert_non_null(strstr(r.err, "2 restarts"));
	assert_int_equal(count_parse_workers(), 0);
	h_result_release(&r);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The bounded semaphore, not the thread count, bounds transfers: while
 * the one parser process is busy with two slow pages (3 s each, a test
 * hook), the fetch threads holding those pages hold no transfer slot, so
 * -j 8 transfers still run (the server counts 8 at once in a window inside
 * the parse), and never more than 8 over the whole run. */
static void test_pages_parsing_holds_no_slot(void **state)
{
	struct ctx *c = *state;
	char buf[4096];
	size_t len = 0;
	struct h_stats st;
	char dir[4200];
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "--images", "-P",
			      "1",        "-j",    "8",  "-q",   NULL};
	pid_t pid;
	int status = 0;

	for (int i = 0; i < 2; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s/html/p%d?b=%%3C%%21--fetchall-test%%3Aslow--%%3E"
					"%%3Cimg%%20src%%3D%%2Fsite%%2F20%%2Fimg%%2Fs%d.png%%3E\n",
					server.base, i, i);
	for (int i = 0; i < 16; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s/delay/4000/f%d.bin\n",
					server.base, i);
	assert_true(len < sizeof(buf));
	assert_int_equal(h_write_file(c->list, buf, len), 0);
	setenv("FETCHALL_TEST_HOOKS", "1", 1);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	snprintf(dir, sizeof(dir), "%s", c->dir);
	pid = h_spawn(argv, NULL, dir);
	assert_true(pid > 0);
	/* wait (bounded) until the files are being fetched, then watch a
	 * window well inside the first page's 3 s parse */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(h_server_stats(&server, &st), 0);
		if (st.inflight >= 6)
			break;
		nap_ms(10);
	}
	assert_int_equal(h_server_reset(&server, NULL), 0);
	nap_ms(800);
	assert_int_equal(h_server_stats(&server, &st), 0);
	if (st.max_inflight != 8)
		fail_msg("%lld transfers at once while the parser was busy, want 8",
			 st.max_inflight);
	assert_int_equal(h_wait(pid, RUN_TIMEOUT, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_true(st.max_inflight <= 8);
	/* (with --images the listed URLs are pages: read, not saved) */
	assert_int_equal(h_count_files(c->out, ".png"), 2);
}

static void test_pages_per_host_bound(void **state)
{
	struct ctx *c = *state;
	char buf[4096];
	size_t len = 0;
	struct h_stats st;
	struct h_result r;

	for (int i = 0; i < 12; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s/delay/200/p%d\n",
					server.base, i);
	assert_int_equal(h_write_file(c->list, buf, len), 0);
	run(c, &r, c->list, "-j", "8", "--per-host", "2", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 12);
	assert_int_equal(st.max_inflight, 2);
	h_result_release(&r);
}

/* "start_ms" of the JSON line whose URL ends with suffix. */
static double start_ms(const char *out, const char *suffix)
{
	char pat[128];
	const char *p, *line;

	snprintf(pat, sizeof(pat), "%s\",\"final_url\"", suffix);
	p = strstr(out, pat);
	assert_non_null(p);
	for (line = p; line > out && line[-1] != '\n'; line--)
		;
	p = strstr(line, "\"start_ms\":");
	assert_non_null(p);
	return strtod(p + 11, NULL);
}

static void test_pages_host_slows_down_after_503(void **state)
{
	struct ctx *c = *state;
	char buf[1024];
	struct h_result r;

	/* one 503 with Retry-After: 1 slows the whole host, not just that URL */
	snprintf(
	    buf, sizeof(buf),
	    "%s/delay/300/x\n%s/retry-after/1/a?key=slow-%ld\n%s/bytes/10/y1\n%s/bytes/10/y2\n",
	    server.base, server.base, (long)getpid(), server.base, server.base);
	assert_int_equal(h_write_file(c->list, buf, strlen(buf)), 0);
	run(c, &r, c->list, "-j", "2", "--json", NULL);
	assert_int_equal(r.status, 0);
	/* without the host-wide slowdown y1 would start when x ends, ~300 ms */
	if (start_ms(r.out, "/y1") < 900)
		fail_msg("y1 started %.0f ms in, before the host's Retry-After ran out",
			 start_ms(r.out, "/y1"));
	h_result_release(&r);
}

static void test_pages_wait_between_requests(void **state)
{
	struct ctx *c = *state;
	double t[4];
	struct h_stats st;
	struct h_result r;

	write_list(c, "/bytes/10/w0", "/bytes/10/w1", "/bytes/10/w2", "/bytes/10/w3", NULL);
	run(c, &r, c->list, "-j", "4", "--wait", "0.3", "--json", NULL);
	assert_int_equal(r.status, 0);
	t[0] = start_ms(r.out, "/w0");
	t[1] = start_ms(r.out, "/w1");
	t[2] = start_ms(r.out, "/w2");
	t[3] = start_ms(r.out, "/w3");
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++) {
			double d = t[i] > t[j] ? t[i] - t[j] : t[j] - t[i];

			if (d < 280)
				fail_msg("requests %d and %d only %.0f ms apart", i, j, d);
		}
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.max_inflight, 1);
	h_result_release(&r);
}

/* --auto-throttle: a host starts FRONTIER_THROTTLE_START_MS (1 s) apart,
 * then its gap follows its latency (400 ms here) and never drops below
 * it; without the option the same list runs all at once. */
static void test_pages_auto_throttle_follows_latency(void **state)
{
	struct ctx *c = *state;
	double t[4];
	struct h_stats st;
	struct h_result r;

	write_list(c, "/delay/400/t0", "/delay/400/t1", "/delay/400/t2", "/delay/400/t3", NULL);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, c->list, "-j", "8", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_true(st.max_inflight > 1);
	h_result_release(&r);
	h_rmrf(c->out);

	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, c->list, "-j", "8", "--auto-throttle", "--json", NULL);
	assert_int_equal(r.status, 0);
	for (int i = 0; i < 4; i++) {
		char suffix[16];

		snprintf(suffix, sizeof(suffix), "/t%d", i);
		t[i] = start_ms(r.out, suffix);
	}
	/* workers enter the host's gate in any order: sort the starts */
	for (int i = 1; i < 4; i++)
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	if (t[1] - t[0] < 990)
		fail_msg("the second request started %.0f ms after the first, not 1 s",
			 t[1] - t[0]);
	for (int i = 2; i < 4; i++) {
		if (t[i] - t[i - 1] < 395)
			fail_msg("requests %d and %d only %.0f ms apart, under the latency", i - 1,
				 i, t[i] - t[i - 1]);
	}
	/* and it speeds up toward the latency: 1000, then about 700, 550 */
	if (t[3] - t[2] >= t[1] - t[0])
		fail_msg("gaps did not shrink: %.0f then %.0f ms", t[1] - t[0], t[3] - t[2]);
	h_result_release(&r);
}

/* --shard K/N: N runs given the same job split it by host, each host
 * wholly in one run: lists (every URL fetched once over all runs, each
 * by its host's shard, nothing reported for the others) and crawls (a
 * seed's whole site, and links to a host of another shard left to it). */
static void test_pages_shards_split_hosts(void **state)
{
	struct ctx *c = *state;
	struct h_server s[4];
	unsigned owner[4];
	char buf[8192], out[2][sizeof(c->out)], name[64], path[4200], want[128];
	size_t len = 0;
	struct h_result r;
	struct h_stats st;
	int files[2] = {0, 0};

	s[0] = server;
	for (int i = 1; i < 4; i++) {
		assert_int_equal(h_server_start(&extra_servers[i - 1], NULL), 0);
		s[i] = extra_servers[i - 1];
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(url_shard(s[i].base, 2, &owner[i]), FA_OK);
		assert_int_equal(h_server_reset(&s[i], NULL), 0);
		for (int k = 0; k < 5; k++)
			len +=
			    (size_t)snprintf(buf + len, sizeof(buf) - len,
					     "%s/bytes/%d/s%d_%d.bin\n", s[i].base, 100 + i, i, k);
	}
	assert_int_equal(h_write_file(c->list, buf, len), 0);
	for (int k = 0; k < 2; k++) {
		char shard[16];

		snprintf(out[k], sizeof(out[k]), "%s/out%d", c->dir, k + 1);
		snprintf(shard, sizeof(shard), "%d/2", k + 1);
		memcpy(c->out, out[k], sizeof(c->out));
		run(c, &r, c->list, "--shard", shard, "--json", NULL);
		assert_int_equal(r.status, 0);
		files[k] = h_count_files(out[k], NULL);
		if (files[k] < 0)
			files[k] = 0;
		assert_int_equal(count_lines(r.out), files[k]); /* own URLs only */
		snprintf(want, sizeof(want), "shard %d/2: %d URLs left to the other shards", k + 1,
			 20 - files[k]);
		assert_non_null(strstr(r.err, want));
		h_result_release(&r);
	}
	assert_int_equal(files[0] + files[1], 20);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(h_server_stats(&s[i], &st), 0);
		assert_int_equal(st.requests, 5); /* each URL once, over both runs */
		for (int k = 0; k < 5; k++) {
			snprintf(name, sizeof(name), "s%d_%d.bin", i, k);
			snprintf(path, sizeof(path), "%s/%s", out[owner[i]], name);
			assert_true(h_check_bytes(path, 100 + (uint64_t)i, 100 + (uint64_t)i));
			snprintf(path, sizeof(path), "%s/%s", out[1 - owner[i]], name);
			assert_false(h_check_bytes(path, 100 + (uint64_t)i, 100 + (uint64_t)i));
		}
	}

	/* Crawls: each seed's site goes to one run; the pages' links to
	 * localhost:PORT (in scope with --domains; another host key, maybe
	 * another shard) are followed only by the shard that owns that host. */
	for (int i = 0; i < 2; i++) {
		unsigned local;
		char seed[128], lhost[128];

		snprintf(lhost, sizeof(lhost), "http://localhost:%d/", server.port);
		assert_int_equal(url_shard(lhost, 2, &local), FA_OK);
		snprintf(seed, sizeof(seed), "%s/site/20/page/0.html", server.base);
		assert_int_equal(h_server_reset(&server, NULL), 0);
		snprintf(c->out, sizeof(c->out), "%s/crawl%d", c->dir, i + 1);
		snprintf(name, sizeof(name), "%d/2", i + 1);
		run(c, &r, "-r", seed, "-d", "1", "--no-robots", "--domains", "localhost",
		    "--shard", name, "--json", NULL);
		assert_int_equal(r.status, 0);
		assert_int_equal(h_server_stats(&server, &st), 0);
		/* the seed's host: page 0, pages 1 and 2, private/0 */
		if ((unsigned)i == owner[0])
			assert_true(st.requests >= 4);
		/* localhost's pages: only the shard that owns localhost */
		if ((unsigned)i != local)
			assert_null(strstr(r.out, "\"url\":\"http://localhost:"));
		if ((unsigned)i != owner[0] && (unsigned)i != local)
			assert_int_equal(st.requests, 0);
		/* the run that parses the pages follows localhost's links if it
		 * owns localhost too, else counts them as left to the others */
		if ((unsigned)i == owner[0] && local == owner[0])
			assert_non_null(strstr(r.out, "\"url\":\"http://localhost:"));
		if ((unsigned)i == owner[0] && local != owner[0])
			assert_null(strstr(r.err, ": 0 URLs left to the other shards"));
		h_result_release(&r);
	}
}

/* Every relative href, src and srcset URL in the saved page at path
 * names a file that exists; returns how many there were.  (srcset's
 * descriptors, "2x", are words of their own here and skipped.) */
static int assert_local_links_resolve(const char *path)
{
	static const char *const keys[] = {"href=\"", "src=\"", "srcset=\""};
	char *data, *dir = strdup(path), *target;
	size_t len;
	int n = 0;

	assert_non_null(dir);
	assert_int_equal(h_read_file(path, &data, &len), 0);
	*strrchr(dir, '/') = '\0';
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (const char *p = strstr(data, keys[k]); p; p = strstr(p + 1, keys[k])) {
			const char *v = p + strlen(keys[k]);
			const char *end = strchr(v, '"');

			assert_non_null(end);
			while (v < end) {
				size_t ul = strcspn(v, " ,\"");
				struct stat st;

				if (ul > 0 && strncmp(v, "http", 4) && strncmp(v, "mailto:", 7) &&
				    strncmp(v, "javascript:", 11) && v[0] != '#' &&
				    !(v[0] >= '0' && v[0] <= '9' && v[ul - 1] == 'x')) {
					size_t tl = strlen(dir) + ul + 2;

					target = malloc(tl);
					assert_non_null(target);
					snprintf(target, tl, "%s/%.*s", dir,
						 (int)strcspn(v, "#\" ,"), v);
					if (stat(target, &st) != 0)
						fail_msg("%s: link to %s, which is not there", path,
							 target);
					free(target);
					n++;
				}
				v += ul;
				while (v < end && (*v == ' ' || *v == ','))
					v++;
			}
		}
	}
	free(data);
	free(dir);
	return n;
}

/* --convert-links (with -p): links to what was saved become relative
 * paths that resolve on disk, others absolute URLs; mailto: and the like
 * stay; pages stay whole documents. */
static void test_pages_convert_links(void **state)
{
	struct ctx *c = *state;
	char seed[128], dir[4200], path[8400], want[256], *data;
	size_t len;
	int local = 0;
	struct h_result r;

	snprintf(seed, sizeof(seed), "%s/site/20/page/0.html", server.base);
	run(c, &r, "-r", seed, "-d", "1", "-p", "--convert-links", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "converted links in 3 of 3 pages"));
	h_result_release(&r);
	snprintf(dir, sizeof(dir), "%s/127.0.0.1:%d/site/20/page", c->out, server.port);
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/%d.html", dir, k);
		local += assert_local_links_resolve(path);
	}
	assert_true(local >= 3 * 6); /* home/child, style.css, 4 images a page */

	snprintf(path, sizeof(path), "%s/1.html", dir);
	assert_int_equal(h_read_file(path, &data, &len), 0);
	assert_non_null(strstr(data, "href=\"0.html\""));
	assert_non_null(strstr(data, "href=\"../style.css\""));
	assert_non_null(strstr(data, "src=\"../img/1.png\""));
	assert_non_null(strstr(data, "srcset=\"../img/1-small.jpg 1x, ../img/1-big.jpg 2x\""));
	snprintf(want, sizeof(want), "href=\"%s/site/20/page/3.html\"", server.base); /* depth 2 */
	assert_non_null(strstr(data, want));
	assert_non_null(strstr(data, "href=\"mailto:nobody@example.invalid\""));
	assert_non_null(strstr(data, "<title>site 20 page 1</title>"));
	assert_non_null(strstr(data, "</html>"));
	free(data);
}

/* A crawl resumed with -c reads the pages it already has back from disk
 * and goes on below them, fetching only what is missing (wget -r -nc). */
static void test_pages_crawl_resumes_below_saved_pages(void **state)
{
	struct ctx *c = *state;
	char seed[128], dir[4200], path[8400], *got;
	struct h_result r;

	snprintf(seed, sizeof(seed), "%s/site/20/page/0.html", server.base);
	run(c, &r, "-r", seed, "-d", "2", "--no-robots", NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	snprintf(dir, sizeof(dir), "%s/127.0.0.1:%d/site/20/page", c->out, server.port);
	assert_int_equal(h_count_files(dir, ".html"), 7); /* pages 0..6 */
	/* as if interrupted: only pages 0 and 1 were saved */
	for (int k = 2; k < 7; k++) {
		snprintf(path, sizeof(path), "%s/%d.html", dir, k);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "-r", seed, "-d", "2", "--no-robots", "-c", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(dir, ".html"), 7);
	got = server_paths();
	/* 2..6 fetched again, 0 and 1 read from disk, not requested */
	assert_int_equal(count_lines(got), 5);
	assert_null(strstr(got, " /site/20/page/0.html\n"));
	assert_null(strstr(got, " /site/20/page/1.html\n"));
	free(got);
	assert_non_null(strstr(r.out, "\"skip_reason\":\"file exists\""));
	h_result_release(&r);
}

static void test_pages_not_html_and_too_big_not_parsed(void **state)
{
	struct ctx *c = *state;
	char seed[128];
	struct h_result r;

	/* a stylesheet is fetched as a page but is not HTML; a page over
	 * --max-page-size is saved but not parsed: no links followed */
	write_list(c, "/site/20/style.css", NULL);
	snprintf(seed, sizeof(seed), "%s/site/20/page/0.html", server.base);
	run(c, &r, "-r", seed, c->list, "--max-page-size", "100", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "1 not HTML, 1 over --max-page-size"));
	assert_int_equal(h_count_files(c->out, NULL), 2);
	h_result_release(&r);
}

/* wget's -A/-R in a crawl (fixtures/site/wget): a link the lists refuse
 * is never requested unless it looks like a page with links still to
 * follow, which is fetched, parsed and not kept; names match case and
 * all (--ignore-case relaxes that). */
static void test_pages_accept_reject_in_crawl(void **state)
{
	struct ctx *c = *state;
	char seed[256], dir[4400];
	struct h_result r;
	static const char *const seen[] = {
	    "/robots.txt",
	    "/static/wget/index.html",
	    "/static/wget/a.jpeg",
	    "/static/wget/page2.html",
	    "/static/wget/sub/",
	    "/static/wget/d.jpeg",
	    "/static/wget/sub/g.jpeg",
	};

	snprintf(seed, sizeof(seed), "%s/static/wget/index.html", server.base);
	snprintf(dir, sizeof(dir), "%s/127.0.0.1:%d/static/wget", c->out, server.port);
	run(c, &r, "-r", seed, "-d", "2", "-A", "jpeg", "--json", NULL);
	assert_int_equal(r.status, 0);
	/* b.png, c.JpeG, e.gif and the leaf page leaf.html never requested */
	assert_paths(seen, sizeof(seen) / sizeof(seen[0]));
	assert_int_equal(h_count_files(c->out, NULL), 3);
	assert_int_equal(h_count_files(dir, ".jpeg"), 3); /* a, d, sub/g */
	h_result_release(&r);

	/* --ignore-case: c.JpeG too */
	h_rmrf(c->out);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "-r", seed, "-d", "2", "-A", "jpeg", "--ignore-case", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, NULL), 4);
	h_result_release(&r);

	/* -R: everything but the refused; a pattern works too */
	h_rmrf(c->out);
	run(c, &r, "-r", seed, "-d", "3", "-R", "png,*.gif", NULL);
	assert_int_equal(r.status, 0);
	/* 4 pages (index, page2, leaf, sub/) + a, c, d, f, g */
	assert_int_equal(h_count_files(c->out, NULL), 9);
	assert_int_equal(h_count_files(dir, ".png"), 0);
	assert_int_equal(h_count_files(dir, ".gif"), 0);
	h_result_release(&r);
}

/* <meta name="robots"> in a crawl, as wget obeys it: nofollow and none
 * (any case) stop the page's links, not its images; noindex alone and
 * another robot's meta do not; --no-robots turns it off. */
static void test_pages_meta_robots(void **state)
{
	struct ctx *c = *state;
	char nofollow[256], none[256], follow[256];
	struct h_result r;
	static const char *const seen[] = {
	    "/robots.txt",
	    "/static/wget/nofollow.html",
	    "/static/wget/shown.png",
	    "/static/wget/none.html",
	    "/static/wget/follow.html",
	    "/static/wget/followed.html",
	};
	static const char *const ignored[] = {
	    "/static/wget/nofollow.html",
	    "/static/wget/shown.png",
	    "/static/wget/hidden1.html",
	};

	snprintf(nofollow, sizeof(nofollow), "%s/static/wget/nofollow.html", server.base);
	snprintf(none, sizeof(none), "%s/static/wget/none.html", server.base);
	snprintf(follow, sizeof(follow), "%s/static/wget/follow.html", server.base);
	run(c, &r, "-r", nofollow, none, follow, "-d", "2", "-p", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_paths(seen, sizeof(seen) / sizeof(seen[0]));
	h_result_release(&r);

	h_rmrf(c->out);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "-r", nofollow, "-d", "2", "-p", "--no-robots", NULL);
	assert_int_equal(r.status, 0);
	assert_paths(ignored, sizeof(ignored) / sizeof(ignored[0]));
	h_result_release(&r);
}

/* X-Robots-Tag: nofollow, for every robot or for ours by name; another
 * robot's is not ours. */
static void test_pages_x_robots_tag(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *tag;
		bool followed;
	} cases[] = {
	    {"noarchive, NOFOLLOW", false},
	    {"none", false},
	    {"fetchall: nofollow", false},
	    {"otherbot: nofollow", true},
	    {"noindex", true},
	    {"unavailable_after: 25 Jun 2010 15:00:00 PST", true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char seed[512], *enc, path[64];
		struct h_result r;
		struct h_stats st;
		CURL *h = curl_easy_init();

		assert_non_null(h);
		enc = curl_easy_escape(h, cases[i].tag, 0);
		snprintf(path, sizeof(path), "/bytes/16/xrt%zu", i);
		snprintf(seed, sizeof(seed),
			 "%s/html/p%zu?xrt=%s&b=%%3Ca%%20href%%3D%%22%s%%22%%3E", server.base, i,
			 enc, path);
		curl_free(enc);
		curl_easy_cleanup(h);
		assert_int_equal(h_server_reset(&server, NULL), 0);
		run(c, &r, "-r", seed, "-d", "1", NULL);
		assert_int_equal(r.status, 0);
		assert_int_equal(h_server_stats(&server, &st), 0);
		/* the page, /robots.txt, and the link if followed */
		if (st.requests != (cases[i].followed ? 3 : 2))
			fail_msg("X-Robots-Tag '%s': %lld requests, want %d", cases[i].tag,
				 st.requests, cases[i].followed ? 3 : 2);
		h_result_release(&r);
	}
}

/* A 204 (no body by definition) saves nothing, as wget makes no file;
 * the run is ok and the JSON line says why. */
static void test_pages_204_saves_nothing(void **state)
{
	struct ctx *c = *state;
	char url[256];
	struct h_result r;

	snprintf(url, sizeof(url), "%s/status/204/dummy", server.base);
	run(c, &r, url, "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"skipped\":true"));
	assert_non_null(strstr(r.out, "204 No Content"));
	assert_int_equal(h_count_files(c->out, NULL), 0);
	h_result_release(&r);
}

/* -E (wget's --adjust-extension) in a flat list: an HTML page whose
 * name lacks .html gets it; other files keep their names; without -E the
 * page keeps its own. */
static void test_pages_adjust_extension(void **state)
{
	struct ctx *c = *state;
	char page[256], file[256], path[4200];
	struct h_result r;

	snprintf(page, sizeof(page), "%s/dirs/blog", server.base);
	snprintf(file, sizeof(file), "%s/bytes/10/plain", server.base);
	run(c, &r, page, file, "-E", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"path\":\"blog.html\""));
	snprintf(path, sizeof(path), "%s/blog.html", c->out);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/plain", c->out);
	assert_true(exists(path));
	h_result_release(&r);
	h_rmrf(c->out);
	run(c, &r, page, NULL);
	assert_int_equal(r.status, 0);
	snprintf(path, sizeof(path), "%s/blog", c->out);
	assert_true(exists(path));
	h_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pages_crawl_exact_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_crawl_no_robots_and_max_pages, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pages_images_exact_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_requisites_without_crawl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_images_filters_in_processes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pages_accept_type_by_magic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_dedupe_same_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_parser_crash_and_hang_isolated, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pages_parsing_holds_no_slot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_per_host_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_host_slows_down_after_503, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_auto_throttle_follows_latency, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pages_shards_split_hosts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_convert_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_crawl_resumes_below_saved_pages, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pages_wait_between_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_accept_reject_in_crawl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_meta_robots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_x_robots_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_204_saves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_adjust_extension, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_not_html_and_too_big_not_parsed, setup,
					    teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
