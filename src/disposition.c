/*
 * disposition: a Content-Disposition header's suggested file name.
 *
 * One pass splits the value into parameters at ';' outside quoted strings,
 * remembering where the first "filename" and "filename*" values lie; then
 * the extended value is decoded (charset'language'percent-encoded, RFC
 * 8187) and, if it gives no name, the plain one is unquoted.  The result
 * keeps only its last path component.  Everything happens in the caller's
 * buffer and one scratch copy of the value: no state, no locks.
 */
#include "disposition.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

/* A parameter's value as it stands in the header. */
struct span {
	const char *at;
	size_t len;
	bool quoted; /* a quoted-string, quotes excluded, escapes still in */
	bool found;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p)
{
	while (blank(*p))
		p++;
	return p;
}

/* Reads a value at p (after '=' and blanks) into *v; returns the end of
 * the parameter (its ';' or the NUL). */
static const char *read_value(const char *p, struct span *v)
{
	const char *end;

	if (*p == '"') {
		v->at = ++p;
		v->quoted = true;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		v->len = (size_t)(p - v->at);
		/* Whatever follows the closing quote up to ';' is ignored. */
		while (*p && *p != ';')
			p++;
		return p;
	}
	v->at = p;
	v->quoted = false;
	end = p + strcspn(p, ";");
	while (end > p && blank(end[-1]))
		end--;
	v->len = (size_t)(end - p);
	return p + strcspn(p, ";");
}

/* Finds the first filename and filename* parameters of value. */
static void find_params(const char *value, struct span *plain, struct span *ext)
{
	const char *p = skip_blanks(value);
	size_t type = strcspn(p, ";=");

	/* The disposition type, unless the header starts with a parameter
	 * ("filename=a.txt" with no type, which servers do send). */
	if (p[type] != '=')
		p += type;
	while (*p) {
		const char *name;
		size_t namelen;
		struct span v = {0};

		while (*p == ';' || blank(*p))
			p++;
		name = p;
		p += strcspn(p, ";=");
		namelen = (size_t)(p - name);
		while (namelen > 0 && blank(name[namelen - 1]))
			namelen--;
		if (*p != '=')
			continue; /* a parameter with no value */
		p = read_value(skip_blanks(p + 1), &v);
		v.found = true;
		if (namelen == 8 && !strncasecmp(name, "filename", 8) && !plain->found)
			*plain = v;
		else if (namelen == 9 && !strncasecmp(name, "filename*", 9) && !ext->found)
			*ext = v;
	}
}

/* Copies v into dst (room for v->len + 1), removing a quoted-string's
 * backslash escapes.  Returns the length. */
static size_t unquote(const struct span *v, char *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < v->len; i++) {
		if (v->quoted && v->at[i] == '\\' && i + 1 < v->len)
			i++;
		dst[n++] = v->at[i];
	}
	dst[n] = '\0';
	return n;
}

/* Decodes an RFC 8187 ext-value in s (len bytes; room for 2 * len + 1)
 * in place.  Returns the decoded length, or 0 when it is malformed, in a
 * charset other than UTF-8 and ISO-8859-1, or decodes to a NUL. */
static size_t decode_ext(char *s, size_t len)
{
	char *q1 = memchr(s, '\'', len);
	char *q2 = q1 ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - s)) : NULL;
	size_t charset_len = q1 ? (size_t)(q1 - s) : 0;
	bool latin1;
	size_t rawlen = 0;
	size_t n = 0;

	if (!q2)
		return 0;
	if (charset_len == 5 && !strncasecmp(s, "utf-8", 5))
		latin1 = false;
	else if (charset_len == 10 && !strncasecmp(s, "iso-8859-1", 10))
		latin1 = true;
	else
		return 0;
	/* Percent-decode to the front of s (never ahead of the reading). */
	for (size_t i = (size_t)(q2 + 1 - s); i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi = len - i >= 3 ? url_hex_value((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 ? url_hex_value((unsigned char)s[i + 2]) : -1;

			if (lo < 0)
				return 0;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return 0;
		s[rawlen++] = (char)c;
	}
	if (!latin1)
		return rawlen;
	/* Widen Latin-1 to UTF-8 from the back: the bytes still to read,
	 * s[0..i), always lie before the ones being written. */
	for (size_t i = 0; i < rawlen; i++)
		n += (unsigned char)s[i] < 0x80 ? 1 : 2;
	for (size_t i = rawlen, w = n; i-- > 0;) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			s[--w] = (char)c;
		} else {
			s[--w] = (char)(0x80 | (c & 0x3f));
			s[--w] = (char)(0xc0 | c >> 6);
		}
	}
	return n;
}

/* The last path component of s (len bytes), trimmed of blanks, moved to
 * the front of s.  Returns its length (0 if nothing is left). */
static size_t base_name(char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == '\\')
			start = i + 1;
	}
	while (start < len && blank(s[start]))
		start++;
	while (len > start && blank(s[len - 1]))
		len--;
	memmove(s, s + start, len - start);
	return len - start;
}

/* Decodes v (the extended one if ext) into scratch (room for twice the
 * header) and finishes it.
 * Returns FA_OK and the name's length in *len, FA_ERR_PARSE or
 * FA_ERR_TOO_LONG. */
static enum fa_err name_from(const struct span *v, bool ext, char *scratch, size_t *len)
{
	size_t n;

	if (!v->found)
		return FA_ERR_PARSE;
	n = unquote(v, scratch);
	if (ext)
		n = decode_ext(scratch, n);
	n = base_name(scratch, n);
	if (n == 0)
		return FA_ERR_PARSE;
	if (n > DISPOSITION_NAME_MAX)
		return FA_ERR_TOO_LONG;
	*len = n;
	return FA_OK;
}

enum fa_err disposition_filename(const char *value, char *out, size_t outlen)
{
	struct span plain = {0}, ext = {0};
	char *scratch;
	size_t len = 0;
	enum fa_err err;

	if (!value || !out || outlen == 0)
		return FA_ERR_ARG;
	out[0] = '\0';
	find_params(value, &plain, &ext);
	if (!plain.found && !ext.found)
		return FA_ERR_PARSE;
	scratch = malloc(2 * strlen(value) + 1); /* Latin-1 may double */
	if (!scratch)
		return FA_ERR_NOMEM;
	err = name_from(&ext, true, scratch, &len);
	if (err != FA_OK) {
		enum fa_err plain_err = name_from(&plain, false, scratch, &len);

		/* A name too long either way says so; otherwise the plain
		 * name's verdict stands. */
		err = plain_err == FA_ERR_PARSE && err == FA_ERR_TOO_LONG ? err : plain_err;
	}
	if (err == FA_OK && len >= outlen)
		err = FA_ERR_TOO_LONG;
	if (err == FA_OK) {
		memcpy(out, scratch, len);
		out[len] = '\0';
	}
	free(scratch);
	return err;
}
