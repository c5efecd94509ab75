/*
 * fetch: libcurl transfers with retries, resume and the in-flight bound.
 *
 * Design.  Each worker thread owns one easy handle for the whole run
 * (CURLOPT_NOSIGNAL, keep-alive) and with it its own connection cache, so
 * a thread reuses the connections it opened.  All handles point at one
 * CURLSH that shares only what libcurl supports sharing between threads
 * that run at once: the DNS cache and TLS sessions, guarded by one mutex
 * per kind of data as libcurl asks.  Connections are not shared: libcurl
 * documents that as unsupported between concurrent threads (CURLSHOPT_SHARE,
 * known bug 11.11), and it is a real use-after-free (a thread stamps a
 * connection it returned to the shared cache after the lock is released,
 * while another thread evicts and frees it: issue 14, caught by
 * tests/integration/test_stress.c).  Cookies are not shared through
 * libcurl either (unsupported between concurrent threads too): each
 * thread's own cookie engine is brought in step with the run's jar before
 * a transfer and gives back what it learnt after (cookies.h).  An attempt
 * holds a slot of
 * the in-flight bounded semaphore only while libcurl works, never while
 * backing off, so -j bounds transfers, not sleeping threads.
 *
 * Bodies go straight from libcurl's write callback into a store_file.  The
 * first body bytes of each response decide what happens to the file: a
 * 2xx after a Range request appends (206) or starts over (200, a server
 * that ignores Range); an error status's body is never written.  A retry
 * after a cut-off body asks for the rest with Range, so a retried 4 GB
 * download does not start again from zero.
 *
 * Bandwidth and time.  --limit-rate charges every body byte that arrives
 * to one token bucket of the share (rate.h) in the write callback, which
 * sleeps while the bucket is overdrawn (see pace()); --limit-rate-per-
 * transfer charges a bucket of the attempt's own the same way.  (Not
 * libcurl's CURLOPT_MAX_RECV_SPEED_LARGE: libcurl 7.88 keeps its average
 * over several seconds and overshoots on anything shorter; here 20 MB at
 * 2M/s took 5.4 s instead of 10 s with it, curl --limit-rate 7.9 s.)
 * --timeout is
 * an inactivity timeout, as in wget and aria2c: the progress callback
 * fails an attempt when no byte (header or body) has arrived for that
 * long, as a timeout that retries apply to (see on_progress()); --max-time
 * caps the whole attempt (CURLOPT_TIMEOUT_MS).
 *
 * Redirects are followed here, not by libcurl (CURLOPT_FOLLOWLOCATION is
 * off): an attempt is the request and the chain of requests its 3xx
 * answers lead to, each one perform() on the next CURLINFO_REDIRECT_URL,
 * at most --max-redirs of them and only to http and https, under one slot
 * of the in-flight bound.  Following them here is what lets each request
 * carry what its origin may see: libcurl 7.88 keeps the -H list for every
 * host a redirect reaches (it strips only Authorization and Cookie), and
 * has no hook between the requests of one perform to change it.  So a
 * request to the origin of the job's URL (scheme, host and port) gets the
 * -H headers and the --user credentials; a request to any other origin
 * gets neither, unless --location-trusted.  The body of a 3xx that is
 * followed is dropped, as libcurl drops it; libcurl's timers, which it
 * sums over the requests of a followed chain, are summed the same way
 * (struct hop_times), so the result's phases mean what they meant.
 *
 * Locking: share_lock[] for libcurl's shared data; the semaphore; atomics
 * for the live counters and the rate bucket.  Nothing else is shared
 * between workers.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "fetch.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cancel.h"
#include "decide.h"
#include "cookies.h"
#include "disposition.h"
#include "httpdate.h"
#include "mux.h"
#include "rate.h"
#include "resolve.h"
#include "retry.h"
#include "sniff.h"
#include "sync.h"
#include "url.h"

#define BASIC_ORIGINS_MAX 256

struct fetch_share {
	const struct fetch_opts *opts;
	CURLSH *curlsh;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	struct bsem inflight;
	atomic_uint_fast64_t bytes;
	/* Transfers in flight whose body's length is known: the bytes they
	 * expect in all, and have had (a progress line's "done/expected") */
	atomic_uint_fast64_t sized_expected, sized_received;
	atomic_uint active;
	atomic_uint peak_active;   /* most transfers in flight at once */
	atomic_uint_fast32_t seed; /* jitter PRNG state */
	uint64_t t0_ns;            /* when the run began */
	struct rate rate;          /* --limit-rate's bucket */
	unsigned slots;            /* transfers in flight at most */
	/* Origins that answered 401 with a Basic challenge and no Digest
	 * one: every thread sends Basic to them at once (wget remembers
	 * that per host; libcurl only per handle).  Under basic_lock. */
	pthread_mutex_t basic_lock;
	char *basic_origins[BASIC_ORIGINS_MAX];
	size_t n_basic;
	/* names looked up ahead (resolve.h); NULL behind a proxy, which
	 * looks them up itself */
	struct resolver *resolver;
	/* lanes for --multiplex (mux.h); NULL when no transfer goes to one */
	struct mux *mux;
	/* the stages, FETCH_STAGES_MAX of FETCH_STAGE_MAX bytes, one mapping
	 * (address space only until a body touches it) unmapped once at the
	 * end: freed one by one, each a munmap() that stopped the other
	 * cores to flush their TLBs, 0.25 ms at the end of a -j 16 run on a
	 * 2-core VM.  NULL without lanes, or if it could not be had. */
	char *stage_slab;
	atomic_uint stages; /* stages given out (the first FETCH_STAGES_MAX count) */
};

#define HEAD_BYTES 64

#define VALIDATOR_MAX 256 /* longest ETag or Last-Modified kept */

/* What a URL's attempts learn and keep from one to the next. */
struct held {
	long long known_total;         /* the resource's length; -1: unknown */
	char validator[VALIDATOR_MAX]; /* for If-Range: strong ETag or date; "" */
	bool coded;                    /* a content-coded body is held: its
					  decoded offsets cannot be resumed */
};

/* One attempt's state, seen by libcurl's callbacks. */
struct attempt {
	bool host_busy; /* at its start, another transfer to the host was in
			 * flight, or its URLs alone were waiting */
	struct fetch_worker *worker;
	const struct fetch_target *target;
	struct store_file *file; /* NULL when not saving */
	struct held *held;       /* the URL's, across attempts */
	uint64_t *hash;          /* running content hash, or NULL */
	bool too_big;            /* over target->max_size */
	bool over_filesize;      /* over --max-filesize */
	off_t range_from;        /* Range asked for; 0: none */
	bool body_seen;          /* the body's first bytes were classified */
	enum decide_body body;   /* ... and what they are */
	enum fa_err store_err;   /* a write to the file failed */
	uint64_t bytes;          /* body bytes written this attempt */
	uint64_t total;          /* body bytes now held (file or buffer) */
	unsigned char *head;     /* the body's first bytes, across attempts */
	size_t *head_len;
	long retry_after_ms;          /* from the last response; -1: none */
	struct decide_response range; /* the last response's Content-Range */
	char etag[VALIDATOR_MAX];     /* the last response's strong ETag; "" */
	char last_modified[VALIDATOR_MAX];
	/* libcurl's timers, summed over the requests of this attempt */
	struct hop_times {
		curl_off_t dns, connect, tls, pretransfer, first_byte, total;
	} times;
	int status_line;                        /* the status of the response being read */
	bool location;                          /* ... it has a Location header */
	bool withheld;                          /* the last request went to another origin
						   without the credentials and -H headers */
	bool challenge_basic, challenge_digest; /* the schemes 401s of the
						   last request offered */
	bool coded;                             /* the last response has a Content-Encoding */
	char encoding[32];                      /* ... which one (lowercased, cut) */
	/* A coded body is decoded here, not by libcurl, so that a stream that
	 * stops before its end is seen (libcurl 7.88 accepts it). */
	z_stream zs;
	bool inflating;  /* zs is in use */
	bool stream_end; /* the (last) gzip/zlib member ended */
	bool coding_bad; /* unknown coding or corrupt data */
	/* --content-disposition: the last response's suggested name, made
	 * safe; "" if none.  name_taken: it exists and -nc/-c skip it. */
	char disposition[STORE_COMPONENT_MAX + 1];
	bool name_taken;
	char robots_tag[256]; /* the last response's X-Robots-Tag values, ", "-joined */
	/* -N: the saved copy the body would replace (NULL: none), and the
	 * verdict that it is current (a 304, or a 200 not newer and of its
	 * size: wget's rule) */
	const struct store_current *current;
	bool not_modified;
	uint64_t last_data_ns;   /* when a byte last arrived (or the attempt began) */
	bool idle;               /* stopped: nothing arrived for --timeout */
	bool by_head;            /* this attempt asks by HEAD */
	bool enough;             /* stopped: the rest of the body is not wanted */
	struct rate_bucket each; /* --limit-rate-per-transfer's bucket */
	/* What this attempt put in the share's sized_* counters, taken out
	 * again when its transfer ends (see expect_body()). */
	uint64_t expect, expect_got;
	bool restarted; /* restart_body() dropped what was held */
	/* The body goes to the worker's stage, not yet to the file (see
	 * stage_flush()), and so does the file's record (record_total:
	 * its length; the validators are etag and last_modified). */
	bool staging;
	bool record_pending;
	long long record_total;
};

/* Longest Content-Disposition line read; longer ones are ignored. */
#define DISPOSITION_LINE_MAX (16 * 1024)

struct fetch_worker {
	struct fetch_share *share;
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	struct attempt *cur;
	struct cookies_sync cookie_sync; /* this engine against the run's jar */
	const char *protocols;           /* of a job's own URL; redirects: http, https */
	char *stage;      /* FETCH_STAGE_MAX bytes, made at the first lane transfer */
	size_t stage_len; /* body bytes in it, not yet in the file */
	bool no_stage;    /* the run has all the stages it may (FETCH_STAGES_MAX) */
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
	struct fetch_share *s = arg;

	(void)h;
	(void)access;
	sync_lock(&s->share_lock[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
	struct fetch_share *s = arg;

	(void)h;
	sync_unlock(&s->share_lock[data]);
}

/* Whether requests go through a proxy (--proxy, or the variables
 * libcurl reads), which then looks the names up. */
static bool behind_proxy(const struct fetch_opts *o)
{
	static const char *const vars[] = {"http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
					   "all_proxy"};

	if (o->proxy)
		return o->proxy[0] != '\0';
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return true;
	}
	return false;
}

struct fetch_share *fetch_share_new(const struct fetch_opts *opts, unsigned inflight)
{
	struct fetch_share *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->opts = opts;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		sync_must(pthread_mutex_init(&s->share_lock[i], NULL), "pthread_mutex_init");
	if (bsem_init(&s->inflight, inflight) != FA_OK)
		goto fail_locks;
	if (!behind_proxy(opts))
		/* a resolver that cannot start leaves lookups to libcurl */
		s->resolver = resolver_new(0, opts->ipresolve == CURL_IPRESOLVE_V4   ? AF_INET
					      : opts->ipresolve == CURL_IPRESOLVE_V6 ? AF_INET6
										     : AF_UNSPEC);
	s->curlsh = curl_share_init();
	if (!s->curlsh)
		goto fail_bsem;
	if (curl_share_setopt(s->curlsh, CURLSHOPT_LOCKFUNC, share_lock) ||
	    curl_share_setopt(s->curlsh, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
	    curl_share_setopt(s->curlsh, CURLSHOPT_USERDATA, s) ||
	    /* Only what is safe between concurrent threads: never
	     * CURL_LOCK_DATA_CONNECT (see the top of this file).  The DNS
	     * cache only when the resolver does not look names up: libcurl
	     * walks its whole DNS cache after every transfer (pruning it),
	     * which with thousands of hosts in one shared cache, under its
	     * lock, cost more CPU than the transfers; each handle's own
	     * cache holds the few names it used in the last seconds. */
	    (!s->resolver && curl_share_setopt(s->curlsh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS)) ||
	    curl_share_setopt(s->curlsh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
		goto fail_share;
	atomic_init(&s->seed, (uint_fast32_t)time(NULL) ^ 0x9e3779b9u);
	atomic_init(&s->stages, 0);
	s->t0_ns = sync_now_ns();
	rate_init(&s->rate, opts->limit_rate);
	s->slots = inflight ? inflight : 1;
	sync_must(pthread_mutex_init(&s->basic_lock, NULL), "pthread_mutex_init");
	/* Lanes only where they can help and cannot stall: with more than
	 * one transfer at once, and no --limit-rate, whose pacing sleeps in
	 * the write callback and would hold up a lane's every transfer.  A
	 * lane per core (a lane's transfers share its one thread's CPU). */
	if (opts->multiplex != FETCH_MUX_NEVER && s->slots > 1 && !opts->limit_rate &&
	    !opts->limit_rate_each) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		s->mux = mux_new(cores < 1               ? 1
				 : cores > MUX_LANES_MAX ? MUX_LANES_MAX
							 : (unsigned)cores);
	}
	if (s->mux) {
		void *slab =
		    mmap(NULL, (size_t)FETCH_STAGES_MAX * FETCH_STAGE_MAX, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		s->stage_slab = slab == MAP_FAILED ? NULL : slab;
	}
	return s;
fail_share:
	curl_share_cleanup(s->curlsh);
fail_bsem:
	resolver_free(s->resolver);
	bsem_destroy(&s->inflight);
fail_locks:
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->share_lock[i]);
	free(s);
	return NULL;
}

void fetch_share_free(struct fetch_share *s)
{
	if (!s)
		return;
	mux_free(s->mux);
	if (s->stage_slab) /* no lane runs, no worker writes a stage */
		munmap(s->stage_slab, (size_t)FETCH_STAGES_MAX * FETCH_STAGE_MAX);
	resolver_free(s->resolver);
	curl_share_cleanup(s->curlsh);
	bsem_destroy(&s->inflight);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->share_lock[i]);
	for (size_t i = 0; i < s->n_basic; i++)
		free(s->basic_origins[i]);
	pthread_mutex_destroy(&s->basic_lock);
	free(s);
}

void fetch_share_quiesce(struct fetch_share *s)
{
	if (s)
		mux_stop(s->mux);
}

void fetch_share_prefetch(struct fetch_share *s, const char *host_key)
{
	if (s)
		resolver_prefetch(s->resolver, host_key);
}

/* The looked-up addresses of url's host as a CURLOPT_RESOLVE list, or
 * NULL (libcurl then looks it up itself): waits for a lookup running,
 * as long as a connection may take, a Ctrl-C ending the wait. */
static struct curl_slist *resolved(struct fetch_share *s, const char *url)
{
	const struct fetch_opts *o = s->opts;
	long limit = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
		     : o->idle_timeout_ms > 0  ? o->idle_timeout_ms
					       : 300000;
	char key[300], entry[700];
	uint64_t t0 = sync_now_ns();

	if (!s->resolver || url_host_key(url, key, sizeof(key)) != FA_OK)
		return NULL;
	for (;;) {
		long left = limit - (long)((sync_now_ns() - t0) / 1000000u);

		if (resolver_get(s->resolver, key, left < 200 ? (left > 0 ? left : 1) : 200, entry,
				 sizeof(entry)))
			return curl_slist_append(NULL, entry);
		if (left <= 200 || cancel_requested() || resolver_settled(s->resolver, key))
			return NULL;
	}
}

uint64_t fetch_share_bytes(const struct fetch_share *s)
{
	return atomic_load_explicit(&((struct fetch_share *)s)->bytes, memory_order_relaxed);
}

unsigned fetch_share_peak_active(const struct fetch_share *s)
{
	return atomic_load(&((struct fetch_share *)s)->peak_active);
}

unsigned fetch_share_active(const struct fetch_share *s)
{
	return atomic_load_explicit(&((struct fetch_share *)s)->active, memory_order_relaxed);
}

struct fetch_share_live fetch_share_live(const struct fetch_share *cs)
{
	struct fetch_share *s = (struct fetch_share *)cs;
	struct fetch_share_live l;

	/* received first: read apart from expected, it may only lag */
	l.sized_received = atomic_load_explicit(&s->sized_received, memory_order_relaxed);
	l.sized_expected = atomic_load_explicit(&s->sized_expected, memory_order_relaxed);
	l.bytes = atomic_load_explicit(&s->bytes, memory_order_relaxed);
	l.active = atomic_load_explicit(&s->active, memory_order_relaxed);
	if (l.sized_received > l.sized_expected)
		l.sized_received = l.sized_expected;
	return l;
}

/*
 * The share's sized_* counters.  An attempt whose body's length is known
 * (the response's Content-Length, after the body was judged whole or a
 * continuation: so never a redirect's or an error's body, and for a
 * resumed file only the rest asked for) adds it when its body starts,
 * counts what arrives, and takes both out when the transfer ends, so a
 * retry or a restart never counts twice.  A coded body's decoded length
 * is not known: not counted.
 */
static void expect_body(struct attempt *a, long long length)
{
	struct fetch_share *s = a->worker->share;

	if (a->expect) {
		atomic_fetch_sub_explicit(&s->sized_expected, a->expect, memory_order_relaxed);
		atomic_fetch_sub_explicit(&s->sized_received, a->expect_got, memory_order_relaxed);
		a->expect = a->expect_got = 0;
	}
	if (length > 0) {
		a->expect = (uint64_t)length;
		atomic_fetch_add_explicit(&s->sized_expected, a->expect, memory_order_relaxed);
	}
}

/* xorshift32 over a shared atomic state: jitter needs spread, not secrecy. */
static uint32_t next_random(struct fetch_share *s)
{
	uint_fast32_t old = atomic_load(&s->seed), x;

	do {
		x = old;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		x &= 0xffffffffu;
	} while (!atomic_compare_exchange_weak(&s->seed, &old, x));
	return (uint32_t)x;
}

/* The start of the body over again: a server answered our Range request
 * with the whole body. */
static enum fa_err restart_body(struct attempt *a)
{
	struct fetch_buffer *buf = a->target->buffer;

	if (buf) {
		buf->len = 0;
		buf->truncated = false;
	}
	if (a->hash)
		a->hash[0] = a->hash[1] = 0;
	a->total = 0;
	a->restarted = true;
	a->worker->stage_len = 0;
	*a->head_len = 0;
	return a->file ? store_restart(a->file) : FA_OK;
}

static bool buffer_append(struct fetch_buffer *buf, const char *data, size_t len)
{
	size_t room;

	if (buf->len + len > buf->max) {
		buf->truncated = true;
		len = buf->max - buf->len;
	}
	room = buf->len + len + 1;
	if (room > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 16384;
		char *p;

		while (cap < room)
			cap *= 2;
		p = realloc(buf->data, cap);
		if (!p)
			return false;
		buf->data = p;
		buf->cap = cap;
	}
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return true;
}

/* Two FNV-1a lanes: a 128-bit content fingerprint, byte by byte so that
 * chunk boundaries do not matter. */
static void hash_update(uint64_t h[2], const unsigned char *p, size_t len)
{
	uint64_t a = h[0] ? h[0] : UINT64_C(0xcbf29ce484222325);
	uint64_t b = h[1] ? h[1] : UINT64_C(0x6c62272e07bb0142);

	for (size_t i = 0; i < len; i++) {
		a = (a ^ p[i]) * UINT64_C(0x100000001b3);
		b = (b ^ p[i] ^ (b >> 29)) * UINT64_C(0x100000001b3);
	}
	h[0] = a;
	h[1] = b;
}

/*
 * A transfer that a lane drives (mux.h) has its body written into the
 * file by its own thread, after the transfer, not by the lane as it
 * arrives: the lane copies it into the worker's stage (up to
 * FETCH_STAGE_MAX bytes) and goes on with the other transfers, and the
 * file's record waits with it.  The lane is the one thread every transfer
 * to its host passes through, so what it does not do is off the path of
 * all of them; a write() into the file costs the lane several times what
 * the copy does (the kernel's page work), and the threads that own the
 * transfers do it in parallel.  A body that outgrows the stage, or is
 * known to be larger, is written by the lane as before, with no copy.
 *
 * Writes the staged bytes, and the pending record, into the file.  Called
 * by the worker's thread once the lane is done with the transfer, and by
 * the lane when the body outgrows the stage.
 */
static enum fa_err stage_flush(struct attempt *a)
{
	struct fetch_worker *w = a->worker;
	enum fa_err err = FA_OK;

	if (a->record_pending) {
		a->record_pending = false;
		err = store_set_record(a->file, a->etag, a->last_modified, a->record_total);
	}
	if (err == FA_OK && w->stage_len > 0)
		err = store_write(a->file, w->stage, w->stage_len);
	w->stage_len = 0;
	return err;
}

/* w's stage, if the run may have one more: the memory it holds is what
 * the bodies staged in it touched, up to FETCH_STAGE_MAX, until the run
 * ends, so at -j 256 the stages of all threads could hold 64 MB; past
 * FETCH_STAGES_MAX of them a thread's lane writes its bodies as they come.
 * A stage that cannot be had is not tried again. */
static void stage_make(struct fetch_worker *w)
{
	struct fetch_share *s = w->share;
	unsigned i = atomic_fetch_add(&s->stages, 1);

	if (s->stage_slab && i < FETCH_STAGES_MAX)
		w->stage = s->stage_slab + (size_t)i * FETCH_STAGE_MAX;
	else
		w->no_stage = true;
}

/* Body bytes into the file, or into the stage while the attempt stages. */
static enum fa_err body_write(struct attempt *a, const char *data, size_t len)
{
	struct fetch_worker *w = a->worker;
	enum fa_err err;

	if (!a->staging)
		return store_write(a->file, data, len);
	if (w->stage_len + len > FETCH_STAGE_MAX) {
		/* a large body: the lane writes it after all */
		a->staging = false;
		err = stage_flush(a);
		return err == FA_OK ? store_write(a->file, data, len) : err;
	}
	memcpy(w->stage + w->stage_len, data, len);
	w->stage_len += len;
	return FA_OK;
}

/* The resource's time, -1 if it has none: its Last-Modified (for a
 * file:// transfer libcurl makes one of the file's mtime), parsed here on
 * the thread that asks (http_date(), libcurl's date parser for all but
 * the usual form), rather than by libcurl as the header arrives
 * (CURLOPT_FILETIME), which in a lane is the lane's thread, the one all of
 * a host's transfers pass through: its sscanf()s were 2 % of a lane's CPU. */
static curl_off_t remote_time(const struct attempt *a)
{
	return a->last_modified[0] ? (curl_off_t)http_date(a->last_modified) : -1;
}

/*
 * The response's first body bytes: judges them against what is held
 * (decide_body) and makes the file match: a whole body starts the file
 * over, a continuation keeps it, and either records the response's
 * validators with the bytes.  Returns FA_OK or a store error.
 */
static enum fa_err first_bytes(struct attempt *a)
{
	struct held *h = a->held;
	curl_off_t length = -1;
	long long total;
	enum fa_err err;

	a->body_seen = true;
	curl_easy_getinfo(a->worker->easy, CURLINFO_RESPONSE_CODE, &a->range.status);
	curl_easy_getinfo(a->worker->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
	/* A coded body's length is the coded one: nothing to check it by. */
	a->range.content_length = a->coded ? -1 : (long long)length;
	/* -N -J: the saved copy is the one under the server's name */
	if (!a->current && a->file && a->disposition[0] &&
	    store_current_as(a->file, a->disposition))
		a->current = store_current(a->file);
	if (a->current && a->range.status == 200 && a->range_from == 0 && length >= 0) {
		/* wget -N: current if not older and of the same size */
		curl_off_t remote = remote_time(a);

		if (remote >= 0 && remote <= (curl_off_t)a->current->mtime &&
		    (long long)length == a->current->size) {
			a->not_modified = true;
			return FA_OK;
		}
	}
	a->body = decide_body(a->range_from, h->known_total, &a->range);
	if (a->body != BODY_WHOLE && a->body != BODY_APPEND)
		return FA_OK;
	if (a->file && a->disposition[0] && store_name_taken(a->file, a->disposition)) {
		a->name_taken = true;
		return FA_OK;
	}
	if (a->body == BODY_WHOLE && a->total > 0) {
		err = restart_body(a); /* a 200 to a Range request */
		if (err != FA_OK)
			return err;
	}
	if (a->coded) {
		/* gzip, x-gzip and deflate (zlib): what fetchall asks for.
		 * 15 + 32: either header, found from the data. */
		if ((strcmp(a->encoding, "gzip") && strcmp(a->encoding, "x-gzip") &&
		     strcmp(a->encoding, "deflate")) ||
		    inflateInit2(&a->zs, 15 + 32) != Z_OK) {
			a->coding_bad = true;
			return FA_OK;
		}
		a->inflating = true;
	}
	if (a->body == BODY_WHOLE)
		total = a->range.status == 206 ? a->range.range_total : a->range.content_length;
	else
		total = a->range.range_total >= 0 ? a->range.range_total : h->known_total;
	h->known_total = a->coded ? -1 : total;
	h->coded = a->coded;
	expect_body(a, a->coded ? -1 : (long long)length);
	snprintf(h->validator, sizeof(h->validator), "%s", a->etag[0] ? a->etag : a->last_modified);
	if (!a->file)
		return FA_OK;
	a->record_pending = true;
	a->record_total = h->coded ? -1 : h->known_total;
	if (a->staging && length > FETCH_STAGE_MAX)
		a->staging = false; /* known to outgrow the stage */
	/* staged: the record goes with the body; else it goes now */
	return a->staging ? FA_OK : stage_flush(a);
}

/* Decoded body bytes to wherever they go (file, buffer, hash, head).
 * Returns false to stop the transfer (the reason is in *a). */
static bool take_body(struct attempt *a, const char *data, size_t len)
{
	const struct fetch_target *t = a->target;
	enum fa_err err;

	if (t->max_size && a->total + len > t->max_size) {
		a->too_big = true;
		return false;
	}
	/* Counted on the decoded body, so a small gzip bomb is stopped too;
	 * libcurl's own check only sees a declared Content-Length. */
	if (a->worker->share->opts->max_filesize &&
	    a->total + len > (uint64_t)a->worker->share->opts->max_filesize) {
		a->over_filesize = true;
		return false;
	}
	if (a->file) {
		err = body_write(a, data, len);
		if (err != FA_OK) {
			a->store_err = err;
			return false;
		}
	}
	if (t->buffer && !t->buffer->truncated && !buffer_append(t->buffer, data, len)) {
		a->store_err = FA_ERR_NOMEM;
		return false;
	}
	if (a->hash)
		hash_update(a->hash, (const unsigned char *)data, len);
	if (*a->head_len < HEAD_BYTES && a->total == *a->head_len) {
		size_t n = HEAD_BYTES - *a->head_len < len ? HEAD_BYTES - *a->head_len : len;

		memcpy(a->head + *a->head_len, data, n);
		*a->head_len += n;
	}
	a->bytes += len;
	a->total += len;
	atomic_fetch_add_explicit(&a->worker->share->bytes, len, memory_order_relaxed);
	if (a->expect) {
		a->expect_got += len;
		atomic_fetch_add_explicit(&a->worker->share->sized_received, len,
					  memory_order_relaxed);
	}
	return true;
}

/* Coded bytes through zlib to take_body().  Several gzip members in a row
 * are one body (RFC 1952).  Returns false to stop the transfer. */
static bool inflate_body(struct attempt *a, const char *data, size_t len)
{
	unsigned char out[64 * 1024];

	a->zs.next_in = (unsigned char *)(uintptr_t)data;
	a->zs.avail_in = (uInt)len;
	while (a->zs.avail_in > 0) {
		int rc;

		if (a->stream_end) {
			/* another member follows */
			if (inflateReset(&a->zs) != Z_OK) {
				a->coding_bad = true;
				return false;
			}
			a->stream_end = false;
		}
		a->zs.next_out = out;
		a->zs.avail_out = sizeof(out);
		rc = inflate(&a->zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			a->coding_bad = true;
			return false;
		}
		if (sizeof(out) - a->zs.avail_out > 0 &&
		    !take_body(a, (const char *)out, sizeof(out) - a->zs.avail_out))
			return false;
		if (rc == Z_STREAM_END)
			a->stream_end = true;
		else if (rc == Z_BUF_ERROR && a->zs.avail_out > 0)
			break; /* needs more input */
	}
	return true;
}

/*
 * --limit-rate and --limit-rate-per-transfer: charges len bytes that
 * arrived to the run's bucket and to the attempt's and, if that overdraws
 * either, sleeps until they are paid for in both.
 *
 * Sleeping here, in the write callback, rather than returning
 * CURL_WRITEFUNC_PAUSE: under curl_easy_perform() a paused transfer can
 * only be unpaused by curl_easy_pause() from a callback of the same
 * handle, and while paused libcurl calls the progress callback only about
 * once a second, so each pause would last a second (a jerky rate) or
 * need a busy loop.  Each fetch thread runs one transfer, so its sleep
 * holds up no one else; while it sleeps libcurl does not read the socket,
 * and TCP's window holds the server back, as libcurl's own
 * CURLOPT_MAX_RECV_SPEED_LARGE does.  No lock is held while sleeping (the
 * run's bucket is one atomic word, the attempt's its own), and cancel_sleep_ms() ends at once on
 * Ctrl-C: the bytes are then kept and the progress callback aborts the
 * transfer.  Sleeps are whole milliseconds, rounded up: oversleeping
 * leaves credit in the bucket that the next charge uses, so the rate
 * stays exact on average.
 */
static void pace(struct attempt *a, size_t len)
{
	uint64_t wait_ns = rate_take(&a->worker->share->rate, len);
	uint64_t own_ns;

	if (a->each.rate > 0) {
		own_ns = rate_bucket_charge(&a->each, len, sync_now_ns());
		if (own_ns > wait_ns)
			wait_ns = own_ns;
	}
	if (wait_ns > 0)
		cancel_sleep_ms((long)((wait_ns + 999999) / 1000000));
}

/* Whether the body now starting is read at all (fetch_target.want). */
static bool body_wanted(const struct attempt *a)
{
	char *ct = NULL;

	switch (a->target->want) {
	case FETCH_WANT_BODY: return true;
	case FETCH_WANT_STATUS: return false;
	case FETCH_WANT_HTML:
		if (a->status_line >= 400)
			return false;
		/* no Content-Type: the page is sniffed, as in a crawl */
		curl_easy_getinfo(a->worker->easy, CURLINFO_CONTENT_TYPE, &ct);
		return !ct || sniff_type_matches(ct, "text/html,application/xhtml+xml");
	}
	return true;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * nmemb;
	enum fa_err err;

	/* the body of a redirect perform() follows: not the resource */
	if (a->location && a->status_line >= 300 && a->status_line < 400)
		return len;
	if (!a->body_seen && !body_wanted(a)) {
		a->enough = true; /* perform() makes the stop a success */
		return 0;
	}
	pace(a, len);
	a->last_data_ns = sync_now_ns(); /* after the pause, which is ours */
	if (!a->body_seen) {
		err = first_bytes(a);
		if (err != FA_OK) {
			a->store_err = err;
			return 0;
		}
		if (a->not_modified || a->name_taken || a->coding_bad ||
		    a->body == BODY_BAD_RANGE || a->body == BODY_UNASKED)
			return 0;
	}
	if (a->body == BODY_DISCARD)
		return len;
	if (a->inflating)
		return inflate_body(a, data, len) ? len : 0;
	return take_body(a, data, len) ? len : 0;
}

/* Case-insensitive "Name:" prefix match; returns the value or NULL. */
static const char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* Keeps the safe form of the name a Content-Disposition header line
 * (len bytes at data, CRLF included) suggests in a->disposition. */
static void read_disposition(struct attempt *a, const char *data, size_t len)
{
	char *line;
	char *name;
	const char *v;

	if (len > DISPOSITION_LINE_MAX || a->disposition[0])
		return; /* the first usable one counts */
	line = malloc(len + 1);
	name = malloc(DISPOSITION_NAME_MAX + 1);
	if (line && name) {
		memcpy(line, data, len);
		line[len] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		v = header_value(line, strlen(line), "Content-Disposition");
		if (v && disposition_filename(v, name, DISPOSITION_NAME_MAX + 1) == FA_OK &&
		    store_component(name, a->disposition, sizeof(a->disposition)) != FA_OK)
			a->disposition[0] = '\0';
	}
	free(line);
	free(name);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * nmemb;
	char line[512];
	const char *v;
	size_t n;

	a->last_data_ns = sync_now_ns();
	/* Each response (redirects, 100 Continue) starts afresh. */
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		const char *code = memchr(data, ' ', len);

		a->status_line = 0;
		for (int i = 1;
		     code && i <= 3 && code + i < data + len && isdigit((unsigned char)code[i]);
		     i++)
			a->status_line = a->status_line * 10 + (code[i] - '0');
		a->location = false;
		a->retry_after_ms = -1;
		decide_parse_range("", &a->range);
		a->etag[0] = a->last_modified[0] = '\0';
		a->coded = false;
		a->encoding[0] = '\0';
		a->disposition[0] = '\0';
		a->robots_tag[0] = '\0';
		return len;
	}
	/* libcurl answers a 401 inside one perform: seen here only */
	if (a->status_line == 401 && len > 17 && !strncasecmp(data, "WWW-Authenticate:", 17)) {
		const char *p = data + 17, *end = data + len;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 5 && !strncasecmp(p, "Basic", 5))
			a->challenge_basic = true;
		else if (end - p >= 6 && !strncasecmp(p, "Digest", 6))
			a->challenge_digest = true;
	}
	if (a->file && a->worker->share->opts->content_disposition && len > 20 &&
	    !strncasecmp(data, "Content-Disposition:", 20)) {
		read_disposition(a, data, len);
		return len;
	}
	if (len > 9 && !strncasecmp(data, "Location:", 9)) {
		a->location = true; /* where it goes is libcurl's to resolve */
		return len;
	}
	if (len >= sizeof(line))
		return len; /* no header we read is that long */
	memcpy(line, data, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	n = strlen(line);
	v = header_value(line, n, "Retry-After");
	if (v) {
		long ms;

		if (retry_after_parse(v, time(NULL), &ms) == FA_OK)
			a->retry_after_ms = ms;
	} else if ((v = header_value(line, n, "Content-Range"))) {
		decide_parse_range(v, &a->range);
	} else if ((v = header_value(line, n, "ETag"))) {
		/* Only a strong validator may go in If-Range. */
		if (v[0] == '"' && strlen(v) < sizeof(a->etag))
			snprintf(a->etag, sizeof(a->etag), "%s", v);
	} else if ((v = header_value(line, n, "Last-Modified"))) {
		if (strlen(v) < sizeof(a->last_modified))
			snprintf(a->last_modified, sizeof(a->last_modified), "%s", v);
	} else if ((v = header_value(line, n, "X-Robots-Tag"))) {
		size_t used = strlen(a->robots_tag);

		snprintf(a->robots_tag + used, sizeof(a->robots_tag) - used, "%s%s",
			 used ? ", " : "", v);
	} else if ((v = header_value(line, n, "Content-Encoding"))) {
		a->coded = *v && strcasecmp(v, "identity") != 0;
		snprintf(a->encoding, sizeof(a->encoding), "%s", v);
		for (char *p = a->encoding; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return len;
}

/*
 * Ctrl-C, and --timeout: no byte for idle_timeout_ms ends the attempt.
 * Checked here, against the time the header and write callbacks last saw
 * a byte, rather than with CURLOPT_LOW_SPEED_LIMIT=1 and
 * CURLOPT_LOW_SPEED_TIME: those take whole seconds and judge an average
 * speed over a window (a slow drip below 1 byte/s on average would fail
 * though bytes keep coming), and they already serve --speed-limit and
 * --speed-time, which a user may give as well.  libcurl calls this at
 * least about once a second even while nothing arrives, so a stall is
 * seen within a second of the timeout; the connect phase is covered by
 * the connect timeout, which --timeout lowers (fetch_worker_new()).
 * perform() reports the abort as a timeout.
 */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct attempt *a = arg;
	long idle_ms;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (cancel_requested())
		return 1;
	idle_ms = a ? a->worker->share->opts->idle_timeout_ms : 0;
	if (idle_ms > 0 && sync_now_ns() - a->last_data_ns > (uint64_t)idle_ms * 1000000u) {
		a->idle = true;
		return 1;
	}
	return 0;
}

/* The read size: 256 KB, so a fast body comes in a few big pieces, each
 * written to its file as it comes (a read a write, no copy); under a
 * --limit-rate, about a tenth of a second of one transfer's share, so
 * that the debt all transfers' last reads leave in the bucket (what a
 * thread may have to sleep for) stays near a tenth of a second; likewise
 * a tenth of a second of --limit-rate-per-transfer.  libcurl's minimum is
 * 1024 bytes. */
#define READ_SIZE (256 * 1024)
static long read_size(const struct fetch_share *s)
{
	const struct fetch_opts *o = s->opts;
	uint64_t size = READ_SIZE;

	if (o->limit_rate > 0 && o->limit_rate / RATE_DEPTH_DIVISOR / s->slots < size)
		size = o->limit_rate / RATE_DEPTH_DIVISOR / s->slots;
	if (o->limit_rate_each > 0 && o->limit_rate_each / RATE_DEPTH_DIVISOR < size)
		size = o->limit_rate_each / RATE_DEPTH_DIVISOR;
	return size < 1024 ? 1024L : (long)size;
}

/*
 * libcurl 7.88 allocates each transfer's read buffer, READ_SIZE + 1 bytes,
 * as the transfer starts and frees it as it ends.  glibc serves a block
 * that large from its arena only once the first such block was freed
 * (its mmap threshold then rises to that size, from 128 KB; until then
 * each is an mmap() and a munmap(), its pages faulted in anew), and it
 * trims an arena whose free top passes twice that.  Fixed from the
 * start instead, at what glibc ends at: blocks under 2 read buffers from
 * the arenas, and 2 read buffers of free top kept.  Measured (perf stat,
 * 8 interleaved rounds of 10 runs): CPU 52.0 -> 50.7 ms a run on 500
 * TLS images; within the noise on 2000 small files over HTTP.  Keeping
 * 4 MB of free top saved no more CPU and let a 100 000-URL run at -j 256
 * (bench/load) peak 4.7 MB above a 10 000-URL one (every build lands
 * within 1 to 2.5 MB).  A user's own GLIBC_TUNABLES for malloc rule.
 */
void fetch_tune_malloc(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
	const char *tunables = getenv("GLIBC_TUNABLES");

	if (tunables && strstr(tunables, "glibc.malloc."))
		return;
	mallopt(M_MMAP_THRESHOLD, 2 * READ_SIZE);
	mallopt(M_TRIM_THRESHOLD, 2 * READ_SIZE);
#endif
}

struct fetch_worker *fetch_worker_new(struct fetch_share *s)
{
	const struct fetch_opts *o = s->opts;
	struct fetch_worker *w = calloc(1, sizeof(*w));
	const char *protocols = o->allow_file ? "http,https,file" : "http,https";
	CURLcode cc = CURLE_OK;

	if (!w)
		return NULL;
	w->share = s;
	w->protocols = protocols;
	w->easy = curl_easy_init();
	if (!w->easy) {
		free(w);
		return NULL;
	}
#define SET(opt, val)                                             \
	do {                                                      \
		if (cc == CURLE_OK)                               \
			cc = curl_easy_setopt(w->easy, opt, val); \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SHARE, s->curlsh);
	/* every transfer hands the resolver's answer over again
	 * (CURLOPT_RESOLVE): the handle's own cache need keep a name only
	 * for the transfer and its redirects, and stays small */
	if (s->resolver)
		SET(CURLOPT_DNS_CACHE_TIMEOUT, (long)RESOLVE_HANDLE_CACHE_S);
	SET(CURLOPT_ERRORBUFFER, w->errbuf);
	/* perform() follows redirects (see the top of this file) */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROTOCOLS_STR, protocols);
	/* Basic or Digest, whichever the server's 401 asks for, as wget does:
	 * the password goes only to a server that asked for it (never in
	 * clear text up front, as curl's default Basic would send it), and
	 * not NTLM or Negotiate, which CURLAUTH_ANY (curl --anyauth) would
	 * also try: connection-bound, and Negotiate hands out the user's
	 * Kerberos tickets.  libcurl keeps the method a handle picked, so a
	 * worker pays the round trip of the challenge once. */
	SET(CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
	if (o->netrc || o->netrc_file) {
		/* --user and credentials in a URL win; the file fills in */
		SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (o->netrc_file)
			SET(CURLOPT_NETRC_FILE, o->netrc_file);
	}
	if (o->proxy)
		SET(CURLOPT_PROXY, o->proxy);
	if (o->no_proxy)
		SET(CURLOPT_NOPROXY, o->no_proxy);
	SET(CURLOPT_IPRESOLVE, o->ipresolve);
	/* Only what zlib decodes, and decoded here (see struct attempt). */
	SET(CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SET(CURLOPT_USERAGENT, o->user_agent);
	SET(CURLOPT_HTTPHEADER, o->headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_BUFFERSIZE, read_size(s));
	/* The thread's own connections: the host it is working on and a few
	 * more (a redirect's target, robots.txt, hosts taken in turn). */
	SET(CURLOPT_MAXCONNECTS, (long)FETCH_CONNS_PER_WORKER);
	/* --timeout bounds the connect phase too, as wget's does */
	if (o->idle_timeout_ms > 0 &&
	    (o->connect_timeout_ms <= 0 || o->idle_timeout_ms < o->connect_timeout_ms))
		SET(CURLOPT_CONNECTTIMEOUT_MS, o->idle_timeout_ms);
	else if (o->connect_timeout_ms > 0)
		SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	if (o->max_time_ms > 0)
		SET(CURLOPT_TIMEOUT_MS, o->max_time_ms);
	if (o->speed_time_s > 0) {
		SET(CURLOPT_LOW_SPEED_LIMIT, o->speed_limit);
		SET(CURLOPT_LOW_SPEED_TIME, o->speed_time_s);
	}
	if (o->max_filesize > 0)
		SET(CURLOPT_MAXFILESIZE_LARGE, o->max_filesize);
	if (o->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cookie_header)
		SET(CURLOPT_COOKIE, o->cookie_header);
#undef SET
	if (cc == CURLE_OK && o->cookies)
		cookies_attach(w->easy, &w->cookie_sync);
	if (cc != CURLE_OK) {
		fetch_worker_free(w);
		return NULL;
	}
	return w;
}

void fetch_worker_free(struct fetch_worker *w)
{
	if (!w)
		return;
	curl_easy_cleanup(w->easy);
	free(w); /* its stage is the share's */
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Words for a store failure: errno's text where the store had one. */
static const char *store_reason(enum fa_err err, int errnum, char *buf, size_t len)
{
	if (err == FA_ERR_IO && errnum != 0 && strerror_r(errnum, buf, len) == 0)
		return buf;
	return fa_strerror(err);
}

static double ms_between(curl_off_t from_us, curl_off_t to_us)
{
	return to_us > from_us ? (double)(to_us - from_us) / 1000.0 : 0.0;
}

/* Adds the timers of the request just performed to t: what libcurl does
 * over the requests of a redirect chain it follows itself (each timer
 * counts from the start of its own request, and they add up). */
static void add_times(CURL *easy, struct hop_times *t)
{
	curl_off_t dns = 0, conn = 0, tls = 0, pre = 0, start = 0, total = 0;

	curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &dns);
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &conn);
	curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &tls);
	curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
	t->dns += dns;
	t->connect += conn;
	t->tls += tls;
	t->pretransfer += pre;
	t->first_byte += start;
	t->total += total;
}

/* The phase split of the last attempt's summed timers. */
static void record_times(const struct hop_times *t, struct fetch_result *res)
{
	res->dns_ms = ms_between(0, t->dns);
	res->connect_ms = ms_between(t->dns, t->connect);
	res->tls_ms = t->tls > 0 ? ms_between(t->connect, t->tls) : 0.0;
	res->ttfb_ms = ms_between(t->pretransfer, t->first_byte);
	res->transfer_ms = ms_between(t->first_byte, t->total);
	res->total_ms = (double)t->total / 1000.0;
}

static const char *curl_reason(struct fetch_worker *w, CURLcode cc)
{
	return w->errbuf[0] ? w->errbuf : curl_easy_strerror(cc);
}

/* True if the last attempt ran on a connection kept from before. */
static bool reused_connection(struct fetch_worker *w)
{
	long fresh = 0;

	return curl_easy_getinfo(w->easy, CURLINFO_NUM_CONNECTS, &fresh) == CURLE_OK && fresh == 0;
}

/* A copy of headers with line added, or NULL when out of memory (then the
 * request goes without line: the 206 checks still guard the body). */
static struct curl_slist *with_header(const struct curl_slist *headers, const char *line)
{
	struct curl_slist *list = NULL, *next;

	for (; headers; headers = headers->next) {
		next = curl_slist_append(list, headers->data);
		if (!next)
			goto oom;
		list = next;
	}
	next = curl_slist_append(list, line);
	if (next)
		return next;
oom:
	curl_slist_free_all(list);
	return NULL;
}

/* -N: headers plus If-Modified-Since (the saved copy's Last-Modified,
 * else its modification time) and If-None-Match (its strong ETag, if
 * recorded); NULL when out of memory (the request goes unconditional and
 * wget's rule is still applied to its answer). */
static struct curl_slist *conditional_headers(const struct curl_slist *headers,
					      const struct store_current *cur)
{
	char line[VALIDATOR_MAX + 32];
	struct curl_slist *with_date, *both;

	if (cur->recorded && cur->record.last_modified && cur->record.last_modified[0]) {
		snprintf(line, sizeof(line), "If-Modified-Since: %s", cur->record.last_modified);
	} else {
		struct tm tm;
		time_t t = cur->mtime;

		if (!gmtime_r(&t, &tm))
			return NULL;
		strftime(line, sizeof(line), "If-Modified-Since: %a, %d %b %Y %H:%M:%S GMT", &tm);
	}
	with_date = with_header(headers, line);
	if (!with_date || !cur->recorded || !cur->record.etag || !cur->record.etag[0])
		return with_date;
	snprintf(line, sizeof(line), "If-None-Match: %s", cur->record.etag);
	both = curl_slist_append(with_date, line);
	if (!both)
		curl_slist_free_all(with_date);
	return both;
}

/* True if url carries credentials ("scheme://user:pw@host/"). */
static bool has_userinfo(const char *url)
{
	struct url_split parts;

	return url_split(url, &parts) &&
	       memchr(url + parts.authority, '@', parts.path - parts.authority) != NULL;
}

/* The Referer of job's requests: the page it was found on, as wget sends
 * it in a crawl, else --referer; NULL for none.  Uses buf. */
static const char *referer_for(const struct fetch_opts *o, const struct fetch_job *job, char *buf,
			       size_t len)
{
	if (!job->source)
		return o->referer;
	return url_referer(job->source, job->url, buf, len) ? buf : NULL;
}

/* What the requests of an attempt may carry.  own_list: the -H headers
 * and fetchall's own lines (If-Range), for the job's origin;
 * foreign_list: fetchall's own lines alone, for any other; the
 * credentials: --user's, else those in the job's URL. */
struct carry {
	struct curl_slist *own_list, *foreign_list;
	const char *user, *password;
	char *url_user, *url_password; /* the URL's, decoded; freed after */
};

/* Whether url's origin answered a 401 with Basic alone: under
 * basic_lock, and basic_known() taking it. */
static bool basic_known_locked(const struct fetch_share *s, const char *url)
{
	for (size_t i = 0; i < s->n_basic; i++)
		if (url_same_origin(s->basic_origins[i], url))
			return true;
	return false;
}

/* Thread-safe. */
static bool basic_known(struct fetch_share *s, const char *url)
{
	bool known;

	sync_lock(&s->basic_lock);
	known = basic_known_locked(s, url);
	sync_unlock(&s->basic_lock);
	return known;
}

/* Remembers url's origin as one that wants Basic (up to
 * BASIC_ORIGINS_MAX of them), once.  Thread-safe. */
static void basic_remember(struct fetch_share *s, const char *url)
{
	sync_lock(&s->basic_lock);
	if (s->n_basic < BASIC_ORIGINS_MAX && !basic_known_locked(s, url)) {
		char *copy = strdup(url);

		if (copy)
			s->basic_origins[s->n_basic++] = copy;
	}
	sync_unlock(&s->basic_lock);
}

/* Whether url's transfer goes to a mux lane (--multiplex), with the key of
 * its host, which picks the lane, in key.  By default an https:// one to
 * a busy host: one with another transfer in flight, or the one host with
 * URLs waiting (a list of one host's URLs, from its first transfer on:
 * one connection, not one of the thread's own beside the lane's).  A host
 * fetched by one thread at a time (a list of many hosts, a URL or three
 * each) keeps its thread's own connection and pays no hand-over. */
static bool lane_wanted(const struct fetch_share *s, const struct attempt *a, const char *url,
			char *key, size_t keylen)
{
	if (!s->mux)
		return false;
	if (s->opts->multiplex == FETCH_MUX_HTTPS &&
	    (!a->host_busy || strncmp(url, "https://", 8) != 0))
		return false;
	return strncmp(url, "file:", 5) != 0 && url_host_key(url, key, keylen) == FA_OK;
}

/* One request of an attempt: the first to job->url, or one a redirect
 * led to (hop > 0).  The -H headers and the credentials go only to the
 * job's own origin, unless --location-trusted. */
static CURLcode perform_one(struct fetch_worker *w, const struct fetch_job *job, struct attempt *a,
			    const char *url, unsigned hop, const struct carry *c)
{
	const struct fetch_opts *o = w->share->opts;
	bool trusted = hop == 0 || o->location_trusted || url_same_origin(job->url, url);

	bool basic = trusted && c->user && basic_known(w->share, url);
	struct curl_slist *resolve;
	char key[300];
	CURLcode cc;

	a->withheld = !trusted && (c->user || o->headers);
	curl_easy_setopt(w->easy, CURLOPT_URL, url);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, trusted ? c->own_list : c->foreign_list);
	curl_easy_setopt(w->easy, CURLOPT_USERNAME, trusted ? c->user : NULL);
	curl_easy_setopt(w->easy, CURLOPT_PASSWORD, trusted ? c->password : NULL);
	/* Basic alone is sent with the first request: for an origin known
	 * to ask for it, no 401 round trip */
	curl_easy_setopt(w->easy, CURLOPT_HTTPAUTH,
			 (long)(basic ? CURLAUTH_BASIC : CURLAUTH_BASIC | CURLAUTH_DIGEST));
	if (o->allow_file) /* never to file:// by a redirect */
		curl_easy_setopt(w->easy, CURLOPT_PROTOCOLS_STR, hop ? "http,https" : w->protocols);
	w->errbuf[0] = '\0';
	a->challenge_basic = a->challenge_digest = false;
	resolve = resolved(w->share, url);
	curl_easy_setopt(w->easy, CURLOPT_RESOLVE, resolve);
	for (int tries = 0;; tries++) {
		if (lane_wanted(w->share, a, url, key, sizeof(key))) {
			if (a->file && !w->stage && !w->no_stage)
				stage_make(w);
			a->staging = a->file && w->stage;
			cc = mux_perform(w->share->mux, key, w->easy);
		} else {
			a->staging = false;
			cc = curl_easy_perform(w->easy);
		}
		/* Basic went up front to an origin that asked for it before,
		 * but this resource wants Digest: once more, with Digest alone
		 * (what the handle picked before, Basic, would be tried
		 * first again), as wget, which also remembers Basic per host,
		 * does */
		if (!basic || tries > 0 || a->status_line != 401 || !a->challenge_digest ||
		    (a->body_seen && a->body != BODY_DISCARD))
			break;
		/* the 401's body went nowhere (first_bytes(): BODY_DISCARD) */
		a->body_seen = false;
		a->enough = false;
		a->challenge_basic = a->challenge_digest = false;
		curl_easy_setopt(w->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
	}
	curl_easy_setopt(w->easy, CURLOPT_RESOLVE, NULL);
	curl_slist_free_all(resolve);
	if (trusted && c->user && a->challenge_basic && !a->challenge_digest)
		basic_remember(w->share, url);
	return cc;
}

/* Runs one attempt, the redirects it meets included; returns libcurl's
 * code (CURLE_TOO_MANY_REDIRECTS past --max-redirs, as libcurl's own
 * following says it) and leaves the rest in *a. */
static CURLcode perform(struct fetch_worker *w, const struct fetch_job *job, struct attempt *a,
			struct fetch_result *res)
{
	struct fetch_share *s = w->share;
	const struct fetch_opts *o = s->opts;
	struct carry c = {.own_list = o->headers, .user = o->user, .password = o->password};
	char *next = NULL, range[32], referer[4096];
	const char *url = job->url;
	uint64_t waited_ns = 0;
	CURLcode cc;

	a->range_from = (off_t)a->total;
	if (a->range_from > 0) {
		snprintf(range, sizeof(range), "%lld-", (long long)a->range_from);
		curl_easy_setopt(w->easy, CURLOPT_RANGE, range);
		/* The rest only if it is still the same resource; else the
		 * server sends it all (a 200) and the body starts over.  The
		 * validator goes to every origin: it is the resource's own. */
		if (a->held->validator[0]) {
			char ifrange[VALIDATOR_MAX + 16];

			snprintf(ifrange, sizeof(ifrange), "If-Range: %s", a->held->validator);
			c.own_list = with_header(o->headers, ifrange);
			c.foreign_list = with_header(NULL, ifrange);
			if (!c.own_list)
				c.own_list = o->headers;
		}
	} else {
		curl_easy_setopt(w->easy, CURLOPT_RANGE, NULL);
		/* -N: the saved copy's validators, the resource's own like
		 * If-Range, go to every origin */
		if (a->current) {
			c.own_list = conditional_headers(o->headers, a->current);
			c.foreign_list = conditional_headers(NULL, a->current);
			if (!c.own_list)
				c.own_list = o->headers;
		}
	}
	/* Credentials in the URL are the job's, as --user's are: they follow
	 * it to its own origin (also by an absolute redirect, where the
	 * next URL has none) and, with --location-trusted, anywhere. */
	if (!c.user && has_userinfo(job->url) &&
	    url_credentials(job->url, &c.url_user, &c.url_password) == FA_OK) {
		c.user = c.url_user;
		c.password = c.url_password;
		/* a user alone: libcurl 7.88 looks its password up in the
		 * netrc file only if it found the user in the URL itself */
		if (!c.password)
			c.user = NULL;
	}
	curl_easy_setopt(w->easy, CURLOPT_REFERER, referer_for(o, job, referer, sizeof(referer)));
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(w->easy, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(w->easy, CURLOPT_XFERINFODATA, a);
	if (o->cookies)
		cookies_before(o->cookies, w->easy, &w->cookie_sync);

	bsem_acquire_wait(&s->inflight, &waited_ns);
	res->queue_ms += (double)waited_ns / 1e6;
	{
		unsigned now = atomic_fetch_add(&s->active, 1) + 1;
		unsigned peak = atomic_load(&s->peak_active);

		while (now > peak && !atomic_compare_exchange_weak(&s->peak_active, &peak, now))
			;
	}
	/* NOBODY makes the request a HEAD; HTTPGET makes the handle's next
	 * one a GET again */
	if (a->by_head)
		curl_easy_setopt(w->easy, CURLOPT_NOBODY, 1L);
	/* without a gate (no frontier), as if the host were busy */
	a->host_busy = !a->target->gate || !a->target->gate->in_flight ||
		       a->target->gate->in_flight(a->target->gate->arg, true);
	a->last_data_ns = sync_now_ns(); /* waiting for a slot is not idleness */
	a->each = rate_bucket_make(s->opts->limit_rate_each,
				   s->opts->limit_rate_each / RATE_DEPTH_DIVISOR, a->last_data_ns);
	for (unsigned hop = 0;; hop++) {
		char *to = NULL;
		long code = 0;

		cc = perform_one(w, job, a, url, hop, &c);
		add_times(w->easy, &a->times);
		if (cc != CURLE_OK)
			break;
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(w->easy, CURLINFO_REDIRECT_URL, &to);
		if (!to || code < 300 || code >= 400)
			break;
		if (hop >= (unsigned long)o->max_redirs) {
			snprintf(w->errbuf, sizeof(w->errbuf), "Maximum (%ld) redirects followed",
				 o->max_redirs);
			cc = CURLE_TOO_MANY_REDIRECTS;
			break;
		}
		if (cancel_requested()) {
			cc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		/* libcurl's string is gone at the next perform */
		to = strdup(to);
		if (!to) {
			cc = CURLE_OUT_OF_MEMORY;
			break;
		}
		free(next);
		url = next = to;
	}
	free(next);
	if (a->by_head)
		curl_easy_setopt(w->easy, CURLOPT_HTTPGET, 1L);
	if (cc == CURLE_WRITE_ERROR && a->enough && a->store_err == FA_OK)
		cc = CURLE_OK; /* stopped on purpose: the status is what was wanted */
	if (cc == CURLE_ABORTED_BY_CALLBACK && a->idle && !cancel_requested()) {
		/* --timeout: a timeout like any other, so retries apply */
		cc = CURLE_OPERATION_TIMEDOUT;
		snprintf(w->errbuf, sizeof(w->errbuf), "no data for %g s (--timeout)",
			 (double)s->opts->idle_timeout_ms / 1000.0);
	}
	expect_body(a, -1);
	if (a->target->gate && a->target->gate->in_flight)
		a->target->gate->in_flight(a->target->gate->arg, false);
	atomic_fetch_sub(&s->active, 1);
	if (bsem_release(&s->inflight) != FA_OK)
		sync_must(-1, "bsem_release (more releases than acquires)");
	/* The staged body into the file (no transfer waits for the disk).  A
	 * body was staged only by the last request: a redirect's or a
	 * discarded 401's body is not kept, and a body taken ends perform_one's
	 * tries. */
	{
		enum fa_err err = stage_flush(a);

		if (err != FA_OK && a->store_err == FA_OK) {
			a->store_err = err;
			a->total = (uint64_t)store_offset(a->file); /* what is in it */
		}
		a->staging = false;
	}
	if (o->cookies)
		cookies_after(o->cookies, w->easy, &w->cookie_sync);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, NULL);
	if (c.own_list != o->headers)
		curl_slist_free_all(c.own_list);
	curl_slist_free_all(c.foreign_list);
	free(c.url_user);
	free(c.url_password);
	return cc;
}

void fetch_result_ok(struct fetch_result *res)
{
	res->outcome = FETCH_OK;
	res->err = FA_OK;
	res->skip_reason = NULL;
	free(res->error); /* an earlier attempt's, now moot */
	res->error = NULL;
}

void fetch_result_skip(struct fetch_result *res, enum fa_err why, const char *reason)
{
	res->outcome = FETCH_SKIPPED;
	res->err = why;
	res->skip_reason = reason;
	free(res->error);
	res->error = NULL;
}

void fetch_result_fail(struct fetch_result *res, enum fa_err err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res->outcome = FETCH_FAILED;
	res->err = err;
	res->skip_reason = NULL;
	free(res->error);
	res->error = strdup(msg);
}

/* Ends a transfer that will not be saved: the file goes, with its .part
 * kept only where -c or Ctrl-C asks for it. */
static void discard_file(struct store_file **file, bool keep)
{
	if (*file) {
		store_abort(*file, keep);
		*file = NULL;
	}
}

/* The path to report for a file skipped because the name its server
 * suggests exists (-nc, -c): relpath's directory with that name. */
static char *taken_path(const char *relpath, const char *name)
{
	const char *slash = strrchr(relpath, '/');
	int dirlen = slash ? (int)(slash - relpath + 1) : 0;
	char path[STORE_PATH_MAX + STORE_COMPONENT_MAX + 2];

	snprintf(path, sizeof(path), "%.*s%s", dirlen, relpath, name);
	return strdup(path);
}

/* Fills in what one attempt's response says about timing and type. */
static void record_response(struct fetch_worker *w, const struct fetch_target *t,
			    const struct attempt *a, CURLcode cc, struct fetch_result *res)
{
	char *ct = NULL, *eff = NULL;
	long code = 0;

	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(w->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(w->easy, CURLINFO_EFFECTIVE_URL, &eff);
	if (t->gate) {
		curl_off_t first_byte_us = a->times.first_byte;

		t->gate->end(t->gate->arg, code,
			     cc != CURLE_OK && cc != CURLE_WRITE_ERROR &&
				 cc != CURLE_ABORTED_BY_CALLBACK,
			     a->retry_after_ms,
			     code > 0 && first_byte_us > 0 ? (long)(first_byte_us / 1000) : -1);
	}
	res->http_code = code;
	free(res->content_type);
	res->content_type = dup_or_null(ct);
	free(res->robots_tag);
	res->robots_tag = a->robots_tag[0] ? strdup(a->robots_tag) : NULL;
	free(res->final_url);
	res->final_url = dup_or_null(eff);
	record_times(&a->times, res);
}

/* The facts decide_attempt() needs about attempt a. */
static struct decide_attempt attempt_facts(struct fetch_worker *w, const struct attempt *a,
					   CURLcode cc, bool base, bool restarted,
					   unsigned dead_reused, unsigned attempt)
{
	const struct fetch_opts *o = w->share->opts;
	struct decide_attempt f = {
	    .curl_code = (int)cc,
	    .cancelled = cc == CURLE_ABORTED_BY_CALLBACK && cancel_requested(),
	    .store_failed = a->store_err != FA_OK,
	    .over_filesize = a->over_filesize,
	    .too_big = a->too_big,
	    .name_taken = a->name_taken,
	    .not_modified = a->not_modified,
	    .conditional = a->current != NULL && a->range_from == 0,
	    .body_seen = a->body_seen,
	    .coding_bad = a->coding_bad,
	    .coding_cut = a->coded && !a->coding_bad && a->body_seen &&
			  (a->body == BODY_WHOLE || a->body == BODY_APPEND) && !a->stream_end &&
			  !a->too_big && !a->name_taken,
	    .body = a->body,
	    .status = a->range.status,
	    .asked_from = (long long)a->range_from,
	    .held = (long long)a->total,
	    .known_total = a->held->known_total,
	    .unsat_total = a->range.unsat_total,
	    .base = base,
	    .restarted = restarted,
	    .dead_reused =
		(cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING) &&
		!a->body_seen && reused_connection(w) && dead_reused < 3,
	    .retries_left = attempt <= o->retries,
	};

	if (!a->body_seen)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &f.status);
	f.transient = retry_is_transient(cc, f.status);
	return f;
}

/* What a 401 or 407 means here, after "HTTP 401"; "" for other statuses. */
static const char *auth_hint(const struct fetch_opts *o, const char *url, const struct attempt *a,
			     long status)
{
	if (status == 407)
		return ": the proxy wants credentials (as user:password@ in the proxy's URL)";
	if (status != 401)
		return "";
	if (a->withheld)
		return ": credentials and -H headers are not sent to another origin a redirect "
		       "leads to (--location-trusted sends them)";
	if (o->user || has_userinfo(url))
		return ": the server refused the credentials";
	if (o->netrc || o->netrc_file)
		return ": the server wants credentials, and the netrc file has none it takes";
	return ": the server wants credentials (--user, --ask-password, --netrc)";
}

void fetch_run(struct fetch_worker *w, const struct fetch_target *t, const struct fetch_job *job,
	       struct fetch_result *res)
{
	const struct fetch_opts *o = w->share->opts;
	struct store_file *file = NULL;
	struct held held = {.known_total = -1};
	char relpath[4096] = "";
	char why_text[128];
	enum fa_err err;
	bool restarted = false;
	bool head_refused = false; /* the server answered HEAD with 405 or 501 */
	bool base = false;         /* what is held is a file -c found */
	uint64_t have = 0;         /* body bytes held across attempts */
	uint64_t resumed = 0;      /* ... of them, what -c found on disk */
	unsigned dead_reused = 0;  /* kept-alive connections found closed */
	unsigned char head[HEAD_BYTES];
	size_t head_len = 0;

	memset(res, 0, sizeof(*res));
	res->line = job->line;
	res->source = dup_or_null(job->source);
	res->url = strdup(job->url);
	if (t->buffer) {
		t->buffer->len = 0;
		t->buffer->truncated = false;
	}

	if (t->store && store_one_file(t->store)) {
		snprintf(relpath, sizeof(relpath), "%s", store_one_file(t->store)); /* -O */
	} else if (t->store) {
		err = store_name_for_url(job->url, o->tree, relpath, sizeof(relpath));
		if (err != FA_OK) {
			fetch_result_fail(res, err, "no safe file name for this URL: %s",
					  fa_strerror(err));
			return;
		}
	}

	for (unsigned attempt = 1;; attempt++) {
		struct attempt a = {.worker = w,
				    .target = t,
				    .held = &held,
				    .retry_after_ms = -1,
				    .total = have,
				    .head = head,
				    .head_len = &head_len,
				    .hash = t->hash ? res->hash : NULL,
				    .by_head = t->want == FETCH_WANT_STATUS && !head_refused};
		struct decide_attempt facts;
		enum decide_action act;
		enum decide_why why;
		CURLcode cc;
		long wait_ms;

		decide_parse_range("", &a.range);
		if (cancel_requested()) {
			fetch_result_fail(res, FA_ERR_CANCELLED, "interrupted");
			break;
		}
		if (t->store && !file) {
			char *existing = NULL;
			const struct store_record *rec;

			errno = 0;
			err = store_open(t->store, relpath, job->url, &file, &existing);
			if (err == FA_ERR_EXISTS) {
				fetch_result_skip(res, FA_ERR_EXISTS, "file exists");
				res->path = existing ? existing : strdup(relpath);
				return;
			}
			if (err != FA_OK) {
				fetch_result_fail(
				    res, err, "cannot create '%s': %s", relpath,
				    store_reason(err, errno, why_text, sizeof(why_text)));
				return;
			}
			/* Resumed bytes are not in the hash or the buffer, so a
			 * resumed file is never hashed. */
			have = (uint64_t)store_offset(file);
			resumed = have;
			rec = store_resumed(file);
			if (rec) {
				base = rec->etag[0] == '\0' && rec->last_modified[0] == '\0' &&
				       rec->total < 0 && have > 0;
				held.known_total = rec->total;
				snprintf(held.validator, sizeof(held.validator), "%s",
					 rec->etag[0] ? rec->etag : rec->last_modified);
			}
			a.total = have;
			if (have > 0)
				a.hash = NULL;
		}
		a.file = file;
		a.current = file ? store_current(file) : NULL;
		if (have > 0 && held.coded) {
			/* Decoded bytes cannot be asked for by Range: start over. */
			err = restart_body(&a);
			have = 0;
			held.coded = false;
			if (err != FA_OK) {
				fetch_result_fail(res, err, "writing '%s': %s", relpath,
						  store_reason(err, store_errno(file), why_text,
							       sizeof(why_text)));
				break;
			}
		}
		if (t->gate && !t->gate->start(t->gate->arg)) {
			fetch_result_fail(res, FA_ERR_CANCELLED, "interrupted");
			break;
		}
		res->attempts = attempt;
		if (attempt == 1) {
			uint64_t now = sync_now_ns();

			res->start_ms = (double)(now - w->share->t0_ns) / 1e6;
			if (job->queued_ns && job->queued_ns < now)
				res->queue_ms = (double)(now - job->queued_ns) / 1e6;
		}
		cc = perform(w, job, &a, res);
		if (a.inflating) {
			inflateEnd(&a.zs);
			a.inflating = false;
		}
		have = a.total;
		res->transferred += a.bytes;
		if (a.restarted)
			resumed = 0; /* what -c found is gone */
		record_response(w, t, &a, cc, res);
		if (a.by_head && cc == CURLE_OK &&
		    (res->http_code == 405 || res->http_code == 501)) {
			/* HEAD not allowed or not implemented: GET, once, and
			 * not a retry */
			head_refused = true;
			attempt--;
			continue;
		}

		facts = attempt_facts(w, &a, cc, base, restarted, dead_reused, attempt);
		act = decide_attempt(&facts, &why);
		switch (act) {
		case ACT_DONE: {
			const char *skip;
			char *final = NULL;

			res->bytes = have;
			res->resumed = resumed < have ? resumed : have;
			skip = t->check ? t->check(t->check_arg, res, head, head_len) : NULL;
			if (skip) {
				discard_file(&file, false);
				fetch_result_skip(res, FA_OK, skip);
				return;
			}
			if (file && a.disposition[0] && store_name_taken(file, a.disposition)) {
				discard_file(&file, false); /* an empty body */
				fetch_result_skip(res, FA_ERR_EXISTS, "file exists");
				res->path = taken_path(relpath, a.disposition);
				return;
			}
			if (file) {
				/* the server's Last-Modified as the file's time, as
				 * wget sets it (and -N compares against it) */
				curl_off_t lm = o->server_timestamps ? remote_time(&a) : -1;

				if (lm >= 0)
					store_set_mtime(file, (time_t)lm);
				errno = 0;
				if (a.disposition[0])
					err = store_commit_as(file, a.disposition, &final);
				else if (res->content_type &&
					 sniff_type_matches(res->content_type,
							    "text/html,application/xhtml+xml"))
					err = store_commit_html(file, &final); /* NAME.html */
				else
					err = store_commit(file, &final);
				file = NULL;
				if (err != FA_OK) {
					fetch_result_fail(
					    res, err, "saving '%s': %s", relpath,
					    store_reason(err, errno, why_text, sizeof(why_text)));
					return;
				}
				res->path = final;
			}
			fetch_result_ok(res);
			return;
		}
		case ACT_SKIP:
			/* -N's saved copy lives in the file about to go */
			if (why == WHY_NOT_MODIFIED && a.current)
				res->path = strdup(a.current->path);
			a.current = NULL;
			discard_file(&file, false);
			res->bytes = 0;
			if (why == WHY_NAME_TAKEN) {
				fetch_result_skip(res, FA_ERR_EXISTS, "file exists");
				res->path = taken_path(relpath, a.disposition);
			} else if (why == WHY_COMPLETE) {
				fetch_result_skip(res, FA_ERR_EXISTS, "file exists");
				res->path = strdup(relpath);
			} else if (why == WHY_LONGER) {
				fetch_result_skip(res, FA_ERR_EXISTS,
						  "local file is longer than the remote one");
				res->path = strdup(relpath);
			} else if (why == WHY_NOT_MODIFIED) {
				fetch_result_skip(res, FA_ERR_EXISTS,
						  "not modified on the server (-N)");
			} else if (why == WHY_NO_CONTENT) {
				fetch_result_skip(res, FA_OK,
						  res->http_code == 205
						      ? "205 Reset Content: no body"
						      : "204 No Content: no body");
			} else {
				fetch_result_skip(res, FA_OK, "larger than --max-size");
			}
			return;
		case ACT_RESTART:
			/* Once per URL, and it does not use up a retry. */
			restarted = true;
			base = false;
			err = restart_body(&a);
			have = 0;
			held.known_total = -1;
			held.validator[0] = '\0';
			if (err != FA_OK) {
				fetch_result_fail(res, err, "writing '%s': %s", relpath,
						  store_reason(err, store_errno(file), why_text,
							       sizeof(why_text)));
				break;
			}
			attempt--;
			continue;
		case ACT_RETRY_NOW:
			/* A kept-alive connection the server had closed: again at
			 * once on a new one; not a failure of this URL. */
			dead_reused++;
			attempt--;
			continue;
		case ACT_RETRY_LATER:
		case ACT_FAIL: break;
		}
		if (act == ACT_RESTART)
			break; /* restart_body failed */
		switch (why) {
		case WHY_CANCELLED: fetch_result_fail(res, FA_ERR_CANCELLED, "interrupted"); break;
		case WHY_STORE:
			if (a.store_err == FA_ERR_NOMEM)
				fetch_result_fail(res, a.store_err, "out of memory");
			else
				fetch_result_fail(res, a.store_err, "writing '%s': %s", relpath,
						  store_reason(a.store_err,
							       file ? store_errno(file) : 0,
							       why_text, sizeof(why_text)));
			break;
		case WHY_FILESIZE:
			fetch_result_fail(res, FA_ERR_TRANSFER,
					  "Maximum file size exceeded (--max-filesize %lld bytes)",
					  (long long)o->max_filesize);
			break;
		case WHY_BAD_RANGE:
			fetch_result_fail(res, FA_ERR_TRANSFER,
					  "the server's 206 does not continue the %lld bytes held "
					  "(asked from byte %lld)",
					  (long long)a.range_from, (long long)a.range_from);
			break;
		case WHY_UNASKED:
			fetch_result_fail(res, FA_ERR_TRANSFER,
					  "a partial response (206) nobody asked for");
			break;
		case WHY_UNSATISFIED:
			fetch_result_fail(res, FA_ERR_HTTP,
					  "HTTP 416: bytes from %lld cannot be had",
					  (long long)a.range_from);
			break;
		case WHY_INCOMPLETE:
			fetch_result_fail(res, FA_ERR_TRANSFER,
					  "the body ended at byte %llu of %lld",
					  (unsigned long long)have, held.known_total);
			break;
		case WHY_CODING_CUT:
			fetch_result_fail(res, FA_ERR_TRANSFER,
					  "the %s body ended before its compressed stream did",
					  a.encoding);
			break;
		case WHY_CODING:
			fetch_result_fail(res, FA_ERR_TRANSFER,
					  "cannot decode the body (Content-Encoding: %s)",
					  a.encoding);
			break;
		case WHY_TRANSFER:
			fetch_result_fail(res, FA_ERR_TRANSFER, "%s", curl_reason(w, cc));
			break;
		default:
			fetch_result_fail(res, FA_ERR_HTTP, "HTTP %ld%s", facts.status,
					  auth_hint(o, job->url, &a, facts.status));
			break;
		}
		if (act == ACT_FAIL)
			break;
		wait_ms = retry_backoff_ms(attempt, o->retry_base_ms, o->retry_max_ms,
					   next_random(w->share));
		if (a.retry_after_ms >= 0)
			wait_ms = a.retry_after_ms < o->retry_after_max_ms ? a.retry_after_ms
									   : o->retry_after_max_ms;
		if (cancel_sleep_ms(wait_ms)) {
			fetch_result_fail(res, FA_ERR_CANCELLED, "interrupted");
			break;
		}
	}

	res->bytes = have;
	/* Bytes already written are a true prefix of the resource: with -c
	 * they stay for the next run, also on a full disk.  A content-coded
	 * body's decoded bytes cannot be continued by Range: not kept. */
	discard_file(&file, (o->keep_part || res->err == FA_ERR_CANCELLED) && !held.coded);
}

void fetch_buffer_release(struct fetch_buffer *buf)
{
	if (!buf)
		return;
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
	buf->truncated = false;
}

struct fetch_job *fetch_job_new(const char *url, enum fetch_job_kind kind)
{
	struct fetch_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->url = strdup(url);
	if (!job->url) {
		free(job);
		return NULL;
	}
	job->kind = kind;
	job->save = kind != JOB_ROBOTS;
	return job;
}

void fetch_job_free(void *p)
{
	struct fetch_job *job = p;

	if (!job)
		return;
	free(job->url);
	free(job->source);
	free(job->fleet_id);
	free(job);
}

void fetch_result_release(struct fetch_result *res)
{
	if (!res)
		return;
	free(res->url);
	free(res->final_url);
	free(res->path);
	free(res->content_type);
	free(res->robots_tag);
	free(res->error);
	free(res->source);
	free(res->fleet_id);
	memset(res, 0, sizeof(*res));
}

void fetch_result_free(void *p)
{
	fetch_result_release(p);
	free(p);
}
