/* Unit tests for url: scheme policy over curl_url(), redaction,
 * normalization, host keys and shards, and url_split() (by table, and
 * against libcurl's own getters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "guard.h"
#include "url.h"

static void test_url_check_table(void **state)
{
	static const struct {
		const char *text;
		bool allow_file;
		bool ok;
		const char *normalized; /* NULL: don't check */
	} cases[] = {
	    {"http://example.com/a.jpg", false, true, "http://example.com/a.jpg"},
	    {"HTTPS://example.com", false, true, "https://example.com/"},
	    {"http://127.0.0.1:8080/x?y=1#frag", false, true, NULL},
	    {"http://[::1]:80/", false, true, NULL},
	    {"ftp://example.com/file", false, false, NULL},
	    {"file:///etc/passwd", false, false, NULL},
	    {"file:///etc/passwd", true, true, NULL},
	    {"example.com/a.jpg", false, false, NULL},
	    {"not a url", false, false, NULL},
	    {"http://", false, false, NULL},
	    {"http://exa mple.com/", false, false, NULL},
	    {"http://example.com:99999/", false, false, NULL},
	    {"javascript:alert(1)", false, false, NULL},
	    {"", false, false, NULL},
	    /* a byte that is not UTF-8 is escaped, valid UTF-8 kept */
	    {"http://h/caf\xe9/\xff?q=\xe9", false, true, "http://h/caf%E9/%FF?q=%E9"},
	    {"http://h/caf\xc3\xa9%e9", false, true, "http://h/caf\xc3\xa9%e9"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[128];
		char *norm = NULL;
		enum fa_err err =
		    url_check(cases[i].text, cases[i].allow_file, &norm, why, sizeof(why));

		if ((err == FA_OK) != cases[i].ok)
			fail_msg("case %zu '%s': got %d (%s)", i, cases[i].text, err, why);
		if (err != FA_OK)
			assert_true(why[0] != '\0');
		if (cases[i].normalized)
			assert_string_equal(norm, cases[i].normalized);
		free(norm);
	}
}

static void test_url_utf8_and_escape_table(void **state)
{
	static const struct {
		const char *in, *escaped;
		size_t first_len; /* url_utf8_len() of the first byte */
	} cases[] = {
	    {"a", "a", 1},
	    {"\xc3\xa9x", "\xc3\xa9x", 2},
	    {"\xe2\x82\xac", "\xe2\x82\xac", 3},
	    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 4},
	    {"\xe9t\xe9", "%E9t%E9", 0},
	    {"\xc0\xaf", "%C0%AF", 0},               /* overlong '/' */
	    {"\xed\xa0\x80", "%ED%A0%80", 0},        /* a surrogate */
	    {"\xf4\x90\x80\x80", "%F4%90%80%80", 0}, /* past U+10FFFF */
	    {"\xe2\x82", "%E2%82", 0},               /* cut at the end */
	    {"%E9 %", "%E9 %", 1},                   /* escapes stay as they are */
	    {"", "", 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = url_escape_non_utf8(cases[i].in);

		assert_non_null(out);
		assert_string_equal(out, cases[i].escaped);
		free(out);
		assert_int_equal(url_utf8_len((const unsigned char *)cases[i].in),
				 cases[i].first_len);
	}
}

static void test_url_check_file_hint(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(url_check("file:///x", false, NULL, why, sizeof(why)), FA_ERR_URL);
	assert_non_null(strstr(why, "--allow-file"));
	assert_int_equal(url_check("ftp://h/x", false, NULL, why, sizeof(why)), FA_ERR_URL);
	assert_non_null(strstr(why, "'ftp'"));
}

static void test_url_redact_table(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"https://bob:secret@host/p", "https://bob:***@host/p"},
	    {"https://bob@host/p", "https://bob@host/p"},
	    {"https://host/p?u=a:b@c", "https://host/p?u=a:b@c"},
	    {"http://a:b:c@h:8080/", "http://a:***@h:8080/"},
	    {"http://u:p@w@h/", "http://u:***@h/"},
	    {"not a url a:b@c", "not a url a:b@c"},
	    {"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];

		url_redact(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

static void test_url_redact_truncates(void **state)
{
	char out[8];

	(void)state;
	url_redact("https://u:p@host/", out, sizeof(out));
	assert_int_equal(strlen(out), 7);
	assert_null(strstr(out, "p@"));
}

static void test_url_normalize_spellings_agree(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"HTTP://Example.COM:80/a/./b/../c%7e#frag", "http://example.com/a/c~"},
	    {"http://example.com/a/c~", "http://example.com/a/c~"},
	    {"https://example.com:443", "https://example.com/"},
	    {"https://example.com:8443/", "https://example.com:8443/"},
	    {"http://h/%2f%3a?q=%7a%2F", "http://h/%2F%3A?q=z%2F"},
	    {"http://h/x?", "http://h/x"},
	    {"http://h/a%20b", "http://h/a%20b"},
	    {"http://H/../../up", "http://h/up"},
	    /* a directory and its index.html are one file */
	    {"http://h/index.html", "http://h/"},
	    {"http://h/d/index.html#top", "http://h/d/"},
	    {"http://h/d/index.html?x=1", "http://h/d/index.html?x=1"},
	    {"http://h/d/myindex.html", "http://h/d/myindex.html"},
	    {"http://h/index.htm", "http://h/index.htm"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;

		assert_int_equal(url_normalize(cases[i].in, &out), FA_OK);
		if (strcmp(out, cases[i].out))
			fail_msg("'%s' -> '%s', want '%s'", cases[i].in, out, cases[i].out);
		free(out);
	}
}

/*
 * Found by fuzz/fuzz_url_normalize.c: url_normalize() was not idempotent.
 * libcurl removes dot segments before the escapes of unreserved characters
 * are decoded, so "%2e%2e" came out as a ".." segment that the next
 * normalization removes: one resource, two seen-set keys.  "%2E" is "."
 * (RFC 3986 2.3, 6.2.2), so these spellings must give the same key, and
 * every key must normalize to itself.
 */
static void test_url_normalize_encoded_dot_segments(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"http://example.com/a/%2e%2e/b/%2E/c", "http://example.com/b/c"},
	    {"http://h/a/%2e/b", "http://h/a/b"},
	    {"http://h/%2E%2E/x", "http://h/x"},
	    {"http://h/a/.%2e/b", "http://h/b"},
	    {"http://h/a/%2e./b", "http://h/b"},
	    {"http://h/a/%2e%2e", "http://h/"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *once = NULL, *twice = NULL;

		assert_int_equal(url_normalize(cases[i].in, &once), FA_OK);
		assert_int_equal(url_normalize(once, &twice), FA_OK);
		if (strcmp(once, twice))
			fail_msg("'%s' -> '%s' -> '%s': not idempotent", cases[i].in, once, twice);
		if (strcmp(once, cases[i].out))
			fail_msg("'%s' -> '%s', want '%s'", cases[i].in, once, cases[i].out);
		free(once);
		free(twice);
	}
}

/* Found by fuzz/fuzz_url_normalize.c: decoding "%41" after a stray '%'
 * made a new escape ("%4%41" -> "%4A"), so normalizing twice differed. */
static void test_url_normalize_stray_percent(void **state)
{
	char *once = NULL, *twice = NULL;

	(void)state;
	assert_int_equal(url_normalize("http://h/%4%41%2fh?x=%%41", &once), FA_OK);
	assert_string_equal(once, "http://h/%254A%2Fh?x=%25A");
	assert_int_equal(url_normalize(once, &twice), FA_OK);
	assert_string_equal(once, twice);
	free(once);
	free(twice);
}

static void test_url_normalize_rejects(void **state)
{
	char *out = (char *)"x";

	(void)state;
	assert_int_equal(url_normalize("not a url", &out), FA_ERR_URL);
	assert_null(out);
}

/* url_host_key()'s short cut for plain URLs gives what libcurl's parts
 * give, and leaves everything else to libcurl: the same result and key
 * both ways, for plain URLs and for each thing the short cut refuses. */
static void test_url_host_key_agrees_with_libcurl(void **state)
{
	static const char *const urls[] = {
	    "http://example.com/",
	    "https://Example.COM:8443/a?b#c",
	    "http://a.b",
	    "http://a.b?x",
	    "http://a.b#y",
	    "https://h1.fetchall.test:35311/bytes/10/f.bin",
	    "http://127.0.0.1:8080/",
	    "http://127.1/",
	    "http://0x7f.0.0.1/",
	    "http://010.0.0.1/",
	    "http://256.0.0.1/",
	    "http://1.2.3.4.5/",
	    "http://1.2.3/",
	    "http://2130706433/",
	    "http://1.2.3.com/",
	    "http://a.1/",
	    "http://[::1]:8080/x",
	    "http://[fe80::1%25eth0]/",
	    "http://user:pw@host.test/",
	    "http://user@host.test:81/",
	    "http://u:123@h.test/",
	    "http://host.test:/",
	    "http://host.test:0080/",
	    "http://host.test:65536/",
	    "http://host.test:65535/",
	    "http://host.test:8a/",
	    "http://host.test./",
	    "http://.host.test/",
	    "http://a..b/",
	    "http:///path",
	    "http://h_x.test/",
	    "http://ex%41mple.com/",
	    /* numbers libcurl reads as IPv4 addresses, hex too (fuzz) */
	    "http://0x0/",
	    "http://0X7f.1/",
	    "http://1.0xA/",
	    "http://0x0.com/",
	    "http://0x/",
	    "http://a.0xg/",
	    "http://b\xc3\xbc"
	    "cher.test/",
	    "http://a.test/x y",
	    "http://a.test/\x01",
	    "HTTP://A.TEST/",
	    "ftp://a.test/",
	    "file:///etc/passwd",
	    "http://a.test:1:2/",
	    "http://-a.test/",
	    "nope",
	    "",
	};
	char fast[300], slow[300];

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		enum fa_err a, b;

		memset(fast, 'x', sizeof(fast));
		memset(slow, 'y', sizeof(slow));
		a = url_host_key(urls[i], fast, sizeof(fast));
		b = url_host_key_libcurl(urls[i], slow, sizeof(slow));
		if (a != b || (a == FA_OK && strcmp(fast, slow)))
			fail_msg("%s: %d '%.40s' against libcurl's %d '%.40s'", urls[i], a,
				 a == FA_OK ? fast : "", b, b == FA_OK ? slow : "");
		a = url_host_key(urls[i], fast, 6);
		b = url_host_key_libcurl(urls[i], slow, 6);
		if (a != b)
			fail_msg("%s in 6 bytes: %d against libcurl's %d", urls[i], a, b);
	}
}

static void test_url_host_key_table(void **state)
{
	char key[64];

	(void)state;
	assert_int_equal(url_host_key("http://Example.com/x", key, sizeof(key)), FA_OK);
	assert_string_equal(key, "example.com:80");
	assert_int_equal(url_host_key("https://a.b:8443/", key, sizeof(key)), FA_OK);
	assert_string_equal(key, "a.b:8443");
	assert_int_equal(url_host_key("https://a.b/", key, sizeof(key)), FA_OK);
	assert_string_equal(key, "a.b:443");
	assert_int_equal(url_host_key("https://a.b/", key, 5), FA_ERR_TOO_LONG);
	assert_int_equal(url_host_key("nope", key, sizeof(key)), FA_ERR_URL);
	/* an IDN host as its punycode, the name looked up and connected to,
	 * so that both spellings are one host */
	assert_int_equal(url_host_key("http://b\xc3\xbc"
				      "cher.test:81/x",
				      key, sizeof(key)),
			 FA_OK);
	assert_string_equal(key, "xn--bcher-kva.test:81");
	assert_int_equal(url_host_key("https://xn--bcher-kva.test/", key, sizeof(key)), FA_OK);
	assert_string_equal(key, "xn--bcher-kva.test:443");
}

/* url_split: each part of each URL, the text placed so that its NUL is
 * the last readable byte (any over-read crashes). */
static void test_url_split_table(void **state)
{
	static const struct {
		const char *url;
		const char *origin, *path, *query, *fragment; /* NULL origin: refused */
	} cases[] = {
	    {"http://h/a/b.jpg", "http://h", "/a/b.jpg", "", ""},
	    {"http://h/", "http://h", "/", "", ""},
	    /* no path: query only, fragment only, nothing */
	    {"http://h", "http://h", "", "", ""},
	    {"http://h?q=/x.jpg", "http://h", "", "?q=/x.jpg", ""},
	    {"http://h#/x?y", "http://h", "", "", "#/x?y"},
	    {"http://h/?f=/b", "http://h", "/", "?f=/b", ""},
	    /* only the first '?' and the first '#' count */
	    {"http://h/a?b?c#d#e", "http://h", "/a", "?b?c", "#d#e"},
	    {"http://h/a#b?c", "http://h", "/a", "", "#b?c"},
	    /* user-info: '@' and ':' stay in the authority, a '/' ends it */
	    {"http://u:p@ss@h/x", "http://u:p@ss@h", "/x", "", ""},
	    {"http://u:p%2Fq@h/x", "http://u:p%2Fq@h", "/x", "", ""},
	    {"http://u/p@h/x", "http://u", "/p@h/x", "", ""},
	    {"http://u:p@h?x@y/z", "http://u:p@h", "", "?x@y/z", ""},
	    /* IPv6 literals, with a port and a zone */
	    {"http://[::1]:8080/a?b#c", "http://[::1]:8080", "/a", "?b", "#c"},
	    {"http://[fe80::1%25eth0]/x", "http://[fe80::1%25eth0]", "/x", "", ""},
	    {"https://u:p@[2001:db8::7]:443?q", "https://u:p@[2001:db8::7]:443", "", "?q", ""},
	    /* escapes are not decoded */
	    {"http://h/a%2F%3F%23?b%23#c", "http://h", "/a%2F%3F%23", "?b%23", "#c"},
	    {"file:///etc/passwd", "file://", "/etc/passwd", "", ""},
	    {"http://", "http://", "", "", ""},
	    {"x://b://c/d", "x://b:", "//c/d", "", ""},
	    /* no "://" */
	    {"", NULL, NULL, NULL, NULL},
	    {"/just/a/path", NULL, NULL, NULL, NULL},
	    {"mailto:a@b/c", NULL, NULL, NULL, NULL},
	    {"http:/h/x", NULL, NULL, NULL, NULL},
	};
	struct guard g;

	(void)state;
	assert_int_equal(guard_init(&g, 4096), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *url = guard_str(&g, cases[i].url);
		struct url_split parts = {1, 1, 1, 1, 1};
		bool ok = url_split(url, &parts);

		if (!cases[i].origin) {
			assert_false(ok);
			assert_int_equal(parts.authority + parts.path + parts.query +
					     parts.fragment + parts.end,
					 0);
			continue;
		}
		if (!ok)
			fail_msg("%s: refused", cases[i].url);
		assert_int_equal(parts.authority, strstr(cases[i].url, "://") + 3 - cases[i].url);
		assert_true(parts.authority <= parts.path && parts.path <= parts.query &&
			    parts.query <= parts.fragment && parts.fragment <= parts.end);
		assert_int_equal(parts.end, strlen(url));
		if (parts.path != strlen(cases[i].origin) ||
		    strncmp(url, cases[i].origin, parts.path) != 0 ||
		    parts.query - parts.path != strlen(cases[i].path) ||
		    strncmp(url + parts.path, cases[i].path, parts.query - parts.path) != 0 ||
		    parts.fragment - parts.query != strlen(cases[i].query) ||
		    strncmp(url + parts.query, cases[i].query, parts.fragment - parts.query) != 0 ||
		    strcmp(url + parts.fragment, cases[i].fragment) != 0)
			fail_msg("%s: split as [%.*s] [%.*s] [%.*s] [%s]", cases[i].url,
				 (int)parts.path, url, (int)(parts.query - parts.path),
				 url + parts.path, (int)(parts.fragment - parts.query),
				 url + parts.query, url + parts.fragment);
	}
	guard_release(&g);
}

/* url_split on what libcurl wrote finds the path, query and fragment
 * libcurl's own getters give, for hostile spellings and a 100 000-byte
 * path as well. */
static void test_url_split_agrees_with_libcurl(void **state)
{
	static const char *const inputs[] = {
	    "http://h",
	    "http://h?q=/x",
	    "http://h#/x?y",
	    "HTTP://U:P@Example.COM:80/a/./b/../c?d=/e@f#g/h",
	    "http://u:p%40x@h/p",
	    "http://u/x@h/p",
	    "http://[::1]:8080/a?b=/c#d/e",
	    "https://[2001:db8::7]?q#f",
	    "http://h/a?b?c#d#e",
	    "http://h/%2F?%23#%3F",
	    "file:///etc/passwd",
	    NULL, /* the long one */
	};
	size_t long_len = 100000;
	char *long_url = malloc(long_len + 1);
	struct guard g;

	(void)state;
	assert_non_null(long_url);
	memcpy(long_url, "http://h/", 9);
	memset(long_url + 9, 'a', long_len - 9 - 4);
	memcpy(long_url + long_len - 4, "?q#f", 5);
	assert_int_equal(guard_init(&g, long_len + 1), 0);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		const char *input = inputs[i] ? inputs[i] : long_url;
		CURLU *h = curl_url();
		char *written = NULL, *path = NULL, *query = NULL, *fragment = NULL;
		const char *url;
		struct url_split parts;

		assert_non_null(h);
		if (curl_url_set(h, CURLUPART_URL, input, 0) != CURLUE_OK ||
		    curl_url_get(h, CURLUPART_URL, &written, 0) != CURLUE_OK ||
		    curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
			fail_msg("libcurl refused %.60s", input);
		if (curl_url_get(h, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
			query = NULL;
		if (curl_url_get(h, CURLUPART_FRAGMENT, &fragment, 0) != CURLUE_OK)
			fragment = NULL;
		url = guard_str(&g, written);
		assert_true(url_split(url, &parts));
		if (parts.query - parts.path != strlen(path) ||
		    strncmp(url + parts.path, path, strlen(path)) != 0)
			fail_msg("%.60s: path [%.*s], libcurl's [%.60s]", written,
				 (int)(parts.query - parts.path), url + parts.path, path);
		if (query ? parts.fragment - parts.query != strlen(query) + 1 ||
				strncmp(url + parts.query + 1, query, strlen(query)) != 0
			  : parts.fragment != parts.query)
			fail_msg("%s: query [%.*s], libcurl's [%s]", written,
				 (int)(parts.fragment - parts.query), url + parts.query,
				 query ? query : "(none)");
		if (fragment ? strcmp(url + parts.fragment + 1, fragment) != 0
			     : parts.end != parts.fragment)
			fail_msg("%s: fragment [%s], libcurl's [%s]", written, url + parts.fragment,
				 fragment ? fragment : "(none)");
		curl_free(written);
		curl_free(path);
		curl_free(query);
		curl_free(fragment);
		curl_url_cleanup(h);
	}
	guard_release(&g);
	free(long_url);
}

/* url_shard: pinned values (FNV-1a 64 of "host:port", computed apart from
 * fetchall), one shard per host whatever the path, scheme spelling or
 * case, and an even spread. */
static void test_url_shard(void **state)
{
	static const struct {
		const char *url;
		unsigned n, want;
	} cases[] = {
	    {"https://example.com/", 2, 1},
	    {"https://example.com/", 3, 2},
	    {"https://example.com/", 7, 5},
	    {"https://example.com/", 1000, 877},
	    {"http://example.com/", 1000, 956},
	    {"http://127.0.0.1:8080/x", 7, 3},
	    {"https://EXAMPLE.com:443/a/b?c#d", 1000, 877},
	    {"https://user:pw@example.com/other", 1000, 877},
	    {"https://example.com/", 1, 0},
	};
	unsigned counts[4] = {0};
	unsigned shard;
	char url[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(url_shard(cases[i].url, cases[i].n, &shard), FA_OK);
		if (shard != cases[i].want)
			fail_msg("%s mod %u: %u, want %u", cases[i].url, cases[i].n, shard,
				 cases[i].want);
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(url, sizeof(url), "https://host%d.example/", i);
		assert_int_equal(url_shard(url, 4, &shard), FA_OK);
		assert_true(shard < 4);
		counts[shard]++;
	}
	for (int k = 0; k < 4; k++)
		assert_in_range(counts[k], 2250, 2750); /* 2500 +- 10 % */
	assert_int_equal(url_shard("not a url", 2, &shard), FA_ERR_URL);
	assert_int_equal(url_shard("https://example.com/", 0, &shard), FA_ERR_ARG);
}

static void test_url_same_origin_table(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} cases[] = {
	    {"http://example.com/a", "http://example.com/b?x#y", true},
	    {"http://Example.COM/a", "HTTP://example.com:80/", true},
	    {"https://example.com/", "https://example.com:443/x", true},
	    {"http://user:pw@example.com/", "http://example.com/", true},
	    {"http://example.com/", "https://example.com/", false},
	    {"http://example.com/", "http://example.com:8080/", false},
	    {"http://example.com/", "http://www.example.com/", false},
	    {"http://127.0.0.1:8080/", "http://localhost:8080/", false},
	    {"http://[::1]:80/", "http://[::1]/", true},
	    {"http://example.com.evil/", "http://example.com/", false},
	    {"http://example.com/", "not a url", false},
	    {"", "", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (url_same_origin(cases[i].a, cases[i].b) != cases[i].same ||
		    url_same_origin(cases[i].b, cases[i].a) != cases[i].same)
			fail_msg("case %zu: '%s' vs '%s': want %s", i, cases[i].a, cases[i].b,
				 cases[i].same ? "same" : "different");
	}
}

static void test_url_referer_table(void **state)
{
	static const struct {
		const char *page, *target;
		const char *want; /* NULL: no Referer */
	} cases[] = {
	    {"http://example.com/a/page.html", "http://example.com/img.png",
	     "http://example.com/a/page.html"},
	    {"http://bob:pw@example.com/p?q=1#top", "http://example.com/x",
	     "http://example.com/p?q=1"},
	    {"https://example.com/p", "https://cdn.example/x", "https://example.com/p"},
	    {"http://example.com/p", "https://example.com/x", "http://example.com/p"},
	    {"https://example.com/p", "http://example.com/x", NULL},
	    {"HTTPS://example.com/p", "http://example.com/x", NULL},
	    {"file:///etc/passwd", "http://example.com/x", NULL},
	    {"not a url", "http://example.com/x", NULL},
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = url_referer(cases[i].page, cases[i].target, out, sizeof(out));

		if (got != (cases[i].want != NULL) || (got && strcmp(out, cases[i].want)) ||
		    (!got && out[0]))
			fail_msg("case %zu: '%s' -> '%s': got %s '%s'", i, cases[i].page,
				 cases[i].target, got ? "true" : "false", out);
	}
	/* too small: nothing rather than a cut address */
	assert_false(url_referer("http://example.com/long/path", "http://example.com/", out, 10));
	assert_string_equal(out, "");
}

static void test_url_credentials_table(void **state)
{
	static const struct {
		const char *url;
		enum fa_err err;
		const char *user, *password; /* password NULL: none given */
	} cases[] = {
	    {"http://bob:pw@example.com/", FA_OK, "bob", "pw"},
	    {"http://b%40b:p%3Aw%2F@example.com/x", FA_OK, "b@b", "p:w/"},
	    {"http://bob@example.com/", FA_OK, "bob", NULL},
	    {"http://bob:@example.com/", FA_OK, "bob", ""},
	    {"http://example.com/", FA_ERR_URL, NULL, NULL},
	    {"not a url", FA_ERR_URL, NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *user = (char *)"x", *password = (char *)"x";
		enum fa_err err = url_credentials(cases[i].url, &user, &password);

		if (err != cases[i].err)
			fail_msg("case %zu: '%s': error %d", i, cases[i].url, (int)err);
		if (cases[i].user)
			assert_string_equal(user, cases[i].user);
		else
			assert_null(user);
		if (cases[i].password)
			assert_string_equal(password, cases[i].password);
		else
			assert_null(password);
		free(user);
		free(password);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_check_table),
	    cmocka_unit_test(test_url_check_file_hint),
	    cmocka_unit_test(test_url_utf8_and_escape_table),
	    cmocka_unit_test(test_url_redact_table),
	    cmocka_unit_test(test_url_redact_truncates),
	    cmocka_unit_test(test_url_normalize_spellings_agree),
	    cmocka_unit_test(test_url_normalize_encoded_dot_segments),
	    cmocka_unit_test(test_url_normalize_stray_percent),
	    cmocka_unit_test(test_url_normalize_rejects),
	    cmocka_unit_test(test_url_host_key_table),
	    cmocka_unit_test(test_url_host_key_agrees_with_libcurl),
	    cmocka_unit_test(test_url_split_table),
	    cmocka_unit_test(test_url_split_agrees_with_libcurl),
	    cmocka_unit_test(test_url_shard),
	    cmocka_unit_test(test_url_same_origin_table),
	    cmocka_unit_test(test_url_referer_table),
	    cmocka_unit_test(test_url_credentials_table),
	};

	/* as fetchall's main() does: IDN hosts read as UTF-8 (url.h) */
	if (!url_locale_init())
		fprintf(stderr, "test_url: no UTF-8 locale; IDN cases will fail\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
