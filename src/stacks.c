/* stacks: see stacks.h. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, MAP_STACK */
#include "stacks.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct stacks {
	char *base;
	size_t guard; /* below each stack */
	size_t each;  /* a stack and its guard */
	unsigned n;
};

struct stacks *stacks_new(unsigned n)
{
	pthread_attr_t attr;
	size_t size = 0;
	long page = sysconf(_SC_PAGESIZE);
	struct stacks *s;
	void *base;

	if (n == 0 || page <= 0 || pthread_attr_init(&attr) != 0)
		return NULL;
	/* unset, it is glibc's default for a new thread */
	if (pthread_attr_getstacksize(&attr, &size) != 0)
		size = 0;
	pthread_attr_destroy(&attr);
	if (size == 0 || size > SIZE_MAX / 2)
		return NULL;
	size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (size + (size_t)page > SIZE_MAX / n)
		return NULL;
	s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	s->guard = (size_t)page;
	s->each = size + s->guard;
	s->n = n;
	base = mmap(NULL, s->each * n, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (base == MAP_FAILED) {
		free(s);
		return NULL;
	}
	s->base = base;
	return s;
}

bool stacks_attr(struct stacks *s, unsigned i, pthread_attr_t *attr)
{
	char *low;

	if (pthread_attr_init(attr) != 0)
		return false;
	if (!s || i >= s->n)
		return true;
	low = s->base + (size_t)i * s->each;
	/* the guard when the stack is first given: a pool that starts four
	 * of its 1040 threads pays for four.  Without it, glibc's stack. */
	if (mprotect(low, s->guard, PROT_NONE) == 0)
		(void)pthread_attr_setstack(attr, low + s->guard, s->each - s->guard);
	return true;
}

void stacks_free(struct stacks *s)
{
	if (!s)
		return;
	munmap(s->base, s->each * s->n);
	free(s);
}
