/*
 * stacks: the stacks of a set of threads, carved from one mapping.
 *
 * glibc maps each thread's stack on its own; when the thread ends it
 * gives the unused part back (madvise), and pthread_join() unmaps it
 * once its cache of stacks (40 MB) is full.  Each of those calls, in a
 * process whose other threads run on other cores, has the kernel flush
 * their TLBs by an interrupt to each core, and on a virtual machine each
 * such interrupt is a trip through the hypervisor: after the last file
 * of a run at -j 16 on this 2-core VM, the main thread's 26 munmap()s
 * (stacks and the lanes' stages) took 0.6 ms (perf trace), and each
 * ending thread's madvise() some tens of microseconds more, where curl
 * -Z takes 0.65 ms in all from its last file to its exit.  Stacks a
 * program gives pthread_create() are neither advised nor unmapped by
 * glibc: these come from one mapping, unmapped once, after every thread
 * on it is joined.
 *
 * Each stack is the size glibc would give (the default attribute's,
 * from RLIMIT_STACK: 8 MB here) with a guard page below it, as glibc
 * does; the mapping is MAP_NORESERVE, so untouched stacks cost address
 * space only, as glibc's do.  Not thread-safe: the thread that makes the
 * threads uses it.
 */
#ifndef FA_STACKS_H
#define FA_STACKS_H

#include <pthread.h>
#include <stdbool.h>

struct stacks;

/* Room for n stacks; NULL if it cannot be had (no memory, no address
 * space): the threads then get glibc's own stacks, as before. */
struct stacks *stacks_new(unsigned n);

/*
 * Initialises *attr for a thread on stack i (< n): pthread_attr_init()
 * plus that stack, or plus nothing when s is NULL.  Give it to
 * pthread_create(), then pthread_attr_destroy() it.  False if attr could
 * not be initialised.
 */
bool stacks_attr(struct stacks *s, unsigned i, pthread_attr_t *attr);

/* Unmaps every stack: call once no thread runs on any of them (all
 * joined).  NULL is fine. */
void stacks_free(struct stacks *s);

#endif
