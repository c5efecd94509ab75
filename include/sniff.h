/*
 * sniff: a body's type from its first bytes, and media-type patterns.
 *
 * For --accept-type: a server's Content-Type can be wrong (an image sent
 * as text/plain or application/octet-stream), so the magic bytes of the
 * common image formats count as well.
 */
#ifndef FA_SNIFF_H
#define FA_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

/* The media type that head[0..len) starts like: "image/png",
 * "image/jpeg", "image/gif", "image/webp", "image/avif", "image/svg+xml",
 * "text/html", or NULL.  Thread-safe. */
const char *sniff_type(const unsigned char *head, size_t len);

/*
 * True if media type `type` (parameters after ';' and case ignored)
 * matches one of the comma-separated `patterns`: a full type
 * ("application/pdf"), a major type with a star ("image/" then '*'), or a
 * lone '*' for anything.  NULL type matches nothing.  Thread-safe.
 */
bool sniff_type_matches(const char *type, const char *patterns);

/* The URL's file name: its last path segment, without query or fragment,
 * as a span of url (empty for a directory URL).  False if url is not an
 * absolute URL.  Thread-safe. */
bool sniff_url_name(const char *url, const char **name, size_t *len);

/*
 * Whether the file name [name, name + len) matches an entry of the comma
 * list, as wget's -A/-R lists do: an entry with a wildcard (*, ?, [) is a
 * shell pattern for the whole name (fnmatch); any other entry ("jpg" or
 * ".jpg") is an extension, matching the name's last one whole.  With
 * fold, case is ignored (--ignore-case); else it counts, as in wget.
 * Thread-safe.
 */
bool sniff_name_matches(const char *name, size_t len, const char *list, bool fold);

/* -A/-R together: the name matches accept (if given) and not reject (if
 * given).  Thread-safe. */
bool sniff_name_acceptable(const char *name, size_t len, const char *accept, const char *reject,
			   bool fold);

#endif
