/*
 * http: the test server's HTTP/1.1 wire layer — reading and parsing a
 * request, writing a response, Range headers, timed waits and the small
 * parsers the routes share.
 *
 * A request is read into the connection's buffer (grown up to TSRV_HDR_MAX;
 * a head that does not fit is a 431) and parsed in place: the request line
 * is cut into NUL-terminated method, path and query, while header lines are
 * left intact (so /headers can echo them verbatim) and indexed as
 * pointer/length pairs.  Responses are assembled in the connection's output
 * buffer so that headers and a small body leave in one send.  The layer
 * tracks how much of the promised body is still to come, so that it can end
 * the request in the counters just before the send that completes it.
 *
 * Sockets are non-blocking; every wait is a poll() that also watches the
 * server's stop pipe and has a deadline, so no thread can block forever.
 * Nothing here is shared between threads: each function works on the
 * calling thread's own connection, so there is no locking.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "tsrv.h"

int64_t tsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tsrv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Waits until fd has events or the deadline passes.  Returns 1 ready, 0
 * timed out, -1 stopping or poll failed.
 */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2];
		int64_t left = deadline - tsrv_now_ms();
		int n;

		if (left <= 0)
			return 0;
		p[0].fd = tsrv_stop_fd();
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = fd;
		p[1].events = events;
		p[1].revents = 0;
		n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents != 0)
			return -1;
		if (p[1].revents != 0)
			return 1;
	}
}

static int send_all(struct tsrv_conn *c, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c->fd, POLLOUT, tsrv_now_ms() + TSRV_IO_TIMEOUT_MS) != 1)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

int tsrv_flush(struct tsrv_conn *c)
{
	int rc;

	if (c->body_left == 0)
		tsrv_request_done(c); /* these are the response's last bytes */
	rc = send_all(c, c->out, c->out_len);

	c->out_len = 0;
	return rc;
}

/* Offset of "\r\n\r\n" in buf[from..len) plus 4, or 0 if absent. */
static size_t find_head_end(const char *buf, size_t from, size_t len)
{
	size_t i;

	for (i = from; i + 4 <= len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			return i + 4;
	}
	return 0;
}

static int is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

/* True if the comma-separated token list v[0..len) contains token. */
static int has_token(const char *v, size_t len, const char *token)
{
	size_t tlen = strlen(token);
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tlen && strncasecmp(v + start, token, tlen) == 0)
			return 1;
	}
	return 0;
}

const char *tsrv_header(const struct tsrv_request *r, const char *name, size_t *len)
{
	size_t nlen = strlen(name);
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		const struct tsrv_header *h = &r->headers[i];

		if (h->name_len == nlen && strncasecmp(h->name, name, nlen) == 0) {
			*len = h->value_len;
			return h->value;
		}
	}
	return NULL;
}

/* Splits the header block buf[from..end) (end excludes the blank line's CRLF)
 * into r->headers.  Returns 0 or the status to answer. */
static int parse_headers(char *buf, size_t from, size_t end, struct tsrv_request *r)
{
	size_t i = from;

	while (i < end) {
		struct tsrv_header *h;
		size_t eol = i, colon, vs, ve;

		while (eol + 1 < end && !(buf[eol] == '\r' && buf[eol + 1] == '\n'))
			eol++;
		if (eol + 1 >= end)
			return 400;
		if (buf[i] == ' ' || buf[i] == '\t')
			return 400; /* obsolete line folding */
		colon = i;
		while (colon < eol && buf[colon] != ':')
			colon++;
		if (colon == i || colon == eol)
			return 400;
		for (vs = i; vs < colon; vs++) {
			if (!is_tchar(buf[vs]))
				return 400;
		}
		if (r->nheaders == TSRV_MAX_HEADERS)
			return 431;
		vs = colon + 1;
		while (vs < eol && (buf[vs] == ' ' || buf[vs] == '\t'))
			vs++;
		ve = eol;
		while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		h = &r->headers[r->nheaders++];
		h->name = buf + i;
		h->name_len = colon - i;
		h->value = buf + vs;
		h->value_len = ve - vs;
		i = eol + 2;
	}
	return 0;
}

/* Parses the head buf[0..head_len) in place.  Returns 0 or the status to
 * answer. */
static int parse_request(char *buf, size_t head_len, struct tsrv_request *r)
{
	size_t eol = 0, i;
	char *sp1, *sp2, *q, *version;
	const char *v;
	size_t vlen;
	int rc;

	while (!(buf[eol] == '\r' && buf[eol + 1] == '\n'))
		eol++;
	buf[eol] = '\0';
	sp1 = memchr(buf, ' ', eol);
	if (sp1 == NULL || sp1 == buf)
		return 400;
	for (i = 0; buf + i < sp1; i++) {
		if (!is_tchar(buf[i]))
			return 400;
	}
	*sp1 = '\0';
	sp2 = memchr(sp1 + 1, ' ', (size_t)(buf + eol - (sp1 + 1)));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 400;
	*sp2 = '\0';
	version = sp2 + 1;
	if (strcmp(version, "HTTP/1.1") == 0)
		r->minor = 1;
	else if (strcmp(version, "HTTP/1.0") == 0)
		r->minor = 0;
	else
		return strncmp(version, "HTTP/", 5) == 0 ? 505 : 400;
	r->method = buf;
	r->head = strcmp(r->method, "HEAD") == 0;
	r->path = sp1 + 1;
	if (strncmp(r->path, "http://", 7) == 0) {
		/* absolute-form: keep only the path (a proxy's request,
		 * answered as if this server were the host it names) */
		char *slash = strchr(r->path + 7, '/');

		if (slash == NULL)
			return 400;
		r->path = slash;
		r->absolute = 1;
	}
	if (r->path[0] != '/')
		return 400;
	for (q = r->path; *q != '\0'; q++) {
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q == 0x7f)
			return 400;
	}
	q = strchr(r->path, '?');
	if (q != NULL) {
		*q = '\0';
		r->query = q + 1;
	} else {
		r->query = "";
	}

	r->raw_headers = buf + eol + 2;
	r->raw_headers_len = head_len - 2 - (eol + 2);
	rc = parse_headers(buf, eol + 2, head_len - 2, r);
	if (rc != 0)
		return rc;

	if (tsrv_header(r, "Transfer-Encoding", &vlen) != NULL)
		return 501;
	v = tsrv_header(r, "Content-Length", &vlen);
	if (v != NULL && tsrv_parse_u64(v, vlen, UINT64_MAX, &r->body_len) != 0)
		return 400;
	if (r->body_len > TSRV_BODY_MAX)
		return 413;

	v = tsrv_header(r, "Connection", &vlen);
	if (r->minor >= 1)
		r->keep_alive = v == NULL || !has_token(v, vlen, "close");
	else
		r->keep_alive = v != NULL && has_token(v, vlen, "keep-alive");
	return 0;
}

enum tsrv_read tsrv_read_request(struct tsrv_conn *c, struct tsrv_request *r)
{
	int64_t deadline = tsrv_now_ms() + TSRV_IO_TIMEOUT_MS;
	size_t scan = 0, head_len;

	memset(r, 0, sizeof(*r));
	r->query = "";
	for (;;) {
		ssize_t n;

		head_len = find_head_end(c->in, scan, c->in_len);
		if (head_len != 0)
			break;
		scan = c->in_len >= 3 ? c->in_len - 3 : 0;
		if (c->in_len == TSRV_HDR_MAX) {
			r->status = 431;
			return TSRV_READ_ERROR;
		}
		if (c->in_len == c->in_cap) {
			/* grow: the buffer starts small, most heads are tiny */
			size_t cap = c->in_cap * 2;
			char *grown;

			if (cap > TSRV_HDR_MAX)
				cap = TSRV_HDR_MAX;
			grown = realloc(c->in, cap);
			if (grown == NULL)
				return TSRV_READ_CLOSED;
			c->in = grown;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0)
			return TSRV_READ_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return TSRV_READ_CLOSED;
		if (wait_fd(c->fd, POLLIN, deadline) != 1)
			return TSRV_READ_CLOSED;
	}
	r->header_bytes = head_len;
	r->status = parse_request(c->in, head_len, r);
	if (r->status != 0)
		return TSRV_READ_ERROR;
	return TSRV_READ_OK;
}

int tsrv_consume(struct tsrv_conn *c, const struct tsrv_request *r)
{
	uint64_t rest = r->body_len;
	size_t drop = r->header_bytes;
	size_t have = c->in_len - drop;

	if (have >= rest) {
		drop += (size_t)rest;
		rest = 0;
	} else {
		drop = c->in_len;
		rest -= have;
	}
	memmove(c->in, c->in + drop, c->in_len - drop);
	c->in_len -= drop;
	while (rest > 0) {
		size_t want = rest < c->in_cap ? (size_t)rest : c->in_cap;
		ssize_t n = recv(c->fd, c->in, want, 0);

		if (n > 0) {
			rest -= (uint64_t)n;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_fd(c->fd, POLLIN, tsrv_now_ms() + TSRV_IO_TIMEOUT_MS) != 1)
			return -1;
	}
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 418: return "I'm a teapot";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	default: return "Status";
	}
}

void tsrv_http_date(time_t t, char *buf, size_t size)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int tsrv_respond_start(struct tsrv_conn *c, struct tsrv_request *r, int status, const char *ctype,
		       int64_t clen, const char *extra)
{
	char date[40], type_line[128] = "", len_line[48] = "";
	size_t space;
	int n;

	r->status = status;
	if (c->out_len > 0 && tsrv_flush(c) != 0)
		return -1;
	tsrv_http_date(time(NULL), date, sizeof(date));
	if (ctype != NULL)
		snprintf(type_line, sizeof(type_line), "Content-Type: %s\r\n", ctype);
	if (clen >= 0)
		snprintf(len_line, sizeof(len_line), "Content-Length: %lld\r\n", (long long)clen);
	space = sizeof(c->out);
	n = snprintf(c->out, space,
		     "HTTP/1.1 %d %s\r\nServer: fetchall-testserver\r\n"
		     "Date: %s\r\nConnection: %s\r\n%s%s%s\r\n",
		     status, reason(status), date, c->keep_alive ? "keep-alive" : "close",
		     type_line, len_line, extra != NULL ? extra : "");
	if (n < 0 || (size_t)n >= space)
		return -1;
	c->out_len = (size_t)n;
	c->body_left = r->head || clen < 0 ? 0 : (uint64_t)clen;
	return 0;
}

int tsrv_respond_body(struct tsrv_conn *c, const struct tsrv_request *r, const void *data,
		      size_t len)
{
	if (r->head || len == 0)
		return 0;
	if (len > sizeof(c->out) - c->out_len && tsrv_flush(c) != 0)
		return -1;
	c->body_left -= len < c->body_left ? len : c->body_left;
	if (len <= sizeof(c->out) - c->out_len) {
		memcpy(c->out + c->out_len, data, len);
		c->out_len += len;
		return 0;
	}
	if (c->body_left == 0)
		tsrv_request_done(c); /* these are the response's last bytes */
	return send_all(c, data, len);
}

int tsrv_send_raw(struct tsrv_conn *c, const void *data, size_t len)
{
	if (c->out_len > 0 && tsrv_flush(c) != 0)
		return -1;
	return send_all(c, data, len);
}

int tsrv_respond(struct tsrv_conn *c, struct tsrv_request *r, int status, const char *ctype,
		 const void *body, size_t len, const char *extra)
{
	if (tsrv_respond_start(c, r, status, ctype, (int64_t)len, extra) != 0 ||
	    tsrv_respond_body(c, r, body, len) != 0)
		return -1;
	return tsrv_flush(c);
}

int tsrv_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int tsrv_range(const struct tsrv_request *r, uint64_t size, uint64_t *first, uint64_t *len)
{
	const char *v, *dash, *end;
	size_t vlen;
	uint64_t a, b;

	v = tsrv_header(r, "Range", &vlen);
	if (v == NULL || vlen < 6 || strncasecmp(v, "bytes=", 6) != 0)
		return 0;
	end = v + vlen;
	v += 6;
	while (v < end && *v == ' ')
		v++;
	if (memchr(v, ',', (size_t)(end - v)) != NULL)
		return 0; /* multiple ranges: allowed to ignore */
	dash = memchr(v, '-', (size_t)(end - v));
	if (dash == NULL)
		return 0;
	if (dash == v) {
		/* suffix range: the last b bytes */
		if (tsrv_parse_u64(dash + 1, (size_t)(end - dash - 1), UINT64_MAX, &b) != 0)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		if (b > size)
			b = size;
		*first = size - b;
		*len = b;
		return 1;
	}
	if (tsrv_parse_u64(v, (size_t)(dash - v), UINT64_MAX, &a) != 0)
		return 0;
	if (dash + 1 == end) {
		b = UINT64_MAX;
	} else if (tsrv_parse_u64(dash + 1, (size_t)(end - dash - 1), UINT64_MAX, &b) != 0 ||
		   b < a) {
		return 0;
	}
	if (a >= size)
		return -1;
	if (b >= size)
		b = size - 1;
	*first = a;
	*len = b - a + 1;
	return 1;
}

int tsrv_pause(struct tsrv_conn *c, long ms, int discard)
{
	/* in microseconds: a deadline in whole milliseconds, taken from a
	 * clock read truncated to the millisecond, ended a pause up to 1 ms
	 * early, and a client then timed a /delay/300 at 299.x ms */
	int64_t deadline = tsrv_now_us() + (int64_t)ms * 1000;
	int watch = 1;

	for (;;) {
		struct pollfd p[2];
		int64_t left_us = deadline - tsrv_now_us();
		int64_t left = (left_us + 999) / 1000; /* poll's ms, rounded up */
		int n;

		if (left_us <= 0)
			return 0;
		p[0].fd = tsrv_stop_fd();
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = c->fd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		n = poll(p, watch ? 2 : 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents != 0)
			return -1;
		if (!watch || p[1].revents == 0)
			continue;
		if (discard) {
			char sink[4096];
			ssize_t got = recv(c->fd, sink, sizeof(sink), 0);

			if (got == 0 ||
			    (got < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
				return 1;
		} else {
			char one;
			ssize_t got = recv(c->fd, &one, 1, MSG_PEEK);

			if (got == 0 ||
			    (got < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
				return 1;
			if (got > 0)
				watch = 0; /* a pipelined request: leave it be */
		}
	}
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

long tsrv_pct_decode(const char *s, size_t len, int plus, char *buf, size_t size)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char ch = s[i];

		if (ch == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = (char)(hi * 16 + lo);
			i += 3;
		} else {
			if (plus && ch == '+')
				ch = ' ';
			i++;
		}
		if (o + 1 >= size)
			return -1;
		buf[o++] = ch;
	}
	if (size == 0)
		return -1;
	buf[o] = '\0';
	return (long)o;
}

long tsrv_query(const char *query, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name);
	const char *p = query;

	while (*p != '\0') {
		const char *amp = strchr(p, '&');
		size_t plen = amp != NULL ? (size_t)(amp - p) : strlen(p);

		if (plen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			long n = tsrv_pct_decode(p + nlen + 1, plen - nlen - 1, 1, buf, size);

			return n < 0 ? -2 : n;
		}
		if (plen == nlen && strncmp(p, name, nlen) == 0) {
			if (size == 0)
				return -2;
			buf[0] = '\0';
			return 0;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return -1;
}
