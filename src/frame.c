/*
 * frame: encoding and decoding of the parser worker protocol's frames.
 *
 * Design: every length is checked against what is left of the buffer
 * before it is used, with the arithmetic done on size_t values that cannot
 * wrap (a u32 never wraps a 64-bit size_t, and each check is "n > left",
 * never "pos + n > len").  The answer decoder makes two passes: the first
 * checks the whole payload without allocating, so a hostile count or length
 * costs nothing; the second copies the URLs out, and if it runs out of
 * memory it removes what it appended.  No state, no I/O, no locks: every
 * function is thread-safe.
 */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

/* Smallest encoded link: kind byte and url_len, plus a 1-byte URL. */
#define LINK_MIN_SIZE (1 + 4 + 1)

void frame_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)((v >> 24) & 0xff);
}

uint32_t frame_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum fa_err frame_header_decode(const unsigned char *hdr, uint32_t *len)
{
	*len = frame_get_u32(hdr);
	return *len > FRAME_MAX_PAYLOAD ? FA_ERR_TOO_LONG : FA_OK;
}

enum fa_err frame_split(const unsigned char *buf, size_t len, const unsigned char **payload,
			size_t *payload_len)
{
	uint32_t n;

	*payload = NULL;
	*payload_len = 0;
	if (len < FRAME_HEADER_SIZE)
		return FA_ERR_PARSE;
	if (frame_header_decode(buf, &n) != FA_OK)
		return FA_ERR_TOO_LONG;
	if (len - FRAME_HEADER_SIZE != n)
		return FA_ERR_PARSE;
	*payload = buf + FRAME_HEADER_SIZE;
	*payload_len = n;
	return FA_OK;
}

static int is_one_kind(uint32_t kind)
{
	return kind == HTML_LINK || kind == HTML_IMAGE || kind == HTML_REQUISITE;
}

static int valid_kinds(uint32_t kinds)
{
	return (kinds & (HTML_LINK | HTML_IMAGE | HTML_REQUISITE)) != 0 &&
	       (kinds & ~(uint32_t)FRAME_KINDS_ALL) == 0;
}

size_t frame_request_prefix_size(const struct frame_request *req)
{
	return FRAME_HEADER_SIZE + FRAME_REQUEST_FIXED + req->url_len + req->charset_len;
}

enum fa_err frame_request_encode_prefix(const struct frame_request *req, unsigned char *buf,
					size_t cap, size_t *written)
{
	size_t payload, pos = 0;

	*written = 0;
	if (!valid_kinds(req->kinds) || req->url_len == 0 || !req->url ||
	    memchr(req->url, '\0', req->url_len) ||
	    (req->charset_len && (!req->charset || memchr(req->charset, '\0', req->charset_len))))
		return FA_ERR_ARG;
	/* Each term is checked alone first so that the sum cannot wrap. */
	if (req->url_len > FRAME_MAX_PAYLOAD || req->charset_len > FRAME_MAX_PAYLOAD ||
	    req->body_len > FRAME_MAX_PAYLOAD)
		return FA_ERR_TOO_LONG;
	payload = FRAME_REQUEST_FIXED + req->url_len + req->charset_len + req->body_len;
	if (payload > FRAME_MAX_PAYLOAD)
		return FA_ERR_TOO_LONG;
	if (cap < frame_request_prefix_size(req))
		return FA_ERR_ARG;

	frame_put_u32(buf + pos, (uint32_t)payload);
	pos += 4;
	frame_put_u32(buf + pos, req->kinds);
	pos += 4;
	frame_put_u32(buf + pos, (uint32_t)req->url_len);
	pos += 4;
	memcpy(buf + pos, req->url, req->url_len);
	pos += req->url_len;
	frame_put_u32(buf + pos, (uint32_t)req->charset_len);
	pos += 4;
	if (req->charset_len) {
		memcpy(buf + pos, req->charset, req->charset_len);
		pos += req->charset_len;
	}
	*written = pos;
	return FA_OK;
}

enum fa_err frame_request_decode(const unsigned char *payload, size_t len,
				 struct frame_request *req)
{
	size_t left = len;
	const unsigned char *p = payload;
	uint32_t n;

	memset(req, 0, sizeof(*req));
	if (len > FRAME_MAX_PAYLOAD || left < 8)
		return FA_ERR_PARSE;
	req->kinds = frame_get_u32(p);
	n = frame_get_u32(p + 4);
	p += 8;
	left -= 8;
	if (!valid_kinds(req->kinds) || n == 0 || n > left)
		return FA_ERR_PARSE;
	req->url = (const char *)p;
	req->url_len = n;
	if (memchr(p, '\0', n))
		return FA_ERR_PARSE;
	p += n;
	left -= n;

	if (left < 4)
		return FA_ERR_PARSE;
	n = frame_get_u32(p);
	p += 4;
	left -= 4;
	if (n > left)
		return FA_ERR_PARSE;
	if (n) {
		if (memchr(p, '\0', n))
			return FA_ERR_PARSE;
		req->charset = (const char *)p;
		req->charset_len = n;
	}
	p += n;
	left -= n;

	req->body = (const char *)p;
	req->body_len = left;
	return FA_OK;
}

/* Whether the link goes into an answer whose payload has `payload` bytes
 * and `kept` links so far; its URL's length in *url_len.  Both encoder
 * passes ask this, so they make the same decisions. */
static int keep_link(const struct html_link *link, uint32_t kept, size_t payload, size_t *url_len)
{
	size_t room = FRAME_MAX_PAYLOAD - payload; /* payload never exceeds the max */

	if (!link->url || !is_one_kind((uint32_t)link->kind) || kept >= HTML_MAX_LINKS)
		return 0;
	*url_len = strlen(link->url);
	return *url_len > 0 && room >= 5 && *url_len <= room - 5;
}

enum fa_err frame_answer_encode(uint32_t status, const struct html_links *links,
				unsigned char **out, size_t *out_len)
{
	size_t count = links ? links->count : 0;
	size_t payload = FRAME_ANSWER_FIXED, pos, url_len;
	uint64_t skipped = links ? links->skipped : 0;
	uint64_t over_cap = links ? links->over_cap : 0;
	uint32_t kept = 0;
	unsigned char *buf;

	*out = NULL;
	*out_len = 0;
	/* Pass 1: which links fit, and how big the payload is. */
	for (size_t i = 0; i < count; i++) {
		if (!keep_link(&links->items[i], kept, payload, &url_len)) {
			if (kept >= HTML_MAX_LINKS)
				over_cap++;
			else
				skipped++;
			continue;
		}
		payload += 1 + 4 + url_len;
		kept++;
	}
	if (skipped > UINT32_MAX)
		skipped = UINT32_MAX;
	if (over_cap > UINT32_MAX)
		over_cap = UINT32_MAX;

	buf = malloc(FRAME_HEADER_SIZE + payload);
	if (!buf)
		return FA_ERR_NOMEM;
	frame_put_u32(buf, (uint32_t)payload);
	frame_put_u32(buf + 4, status);
	frame_put_u32(buf + 8, (uint32_t)skipped);
	frame_put_u32(buf + 12, kept);
	frame_put_u32(buf + 16, (uint32_t)over_cap);
	pos = FRAME_HEADER_SIZE + FRAME_ANSWER_FIXED;

	/* Pass 2: the same decisions, now writing. */
	payload = FRAME_ANSWER_FIXED;
	kept = 0;
	for (size_t i = 0; i < count; i++) {
		const struct html_link *link = &links->items[i];

		if (!keep_link(link, kept, payload, &url_len))
			continue;
		payload += 1 + 4 + url_len;
		kept++;
		buf[pos++] = (unsigned char)link->kind;
		frame_put_u32(buf + pos, (uint32_t)url_len);
		pos += 4;
		memcpy(buf + pos, link->url, url_len);
		pos += url_len;
	}
	*out = buf;
	*out_len = pos;
	return FA_OK;
}

/* Pass 1 of the answer decoder: structure only, no allocation. */
static enum fa_err check_answer(const unsigned char *payload, size_t len, uint32_t *count)
{
	const unsigned char *p = payload + FRAME_ANSWER_FIXED;
	size_t left = len - FRAME_ANSWER_FIXED;

	*count = frame_get_u32(payload + 8);
	if (*count > HTML_MAX_LINKS || *count > left / LINK_MIN_SIZE)
		return FA_ERR_PARSE;
	for (uint32_t i = 0; i < *count; i++) {
		uint32_t n;

		if (left < 5 || !is_one_kind(p[0]))
			return FA_ERR_PARSE;
		n = frame_get_u32(p + 1);
		p += 5;
		left -= 5;
		if (n == 0 || n > left || memchr(p, '\0', n))
			return FA_ERR_PARSE;
		p += n;
		left -= n;
	}
	return left == 0 ? FA_OK : FA_ERR_PARSE;
}

enum fa_err frame_answer_decode(const unsigned char *payload, size_t len, uint32_t *status,
				struct html_links *links)
{
	const unsigned char *p;
	size_t first = links->count;
	uint32_t count, st;
	enum fa_err err;

	if (len < FRAME_ANSWER_FIXED || len > FRAME_MAX_PAYLOAD)
		return FA_ERR_PARSE;
	st = frame_get_u32(payload);
	if (st >= FA_ERR_LAST)
		return FA_ERR_PARSE;
	err = check_answer(payload, len, &count);
	if (err != FA_OK)
		return err;

	p = payload + FRAME_ANSWER_FIXED;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t n = frame_get_u32(p + 1);

		err = html_links_add(links, (enum html_kind)p[0], (const char *)p + 5, n);
		if (err != FA_OK)
			goto undo;
		p += 5 + (size_t)n;
	}
	links->skipped += frame_get_u32(payload + 4);
	links->over_cap += frame_get_u32(payload + 12);
	*status = st;
	return FA_OK;

undo:
	/* html.h: the list owns each URL, a malloc'd copy freed by
	 * html_links_release(). */
	while (links->count > first) {
		links->count--;
		free(links->items[links->count].url);
		links->items[links->count].url = NULL;
	}
	return err;
}
