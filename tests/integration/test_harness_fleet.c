/*
 * test_harness_fleet: the test infrastructure of the distributed crawl's
 * tests — the test server's /fleet site and /stats/log, and the harness's
 * own redis-server (h_redis_*).
 *
 * The server is fetched with libcurl directly, one request at a time, so
 * the log's order is the order of the requests.  The Redis test skips,
 * saying so, when redis-server is not installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"

#define BODY_MAX (1024 * 1024)

struct reply {
	long code;
	char type[128];
	char body[BODY_MAX];
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct reply *rp = userdata;
	size_t n = size * nmemb;

	if (n >= sizeof(rp->body) - rp->len)
		return 0;
	memcpy(rp->body + rp->len, ptr, n);
	rp->len += n;
	rp->body[rp->len] = '\0';
	return n;
}

/* GETs path from s into a new heap *reply (the test frees it). */
static struct reply *get(const struct h_server *s, const char *path)
{
	struct reply *rp = calloc(1, sizeof(*rp));
	char *url = h_url(s, path);
	CURL *curl = curl_easy_init();
	const char *type = NULL;

	assert_non_null(rp);
	assert_non_null(url);
	assert_non_null(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, rp);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &rp->code);
	curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
	snprintf(rp->type, sizeof(rp->type), "%s", type != NULL ? type : "");
	curl_easy_cleanup(curl);
	free(url);
	return rp;
}

static long status_of(const struct h_server *s, const char *path)
{
	struct reply *rp = get(s, path);
	long code = rp->code;

	free(rp);
	return code;
}

static size_t count_of(const char *haystack, const char *needle)
{
	size_t count = 0;
	const char *p = haystack;

	while ((p = strstr(p, needle)) != NULL) {
		count++;
		p += strlen(needle);
	}
	return count;
}

/* Checks page k of the /fleet site over ports[0..m) with n pages (and
 * delay, if delay_or_null) links exactly tsrv_fleet_links(k, n), each on
 * its host, with the query spelled as the request's. */
static void check_page(const struct h_server *s, const int *ports, size_t m, uint64_t k, uint64_t n,
		       const char *delay_or_null)
{
	char query[512], path[640], href[1024];
	uint64_t links[TSRV_FLEET_LINKS_MAX];
	size_t used, nlinks, i;
	struct reply *rp;

	used = (size_t)snprintf(query, sizeof(query), "ports=");
	for (i = 0; i < m; i++)
		used += (size_t)snprintf(query + used, sizeof(query) - used, "%s%d",
					 i > 0 ? "," : "", ports[i]);
	used +=
	    (size_t)snprintf(query + used, sizeof(query) - used, "&n=%llu", (unsigned long long)n);
	if (delay_or_null != NULL)
		snprintf(query + used, sizeof(query) - used, "&delay=%s", delay_or_null);
	snprintf(path, sizeof(path), "/fleet/%llu.html?%s", (unsigned long long)k, query);
	rp = get(s, path);
	assert_int_equal(rp->code, 200);
	assert_string_equal(rp->type, "text/html; charset=utf-8");
	nlinks = tsrv_fleet_links(k, n, links, TSRV_FLEET_LINKS_MAX);
	assert_true(nlinks >= 1 && nlinks <= TSRV_FLEET_LINKS_MAX);
	assert_int_equal(count_of(rp->body, "href="), nlinks);
	for (i = 0; i < nlinks; i++) {
		char *amp;

		/* the HTML writes each '&' of the query as "&amp;" */
		used = (size_t)snprintf(href, sizeof(href),
					"href=\"http://127.0.0.1:%d/fleet/%llu.html?",
					ports[links[i] % m], (unsigned long long)links[i]);
		for (amp = query; *amp != '\0'; amp++) {
			if (*amp == '&')
				used += (size_t)snprintf(href + used, sizeof(href) - used, "&amp;");
			else
				used +=
				    (size_t)snprintf(href + used, sizeof(href) - used, "%c", *amp);
		}
		snprintf(href + used, sizeof(href) - used, "\"");
		if (strstr(rp->body, href) == NULL)
			fail_msg("page %llu lacks %s:\n%s", (unsigned long long)k, href, rp->body);
	}
	free(rp);
}

static void test_harness_fleet_links_pure(void **state)
{
	static const uint64_t sizes[] = {1, 2, 3, 7, 10, 100, 1000};
	uint64_t links[TSRV_FLEET_LINKS_MAX];
	size_t i;

	(void)state;
	/* page 3 of 10: children 7, 8, parent 1, cross 24 mod 10 = 4 */
	assert_int_equal(tsrv_fleet_links(3, 10, links, TSRV_FLEET_LINKS_MAX), 4);
	assert_int_equal(links[0], 7);
	assert_int_equal(links[1], 8);
	assert_int_equal(links[2], 1);
	assert_int_equal(links[3], 4);
	/* page 0 of 3: children 1, 2; cross 3 mod 3 = 0, itself */
	assert_int_equal(tsrv_fleet_links(0, 3, links, TSRV_FLEET_LINKS_MAX), 3);
	assert_int_equal(links[2], 0);
	/* page 1 of 4: child 3, parent 0, cross 10 mod 4 = 2 */
	assert_int_equal(tsrv_fleet_links(1, 4, links, TSRV_FLEET_LINKS_MAX), 3);
	assert_int_equal(tsrv_fleet_links(4, 4, links, TSRV_FLEET_LINKS_MAX), 0);
	/* a short out[] still gets the count */
	assert_int_equal(tsrv_fleet_links(3, 10, links, 1), 4);
	assert_int_equal(links[0], 7);

	/* every page is reachable from page 0, and no link leaves the site */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = sizes[i], head = 0, tail = 0, reached = 0, k;
		uint64_t *queue = malloc(n * sizeof(*queue));
		char *seen = calloc(n, 1);

		assert_non_null(queue);
		assert_non_null(seen);
		queue[tail++] = 0;
		seen[0] = 1;
		while (head < tail) {
			size_t nl = tsrv_fleet_links(queue[head++], n, links, TSRV_FLEET_LINKS_MAX);

			reached++;
			for (k = 0; k < nl; k++) {
				assert_true(links[k] < n);
				if (!seen[links[k]]) {
					seen[links[k]] = 1;
					queue[tail++] = links[k];
				}
			}
		}
		assert_int_equal(reached, n);
		free(queue);
		free(seen);
	}
}

static void test_harness_fleet_route(void **state)
{
	struct h_server s;
	int ports[3];
	char path[256];
	uint64_t k;

	(void)state;
	assert_int_equal(h_server_start(&s, NULL), 0);
	ports[0] = s.port;
	ports[1] = 1111;
	ports[2] = 2222;
	check_page(&s, ports, 3, 0, 20, NULL);
	for (k = 1; k < 20; k += 6)
		check_page(&s, ports, 3, k, 20, NULL);
	check_page(&s, ports, 3, 5, 20, "5");
	check_page(&s, ports, 1, 0, 1, NULL);

	/* page >= N, or not a page: 404 */
	snprintf(path, sizeof(path), "/fleet/20.html?ports=%d&n=20", s.port);
	assert_int_equal(status_of(&s, path), 404);
	snprintf(path, sizeof(path), "/fleet/01.html?ports=%d&n=20", s.port);
	assert_int_equal(status_of(&s, path), 404);
	snprintf(path, sizeof(path), "/fleet/1?ports=%d&n=20", s.port);
	assert_int_equal(status_of(&s, path), 404);
	/* bad parameters: 400 */
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=0&n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=65536&n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=80,,81&n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=80,&n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=080&n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=x&n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?n=20"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=80"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=80&n=0"), 400);
	assert_int_equal(status_of(&s, "/fleet/0.html?ports=80&n=20&delay=x"), 400);
	{
		/* 64 ports are fine, 65 are not */
		char many[1024];
		size_t used = (size_t)snprintf(many, sizeof(many), "/fleet/0.html?n=3&ports=1");
		int i;

		for (i = 2; i <= 64; i++)
			used += (size_t)snprintf(many + used, sizeof(many) - used, ",%d", i);
		assert_int_equal(status_of(&s, many), 200);
		snprintf(many + used, sizeof(many) - used, ",65");
		assert_int_equal(status_of(&s, many), 400);
	}
	assert_int_equal(h_server_stop(&s), 0);
}

static void test_harness_fleet_stats_log(void **state)
{
	struct h_server s;
	struct h_log_entry *log = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(h_server_start(&s, NULL), 0);
	assert_int_equal(status_of(&s, "/bytes/10"), 200);
	assert_int_equal(h_server_reset(&s, NULL), 0);
	assert_int_equal(h_server_log(&s, &log, &n), 0);
	assert_int_equal(n, 0);
	free(log);

	assert_int_equal(status_of(&s, "/bytes/10"), 200);
	assert_int_equal(status_of(&s, "/delay/20/x?a=1&b=2"), 200);
	assert_int_equal(status_of(&s, "/stats"), 200); /* not logged */
	assert_int_equal(h_server_log(&s, &log, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(log[0].path, "/bytes/10");
	assert_string_equal(log[1].path, "/delay/20/x?a=1&b=2");
	assert_true(log[0].start_us > 0);
	assert_true(log[0].start_us <= log[0].end_us);
	assert_true(log[0].end_us <= log[1].start_us);
	assert_true(log[1].end_us - log[1].start_us >= 20000); /* the 20 ms delay */
	free(log);

	assert_int_equal(h_server_reset(&s, NULL), 0);
	assert_int_equal(h_server_log(&s, &log, &n), 0);
	assert_int_equal(n, 0);
	free(log);
	assert_int_equal(h_server_stop(&s), 0);
}

static void test_harness_fleet_redis(void **state)
{
	const char *const set[] = {"SET", "key", "value one"};
	const char *const get_key[] = {"GET", "key"};
	const char *const get_none[] = {"GET", "absent"};
	const char *const incr[] = {"INCR", "counter"};
	const char *const push[] = {"RPUSH", "list", "a", "b c"};
	const char *const range[] = {"LRANGE", "list", "0", "-1"};
	const char *const bad[] = {"INCR", "key"};
	struct h_redis r;
	struct stat st;
	char *out = NULL, dir[4096];
	const char *saved = getenv("REDIS_SERVER");
	char *saved_copy = saved != NULL ? strdup(saved) : NULL;
	pid_t pid;
	int rc;

	(void)state;
	/* a redis-server that is not there: -2, nothing left behind */
	assert_int_equal(setenv("REDIS_SERVER", "/nonexistent/redis-server", 1), 0);
	assert_int_equal(h_redis_start(&r), -2);
	assert_int_equal(r.pid, 0);
	if (saved_copy != NULL)
		setenv("REDIS_SERVER", saved_copy, 1);
	else
		unsetenv("REDIS_SERVER");
	free(saved_copy);

	rc = h_redis_start(&r);
	if (rc == -2) {
		fprintf(stderr, "skipped: redis-server is not installed (set REDIS_SERVER)\n");
		skip();
	}
	assert_int_equal(rc, 0);
	assert_true(r.pid > 0);
	assert_true(strncmp(r.url, "unix://", 7) == 0);
	assert_string_equal(r.url + 7, r.sock);

	assert_int_equal(h_redis_cmd(&r, &out, 3, set), 0);
	assert_string_equal(out, "OK");
	free(out);
	assert_int_equal(h_redis_cmd(&r, &out, 2, get_key), 0);
	assert_string_equal(out, "value one");
	free(out);
	assert_int_equal(h_redis_cmd(&r, &out, 2, get_none), 0);
	assert_string_equal(out, "(nil)");
	free(out);
	assert_int_equal(h_redis_cmd(&r, &out, 2, incr), 0);
	assert_string_equal(out, "1");
	free(out);
	assert_int_equal(h_redis_cmd(&r, &out, 4, push), 0);
	assert_string_equal(out, "2");
	free(out);
	assert_int_equal(h_redis_cmd(&r, &out, 4, range), 0);
	assert_string_equal(out, "a\nb c");
	free(out);
	/* an error reply */
	assert_int_equal(h_redis_cmd(&r, &out, 2, bad), -1);
	assert_null(out);

	pid = r.pid;
	snprintf(dir, sizeof(dir), "%s", r.dir);
	assert_int_equal(h_redis_stop(&r), 0);
	assert_int_equal(r.pid, 0);
	/* reaped, so the pid names no process (not even a zombie) */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(stat(dir, &st), -1);
	/* stopping again is harmless */
	assert_int_equal(h_redis_stop(&r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_harness_fleet_links_pure),
	    cmocka_unit_test(test_harness_fleet_route),
	    cmocka_unit_test(test_harness_fleet_stats_log),
	    cmocka_unit_test(test_harness_fleet_redis),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
