/*
 * bsem: bounded counting semaphore.
 *
 * One mutex guards the value, the waiter count and nothing else; one
 * condition variable, bound to CLOCK_MONOTONIC, carries "a unit was
 * released".  Every wait sits in a `while (value == 0)` loop, so spurious
 * wake-ups and barging (a bsem_try_acquire() taking the unit between the
 * signal and the woken thread getting the lock) only send a waiter back to
 * sleep.  A release signals one waiter, and only when the waiter count says
 * somebody is blocked; it never broadcasts, because one unit can satisfy only
 * one thread.  A timed waiter that times out still re-checks the value under
 * the lock and takes a unit that arrived meanwhile, so a signal it may have
 * consumed is never lost.
 *
 * Lock order: s->lock is a leaf; no other lock is taken while holding it, and
 * no callback runs under it.
 */
#include "bsem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * A pthread call that fails on an initialised object means memory corruption
 * or misuse (destroying a semaphore in use, unlocking from the wrong thread);
 * there is no state to return to, so say what failed and abort.  This is the
 * one place outside cli/report/main that prints.
 */
static void must(int rc, const char *what)
{
	char msg[128];

	if (rc == 0)
		return;
	if (strerror_r(rc, msg, sizeof(msg)) != 0)
		snprintf(msg, sizeof(msg), "error %d", rc);
	fprintf(stderr, "fetchall: bsem: %s failed: %s\n", what, msg);
	abort();
}

static uint64_t now_ns(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		must(errno, "clock_gettime");
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/*
 * The absolute CLOCK_MONOTONIC time timeout_ms (> 0) from now.  Cannot
 * overflow: a long of milliseconds fits in time_t seconds on every ABI where
 * long and time_t have the same width, and monotonic time starts near boot.
 */
static struct timespec deadline_after(long timeout_ms)
{
	struct timespec deadline;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
		must(errno, "clock_gettime");
	deadline.tv_sec += (time_t)(timeout_ms / 1000);
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return deadline;
}

enum fa_err bsem_init(struct bsem *s, unsigned bound)
{
	pthread_condattr_t attr;
	int rc;

	if (bound == 0)
		return FA_ERR_ARG;

	if (pthread_condattr_init(&attr) != 0)
		return FA_ERR_THREAD;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&s->cond, &attr);
	must(pthread_condattr_destroy(&attr), "pthread_condattr_destroy");
	if (rc != 0)
		return FA_ERR_THREAD;

	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		must(pthread_cond_destroy(&s->cond), "pthread_cond_destroy");
		return FA_ERR_THREAD;
	}

	s->value = bound;
	s->bound = bound;
	s->waiters = 0;
	return FA_OK;
}

void bsem_destroy(struct bsem *s)
{
	must(pthread_cond_destroy(&s->cond), "pthread_cond_destroy");
	must(pthread_mutex_destroy(&s->lock), "pthread_mutex_destroy");
}

void bsem_acquire(struct bsem *s)
{
	bsem_acquire_wait(s, NULL);
}

void bsem_acquire_wait(struct bsem *s, uint64_t *waited_ns)
{
	uint64_t started = 0;
	uint64_t waited = 0;

	must(pthread_mutex_lock(&s->lock), "pthread_mutex_lock");
	if (s->value == 0) {
		if (waited_ns)
			started = now_ns();
		s->waiters++;
		while (s->value == 0)
			must(pthread_cond_wait(&s->cond, &s->lock), "pthread_cond_wait");
		s->waiters--;
		if (waited_ns)
			waited = now_ns() - started;
	}
	s->value--;
	must(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");

	if (waited_ns)
		*waited_ns = waited;
}

enum fa_err bsem_try_acquire(struct bsem *s)
{
	enum fa_err err = FA_OK;

	must(pthread_mutex_lock(&s->lock), "pthread_mutex_lock");
	if (s->value > 0)
		s->value--;
	else
		err = FA_ERR_BUSY;
	must(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");
	return err;
}

enum fa_err bsem_timed_acquire(struct bsem *s, long timeout_ms)
{
	struct timespec deadline;
	enum fa_err err = FA_OK;
	int rc;

	must(pthread_mutex_lock(&s->lock), "pthread_mutex_lock");
	if (s->value == 0 && timeout_ms > 0) {
		deadline = deadline_after(timeout_ms);
		s->waiters++;
		while (s->value == 0) {
			rc = pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
			if (rc == ETIMEDOUT)
				break;
			must(rc, "pthread_cond_timedwait");
		}
		s->waiters--;
	}
	/* Also after ETIMEDOUT: a unit released just in time is ours. */
	if (s->value > 0)
		s->value--;
	else
		err = FA_ERR_TIMEOUT;
	must(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");
	return err;
}

enum fa_err bsem_release(struct bsem *s)
{
	enum fa_err err = FA_OK;

	must(pthread_mutex_lock(&s->lock), "pthread_mutex_lock");
	if (s->value >= s->bound) {
		err = FA_ERR_BSEM_OVER;
		goto out;
	}
	s->value++;
	if (s->waiters > 0)
		must(pthread_cond_signal(&s->cond), "pthread_cond_signal");
out:
	must(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");
	return err;
}

unsigned bsem_value(struct bsem *s)
{
	unsigned value;

	must(pthread_mutex_lock(&s->lock), "pthread_mutex_lock");
	value = s->value;
	must(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");
	return value;
}

unsigned bsem_waiters(struct bsem *s)
{
	unsigned waiters;

	must(pthread_mutex_lock(&s->lock), "pthread_mutex_lock");
	waiters = s->waiters;
	must(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");
	return waiters;
}

unsigned bsem_bound(const struct bsem *s)
{
	return s->bound;
}
