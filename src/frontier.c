/*
 * frontier: per-host job queues, the host scheduler, the seen-set.
 *
 * Data: a hash table of hosts by "host:port"; each host has a FIFO of
 * jobs (linked through fetch_job.next) and its politeness state.  Hosts
 * with queued jobs are also on the `waiting` list, which frontier_next()
 * scans for the ready host whose first job has the lowest depth; the
 * chosen host moves to the list's tail, so hosts of equal depth take
 * turns.  The scan is O(hosts with work): list mode keeps at most
 * max_queued jobs (so few hosts), and a crawl's hosts are bounded by its
 * scope.  Idle hosts with nothing to remember are freed, so a list of a
 * million hosts does not keep a million entries.
 *
 * Locking: one mutex guards everything here, including the seen-set
 * (wget2's check-and-insert under one lock); it is a leaf lock.  `work` is
 * signalled when one more job may have become startable (a job added, a
 * job done or past its transfer: any waiting thread can take it, so one
 * is woken: every thread waiting on `work` waits in frontier_next() for
 * any job), and broadcast when many may have or the end may have come
 * (robots known, input done, the last job done, close).  A thread waiting
 * for its host's next allowed start waits on `start` instead, until that
 * time (which only ever moves later) or frontier_close().  `room` is
 * signalled when a queued job leaves and the queue is at least
 * room_batch() below its bound: a reader blocked on a full queue then
 * wakes once for a batch of lines, not once a line.  frontier_close()
 * broadcasts all three.  URL normalisation runs before taking the lock.
 */
#include "frontier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"
#include "seen.h"
#include "sync.h"
#include "url.h"

enum robots_state { ROBOTS_NONE, ROBOTS_FETCHING, ROBOTS_READY };

struct frontier_host {
	char key[FRONTIER_KEY_MAX];
	struct fetch_job *head, *tail;
	size_t queued;
	unsigned active;        /* jobs handed out, not yet done */
	unsigned parsing;       /* ... of which past their transfers */
	unsigned in_flight;     /* ... of which transferring now */
	uint64_t next_start_ms; /* monotonic ms of the next allowed start */
	long backoff_ms;        /* host-wide slowdown after 429/503 */
	long crawl_delay_ms;    /* from robots.txt; -1 none */
	long throttle_ms;       /* auto-throttle's delay; 0 when off */
	long last_delay_ms;     /* booked at the last start; -1 none yet */
	enum robots_state robots_state;
	struct robots *robots;
	char *robots_url;
	uint64_t requests, errors, throttled;
	struct frontier_host *chain;       /* hash bucket */
	struct frontier_host *prev, *next; /* `waiting` list */
	bool waiting;
};

struct frontier {
	struct frontier_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t room;
	pthread_cond_t start; /* frontier_attempt_start()'s timed waits */
	struct frontier_host **buckets;
	size_t nbuckets, nhosts;
	struct frontier_host *wait_head, *wait_tail;
	size_t nwaiting; /* hosts on that list: those with URLs queued */
	struct seen *seen;
	size_t queued, active, high_water;
	size_t in_flight; /* the hosts' in_flight, summed */
	uint64_t dropped;
	unsigned random_state;
	size_t sweep_at; /* host count that triggers sweep_idle_hosts() */
	bool input_done, closed;
};

/* How far below max_queued the queue must fall before a blocked adder
 * is woken (see the top of this file). */
static size_t room_batch(const struct frontier *f)
{
	return f->opts.max_queued / 8 ? f->opts.max_queued / 8 : 1;
}

static uint64_t now_ms(void)
{
	return sync_now_ns() / 1000000u;
}

struct frontier *frontier_new(const struct frontier_opts *opts)
{
	struct frontier *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->opts = *opts;
	if (f->opts.max_total == 0)
		f->opts.max_total = FRONTIER_MAX_TOTAL;
	if (f->opts.max_queued == 0)
		f->opts.max_queued = f->opts.max_total;
	if (f->opts.max_total < f->opts.max_queued)
		f->opts.max_total = f->opts.max_queued;
	if (f->opts.max_seen == 0)
		f->opts.max_seen = FRONTIER_MAX_SEEN;
	if (f->opts.backoff_base_ms <= 0)
		f->opts.backoff_base_ms = FRONTIER_BACKOFF_BASE_MS;
	if (f->opts.backoff_max_ms <= 0)
		f->opts.backoff_max_ms = FRONTIER_BACKOFF_MAX_MS;
	if (f->opts.retry_after_max_ms <= 0)
		f->opts.retry_after_max_ms = FRONTIER_RETRY_AFTER_MAX_MS;
	if (f->opts.throttle_max_ms <= 0)
		f->opts.throttle_max_ms = FRONTIER_THROTTLE_MAX_MS;
	f->nbuckets = 64;
	f->buckets = calloc(f->nbuckets, sizeof(*f->buckets));
	f->seen = seen_new(f->opts.max_seen);
	if (!f->buckets || !f->seen) {
		free(f->buckets);
		seen_free(f->seen);
		free(f);
		return NULL;
	}
	sync_must(pthread_mutex_init(&f->lock, NULL), "pthread_mutex_init");
	sync_must(sync_cond_init(&f->work), "pthread_cond_init");
	sync_must(sync_cond_init(&f->room), "pthread_cond_init");
	sync_must(sync_cond_init(&f->start), "pthread_cond_init");
	f->random_state = opts->random_seed ? opts->random_seed : (unsigned)sync_now_ns();
	f->sweep_at = 1024;
	return f;
}

static void host_free(struct frontier_host *h)
{
	while (h->head) {
		struct fetch_job *job = h->head;

		h->head = job->next;
		fetch_job_free(job);
	}
	robots_free(h->robots);
	free(h->robots_url);
	free(h);
}

void frontier_free(struct frontier *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nbuckets; i++) {
		while (f->buckets[i]) {
			struct frontier_host *h = f->buckets[i];

			f->buckets[i] = h->chain;
			host_free(h);
		}
	}
	free(f->buckets);
	seen_free(f->seen);
	pthread_cond_destroy(&f->work);
	pthread_cond_destroy(&f->room);
	pthread_cond_destroy(&f->start);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static size_t bucket_of(const struct frontier *f, const char *key)
{
	return (size_t)seen_fingerprint(key, strlen(key)) & (f->nbuckets - 1);
}

static void grow_table(struct frontier *f)
{
	size_t n = f->nbuckets * 2;
	struct frontier_host **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < f->nbuckets; i++) {
		while (f->buckets[i]) {
			struct frontier_host *h = f->buckets[i];
			size_t k = (size_t)seen_fingerprint(h->key, strlen(h->key)) & (n - 1);

			f->buckets[i] = h->chain;
			h->chain = b[k];
			b[k] = h;
		}
	}
	free(f->buckets);
	f->buckets = b;
	f->nbuckets = n;
}

/* With the lock held: the host for key, or NULL. */
static struct frontier_host *host_find(const struct frontier *f, const char *key)
{
	struct frontier_host *h;

	for (h = f->buckets[bucket_of(f, key)]; h; h = h->chain)
		if (!strcmp(h->key, key))
			return h;
	return NULL;
}

/* With the lock held: the host for key, made if missing; NULL on OOM. */
static struct frontier_host *host_get(struct frontier *f, const char *key, const char *url)
{
	size_t b = bucket_of(f, key);
	struct frontier_host *h = host_find(f, key);

	if (h)
		return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->crawl_delay_ms = -1;
	h->last_delay_ms = -1;
	if (f->opts.throttle_target_milli)
		h->throttle_ms = f->opts.wait_ms > FRONTIER_THROTTLE_START_MS
				     ? f->opts.wait_ms
				     : FRONTIER_THROTTLE_START_MS;
	if (f->opts.robots) {
		/* scheme://authority/robots.txt of the first URL seen */
		struct url_split parts;
		bool split = url_split(url, &parts);

		h->robots_url = split ? malloc(parts.path + sizeof("/robots.txt")) : NULL;
		if (!h->robots_url) {
			free(h);
			return NULL;
		}
		memcpy(h->robots_url, url, parts.path);
		memcpy(h->robots_url + parts.path, "/robots.txt", sizeof("/robots.txt"));
	} else {
		h->robots_state = ROBOTS_READY;
	}
	h->chain = f->buckets[b];
	f->buckets[b] = h;
	if (++f->nhosts > f->nbuckets)
		grow_table(f);
	if (f->opts.new_host)
		f->opts.new_host(f->opts.new_host_arg, key);
	return h;
}

static void waiting_remove(struct frontier *f, struct frontier_host *h)
{
	if (!h->waiting)
		return;
	if (h->prev)
		h->prev->next = h->next;
	else
		f->wait_head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else
		f->wait_tail = h->prev;
	h->prev = h->next = NULL;
	h->waiting = false;
	f->nwaiting--;
}

static void waiting_append(struct frontier *f, struct frontier_host *h)
{
	if (h->waiting)
		return;
	h->prev = f->wait_tail;
	h->next = NULL;
	if (f->wait_tail)
		f->wait_tail->next = h;
	else
		f->wait_head = h;
	f->wait_tail = h;
	h->waiting = true;
	f->nwaiting++;
}

/* With the lock held: frees h if it holds nothing worth remembering. */
static void maybe_evict(struct frontier *f, struct frontier_host *h, uint64_t now)
{
	struct frontier_host **p;

	if (h->queued || h->active || h->backoff_ms || f->opts.robots || h->next_start_ms > now)
		return;
	for (p = &f->buckets[bucket_of(f, h->key)]; *p; p = &(*p)->chain) {
		if (*p == h) {
			*p = h->chain;
			break;
		}
	}
	waiting_remove(f, h);
	f->nhosts--;
	host_free(h);
}

/* With the lock held: frees every idle host whose delay has passed (hosts
 * still inside their --wait when last done are not freed then), and sets
 * the next sweep for when the table has doubled, so sweeps cost O(1)
 * amortised per host. */
static void sweep_idle_hosts(struct frontier *f)
{
	uint64_t now = now_ms();

	for (size_t b = 0; b < f->nbuckets; b++) {
		struct frontier_host *h = f->buckets[b];

		while (h) {
			struct frontier_host *next = h->chain;

			maybe_evict(f, h, now);
			h = next;
		}
	}
	f->sweep_at = f->nhosts * 2 > 1024 ? f->nhosts * 2 : 1024;
}

enum fa_err frontier_add(struct frontier *f, struct fetch_job *job, bool dedupe, bool block)
{
	char key[FRONTIER_KEY_MAX];
	uint64_t fp = 0;
	struct frontier_host *h;
	enum fa_err err;

	/* A file:// URL (--allow-file) only as listed, never as a link a page
	 * gave: a page must not make fetchall read local files. */
	if (url_host_key(job->url, key, sizeof(key)) != FA_OK ||
	    (!strcmp(key, "file:") && (job->source || job->depth > 0))) {
		fetch_job_free(job);
		return FA_ERR_URL;
	}
	if (dedupe) {
		char *norm = NULL;

		err = url_normalize(job->url, &norm);
		if (err != FA_OK) {
			fetch_job_free(job);
			return err;
		}
		fp = seen_fingerprint(norm, strlen(norm));
		free(norm);
	}

	sync_lock(&f->lock);
	if (dedupe && seen_has(f->seen, fp)) {
		err = FA_ERR_EXISTS; /* known already: no need to wait for room */
		goto fail;
	}
	while (block && !f->closed && f->queued >= f->opts.max_queued)
		sync_must(pthread_cond_wait(&f->room, &f->lock), "pthread_cond_wait");
	if (f->closed) {
		err = FA_ERR_CLOSED;
		goto fail;
	}
	if (!block && f->queued >= f->opts.max_total) {
		f->dropped++;
		err = FA_ERR_TOO_LONG;
		goto fail;
	}
	if (dedupe) {
		err = seen_add(f->seen, fp);
		if (err == FA_ERR_TOO_LONG || err == FA_ERR_NOMEM)
			f->dropped++;
		if (err != FA_OK)
			goto fail;
	}
	if (f->nhosts >= f->sweep_at)
		sweep_idle_hosts(f);
	h = host_get(f, key, job->url);
	if (!h) {
		err = FA_ERR_NOMEM;
		goto fail;
	}
	job->next = NULL;
	job->queued_ns = sync_now_ns();
	if (h->tail)
		h->tail->next = job;
	else
		h->head = job;
	h->tail = job;
	h->queued++;
	f->queued++;
	if (f->queued > f->high_water)
		f->high_water = f->queued;
	waiting_append(f, h);
	pthread_cond_signal(&f->work);
	sync_unlock(&f->lock);
	return FA_OK;
fail:
	/* A room wake-up this adder took but did not use goes to the next. */
	if (block && f->queued < f->opts.max_queued)
		pthread_cond_signal(&f->room);
	sync_unlock(&f->lock);
	fetch_job_free(job);
	return err;
}

bool frontier_url_fingerprint(const char *url, uint64_t *fp)
{
	char *norm = NULL;

	if (url_normalize(url, &norm) != FA_OK)
		return false;
	*fp = seen_fingerprint(norm, strlen(norm));
	free(norm);
	return true;
}

bool frontier_mark_seen_fp(struct frontier *f, uint64_t fp)
{
	enum fa_err err;

	sync_lock(&f->lock);
	err = seen_add(f->seen, fp);
	sync_unlock(&f->lock);
	return err == FA_OK;
}

bool frontier_mark_seen(struct frontier *f, const char *url)
{
	uint64_t fp;

	return frontier_url_fingerprint(url, &fp) && frontier_mark_seen_fp(f, fp);
}

/* With the lock held: true if h may start a job now; else, if only time
 * holds it back, lowers *wake to when it may. */
static bool host_ready(const struct frontier *f, const struct frontier_host *h, uint64_t now,
		       uint64_t *wake)
{
	if (f->opts.per_host && h->active - h->parsing >= f->opts.per_host)
		return false;
	if (h->robots_state == ROBOTS_FETCHING)
		return false;
	if (h->next_start_ms > now) {
		if (h->next_start_ms < *wake)
			*wake = h->next_start_ms;
		return false;
	}
	return true;
}

/* With the lock held: leaf jobs (frontier_opts), the input done and none
 * queued: nothing is left to hand out, whatever the active jobs do. */
static bool leaves_spent(const struct frontier *f)
{
	return f->opts.leaf_jobs && f->input_done && f->queued == 0;
}

/* With the lock held: the next job of the best ready host, or NULL.  The
 * host named by `last` (frontier_next()) wins a tie of depth, and one of
 * depth 0 ends the search at once. */
static struct fetch_job *pick(struct frontier *f, const char *last, uint64_t *wake)
{
	uint64_t now = now_ms();
	struct frontier_host *best = NULL, *mine = last && *last ? host_find(f, last) : NULL;
	struct fetch_job *job;

	if (mine && (!mine->waiting || !host_ready(f, mine, now, wake)))
		mine = NULL;
	if (mine && mine->head->depth == 0 && mine->robots_state == ROBOTS_READY)
		best = mine;
	for (struct frontier_host *h = best ? NULL : f->wait_head; h; h = h->next) {
		if (!host_ready(f, h, now, wake))
			continue;
		if (!best || h->head->depth < best->head->depth)
			best = h;
		if (best->head->depth == 0 && best->robots_state == ROBOTS_READY)
			break; /* nothing beats depth 0 */
	}
	if (mine && best && mine->head->depth <= best->head->depth)
		best = mine;
	if (!best)
		return NULL;
	if (best->robots_state == ROBOTS_NONE) {
		job = fetch_job_new(best->robots_url, JOB_ROBOTS);
		if (!job)
			return NULL;
		best->robots_state = ROBOTS_FETCHING;
	} else {
		job = best->head;
		best->head = job->next;
		if (!best->head)
			best->tail = NULL;
		job->next = NULL;
		best->queued--;
		f->queued--;
		if (f->queued + room_batch(f) <= f->opts.max_queued)
			pthread_cond_signal(&f->room);
		/* the last leaf job handed out: idle threads may leave */
		if (leaves_spent(f))
			pthread_cond_broadcast(&f->work);
	}
	waiting_remove(f, best);
	if (best->queued)
		waiting_append(f, best); /* to the tail: hosts take turns */
	job->host = best;
	best->active++;
	f->active++;
	return job;
}

static void done_locked(struct frontier *f, struct fetch_job *job);

enum fa_err frontier_next(struct frontier *f, char *last, struct fetch_job **out)
{
	return frontier_next_after(f, NULL, last, out);
}

/* Why no wake-up for `done`: every event that makes a job startable
 * signals one waiting thread, and a thread waits only when nothing is
 * startable for it, which is the same for every thread.  This thread
 * looks right after its job is done, under the same lock: if it takes a
 * job, the room its job left is used (or the job it took was startable
 * before, and that job's own signal, still on its way, now serves the
 * room); if it finds nothing, nobody else would.  The end is broadcast
 * below as ever. */
enum fa_err frontier_next_after(struct frontier *f, struct fetch_job *done, char *last,
				struct fetch_job **out)
{
	enum fa_err err = FA_ERR_CLOSED;

	*out = NULL;
	sync_lock(&f->lock);
	if (done && done->host)
		done_locked(f, done);
	while (!f->closed) {
		uint64_t wake = UINT64_MAX;

		*out = pick(f, last, &wake);
		if (*out) {
			if (last)
				memcpy(last, (*out)->host->key, FRONTIER_KEY_MAX);
			err = FA_OK;
			break;
		}
		if (f->input_done && f->queued == 0 && f->active == 0) {
			pthread_cond_broadcast(&f->work); /* the end: tell the others */
			break;
		}
		/* Leaf jobs: nothing more can come, so this thread leaves now
		 * rather than when the last transfer ends (when every idle
		 * thread would wake at once, on the run's critical path).
		 * Threads asleep meanwhile were woken when the last job was
		 * taken (pick()) or the input done. */
		if (leaves_spent(f))
			break;
		if (wake != UINT64_MAX) {
			uint64_t now = now_ms();
			struct timespec deadline =
			    sync_deadline_ms(wake > now ? (long)(wake - now) : 0);
			int rc = pthread_cond_timedwait(&f->work, &f->lock, &deadline);

			if (rc != 0 && rc != ETIMEDOUT)
				sync_must(rc, "pthread_cond_timedwait");
		} else {
			sync_must(pthread_cond_wait(&f->work, &f->lock), "pthread_cond_wait");
		}
	}
	sync_unlock(&f->lock);
	return err;
}

/* With the lock held: h's gap between request starts with `wait` as the
 * --wait part.  Pure: what the display shows is this with --wait itself. */
static long host_gap(const struct frontier_host *h, long wait)
{
	if (h->crawl_delay_ms > wait)
		wait = h->crawl_delay_ms;
	if (h->throttle_ms > wait)
		wait = h->throttle_ms;
	return wait + h->backoff_ms;
}

/* With the lock held: the gap to keep before h's next request start, with
 * --random-wait's draw, which advances the scheduler's random state: only
 * a request start may call this. */
static long host_delay(struct frontier *f, const struct frontier_host *h)
{
	long wait = f->opts.wait_ms;

	if (wait > 0 && f->opts.random_wait)
		wait = wait / 2 + (long)(rand_r(&f->random_state) % (unsigned)wait);
	return host_gap(h, wait);
}

long frontier_throttle_delay(long delay_ms, long latency_ms, unsigned target_milli, long min_ms,
			     long max_ms, long http_code)
{
	double target = (double)latency_ms * 1000.0 / (double)(target_milli ? target_milli : 1000);
	double next = ((double)delay_ms + target) / 2.0;

	if (next < target)
		next = target;
	if (next > (double)max_ms)
		next = (double)max_ms;
	if (next < (double)min_ms)
		next = (double)min_ms;
	if (http_code != 200 && (long)next <= delay_ms)
		return delay_ms;
	return (long)next;
}

bool frontier_attempt_start(struct frontier *f, struct frontier_host *h)
{
	bool go = false;

	sync_lock(&f->lock);
	while (!f->closed) {
		uint64_t now = now_ms();
		struct timespec deadline;
		int rc;

		if (now >= h->next_start_ms) {
			h->last_delay_ms = host_delay(f, h);
			h->next_start_ms = now + (uint64_t)h->last_delay_ms;
			h->requests++;
			go = true;
			break;
		}
		deadline = sync_deadline_ms((long)(h->next_start_ms - now));
		rc = pthread_cond_timedwait(&f->start, &f->lock, &deadline);
		if (rc != 0 && rc != ETIMEDOUT)
			sync_must(rc, "pthread_cond_timedwait");
	}
	sync_unlock(&f->lock);
	return go;
}

/*
 * The rule is documented at its prototype.  Why it is so: a server that
 * says when to come back (Retry-After) is taken at its word, for every
 * request to it and for no longer.  Without a date, a crawl, which picks
 * its own URLs and may send thousands to one host, backs off host-wide
 * (doubling, capped at --retry-max-wait), as --wait and auto-throttle ask
 * a list to be polite too.  A list the user wrote is fetched as asked:
 * one 503 must not hold the rest of it back for seconds (six 503s at
 * -j 1 took 31 s when it did; curl and wget2 take milliseconds), and the
 * URL that got it still backs off on its own before its retry.
 */
struct frontier_slowdown frontier_slowdown(const struct frontier_opts *o, long backoff_ms,
					   long http_code, bool transport_error,
					   long retry_after_ms)
{
	struct frontier_slowdown sd = {.hold_ms = 0, .backoff_ms = backoff_ms};

	if (http_code == 429 || http_code == 503) {
		if (retry_after_ms >= 0) {
			sd.hold_ms = retry_after_ms < o->retry_after_max_ms ? retry_after_ms
									    : o->retry_after_max_ms;
			sd.backoff_ms = 0;
		} else if (o->polite || o->wait_ms > 0 || o->throttle_target_milli) {
			sd.backoff_ms = backoff_ms <= 0                      ? o->backoff_base_ms
					: backoff_ms > o->backoff_max_ms / 2 ? o->backoff_max_ms
									     : backoff_ms * 2;
			if (sd.backoff_ms > o->backoff_max_ms)
				sd.backoff_ms = o->backoff_max_ms;
			sd.hold_ms = sd.backoff_ms;
		}
	} else if (!transport_error && http_code < 500) {
		/* recover gradually: halve the slowdown per success */
		sd.backoff_ms = backoff_ms / 2;
		if (sd.backoff_ms < 10)
			sd.backoff_ms = 0;
	}
	return sd;
}

void frontier_attempt_end(struct frontier *f, struct frontier_host *h, long http_code,
			  bool transport_error, long retry_after_ms, long latency_ms)
{
	struct frontier_slowdown sd;

	sync_lock(&f->lock);
	if (f->opts.throttle_target_milli && !transport_error && latency_ms >= 0)
		h->throttle_ms = frontier_throttle_delay(
		    h->throttle_ms, latency_ms, f->opts.throttle_target_milli, f->opts.wait_ms,
		    f->opts.throttle_max_ms, http_code);
	sd = frontier_slowdown(&f->opts, h->backoff_ms, http_code, transport_error, retry_after_ms);
	h->backoff_ms = sd.backoff_ms;
	if (http_code == 429 || http_code == 503)
		h->throttled++;
	else if (transport_error || http_code >= 500)
		h->errors++;
	if (sd.hold_ms > 0) {
		uint64_t until = now_ms() + (uint64_t)sd.hold_ms;

		if (until > h->next_start_ms)
			h->next_start_ms = until;
	}
	/* One request at a time (--per-host 1): the gap runs from this one's
	 * end, as wget's --wait does, so the server sees every request start
	 * at least the gap after the last one began and ended, whatever the
	 * network or a new connection delayed. */
	if (f->opts.per_host == 1 && h->last_delay_ms > 0) {
		/* + 1: now_ms() is cut to the millisecond */
		uint64_t after = now_ms() + (uint64_t)h->last_delay_ms + 1;

		if (after > h->next_start_ms)
			h->next_start_ms = after;
	}
	sync_unlock(&f->lock);
}

bool frontier_in_flight(struct frontier *f, struct frontier_host *h, bool on)
{
	bool busy;

	sync_lock(&f->lock);
	if (on) {
		h->in_flight++;
		f->in_flight++;
	} else if (h->in_flight > 0) {
		h->in_flight--;
		f->in_flight--;
	}
	/* others of its transfers now; or URLs of it waiting, of no other
	 * host, so that every free thread is about to take one of them */
	busy = h->in_flight > 1 || (f->opts.per_host != 1 && h->waiting && f->nwaiting == 1);
	sync_unlock(&f->lock);
	return busy;
}

void frontier_set_robots(struct frontier *f, struct frontier_host *h, struct robots *robots)
{
	sync_lock(&f->lock);
	robots_free(h->robots);
	h->robots = robots;
	h->crawl_delay_ms = robots ? robots_crawl_delay_ms(robots) : -1;
	h->robots_state = ROBOTS_READY;
	pthread_cond_broadcast(&f->work);
	sync_unlock(&f->lock);
}

const struct robots *frontier_robots(struct frontier_host *h)
{
	return h->robots;
}

void frontier_transfer_over(struct frontier *f, struct fetch_job *job)
{
	struct frontier_host *h = job->host;

	if (!h || job->transfer_over)
		return;
	sync_lock(&f->lock);
	job->transfer_over = true;
	h->parsing++;
	/* the host may be ready again: wake a thread waiting for a job */
	pthread_cond_signal(&f->work);
	sync_unlock(&f->lock);
}

/* With the lock held: frontier_done() but for the wake-up. */
static void done_locked(struct frontier *f, struct fetch_job *job)
{
	struct frontier_host *h = job->host;

	if (job->transfer_over) {
		h->parsing--;
		job->transfer_over = false;
	}
	h->active--;
	f->active--;
	job->host = NULL;
	if (job->kind == JOB_ROBOTS && h->robots_state == ROBOTS_FETCHING) {
		/* No verdict came (the run is stopping, or a caller forgot):
		 * the polite default is to crawl nothing there. */
		h->robots = robots_disallow_all();
		h->robots_state = ROBOTS_READY;
	}
	maybe_evict(f, h, now_ms());
}

void frontier_done(struct frontier *f, struct fetch_job *job)
{
	if (!job->host)
		return;
	sync_lock(&f->lock);
	done_locked(f, job);
	/* the host may take one more job; or, the last one done, the end */
	if (f->input_done && f->queued == 0 && f->active == 0)
		pthread_cond_broadcast(&f->work);
	else
		pthread_cond_signal(&f->work);
	sync_unlock(&f->lock);
}

void frontier_input_done(struct frontier *f)
{
	sync_lock(&f->lock);
	f->input_done = true;
	pthread_cond_broadcast(&f->work);
	sync_unlock(&f->lock);
}

void frontier_close(struct frontier *f)
{
	sync_lock(&f->lock);
	f->closed = true;
	pthread_cond_broadcast(&f->work);
	pthread_cond_broadcast(&f->room);
	pthread_cond_broadcast(&f->start);
	sync_unlock(&f->lock);
}

void frontier_drain(struct frontier *f, void (*fn)(void *arg, struct fetch_job *job), void *arg)
{
	struct fetch_job *jobs = NULL, **tail = &jobs;

	/* Detached under the lock, handed out after it: fn is the caller's
	 * code, and this lock stays a leaf. */
	sync_lock(&f->lock);
	while (f->wait_head) {
		struct frontier_host *h = f->wait_head;

		waiting_remove(f, h);
		if (!h->head)
			continue;
		*tail = h->head;
		tail = &h->tail->next;
		f->queued -= h->queued;
		h->head = h->tail = NULL;
		h->queued = 0;
	}
	pthread_cond_broadcast(&f->room);
	sync_unlock(&f->lock);
	while (jobs) {
		struct fetch_job *job = jobs;

		jobs = job->next;
		job->next = NULL;
		fn(arg, job);
	}
}

/* Under f->lock. */
static void stats_locked(struct frontier *f, struct frontier_stats *st_out)
{
	struct frontier_stats st;

	st.queued = f->queued;
	st.active = f->active;
	st.hosts = f->nhosts;
	st.seen = seen_count(f->seen);
	st.seen_bytes = seen_bytes(f->seen);
	st.dropped = f->dropped;
	st.high_water = f->high_water;
	st.in_flight = f->in_flight;
	*st_out = st;
}

struct frontier_stats frontier_stats(struct frontier *f)
{
	struct frontier_stats st;

	sync_lock(&f->lock);
	stats_locked(f, &st);
	sync_unlock(&f->lock);
	return st;
}

static bool busier(const struct frontier_host *a, const struct frontier_host_view *b)
{
	return a->active != b->active ? a->active > b->active : a->queued > b->queued;
}

size_t frontier_top_hosts(struct frontier *f, struct frontier_host_view *out, size_t n)
{
	return frontier_snapshot(f, NULL, out, n);
}

size_t frontier_snapshot(struct frontier *f, struct frontier_stats *st,
			 struct frontier_host_view *out, size_t n)
{
	size_t got = 0;

	sync_lock(&f->lock);
	if (st)
		stats_locked(f, st);
	for (size_t b = 0; b < f->nbuckets && n; b++) {
		for (struct frontier_host *h = f->buckets[b]; h; h = h->chain) {
			size_t at = got;

			/* insertion into the sorted top n */
			while (at > 0 && busier(h, &out[at - 1]))
				at--;
			if (at >= n)
				continue;
			if (got < n)
				got++;
			memmove(&out[at + 1], &out[at], (got - 1 - at) * sizeof(*out));
			snprintf(out[at].key, sizeof(out[at].key), "%s", h->key);
			out[at].active = h->active;
			out[at].in_flight = h->in_flight;
			out[at].queued = h->queued;
			out[at].requests = h->requests;
			out[at].errors = h->errors;
			out[at].throttled = h->throttled;
			out[at].delay_ms = host_gap(h, f->opts.wait_ms);
			out[at].last_delay_ms = h->last_delay_ms;
		}
	}
	sync_unlock(&f->lock);
	return got;
}
