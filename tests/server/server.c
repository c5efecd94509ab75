/*
 * server: the test HTTP server's process — command line, listener on
 * 127.0.0.1 port 0, one detached thread per connection, the request
 * counters behind /stats, and shutdown.
 *
 *   testserver [--root DIR] [--max-seconds N] [--quiet]
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

#include "tsrv.h"

#define MAX_CONNS        4096
#define THREAD_STACK     (512 * 1024)
#define SHUTDOWN_WAIT_MS 5000
#define LINGER_MS        2000

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
} stats = {0, 0, 0, 0, 1};

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

void tsrv_stats_json(char *buf, size_t size, int reset)
{
	uint64_t conns, reqs, inflight, max_inflight;

	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	if (reset) {
		/* inflight is a live gauge: zeroing it would underflow when
		 * the requests now in flight finish */
		stats.connections = 0;
		stats.requests = 0;
		stats.max_inflight = stats.inflight;
		stats.gen++;
	}
	conns = stats.connections;
	reqs = stats.requests;
	inflight = stats.inflight;
	max_inflight = stats.max_inflight;
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
	snprintf(buf, size,
		 "{\"connections\":%llu,\"requests\":%llu,\"inflight\":%llu,"
		 "\"max_inflight\":%llu}\n",
		 (unsigned long long)conns, (unsigned long long)reqs, (unsigned long long)inflight,
		 (unsigned long long)max_inflight);
}

static void stats_begin(struct tsrv_conn *c)
{
	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	if (c->stats_gen != stats.gen) {
		c->stats_gen = stats.gen;
		stats.connections++;
	}
	stats.requests++;
	stats.inflight++;
	c->inflight = 1;
	if (stats.inflight > stats.max_inflight)
		stats.max_inflight = stats.inflight;
	die_pthread(pthread_mutex_unlock(&stats_lock), "unlock");
}

void tsrv_request_done(struct tsrv_conn *c)
{
	if (!c->inflight)
		return;
	c->inflight = 0;
	die_pthread(pthread_mutex_lock(&stats_lock), "lock");
	stats.inflight--;
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
		c->keep_alive = r.keep_alive;
		c->body_left = UINT64_MAX; /* no response begun */
		if (!tsrv_is_stats_path(r.path))
			stats_begin(c);
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

static int parse_args(int argc, char **argv, const char **root, long *max_seconds)
{
	int i;

	for (i = 1; i < argc; i++) {
		uint64_t v;

		if (strcmp(argv[i], "--quiet") == 0) {
			quiet = 1;
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			*root = argv[++i];
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
				"usage: testserver [--root DIR] [--max-seconds N] [--quiet]\n");
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
	const char *root = NULL;
	long max_seconds = 900;
	struct sigaction sa;
	pthread_condattr_t ca;
	int lfd, port, left;
	ssize_t ignored;

	if (parse_args(argc, argv, &root, &max_seconds) != 0)
		return 2;

	if (pipe(stop_pipe) != 0 || set_nonblock(stop_pipe[1]) != 0 ||
	    fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC) != 0) {
		perror("testserver: pipe");
		return 1;
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

	if (tsrv_routes_init(root) != 0) {
		fprintf(stderr, "testserver: out of memory\n");
		return 1;
	}
	lfd = listen_loopback(&port);
	if (lfd < 0) {
		perror("testserver: listen");
		tsrv_routes_release();
		return 1;
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
	return 0;
}
