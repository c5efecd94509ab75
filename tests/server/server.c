/*
 * server: the test HTTP server's process — command line, listener on
 * 127.0.0.1 port 0, one detached thread per connection, the request
 * counters behind /stats, and shutdown.
 *
 *   testserver [--root DIR] [--robots FILE] [--max-seconds N] [--quiet]
 *
 * --robots FILE is read once at start (at most 1 MiB) and served as
 * /robots.txt, taking precedence over ROOT/robots.txt.
 *
 * Once listening it prints "port N\n" on stdout and flushes; nothing else
 * goes to stdout.  Without --quiet one line per request goes to stderr.
 *
 * Shutdown has one mechanism, the stop pipe: SIGTERM/SIGINT handlers write
 * a byte to it (async-signal-safe), as does the main thread when
 * --max-seconds run out.  It is never drained, so once written it stays
 * readable, and every wait in the server — accept, recv, send, the sleeps
 * of /delay, /drip and /stall — polls it alongside its own fd with a
 * deadline.  The main thread then stops accepting and waits (bounded) for
 * the connection threads to finish.
 *
 * Locking: conn_lock guards the count of live connection threads (with
 * conn_cond, waited on with a monotonic deadline); stats_lock guards the
 * counters; routes.c has its own table lock.  No code holds two of them,
 * so there is no lock order.
 *
 * Counting (see tsrv_stats_json): a request is counted when its head has
 * been parsed, unless it is /stats or /stats/reset; "requests" and
 * "inflight" go up at that moment, under the same lock that raises
 * "max_inflight" to "inflight" if higher.  "inflight" goes down just before
 * the send() that carries the response's last byte (tsrv_request_done()),
 * so a client that has read a whole response and then sends the next
 * request never sees the two overlap; a response that never completes
 * (/stall, /truncate, a vanished client) is ended when its handler returns.
 * A connection counts once per counter generation, when it carries its
 * first counted request, so connections made only to read /stats are
 * invisible.  Reset zeroes "connections" and "requests", starts a new
 * generation, and sets "max_inflight" to the current "inflight" (which, a
 * live gauge, is not zeroed: 0 when the server is idle).
 * "robots_requests" counts the counted requests whose path is /robots.txt,
 * "proxy_requests" those whose target was in absolute-form
 * ("GET http://host:port/path"), as a client sends requests to a proxy:
 * the server then answers as if it were that host, so it serves as an
 * HTTP proxy for tests without forwarding anything.  "head_requests"
 * counts the counted HEAD requests.
 * The request that /drop leaves unanswered (the next one on its
 * connection) is read but never counted.
 *
 * /stats/paths: every counted request also counts its path (as received,
 * without the query; not decoded) in a table of distinct paths under
 * stats_lock, which /stats/reset empties.  The table holds at most
 * PATHS_MAX paths (and PATHS_BYTES_MAX bytes of them); a request for a
 * path not yet in a full table is not recorded, only counted as dropped,
 * and the listing then ends with a line starting with "#" that says so.
 *
 * /stats/log: every counted request also gets an entry in an array under
 * stats_lock, appended in stats_begin(), so the array is in start order:
 * its start (taken under the lock when the head has been parsed) and end
 * (taken in tsrv_request_done(), just before the send() of the last byte,
 * so a client cannot begin its next request before it) in microseconds
 * of CLOCK_MONOTONIC, which is system-wide, so the logs of several server
 * processes compare, and its target (path as received, then "?" and the
 * query if there is one).  The listing is one "START_US END_US TARGET"
 * line per entry, END_US -1 while the request is in flight.  The array
 * holds at most LOG_MAX entries (and LOG_BYTES_MAX bytes of targets);
 * requests beyond are only counted as dropped, and the listing then ends
 * with a "#" line saying so.  /stats/reset empties it; a request begun
 * before the reset then ends without touching the new log (its
 * connection's counter generation is old).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "tsrv.h"

#define MAX_CONNS        4096
#define THREAD_STACK     (512 * 1024)
#define SHUTDOWN_WAIT_MS 5000
#define LINGER_MS        2000
#define ROBOTS_MAX       (1024 * 1024)
#define PATHS_MAX        100000
#define PATHS_SLOTS      262144 /* power of two, more than 2 * PATHS_MAX */
#define PATHS_BYTES_MAX  (64 * 1024 * 1024)
#define LOG_MAX          200000
#define LOG_BYTES_MAX    (64 * 1024 * 1024)

static int stop_pipe[2] = {-1, -1};
static int quiet;

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conn_cond;
static int live_conns;

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t connections;
	uint64_t requests;
	uint64_t inflight;
	uint64_t max_inflight;
	uint64_t gen; /* bumped by reset; starts at 1 */
	uint64_t robots_requests;
	uint64_t proxy_requests;
	uint64_t head_requests;
} stats = {0, 0, 0, 0, 1, 0, 0, 0};

/* The distinct paths requested since the last reset, under stats_lock: an
 * open-addressing table of PATHS_SLOTS slots, of which the path_nused
 * listed in path_used hold a path. */
static struct path_count {
	char *path; /* heap; NULL: empty slot */
	uint64_t count;
} * path_slots;
static uint32_t *path_used;
static size_t path_nused;
static size_t path_bytes;     /* strlen + 1 of every stored path */
static uint64_t path_dropped; /* requests not recorded: the table was full */

/* The counted requests since the last reset, under stats_lock: log_used
 * of the LOG_MAX entries, in start order. */
static struct log_entry {
	int64_t start_us;
	int64_t end_us; /* -1: in flight */
	char *target;   /* heap: path[?query] */
} * log_entries;
static size_t log_used;
static size_t log_bytes;     /* strlen + 1 of every stored target */
static uint64_t log_dropped; /* requests not logged: the log was full */

static void die_pthread(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "testserver: %s: %s\n", what, strerror(rc));
		abort();
	}
}

int tsrv_stop_fd(void)
{
	return stop_pipe[0];
}

/* Empties the path table.  Caller holds stats_lock (or no thread runs). */
static void paths_clear(void)
{
	size_t i;

	for (i = 0; i < path_nused; i++) {
		struct path_count *pc = &path_slots[path_used[i]];

		free(pc->path);
		pc->path = NULL;
		pc->count = 0;
	}
	path_nused = 0;
	path_bytes = 0;
	path_dropped = 0;
}

/* Counts one request for path.  Caller holds stats_lock. */
static void paths_count(const char *path)
{
	size_t mask = PATHS_SLOTS - 1;
	size_t i = (size_t)tsrv_name_hash(path) & mask;
	size_t len = strlen(path) + 1;

	for (;;) {
		struct path_count *pc = &path_slots[i];

		if (pc->path == NULL)
			break;
		if (strcmp(pc->path, path) == 0) {
			pc->count++;
			return;
		}
		i = (i + 1) & mask;
	}
	/* a new path: slot i is free (the table is never more than half
	 * full, so the probe above ends) */
	if (path_nused == PATHS_MAX || len > PATHS_BYTES_MAX - path_bytes) {
		path_dropped++;
		return;
	}
	path_slots[i].path = malloc(len);
	if (path_slots[i].path == NULL) {
		path_dropped++;
		return;
	}
	memcpy(path_slots[i].path, path, len);
	path_slots[i].count = 1;
	path_used[path_nused++] = (uint32_t)i;
	path_bytes += len;
}

/* Empties the request log.  Caller holds stats_lock (or no thread runs). */
static void log_clear(void)
{
	size_t i;

	for (i = 0; i < log_used; i++)
		free(log_entries[i].target);
	log_used = 0;
	log_bytes = 0;
	log_dropped = 0;
}

/* Appends an entry for a request to path?query starting now.  Returns its
 * index + 1, or 0 if it was dropped.  Caller holds stats_lock. */
static size_t log_begin(const char *path, const char *query)
{
	size_t plen = strlen(path), qlen = strlen(query);
	size_t len = plen + (qlen > 0 ? 1 + qlen : 0) + 1;
	struct log_entry *e;

	if (log_used == LOG_MAX || len > LOG_BYTES_MAX - log_bytes) {
		log_dropped++;
		return 0;
	}
	e = &log_entries[log_used];
	e->target = malloc(len);
	if (e->target == NULL) {
		log_dropped++;
		return 0;
	}
	memcpy(e->target, path, plen);
	if (qlen > 0) {
		e->target[plen] = '?';
		memcpy(e->target + plen + 1, query, qlen);
	}
	e->target[len - 1] = '\0';
	e->start_us = tsrv_now_us();
	e->end_us = -1;
	log_bytes += len;
	return ++log_used;
}

int tsrv_stats_log(char **text, size_t *len)
{
	char *out = NULL;
	size_t cap = 128, used = 0, i;
	int rc = -1;

	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	for (i = 0; i < log_used; i++)
		cap += strlen(log_entries[i].target) + 44; /* two numbers, spaces, newline */
	out = malloc(cap);
	if (out == NULL)
		goto out;
	for (i = 0; i < log_used; i++) {
		const struct log_entry *e = &log_entries[i];
		int n = snprintf(out + used, cap - used, "%lld %lld %s\n", (long long)e->start_us,
				 (long long)e->end_us, e->target);

		used += (size_t)n; /* cap was sized for every line */
	}
	if (log_dropped > 0)
		used += (size_t)snprintf(out + used, cap - used,
					 "# cap of %d entries reached: %llu requests not logged\n",
					 LOG_MAX, (unsigned long long)log_dropped);
	*text = out;
	*len = used;
	rc = 0;
out:
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
	return rc;
}

static int by_path(const void *a, const void *b)
{
	const struct path_count *x = *(const struct path_count *const *)a;
	const struct path_count *y = *(const struct path_count *const *)b;

	return strcmp(x->path, y->path);
}

int tsrv_stats_paths(char **text, size_t *len)
{
	const struct path_count **sorted = NULL;
	char *out = NULL;
	size_t cap = 128, used = 0, i;
	int rc = -1;

	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	if (path_nused > 0) {
		sorted = malloc(path_nused * sizeof(*sorted));
		if (sorted == NULL)
			goto out;
	}
	for (i = 0; i < path_nused; i++) {
		sorted[i] = &path_slots[path_used[i]];
		cap += strlen(sorted[i]->path) + 22; /* count, space, newline */
	}
	if (path_nused > 0)
		qsort(sorted, path_nused, sizeof(*sorted), by_path);
	out = malloc(cap);
	if (out == NULL)
		goto out;
	for (i = 0; i < path_nused; i++) {
		int n = snprintf(out + used, cap - used, "%llu %s\n",
				 (unsigned long long)sorted[i]->count, sorted[i]->path);

		used += (size_t)n; /* cap was sized for every line */
	}
	if (path_dropped > 0)
		used += (size_t)snprintf(out + used, cap - used,
					 "# cap of %d paths reached: %llu requests to other paths "
					 "not recorded\n",
					 PATHS_MAX, (unsigned long long)path_dropped);
	*text = out;
	*len = used;
	rc = 0;
out:
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
	free(sorted);
	return rc;
}

void tsrv_stats_json(char *buf, size_t size, int reset)
{
	uint64_t conns, reqs, inflight, max_inflight, robots, proxied, heads;

	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	if (reset) {
		/* inflight is a live gauge: zeroing it would underflow when
		 * the requests now in flight finish */
		stats.connections = 0;
		stats.requests = 0;
		stats.max_inflight = stats.inflight;
		stats.robots_requests = 0;
		stats.proxy_requests = 0;
		stats.head_requests = 0;
		stats.gen++;
		paths_clear();
		log_clear();
	}
	conns = stats.connections;
	reqs = stats.requests;
	inflight = stats.inflight;
	max_inflight = stats.max_inflight;
	robots = stats.robots_requests;
	proxied = stats.proxy_requests;
	heads = stats.head_requests;
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
	snprintf(buf, size,
		 "{\"connections\":%llu,\"requests\":%llu,\"inflight\":%llu,"
		 "\"max_inflight\":%llu,\"robots_requests\":%llu,\"proxy_requests\":%llu,"
		 "\"head_requests\":%llu}\n",
		 (unsigned long long)conns, (unsigned long long)reqs, (unsigned long long)inflight,
		 (unsigned long long)max_inflight, (unsigned long long)robots,
		 (unsigned long long)proxied, (unsigned long long)heads);
}

static void stats_begin(struct tsrv_conn *c, const char *path, const char *query, int absolute,
			int head)
{
	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	if (c->stats_gen != stats.gen) {
		c->stats_gen = stats.gen;
		stats.connections++;
	}
	stats.requests++;
	if (strcmp(path, "/robots.txt") == 0)
		stats.robots_requests++;
	if (absolute)
		stats.proxy_requests++;
	if (head)
		stats.head_requests++;
	paths_count(path);
	c->log_slot = log_begin(path, query);
	stats.inflight++;
	c->inflight = 1;
	if (stats.inflight > stats.max_inflight)
		stats.max_inflight = stats.inflight;
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
}

void tsrv_request_done(struct tsrv_conn *c)
{
	int64_t now;

	if (!c->inflight)
		return;
	c->inflight = 0;
	now = tsrv_now_us();
	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	stats.inflight--;
	if (c->log_slot > 0 && c->stats_gen == stats.gen)
		log_entries[c->log_slot - 1].end_us = now;
	c->log_slot = 0;
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
}

static void conn_finished(void)
{
	die_pthread(pthread_mutex_lock(&conn_lock), "lock");
	live_conns--;
	die_pthread(pthread_cond_broadcast(&conn_cond), "broadcast");
	die_pthread(pthread_mutex_unlock(&conn_lock), "unlock");
}

static void *conn_main(void *arg)
{
	struct tsrv_conn *c = arg;

	for (;;) {
		struct tsrv_request r;
		enum tsrv_read rd = tsrv_read_request(c, &r);
		int keep;

		if (rd == TSRV_READ_CLOSED)
			break;
		if (rd == TSRV_READ_ERROR) {
			char body[64];
			int n = snprintf(body, sizeof(body), "bad request (%d)\n", r.status);

			c->keep_alive = 0;
			if (tsrv_respond(c, &r, r.status, "text/plain", body, (size_t)n, NULL) ==
			    0) {
				/* lingering close: closing with unread input
				 * would reset the connection and could destroy
				 * the answer before the client reads it */
				shutdown(c->fd, SHUT_WR);
				(void)tsrv_pause(c, LINGER_MS, 1);
			}
			break;
		}
		if (c->drop_next)
			break; /* /drop: the request was read, never answered */
		c->keep_alive = r.keep_alive;
		c->body_left = UINT64_MAX; /* no response begun */
		if (!tsrv_is_stats_path(r.path))
			stats_begin(c, r.path, r.query, r.absolute, r.head);
		keep = tsrv_route(c, &r) == 0 && c->keep_alive;
		tsrv_request_done(c);
		if (!quiet)
			fprintf(stderr, "testserver: %s %s%s%s %d\n", r.method, r.path,
				r.query[0] != '\0' ? "?" : "", r.query, r.status);
		if (!keep || tsrv_consume(c, &r) != 0)
			break;
	}
	close(c->fd);
	free(c->in);
	free(c);
	conn_finished();
	return NULL;
}

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t ignored;

	(void)sig;
	ignored = write(stop_pipe[1], "s", 1);
	(void)ignored;
	errno = saved;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv, const char **root, const char **robots,
		      long *max_seconds)
{
	int i;

	for (i = 1; i < argc; i++) {
		uint64_t v;

		if (strcmp(argv[i], "--quiet") == 0) {
			quiet = 1;
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			*root = argv[++i];
		} else if (strcmp(argv[i], "--robots") == 0 && i + 1 < argc) {
			*robots = argv[++i];
		} else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
			i++;
			if (tsrv_parse_u64(argv[i], strlen(argv[i]), 86400 * 7, &v) != 0 ||
			    v == 0) {
				fprintf(stderr, "testserver: bad --max-seconds %s\n", argv[i]);
				return -1;
			}
			*max_seconds = (long)v;
		} else {
			fprintf(stderr,
				"usage: testserver [--root DIR] [--robots FILE] [--max-seconds N] "
				"[--quiet]\n");
			return -1;
		}
	}
	if (*root != NULL) {
		struct stat st;

		if (stat(*root, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "testserver: --root %s: not a directory\n", *root);
			return -1;
		}
	}
	return 0;
}

/* Reads the --robots file (at most ROBOTS_MAX bytes) into a new heap
 * buffer *data of *len bytes.  Returns 0, or -1 after saying why. */
static int read_robots(const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ROBOTS_MAX) {
		fprintf(stderr,
			"testserver: --robots %s: not a readable file of at most %d bytes\n", path,
			ROBOTS_MAX);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "testserver: --robots %s: read failed\n", path);
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

/* Binds 127.0.0.1:0 and listens.  Returns the fd and the port, or -1. */
static int listen_loopback(int *port)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) != 0 || set_nonblock(fd) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* True while MAX_CONNS connections are live: the accept loop then leaves
 * new connections in the kernel's backlog. */
static int at_capacity(void)
{
	int full;

	die_pthread(pthread_mutex_lock(&conn_lock), "lock");
	full = live_conns >= MAX_CONNS;
	die_pthread(pthread_mutex_unlock(&conn_lock), "unlock");
	return full;
}

/* Starts a thread for the accepted socket fd; closes it on failure. */
static void start_conn(int fd, const pthread_attr_t *attr)
{
	struct tsrv_conn *c;
	pthread_t tid;
	int one = 1;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c != NULL) {
		c->in_cap = 4096;
		c->in = malloc(c->in_cap);
	}
	if (c == NULL || c->in == NULL || set_nonblock(fd) != 0) {
		if (c != NULL)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	die_pthread(pthread_mutex_lock(&conn_lock), "lock");
	live_conns++;
	die_pthread(pthread_mutex_unlock(&conn_lock), "unlock");
	rc = pthread_create(&tid, attr, conn_main, c);
	if (rc != 0) {
		fprintf(stderr, "testserver: pthread_create: %s\n", strerror(rc));
		close(fd);
		free(c->in);
		free(c);
		conn_finished();
	}
}

/* Accepts until the stop pipe is readable or deadline_ms passes. */
static void accept_loop(int lfd, int64_t deadline_ms)
{
	pthread_attr_t attr;

	die_pthread(pthread_attr_init(&attr), "attr_init");
	die_pthread(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED),
		    "attr_setdetachstate");
	die_pthread(pthread_attr_setstacksize(&attr, THREAD_STACK), "attr_setstacksize");
	for (;;) {
		struct pollfd p[2];
		int64_t left = deadline_ms - tsrv_now_ms();
		int full = at_capacity();
		int n, fd;

		if (left <= 0)
			break;
		if (full && left > 50)
			left = 50; /* look again soon for a free slot */
		p[0].fd = stop_pipe[0];
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = lfd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		n = poll(p, full ? 1 : 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents != 0)
			break;
		if (full || p[1].revents == 0)
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* out of descriptors: let connections end */
				(void)poll(p, 1, 50);
			}
			continue;
		}
		start_conn(fd, &attr);
	}
	die_pthread(pthread_attr_destroy(&attr), "attr_destroy");
}

/* Waits up to SHUTDOWN_WAIT_MS for connection threads to end.  Returns the
 * number still running. */
static int wait_conns(void)
{
	struct timespec ts;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += SHUTDOWN_WAIT_MS / 1000;
	die_pthread(pthread_mutex_lock(&conn_lock), "lock");
	while (live_conns > 0) {
		int rc = pthread_cond_timedwait(&conn_cond, &conn_lock, &ts);

		if (rc == ETIMEDOUT)
			break;
		die_pthread(rc, "cond_timedwait");
	}
	left = live_conns;
	die_pthread(pthread_mutex_unlock(&conn_lock), "unlock");
	return left;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *robots_path = NULL;
	char *robots = NULL;
	size_t robots_len = 0;
	long max_seconds = 900;
	struct sigaction sa;
	pthread_condattr_t ca;
	int lfd, port, left;
	ssize_t ignored;

	if (parse_args(argc, argv, &root, &robots_path, &max_seconds) != 0)
		return 2;
	if (robots_path != NULL && read_robots(robots_path, &robots, &robots_len) != 0)
		return 2;
	path_slots = calloc(PATHS_SLOTS, sizeof(*path_slots));
	path_used = malloc(PATHS_MAX * sizeof(*path_used));
	log_entries = malloc(LOG_MAX * sizeof(*log_entries));
	if (path_slots == NULL || path_used == NULL || log_entries == NULL) {
		fprintf(stderr, "testserver: out of memory\n");
		goto fail;
	}

	if (pipe(stop_pipe) != 0 || set_nonblock(stop_pipe[1]) != 0 ||
	    fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC) != 0) {
		perror("testserver: pipe");
		goto fail;
	}
	die_pthread(pthread_condattr_init(&ca), "condattr_init");
	die_pthread(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), "condattr_setclock");
	die_pthread(pthread_cond_init(&conn_cond, &ca), "cond_init");
	die_pthread(pthread_condattr_destroy(&ca), "condattr_destroy");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	lfd = listen_loopback(&port);
	if (lfd < 0) {
		perror("testserver: listen");
		goto fail;
	}
	if (tsrv_routes_init(root, robots, robots_len, port) != 0) {
		robots = NULL; /* the routes own it, even on failure */
		fprintf(stderr, "testserver: out of memory\n");
		close(lfd);
		goto fail;
	}
	printf("port %d\n", port);
	fflush(stdout);

	accept_loop(lfd, tsrv_now_ms() + (int64_t)max_seconds * 1000);

	close(lfd);
	ignored = write(stop_pipe[1], "s", 1);
	(void)ignored;
	left = wait_conns();
	if (left > 0) {
		/* their threads may still touch the routes' state */
		fprintf(stderr, "testserver: %d connections did not end\n", left);
		return 0;
	}
	tsrv_routes_release();
	paths_clear();
	log_clear();
	free(path_slots);
	free(path_used);
	free(log_entries);
	return 0;
fail:
	free(robots);
	free(path_slots);
	free(path_used);
	free(log_entries);
	return 1;
}
