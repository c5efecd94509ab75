/*
 * Fuzz target for decide_parse_range() and decide_body(): a Content-Range
 * value and the verdict on a response's first body bytes.
 *
 * Input: 7 bytes of facts, then the Content-Range value up to its first
 * NUL byte (a shorter input is all facts, with an empty value).  The
 * facts: a status from {0, 200, 206, 404, 416, 500}, then asked_from,
 * known_total and content_length, each as a (kind, delta) byte pair: -1,
 * 0, the parsed start, end, total or unsatisfied total, or the range's
 * length, plus a small signed delta; or the delta alone.  So the numbers
 * land on and beside the values the rules compare, as fetch would see
 * them.  The response is what fetch builds: the parsed range, that status
 * and that Content-Length.
 *
 * Properties, each an abort() when broken.  decide_parse_range(): a
 * failure leaves all four range fields -1; a success is either
 * "bytes A-B/T|*" (0 <= A <= B, B < T when T is given, unsat_total -1)
 * or "bytes * /T" (only unsat_total, >= 0); it never touches status or
 * content_length; blanks added around the value change nothing.
 * decide_body(), DESIGN.md's integrity rules: APPEND only for a 206 to a
 * Range request (or file://, status 0, asked from an offset) whose start is
 * the offset asked, whose Content-Length
 * (if any) matches its range, whose total (if given) matches a known
 * total and ends at it; WHOLE for a 206 only if nothing was asked and it
 * covers 0..T-1 of a total that matches a known one (and its length);
 * DISCARD exactly for a status other than 0 and 2xx; a 200 is WHOLE;
 * BAD_RANGE and UNASKED only for a 206, asked for and not.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

#define FACTS       7
#define KEEP_LENGTH 4242

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long long saturated_add(long long v, int delta)
{
	if (delta > 0 && v > LLONG_MAX - delta)
		return LLONG_MAX;
	if (delta < 0 && v < LLONG_MIN - delta)
		return LLONG_MIN;
	return v + delta;
}

/* A number of the given kind near the parsed range r's values. */
static long long number(uint8_t kind, uint8_t delta_byte, const struct decide_response *r)
{
	int delta = (int8_t)delta_byte;
	long long length = r->range_start >= 0 ? r->range_end - r->range_start + 1 : -1;

	switch (kind % 8) {
	case 0: return -1;
	case 1: return 0;
	case 2: return saturated_add(r->range_start, delta);
	case 3: return saturated_add(r->range_end, delta);
	case 4: return saturated_add(r->range_total, delta);
	case 5: return saturated_add(r->unsat_total, delta);
	case 6: return saturated_add(length, delta);
	default: return delta;
	}
}

static void check_range(bool ok, const struct decide_response *r)
{
	if (r->status != 0 || r->content_length != KEEP_LENGTH)
		abort();
	if (!ok) {
		if (r->range_start != -1 || r->range_end != -1 || r->range_total != -1 ||
		    r->unsat_total != -1)
			abort();
		return;
	}
	/* The brief's three: end before start, end at or past the total, a
	 * negative start with a positive end. */
	if (r->range_end < r->range_start)
		abort();
	if (r->range_total >= 0 && r->range_end >= r->range_total)
		abort();
	if (r->range_start < 0 && r->range_end > 0)
		abort();
	if (r->range_start >= 0) {
		/* "bytes A-B/T" or "bytes A-B/ *" */
		if (r->range_total < -1 || r->unsat_total != -1)
			abort();
	} else {
		/* "bytes * /T" */
		if (r->range_start != -1 || r->range_end != -1 || r->range_total != -1 ||
		    r->unsat_total < 0)
			abort();
	}
}

static bool same_range(const struct decide_response *a, const struct decide_response *b)
{
	return a->range_start == b->range_start && a->range_end == b->range_end &&
	       a->range_total == b->range_total && a->unsat_total == b->unsat_total;
}

static void check_body(long long asked, long long known, const struct decide_response *r,
		       enum decide_body got)
{
	bool ok_status = r->status == 0 || (r->status >= 200 && r->status < 300);

	if (got == BODY_APPEND && r->status == 0 && asked <= 0)
		abort(); /* file:// continues only what was asked */
	if (got == BODY_APPEND && r->status != 0) {
		if (r->status != 206 || asked <= 0 || r->range_start != asked)
			abort();
		if (r->range_total < 0 && known >= 0 && r->range_end != known - 1)
			abort();
		if (r->content_length >= 0 &&
		    r->content_length != r->range_end - r->range_start + 1)
			abort();
		if (r->range_total >= 0 && known >= 0 && r->range_total != known)
			abort();
		if (r->range_total >= 0 && r->range_end != r->range_total - 1)
			abort();
	}
	if (got == BODY_WHOLE && r->status == 206) {
		if (r->range_start != 0 || r->range_end != r->range_total - 1 ||
		    r->range_total < 0 || asked > 0)
			abort();
		if ((known >= 0 && known != r->range_total) ||
		    (r->content_length >= 0 && r->content_length != r->range_total))
			abort();
	}
	if (ok_status == (got == BODY_DISCARD))
		abort();
	if (r->status == 200 && got != BODY_WHOLE)
		abort();
	if (got == BODY_BAD_RANGE && (r->status != 206 || asked <= 0))
		abort();
	if (got == BODY_UNASKED && (r->status != 206 || asked > 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {0, 200, 206, 404, 416, 500};
	uint8_t facts[FACTS] = {0};
	const char *text = "";
	size_t len = 0;
	char *value, *padded;
	struct decide_response r = {0, 7, 7, 7, 7, KEEP_LENGTH};
	struct decide_response again = r;
	long long asked, known;
	bool ok;

	memcpy(facts, data, size < FACTS ? size : FACTS);
	if (size > FACTS) {
		text = (const char *)data + FACTS;
		len = strnlen(text, size - FACTS);
	}
	value = malloc(len + 1);
	padded = malloc(len + 5);
	if (!value || !padded)
		abort();
	memcpy(value, text, len);
	value[len] = '\0';

	ok = decide_parse_range(value, &r);
	check_range(ok, &r);
	/* Blanks around the value change nothing. */
	memcpy(padded, " \t", 2);
	memcpy(padded + 2, value, len);
	memcpy(padded + 2 + len, "\t ", 3);
	if (decide_parse_range(padded, &again) != ok || !same_range(&r, &again))
		abort();

	r.status = statuses[facts[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	asked = number(facts[1], facts[2], &r);
	known = number(facts[3], facts[4], &r);
	r.content_length = number(facts[5], facts[6], &r);
	check_body(asked, known, &r, decide_body(asked, known, &r));

	free(padded);
	free(value);
	return 0;
}
