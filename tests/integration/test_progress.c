/*
 * End-to-end tests of what a person watching sees: the progress line on
 * a terminal (a pseudo-terminal 80 columns wide), with the list's total
 * known ahead, a percentage and an ETA, never wider than the terminal;
 * and the summary after -c, which says the bytes transferred in this run
 * apart from those resumed.
 *
 * One server serves the group; every test works in its own temporary
 * directory.  The child runs with its stderr on the pseudo-terminal,
 * started with posix_spawn (file actions prepared before); the test reads
 * the terminal until the child is gone, every loop bounded in time.
 */
#define _GNU_SOURCE /* posix_openpt & co, posix_spawn_file_actions_addchdir_np */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"

#define RUN_TIMEOUT_S 60
#define COLUMNS       80
#define N_URLS        40

extern char **environ;

static struct h_server server;

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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pseudo-terminal `cols` wide, raw (no "\n" to "\r\n"): the master in
 * *master, the slave's open descriptor returned; -1 on failure. */
static int open_pty(int cols, int *master)
{
	struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)cols};
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY), s = -1;

	if (m < 0)
		return -1;
	if (grantpt(m) == 0 && unlockpt(m) == 0 && ptsname(m))
		s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0 || ioctl(s, TIOCSWINSZ, &ws) != 0 || tcgetattr(s, &t) != 0) {
		if (s >= 0)
			close(s);
		close(m);
		return -1;
	}
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	*master = m;
	return s;
}

/*
 * Runs $FETCHALL with argv in dir, stderr on a pseudo-terminal COLUMNS
 * wide, stdin and stdout /dev/null; returns everything written to the
 * terminal (caller frees) and the exit status, or NULL.
 */
static char *run_on_pty(const char *dir, const char *const argv[], int *status)
{
	const char *env = getenv("FETCHALL") ? getenv("FETCHALL") : "build/release/fetchall";
	char bin[PATH_MAX];
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	int master = -1, slave = open_pty(COLUMNS, &master), rc;
	int64_t deadline = now_ms() + RUN_TIMEOUT_S * 1000;
	bool exited = false;
	pid_t pid;

	*status = -1;
	/* the child changes directory before it runs the binary */
	if (!out || slave < 0 || !realpath(env, bin)) {
		if (slave >= 0) {
			close(slave);
			close(master);
		}
		free(out);
		return NULL;
	}
	rc = posix_spawn_file_actions_init(&fa);
	rc |= posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc |= posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc |= posix_spawn_file_actions_adddup2(&fa, slave, 2);
	rc |= posix_spawn_file_actions_addchdir_np(&fa, dir);
	rc |= posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (rc == 0)
		rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)(uintptr_t)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(slave);
	if (rc != 0) {
		close(master);
		free(out);
		return NULL;
	}
	/* Read until the child is gone and the terminal drained (EIO once
	 * no slave is open), or the deadline. */
	while (now_ms() < deadline) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		ssize_t got;

		if (!exited && waitpid(pid, status, WNOHANG) == pid)
			exited = true;
		if (poll(&p, 1, 100) <= 0) {
			if (exited)
				break;
			continue;
		}
		if (len + 4096 + 1 > cap) {
			char *more = realloc(out, cap * 2);

			if (!more)
				break;
			out = more;
			cap *= 2;
		}
		got = read(master, out + len, cap - len - 1);
		if (got <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (exited)
				break;
			continue;
		}
		len += (size_t)got;
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		*status = -1;
	} else {
		*status = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
	}
	close(master);
	out[len] = '\0';
	return out;
}

/* The list file dir/list.txt: n slow URLs. */
static char *write_list(const char *dir, int n, long delay_ms)
{
	size_t cap = (size_t)n * 96 + 64, len = 0;
	char *data = malloc(cap), path[4200], *copy;

	assert_non_null(data);
	len += (size_t)snprintf(data, cap, "# slow files\n\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(data + len, cap - len, "%s/delay/%ld/f%d\n", server.base,
					delay_ms, i);
	snprintf(path, sizeof(path), "%s/list.txt", dir);
	assert_int_equal(h_write_file(path, data, len), 0);
	free(data);
	copy = strdup(path);
	assert_non_null(copy);
	return copy;
}

/* A list on disk is counted ahead: the line shows done/total, a
 * percentage and an ETA, and no line drawn is wider than the terminal. */
static void test_progress_pty_total_eta_fits(void **state)
{
	struct h_tmp *c = *state;
	char *list = write_list(c->dir, N_URLS, 150), *out, *line, *save = NULL;
	char want[32], outdir[4200];
	const char *argv[] = {"fetchall", list, "-o", outdir, "-j", "2", NULL};
	int status, drawn = 0;

	snprintf(outdir, sizeof(outdir), "%s/out", c->dir);
	out = run_on_pty(c->dir, argv, &status);
	assert_non_null(out);
	if (status != 0)
		fail_msg("exit %d: %s", status, out);
	snprintf(want, sizeof(want), "/%d ", N_URLS);
	if (!strstr(out, want) || !strstr(out, "%]") || !strstr(out, "ETA "))
		fail_msg("no total, percentage or ETA in: %s", out);
	assert_non_null(strstr(out, "fetchall: 40 URLs: 40 ok"));
	/* "\033[K" (erase to the end of the line) takes no column */
	for (char *k; (k = strstr(out, "\033[K"));)
		memmove(k, k + 3, strlen(k + 3) + 1);
	for (line = strtok_r(out, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (line[0] != '[')
			continue; /* the summary */
		drawn++;
		if (strlen(line) >= COLUMNS)
			fail_msg("%zu columns: \"%s\"", strlen(line), line);
	}
	assert_true(drawn >= 1);
	free(out);
	free(list);
}

/* With -c, the summary says what came over the network apart from what
 * was on disk already, and the JSON's "transferred" is this run's. */
static void test_progress_resumed_summary(void **state)
{
	struct h_tmp *c = *state;
	uint8_t *head = malloc(2500000);
	char path[4300], url[256], outdir[4200], line[4096], v[64];
	const char *argv[] = {"fetchall", url, "-o", outdir, "-c", "--json", NULL};
	struct h_result r;

	assert_non_null(head);
	snprintf(outdir, sizeof(outdir), "%s/out", c->dir);
	assert_int_equal(mkdir(outdir, 0755), 0);
	tsrv_fill(4000000, 0, head, 2500000);
	snprintf(path, sizeof(path), "%s/resumed.bin.part", outdir);
	assert_int_equal(h_write_file(path, head, 2500000), 0);
	free(head);
	snprintf(url, sizeof(url), "%s/bytes/4000000/resumed.bin", server.base);
	assert_int_equal(h_run(argv, NULL, RUN_TIMEOUT_S, &r), 0);
	H_ASSERT_RUN_SANE(&r, outdir);
	assert_int_equal(r.status, 0);
	snprintf(path, sizeof(path), "%s/resumed.bin", outdir);
	assert_true(h_check_bytes(path, 4000000, 4000000));
	if (!strstr(r.err, "1.50 MB transferred, 2.50 MB resumed, in "))
		fail_msg("summary: %s", r.err);
	assert_non_null(h_json_line_for(r.out, "/resumed.bin", line, sizeof(line)));
	assert_true(h_json_get(line, "bytes", v, sizeof(v)));
	assert_string_equal(v, "4000000");
	assert_true(h_json_get(line, "transferred", v, sizeof(v)));
	assert_string_equal(v, "1500000");
	h_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_progress_pty_total_eta_fits, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_progress_resumed_summary, h_tmp_setup,
					    h_tmp_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
