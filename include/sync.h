/*
 * sync: the few pthread and clock helpers every threaded module needs, so
 * that each is written once.
 */
#ifndef FA_SYNC_H
#define FA_SYNC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/*
 * Aborts, naming `what` and the error, when rc (a pthread-style error
 * number) is not 0.  A pthread call that fails on an initialised object
 * means memory corruption or misuse; there is no state to return to.
 * This is the one place outside cli/report/main that prints.  Thread-safe.
 */
void sync_must(int rc, const char *what);

/* pthread_mutex_lock() / pthread_mutex_unlock() on an initialised mutex;
 * abort through sync_must() if the call fails, so that a call site is one
 * plain line.  Thread-safe. */
void sync_lock(pthread_mutex_t *m);
void sync_unlock(pthread_mutex_t *m);

/* CLOCK_MONOTONIC now, in nanoseconds: the one clock for measuring time
 * (start times are kept as its uint64_t).  Thread-safe. */
uint64_t sync_now_ns(void);

/* Milliseconds from start_ns (a sync_now_ns() value) to now, for elapsed
 * times and rates.  Thread-safe. */
double sync_ms_since(uint64_t start_ns);

/* Sleeps ms milliseconds, a signal notwithstanding. */
void sync_sleep_ms(long ms);

/* The absolute CLOCK_MONOTONIC time `ms` (>= 0) milliseconds from now, for
 * pthread_cond_timedwait on a condition made by sync_cond_init().
 * Thread-safe. */
struct timespec sync_deadline_ms(long ms);

/* pthread_cond_init() with CLOCK_MONOTONIC; returns its error number. */
int sync_cond_init(pthread_cond_t *cond);

#endif
