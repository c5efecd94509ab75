/*
 * uafguard: a test-only LD_PRELOAD library that catches writes to freed
 * memory made by code no sanitizer instruments (libcurl, libxml2).
 *
 * free() fills each small block (up to CHECK_MAX usable bytes) with POISON
 * and holds it in a ring of SLOTS blocks instead of giving it back at once.
 * When a block leaves the ring (or at exit) every byte must still be
 * POISON; if one is not, something wrote to the block after it was freed:
 * the library prints one line naming the block and the offset and aborts.
 * Without it such a write usually lands in memory already handed out
 * again and shows up, if ever, as a crash far away.
 *
 * Under AddressSanitizer or ThreadSanitizer the runtime in the executable
 * defines free() first, so this library is inert there.  One mutex guards
 * the ring; the poison check runs outside it, on a block no one else can
 * reach any more.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS     16384
#define CHECK_MAX 8192
#define POISON    0xa5

extern void __libc_free(void *p);

struct held {
	unsigned char *p;
	size_t len;
};

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct held ring[SLOTS];
static size_t ring_next;

static void check(const struct held *h)
{
	char msg[160];
	int n;

	for (size_t i = 0; i < h->len; i++) {
		if (h->p[i] == POISON)
			continue;
		n = snprintf(
		    msg, sizeof(msg),
		    "uafguard: write after free: block %p (%zu bytes), byte %zu is 0x%02x\n",
		    (void *)h->p, h->len, i, h->p[i]);
		if (n > 0 && write(2, msg, (size_t)n) < 0)
			n = 0;
		abort();
	}
}

void free(void *p)
{
	struct held old, now;

	if (!p)
		return;
	now.p = p;
	now.len = malloc_usable_size(p);
	if (now.len > CHECK_MAX) {
		__libc_free(p);
		return;
	}
	memset(now.p, POISON, now.len);
	pthread_mutex_lock(&ring_lock);
	old = ring[ring_next];
	ring[ring_next] = now;
	ring_next = (ring_next + 1) % SLOTS;
	pthread_mutex_unlock(&ring_lock);
	if (old.p) {
		check(&old);
		__libc_free(old.p);
	}
}

/* The blocks still held at exit are checked too (and then left: the
 * process is ending). */
__attribute__((destructor)) static void check_at_exit(void)
{
	pthread_mutex_lock(&ring_lock);
	for (size_t i = 0; i < SLOTS; i++)
		if (ring[i].p)
			check(&ring[i]);
	pthread_mutex_unlock(&ring_lock);
}
