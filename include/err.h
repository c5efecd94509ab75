/*
 * err: the one project-wide error enum.
 *
 * Every function that can fail returns an enum fa_err (FA_OK = 0) and hands
 * its results through out-parameters.  Values are only ever appended, so a
 * number seen in a log keeps its meaning.  fa_strerror() gives a short
 * English phrase; the caller adds the URL, file or line it concerns.
 */
#ifndef FA_ERR_H
#define FA_ERR_H

enum fa_err {
	FA_OK = 0,
	FA_ERR_NOMEM,     /* out of memory */
	FA_ERR_ARG,       /* invalid argument */
	FA_ERR_BSEM_OVER, /* semaphore released above its bound */
	FA_ERR_TIMEOUT,   /* timed wait expired */
	FA_ERR_BUSY,      /* try-acquire/try-pop found nothing */
	FA_ERR_CLOSED,    /* queue closed */
	FA_ERR_URL,       /* malformed or unsupported URL */
	FA_ERR_IO,        /* read/write/open failure (see errno) */
	FA_ERR_DISK_FULL, /* no space left on device */
	FA_ERR_EXISTS,    /* file exists (skipped by --no-clobber/-c) */
	FA_ERR_NAME,      /* no safe file name could be made */
	FA_ERR_THREAD,    /* a pthread call failed */
	FA_ERR_TRANSFER,  /* the transfer failed (see the result's error) */
	FA_ERR_HTTP,      /* the server answered with an error status */
	FA_ERR_CANCELLED, /* interrupted by SIGINT/SIGTERM */
	FA_ERR_PARSE,     /* input could not be parsed */
	FA_ERR_TOO_LONG,  /* input line or value over its cap */
	FA_ERR_STREAMED,  /* bytes written to a stream cannot be taken back */
	FA_ERR_LAST       /* not an error: the count */
};

/* A static string describing err; never NULL, thread-safe. */
const char *fa_strerror(enum fa_err err);

#endif
