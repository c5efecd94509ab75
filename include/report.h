/*
 * report: everything the user sees while and after fetchall runs.
 *
 * The reporter thread is the only writer of stdout and, while the run
 * lasts, of stderr: it drains the results queue, keeps the counts, draws
 * the one-line progress display (stderr, terminals only), prints failures,
 * writes one JSON object per URL to stdout with --json and each failed
 * URL to the --save-failed list, and at the end the summary.  It also
 * decides the exit code.
 */
#ifndef FA_REPORT_H
#define FA_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "fetch.h"
#include "queue.h"

struct convert_totals;
struct frontier;
struct job_stats;
struct procpool_stats;

enum report_exit {
	REPORT_EXIT_OK = 0,          /* every URL ok (or skipped), or none */
	REPORT_EXIT_SOME_FAILED = 1, /* at least one failed, one ok */
	REPORT_EXIT_USAGE = 2,       /* usage or input error (set by main) */
	REPORT_EXIT_ALL_FAILED = 3,  /* every URL failed */
	REPORT_EXIT_INTERRUPTED = 130,
};

struct report_opts {
	bool json;                 /* one JSON object per URL on `out` */
	bool quiet;                /* nothing on `err` but fatal errors */
	bool verbose;              /* a line per URL on `err` */
	bool progress;             /* live progress line on `err` (caller checks isatty) */
	FILE *out;                 /* borrowed; normally stdout */
	FILE *err;                 /* borrowed; normally stderr */
	struct frontier *frontier; /* borrowed; for queue depth and hosts; may be NULL */
	bool show_hosts;           /* add the busiest host to the progress line */
	struct fleet *fleet;       /* --redis: a result's entry is acknowledged
				      once its lines are out; or NULL */
	bool spider;               /* --spider: a failure is a broken link, a
				      line on `out` (on `err` with json) */
};

struct report_counts {
	uint64_t done, ok, failed, skipped, interrupted;
	uint64_t bytes;       /* body bytes of files saved */
	uint64_t transferred; /* body bytes received in this run, all URLs */
	uint64_t resumed;     /* of `bytes`, those -c found on disk */
};

struct report;

/* Makes a reporter; opts and share (for live byte counts; may be NULL)
 * are borrowed until report_free().  NULL on OOM. */
struct report *report_new(const struct report_opts *opts, const struct fetch_share *share);
void report_free(struct report *rep);

/* Starts the reporter thread draining `results` (fetch_result items,
 * freed here) until it is closed.  results is borrowed until
 * report_join(). */
enum fa_err report_start(struct report *rep, struct queue *results);

/* Waits for the reporter thread (close the results queue first). */
void report_join(struct report *rep);

/* Tells the reporter how many results to expect.  Thread-safe. */
void report_set_total(struct report *rep, uint64_t total);

/* report_set_total(), unless a total is set already: for a count made
 * ahead (input_sink.counted), which must not overwrite the exact one the
 * reader gives when it has read the list through.  Thread-safe. */
void report_offer_total(struct report *rep, uint64_t total);

/* Whether a progress line is drawn (stderr a terminal, not -q): the one
 * use of a total counted ahead. */
bool report_draws_progress(const struct report *rep);

/* The counts so far; after report_join(), the final ones. */
struct report_counts report_counts(struct report *rep);

/* Prints the summary line to opts->err (unless quiet); wall_s is the
 * run's wall time.  Call after report_join(). */
void report_summary(struct report *rep, double wall_s);

/* What parsing did, for runs that parse (the thread/process split made
 * visible): pages, time, links, failures; with parser processes (ps not
 * NULL) their own counts and CPU time.  Unless quiet; after report_join(). */
void report_parse_summary(struct report *rep, const struct job_stats *st,
			  const struct procpool_stats *ps);

/* --convert-links' pass: pages rewritten of those saved, links made local. */
void report_convert_summary(struct report *rep, const struct convert_totals *ct);

/* --shard K/N: how many URLs were left to the other shards. */
void report_shard_summary(struct report *rep, unsigned shard, unsigned nshards, uint64_t other);

/*
 * --save-failed FILE.  The list goes to FILE.XXXXXX beside it and is
 * renamed over FILE by report_failed_close(rep, true), so FILE may be the
 * very list being read (`fetchall failed.txt --save-failed failed.txt`,
 * until it comes out empty) and an older FILE stays whole until then.
 * mkstemp() makes it 0600: the URLs keep their credentials, for the next
 * run.  The reporter writes each failed URL (not a line that was no URL);
 * others add the URLs never run with report_failed_put().
 *
 * The rule, kept by the caller: FILE is replaced only by a list of every
 * URL of the run that is not done (failed, interrupted, or never
 * started), never by fewer; when that cannot be promised, close with
 * keep false and FILE is left as it was.
 */
/* Opens the list; false (after a line on stderr naming FILE) if it cannot. */
bool report_failed_open(struct report *rep, const char *path);
/* Adds url, whole, unless it holds a line break.  Thread-safe (stdio's
 * lock keeps lines whole). */
void report_failed_put(struct report *rep, const char *url);
/* Whether a list is open. */
bool report_failed_active(const struct report *rep);
/* Ends the list: renamed into place if keep, else removed.  Returns false
 * after a line on stderr if keep failed (a write error, a rename).  Call
 * after report_join(); fine without a list. */
bool report_failed_close(struct report *rep, bool keep);

/* The exit code for the finished run (see enum report_exit). */
int report_exit_code(struct report *rep, bool interrupted);

/*
 * Writes s as a JSON string literal, quotes included, into out (at most
 * outlen bytes with the NUL).  Escapes '"', '\\' and control characters,
 * and replaces bytes that are not valid UTF-8 with U+FFFD, so the output
 * is always valid JSON.  s == NULL gives `null`.  Returns the length the
 * whole literal needs, like snprintf; thread-safe.
 */
size_t report_json_string(char *out, size_t outlen, const char *s);

/*
 * report_json_string() for a URL: a byte that is not part of valid UTF-8
 * is written as its percent-escape ("%E9", upper-case hex) instead of
 * U+FFFD, so the value is still a URL and names the same resource (RFC
 * 3986 has no raw bytes above 0x7f; "%E9" is how a URI writes that byte).
 * '%' stays as it is.  Thread-safe.
 */
size_t report_json_uri(char *out, size_t outlen, const char *s);

/*
 * report_json_string() losslessly, for a file name that is not valid
 * UTF-8 ("path_bytes" in --json): every byte that is not part of valid
 * UTF-8, and every '%', is written as "%XX" (upper-case hex), the rest as
 * report_json_string() writes it, so percent-decoding the JSON string
 * gives s's exact bytes.  Thread-safe.
 */
size_t report_json_bytes(char *out, size_t outlen, const char *s);

/* Whether s (NUL-terminated) is valid UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF).  Pure. */
bool report_utf8_valid(const char *s);

/* Formats a byte count for people ("9.8 MB", "512 B") into out. */
void report_format_bytes(char *out, size_t outlen, double bytes);

/* A total not known (yet): a pipe, a crawl. */
#define REPORT_TOTAL_UNKNOWN UINT64_MAX

/* What one progress line shows; the reporter fills it at each redraw. */
struct report_progress {
	uint64_t done;  /* results in */
	uint64_t total; /* results to expect; REPORT_TOTAL_UNKNOWN */
	uint64_t ok;    /* saved or skipped */
	uint64_t failed;
	unsigned active; /* transfers in flight */
	size_t queued;   /* jobs waiting in the frontier */
	double bytes;    /* body bytes received in this run */
	/* bytes plus what the transfers in flight still expect (their
	 * Content-Length); 0: not worth showing */
	double expected;
	double rate;      /* bytes/s over the last few seconds */
	double eta_s;     /* seconds left; < 0: unknown */
	double elapsed_s; /* since the run began */
	/* The busiest host (a crawl); NULL: none.  Its `key` and counts as
	 * frontier_top_hosts() gives them, `a` being its transfers in
	 * flight, which `active` above counts too. */
	const char *host;
	unsigned host_active;
	size_t host_queued;
	uint64_t host_errors, host_throttled;
	long host_delay_ms;
	/* A state the user must see ("redis down 4 s"), after the count and
	 * never dropped; NULL: none. */
	const char *note;
};

/*
 * Lays the progress line out for a terminal `width` columns wide into out
 * (outlen bytes; 512 is always enough): at most width - 1 columns, as a
 * line that fills the last column wraps on some terminals and can then
 * not be redrawn in place.  What does not fit is shortened, then
 * dropped, least useful first: the host's name, the host, the counts in
 * flight (a crawl keeps its queue, the only remainder it knows), the
 * expected bytes, the elapsed time, the bytes, the ok and failed counts,
 * so that done/total, the percentage, the rate and the ETA are the last
 * to go.  At 80 columns those and the elapsed time, the bytes and the
 * ok and failed counts fit.
 * Returns the line's length.  Pure: thread-safe.
 */
size_t report_progress_line(char *out, size_t outlen, const struct report_progress *p,
			    unsigned width);

#endif
