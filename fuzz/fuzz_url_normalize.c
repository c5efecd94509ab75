/*
 * Fuzz target for url_normalize(): the crawl's canonical form of a URL.
 *
 * Input: the URL text, up to its first NUL byte.
 *
 * Properties, each an abort() when broken: the result is FA_OK or
 * FA_ERR_URL; a normalized URL is not empty, has no '#', and parses with
 * curl_url(); normalizing it again succeeds and gives the same string
 * (idempotence: the seen-set would otherwise store one resource under
 * two keys).  And url_host_key()'s short cut for plain URLs agrees with
 * libcurl's parts, on the input and on its normal form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "url.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
	url_locale_init(); /* as fetchall's main(): IDN hosts converted */
	return 0;
}

/* url_host_key() and url_host_key_libcurl() give one result and key. */
static void host_key_agrees(const char *url)
{
	char fast[256], slow[256];
	enum fa_err a = url_host_key(url, fast, sizeof(fast));
	enum fa_err b = url_host_key_libcurl(url, slow, sizeof(slow));

	if (a != b || (a == FA_OK && strcmp(fast, slow)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size);
	char *text = malloc(len + 1);
	char *once = NULL, *twice = NULL;
	enum fa_err err;
	CURLU *h;

	if (!text)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';

	host_key_agrees(text);
	err = url_normalize(text, &once);
	if (err != FA_OK) {
		if (err != FA_ERR_URL || once != NULL)
			abort();
		goto out;
	}
	if (!once || once[0] == '\0' || strchr(once, '#'))
		abort();
	h = curl_url();
	if (!h)
		abort();
	if (curl_url_set(h, CURLUPART_URL, once, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		abort();
	curl_url_cleanup(h);
	host_key_agrees(once);

	if (url_normalize(once, &twice) != FA_OK || strcmp(once, twice) != 0)
		abort();
out:
	free(twice);
	free(once);
	free(text);
	return 0;
}
