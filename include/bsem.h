/*
 * bsem: a bounded counting semaphore, like Python's threading.BoundedSemaphore.
 *
 * The value starts at the bound; acquiring takes one unit, releasing gives one
 * back, and a release that would lift the value above the bound is refused
 * (FA_ERR_BSEM_OVER) so a double release shows up as an error instead of
 * silently widening the limit.  fetchall uses one for the number of transfers
 * in flight and one per host.
 *
 * The struct is public only so callers can embed it; its fields are private.
 * Timed waits use CLOCK_MONOTONIC, so changing the wall clock does not change
 * them.  A failed pthread call other than in bsem_init() aborts the program:
 * it means the semaphore is corrupt or misused, and nothing can recover.
 */
#ifndef FA_BSEM_H
#define FA_BSEM_H

#include <pthread.h>
#include <stdint.h>

#include "err.h"

struct bsem {
	pthread_mutex_t lock; /* guards every field below */
	pthread_cond_t cond;  /* signalled once per release, when waiters > 0 */
	unsigned value;       /* units free now, 0 <= value <= bound */
	unsigned bound;       /* fixed at init */
	unsigned waiters;     /* threads blocked in an acquire */
};

/*
 * Initialises s with `bound` units, all free (value = bound).
 * Returns FA_OK; FA_ERR_ARG if bound is 0 (s untouched); FA_ERR_THREAD if the
 * mutex or condition variable could not be created (s holds nothing to
 * release).  The caller owns the storage of s and must call bsem_destroy()
 * after a successful init.  Not thread-safe: s must not be in use.
 */
enum fa_err bsem_init(struct bsem *s, unsigned bound);

/*
 * Releases what bsem_init() created.  No thread may be blocked on s or use it
 * again, and the storage stays the caller's.  Units still held are not an
 * error.  Not thread-safe with any other call on s.
 */
void bsem_destroy(struct bsem *s);

/*
 * Takes one unit, blocking for as long as none is free.  Thread-safe.
 */
void bsem_acquire(struct bsem *s);

/*
 * bsem_acquire() that also reports, when waited_ns is not NULL, how long the
 * caller was blocked waiting for a unit, in nanoseconds of CLOCK_MONOTONIC:
 * 0 when a unit was free at once.  The caller keeps ownership of waited_ns.
 * Thread-safe.
 */
void bsem_acquire_wait(struct bsem *s, uint64_t *waited_ns);

/*
 * Takes one unit if one is free now, without blocking.
 * Returns FA_OK when it took one, FA_ERR_BUSY (value unchanged) otherwise.
 * Thread-safe.
 */
enum fa_err bsem_try_acquire(struct bsem *s);

/*
 * Takes one unit, blocking at most timeout_ms milliseconds for one to become
 * free; timeout_ms <= 0 does not block.
 * Returns FA_OK when it took one, FA_ERR_TIMEOUT (value unchanged) when none
 * became free in time.  Thread-safe.
 */
enum fa_err bsem_timed_acquire(struct bsem *s, long timeout_ms);

/*
 * Gives one unit back and wakes one blocked acquirer, if any.
 * Returns FA_OK; FA_ERR_BSEM_OVER, with the value unchanged and nobody woken,
 * when the value is already at the bound (more releases than acquires).
 * Any thread may release, not only the one that acquired.  Thread-safe.
 */
enum fa_err bsem_release(struct bsem *s);

/*
 * Returns the number of free units: a snapshot, stale as soon as it returns.
 * Thread-safe.
 */
unsigned bsem_value(struct bsem *s);

/*
 * Returns the number of threads blocked in an acquire on s: a snapshot, for
 * progress reports ("3 waiting for a slot") and tests.  Thread-safe.
 */
unsigned bsem_waiters(struct bsem *s);

/*
 * Returns the bound given to bsem_init().  Thread-safe (the bound never
 * changes after init).
 */
unsigned bsem_bound(const struct bsem *s);

#endif
