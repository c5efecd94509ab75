/*
 * Unit tests for seen, the set of 64-bit URL fingerprints.
 *
 * Small tables check the contract (new, duplicate, cap, the reserved
 * fingerprint 0); a million generated URLs check growth (every one is
 * still found after many doublings), the fingerprint's spread (no two
 * distinct URLs collide) and the memory promised in seen.h, which is also
 * printed.  Single-threaded, like the module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seen.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* URLs in the big tests; seen.h promises at most ~21.3 bytes each. */
#define MANY              1000000u
#define MAX_BYTES_PER_URL 64.0

/* A crawl-like URL for index i: many hosts, deep paths, queries. */
static size_t make_url(char *buf, size_t len, unsigned i)
{
	int n = snprintf(buf, len, "https://host%u.example.com/dir%u/page-%u.html?q=%u", i % 997,
			 i % 31, i, i / 7);

	assert_true(n > 0 && (size_t)n < len);
	return (size_t)n;
}

static void test_seen_free_accepts_null(void **state)
{
	(void)state;
	seen_free(NULL);
}

static void test_seen_add_has_duplicates(void **state)
{
	static const struct {
		uint64_t fp;
		enum fa_err expect; /* from seen_add, in this order */
	} steps[] = {
	    {42, FA_OK},
	    {42, FA_ERR_EXISTS},
	    {43, FA_OK},
	    {UINT64_MAX, FA_OK},
	    {UINT64_MAX, FA_ERR_EXISTS},
	    {1, FA_OK},
	    /* 0 is stored as 1 (seen.c): one more 2^-64 false "seen" */
	    {0, FA_ERR_EXISTS},
	    {42, FA_ERR_EXISTS},
	};
	struct seen *set = seen_new(0);

	(void)state;
	assert_non_null(set);
	assert_int_equal(seen_count(set), 0);
	assert_false(seen_has(set, 42));
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		assert_int_equal(seen_add(set, steps[i].fp), steps[i].expect);
		assert_true(seen_has(set, steps[i].fp));
	}
	assert_int_equal(seen_count(set), 4);
	assert_false(seen_has(set, 44));
	assert_false(seen_has(set, 2));
	assert_true(seen_bytes(set) >= 8 * 4);
	seen_free(set);
}

static void test_seen_cap_returns_too_long(void **state)
{
	static const size_t caps[] = {1, 2, 5, 1000, 5000};

	(void)state;
	for (size_t c = 0; c < ARRAY_LEN(caps); c++) {
		struct seen *set = seen_new(caps[c]);

		assert_non_null(set);
		for (uint64_t fp = 1; fp <= caps[c]; fp++)
			assert_int_equal(seen_add(set, fp * 0x9e3779b97f4a7c15u), FA_OK);
		assert_int_equal(seen_count(set), caps[c]);
		/* full: a new one is refused and not added ... */
		assert_int_equal(seen_add(set, 7), FA_ERR_TOO_LONG);
		assert_false(seen_has(set, 7));
		assert_int_equal(seen_count(set), caps[c]);
		/* ... but a duplicate is still recognised as such */
		assert_int_equal(seen_add(set, 1 * 0x9e3779b97f4a7c15u), FA_ERR_EXISTS);
		for (uint64_t fp = 1; fp <= caps[c]; fp++)
			assert_true(seen_has(set, fp * 0x9e3779b97f4a7c15u));
		seen_free(set);
	}
}

static void test_seen_fingerprint_basics(void **state)
{
	static const char *const distinct[] = {
	    "",
	    "a",
	    "b",
	    "ab",
	    "ba",
	    "http://h/",
	    "http://h/a",
	    "http://h/a/",
	    "http://H/a",
	    "https://h/a",
	    "http://h/a?x=1",
	    "http://h/a?x=2",
	    "http://h/a?x=12",
	    "http://h/a?x=21",
	};

	(void)state;
	/* deterministic, and only len bytes count */
	assert_true(seen_fingerprint("http://h/a", 10) == seen_fingerprint("http://h/a", 10));
	assert_true(seen_fingerprint("http://h/aXYZ", 10) == seen_fingerprint("http://h/a", 10));
	assert_true(seen_fingerprint(NULL, 0) == seen_fingerprint("", 0));
	for (size_t i = 0; i < ARRAY_LEN(distinct); i++)
		for (size_t j = i + 1; j < ARRAY_LEN(distinct); j++)
			assert_true(seen_fingerprint(distinct[i], strlen(distinct[i])) !=
				    seen_fingerprint(distinct[j], strlen(distinct[j])));
}

/* Sequential fingerprints (worst case for a weak mix) through growth. */
static void test_seen_growth_keeps_items(void **state)
{
	struct seen *set = seen_new(0);

	(void)state;
	assert_non_null(set);
	for (uint64_t fp = 1; fp <= MANY; fp++)
		assert_int_equal(seen_add(set, fp), FA_OK);
	assert_int_equal(seen_count(set), MANY);
	for (uint64_t fp = 1; fp <= MANY; fp++)
		assert_true(seen_has(set, fp));
	for (uint64_t fp = MANY + 1; fp <= MANY + 1000; fp++)
		assert_false(seen_has(set, fp));
	for (uint64_t fp = 1; fp <= MANY; fp += 997)
		assert_int_equal(seen_add(set, fp), FA_ERR_EXISTS);
	assert_int_equal(seen_count(set), MANY);
	seen_free(set);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A million distinct URLs: no two fingerprints equal (checked by sorting,
 * independently of the set), all added as new and all found, and the
 * memory per URL within seen.h's promise.
 */
static void test_seen_million_urls(void **state)
{
	uint64_t *fps = malloc(MANY * sizeof(*fps));
	struct seen *set = seen_new(0);
	size_t collisions = 0;
	double per_url;
	char url[128];

	(void)state;
	assert_non_null(fps);
	assert_non_null(set);
	for (unsigned i = 0; i < MANY; i++) {
		size_t len = make_url(url, sizeof(url), i);

		fps[i] = seen_fingerprint(url, len);
		assert_int_equal(seen_add(set, fps[i]), FA_OK);
	}
	assert_int_equal(seen_count(set), MANY);
	for (unsigned i = 0; i < MANY; i++) {
		size_t len = make_url(url, sizeof(url), i);

		assert_true(seen_has(set, seen_fingerprint(url, len)));
	}
	qsort(fps, MANY, sizeof(*fps), cmp_u64);
	for (size_t i = 1; i < MANY; i++)
		collisions += fps[i] == fps[i - 1];
	assert_int_equal(collisions, 0);

	per_url = (double)seen_bytes(set) / (double)seen_count(set);
	print_message("seen: %zu URLs in %zu bytes: %.2f bytes/URL\n", seen_count(set),
		      seen_bytes(set), per_url);
	assert_true(per_url <= MAX_BYTES_PER_URL);
	/* seen.h: 8 bytes a slot, grown at 3/4 load */
	assert_true(per_url >= 8.0 / 0.75 - 0.01);
	free(fps);
	seen_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seen_free_accepts_null),
	    cmocka_unit_test(test_seen_add_has_duplicates),
	    cmocka_unit_test(test_seen_cap_returns_too_long),
	    cmocka_unit_test(test_seen_fingerprint_basics),
	    cmocka_unit_test(test_seen_growth_keeps_items),
	    cmocka_unit_test(test_seen_million_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
