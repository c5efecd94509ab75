/*
 * seen: open-addressing hash set of 64-bit fingerprints.
 *
 * Slot value 0 means empty, so a fingerprint of 0 is stored as 1 (one more
 * 2^-64 chance of a false "seen").  Linear probing: fingerprints are
 * already well mixed, so clustering stays low at 3/4 load.  No deletion is
 * needed: a crawl never forgets a URL.  No locking here; see seen.h.
 */
#include "seen.h"

#include <stdlib.h>

#define INITIAL_SLOTS 1024

struct seen {
	uint64_t *slots;
	size_t mask; /* slots - 1 */
	size_t count;
	size_t max_items;
};

struct seen *seen_new(size_t max_items)
{
	struct seen *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->slots = calloc(INITIAL_SLOTS, sizeof(*set->slots));
	if (!set->slots) {
		free(set);
		return NULL;
	}
	set->mask = INITIAL_SLOTS - 1;
	set->max_items = max_items;
	return set;
}

void seen_free(struct seen *set)
{
	if (!set)
		return;
	free(set->slots);
	free(set);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

uint64_t seen_fingerprint(const char *s, size_t len)
{
	/* Two FNV-1a lanes with different offsets, finalised and folded:
	 * cheap, and far better spread than one raw FNV-1a. */
	uint64_t a = UINT64_C(0xcbf29ce484222325), b = UINT64_C(0x84222325cbf29ce4);

	for (size_t i = 0; i < len; i++) {
		a = (a ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
		b = (b ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3) + i;
	}
	return mix(a) ^ (mix(b) << 1 | mix(b) >> 63);
}

static size_t find(const uint64_t *slots, size_t mask, uint64_t fp)
{
	size_t i = (size_t)mix(fp) & mask;

	while (slots[i] != 0 && slots[i] != fp)
		i = (i + 1) & mask;
	return i;
}

static enum fa_err grow(struct seen *set)
{
	size_t nslots = (set->mask + 1) * 2;
	uint64_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return FA_ERR_NOMEM;
	for (size_t i = 0; i <= set->mask; i++) {
		if (set->slots[i])
			slots[find(slots, nslots - 1, set->slots[i])] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->mask = nslots - 1;
	return FA_OK;
}

enum fa_err seen_add(struct seen *set, uint64_t fp)
{
	size_t i;

	if (fp == 0)
		fp = 1;
	i = find(set->slots, set->mask, fp);
	if (set->slots[i] == fp)
		return FA_ERR_EXISTS;
	if (set->max_items && set->count >= set->max_items)
		return FA_ERR_TOO_LONG;
	if ((set->count + 1) * 4 > (set->mask + 1) * 3) {
		if (grow(set) != FA_OK)
			return FA_ERR_NOMEM;
		i = find(set->slots, set->mask, fp);
	}
	set->slots[i] = fp;
	set->count++;
	return FA_OK;
}

bool seen_has(const struct seen *set, uint64_t fp)
{
	if (fp == 0)
		fp = 1;
	return set->slots[find(set->slots, set->mask, fp)] == fp;
}

size_t seen_count(const struct seen *set)
{
	return set->count;
}

size_t seen_bytes(const struct seen *set)
{
	return (set->mask + 1) * sizeof(*set->slots) + sizeof(*set);
}
