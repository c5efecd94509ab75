/*
 * procpool: a fixed set of parser worker processes, and the worker itself.
 *
 * Design.  Each worker is the fetchall binary started with posix_spawn
 * (never a bare fork of this threaded process): the request pipe's read end
 * becomes its stdin, the answer pipe's write end its stdout, and every other
 * descriptor is closed in the child (all pipes are O_CLOEXEC as well, so
 * one worker never holds another's pipe ends and EOF means what it says).
 * The child starts with SIGINT blocked and ignores it before unblocking:
 * Ctrl-C reaches the whole process group, and the parent decides.
 * The memory cap is applied by the parent with prlimit(RLIMIT_AS) right
 * after posix_spawn returns and before the worker is handed any page: that
 * keeps procpool_worker_main(0, 1) free of arguments, so main only has to
 * recognise `--parse-worker` and a caller-supplied argv needs nothing added,
 * and a worker cannot forget or skip its own limit.  Until the first page
 * arrives the worker only starts up, so running that part uncapped exposes
 * nothing.
 *
 * A worker first sends a hello (an empty frame) once it is up, which the
 * parent waits for, up to WORKER_START_MS, before it hands that worker its
 * first page: start-up time (exec, loading libraries, sanitizer set-up on
 * a loaded machine) is thus never charged to a page's timeout.  Then it
 * serves one page at a time: it reads the whole request frame, parses,
 * writes the whole answer frame (see frame.h).  The parent's pipe
 * ends are non-blocking and every write and read waits in poll() on
 * [pipe, cancel_fd()] against one deadline per page, so neither a worker
 * that stops reading nor one that never answers can hold a fetch thread
 * past timeout_ms.  A worker that hits EOF/EPIPE, the deadline or sends a
 * malformed frame is SIGKILLed and reaped with wait4(), and what happened
 * is read from its wait status: exit WORKER_EXIT_NOMEM means it ran out of
 * memory under its cap, SIGKILL that we did not send means it was killed
 * from outside (the OOM killer), SIGKILL that we sent means the timeout,
 * another signal means a crash.  (A stack that cannot grow under the cap
 * dies of SIGSEGV, which is indistinguishable from a crash and reported as
 * one.)  Then a fresh worker takes its slot at once; if that fails the
 * slot stays empty and the next thread to take it tries again.  A parse
 * interrupted by a cancel kills its worker too (it is busy with a page
 * nobody wants) but does not replace it.  timeout_ms <= 0 means no limit.
 *
 * Worker CPU: reaped workers exactly, from wait4()'s rusage; live ones from
 * utime + stime in /proc/PID/stat when procpool_stats() is called.  To never
 * read the /proc entry of a reused PID, a slot's pid is cleared (under the
 * lock) before the process is reaped, and stats reads only pids it sees
 * under the lock.
 *
 * Test hooks: with FETCHALL_TEST_HOOKS=1 in the worker's environment, a
 * page containing <!--fetchall-test:crash--> makes it abort(), ...:hang-->
 * makes it never answer, ...:oom--> makes it allocate until malloc fails,
 * ...:slow--> makes it take 3 s longer (a page slow to parse).
 * They exist only for the test suite.
 *
 * Locking: one mutex, `lock`, guards the idle stack, `waiting`, every
 * slot's `pid` field and the counters; `idle_cond` is signalled when a slot
 * goes back on the stack and someone waits (in a while loop on the stack
 * being empty).  A slot taken off the stack belongs to the taking thread,
 * which alone does I/O on its pipes and changes its pid (under the lock).
 * Lock order: `lock` is the only lock of this module and nothing else of
 * fetchall's is taken while it is held; no pipe I/O or waiting is done
 * under it, only the short /proc/PID/stat reads in procpool_stats().  The
 * wait for a free slot does not watch for cancel: every holder returns
 * promptly on cancel (its poll() watches cancel_fd()), and a thread that
 * then gets a slot sees the flag and returns FA_ERR_CANCELLED.
 *
 * NEEDSWORK: a worker outlives a parent that is SIGKILLed only until its
 * current page is done (it then reads EOF); one stuck in a loop would stay.
 * PR_SET_PDEATHSIG does not fit: it fires when the spawning *thread* ends.
 *
 * Linux-specific: prlimit(), /proc, and glibc's
 * posix_spawn_file_actions_addclosefrom_np() (2.34 and later).
 */
#define _GNU_SOURCE /* pipe2, prlimit, addclosefrom_np, memmem, GNU strerror_r */

/* AddressSanitizer and ThreadSanitizer reserve terabytes of address space
 * at start-up, so no RLIMIT_AS a parser could live with lets a sanitizer
 * build's worker start: those (test-only) builds run workers uncapped. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_BUILD 1
#else
#define SANITIZER_BUILD 0
#endif

#include "procpool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "frame.h"
#include "sync.h"

extern char **environ;

/* The worker's exit codes.  They stay clear of 1 (sanitizer reports, most
 * programs' generic failure) and 126/127 (exec failures). */
enum worker_exit {
	WORKER_EXIT_OK = 0,       /* requests ended cleanly (EOF) */
	WORKER_EXIT_IO = 3,       /* reading or writing a pipe failed */
	WORKER_EXIT_PROTOCOL = 4, /* a malformed request frame */
	WORKER_EXIT_NOMEM = 5,    /* malloc failed: over its memory cap */
};

/* Grace period for workers to exit on EOF in procpool_free(). */
#define FREE_GRACE_MS 1000

/* How long a new worker may take to send its hello. */
#define WORKER_START_MS 10000

/* Worker test hooks: how much the oom hook allocates at most, and in what
 * steps.  Reaching the bound means no cap was applied: it then aborts, so
 * a test sees "crashed", never a false "memory limit". */
#define OOM_HOOK_CHUNK (1u << 20)
#define OOM_HOOK_MAX   ((size_t)1 << 30)

struct worker {
	pid_t pid;  /* -1: no process in this slot */
	bool fresh; /* its hello is still to be read */
	int req_fd; /* our write end of its stdin, O_NONBLOCK */
	int ans_fd; /* our read end of its stdout, O_NONBLOCK */
};

struct procpool {
	pthread_mutex_t lock;
	pthread_cond_t idle_cond;
	bool lock_made, cond_made;
	struct worker *workers;
	unsigned nprocs;
	unsigned *idle; /* stack of free slot indexes */
	unsigned nidle;
	unsigned waiting; /* threads blocked for a free slot */
	long timeout_ms;
	uint64_t mem_limit;
	const char *exe;
	char *const *argv;
	long clk_tck;
	/* counters, under lock */
	uint64_t pages, failures, restarts, bytes_in;
	double parse_ms;
	double reaped_cpu_s;
};

/* How a wait on a worker's pipe ended. */
enum io_result {
	IO_DONE,
	IO_EOF,       /* the worker closed its end (EOF, EPIPE) */
	IO_TIMEOUT,   /* the page's deadline passed */
	IO_CANCELLED, /* cancel_fd() became readable */
	IO_ERROR,     /* another read/write/poll failure */
};

static char default_arg0[] = "fetchall";
static char default_arg1[] = "--parse-worker";
static char *const default_argv[] = {default_arg0, default_arg1, NULL};

static const char *errno_text(int err, char *buf, size_t len)
{
	return strerror_r(err, buf, len); /* the GNU one: returns the text */
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Moves *fd to 3 or above (keeping O_CLOEXEC), so that the child's dup2
 * onto 0 and 1 never meets one of its own sources there.  Only matters if
 * the process runs with stdin or stdout closed. */
static int lift_fd(int *fd)
{
	int moved;

	if (*fd > 2)
		return 0;
	moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return -1;
	close(*fd);
	*fd = moved;
	return 0;
}

static double rusage_cpu_s(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

/* utime + stime of a live (or not yet reaped) process, from /proc; 0 when
 * unreadable.  The command name in field 2 may hold spaces and ')', so the
 * fields are counted from the last ')'. */
static double proc_cpu_s(pid_t pid, long clk_tck)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long ticks = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || clk_tck <= 0)
		return 0;
	/* After ")": state is field 3, utime 14, stime 15. */
	for (int field = 3; field <= 15; field++) {
		while (*p == ' ' || *p == ')')
			p++;
		if (*p == '\0')
			return 0;
		if (field >= 14) {
			unsigned long long v;

			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno != 0 || end == p)
				return 0;
			ticks += v;
			p = end;
		} else {
			p = strchr(p, ' ');
			if (!p)
				return 0;
		}
	}
	return (double)ticks / (double)clk_tck;
}

/*
 * Starts a worker in slot w (which must be empty), with its pipes.  Returns
 * FA_OK, or FA_ERR_IO / FA_ERR_NOMEM with errbuf naming the problem and the
 * slot still empty, no process and no descriptor left behind.  Called by
 * the slot's owner (or procpool_new()); takes the lock only to publish
 * the pid.
 */
static enum fa_err spawn_worker(struct procpool *p, struct worker *w, char *errbuf, size_t errlen)
{
	int req[2] = {-1, -1}, ans[2] = {-1, -1};
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	bool actions_made = false, attr_made = false;
	enum fa_err err = FA_ERR_IO;
	char msg[128];
	sigset_t mask;
	pid_t pid = -1;
	int rc;

	if (pipe2(req, O_CLOEXEC) < 0 || pipe2(ans, O_CLOEXEC) < 0) {
		snprintf(errbuf, errlen, "cannot start parser worker: pipe: %s",
			 errno_text(errno, msg, sizeof(msg)));
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		if (lift_fd(&req[i]) < 0 || lift_fd(&ans[i]) < 0) {
			snprintf(errbuf, errlen, "cannot start parser worker: fcntl: %s",
				 errno_text(errno, msg, sizeof(msg)));
			goto out;
		}
	}

	/* Everything the child needs is prepared here, before spawning. */
	rc = posix_spawn_file_actions_init(&actions);
	if (rc == 0) {
		actions_made = true;
		rc = posix_spawn_file_actions_adddup2(&actions, req[0], 0);
	}
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&actions, ans[1], 1);
	/* Belt and braces: O_CLOEXEC covers our descriptors, this also covers
	 * any a library opened without it. */
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
	if (rc == 0) {
		rc = posix_spawnattr_init(&attr);
		attr_made = rc == 0;
	}
	if (rc == 0) {
		sigemptyset(&mask);
		sigaddset(&mask, SIGINT);
		rc = posix_spawnattr_setsigmask(&attr, &mask);
	}
	if (rc == 0)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (rc != 0) {
		err = rc == ENOMEM ? FA_ERR_NOMEM : FA_ERR_IO;
		snprintf(errbuf, errlen, "cannot start parser worker: %s",
			 errno_text(rc, msg, sizeof(msg)));
		goto out;
	}

	rc = posix_spawn(&pid, p->exe, &actions, &attr, p->argv, environ);
	if (rc != 0) {
		pid = -1;
		snprintf(errbuf, errlen, "cannot start parser worker %s: %s", p->exe,
			 errno_text(rc, msg, sizeof(msg)));
		goto out;
	}
	if (p->mem_limit && !SANITIZER_BUILD) {
		struct rlimit lim = {.rlim_cur = (rlim_t)p->mem_limit,
				     .rlim_max = (rlim_t)p->mem_limit};

		if (prlimit(pid, RLIMIT_AS, &lim, NULL) < 0) {
			snprintf(errbuf, errlen, "cannot cap parser worker memory: prlimit: %s",
				 errno_text(errno, msg, sizeof(msg)));
			goto out;
		}
	}
	if (fcntl(req[1], F_SETFL, O_NONBLOCK) < 0 || fcntl(ans[0], F_SETFL, O_NONBLOCK) < 0) {
		snprintf(errbuf, errlen, "cannot start parser worker: fcntl: %s",
			 errno_text(errno, msg, sizeof(msg)));
		goto out;
	}

	w->req_fd = req[1];
	w->ans_fd = ans[0];
	w->fresh = true;
	req[1] = ans[0] = -1;
	sync_lock(&p->lock);
	w->pid = pid;
	sync_unlock(&p->lock);
	pid = -1;
	err = FA_OK;

out:
	if (pid > 0) {
		/* Spawned but not usable: take it down again. */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (attr_made)
		posix_spawnattr_destroy(&attr);
	if (actions_made)
		posix_spawn_file_actions_destroy(&actions);
	for (int i = 0; i < 2; i++) {
		close_fd(&req[i]);
		close_fd(&ans[i]);
	}
	return err;
}

/*
 * Kills the worker in slot w (SIGKILL: it cannot be caught, so the wait
 * below is bounded), reaps it, and leaves the slot empty.  Returns its wait
 * status.  Called by the slot's owner.
 */
static int kill_worker(struct procpool *p, struct worker *w)
{
	pid_t pid = w->pid;
	struct rusage ru;
	int status = 0;

	close_fd(&w->req_fd);
	close_fd(&w->ans_fd);
	if (pid <= 0)
		return 0;
	kill(pid, SIGKILL);
	/* Unpublished before the reap: until then the pid cannot be reused,
	 * so procpool_stats() never reads another process's /proc entry. */
	sync_lock(&p->lock);
	w->pid = -1;
	sync_unlock(&p->lock);
	memset(&ru, 0, sizeof(ru));
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return 0;
	}
	sync_lock(&p->lock);
	p->reaped_cpu_s += rusage_cpu_s(&ru);
	sync_unlock(&p->lock);
	return status;
}

/* What went wrong, told from the wait status.  `why` and `malformed` say
 * how the parent noticed, and so whether a SIGKILL was ours: it was for
 * IO_TIMEOUT, IO_ERROR and a malformed answer; after IO_EOF the worker was
 * already exiting, so its status was fixed before our SIGKILL landed.
 * `starting`: it was still to send its hello. */
static void describe_death(const struct procpool *p, int status, enum io_result why, bool malformed,
			   bool starting, char *errbuf, size_t errlen)
{
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		if (code == WORKER_EXIT_NOMEM)
			snprintf(errbuf, errlen, "parser worker exceeded its memory limit");
		else if (code == WORKER_EXIT_PROTOCOL)
			snprintf(errbuf, errlen,
				 "parser worker rejected the request (exit status %d)", code);
		else
			snprintf(errbuf, errlen, "parser worker exited with status %d", code);
		return;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		if (malformed)
			snprintf(errbuf, errlen, "parser worker sent a malformed answer");
		else if (why == IO_TIMEOUT && starting)
			snprintf(errbuf, errlen, "parser worker did not start within %d ms",
				 WORKER_START_MS);
		else if (why == IO_TIMEOUT)
			snprintf(errbuf, errlen, "parser worker timed out after %ld ms",
				 p->timeout_ms);
		else if (why == IO_ERROR)
			snprintf(errbuf, errlen, "parser worker stopped: I/O error on its pipes");
		else if (p->mem_limit)
			snprintf(errbuf, errlen,
				 "parser worker exceeded its memory limit (killed by signal 9)");
		else
			snprintf(errbuf, errlen, "parser worker was killed (signal 9)");
		return;
	}
	if (WIFSIGNALED(status)) {
		snprintf(errbuf, errlen, "parser worker crashed (signal %d)", WTERMSIG(status));
		return;
	}
	snprintf(errbuf, errlen, "parser worker failed (wait status %#x)", (unsigned)status);
}

/* Waits until fd is ready for `events`, the deadline passes (0: none) or
 * a cancel is raised. */
static enum io_result wait_fd(int fd, short events, uint64_t deadline_ns)
{
	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = events},
					{.fd = cancel_fd(), .events = POLLIN}};
		int timeout = -1, n;

		if (deadline_ns) {
			uint64_t now = sync_now_ns();
			uint64_t left_ms;

			if (now >= deadline_ns)
				return IO_TIMEOUT;
			left_ms = (deadline_ns - now + 999999) / 1000000;
			timeout = left_ms > INT_MAX ? INT_MAX : (int)left_ms;
		}
		n = poll(pfd, 2, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return IO_ERROR;
		}
		if (pfd[1].revents)
			return IO_CANCELLED;
		if (pfd[0].revents)
			return IO_DONE;
	}
}

static enum io_result write_all(int fd, const void *buf, size_t len, uint64_t deadline_ns)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			enum io_result r = wait_fd(fd, POLLOUT, deadline_ns);

			if (r != IO_DONE)
				return r;
			continue;
		}
		return n < 0 && errno == EPIPE ? IO_EOF : IO_ERROR;
	}
	return IO_DONE;
}

static enum io_result read_all(int fd, void *buf, size_t len, uint64_t deadline_ns)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return IO_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			enum io_result r = wait_fd(fd, POLLIN, deadline_ns);

			if (r != IO_DONE)
				return r;
			continue;
		}
		return IO_ERROR;
	}
	return IO_DONE;
}

static unsigned take_slot(struct procpool *p)
{
	unsigned index;

	sync_lock(&p->lock);
	while (p->nidle == 0) {
		p->waiting++;
		sync_must(pthread_cond_wait(&p->idle_cond, &p->lock), "pthread_cond_wait");
		p->waiting--;
	}
	index = p->idle[--p->nidle];
	sync_unlock(&p->lock);
	return index;
}

static void give_slot(struct procpool *p, unsigned index)
{
	sync_lock(&p->lock);
	p->idle[p->nidle++] = index;
	if (p->waiting)
		sync_must(pthread_cond_signal(&p->idle_cond), "pthread_cond_signal");
	sync_unlock(&p->lock);
}

/* Puts a fresh worker into the empty slot w; counts a restart. */
static enum fa_err respawn(struct procpool *p, struct worker *w, char *errbuf, size_t errlen)
{
	enum fa_err err = spawn_worker(p, w, errbuf, errlen);

	if (err == FA_OK) {
		sync_lock(&p->lock);
		p->restarts++;
		sync_unlock(&p->lock);
	}
	return err;
}

enum fa_err procpool_new(const struct procpool_opts *opts, struct procpool **out, char *errbuf,
			 size_t errlen)
{
	struct procpool *p;
	enum fa_err err;

	*out = NULL;
	if (errlen)
		errbuf[0] = '\0';
	if (!opts || opts->nprocs == 0) {
		snprintf(errbuf, errlen, "parser pool: need at least one worker");
		return FA_ERR_ARG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->workers = calloc(opts->nprocs, sizeof(*p->workers));
	p->idle = calloc(opts->nprocs, sizeof(*p->idle));
	if (!p->workers || !p->idle)
		goto nomem;
	p->nprocs = opts->nprocs;
	for (unsigned i = 0; i < p->nprocs; i++) {
		p->workers[i].pid = -1;
		p->workers[i].req_fd = p->workers[i].ans_fd = -1;
	}
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		goto nomem;
	p->lock_made = true;
	if (sync_cond_init(&p->idle_cond) != 0)
		goto nomem;
	p->cond_made = true;
	p->timeout_ms = opts->timeout_ms;
	p->mem_limit = opts->mem_limit_bytes;
	p->exe = opts->exe ? opts->exe : "/proc/self/exe";
	p->argv = opts->argv ? opts->argv : default_argv;
	p->clk_tck = sysconf(_SC_CLK_TCK);
	for (unsigned i = 0; i < p->nprocs; i++) {
		err = spawn_worker(p, &p->workers[i], errbuf, errlen);
		if (err != FA_OK) {
			procpool_free(p);
			return err;
		}
		p->idle[p->nidle++] = i;
	}
	*out = p;
	return FA_OK;

nomem:
	procpool_free(p);
	snprintf(errbuf, errlen, "parser pool: out of memory");
	return FA_ERR_NOMEM;
}

enum fa_err procpool_parse(struct procpool *pool, const char *page_url, const char *charset,
			   const char *body, size_t len, unsigned kinds, struct html_links *out,
			   char *errbuf, size_t errlen)
{
	struct frame_request req = {
	    .kinds = kinds,
	    .url = page_url,
	    .url_len = page_url ? strlen(page_url) : 0,
	    .charset = charset,
	    .charset_len = charset ? strlen(charset) : 0,
	    .body = body,
	    .body_len = len,
	};
	unsigned char *prefix = NULL, *payload = NULL;
	unsigned char hdr[FRAME_HEADER_SIZE];
	size_t prefix_len;
	uint64_t start, deadline = 0;
	enum io_result io = IO_DONE;
	bool malformed = false, starting;
	uint32_t answer_len, status;
	struct worker *w;
	unsigned slot;
	enum fa_err err;

	if (errlen)
		errbuf[0] = '\0';
	if (!pool || !page_url || !out || (!body && len)) {
		snprintf(errbuf, errlen, "parser pool: invalid arguments");
		return FA_ERR_ARG;
	}
	if (!body)
		req.body = "";
	prefix = malloc(frame_request_prefix_size(&req));
	if (!prefix) {
		snprintf(errbuf, errlen, "out of memory");
		return FA_ERR_NOMEM;
	}
	err =
	    frame_request_encode_prefix(&req, prefix, frame_request_prefix_size(&req), &prefix_len);
	if (err != FA_OK) {
		free(prefix);
		if (err == FA_ERR_TOO_LONG)
			snprintf(errbuf, errlen, "page too big for a parser worker (%zu bytes)",
				 len);
		else
			snprintf(errbuf, errlen, "page cannot be sent to a parser worker (%s)",
				 fa_strerror(err));
		return err;
	}

	slot = take_slot(pool);
	w = &pool->workers[slot];
	if (cancel_requested()) {
		err = FA_ERR_CANCELLED;
		goto out;
	}
	if (w->pid < 0) {
		/* Emptied by an earlier cancel or a failed restart. */
		err = respawn(pool, w, errbuf, errlen);
		if (err != FA_OK) {
			err = FA_ERR_PARSE;
			goto out;
		}
	}

	/* A new worker's start-up is not the page's time: wait for its hello
	 * (an empty frame) on a clock of its own first. */
	starting = w->fresh;
	if (starting) {
		io = read_all(w->ans_fd, hdr, sizeof(hdr),
			      sync_now_ns() + (uint64_t)WORKER_START_MS * 1000000u);
		malformed = io == IO_DONE && frame_get_u32(hdr) != 0;
		if (io == IO_DONE && !malformed)
			w->fresh = starting = false;
	}

	start = sync_now_ns();
	if (pool->timeout_ms > 0)
		deadline = start + (uint64_t)pool->timeout_ms * 1000000u;
	if (io == IO_DONE && !malformed)
		io = write_all(w->req_fd, prefix, prefix_len, deadline);
	if (io == IO_DONE && !malformed)
		io = write_all(w->req_fd, req.body, len, deadline);
	if (io == IO_DONE && !malformed) {
		sync_lock(&pool->lock);
		pool->bytes_in += len;
		sync_unlock(&pool->lock);
		io = read_all(w->ans_fd, hdr, sizeof(hdr), deadline);
		if (io == IO_DONE && frame_header_decode(hdr, &answer_len) != FA_OK)
			malformed = true;
	}
	if (io == IO_DONE && !malformed) {
		payload = malloc(answer_len ? answer_len : 1);
		if (!payload) {
			/* Its answer is left unread, so the worker goes too. */
			kill_worker(pool, w);
			respawn(pool, w, errbuf, errlen);
			snprintf(errbuf, errlen, "out of memory");
			err = FA_ERR_NOMEM;
			goto out;
		}
		io = read_all(w->ans_fd, payload, answer_len, deadline);
	}
	if (io == IO_DONE && !malformed) {
		err = frame_answer_decode(payload, answer_len, &status, out);
		if (err == FA_ERR_NOMEM) {
			snprintf(errbuf, errlen, "out of memory");
			goto out;
		}
		malformed = err != FA_OK;
	}

	if (io == IO_CANCELLED) {
		/* Busy with a page nobody wants: stop it, leave the slot empty. */
		kill_worker(pool, w);
		err = FA_ERR_CANCELLED;
		goto out;
	}
	if (io != IO_DONE || malformed) {
		int wstatus = kill_worker(pool, w);
		char spawn_err[256];

		describe_death(pool, wstatus, io, malformed, starting, errbuf, errlen);
		sync_lock(&pool->lock);
		pool->failures++;
		sync_unlock(&pool->lock);
		/* A failed restart leaves the slot empty; the next taker retries. */
		respawn(pool, w, spawn_err, sizeof(spawn_err));
		err = FA_ERR_PARSE;
		goto out;
	}

	if (status != FA_OK) {
		snprintf(errbuf, errlen, "parser worker: %s", fa_strerror((enum fa_err)status));
		err = (enum fa_err)status;
		goto out;
	}
	sync_lock(&pool->lock);
	pool->pages++;
	pool->parse_ms += (double)(sync_now_ns() - start) / 1e6;
	sync_unlock(&pool->lock);
	err = FA_OK;

out:
	give_slot(pool, slot);
	free(payload);
	free(prefix);
	if (err == FA_ERR_CANCELLED)
		snprintf(errbuf, errlen, "cancelled");
	return err;
}

struct procpool_stats procpool_stats(struct procpool *pool)
{
	struct procpool_stats s = {0};

	if (!pool)
		return s;
	sync_lock(&pool->lock);
	s.pages = pool->pages;
	s.failures = pool->failures;
	s.restarts = pool->restarts;
	s.bytes_in = pool->bytes_in;
	s.parse_ms = pool->parse_ms;
	s.worker_cpu_s = pool->reaped_cpu_s;
	for (unsigned i = 0; i < pool->nprocs; i++) {
		if (pool->workers[i].pid > 0)
			s.worker_cpu_s += proc_cpu_s(pool->workers[i].pid, pool->clk_tck);
	}
	sync_unlock(&pool->lock);
	return s;
}

/* Waits, up to FREE_GRACE_MS in all, for every worker whose stdin was
 * closed to close its stdout (it does so by exiting); marks them in gone[]. */
static void await_exits(struct procpool *p, bool *gone)
{
	uint64_t deadline = sync_now_ns() + (uint64_t)FREE_GRACE_MS * 1000000u;
	struct pollfd *pfd = calloc(p->nprocs, sizeof(*pfd));

	if (!pfd)
		return; /* everybody gets SIGKILL then */
	for (;;) {
		unsigned waiting = 0;
		uint64_t now = sync_now_ns();
		int n;

		for (unsigned i = 0; i < p->nprocs; i++) {
			pfd[i].fd = (!gone[i] && p->workers[i].pid > 0) ? p->workers[i].ans_fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			waiting += pfd[i].fd >= 0;
		}
		if (waiting == 0 || now >= deadline)
			break;
		n = poll(pfd, p->nprocs, (int)((deadline - now + 999999) / 1000000));
		if (n < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; n > 0 && i < p->nprocs; i++) {
			unsigned char junk[512];

			if (!pfd[i].revents)
				continue;
			/* Stray bytes are drained; EOF or an error means gone. */
			ssize_t got = read(p->workers[i].ans_fd, junk, sizeof(junk));

			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
				gone[i] = true;
		}
	}
	free(pfd);
}

void procpool_free(struct procpool *pool)
{
	bool *gone;

	if (!pool)
		return;
	if (pool->workers) {
		for (unsigned i = 0; i < pool->nprocs; i++)
			close_fd(&pool->workers[i].req_fd); /* EOF: workers exit */
		gone = calloc(pool->nprocs, sizeof(*gone));
		if (gone)
			await_exits(pool, gone);
		for (unsigned i = 0; i < pool->nprocs; i++)
			kill_worker(pool, &pool->workers[i]);
		free(gone);
	}
	if (pool->cond_made)
		sync_must(pthread_cond_destroy(&pool->idle_cond), "pthread_cond_destroy");
	if (pool->lock_made)
		sync_must(pthread_mutex_destroy(&pool->lock), "pthread_mutex_destroy");
	free(pool->workers);
	free(pool->idle);
	free(pool);
}

/* ---- the worker's side ------------------------------------------------ */

/* Reads exactly len bytes, blocking; returns how many it got before EOF,
 * or -1 on a read error. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static bool contains(const char *body, size_t len, const char *needle)
{
	return memmem(body, len, needle, strlen(needle)) != NULL;
}

/* The oom hook: allocates and touches memory until malloc fails.  Returns
 * true if it did fail; false if OOM_HOOK_MAX was reached first. */
static bool exhaust_memory(void)
{
	struct chunk {
		struct chunk *next;
	} *head = NULL;
	size_t total = 0;
	bool failed = false;

	while (total < OOM_HOOK_MAX) {
		struct chunk *c = malloc(OOM_HOOK_CHUNK);

		if (!c) {
			failed = true;
			break;
		}
		memset(c, 0xa5, OOM_HOOK_CHUNK);
		c->next = head;
		head = c;
		total += OOM_HOOK_CHUNK;
	}
	while (head) {
		struct chunk *next = head->next;

		free(head);
		head = next;
	}
	return failed;
}

/* Test hooks; returns an exit code to stop with, or -1 to go on. */
static int run_test_hooks(const char *body, size_t len)
{
	if (contains(body, len, "<!--fetchall-test:crash-->"))
		abort();
	if (contains(body, len, "<!--fetchall-test:hang-->")) {
		/* Never answers, and costs next to nothing while it waits for
		 * the parent's SIGKILL. */
		for (;;)
			poll(NULL, 0, 100);
	}
	if (contains(body, len, "<!--fetchall-test:slow-->"))
		poll(NULL, 0, 3000);
	if (contains(body, len, "<!--fetchall-test:oom-->")) {
		if (!exhaust_memory())
			abort(); /* no cap in force: say so loudly */
		return WORKER_EXIT_NOMEM;
	}
	return -1;
}

/* Serves one request; returns an exit code to stop with, or -1 to go on. */
static int serve_one(int in_fd, int out_fd, bool hooks)
{
	unsigned char hdr[FRAME_HEADER_SIZE], *payload = NULL, *answer = NULL;
	struct html_links links = {0};
	struct frame_request req;
	char *url = NULL, *charset = NULL;
	size_t answer_len;
	uint32_t len;
	ssize_t got;
	enum fa_err err;
	int code = -1;

	got = read_full(in_fd, hdr, sizeof(hdr));
	if (got == 0)
		return WORKER_EXIT_OK;
	if (got < 0)
		return WORKER_EXIT_IO;
	if ((size_t)got < sizeof(hdr) || frame_header_decode(hdr, &len) != FA_OK)
		return WORKER_EXIT_PROTOCOL;
	payload = malloc(len ? len : 1);
	if (!payload)
		return WORKER_EXIT_NOMEM;
	got = read_full(in_fd, payload, len);
	if (got < 0) {
		code = WORKER_EXIT_IO;
		goto out;
	}
	if ((size_t)got < len || frame_request_decode(payload, len, &req) != FA_OK) {
		code = WORKER_EXIT_PROTOCOL;
		goto out;
	}
	if (hooks) {
		code = run_test_hooks(req.body, req.body_len);
		if (code >= 0)
			goto out;
	}
	url = strndup(req.url, req.url_len);
	charset = req.charset ? strndup(req.charset, req.charset_len) : NULL;
	if (!url || (req.charset && !charset)) {
		code = WORKER_EXIT_NOMEM;
		goto out;
	}
	err = html_extract(req.body, req.body_len, url, charset, req.kinds, &links);
	if (err == FA_ERR_NOMEM) {
		code = WORKER_EXIT_NOMEM;
		goto out;
	}
	if (frame_answer_encode((uint32_t)err, err == FA_OK ? &links : NULL, &answer,
				&answer_len) != FA_OK) {
		code = WORKER_EXIT_NOMEM;
		goto out;
	}
	if (write_full(out_fd, answer, answer_len) < 0)
		code = WORKER_EXIT_IO;

out:
	html_links_release(&links);
	free(answer);
	free(charset);
	free(url);
	free(payload);
	return code;
}

int procpool_worker_main(int in_fd, int out_fd)
{
	const char *hooks_env = getenv("FETCHALL_TEST_HOOKS");
	bool hooks = hooks_env && strcmp(hooks_env, "1") == 0;
	const unsigned char hello[FRAME_HEADER_SIZE] = {0};
	sigset_t sigint;
	int code;

	/* Spawned with SIGINT blocked; ignore it before letting it in. */
	signal(SIGINT, SIG_IGN);
	sigemptyset(&sigint);
	sigaddset(&sigint, SIGINT);
	pthread_sigmask(SIG_UNBLOCK, &sigint, NULL);
	if (write_full(out_fd, hello, sizeof(hello)) < 0)
		return WORKER_EXIT_IO;
	do
		code = serve_one(in_fd, out_fd, hooks);
	while (code < 0);
	return code;
}
