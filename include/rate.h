/*
 * rate: one token bucket that caps the bytes per second of a whole run
 * (--limit-rate), shared by every fetch thread.
 *
 * The bucket is kept as GCRA's "theoretical arrival time": tat_ns is the
 * moment at which every byte charged so far is paid for at `rate`.  A
 * bucket that has been idle holds at most `depth` bytes of credit (tat is
 * never older than now), so a burst is at most depth bytes; a charge that
 * overdraws it tells the caller how long to wait before its bytes are
 * paid for.  Charging first and waiting afterwards fits a libcurl write
 * callback, which is handed bytes that have already arrived.
 *
 * rate_bucket_*() are pure functions of the bucket and a time the caller
 * passes (tests inject a clock); struct rate shares one bucket between
 * threads with one atomic word and no lock, so a thread never waits for a
 * lock, only for its own bytes to be paid for.
 */
#ifndef FA_RATE_H
#define FA_RATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The bucket's depth is this fraction of a second of data: small bursts,
 * a smooth rate. */
#define RATE_DEPTH_DIVISOR 10

/* The state of one bucket; a plain value, copied freely. */
struct rate_bucket {
	uint64_t rate;     /* bytes per second; 0: unlimited */
	uint64_t burst_ns; /* the depth, as the time `rate` takes to earn it */
	uint64_t tat_ns;   /* every byte charged is paid for at this time */
};

/*
 * A full bucket of `rate` bytes per second (0: unlimited) and depth bytes
 * of credit at most, at time now_ns.  Pure.
 */
struct rate_bucket rate_bucket_make(uint64_t rate, uint64_t depth, uint64_t now_ns);

/*
 * Charges `bytes` to *b at time now_ns (an older now_ns than one used
 * before is harmless: tat_ns never moves back).  Returns how many
 * nanoseconds the caller must wait before its bytes are paid for: 0 while
 * the bucket has credit, else the debt at `rate`.  Pure (only *b
 * changes); not thread-safe on one bucket.
 */
uint64_t rate_bucket_charge(struct rate_bucket *b, uint64_t bytes, uint64_t now_ns);

/* A bucket shared between threads. */
struct rate {
	uint64_t rate, burst_ns;     /* as in struct rate_bucket, fixed */
	atomic_uint_fast64_t tat_ns; /* the bucket's only changing state */
};

/*
 * Sets r up for `rate` bytes per second (0: unlimited: rate_take() then
 * always returns 0), full, with RATE_DEPTH_DIVISOR-th of a second of
 * depth.  Not thread-safe; call before the threads start.  Nothing to
 * release.
 */
void rate_init(struct rate *r, uint64_t rate);

/*
 * Charges `bytes` to the shared bucket at the monotonic clock's now
 * (sync_now_ns()); returns the nanoseconds the caller should wait before
 * taking more (0: none).  Lock-free, thread-safe.
 */
uint64_t rate_take(struct rate *r, uint64_t bytes);

#endif
