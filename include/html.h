/*
 * html: links and images out of an HTML document, with libxml2.
 *
 * Given a page's bytes and its URL, returns absolute URLs with their kind:
 * links to follow, images, and page requisites (stylesheets, scripts).
 * URLs are resolved against the page URL or its <base href> with libcurl's
 * CURLU API, fragments dropped; javascript:, mailto:, data: and other
 * non-http(s) links are skipped.  Malformed HTML, broken encodings and deep
 * nesting never crash and never hang (libxml2's recovering HTML parser with
 * no network access; caps on output).
 */
#ifndef FA_HTML_H
#define FA_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum html_kind {
	HTML_LINK = 1 << 0,      /* a href, area href, frame/iframe src */
	HTML_IMAGE = 1 << 1,     /* img src/srcset, source srcset, input type=image,
				    link rel~=icon, meta og:image, style url() */
	HTML_REQUISITE = 1 << 2, /* link rel=stylesheet, script src */
	/* Not a kind of link: obey <meta name="robots"> (nofollow or none
	 * drops the page's HTML_LINKs, as wget does in a crawl). */
	HTML_ROBOTS = 1 << 3,
};

struct html_link {
	enum html_kind kind;
	char *url; /* absolute http(s) URL, no fragment; owned by the list */
};

/* A growable list; zero-initialise before use. */
struct html_links {
	struct html_link *items;
	size_t count, cap;
	size_t skipped;  /* links that could not be resolved or were too long
			    (other schemes, javascript: etc., are not counted) */
	size_t over_cap; /* links past the HTML_MAX_LINKS-th of a page */
};

/* At most this many URLs are returned for one page (the rest are
 * counted in `over_cap`). */
#define HTML_MAX_LINKS 100000

/*
 * Parses `len` bytes of HTML at `body` (not NUL-terminated) fetched from
 * `page_url`, appending every URL of a kind in `kinds` (a set of enum
 * html_kind) to *out in document order, duplicates included (callers
 * dedupe).  `charset` is the charset from the Content-Type header, or
 * NULL to let libxml2 detect it (meta tags, BOM).  Returns FA_OK, or
 * FA_ERR_URL if page_url is not an absolute URL, FA_ERR_NOMEM, FA_ERR_PARSE
 * if libxml2 produced no document at all, FA_ERR_ARG if out is NULL or body
 * is NULL with len > 0, FA_ERR_TOO_LONG if the page (decoded to UTF-8) is
 * over INT_MAX bytes, libxml2's limit.  On error *out is as it was.
 * Thread-safe (after xmlInitParser() in main).
 */
enum fa_err html_extract(const char *body, size_t len, const char *page_url, const char *charset,
			 unsigned kinds, struct html_links *out);

/* Appends a copy of url with kind to *list; FA_OK or FA_ERR_NOMEM.
 * Shared by the extractor and the process pool's frame decoder. */
enum fa_err html_links_add(struct html_links *list, enum html_kind kind, const char *url,
			   size_t url_len);

/*
 * Whether a robots directive list says not to follow the page's links: a
 * <meta name="robots"> content or an X-Robots-Tag header value, e.g.
 * "noindex, NoFollow" or "none" (case-insensitive, comma-separated).  A
 * header value that opens with "NAME:" (not a directive that takes a
 * value, such as unavailable_after) applies only to the robot NAME, which
 * is matched against agent (NULL: to no robot).  noindex alone says
 * nothing about links (wget ignores it too).  Pure.
 */
bool html_robots_nofollow(const char *value, const char *agent);

/*
 * One step through the candidates of a srcset attribute value, by the HTML
 * spec's "parse a srcset attribute": whitespace and commas before a
 * candidate are skipped; its URL runs to the next whitespace, less any
 * trailing commas (which also end the candidate); otherwise its
 * descriptors run to the next comma outside parentheses (not parsed or
 * checked).  *p is where to go on from (the value's start at first) and
 * end the value's end; the value need not be NUL-terminated and nothing
 * at or past end is read.  Returns true with the next URL's span in *url
 * and *url_len (never 0; inside the value, which the caller owns) and *p
 * past its candidate, or false when no candidate is left.  Everything
 * outside the URL spans is separators and descriptors, so a caller can
 * rebuild the value by replacing the spans.  The one srcset splitter:
 * extraction and --convert-links both use it, so they agree on what the
 * URLs are.  Thread-safe.
 */
bool html_srcset_next(const char **p, const char *end, const char **url, size_t *url_len);

/* Frees the URLs and the array; leaves *list zeroed.  NULL is fine. */
void html_links_release(struct html_links *list);

#endif
