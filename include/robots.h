/*
 * robots: robots.txt parsing and matching (RFC 9309).
 *
 * A crawler fetches a host's /robots.txt once, turns the HTTP outcome into
 * a verdict with robots_verdict_for_status(), and keeps one struct robots
 * per host: parsed rules (robots_parse), allow-all (robots_allow_all) or
 * disallow-all (robots_disallow_all).  Every request to that host then
 * asks robots_allowed() first, and spaces requests by
 * robots_crawl_delay_ms().
 *
 * Parsing keeps only what applies to one product token (e.g. "fetchall"),
 * so a struct robots is small and, once returned, never changes: any
 * number of threads may query the same one at the same time.  Where the
 * RFC is silent, behaviour follows Google's open-source robotstxt parser.
 */
#ifndef FA_ROBOTS_H
#define FA_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Bytes of a robots.txt that are parsed; the rest is ignored, as is a line
 * cut in two by this limit.  RFC 9309 section 2.5 asks for at least 500 KiB. */
#define ROBOTS_MAX_BYTES (500 * 1024)

/* Bytes of one line that are looked at; the rest of the line is ignored
 * (Google's limit: 8 x 2083, the longest URL common browsers accept). */
#define ROBOTS_MAX_LINE (8 * 2083)

/* Allow/disallow rules kept for the product token (per candidate group set:
 * the specific groups and the "*" groups); later rules are ignored. */
#define ROBOTS_MAX_RULES 10000

/* Crawl-delay values above this are lowered to it. */
#define ROBOTS_MAX_CRAWL_DELAY_MS 60000L

/* Sitemap URLs recorded; later ones are counted but not kept. */
#define ROBOTS_MAX_SITEMAPS 64

/* The rules for one product token on one host.  Opaque and immutable. */
struct robots;

/* What to do with the answer to a robots.txt request (RFC 9309 2.3.1). */
enum robots_fetch_verdict {
	ROBOTS_FETCH_PARSE,        /* 2xx: parse the body with robots_parse() */
	ROBOTS_FETCH_ALLOW_ALL,    /* "unavailable" (4xx except 429, or more
				      redirects than were followed): crawl
				      freely, use robots_allow_all() */
	ROBOTS_FETCH_DISALLOW_ALL, /* "unreachable" (5xx, 429, network error,
				      no final status): crawl nothing for now,
				      use robots_disallow_all() */
};

/*
 * Parses `len` bytes of robots.txt at `text` (need not be NUL-terminated;
 * may be NULL when len is 0) for the crawler whose product token starts
 * `user_agent`: its leading run of letters, '_' and '-', so "fetchall/1.0"
 * means "fetchall".
 *
 * Groups are selected as RFC 9309 2.2.1 says: every group with a
 * user-agent line whose product token equals ours, ignoring case, applies
 * and their rules are combined; if there is none, the "*" groups apply
 * (combined likewise); if there is none of those either, everything is
 * allowed.  A matching group with no rules still counts, so it overrides
 * "*".  Only allow/disallow and crawl-delay lines end a run of user-agent
 * lines; sitemap and unknown lines do not.  Keys are matched ignoring case
 * (with Google's common misspellings), lines without ':' are ignored, as
 * are comments, a UTF-8 BOM, and rules before the first user-agent line.
 * Lines may end in LF, CR or CRLF.  Limits: ROBOTS_MAX_BYTES,
 * ROBOTS_MAX_LINE, ROBOTS_MAX_RULES.
 *
 * On FA_OK, *out is a new object the caller frees with robots_free().
 * Returns FA_ERR_ARG (out, user_agent or a non-empty text is NULL, or
 * user_agent has no product token) or FA_ERR_NOMEM; *out is then NULL.
 * Malformed content is never an error: unparsable lines are skipped
 * (RFC 9309 2.3.1.5).  `text` and `user_agent` are only borrowed for the
 * call.  Thread-safe.
 */
enum fa_err robots_parse(const char *text, size_t len, const char *user_agent, struct robots **out);

/*
 * Whether the rules let the crawler fetch `path_and_query`: the URL's path
 * starting with '/', plus '?' and the query if any (a '#' fragment is
 * ignored; NULL or "" mean "/").  The longest matching pattern decides
 * (length in octets of the normalized pattern, '*' and a final '$'
 * included); an allow wins a tie with a disallow; no match means allowed.
 * '*' matches any run of octets, a final '$' anchors at the end.  Paths
 * and patterns are compared after the same percent-encoding normalization
 * (hex digits uppercased, unreserved characters decoded, other bytes
 * outside the URI character set encoded), so "%7e" = "~" and "%2f" = "%2F",
 * but "%2F" != "/".  "/robots.txt" is always allowed.  A NULL `r` allows
 * everything.  Cost is linear in the path and pattern lengths per rule.
 *
 * Returns false if memory for the normalized path cannot be allocated
 * (only tried when it exceeds 4 KiB): failing closed is the polite choice.
 * Nothing is kept.  Thread-safe, also on the same `r`.
 */
bool robots_allowed(const struct robots *r, const char *path_and_query);

/*
 * The applicable group's Crawl-delay in milliseconds (fractions of a
 * second kept to the millisecond, capped at ROBOTS_MAX_CRAWL_DELAY_MS; the
 * largest if the combined groups give several), or -1 if it gives none or
 * `r` is NULL.  Thread-safe.
 */
long robots_crawl_delay_ms(const struct robots *r);

/* How many Sitemap lines the file had (all groups; sitemaps are not tied
 * to a user agent), including those over ROBOTS_MAX_SITEMAPS.  0 for NULL.
 * Thread-safe. */
size_t robots_sitemap_count(const struct robots *r);

/* The i-th recorded Sitemap URL (as written, whitespace trimmed), or NULL
 * if i >= min(count, ROBOTS_MAX_SITEMAPS) or `r` is NULL.  Borrowed: valid
 * until robots_free(r).  Thread-safe. */
const char *robots_sitemap(const struct robots *r, size_t i);

/*
 * The verdict for the final HTTP status of a robots.txt fetch, after the
 * fetcher has followed up to five redirects (RFC 9309 2.3.1.2).  Pass 0
 * for a network error or no response.  2xx -> PARSE; 3xx (redirects left
 * over) and 4xx -> ALLOW_ALL, except 429 -> DISALLOW_ALL as Google does;
 * 5xx, 0, 1xx and anything else -> DISALLOW_ALL.  RFC 9309 lets a crawler
 * treat a host that stays unreachable for a long time (e.g. 30 days) as
 * unavailable; that policy is the caller's.  Thread-safe.
 */
enum robots_fetch_verdict robots_verdict_for_status(long http_code);

/*
 * Shared immutable objects for the two verdicts that need no parsing:
 * allow-all ("unavailable": no rules, no crawl-delay) and disallow-all
 * ("unreachable": every path refused except /robots.txt).  Never NULL;
 * robots_free() on them does nothing, so callers can free every struct
 * robots the same way.  Thread-safe.
 */
struct robots *robots_allow_all(void);
struct robots *robots_disallow_all(void);

/* Frees `r` and everything it owns.  NULL and the shared objects above are
 * fine.  Not to be called while another thread still queries `r`. */
void robots_free(struct robots *r);

#endif
