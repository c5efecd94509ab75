/*
 * Fuzz target for retry_after_parse(): a Retry-After header value.
 *
 * Input: the value, up to its first NUL byte, read at a fixed "now"
 * (2023-11-14 22:13:20 UTC).  fetchall has no Content-Disposition parser
 * yet (issue 5 names one; store.c names files from the URL only), so
 * there is nothing of that kind to fuzz here.
 *
 * Properties, each an abort() when broken: the result is FA_OK or
 * FA_ERR_PARSE; a delay is never negative, never above the saturated
 * LONG_MAX / 1000 * 1000, and a whole number of seconds; blanks (space,
 * tab) added on both sides change nothing; a value of at most 15 digits
 * gives exactly that many seconds; a value starting with a digit does not
 * depend on "now", and any other (an HTTP-date) gives 10 s less, down to
 * 0, when read 10 s later.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "retry.h"

#define NOW       ((time_t)1700000000)
#define SATURATED (LONG_MAX / 1000 * 1000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool all_digits(const char *s, size_t *n)
{
	*n = strlen(s);
	if (*n == 0)
		return false;
	for (size_t i = 0; i < *n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size), digits;
	char *value = malloc(len + 1);
	char *padded = malloc(len + 5);
	const char *first;
	long delay = -1, again = -1;
	enum fa_err err;

	if (!value || !padded)
		abort();
	memcpy(value, data, len);
	value[len] = '\0';

	err = retry_after_parse(value, NOW, &delay);
	if (err != FA_OK && err != FA_ERR_PARSE)
		abort();

	/* Blanks around the value are ignored. */
	memcpy(padded, " \t", 2);
	memcpy(padded + 2, value, len);
	memcpy(padded + 2 + len, "\t ", 3);
	if (retry_after_parse(padded, NOW, &again) != err)
		abort();
	if (err == FA_OK && again != delay)
		abort();
	if (err != FA_OK)
		goto out;

	if (delay < 0 || delay > SATURATED || delay % 1000 != 0)
		abort();
	if (all_digits(value, &digits) && digits <= 15 && delay != strtol(value, NULL, 10) * 1000)
		abort();

	/* Read 10 s later: seconds stay, dates come 10 s closer. */
	if (retry_after_parse(value, NOW + 10, &again) != FA_OK)
		abort();
	first = value + strspn(value, " \t");
	if (*first >= '0' && *first <= '9') {
		if (again != delay)
			abort();
	} else if (delay != SATURATED) {
		if (again != (delay > 10000 ? delay - 10000 : 0))
			abort();
	}
out:
	free(padded);
	free(value);
	return 0;
}
