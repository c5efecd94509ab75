/*
 * frame: the byte layout of the parser worker protocol (see procpool.h).
 *
 * A frame is a 4-byte little-endian payload length followed by the payload;
 * a length above FRAME_MAX_PAYLOAD is refused before anything is allocated.
 * All integers are u32 little-endian.  A worker's first frame, sent once
 * it has started, is empty (length 0): its hello.
 *
 *   request payload:  kinds, url_len, url, charset_len (0: none), charset,
 *                     body (the rest of the payload)
 *   answer payload:   status (0: ok, else an enum fa_err), skipped, count,
 *                     over_cap,
 *                     count x (kind: u8, a single enum html_kind bit;
 *                              url_len; url)
 *
 * Pure functions over byte buffers: no I/O, no globals, so every one is
 * thread-safe and the decoders can be unit-tested and fuzzed on their own.
 * The decoders read only inside [buf, buf + len) and reject every input the
 * encoders cannot produce: short or over-long buffers, lengths past the end,
 * counts too large for the bytes left (or above HTML_MAX_LINKS), unknown
 * kinds, NUL bytes or empty strings where a URL is expected, a status that
 * is not an enum fa_err, trailing bytes after an answer's last URL.
 */
#ifndef FA_FRAME_H
#define FA_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "html.h"

/* Bytes of the length prefix. */
#define FRAME_HEADER_SIZE 4

/* The largest payload either side accepts (64 MiB). */
#define FRAME_MAX_PAYLOAD (64u * 1024 * 1024)

/* Fixed part of a request payload: kinds, url_len, charset_len. */
#define FRAME_REQUEST_FIXED 12

/* Fixed part of an answer payload: status, skipped, count, over_cap. */
#define FRAME_ANSWER_FIXED 16

/* Every kind bit a frame may carry. */
#define FRAME_KINDS_ALL (HTML_LINK | HTML_IMAGE | HTML_REQUISITE | HTML_ROBOTS)

/*
 * A request, as encoded or as decoded.  Strings are not NUL-terminated;
 * charset_len 0 means "no charset".  After frame_request_decode() every
 * pointer points into the decoded buffer, borrowed for as long as it lives.
 */
struct frame_request {
	uint32_t kinds; /* a subset of FRAME_KINDS_ALL with a kind of link */
	const char *url;
	size_t url_len; /* >= 1 */
	const char *charset;
	size_t charset_len;
	const char *body;
	size_t body_len;
};

/* Stores v at p as 4 little-endian bytes.  p must have room. */
void frame_put_u32(unsigned char *p, uint32_t v);

/* The little-endian u32 at p (4 readable bytes). */
uint32_t frame_get_u32(const unsigned char *p);

/*
 * Reads the length prefix at hdr (FRAME_HEADER_SIZE bytes) into *len.
 * Returns FA_OK, or FA_ERR_TOO_LONG when it exceeds FRAME_MAX_PAYLOAD
 * (*len is then still set, for messages).
 */
enum fa_err frame_header_decode(const unsigned char *hdr, uint32_t *len);

/*
 * Checks that buf (len bytes) holds exactly one whole frame and points
 * *payload (into buf) and *payload_len at its payload.  Returns FA_OK;
 * FA_ERR_TOO_LONG when the header's length exceeds FRAME_MAX_PAYLOAD;
 * FA_ERR_PARSE when buf is shorter or longer than the frame.  For callers
 * holding a frame in memory (tests, fuzzers); readers of a pipe use
 * frame_header_decode() and then read exactly that many bytes.
 */
enum fa_err frame_split(const unsigned char *buf, size_t len, const unsigned char **payload,
			size_t *payload_len);

/*
 * Bytes frame_request_encode_prefix() writes for req: the frame header plus
 * the request payload up to (not including) the body.  The body follows
 * the prefix on the wire, so a page is sent without being copied.
 */
size_t frame_request_prefix_size(const struct frame_request *req);

/*
 * Writes the frame header and request payload up to the body into buf
 * (cap bytes), and the bytes written into *written.  Returns FA_OK;
 * FA_ERR_ARG when req is not encodable (kinds empty or unknown, url empty
 * or holding a NUL byte, charset holding a NUL byte) or cap is below
 * frame_request_prefix_size(); FA_ERR_TOO_LONG when the whole payload,
 * body included, would exceed FRAME_MAX_PAYLOAD.  buf is unspecified on
 * error.  Allocates nothing.
 */
enum fa_err frame_request_encode_prefix(const struct frame_request *req, unsigned char *buf,
					size_t cap, size_t *written);

/*
 * Decodes a request payload (without its header) of len bytes.  Returns
 * FA_OK with *req pointing into payload, or FA_ERR_PARSE when the payload
 * is malformed (*req is then unspecified).
 */
enum fa_err frame_request_decode(const unsigned char *payload, size_t len,
				 struct frame_request *req);

/*
 * Encodes a whole answer frame, header included, into a new buffer:
 * *out (the caller frees it) of *out_len bytes.  `status` is an enum
 * fa_err (FA_OK when links holds the result); links may be NULL (no URLs).
 * Links with an empty URL or a kind that is not one known bit, and links
 * that would push the payload over FRAME_MAX_PAYLOAD are left out and
 * counted in the frame's skipped, on top of links->skipped; links past the
 * HTML_MAX_LINKS-th in its over_cap, on top of links->over_cap.
 * Returns FA_OK or FA_ERR_NOMEM (*out NULL).
 */
enum fa_err frame_answer_encode(uint32_t status, const struct html_links *links,
				unsigned char **out, size_t *out_len);

/*
 * Decodes an answer payload (without its header) of len bytes: *status
 * receives the status, the URLs are appended to *links with
 * html_links_add() and the skipped and over_cap counts added to its own.  The payload is checked
 * whole before anything is appended, so on error *links is as it was (its spare capacity aside).
 * Returns FA_OK; FA_ERR_PARSE when the payload is malformed (a status that
 * is not an enum fa_err included); FA_ERR_NOMEM.
 */
enum fa_err frame_answer_decode(const unsigned char *payload, size_t len, uint32_t *status,
				struct html_links *links);

#endif
