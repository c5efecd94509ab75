/*
 * Unit tests for decide: what a response means.  Tables of Content-Range
 * values (each placed right before an unreadable page, so an over-read
 * crashes) against every field parsed; of responses against the verdict
 * decide_body() must give for what is held; of attempt facts against
 * decide_attempt()'s action and reason; then a property test: 200000
 * pseudo-random responses (fixed seed) must keep the promises of
 * DESIGN.md's integrity rules (a 206 is appended only if it continues
 * exactly what was asked; a 206 is the whole file only if it says so; an
 * error status's body is never the resource).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>

#include "decide.h"
#include "guard.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fields parse must leave alone: decide_parse_range() sets only ranges. */
#define KEEP_STATUS 206
#define KEEP_LENGTH 12345

struct range_case {
	const char *value;
	bool ok;
	long long start, end, total, unsat; /* -1: not given */
};

static void run_range_cases(const struct range_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct range_case *c = &cases[i];
		struct decide_response r = {KEEP_STATUS, 7, 7, 7, 7, KEEP_LENGTH};
		bool ok = decide_parse_range(guard_str(&guard_shared, c->value), &r);

		if (ok != c->ok || r.range_start != c->start || r.range_end != c->end ||
		    r.range_total != c->total || r.unsat_total != c->unsat ||
		    r.status != KEEP_STATUS || r.content_length != KEEP_LENGTH)
			fail_msg("[%s]: got %d %lld-%lld/%lld unsat %lld, want %d "
				 "%lld-%lld/%lld unsat %lld",
				 c->value, ok, r.range_start, r.range_end, r.range_total,
				 r.unsat_total, c->ok, c->start, c->end, c->total, c->unsat);
	}
}

static void test_decide_parse_range_valid(void **state)
{
	static const struct range_case cases[] = {
	    /* the usual 206: first 100 bytes of 100 */
	    {"bytes 0-99/100", true, 0, 99, 100, -1},
	    /* the largest total there is (helper's finding: it was refused) */
	    {"bytes 0-0/9223372036854775807", true, 0, 0, 9223372036854775807LL, -1},
	    /* a resume from the middle to the end */
	    {"bytes 5000-199999/200000", true, 5000, 199999, 200000, -1},
	    /* one byte */
	    {"bytes 0-0/1", true, 0, 0, 1, -1},
	    /* total unknown: "*" gives -1 */
	    {"bytes 5-9/*", true, 5, 9, -1, -1},
	    /* a 416's unsatisfied form: only unsat_total */
	    {"bytes */100", true, -1, -1, -1, 100},
	    /* a 416 for an empty resource */
	    {"bytes */0", true, -1, -1, -1, 0},
	    /* the unit is case-insensitive */
	    {"BYTES 0-99/100", true, 0, 99, 100, -1},
	    {"Bytes */100", true, -1, -1, -1, 100},
	    /* a tab after the unit */
	    {"bytes\t0-99/100", true, 0, 99, 100, -1},
	    /* extra blanks before, after the unit and at the end */
	    {"  bytes   0-99/100  ", true, 0, 99, 100, -1},
	    {"\tbytes \t 5-9/*\t ", true, 5, 9, -1, -1},
	    /* the raw header line's CR LF (or either) ends the value */
	    {"bytes 0-99/100\r\n", true, 0, 99, 100, -1},
	    {"bytes 0-99/100\r", true, 0, 99, 100, -1},
	    {"bytes 0-99/100\n", true, 0, 99, 100, -1},
	    {"bytes 5-9/* \r\n", true, 5, 9, -1, -1},
	    {"bytes */100\r\n", true, -1, -1, -1, 100},
	    /* leading zeros are still decimal */
	    {"bytes 007-009/010", true, 7, 9, 10, -1},
	    /* past 32 bits */
	    {"bytes 4294967296-4294967299/4294967300", true, 4294967296LL, 4294967299LL,
	     4294967300LL, -1},
	    /* large, but well below LLONG_MAX */
	    {"bytes 8999999999999999999-8999999999999999999/9000000000000000000", true,
	     8999999999999999999LL, 8999999999999999999LL, 9000000000000000000LL, -1},
	};

	(void)state;
	run_range_cases(cases, ARRAY_LEN(cases));
}

static void test_decide_parse_range_invalid(void **state)
{
	static const struct range_case cases[] = {
	    /* end before start */
	    {"bytes 10-5/100", false, -1, -1, -1, -1},
	    {"bytes 10-9/100", false, -1, -1, -1, -1},
	    /* end at or past the total */
	    {"bytes 0-100/100", false, -1, -1, -1, -1},
	    {"bytes 0-200/100", false, -1, -1, -1, -1},
	    {"bytes 0-0/0", false, -1, -1, -1, -1},
	    /* missing '/' or total */
	    {"bytes 0-99", false, -1, -1, -1, -1},
	    {"bytes 0-99 100", false, -1, -1, -1, -1},
	    {"bytes 0-99/", false, -1, -1, -1, -1},
	    /* missing start or end */
	    {"bytes -99/100", false, -1, -1, -1, -1},
	    {"bytes 5-/100", false, -1, -1, -1, -1},
	    {"bytes 5/100", false, -1, -1, -1, -1},
	    /* "* / *" says nothing */
	    {"bytes */*", false, -1, -1, -1, -1},
	    {"bytes */", false, -1, -1, -1, -1},
	    {"bytes *", false, -1, -1, -1, -1},
	    /* negative numbers, or a sign at all */
	    {"bytes -1-5/10", false, -1, -1, -1, -1},
	    {"bytes 0--5/10", false, -1, -1, -1, -1},
	    {"bytes 0-5/-10", false, -1, -1, -1, -1},
	    {"bytes */-1", false, -1, -1, -1, -1},
	    {"bytes +0-1/2", false, -1, -1, -1, -1},
	    /* overflow past LLONG_MAX (9223372036854775807) */
	    {"bytes 0-1/9223372036854775808", false, -1, -1, -1, -1},
	    {"bytes 0-1/99999999999999999999", false, -1, -1, -1, -1},
	    {"bytes 9223372036854775808-9223372036854775809/*", false, -1, -1, -1, -1},
	    {"bytes 18446744073709551616-18446744073709551617/*", false, -1, -1, -1, -1},
	    {"bytes */18446744073709551616", false, -1, -1, -1, -1},
	    /* an end of LLONG_MAX: its length, end - start + 1, is past it
	     * (fuzz_decide found the overflow) */
	    {"bytes 0-9223372036854775807/*", false, -1, -1, -1, -1},
	    {"bytes 5-9223372036854775807/*", false, -1, -1, -1, -1},
	    /* garbage after a well-formed value */
	    {"bytes 0-99/100x", false, -1, -1, -1, -1},
	    {"bytes 0-99/100 x", false, -1, -1, -1, -1},
	    {"bytes 0-99/100;", false, -1, -1, -1, -1},
	    {"bytes 0-99/100/100", false, -1, -1, -1, -1},
	    {"bytes 5-9/*x", false, -1, -1, -1, -1},
	    {"bytes */100 junk", false, -1, -1, -1, -1},
	    /* several ranges (multipart/byteranges is never one range) */
	    {"bytes 0-1,3-4/10", false, -1, -1, -1, -1},
	    /* blanks inside the range */
	    {"bytes 0 -99/100", false, -1, -1, -1, -1},
	    {"bytes 0- 99/100", false, -1, -1, -1, -1},
	    {"bytes 0-99 /100", false, -1, -1, -1, -1},
	    {"bytes 0-99/ 100", false, -1, -1, -1, -1},
	    {"bytes * /100", false, -1, -1, -1, -1},
	    /* not decimal */
	    {"bytes 0x10-0x20/0x30", false, -1, -1, -1, -1},
	    {"bytes 1e3-2e3/3e3", false, -1, -1, -1, -1},
	    /* empty, blank, or the unit alone */
	    {"", false, -1, -1, -1, -1},
	    {"   ", false, -1, -1, -1, -1},
	    {"\r\n", false, -1, -1, -1, -1},
	    {"bytes", false, -1, -1, -1, -1},
	    {"bytes ", false, -1, -1, -1, -1},
	    /* the Range request's syntax, not Content-Range's */
	    {"bytes=0-1/2", false, -1, -1, -1, -1},
	    /* no blank after the unit, another unit, no unit */
	    {"bytes0-1/2", false, -1, -1, -1, -1},
	    {"byte 0-1/2", false, -1, -1, -1, -1},
	    {"bits 0-1/2", false, -1, -1, -1, -1},
	    {"0-99/100", false, -1, -1, -1, -1},
	};

	(void)state;
	run_range_cases(cases, ARRAY_LEN(cases));
}

/* Values printed and parsed back give the same fields. */
static void test_decide_parse_range_round_trip(void **state)
{
	static const long long starts[] = {0, 1, 99, 5000, 2147483648LL, 999999999999999LL};
	static const long long lengths[] = {1, 2, 100, 195000, 4294967296LL};
	static const long long extra[] = {0, 1, 777};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(starts); i++) {
		for (size_t j = 0; j < ARRAY_LEN(lengths); j++) {
			for (size_t k = 0; k < ARRAY_LEN(extra); k++) {
				long long a = starts[i], b = a + lengths[j] - 1;
				long long t = b + 1 + extra[k];
				struct decide_response r;
				char value[96];

				snprintf(value, sizeof(value), "bytes %lld-%lld/%lld", a, b, t);
				assert_true(
				    decide_parse_range(guard_str(&guard_shared, value), &r));
				assert_true(r.range_start == a && r.range_end == b &&
					    r.range_total == t && r.unsat_total == -1);
				snprintf(value, sizeof(value), "bytes %lld-%lld/*", a, b);
				assert_true(
				    decide_parse_range(guard_str(&guard_shared, value), &r));
				assert_true(r.range_start == a && r.range_end == b &&
					    r.range_total == -1 && r.unsat_total == -1);
				snprintf(value, sizeof(value), "bytes */%lld", t);
				assert_true(
				    decide_parse_range(guard_str(&guard_shared, value), &r));
				assert_true(r.range_start == -1 && r.range_end == -1 &&
					    r.range_total == -1 && r.unsat_total == t);
			}
		}
	}
}

static const char *body_name(enum decide_body b)
{
	switch (b) {
	case BODY_APPEND: return "APPEND";
	case BODY_WHOLE: return "WHOLE";
	case BODY_DISCARD: return "DISCARD";
	case BODY_BAD_RANGE: return "BAD_RANGE";
	case BODY_UNASKED: return "UNASKED";
	}
	return "?";
}

/* asked_from (0: no Range sent), known_total (-1: unknown), the response
 * {status, Content-Range A, B, T, a 416's T, Content-Length} (-1: absent;
 * T is -1 for "*" too) -> the verdict. */
struct body_case {
	long long asked_from;
	long long known_total;
	struct decide_response r;
	enum decide_body want;
};

static void test_decide_body_table(void **state)
{
	static const struct body_case cases[] = {
	    /* 200 with nothing held */
	    {0, -1, {200, -1, -1, -1, -1, 200000}, BODY_WHOLE},
	    /* 200 with no length (chunked) */
	    {0, -1, {200, -1, -1, -1, -1, -1}, BODY_WHOLE},
	    /* 200 to a Range request: it sends it all */
	    {5000, 200000, {200, -1, -1, -1, -1, 200000}, BODY_WHOLE},
	    {5000, -1, {200, -1, -1, -1, -1, -1}, BODY_WHOLE},
	    /* a 200's Content-Range means nothing */
	    {5000, 200000, {200, 5000, 199999, 200000, -1, 195000}, BODY_WHOLE},
	    /* another 2xx is the whole too (an empty 204) */
	    {0, -1, {204, -1, -1, -1, -1, 0}, BODY_WHOLE},
	    /* status 0: file:// honours the offset asked (libcurl reads from it) */
	    {5000, 200000, {0, -1, -1, -1, -1, 195000}, BODY_APPEND},
	    /* "*" total: the range must still reach the known end */
	    {5000, 200000, {206, 5000, 5999, -1, -1, 1000}, BODY_BAD_RANGE},
	    {5000, 200000, {206, 5000, 299999, -1, -1, 295000}, BODY_BAD_RANGE},
	    {5000, 200000, {206, 5000, 199999, -1, -1, 195000}, BODY_APPEND},
	    /* status 0: file://, nothing asked */
	    {0, -1, {0, -1, -1, -1, -1, 100}, BODY_WHOLE},
	    {0, -1, {0, -1, -1, -1, -1, -1}, BODY_WHOLE},
	    /* error statuses: the body is an error page */
	    {0, -1, {404, -1, -1, -1, -1, 512}, BODY_DISCARD},
	    {5000, 200000, {404, -1, -1, -1, -1, 512}, BODY_DISCARD},
	    {0, -1, {403, -1, -1, -1, -1, -1}, BODY_DISCARD},
	    {5000, 200000, {416, -1, -1, -1, -1, 0}, BODY_DISCARD},
	    {0, -1, {500, -1, -1, -1, -1, 100}, BODY_DISCARD},
	    {5000, 200000, {503, 5000, 199999, 200000, -1, 195000}, BODY_DISCARD},
	    /* not 2xx at all: informational, redirect */
	    {0, -1, {100, -1, -1, -1, -1, -1}, BODY_DISCARD},
	    {0, -1, {302, -1, -1, -1, -1, 0}, BODY_DISCARD},
	    {5000, 200000, {304, -1, -1, -1, -1, -1}, BODY_DISCARD},
	    /* 206 continuing exactly: start == asked, total == known, length
	     * matches, to the end */
	    {5000, 200000, {206, 5000, 199999, 200000, -1, 195000}, BODY_APPEND},
	    /* the same with no Content-Length (chunked) */
	    {5000, 200000, {206, 5000, 199999, 200000, -1, -1}, BODY_APPEND},
	    /* the same with the total not known yet (a short file, no record) */
	    {5000, -1, {206, 5000, 199999, 200000, -1, 195000}, BODY_APPEND},
	    /* the last byte alone */
	    {199999, 200000, {206, 199999, 199999, 200000, -1, 1}, BODY_APPEND},
	    /* total unknown ("*"), total known or not */
	    {5000, 200000, {206, 5000, 199999, -1, -1, 195000}, BODY_APPEND},
	    {5000, -1, {206, 5000, 199999, -1, -1, 195000}, BODY_APPEND},
	    {5000, -1, {206, 5000, 5999, -1, -1, -1}, BODY_APPEND},
	    /* the resource changed: another total */
	    {5000, 200777, {206, 5000, 199999, 200000, -1, 195000}, BODY_BAD_RANGE},
	    {5000, 200000, {206, 5000, 200776, 200777, -1, 195777}, BODY_BAD_RANGE},
	    /* Content-Length disagrees with the range: "sends the whole file
	     * again" under a 206 */
	    {5000, 200000, {206, 5000, 199999, 200000, -1, 200000}, BODY_BAD_RANGE},
	    {5000, 200000, {206, 5000, 199999, -1, -1, 200000}, BODY_BAD_RANGE},
	    /* ... or one byte short */
	    {5000, 200000, {206, 5000, 199999, 200000, -1, 194999}, BODY_BAD_RANGE},
	    /* a 206 for another start */
	    {5000, 200000, {206, 0, 199999, 200000, -1, 200000}, BODY_BAD_RANGE},
	    {5000, 200000, {206, 4999, 199999, 200000, -1, 195001}, BODY_BAD_RANGE},
	    {5000, 200000, {206, 5001, 199999, 200000, -1, 194999}, BODY_BAD_RANGE},
	    {5000, -1, {206, 6000, 6999, -1, -1, 1000}, BODY_BAD_RANGE},
	    /* a 206 not reaching the end */
	    {5000, 200000, {206, 5000, 5999, 200000, -1, 1000}, BODY_BAD_RANGE},
	    {5000, -1, {206, 5000, 5999, 200000, -1, 1000}, BODY_BAD_RANGE},
	    /* a 206 with no Content-Range (or an invalid one) after asking */
	    {5000, 200000, {206, -1, -1, -1, -1, 195000}, BODY_BAD_RANGE},
	    {5000, -1, {206, -1, -1, -1, -1, -1}, BODY_BAD_RANGE},
	    /* a 206 with only an unsatisfied "bytes * /T" */
	    {5000, 200000, {206, -1, -1, -1, 200000, 195000}, BODY_BAD_RANGE},
	    /* a 206 nobody asked for, from 5000 */
	    {0, -1, {206, 5000, 199999, 200000, -1, 195000}, BODY_UNASKED},
	    {0, 200000, {206, 5000, 199999, 200000, -1, 195000}, BODY_UNASKED},
	    /* unasked, from 0 but not to the end */
	    {0, -1, {206, 0, 99, 200000, -1, 100}, BODY_UNASKED},
	    /* unasked, from 0 with the total unknown: not known to be whole */
	    {0, -1, {206, 0, 199999, -1, -1, 200000}, BODY_UNASKED},
	    /* unasked with no Content-Range */
	    {0, -1, {206, -1, -1, -1, -1, 200000}, BODY_UNASKED},
	    /* unasked, covering 0..total-1: it says it is the whole */
	    {0, -1, {206, 0, 199999, 200000, -1, 200000}, BODY_WHOLE},
	    {0, -1, {206, 0, 199999, 200000, -1, -1}, BODY_WHOLE},
	    {0, 200000, {206, 0, 199999, 200000, -1, 200000}, BODY_WHOLE},
	    /* the same whose total disagrees with a known total */
	    {0, 200777, {206, 0, 199999, 200000, -1, 200000}, BODY_UNASKED},
	    /* the same whose length disagrees with its range */
	    {0, -1, {206, 0, 199999, 200000, -1, 100}, BODY_UNASKED},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct body_case *c = &cases[i];
		enum decide_body got = decide_body(c->asked_from, c->known_total, &c->r);

		if (got != c->want)
			fail_msg("row %zu: asked %lld known %lld, %ld %lld-%lld/%lld len %lld: "
				 "got %s, want %s",
				 i, c->asked_from, c->known_total, c->r.status, c->r.range_start,
				 c->r.range_end, c->r.range_total, c->r.content_length,
				 body_name(got), body_name(c->want));
	}
}

/* The attempt's yes/no facts, as bits of a table row. */
enum {
	CANCELLED = 1 << 0,
	STORE_FAILED = 1 << 1,
	OVER_FILESIZE = 1 << 2,
	TOO_BIG = 1 << 3,
	NAME_TAKEN = 1 << 4,
	SEEN = 1 << 5, /* body_seen */
	BASE = 1 << 6,
	RESTARTED = 1 << 7,
	DEAD = 1 << 8, /* dead_reused */
	TRANSIENT = 1 << 9,
	RETRIES = 1 << 10, /* retries_left */
	ALL_FLAGS = (1 << 11) - 1,
};

/* flags, curl_code, status, body, asked_from, held, known_total,
 * unsat_total -> action, why. */
struct attempt_case {
	unsigned flags;
	int curl_code;
	long status;
	enum decide_body body;
	long long asked_from, held, known_total, unsat_total;
	enum decide_action act;
	enum decide_why why;
};

static struct decide_attempt facts(const struct attempt_case *c)
{
	return (struct decide_attempt){
	    .curl_code = c->curl_code,
	    .cancelled = c->flags & CANCELLED,
	    .store_failed = c->flags & STORE_FAILED,
	    .over_filesize = c->flags & OVER_FILESIZE,
	    .too_big = c->flags & TOO_BIG,
	    .name_taken = c->flags & NAME_TAKEN,
	    .body_seen = c->flags & SEEN,
	    .body = c->body,
	    .status = c->status,
	    .asked_from = c->asked_from,
	    .held = c->held,
	    .known_total = c->known_total,
	    .unsat_total = c->unsat_total,
	    .base = c->flags & BASE,
	    .restarted = c->flags & RESTARTED,
	    .dead_reused = c->flags & DEAD,
	    .transient = c->flags & TRANSIENT,
	    .retries_left = c->flags & RETRIES,
	};
}

/* Short names for the verdicts, so that a row fits on a line. */
#define B_APPEND BODY_APPEND
#define B_WHOLE  BODY_WHOLE
#define B_ERROR  BODY_DISCARD
#define B_BAD    BODY_BAD_RANGE
#define B_UNASK  BODY_UNASKED

static void test_decide_attempt_table(void **state)
{
	static const struct attempt_case cases[] = {
	    /* cancelled wins over everything, even a complete body */
	    {CANCELLED | SEEN, 0, 200, B_WHOLE, 0, 100, 100, -1, ACT_FAIL, WHY_CANCELLED},
	    {ALL_FLAGS, 0, 416, B_BAD, 100, 100, 100, 100, ACT_FAIL, WHY_CANCELLED},
	    /* a failed write to the file */
	    {STORE_FAILED | SEEN, 23, 200, B_WHOLE, 0, 10, -1, -1, ACT_FAIL, WHY_STORE},
	    {ALL_FLAGS & ~CANCELLED, 0, 200, B_BAD, 0, 0, -1, -1, ACT_FAIL, WHY_STORE},
	    /* over --max-filesize */
	    {OVER_FILESIZE | SEEN, 63, 200, B_WHOLE, 0, 10, -1, -1, ACT_FAIL, WHY_FILESIZE},
	    {OVER_FILESIZE | TOO_BIG | NAME_TAKEN, 0, 200, B_WHOLE, 0, 0, -1, -1, ACT_FAIL,
	     WHY_FILESIZE},
	    /* -J's name is taken: skipped (before --max-size) */
	    {NAME_TAKEN | SEEN, 23, 200, B_WHOLE, 0, 0, -1, -1, ACT_SKIP, WHY_NAME_TAKEN},
	    {NAME_TAKEN | TOO_BIG, 23, 200, B_WHOLE, 0, 0, -1, -1, ACT_SKIP, WHY_NAME_TAKEN},
	    /* over --max-size: skipped */
	    {TOO_BIG | SEEN, 42, 200, B_WHOLE, 0, 10, -1, -1, ACT_SKIP, WHY_TOO_BIG},
	    {TOO_BIG | SEEN | TRANSIENT | RETRIES, 0, 206, B_BAD, 50, 50, 100, -1, ACT_SKIP,
	     WHY_TOO_BIG},
	    /* 204 and 205 have no body by definition: nothing saved, skipped */
	    {0, 0, 204, B_WHOLE, 0, 0, -1, -1, ACT_SKIP, WHY_NO_CONTENT},
	    {0, 0, 205, B_WHOLE, 0, 0, -1, -1, ACT_SKIP, WHY_NO_CONTENT},
	    {0, 0, 204, B_WHOLE, 100, 100, 200, -1, ACT_SKIP, WHY_NO_CONTENT},
	    /* ... but only as a response: a broken transfer is not one */
	    {TRANSIENT | RETRIES, 56, 204, B_WHOLE, 0, 0, -1, -1, ACT_RETRY_LATER, WHY_TRANSFER},
	    /* a bad 206: restart from zero the first time, then fail */
	    {SEEN, 0, 206, B_BAD, 50, 50, 100, -1, ACT_RESTART, WHY_BAD_RANGE},
	    {SEEN | RESTARTED, 0, 206, B_BAD, 50, 50, 100, -1, ACT_FAIL, WHY_BAD_RANGE},
	    /* ... even if the transfer also broke and could be retried */
	    {SEEN | TRANSIENT | RETRIES, 18, 206, B_BAD, 50, 50, -1, -1, ACT_RESTART,
	     WHY_BAD_RANGE},
	    /* an unasked 206 likewise */
	    {SEEN, 0, 206, B_UNASK, 0, 0, -1, -1, ACT_RESTART, WHY_UNASKED},
	    {SEEN | RESTARTED, 0, 206, B_UNASK, 0, 0, -1, -1, ACT_FAIL, WHY_UNASKED},
	    /* a verdict with no body seen does not count */
	    {0, 0, 200, B_BAD, 0, 100, 100, -1, ACT_DONE, WHY_NONE},
	    /* 416 for exactly what a .part holds: it is whole */
	    {SEEN, 0, 416, B_ERROR, 100, 100, -1, 100, ACT_DONE, WHY_COMPLETE},
	    {0, 0, 416, B_ERROR, 100, 100, 100, 100, ACT_DONE, WHY_COMPLETE},
	    /* ... and for a file -c found: skipped as complete */
	    {BASE, 0, 416, B_ERROR, 100, 100, -1, 100, ACT_SKIP, WHY_COMPLETE},
	    {BASE | RESTARTED, 0, 416, B_ERROR, 100, 100, 100, 100, ACT_SKIP, WHY_COMPLETE},
	    /* 416 whose total is below what a found file holds: skipped */
	    {BASE, 0, 416, B_ERROR, 107, 107, -1, 100, ACT_SKIP, WHY_LONGER},
	    /* ... but a .part longer than the resource starts over */
	    {0, 0, 416, B_ERROR, 107, 107, -1, 100, ACT_RESTART, WHY_UNSATISFIED},
	    /* 416 matching what is held but not the known total */
	    {0, 0, 416, B_ERROR, 100, 100, 107, 100, ACT_RESTART, WHY_UNSATISFIED},
	    {BASE, 0, 416, B_ERROR, 100, 100, 107, 100, ACT_RESTART, WHY_UNSATISFIED},
	    /* other 416s (no total, or above what is held): restart, then fail */
	    {0, 0, 416, B_ERROR, 50, 50, -1, -1, ACT_RESTART, WHY_UNSATISFIED},
	    {RESTARTED, 0, 416, B_ERROR, 50, 50, -1, -1, ACT_FAIL, WHY_UNSATISFIED},
	    {BASE, 0, 416, B_ERROR, 50, 50, -1, 100, ACT_RESTART, WHY_UNSATISFIED},
	    {BASE | RESTARTED, 0, 416, B_ERROR, 50, 50, -1, 100, ACT_FAIL, WHY_UNSATISFIED},
	    /* a 416 nobody asked for is an error status */
	    {0, 0, 416, B_ERROR, 0, 0, -1, 0, ACT_FAIL, WHY_HTTP},
	    /* a dead kept-alive connection: again at once */
	    {DEAD, 52, 0, B_WHOLE, 0, 0, -1, -1, ACT_RETRY_NOW, WHY_TRANSFER},
	    {DEAD | TRANSIENT, 56, 0, B_WHOLE, 50, 50, 100, -1, ACT_RETRY_NOW, WHY_TRANSFER},
	    /* success with all of the known total held */
	    {SEEN, 0, 200, B_WHOLE, 0, 100, 100, -1, ACT_DONE, WHY_NONE},
	    {SEEN, 0, 206, B_APPEND, 50, 100, 100, -1, ACT_DONE, WHY_NONE},
	    {SEEN | RESTARTED, 0, 200, B_WHOLE, 0, 100, 100, -1, ACT_DONE, WHY_NONE},
	    /* success with no total known, file:// (status 0), nothing */
	    {SEEN, 0, 200, B_WHOLE, 0, 1234, -1, -1, ACT_DONE, WHY_NONE},
	    {SEEN, 0, 0, B_WHOLE, 0, 10, 10, -1, ACT_DONE, WHY_NONE},
	    {0, 0, 201, B_WHOLE, 0, 0, 0, -1, ACT_DONE, WHY_NONE},
	    /* success short of the known total: restart, then fail */
	    {SEEN, 0, 200, B_WHOLE, 0, 99, 100, -1, ACT_RESTART, WHY_INCOMPLETE},
	    {SEEN | RESTARTED, 0, 200, B_WHOLE, 0, 99, 100, -1, ACT_FAIL, WHY_INCOMPLETE},
	    /* ... or past it */
	    {SEEN, 0, 206, B_APPEND, 50, 101, 100, -1, ACT_RESTART, WHY_INCOMPLETE},
	    /* a transient error with retries left: again after the backoff */
	    {TRANSIENT | RETRIES, 28, 0, B_WHOLE, 0, 0, -1, -1, ACT_RETRY_LATER, WHY_TRANSFER},
	    {SEEN | TRANSIENT | RETRIES, 18, 206, B_APPEND, 50, 90, 100, -1, ACT_RETRY_LATER,
	     WHY_TRANSFER},
	    {SEEN | TRANSIENT | RETRIES, 0, 503, B_ERROR, 0, 0, -1, -1, ACT_RETRY_LATER, WHY_HTTP},
	    /* ... without retries left */
	    {TRANSIENT, 28, 0, B_WHOLE, 0, 0, -1, -1, ACT_FAIL, WHY_TRANSFER},
	    {SEEN | TRANSIENT, 0, 503, B_ERROR, 0, 0, -1, -1, ACT_FAIL, WHY_HTTP},
	    /* not transient: fail at once, retries left or not */
	    {SEEN | RETRIES, 0, 404, B_ERROR, 0, 0, -1, -1, ACT_FAIL, WHY_HTTP},
	    {RETRIES, 6, 0, B_WHOLE, 0, 0, -1, -1, ACT_FAIL, WHY_TRANSFER},
	    {0, 47, 302, B_WHOLE, 0, 0, -1, -1, ACT_FAIL, WHY_TRANSFER},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct attempt_case *c = &cases[i];
		struct decide_attempt a = facts(c);
		enum decide_why why = (enum decide_why) - 1;
		enum decide_action act = decide_attempt(&a, &why);

		if (act != c->act || why != c->why)
			fail_msg("row %zu: got action %d why %d, want %d %d", i, act, why, c->act,
				 c->why);
		/* Ctrl-C wins whatever the other facts say. */
		a.cancelled = true;
		why = (enum decide_why) - 1;
		act = decide_attempt(&a, &why);
		if (act != ACT_FAIL || why != WHY_CANCELLED)
			fail_msg("row %zu cancelled: got action %d why %d", i, act, why);
	}
}

/* xorshift64: a fixed seed, so every run checks the same values. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* One of the n values, or (one time in four) any from -1 to 2^40 - 2:
 * values that sit on the rules' edges, and some that sit nowhere.  Bounded so that
 * no difference of two of them overflows. */
static long long pick(uint64_t *s, const long long *values, size_t n)
{
	uint64_t x = next_random(s);

	if (x % 4 == 0)
		return (long long)((x >> 8) & ((UINT64_C(1) << 40) - 1)) - 1;
	return values[(x >> 8) % n];
}

#define PICK(s, ...)                                \
	pick((s), (const long long[]){__VA_ARGS__}, \
	     sizeof((const long long[]){__VA_ARGS__}) / sizeof(long long))

static bool status_ok(long status)
{
	return status == 0 || (status >= 200 && status < 300);
}

static void test_decide_body_properties(void **state)
{
	static const long statuses[] = {0,   100, 199, 200, 201, 204, 206, 206, 206, 206,
					206, 299, 300, 304, 400, 404, 416, 500, 503, 999};
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
	size_t count[BODY_UNASKED + 1] = {0};
	size_t whole206 = 0;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		long long asked = PICK(&seed, 0, 0, 0, 1, 99, 5000, 199999);
		long long known = PICK(&seed, -1, -1, 0, 100, 200000, 200777, asked, asked + 1);
		struct decide_response r;
		enum decide_body got;

		r.status = statuses[next_random(&seed) % ARRAY_LEN(statuses)];
		r.range_start = PICK(&seed, -1, 0, 0, asked, asked, asked - 1, asked + 1);
		r.range_total = PICK(&seed, -1, known, known, known + 1, known - 1, 0);
		r.range_end = PICK(&seed, -1, r.range_total - 1, r.range_total - 1, known - 1,
				   r.range_start, r.range_start - 1, r.range_total);
		r.unsat_total = PICK(&seed, -1, -1, known, asked);
		r.content_length =
		    PICK(&seed, -1, r.range_end - r.range_start + 1,
			 r.range_end - r.range_start + 1, r.range_end - r.range_start,
			 r.range_end - r.range_start + 2, r.range_total, known, 0);
		got = decide_body(asked, known, &r);
		count[got]++;

		/* file:// (status 0) reads from the offset asked: a continuation */
		if (got == BODY_APPEND && r.status == 0 && asked <= 0)
			goto broken;
		if (got == BODY_APPEND && r.status != 0 &&
		    (r.status != 206 || asked <= 0 || r.range_start != asked ||
		     (r.content_length >= 0 &&
		      r.content_length != r.range_end - r.range_start + 1) ||
		     (r.range_total >= 0 && known >= 0 && r.range_total != known) ||
		     (r.range_total >= 0 && r.range_end != r.range_total - 1) ||
		     (r.range_total < 0 && known >= 0 && r.range_end != known - 1)))
			goto broken;
		if (got == BODY_WHOLE && r.status == 206) {
			whole206++;
			/* only a 206 nobody asked for that says it is all of it */
			if (r.range_start != 0 || r.range_end != r.range_total - 1 ||
			    r.range_total < 0 || asked > 0 ||
			    (known >= 0 && known != r.range_total) ||
			    (r.content_length >= 0 && r.content_length != r.range_total))
				goto broken;
		}
		/* an error page is never the resource, and only an error is */
		if (status_ok(r.status) == (got == BODY_DISCARD))
			goto broken;
		/* any other 2xx is the whole, asked for or not */
		if (r.status >= 200 && r.status < 300 && r.status != 206 && got != BODY_WHOLE)
			goto broken;
		/* a bad range is an asked-for 206, an unasked one is not */
		if (got == BODY_BAD_RANGE && (r.status != 206 || asked <= 0))
			goto broken;
		if (got == BODY_UNASKED && (r.status != 206 || asked > 0))
			goto broken;
		continue;
	broken:
		fail_msg("iteration %d: asked %lld known %lld, %ld %lld-%lld/%lld unsat %lld "
			 "len %lld: %s",
			 i, asked, known, r.status, r.range_start, r.range_end, r.range_total,
			 r.unsat_total, r.content_length, body_name(got));
	}
	/* Every verdict came up often enough to mean something. */
	for (int b = BODY_APPEND; b <= BODY_UNASKED; b++) {
		if (count[b] < 1000)
			fail_msg("%s only %zu times", body_name((enum decide_body)b), count[b]);
	}
	assert_true(whole206 >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide_parse_range_valid),
	    cmocka_unit_test(test_decide_parse_range_invalid),
	    cmocka_unit_test(test_decide_parse_range_round_trip),
	    cmocka_unit_test(test_decide_body_table),
	    cmocka_unit_test(test_decide_attempt_table),
	    cmocka_unit_test(test_decide_body_properties),
	};

	return cmocka_run_group_tests_name("decide", tests, guard_group_setup,
					   guard_group_teardown);
}
