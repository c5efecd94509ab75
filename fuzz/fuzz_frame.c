/*
 * Fuzz target for the parser worker frame decoders: frame_split(),
 * frame_request_decode() and frame_answer_decode().
 *
 * Input: any bytes, read two ways: as a whole frame (frame_split(), and
 * its payload then decoded as a request and as an answer), and as a bare
 * payload decoded as a request and as an answer.  The seeds are frames
 * written by frame_request_encode_prefix() and frame_answer_encode().
 *
 * Properties, each an abort() when broken: frame_split() accepts exactly
 * the buffers whose 4-byte length is at most FRAME_MAX_PAYLOAD and equals
 * the bytes after it (FA_ERR_TOO_LONG above the maximum, FA_ERR_PARSE
 * otherwise) and points at those bytes; whatever decodes re-encodes to the
 * same bytes: a request's frame_request_encode_prefix() output followed by
 * its body, an answer's frame_answer_encode() output, are the frame
 * header plus the payload; a decoded request points inside the payload,
 * with kinds a non-empty subset of FRAME_KINDS_ALL, a non-empty URL and no
 * NUL in URL or charset; a decoded answer has a status below FA_ERR_LAST;
 * a failed answer decode leaves the list empty.  The decoders read only
 * inside their buffer: libFuzzer's input ends where ASan poisons.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const void *p, size_t n, const unsigned char *buf, size_t len)
{
	const unsigned char *q = p;

	return q >= buf && n <= len && (size_t)(q - buf) <= len - n;
}

static void check_request(const unsigned char *payload, size_t len)
{
	struct frame_request req;
	unsigned char *prefix;
	size_t cap, written = 0;

	if (frame_request_decode(payload, len, &req) != FA_OK)
		return;
	if (req.kinds == 0 || (req.kinds & ~(uint32_t)FRAME_KINDS_ALL) != 0)
		abort();
	if (req.url_len == 0 || !inside(req.url, req.url_len, payload, len) ||
	    memchr(req.url, '\0', req.url_len))
		abort();
	if (req.charset_len && (!inside(req.charset, req.charset_len, payload, len) ||
				memchr(req.charset, '\0', req.charset_len)))
		abort();
	if (!inside(req.body, req.body_len, payload, len))
		abort();

	cap = frame_request_prefix_size(&req);
	if (cap + req.body_len != FRAME_HEADER_SIZE + len)
		abort();
	prefix = malloc(cap);
	if (!prefix)
		abort();
	if (frame_request_encode_prefix(&req, prefix, cap, &written) != FA_OK || written != cap)
		abort();
	if (frame_get_u32(prefix) != len ||
	    memcmp(prefix + FRAME_HEADER_SIZE, payload, cap - FRAME_HEADER_SIZE) != 0 ||
	    req.body != (const char *)payload + (cap - FRAME_HEADER_SIZE))
		abort();
	free(prefix);
}

static void check_answer(const unsigned char *payload, size_t len)
{
	struct html_links links = {0};
	unsigned char *frame = NULL;
	size_t frame_len = 0;
	uint32_t status = UINT32_MAX;
	enum fa_err err = frame_answer_decode(payload, len, &status, &links);

	if (err != FA_OK) {
		if (err != FA_ERR_PARSE || links.count != 0 || links.skipped != 0)
			abort();
		html_links_release(&links);
		return;
	}
	if (status >= FA_ERR_LAST)
		abort();
	if (frame_answer_encode(status, &links, &frame, &frame_len) != FA_OK)
		abort();
	if (frame_len != FRAME_HEADER_SIZE + len || frame_get_u32(frame) != len ||
	    memcmp(frame + FRAME_HEADER_SIZE, payload, len) != 0)
		abort();
	free(frame);
	html_links_release(&links);
}

static void check_split(const unsigned char *buf, size_t len)
{
	const unsigned char *payload = NULL;
	size_t payload_len = 0;
	enum fa_err err = frame_split(buf, len, &payload, &payload_len);
	enum fa_err want = FA_ERR_PARSE;

	if (len >= FRAME_HEADER_SIZE) {
		uint32_t n = frame_get_u32(buf);

		if (n > FRAME_MAX_PAYLOAD)
			want = FA_ERR_TOO_LONG;
		else if (len - FRAME_HEADER_SIZE == n)
			want = FA_OK;
	}
	if (err != want)
		abort();
	if (err != FA_OK)
		return;
	if (payload != buf + FRAME_HEADER_SIZE || payload_len != len - FRAME_HEADER_SIZE)
		abort();
	check_request(payload, payload_len);
	check_answer(payload, payload_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_split(data, size);
	check_request(data, size);
	check_answer(data, size);
	return 0;
}
