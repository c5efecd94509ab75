/*
 * slowdns: a test-only LD_PRELOAD library that makes name resolution slow
 * and local, as a real resolver is slow and a test must stay on loopback.
 *
 * getaddrinfo() for any name under ".fetchall.test" (RFC 2606 reserves
 * .test) sleeps FETCHALL_TEST_DNS_MS milliseconds (default 50, at most
 * 10000) and then answers as for "127.0.0.1", so a test can give a list
 * thousands of distinct host names that all reach its own test server and
 * each cost a lookup.  Every other name goes to the real getaddrinfo()
 * untouched.  Lookups run in libcurl's resolver threads; nothing here keeps
 * state, so it is thread-safe.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SUFFIX ".fetchall.test"

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

static long delay_ms(void)
{
	const char *v = getenv("FETCHALL_TEST_DNS_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return 50;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (errno || *end || ms < 0 || ms > 10000)
		return 50;
	return ms;
}

static int is_test_name(const char *node)
{
	size_t n = node ? strlen(node) : 0;
	size_t s = sizeof(SUFFIX) - 1;

	/* A trailing dot (an absolute name) is the same name. */
	if (n > 0 && node[n - 1] == '.')
		n--;
	return n > s && strncasecmp(node + n - s, SUFFIX, s) == 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	gai_fn real;

	/* POSIX's own way to take a function from dlsym(). */
	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		return EAI_SYSTEM;
	if (is_test_name(node)) {
		long ms = delay_ms();
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		return real("127.0.0.1", service, hints, res);
	}
	return real(node, service, hints, res);
}
