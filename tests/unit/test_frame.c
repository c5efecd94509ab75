/*
 * Unit tests for frame: the parser worker protocol's byte layout.
 *
 * Round trips of requests and answers, every truncation of valid frames,
 * absurd lengths and counts (rejected before anything is allocated: the
 * list stays empty), unknown kinds, and a bounded fuzz loop from a
 * fixed-seed PRNG over random bytes and over mutations of valid frames.
 * Inputs under test are copied to the very end of a page that is followed
 * by an inaccessible one (as picohttpparser's tests do), so any over-read
 * crashes at once, with or without ASan.  Decoded answers are re-encoded
 * and must give back the same bytes.  Single-threaded; no locking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "guard.h"

/* ---- a buffer right before an unreadable page -------------------------- */

/* Copies len bytes so that they end exactly at the guard page. */
static const unsigned char *guarded_copy(const void *src, size_t len)
{
	const unsigned char *dst = guard_copy(&guard_shared, src, len);

	assert_non_null(dst);
	return dst;
}

/* ---- helpers ----------------------------------------------------------- */

/* A whole request frame (prefix + body) in a new buffer. */
static unsigned char *encode_request(const struct frame_request *req, size_t *len)
{
	size_t cap = frame_request_prefix_size(req) + req->body_len, prefix;
	unsigned char *buf = malloc(cap ? cap : 1);

	assert_non_null(buf);
	assert_int_equal(frame_request_encode_prefix(req, buf, cap, &prefix), FA_OK);
	assert_int_equal(prefix, frame_request_prefix_size(req));
	if (req->body_len)
		memcpy(buf + prefix, req->body, req->body_len);
	*len = prefix + req->body_len;
	return buf;
}

static void add_link(struct html_links *list, enum html_kind kind, const char *url)
{
	assert_int_equal(html_links_add(list, kind, url, strlen(url)), FA_OK);
}

/* An answer with one link of each kind, skipped = 7, over_cap = 5,
 * status FA_OK. */
static unsigned char *sample_answer(size_t *len)
{
	struct html_links links = {0};
	unsigned char *buf;

	add_link(&links, HTML_LINK, "http://example.com/a");
	add_link(&links, HTML_IMAGE, "https://example.com/img/b.png");
	add_link(&links, HTML_REQUISITE, "http://example.com/s.css");
	add_link(&links, HTML_LINK, "http://x/");
	links.skipped = 7;
	links.over_cap = 5;
	assert_int_equal(frame_answer_encode(FA_OK, &links, &buf, len), FA_OK);
	html_links_release(&links);
	return buf;
}

/* ---- tests ------------------------------------------------------------- */

static void test_frame_u32_round_trip(void **state)
{
	static const uint32_t values[] = {0, 1, 0xff, 0x100, 0x12345678, 0x7fffffff, 0xffffffff};
	unsigned char b[4];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		frame_put_u32(b, values[i]);
		assert_int_equal(frame_get_u32(b), values[i]);
	}
	frame_put_u32(b, 0x04030201);
	assert_int_equal(b[0], 1); /* little-endian on the wire */
	assert_int_equal(b[3], 4);
}

static void test_frame_request_round_trip(void **state)
{
	static const char binary[] = {'<', 0, 'p', '>', '\xff', 0, '\n'};
	const struct frame_request cases[] = {
	    {HTML_LINK, "http://a/", 9, NULL, 0, "<a href=x>", 10},
	    {HTML_LINK | HTML_IMAGE | HTML_REQUISITE, "https://example.com/p?q=1", 25, "utf-8", 5,
	     "", 0},
	    {HTML_IMAGE, "http://h/", 9, "iso-8859-1", 10, binary, sizeof(binary)},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct frame_request *c = &cases[i];
		const unsigned char *frame, *payload;
		struct frame_request got;
		size_t len, payload_len;
		unsigned char *buf = encode_request(c, &len);

		frame = guarded_copy(buf, len);
		assert_int_equal(frame_split(frame, len, &payload, &payload_len), FA_OK);
		assert_int_equal(payload_len, len - FRAME_HEADER_SIZE);
		assert_int_equal(frame_request_decode(payload, payload_len, &got), FA_OK);
		assert_int_equal(got.kinds, c->kinds);
		assert_int_equal(got.url_len, c->url_len);
		assert_memory_equal(got.url, c->url, c->url_len);
		assert_int_equal(got.charset_len, c->charset_len);
		if (c->charset_len)
			assert_memory_equal(got.charset, c->charset, c->charset_len);
		else
			assert_null(got.charset);
		assert_int_equal(got.body_len, c->body_len);
		if (c->body_len)
			assert_memory_equal(got.body, c->body, c->body_len);
		free(buf);
	}
}

static void test_frame_request_encode_refuses_bad_requests(void **state)
{
	unsigned char buf[256];
	size_t n;
	const struct frame_request cases[] = {
	    {0, "http://a/", 9, NULL, 0, "", 0},            /* no kind */
	    {1u << 3, "http://a/", 9, NULL, 0, "", 0},      /* unknown kind */
	    {HTML_LINK, "", 0, NULL, 0, "", 0},             /* empty url */
	    {HTML_LINK, "http://a\0b", 10, NULL, 0, "", 0}, /* NUL in url */
	    {HTML_LINK, "http://a/", 9, "utf\0", 4, "", 0}, /* NUL in charset */
	};
	struct frame_request big = {HTML_LINK, "http://a/", 9, NULL, 0, "x", FRAME_MAX_PAYLOAD};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(frame_request_encode_prefix(&cases[i], buf, sizeof(buf), &n),
				 FA_ERR_ARG);
	/* The body is never touched by the prefix encoder, so a huge length
	 * with a one-byte buffer behind it is safe to try. */
	assert_int_equal(frame_request_encode_prefix(&big, buf, sizeof(buf), &n), FA_ERR_TOO_LONG);
	big.body_len = FRAME_MAX_PAYLOAD - FRAME_REQUEST_FIXED - 9;
	assert_int_equal(frame_request_encode_prefix(&big, buf, sizeof(buf), &n), FA_OK);
	big.body_len++;
	assert_int_equal(frame_request_encode_prefix(&big, buf, sizeof(buf), &n), FA_ERR_TOO_LONG);
	/* Too small a buffer. */
	big.body_len = 1;
	assert_int_equal(frame_request_encode_prefix(&big, buf, 10, &n), FA_ERR_ARG);
}

static void test_frame_request_truncations_rejected(void **state)
{
	const struct frame_request req = {
	    HTML_LINK | HTML_IMAGE, "http://example.com/", 19, "utf-8", 5, "<html>body</html>", 17};
	size_t len, prefix = frame_request_prefix_size(&req);
	unsigned char *buf = encode_request(&req, &len);

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		const unsigned char *frame = guarded_copy(buf, cut), *payload;
		size_t payload_len;
		struct frame_request got;

		/* As a frame: always short of what the header promises. */
		assert_int_equal(frame_split(frame, cut, &payload, &payload_len), FA_ERR_PARSE);
		/* As a payload: cut inside the fields is malformed; cut inside
		 * the body is a valid request with a shorter body, which is
		 * why the frame length is what guards the body. */
		if (cut < FRAME_HEADER_SIZE)
			continue;
		frame = guarded_copy(buf + FRAME_HEADER_SIZE, cut - FRAME_HEADER_SIZE);
		if (cut < prefix) {
			assert_int_equal(frame_request_decode(frame, cut - FRAME_HEADER_SIZE, &got),
					 FA_ERR_PARSE);
		} else {
			assert_int_equal(frame_request_decode(frame, cut - FRAME_HEADER_SIZE, &got),
					 FA_OK);
			assert_int_equal(got.body_len, cut - prefix);
		}
	}
	/* One byte too many is not a frame either. */
	{
		unsigned char *longer = malloc(len + 1);
		const unsigned char *payload;
		size_t payload_len;

		assert_non_null(longer);
		memcpy(longer, buf, len);
		longer[len] = 0;
		assert_int_equal(
		    frame_split(guarded_copy(longer, len + 1), len + 1, &payload, &payload_len),
		    FA_ERR_PARSE);
		free(longer);
	}
	free(buf);
}

static void test_frame_request_malformed_rejected(void **state)
{
	/* Payloads (no header): kinds, url_len, url, charset_len, charset. */
	static const struct {
		const char *name;
		unsigned char bytes[32];
		size_t len;
	} cases[] = {
	    {"no kinds", {0, 0, 0, 0, 1, 0, 0, 0, 'h', 0, 0, 0, 0}, 13},
	    {"unknown kind", {8, 0, 0, 0, 1, 0, 0, 0, 'h', 0, 0, 0, 0}, 13},
	    {"empty url", {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 12},
	    {"url past end", {1, 0, 0, 0, 9, 0, 0, 0, 'h', 0, 0, 0, 0}, 13},
	    {"huge url", {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 'h', 0, 0, 0, 0}, 13},
	    {"NUL in url", {1, 0, 0, 0, 2, 0, 0, 0, 'h', 0, 0, 0, 0, 0}, 14},
	    {"no charset len", {1, 0, 0, 0, 1, 0, 0, 0, 'h', 0, 0}, 11},
	    {"charset past end", {1, 0, 0, 0, 1, 0, 0, 0, 'h', 5, 0, 0, 0, 'u', 't'}, 15},
	    {"huge charset", {1, 0, 0, 0, 1, 0, 0, 0, 'h', 0xfe, 0xff, 0xff, 0xff}, 13},
	    {"NUL in charset", {1, 0, 0, 0, 1, 0, 0, 0, 'h', 2, 0, 0, 0, 'u', 0}, 15},
	};
	struct frame_request got;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const unsigned char *p = guarded_copy(cases[i].bytes, cases[i].len);

		if (frame_request_decode(p, cases[i].len, &got) != FA_ERR_PARSE)
			fail_msg("accepted: %s", cases[i].name);
	}
}

static void test_frame_header_absurd_length_rejected(void **state)
{
	unsigned char hdr[4];
	const unsigned char *payload;
	size_t payload_len;
	uint32_t n;

	(void)state;
	frame_put_u32(hdr, 0xffffffff);
	assert_int_equal(frame_header_decode(hdr, &n), FA_ERR_TOO_LONG);
	assert_int_equal(n, 0xffffffff);
	frame_put_u32(hdr, FRAME_MAX_PAYLOAD + 1);
	assert_int_equal(frame_header_decode(hdr, &n), FA_ERR_TOO_LONG);
	assert_int_equal(frame_split(guarded_copy(hdr, 4), 4, &payload, &payload_len),
			 FA_ERR_TOO_LONG);
	frame_put_u32(hdr, FRAME_MAX_PAYLOAD);
	assert_int_equal(frame_header_decode(hdr, &n), FA_OK);
	frame_put_u32(hdr, 0);
	assert_int_equal(frame_split(guarded_copy(hdr, 4), 4, &payload, &payload_len), FA_OK);
	assert_int_equal(payload_len, 0);
}

static void test_frame_answer_round_trip(void **state)
{
	struct html_links links = {0}, got = {0};
	const unsigned char *payload;
	unsigned char *buf, *again;
	size_t len, payload_len, again_len;
	uint32_t status = 99;

	(void)state;
	buf = sample_answer(&len);
	assert_int_equal(frame_split(guarded_copy(buf, len), len, &payload, &payload_len), FA_OK);
	assert_int_equal(frame_answer_decode(payload, payload_len, &status, &got), FA_OK);
	assert_int_equal(status, FA_OK);
	assert_int_equal(got.count, 4);
	assert_int_equal(got.skipped, 7);
	assert_int_equal(got.over_cap, 5);
	assert_int_equal(got.items[0].kind, HTML_LINK);
	assert_string_equal(got.items[0].url, "http://example.com/a");
	assert_int_equal(got.items[1].kind, HTML_IMAGE);
	assert_string_equal(got.items[1].url, "https://example.com/img/b.png");
	assert_int_equal(got.items[2].kind, HTML_REQUISITE);
	assert_string_equal(got.items[2].url, "http://example.com/s.css");
	assert_string_equal(got.items[3].url, "http://x/");
	/* Re-encoding gives the same bytes. */
	assert_int_equal(frame_answer_encode(status, &got, &again, &again_len), FA_OK);
	assert_int_equal(again_len, len);
	assert_memory_equal(again, buf, len);
	free(again);
	free(buf);
	html_links_release(&got);

	/* An error status with no list; an empty list. */
	assert_int_equal(frame_answer_encode(FA_ERR_URL, NULL, &buf, &len), FA_OK);
	assert_int_equal(len, FRAME_HEADER_SIZE + FRAME_ANSWER_FIXED);
	assert_int_equal(frame_split(guarded_copy(buf, len), len, &payload, &payload_len), FA_OK);
	assert_int_equal(frame_answer_decode(payload, payload_len, &status, &got), FA_OK);
	assert_int_equal(status, FA_ERR_URL);
	assert_int_equal(got.count, 0);
	free(buf);
	assert_int_equal(frame_answer_encode(FA_OK, &links, &buf, &len), FA_OK);
	assert_int_equal(len, FRAME_HEADER_SIZE + FRAME_ANSWER_FIXED);
	free(buf);
	html_links_release(&got);
}

static void test_frame_answer_decode_appends(void **state)
{
	struct html_links got = {0};
	const unsigned char *payload;
	unsigned char *buf;
	size_t len, payload_len;
	uint32_t status;

	(void)state;
	add_link(&got, HTML_IMAGE, "http://already/there");
	got.skipped = 2;
	buf = sample_answer(&len);
	assert_int_equal(frame_split(buf, len, &payload, &payload_len), FA_OK);
	assert_int_equal(frame_answer_decode(payload, payload_len, &status, &got), FA_OK);
	assert_int_equal(got.count, 5);
	assert_int_equal(got.skipped, 9);
	assert_string_equal(got.items[0].url, "http://already/there");
	assert_string_equal(got.items[1].url, "http://example.com/a");
	free(buf);
	html_links_release(&got);
}

static void test_frame_answer_encode_skips_unencodable(void **state)
{
	struct html_links links = {0}, got = {0};
	const unsigned char *payload;
	unsigned char *buf;
	size_t len, payload_len;
	uint32_t status;

	(void)state;
	add_link(&links, HTML_LINK, "http://ok/1");
	add_link(&links, HTML_LINK | HTML_IMAGE, "http://two-kinds/");
	add_link(&links, (enum html_kind)0, "http://no-kind/");
	add_link(&links, HTML_IMAGE, "");
	add_link(&links, HTML_IMAGE, "http://ok/2");
	links.skipped = 1;
	assert_int_equal(frame_answer_encode(FA_OK, &links, &buf, &len), FA_OK);
	assert_int_equal(frame_split(buf, len, &payload, &payload_len), FA_OK);
	assert_int_equal(frame_answer_decode(payload, payload_len, &status, &got), FA_OK);
	assert_int_equal(got.count, 2);
	assert_int_equal(got.skipped, 4);
	assert_string_equal(got.items[1].url, "http://ok/2");
	free(buf);
	html_links_release(&links);
	html_links_release(&got);
}

static void test_frame_answer_link_cap(void **state)
{
	struct html_links links = {0}, got = {0};
	const unsigned char *payload;
	unsigned char *buf;
	size_t len, payload_len;
	uint32_t status;

	(void)state;
	for (size_t i = 0; i < HTML_MAX_LINKS + 3; i++)
		add_link(&links, HTML_LINK, "http://a/");
	assert_int_equal(frame_answer_encode(FA_OK, &links, &buf, &len), FA_OK);
	assert_int_equal(frame_split(buf, len, &payload, &payload_len), FA_OK);
	assert_int_equal(frame_answer_decode(payload, payload_len, &status, &got), FA_OK);
	assert_int_equal(got.count, HTML_MAX_LINKS);
	assert_int_equal(got.skipped, 0);
	assert_int_equal(got.over_cap, 3);
	free(buf);
	html_links_release(&links);
	html_links_release(&got);
}

static void test_frame_answer_truncations_rejected(void **state)
{
	size_t len;
	unsigned char *buf = sample_answer(&len);

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		const unsigned char *frame = guarded_copy(buf, cut), *payload;
		struct html_links got = {0};
		size_t payload_len;
		uint32_t status;

		assert_int_equal(frame_split(frame, cut, &payload, &payload_len), FA_ERR_PARSE);
		if (cut < FRAME_HEADER_SIZE)
			continue;
		frame = guarded_copy(buf + FRAME_HEADER_SIZE, cut - FRAME_HEADER_SIZE);
		assert_int_equal(frame_answer_decode(frame, cut - FRAME_HEADER_SIZE, &status, &got),
				 FA_ERR_PARSE);
		assert_int_equal(got.count, 0);
		assert_null(got.items);
	}
	free(buf);
}

/* Answer payloads built by hand: status, skipped, count, over_cap, links. */
static void test_frame_answer_malformed_rejected(void **state)
{
	static const struct {
		const char *name;
		unsigned char bytes[48];
		size_t len;
	} cases[] = {
	    {"short fixed part", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 15},
	    {"status not an fa_err",
	     {FA_ERR_LAST, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	     16},
	    {"huge status", {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 16},
	    {"count 1, no link", {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, 16},
	    {"huge count",
	     {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 1, 0, 0, 0, 'h'},
	     22},
	    {"count 2, one link",
	     {0, 0, 0, 0, 0, 0, 0, 0,   2, 0, 0, 0, 0, 0,
	      0, 0, 1, 1, 0, 0, 0, 'h', 1, 1, 0, 0, 0, 'h'},
	     27},
	    {"kind 0", {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'h'}, 22},
	    {"kind 3", {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 'h'}, 22},
	    {"kind 8", {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 1, 0, 0, 0, 'h'}, 22},
	    {"kind 255",
	     {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 255, 1, 0, 0, 0, 'h'},
	     22},
	    {"empty url", {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 'h'}, 21},
	    {"url past end",
	     {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 'h'},
	     22},
	    {"huge url",
	     {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 'h'},
	     22},
	    {"NUL in url",
	     {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 'h', 0},
	     23},
	    {"trailing byte",
	     {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 'h', 'x'},
	     23},
	    {"trailing, no links", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 17},
	    {"count over HTML_MAX_LINKS",
	     {0, 0, 0, 0, 0, 0, 0, 0, 0xa1, 0x86, 0x01, 0, 0, 0, 0, 0},
	     16},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const unsigned char *p = guarded_copy(cases[i].bytes, cases[i].len);
		struct html_links got = {0};
		uint32_t status = 12345;

		if (frame_answer_decode(p, cases[i].len, &status, &got) != FA_ERR_PARSE)
			fail_msg("accepted: %s", cases[i].name);
		/* Rejected before any allocation: the list was never touched. */
		assert_null(got.items);
		assert_int_equal(got.count, 0);
		assert_int_equal(got.skipped, 0);
		assert_int_equal(status, 12345);
	}
}

/* A count as large as the bytes could hold, each link announcing a URL
 * longer than the rest: rejected, nothing allocated. */
static void test_frame_answer_absurd_count_rejected(void **state)
{
	size_t len = FRAME_ANSWER_FIXED + 5 * 1000;
	unsigned char *p = calloc(1, len);
	struct html_links got = {0};
	uint32_t status;

	(void)state;
	assert_non_null(p);
	frame_put_u32(p + 8, 1000);
	for (size_t i = 0; i < 1000; i++) {
		p[FRAME_ANSWER_FIXED + 5 * i] = HTML_LINK;
		frame_put_u32(p + FRAME_ANSWER_FIXED + 5 * i + 1, 0x7fffffff);
	}
	assert_int_equal(frame_answer_decode(guarded_copy(p, len), len, &status, &got),
			 FA_ERR_PARSE);
	assert_null(got.items);
	free(p);
}

/* xorshift64*: deterministic, so a failure replays. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Decodes buf as a frame, then as request and answer payloads; whatever
 * decodes must re-encode to the same bytes. */
static void decode_everything(const unsigned char *buf, size_t len)
{
	const unsigned char *p = guarded_copy(buf, len), *payload;
	struct html_links got = {0};
	struct frame_request req;
	size_t payload_len;
	uint32_t status;

	(void)frame_split(p, len, &payload, &payload_len);
	if (frame_request_decode(p, len, &req) == FA_OK) {
		size_t n, cap = frame_request_prefix_size(&req);
		unsigned char *again = malloc(cap);

		assert_non_null(again);
		assert_int_equal(frame_request_encode_prefix(&req, again, cap, &n), FA_OK);
		assert_int_equal(n - FRAME_HEADER_SIZE + req.body_len, len);
		assert_memory_equal(again + FRAME_HEADER_SIZE, p, n - FRAME_HEADER_SIZE);
		free(again);
	}
	if (frame_answer_decode(p, len, &status, &got) == FA_OK) {
		unsigned char *again;
		size_t again_len;

		assert_int_equal(frame_answer_encode(status, &got, &again, &again_len), FA_OK);
		assert_int_equal(again_len, len + FRAME_HEADER_SIZE);
		assert_memory_equal(again + FRAME_HEADER_SIZE, p, len);
		free(again);
	} else {
		assert_null(got.items);
	}
	html_links_release(&got);
}

static void test_frame_fuzz_random_bytes(void **state)
{
	unsigned char buf[512];

	(void)state;
	for (int round = 0; round < 50000; round++) {
		size_t len = (size_t)(rng() % sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)rng();
		/* Small numbers in the length fields now and then, so that the
		 * decoders get past their first checks. */
		if (len >= 16 && rng() % 2) {
			frame_put_u32(buf, (uint32_t)(rng() % 8));
			frame_put_u32(buf + 4, (uint32_t)(rng() % 8));
			frame_put_u32(buf + 8, (uint32_t)(rng() % 8));
			frame_put_u32(buf + 12, (uint32_t)(rng() % 8));
		}
		decode_everything(buf, len);
	}
}

static void test_frame_fuzz_mutated_frames(void **state)
{
	const struct frame_request req = {HTML_LINK | HTML_REQUISITE,
					  "http://example.com/",
					  19,
					  "utf-8",
					  5,
					  "<html>body</html>",
					  17};
	unsigned char *seeds[2], buf[512];
	size_t seed_len[2];

	(void)state;
	seeds[0] = sample_answer(&seed_len[0]);
	seeds[1] = encode_request(&req, &seed_len[1]);
	for (int round = 0; round < 50000; round++) {
		int which = (int)(rng() % 2);
		size_t len = seed_len[which] - FRAME_HEADER_SIZE;
		int flips = 1 + (int)(rng() % 4);

		assert_true(len <= sizeof(buf));
		memcpy(buf, seeds[which] + FRAME_HEADER_SIZE, len);
		for (int f = 0; f < flips; f++) {
			size_t at = (size_t)(rng() % len);

			switch (rng() % 3) {
			case 0: buf[at] ^= (unsigned char)(1u << (rng() % 8)); break;
			case 1: buf[at] = (unsigned char)rng(); break;
			default: len = at; break; /* cut */
			}
			if (len == 0)
				break;
		}
		decode_everything(buf, len);
	}
	free(seeds[0]);
	free(seeds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_u32_round_trip),
	    cmocka_unit_test(test_frame_request_round_trip),
	    cmocka_unit_test(test_frame_request_encode_refuses_bad_requests),
	    cmocka_unit_test(test_frame_request_truncations_rejected),
	    cmocka_unit_test(test_frame_request_malformed_rejected),
	    cmocka_unit_test(test_frame_header_absurd_length_rejected),
	    cmocka_unit_test(test_frame_answer_round_trip),
	    cmocka_unit_test(test_frame_answer_decode_appends),
	    cmocka_unit_test(test_frame_answer_encode_skips_unencodable),
	    cmocka_unit_test(test_frame_answer_link_cap),
	    cmocka_unit_test(test_frame_answer_truncations_rejected),
	    cmocka_unit_test(test_frame_answer_malformed_rejected),
	    cmocka_unit_test(test_frame_answer_absurd_count_rejected),
	    cmocka_unit_test(test_frame_fuzz_random_bytes),
	    cmocka_unit_test(test_frame_fuzz_mutated_frames),
	};

	return cmocka_run_group_tests(tests, guard_group_setup, guard_group_teardown);
}
