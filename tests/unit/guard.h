/*
 * guard: test input placed right before an unreadable page, so that a
 * parser reading one byte past its input crashes at once instead of
 * passing by luck (picohttpparser's habit; see STYLE.md).  Shared by the
 * unit tests of every parser.  Not thread-safe: one guard per test thread.
 */
#ifndef FA_TEST_GUARD_H
#define FA_TEST_GUARD_H

#include <stddef.h>

struct guard {
	unsigned char *map;
	size_t page; /* the PROT_NONE page's size */
	size_t size; /* readable bytes before it */
};

/* Maps at least at_least readable bytes (whole pages) followed by a
 * PROT_NONE page.  Returns 0, or -1 with errno set and *g zeroed. */
int guard_init(struct guard *g, size_t at_least);

/* Unmaps g's pages and zeroes *g.  A zeroed guard is fine. */
void guard_release(struct guard *g);

/* Copies len bytes of src so that they end exactly at the guard page.
 * Returns the copy (valid until the next copy or guard_release()), or NULL
 * if len is over g->size. */
void *guard_copy(struct guard *g, const void *src, size_t len);

/* A copy of the string s whose NUL is the last readable byte. */
char *guard_str(struct guard *g, const char *s);

/* One guard of GUARD_SHARED_SIZE bytes for a whole test file, set up and
 * torn down as cmocka group fixtures:
 *   cmocka_run_group_tests(tests, guard_group_setup, guard_group_teardown) */
#define GUARD_SHARED_SIZE (256 * 1024)
extern struct guard guard_shared;
int guard_group_setup(void **state);
int guard_group_teardown(void **state);

#endif
