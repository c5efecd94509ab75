/*
 * Unit tests for robots: RFC 9309's own examples, group selection, longest
 * match and its tie-break, wildcards, percent-encoding, crawl-delay, the
 * parser's tolerance of junk and its limits, linear-time matching on
 * hostile patterns, fetch verdicts, the realistic files in
 * $FIXTURES/robots/, over-reads (input placed right before an unreadable
 * page), and concurrent queries of one object (workers record, the test
 * thread asserts after join).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "robots.h"
#include "sync.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct allow_case {
	const char *robots; /* robots.txt text */
	const char *agent;
	const char *path;
	bool allowed;
};

static struct robots *parse_or_fail(const char *text, size_t len, const char *agent)
{
	struct robots *r = NULL;
	enum fa_err err = robots_parse(text, len, agent, &r);

	if (err != FA_OK)
		fail_msg("robots_parse for '%s': %s", agent, fa_strerror(err));
	assert_non_null(r);
	return r;
}

static void check_allow_cases(const struct allow_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct robots *r =
		    parse_or_fail(cases[i].robots, strlen(cases[i].robots), cases[i].agent);
		bool got = robots_allowed(r, cases[i].path);

		if (got != cases[i].allowed)
			fail_msg(
			    "case %zu: agent '%s' path '%s': got %s, want %s\n--- robots.txt\n%s",
			    i, cases[i].agent, cases[i].path, got ? "allowed" : "disallowed",
			    cases[i].allowed ? "allowed" : "disallowed", cases[i].robots);
		robots_free(r);
	}
}

/* RFC 9309 section 5.1, verbatim. */
static const char rfc_simple[] = "User-Agent: *\n"
				 "Disallow: *.gif$\n"
				 "Disallow: /example/\n"
				 "Allow: /publications/\n"
				 "\n"
				 "User-Agent: foobot\n"
				 "Disallow:/\n"
				 "Allow:/example/page.html\n"
				 "Allow:/example/allowed.gif\n"
				 "\n"
				 "User-Agent: barbot\n"
				 "User-Agent: bazbot\n"
				 "Disallow: /example/page.html\n"
				 "\n"
				 "User-Agent: quxbot\n"
				 "\n"
				 "EOF\n";

static void test_robots_rfc_simple_example(void **state)
{
	static const struct allow_case cases[] = {
	    {rfc_simple, "otherbot", "/", true},
	    {rfc_simple, "otherbot", "/image.gif", false},
	    {rfc_simple, "otherbot", "/a/b/image.gif", false},
	    {rfc_simple, "otherbot", "/image.gif?x=1", true},
	    {rfc_simple, "otherbot", "/example/", false},
	    {rfc_simple, "otherbot", "/example/page.html", false},
	    {rfc_simple, "otherbot", "/publications/", true},
	    {rfc_simple, "otherbot", "/publications/cover.gif", true},
	    {rfc_simple, "foobot", "/", false},
	    {rfc_simple, "foobot", "/index.html", false},
	    {rfc_simple, "foobot", "/example/page.html", true},
	    {rfc_simple, "foobot", "/example/allowed.gif", true},
	    {rfc_simple, "foobot", "/example/other.html", false},
	    {rfc_simple, "foobot", "/publications/", false},
	    {rfc_simple, "barbot", "/example/page.html", false},
	    {rfc_simple, "barbot", "/example/page.html?q", false},
	    {rfc_simple, "barbot", "/example/other.html", true},
	    {rfc_simple, "barbot", "/image.gif", true},
	    {rfc_simple, "bazbot", "/example/page.html", false},
	    {rfc_simple, "bazbot", "/", true},
	    {rfc_simple, "quxbot", "/image.gif", true},
	    {rfc_simple, "quxbot", "/example/", true},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

/* RFC 9309 section 5.2. */
static void test_robots_rfc_longest_match_example(void **state)
{
	static const char text[] = "User-Agent: foobot\n"
				   "Allow: /example/page/\n"
				   "Disallow: /example/page/disallowed.gif\n";
	static const struct allow_case cases[] = {
	    {text, "foobot", "/example/page/disallowed.gif", false},
	    {text, "foobot", "/example/page/allowed.gif", true},
	    {text, "foobot", "/example/page/", true},
	    {text, "foobot", "/example/", true},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

static void test_robots_group_selection(void **state)
{
	static const char star_and_us[] = "User-agent: *\nDisallow: /\n\n"
					  "User-agent: fetchall\nDisallow: /private\n";
	static const char mixed_case[] = "User-agent: FetchAll\nDisallow: /a\n";
	static const char versioned[] = "User-agent: fetchall/2.3 (+http://x.invalid/)\n"
					"Disallow: /v\n";
	static const char near_miss[] = "User-agent: fetchallbot\nDisallow: /\n"
					"User-agent: fetch\nDisallow: /\n"
					"User-agent: fetch-all\nDisallow: /\n";
	static const char several_agents[] = "User-agent: a\nUser-agent: fetchall\n"
					     "User-agent: b\nDisallow: /x\n";
	static const char empty_group[] = "User-agent: *\nDisallow: /\n\nUser-agent: fetchall\n";
	static const char star_text[] = "User-agent: * everyone\nDisallow: /x\n";
	static const char star_prefix[] = "User-agent: *bot\nDisallow: /\n";
	static const char rules_first[] = "Disallow: /\nUser-agent: *\nDisallow: /x\n";
	static const char sitemap_inside[] = "User-agent: other\n"
					     "Sitemap: https://x.invalid/s.xml\n"
					     "User-agent: fetchall\nDisallow: /x\n";
	static const char unknown_inside[] = "User-agent: fetchall\nHost: x.invalid\n"
					     "User-agent: other\nDisallow: /z\n";
	static const char group_ends[] = "User-agent: fetchall\nDisallow: /a\n"
					 "User-agent: other\nDisallow: /b\n";
	static const char delay_ends[] = "User-agent: fetchall\nCrawl-delay: 2\n"
					 "User-agent: other\nDisallow: /\n";
	static const char nobody[] = "User-agent: other\nDisallow: /\n";
	static const char both[] = "User-agent: *\nUser-agent: fetchall\nDisallow: /both\n";
	static const char two_stars[] = "User-agent: *\nDisallow: /one\n\n"
					"User-agent: other\nDisallow: /two\n\n"
					"User-agent: *\nDisallow: /three\n";
	static const char no_blank[] = "User-agent: fetchall\nDisallow: /a\n"
				       "User-agent: *\nDisallow: /\n";
	static const struct allow_case cases[] = {
	    {star_and_us, "fetchall", "/x", true},
	    {star_and_us, "fetchall", "/private/x", false},
	    {star_and_us, "otherbot", "/x", false},
	    {mixed_case, "fetchall", "/a", false},
	    {mixed_case, "FETCHALL", "/a", false},
	    {mixed_case, "fetchall/1.0", "/a", false},
	    {mixed_case, "FetchAll/1.0 (+https://example.invalid)", "/a", false},
	    {versioned, "fetchall", "/v", false},
	    {near_miss, "fetchall", "/x", true},
	    {several_agents, "fetchall", "/x", false},
	    {several_agents, "a", "/x", false},
	    {several_agents, "b", "/x", false},
	    {empty_group, "fetchall", "/x", true},
	    {empty_group, "other", "/x", false},
	    {star_text, "fetchall", "/x", false},
	    {star_prefix, "fetchall", "/x", true},
	    {rules_first, "fetchall", "/y", true},
	    {rules_first, "fetchall", "/x", false},
	    {sitemap_inside, "other", "/x", false},
	    {unknown_inside, "fetchall", "/z", false},
	    {group_ends, "fetchall", "/a", false},
	    {group_ends, "fetchall", "/b", true},
	    {delay_ends, "fetchall", "/x", true},
	    {delay_ends, "other", "/x", false},
	    {nobody, "fetchall", "/x", true},
	    {both, "fetchall", "/both", false},
	    {both, "other", "/both", false},
	    {two_stars, "fetchall", "/one", false},
	    {two_stars, "fetchall", "/two", true},
	    {two_stars, "fetchall", "/three", false},
	    {no_blank, "fetchall", "/b", true},
	    {no_blank, "fetchall", "/a", false},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

/* RFC 9309 2.2.1: matching groups are merged into one. */
static void test_robots_merges_matching_groups(void **state)
{
	static const char text[] = "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\n"
				   "user-agent: ExampleBot\ndisallow: /baz\n\n"
				   "user-agent: *\ndisallow: /qux\n";
	static const char longest_across[] = "user-agent: fetchall\nallow: /dir/sub/\n\n"
					     "user-agent: *\ndisallow: /\n\n"
					     "user-agent: fetchall\ndisallow: /dir/\n";
	static const struct allow_case cases[] = {
	    {text, "examplebot", "/foo", false},
	    {text, "examplebot", "/bar", false},
	    {text, "examplebot", "/baz", false},
	    {text, "examplebot", "/qux", true},
	    {text, "other", "/qux", false},
	    {text, "other", "/foo", true},
	    {longest_across, "fetchall", "/dir/x", false},
	    {longest_across, "fetchall", "/dir/sub/x", true},
	    {longest_across, "fetchall", "/elsewhere", true},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

static void test_robots_longest_match_wins(void **state)
{
	static const char nested[] = "User-agent: *\nAllow: /p\nDisallow: /p/q\n";
	static const char nested_rev[] = "User-agent: *\nDisallow: /p/q\nAllow: /p\n";
	static const char root[] = "User-agent: *\nDisallow: /\nAllow: /public\n";
	static const char wild[] = "User-agent: *\nAllow: /*.html\nDisallow: /dir/\n"
				   "Disallow: /dir/page\n";
	static const struct allow_case cases[] = {
	    {nested, "fetchall", "/p/q", false},
	    {nested, "fetchall", "/p/r", true},
	    {nested_rev, "fetchall", "/p/q/x", false},
	    {nested_rev, "fetchall", "/p/r", true},
	    {root, "fetchall", "/public/x", true},
	    {root, "fetchall", "/other", false},
	    {root, "fetchall", "/", false},
	    /* The wildcard html rule (7 octets) beats "/dir/" (5), not "/dir/page" (9). */
	    {wild, "fetchall", "/dir/a.html", true},
	    {wild, "fetchall", "/dir/a.txt", false},
	    {wild, "fetchall", "/dir/page.html", false},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

static void test_robots_allow_wins_tie(void **state)
{
	static const char same[] = "User-agent: *\nDisallow: /page\nAllow: /page\n";
	static const char same_rev[] = "User-agent: *\nAllow: /page\nDisallow: /page\n";
	static const char wild[] = "User-agent: *\nDisallow: /page*\nAllow: /page$\n";
	static const char encoded[] = "User-agent: *\nDisallow: /a/~\nAllow: /a/%7e\n";
	static const struct allow_case cases[] = {
	    {same, "fetchall", "/page", true},    {same_rev, "fetchall", "/page", true},
	    {wild, "fetchall", "/page", true},    {wild, "fetchall", "/pages", false},
	    {encoded, "fetchall", "/a/~b", true},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

static void test_robots_wildcards(void **state)
{
	static const struct {
		const char *pattern;
		const char *path;
		bool matches;
	} cases[] = {
	    {"/*.php$", "/index.php", true},
	    {"/*.php$", "/a/b.php", true},
	    {"/*.php$", "/index.php?x=1", false},
	    {"/*.php$", "/x.phps", false},
	    {"/*.php", "/index.php?x=1", true},
	    {"/fish*", "/fish", true},
	    {"/fish*", "/fish.html", true},
	    {"/fish*", "/fishheads/x", true},
	    {"/fish*", "/Fish", false},
	    {"/*?", "/a?b", true},
	    {"/*?", "/a", false},
	    {"/a*b*c", "/abc", true},
	    {"/a*b*c", "/axxbyyc", true},
	    {"/a*b*c", "/axxcyyb", false},
	    {"/a*b*c", "/acb", false},
	    {"/a$b", "/a$b", true},
	    {"/a$b", "/a", false},
	    {"*", "/anything", true},
	    {"*", "/", true},
	    {"/$", "/", true},
	    {"/$", "/a", false},
	    {"/**x", "/yx", true},
	    {"/a*$", "/a", true},
	    {"/a*$", "/abc", true},
	    {"/ab*ab$", "/ab", false},
	    {"/ab*ab$", "/abab", true},
	    {"/ab*ab$", "/abXab", true},
	    {"/ab*ab$", "/abXaba", false},
	    {"/x*aab", "/xaaab", true},
	    {"/x*ababc", "/xabababc", true},
	    {"/x*ababc", "/xababab", false},
	    {"/x*abcabd*z$", "/xabcabcabdz", true},
	    {"/x*abcabd*z$", "/xabcabcabdzq", false},
	    {"*/*/*/", "/a/b/", true},
	    {"*/*/*/", "/a/b", false},
	    {"/a/*/c$", "/a/b/x/c", true},
	    {"/a/*/c$", "/a/c", false},
	    {"/*%2A", "/x*", true},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[256];
		struct robots *r;

		snprintf(text, sizeof(text), "User-agent: *\nDisallow: %s\n", cases[i].pattern);
		r = parse_or_fail(text, strlen(text), "fetchall");
		if (robots_allowed(r, cases[i].path) == cases[i].matches)
			fail_msg("case %zu: pattern '%s' path '%s': want %s", i, cases[i].pattern,
				 cases[i].path, cases[i].matches ? "match" : "no match");
		robots_free(r);
	}
}

/* RFC 9309 2.2.2 and 2.2.3: equal after percent-encoding normalization. */
static void test_robots_percent_encoding(void **state)
{
	static const struct {
		const char *pattern;
		const char *path;
		bool matches;
	} cases[] = {
	    {"/a%2fb", "/a%2Fb", true},
	    {"/a%2Fb", "/a%2fb", true},
	    {"/a%2fb", "/a/b", false},
	    {"/a/b", "/a%2Fb", false},
	    {"/%7euser", "/~user/x", true},
	    {"/%7Euser", "/%7euser", true},
	    {"/~joe", "/%7ejoe", true},
	    {"/foo/bar/%62%61%7A", "/foo/bar/baz", true},
	    {"/foo/bar/baz", "/foo/bar/%62%61%7a", true},
	    {"/%41%2d%5F%2E", "/A-_.", true},
	    {"/foo/bar/\xE3\x83\x84", "/foo/bar/%E3%83%84", true},
	    {"/foo/bar/\xE3\x83\x84", "/foo/bar/%e3%83%84", true},
	    {"/foo/bar/%E3%83%84", "/foo/bar/\xE3\x83\x84", true},
	    {"/foo/bar?baz=https%3A%2F%2Ffoo.bar", "/foo/bar?baz=https%3a%2f%2ffoo.bar", true},
	    {"/foo/bar?baz=https%3A%2F%2Ffoo.bar", "/foo/bar?baz=https://foo.bar", false},
	    {"/foo/bar?baz=quz", "/foo/bar?baz=quz", true},
	    {"/path/file-with-a-%2A.html", "/path/file-with-a-*.html", true},
	    {"/path/file-with-a-%2A.html", "/path/file-with-a-x.html", false},
	    {"/path/foo-%24", "/path/foo-$", true},
	    {"/a b", "/a%20b", true},
	    {"/a|b", "/a%7Cb", true},
	    {"/a%7cb", "/a|b", true},
	    {"/100%", "/100%25", true},
	    {"/100%", "/100%", true},
	    {"/100%2", "/100%2", true},
	    {"/Private", "/private", false},
	    {"/%70rivate", "/private", true},
	    {"/%50rivate", "/private", false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[256];
		struct robots *r;

		snprintf(text, sizeof(text), "User-agent: *\nDisallow: %s\n", cases[i].pattern);
		r = parse_or_fail(text, strlen(text), "fetchall");
		if (robots_allowed(r, cases[i].path) == cases[i].matches)
			fail_msg("case %zu: pattern '%s' path '%s': want %s", i, cases[i].pattern,
				 cases[i].path, cases[i].matches ? "match" : "no match");
		robots_free(r);
	}
}

static void test_robots_empty_disallow(void **state)
{
	static const char all[] = "User-agent: *\nDisallow:\n";
	static const char comment[] = "User-agent: *\nDisallow:    # nothing\n";
	static const char ours[] =
	    "User-agent: fetchall\nDisallow:\n\nUser-agent: *\nDisallow: /\n";
	static const char allow_empty[] = "User-agent: *\nAllow:\nDisallow: /x\n";
	static const struct allow_case cases[] = {
	    {all, "fetchall", "/", true},          {all, "fetchall", "/x", true},
	    {comment, "fetchall", "/x", true},     {ours, "fetchall", "/x", true},
	    {ours, "other", "/x", false},          {allow_empty, "fetchall", "/x", false},
	    {allow_empty, "fetchall", "/y", true},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

static void test_robots_crawl_delay(void **state)
{
	static const struct {
		const char *robots;
		long ms;
	} cases[] = {
	    {"User-agent: *\nCrawl-delay: 10\n", 10000},
	    {"User-agent: *\nCrawl-delay: 0.5\n", 500},
	    {"User-agent: *\nCrawl-delay: 1.2345\n", 1234},
	    {"User-agent: *\nCrawl-delay: .25\n", 250},
	    {"User-agent: *\nCrawl-delay: 7.\n", 7000},
	    {"User-agent: *\nCrawl-delay: 0\n", 0},
	    {"User-agent: *\nCrawl-delay: 60\n", 60000},
	    {"User-agent: *\nCrawl-delay: 60.001\n", 60000},
	    {"User-agent: *\nCrawl-delay: 3600\n", 60000},
	    {"User-agent: *\nCrawl-delay: 99999999999999999999999\n", 60000},
	    {"User-agent: *\nCrawl-delay: -1\n", -1},
	    {"User-agent: *\nCrawl-delay: abc\n", -1},
	    {"User-agent: *\nCrawl-delay: 5s\n", -1},
	    {"User-agent: *\nCrawl-delay: 1e3\n", -1},
	    {"User-agent: *\nCrawl-delay: .\n", -1},
	    {"User-agent: *\nCrawl-delay:\n", -1},
	    {"User-agent: *\ncrawl-delay:2 # seconds\n", 2000},
	    {"User-agent: *\nCRAWL-DELAY : 4\n", 4000},
	    {"User-agent: *\nCrawl-delay: 5\nUser-agent: fetchall\nCrawl-delay: 1\n", 1000},
	    {"User-agent: *\nCrawl-delay: 5\nUser-agent: fetchall\nDisallow: /x\n", -1},
	    {"User-agent: fetchall\nCrawl-delay: 1\n\nUser-agent: fetchall/2\nCrawl-delay: 3\n",
	     3000},
	    {"User-agent: other\nCrawl-delay: 9\n", -1},
	    {"Crawl-delay: 9\nUser-agent: *\nDisallow: /x\n", -1},
	    {"", -1},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct robots *r =
		    parse_or_fail(cases[i].robots, strlen(cases[i].robots), "fetchall");
		long got = robots_crawl_delay_ms(r);

		if (got != cases[i].ms)
			fail_msg("case %zu: got %ld ms, want %ld\n%s", i, got, cases[i].ms,
				 cases[i].robots);
		robots_free(r);
	}
}

static void test_robots_comments_and_junk(void **state)
{
	static const char comments[] = "# comment\n"
				       "User-agent: * # trailing comment\n"
				       "   # indented comment\n"
				       "Disallow: /a # comment after a rule\n"
				       "Disallow: /e#x\n";
	static const char junk[] = "User-agent: *\n"
				   "Disallow /nocolon\n"
				   "Disallow: /c\n"
				   ":\n"
				   ": /orphan\n"
				   "   DISALLOW   :   /d   \n"
				   "\tdisallow\t:\t/tab\t\n"
				   "Dissallow: /typo\n"
				   "Disallow: relative\n"
				   "Disallow: %2Fencoded-slash\n"
				   "Noindex: /n\n"
				   "\x01\x02\xff\xfe: \x80\n"
				   "Allow: /c/ok\n";
	static const char html[] = "<!DOCTYPE html>\n<html><head><title>Not found</title></head>\n"
				   "<body><p>Disallow: /</p></body></html>\n";
	static const struct allow_case cases[] = {
	    {comments, "fetchall", "/a", false},   {comments, "fetchall", "/eee", false},
	    {comments, "fetchall", "/b", true},    {junk, "fetchall", "/nocolon", true},
	    {junk, "fetchall", "/c", false},       {junk, "fetchall", "/c/ok", true},
	    {junk, "fetchall", "/orphan", true},   {junk, "fetchall", "/d", false},
	    {junk, "fetchall", "/tab", false},     {junk, "fetchall", "/typo", false},
	    {junk, "fetchall", "/relative", true}, {junk, "fetchall", "/encoded-slash", true},
	    {junk, "fetchall", "/n", true},        {html, "fetchall", "/", true},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

/* The same file with every line ending, with and without a BOM. */
static void test_robots_bom_and_line_endings(void **state)
{
	/* The BOM sits right before the first key: were it not skipped, the
	 * first line's key would be unknown and our group lost. */
	static const char *const lines[] = {
	    "User-agent: fetchall", "Disallow: /x", "Allow: /x/y", "Crawl-delay: 1.5", "",
	    "User-agent: other",    "Disallow: /",
	};
	static const char *const endings[] = {"\n", "\r\n", "\r"};

	(void)state;
	for (int bom = 0; bom < 2; bom++)
		for (size_t e = 0; e <= ARRAY_LEN(endings); e++) {
			char text[512];
			size_t len = 0;
			struct robots *r;

			if (bom)
				len += (size_t)snprintf(text, sizeof(text), "\xEF\xBB\xBF");
			for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
				/* e == 3: a different ending on each line */
				const char *eol = endings[e < 3 ? e : i % 3];

				len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
							lines[i], eol);
			}
			assert_true(len < sizeof(text));
			r = parse_or_fail(text, len, "fetchall");
			if (robots_allowed(r, "/x") || !robots_allowed(r, "/x/y") ||
			    !robots_allowed(r, "/z") || robots_crawl_delay_ms(r) != 1500)
				fail_msg("bom %d, endings %zu: wrong rules", bom, e);
			robots_free(r);
		}
}

/* A file of `total` bytes: our rules, filler comments, then `tail` placed
 * so that it starts `tail_at` bytes in, then more rules. */
static char *big_file(size_t total, const char *tail, size_t tail_at, size_t *len)
{
	static const char head[] = "User-agent: fetchall\nDisallow: /early\n";
	char *text = malloc(total);
	size_t pos = sizeof(head) - 1, tail_len = strlen(tail);

	assert_non_null(text);
	assert_true(tail_at > pos && tail_at + tail_len <= total);
	memcpy(text, head, pos);
	while (pos < tail_at) {
		size_t line = tail_at - pos < 80 ? tail_at - pos : 80;

		memset(text + pos, ' ', line);
		text[pos] = '#';
		text[pos + line - 1] = '\n';
		pos += line;
	}
	memcpy(text + tail_at, tail, tail_len);
	pos = tail_at + tail_len;
	while (pos < total) {
		static const char late[] = "Disallow: /late\n";
		size_t n = total - pos < sizeof(late) - 1 ? total - pos : sizeof(late) - 1;

		memcpy(text + pos, late, n);
		pos += n;
	}
	*len = total;
	return text;
}

/* RFC 9309 2.5: at least 500 KiB are parsed; fetchall stops there. */
static void test_robots_parses_500_kib_only(void **state)
{
	static const struct {
		const char *tail;
		long offset; /* where tail starts, relative to ROBOTS_MAX_BYTES */
		const char *path;
		bool allowed;
	} cases[] = {
	    /* A line wholly inside the limit counts. */
	    {"Disallow: /inside\n", -(long)sizeof("Disallow: /inside\n") + 1, "/inside", false},
	    /* Its newline is the first byte past the limit: still whole. */
	    {"Disallow: /edge\n", -(long)sizeof("Disallow: /edge\n") + 2, "/edge", false},
	    /* Cut in two by the limit: ignored rather than shortened. */
	    {"Disallow: /straddle\n", -8, "/straddle", true},
	    {"Disallow: /straddle\n", -8, "/str", true},
	    /* Past the limit. */
	    {"Disallow: /after\n", 10, "/after", true},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t len;
		char *text = big_file(ROBOTS_MAX_BYTES + 4096, cases[i].tail,
				      (size_t)((long)ROBOTS_MAX_BYTES + cases[i].offset), &len);
		struct robots *r = parse_or_fail(text, len, "fetchall");

		if (robots_allowed(r, cases[i].path) != cases[i].allowed)
			fail_msg("case %zu: '%s' should be %s", i, cases[i].path,
				 cases[i].allowed ? "allowed" : "disallowed");
		assert_false(robots_allowed(r, "/early"));
		assert_true(robots_allowed(r, "/late"));
		robots_free(r);
		free(text);
	}
}

/* Like Google's parser, only the first ROBOTS_MAX_LINE bytes of a line
 * count; the next line is parsed as usual. */
static void test_robots_long_line_is_cut(void **state)
{
	size_t pattern_len = ROBOTS_MAX_LINE + 1000;
	size_t cap = pattern_len + 200, len;
	char *text = malloc(cap), *path = malloc(pattern_len + 2);
	struct robots *r;

	(void)state;
	assert_non_null(text);
	assert_non_null(path);
	len = (size_t)snprintf(text, cap, "User-agent: *\nDisallow: /");
	memset(text + len, 'x', pattern_len);
	len += pattern_len;
	len += (size_t)snprintf(text + len, cap - len, "y\nDisallow: /next\n");
	r = parse_or_fail(text, len, "fetchall");

	/* The kept prefix, "/xxx...", matches a path of x's without the y. */
	path[0] = '/';
	memset(path + 1, 'x', pattern_len);
	path[pattern_len + 1] = '\0';
	assert_false(robots_allowed(r, path));
	assert_true(robots_allowed(r, "/x"));
	assert_false(robots_allowed(r, "/next"));
	robots_free(r);
	free(text);
	free(path);
}

static void test_robots_rule_cap(void **state)
{
	size_t cap = (ROBOTS_MAX_RULES + 10) * 32, len;
	char *text = malloc(cap);
	struct robots *r;

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "User-agent: *\n");
	for (int i = 0; i <= ROBOTS_MAX_RULES; i++)
		len += (size_t)snprintf(text + len, cap - len, "Disallow: /r%d/\n", i);
	assert_true(len < cap);
	r = parse_or_fail(text, len, "fetchall");
	assert_false(robots_allowed(r, "/r0/x"));
	assert_false(robots_allowed(r, "/r9999/x"));
	assert_true(robots_allowed(r, "/r10000/x"));
	robots_free(r);
	free(text);
}

/* Patterns that make a backtracking matcher exponential or quadratic. */
static void test_robots_hostile_wildcards_are_fast(void **state)
{
	static const char *const patterns[] = {
	    "/*a*a*a*a*a*a*a*a*a*a*b",
	    "/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b$",
	    "/*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b*",
	};
	size_t path_len = 100000;
	char *path = malloc(path_len + 1);
	uint64_t start, elapsed_ms;

	(void)state;
	assert_non_null(path);
	path[0] = '/';
	memset(path + 1, 'a', path_len - 1);
	path[path_len] = '\0';
	start = sync_now_ns();
	for (size_t i = 0; i < ARRAY_LEN(patterns); i++) {
		char text[256];
		struct robots *r;

		snprintf(text, sizeof(text), "User-agent: *\nDisallow: %s\n", patterns[i]);
		r = parse_or_fail(text, strlen(text), "fetchall");
		for (int rep = 0; rep < 10; rep++)
			assert_true(robots_allowed(r, path));
		robots_free(r);
	}
	elapsed_ms = (sync_now_ns() - start) / 1000000;
	/* 40 queries of a 100 KB path: about 10 ms in a release build. */
	if (elapsed_ms > 1000)
		fail_msg("hostile patterns took %llu ms", (unsigned long long)elapsed_ms);
	free(path);
}

static void test_robots_status_verdicts(void **state)
{
	static const struct {
		long code;
		enum robots_fetch_verdict verdict;
	} cases[] = {
	    {200, ROBOTS_FETCH_PARSE},        {203, ROBOTS_FETCH_PARSE},
	    {204, ROBOTS_FETCH_PARSE},        {299, ROBOTS_FETCH_PARSE},
	    {301, ROBOTS_FETCH_ALLOW_ALL},    {302, ROBOTS_FETCH_ALLOW_ALL},
	    {308, ROBOTS_FETCH_ALLOW_ALL},    {400, ROBOTS_FETCH_ALLOW_ALL},
	    {401, ROBOTS_FETCH_ALLOW_ALL},    {403, ROBOTS_FETCH_ALLOW_ALL},
	    {404, ROBOTS_FETCH_ALLOW_ALL},    {410, ROBOTS_FETCH_ALLOW_ALL},
	    {451, ROBOTS_FETCH_ALLOW_ALL},    {499, ROBOTS_FETCH_ALLOW_ALL},
	    {429, ROBOTS_FETCH_DISALLOW_ALL}, {500, ROBOTS_FETCH_DISALLOW_ALL},
	    {502, ROBOTS_FETCH_DISALLOW_ALL}, {503, ROBOTS_FETCH_DISALLOW_ALL},
	    {599, ROBOTS_FETCH_DISALLOW_ALL}, {0, ROBOTS_FETCH_DISALLOW_ALL},
	    {100, ROBOTS_FETCH_DISALLOW_ALL}, {-1, ROBOTS_FETCH_DISALLOW_ALL},
	    {600, ROBOTS_FETCH_DISALLOW_ALL}, {199, ROBOTS_FETCH_DISALLOW_ALL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (robots_verdict_for_status(cases[i].code) != cases[i].verdict)
			fail_msg("status %ld: got %d, want %d", cases[i].code,
				 robots_verdict_for_status(cases[i].code), cases[i].verdict);
}

static void test_robots_null_allows_all(void **state)
{
	(void)state;
	assert_true(robots_allowed(NULL, "/"));
	assert_true(robots_allowed(NULL, "/private"));
	assert_true(robots_allowed(NULL, NULL));
	assert_int_equal(robots_crawl_delay_ms(NULL), -1);
	assert_int_equal(robots_sitemap_count(NULL), 0);
	assert_null(robots_sitemap(NULL, 0));
	robots_free(NULL);
}

static void test_robots_shared_verdict_objects(void **state)
{
	struct robots *allow = robots_allow_all(), *deny = robots_disallow_all();

	(void)state;
	assert_non_null(allow);
	assert_non_null(deny);
	assert_ptr_equal(allow, robots_allow_all());
	assert_true(robots_allowed(allow, "/"));
	assert_true(robots_allowed(allow, "/anything?at=all"));
	assert_int_equal(robots_crawl_delay_ms(allow), -1);
	assert_false(robots_allowed(deny, "/"));
	assert_false(robots_allowed(deny, "/x"));
	assert_false(robots_allowed(deny, ""));
	assert_true(robots_allowed(deny, "/robots.txt"));
	assert_true(robots_allowed(deny, "/robots.txt?v=2"));
	assert_int_equal(robots_crawl_delay_ms(deny), -1);
	assert_int_equal(robots_sitemap_count(deny), 0);
	/* Freeing them is a no-op, any number of times. */
	robots_free(allow);
	robots_free(deny);
	robots_free(deny);
	assert_false(robots_allowed(robots_disallow_all(), "/x"));
}

static void test_robots_robots_txt_always_allowed(void **state)
{
	static const char all[] = "User-agent: *\nDisallow: /\nDisallow: /robots.txt$\n";
	static const struct allow_case cases[] = {
	    {all, "fetchall", "/robots.txt", true},   {all, "fetchall", "/robots.txt#top", true},
	    {all, "fetchall", "/robots%2etxt", true}, {all, "fetchall", "/robots.txt.bak", false},
	    {all, "fetchall", "/ROBOTS.TXT", false},  {all, "fetchall", "/sub/robots.txt", false},
	};

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
}

/* Paths without a leading '/', empty paths, fragments. */
static void test_robots_path_forms(void **state)
{
	static const char text[] = "User-agent: *\nDisallow: /$\nDisallow: /*?q\n"
				   "Disallow: /frag\n";
	static const struct allow_case cases[] = {
	    {text, "fetchall", "", false},        {text, "fetchall", "/", false},
	    {text, "fetchall", "?q=1", false},    {text, "fetchall", "/a?q", false},
	    {text, "fetchall", "#frag", false},   {text, "fetchall", "/a#?q", true},
	    {text, "fetchall", "/a#/frag", true}, {text, "fetchall", "/frag#x", false},
	};
	struct robots *r = parse_or_fail(text, strlen(text), "fetchall");

	(void)state;
	check_allow_cases(cases, ARRAY_LEN(cases));
	assert_false(robots_allowed(r, NULL));
	robots_free(r);
}

/* Paths long enough for the heap buffer, and their expansion by encoding. */
static void test_robots_long_paths(void **state)
{
	static const char text[] = "User-agent: *\nDisallow: /*%E2%9C%93$\nAllow: /*z\n";
	size_t n = 10000;
	char *path = malloc(3 * n + 8);
	struct robots *r = parse_or_fail(text, strlen(text), "fetchall");

	(void)state;
	assert_non_null(path);
	path[0] = '/';
	for (size_t i = 0; i < n; i++)
		memcpy(path + 1 + 3 * i, "\xE2\x9C\x93", 3);
	path[1 + 3 * n] = '\0';
	assert_false(robots_allowed(r, path));
	memcpy(path + 1 + 3 * n, "z", 2);
	assert_true(robots_allowed(r, path));
	robots_free(r);
	free(path);
}

static void test_robots_sitemaps(void **state)
{
	static const char text[] = "Sitemap: https://x.invalid/s1.xml\n"
				   "User-agent: *\n"
				   "Sitemap: https://x.invalid/s2.xml\n"
				   "Disallow: /\n"
				   "Site-map:   https://x.invalid/s3.xml   \n"
				   "Sitemap:\n"
				   "User-agent: other\n"
				   "SITEMAP: https://x.invalid/s4.xml # for everyone\n";
	struct robots *r = parse_or_fail(text, strlen(text), "fetchall");
	char many[8192];
	size_t len = 0;

	(void)state;
	assert_int_equal(robots_sitemap_count(r), 4);
	assert_string_equal(robots_sitemap(r, 0), "https://x.invalid/s1.xml");
	assert_string_equal(robots_sitemap(r, 1), "https://x.invalid/s2.xml");
	assert_string_equal(robots_sitemap(r, 2), "https://x.invalid/s3.xml");
	assert_string_equal(robots_sitemap(r, 3), "https://x.invalid/s4.xml");
	assert_null(robots_sitemap(r, 4));
	/* The sitemap line did not end the "*" group. */
	assert_false(robots_allowed(r, "/x"));
	robots_free(r);

	for (int i = 0; i < ROBOTS_MAX_SITEMAPS + 6; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len,
					"Sitemap: https://x.invalid/%d.xml\n", i);
	assert_true(len < sizeof(many));
	r = parse_or_fail(many, len, "fetchall");
	assert_int_equal(robots_sitemap_count(r), ROBOTS_MAX_SITEMAPS + 6);
	assert_non_null(robots_sitemap(r, ROBOTS_MAX_SITEMAPS - 1));
	assert_null(robots_sitemap(r, ROBOTS_MAX_SITEMAPS));
	robots_free(r);
}

/*
 * Found by fuzz/fuzz_robots.c: a Sitemap value with a NUL byte inside.
 * The value is trimmed as bytes, but robots_sitemap() hands it out as a
 * C string, which ends at the NUL, just after a blank: the caller got
 * "... (+ht\f" and "https://x.invalid/s.xml ", against robots.h's
 * "whitespace trimmed".  The first line is the fuzzer's own.
 */
static void test_robots_sitemap_nul_byte(void **state)
{
	static const char text[] =
	    "User-agent: *\n"
	    "Sitemap:  httper-Agent: FetchAll/2.0 (+ht\f\0\0\0//example.invalid/fetchall)\n"
	    "Sitemap: https://x.invalid/s.xml \0tail\n"
	    "Sitemap: \0https://x.invalid/after-nul.xml\n";
	struct robots *r = parse_or_fail(text, sizeof(text) - 1, "fetchall");

	(void)state;
	for (size_t i = 0; i < robots_sitemap_count(r); i++) {
		const char *s = robots_sitemap(r, i);
		size_t len;

		assert_non_null(s);
		len = strlen(s);
		if (len > 0 && (strchr(" \t\v\f", s[0]) || strchr(" \t\v\f", s[len - 1])))
			fail_msg("sitemap %zu is \"%s\": not trimmed", i, s);
	}
	robots_free(r);
}

static void test_robots_bad_arguments(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *agent;
		bool null_out;
		enum fa_err err;
	} cases[] = {
	    {"User-agent: *\n", 14, "fetchall", true, FA_ERR_ARG},
	    {"User-agent: *\n", 14, NULL, false, FA_ERR_ARG},
	    {NULL, 5, "fetchall", false, FA_ERR_ARG},
	    {"User-agent: *\n", 14, "", false, FA_ERR_ARG},
	    {"User-agent: *\n", 14, "/1.0", false, FA_ERR_ARG},
	    {"User-agent: *\n", 14, "123bot", false, FA_ERR_ARG},
	    {"User-agent: *\n", 14, " fetchall", false, FA_ERR_ARG},
	    {NULL, 0, "fetchall", false, FA_OK},
	    {"", 0, "fetchall", false, FA_OK},
	    {"User-agent: *\n", 14, "fetch_all-2", false, FA_OK},
	};

	static char sentinel;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct robots *r = (struct robots *)&sentinel; /* must be overwritten */
		enum fa_err err = robots_parse(cases[i].text, cases[i].len, cases[i].agent,
					       cases[i].null_out ? NULL : &r);

		if (err != cases[i].err)
			fail_msg("case %zu: got %s, want %s", i, fa_strerror(err),
				 fa_strerror(cases[i].err));
		if (cases[i].null_out)
			continue;
		if (err == FA_OK) {
			assert_non_null(r);
			assert_true(robots_allowed(r, "/x"));
			robots_free(r);
		} else {
			assert_null(r);
		}
	}
}

/*
 * Each input ends exactly at an unreadable page, so reading one byte past
 * `len` (or past a path's NUL) faults.
 */
static void test_robots_no_overread(void **state)
{
	static const char *const inputs[] = {
	    "User-agent: *\nDisallow: /%",
	    "User-agent: *\nDisallow: /a%4",
	    "User-agent: *\nDisallow: /a$",
	    "User-agent: *\nDisallow: /a*",
	    "User-agent: *\r",
	    "\xEF\xBB",
	    "User-agent: fetchall\nCrawl-delay: 1.",
	    "User-agent: *\nDisallow: /x#",
	    "User-agent: *",
	    "Sitemap: https://x.invalid/s",
	    "User-agent",
	};
	static const char *const paths[] = {"/%", "/a%4", "/a", "", "/a?", "/%e"};
	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 1), 0);

	for (size_t i = 0; i < ARRAY_LEN(inputs); i++) {
		size_t len = strlen(inputs[i]);
		const char *text = guard_copy(&g, inputs[i], len);
		struct robots *r;

		assert_non_null(text);
		r = parse_or_fail(text, len, "fetchall");
		for (size_t j = 0; j < ARRAY_LEN(paths); j++) {
			const char *path = guard_str(&g, paths[j]);

			assert_non_null(path);
			(void)robots_allowed(r, path);
		}
		robots_free(r);
	}
	guard_release(&g);
}

static char *read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FIXTURES");
	char path[1024];
	char *buf = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/robots/%s", dir && *dir ? dir : "fixtures", name);
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
		*len += got;
		if (got == 0)
			break;
	}
	assert_false(ferror(f));
	fclose(f);
	return buf;
}

static void test_robots_fixtures(void **state)
{
	static const struct {
		const char *file, *agent, *path;
		bool allowed;
	} cases[] = {
	    {"wordpress.txt", "fetchall", "/", true},
	    {"wordpress.txt", "fetchall", "/2024/05/hello-world/", true},
	    {"wordpress.txt", "fetchall", "/wp-admin/", false},
	    {"wordpress.txt", "fetchall", "/wp-admin/options.php", false},
	    {"wordpress.txt", "fetchall", "/wp-admin/admin-ajax.php", true},
	    {"wordpress.txt", "fetchall", "/wp-login.php?redirect_to=x", false},
	    {"wordpress.txt", "fetchall", "/?s=robots", false},
	    {"wordpress.txt", "fetchall", "/?p=12", true},
	    {"news.txt", "fetchall", "/world/2024/story.html", true},
	    {"news.txt", "fetchall", "/search", false},
	    {"news.txt", "fetchall", "/search?q=x", false},
	    {"news.txt", "fetchall", "/search/about", true},
	    {"news.txt", "fetchall", "/search/about/x", false},
	    {"news.txt", "fetchall", "/world/story?print=1", false},
	    {"news.txt", "fetchall", "/world/story?ref=a&print=1", false},
	    {"news.txt", "fetchall", "/world/story/amp", false},
	    {"news.txt", "fetchall", "/world/story/amp/x", true},
	    {"news.txt", "fetchall", "/api/v2/users", false},
	    {"news.txt", "fetchall", "/api/public/feed.json", true},
	    {"news.txt", "fetchall", "/files/report.pdf", false},
	    {"news.txt", "fetchall", "/files/report.pdf?dl=1", true},
	    {"news.txt", "fetchall", "/archive/1999/05/", false},
	    {"news.txt", "fetchall", "/archive/2001/05/", true},
	    {"news.txt", "fetchall", "/tag/\xE2\x9C\x93/", false},
	    {"news.txt", "fetchall", "/tag/%e2%9c%93/page2", false},
	    {"news.txt", "GPTBot", "/world/story", false},
	    {"news.txt", "ccbot", "/", false},
	    {"news.txt", "Googlebot-News", "/search", true},
	    {"news.txt", "Googlebot-News", "/live-updates/42/comments", false},
	    {"news.txt", "bingbot", "/account/", true},
	    {"shop.txt", "fetchall", "/cart", false},
	    {"shop.txt", "fetchall", "/checkout", true},
	    {"shop.txt", "fetchall", "/account/orders", false},
	    {"shop.txt", "fetchall", "/account/login", true},
	    {"shop.txt", "fetchall", "/products/x.json", true},
	    {"shop.txt", "otherbot", "/checkout", false},
	    {"shop.txt", "otherbot", "/collections/shoes?page=2&sort=price", false},
	    {"shop.txt", "otherbot", "/collections/shoes?filter=red", false},
	    {"shop.txt", "otherbot", "/collections/shoes?page=2", true},
	    {"shop.txt", "otherbot", "/collections/shoes.json", false},
	    {"shop.txt", "otherbot", "/products/boot.json", true},
	    {"shop.txt", "otherbot", "/products/boot.json?v=1", true},
	    {"shop.txt", "otherbot", "/collections/red+shoes", false},
	    {"shop.txt", "otherbot", "/collections/red%2Bshoes", false},
	    {"shop.txt", "otherbot", "/admin", false},
	    {"shop.txt", "ahrefsbot", "/", false},
	    {"blocked.txt", "fetchall", "/", false},
	    {"blocked.txt", "fetchall", "/public/page.html", false},
	    {"blocked.txt", "fetchall", "/robots.txt", true},
	    {"blocked.txt", "googlebot", "/public/page.html", true},
	    {"blocked.txt", "duckduckbot", "/private/x", false},
	    {"combined.txt", "fetchall", "/", true},
	    {"combined.txt", "fetchall", "/tmp/x", false},
	    {"combined.txt", "fetchall", "/tmp/public/x", true},
	    {"combined.txt", "fetchall", "/cgi-bin/run", false},
	    {"combined.txt", "someotherbot", "/tmp/x", true},
	    {"combined.txt", "someotherbot", "/cgi-bin/run", false},
	    {"combined.txt", "thirdbot", "/anything", false},
	};
	static const struct {
		const char *file, *agent;
		long crawl_delay_ms;
		size_t sitemaps;
	} files[] = {
	    {"wordpress.txt", "fetchall", -1, 1}, {"news.txt", "fetchall", -1, 2},
	    {"news.txt", "bingbot", 5000, 2},     {"shop.txt", "fetchall", 2500, 0},
	    {"shop.txt", "otherbot", -1, 0},      {"blocked.txt", "fetchall", -1, 0},
	    {"blocked.txt", "bingbot", 1000, 0},  {"combined.txt", "fetchall/1.0", 3000, 1},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t len;
		char *text = read_fixture(cases[i].file, &len);
		struct robots *r = parse_or_fail(text, len, cases[i].agent);

		if (robots_allowed(r, cases[i].path) != cases[i].allowed)
			fail_msg("%s, agent '%s', path '%s': want %s", cases[i].file,
				 cases[i].agent, cases[i].path,
				 cases[i].allowed ? "allowed" : "disallowed");
		robots_free(r);
		free(text);
	}
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		size_t len;
		char *text = read_fixture(files[i].file, &len);
		struct robots *r = parse_or_fail(text, len, files[i].agent);

		if (robots_crawl_delay_ms(r) != files[i].crawl_delay_ms ||
		    robots_sitemap_count(r) != files[i].sitemaps)
			fail_msg("%s, agent '%s': crawl-delay %ld, sitemaps %zu", files[i].file,
				 files[i].agent, robots_crawl_delay_ms(r), robots_sitemap_count(r));
		robots_free(r);
		free(text);
	}
}

struct query_worker {
	pthread_t thread;
	const struct robots *robots;
	unsigned seed;
	long wrong; /* recorded by the worker, asserted by the test thread */
};

static const struct {
	const char *path;
	bool allowed;
} shared_queries[] = {
    {"/", true},           {"/cart", false},           {"/account/login", true},
    {"/account/x", false}, {"/products/a.json", true}, {"/robots.txt", true},
};

static void *query_worker_main(void *arg)
{
	struct query_worker *w = arg;

	for (int i = 0; i < 20000; i++) {
		size_t q = (size_t)(w->seed + (unsigned)i * 7u) % ARRAY_LEN(shared_queries);

		if (robots_allowed(w->robots, shared_queries[q].path) != shared_queries[q].allowed)
			w->wrong++;
		if (robots_crawl_delay_ms(w->robots) != 2500)
			w->wrong++;
	}
	return NULL;
}

/* One parsed object queried by 1, 2 and 8 threads at once, repeated. */
static void test_robots_concurrent_queries(void **state)
{
	static const int thread_counts[] = {1, 2, 8};
	size_t len;
	char *text = read_fixture("shop.txt", &len);
	struct robots *r = parse_or_fail(text, len, "fetchall");

	(void)state;
	for (int round = 0; round < 3; round++)
		for (size_t t = 0; t < ARRAY_LEN(thread_counts); t++) {
			struct query_worker workers[8] = {{0}};
			int n = thread_counts[t];

			for (int i = 0; i < n; i++) {
				workers[i].robots = r;
				workers[i].seed = (unsigned)(i * 31 + round);
				assert_int_equal(pthread_create(&workers[i].thread, NULL,
								query_worker_main, &workers[i]),
						 0);
			}
			for (int i = 0; i < n; i++)
				assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
			for (int i = 0; i < n; i++)
				if (workers[i].wrong)
					fail_msg("%d threads, worker %d: %ld wrong answers", n, i,
						 workers[i].wrong);
		}
	robots_free(r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_robots_rfc_simple_example),
	    cmocka_unit_test(test_robots_rfc_longest_match_example),
	    cmocka_unit_test(test_robots_group_selection),
	    cmocka_unit_test(test_robots_merges_matching_groups),
	    cmocka_unit_test(test_robots_longest_match_wins),
	    cmocka_unit_test(test_robots_allow_wins_tie),
	    cmocka_unit_test(test_robots_wildcards),
	    cmocka_unit_test(test_robots_percent_encoding),
	    cmocka_unit_test(test_robots_empty_disallow),
	    cmocka_unit_test(test_robots_crawl_delay),
	    cmocka_unit_test(test_robots_comments_and_junk),
	    cmocka_unit_test(test_robots_bom_and_line_endings),
	    cmocka_unit_test(test_robots_parses_500_kib_only),
	    cmocka_unit_test(test_robots_long_line_is_cut),
	    cmocka_unit_test(test_robots_rule_cap),
	    cmocka_unit_test(test_robots_hostile_wildcards_are_fast),
	    cmocka_unit_test(test_robots_status_verdicts),
	    cmocka_unit_test(test_robots_null_allows_all),
	    cmocka_unit_test(test_robots_shared_verdict_objects),
	    cmocka_unit_test(test_robots_robots_txt_always_allowed),
	    cmocka_unit_test(test_robots_path_forms),
	    cmocka_unit_test(test_robots_long_paths),
	    cmocka_unit_test(test_robots_sitemaps),
	    cmocka_unit_test(test_robots_sitemap_nul_byte),
	    cmocka_unit_test(test_robots_bad_arguments),
	    cmocka_unit_test(test_robots_no_overread),
	    cmocka_unit_test(test_robots_fixtures),
	    cmocka_unit_test(test_robots_concurrent_queries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
