/*
 * guard: input right before an unreadable page (see guard.h).  One
 * anonymous mapping per guard; the last page is made PROT_NONE.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include "guard.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int guard_init(struct guard *g, size_t at_least)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size;
	void *map;

	memset(g, 0, sizeof(*g));
	if (page <= 0)
		return -1;
	size = (at_least + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (size == 0)
		size = (size_t)page;
	map = mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED)
		return -1;
	if (mprotect((unsigned char *)map + size, (size_t)page, PROT_NONE) != 0) {
		munmap(map, size + (size_t)page);
		return -1;
	}
	g->map = map;
	g->page = (size_t)page;
	g->size = size;
	return 0;
}

void guard_release(struct guard *g)
{
	if (g->map)
		munmap(g->map, g->size + g->page);
	memset(g, 0, sizeof(*g));
}

void *guard_copy(struct guard *g, const void *src, size_t len)
{
	unsigned char *at;

	if (len > g->size)
		return NULL;
	at = g->map + g->size - len;
	if (len > 0)
		memcpy(at, src, len);
	return at;
}

char *guard_str(struct guard *g, const char *s)
{
	return guard_copy(g, s, strlen(s) + 1);
}

struct guard guard_shared;

int guard_group_setup(void **state)
{
	(void)state;
	return guard_init(&guard_shared, GUARD_SHARED_SIZE);
}

int guard_group_teardown(void **state)
{
	(void)state;
	guard_release(&guard_shared);
	return 0;
}
