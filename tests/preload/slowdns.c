/*
 * slowdns: a test-only LD_PRELOAD library that makes name resolution slow
 * and local, as a real resolver is slow and a test must stay on loopback.
 *
 * getaddrinfo() for any name under ".fetchall.test" (RFC 2606 reserves
 * .test) sleeps FETCHALL_TEST_DNS_MS milliseconds (default 50, at most
 * 10000) and then answers as for "127.0.0.1", so a test can give a list
 * thousands of distinct host names that all reach its own test server and
 * each cost a lookup.  Every other name goes to the real getaddrinfo()
 * untouched.  With FETCHALL_TEST_DNS_LOG=FILE each lookup of a test name
 * also appends "TID NAME" to FILE.  Nothing here keeps state, so it is
 * thread-safe.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

/* With FETCHALL_TEST_DNS_LOG set, one line a lookup, "TID NAME", appended
 * to that file in one write(), so a test sees which threads looked up
 * what, and how often. */
static void log_lookup(const char *node)
{
	const char *path = getenv("FETCHALL_TEST_DNS_LOG");
	char line[320];
	int fd, n;

	if (!path || !*path)
		return;
	n = snprintf(line, sizeof(line), "%ld %s\n", (long)syscall(SYS_gettid), node);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || n <= 0 || (size_t)n >= sizeof(line)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (write(fd, line, (size_t)n) != n) {
		/* a test that reads the log sees the line missing */
	}
	close(fd);
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
		log_lookup(node);
		return real("127.0.0.1", service, hints, res);
	}
	return real(node, service, hints, res);
}
