/*
 * rate: the run's token bucket (--limit-rate), as GCRA.
 *
 * The only state is tat_ns, the time at which every byte charged so far
 * is paid for.  Charging n bytes at time t: tat = max(tat, t - burst) +
 * n / rate, and the caller waits until tat: bytes already received are
 * paid for by waiting until the bucket would have earned them.  Keeping
 * tat no older than t - burst is what caps the credit of an idle bucket
 * at `depth` bytes.  Waiting tat - t can only ever shrink
 * the rate below `rate`, never raise it above: a thread that sleeps too
 * long leaves credit that the next charge uses, so rounding errors of the
 * sleeps cancel out instead of adding up.
 *
 * Costs are computed in double (53 bits): a charge of up to a few hundred
 * kilobytes costs at most a few seconds, so the rounding is under a
 * nanosecond per charge.
 *
 * Locking: the shared bucket is one atomic word updated by
 * compare-and-swap around the pure rate_bucket_charge(); nothing else.
 */
#include "rate.h"

#include "sync.h"

static uint64_t cost_ns(uint64_t bytes, uint64_t rate)
{
	return (uint64_t)((double)bytes * 1e9 / (double)rate + 0.5);
}

struct rate_bucket rate_bucket_make(uint64_t rate, uint64_t depth, uint64_t now_ns)
{
	struct rate_bucket b = {.rate = rate};

	if (rate > 0)
		b.burst_ns = cost_ns(depth, rate);
	/* full: paid for a burst ago */
	b.tat_ns = now_ns > b.burst_ns ? now_ns - b.burst_ns : 0;
	return b;
}

uint64_t rate_bucket_charge(struct rate_bucket *b, uint64_t bytes, uint64_t now_ns)
{
	uint64_t floor_ns;

	if (b->rate == 0)
		return 0;
	/* an idle bucket keeps at most burst_ns of credit */
	floor_ns = now_ns > b->burst_ns ? now_ns - b->burst_ns : 0;
	if (b->tat_ns < floor_ns)
		b->tat_ns = floor_ns;
	b->tat_ns += cost_ns(bytes, b->rate);
	return b->tat_ns > now_ns ? b->tat_ns - now_ns : 0;
}

void rate_init(struct rate *r, uint64_t rate)
{
	struct rate_bucket b = rate_bucket_make(rate, rate / RATE_DEPTH_DIVISOR, sync_now_ns());

	r->rate = b.rate;
	r->burst_ns = b.burst_ns;
	atomic_init(&r->tat_ns, b.tat_ns);
}

uint64_t rate_take(struct rate *r, uint64_t bytes)
{
	struct rate_bucket b = {.rate = r->rate, .burst_ns = r->burst_ns};
	uint_fast64_t old;
	uint64_t now, wait;

	if (r->rate == 0)
		return 0;
	now = sync_now_ns();
	old = atomic_load(&r->tat_ns);
	do {
		b.tat_ns = old;
		wait = rate_bucket_charge(&b, bytes, now);
	} while (!atomic_compare_exchange_weak(&r->tat_ns, &old, b.tat_ns));
	return wait;
}
