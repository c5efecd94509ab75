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

struct frontier;

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
	FILE *failed;              /* borrowed; each failed URL, in full; may be NULL */
};

struct report_counts {
	uint64_t done, ok, failed, skipped, interrupted;
	uint64_t bytes; /* body bytes of files saved */
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

/* The counts so far; after report_join(), the final ones. */
struct report_counts report_counts(struct report *rep);

/* Prints the summary line to opts->err (unless quiet); wall_s is the
 * run's wall time.  Call after report_join(). */
void report_summary(struct report *rep, double wall_s);

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

/* Formats a byte count for people ("9.8 MB", "512 B") into out. */
void report_format_bytes(char *out, size_t outlen, double bytes);

#endif
