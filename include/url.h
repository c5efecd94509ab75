/*
 * url: URL checks over libcurl's URL API (CURLU).
 *
 * fetchall never parses URLs by hand: curl_url() decides what is a URL,
 * and this module adds fetchall's policy on top (which schemes are
 * allowed) and the safe forms shown to users (credentials redacted).
 * Code that needs a part of a URL libcurl has already accepted, on a path
 * taken for every URL, asks url_split() rather than curl_url() again.
 */
#ifndef FA_URL_H
#define FA_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Checks that `text` is an absolute http or https URL (or file:// when
 * allow_file) that libcurl can parse.  On success returns FA_OK and, when
 * `normalized` is not NULL, stores libcurl's normalized form of the URL,
 * bytes that are not UTF-8 percent-encoded (url_escape_non_utf8), in
 * *normalized (caller frees with free()).  On failure returns FA_ERR_URL
 * and writes a short reason to errbuf ("unsupported scheme 'ftp'", "bad
 * port number", ...).  Thread-safe.
 */
enum fa_err url_check(const char *text, bool allow_file, char **normalized, char *errbuf,
		      size_t errlen);

/*
 * Copies `url` to out with any password in its user-info replaced by
 * "***" ("https://bob:***@host/"), for progress lines, logs and JSON.  A
 * string that is not a URL is copied unchanged.  Truncates to outlen - 1
 * bytes; always NUL-terminates when outlen > 0.  Thread-safe.
 */
void url_redact(const char *url, char *out, size_t outlen);

/*
 * The crawl's canonical form of an absolute http(s) URL, for the seen-set:
 * scheme and host lowercased, the scheme's default port dropped, dot
 * segments removed, the fragment dropped, percent-escapes of unreserved
 * characters decoded and the others' hex digits uppercased, and a last
 * segment "index.html" (with no query) dropped, since a directory and its
 * index.html are one file (as wget saves them).  Two spellings of one
 * resource ("HTTP://Host:80/a/./b/../c%7e#x" and "http://host/a/c~";
 * "http://h/d/index.html" and "http://h/d/") give the same string.  On success stores it in *out
 * (caller frees with free()).  FA_ERR_URL if text is not a URL libcurl can
 * parse, FA_ERR_NOMEM.  Thread-safe.
 */
enum fa_err url_normalize(const char *text, char **out);

/*
 * Writes the politeness key of an absolute URL, "host:port" with the host
 * lowercased and the port always given ("example.com:443"), to out.
 * FA_ERR_URL if it has no host, FA_ERR_TOO_LONG if out is too small.
 * Thread-safe.
 */
enum fa_err url_host_key(const char *url, char *out, size_t outlen);

/* url_host_key() always through curl_url(): url_host_key() takes a short
 * cut for plain http(s) URLs, and tests check the two agree. */
enum fa_err url_host_key_libcurl(const char *url, char *out, size_t outlen);

/*
 * URLs are UTF-8 (RFC 3987), whatever the user's locale: libcurl turns an
 * IDN host into its punycode with libidn2's idn2_lookup_ul(), which reads
 * the name in the locale's character set, so under the C locale every
 * IDN URL failed ("URL using bad/illegal format"), and under a Latin-1
 * one it would be misread.  Sets LC_CTYPE to C.UTF-8 (the rest of the
 * locale stays "C").  Returns false if the system has no UTF-8 locale
 * (IDN hosts then fail as before).  Process-wide: call before any thread
 * starts.
 */
bool url_locale_init(void);

/*
 * Where the parts of an absolute URL lie in its text, found without
 * allocating: "scheme://", the authority (user-info included), the path
 * ("" or "/..."), "?query" and "#fragment", one after another, make up the
 * whole string.  The split is libcurl's own, RFC 3986's: the authority
 * follows the first "://" and ends at the first '/', '?' or '#' (so a '/'
 * or '@' after one of those is never part of it); the path runs to the
 * first '?' or '#' after it, the query from that '?' to the first '#'.
 * Nothing is checked or decoded: this is for text libcurl has accepted
 * (url_check, url_normalize, html's links), where it gives the parts
 * libcurl found.  Returns true with the offsets in *out, or false (and
 * *out zeroed) when url has no "://".  Thread-safe.
 */
struct url_split {
	size_t authority; /* just past "://" */
	size_t path;      /* where the authority ends: "scheme://authority" is url[0, path) */
	size_t query;     /* where the path ends: '?', '#' or the end */
	size_t fragment;  /* where the query ends: '#' or the end */
	size_t end;       /* strlen(url) */
};
bool url_split(const char *url, struct url_split *out);

/*
 * True if a and b are absolute URLs of one origin (RFC 6454): the same
 * scheme, host and port, compared as libcurl parses them (scheme and host
 * case-insensitively, a missing port as the scheme's default, so
 * "http://H/" and "http://h:80/x" are one origin).  "127.0.0.1" and
 * "localhost" are two hosts, as they are to a browser.  False when either
 * is not a URL libcurl can parse: what decides whether headers and
 * credentials may follow a redirect errs on the side of not sending them.
 * Thread-safe.
 */
bool url_same_origin(const char *a, const char *b);

/*
 * The Referer to send with a request for target that a link on page led
 * to: page without its user-info and fragment, into out.  Returns false
 * (out "") when none should be sent: page is https and target is not (a
 * secure page's address never goes out in clear text, as browsers do by
 * default), either is not a URL, or it does not fit in outlen.
 * Thread-safe.
 */
bool url_referer(const char *page, const char *target, char *out, size_t outlen);

/*
 * The user name and password in url's user-info ("http://bob:pw@host/"),
 * percent-decoded, into *user and *password (caller frees both with
 * free(); *password is NULL when the URL has a user and no password).
 * FA_ERR_URL if url is not a URL or has no user; FA_ERR_NOMEM.
 * Thread-safe.
 */
enum fa_err url_credentials(const char *url, char **user, char **password);

/* The 64-bit FNV-1a hash of the NUL-terminated string text: what
 * url_shard() splits hosts by, and what URL tables hash with.
 * Thread-safe. */
uint64_t url_hash(const char *text);

/*
 * The shard, 0 .. nshards - 1, that url's host belongs to, for --shard:
 * the 64-bit FNV-1a hash of url_host_key()'s "host:port" modulo nshards.
 * Every URL of one host lands in the same shard, on every machine and in
 * every version (the function is part of the interface: other tools can
 * compute it to split work the same way).  Returns FA_OK with *shard set;
 * FA_ERR_URL for a URL without a host; FA_ERR_ARG for nshards 0.
 * Thread-safe.
 */
enum fa_err url_shard(const char *url, unsigned nshards, unsigned *shard);

/* The value of hex digit c, or -1.  Thread-safe. */
int url_hex_value(unsigned char c);

/*
 * The length (1 to 4) of the valid UTF-8 sequence s starts with, or 0 if
 * it starts none (a stray or cut sequence, an overlong form, a surrogate,
 * past U+10FFFF).  s is NUL-terminated; nothing past its NUL is read.
 * The one UTF-8 check: the JSON writer and url_escape_non_utf8() use it.
 * Thread-safe.
 */
size_t url_utf8_len(const unsigned char *s);

/*
 * url with every byte that is not part of valid UTF-8 percent-encoded
 * ("caf\xe9" -> "caf%E9", upper-case hex) and nothing else changed: the
 * URI form of the same URL (libcurl sends such a byte as that escape), so
 * a URL is one string in the request, the records, --json and the
 * --save-failed list.  Returns a new string (caller frees), NULL on OOM.
 * Thread-safe.
 */
char *url_escape_non_utf8(const char *url);

/* True for RFC 3986's unreserved characters (ALPHA DIGIT - . _ ~), which
 * mean the same encoded or not.  Thread-safe. */
bool url_unreserved(unsigned char c);

#endif
