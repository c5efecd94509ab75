/*
 * test_server: the test HTTP server, route by route, driven with libcurl
 * directly (no fetchall involved).
 *
 * Each test starts its own server through the harness (so counters and
 * per-key tables start empty) and stops it afterwards; the --root files are
 * made once per run in a mkdtemp directory.  Transfers are bounded by
 * CURLOPT_TIMEOUT; concurrent ones run on a curl multi handle in the test's
 * own thread, so every assertion is on the test thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "content.h"
#include "harness.h"

#define BODY_MAX (64u * 1024 * 1024)
#define MANY     300

static char *root_dir; /* the --root of every server, made in group setup */

static const char page_html[] = "<html><body><a href=\"/static/hello.txt\">x</a></body></html>\n";
static const char robots_txt[] = "User-agent: *\nDisallow: /private/\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one transfer ---- */

struct fetch {
	/* what to ask */
	const char *range;           /* CURLOPT_RANGE, or NULL */
	const char *accept_encoding; /* CURLOPT_ACCEPT_ENCODING, or NULL */
	int follow;                  /* follow redirects */
	int head;                    /* HEAD instead of GET */
	int path_as_is;              /* send "../" literally */
	long timeout_ms;             /* 0: 10 s */
	long low_speed_time;         /* seconds below 1 B/s that abort; 0 off */
	struct curl_slist *headers;  /* borrowed */
	/* what happened */
	CURLcode code;
	long status;
	long redirects;
	double seconds;
	char *body; /* NUL-terminated; freed by fetch_release() */
	size_t len;
	size_t cap;
	char head_text[16384]; /* response headers, all responses */
	size_t head_len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fetch *f = userdata;
	size_t n = size * nmemb;

	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap != 0 ? f->cap : 4096;
		char *grown;

		while (cap < f->len + n + 1)
			cap *= 2;
		if (cap > BODY_MAX)
			return 0;
		grown = realloc(f->body, cap);
		if (grown == NULL)
			return 0;
		f->body = grown;
		f->cap = cap;
	}
	memcpy(f->body + f->len, ptr, n);
	f->len += n;
	f->body[f->len] = '\0';
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fetch *f = userdata;
	size_t n = size * nmemb;
	size_t room = sizeof(f->head_text) - 1 - f->head_len;
	size_t take = n < room ? n : room;

	memcpy(f->head_text + f->head_len, ptr, take);
	f->head_len += take;
	f->head_text[f->head_len] = '\0';
	return n;
}

/* Sets the options of *f on easy handle h for url. */
static void fetch_setup(CURL *h, const char *url, struct fetch *f)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, f->timeout_ms > 0 ? f->timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, f);
	if (f->range != NULL)
		curl_easy_setopt(h, CURLOPT_RANGE, f->range);
	if (f->accept_encoding != NULL)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, f->accept_encoding);
	if (f->follow) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 50L);
	}
	if (f->head)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (f->path_as_is)
		curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	if (f->low_speed_time > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, f->low_speed_time);
	}
	if (f->headers != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->headers);
}

static void fetch_finish(CURL *h, struct fetch *f)
{
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &f->redirects);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &f->seconds);
}

/* GETs srv's path into *f (options already set in *f).  With h, the easy
 * handle is reused (keeping its connection); else a fresh one is used.
 * Returns the curl code. */
static CURLcode fetch_on(CURL *h, const struct h_server *srv, const char *path, struct fetch *f)
{
	char *url = h_url(srv, path);
	CURL *own = h != NULL ? NULL : curl_easy_init();
	CURL *use = h != NULL ? h : own;

	assert_non_null(url);
	assert_non_null(use);
	if (h != NULL)
		curl_easy_reset(h); /* keeps the live connection */
	fetch_setup(use, url, f);
	f->code = curl_easy_perform(use);
	fetch_finish(use, f);
	curl_easy_cleanup(own);
	free(url);
	return f->code;
}

static CURLcode fetch(const struct h_server *srv, const char *path, struct fetch *f)
{
	return fetch_on(NULL, srv, path, f);
}

static void fetch_release(struct fetch *f)
{
	free(f->body);
	f->body = NULL;
	f->len = 0;
	f->cap = 0;
}

/* The value of the last response header name, copied into buf; 0 if found,
 * -1 if not. */
static int header_value(const struct fetch *f, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name);
	const char *p = f->head_text;
	int found = -1;

	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			size_t vlen = len - nlen - 1;

			while (vlen > 0 && *v == ' ') {
				v++;
				vlen--;
			}
			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			found = 0;
		}
		if (eol == NULL)
			break;
		p = eol + 2;
	}
	return found;
}

static void assert_header(const struct fetch *f, const char *name, const char *want)
{
	char got[512];

	if (header_value(f, name, got, sizeof(got)) != 0)
		fail_msg("no %s header in:\n%s", name, f->head_text);
	assert_string_equal(got, want);
}

static void assert_no_header(const struct fetch *f, const char *name)
{
	char got[512];

	if (header_value(f, name, got, sizeof(got)) == 0)
		fail_msg("unexpected %s: %s", name, got);
}

/* True if body[0..len) is bytes first..first+len-1 of /bytes for seed. */
static int matches_bytes(const char *body, size_t len, uint64_t seed, uint64_t first)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((uint8_t)body[i] != tsrv_byte(seed, first + i))
			return 0;
	}
	return 1;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0};
	char path[1024];
	uint8_t *blob;

	(void)state;
	blob = malloc(100000);
	root_dir = h_tmpdir();
	if (root_dir == NULL || blob == NULL)
		return -1;
	tsrv_fill(5, 0, blob, 100000);
	snprintf(path, sizeof(path), "%s/sub", root_dir);
	if (mkdir(path, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/hello.txt", root_dir);
	if (h_write_file(path, "hello static\n", 13) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/page.html", root_dir);
	if (h_write_file(path, page_html, sizeof(page_html) - 1) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/img.png", root_dir);
	if (h_write_file(path, png, sizeof(png)) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sub/data.bin", root_dir);
	if (h_write_file(path, blob, 100000) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sub/index.html", root_dir);
	if (h_write_file(path, "index\n", 6) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/robots.txt", root_dir);
	if (h_write_file(path, robots_txt, sizeof(robots_txt) - 1) != 0)
		return -1;
	free(blob);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	h_rmrf(root_dir);
	free(root_dir);
	root_dir = NULL;
	return 0;
}

static int server_setup(void **state)
{
	struct h_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL || h_server_start(srv, root_dir) != 0) {
		free(srv);
		return -1;
	}
	*state = srv;
	return 0;
}

static int server_teardown(void **state)
{
	struct h_server *srv = *state;
	int rc = h_server_stop(srv);

	free(srv);
	return rc;
}

/* ---- /bytes, /norange ---- */

static void test_server_bytes_content(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	assert_int_equal(fetch(srv, "/bytes/100000/a17.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, 100000);
	assert_true(matches_bytes(f.body, f.len, 100000, 0));
	assert_header(&f, "Content-Type", "application/octet-stream");
	assert_header(&f, "Content-Length", "100000");
	assert_header(&f, "Accept-Ranges", "bytes");
	assert_header(&f, "Connection", "keep-alive");
	fetch_release(&f);

	/* zero bytes is a valid, empty body */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(srv, "/bytes/0", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, 0);
	assert_header(&f, "Content-Length", "0");
	fetch_release(&f);
}

static void test_server_bytes_seed(void **state)
{
	const struct h_server *srv = *state;
	struct fetch a = {0}, b = {0};

	assert_int_equal(fetch(srv, "/bytes/4096?seed=7", &a), CURLE_OK);
	assert_int_equal(fetch(srv, "/bytes/4096", &b), CURLE_OK);
	assert_int_equal(a.len, 4096);
	assert_int_equal(b.len, 4096);
	assert_true(matches_bytes(a.body, a.len, 7, 0));
	assert_true(matches_bytes(b.body, b.len, 4096, 0));
	assert_memory_not_equal(a.body, b.body, 4096);
	fetch_release(&a);
	fetch_release(&b);
}

static void test_server_bytes_offsets_differ(void **state)
{
	/* a body shifted by any small offset must not match: that is what
	 * lets tests catch a resume at the wrong offset */
	uint64_t shift;

	(void)state;
	for (shift = 1; shift <= 64; shift++) {
		size_t same = 0, i;

		for (i = 0; i < 256; i++)
			same += tsrv_byte(1000, i) == tsrv_byte(1000, i + shift);
		assert_true(same < 16);
	}
}

static void test_server_bytes_range(void **state)
{
	static const struct {
		const char *range;
		long status;
		uint64_t first;
		uint64_t len;
		const char *content_range;
	} cases[] = {
	    {"100-199", 206, 100, 100, "bytes 100-199/1000"},
	    {"0-0", 206, 0, 1, "bytes 0-0/1000"},
	    {"500-", 206, 500, 500, "bytes 500-999/1000"},
	    {"-10", 206, 990, 10, "bytes 990-999/1000"},
	    {"-5000", 206, 0, 1000, "bytes 0-999/1000"},
	    {"900-5000", 206, 900, 100, "bytes 900-999/1000"},
	    {"999-999", 206, 999, 1, "bytes 999-999/1000"},
	    {"1000-", 416, 0, 0, "bytes */1000"},
	    {"5000-6000", 416, 0, 0, "bytes */1000"},
	    {"-0", 416, 0, 0, "bytes */1000"},
	    {"20-10", 200, 0, 1000, NULL},   /* invalid: ignored */
	    {"0-1,5-6", 200, 0, 1000, NULL}, /* multiple: ignored */
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		f.range = cases[i].range;
		assert_int_equal(fetch(srv, "/bytes/1000/r.bin", &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("range %s: status %ld, want %ld", cases[i].range, f.status,
				 cases[i].status);
		if (cases[i].content_range != NULL)
			assert_header(&f, "Content-Range", cases[i].content_range);
		else
			assert_no_header(&f, "Content-Range");
		if (cases[i].status != 416) {
			assert_int_equal(f.len, cases[i].len);
			assert_true(matches_bytes(f.body, f.len, 1000, cases[i].first));
		}
		fetch_release(&f);
	}
}

static void test_server_bytes_head(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};
	CURL *h = curl_easy_init();

	assert_non_null(h);
	f.head = 1;
	assert_int_equal(fetch_on(h, srv, "/bytes/123456", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, 0);
	assert_header(&f, "Content-Length", "123456");
	fetch_release(&f);

	/* the connection survives a HEAD: no body bytes were left behind */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch_on(h, srv, "/bytes/10", &f), CURLE_OK);
	assert_int_equal(f.len, 10);
	assert_true(matches_bytes(f.body, f.len, 10, 0));
	fetch_release(&f);
	curl_easy_cleanup(h);
}

static void test_server_bytes_bad(void **state)
{
	static const char *const paths[] = {"/bytes/abc", "/bytes/", "/bytes/1073741825",
					    "/bytes/-1", "/bytes/10?seed=x"};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, paths[i], &f), CURLE_OK);
		if (f.status != 400)
			fail_msg("%s: status %ld", paths[i], f.status);
		fetch_release(&f);
	}
}

static void test_server_norange(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	f.range = "100-199";
	assert_int_equal(fetch(srv, "/norange/1000/n.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, 1000);
	assert_true(matches_bytes(f.body, f.len, 1000, 0));
	assert_no_header(&f, "Accept-Ranges");
	assert_no_header(&f, "Content-Range");
	fetch_release(&f);
}

/* ---- /delay, /status, /flaky, /retry-after ---- */

static void test_server_delay(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};
	double t0 = now_s(), took;

	assert_int_equal(fetch(srv, "/delay/300/d.txt", &f), CURLE_OK);
	took = now_s() - t0;
	assert_int_equal(f.status, 200);
	assert_string_equal(f.body, "delay 300\n");
	assert_header(&f, "Content-Type", "text/plain");
	assert_true(took >= 0.3);
	assert_true(took < 5.0);
	fetch_release(&f);
}

static void test_server_status(void **state)
{
	static const struct {
		const char *path;
		long status;
		const char *body;
	} cases[] = {
	    {"/status/200", 200, "status 200\n"},
	    {"/status/201/x", 201, "status 201\n"},
	    {"/status/204", 204, ""},
	    {"/status/404", 404, "status 404\n"},
	    {"/status/418", 418, "status 418\n"},
	    {"/status/429/a/b", 429, "status 429\n"},
	    {"/status/500", 500, "status 500\n"},
	    {"/status/503", 503, "status 503\n"},
	    {"/status/599", 599, "status 599\n"},
	    {"/status/99", 400, "bad request\n"},
	    {"/status/600", 400, "bad request\n"},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s: status %ld", cases[i].path, f.status);
		assert_string_equal(f.body != NULL ? f.body : "", cases[i].body);
		fetch_release(&f);
	}
}

/* The statuses of n GETs of path. */
static void statuses(const struct h_server *srv, const char *path, long *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, path, &f), CURLE_OK);
		out[i] = f.status;
		if (f.status == 200)
			assert_string_equal(f.body, "ok\n");
		fetch_release(&f);
	}
}

static void test_server_flaky(void **state)
{
	const struct h_server *srv = *state;
	long s[4];

	statuses(srv, "/flaky/503/2?key=k1", s, 4);
	assert_int_equal(s[0], 503);
	assert_int_equal(s[1], 503);
	assert_int_equal(s[2], 200);
	assert_int_equal(s[3], 200);

	/* another key counts on its own; the suffix is not part of a key */
	statuses(srv, "/flaky/500/1/x.bin?key=k2", s, 2);
	assert_int_equal(s[0], 500);
	assert_int_equal(s[1], 200);

	/* without a key, the path is the key */
	statuses(srv, "/flaky/429/1/a", s, 2);
	assert_int_equal(s[0], 429);
	assert_int_equal(s[1], 200);
	statuses(srv, "/flaky/429/1/b", s, 1);
	assert_int_equal(s[0], 429);

	/* zero failures: always fine */
	statuses(srv, "/flaky/503/0", s, 1);
	assert_int_equal(s[0], 200);
}

static void test_server_retry_after(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	assert_int_equal(fetch(srv, "/retry-after/2/r.bin?key=ra", &f), CURLE_OK);
	assert_int_equal(f.status, 503);
	assert_header(&f, "Retry-After", "2");
	fetch_release(&f);

	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(srv, "/retry-after/2/r.bin?key=ra", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_string_equal(f.body, "ok\n");
	assert_no_header(&f, "Retry-After");
	fetch_release(&f);

	/* same key, other route: its own count */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(srv, "/retry-after-date/2?key=ra", &f), CURLE_OK);
	assert_int_equal(f.status, 503);
	fetch_release(&f);
}

static void test_server_retry_after_date(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};
	char value[128];
	time_t when, now;

	now = time(NULL);
	assert_int_equal(fetch(srv, "/retry-after-date/30?key=rd", &f), CURLE_OK);
	assert_int_equal(f.status, 503);
	assert_int_equal(header_value(&f, "Retry-After", value, sizeof(value)), 0);
	assert_int_equal(strlen(value), 29); /* IMF-fixdate */
	assert_string_equal(value + 25, " GMT");
	when = curl_getdate(value, NULL);
	assert_true(when >= now + 28 && when <= now + 32);
	fetch_release(&f);

	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(srv, "/retry-after-date/30?key=rd", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	fetch_release(&f);
}

/* ---- redirects ---- */

static void test_server_redirect_chain(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	assert_int_equal(fetch(srv, "/redirect/3/x.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 302);
	assert_header(&f, "Location", "/redirect/2/x.bin");
	fetch_release(&f);

	memset(&f, 0, sizeof(f));
	f.follow = 1;
	assert_int_equal(fetch(srv, "/redirect/5", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.redirects, 5);
	assert_string_equal(f.body, "redirected\n");
	fetch_release(&f);
}

static void test_server_redirect_to(void **state)
{
	static const struct {
		const char *path;
		long status;
		const char *location;
	} cases[] = {
	    {"/redirect-to?url=%2Fbytes%2F10", 302, "/bytes/10"},
	    {"/redirect-to?url=/bytes/10&status=301", 301, "/bytes/10"},
	    {"/redirect-to?status=303&url=%2Fa%3Fb%3Dc", 303, "/a?b=c"},
	    {"/redirect-to?url=http%3A%2F%2Fexample.invalid%2Fx&status=307", 307,
	     "http://example.invalid/x"},
	    {"/redirect-to?url=/x&status=308", 308, "/x"},
	    {"/redirect-to?url=/x&status=200", 400, NULL},
	    {"/redirect-to", 400, NULL},
	    {"/redirect-to?url=%2Fx%0D%0AX-Evil:%201", 400, NULL},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s: status %ld", cases[i].path, f.status);
		if (cases[i].location != NULL)
			assert_header(&f, "Location", cases[i].location);
		else
			assert_no_header(&f, "Location");
		fetch_release(&f);
	}

	{
		/* and it is followable */
		struct fetch f = {0};

		f.follow = 1;
		assert_int_equal(fetch(srv, "/redirect-to?url=%2Fbytes%2F10&status=307", &f),
				 CURLE_OK);
		assert_int_equal(f.status, 200);
		assert_int_equal(f.len, 10);
		fetch_release(&f);
	}
}

/* ---- misbehaving bodies ---- */

/* Polls /stats (bounded) until nothing is in flight.  Returns 0 once it is. */
static int wait_idle(const struct h_server *srv)
{
	int i;

	for (i = 0; i < 100; i++) {
		struct h_stats st;
		struct timespec ts = {0, 20 * 1000000L};

		if (h_server_stats(srv, &st) == 0 && st.inflight == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void test_server_stall(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};
	double t0 = now_s(), took;

	f.low_speed_time = 1;
	f.timeout_ms = 10000;
	assert_int_equal(fetch(srv, "/stall/s.bin", &f), CURLE_OPERATION_TIMEDOUT);
	took = now_s() - t0;
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Length", "1000");
	assert_int_equal(f.len, 0);
	assert_true(took >= 0.9);
	assert_true(took < 8.0);
	fetch_release(&f);

	/* the server noticed the client leave and finished the request */
	assert_int_equal(wait_idle(srv), 0);

	/* a plain short timeout also ends it */
	memset(&f, 0, sizeof(f));
	f.timeout_ms = 500;
	assert_int_equal(fetch(srv, "/stall", &f), CURLE_OPERATION_TIMEDOUT);
	fetch_release(&f);
}

static void test_server_stall_after(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	f.low_speed_time = 1;
	assert_int_equal(fetch(srv, "/stall-after/3000/p.bin", &f), CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Length", "6000");
	assert_int_equal(f.len, 3000);
	assert_true(matches_bytes(f.body, f.len, 6000, 0));
	fetch_release(&f);
}

static void test_server_truncate(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	assert_int_equal(fetch(srv, "/truncate/t.bin", &f), CURLE_PARTIAL_FILE);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Length", "1000");
	assert_int_equal(f.len, 500);
	assert_true(matches_bytes(f.body, f.len, 1000, 0));
	fetch_release(&f);
}

static void test_server_drip(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};
	double t0 = now_s(), took;

	assert_int_equal(fetch(srv, "/drip/20/d.bin?ms=20", &f), CURLE_OK);
	took = now_s() - t0;
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, 20);
	assert_true(matches_bytes(f.body, f.len, 20, 0));
	assert_true(took >= 0.38);
	assert_true(took < 5.0);
	fetch_release(&f);
}

/* ---- encodings and echo ---- */

static void test_server_gzip(void **state)
{
	const struct h_server *srv = *state;
	char want[TSRV_GZIP_TEXT_LEN];
	struct fetch f = {0};

	tsrv_gzip_text(want);
	f.accept_encoding = "";
	assert_int_equal(fetch(srv, "/gzip/g.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Encoding", "gzip");
	assert_int_equal(f.len, TSRV_GZIP_TEXT_LEN);
	assert_memory_equal(f.body, want, TSRV_GZIP_TEXT_LEN);
	fetch_release(&f);

	/* undecoded: a gzip member of stored blocks */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(srv, "/gzip", &f), CURLE_OK);
	assert_true(f.len > 18);
	assert_int_equal((uint8_t)f.body[0], 0x1f);
	assert_int_equal((uint8_t)f.body[1], 0x8b);
	assert_int_equal((uint8_t)f.body[2], 8);
	assert_int_equal(f.len, 10 + 5 + TSRV_GZIP_TEXT_LEN + 8);
	fetch_release(&f);
}

static void test_server_headers_echo(void **state)
{
	const struct h_server *srv = *state;
	struct curl_slist *hl = NULL;
	struct fetch f = {0};

	hl = curl_slist_append(hl, "X-Test: hello world");
	hl = curl_slist_append(hl, "User-Agent: fetchall-test/1");
	assert_non_null(hl);
	f.headers = hl;
	assert_int_equal(fetch(srv, "/headers", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_non_null(strstr(f.body, "X-Test: hello world\r\n"));
	assert_non_null(strstr(f.body, "User-Agent: fetchall-test/1\r\n"));
	assert_non_null(strstr(f.body, "Host: 127.0.0.1:"));
	assert_null(strstr(f.body, "GET ")); /* header lines only */
	assert_null(strstr(f.body, "\r\n\r\n"));
	fetch_release(&f);
	curl_slist_free_all(hl);
}

/* ---- /static ---- */

static void test_server_static(void **state)
{
	static const struct {
		const char *path;
		long status;
		const char *type;
		size_t len;
	} cases[] = {
	    {"/static/hello.txt", 200, "text/plain; charset=utf-8", 13},
	    {"/static/page.html", 200, "text/html; charset=utf-8", sizeof(page_html) - 1},
	    {"/static/img.png", 200, "image/png", 12},
	    {"/static/sub/data.bin", 200, "application/octet-stream", 100000},
	    {"/static/sub/", 200, "text/html; charset=utf-8", 6},
	    {"/static/h%65llo.txt", 200, "text/plain; charset=utf-8", 13},
	    {"/robots.txt", 200, "text/plain; charset=utf-8", sizeof(robots_txt) - 1},
	    {"/static/missing.txt", 404, "text/plain", 10},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s: status %ld", cases[i].path, f.status);
		assert_header(&f, "Content-Type", cases[i].type);
		assert_int_equal(f.len, cases[i].len);
		fetch_release(&f);
	}
	{
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/static/sub/data.bin", &f), CURLE_OK);
		assert_true(matches_bytes(f.body, f.len, 5, 0));
		assert_header(&f, "Accept-Ranges", "bytes");
		fetch_release(&f);
	}
}

static void test_server_static_range(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	f.range = "50000-";
	assert_int_equal(fetch(srv, "/static/sub/data.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 206);
	assert_header(&f, "Content-Range", "bytes 50000-99999/100000");
	assert_int_equal(f.len, 50000);
	assert_true(matches_bytes(f.body, f.len, 5, 50000));
	fetch_release(&f);

	memset(&f, 0, sizeof(f));
	f.range = "100000-";
	assert_int_equal(fetch(srv, "/static/sub/data.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 416);
	assert_header(&f, "Content-Range", "bytes */100000");
	fetch_release(&f);
}

static void test_server_static_escape(void **state)
{
	static const char *const paths[] = {
	    "/static/../hello.txt",
	    "/static/sub/../../etc/passwd",
	    "/static/%2e%2e/%2e%2e/etc/passwd",
	    "/static/sub/..%2F..%2Fetc%2Fpasswd",
	    "/static/..",
	    "/static/a%00b",
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct fetch f = {0};

		f.path_as_is = 1;
		assert_int_equal(fetch(srv, paths[i], &f), CURLE_OK);
		if (f.status != 403)
			fail_msg("%s: status %ld", paths[i], f.status);
		fetch_release(&f);
	}
}

static void test_server_static_without_root(void **state)
{
	struct h_server bare;
	struct fetch f = {0};

	(void)state;
	assert_int_equal(h_server_start(&bare, NULL), 0);
	assert_int_equal(fetch(&bare, "/static/hello.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 404);
	fetch_release(&f);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(&bare, "/robots.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 404);
	fetch_release(&f);
	assert_int_equal(h_server_stop(&bare), 0);
}

/* ---- protocol ---- */

static void test_server_not_found(void **state)
{
	static const char *const paths[] = {"/", "/nope", "/bytesx/10", "/stats/other",
					    "/headersx"};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct fetch f = {0};
		char date[64];

		assert_int_equal(fetch(srv, paths[i], &f), CURLE_OK);
		if (f.status != 404)
			fail_msg("%s: status %ld", paths[i], f.status);
		assert_string_equal(f.body, "not found\n");
		assert_int_equal(header_value(&f, "Date", date, sizeof(date)), 0);
		assert_header(&f, "Content-Length", "10");
		fetch_release(&f);
	}
}

static void test_server_connection_close(void **state)
{
	const struct h_server *srv = *state;
	struct curl_slist *hl = curl_slist_append(NULL, "Connection: close");
	struct fetch f = {0};
	struct h_stats st;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	assert_non_null(hl);
	assert_int_equal(h_server_reset(srv, NULL), 0);
	f.headers = hl;
	assert_int_equal(fetch_on(h, srv, "/bytes/10", &f), CURLE_OK);
	assert_header(&f, "Connection", "close");
	fetch_release(&f);

	/* the next request, without the header, is kept alive */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch_on(h, srv, "/bytes/10", &f), CURLE_OK);
	assert_header(&f, "Connection", "keep-alive");
	fetch_release(&f);

	/* the server closed after the first, so the second used a new one */
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.connections, 2);
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
}

static void test_server_http10(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};
	char *url = h_url(srv, "/bytes/10");
	CURL *h = curl_easy_init();

	assert_non_null(h);
	assert_non_null(url);
	fetch_setup(h, url, &f);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	assert_header(&f, "Connection", "close");
	assert_int_equal(f.len, 10);
	fetch_release(&f);
	curl_easy_cleanup(h);
	free(url);
}

static void test_server_header_cap(void **state)
{
	const struct h_server *srv = *state;
	size_t big = 70 * 1024;
	char *line = malloc(big + 16);
	struct curl_slist *hl;
	struct fetch f = {0};

	assert_non_null(line);
	memcpy(line, "X-Big: ", 7);
	memset(line + 7, 'a', big);
	line[7 + big] = '\0';
	hl = curl_slist_append(NULL, line);
	assert_non_null(hl);
	f.headers = hl;
	assert_int_equal(fetch(srv, "/bytes/10", &f), CURLE_OK);
	assert_int_equal(f.status, 431);
	assert_header(&f, "Connection", "close");
	fetch_release(&f);
	curl_slist_free_all(hl);

	/* just under the cap is fine */
	memset(line + 7, 'b', 60 * 1024);
	line[7 + 60 * 1024] = '\0';
	hl = curl_slist_append(NULL, line);
	assert_non_null(hl);
	memset(&f, 0, sizeof(f));
	f.headers = hl;
	assert_int_equal(fetch(srv, "/bytes/10", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	fetch_release(&f);
	curl_slist_free_all(hl);
	free(line);
}

/* ---- /stats ---- */

static void test_server_stats_keepalive(void **state)
{
	const struct h_server *srv = *state;
	struct h_stats st;
	CURL *h = curl_easy_init();
	int i;

	assert_non_null(h);
	assert_int_equal(h_server_reset(srv, &st), 0);
	assert_int_equal(st.connections, 0);
	assert_int_equal(st.requests, 0);

	/* ten requests over one kept-alive connection */
	for (i = 0; i < 10; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch_on(h, srv, "/bytes/100", &f), CURLE_OK);
		fetch_release(&f);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.requests, 10);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.max_inflight, 1);

	/* fifty on fresh handles: fifty more connections, and one after the
	 * other never overlaps, even across connections */
	for (i = 0; i < 50; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/bytes/100", &f), CURLE_OK);
		fetch_release(&f);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.connections, 51);
	assert_int_equal(st.requests, 60);
	assert_int_equal(st.max_inflight, 1);
	assert_int_equal(st.inflight, 0);

	/* after a reset the kept-alive connection counts again */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	{
		struct fetch f = {0};

		assert_int_equal(fetch_on(h, srv, "/bytes/100", &f), CURLE_OK);
		fetch_release(&f);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.requests, 1);
	curl_easy_cleanup(h);
}

/* Concurrent transfers on one multi handle, driven by the test thread. */
struct batch {
	CURLM *multi;
	CURL **handles;
	struct fetch *fs;
	int n;
	int done;
};

/* Adds n GETs of prefix + index (0..n-1) to a new multi handle. */
static void batch_start(struct batch *b, const struct h_server *srv, const char *prefix, int n)
{
	int i;

	b->multi = curl_multi_init();
	b->handles = calloc((size_t)n, sizeof(*b->handles));
	b->fs = calloc((size_t)n, sizeof(*b->fs));
	b->n = n;
	b->done = 0;
	assert_non_null(b->multi);
	assert_non_null(b->handles);
	assert_non_null(b->fs);
	for (i = 0; i < n; i++) {
		char path[128];
		char *url;

		snprintf(path, sizeof(path), "%s%d", prefix, i);
		url = h_url(srv, path);
		assert_non_null(url);
		b->handles[i] = curl_easy_init();
		assert_non_null(b->handles[i]);
		b->fs[i].timeout_ms = 30000;
		fetch_setup(b->handles[i], url, &b->fs[i]);
		free(url); /* libcurl copies CURLOPT_URL */
		assert_int_equal(curl_multi_add_handle(b->multi, b->handles[i]), CURLM_OK);
	}
}

/* One round of transfer work: perform, collect finished ones (each must
 * have succeeded), wait up to 100 ms for activity.  Returns the number
 * still running. */
static int batch_step(struct batch *b)
{
	int running = 0;

	assert_int_equal(curl_multi_perform(b->multi, &running), CURLM_OK);
	for (;;) {
		int left;
		CURLMsg *msg = curl_multi_info_read(b->multi, &left);

		if (msg == NULL)
			break;
		if (msg->msg == CURLMSG_DONE) {
			assert_int_equal(msg->data.result, CURLE_OK);
			b->done++;
		}
	}
	if (running > 0)
		assert_int_equal(curl_multi_poll(b->multi, NULL, 0, 100, NULL), CURLM_OK);
	return running;
}

/* Runs every transfer to its end (bounded by their 30 s timeouts) and
 * asserts each answered 200. */
static void batch_finish(struct batch *b)
{
	int i;

	while (batch_step(b) > 0)
		;
	assert_int_equal(b->done, b->n);
	for (i = 0; i < b->n; i++) {
		long status = 0;

		curl_easy_getinfo(b->handles[i], CURLINFO_RESPONSE_CODE, &status);
		assert_int_equal(status, 200);
	}
}

/* Drives the transfers until each has received its response headers,
 * which the server sends only after it has counted the request.  Fails
 * after timeout_s. */
static void batch_until_headers(struct batch *b, int timeout_s)
{
	double deadline = now_s() + timeout_s;

	for (;;) {
		int i, have = 0;

		for (i = 0; i < b->n; i++)
			have += b->fs[i].head_len > 0;
		if (have == b->n)
			return;
		if (now_s() > deadline)
			fail_msg("only %d of %d responses began", have, b->n);
		batch_step(b);
	}
}

/* Ends the transfers (closing their connections) and frees everything. */
static void batch_free(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++) {
		curl_multi_remove_handle(b->multi, b->handles[i]);
		curl_easy_cleanup(b->handles[i]);
		fetch_release(&b->fs[i]);
	}
	curl_multi_cleanup(b->multi);
	free(b->handles);
	free(b->fs);
	memset(b, 0, sizeof(*b));
}

static void run_concurrent(const struct h_server *srv, const char *prefix, int n)
{
	struct batch b;

	batch_start(&b, srv, prefix, n);
	batch_finish(&b);
	batch_free(&b);
}

static void test_server_stats_max_inflight(void **state)
{
	const struct h_server *srv = *state;
	struct h_stats st;

	assert_int_equal(h_server_reset(srv, NULL), 0);
	run_concurrent(srv, "/delay/800/", 6);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 6);
	assert_int_equal(st.connections, 6);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.max_inflight, 6);

	/* one at a time stays at one */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	run_concurrent(srv, "/delay/10/", 1);
	run_concurrent(srv, "/delay/10/", 1);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.max_inflight, 1);
	assert_int_equal(st.requests, 2);
}

static void test_server_stats_reset(void **state)
{
	const struct h_server *srv = *state;
	struct h_stats st;
	int i;

	for (i = 0; i < 3; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/status/404", &f), CURLE_OK);
		fetch_release(&f);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.connections, 3);
	assert_int_equal(st.max_inflight, 1);

	assert_int_equal(h_server_reset(srv, &st), 0);
	assert_int_equal(st.requests, 0);
	assert_int_equal(st.connections, 0);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.max_inflight, 0);

	/* /stats itself is never counted */
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 0);
	assert_int_equal(st.connections, 0);
}

/* ---- load and lifecycle ---- */

static void test_server_many_connections(void **state)
{
	const struct h_server *srv = *state;
	struct h_stats st;
	struct batch b;

	/* stalled responses stay in flight until their client leaves, so the
	 * peak is exact however slowly the connections are set up */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	batch_start(&b, srv, "/stall/", MANY);
	batch_until_headers(&b, 60);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, MANY);
	assert_int_equal(st.connections, MANY);
	assert_int_equal(st.inflight, MANY);
	assert_int_equal(st.max_inflight, MANY);
	batch_free(&b);

	/* every handler noticed its client leave */
	assert_int_equal(wait_idle(srv), 0);

	/* and hundreds of short concurrent requests all succeed */
	run_concurrent(srv, "/bytes/1000/", MANY);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 2 * MANY);
	assert_int_equal(st.max_inflight, MANY);
}

static void test_server_keepalive_throughput(void **state)
{
	const struct h_server *srv = *state;
	const int n = 2000;
	struct h_stats st;
	CURL *h = curl_easy_init();
	double t0, took;
	int i;

	assert_non_null(h);
	assert_int_equal(h_server_reset(srv, NULL), 0);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch_on(h, srv, "/bytes/100", &f), CURLE_OK);
		assert_int_equal(f.len, 100);
		fetch_release(&f);
	}
	took = now_s() - t0;
	print_message("%d keep-alive requests in %.2f s (%.0f/s)\n", n, took, n / took);
	assert_true(took < 30.0);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.requests, n);
	curl_easy_cleanup(h);
}

static void test_server_sigterm_while_busy(void **state)
{
	struct h_server *srv = *state;
	struct batch b;
	double t0;
	int status = -1;

	batch_start(&b, srv, "/stall/", 3);
	batch_until_headers(&b, 10);

	t0 = now_s();
	assert_int_equal(kill(srv->pid, SIGTERM), 0);
	assert_int_equal(h_wait(srv->pid, 5, &status), 0);
	srv->pid = 0; /* reaped: teardown has nothing to stop */
	assert_int_equal(status, 0);
	assert_true(now_s() - t0 < 3.0);
	batch_free(&b);
}

/* Runs the test server binary itself through h_run(), which runs
 * $FETCHALL: the variable is pointed at $TESTSERVER for the call. */
static void run_server_binary(const char *const argv[], struct h_result *r)
{
	const char *server = getenv("TESTSERVER");
	const char *fetchall = getenv("FETCHALL");
	char *saved = fetchall != NULL ? strdup(fetchall) : NULL;
	int rc;

	assert_non_null(server);
	assert_int_equal(setenv("FETCHALL", server, 1), 0);
	rc = h_run(argv, NULL, 10, r);
	if (saved != NULL)
		setenv("FETCHALL", saved, 1);
	else
		unsetenv("FETCHALL");
	free(saved);
	assert_int_equal(rc, 0);
}

static void test_server_max_seconds(void **state)
{
	const char *const argv[] = {"testserver", "--max-seconds", "1", "--quiet", NULL};
	const char *const bad[] = {"testserver", "--bogus", NULL};
	struct h_result r;
	double t0 = now_s();
	int port = 0;

	(void)state;
	run_server_binary(argv, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_int_equal(sscanf(r.out, "port %d\n", &port), 1);
	assert_true(port > 0 && port < 65536);
	assert_true(now_s() - t0 >= 0.9);
	assert_true(now_s() - t0 < 5.0);
	h_result_release(&r);

	/* a bad argument is refused, and nothing reaches stdout */
	run_server_binary(bad, &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "usage"));
	h_result_release(&r);
}

#define SERVER_TEST(fn) cmocka_unit_test_setup_teardown(fn, server_setup, server_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SERVER_TEST(test_server_bytes_content),
	    SERVER_TEST(test_server_bytes_seed),
	    cmocka_unit_test(test_server_bytes_offsets_differ),
	    SERVER_TEST(test_server_bytes_range),
	    SERVER_TEST(test_server_bytes_head),
	    SERVER_TEST(test_server_bytes_bad),
	    SERVER_TEST(test_server_norange),
	    SERVER_TEST(test_server_delay),
	    SERVER_TEST(test_server_status),
	    SERVER_TEST(test_server_flaky),
	    SERVER_TEST(test_server_retry_after),
	    SERVER_TEST(test_server_retry_after_date),
	    SERVER_TEST(test_server_redirect_chain),
	    SERVER_TEST(test_server_redirect_to),
	    SERVER_TEST(test_server_stall),
	    SERVER_TEST(test_server_stall_after),
	    SERVER_TEST(test_server_truncate),
	    SERVER_TEST(test_server_drip),
	    SERVER_TEST(test_server_gzip),
	    SERVER_TEST(test_server_headers_echo),
	    SERVER_TEST(test_server_static),
	    SERVER_TEST(test_server_static_range),
	    SERVER_TEST(test_server_static_escape),
	    cmocka_unit_test(test_server_static_without_root),
	    SERVER_TEST(test_server_not_found),
	    SERVER_TEST(test_server_connection_close),
	    SERVER_TEST(test_server_http10),
	    SERVER_TEST(test_server_header_cap),
	    SERVER_TEST(test_server_stats_keepalive),
	    SERVER_TEST(test_server_stats_max_inflight),
	    SERVER_TEST(test_server_stats_reset),
	    SERVER_TEST(test_server_many_connections),
	    SERVER_TEST(test_server_keepalive_throughput),
	    SERVER_TEST(test_server_sigterm_while_busy),
	    cmocka_unit_test(test_server_max_seconds),
	};
	int failed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return failed;
}
