/*
 * harness: what the integration tests share — starting the test server,
 * reading its counters, running the real fetchall binary with a time bound,
 * and small file helpers.
 *
 * Paths come from the environment, as `make test` sets them: FETCHALL (the
 * binary under test), TESTSERVER (the test server) and FIXTURES (the
 * fixtures directory).  No shell is ever involved: children are started
 * with posix_spawn and every child is reaped.
 *
 * A test's main() must call curl_global_init() before using
 * h_server_stats()/h_server_reset() and before starting any thread.
 * Functions that keep no state (everything except what the caller passes
 * in) are thread-safe; none prints except to report a harness failure on
 * stderr.
 */
#ifndef H_HARNESS_H
#define H_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A running test server.  Filled by h_server_start(); pid is 0 when none. */
struct h_server {
	pid_t pid;
	int port;
	char base[64]; /* "http://127.0.0.1:PORT", no trailing slash */
};

/* The server's /stats counters (see tests/server/server.c). */
struct h_stats {
	long long connections;     /* connections that carried a counted request */
	long long requests;        /* requests counted (not /stats itself) */
	long long inflight;        /* requests being handled now */
	long long max_inflight;    /* most handled at once since the last reset */
	long long robots_requests; /* requests for /robots.txt since the reset */
	long long proxy_requests;  /* requests in absolute-form (as to a proxy) */
	long long head_requests;   /* HEAD requests */
};

/* The outcome of h_run().  out and err are NUL-terminated heap strings
 * owned by the result; h_result_release() frees them. */
struct h_result {
	int status;    /* exit code, or 128 + signal number */
	int timed_out; /* 1 if the timeout hit and the child was killed */
	char *out;     /* everything written to stdout */
	size_t out_len;
	char *err; /* everything written to stderr */
	size_t err_len;
};

/* Starts $TESTSERVER --quiet --max-seconds 600 [--root root_or_null] and
 * waits at most 10 s for its "port N" line.  Returns 0 and fills *s, or -1
 * (nothing left running; *s zeroed).  root_or_null is only borrowed. */
int h_server_start(struct h_server *s, const char *root_or_null);

/* Stops the server: SIGTERM, up to 5 s for it to exit, then SIGKILL.  The
 * process is always reaped and *s zeroed.  Returns 0 if it exited with
 * status 0 (or none was running), -1 otherwise (killed, crashed, or a
 * sanitizer failed it) after saying so on stderr.  Safe on a zeroed or
 * already stopped *s. */
int h_server_stop(struct h_server *s);

/* "BASE" + path as a new heap string ("http://127.0.0.1:PORT/bytes/10"); the
 * caller frees it.  Returns NULL only when out of memory. */
char *h_url(const struct h_server *s, const char *path);

/* Fetches /stats (5 s timeout) into *st.  Returns 0 or -1. */
int h_server_stats(const struct h_server *s, struct h_stats *st);

/* Fetches /stats/reset, zeroing the counters (inflight stays a live gauge;
 * max_inflight restarts from it).  Fills *st_or_null with the counters
 * after the reset.  Returns 0 or -1. */
int h_server_reset(const struct h_server *s, struct h_stats *st_or_null);

/* One line of the server's /stats/log (see tests/server/server.c): a
 * counted request's start and end on the system-wide CLOCK_MONOTONIC, in
 * microseconds, so entries of several servers compare. */
struct h_log_entry {
	long long start_us; /* its head had been read */
	long long end_us;   /* its response's last byte was being sent; -1: in flight */
	char path[512];     /* path, then "?" and the query if any; longer ones cut */
};

/* Fetches /stats/log (10 s timeout) into a new heap array *out (caller
 * frees) of *n entries, in start order.  Returns 0, or -1 (and *out NULL,
 * *n 0) if it cannot be fetched or parsed, or if the server dropped
 * entries at its cap: an incomplete log proves nothing. */
int h_server_log(const struct h_server *s, struct h_log_entry **out, size_t *n);

/* A redis-server of the test's own, on a unix socket only. */
struct h_redis {
	pid_t pid; /* 0 when none runs */
	char dir[4096];
	char sock[4200];
	char url[4300]; /* "unix://DIR/redis.sock" */
};

/* Starts redis-server ($REDIS_SERVER, else the first in PATH) in a fresh
 * directory DIR made by h_tmpdir(), as
 *   --port 0 --unixsocket DIR/redis.sock --unixsocketperm 700 --save ""
 *   --appendonly no --dir DIR --daemonize no --loglevel warning
 * with stdout and stderr in DIR/redis.log, and waits up to 10 s for PING to
 * answer PONG.  Returns 0 with *r filled; -2 if redis-server is not
 * installed (a test then skips, saying so); -1 on any other failure (said
 * on stderr).  On failure nothing is left running or on disk and *r is
 * zeroed. */
int h_redis_start(struct h_redis *r);

/* Stops it: SIGTERM, up to 5 s for it to exit, then SIGKILL; reaps it,
 * removes its directory and zeroes *r.  Returns 0 if it exited with
 * status 0 (or none ran), else -1.  Safe on a zeroed *r. */
int h_redis_stop(struct h_redis *r);

/* Runs one command, argv[0..argc) (each a NUL-terminated string; no
 * quoting), on a new connection to r (5 s timeouts), and renders the reply
 * as text into a new heap string *out (caller frees): an integer in
 * decimal, a bulk or status string as is, nil as "(nil)", an array as its
 * elements rendered so, flattened, one a line joined by '\n' (no newline
 * after the last; "" if empty).  Returns 0, or -1 (*out NULL) if it cannot
 * connect or the reply is an error (said on stderr).  Thread-safe. */
int h_redis_cmd(const struct h_redis *r, char **out, int argc, const char *const argv[]);

/* Runs $FETCHALL with argv[1..] (argv[0] is ignored and replaced; argv ends
 * with NULL) in the current directory.  stdin_data_or_null (a NUL-terminated
 * string) is its stdin, else /dev/null.  After timeout_s seconds the child
 * is killed with SIGKILL (status 128 + 9, timed_out 1).  Returns 0 and
 * fills *out (caller releases it), or -1 if the child could not be run (out
 * then holds nothing to release).  argv and stdin are borrowed. */
int h_run(const char *const argv[], const char *stdin_data_or_null, int timeout_s,
	  struct h_result *out);

/* As h_run(), but the child starts in directory cwd. */
int h_run_in(const char *cwd, const char *const argv[], const char *stdin_data_or_null,
	     int timeout_s, struct h_result *out);

/* Frees what *r holds and zeroes it.  Safe on a zeroed result. */
void h_result_release(struct h_result *r);

/* Starts $FETCHALL with argv as h_run() does, without waiting: stdout goes
 * to DIR/stdout and stderr to DIR/stderr (created or truncated).  Returns
 * the pid, which the caller must pass to h_wait(), or -1. */
pid_t h_spawn(const char *const argv[], const char *stdin_data_or_null, const char *dir);

/* Waits up to timeout_s for pid to exit and reaps it.  Returns 0 with
 * *status = exit code or 128 + signal; or -1 on timeout, after killing it
 * with SIGKILL and reaping it (*status = 128 + 9). */
int h_wait(pid_t pid, int timeout_s, int *status);

/* Makes a fresh directory under $TMPDIR (or /tmp).  Returns its path as a
 * heap string the caller frees, or NULL. */
char *h_tmpdir(void);

/* A test's state when it is only a fresh directory to work in. */
struct h_tmp {
	char *dir; /* from h_tmpdir() */
};

/* cmocka per-test setup and teardown with a struct h_tmp as the state:
 * the directory made, then removed with all in it (set FETCHALL_KEEP to
 * keep it, and its path is said on stderr). */
int h_tmp_setup(void **state);
int h_tmp_teardown(void **state);

/* Removes dir and everything under it, never following symlinks.  Errors
 * are ignored. */
void h_rmrf(const char *dir);

/* Reads a whole file into a new NUL-terminated heap buffer *data (caller
 * frees) of *len bytes (the NUL not counted).  Returns 0 or -1. */
int h_read_file(const char *path, char **data, size_t *len);

/* Creates or truncates path with len bytes of data.  Returns 0 or -1. */
int h_write_file(const char *path, const void *data, size_t len);

/* Counts regular files under dir, recursively, whose names end with
 * suffix_or_null (all files if NULL).  Returns the count, or -1 if dir
 * cannot be read. */
int h_count_files(const char *dir, const char *suffix_or_null);

/* True (1) iff path holds exactly the n bytes of /bytes/N?seed=seed;
 * 0 otherwise (including when it cannot be read). */
int h_check_bytes(const char *path, uint64_t seed, uint64_t n);

/* The value of "key" in one JSON object line (the --json format: flat,
 * one object a line; keys are never repeated) into out (outlen bytes,
 * NUL-terminated): a string unescaped (\" \\ \/ \n \t and \u00XX),
 * a number or literal (true, false, null) as its text.  Returns 1 if the
 * key is there, 0 if not (out then "").  Pure: thread-safe. */
int h_json_get(const char *line, const char *key, char *out, size_t outlen);

/* The first line of out (--json lines) whose "url" ends with url_suffix,
 * copied into buf (len bytes, NUL-terminated; longer lines are passed
 * over).  Returns buf, or NULL if no line matches.  Pure: thread-safe. */
const char *h_json_line_for(const char *out, const char *url_suffix, char *buf, size_t len);

/*
 * Checks every line of out (what fetchall --json wrote) for the outcome
 * invariants: each line a well-formed flat JSON object with "url", "ok",
 * "skipped", "error", "skip_reason", "bytes" and "path"; ok false =>
 * error set and not skipped; ok true => error null; skipped => ok true and
 * a skip_reason; not skipped => skip_reason null; a saved file (ok, not
 * skipped, path set) exists under dir_or_null (or at path, if absolute)
 * with exactly "bytes" bytes, found by "path_bytes" (percent-decoded)
 * when the line has it, so a name that is not UTF-8 is checked too.
 * Returns NULL when all hold, else a heap message naming the line and the
 * rule (caller frees).
 */
char *h_json_check(const char *out, const char *dir_or_null);

/*
 * What is wrong with a finished fetchall run, as a heap message (caller
 * frees), or NULL: it timed out; it died of a signal (status 128 + N,
 * except 130, an interrupted run's own exit code); its stderr holds a
 * sanitizer or uafguard report; or its stdout holds JSON lines (starts
 * with '{') that break h_json_check() against dir_or_null.  err and
 * json_out may be NULL.
 */
char *h_child_problem(int status, int timed_out, const char *err, const char *json_out,
		      const char *dir_or_null);

/* In a cmocka test: fails it with h_child_problem()'s message, if any. */
#define H_ASSERT_SANE(status, timed_out, err, json_out, dir)                                   \
	do {                                                                                   \
		char *why_ = h_child_problem((status), (timed_out), (err), (json_out), (dir)); \
		if (why_)                                                                      \
			fail_msg("%s", why_);                                                  \
	} while (0)

/* H_ASSERT_SANE() for an h_run() result. */
#define H_ASSERT_RUN_SANE(r, dir) \
	H_ASSERT_SANE((r)->status, (r)->timed_out, (r)->err, (r)->out, (dir))

/* $FIXTURES, or "fixtures" when unset.  Borrowed from the environment. */
const char *h_fixtures(void);

#endif
