/*
 * html: links and images out of an HTML document, with libxml2's SAX
 * interface and libcurl's CURLU API.
 *
 * Design.  One pass of libxml2's recovering HTML parser in SAX mode: the
 * only callbacks are startDocument and startElement, so no tree is built
 * and no text is copied.  Each interesting attribute value is cleaned and
 * kept as a raw reference in a per-call arena; once the whole document is
 * parsed, the raw references are resolved in document order against the
 * page URL or the first <base href>.  Resolving after the parse is what
 * lets a <base> anywhere in the document apply to every URL in it, before
 * or after it, as the HTML spec's document base URL does, without a second
 * pass over the bytes.
 *
 * SAX or tree, measured (libxml2 2.9.14, gcc -O2, this machine, 2 CPUs
 * shared with other jobs; MB/s of CPU time): corpus = the 780 HTML pages
 * of the Rust documentation's book/, reference/, std/collections/ and
 * std/iter/ (45.1 MB; mdBook chapters and rustdoc API pages, 179 184
 * href/src/srcset/style/content/rel attributes; largest page 4.4 MB),
 * parsed 3 times per run, 10 runs interleaved; both variants collect the
 * same attribute values.
 *   SAX (startElement only):      77-91 MB/s, median 87 MB/s;
 *                                 peak RSS +5.5 MB over the loaded corpus
 *   tree (htmlReadMemory + walk): 41-44 MB/s, median 43 MB/s (one run 28);
 *                                 peak RSS +72 MB (the 4.4 MB page)
 *   (HTML_PARSE_NOBLANKS saves ~9% of the tree's memory, not its time;
 *   HTML_PARSE_COMPACT only costs time.  Neither matters without a tree.)
 * On the 942 KB std/vec/struct.Vec.html alone: SAX 61-82 MB/s, +1.2 MB;
 * tree 29-33 MB/s, +13 MB.  So SAX: twice the throughput and a tenth of
 * the memory, a peak that does not grow with the document's node count.
 * The whole of html_extract() on the same corpus (121 486 URLs a pass):
 * 57-61 MB/s with no charset or "utf-8", 52-55 MB/s with "windows-1252"
 * (decoded by iconv; peak +11 MB), else peak +5.9 MB; of its time ~46% is
 * libxml2, ~19% libcurl resolving URLs, defuse() about 3%.
 *
 * Encodings.  A BOM decides, then the header's charset, then <meta>, then
 * sniffing, as in browsers.  UTF-16/32 (BOM, label, or libxml2's sniffing)
 * and header charsets are decoded here to UTF-8 (iconv for the latter),
 * invalid sequences becoming U+FFFD; libxml2's converters would stop the
 * parse at the first one.  Otherwise libxml2 decodes: valid UTF-8 is read
 * as UTF-8 unless a <meta> says otherwise; anything else per <meta>, or
 * as Latin-1 (libxml2's fallback).  NEEDSWORK: a legacy multibyte charset
 * named only by <meta> still goes through libxml2's converter, so links
 * after an invalid sequence are lost.
 *
 * Hostile input.  libxml2 2.9 is quadratic in attributes per tag and in
 * element depth times stray end tags; both are capped (defuse(),
 * limit_depth()), so every input is parsed in time linear in its size
 * (5 MB of any repeated construct tried: under 0.4 s).  A 0 byte, which
 * ends libxml2's parse, is read as a space.  The scan never recurses, and
 * libxml2 keeps its element stack on the heap.
 *
 * Policy (where the HTML and URL specs leave a crawler a choice):
 *  - values are trimmed of leading and trailing C0 controls and spaces, and
 *    tabs and newlines inside are removed, as the URL spec does; '\' before
 *    the query counts as '/' (browsers do the same for http(s));
 *  - empty values and fragment-only ones ("#top") are ignored: they name
 *    the page itself, which wget does not follow either (and libcurl 7.88
 *    resolves both to the page's directory, not the page);
 *  - a value with a scheme other than http/https (javascript:, mailto:,
 *    data:, tel:, ftp:, ...) is refused silently: it is not an error, so
 *    it is not counted in `skipped`;
 *  - counted in `skipped`: values libcurl cannot resolve, values over
 *    MAX_URL_LEN bytes, srcset/style attributes over MAX_LIST_LEN bytes;
 *    in `over_cap`: everything past HTML_MAX_LINKS accepted references;
 *  - bytes that may not appear raw in a URL (controls, space, '"', '<',
 *    '>', '`', DEL and non-ASCII) are percent-encoded as UTF-8 outside the
 *    authority, so relative and absolute references come out alike (curl
 *    itself encodes only relative ones); a non-ASCII host is left to curl;
 *  - srcset is split as the HTML spec's "parse a srcset attribute" does
 *    (html_srcset_next(), which convert uses too), and every candidate's
 *    URL is kept even when its descriptors are invalid: the author still
 *    named that resource;
 *  - the first <base> with an href sets the base, resolved against the
 *    page URL; if it does not resolve to http(s), the page URL is the base;
 *  - host case, default ports and percent-encoding are left as libcurl
 *    gives them: normalising for the seen-set is the frontier's job.
 *
 * Limits: the arena holds at most the decoded attribute text of the page
 * (a few times the page's size); the caller caps pages (--max-page-size).
 *
 * Thread-safety: no global state; each call owns its parser context, SAX
 * handler (on the stack), arena, iconv descriptor and CURLU handles, and
 * swaps libxml2's generic error function only for its own thread.
 * libxml2 is safe for concurrent parsers once main has called
 * xmlInitParser().
 */
#include "html.h"

#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "xmlload.h" /* last: it renames libxml2's functions */

#define MAX_URL_LEN  8192  /* one URL value, after trimming */
#define MAX_LIST_LEN 65536 /* a whole srcset or style attribute */
#define MAX_ATTRS    128   /* attributes per start tag; the rest are blanked */
#define MAX_DEPTH    256   /* open elements; deeper, the middle is forgotten */
#define KEEP_BOTTOM  8     /* ...keeping the outermost (html, body, ...) */
#define KEEP_TOP     128   /* ...and the innermost */

static const int parse_options =
    HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING;

/* A cleaned reference waiting for resolution: arena[off .. off+len). */
struct raw {
	enum html_kind kind;
	size_t off, len;
};

struct scan {
	unsigned kinds;
	struct raw *raws;
	size_t raw_count, raw_cap;
	char *arena; /* NUL-separated cleaned values */
	size_t arena_len, arena_cap;
	bool base_seen;  /* a <base href> was found (the first one wins) */
	bool base_valid; /* ...and it was not empty, fragment-only or refused */
	size_t base_off, base_len;
	htmlParserCtxtPtr ctxt; /* the parser running the callbacks */
	bool started;           /* libxml2 began a document */
	bool robots;            /* obey <meta name="robots"> (HTML_ROBOTS) */
	bool nofollow;          /* ... and it said nofollow or none */
	size_t skipped;
	size_t over_cap; /* references past HTML_MAX_LINKS */
	enum fa_err err; /* first allocation failure; stops collection */
};

/* ---- small helpers ------------------------------------------------------ */

static bool is_html_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool ascii_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive (ASCII only, whatever the locale) comparison of the
 * len bytes at s with the NUL-terminated lowercase word. */
static bool ascii_ieq(const char *s, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (word[i] == '\0' || ascii_lower((unsigned char)s[i]) != (unsigned char)word[i])
			return false;
	}
	return word[i] == '\0';
}

static bool ascii_ieq_str(const char *s, const char *word)
{
	return ascii_ieq(s, strlen(s), word);
}

/* Returns `items` (elem-sized entries, capacity *cap) grown to hold at
 * least `need` entries by doubling, or NULL (and `items` untouched) when
 * that cannot be allocated. */
static void *grow(void *items, size_t *cap, size_t need, size_t elem)
{
	size_t new_cap = *cap ? *cap : 16;
	void *bigger;

	if (need <= *cap)
		return items;
	while (new_cap < need) {
		if (new_cap > SIZE_MAX / 2)
			return NULL;
		new_cap *= 2;
	}
	if (new_cap > SIZE_MAX / elem)
		return NULL;
	bigger = realloc(items, new_cap * elem);
	if (bigger)
		*cap = new_cap;
	return bigger;
}

/* Length of the URL scheme at the start of s (RFC 3986: ALPHA *( ALPHA /
 * DIGIT / "+" / "-" / "." ) followed by ':'), or 0 if s has none. */
static size_t scheme_len(const char *s, size_t len)
{
	if (len == 0 || !ascii_alpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i;
		if (!ascii_alpha(c) && !ascii_digit(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

static bool scheme_is_http(const char *s, size_t len)
{
	return ascii_ieq(s, len, "http") || ascii_ieq(s, len, "https");
}

/* ---- collection (inside the SAX callbacks) ----------------------------- */

enum clean_result { CLEAN_OK, CLEAN_IGNORE, CLEAN_TOO_LONG };

/*
 * Appends the cleaned form of value[0..len) to the arena: trimmed, tabs and
 * newlines dropped, '\' before any '?' or '#' turned into '/'.  Empty and
 * fragment-only values and non-http(s) schemes give CLEAN_IGNORE.  On
 * CLEAN_OK, *off and *out_len locate the value (NUL-terminated) in the
 * arena.  An allocation failure sets scan->err and gives CLEAN_IGNORE.
 */
static enum clean_result clean_value(struct scan *scan, const char *value, size_t len, size_t *off,
				     size_t *out_len)
{
	size_t start, n = 0, scheme;
	bool in_query = false;
	char *arena, *dst;

	while (len > 0 && (unsigned char)value[0] <= 0x20) {
		value++;
		len--;
	}
	while (len > 0 && (unsigned char)value[len - 1] <= 0x20)
		len--;
	if (len == 0 || value[0] == '#')
		return CLEAN_IGNORE;
	if (len > MAX_URL_LEN)
		return CLEAN_TOO_LONG;
	arena = grow(scan->arena, &scan->arena_cap, scan->arena_len + len + 1, 1);
	if (!arena) {
		scan->err = FA_ERR_NOMEM;
		return CLEAN_IGNORE;
	}
	scan->arena = arena;
	start = scan->arena_len;
	dst = scan->arena + start;
	for (size_t i = 0; i < len; i++) {
		char c = value[i];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '?' || c == '#')
			in_query = true;
		if (c == '\\' && !in_query)
			c = '/';
		dst[n++] = c;
	}
	dst[n] = '\0';
	scheme = scheme_len(dst, n);
	if (n == 0 || dst[0] == '#' || (scheme > 0 && !scheme_is_http(dst, scheme)))
		return CLEAN_IGNORE; /* arena_len unchanged: the bytes are reused */
	scan->arena_len += n + 1;
	*off = start;
	*out_len = n;
	return CLEAN_OK;
}

/* Records one reference of `kind` (a value of len bytes, not necessarily
 * NUL-terminated). */
static void add_ref(struct scan *scan, enum html_kind kind, const char *value, size_t len)
{
	size_t off, clean_len;
	struct raw *raws;

	if (scan->err != FA_OK || !(scan->kinds & kind))
		return;
	switch (clean_value(scan, value, len, &off, &clean_len)) {
	case CLEAN_IGNORE: return;
	case CLEAN_TOO_LONG: scan->skipped++; return;
	case CLEAN_OK: break;
	}
	if (scan->raw_count >= HTML_MAX_LINKS) {
		scan->over_cap++;
		scan->arena_len = off;
		return;
	}
	raws = grow(scan->raws, &scan->raw_cap, scan->raw_count + 1, sizeof(*scan->raws));
	if (!raws) {
		scan->err = FA_ERR_NOMEM;
		return;
	}
	scan->raws = raws;
	scan->raws[scan->raw_count].kind = kind;
	scan->raws[scan->raw_count].off = off;
	scan->raws[scan->raw_count].len = clean_len;
	scan->raw_count++;
}

static void add_ref_str(struct scan *scan, enum html_kind kind, const char *value)
{
	if (value)
		add_ref(scan, kind, value, strlen(value));
}

bool html_srcset_next(const char **p, const char *end, const char **url, size_t *url_len)
{
	const char *pos = *p, *start;
	bool in_parens = false;

	while (pos < end && (is_html_space((unsigned char)*pos) || *pos == ','))
		pos++;
	if (pos >= end) {
		*p = pos;
		return false;
	}
	start = pos;
	while (pos < end && !is_html_space((unsigned char)*pos))
		pos++;
	*url = start;
	*url_len = (size_t)(pos - start);
	if (start[*url_len - 1] == ',') {
		/* start[0] is not a comma, so the URL never ends up empty. */
		while (start[*url_len - 1] == ',')
			(*url_len)--;
		*p = pos;
		return true;
	}
	/* Descriptors: up to a comma that is not inside parentheses. */
	for (; pos < end; pos++) {
		if (*pos == '(')
			in_parens = true;
		else if (*pos == ')')
			in_parens = false;
		else if (*pos == ',' && !in_parens)
			break;
	}
	if (pos < end)
		pos++; /* the comma */
	*p = pos;
	return true;
}

/* Every candidate URL of a srcset attribute (see html_srcset_next). */
static void add_srcset(struct scan *scan, const char *value)
{
	const char *p, *end, *url;
	size_t len, url_len;

	if (!value || !(scan->kinds & HTML_IMAGE))
		return;
	len = strlen(value);
	if (len > MAX_LIST_LEN) {
		scan->skipped++;
		return;
	}
	p = value;
	end = value + len;
	while (html_srcset_next(&p, end, &url, &url_len))
		add_ref(scan, HTML_IMAGE, url, url_len);
}

/* Every url(...) in a style attribute, quoted or not.  CSS escapes and
 * comments are not interpreted (NEEDSWORK: rare in style attributes). */
static void add_style_urls(struct scan *scan, const char *value)
{
	size_t len, pos = 0;

	if (!value || !(scan->kinds & HTML_IMAGE))
		return;
	len = strlen(value);
	if (len > MAX_LIST_LEN) {
		scan->skipped++;
		return;
	}
	while (pos + 4 <= len) {
		size_t start, end;

		if (!ascii_ieq(value + pos, 4, "url(")) {
			pos++;
			continue;
		}
		/* "url(" must start a token: not part of e.g. "myurl(". */
		if (pos > 0 && (ascii_alpha((unsigned char)value[pos - 1]) ||
				ascii_digit((unsigned char)value[pos - 1]) ||
				value[pos - 1] == '-' || value[pos - 1] == '_')) {
			pos++;
			continue;
		}
		pos += 4;
		while (pos < len && is_html_space((unsigned char)value[pos]))
			pos++;
		if (pos < len && (value[pos] == '"' || value[pos] == '\'')) {
			char quote = value[pos++];

			start = pos;
			while (pos < len && value[pos] != quote)
				pos++;
			end = pos;
			while (pos < len && value[pos] != ')')
				pos++;
		} else {
			start = pos;
			while (pos < len && value[pos] != ')')
				pos++;
			end = pos;
		}
		add_ref(scan, HTML_IMAGE, value + start, end - start);
		if (pos < len)
			pos++;
	}
}

/* The value of attribute `name` in libxml2's NULL-terminated name/value
 * array; "" for an attribute without a value; NULL when absent.  libxml2
 * lowercases HTML attribute names and drops repeated ones. */
static const char *attr(const xmlChar **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2) {
		if (!strcmp((const char *)atts[i], name))
			return atts[i + 1] ? (const char *)atts[i + 1] : "";
	}
	return NULL;
}

/* Whether the space-separated token list `rel` holds one of `words`. */
static bool rel_has(const char *rel, const char *const *words)
{
	size_t pos = 0, len;

	if (!rel)
		return false;
	len = strlen(rel);
	while (pos < len) {
		size_t start;

		while (pos < len && is_html_space((unsigned char)rel[pos]))
			pos++;
		start = pos;
		while (pos < len && !is_html_space((unsigned char)rel[pos]))
			pos++;
		for (size_t w = 0; words[w]; w++) {
			if (pos > start && ascii_ieq(rel + start, pos - start, words[w]))
				return true;
		}
	}
	return false;
}

static const char *const icon_rels[] = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed",
					"mask-icon", NULL};
static const char *const stylesheet_rels[] = {"stylesheet", NULL};
static const char *const image_metas[] = {
    "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src", NULL};

static bool meta_is_image(const char *key)
{
	if (!key)
		return false;
	for (size_t i = 0; image_metas[i]; i++) {
		if (ascii_ieq_str(key, image_metas[i]))
			return true;
	}
	return false;
}

static void on_base(struct scan *scan, const char *href)
{
	size_t off, len;

	if (scan->base_seen || !href)
		return;
	scan->base_seen = true;
	if (clean_value(scan, href, strlen(href), &off, &len) == CLEAN_OK) {
		scan->base_valid = true;
		scan->base_off = off;
		scan->base_len = len;
	}
}

/*
 * libxml2 2.9's HTML parser keeps every unclosed element on its name stack
 * and searches the whole stack for each end tag that matches nothing, and
 * for each <body>: 100 000 unclosed <div> followed by 100 000 stray </span>
 * take 18 s for 1.3 MB.  So when the stack passes MAX_DEPTH, the middle of
 * it is dropped, keeping the outermost and innermost elements (libxml2
 * pushes the new element before calling us).  The stack holds pointers
 * into the parser's dictionary, never freed on pop, and no other table runs
 * parallel to it without a tree (nodeTab) or record_info (nodeInfoTab).
 * End tags for the forgotten elements then match nothing and are ignored;
 * extraction does not depend on nesting.
 */
static void limit_depth(htmlParserCtxtPtr ctxt)
{
	int drop;

	if (ctxt->nameNr <= MAX_DEPTH)
		return;
	drop = ctxt->nameNr - KEEP_BOTTOM - KEEP_TOP;
	memmove(&ctxt->nameTab[KEEP_BOTTOM], &ctxt->nameTab[KEEP_BOTTOM + drop],
		KEEP_TOP * sizeof(ctxt->nameTab[0]));
	for (int i = KEEP_BOTTOM + KEEP_TOP; i < ctxt->nameNr; i++)
		ctxt->nameTab[i] = NULL;
	ctxt->nameNr = KEEP_BOTTOM + KEEP_TOP;
	ctxt->name = ctxt->nameTab[ctxt->nameNr - 1];
}

static void on_start_document(void *ctx)
{
	struct scan *scan = ctx;

	scan->started = true;
}

static void on_start_element(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
	struct scan *scan = ctx;
	const char *name = (const char *)xname;

	limit_depth(scan->ctxt);
	if (!atts || scan->err != FA_OK)
		return;
	switch (name[0]) {
	case 'a':
		if (!strcmp(name, "a") || !strcmp(name, "area"))
			add_ref_str(scan, HTML_LINK, attr(atts, "href"));
		break;
	case 'b':
		if (!strcmp(name, "base"))
			on_base(scan, attr(atts, "href"));
		break;
	case 'f':
		if (!strcmp(name, "frame"))
			add_ref_str(scan, HTML_LINK, attr(atts, "src"));
		break;
	case 'i':
		if (!strcmp(name, "img")) {
			add_ref_str(scan, HTML_IMAGE, attr(atts, "src"));
			add_ref_str(scan, HTML_IMAGE, attr(atts, "data-src"));
			add_srcset(scan, attr(atts, "srcset"));
			add_srcset(scan, attr(atts, "data-srcset"));
		} else if (!strcmp(name, "iframe")) {
			add_ref_str(scan, HTML_LINK, attr(atts, "src"));
		} else if (!strcmp(name, "input")) {
			const char *type = attr(atts, "type");

			if (type && ascii_ieq_str(type, "image"))
				add_ref_str(scan, HTML_IMAGE, attr(atts, "src"));
		}
		break;
	case 'l':
		if (!strcmp(name, "link")) {
			const char *rel = attr(atts, "rel");

			if (rel_has(rel, icon_rels))
				add_ref_str(scan, HTML_IMAGE, attr(atts, "href"));
			if (rel_has(rel, stylesheet_rels))
				add_ref_str(scan, HTML_REQUISITE, attr(atts, "href"));
		}
		break;
	case 'm':
		if (!strcmp(name, "meta") &&
		    (meta_is_image(attr(atts, "property")) || meta_is_image(attr(atts, "name"))))
			add_ref_str(scan, HTML_IMAGE, attr(atts, "content"));
		else if (scan->robots && !strcmp(name, "meta") && attr(atts, "name") &&
			 !strcasecmp(attr(atts, "name"), "robots") &&
			 html_robots_nofollow(attr(atts, "content"), NULL))
			scan->nofollow = true;
		break;
	case 's':
		if (!strcmp(name, "script"))
			add_ref_str(scan, HTML_REQUISITE, attr(atts, "src"));
		else if (!strcmp(name, "source"))
			add_srcset(scan, attr(atts, "srcset"));
		break;
	default: break;
	}
	add_style_urls(scan, attr(atts, "style"));
}

/* ---- parse -------------------------------------------------------------- */

/* A document in UTF-16 or UTF-32: code unit size, byte order, BOM size. */
struct wide {
	size_t unit;
	bool big_endian;
	size_t bom;
};

/*
 * Whether the document is in UTF-16 or UTF-32, and how: a BOM decides
 * (whatever the label says, as in the HTML spec), then the charset label,
 * then libxml2's own sniffing of the first 4 bytes ("<" or "<?" as 16 or
 * 32-bit units).  UTF-16 without a BOM is little-endian as browsers have
 * it, UTF-32 big-endian as iconv has it.
 */
static bool wide_layout(const char *body, size_t len, const char *charset, struct wide *w)
{
	static const struct {
		const char *label;
		struct wide layout;
	} labels[] = {
	    {"utf-16", {2, false, 0}},
	    {"utf-16le", {2, false, 0}},
	    {"utf-16be", {2, true, 0}},
	    {"unicodefffe", {2, true, 0}},
	    {"unicodefeff", {2, false, 0}},
	    {"unicode", {2, false, 0}},
	    {"ucs-2", {2, false, 0}},
	    {"csunicode", {2, false, 0}},
	    {"iso-10646-ucs-2", {2, false, 0}},
	    {"utf-32", {4, true, 0}},
	    {"utf-32le", {4, false, 0}},
	    {"utf-32be", {4, true, 0}},
	    {"ucs-4", {4, true, 0}},
	    {"iso-10646-ucs-4", {4, true, 0}},
	};
	const unsigned char *b = (const unsigned char *)body;

	if (len >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0) {
		*w = (struct wide){4, false, 4};
		return true;
	}
	if (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff) {
		*w = (struct wide){4, true, 4};
		return true;
	}
	if (len >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff))) {
		*w = (struct wide){2, b[0] == 0xfe, 2};
		return true;
	}
	if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		return false; /* UTF-8 */
	if (charset && charset[0]) {
		for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
			if (ascii_ieq_str(charset, labels[i].label)) {
				*w = labels[i].layout;
				return true;
			}
		}
		return false;
	}
	if (len < 4)
		return false;
	switch (xmlDetectCharEncoding(b, 4)) {
	case XML_CHAR_ENCODING_UTF16LE: *w = (struct wide){2, false, 0}; return true;
	case XML_CHAR_ENCODING_UTF16BE: *w = (struct wide){2, true, 0}; return true;
	case XML_CHAR_ENCODING_UCS4LE: *w = (struct wide){4, false, 0}; return true;
	case XML_CHAR_ENCODING_UCS4BE: *w = (struct wide){4, true, 0}; return true;
	default: return false;
	}
}

static uint32_t read_unit(const unsigned char *p, const struct wide *w)
{
	uint32_t v = 0;

	for (size_t i = 0; i < w->unit; i++)
		v = v << 8 | p[w->big_endian ? i : w->unit - 1 - i];
	return v;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The document decoded to UTF-8 (malloc'd, *out_len bytes), lone
 * surrogates, values above U+10FFFF and a partial last unit replaced by
 * U+FFFD; NULL when out of memory.  Decoding here rather than in libxml2
 * lets defuse() work on every document.
 */
static char *decode_wide(const char *body, size_t len, const struct wide *w, size_t *out_len)
{
	const unsigned char *in = (const unsigned char *)body + w->bom;
	size_t n = len - w->bom, pos = 0, o = 0;
	char *out;

	/* At most 3 bytes per 2 input bytes (4 per surrogate pair), plus a
	 * U+FFFD for a partial unit. */
	if (n / 2 > (SIZE_MAX - 4) / 3)
		return NULL;
	out = malloc(n / 2 * 3 + 4);
	if (!out)
		return NULL;
	while (pos + w->unit <= n) {
		uint32_t cp = read_unit(in + pos, w);

		pos += w->unit;
		if (w->unit == 2 && cp >= 0xd800 && cp <= 0xdbff && pos + 2 <= n) {
			uint32_t low = read_unit(in + pos, w);

			if (low >= 0xdc00 && low <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				pos += 2;
			}
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			cp = 0xfffd;
		o += put_utf8(out + o, cp);
	}
	if (pos < n)
		o += put_utf8(out + o, 0xfffd);
	*out_len = o;
	return out;
}

static bool is_blank(unsigned char c) /* libxml2's IS_BLANK_CH */
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(unsigned char c) /* what libxml2 takes for a tag */
{
	return ascii_alpha(c) || c == '_' || c == ':';
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || ascii_digit(c) || c == '-' || c == '.';
}

/* Position of the first case-insensitive occurrence of the lowercase
 * `word` in s[from..len), or len. */
static size_t find_ci(const char *s, size_t len, size_t from, const char *word)
{
	size_t n = strlen(word);

	while (from + n <= len) {
		const char *lt = memchr(s + from, word[0], len - from);

		if (!lt || (size_t)(lt - s) + n > len)
			return len;
		from = (size_t)(lt - s);
		if (ascii_ieq(s + from, n, word))
			return from;
		from++;
	}
	return len;
}

/* Whether the tag name starting at s[pos] is the lowercase `word`. */
static bool name_is(const char *s, size_t len, size_t pos, const char *word)
{
	size_t n = strlen(word);

	return pos + n <= len && ascii_ieq(s + pos, n, word) &&
	       (pos + n == len || !is_name_char((unsigned char)s[pos + n]));
}

/*
 * Scans the start tag whose name begins at s[pos], following libxml2 2.9's
 * htmlParseStartTag() (names, '=', quoted and unquoted values, skipping of
 * junk), and returns the position of its closing '>' or "/>" (or len).
 * Sets *blank_from to where attribute MAX_ATTRS + 1 starts, or to 0.
 */
static size_t scan_tag(const char *s, size_t len, size_t pos, size_t *blank_from)
{
	size_t attrs = 0;

	*blank_from = 0;
	while (pos < len && is_name_char((unsigned char)s[pos]))
		pos++;
	for (;;) {
		while (pos < len && is_blank((unsigned char)s[pos]))
			pos++;
		if (pos >= len || s[pos] == '>' ||
		    (s[pos] == '/' && pos + 1 < len && s[pos + 1] == '>'))
			return pos;
		if (++attrs == MAX_ATTRS + 1)
			*blank_from = pos;
		if (!is_name_start((unsigned char)s[pos])) {
			/* libxml2 skips a token it cannot read as a name */
			while (pos < len && !is_blank((unsigned char)s[pos]) && s[pos] != '>' &&
			       (s[pos] != '/' || pos + 1 >= len || s[pos + 1] != '>'))
				pos++;
			continue;
		}
		while (pos < len && is_name_char((unsigned char)s[pos]))
			pos++;
		while (pos < len && is_blank((unsigned char)s[pos]))
			pos++;
		if (pos >= len || s[pos] != '=')
			continue;
		pos++;
		while (pos < len && is_blank((unsigned char)s[pos]))
			pos++;
		if (pos < len && (s[pos] == '"' || s[pos] == '\'')) {
			const char *close = memchr(s + pos + 1, s[pos], len - pos - 1);

			pos = close ? (size_t)(close - s) + 1 : len;
		} else {
			while (pos < len && !is_blank((unsigned char)s[pos]) && s[pos] != '>')
				pos++;
		}
	}
}

/*
 * Makes the bytes safe for libxml2 2.9, in one linear pass over an
 * ASCII-compatible encoding (UTF-16 and UTF-32 are decoded first).  *copy
 * is NULL when nothing needed changing, else a malloc'd copy to parse
 * instead.  Returns false when out of memory.
 *  - A 0 byte ends libxml2's parse (links after it were lost): it becomes
 *    a space.
 *  - libxml2 compares each attribute of a tag with all earlier ones: one
 *    tag with 100 000 attributes takes 11 s.  Attributes after the
 *    MAX_ATTRS-th are blanked with spaces up to the tag's end.  Tags are
 *    found as libxml2 finds them; comments, <script> and <style> contents
 *    are skipped as libxml2 skips them.
 */
static bool defuse(const char *body, size_t len, char **copy)
{
	const char *src = body; /* what libxml2 will see, bar blanked tags */
	size_t pos = 0;

	*copy = NULL;
	if (memchr(body, '\0', len)) {
		*copy = malloc(len);
		if (!*copy)
			return false;
		for (size_t i = 0; i < len; i++)
			(*copy)[i] = body[i] ? body[i] : ' ';
		src = *copy;
	}
	while (pos < len) {
		const char *lt = memchr(src + pos, '<', len - pos);
		size_t name, end, blank_from;

		if (!lt)
			break;
		pos = (size_t)(lt - src) + 1;
		if (pos + 2 < len && src[pos] == '!' && src[pos + 1] == '-' &&
		    src[pos + 2] == '-') {
			pos = find_ci(src, len, pos + 3, "-->");
			continue;
		}
		if (pos >= len || !is_name_start((unsigned char)src[pos]))
			continue;
		name = pos;
		end = scan_tag(src, len, pos, &blank_from);
		if (blank_from) {
			if (!*copy) {
				*copy = malloc(len);
				if (!*copy)
					return false;
				memcpy(*copy, body, len);
			}
			/* The scan reads on from `end`, so src may be *copy. */
			memset(*copy + blank_from, ' ', end - blank_from);
		}
		pos = end;
		if (pos < len && src[pos] == '>') {
			if (name_is(src, len, name, "script"))
				pos = find_ci(src, len, pos, "</script");
			else if (name_is(src, len, name, "style"))
				pos = find_ci(src, len, pos, "</style");
		}
	}
	return true;
}

/* Whether s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF).  ASCII runs are checked 8 bytes at a time. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			uint64_t word;

			if (len - i >= 8) {
				memcpy(&word, s + i, 8);
				if (!(word & UINT64_C(0x8080808080808080))) {
					i += 8;
					continue;
				}
			}
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			return false;
		}
		if (len - i - 1 < need)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		}
		i += need + 1;
	}
	return true;
}

static bool is_utf8_label(const char *charset)
{
	return ascii_ieq_str(charset, "utf-8") || ascii_ieq_str(charset, "utf8") ||
	       ascii_ieq_str(charset, "unicode-1-1-utf-8");
}

/*
 * The document decoded from the header's `charset` to UTF-8 with iconv, a
 * byte sequence that is invalid in that charset becoming U+FFFD (libxml2's
 * own converters stop the parse at the first one, losing every link after
 * it).  Labels for ASCII and Latin-1 mean windows-1252, as in browsers.
 * Returns FA_OK with *out malloc'd, FA_ERR_ARG when iconv does not know the
 * charset (the caller then ignores it), FA_ERR_NOMEM.
 */
static enum fa_err convert_charset(const char *body, size_t len, const char *charset, char **out,
				   size_t *out_len)
{
	static const char *const cp1252_labels[] = {
	    "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "iso_8859-1",  "latin1",
	    "l1",       "cp819", "ibm819",     "x-cp1252",  "windows-1252"};
	char *in = (char *)(uintptr_t)body; /* iconv's prototype is not const */
	size_t in_left = len, cap = len + len / 2 + 16, used = 0;
	char *buf = NULL;
	iconv_t cd;

	for (size_t i = 0; i < sizeof(cp1252_labels) / sizeof(cp1252_labels[0]); i++) {
		if (ascii_ieq_str(charset, cp1252_labels[i])) {
			charset = "WINDOWS-1252";
			break;
		}
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return errno == ENOMEM ? FA_ERR_NOMEM : FA_ERR_ARG;
	for (bool done = false, full = true; !done;) {
		bool flushing = in_left == 0; /* then end the shift state */
		char *dst;
		size_t room, rc;
		int why;

		if (full || cap - used < 4) { /* E2BIG, or no room for a U+FFFD */
			char *bigger;

			if (buf && cap > SIZE_MAX / 2)
				goto nomem;
			cap = buf ? cap * 2 : cap;
			bigger = realloc(buf, cap);
			if (!bigger)
				goto nomem;
			buf = bigger;
			full = false;
		}
		dst = buf + used;
		room = cap - used;
		if (flushing)
			rc = iconv(cd, NULL, NULL, &dst, &room);
		else
			rc = iconv(cd, &in, &in_left, &dst, &room);
		why = rc == (size_t)-1 ? errno : 0;
		used = (size_t)(dst - buf);
		if (why == E2BIG) {
			full = true;
		} else if (flushing) {
			done = true;
		} else if ((why == EILSEQ || why == EINVAL) && cap - used < 3) {
			/* no room for the U+FFFD: grow, and iconv meets the same
			 * bytes again (it consumed none of them) */
			full = true;
		} else if (why == EILSEQ || why == EINVAL) {
			/* invalid here, or cut off at the end */
			size_t skip = why == EINVAL ? in_left : 1;

			memcpy(buf + used, "\xef\xbf\xbd", 3);
			used += 3;
			in += skip;
			in_left -= skip;
		} else if (why != 0) {
			done = true; /* not a documented error: keep what we have */
		}
	}
	iconv_close(cd);
	*out = buf;
	*out_len = used;
	return FA_OK;
nomem:
	free(buf);
	iconv_close(cd);
	return FA_ERR_NOMEM;
}

/*
 * Decodes the document here when a BOM or the header's charset says how,
 * rather than leaving it to libxml2: *body and *len then point to a UTF-8
 * copy in *decoded (caller frees) and *utf8 is set.  Otherwise *decoded
 * is NULL and libxml2 decides, from <meta> or by sniffing.  Returns FA_OK,
 * FA_ERR_NOMEM or FA_ERR_TOO_LONG (more than libxml2's INT_MAX bytes).
 */
static enum fa_err decode(const char **body, size_t *len, const char *charset, char **decoded,
			  bool *utf8)
{
	struct wide wide;
	enum fa_err err = FA_OK;

	*decoded = NULL;
	*utf8 = false;
	if (wide_layout(*body, *len, charset, &wide)) {
		*decoded = decode_wide(*body, *len, &wide, len);
		err = *decoded ? FA_OK : FA_ERR_NOMEM;
	} else if (*len >= 3 && !memcmp(*body, "\xef\xbb\xbf", 3)) {
		*utf8 = true; /* a BOM beats the label; libxml2 skips it */
		return FA_OK;
	} else if (charset && charset[0]) {
		if (is_utf8_label(charset) && utf8_valid((const unsigned char *)*body, *len)) {
			*utf8 = true;
			return FA_OK;
		}
		err = convert_charset(*body, *len, charset, decoded, len);
		if (err == FA_ERR_ARG)
			return FA_OK; /* an unknown charset is ignored */
	}
	if (err != FA_OK || !*decoded)
		return err;
	if (*len > INT_MAX) {
		free(*decoded);
		*decoded = NULL;
		return FA_ERR_TOO_LONG;
	}
	*body = *decoded;
	*utf8 = true;
	return FA_OK;
}

/*
 * libxml2 reports some errors with no parser context (a charset converter
 * failing on bad bytes), through its generic error function, which prints
 * to stderr.  Only cli, report and main print: each parse swaps this no-op
 * in for its own thread (libxml2 keeps the function per thread) and puts
 * the caller's back afterwards.
 */
static void ignore_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static enum fa_err parse(struct scan *scan, const char *body, size_t len, const char *charset)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;
	int options = parse_options;
	char *decoded = NULL, *copy = NULL;
	bool utf8; /* decoded already: no <meta> applies */
	xmlGenericErrorFunc saved_error;
	void *saved_error_ctx;
	enum fa_err err = decode(&body, &len, charset, &decoded, &utf8);

	if (err != FA_OK)
		return err;
	if (!defuse(body, len, &copy)) {
		free(decoded);
		return FA_ERR_NOMEM;
	}
	if (copy)
		body = copy;
	if (len == 0)
		goto out; /* a lone BOM */

	saved_error = xmlGenericError;
	saved_error_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, ignore_error);
	memset(&sax, 0, sizeof(sax));
	sax.startDocument = on_start_document;
	sax.startElement = on_start_element;
	ctxt = htmlCreateMemoryParserCtxt(body, (int)len);
	if (!ctxt) {
		xmlSetGenericErrorFunc(saved_error_ctx, saved_error);
		err = FA_ERR_NOMEM; /* len > 0 here, so allocation is the only cause */
		goto out;
	}
	/* As htmlSAXParseDoc() does: our handler, our user data. */
	xmlFree(ctxt->sax);
	ctxt->sax = &sax;
	ctxt->userData = scan;
	scan->ctxt = ctxt;
	if (utf8) {
		/* By BOM or header, decoded here: <meta> must not switch. */
		xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8); /* skips a BOM */
		options |= HTML_PARSE_IGNORE_ENC;
	} else if (utf8_valid((const unsigned char *)body, len)) {
		xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8); /* <meta> may still switch */
	}
	htmlCtxtUseOptions(ctxt, options);
	htmlParseDocument(ctxt);
	if (ctxt->errNo == XML_ERR_NO_MEMORY)
		err = FA_ERR_NOMEM;
	else if (!scan->started)
		err = FA_ERR_PARSE;
	ctxt->sax = NULL; /* on our stack */
	if (ctxt->myDoc)  /* never built by our handler; defensive */
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	htmlFreeParserCtxt(ctxt);
	scan->ctxt = NULL;
	xmlSetGenericErrorFunc(saved_error_ctx, saved_error);
out:
	free(copy);
	free(decoded);
	return err;
}

/* ---- resolution --------------------------------------------------------- */

static bool needs_escape(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`';
}

/* Writes the cleaned value src[0..len) to dst (room for 3 * len + 1),
 * percent-encoding needs_escape() bytes outside the authority. */
static void escape_value(const char *src, size_t len, char *dst)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t scheme = scheme_len(src, len), auth_start = 0, auth_end = 0, n = 0;

	if (scheme > 0)
		auth_start = scheme + 1;
	if (auth_start + 2 <= len && src[auth_start] == '/' && src[auth_start + 1] == '/') {
		auth_start += 2;
		auth_end = auth_start + strcspn(src + auth_start, "/?#");
		if (auth_end > len)
			auth_end = len;
	} else {
		auth_start = auth_end = 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if ((i < auth_start || i >= auth_end) && needs_escape(c)) {
			dst[n++] = '%';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		} else {
			dst[n++] = (char)c;
		}
	}
	dst[n] = '\0';
}

static bool is_http_url(const char *url)
{
	return url && (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8));
}

/* True if libcurl parses url again.  libcurl 7.88 accepts some hosts it
 * then prints in a form it refuses ("%7F" decoded to a raw DEL); such a
 * URL would fail every later use, in fetch or url_normalize(). */
static bool reparses(const char *url)
{
	CURLU *h = curl_url();
	bool ok = h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK;

	curl_url_cleanup(h);
	return ok;
}

/* Resolves `ref` (escaped) against `base` and appends it to out; a
 * reference libcurl rejects is counted in *skipped. */
static enum fa_err resolve_one(CURLU *base, const char *ref, enum html_kind kind,
			       struct html_links *out, size_t *skipped)
{
	CURLU *h = curl_url_dup(base);
	CURLUcode uc;
	char *url = NULL;
	enum fa_err err = FA_OK;

	if (!h)
		return FA_ERR_NOMEM;
	uc = curl_url_set(h, CURLUPART_URL, ref, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(h, CURLUPART_URL, &url, 0);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		err = FA_ERR_NOMEM;
	} else if (uc != CURLUE_OK) {
		(*skipped)++;
	} else if (is_http_url(url) && !reparses(url)) {
		(*skipped)++;
	} else if (is_http_url(url)) {
		err = html_links_add(out, kind, url, strlen(url));
	}
	/* else: resolved to another scheme (a file: page); refused quietly */
	curl_free(url);
	curl_url_cleanup(h);
	return err;
}

/* The handle all references resolve against: the page URL, or the page's
 * first <base href> resolved against it when that gives http(s). */
static enum fa_err make_base(const struct scan *scan, CURLU *page, char *escaped, CURLU **base)
{
	CURLU *h;
	CURLUcode uc;
	char *url = NULL;

	*base = page;
	if (!scan->base_valid)
		return FA_OK;
	escape_value(scan->arena + scan->base_off, scan->base_len, escaped);
	h = curl_url_dup(page);
	if (!h)
		return FA_ERR_NOMEM;
	uc = curl_url_set(h, CURLUPART_URL, escaped, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(h, CURLUPART_URL, &url, 0);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		curl_url_cleanup(h);
		return FA_ERR_NOMEM;
	}
	if (uc == CURLUE_OK && is_http_url(url) && reparses(url))
		*base = h;
	else
		curl_url_cleanup(h);
	curl_free(url);
	return FA_OK;
}

static enum fa_err resolve_all(const struct scan *scan, CURLU *page, struct html_links *out,
			       size_t *skipped)
{
	char *escaped = malloc(3 * MAX_URL_LEN + 1);
	CURLU *base = NULL;
	enum fa_err err;

	if (!escaped)
		return FA_ERR_NOMEM;
	err = make_base(scan, page, escaped, &base);
	for (size_t i = 0; err == FA_OK && i < scan->raw_count; i++) {
		const struct raw *raw = &scan->raws[i];

		escape_value(scan->arena + raw->off, raw->len, escaped);
		err = resolve_one(base, escaped, raw->kind, out, skipped);
	}
	if (base != page)
		curl_url_cleanup(base);
	free(escaped);
	return err;
}

/* ---- public ------------------------------------------------------------- */

/* On error, *out is put back as it was: entries appended by this call are
 * freed and `skipped` and `over_cap` are restored. */
enum fa_err html_extract(const char *body, size_t len, const char *page_url, const char *charset,
			 unsigned kinds, struct html_links *out)
{
	struct scan scan;
	CURLU *page = NULL;
	CURLUcode uc;
	size_t count_before, skipped_before, over_cap_before;
	enum fa_err err = FA_OK;

	if (!out || (!body && len > 0))
		return FA_ERR_ARG;
	if (!page_url)
		return FA_ERR_URL;
	if (len > INT_MAX)
		return FA_ERR_TOO_LONG; /* libxml2 takes an int */
	if (xmlload_need() != FA_OK)
		return FA_ERR_PARSE;
	count_before = out->count;
	skipped_before = out->skipped;
	over_cap_before = out->over_cap;
	memset(&scan, 0, sizeof(scan));
	scan.kinds = kinds & (HTML_LINK | HTML_IMAGE | HTML_REQUISITE);
	scan.robots = (kinds & HTML_ROBOTS) != 0;

	page = curl_url();
	if (!page)
		return FA_ERR_NOMEM;
	uc = curl_url_set(page, CURLUPART_URL, page_url, 0);
	if (uc != CURLUE_OK) {
		err = uc == CURLUE_OUT_OF_MEMORY ? FA_ERR_NOMEM : FA_ERR_URL;
		goto out;
	}
	if (len == 0 || scan.kinds == 0)
		goto out; /* nothing to find: not an error */

	err = parse(&scan, body, len, charset);
	if (err == FA_OK)
		err = scan.err;
	if (err == FA_OK)
		err = resolve_all(&scan, page, out, &scan.skipped);
	if (err == FA_OK) {
		out->skipped = skipped_before + scan.skipped;
		out->over_cap = over_cap_before + scan.over_cap;
	}
	if (err == FA_OK && scan.nofollow) {
		/* nofollow: the page's links go, its images and requisites stay */
		size_t kept = count_before;

		for (size_t i = count_before; i < out->count; i++) {
			if (out->items[i].kind == HTML_LINK)
				free(out->items[i].url);
			else
				out->items[kept++] = out->items[i];
		}
		out->count = kept;
	}
out:
	if (err != FA_OK) {
		for (size_t i = count_before; i < out->count; i++)
			free(out->items[i].url);
		out->count = count_before;
		out->skipped = skipped_before;
		out->over_cap = over_cap_before;
	}
	curl_url_cleanup(page);
	free(scan.raws);
	free(scan.arena);
	return err;
}

/* Whether [p, p + n) is word, case-insensitively. */
static bool word_is(const char *p, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(p, word, n);
}

bool html_robots_nofollow(const char *value, const char *agent)
{
	const char *p = value;
	size_t n;

	if (!p)
		return false;
	p += strspn(p, " \t\r\n\f");
	/* "NAME: directives" (X-Robots-Tag) is for robot NAME only */
	n = strcspn(p, ":,");
	if (p[n] == ':' && !word_is(p, n, "unavailable_after") && !word_is(p, n, "max-snippet") &&
	    !word_is(p, n, "max-image-preview") && !word_is(p, n, "max-video-preview")) {
		size_t len = n;

		while (len > 0 && is_html_space((unsigned char)p[len - 1]))
			len--;
		if (!agent || len != strlen(agent) || strncasecmp(p, agent, len) != 0)
			return false;
		p += n + 1;
	}
	while (*p) {
		p += strspn(p, " \t\r\n\f,");
		n = strcspn(p, ",");
		{
			size_t len = n;

			while (len > 0 && is_html_space((unsigned char)p[len - 1]))
				len--;
			if (word_is(p, len, "nofollow") || word_is(p, len, "none"))
				return true;
		}
		p += n;
	}
	return false;
}

enum fa_err html_links_add(struct html_links *list, enum html_kind kind, const char *url,
			   size_t url_len)
{
	struct html_link *items;
	char *copy;

	if (!list || (!url && url_len > 0) || url_len == SIZE_MAX)
		return FA_ERR_ARG;
	items = grow(list->items, &list->cap, list->count + 1, sizeof(*list->items));
	if (!items)
		return FA_ERR_NOMEM;
	list->items = items;
	copy = malloc(url_len + 1);
	if (!copy)
		return FA_ERR_NOMEM;
	if (url_len > 0)
		memcpy(copy, url, url_len);
	copy[url_len] = '\0';
	list->items[list->count].kind = kind;
	list->items[list->count].url = copy;
	list->count++;
	return FA_OK;
}

void html_links_release(struct html_links *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].url);
	free(list->items);
	memset(list, 0, sizeof(*list));
}
