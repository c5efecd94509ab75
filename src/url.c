/*
 * url: scheme policy and redaction on top of libcurl's CURLU API.
 *
 * Each call makes its own CURLU handle, so there is no shared state and
 * nothing to lock.  url_split() is the one place that splits URL text
 * by hand, the way libcurl's parser does; redaction works on the string
 * through it (it must also cope with text that is not a URL at all, such
 * as a bad input line), but only on the span libcurl would read as
 * user-info: in the authority, up to its last '@'.
 */
#include "url.h"

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static bool scheme_allowed(const char *scheme, bool allow_file)
{
	if (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https"))
		return true;
	return allow_file && !strcasecmp(scheme, "file");
}

enum fa_err url_check(const char *text, bool allow_file, char **normalized, char *errbuf,
		      size_t errlen)
{
	enum fa_err err = FA_ERR_URL;
	CURLU *h = curl_url();
	char *scheme = NULL;
	CURLUcode uc;

	if (normalized)
		*normalized = NULL;
	if (errlen)
		errbuf[0] = '\0';
	if (!h)
		return FA_ERR_NOMEM;
	if (!strstr(text, "://") && strncasecmp(text, "file:", 5)) {
		snprintf(errbuf, errlen, "not an absolute URL (no scheme://)");
		goto out;
	}
	uc = curl_url_set(h, CURLUPART_URL, text, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(errbuf, errlen, "%s", curl_url_strerror(uc));
		goto out;
	}
	uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	if (uc != CURLUE_OK) {
		snprintf(errbuf, errlen, "%s", curl_url_strerror(uc));
		goto out;
	}
	if (!scheme_allowed(scheme, allow_file)) {
		snprintf(errbuf, errlen, "unsupported scheme '%s'%s", scheme,
			 strcasecmp(scheme, "file") ? "" : " (use --allow-file)");
		goto out;
	}
	if (normalized) {
		char *text_form = NULL;

		uc = curl_url_get(h, CURLUPART_URL, &text_form, 0);
		if (uc != CURLUE_OK) {
			snprintf(errbuf, errlen, "%s", curl_url_strerror(uc));
			err = uc == CURLUE_OUT_OF_MEMORY ? FA_ERR_NOMEM : FA_ERR_URL;
			goto out;
		}
		/* libcurl keeps a raw byte that is not UTF-8 (and sends it
		 * escaped): escaped here, the URL is one string everywhere */
		*normalized = url_escape_non_utf8(text_form);
		curl_free(text_form);
		if (!*normalized) {
			err = FA_ERR_NOMEM;
			goto out;
		}
	}
	err = FA_OK;
out:
	curl_free(scheme);
	curl_url_cleanup(h);
	return err;
}

bool url_split(const char *url, struct url_split *out)
{
	const char *auth = strstr(url, "://");

	memset(out, 0, sizeof(*out));
	if (!auth)
		return false;
	out->authority = (size_t)(auth + 3 - url);
	out->path = out->authority + strcspn(url + out->authority, "/?#");
	out->query = out->path + strcspn(url + out->path, "?#");
	out->fragment = out->query + strcspn(url + out->query, "#");
	out->end = out->fragment + strlen(url + out->fragment);
	return true;
}

void url_redact(const char *url, char *out, size_t outlen)
{
	const char *auth = NULL;
	struct url_split parts;
	size_t span, colon = 0, at = 0;

	if (outlen == 0)
		return;
	if (url_split(url, &parts)) {
		auth = url + parts.authority;
		span = parts.path - parts.authority;
		for (size_t i = 0; i < span; i++) {
			if (auth[i] == '@')
				at = i + 1; /* the last '@' ends user-info */
		}
		for (size_t i = 0; at && i < at - 1; i++) {
			if (auth[i] == ':') {
				colon = i + 1;
				break;
			}
		}
	}
	if (!auth || !at || !colon) {
		snprintf(out, outlen, "%s", url);
		return;
	}
	/* scheme://user: + *** + @rest */
	snprintf(out, outlen, "%.*s***%s", (int)(auth - url + colon), url, auth + at - 1);
}

static void lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int url_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t url_utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *url_escape_non_utf8(const char *url)
{
	const unsigned char *p = (const unsigned char *)url;
	size_t bad = 0, len = strlen(url), n = 0;
	char *out;

	for (size_t i = 0; p[i];) {
		size_t k = url_utf8_len(p + i);

		bad += k == 0;
		i += k ? k : 1;
	}
	out = malloc(len + 2 * bad + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; p[i];) {
		size_t k = url_utf8_len(p + i);

		if (k == 0) {
			snprintf(out + n, 4, "%%%02X", p[i]);
			n += 3;
			i++;
			continue;
		}
		memcpy(out + n, p + i, k);
		n += k;
		i += k;
	}
	out[n] = '\0';
	return out;
}

bool url_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* A copy of s with %XY of an unreserved character decoded, other escapes'
 * hex digits uppercased (RFC 3986 6.2.2.1-2), and a '%' that starts no
 * escape written as "%25": otherwise decoding "%4%41" would make a new
 * escape "%4A", and normalizing would not be idempotent.  NULL on OOM. */
static char *normalize_escapes(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		int hi = s[0] == '%' ? url_hex_value((unsigned char)s[1]) : -1;
		int lo = hi >= 0 ? url_hex_value((unsigned char)s[2]) : -1;

		if (lo >= 0 && url_unreserved((unsigned char)(hi * 16 + lo))) {
			*o++ = (char)(hi * 16 + lo);
			s += 3;
		} else if (lo >= 0) {
			*o++ = '%';
			*o++ = (char)toupper((unsigned char)s[1]);
			*o++ = (char)toupper((unsigned char)s[2]);
			s += 3;
		} else if (*s == '%') {
			memcpy(o, "%25", 3);
			o += 3;
			s++;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* A directory and its index.html are one resource, as wget saves them:
 * ".../index.html" with no query becomes ".../" (in place). */
static void fold_index(char *url)
{
	static const char index[] = "/index.html";
	size_t len = strlen(url), n = sizeof(index) - 1;

	if (!strchr(url, '?') && len > n && strcmp(url + len - n, index) == 0)
		url[len - n + 1] = '\0';
}

enum fa_err url_normalize(const char *text, char **out)
{
	enum fa_err err = FA_ERR_URL;
	CURLU *h = curl_url();
	char *host = NULL, *url = NULL, *fixed = NULL;
	struct url_split parts;

	*out = NULL;
	if (!h)
		return FA_ERR_NOMEM;
	if (curl_url_set(h, CURLUPART_URL, text, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	lowercase(host);
	if (curl_url_set(h, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(h, CURLUPART_URL, &url, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	/* libcurl keeps escapes as written (and its setters may recase them),
	 * so normalise the finished string after the authority. */
	if (url_split(url, &parts) && parts.query > parts.path) {
		char *tail = normalize_escapes(url + parts.path);
		size_t head = parts.path;

		if (!tail) {
			err = FA_ERR_NOMEM;
			goto out;
		}
		fixed = malloc(head + strlen(tail) + 1);
		if (!fixed) {
			free(tail);
			err = FA_ERR_NOMEM;
			goto out;
		}
		memcpy(fixed, url, head);
		memcpy(fixed + head, tail, strlen(tail) + 1);
		free(tail);
	}
	/* Decoding can make dot segments ("%2e%2e" is ".."): libcurl removes
	 * them when it parses the URL once more, and what it gives back then
	 * needs no more decoding, so the result is a fixed point. */
	if (curl_url_set(h, CURLUPART_URL, fixed ? fixed : url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK)
		goto out;
	curl_free(url);
	url = NULL;
	if (curl_url_get(h, CURLUPART_URL, &url, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	*out = strdup(url);
	err = *out ? FA_OK : FA_ERR_NOMEM;
	if (*out)
		fold_index(*out);
out:
	free(fixed);
	curl_free(host);
	curl_free(url);
	curl_url_cleanup(h);
	return err;
}

uint64_t url_hash(const char *text)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	return h;
}

enum fa_err url_shard(const char *url, unsigned nshards, unsigned *shard)
{
	char key[512];
	enum fa_err err;

	if (nshards == 0)
		return FA_ERR_ARG;
	err = url_host_key(url, key, sizeof(key));
	if (err != FA_OK)
		return err == FA_ERR_TOO_LONG ? FA_ERR_URL : err;
	*shard = (unsigned)(url_hash(key) % nshards);
	return FA_OK;
}

/* Whether [s, s+n) is a port libcurl reads as itself: 1 to 65535, no
 * leading zero. */
static bool plain_port(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535;
}

/* Whether [s, s+n) is "0x" or "0X" and hex digits: a number to libcurl's
 * IPv4 parser (C's strtoul with base 0). */
static bool hex_label(const char *s, size_t n)
{
	if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (size_t i = 2; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Whether [s, s+n) is a host name libcurl keeps as it is: ASCII letters,
 * digits, '-' and '.', no empty label, and not a number it would rewrite
 * (an IPv4 address is taken only as four plain decimal parts; a last
 * label that is a number, decimal, octal or hex as "0x0", may make the
 * whole an address libcurl writes its own way). */
static bool plain_host(const char *s, size_t n)
{
	size_t label = 0, parts = 1;
	bool digits = true, quad = true; /* the last label all digits; so far a dotted quad */
	bool number = false;             /* the last label a number (hex too) */

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (label == 0)
				return false;
			if (!digits || label > 3 || (label > 1 && s[i - label] == '0') ||
			    atoi(s + i - label) > 255)
				quad = false;
			number = digits || hex_label(s + i - label, label);
			if (i < n) {
				parts++;
				label = 0;
				digits = true;
			}
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (c < '0' || c > '9')
			digits = false;
		label++;
	}
	return !number || (quad && parts == 4);
}

/* url_host_key() without libcurl, on the path every URL takes, for the
 * form libcurl gives a URL it accepted (url_check()'s):
 * "http(s)://host[:port]" with a plain host and port (above), no
 * credentials, and only printable ASCII anywhere (what libcurl refuses,
 * a space or a control byte, goes to libcurl to refuse).  False for
 * anything else, which libcurl then parses, so the key is always the one
 * libcurl's parts would give (test_url checks the two agree). */
static bool host_key_plain(const char *url, char *out, size_t outlen, enum fa_err *err)
{
	size_t a = 0, end, host, plen;
	const char *port = NULL;

	if (!strncmp(url, "http://", 7))
		a = 7, port = "80";
	else if (!strncmp(url, "https://", 8))
		a = 8, port = "443";
	else
		return false;
	for (const unsigned char *p = (const unsigned char *)url + a; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	end = a + strcspn(url + a, "/?#@:");
	host = end - a;
	if (url[end] == '@' || !plain_host(url + a, host))
		return false;
	if (url[end] == ':') {
		port = url + end + 1;
		plen = strcspn(port, "/?#@:");
		if (!plain_port(port, plen) || port[plen] == '@' || port[plen] == ':')
			return false;
	} else {
		plen = strlen(port);
	}
	if (host + 1 + plen >= outlen) {
		*err = FA_ERR_TOO_LONG;
		return true;
	}
	for (size_t i = 0; i < host; i++)
		out[i] = (char)tolower((unsigned char)url[a + i]);
	out[host] = ':';
	memcpy(out + host + 1, port, plen);
	out[host + 1 + plen] = '\0';
	*err = FA_OK;
	return true;
}

enum fa_err url_host_key(const char *url, char *out, size_t outlen)
{
	enum fa_err err;

	if (host_key_plain(url, out, outlen, &err))
		return err;
	return url_host_key_libcurl(url, out, outlen);
}

bool url_locale_init(void)
{
	return setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "C.utf8") ||
	       setlocale(LC_CTYPE, "en_US.UTF-8");
}

enum fa_err url_host_key_libcurl(const char *url, char *out, size_t outlen)
{
	enum fa_err err = FA_ERR_URL;
	CURLU *h = curl_url();
	char *host = NULL, *port = NULL;
	int n;

	if (!h)
		return FA_ERR_NOMEM;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto out;
	/* file:// (--allow-file) has no host: local files are one "host". */
	if (curl_url_get(h, CURLUPART_SCHEME, &host, 0) == CURLUE_OK &&
	    strcasecmp(host, "file") == 0) {
		n = snprintf(out, outlen, "file:");
		err = n >= 0 && (size_t)n < outlen ? FA_OK : FA_ERR_TOO_LONG;
		goto out;
	}
	curl_free(host);
	host = NULL;
	/* An IDN host as the name that is looked up and connected to, its
	 * punycode (what libcurl connects to: the resolver looks up the key's
	 * host, and the two spellings of a host are one host); as it is if
	 * libcurl cannot convert it (built without libidn2) */
	if (curl_url_get(h, CURLUPART_HOST, &host, CURLU_PUNYCODE) != CURLUE_OK) {
		/* libcurl 7.88 can fail the conversion with the plain host
		 * already handed out: ours to free (fuzz_url_normalize's leak) */
		curl_free(host);
		host = NULL;
		if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
			goto out;
	}
	if (curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	lowercase(host);
	n = snprintf(out, outlen, "%s:%s", host, port);
	err = n >= 0 && (size_t)n < outlen ? FA_OK : FA_ERR_TOO_LONG;
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return err;
}

/* "scheme://host:port" of an absolute URL into out, scheme and host
 * lowercased and the port always given.  False if it is not a URL with a
 * host, or out is too small. */
static bool origin_of(const char *url, char *out, size_t outlen)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	bool ok = false;
	int n;

	if (!h)
		return false;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		lowercase(scheme);
		lowercase(host);
		n = snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
		ok = n >= 0 && (size_t)n < outlen;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return ok;
}

bool url_same_origin(const char *a, const char *b)
{
	char oa[512], ob[512];

	return origin_of(a, oa, sizeof(oa)) && origin_of(b, ob, sizeof(ob)) && !strcmp(oa, ob);
}

bool url_referer(const char *page, const char *target, char *out, size_t outlen)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *url = NULL;
	struct url_split parts;
	bool ok = false;
	int n;

	if (outlen)
		out[0] = '\0';
	if (!h)
		return false;
	/* a secure page is never named to a plain http request */
	if (!url_split(target, &parts) ||
	    (!strncasecmp(page, "https:", 6) && strncasecmp(target, "https:", 6) != 0))
		goto out;
	if (curl_url_set(h, CURLUPART_URL, page, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    curl_url_set(h, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto out;
	n = snprintf(out, outlen, "%s", url);
	ok = n >= 0 && (size_t)n < outlen;
	if (!ok && outlen)
		out[0] = '\0';
out:
	curl_free(scheme);
	curl_free(url);
	curl_url_cleanup(h);
	return ok;
}

enum fa_err url_credentials(const char *url, char **user, char **password)
{
	CURLU *h = curl_url();
	char *u = NULL, *p = NULL;
	enum fa_err err = FA_ERR_URL;
	CURLUcode uc;

	*user = *password = NULL;
	if (!h)
		return FA_ERR_NOMEM;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_USER, &u, CURLU_URLDECODE) != CURLUE_OK)
		goto out;
	uc = curl_url_get(h, CURLUPART_PASSWORD, &p, CURLU_URLDECODE);
	if (uc != CURLUE_OK && uc != CURLUE_NO_PASSWORD)
		goto out;
	*user = strdup(u);
	*password = p ? strdup(p) : NULL;
	err = *user && (*password || !p) ? FA_OK : FA_ERR_NOMEM;
	if (err != FA_OK) {
		free(*user);
		free(*password);
		*user = *password = NULL;
	}
out:
	curl_free(u);
	curl_free(p);
	curl_url_cleanup(h);
	return err;
}
