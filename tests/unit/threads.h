/*
 * threads: how many threads this process has, for unit tests that check
 * that threads start only when needed and are all gone after a free.
 */
#ifndef FA_TEST_THREADS_H
#define FA_TEST_THREADS_H

/* The "Threads:" line of /proc/self/status; -1 if it cannot be read. */
int threads_now(void);

#endif
