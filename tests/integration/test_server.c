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

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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
	const char *userpwd;         /* CURLOPT_USERPWD, or NULL */
	long httpauth;               /* CURLOPT_HTTPAUTH; 0: libcurl's default */
	const char *proxy;           /* CURLOPT_PROXY, or NULL */
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
	if (f->userpwd != NULL)
		curl_easy_setopt(h, CURLOPT_USERPWD, f->userpwd);
	if (f->httpauth != 0)
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, f->httpauth);
	curl_easy_setopt(h, CURLOPT_PROXY, f->proxy != NULL ? f->proxy : "");
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

static void test_server_drip_range(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	f.range = "5-";
	assert_int_equal(fetch(srv, "/drip/20/d.bin?ms=5", &f), CURLE_OK);
	assert_int_equal(f.status, 206);
	assert_header(&f, "Content-Range", "bytes 5-19/20");
	assert_header(&f, "Content-Length", "15");
	assert_int_equal(f.len, 15);
	assert_true(matches_bytes(f.body, f.len, 20, 5));
	fetch_release(&f);

	memset(&f, 0, sizeof(f));
	f.range = "20-";
	assert_int_equal(fetch(srv, "/drip/20/d.bin?ms=5", &f), CURLE_OK);
	assert_int_equal(f.status, 416);
	fetch_release(&f);
}

/* ---- raw connections (what libcurl would hide or refuse) ---- */

/* A blocking connection to srv whose reads time out after 10 s. */
static int raw_connect(const struct h_server *srv)
{
	struct sockaddr_in sa;
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)srv->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void raw_send(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		off += (size_t)n;
	}
}

/* Reads until the peer closes, want bytes have come, or the buffer is
 * full.  Returns the bytes read; *err is 0 after a clean close or when
 * want was reached, else the errno of the failed read. */
static size_t raw_read(int fd, char *buf, size_t cap, size_t want, int *err)
{
	size_t len = 0;

	*err = 0;
	while (len < cap && len < want) {
		ssize_t n = recv(fd, buf + len, cap - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return len;
}

/* ---- faults (issue 5) ---- */

static void test_server_reset(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	/* a reset, not a clean close: libcurl says RECV_ERROR, not
	 * PARTIAL_FILE, after the first half arrived intact */
	assert_int_equal(fetch(srv, "/reset/50000/r.bin", &f), CURLE_RECV_ERROR);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Length", "100000");
	assert_header(&f, "Connection", "close");
	assert_int_equal(f.len, 50000);
	assert_true(matches_bytes(f.body, f.len, 100000, 0));
	fetch_release(&f);
	assert_int_equal(wait_idle(srv), 0);
}

/* Counts /endless bytes and checks each against /bytes for seed 0. */
struct endless {
	uint64_t len;
	int mismatch;
};

static size_t on_endless(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct endless *e = userdata;
	size_t n = size * nmemb;
	uint8_t want[16384];
	size_t off = 0;

	while (off < n && !e->mismatch) {
		size_t k = n - off < sizeof(want) ? n - off : sizeof(want);

		tsrv_fill(0, e->len + off, want, k);
		e->mismatch = memcmp(ptr + off, want, k) != 0;
		off += k;
	}
	e->len += n;
	return n;
}

static void test_server_endless(void **state)
{
	const struct h_server *srv = *state;
	char *url = h_url(srv, "/endless/e.bin");
	struct endless e = {0};
	struct fetch f = {0};
	CURL *h = curl_easy_init();

	assert_non_null(h);
	assert_non_null(url);
	fetch_setup(h, url, &f);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_endless);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &e);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 1L);
	/* 128 MiB, then nothing more and no end: only the stall ends it */
	assert_int_equal(curl_easy_perform(h), CURLE_OPERATION_TIMEDOUT);
	fetch_finish(h, &f);
	assert_int_equal(f.status, 200);
	assert_no_header(&f, "Content-Length");
	assert_no_header(&f, "Transfer-Encoding");
	assert_header(&f, "Connection", "close");
	assert_int_equal(e.len, UINT64_C(128) << 20);
	assert_false(e.mismatch);
	curl_easy_cleanup(h);
	free(url);
	assert_int_equal(wait_idle(srv), 0);
}

static void test_server_gzip_bomb(void **state)
{
	const struct h_server *srv = *state;
	static const uint64_t sizes[] = {0, 1, 2, 258, 259, 260, 516, 517, 1000, 1000000};
	char path[64], want_len[32];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct fetch f = {0};
		size_t k;

		snprintf(path, sizeof(path), "/gzip-bomb/%llu/b.bin", (unsigned long long)sizes[i]);
		snprintf(want_len, sizeof(want_len), "%llu",
			 (unsigned long long)tsrv_bomb_gzip_len(sizes[i]));
		/* decoded by libcurl (zlib checks the CRC and the size) */
		f.accept_encoding = "";
		assert_int_equal(fetch(srv, path, &f), CURLE_OK);
		assert_int_equal(f.status, 200);
		assert_header(&f, "Content-Encoding", "gzip");
		assert_header(&f, "Content-Length", want_len);
		assert_int_equal(f.len, sizes[i]);
		for (k = 0; k < f.len && f.body[k] == 0; k++)
			;
		assert_int_equal(k, sizes[i]);
		fetch_release(&f);
	}

	/* on the wire: about 1/160 of the decoded size */
	{
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/gzip-bomb/67108864", &f), CURLE_OK);
		assert_int_equal(f.len, tsrv_bomb_gzip_len(64 * 1024 * 1024));
		assert_true(f.len < 64 * 1024 * 1024 / 150);
		assert_int_equal((uint8_t)f.body[0], 0x1f);
		assert_int_equal((uint8_t)f.body[1], 0x8b);
		fetch_release(&f);
	}

	{
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/gzip-bomb/1073741825", &f), CURLE_OK);
		assert_int_equal(f.status, 400);
		fetch_release(&f);
	}
}

static void test_server_loop(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	assert_int_equal(fetch(srv, "/loop/l.bin?a=1&b=2", &f), CURLE_OK);
	assert_int_equal(f.status, 302);
	assert_header(&f, "Location", "/loop/l.bin?a=1&b=2");
	fetch_release(&f);

	memset(&f, 0, sizeof(f));
	f.follow = 1; /* at most 50 */
	assert_int_equal(fetch(srv, "/loop", &f), CURLE_TOO_MANY_REDIRECTS);
	assert_int_equal(f.redirects, 50);
	fetch_release(&f);
}

static void test_server_big_header(void **state)
{
	const struct h_server *srv = *state;
	const size_t cap = 2 * 1024 * 1024;
	char *buf = malloc(cap + 1), *p;
	struct fetch f = {0};
	size_t len;
	int fd, err;

	/* small: three lines sharing 100 bytes, as libcurl sees them */
	assert_int_equal(fetch(srv, "/big-header/100/h.txt?lines=3", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_header(&f, "X-Fill-1", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_header(&f, "X-Fill-2", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_header(&f, "X-Fill-3", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_header(&f, "Connection", "close");
	assert_string_equal(f.body, "big header\n");
	fetch_release(&f);

	/* 1 MiB in one line, read raw: libcurl refuses it */
	assert_non_null(buf);
	fd = raw_connect(srv);
	raw_send(fd, "GET /big-header/1048576/h.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	len = raw_read(fd, buf, cap, cap, &err);
	close(fd);
	assert_int_equal(err, 0);
	buf[len] = '\0';
	assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	p = strstr(buf, "\r\nX-Fill-1: ");
	assert_non_null(p);
	p += 12;
	assert_int_equal(strspn(p, "x"), 1048576);
	assert_string_equal(p + 1048576, "\r\n\r\nbig header\n");

	/* 1 MiB over 1024 lines of 1 KiB */
	fd = raw_connect(srv);
	raw_send(fd, "GET /big-header/1048576/h.txt?lines=1024 HTTP/1.1\r\nHost: x\r\n\r\n");
	len = raw_read(fd, buf, cap, cap, &err);
	close(fd);
	assert_int_equal(err, 0);
	buf[len] = '\0';
	p = strstr(buf, "\r\nX-Fill-1024: ");
	assert_non_null(p);
	assert_int_equal(strspn(p + 15, "x"), 1024);
	assert_non_null(strstr(buf, "\r\n\r\nbig header\n"));
	assert_null(strstr(buf, "X-Fill-1025"));
	free(buf);
}

static void test_server_drop(void **state)
{
	const struct h_server *srv = *state;
	static const char req[] = "GET /drop/100/a.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096], *body;
	struct h_stats st;
	size_t len;
	int fd, err;
	CURL *h = curl_easy_init();

	/* raw: one answer, kept alive; the next request gets nothing */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	fd = raw_connect(srv);
	raw_send(fd, req);
	len = 0;
	body = NULL;
	while (body == NULL || (size_t)(buf + len - body) < 100) {
		size_t got = raw_read(fd, buf + len, sizeof(buf) - 1 - len, 1, &err);

		assert_int_equal(err, 0);
		assert_true(got > 0);
		len += got;
		buf[len] = '\0';
		body = strstr(buf, "\r\n\r\n");
		if (body)
			body += 4;
	}
	assert_non_null(strstr(buf, "Connection: keep-alive\r\n"));
	assert_non_null(strstr(buf, "Content-Length: 100\r\n"));
	assert_int_equal(buf + len - body, 100);
	assert_true(matches_bytes(body, 100, 100, 0));
	raw_send(fd, req);
	len = raw_read(fd, buf, sizeof(buf), sizeof(buf), &err);
	assert_int_equal(len, 0);
	assert_int_equal(err, 0); /* a clean close */
	close(fd);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 1);

	/* libcurl retries such a request on a fresh connection by itself */
	assert_non_null(h);
	assert_int_equal(h_server_reset(srv, NULL), 0);
	for (int i = 0; i < 3; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch_on(h, srv, "/drop/100/b.bin?seed=7", &f), CURLE_OK);
		assert_int_equal(f.len, 100);
		assert_true(matches_bytes(f.body, f.len, 7, 0));
		fetch_release(&f);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.connections, 3);
	curl_easy_cleanup(h);
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

/* ---- servers that lie (integrity tests) ---- */

static void test_server_integrity_bad(void **state)
{
	static const char *const paths[] = {
	    "/gzip-range/16777217",
	    "/gzip-range/10?cut=0",
	    "/gzip-range/10?cut=33",
	    "/lie206/1000",
	    "/lie206/1000?mode=",
	    "/lie206/1000?mode=lie",
	    "/lie206/1000?mode=okay",
	    "/lie206/1000?mode=ok%00",
	    "/lie206/1000?mode=ok&cut=0",
	    "/lie206/1000?mode=ok&cut=1000",
	    "/lie206/1000?mode=ok&cut=x",
	    "/lie206/0?mode=ok&cut=1",
	    "/lie206/1073741825?mode=ok",
	    "/unsolicited206/1000?from=1000",
	    "/unsolicited206/0",
	    "/unsolicited206/x",
	    "/modified/100",
	    "/modified/100?v=",
	    "/modified/100?v=100001",
	};
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

static void test_server_gzip_trunc(void **state)
{
	const struct h_server *srv = *state;
	struct fetch whole = {0}, f = {0};
	struct h_stats st;
	char want_len[32], text[TSRV_GZIP_TEXT_LEN];
	CURLcode code;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	assert_int_equal(fetch(srv, "/gzip", &whole), CURLE_OK);
	assert_int_equal(whole.len, 10 + 5 + TSRV_GZIP_TEXT_LEN + 8);

	/* undecoded: exactly the first half of /gzip's member, framed */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	assert_int_equal(fetch_on(h, srv, "/gzip-trunc/t.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Encoding", "gzip");
	snprintf(want_len, sizeof(want_len), "%zu", whole.len / 2);
	assert_header(&f, "Content-Length", want_len);
	assert_header(&f, "Connection", "keep-alive");
	assert_int_equal(f.len, whole.len / 2);
	assert_memory_equal(f.body, whole.body, f.len);
	/* it ends inside the stored data: not with /gzip's CRC and size */
	assert_true(f.len > 10 + 5 && f.len < 10 + 5 + TSRV_GZIP_TEXT_LEN);
	assert_memory_not_equal(f.body + f.len - 8, whole.body + whole.len - 8, 8);
	fetch_release(&f);

	/* the connection was kept: a second request reuses it.  Decoded,
	 * the text is never whole; libcurl 7.88 even reports no error for
	 * the unfinished stream, so a client must check for itself. */
	memset(&f, 0, sizeof(f));
	f.accept_encoding = "";
	code = fetch_on(h, srv, "/gzip-trunc/t.txt", &f);
	assert_true(code == CURLE_OK || code == CURLE_BAD_CONTENT_ENCODING);
	tsrv_gzip_text(text);
	assert_true(f.len < TSRV_GZIP_TEXT_LEN);
	assert_memory_equal(f.body, text, f.len);
	fetch_release(&f);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.connections, 1);
	fetch_release(&whole);
	curl_easy_cleanup(h);
}

static void test_server_gzip_range(void **state)
{
	static const uint64_t sizes[] = {0, 1, 65534, 65535, 65536, 200000};
	const struct h_server *srv = *state;
	char path[96], want[64];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = sizes[i], e = tsrv_stored_gzip_len(n);
		struct fetch f = {0};

		/* decoded by libcurl (zlib checks the CRC and the size): the
		 * resource of /bytes/N */
		snprintf(path, sizeof(path), "/gzip-range/%llu/g.bin", (unsigned long long)n);
		f.accept_encoding = "";
		assert_int_equal(fetch(srv, path, &f), CURLE_OK);
		assert_int_equal(f.status, 200);
		assert_header(&f, "Content-Encoding", "gzip");
		assert_header(&f, "Content-Type", "application/octet-stream");
		assert_header(&f, "Accept-Ranges", "bytes");
		snprintf(want, sizeof(want), "\"gz-%llu\"", (unsigned long long)n);
		assert_header(&f, "ETag", want);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)e);
		assert_header(&f, "Content-Length", want);
		assert_int_equal(f.len, n);
		assert_true(matches_bytes(f.body, f.len, n, 0));
		fetch_release(&f);
	}
}

static void test_server_gzip_range_resume(void **state)
{
	const uint64_t n = 200000, e = tsrv_stored_gzip_len(n);
	/* cut points in the header, a block header, block data, the trailer */
	const uint64_t cuts[] = {1, 5, 10, 12, 65550, 65551, 100000, e - 8, e - 3, e - 1};
	const struct h_server *srv = *state;
	struct fetch whole = {0}, f = {0};
	char path[96], range[64], want[96];
	size_t i;

	/* undecoded: a gzip member of e bytes, what the ranges count */
	assert_int_equal(e, 10 + 4 * 5 + 200000 + 8);
	assert_int_equal(fetch(srv, "/gzip-range/200000/g.bin", &whole), CURLE_OK);
	assert_int_equal(whole.status, 200);
	assert_int_equal(whole.len, e);
	assert_int_equal((uint8_t)whole.body[0], 0x1f);
	assert_int_equal((uint8_t)whole.body[1], 0x8b);
	assert_true(matches_bytes(whole.body + 15, 65535, n, 0)); /* stored: as is */

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint64_t c = cuts[i];
		char *joined;

		/* a download cut short at c ... */
		snprintf(path, sizeof(path), "/gzip-range/200000/g.bin?cut=%llu",
			 (unsigned long long)c);
		memset(&f, 0, sizeof(f));
		assert_int_equal(fetch(srv, path, &f), CURLE_PARTIAL_FILE);
		assert_int_equal(f.status, 200);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)e);
		assert_header(&f, "Content-Length", want);
		assert_header(&f, "Connection", "close");
		assert_int_equal(f.len, c);
		joined = malloc(e);
		assert_non_null(joined);
		memcpy(joined, f.body, f.len);
		fetch_release(&f);

		/* ... and resumed in encoded bytes: together, the whole member */
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)c);
		memset(&f, 0, sizeof(f));
		f.range = range;
		assert_int_equal(fetch(srv, "/gzip-range/200000/g.bin", &f), CURLE_OK);
		assert_int_equal(f.status, 206);
		snprintf(want, sizeof(want), "bytes %llu-%llu/%llu", (unsigned long long)c,
			 (unsigned long long)(e - 1), (unsigned long long)e);
		assert_header(&f, "Content-Range", want);
		assert_header(&f, "Content-Encoding", "gzip");
		assert_header(&f, "ETag", "\"gz-200000\"");
		assert_int_equal(f.len, e - c);
		memcpy(joined + c, f.body, f.len);
		assert_memory_equal(joined, whole.body, e);
		free(joined);
		fetch_release(&f);
	}

	/* past the end of the encoded bytes: 416 */
	snprintf(range, sizeof(range), "%llu-", (unsigned long long)e);
	memset(&f, 0, sizeof(f));
	f.range = range;
	assert_int_equal(fetch(srv, "/gzip-range/200000/g.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 416);
	snprintf(want, sizeof(want), "bytes */%llu", (unsigned long long)e);
	assert_header(&f, "Content-Range", want);
	fetch_release(&f);

	/* the decoded size is no offset into it: bytes=N- is not the end */
	snprintf(range, sizeof(range), "%llu-", (unsigned long long)n);
	memset(&f, 0, sizeof(f));
	f.range = range;
	assert_int_equal(fetch(srv, "/gzip-range/200000/g.bin", &f), CURLE_OK);
	assert_int_equal(f.status, 206);
	assert_int_equal(f.len, e - n);
	assert_memory_equal(f.body, whole.body + n, e - n);
	fetch_release(&f);
	fetch_release(&whole);
}

static void test_server_lie206_plain(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	/* no Range: the whole resource, whatever the mode */
	assert_int_equal(fetch(srv, "/lie206/1000/l.bin?mode=grow", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Length", "1000");
	assert_header(&f, "ETag", "\"lie-1000\"");
	assert_header(&f, "Accept-Ranges", "bytes");
	assert_header(&f, "Connection", "keep-alive");
	assert_no_header(&f, "Content-Range");
	assert_int_equal(f.len, 1000);
	assert_true(matches_bytes(f.body, f.len, 1000, 0));
	fetch_release(&f);

	/* cut: the promised length, the first C bytes, a close */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(srv, "/lie206/1000/l.bin?mode=ok&cut=300", &f), CURLE_PARTIAL_FILE);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Length", "1000");
	assert_header(&f, "ETag", "\"lie-1000\"");
	assert_header(&f, "Connection", "close");
	assert_int_equal(f.len, 300);
	assert_true(matches_bytes(f.body, f.len, 1000, 0));
	fetch_release(&f);
	assert_int_equal(wait_idle(srv), 0);
}

static void test_server_lie206_modes(void **state)
{
	static const struct {
		const char *path;
		const char *range;
		long status;
		const char *content_range; /* NULL: none */
		const char *content_length;
		uint64_t seed; /* the body: /bytes for seed from first */
		uint64_t first;
		size_t len;
	} cases[] = {
	    {"/lie206/1000/a?mode=ok", "600-", 206, "bytes 600-999/1000", "400", 1000, 600, 400},
	    {"/lie206/1000/a?mode=grow", "600-", 206, "bytes 600-1776/1777", "1177", 1777, 600,
	     1177},
	    {"/lie206/1000/a?mode=whole", "600-", 206, "bytes 600-999/1000", "1000", 1000, 0, 1000},
	    {"/lie206/1000/a?mode=shift", "600-", 206, "bytes 300-999/1000", "700", 1000, 300, 700},
	    {"/lie206/1000/a?mode=short", "600-", 206, "bytes 600-999/1000", "200", 1000, 600, 200},
	    {"/lie206/1000/a?mode=short", "999-", 206, "bytes 999-999/1000", "0", 1000, 999, 0},
	    {"/lie206/1000/a?mode=shift", "0-", 206, "bytes 0-999/1000", "1000", 1000, 0, 1000},
	    /* only "bytes=K-" with K < N is answered with a lie (or not) */
	    {"/lie206/1000/a?mode=grow", "1000-", 200, NULL, "1000", 1000, 0, 1000},
	    {"/lie206/1000/a?mode=grow", "0-99", 200, NULL, "1000", 1000, 0, 1000},
	    {"/lie206/1000/a?mode=grow", "-10", 200, NULL, "1000", 1000, 0, 1000},
	    {"/lie206/1000/a?mode=grow", "1-,5-", 200, NULL, "1000", 1000, 0, 1000},
	    /* the cut is for requests without a usable range only */
	    {"/lie206/1000/a?mode=ok&cut=10", "600-", 206, "bytes 600-999/1000", "400", 1000, 600,
	     400},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		f.range = cases[i].range;
		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s range %s: status %ld, want %ld", cases[i].path, cases[i].range,
				 f.status, cases[i].status);
		if (cases[i].content_range != NULL)
			assert_header(&f, "Content-Range", cases[i].content_range);
		else
			assert_no_header(&f, "Content-Range");
		assert_header(&f, "Content-Length", cases[i].content_length);
		assert_header(&f, "ETag", "\"lie-1000\"");
		assert_header(&f, "Accept-Ranges", "bytes");
		assert_header(&f, "Connection", "keep-alive");
		assert_int_equal(f.len, cases[i].len);
		if (!matches_bytes(f.body, f.len, cases[i].seed, cases[i].first))
			fail_msg("%s range %s: wrong body", cases[i].path, cases[i].range);
		fetch_release(&f);
	}
}

static void test_server_unsolicited206(void **state)
{
	static const struct {
		const char *path;
		const char *range;
		const char *content_range;
		const char *content_length;
		uint64_t from;
	} cases[] = {
	    {"/unsolicited206/1000/u.bin", NULL, "bytes 500-999/1000", "500", 500},
	    {"/unsolicited206/1001/u.bin", NULL, "bytes 500-1000/1001", "501", 500},
	    {"/unsolicited206/1000/u.bin?from=10", NULL, "bytes 10-999/1000", "990", 10},
	    {"/unsolicited206/1000/u.bin?from=0", NULL, "bytes 0-999/1000", "1000", 0},
	    {"/unsolicited206/1000/u.bin?from=999", "0-", "bytes 999-999/1000", "1", 999},
	    {"/unsolicited206/1000/u.bin", "100-199", "bytes 500-999/1000", "500", 500},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};
		uint64_t n = strstr(cases[i].path, "1001") != NULL ? 1001 : 1000;

		f.range = cases[i].range;
		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		assert_int_equal(f.status, 206);
		assert_header(&f, "Content-Range", cases[i].content_range);
		assert_header(&f, "Content-Length", cases[i].content_length);
		assert_int_equal(f.len, n - cases[i].from);
		assert_true(matches_bytes(f.body, f.len, n, cases[i].from));
		fetch_release(&f);
	}
}

static void test_server_modified(void **state)
{
	static const struct {
		const char *path;
		const char *range;    /* NULL: none */
		const char *if_range; /* NULL: none */
		long status;
		const char *content_range;
		uint64_t first;
		uint64_t len;
	} cases[] = {
	    {"/modified/1000/m.bin?v=1", NULL, NULL, 200, NULL, 0, 1000},
	    {"/modified/1000/m.bin?v=1", "600-", NULL, 206, "bytes 600-999/1000", 600, 400},
	    {"/modified/1000/m.bin?v=1", "1000-", NULL, 416, "bytes */1000", 0, 0},
	    {"/modified/1000/m.bin?v=1", "600-", "\"v1\"", 206, "bytes 600-999/1000", 600, 400},
	    {"/modified/1000/m.bin?v=1", "600-", "Thu, 02 Jan 2020 00:00:00 GMT", 206,
	     "bytes 600-999/1000", 600, 400},
	    {"/modified/1000/m.bin?v=2", "600-", "\"v1\"", 200, NULL, 0, 1000},
	    {"/modified/1000/m.bin?v=2", "600-", "Thu, 02 Jan 2020 00:00:00 GMT", 200, NULL, 0,
	     1000},
	    {"/modified/1000/m.bin?v=1", "600-", "W/\"v1\"", 200, NULL, 0, 1000},
	    {"/modified/1000/m.bin?v=1", "600-", "v1", 200, NULL, 0, 1000},
	    {"/modified/1000/m.bin?v=2", NULL, "\"v1\"", 200, NULL, 0, 1000},
	    {"/modified/1000/m.bin?v=2", "1000-", "\"v1\"", 200, NULL, 0, 1000},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = strstr(cases[i].path, "v=2") != NULL ? 2 : 1;
		struct curl_slist *hl = NULL;
		struct fetch f = {0};
		char line[128], want[32];

		if (cases[i].if_range != NULL) {
			snprintf(line, sizeof(line), "If-Range: %s", cases[i].if_range);
			hl = curl_slist_append(NULL, line);
			assert_non_null(hl);
		}
		f.headers = hl;
		f.range = cases[i].range;
		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("case %zu: status %ld, want %ld", i, f.status, cases[i].status);
		if (cases[i].content_range != NULL)
			assert_header(&f, "Content-Range", cases[i].content_range);
		else
			assert_no_header(&f, "Content-Range");
		if (f.status != 416) {
			snprintf(want, sizeof(want), "\"v%llu\"", (unsigned long long)v);
			assert_header(&f, "ETag", want);
			assert_header(&f, "Last-Modified",
				      v == 1 ? "Thu, 02 Jan 2020 00:00:00 GMT"
					     : "Fri, 03 Jan 2020 00:00:00 GMT");
			assert_header(&f, "Accept-Ranges", "bytes");
			snprintf(want, sizeof(want), "%llu", (unsigned long long)cases[i].len);
			assert_header(&f, "Content-Length", want);
			assert_int_equal(f.len, cases[i].len);
			/* version v is /bytes/1000 with seed 1000 + v */
			if (!matches_bytes(f.body, f.len, 1000 + v, cases[i].first))
				fail_msg("case %zu: wrong body", i);
		}
		fetch_release(&f);
		curl_slist_free_all(hl);
	}
}

static void test_server_modified_versions_differ(void **state)
{
	const struct h_server *srv = *state;
	struct fetch a = {0}, b = {0}, z = {0};

	/* same length, other bytes; v=0 is /bytes/N itself */
	assert_int_equal(fetch(srv, "/modified/4096?v=1", &a), CURLE_OK);
	assert_int_equal(fetch(srv, "/modified/4096?v=2", &b), CURLE_OK);
	assert_int_equal(fetch(srv, "/modified/4096?v=0", &z), CURLE_OK);
	assert_int_equal(a.len, 4096);
	assert_int_equal(b.len, 4096);
	assert_int_equal(z.len, 4096);
	assert_memory_not_equal(a.body, b.body, 4096);
	assert_true(matches_bytes(a.body, a.len, 4097, 0));
	assert_true(matches_bytes(b.body, b.len, 4098, 0));
	assert_true(matches_bytes(z.body, z.len, 4096, 0));
	assert_header(&z, "Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT");
	fetch_release(&a);
	fetch_release(&b);
	fetch_release(&z);
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

/* ---- generated sites: /site, /gallery, /html, /notfound ---- */

/* An ordered list of short strings. */
struct strs {
	char item[64][256];
	int n;
};

static void strs_add(struct strs *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void strs_add(struct strs *l, const char *fmt, ...)
{
	va_list ap;
	int w;

	assert_true(l->n < 64);
	va_start(ap, fmt);
	w = vsnprintf(l->item[l->n], sizeof(l->item[0]), fmt, ap);
	va_end(ap);
	assert_true(w > 0 && (size_t)w < sizeof(l->item[0]));
	l->n++;
}

static void assert_strs_equal(const struct strs *got, const struct strs *want, const char *what)
{
	int i;

	for (i = 0; i < got->n && i < want->n; i++) {
		if (strcmp(got->item[i], want->item[i]) != 0)
			fail_msg("%s: reference %d is %s, want %s", what, i, got->item[i],
				 want->item[i]);
	}
	if (got->n != want->n)
		fail_msg("%s: %d references, want %d", what, got->n, want->n);
}

/* The attribute values of html, crudely: every ` href="…"`, ` src="…"` and
 * ` srcset="…"` in document order, as "href=…", "src=…", "srcset=…". */
static void crude_refs(const char *html, struct strs *out)
{
	static const char *const attrs[] = {" href=\"", " src=\"", " srcset=\""};
	const char *p;

	out->n = 0;
	for (p = html; *p != '\0'; p++) {
		size_t a;

		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			size_t alen = strlen(attrs[a]);
			const char *v, *end;

			if (strncmp(p, attrs[a], alen) != 0)
				continue;
			v = p + alen;
			end = strchr(v, '"');
			assert_non_null(end);
			strs_add(out, "%.*s=%.*s", (int)alen - 3, attrs[a] + 1, (int)(end - v), v);
			p = end;
			break;
		}
	}
}

/* How many times needle occurs in haystack. */
static int occurrences(const char *haystack, const char *needle)
{
	int n = 0;
	const char *p = haystack;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* The references page k of /site/n holds, as route_site documents them. */
static void site_expected(struct strs *l, unsigned long long n, unsigned long long k, int port)
{
	unsigned long long child;

	l->n = 0;
	strs_add(l, "href=/site/%llu/style.css", n);
	for (child = 2 * k + 1; child <= 2 * k + 2 && child < n; child++)
		strs_add(l, "href=%llu.html", child);
	strs_add(l, "href=/site/%llu/page/0.html", n);
	if (k == 0 && n >= 2) {
		strs_add(l, "href=./1.html");
		strs_add(l, "href=/site/%llu/page/%%31.html", n);
		strs_add(l, "href=1.html#top");
		strs_add(l, "href=HTTP://127.0.0.1:%d/site/%llu/page/1.html", port, n);
		strs_add(l, "href=/site/%llu/page/../page/1.html", n);
	}
	strs_add(l, "href=http://localhost:%d/site/%llu/page/%llu.html", port, n, k);
	strs_add(l, "href=https://example.invalid/x.html");
	strs_add(l, "href=/site/%llu/private/%llu.html", n, k);
	strs_add(l, "href=mailto:nobody@example.invalid");
	strs_add(l, "href=javascript:void(0)");
	strs_add(l, "src=/site/%llu/img/%llu.png", n, k);
	strs_add(l, "srcset=/site/%llu/img/%llu-small.jpg 1x, /site/%llu/img/%llu-big.jpg 2x", n, k,
		 n, k);
	strs_add(l, "src=/site/%llu/img/shared.gif", n);
}

/* Asserts f holds a 200 text/html; charset=utf-8 with a right
 * Content-Length. */
static void assert_html_200(const struct fetch *f)
{
	char len[32];

	assert_int_equal(f->code, CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_header(f, "Content-Type", "text/html; charset=utf-8");
	snprintf(len, sizeof(len), "%zu", f->len);
	assert_header(f, "Content-Length", len);
}

static void test_server_site_page_links(void **state)
{
	static const struct {
		unsigned long long n, k;
	} cases[] = {
	    {1, 0},  {2, 0},  {3, 0},       {10, 0},           {10, 1},           {10, 3},
	    {10, 4}, {10, 9}, {1000000, 0}, {1000000, 499999}, {1000000, 999999},
	};
	const struct h_server *srv = *state;
	CURL *h = curl_easy_init();
	size_t i;

	assert_non_null(h);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strs *got = calloc(1, sizeof(*got)), *want = calloc(1, sizeof(*want));
		struct fetch f = {0};
		char path[128], what[160];

		assert_non_null(got);
		assert_non_null(want);
		snprintf(path, sizeof(path), "/site/%llu/page/%llu.html", cases[i].n, cases[i].k);
		snprintf(what, sizeof(what), "GET %s", path);
		assert_int_equal(fetch_on(h, srv, path, &f), CURLE_OK);
		assert_html_200(&f);
		crude_refs(f.body, got);
		site_expected(want, cases[i].n, cases[i].k, srv->port);
		assert_strs_equal(got, want, what);
		/* one <a> without href; three <img> */
		assert_int_equal(occurrences(f.body, "<a "), occurrences(f.body, "<a href=") + 1);
		assert_int_equal(occurrences(f.body, "<a name=\"top\">"), 1);
		assert_int_equal(occurrences(f.body, "<img "), 3);
		assert_int_equal(occurrences(f.body, "<link rel=\"stylesheet\" "), 1);
		fetch_release(&f);
		free(got);
		free(want);
	}
	curl_easy_cleanup(h);
}

/* GETs the absolute url into *f. */
static CURLcode fetch_url(const char *url, struct fetch *f)
{
	CURL *h = curl_easy_init();

	assert_non_null(h);
	fetch_setup(h, url, f);
	f->code = curl_easy_perform(h);
	fetch_finish(h, f);
	curl_easy_cleanup(h);
	return f->code;
}

/* The /stats/paths listing. */
static void stats_paths(const struct h_server *srv, struct fetch *f)
{
	assert_int_equal(fetch(srv, "/stats/paths", f), CURLE_OK);
	assert_int_equal(f->status, 200);
	assert_header(f, "Content-Type", "text/plain");
	if (f->body == NULL)
		f->body = calloc(1, 1); /* an empty listing */
	assert_non_null(f->body);
}

static void test_server_site_page1_spellings(void **state)
{
	/* every spelling of page 1 on page 0, resolved as a browser would
	 * (libcurl's URL API), serves page 1 */
	const struct h_server *srv = *state;
	struct fetch page0 = {0}, one = {0}, listing = {0};
	struct strs *refs = calloc(1, sizeof(*refs));
	char base[128], want_paths[256];
	int i, spellings = 0;

	assert_non_null(refs);
	assert_int_equal(fetch(srv, "/site/20/page/1.html", &one), CURLE_OK);
	assert_html_200(&one);
	assert_int_equal(h_server_reset(srv, NULL), 0);
	assert_int_equal(fetch(srv, "/site/20/page/0.html", &page0), CURLE_OK);
	assert_html_200(&page0);
	crude_refs(page0.body, refs);
	snprintf(base, sizeof(base), "%s/site/20/page/0.html", srv->base);
	for (i = 0; i < refs->n; i++) {
		const char *href = refs->item[i] + 5;
		struct fetch f = {0};
		CURLU *u;
		char *url = NULL;

		if (strncmp(refs->item[i], "href=", 5) != 0 ||
		    (strstr(href, "1.html") == NULL && strstr(href, "%31") == NULL))
			continue;
		u = curl_url();
		assert_non_null(u);
		assert_int_equal(curl_url_set(u, CURLUPART_URL, base, 0), CURLUE_OK);
		assert_int_equal(curl_url_set(u, CURLUPART_URL, href, 0), CURLUE_OK);
		assert_int_equal(curl_url_get(u, CURLUPART_URL, &url, 0), CURLUE_OK);
		assert_int_equal(fetch_url(url, &f), CURLE_OK);
		if (f.status != 200 || f.len != one.len || memcmp(f.body, one.body, f.len) != 0)
			fail_msg("%s (%s) is not page 1", href, url);
		spellings++;
		fetch_release(&f);
		curl_free(url);
		curl_url_cleanup(u);
	}
	/* "1.html" (the child link) and the five others */
	assert_int_equal(spellings, 6);

	/* the server saw two spellings of the path: the raw %31 and the rest */
	stats_paths(srv, &listing);
	snprintf(want_paths, sizeof(want_paths),
		 "1 /site/20/page/%%31.html\n1 /site/20/page/0.html\n5 /site/20/page/1.html\n");
	assert_string_equal(listing.body, want_paths);
	fetch_release(&listing);
	fetch_release(&page0);
	fetch_release(&one);
	free(refs);
}

static void test_server_site_tree_depth(void **state)
{
	/* following only the numeric relative links from page 0 reaches each
	 * page once, at depth tsrv_site_depth(K); the pages within depth d
	 * are 0 .. tsrv_site_pages_within(N, d) - 1 */
	enum { N = 50 };
	const struct h_server *srv = *state;
	int depth[N], queue[N], head = 0, tail = 0, k;
	unsigned d;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	for (k = 0; k < N; k++)
		depth[k] = -1;
	depth[0] = 0;
	queue[tail++] = 0;
	while (head < tail) {
		struct strs *refs = calloc(1, sizeof(*refs));
		struct fetch f = {0};
		char path[64];
		int cur = queue[head++], i;

		assert_non_null(refs);
		snprintf(path, sizeof(path), "/site/%d/page/%d.html", N, cur);
		assert_int_equal(fetch_on(h, srv, path, &f), CURLE_OK);
		assert_html_200(&f);
		crude_refs(f.body, refs);
		for (i = 0; i < refs->n; i++) {
			const char *v = refs->item[i] + 5;
			char *end;
			long child;

			/* "1.html#top" on page 0 is a spelling of a link
			 * already counted */
			if (strncmp(refs->item[i], "href=", 5) != 0 || *v < '0' || *v > '9' ||
			    strchr(v, '#') != NULL)
				continue;
			child = strtol(v, &end, 10);
			assert_string_equal(end, ".html");
			assert_true(child > 0 && child < N);
			assert_int_equal(depth[child], -1); /* a tree: reached once */
			depth[child] = depth[cur] + 1;
			queue[tail++] = (int)child;
		}
		fetch_release(&f);
		free(refs);
	}
	assert_int_equal(tail, N);
	for (k = 0; k < N; k++)
		assert_int_equal(depth[k], (int)tsrv_site_depth((uint64_t)k));
	for (d = 0; d < 8; d++) {
		uint64_t within = 0;

		for (k = 0; k < N; k++)
			within += depth[k] <= (int)d;
		assert_int_equal(tsrv_site_pages_within(N, d), within);
	}
	assert_int_equal(tsrv_site_pages_within(1000000, 100), 1000000);
	assert_int_equal(tsrv_site_pages_within(1000000, 2), 7);
	curl_easy_cleanup(h);
}

static void test_server_site_other_routes(void **state)
{
	static const struct {
		const char *path;
		long status;
		const char *type;
	} cases[] = {
	    {"/site/10/private/3.html", 200, "text/html; charset=utf-8"},
	    {"/site/10/private/9.html", 200, "text/html; charset=utf-8"},
	    {"/site/10/style.css", 200, "text/css"},
	    {"/site/1000000/page/999999.html", 200, "text/html; charset=utf-8"},
	    {"/site/10/page/%39.html", 200, "text/html; charset=utf-8"},
	    {"/site/10/page/10.html", 404, "text/plain"},
	    {"/site/10/private/10.html", 404, "text/plain"},
	    {"/site/0/page/0.html", 404, "text/plain"},
	    {"/site/1000001/page/0.html", 404, "text/plain"},
	    {"/site/010/page/0.html", 404, "text/plain"},
	    {"/site/10/page/01.html", 404, "text/plain"},
	    {"/site/10/page/1.htm", 404, "text/plain"},
	    {"/site/10/page/1.html/x", 404, "text/plain"},
	    {"/site/10/page/", 404, "text/plain"},
	    {"/site/10/page/-1.html", 404, "text/plain"},
	    {"/site/10/other", 404, "text/plain"},
	    {"/site/10", 404, "text/plain"},
	    {"/site/x/page/0.html", 404, "text/plain"},
	    {"/site/10/img/1.txt", 404, "text/plain"},
	    {"/site/10/img/a/b.png", 404, "text/plain"},
	    {"/site/10/img/", 404, "text/plain"},
	    {"/site/10/page/%zz.html", 400, "text/plain"},
	    {"/site/10/page/%00.html", 400, "text/plain"},
	    {"/gallery/0/page/0.html", 404, "text/plain"},
	    {"/gallery/5/page/5.html", 404, "text/plain"},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s: status %ld, want %ld", cases[i].path, f.status,
				 cases[i].status);
		assert_header(&f, "Content-Type", cases[i].type);
		if (f.status == 200 && strstr(cases[i].path, "/private/") != NULL) {
			/* a private page links nothing */
			assert_null(strstr(f.body, "href="));
			assert_null(strstr(f.body, "src="));
		}
		if (strcmp(cases[i].type, "text/css") == 0)
			assert_null(strstr(f.body, "url("));
		fetch_release(&f);
	}
}

/* Asserts body[0..len) is the image name, byte for byte, with its magic. */
static void assert_image(const char *body, size_t len, const char *name)
{
	size_t size = tsrv_image_size(name);
	uint8_t *want = malloc(size);
	const uint8_t *b = (const uint8_t *)body;

	assert_non_null(want);
	assert_int_equal(len, size);
	tsrv_image_fill(name, want);
	assert_memory_equal(body, want, size);
	switch (tsrv_image_kind(name)) {
	case TSRV_IMAGE_PNG:
		assert_memory_equal(b, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
		assert_memory_equal(b + size - 8, "IEND\xae\x42\x60\x82", 8);
		break;
	case TSRV_IMAGE_JPEG:
		assert_memory_equal(b, "\xff\xd8\xff\xe0\x00\x10JFIF\0", 11);
		assert_memory_equal(b + size - 2, "\xff\xd9", 2);
		break;
	case TSRV_IMAGE_GIF:
		assert_memory_equal(b, "GIF89a", 6);
		assert_int_equal(b[size - 1], 0x3b);
		break;
	case TSRV_IMAGE_WEBP:
		assert_memory_equal(b, "RIFF", 4);
		assert_memory_equal(b + 8, "WEBPVP8L", 8);
		assert_int_equal(b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24, size - 8);
		break;
	case TSRV_IMAGE_NONE: fail_msg("%s is not an image name", name);
	}
	free(want);
}

static void test_server_site_images(void **state)
{
	static const struct {
		const char *name;
		const char *type;
		int big;
	} cases[] = {
	    {"0.png", "image/png", 0},        {"3.png", "image/png", 0},
	    {"3-small.jpg", "image/jpeg", 0}, {"3-big.jpg", "image/jpeg", 1},
	    {"shared.gif", "image/gif", 0},   {"pic.webp", "image/webp", 0},
	    {"photo.jpeg", "image/jpeg", 0},  {"wide-big.png", "image/png", 1},
	    {"anim-big.gif", "image/gif", 1}, {"x-big.webp", "image/webp", 1},
	    {"big.jpg", "image/jpeg", 0},     {"7-9.jpg", "image/jpeg", 0},
	};
	static const char *const prefixes[] = {"/site/7/img/", "/site/1000000/img/",
					       "/gallery/3/img/"};
	const struct h_server *srv = *state;
	CURL *h = curl_easy_init();
	size_t i, p;

	assert_non_null(h);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = tsrv_image_size(cases[i].name);
		char len[32];

		assert_string_equal(tsrv_image_type(cases[i].name), cases[i].type);
		if (cases[i].big)
			assert_true(size >= 20000 && size < 30000);
		else
			assert_true(size >= 2000 && size < 5000);
		snprintf(len, sizeof(len), "%zu", size);
		for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
			struct fetch f = {0};
			char path[128];

			snprintf(path, sizeof(path), "%s%s", prefixes[p], cases[i].name);
			assert_int_equal(fetch_on(h, srv, path, &f), CURLE_OK);
			assert_int_equal(f.status, 200);
			assert_header(&f, "Content-Type", cases[i].type);
			assert_header(&f, "Content-Length", len);
			assert_image(f.body, f.len, cases[i].name);
			fetch_release(&f);
		}
	}

	{
		/* a Range of an image, and HEAD */
		struct fetch f = {0};
		uint8_t want[TSRV_IMAGE_MAX];

		tsrv_image_fill("3-big.jpg", want);
		f.range = "100-199";
		assert_int_equal(fetch_on(h, srv, "/site/7/img/3-big.jpg", &f), CURLE_OK);
		assert_int_equal(f.status, 206);
		assert_int_equal(f.len, 100);
		assert_memory_equal(f.body, want + 100, 100);
		fetch_release(&f);
		memset(&f, 0, sizeof(f));
		f.head = 1;
		assert_int_equal(fetch_on(h, srv, "/gallery/3/img/0-0.jpg", &f), CURLE_OK);
		assert_int_equal(f.status, 200);
		assert_int_equal(f.len, 0);
		assert_header(&f, "Content-Type", "image/jpeg");
		fetch_release(&f);
	}
	curl_easy_cleanup(h);
}

static void test_server_image_content(void **state)
{
	/* the content.h functions alone: deterministic, in range, varied */
	static const char *const forms[] = {".png", "-small.jpg", "-big.jpg", ".gif", ".webp"};
	size_t distinct_sizes = 0, prev = 0;
	uint8_t a[TSRV_IMAGE_MAX], b[TSRV_IMAGE_MAX];
	int i;
	size_t f;

	(void)state;
	for (i = 0; i < 500; i++) {
		for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			char name[64];
			size_t size;
			uint32_t crc;

			snprintf(name, sizeof(name), "%d%s", i, forms[f]);
			size = tsrv_image_size(name);
			assert_true(size >= 2000 && size <= TSRV_IMAGE_MAX);
			assert_int_equal(size >= 20000, strstr(name, "-big") != NULL);
			distinct_sizes += size != prev;
			prev = size;
			memset(a, 0, sizeof(a));
			memset(b, 0xff, sizeof(b));
			tsrv_image_fill(name, a);
			tsrv_image_fill(name, b);
			assert_memory_equal(a, b, size);
			assert_image((const char *)a, size, name);
			if (tsrv_image_kind(name) == TSRV_IMAGE_PNG) {
				crc = (uint32_t)a[29] << 24 | (uint32_t)a[30] << 16 |
				      (uint32_t)a[31] << 8 | a[32];
				assert_int_equal(crc, tsrv_crc32(a + 12, 17));
			}
		}
	}
	assert_true(distinct_sizes > 2000);
	assert_int_equal(tsrv_image_size("x.txt"), 0);
	assert_int_equal(tsrv_image_size("x.PNG"), 0);
	assert_int_equal(tsrv_image_size("png"), 0);
	assert_int_equal(tsrv_image_size("x.png.txt"), 0);
	assert_null(tsrv_image_type("x.html"));
	assert_int_equal(tsrv_image_size(TSRV_FAKE_IMAGE), sizeof(TSRV_FAKE_IMAGE_TEXT) - 1);
	assert_int_equal(tsrv_site_depth(0), 0);
	assert_int_equal(tsrv_site_depth(1), 1);
	assert_int_equal(tsrv_site_depth(2), 1);
	assert_int_equal(tsrv_site_depth(3), 2);
	assert_int_equal(tsrv_site_depth(6), 2);
	assert_int_equal(tsrv_site_depth(7), 3);
	assert_int_equal(tsrv_site_depth(999999), 19);
}

static void test_server_image_type_override(void **state)
{
	static const struct {
		const char *path;
		long status;
		const char *type;
	} cases[] = {
	    {"/site/5/img/1.png?type=text/plain", 200, "text/plain"},
	    {"/site/5/img/1.png?type=text%2Fhtml%3B%20charset%3Dutf-8", 200,
	     "text/html; charset=utf-8"},
	    {"/site/5/img/1.png?type=application/octet-stream", 200, "application/octet-stream"},
	    {"/gallery/2/img/1.png?type=image/jpeg", 200, "image/jpeg"},
	    {"/site/5/img/1.png?type=", 400, "text/plain"},
	    {"/site/5/img/1.png?type=a%0D%0AX-Evil:%201", 400, "text/plain"},
	    {"/site/5/img/1.png?type=%zz", 400, "text/plain"},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s: status %ld", cases[i].path, f.status);
		assert_header(&f, "Content-Type", cases[i].type);
		assert_no_header(&f, "X-Evil");
		if (f.status == 200)
			assert_image(f.body, f.len, "1.png"); /* still a PNG inside */
		fetch_release(&f);
	}
}

static void test_server_fake_image(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {0};

	assert_int_equal(fetch(srv, "/site/5/img/fake.png", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Type", "image/png");
	assert_string_equal(f.body, TSRV_FAKE_IMAGE_TEXT);
	assert_int_equal(f.len, tsrv_image_size(TSRV_FAKE_IMAGE));
	assert_true((uint8_t)f.body[0] != 0x89);
	fetch_release(&f);
}

static void test_server_gallery(void **state)
{
	enum { P = 200 };
	const struct h_server *srv = *state;
	CURL *h = curl_easy_init();
	int k;

	assert_non_null(h);
	for (k = 0; k < P; k++) {
		struct strs *got = calloc(1, sizeof(*got)), *want = calloc(1, sizeof(*want));
		struct fetch f = {0};
		char path[64];
		int j;

		assert_non_null(got);
		assert_non_null(want);
		snprintf(path, sizeof(path), "/gallery/%d/page/%d.html", P, k);
		assert_int_equal(fetch_on(h, srv, path, &f), CURLE_OK);
		assert_html_200(&f);
		crude_refs(f.body, got);
		for (j = 0; j < 10; j++)
			strs_add(want, "src=/gallery/%d/img/%d-%d.jpg", P, k, j);
		if (k + 1 < P)
			strs_add(want, "href=%d.html", k + 1);
		assert_strs_equal(got, want, path);
		fetch_release(&f);
		free(got);
		free(want);
	}
	{
		struct fetch f = {0};

		assert_int_equal(fetch_on(h, srv, "/gallery/200/img/199-9.jpg", &f), CURLE_OK);
		assert_int_equal(f.status, 200);
		assert_header(&f, "Content-Type", "image/jpeg");
		assert_image(f.body, f.len, "199-9.jpg");
		fetch_release(&f);
	}
	curl_easy_cleanup(h);
}

static void test_server_html_body(void **state)
{
	static const struct {
		const char *path;
		long status;
		const char *body;
	} cases[] = {
	    {"/html?b=%3Ch1%3Ehi%3C%2Fh1%3E", 200, "<h1>hi</h1>"},
	    {"/html/a.html?x=1&b=%3Ca+href%3D%22%2Fx%22%3Ey%3C%2Fa%3E", 200,
	     "<a href=\"/x\">y</a>"},
	    {"/html?b=", 200, ""},
	    {"/html?b=caf%C3%A9", 200, "caf\xc3\xa9"},
	    {"/html", 400, "bad request\n"},
	    {"/html?b=%zz", 400, "bad request\n"},
	};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("%s: status %ld", cases[i].path, f.status);
		assert_string_equal(f.body != NULL ? f.body : "", cases[i].body);
		if (f.status == 200)
			assert_html_200(&f);
		fetch_release(&f);
	}
}

static void test_server_notfound_html(void **state)
{
	static const char *const paths[] = {"/notfound.html", "/notfound/deep/x.html"};
	const struct h_server *srv = *state;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct strs *refs = calloc(1, sizeof(*refs));
		struct fetch f = {0};
		int r;

		assert_non_null(refs);
		assert_int_equal(fetch(srv, paths[i], &f), CURLE_OK);
		assert_int_equal(f.status, 404);
		assert_header(&f, "Content-Type", "text/html; charset=utf-8");
		crude_refs(f.body, refs);
		assert_int_equal(refs->n, 3);
		for (r = 0; r < refs->n; r++) {
			/* each linked path exists, so only the crawler's rule
			 * keeps it from being fetched */
			const char *target = strchr(refs->item[r], '=') + 1;
			struct fetch t = {0};

			assert_non_null(strstr(target, "linked-from-404"));
			assert_int_equal(fetch(srv, target, &t), CURLE_OK);
			assert_int_equal(t.status, 200);
			fetch_release(&t);
		}
		fetch_release(&f);
		free(refs);
	}
}

/* ---- authentication, proxy form ---- */

/* /basic-auth and /digest-auth answer 401 with their challenge, and 200
 * only to the right credentials by the right scheme (libcurl computes
 * the Digest response, so MD5 and the hash recipe are checked against an
 * implementation not ours). */
static void test_server_auth_routes(void **state)
{
	const struct h_server *srv = *state;
	static const struct {
		const char *path, *userpwd;
		long httpauth;
		long status;
		const char *challenge; /* a 401's WWW-Authenticate holds it */
	} cases[] = {
	    {"/basic-auth/alice/pw", NULL, 0, 401, "Basic realm="},
	    {"/basic-auth/alice/pw", "alice:pw", CURLAUTH_BASIC, 200, NULL},
	    {"/basic-auth/alice/pw/x.txt?q=1", "alice:pw", CURLAUTH_BASIC, 200, NULL},
	    {"/basic-auth/alice/pw", "alice:no", CURLAUTH_BASIC, 401, "Basic"},
	    {"/basic-auth/alice/pw", "bob:pw", CURLAUTH_BASIC, 401, "Basic"},
	    {"/basic-auth/al%20ice/p%3Aw", "al ice:p:w", CURLAUTH_BASIC, 200, NULL},
	    {"/basic-auth/alice/pw", "alice:pw", CURLAUTH_DIGEST, 401, "Basic"},
	    {"/digest-auth/alice/pw", NULL, 0, 401, "Digest realm="},
	    {"/digest-auth/alice/pw", "alice:pw", CURLAUTH_DIGEST, 200, NULL},
	    {"/digest-auth/alice/pw/x.txt?q=1", "alice:pw", CURLAUTH_DIGEST, 200, NULL},
	    {"/digest-auth/alice/pw", "alice:no", CURLAUTH_DIGEST, 401, "Digest"},
	    {"/digest-auth/alice/pw", "alice:pw", CURLAUTH_BASIC, 401, "Digest"},
	    {"/basic-auth/alice", NULL, 0, 400, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch f = {.userpwd = cases[i].userpwd, .httpauth = cases[i].httpauth};
		char v[256];

		assert_int_equal(fetch(srv, cases[i].path, &f), CURLE_OK);
		if (f.status != cases[i].status)
			fail_msg("case %zu (%s): status %ld", i, cases[i].path, f.status);
		if (cases[i].challenge) {
			assert_int_equal(header_value(&f, "WWW-Authenticate", v, sizeof(v)), 0);
			assert_non_null(strstr(v, cases[i].challenge));
		} else if (cases[i].status == 200) {
			char want[64];

			/* "authenticated USER\n", USER as given before the ':' */
			snprintf(want, sizeof(want), "authenticated %.*s\n",
				 (int)strcspn(cases[i].userpwd, ":"), cases[i].userpwd);
			assert_string_equal(f.body, want);
		}
		fetch_release(&f);
	}
}

/* A request in absolute-form, as a client sends it to a proxy, is
 * answered as if the server were the host it names, and counted in
 * "proxy_requests"; origin-form requests are not. */
static void test_server_proxy_form(void **state)
{
	const struct h_server *srv = *state;
	struct fetch f = {.proxy = srv->base};
	struct h_stats st;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	assert_int_equal(h_server_reset(srv, NULL), 0);
	fetch_setup(h, "http://proxied.invalid/bytes/10/x.bin", &f);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	fetch_finish(h, &f);
	curl_easy_cleanup(h);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, 10);
	fetch_release(&f);
	{
		struct fetch direct = {0};

		assert_int_equal(fetch(srv, "/bytes/10", &direct), CURLE_OK);
		fetch_release(&direct);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.proxy_requests, 1);
	assert_int_equal(h_server_reset(srv, &st), 0);
	assert_int_equal(st.proxy_requests, 0);
}

/* ---- robots ---- */

static void test_server_robots_count(void **state)
{
	const struct h_server *srv = *state;
	struct h_stats st;
	int i;

	assert_int_equal(h_server_reset(srv, &st), 0);
	assert_int_equal(st.robots_requests, 0);
	for (i = 0; i < 3; i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/robots.txt", &f), CURLE_OK);
		assert_int_equal(f.status, 200);
		assert_string_equal(f.body, robots_txt);
		fetch_release(&f);
	}
	{
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/robots.txtx", &f), CURLE_OK); /* not robots */
		assert_int_equal(f.status, 404);
		fetch_release(&f);
	}
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.robots_requests, 3);
	assert_int_equal(st.requests, 4);
	assert_int_equal(h_server_reset(srv, &st), 0);
	assert_int_equal(st.robots_requests, 0);
}

/* Starts $TESTSERVER with argv (argv[0] ignored) through h_spawn(), its
 * output in dir, and waits at most 10 s for its port.  Returns 0 and fills
 * *s (stop it with h_server_stop()), or -1. */
static int start_server_argv(struct h_server *s, const char *const argv[], const char *dir)
{
	const char *server = getenv("TESTSERVER");
	const char *fetchall = getenv("FETCHALL");
	char *saved = fetchall != NULL ? strdup(fetchall) : NULL;
	char out[1024];
	double deadline = now_s() + 10;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	if (server == NULL || setenv("FETCHALL", server, 1) != 0) {
		free(saved);
		return -1;
	}
	pid = h_spawn(argv, NULL, dir);
	if (saved != NULL)
		setenv("FETCHALL", saved, 1);
	else
		unsetenv("FETCHALL");
	free(saved);
	if (pid < 0)
		return -1;
	s->pid = pid;
	snprintf(out, sizeof(out), "%s/stdout", dir);
	while (now_s() < deadline) {
		struct timespec ts = {0, 10 * 1000000L};
		char *text = NULL;
		size_t len;

		if (h_read_file(out, &text, &len) == 0 && strchr(text, '\n') != NULL &&
		    sscanf(text, "port %d", &s->port) == 1) {
			free(text);
			snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
			return 0;
		}
		free(text);
		nanosleep(&ts, NULL);
	}
	(void)h_server_stop(s);
	return -1;
}

static void test_server_robots_option(void **state)
{
	char *dir = h_tmpdir(), *want = NULL, robots[1024];
	struct h_server srv;
	struct h_stats st;
	struct fetch f = {0};
	size_t want_len;

	(void)state;
	assert_non_null(dir);
	snprintf(robots, sizeof(robots), "%s/site/robots.txt", h_fixtures());
	assert_int_equal(h_read_file(robots, &want, &want_len), 0);
	assert_non_null(strstr(want, "Disallow: /site/*/private/"));
	{
		/* --robots wins over the root's robots.txt */
		const char *const argv[] = {"testserver", "--quiet", "--max-seconds",
					    "60",         "--root",  root_dir,
					    "--robots",   robots,    NULL};

		assert_int_equal(start_server_argv(&srv, argv, dir), 0);
	}
	assert_int_equal(fetch(&srv, "/robots.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_header(&f, "Content-Type", "text/plain; charset=utf-8");
	assert_int_equal(f.len, want_len);
	assert_memory_equal(f.body, want, want_len);
	fetch_release(&f);
	memset(&f, 0, sizeof(f));
	f.head = 1;
	assert_int_equal(fetch(&srv, "/robots.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	fetch_release(&f);
	/* the root still serves everything else */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(&srv, "/static/hello.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	fetch_release(&f);
	assert_int_equal(h_server_stats(&srv, &st), 0);
	assert_int_equal(st.robots_requests, 2);
	assert_int_equal(st.requests, 3);
	assert_int_equal(h_server_stop(&srv), 0);

	{
		/* --robots without --root */
		const char *const argv[] = {"testserver", "--quiet", "--robots", robots, NULL};

		assert_int_equal(start_server_argv(&srv, argv, dir), 0);
	}
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(&srv, "/robots.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	assert_int_equal(f.len, want_len);
	fetch_release(&f);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fetch(&srv, "/static/hello.txt", &f), CURLE_OK);
	assert_int_equal(f.status, 404);
	fetch_release(&f);
	assert_int_equal(h_server_stop(&srv), 0);

	{
		/* an unreadable --robots is refused at start */
		const char *const argv[] = {"testserver", "--robots", "/nonexistent/robots.txt",
					    NULL};
		struct h_result r;

		run_server_binary(argv, &r);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.out, "");
		assert_non_null(strstr(r.err, "--robots"));
		h_result_release(&r);
	}
	free(want);
	h_rmrf(dir);
	free(dir);
}

/* ---- /stats/paths ---- */

static void test_server_stats_paths(void **state)
{
	static const char *const gets[] = {
	    "/bytes/10",        "/site/5/page/0.html",
	    "/bytes/10?seed=3", "/site/5/page/%31.html",
	    "/bytes/10",        "/stats",
	    "/robots.txt",      "/bytes/10",
	    "/status/404",
	};
	const struct h_server *srv = *state;
	struct fetch listing = {0};
	struct h_stats st;
	size_t i;

	assert_int_equal(h_server_reset(srv, NULL), 0);
	stats_paths(srv, &listing);
	assert_string_equal(listing.body, "");
	assert_header(&listing, "Cache-Control", "no-store");
	fetch_release(&listing);

	for (i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		struct fetch f = {0};

		assert_int_equal(fetch(srv, gets[i], &f), CURLE_OK);
		fetch_release(&f);
	}
	{
		struct fetch f = {0};

		f.head = 1; /* HEAD counts too */
		assert_int_equal(fetch(srv, "/status/404", &f), CURLE_OK);
		fetch_release(&f);
	}
	/* sorted by path (bytewise); the query is not part of a path; the
	 * /stats routes are not recorded; 404s are */
	memset(&listing, 0, sizeof(listing));
	stats_paths(srv, &listing);
	assert_string_equal(listing.body, "4 /bytes/10\n"
					  "1 /robots.txt\n"
					  "1 /site/5/page/%31.html\n"
					  "1 /site/5/page/0.html\n"
					  "2 /status/404\n");
	fetch_release(&listing);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 9);

	/* reset empties it */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	memset(&listing, 0, sizeof(listing));
	stats_paths(srv, &listing);
	assert_string_equal(listing.body, "");
	fetch_release(&listing);
}

/* Sends n pipelined GETs of prefix + I (six digits) for I = 0..n-1 on one
 * raw connection, the last with "Connection: close", and
 * reads (dropping) every response until the server closes.  Bounded by
 * timeout_s. */
static void pipeline(const struct h_server *srv, const char *prefix, int n, int timeout_s)
{
	struct sockaddr_in sa;
	char out[64 * 1024], in[64 * 1024];
	size_t out_len = 0, out_off = 0;
	double deadline = now_s() + timeout_s;
	int fd = socket(AF_INET, SOCK_STREAM, 0), next = 0, closed = 0;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)srv->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	while (!closed) {
		struct pollfd p;
		int left_ms = (int)((deadline - now_s()) * 1000);

		if (left_ms <= 0)
			fail_msg("pipeline: %d of %d requests sent before the deadline", next, n);
		while (out_off == out_len && next < n) {
			/* refill with whole requests */
			char path[256];
			int w;

			out_len = out_off = 0;
			while (next < n && out_len + 512 < sizeof(out)) {
				snprintf(path, sizeof(path), "%s%06d", prefix, next);
				w = snprintf(out + out_len, sizeof(out) - out_len,
					     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path,
					     next == n - 1 ? "Connection: close\r\n" : "");
				out_len += (size_t)w;
				next++;
			}
		}
		p.fd = fd;
		p.events = POLLIN | (out_off < out_len ? POLLOUT : 0);
		p.revents = 0;
		if (poll(&p, 1, left_ms) < 0) {
			assert_int_equal(errno, EINTR);
			continue;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t got = recv(fd, in, sizeof(in), 0);

			if (got == 0)
				closed = 1;
			else if (got < 0 && errno != EAGAIN && errno != EINTR)
				fail_msg("pipeline: recv: %s", strerror(errno));
		}
		if (!closed && (p.revents & POLLOUT)) {
			ssize_t sent = send(fd, out + out_off, out_len - out_off, MSG_NOSIGNAL);

			if (sent > 0)
				out_off += (size_t)sent;
			else if (sent < 0 && errno != EAGAIN && errno != EINTR)
				fail_msg("pipeline: send: %s", strerror(errno));
		}
	}
	assert_int_equal(next, n);
	close(fd);
}

static void test_server_stats_paths_cap(void **state)
{
	/* 100,000 distinct paths are recorded; the rest only counted as
	 * dropped, in a last "#" line; known paths keep counting */
	const struct h_server *srv = *state;
	struct fetch listing = {0};
	struct h_stats st;
	const char *last, *p;
	double t0 = now_s();
	int lines = 0;

	assert_int_equal(h_server_reset(srv, NULL), 0);
	pipeline(srv, "/bytes/0/p", 100005, 120);
	pipeline(srv, "/bytes/0/p", 2, 10); /* p000000, p000001 again */
	print_message("100007 pipelined requests in %.2f s\n", now_s() - t0);
	assert_int_equal(h_server_stats(srv, &st), 0);
	assert_int_equal(st.requests, 100007);

	stats_paths(srv, &listing);
	for (p = listing.body; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 100001);
	assert_true(strncmp(listing.body,
			    "2 /bytes/0/p000000\n2 /bytes/0/p000001\n1 /bytes/0/p000002\n",
			    57) == 0);
	assert_non_null(strstr(listing.body, "\n1 /bytes/0/p099999\n#"));
	assert_null(strstr(listing.body, "p100000"));
	last = strrchr(listing.body, '#');
	assert_non_null(last);
	assert_non_null(strstr(last, " 5 requests"));
	fetch_release(&listing);

	/* a reset makes room again */
	assert_int_equal(h_server_reset(srv, NULL), 0);
	{
		struct fetch f = {0};

		assert_int_equal(fetch(srv, "/bytes/0/p100004", &f), CURLE_OK);
		fetch_release(&f);
	}
	memset(&listing, 0, sizeof(listing));
	stats_paths(srv, &listing);
	assert_string_equal(listing.body, "1 /bytes/0/p100004\n");
	fetch_release(&listing);
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
	    SERVER_TEST(test_server_drip_range),
	    SERVER_TEST(test_server_reset),
	    SERVER_TEST(test_server_endless),
	    SERVER_TEST(test_server_gzip_bomb),
	    SERVER_TEST(test_server_loop),
	    SERVER_TEST(test_server_big_header),
	    SERVER_TEST(test_server_drop),
	    SERVER_TEST(test_server_gzip),
	    SERVER_TEST(test_server_headers_echo),
	    SERVER_TEST(test_server_integrity_bad),
	    SERVER_TEST(test_server_gzip_trunc),
	    SERVER_TEST(test_server_gzip_range),
	    SERVER_TEST(test_server_gzip_range_resume),
	    SERVER_TEST(test_server_lie206_plain),
	    SERVER_TEST(test_server_lie206_modes),
	    SERVER_TEST(test_server_unsolicited206),
	    SERVER_TEST(test_server_modified),
	    SERVER_TEST(test_server_modified_versions_differ),
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
	    SERVER_TEST(test_server_site_page_links),
	    SERVER_TEST(test_server_site_page1_spellings),
	    SERVER_TEST(test_server_site_tree_depth),
	    SERVER_TEST(test_server_site_other_routes),
	    SERVER_TEST(test_server_site_images),
	    cmocka_unit_test(test_server_image_content),
	    SERVER_TEST(test_server_image_type_override),
	    SERVER_TEST(test_server_fake_image),
	    SERVER_TEST(test_server_gallery),
	    SERVER_TEST(test_server_html_body),
	    SERVER_TEST(test_server_notfound_html),
	    SERVER_TEST(test_server_robots_count),
	    SERVER_TEST(test_server_auth_routes),
	    SERVER_TEST(test_server_proxy_form),
	    cmocka_unit_test(test_server_robots_option),
	    SERVER_TEST(test_server_stats_paths),
	    SERVER_TEST(test_server_stats_paths_cap),
	};
	int failed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return failed;
}
