/*
 * cancel: SIGINT/SIGTERM → one flag that every thread can wait on.
 *
 * Signal handlers may only do async-signal-safe things, so the handler
 * writes one byte to sig_pipe (a self-pipe) and returns; a second signal
 * _exit()s at once.  The watcher thread blocks in poll() on sig_pipe; on a
 * byte it raises the flag via cancel_trigger().  cancel_release() wakes it
 * with a byte of its own ('q') and joins it.
 *
 * Locking: `lock` protects nothing but the condition `cond`, which is
 * broadcast once when the flag goes up; the flag itself is atomic so
 * cancel_requested() is lock-free for libcurl's progress callback.
 * cancel_fd's pipe gets one byte on cancel and is never drained, so it
 * stays readable for every poller.
 */
#include "cancel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

static int sig_pipe[2] = {-1, -1};
static int cancel_pipe[2] = {-1, -1};
static volatile sig_atomic_t signal_hits;
static atomic_bool cancelled;
static atomic_int reason;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static pthread_once_t cond_once = PTHREAD_ONCE_INIT;
static pthread_t watcher;
static bool watcher_running;
static void (*cancel_hook)(void *);
static void *cancel_hook_arg;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char byte = (unsigned char)sig;

	if (++signal_hits >= 2)
		_exit(130);
	if (write(sig_pipe[1], &byte, 1) < 0) {
		/* Nothing useful to do in a handler; the flag is lost only
		 * if the pipe is gone, i.e. after cancel_release(). */
	}
	errno = saved;
}

static void *watch(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};
		unsigned char byte;
		ssize_t n;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(sig_pipe[0], &byte, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || byte == 'q')
			break;
		cancel_trigger(byte);
	}
	return NULL;
}

/* The condition waits on CLOCK_MONOTONIC, which needs an attribute, so it
 * cannot be statically initialised; made once, never destroyed. */
static void init_cond(void)
{
	sync_must(sync_cond_init(&cond), "pthread_cond_init");
}

static int make_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1;
	return 0;
}

enum fa_err cancel_init(void (*hook)(void *), void *arg)
{
	struct sigaction sa = {0};

	pthread_once(&cond_once, init_cond);

	if (make_pipe(sig_pipe) < 0 || make_pipe(cancel_pipe) < 0)
		return FA_ERR_IO;
	/* The handler must never block on a full pipe. */
	if (fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) < 0)
		return FA_ERR_IO;
	cancel_hook = hook;
	cancel_hook_arg = arg;
	if (pthread_create(&watcher, NULL, watch, NULL) != 0)
		return FA_ERR_THREAD;
	watcher_running = true;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	return FA_OK;
}

void cancel_release(void)
{
	unsigned char q = 'q';

	if (watcher_running) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		/* Blocking write is fine: the watcher drains the pipe. */
		while (write(sig_pipe[1], &q, 1) < 0 && errno == EAGAIN)
			sched_yield();
		sync_must(pthread_join(watcher, NULL), "pthread_join");
		watcher_running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		if (cancel_pipe[i] >= 0)
			close(cancel_pipe[i]);
		sig_pipe[i] = cancel_pipe[i] = -1;
	}
}

void cancel_trigger(int why)
{
	bool expected = false;
	unsigned char byte = 'c';

	if (!atomic_compare_exchange_strong(&cancelled, &expected, true))
		return;
	atomic_store(&reason, why);
	pthread_once(&cond_once, init_cond);
	sync_lock(&lock);
	pthread_cond_broadcast(&cond);
	sync_unlock(&lock);
	if (cancel_pipe[1] >= 0 && write(cancel_pipe[1], &byte, 1) < 0) {
		/* Pollers then only see the flag at their next timeout. */
	}
	if (cancel_hook)
		cancel_hook(cancel_hook_arg);
}

bool cancel_requested(void)
{
	return atomic_load_explicit(&cancelled, memory_order_acquire);
}

int cancel_reason(void)
{
	return atomic_load(&reason);
}

int cancel_fd(void)
{
	return cancel_pipe[0];
}

bool cancel_sleep_ms(long ms)
{
	struct timespec deadline = sync_deadline_ms(ms);
	bool stop;

	pthread_once(&cond_once, init_cond);
	sync_lock(&lock);
	while (!(stop = cancel_requested())) {
		int rc = pthread_cond_timedwait(&cond, &lock, &deadline);

		if (rc == ETIMEDOUT)
			break;
		if (rc != 0)
			sync_must(rc, "pthread_cond_timedwait");
	}
	sync_unlock(&lock);
	return stop || cancel_requested();
}
