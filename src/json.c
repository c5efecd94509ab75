/*
 * json: see json.h.  A recursive-descent skipper over one value at a time;
 * depth is bounded (JSON_MAX_DEPTH) so a hostile line cannot exhaust the
 * stack.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Past the string opening at p ('"'), or NULL. */
static const char *skip_string(const char *p)
{
	for (p++; *p; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (!p[1])
				return NULL;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

static const char *skip_value(const char *p, int depth);

/* Past the object or array opening at p, or NULL. */
static const char *skip_container(const char *p, int depth)
{
	char close = *p == '{' ? '}' : ']';
	bool object = *p == '{';

	if (depth >= JSON_MAX_DEPTH)
		return NULL;
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			if (*p != '"' || !(p = skip_string(p)))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = skip_value(ws(p), depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

static const char *skip_value(const char *p, int depth)
{
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[')
		return skip_container(p, depth);
	/* a number or a literal: up to the next delimiter */
	const char *start = p;

	while (*p && !strchr(",]} \t\r\n", *p))
		p++;
	return p > start ? p : NULL;
}

bool json_field(const char *text, const char *key, const char **val, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = ws(text);

	if (*p != '{')
		return false;
	p = ws(p + 1);
	while (*p == '"') {
		const char *k = p, *end = skip_string(p), *v;

		if (!end)
			return false;
		p = ws(end);
		if (*p++ != ':')
			return false;
		v = ws(p);
		if (!(p = skip_value(v, 1)))
			return false;
		if ((size_t)(end - k) == klen + 2 && !memcmp(k + 1, key, klen)) {
			*val = v;
			*len = (size_t)(p - v);
			return true;
		}
		p = ws(p);
		if (*p != ',')
			return false;
		p = ws(p + 1);
	}
	return false;
}

bool json_number(const char *text, const char *key, double *out)
{
	const char *v;
	size_t len;
	char *end;
	double d;

	if (!json_field(text, key, &v, &len) || !(*v == '-' || (*v >= '0' && *v <= '9')))
		return false;
	d = strtod(v, &end);
	if (end != v + len)
		return false;
	*out = d;
	return true;
}

bool json_true(const char *text, const char *key)
{
	const char *v;
	size_t len;

	return json_field(text, key, &v, &len) && len == 4 && !memcmp(v, "true", 4);
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Appends code point cp as UTF-8 if it fits; returns the new length. */
static size_t put_utf8(char *out, size_t n, size_t outlen, unsigned long cp)
{
	char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	if (n + k >= outlen)
		return n;
	memcpy(out + n, b, k);
	return n + k;
}

bool json_string(const char *text, const char *key, char *out, size_t outlen)
{
	const char *v, *end;
	size_t len, n = 0;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (!json_field(text, key, &v, &len))
		return false;
	if (*v != '"') {
		n = len < outlen ? len : outlen - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return true;
	}
	end = v + len - 1; /* the closing quote */
	for (const char *p = v + 1; p < end && n + 1 < outlen; p++) {
		unsigned long cp;
		size_t k;
		int h;

		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		switch (*++p) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'u':
			if (end - p < 5 || (h = hex4(p + 1)) < 0) {
				cp = 0xFFFD;
			} else {
				cp = (unsigned long)h;
				p += 4;
				if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 7 && p[1] == '\\' &&
				    p[2] == 'u' && (h = hex4(p + 3)) >= 0xDC00 && h < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					     ((unsigned long)h - 0xDC00);
					p += 6;
				} else if (cp >= 0xD800 && cp < 0xE000) {
					cp = 0xFFFD;
				}
			}
			k = put_utf8(out, n, outlen, cp);
			if (k == n)
				goto cut; /* a character that does not fit ends the copy */
			n = k;
			break;
		default: out[n++] = *p; break; /* \" \\ \/ */
		}
	}
cut:
	out[n] = '\0';
	return true;
}
