/* Unit tests for stacks.c: threads run on stacks carved from one mapping,
 * each with a guard page below it, and without them on glibc's own. */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stacks.h"

#define N 3

struct seen {
	uintptr_t local; /* the address of a variable on the thread's stack */
	uintptr_t low, high;
};

static void *where(void *arg)
{
	struct seen *s = arg;
	volatile char here = 0;
	pthread_attr_t attr;
	void *addr;
	size_t size;

	s->local = (uintptr_t)&here;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			s->low = (uintptr_t)addr;
			s->high = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

/* Whether /proc/self/maps has a mapping [low, high) with no access. */
static bool no_access(uintptr_t low, uintptr_t high)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &a, &b, perms) == 3 && a <= low && high <= b)
			found = strcmp(perms, "---p") == 0;
	}
	fclose(f);
	return found;
}

static void run_on(struct stacks *st, unsigned i, struct seen *s)
{
	pthread_attr_t attr;
	pthread_t t;

	assert_true(stacks_attr(st, i, &attr));
	assert_int_equal(pthread_create(&t, &attr, where, s), 0);
	pthread_attr_destroy(&attr);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* Each thread's stack is its own slice of one mapping, of glibc's
 * default size, the slices one guard page apart, and its variables on it;
 * the page below each is a guard. */
static void test_stacks_carved_with_guards(void **state)
{
	struct stacks *st = stacks_new(N);
	struct seen s[N] = {{0}};
	pthread_attr_t def;
	size_t def_size = 0;
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_non_null(st);
	assert_int_equal(pthread_attr_init(&def), 0);
	assert_int_equal(pthread_attr_getstacksize(&def, &def_size), 0);
	pthread_attr_destroy(&def);
	for (unsigned i = 0; i < N; i++) {
		run_on(st, i, &s[i]);
		assert_true(s[i].low < s[i].local && s[i].local < s[i].high);
		assert_true(s[i].high - s[i].low >= def_size);
		assert_true(no_access(s[i].low - (uintptr_t)page, s[i].low));
		if (i > 0)
			assert_int_equal(s[i].low, s[i - 1].high + (uintptr_t)page);
	}
	/* a stack is given again once its thread is joined */
	run_on(st, 1, &s[0]);
	assert_int_equal(s[0].low, s[1].low);
	stacks_free(st);
}

/* Without stacks (NULL, or an index past them) a thread gets glibc's. */
static void test_stacks_none_is_glibc(void **state)
{
	struct stacks *st = stacks_new(1);
	struct seen a = {0}, b = {0}, c = {0};

	(void)state;
	assert_non_null(st);
	run_on(NULL, 0, &a);
	run_on(st, 1, &b); /* past the one stack */
	run_on(st, 0, &c);
	assert_true(a.low < a.local && a.local < a.high);
	assert_true(b.low < b.local && b.local < b.high);
	assert_true(c.low < c.local && c.local < c.high);
	assert_true(c.high <= a.low || a.high <= c.low);
	assert_true(c.high <= b.low || b.high <= c.low);
	assert_null(stacks_new(0));
	stacks_free(NULL);
	stacks_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stacks_carved_with_guards),
	    cmocka_unit_test(test_stacks_none_is_glibc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
