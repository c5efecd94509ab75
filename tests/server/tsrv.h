/*
 * tsrv: the test server's internal interfaces, shared by server.c (process,
 * listener, connection threads, counters), http.c (request parsing and
 * response writing) and routes.c (the routes).  Not used by tests; they
 * include content.h only.
 *
 * A connection belongs to the one thread that serves it, so nothing in
 * struct tsrv_conn or struct tsrv_request is shared between threads.
 */
#ifndef TSRV_H
#define TSRV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TSRV_HDR_MAX       (64 * 1024)   /* request line + headers, bytes */
#define TSRV_MAX_HEADERS   128           /* header lines per request */
#define TSRV_BODY_MAX      (1024 * 1024) /* request body we read and drop */
#define TSRV_IO_TIMEOUT_MS 30000         /* idle keep-alive, one send/recv */
#define TSRV_OUT_SIZE      (16 * 1024)   /* per-connection output buffer */

struct tsrv_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct tsrv_request {
	char *method;            /* NUL-terminated, inside the conn buffer */
	int head;                /* method is HEAD: send headers only */
	int minor;               /* HTTP/1.minor */
	int absolute;            /* the target was in absolute-form
				    ("GET http://host/path"), as a client
				    sends it to a proxy */
	char *path;              /* target before '?', NUL-terminated */
	const char *query;       /* target after '?', or "" */
	const char *raw_headers; /* header lines verbatim, CRLFs included */
	size_t raw_headers_len;  /* excludes the blank line */
	struct tsrv_header headers[TSRV_MAX_HEADERS];
	size_t nheaders;
	size_t header_bytes; /* request line + headers + blank line */
	uint64_t body_len;   /* Content-Length of the request, dropped */
	int keep_alive;      /* what the client asked for */
	int status;          /* the status answered (for the log) */
};

struct tsrv_conn {
	int fd;   /* non-blocking, TCP_NODELAY */
	char *in; /* request bytes, grows up to TSRV_HDR_MAX */
	size_t in_len;
	size_t in_cap;
	size_t out_len;
	int keep_alive;     /* the response says keep-alive; routes may clear */
	uint64_t stats_gen; /* counter generation it was counted in; 0: none */
	int inflight;       /* the current request is counted in flight */
	uint64_t body_left; /* body bytes of the response not yet queued */
	int drop_next;      /* read the next request, then close unanswered */
	size_t log_slot;    /* the current request's /stats/log entry + 1; 0: none */
	char out[TSRV_OUT_SIZE];
};

/* ---- server.c ---- */

/* Read end of the stop pipe: readable once the server is stopping.  Every
 * blocking wait polls it.  Thread-safe (set before any thread starts). */
int tsrv_stop_fd(void);

/* Formats the /stats JSON into buf; with reset, first zeroes the counters
 * (see server.c).  Thread-safe. */
void tsrv_stats_json(char *buf, size_t size, int reset);

/* The /stats/paths text ("COUNT PATH" lines sorted by path, then a "#" line
 * if the cap was reached) as a new heap string (*text, *len; caller frees).
 * Returns 0 or -1 (out of memory).  Thread-safe. */
int tsrv_stats_paths(char **text, size_t *len);

/* The /stats/log text ("START_US END_US TARGET" lines in start order, then
 * a "#" line if the cap was reached; see server.c) as a new heap string
 * (*text, *len; caller frees).  Returns 0 or -1 (out of memory).
 * Thread-safe. */
int tsrv_stats_log(char **text, size_t *len);

/* Ends c's current request in the counters, if it is counted and not yet
 * ended.  http.c calls it just before sending a response's last bytes, so
 * a client that has read a whole response never finds it still in flight;
 * server.c calls it again after the handler for responses that never
 * complete.  Thread-safe. */
void tsrv_request_done(struct tsrv_conn *c);

/* ---- http.c ---- */

enum tsrv_read {
	TSRV_READ_OK,     /* *r holds a request */
	TSRV_READ_CLOSED, /* peer closed, idle timeout, stop or I/O error */
	TSRV_READ_ERROR   /* malformed: answer r->status, then close */
};

/* Reads one request from c into c->in and parses it in place into *r.
 * Pointers in *r stay valid until tsrv_consume().  Bounded by
 * TSRV_IO_TIMEOUT_MS. */
enum tsrv_read tsrv_read_request(struct tsrv_conn *c, struct tsrv_request *r);

/* Drops r's bytes (headers and body) from c->in, reading and discarding the
 * rest of a request body.  Returns 0, or -1 if the connection must close. */
int tsrv_consume(struct tsrv_conn *c, const struct tsrv_request *r);

/* The value of header name (case-insensitive), its length in *len; NULL if
 * absent.  Borrowed from r. */
const char *tsrv_header(const struct tsrv_request *r, const char *name, size_t *len);

/* Queues a status line and headers: Date, Connection (from c->keep_alive),
 * Content-Type if ctype, Content-Length if clen >= 0, then extra (complete
 * "Name: value\r\n" lines) if not NULL.  clen < 0 means no body follows
 * (204, 304).  Returns 0 or -1 (connection broken or headers too large). */
int tsrv_respond_start(struct tsrv_conn *c, struct tsrv_request *r, int status, const char *ctype,
		       int64_t clen, const char *extra);

/* Queues body bytes (dropped for HEAD), sending as the buffer fills.
 * Returns 0 or -1 (connection broken). */
int tsrv_respond_body(struct tsrv_conn *c, const struct tsrv_request *r, const void *data,
		      size_t len);

/* Sends everything queued.  Returns 0 or -1. */
int tsrv_flush(struct tsrv_conn *c);

/* Sends what is queued, then data[0..len) as is (even for HEAD): for a
 * response head too large for the output buffer, which the caller then
 * writes itself.  Returns 0 or -1 (connection broken). */
int tsrv_send_raw(struct tsrv_conn *c, const void *data, size_t len);

/* A whole response with a body from memory, flushed.  Returns 0 or -1. */
int tsrv_respond(struct tsrv_conn *c, struct tsrv_request *r, int status, const char *ctype,
		 const void *body, size_t len, const char *extra);

/* The Range header against a body of size bytes: 0 = no usable single
 * range (serve everything), 1 = serve [*first, *first + *len), -1 =
 * unsatisfiable (answer 416). */
int tsrv_range(const struct tsrv_request *r, uint64_t size, uint64_t *first, uint64_t *len);

/* Waits ms milliseconds.  With discard, bytes the client sends meanwhile are
 * read and dropped (the connection closes afterwards); without, the wait
 * only notices the client closing.  Returns 0 after the full wait, 1 if the
 * client went away, -1 if the server is stopping. */
int tsrv_pause(struct tsrv_conn *c, long ms, int discard);

/* IMF-fixdate of t into buf (at least 30 bytes). */
void tsrv_http_date(time_t t, char *buf, size_t size);

/* Parses s[0..len) as a decimal number <= max.  Returns 0, or -1 if empty,
 * not all digits, or too large. */
int tsrv_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Percent-decodes s[0..len) into buf (size bytes, NUL-terminated); with
 * plus, '+' decodes to ' '.  Returns the decoded length, or -1 if it does
 * not fit or an escape is malformed.  Decoded NULs are kept. */
long tsrv_pct_decode(const char *s, size_t len, int plus, char *buf, size_t size);

/* Finds name in the query string and decodes its value into buf.  Returns
 * the decoded length, -1 if absent, -2 if malformed or too long. */
long tsrv_query(const char *query, const char *name, char *buf, size_t size);

/* Milliseconds on the monotonic clock. */
int64_t tsrv_now_ms(void);

/* Microseconds on the monotonic clock (CLOCK_MONOTONIC is system-wide, so
 * two server processes' readings compare). */
int64_t tsrv_now_us(void);

/* ---- routes.c ---- */

/* Sets up the routes' shared state: root (borrowed for the process's life,
 * may be NULL), the --robots body (robots_size bytes of heap memory, or
 * NULL; ownership passes to the routes, also when this fails), the port
 * generated pages name in their absolute links, the flaky table and the
 * gzip body.  Call before any thread starts.  Returns 0 or -1 (out of
 * memory). */
int tsrv_routes_init(const char *root, char *robots, size_t robots_size, int port);

/* Frees what tsrv_routes_init() made.  Only once no connection thread
 * remains. */
void tsrv_routes_release(void);

/* True if path is /stats, /stats/reset, /stats/paths or /stats/log, which
 * are not counted. */
int tsrv_is_stats_path(const char *path);

/* Answers r.  Returns 0 if the connection may serve another request, -1 if
 * it must close.  Thread-safe. */
int tsrv_route(struct tsrv_conn *c, struct tsrv_request *r);

/* ---- auth.c ---- */

/* Sets up MD5's constants and checks them against RFC 1321's test
 * vectors.  Call before any thread starts.  Returns 0 or -1. */
int tsrv_auth_init(void);

/* /basic-auth/USER/PASS[/x] and /digest-auth/USER/PASS[/x] (see auth.c).
 * Thread-safe. */
int tsrv_route_basic_auth(struct tsrv_conn *c, struct tsrv_request *r, const char *rest);
int tsrv_route_digest_auth(struct tsrv_conn *c, struct tsrv_request *r, const char *rest);

#endif
