/*
 * robots: robots.txt parsing and matching per RFC 9309, with Google's
 * open-source robotstxt parser as the tie-breaker where the RFC is silent.
 *
 * Parsing is one pass over the lines (LF, CR or CRLF), holding two rule
 * lists: one for groups naming our product token and one for "*" groups.
 * At the end the specific list wins if any group named us, and the other
 * list is dropped, so a struct robots holds only the rules that apply.
 * Patterns are stored percent-normalized, sorted longest first with allow
 * before disallow on equal length; the first rule that matches a path
 * therefore decides, which is RFC 9309's longest-match rule with the
 * allow-wins tie-break.
 *
 * Matching is linear: a pattern is split at its '*'s into literal
 * segments; the first must be a prefix of the path, each later one is
 * found at its leftmost place after the previous (leftmost is always best
 * for a wildcard match, so there is no backtracking) with a KMP search
 * whose failure table is built at parse time, and a final '$' turns the
 * last segment into a suffix test.  Cost per rule is O(path + pattern)
 * whatever the number of '*'s.
 *
 * Thread-safety: no global mutable state.  A struct robots is never
 * written after robots_parse() returns, so concurrent robots_allowed()
 * calls on one object need no lock; each call normalizes the path into
 * its own buffer.  The allow-all and disallow-all objects are static and
 * read-only.
 */
#include "robots.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

struct rule {
	char *pattern;   /* normalized, without a final '$'; '*' = any run */
	uint32_t *fail;  /* KMP failure table per segment; NULL if no '*' */
	size_t len;      /* octets in pattern */
	size_t priority; /* octets of the normalized pattern, '$' included */
	bool allow;
	bool anchored; /* the pattern ended in '$' */
};

struct robots {
	struct rule *rules; /* sorted: priority descending, allow first */
	size_t nrules;
	long crawl_delay_ms; /* -1: none */
	bool disallow_all;
	char **sitemaps;
	size_t nsitemaps;     /* recorded in sitemaps[] */
	size_t sitemaps_seen; /* Sitemap lines in the file */
};

static struct robots allow_all_robots = {.crawl_delay_ms = -1};
static struct robots disallow_all_robots = {.crawl_delay_ms = -1, .disallow_all = true};

/* Rules from the groups of one kind (ours, or "*"), while parsing. */
struct rule_list {
	struct rule *items;
	size_t count, cap;
	long crawl_delay_ms;
};

struct parser {
	const char *token; /* our product token */
	size_t token_len;
	bool seen_agent;  /* a user-agent line was seen: rules may follow */
	bool after_rules; /* a rule ended the current run of user-agent lines */
	bool cur_specific, cur_global, ever_specific;
	struct rule_list specific, global;
	struct robots *out; /* sitemaps go straight here */
};

enum key {
	KEY_UNKNOWN,
	KEY_USER_AGENT,
	KEY_ALLOW,
	KEY_DISALLOW,
	KEY_CRAWL_DELAY,
	KEY_SITEMAP,
};

static const struct {
	const char *name;
	enum key key;
} keys[] = {
    {"user-agent", KEY_USER_AGENT},
    {"useragent", KEY_USER_AGENT},
    {"user agent", KEY_USER_AGENT},
    {"allow", KEY_ALLOW},
    {"disallow", KEY_DISALLOW},
    /* Google's list of frequent typos. */
    {"dissallow", KEY_DISALLOW},
    {"dissalow", KEY_DISALLOW},
    {"disalow", KEY_DISALLOW},
    {"diasllow", KEY_DISALLOW},
    {"disallaw", KEY_DISALLOW},
    {"crawl-delay", KEY_CRAWL_DELAY},
    {"crawl_delay", KEY_CRAWL_DELAY},
    {"crawldelay", KEY_CRAWL_DELAY},
    {"crawl delay", KEY_CRAWL_DELAY},
    {"sitemap", KEY_SITEMAP},
    {"site-map", KEY_SITEMAP},
};

static const char hex_digits[] = "0123456789ABCDEF";

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Locale-independent: robots.txt keys and tokens are ASCII. */
static bool ascii_equal_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* RFC 3986 reserved, kept literal, except '*' and '$', which are pattern
 * syntax: a literal one in a URI is compared in its encoded form, so that
 * the pattern "%2A" matches it (RFC 9309 2.2.3). */
static bool is_reserved_literal(unsigned char c)
{
	return c && strchr(":/?#[]@!&'()+,;=", c) != NULL;
}

static size_t token_length(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_token_char(s[i]))
		i++;
	return i;
}

/*
 * Writes the normalized form of src[0..len) to out (when not NULL) and
 * returns its length, at most 3 * len.  "%xx" of an unreserved character
 * becomes the character, any other "%xx" gets uppercase hex, a '%' not
 * starting an escape becomes "%25", and bytes that may not appear bare in
 * a URI (controls, space, non-ASCII, "<>\"{}|\\^`") are encoded.  In a
 * pattern, '*' and a final '$' stay special; elsewhere they are encoded.
 */
static size_t normalize(const char *src, size_t len, bool pattern, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		bool encode;

		if (c == '%' && i + 2 < len && url_hex_value((unsigned char)src[i + 1]) >= 0 &&
		    url_hex_value((unsigned char)src[i + 2]) >= 0) {
			c = (unsigned char)(url_hex_value((unsigned char)src[i + 1]) * 16 +
					    url_hex_value((unsigned char)src[i + 2]));
			i += 2;
			encode = !url_unreserved(c);
		} else if (pattern && (c == '*' || (c == '$' && i + 1 == len))) {
			encode = false;
		} else {
			encode = !url_unreserved(c) && !is_reserved_literal(c);
		}
		if (!encode) {
			if (out)
				out[o] = (char)c;
			o++;
			continue;
		}
		if (out) {
			out[o] = '%';
			out[o + 1] = hex_digits[c >> 4];
			out[o + 2] = hex_digits[c & 0xf];
		}
		o += 3;
	}
	return o;
}

/* KMP failure table for each '*'-separated segment of p. */
static void build_fail(const char *p, size_t len, uint32_t *fail)
{
	size_t start = 0;

	while (start <= len) {
		const char *star = memchr(p + start, '*', len - start);
		size_t end = star ? (size_t)(star - p) : len;

		if (end > start)
			fail[start] = 0;
		for (size_t i = start + 1; i < end; i++) {
			uint32_t k = fail[i - 1];

			while (k > 0 && p[i] != p[start + k])
				k = fail[start + k - 1];
			if (p[i] == p[start + k])
				k++;
			fail[i] = k;
		}
		if (end < len)
			fail[end] = 0;
		start = end + 1;
	}
}

/* Leftmost start of seg (m > 0 octets, failure table f) in text[from..n),
 * or (size_t)-1. */
static size_t kmp_find(const char *text, size_t n, size_t from, const char *seg, size_t m,
		       const uint32_t *f)
{
	size_t k = 0;

	for (size_t i = from; i < n; i++) {
		while (k > 0 && text[i] != seg[k])
			k = f[k - 1];
		if (text[i] == seg[k])
			k++;
		if (k == m)
			return i + 1 - m;
	}
	return (size_t)-1;
}

static bool rule_matches(const struct rule *rule, const char *path, size_t n)
{
	const char *p = rule->pattern;
	size_t m = rule->len;
	const char *star = memchr(p, '*', m);
	size_t first = star ? (size_t)(star - p) : m;
	size_t pos, start;

	if (first > n || memcmp(path, p, first) != 0)
		return false;
	if (!star)
		return !rule->anchored || n == first;
	pos = first;
	start = first + 1;
	for (;;) {
		const char *next = memchr(p + start, '*', m - start);
		size_t end = next ? (size_t)(next - p) : m;
		size_t seg = end - start;

		if (!next && rule->anchored)
			return n - pos >= seg && memcmp(path + n - seg, p + start, seg) == 0;
		if (seg > 0) {
			size_t at = kmp_find(path, n, pos, p + start, seg, rule->fail + start);

			if (at == (size_t)-1)
				return false;
			pos = at + seg;
		}
		if (!next)
			return true;
		start = end + 1;
	}
}

static void rule_release(struct rule *rule)
{
	free(rule->pattern);
	free(rule->fail);
}

static void rule_list_release(struct rule_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		rule_release(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = list->cap = 0;
}

/* Adds a rule for the raw pattern value[0..n); patterns that cannot match
 * a path (not starting with '/' or '*') are dropped.  On error the list is
 * unchanged. */
static enum fa_err rule_list_add(struct rule_list *list, bool allow, const char *value, size_t n)
{
	struct rule rule = {.allow = allow};
	size_t len;

	if (list->count >= ROBOTS_MAX_RULES)
		return FA_OK;
	len = normalize(value, n, true, NULL);
	rule.pattern = malloc(len + 1);
	if (!rule.pattern)
		return FA_ERR_NOMEM;
	normalize(value, n, true, rule.pattern);
	rule.pattern[len] = '\0';
	if (rule.pattern[0] != '/' && rule.pattern[0] != '*') {
		free(rule.pattern);
		return FA_OK;
	}
	rule.priority = len;
	rule.anchored = len > 0 && rule.pattern[len - 1] == '$';
	rule.len = rule.anchored ? len - 1 : len;
	if (memchr(rule.pattern, '*', rule.len)) {
		/* rule.len > 0 here; + 1 keeps static analysers from seeing malloc(0). */
		rule.fail = malloc((rule.len + 1) * sizeof(*rule.fail));
		if (!rule.fail) {
			free(rule.pattern);
			return FA_ERR_NOMEM;
		}
		build_fail(rule.pattern, rule.len, rule.fail);
	}
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct rule *items = realloc(list->items, cap * sizeof(*items));

		if (!items) {
			rule_release(&rule);
			return FA_ERR_NOMEM;
		}
		list->items = items;
		list->cap = cap;
	}
	list->items[list->count++] = rule;
	return FA_OK;
}

/*
 * Seconds as "D[.F]" (no sign, no exponent; strtod would follow the
 * locale's decimal point) to milliseconds, capped.  False if value is not
 * such a number.
 */
static bool parse_crawl_delay(const char *value, size_t n, long *ms)
{
	long whole = 0, frac = 0;
	int frac_digits = 0;
	bool any = false;
	size_t i = 0;

	for (; i < n && is_digit(value[i]); i++, any = true)
		if (whole <= ROBOTS_MAX_CRAWL_DELAY_MS / 1000)
			whole = whole * 10 + (value[i] - '0');
	if (i < n && value[i] == '.')
		for (i++; i < n && is_digit(value[i]); i++, any = true)
			if (frac_digits < 3) {
				frac = frac * 10 + (value[i] - '0');
				frac_digits++;
			}
	if (!any || i != n)
		return false;
	for (; frac_digits < 3; frac_digits++)
		frac *= 10;
	if (whole > ROBOTS_MAX_CRAWL_DELAY_MS / 1000)
		*ms = ROBOTS_MAX_CRAWL_DELAY_MS;
	else
		*ms = whole * 1000 + frac;
	if (*ms > ROBOTS_MAX_CRAWL_DELAY_MS)
		*ms = ROBOTS_MAX_CRAWL_DELAY_MS;
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static enum fa_err add_sitemap(struct robots *r, const char *value, size_t n)
{
	char *copy;

	/* Handed out as a C string: it ends at a NUL byte, and is trimmed
	 * again from there. */
	n = strnlen(value, n);
	while (n > 0 && blank(*value))
		value++, n--;
	while (n > 0 && blank(value[n - 1]))
		n--;
	if (n == 0)
		return FA_OK;
	r->sitemaps_seen++;
	if (r->nsitemaps >= ROBOTS_MAX_SITEMAPS)
		return FA_OK;
	if (!r->sitemaps) {
		r->sitemaps = calloc(ROBOTS_MAX_SITEMAPS, sizeof(*r->sitemaps));
		if (!r->sitemaps)
			return FA_ERR_NOMEM;
	}
	copy = malloc(n + 1);
	if (!copy)
		return FA_ERR_NOMEM;
	memcpy(copy, value, n);
	copy[n] = '\0';
	r->sitemaps[r->nsitemaps++] = copy;
	return FA_OK;
}

static enum key classify(const char *key, size_t n)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == n && ascii_equal_nocase(key, keys[i].name, n))
			return keys[i].key;
	return KEY_UNKNOWN;
}

static void user_agent_line(struct parser *p, const char *value, size_t n)
{
	size_t len;

	if (p->after_rules) {
		p->cur_specific = p->cur_global = false;
		p->after_rules = false;
	}
	p->seen_agent = true;
	/* Google: "*" followed by whitespace and more text is still "*". */
	if (n >= 1 && value[0] == '*' && (n == 1 || is_ws(value[1]))) {
		p->cur_global = true;
		return;
	}
	len = token_length(value, n);
	if (len > 0 && len == p->token_len && ascii_equal_nocase(value, p->token, len))
		p->cur_specific = p->ever_specific = true;
}

/* One line, without its terminator.  Only allocation can fail. */
static enum fa_err parse_line(struct parser *p, const char *line, size_t n)
{
	const char *hash = memchr(line, '#', n);
	const char *colon, *key, *value;
	size_t key_len, value_len;
	struct rule_list *list;
	enum key kind;
	long ms;

	if (hash)
		n = (size_t)(hash - line);
	colon = memchr(line, ':', n);
	if (!colon)
		return FA_OK;
	key = line;
	key_len = (size_t)(colon - line);
	while (key_len > 0 && is_ws(key[0])) {
		key++;
		key_len--;
	}
	while (key_len > 0 && is_ws(key[key_len - 1]))
		key_len--;
	value = colon + 1;
	value_len = (size_t)(line + n - value);
	while (value_len > 0 && is_ws(value[0])) {
		value++;
		value_len--;
	}
	while (value_len > 0 && is_ws(value[value_len - 1]))
		value_len--;

	kind = classify(key, key_len);
	switch (kind) {
	case KEY_UNKNOWN: return FA_OK;
	case KEY_SITEMAP: return add_sitemap(p->out, value, value_len);
	case KEY_USER_AGENT: user_agent_line(p, value, value_len); return FA_OK;
	case KEY_ALLOW:
	case KEY_DISALLOW:
	case KEY_CRAWL_DELAY: break;
	}
	/* A rule outside any group is ignored (RFC 9309 2.2.2). */
	if (!p->seen_agent)
		return FA_OK;
	p->after_rules = true;
	if (p->cur_specific)
		list = &p->specific;
	else if (p->cur_global)
		list = &p->global;
	else
		return FA_OK;
	if (kind == KEY_CRAWL_DELAY) {
		if (parse_crawl_delay(value, value_len, &ms) && ms > list->crawl_delay_ms)
			list->crawl_delay_ms = ms;
		return FA_OK;
	}
	/* "Disallow:" with no path allows everything: it is no rule at all. */
	if (value_len == 0)
		return FA_OK;
	return rule_list_add(list, kind == KEY_ALLOW, value, value_len);
}

/* Longest first; on equal length allow first, so the first match decides. */
static int rule_order(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return (int)y->allow - (int)x->allow;
}

/* Where parsing stops: at most ROBOTS_MAX_BYTES, and not inside a line. */
static size_t parse_end(const char *text, size_t len)
{
	size_t end = ROBOTS_MAX_BYTES;

	if (len <= ROBOTS_MAX_BYTES)
		return len;
	if (text[end] == '\n' || text[end] == '\r')
		return end;
	while (end > 0 && text[end - 1] != '\n' && text[end - 1] != '\r')
		end--;
	return end;
}

enum fa_err robots_parse(const char *text, size_t len, const char *user_agent, struct robots **out)
{
	struct parser p = {.specific.crawl_delay_ms = -1, .global.crawl_delay_ms = -1};
	enum fa_err err = FA_ERR_NOMEM;
	struct rule_list *chosen;
	size_t i = 0, end;

	if (!out)
		return FA_ERR_ARG;
	*out = NULL;
	if (!user_agent || (!text && len > 0))
		return FA_ERR_ARG;
	p.token = user_agent;
	p.token_len = token_length(user_agent, strlen(user_agent));
	if (p.token_len == 0)
		return FA_ERR_ARG;
	if (!text)
		text = "";
	p.out = calloc(1, sizeof(*p.out));
	if (!p.out)
		return FA_ERR_NOMEM;

	end = parse_end(text, len);
	if (end >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < end) {
		size_t start = i;

		while (i < end && text[i] != '\n' && text[i] != '\r')
			i++;
		err = parse_line(&p, text + start,
				 i - start < ROBOTS_MAX_LINE ? i - start : ROBOTS_MAX_LINE);
		if (err != FA_OK)
			goto out;
		if (i < end && text[i] == '\r' && i + 1 < end && text[i + 1] == '\n')
			i++;
		i++;
	}

	chosen = p.ever_specific ? &p.specific : &p.global;
	if (chosen->count > 1)
		qsort(chosen->items, chosen->count, sizeof(*chosen->items), rule_order);
	p.out->rules = chosen->items;
	p.out->nrules = chosen->count;
	p.out->crawl_delay_ms = chosen->crawl_delay_ms;
	chosen->items = NULL;
	chosen->count = chosen->cap = 0;
	*out = p.out;
	p.out = NULL;
	err = FA_OK;
out:
	rule_list_release(&p.specific);
	rule_list_release(&p.global);
	robots_free(p.out);
	return err;
}

bool robots_allowed(const struct robots *r, const char *path_and_query)
{
	const char *q = path_and_query ? path_and_query : "";
	size_t n = strcspn(q, "#");
	bool slash = n == 0 || q[0] != '/';
	char stack_buf[4096];
	char *path = stack_buf;
	const char *query;
	size_t path_len, bare_len;
	bool allowed = true;

	if (!r || (!r->disallow_all && r->nrules == 0))
		return true;
	path_len = (slash ? 1 : 0) + normalize(q, n, false, NULL);
	if (path_len > sizeof(stack_buf)) {
		path = malloc(path_len);
		if (!path)
			return false;
	}
	if (slash)
		path[0] = '/';
	normalize(q, n, false, path + (slash ? 1 : 0));

	query = memchr(path, '?', path_len);
	bare_len = query ? (size_t)(query - path) : path_len;
	if (bare_len == strlen("/robots.txt") && memcmp(path, "/robots.txt", bare_len) == 0)
		goto out;
	if (r->disallow_all) {
		allowed = false;
		goto out;
	}
	for (size_t i = 0; i < r->nrules; i++)
		if (rule_matches(&r->rules[i], path, path_len)) {
			allowed = r->rules[i].allow;
			break;
		}
out:
	if (path != stack_buf)
		free(path);
	return allowed;
}

long robots_crawl_delay_ms(const struct robots *r)
{
	return r ? r->crawl_delay_ms : -1;
}

size_t robots_sitemap_count(const struct robots *r)
{
	return r ? r->sitemaps_seen : 0;
}

const char *robots_sitemap(const struct robots *r, size_t i)
{
	if (!r || i >= r->nsitemaps)
		return NULL;
	return r->sitemaps[i];
}

enum robots_fetch_verdict robots_verdict_for_status(long http_code)
{
	if (http_code >= 200 && http_code <= 299)
		return ROBOTS_FETCH_PARSE;
	/* Google treats 429 like a server error: the host is overloaded. */
	if (http_code == 429)
		return ROBOTS_FETCH_DISALLOW_ALL;
	/* A redirect still pending after the fetcher's five is "unavailable"
	 * (RFC 9309 2.3.1.2), as is any 4xx (2.3.1.3). */
	if (http_code >= 300 && http_code <= 499)
		return ROBOTS_FETCH_ALLOW_ALL;
	return ROBOTS_FETCH_DISALLOW_ALL;
}

struct robots *robots_allow_all(void)
{
	return &allow_all_robots;
}

struct robots *robots_disallow_all(void)
{
	return &disallow_all_robots;
}

void robots_free(struct robots *r)
{
	if (!r || r == &allow_all_robots || r == &disallow_all_robots)
		return;
	for (size_t i = 0; i < r->nrules; i++)
		rule_release(&r->rules[i]);
	free(r->rules);
	for (size_t i = 0; i < r->nsitemaps; i++)
		free(r->sitemaps[i]);
	free(r->sitemaps);
	free(r);
}
