/*
 * Fuzz target for store_name_for_url(): URL -> relative path to save under.
 *
 * Input: the first byte picks the mode (bit 0: tree mode; bit 1: the rest
 * is a path appended to "http://www.example.com/" rather than a whole URL,
 * so the fuzzer need not rediscover a scheme and host), the rest is the
 * URL up to its first NUL byte.  Seeds use '0'..'3' as the mode byte.
 *
 * Properties, each an abort() when broken, checked on every FA_OK result
 * (the promises of store.h): the path is not empty and not absolute, at
 * most STORE_PATH_MAX bytes and STORE_DEPTH_MAX components; no component
 * is empty, ".", "..", starts with '-', exceeds STORE_COMPONENT_MAX, holds
 * a control byte, DEL or '\\', or ends in ".part" in any case; so it stays
 * inside the output directory.  Flat mode gives one component; tree mode's
 * first (the host) has no ASCII uppercase.  A buffer of STORE_PATH_MAX + 1
 * bytes always suffices; one byte too small gives FA_ERR_TOO_LONG and an
 * empty string, an exact one the same path.  Only FA_OK, FA_ERR_URL and
 * FA_ERR_TOO_LONG (never with the full buffer) may be returned.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "store.h"

#define PATH_PREFIX "http://www.example.com/"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
	return 0;
}

static bool ends_in_part(const char *s, size_t len)
{
	static const char part[] = ".part";

	if (len < 5)
		return false;
	for (size_t i = 0; i < 5; i++) {
		char c = s[len - 5 + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != part[i])
			return false;
	}
	return true;
}

static void check_path(const char *path, bool tree)
{
	size_t len = strlen(path);
	size_t depth = 0;
	const char *comp = path;

	if (len == 0 || len > STORE_PATH_MAX || path[0] == '/')
		abort();
	for (;;) {
		const char *slash = strchr(comp, '/');
		size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);

		depth++;
		if (clen == 0 || clen > STORE_COMPONENT_MAX)
			abort();
		if ((clen == 1 && comp[0] == '.') ||
		    (clen == 2 && comp[0] == '.' && comp[1] == '.'))
			abort();
		if (comp[0] == '-')
			abort();
		for (size_t i = 0; i < clen; i++) {
			unsigned char c = (unsigned char)comp[i];

			if (c < 0x20 || c == 0x7f || c == '\\')
				abort();
			if (tree && depth == 1 && c >= 'A' && c <= 'Z')
				abort();
		}
		if (ends_in_part(comp, clen))
			abort();
		if (!slash)
			break;
		comp = slash + 1;
	}
	if (depth > STORE_DEPTH_MAX)
		abort();
	if (!tree && depth != 1)
		abort();
}

static void check_small_buffers(const char *url, bool tree, const char *path)
{
	size_t len = strlen(path);
	char *buf = malloc(len + 1);

	if (!buf)
		abort();
	/* Exactly big enough: the same path. */
	if (store_name_for_url(url, tree, buf, len + 1) != FA_OK || strcmp(buf, path) != 0)
		abort();
	/* One byte short: FA_ERR_TOO_LONG and an empty string. */
	if (len > 0) {
		if (store_name_for_url(url, tree, buf, len) != FA_ERR_TOO_LONG || buf[0] != '\0')
			abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[STORE_PATH_MAX + 1];
	size_t prefix, rest;
	bool tree;
	char *url;
	enum fa_err err;

	if (size < 1)
		return 0;
	tree = data[0] & 1;
	prefix = data[0] & 2 ? strlen(PATH_PREFIX) : 0;
	rest = strnlen((const char *)data + 1, size - 1);
	url = malloc(prefix + rest + 1);
	if (!url)
		abort();
	memcpy(url, PATH_PREFIX, prefix);
	memcpy(url + prefix, data + 1, rest);
	url[prefix + rest] = '\0';

	err = store_name_for_url(url, tree, out, sizeof(out));
	if (err == FA_OK) {
		check_path(out, tree);
		check_small_buffers(url, tree, out);
	} else if (err != FA_ERR_URL) {
		/* FA_ERR_TOO_LONG with a full buffer breaks store.h's promise;
		 * libFuzzer reports running out of memory before FA_ERR_NOMEM
		 * could be returned. */
		abort();
	}
	free(url);
	return 0;
}
