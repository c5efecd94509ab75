/*
 * url: URL checks over libcurl's URL API (CURLU).
 *
 * fetchall never parses URLs by hand: curl_url() decides what is a URL,
 * and this module adds fetchall's policy on top (which schemes are
 * allowed) and the safe forms shown to users (credentials redacted).
 */
#ifndef FA_URL_H
#define FA_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * Checks that `text` is an absolute http or https URL (or file:// when
 * allow_file) that libcurl can parse.  On success returns FA_OK and, when
 * `normalized` is not NULL, stores libcurl's normalized form of the URL in
 * *normalized (caller frees with free()).  On failure returns FA_ERR_URL
 * and writes a short reason to errbuf ("unsupported scheme 'ftp'", "bad
 * port number", ...).  Thread-safe.
 */
enum fa_err url_check(const char *text, bool allow_file, char **normalized,
		      char *errbuf, size_t errlen);

/*
 * Copies `url` to out with any password in its user-info replaced by
 * "***" ("https://bob:***@host/"), for progress lines, logs and JSON.  A
 * string that is not a URL is copied unchanged.  Truncates to outlen - 1
 * bytes; always NUL-terminates when outlen > 0.  Thread-safe.
 */
void url_redact(const char *url, char *out, size_t outlen);

#endif
