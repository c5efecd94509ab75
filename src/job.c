/*
 * job: one job's life in a fetch thread: robots check, transfer, parse,
 * new jobs, result.
 *
 * Order matters for termination: URLs a page yields are queued before
 * frontier_done() is called for the page, so the frontier never sees
 * "nothing queued, nothing active" while a page still has links to give.
 * The page buffer and the link list are per thread and reused, so a crawl
 * allocates per page only what the page's URLs need.
 *
 * Locking: the frontier and the results queue lock themselves;
 * content_lock guards the --dedupe set; statistics are atomics.
 */
#include "job.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleet.h"
#include "frontier.h"
#include "html.h"
#include "procpool.h"
#include "queue.h"
#include "linkmap.h"
#include "robots.h"
#include "scope.h"
#include "seen.h"
#include "sniff.h"
#include "store.h"
#include "url.h"
#include "sync.h"

struct job_worker {
	struct job_ctx *ctx;
	struct fetch_worker *fetch;
	struct fetch_buffer page;
	struct html_links links;
	char last_host[FRONTIER_KEY_MAX]; /* frontier_next()'s `last` */
	struct fetch_job *finished;       /* run, its frontier_done() to come */
};

enum fa_err job_ctx_init(struct job_ctx *ctx, const struct job_opts *opts)
{
	size_t cap = (size_t)opts->jobs * 2;

	memset(ctx, 0, sizeof(*ctx));
	ctx->opts = opts;
	ctx->results = queue_new(cap < 64 ? 64 : cap, fetch_result_free);
	if (opts->dedupe) {
		ctx->content = seen_new(0);
		sync_must(pthread_mutex_init(&ctx->content_lock, NULL), "pthread_mutex_init");
		ctx->content_lock_made = true;
	}
	if (opts->convert_links)
		ctx->links = linkmap_new();
	if (!ctx->results || (opts->dedupe && !ctx->content) ||
	    (opts->convert_links && !ctx->links)) {
		job_ctx_release(ctx);
		return FA_ERR_NOMEM;
	}
	return FA_OK;
}

void job_ctx_release(struct job_ctx *ctx)
{
	procpool_free(ctx->procpool);
	queue_free(ctx->results);
	frontier_free(ctx->frontier);
	store_free(ctx->store);
	seen_free(ctx->content);
	linkmap_free(ctx->links);
	if (ctx->content_lock_made)
		sync_must(pthread_mutex_destroy(&ctx->content_lock), "pthread_mutex_destroy");
	memset(ctx, 0, sizeof(*ctx));
}

struct job_worker *job_worker_new(struct job_ctx *ctx, struct fetch_share *share)
{
	struct job_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ctx = ctx;
	w->fetch = fetch_worker_new(share);
	if (!w->fetch) {
		free(w);
		return NULL;
	}
	w->page.max = ctx->opts->max_page_size;
	return w;
}

enum fa_err job_next(struct job_worker *w, struct fetch_job **job)
{
	struct fetch_job *done = w->finished;
	enum fa_err err;

	w->finished = NULL;
	err = frontier_next_after(w->ctx->frontier, done, w->last_host, job);
	fetch_job_free(done);
	return err;
}

void job_worker_free(struct job_worker *w)
{
	if (!w)
		return;
	if (w->finished) {
		frontier_done(w->ctx->frontier, w->finished);
		fetch_job_free(w->finished);
	}
	fetch_worker_free(w->fetch);
	fetch_buffer_release(&w->page);
	html_links_release(&w->links);
	free(w);
}

struct gate_arg {
	struct frontier *frontier;
	struct frontier_host *host;
};

static bool gate_start(void *arg)
{
	struct gate_arg *g = arg;

	return frontier_attempt_start(g->frontier, g->host);
}

static void gate_end(void *arg, long http_code, bool transport_error, long retry_after_ms,
		     long latency_ms)
{
	struct gate_arg *g = arg;

	frontier_attempt_end(g->frontier, g->host, http_code, transport_error, retry_after_ms,
			     latency_ms);
}

static bool gate_in_flight(void *arg, bool on)
{
	struct gate_arg *g = arg;

	return frontier_in_flight(g->frontier, g->host, on);
}

/* Hands a copy of *res to the reporter; *res is left empty.  The job's
 * fleet entry goes with it, to be acknowledged once it is written. */
static void report(struct job_ctx *ctx, struct fetch_result *res, struct fetch_job *job)
{
	struct fetch_result *copy = malloc(sizeof(*copy));

	res->fleet_id = job->fleet_id;
	job->fleet_id = NULL;

	if (!copy) {
		fetch_result_release(res);
		return;
	}
	*copy = *res;
	memset(res, 0, sizeof(*res));
	queue_push(ctx->results, copy); /* the queue frees it if closed */
}

static void report_skip(struct job_ctx *ctx, struct fetch_job *job, const char *why)
{
	struct fetch_result res = {0};

	res.url = strdup(job->url);
	res.source = job->source ? strdup(job->source) : NULL;
	res.line = job->line;
	fetch_result_skip(&res, FA_OK, why);
	report(ctx, &res, job);
}

/*
 * What a body is, for --accept-type: its magic bytes when they name a
 * format; else the server's Content-Type, unless it claims a format whose
 * magic we know and the bytes do not have it (a text page sent as
 * image/png is not a PNG).
 */
static const char *body_type(const struct fetch_result *res, const unsigned char *head,
			     size_t head_len)
{
	static const char *const verifiable =
	    "image/png,image/jpeg,image/gif,image/webp,image/avif";
	const char *sniffed = sniff_type(head, head_len);

	if (sniffed)
		return sniffed;
	if (sniff_type_matches(res->content_type, verifiable))
		return NULL;
	return res->content_type;
}

/* Filters on a complete body before it is saved (fetch_target.check). */
static const char *check_file(void *arg, const struct fetch_result *res, const unsigned char *head,
			      size_t head_len)
{
	struct job_ctx *ctx = arg;
	const struct job_opts *o = ctx->opts;

	if (o->min_size && res->bytes < o->min_size)
		return "smaller than --min-size";
	if (o->accept_types && !sniff_type_matches(body_type(res, head, head_len), o->accept_types))
		return "type not accepted by --accept-type";
	if (o->dedupe && (res->hash[0] | res->hash[1])) {
		uint64_t fp = res->hash[0] ^ (res->hash[1] * UINT64_C(0x9e3779b97f4a7c15));
		enum fa_err err;

		sync_lock(&ctx->content_lock);
		err = seen_add(ctx->content, fp);
		sync_unlock(&ctx->content_lock);
		if (err == FA_ERR_EXISTS)
			return "same content as an earlier file (--dedupe)";
	}
	return NULL;
}

/* "path?query" of an absolute URL, for robots.txt ("/" if none). */
static const char *path_of(const char *url)
{
	struct url_split parts;

	return url_split(url, &parts) && parts.query > parts.path ? url + parts.path : "/";
}

/* The charset parameter of a Content-Type into buf; NULL if none. */
static const char *charset_of(const char *ct, char *buf, size_t len)
{
	const char *p;
	size_t n = 0;

	if (!ct)
		return NULL;
	for (p = ct; *p; p++)
		if (!strncasecmp(p, "charset=", 8))
			break;
	if (!*p)
		return NULL;
	p += 8;
	if (*p == '"' || *p == '\'')
		p++;
	while (p[n] && p[n] != '"' && p[n] != '\'' && p[n] != ';' && !isspace((unsigned char)p[n]))
		n++;
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void run_robots(struct job_worker *w, struct fetch_job *job, const struct fetch_gate *gate)
{
	struct job_ctx *ctx = w->ctx;
	struct fetch_buffer buf = {.max = ROBOTS_MAX_BYTES};
	struct fetch_target t = {.buffer = &buf, .gate = gate};
	struct fetch_result res;
	struct robots *rules = NULL;

	fetch_run(w->fetch, &t, job, &res);
	switch (res.outcome == FETCH_OK ? ROBOTS_FETCH_PARSE
					: robots_verdict_for_status(res.http_code)) {
	case ROBOTS_FETCH_PARSE:
		if (robots_parse(buf.data ? buf.data : "", buf.len, ctx->opts->robots_agent,
				 &rules) != FA_OK)
			rules = robots_allow_all();
		break;
	case ROBOTS_FETCH_ALLOW_ALL: rules = robots_allow_all(); break;
	default: rules = robots_disallow_all(); break;
	}
	frontier_set_robots(ctx->frontier, job->host, rules);
	fetch_result_release(&res);
	fetch_buffer_release(&buf);
}

/* Whether url's host belongs to another run's shard (--shard).  A URL
 * without a host is left to fail where it would anyway. */
static bool other_shard(const struct job_ctx *ctx, const char *url)
{
	const struct job_opts *o = ctx->opts;
	unsigned shard;

	return o->nshards && url_shard(url, o->nshards, &shard) == FA_OK && shard != o->shard;
}

/* Queues one URL a page gave; counts it. */
/* -A/-R: whether url's file name may be kept.  A directory URL is judged
 * by the name it is saved under, index.html. */
static bool name_acceptable(const struct job_opts *o, const char *url)
{
	const char *name;
	size_t len;

	if (!o->accept_ext && !o->reject_ext)
		return true;
	if (!sniff_url_name(url, &name, &len))
		return false;
	if (len == 0) {
		name = "index.html";
		len = strlen(name);
	}
	return sniff_name_acceptable(name, len, o->accept_ext, o->reject_ext, o->ignore_case);
}

/* Whether url's file name ends in .html, .htm, .shtml or .xhtml (any
 * case), or is empty (a directory): a page a crawl may need to go on,
 * which -A/-R do not keep it from fetching (wget's has_html_suffix_p). */
static bool looks_like_page(const char *url)
{
	const char *name, *dot = NULL;
	size_t len;

	if (!sniff_url_name(url, &name, &len))
		return false;
	if (len == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '.')
			dot = name + i + 1;
	if (!dot)
		return false;
	len = (size_t)(name + len - dot);
	return (len == 4 && !strncasecmp(dot, "html", 4)) ||
	       (len == 3 && !strncasecmp(dot, "htm", 3)) ||
	       (len == 5 && (!strncasecmp(dot, "shtml", 5) || !strncasecmp(dot, "xhtml", 5)));
}

static void follow(struct job_ctx *ctx, const struct fetch_job *page, const char *page_url,
		   const struct html_link *link)
{
	const struct job_opts *o = ctx->opts;
	struct fetch_job *job;
	bool is_page = link->kind == HTML_LINK;
	bool keep = name_acceptable(o, link->url); /* -A/-R */

	if (is_page) {
		if (!o->crawl || page->depth + 1 > o->max_depth ||
		    !scope_allows(ctx->scope, link->url))
			return;
		/* wget's -A/-R in a crawl: a link the lists refuse is never
		 * requested, unless it looks like a page with links still to
		 * follow (it is then fetched and parsed, and not kept) */
		if (!keep && !(looks_like_page(link->url) &&
			       (o->max_depth == UINT_MAX || page->depth + 1 < o->max_depth ||
				o->requisites)))
			return;
		if (other_shard(ctx, link->url)) {
			/* counted once per URL, however many pages link it */
			if (frontier_mark_seen(ctx->frontier, link->url))
				atomic_fetch_add(&ctx->stats.other_shard, 1);
			return;
		}
	} else {
		/* --spider checks every link a page has */
		if (link->kind == HTML_IMAGE && !o->images && !o->requisites && !o->spider)
			return;
		if (link->kind == HTML_REQUISITE && !o->requisites && !o->spider)
			return;
		if (ctx->scope && !scope_patterns_allow(ctx->scope, link->url))
			return;
		if (!keep)
			return;
	}
	if (ctx->fleet) {
		/* to its shard's inbox, this one's too: the receiver dedupes */
		if (fleet_send(ctx->fleet, link->url, page->depth + 1, page_url,
			       is_page ? 'p' : 'f', !is_page || (!o->images && keep), 0,
			       false) == FA_OK)
			atomic_fetch_add(&ctx->stats.links_queued, 1);
		return;
	}
	job = fetch_job_new(link->url, is_page ? JOB_PAGE : JOB_FILE);
	if (!job)
		return;
	job->depth = page->depth + 1;
	job->save = !is_page || (!o->images && keep);
	job->source = strdup(page_url);
	if (is_page && o->max_pages &&
	    atomic_fetch_add(&ctx->stats.pages_queued, 1) >= o->max_pages) {
		atomic_fetch_sub(&ctx->stats.pages_queued, 1);
		fetch_job_free(job);
		return;
	}
	if (frontier_add(ctx->frontier, job, true, false) == FA_OK)
		atomic_fetch_add(&ctx->stats.links_queued, 1);
	else if (is_page && o->max_pages)
		atomic_fetch_sub(&ctx->stats.pages_queued, 1);
}

/* A page --convert-links rewrote has links to local paths: it is parsed
 * against this base plus its own path, and a link that lands under it is
 * the local file whose record names its URL.  .invalid never resolves
 * (RFC 2606), so no real link can look like one. */
#define LOCAL_BASE "http://fetchall.invalid/"
/* A page buffer larger than this is freed after its page. */
#define PAGE_KEEP_MAX (256 * 1024)

/* base for a converted page saved at relpath: LOCAL_BASE + relpath with
 * every byte outside [A-Za-z0-9/._~-] percent-encoded. */
static void local_base(const char *relpath, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "%s", LOCAL_BASE);

	for (const unsigned char *p = (const unsigned char *)relpath; *p && n + 4 < len; p++) {
		if (isalnum(*p) || strchr("/._~-", *p))
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", *p);
	}
	out[n] = '\0';
}

/* The URL a link of a converted page stands for: an absolute link as it
 * is; a local one, the URL recorded on the file it points at (into buf).
 * NULL if the local file has no record. */
static const char *local_link_url(struct job_ctx *ctx, const char *url, char *buf)
{
	struct store_record rec;
	CURLU *h;
	char *path = NULL;
	bool found = false;

	if (strncmp(url, LOCAL_BASE, sizeof(LOCAL_BASE) - 1) != 0)
		return url;
	h = curl_url();
	if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK && path[0])
		found = store_saved_record(ctx->store, path + 1, buf, &rec);
	curl_free(path);
	curl_url_cleanup(h);
	return found ? rec.url : NULL;
}

/* Parses a fetched page (or, with local_path, a page this crawl saved and
 * --convert-links rewrote, at that path) and queues what it yields.
 * Returns FA_OK or the parse error (with errbuf filled). */
static enum fa_err parse_page(struct job_worker *w, const struct fetch_job *job,
			      const struct fetch_result *res, const char *local_path, char *errbuf,
			      size_t errlen)
{
	struct job_ctx *ctx = w->ctx;
	const struct job_opts *o = ctx->opts;
	char local[STORE_PATH_MAX * 3 + sizeof(LOCAL_BASE)];
	const char *base = res->final_url ? res->final_url : job->url;
	unsigned kinds = 0;
	char cs[64];
	const char *charset = charset_of(res->content_type, cs, sizeof(cs));
	uint64_t t0;
	enum fa_err err;

	if (local_path) {
		local_base(local_path, local, sizeof(local));
		base = local;
	}
	/* nofollow in X-Robots-Tag: none of the page's links */
	if (o->crawl && !(o->robots_meta && res->robots_tag &&
			  html_robots_nofollow(res->robots_tag, o->robots_agent)))
		kinds |= HTML_LINK;
	if (o->robots_meta)
		kinds |= HTML_ROBOTS;
	if (o->images || o->requisites || o->spider)
		kinds |= HTML_IMAGE;
	if (o->requisites || o->spider)
		kinds |= HTML_REQUISITE;
	if (!(kinds & (HTML_LINK | HTML_IMAGE | HTML_REQUISITE)))
		return FA_OK; /* nothing to look for (X-Robots-Tag: nofollow) */
	html_links_release(&w->links);
	t0 = sync_now_ns();
	if (ctx->procpool)
		err = procpool_parse(ctx->procpool, base, charset, w->page.data, w->page.len, kinds,
				     &w->links, errbuf, errlen);
	else
		err = html_extract(w->page.data, w->page.len, base, charset, kinds, &w->links);
	atomic_fetch_add(&ctx->stats.parse_ns, sync_now_ns() - t0);
	if (err != FA_OK) {
		atomic_fetch_add(&ctx->stats.parse_failures, 1);
		if (!ctx->procpool)
			snprintf(errbuf, errlen, "cannot parse the page: %s", fa_strerror(err));
		return err;
	}
	atomic_fetch_add(&ctx->stats.pages_parsed, 1);
	atomic_fetch_add(&ctx->stats.links_found, w->links.count);
	atomic_fetch_add(&ctx->stats.links_unparsable, w->links.skipped);
	atomic_fetch_add(&ctx->stats.links_over_cap, w->links.over_cap);
	if (res->final_url && strcmp(res->final_url, job->url))
		frontier_mark_seen(ctx->frontier, res->final_url);
	for (size_t i = 0; i < w->links.count; i++) {
		struct html_link link = w->links.items[i];
		char buf[STORE_RECORD_MAX];

		if (local_path) {
			link.url = (char *)local_link_url(ctx, link.url, buf);
			if (!link.url)
				continue; /* a local file we did not save */
		}
		follow(ctx, job, local_path ? job->url : base, &link);
	}
	return FA_OK;
}

static bool page_is_html(const struct fetch_result *res, const struct fetch_buffer *page)
{
	const char *sniffed;

	if (res->content_type)
		return sniff_type_matches(res->content_type, "text/html,application/xhtml+xml");
	sniffed = sniff_type((const unsigned char *)page->data, page->len);
	return sniffed && !strcmp(sniffed, "text/html");
}

/* --convert-links: where the URL (and the URL it redirected to) is on
 * disk, and, for an HTML page this run saved or read back, that its links
 * need converting.  A failure to record only leaves links unconverted. */
static void record_saved(struct job_ctx *ctx, const struct fetch_job *job,
			 const struct fetch_result *res, const struct fetch_buffer *page,
			 bool reread)
{
	(void)linkmap_put(ctx->links, job->url, res->path);
	if (res->final_url)
		(void)linkmap_put(ctx->links, res->final_url, res->path);
	if (job->kind == JOB_PAGE && job->save && (res->outcome != FETCH_SKIPPED || reread) &&
	    page_is_html(res, page)) {
		char charset[64];

		(void)linkmap_add_page(ctx->links, res->path,
				       res->final_url ? res->final_url : job->url,
				       charset_of(res->content_type, charset, sizeof(charset)));
	}
}

/* -c or --no-clobber in a crawl: a page an earlier run saved is read back
 * from disk, so a resumed crawl goes on below it (as wget -r -nc does).
 * Returns whether it is now in w->page. */
/* Reads the page saved at res->path back into w->page; *converted: its
 * links are local (--convert-links rewrote it). */
static bool reread_saved_page(struct job_worker *w, const struct fetch_result *res, bool *converted)
{
	char buf[STORE_RECORD_MAX];
	struct store_record rec;
	char *data = NULL;
	size_t len = 0;

	if (store_read(w->ctx->store, res->path, w->page.max, &data, &len) != FA_OK)
		return false;
	*converted = store_saved_record(w->ctx->store, res->path, buf, &rec) && rec.converted;
	fetch_buffer_release(&w->page);
	w->page.data = data;
	w->page.len = len;
	w->page.cap = len + 1;
	w->page.truncated = false;
	return true;
}

void job_run(struct job_worker *w, struct fetch_job *job)
{
	struct job_ctx *ctx = w->ctx;
	const struct job_opts *o = ctx->opts;
	struct gate_arg ga = {ctx->frontier, job->host};
	struct fetch_gate gate = {gate_start, gate_end, gate_in_flight, &ga};
	struct fetch_target t = {.gate = job->host ? &gate : NULL};
	const struct robots *rules = job->host ? frontier_robots(job->host) : NULL;
	struct fetch_result res;
	bool reread = false;
	bool converted = false;

	if (job->kind == JOB_ROBOTS) {
		run_robots(w, job, t.gate);
		goto done;
	}
	if (rules && !robots_allowed(rules, path_of(job->url))) {
		/* never fetched, so not one of the --max-pages pages: its place
		 * goes to the next page found */
		if (job->kind == JOB_PAGE && o->crawl && o->max_pages)
			atomic_fetch_sub(&ctx->stats.pages_queued, 1);
		report_skip(ctx, job, "disallowed by robots.txt");
		goto done;
	}
	if (job->kind == JOB_FILE && job->line && !name_acceptable(o, job->url)) {
		report_skip(ctx, job, "name not accepted by -A/-R");
		goto done;
	}
	if (job->save && !o->spider)
		t.store = ctx->store;
	if (job->kind == JOB_PAGE) {
		t.buffer = &w->page;
		t.want = o->spider ? FETCH_WANT_HTML : FETCH_WANT_BODY;
	} else if (o->spider) {
		/* a link checker needs a file's status, not its body */
		t.want = FETCH_WANT_STATUS;
	} else {
		t.max_size = o->max_size;
		t.hash = o->dedupe;
		t.check = check_file;
		t.check_arg = ctx;
	}
	fetch_run(w->fetch, &t, job, &res);
	/* What follows (parsing) is no transfer: the host may start another.
	 * (A file's job ends here: job_next() says so.) */
	if (job->kind == JOB_PAGE)
		frontier_transfer_over(ctx->frontier, job);

	if (job->kind == JOB_PAGE && res.outcome == FETCH_OK) {
		char why[256];

		if (!page_is_html(&res, &w->page)) {
			atomic_fetch_add(&ctx->stats.pages_not_html, 1);
		} else if (w->page.truncated) {
			atomic_fetch_add(&ctx->stats.pages_too_big, 1);
		} else if (parse_page(w, job, &res, NULL, why, sizeof(why)) != FA_OK) {
			fetch_result_fail(&res, FA_ERR_PARSE, "%s", why);
		}
	} else if (job->kind == JOB_PAGE && o->crawl && res.outcome == FETCH_SKIPPED &&
		   res.err == FA_ERR_EXISTS && res.path && reread_saved_page(w, &res, &converted) &&
		   page_is_html(&res, &w->page)) {
		char why[256];

		/* the page stays "skipped"; a parse failure is only counted */
		reread = parse_page(w, job, &res, converted ? res.path : NULL, why, sizeof(why)) ==
			 FA_OK;
	}
	if (ctx->links && res.outcome != FETCH_FAILED && res.path)
		/* a converted page is converted already: not again */
		record_saved(ctx, job, &res, &w->page, reread && !converted);
	report(ctx, &res, job);
	/* A big page's buffer goes with it, so what threads hold between
	 * pages stays small: only pages being fetched or parsed take room. */
	if (w->page.cap > PAGE_KEEP_MAX)
		fetch_buffer_release(&w->page);
done:
	/* frontier_done() with the thread's next job (job_next()) */
	w->finished = job;
}

bool job_seed_wanted(const struct job_ctx *ctx, const char *url)
{
	bool page = ctx->opts->pages;

	return !other_shard(ctx, url) &&
	       (page || !ctx->scope || !scope_patterns_refusal(ctx->scope, url));
}

void job_seed_prepare(const struct job_ctx *ctx, struct fetch_job *job)
{
	const struct job_opts *o = ctx->opts;

	job->kind = o->pages ? JOB_PAGE : JOB_FILE;
	job->depth = 0;
	/* a crawl's start page the lists refuse is fetched for its links
	 * and not kept, as wget removes it */
	job->save = !o->images && (!o->crawl || name_acceptable(o, job->url));
}

enum fa_err job_add_seed(struct job_ctx *ctx, struct fetch_job *job)
{
	const struct job_opts *o = ctx->opts;
	bool page = o->pages;
	const char *refused;

	if (other_shard(ctx, job->url)) {
		atomic_fetch_add(&ctx->stats.other_shard, 1);
		fetch_job_free(job);
		return FA_OK;
	}
	/* A listed file is judged by --include/--exclude as an image found
	 * on a page is, before it takes a place in the frontier.  Listed
	 * pages are not: the patterns choose what pages lead to. */
	refused = !page && ctx->scope ? scope_patterns_refusal(ctx->scope, job->url) : NULL;
	if (refused) {
		report_skip(ctx, job, refused);
		fetch_job_free(job);
		return FA_OK;
	}
	job_seed_prepare(ctx, job);
	if (o->crawl && o->max_pages) {
		if (atomic_fetch_add(&ctx->stats.pages_queued, 1) >= o->max_pages) {
			fetch_job_free(job);
			return FA_OK;
		}
	}
	return frontier_add(ctx->frontier, job, o->crawl, true);
}
