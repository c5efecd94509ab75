/*
 * Fuzz target for robots_parse() and robots_allowed().
 *
 * Input: the first line (up to the first '\n', and to a NUL byte within
 * it) is the path and query to ask about; everything after that '\n' is
 * the robots.txt, parsed for the product token "fetchall" (the seeds are
 * fixtures/robots files with a path line put first).
 *
 * Properties, each an abort() when broken: parsing any bytes succeeds
 * (malformed content is never an error); "/robots.txt" is always allowed;
 * NULL, "" and "/" get the same answer; a '#' fragment added to the path
 * changes nothing; so does rewriting the path's percent-encoding the way
 * robots.h says is normalized away (escapes' hex digits in the other case,
 * every unreserved character written as an escape); asking twice gives
 * the same answer; the crawl delay is -1 or within
 * [0, ROBOTS_MAX_CRAWL_DELAY_MS]; exactly min(count, ROBOTS_MAX_SITEMAPS)
 * sitemaps are readable, each with no surrounding blanks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

#define USER_AGENT "fetchall/1.0"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool unreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static char other_case(char c)
{
	if (c >= 'a' && c <= 'f')
		return (char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'F')
		return (char)(c - 'A' + 'a');
	return c;
}

/*
 * Writes to out (room for 3 * strlen(path) + 1) a spelling of path that
 * must normalize to the same thing: with encode_unreserved, every
 * unreserved character becomes a lowercase-hex escape; otherwise every
 * escape's hex digits change case.
 */
static void respell(const char *path, bool encode_unreserved, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; path[i]; i++) {
		char c = path[i];

		if (c == '%' && hex_value(path[i + 1]) >= 0 && hex_value(path[i + 2]) >= 0) {
			out[o++] = '%';
			out[o++] = encode_unreserved ? path[i + 1] : other_case(path[i + 1]);
			out[o++] = encode_unreserved ? path[i + 2] : other_case(path[i + 2]);
			i += 2;
		} else if (encode_unreserved && unreserved(c)) {
			out[o++] = '%';
			out[o++] = hex[(unsigned char)c >> 4];
			out[o++] = hex[(unsigned char)c & 15];
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static void check_sitemaps(const struct robots *r)
{
	size_t count = robots_sitemap_count(r);
	size_t kept = count < ROBOTS_MAX_SITEMAPS ? count : ROBOTS_MAX_SITEMAPS;

	for (size_t i = 0; i < kept; i++) {
		const char *s = robots_sitemap(r, i);
		size_t len;

		if (!s)
			abort();
		len = strlen(s);
		if (len > 0 && (is_blank(s[0]) || is_blank(s[len - 1])))
			abort();
	}
	if (robots_sitemap(r, kept) != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *newline = memchr(data, '\n', size);
	size_t line = newline ? (size_t)(newline - data) : size;
	size_t path_len = strnlen((const char *)data, line);
	const char *text = newline ? (const char *)newline + 1 : NULL;
	size_t text_len = newline ? size - line - 1 : 0;
	struct robots *r = NULL;
	char *path, *other;
	bool allowed;
	long delay;

	if (robots_parse(text, text_len, USER_AGENT, &r) != FA_OK || !r)
		abort();
	path = malloc(path_len + 1);
	other = malloc(3 * path_len + sizeof("#fragment"));
	if (!path || !other)
		abort();
	memcpy(path, data, path_len);
	path[path_len] = '\0';

	if (!robots_allowed(r, "/robots.txt"))
		abort();
	allowed = robots_allowed(r, "/");
	if (robots_allowed(r, NULL) != allowed || robots_allowed(r, "") != allowed)
		abort();

	allowed = robots_allowed(r, path);
	if (robots_allowed(r, path) != allowed)
		abort();
	memcpy(other, path, path_len);
	memcpy(other + path_len, "#fragment", sizeof("#fragment"));
	if (robots_allowed(r, other) != allowed)
		abort();
	respell(path, false, other);
	if (robots_allowed(r, other) != allowed)
		abort();
	respell(path, true, other);
	if (robots_allowed(r, other) != allowed)
		abort();

	delay = robots_crawl_delay_ms(r);
	if (delay < -1 || delay > ROBOTS_MAX_CRAWL_DELAY_MS)
		abort();
	check_sitemaps(r);

	free(other);
	free(path);
	robots_free(r);
	return 0;
}
