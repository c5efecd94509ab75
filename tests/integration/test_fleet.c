/*
 * End-to-end tests of --redis: a job shared by several fetchall processes
 * through a redis-server of the test's own (a unix socket in a temporary
 * directory).  The site is the test server's /fleet: HOSTS servers, each
 * port a host, N pages linking across them (tsrv_fleet_links()).
 *
 *  - the same pages with 4 workers as with 1, each fetched once;
 *  - politeness fleet-wide: --per-host 1 --wait 0.05 never overlaps two
 *    requests to a host, and never starts two closer than 50 ms, across
 *    every worker (the servers' /stats/log);
 *  - kill -9 of a worker at a random moment, restarted: the same pages,
 *    duplicates at most what was in flight, every process exits by itself;
 *  - Redis drops every connection, six times: nothing is lost;
 *  - a second owner of a live shard is refused with one line (exit 2);
 *  - --enqueue a list, workers fetch each line once; --status;
 *  - Redis that cannot be reached at start: one line, exit 2;
 *  - --convert-links: each worker points the links to pages it saved at
 *    its own files, and leaves the other shards' pages absolute URLs.
 *
 * Skipped, saying so, when redis-server is not installed.
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

#define HOSTS     6
#define WORKERS   4
#define RUN_S     120
#define MAX_PAGES 2000
#define WAIT_MS   50

static struct h_server servers[HOSTS];
static struct h_redis redis;
static bool have_redis;
static char ports[HOSTS * 8];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int group_setup(void **state)
{
	size_t n = 0;
	int rc;

	(void)state;
	rc = h_redis_start(&redis);
	if (rc == -2)
		return 0; /* each test skips */
	if (rc != 0)
		return -1;
	have_redis = true;
	for (int i = 0; i < HOSTS; i++) {
		if (h_server_start(&servers[i], NULL) != 0)
			return -1;
		n += (size_t)snprintf(ports + n, sizeof(ports) - n, "%s%d", i ? "," : "",
				      servers[i].port);
	}
	return 0;
}

static int group_teardown(void **state)
{
	int rc = 0;

	(void)state;
	for (int i = 0; i < HOSTS; i++)
		rc |= h_server_stop(&servers[i]);
	if (have_redis)
		rc |= h_redis_stop(&redis);
	return rc;
}

/* A fresh directory, and every server's counters and log reset. */
static int setup(void **state)
{
	if (h_tmp_setup(state) != 0)
		return -1;
	for (int i = 0; i < HOSTS; i++)
		if (have_redis && h_server_reset(&servers[i], NULL) != 0)
			return -1;
	return 0;
}

#define NEED_REDIS()                                                      \
	do {                                                              \
		if (!have_redis) {                                        \
			print_message("redis-server is not installed\n"); \
			skip();                                           \
		}                                                         \
	} while (0)

/* The site's start page: page 0 of n on the first host. */
static void start_url(char *buf, size_t len, unsigned n, unsigned delay_ms)
{
	if (delay_ms)
		snprintf(buf, len, "%s/fleet/0.html?ports=%s&n=%u&delay=%u", servers[0].base, ports,
			 n, delay_ms);
	else
		snprintf(buf, len, "%s/fleet/0.html?ports=%s&n=%u", servers[0].base, ports, n);
}

/* A worker of job for shard k/n, in its own directory under c->dir
 * (w<tag>/: stdout, stderr, out/).  extra: more arguments, NULL-ended. */
static pid_t spawn_worker(const struct h_tmp *c, const char *job, unsigned k, unsigned n,
			  const char *start, const char *tag, const char *const *extra)
{
	char dir[4200], out[4300], shard[32];
	const char *argv[40] = {
	    "fetchall", "--crawl", start, "--span-hosts", "-d",  "inf", "--redis",
	    redis.url,  "--job",   job,   "--shard",      shard, "-o",  out,
	    "--json",   "-j",      "4"};
	int argc = 17;

	snprintf(dir, sizeof(dir), "%s/w%s", c->dir, tag);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(shard, sizeof(shard), "%u/%u", k, n);
	mkdir(dir, 0700);
	for (; extra && *extra && argc < 39; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	return h_spawn(argv, NULL, dir);
}

/* Waits for pid; asserts it exited by itself with status want, and the
 * --json invariants, each saved file's size against its line's bytes
 * too unless the run rewrote its pages afterwards (!sizes_as_saved). */
static void reap_checked(const struct h_tmp *c, pid_t pid, const char *tag, int want,
			 bool sizes_as_saved)
{
	char path[4400], *err = NULL, *out = NULL, dir[4300];
	size_t len;
	int status;

	assert_true(pid > 0);
	assert_int_equal(h_wait(pid, RUN_S, &status), 0);
	snprintf(dir, sizeof(dir), "%s/w%s", c->dir, tag);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	(void)h_read_file(path, &err, &len);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	(void)h_read_file(path, &out, &len);
	snprintf(path, sizeof(path), "%s/out", dir);
	if (want >= 0 && status != want)
		fail_msg("worker %s: status %d, stderr:\n%s", tag, status, err ? err : "");
	if (want >= 0)
		H_ASSERT_SANE(status, 0, err, out, sizes_as_saved ? path : NULL);
	free(err);
	free(out);
}

static void reap(const struct h_tmp *c, pid_t pid, const char *tag, int want)
{
	reap_checked(c, pid, tag, want, true);
}

/* Calls take(arg, line, page) for each --json line of w<tag>/stdout that
 * has a URL, page the number of the site's page it names; returns how
 * many lines take() took (a worker killed mid-line leaves its last one
 * cut: take() says false).  0 if the file cannot be read. */
static unsigned each_page(const struct h_tmp *c, const char *tag, unsigned n,
			  bool (*take)(void *arg, const char *line, unsigned page), void *arg)
{
	char path[4300], *data = NULL, url[4096];
	size_t len;
	unsigned lines = 0;

	snprintf(path, sizeof(path), "%s/w%s/stdout", c->dir, tag);
	if (h_read_file(path, &data, &len) != 0)
		return 0;
	for (char *line = data, *end; line && *line; line = end ? end + 1 : NULL) {
		const char *p;
		unsigned page;

		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (!h_json_get(line, "url", url, sizeof(url)))
			continue;
		p = strstr(url, "/fleet/");
		if (!p || sscanf(p, "/fleet/%u.html", &page) != 1 || page >= n)
			fail_msg("a URL not of the site: %s", url);
		lines += take(arg, line, page);
	}
	free(data);
	return lines;
}

/* each_page(): a whole line counted for its page, which must be ok */
static bool count_ok(void *arg, const char *line, unsigned page)
{
	unsigned *count = arg;
	char ok[16];

	if (!h_json_get(line, "ok", ok, sizeof(ok)))
		return false; /* cut */
	if (strcmp(ok, "true") != 0)
		fail_msg("failed: %s", line);
	count[page]++;
	return true;
}

/* Adds the pages (by number) of the --json lines in w<tag>/stdout to
 * count[]; returns the number of lines, each with ok true. */
static unsigned tally(const struct h_tmp *c, const char *tag, unsigned *count, unsigned n)
{
	return each_page(c, tag, n, count_ok, count);
}

static void test_fleet_same_result_as_one(void **state)
{
	struct h_tmp *c = *state;
	unsigned n = 300, one[MAX_PAGES] = {0}, four[MAX_PAGES] = {0};
	char start[1024];
	pid_t pids[WORKERS];
	char tag[8];

	NEED_REDIS();
	start_url(start, sizeof(start), n, 0);
	reap(c, spawn_worker(c, "one", 1, 1, start, "1", NULL), "1", 0);
	assert_int_equal(tally(c, "1", one, n), n);
	for (unsigned k = 0; k < WORKERS; k++) {
		snprintf(tag, sizeof(tag), "4-%u", k + 1);
		pids[k] = spawn_worker(c, "four", k + 1, WORKERS, start, tag, NULL);
	}
	for (unsigned k = 0; k < WORKERS; k++) {
		snprintf(tag, sizeof(tag), "4-%u", k + 1);
		reap(c, pids[k], tag, 0);
		tally(c, tag, four, n);
	}
	/* every page, once, both ways */
	for (unsigned i = 0; i < n; i++) {
		if (one[i] != 1 || four[i] != 1)
			fail_msg("page %u: fetched %u times by one worker, %u by four", i, one[i],
				 four[i]);
	}
}

static int by_start(const void *a, const void *b)
{
	const struct h_log_entry *x = a, *y = b;

	return x->start_us < y->start_us ? -1 : x->start_us > y->start_us;
}

static void test_fleet_politeness(void **state)
{
	struct h_tmp *c = *state;
	unsigned n = 60, count[MAX_PAGES] = {0};
	char start[1024], tag[8];
	const char *extra[] = {"--per-host", "1", "--wait", "0.05", NULL};
	pid_t pids[WORKERS];
	unsigned pages = 0;

	NEED_REDIS();
	start_url(start, sizeof(start), n, 0);
	for (unsigned k = 0; k < WORKERS; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		pids[k] = spawn_worker(c, "polite", k + 1, WORKERS, start, tag, extra);
	}
	for (unsigned k = 0; k < WORKERS; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		reap(c, pids[k], tag, 0);
		pages += tally(c, tag, count, n);
	}
	assert_int_equal(pages, n);
	for (int h = 0; h < HOSTS; h++) {
		struct h_log_entry *log = NULL;
		size_t len = 0;

		assert_int_equal(h_server_log(&servers[h], &log, &len), 0);
		qsort(log, len, sizeof(*log), by_start);
		for (size_t i = 1; i < len; i++) {
			long long gap = log[i].start_us - log[i - 1].start_us;

			if (log[i].start_us < log[i - 1].end_us)
				fail_msg("host %d: %s overlaps %s", h, log[i].path,
					 log[i - 1].path);
			/* --per-host 1: the wait runs from the end of one
			 * request to the start of the next, so no slack */
			if (gap < WAIT_MS * 1000)
				fail_msg("host %d: %lld us between %s and %s", h, gap,
					 log[i - 1].path, log[i].path);
		}
		free(log);
	}
}

static void test_fleet_kill9_restart(void **state)
{
	struct h_tmp *c = *state;
	unsigned n = 600, count[MAX_PAGES] = {0}, lines = 0, duplicates = 0, kills = 0;
	char start[1024], tag[16];
	pid_t pids[WORKERS];
	struct timespec ts;

	NEED_REDIS();
	clock_gettime(CLOCK_REALTIME, &ts);
	srand((unsigned)ts.tv_nsec);
	start_url(start, sizeof(start), n, 30);
	for (unsigned k = 0; k < WORKERS; k++) {
		snprintf(tag, sizeof(tag), "%u-0", k + 1);
		pids[k] = spawn_worker(c, "kill", k + 1, WORKERS, start, tag, NULL);
	}
	/* twice: one worker killed at a random moment, started again */
	for (unsigned round = 1; round <= 2; round++) {
		unsigned k = (unsigned)rand() % WORKERS;
		int status;

		sleep_ms(150 + rand() % 450);
		if (kill(pids[k], SIGKILL) == 0)
			kills++;
		assert_int_equal(h_wait(pids[k], RUN_S, &status), 0);
		snprintf(tag, sizeof(tag), "%u-%u", k + 1, round);
		pids[k] = spawn_worker(c, "kill", k + 1, WORKERS, start, tag, NULL);
	}
	for (unsigned k = 0; k < WORKERS; k++) {
		/* the last of each shard exits by itself, 0 */
		for (unsigned round = 2;; round--) {
			char path[4300];
			struct stat st;

			snprintf(tag, sizeof(tag), "%u-%u", k + 1, round);
			snprintf(path, sizeof(path), "%s/w%s", c->dir, tag);
			if (stat(path, &st) == 0) {
				reap(c, pids[k], tag, 0);
				break;
			}
			if (round == 0)
				break;
		}
	}
	for (unsigned k = 0; k < WORKERS; k++) {
		for (unsigned round = 0; round <= 2; round++) {
			snprintf(tag, sizeof(tag), "%u-%u", k + 1, round);
			lines += tally(c, tag, count, n);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (count[i] == 0)
			fail_msg("page %u never fetched after %u kills", i, kills);
		duplicates += count[i] - 1;
	}
	print_message("%u kills: %u lines for %u pages, %u written twice\n", kills, lines, n,
		      duplicates);
	/* at most what was in flight: -j 4 and the few results written but
	 * not yet acknowledged, per kill */
	assert_true(duplicates <= kills * 16);
}

/* Redis drops every client's connection, six times during the crawl:
 * the workers reconnect, send again what was not confirmed, take the
 * entries a lost reply delivered, and finish with every page. */
static void test_fleet_connections_dropped(void **state)
{
	struct h_tmp *c = *state;
	unsigned n = 400, count[MAX_PAGES] = {0}, lines = 0;
	char start[1024], tag[8], path[4300], *err = NULL;
	const char *killc[] = {"CLIENT", "KILL", "TYPE", "normal"};
	pid_t pids[2];
	size_t len;

	NEED_REDIS();
	start_url(start, sizeof(start), n, 20);
	for (unsigned k = 0; k < 2; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		pids[k] = spawn_worker(c, "drops", k + 1, 2, start, tag, NULL);
	}
	for (int i = 0; i < 6; i++) {
		char *out = NULL;

		sleep_ms(150 + 50 * i);
		/* the reply may be lost with its own connection */
		if (h_redis_cmd(&redis, &out, 4, killc) == 0)
			free(out);
	}
	for (unsigned k = 0; k < 2; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		reap(c, pids[k], tag, 0);
	}
	for (unsigned k = 0; k < 2; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		lines += tally(c, tag, count, n);
	}
	for (unsigned i = 0; i < n; i++)
		if (count[i] == 0)
			fail_msg("page %u never fetched", i);
	/* and a worker said what happened */
	snprintf(path, sizeof(path), "%s/w1/stderr", c->dir);
	assert_int_equal(h_read_file(path, &err, &len), 0);
	snprintf(path, sizeof(path), "%s/w2/stderr", c->dir);
	if (!strstr(err, "retrying")) {
		free(err);
		assert_int_equal(h_read_file(path, &err, &len), 0);
	}
	assert_non_null(strstr(err, "retrying (nothing is lost)"));
	free(err);
	print_message("%u lines for %u pages after 6 dropped connections\n", lines, n);
}

static void test_fleet_second_owner_refused(void **state)
{
	struct h_tmp *c = *state;
	unsigned n = 200, count[MAX_PAGES] = {0};
	char start[1024], path[4300], *err = NULL;
	size_t len;
	pid_t first, second;
	int status;

	NEED_REDIS();
	start_url(start, sizeof(start), n, 20);
	first = spawn_worker(c, "owned", 1, 1, start, "a", NULL);
	sleep_ms(500);
	second = spawn_worker(c, "owned", 1, 1, start, "b", NULL);
	assert_int_equal(h_wait(second, RUN_S, &status), 0);
	assert_int_equal(status, 2);
	snprintf(path, sizeof(path), "%s/wb/stderr", c->dir);
	assert_int_equal(h_read_file(path, &err, &len), 0);
	if (!strstr(err, "is owned by") || strchr(err, '\n') != err + len - 1)
		fail_msg("second owner's stderr:\n%s", err);
	free(err);
	reap(c, first, "a", 0);
	assert_int_equal(tally(c, "a", count, n), n);
}

static void test_fleet_enqueue_list(void **state)
{
	struct h_tmp *c = *state;
	char *list = NULL, tag[8], path[4300], *out = NULL;
	size_t cap = 64 * 1024, len = 0;
	unsigned lines = 0;
	pid_t pids[2];
	int status;
	struct h_result r;

	NEED_REDIS();
	list = malloc(cap);
	assert_non_null(list);
	for (unsigned i = 0; i < 120; i++)
		len += (size_t)snprintf(list + len, cap - len, "%s/bytes/%u?seed=%u\n",
					servers[i % HOSTS].base, 100 + i, i);
	{
		const char *argv[] = {"fetchall", "-",    "--redis",   redis.url,
				      "--job",    "list", "--enqueue", NULL};

		assert_int_equal(h_run(argv, list, RUN_S, &r), 0);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.err, "enqueued 120 URLs"));
		h_result_release(&r);
	}
	for (unsigned k = 0; k < 2; k++) {
		char shard[8], dir[4200], outdir[4300];
		const char *argv[] = {"fetchall", "--redis", redis.url, "--job",  "list", "--shard",
				      shard,      "-o",      outdir,    "--json", NULL};

		snprintf(shard, sizeof(shard), "%u/2", k + 1);
		snprintf(tag, sizeof(tag), "%u", k + 1);
		snprintf(dir, sizeof(dir), "%s/w%s", c->dir, tag);
		snprintf(outdir, sizeof(outdir), "%s/out", dir);
		mkdir(dir, 0700);
		pids[k] = h_spawn(argv, NULL, dir);
	}
	for (unsigned k = 0; k < 2; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		reap(c, pids[k], tag, 0);
		snprintf(path, sizeof(path), "%s/w%s/stdout", c->dir, tag);
		assert_int_equal(h_read_file(path, &out, &len), 0);
		for (char *p = out; (p = strchr(p, '\n')); p++)
			lines++;
		/* the list's lines keep their numbers */
		assert_null(strstr(out, "\"line\":0,"));
		free(out);
	}
	assert_int_equal(lines, 120);
	{
		const char *argv[] = {"fetchall", "--redis",  redis.url, "--job",
				      "list",     "--status", NULL};

		assert_int_equal(h_run(argv, NULL, RUN_S, &r), 0);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "0 URLs not done (finished)"));
		h_result_release(&r);
	}
	(void)status;
	free(list);
}

/* --include/--exclude apply to what --enqueue loads, as they do to a
 * list run's lines: the URLs refused never reach the job, and the count
 * says how many were left out. */
static void test_fleet_enqueue_filtered(void **state)
{
	struct h_tmp *c = *state;
	char list[8192], path[4300], *out = NULL, dir[4200], outdir[4300];
	size_t len = 0, outlen;
	unsigned lines = 0;
	struct h_result r;
	pid_t pid;

	NEED_REDIS();
	for (unsigned i = 0; i < 30; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s/bytes/100/%s%u.%s\n",
					servers[i % HOSTS].base, i % 3 ? "keep" : "drop", i,
					i % 3 ? "bin" : "gif");
	{
		const char *argv[] = {"fetchall", "-",         "--redis",   redis.url, "--job",
				      "filtered", "--enqueue", "--exclude", "\\.gif$", NULL};

		assert_int_equal(h_run(argv, list, RUN_S, &r), 0);
		assert_int_equal(r.status, 0);
		if (!strstr(r.err, "enqueued 20 URLs to job filtered (10 left out by"))
			fail_msg("stderr: %s", r.err);
		h_result_release(&r);
	}
	{
		const char *argv[] = {"fetchall", "-",         "--redis",   redis.url, "--job",
				      "filtered", "--enqueue", "--exclude", "(",       NULL};

		assert_int_equal(h_run(argv, list, RUN_S, &r), 0);
		assert_int_equal(r.status, 2); /* a pattern that does not compile */
		h_result_release(&r);
	}
	snprintf(dir, sizeof(dir), "%s/w", c->dir);
	snprintf(outdir, sizeof(outdir), "%s/out", dir);
	mkdir(dir, 0700);
	{
		const char *argv[] = {"fetchall", "--redis", redis.url, "--job",
				      "filtered", "--shard", "1/1",     "-o",
				      outdir,     "--json",  NULL};

		pid = h_spawn(argv, NULL, dir);
	}
	reap(c, pid, "", 0);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	assert_int_equal(h_read_file(path, &out, &outlen), 0);
	for (char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 20);
	assert_null(strstr(out, ".gif"));
	free(out);
	assert_int_equal(h_count_files(outdir, ".bin"), 20);
	assert_int_equal(h_count_files(outdir, NULL), 20);
}

static void test_fleet_redis_unreachable(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	char url[4300];
	const char *argv[] = {
	    "fetchall", "--crawl", "http://127.0.0.1:1/", "--redis", url, "--job", "x", "--shard",
	    "1/2",      NULL};

	(void)c;
	snprintf(url, sizeof(url), "unix:%s/nothing.sock", c->dir);
	assert_int_equal(h_run(argv, NULL, RUN_S, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot reach redis"));
	assert_int_equal(strchr(r.err, '\n') - r.err, (long)r.err_len - 1);
	h_result_release(&r);
}

/* each_page(): the saved file's path for its page */
static bool note_path(void *arg, const char *line, unsigned page)
{
	char(*paths)[512] = arg, path[512];

	if (!h_json_get(line, "path", path, sizeof(path)))
		fail_msg("a --json line without a path: %s", line);
	snprintf(paths[page], sizeof(paths[page]), "%s", path);
	return true;
}

/* The saved pages of worker w<tag> (by page number: their paths under
 * its out/, "" for a page it did not save), from its --json lines.  A
 * worker may have saved none: its shard may hold none of the hosts. */
static void saved_pages(const struct h_tmp *c, const char *tag, char (*paths)[512], unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		paths[i][0] = '\0';
	(void)each_page(c, tag, n, note_path, paths);
}

/*
 * Each worker of a --convert-links crawl converts the pages it saved:
 * a link to a page it saved becomes the relative path of its file (which
 * holds that page), a link to a page another shard saved stays an
 * absolute URL (the file is on that worker's disk, not this one's).
 */
static void test_fleet_convert_links(void **state)
{
	struct h_tmp *c = *state;
	enum { N = 60 };
	static char paths[2][N][512];
	const char *extra[] = {"--convert-links", NULL};
	unsigned local = 0, remote = 0;
	char start[1024], tag[8];
	pid_t pids[2];

	NEED_REDIS();
	start_url(start, sizeof(start), N, 0);
	for (unsigned k = 0; k < 2; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		pids[k] = spawn_worker(c, "conv", k + 1, 2, start, tag, extra);
	}
	for (unsigned k = 0; k < 2; k++) {
		snprintf(tag, sizeof(tag), "%u", k + 1);
		/* the --json lines say what was saved, before the rewrite */
		reap_checked(c, pids[k], tag, 0, false);
		saved_pages(c, tag, paths[k], N);
	}
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < N; i++) {
			char file[8192], *html = NULL, *dirend;
			size_t len;

			if (!paths[k][i][0])
				continue;
			snprintf(file, sizeof(file), "%s/w%u/out/%s", c->dir, k + 1, paths[k][i]);
			assert_int_equal(h_read_file(file, &html, &len), 0);
			dirend = strrchr(file, '/');
			for (const char *a = html; (a = strstr(a, "<a href=\"")); a++) {
				const char *href = a + strlen("<a href=\""), *q = strchr(href, '"');
				char target[8192], *body = NULL, want[64];
				unsigned page;
				size_t blen;

				assert_non_null(q);
				if (sscanf(q, "\">page %u<", &page) != 1 || page >= N)
					fail_msg("page %u: a link without its number: %.80s", i, a);
				if (strncmp(href, "http://127.0.0.1:", 17) == 0) {
					/* absolute: a page this worker did not save */
					if (paths[k][page][0])
						fail_msg(
						    "worker %u, page %u: page %u is saved here, "
						    "the link is still %.*s",
						    k + 1, i, page, (int)(q - href), href);
					remote++;
					continue;
				}
				if (!paths[k][page][0])
					fail_msg(
					    "worker %u, page %u: a local link %.*s to page %u, "
					    "which it did not save",
					    k + 1, i, (int)(q - href), href, page);
				snprintf(target, sizeof(target), "%.*s/%.*s", (int)(dirend - file),
					 file, (int)(q - href), href);
				if (h_read_file(target, &body, &blen) != 0)
					fail_msg("worker %u, page %u: %s does not open", k + 1, i,
						 target);
				snprintf(want, sizeof(want), "Fleet page %u of", page);
				assert_non_null(strstr(body, want));
				free(body);
				local++;
			}
			free(html);
		}
	}
	/* Both kinds were there to check, unless the six hosts all fell to
	 * one shard (the ports are the system's; 1 time in 32): then one
	 * worker saved every page, and every link was its own. */
	{
		unsigned saved[2] = {0, 0};

		for (unsigned k = 0; k < 2; k++)
			for (unsigned i = 0; i < N; i++)
				saved[k] += paths[k][i][0] != '\0';
		assert_int_equal(saved[0] + saved[1], N);
		assert_true(local > 0);
		if (saved[0] && saved[1])
			assert_true(remote > 0);
		else
			assert_int_equal(remote, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fleet_same_result_as_one, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_politeness, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_kill9_restart, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_connections_dropped, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_second_owner_refused, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_enqueue_list, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_enqueue_filtered, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_redis_unreachable, setup, h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_convert_links, setup, h_tmp_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
