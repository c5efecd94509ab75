/*
 * Fuzz target for html_extract(): links and images out of any bytes.
 *
 * Input: the page body, fetched from a fixed page URL, all kinds asked
 * for.  If the first byte is 0x01..0x07 it is not part of the body but
 * picks the Content-Type charset (see charsets[] below; otherwise there
 * is none), so that the BOM, UTF-16/32 and iconv decoding paths are
 * fuzzed as well as libxml2's own detection.
 *
 * Properties, each an abort() when broken: html_extract() returns FA_OK or
 * FA_ERR_PARSE (the page URL is valid, so never FA_ERR_URL or FA_ERR_ARG);
 * on error the list is left empty; at most HTML_MAX_LINKS URLs; every
 * kind is one enum html_kind bit; every URL is non-empty, starts with
 * "http://" or "https://", parses with curl_url() (default flags) to the
 * scheme http or https, and has no fragment (neither per curl nor a '#'
 * anywhere in the string).  ASan, UBSan and the leak checker watch the
 * rest (over-reads into the body's end, libxml2 and iconv included).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "html.h"

#define PAGE_URL  "http://www.example.com/dir/sub/page.html"
#define ALL_KINDS (HTML_LINK | HTML_IMAGE | HTML_REQUISITE)

/* Indexed by the selector byte (1..7); 0 is unused. */
static const char *const charsets[] = {
    NULL,          "utf-8",  "windows-1252", "shift_jis",
    "iso-2022-jp", "utf-16", "utf-32le",     "x-no-such-charset",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
	xmlInitParser();
	return 0;
}

static void check_url(const char *url)
{
	CURLU *h;
	char *scheme = NULL, *fragment = NULL;

	if (!url || url[0] == '\0')
		abort();
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		abort();
	if (strchr(url, '#'))
		abort();
	h = curl_url();
	if (!h)
		abort();
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
		abort();
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		abort();
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		abort();
	if (curl_url_get(h, CURLUPART_FRAGMENT, &fragment, 0) != CURLUE_NO_FRAGMENT)
		abort();
	curl_free(scheme);
	curl_free(fragment);
	curl_url_cleanup(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_links links = {0};
	const char *charset = NULL;
	enum fa_err err;

	if (size > 0 && data[0] >= 1 && data[0] < sizeof(charsets) / sizeof(charsets[0])) {
		charset = charsets[data[0]];
		data++;
		size--;
	}
	err = html_extract((const char *)data, size, PAGE_URL, charset, ALL_KINDS, &links);
	if (err != FA_OK && err != FA_ERR_PARSE)
		abort();
	if (err != FA_OK && (links.count != 0 || links.skipped != 0))
		abort();
	if (links.count > HTML_MAX_LINKS || links.count > links.cap)
		abort();
	for (size_t i = 0; i < links.count; i++) {
		enum html_kind kind = links.items[i].kind;

		if (kind != HTML_LINK && kind != HTML_IMAGE && kind != HTML_REQUISITE)
			abort();
		check_url(links.items[i].url);
	}
	html_links_release(&links);
	return 0;
}
