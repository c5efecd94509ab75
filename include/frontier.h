/*
 * frontier: the work still to do, and the one per-host controller.
 *
 * Every job, listed or discovered, waits here in its host's queue until a
 * worker may start it.  frontier_next() hands out the job of lowest depth
 * (breadth-first) among the hosts that are ready: under their cap of
 * transfers at once (--per-host) and past their next allowed start, which
 * the host's delay sets: --wait (or robots.txt's Crawl-delay, whichever is
 * larger) plus a host-wide slowdown that a 429 or 503 raises (for the
 * server's Retry-After if it gave one; else, in a crawl or with --wait or
 * auto-throttle, doubling: see frontier_slowdown()) and successes lower
 * again.  Retries go through the same gate, so a host that said "slow
 * down" is slowed for every request, not just the one that was told.
 * With auto-throttle (Scrapy's AutoThrottle rule) the delay also follows
 * the host's own latency: after each response it moves halfway toward
 * latency / target concurrency, so a server that slows down gets fewer
 * requests and a fast one more, within [--wait, throttle_max_ms].
 *
 * In crawl mode the frontier also keeps the seen-set (a URL is queued at
 * most once, check-and-insert under one lock) and sequences robots.txt: a
 * host's first job out is a robots job, and its other jobs wait until the
 * robots verdict is in.
 */
#ifndef FA_FRONTIER_H
#define FA_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"

struct robots;

/* The defaults of struct frontier_opts' caps (a field left 0). */
#define FRONTIER_KEY_MAX            96          /* a host key, "host:port", with its NUL */
#define FRONTIER_MAX_TOTAL          (4u << 20)  /* jobs queued, tens of bytes each plus the URL */
#define FRONTIER_MAX_SEEN           (64u << 20) /* seen-set entries */
#define FRONTIER_BACKOFF_BASE_MS    1000
#define FRONTIER_BACKOFF_MAX_MS     30000
#define FRONTIER_RETRY_AFTER_MAX_MS 120000
#define FRONTIER_THROTTLE_MAX_MS    60000

struct frontier_opts {
	unsigned per_host;    /* transfers at once per host; 0: no cap */
	long wait_ms;         /* between two request starts to one host
				 (per_host 1: from one's end to the next's start) */
	bool random_wait;     /* each wait is wait_ms x [0.5, 1.5) */
	unsigned random_seed; /* random_wait's first state; 0: from the clock */
	bool robots;          /* fetch and obey robots.txt per host */
	/* Caps; 0 gives the default.  A blocking add (a list's or a seed's
	 * URL) waits while max_queued jobs are queued (default max_total:
	 * a list streams through a smaller window of its own choosing); a
	 * non-blocking add (a page's link) is dropped past max_total (raised
	 * to max_queued if below). */
	size_t max_queued;
	size_t max_total;        /* default FRONTIER_MAX_TOTAL */
	size_t max_seen;         /* seen-set cap; default FRONTIER_MAX_SEEN */
	long backoff_base_ms;    /* first host-wide slowdown without Retry-After;
				    default FRONTIER_BACKOFF_BASE_MS */
	long backoff_max_ms;     /* cap of that doubling slowdown; default
				    FRONTIER_BACKOFF_MAX_MS */
	long retry_after_max_ms; /* cap of a Retry-After's hold; default
				    FRONTIER_RETRY_AFTER_MAX_MS */
	/* A 429/503 without Retry-After slows the host down (a crawl); else
	 * it does only with wait_ms or auto-throttle (a list): see
	 * frontier_slowdown(). */
	bool polite;
	/* Auto-throttle: requests in flight to aim for per host, in
	 * thousandths (1000: one); 0 turns it off.  A host starts at
	 * FRONTIER_THROTTLE_START_MS (or wait_ms if larger). */
	unsigned throttle_target_milli;
	long throttle_max_ms; /* the delay's cap; default FRONTIER_THROTTLE_MAX_MS */
	/* Told each host's key ("host:port") when the host first gets a job
	 * (again after it was swept out idle), under the frontier's lock:
	 * must not block or call back.  NULL: nobody. */
	void (*new_host)(void *arg, const char *key);
	void *new_host_arg;
	/* No job adds jobs (a list of files: no page's links, no other
	 * feeder once the input is done).  Then a worker that finds the
	 * input done and nothing queued is through at once, while other
	 * workers' jobs still run; otherwise it waits for the last job in
	 * flight, which may add more. */
	bool leaf_jobs;
};

#define FRONTIER_THROTTLE_START_MS 1000

/*
 * The auto-throttle rule (Scrapy's AutoThrottle): the delay between
 * request starts after a response that took latency_ms to its first byte,
 * for a host whose delay was delay_ms.  The target is latency / target
 * (target_milli / 1000 requests in flight); the new delay is the mean of
 * the old one and the target, never below the target, within [min_ms,
 * max_ms].  A response other than 200 may raise the delay but never
 * lower it: error pages and redirects are small and fast, and must not
 * speed up a host that is failing.  Pure: thread-safe.
 */
long frontier_throttle_delay(long delay_ms, long latency_ms, unsigned target_milli, long min_ms,
			     long max_ms, long http_code);

/* What one response does to its host's pace (frontier_slowdown()). */
struct frontier_slowdown {
	long hold_ms;    /* no request to the host starts before now + hold_ms */
	long backoff_ms; /* the host's standing slowdown, added to its gap
			    between request starts until successes wear it off */
};

/*
 * The host-wide slowdown rule: what a response (http_code, 0 if none;
 * whether the transport failed; the server's Retry-After, -1 if none)
 * does to a host whose standing slowdown was backoff_ms, under opts o
 * (as frontier_new() completes them: caps and base set).
 *
 *  - A 429 or 503 with Retry-After holds the host for exactly that long
 *    (at most retry_after_max_ms) and clears the standing slowdown: no
 *    request waits longer than the server asked.
 *  - A 429 or 503 without one, in a polite run (o->polite: a crawl; or
 *    wait_ms or auto-throttle given), doubles the standing slowdown
 *    (backoff_base_ms first, at most backoff_max_ms) and holds the host
 *    for it.  In a list without them it holds nothing and leaves the
 *    slowdown as it was: the URL's own retries back off (--retry-wait),
 *    and the rest of the list goes on, as with curl and wget2.
 *  - A transport failure or another 5xx changes nothing.
 *  - Any other response halves the standing slowdown (under 10 ms: 0).
 *
 * Pure: thread-safe.
 */
struct frontier_slowdown frontier_slowdown(const struct frontier_opts *o, long backoff_ms,
					   long http_code, bool transport_error,
					   long retry_after_ms);

/* One host, as the live display shows it. */
struct frontier_host_view {
	char key[FRONTIER_KEY_MAX]; /* "host:port" */
	unsigned active;            /* jobs handed out and not done (some may be
				       waiting out --wait, a backoff or a slot) */
	unsigned in_flight;         /* of them, transferring now */
	size_t queued;
	uint64_t requests, errors, throttled;
	/* The host's gap between request starts: --wait itself (never a
	 * --random-wait draw), Crawl-delay or auto-throttle's delay,
	 * whichever is largest, plus its backoff.  Reading it draws nothing,
	 * so looking does not change the scheduler's random waits. */
	long delay_ms;
	long last_delay_ms; /* the gap booked at its last request start
			       (with --random-wait, that start's draw); -1 before
			       the first */
};

struct frontier_stats {
	size_t queued, active, hosts;
	size_t in_flight; /* transfers now, all hosts (frontier_in_flight) */
	size_t seen, seen_bytes;
	uint64_t dropped;  /* not queued: frontier full or seen-set full */
	size_t high_water; /* most jobs queued at once */
};

struct frontier;
struct frontier_host;

/* A new, empty frontier; opts copied.  NULL on OOM. */
struct frontier *frontier_new(const struct frontier_opts *opts);

/* Frees the frontier and every job still queued.  NULL is fine. */
void frontier_free(struct frontier *f);

/*
 * Queues job (taking ownership in every case).  With dedupe, the URL's
 * normal form is checked and inserted in the seen-set first and a URL seen
 * before is dropped: FA_ERR_EXISTS.  With block, waits while max_queued
 * jobs wait already (the reader streaming a list, so memory stays flat);
 * without (URLs a page gave), queues it unless max_total jobs wait, else
 * drops it: FA_ERR_TOO_LONG (counted in `dropped`).
 * FA_ERR_CLOSED after frontier_close(); FA_ERR_URL for a URL without a
 * host, or a file:// URL that was not listed (depth 0, no source).  The
 * job is freed whenever the result is not FA_OK.  Thread-safe.
 */
enum fa_err frontier_add(struct frontier *f, struct fetch_job *job, bool dedupe, bool block);

/*
 * Marks a URL (any spelling) as seen without queuing it, e.g. the final
 * URL a redirect reached.  Returns true if it was new.  Thread-safe.
 */
bool frontier_mark_seen(struct frontier *f, const char *url);

/* The seen-set's fingerprint of url (of its normal form); false if it
 * has none (not a URL).  Pure: thread-safe. */
bool frontier_url_fingerprint(const char *url, uint64_t *fp);

/* frontier_mark_seen() by fingerprint (one read back from elsewhere).
 * Returns true if it was new.  Thread-safe. */
bool frontier_mark_seen_fp(struct frontier *f, uint64_t fp);

/*
 * Blocks until a job may start and hands it out (the caller owns it;
 * job->host is set, and the host counts it as active until
 * frontier_done()).  A host's first job in robots mode comes back as a
 * JOB_ROBOTS job for its robots.txt.  Returns FA_ERR_CLOSED when no job
 * can ever come: after frontier_close(), or once input is done and
 * nothing is queued or active.  Thread-safe.
 *
 * `last` (NULL, or FRONTIER_KEY_MAX bytes the calling thread keeps;
 * "" at first) names the host of the thread's previous job and is set
 * to the new one's: that host, if it is ready and its next job is of
 * the lowest depth waiting, is preferred over the turn order, because
 * the thread's connection to it is likely still open (libcurl's
 * connections are per thread, fetch.h).  A list of hosts with a few
 * URLs each then costs a connection a host, not one a URL.
 */
enum fa_err frontier_next(struct frontier *f, char *last, struct fetch_job **job);

/* frontier_done() of `done` (if not NULL; the caller still frees it) and
 * frontier_next() as one step under one lock: the thread that finished a
 * job takes the next itself, and wakes no other thread for the room its
 * job left (each such wake-up was a hand-off between two threads, twice
 * a job when every thread is busy).  Thread-safe. */
enum fa_err frontier_next_after(struct frontier *f, struct fetch_job *done, char *last,
				struct fetch_job **job);

/*
 * The per-attempt gate: frontier_attempt_start() waits (without any lock
 * or slot held) until the host's next allowed start and books the next
 * one; false if the run is closing.  frontier_attempt_end() reports the
 * attempt's outcome: http_code (0 if none), whether the transport failed,
 * the Retry-After the server sent (-1 if none) and the time to the
 * response's first byte (-1 if none), which auto-throttle follows.
 * Thread-safe.
 */
bool frontier_attempt_start(struct frontier *f, struct frontier_host *host);
void frontier_attempt_end(struct frontier *f, struct frontier_host *host, long http_code,
			  bool transport_error, long retry_after_ms, long latency_ms);

/*
 * A transfer of the host's starts (on) or ends (off): between holding a
 * slot of the in-flight bound and giving it back, so that the hosts'
 * counts and their sum are the transfers in flight, as the progress line
 * shows them, and never a thread that waits (--wait, a backoff, a slot).
 * Calls pair up per attempt.  Returns whether the host is busy after the
 * change: another of its transfers is in flight, or it has URLs waiting
 * and no other host has (so the threads are all about to work on it;
 * not with a per-host cap of one).  Thread-safe.
 */
bool frontier_in_flight(struct frontier *f, struct frontier_host *host, bool on);

/*
 * The robots verdict for the host of a JOB_ROBOTS job: takes ownership of
 * robots (NULL: everything allowed).  Its Crawl-delay becomes the host's
 * minimum delay.  Thread-safe.
 */
void frontier_set_robots(struct frontier *f, struct frontier_host *host, struct robots *robots);

/* The host's robots rules (NULL: none, allow all).  A host's rules are
 * set once; the pointer stays valid while the caller's job of that host
 * is active (before its frontier_done()). */
const struct robots *frontier_robots(struct frontier_host *host);

/* The job's transfers are over though the job is not done (its page waits
 * for, or is in, parsing): its host may start another job (the per-host
 * cap counts transfers, not pages being parsed), while the job still holds
 * off termination until frontier_done().  At most once per job; optional.
 * Thread-safe. */
void frontier_transfer_over(struct frontier *f, struct fetch_job *job);

/* The job handed out by frontier_next() is finished (its host is no
 * longer busy with it).  Call before freeing the job.  Thread-safe. */
void frontier_done(struct frontier *f, struct fetch_job *job);

/* No more jobs will come from outside (the list or the seeds are in);
 * workers may now stop once the work runs out.  Thread-safe. */
void frontier_input_done(struct frontier *f);

/* Stops handing out jobs; wakes every waiter.  Idempotent, thread-safe. */
void frontier_close(struct frontier *f);

/*
 * Takes every job still queued out of the frontier and hands each to fn,
 * which takes ownership: for a run that stopped early, whose unstarted
 * jobs must not be lost (the --save-failed list).  Hosts one after the
 * other, each host's jobs in queue order.  Thread-safe; fn runs without
 * the frontier's lock held.
 */
void frontier_drain(struct frontier *f, void (*fn)(void *arg, struct fetch_job *job), void *arg);

struct frontier_stats frontier_stats(struct frontier *f);

/* Up to n busiest hosts (most active, then most queued) into out; returns
 * how many.  Thread-safe. */
size_t frontier_top_hosts(struct frontier *f, struct frontier_host_view *out, size_t n);

/* frontier_top_hosts() and, if st is not NULL, frontier_stats() into *st,
 * read at one instant (under one lock), so the counts agree: a host's
 * in_flight is never more than st->in_flight.  Thread-safe. */
size_t frontier_snapshot(struct frontier *f, struct frontier_stats *st,
			 struct frontier_host_view *out, size_t n);

#endif
