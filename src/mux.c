/*
 * mux: lanes, each a thread driving a libcurl multi handle for the fetch
 * threads that hand it their transfers (see mux.h for why).
 *
 * Data: a lane has an inbox of requests (a request lives on the stack of
 * the fetch thread that waits for it) and the list of requests its multi
 * handle holds.  Locking: the lane's mutex guards the inbox, `stop` and
 * every request's `done` and `result`; a fetch thread waits on its own
 * request's condition, so a finished transfer wakes exactly its owner.
 * The multi handle and the held list belong to the lane's thread alone;
 * curl_multi_wakeup(), the one multi function libcurl allows from another
 * thread, tells it that the inbox has work.
 */
#include "mux.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sync.h"
#include "url.h"

struct request {
	CURL *easy;
	CURLcode result;
	bool done;
	pthread_cond_t cond;
	struct request *next;
};

struct lane {
	pthread_t thread;
	pthread_mutex_t lock;
	struct request *inbox, *inbox_tail;
	bool stop;
	CURLM *multi;
	struct request *held; /* in the multi handle: the lane thread's own */
};

struct mux {
	unsigned n;
	struct lane lanes[MUX_LANES_MAX];
};

/* The lane's thread: a finished transfer's result to its owner. */
static void finish(struct lane *l, struct request *r, CURLcode cc)
{
	sync_lock(&l->lock);
	r->result = cc;
	r->done = true;
	sync_must(pthread_cond_signal(&r->cond), "pthread_cond_signal");
	sync_unlock(&l->lock);
}

/* The lane's thread: takes the inbox into the multi handle; returns
 * whether the lane is to stop (asked to, and nothing left in it). */
static bool take_inbox(struct lane *l)
{
	struct request *in;
	bool stop;

	sync_lock(&l->lock);
	in = l->inbox;
	l->inbox = l->inbox_tail = NULL;
	stop = l->stop;
	sync_unlock(&l->lock);
	while (in) {
		struct request *r = in;

		in = r->next;
		if (curl_multi_add_handle(l->multi, r->easy) != CURLM_OK) {
			finish(l, r, CURLE_OUT_OF_MEMORY);
			continue;
		}
		r->next = l->held;
		l->held = r;
	}
	return stop && !l->held;
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
			finish(l, r, cc);
		}
	}
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;

	for (;;) {
		int running = 0;

		if (take_inbox(l))
			break;
		curl_multi_perform(l->multi, &running);
		hand_back(l);
		/* a new request wakes the poll (curl_multi_wakeup) */
		curl_multi_poll(l->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

static void lanes_stop(struct mux *m, unsigned started)
{
	for (unsigned i = 0; i < started; i++) {
		struct lane *l = &m->lanes[i];

		sync_lock(&l->lock);
		l->stop = true;
		sync_unlock(&l->lock);
		curl_multi_wakeup(l->multi);
		sync_must(pthread_join(l->thread, NULL), "pthread_join");
	}
}

static void lanes_free(struct mux *m, unsigned made)
{
	for (unsigned i = 0; i < made; i++) {
		curl_multi_cleanup(m->lanes[i].multi);
		pthread_mutex_destroy(&m->lanes[i].lock);
	}
	free(m);
}

struct mux *mux_new(unsigned lanes)
{
	struct mux *m;
	unsigned made = 0, started = 0;

	if (lanes < 1 || lanes > MUX_LANES_MAX)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->n = lanes;
	for (; made < lanes; made++) {
		struct lane *l = &m->lanes[made];

		l->multi = curl_multi_init();
		if (!l->multi)
			break;
		/* several transfers to a host over one HTTP/2 connection
		 * (libcurl's default, said here because it is the point) */
		curl_multi_setopt(l->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
		sync_must(pthread_mutex_init(&l->lock, NULL), "pthread_mutex_init");
	}
	for (; made == lanes && started < lanes; started++)
		if (pthread_create(&m->lanes[started].thread, NULL, lane_main, &m->lanes[started]))
			break;
	if (made < lanes || started < lanes) {
		lanes_stop(m, started);
		lanes_free(m, made);
		return NULL;
	}
	return m;
}

void mux_free(struct mux *m)
{
	if (!m)
		return;
	lanes_stop(m, m->n);
	lanes_free(m, m->n);
}

CURLcode mux_perform(struct mux *m, const char *host_key, CURL *easy)
{
	struct lane *l = &m->lanes[url_hash(host_key) % m->n];
	struct request r = {.easy = easy};
	bool stopped;

	/* a second transfer to a host waits for the first connection to say
	 * whether it multiplexes, instead of opening its own */
	curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
	sync_must(pthread_cond_init(&r.cond, NULL), "pthread_cond_init");
	sync_lock(&l->lock);
	stopped = l->stop;
	if (!stopped) {
		if (l->inbox_tail)
			l->inbox_tail->next = &r;
		else
			l->inbox = &r;
		l->inbox_tail = &r;
	}
	sync_unlock(&l->lock);
	if (!stopped) {
		curl_multi_wakeup(l->multi);
		sync_lock(&l->lock);
		while (!r.done)
			sync_must(pthread_cond_wait(&r.cond, &l->lock), "pthread_cond_wait");
		sync_unlock(&l->lock);
	}
	pthread_cond_destroy(&r.cond);
	return stopped ? CURLE_FAILED_INIT : r.result;
}
