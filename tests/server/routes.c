/*
 * routes: what the test server answers for each path.
 *
 * The first path segment picks a handler from one table; numbers in later
 * segments are parsed with one checked parser and capped, and whatever
 * follows the last meaningful segment is an ignored suffix, so that tests
 * can give URLs distinct file names (/bytes/1000/a17.bin).  Generated
 * bodies (/bytes, /stall-after, /truncate, /drip) are produced in chunks by
 * tsrv_fill() from content.h, never held whole in memory.  The /gzip body
 * is built once at start: a gzip member holding one deflate "stored" block,
 * so no zlib is needed.
 *
 * Routes ("[/x]": any suffix allowed; bodies are text/plain unless said):
 *   /bytes/N[/x][?seed=S]   N (<= 1 GiB) bytes tsrv_byte(S, i), S = N by
 *                           default; octet-stream; single Range -> 206/416
 *   /norange/N[/x][?seed=S] the same, Range ignored, no Accept-Ranges
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
 *                           N <= 100000, whole body <= 120 s)
 *   /gzip[/x]               Content-Encoding: gzip of tsrv_gzip_text()
 *   /headers                the request's header lines, verbatim
 *   /static/PATH            ROOT/PATH (no ".."), Range as /bytes; a directory
 *                           serves its index.html
 *   /robots.txt             ROOT/robots.txt
 *   /stats, /stats/reset    counters as JSON (see server.c)
 *   anything else           404
 * Bad numbers or parameters answer 400.
 *
 * Shared state: the static root and the gzip body are written before any
 * thread starts and only read afterwards.  The per-key hit counts of /flaky
 * and /retry-after live in one bounded open-addressing table under
 * table_lock, taken only inside table_hit() and never with another lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "tsrv.h"

#define BYTES_MAX         (UINT64_C(1) << 30)
#define DELAY_MAX_MS      60000
#define STALL_MS          120000
#define DRIP_MAX_BYTES    100000
#define DRIP_MAX_TOTAL_MS 120000
#define REDIRECT_MAX      10000
#define KEY_MAX           2048
#define URL_MAX           8192
#define TABLE_SLOTS       131072 /* power of two */
#define TABLE_MAX         (TABLE_SLOTS / 2)
#define CHUNK             (64 * 1024) /* > TSRV_OUT_SIZE: big bodies skip the copy */

static const char *static_root;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot {
	char *key;
	uint64_t hits;
} * table;
static size_t table_used;

static uint8_t *gzip_body;
static size_t gzip_len;

/* ---- shared state ---- */

static uint32_t crc32_of(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;

	for (i = 0; i < len; i++) {
		int k;

		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xFFFFFFFFu;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

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
	put_le32(gzip_body + o, crc32_of((const uint8_t *)text, TSRV_GZIP_TEXT_LEN));
	put_le32(gzip_body + o + 4, TSRV_GZIP_TEXT_LEN);
	return 0;
}

int tsrv_routes_init(const char *root)
{
	static_root = root;
	table = calloc(TABLE_SLOTS, sizeof(*table));
	if (table == NULL)
		return -1;
	if (build_gzip() != 0) {
		free(table);
		table = NULL;
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

/* /bytes/N[/suffix][?seed=S] and /norange/N[/suffix][?seed=S] */
static int serve_bytes(struct tsrv_conn *c, struct tsrv_request *r, const char *rest, int ranges)
{
	uint64_t size, seed, first, len;
	char extra[160];
	int status, sent = 0;

	if (num_seg(&rest, BYTES_MAX, &size) != 0 ||
	    num_query(r, "seed", UINT64_MAX, size, &seed) != 0)
		return bad_request(c, r);
	status = plan_range(c, r, size, ranges, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416)
		return sent;
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

/* /drip/N[/suffix][?ms=M]: /bytes/N content, one byte every M ms */
static int route_drip(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	uint64_t n, ms, i;

	if (num_seg(&rest, UINT64_MAX, &n) != 0 || num_query(r, "ms", UINT64_MAX, 10, &ms) != 0)
		return bad_request(c, r);
	if (n > DRIP_MAX_BYTES)
		n = DRIP_MAX_BYTES;
	if (n > 1 && ms > DRIP_MAX_TOTAL_MS / (n - 1))
		ms = DRIP_MAX_TOTAL_MS / (n - 1);
	if (ms > DRIP_MAX_TOTAL_MS)
		ms = DRIP_MAX_TOTAL_MS;
	if (tsrv_respond_start(c, r, 200, "application/octet-stream", (int64_t)n, NULL) != 0 ||
	    tsrv_flush(c) != 0)
		return -1;
	if (r->head)
		return 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && tsrv_pause(c, (long)ms, 0) != 0)
			return -1;
		if (send_generated(c, r, n, i, 1) != 0 || tsrv_flush(c) != 0)
			return -1;
	}
	return 0;
}

/* /gzip[/suffix]: Content-Encoding gzip of the content.h text */
static int route_gzip(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	(void)rest;
	return tsrv_respond(c, r, 200, "text/plain", gzip_body, gzip_len,
			    "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
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
	char extra[160];
	int status, sent = 0, fd, w;

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
	status =
	    plan_range(c, r, (uint64_t)st.st_size, 1, &first, &len, extra, sizeof(extra), &sent);
	if (status == 416) {
		close(fd);
		return sent;
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

/* /static/PATH: a file under --root */
static int route_static(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char rel[PATH_MAX];
	long n;

	if (static_root == NULL || rest[0] != '/')
		return not_found(c, r);
	n = tsrv_pct_decode(rest + 1, strlen(rest + 1), 0, rel, sizeof(rel));
	if (n < 0 || !safe_relative(rel, (size_t)n))
		return text(c, r, 403, "forbidden\n", NULL);
	return serve_file(c, r, rel);
}

/* /robots.txt: ROOT/robots.txt when there is one */
static int route_robots(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	if (static_root == NULL || rest[0] != '\0')
		return not_found(c, r);
	return serve_file(c, r, "robots.txt");
}

int tsrv_is_stats_path(const char *path)
{
	return strcmp(path, "/stats") == 0 || strcmp(path, "/stats/reset") == 0;
}

/* /stats, /stats/reset */
static int route_stats(struct tsrv_conn *c, struct tsrv_request *r, const char *rest)
{
	char body[256];
	int reset = strcmp(rest, "/reset") == 0;

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
    {"gzip", route_gzip},
    {"headers", route_headers},
    {"static", route_static},
    {"robots.txt", route_robots},
    {"stats", route_stats},
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
