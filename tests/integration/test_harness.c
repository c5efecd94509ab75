/*
 * test_harness: the integration harness itself — running a child with
 * captured output and a time bound, spawning and signalling one, and the
 * file helpers.
 *
 * h_run() always runs $FETCHALL, so these tests point FETCHALL at small
 * system programs (/bin/cat, /bin/sleep, /bin/ls) for the duration of one
 * call and restore it afterwards.  Tests are single-threaded, so the
 * environment swap races with nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"

static char *saved_fetchall;

/* Points FETCHALL at program until use_restore(). */
static void use_program(const char *program)
{
	const char *cur = getenv("FETCHALL");

	free(saved_fetchall);
	saved_fetchall = cur != NULL ? strdup(cur) : NULL;
	assert_int_equal(setenv("FETCHALL", program, 1), 0);
}

static void use_restore(void)
{
	if (saved_fetchall != NULL)
		setenv("FETCHALL", saved_fetchall, 1);
	else
		unsetenv("FETCHALL");
	free(saved_fetchall);
	saved_fetchall = NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_harness_run_stdin_stdout(void **state)
{
	const char *const argv[] = {"ignored", NULL};
	struct h_result r;
	int rc;

	(void)state;
	use_program("/bin/cat");
	rc = h_run(argv, "line one\nline two\n", 10, &r);
	use_restore();
	assert_int_equal(rc, 0);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_string_equal(r.out, "line one\nline two\n");
	assert_int_equal(r.out_len, 18);
	assert_string_equal(r.err, "");
	h_result_release(&r);

	/* no stdin data: stdin is empty */
	use_program("/bin/cat");
	rc = h_run(argv, NULL, 10, &r);
	use_restore();
	assert_int_equal(rc, 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	h_result_release(&r);
}

static void test_harness_run_stderr_status(void **state)
{
	const char *const argv[] = {"ignored", "/nonexistent/fetchall-h", NULL};
	struct h_result r;
	int rc;

	(void)state;
	use_program("/bin/ls");
	rc = h_run(argv, NULL, 10, &r);
	use_restore();
	assert_int_equal(rc, 0);
	assert_int_not_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_true(r.err_len > 0);
	assert_non_null(strstr(r.err, "/nonexistent/fetchall-h"));
	h_result_release(&r);
}

static void test_harness_run_timeout(void **state)
{
	const char *const argv[] = {"ignored", "30", NULL};
	struct h_result r;
	double t0 = now_s();
	int rc;

	(void)state;
	use_program("/bin/sleep");
	rc = h_run(argv, NULL, 1, &r);
	use_restore();
	assert_int_equal(rc, 0);
	assert_true(r.timed_out);
	assert_int_equal(r.status, 128 + SIGKILL);
	assert_true(now_s() - t0 < 5.0);
	h_result_release(&r);
}

static void test_harness_run_in_dir(void **state)
{
	const char *const argv[] = {"ignored", NULL};
	char *dir = h_tmpdir();
	char path[1024];
	struct h_result r;
	int rc;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/marker.txt", dir);
	assert_int_equal(h_write_file(path, "x", 1), 0);
	use_program("/bin/ls");
	rc = h_run_in(dir, argv, NULL, 10, &r);
	use_restore();
	assert_int_equal(rc, 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "marker.txt\n");
	h_result_release(&r);
	h_rmrf(dir);
	free(dir);
}

static void test_harness_run_missing_binary(void **state)
{
	const char *const argv[] = {"ignored", NULL};
	struct h_result r;
	int rc;

	(void)state;
	use_program("/nonexistent/fetchall-h");
	rc = h_run(argv, NULL, 10, &r);
	use_restore();
	/* posix_spawn either fails, or the child exits 127 */
	if (rc == 0) {
		assert_int_equal(r.status, 127);
		h_result_release(&r);
	} else {
		assert_int_equal(rc, -1);
		assert_null(r.out);
	}
}

static void test_harness_wait_timeout_kills(void **state)
{
	const char *const argv[] = {"ignored", "30", NULL};
	char *dir = h_tmpdir();
	double t0 = now_s();
	int status = -1;
	pid_t pid;

	(void)state;
	assert_non_null(dir);
	use_program("/bin/sleep");
	pid = h_spawn(argv, NULL, dir);
	use_restore();
	assert_true(pid > 0);
	assert_int_equal(h_wait(pid, 1, &status), -1);
	assert_int_equal(status, 128 + SIGKILL);
	assert_true(now_s() - t0 >= 0.9);
	assert_true(now_s() - t0 < 5.0);
	/* reaped: the pid is no longer our child */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	h_rmrf(dir);
	free(dir);
}

static void test_harness_spawn_sigint(void **state)
{
	const char *const argv[] = {"ignored", "30", NULL};
	char *dir = h_tmpdir();
	char path[1024];
	double t0 = now_s();
	int status = -1;
	pid_t pid;

	(void)state;
	assert_non_null(dir);
	use_program("/bin/sleep");
	pid = h_spawn(argv, NULL, dir);
	use_restore();
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGINT), 0);
	assert_int_equal(h_wait(pid, 5, &status), 0);
	assert_int_equal(status, 128 + SIGINT);
	assert_true(now_s() - t0 < 5.0);

	snprintf(path, sizeof(path), "%s/stdout", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	assert_int_equal(access(path, F_OK), 0);
	h_rmrf(dir);
	free(dir);
}

static void test_harness_spawn_output_files(void **state)
{
	const char *const argv[] = {"ignored", NULL};
	char *dir = h_tmpdir();
	char path[1024];
	char *data = NULL;
	size_t len = 0;
	int status = -1;
	pid_t pid;

	(void)state;
	assert_non_null(dir);
	use_program("/bin/cat");
	pid = h_spawn(argv, "spawned\n", dir);
	use_restore();
	assert_true(pid > 0);
	assert_int_equal(h_wait(pid, 10, &status), 0);
	assert_int_equal(status, 0);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	assert_int_equal(h_read_file(path, &data, &len), 0);
	assert_string_equal(data, "spawned\n");
	free(data);
	h_rmrf(dir);
	free(dir);
}

static void test_harness_files(void **state)
{
	char *dir = h_tmpdir();
	char path[1024];
	char *data = NULL;
	size_t len = 0;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(h_count_files(dir, NULL), 0);
	snprintf(path, sizeof(path), "%s/a.bin", dir);
	assert_int_equal(h_write_file(path, "abc", 3), 0);
	snprintf(path, sizeof(path), "%s/d1", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/d1/d2", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/d1/d2/b.bin", dir);
	assert_int_equal(h_write_file(path, "", 0), 0);
	snprintf(path, sizeof(path), "%s/d1/c.txt", dir);
	assert_int_equal(h_write_file(path, "hello", 5), 0);

	assert_int_equal(h_count_files(dir, NULL), 3);
	assert_int_equal(h_count_files(dir, ".bin"), 2);
	assert_int_equal(h_count_files(dir, ".txt"), 1);
	assert_int_equal(h_count_files(dir, ".part"), 0);

	assert_int_equal(h_read_file(path, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(h_read_file(path, &data, &len), -1);
	assert_int_equal(h_count_files(path, NULL), -1);

	h_rmrf(dir);
	assert_int_not_equal(stat(dir, &st), 0);
	free(dir);
}

static void test_harness_check_bytes(void **state)
{
	const uint64_t n = 50000;
	char *dir = h_tmpdir();
	uint8_t *buf = malloc(n + 1);
	char path[1024];

	(void)state;
	assert_non_null(dir);
	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/b.bin", dir);

	tsrv_fill(n, 0, buf, n);
	assert_int_equal(h_write_file(path, buf, n), 0);
	assert_true(h_check_bytes(path, n, n));
	assert_false(h_check_bytes(path, n + 1, n)); /* other seed */
	assert_false(h_check_bytes(path, n, n - 1)); /* other length */

	/* one flipped byte */
	buf[n / 2] ^= 1;
	assert_int_equal(h_write_file(path, buf, n), 0);
	assert_false(h_check_bytes(path, n, n));
	buf[n / 2] ^= 1;

	/* a resume appended at the wrong offset: last part shifted by one */
	tsrv_fill(n, 25000 - 1, buf + 25000, n - 25000);
	assert_int_equal(h_write_file(path, buf, n), 0);
	assert_false(h_check_bytes(path, n, n));

	/* truncated and missing files */
	tsrv_fill(n, 0, buf, n);
	assert_int_equal(h_write_file(path, buf, n - 1), 0);
	assert_false(h_check_bytes(path, n, n));
	snprintf(path, sizeof(path), "%s/none.bin", dir);
	assert_false(h_check_bytes(path, n, n));

	free(buf);
	h_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_harness_run_stdin_stdout),
	    cmocka_unit_test(test_harness_run_stderr_status),
	    cmocka_unit_test(test_harness_run_timeout),
	    cmocka_unit_test(test_harness_run_in_dir),
	    cmocka_unit_test(test_harness_run_missing_binary),
	    cmocka_unit_test(test_harness_wait_timeout_kills),
	    cmocka_unit_test(test_harness_spawn_sigint),
	    cmocka_unit_test(test_harness_spawn_output_files),
	    cmocka_unit_test(test_harness_files),
	    cmocka_unit_test(test_harness_check_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
