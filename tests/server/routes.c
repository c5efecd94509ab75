/*
 * routes: what the test server answers for each path.
 *
 * The first path segment picks a handler from one table; numbers in later
 * segments are parsed with one checked parser and capped, and whatever
 * follows the last meaningful segment is an ignored suffix, so that tests
 * can give URLs distinct file names (/bytes/1000/a17.bin).  Generated
 * bodies (/bytes, /stall-after, /truncate, /drip, /lie206,
 * /unsolicited206, /modified) are produced in chunks by tsrv_fill() from
 * content.h, never held whole in memory.  The /gzip body is built once at
 * start: a gzip member holding one deflate "stored" block, so no zlib is
 * needed; /gzip-range's member of stored blocks is generated in chunks
 * from its offsets instead, as it may be large.  Generated HTML pages
 * (/site, /gallery) are written into one fixed buffer per request; images
 * are built whole by tsrv_image_fill() (at most TSRV_IMAGE_MAX bytes, on
 * the stack).
 *
 * Routes ("[/x]": any suffix allowed; bodies are text/plain unless said):
 *   /bytes/N[/x][?seed=S][&cd=V]  N (<= 1 GiB) bytes tsrv_byte(S, i), S = N
 *                           by default; octet-stream; single Range ->
 *                           206/416; cd: a "Content-Disposition: V" header
 *                           (V decoded; control bytes refused)
 *   /norange/N[/x][?seed=S][&cd=V]  the same, Range ignored, no Accept-Ranges
 *   /delay/MS[/x]           sleeps MS (<= 60000), then "delay MS\n"
 *   /status/CODE[/x]        CODE (200-599), "status CODE\n" (204/304: none)
 *   /flaky/CODE/N[/x][?key=K]  first N hits of K (default: the path) answer
 *                           CODE, then 200 "ok\n"
 *   /retry-after/S[/x][?key=K]       first hit 503 + "Retry-After: S", then
 *   /retry-after-date/S[/x][?key=K]  200 "ok\n" (the -date form: IMF-fixdate)
 *   /redirect/N[/x]         302 to /redirect/N-1[/x]; N = 0: "redirected\n"
 *   /redirect-to?url=U[&status=301|302|303|307|308]  Location: U (decoded)
 *   /stall[/x]              promises 1000 bytes, sends none; closes when the
 *                           client does or after 120 s
 *   /stall-after/N[/x]      promises 2N, sends the first N of /bytes/2N, stalls
 *   /truncate[/x]           promises 1000, sends the first 500 of /bytes/1000,
 *                           closes
 *   /drip/N[/x][?ms=M]      /bytes/N content one byte every M ms (default 10;
 *                           N <= 100000, whole body <= 120 s); single Range
 *                           -> 206/416 as /bytes (the range drips)
 *   /reset/N[/x]            promises 2N, sends the first N of /bytes/2N, then
 *                           resets the connection (RST, not FIN)
 *   /endless[/x]            200 with no length, /bytes content (seed 0) for
 *                           as long as the client reads; after 128 MiB it
 *                           sends nothing more but never ends (closes when
 *                           the client does or after 120 s)
 *   /gzip-bomb/N[/x]        N (<= 1 GiB) zero bytes as a tiny gzip body
 *                           (content.h: tsrv_bomb_gzip_len() bytes)
 *   /loop[/x]               302 to itself (same path and query), for ever
 *   /big-header/N[/x][?lines=K]  200 "big header\n" after K (default 1,
 *                           <= 100000) header lines X-Fill-1..K whose values
 *                           hold N (<= 16 MiB) bytes of 'x' together; closes
 *   /drop/N[/x][?seed=S]    as /norange/N, kept alive; the next request on
 *                           that connection is read, not counted, and the
 *                           connection closed without an answer
 *   /gzip[/x]               Content-Encoding: gzip of tsrv_gzip_text()
 *   /gzip-trunc[/x]         the first half of /gzip's bytes (inside the
 *                           deflate data, no end, no trailer), Content-Length
 *                           saying so, kept alive
 *   /gzip-range/N[/x][?cut=C][&once=1][&key=K]  /bytes/N content (N <= 16
 *                           MiB) as a gzip member of stored blocks
 *                           (content.h), ETag "gz-N"; Range counts encoded
 *                           bytes (E of them): single Range -> 206/416 as
 *                           /bytes; no Range: 200, with cut the first C
 *                           (0 < C < E) of E, then closes; once: only the
 *                           first request without Range of K (default: the
 *                           path) is cut
 *   /lie206/N[/x]?mode=M[&cut=C]  /bytes/N content (N <= 1 GiB), ETag "lie-N";
 *                           "Range: bytes=K-" (K < N) -> 206 lying by M:
 *                           ok (honest), grow (Content-Range K-(T-1)/T and
 *                           /bytes/T content from K, T = N + 777), whole
 *                           (Content-Range K-(N-1)/N, the whole body), shift
 *                           (a range from K/2), short (Content-Range
 *                           K-(N-1)/N, the first (N-K)/2 of its bytes);
 *                           other requests: 200, with cut the first C
 *                           (0 < C < N) of N, then closes
 *   /unsolicited206/N[/x][?from=F]  206 for bytes F-(N-1)/N of /bytes/N
 *                           (F < N, default N/2), Range or not
 *   /modified/N[/x]?v=V[&cd=V]  version V (<= 100000) of an N-byte file:
 *                           /bytes/N?seed=N+V, ETag "vV", Last-Modified V
 *                           days after 2020-01-01; Range as /bytes unless
 *                           If-Range names another ETag or date: then 200
 *   /headers                the request's header lines, verbatim
 *   /basic-auth/USER/PASS[/x], /digest-auth/USER/PASS[/x]
 *                           200 "authenticated USER\n" for the right
 *                           Basic or Digest (MD5) credentials, else 401
 *                           with the challenge (see auth.c)
 *   /static/PATH[?delay=MS][&nocond=1][&nohead=1][&cd=V]
 *                           ROOT/PATH (no ".."), Range as /bytes; a directory
 *                           serves its index.html; after MS ms if asked;
 *                           Last-Modified from the file, and a 304 to an
 *                           If-Modified-Since of exactly that date unless
 *                           nocond=1
 *   /robots.txt             the --robots file if given, else ROOT/robots.txt,
 *                           else 404 (requests counted in /stats as
 *                           "robots_requests")
 *   /site/N/page/K.html     a generated site of N (<= 1000000) linked pages
 *   /site/N/private/K.html  with private pages, a stylesheet and images;
 *   /site/N/style.css       every link documented at route_site below
 *   /site/N/img/NAME[?type=T]  the image NAME (content.h), typed T if given;
 *                           fake.png is text served as image/png
 *   /gallery/P/page/K.html  P pages of 10 images each (see route_gallery)
 *   /gallery/P/img/NAME     as /site/N/img/NAME
 *   /fleet/K.html?ports=P0,...,Pm-1&n=N[&delay=MS]
 *                           page K (K < N <= 1000000) of a site over m (<=
 *                           64) hosts: text/html linking the pages
 *                           tsrv_fleet_links(K, N) gives (content.h), page
 *                           C as http://127.0.0.1:P[C mod m]/fleet/C.html
 *                           ?ports=P0,...,Pm-1&n=N[&delay=MS] (the request's
 *                           values, rebuilt in this order); any server
 *                           answers any page; after MS ms if asked (see
 *                           route_fleet)
 *   /html[/x]?b=BODY[&xrt=V] BODY (decoded) as a text/html document; with
 *                           xrt, an X-Robots-Tag: V header (decoded)
 *   /dirs/, /dirs/blog, /dirs/blog/post1, /dirs/docs/, /dirs/docs
 *                           five linked text/html pages where a page and a
 *                           directory share a name (see route_dirs)
 *   /cookies/login, /cookies/private/K.html, /cookies/logout,
 *   /cookies/redirect, /cookies/denied
 *                           a site behind a login cookie (see route_cookies)
 *   /notfound.html, /notfound[/x]  404 with an HTML body full of links
 *   /stats, /stats/reset    counters as JSON (see server.c)
 *   /stats/paths            "COUNT PATH" per distinct path (see server.c)
 *   /stats/log              "START_US END_US PATH[?QUERY]" per counted
 *                           request, in start order (see server.c)
 *   anything else           404
 * Bad numbers or parameters answer 400.
 *
 * Shared state: the static root, the --robots body, the port and the gzip
 * body are written before any thread starts and only read afterwards.  The per-key hit counts of
 * /flaky and /retry-after live in one bounded open-addressing table under table_lock, taken only
 * inside table_hit() and never with another lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "tsrv.h"

#define BYTES_MAX         (UINT64_C(1) << 30)
#define DELAY_MAX_MS      60000
#define STALL_MS          120000
#define RESET_DRAIN_MS    2000
#define ENDLESS_MAX       (UINT64_C(128) << 20) /* then /endless stalls */
#define BIG_HEADER_MAX    (UINT64_C(16) << 20)
#define BIG_HEADER_LINES  100000
#define DRIP_MAX_BYTES    100000
#define DRIP_MAX_TOTAL_MS 120000
#define REDIRECT_MAX      10000
#define KEY_MAX           2048
#define URL_MAX           8192
#define TABLE_SLOTS       131072 /* power of two */
#define TABLE_MAX         (TABLE_SLOTS / 2)
#define CHUNK             (64 * 1024) /* > TSRV_OUT_SIZE: big bodies skip the copy */
#define SITE_MAX_PAGES    1000000
#define GALLERY_MAX_PAGES 1000000
#define GALLERY_IMAGES    10
#define PAGE_MAX          8192 /* a generated page, bytes */
#define SITE_PATH_MAX     1024 /* a decoded /site or /gallery path, bytes */
#define TYPE_MAX          128  /* a ?type= override */
#define GZIP_RANGE_MAX    (UINT64_C(16) << 20)
#define LIE_GROWTH        777 /* what /lie206?mode=grow adds to the file */
#define MODIFIED_MAX_V    100000
#define MODIFIED_EPOCH    1577836800 /* 2020-01-01T00:00:00Z, /modified's v=0 */

static const char *static_root;
static char *robots_body; /* --robots, or NULL */
static size_t robots_len;
static int server_port; /* what generated pages call the server */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot {
	char *key;
	uint64_t hits;
} * table;
static size_t table_used;

static uint8_t *gzip_body;
static size_t gzip_len;

/* ---- shared state ---- */

/* RFC 1952 member: header, RFC 1951 stored block(s), CRC-32, ISIZE. */
static int build_gzip(void)
{
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	char text[TSRV_GZIP_TEXT_LEN];
	size_t blocks = (TSRV_GZIP_TEXT_LEN + 65534) / 65535;
	size_t off = 0, o;

	tsrv_gzip_text(text);
	gzip_len = sizeof(header) + blocks * 5 + TSRV_GZIP_TEXT_LEN + 8;
	gzip_body = malloc(gzip_len);
	if (gzip_body == NULL)
		return -1;
	memcpy(gzip_body, header, sizeof(header));
	o = sizeof(header);
	while (off < TSRV_GZIP_TEXT_LEN) {
		size_t n = TSRV_GZIP_TEXT_LEN - off;

		if (n > 65535)
			n = 65535;
		gzip_body[o++] = off + n == TSRV_GZIP_TEXT_LEN ? 1 : 0; /* BFINAL, BTYPE=00 */
		gzip_body[o++] = (uint8_t)n;
		gzip_body[o++] = (uint8_t)(n >> 8);
		gzip_body[o++] = (uint8_t)~n;
		gzip_body[o++] = (uint8_t)(~n >> 8);
		memcpy(gzip_body + o, text + off, n);
		o += n;
		off += n;
	}
	tsrv_put_le32(gzip_body + o, tsrv_crc32((const uint8_t *)text, TSRV_GZIP_TEXT_LEN));
	tsrv_put_le32(gzip_body + o + 4, TSRV_GZIP_TEXT_LEN);
	return 0;
}

int tsrv_routes_init(const char *root, char *robots, size_t robots_size, int port)
{
	static_root = root;
	robots_body = robots;
	robots_len = robots_size;
	server_port = port;
	table = calloc(TABLE_SLOTS, sizeof(*table));
	if (table == NULL || build_gzip() != 0 || tsrv_auth_init() != 0) {
		tsrv_routes_release();
		return -1;
	}
	return 0;
}

void tsrv_routes_release(void)
{
	size_t i;

	if (table != NULL) {
		for (i = 0; i < TABLE_SLOTS; i++)
			free(table[i].key);
	}
	free(table);
	table = NULL;
	table_used = 0;
	free(gzip_body);
	gzip_body = NULL;
	free(robots_body);
	robots_body = NULL;
	robots_len = 0;
}

/* Counts one more hit for key.  Returns the hit number (1 for the first),
 * or 0 if the table is full or out of memory (the key is then not
 * stored). */
static uint64_t table_hit(const char *key)
{
	uint64_t h = UINT64_C(1469598103934665603), hits = 0;
	const char *p;
	size_t i;
	int rc;

	for (p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	rc = pthread_mutex_lock(&table_lock);
	if (rc != 0)
		abort();
	for (i = (size_t)h & (TABLE_SLOTS - 1);; i = (i + 1) & (TABLE_SLOTS - 1)) {
		struct slot *s = &table[i];

		if (s->key != NULL && strcmp(s->key, key) == 0) {
			hits = ++s->hits;
			break;
		}
		if (s->key == NULL) {
			if (table_used < TABLE_MAX) {
				s->key = strdup(key);
				if (s->key != NULL) {
					s->hits = 1;
					table_used++;
					hits = 1;
				}
			}
			break;
		}
	}
	rc = pthread_mutex_unlock(&table_lock);
	if (rc != 0)
		abort();
	return hits;
}

/* ---- helpers ---- */

static int text(struct tsrv_conn *c, struct tsrv_request *r, int status, const char *body,
		const char *extra)
{
	return tsrv_respond(c, r, status, "text/plain", body, strlen(body), extra);
}

static int bad_request(struct tsrv_conn *c, struct tsrv_request *r)
{
	return text(c, r, 400, "bad request\n", NULL);
}

static int not_found(struct tsrv_conn *c, struct tsrv_request *r)
{
	return text(c, r, 404, "not found\n", NULL);
}

/* Takes the next segment of *rest ("/seg/more") as a number <= max.
 * Returns 0 and advances *rest, or -1. */
static int num_seg(const char **rest, uint64_t max, uint64_t *out)
{
	const char *s = *rest, *end;

	if (*s != '/')
		return -1;
	s++;
	end = strchr(s, '/');
	if (end == NULL)
		end = s + strlen(s);
	if (tsrv_parse_u64(s, (size_t)(end - s), max, out) != 0)
		return -1;
	*rest = end;
	return 0;
}

/* The number in query parameter name, or dflt if absent.  Returns 0 or
 * -1 if present but not a number <= max. */
static int num_query(const struct tsrv_request *r, const char *name, uint64_t max, uint64_t dflt,
		     uint64_t *out)
{
	char buf[32];
	long n = tsrv_query(r->query, name, buf, sizeof(buf));

	if (n == -1) {
		*out = dflt;
		return 0;
	}
	if (n < 0)
		return -1;
	return tsrv_parse_u64(buf, (size_t)n, max, out);
}

/* Sends [first, first + len) of the generated body for seed, in chunks. */
static int send_generated(struct tsrv_conn *c, const struct tsrv_request *r, uint64_t seed,
			  uint64_t first, uint64_t len)
{
	uint8_t chunk[CHUNK];

	if (r->head)
		return 0;
	while (len > 0) {
		size_t n = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);

		tsrv_fill(seed, first, chunk, n);
		if (tsrv_respond_body(c, r, chunk, n) != 0)
			return -1;
		first += n;
		len -= n;
	}
	return 0;
}

/* Works out the status and Content-Range for a body of size bytes.
 * Returns 200 or 206 (with *first, *len set and extra filled) or 416 (the
 * 416 response already sent; *sent holds its result). */
static int plan_range(struct tsrv_conn *c, struct tsrv_request *r, uint64_t size, int ranges,
		      uint64_t *first, uint64_t *len, char *extra, size_t extra_size, int *sent)
{
	int rc = 0;

	*first = 0;
	*len = size;
	extra[0] = '\0';
	if (ranges)
		rc = tsrv_range(r, size, first, len);
	if (rc < 0) {
		snprintf(extra, extra_size,
			 "Accept-Ranges: bytes\r\nContent-Range: bytes */%llu\r\n",
			 (unsigned long long)size);
		*sent = text(c, r, 416, "range not satisfiable\n", extra);
		return 416;
	}
	if (rc > 0) {
		snprintf(extra, extra_size,
			 "Accept-Ranges: bytes\r\nContent-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)*first, (unsigned long long)(*first + *len - 1),
			 (unsigned long long)size);
		return 206;
	}
	if (ranges)
		snprintf(extra, extra_size, "Accept-Ranges: bytes\r\n");
	return 200;
}

/* ---- routes ---- */

/* The query's cd=V as a "Content-Disposition: V" line into cd (""
 * without one).  Returns 0, or -1 for a malformed or control-byte value
 * (no header injection through the decoded value). */
static int cd_line(const struct tsrv_request *r, char *line, size_t size)
{
	char cd[URL_MAX];
	long cdlen = tsrv_query(r->query, "cd", cd, sizeof(cd));

	line[0] = '\0';
	if (cdlen < -1)
		return -1;
	for (long i = 0; i < cdlen; i++) {
		if ((unsigned char)cd[i] < 0x20 || (unsigned char)cd[i] == 0x7f)
			return -1;
	}
	if (cdlen >= 0)
		snprintf(line, size, "Content-Disposition: %s\r\n", cd);
	return 0;
}

/* /bytes/N[/suffix][?seed=S][&cd=V] and /norange/N[/suffix][?seed=S][&cd=V] */
static int serve_bytes(struct tsrv_conn *c, struct tsrv_request *r, const char *rest, int ranges)
{
	uint64_t size, seed, first, len;
	char extra[160 + URL_MAX + 32];
	char cd[URL_MAX + 32];
	int status, sent = 0;

	if (num_seg(&rest, BYTES_MAX, &size) != 0 ||
	    num_query(r, "seed", UINT64_MAX, size, &seed) != 0 || cd_line(r, cd, sizeof(cd)) != 0)
		return bad_request(c, r);
	status = plan_range(c, r, size, ranges, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416)
		return sent;
	snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%s", cd);
	if (tsrv_respond_start(c, r, status, "application/octet-stream", (int64_t)len, extra) !=
		0 ||
	    send_generated(c, r, seed, first, len) != 0)
		return -1;
	return tsrv_flush(c);
}

static int route_bytes(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	return serve_bytes(c, r, rest, 1);
}

static int route_norange(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	return serve_bytes(c, r, rest, 0);
}

/* /delay/MS[/suffix]: MS capped at DELAY_MAX_MS */
static int route_delay(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t ms;
	char body[32];

	if (num_seg(&rest, UINT64_MAX, &ms) != 0)
		return bad_request(c, r);
	if (ms > DELAY_MAX_MS)
		ms = DELAY_MAX_MS;
	if (tsrv_pause(c, (long)ms, 0) != 0)
		return -1;
	snprintf(body, sizeof(body), "delay %llu\n", (unsigned long long)ms);
	return text(c, r, 200, body, NULL);
}

/* /status/CODE[/suffix] */
static int route_status(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t code;
	char body[32];

	if (num_seg(&rest, 599, &code) != 0 || code < 200)
		return bad_request(c, r);
	if (code == 204 || code == 304) {
		/* no body allowed; a 204 may not even carry Content-Length */
		if (tsrv_respond_start(c, r, (int)code, NULL, -1, NULL) != 0)
			return -1;
		return tsrv_flush(c);
	}
	snprintf(body, sizeof(body), "status %llu\n", (unsigned long long)code);
	return text(c, r, (int)code, body, NULL);
}

/* The table key for route name: "name key=K" or "name path=PATH".  Returns
 * 0, or -1 if too long or malformed. */
static int make_key(const struct tsrv_request *r, const char *name, char *key, size_t size)
{
	char k[KEY_MAX];
	long n = tsrv_query(r->query, "key", k, sizeof(k));
	int w;

	if (n == -2)
		return -1;
	if (n >= 0)
		w = snprintf(key, size, "%s key=%s", name, k);
	else
		w = snprintf(key, size, "%s path=%s", name, r->path);
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

static int table_full(struct tsrv_conn *c, struct tsrv_request *r)
{
	return text(c, r, 507, "key table full\n", NULL);
}

/* /flaky/CODE/N[/suffix][?key=K] */
static int route_flaky(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t code, fails, hits;
	char key[KEY_MAX + 64], body[32];

	if (num_seg(&rest, 599, &code) != 0 || code < 200 ||
	    num_seg(&rest, UINT32_MAX, &fails) != 0 || make_key(r, "flaky", key, sizeof(key)) != 0)
		return bad_request(c, r);
	hits = table_hit(key);
	if (hits == 0)
		return table_full(c, r);
	if (hits > fails)
		return text(c, r, 200, "ok\n", NULL);
	snprintf(body, sizeof(body), "flaky %llu\n", (unsigned long long)code);
	return text(c, r, (int)code, body, NULL);
}

/* /retry-after/S[/suffix][?key=K], /retry-after-date/S[...] */
static int retry_after(struct tsrv_conn *c, struct tsrv_request *r, const char *rest, int as_date)
{
	uint64_t secs, hits;
	char key[KEY_MAX + 64], extra[96], date[40];

	if (num_seg(&rest, 86400 * 365, &secs) != 0 ||
	    make_key(r, as_date ? "retry-after-date" : "retry-after", key, sizeof(key)) != 0)
		return bad_request(c, r);
	hits = table_hit(key);
	if (hits == 0)
		return table_full(c, r);
	if (hits > 1)
		return text(c, r, 200, "ok\n", NULL);
	if (as_date) {
		tsrv_http_date(time(NULL) + (time_t)secs, date, sizeof(date));
		snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", date);
	} else {
		snprintf(extra, sizeof(extra), "Retry-After: %llu\r\n", (unsigned long long)secs);
	}
	return text(c, r, 503, "retry later\n", extra);
}

static int route_retry_after(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	return retry_after(c, r, rest, 0);
}

static int route_retry_after_date(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	return retry_after(c, r, rest, 1);
}

/* /redirect/N[/suffix]: 302 to /redirect/N-1[/suffix]; N == 0 answers. */
static int route_redirect(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t n;
	char extra[URL_MAX + 32];
	int w;

	if (num_seg(&rest, REDIRECT_MAX, &n) != 0)
		return bad_request(c, r);
	if (n == 0)
		return text(c, r, 200, "redirected\n", NULL);
	w = snprintf(extra, sizeof(extra), "Location: /redirect/%llu%s\r\n",
		     (unsigned long long)(n - 1), rest);
	if (w < 0 || (size_t)w >= sizeof(extra))
		return bad_request(c, r);
	return text(c, r, 302, "redirecting\n", extra);
}

/* /redirect-to?url=U[&status=301|302|303|307|308] */
static int route_redirect_to(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char url[URL_MAX], extra[URL_MAX + 32];
	uint64_t status;
	long n = tsrv_query(r->query, "url", url, sizeof(url));
	long i;

	(void)rest;
	if (n <= 0 || num_query(r, "status", 999, 302, &status) != 0)
		return bad_request(c, r);
	if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
		return bad_request(c, r);
	for (i = 0; i < n; i++) {
		/* no header injection through the decoded URL */
		if ((unsigned char)url[i] < 0x20 || (unsigned char)url[i] == 0x7f)
			return bad_request(c, r);
	}
	snprintf(extra, sizeof(extra), "Location: %s\r\n", url);
	return text(c, r, (int)status, "redirecting\n", extra);
}

/* Sends headers for a 200 of total bytes, then sent bytes of the /bytes
 * body for seed, then waits (dropping input) until the client leaves or
 * STALL_MS pass.  Always closes. */
static int stall(struct tsrv_conn *c, struct tsrv_request *r, uint64_t total, uint64_t sent,
		 uint64_t seed)
{
	c->keep_alive = 0;
	if (tsrv_respond_start(c, r, 200, "application/octet-stream", (int64_t)total, NULL) != 0 ||
	    send_generated(c, r, seed, 0, sent) != 0 || tsrv_flush(c) != 0)
		return -1;
	if (!r->head)
		(void)tsrv_pause(c, STALL_MS, 1);
	return -1;
}

/* /stall[/suffix]: 1000 bytes promised, none sent */
static int route_stall(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	(void)rest;
	return stall(c, r, 1000, 0, 1000);
}

/* /stall-after/N[/suffix]: 2N promised, the first N of /bytes/2N sent */
static int route_stall_after(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t n;

	if (num_seg(&rest, BYTES_MAX / 2, &n) != 0)
		return bad_request(c, r);
	return stall(c, r, 2 * n, n, 2 * n);
}

/* /truncate[/suffix]: 1000 promised, the first 500 of /bytes/1000 sent */
static int route_truncate(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	(void)rest;
	c->keep_alive = 0;
	if (tsrv_respond_start(c, r, 200, "application/octet-stream", 1000, NULL) != 0 ||
	    send_generated(c, r, 1000, 0, 500) != 0)
		return -1;
	(void)tsrv_flush(c);
	return -1;
}

/* /drip/N[/suffix][?ms=M]: /bytes/N content, one byte every M ms; a
 * single Range is honoured as by /bytes, the range dripping likewise */
static int route_drip(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t n, ms, i, first, len;
	char extra[160];
	int status, sent = 0;

	if (num_seg(&rest, UINT64_MAX, &n) != 0 || num_query(r, "ms", UINT64_MAX, 10, &ms) != 0)
		return bad_request(c, r);
	if (n > DRIP_MAX_BYTES)
		n = DRIP_MAX_BYTES;
	if (n > 1 && ms > DRIP_MAX_TOTAL_MS / (n - 1))
		ms = DRIP_MAX_TOTAL_MS / (n - 1);
	if (ms > DRIP_MAX_TOTAL_MS)
		ms = DRIP_MAX_TOTAL_MS;
	status = plan_range(c, r, n, 1, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416)
		return sent;
	if (tsrv_respond_start(c, r, status, "application/octet-stream", (int64_t)len, extra) !=
		0 ||
	    tsrv_flush(c) != 0)
		return -1;
	if (r->head)
		return 0;
	for (i = 0; i < len; i++) {
		if (i > 0 && tsrv_pause(c, (long)ms, 0) != 0)
			return -1;
		if (send_generated(c, r, n, first + i, 1) != 0 || tsrv_flush(c) != 0)
			return -1;
	}
	return 0;
}

/* /reset/N[/suffix]: 2N promised, the first N of /bytes/2N sent; once the
 * client has acknowledged them (or after RESET_DRAIN_MS), a close with
 * SO_LINGER 0, which sends RST instead of FIN: the client's next read
 * fails with ECONNRESET, not a clean end. */
static int route_reset(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int64_t deadline;
	uint64_t n;

	if (num_seg(&rest, BYTES_MAX / 2, &n) != 0)
		return bad_request(c, r);
	c->keep_alive = 0;
	if (tsrv_respond_start(c, r, 200, "application/octet-stream", (int64_t)(2 * n), NULL) !=
		0 ||
	    send_generated(c, r, 2 * n, 0, n) != 0 || tsrv_flush(c) != 0)
		return -1;
	/* Unacknowledged bytes would die with the reset: wait for them. */
	deadline = tsrv_now_ms() + RESET_DRAIN_MS;
	for (;;) {
		int unacked = 0;

		if (ioctl(c->fd, TIOCOUTQ, &unacked) != 0 || unacked == 0 ||
		    tsrv_now_ms() >= deadline || tsrv_pause(c, 5, 0) != 0)
			break;
	}
	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return -1;
}

/* /endless[/suffix]: a 200 with neither length nor chunking, so only the
 * close could end it; /bytes content for seed 0 while the client reads.
 * After ENDLESS_MAX bytes it sends nothing more and never ends, so a
 * client with no cap fails on its own timeout instead of filling a disk. */
static int route_endless(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint8_t chunk[CHUNK];
	uint64_t off;

	(void)rest;
	c->keep_alive = 0;
	/* clen -1: no Content-Length header */
	if (tsrv_respond_start(c, r, 200, "application/octet-stream", -1, NULL) != 0 ||
	    tsrv_flush(c) != 0)
		return -1;
	if (r->head)
		return -1;
	for (off = 0; off < ENDLESS_MAX; off += sizeof(chunk)) {
		tsrv_fill(0, off, chunk, sizeof(chunk));
		if (tsrv_respond_body(c, r, chunk, sizeof(chunk)) != 0)
			return -1;
	}
	if (tsrv_flush(c) == 0)
		(void)tsrv_pause(c, STALL_MS, 1);
	return -1;
}

/* A deflate bit writer: bits go out least significant first; whole bytes
 * collect in buf (room for CHUNK plus the tail of a response). */
struct bits {
	uint8_t buf[CHUNK + 512];
	size_t len;
	uint32_t acc;
	int nbits;
};

static void bits_put(struct bits *b, uint32_t value, int n)
{
	b->acc |= value << b->nbits;
	b->nbits += n;
	while (b->nbits >= 8) {
		b->buf[b->len++] = (uint8_t)b->acc;
		b->acc >>= 8;
		b->nbits -= 8;
	}
}

/* A Huffman code of n bits: deflate sends its most significant bit first. */
static void huff_put(struct bits *b, uint32_t code, int n)
{
	uint32_t reversed = 0;
	int i;

	for (i = 0; i < n; i++)
		reversed |= ((code >> i) & 1u) << (n - 1 - i);
	bits_put(b, reversed, n);
}

/* GF(2) matrix (32 columns) times vector, and matrix squared: the
 * operators of appending zeros to a CRC-32 register, as in zlib's
 * crc32_combine. */
static uint32_t gf2_times(const uint32_t mat[32], uint32_t vec)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; vec != 0; i++, vec >>= 1) {
		if (vec & 1u)
			sum ^= mat[i];
	}
	return sum;
}

static void gf2_square(uint32_t sq[32], const uint32_t mat[32])
{
	int i;

	for (i = 0; i < 32; i++)
		sq[i] = gf2_times(mat, mat[i]);
}

/* CRC-32 (as tsrv_crc32) of n zero bytes, in O(log n). */
static uint32_t crc32_zeros(uint64_t n)
{
	uint32_t op[32], sq[32], crc = 0xFFFFFFFFu;
	int i;

	op[0] = 0xEDB88320u; /* one zero bit */
	for (i = 1; i < 32; i++)
		op[i] = 1u << (i - 1);
	for (i = 0; i < 3; i++) { /* 2, 4, 8 bits: one zero byte */
		gf2_square(sq, op);
		memcpy(op, sq, sizeof(op));
	}
	while (n != 0) {
		if (n & 1)
			crc = gf2_times(op, crc);
		n >>= 1;
		if (n != 0) {
			gf2_square(sq, op);
			memcpy(op, sq, sizeof(op));
		}
	}
	return crc ^ 0xFFFFFFFFu;
}

/* /gzip-bomb/N[/suffix]: N zero bytes, gzip-encoded in one fixed-Huffman
 * block, generated as it is sent (content.h). */
static int route_gzip_bomb(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	uint64_t n, matches, literals, i;
	struct bits *b;
	int rc = -1;

	if (num_seg(&rest, TSRV_BOMB_MAX, &n) != 0)
		return bad_request(c, r);
	if (tsrv_respond_start(c, r, 200, "application/octet-stream",
			       (int64_t)tsrv_bomb_gzip_len(n),
			       "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n") != 0)
		return -1;
	if (r->head)
		return tsrv_flush(c);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -1;
	matches = n > 0 ? (n - 1) / 258 : 0;
	literals = n > 0 ? 1 + (n - 1) % 258 : 0;
	memcpy(b->buf, header, sizeof(header));
	b->len = sizeof(header);
	bits_put(b, 1, 1); /* BFINAL */
	bits_put(b, 1, 2); /* BTYPE 01: fixed Huffman */
	if (literals > 0) {
		huff_put(b, 0x30, 8); /* literal 0: a match needs a byte behind it */
		literals--;
	}
	for (i = 0; i < matches; i++) {
		huff_put(b, 0xC5, 8); /* code 285: length 258 */
		huff_put(b, 0, 5);    /* distance code 0: distance 1 */
		if (b->len >= CHUNK) {
			if (tsrv_respond_body(c, r, b->buf, b->len) != 0)
				goto out;
			b->len = 0;
		}
	}
	for (; literals > 0; literals--)
		huff_put(b, 0x30, 8);
	huff_put(b, 0, 7); /* code 256: end of block */
	if (b->nbits > 0)
		bits_put(b, 0, 8 - b->nbits);
	tsrv_put_le32(b->buf + b->len, crc32_zeros(n));
	tsrv_put_le32(b->buf + b->len + 4, (uint32_t)n); /* ISIZE: n mod 2^32 */
	b->len += 8;
	if (tsrv_respond_body(c, r, b->buf, b->len) == 0)
		rc = tsrv_flush(c);
out:
	free(b);
	return rc;
}

/* /loop[/suffix][?query]: 302 to exactly itself, so a client that follows
 * redirects never arrives */
static int route_loop(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char extra[URL_MAX + 32];
	int w;

	(void)rest;
	w = snprintf(extra, sizeof(extra), "Location: %s%s%s\r\n", r->path,
		     r->query[0] != '\0' ? "?" : "", r->query);
	if (w < 0 || (size_t)w >= sizeof(extra))
		return bad_request(c, r);
	return text(c, r, 302, "redirecting\n", extra);
}

/* Collects raw response bytes and sends them a CHUNK at a time. */
struct raw {
	struct tsrv_conn *c;
	int failed;
	size_t len;
	char buf[CHUNK];
};

/* Appends s[0..n), or n copies of fill when s is NULL. */
static void raw_add(struct raw *w, const char *s, size_t n, char fill)
{
	while (n > 0 && !w->failed) {
		size_t take = sizeof(w->buf) - w->len;

		if (take > n)
			take = n;
		if (s != NULL) {
			memcpy(w->buf + w->len, s, take);
			s += take;
		} else {
			memset(w->buf + w->len, fill, take);
		}
		w->len += take;
		n -= take;
		if (w->len == sizeof(w->buf)) {
			w->failed = tsrv_send_raw(w->c, w->buf, w->len) != 0;
			w->len = 0;
		}
	}
}

/* /big-header/N[/suffix][?lines=K]: a 200 whose head carries K lines
 * X-Fill-1 .. X-Fill-K with N bytes of 'x' in their values together (the
 * first N mod K lines one more than the rest), then "big header\n".  Too
 * big for the output buffer, so the head is written raw.  Always closes:
 * a client that gives up mid-head leaves the rest unread. */
static int route_big_header(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const char body[] = "big header\n";
	uint64_t n, lines, i;
	char line[256], date[40];
	struct raw *w;
	int k;

	if (num_seg(&rest, BIG_HEADER_MAX, &n) != 0 ||
	    num_query(r, "lines", BIG_HEADER_LINES, 1, &lines) != 0 || lines == 0)
		return bad_request(c, r);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -1;
	w->c = c;
	c->keep_alive = 0;
	r->status = 200;
	tsrv_http_date(time(NULL), date, sizeof(date));
	k = snprintf(line, sizeof(line),
		     "HTTP/1.1 200 OK\r\nServer: fetchall-testserver\r\nDate: %s\r\n"
		     "Connection: close\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n",
		     date, sizeof(body) - 1);
	raw_add(w, line, (size_t)k, 0);
	for (i = 0; i < lines && !w->failed; i++) {
		k = snprintf(line, sizeof(line), "X-Fill-%llu: ", (unsigned long long)(i + 1));
		raw_add(w, line, (size_t)k, 0);
		raw_add(w, NULL, (size_t)(n / lines + (i < n % lines ? 1 : 0)), 'x');
		raw_add(w, "\r\n", 2, 0);
	}
	raw_add(w, "\r\n", 2, 0);
	if (!r->head)
		raw_add(w, body, sizeof(body) - 1, 0);
	if (!w->failed && w->len > 0)
		(void)tsrv_send_raw(c, w->buf, w->len);
	free(w);
	return -1;
}

/* /drop/N[/suffix][?seed=S]: /norange/N with keep-alive; then the next
 * request on this connection is read and the connection closed with no
 * answer, as a server closing an idle connection just as the client
 * reuses it would (see conn_main in server.c). */
static int route_drop(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	int rc = serve_bytes(c, r, rest, 0);

	if (rc == 0)
		c->drop_next = 1;
	return rc;
}

/* /gzip[/suffix]: Content-Encoding gzip of the content.h text */
static int route_gzip(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	(void)rest;
	return tsrv_respond(c, r, 200, "text/plain", gzip_body, gzip_len,
			    "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
}

/* /gzip-trunc[/suffix]: the first half of the /gzip member with a
 * Content-Length saying so.  The cut falls inside the stored block's data,
 * so neither the deflate stream's end nor the CRC and size arrive: the
 * HTTP message is complete (and the connection stays open) while the gzip
 * stream never ends, which only a decoder that checks for its end
 * notices. */
static int route_gzip_trunc(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	(void)rest;
	return tsrv_respond(c, r, 200, "text/plain", gzip_body, gzip_len / 2,
			    "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
}

/* Fills buf[0..len) with bytes off..off+len-1 of the /gzip-range/N member
 * (laid out in content.h) whose content has CRC-32 crc; off + len must not
 * pass tsrv_stored_gzip_len(n).  Each byte is worked out from its offset,
 * so any range costs what it sends, not the whole member. */
static void stored_gzip_fill(uint64_t n, uint32_t crc, uint64_t off, uint8_t *buf, size_t len)
{
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	const uint64_t stride = 5 + TSRV_STORED_BLOCK; /* a full block, header included */
	uint64_t total = tsrv_stored_gzip_len(n);

	while (len > 0) {
		uint8_t small[8];
		const uint8_t *src;
		uint64_t avail;
		size_t k;

		if (off < sizeof(header)) {
			src = header + off;
			avail = sizeof(header) - off;
		} else if (off >= total - 8) {
			tsrv_put_le32(small, crc);
			tsrv_put_le32(small + 4, (uint32_t)n); /* ISIZE: n < 2^32 here */
			src = small + (off - (total - 8));
			avail = total - off;
		} else {
			uint64_t block = (off - sizeof(header)) / stride;
			uint64_t at = (off - sizeof(header)) % stride;
			uint64_t start = block * TSRV_STORED_BLOCK;
			uint64_t size =
			    n - start < TSRV_STORED_BLOCK ? n - start : TSRV_STORED_BLOCK;

			if (at >= 5) {
				uint64_t left = size - (at - 5);

				k = left < len ? (size_t)left : len;
				tsrv_fill(n, start + (at - 5), buf, k);
				buf += k;
				off += k;
				len -= k;
				continue;
			}
			small[0] = start + size == n ? 1 : 0; /* BFINAL, BTYPE=00 */
			small[1] = (uint8_t)size;
			small[2] = (uint8_t)(size >> 8);
			small[3] = (uint8_t)~size;
			small[4] = (uint8_t)(~size >> 8);
			src = small + at;
			avail = 5 - at;
		}
		k = avail < len ? (size_t)avail : len;
		memcpy(buf, src, k);
		buf += k;
		off += k;
		len -= k;
	}
}

/* /gzip-range/N[/suffix][?cut=C]: the /bytes/N body as a gzip member of
 * stored blocks (content.h), sent as nginx's gzip_static or S3 send a
 * stored .gz: Content-Encoding gzip, and Range counting encoded bytes, so
 * that a client resuming at its decoded size asks for the wrong bytes.
 * Generated in chunks like /bytes; the CRC-32 costs one pass over the
 * content, made only when the trailer is sent.  Without a usable Range,
 * cut=C (0 < C < encoded length) sends only the first C encoded bytes of
 * the promised length and closes. */
static int route_gzip_range(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint8_t chunk[CHUNK];
	uint64_t n, total, cut, first, len, off, once;
	uint32_t crc = 0;
	char key[KEY_MAX + 64];
	char extra[256];
	size_t used;
	int status, sent = 0;

	if (num_seg(&rest, GZIP_RANGE_MAX, &n) != 0 ||
	    num_query(r, "cut", BYTES_MAX, UINT64_MAX, &cut) != 0 ||
	    num_query(r, "once", 1, 0, &once) != 0)
		return bad_request(c, r);
	total = tsrv_stored_gzip_len(n);
	if (cut != UINT64_MAX && (cut == 0 || cut >= total))
		return bad_request(c, r);
	if (once && cut != UINT64_MAX && !tsrv_header(r, "Range", &used)) {
		/* only the first request without Range (per path or key) is cut */
		uint64_t hits;

		if (make_key(r, "gzip-range", key, sizeof(key)) != 0)
			return bad_request(c, r);
		hits = table_hit(key);
		if (hits == 0)
			return table_full(c, r);
		if (hits > 1)
			cut = UINT64_MAX;
	}
	status = plan_range(c, r, total, 1, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416)
		return sent;
	used = strlen(extra);
	snprintf(extra + used, sizeof(extra) - used,
		 "Content-Encoding: gzip\r\nETag: \"gz-%llu\"\r\n", (unsigned long long)n);
	if (status == 200 && cut != UINT64_MAX) {
		len = cut;
		c->keep_alive = 0;
	}
	if (tsrv_respond_start(c, r, status, "application/octet-stream",
			       (int64_t)(status == 200 ? total : len), extra) != 0)
		return -1;
	if (r->head)
		return tsrv_flush(c);
	if (first + len > total - 8) {
		for (off = 0; off < n; off += sizeof(chunk)) {
			size_t k = n - off < sizeof(chunk) ? (size_t)(n - off) : sizeof(chunk);

			tsrv_fill(n, off, chunk, k);
			crc = tsrv_crc32_update(crc, chunk, k);
		}
	}
	for (off = first; off < first + len;) {
		size_t k =
		    first + len - off < sizeof(chunk) ? (size_t)(first + len - off) : sizeof(chunk);

		stored_gzip_fill(n, crc, off, chunk, k);
		if (tsrv_respond_body(c, r, chunk, k) != 0)
			return -1;
		off += k;
	}
	if (status == 200 && cut != UINT64_MAX) {
		(void)tsrv_flush(c);
		return -1;
	}
	return tsrv_flush(c);
}

/* Takes a Range header of exactly one open-ended range, "bytes=K-" (spaces
 * after '=' allowed, as tsrv_range() allows them).  Returns 1 and sets *k,
 * or 0 for no Range header or any other form. */
static int open_range(const struct tsrv_request *r, uint64_t *k)
{
	size_t vlen;
	const char *v = tsrv_header(r, "Range", &vlen);
	const char *end;

	if (v == NULL || vlen < 6 || strncasecmp(v, "bytes=", 6) != 0)
		return 0;
	end = v + vlen;
	v += 6;
	while (v < end && *v == ' ')
		v++;
	if (v == end || end[-1] != '-')
		return 0;
	return tsrv_parse_u64(v, (size_t)(end - 1 - v), UINT64_MAX, k) == 0;
}

/* How /lie206 answers "Range: bytes=K-". */
enum lie {
	LIE_OK,    /* honest */
	LIE_GROW,  /* the file grew by LIE_GROWTH bytes into other content */
	LIE_WHOLE, /* the asked-for Content-Range over the whole file */
	LIE_SHIFT, /* a range starting at K/2 */
	LIE_SHORT  /* half the range's bytes, the range's Content-Range */
};

static const struct {
	const char *name;
	enum lie lie;
} lies[] = {
    {"ok", LIE_OK},       {"grow", LIE_GROW},   {"whole", LIE_WHOLE},
    {"shift", LIE_SHIFT}, {"short", LIE_SHORT},
};

/* A /lie206 206: body bytes [first, first + len) of the /bytes body for
 * seed, under "Content-Range: bytes from-(total-1)/total". */
struct lie_plan {
	uint64_t seed;
	uint64_t first;
	uint64_t len;
	uint64_t from;
	uint64_t total;
};

/* What /lie206/N sends for "Range: bytes=K-" (k < n) by lie.  Pure. */
static struct lie_plan plan_lie(enum lie lie, uint64_t n, uint64_t k)
{
	struct lie_plan p = {.seed = n, .first = k, .len = n - k, .from = k, .total = n};

	switch (lie) {
	case LIE_OK: break;
	case LIE_GROW:
		p.seed = n + LIE_GROWTH;
		p.total = n + LIE_GROWTH;
		p.len = p.total - k;
		break;
	case LIE_WHOLE:
		p.first = 0;
		p.len = n;
		break;
	case LIE_SHIFT:
		p.first = k / 2;
		p.from = k / 2;
		p.len = n - k / 2;
		break;
	case LIE_SHORT: p.len = (n - k) / 2; break;
	}
	return p;
}

/* /lie206/N[/suffix]?mode=M[&cut=C]: /bytes/N with a fixed strong ETag,
 * whose 206 answers to "Range: bytes=K-" lie as mode M says (enum lie);
 * any other request gets the whole body, or with cut=C (0 < C < N) its
 * first C bytes and a close. */
static int route_lie206(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char mode[16], extra[256];
	long mode_len = tsrv_query(r->query, "mode", mode, sizeof(mode));
	uint64_t n, cut, k, sent_len;
	struct lie_plan p;
	size_t i, used;

	if (num_seg(&rest, BYTES_MAX, &n) != 0 || mode_len < 0 ||
	    num_query(r, "cut", BYTES_MAX, UINT64_MAX, &cut) != 0 ||
	    (cut != UINT64_MAX && (cut == 0 || cut >= n)))
		return bad_request(c, r);
	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		/* by length too: a decoded %00 must not shorten the name */
		if (strlen(lies[i].name) == (size_t)mode_len &&
		    memcmp(mode, lies[i].name, (size_t)mode_len) == 0)
			break;
	}
	if (i == sizeof(lies) / sizeof(lies[0]))
		return bad_request(c, r);
	used =
	    (size_t)snprintf(extra, sizeof(extra), "Accept-Ranges: bytes\r\nETag: \"lie-%llu\"\r\n",
			     (unsigned long long)n);
	if (open_range(r, &k) && k < n) {
		p = plan_lie(lies[i].lie, n, k);
		snprintf(extra + used, sizeof(extra) - used,
			 "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)p.from,
			 (unsigned long long)(p.total - 1), (unsigned long long)p.total);
		if (tsrv_respond_start(c, r, 206, "application/octet-stream", (int64_t)p.len,
				       extra) != 0 ||
		    send_generated(c, r, p.seed, p.first, p.len) != 0)
			return -1;
		return tsrv_flush(c);
	}
	sent_len = cut != UINT64_MAX ? cut : n;
	if (cut != UINT64_MAX)
		c->keep_alive = 0;
	if (tsrv_respond_start(c, r, 200, "application/octet-stream", (int64_t)n, extra) != 0 ||
	    send_generated(c, r, n, 0, sent_len) != 0)
		return -1;
	if (cut != UINT64_MAX) {
		(void)tsrv_flush(c);
		return -1;
	}
	return tsrv_flush(c);
}

/* /unsolicited206/N[/suffix][?from=F]: a 206 for bytes F.. (default N/2)
 * whatever was asked, as a cache or proxy that replays a stored partial
 * response might send; a client must not take it for the whole file. */
static int route_unsolicited206(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t n, from;
	char extra[128];

	if (num_seg(&rest, BYTES_MAX, &n) != 0 ||
	    num_query(r, "from", BYTES_MAX, n / 2, &from) != 0 || from >= n)
		return bad_request(c, r);
	snprintf(extra, sizeof(extra), "Content-Range: bytes %llu-%llu/%llu\r\n",
		 (unsigned long long)from, (unsigned long long)(n - 1), (unsigned long long)n);
	if (tsrv_respond_start(c, r, 206, "application/octet-stream", (int64_t)(n - from), extra) !=
		0 ||
	    send_generated(c, r, n, from, n - from) != 0)
		return -1;
	return tsrv_flush(c);
}

/* True if the If-Range value v[0..len) is exactly validator.  If-Range
 * asks for strong comparison, so a weak tag (W/"v1") never matches; a date
 * matches only as the same IMF-fixdate string the server sent. */
static int validator_is(const char *v, size_t len, const char *validator)
{
	return len == strlen(validator) && memcmp(v, validator, len) == 0;
}

/* /modified/N[/suffix]?v=V: version V (<= MODIFIED_MAX_V) of an N-byte
 * file: /bytes/N?seed=N+V with ETag "vV" and Last-Modified V days after
 * 2020-01-01, so versions differ in content, not length.  A Range is
 * honoured as by /bytes unless an If-Range names another version (its ETag
 * or date differs): then the whole current body, 200. */
static int route_modified(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t n, v, first, len;
	char extra[320 + URL_MAX], etag[32], date[40], cd[URL_MAX + 32];
	const char *if_range;
	size_t if_len, used;
	int status, sent = 0, ranges = 1;

	if (num_seg(&rest, BYTES_MAX, &n) != 0 ||
	    num_query(r, "v", MODIFIED_MAX_V, UINT64_MAX, &v) != 0 || v == UINT64_MAX ||
	    cd_line(r, cd, sizeof(cd)) != 0)
		return bad_request(c, r);
	snprintf(etag, sizeof(etag), "\"v%llu\"", (unsigned long long)v);
	tsrv_http_date((time_t)(MODIFIED_EPOCH + v * 86400), date, sizeof(date));
	if_range = tsrv_header(r, "If-Range", &if_len);
	if (if_range != NULL)
		ranges =
		    validator_is(if_range, if_len, etag) || validator_is(if_range, if_len, date);
	status = plan_range(c, r, n, ranges, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416)
		return sent;
	used = strlen(extra);
	snprintf(extra + used, sizeof(extra) - used, "%sETag: %s\r\nLast-Modified: %s\r\n%s",
		 ranges ? "" : "Accept-Ranges: bytes\r\n", etag, date, cd);
	if (tsrv_respond_start(c, r, status, "application/octet-stream", (int64_t)len, extra) !=
		0 ||
	    send_generated(c, r, n + v, first, len) != 0)
		return -1;
	return tsrv_flush(c);
}

/* /headers: the request's header lines, verbatim */
static int route_headers(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	(void)rest;
	return tsrv_respond(c, r, 200, "text/plain", r->raw_headers, r->raw_headers_len, NULL);
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
	    {"html", "text/html; charset=utf-8"},
	    {"htm", "text/html; charset=utf-8"},
	    {"txt", "text/plain; charset=utf-8"},
	    {"css", "text/css"},
	    {"js", "text/javascript"},
	    {"json", "application/json"},
	    {"xml", "application/xml"},
	    {"jpg", "image/jpeg"},
	    {"jpeg", "image/jpeg"},
	    {"png", "image/png"},
	    {"gif", "image/gif"},
	    {"svg", "image/svg+xml"},
	    {"webp", "image/webp"},
	    {"ico", "image/x-icon"},
	};
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash != NULL ? slash : path, '.');
	size_t i;

	if (dot != NULL) {
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
		}
	}
	return "application/octet-stream";
}

/* Serves rel (decoded, relative to the root) with Range support; a
 * directory serves its index.html. */
static int serve_file(struct tsrv_conn *c, struct tsrv_request *r, const char *rel)
{
	char full[PATH_MAX];
	struct stat st;
	uint64_t first, len;
	char extra[160 + URL_MAX + 32], cd[URL_MAX + 32];
	int status, sent = 0, fd, w;

	if (cd_line(r, cd, sizeof(cd)) != 0)
		return bad_request(c, r);
	w = snprintf(full, sizeof(full), "%s/%s", static_root, rel);
	if (w < 0 || (size_t)w >= sizeof(full))
		return not_found(c, r);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		w = snprintf(full, sizeof(full), "%s/%s/index.html", static_root, rel);
		if (w < 0 || (size_t)w >= sizeof(full))
			return not_found(c, r);
		fd = open(full, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return not_found(c, r);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return not_found(c, r);
	}
	{
		/* Last-Modified from the file; If-Modified-Since naming exactly
		 * that date answers 304, unless ?nocond=1 (a server that
		 * ignores conditional requests) */
		char date[40];
		const char *ims;
		size_t ims_len = 0;
		uint64_t nocond = 0;

		tsrv_http_date(st.st_mtime, date, sizeof(date));
		ims = tsrv_header(r, "If-Modified-Since", &ims_len);
		if (num_query(r, "nocond", 1, 0, &nocond) == 0 && !nocond && ims &&
		    ims_len == strlen(date) && !memcmp(ims, date, ims_len)) {
			close(fd);
			snprintf(extra, sizeof(extra), "Last-Modified: %s\r\n", date);
			if (tsrv_respond_start(c, r, 304, NULL, -1, extra) != 0)
				return -1;
			return tsrv_flush(c);
		}
		status = plan_range(c, r, (uint64_t)st.st_size, 1, &first, &len, extra,
				    sizeof(extra) - 64 - sizeof(cd), &sent);
		if (status == 416) {
			close(fd);
			return sent;
		}
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "Last-Modified: %s\r\n%s", date, cd);
	}
	if (tsrv_respond_start(c, r, status, content_type(full), (int64_t)len, extra) != 0)
		goto fail;
	while (!r->head && len > 0) {
		char chunk[CHUNK];
		size_t want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		ssize_t n = pread(fd, chunk, want, (off_t)first);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* the file shrank: the response cannot be kept */
			goto fail;
		if (tsrv_respond_body(c, r, chunk, (size_t)n) != 0)
			goto fail;
		first += (uint64_t)n;
		len -= (uint64_t)n;
	}
	close(fd);
	return tsrv_flush(c);
fail:
	close(fd);
	return -1;
}

/* True if the decoded relative path may be opened under the root: no NUL,
 * no ".." segment. */
static int safe_relative(const char *rel, size_t len)
{
	size_t i = 0;

	if (memchr(rel, '\0', len) != NULL)
		return 0;
	while (i < len) {
		size_t j = i;

		while (j < len && rel[j] != '/')
			j++;
		if (j - i == 2 && rel[i] == '.' && rel[i + 1] == '.')
			return 0;
		i = j + 1;
	}
	return 1;
}

/* /static/PATH[?delay=MS][&nohead=1]: a file under --root, after MS ms
 * (capped at DELAY_MAX_MS) if asked: pages slow both to fetch and to
 * parse.  nohead=1 answers HEAD with 405, as some servers do. */
static int route_static(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char rel[PATH_MAX];
	uint64_t ms, nohead;
	long n;

	if (static_root == NULL || rest[0] != '/')
		return not_found(c, r);
	if (num_query(r, "delay", UINT64_MAX, 0, &ms) != 0 ||
	    num_query(r, "nohead", 1, 0, &nohead) != 0)
		return bad_request(c, r);
	if (nohead && r->head)
		return text(c, r, 405, "HEAD not allowed\n", "Allow: GET\r\n");
	if (ms > 0 && tsrv_pause(c, (long)(ms > DELAY_MAX_MS ? DELAY_MAX_MS : ms), 0) != 0)
		return -1;
	n = tsrv_pct_decode(rest + 1, strlen(rest + 1), 0, rel, sizeof(rel));
	if (n < 0 || !safe_relative(rel, (size_t)n))
		return text(c, r, 403, "forbidden\n", NULL);
	return serve_file(c, r, rel);
}

/* /robots.txt: the --robots file, else ROOT/robots.txt, else 404 */
static int route_robots(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	if (rest[0] != '\0')
		return not_found(c, r);
	if (robots_body != NULL)
		return tsrv_respond(c, r, 200, "text/plain; charset=utf-8", robots_body, robots_len,
				    NULL);
	if (static_root == NULL)
		return not_found(c, r);
	return serve_file(c, r, "robots.txt");
}

/* ---- generated sites ---- */

/* A generated document being written into a fixed buffer. */
struct page {
	char text[PAGE_MAX];
	size_t len;
	int overflow; /* something did not fit: the page must not be served */
};

static void add(struct page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct page *pg, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pg->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(pg->text + pg->len, sizeof(pg->text) - pg->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(pg->text) - pg->len)
		pg->overflow = 1;
	else
		pg->len += (size_t)n;
}

static int html(struct tsrv_conn *c, struct tsrv_request *r, int status, const struct page *pg)
{
	if (pg->overflow)
		return text(c, r, 500, "generated page too large\n", NULL);
	return tsrv_respond(c, r, status, "text/html; charset=utf-8", pg->text, pg->len, NULL);
}

/* Parses s[0..len) as a decimal in canonical form (no sign, no leading
 * zero) <= max, so that each number has one spelling.  Returns 0 or -1. */
static int canon_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (len > 1 && s[0] == '0')
		return -1;
	return tsrv_parse_u64(s, len, max, out);
}

/* Takes "/N/" off the front of *p, N canonical in [1, max].  Returns 0 and
 * advances *p past the second slash, or -1. */
static int take_count(const char **p, uint64_t max, uint64_t *n)
{
	const char *s = *p, *slash;

	if (s[0] != '/')
		return -1;
	slash = strchr(s + 1, '/');
	if (slash == NULL || canon_num(s + 1, (size_t)(slash - s - 1), max, n) != 0 || *n == 0)
		return -1;
	*p = slash + 1;
	return 0;
}

/* True if s is exactly "K.html" with K canonical and < n; sets *k. */
static int page_number(const char *s, uint64_t n, uint64_t *k)
{
	size_t len = strlen(s);

	if (len <= 5 || strcmp(s + len - 5, ".html") != 0)
		return 0;
	return canon_num(s, len - 5, n - 1, k) == 0;
}

/* If s starts with prefix, returns what follows it; else NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(s, prefix, len) == 0 ? s + len : NULL;
}

/* Decodes the route's rest (percent escapes, not '+') into buf, as a
 * server would before matching a file path.  Returns 0, or -1 (malformed
 * escape, decoded NUL or too long). */
static int decode_rest(const char *rest, char *buf, size_t size)
{
	long n = tsrv_pct_decode(rest, strlen(rest), 0, buf, size);

	if (n < 0 || memchr(buf, '\0', (size_t)n) != NULL)
		return -1;
	return 0;
}

/*
 * /site/N/img/NAME and /gallery/P/img/NAME: the image tsrv_image_fill(NAME)
 * (content.h), typed by NAME's extension or by ?type=T, with single Range
 * requests honoured.  NAME without an image extension, or with a '/': 404.
 */
static int serve_image(struct tsrv_conn *c, struct tsrv_request *r, const char *name)
{
	uint8_t body[TSRV_IMAGE_MAX];
	char type[TYPE_MAX], extra[160];
	size_t size = tsrv_image_size(name);
	const char *ctype = tsrv_image_type(name);
	uint64_t first, len;
	long n;
	int status, sent = 0;

	if (size == 0 || strchr(name, '/') != NULL)
		return not_found(c, r);
	n = tsrv_query(r->query, "type", type, sizeof(type));
	if (n == -2 || n == 0)
		return bad_request(c, r);
	if (n > 0) {
		long i;

		for (i = 0; i < n; i++) {
			/* no header injection through the decoded type */
			if ((unsigned char)type[i] < 0x20 || (unsigned char)type[i] == 0x7f)
				return bad_request(c, r);
		}
		ctype = type;
	}
	tsrv_image_fill(name, body);
	status = plan_range(c, r, size, 1, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416)
		return sent;
	if (tsrv_respond_start(c, r, status, ctype, (int64_t)len, extra) != 0 ||
	    tsrv_respond_body(c, r, body + first, (size_t)len) != 0)
		return -1;
	return tsrv_flush(c);
}

/* Page K of /site/N; see route_site. */
static void site_page(struct page *pg, unsigned long long n, unsigned long long k)
{
	unsigned long long child;

	add(pg,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>site %llu page %llu</title>\n"
	    "<link rel=\"stylesheet\" href=\"/site/%llu/style.css\">\n"
	    "</head><body>\n<h1>Page %llu of %llu</h1>\n<ul>\n",
	    n, k, n, k, n);
	for (child = 2 * k + 1; child <= 2 * k + 2 && child < n; child++)
		add(pg, "<li><a href=\"%llu.html\">child %llu</a>\n", child, child);
	add(pg, "<li><a href=\"/site/%llu/page/0.html\">home</a>\n", n);
	if (k == 0 && n >= 2) {
		add(pg,
		    "<li><a href=\"./1.html\">page 1, dot</a>\n"
		    "<li><a href=\"/site/%llu/page/%%31.html\">page 1, escaped</a>\n"
		    "<li><a href=\"1.html#top\">page 1, fragment</a>\n"
		    "<li><a href=\"HTTP://127.0.0.1:%d/site/%llu/page/1.html\">page 1, "
		    "absolute</a>\n"
		    "<li><a href=\"/site/%llu/page/../page/1.html\">page 1, dot-dot</a>\n",
		    n, server_port, n, n);
	}
	add(pg,
	    "<li><a href=\"http://localhost:%d/site/%llu/page/%llu.html\">other host name</a>\n"
	    "<li><a href=\"https://example.invalid/x.html\">other host</a>\n"
	    "<li><a href=\"/site/%llu/private/%llu.html\">private</a>\n"
	    "<li><a href=\"mailto:nobody@example.invalid\">mail</a>\n"
	    "<li><a href=\"javascript:void(0)\">script</a>\n"
	    "<li><a name=\"top\">no href</a>\n"
	    "</ul>\n"
	    "<img src=\"/site/%llu/img/%llu.png\" alt=\"picture %llu\">\n"
	    "<img srcset=\"/site/%llu/img/%llu-small.jpg 1x, /site/%llu/img/%llu-big.jpg 2x\" "
	    "alt=\"photo %llu\">\n"
	    "<img src=\"/site/%llu/img/shared.gif\" alt=\"logo\">\n"
	    "</body></html>\n",
	    server_port, n, k, n, k, n, k, k, n, k, n, k, k, n);
}

/*
 * /site/N/... (1 <= N <= 1000000): a generated site of N pages forming a
 * binary tree, for crawl and --images tests and benchmarks.  The path is
 * percent-decoded before it is matched (so /site/N/page/%31.html is page
 * 1); numbers must be canonical (no leading zeros); dot segments are not
 * resolved.  Anything not listed, K >= N or N out of range: 404.
 *
 *   /site/N/page/K.html     page K (0 <= K < N), text/html; charset=utf-8
 *   /site/N/private/K.html  a small text/html page, no links (K < N)
 *   /site/N/style.css       text/css, no url()
 *   /site/N/img/NAME[?type=T]  the image NAME of content.h (any NAME with
 *                           an image extension, not only those linked);
 *                           Content-Type T instead of NAME's type if given;
 *                           /site/N/img/fake.png: text, typed image/png
 *
 * Page K, fetched as http://127.0.0.1:PORT/site/N/page/K.html (PORT: the
 * port the server listens on, whatever the Host header says), contains
 * exactly these references, in this order, and no others:
 *
 *   <link rel="stylesheet" href="/site/N/style.css">
 *   <a href="C.html">           for C = 2K+1 and C = 2K+2, each if C < N
 *   <a href="/site/N/page/0.html">                         (a cycle)
 *   only on page 0, and only if N >= 2, page 1 spelled five more ways:
 *     <a href="./1.html">
 *     <a href="/site/N/page/%31.html">
 *     <a href="1.html#top">
 *     <a href="HTTP://127.0.0.1:PORT/site/N/page/1.html">
 *     <a href="/site/N/page/../page/1.html">
 *   <a href="http://localhost:PORT/site/N/page/K.html">  (same server, other
 *                                                         host name)
 *   <a href="https://example.invalid/x.html">
 *   <a href="/site/N/private/K.html">
 *   <a href="mailto:nobody@example.invalid">
 *   <a href="javascript:void(0)">
 *   <a name="top">                                       (no href)
 *   <img src="/site/N/img/K.png">
 *   <img srcset="/site/N/img/K-small.jpg 1x, /site/N/img/K-big.jpg 2x">
 *   <img src="/site/N/img/shared.gif">                   (on every page)
 *
 * So, resolved against http://127.0.0.1:PORT and normalized, page K links
 *   pages     /site/N/page/{2K+1, 2K+2 (those < N), 0}.html
 *             (page 0's extra spellings all normalize to /site/N/page/1.html)
 *   private   /site/N/private/K.html
 *   requisite /site/N/style.css
 *   images    /site/N/img/{K.png, K-small.jpg, K-big.jpg, shared.gif}
 *   off-host  http://localhost:PORT/site/N/page/K.html,
 *             https://example.invalid/x.html
 * and nothing else (mailto:, javascript: and the href-less <a> yield no
 * URL).  Only the -big image is 20000 bytes or more.  Page K sits at depth
 * floor(log2(K + 1)) from page 0 (tsrv_site_depth()), so a crawl from page
 * 0 to depth d reaches pages K < min(N, 2^(d+1) - 1)
 * (tsrv_site_pages_within()); each of them links its private page, one
 * level deeper.
 */
static int route_site(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const char css[] = "body { font-family: sans-serif; margin: 2em; }\n"
				  "h1 { color: #333; }\n";
	char path[SITE_PATH_MAX];
	const char *p = path, *sub;
	uint64_t n, k;
	struct page pg;

	if (decode_rest(rest, path, sizeof(path)) != 0)
		return bad_request(c, r);
	if (take_count(&p, SITE_MAX_PAGES, &n) != 0)
		return not_found(c, r);
	pg.len = 0;
	pg.overflow = 0;
	sub = after(p, "page/");
	if (sub != NULL && page_number(sub, n, &k)) {
		site_page(&pg, (unsigned long long)n, (unsigned long long)k);
		return html(c, r, 200, &pg);
	}
	sub = after(p, "private/");
	if (sub != NULL && page_number(sub, n, &k)) {
		add(&pg,
		    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		    "<title>site %llu private %llu</title></head>\n"
		    "<body><p>private page %llu: robots.txt keeps crawlers out</p></body></html>\n",
		    (unsigned long long)n, (unsigned long long)k, (unsigned long long)k);
		return html(c, r, 200, &pg);
	}
	if (strcmp(p, "style.css") == 0)
		return tsrv_respond(c, r, 200, "text/css", css, sizeof(css) - 1, NULL);
	sub = after(p, "img/");
	if (sub != NULL)
		return serve_image(c, r, sub);
	return not_found(c, r);
}

/*
 * /gallery/P/... (1 <= P <= 1000000): P pages of GALLERY_IMAGES (10) images
 * each, for the --images benchmark (P = 200: 2000 distinct images).  Paths
 * are matched as in /site.
 *
 *   /gallery/P/page/K.html  (0 <= K < P) text/html; charset=utf-8 holding
 *                           exactly <img src="/gallery/P/img/K-J.jpg"> for
 *                           J = 0..9, then <a href="K+1.html"> if K+1 < P
 *   /gallery/P/img/NAME[?type=T]  as /site/N/img/NAME (same bytes)
 */
static int route_gallery(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char path[SITE_PATH_MAX];
	const char *p = path, *sub;
	unsigned long long pages, page, j;
	uint64_t n, k;
	struct page pg;

	if (decode_rest(rest, path, sizeof(path)) != 0)
		return bad_request(c, r);
	if (take_count(&p, GALLERY_MAX_PAGES, &n) != 0)
		return not_found(c, r);
	sub = after(p, "img/");
	if (sub != NULL)
		return serve_image(c, r, sub);
	sub = after(p, "page/");
	if (sub == NULL || !page_number(sub, n, &k))
		return not_found(c, r);
	pages = (unsigned long long)n;
	page = (unsigned long long)k;
	pg.len = 0;
	pg.overflow = 0;
	add(&pg,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>gallery %llu page %llu</title></head><body>\n"
	    "<h1>Gallery page %llu of %llu</h1>\n",
	    pages, page, page, pages);
	for (j = 0; j < GALLERY_IMAGES; j++)
		add(&pg, "<img src=\"/gallery/%llu/img/%llu-%llu.jpg\" alt=\"%llu-%llu\">\n", pages,
		    page, j, page, j);
	if (page + 1 < pages)
		add(&pg, "<p><a href=\"%llu.html\">next</a></p>\n", page + 1);
	add(&pg, "</body></html>\n");
	return html(c, r, 200, &pg);
}

/* The query parameter name as a canonical decimal (no leading zero) <=
 * max.  Returns 0 and sets *out, 1 if absent, -1 if malformed. */
static int canon_query(const struct tsrv_request *r, const char *name, uint64_t max, uint64_t *out)
{
	char buf[32];
	long n = tsrv_query(r->query, name, buf, sizeof(buf));

	if (n == -1)
		return 1;
	if (n < 0)
		return -1;
	return canon_num(buf, (size_t)n, max, out);
}

/* Parses the ports= list "P0,P1,..." (1 to TSRV_FLEET_PORTS_MAX canonical
 * ports in 1..65535) into ports.  Returns the count, or -1 if absent or
 * malformed. */
static int fleet_ports(const struct tsrv_request *r, uint64_t ports[TSRV_FLEET_PORTS_MAX])
{
	char list[TSRV_FLEET_PORTS_MAX * 6 + 1];
	long len = tsrv_query(r->query, "ports", list, sizeof(list));
	const char *p = list, *end = list + (len > 0 ? len : 0);
	int count = 0;

	if (len <= 0)
		return -1;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma != NULL ? comma : end;

		if (count == TSRV_FLEET_PORTS_MAX ||
		    canon_num(p, (size_t)(stop - p), 65535, &ports[count]) != 0 ||
		    ports[count] == 0)
			return -1;
		count++;
		if (comma == NULL)
			return count;
		p = comma + 1;
	}
}

/*
 * /fleet/K.html?ports=P0,...,Pm-1&n=N[&delay=MS]: page K (0 <= K < N <=
 * TSRV_FLEET_MAX_PAGES) of a site spread over m hosts, for the distributed
 * crawl's tests: page C "lives" on 127.0.0.1:P[C mod m], yet any server
 * answers any page (which one got the request does not matter).  Page K
 * links exactly the pages tsrv_fleet_links(K, N) gives (content.h), each
 * as <a href="URL"> with URL
 *
 *   http://127.0.0.1:P[C mod m]/fleet/C.html?ports=P0,...,Pm-1&n=N[&delay=MS]
 *
 * (the '&' written "&amp;" in the HTML), its query rebuilt from the parsed
 * values in this order, so a request in this canonical form is linked by
 * byte-identical URLs.  Numbers must be canonical (no leading zeros), the
 * ports 1..65535, at most TSRV_FLEET_PORTS_MAX of them; other parameters
 * are ignored and not repeated.  With delay the answer comes after MS ms
 * (at most DELAY_MAX_MS are waited).  Bad ports, n or delay: 400 (checked
 * first); K not canonical or >= N, or any other path: 404.
 */
static int route_fleet(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t ports[TSRV_FLEET_PORTS_MAX], links[TSRV_FLEET_LINKS_MAX], n, k, ms = 0;
	char query[TSRV_FLEET_PORTS_MAX * 6 + 64];
	size_t qlen, nlinks, i;
	int nports = fleet_ports(r, ports), has_delay;
	struct page pg;

	has_delay = canon_query(r, "delay", UINT64_MAX, &ms);
	if (nports < 0 || canon_query(r, "n", TSRV_FLEET_MAX_PAGES, &n) != 0 || n == 0 ||
	    has_delay < 0)
		return bad_request(c, r);
	if (rest[0] != '/' || !page_number(rest + 1, n, &k))
		return not_found(c, r);
	qlen = (size_t)snprintf(query, sizeof(query), "?ports=");
	for (i = 0; i < (size_t)nports; i++)
		qlen += (size_t)snprintf(query + qlen, sizeof(query) - qlen, "%s%llu",
					 i > 0 ? "," : "", (unsigned long long)ports[i]);
	qlen += (size_t)snprintf(query + qlen, sizeof(query) - qlen, "&amp;n=%llu",
				 (unsigned long long)n);
	if (has_delay == 0)
		snprintf(query + qlen, sizeof(query) - qlen, "&amp;delay=%llu",
			 (unsigned long long)ms);
	pg.len = 0;
	pg.overflow = 0;
	add(&pg,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>fleet page %llu of %llu</title></head><body>\n"
	    "<h1>Fleet page %llu of %llu</h1>\n<ul>\n",
	    (unsigned long long)k, (unsigned long long)n, (unsigned long long)k,
	    (unsigned long long)n);
	nlinks = tsrv_fleet_links(k, n, links, TSRV_FLEET_LINKS_MAX);
	for (i = 0; i < nlinks; i++)
		add(&pg, "<li><a href=\"http://127.0.0.1:%llu/fleet/%llu.html%s\">page %llu</a>\n",
		    (unsigned long long)ports[links[i] % (uint64_t)nports],
		    (unsigned long long)links[i], query, (unsigned long long)links[i]);
	add(&pg, "</ul>\n</body></html>\n");
	if (ms > 0 && tsrv_pause(c, (long)(ms > DELAY_MAX_MS ? DELAY_MAX_MS : ms), 0) != 0)
		return -1;
	return html(c, r, 200, &pg);
}

/* /html[/x]?b=BODY: BODY, decoded ('+' is a space), as a text/html
 * document */
static int route_html(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	size_t size = strlen(r->query) + 1;
	char *body = malloc(size);
	char tag[256], extra[300];
	long n, t;
	int rc;

	(void)rest;
	if (body == NULL)
		return text(c, r, 500, "out of memory\n", NULL);
	n = tsrv_query(r->query, "b", body, size);
	t = tsrv_query(r->query, "xrt", tag, sizeof(tag));
	if (t >= 0 && !strpbrk(tag, "\r\n"))
		snprintf(extra, sizeof(extra), "X-Robots-Tag: %s\r\n", tag);
	if (n < 0 || t < -1)
		rc = bad_request(c, r);
	else
		rc = tsrv_respond(c, r, 200, "text/html; charset=utf-8", body, (size_t)n,
				  t >= 0 ? extra : NULL);
	free(body);
	return rc;
}

/* /cookies/...: a site behind a login cookie.  /cookies/login sets
 * "session=s3cret" (Path=/cookies) and links /cookies/private/1.html;
 * /cookies/private/K.html (K 1..5) answers 403 without that cookie, else
 * a page linking K+1 (up to 5); /cookies/logout deletes the cookie
 * (Max-Age=0) and links private page 1 again; /cookies/redirect sets the
 * cookie on a 302 to private page 1, /cookies/denied on a 401. */
static int route_cookies(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const char set[] = "Set-Cookie: session=s3cret; Path=/cookies; HttpOnly\r\n"
				  "Set-Cookie: theme=dark; Path=/; Max-Age=86400\r\n";
	static const char del[] = "Set-Cookie: session=gone; Path=/cookies; Max-Age=0\r\n";
	size_t len = 0;
	const char *cookie = tsrv_header(r, "Cookie", &len);
	char body[256];
	unsigned k;

	if (strcmp(rest, "/login") == 0)
		return tsrv_respond(c, r, 200, "text/html",
				    "<a href=\"/cookies/private/1.html\">in</a>\n",
				    strlen("<a href=\"/cookies/private/1.html\">in</a>\n"), set);
	/* the cookie set on a redirect, and on a 401 */
	if (strcmp(rest, "/redirect") == 0)
		return tsrv_respond(c, r, 302, "text/plain", "moved\n", 6,
				    "Set-Cookie: session=s3cret; Path=/cookies\r\n"
				    "Location: /cookies/private/1.html\r\n");
	if (strcmp(rest, "/denied") == 0)
		return tsrv_respond(c, r, 401, "text/plain", "no\n", 3,
				    "Set-Cookie: session=s3cret; Path=/cookies\r\n"
				    "WWW-Authenticate: Basic realm=\"x\"\r\n");
	if (strcmp(rest, "/logout") == 0)
		return tsrv_respond(c, r, 200, "text/html",
				    "<a href=\"/cookies/private/1.html\">in</a>\n",
				    strlen("<a href=\"/cookies/private/1.html\">in</a>\n"), del);
	if (sscanf(rest, "/private/%u.html", &k) != 1 || k < 1 || k > 5)
		return not_found(c, r);
	snprintf(body, sizeof(body), "%.*s", cookie ? (int)(len < 200 ? len : 200) : 0,
		 cookie ? cookie : "");
	if (!strstr(body, "session=s3cret"))
		return text(c, r, 403, "log in first\n", NULL);
	snprintf(body, sizeof(body), "private %u <a href=\"/cookies/private/%u.html\">next</a>\n",
		 k, k < 5 ? k + 1 : 1);
	return tsrv_respond(c, r, 200, "text/html", body, strlen(body), NULL);
}

/* /dirs/...: a small site where a page and a directory share a name, for
 * mirrors: /dirs/blog is a page and /dirs/blog/post1 a page below it;
 * /dirs/docs/ and /dirs/docs are two pages.  Every page is text/html and
 * links the whole site from /dirs/. */
static int route_dirs(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const struct {
		const char *path, *body;
	} pages[] = {
	    {"/", "<a href=\"blog\">blog</a> <a href=\"docs/\">docs/</a>"},
	    {"/blog", "<a href=\"blog/post1\">post 1</a> <a href=\"docs\">docs</a>"},
	    {"/blog/post1", "post 1 <a href=\"../docs/\">docs/</a>"},
	    {"/docs/", "docs index <a href=\"../docs\">docs page</a>"},
	    {"/docs", "docs page <a href=\"blog\">blog</a>"},
	};

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(rest, pages[i].path) == 0)
			return tsrv_respond(c, r, 200, "text/html; charset=utf-8", pages[i].body,
					    strlen(pages[i].body), NULL);
	return text(c, r, 404, "not found\n", NULL);
}

/* /notfound.html, /notfound[/x]: a 404 whose HTML body links three paths
 * that exist and that nothing else links (each contains
 * "linked-from-404"), so that a crawler following links of error pages is
 * caught in /stats/paths. */
static int route_notfound(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	static const char body[] =
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>404 Not Found</title></head><body>\n"
	    "<h1>Not found</h1>\n"
	    "<p>Try <a href=\"/bytes/64/linked-from-404.bin\">this file</a> or\n"
	    "<a href=\"/status/200/linked-from-404.html\">this page</a>.</p>\n"
	    "<img src=\"/site/1/img/linked-from-404.png\" alt=\"\">\n"
	    "</body></html>\n";

	(void)rest;
	return tsrv_respond(c, r, 404, "text/html; charset=utf-8", body, sizeof(body) - 1, NULL);
}

int tsrv_is_stats_path(const char *path)
{
	return strcmp(path, "/stats") == 0 || strcmp(path, "/stats/reset") == 0 ||
	       strcmp(path, "/stats/paths") == 0 || strcmp(path, "/stats/log") == 0;
}

/* /stats, /stats/reset (JSON), /stats/paths, /stats/log (text) */
static int route_stats(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char body[512];
	int reset = strcmp(rest, "/reset") == 0;
	int is_log = strcmp(rest, "/log") == 0;

	if (strcmp(rest, "/paths") == 0 || is_log) {
		char *list;
		size_t len;
		int rc;

		if ((is_log ? tsrv_stats_log(&list, &len) : tsrv_stats_paths(&list, &len)) != 0)
			return text(c, r, 500, "out of memory\n", NULL);
		rc =
		    tsrv_respond(c, r, 200, "text/plain", list, len, "Cache-Control: no-store\r\n");
		free(list);
		return rc;
	}
	if (rest[0] != '\0' && !reset)
		return not_found(c, r);
	tsrv_stats_json(body, sizeof(body), reset);
	return tsrv_respond(c, r, 200, "application/json", body, strlen(body),
			    "Cache-Control: no-store\r\n");
}

static const struct route {
	const char *name;
	int (*handler)(struct tsrv_conn *c, struct tsrv_request *r, const char *rest);
} routes[] = {
    {"bytes", route_bytes},
    {"norange", route_norange},
    {"delay", route_delay},
    {"status", route_status},
    {"flaky", route_flaky},
    {"retry-after", route_retry_after},
    {"retry-after-date", route_retry_after_date},
    {"redirect", route_redirect},
    {"redirect-to", route_redirect_to},
    {"stall", route_stall},
    {"stall-after", route_stall_after},
    {"truncate", route_truncate},
    {"drip", route_drip},
    {"reset", route_reset},
    {"endless", route_endless},
    {"gzip-bomb", route_gzip_bomb},
    {"loop", route_loop},
    {"big-header", route_big_header},
    {"drop", route_drop},
    {"gzip", route_gzip},
    {"gzip-trunc", route_gzip_trunc},
    {"gzip-range", route_gzip_range},
    {"lie206", route_lie206},
    {"unsolicited206", route_unsolicited206},
    {"modified", route_modified},
    {"headers", route_headers},
    {"basic-auth", tsrv_route_basic_auth},
    {"digest-auth", tsrv_route_digest_auth},
    {"static", route_static},
    {"robots.txt", route_robots},
    {"stats", route_stats},
    {"site", route_site},
    {"gallery", route_gallery},
    {"fleet", route_fleet},
    {"html", route_html},
    {"dirs", route_dirs},
    {"cookies", route_cookies},
    {"notfound", route_notfound},
    {"notfound.html", route_notfound},
};

int tsrv_route(struct tsrv_conn *c, struct tsrv_request *r)
{
	const char *name = r->path + 1;
	const char *end = strchr(name, '/');
	size_t len = end != NULL ? (size_t)(end - name) : strlen(name);
	size_t i;

	if (strcmp(r->method, "GET") != 0 && !r->head)
		return text(c, r, 405, "method not allowed\n", "Allow: GET, HEAD\r\n");
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strlen(routes[i].name) == len && strncmp(routes[i].name, name, len) == 0)
			return routes[i].handler(c, r, name + len);
	}
	return not_found(c, r);
}
