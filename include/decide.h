/*
 * decide: what a response means, as pure functions tested by table (in the
 * spirit of curl's retrycheck()).  fetch acts on the answers and does not
 * decide again.
 *
 * decide_body() judges a response's first body bytes against what is
 * already held: a 206 is accepted only if it continues exactly what was
 * asked (its start is the offset asked for, its total is the total already
 * known, its length matches its Content-Range and it runs to the end); a
 * 206 nobody asked for is never the whole file unless it says it is.
 * decide_attempt() turns one attempt's facts into one action.
 *
 * Nothing here does I/O or keeps state: every function is thread-safe.
 */
#ifndef FA_DECIDE_H
#define FA_DECIDE_H

#include <stdbool.h>

/* What a response's Content-Range and Content-Length said.  Numbers are
 * -1 where absent; range_total is -1 for "*" too. */
struct decide_response {
	long status;              /* HTTP status; 0 for file:// */
	long long range_start;    /* Content-Range "bytes A-B/T": A, or -1 */
	long long range_end;      /* B, or -1 */
	long long range_total;    /* T, or -1 */
	long long unsat_total;    /* a 416's "bytes * /T": T, or -1 */
	long long content_length; /* -1 if not given */
};

enum decide_body {
	BODY_APPEND,    /* a 206 that continues exactly what is held */
	BODY_WHOLE,     /* the whole representation from byte 0 */
	BODY_DISCARD,   /* an error status: the body is not the resource */
	BODY_BAD_RANGE, /* a 206 that does not continue what is held */
	BODY_UNASKED,   /* a 206 nobody asked for that is not the whole */
};

/*
 * Judges r for a request that asked for bytes from asked_from on (0: no
 * Range was sent) of a resource whose total length is known_total (-1:
 * unknown).  Pure.
 */
enum decide_body decide_body(long long asked_from, long long known_total,
			     const struct decide_response *r);

/* Parses a Content-Range value ("bytes A-B/T", "bytes A-B/ *" without the
 * space, or "bytes * /T" likewise) into r's range fields (unset ones -1).
 * Returns whether it was well-formed.  Pure. */
bool decide_parse_range(const char *value, struct decide_response *r);

enum decide_action {
	ACT_DONE,        /* the body is whole: save it */
	ACT_SKIP,        /* keep nothing, say why (see decide_why) */
	ACT_RESTART,     /* drop what is held and ask again without Range;
			    does not use up a retry */
	ACT_RETRY_NOW,   /* again at once: a kept-alive connection was dead */
	ACT_RETRY_LATER, /* again after the backoff (or Retry-After) */
	ACT_FAIL,        /* give up on this URL */
};

enum decide_why {
	WHY_NONE,
	WHY_CANCELLED,    /* Ctrl-C */
	WHY_STORE,        /* writing the file failed */
	WHY_FILESIZE,     /* over --max-filesize */
	WHY_TOO_BIG,      /* over --max-size: skipped */
	WHY_NO_CONTENT,   /* a 204 or 205: no body by definition, nothing saved */
	WHY_NOT_MODIFIED, /* -N: the saved copy is current: skipped */
	WHY_NAME_TAKEN,   /* the server's name exists (-J with -nc/-c): skipped */
	WHY_BAD_RANGE,    /* a 206 that does not continue what is held */
	WHY_UNASKED,      /* an unrequested 206 that is not the whole */
	WHY_COMPLETE,     /* -c: the file held is already whole: skipped */
	WHY_LONGER,       /* -c: the file held is longer than the resource: skipped */
	WHY_UNSATISFIED,  /* a 416 for what is held */
	WHY_INCOMPLETE,   /* the body ended short of the known total */
	WHY_CODING_CUT,   /* a compressed body ended before its stream did */
	WHY_CODING,       /* a compressed body that cannot be decoded */
	WHY_TRANSFER,     /* libcurl's error */
	WHY_HTTP,         /* an error status */
};

/* One attempt's facts, as fetch saw them. */
struct decide_attempt {
	int curl_code;         /* CURLcode of the transfer (0: ok) */
	bool cancelled;        /* Ctrl-C was asked */
	bool store_failed;     /* a write to the file failed */
	bool over_filesize;    /* stopped past --max-filesize */
	bool too_big;          /* stopped past --max-size */
	bool name_taken;       /* stopped: the server's name exists */
	bool not_modified;     /* -N: stopped, the saved copy is current */
	bool conditional;      /* -N: the request was conditional (a 304 is
				  then "not modified") */
	bool body_seen;        /* the response's body began */
	bool coding_bad;       /* its Content-Encoding is unknown or corrupt */
	bool coding_cut;       /* its compressed stream did not reach its end */
	enum decide_body body; /* decide_body()'s verdict, if body_seen */
	long status;           /* HTTP status of the last response */
	long long asked_from;  /* Range sent from this offset; 0: none */
	long long held;        /* body bytes held now */
	long long known_total; /* the resource's length if known, else -1 */
	long long unsat_total; /* a 416's total, or -1 */
	bool base;             /* what is held is a file -c found, not a .part */
	bool restarted;        /* the one restart from zero is used up */
	bool dead_reused;      /* a kept-alive connection was closed before any
				  response, and a retry on a new one is allowed */
	bool transient;        /* retry_is_transient() for this result */
	bool retries_left;     /* another attempt is allowed */
};

/* The action for one attempt, and in *why its reason (for ACT_SKIP and
 * ACT_FAIL; also set for the others when useful).  Pure. */
enum decide_action decide_attempt(const struct decide_attempt *a, enum decide_why *why);

#endif
