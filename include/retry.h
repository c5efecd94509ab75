/*
 * retry: the retry policy, as pure functions.
 *
 * Which failures are worth another attempt, how long to wait before it
 * (exponential backoff with full jitter, capped), and how to read a
 * Retry-After header.  No I/O and no clock reads except where a caller
 * passes "now", so every rule is unit-testable.
 */
#ifndef FA_RETRY_H
#define FA_RETRY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "err.h"

/*
 * True when a transfer that ended with curl code `cc` and HTTP status
 * `http_code` (0 when no response) is transient and may be retried:
 * connection failures, timeouts, a reset or short body, and the statuses
 * 408, 429, 500, 502, 503, 504.  Other 4xx/5xx statuses are final.
 * Thread-safe.
 */
bool retry_is_transient(CURLcode cc, long http_code);

/*
 * The wait before attempt number `attempt` + 1 (attempt counts from 1):
 * a uniformly random time in [base/2, base * 2^(attempt-1)], capped at
 * cap_ms ("equal jitter": never less than half the base, so a burst of
 * failures still spreads out).  `random` is a uniformly random 32-bit
 * value supplied by the caller (so tests are deterministic).  Thread-safe.
 */
long retry_backoff_ms(unsigned attempt, long base_ms, long cap_ms, uint32_t random);

/*
 * Parses a Retry-After header value (RFC 9110 10.2.3): either a number of
 * seconds or an HTTP-date, relative to `now`.  Leading and trailing blanks
 * are ignored.  On success stores the delay in *delay_ms (0 for a date in
 * the past) and returns FA_OK; FA_ERR_PARSE for anything else.  Thread-safe.
 */
enum fa_err retry_after_parse(const char *value, time_t now, long *delay_ms);

#endif
