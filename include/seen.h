/*
 * seen: a set of 64-bit URL fingerprints, so a crawl fetches each URL once.
 *
 * Open addressing with linear probing over a power-of-two table of
 * uint64_t, grown at 3/4 load: 8 bytes a slot, so between 10.7 and 21.3
 * bytes per URL depending on where the table is in its growth.  A URL is
 * reduced to 64 bits (two independent 64-bit FNV-1a style mixes folded),
 * so two different URLs collide with probability about n^2 / 2^65: for 10
 * million URLs, about 3 in a million; a collision makes one URL look seen.
 * Not thread-safe: the frontier calls it under its own lock.
 */
#ifndef FA_SEEN_H
#define FA_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct seen;

/* A new empty set that holds at most max_items (0: no cap).  NULL on OOM. */
struct seen *seen_new(size_t max_items);
void seen_free(struct seen *set);

/* The fingerprint of len bytes at s. */
uint64_t seen_fingerprint(const char *s, size_t len);

/*
 * Inserts fp.  Returns FA_OK if it was new, FA_ERR_EXISTS if it was there
 * already, FA_ERR_TOO_LONG if the set is at its cap (fp not added),
 * FA_ERR_NOMEM if the table could not grow (fp not added).
 */
enum fa_err seen_add(struct seen *set, uint64_t fp);

/* True if fp is in the set. */
bool seen_has(const struct seen *set, uint64_t fp);

/* Items in the set; bytes the table uses. */
size_t seen_count(const struct seen *set);
size_t seen_bytes(const struct seen *set);

#endif
