/*
 * procpool: HTML parsing in worker processes.
 *
 * `-P N` starts N parser workers with posix_spawn of fetchall itself
 * (`fetchall --parse-worker`, hidden); fetch threads hand them (url,
 * body) and get back the extracted URL list as length-prefixed frames over
 * pipes.  A worker that crashes, passes the parse timeout or its memory cap
 * (setrlimit) is killed, reaped and replaced; that page is reported as a
 * parse failure and the run goes on.
 */
#ifndef FA_PROCPOOL_H
#define FA_PROCPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "html.h"

struct procpool_opts {
	unsigned nprocs;          /* workers, >= 1 */
	long timeout_ms;          /* per page; a worker over it is killed */
	uint64_t mem_limit_bytes; /* RLIMIT_AS of each worker; 0: none */
	const char *exe;          /* program to spawn; NULL: /proc/self/exe */
	char *const *argv;        /* its argv; NULL: {"fetchall", "--parse-worker", NULL} */
};

/* Counters for reports; a snapshot. */
struct procpool_stats {
	uint64_t pages;      /* parsed successfully */
	uint64_t failures;   /* crashed, timed out or over memory */
	uint64_t restarts;   /* workers replaced */
	uint64_t bytes_in;   /* page bytes sent to workers */
	double parse_ms;     /* wall time of parse requests, summed */
	double worker_cpu_s; /* CPU seconds used by workers (reaped ones
				exactly, live ones from /proc) */
};

struct procpool;

/*
 * Starts the workers.  opts is copied (exe/argv borrowed until
 * procpool_free()).  Returns FA_OK and *out, or FA_ERR_IO / FA_ERR_NOMEM
 * with errbuf naming the problem; nothing is left running on failure.
 */
enum fa_err procpool_new(const struct procpool_opts *opts, struct procpool **out, char *errbuf,
			 size_t errlen);

/*
 * Parses one page in a worker: blocks until a worker is free, sends it the
 * page, waits for its answer (at most timeout_ms, and returns early on
 * cancel).  On FA_OK appends the URLs of the kinds asked for to *out, as
 * html_extract() would.  On failure returns FA_ERR_PARSE (worker crashed,
 * timed out, exceeded memory: errbuf says which; the worker was replaced),
 * FA_ERR_CANCELLED or FA_ERR_NOMEM.  Thread-safe: called by many fetch
 * threads at once.
 */
enum fa_err procpool_parse(struct procpool *pool, const char *page_url, const char *charset,
			   const char *body, size_t len, unsigned kinds, struct html_links *out,
			   char *errbuf, size_t errlen);

/* Snapshot of the counters.  Thread-safe. */
struct procpool_stats procpool_stats(struct procpool *pool);

/* Stops every worker (closes its pipes, then SIGKILL after a grace
 * period), reaps them all, frees the pool.  NULL is fine.  Call after
 * every thread using the pool is done. */
void procpool_free(struct procpool *pool);

/*
 * The worker's side: reads request frames from in_fd, parses with
 * html_extract(), writes answer frames to out_fd, until in_fd reaches end
 * of file.  Returns the process exit code.  Called by main for
 * `fetchall --parse-worker`.
 */
int procpool_worker_main(int in_fd, int out_fd);

#endif
