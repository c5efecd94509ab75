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

#include "sync.h"

enum fa_err bsem_init(struct bsem *s, unsigned bound)
{
	if (bound == 0)
		return FA_ERR_ARG;
	if (sync_cond_init(&s->cond) != 0)
		return FA_ERR_THREAD;

	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		sync_must(pthread_cond_destroy(&s->cond), "pthread_cond_destroy");
		return FA_ERR_THREAD;
	}

	s->value = bound;
	s->bound = bound;
	s->waiters = 0;
	return FA_OK;
}

void bsem_destroy(struct bsem *s)
{
	sync_must(pthread_cond_destroy(&s->cond), "pthread_cond_destroy");
	sync_must(pthread_mutex_destroy(&s->lock), "pthread_mutex_destroy");
}

void bsem_acquire(struct bsem *s)
{
	bsem_acquire_wait(s, NULL);
}

void bsem_acquire_wait(struct bsem *s, uint64_t *waited_ns)
{
	uint64_t started = 0;
	uint64_t waited = 0;

	sync_lock(&s->lock);
	if (s->value == 0) {
		if (waited_ns)
			started = sync_now_ns();
		s->waiters++;
		while (s->value == 0)
			sync_must(pthread_cond_wait(&s->cond, &s->lock), "pthread_cond_wait");
		s->waiters--;
		if (waited_ns)
			waited = sync_now_ns() - started;
	}
	s->value--;
	sync_unlock(&s->lock);

	if (waited_ns)
		*waited_ns = waited;
}

enum fa_err bsem_try_acquire(struct bsem *s)
{
	enum fa_err err = FA_OK;

	sync_lock(&s->lock);
	if (s->value > 0)
		s->value--;
	else
		err = FA_ERR_BUSY;
	sync_unlock(&s->lock);
	return err;
}

enum fa_err bsem_timed_acquire(struct bsem *s, long timeout_ms)
{
	struct timespec deadline;
	enum fa_err err = FA_OK;
	int rc;

	sync_lock(&s->lock);
	if (s->value == 0 && timeout_ms > 0) {
		deadline = sync_deadline_ms(timeout_ms);
		s->waiters++;
		while (s->value == 0) {
			rc = pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
			if (rc == ETIMEDOUT)
				break;
			sync_must(rc, "pthread_cond_timedwait");
		}
		s->waiters--;
	}
	/* Also after ETIMEDOUT: a unit released just in time is ours. */
	if (s->value > 0)
		s->value--;
	else
		err = FA_ERR_TIMEOUT;
	sync_unlock(&s->lock);
	return err;
}

enum fa_err bsem_release(struct bsem *s)
{
	enum fa_err err = FA_OK;

	sync_lock(&s->lock);
	if (s->value >= s->bound) {
		err = FA_ERR_BSEM_OVER;
		goto out;
	}
	s->value++;
	if (s->waiters > 0)
		sync_must(pthread_cond_signal(&s->cond), "pthread_cond_signal");
out:
	sync_unlock(&s->lock);
	return err;
}

unsigned bsem_value(struct bsem *s)
{
	unsigned value;

	sync_lock(&s->lock);
	value = s->value;
	sync_unlock(&s->lock);
	return value;
}

unsigned bsem_waiters(struct bsem *s)
{
	unsigned waiters;

	sync_lock(&s->lock);
	waiters = s->waiters;
	sync_unlock(&s->lock);
	return waiters;
}

unsigned bsem_bound(const struct bsem *s)
{
	return s->bound;
}
