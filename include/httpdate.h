/*
 * httpdate: an HTTP date (RFC 9110, section 5.6.7) as seconds since the
 * epoch.
 *
 * The form every server sends today, IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), is read here directly; anything else (the obsolete
 * RFC 850 and asctime forms, a date out of range, a stray space) goes to
 * libcurl's curl_getdate(), whose answer is the answer.  Thread-safe, no
 * locale.
 */
#ifndef FA_HTTPDATE_H
#define FA_HTTPDATE_H

#include <time.h>

/* s's time, or (time_t)-1 if it is not a date curl_getdate() reads. */
time_t http_date(const char *s);

#endif
