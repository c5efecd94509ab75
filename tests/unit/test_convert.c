/*
 * Unit tests for convert and linkmap: relative paths between saved files,
 * the links of a page pointed at local copies (or made absolute), srcset
 * candidates converted exactly where html_extract() finds them, the map's
 * spellings, and pages that must not crash the conversion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "convert.h"
#include "html.h"
#include "linkmap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_convert_relative_table(void **state)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
	    {"h/a/page.html", "h/a/other.html", "other.html"},
	    {"h/a/page.html", "h/a/page.html", "page.html"},
	    {"h/a/b/page.html", "h/a/img/x.png", "../img/x.png"},
	    {"h/a/page.html", "h/a/b/c/x.png", "b/c/x.png"},
	    {"h/page.html", "g/x.png", "../g/x.png"},
	    {"page.html", "x.png", "x.png"},
	    {"h:80/a/p.html", "h:80/b.png", "../b.png"},
	    {"p.html", "h:80/b.png", "./h:80/b.png"}, /* not a scheme */
	    {"a/p.html", "a/with space#and?.png", "with%20space%23and%3F.png"},
	    {"a/p.html", "a/caf\xc3\xa9.png", "caf%C3%A9.png"},
	    {"a/p.html", "a/100%.png", "100%25.png"},
	    {"ab/p.html", "a/x.png", "../a/x.png"}, /* "a" is no prefix of "ab" */
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(convert_relative(cases[i].from, cases[i].to, out, sizeof(out)),
				 FA_OK);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s -> %s: \"%s\", want \"%s\"", cases[i].from, cases[i].to, out,
				 cases[i].want);
	}
	assert_int_equal(convert_relative("a/b/c/p.html", "x.png", out, 8), FA_ERR_TOO_LONG);
	assert_int_equal(convert_relative("p.html", "longname.png", out, 8), FA_ERR_TOO_LONG);
	assert_string_equal(out, "");
}

static void test_linkmap_spellings_and_pages(void **state)
{
	struct linkmap *m = linkmap_new();
	char url[64], path[64];
	const char *rel, *base, *charset;

	(void)state;
	assert_non_null(m);
	assert_int_equal(linkmap_put(m, "http://Host:80/a/./b.html#x", "host/a/b.html"), FA_OK);
	assert_int_equal(linkmap_put(m, "http://host/a/b.html", "other"), FA_OK); /* first stays */
	assert_string_equal(linkmap_get(m, "HTTP://host/a/b.html"), "host/a/b.html");
	assert_string_equal(linkmap_get(m, "http://host/a/c/../b.html#top"), "host/a/b.html");
	assert_null(linkmap_get(m, "http://host/a/c.html"));
	assert_null(linkmap_get(m, "not a url"));
	assert_int_equal(linkmap_put(m, "not a url", "x"), FA_ERR_URL);
	/* past the first table size, everything is still found */
	for (int i = 0; i < 2000; i++) {
		snprintf(url, sizeof(url), "http://h/%d.png", i);
		snprintf(path, sizeof(path), "h/%d.png", i);
		assert_int_equal(linkmap_put(m, url, path), FA_OK);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(url, sizeof(url), "http://h/%d.png", i);
		snprintf(path, sizeof(path), "h/%d.png", i);
		assert_string_equal(linkmap_get(m, url), path);
	}
	assert_int_equal(linkmap_pages(m), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "p%d.html", i);
		assert_int_equal(linkmap_add_page(m, path, "http://h/", i % 2 ? "utf-8" : NULL),
				 FA_OK);
	}
	assert_int_equal(linkmap_pages(m), 100);
	linkmap_page(m, 42, &rel, &base, &charset);
	assert_string_equal(rel, "p42.html");
	assert_string_equal(base, "http://h/");
	assert_null(charset);
	linkmap_page(m, 43, &rel, &base, &charset);
	assert_string_equal(charset, "utf-8");
	linkmap_free(m);
	linkmap_free(NULL);
}

/* out holds attr="value" exactly once. */
static void assert_attr(const char *out, const char *attr_value)
{
	const char *p = strstr(out, attr_value);

	if (!p)
		fail_msg("no %s in:\n%s", attr_value, out);
	if (strstr(p + 1, attr_value))
		fail_msg("%s twice in:\n%s", attr_value, out);
}

static void test_convert_page_links(void **state)
{
	static const char page[] =
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>t</title>"
	    "<link rel=stylesheet href=\"../style.css\"></head><body>\n"
	    "<a href=\"b.html#sec\">saved, with a fragment</a>\n"
	    "<a href=\"/site/other.html\">not saved</a>\n"
	    "<a href=\"#top\">fragment only</a>\n"
	    "<a href=\"mailto:x@example.invalid\">mail</a>\n"
	    "<a href=\"  http://h.test/site/a/b.html  \">padded, absolute</a>\n"
	    "<img src=\"img/x.png\" srcset=\"img/x.png 1x,img/y.png 2x, img/z.png 3x\">\n"
	    "<video poster=\"img/x.png\"></video>\n"
	    "<p>caf\xc3\xa9 &amp; more</p></body></html>\n";
	struct linkmap *m = linkmap_new();
	char *out = NULL;
	size_t outlen = 0, converted = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(linkmap_put(m, "http://h.test/site/a/b.html", "h.test/site/a/b.html"),
			 FA_OK);
	assert_int_equal(linkmap_put(m, "http://h.test/site/style.css", "h.test/site/style.css"),
			 FA_OK);
	assert_int_equal(
	    linkmap_put(m, "http://h.test/site/a/img/x.png", "h.test/site/a/img/x.png"), FA_OK);
	assert_int_equal(
	    linkmap_put(m, "http://h.test/site/a/img/z.png", "h.test/site/a/img/z.png"), FA_OK);
	assert_int_equal(convert_page(page, sizeof(page) - 1, "h.test/site/a/index.html",
				      "http://h.test/site/a/", NULL, m, &out, &outlen, &converted),
			 FA_OK);
	assert_non_null(out);
	assert_int_equal(strlen(out), outlen);
	assert_attr(out, "href=\"../style.css\"");
	assert_attr(out, "href=\"b.html#sec\"");
	assert_attr(out, "href=\"http://h.test/site/other.html\"");
	assert_attr(out, "href=\"#top\"");
	assert_attr(out, "href=\"mailto:x@example.invalid\"");
	assert_attr(out, "href=\"b.html\"");
	assert_attr(out, "src=\"img/x.png\"");
	assert_attr(out, "srcset=\"img/x.png 1x,http://h.test/site/a/img/y.png 2x, img/z.png 3x\"");
	assert_attr(out, "poster=\"img/x.png\"");
	/* é as UTF-8 bytes or as a character reference */
	assert_true(strstr(out, "caf\xc3\xa9 &amp; more") || strstr(out, "caf&eacute; &amp; more"));
	assert_null(strstr(out, "<!DOCTYPE html PUBLIC")); /* none added */
	assert_int_equal(converted, 7);
	free(out);
	linkmap_free(m);
}

/*
 * Extraction and conversion split srcset alike (both through
 * html_srcset_next()): every image URL html_extract() finds in a page's
 * srcsets is saved, the page is converted, and extracting the converted
 * page gives the saved files' URLs, one for one and in order; nothing
 * converted that was not found, nothing found that was not converted.
 */
static void test_convert_srcset_agrees_with_html(void **state)
{
	static const char page[] =
	    "<html><body><img srcset=\"a.jpg 1x,b.jpg 2x\">"
	    "<img srcset=\"c.jpg (x, d.jpg) 1x, e.jpg 2x\">"
	    "<img srcset=\"f.png (unclosed, g.png 2x\">"
	    "<img srcset=\"data:image/png;base64,iVBORw0= 1x, h.png 2x\">"
	    "<img srcset=\"i.png,,, j.png, k.jpg?a=1,2 3x\">"
	    "<picture><source srcset=\" ,\tl.webp\n100w , m.webp 200w,\"></picture>"
	    "</body></html>";
	struct html_links found = {0}, again = {0};
	struct linkmap *m = linkmap_new();
	char *out = NULL;
	size_t outlen = 0, converted = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(html_extract(page, sizeof(page) - 1, "http://h.test/site/index.html", NULL,
				      HTML_IMAGE, &found),
			 FA_OK);
	assert_int_equal(found.count, 11);
	for (size_t i = 0; i < found.count; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "h.test/site/saved/%zu.png", i);
		assert_int_equal(linkmap_put(m, found.items[i].url, rel), FA_OK);
	}
	assert_int_equal(convert_page(page, sizeof(page) - 1, "h.test/site/index.html",
				      "http://h.test/site/index.html", NULL, m, &out, &outlen,
				      &converted),
			 FA_OK);
	assert_int_equal(converted, found.count);
	assert_int_equal(
	    html_extract(out, outlen, "http://h.test/site/index.html", NULL, HTML_IMAGE, &again),
	    FA_OK);
	if (again.count != found.count)
		fail_msg("%zu URLs found, %zu after conversion:\n%s", found.count, again.count,
			 out);
	for (size_t i = 0; i < again.count; i++) {
		char want[64];

		snprintf(want, sizeof(want), "http://h.test/site/saved/%zu.png", i);
		if (strcmp(again.items[i].url, want) != 0)
			fail_msg("candidate %zu: %s, want %s, in:\n%s", i, again.items[i].url, want,
				 out);
	}
	/* separators, descriptors and data: URLs are kept byte for byte */
	assert_attr(out, "srcset=\"saved/0.png 1x,saved/1.png 2x\"");
	assert_attr(out, "srcset=\"saved/2.png (x, d.jpg) 1x, saved/3.png 2x\"");
	assert_attr(out, "srcset=\"data:image/png;base64,iVBORw0= 1x, saved/5.png 2x\"");
	free(out);
	html_links_release(&found);
	html_links_release(&again);
	linkmap_free(m);
}

/* A <base href> decides what links resolve against, and goes. */
static void test_convert_page_base_href(void **state)
{
	static const char page[] =
	    "<html><head><base href=\"http://cdn.test/files/\" target=\"_top\"></head>"
	    "<body><a href=\"doc.pdf\">doc</a><a href=\"/x.html\">x</a></body></html>";
	struct linkmap *m = linkmap_new();
	char *out = NULL;
	size_t outlen = 0, converted = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(linkmap_put(m, "http://cdn.test/files/doc.pdf", "cdn.test/files/doc.pdf"),
			 FA_OK);
	assert_int_equal(convert_page(page, sizeof(page) - 1, "h.test/index.html", "http://h.test/",
				      NULL, m, &out, &outlen, &converted),
			 FA_OK);
	assert_attr(out, "href=\"../cdn.test/files/doc.pdf\"");
	assert_attr(out, "href=\"http://cdn.test/x.html\"");
	assert_null(strstr(out, "base href"));
	assert_non_null(strstr(out, "<base target=\"_top\">"));
	assert_int_equal(converted, 1);
	free(out);
	linkmap_free(m);
}

/* A Latin-1 page keeps its bytes' meaning; broken and empty documents
 * neither crash nor hang; a bad base URL is refused. */
static void test_convert_page_odd_input(void **state)
{
	static const char latin1[] = "<html><head><meta charset=\"iso-8859-1\"></head>"
				     "<body><p>caf\xe9</p><a href=\"a.html\">a</a></body></html>";
	static const char *const broken[] = {
	    "<a href=\"x.html\"",
	    "<<<<>>>>",
	    "<a href=x.html><img src=<",
	    "\x00\x01\x02",
	    "<html><body><a href=\"http://[::1\">bad</a></body></html>",
	};
	struct linkmap *m = linkmap_new();
	char *out = NULL;
	size_t outlen = 0, converted = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(linkmap_put(m, "http://h.test/a.html", "h.test/a.html"), FA_OK);
	assert_int_equal(convert_page(latin1, sizeof(latin1) - 1, "h.test/p.html",
				      "http://h.test/p.html", NULL, m, &out, &outlen, &converted),
			 FA_OK);
	/* é is written back as Latin-1 (or as a character reference) */
	assert_true(strstr(out, "caf\xe9") || strstr(out, "caf&eacute;") ||
		    strstr(out, "caf&#233;"));
	assert_attr(out, "href=\"a.html\"");
	free(out);
	/* the Content-Type's charset decides: Shift_JIS "日本" stays those
	 * characters (as bytes of a declared charset or as references) */
	{
		static const char sjis[] = "<p>\x93\xfa\x96\x7b</p><a href=\"a.html\">a</a>";

		assert_int_equal(convert_page(sjis, sizeof(sjis) - 1, "h.test/p.html",
					      "http://h.test/p.html", "Shift_JIS", m, &out, &outlen,
					      &converted),
				 FA_OK);
		assert_true(strstr(out, "&#26085;&#26412;") ||
			    strstr(out, "\xe6\x97\xa5\xe6\x9c\xac") ||
			    strstr(out, "\x93\xfa\x96\x7b"));
		assert_attr(out, "href=\"a.html\"");
		free(out);
	}
	for (size_t i = 0; i < ARRAY_LEN(broken); i++) {
		enum fa_err err =
		    convert_page(broken[i], strlen(broken[i]) + (i == 3 ? 3 : 0), "h.test/p.html",
				 "http://h.test/p.html", NULL, m, &out, &outlen, &converted);

		assert_true(err == FA_OK || err == FA_ERR_PARSE);
		free(out);
		out = NULL;
	}
	assert_int_equal(
	    convert_page("<p>x</p>", 8, "p.html", "not a url", NULL, m, &out, &outlen, &converted),
	    FA_ERR_URL);
	assert_null(out);
	linkmap_free(m);
}

/* Found by fuzzing: libxml2's writer stopped at a character it could not
 * write and gave back "<p>" for a page of links; a page that does not read
 * back whole is refused (FA_ERR_PARSE), never handed out cut short. */
static void test_convert_page_never_cut_short(void **state)
{
	static const char page[] =
	    "\x03<\x06\xfa\xff\xff\xff\xff/x.png\x22 s~\x0d\x0d\x0d\x0d\x0d\x0d\x0d"
	    "\x0d\x0d\x1d\x00\xff\xff\xffl#x\x22>b</a><img <html><hea<bd/_>html#\x88"
	    "\xdd\xc1\x93</a><img src=\x22/img/x.png\x22 s~cstp://b.hmt#/a><img src"
	    "=\x22/img/x.png\x22 s~cstp://b.hmt#lx\x22>b</a><gmg src=\x22/img/x.png"
	    "\x22 srcset=\x22/img/x.png 0x, \x00<f&y#lx\x22>b</a><gmg src=\x22/img/"
	    "x.png\x22 srcset=\x22/img/x.";
	struct linkmap *m = linkmap_new();
	char *out = NULL;
	size_t outlen = 0, converted = 0;
	enum fa_err err;

	(void)state;
	assert_non_null(m);
	assert_int_equal(linkmap_put(m, "http://h.test/img/x.png", "h.test/img/x.png"), FA_OK);
	err = convert_page(page, sizeof(page) - 1, "h.test/a/index.html", "http://h.test/a/",
			   "UTF-8", m, &out, &outlen, &converted);
	if (err == FA_OK && outlen < 100)
		fail_msg("cut short to %zu bytes: %s", outlen, out);
	assert_true(err == FA_OK || err == FA_ERR_PARSE);
	free(out);
	linkmap_free(m);
}

static int group_setup(void **state)
{
	(void)state;
	xmlInitParser();
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	xmlCleanupParser();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_convert_relative_table),
	    cmocka_unit_test(test_linkmap_spellings_and_pages),
	    cmocka_unit_test(test_convert_page_links),
	    cmocka_unit_test(test_convert_srcset_agrees_with_html),
	    cmocka_unit_test(test_convert_page_base_href),
	    cmocka_unit_test(test_convert_page_odd_input),
	    cmocka_unit_test(test_convert_page_never_cut_short),
	};

	return cmocka_run_group_tests_name("convert", tests, group_setup, group_teardown);
}
