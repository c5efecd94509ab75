/*
 * err: messages for enum fa_err.  A table indexed by the enum; an unknown
 * value gets a generic phrase rather than an out-of-bounds read.
 */
#include "err.h"

static const char *const messages[FA_ERR_LAST] = {
    [FA_OK] = "success",
    [FA_ERR_NOMEM] = "out of memory",
    [FA_ERR_ARG] = "invalid argument",
    [FA_ERR_BSEM_OVER] = "semaphore released above its bound",
    [FA_ERR_TIMEOUT] = "timed out",
    [FA_ERR_BUSY] = "would block",
    [FA_ERR_CLOSED] = "closed",
    [FA_ERR_URL] = "malformed or unsupported URL",
    [FA_ERR_IO] = "input/output error",
    [FA_ERR_DISK_FULL] = "no space left on device",
    [FA_ERR_EXISTS] = "file exists",
    [FA_ERR_NAME] = "no safe file name",
    [FA_ERR_THREAD] = "thread error",
    [FA_ERR_TRANSFER] = "transfer failed",
    [FA_ERR_HTTP] = "HTTP error",
    [FA_ERR_CANCELLED] = "interrupted",
    [FA_ERR_PARSE] = "parse error",
    [FA_ERR_TOO_LONG] = "too long",
    [FA_ERR_STREAMED] = "bytes already written out cannot be taken back",
};

const char *fa_strerror(enum fa_err err)
{
	if ((int)err < 0 || err >= FA_ERR_LAST || !messages[err])
		return "unknown error";
	return messages[err];
}
