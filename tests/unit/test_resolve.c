/*
 * Unit tests of resolve: names looked up by the pool and handed over as
 * libcurl's CURLOPT_RESOLVE entries; IP addresses and failed lookups
 * handed nothing (libcurl then does as it always did); each name looked
 * up once however many ask; how many threads look up a near resolver's
 * names and a far one's.  "localhost" comes from /etc/hosts, and
 * .invalid never resolves (RFC 2606): nothing leaves the machine.
 *
 * getaddrinfo() is this file's own for names under .near.test and
 * .far.test (the executable's definition comes before libc's): it notes
 * the calling thread, waits (20 ms a far name; a near one 300 ms for
 * slow.near.test, none for n0 to n19, then 5 ms, as a local resolver
 * queueing behind a busy CPU) and answers as for 127.0.0.1; every other name goes to the next
 * getaddrinfo (libc's, or a sanitizer's in front of it).
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "resolve.h"

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
static gai_fn real_gai;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t seen[RESOLVE_THREADS_MAX + 16];
static unsigned nseen;

static void find_real(void)
{
	/* POSIX's own way to take a function from dlsym() */
	*(void **)&real_gai = dlsym(RTLD_NEXT, "getaddrinfo");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	bool far = node && ends_with(node, ".far.test");

	pthread_once(&real_once, find_real);
	if (!node || (!far && !ends_with(node, ".near.test")))
		return real_gai(node, service, hints, res);
	pthread_mutex_lock(&seen_lock);
	{
		unsigned k = 0;

		while (k < nseen && !pthread_equal(seen[k], pthread_self()))
			k++;
		if (k == nseen && nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = pthread_self();
	}
	pthread_mutex_unlock(&seen_lock);
	{
		bool busy = node[0] == 'n' && atoi(node + 1) >= 20;
		long ms = far ? 20 : strcmp(node, "slow.near.test") == 0 ? 300 : busy ? 5 : 0;
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) != 0)
			;
	}
	return real_gai("127.0.0.1", service, hints, res);
}

/* The threads that looked up a test name since the last call. */
static unsigned threads_seen(void)
{
	unsigned n;

	pthread_mutex_lock(&seen_lock);
	n = nseen;
	nseen = 0;
	pthread_mutex_unlock(&seen_lock);
	return n;
}

/* With a new resolver: looks `first` up (if not NULL), then queues `n`
 * names under `domain` at once and waits for every answer, each looked up
 * once; returns how many threads looked them up. */
static unsigned threads_for(const char *first, int n, const char *domain)
{
	struct resolver *r = resolver_new(0, AF_INET);
	char key[128], out[256];

	assert_non_null(r);
	threads_seen();
	if (first)
		assert_true(resolver_get(r, first, 30000, out, sizeof(out)));
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "n%d.%s:80", i, domain);
		resolver_prefetch(r, key);
	}
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "n%d.%s:80", i, domain);
		assert_true(resolver_get(r, key, 30000, out, sizeof(out)));
	}
	assert_int_equal(resolver_lookups(r), (unsigned long)n + (first != NULL));
	resolver_free(r);
	return threads_seen();
}

/* A near resolver (its first answers at once, then each after 5 ms, as
 * when the machine gets busy) gets RESOLVE_THREADS_FAST threads at most,
 * however many names wait, and one slow answer (a lost query waits out a
 * timeout) does not make it far.  Before, a running mean above 2 ms
 * started a thread for each name queued while all were busy: up to 128,
 * whose queries overflowed a local dnsmasq. */
static void test_resolve_near_few_threads(void **state)
{
	unsigned n = threads_for("slow.near.test:80", 300, "near.test");

	(void)state;
	if (n > RESOLVE_THREADS_FAST)
		fail_msg("%u threads looked up 301 near names", n);
}

/* A far resolver (every answer 20 ms away) gets more threads than that
 * once its first answers show it is far, though every name was queued
 * before any answer came. */
static void test_resolve_far_more_threads(void **state)
{
	unsigned n = threads_for(NULL, 200, "far.test");

	(void)state;
	if (n <= RESOLVE_THREADS_FAST || n > RESOLVE_THREADS_MAX)
		fail_msg("%u threads looked up 200 far names", n);
}

static void test_resolve_localhost_entry(void **state)
{
	struct resolver *r = resolver_new(2, AF_INET);
	char out[256];

	(void)state;
	assert_non_null(r);
	resolver_prefetch(r, "localhost:8080");
	assert_true(resolver_get(r, "localhost:8080", 10000, out, sizeof(out)));
	assert_string_equal(out, "+localhost:8080:127.0.0.1");
	assert_true(resolver_settled(r, "localhost:8080"));
	/* asked again: the answer kept, no second lookup */
	assert_true(resolver_get(r, "localhost:8080", 10000, out, sizeof(out)));
	assert_int_equal(resolver_lookups(r), 1);
	/* another port is another entry, and another lookup */
	assert_true(resolver_get(r, "localhost:443", 10000, out, sizeof(out)));
	assert_string_equal(out, "+localhost:443:127.0.0.1");
	assert_int_equal(resolver_lookups(r), 2);
	resolver_free(r);
}

static void test_resolve_nothing_to_hand_over(void **state)
{
	struct resolver *r = resolver_new(2, AF_UNSPEC);
	char out[256] = "x";

	(void)state;
	assert_non_null(r);
	/* addresses are libcurl's to use as they are */
	assert_false(resolver_get(r, "127.0.0.1:80", 1000, out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(resolver_get(r, "[::1]:80", 1000, out, sizeof(out)));
	assert_false(resolver_get(r, "file:", 1000, out, sizeof(out)));
	assert_int_equal(resolver_lookups(r), 0);
	/* a name that does not resolve: nothing, and settled */
	assert_false(resolver_get(r, "no-such-host.invalid:80", 10000, out, sizeof(out)));
	assert_true(resolver_settled(r, "no-such-host.invalid:80"));
	/* too small a buffer: nothing, not a cut entry */
	assert_false(resolver_get(r, "localhost:80", 10000, out, 8));
	assert_string_equal(out, "");
	resolver_free(r);
	resolver_free(NULL);
}

struct asker {
	struct resolver *r;
	bool ok;
};

static void *ask(void *arg)
{
	struct asker *a = arg;
	char out[256];

	for (int i = 0; i < 50; i++) {
		char key[64];

		snprintf(key, sizeof(key), "localhost:%d", 1000 + i % 10);
		resolver_prefetch(a->r, key);
		a->ok = resolver_get(a->r, key, 10000, out, sizeof(out)) && a->ok;
	}
	return NULL;
}

/* Eight threads asking for ten names at once: each answered, each name
 * looked up once. */
static void test_resolve_concurrent_once(void **state)
{
	struct resolver *r = resolver_new(4, AF_INET);
	struct asker a[8];
	pthread_t t[8];

	(void)state;
	assert_non_null(r);
	for (int i = 0; i < 8; i++) {
		a[i] = (struct asker){r, true};
		assert_int_equal(pthread_create(&t[i], NULL, ask, &a[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_true(a[i].ok);
	}
	assert_int_equal(resolver_lookups(r), 10);
	resolver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_localhost_entry),
	    cmocka_unit_test(test_resolve_nothing_to_hand_over),
	    cmocka_unit_test(test_resolve_concurrent_once),
	    cmocka_unit_test(test_resolve_near_few_threads),
	    cmocka_unit_test(test_resolve_far_more_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
