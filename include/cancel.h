/*
 * cancel: one process-wide "stop now" flag, raised by SIGINT/SIGTERM.
 *
 * The signal handler only writes a byte to a pipe (and on a second signal
 * calls _exit(130): final files are only ever published whole, so exiting
 * at once cannot leave a partial one).  A watcher thread turns that byte
 * into the flag, wakes everything that waits on it and runs the hook.
 * Waiting on the flag: cancel_sleep_ms() (a timed condition wait, woken
 * early by a cancel), cancel_fd() for poll(), cancel_requested() to test.
 */
#ifndef FA_CANCEL_H
#define FA_CANCEL_H

#include <stdbool.h>

#include "err.h"

/*
 * Installs the SIGINT/SIGTERM handlers and starts the watcher thread.
 * `hook` (may be NULL) runs once on the watcher thread when a cancel is
 * raised, with `arg` borrowed until cancel_release().  Call once, from
 * main, before other threads start.  Returns FA_OK or FA_ERR_THREAD /
 * FA_ERR_IO.
 */
enum fa_err cancel_init(void (*hook)(void *), void *arg);

/* Stops the watcher, restores default handlers, closes the pipes. */
void cancel_release(void);

/*
 * Raises the flag from code (for example when stdout is closed); `why` is
 * the signal number or 0.  Idempotent: only the first call counts.
 * Thread-safe; not async-signal-safe.
 */
void cancel_trigger(int why);

/* True once a cancel was raised.  Thread-safe, lock-free. */
bool cancel_requested(void);

/* The signal that raised the flag, 0 if raised by code or not raised. */
int cancel_reason(void);

/* A descriptor that becomes readable, and stays so, on cancel; -1 before
 * cancel_init().  For poll(); never read from it. */
int cancel_fd(void);

/*
 * Sleeps up to ms milliseconds; returns early, with true, if a cancel is
 * raised (or was already).  Thread-safe.
 */
bool cancel_sleep_ms(long ms);

#endif
