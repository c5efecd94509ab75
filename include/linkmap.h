/*
 * linkmap: where each URL of a crawl was saved, for --convert-links.
 *
 * While a crawl runs, every saved file is recorded under the URL it was
 * fetched from and the URL a redirect reached (each in url_normalize()'s
 * form, so any spelling finds it), and every saved HTML page is listed
 * with the URL its links are relative to.  After the crawl, convert reads
 * the map to point links at the local copies.
 *
 * Locking: one mutex around the table and the page list; a leaf lock.
 * Strings handed out live as long as the map.
 */
#ifndef FA_LINKMAP_H
#define FA_LINKMAP_H

#include <stddef.h>

#include "err.h"

struct linkmap;

/* A new, empty map; NULL on OOM. */
struct linkmap *linkmap_new(void);

/* Frees the map and every string in it.  NULL is fine.  Not thread-safe:
 * after every writer is done. */
void linkmap_free(struct linkmap *map);

/*
 * Records that url (any spelling of an absolute http(s) URL) was saved at
 * relpath (relative to the output directory); both borrowed, copied.  The
 * first relpath recorded for a URL stays.  Returns FA_OK, FA_ERR_URL for a
 * URL url_normalize() refuses, FA_ERR_NOMEM.  Thread-safe.
 */
enum fa_err linkmap_put(struct linkmap *map, const char *url, const char *relpath);

/* The relpath recorded for url (any spelling), or NULL.  Thread-safe. */
const char *linkmap_get(struct linkmap *map, const char *url);

/* Lists a saved HTML page to convert: relpath, base_url, the URL its
 * relative links resolve against (the final URL after redirects), and the
 * charset its Content-Type named (NULL if none); all copied.  FA_OK or
 * FA_ERR_NOMEM.  Thread-safe. */
enum fa_err linkmap_add_page(struct linkmap *map, const char *relpath, const char *base_url,
			     const char *charset);

/* The number of pages listed, and page i's strings (charset may be NULL).
 * Not thread-safe: after the crawl. */
size_t linkmap_pages(const struct linkmap *map);
void linkmap_page(const struct linkmap *map, size_t i, const char **relpath, const char **base_url,
		  const char **charset);

#endif
