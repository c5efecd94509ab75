/*
 * retry: which failures to retry, backoff with jitter, Retry-After.
 *
 * The transient set follows curl's --retry rules (timeouts, 408, 429, 5xx
 * gateway errors) and adds the connection-level failures curl needs
 * --retry-connrefused or --retry-all-errors for: a refused or reset
 * connection and a body cut short are worth another try.  A name that does
 * not resolve, a 404 or a full disk never are.  Dates are parsed by
 * http_date(): libcurl's curl_getdate(), which knows the three HTTP-date
 * forms, behind a fast path for the usual one.
 * No state, no locks.
 */
#include "retry.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "httpdate.h"

bool retry_is_transient(CURLcode cc, long http_code)
{
	switch (cc) {
	case CURLE_OK: break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR: return true;
	default: return false;
	}
	switch (http_code) {
	case 408:
	case 429:
	case 500:
	case 502:
	case 503:
	case 504: return true;
	default: return false;
	}
}

long retry_backoff_ms(unsigned attempt, long base_ms, long cap_ms, uint32_t random)
{
	long hi = base_ms;
	long lo;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	for (unsigned i = 1; i < attempt && hi < cap_ms; i++)
		hi = hi > LONG_MAX / 2 ? LONG_MAX : hi * 2;
	if (hi > cap_ms)
		hi = cap_ms;
	lo = base_ms / 2;
	if (lo > hi)
		lo = hi;
	return lo + (long)((uint64_t)random % (uint64_t)(hi - lo + 1));
}

enum fa_err retry_after_parse(const char *value, time_t now, long *delay_ms)
{
	char buf[128];
	size_t len;
	const char *start = value;

	if (!value || !delay_ms)
		return FA_ERR_ARG;
	while (*start == ' ' || *start == '\t')
		start++;
	len = strlen(start);
	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return FA_ERR_PARSE;
	memcpy(buf, start, len);
	buf[len] = '\0';

	if (isdigit((unsigned char)buf[0])) {
		char *end;
		long long secs;

		errno = 0;
		secs = strtoll(buf, &end, 10);
		if (*end != '\0')
			return FA_ERR_PARSE;
		/* A huge value is still "wait a long time": saturate, the
		 * caller's cap decides what it means. */
		if (errno == ERANGE || secs > LONG_MAX / 1000)
			secs = LONG_MAX / 1000;
		*delay_ms = (long)secs * 1000;
		return FA_OK;
	}

	{
		time_t when = http_date(buf);

		if (when == (time_t)-1)
			return FA_ERR_PARSE;
		if (when <= now) {
			*delay_ms = 0;
			return FA_OK;
		}
		if ((long long)(when - now) > LONG_MAX / 1000)
			*delay_ms = LONG_MAX / 1000 * 1000;
		else
			*delay_ms = (long)(when - now) * 1000;
		return FA_OK;
	}
}
