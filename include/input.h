/*
 * input: the URL list, streamed line by line by input_read().
 *
 * The list is never held in memory: the reader reads it in blocks, turns
 * each URL line into a fetch_job handed to sink->push (which blocks when
 * the workers are behind, so memory stays flat on a 10-million-line list) and
 * each bad line into a failed fetch_result on the results queue.  Blank
 * lines and lines starting with '#' are skipped; surrounding blanks, a
 * trailing CR and a UTF-8 byte order mark opening the list are ignored.
 */
#ifndef FA_INPUT_H
#define FA_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "queue.h"

struct input;

/*
 * Opens the list at `path` ("-" means standard input).  On failure returns
 * FA_ERR_IO and writes a one-line reason naming the file to errbuf.
 * Caller frees with input_free().
 */
enum fa_err input_open(const char *path, struct input **out, char *errbuf, size_t errlen);

/* Closes the list (not standard input's descriptor).  NULL is fine. */
void input_free(struct input *in);

struct fetch_job;

struct input_sink {
	/* Takes each job (ownership passes in every case); may block while
	 * the workers are behind.  Anything but FA_OK stops the reader. */
	enum fa_err (*push)(void *arg, struct fetch_job *job);
	struct queue *results; /* failed fetch_result for bad lines; borrowed */
	bool allow_file;       /* file:// URLs are valid lines */
	/* Called once on the reading thread when the list has been read
	 * through (or the read stopped): the number of results it will
	 * cause, and whether the whole list was read. */
	void (*done)(void *arg, uint64_t total, bool complete);
	void *arg; /* for push, done and unread */
	/* May be NULL.  After a cancel, the reader does not stop but goes on
	 * to the list's end (a pipe or terminal: for at most a second)
	 * and calls this on its thread with each valid URL no job was made
	 * for, normalized, borrowed for the call: the line push was refused
	 * and every later one.  Bad lines are passed over in silence.
	 * `complete` in done then says whether it got to the end. */
	void (*unread)(void *arg, const char *url);
	/* May be NULL.  For a list in a regular file: called at most once,
	 * on another thread, with the number of results the list will cause
	 * (done's total, if the file does not change meanwhile), counted
	 * ahead while the reader streams it.  Not called if the reader is
	 * through first (its total is the exact one), on a cancel, or on a
	 * read error. */
	void (*counted)(void *arg, uint64_t total);
};

/*
 * Reads the list on the calling thread (and, for sink->counted, counts it
 * on a second thread, joined before this returns).  It stops at end of
 * input, on a read error (reported as one failed result naming the list),
 * or on cancel (after draining the list, with sink->unread); then it calls
 * sink->done and returns.  `sink` is borrowed for the call.
 */
void input_read(struct input *in, const struct input_sink *sink);

/*
 * The line splitter, exposed for tests: scans buf[0..len) for complete
 * lines; see input.c.  Not part of the reader's public contract.
 */
size_t input_trim(char *line, size_t len);

#endif
