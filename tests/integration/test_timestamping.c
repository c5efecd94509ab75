/*
 * End-to-end tests of -N (wget's --timestamping) against the test
 * server's static files, which carry Last-Modified from their mtime and
 * answer 304 to an If-Modified-Since of exactly that date (or, with
 * ?nocond=1, ignore it as some servers do): a saved file gets the
 * server's time; a re-run of an unchanged file transfers no body and makes
 * no .1; a newer file replaces the saved one in place; a file of another
 * size under the same date is fetched again (wget's size rule), and one
 * of the same size and date is not; with -J the saved copy compared and
 * replaced is the one under the server's name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"

static struct h_server server;
static char *root;

#define T1 1600000000 /* 2020-09-13 */
#define T2 1700000000 /* 2023-11-14 */

/* Writes n bytes of c to root/name and sets its mtime. */
static void put(const char *name, size_t n, char c, time_t mtime)
{
	char path[4096], *data = malloc(n);
	struct timespec times[2] = {{mtime, 0}, {mtime, 0}};

	assert_non_null(data);
	memset(data, c, n);
	snprintf(path, sizeof(path), "%s/%s", root, name);
	assert_int_equal(h_write_file(path, data, n), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	free(data);
}

static int group_setup(void **state)
{
	(void)state;
	root = h_tmpdir();
	if (!root)
		return -1;
	put("f1.bin", 100, 'a', T1);
	put("f2.bin", 100, 'b', T1);
	return h_server_start(&server, root);
}

static int group_teardown(void **state)
{
	(void)state;
	h_server_stop(&server);
	h_rmrf(root);
	free(root);
	return 0;
}

struct ctx {
	char *dir;
	char out[4096];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || !(c->dir = h_tmpdir()))
		return -1;
	snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	*state = c;
	return h_server_reset(&server, NULL);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

/* One -N run of url into c->out; returns the JSON line (caller frees the
 * result). */
static void run_n(struct ctx *c, const char *url, struct h_result *r)
{
	const char *argv[] = {"fetchall", url, "-N", "-o", c->out, "--json", NULL};

	assert_int_equal(h_run(argv, NULL, 30, r), 0);
	H_ASSERT_RUN_SANE(r, c->out);
	assert_int_equal(r->status, 0);
}

/* run_n() with -J (the server's Content-Disposition names the file). */
static void run_nj(struct ctx *c, const char *url, struct h_result *r)
{
	const char *argv[] = {"fetchall", url, "-N", "-J", "-o", c->out, "--json", NULL};

	assert_int_equal(h_run(argv, NULL, 30, r), 0);
	H_ASSERT_RUN_SANE(r, c->out);
	assert_int_equal(r->status, 0);
}

static void assert_saved(struct ctx *c, const char *name, long long size, time_t mtime)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", c->out, name);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(st.st_mtime, mtime);
}

static void test_timestamping_conditional(void **state)
{
	struct ctx *c = *state;
	char url[256];
	struct h_result r;
	struct h_stats st;

	snprintf(url, sizeof(url), "%s/static/f1.bin", server.base);
	run_n(c, url, &r);
	assert_non_null(strstr(r.out, "\"skipped\":false"));
	assert_saved(c, "f1.bin", 100, T1); /* the server's time */
	h_result_release(&r);

	/* unchanged: a 304, nothing transferred, no f1.bin.1 */
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run_n(c, url, &r);
	assert_non_null(strstr(r.out, "\"skipped\":true"));
	assert_non_null(strstr(r.out, "\"http_code\":304"));
	assert_non_null(strstr(r.out, "not modified"));
	assert_non_null(strstr(r.out, "\"path\":\"f1.bin\""));
	assert_int_equal(h_count_files(c->out, NULL), 1);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 1);
	h_result_release(&r);

	/* newer on the server: fetched, replacing the saved file in place */
	put("f1.bin", 200, 'c', T2);
	run_n(c, url, &r);
	assert_non_null(strstr(r.out, "\"skipped\":false"));
	assert_non_null(strstr(r.out, "\"path\":\"f1.bin\""));
	assert_int_equal(h_count_files(c->out, NULL), 1);
	assert_saved(c, "f1.bin", 200, T2);
	h_result_release(&r);
}

static void test_timestamping_size_rule(void **state)
{
	struct ctx *c = *state;
	char url[256];
	struct h_result r;

	/* a server that ignores If-Modified-Since */
	snprintf(url, sizeof(url), "%s/static/f2.bin?nocond=1", server.base);
	run_n(c, url, &r);
	h_result_release(&r);
	assert_saved(c, "f2_nocond=1.bin", 100, T1);

	/* same date and size: current, the transfer stopped at its headers */
	run_n(c, url, &r);
	assert_non_null(strstr(r.out, "not modified"));
	h_result_release(&r);

	/* same date, another size: fetched again (wget's rule) */
	put("f2.bin", 150, 'd', T1);
	run_n(c, url, &r);
	assert_non_null(strstr(r.out, "\"skipped\":false"));
	assert_int_equal(h_count_files(c->out, NULL), 1);
	assert_saved(c, "f2_nocond=1.bin", 150, T1);
	h_result_release(&r);
}

/* -N with -J: the saved copy is the file under the server's name */
static void test_timestamping_server_named(void **state)
{
	struct ctx *c = *state;
	const char *cd = "cd=attachment%3B%20filename%3Dreport.bin";
	char url[512], other[512];
	struct h_result r;

	put("r.bin", 100, 'e', T1);
	put("r2.bin", 300, 'g', T2);
	snprintf(url, sizeof(url), "%s/static/r.bin?%s", server.base, cd);
	snprintf(other, sizeof(other), "%s/static/r2.bin?%s", server.base, cd);
	run_nj(c, url, &r);
	assert_non_null(strstr(r.out, "\"path\":\"report.bin\""));
	assert_saved(c, "report.bin", 100, T1);
	h_result_release(&r);

	/* unchanged: current, not fetched again as report.bin.1 */
	run_nj(c, url, &r);
	assert_non_null(strstr(r.out, "not modified"));
	assert_non_null(strstr(r.out, "\"path\":\"report.bin\""));
	assert_int_equal(h_count_files(c->out, NULL), 1);
	h_result_release(&r);

	/* newer on the server: replaces it in place */
	put("r.bin", 200, 'f', T2);
	run_nj(c, url, &r);
	assert_non_null(strstr(r.out, "\"skipped\":false"));
	assert_non_null(strstr(r.out, "\"path\":\"report.bin\""));
	assert_int_equal(h_count_files(c->out, NULL), 1);
	assert_saved(c, "report.bin", 200, T2);
	h_result_release(&r);

	/* another URL the server names the same: not that URL's copy, so
	 * neither taken as current nor replaced */
	run_nj(c, other, &r);
	assert_non_null(strstr(r.out, "\"path\":\"report.bin.1\""));
	assert_int_equal(h_count_files(c->out, NULL), 2);
	assert_saved(c, "report.bin", 200, T2);
	assert_saved(c, "report.bin.1", 300, T2);
	h_result_release(&r);
}

/* Runs argv into an empty c->out and checks that it saved `name`, `size`
 * bytes, with the time `mtime`, or with (time_t)-1 the time of saving. */
static void run_saves(struct ctx *c, const char **argv, const char *name, long long size,
		      time_t mtime)
{
	time_t before = time(NULL);
	struct h_result r;

	h_rmrf(c->out);
	assert_int_equal(h_run(argv, NULL, 30, &r), 0);
	H_ASSERT_RUN_SANE(&r, c->out);
	assert_int_equal(r.status, 0);
	if (mtime != (time_t)-1) {
		assert_saved(c, name, size, mtime);
	} else {
		char path[4200];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", c->out, name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_size, size);
		/* the file system's coarse clock may lag time() a little */
		assert_true(st.st_mtime >= before - 1);
	}
	h_result_release(&r);
}

/* Without -N a saved file still takes the resource's time, as wget's
 * do: an http:// one the server's Last-Modified (also when a lane ran
 * the transfer: --multiplex all), a file:// one the file's mtime; with
 * --no-use-server-timestamps, the time it was saved. */
static void test_timestamping_saved_time(void **state)
{
	struct ctx *c = *state;
	char url[256], file_url[4200];
	const char *plain[] = {"fetchall", url, "-o", c->out, "--json", NULL};
	const char *lanes[] = {"fetchall", url,  "--multiplex", "all",    "-j",
			       "2",        "-o", c->out,        "--json", NULL};
	const char *file[] = {"fetchall", file_url, "--allow-file", "-o", c->out, "--json", NULL};
	const char *now[] = {"fetchall", url, "--no-use-server-timestamps", "-o", c->out,
			     "--json",   NULL};

	put("t1.bin", 120, 'e', T1);
	put("t2.bin", 130, 'f', T2);
	snprintf(url, sizeof(url), "%s/static/t1.bin", server.base);
	snprintf(file_url, sizeof(file_url), "file://%s/t2.bin", root);
	run_saves(c, plain, "t1.bin", 120, T1);
	run_saves(c, lanes, "t1.bin", 120, T1);
	run_saves(c, file, "t2.bin", 130, T2);
	run_saves(c, now, "t1.bin", 120, (time_t)-1);
}

static void test_timestamping_usage(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {
	    "fetchall", "http://127.0.0.1:1/x", "-N", "--no-clobber", "-o", c->out, NULL};
	struct h_result r;

	assert_int_equal(h_run(argv, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--no-clobber"));
	h_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_timestamping_conditional, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timestamping_size_rule, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timestamping_server_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timestamping_saved_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timestamping_usage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
