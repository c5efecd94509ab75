/*
 * sniff: magic bytes of image formats and HTML, media-type and extension
 * patterns.  Pure functions over their arguments; no state.
 */
#include "sniff.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "url.h"

static bool starts(const unsigned char *p, size_t len, const char *magic, size_t n)
{
	return len >= n && memcmp(p, magic, n) == 0;
}

/* Skips blanks and a UTF-8 BOM; true if what follows starts with s,
 * ignoring case. */
static bool text_starts(const unsigned char *p, size_t len, const char *s)
{
	size_t i = 0, n = strlen(s);

	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < len && isspace(p[i]))
		i++;
	return len - i >= n && strncasecmp((const char *)p + i, s, n) == 0;
}

const char *sniff_type(const unsigned char *p, size_t len)
{
	if (starts(p, len, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (starts(p, len, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (starts(p, len, "GIF87a", 6) || starts(p, len, "GIF89a", 6))
		return "image/gif";
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return "image/webp";
	if (len >= 12 && !memcmp(p + 4, "ftyp", 4) &&
	    (!memcmp(p + 8, "avif", 4) || !memcmp(p + 8, "avis", 4)))
		return "image/avif";
	if (text_starts(p, len, "<svg"))
		return "image/svg+xml";
	if (text_starts(p, len, "<?xml")) {
		/* an XML prolog: SVG if an <svg element follows soon */
		for (size_t i = 0; i + 4 <= len; i++)
			if (!strncasecmp((const char *)p + i, "<svg", 4))
				return "image/svg+xml";
		return NULL;
	}
	if (text_starts(p, len, "<!doctype html") || text_starts(p, len, "<html") ||
	    text_starts(p, len, "<head") || text_starts(p, len, "<body"))
		return "text/html";
	return NULL;
}

/* True if the token [p, p+n) matches type (already without parameters). */
static bool one_matches(const char *type, size_t tlen, const char *p, size_t n)
{
	const char *slash;

	while (n > 0 && isspace((unsigned char)*p))
		p++, n--;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n == 0)
		return false;
	if ((n == 1 && *p == '*') || (n == 3 && !strncmp(p, "*/*", 3)))
		return true;
	if (n >= 2 && p[n - 2] == '/' && p[n - 1] == '*') {
		slash = memchr(type, '/', tlen);
		return slash && (size_t)(slash - type) == n - 2 && !strncasecmp(type, p, n - 2);
	}
	return tlen == n && !strncasecmp(type, p, n);
}

bool sniff_type_matches(const char *type, const char *patterns)
{
	size_t tlen;

	if (!type || !patterns)
		return false;
	while (isspace((unsigned char)*type))
		type++;
	tlen = strcspn(type, "; \t");
	while (*patterns) {
		size_t n = strcspn(patterns, ",");

		if (one_matches(type, tlen, patterns, n))
			return true;
		patterns += n;
		if (*patterns == ',')
			patterns++;
	}
	return false;
}

bool sniff_ext_matches(const char *url, const char *exts)
{
	struct url_split parts;
	const char *path, *seg, *dot;
	size_t plen, slen;

	if (!exts || !url_split(url, &parts))
		return false;
	path = url + parts.path;
	plen = parts.query - parts.path;
	seg = path;
	for (size_t i = 0; i < plen; i++)
		if (path[i] == '/')
			seg = path + i + 1;
	slen = (size_t)(path + plen - seg);
	dot = NULL;
	for (size_t i = 0; i < slen; i++)
		if (seg[i] == '.')
			dot = seg + i;
	if (!dot)
		return false;
	dot++;
	slen = (size_t)(seg + slen - dot);
	while (*exts) {
		size_t n = strcspn(exts, ",");
		const char *e = exts;

		if (n > 0 && *e == '.')
			e++, n--;
		if (n > 0 && n == slen && !strncasecmp(dot, e, n))
			return true;
		exts += strcspn(exts, ",");
		if (*exts == ',')
			exts++;
	}
	return false;
}
