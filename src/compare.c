/*
 * compare: child runs at each concurrency level, statistics, table, SVG.
 *
 * Runs are sequential and each is a separate process started with
 * posix_spawn of /proc/self/exe, stdout (its --json lines) and stderr to
 * files in the run's own fresh directory, so a run's wall time includes
 * nothing of another's; CPU time comes from wait4()'s rusage, which also
 * counts the parser processes the child reaped.  One warm-up run, not
 * counted, precedes the measured ones (DNS, page cache, the server's own
 * warm-up); it runs at the highest level, the cheapest in wall time, since
 * what it warms does not depend on J.  Every run, the warm-up too, prints
 * one line to stderr as it ends, so a long comparison is never silent.  A
 * --user's password reaches the runs in their environment
 * (FETCHALL_PASSWORD, which only the user can read in /proc), never on
 * their command lines, which anyone can.  Nothing here is threaded.
 */
#define _GNU_SOURCE /* wait4 */
#include "compare.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cancel.h"
#include "json.h"
#include "report.h"
#include "sync.h"

extern char **environ;

/* Per-run numbers. */
struct run_stats {
	double wall_s, cpu_s;
	unsigned long ok, failed;
	double bytes, serial_ms;
	unsigned peak_inflight;
	unsigned long pages_parsed;
	double parse_s, parser_cpu_s;
	int exit_code;
};

/* Growable list of doubles, for medians. */
struct samples {
	double *v;
	size_t n, cap;
};

static void sample_add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(struct samples *s)
{
	if (s->n == 0)
		return 0.0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	return s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2.0;
}

/* A number field of a JSON object, 0 when absent. */
static double num_field(const char *obj, const char *key)
{
	double v = 0.0;

	return json_number(obj, key, &v) ? v : 0.0;
}

enum phase { PH_DNS, PH_CONNECT, PH_TLS, PH_TTFB, PH_TRANSFER, PH_QUEUE, PH_COUNT };
static const char *const phase_keys[PH_COUNT] = {"dns_ms",  "connect_ms",  "tls_ms",
						 "ttfb_ms", "transfer_ms", "queue_ms"};

/* Reads a run's JSON lines: counts, bytes, serial time, phase samples. */
static void read_results(const char *path, struct run_stats *rs, struct samples *phases)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		bool ok = json_true(line, "ok");

		if (ok)
			rs->ok++;
		else
			rs->failed++;
		rs->bytes += num_field(line, "bytes");
		rs->serial_ms += num_field(line, "total_ms");
		if (phases && ok && !json_true(line, "skipped"))
			for (int p = 0; p < PH_COUNT; p++)
				sample_add(&phases[p], num_field(line, phase_keys[p]));
	}
	free(line);
	fclose(f);
}

static void read_stats(const char *path, struct run_stats *rs)
{
	FILE *f = fopen(path, "r");
	char buf[1024];
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	rs->peak_inflight = (unsigned)num_field(buf, "peak_inflight");
	rs->pages_parsed = (unsigned long)num_field(buf, "pages_parsed");
	rs->parse_s = num_field(buf, "parse_s");
	rs->parser_cpu_s = num_field(buf, "parser_cpu_s");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rmrf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The environment of a child run: ours, with CLI_PASSWORD_ENV set to
 * password (replacing any there) if not NULL.  The array and its one new
 * string are the caller's to free_env(); NULL on OOM. */
static char **child_env(const char *password)
{
	static const char name[] = CLI_PASSWORD_ENV "=";
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	if (password) {
		env[k] = malloc(sizeof(name) + strlen(password));
		if (!env[k]) {
			free(env);
			return NULL;
		}
		snprintf(env[k++], sizeof(name) + strlen(password), "%s%s", name, password);
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], name, sizeof(name) - 1) != 0)
			env[k++] = environ[i];
	}
	env[k] = NULL;
	return env;
}

static void free_env(char **env, const char *password)
{
	if (env && password) {
		explicit_bzero(env[0], strlen(env[0]));
		free(env[0]);
	}
	free(env);
}

/* One child run of the job at concurrency j (procs parser processes) in a
 * fresh directory under base.  Fills *rs; phases may be NULL. */
static int run_once(const struct fa_opts *o, char **job_args, const char *base, unsigned j,
		    unsigned procs, const char *tag, struct run_stats *rs, struct samples *phases,
		    FILE *err)
{
	char dir[4200], out[4300], res[4300], errf[4300], stats[4300], jarg[16], parg[16];
	const char *extra[] = {"-j", jarg, "-o", out, "--json", "-q", "--stats", stats, NULL};
	size_t nj = 0, k = 0;
	char **argv, **env;
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	pid_t pid;
	int status, rc;
	uint64_t t0;

	memset(rs, 0, sizeof(*rs));
	if (snprintf(dir, sizeof(dir), "%s/compare-%s-XXXXXX", base, tag) >= (int)sizeof(dir) ||
	    !mkdtemp(dir)) {
		fprintf(err, "fetchall: --compare: cannot make a directory in '%s': %s\n", base,
			strerror(errno));
		return -1;
	}
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(res, sizeof(res), "%s/results.jsonl", dir);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	snprintf(stats, sizeof(stats), "%s/stats.json", dir);
	snprintf(jarg, sizeof(jarg), "%u", j);
	snprintf(parg, sizeof(parg), "%u", procs);
	while (job_args[nj])
		nj++;
	argv = calloc(nj + 12, sizeof(*argv));
	if (!argv)
		return -1;
	for (size_t i = 0; i < nj; i++)
		argv[k++] = job_args[i];
	for (size_t i = 0; extra[i]; i++)
		argv[k++] = (char *)extra[i];
	if (procs) {
		argv[k++] = (char *)"-P";
		argv[k++] = parg;
	}
	argv[k] = NULL;
	env = child_env(o->password);
	if (!env) {
		free(argv);
		return -1;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, res, O_WRONLY | O_CREAT | O_TRUNC,
					 0644);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errf, O_WRONLY | O_CREAT | O_TRUNC,
					 0644);
	t0 = sync_now_ns();
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	free_env(env, o->password);
	if (rc != 0) {
		fprintf(err, "fetchall: --compare: cannot start a run: %s\n", strerror(rc));
		rmrf(dir);
		return -1;
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			status = 0;
			break;
		}
		if (cancel_requested())
			kill(pid, SIGINT); /* the child stops and exits 130 */
	}
	rs->wall_s = sync_ms_since(t0) / 1e3;
	rs->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	rs->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	read_results(res, rs, phases);
	read_stats(stats, rs);
	if (!o->keep)
		rmrf(dir);
	return 0;
}

size_t compare_compute(struct compare_level *lv, size_t n, double serial_ms)
{
	double best = 0.0;
	size_t knee = 0;

	for (size_t i = 0; i < n; i++) {
		double total = (double)(lv[i].ok + lv[i].failed);

		lv[i].mb_per_s = lv[i].wall_s > 0 ? lv[i].bytes / lv[i].wall_s / 1e6 : 0.0;
		lv[i].req_per_s = lv[i].wall_s > 0 ? total / lv[i].wall_s : 0.0;
		lv[i].speedup = lv[i].wall_s > 0 ? lv[0].wall_s / lv[i].wall_s : 0.0;
		lv[i].efficiency = lv[i].speedup / ((double)lv[i].j / (double)lv[0].j);
		lv[i].ideal_s = serial_ms >= 0 ? serial_ms / 1000.0 / lv[i].j : -1.0;
		if (lv[i].req_per_s > best)
			best = lv[i].req_per_s;
	}
	for (size_t i = 0; i < n; i++) {
		if (lv[i].req_per_s >= 0.9 * best) {
			knee = i;
			break;
		}
	}
	return knee;
}

/* Writes s with XML's five special characters escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

double compare_nice_step(double span, unsigned intervals)
{
	static const double mult[] = {1, 2, 5};
	double raw = span / (intervals ? intervals : 1), p;

	if (!(raw > 0) || !isfinite(raw))
		return 1.0;
	p = pow(10.0, floor(log10(raw)));
	/* raw / p is in [1, 10); the slack keeps 1.0 / 5 at 0.2, not 0.5 */
	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (raw <= mult[i] * p * (1 + 1e-9))
			return mult[i] * p;
	return 10 * p;
}

void compare_axis_ticks(double lo, double hi, unsigned max_intervals, struct compare_ticks *t)
{
	/* at least 2: with 1, a range around 0 would never fit */
	unsigned want = max_intervals > 2 ? max_intervals : 2;
	double step, first, last;

	if (!isfinite(lo))
		lo = 0;
	if (!isfinite(hi) || hi <= lo)
		hi = lo + 1;
	step = compare_nice_step(hi - lo, want);
	for (;;) {
		/* the slack keeps 0.4 / 0.2 at 2 whichever way it rounds */
		first = floor(lo / step + 1e-9);
		last = ceil(hi / step - 1e-9);
		if (last - first <= want)
			break;
		step = compare_nice_step(step * 1.5, 1); /* the next round step */
	}
	if (last <= first) /* hi - lo lost against lo's size */
		last = first + 1;
	t->lo = first * step;
	t->hi = last * step;
	t->step = step;
	t->count = (unsigned)(last - first) + 1;
}

/* One panel's scales: J across, its value up. */
struct scale {
	double left, pw, top, ph, jmin, jmax;
	bool logx;
	struct compare_ticks y;
};

static double xpos(const struct scale *s, double j)
{
	if (s->jmax == s->jmin)
		return s->left + s->pw / 2;
	if (s->logx)
		return s->left +
		       (log2(j) - log2(s->jmin)) / (log2(s->jmax) - log2(s->jmin)) * s->pw;
	return s->left + (j - s->jmin) / (s->jmax - s->jmin) * s->pw;
}

static double ypos(const struct scale *s, double v)
{
	return s->top + s->ph - (v - s->y.lo) / (s->y.hi - s->y.lo) * s->ph;
}

/* The i-th tick's value, a whole number of steps (no 0.30000000000000004). */
static double tick_value(const struct compare_ticks *t, unsigned i)
{
	return (round(t->lo / t->step) + i) * t->step;
}

/*
 * Writes the points of the line through (j[i], v[i]) in order, clipped to
 * the panel's value range: a stretch beyond it stops (or resumes) where the
 * drawn segment crosses the panel's edge, so no point leaves the panel.
 * y is affine in v, so the crossing's share t of a segment is the same in
 * values and on screen.
 */
static void clipped_points(FILE *f, const struct scale *s, const double *j, const double *v,
			   size_t n)
{
	double last_x = 0, last_y = 0;
	bool any = false;

	if (n == 1 && v[0] >= s->y.lo && v[0] <= s->y.hi)
		fprintf(f, "%.1f,%.1f ", xpos(s, j[0]), ypos(s, v[0]));
	for (size_t i = 0; i + 1 < n; i++) {
		double t0 = 0, t1 = 1, dv = v[i + 1] - v[i];
		double x0 = xpos(s, j[i]), x1 = xpos(s, j[i + 1]);

		if (dv == 0) {
			if (v[i] < s->y.lo || v[i] > s->y.hi)
				continue;
		} else {
			double ta = (s->y.lo - v[i]) / dv, tb = (s->y.hi - v[i]) / dv;

			t0 = fmax(t0, fmin(ta, tb));
			t1 = fmin(t1, fmax(ta, tb));
			if (t0 > t1)
				continue;
		}
		for (int end = 0; end < 2; end++) {
			double t = end ? t1 : t0;
			double x = t == 0 ? x0 : t == 1 ? x1 : x0 + t * (x1 - x0);
			double y = t == 0   ? ypos(s, v[i])
				   : t == 1 ? ypos(s, v[i + 1])
					    : ypos(s, v[i] + t * dv);

			if (any && x == last_x && y == last_y)
				continue;
			fprintf(f, "%.1f,%.1f ", x, y);
			last_x = x;
			last_y = y;
			any = true;
		}
	}
}

/* A panel's value axis: from 0 to the first round tick above max, so that
 * the highest point is never on the border and a line rising from it (the
 * linear speedup) shows which way it goes before it is clipped. */
static void value_axis(double max, struct compare_ticks *t)
{
	compare_axis_ticks(0, max, 5, t);
	if (t->hi <= max) {
		t->hi += t->step;
		t->count++;
	}
}

/*
 * The scales: J across on a log2 scale when the levels span 4x or more
 * (levels such as 1,4,16,64 are geometric: on a linear axis all but the
 * last would crowd at the left edge), linear for close levels (2,3,4).
 * Values up from 0 (a ratio's honest floor) to a round tick above the
 * data: the wall time's slowest run (and its ideal), the highest measured
 * speedup (and 1, the first level's own).  The speedup axis is set by the measurements, not by
 * the linear line: a line that runs to J/J0 = 64 would flatten a measured
 * 0.4-1.0 into the floor, so that line is clipped where it leaves the
 * panel instead.  Ticks are 1, 2 or 5 x 10^k apart.
 */
int compare_write_svg(FILE *f, const struct compare_level *lv, size_t n, const char *title)
{
	const double W = 900, H = 420, pw = 360, ph = 280, top = 70, left[2] = {80, 520};
	double jmin = lv[0].j, jmax = lv[0].j, tmax = 0, smax = 1, best = 0;
	double *js, *ideal, *measured;
	size_t *order, knee = 0;
	struct scale sc[2];
	bool logx;

	/* the levels in order of J, so that lines run left to right */
	order = malloc(n * sizeof(*order));
	js = malloc(3 * n * sizeof(*js));
	if (!order || !js) {
		free(order);
		free(js);
		return -1;
	}
	ideal = js + n;
	measured = js + 2 * n;
	for (size_t i = 0; i < n; i++) {
		size_t k = i;

		for (; k > 0 && lv[order[k - 1]].j > lv[i].j; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	for (size_t i = 0; i < n; i++)
		js[i] = lv[order[i]].j;

	/* the knee, as compare_compute() finds it */
	for (size_t i = 0; i < n; i++)
		best = fmax(best, lv[i].req_per_s);
	while (knee + 1 < n && lv[knee].req_per_s < 0.9 * best)
		knee++;

	for (size_t i = 0; i < n; i++) {
		jmin = fmin(jmin, lv[i].j);
		jmax = fmax(jmax, lv[i].j);
		tmax = fmax(tmax, fmax(lv[i].wall_max_s, lv[i].ideal_s));
		smax = fmax(smax, lv[i].speedup);
	}
	logx = jmax / jmin >= 4;
	for (int p = 0; p < 2; p++) {
		sc[p] = (struct scale){.left = left[p],
				       .pw = pw,
				       .top = top,
				       .ph = ph,
				       .jmin = jmin,
				       .jmax = jmax,
				       .logx = logx};
		value_axis(p == 0 ? tmax : smax, &sc[p].y);
	}

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
		W, H, W, H);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<title>", f);
	xml_text(f, title);
	fputs("</title>\n<text x=\"450\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">", f);
	xml_text(f, title);
	fputs("</text>\n", f);
	for (int p = 0; p < 2; p++) {
		const struct scale *s = &sc[p];

		fprintf(f, "<g class=\"panel\" id=\"%s\">\n", p == 0 ? "wall" : "speedup");
		fprintf(f,
			"<rect class=\"plot-area\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n",
			left[p], top, pw, ph);
		for (unsigned t = 0; t < s->y.count; t++) {
			double v = tick_value(&s->y, t), y = ypos(s, v);

			fprintf(f,
				"<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#eee\"/>"
				"<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"end\">%g</text>\n",
				left[p], left[p] + pw, y, y, left[p] - 6, y + 4, v);
		}
		for (size_t i = 0; i < n; i++)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%u</text>\n",
				xpos(s, lv[i].j), top + ph + 18, lv[i].j);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">concurrency J "
			"(-j)%s</text>\n",
			left[p] + pw / 2, top + ph + 40, logx ? ", log scale" : "");
		fprintf(f,
			"<text transform=\"translate(%.1f %.1f) rotate(-90)\" "
			"text-anchor=\"middle\">%s</text>\n",
			left[p] - 50, top + ph / 2,
			p == 0 ? "wall time (s)" : "speedup over the first level");
		for (size_t i = 0; i < n; i++) {
			const struct compare_level *l = &lv[order[i]];

			ideal[i] = p == 0 ? l->ideal_s : l->j / (double)lv[0].j;
			measured[i] = p == 0 ? l->wall_s : l->speedup;
		}
		/* the ideal: N x latency / J, and speedup = J / first J */
		if (p == 1 || lv[0].ideal_s >= 0) {
			fputs("<polyline class=\"ideal\" fill=\"none\" stroke=\"#888\" "
			      "stroke-dasharray=\"5,4\" points=\"",
			      f);
			clipped_points(f, s, js, ideal, n);
			fputs("\"/>\n", f);
		}
		fprintf(f,
			"<polyline class=\"measured\" fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"2\" points=\"",
			p == 0 ? "#1f77b4" : "#d62728");
		clipped_points(f, s, js, measured, n);
		fputs("\"/>\n", f);
		for (size_t i = 0; i < n; i++) {
			double v = p == 0 ? lv[i].wall_s : lv[i].speedup;

			if (p == 0)
				fprintf(f,
					"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
					"stroke=\"#1f77b4\"/>\n",
					xpos(s, lv[i].j), xpos(s, lv[i].j),
					ypos(s, lv[i].wall_min_s), ypos(s, lv[i].wall_max_s));
			fprintf(
			    f,
			    "<circle class=\"point\" data-j=\"%u\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
			    "fill=\"%s\"><title>J=%u: %.3f</title></circle>\n",
			    lv[i].j, xpos(s, lv[i].j), ypos(s, v), p == 0 ? "#1f77b4" : "#d62728",
			    lv[i].j, v);
		}
		if (p == 1) {
			double kx = xpos(s, lv[knee].j);
			bool right = kx > left[1] + pw * 0.7; /* keep the label inside */

			fprintf(f,
				"<line class=\"knee\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#2ca02c\" stroke-dasharray=\"2,3\"/><text "
				"x=\"%.1f\" y=\"%.1f\" fill=\"#2ca02c\" text-anchor=\"%s\">knee: "
				"J=%u</text>\n",
				kx, kx, top, top + ph, right ? kx - 4 : kx + 4, top + 14,
				right ? "end" : "start", lv[knee].j);
		}
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"font-size=\"13\">%s</text>\n",
			left[p] + pw / 2, top - 10,
			p == 0 ? "wall time: median, min-max bar; dashed: ideal"
			       : "speedup; dashed: linear");
		fputs("</g>\n", f);
	}
	fputs("</svg>\n", f);
	free(order);
	free(js);
	return ferror(f) ? -1 : 0;
}

/* The job's name for titles: the list or first URL, and the mode. */
static void job_title(const struct fa_opts *o, char *buf, size_t len)
{
	const char *what = o->list     ? (strcmp(o->list, "-") ? o->list : "standard input")
			   : o->n_urls ? o->urls[0]
				       : "?";

	snprintf(buf, len, "fetchall --compare: %s%s%s", what,
		 o->crawl        ? " (--crawl)"
		 : o->images     ? " (--images)"
		 : o->requisites ? " (-p)"
				 : "",
		 o->parse_procs ? " with -P" : "");
}

/* Copies standard input to a file in dir, for a list given as "-". */
static char *stdin_to_file(const char *dir, FILE *err)
{
	char path[4200], buf[65536];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/compare-list-XXXXXX", dir) >= (int)sizeof(path))
		return NULL;
	fd = mkstemp(path);
	if (fd < 0) {
		fprintf(err, "fetchall: --compare: cannot save the list: %s\n", strerror(errno));
		return NULL;
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			fprintf(err, "fetchall: --compare: cannot save the list: %s\n",
				strerror(errno));
			close(fd);
			unlink(path);
			return NULL;
		}
	}
	close(fd);
	return strdup(path);
}

static void print_table(FILE *out, const struct compare_level *lv, size_t n, size_t knee,
			const char *title, unsigned repeat)
{
	fprintf(out, "%s: %lu URLs, median of %u run%s per level after one warm-up\n\n", title,
		lv[0].ok + lv[0].failed, repeat, repeat == 1 ? "" : "s");
	fprintf(out, "%5s %20s %12s %8s %8s %8s %6s %8s %5s\n", "J", "wall s (min-max)",
		"ok/failed", "MB/s", "req/s", "speedup", "effic", "ideal s", "peak");
	for (size_t i = 0; i < n; i++) {
		char wall[48], okf[32], ideal[16];

		snprintf(wall, sizeof(wall), "%.3f (%.3f-%.3f)", lv[i].wall_s, lv[i].wall_min_s,
			 lv[i].wall_max_s);
		snprintf(okf, sizeof(okf), "%lu/%lu", lv[i].ok, lv[i].failed);
		if (lv[i].ideal_s >= 0)
			snprintf(ideal, sizeof(ideal), "%.3f", lv[i].ideal_s);
		else
			snprintf(ideal, sizeof(ideal), "-");
		fprintf(out, "%5u %20s %12s %8.2f %8.1f %8.2f %6.2f %8s %5u\n", lv[i].j, wall, okf,
			lv[i].mb_per_s, lv[i].req_per_s, lv[i].speedup, lv[i].efficiency, ideal,
			lv[i].peak_inflight);
	}
	fprintf(out, "\nwhere the time goes (medians per URL, ms):\n");
	fprintf(out, "%5s %9s %9s %9s %11s %9s %9s\n", "J", "dns", "connect", "tls", "first byte",
		"transfer", "queued");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%5u %9.2f %9.2f %9.2f %11.2f %9.2f %9.2f\n", lv[i].j, lv[i].dns_ms,
			lv[i].connect_ms, lv[i].tls_ms, lv[i].ttfb_ms, lv[i].transfer_ms,
			lv[i].queue_ms);
	fprintf(out,
		"\nknee: J=%u is the smallest level reaching 90%% of the best throughput "
		"(%.1f req/s)\n",
		lv[knee].j, lv[knee].req_per_s);
	if (lv[0].ideal_s < 0)
		fprintf(out, "ideal: not known (the first level must be J=1 with every URL ok)\n");
}

/*
 * The ideal wall time of a placement run at concurrency j: parsing and
 * fetching fully overlapped, so max(total parse time / parsers, total fetch
 * time / j).  The total parse time is the parser processes' CPU time in
 * the -P run (pure parsing, nothing else in those processes); parsers are
 * the -P processes, or for the in-thread run the cores the fetch threads
 * can parse on.
 */
static double placement_ideal(const struct run_stats *rs, double parse_total, unsigned parsers,
			      unsigned j)
{
	return fmax(parse_total / (parsers ? parsers : 1), rs->serial_ms / 1000.0 / (j ? j : 1));
}

static unsigned placement_parsers(size_t row, unsigned procs, unsigned j)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned c = cores > 0 ? (unsigned)cores : 1;

	return row ? procs : (c < j ? c : j);
}

static void print_json(FILE *out, const struct compare_level *lv, size_t n, size_t knee,
		       const char *title, unsigned repeat, const struct run_stats *parse, size_t np,
		       unsigned procs, unsigned parse_j)
{
	char t[600];

	report_json_string(t, sizeof(t), title);
	fprintf(out, "{\"job\":%s,\"repeat\":%u,\"knee_j\":%u,\"levels\":[", t, repeat, lv[knee].j);
	for (size_t i = 0; i < n; i++) {
		fprintf(out,
			"%s{\"j\":%u,\"wall_s\":%.4f,\"wall_min_s\":%.4f,\"wall_max_s\":%.4f,"
			"\"ok\":%lu,\"failed\":%lu,\"bytes\":%.0f,\"mb_per_s\":%.4f,"
			"\"req_per_s\":%.3f,\"speedup\":%.4f,\"efficiency\":%.4f,",
			i ? "," : "", lv[i].j, lv[i].wall_s, lv[i].wall_min_s, lv[i].wall_max_s,
			lv[i].ok, lv[i].failed, lv[i].bytes, lv[i].mb_per_s, lv[i].req_per_s,
			lv[i].speedup, lv[i].efficiency);
		if (lv[i].ideal_s >= 0)
			fprintf(out, "\"ideal_s\":%.4f,", lv[i].ideal_s);
		else
			fputs("\"ideal_s\":null,", out);
		fprintf(out,
			"\"peak_inflight\":%u,\"dns_ms\":%.3f,\"connect_ms\":%.3f,\"tls_ms\":%.3f,"
			"\"ttfb_ms\":%.3f,\"transfer_ms\":%.3f,\"queue_ms\":%.3f}",
			lv[i].peak_inflight, lv[i].dns_ms, lv[i].connect_ms, lv[i].tls_ms,
			lv[i].ttfb_ms, lv[i].transfer_ms, lv[i].queue_ms);
	}
	fputs("]", out);
	if (np) {
		fputs(",\"parse\":[", out);
		for (size_t i = 0; i < np; i++)
			fprintf(
			    out,
			    "%s{\"placement\":\"%s\",\"procs\":%u,\"wall_s\":%.4f,\"parse_s\":%.4f,"
			    "\"cpu_s\":%.4f,\"pages\":%lu,\"pages_per_s\":%.2f,\"ideal_s\":%.4f}",
			    i ? "," : "", i ? "processes" : "threads", i ? procs : 0,
			    parse[i].wall_s, parse[i].parse_s, parse[i].cpu_s,
			    parse[i].pages_parsed,
			    parse[i].wall_s > 0 ? parse[i].pages_parsed / parse[i].wall_s : 0.0,
			    placement_ideal(&parse[i], parse[np - 1].parser_cpu_s,
					    placement_parsers(i, procs, parse_j), parse_j));
		fputs("]", out);
	}
	fputs("}\n", out);
}

/* Runs `repeat` measured runs of one placement; fills *med with medians. */
static int measure(const struct fa_opts *o, char **args, const char *base, unsigned j,
		   unsigned procs, struct run_stats *med, struct compare_level *lv, FILE *err)
{
	struct samples walls = {0}, cpus = {0}, parses = {0}, pcpus = {0}, phases[PH_COUNT] = {{0}};
	char tag[32];
	int rc = 0;

	memset(med, 0, sizeof(*med));
	for (unsigned r = 0; r < o->repeat && !cancel_requested(); r++) {
		struct run_stats rs;

		snprintf(tag, sizeof(tag), "j%u%s-r%u", j, procs ? "-P" : "", r + 1);
		if (run_once(o, args, base, j, procs, tag, &rs, phases, err) != 0) {
			rc = -1;
			break;
		}
		fprintf(err, "fetchall: --compare: J=%u%s run %u: %.3f s, %lu ok, %lu failed\n", j,
			procs ? " -P" : "", r + 1, rs.wall_s, rs.ok, rs.failed);
		sample_add(&walls, rs.wall_s);
		sample_add(&cpus, rs.cpu_s);
		sample_add(&parses, rs.parse_s);
		sample_add(&pcpus, rs.parser_cpu_s);
		if (r == 0) {
			*med = rs;
		} else {
			med->failed = rs.failed > med->failed ? rs.failed : med->failed;
			med->peak_inflight = rs.peak_inflight > med->peak_inflight
						 ? rs.peak_inflight
						 : med->peak_inflight;
		}
		if (rs.exit_code == REPORT_EXIT_INTERRUPTED)
			break;
	}
	if (walls.n) {
		med->wall_s = median(&walls);
		med->cpu_s = median(&cpus);
		med->parse_s = median(&parses);
		med->parser_cpu_s = median(&pcpus);
		if (lv) {
			lv->j = j;
			lv->wall_s = med->wall_s;
			lv->wall_min_s = walls.v[0];
			lv->wall_max_s = walls.v[walls.n - 1];
			lv->ok = med->ok;
			lv->failed = med->failed;
			lv->bytes = med->bytes;
			lv->peak_inflight = med->peak_inflight;
			lv->dns_ms = median(&phases[PH_DNS]);
			lv->connect_ms = median(&phases[PH_CONNECT]);
			lv->tls_ms = median(&phases[PH_TLS]);
			lv->ttfb_ms = median(&phases[PH_TTFB]);
			lv->transfer_ms = median(&phases[PH_TRANSFER]);
			lv->queue_ms = median(&phases[PH_QUEUE]);
		}
	}
	free(walls.v);
	free(cpus.v);
	free(parses.v);
	free(pcpus.v);
	for (int p = 0; p < PH_COUNT; p++)
		free(phases[p].v);
	return walls.n ? rc : -1;
}

/*
 * --plot FILE is written as FILE.XXXXXX beside it, made before the first
 * run, so that a place that cannot be written fails at once rather than
 * after every run, and renamed over FILE once the SVG is whole.  On any
 * failure (and after Ctrl-C) it is removed: FILE is never left empty or
 * half-written, and an older FILE stays as it was.
 */
struct plot {
	const char *path;
	char *tmp; /* NULL: no plot, or renamed into place */
	int fd;    /* tmp's, until written */
};

/* Says why path cannot be written, errno's reason. */
static void plot_complain(const char *path, int errnum, FILE *err)
{
	fprintf(err, "fetchall: cannot write plot '%s': %s\n", path, strerror(errnum));
}

/* Makes the temporary file beside path.  Returns 0, or -1 after saying
 * why. */
static int plot_open(struct plot *p, const char *path, FILE *err)
{
	size_t len = strlen(path) + sizeof(".XXXXXX");
	struct stat st;
	mode_t mask;

	p->path = path;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		plot_complain(path, EISDIR, err);
		return -1;
	}
	p->tmp = malloc(len);
	if (!p->tmp) {
		fprintf(err, "fetchall: out of memory\n");
		return -1;
	}
	snprintf(p->tmp, len, "%s.XXXXXX", path);
	p->fd = mkstemp(p->tmp);
	if (p->fd < 0) {
		plot_complain(path, errno, err);
		free(p->tmp);
		p->tmp = NULL;
		return -1;
	}
	/* mkstemp's 0600 is for secrets; a plot is made as any file is */
	mask = umask(0);
	umask(mask);
	(void)fchmod(p->fd, 0666 & ~mask);
	return 0;
}

/* Removes the temporary file, if still there. */
static void plot_discard(struct plot *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->tmp) {
		unlink(p->tmp);
		free(p->tmp);
		p->tmp = NULL;
	}
}

/* Writes the SVG and renames it over the plot's path.  Returns 0, or -1
 * after saying why (the temporary file then removed). */
static int plot_finish(struct plot *p, const struct compare_level *lv, size_t n, const char *title,
		       FILE *err)
{
	FILE *f = fdopen(p->fd, "w");
	bool ok = f != NULL;
	int errnum = errno;

	if (f) {
		p->fd = -1; /* fclose closes it */
		ok = compare_write_svg(f, lv, n, title) == 0 && fflush(f) == 0;
		errnum = errno;
		if (fclose(f) != 0 && ok) {
			ok = false;
			errnum = errno;
		}
	}
	if (ok && rename(p->tmp, p->path) != 0) {
		ok = false;
		errnum = errno;
	}
	if (ok) {
		free(p->tmp);
		p->tmp = NULL;
	} else {
		plot_complain(p->path, errnum, err);
	}
	plot_discard(p);
	return ok ? 0 : -1;
}

int compare_run(const struct fa_opts *o, FILE *out, FILE *err)
{
	struct fa_opts local = *o;
	struct compare_level lv[32];
	struct run_stats first = {0}, parse[2];
	char title[512], base[4096];
	char **args = NULL;
	char *list_copy = NULL;
	size_t n = o->n_levels, np = 0, knee;
	unsigned top_j = o->levels[0];
	bool any_failed = false;
	int status = REPORT_EXIT_USAGE;
	double serial_ms = -1;
	struct plot plot = {.fd = -1};

	memset(lv, 0, sizeof(lv));
	/* before any run: where the plot and the runs go must be writable */
	if (o->plot && plot_open(&plot, o->plot, err) != 0)
		return REPORT_EXIT_USAGE;
	snprintf(base, sizeof(base), "%s", o->output_dir);
	if (mkdir(base, 0755) < 0 && errno != EEXIST) {
		fprintf(err, "fetchall: cannot make output directory '%s': %s\n", base,
			strerror(errno));
		goto out;
	}
	if (o->list && !strcmp(o->list, "-")) {
		list_copy = stdin_to_file(base, err);
		if (!list_copy)
			goto out;
		local.list = list_copy;
	}
	job_title(o, title, sizeof(title));
	args = cli_job_args(&local);
	if (!args) {
		fprintf(err, "fetchall: out of memory\n");
		goto out;
	}
	for (size_t i = 1; i < n; i++)
		top_j = o->levels[i] > top_j ? o->levels[i] : top_j;
	/* warm-up: one run at the highest level (the shortest), not counted */
	if (run_once(&local, args, base, top_j, 0, "warmup", &first, NULL, err) != 0)
		goto out;
	fprintf(err,
		"fetchall: --compare: warm-up at J=%u: %.3f s, %lu ok, %lu failed (not counted)\n",
		top_j, first.wall_s, first.ok, first.failed);
	for (size_t i = 0; i < n && !cancel_requested(); i++) {
		struct run_stats med;

		if (measure(&local, args, base, o->levels[i], 0, &med, &lv[i], err) != 0)
			goto out;
		if (i == 0 && o->levels[0] == 1 && med.failed == 0)
			serial_ms = med.serial_ms;
		any_failed = any_failed || med.failed;
	}
	if (o->parse_procs && !cancel_requested()) {
		if (measure(&local, args, base, top_j, 0, &parse[0], NULL, err) != 0 ||
		    measure(&local, args, base, top_j, o->parse_procs, &parse[1], NULL, err) != 0)
			goto out;
		np = 2;
	}
	if (cancel_requested()) {
		status = REPORT_EXIT_INTERRUPTED;
		goto out;
	}
	knee = compare_compute(lv, n, serial_ms);
	if (o->json) {
		print_json(out, lv, n, knee, title, o->repeat, parse, np, o->parse_procs, top_j);
	} else {
		print_table(out, lv, n, knee, title, o->repeat);
		if (np) {
			fprintf(
			    out,
			    "\nparsing at J=%u (medians): where     wall s   ideal s   parse s   "
			    "CPU s   pages/s\n",
			    top_j);
			for (size_t i = 0; i < np; i++)
				fprintf(out, "%*s %-13s %8.3f %9.3f %9.3f %7.3f %9.1f\n", 30, "",
					i ? "processes" : "threads", parse[i].wall_s,
					placement_ideal(&parse[i], parse[np - 1].parser_cpu_s,
							placement_parsers(i, o->parse_procs, top_j),
							top_j),
					parse[i].parse_s, parse[i].cpu_s,
					parse[i].wall_s > 0
					    ? parse[i].pages_parsed / parse[i].wall_s
					    : 0.0);
			fprintf(out,
				"%*s ideal: max(parser CPU of the -P run / parsers, fetch time "
				"summed / J)\n",
				30, "");
		}
	}
	if (o->plot && plot_finish(&plot, lv, n, title, err) != 0)
		goto out;
	status = any_failed ? REPORT_EXIT_SOME_FAILED : REPORT_EXIT_OK;
out:
	plot_discard(&plot);
	cli_free_args(args);
	if (list_copy) {
		unlink(list_copy);
		free(list_copy);
	}
	return status;
}
