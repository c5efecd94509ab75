/*
 * resolve: a small pool of lookup threads and a table of answers (see
 * resolve.h).
 *
 * One mutex guards the table and the queue of names to look up; a lookup
 * itself runs without it.  The table is a chained hash of "host:port"
 * keys; an entry is PENDING (queued or being looked up), OK (its
 * addresses, until `expires`) or FAILED (until `expires` too, so a dead
 * name is not looked up again for every URL).  Expired entries are swept
 * out as the table grows, so a list of a million hosts does not keep a
 * million answers.  A fetch that needs a name nobody queued puts it at
 * the queue's head: it is waiting; prefetches go to the tail.
 */
#define _GNU_SOURCE /* getaddrinfo's NI_ flags, inet_pton */

#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "policy.h"
#include "seen.h"
#include "sync.h"

#define ADDRS_MAX     512 /* bytes of one answer's addresses, comma-separated */
#define FAILED_TTL_MS 10000

enum state { PENDING, OK, FAILED };

struct entry {
	struct entry *chain; /* the table's bucket */
	struct entry *qnext; /* the queue */
	enum state state;
	bool queued;
	uint64_t expires_ms;
	char *addrs; /* OK: "ADDR,ADDR" */
	char key[];  /* "host:port" */
};

/* Lookups judged together (lookups_slow()): as many as the first threads
 * make at once, so that a far resolver is known when their first answers
 * are in, not one round trip later (50 ms of a run of 0.5 s) */
#define LAT_SAMPLES RESOLVE_THREADS_FAST
#define LAT_QUEUED  4

struct resolver {
	pthread_mutex_t lock;
	pthread_cond_t work, answered;
	struct entry **buckets;
	size_t nbuckets, count, sweep_at;
	struct entry *qhead, *qtail;
	size_t queued;
	bool stopping;
	int family;
	unsigned nthreads, max_threads, idle; /* started, at most, waiting */
	int policy;                           /* resolver_new()'s caller's (policy.h) */
	/* how long the last LAT_SAMPLES lookups took (a ring; lat_n of it
	 * filled), and the fastest one yet: more threads only help a far
	 * resolver */
	uint64_t lat[LAT_SAMPLES], lat_best;
	unsigned lat_n, lat_next;
	pthread_t *threads;
	atomic_ulong lookups;
};

/*
 * Whether the resolver is far, so that more lookups at once hide its
 * latency: each of the last LAT_SAMPLES lookups took RESOLVE_SLOW_NS or
 * more (none known: not far), and the fastest of them no more than
 * LAT_QUEUED times the fastest lookup yet.  A far resolver (a round
 * trip away, or slow to answer) is slow every time, from the first
 * lookup on.  A near one is slow only when it is swamped, its answers
 * then queueing behind each other or behind a busy CPU, many times
 * slower than its best, and more lookups at once make that worse: with a
 * running mean, one lost query (its lookup waits out the system
 * resolver's timeout, a second or more) or a local dnsmasq on a busy
 * machine pushed the mean past the mark and started a hundred threads,
 * whose bursts of queries overflowed dnsmasq's receive buffer and lost
 * more of them (bench/dns: 60 queries lost a run, a third of the run
 * idle).  Under the lock.
 */
static bool lookups_slow(const struct resolver *r)
{
	uint64_t fastest = UINT64_MAX;

	if (r->lat_n < LAT_SAMPLES)
		return false;
	for (unsigned i = 0; i < LAT_SAMPLES; i++)
		if (r->lat[i] < fastest)
			fastest = r->lat[i];
	return fastest >= RESOLVE_SLOW_NS && fastest / LAT_QUEUED <= r->lat_best;
}

static uint64_t now_ms(void)
{
	return sync_now_ns() / 1000000u;
}

static size_t bucket_of(const struct resolver *r, const char *key)
{
	return (size_t)seen_fingerprint(key, strlen(key)) & (r->nbuckets - 1);
}

static struct entry *find(struct resolver *r, const char *key)
{
	for (struct entry *e = r->buckets[bucket_of(r, key)]; e; e = e->chain)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

/* Whether key names a host to look up: not an IP address. */
static bool is_name(const char *key, char *host, size_t len)
{
	const char *colon = strrchr(key, ':');
	unsigned char addr[sizeof(struct in6_addr)];
	size_t n;

	if (!colon || key[0] == '[' || colon == key || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false; /* an IPv6 address, no host or no port ("file:") */
	n = (size_t)(colon - key);
	if (n >= len)
		return false;
	memcpy(host, key, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, addr) != 1;
}

/* Drops the expired answers (never one pending).  Under the lock. */
static void sweep(struct resolver *r)
{
	uint64_t now = now_ms();

	for (size_t b = 0; b < r->nbuckets; b++) {
		struct entry **pp = &r->buckets[b];

		while (*pp) {
			struct entry *e = *pp;

			if (e->state != PENDING && !e->queued && e->expires_ms <= now) {
				*pp = e->chain;
				free(e->addrs);
				free(e);
				r->count--;
			} else {
				pp = &e->chain;
			}
		}
	}
	r->sweep_at = r->count * 2 > 4096 ? r->count * 2 : 4096;
}

static void grow(struct resolver *r)
{
	size_t n = r->nbuckets * 2;
	struct entry **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return; /* longer chains, still right */
	for (size_t b = 0; b < r->nbuckets; b++) {
		struct entry *e = r->buckets[b];

		while (e) {
			struct entry *next = e->chain;
			size_t k = (size_t)seen_fingerprint(e->key, strlen(e->key)) & (n - 1);

			e->chain = nb[k];
			nb[k] = e;
			e = next;
		}
	}
	free(r->buckets);
	r->buckets = nb;
	r->nbuckets = n;
}

static void *run(void *arg);

/*
 * Threads for the names queued, while none is idle, up to the cap: a run
 * of one host starts one, a list of thousands as many as it needs.  Past
 * RESOLVE_THREADS_FAST, only once the resolver is known to be far
 * (lookups_slow()): a near one is kept busy by a few threads, and a
 * hundred more would only compete with it for the CPU (2000 names
 * through a local dnsmasq took 40 % longer at 128 threads) or overflow
 * it.  Called when a name is queued and when a lookup ends, since a far
 * resolver is known only once answers come, after the list's first
 * names were all queued.  Under the lock.
 */
static void grow_threads(struct resolver *r)
{
	size_t started = 0;

	/* none once stopping: resolver_free() joins the ones it counted */
	while (!r->stopping && r->idle == 0 && started < r->queued &&
	       r->nthreads < r->max_threads &&
	       (r->nthreads < RESOLVE_THREADS_FAST || lookups_slow(r)) &&
	       pthread_create(&r->threads[r->nthreads], NULL, run, r) == 0) {
		r->nthreads++;
		started++;
	}
}

/* Queues e for a lookup (at the head if a fetch waits for it).  Under
 * the lock. */
static void enqueue(struct resolver *r, struct entry *e, bool urgent)
{
	e->state = PENDING;
	if (e->queued) {
		if (!urgent || r->qhead == e)
			return;
		/* move it to the head: take it out of the queue first */
		for (struct entry **pp = &r->qhead; *pp; pp = &(*pp)->qnext) {
			if (*pp == e) {
				*pp = e->qnext;
				if (r->qtail == e) {
					r->qtail = NULL;
					for (struct entry *t = r->qhead; t; t = t->qnext)
						r->qtail = t;
				}
				r->queued--;
				break;
			}
		}
	}
	e->queued = true;
	e->qnext = NULL;
	if (urgent) {
		e->qnext = r->qhead;
		r->qhead = e;
		if (!r->qtail)
			r->qtail = e;
	} else {
		if (r->qtail)
			r->qtail->qnext = e;
		else
			r->qhead = e;
		r->qtail = e;
	}
	r->queued++;
	grow_threads(r);
	pthread_cond_signal(&r->work);
}

/* key's entry, made (and queued) if there is none or it expired; NULL
 * if it cannot be (out of memory, queue full for a prefetch).  Under the
 * lock. */
static struct entry *want(struct resolver *r, const char *key, bool urgent)
{
	struct entry *e = find(r, key);

	if (e) {
		if (e->state != PENDING && e->expires_ms <= now_ms())
			enqueue(r, e, urgent);
		else if (e->state == PENDING && e->queued && urgent)
			enqueue(r, e, true); /* waited for: to the head (not if
						a thread has it already) */
		return e;
	}
	if (!urgent && r->queued >= RESOLVE_QUEUE_MAX)
		return NULL;
	if (r->count >= r->sweep_at)
		sweep(r);
	e = calloc(1, sizeof(*e) + strlen(key) + 1);
	if (!e)
		return NULL;
	strcpy(e->key, key);
	{
		size_t b = bucket_of(r, key);

		e->chain = r->buckets[b];
		r->buckets[b] = e;
	}
	if (++r->count > r->nbuckets)
		grow(r);
	enqueue(r, e, urgent);
	return e;
}

/* getaddrinfo()'s answer for host as "ADDR,ADDR" (IPv6 in brackets), in
 * its order, each address once; NULL if none. */
static char *look_up(const char *host, int family)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char *out = malloc(ADDRS_MAX);
	size_t n = 0;

	if (!out || getaddrinfo(host, NULL, &hints, &res) != 0) {
		free(out);
		return NULL;
	}
	out[0] = '\0';
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN + 2], txt[INET6_ADDRSTRLEN];
		const void *src;

		if (ai->ai_family == AF_INET)
			src = &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			src = &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(ai->ai_family, src, txt, sizeof(txt)))
			continue;
		snprintf(a, sizeof(a), ai->ai_family == AF_INET6 ? "[%s]" : "%s", txt);
		/* one address a socket type: getaddrinfo may repeat it */
		{
			size_t al = strlen(a);
			const char *p = out;
			bool dup = false;

			while ((p = strstr(p, a))) {
				if ((p == out || p[-1] == ',') && (p[al] == ',' || p[al] == '\0'))
					dup = true;
				p += al;
			}
			if (dup || n + al + 2 > ADDRS_MAX)
				continue;
			n += (size_t)snprintf(out + n, ADDRS_MAX - n, "%s%s", n ? "," : "", a);
		}
	}
	freeaddrinfo(res);
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void *run(void *arg)
{
	struct resolver *r = arg;

	policy_restore(r->policy); /* started by a fetch thread, maybe batch */
	sync_lock(&r->lock);
	for (;;) {
		struct entry *e;
		char host[256];
		char *addrs = NULL;

		r->idle++;
		while (!r->qhead && !r->stopping)
			sync_must(pthread_cond_wait(&r->work, &r->lock), "pthread_cond_wait");
		r->idle--;
		if (r->stopping)
			break;
		e = r->qhead;
		r->qhead = e->qnext;
		if (!r->qhead)
			r->qtail = NULL;
		r->queued--;
		e->queued = false;
		/* the entry stays (PENDING, not queued) while we look, so
		 * nobody queues it again and the sweep leaves it */
		if (is_name(e->key, host, sizeof(host))) {
			uint64_t t0 = sync_now_ns(), took;

			sync_unlock(&r->lock);
			addrs = look_up(host, r->family);
			atomic_fetch_add(&r->lookups, 1);
			took = sync_now_ns() - t0;
			sync_lock(&r->lock);
			r->lat[r->lat_next] = took;
			if (r->lat_n == 0 || took < r->lat_best)
				r->lat_best = took;
			r->lat_next = (r->lat_next + 1) % LAT_SAMPLES;
			if (r->lat_n < LAT_SAMPLES)
				r->lat_n++;
			grow_threads(r);
		}
		free(e->addrs);
		e->addrs = addrs;
		e->state = addrs ? OK : FAILED;
		e->expires_ms = now_ms() + (addrs ? RESOLVE_TTL_MS : FAILED_TTL_MS);
		pthread_cond_broadcast(&r->answered);
	}
	sync_unlock(&r->lock);
	return NULL;
}

struct resolver *resolver_new(unsigned threads, int family)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->max_threads = threads ? threads : RESOLVE_THREADS_MAX;
	r->policy = policy_now();
	r->family = family;
	r->nbuckets = 1024;
	r->sweep_at = 4096;
	r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
	r->threads = calloc(r->max_threads, sizeof(*r->threads));
	if (!r->buckets || !r->threads) {
		free(r->buckets);
		free(r->threads);
		free(r);
		return NULL;
	}
	sync_must(pthread_mutex_init(&r->lock, NULL), "pthread_mutex_init");
	sync_must(pthread_cond_init(&r->work, NULL), "pthread_cond_init");
	sync_must(pthread_cond_init(&r->answered, NULL), "pthread_cond_init");
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	unsigned n;

	sync_lock(&r->lock);
	r->stopping = true;
	n = r->nthreads;
	pthread_cond_broadcast(&r->work);
	sync_unlock(&r->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(r->threads[i], NULL);
	for (size_t b = 0; b < r->nbuckets; b++) {
		struct entry *e = r->buckets[b];

		while (e) {
			struct entry *next = e->chain;

			free(e->addrs);
			free(e);
			e = next;
		}
	}
	pthread_cond_destroy(&r->answered);
	pthread_cond_destroy(&r->work);
	pthread_mutex_destroy(&r->lock);
	free(r->buckets);
	free(r->threads);
	free(r);
}

void resolver_prefetch(struct resolver *r, const char *key)
{
	char host[256];

	if (!r || !is_name(key, host, sizeof(host)))
		return;
	sync_lock(&r->lock);
	(void)want(r, key, false);
	sync_unlock(&r->lock);
}

bool resolver_get(struct resolver *r, const char *key, long timeout_ms, char *out, size_t outlen)
{
	char host[256];
	struct entry *e;
	struct timespec until;
	bool ok = false;

	if (outlen)
		out[0] = '\0';
	if (!r || !is_name(key, host, sizeof(host)))
		return false;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	sync_lock(&r->lock);
	e = want(r, key, true);
	while (e && e->state == PENDING && !r->stopping) {
		int rc = timeout_ms > 0 ? pthread_cond_timedwait(&r->answered, &r->lock, &until)
					: pthread_cond_wait(&r->answered, &r->lock);

		if (rc == ETIMEDOUT)
			break;
		/* the entry cannot go while pending; it is still e */
	}
	if (e && e->state == OK && e->addrs) {
		int n = snprintf(out, outlen, "+%s:%s", e->key, e->addrs);

		ok = n > 0 && (size_t)n < outlen;
		if (!ok && outlen)
			out[0] = '\0';
	}
	sync_unlock(&r->lock);
	return ok;
}

bool resolver_settled(struct resolver *r, const char *key)
{
	struct entry *e;
	bool settled;

	if (!r)
		return true;
	sync_lock(&r->lock);
	e = find(r, key);
	settled = !e || e->state != PENDING;
	sync_unlock(&r->lock);
	return settled;
}

unsigned long resolver_lookups(const struct resolver *r)
{
	return r ? atomic_load(&r->lookups) : 0;
}
