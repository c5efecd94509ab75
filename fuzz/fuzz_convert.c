/*
 * Fuzz target for convert_page(): a saved page's links pointed at local
 * copies (--convert-links).
 *
 * Input: the first byte picks the charset passed in (0: none, 1: UTF-8,
 * 2: ISO-8859-1, 3: Shift_JIS, as a Content-Type would name them); the
 * rest is the page.  A fixed linkmap knows three URLs of the page's site.
 *
 * Properties, each an abort() when broken: only FA_OK and FA_ERR_PARSE
 * (or FA_ERR_NOMEM, never expected here) come back; FA_OK gives a buffer
 * of *outlen bytes with a NUL after them, no more links converted than
 * the output can hold, and converting the output again succeeds (what
 * libxml2 writes, libxml2 reads).  ASan and UBSan watch the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "convert.h"
#include "linkmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct linkmap *map;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
	xmlInitParser();
	map = linkmap_new();
	if (!map || linkmap_put(map, "http://h.test/a/b.html", "h.test/a/b.html") != FA_OK ||
	    linkmap_put(map, "http://h.test/img/x.png", "h.test/img/x.png") != FA_OK ||
	    linkmap_put(map, "http://cdn.test/s.css", "cdn.test/s.css") != FA_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const charsets[] = {NULL, "UTF-8", "ISO-8859-1", "Shift_JIS"};
	const char *charset;
	char *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0, converted = 0;
	enum fa_err err;

	if (size < 1)
		return 0;
	charset = charsets[data[0] % 4];
	err = convert_page((const char *)data + 1, size - 1, "h.test/a/index.html",
			   "http://h.test/a/", charset, map, &out, &outlen, &converted);
	if (err != FA_OK && err != FA_ERR_PARSE && err != FA_ERR_NOMEM)
		abort();
	if (err != FA_OK) {
		if (out)
			abort();
		return 0;
	}
	if (!out || out[outlen] != '\0' || converted > outlen)
		abort();
	err = convert_page(out, outlen, "h.test/a/index.html", "http://h.test/a/", NULL, map,
			   &again, &againlen, &converted);
	if (err != FA_OK && err != FA_ERR_PARSE && err != FA_ERR_NOMEM)
		abort();
	free(again);
	free(out);
	return 0;
}
