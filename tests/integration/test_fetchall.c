/*
 * End-to-end tests of the fetchall binary against the test server.
 *
 * One server serves the whole group (started in the group setup); every
 * test works in its own temporary directory, writes its URL list there,
 * runs the real binary with a time bound and asserts on exit codes, the
 * files it left (byte for byte), its JSON lines and the server's counters.
 * Keys in /flaky and /retry-after URLs are unique per test so tests never
 * see each other's state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"

#define RUN_TIMEOUT 120

extern char **environ;

static struct h_server server;

/* Given to every run when set: the second pass runs the tests marked
 * below again with every transfer driven by mux lanes (--multiplex=all:
 * libcurl's callbacks on a lane's thread, the hand-over and back), which
 * the test server, speaking HTTP/1.1 only, would otherwise never see. */
static const char *mux_arg;

struct ctx {
	char *dir;
	char list[4096];
	char out[4096];
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

	if (!c)
		return -1;
	c->dir = h_tmpdir();
	if (!c->dir)
		return -1;
	snprintf(c->list, sizeof(c->list), "%s/urls.txt", c->dir);
	snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
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

/* Writes the list: each argument is a path on the test server, or, when
 * it starts with '!', a literal line. */
static void write_list(struct ctx *c, const char *const *paths, size_t n)
{
	size_t cap = 1024, len = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		char line[2048];
		int k = paths[i][0] == '!'
			    ? snprintf(line, sizeof(line), "%s\n", paths[i] + 1)
			    : snprintf(line, sizeof(line), "%s%s\n", server.base, paths[i]);

		assert_true(k > 0 && (size_t)k < sizeof(line));
		while (len + (size_t)k + 1 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		memcpy(buf + len, line, (size_t)k);
		len += (size_t)k;
	}
	assert_int_equal(h_write_file(c->list, buf, len), 0);
	free(buf);
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

/* Runs fetchall LIST -o OUT extra...; extra ends with NULL. */
static void run(struct ctx *c, struct h_result *r, const char *stdin_data, ...)
{
	const char *argv[48];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = "fetchall";
	argv[argc++] = stdin_data ? "-" : c->list;
	argv[argc++] = "-o";
	argv[argc++] = c->out;
	if (mux_arg)
		argv[argc++] = mux_arg;
	va_start(ap, stdin_data);
	while ((a = va_arg(ap, const char *)) && argc < 46)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, stdin_data, RUN_TIMEOUT, r), 0);
	/* under make asan / tsan the child is instrumented too */
	H_ASSERT_RUN_SANE(r, c->out);
}

/* The JSON line whose "url" ends with `suffix`; NULL if none. */
static const char *json_line_for(const char *out, const char *suffix, char *buf, size_t len)
{
	const char *p = out;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *u = strstr(p, "\"url\":\"");

		if (u && u < p + n) {
			const char *q = strchr(u + 7, '"');
			size_t sl = strlen(suffix);

			if (q && (size_t)(q - (u + 7)) >= sl && !strncmp(q - sl, suffix, sl)) {
				if (n >= len)
					n = len - 1;
				memcpy(buf, p, n);
				buf[n] = '\0';
				return buf;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static long json_int(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	assert_non_null(p);
	return strtol(p + strlen(pat), NULL, 10);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_fetchall_200_urls_exact_bytes(void **state)
{
	struct ctx *c = *state;
	const char *paths[200];
	char bufs[200][64];
	struct h_result r;

	for (int i = 0; i < 200; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "/bytes/%d/f%03d.bin", 1000 + i * 37, i);
		paths[i] = bufs[i];
	}
	write_list(c, paths, 200);
	run(c, &r, NULL, "-j", "16", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, NULL), 200);
	for (int i = 0; i < 200; i++) {
		char name[64], path[4200];

		snprintf(name, sizeof(name), "f%03d.bin", i);
		out_path(c, name, path, sizeof(path));
		if (!h_check_bytes(path, (uint64_t)(1000 + i * 37), (uint64_t)(1000 + i * 37)))
			fail_msg("%s differs from the server's bytes", name);
	}
	assert_non_null(strstr(r.err, "200 ok, 0 failed"));
	h_result_release(&r);
}

static void test_fetchall_jobs_bound_reached_not_exceeded(void **state)
{
	struct ctx *c = *state;
	static const unsigned levels[] = {1, 4, 16};

	for (size_t l = 0; l < 3; l++) {
		unsigned j = levels[l], n = j * 3;
		const char **paths = calloc(n, sizeof(*paths));
		char(*bufs)[64] = calloc(n, sizeof(*bufs));
		char jarg[16];
		struct h_stats st;
		struct h_result r;

		assert_non_null(paths);
		assert_non_null(bufs);
		for (unsigned i = 0; i < n; i++) {
			snprintf(bufs[i], sizeof(bufs[i]), "/delay/300/j%u-%u", j, i);
			paths[i] = bufs[i];
		}
		write_list(c, paths, n);
		snprintf(jarg, sizeof(jarg), "%u", j);
		assert_int_equal(h_server_reset(&server, NULL), 0);
		run(c, &r, NULL, "-j", jarg, NULL);
		assert_int_equal(r.status, 0);
		assert_int_equal(h_server_stats(&server, &st), 0);
		assert_int_equal(st.requests, n);
		if (st.max_inflight != (long long)j)
			fail_msg("-j %u: server saw at most %lld at once", j, st.max_inflight);
		h_result_release(&r);
		h_rmrf(c->out);
		free(paths);
		free(bufs);
	}
}

static void test_fetchall_connections_reused(void **state)
{
	struct ctx *c = *state;
	const char *paths[100];
	char bufs[100][48];
	struct h_stats st;
	struct h_result r;

	for (int i = 0; i < 100; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "/bytes/512/r%d", i);
		paths[i] = bufs[i];
	}
	write_list(c, paths, 100);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, NULL, "-j", "4", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 100);
	/* keep-alive: a handful of connections carry all 100 requests */
	assert_true(st.connections <= 8);
	assert_true(st.requests > st.connections);
	h_result_release(&r);
}

static void test_fetchall_retries_transient_statuses(void **state)
{
	struct ctx *c = *state;
	char key[64], p1[128], p2[128], p3[128];
	const char *paths[3] = {p1, p2, p3};
	char line[4096];
	struct h_result r;

	snprintf(key, sizeof(key), "k%ld", (long)getpid());
	snprintf(p1, sizeof(p1), "/flaky/503/2/a?key=%s-a", key);
	snprintf(p2, sizeof(p2), "/flaky/429/1/b?key=%s-b", key);
	snprintf(p3, sizeof(p3), "/status/404/c");
	write_list(c, paths, 3);
	run(c, &r, NULL, "--json", "--retry-wait", "0.05", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(json_line_for(r.out, "-a", line, sizeof(line)));
	assert_int_equal(json_int(line, "attempts"), 3);
	assert_non_null(strstr(line, "\"ok\":true"));
	assert_non_null(json_line_for(r.out, "-b", line, sizeof(line)));
	assert_int_equal(json_int(line, "attempts"), 2);
	/* 404 is final at once */
	assert_non_null(json_line_for(r.out, "/c", line, sizeof(line)));
	assert_int_equal(json_int(line, "attempts"), 1);
	assert_int_equal(json_int(line, "http_code"), 404);
	assert_non_null(strstr(line, "\"error\":\"HTTP 404\""));
	h_result_release(&r);

	/* --retries 0: the first 503 is the answer */
	snprintf(p1, sizeof(p1), "/flaky/503/1/d?key=%s-d", key);
	write_list(c, paths, 1);
	run(c, &r, NULL, "--json", "--retries", "0", NULL);
	assert_int_equal(r.status, 3);
	assert_int_equal(json_int(r.out, "attempts"), 1);
	h_result_release(&r);
}

static void test_fetchall_retry_after_honoured(void **state)
{
	struct ctx *c = *state;
	char p1[128], p2[128];
	const char *paths[2] = {p1, p2};
	struct h_result r;
	double t0;

	snprintf(p1, sizeof(p1), "/retry-after/1/a?key=ra-%ld", (long)getpid());
	snprintf(p2, sizeof(p2), "/retry-after-date/2/b?key=rad-%ld", (long)getpid());
	write_list(c, paths, 2);
	t0 = now_s();
	/* the backoff alone would retry after ~10 ms */
	run(c, &r, NULL, "--json", "--retry-wait", "0.01", NULL);
	assert_int_equal(r.status, 0);
	assert_true(now_s() - t0 >= 0.95);
	assert_int_equal(count_lines(r.out), 2);
	assert_null(strstr(r.out, "\"attempts\":1,"));
	h_result_release(&r);

	/* --retry-after-max caps a long Retry-After */
	snprintf(p1, sizeof(p1), "/retry-after/100/c?key=rac-%ld", (long)getpid());
	write_list(c, paths, 1);
	t0 = now_s();
	run(c, &r, NULL, "--retry-after-max", "0.2", NULL);
	assert_int_equal(r.status, 0);
	assert_true(now_s() - t0 < 30);
	h_result_release(&r);
}

static void test_fetchall_stall_and_truncation_fail_cleanly(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/stall/s.bin", "/truncate/t.bin", "/bytes/100/ok.bin"};
	char path[4200];
	struct h_result r;

	write_list(c, paths, 3);
	run(c, &r, NULL, "--speed-time", "1", "--retries", "1", "--retry-wait", "0.05", "--json",
	    NULL);
	assert_int_equal(r.status, 1);
	out_path(c, "s.bin", path, sizeof(path));
	assert_false(exists(path));
	out_path(c, "t.bin", path, sizeof(path));
	assert_false(exists(path));
	assert_int_equal(h_count_files(c->out, ".part"), 0);
	out_path(c, "ok.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 100, 100));
	/* each failure names itself on stderr, with libcurl's reason */
	assert_non_null(strstr(r.err, "/stall/s.bin: "));
	assert_non_null(strstr(r.err, "too slow"));
	assert_non_null(strstr(r.err, "/truncate/t.bin: "));
	h_result_release(&r);
}

static void test_fetchall_redirects_followed_and_capped(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/redirect/3", "/redirect/12"};
	char line[4096];
	struct h_result r;

	write_list(c, paths, 2);
	run(c, &r, NULL, "--json", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(json_line_for(r.out, "/redirect/3", line, sizeof(line)));
	assert_non_null(strstr(line, "\"ok\":true"));
	assert_non_null(strstr(line, "/redirect/0\""));
	assert_non_null(json_line_for(r.out, "/redirect/12", line, sizeof(line)));
	assert_non_null(strstr(line, "\"ok\":false"));
	assert_non_null(strstr(line, "edirects"));
	h_result_release(&r);

	write_list(c, paths, 1);
	run(c, &r, NULL, "--max-redirs", "2", NULL);
	assert_int_equal(r.status, 3);
	h_result_release(&r);
}

static void test_fetchall_redirect_to_file_refused(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/redirect-to?url=file:///etc/passwd"};
	struct h_result r;

	write_list(c, paths, 1);
	run(c, &r, NULL, "--allow-file", NULL);
	assert_int_equal(r.status, 3);
	assert_int_equal(h_count_files(c->out, NULL), 0);
	h_result_release(&r);
}

static void test_fetchall_resume_with_continue(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/300000/big.bin", "/norange/50000/nr.bin",
			       "/bytes/1000/done.bin"};
	uint8_t *head = malloc(300000);
	char path[4200];
	struct h_stats st;
	struct h_result r;

	assert_non_null(head);
	assert_int_equal(mkdir(c->out, 0755), 0);
	/* a .part holding the first 120000 bytes */
	tsrv_fill(300000, 0, head, 120000);
	out_path(c, "big.bin.part", path, sizeof(path));
	assert_int_equal(h_write_file(path, head, 120000), 0);
	/* a server that ignores Range: the .part must be rewritten */
	tsrv_fill(50000, 0, head, 50000);
	memset(head + 100, 0xee, 1000); /* would show if appended to */
	out_path(c, "nr.bin.part", path, sizeof(path));
	assert_int_equal(h_write_file(path, head, 20000), 0);
	/* a complete file with no record is checked as wget -c does (one
	 * Range request, a 416 for its size) and left alone */
	tsrv_fill(1000, 0, head, 1000);
	out_path(c, "done.bin", path, sizeof(path));
	assert_int_equal(h_write_file(path, head, 1000), 0);

	write_list(c, paths, 3);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, NULL, "-c", "--json", NULL);
	assert_int_equal(r.status, 0);
	out_path(c, "big.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 300000, 300000));
	out_path(c, "nr.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 50000, 50000));
	out_path(c, "done.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 1000, 1000));
	assert_int_equal(h_count_files(c->out, ".part"), 0);
	assert_int_equal(h_count_files(c->out, NULL), 3);
	assert_non_null(strstr(r.out, "\"skipped\":true"));
	/* one request each: the .part's rest, the whole, done.bin's check */
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 3);
	h_result_release(&r);
	free(head);
}

/* Bodies past the point where writes are buffered: whole, and resumed. */
static void test_fetchall_large_files_whole_and_resumed(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/5000000/big1.bin", "/bytes/3000001/big2.bin",
			       "/bytes/4000000/resumed.bin"};
	uint8_t *head = malloc(2500000);
	char path[4200];
	struct h_result r;

	assert_non_null(head);
	assert_int_equal(mkdir(c->out, 0755), 0);
	tsrv_fill(4000000, 0, head, 2500000);
	out_path(c, "resumed.bin.part", path, sizeof(path));
	assert_int_equal(h_write_file(path, head, 2500000), 0);
	free(head);
	write_list(c, paths, 3);
	run(c, &r, NULL, "-c", "-j", "2", NULL);
	assert_int_equal(r.status, 0);
	out_path(c, "big1.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 5000000, 5000000));
	out_path(c, "big2.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 3000001, 3000001));
	out_path(c, "resumed.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 4000000, 4000000));
	assert_int_equal(h_count_files(c->out, NULL), 3);
	h_result_release(&r);
}

static void test_fetchall_invalid_lines_named(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"!# a comment", "/bytes/10/a",          "!",
			       "!not a url",   "!ftp://example.com/x", "/bytes/10/b"};
	char line[4096];
	struct h_result r;

	write_list(c, paths, 6);
	run(c, &r, NULL, "--json", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "urls.txt line 4: not a valid URL"));
	assert_non_null(
	    strstr(r.err, "urls.txt line 5: not a valid URL: unsupported scheme 'ftp'"));
	assert_int_equal(count_lines(r.out), 4);
	assert_non_null(json_line_for(r.out, "not a url", line, sizeof(line)));
	assert_int_equal(json_int(line, "line"), 4);
	assert_non_null(strstr(line, "\"ok\":false"));
	assert_non_null(json_line_for(r.out, "/b", line, sizeof(line)));
	assert_int_equal(json_int(line, "line"), 6);
	h_result_release(&r);
}

static void test_fetchall_stdin_and_failed_rerun(void **state)
{
	struct ctx *c = *state;
	char input[1024], rerun[1024] = "";
	size_t rlen = 0;
	char key[64];
	const char *p;
	struct h_result r;

	snprintf(key, sizeof(key), "rerun-%ld", (long)getpid());
	/* the flaky URL fails once with retries off, then works */
	snprintf(input, sizeof(input), "%s/bytes/64/s1\n%s/flaky/500/1/s2?key=%s\n", server.base,
		 server.base, key);
	run(c, &r, input, "--json", "--retries", "0", NULL);
	assert_int_equal(r.status, 1);
	/* what `jq -r 'select(.ok|not).url'` would give */
	for (p = r.out; (p = strstr(p, "\"ok\":false"));) {
		const char *start = p;
		const char *u;

		while (start > r.out && start[-1] != '\n')
			start--;
		u = strstr(start, "\"url\":\"") + 7;
		rlen += (size_t)snprintf(rerun + rlen, sizeof(rerun) - rlen, "%.*s\n",
					 (int)(strchr(u, '"') - u), u);
		assert_true(rlen < sizeof(rerun));
		p++;
	}
	assert_non_null(strstr(rerun, "/flaky/500/1/s2"));
	assert_null(strstr(rerun, "/s1"));
	h_result_release(&r);
	run(c, &r, rerun, "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(count_lines(r.out), 1);
	h_result_release(&r);
}

/* --save-failed FILE: the URLs that failed (not bad lines, not the good
 * ones), whole with their credentials, mode 0600; FILE can be the next
 * run's list and its own --save-failed target, and comes out empty once
 * everything worked.  A FILE that cannot be written fails at start. */
static void test_fetchall_save_failed_list(void **state)
{
	struct ctx *c = *state;
	char flaky[256], creds[256], failed[4200], want[1024], *data;
	const char *paths[] = {"/bytes/64/g1", flaky, "!not a url", creds};
	const char *again[] = {"fetchall", failed,          "-o",   c->out, "--retries",
			       "0",        "--save-failed", failed, NULL};
	size_t len;
	struct stat st;
	struct h_result r;

	snprintf(flaky, sizeof(flaky), "/flaky/500/1/f2?key=saved2-%ld", (long)getpid());
	snprintf(creds, sizeof(creds), "!http://al:pw1@127.0.0.1:%d/flaky/404/1/f4?key=saved4-%ld",
		 server.port, (long)getpid());
	write_list(c, paths, 4);
	snprintf(failed, sizeof(failed), "%s/failed.txt", c->dir);
	run(c, &r, NULL, "--retries", "0", "--save-failed", failed, NULL);
	assert_int_equal(r.status, 1);
	assert_null(strstr(r.err, "pw1")); /* redacted on screen ... */
	h_result_release(&r);
	/* ... kept in the list, in the order the URLs finished */
	assert_int_equal(h_read_file(failed, &data, &len), 0);
	snprintf(want, sizeof(want), "%s%s\n", server.base, flaky);
	assert_non_null(strstr(data, want));
	snprintf(want, sizeof(want), "%s\n", creds + 1);
	assert_non_null(strstr(data, want));
	assert_int_equal(count_lines(data), 2);
	free(data);
	assert_int_equal(stat(failed, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* The list is its own next input and output; both now work. */
	assert_int_equal(h_run_in(c->dir, again, NULL, RUN_TIMEOUT, &r), 0);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	assert_int_equal(h_read_file(failed, &data, &len), 0);
	assert_int_equal(len, 0);
	free(data);
	assert_int_equal(h_count_files(c->dir, "failed.txt"), 1); /* no temp left */

	/* An unwritable place fails at start, naming it. */
	snprintf(failed, sizeof(failed), "%s/no/such/dir/failed.txt", c->dir);
	run(c, &r, NULL, "--save-failed", failed, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot write the --save-failed list"));
	assert_non_null(strstr(r.err, "no/such/dir/failed.txt"));
	h_result_release(&r);
}

/* A UTF-8 byte order mark opening the list (file or standard input) is
 * not part of line 1's URL; anywhere else it is, and the line fails. */
static void test_fetchall_list_bom_stripped(void **state)
{
	struct ctx *c = *state;
	char list[1024], path[4200];
	struct h_result r;
	int k;

	k = snprintf(list, sizeof(list),
		     "\xEF\xBB\xBF%s/bytes/100/b1.bin\n%s/bytes/200/b2.bin\n%s/bytes/300/b3.bin\n",
		     server.base, server.base, server.base);
	assert_true(k > 0 && (size_t)k < sizeof(list));
	assert_int_equal(h_write_file(c->list, list, (size_t)k), 0);
	for (int from_stdin = 0; from_stdin < 2; from_stdin++) {
		h_rmrf(c->out);
		run(c, &r, from_stdin ? list : NULL, NULL);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.err, "3 ok, 0 failed"));
		assert_int_equal(h_count_files(c->out, NULL), 3);
		for (int i = 1; i <= 3; i++) {
			char name[32];

			snprintf(name, sizeof(name), "b%d.bin", i);
			out_path(c, name, path, sizeof(path));
			assert_true(h_check_bytes(path, (uint64_t)i * 100, (uint64_t)i * 100));
		}
		h_result_release(&r);
	}

	/* only there: a BOM opening line 2 is a bad line 2 */
	k = snprintf(list, sizeof(list), "%s/bytes/100/b1.bin\n\xEF\xBB\xBF%s/bytes/200/b2.bin\n",
		     server.base, server.base);
	assert_int_equal(h_write_file(c->list, list, (size_t)k), 0);
	h_rmrf(c->out);
	run(c, &r, NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "urls.txt line 2: not a valid URL"));
	assert_int_equal(h_count_files(c->out, NULL), 1);
	h_result_release(&r);
}

/* --include / --exclude decide on listed URLs too: a refused one is not
 * requested and is reported skipped, with the rule that refused it. */
static void test_fetchall_list_include_exclude(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/100/k1.bin", "/bytes/200/k2.bin", "/bytes/300/n3.txt",
			       "/bytes/400/x4.bin"};
	char line[4096], path[4200];
	struct h_stats st;
	struct h_result r;

	write_list(c, paths, 4);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, NULL, "--json", "--include", "\\.bin$", "--exclude", "/x[0-9]", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(count_lines(r.out), 4);
	assert_non_null(strstr(r.err, "2 ok, 0 failed, 2 skipped"));
	for (int i = 1; i <= 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "k%d.bin", i);
		assert_non_null(json_line_for(r.out, name, line, sizeof(line)));
		assert_non_null(strstr(line, "\"ok\":true,\"skipped\":false"));
		out_path(c, name, path, sizeof(path));
		assert_true(h_check_bytes(path, (uint64_t)i * 100, (uint64_t)i * 100));
	}
	assert_non_null(json_line_for(r.out, "/n3.txt", line, sizeof(line)));
	assert_non_null(strstr(line, "\"ok\":true,\"skipped\":true"));
	assert_non_null(strstr(line, "\"skip_reason\":\"not matched by --include\""));
	assert_int_equal(json_int(line, "line"), 3);
	assert_non_null(json_line_for(r.out, "/x4.bin", line, sizeof(line)));
	assert_non_null(strstr(line, "\"ok\":true,\"skipped\":true"));
	assert_non_null(strstr(line, "\"skip_reason\":\"excluded by --exclude\""));
	out_path(c, "n3.txt", path, sizeof(path));
	assert_false(exists(path));
	out_path(c, "x4.bin", path, sizeof(path));
	assert_false(exists(path));
	assert_int_equal(h_count_files(c->out, NULL), 2);
	/* the refused URLs cost no request */
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 2);
	h_result_release(&r);
}

/* A regex that does not compile is a usage error at start: one line
 * naming the option, the regex and regerror()'s reason; nothing fetched,
 * no output directory made; with --compare, before any run starts. */
static void test_fetchall_bad_regex_usage_error(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/10/a", "/bytes/10/b"};
	static const char *const cases[][4] = {
	    {"--include", "(", "--include '(': ", NULL},
	    {"--exclude", "a{2,1}", "--exclude 'a{2,1}': ", NULL},
	    {"--include", "[a-", "--include '[a-': ", "--compare=1,2"},
	};
	struct h_stats st;
	struct h_result r;

	write_list(c, paths, 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *said;

		assert_int_equal(h_server_reset(&server, NULL), 0);
		run(c, &r, NULL, cases[i][0], cases[i][1], cases[i][3], NULL);
		assert_int_equal(r.status, 2);
		assert_int_equal(count_lines(r.err), 1);
		said = strstr(r.err, cases[i][2]);
		if (!said)
			fail_msg("%s %s: stderr was: %s", cases[i][0], cases[i][1], r.err);
		/* regerror()'s text follows */
		assert_true(strlen(said + strlen(cases[i][2])) > 2);
		assert_false(exists(c->out));
		assert_int_equal(h_server_stats(&server, &st), 0);
		assert_int_equal(st.requests, 0);
		h_result_release(&r);
	}
}

/* How many lines of text are exactly `line`. */
static int count_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	int count = 0;

	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		count += len == n && !memcmp(p, line, n);
		p += len + (end != NULL);
	}
	return count;
}

/* Ctrl-C in `fetchall LIST --save-failed LIST`, the README's retry loop:
 * the list then holds every URL not saved (interrupted, queued, or not
 * yet read), each once, and none that was saved, so the next round of
 * the loop finishes the job.  50 URLs all fit in the frontier at -j 2;
 * of 300, most are still unread (the reader drains them), from a file
 * and from standard input. */
static void test_fetchall_save_failed_interrupted_keeps_unfinished(void **state)
{
	static const struct {
		int urls;
		bool from_stdin;
	} cases[] = {{50, false}, {300, true}, {300, false}};
	struct ctx *c = *state;
	const char **paths = calloc(300, sizeof(*paths));
	char(*bufs)[48] = calloc(300, sizeof(*bufs));
	char failed[4200], *list = NULL, *data = NULL;
	size_t list_len, len;
	struct stat st;
	struct h_result r;

	assert_non_null(paths);
	assert_non_null(bufs);
	/* 2 at a time, 400 ms each: a few are saved in the first second */
	for (int i = 0; i < 300; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "/delay/400/u%03d", i);
		paths[i] = bufs[i];
	}
	snprintf(failed, sizeof(failed), "%s/failed.txt", c->dir);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int n = cases[k].urls, status, saved = 0;
		const char *target = cases[k].from_stdin ? failed : c->list;
		const char *argv[] = {"fetchall",
				      cases[k].from_stdin ? "-" : c->list,
				      "-o",
				      c->out,
				      "-j",
				      "2",
				      "--save-failed",
				      target,
				      NULL};
		pid_t pid;

		write_list(c, paths, (size_t)n);
		assert_int_equal(h_read_file(c->list, &list, &list_len), 0);
		h_rmrf(c->out);
		pid = h_spawn(argv, cases[k].from_stdin ? list : NULL, c->dir);
		assert_true(pid > 0);
		nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
		/* and once something is saved, however slow the machine */
		for (int t = 0; t < 100 && h_count_files(c->out, NULL) < 1; t++)
			nanosleep(&(struct timespec){.tv_nsec = 100000000L}, NULL);
		kill(pid, SIGINT); /* no assert until the child is reaped */
		assert_int_equal(h_wait(pid, 20, &status), 0);
		assert_int_equal(status, 130);
		free(list);

		assert_int_equal(h_read_file(target, &data, &len), 0);
		for (int i = 0; i < n; i++) {
			char name[16], path[4200], url[128];
			bool done;
			int times;

			snprintf(name, sizeof(name), "u%03d", i);
			out_path(c, name, path, sizeof(path));
			done = exists(path);
			saved += done;
			snprintf(url, sizeof(url), "%s%s", server.base, paths[i]);
			times = count_line(data, url);
			if (times != (done ? 0 : 1))
				fail_msg("%d URLs: %s: %s, but %d times in the --save-failed list",
					 n, url, done ? "saved" : "not saved", times);
		}
		assert_int_equal(count_lines(data), n - saved);
		assert_true(saved > 0 && saved < n);
		free(data);
		assert_int_equal(stat(target, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		/* no temporary left beside it: urls.txt, stdout, stderr,
		 * failed.txt once written, and the output directory's files */
		assert_int_equal(h_count_files(c->dir, NULL) - h_count_files(c->out, NULL),
				 k > 0 ? 4 : 3);
	}

	/* the next round of the loop (-c: the interrupted ones left a .part)
	 * finishes the job and empties the list */
	run(c, &r, NULL, "-c", "-j", "64", "--save-failed", c->list, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, NULL), 300);
	assert_int_equal(h_count_files(c->out, ".part"), 0);
	assert_int_equal(h_read_file(c->list, &data, &len), 0);
	assert_int_equal(len, 0);
	free(data);
	free(paths);
	free(bufs);
	h_result_release(&r);
}

/* The same from a pipe that stays open (a terminal, a producer still
 * running): the rest of the list cannot be known, so after a bounded
 * wait the --save-failed target is left as it was, and stderr says so. */
static void test_fetchall_save_failed_open_pipe_left_alone(void **state)
{
	struct ctx *c = *state;
	const char *fetchall = getenv("FETCHALL");
	char failed[4200], target_arg[4200], errfile[4200], *data = NULL;
	char *argv[] = {
	    (char *)"fetchall",      (char *)"-", (char *)"-o", c->out, (char *)"-j", (char *)"2",
	    (char *)"--save-failed", target_arg,  NULL};
	posix_spawn_file_actions_t fa;
	int fds[2], status = -1;
	bool wrote = true;
	size_t len;
	pid_t pid;
	double t0;

	snprintf(failed, sizeof(failed), "%s/failed.txt", c->dir);
	snprintf(target_arg, sizeof(target_arg), "%s", failed);
	snprintf(errfile, sizeof(errfile), "%s/stderr", c->dir);
	assert_int_equal(h_write_file(failed, "old\n", 4), 0);
	assert_non_null(fetchall);
	assert_int_equal(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errfile, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(posix_spawn(&pid, fetchall, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	/* no assert until the child is reaped */
	for (int i = 0; i < 20; i++) {
		char line[128];
		int k = snprintf(line, sizeof(line), "%s/delay/400/p%02d\n", server.base, i);

		wrote = wrote && write(fds[1], line, (size_t)k) == k;
	}
	nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
	kill(pid, SIGINT);
	t0 = now_s();
	/* the write end stays open: fetchall must not wait for it long */
	assert_int_equal(h_wait(pid, 10, &status), 0);
	close(fds[1]);
	assert_true(wrote);
	assert_int_equal(status, 130);
	assert_true(now_s() - t0 < 5);
	assert_int_equal(h_read_file(failed, &data, &len), 0);
	assert_string_equal(data, "old\n");
	free(data);
	assert_int_equal(h_read_file(errfile, &data, &len), 0);
	assert_non_null(strstr(data, "--save-failed list"));
	assert_non_null(strstr(data, "left as it was"));
	free(data);
	/* failed.txt and stderr: no temporary left */
	assert_int_equal(h_count_files(c->dir, NULL) - h_count_files(c->out, NULL), 2);
}

static void test_fetchall_exit_codes(void **state)
{
	struct ctx *c = *state;
	const char *ok[] = {"/bytes/5/x"};
	const char *bad[] = {"/status/500/y", "/status/404/z"};
	const char *argv[8];
	char file_as_dir[4200];
	struct h_result r;

	write_list(c, ok, 1);
	run(c, &r, NULL, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);

	write_list(c, bad, 2);
	run(c, &r, NULL, "--retries", "0", NULL);
	assert_int_equal(r.status, 3);
	h_result_release(&r);

	/* an empty list is not a failure */
	write_list(c, bad, 0);
	run(c, &r, NULL, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);

	/* usage and input errors: 2, with a line naming the problem */
	argv[0] = "fetchall";
	argv[1] = "/nonexistent/list.txt";
	argv[2] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot open URL list '/nonexistent/list.txt'"));
	h_result_release(&r);

	argv[1] = c->list;
	argv[2] = "-j";
	argv[3] = "0";
	argv[4] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "-j/--jobs"));
	h_result_release(&r);

	/* an output dir that cannot be made */
	snprintf(file_as_dir, sizeof(file_as_dir), "%s/sub", c->list);
	argv[2] = "-o";
	argv[3] = file_as_dir;
	assert_int_equal(h_run_in(c->dir, argv, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "urls.txt/sub"));
	assert_int_equal(count_lines(r.err), 1);
	h_result_release(&r);

	argv[1] = "--help";
	argv[2] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, NULL, 30, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Exit status"));
	h_result_release(&r);
}

static void test_fetchall_sigint_then_continue(void **state)
{
	struct ctx *c = *state;
	const char *paths[40];
	char bufs[40][48];
	const char *argv[12];
	char errfile[4200];
	char *err = NULL;
	size_t errlen;
	pid_t pid;
	int status;
	struct h_result r;

	/* 40 slow bodies (one byte per 2 ms): still running after 1.5 s */
	for (int i = 0; i < 40; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "/drip/%d/d%02d.bin?ms=2", 2000 + i, i);
		paths[i] = bufs[i];
	}
	write_list(c, paths, 40);
	argv[0] = "fetchall";
	argv[1] = c->list;
	argv[2] = "-o";
	argv[3] = c->out;
	argv[4] = "-j";
	argv[5] = "16";
	argv[6] = mux_arg; /* NULL: the end */
	argv[7] = NULL;
	pid = h_spawn(argv, NULL, c->dir);
	assert_true(pid > 0);
	nanosleep(&(struct timespec){.tv_sec = 1, .tv_nsec = 500000000L}, NULL);
	assert_int_equal(kill(pid, SIGINT), 0);
	/* prompt: in-flight transfers abort within about a second */
	assert_int_equal(h_wait(pid, 10, &status), 0);
	assert_int_equal(status, 130);
	assert_true(h_count_files(c->out, ".part") > 0);
	snprintf(errfile, sizeof(errfile), "%s/stderr", c->dir);
	assert_int_equal(h_read_file(errfile, &err, &errlen), 0);
	assert_non_null(strstr(err, "interrupted"));
	free(err);

	/* every file that has its final name is complete */
	for (int i = 0; i < 40; i++) {
		char name[32], path[4200];

		snprintf(name, sizeof(name), "d%02d_ms=2.bin", i);
		out_path(c, name, path, sizeof(path));
		if (exists(path) &&
		    !h_check_bytes(path, (uint64_t)(2000 + i), (uint64_t)(2000 + i)))
			fail_msg("%s has its final name but is not complete", name);
	}

	run(c, &r, NULL, "-c", "-j", "40", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_count_files(c->out, ".part"), 0);
	for (int i = 0; i < 40; i++) {
		char name[32], path[4200];

		snprintf(name, sizeof(name), "d%02d_ms=2.bin", i);
		out_path(c, name, path, sizeof(path));
		if (!h_check_bytes(path, (uint64_t)(2000 + i), (uint64_t)(2000 + i)))
			fail_msg("%s incomplete after -c", name);
	}
	h_result_release(&r);
}

static void test_fetchall_names_collisions_tree(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/100/a/same.bin", "/bytes/200/b/same.bin",
			       "/bytes/30/q.bin?x=1&y=2", "/bytes/40/..%2F..%2Fescape"};
	char path[4200], host[64];
	struct h_result r;

	write_list(c, paths, 4);
	run(c, &r, NULL, "-j", "1", NULL);
	assert_int_equal(r.status, 0);
	out_path(c, "same.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 100, 100));
	out_path(c, "same.bin.1", path, sizeof(path));
	assert_true(h_check_bytes(path, 200, 200));
	out_path(c, "q_x=1_y=2.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 30, 30));
	assert_int_equal(h_count_files(c->out, NULL), 4);
	assert_int_equal(h_count_files(c->dir, "escape"), 1);
	h_result_release(&r);

	/* --no-clobber: nothing fetched again, nothing renamed */
	run(c, &r, NULL, "--no-clobber", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "skipped"));
	assert_int_equal(h_count_files(c->out, NULL), 4);
	h_result_release(&r);

	/* -x mirrors host:port/path */
	h_rmrf(c->out);
	run(c, &r, NULL, "-x", NULL);
	assert_int_equal(r.status, 0);
	snprintf(host, sizeof(host), "127.0.0.1:%d", server.port);
	snprintf(path, sizeof(path), "%s/%s/bytes/200/b/same.bin", c->out, host);
	assert_true(h_check_bytes(path, 200, 200));
	h_result_release(&r);
}

static void test_fetchall_headers_agent_gzip(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/headers", "/gzip/g.txt"};
	char text[TSRV_GZIP_TEXT_LEN];
	char path[4200], *data = NULL;
	size_t len;
	struct h_result r;

	write_list(c, paths, 2);
	run(c, &r, NULL, "-H", "X-Test: yes", "-U", "agent/9", NULL);
	assert_int_equal(r.status, 0);
	out_path(c, "headers", path, sizeof(path));
	assert_int_equal(h_read_file(path, &data, &len), 0);
	assert_non_null(strstr(data, "X-Test: yes"));
	assert_non_null(strstr(data, "User-Agent: agent/9"));
	assert_non_null(strstr(data, "Accept-Encoding: "));
	free(data);
	out_path(c, "g.txt", path, sizeof(path));
	assert_int_equal(h_read_file(path, &data, &len), 0);
	tsrv_gzip_text(text);
	assert_int_equal(len, TSRV_GZIP_TEXT_LEN);
	assert_memory_equal(data, text, TSRV_GZIP_TEXT_LEN);
	free(data);
	h_result_release(&r);

	/* the default agent names fetchall */
	write_list(c, paths, 1);
	h_rmrf(c->out);
	run(c, &r, NULL, NULL);
	out_path(c, "headers", path, sizeof(path));
	assert_int_equal(h_read_file(path, &data, &len), 0);
	assert_non_null(strstr(data, "User-Agent: fetchall/"));
	free(data);
	h_result_release(&r);
}

static void test_fetchall_credentials_redacted(void **state)
{
	struct ctx *c = *state;
	char input[256];
	struct h_result r;

	snprintf(input, sizeof(input), "http://user:hunter2@127.0.0.1:%d/status/404/cred\n",
		 server.port);
	run(c, &r, input, "--json", NULL);
	assert_int_equal(r.status, 3);
	assert_null(strstr(r.out, "hunter2"));
	assert_null(strstr(r.err, "hunter2"));
	assert_non_null(strstr(r.out, "user:***@"));
	h_result_release(&r);
}

/* `fetchall LIST --json | head -1`: the reader of stdout goes away after
 * one line; fetchall must stop soon and cleanly (no crash, no hang). */
static void test_fetchall_closed_stdout_ends_run(void **state)
{
	struct ctx *c = *state;
	const char *paths[200];
	char bufs[200][48];
	const char *fetchall = getenv("FETCHALL");
	char *argv[] = {(char *)"fetchall", c->list,      (char *)"-o", c->out,
			(char *)"--json",   (char *)"-j", (char *)"2",  NULL};
	posix_spawn_file_actions_t fa;
	int fds[2], status = -1;
	char buf[4096];
	pid_t pid;
	double t0;

	for (int i = 0; i < 200; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "/delay/20/p%d", i);
		paths[i] = bufs[i];
	}
	write_list(c, paths, 200);
	assert_non_null(fetchall);
	assert_int_equal(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, fetchall, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	/* read the first line (like head -1), then close the pipe */
	assert_true(read(fds[0], buf, sizeof(buf)) > 0);
	close(fds[0]);
	t0 = now_s();
	for (int i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		nanosleep(&(struct timespec){.tv_nsec = 50000000L}, NULL);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("fetchall kept running after its stdout closed");
	}
	/* 200 URLs x 20 ms at -j 2 would take 2 s; it stopped well before */
	assert_true(now_s() - t0 < 1.5);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 130);
}

/* Whether the running process pid has libxml2 mapped, read once a
 * request of it is in flight at the server (so start-up is over); -1 if
 * none came within 10 s. */
static int maps_libxml2_in_flight(pid_t pid)
{
	char path[64], *maps = NULL;
	size_t len = 0;
	struct h_stats st;
	int found;

	for (int i = 0; i < 200; i++) {
		if (h_server_stats(&server, &st) == 0 && st.inflight > 0)
			break;
		if (i == 199)
			return -1;
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	}
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if (h_read_file(path, &maps, &len) != 0)
		return -1;
	found = strstr(maps, "libxml2") != NULL;
	free(maps);
	return found;
}

/* libxml2 (with ICU and libstdc++, about 3 MB resident) is loaded only
 * by a run that parses pages in this process: not by a list run, nor by
 * the main process of a -P run; by --images without -P. */
static void test_fetchall_libxml2_only_when_parsing(void **state)
{
	struct ctx *c = *state;
	char file[512], page[512];
	const char *list_run[] = {"fetchall", file, "-o", c->out, "-q", NULL};
	const char *images_run[] = {"fetchall", page, "--images", "-o", c->out, "-q", NULL};
	const char *procs_run[] = {"fetchall", page,   "--images", "-P", "1",
				   "-o",       c->out, "-q",       NULL};
	const char *const *runs[] = {list_run, images_run, procs_run};
	const int want[] = {0, 1, 0};
	int status;

	snprintf(file, sizeof(file), "%s/delay/1500/f.bin", server.base);
	/* a page whose one image takes 1.5 s */
	snprintf(page, sizeof(page), "%s/html?b=%%3Cimg%%20src%%3D%%22/delay/1500/i.png%%22%%3E",
		 server.base);
	for (size_t r = 0; r < 3; r++) {
		pid_t pid;

		assert_int_equal(h_server_reset(&server, NULL), 0);
		pid = h_spawn((const char *const *)runs[r], NULL, c->dir);
		assert_true(pid > 0);
		assert_int_equal(maps_libxml2_in_flight(pid), want[r]);
		assert_int_equal(h_wait(pid, 30, &status), 0);
		assert_int_equal(status, 0);
	}
}

/* ---- bandwidth, politeness and time (issue 11) ---- */

/* --limit-rate caps all transfers together: two 2 MiB files at once at 2M
 * take about 1.9 s (4 MiB less the bucket's 0.2 MiB burst), where a cap
 * per transfer would let them finish in 1 s.  Only lower bounds: a slow
 * machine may take longer, never less.  --limit-rate-per-transfer caps
 * each: two 1 MiB files at 1M each take about 0.9 s. */
static void test_fetchall_limit_rate(void **state)
{
	struct ctx *c = *state;
	const char *total[] = {"/bytes/2097152/r1.bin", "/bytes/2097152/r2.bin"};
	const char *each[] = {"/bytes/1048576/p1.bin", "/bytes/1048576/p2.bin"};
	const char *names[] = {"r1.bin", "r2.bin", "p1.bin", "p2.bin"};
	const uint64_t sizes[] = {2097152, 2097152, 1048576, 1048576};
	char path[4200];
	struct h_result r;
	double t0, total_s, each_s;

	write_list(c, total, 2);
	t0 = now_s();
	run(c, &r, NULL, "--json", "-j", "2", "--limit-rate", "2M", NULL);
	total_s = now_s() - t0;
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	write_list(c, each, 2);
	t0 = now_s();
	run(c, &r, NULL, "--json", "-j", "2", "--limit-rate-per-transfer", "1M", NULL);
	each_s = now_s() - t0;
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	for (size_t i = 0; i < 4; i++) {
		out_path(c, names[i], path, sizeof(path));
		assert_true(h_check_bytes(path, sizes[i], sizes[i]));
	}
	if (total_s < 1.5 || each_s < 0.7)
		fail_msg("--limit-rate 2M: 4 MiB in %.2f s; --limit-rate-per-transfer 1M: "
			 "2 x 1 MiB in %.2f s",
			 total_s, each_s);
}

/* Ctrl-C stops a rate-limited transfer at once (its pause ends with the
 * cancel), keeping its bytes for -c. */
static void test_fetchall_limit_rate_interrupted(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/bytes/67108864/slow.bin"};
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "--limit-rate", "100k", NULL};
	pid_t pid;
	int status;

	write_list(c, paths, 1);
	pid = h_spawn(argv, NULL, c->dir);
	assert_true(pid > 0);
	nanosleep(&(struct timespec){.tv_sec = 1, .tv_nsec = 0}, NULL);
	assert_int_equal(kill(pid, SIGINT), 0);
	/* 64 MiB at 100 KiB/s would take 11 minutes */
	assert_int_equal(h_wait(pid, 10, &status), 0);
	assert_int_equal(status, 130);
	assert_int_equal(h_count_files(c->out, ".part"), 1);
}

/* --retries 0 fails fast: six URLs that answer 503 without Retry-After,
 * one at a time, are over in well under 5 s.  Before, each 503 held the
 * host back for a doubling backoff (1, 2, 4, 8, 16 s: 31 s in all);
 * curl and wget2 take milliseconds.  A Retry-After still holds the host
 * (test_fetchall_retry_after_honoured, test_pages_host_slows_down_after_503). */
static void test_fetchall_503_list_fails_fast(void **state)
{
	struct ctx *c = *state;
	const char *paths[] = {"/status/503/f1", "/status/503/f2", "/status/503/f3",
			       "/status/503/f4", "/status/503/f5", "/status/503/f6"};
	struct h_result r;
	double t0, took;

	write_list(c, paths, 6);
	t0 = now_s();
	run(c, &r, NULL, "--json", "-j", "1", "--retries", "0", NULL);
	took = now_s() - t0;
	assert_int_equal(r.status, 3);
	assert_int_equal(count_lines(r.out), 6);
	assert_null(strstr(r.out, "\"attempts\":2"));
	h_result_release(&r);
	if (took >= 5.0)
		fail_msg("six 503s with --retries 0 took %.2f s", took);
}

/* --timeout is an inactivity timeout: a 3 s drip (a byte every 10 ms)
 * passes under --timeout 1; a stall fails after about a second with a
 * timeout error, which is retried; --max-time 1 still caps a whole drip. */
static void test_fetchall_timeout_idle_and_max_time(void **state)
{
	struct ctx *c = *state;
	const char *drip[] = {"/drip/300/d.bin?ms=10"};
	const char *stall[] = {"/stall/s.bin"};
	const char *capped[] = {"/drip/300/m.bin?ms=10"};
	char path[4200], line[4096];
	struct h_result r;
	double t0, took;

	write_list(c, drip, 1);
	t0 = now_s();
	/* one attempt: a retry would resume the rest with Range */
	run(c, &r, NULL, "--json", "--timeout", "1", "--retries", "0", NULL);
	took = now_s() - t0;
	assert_int_equal(r.status, 0);
	assert_true(took >= 2.5); /* it was slow, and never idle for 1 s */
	out_path(c, "d_ms=10.bin", path, sizeof(path));
	assert_true(h_check_bytes(path, 300, 300));
	h_result_release(&r);

	write_list(c, stall, 1);
	t0 = now_s();
	run(c, &r, NULL, "--json", "--timeout", "1", "--retries", "1", "--retry-wait", "0.05",
	    NULL);
	took = now_s() - t0;
	assert_int_equal(r.status, 3);
	assert_non_null(json_line_for(r.out, "/s.bin", line, sizeof(line)));
	assert_int_equal(json_int(line, "attempts"), 2);
	assert_non_null(strstr(line, "\"error\":\"no data for 1 s (--timeout)\""));
	assert_non_null(strstr(r.err, "no data for 1 s"));
	h_result_release(&r);
	/* two attempts of at least 1 s; and not the 30 s stall check */
	if (took < 1.9 || took > 20.0)
		fail_msg("two attempts on a stall with --timeout 1 took %.2f s", took);

	write_list(c, capped, 1);
	t0 = now_s();
	run(c, &r, NULL, "--json", "--max-time", "1", "--retries", "0", NULL);
	took = now_s() - t0;
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "timed out"));
	assert_true(took >= 0.9);
	out_path(c, "m_ms=10.bin", path, sizeof(path));
	assert_false(exists(path));
	h_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fetchall_200_urls_exact_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_jobs_bound_reached_not_exceeded, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_connections_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_retries_transient_statuses, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_retry_after_honoured, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_stall_and_truncation_fail_cleanly, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_redirects_followed_and_capped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_redirect_to_file_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_resume_with_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_large_files_whole_and_resumed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_invalid_lines_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_stdin_and_failed_rerun, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_save_failed_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_list_bom_stripped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_list_include_exclude, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_bad_regex_usage_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_save_failed_interrupted_keeps_unfinished,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_save_failed_open_pipe_left_alone, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_exit_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_sigint_then_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_names_collisions_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_headers_agent_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_credentials_redacted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_closed_stdout_ends_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_libxml2_only_when_parsing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_limit_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_limit_rate_interrupted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_503_list_fails_fast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_timeout_idle_and_max_time, setup,
					    teardown),
	};
	/* again, every transfer through mux lanes (mux_arg) */
	const struct CMUnitTest lanes[] = {
	    cmocka_unit_test_setup_teardown(test_fetchall_200_urls_exact_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_jobs_bound_reached_not_exceeded, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_retries_transient_statuses, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_stall_and_truncation_fail_cleanly, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_redirects_followed_and_capped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_resume_with_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_large_files_whole_and_resumed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_sigint_then_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_headers_agent_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetchall_timeout_idle_and_max_time, setup,
					    teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	mux_arg = "--multiplex=all";
	rc |= cmocka_run_group_tests(lanes, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
