/*
 * cookies: the run's cookie jar, shared by every fetch thread.
 *
 * libcurl's own cookie engine parses Set-Cookie, matches domains (with
 * the public suffix list), paths, Secure and expiry; fetchall uses it, one
 * engine per thread.  What libcurl does not support is sharing one engine
 * between threads that run at once (CURLSHOPT_SHARE: "It is not supported
 * to share cookies between multiple concurrent threads"), so the jar here
 * is the shared truth and each thread's engine a copy kept in step:
 * before a transfer, the thread loads into its engine every cookie the
 * jar gained since its last look (cookies_before); after it, what its
 * engine now holds goes back to the jar (cookies_after): new and changed
 * cookies are stored with a new generation number, and a cookie the
 * server deleted (or that expired) is removed, which makes every thread
 * reload its whole engine once.  Cookies travel as the Netscape lines
 * libcurl reads and writes (CURLOPT_COOKIELIST, CURLINFO_COOKIELIST).
 *
 * The jar is wget's: on by default, filled by the run's responses,
 * --load-cookies FILE and --save-cookies FILE in the cookies.txt format
 * browsers' exporters and wget write.
 */
#ifndef FA_COOKIES_H
#define FA_COOKIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"

struct cookies;

/* Where one thread's engine stands against the jar. */
struct cookies_sync {
	uint64_t gen;   /* the jar's generation last loaded */
	uint64_t epoch; /* the jar's epoch last loaded (deletions) */
	bool loaded;    /* loaded at least once */
};

/* An empty jar; NULL on OOM. */
struct cookies *cookies_new(void);
void cookies_free(struct cookies *jar);

/*
 * Adds the cookies of the Netscape cookies.txt file at path (what
 * --load-cookies reads; libcurl parses it).  FA_ERR_IO with errbuf
 * naming the file if it cannot be read.  Not thread-safe against
 * transfers: call before the fetch threads start.
 */
enum fa_err cookies_load(struct cookies *jar, const char *path, char *errbuf, size_t errlen);

/*
 * Writes the jar to path as a cookies.txt file, atomically (a temporary
 * file beside it, mode 0600, renamed over it), leaving out expired
 * cookies and, unless keep_session, session cookies (no expiry), as wget
 * does.  FA_ERR_IO with errbuf filled on failure (path then untouched).
 */
enum fa_err cookies_save(struct cookies *jar, const char *path, bool keep_session, char *errbuf,
			 size_t errlen);

/* Enables easy's cookie engine (empty) for use with the jar. */
void cookies_attach(CURL *easy, struct cookies_sync *sync);

/* Before a transfer on easy: loads what the jar gained since sync.
 * Thread-safe (one easy handle per thread). */
void cookies_before(struct cookies *jar, CURL *easy, struct cookies_sync *sync);

/* After a transfer on easy: stores what easy's engine learnt in the jar.
 * Thread-safe (one easy handle per thread). */
void cookies_after(struct cookies *jar, CURL *easy, struct cookies_sync *sync);

/* Cookies in the jar.  Thread-safe. */
size_t cookies_count(struct cookies *jar);

/*
 * The identity of a Netscape cookie line: its domain (without libcurl's
 * "#HttpOnly_" mark), path and name, as the length of a key written into
 * key ("domain\tpath\tname"), or 0 if line is not a cookie line (a comment,
 * too few fields) or the key does not fit keylen.  Pure: exposed for tests.
 */
size_t cookies_line_key(const char *line, char *key, size_t keylen);

#endif
