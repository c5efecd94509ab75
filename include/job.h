/*
 * job: what a fetch thread does with one job from the frontier.
 *
 * A file is fetched and saved.  A page is fetched (saved too when the
 * crawl keeps pages), and if it is HTML it is parsed, in the thread or in
 * the parser process pool, and the URLs it yields become new jobs:
 * images (with --images or -p), requisites (-p), and, in a crawl, links
 * within scope and depth.  A host's robots.txt job sets the host's rules.
 * Every job except robots.txt gives one fetch_result to the reporter.
 */
#ifndef FA_JOB_H
#define FA_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"

struct frontier;
struct linkmap;
struct procpool;
struct queue;
struct scope;
struct store;
struct seen;

struct job_opts {
	bool images;              /* save the images pages show, not the pages */
	bool crawl;               /* follow links */
	bool requisites;          /* -p: also images, stylesheets and scripts */
	bool pages;               /* the URLs given are pages (cli_pages()) */
	unsigned max_depth;       /* links followed from a seed at most */
	uint64_t max_pages;       /* pages fetched at most (queued, less those
				     robots.txt refused); 0: no cap */
	size_t max_page_size;     /* larger pages are saved but not parsed */
	const char *accept_ext;   /* -A: names to keep (sniff_name_matches), NULL: all */
	const char *reject_ext;   /* -R: names never to keep, NULL: none */
	bool ignore_case;         /* -A/-R ignore case (--ignore-case) */
	const char *accept_types; /* --accept-type: comma list, NULL: all */
	uint64_t min_size, max_size;
	bool dedupe;              /* identical content saved once */
	const char *robots_agent; /* user agent for robots.txt groups */
	unsigned shard, nshards;  /* --shard K/N as K - 1, N; nshards 0: off */
	bool convert_links;       /* record what is saved where, for convert */
	bool robots_meta;         /* a crawl obeys <meta name="robots"> and
				     X-Robots-Tag (unless --no-robots) */
	unsigned jobs;            /* -j: sizes the results queue */
	bool spider;              /* --spider: nothing saved; files asked by
				     HEAD, pages read only if HTML */
};

struct job_stats {
	atomic_uint_fast64_t pages_parsed, parse_failures, pages_not_html, pages_too_big;
	atomic_uint_fast64_t links_found, links_unparsable, links_queued;
	atomic_uint_fast64_t links_over_cap; /* past HTML_MAX_LINKS on a page */
	atomic_uint_fast64_t parse_ns;       /* wall time spent parsing */
	atomic_uint_fast64_t pages_queued;
	atomic_uint_fast64_t other_shard; /* URLs passed over for other shards */
};

/* Shared by every worker; made by job_ctx_init() before the pool starts,
 * its frontier, store, procpool and scope then set by the caller. */
struct job_ctx {
	const struct job_opts *opts;
	struct store *store;
	struct frontier *frontier;
	struct procpool *procpool; /* NULL: parse in the fetch thread */
	struct queue *results;
	const struct scope *scope; /* a crawl's, else only the --include/--exclude
				      patterns; NULL if there are none */
	struct seen *content;      /* --dedupe fingerprints; under content_lock */
	struct linkmap *links;     /* --convert-links: what was saved where; or NULL */
	struct fleet *fleet;       /* --redis: links go to their shard's inbox */
	pthread_mutex_t content_lock;
	bool content_lock_made;
	struct job_stats stats;
};

/*
 * Makes what the context owns: the results queue, with --dedupe the
 * content set and its lock, with convert_links the link map; everything
 * else NULL.  opts is borrowed until job_ctx_release().  FA_ERR_NOMEM
 * leaves *ctx released.
 */
enum fa_err job_ctx_init(struct job_ctx *ctx, const struct job_opts *opts);

/* Frees what the context holds, the frontier, store and procpool set by
 * the caller included (the parser processes are reaped first); not the
 * scope, which is borrowed.  Call after every thread using it is gone.
 * A zeroed or released context is fine. */
void job_ctx_release(struct job_ctx *ctx);

struct job_worker;

/* Per-thread state: a fetch worker plus reusable buffers.  NULL on OOM. */
struct job_worker *job_worker_new(struct job_ctx *ctx, struct fetch_share *share);
void job_worker_free(struct job_worker *w);

/* The worker's next job from the frontier (frontier_next_after(): the
 * job it ran last done and freed, its host preferred).  Thread-safe
 * across workers. */
enum fa_err job_next(struct job_worker *w, struct fetch_job **job);

/* Runs job to the end; the worker keeps it until its next job_next() or
 * job_worker_free(), which tell the frontier it is done and free it.
 * Thread-safe across workers. */
void job_run(struct job_worker *w, struct fetch_job *job);

/*
 * Queues a listed URL or a seed (job->url and job->line set) as a job of
 * the right kind for the mode: a page with --images or --crawl, else a
 * file.  With --shard, a URL whose host belongs to another shard is
 * dropped and counted in stats.other_shard, with no result.  A file the
 * --include/--exclude patterns refuse is not queued: it gets a skipped
 * result saying which rule refused it.  Blocks while the frontier is
 * full.  Takes ownership of job.
 */
/* What a listed URL or seed is in this run's mode: its kind (a page with
 * --images or --crawl, else a file), depth 0, and whether it is kept. */
void job_seed_prepare(const struct job_ctx *ctx, struct fetch_job *job);

enum fa_err job_add_seed(struct job_ctx *ctx, struct fetch_job *job);

/* Whether job_add_seed() would queue url, not drop it (another shard's)
 * or skip it (refused by --include/--exclude): for listed URLs never
 * handed to it, after a cancel.  Thread-safe. */
bool job_seed_wanted(const struct job_ctx *ctx, const char *url);

#endif
