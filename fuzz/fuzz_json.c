/*
 * Fuzz target for json_field(), json_number(), json_true() and
 * json_string(): a child run's output line as compare reads it.
 *
 * Input: a key up to the first NUL byte, then the text (without a NUL, so
 * the text ends where the input does; a copy with its own NUL is made).
 * Properties, each an abort() when broken: a field found lies wholly
 * inside the text, after its '{'; json_string() always leaves a NUL-ended
 * string shorter than the buffer, and finds a field exactly when
 * json_field() does; json_true() implies the raw value is "true";
 * json_number() succeeds only on a field whose raw value starts like a
 * number.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char key[64], out[32];
	const char *val;
	size_t klen, tlen, len;
	char *text;
	double d;
	bool found;

	if (!nul)
		return 0;
	klen = (size_t)(nul - data);
	if (klen >= sizeof(key))
		return 0;
	memcpy(key, data, klen);
	key[klen] = '\0';
	tlen = size - klen - 1;
	text = malloc(tlen + 1);
	if (!text)
		return 0;
	memcpy(text, nul + 1, tlen);
	text[tlen] = '\0';

	found = json_field(text, key, &val, &len);
	if (found && (val <= text || val + len > text + strlen(text) || len == 0))
		abort();
	for (size_t cap = 1; cap <= sizeof(out); cap += 7) {
		memset(out, 'x', sizeof(out));
		if (json_string(text, key, out, cap) != found)
			abort();
		if (!memchr(out, 0, cap))
			abort();
	}
	if (json_true(text, key) && !(found && len == 4 && !memcmp(val, "true", 4)))
		abort();
	if (json_number(text, key, &d) &&
	    !(found && (val[0] == '-' || (val[0] >= '0' && val[0] <= '9'))))
		abort();
	free(text);
	return 0;
}
