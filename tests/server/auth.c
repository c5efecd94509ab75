/*
 * auth: the test server's HTTP authentication routes, and the MD5 they
 * need (RFC 1321), so the server stays free of libraries.
 *
 *   /basic-auth/USER/PASS[/x]   200 "authenticated USER\n" if the request
 *                               has "Authorization: Basic" with USER:PASS
 *                               (RFC 7617); else 401 with
 *                               WWW-Authenticate: Basic
 *   /digest-auth/USER/PASS[/x][?both=1]
 *                               the same with Digest (RFC 7616): MD5,
 *                               qop=auth (or none, RFC 2069's form),
 *                               and the response hash checked against
 *                               USER, PASS, the method and the uri the
 *                               request names, which must be its own
 *                               target; with both=1 the 401 offers
 *                               Basic too, and Basic credentials get a
 *                               403 "basic sent"
 *
 * USER and PASS are percent-decoded path segments.  The nonce is one
 * fixed string: a test server need not stop replays.  Nothing here keeps
 * state or locks: every function works on the calling thread's request.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsrv.h"

#define CRED_MAX       256  /* a decoded USER or PASS, bytes */
#define URL_TARGET_MAX 8192 /* path and query of a request */
#define PARAM_MAX      512  /* a Digest parameter's value, bytes */
#define REALM          "fetchall-test"
#define NONCE          "7e5a0c0ffee5e7f1d00dfeed5ca1ab1e"
#define OPAQUE         "0a4f113b"

/* ---- MD5 (RFC 1321) ---- */

struct md5 {
	uint32_t h[4];
	uint64_t len; /* bytes */
	uint8_t block[64];
};

static uint32_t md5_k[64];

/* K[i] = floor(|sin(i + 1)| * 2^32), as RFC 1321 defines them; computed
 * once at start (tsrv_auth_init), and checked there against the RFC's
 * test vectors. */
static const unsigned md5_shift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
				       5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
				       4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
				       6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static uint32_t rotl(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void md5_block(struct md5 *m, const uint8_t *p)
{
	uint32_t w[16], a = m->h[0], b = m->h[1], c = m->h[2], d = m->h[3];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, t;
		int g;

		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = d;
		d = c;
		c = b;
		b = b + rotl(a + f + md5_k[i] + w[g], md5_shift[i]);
		a = t;
	}
	m->h[0] += a;
	m->h[1] += b;
	m->h[2] += c;
	m->h[3] += d;
}

static void md5_init(struct md5 *m)
{
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->len = 0;
}

static void md5_add(struct md5 *m, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		size_t at = (size_t)(m->len % 64), n = 64 - at < len ? 64 - at : len;

		memcpy(m->block + at, p, n);
		m->len += n;
		p += n;
		len -= n;
		if (m->len % 64 == 0)
			md5_block(m, m->block);
	}
}

/* The digest as 32 lowercase hex digits and a NUL. */
static void md5_hex(struct md5 *m, char out[33])
{
	uint64_t bits = m->len * 8;
	uint8_t pad = 0x80, len_le[8];

	md5_add(m, &pad, 1);
	pad = 0;
	while (m->len % 64 != 56)
		md5_add(m, &pad, 1);
	for (int i = 0; i < 8; i++)
		len_le[i] = (uint8_t)(bits >> (8 * i));
	md5_add(m, len_le, 8);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned)(m->h[i / 4] >> (8 * (i % 4))) & 0xff);
}

/* MD5 of the strings given, joined by ':', as hex. */
static void md5_join(char out[33], int n, const char *const parts[])
{
	struct md5 m;

	md5_init(&m);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			md5_add(&m, ":", 1);
		md5_add(&m, parts[i], strlen(parts[i]));
	}
	md5_hex(&m, out);
}

int tsrv_auth_init(void)
{
	static const struct {
		const char *in, *hex;
	} vectors[] = {
	    {"", "d41d8cd98f00b204e9800998ecf8427e"},
	    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
	    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	     "57edf4a22be3c955ac49da2e2107b67a"},
	};
	char hex[33];

	for (int i = 0; i < 64; i++)
		md5_k[i] = (uint32_t)floor(fabs(sin((double)(i + 1))) * 4294967296.0);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		md5_join(hex, 1, &vectors[i].in);
		if (strcmp(hex, vectors[i].hex) != 0)
			return -1;
	}
	return 0;
}

/* ---- helpers ---- */

/* "/USER/PASS[/x]": the two decoded segments.  Returns 0 or -1. */
static int user_and_pass(const char *rest, char *user, char *pass)
{
	const char *u, *p, *end;
	long n;

	if (rest[0] != '/')
		return -1;
	u = rest + 1;
	p = strchr(u, '/');
	if (p == NULL || p == u)
		return -1;
	end = strchr(p + 1, '/');
	if (end == NULL)
		end = p + strlen(p);
	n = tsrv_pct_decode(u, (size_t)(p - u), 0, user, CRED_MAX);
	if (n < 0 || (size_t)n != strlen(user))
		return -1;
	n = tsrv_pct_decode(p + 1, (size_t)(end - p - 1), 0, pass, CRED_MAX);
	if (n < 0 || (size_t)n != strlen(pass))
		return -1;
	return 0;
}

/* The Authorization header's credentials for scheme ("Basic", "Digest"):
 * what follows the scheme and its spaces, its length in *len; NULL if the
 * header is absent or of another scheme. */
static const char *credentials(const struct tsrv_request *r, const char *scheme, size_t *len)
{
	size_t vlen, slen = strlen(scheme);
	const char *v = tsrv_header(r, "Authorization", &vlen);

	if (v == NULL || vlen <= slen || strncasecmp(v, scheme, slen) != 0 || v[slen] != ' ')
		return NULL;
	v += slen;
	vlen -= slen;
	while (vlen > 0 && *v == ' ') {
		v++;
		vlen--;
	}
	*len = vlen;
	return v;
}

static int b64_value(char ch)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = ch ? strchr(alphabet, ch) : NULL;

	return at ? (int)(at - alphabet) : -1;
}

/* Base64 (RFC 4648, padded) of s[0..len) into out (size bytes,
 * NUL-terminated).  Returns 0, or -1 if malformed or too long. */
static int b64_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pads = 0;

		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(s[i + k]);
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pads++;
			} else if (v[k] < 0 || pads > 0) {
				return -1;
			}
		}
		for (int k = 0; k < 3 - pads; k++) {
			uint32_t group = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
					 (uint32_t)v[2] << 6 | (uint32_t)v[3];

			if (o + 1 >= size)
				return -1;
			out[o++] = (char)(group >> (16 - 8 * k));
		}
	}
	out[o] = '\0';
	return 0;
}

static int authenticated(struct tsrv_conn *c, struct tsrv_request *r, const char *user)
{
	char body[CRED_MAX + 32];

	snprintf(body, sizeof(body), "authenticated %s\n", user);
	return tsrv_respond(c, r, 200, "text/plain", body, strlen(body), NULL);
}

static int unauthorized(struct tsrv_conn *c, struct tsrv_request *r, const char *challenge)
{
	static const char body[] = "unauthorized\n";

	return tsrv_respond(c, r, 401, "text/plain", body, sizeof(body) - 1, challenge);
}

/* ---- routes ---- */

int tsrv_route_basic_auth(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char user[CRED_MAX], pass[CRED_MAX], want[2 * CRED_MAX + 2], got[2 * CRED_MAX + 2];
	const char *v;
	size_t len;

	if (user_and_pass(rest, user, pass) != 0)
		return tsrv_respond(c, r, 400, "text/plain", "bad request\n", 12, NULL);
	snprintf(want, sizeof(want), "%s:%s", user, pass);
	v = credentials(r, "Basic", &len);
	if (v != NULL && b64_decode(v, len, got, sizeof(got)) == 0 && strcmp(got, want) == 0)
		return authenticated(c, r, user);
	return unauthorized(c, r, "WWW-Authenticate: Basic realm=\"" REALM "\"\r\n");
}

/* The value of Digest parameter name in v[0..len) (name=token or
 * name="quoted", comma-separated) into out, unquoted.  Returns 0, or -1
 * if absent or too long. */
static int digest_param(const char *v, size_t len, const char *name, char *out)
{
	size_t nlen = strlen(name), i = 0;

	while (i < len) {
		size_t start, o = 0;
		int match;

		while (i < len && (v[i] == ' ' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != '=' && v[i] != ',')
			i++;
		match = i - start == nlen && strncasecmp(v + start, name, nlen) == 0;
		if (i >= len || v[i] != '=')
			continue;
		i++;
		if (i < len && v[i] == '"') {
			for (i++; i < len && v[i] != '"'; i++) {
				if (v[i] == '\\' && i + 1 < len)
					i++;
				if (o + 1 >= PARAM_MAX)
					return -1;
				out[o++] = v[i];
			}
			i++; /* the closing quote */
		} else {
			for (; i < len && v[i] != ',' && v[i] != ' '; i++) {
				if (o + 1 >= PARAM_MAX)
					return -1;
				out[o++] = v[i];
			}
		}
		out[o] = '\0';
		if (match)
			return 0;
	}
	return -1;
}

int tsrv_route_digest_auth(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const char challenge[] =
	    "WWW-Authenticate: Digest realm=\"" REALM "\", qop=\"auth\", nonce=\"" NONCE
	    "\", opaque=\"" OPAQUE "\", algorithm=MD5\r\n";
	static const char both_challenges[] =
	    "WWW-Authenticate: Basic realm=\"" REALM "\"\r\n"
	    "WWW-Authenticate: Digest realm=\"" REALM "\", qop=\"auth\", nonce=\"" NONCE
	    "\", opaque=\"" OPAQUE "\", algorithm=MD5\r\n";
	char user[CRED_MAX], pass[CRED_MAX], target[URL_TARGET_MAX];
	char name[PARAM_MAX], realm[PARAM_MAX], nonce[PARAM_MAX], uri[PARAM_MAX];
	char response[PARAM_MAX], qop[PARAM_MAX], nc[PARAM_MAX], cnonce[PARAM_MAX];
	char ha1[33], ha2[33], want[33];
	const char *v;
	size_t len;

	bool both = strstr(r->query, "both=1") != NULL;

	if (user_and_pass(rest, user, pass) != 0)
		return tsrv_respond(c, r, 400, "text/plain", "bad request\n", 12, NULL);
	/* ?both=1: Basic is offered too, and a client that takes it is told */
	if (both && credentials(r, "Basic", &len) != NULL)
		return tsrv_respond(c, r, 403, "text/plain", "basic sent\n", 11, NULL);
	v = credentials(r, "Digest", &len);
	snprintf(target, sizeof(target), "%s%s%s", r->path, r->query[0] ? "?" : "", r->query);
	if (v == NULL || digest_param(v, len, "username", name) != 0 ||
	    digest_param(v, len, "realm", realm) != 0 ||
	    digest_param(v, len, "nonce", nonce) != 0 || digest_param(v, len, "uri", uri) != 0 ||
	    digest_param(v, len, "response", response) != 0 || strcmp(name, user) != 0 ||
	    strcmp(realm, REALM) != 0 || strcmp(nonce, NONCE) != 0 || strcmp(uri, target) != 0)
		return unauthorized(c, r, both ? both_challenges : challenge);
	{
		const char *a1[] = {user, REALM, pass};
		const char *a2[] = {r->method, uri};

		md5_join(ha1, 3, a1);
		md5_join(ha2, 2, a2);
	}
	if (digest_param(v, len, "qop", qop) == 0) {
		const char *parts[] = {ha1, nonce, nc, cnonce, qop, ha2};

		if (strcmp(qop, "auth") != 0 || digest_param(v, len, "nc", nc) != 0 ||
		    digest_param(v, len, "cnonce", cnonce) != 0)
			return unauthorized(c, r, both ? both_challenges : challenge);
		md5_join(want, 6, parts);
	} else {
		const char *parts[] = {ha1, nonce, ha2};

		md5_join(want, 3, parts);
	}
	if (strcasecmp(want, response) != 0)
		return unauthorized(c, r, both ? both_challenges : challenge);
	return authenticated(c, r, user);
}
