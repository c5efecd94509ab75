/*
 * test_stress: connections between fetch threads (issue 14).
 *
 * Sharing libcurl's connection cache between threads corrupted memory
 * inside libcurl: with many distinct hosts, a full cache and slow name
 * lookups, one thread freed a connection that another was still stamping.
 * These tests run the real binary at that shape, small enough for
 * `make test`: many host names under .fetchall.test, every lookup answered
 * slowly by tests/preload/slowdns.so (always 127.0.0.1, so nothing leaves
 * loopback), at a high -j, several times.  tests/preload/uafguard.so turns
 * any write to freed memory, even inside uninstrumented libcurl, into an
 * abort naming the block, so the old code failed every try rather than one
 * run in ten.  Under ASan/TSan the runtime owns free(), so only slowdns is
 * preloaded there and the test checks for crashes and sanitizer reports.
 *
 * Two more check that keep-alive survives per-thread connections: a
 * one-host list of 1000 URLs at -j 16 opens about one connection per
 * thread, and a list of many hosts with a few URLs each about one a
 * host, as the server's counter shows.
 *
 * Every run is bounded in time; the preload libraries come from $PRELOAD,
 * which `make test` sets.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "resolve.h"

#define RUN_TIMEOUT 300 /* s, one run under a sanitizer on a slow machine */
#define TRIES       3   /* runs of the many-hosts list */
#define HOSTS       500
#define URLS        1500 /* URLS / HOSTS per host, spread over the list */
#define JOBS        "64"
#define DNS_MS      "50"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

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

	unsetenv("LD_PRELOAD");
	h_result_release(&c->res);
	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

/* The absolute path of $PRELOAD/NAME.so into buf (runs start in another
 * directory).  The library is opened here first: a run whose preload did
 * not load would send the .fetchall.test names to the real resolver. */
static void preload_path(const char *name, char *buf)
{
	const char *dir = getenv("PRELOAD");
	char rel[4096];
	void *h;

	snprintf(rel, sizeof(rel), "%s/%s.so", dir ? dir : "build/release/tests/preload", name);
	if (!realpath(rel, buf))
		fail_msg("%s is missing: run the tests with make test", rel);
	h = dlopen(buf, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("%s does not load: %s", buf, dlerror());
	dlclose(h);
}

/* Runs argv in c->dir with the libraries `preload` (paths, space-separated)
 * preloaded, every .fetchall.test lookup taking dns_ms ms and, with
 * `log`, logged there (slowdns.c); the environment is restored after. */
static void run_preloaded(struct ctx *c, const char *const *argv, const char *preload,
			  const char *dns_ms, const char *log)
{
	const char *old_asan = getenv("ASAN_OPTIONS");
	char asan[1024];

	/* ASan wants its runtime first; the preloads are plain C. */
	snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old_asan ? old_asan : "",
		 old_asan && *old_asan ? ":" : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv("FETCHALL_TEST_DNS_MS", dns_ms, 1);
	if (log)
		setenv("FETCHALL_TEST_DNS_LOG", log, 1);
	setenv("ASAN_OPTIONS", asan, 1);
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
	unsetenv("LD_PRELOAD");
	unsetenv("FETCHALL_TEST_DNS_LOG");
	if (old_asan)
		setenv("ASAN_OPTIONS", old_asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
}

/* n URLs: over HOSTS slow-to-resolve names, or all on 127.0.0.1. */
static void write_list(struct ctx *c, int n, bool many_hosts)
{
	FILE *f = fopen(c->list, "w");

	assert_non_null(f);
	for (int i = 0; i < n; i++) {
		if (many_hosts)
			fprintf(f, "http://h%d.fetchall.test:%d/delay/10/f%d.txt\n", i % HOSTS,
				server.port, i);
		else
			fprintf(f, "%s/bytes/1000/g%d.bin\n", server.base, i);
	}
	assert_int_equal(fclose(f), 0);
}

/* 1500 URLs over 500 host names, each lookup 50 ms, at -j 64, three times:
 * every URL saved each time, no crash, no write after free. */
static void test_stress_many_hosts_slow_dns(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "-j", JOBS, "-q", NULL};
	char slowdns[PATH_MAX], guard[PATH_MAX], preload[2 * PATH_MAX + 2];

	preload_path("slowdns", slowdns);
	if (SANITIZED) {
		/* The runtime's allocator replaces free(): no guard. */
		snprintf(preload, sizeof(preload), "%s", slowdns);
	} else {
		preload_path("uafguard", guard);
		snprintf(preload, sizeof(preload), "%s %s", slowdns, guard);
	}
	write_list(c, URLS, true);
	for (int t = 0; t < TRIES; t++) {
		h_rmrf(c->out);
		h_result_release(&c->res);
		run_preloaded(c, argv, preload, DNS_MS, NULL);
		H_ASSERT_RUN_SANE(&c->res, NULL);
		if (c->res.status != 0)
			fail_msg("try %d: exit %d:\n%.4000s", t + 1, c->res.status, c->res.err);
		assert_int_equal(h_count_files(c->out, ".txt"), URLS);
	}
}

/* Host names are looked up by fetchall's own resolver threads, each once
 * (resolve.h), not by a new libcurl thread a lookup: 1200 URLs over 600
 * names at -j 4 take at most RESOLVE_THREADS_MAX (256) threads, where
 * libcurl took one a name; slowdns.so logs which thread looked up what. */
#define ONCE_NAMES   600
#define POOL_THREADS RESOLVE_THREADS_MAX
static void test_stress_names_looked_up_once_by_pool(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "-j", "4", "-q", NULL};
	char slowdns[PATH_MAX], log[PATH_MAX + 16], *text = NULL;
	long tids[2 * ONCE_NAMES];
	int ntids = 0, lines = 0, per_name[ONCE_NAMES] = {0};
	size_t len;
	FILE *f = fopen(c->list, "w");

	assert_non_null(f);
	for (int i = 0; i < 2 * ONCE_NAMES; i++)
		fprintf(f, "http://n%d.fetchall.test:%d/bytes/100/f%d.bin\n", i % ONCE_NAMES,
			server.port, i);
	assert_int_equal(fclose(f), 0);
	preload_path("slowdns", slowdns);
	snprintf(log, sizeof(log), "%s/dns.log", c->dir);
	run_preloaded(c, argv, slowdns, "20", log);
	H_ASSERT_RUN_SANE(&c->res, NULL);
	assert_int_equal(c->res.status, 0);
	assert_int_equal(h_count_files(c->out, ".bin"), 2 * ONCE_NAMES);
	assert_int_equal(h_read_file(log, &text, &len), 0);
	for (char *line = text, *end; *line; line = end + 1) {
		long tid;
		int name, k;

		end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		assert_int_equal(sscanf(line, "%ld n%d.fetchall.test", &tid, &name), 2);
		assert_true(name >= 0 && name < ONCE_NAMES);
		per_name[name]++;
		lines++;
		for (k = 0; k < ntids && tids[k] != tid; k++)
			;
		if (k == ntids && ntids < 2 * ONCE_NAMES)
			tids[ntids++] = tid;
	}
	free(text);
	for (int i = 0; i < ONCE_NAMES; i++)
		if (per_name[i] != 1)
			fail_msg("n%d.fetchall.test looked up %d times", i, per_name[i]);
	/* the pool's threads, never a thread a lookup */
	if (ntids > POOL_THREADS)
		fail_msg("%d lookups in %d threads", lines, ntids);
}

/* IDN host names (UTF-8 in the list, as RFC 3987 has them): every URL is
 * fetched whatever the locale (under "C" libcurl could not convert one
 * and every IDN URL failed), and each name is looked up once, by the
 * resolver's pool, as its punycode, the name libcurl then connects to
 * (an entry under the UTF-8 spelling would not match, and libcurl would
 * look the name up again in a thread of its own). */
#define IDN_NAMES 20
static void test_stress_idn_hosts_resolved_ahead(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "-j", "4", "-q", NULL};
	char slowdns[PATH_MAX], log[PATH_MAX + 16], *text = NULL;
	char names[IDN_NAMES][64];
	int nnames = 0;
	const char *old_lang = getenv("LC_ALL");
	char saved_lang[256] = "";
	size_t len;
	FILE *f = fopen(c->list, "w");

	assert_non_null(f);
	for (int i = 0; i < 2 * IDN_NAMES; i++) /* "bücher-N", twice each */
		fprintf(f,
			"http://b\xc3\xbc"
			"cher-%d.fetchall.test:%d/bytes/100/f%d.bin\n",
			i % IDN_NAMES, server.port, i);
	assert_int_equal(fclose(f), 0);
	preload_path("slowdns", slowdns);
	snprintf(log, sizeof(log), "%s/dns.log", c->dir);
	if (old_lang)
		snprintf(saved_lang, sizeof(saved_lang), "%s", old_lang);
	setenv("LC_ALL", "C", 1); /* the locale that broke them */
	run_preloaded(c, argv, slowdns, "5", log);
	if (old_lang)
		setenv("LC_ALL", saved_lang, 1);
	else
		unsetenv("LC_ALL");
	H_ASSERT_RUN_SANE(&c->res, NULL);
	if (c->res.status != 0)
		fail_msg("exit %d:\n%.4000s", c->res.status, c->res.err);
	assert_int_equal(h_count_files(c->out, ".bin"), 2 * IDN_NAMES);
	assert_int_equal(h_read_file(log, &text, &len), 0);
	for (char *line = text, *end; *line; line = end + 1) {
		char name[64];
		long tid;
		int k;

		end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		assert_int_equal(sscanf(line, "%ld %63s", &tid, name), 2);
		if (strncmp(name, "xn--", 4) != 0)
			fail_msg("looked up as '%s', not as punycode", name);
		for (k = 0; k < nnames && strcmp(names[k], name); k++)
			;
		if (k < nnames)
			fail_msg("%s looked up twice", name);
		assert_true(nnames < IDN_NAMES);
		snprintf(names[nnames++], sizeof(names[0]), "%s", name);
	}
	free(text);
	assert_int_equal(nnames, IDN_NAMES);
}

/* One host, 1000 URLs at -j 16: each thread keeps its connection alive, so
 * the server sees about one connection per thread, not one per URL. */
static void test_stress_keepalive_per_thread(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "-j", "16", "-q", NULL};
	struct h_stats st;

	write_list(c, 1000, false);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, &c->res), 0);
	H_ASSERT_RUN_SANE(&c->res, NULL);
	assert_int_equal(c->res.status, 0);
	assert_int_equal(h_count_files(c->out, ".bin"), 1000);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 1000);
	/* 16 when every thread keeps its one connection; a few more if the
	 * server or the machine drops one now and then, never hundreds. */
	if (st.connections < 1 || st.connections > 2 * 16)
		fail_msg("%lld connections for 1000 URLs at -j 16", st.connections);
}

/* 60 hosts with 4 URLs each, a host's URLs side by side in the list, at
 * -j 4: a thread goes on with the host of its last URL while that host
 * has work (frontier_next()'s `last`), over the connection it already
 * has, so the server sees about a connection a host.  Taking hosts in
 * turn instead, as before, opened one a URL (240). */
static void test_stress_keepalive_per_host(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "-j", "4", "-q", NULL};
	char slowdns[PATH_MAX];
	struct h_stats st;
	FILE *f = fopen(c->list, "w");

	assert_non_null(f);
	for (int i = 0; i < 240; i++)
		fprintf(f, "http://k%d.fetchall.test:%d/bytes/1000/f%d.bin\n", i / 4, server.port,
			i);
	assert_int_equal(fclose(f), 0);
	preload_path("slowdns", slowdns);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run_preloaded(c, argv, slowdns, "0", NULL);
	H_ASSERT_RUN_SANE(&c->res, NULL);
	assert_int_equal(c->res.status, 0);
	assert_int_equal(h_count_files(c->out, ".bin"), 240);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 240);
	/* 60 when each host's URLs go down one connection; a few more when
	 * two threads meet at a host near the end, never one a URL */
	if (st.connections < 60 || st.connections > 90)
		fail_msg("%lld connections for 60 hosts x 4 URLs at -j 4", st.connections);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_stress_many_hosts_slow_dns),          T(test_stress_idn_hosts_resolved_ahead),
	    T(test_stress_names_looked_up_once_by_pool), T(test_stress_keepalive_per_thread),
	    T(test_stress_keepalive_per_host),
	};
#undef T
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
