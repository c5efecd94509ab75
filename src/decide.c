/*
 * decide: the meaning of a response, as pure functions (see decide.h).
 *
 * The rules come from DESIGN.md's integrity rules: a final name is the
 * exact whole resource or nothing, so a 206 is appended only when it
 * continues exactly the bytes held, and anything else either starts over
 * from zero (once per URL) or fails; it is never spliced.  No state, no
 * locks.
 */
#include "decide.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool status_ok(long code)
{
	return code == 0 || (code >= 200 && code < 300);
}

/* A non-negative decimal at *p (no sign), advancing *p; -1 if none or out
 * of range. */
static long long number(const char **p)
{
	const char *s = *p;
	long long v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		int d = *s - '0';

		if (v > (LLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	return v;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

bool decide_parse_range(const char *value, struct decide_response *r)
{
	const char *p = value;
	long long a = -1, b = -1, t = -1;

	r->range_start = r->range_end = r->range_total = -1;
	r->unsat_total = -1;
	skip_spaces(&p);
	if (strncasecmp(p, "bytes", 5) != 0)
		return false;
	p += 5;
	if (*p != ' ' && *p != '\t')
		return false;
	skip_spaces(&p);
	if (*p == '*') {
		p++;
	} else {
		a = number(&p);
		if (a < 0 || *p++ != '-')
			return false;
		b = number(&p);
		/* an end of LLONG_MAX: a length of LLONG_MAX + 1, which no
		 * long long holds (decide_body() takes b - a + 1) */
		if (b < a || b == LLONG_MAX)
			return false;
	}
	if (*p++ != '/')
		return false;
	if (*p == '*') {
		if (a < 0)
			return false; /* "* / *" says nothing */
		p++;
	} else {
		t = number(&p);
		if (t < 0 || (b >= 0 && b >= t))
			return false;
	}
	skip_spaces(&p);
	if (*p != '\0' && *p != '\r' && *p != '\n')
		return false;
	if (a < 0) {
		r->unsat_total = t;
	} else {
		r->range_start = a;
		r->range_end = b;
		r->range_total = t;
	}
	return true;
}

enum decide_body decide_body(long long asked_from, long long known_total,
			     const struct decide_response *r)
{
	bool asked = asked_from > 0;
	long long len;

	if (!status_ok(r->status))
		return BODY_DISCARD;
	if (r->status == 0 && asked)
		return BODY_APPEND; /* file://: libcurl reads from the offset asked */
	if (r->status != 206)
		return BODY_WHOLE; /* 200 to a Range request: it sends it all */
	if (r->range_start < 0)
		return asked ? BODY_BAD_RANGE : BODY_UNASKED;
	len = r->range_end - r->range_start + 1;
	if (r->content_length >= 0 && r->content_length != len)
		return asked ? BODY_BAD_RANGE : BODY_UNASKED;
	if (!asked) {
		/* Only a 206 that says it is all of it is the whole. */
		if (r->range_start == 0 && r->range_total >= 0 &&
		    r->range_end == r->range_total - 1 &&
		    (known_total < 0 || known_total == r->range_total))
			return BODY_WHOLE;
		return BODY_UNASKED;
	}
	if (r->range_start != asked_from)
		return BODY_BAD_RANGE;
	if (r->range_total >= 0) {
		if (known_total >= 0 && r->range_total != known_total)
			return BODY_BAD_RANGE; /* the resource changed */
		if (r->range_end != r->range_total - 1)
			return BODY_BAD_RANGE; /* not to the end, as asked */
	} else if (known_total >= 0 && r->range_end != known_total - 1) {
		return BODY_BAD_RANGE; /* "*": the end is the one known */
	}
	return BODY_APPEND;
}

enum decide_action decide_attempt(const struct decide_attempt *a, enum decide_why *why)
{
	*why = WHY_NONE;
	if (a->cancelled) {
		*why = WHY_CANCELLED;
		return ACT_FAIL;
	}
	if (a->store_failed) {
		*why = WHY_STORE;
		return ACT_FAIL;
	}
	if (a->over_filesize) {
		*why = WHY_FILESIZE;
		return ACT_FAIL;
	}
	if (a->name_taken) {
		*why = WHY_NAME_TAKEN;
		return ACT_SKIP;
	}
	if (a->not_modified || (a->conditional && a->curl_code == 0 && a->status == 304)) {
		*why = WHY_NOT_MODIFIED;
		return ACT_SKIP;
	}
	if (a->too_big) {
		*why = WHY_TOO_BIG;
		return ACT_SKIP;
	}
	if (a->body_seen && a->coding_bad) {
		*why = WHY_CODING;
		return ACT_FAIL;
	}
	if (a->body_seen && (a->body == BODY_BAD_RANGE || a->body == BODY_UNASKED)) {
		*why = a->body == BODY_BAD_RANGE ? WHY_BAD_RANGE : WHY_UNASKED;
		return a->restarted ? ACT_FAIL : ACT_RESTART;
	}
	if (a->curl_code == 0 && a->status == 416 && a->asked_from > 0) {
		/* What is held may already be all of it. */
		if (a->unsat_total >= 0 && a->unsat_total == a->held &&
		    (a->known_total < 0 || a->known_total == a->held)) {
			*why = WHY_COMPLETE;
			return a->base ? ACT_SKIP : ACT_DONE;
		}
		if (a->base && a->unsat_total >= 0 && a->unsat_total < a->held) {
			*why = WHY_LONGER;
			return ACT_SKIP;
		}
		*why = WHY_UNSATISFIED;
		return a->restarted ? ACT_FAIL : ACT_RESTART;
	}
	if (a->dead_reused) {
		*why = WHY_TRANSFER;
		return ACT_RETRY_NOW;
	}
	if (a->curl_code == 0 && (a->status == 204 || a->status == 205)) {
		/* no body by definition: no file, as wget makes none */
		*why = WHY_NO_CONTENT;
		return ACT_SKIP;
	}
	if (a->curl_code == 0 && status_ok(a->status) && a->coding_cut) {
		/* Like a body cut short, but nothing of it can be continued. */
		*why = WHY_CODING_CUT;
		return a->retries_left ? ACT_RETRY_LATER : ACT_FAIL;
	}
	if (a->curl_code == 0 && status_ok(a->status)) {
		if (a->known_total >= 0 && a->held != a->known_total) {
			*why = WHY_INCOMPLETE;
			return a->restarted ? ACT_FAIL : ACT_RESTART;
		}
		return ACT_DONE;
	}
	*why = a->curl_code != 0 ? WHY_TRANSFER : WHY_HTTP;
	return a->transient && a->retries_left ? ACT_RETRY_LATER : ACT_FAIL;
}
