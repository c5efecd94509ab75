/*
 * harness: the integration tests' helpers (see harness.h) — the test
 * server's lifecycle and counters, running fetchall with a time bound, and
 * file utilities.
 *
 * Children are started with posix_spawn (file actions prepared before the
 * spawn; nothing runs in the child but exec), never through a shell, and
 * inherit only descriptors 0-2.  A
 * child's stdin and captured stdout/stderr are unlinked temporary files,
 * so a chatty child can never block on a full pipe.  Waiting for a child is
 * a poll() on its pidfd with a deadline; where pidfds are missing it falls
 * back to waitpid(WNOHANG) every 5 ms.  Every child is reaped: on timeout
 * it is killed with SIGKILL first.
 *
 * There is no shared state and no locking: each call works on what its
 * caller passes, so calls from different threads do not interfere.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np, mkostemp, nftw */

#include <curl/curl.h>
#include <dirent.h>
#include <hiredis/hiredis.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"
#include "json.h"
#include "url.h"

extern char **environ;

#define SERVER_START_MS 10000
#define SERVER_STOP_S   5
#define STATS_BODY_MAX  1024
#define LOG_BODY_MAX    (256L * 1024 * 1024)
#define REDIS_START_MS  10000
#define REDIS_STOP_S    5
#define REDIS_IO_S      5

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int decode_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

/* Waits until pid has exited or deadline passes, without reaping it.
 * Returns 1 if it has exited, 0 on timeout. */
static int wait_exit(pid_t pid, int64_t deadline)
{
#ifdef SYS_pidfd_open
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0) {
		int ready = 0;

		for (;;) {
			struct pollfd p;
			int64_t left = deadline - now_ms();
			int n;

			if (left <= 0)
				break;
			p.fd = pfd;
			p.events = POLLIN;
			p.revents = 0;
			n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
			if (n < 0 && errno == EINTR)
				continue;
			ready = n > 0;
			break;
		}
		close(pfd);
		return ready;
	}
#endif
	for (;;) {
		siginfo_t info;

		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == pid)
			return 1;
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(5);
	}
}

int h_wait(pid_t pid, int timeout_s, int *status)
{
	int wstatus = 0;
	int exited = wait_exit(pid, now_ms() + (int64_t)timeout_s * 1000);

	if (!exited)
		kill(pid, SIGKILL);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	*status = exited ? decode_status(wstatus) : 128 + SIGKILL;
	return exited ? 0 : -1;
}

/* An unlinked temporary file open for reading and writing, or -1. */
static int temp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/fetchall-h-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads fd from its current offset to EOF into a new NUL-terminated heap
 * buffer.  Returns 0 or -1. */
static int read_all(int fd, char **data, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -1;
	for (;;) {
		ssize_t n;

		if (cap - used < 2) {
			char *grown = realloc(buf, cap * 2);

			if (grown == NULL) {
				free(buf);
				return -1;
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
}

/* A file descriptor to give as the child's stdin: the data in an unlinked
 * temp file, or /dev/null.  Returns the fd or -1. */
static int stdin_fd(const char *data)
{
	int fd;

	if (data == NULL)
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd = temp_fd();
	if (fd < 0)
		return -1;
	if (write_all(fd, data, strlen(data)) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Spawns path with argv[1..] (argv[0] replaced by path) in cwd (NULL: the
 * current one), with fds in_fd/out_fd/err_fd as its stdin/stdout/stderr
 * (-1: inherit).  Returns the pid or -1.
 */
static pid_t spawn(const char *path, const char *const argv[], const char *cwd, int in_fd,
		   int out_fd, int err_fd)
{
	posix_spawn_file_actions_t fa;
	char resolved[PATH_MAX];
	char **args;
	size_t n = 0, i;
	pid_t pid = -1;
	int rc;

	if (cwd != NULL && path[0] != '/') {
		/* the child resolves a relative path after its chdir */
		if (realpath(path, resolved) == NULL)
			return -1;
		path = resolved;
	}
	while (argv != NULL && argv[n] != NULL)
		n++;
	/* path, then argv[1..n-1], then NULL */
	args = calloc(n + 2, sizeof(*args));
	if (args == NULL)
		return -1;
	args[0] = (char *)path;
	for (i = 1; i < n; i++)
		args[i] = (char *)argv[i];

	rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0) {
		free(args);
		return -1;
	}
	if (in_fd >= 0)
		rc |= posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	if (out_fd >= 0)
		rc |= posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (err_fd >= 0)
		rc |= posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	if (cwd != NULL)
		rc |= posix_spawn_file_actions_addchdir_np(&fa, cwd);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* the child gets stdin, stdout and stderr only: no test socket or
	 * pipe of ours stays open in it */
	rc |= posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	if (rc == 0)
		rc = posix_spawn(&pid, path, &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(args);
	if (rc != 0) {
		fprintf(stderr, "harness: cannot run %s: %s\n", path, strerror(rc));
		return -1;
	}
	return pid;
}

static const char *fetchall_path(void)
{
	const char *p = getenv("FETCHALL");

	if (p == NULL || p[0] == '\0')
		fprintf(stderr, "harness: FETCHALL is not set\n");
	return p != NULL && p[0] != '\0' ? p : NULL;
}

int h_run_in(const char *cwd, const char *const argv[], const char *stdin_data_or_null,
	     int timeout_s, struct h_result *out)
{
	const char *path = fetchall_path();
	int in_fd = -1, out_fd = -1, err_fd = -1, rc = -1, status;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		return -1;
	in_fd = stdin_fd(stdin_data_or_null);
	out_fd = temp_fd();
	err_fd = temp_fd();
	if (in_fd < 0 || out_fd < 0 || err_fd < 0)
		goto out;
	pid = spawn(path, argv, cwd, in_fd, out_fd, err_fd);
	if (pid < 0)
		goto out;
	out->timed_out = h_wait(pid, timeout_s > 0 ? timeout_s : 60, &status) != 0;
	out->status = status;
	if (lseek(out_fd, 0, SEEK_SET) != 0 || lseek(err_fd, 0, SEEK_SET) != 0 ||
	    read_all(out_fd, &out->out, &out->out_len) != 0 ||
	    read_all(err_fd, &out->err, &out->err_len) != 0) {
		h_result_release(out);
		goto out;
	}
	rc = 0;
out:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	return rc;
}

int h_run(const char *const argv[], const char *stdin_data_or_null, int timeout_s,
	  struct h_result *out)
{
	return h_run_in(NULL, argv, stdin_data_or_null, timeout_s, out);
}

void h_result_release(struct h_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

pid_t h_spawn(const char *const argv[], const char *stdin_data_or_null, const char *dir)
{
	const char *path = fetchall_path();
	char name[PATH_MAX];
	int in_fd = -1, out_fd = -1, err_fd = -1;
	pid_t pid = -1;

	if (path == NULL)
		return -1;
	in_fd = stdin_fd(stdin_data_or_null);
	snprintf(name, sizeof(name), "%s/stdout", dir);
	out_fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	snprintf(name, sizeof(name), "%s/stderr", dir);
	err_fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in_fd >= 0 && out_fd >= 0 && err_fd >= 0)
		pid = spawn(path, argv, NULL, in_fd, out_fd, err_fd);
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	return pid;
}

/* ---- the test server ---- */

/* Reads the "port N" line from fd within deadline.  Returns the port or -1. */
static int read_port(int fd, int64_t deadline)
{
	char line[64];
	size_t used = 0;

	for (;;) {
		struct pollfd p;
		int64_t left = deadline - now_ms();
		char *nl, *end;
		ssize_t n;
		long port;

		nl = memchr(line, '\n', used);
		if (nl != NULL) {
			*nl = '\0';
			if (strncmp(line, "port ", 5) != 0)
				return -1;
			errno = 0;
			port = strtol(line + 5, &end, 10);
			if (errno != 0 || end == line + 5 || *end != '\0' || port <= 0 ||
			    port > 65535)
				return -1;
			return (int)port;
		}
		if (left <= 0 || used == sizeof(line))
			return -1;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		n = read(fd, line + used, sizeof(line) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		used += (size_t)n;
	}
}

int h_server_start(struct h_server *s, const char *root_or_null)
{
	const char *path = getenv("TESTSERVER");
	const char *argv[7];
	int fds[2], in_fd, status;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "harness: TESTSERVER is not set\n");
		return -1;
	}
	argv[0] = path;
	argv[1] = "--quiet";
	argv[2] = "--max-seconds";
	argv[3] = "600";
	argv[4] = root_or_null != NULL ? "--root" : NULL;
	argv[5] = root_or_null;
	argv[6] = NULL;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = in_fd >= 0 ? spawn(path, argv, NULL, in_fd, fds[1], -1) : -1;
	if (in_fd >= 0)
		close(in_fd);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -1;
	}
	s->port = read_port(fds[0], now_ms() + SERVER_START_MS);
	close(fds[0]);
	if (s->port < 0) {
		fprintf(stderr, "harness: %s did not report its port\n", path);
		kill(pid, SIGKILL);
		(void)h_wait(pid, SERVER_STOP_S, &status);
		memset(s, 0, sizeof(*s));
		return -1;
	}
	s->pid = pid;
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	return 0;
}

/* SIGTERM to a child of ours (what names it in a message), limit_s
 * seconds for it to exit (then h_wait's SIGKILL); reaped.  Returns 0 if
 * it exited with status 0 (or pid is 0), else -1, saying why. */
static int stop_child(pid_t pid, int limit_s, const char *what)
{
	int status = 0;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	if (h_wait(pid, limit_s, &status) != 0)
		fprintf(stderr, "harness: %s ignored SIGTERM\n", what);
	else if (status != 0)
		fprintf(stderr, "harness: %s exited with %d\n", what, status);
	return status == 0 ? 0 : -1;
}

int h_server_stop(struct h_server *s)
{
	int rc = stop_child(s->pid, SERVER_STOP_S, "test server");

	memset(s, 0, sizeof(*s));
	return rc;
}

char *h_url(const struct h_server *s, const char *path)
{
	size_t len = strlen(s->base) + strlen(path) + 1;
	char *url = malloc(len);

	if (url != NULL)
		snprintf(url, len, "%s%s", s->base, path);
	return url;
}

struct body {
	char data[STATS_BODY_MAX];
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;

	if (n >= sizeof(b->data) - b->len)
		return 0; /* too big for /stats: abort the transfer */
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* The whole number field key of the server's /stats object.  Returns 0
 * or -1. */
static int stats_number(const char *json, const char *key, long long *out)
{
	double d;

	if (!json_number(json, key, &d) || d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

static int fetch_stats(const struct h_server *s, const char *path, struct h_stats *st)
{
	struct body b;
	struct h_stats got;
	CURL *curl = curl_easy_init();
	char *url = h_url(s, path);
	long code = 0;
	int rc = -1;

	b.len = 0;
	b.data[0] = '\0';
	if (curl == NULL || url == NULL)
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* whatever a test set */
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(curl) != CURLE_OK)
		goto out;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200 || stats_number(b.data, "connections", &got.connections) != 0 ||
	    stats_number(b.data, "requests", &got.requests) != 0 ||
	    stats_number(b.data, "inflight", &got.inflight) != 0 ||
	    stats_number(b.data, "max_inflight", &got.max_inflight) != 0 ||
	    stats_number(b.data, "robots_requests", &got.robots_requests) != 0 ||
	    stats_number(b.data, "proxy_requests", &got.proxy_requests) != 0 ||
	    stats_number(b.data, "head_requests", &got.head_requests) != 0)
		goto out;
	if (st != NULL)
		*st = got;
	rc = 0;
out:
	curl_easy_cleanup(curl);
	free(url);
	return rc;
}

int h_server_stats(const struct h_server *s, struct h_stats *st)
{
	return fetch_stats(s, "/stats", st);
}

int h_server_reset(const struct h_server *s, struct h_stats *st_or_null)
{
	return fetch_stats(s, "/stats/reset", st_or_null);
}

/* A response body of any size up to LOG_BODY_MAX, NUL-terminated. */
struct big_body {
	char *data;
	size_t len;
	size_t cap;
};

static size_t collect_big(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct big_body *b = userdata;
	size_t n = size * nmemb;

	if (n >= LOG_BODY_MAX - b->len)
		return 0; /* abort the transfer */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 65536;
		char *grown;

		while (b->len + n + 1 > cap)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (grown == NULL)
			return 0;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Parses one "START END TARGET" line (NUL-terminated, no newline) into
 * *e.  Returns 0 or -1. */
static int log_line(const char *line, struct h_log_entry *e)
{
	const char *p = line;
	char *end;

	errno = 0;
	e->start_us = strtoll(p, &end, 10);
	if (errno != 0 || end == p || *end != ' ' || e->start_us < 0)
		return -1;
	p = end + 1;
	e->end_us = strtoll(p, &end, 10);
	if (errno != 0 || end == p || *end != ' ' || e->end_us < -1)
		return -1;
	p = end + 1;
	if (*p == '\0')
		return -1;
	snprintf(e->path, sizeof(e->path), "%s", p);
	return 0;
}

int h_server_log(const struct h_server *s, struct h_log_entry **out, size_t *n)
{
	struct big_body b = {NULL, 0, 0};
	struct h_log_entry *entries = NULL;
	CURL *curl = curl_easy_init();
	char *url = h_url(s, "/stats/log");
	size_t count = 0, lines = 0, i;
	char *line, *nl;
	long code = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (curl == NULL || url == NULL)
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_big);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(curl) != CURLE_OK)
		goto out;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		goto out;
	for (i = 0; i < b.len; i++)
		lines += b.data[i] == '\n';
	entries = malloc((lines > 0 ? lines : 1) * sizeof(*entries));
	if (entries == NULL)
		goto out;
	for (line = b.data; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl == NULL) {
			fprintf(stderr, "harness: /stats/log ends inside a line\n");
			goto out;
		}
		*nl = '\0';
		if (line[0] == '#') {
			fprintf(stderr, "harness: /stats/log is incomplete: %s\n", line);
			goto out;
		}
		if (log_line(line, &entries[count]) != 0) {
			fprintf(stderr, "harness: bad /stats/log line: %s\n", line);
			goto out;
		}
		count++;
	}
	*out = entries;
	*n = count;
	entries = NULL;
	rc = 0;
out:
	curl_easy_cleanup(curl);
	free(url);
	free(b.data);
	free(entries);
	return rc;
}

/* ---- redis ---- */

/* The redis-server to run into path (size bytes): $REDIS_SERVER if set,
 * else the first executable "redis-server" in $PATH.  Returns 0, or -1 if
 * there is none. */
static int redis_server_path(char *path, size_t size)
{
	const char *env = getenv("REDIS_SERVER");
	const char *dirs = getenv("PATH");
	const char *p, *colon;

	if (env != NULL && env[0] != '\0') {
		snprintf(path, size, "%s", env);
		return access(path, X_OK) == 0 ? 0 : -1;
	}
	if (dirs == NULL || dirs[0] == '\0')
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs;; p = colon + 1) {
		size_t len;

		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (len > 0 &&
		    (size_t)snprintf(path, size, "%.*s/redis-server", (int)len, p) < size &&
		    access(path, X_OK) == 0)
			return 0;
		if (colon == NULL)
			return -1;
	}
}

/* A connection to r's socket with REDIS_IO_S timeouts, or NULL (quiet
 * unless say). */
static redisContext *redis_connect(const struct h_redis *r, int say)
{
	struct timeval tv = {REDIS_IO_S, 0};
	redisContext *ctx = redisConnectUnixWithTimeout(r->sock, tv);

	if (ctx != NULL && ctx->err == 0 && redisSetTimeout(ctx, tv) == REDIS_OK)
		return ctx;
	if (say)
		fprintf(stderr, "harness: redis %s: %s\n", r->sock,
			ctx != NULL ? ctx->errstr : "out of memory");
	if (ctx != NULL)
		redisFree(ctx);
	return NULL;
}

/* True if PING on a new connection answers PONG. */
static int redis_pong(const struct h_redis *r)
{
	redisContext *ctx = redis_connect(r, 0);
	redisReply *reply;
	int ok;

	if (ctx == NULL)
		return 0;
	reply = redisCommand(ctx, "PING");
	ok = reply != NULL && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
	if (reply != NULL)
		freeReplyObject(reply);
	redisFree(ctx);
	return ok;
}

int h_redis_start(struct h_redis *r)
{
	char path[PATH_MAX], log[4200];
	char *dir;
	const char *argv[20];
	int in_fd = -1, log_fd = -1, status;
	int64_t deadline;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	if (redis_server_path(path, sizeof(path)) != 0)
		return -2;
	dir = h_tmpdir();
	if (dir == NULL)
		return -1;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	free(dir);
	snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
	snprintf(r->url, sizeof(r->url), "unix://%s", r->sock);
	snprintf(log, sizeof(log), "%s/redis.log", r->dir);
	if (strlen(r->sock) >= 104) { /* sun_path's size, less some margin */
		fprintf(stderr, "harness: %s is too long for a unix socket\n", r->sock);
		goto fail;
	}
	argv[0] = path;
	argv[1] = "--port";
	argv[2] = "0";
	argv[3] = "--unixsocket";
	argv[4] = r->sock;
	argv[5] = "--unixsocketperm";
	argv[6] = "700";
	argv[7] = "--save";
	argv[8] = "";
	argv[9] = "--appendonly";
	argv[10] = "no";
	argv[11] = "--dir";
	argv[12] = r->dir;
	argv[13] = "--daemonize";
	argv[14] = "no";
	argv[15] = "--loglevel";
	argv[16] = "warning";
	argv[17] = NULL;
	in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in_fd >= 0 && log_fd >= 0)
		pid = spawn(path, argv, NULL, in_fd, log_fd, log_fd);
	if (in_fd >= 0)
		close(in_fd);
	if (log_fd >= 0)
		close(log_fd);
	if (pid < 0)
		goto fail;
	deadline = now_ms() + REDIS_START_MS;
	for (;;) {
		siginfo_t info;

		if (redis_pong(r))
			break;
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == pid) {
			fprintf(stderr, "harness: %s exited at start (see its log above)\n", path);
			goto fail;
		}
		if (now_ms() >= deadline) {
			fprintf(stderr, "harness: %s did not answer PING within %d ms\n", path,
				REDIS_START_MS);
			goto fail;
		}
		sleep_ms(20);
	}
	r->pid = pid;
	return 0;
fail:
	if (pid > 0) {
		char *text = NULL;
		size_t len;

		kill(pid, SIGKILL);
		(void)h_wait(pid, REDIS_STOP_S, &status);
		if (h_read_file(log, &text, &len) == 0 && len > 0)
			fprintf(stderr, "harness: redis.log:\n%s", text);
		free(text);
	}
	h_rmrf(r->dir);
	memset(r, 0, sizeof(*r));
	return -1;
}

int h_redis_stop(struct h_redis *r)
{
	int rc = stop_child(r->pid, REDIS_STOP_S, "redis-server");

	if (r->dir[0] != '\0')
		h_rmrf(r->dir);
	memset(r, 0, sizeof(*r));
	return rc;
}

/* Appends piece[0..plen) to *buf (a NUL-terminated heap string of *len
 * bytes).  Returns 0, or -1 (out of memory; *buf unchanged). */
static int append_text(char **buf, size_t *len, const char *piece, size_t plen)
{
	char *grown = realloc(*buf, *len + plen + 1);

	if (grown == NULL)
		return -1;
	memcpy(grown + *len, piece, plen);
	*len += plen;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

/* Appends reply, rendered as h_redis_cmd() says, to *buf (a heap string of
 * *len bytes).  Returns 0, or -1 (an error reply, said on stderr; or out
 * of memory). */
static int render_reply(const redisReply *reply, char **buf, size_t *len)
{
	char num[32];
	size_t i;

	switch (reply->type) {
	case REDIS_REPLY_ARRAY:
		for (i = 0; i < reply->elements; i++) {
			if ((i > 0 && append_text(buf, len, "\n", 1) != 0) ||
			    render_reply(reply->element[i], buf, len) != 0)
				return -1;
		}
		return 0;
	case REDIS_REPLY_INTEGER:
		snprintf(num, sizeof(num), "%lld", reply->integer);
		return append_text(buf, len, num, strlen(num));
	case REDIS_REPLY_NIL: return append_text(buf, len, "(nil)", 5);
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS: return append_text(buf, len, reply->str, reply->len);
	default: break;
	}
	fprintf(stderr, "harness: redis replied: %s\n",
		reply->type == REDIS_REPLY_ERROR ? reply->str : "(unknown reply type)");
	return -1;
}

int h_redis_cmd(const struct h_redis *r, char **out, int argc, const char *const argv[])
{
	redisContext *ctx = NULL;
	redisReply *reply = NULL;
	const char **args = NULL;
	char *text = NULL;
	size_t len = 0;
	int i, rc = -1;

	*out = NULL;
	if (argc <= 0)
		return -1;
	args = malloc((size_t)argc * sizeof(*args));
	text = calloc(1, 1);
	if (args == NULL || text == NULL)
		goto out;
	for (i = 0; i < argc; i++)
		args[i] = argv[i];
	ctx = redis_connect(r, 1);
	if (ctx == NULL)
		goto out;
	reply = redisCommandArgv(ctx, argc, args, NULL);
	if (reply == NULL) {
		fprintf(stderr, "harness: redis %s: %s\n", argv[0], ctx->errstr);
		goto out;
	}
	if (render_reply(reply, &text, &len) != 0)
		goto out;
	*out = text;
	text = NULL;
	rc = 0;
out:
	if (reply != NULL)
		freeReplyObject(reply);
	if (ctx != NULL)
		redisFree(ctx);
	free(args);
	free(text);
	return rc;
}

/* ---- files ---- */

char *h_tmpdir(void)
{
	const char *dir = getenv("TMPDIR");
	size_t len;
	char *path;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	len = strlen(dir) + sizeof("/fetchall-test-XXXXXX");
	path = malloc(len);
	if (path == NULL)
		return NULL;
	snprintf(path, len, "%s/fetchall-test-XXXXXX", dir);
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

int h_tmp_setup(void **state)
{
	struct h_tmp *t = calloc(1, sizeof(*t));

	if (!t || !(t->dir = h_tmpdir())) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int h_tmp_teardown(void **state)
{
	struct h_tmp *t = *state;

	if (getenv("FETCHALL_KEEP"))
		fprintf(stderr, "kept %s\n", t->dir);
	else
		h_rmrf(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void h_rmrf(const char *dir)
{
	if (dir != NULL)
		(void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int h_read_file(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = read_all(fd, data, len);
	close(fd);
	return rc;
}

int h_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc;

	if (fd < 0)
		return -1;
	rc = write_all(fd, data, len);
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static int ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* Counts matching files in the directory open as dfd (taken over and
 * closed) and below it.  Returns the count or -1. */
static int count_in(int dfd, const char *suffix)
{
	DIR *d = fdopendir(dfd);
	int count = 0;

	if (d == NULL) {
		close(dfd);
		return -1;
	}
	for (;;) {
		struct dirent *e = readdir(d);
		struct stat st;

		if (e == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int k = sub >= 0 ? count_in(sub, suffix) : -1;

			if (k > 0)
				count += k;
		} else if (S_ISREG(st.st_mode) &&
			   (suffix == NULL || ends_with(e->d_name, suffix))) {
			count++;
		}
	}
	closedir(d);
	return count;
}

int h_count_files(const char *dir, const char *suffix_or_null)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	return count_in(dfd, suffix_or_null);
}

int h_check_bytes(const char *path, uint64_t seed, uint64_t n)
{
	uint8_t got[16384], want[16384];
	uint64_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int ok = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != n)
		goto out;
	while (off < n) {
		ssize_t r = read(fd, got, sizeof(got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (uint64_t)r > n - off)
			goto out;
		tsrv_fill(seed, off, want, (size_t)r);
		if (memcmp(got, want, (size_t)r) != 0)
			goto out;
		off += (uint64_t)r;
	}
	ok = 1;
out:
	close(fd);
	return ok;
}

const char *h_fixtures(void)
{
	const char *f = getenv("FIXTURES");

	return f != NULL && f[0] != '\0' ? f : "fixtures";
}

/* ---- JSON lines ------------------------------------------------------- */

/* Skips a JSON string starting at p (the opening quote); returns the byte
 * after its closing quote, or NULL if it does not end on this line. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '\n'; p++) {
		if (*p == '\\') {
			if (!p[1] || p[1] == '\n')
				return NULL;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

const char *h_json_line_for(const char *out, const char *url_suffix, char *buf, size_t len)
{
	size_t slen = strlen(url_suffix);

	for (const char *p = out; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char url[8192];

		if (n < len) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (h_json_get(buf, "url", url, sizeof(url)) && strlen(url) >= slen &&
			    !strcmp(url + strlen(url) - slen, url_suffix))
				return buf;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

int h_json_get(const char *line, const char *key, char *out, size_t outlen)
{
	return json_string(line, key, out, outlen) ? 1 : 0;
}

/* Whether line (up to its newline) is one flat JSON object: balanced
 * quotes, starts with '{', ends with '}'. */
static int flat_object(const char *line, size_t len)
{
	const char *p = line, *end = line + len;

	if (len < 2 || line[0] != '{' || line[len - 1] != '}')
		return 0;
	while (p < end) {
		if (*p == '"') {
			p = skip_string(p);
			if (!p || p > end)
				return 0;
			continue;
		}
		if (*p == '{' && p != line)
			return 0;
		p++;
	}
	return 1;
}

static char *check_fail(const char *line, size_t len, const char *rule)
{
	size_t size = len + strlen(rule) + 32;
	char *msg = malloc(size);

	if (msg)
		snprintf(msg, size, "%s in: %.*s", rule, (int)len, line);
	return msg;
}

/* Decodes %XX escapes in s in place; false if a '%' is not followed by
 * two hex digits (the exact form escapes every '%'). */
static bool percent_decode_in_place(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		int hi, lo;

		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		hi = url_hex_value((unsigned char)r[1]);
		lo = hi >= 0 ? url_hex_value((unsigned char)r[2]) : -1;
		if (lo < 0)
			return false;
		*w++ = (char)(hi * 16 + lo);
		r += 2;
	}
	*w = '\0';
	return true;
}

char *h_json_check(const char *out, const char *dir_or_null)
{
	static const char *const keys[] = {"url",         "ok",    "skipped", "error",
					   "skip_reason", "bytes", "path"};
	const char *line = out;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char ok[8], skipped[8], error[2048], reason[256], bytes[32], path[4096];
		char exact[4096];
		int is_ok, is_skipped;

		if (!flat_object(line, len))
			return check_fail(line, len, "not one flat JSON object");
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!h_json_get(line, keys[i], error, sizeof(error)))
				return check_fail(line, len, "a key is missing");
		h_json_get(line, "ok", ok, sizeof(ok));
		h_json_get(line, "skipped", skipped, sizeof(skipped));
		h_json_get(line, "error", error, sizeof(error));
		h_json_get(line, "skip_reason", reason, sizeof(reason));
		h_json_get(line, "bytes", bytes, sizeof(bytes));
		h_json_get(line, "path", path, sizeof(path));
		is_ok = strcmp(ok, "true") == 0;
		is_skipped = strcmp(skipped, "true") == 0;
		if (!is_ok && (strcmp(error, "null") == 0 || error[0] == '\0'))
			return check_fail(line, len, "failed without an error");
		if (!is_ok && is_skipped)
			return check_fail(line, len, "failed and skipped");
		if (is_ok && strcmp(error, "null") != 0)
			return check_fail(line, len, "ok with an error");
		if (is_skipped && (strcmp(reason, "null") == 0 || reason[0] == '\0'))
			return check_fail(line, len, "skipped without a reason");
		if (!is_skipped && strcmp(reason, "null") != 0)
			return check_fail(line, len, "a skip reason but not skipped");
		/* A name that is not UTF-8 is written with U+FFFD in "path", and
		 * exactly, percent-encoded, in "path_bytes". */
		if (h_json_get(line, "path_bytes", exact, sizeof(exact))) {
			if (!percent_decode_in_place(exact))
				return check_fail(line, len,
						  "path_bytes is not percent-encoded bytes");
			snprintf(path, sizeof(path), "%s", exact);
		}
		if (is_ok && !is_skipped && strcmp(path, "null") != 0 && dir_or_null) {
			char full[8192];
			struct stat st;

			if (path[0] == '/')
				snprintf(full, sizeof(full), "%s", path); /* -O /abs/FILE */
			else
				snprintf(full, sizeof(full), "%s/%s", dir_or_null, path);
			if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode))
				return check_fail(line, len, "saved, but no file at its path");
			if ((long long)st.st_size != strtoll(bytes, NULL, 10))
				return check_fail(line, len,
						  "saved bytes differ from the file's size");
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

char *h_child_problem(int status, int timed_out, const char *err, const char *json_out,
		      const char *dir_or_null)
{
	const char *text = err ? err : "";
	size_t size = strlen(text) + 128;
	char *msg;

	if (!timed_out && !(status >= 128 && status != 130) && !strstr(text, "Sanitizer") &&
	    !strstr(text, "runtime error:") && !strstr(text, "uafguard:"))
		return json_out && json_out[0] == '{' ? h_json_check(json_out, dir_or_null) : NULL;
	msg = malloc(size);
	if (!msg)
		return NULL;
	if (timed_out)
		snprintf(msg, size, "fetchall timed out:\n%s", text);
	else if (status >= 128 && status != 130)
		snprintf(msg, size, "fetchall died of signal %d:\n%s", status - 128, text);
	else
		snprintf(msg, size, "sanitizer or uafguard report from fetchall:\n%s", text);
	return msg;
}
