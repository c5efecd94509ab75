/*
 * main: wiring only.
 *
 * Start-up happens here, on the one thread, before any other starts:
 * SIGPIPE ignored, curl_global_init(), xmlInitParser(), the signal
 * watcher.  Then the threads of the design: the reporter (draining
 * results), J fetch workers (draining jobs) and the reader (filling jobs).
 * Shutdown runs the other way: the reader closes the job queue when the
 * list ends (or on cancel), the workers drain it and are joined, then the
 * results queue is closed and the reporter joined.  Every thread is
 * joined before global cleanup.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "cancel.h"
#include "cli.h"
#include "fetch.h"
#include "input.h"
#include "pool.h"
#include "queue.h"
#include "report.h"
#include "store.h"

struct run {
	struct fetch_share *share;
	struct store *store;
	struct queue *jobs;
	struct queue *results;
	struct report *report;
};

/* One fetch thread's state: its easy handle and the run it serves. */
struct worker {
	struct fetch_worker *fetch;
	struct run *run;
};

static void *worker_init(void *arg, unsigned index)
{
	struct worker *w = malloc(sizeof(*w));

	(void)index;
	if (!w)
		return NULL;
	w->run = arg;
	w->fetch = fetch_worker_new(w->run->share);
	if (!w->fetch) {
		free(w);
		return NULL;
	}
	return w;
}

static void worker_run(void *state, void *job)
{
	struct worker *w = state;
	struct fetch_result *res = malloc(sizeof(*res));

	if (res) {
		fetch_run(w->fetch, w->run->store, job, res);
		/* The queue takes the result, and frees it if closed. */
		queue_push(w->run->results, res);
	}
	fetch_job_free(job);
}

static void worker_fini(void *state)
{
	struct worker *w = state;

	fetch_worker_free(w->fetch);
	free(w);
}

static void list_done(void *arg, uint64_t total, bool complete)
{
	struct run *run = arg;

	if (complete)
		report_set_total(run->report, total);
}

static void on_cancel(void *arg)
{
	struct run *run = arg;

	/* Stop taking new URLs; queued ones drain as "interrupted". */
	queue_close(run->jobs);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	static const struct pool_ops ops = {worker_init, worker_run, worker_fini};
	struct fa_opts opts;
	struct fetch_opts fo;
	struct report_opts ro;
	struct run run = {0};
	struct input *in = NULL;
	struct pool *pool = NULL;
	struct input_sink sink;
	struct timespec t0;
	char err[1024] = "";
	int status = REPORT_EXIT_USAGE;
	enum cli_action action;
	size_t qcap;

	signal(SIGPIPE, SIG_IGN);
	action = cli_parse(argc, argv, &opts, stdout, err, sizeof(err));
	if (action != CLI_RUN) {
		if (action == CLI_USAGE)
			fprintf(stderr, "fetchall: %s\n", err);
		cli_release(&opts);
		return action == CLI_EXIT_OK ? 0 : REPORT_EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "fetchall: libcurl failed to initialise\n");
		cli_release(&opts);
		return REPORT_EXIT_USAGE;
	}
	xmlInitParser();
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (input_open(opts.list, &in, err, sizeof(err)) != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		goto out;
	}
	if (store_new(opts.output_dir,
		      (opts.cont ? STORE_CONTINUE : 0) | (opts.no_clobber ? STORE_NO_CLOBBER : 0),
		      &run.store, err, sizeof(err)) != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		goto out;
	}
	if (opts.insecure && !opts.quiet)
		fprintf(stderr,
			"fetchall: warning: --insecure: TLS certificates are not verified\n");

	fo = (struct fetch_opts){
	    .connect_timeout_ms = opts.connect_timeout_ms,
	    .timeout_ms = opts.timeout_ms,
	    .speed_limit = opts.speed_limit,
	    .speed_time_s = opts.speed_time_s,
	    .max_redirs = opts.max_redirs,
	    .allow_file = opts.allow_file,
	    .insecure = opts.insecure,
	    .tree = opts.tree,
	    .keep_part = opts.cont,
	    .user_agent = opts.user_agent,
	    .headers = opts.headers,
	    .retries = opts.retries,
	    .retry_base_ms = opts.retry_wait_ms,
	    .retry_max_ms = opts.retry_max_wait_ms,
	    .retry_after_max_ms = opts.retry_after_max_ms,
	    .max_filesize = opts.max_filesize,
	};
	ro = (struct report_opts){
	    .json = opts.json,
	    .quiet = opts.quiet,
	    .verbose = opts.verbose,
	    .progress = isatty(STDERR_FILENO) == 1,
	    .out = stdout,
	    .err = stderr,
	};
	qcap = opts.jobs * 2 < 64 ? 64 : opts.jobs * 2;
	run.share = fetch_share_new(&fo, opts.jobs);
	run.jobs = queue_new(qcap, fetch_job_free);
	run.results = queue_new(qcap, fetch_result_free);
	run.report = run.share ? report_new(&ro, run.share) : NULL;
	if (!run.share || !run.jobs || !run.results || !run.report) {
		fprintf(stderr, "fetchall: out of memory setting up\n");
		goto out;
	}
	if (cancel_init(on_cancel, &run) != FA_OK) {
		fprintf(stderr, "fetchall: cannot set up signal handling\n");
		goto out;
	}
	if (report_start(run.report, run.results) != FA_OK) {
		fprintf(stderr, "fetchall: cannot start the reporter thread\n");
		goto out_cancel;
	}
	if (pool_new(opts.jobs, run.jobs, &ops, &run, &pool) != FA_OK) {
		fprintf(stderr, "fetchall: cannot start %u worker threads\n", opts.jobs);
		goto out_report;
	}
	sink = (struct input_sink){
	    .jobs = run.jobs,
	    .results = run.results,
	    .allow_file = opts.allow_file,
	    .done = list_done,
	    .arg = &run,
	};
	if (input_start(in, &sink) != FA_OK) {
		fprintf(stderr, "fetchall: cannot start the reader thread\n");
		queue_close(run.jobs);
		pool_join(pool);
		goto out_report;
	}
	input_join(in);
	pool_join(pool);
	queue_close(run.results);
	report_join(run.report);
	report_summary(run.report, seconds_since(&t0));
	status = report_exit_code(run.report, cancel_requested());
	goto out_cancel;

out_report:
	queue_close(run.results);
	report_join(run.report);
out_cancel:
	cancel_release();
out:
	report_free(run.report);
	queue_free(run.jobs);
	queue_free(run.results);
	fetch_share_free(run.share);
	store_free(run.store);
	input_free(in);
	cli_release(&opts);
	xmlCleanupParser();
	curl_global_cleanup();
	return status;
}
