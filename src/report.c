/*
 * report: the reporter thread, the progress line, JSON lines, summary.
 *
 * One owner for the terminal: only this thread writes stdout and stderr
 * while the run lasts, so the progress line is never garbled by another
 * thread's output.  The progress line is redrawn at most ten times a
 * second, laid out to fit the terminal's width (a wrapped line cannot be
 * redrawn in place) by report_progress_line(), a pure function that drops
 * the least useful parts first, and erased before any other stderr line.
 * Its rate and ETA come from a window of recent samples, not from the
 * start; its counts in flight from one frontier snapshot, so the run's
 * and the busiest host's agree.
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
#include "fleet.h"
#include "frontier.h"
#include "html.h"
#include "job.h"
#include "procpool.h"
#include "sync.h"
#include "url.h"

#define TOTAL_UNKNOWN   REPORT_TOTAL_UNKNOWN
#define REDRAW_MS       100
#define REPORT_BATCH_MS 2 /* the reporter's pause after taking results */

/* The rate and the ETA follow the last RATE_WINDOW_MS, not the average
 * since the start, which a stall or a burst long ago would still bend;
 * a sample is taken at each redraw (at most every REDRAW_MS), so
 * SAMPLES of them span the window. */
#define RATE_WINDOW_MS 5000
#define SAMPLES        64

/* In-flight bodies of known length are shown as "done/expected" from
 * this many bytes still to come: below, the pair is noise. */
#define EXPECT_SHOWN_FROM (1024 * 1024)

struct sample {
	double ms;     /* since the run began */
	double bytes;  /* received by then */
	uint64_t done; /* results in by then */
};

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
	struct sample samples[SAMPLES]; /* a ring, oldest at next_sample */
	unsigned n_samples, next_sample;
	uint64_t transferred, resumed; /* summed over the results */
	bool drawn;                    /* a progress line is on the screen */
	bool out_broken;               /* stdout was closed under us */
	char *line;                    /* the JSON line buffer, reused */
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

void report_offer_total(struct report *rep, uint64_t total)
{
	uint_fast64_t unknown = TOTAL_UNKNOWN;

	atomic_compare_exchange_strong(&rep->total, &unknown, total);
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

/* A clock reading, "m:ss" or "h:mm:ss"; "?" when negative or beyond
 * 99 hours (an ETA from a rate near zero says nothing). */
static void format_clock(char *out, size_t outlen, double s)
{
	unsigned long t;

	if (s < 0 || s >= 100.0 * 3600) {
		snprintf(out, outlen, "?");
		return;
	}
	t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(out, outlen, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, outlen, "%lu:%02lu", t / 60, t % 60);
}

/* How far report_progress_line() has shortened the line: each step
 * keeps what the ones before it did. */
enum squeeze {
	SQ_NONE,
	SQ_HOST_NAME,  /* the host's name cut, with ".." */
	SQ_FLIGHT,     /* "9a 120q" for "9 active, 120 queued" */
	SQ_NO_HOST,    /* the host dropped */
	SQ_NO_ACTIVE,  /* a list: no counts in flight; a crawl keeps queued */
	SQ_NO_EXPECT,  /* bytes without the expected */
	SQ_NO_ELAPSED, /* no elapsed time */
	SQ_TIGHT,      /* " " between the parts instead of " | " */
	SQ_NO_BYTES,   /* the rate alone */
	SQ_NO_OKFAIL,  /* no ok and failed counts */
	SQ_LAST = SQ_NO_OKFAIL,
};

#define HOST_NAME_MIN 10 /* a host's name is cut no shorter than this */

/* The line as squeezed to step sq, with the host's name cut to at most
 * host_max bytes; returns its length (as snprintf). */
static size_t layout(char *out, size_t outlen, const struct report_progress *p, enum squeeze sq,
		     size_t host_max)
{
	char part[6][160], size[32], expect[32], rate[32], eta[24], clock[24], host[100];
	const char *sep = sq >= SQ_TIGHT ? " " : " | ";
	bool known = p->total != REPORT_TOTAL_UNKNOWN;
	size_t len = 0, part0;
	int n;

	memset(part, 0, sizeof(part));
	if (known) {
		uint64_t pct = p->total ? p->done * 100 / p->total : 100;

		snprintf(part[0], sizeof(part[0]), "[%llu/%llu %llu%%]",
			 (unsigned long long)p->done, (unsigned long long)p->total,
			 (unsigned long long)(pct > 100 ? 100 : pct));
	} else {
		snprintf(part[0], sizeof(part[0]), "[%llu/?]", (unsigned long long)p->done);
	}
	if (p->note) {
		size_t k = strlen(part[0]);

		snprintf(part[0] + k, sizeof(part[0]) - k, " %s", p->note);
	}
	if (sq < SQ_NO_OKFAIL)
		snprintf(part[1], sizeof(part[1]), "%llu ok, %llu failed",
			 (unsigned long long)p->ok, (unsigned long long)p->failed);
	/* In a crawl the queue is the only remainder known: it stays. */
	if (sq < SQ_FLIGHT)
		snprintf(part[2], sizeof(part[2]), "%u active, %zu queued", p->active, p->queued);
	else if (sq < SQ_NO_ACTIVE)
		snprintf(part[2], sizeof(part[2]), "%ua %zuq", p->active, p->queued);
	else if (!known)
		snprintf(part[2], sizeof(part[2]), "%zuq", p->queued);
	if (p->host && sq < SQ_NO_HOST) {
		size_t k = 0;

		/* a terminal must not be sent control bytes from the network */
		for (const char *c = p->host; *c && k + 1 < sizeof(host); c++)
			host[k++] =
			    (unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f ? '?' : *c;
		host[k] = '\0';
		if (k > host_max && host_max >= 3)
			snprintf(host + host_max - 2, sizeof(host) - (host_max - 2), "..");
		snprintf(part[3], sizeof(part[3]), "%s %ua %zuq %llue %llut %ldms", host,
			 p->host_active, p->host_queued, (unsigned long long)p->host_errors,
			 (unsigned long long)p->host_throttled, p->host_delay_ms);
	}
	report_format_bytes(size, sizeof(size), p->bytes);
	report_format_bytes(rate, sizeof(rate), p->rate);
	format_clock(eta, sizeof(eta), p->eta_s);
	if (p->expected > 0 && sq < SQ_NO_EXPECT)
		report_format_bytes(expect, sizeof(expect), p->expected);
	else
		expect[0] = '\0';
	snprintf(part[4], sizeof(part[4]), "%s%s%s%s%s/s%s%s", sq < SQ_NO_BYTES ? size : "",
		 expect[0] ? "/" : "", expect, sq < SQ_NO_BYTES ? " " : "", rate,
		 known ? " ETA " : "", known ? eta : "");
	if (sq < SQ_NO_ELAPSED) {
		format_clock(clock, sizeof(clock), p->elapsed_s);
		snprintf(part[5], sizeof(part[5]), "%s", clock);
	}
	if (outlen)
		out[0] = '\0';
	part0 = strlen(part[0]);
	for (int i = 0; i < 6; i++) {
		if (!part[i][0])
			continue;
		/* "[done/total]" heads the line: no separator after it */
		n = snprintf(len < outlen ? out + len : NULL, len < outlen ? outlen - len : 0,
			     "%s%s",
			     i == 0         ? ""
			     : len == part0 ? " "
					    : sep,
			     part[i]);
		if (n > 0)
			len += (size_t)n;
	}
	return len;
}

size_t report_progress_line(char *out, size_t outlen, const struct report_progress *p,
			    unsigned width)
{
	size_t max = width > 1 ? width - 1 : 0, len;
	enum squeeze sq = SQ_NONE;

	len = layout(out, outlen, p, sq, SIZE_MAX);
	while (len > max && sq < SQ_LAST) {
		if (sq == SQ_NONE && p->host) {
			/* the name first, down to HOST_NAME_MIN; the rest of the
			 * host's part has no more than that to give */
			size_t name = strlen(p->host), over = len - max;

			if (name > HOST_NAME_MIN) {
				size_t keep =
				    name > over + HOST_NAME_MIN ? name - over : HOST_NAME_MIN;

				len = layout(out, outlen, p, SQ_HOST_NAME, keep);
				if (len <= max)
					return len;
			}
		}
		sq++;
		len = layout(out, outlen, p, sq, HOST_NAME_MIN);
	}
	if (len > max && max < outlen) {
		out[max] = '\0';
		len = max;
	}
	return len < outlen ? len : (outlen ? outlen - 1 : 0);
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
	     add(rep, &len,
		 ",\"ok\":%s,\"skipped\":%s,\"http_code\":%ld,\"bytes\":%llu,"
		 "\"transferred\":%llu",
		 r->outcome != FETCH_FAILED ? "true" : "false",
		 r->outcome == FETCH_SKIPPED ? "true" : "false", r->http_code,
		 (unsigned long long)r->bytes, (unsigned long long)r->transferred) &&
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

/* Records this redraw's sample and returns the oldest one within the
 * window (the one before this if none is): the rates are taken from it. */
static struct sample take_sample(struct report *rep, struct sample now)
{
	struct sample from = now;

	for (unsigned i = 0; i < rep->n_samples; i++) {
		const struct sample *s =
		    &rep->samples[(rep->next_sample + SAMPLES - rep->n_samples + i) % SAMPLES];

		if (now.ms - s->ms <= RATE_WINDOW_MS || i + 1 == rep->n_samples) {
			from = *s;
			break;
		}
	}
	rep->samples[rep->next_sample] = now;
	rep->next_sample = (rep->next_sample + 1) % SAMPLES;
	if (rep->n_samples < SAMPLES)
		rep->n_samples++;
	return from;
}

/*
 * The ETA of a list of known length, the larger of two estimates, each
 * from the window's rates: the URLs left at the rate URLs have been
 * finishing, and the bytes the transfers in flight still expect (their
 * Content-Length) at the rate bytes have been coming.  The first is the
 * one that counts for many small files; the second for a few big ones,
 * where nothing may have finished for a long while (the first is then
 * unknown), and the run cannot end before the transfers in flight do.
 * Negative when neither is known.
 */
static double eta_seconds(uint64_t left, double done_rate, double left_in_flight, double byte_rate)
{
	double by_count = -1, by_bytes = -1;

	if (left == 0)
		return 0;
	if (done_rate > 0)
		by_count = (double)left / done_rate;
	if (byte_rate > 0 && left_in_flight > 0)
		by_bytes = left_in_flight / byte_rate;
	return by_count > by_bytes ? by_count : by_bytes;
}

static void draw_progress(struct report *rep)
{
	const struct report_counts *c = &rep->counts;
	struct report_progress p = {.total = atomic_load(&rep->total), .eta_s = -1};
	struct fetch_share_live live = {.bytes = c->bytes};
	struct frontier_host_view top;
	struct sample now, from;
	double span_s, left_in_flight = 0;
	char line[512], note[64];

	if (rep->share)
		live = fetch_share_live(rep->share);
	if (rep->opts->fleet) {
		fleet_state(rep->opts->fleet, note, sizeof(note));
		p.note = note[0] ? note : NULL;
	}
	p.done = c->done;
	p.ok = c->ok + c->skipped;
	p.failed = c->failed;
	p.active = live.active;
	p.bytes = (double)live.bytes;
	p.elapsed_s = sync_ms_since(rep->start_ns) / 1000.0;
	if (rep->opts->frontier) {
		struct frontier_stats fs;
		size_t n = frontier_snapshot(rep->opts->frontier, &fs, &top, 1);

		/* the frontier's count, as the host's is, read with it:
		 * they agree */
		p.active = (unsigned)fs.in_flight;
		p.queued = fs.queued;
		if (rep->opts->show_hosts && n == 1) {
			p.host = top.key;
			p.host_active = top.in_flight;
			p.host_queued = top.queued;
			p.host_errors = top.errors;
			p.host_throttled = top.throttled;
			p.host_delay_ms = top.delay_ms;
		}
	}
	left_in_flight = (double)(live.sized_expected - live.sized_received);
	if (left_in_flight >= EXPECT_SHOWN_FROM)
		p.expected = p.bytes + left_in_flight;
	now = (struct sample){p.elapsed_s * 1000.0, p.bytes, p.done};
	from = take_sample(rep, now);
	span_s = (now.ms - from.ms) / 1000.0;
	if (span_s > 0) {
		p.rate = (now.bytes - from.bytes) / span_s;
		if (p.total != TOTAL_UNKNOWN)
			p.eta_s = eta_seconds(p.total > p.done ? p.total - p.done : 0,
					      (double)(now.done - from.done) / span_s,
					      left_in_flight, p.rate);
	}
	report_progress_line(line, sizeof(line), &p, term_width(rep->opts->err));
	fprintf(rep->opts->err, "\r%s\033[K", line);
	fflush(rep->opts->err);
	rep->drawn = true;
	rep->last_draw_ms = now.ms;
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
	if (r->outcome != FETCH_FAILED) {
		c->bytes += r->bytes;
		c->resumed += r->resumed;
	}
	c->transferred += r->transferred;

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

/* One result: counted, printed, acknowledged, freed. */
static void take(struct report *rep, void *item)
{
	const struct fetch_result *r = item;

	account(rep, item);
	/* written, so done: an interrupted one stays pending for the
	 * shard's next owner */
	if (rep->opts->fleet && r->fleet_id &&
	    !(r->outcome == FETCH_FAILED && r->err == FA_ERR_CANCELLED))
		fleet_ack(rep->opts->fleet, r->fleet_id, r->outcome == FETCH_FAILED,
			  r->transferred);
	fetch_result_free(item);
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
			take(rep, item);
			while (queue_try_pop(rep->results, &item) == FA_OK)
				take(rep, item);
			/* Results come thousands a second: a moment's pause
			 * lets the next few queue up, to be taken in one go,
			 * where waiting at once would wake this thread (a
			 * futex call and a thread switch) for every one.  The
			 * queue's close ends it: the run's end does not wait
			 * for it (2 ms of every run, a tenth of a short one). */
			queue_pause(rep->results, REPORT_BATCH_MS);
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
	rep->samples[0] = (struct sample){0, 0, 0};
	rep->n_samples = 1;
	rep->next_sample = 1;
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
	char size[32], rate[32], resumed[64] = "";

	if (rep->opts->quiet)
		return;
	/* What came over the network in this run, so the rate is true: a
	 * file -c completed holds bytes an earlier run fetched, said apart. */
	report_format_bytes(size, sizeof(size), (double)c->transferred);
	report_format_bytes(rate, sizeof(rate), wall_s > 0 ? (double)c->transferred / wall_s : 0);
	if (c->resumed) {
		char had[32];

		report_format_bytes(had, sizeof(had), (double)c->resumed);
		snprintf(resumed, sizeof(resumed), " transferred, %s resumed,", had);
	}
	fprintf(rep->opts->err,
		"fetchall: %llu URLs: %llu ok, %llu failed, %llu skipped%s; %s%s in %.2f s "
		"(%s/s)\n",
		(unsigned long long)c->done, (unsigned long long)c->ok,
		(unsigned long long)c->failed, (unsigned long long)c->skipped,
		c->interrupted ? ", interrupted" : "", size, resumed, wall_s, rate);
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

bool report_draws_progress(const struct report *rep)
{
	return rep->opts->progress && !rep->opts->quiet;
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
