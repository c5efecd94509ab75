/*
 * dnsd: a small DNS server for benchmarks, answering every name under one
 * suffix with 127.0.0.1 after a fixed delay.
 *
 * bench/dns measures fetchall against its peers on lists of thousands of
 * host names, all pointing at the test server on loopback, inside a
 * private mount and network namespace whose /etc/resolv.conf names
 * 127.0.0.1.  Debian's dnsmasq answers the fast case; this answers the
 * slow one, as a resolver far away would: each query DELAY ms after it
 * arrived, however many are waiting, so the delay is latency, not a
 * queue.  No thread a query: arrivals go into a FIFO (with one delay for
 * all, arrival order is due order), and poll() sleeps until the head is
 * due or another query comes.
 *
 * UDP only (resolvers ask over TCP only after a truncated answer, and
 * these answers are small).  A name equal to the suffix or ending in
 * "." + suffix, any case: type A gets one answer, 127.0.0.1 with a TTL of
 * 300 s; any other type (AAAA above all) gets NOERROR and no answer
 * (NODATA), so clients go on to IPv4 at once.  Any other name gets
 * REFUSED: this server knows nothing else.  A packet that is not one
 * plain query (a response, an opcode other than QUERY, not exactly one
 * question, a compressed or overlong name, cut short) is dropped: every
 * byte is read as hostile, and nothing is read past the packet.
 *
 *   dnsd [--port N] [--delay MS] [--suffix S] [--max-seconds N] [--quiet]
 *
 * prints "port N" on stdout once it listens (like the test server), and
 * exits on SIGTERM or SIGINT, or after --max-seconds (default 3600).
 */
#define _GNU_SOURCE /* SO_RCVBUFFORCE */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PACKET_MAX  512       /* a plain UDP query and its answer fit */
#define PENDING_MAX 65536     /* answers waiting for their time; more are dropped */
#define NAME_MAX_   255       /* octets of a name on the wire */
#define RCVBUF      (8 << 20) /* a burst of thousands of queries is kept */

struct pending {
	uint64_t due_ms;
	struct sockaddr_in from;
	size_t len;
	unsigned char answer[PACKET_MAX];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads the question's name at q[*pos] (labels only, no compression) as
 * dotted text into name.  Returns false if it is malformed or runs past
 * the packet's len bytes. */
static bool read_name(const unsigned char *q, size_t len, size_t *pos, char *name, size_t cap)
{
	size_t p = *pos, out = 0, wire = 0;

	for (;;) {
		size_t n;

		if (p >= len)
			return false;
		n = q[p++];
		wire += n + 1;
		if (n == 0)
			break;
		if (n > 63 || wire > NAME_MAX_ || p + n > len || out + n + 1 >= cap)
			return false;
		if (out)
			name[out++] = '.';
		memcpy(name + out, q + p, n);
		out += n;
		p += n;
	}
	name[out] = '\0';
	*pos = p;
	return true;
}

/* Whether name is suffix or ends in "." + suffix, ignoring case. */
static bool in_zone(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n == s)
		return strcasecmp(name, suffix) == 0;
	return n > s && name[n - s - 1] == '.' && strcasecmp(name + n - s, suffix) == 0;
}

/* The answer to the query q (len bytes) into p->answer.  Returns false if
 * the query is to be dropped. */
static bool answer(const unsigned char *q, size_t len, const char *suffix, struct pending *p)
{
	unsigned char *a = p->answer;
	size_t pos = 12, qend;
	char name[NAME_MAX_ + 1];
	unsigned qtype, qclass;
	bool ours;

	/* header: a query (QR 0), opcode QUERY, one question */
	if (len < 12 || (q[2] & 0x80) || ((q[2] >> 3) & 0x0f) != 0 || q[4] != 0 || q[5] != 1)
		return false;
	if (!read_name(q, len, &pos, name, sizeof(name)) || pos + 4 > len)
		return false;
	qtype = (unsigned)q[pos] << 8 | q[pos + 1];
	qclass = (unsigned)q[pos + 2] << 8 | q[pos + 3];
	qend = pos + 4;
	ours = in_zone(name, suffix);
	/* header and question echoed; answer and other sections after */
	memcpy(a, q, qend);
	a[2] = (unsigned char)(0x80 | (q[2] & 0x01));  /* QR, opcode 0, RD copied */
	a[3] = (unsigned char)(0x80 | (ours ? 0 : 5)); /* RA; NOERROR or REFUSED */
	memset(a + 6, 0, 6);                           /* no answer, authority, additional */
	p->len = qend;
	if (ours && qtype == 1 && qclass == 1) {
		static const unsigned char rr[] = {
		    0xc0, 0x0c,             /* the question's name */
		    0x00, 0x01, 0x00, 0x01, /* A, IN */
		    0x00, 0x00, 0x01, 0x2c, /* TTL 300 */
		    0x00, 0x04, 127,  0,    0, 1,
		};

		memcpy(a + qend, rr, sizeof(rr));
		a[7] = 1; /* one answer */
		p->len += sizeof(rr);
	}
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: dnsd [--port N] [--delay MS] [--suffix S] [--max-seconds N] "
			"[--quiet]\n");
	exit(2);
}

static long number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = s ? strtol(s, &end, 10) : -1;
	if (!s || errno || *end || v < 0 || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	long port = 53, delay = 50, max_seconds = 3600;
	const char *suffix = "fetchall.test";
	bool quiet = false;
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t alen = sizeof(addr);
	struct pending *queue;
	size_t head = 0, count = 0;
	uint64_t end_ms;
	unsigned long answered = 0, dropped = 0;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = number(argv[++i], 65535);
		else if (!strcmp(argv[i], "--delay") && i + 1 < argc)
			delay = number(argv[++i], 60000);
		else if (!strcmp(argv[i], "--suffix") && i + 1 < argc)
			suffix = argv[++i];
		else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
			max_seconds = number(argv[++i], 86400);
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else
			usage();
	}
	queue = calloc(PENDING_MAX, sizeof(*queue));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!queue || fd < 0) {
		perror("dnsd");
		return 1;
	}
	{
		int size = RCVBUF;

		/* past net.core.rmem_max only as root (SO_RCVBUFFORCE) */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &alen) != 0) {
		fprintf(stderr, "dnsd: cannot listen on 127.0.0.1:%ld: %s\n", port,
			strerror(errno));
		close(fd);
		free(queue);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("port %u\n", (unsigned)ntohs(addr.sin_port));
	fflush(stdout);
	end_ms = now_ms() + (uint64_t)max_seconds * 1000u;
	while (!stop) {
		uint64_t now = now_ms();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long wait = now >= end_ms ? 0 : (long)(end_ms - now);

		if (now >= end_ms)
			break;
		/* send what is due */
		while (count && queue[head].due_ms <= now) {
			struct pending *p = &queue[head];

			sendto(fd, p->answer, p->len, 0, (struct sockaddr *)&p->from,
			       sizeof(p->from));
			answered++;
			head = (head + 1) % PENDING_MAX;
			count--;
		}
		if (count && (long)(queue[head].due_ms - now) < wait)
			wait = (long)(queue[head].due_ms - now);
		if (wait > 1000)
			wait = 1000; /* a signal's stop is seen within a second */
		if (poll(&pfd, 1, (int)wait) <= 0)
			continue;
		/* take every query waiting, each due DELAY ms from now */
		for (int i = 0; i < 256; i++) {
			unsigned char q[PACKET_MAX];
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &flen);
			struct pending *p;

			if (n < 0)
				break;
			if (count == PENDING_MAX) {
				dropped++;
				continue;
			}
			p = &queue[(head + count) % PENDING_MAX];
			if (!answer(q, (size_t)n, suffix, p)) {
				dropped++;
				continue;
			}
			p->from = from;
			p->due_ms = now_ms() + (uint64_t)delay;
			count++;
		}
	}
	if (!quiet)
		fprintf(stderr, "dnsd: %lu answered, %lu dropped\n", answered, dropped);
	close(fd);
	free(queue);
	return 0;
}
