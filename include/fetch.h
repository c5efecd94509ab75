/*
 * fetch: one URL's transfer with libcurl, retries included.
 *
 * A fetch_share holds what all workers share (libcurl's CURLSH for DNS,
 * connections and TLS sessions, the in-flight semaphore, live byte
 * counters); a fetch_worker is one thread's reusable easy handle, so
 * connections stay alive from one URL to the next.  fetch_run() takes one
 * job through name mapping, the store, up to 1 + retries attempts, and
 * fills a fetch_result for the reporter.
 */
#ifndef FA_FETCH_H
#define FA_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include <curl/curl.h>

#include "bsem.h"
#include "err.h"
#include "store.h"

/* --multiplex: which transfers a mux lane drives (mux.h), so that those to
 * one host share a connection; the others run on their fetch thread. */
enum fetch_multiplex {
	/* https:// ones to a host with another transfer in flight (the
	 * default): handshakes saved where a host is busy, no hand-over
	 * where it is not (a list of many hosts, a URL or three each) */
	FETCH_MUX_HTTPS,
	FETCH_MUX_ALL, /* every one */
	FETCH_MUX_NEVER,
};

struct fetch_opts {
	long connect_timeout_ms;        /* 0: libcurl's default */
	long idle_timeout_ms;           /* no byte for this long fails; 0: none */
	long max_time_ms;               /* whole transfer; 0: none */
	uint64_t limit_rate;            /* bytes/s of all transfers together; 0: none */
	uint64_t limit_rate_each;       /* bytes/s of each transfer; 0: none */
	long speed_limit;               /* bytes/s below which ... */
	long speed_time_s;              /* ... for this long aborts; 0: never */
	long max_redirs;                /* redirects followed at most */
	bool allow_file;                /* file:// URLs allowed (never on redirect) */
	bool insecure;                  /* skip TLS verification */
	enum fetch_multiplex multiplex; /* which transfers go through mux lanes */
	bool tree;                      /* -x: host/path layout */
	bool keep_part;                 /* -c: keep .part of a failed transfer */
	bool content_disposition;       /* name files as Content-Disposition says */
	const char *user_agent;         /* borrowed for the run */
	struct curl_slist *headers;     /* borrowed for the run; may be NULL */
	unsigned retries;               /* attempts after the first */
	long retry_base_ms;             /* first backoff */
	long retry_max_ms;              /* backoff cap */
	long retry_after_max_ms;        /* cap on a server's Retry-After */
	curl_off_t max_filesize;        /* 0: none */
	struct cookies *cookies;        /* the run's jar (borrowed); NULL: no cookies */
	const char *cookie_header;      /* -b 'NAME=VALUE; ...': sent as is; or NULL */
	bool server_timestamps;         /* a saved file's mtime is its Last-Modified */
	/* Authentication, proxies, where requests say they come from.  All
	 * strings are borrowed for the run; NULL: not given. */
	const char *user;       /* --user */
	const char *password;   /* its password */
	bool netrc;             /* credentials from netrc_file or ~/.netrc
				   for hosts without --user or URL ones */
	const char *netrc_file; /* NULL: ~/.netrc */
	bool location_trusted;  /* headers and credentials follow redirects
				   to other origins too */
	const char *proxy;      /* NULL: libcurl reads http_proxy & co */
	const char *no_proxy;   /* NULL: libcurl reads no_proxy */
	long ipresolve;         /* CURL_IPRESOLVE_WHATEVER, _V4 or _V6 */
	const char *referer;    /* for URLs not found on a page */
};

enum fetch_job_kind {
	JOB_FILE = 0, /* save it */
	JOB_PAGE,     /* fetch it, maybe save it, parse it for URLs */
	JOB_ROBOTS,   /* a host's robots.txt, for the frontier */
};

struct cookies;
struct frontier_host;

/* One URL to fetch.  Owned by whoever holds it; fetch_job_free(). */
struct fetch_job {
	char *url;                  /* absolute URL */
	char *source;               /* page it was found on; NULL if listed */
	struct frontier_host *host; /* set by frontier_next() */
	unsigned long line;         /* input line number, 0 if none */
	unsigned depth;             /* links followed from a listed URL */
	enum fetch_job_kind kind;
	bool save;              /* write the body to the store */
	bool transfer_over;     /* frontier_transfer_over() was called */
	char *fleet_id;         /* --redis: its inbox entry, acknowledged
				   once its result is written; or NULL */
	struct fetch_job *next; /* the frontier's queue link */
	uint64_t queued_ns;     /* when it was queued (monotonic ns) */
};

/* A new job for url (copied); NULL on OOM.  Other fields zero. */
struct fetch_job *fetch_job_new(const char *url, enum fetch_job_kind kind);

/* What happened to one URL; owned by whoever holds it; fetch_result_free().
 * Times are milliseconds of the last attempt, split by phase. */
/* Each result has exactly one outcome; set it only with the
 * fetch_result_ok/skip/fail() functions, which keep error, skip_reason and
 * err consistent with it. */
enum fetch_outcome {
	FETCH_FAILED = 0, /* error says why (never NULL) */
	FETCH_OK,         /* fetched (and saved, if it was to be saved) */
	FETCH_SKIPPED,    /* deliberately not fetched or not kept:
			     skip_reason says why (never NULL) */
};

struct fetch_result {
	char *url;          /* as given (the input line for a bad line) */
	char *final_url;    /* after redirects; NULL if none */
	char *path;         /* relative to the output dir; NULL if none */
	char *content_type; /* NULL if none */
	char *robots_tag;   /* the X-Robots-Tag header(s), ", "-joined; NULL if none */
	char *error;        /* set iff outcome is FETCH_FAILED */
	unsigned long line;
	enum fa_err err; /* FA_OK; FA_ERR_EXISTS when skipped as existing; the
			    failure's code when failed */
	enum fetch_outcome outcome;
	long http_code;
	unsigned attempts;
	uint64_t bytes;          /* body bytes now in the file */
	uint64_t transferred;    /* body bytes received in this run, all
				    attempts (a restarted body counts twice) */
	uint64_t resumed;        /* of `bytes`, those -c found on disk */
	const char *skip_reason; /* static text, set iff skipped: why */
	char *source;            /* the page the URL was found on; NULL if listed */
	char *fleet_id;          /* its job's fleet_id (see fetch_job); or NULL */
	uint64_t hash[2];        /* content hash of the body, if asked for */
	double queue_ms;         /* queued until its first request, plus slot waits */
	double start_ms;         /* first request sent, ms after the run began */
	double dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, total_ms;
};

/* The result is a success: outcome FETCH_OK, err FA_OK, no error and no
 * skip reason.  Not thread-safe on one result. */
void fetch_result_ok(struct fetch_result *res);

/* The result is skipped for reason (static text; why is FA_ERR_EXISTS for
 * an existing file, else FA_OK): no error.  Not thread-safe on one
 * result. */
void fetch_result_skip(struct fetch_result *res, enum fa_err why, const char *reason);

/* The result failed with err and a message (printf format): no skip
 * reason.  Not thread-safe on one result. */
void fetch_result_fail(struct fetch_result *res, enum fa_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Body bytes kept in memory (a page to parse, a robots.txt). */
struct fetch_buffer {
	char *data; /* heap; fetch_buffer_release() frees; NUL-terminated */
	size_t len, cap;
	size_t max;     /* bytes kept at most; the rest is not kept ... */
	bool truncated; /* ... and this says so */
};

/* Called around every attempt: start() may block (politeness) and returns
 * false to give up (the run is closing); end() reports the outcome, with
 * the milliseconds from the request to the response's first byte (-1 if
 * no response came).  in_flight (may be NULL) is told when the attempt's
 * transfer takes a slot of the in-flight bound (on) and gives it back
 * (off), never while it waits. */
struct fetch_gate {
	bool (*start)(void *arg);
	void (*end)(void *arg, long http_code, bool transport_error, long retry_after_ms,
		    long latency_ms);
	bool (*in_flight)(void *arg, bool on); /* the host busy (frontier_in_flight) */
	void *arg;
};

/* How much of a response is wanted (--spider reads no more than it must). */
enum fetch_want {
	FETCH_WANT_BODY = 0, /* all of it */
	/* the status alone: asked by HEAD; a server that refuses HEAD (405,
	 * 501) is asked by GET, whose body is then not read */
	FETCH_WANT_STATUS,
	/* the body only if it is HTML (a page to parse): a body of another
	 * Content-Type, or of an error status, is not read */
	FETCH_WANT_HTML,
};

/* Where a body goes and what may stop it.  Everything is optional. */
struct fetch_target {
	struct store *store;         /* save under the URL's name */
	struct fetch_buffer *buffer; /* keep in memory */
	const struct fetch_gate *gate;
	uint64_t max_size; /* larger bodies are skipped; 0: none */
	bool hash;         /* fill res->hash */
	enum fetch_want want;
	/* After a complete 2xx body, before it is saved: NULL to save it, or
	 * a static reason to skip it (the file is discarded).  head holds
	 * the body's first head_len (<= 64) bytes. */
	const char *(*check)(void *arg, const struct fetch_result *res, const unsigned char *head,
			     size_t head_len);
	void *check_arg;
};

struct fetch_share;
struct fetch_worker;

/* Connections one worker keeps open (libcurl's CURLOPT_MAXCONNECTS for its
 * handle).  Connections are never shared between workers. */
#define FETCH_CONNS_PER_WORKER 4

/* Body bytes of a transfer in a lane held in memory, to be written by the
 * transfer's own thread after it (fetch.c, stage_flush()); a longer body
 * is written as it arrives. */
#define FETCH_STAGE_MAX (256 * 1024)
/* Threads of a run with a stage at most: 8 MB of stages in all */
#define FETCH_STAGES_MAX 32

/* Sets glibc's allocator up for libcurl's per-transfer read buffer
 * (fetch.c says why); nothing elsewhere.  Call on the main thread before
 * any other starts. */
void fetch_tune_malloc(void);

/*
 * Makes the shared part: a CURLSH (the DNS cache and TLS sessions, one
 * mutex per kind of data; never connections, which libcurl does not
 * support sharing between threads) and the in-flight semaphore with bound
 * `inflight`.  opts is borrowed until fetch_share_free().  Returns NULL
 * on failure.  Call after curl_global_init().
 */
struct fetch_share *fetch_share_new(const struct fetch_opts *opts, unsigned inflight);

/* Frees the share; every worker must be freed first.  NULL is fine. */
void fetch_share_free(struct fetch_share *share);

/* No transfer will start any more (every worker is done with its jobs):
 * the --multiplex lanes close their connections and end now, on their
 * own threads, rather than in fetch_share_free().  NULL is fine. */
void fetch_share_quiesce(struct fetch_share *share);

/* Starts looking up the host of host_key ("host:port", url_host_key())
 * ahead of its first transfer (resolve.h).  Never blocks; thread-safe. */
void fetch_share_prefetch(struct fetch_share *share, const char *host_key);

/* Body bytes received so far by all workers (live, for progress).
 * Thread-safe. */
uint64_t fetch_share_bytes(const struct fetch_share *share);

/* The most transfers that were in flight at once.  Thread-safe. */
unsigned fetch_share_peak_active(const struct fetch_share *share);

/* Transfers in flight right now.  Thread-safe. */
unsigned fetch_share_active(const struct fetch_share *share);

/* The live counters together, for the progress line. */
struct fetch_share_live {
	uint64_t bytes;  /* fetch_share_bytes() */
	unsigned active; /* fetch_share_active() */
	/* Of the transfers in flight whose body's length is known (a
	 * Content-Length, uncoded): the body bytes they expect in all, and
	 * the part of them that has arrived (never more). */
	uint64_t sized_expected, sized_received;
};

/* A snapshot of the live counters; each is read atomically, not all at
 * one instant.  Thread-safe. */
struct fetch_share_live fetch_share_live(const struct fetch_share *share);

/*
 * Makes one worker's easy handle, configured from the share's options.
 * Returns NULL on failure.  A worker is used by one thread at a time.
 */
struct fetch_worker *fetch_worker_new(struct fetch_share *share);
void fetch_worker_free(struct fetch_worker *worker);

/*
 * Fetches job->url into the target and fills *res (zeroed first; the
 * caller frees its strings with fetch_result_release()).  Never prints.
 * Waits for a slot of the share's semaphore around each attempt, not
 * during backoff.  Stops early, with res->err FA_ERR_CANCELLED, when
 * cancel is raised.  Thread-safe across workers; one worker at a time.
 */
void fetch_run(struct fetch_worker *worker, const struct fetch_target *target,
	       const struct fetch_job *job, struct fetch_result *res);

/* Frees a buffer's data; leaves it empty (max kept).  NULL is fine. */
void fetch_buffer_release(struct fetch_buffer *buf);

/* Helpers for the types above; all accept NULL. */
void fetch_job_free(void *job);
void fetch_result_release(struct fetch_result *res);
void fetch_result_free(void *res);

#endif
