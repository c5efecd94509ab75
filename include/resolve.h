/*
 * resolve: host names looked up ahead of need, by a few threads of our
 * own, for libcurl to use as they are.
 *
 * libcurl's threaded resolver starts one thread per lookup, and a fetch
 * thread then waits for it: with thousands of hosts that is thousands of
 * threads and every lookup's latency on the critical path.  Here a host
 * is looked up when its first URL enters the frontier (resolver_prefetch),
 * by one of a small, bounded pool of threads calling getaddrinfo(), and
 * the answer is kept for a fixed lifetime.  Before a transfer, the fetch
 * thread takes the answer (resolver_get, waiting only if the lookup is
 * still running) and hands it to libcurl as a CURLOPT_RESOLVE entry, so
 * libcurl connects at once and starts no resolver thread of its own.
 *
 * A lookup that fails is not handed over: libcurl then looks the name up
 * itself and fails with its own words, as before.  Addresses keep
 * getaddrinfo()'s order (RFC 6724), IPv6 ones in brackets, and libcurl's
 * happy eyeballs choose among them.  Thread-safe.
 */
#ifndef FA_RESOLVE_H
#define FA_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

struct resolver;

/* Lookups at once at most: threads are started as lookups wait for
 * one, up to this, and live for the run (a slow resolver's latency is
 * hidden only by many lookups at once: 256 at 50 ms each is 5120 names a
 * second.  At 128, 2000 names at 50 ms took 0.95 s of a 6000-URL run
 * that took 0.44 s with fast DNS; at 256, 0.57 s).  How long an answer
 * is kept: libcurl's own DNS cache keeps one 60 s. */
#define RESOLVE_THREADS_MAX 256
/* Threads started whatever the lookups take; past them, only while the
 * resolver is far: each of the last few lookups took RESOLVE_SLOW_NS or
 * more (resolve.c, lookups_slow()). */
#define RESOLVE_THREADS_FAST 8
#define RESOLVE_SLOW_NS      (2 * 1000000ull)
/* Seconds a libcurl handle keeps a name the resolver handed it. */
#define RESOLVE_HANDLE_CACHE_S 5
#define RESOLVE_TTL_MS         60000
/* Names waiting for a thread at most; past it a prefetch is dropped (the
 * fetch then looks the name up itself, later). */
#define RESOLVE_QUEUE_MAX 65536

/* A resolver of at most `threads` threads (0: RESOLVE_THREADS_MAX),
 * started as needed, for addresses of family (AF_UNSPEC, AF_INET or
 * AF_INET6).  NULL on failure. */
struct resolver *resolver_new(unsigned threads, int family);

/* Stops and joins the threads (lookups running finish first), frees.
 * NULL is fine. */
void resolver_free(struct resolver *r);

/* Starts looking up the host of key ("host:port", as url_host_key()
 * gives it) unless its answer is known or coming.  Does nothing for an
 * IP address or a key without a host.  Never blocks. */
void resolver_prefetch(struct resolver *r, const char *key);

/*
 * The CURLOPT_RESOLVE entry for key's host ("+HOST:PORT:ADDR[,ADDR...]":
 * the + lets libcurl's cache expire it as its own) into out: looks it up
 * now if nobody asked before, waits at most timeout_ms (0: no limit) for
 * a lookup running.  Returns false, with out empty, when there is nothing
 * to hand over: an IP address or no host, a lookup that failed or did not
 * finish in time, an entry too long for out.
 */
bool resolver_get(struct resolver *r, const char *key, long timeout_ms, char *out, size_t outlen);

/* Whether key's lookup is over (answered or failed), so waiting longer
 * for it would change nothing. */
bool resolver_settled(struct resolver *r, const char *key);

/* Lookups done so far (for tests and the benchmark). */
unsigned long resolver_lookups(const struct resolver *r);

#endif
