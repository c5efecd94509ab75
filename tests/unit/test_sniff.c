/*
 * Unit tests for sniff: magic bytes, media-type patterns, URL extensions.
 *
 * All table-driven.  sniff_type()'s inputs are copied to the very end of
 * a page followed by an inaccessible one (as picohttpparser's tests do),
 * so reading one byte past `len` crashes at once, with or without ASan;
 * every input is also tried cut short at each length.  Pure functions:
 * no threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "guard.h"
#include "sniff.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- a buffer right before an unreadable page -------------------------- */

/* Copies len bytes so that they end exactly at the guard page. */
static const unsigned char *guarded(const void *src, size_t len)
{
	const unsigned char *at = guard_copy(&guard_shared, src, len);

	assert_non_null(at);
	return at;
}

static const char *sniff_guarded(const void *src, size_t len)
{
	return sniff_type(guarded(src, len), len);
}

/* ---- sniff_type --------------------------------------------------------- */

struct sniff_case {
	const char *name;
	const char *bytes;
	size_t len; /* 0: strlen(bytes) */
	const char *expect;
};

#define BIN(s) s, sizeof(s) - 1

static const struct sniff_case sniff_cases[] = {
    {"png", BIN("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png"},
    {"png_magic_only", BIN("\x89PNG\r\n\x1a\n"), "image/png"},
    {"jpeg_jfif", BIN("\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg"},
    {"jpeg_exif",
     BIN("\xff\xd8\xff\xe1\x12\x34"
	 "Exif\0\0"),
     "image/jpeg"},
    {"gif87a", BIN("GIF87a\x01\0\x01\0"), "image/gif"},
    {"gif89a", BIN("GIF89a\x01\0\x01\0\x80\0\0"), "image/gif"},
    {"webp", BIN("RIFF\x24\0\0\0WEBPVP8 "), "image/webp"},
    {"avif",
     BIN("\0\0\0\x1c"
	 "ftypavif\0\0\0\0avifmif1"),
     "image/avif"},
    {"avif_sequence",
     BIN("\0\0\0\x20"
	 "ftypavis\0\0\0\0"),
     "image/avif"},
    {"svg_plain", BIN("<svg xmlns=\"http://www.w3.org/2000/svg\">"), "image/svg+xml"},
    {"svg_upper", BIN("<SVG width=\"1\">"), "image/svg+xml"},
    {"svg_leading_space", BIN(" \r\n\t<svg>"), "image/svg+xml"},
    {"svg_bom", BIN("\xef\xbb\xbf<svg>"), "image/svg+xml"},
    {"svg_xml_prolog", BIN("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"x\">"),
     "image/svg+xml"},
    {"svg_xml_prolog_bom", BIN("\xef\xbb\xbf<?xml version=\"1.0\"?><svg>"), "image/svg+xml"},
    {"html_doctype", BIN("<!DOCTYPE html>\n<html>"), "text/html"},
    {"html_doctype_lower", BIN("<!doctype html><title>x</title>"), "text/html"},
    {"html_doctype_bom", BIN("\xef\xbb\xbf<!DOCTYPE html>"), "text/html"},
    {"html_leading_space", BIN("\n\n   \t<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">"),
     "text/html"},
    {"html_tag", BIN("<html lang=\"en\">"), "text/html"},
    {"html_bom_space_tag", BIN("\xef\xbb\xbf\r\n<HTML>"), "text/html"},
    {"html_head", BIN("<head><title>"), "text/html"},
    {"html_body", BIN("<body>hello"), "text/html"},
    /* negatives */
    {"empty", "", 0, NULL},
    {"png_short", BIN("\x89PNG\r\n\x1a"), NULL},
    {"png_wrong", BIN("\x89PNG\r\n\x1a\r"), NULL},
    {"jpeg_short", BIN("\xff\xd8"), NULL},
    {"gif_short", BIN("GIF89"), NULL},
    {"gif_other_version", BIN("GIF90a\x01\0"), NULL},
    {"webp_short", BIN("RIFF\x24\0\0\0WEB"), NULL},
    {"riff_wave", BIN("RIFF\x24\0\0\0WAVEfmt "), NULL},
    {"ftyp_mp4",
     BIN("\0\0\0\x18"
	 "ftypisom\0\0\0\0"),
     NULL},
    {"ftyp_short",
     BIN("\0\0\0\x18"
	 "ftypavi"),
     NULL},
    {"xml_not_svg", BIN("<?xml version=\"1.0\"?><rss version=\"2.0\">"), NULL},
    {"svg_lookalike", BIN("<sv"), NULL},
    {"text", BIN("hello, world: this is plain text, not markup"), NULL},
    {"json", BIN("{\"html\": \"<html>\"}"), NULL},
    {"text_then_html", BIN("Hi <html>"), NULL},
    {"pdf", BIN("%PDF-1.7\n"), NULL},
    {"spaces_only", BIN("   \n\t "), NULL},
    {"bom_only", BIN("\xef\xbb\xbf"), NULL},
    {"lone_lt", BIN("<"), NULL},
};

static void test_sniff_type_table(void **state)
{
	size_t wrong = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sniff_cases); i++) {
		const struct sniff_case *c = &sniff_cases[i];
		size_t len = c->len ? c->len : strlen(c->bytes);
		const char *got = sniff_guarded(c->bytes, len);

		if (c->expect == NULL ? got != NULL : got == NULL || strcmp(got, c->expect)) {
			print_message("case %s: got %s, want %s\n", c->name, got ? got : "NULL",
				      c->expect ? c->expect : "NULL");
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/* Every prefix of every input: no over-read, and a magic cut short is not
 * recognised as anything else. */
static void test_sniff_type_prefixes(void **state)
{
	(void)state;
	assert_null(sniff_type(NULL, 0));
	for (size_t i = 0; i < ARRAY_LEN(sniff_cases); i++) {
		const struct sniff_case *c = &sniff_cases[i];
		size_t len = c->len ? c->len : strlen(c->bytes);

		for (size_t cut = 0; cut <= len; cut++) {
			const char *got = sniff_guarded(c->bytes, cut);

			if (got && (!c->expect || strcmp(got, c->expect))) {
				print_message("case %s cut at %zu: got %s, want %s or NULL\n",
					      c->name, cut, got, c->expect ? c->expect : "NULL");
				fail();
			}
		}
	}
}

/* ---- sniff_type_matches ------------------------------------------------- */

static void test_sniff_type_matches_table(void **state)
{
	static const struct {
		const char *type, *patterns;
		bool expect;
	} cases[] = {
	    {"image/png", "image/*", true},
	    {"image/svg+xml", "image/*", true},
	    {"text/html", "image/*", false},
	    {"imagex/png", "image/*", false},
	    {"image", "image/*", false},
	    {"application/pdf", "application/pdf", true},
	    {"application/pdf", "application/pd", false},
	    {"application/pd", "application/pdf", false},
	    {"application/pdfx", "application/pdf", false},
	    {"image/png; charset=x", "image/png", true},
	    {"image/png;charset=x", "image/png", true},
	    {"image/png ; q=1", "image/png", true},
	    {"text/html; charset=UTF-8", "image/*", false},
	    {"  image/png", "image/png", true},
	    {"IMAGE/PNG", "image/png", true},
	    {"image/png", "IMAGE/PNG", true},
	    {"Image/Jpeg", "image/*", true},
	    {"image/jpeg", "IMAGE/*", true},
	    {"image/jpeg", "text/html,image/jpeg", true},
	    {"image/jpeg", "text/html, image/jpeg", true},
	    {"image/jpeg", " text/html ,  image/jpeg  ", true},
	    {"image/jpeg", "text/html,\timage/*\t", true},
	    {"image/jpeg", "text/html, image/png", false},
	    {"image/jpeg", "text/html,,image/jpeg", true},
	    {"image/jpeg", ",", false},
	    {"image/jpeg", "", false},
	    {"image/jpeg", " , ", false},
	    {"image/jpeg", "*", true},
	    {"application/octet-stream", "*", true},
	    {"text/plain", "image/png,*", true},
	    {"text/plain", " * ", true},
	    {"text/plain", "*/*", true},
	    {"text/plain", "**", false},
	    {NULL, "*", false},
	    {NULL, "image/*", false},
	    {"image/png", NULL, false},
	};

	size_t wrong = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool got = sniff_type_matches(cases[i].type, cases[i].patterns);

		if (got != cases[i].expect) {
			print_message("case %zu: sniff_type_matches(\"%s\", \"%s\") = %d\n", i,
				      cases[i].type ? cases[i].type : "(null)",
				      cases[i].patterns ? cases[i].patterns : "(null)", got);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/* ---- sniff_url_name + sniff_name_matches (folded), as -A sees a URL ---- */

static bool ext_matches(const char *url, const char *exts)
{
	const char *name;
	size_t len;

	return sniff_url_name(url, &name, &len) && sniff_name_matches(name, len, exts, true);
}

static void test_sniff_ext_matches_table(void **state)
{
	static const struct {
		const char *url, *exts;
		bool expect;
	} cases[] = {
	    {"http://h/a.jpg", "jpg", true},
	    {"http://h/a.jpg", "jpg,png", true},
	    {"http://h/a.png", "jpg,png", true},
	    {"http://h/a.gif", "jpg,png", false},
	    {"http://h/dir/sub/a.jpg", "png,jpg", true},
	    /* case */
	    {"http://h/A.JPG", "jpg", true},
	    {"http://h/a.jpg", "JPG", true},
	    {"http://h/a.JpEg", "png,jPeG", true},
	    /* leading dot in the list */
	    {"http://h/a.jpg", ".jpg", true},
	    {"http://h/a.png", ".jpg,.png", true},
	    {"http://h/a.jpg", "..jpg", false},
	    /* query and fragment are not part of the name */
	    {"http://h/a.jpg?size=2", "jpg", true},
	    {"http://h/a.jpg#top", "jpg", true},
	    {"http://h/a.jpg?x=1#y", "jpg", true},
	    {"http://h/a.php?img=b.jpg", "jpg", false},
	    {"http://h/a.php#b.jpg", "jpg", false},
	    {"http://h/a?f=/b.jpg", "jpg", false},
	    {"http://h/?f=/b.jpg", "jpg", false},
	    {"http://h?f=/b.jpg", "jpg", false},
	    {"http://h#/b.jpg", "jpg", false},
	    /* only the last segment's last extension */
	    {"http://h/a.jpg/b", "jpg", false},
	    {"http://h/img.d/b.png", "d", false},
	    {"http://h/a.tar.gz", "gz", true},
	    {"http://h/a.tar.gz", "tar", false},
	    {"http://h/a.jpg.exe", "jpg", false},
	    /* whole extension only */
	    {"http://h/a.jpgx", "jpg", false},
	    {"http://h/a.xjpg", "jpg", false},
	    {"http://h/a.jp", "jpg", false},
	    /* no extension, directory URL, bare host */
	    {"http://h/jpg", "jpg", false},
	    {"http://h/a", "jpg", false},
	    {"http://h/a.", "jpg", false},
	    {"http://h/photos.jpg/", "jpg", false},
	    {"http://h/", "jpg", false},
	    {"http://h", "jpg", false},
	    {"http://h.jpg", "jpg", false},
	    {"http://h.jpg/", "jpg", false},
	    /* empty list entries never match */
	    {"http://h/a.jpg", "", false},
	    {"http://h/a.jpg", ",", false},
	    {"http://h/a.", ",jpg", false},
	    {"http://h/a.", ".", false},
	    {"http://h/a.jpg", NULL, false},
	};

	size_t wrong = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool got = ext_matches(cases[i].url, cases[i].exts);

		if (got != cases[i].expect) {
			print_message("case %zu: ext_matches(\"%s\", \"%s\") = %d\n", i,
				      cases[i].url, cases[i].exts ? cases[i].exts : "(null)", got);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/* sniff_name_matches: wget's -A/-R lists, case counting unless folded. */
static void test_sniff_name_matches_table(void **state)
{
	static const struct {
		const char *name, *list;
		bool fold, expect;
	} cases[] = {
	    {"a.jpeg", "jpeg", false, true},
	    {"c.JpeG", "jpeg", false, false},
	    {"c.JpeG", "jpeg", true, true},
	    {"a.jpeg", ".jpeg,png", false, true},
	    {"b.png", "jpeg,png", false, true},
	    {"b.png", "jpeg", false, false},
	    {"a.tar.gz", "gz", false, true},
	    {"photo-large.jpg", "*-large.*", false, true},
	    {"photo-small.jpg", "*-large.*", false, false},
	    {"PHOTO-LARGE.JPG", "*-large.*", false, false},
	    {"PHOTO-LARGE.JPG", "*-large.*", true, true},
	    {"img7.png", "img?.png", false, true},
	    {"imgx.gif", "img[0-9].*", false, false},
	    {"index.html", "jpeg", false, false},
	    {"noext", "noext", false, false},
	    {"", "jpeg", false, false},
	    {"a.jpeg", "", false, false},
	    {"a.jpeg", NULL, false, false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *n = guard_str(&guard_shared, cases[i].name);

		if (sniff_name_matches(n, strlen(n), cases[i].list, cases[i].fold) !=
		    cases[i].expect)
			fail_msg("case %zu: '%s' against '%s' (fold %d) wants %d", i, cases[i].name,
				 cases[i].list ? cases[i].list : "(null)", cases[i].fold,
				 cases[i].expect);
	}
	/* -A and -R together */
	assert_true(sniff_name_acceptable("a.jpeg", 6, "jpeg,png", "png", false));
	assert_false(sniff_name_acceptable("b.png", 5, "jpeg,png", "png", false));
	assert_true(sniff_name_acceptable("b.gif", 5, NULL, "png", false));
	assert_false(sniff_name_acceptable("b.gif", 5, "jpeg", NULL, false));
	assert_true(sniff_name_acceptable("b.gif", 5, NULL, NULL, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sniff_type_table),
	    cmocka_unit_test(test_sniff_type_prefixes),
	    cmocka_unit_test(test_sniff_type_matches_table),
	    cmocka_unit_test(test_sniff_ext_matches_table),
	    cmocka_unit_test(test_sniff_name_matches_table),
	};

	return cmocka_run_group_tests(tests, guard_group_setup, guard_group_teardown);
}
