/*
 * mux: lanes, each a thread driving a libcurl multi handle for the fetch
 * threads that hand it their transfers (see mux.h for why).
 *
 * Data: a lane has an inbox of requests (a request lives on the stack of
 * the fetch thread that waits for it) and the list of requests its multi
 * handle holds.  The hand-over is on the path of every transfer in a lane,
 * so it takes no lock: sixteen fetch threads and a lane behind one mutex
 * spent more time waking each other than moving bytes (perf: a third of
 * the run's thread switches were waits for that mutex).
 *
 *   - The inbox is a stack pushed with compare-and-swap and taken whole
 *     with an exchange (then reversed, so requests start in their order).
 *     A lane that stops swaps in CLOSED, which a late push sees and fails.
 *   - A request's result is written before its semaphore is posted; the
 *     owner waits on that semaphore alone, so a finished transfer wakes
 *     exactly its owner and no one else contends for anything.
 *   - curl_multi_wakeup() (a write on libcurl's socketpair) is called only
 *     while the lane is, or is about to be, in curl_multi_poll(): the lane
 *     sets `polling` and then looks at the inbox; a fetch thread pushes and
 *     then looks at `polling`.  Both are sequentially consistent, so at
 *     least one of them sees the other: a lane never sleeps on a request.
 *     And only by the push onto an empty inbox: a request pushed onto
 *     another is still in the inbox when the lane takes it, so it goes
 *     with the first, whose push woke the lane or saw it awake.  Sixteen
 *     threads handing over transfers as a burst of them ends made 300
 *     wake-ups a run of 500 files for 130 turns of the lane; now 35.
 *
 * A lane starts on its first request: lane_for() makes its multi handle
 * and thread under the mux's start_lock and then publishes `state`; a
 * thread that reads RUNNING (an acquire) sees both.  Only mux_stop()
 * uses the multi handle after that without the lane's own thread, for
 * the wake-up that stops it; the lane cleans it up as it ends.
 *
 * The multi handle and the held list belong to the lane's thread alone;
 * curl_multi_wakeup() is the one multi function libcurl allows from
 * another thread.
 */
#include "mux.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"
#include "sync.h"
#include "url.h"

struct request {
	CURL *easy;
	CURLcode result;
	sem_t done;
	struct request *next;
};

/* the inbox of a lane that has stopped: never a request's address */
#define CLOSED ((struct request *)(uintptr_t)1)

enum { LANE_IDLE, LANE_RUNNING, LANE_FAILED };

struct lane {
	atomic_int state; /* LANE_*: set once, under the mux's start_lock */
	pthread_t thread;
	_Atomic(struct request *) inbox;
	atomic_bool stop;
	atomic_bool polling;
	int policy; /* the scheduling policy of mux_new()'s caller */
	/* mux_stop() sets `stop` and wakes the lane under it; the lane takes
	 * it to clean its multi handle up, so never during that wake-up */
	pthread_mutex_t stop_lock;
	CURLM *multi;
	struct request *held; /* in the multi handle: the lane thread's own */
};

struct mux {
	unsigned n;
	pthread_mutex_t start_lock; /* a lane's start */
	struct lane lanes[MUX_LANES_MAX];
};

/* The lane's thread: a finished transfer's result to its owner, who may
 * free the request as soon as the semaphore is posted. */
static void finish(struct request *r, CURLcode cc)
{
	r->result = cc;
	if (sem_post(&r->done))
		sync_must(errno, "sem_post");
}

/* The lane's thread: takes the inbox into the multi handle; returns
 * whether the lane is to stop (asked to, nothing left in it, and the inbox
 * now CLOSED). */
static bool take_inbox(struct lane *l)
{
	struct request *in = atomic_exchange(&l->inbox, NULL), *ordered = NULL;

	if (!in && atomic_load(&l->stop) && !l->held) {
		struct request *empty = NULL;

		if (atomic_compare_exchange_strong(&l->inbox, &empty, CLOSED))
			return true;
		in = atomic_exchange(&l->inbox, NULL); /* a last one came */
	}
	while (in) { /* pushed last first: reversed, they start in order */
		struct request *r = in;

		in = r->next;
		r->next = ordered;
		ordered = r;
	}
	while (ordered) {
		struct request *r = ordered;

		ordered = r->next;
		if (curl_multi_add_handle(l->multi, r->easy) != CURLM_OK) {
			finish(r, CURLE_OUT_OF_MEMORY);
			continue;
		}
		r->next = l->held;
		l->held = r;
	}
	return false;
}

/* The lane's thread: hands back every transfer that is over. */
static void hand_back(struct lane *l)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(l->multi, &left))) {
		struct request **p = &l->held;

		if (msg->msg != CURLMSG_DONE)
			continue;
		while (*p && (*p)->easy != msg->easy_handle)
			p = &(*p)->next;
		if (!*p)
			continue; /* not ours: cannot happen */
		{
			struct request *r = *p;
			CURLcode cc = msg->data.result;

			*p = r->next;
			/* msg is not to be read after removing its handle */
			curl_multi_remove_handle(l->multi, r->easy);
			finish(r, cc);
		}
	}
}

/*
 * The longest a lane with transfers waits in curl_multi_poll().  libcurl
 * 7.88 (Debian 12's) can leave an HTTP/2 stream's data read from the
 * socket but not yet handed on, with no timer set for it: poll() then sees
 * nothing until its timeout, and the transfer waits that long for bytes
 * the process already has.  Under load (every system call slowed by
 * `perf trace`), 8 of 49 runs of 500 TLS images took a second longer,
 * the lane's poll timing out before the last transfer ended with no new
 * read; curl -Z, whose own poll waits 1000 ms too, stalled the same way
 * in 3 runs of 8.  Capped at 100 ms: none of 49 runs stalled a second.
 * An idle lane (no transfer) still sleeps until a request wakes it.
 */
#define LANE_POLL_BUSY_MS 100

static void *lane_main(void *arg)
{
	struct lane *l = arg;

	policy_restore(l->policy); /* made by a fetch thread, maybe batch */
	for (;;) {
		int running = 0;

		if (take_inbox(l))
			break;
		curl_multi_perform(l->multi, &running);
		hand_back(l);
		atomic_store(&l->polling, true);
		/* a request pushed from here on sees `polling` and wakes the
		 * poll (curl_multi_wakeup); one pushed before is seen here.
		 * mux_stop() sets `stop`, then wakes the poll. */
		if (!atomic_load(&l->inbox))
			curl_multi_poll(l->multi, NULL, 0, running ? LANE_POLL_BUSY_MS : 1000,
					NULL);
		atomic_store(&l->polling, false);
	}
	/* nothing in it, the inbox CLOSED: its connections close here, on
	 * the lane's own thread, while the run winds down elsewhere */
	sync_lock(&l->stop_lock);
	curl_multi_cleanup(l->multi);
	l->multi = NULL;
	sync_unlock(&l->stop_lock);
	return NULL;
}

/* A lane's multi handle and thread, made by the first transfer that
 * wants the lane (under m->start_lock); false if either cannot be had. */
static bool lane_start(struct lane *l)
{
	l->multi = curl_multi_init();
	if (!l->multi)
		return false;
	/* several transfers to a host over one HTTP/2 connection (libcurl's
	 * default, said here because it is the point) */
	curl_multi_setopt(l->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (pthread_create(&l->thread, NULL, lane_main, l)) {
		curl_multi_cleanup(l->multi);
		l->multi = NULL;
		return false;
	}
	return true;
}

/* The lane for host_key, started if it is not yet; NULL if it cannot be. */
static struct lane *lane_for(struct mux *m, const char *host_key)
{
	struct lane *l = &m->lanes[url_hash(host_key) % m->n];
	int state = atomic_load(&l->state);

	if (state == LANE_IDLE) {
		sync_lock(&m->start_lock);
		state = atomic_load(&l->state);
		if (state == LANE_IDLE) {
			state = lane_start(l) ? LANE_RUNNING : LANE_FAILED;
			atomic_store(&l->state, state);
		}
		sync_unlock(&m->start_lock);
	}
	return state == LANE_RUNNING ? l : NULL;
}

struct mux *mux_new(unsigned lanes)
{
	struct mux *m;

	if (lanes < 1 || lanes > MUX_LANES_MAX)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->n = lanes;
	sync_must(pthread_mutex_init(&m->start_lock, NULL), "pthread_mutex_init");
	for (unsigned i = 0; i < lanes; i++) {
		atomic_init(&m->lanes[i].state, LANE_IDLE);
		atomic_init(&m->lanes[i].inbox, NULL);
		atomic_init(&m->lanes[i].stop, false);
		atomic_init(&m->lanes[i].polling, false);
		m->lanes[i].policy = policy_now();
		sync_must(pthread_mutex_init(&m->lanes[i].stop_lock, NULL), "pthread_mutex_init");
	}
	return m;
}

void mux_stop(struct mux *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->n; i++) {
		struct lane *l = &m->lanes[i];

		if (atomic_load(&l->state) != LANE_RUNNING)
			continue;
		/* woken once: a later call finds `stop` set, and the handle
		 * perhaps gone */
		sync_lock(&l->stop_lock);
		if (!atomic_exchange(&l->stop, true))
			curl_multi_wakeup(l->multi);
		sync_unlock(&l->stop_lock);
	}
}

void mux_free(struct mux *m)
{
	if (!m)
		return;
	mux_stop(m);
	for (unsigned i = 0; i < m->n; i++) {
		if (atomic_load(&m->lanes[i].state) == LANE_RUNNING)
			sync_must(pthread_join(m->lanes[i].thread, NULL), "pthread_join");
		pthread_mutex_destroy(&m->lanes[i].stop_lock);
	}
	pthread_mutex_destroy(&m->start_lock);
	free(m);
}

/*
 * A thread that hands its transfers to a lane is made SCHED_BATCH
 * (policy_batch()): woken by the lane's hand-back, it then no longer
 * preempts the thread it shares a core with, which is often the lane
 * itself, in the middle of a pass that ends several transfers; it runs
 * when the lane sleeps or its time slice ends.  Its share of the CPU is
 * unchanged (that is the nice value's, not the policy's).  Measured over
 * TLS, 2000 files of 10 KB at -j 16 (sh bench/tls's shape, 21 interleaved
 * rounds): 1.13x curl -Z's time before, 1.005x after; thread switches
 * 4100 -> 2400 a run.
 */
CURLcode mux_perform(struct mux *m, const char *host_key, CURL *easy)
{
	struct lane *l = lane_for(m, host_key);
	struct request r = {.easy = easy};
	struct request *head;

	if (!l) /* no lane to be had: on this thread, as without lanes */
		return curl_easy_perform(easy);
	policy_batch();
	/* a second transfer to a host waits for the first connection to say
	 * whether it multiplexes, instead of opening its own */
	curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
	if (sem_init(&r.done, 0, 0))
		sync_must(errno, "sem_init");
	head = atomic_load(&l->inbox);
	do {
		if (head == CLOSED) {
			sem_destroy(&r.done);
			return CURLE_FAILED_INIT;
		}
		r.next = head;
	} while (!atomic_compare_exchange_weak(&l->inbox, &head, &r));
	/* Only a request pushed onto an empty inbox wakes the lane: one
	 * pushed onto another is taken with it, by the exchange that other
	 * one's push already made sure will come.  Told by `head`, what the
	 * push replaced (a successful exchange leaves it as it was), never
	 * by r.next: once pushed, the request is the lane's, which may be
	 * rewriting that link already. */
	if (!head && atomic_load(&l->polling))
		curl_multi_wakeup(l->multi);
	while (sem_wait(&r.done))
		if (errno != EINTR)
			sync_must(errno, "sem_wait");
	sem_destroy(&r.done);
	return r.result;
}
