/*
 * Unit tests for html: extraction from the pages in $FIXTURES/html/ and
 * from inline snippets, each checked against the exact (kind, URL) list;
 * base href, srcset (and html_srcset_next() on its own, by table),
 * relative and refused references, kinds and the kinds
 * filter, encodings (declared, undeclared, broken, by header), NUL bytes;
 * UTF-16 and UTF-32, header charsets decoded with invalid bytes in them;
 * generated hostile pages (100 000 nested elements, stray end tags, a tag
 * with 200 000 attributes, a 5 MB page of 50 000 links, random bytes) that
 * must finish in bounded time; caps; arguments and the list's lifecycle;
 * over-reads (input placed right before an unreadable page); silence on
 * stderr; and 1, 2 and 8 threads extracting the same pages at once,
 * repeated (workers record, the test thread asserts after join).
 * Generated pages come from fixed seeds, so every run sees the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "guard.h"
#include "html.h"
#include "sync.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define ALL_KINDS (HTML_LINK | HTML_IMAGE | HTML_REQUISITE)
#define L         HTML_LINK
#define I         HTML_IMAGE
#define R         HTML_REQUISITE

/* The release build needs well under a second for each generated page,
 * ASan and TSan under one; without html.c's caps on depth and attributes,
 * libxml2 2.9 needs 34 s and 38 s for two of them. */
#define TIME_LIMIT_NS (10ull * 1000 * 1000 * 1000)

#define PAGE "http://www.example.com/dir/sub/page.html"

struct expect {
	enum html_kind kind;
	const char *url;
};

struct page_case {
	const char *name;    /* for messages */
	const char *fixture; /* file in $FIXTURES/html/, or NULL: use html */
	const char *html;
	const char *page_url;
	const char *charset;
	unsigned kinds;
	size_t skipped;
	struct expect want[32]; /* ends at the first { 0, NULL } */
};

/* ---- helpers ----------------------------------------------------------- */

static char *read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FIXTURES");
	char path[1024];
	char *buf = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/html/%s", dir && *dir ? dir : "fixtures", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (set FIXTURES)", path);
	*len = 0;
	for (;;) {
		size_t got;

		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + *len, 1, cap - *len, f);
		if (got == 0)
			break;
		*len += got;
	}
	assert_false(ferror(f));
	fclose(f);
	return buf;
}

/* The page's bytes (a fixture's, or a copy of the inline text). */
static char *case_body(const struct page_case *c, size_t *len)
{
	char *body;

	if (c->fixture)
		return read_fixture(c->fixture, len);
	*len = strlen(c->html);
	body = malloc(*len + 1);
	assert_non_null(body);
	memcpy(body, c->html, *len + 1);
	return body;
}

static const char *kind_name(enum html_kind kind)
{
	switch (kind) {
	case HTML_LINK: return "link";
	case HTML_IMAGE: return "image";
	case HTML_REQUISITE: return "requisite";
	case HTML_ROBOTS: break; /* an option, never a link's kind */
	}
	return "?";
}

static void print_links(const char *name, const struct html_links *got)
{
	print_message("%s: got %zu, skipped %zu\n", name, got->count, got->skipped);
	for (size_t i = 0; i < got->count; i++)
		print_message("  { %s, \"%s\" }\n", kind_name(got->items[i].kind),
			      got->items[i].url);
}

static void check_links(const char *name, const struct html_links *got, const struct expect *want,
			size_t skipped)
{
	size_t n = 0;

	while (want[n].url)
		n++;
	if (got->count != n || got->skipped != skipped) {
		print_links(name, got);
		fail_msg("%s: %zu links (want %zu), %zu skipped (want %zu)", name, got->count, n,
			 got->skipped, skipped);
	}
	for (size_t i = 0; i < n; i++) {
		if (got->items[i].kind != want[i].kind || strcmp(got->items[i].url, want[i].url)) {
			print_links(name, got);
			fail_msg("%s: link %zu is { %s, %s }, want { %s, %s }", name, i,
				 kind_name(got->items[i].kind), got->items[i].url,
				 kind_name(want[i].kind), want[i].url);
		}
	}
}

static void run_cases(const struct page_case *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct page_case *c = &cases[i];
		struct html_links got = {0};
		size_t len;
		char *body = case_body(c, &len);
		enum fa_err err = html_extract(body, len, c->page_url ? c->page_url : PAGE,
					       c->charset, c->kinds ? c->kinds : ALL_KINDS, &got);

		if (err != FA_OK)
			fail_msg("%s: %s", c->name, fa_strerror(err));
		check_links(c->name, &got, c->want, c->skipped);
		html_links_release(&got);
		free(body);
	}
}

/* Fails when more than TIME_LIMIT_NS passed since start_ns; says how long
 * it took, so the logs show the margin. */
static void check_time(const char *what, uint64_t start_ns)
{
	uint64_t took = sync_now_ns() - start_ns;

	print_message("%s: %.3f s\n", what, (double)took / 1e9);
	if (took >= TIME_LIMIT_NS)
		fail_msg("%s took %.1f s", what, (double)took / 1e9);
}

/* A growable string for generated pages. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, room, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < room)
			break;
		t->cap = t->cap ? t->cap * 2 : 4096;
		while (t->cap - t->len <= (size_t)n)
			t->cap *= 2;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	t->len += (size_t)n;
}

static void text_repeat(struct text *t, const char *s, size_t times)
{
	for (size_t i = 0; i < times; i++)
		text_add(t, "%s", s);
}

static uint64_t xorshift(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/*
 * A deterministic page of `links` paragraphs, each with one link to
 * /p/N.html and some inline markup, padded with text until it is at least
 * `min_size` bytes.  Used for the big-page test and the threads test.
 */
static struct text gen_links_page(size_t links, size_t min_size)
{
	struct text t = {0};
	size_t pad = 0, per_link;

	text_add(&t, "<!DOCTYPE html>\n<html><head><title>generated</title></head><body>\n");
	per_link = min_size / (links ? links : 1);
	if (per_link > 96)
		pad = per_link - 96;
	for (size_t i = 0; i < links; i++) {
		text_add(&t,
			 "<p class=c%zu>Paragraph %zu, <a href=\"/p/%zu.html\">link</a> <b>x</b>",
			 i % 7, i, i);
		for (size_t k = 0; k < pad; k++)
			text_add(&t, "%c", 'a' + (int)(k % 26));
		text_add(&t, "</p>\n");
	}
	while (t.len < min_size)
		text_add(&t, "<!-- padding -->\n");
	text_add(&t, "</body></html>\n");
	return t;
}

/* ---- fixture pages -------------------------------------------------------- */

static const struct page_case base_cases[] = {
    {.name = "base: relative base after a link",
     .fixture = "base.html",
     .want = {{R, "http://www.example.com/dir/assets/v2/css/site.css"},
	      {L, "http://www.example.com/dir/assets/v2/page2.html"},
	      {L, "http://www.example.com/root.html"},
	      {L, "http://www.example.com/dir/assets/v2/?p=2"},
	      {I, "http://www.example.com/dir/assets/v2/img/logo.png"}}},
    {.name = "base: absolute base, protocol-relative link",
     .fixture = "base-absolute.html",
     .want = {{L, "https://cdn.example.org/static/x.html"},
	      {L, "https://mirror.example.net/y.html"}}},
    {.name = "base: javascript: base falls back to the page",
     .fixture = "base-refused.html",
     .want = {{L, "http://www.example.com/dir/sub/x.html"}}},
    {.name = "base: empty base href is the page itself",
     .html = "<base href=''><a href='x.html'>x</a><base href='/elsewhere/'>",
     .want = {{L, "http://www.example.com/dir/sub/x.html"}}},
    {.name = "base: base on a page with a query",
     .html = "<base href='?q=1'><a href='x.html'>x</a>",
     .page_url = "http://h.example/a/b?z=9",
     .want = {{L, "http://h.example/a/x.html"}}},
};

static const struct page_case srcset_cases[] = {
    {.name = "srcset: descriptors, commas in URLs, x and w",
     .fixture = "srcset.html",
     .want = {{I, "http://www.example.com/dir/sub/small.jpg"},
	      {I, "http://www.example.com/dir/sub/medium.jpg"},
	      {I, "http://www.example.com/dir/sub/large.jpg"},
	      {I, "https://cdn.example.org/x.jpg?a=1,2"},
	      {I, "http://www.example.com/y.jpg?w=300,h=200"},
	      /* no whitespace after the comma: one URL, per the spec */
	      {I, "http://www.example.com/dir/sub/a.jpg,b.jpg"},
	      {I, "http://www.example.com/dir/sub/c.jpg"},
	      {I, "http://www.example.com/dir/sub/d.jpg"},
	      {I, "http://www.example.com/dir/sub/e.jpg"},
	      /* a comma inside parentheses does not end the candidate */
	      {I, "http://www.example.com/dir/sub/f.jpg"},
	      {I, "http://www.example.com/dir/sub/g.jpg"},
	      /* invalid descriptors: the URL is still kept */
	      {I, "http://www.example.com/dir/sub/h.jpg"},
	      {I, "http://www.example.com/dir/sub/i.jpg"},
	      {I, "http://www.example.com/dir/sub/wide.webp"},
	      {I, "http://www.example.com/dir/sub/narrow.webp"},
	      {I, "http://www.example.com/dir/sub/wide.avif"},
	      {I, "http://www.example.com/dir/sub/fallback.jpg"},
	      /* per element: src, data-src, srcset, data-srcset */
	      {I, "http://www.example.com/dir/sub/placeholder.gif"},
	      {I, "http://www.example.com/dir/sub/lazy.jpg"},
	      {I, "http://www.example.com/dir/sub/lazy-2x.jpg"}}},
    {.name = "srcset: only commas and spaces",
     .html = "<img srcset=' , ,, '><img srcset=','><img srcset='x.png,'>",
     .want = {{I, "http://www.example.com/dir/sub/x.png"}}},
    {.name = "srcset: unclosed parenthesis swallows the rest",
     .html = "<img srcset='a.png (x, b.png 2x'>",
     .want = {{I, "http://www.example.com/dir/sub/a.png"}}},
    {.name = "srcset: newlines and tabs as separators",
     .html = "<img srcset='a.png\n1x,\tb.png\t2x'>",
     .want = {{I, "http://www.example.com/dir/sub/a.png"},
	      {I, "http://www.example.com/dir/sub/b.png"}}},
};

static const struct page_case reference_cases[] = {
    {.name = "refs: relative, absolute, refused, entities, unclosed tags",
     .fixture = "refs.html",
     .skipped = 1, /* "http://bad host/" */
     .want = {{L, "http://www.example.com/dir/sub/Upper.HTML"},
	      {L, "http://www.example.com/dir/sub/unquoted.html"},
	      {L, "http://www.example.com/dir/up.html"},
	      {L, "http://www.example.com/too-far-up.html"},
	      {L, "http://other.example.com/proto-relative"},
	      {L, "https://secure.example.com/abs?q=1"},
	      {L, "http://www.example.com/dir/sub/page.html?p=2"},
	      {L, "http://www.example.com/dir/sub/search?q=a&b=c%3Cd"},
	      {L, "http://www.example.com/dir/sub/spaced.html"},
	      {L, "http://www.example.com/dir/sub/with%20space.html"},
	      {L, "http://www.example.com/dir/sub/caf%C3%A9.html"},
	      /* normalising the host's case is the frontier's job */
	      {L, "http://EXAMPLE.COM/Caps"},
	      {L, "http://www.example.com/dir/sub/back/slash.html"},
	      {L, "http://www.example.com/dir/sub/area.html"},
	      {L, "http://www.example.com/dir/sub/frame-inline.html"},
	      {L, "http://www.example.com/dir/sub/frame.html"}}},
    {.name = "refs: protocol-relative on an https page",
     .html = "<a href='//cdn.example.com/x'>x</a><img src='//cdn.example.com/y.png'>",
     .page_url = "https://www.example.com/",
     .want = {{L, "https://cdn.example.com/x"}, {I, "https://cdn.example.com/y.png"}}},
    {.name = "refs: page URL with a fragment and a query",
     .html = "<a href='?p=3'>p</a><a href='x'>x</a><a href='#frag'>self</a>",
     .page_url = "http://h.example/a/b.html?p=1#top",
     .want = {{L, "http://h.example/a/b.html?p=3"}, {L, "http://h.example/a/x"}}},
    {.name = "refs: query characters and non-ASCII",
     .html = "<a href='/s?q=a b&x=\"y\"'>q</a><a href='/\xe2\x82\xac/'>euro</a>"
	     "<a href='http://h.example/a b'>abs</a><a href='/%41%zz'>pct</a>",
     .want = {{L, "http://www.example.com/s?q=a%20b&x=%22y%22"},
	      {L, "http://www.example.com/%E2%82%AC/"},
	      {L, "http://h.example/a%20b"},
	      {L, "http://www.example.com/%41%zz"}}},
    {.name = "refs: uppercase, unclosed and misnested tags",
     .html = "<HTML><BODY><TABLE><TR><TD><A HREF=one.html>1<TD><a href=two.html>2"
	     "<DIV><SPAN><IMG SRC=pic.png></DIV></TABLE><A hReF=three.html>",
     .want = {{L, "http://www.example.com/dir/sub/one.html"},
	      {L, "http://www.example.com/dir/sub/two.html"},
	      {I, "http://www.example.com/dir/sub/pic.png"},
	      {L, "http://www.example.com/dir/sub/three.html"}}},
    {.name = "refs: duplicates are kept, attributes repeated are not",
     .html = "<a href='d.html'>1</a><a href='d.html'>2</a><a href='first.html' href='second.html'>",
     .want = {{L, "http://www.example.com/dir/sub/d.html"},
	      {L, "http://www.example.com/dir/sub/d.html"},
	      {L, "http://www.example.com/dir/sub/first.html"}}},
    {.name = "refs: unresolvable ones are counted",
     .html = "<a href='http://'>1</a><a href='http://[::1/'>2</a><a href='http://h:99999/'>3</a>"
	     "<a href='ok.html'>ok</a>",
     .skipped = 3,
     .want = {{L, "http://www.example.com/dir/sub/ok.html"}}},
    {.name = "refs: markup that is not a reference",
     .html = "<!-- <a href='c.html'> --><script>document.write('<a href=\"s.html\">')</script>"
	     "<textarea><a href='t.html'></textarea><a name=anchor>no href</a>"
	     "<object data='o.swf'></object><embed src='e.swf'><video src='v.mp4' poster='p.jpg'>",
     /* libxml2 2.9 parses markup inside <textarea> */
     .want = {{L, "http://www.example.com/dir/sub/t.html"}}},
};

static const struct page_case kind_cases[] = {
    {.name = "kinds: link rel, meta, style url(), input type=image",
     .fixture = "kinds.html",
     .want = {{I, "https://img.example.com/og.png"},
	      {I, "http://www.example.com/tw.png"},
	      {R, "http://www.example.com/css/main.css"},
	      {R, "http://www.example.com/css/alt.css"},
	      {I, "http://www.example.com/favicon.ico"},
	      {I, "http://www.example.com/apple.png"},
	      {R, "http://www.example.com/js/app.js"},
	      {I, "http://www.example.com/bg/quoted.png"},
	      {I, "http://www.example.com/dir/sub/unquoted.png"},
	      {I, "http://www.example.com/bg/double.png"},
	      {I, "http://www.example.com/bg/second.png"},
	      {I, "http://www.example.com/button.png"},
	      {I, "http://www.example.com/button2.png"},
	      {L, "http://www.example.com/page.html"},
	      {I, "http://www.example.com/inline.png"}}},
    {.name = "kinds: only images",
     .fixture = "kinds.html",
     .kinds = HTML_IMAGE,
     .want = {{I, "https://img.example.com/og.png"},
	      {I, "http://www.example.com/tw.png"},
	      {I, "http://www.example.com/favicon.ico"},
	      {I, "http://www.example.com/apple.png"},
	      {I, "http://www.example.com/bg/quoted.png"},
	      {I, "http://www.example.com/dir/sub/unquoted.png"},
	      {I, "http://www.example.com/bg/double.png"},
	      {I, "http://www.example.com/bg/second.png"},
	      {I, "http://www.example.com/button.png"},
	      {I, "http://www.example.com/button2.png"},
	      {I, "http://www.example.com/inline.png"}}},
    {.name = "kinds: links and requisites",
     .fixture = "kinds.html",
     .kinds = HTML_LINK | HTML_REQUISITE,
     .want = {{R, "http://www.example.com/css/main.css"},
	      {R, "http://www.example.com/css/alt.css"},
	      {R, "http://www.example.com/js/app.js"},
	      {L, "http://www.example.com/page.html"}}},
    {.name = "kinds: one link element that is icon and stylesheet",
     .html = "<link rel='icon stylesheet' href='/both'><link rel=' ICON ' href='/i.ico'>"
	     "<link rel='iconic' href='/no'><link rel='mask-icon' href='/m.svg'>"
	     "<meta name='OG:IMAGE' content='/og-by-name.png'>"
	     "<meta property='twitter:image:src' content='/tw2.png'>",
     .want = {{I, "http://www.example.com/both"},
	      {R, "http://www.example.com/both"},
	      {I, "http://www.example.com/i.ico"},
	      {I, "http://www.example.com/m.svg"},
	      {I, "http://www.example.com/og-by-name.png"},
	      {I, "http://www.example.com/tw2.png"}}},
    {.name = "kinds: style url() forms",
     .html = "<p style=\"background:url(a.png);x:url( 'b c.png' );y:url(&quot;d.png&quot;)\"></p>"
	     "<p style='x: myurl(no.png); y: url(data:image/png;base64,AA); z: url()'></p>"
	     "<p style='background: url(unterminated.png'></p>",
     .want = {{I, "http://www.example.com/dir/sub/a.png"},
	      {I, "http://www.example.com/dir/sub/b%20c.png"},
	      {I, "http://www.example.com/dir/sub/d.png"},
	      {I, "http://www.example.com/dir/sub/unterminated.png"}}},
};

static const struct page_case encoding_cases[] = {
    {.name = "encoding: <meta charset=iso-8859-1>",
     .fixture = "latin1.html",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"},
	      {I, "http://www.example.com/images/%C3%A9t%C3%A9.jpg"}}},
    {.name = "encoding: undeclared and not UTF-8 is read as Latin-1",
     .fixture = "bad-utf8.html",
     .want = {{L, "http://www.example.com/dir/sub/ok-%C3%83%C2%A9.html"},
	      {L, "http://www.example.com/dir/sub/bad-%C3%BF%C3%BE.html"},
	      {L, "http://www.example.com/dir/sub/after.html"}}},
    {.name = "encoding: a NUL byte does not end the page",
     .fixture = "nul.html",
     .want = {{L, "http://www.example.com/dir/sub/before.html"},
	      {L, "http://www.example.com/dir/sub/after-nul.html"}}},
    {.name = "encoding: undeclared valid UTF-8",
     .html = "<a href='caf\xc3\xa9.html'>x</a>",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"}}},
    {.name = "encoding: undeclared Latin-1",
     .html = "<a href='caf\xe9.html'>x</a>",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"}}},
    {.name = "encoding: <meta> beats sniffing",
     .html = "<meta charset=iso-8859-1><a href='caf\xc3\xa9.html'>x</a>",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%83%C2%A9.html"}}},
    {.name = "encoding: the header beats <meta>",
     .html = "<meta charset=iso-8859-1><a href='caf\xc3\xa9.html'>x</a>",
     .charset = "UTF-8",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"}}},
    {.name = "encoding: header charset",
     .html = "<a href='caf\xc3\xa9.html'>x</a>",
     .charset = "iso-8859-1",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%83%C2%A9.html"}}},
    {.name = "encoding: unknown header charset is ignored",
     .html = "<a href='caf\xc3\xa9.html'>x</a>",
     .charset = "x-no-such-charset",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"}}},
    {.name = "encoding: header utf-8, invalid bytes become U+FFFD",
     .fixture = "bad-utf8.html",
     .charset = "utf-8",
     .want = {{L, "http://www.example.com/dir/sub/ok-%C3%A9.html"},
	      {L, "http://www.example.com/dir/sub/bad-%EF%BF%BD%EF%BF%BD.html"},
	      {L, "http://www.example.com/dir/sub/after.html"}}},
    {.name = "encoding: header Shift_JIS, invalid bytes do not end the page",
     .html = "<a href='\x82\xa0.html'>x</a>\x81\x20<a href='b\x81\x20.html'>y</a><a href=c.html>",
     .charset = "Shift_JIS",
     .want = {{L, "http://www.example.com/dir/sub/%E3%81%82.html"},
	      {L, "http://www.example.com/dir/sub/b%EF%BF%BD%20.html"},
	      {L, "http://www.example.com/dir/sub/c.html"}}},
    {.name = "encoding: header ISO-2022-JP (stateful)",
     .html = "<a href='\x1b$B$\"\x1b(B.html'>x</a>",
     .charset = "ISO-2022-JP",
     .want = {{L, "http://www.example.com/dir/sub/%E3%81%82.html"}}},
    {.name = "encoding: header us-ascii means windows-1252",
     .html = "<a href='caf\xe9-\x80.html'>x</a>",
     .charset = "US-ASCII",
     .want = {{L, "http://www.example.com/dir/sub/caf%C3%A9-%E2%82%AC.html"}}},
    {.name = "encoding: a multibyte sequence cut off at the end",
     .html = "<a href=x.html>\xe3\x81",
     .charset = "utf-8",
     .want = {{L, "http://www.example.com/dir/sub/x.html"}}},
    {.name = "encoding: KOI8-R declared in http-equiv",
     .html = "<meta http-equiv='Content-Type' content='text/html; charset=koi8-r'>"
	     "<a href='\xc1\xc2.html'>x</a>",
     .want = {{L, "http://www.example.com/dir/sub/%D0%B0%D0%B1.html"}}},
};

static void test_html_base_href(void **state)
{
	(void)state;
	run_cases(base_cases, ARRAY_LEN(base_cases));
}

static void test_html_srcset(void **state)
{
	(void)state;
	run_cases(srcset_cases, ARRAY_LEN(srcset_cases));
}

/* html_srcset_next() on one attribute value: the URL spans it gives, in
 * order, "|"-separated ("" for none). */
struct srcset_case {
	const char *value;
	const char *urls;
};

static const struct srcset_case srcset_next_cases[] = {
    {"a.jpg 1x,b.jpg 2x", "a.jpg|b.jpg"},
    {"a.jpg 1x, b.jpg 2x", "a.jpg|b.jpg"},
    {"a.jpg", "a.jpg"},
    {"a.jpg 100w", "a.jpg"},
    /* no whitespace after the comma: one URL */
    {"a.jpg,b.jpg 2x", "a.jpg,b.jpg"},
    /* a comma inside parentheses does not end the descriptors */
    {"a.jpg (x, y) 1x, b.jpg 2x", "a.jpg|b.jpg"},
    {"a.jpg 1x (w, h), b.jpg", "a.jpg|b.jpg"},
    /* an unclosed parenthesis swallows the rest */
    {"a.png (x, b.png 2x", "a.png"},
    /* parentheses do not nest: the first ')' closes */
    {"a.png f((1,2),3), b.png", "a.png|3)|b.png"},
    /* data: URLs keep their commas; so do queries */
    {"data:image/png;base64,iVBORw0= 1x, b.png 2x", "data:image/png;base64,iVBORw0=|b.png"},
    {"x.jpg?a=1,2 1x, y.jpg?w=3,h=4 2x", "x.jpg?a=1,2|y.jpg?w=3,h=4"},
    /* trailing commas are not part of the URL and end the candidate: what
     * follows is the next URL, descriptor or not */
    {"x.png,", "x.png"},
    {"x.png,,, 2x", "x.png|2x"},
    {"a.png, b.png,", "a.png|b.png"},
    /* leading separators */
    {",,a.png", "a.png"},
    {" \t\n a.png", "a.png"},
    /* whitespace of every kind separates */
    {"a.png\n1x,\tb.png\t2x,\r\fc.png", "a.png|b.png|c.png"},
    /* nothing */
    {"", ""},
    {" \t\n\r\f", ""},
    {",", ""},
    {" , ,, ", ""},
};

static void test_html_srcset_next(void **state)
{
	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 4096), 0);
	for (size_t i = 0; i < ARRAY_LEN(srcset_next_cases); i++) {
		const struct srcset_case *c = &srcset_next_cases[i];
		size_t len = strlen(c->value);
		/* the value ends at the unreadable page, without a NUL */
		const char *value = guard_copy(&g, c->value, len);
		const char *p = value, *url, *prev_end = value;
		char got[256] = "";
		size_t url_len, n = 0;

		assert_non_null(value);
		while (html_srcset_next(&p, value + len, &url, &url_len)) {
			if (url_len == 0 || url < prev_end || url + url_len > value + len)
				fail_msg("'%s': span %td+%zu out of place", c->value, url - value,
					 url_len);
			if (p < url + url_len || p > value + len)
				fail_msg("'%s': cursor %td out of place", c->value, p - value);
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%.*s", n ? "|" : "",
					      (int)url_len, url);
			assert_true(n < sizeof(got));
			prev_end = url + url_len;
		}
		assert_ptr_equal(p, value + len);
		if (strcmp(got, c->urls) != 0)
			fail_msg("'%s': got '%s', want '%s'", c->value, got, c->urls);
		/* once done, it stays done */
		assert_false(html_srcset_next(&p, value + len, &url, &url_len));
	}
	guard_release(&g);
}

static void test_html_references(void **state)
{
	(void)state;
	run_cases(reference_cases, ARRAY_LEN(reference_cases));
}

static void test_html_kinds(void **state)
{
	(void)state;
	run_cases(kind_cases, ARRAY_LEN(kind_cases));
}

static void test_html_encodings(void **state)
{
	(void)state;
	run_cases(encoding_cases, ARRAY_LEN(encoding_cases));
}

/*
 * `text` (UTF-8) as UTF-16 or UTF-32 code units (unit 2 or 4), with a BOM
 * when asked; a \x01 byte stands for a lone high surrogate (U+D800).
 */
static struct text encode_wide(const char *text, size_t unit, bool big_endian, bool bom)
{
	const unsigned char *p = (const unsigned char *)text;
	struct text t = {0};
	uint32_t cps[4096];
	size_t n = 0;

	if (bom)
		cps[n++] = 0xfeff;
	while (*p) {
		uint32_t cp;

		if (*p == 0x01) {
			cp = 0xd800;
			p++;
		} else if (*p < 0x80) {
			cp = *p++;
		} else if (*p < 0xe0) {
			cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if (*p < 0xf0) {
			cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
			     (p[2] & 0x3f);
			p += 3;
		} else {
			cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
			     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			p += 4;
		}
		if (unit == 2 && cp >= 0x10000) {
			cps[n++] = 0xd800 + ((cp - 0x10000) >> 10);
			cps[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
		} else {
			cps[n++] = cp;
		}
		assert_true(n + 2 < ARRAY_LEN(cps));
	}
	t.cap = n * unit + 1;
	t.buf = malloc(t.cap);
	assert_non_null(t.buf);
	for (size_t i = 0; i < n; i++) {
		for (size_t b = 0; b < unit; b++) {
			size_t shift = 8 * (big_endian ? unit - 1 - b : b);

			t.buf[t.len++] = (char)(cps[i] >> shift);
		}
	}
	return t;
}

static void test_html_wide_encodings(void **state)
{
	static const char page[] = "<meta charset=iso-8859-1><a href='caf\xc3\xa9.html'>x</a>"
				   "<img src='/\xf0\x9f\x98\x80.png'><a href='/lone\x01.html'>";
	static const struct expect want[] = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"},
					     {I, "http://www.example.com/%F0%9F%98%80.png"},
					     {L, "http://www.example.com/lone%EF%BF%BD.html"},
					     {0, NULL}};
	static const struct {
		const char *name;
		size_t unit;
		bool big_endian, bom;
		const char *charset;
	} cases[] = {
	    {"utf-16le, BOM", 2, false, true, NULL},
	    {"utf-16be, BOM", 2, true, true, NULL},
	    {"utf-16le, BOM beats the label", 2, false, true, "iso-8859-1"},
	    {"utf-16be, BOM beats the label", 2, true, true, "utf-16le"},
	    {"utf-16le by label", 2, false, false, "UTF-16LE"},
	    {"utf-16be by label", 2, true, false, "utf-16be"},
	    {"utf-16 by label is little-endian", 2, false, false, "utf-16"},
	    {"utf-32le, BOM", 4, false, true, NULL},
	    {"utf-32be, BOM", 4, true, true, NULL},
	    {"utf-32 by label is big-endian", 4, true, false, "UTF-32"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct text t = encode_wide(page, cases[i].unit, cases[i].big_endian, cases[i].bom);
		struct html_links got = {0};
		enum fa_err err =
		    html_extract(t.buf, t.len, PAGE, cases[i].charset, ALL_KINDS, &got);

		if (err != FA_OK)
			fail_msg("%s: %s", cases[i].name, fa_strerror(err));
		check_links(cases[i].name, &got, want, 0);
		html_links_release(&got);
		/* A partial code unit at the end is U+FFFD, not an over-read. */
		if (!cases[i].charset || cases[i].bom) {
			assert_int_equal(
			    html_extract(t.buf, t.len - 1, PAGE, cases[i].charset, ALL_KINDS, &got),
			    FA_OK);
			html_links_release(&got);
		}
		free(t.buf);
	}
}

static void test_html_utf16_sniffed(void **state)
{
	/* No BOM, no label: libxml2's sniffing of "<?" as UTF-16LE units. */
	static const struct expect want[] = {{L, "http://www.example.com/dir/sub/x.html"},
					     {0, NULL}};
	struct text t = encode_wide("<?xml version='1.0'?><a href=x.html>", 2, false, false);
	struct html_links got = {0};

	(void)state;
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	check_links("utf-16le sniffed", &got, want, 0);
	html_links_release(&got);
	free(t.buf);
}

static void test_html_utf8_bom(void **state)
{
	static const char page[] = "\xef\xbb\xbf<meta charset=koi8-r><a href='caf\xc3\xa9.html'>";
	static const struct expect want[] = {{L, "http://www.example.com/dir/sub/caf%C3%A9.html"},
					     {0, NULL}};
	struct html_links got = {0};

	(void)state;
	/* The BOM beats both the header's label and <meta>. */
	assert_int_equal(html_extract(page, strlen(page), PAGE, "iso-8859-1", ALL_KINDS, &got),
			 FA_OK);
	check_links("utf-8 BOM", &got, want, 0);
	html_links_release(&got);
	assert_int_equal(html_extract(page, 3, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	assert_int_equal(got.count, 0);
}

/* ---- generated pages: bounded time, no crash ------------------------------ */

static void test_html_deep_nesting(void **state)
{
	static const struct expect want[] = {{L, "http://www.example.com/dir/sub/deep.html"},
					     {L, "http://www.example.com/dir/sub/after.html"},
					     {0, NULL}};
	struct text t = {0};
	struct html_links got = {0};
	uint64_t start;

	(void)state;
	text_add(&t, "<html><body>");
	text_repeat(&t, "<div>", 100000);
	text_add(&t, "<a href=deep.html>deep</a>");
	text_repeat(&t, "</div>", 100000);
	text_add(&t, "<a href=after.html>after</a></body></html>");
	start = sync_now_ns();
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	check_time("100000 nested divs", start);
	check_links("100000 nested divs", &got, want, 0);
	html_links_release(&got);
	free(t.buf);
}

/* Deep nesting followed by end tags that match nothing: each is searched
 * for in libxml2's element stack (34 s here without the cap). */
static void test_html_deep_nesting_stray_end_tags(void **state)
{
	static const struct expect want[] = {{I, "http://www.example.com/dir/sub/mixed.png"},
					     {L, "http://www.example.com/dir/sub/end.html"},
					     {0, NULL}};
	struct text t = {0};
	struct html_links got = {0};
	uint64_t start;

	(void)state;
	text_repeat(&t, "<div><span><b><i><font><em>", 20000);
	text_add(&t, "<img src=mixed.png>");
	text_repeat(&t, "</p></span></x></table>", 50000);
	text_repeat(&t, "<body><html>", 10000);
	text_add(&t, "<a href=end.html>end</a>");
	start = sync_now_ns();
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	check_time("stray end tags", start);
	check_links("stray end tags", &got, want, 0);
	html_links_release(&got);
	free(t.buf);
}

/* libxml2 compares each attribute with all earlier ones of its tag: 200 000
 * attributes take 38 s here without the cap. */
static void test_html_many_attributes(void **state)
{
	static const struct expect want[] = {{L, "http://www.example.com/dir/sub/first.html"},
					     {L, "http://www.example.com/dir/sub/next.html"},
					     {0, NULL}};
	struct text t = {0};
	struct html_links got = {0};
	uint64_t start;

	(void)state;
	text_add(&t, "<a href=first.html");
	for (size_t i = 0; i < 200000; i++)
		text_add(&t, i % 3 ? " a%zu=\"v>%zu\"" : " b%zu", i, i);
	text_add(&t, " href=ignored.html>x</a><a href=next.html>y</a>");
	start = sync_now_ns();
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	check_time("200000 attributes", start);
	check_links("200000 attributes", &got, want, 0);
	html_links_release(&got);

	/* The same in UTF-16, which is decoded before the attributes are
	 * counted. */
	{
		struct text wide = {0};

		wide.cap = 2 * t.len + 2;
		wide.buf = malloc(wide.cap);
		assert_non_null(wide.buf);
		wide.buf[wide.len++] = (char)0xff;
		wide.buf[wide.len++] = (char)0xfe;
		for (size_t i = 0; i < t.len; i++) {
			wide.buf[wide.len++] = t.buf[i];
			wide.buf[wide.len++] = 0;
		}
		start = sync_now_ns();
		assert_int_equal(html_extract(wide.buf, wide.len, PAGE, NULL, ALL_KINDS, &got),
				 FA_OK);
		check_time("200000 attributes, utf-16", start);
		check_links("200000 attributes, utf-16", &got, want, 0);
		html_links_release(&got);
		free(wide.buf);
	}
	free(t.buf);
}

static void test_html_big_page(void **state)
{
	struct text t = gen_links_page(50000, 5 * 1000 * 1000);
	struct html_links got = {0};
	uint64_t start;
	char want[64];

	(void)state;
	assert_true(t.len >= 5 * 1000 * 1000);
	start = sync_now_ns();
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	check_time("5 MB, 50000 links", start);
	assert_int_equal(got.count, 50000);
	assert_int_equal(got.skipped, 0);
	for (size_t i = 0; i < got.count; i++) {
		snprintf(want, sizeof(want), "http://www.example.com/p/%zu.html", i);
		assert_int_equal(got.items[i].kind, HTML_LINK);
		assert_string_equal(got.items[i].url, want);
	}
	html_links_release(&got);
	free(t.buf);
}

static void test_html_random_bytes(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 4, 7, 100, 4096, 65536, 1 << 20};
	uint64_t seed = 0x9e3779b97f4a7c15u;

	(void)state;
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		for (int variant = 0; variant < 3; variant++) {
			size_t len = sizes[s];
			char *body = malloc(len);
			struct html_links got = {0};
			enum fa_err err;
			uint64_t start;

			assert_non_null(body);
			for (size_t i = 0; i < len; i++) {
				uint64_t r = xorshift(&seed);

				if (variant == 0) /* any byte */
					body[i] = (char)r;
				else if (variant == 1) /* markup-heavy */
					body[i] = "<>/=\"' a&#;-!?hrefsc:"[r % 21];
				else /* tags with hrefs and junk */
					body[i] = r % 9 ? "<a href=x/>"[r % 11] : (char)(r >> 8);
			}
			start = sync_now_ns();
			err = html_extract(body, len, PAGE, NULL, ALL_KINDS, &got);
			if (len == sizes[ARRAY_LEN(sizes) - 1])
				check_time("1 MiB of random bytes", start);
			if (err != FA_OK && err != FA_ERR_PARSE)
				fail_msg("%zu random bytes: %s", len, fa_strerror(err));
			for (size_t i = 0; i < got.count; i++) {
				assert_true(!strncmp(got.items[i].url, "http://", 7) ||
					    !strncmp(got.items[i].url, "https://", 8));
				assert_null(strchr(got.items[i].url, '#'));
			}
			html_links_release(&got);
			free(body);
		}
	}
}

static void test_html_empty_input(void **state)
{
	static const char *const bodies[] = {"", " \n\t ", "<!-- -->", "<html></html>", "text"};
	struct html_links got = {0};

	(void)state;
	assert_int_equal(html_extract(NULL, 0, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	assert_int_equal(got.count, 0);
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		assert_int_equal(
		    html_extract(bodies[i], strlen(bodies[i]), PAGE, NULL, ALL_KINDS, &got), FA_OK);
		assert_int_equal(got.count, 0);
		assert_int_equal(got.skipped, 0);
	}
	/* No kinds asked for: nothing found, not an error. */
	assert_int_equal(html_extract("<a href=x>", 10, PAGE, NULL, 0, &got), FA_OK);
	assert_int_equal(got.count, 0);
	html_links_release(&got);
}

/* ---- caps ------------------------------------------------------------------- */

static void test_html_link_cap(void **state)
{
	struct text t = {0};
	struct html_links got = {0};

	(void)state;
	text_add(&t, "<a href='javascript:x()'>refused ones take no slot</a>");
	for (size_t i = 0; i < HTML_MAX_LINKS + 10; i++)
		text_add(&t, "<a href=/%zu>", i);
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	assert_int_equal(got.count, HTML_MAX_LINKS);
	assert_int_equal(got.skipped, 0);
	assert_int_equal(got.over_cap, 10);
	assert_string_equal(got.items[0].url, "http://www.example.com/0");
	assert_string_equal(got.items[HTML_MAX_LINKS - 1].url, "http://www.example.com/99999");
	html_links_release(&got);
	free(t.buf);
}

static void test_html_long_values(void **state)
{
	struct text t = {0};
	struct html_links got = {0};
	char *path = malloc(8192 + 1);

	(void)state;
	assert_non_null(path);
	memset(path, 'p', 8192);
	path[0] = '/';
	path[8192] = '\0';
	text_add(&t, "<a href='%s'>8 KiB: kept</a>", path);
	text_add(&t, "<a href='%sq'>8 KiB + 1: skipped</a>", path);
	text_add(&t, "<img srcset='%s 1x, %sq 2x, /small.png 3x'>", path, path);
	text_add(&t, "<img srcset='");
	for (size_t i = 0; i < 7000; i++)
		text_add(&t, "/i%zu.png 1x, ", i); /* over 64 KiB: skipped whole */
	text_add(&t, "'><p style='background:url(/bg.png)");
	text_repeat(&t, " ", 70000);
	text_add(&t, "'></p><a href='   %s   '>padding does not count</a>", path);
	assert_int_equal(html_extract(t.buf, t.len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
	assert_int_equal(got.count, 4);
	assert_int_equal(got.skipped, 4);
	assert_int_equal(strlen(got.items[0].url), strlen("http://www.example.com") + 8192);
	assert_int_equal(strlen(got.items[1].url), strlen("http://www.example.com") + 8192);
	assert_string_equal(got.items[2].url, "http://www.example.com/small.png");
	assert_string_equal(got.items[3].url, got.items[0].url);
	html_links_release(&got);
	free(t.buf);
	free(path);
}

/* ---- arguments and the list ------------------------------------------------- */

static void test_html_bad_arguments(void **state)
{
	static const char *const bad_pages[] = {"",
						"not a url",
						"/relative/path",
						"http://",
						"http://exa mple.com/",
						"http://h:99999/"};
	static const char body[] = "<a href=x.html>";
	struct html_links got = {0};

	(void)state;
	assert_int_equal(html_links_add(&got, HTML_IMAGE, "http://keep/me", 14), FA_OK);
	got.skipped = 7;
	for (size_t i = 0; i < ARRAY_LEN(bad_pages); i++) {
		if (html_extract(body, strlen(body), bad_pages[i], NULL, ALL_KINDS, &got) !=
		    FA_ERR_URL)
			fail_msg("page URL '%s' accepted", bad_pages[i]);
	}
	assert_int_equal(html_extract(body, strlen(body), NULL, NULL, ALL_KINDS, &got), FA_ERR_URL);
	assert_int_equal(html_extract(NULL, 5, PAGE, NULL, ALL_KINDS, &got), FA_ERR_ARG);
	assert_int_equal(html_extract(body, strlen(body), PAGE, NULL, ALL_KINDS, NULL), FA_ERR_ARG);
	/* Failed calls leave the list as it was. */
	assert_int_equal(got.count, 1);
	assert_int_equal(got.skipped, 7);
	assert_string_equal(got.items[0].url, "http://keep/me");
	html_links_release(&got);
}

static void test_html_appends(void **state)
{
	static const char first[] = "<a href=1.html><a href='http://bad host/'>";
	static const char second[] = "<img src=2.png>";
	static const struct expect want[] = {
	    {L, "http://www.example.com/dir/sub/1.html"}, {I, "http://h.example/2.png"}, {0, NULL}};
	struct html_links got = {0};

	(void)state;
	assert_int_equal(html_extract(first, strlen(first), PAGE, NULL, ALL_KINDS, &got), FA_OK);
	assert_int_equal(
	    html_extract(second, strlen(second), "http://h.example/", NULL, ALL_KINDS, &got),
	    FA_OK);
	check_links("two pages into one list", &got, want, 1);
	html_links_release(&got);
}

static void test_html_links_lifecycle(void **state)
{
	static const char text[] = "http://example.com/abcdef";
	struct html_links list = {0};

	(void)state;
	html_links_release(NULL);
	html_links_release(&list);
	assert_int_equal(html_links_add(NULL, HTML_LINK, "x", 1), FA_ERR_ARG);
	assert_int_equal(html_links_add(&list, HTML_LINK, NULL, 1), FA_ERR_ARG);
	for (size_t i = 0; i < 1000; i++) {
		/* not NUL-terminated at url_len: the copy must stop there */
		assert_int_equal(html_links_add(&list, i % 2 ? HTML_IMAGE : HTML_LINK, text,
						i % (sizeof(text) - 1)),
				 FA_OK);
	}
	assert_int_equal(html_links_add(&list, HTML_REQUISITE, NULL, 0), FA_OK);
	assert_int_equal(list.count, 1001);
	assert_true(list.cap >= list.count);
	for (size_t i = 0; i < 1000; i++) {
		size_t n = i % (sizeof(text) - 1);

		assert_int_equal(list.items[i].kind, i % 2 ? HTML_IMAGE : HTML_LINK);
		assert_int_equal(strlen(list.items[i].url), n);
		assert_memory_equal(list.items[i].url, text, n);
	}
	assert_string_equal(list.items[1000].url, "");
	html_links_release(&list);
	assert_null(list.items);
	assert_int_equal(list.count, 0);
	assert_int_equal(list.cap, 0);
	assert_int_equal(list.skipped, 0);
}

/* Every byte of the input sits right before a PROT_NONE page, so reading
 * one byte past the end faults. */
static void test_html_no_overread(void **state)
{
	static const char *const inputs[] = {
	    "<a href=x.html",
	    "<a href='x.html",
	    "<img srcset='a.png 1x, b.png (",
	    "<p style='background:url(",
	    "<p style='background:url(\"x",
	    "<a href=x.html>\xc3",
	    "<script>var a = '<a href=",
	    "<!-- <a href=x",
	    "<a b c d e f",
	    "<",
	    "<s",
	    "<script",
	    "<style>",
	    "\xef\xbb\xbf<a href=bom.html",
	    "<base href=",
	};
	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 1), 0);
	for (size_t i = 0; i < ARRAY_LEN(inputs); i++) {
		size_t len = strlen(inputs[i]);
		const char *at = guard_copy(&g, inputs[i], len);
		struct html_links got = {0};
		enum fa_err err;

		assert_non_null(at);
		err = html_extract(at, len, PAGE, NULL, ALL_KINDS, &got);
		assert_true(err == FA_OK || err == FA_ERR_PARSE);
		html_links_release(&got);
	}
	guard_release(&g);
}

/* Only cli, report and main print: libxml2's complaints (a converter
 * failing on bad bytes) must not reach stderr. */
static void test_html_prints_nothing(void **state)
{
	static const struct {
		const char *html, *charset;
	} inputs[] = {
	    /* NEEDSWORK: a charset named only by <meta> is decoded by libxml2,
	     * whose converter stops the parse at the first invalid sequence. */
	    {"<meta charset=shift_jis><a href='\x82\xa0.html'>x</a>\x81\x20<a href=c.html>", NULL},
	    {"<meta http-equiv=content-type content='text/html; charset=euc-jp'>\x8e<a href=x>",
	     NULL},
	    {"<a href='\x82\xa0.html'>x</a>\x81\x20<a href=c.html>", "shift_jis"},
	    {"<meta charset=utf-16><a href=x>\xff", NULL},
	    {"<a href=x>\xff\xfe\xc3", "utf-8"},
	    {"<a href=x>", "no-such-charset"},
	};
	char path[] = "/tmp/test_html_stderr_XXXXXX";
	int saved = dup(2), fd = mkstemp(path);
	struct stat st;

	(void)state;
	assert_true(saved >= 0 && fd >= 0);
	unlink(path);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	for (size_t i = 0; i < ARRAY_LEN(inputs); i++) {
		struct html_links got = {0};

		html_extract(inputs[i].html, strlen(inputs[i].html), PAGE, inputs[i].charset,
			     ALL_KINDS, &got);
		html_links_release(&got);
	}
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_size, 0);
}

/*
 * Found by fuzz/fuzz_html.c: an invalid sequence in a page decoded from a
 * header charset, met when iconv had left fewer than 3 bytes of room in
 * the output buffer, had its U+FFFD written past the buffer's end (a heap
 * overflow: `make asan` fails on it, the release build usually does not
 * notice).  The fuzzer's own input comes first; then a run of m euro signs
 * (3 bytes each in UTF-8) before a byte windows-1252 does not define moves
 * the fill level through every value, so one m meets the buffer's end
 * whatever its growth rule.  Every page keeps its links on both sides.
 */
static void test_html_charset_replacement_at_buffer_end(void **state)
{
	static const char fuzzed[] =
	    "<a href=uf=\"\x1b$B$3$s\x1b=tml\">\xdbx</"
	    "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj"
	    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "jjjjjjjjja>";
	struct html_links got = {0};

	(void)state;
	assert_int_equal(
	    html_extract(fuzzed, sizeof(fuzzed) - 1, PAGE, "iso-2022-jp", ALL_KINDS, &got), FA_OK);
	html_links_release(&got);

	for (size_t m = 0; m <= 64; m++) {
		struct text t = {0};

		text_add(&t, "<a href=\"x.html\">");
		text_repeat(&t, "\x80", m);
		text_add(&t, "\x81<a href=\"y.html\">");
		if (html_extract(t.buf, t.len, PAGE, "windows-1252", ALL_KINDS, &got) != FA_OK)
			fail_msg("%zu euro signs: extraction failed", m);
		if (got.count != 2 ||
		    strcmp(got.items[0].url, "http://www.example.com/dir/sub/x.html") != 0 ||
		    strcmp(got.items[1].url, "http://www.example.com/dir/sub/y.html") != 0) {
			print_links("euro signs", &got);
			fail_msg("%zu euro signs: wrong links", m);
		}
		html_links_release(&got);
		free(t.buf);
	}
}

/*
 * Found by fuzz/fuzz_html.c: libcurl 7.88 accepts a host spelled with
 * "%7F", decodes it and prints the DEL raw ("https://\x7f/"), then refuses
 * that very string ("Bad hostname"), so html_extract() handed out URLs
 * that no later curl_url() call (fetch, url_normalize) can parse.  Every
 * URL it returns must parse again; the page's other links stay.  The
 * fuzzer's own input (a srcset "https:/" + DEL, in Latin-1) comes last.
 */
static void test_html_urls_parse_again(void **state)
{
	static const char fuzzed[] =
	    "<html>ody>\012<A h&amp;re\004\000\000\000\000\000\000\000\010>\001\305"
	    "\305\305\305\305\305\305\305\305\305\305\305\000\000\000\245\000d\000"
	    "\000yo\000>\012<A hre\004>va<bolody>\012<i<input type=imag,<img da-\224t"
	    "--as<link rel=a-srcset=\232\000a@@@@@@@@@@@@@@@@@@@@@@@@@@@@cdn.epg 3x"
	    "\042>\012<img srcset=\042https:/\177\325\010\000\020a\000\000\254on 09ar"
	    "gu.jpg 3x(>\012<img smcset=\011\000,<link rel=,,,,,\322,,,,,,,,<\025meta"
	    "0cha";
	static const char *const pages[] = {
	    "<a href='https://%7F/'>x</a><a href=ok.html>",
	    "<img src='//a%7fb/x.png'><a href=ok.html>",
	    "<img srcset='https:/&#127; 2x, ok.png 1x'><a href=ok.html>",
	    "<base href='http://%7F/'><a href=ok.html>",
	};
	struct html_links got = {0};

	(void)state;
	for (size_t i = 0; i <= ARRAY_LEN(pages); i++) {
		const char *page = i < ARRAY_LEN(pages) ? pages[i] : fuzzed;
		size_t len = i < ARRAY_LEN(pages) ? strlen(page) : sizeof(fuzzed) - 1;
		bool ok_found = false;

		assert_int_equal(html_extract(page, len, PAGE, NULL, ALL_KINDS, &got), FA_OK);
		for (size_t k = 0; k < got.count; k++) {
			CURLU *h = curl_url();

			assert_non_null(h);
			if (curl_url_set(h, CURLUPART_URL, got.items[k].url, 0) != CURLUE_OK) {
				print_links("parse again", &got);
				fail_msg("page %zu: URL %zu does not parse again", i, k);
			}
			curl_url_cleanup(h);
			if (strstr(got.items[k].url, "/ok."))
				ok_found = true;
		}
		if (i < ARRAY_LEN(pages) && !ok_found)
			fail_msg("page %zu: the good link is missing", i);
		html_links_release(&got);
	}
}

/* ---- threads ------------------------------------------------------------------- */

struct job {
	const char *name;
	char *body;
	size_t len;
	const char *page_url;
	const char *charset;
	unsigned kinds;
};

#define ROUNDS 4

struct worker {
	pthread_t thread;
	const struct job *jobs;
	size_t job_count;
	size_t first;   /* the job this worker starts with */
	char **results; /* job_count * ROUNDS serialized results */
};

/* One extraction as text: "err skipped\nkind url\n...", to compare. */
static char *serialize(const struct job *job)
{
	struct html_links got = {0};
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	enum fa_err err;

	if (!f)
		return NULL;
	err = html_extract(job->body, job->len, job->page_url, job->charset, job->kinds, &got);
	fprintf(f, "%d %zu\n", (int)err, got.skipped);
	for (size_t i = 0; i < got.count; i++)
		fprintf(f, "%d %s\n", (int)got.items[i].kind, got.items[i].url);
	html_links_release(&got);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (size_t round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < w->job_count; i++) {
			/* Each worker starts at a different page. */
			size_t j = (i + w->first) % w->job_count;

			w->results[round * w->job_count + j] = serialize(&w->jobs[j]);
		}
	}
	return NULL;
}

static void add_job(struct job *jobs, size_t *count, const struct page_case *c)
{
	struct job *job = &jobs[(*count)++];

	job->name = c->name;
	job->body = case_body(c, &job->len);
	job->page_url = c->page_url ? c->page_url : PAGE;
	job->charset = c->charset;
	job->kinds = c->kinds ? c->kinds : ALL_KINDS;
}

static void test_html_threads(void **state)
{
	static const size_t thread_counts[] = {1, 2, 8};
	const struct {
		const struct page_case *cases;
		size_t count;
	} tables[] = {
	    {base_cases, ARRAY_LEN(base_cases)},           {srcset_cases, ARRAY_LEN(srcset_cases)},
	    {reference_cases, ARRAY_LEN(reference_cases)}, {kind_cases, ARRAY_LEN(kind_cases)},
	    {encoding_cases, ARRAY_LEN(encoding_cases)},
	};
	struct job jobs[64];
	size_t job_count = 0;
	char *expected[64];
	struct text big = gen_links_page(5000, 500 * 1000);

	(void)state;
	for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
		for (size_t i = 0; i < tables[t].count; i++)
			add_job(jobs, &job_count, &tables[t].cases[i]);
	}
	jobs[job_count++] =
	    (struct job){"generated 500 KB page", big.buf, big.len, PAGE, NULL, ALL_KINDS};
	assert_true(job_count <= ARRAY_LEN(jobs));
	for (size_t j = 0; j < job_count; j++) {
		expected[j] = serialize(&jobs[j]);
		assert_non_null(expected[j]);
	}

	for (size_t tc = 0; tc < ARRAY_LEN(thread_counts); tc++) {
		size_t n = thread_counts[tc];
		struct worker *workers = calloc(n, sizeof(*workers));

		assert_non_null(workers);
		for (size_t w = 0; w < n; w++) {
			workers[w].jobs = jobs;
			workers[w].job_count = job_count;
			workers[w].first = w * 5;
			workers[w].results = calloc(job_count * ROUNDS, sizeof(char *));
			assert_non_null(workers[w].results);
			assert_int_equal(
			    pthread_create(&workers[w].thread, NULL, worker_main, &workers[w]), 0);
		}
		for (size_t w = 0; w < n; w++)
			assert_int_equal(pthread_join(workers[w].thread, NULL), 0);
		for (size_t w = 0; w < n; w++) {
			for (size_t r = 0; r < job_count * ROUNDS; r++) {
				const char *got = workers[w].results[r];
				size_t j = r % job_count;

				if (!got || strcmp(got, expected[j]))
					fail_msg("%zu threads, worker %zu, '%s': results differ", n,
						 w, jobs[j].name);
				free(workers[w].results[r]);
			}
			free(workers[w].results);
		}
		free(workers);
	}
	for (size_t j = 0; j < job_count; j++) {
		free(expected[j]);
		free(jobs[j].body);
	}
}

/*
 * ThreadSanitizer cannot see the dynamic loader's own lock, so glibc's
 * iconv loading and unloading its gconv modules (dlopen/dlclose) from
 * several threads at once shows up as races on ld.so's allocations: a
 * known false positive.  Read only by -fsanitize=thread builds.
 */
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void)
{
	return "race:rtld-malloc.h\n"
	       "race:_dl_close_worker\n"
	       "race:_dl_new_object\n"
	       "race:_dl_map_object_deps\n"
	       "race:_dl_check_map_versions\n";
}

/* html_robots_nofollow: the directive lists of <meta name="robots"> and
 * X-Robots-Tag. */
static void test_html_robots_nofollow_table(void **state)
{
	static const struct {
		const char *value, *agent;
		bool nofollow;
	} cases[] = {
	    {"nofollow", NULL, true},
	    {"NoFollow", NULL, true},
	    {"noindex, nofollow", NULL, true},
	    {"noindex,NOFOLLOW", NULL, true},
	    {" index , follow ", NULL, false},
	    {"none", NULL, true},
	    {"NONE", NULL, true},
	    {"noindex", NULL, false},
	    {"nofollowers", NULL, false},
	    {"no follow", NULL, false},
	    {"", NULL, false},
	    {",,,", NULL, false},
	    {NULL, NULL, false},
	    /* a robot's own header lines */
	    {"fetchall: nofollow", "fetchall", true},
	    {"FetchAll : none", "fetchall", true},
	    {"otherbot: nofollow", "fetchall", false},
	    {"otherbot: nofollow", NULL, false},
	    /* directives with a value are not robot names */
	    {"unavailable_after: 25 Jun 2010 15:00:00 PST", "fetchall", false},
	    {"max-snippet: 20, nofollow", "fetchall", true},
	};

	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 4096), 0);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *v = cases[i].value ? guard_str(&g, cases[i].value) : NULL;

		assert_true(!cases[i].value || v);
		if (html_robots_nofollow(v, cases[i].agent) != cases[i].nofollow)
			fail_msg("case %zu: '%s' (agent %s) wants %d", i,
				 cases[i].value ? cases[i].value : "(null)",
				 cases[i].agent ? cases[i].agent : "(none)", cases[i].nofollow);
	}
	guard_release(&g);
}

/* <meta name="robots" content="nofollow"> with HTML_ROBOTS: the page's
 * links go, its images stay; without HTML_ROBOTS nothing changes. */
static void test_html_meta_robots(void **state)
{
	static const char page[] = "<html><head><meta name=ROBOTS content='index,NoFollow'>"
				   "</head><body><a href=/a>a</a><img src=/i.png></body></html>";
	struct html_links links = {0};

	(void)state;
	assert_int_equal(html_extract(page, strlen(page), "http://h/", NULL,
				      HTML_LINK | HTML_IMAGE | HTML_ROBOTS, &links),
			 FA_OK);
	assert_int_equal(links.count, 1);
	assert_int_equal(links.items[0].kind, HTML_IMAGE);
	html_links_release(&links);
	assert_int_equal(
	    html_extract(page, strlen(page), "http://h/", NULL, HTML_LINK | HTML_IMAGE, &links),
	    FA_OK);
	assert_int_equal(links.count, 2);
	html_links_release(&links);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html_base_href),
	    cmocka_unit_test(test_html_srcset),
	    cmocka_unit_test(test_html_srcset_next),
	    cmocka_unit_test(test_html_references),
	    cmocka_unit_test(test_html_kinds),
	    cmocka_unit_test(test_html_encodings),
	    cmocka_unit_test(test_html_wide_encodings),
	    cmocka_unit_test(test_html_utf16_sniffed),
	    cmocka_unit_test(test_html_utf8_bom),
	    cmocka_unit_test(test_html_deep_nesting),
	    cmocka_unit_test(test_html_deep_nesting_stray_end_tags),
	    cmocka_unit_test(test_html_many_attributes),
	    cmocka_unit_test(test_html_big_page),
	    cmocka_unit_test(test_html_random_bytes),
	    cmocka_unit_test(test_html_empty_input),
	    cmocka_unit_test(test_html_link_cap),
	    cmocka_unit_test(test_html_long_values),
	    cmocka_unit_test(test_html_bad_arguments),
	    cmocka_unit_test(test_html_appends),
	    cmocka_unit_test(test_html_links_lifecycle),
	    cmocka_unit_test(test_html_no_overread),
	    cmocka_unit_test(test_html_prints_nothing),
	    cmocka_unit_test(test_html_charset_replacement_at_buffer_end),
	    cmocka_unit_test(test_html_urls_parse_again),
	    cmocka_unit_test(test_html_threads),
	    cmocka_unit_test(test_html_robots_nofollow_table),
	    cmocka_unit_test(test_html_meta_robots),
	};
	int failed;

	xmlInitParser();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return failed;
}
