/*
 * sniff: magic bytes of image formats and HTML, media-type and extension
 * patterns.  Pure functions over their arguments; no state.
 */
#include "sniff.h"

#include <ctype.h>
#include <fnmatch.h>
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

bool sniff_url_name(const char *url, const char **name, size_t *len)
{
	struct url_split parts;
	const char *path, *seg;
	size_t plen;

	if (!url || !url_split(url, &parts))
		return false;
	path = url + parts.path;
	plen = parts.query - parts.path;
	seg = path;
	for (size_t i = 0; i < plen; i++)
		if (path[i] == '/')
			seg = path + i + 1;
	*name = seg;
	*len = (size_t)(path + plen - seg);
	return true;
}

/* Whether entry [e, e + n) has shell wildcards. */
static bool has_wildcard(const char *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i] == '*' || e[i] == '?' || e[i] == '[')
			return true;
	return false;
}

/* fnmatch() of [p, p + plen) against [name, name + len), folding case if
 * asked; names and patterns over 1 KB never match. */
static bool pattern_matches(const char *p, size_t plen, const char *name, size_t len, bool fold)
{
	char pat[1024], str[1024];

	if (plen >= sizeof(pat) || len >= sizeof(str))
		return false;
	for (size_t i = 0; i < plen; i++)
		pat[i] = fold ? (char)tolower((unsigned char)p[i]) : p[i];
	pat[plen] = '\0';
	for (size_t i = 0; i < len; i++)
		str[i] = fold ? (char)tolower((unsigned char)name[i]) : name[i];
	str[len] = '\0';
	return fnmatch(pat, str, 0) == 0;
}

bool sniff_name_matches(const char *name, size_t len, const char *list, bool fold)
{
	const char *dot = NULL, *ext;
	size_t elen = 0;

	if (!list || !name)
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '.')
			dot = name + i;
	ext = dot ? dot + 1 : NULL;
	if (ext)
		elen = (size_t)(name + len - ext);
	while (*list) {
		size_t entry = strcspn(list, ","), n = entry;
		const char *e = list;

		if (n > 0 && has_wildcard(e, n)) {
			if (pattern_matches(e, n, name, len, fold))
				return true;
		} else {
			if (n > 0 && *e == '.')
				e++, n--;
			if (n > 0 && ext && n == elen &&
			    (fold ? !strncasecmp(ext, e, n) : !strncmp(ext, e, n)))
				return true;
		}
		list += entry;
		if (*list == ',')
			list++;
	}
	return false;
}

bool sniff_name_acceptable(const char *name, size_t len, const char *accept, const char *reject,
			   bool fold)
{
	if (accept && !sniff_name_matches(name, len, accept, fold))
		return false;
	return !(reject && sniff_name_matches(name, len, reject, fold));
}
