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

#endif
