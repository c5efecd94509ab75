/*
 * mux: transfers driven from one thread each, so that transfers to one
 * host share a connection (HTTP/2 multiplexing, one TLS handshake).
 *
 * A fetch thread owns its libcurl handle and, calling curl_easy_perform(),
 * its connections (fetch.c).  Over HTTPS that costs a handshake per thread
 * and host, and the streams HTTP/2 could carry side by side on one
 * connection each need a connection of their own.  A mux lane is one
 * thread with a libcurl multi handle: a fetch thread hands its easy handle
 * to the lane of the transfer's host (mux_perform) and waits; the lane
 * adds it to its multi handle with CURLOPT_PIPEWAIT (a second transfer to
 * a host waits for the first connection to say whether it multiplexes,
 * rather than opening another), drives every transfer it holds, and hands
 * the handle back with its result.  libcurl's callbacks then run on the
 * lane's thread while the fetch thread that owns their state waits, so
 * that state still has one user at a time; the hand-over (an atomic push,
 * a semaphore back) orders the two threads' accesses.  A lane starts, its
 * thread and multi handle made, with the first transfer that wants it: a
 * run with nothing to multiplex has no lane threads.  The bounded semaphore
 * is taken by the fetch thread as before: each transfer in a lane holds
 * its slot.
 *
 * Callbacks must not block a lane for long: a sleeping one (--limit-rate's
 * pacing) would stall every transfer in it, so such runs do not use lanes
 * (fetch.c decides).  Thread-safe.
 */
#ifndef FA_MUX_H
#define FA_MUX_H

#include <curl/curl.h>

struct mux;

/* Lanes, at most: a host's transfers always go to one lane. */
#define MUX_LANES_MAX 8

/* Room for `lanes` lanes (1..MUX_LANES_MAX), none started yet.  NULL on
 * failure. */
struct mux *mux_new(unsigned lanes);

/* Tells every lane to stop, without waiting: each closes its connections
 * and ends on its own thread.  Call when no mux_perform() is running and
 * none will start (the run's transfers are over), as early as that is
 * known.  Idempotent; NULL is fine. */
void mux_stop(struct mux *m);

/* mux_stop(), then joins the lanes and frees.  NULL is fine. */
void mux_free(struct mux *m);

/*
 * curl_easy_perform(easy) on the lane for host_key ("host:port"): blocks
 * until the transfer is over and returns its result.  The caller must not
 * touch easy meanwhile; libcurl's callbacks run on the lane's thread.
 * CURLE_OUT_OF_MEMORY if the lane cannot take it.  A lane that cannot be
 * started (no thread, no multi handle) leaves the transfer to this
 * thread: curl_easy_perform(easy) here, as without lanes.  The first
 * transfer a thread hands to a lane makes that thread SCHED_BATCH if it
 * had the default policy (mux.c says why); lane threads keep theirs.
 */
CURLcode mux_perform(struct mux *m, const char *host_key, CURL *easy);

#endif
