/*
 * queue: bounded blocking MPMC queue with close.
 *
 * A ring buffer of `capacity` pointers (head = oldest, length = count) under
 * one mutex, with two condition variables on CLOCK_MONOTONIC: not_empty for
 * poppers and not_full for pushers.  Each side counts its blocked threads, and
 * an operation signals the other side only when that count says somebody is
 * waiting and one item or one slot has appeared, so exactly one waiter is woken
 * per item or slot.  queue_close() is the only broadcast: it changes the
 * answer for every waiter at once, and it alone ends a queue_pause().
 * Every wait sits in a `while (!predicate)` loop, and a timed-out popper
 * re-checks for an item before reporting a timeout, so a signal it
 * consumed is not lost.
 *
 * Lock order: q->lock is a leaf.  free_item never runs under it, so a free
 * callback may take its own locks or even use another queue.
 */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"

struct queue {
	pthread_mutex_t lock;     /* guards every field below but the constants */
	pthread_cond_t not_empty; /* an item arrived, or the queue closed */
	pthread_cond_t not_full;  /* a slot freed up, or the queue closed */
	pthread_cond_t closing;   /* the queue closed (queue_pause) */
	void **items;             /* ring of capacity slots */
	size_t capacity;          /* constant */
	size_t head;              /* index of the oldest item */
	size_t length;            /* items held, <= capacity */
	size_t high_water;        /* largest length seen */
	size_t push_waiters;      /* threads blocked in queue_push */
	size_t pop_waiters;       /* threads blocked in a pop */
	bool closed;
	void (*free_item)(void *); /* constant, may be NULL */
};

static void free_one(const struct queue *q, void *item)
{
	if (q->free_item)
		q->free_item(item);
}

/* With q->lock held and q->length > 0: removes the oldest item. */
static void *take_locked(struct queue *q)
{
	void *item = q->items[q->head];

	q->items[q->head] = NULL;
	q->head = (q->head + 1) % q->capacity;
	q->length--;
	if (q->push_waiters > 0)
		sync_must(pthread_cond_signal(&q->not_full), "pthread_cond_signal");
	return item;
}

/*
 * With q->lock held: hands out an item if there is one, else says why not.
 * `empty_open` is what an open, empty queue means to the caller (BUSY for a
 * try, TIMEOUT for an expired wait).
 */
static enum fa_err pop_locked(struct queue *q, void **item, enum fa_err empty_open)
{
	if (q->length > 0) {
		*item = take_locked(q);
		return FA_OK;
	}
	*item = NULL;
	return q->closed ? FA_ERR_CLOSED : empty_open;
}

struct queue *queue_new(size_t capacity, void (*free_item)(void *))
{
	struct queue *q;

	if (capacity == 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->items = calloc(capacity, sizeof(*q->items));
	if (!q->items)
		goto fail_items;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto fail_lock;
	if (sync_cond_init(&q->not_empty) != 0)
		goto fail_not_empty;
	if (sync_cond_init(&q->not_full) != 0)
		goto fail_not_full;
	if (sync_cond_init(&q->closing) != 0)
		goto fail_closing;

	q->capacity = capacity;
	q->free_item = free_item;
	return q;

fail_closing:
	sync_must(pthread_cond_destroy(&q->not_full), "pthread_cond_destroy");
fail_not_full:
	sync_must(pthread_cond_destroy(&q->not_empty), "pthread_cond_destroy");
fail_not_empty:
	sync_must(pthread_mutex_destroy(&q->lock), "pthread_mutex_destroy");
fail_lock:
	free(q->items);
fail_items:
	free(q);
	return NULL;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	while (q->length > 0) {
		free_one(q, q->items[q->head]);
		q->head = (q->head + 1) % q->capacity;
		q->length--;
	}
	sync_must(pthread_cond_destroy(&q->closing), "pthread_cond_destroy");
	sync_must(pthread_cond_destroy(&q->not_full), "pthread_cond_destroy");
	sync_must(pthread_cond_destroy(&q->not_empty), "pthread_cond_destroy");
	sync_must(pthread_mutex_destroy(&q->lock), "pthread_mutex_destroy");
	free(q->items);
	free(q);
}

enum fa_err queue_push(struct queue *q, void *item)
{
	enum fa_err err = FA_OK;

	sync_lock(&q->lock);
	if (!q->closed && q->length == q->capacity) {
		q->push_waiters++;
		while (!q->closed && q->length == q->capacity)
			sync_must(pthread_cond_wait(&q->not_full, &q->lock), "pthread_cond_wait");
		q->push_waiters--;
	}
	if (q->closed) {
		err = FA_ERR_CLOSED;
		goto out;
	}
	q->items[(q->head + q->length) % q->capacity] = item;
	q->length++;
	if (q->length > q->high_water)
		q->high_water = q->length;
	if (q->pop_waiters > 0)
		sync_must(pthread_cond_signal(&q->not_empty), "pthread_cond_signal");
out:
	sync_unlock(&q->lock);
	if (err != FA_OK)
		free_one(q, item);
	return err;
}

enum fa_err queue_pop(struct queue *q, void **item)
{
	enum fa_err err;

	sync_lock(&q->lock);
	if (!q->closed && q->length == 0) {
		q->pop_waiters++;
		while (!q->closed && q->length == 0)
			sync_must(pthread_cond_wait(&q->not_empty, &q->lock), "pthread_cond_wait");
		q->pop_waiters--;
	}
	err = pop_locked(q, item, FA_ERR_CLOSED);
	sync_unlock(&q->lock);
	return err;
}

enum fa_err queue_pop_timed(struct queue *q, void **item, long timeout_ms)
{
	struct timespec deadline;
	enum fa_err err;
	int rc;

	sync_lock(&q->lock);
	if (!q->closed && q->length == 0 && timeout_ms > 0) {
		deadline = sync_deadline_ms(timeout_ms);
		q->pop_waiters++;
		while (!q->closed && q->length == 0) {
			rc = pthread_cond_timedwait(&q->not_empty, &q->lock, &deadline);
			if (rc == ETIMEDOUT)
				break;
			sync_must(rc, "pthread_cond_timedwait");
		}
		q->pop_waiters--;
	}
	/* Also after ETIMEDOUT: an item pushed just in time is ours. */
	err = pop_locked(q, item, FA_ERR_TIMEOUT);
	sync_unlock(&q->lock);
	return err;
}

enum fa_err queue_try_pop(struct queue *q, void **item)
{
	enum fa_err err;

	sync_lock(&q->lock);
	err = pop_locked(q, item, FA_ERR_BUSY);
	sync_unlock(&q->lock);
	return err;
}

void queue_pause(struct queue *q, long timeout_ms)
{
	struct timespec deadline;
	int rc;

	sync_lock(&q->lock);
	if (!q->closed && timeout_ms > 0) {
		deadline = sync_deadline_ms(timeout_ms);
		while (!q->closed) {
			rc = pthread_cond_timedwait(&q->closing, &q->lock, &deadline);
			if (rc == ETIMEDOUT)
				break;
			sync_must(rc, "pthread_cond_timedwait");
		}
	}
	sync_unlock(&q->lock);
}

void queue_close(struct queue *q)
{
	sync_lock(&q->lock);
	if (!q->closed) {
		q->closed = true;
		sync_must(pthread_cond_broadcast(&q->not_empty), "pthread_cond_broadcast");
		sync_must(pthread_cond_broadcast(&q->not_full), "pthread_cond_broadcast");
		sync_must(pthread_cond_broadcast(&q->closing), "pthread_cond_broadcast");
	}
	sync_unlock(&q->lock);
}

size_t queue_length(struct queue *q)
{
	size_t length;

	sync_lock(&q->lock);
	length = q->length;
	sync_unlock(&q->lock);
	return length;
}

size_t queue_capacity(const struct queue *q)
{
	return q->capacity;
}

size_t queue_high_water(struct queue *q)
{
	size_t high_water;

	sync_lock(&q->lock);
	high_water = q->high_water;
	sync_unlock(&q->lock);
	return high_water;
}
