/*
 * Fuzz target for disposition_filename() and store_component(): a
 * Content-Disposition header value -> the file name saved under -J.
 *
 * Input: the header value up to its first NUL byte (libcurl hands header
 * lines over as bytes; fetch stops at CR/LF, never at a NUL, so a NUL ends
 * the value as it would in fetch's copy).
 *
 * Properties, each an abort() when broken (the promises of disposition.h
 * and store.h): only FA_OK, FA_ERR_PARSE and FA_ERR_TOO_LONG come back; a
 * failure leaves an empty string; a name is non-empty, at most
 * DISPOSITION_NAME_MAX bytes, holds no '/', '\\' or NUL, and has no
 * leading or trailing blank.  A buffer one byte too small for it gives
 * FA_ERR_TOO_LONG.  store_component() then makes it one component that
 * stays inside the output directory: not empty, ".", ".." or a ".part"
 * name, no leading '-', no '/', '\\', control byte or DEL, at most
 * STORE_COMPONENT_MAX bytes; and it is idempotent (a safe name is kept).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "disposition.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_component(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > STORE_COMPONENT_MAX || s[0] == '-')
		abort();
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		abort();
	if (len >= 5 && !strncasecmp(s + len - 5, ".part", 5))
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);
	char *name = malloc(DISPOSITION_NAME_MAX + 1);
	char safe[STORE_COMPONENT_MAX + 1];
	char again[STORE_COMPONENT_MAX + 1];
	enum fa_err err;
	size_t len;

	if (!value || !name)
		abort();
	memcpy(value, data, size);
	value[size] = '\0';
	err = disposition_filename(value, name, DISPOSITION_NAME_MAX + 1);
	if (err != FA_OK) {
		if ((err != FA_ERR_PARSE && err != FA_ERR_TOO_LONG) || name[0] != '\0')
			abort();
		goto out;
	}
	len = strlen(name);
	if (len == 0 || len > DISPOSITION_NAME_MAX || strchr(name, '/') || strchr(name, '\\'))
		abort();
	if (name[0] == ' ' || name[0] == '\t' || name[len - 1] == ' ' || name[len - 1] == '\t')
		abort();
	{
		char *small = malloc(len);

		if (!small || disposition_filename(value, small, len) != FA_ERR_TOO_LONG ||
		    small[0] != '\0')
			abort();
		free(small);
	}
	if (store_component(name, safe, sizeof(safe)) != FA_OK)
		abort();
	check_component(safe);
	if (store_component(safe, again, sizeof(again)) != FA_OK || strcmp(safe, again) != 0)
		abort();
out:
	free(value);
	free(name);
	return 0;
}
