/*
 * content: the deterministic bodies the test server sends, shared with the
 * tests that check what a download wrote.
 *
 * Byte i of /bytes/N?seed=S is tsrv_byte(S, i) (S defaults to N).  It is
 * byte (i mod 8) of a 64-bit mix of (seed, i / 8), so it costs one hash per
 * eight bytes yet every byte depends on its offset: a resumed download that
 * appends at the wrong offset, or a body shifted by any amount, does not
 * match.  The functions are pure and thread-safe.
 *
 * The /gzip route's decoded text is TSRV_GZIP_TEXT_LEN bytes of
 * TSRV_GZIP_LINE repeated (the last line cut short).
 *
 * The /gzip-bomb/N route's decoded body is N zero bytes; what it sends is a
 * gzip member of one fixed-Huffman deflate block (a literal zero, then
 * length-258 distance-1 matches, then literal zeros for the rest), so that
 * about 160 decoded bytes cost one byte on the wire.  TSRV_BOMB_MAX caps N;
 * tsrv_bomb_gzip_len() is the Content-Length it sends.
 *
 * The /gzip-range/N route's decoded body is the /bytes/N body (seed N), so
 * a download that decodes it correctly passes the same check as /bytes/N.
 * What it sends is a gzip member of deflate "stored" blocks: a 10-byte
 * header, then for each TSRV_STORED_BLOCK bytes of content (the last block
 * shorter; one empty block when N = 0) a 5-byte block header and the bytes
 * themselves, then CRC-32 and size.  tsrv_stored_gzip_len() is its length,
 * which is what that route's ranges count.
 *
 * The images of /site/N/img/NAME and /gallery/P/img/NAME depend on NAME
 * alone (the last path segment, decoded; never N, P or the query), so the
 * same NAME under two sites is the same file.  NAME's extension, lowercase,
 * picks the format: .png, .jpg/.jpeg, .gif, .webp.  The body is that
 * format's real magic bytes and a plausible header (PNG: signature and an
 * IHDR chunk with its CRC; JPEG: SOI and a JFIF APP0; GIF: "GIF89a" and a
 * logical screen descriptor; WebP: RIFF size "WEBP" "VP8L" size), then
 * filler bytes tsrv_fill(tsrv_name_hash(NAME), offset), then a trailer
 * (PNG: an IEND chunk; JPEG: EOI FF D9; GIF: 0x3B).  Only the magic bytes
 * and headers are meaningful: no decoder will accept the filler.  The size
 * is 2000 + h % 3000 bytes (h = tsrv_name_hash(NAME)), or 20000 + h % 10000
 * when the name's stem ends in "-big" ("3-big.jpg"), so a --min-size 10k
 * filter keeps exactly the -big images.  TSRV_FAKE_IMAGE ("fake.png") is
 * the exception: its body is TSRV_FAKE_IMAGE_TEXT, though it is served as
 * image/png.
 */
#ifndef TSRV_CONTENT_H
#define TSRV_CONTENT_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit word w of the stream for seed (a splitmix64-style finalizer). */
static inline uint64_t tsrv_word(uint64_t seed, uint64_t w)
{
	uint64_t x = seed * UINT64_C(0x9E3779B97F4A7C15) + w * UINT64_C(0xD1B54A32D192ED03) + 1;

	x ^= x >> 30;
	x *= UINT64_C(0xBF58476D1CE4E5B9);
	x ^= x >> 27;
	x *= UINT64_C(0x94D049BB133111EB);
	x ^= x >> 31;
	return x;
}

/* Byte i of the /bytes body for seed. */
static inline uint8_t tsrv_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(tsrv_word(seed, i >> 3) >> ((i & 7) * 8));
}

/* Fills buf[0..len) with bytes off..off+len-1 of the /bytes body for seed. */
static inline void tsrv_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	size_t k = 0;

	while (k < len && ((off + k) & 7) != 0) {
		buf[k] = tsrv_byte(seed, off + k);
		k++;
	}
	while (len - k >= 8) {
		uint64_t x = tsrv_word(seed, (off + k) >> 3);
		int b;

		for (b = 0; b < 8; b++)
			buf[k + (size_t)b] = (uint8_t)(x >> (b * 8));
		k += 8;
	}
	while (k < len) {
		buf[k] = tsrv_byte(seed, off + k);
		k++;
	}
}

#define TSRV_GZIP_LINE     "fetchall gzip test line\n"
#define TSRV_GZIP_TEXT_LEN 4000

/* Character i (< TSRV_GZIP_TEXT_LEN) of the /gzip route's decoded text. */
static inline char tsrv_gzip_char(size_t i)
{
	return TSRV_GZIP_LINE[i % (sizeof(TSRV_GZIP_LINE) - 1)];
}

/* Writes the whole decoded /gzip text (no NUL) into buf, which must hold
 * TSRV_GZIP_TEXT_LEN bytes. */
static inline void tsrv_gzip_text(char *buf)
{
	size_t i;

	for (i = 0; i < TSRV_GZIP_TEXT_LEN; i++)
		buf[i] = tsrv_gzip_char(i);
}

#define TSRV_BOMB_MAX (UINT64_C(1) << 30)

/* The bytes /gzip-bomb/N sends for N (<= TSRV_BOMB_MAX) decoded zeros: a
 * 10-byte gzip header, the deflate block (3 header bits, one 8-bit literal
 * when N > 0, 13 bits per 258-byte match, 8 bits per remaining literal, a
 * 7-bit end code, rounded up to whole bytes), then CRC-32 and size. */
static inline uint64_t tsrv_bomb_gzip_len(uint64_t n)
{
	uint64_t matches = n > 0 ? (n - 1) / 258 : 0;
	uint64_t literals = n > 0 ? 1 + (n - 1) % 258 : 0;
	uint64_t bits = 3 + 8 * literals + 13 * matches + 7;

	return 10 + (bits + 7) / 8 + 8;
}

#define TSRV_STORED_BLOCK 65535 /* content bytes per stored deflate block, at most */

/* The encoded length of /gzip-range/N: header, one 5-byte header per stored
 * block, the N content bytes, then CRC-32 and size. */
static inline uint64_t tsrv_stored_gzip_len(uint64_t n)
{
	uint64_t blocks = n > 0 ? (n + TSRV_STORED_BLOCK - 1) / TSRV_STORED_BLOCK : 1;

	return 10 + 5 * blocks + n + 8;
}

/* ---- images ---- */

#define TSRV_IMAGE_MAX       30000 /* largest image body, bytes */
#define TSRV_FAKE_IMAGE      "fake.png"
#define TSRV_FAKE_IMAGE_TEXT "this is not an image, whatever its Content-Type says\n"

enum tsrv_image_kind {
	TSRV_IMAGE_NONE, /* not an image name: the server answers 404 */
	TSRV_IMAGE_PNG,
	TSRV_IMAGE_JPEG,
	TSRV_IMAGE_GIF,
	TSRV_IMAGE_WEBP
};

/* 64-bit hash of a NUL-terminated name (FNV-1a, then mixed by
 * tsrv_word()). */
static inline uint64_t tsrv_name_hash(const char *name)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (*name != '\0') {
		h ^= (uint8_t)*name++;
		h *= UINT64_C(0x100000001b3);
	}
	return tsrv_word(h, 0);
}

/* Length of name minus its extension (the part from the last '.'), or of
 * the whole name if it has none. */
static inline size_t tsrv_name_stem_len(const char *name)
{
	size_t len = 0, dot = 0;
	int has_dot = 0;

	for (; name[len] != '\0'; len++) {
		if (name[len] == '.') {
			dot = len;
			has_dot = 1;
		}
	}
	return has_dot ? dot : len;
}

/* The format that name's extension picks (exact, lowercase). */
static inline enum tsrv_image_kind tsrv_image_kind(const char *name)
{
	static const struct {
		const char *ext;
		enum tsrv_image_kind kind;
	} exts[] = {
	    {".png", TSRV_IMAGE_PNG}, {".jpg", TSRV_IMAGE_JPEG},  {".jpeg", TSRV_IMAGE_JPEG},
	    {".gif", TSRV_IMAGE_GIF}, {".webp", TSRV_IMAGE_WEBP},
	};
	const char *ext = name + tsrv_name_stem_len(name);
	size_t i, k;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		for (k = 0; exts[i].ext[k] != '\0' && exts[i].ext[k] == ext[k]; k++)
			;
		if (exts[i].ext[k] == '\0' && ext[k] == '\0')
			return exts[i].kind;
	}
	return TSRV_IMAGE_NONE;
}

/* The Content-Type the server gives name ("image/png" ...), or NULL if
 * name is not an image name.  Static storage. */
static inline const char *tsrv_image_type(const char *name)
{
	switch (tsrv_image_kind(name)) {
	case TSRV_IMAGE_PNG: return "image/png";
	case TSRV_IMAGE_JPEG: return "image/jpeg";
	case TSRV_IMAGE_GIF: return "image/gif";
	case TSRV_IMAGE_WEBP: return "image/webp";
	case TSRV_IMAGE_NONE: break;
	}
	return NULL;
}

static inline int tsrv_is_fake_image(const char *name)
{
	const char *f = TSRV_FAKE_IMAGE;

	while (*f != '\0' && *f == *name) {
		f++;
		name++;
	}
	return *f == '\0' && *name == '\0';
}

/* The body size of image name, at most TSRV_IMAGE_MAX; 0 if name is not
 * an image name. */
static inline size_t tsrv_image_size(const char *name)
{
	size_t stem = tsrv_name_stem_len(name);
	uint64_t h;

	if (tsrv_image_kind(name) == TSRV_IMAGE_NONE)
		return 0;
	if (tsrv_is_fake_image(name))
		return sizeof(TSRV_FAKE_IMAGE_TEXT) - 1;
	h = tsrv_name_hash(name);
	if (stem >= 4 && name[stem - 4] == '-' && name[stem - 3] == 'b' && name[stem - 2] == 'i' &&
	    name[stem - 1] == 'g')
		return 20000 + (size_t)(h % 10000);
	return 2000 + (size_t)(h % 3000);
}

/* The CRC-32 (ISO-HDLC, as PNG and gzip use) of data whose CRC so far is
 * crc (0 for none), extended by p[0..len): as zlib's crc32(), so a body
 * generated in chunks can be summed chunk by chunk. */
static inline uint32_t tsrv_crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int k;

	crc ^= 0xFFFFFFFFu;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xFFFFFFFFu;
}

/* CRC-32 (ISO-HDLC, as PNG uses) of p[0..len). */
static inline uint32_t tsrv_crc32(const uint8_t *p, size_t len)
{
	return tsrv_crc32_update(0, p, len);
}

static inline void tsrv_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void tsrv_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Writes the whole body of image name into buf, which must hold
 * tsrv_image_size(name) bytes (nothing is written when that is 0). */
static inline void tsrv_image_fill(const char *name, uint8_t *buf)
{
	static const uint8_t png_sig[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
					    0,    0,   0,   13,  'I',  'H',  'D',  'R'};
	static const uint8_t png_iend[12] = {0,   0,   0,    0,    'I',  'E',
					     'N', 'D', 0xAE, 0x42, 0x60, 0x82};
	static const uint8_t jfif[20] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J',
					 'F',  'I',  'F',  0x00, 0x01, 0x01, 0x00,
					 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
	size_t size = tsrv_image_size(name), head = 0, tail = 0, i;
	uint64_t h = tsrv_name_hash(name);
	uint32_t width = 1 + (uint32_t)(h % 1024), height = 1 + (uint32_t)((h >> 16) % 1024);

	if (size == 0)
		return;
	if (tsrv_is_fake_image(name)) {
		for (i = 0; i < size; i++)
			buf[i] = (uint8_t)TSRV_FAKE_IMAGE_TEXT[i];
		return;
	}
	switch (tsrv_image_kind(name)) {
	case TSRV_IMAGE_PNG:
		for (i = 0; i < sizeof(png_sig); i++)
			buf[i] = png_sig[i];
		tsrv_put_be32(buf + 16, width);
		tsrv_put_be32(buf + 20, height);
		buf[24] = 8; /* bit depth */
		buf[25] = 2; /* truecolour */
		buf[26] = 0;
		buf[27] = 0;
		buf[28] = 0;
		tsrv_put_be32(buf + 29, tsrv_crc32(buf + 12, 17));
		head = 33;
		tail = sizeof(png_iend);
		for (i = 0; i < tail; i++)
			buf[size - tail + i] = png_iend[i];
		break;
	case TSRV_IMAGE_JPEG:
		for (i = 0; i < sizeof(jfif); i++)
			buf[i] = jfif[i];
		head = sizeof(jfif);
		tail = 2;
		buf[size - 2] = 0xFF;
		buf[size - 1] = 0xD9;
		break;
	case TSRV_IMAGE_GIF:
		for (i = 0; i < 6; i++)
			buf[i] = (uint8_t) "GIF89a"[i];
		buf[6] = (uint8_t)width;
		buf[7] = (uint8_t)(width >> 8);
		buf[8] = (uint8_t)height;
		buf[9] = (uint8_t)(height >> 8);
		buf[10] = 0; /* no global colour table */
		buf[11] = 0;
		buf[12] = 0;
		head = 13;
		tail = 1;
		buf[size - 1] = 0x3B;
		break;
	case TSRV_IMAGE_WEBP:
		for (i = 0; i < 4; i++) {
			buf[i] = (uint8_t) "RIFF"[i];
			buf[8 + i] = (uint8_t) "WEBP"[i];
			buf[12 + i] = (uint8_t) "VP8L"[i];
		}
		tsrv_put_le32(buf + 4, (uint32_t)(size - 8));
		tsrv_put_le32(buf + 16, (uint32_t)(size - 20));
		buf[20] = 0x2F; /* VP8L signature byte */
		head = 21;
		break;
	case TSRV_IMAGE_NONE: return;
	}
	tsrv_fill(h, head, buf + head, size - head - tail);
}

/* ---- /site ---- */

/* The depth of page k of a /site (its distance in links from page 0):
 * floor(log2(k + 1)).  The links are documented at route_site in
 * tests/server/routes.c. */
static inline unsigned tsrv_site_depth(uint64_t k)
{
	unsigned d = 0;

	for (k++; k > 1; k >>= 1)
		d++;
	return d;
}

/* How many pages of /site/N lie within depth d of page 0 (they are pages
 * 0 .. result-1): min(n, 2^(d+1) - 1). */
static inline uint64_t tsrv_site_pages_within(uint64_t n, unsigned d)
{
	uint64_t within = d >= 63 ? UINT64_MAX : (UINT64_C(1) << (d + 1)) - 1;

	return within < n ? within : n;
}

/* ---- /fleet ---- */

#define TSRV_FLEET_MAX_PAGES 1000000 /* N of /fleet, at most */
#define TSRV_FLEET_PORTS_MAX 64      /* ports= list, entries */
#define TSRV_FLEET_LINKS_MAX 4       /* distinct pages one /fleet page links */

/* The distinct pages page k (< n) of a /fleet site of n pages links, in
 * the order its HTML lists them: children 2k+1 and 2k+2 (those < n), the
 * parent (k-1)/2 (k > 0), then the "cross" page (7k+3) mod n, each only
 * where it first appears (the cross page may equal another, or k itself).
 * Writes at most max of them into out and returns how many there are (at
 * most TSRV_FLEET_LINKS_MAX).  As the children cover 1 .. n-1, every page
 * is reachable from page 0.  Page c is served by the host of port
 * P[c mod m] of the ports list.  Pure: thread-safe. */
static inline size_t tsrv_fleet_links(uint64_t k, uint64_t n, uint64_t out[], size_t max)
{
	uint64_t cand[TSRV_FLEET_LINKS_MAX];
	size_t ncand = 0, count = 0, i, j;

	if (n == 0 || k >= n)
		return 0;
	if (2 * k + 1 < n)
		cand[ncand++] = 2 * k + 1;
	if (2 * k + 2 < n)
		cand[ncand++] = 2 * k + 2;
	if (k > 0)
		cand[ncand++] = (k - 1) / 2;
	cand[ncand++] = (k % n * 7 + 3) % n;
	for (i = 0; i < ncand; i++) {
		for (j = 0; j < i && cand[j] != cand[i]; j++)
			;
		if (j < i)
			continue;
		if (count < max)
			out[count] = cand[i];
		count++;
	}
	return count;
}

#endif
