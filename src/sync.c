/*
 * sync: abort-on-failure for pthread calls (and the mutex lock/unlock
 * wrappers built on it), the monotonic clock, and monotonic condition
 * variables.  No state; nothing to lock.
 */
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sync_must(int rc, const char *what)
{
	char msg[128];

	if (rc == 0)
		return;
	if (strerror_r(rc, msg, sizeof(msg)) != 0)
		snprintf(msg, sizeof(msg), "error %d", rc);
	fprintf(stderr, "fetchall: fatal: %s failed: %s\n", what, msg);
	abort();
}

void sync_lock(pthread_mutex_t *m)
{
	sync_must(pthread_mutex_lock(m), "pthread_mutex_lock");
}

void sync_unlock(pthread_mutex_t *m)
{
	sync_must(pthread_mutex_unlock(m), "pthread_mutex_unlock");
}

uint64_t sync_now_ns(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		sync_must(errno, "clock_gettime");
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

void sync_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

double sync_ms_since(uint64_t start_ns)
{
	return (double)(sync_now_ns() - start_ns) / 1e6;
}

/* Cannot overflow: a long of milliseconds fits in time_t seconds on every
 * ABI where the two have the same width, and monotonic time starts near
 * boot. */
struct timespec sync_deadline_ms(long ms)
{
	struct timespec deadline;

	if (ms < 0)
		ms = 0;
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
		sync_must(errno, "clock_gettime");
	deadline.tv_sec += (time_t)(ms / 1000);
	deadline.tv_nsec += (ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return deadline;
}

int sync_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc = pthread_condattr_init(&attr);

	if (rc != 0)
		return rc;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cond, &attr);
	sync_must(pthread_condattr_destroy(&attr), "pthread_condattr_destroy");
	return rc;
}
