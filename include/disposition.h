/*
 * disposition: the file name a Content-Disposition header suggests, for
 * --content-disposition (wget's option of that name, curl's -J).
 *
 * Reads RFC 6266 headers with RFC 8187 extended values, leniently where
 * servers commonly stray (a missing disposition type, spaces in an unquoted
 * name, a quote never closed).  It only extracts: the name it returns is the
 * server's choice of bytes and must still be made safe by
 * store_component(), which is what keeps it inside the output directory.
 * Pure: no I/O, no shared state.
 */
#ifndef FA_DISPOSITION_H
#define FA_DISPOSITION_H

#include <stddef.h>

#include "err.h"

/* Bytes disposition_filename() returns at most (without the NUL); a
 * longer suggestion is refused rather than cut, so its extension is never
 * lost silently.  store_component() cuts further, keeping the extension. */
#define DISPOSITION_NAME_MAX 1024

/*
 * The file name suggested by the Content-Disposition header value `value`
 * (NUL-terminated, without the "Content-Disposition:" prefix), e.g.
 *
 *   attachment; filename="report.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
 *
 * A "filename*" parameter in UTF-8 or ISO-8859-1 (converted to UTF-8) wins
 * over "filename", as RFC 6266 section 4.3 asks; one in any other charset
 * is ignored (and, like a URL's path, UTF-8 bytes are not validated: the
 * file system takes any byte but NUL and '/').  The first of each
 * parameter counts.  "filename" is taken as given (a token, or a
 * quoted-string with its backslash escapes removed); no percent-decoding.
 * Any directory part is dropped: only what follows the last '/' or '\\'
 * is kept, as browsers do.  The disposition type (attachment, inline,
 * other) does not matter.
 *
 * Returns FA_OK with the name in out (outlen bytes, NUL-terminated; never
 * empty, never holding '/', '\\' or NUL); FA_ERR_PARSE when the header
 * suggests no usable name; FA_ERR_TOO_LONG when the name is over
 * DISPOSITION_NAME_MAX bytes or does not fit in outlen; FA_ERR_ARG for
 * NULL arguments or outlen 0.  On failure out is an empty string.
 * Thread-safe.
 */
enum fa_err disposition_filename(const char *value, char *out, size_t outlen);

#endif
