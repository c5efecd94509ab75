/*
 * compare: --compare, the same job timed at several concurrency levels.
 *
 * Each run is a child fetchall (the same job's options, -j J, a fresh
 * temporary output directory, --json) so that runs cannot share caches,
 * connections or memory; the parent times it, reads its JSON lines and run
 * statistics, and prints the table (or JSON), the time split, the knee of
 * the curve and, with --plot, an SVG.  With -P it also compares parsing in
 * the fetch threads with parsing in N processes.
 */
#ifndef FA_COMPARE_H
#define FA_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* One level's results, medians over its runs (exposed for tests). */
struct compare_level {
	unsigned j;
	double wall_s, wall_min_s, wall_max_s;
	unsigned long ok, failed;
	double bytes;
	double mb_per_s, req_per_s;
	double speedup, efficiency;
	double ideal_s; /* < 0: unknown */
	unsigned peak_inflight;
	double dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, queue_ms;
};

/*
 * Fills speedup, efficiency, mb_per_s, req_per_s and ideal_s of every
 * level from the others' fields: speedup over the first level, efficiency
 * = speedup / (J / first J), ideal = serial_ms / J (serial_ms < 0: unknown).
 * Returns the index of the knee: the first level whose requests/s reach
 * 90 % of the best.  Pure; thread-safe.
 */
size_t compare_compute(struct compare_level *levels, size_t n, double serial_ms);

/* A round axis: ticks every `step` from `lo` to `hi`, `count` of them. */
struct compare_ticks {
	double lo, hi, step;
	unsigned count; /* lo and hi included */
};

/*
 * The smallest round step (1, 2 or 5 x 10^k) that covers span in at most
 * `intervals` steps; 1 when span is not a positive finite number.  Pure;
 * thread-safe.
 */
double compare_nice_step(double span, unsigned intervals);

/*
 * Fills *t with a round axis for values from lo to hi: the largest
 * multiple of a compare_nice_step() at or below lo, the smallest at or
 * above hi, at most max_intervals steps between them (hi <= lo, or either
 * not finite: as if from lo, or 0, to lo + 1).  Pure; thread-safe.
 */
void compare_axis_ticks(double lo, double hi, unsigned max_intervals, struct compare_ticks *t);

/* Writes the SVG plot of the levels to f; `title` names the job.  Each
 * panel's values run from 0 to a round tick above the measurements; the
 * linear-speedup line is clipped to its panel.  Returns 0 or -1 (write
 * error, out of memory). */
int compare_write_svg(FILE *f, const struct compare_level *levels, size_t n, const char *title);

/* Runs the comparison that opts describes; prints to out (the table or
 * JSON) and err (progress, problems).  Returns the exit code. */
int compare_run(const struct fa_opts *opts, FILE *out, FILE *err);

#endif
