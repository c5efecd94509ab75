/*
 * fleet: one job split over many processes (machines) through Redis.
 *
 * Hosts are partitioned as --shard does (url_shard(): FNV-1a of
 * host:port mod N), so each host has exactly one owner and its per-host
 * controller (cap, delay, Crawl-delay, slowdown, robots) stays local and
 * exact.  Between the shards, URLs travel over Redis streams:
 *
 *   fa:JOB:in:K      shard K's inbox (K = 1..N), read through the
 *                    consumer group "g" by the shard's one owner
 *   fa:JOB:incoming  URLs --enqueue loaded, not yet split by host: any
 *                    worker moves them to their shard's inbox (group "r")
 *   fa:JOB:out       URLs sent and not yet acknowledged, fleet-wide: the
 *                    job is over when it is 0
 *   fa:JOB:seen:K    shard K's seen-set mirror: 8-byte fingerprints, read
 *                    back by a restarted owner
 *   fa:JOB:lease:K   shard K's owner ("host:pid:nonce"), with an expiry
 *                    its owner renews
 *   fa:JOB:stat:K    shard K's counters, for --status
 *   fa:JOB:meta      the job's shard count; fa:JOB:seeded: a crawl's
 *                    start URLs are in
 *
 * Every change to a stream and the counter is one Lua script, so the
 * counter is exact: a send is XADD + INCR, an acknowledgement XACK + DECR
 * only if the XACK took (so it may be repeated), a move from incoming
 * XACK + XADD likewise.
 *
 * Order of effects: a page is fetched, its links are sent, its result is
 * written, then it is acknowledged.  Writes go out in that order on one
 * connection from one queue, so a crash (or a Redis outage the process
 * does not outlive) loses at most a suffix of the queue, and any link
 * lost that way belongs to a page whose acknowledgement is lost with it:
 * the page is fetched again after the restart and sends its links again.
 * Duplicates are dropped by the receiving shard's seen-set.
 *
 * Threads: a writer (the queue of commands, their replies, reconnecting
 * with backoff, renewing the lease, publishing the counters) and a feeder
 * (reading the inbox while the frontier is short of work, moving
 * incoming URLs, noticing the end of the job), each with its own
 * connection.  fleet_send(), fleet_ack() and fleet_seen() are
 * thread-safe.
 */
#ifndef FA_FLEET_H
#define FA_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "fetch.h"

struct fleet;

struct fleet_opts {
	const char *redis; /* redis://[:PASSWORD@]HOST[:PORT][/DB], unix:PATH or /PATH */
	const char *job;   /* the job's name: [A-Za-z0-9._-], at most 64 */
	unsigned shard;    /* this process's shard, 0-based; with nshards */
	unsigned nshards;  /* 0: none (--enqueue, --status) */
	bool crawl;        /* links are deduplicated (a list's are not) */
	size_t low_water;  /* the inbox is read while fewer jobs wait locally */
	bool quiet;        /* no notes on stderr */
	long lease_ms;     /* a lease's life; 0: FLEET_LEASE_MS */
};

#define FLEET_LEASE_MS 15000

/* What the feeder hands over, and how it asks. */
struct fleet_feed {
	/* A job for this shard from the inbox (fleet_id set; replay: it was
	 * read before, by this shard's earlier owner, and not acknowledged:
	 * queue it whatever the seen-set says).  Takes the job.  Returns
	 * FA_OK if queued (its result acknowledges it), else it is
	 * acknowledged at once (a duplicate, a bad URL). */
	enum fa_err (*deliver)(void *arg, struct fetch_job *job, bool replay);
	size_t (*waiting)(void *arg); /* jobs queued locally */
	/* seen-set mirror, crawl only: a fingerprint read back, and a URL's */
	void (*mark_seen)(void *arg, uint64_t fp);
	bool (*fingerprint)(const char *url, uint64_t *fp);
	void (*done)(void *arg); /* the whole job is done */
	void *arg;
};

/*
 * Connects to Redis (at most a few seconds), checks the job's name and
 * shard count (the first process to name a count sets it; another count
 * is refused), and with nshards takes shard's lease: a live owner of the
 * same shard refuses the start, with who it is; an owner on this host
 * whose process is gone is replaced at once.  Returns FA_OK, or an error
 * with a one-line message in err (FA_ERR_ARG: bad --redis or --job;
 * FA_ERR_EXISTS: the shard is owned; FA_ERR_IO: Redis cannot be reached).
 */
enum fa_err fleet_open(const struct fleet_opts *o, struct fleet **out, char *err, size_t errlen);

/* Stops the threads (writes still queued get a few seconds to go out),
 * gives the lease back and frees.  NULL is fine. */
void fleet_free(struct fleet *f);

/* A crawl's start URLs (nseeds; kind and save for each as for sends),
 * sent only by the first process of the job to get here, so a job is
 * seeded once.  Waits until they are in Redis.  Returns FA_OK. */
enum fa_err fleet_seed(struct fleet *f, const char *const *urls, const char *kinds, size_t n);

/* Sends url (found at depth on source, NULL if none; kind 'p' page or
 * 'f' file; save whether it is kept) to its shard's inbox, or with
 * incoming to the incoming stream (--enqueue; line: the list's line).
 * Queued for the writer, in order; blocks while too many wait.
 * Thread-safe. */
enum fa_err fleet_send(struct fleet *f, const char *url, unsigned depth, const char *source,
		       char kind, bool save, unsigned long line, bool incoming);

/* The job of entry id is done (failed or not, bytes transferred, for the
 * shard's counters): acknowledged, and the counter lowered, after
 * everything queued before.  Thread-safe. */
void fleet_ack(struct fleet *f, const char *id, bool failed, uint64_t bytes);

/* Waits until everything queued so far is in Redis. */
enum fa_err fleet_sync(struct fleet *f);

/* Starts the writer (the first time), and with feed the feeder (once). */
enum fa_err fleet_start(struct fleet *f, const struct fleet_feed *feed);

/* Redis commands sent so far (for the summary: operations per page). */
uint64_t fleet_commands(const struct fleet *f);

/* A short state for the progress line ("" when all is well). */
void fleet_state(struct fleet *f, char *buf, size_t len);

/* --status: the job's shards, one line each, to out.  Returns 0, or 2
 * with a line on err. */
int fleet_status(const char *redis, const char *job, FILE *out, FILE *err);

#endif
