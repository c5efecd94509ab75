/*
 * Unit tests for procpool: parser worker processes, supervision, cleanup.
 *
 * The test binary is its own parser worker: started as
 * `test_procpool --parse-worker` it runs procpool_worker_main(0, 1), so the
 * pools under test spawn /proc/self/exe.  FETCHALL_TEST_HOOKS=1 is set
 * before any pool exists, so pages carrying <!--fetchall-test:crash-->,
 * ...hang--> or ...oom--> make a worker abort, never answer, or run out of
 * memory.  Results from workers are compared with html_extract() run in
 * this process.  Every test checks that it leaves no child (waitpid(-1,
 * WNOHANG) says ECHILD) and no descriptor behind.  Worker threads only
 * record; cmocka asserts on the test thread after join.  Every wait is
 * bounded: by the pool's timeout, by WORKER_START_MS inside procpool, and
 * by tests/run.sh's timeout around the whole binary.  The memory-cap test
 * cannot run under ASan or TSan (their runtimes reserve terabytes of
 * address space, so any RLIMIT_AS small enough to hit stops the worker
 * from starting) and skips there, saying so.  The cancel test goes last:
 * a cancel cannot be taken back within a process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "cancel.h"
#include "procpool.h"
#include "sync.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* Generous: a page only has to beat it on a slow, loaded machine. */
#define PAGE_TIMEOUT_MS 20000
/* The hang test's timeout; sanitizers slow the worker's parsing. */
#define HANG_TIMEOUT_MS (UNDER_SANITIZER ? 1500 : 300)
#define MEM_LIMIT       (256u * 1024 * 1024)

static char arg0[] = "test_procpool";
static char arg1[] = "--parse-worker";
static char *const worker_argv[] = {arg0, arg1, NULL};

static const unsigned all_kinds = HTML_LINK | HTML_IMAGE | HTML_REQUISITE;

/* ---- helpers ----------------------------------------------------------- */

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	if (!d)
		return -1;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n - 1; /* the DIR's own descriptor */
}

static void assert_no_children(void)
{
	int status;

	errno = 0;
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static struct procpool *new_pool(unsigned nprocs, long timeout_ms, uint64_t mem_limit)
{
	struct procpool_opts opts = {
	    .nprocs = nprocs,
	    .timeout_ms = timeout_ms,
	    .mem_limit_bytes = mem_limit,
	    .exe = "/proc/self/exe",
	    .argv = worker_argv,
	};
	struct procpool *pool = NULL;
	char err[256];
	enum fa_err rc = procpool_new(&opts, &pool, err, sizeof(err));

	if (rc != FA_OK)
		fail_msg("procpool_new: %s (%s)", err, fa_strerror(rc));
	return pool;
}

/* A page with every kind of reference, varied by (a, b). */
static char *make_page(unsigned a, unsigned b, size_t pad, size_t *len)
{
	size_t cap = 2048 + pad;
	char *page = malloc(cap);
	int n;

	assert_non_null(page);
	n = snprintf(page, cap,
		     "<!DOCTYPE html><html><head><title>p%u.%u</title>"
		     "<link rel=stylesheet href=\"/css/s%u.css\">"
		     "<script src=\"js/app%u.js\"></script>"
		     "<link rel=\"icon\" href=\"/favicon.ico\"></head><body>"
		     "<a href=\"/page/%u/%u\">next</a> <a href='rel/%u'>rel</a>"
		     "<img src=\"img/%u.png\" srcset=\"img/%u-2x.png 2x, img/%u-3x.png 3x\">"
		     "<a href=\"mailto:x@example.com\">mail</a>"
		     "<a href=\"https://other.example/%u?q=%u#frag\">abs</a><p>",
		     a, b, a, b, a, b, b, a, a, b, b, a);
	assert_true(n > 0 && (size_t)n < cap);
	for (size_t i = 0; i < pad; i++)
		page[n + i] = "lorem ipsum <b>dolor</b> sit amet "[i % 34];
	n += (int)pad;
	n +=
	    snprintf(page + n, cap - (size_t)n, "</p><a href=\"/end/%u\">end</a></body></html>", a);
	*len = (size_t)n;
	return page;
}

static bool same_links(const struct html_links *x, const struct html_links *y)
{
	if (x->count != y->count || x->skipped != y->skipped || x->over_cap != y->over_cap)
		return false;
	for (size_t i = 0; i < x->count; i++) {
		if (x->items[i].kind != y->items[i].kind ||
		    strcmp(x->items[i].url, y->items[i].url) != 0)
			return false;
	}
	return true;
}

/* Parses in the pool and in process; true when both agree and succeed. */
static bool parse_and_compare(struct procpool *pool, const char *url, const char *charset,
			      const char *page, size_t len, unsigned kinds, char *err,
			      size_t errlen)
{
	struct html_links remote = {0}, local = {0};
	enum fa_err rc, rc_local;
	bool same;

	rc = procpool_parse(pool, url, charset, page, len, kinds, &remote, err, errlen);
	rc_local = html_extract(page, len, url, charset, kinds, &local);
	same = rc == FA_OK && rc_local == FA_OK && same_links(&remote, &local) && remote.count > 0;
	if (rc == FA_OK && !same)
		snprintf(err, errlen, "%s: lists differ (%zu vs %zu links)", url, remote.count,
			 local.count);
	html_links_release(&remote);
	html_links_release(&local);
	return same;
}

static double elapsed_ms(uint64_t since_ns)
{
	return (double)(sync_now_ns() - since_ns) / 1e6;
}

/* ---- tests ------------------------------------------------------------- */

static void test_procpool_parses_like_html_extract(void **state)
{
	static const struct {
		const char *url, *charset;
		unsigned kinds;
	} cases[] = {
	    {"http://example.com/dir/page.html", NULL, HTML_LINK | HTML_IMAGE | HTML_REQUISITE},
	    {"https://example.com/", "utf-8", HTML_LINK},
	    {"http://example.com:8080/a/b/", "iso-8859-1", HTML_IMAGE},
	    {"http://example.com/x", NULL, HTML_REQUISITE | HTML_IMAGE},
	};
	int fds = count_open_fds();
	struct procpool *pool;
	struct procpool_stats st;
	char err[512] = "";

	(void)state;
	pool = new_pool(1, PAGE_TIMEOUT_MS, 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *page = make_page(i, i * 7, 100 * i, &len);

		if (!parse_and_compare(pool, cases[i].url, cases[i].charset, page, len,
				       cases[i].kinds, err, sizeof(err)))
			fail_msg("case %u: %s", i, err);
		free(page);
	}
	st = procpool_stats(pool);
	assert_int_equal(st.pages, 4);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.restarts, 0);
	procpool_free(pool);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

/* An error from html_extract in the worker is passed on; the worker stays. */
static void test_procpool_passes_parser_errors(void **state)
{
	struct html_links links = {0};
	struct procpool *pool;
	char err[512];
	size_t len;
	char *page = make_page(1, 2, 0, &len);

	(void)state;
	pool = new_pool(1, PAGE_TIMEOUT_MS, 0);
	assert_int_equal(
	    procpool_parse(pool, "not a url", NULL, page, len, all_kinds, &links, err, sizeof(err)),
	    html_extract(page, len, "not a url", NULL, all_kinds, &links));
	assert_int_equal(links.count, 0);
	assert_int_equal(
	    procpool_parse(pool, "http://a/", NULL, page, len, 0, &links, err, sizeof(err)),
	    FA_ERR_ARG);
	if (!parse_and_compare(pool, "http://example.com/", NULL, page, len, all_kinds, err,
			       sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(procpool_stats(pool).restarts, 0);
	assert_int_equal(procpool_stats(pool).failures, 0);
	procpool_free(pool);
	free(page);
	assert_no_children();
}

struct concurrent {
	struct procpool *pool;
	unsigned index, pages;
	unsigned ok, failed;
	uint64_t bytes;
	char first_error[512];
};

static void *parse_many(void *arg)
{
	struct concurrent *c = arg;

	for (unsigned k = 0; k < c->pages; k++) {
		char url[128], err[512] = "";
		size_t len;
		char *page = make_page(c->index, k, (k % 5) * 3000, &len);

		snprintf(url, sizeof(url), "http://host%u.example/p/%u.html", c->index, k);
		if (parse_and_compare(c->pool, url, k % 2 ? "utf-8" : NULL, page, len, all_kinds,
				      err, sizeof(err))) {
			c->ok++;
		} else {
			if (!c->failed)
				snprintf(c->first_error, sizeof(c->first_error), "%s", err);
			c->failed++;
		}
		c->bytes += len;
		free(page);
	}
	return NULL;
}

static void run_concurrent(unsigned nprocs, unsigned nthreads, unsigned pages)
{
	struct concurrent c[8];
	pthread_t threads[8];
	struct procpool *pool;
	struct procpool_stats st;
	uint64_t bytes = 0;
	int fds = count_open_fds();

	assert_true(nthreads <= 8);
	pool = new_pool(nprocs, PAGE_TIMEOUT_MS, 0);
	for (unsigned t = 0; t < nthreads; t++) {
		c[t] = (struct concurrent){.pool = pool, .index = t, .pages = pages};
		assert_int_equal(pthread_create(&threads[t], NULL, parse_many, &c[t]), 0);
	}
	for (unsigned t = 0; t < nthreads; t++)
		assert_int_equal(pthread_join(threads[t], NULL), 0);
	for (unsigned t = 0; t < nthreads; t++) {
		if (c[t].failed)
			fail_msg("%u workers, thread %u: %u failed, first: %s", nprocs, t,
				 c[t].failed, c[t].first_error);
		assert_int_equal(c[t].ok, pages);
		bytes += c[t].bytes;
	}
	st = procpool_stats(pool);
	assert_int_equal(st.pages, (uint64_t)nthreads * pages);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.restarts, 0);
	assert_int_equal(st.bytes_in, bytes);
	assert_true(st.parse_ms > 0);
	procpool_free(pool);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

static void test_procpool_concurrent_1_worker(void **state)
{
	(void)state;
	run_concurrent(1, 4, 30);
}

static void test_procpool_concurrent_2_workers(void **state)
{
	(void)state;
	run_concurrent(2, 6, 30);
}

static void test_procpool_concurrent_4_workers(void **state)
{
	(void)state;
	run_concurrent(4, 8, 30);
}

/* A page bigger than any pipe buffer, both ways, many times: no deadlock,
 * and a live worker's CPU time shows up (read from /proc). */
static void test_procpool_big_pages_and_stats(void **state)
{
	struct procpool *pool;
	struct procpool_stats st;
	char err[512];
	size_t len;
	char *page = make_page(3, 4, 2u << 20, &len);
	unsigned rounds = UNDER_SANITIZER ? 3 : 8;

	(void)state;
	pool = new_pool(1, PAGE_TIMEOUT_MS, 0);
	for (unsigned i = 0; i < rounds; i++) {
		if (!parse_and_compare(pool, "http://big.example/", NULL, page, len, all_kinds, err,
				       sizeof(err)))
			fail_msg("round %u: %s", i, err);
	}
	st = procpool_stats(pool);
	assert_int_equal(st.pages, rounds);
	assert_int_equal(st.bytes_in, (uint64_t)rounds * len);
	assert_true(st.parse_ms > 0);
	assert_true(st.worker_cpu_s > 0); /* its start-up alone costs ticks */
	procpool_free(pool);
	free(page);
	assert_no_children();
}

/* Parses `page` expecting a worker failure whose message holds `want`;
 * then checks that the pool carries on with a fresh worker. */
static void expect_worker_failure(struct procpool *pool, const char *page, const char *want,
				  uint64_t restarts_before)
{
	struct html_links links = {0};
	struct procpool_stats st;
	char err[512] = "";
	size_t len;
	char *good = make_page(5, 6, 0, &len);
	enum fa_err rc;

	rc = procpool_parse(pool, "http://poison.example/", NULL, page, strlen(page), all_kinds,
			    &links, err, sizeof(err));
	if (rc != FA_ERR_PARSE || !strstr(err, want))
		fail_msg("got %s, \"%s\"; wanted FA_ERR_PARSE, \"...%s...\"", fa_strerror(rc), err,
			 want);
	print_message("    worker failure reported as: %s\n", err);
	assert_int_equal(links.count, 0);
	st = procpool_stats(pool);
	assert_int_equal(st.restarts, restarts_before + 1);
	assert_int_equal(st.failures, 1);
	for (int i = 0; i < 3; i++) {
		if (!parse_and_compare(pool, "http://after.example/", NULL, good, len, all_kinds,
				       err, sizeof(err)))
			fail_msg("after the failure: %s", err);
	}
	assert_int_equal(procpool_stats(pool).restarts, restarts_before + 1);
	free(good);
}

static void test_procpool_crash_replaces_worker(void **state)
{
	static const char page[] = "<html><a href=/x>x</a><!--fetchall-test:crash--></html>";
	int fds = count_open_fds();
	struct procpool *pool;

	(void)state;
	pool = new_pool(1, PAGE_TIMEOUT_MS, 0);
	expect_worker_failure(pool, page, "crashed (signal 6)", 0);
	/* The crashed worker was reaped with its rusage. */
	assert_true(procpool_stats(pool).worker_cpu_s > 0);
	procpool_free(pool);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

static void test_procpool_hang_times_out(void **state)
{
	static const char page[] = "<html><!--fetchall-test:hang--></html>";
	int fds = count_open_fds();
	struct procpool *pool;
	char want[64];
	uint64_t t0;
	double took;

	(void)state;
	pool = new_pool(2, HANG_TIMEOUT_MS, 0);
	snprintf(want, sizeof(want), "timed out after %d ms", HANG_TIMEOUT_MS);
	t0 = sync_now_ns();
	expect_worker_failure(pool, page, want, 0);
	took = elapsed_ms(t0);
	assert_true(took >= HANG_TIMEOUT_MS);
	assert_true(took < HANG_TIMEOUT_MS + 15000);
	procpool_free(pool);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

static void test_procpool_memory_cap_replaces_worker(void **state)
{
	static const char page[] = "<html><!--fetchall-test:oom--></html>";
	int fds = count_open_fds();
	struct procpool *pool;

	(void)state;
	if (UNDER_SANITIZER) {
		print_message("skipped: ASan/TSan reserve more address space than any "
			      "RLIMIT_AS a test can hit, so a capped worker cannot start\n");
		skip();
	}
	pool = new_pool(1, PAGE_TIMEOUT_MS, MEM_LIMIT);
	expect_worker_failure(pool, page, "exceeded its memory limit", 0);
	procpool_free(pool);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

/* Fills pids[] with this process's children (from /proc/PID/stat's ppid
 * field); returns how many. */
static size_t find_children(pid_t *pids, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *ent;
	size_t n = 0;

	assert_non_null(d);
	while ((ent = readdir(d)) != NULL && n < cap) {
		char path[300], buf[512], *close_paren;
		long ppid;
		FILE *f;

		if (ent->d_name[0] < '1' || ent->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", ent->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
		fclose(f);
		close_paren = strrchr(buf, ')');
		/* After ")": " S PPID ..." */
		if (close_paren && sscanf(close_paren + 1, " %*c %ld", &ppid) == 1 &&
		    ppid == (long)getpid())
			pids[n++] = (pid_t)strtol(ent->d_name, NULL, 10);
	}
	closedir(d);
	return n;
}

/* Each worker holds its stdin and stdout pipes (and the stderr it
 * inherited), never another worker's pipe ends or anything else. */
static void test_procpool_workers_hold_only_their_pipes(void **state)
{
	struct procpool *pool;
	pid_t pids[16];
	size_t n;
	char err[512];
	size_t len;
	char *page = make_page(1, 1, 0, &len);

	(void)state;
	pool = new_pool(3, PAGE_TIMEOUT_MS, 0);
	/* Round trips, so that workers are past their start-up. */
	for (int i = 0; i < 3; i++) {
		if (!parse_and_compare(pool, "http://a.example/", NULL, page, len, all_kinds, err,
				       sizeof(err)))
			fail_msg("%s", err);
	}
	n = find_children(pids, 16);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		char dir[64], extra[32] = "";
		/* The round trips may all have gone to one worker, and another
		 * may still be starting (loading libxml2, its locale), with a
		 * file open for a moment: a descriptor must be gone within
		 * 10 s (in 100 ms looks) to be a transient one, not a leak. */
		for (int look = 0; look < 100; look++) {
			bool has0 = false, has1 = false;
			struct dirent *ent;
			DIR *d;

			snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pids[i]);
			d = opendir(dir);
			assert_non_null(d);
			extra[0] = '\0';
			while ((ent = readdir(d)) != NULL) {
				if (ent->d_name[0] == '.')
					continue;
				if (strcmp(ent->d_name, "0") == 0)
					has0 = true;
				else if (strcmp(ent->d_name, "1") == 0)
					has1 = true;
				else if (strcmp(ent->d_name, "2") != 0)
					snprintf(extra, sizeof(extra), "%.20s", ent->d_name);
			}
			closedir(d);
			assert_true(has0 && has1);
			if (!extra[0])
				break;
			sync_sleep_ms(100);
		}
		if (extra[0])
			fail_msg("worker %ld holds descriptor %s", (long)pids[i], extra);
	}
	procpool_free(pool);
	free(page);
	assert_no_children();
}

/* Several failures of every kind under concurrent load; at the end no
 * zombie and no descriptor is left. */
static void test_procpool_free_leaves_no_zombies_or_fds(void **state)
{
	static const char crash[] = "<!--fetchall-test:crash-->";
	int fds = count_open_fds();
	struct html_links links = {0};
	struct concurrent c[3];
	pthread_t threads[3];
	struct procpool *pool;
	char err[256];

	(void)state;
	pool = new_pool(3, PAGE_TIMEOUT_MS, 0);
	for (unsigned t = 0; t < 3; t++) {
		c[t] = (struct concurrent){.pool = pool, .index = t, .pages = 10};
		assert_int_equal(pthread_create(&threads[t], NULL, parse_many, &c[t]), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(procpool_parse(pool, "http://c/", NULL, crash, strlen(crash),
						all_kinds, &links, err, sizeof(err)),
				 FA_ERR_PARSE);
	for (unsigned t = 0; t < 3; t++)
		assert_int_equal(pthread_join(threads[t], NULL), 0);
	for (unsigned t = 0; t < 3; t++)
		assert_int_equal(c[t].failed, 0);
	assert_int_equal(procpool_stats(pool).restarts, 3);
	procpool_free(pool);
	procpool_free(NULL);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

static void test_procpool_new_fails_cleanly_on_missing_exe(void **state)
{
	struct procpool_opts opts = {
	    .nprocs = 3,
	    .timeout_ms = 1000,
	    .exe = "/nonexistent/fetchall",
	    .argv = worker_argv,
	};
	struct procpool *pool = (struct procpool *)&opts; /* must be reset */
	int fds = count_open_fds();
	char err[256] = "";

	(void)state;
	assert_int_equal(procpool_new(&opts, &pool, err, sizeof(err)), FA_ERR_IO);
	assert_null(pool);
	assert_non_null(strstr(err, "/nonexistent/fetchall"));
	assert_non_null(strstr(err, "No such file"));
	opts.nprocs = 0;
	assert_int_equal(procpool_new(&opts, &pool, err, sizeof(err)), FA_ERR_ARG);
	assert_null(pool);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

struct cancel_run {
	struct procpool *pool;
	enum fa_err rc;
	double took_ms;
};

static void *parse_hang(void *arg)
{
	static const char page[] = "<!--fetchall-test:hang-->";
	struct cancel_run *run = arg;
	struct html_links links = {0};
	uint64_t t0 = sync_now_ns();
	char err[256];

	run->rc = procpool_parse(run->pool, "http://hang/", NULL, page, strlen(page), all_kinds,
				 &links, err, sizeof(err));
	run->took_ms = elapsed_ms(t0);
	html_links_release(&links);
	return NULL;
}

/* Last: the cancel flag stays up for the rest of the process. */
static void test_procpool_cancel_stops_a_parse(void **state)
{
	struct cancel_run run = {0};
	struct html_links links = {0};
	struct procpool *pool;
	pthread_t thread;
	char err[256];
	size_t len;
	char *page = make_page(1, 1, 0, &len);

	(void)state;
	assert_int_equal(cancel_init(NULL, NULL), FA_OK);
	pool = new_pool(1, PAGE_TIMEOUT_MS, 0);
	run.pool = pool;
	assert_int_equal(pthread_create(&thread, NULL, parse_hang, &run), 0);
	/* Whether the cancel lands before or during the parse, the answer is
	 * the same; the pause only makes "during" the likely case. */
	cancel_sleep_ms(200);
	cancel_trigger(0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(run.rc, FA_ERR_CANCELLED);
	assert_true(run.took_ms < PAGE_TIMEOUT_MS);
	assert_int_equal(
	    procpool_parse(pool, "http://a/", NULL, page, len, all_kinds, &links, err, sizeof(err)),
	    FA_ERR_CANCELLED);
	assert_int_equal(procpool_stats(pool).failures, 0);
	procpool_free(pool);
	cancel_release();
	free(page);
	assert_no_children();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_procpool_parses_like_html_extract),
	    cmocka_unit_test(test_procpool_passes_parser_errors),
	    cmocka_unit_test(test_procpool_concurrent_1_worker),
	    cmocka_unit_test(test_procpool_concurrent_2_workers),
	    cmocka_unit_test(test_procpool_concurrent_4_workers),
	    cmocka_unit_test(test_procpool_big_pages_and_stats),
	    cmocka_unit_test(test_procpool_workers_hold_only_their_pipes),
	    cmocka_unit_test(test_procpool_crash_replaces_worker),
	    cmocka_unit_test(test_procpool_hang_times_out),
	    cmocka_unit_test(test_procpool_memory_cap_replaces_worker),
	    cmocka_unit_test(test_procpool_free_leaves_no_zombies_or_fds),
	    cmocka_unit_test(test_procpool_new_fails_cleanly_on_missing_exe),
	    cmocka_unit_test(test_procpool_cancel_stops_a_parse),
	};
	struct rlimit no_core = {0, 0};

	signal(SIGPIPE, SIG_IGN);
	/* Crash tests abort() workers on purpose: no core files. */
	setrlimit(RLIMIT_CORE, &no_core);
	xmlInitParser();
	if (argc > 1 && strcmp(argv[1], "--parse-worker") == 0)
		return procpool_worker_main(0, 1);
	if (setenv("FETCHALL_TEST_HOOKS", "1", 1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
