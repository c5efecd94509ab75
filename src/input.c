/*
 * input: the reader that streams the URL list into the job queue, on the
 * thread that calls input_read() (fetchall's main thread, which has
 * nothing else to do meanwhile: a thread of its own cost a start, its own
 * malloc arena and a join, before the first job of every run).
 *
 * Reads with read(2) in 64 KiB blocks, and waits with poll(2) on the list
 * and on cancel's descriptor together, so Ctrl-C stops a reader blocked
 * on a terminal or a slow pipe.  Memory is one block plus one line
 * (capped at MAX_LINE; a longer line is reported and skipped), whatever
 * the list's length.  The reader owns the list's parsing and is the only
 * producer of jobs; the job queue's own lock is the only one it takes.
 *
 * After a cancel, a sink with `unread` (the --save-failed list) gets the
 * URLs no job was made for: the reader drains the rest of the list
 * instead of stopping, handing each URL to unread.  A regular file is
 * read to its end; a pipe or terminal only until DRAIN_WAIT_MS after the
 * cancel, as every wait here is bounded (done() then says the list was
 * not read through).
 *
 * A regular file is also counted ahead, for the progress line's total: a
 * second thread reads it with pread(2) (the reader's offset untouched),
 * in blocks, with the reader's own rule for what makes a result
 * (line_kind()), and hands the count to sink->counted unless the reader
 * got to the end first.  Memory stays one block and one line; the first
 * job does not wait for the count.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cancel.h"
#include "fetch.h"
#include "sync.h"
#include "url.h"

#define BLOCK         (64 * 1024)
#define MAX_LINE      (16 * 1024)
#define DRAIN_WAIT_MS 1000

/* A line being put together from blocks. */
struct line_buf {
	char line[MAX_LINE + 1];
	size_t len;
	bool overflow; /* longer than MAX_LINE: the rest is not kept */
	unsigned long lineno;
};

/* What a line of the list gives. */
enum line_kind {
	LINE_NONE, /* blank, or a comment: nothing */
	LINE_LONG, /* longer than MAX_LINE: a failed result */
	LINE_NUL,  /* holds a NUL byte: a failed result */
	LINE_URL,  /* a job, or a failed result if url_check() refuses it */
};

struct input {
	char *path; /* for messages; "standard input" for "-" */
	int fd;
	bool owns_fd;
	const struct input_sink *sink;
	/* the reader's state */
	struct line_buf lb;
	uint64_t total;
	/* the count ahead (a regular file with sink->counted) */
	pthread_t counter;
	bool counting;
	off_t count_from;           /* where the reader starts */
	atomic_bool count_moot;     /* the reader is done: no count wanted */
	bool draining;              /* cancelled: URLs go to sink->unread */
	uint64_t drain_deadline_ns; /* UINT64_MAX for a regular file */
};

enum fa_err input_open(const char *path, struct input **out, char *errbuf, size_t errlen)
{
	struct input *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (!in)
		return FA_ERR_NOMEM;
	if (!strcmp(path, "-")) {
		in->fd = STDIN_FILENO;
		in->path = strdup("standard input");
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		in->owns_fd = true;
		in->path = strdup(path);
		if (in->fd < 0) {
			snprintf(errbuf, errlen, "cannot open URL list '%s': %s", path,
				 strerror(errno));
			free(in->path);
			free(in);
			return FA_ERR_IO;
		}
	}
	if (!in->path) {
		input_free(in);
		return FA_ERR_NOMEM;
	}
	*out = in;
	return FA_OK;
}

void input_free(struct input *in)
{
	if (!in)
		return;
	if (in->owns_fd && in->fd >= 0)
		close(in->fd);
	free(in->path);
	free(in);
}

size_t input_trim(char *line, size_t len)
{
	size_t start = 0;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	if (start > 0)
		memmove(line, line + start, len - start);
	len -= start;
	line[len] = '\0';
	return len;
}

/* What line[0..*len) is (lineno: its number; overflow: it was cut at
 * MAX_LINE).  Trims it in place, a byte order mark opening the list
 * included, and sets *len.  The reader and the count ahead both judge
 * lines by this alone, so they agree on how many results a list makes. */
static enum line_kind line_kind(char *line, size_t *len, unsigned long lineno, bool overflow)
{
	if (overflow)
		return LINE_LONG;
	/* A UTF-8 byte order mark (Windows editors write one) opens the
	 * input, not the URL; anywhere else it is part of the line. */
	if (lineno == 1 && *len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
		memmove(line, line + 3, *len - 3);
		*len -= 3;
	}
	*len = input_trim(line, *len);
	if (*len == 0 || line[0] == '#')
		return LINE_NONE;
	if (memchr(line, '\0', *len))
		return LINE_NUL;
	return LINE_URL;
}

/* Pushes a failed result for a bad line; false when the run is stopping. */
static bool push_bad(struct input *in, const char *text, const char *reason)
{
	struct fetch_result *res = calloc(1, sizeof(*res));
	char msg[600];

	if (!res)
		return false;
	snprintf(msg, sizeof(msg), "%s line %lu: %s", in->path, in->lb.lineno, reason);
	res->url = strdup(text);
	res->error = strdup(msg);
	res->line = in->lb.lineno;
	res->err = FA_ERR_URL;
	in->total++;
	return queue_push(in->sink->results, res) == FA_OK;
}

/* After a cancel, with sink->unread: go on through the list, handing
 * URLs to unread instead of jobs to push.  Returns whether to go on. */
static bool drain_instead(struct input *in)
{
	struct stat st;

	if (in->draining || !in->sink->unread || !cancel_requested())
		return false;
	in->draining = true;
	in->drain_deadline_ns = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)
				    ? UINT64_MAX
				    : sync_now_ns() + (uint64_t)DRAIN_WAIT_MS * 1000000u;
	return true;
}

/* While draining: the line's URL, if it is one, to sink->unread. */
static bool unread_line(struct input *in)
{
	char reason[256];
	char *normalized = NULL;

	if (url_check(in->lb.line, in->sink->allow_file, &normalized, reason, sizeof(reason)) ==
	    FA_OK)
		in->sink->unread(in->sink->arg, normalized);
	free(normalized);
	return true;
}

/* Handles one complete line; false when the run is stopping. */
static bool take_line(struct input *in)
{
	char reason[256];
	char *normalized = NULL;
	struct fetch_job *job;
	enum line_kind kind;
	size_t len;

	in->lb.lineno++;
	len = in->lb.len;
	kind = line_kind(in->lb.line, &len, in->lb.lineno, in->lb.overflow);
	in->lb.overflow = false;
	in->lb.len = 0;
	if (kind == LINE_NONE)
		return true;
	if (kind == LINE_LONG)
		return in->draining || push_bad(in, "(line too long)", "longer than 16384 bytes");
	if (kind == LINE_NUL)
		return in->draining || push_bad(in, "(line with NUL byte)", "contains a NUL byte");
	if (in->draining)
		return unread_line(in);
	if (url_check(in->lb.line, in->sink->allow_file, &normalized, reason, sizeof(reason)) !=
	    FA_OK) {
		char full[300];

		snprintf(full, sizeof(full), "not a valid URL: %s", reason);
		return push_bad(in, in->lb.line, full);
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		free(normalized);
		return false;
	}
	job->url = normalized;
	job->line = in->lb.lineno;
	job->save = true;
	if (in->sink->push(in->sink->arg, job) == FA_OK) {
		in->total++;
		return true;
	}
	/* A cancel closed the frontier and the job went with it; the line
	 * still holds its URL. */
	return drain_instead(in) && unread_line(in);
}

static void append(struct line_buf *lb, const char *data, size_t len)
{
	if (lb->overflow)
		return;
	if (lb->len + len > MAX_LINE) {
		lb->overflow = true;
		return;
	}
	memcpy(lb->line + lb->len, data, len);
	lb->len += len;
}

/* Waits until the list is readable; false on cancel, or, while
 * draining, at the drain's deadline. */
static bool wait_readable(struct input *in)
{
	struct pollfd p[2] = {{.fd = in->fd, .events = POLLIN},
			      {.fd = cancel_fd(), .events = POLLIN}};
	nfds_t n = !in->draining && p[1].fd >= 0 ? 2 : 1;

	for (;;) {
		int timeout_ms = -1, rc;

		if (!in->draining && cancel_requested())
			return false;
		if (in->draining && in->drain_deadline_ns != UINT64_MAX) {
			uint64_t now = sync_now_ns();

			if (now >= in->drain_deadline_ns)
				return false;
			timeout_ms = (int)((in->drain_deadline_ns - now) / 1000000u) + 1;
		}
		rc = poll(p, n, timeout_ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return true; /* let read() report it */
		}
		if (n == 2 && p[1].revents)
			return false;
		if (p[0].revents)
			return true;
	}
}

static void read_list(struct input *in)
{
	char *block = malloc(BLOCK);
	bool complete = false;

	while (block) {
		ssize_t got;
		char *p, *end, *nl;

		if (!wait_readable(in)) {
			if (drain_instead(in))
				continue;
			break;
		}
		got = read(in->fd, block, BLOCK);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			char reason[200];

			snprintf(reason, sizeof(reason), "read error: %s", strerror(errno));
			if (!in->draining)
				push_bad(in, in->path, reason);
			break;
		}
		if (got == 0) {
			/* A last line without a newline still counts. */
			if ((in->lb.len > 0 || in->lb.overflow) && !take_line(in))
				break;
			complete = true;
			break;
		}
		p = block;
		end = block + got;
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			append(&in->lb, p, (size_t)(nl - p));
			if (!take_line(in))
				goto stop;
			p = nl + 1;
		}
		append(&in->lb, p, (size_t)(end - p));
	}
stop:
	free(block);
	atomic_store(&in->count_moot, true);
	if (in->sink->done)
		in->sink->done(in->sink->arg, in->total, complete);
}

/* The count ahead's end of one line: 1 if it makes a result. */
static uint64_t count_line(struct line_buf *lb)
{
	size_t len = lb->len;
	enum line_kind kind;

	lb->lineno++;
	kind = line_kind(lb->line, &len, lb->lineno, lb->overflow);
	lb->len = 0;
	lb->overflow = false;
	return kind != LINE_NONE;
}

/* The counter thread: the list's results counted from count_from to the
 * end, to sink->counted.  Gives up, quietly, on a read error, a cancel,
 * or when the reader has finished (its total is exact). */
static void *count_list(void *arg)
{
	struct input *in = arg;
	struct line_buf *lb = calloc(1, sizeof(*lb));
	char *block = malloc(BLOCK);
	off_t at = in->count_from;
	uint64_t n = 0;
	bool whole = false;

	while (lb && block && !atomic_load(&in->count_moot) && !cancel_requested()) {
		ssize_t got = pread(in->fd, block, BLOCK, at);
		char *p = block, *end, *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* A last line without a newline still counts. */
			if (got == 0 && (lb->len > 0 || lb->overflow))
				n += count_line(lb);
			whole = got == 0;
			break;
		}
		at += got;
		end = block + got;
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			append(lb, p, (size_t)(nl - p));
			n += count_line(lb);
			p = nl + 1;
		}
		append(lb, p, (size_t)(end - p));
	}
	if (whole && !atomic_load(&in->count_moot))
		in->sink->counted(in->sink->arg, n);
	free(block);
	free(lb);
	return NULL;
}

void input_read(struct input *in, const struct input_sink *sink)
{
	struct stat st;

	in->sink = sink;
	atomic_init(&in->count_moot, false);
	in->count_from = lseek(in->fd, 0, SEEK_CUR);
	/* A pipe or a terminal cannot be read twice: its total stays
	 * unknown until the reader is through. */
	if (sink->counted && in->count_from >= 0 && fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		in->counting = pthread_create(&in->counter, NULL, count_list, in) == 0;
	read_list(in);
	if (in->counting) { /* it stops once the reader is through */
		pthread_join(in->counter, NULL);
		in->counting = false;
	}
}
