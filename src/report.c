/*
 * report: the reporter thread, the progress line, JSON lines, summary.
 *
 * One owner for the terminal: only this thread writes stdout and stderr
 * while the run lasts, so the progress line is never garbled by another
 * thread's output.  The progress line is redrawn at most ten times a
 * second, clipped to the terminal's width (a wrapped line cannot be
 * redrawn in place), and erased before any other stderr line.
 *
 * JSON lines are flushed one by one so a consumer sees each result as it
 * happens; a write that fails with EPIPE (the consumer went away, as in
 * `fetchall ... --json | head -1`) stops the run through cancel, quietly.
 *
 * Locking: counts are written by the reporter thread only and read by
 * others after report_join(); `total` is atomic (set by the reader).
 */
#include "report.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cancel.h"
#include "convert.h"
#include "frontier.h"
#include "html.h"
#include "job.h"
#include "procpool.h"
#include "sync.h"
#include "url.h"

#define TOTAL_UNKNOWN UINT64_MAX
#define REDRAW_MS     100

struct report {
	const struct report_opts *opts;
	const struct fetch_share *share;
	struct queue *results;
	pthread_t thread;
	bool started;
	atomic_uint_fast64_t total;
	struct report_counts counts;
	uint64_t start_ns; /* sync_now_ns() when the run started */
	double last_draw_ms;
	bool drawn;      /* a progress line is on the screen */
	bool out_broken; /* stdout was closed under us */
	char *line;      /* the JSON line buffer, reused */
	size_t line_cap;
	/* --save-failed */
	FILE *failed;
	char *failed_tmp;
	const char *failed_path;
};

struct report *report_new(const struct report_opts *opts, const struct fetch_share *share)
{
	struct report *rep = calloc(1, sizeof(*rep));

	if (!rep)
		return NULL;
	rep->opts = opts;
	rep->share = share;
	atomic_init(&rep->total, TOTAL_UNKNOWN);
	rep->start_ns = sync_now_ns();
	return rep;
}

void report_free(struct report *rep)
{
	if (!rep)
		return;
	report_failed_close(rep, false);
	free(rep->line);
	free(rep);
}

void report_set_total(struct report *rep, uint64_t total)
{
	atomic_store(&rep->total, total);
}

struct report_counts report_counts(struct report *rep)
{
	return rep->counts;
}

/* How a JSON string literal writes a byte that is not part of valid
 * UTF-8 (see report.h). */
enum bad_byte {
	BAD_REPLACE, /* U+FFFD: readable, lossy */
	BAD_PERCENT, /* "%E9": a URI's own escape, '%' left as it is */
	BAD_EXACT,   /* "%E9", and '%' as "%25": decodes to the exact bytes */
};

/* The string literal of s, as the report_json_*() functions below say. */
static size_t json_literal(char *out, size_t outlen, const char *s, enum bad_byte bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = 0;

#define PUT(str, n)                                         \
	do {                                                \
		for (size_t k_ = 0; k_ < (n); k_++, need++) \
			if (need + 1 < outlen)              \
				out[need] = (str)[k_];      \
	} while (0)
	if (!s) {
		PUT("null", 4);
		goto done;
	}
	PUT("\"", 1);
	while (*p) {
		char esc[8];
		size_t n;

		switch (*p) {
		case '"':
			PUT("\\\"", 2);
			p++;
			continue;
		case '\\':
			PUT("\\\\", 2);
			p++;
			continue;
		case '\n':
			PUT("\\n", 2);
			p++;
			continue;
		case '\r':
			PUT("\\r", 2);
			p++;
			continue;
		case '\t':
			PUT("\\t", 2);
			p++;
			continue;
		case '%':
			if (bad == BAD_EXACT) {
				PUT("%25", 3);
				p++;
				continue;
			}
			break;
		default: break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			PUT(esc, 6);
			p++;
			continue;
		}
		n = url_utf8_len(p);
		if (n == 0) {
			if (bad == BAD_REPLACE) {
				PUT("\\ufffd", 6);
			} else {
				snprintf(esc, sizeof(esc), "%%%02X", *p);
				PUT(esc, 3);
			}
			p++;
			continue;
		}
		PUT((const char *)p, n);
		p += n;
	}
	PUT("\"", 1);
done:
	if (outlen > 0)
		out[need < outlen ? need : outlen - 1] = '\0';
#undef PUT
	return need;
}

size_t report_json_string(char *out, size_t outlen, const char *s)
{
	return json_literal(out, outlen, s, BAD_REPLACE);
}

size_t report_json_uri(char *out, size_t outlen, const char *s)
{
	return json_literal(out, outlen, s, BAD_PERCENT);
}

size_t report_json_bytes(char *out, size_t outlen, const char *s)
{
	return json_literal(out, outlen, s, BAD_EXACT);
}

bool report_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = url_utf8_len(p);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

void report_format_bytes(char *out, size_t outlen, double bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	unsigned u = 0;

	while (bytes >= 1000.0 && u < 4) {
		bytes /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%.0f %s", bytes, units[u]);
	else
		snprintf(out, outlen, "%.*f %s", bytes < 10.0 ? 2 : 1, bytes, units[u]);
}

/* Appends to the reusable line buffer; false on OOM. */
static bool add(struct report *rep, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool grow(struct report *rep, size_t need)
{
	char *p;
	size_t cap = rep->line_cap ? rep->line_cap : 1024;

	if (need <= rep->line_cap)
		return true;
	while (cap < need)
		cap *= 2;
	p = realloc(rep->line, cap);
	if (!p)
		return false;
	rep->line = p;
	rep->line_cap = cap;
	return true;
}

static bool add(struct report *rep, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(rep, *len + (size_t)n + 1))
		return false;
	va_start(ap, fmt);
	vsnprintf(rep->line + *len, rep->line_cap - *len, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
	return true;
}

/* Appends ,"key": and value as literal() writes it. */
static bool add_literal(struct report *rep, size_t *len, const char *key, const char *value,
			size_t (*literal)(char *, size_t, const char *))
{
	size_t n = literal(NULL, 0, value);

	if (!add(rep, len, ",\"%s\":", key) || !grow(rep, *len + n + 1))
		return false;
	literal(rep->line + *len, rep->line_cap - *len, value);
	*len += n;
	return true;
}

static bool add_str(struct report *rep, size_t *len, const char *key, const char *value)
{
	return add_literal(rep, len, key, value, report_json_string);
}

/* A URL as a URI: bytes that are not UTF-8 percent-encoded, so the value
 * names the same resource (see report_json_uri). */
static bool add_url(struct report *rep, size_t *len, const char *key, const char *url)
{
	char safe[8192];

	if (!url)
		return add_str(rep, len, key, NULL);
	url_redact(url, safe, sizeof(safe));
	return add_literal(rep, len, key, safe, report_json_uri);
}

/* "path", and "path_bytes" when path alone cannot name the file. */
static bool add_path(struct report *rep, size_t *len, const char *path)
{
	if (!add_str(rep, len, "path", path))
		return false;
	if (!path || report_utf8_valid(path))
		return true;
	return add_literal(rep, len, "path_bytes", path, report_json_bytes);
}

static void write_json(struct report *rep, const struct fetch_result *r)
{
	size_t len = 0;
	FILE *out = rep->opts->out;
	bool ok;

	ok = add(rep, &len, "{\"line\":%lu", r->line) && add_url(rep, &len, "url", r->url) &&
	     add_url(rep, &len, "final_url", r->final_url) &&
	     add(rep, &len, ",\"ok\":%s,\"skipped\":%s,\"http_code\":%ld,\"bytes\":%llu",
		 r->outcome != FETCH_FAILED ? "true" : "false",
		 r->outcome == FETCH_SKIPPED ? "true" : "false", r->http_code,
		 (unsigned long long)r->bytes) &&
	     add_path(rep, &len, r->path) && add_str(rep, &len, "content_type", r->content_type) &&
	     add(rep, &len, ",\"attempts\":%u", r->attempts) &&
	     /* One outcome: an error only if failed, a reason only if skipped. */
	     add_str(rep, &len, "error", r->outcome == FETCH_FAILED ? r->error : NULL) &&
	     add_str(rep, &len, "skip_reason",
		     r->outcome == FETCH_SKIPPED ? r->skip_reason : NULL) &&
	     add_url(rep, &len, "source", r->source) &&
	     add(rep, &len,
		 ",\"start_ms\":%.3f,\"queue_ms\":%.3f,\"dns_ms\":%.3f,\"connect_ms\":%.3f,\"tls_"
		 "ms\":%.3f,"
		 "\"ttfb_ms\":%.3f,\"transfer_ms\":%.3f,\"total_ms\":%.3f}\n",
		 r->start_ms, r->queue_ms, r->dns_ms, r->connect_ms, r->tls_ms, r->ttfb_ms,
		 r->transfer_ms, r->total_ms);
	if (!ok)
		return;
	if (fwrite(rep->line, 1, len, out) != len || fflush(out) != 0) {
		rep->out_broken = true;
		if (errno == EPIPE)
			cancel_trigger(0);
	}
}

static void erase_progress(struct report *rep)
{
	if (rep->drawn) {
		fputs("\r\033[K", rep->opts->err);
		rep->drawn = false;
	}
}

static unsigned term_width(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

static void draw_progress(struct report *rep)
{
	const struct report_counts *c = &rep->counts;
	uint64_t total = atomic_load(&rep->total);
	double elapsed = sync_ms_since(rep->start_ns);
	double bytes = rep->share ? (double)fetch_share_bytes(rep->share) : (double)c->bytes;
	char done[48], size[32], rate[32], line[512], hosts[200] = "";
	unsigned width = term_width(rep->opts->err);
	unsigned secs = (unsigned)(elapsed / 1000.0);
	int n;

	if (total == TOTAL_UNKNOWN)
		snprintf(done, sizeof(done), "%llu/?", (unsigned long long)c->done);
	else
		snprintf(done, sizeof(done), "%llu/%llu", (unsigned long long)c->done,
			 (unsigned long long)total);
	report_format_bytes(size, sizeof(size), bytes);
	report_format_bytes(rate, sizeof(rate), elapsed > 0 ? bytes * 1000.0 / elapsed : 0);
	if (rep->opts->frontier) {
		struct frontier_stats fs = frontier_stats(rep->opts->frontier);
		struct frontier_host_view top;
		int k = snprintf(hosts, sizeof(hosts), ", %zu queued", fs.queued);

		if (rep->opts->show_hosts && k > 0 &&
		    frontier_top_hosts(rep->opts->frontier, &top, 1) == 1)
			snprintf(hosts + k, sizeof(hosts) - (size_t)k,
				 " | %s %ua %zuq %llue %llut %ldms", top.key, top.active,
				 top.queued, (unsigned long long)top.errors,
				 (unsigned long long)top.throttled, top.delay_ms);
	}
	n = snprintf(line, sizeof(line),
		     "[%s] %llu ok, %llu failed | %u active%s | %s %s/s | %u:%02u", done,
		     (unsigned long long)c->ok + c->skipped, (unsigned long long)c->failed,
		     rep->share ? fetch_share_active(rep->share) : 0, hosts, size, rate, secs / 60,
		     secs % 60);
	if (n < 0)
		return;
	if ((unsigned)n >= width)
		line[width - 1] = '\0';
	fprintf(rep->opts->err, "\r%s\033[K", line);
	fflush(rep->opts->err);
	rep->drawn = true;
	rep->last_draw_ms = elapsed;
}

/*
 * --spider's line for a broken link: its HTTP status (or "---" when no
 * response came, with the reason at the end), the URL, and where it was
 * found, so that the page to fix is on the same line:
 *   404 https://site/gone.html  found on https://site/index.html
 *   --- https://down.example/  found on https://site/links.html  (Could not resolve host)
 * On standard output, the run's findings, unless --json has it.
 */
static void spider_line(struct report *rep, const struct fetch_result *r, const char *url)
{
	const struct report_opts *o = rep->opts;
	FILE *f = o->json ? o->err : o->out;
	char source[2048];
	bool http = r->err == FA_ERR_HTTP && r->http_code >= 400;

	erase_progress(rep);
	if (http)
		fprintf(f, "%ld %s", r->http_code, url);
	else
		fprintf(f, "--- %s", url);
	if (r->source) {
		url_redact(r->source, source, sizeof(source));
		fprintf(f, "  found on %s", source);
	} else if (r->line) {
		fprintf(f, "  listed on line %lu", r->line);
	}
	if (!http)
		fprintf(f, "  (%s)", r->error ? r->error : "failed");
	fputc('\n', f);
	fflush(f);
}

static void account(struct report *rep, const struct fetch_result *r)
{
	struct report_counts *c = &rep->counts;
	const struct report_opts *o = rep->opts;
	char url[2048];

	c->done++;
	if (r->outcome == FETCH_SKIPPED)
		c->skipped++;
	else if (r->outcome == FETCH_OK)
		c->ok++;
	else if (r->err == FA_ERR_CANCELLED)
		c->interrupted++;
	else
		c->failed++;
	if (r->outcome != FETCH_FAILED)
		c->bytes += r->bytes;

	if (o->json && !rep->out_broken)
		write_json(rep, r);
	/* The URL as given, credentials and all, to be run again; a bad
	 * line would only fail again. */
	if (rep->failed && r->outcome == FETCH_FAILED && r->err != FA_ERR_URL && r->url)
		report_failed_put(rep, r->url);
	if (o->quiet)
		return;
	url_redact(r->url ? r->url : "", url, sizeof(url));
	if (o->spider && r->outcome == FETCH_FAILED && r->err != FA_ERR_CANCELLED &&
	    r->err != FA_ERR_URL) {
		spider_line(rep, r, url);
		return;
	}
	if (r->outcome == FETCH_FAILED && r->err != FA_ERR_CANCELLED) {
		erase_progress(rep);
		if (r->err == FA_ERR_URL)
			fprintf(o->err, "fetchall: %s\n", r->error ? r->error : "bad line");
		else
			fprintf(o->err, "fetchall: %s: %s\n", url, r->error ? r->error : "failed");
	} else if (o->verbose && r->outcome != FETCH_FAILED) {
		erase_progress(rep);
		if (o->spider && r->outcome == FETCH_OK)
			fprintf(o->err, "checked %ld %s\n", r->http_code, url);
		else
			fprintf(o->err, "%s %ld %llu %s -> %s\n",
				r->outcome == FETCH_SKIPPED ? "skipped" : "saved", r->http_code,
				(unsigned long long)r->bytes, url, r->path ? r->path : "");
	}
}

static void *run(void *arg)
{
	struct report *rep = arg;

	for (;;) {
		void *item;
		enum fa_err err = queue_pop_timed(rep->results, &item, REDRAW_MS);

		if (err == FA_ERR_CLOSED)
			break;
		if (err == FA_OK) {
			account(rep, item);
			fetch_result_free(item);
		}
		if (rep->opts->progress && !rep->opts->quiet &&
		    sync_ms_since(rep->start_ns) - rep->last_draw_ms >= REDRAW_MS)
			draw_progress(rep);
	}
	if (rep->opts->progress && !rep->opts->quiet && rep->drawn) {
		draw_progress(rep);
		fputc('\n', rep->opts->err);
		rep->drawn = false;
	}
	return NULL;
}

enum fa_err report_start(struct report *rep, struct queue *results)
{
	rep->results = results;
	rep->start_ns = sync_now_ns();
	if (pthread_create(&rep->thread, NULL, run, rep) != 0)
		return FA_ERR_THREAD;
	rep->started = true;
	return FA_OK;
}

void report_join(struct report *rep)
{
	if (rep && rep->started) {
		pthread_join(rep->thread, NULL);
		rep->started = false;
	}
}

void report_summary(struct report *rep, double wall_s)
{
	const struct report_counts *c = &rep->counts;
	char size[32], rate[32];

	if (rep->opts->quiet)
		return;
	report_format_bytes(size, sizeof(size), (double)c->bytes);
	report_format_bytes(rate, sizeof(rate), wall_s > 0 ? (double)c->bytes / wall_s : 0);
	fprintf(rep->opts->err,
		"fetchall: %llu URLs: %llu ok, %llu failed, %llu skipped%s; %s in %.2f s (%s/s)\n",
		(unsigned long long)c->done, (unsigned long long)c->ok,
		(unsigned long long)c->failed, (unsigned long long)c->skipped,
		c->interrupted ? ", interrupted" : "", size, wall_s, rate);
	if (c->interrupted)
		fprintf(rep->opts->err,
			"fetchall: %llu transfers interrupted; run again with -c to resume them\n",
			(unsigned long long)c->interrupted);
	if (rep->opts->spider)
		fprintf(rep->opts->err, "fetchall: spider: %llu broken link%s of %llu checked%s\n",
			(unsigned long long)c->failed, c->failed == 1 ? "" : "s",
			(unsigned long long)(c->ok + c->failed),
			c->failed && !rep->opts->json ? " (listed on standard output)" : "");
}

void report_parse_summary(struct report *rep, const struct job_stats *st,
			  const struct procpool_stats *ps)
{
	FILE *err = rep->opts->err;
	unsigned long long over_cap = atomic_load(&st->links_over_cap);

	if (rep->opts->quiet)
		return;
	fprintf(err,
		"fetchall: %llu pages parsed (%s), %.2f s parsing, %llu URLs found, %llu queued, "
		"%llu parse failures, %llu not HTML, %llu over --max-page-size, %llu unparsable "
		"links",
		(unsigned long long)atomic_load(&st->pages_parsed),
		ps ? "in worker processes" : "in the fetch threads",
		(double)atomic_load(&st->parse_ns) / 1e9,
		(unsigned long long)atomic_load(&st->links_found),
		(unsigned long long)atomic_load(&st->links_queued),
		(unsigned long long)atomic_load(&st->parse_failures),
		(unsigned long long)atomic_load(&st->pages_not_html),
		(unsigned long long)atomic_load(&st->pages_too_big),
		(unsigned long long)atomic_load(&st->links_unparsable));
	/* dropped, not unparsable: said apart, and only when it happened */
	if (over_cap)
		fprintf(err, ", %llu links over the %d-per-page cap", over_cap, HTML_MAX_LINKS);
	fputc('\n', err);
	if (ps)
		fprintf(err,
			"fetchall: parser processes: %llu pages, %llu failures, %llu restarts, "
			"%.2f s CPU\n",
			(unsigned long long)ps->pages, (unsigned long long)ps->failures,
			(unsigned long long)ps->restarts, ps->worker_cpu_s);
}

void report_convert_summary(struct report *rep, const struct convert_totals *ct)
{
	if (!rep->opts->quiet)
		fprintf(rep->opts->err,
			"fetchall: converted links in %zu of %zu pages (%zu to local files)\n",
			atomic_load(&ct->done), ct->pages, atomic_load(&ct->links));
}

void report_shard_summary(struct report *rep, unsigned shard, unsigned nshards, uint64_t other)
{
	if (!rep->opts->quiet)
		fprintf(rep->opts->err,
			"fetchall: shard %u/%u: %llu URLs left to the other shards\n", shard,
			nshards, (unsigned long long)other);
}

bool report_failed_open(struct report *rep, const char *path)
{
	size_t len = strlen(path) + sizeof(".XXXXXX");
	int fd;

	rep->failed_path = path;
	rep->failed_tmp = malloc(len);
	if (!rep->failed_tmp) {
		fprintf(stderr, "fetchall: out of memory\n");
		return false;
	}
	snprintf(rep->failed_tmp, len, "%s.XXXXXX", path);
	fd = mkstemp(rep->failed_tmp);
	if (fd >= 0)
		rep->failed = fdopen(fd, "w");
	if (!rep->failed) {
		fprintf(stderr, "fetchall: cannot write the --save-failed list '%s': %s\n", path,
			strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(rep->failed_tmp);
		}
		free(rep->failed_tmp);
		rep->failed_tmp = NULL;
		return false;
	}
	return true;
}

void report_failed_put(struct report *rep, const char *url)
{
	if (rep->failed && !strpbrk(url, "\r\n"))
		fprintf(rep->failed, "%s\n", url);
}

bool report_failed_active(const struct report *rep)
{
	return rep->failed != NULL;
}

bool report_failed_close(struct report *rep, bool keep)
{
	FILE *f = rep->failed;
	bool ok = true;

	if (!f)
		return true;
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		if (keep)
			fprintf(stderr, "fetchall: writing the --save-failed list '%s': %s\n",
				rep->failed_path, strerror(errno));
		keep = ok = false;
	}
	fclose(f);
	rep->failed = NULL;
	if (keep && rename(rep->failed_tmp, rep->failed_path) != 0) {
		fprintf(stderr, "fetchall: cannot replace '%s': %s\n", rep->failed_path,
			strerror(errno));
		keep = ok = false;
	}
	if (!keep)
		unlink(rep->failed_tmp);
	free(rep->failed_tmp);
	rep->failed_tmp = NULL;
	return ok;
}

int report_exit_code(struct report *rep, bool interrupted)
{
	const struct report_counts *c = &rep->counts;

	if (interrupted)
		return REPORT_EXIT_INTERRUPTED;
	if (c->failed == 0)
		return REPORT_EXIT_OK;
	if (rep->opts->spider)
		return REPORT_EXIT_SOME_FAILED; /* a link checker: 1 for any broken link */
	if (c->ok + c->skipped == 0)
		return REPORT_EXIT_ALL_FAILED;
	return REPORT_EXIT_SOME_FAILED;
}
