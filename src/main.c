/*
 * main: wiring only.
 *
 * Start-up happens here, on the one thread, before any other starts:
 * SIGPIPE ignored, curl_global_init(), libxml2 (loaded and initialised
 * only when the run parses pages: xmlload.h), the signal
 * watcher.  Then the threads of the design: the reporter (draining
 * results), J fetch workers (taking jobs from the frontier) and the reader
 * (feeding the frontier from the list).  Shutdown runs the other way: the
 * reader tells the frontier when the list is in; the workers stop when the
 * frontier has nothing queued or active and are joined; then the results
 * queue is closed and the reporter joined.  Every thread is joined and
 * every parser process reaped before global cleanup.
 *
 * `fetchall --parse-worker` is the parser process's entry: it runs the
 * worker loop on stdin/stdout and nothing else.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cancel.h"
#include "cli.h"
#include "compare.h"
#include "convert.h"
#include "cookies.h"
#include "fetch.h"
#include "fleet.h"
#include "frontier.h"
#include "input.h"
#include "job.h"
#include "linkmap.h"
#include "pool.h"
#include "procpool.h"
#include "queue.h"
#include "report.h"
#include "scope.h"
#include "seen.h"
#include "store.h"
#include "sync.h"
#include "url.h"
#include "xmlload.h"

struct run {
	struct fetch_share *share;
	struct job_ctx ctx;
	struct report *report;
	struct scope *scope; /* a crawl's, while its seeds are read */
	bool list_complete;  /* every URL given was read (set by the reader) */
	uint64_t n_args;     /* URLs given as arguments, before the list's */
};

static void *worker_init(void *arg, unsigned index)
{
	struct run *run = arg;

	(void)index;
	return job_worker_new(&run->ctx, run->share);
}

static void worker_run(void *state, void *job)
{
	job_run(state, job);
}

/* --redis: the feeder's ways into this run (fleet.h) */
static enum fa_err fleet_deliver(void *arg, struct fetch_job *job, bool replay)
{
	struct run *run = arg;
	bool crawl = run->ctx.opts->crawl;

	/* a start URL or a listed one is what this run's mode makes it */
	if (job->depth == 0 && !job->source)
		job_seed_prepare(&run->ctx, job);
	if (crawl && replay)
		(void)frontier_mark_seen(run->ctx.frontier, job->url);
	return frontier_add(run->ctx.frontier, job, crawl && !replay, true);
}

static size_t fleet_waiting(void *arg)
{
	struct run *run = arg;

	return frontier_stats(run->ctx.frontier).queued;
}

static void fleet_mark_seen(void *arg, uint64_t fp)
{
	struct run *run = arg;

	(void)frontier_mark_seen_fp(run->ctx.frontier, fp);
}

static void fleet_done(void *arg)
{
	struct run *run = arg;

	frontier_input_done(run->ctx.frontier);
}

/* A crawl's start URLs into the job (once per job: fleet_seed). */
static enum fa_err fleet_seed_urls(struct run *run, const struct fa_opts *o)
{
	const char **urls = calloc(o->n_urls ? o->n_urls : 1, sizeof(*urls));
	char *kinds = calloc(2 * o->n_urls + 1, 1);
	enum fa_err err = FA_ERR_NOMEM;

	if (urls && kinds) {
		for (size_t i = 0; i < o->n_urls; i++) {
			struct fetch_job probe = {.url = (char *)o->urls[i]};

			job_seed_prepare(&run->ctx, &probe);
			urls[i] = o->urls[i];
			kinds[2 * i] = probe.kind == JOB_PAGE ? 'p' : 'f';
			kinds[2 * i + 1] = probe.save ? '1' : '0';
		}
		err = fleet_seed(run->ctx.fleet, urls, kinds, o->n_urls);
	}
	free(urls);
	free(kinds);
	return err;
}

/* --redis --enqueue: the URLs given (arguments, then the list) into the
 * job's incoming stream, where its workers split them by host; those
 * --include/--exclude refuse are left out, as a run would skip them.
 * Bad lines are said on stderr as a run says them.  Exit 0, or 1 if any
 * line was bad, 2 if Redis cannot be reached or a pattern is bad. */
struct enqueue {
	struct fleet *fleet;
	const struct scope *scope; /* --include/--exclude, or NULL */
	uint64_t sent, refused;
};

/* fleet_send()'s result (FA_OK for a URL left out). */
static enum fa_err enqueue_one(struct enqueue *q, const char *url, unsigned long line)
{
	enum fa_err err;

	if (q->scope && scope_patterns_refusal(q->scope, url)) {
		q->refused++;
		return FA_OK;
	}
	err = fleet_send(q->fleet, url, 0, NULL, 'f', true, line, true);
	q->sent += err == FA_OK;
	return err;
}

static enum fa_err enqueue_push(void *arg, struct fetch_job *job)
{
	enum fa_err err = enqueue_one(arg, job->url, job->line);

	fetch_job_free(job);
	return err;
}

static struct scope *make_scope(const struct fa_opts *o, bool crawl, char *err, size_t errlen);

static int run_enqueue(const struct fa_opts *o, struct input *in)
{
	struct fleet_opts fl = {.redis = o->redis, .job = o->job, .quiet = o->quiet};
	struct report_opts ro = {.quiet = o->quiet, .out = stdout, .err = stderr};
	struct fleet *fleet = NULL;
	struct scope *scope = NULL;
	struct queue *results = queue_new(64, fetch_result_free);
	struct report *rep = report_new(&ro, NULL);
	struct input_sink sink = {
	    .push = enqueue_push, .results = results, .allow_file = o->allow_file};
	char err[512];
	struct enqueue q = {0};
	int status = REPORT_EXIT_USAGE;

	if (!results || !rep) {
		fprintf(stderr, "fetchall: out of memory\n");
		goto out;
	}
	if (o->n_includes || o->n_excludes) {
		scope = make_scope(o, false, err, sizeof(err));
		if (!scope) {
			fprintf(stderr, "fetchall: %s\n", err);
			goto out;
		}
	}
	if (fleet_open(&fl, &fleet, err, sizeof(err)) != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		goto out;
	}
	if (fleet_start(fleet, NULL) != FA_OK || report_start(rep, results) != FA_OK) {
		fprintf(stderr, "fetchall: cannot start a thread\n");
		queue_close(results);
		goto out;
	}
	q.fleet = fleet;
	q.scope = scope;
	sink.arg = &q;
	for (size_t i = 0; i < o->n_urls; i++)
		enqueue_one(&q, o->urls[i], 0);
	if (in)
		input_read(in, &sink);
	fleet_sync(fleet);
	queue_close(results);
	report_join(rep);
	if (!o->quiet) {
		char left_out[64] = "";

		if (q.refused)
			snprintf(left_out, sizeof(left_out),
				 " (%llu left out by --include/--exclude)",
				 (unsigned long long)q.refused);
		fprintf(stderr, "fetchall: enqueued %llu URLs to job %s%s\n",
			(unsigned long long)q.sent, o->job, left_out);
	}
	status = report_counts(rep).failed ? REPORT_EXIT_SOME_FAILED : REPORT_EXIT_OK;
out:
	fleet_free(fleet);
	scope_free(scope);
	report_free(rep);
	queue_free(results);
	return status;
}

/* How far the list is read ahead of the fetchers, beyond 4 URLs a slot:
 * the hosts of these URLs are looked up meanwhile (resolve.h), so at a
 * few thousand URLs a second a slow resolver's 50 ms are behind the
 * reading, not in front of a transfer; and a host's URLs a few thousand
 * lines apart are queued together, so the thread that takes one goes on
 * with the others over its open connection (frontier_next()): 6000 URLs
 * over 2000 hosts, each host's three 2000 lines apart, took 6000
 * connections with 1024 here and 2015 with 8192.  A few hundred bytes a
 * URL (1.2 MB more peak RSS): the list still streams in flat memory. */
#define LIST_AHEAD 8192

static void host_prefetch(void *share, const char *key)
{
	fetch_share_prefetch(share, key);
}

static void worker_fini(void *state)
{
	job_worker_free(state);
}

static enum fa_err worker_next(void *frontier, void *state, void **job)
{
	(void)frontier;
	return job_next(state, (struct fetch_job **)job);
}

static void frontier_stop(void *frontier)
{
	frontier_close(frontier);
}

static enum fa_err push_listed(void *arg, struct fetch_job *job)
{
	struct run *run = arg;
	char why[256];

	if (run->scope && scope_add_seed(run->scope, job->url, why, sizeof(why)) != FA_OK) {
		fetch_job_free(job);
		return FA_ERR_NOMEM;
	}
	return job_add_seed(&run->ctx, job);
}

static void list_done(void *arg, uint64_t total, bool complete)
{
	struct run *run = arg;

	run->list_complete = run->list_complete && complete;
	/* other shards' lines are no part of this run */
	if (complete && !run->ctx.opts->pages)
		report_set_total(run->report,
				 run->n_args + total - atomic_load(&run->ctx.stats.other_shard));
	frontier_input_done(run->ctx.frontier);
}

/* The list counted ahead: the total until the reader gives the exact one
 * (a list, without --shard, whose lines all make a result each). */
static void list_counted(void *arg, uint64_t total)
{
	struct run *run = arg;

	report_offer_total(run->report, run->n_args + total);
}

/* After a cancel: a URL of the list that never became a job is not done,
 * so it goes on the --save-failed list (unless this run would have let it
 * be: another shard's, or refused by --include/--exclude). */
static void list_unread(void *arg, const char *url)
{
	struct run *run = arg;

	if (job_seed_wanted(&run->ctx, url))
		report_failed_put(run->report, url);
}

static void on_cancel(void *arg)
{
	struct run *run = arg;

	/* Stop handing out jobs; transfers in flight abort on their own. */
	frontier_close(run->ctx.frontier);
}

/* Queues the URLs given as arguments, then streams the list (if any) into
 * the frontier; tells the frontier when all input is in. */
static void feed(struct run *run, const struct fa_opts *o, struct input *in)
{
	struct input_sink sink = {
	    .push = push_listed,
	    .results = run->ctx.results,
	    .allow_file = o->allow_file,
	    .done = list_done,
	    .arg = run,
	    /* a crawl, --images or -p run cannot name every URL it did not
	     * reach (see failed_whole) */
	    .unread = report_failed_active(run->report) && !cli_pages(o) ? list_unread : NULL,
	    /* another shard's lines are known only as they are read; and
	     * without a progress line nothing shows the count, which reads
	     * the whole list a second time (a thread and 80 MB read for a
	     * million URLs) */
	    .counted = report_draws_progress(run->report) && !cli_pages(o) && !o->nshards
			   ? list_counted
			   : NULL,
	};

	run->list_complete = true;
	run->n_args = o->n_urls;
	for (size_t i = 0; i < o->n_urls; i++) {
		/* as a list's lines are (url_check): one string everywhere */
		char *url = url_escape_non_utf8(o->urls[i]);
		struct fetch_job *job = url ? fetch_job_new(url, JOB_FILE) : NULL;
		enum fa_err err = job ? job_add_seed(&run->ctx, job) : FA_ERR_NOMEM;

		free(url);
		if (err == FA_ERR_NOMEM) {
			fprintf(stderr, "fetchall: out of memory\n");
			run->list_complete = false;
			break;
		}
		if (err != FA_OK && sink.unread && cancel_requested())
			sink.unread(run, o->urls[i]);
	}
	if (!in) {
		if (!cli_pages(o))
			report_set_total(run->report,
					 o->n_urls - atomic_load(&run->ctx.stats.other_shard));
		frontier_input_done(run->ctx.frontier);
		return;
	}
	input_read(in, &sink); /* here: this thread only waits meanwhile */
}

/* Builds the crawl scope from the options and the seed URLs; without
 * `crawl`, only the --include/--exclude patterns.  NULL with err filled if
 * an argument is wrong (a regex that does not compile, say). */
static struct scope *make_scope(const struct fa_opts *o, bool crawl, char *err, size_t errlen)
{
	struct scope *s = scope_new();
	enum fa_err e = FA_OK;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (crawl) {
		scope_set_span_hosts(s, o->span_hosts);
		scope_set_no_parent(s, o->no_parent);
		for (size_t i = 0; e == FA_OK && i < o->n_urls; i++)
			e = scope_add_seed(s, o->urls[i], err, errlen);
		if (e == FA_OK && o->domains)
			e = scope_add_domains(s, o->domains, err, errlen);
	}
	for (size_t i = 0; e == FA_OK && i < o->n_includes; i++)
		e = scope_add_include(s, o->includes[i], err, errlen);
	for (size_t i = 0; e == FA_OK && i < o->n_excludes; i++)
		e = scope_add_exclude(s, o->excludes[i], err, errlen);
	if (e == FA_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	if (e != FA_OK) {
		scope_free(s);
		return NULL;
	}
	return s;
}

/* The product token of the User-Agent, for robots.txt groups. */
static void robots_agent(const char *ua, char *out, size_t len)
{
	size_t n = strcspn(ua, "/ ");

	if (n == 0 || n >= len) {
		snprintf(out, len, "fetchall");
		return;
	}
	memcpy(out, ua, n);
	out[n] = '\0';
}

static void failed_put_job(void *arg, struct fetch_job *job)
{
	struct run *run = arg;

	report_failed_put(run->report, job->url);
	fetch_job_free(job);
}

/* Whether the --save-failed list now names every URL not done, once the
 * workers and the reporter are gone: adds the jobs a cancel left queued.
 * An interrupted crawl or --images run never saw the links of the pages
 * it did not reach, and a list not read to its end (a pipe that did not
 * end soon after the cancel, a read error) hides the rest: then false,
 * and why, unless -q. */
static bool failed_whole(struct run *run, const struct fa_opts *o)
{
	const char *why = NULL;

	if (cli_pages(o) && cancel_requested())
		why = "a crawl, --images or -p run cannot name what it did not reach; run it "
		      "again with -c";
	else if (!run->list_complete)
		why = "the rest of the list was not read";
	if (why) {
		if (!o->quiet)
			fprintf(stderr, "fetchall: --save-failed list '%s' left as it was: %s\n",
				o->save_failed, why);
		return false;
	}
	frontier_drain(run->ctx.frontier, failed_put_job, run);
	return true;
}

/* --stats FILE (hidden): the run's numbers for --compare's parent. */
static void write_stats(const struct run *run, const char *path)
{
	const struct job_stats *st = &run->ctx.stats;
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "fetchall: cannot write '%s': %s\n", path, strerror(errno));
		return;
	}
	fprintf(f,
		"{\"peak_inflight\":%u,\"pages_parsed\":%llu,\"parse_s\":%.6f,"
		"\"parse_failures\":%llu,\"parser_cpu_s\":%.6f}\n",
		fetch_share_peak_active(run->share),
		(unsigned long long)atomic_load(&st->pages_parsed),
		(double)atomic_load(&st->parse_ns) / 1e9,
		(unsigned long long)atomic_load(&st->parse_failures),
		run->ctx.procpool ? procpool_stats(run->ctx.procpool).worker_cpu_s : 0.0);
	fclose(f);
}

/* `-o file.iso` makes a directory file.iso/: say so, once, where a user
 * may have meant -O (wget's and curl's habits differ). */
static void note_dir_like_file(const struct fa_opts *o)
{
	struct stat st;

	if (o->quiet || o->output_doc || !cli_dir_looks_like_file(o->output_dir) ||
	    stat(o->output_dir, &st) == 0 || errno != ENOENT)
		return;
	fprintf(stderr,
		"fetchall: note: -o '%s' makes a new directory to save files in; to save one URL "
		"as that file, use -O '%s'\n",
		o->output_dir, o->output_dir);
}

/*
 * Each worker needs a few descriptors (its own connections, and the socket
 * pair libcurl's internal multi handle keeps), so -j in the hundreds passes
 * the usual soft limit of 1024 open files.  Raise the soft limit to the
 * hard one, as nginx and aria2 do; if even that is too low, say so.
 */
static void raise_fd_limit(unsigned threads, unsigned jobs, bool quiet)
{
	struct rlimit lim;
	rlim_t want = (rlim_t)threads * (FETCH_CONNS_PER_WORKER + 2) + 64;

	if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
	    lim.rlim_cur >= want)
		return;
	lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max > want ? want : lim.rlim_max;
	setrlimit(RLIMIT_NOFILE, &lim);
	if (lim.rlim_cur < want && !quiet)
		fprintf(stderr,
			"fetchall: warning: only %llu open files allowed; -j %u may need %llu\n",
			(unsigned long long)lim.rlim_cur, jobs, (unsigned long long)want);
}

/*
 * Fetch threads: more than transfer slots, so the bounded semaphore (bound
 * -j) is what bounds transfers.  A thread whose page waits for or is in
 * parsing, or that waits for a host's next allowed start, holds no slot:
 * the extra threads keep -j transfers going meanwhile.  With -P N, two a
 * parser process (one page in it, one waiting), which also bounds the
 * pages held for parsing; without, one a core (in-thread parsing is CPU
 * work), at least two.
 */
static unsigned fetch_threads(const struct fa_opts *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned extra = o->parse_procs > 0 ? 2 * o->parse_procs
					    : (cores > 2 ? (unsigned)(cores > 16 ? 16 : cores) : 2);

	return o->jobs + extra;
}

int main(int argc, char **argv)
{
	static const struct pool_ops ops = {worker_init, worker_run, worker_fini, worker_next,
					    frontier_stop};
	struct fa_opts opts;
	struct fetch_opts fo;
	struct report_opts ro;
	struct job_opts jo;
	struct frontier_opts fro;
	struct run run = {0};
	struct input *in = NULL;
	struct pool *pool = NULL;
	unsigned threads;
	struct scope *scope = NULL;
	struct convert_totals converted = {0};
	uint64_t t0;
	char err[1024] = "", agent[64];
	int status = REPORT_EXIT_USAGE;
	enum cli_action action;
	struct store *store = NULL;
	bool parses; /* pages are parsed (--images, --crawl) */
	struct cookies *cookies = NULL;
	struct fleet *fleet = NULL;
	unsigned store_flags, pool_flags;

	signal(SIGPIPE, SIG_IGN);
	url_locale_init(); /* IDN hosts: see url.h */
	action = cli_parse(argc, argv, &opts, stdout, err, sizeof(err));
	if (action != CLI_RUN) {
		if (action == CLI_USAGE)
			fprintf(stderr, "fetchall: %s\n", err);
		cli_release(&opts);
		return action == CLI_EXIT_OK ? 0 : REPORT_EXIT_USAGE;
	}
	if (opts.parse_worker) {
		cli_release(&opts);
		if (xmlload_need() != FA_OK) {
			fprintf(stderr, "fetchall: %s\n", xmlload_error());
			return REPORT_EXIT_USAGE;
		}
		status = procpool_worker_main(STDIN_FILENO, STDOUT_FILENO);
		xmlload_release();
		return status;
	}
	/* before --compare's runs, which take the password from the parent */
	if (cli_credentials(&opts, argc, argv, err, sizeof(err)) != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		cli_release(&opts);
		return REPORT_EXIT_USAGE;
	}
	/* libcurl would silently go without a netrc file it cannot read */
	if (opts.netrc_file && access(opts.netrc_file, R_OK) != 0) {
		fprintf(stderr, "fetchall: cannot read --netrc-file '%s': %s\n", opts.netrc_file,
			strerror(errno));
		cli_release(&opts);
		return REPORT_EXIT_USAGE;
	}
	note_dir_like_file(&opts);
	if (opts.compare) {
		/* each run would refuse a bad regex: refuse it once, first */
		if (opts.n_includes || opts.n_excludes) {
			scope = make_scope(&opts, false, err, sizeof(err));
			if (!scope) {
				fprintf(stderr, "fetchall: %s\n", err);
				cli_release(&opts);
				return REPORT_EXIT_USAGE;
			}
			scope_free(scope);
			scope = NULL;
		}
		if (cancel_init(NULL, NULL) != FA_OK) {
			fprintf(stderr, "fetchall: cannot set up signal handling\n");
			cli_release(&opts);
			return REPORT_EXIT_USAGE;
		}
		status = compare_run(&opts, stdout, stderr);
		cancel_release();
		cli_release(&opts);
		return status;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "fetchall: libcurl failed to initialise\n");
		cli_release(&opts);
		return REPORT_EXIT_USAGE;
	}
	fetch_tune_malloc();
	/* libxml2 only where this process parses pages (with -P the parser
	 * processes do), loaded here on the main thread before any other
	 * starts (see xmlload.h) */
	parses = cli_pages(&opts);
	if (((parses && !opts.parse_procs) || opts.convert_links) && xmlload_need() != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", xmlload_error());
		curl_global_cleanup();
		cli_release(&opts);
		return REPORT_EXIT_USAGE;
	}
	threads = fetch_threads(&opts);
	raise_fd_limit(threads, opts.jobs, opts.quiet);
	t0 = sync_now_ns();

	for (size_t i = 0; i < opts.n_urls; i++) {
		char why[256], shown[2048];

		if (url_check(opts.urls[i], opts.allow_file, NULL, why, sizeof(why)) != FA_OK) {
			url_redact(opts.urls[i], shown, sizeof(shown));
			fprintf(stderr, "fetchall: '%s' is not a valid URL: %s\n", shown, why);
			goto out;
		}
	}
	if (opts.list && input_open(opts.list, &in, err, sizeof(err)) != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		goto out;
	}
	/* --redis: a job shared through Redis (fleet.h) */
	if (opts.redis && !opts.job) {
		fprintf(stderr, "fetchall: --redis needs --job NAME (the shared job's name)\n");
		goto out;
	}
	if (opts.redis && opts.fleet_status) {
		status = fleet_status(opts.redis, opts.job, stdout, stderr);
		goto out;
	}
	if (opts.redis && opts.enqueue) {
		status = run_enqueue(&opts, in);
		goto out;
	}
	if (opts.redis && !opts.nshards) {
		fprintf(stderr, "fetchall: --redis needs --shard K/N (this process's part of the "
				"job), --enqueue or --status\n");
		goto out;
	}
	if (opts.redis && !opts.crawl && (opts.n_urls || opts.list)) {
		fprintf(stderr,
			"fetchall: a --redis worker takes its URLs from the job: load a list "
			"with --enqueue\n");
		goto out;
	}
	if (opts.redis) {
		struct fleet_opts fl = {
		    .redis = opts.redis,
		    .job = opts.job,
		    .shard = opts.shard - 1,
		    .nshards = opts.nshards,
		    .crawl = opts.crawl,
		    .low_water = (size_t)opts.jobs * 4 + 64,
		    .quiet = opts.quiet,
		};

		if (fleet_open(&fl, &fleet, err, sizeof(err)) != FA_OK) {
			fprintf(stderr, "fetchall: %s\n", err);
			goto out;
		}
	}
	/* Before anything is fetched: a bad regex is a usage error. */
	if (opts.crawl || opts.n_includes || opts.n_excludes) {
		scope = make_scope(&opts, opts.crawl, err, sizeof(err));
		if (!scope) {
			fprintf(stderr, "fetchall: %s\n", err);
			goto out;
		}
	}
	if (opts.timestamping && opts.no_clobber) {
		fprintf(stderr, "fetchall: -N (--timestamping) and --no-clobber ask for opposite "
				"things: one replaces newer files, the other never replaces any\n");
		goto out;
	}
	/* cookies: wget's jar, on unless --no-cookies; a file that cannot be
	 * read is a usage error before anything is fetched */
	if (opts.no_cookies && (opts.load_cookies || opts.save_cookies)) {
		fprintf(stderr, "fetchall: --no-cookies and --%s ask for opposite things\n",
			opts.load_cookies ? "load-cookies (or -b FILE)" : "save-cookies");
		goto out;
	}
	if (!opts.no_cookies) {
		cookies = cookies_new();
		if (!cookies) {
			fprintf(stderr, "fetchall: out of memory\n");
			goto out;
		}
		if (opts.load_cookies &&
		    cookies_load(cookies, opts.load_cookies, err, sizeof(err)) != FA_OK) {
			fprintf(stderr, "fetchall: %s\n", err);
			goto out;
		}
	}
	store_flags = (opts.cont ? STORE_CONTINUE : 0) | (opts.no_clobber ? STORE_NO_CLOBBER : 0) |
		      (opts.timestamping ? STORE_TIMESTAMPING : 0) |
		      (opts.tree || opts.adjust_extension ? STORE_HTML_EXT : 0);
	/* -O FILE: a store of that one file (with -O -, the one transfer's
	 * thread writes stdout; --json, the reporter's use of it, is refused) */
	/* --spider saves nothing: no store, no output directory */
	if (!opts.spider &&
	    (opts.output_doc
		 ? store_new_file(opts.output_doc, store_flags, &store, err, sizeof(err))
		 : store_new(opts.output_dir, store_flags, &store, err, sizeof(err))) != FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		goto out;
	}
	if (opts.insecure && !opts.quiet)
		fprintf(stderr,
			"fetchall: warning: --insecure: TLS certificates are not verified\n");

	fo = (struct fetch_opts){
	    .connect_timeout_ms = opts.connect_timeout_ms,
	    .idle_timeout_ms = opts.idle_timeout_ms,
	    .max_time_ms = opts.max_time_ms,
	    .limit_rate = (uint64_t)opts.limit_rate,
	    .limit_rate_each = (uint64_t)opts.limit_rate_per_transfer,
	    .speed_limit = opts.speed_limit,
	    .speed_time_s = opts.speed_time_s,
	    .max_redirs = opts.max_redirs,
	    .allow_file = opts.allow_file,
	    .insecure = opts.insecure,
	    .multiplex = (enum fetch_multiplex)opts.multiplex,
	    .tree = opts.tree,
	    .keep_part = opts.cont,
	    .content_disposition = opts.content_disposition,
	    .user_agent = opts.user_agent,
	    .headers = opts.headers,
	    .retries = opts.retries,
	    .retry_base_ms = opts.retry_wait_ms,
	    .retry_max_ms = opts.retry_max_wait_ms,
	    .retry_after_max_ms = opts.retry_after_max_ms,
	    .max_filesize = opts.max_filesize,
	    .cookies = cookies,
	    .cookie_header = opts.cookie_header,
	    .server_timestamps = !opts.no_server_timestamps,
	    .user = opts.user,
	    .password = opts.password,
	    .netrc = opts.netrc,
	    .netrc_file = opts.netrc_file,
	    .location_trusted = opts.location_trusted,
	    .proxy = opts.proxy,
	    .no_proxy = opts.no_proxy,
	    .ipresolve = opts.inet4   ? CURL_IPRESOLVE_V4
			 : opts.inet6 ? CURL_IPRESOLVE_V6
				      : CURL_IPRESOLVE_WHATEVER,
	    .referer = opts.referer,
	};
	ro = (struct report_opts){
	    .json = opts.json,
	    .quiet = opts.quiet,
	    .verbose = opts.verbose,
	    .progress = isatty(STDERR_FILENO) == 1,
	    .out = stdout,
	    .err = stderr,
	    .show_hosts = opts.crawl,
	    .spider = opts.spider,
	    .fleet = fleet,
	};
	robots_agent(opts.user_agent, agent, sizeof(agent));
	jo = (struct job_opts){
	    .images = opts.images,
	    .crawl = opts.crawl,
	    .requisites = opts.requisites,
	    .pages = cli_pages(&opts),
	    .max_depth = opts.depth,
	    .max_pages = opts.max_pages,
	    .max_page_size = (size_t)opts.max_page_size,
	    .accept_ext = opts.accept_ext,
	    .reject_ext = opts.reject_ext,
	    .ignore_case = opts.ignore_case,
	    .accept_types = opts.accept_types,
	    .min_size = (uint64_t)opts.min_size,
	    .max_size = (uint64_t)opts.max_size,
	    .dedupe = opts.dedupe,
	    .robots_agent = agent,
	    /* with --redis, the fleet sends each URL to its shard */
	    .shard = opts.nshards && !fleet ? opts.shard - 1 : 0,
	    .nshards = fleet ? 0 : opts.nshards,
	    .convert_links = opts.convert_links,
	    .robots_meta = opts.crawl && !opts.no_robots,
	    .jobs = opts.jobs,
	    .spider = opts.spider,
	};
	fro = (struct frontier_opts){
	    /* -j by default: with more threads than slots, the per-host cap
	     * (not the thread count) is what keeps a host's jobs in turn */
	    .per_host = opts.per_host ? opts.per_host : opts.jobs,
	    .wait_ms = opts.wait_ms,
	    .random_wait = opts.random_wait,
	    .robots = opts.crawl && !opts.no_robots,
	    /* a list streams through a small window; a crawl's seeds are
	     * all read before it starts (they make its scope): the
	     * frontier's default caps */
	    .max_queued = opts.crawl ? 0 : (size_t)opts.jobs * 4 + LIST_AHEAD,
	    .backoff_base_ms = opts.retry_wait_ms,
	    .backoff_max_ms = opts.retry_max_wait_ms,
	    .retry_after_max_ms = opts.retry_after_max_ms,
	    /* a crawl backs off host-wide on a 503 without Retry-After; a
	     * list only with --wait or --auto-throttle (frontier_slowdown) */
	    .polite = opts.crawl,
	    .throttle_target_milli = opts.throttle_target_milli,
	    /* a list of files: no job adds jobs (--redis's feeder may,
	     * until the job is done) */
	    .leaf_jobs = !cli_pages(&opts) && !opts.redis,
	};
	if (job_ctx_init(&run.ctx, &jo) != FA_OK) {
		fprintf(stderr, "fetchall: out of memory setting up\n");
		goto out;
	}
	run.ctx.store = store;
	store = NULL;
	run.ctx.fleet = fleet;
	run.ctx.scope = scope;
	run.scope = opts.crawl ? scope : NULL;
	run.share = fetch_share_new(&fo, opts.jobs);
	/* a host is looked up when its first URL is queued, well before
	 * its first transfer */
	fro.new_host = host_prefetch;
	fro.new_host_arg = run.share;
	run.ctx.frontier = frontier_new(&fro);
	ro.frontier = run.ctx.frontier;
	run.report = run.share ? report_new(&ro, run.share) : NULL;
	if (!run.share || !run.ctx.frontier || !run.report) {
		fprintf(stderr, "fetchall: out of memory setting up\n");
		goto out;
	}
	if (opts.save_failed && !report_failed_open(run.report, opts.save_failed))
		goto out;
	if (opts.parse_procs > 0) {
		struct procpool_opts po = {
		    .nprocs = opts.parse_procs,
		    .timeout_ms = opts.parse_timeout_ms,
		    .mem_limit_bytes = (uint64_t)opts.parse_mem_limit,
		};

		if (procpool_new(&po, &run.ctx.procpool, err, sizeof(err)) != FA_OK) {
			fprintf(stderr, "fetchall: %s\n", err);
			goto out;
		}
	}
	if (cancel_init(on_cancel, &run) != FA_OK) {
		fprintf(stderr, "fetchall: cannot set up signal handling\n");
		goto out;
	}
	if (report_start(run.report, run.ctx.results) != FA_OK) {
		fprintf(stderr, "fetchall: cannot start the reporter thread\n");
		goto out_cancel;
	}
	/* --convert-links' pass runs on the pool's threads once the fetching
	 * is over (convert_saved_pages) */
	pool_flags = run.ctx.links ? POOL_EACH : 0;
	/* A crawl reads its seeds before any worker starts: they make its
	 * scope, which workers then read without locks.  A list streams
	 * while the workers run. */
	if (fleet) {
		/* the job's URLs come from its inbox, the start URLs once per
		 * job; they make every worker's scope all the same */
		struct fleet_feed ff = {
		    .deliver = fleet_deliver,
		    .waiting = fleet_waiting,
		    .mark_seen = fleet_mark_seen,
		    .fingerprint = frontier_url_fingerprint,
		    .done = fleet_done,
		    .arg = &run,
		};

		if (fleet_start(fleet, NULL) != FA_OK ||
		    (opts.crawl && fleet_seed_urls(&run, &opts) != FA_OK) ||
		    pool_new(threads, &ops, &run, run.ctx.frontier, pool_flags, &pool) != FA_OK ||
		    fleet_start(fleet, &ff) != FA_OK) {
			fprintf(stderr, "fetchall: cannot start the job's threads\n");
			frontier_close(run.ctx.frontier);
			goto out_report;
		}
	} else {
		if (!opts.crawl &&
		    pool_new(threads, &ops, &run, run.ctx.frontier, pool_flags, &pool) != FA_OK) {
			fprintf(stderr, "fetchall: cannot start %u worker threads\n", threads);
			goto out_report;
		}
		feed(&run, &opts, in);
		if (opts.crawl &&
		    pool_new(threads, &ops, &run, run.ctx.frontier, pool_flags, &pool) != FA_OK) {
			fprintf(stderr, "fetchall: cannot start %u worker threads\n", threads);
			goto out_report;
		}
	}
	/* the workers are done with the frontier: no result will come, no
	 * transfer will start */
	pool_wait_idle(pool);
	fetch_share_quiesce(run.share);
	queue_close(run.ctx.results);
	report_join(run.report);
	if (run.ctx.links) {
		/* the crawl is over and its threads idle: they convert the saved
		 * pages, CPU work, so one thread per core */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		convert_saved_pages(pool, cores > 0 ? (unsigned)cores : 1, run.ctx.links,
				    run.ctx.store, (size_t)opts.max_page_size,
				    opts.quiet ? NULL : stderr, &converted);
		report_convert_summary(run.report, &converted);
	}
	pool_join(pool);
	pool = NULL;
	if (parses) {
		struct procpool_stats ps;

		if (run.ctx.procpool)
			ps = procpool_stats(run.ctx.procpool);
		report_parse_summary(run.report, &run.ctx.stats, run.ctx.procpool ? &ps : NULL);
	}
	if (opts.stats_file)
		write_stats(&run, opts.stats_file);
	report_summary(run.report, sync_ms_since(t0) / 1e3);
	if (fleet) {
		/* the last acknowledgements go out before the numbers */
		fleet_sync(fleet);
		if (!opts.quiet)
			fprintf(stderr,
				"fetchall: job %s, shard %u/%u: %llu redis commands (%.1f a URL)\n",
				opts.job, opts.shard, opts.nshards,
				(unsigned long long)fleet_commands(fleet),
				report_counts(run.report).done
				    ? (double)fleet_commands(fleet) /
					  (double)report_counts(run.report).done
				    : 0.0);
	} else if (opts.nshards)
		report_shard_summary(run.report, opts.shard, opts.nshards,
				     atomic_load(&run.ctx.stats.other_shard));
	status = report_exit_code(run.report, cancel_requested());
	if (cookies && opts.save_cookies &&
	    cookies_save(cookies, opts.save_cookies, opts.keep_session_cookies, err, sizeof(err)) !=
		FA_OK) {
		fprintf(stderr, "fetchall: %s\n", err);
		if (status == REPORT_EXIT_OK)
			status = REPORT_EXIT_SOME_FAILED;
	}
	if (!report_failed_close(run.report,
				 report_failed_active(run.report) && failed_whole(&run, &opts)) &&
	    status == REPORT_EXIT_OK)
		status = REPORT_EXIT_SOME_FAILED;
	goto out_cancel;

out_report:
	queue_close(run.ctx.results);
	report_join(run.report);
out_cancel:
	cancel_release();
out:
	fleet_free(fleet);       /* after the reporter: it acknowledges */
	report_free(run.report); /* a list not closed above leaves FILE alone */
	job_ctx_release(&run.ctx);
	fetch_share_free(run.share);
	store_free(store);
	cookies_free(cookies);
	scope_free(scope);
	input_free(in);
	cli_release(&opts);
	xmlload_release();
	curl_global_cleanup();
	return status;
}
