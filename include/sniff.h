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

/* True if the URL's last path segment ends in ".EXT" for one of the
 * comma-separated extensions in `exts` ("jpg,png"), ignoring case; the
 * query and fragment are not part of the name.  Thread-safe. */
bool sniff_ext_matches(const char *url, const char *exts);

#endif
