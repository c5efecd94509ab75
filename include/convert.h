/*
 * convert: --convert-links, a saved page's links pointed at the local
 * copies (wget -k).
 *
 * A link whose target this run saved becomes a relative path from the
 * page to that file (its #fragment kept); any other http(s) link becomes
 * absolute, so the saved page still works where it is opened; other
 * schemes and pure #fragments stay as they are.  href, src, poster and
 * every srcset candidate are converted; a <base href> is removed, since
 * the links no longer need it.  Uses libxml2's HTML tree: the page comes
 * back re-serialized by libxml2 (the same elements, attributes and text,
 * with end tags HTML leaves implied written out, and whitespace inside
 * tags and character references as libxml2 writes them).
 */
#ifndef FA_CONVERT_H
#define FA_CONVERT_H

#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>

#include "err.h"

struct linkmap;
struct pool;
struct store;

/*
 * The relative reference from the file at from_relpath to the file at
 * to_relpath (both relative to the output directory, '/'-separated), e.g.
 * "a/b/page.html" -> "a/img/x.png" gives "../img/x.png"; bytes other than
 * RFC 3986's unreserved ones, sub-delims, ':', '@' and '/' are
 * percent-encoded, and a first segment holding ':' gets "./" before it,
 * so the result is always read as a path.  Returns FA_OK, or
 * FA_ERR_TOO_LONG if it does not fit in outlen bytes.  Thread-safe.
 */
enum fa_err convert_relative(const char *from_relpath, const char *to_relpath, char *out,
			     size_t outlen);

/*
 * Converts the links of the HTML page in html (len bytes) saved at
 * page_relpath and fetched from base_url, by map.  charset is the one its
 * Content-Type named, or NULL: then valid UTF-8 is read as UTF-8 and
 * anything else as libxml2 detects it.  Text outside ASCII may come back
 * as character references (the same characters, whatever the charset).  On success returns
 * FA_OK with the new document in *out (*outlen bytes; caller frees with
 * free()) and the number of links pointed at local files in *converted.
 * FA_ERR_PARSE if libxml2 builds no document or cannot write it back
 * whole (the page is then best left as it is), FA_ERR_URL if base_url is
 * not absolute, FA_ERR_NOMEM, FA_ERR_TOO_LONG for a page over INT_MAX
 * bytes.  Thread-safe (libxml2's error handler, which it swaps while it
 * parses, is per thread).
 */
enum fa_err convert_page(const char *html, size_t len, const char *page_relpath,
			 const char *base_url, const char *charset, struct linkmap *map, char **out,
			 size_t *outlen, size_t *converted);

/* What a --convert-links pass did. */
struct convert_totals {
	size_t pages;        /* saved HTML pages */
	atomic_size_t done;  /* of them, rewritten */
	atomic_size_t links; /* links pointed at local files */
};

/*
 * --convert-links, once the crawl is over: every HTML page in map, read
 * from store (up to max_page_size bytes), converted and replaced
 * atomically (store_rewrite), on at most width of pool's threads (the
 * fetch threads, idle by then: pool_each()).  A page that cannot be read,
 * converted or written is left as it is, with one line on err saying why
 * (err NULL: silent).  Stops early after a cancel.  Fills *totals.
 */
void convert_saved_pages(struct pool *pool, unsigned width, struct linkmap *map,
			 struct store *store, size_t max_page_size, FILE *err,
			 struct convert_totals *totals);

#endif
