/*
 * httpdate: see httpdate.h.
 *
 * Why not curl_getdate() alone: it reads a date word by word, trying
 * sscanf() patterns on each, which for one Last-Modified a file came to
 * 2 % of the CPU of the threads saving 500 small images (perf).  A
 * fixed-layout date needs no search: each field is at its offset.  The
 * fast path takes only what is certainly a valid IMF-fixdate (a real day
 * of a real month, a year from 1970, no leap second) and leaves every
 * other string to libcurl, so the two never disagree on a date
 * (test_httpdate compares them).
 */
#include "httpdate.h"

#include <stdbool.h>
#include <string.h>

#include <curl/curl.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define FIXDATE_LEN 29

/* The number of two digits at p, or -1. */
static int two_digits(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* The index of the three letters at p in names (n of them), or -1. */
static int name_index(const char *p, const char (*names)[4], int n)
{
	for (int i = 0; i < n; i++)
		if (memcmp(p, names[i], 3) == 0)
			return i;
	return -1;
}

static bool leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (m 1..12), y >= 1970: the proleptic
 * Gregorian count, by whole 400-year eras (H. Hinnant's days_from_civil). */
static long days_since_epoch(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* s as an IMF-fixdate, if it certainly is one. */
static bool fixdate(const char *s, time_t *out)
{
	static const char wdays[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int day, month, hour, min, sec, hi, lo;
	long year;

	if (strlen(s) != FIXDATE_LEN || name_index(s, wdays, 7) < 0 || memcmp(s + 3, ", ", 2) ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    memcmp(s + 25, " GMT", 4))
		return false;
	day = two_digits(s + 5);
	month = name_index(s + 8, months, 12);
	hi = two_digits(s + 12);
	lo = two_digits(s + 14);
	hour = two_digits(s + 17);
	min = two_digits(s + 20);
	sec = two_digits(s + 23);
	if (day < 1 || month < 0 || hi < 0 || lo < 0 || hour < 0 || hour > 23 || min < 0 ||
	    min > 59 || sec < 0 || sec > 59)
		return false;
	year = hi * 100L + lo;
	if (year < 1970 || day > mdays[month] + (month == 1 && leap(year)))
		return false;
	*out =
	    (time_t)days_since_epoch(year, month + 1, day) * 86400 + hour * 3600 + min * 60 + sec;
	return true;
}

time_t http_date(const char *s)
{
	time_t t;

	return fixdate(s, &t) ? t : curl_getdate(s, NULL);
}
