/*
 * queue: a bounded, blocking, multi-producer multi-consumer FIFO of pointers,
 * with close.
 *
 * Pushers block while it is full, poppers while it is empty.  Closing wakes
 * everybody: later pushes fail, pops hand out what is left and then fail, so
 * consumers drain the queue and stop on FA_ERR_CLOSED.  This is how fetchall
 * shuts a pool down: by a message through the queue, never by polling a flag.
 *
 * Ownership: what is pushed belongs to the queue until a pop hands it out.
 * The queue's free_item callback runs on every item it still owns when a push
 * is refused and in queue_free(), so nothing leaks at shutdown.
 */
#ifndef FA_QUEUE_H
#define FA_QUEUE_H

#include <stddef.h>

#include "err.h"

struct queue;

/*
 * Creates an open, empty queue holding at most `capacity` items.  free_item
 * (may be NULL: items are then not the queue's to free) is called on each
 * item the queue disposes of; it must accept every pointer ever pushed,
 * including NULL if NULL is pushed, and it may run on any thread that calls
 * queue_push() or queue_free(), with no queue lock held.
 * Returns the queue, which the caller frees with queue_free(); NULL if
 * capacity is 0, on out of memory, or if its mutex or condition variables
 * could not be created.  Thread-safe.
 */
struct queue *queue_new(size_t capacity, void (*free_item)(void *));

/*
 * Frees every item still in q with free_item, in FIFO order, then q itself.
 * Accepts NULL.  No thread may be blocked on q or use it again: close it and
 * join its users first.  Not thread-safe with any other call on q.
 */
void queue_free(struct queue *q);

/*
 * Appends item, blocking while q is full.  Takes ownership of item in every
 * case.
 * Returns FA_OK; FA_ERR_CLOSED if q is closed, or is closed while this call
 * waits for room: then the item has been freed with free_item before return
 * and the caller must not touch it.  Thread-safe.
 */
enum fa_err queue_push(struct queue *q, void *item);

/*
 * Removes the oldest item into *item, blocking while q is empty and open.
 * Returns FA_OK, the caller now owning *item; FA_ERR_CLOSED, with *item set
 * to NULL, once q is closed and empty (items pushed before the close are all
 * handed out first).  Thread-safe.
 */
enum fa_err queue_pop(struct queue *q, void **item);

/*
 * queue_pop() that blocks at most timeout_ms milliseconds (timeout_ms <= 0
 * does not block).  Returns FA_OK, the caller owning *item; FA_ERR_CLOSED once
 * q is closed and empty; FA_ERR_TIMEOUT if q stayed open and empty until the
 * deadline.  On error *item is set to NULL.  Thread-safe.
 */
enum fa_err queue_pop_timed(struct queue *q, void **item, long timeout_ms);

/*
 * queue_pop() that never blocks.  Returns FA_OK, the caller owning *item;
 * FA_ERR_CLOSED if q is closed and empty; FA_ERR_BUSY if q is open and empty.
 * On error *item is set to NULL.  Thread-safe.
 */
enum fa_err queue_try_pop(struct queue *q, void **item);

/*
 * Waits timeout_ms milliseconds (timeout_ms <= 0: not at all), or until q is
 * closed if that comes first.  Items pushed meanwhile do not end it: a
 * consumer's pause to let items gather and take them in one go, which the
 * queue's close (the end of a run) does not sit out.  Thread-safe.
 */
void queue_pause(struct queue *q, long timeout_ms);

/*
 * Closes q and wakes every thread blocked on it (queue_pause() too):
 * blocked and later pushes fail with FA_ERR_CLOSED, pops drain what is
 * left.  Idempotent; a closed queue never reopens.  Thread-safe.
 */
void queue_close(struct queue *q);

/*
 * Returns the number of items in q: a snapshot, stale as soon as it returns.
 * Thread-safe.
 */
size_t queue_length(struct queue *q);

/*
 * Returns the capacity given to queue_new().  Thread-safe (it never changes).
 */
size_t queue_capacity(const struct queue *q);

/*
 * Returns the largest length q has had since queue_new(), for showing how
 * deep a queue got.  Thread-safe.
 */
size_t queue_high_water(struct queue *q);

#endif
