/*
 * Unit tests of resolve: names looked up by the pool and handed over as
 * libcurl's CURLOPT_RESOLVE entries; IP addresses and failed lookups
 * handed nothing (libcurl then does as it always did); each name looked
 * up once however many ask.  "localhost" comes from /etc/hosts, and
 * .invalid never resolves (RFC 2606): nothing leaves the machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "resolve.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
