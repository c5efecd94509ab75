/*
 * fleet: a job split over many processes through Redis (see fleet.h for
 * the keys, the scripts' rules and the order of effects).
 *
 * The writer owns a queue of commands in the order they were given; it
 * sends them in pipelined batches of up to BATCH_MAX and drops a batch
 * only when every reply has come.  A connection that fails mid-batch is
 * made again (backoff from BACKOFF_MIN_MS, doubling to BACKOFF_MAX_MS)
 * and the whole batch sent again: every command is safe to repeat (an
 * acknowledgement or a move checks its XACK first; a repeated send adds a
 * duplicate the receiver drops, with its own count and acknowledgement;
 * SADD, HSET and the lease's scripts are idempotent).
 *
 * The feeder reads this shard's inbox only while the frontier has fewer
 * than low_water jobs waiting, so the backlog stays in Redis and memory
 * stays flat.  A URL read is a duplicate if the seen-set has it (crawl):
 * acknowledged at once; else queued, its fingerprint mirrored.  On start,
 * entries this shard's consumer read before and never acknowledged (a
 * crash) are read again first and queued whatever the seen-set says,
 * once each.  Nothing is ever claimed from another consumer: one shard,
 * one owner, one consumer name.
 */
#define _GNU_SOURCE /* gethostname */

#include "fleet.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cancel.h"
#include "seen.h"
#include "sync.h"
#include "url.h"

#define BATCH_MAX      256
#define QUEUE_MAX      65536 /* commands waiting; senders block past it */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_MS     3000
#define READ_BLOCK_MS  100
#define STAT_EVERY_MS  1000
#define TRIM_EVERY_MS  2000
#define STOP_FLUSH_MS  5000
#define KEY_MAX        160
#define JOB_NAME_MAX   64
#define ROUTE_BATCH    256

/* XADD + INCR: a URL sent, counted.  KEYS: stream, counter. */
static const char SEND_LUA[] = "redis.call('XADD', KEYS[1], '*', unpack(ARGV)) "
			       "return redis.call('INCR', KEYS[2])";
/* XACK, and only if it took, DECR: repeatable.  KEYS: stream, counter;
 * ARGV: group, id. */
static const char ACK_LUA[] = "if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then "
			      "return redis.call('DECR', KEYS[2]) end return -1";
/* From incoming to an inbox, counted once: XACK, and only if it took,
 * XADD.  KEYS: incoming, inbox; ARGV: group, id, fields. */
static const char ROUTE_LUA[] = "if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then "
				"redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3)) end return 1";
/* A crawl's seeds, once per job.  KEYS: seeded flag, counter; ARGV:
 * groups of four: inbox, url, kind, save. */
static const char SEED_LUA[] =
    "if not redis.call('SET', KEYS[1], '1', 'NX') then return 0 end "
    "for i = 1, #ARGV, 4 do "
    "redis.call('XADD', ARGV[i], '*', 'u', ARGV[i+1], 'd', '0', 'k', ARGV[i+2], 'v', ARGV[i+3]) "
    "redis.call('INCR', KEYS[2]) end return 1";
/* The lease: renewed, or given back, only by its holder. */
static const char RENEW_LUA[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
				"return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
static const char RELEASE_LUA[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
				  "return redis.call('DEL', KEYS[1]) end return 0";

struct cmd {
	struct cmd *next;
	uint64_t seq;
	int argc;
	const char **argv;
	size_t *lens;
};

struct fleet {
	struct fleet_opts o;
	struct fleet_feed feed;
	/* where Redis is */
	char *host;
	int port;
	char *path; /* a unix socket, or NULL */
	char *password;
	int db;
	/* key names */
	char inbox[KEY_MAX], incoming[KEY_MAX], out[KEY_MAX], seen[KEY_MAX], lease[KEY_MAX],
	    stat[KEY_MAX], meta[KEY_MAX], seeded[KEY_MAX];
	char owner[256]; /* the lease's value: "host:pid:nonce" */
	char consumer[32];
	/* the writer's queue, under lock */
	pthread_mutex_t lock;
	pthread_cond_t more, room, synced;
	struct cmd *head, *tail;
	size_t queued;
	uint64_t seq_given, seq_done;
	bool stopping;
	uint64_t stop_deadline_ns;
	/* threads */
	pthread_t writer, feeder;
	bool writer_started, feeder_started;
	redisContext *wc; /* the writer's connection */
	atomic_bool feeder_stop;
	/* state */
	atomic_uint_fast64_t commands;
	atomic_uint_fast64_t done, failed, bytes;
	atomic_uint_fast64_t down_since_ns; /* 0: connected */
	atomic_bool lease_lost;
	bool lease_held;
};

/* ---- small helpers ----------------------------------------------------- */

static bool job_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > JOB_NAME_MAX)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	}
	return true;
}

/* redis://[:PASSWORD@]HOST[:PORT][/DB], unix:PATH, unix://PATH or /PATH. */
static bool parse_address(struct fleet *f, const char *s)
{
	const char *p, *at, *slash, *colon;

	f->port = 6379;
	if (s[0] == '/' || !strncmp(s, "unix:", 5)) {
		p = s[0] == '/' ? s : s + 5;
		if (!strncmp(p, "//", 2))
			p += 2;
		f->path = strdup(p);
		return f->path && f->path[0] == '/';
	}
	if (strncmp(s, "redis://", 8) != 0)
		return false;
	p = s + 8;
	at = strchr(p, '@');
	if (at) {
		const char *pw = memchr(p, ':', (size_t)(at - p));

		if (pw && at > pw + 1)
			f->password = strndup(pw + 1, (size_t)(at - pw - 1));
		p = at + 1;
	}
	slash = strchr(p, '/');
	colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
	f->host = strndup(p, colon ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p));
	if (!f->host || !f->host[0])
		return false;
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (port <= 0 || port > 65535 || (*end && *end != '/'))
			return false;
		f->port = (int)port;
	}
	if (slash && slash[1]) {
		char *end;
		long db = strtol(slash + 1, &end, 10);

		if (db < 0 || db > 1000000 || *end)
			return false;
		f->db = (int)db;
	}
	return true;
}

static redisReply *command(redisContext *c, int argc, const char **argv)
{
	return redisCommandArgv(c, argc, argv, NULL);
}

/* A new connection with its AUTH and SELECT done; NULL with why in err. */
static redisContext *connect_to(const struct fleet *f, char *err, size_t errlen)
{
	struct timeval tv = {CONNECT_MS / 1000, (CONNECT_MS % 1000) * 1000};
	redisContext *c = f->path ? redisConnectUnixWithTimeout(f->path, tv)
				  : redisConnectWithTimeout(f->host, f->port, tv);
	redisReply *r = NULL;

	if (!c || c->err) {
		snprintf(err, errlen, "%s", c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	/* a reply slower than this is a dead server: reconnect */
	tv.tv_sec = 10;
	redisSetTimeout(c, tv);
	if (f->password) {
		const char *argv[] = {"AUTH", f->password};

		r = command(c, 2, argv);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "AUTH: %s", r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	if (f->db) {
		char db[16];
		const char *argv[] = {"SELECT", db};

		snprintf(db, sizeof(db), "%d", f->db);
		r = command(c, 2, argv);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "SELECT: %s", r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	return c;
fail:
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return NULL;
}

static void where(const struct fleet *f, char *buf, size_t len)
{
	if (f->path)
		snprintf(buf, len, "unix:%s", f->path);
	else
		snprintf(buf, len, "%s:%d", f->host, f->port);
}

static void note_down(struct fleet *f, const char *why)
{
	uint_fast64_t zero = 0;

	if (atomic_compare_exchange_strong(&f->down_since_ns, &zero, sync_now_ns()) &&
	    !f->o.quiet) {
		char at[300];

		where(f, at, sizeof(at));
		fprintf(stderr, "fetchall: redis at %s: %s; retrying (nothing is lost)\n", at, why);
	}
}

static void note_up(struct fleet *f)
{
	if (atomic_exchange(&f->down_since_ns, 0) != 0 && !f->o.quiet)
		fprintf(stderr, "fetchall: redis: connected again\n");
}

/* ---- the writer's queue ------------------------------------------------- */

static struct cmd *cmd_new(int argc, const char *const *argv, const size_t *lens)
{
	size_t size = sizeof(struct cmd) + (size_t)argc * (sizeof(char *) + sizeof(size_t));
	struct cmd *c;
	char *p;

	for (int i = 0; i < argc; i++)
		size += (lens ? lens[i] : strlen(argv[i])) + 1;
	c = malloc(size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->argc = argc;
	c->lens = (size_t *)(c + 1);
	c->argv = (const char **)(c->lens + argc);
	p = (char *)(c->argv + argc);
	for (int i = 0; i < argc; i++) {
		size_t n = lens ? lens[i] : strlen(argv[i]);

		memcpy(p, argv[i], n);
		p[n] = '\0';
		c->argv[i] = p;
		c->lens[i] = n;
		p += n + 1;
	}
	return c;
}

/* Queues a command (copied) in order; blocks while the queue is full. */
static enum fa_err queue_cmd(struct fleet *f, int argc, const char *const *argv, const size_t *lens)
{
	struct cmd *c = cmd_new(argc, argv, lens);

	if (!c)
		return FA_ERR_NOMEM;
	sync_lock(&f->lock);
	while (f->queued >= QUEUE_MAX && !f->stopping && f->writer_started)
		sync_must(pthread_cond_wait(&f->room, &f->lock), "pthread_cond_wait");
	c->seq = ++f->seq_given;
	if (f->tail)
		f->tail->next = c;
	else
		f->head = c;
	f->tail = c;
	f->queued++;
	pthread_cond_signal(&f->more);
	sync_unlock(&f->lock);
	return FA_OK;
}

static void free_cmds(struct cmd *c)
{
	while (c) {
		struct cmd *next = c->next;

		free(c);
		c = next;
	}
}

static bool past_deadline(struct fleet *f)
{
	bool past;

	sync_lock(&f->lock);
	past = f->stopping && sync_now_ns() >= f->stop_deadline_ns;
	sync_unlock(&f->lock);
	return past;
}

/*
 * Sends the batch and reads every reply, again on a new connection after
 * a failure, until it is through or the stop deadline passes.  Error
 * replies are said once each kind and dropped: repeating would not help.
 * Returns whether the batch went through; *reply_of_last (if not NULL)
 * gets the last command's reply, which the caller frees.
 */
static bool send_batch(struct fleet *f, struct cmd *batch, redisReply **reply_of_last)
{
	long backoff = BACKOFF_MIN_MS;
	char why[256];

	for (;;) {
		bool ok = true;
		size_t n = 0;

		if (!f->wc) {
			f->wc = connect_to(f, why, sizeof(why));
			if (!f->wc) {
				note_down(f, why);
				if (past_deadline(f))
					return false;
				sync_sleep_ms(backoff);
				backoff =
				    backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
		}
		for (struct cmd *c = batch; c; c = c->next, n++)
			redisAppendCommandArgv(f->wc, c->argc, c->argv, c->lens);
		for (struct cmd *c = batch; c; c = c->next) {
			redisReply *r = NULL;

			if (redisGetReply(f->wc, (void **)&r) != REDIS_OK || !r) {
				snprintf(why, sizeof(why), "%s", f->wc->errstr);
				ok = false;
				break;
			}
			if (r->type == REDIS_REPLY_ERROR && !f->o.quiet)
				fprintf(stderr, "\nfetchall: redis refused %s: %s\n", c->argv[0],
					r->str);
			if (!c->next && reply_of_last)
				*reply_of_last = r;
			else
				freeReplyObject(r);
		}
		if (ok) {
			atomic_fetch_add(&f->commands, n);
			note_up(f);
			return true;
		}
		if (reply_of_last && *reply_of_last) {
			freeReplyObject(*reply_of_last);
			*reply_of_last = NULL;
		}
		redisFree(f->wc);
		f->wc = NULL;
		note_down(f, why);
		if (past_deadline(f))
			return false;
	}
}

/* One command through the writer's connection now (the writer's own:
 * the lease, the counters), with its reply. */
static redisReply *writer_command(struct fleet *f, int argc, const char *const *argv)
{
	struct cmd *c = cmd_new(argc, argv, NULL);
	redisReply *r = NULL;

	if (!c)
		return NULL;
	if (!send_batch(f, c, &r))
		r = NULL;
	free(c);
	return r;
}

static void renew_lease(struct fleet *f)
{
	char ms[24];
	const char *argv[] = {"EVAL", RENEW_LUA, "1", f->lease, f->owner, ms};
	redisReply *r;

	snprintf(ms, sizeof(ms), "%ld", f->o.lease_ms);
	r = writer_command(f, 6, argv);
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0 &&
	    !atomic_exchange(&f->lease_lost, true)) {
		fprintf(stderr,
			"\nfetchall: lost the lease of shard %u/%u of job %s (its owner is "
			"another process now): stopping\n",
			f->o.shard + 1, f->o.nshards, f->o.job);
		cancel_trigger(SIGTERM);
	}
	if (r)
		freeReplyObject(r);
}

static void publish_counts(struct fleet *f, double rate)
{
	char done[24], failed[24], bytes[24], r[32], now[24];
	const char *argv[] = {"HSET", f->stat, "done", done, "failed", failed,  "bytes",
			      bytes,  "rate",  r,      "at", now,      "owner", f->owner};
	redisReply *reply;

	snprintf(done, sizeof(done), "%" PRIuFAST64, atomic_load(&f->done));
	snprintf(failed, sizeof(failed), "%" PRIuFAST64, atomic_load(&f->failed));
	snprintf(bytes, sizeof(bytes), "%" PRIuFAST64, atomic_load(&f->bytes));
	snprintf(r, sizeof(r), "%.1f", rate);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	reply = writer_command(f, 14, argv);
	if (reply)
		freeReplyObject(reply);
}

static void *writer_main(void *arg)
{
	struct fleet *f = arg;
	uint64_t next_lease = 0, next_stat = 0;
	/* the rate over about the last 5 s, from samples a second apart */
	uint64_t samples[6] = {0};
	uint64_t sample_ns[6] = {0};
	unsigned nsamples = 0;

	for (;;) {
		struct cmd *batch, *last;
		size_t n = 1;
		uint64_t now;

		sync_lock(&f->lock);
		while (!f->head && !f->stopping) {
			struct timespec until;

			now = sync_now_ns();
			if ((f->o.nshards && now >= next_lease) || now >= next_stat)
				break;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 200 * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&f->more, &f->lock, &until);
		}
		if (!f->head && f->stopping) {
			sync_unlock(&f->lock);
			if (f->o.nshards)
				publish_counts(f, 0); /* the final counts */
			break;
		}
		batch = f->head;
		last = batch;
		while (last && last->next && n < BATCH_MAX) {
			last = last->next;
			n++;
		}
		if (batch) {
			f->head = last->next;
			if (!f->head)
				f->tail = NULL;
			last->next = NULL;
			f->queued -= n;
			pthread_cond_broadcast(&f->room);
		}
		sync_unlock(&f->lock);
		if (batch) {
			uint64_t seq = last->seq;
			bool sent = send_batch(f, batch, NULL);

			free_cmds(batch);
			sync_lock(&f->lock);
			f->seq_done = seq;
			pthread_cond_broadcast(&f->synced);
			sync_unlock(&f->lock);
			if (!sent) {
				/* the stop deadline passed with Redis away: what
				 * is left is given up (see fleet.h: safe) */
				sync_lock(&f->lock);
				free_cmds(f->head);
				f->head = f->tail = NULL;
				f->queued = 0;
				f->seq_done = f->seq_given;
				pthread_cond_broadcast(&f->synced);
				pthread_cond_broadcast(&f->room);
				sync_unlock(&f->lock);
				break;
			}
		}
		now = sync_now_ns();
		if (f->o.nshards && f->lease_held && now >= next_lease) {
			renew_lease(f);
			next_lease = now + (uint64_t)f->o.lease_ms / 3 * 1000000u;
		}
		if (f->o.nshards && now >= next_stat) {
			double rate = 0;
			unsigned k = nsamples < 6 ? nsamples : 6;

			memmove(samples + 1, samples, sizeof(samples[0]) * 5);
			memmove(sample_ns + 1, sample_ns, sizeof(sample_ns[0]) * 5);
			samples[0] = atomic_load(&f->done);
			sample_ns[0] = now;
			nsamples++;
			if (k > 0 && now > sample_ns[k])
				rate = (double)(samples[0] - samples[k]) * 1e9 /
				       (double)(now - sample_ns[k]);
			publish_counts(f, rate);
			next_stat = now + STAT_EVERY_MS * 1000000ull;
		} else if (!f->o.nshards) {
			next_stat = UINT64_MAX;
		}
	}
	return NULL;
}

/* ---- sending ------------------------------------------------------------ */

static void inbox_key(const struct fleet *f, unsigned shard, char *buf, size_t len)
{
	snprintf(buf, len, "fa:%s:in:%u", f->o.job, shard + 1);
}

/* The shard of url's host; a URL without one goes to the first shard,
 * where it fails with its own result. */
static unsigned shard_of(const char *url, unsigned nshards)
{
	unsigned s = 0;

	if (url_shard(url, nshards, &s) != FA_OK)
		s = 0;
	return s;
}

enum fa_err fleet_send(struct fleet *f, const char *url, unsigned depth, const char *source,
		       char kind, bool save, unsigned long line, bool incoming)
{
	char key[KEY_MAX], d[16], k[2] = {kind, '\0'}, l[24];
	const char *argv[16] = {"EVAL", SEND_LUA, "2", key, f->out,          "u", url, "d",
				d,      "k",      k,   "v", save ? "1" : "0"};
	int argc = 13;

	if (incoming)
		snprintf(key, sizeof(key), "%s", f->incoming);
	else
		inbox_key(f, shard_of(url, f->o.nshards), key, sizeof(key));
	snprintf(d, sizeof(d), "%u", depth);
	if (source) {
		argv[argc++] = "s";
		argv[argc++] = source;
	}
	if (line) {
		snprintf(l, sizeof(l), "%lu", line);
		argv[argc++] = "l";
		argv[argc++] = l;
	}
	return queue_cmd(f, argc, argv, NULL);
}

/* Acknowledges entry id of this shard's inbox, after what is queued. */
static void ack_entry(struct fleet *f, const char *id)
{
	const char *argv[] = {"EVAL", ACK_LUA, "2", f->inbox, f->out, "g", id};

	(void)queue_cmd(f, 7, argv, NULL);
}

void fleet_ack(struct fleet *f, const char *id, bool failed, uint64_t bytes)
{
	atomic_fetch_add(failed ? &f->failed : &f->done, 1);
	atomic_fetch_add(&f->bytes, bytes);
	ack_entry(f, id);
}

static void mirror_seen(struct fleet *f, uint64_t fp)
{
	unsigned char b[8];
	const char *argv[] = {"SADD", f->seen, (const char *)b};
	size_t lens[] = {4, strlen(f->seen), 8};

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(fp >> (8 * i));
	(void)queue_cmd(f, 3, argv, lens);
}

enum fa_err fleet_sync(struct fleet *f)
{
	uint64_t want;

	sync_lock(&f->lock);
	want = f->seq_given;
	while (f->seq_done < want && f->writer_started)
		sync_must(pthread_cond_wait(&f->synced, &f->lock), "pthread_cond_wait");
	sync_unlock(&f->lock);
	return FA_OK;
}

enum fa_err fleet_seed(struct fleet *f, const char *const *urls, const char *kinds, size_t n)
{
	size_t argc = 5 + 4 * n;
	const char **argv = calloc(argc, sizeof(*argv));
	char(*keys)[KEY_MAX] = calloc(n ? n : 1, sizeof(*keys));
	char(*ks)[2] = calloc(n ? n : 1, sizeof(*ks));
	enum fa_err err = FA_ERR_NOMEM;

	if (argv && keys && ks) {
		argv[0] = "EVAL";
		argv[1] = SEED_LUA;
		argv[2] = "2";
		argv[3] = f->seeded;
		argv[4] = f->out;
		for (size_t i = 0; i < n; i++) {
			inbox_key(f, shard_of(urls[i], f->o.nshards), keys[i], KEY_MAX);
			ks[i][0] = kinds[2 * i];
			argv[5 + 4 * i] = keys[i];
			argv[6 + 4 * i] = urls[i];
			argv[7 + 4 * i] = ks[i];
			argv[8 + 4 * i] = kinds[2 * i + 1] == '1' ? "1" : "0";
		}
		err = queue_cmd(f, (int)argc, argv, NULL);
		if (err == FA_OK)
			err = fleet_sync(f);
	}
	free(argv);
	free(keys);
	free(ks);
	return err;
}

/* ---- reading ------------------------------------------------------------ */

static const char *field(const redisReply *fields, const char *name, size_t *len)
{
	for (size_t i = 0; fields && i + 1 < fields->elements; i += 2) {
		const redisReply *k = fields->element[i], *v = fields->element[i + 1];

		if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
		    !strcmp(k->str, name)) {
			if (len)
				*len = v->len;
			return v->str;
		}
	}
	return NULL;
}

/* An entry's job (fleet_id set); NULL if it has no URL (or on OOM). */
static struct fetch_job *entry_job(const redisReply *entry)
{
	const redisReply *id, *fields;
	const char *u, *d, *s, *k, *v, *l;
	struct fetch_job *job;

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2)
		return NULL;
	id = entry->element[0];
	fields = entry->element[1];
	if (id->type != REDIS_REPLY_STRING || fields->type != REDIS_REPLY_ARRAY)
		return NULL;
	u = field(fields, "u", NULL);
	if (!u)
		return NULL;
	k = field(fields, "k", NULL);
	job = fetch_job_new(u, k && k[0] == 'p' ? JOB_PAGE : JOB_FILE);
	if (!job)
		return NULL;
	d = field(fields, "d", NULL);
	s = field(fields, "s", NULL);
	v = field(fields, "v", NULL);
	l = field(fields, "l", NULL);
	job->depth = d ? (unsigned)strtoul(d, NULL, 10) : 0;
	job->save = !v || v[0] == '1';
	job->line = l ? strtoul(l, NULL, 10) : 0;
	job->source = s ? strdup(s) : NULL;
	job->fleet_id = strdup(id->str);
	if ((s && !job->source) || !job->fleet_id) {
		fetch_job_free(job);
		return NULL;
	}
	return job;
}

/* The entries of an XREADGROUP reply (one stream), or NULL if none. */
static const redisReply *entries_of(const redisReply *r)
{
	const redisReply *stream;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return NULL;
	stream = r->element[0];
	if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2 ||
	    stream->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	return stream->element[1];
}

/* The feeder's connection, made again after a failure (with backoff)
 * until it works or the feeder is told to stop.  Returns false then. */
static bool feeder_connect(struct fleet *f, redisContext **c)
{
	long backoff = BACKOFF_MIN_MS;
	char why[256];

	while (!*c) {
		if (atomic_load(&f->feeder_stop))
			return false;
		*c = connect_to(f, why, sizeof(why));
		if (*c)
			break;
		note_down(f, why);
		sync_sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return true;
}

/* A command on the feeder's connection; NULL (the connection dropped)
 * on failure. */
static redisReply *feeder_command(struct fleet *f, redisContext **c, int argc, const char **argv)
{
	redisReply *r;

	if (!*c)
		return NULL;
	r = command(*c, argc, argv);
	if (!r) {
		note_down(f, (*c)->errstr);
		redisFree(*c);
		*c = NULL;
	}
	return r;
}

static void make_group(struct fleet *f, redisContext **c, const char *key, const char *group)
{
	const char *argv[] = {"XGROUP", "CREATE", key, group, "0", "MKSTREAM"};
	redisReply *r = feeder_command(f, c, 6, argv);

	if (r)
		freeReplyObject(r); /* BUSYGROUP: it is there */
}

/* Hands one entry to the frontier; acknowledges it at once if refused.
 * Returns false when the run is stopping (the entry stays pending). */
static bool take_entry(struct fleet *f, const redisReply *entry, bool replay, struct seen *replayed)
{
	struct fetch_job *job = entry_job(entry);
	const char *id = entry->type == REDIS_REPLY_ARRAY && entry->elements >= 1 &&
				 entry->element[0]->type == REDIS_REPLY_STRING
			     ? entry->element[0]->str
			     : NULL;
	char idcopy[64];
	uint64_t fp = 0;
	bool have_fp;
	enum fa_err err;

	if (!id || strlen(id) >= sizeof(idcopy)) {
		fetch_job_free(job);
		return true;
	}
	snprintf(idcopy, sizeof(idcopy), "%s", id);
	if (!job) {
		ack_entry(f, idcopy); /* trimmed, or no URL: nothing to do */
		return true;
	}
	have_fp = f->o.crawl && f->feed.fingerprint(job->url, &fp);
	/* a crashed owner's entries: once each, whatever the seen-set says */
	if (replay && have_fp && replayed && seen_add(replayed, fp) == FA_ERR_EXISTS) {
		fetch_job_free(job);
		ack_entry(f, idcopy);
		return true;
	}
	err = f->feed.deliver(f->feed.arg, job, replay);
	if (err == FA_ERR_CLOSED) {
		/* the run is stopping: the entry stays pending, for the next
		 * owner of the shard */
		atomic_store(&f->feeder_stop, true);
		return false;
	}
	if (err != FA_OK) {
		ack_entry(f, idcopy); /* a duplicate, a URL without a host */
		return true;
	}
	if (have_fp && !replay)
		mirror_seen(f, fp);
	return true;
}

/* Reads entries of this shard's inbox from id ("0": the ones read before
 * and not acknowledged; ">": new ones).  Returns how many, or -1 if the
 * connection dropped. */
static long read_inbox(struct fleet *f, redisContext **c, const char *from, long count, bool block,
		       bool replay, struct seen *replayed, char *last, size_t lastlen)
{
	char n[24], ms[24];
	const char *argv[11] = {"XREADGROUP", "GROUP", "g", f->consumer, "COUNT", n};
	int argc = 6;
	redisReply *r;
	const redisReply *e;
	long got = 0;

	snprintf(n, sizeof(n), "%ld", count);
	snprintf(ms, sizeof(ms), "%d", READ_BLOCK_MS);
	if (block) {
		argv[argc++] = "BLOCK";
		argv[argc++] = ms;
	}
	argv[argc++] = "STREAMS";
	argv[argc++] = f->inbox;
	argv[argc++] = from;
	r = feeder_command(f, c, argc, argv);
	if (!r)
		return -1;
	e = entries_of(r);
	for (size_t i = 0; e && i < e->elements; i++, got++) {
		const redisReply *entry = e->element[i];

		if (!take_entry(f, entry, replay, replayed))
			break;
		if (last && entry->type == REDIS_REPLY_ARRAY && entry->elements >= 1 &&
		    entry->element[0]->type == REDIS_REPLY_STRING)
			snprintf(last, lastlen, "%s", entry->element[0]->str);
	}
	freeReplyObject(r);
	return got;
}

/* Moves entries of the incoming stream (from: an ID for this consumer's
 * unfinished ones after it, ">" for new) to their shards' inboxes; last
 * gets the last entry's ID.  Returns how many, or -1 if the connection
 * dropped. */
static long route(struct fleet *f, redisContext **c, const char *from, unsigned nshards, char *last,
		  size_t lastlen)
{
	char n[24];
	const char *argv[] = {"XREADGROUP", "GROUP",     "r", f->consumer, "COUNT", n,
			      "STREAMS",    f->incoming, from};
	redisReply *r;
	const redisReply *e;
	long got = 0;

	snprintf(n, sizeof(n), "%d", ROUTE_BATCH);
	r = feeder_command(f, c, 9, argv);
	if (!r)
		return -1;
	e = entries_of(r);
	for (size_t i = 0; e && i < e->elements; i++) {
		const redisReply *entry = e->element[i], *fields;
		const char *rargv[24];
		size_t rlens[24];
		char key[KEY_MAX];
		int argc = 0;
		const char *u;

		if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 ||
		    entry->element[0]->type != REDIS_REPLY_STRING)
			continue;
		fields = entry->element[1];
		u = fields->type == REDIS_REPLY_ARRAY ? field(fields, "u", NULL) : NULL;
		inbox_key(f, u ? shard_of(u, nshards) : 0, key, sizeof(key));
		rargv[argc++] = "EVAL";
		rargv[argc++] = ROUTE_LUA;
		rargv[argc++] = "2";
		rargv[argc++] = f->incoming;
		rargv[argc++] = key;
		rargv[argc++] = "r";
		rargv[argc++] = entry->element[0]->str;
		for (size_t j = 0; u && j < fields->elements && argc < 24; j++)
			rargv[argc++] = fields->element[j]->str ? fields->element[j]->str : "";
		for (int j = 0; j < argc; j++)
			rlens[j] = strlen(rargv[j]);
		/* the field values are strings of their own length */
		for (size_t j = 0; u && j < fields->elements && 7 + j < 24; j++)
			rlens[7 + j] = fields->element[j]->len;
		if (!u) {
			/* no URL: acknowledge it, counted as done */
			const char *ack[] = {
			    "EVAL", ACK_LUA, "2", f->incoming, f->out, "r", entry->element[0]->str};

			(void)queue_cmd(f, 7, ack, NULL);
			continue;
		}
		(void)queue_cmd(f, argc, rargv, rlens);
		got++;
		snprintf(last, lastlen, "%s", entry->element[0]->str);
	}
	freeReplyObject(r);
	return got;
}

/* The job's counter: >= 0, or -1 if nothing was ever sent, -2 if the
 * connection dropped. */
static long long outstanding(struct fleet *f, redisContext **c)
{
	const char *argv[] = {"GET", f->out};
	redisReply *r = feeder_command(f, c, 2, argv);
	long long n;

	if (!r)
		return -2;
	n = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
	freeReplyObject(r);
	return n;
}

static void group_last_delivered(const redisReply *r, const char *g, char *out, size_t len);

/* Whether stream id a ("MS-SEQ") comes before b. */
static bool id_before(const char *a, const char *b)
{
	unsigned long long am = strtoull(a, NULL, 10), bm = strtoull(b, NULL, 10);
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
	unsigned long long as = ad ? strtoull(ad + 1, NULL, 10) : 0;
	unsigned long long bs = bd ? strtoull(bd + 1, NULL, 10) : 0;

	return am < bm || (am == bm && as < bs);
}

/* Drops the entries every consumer of group is through with: those
 * before both the last one delivered when we looked (what comes after it
 * is still to be read) and the oldest one pending after that (read,
 * not yet acknowledged).  In that order, so an entry delivered between
 * the two looks is after the first. */
static void trim(struct fleet *f, redisContext **c, const char *key, const char *group)
{
	const char *argv[] = {"XPENDING", key, group};
	const char *info[] = {"XINFO", "GROUPS", key};
	redisReply *r = feeder_command(f, c, 3, info);
	char minid[64] = "";

	if (!r)
		return;
	group_last_delivered(r, group, minid, sizeof(minid));
	freeReplyObject(r);
	if (!minid[0] || !strcmp(minid, "0-0"))
		return;
	r = feeder_command(f, c, 3, argv);
	if (!r)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		minid[0] = '\0';
	} else if (r->element[0]->integer > 0 && r->elements >= 2 &&
		   r->element[1]->type == REDIS_REPLY_STRING &&
		   id_before(r->element[1]->str, minid)) {
		snprintf(minid, sizeof(minid), "%s", r->element[1]->str);
	}
	freeReplyObject(r);
	if (minid[0]) {
		const char *t[] = {"XTRIM", key, "MINID", "~", minid};

		r = feeder_command(f, c, 5, t);
		if (r)
			freeReplyObject(r);
	}
}

static void load_seen(struct fleet *f, redisContext **c)
{
	char cursor[32] = "0";

	do {
		const char *argv[] = {"SSCAN", f->seen, cursor, "COUNT", "10000"};
		redisReply *r = feeder_command(f, c, 5, argv);

		if (!r)
			return;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			const redisReply *m = r->element[1]->element[i];
			uint64_t fp = 0;

			if (m->type != REDIS_REPLY_STRING || m->len != 8)
				continue;
			for (int b = 0; b < 8; b++)
				fp |= (uint64_t)(unsigned char)m->str[b] << (8 * b);
			f->feed.mark_seen(f->feed.arg, fp);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
}

static void *feeder_main(void *arg)
{
	struct fleet *f = arg;
	redisContext *c = NULL;
	struct seen *replayed = f->o.crawl ? seen_new(0) : NULL;
	/* The last entry this feeder received from each stream: entries
	 * come in ID order, so those delivered by a reply that a dropped
	 * connection lost are this consumer's pending ones after it. */
	char from[64], last_in[64], last_routed[64] = "0";
	bool waiting_noted = false;
	uint64_t next_trim = 0;
	long got;

	if (!feeder_connect(f, &c))
		goto out;
	make_group(f, &c, f->inbox, "g");
	make_group(f, &c, f->incoming, "r");
	if (f->o.crawl)
		load_seen(f, &c);
	/* what this shard read before and did not finish, first */
	snprintf(from, sizeof(from), "0");
	while ((got = read_inbox(f, &c, from, 256, false, true, replayed, from, sizeof(from))) !=
	       0) {
		if (atomic_load(&f->feeder_stop))
			goto out;
		if (got < 0 && !feeder_connect(f, &c))
			goto out;
		if (got < 0)
			snprintf(from, sizeof(from), "0");
	}
	while ((got = route(f, &c, last_routed, f->o.nshards, last_routed, sizeof(last_routed))) !=
	       0) {
		if (got < 0 && !feeder_connect(f, &c))
			goto out;
		if (got < 0)
			snprintf(last_routed, sizeof(last_routed), "0");
	}
	snprintf(last_in, sizeof(last_in), "%s", from);
	seen_free(replayed);
	replayed = NULL;
	note_up(f);

	while (!atomic_load(&f->feeder_stop) && !cancel_requested()) {
		size_t waiting = f->feed.waiting(f->feed.arg);
		long long left;

		if (!c) {
			if (!feeder_connect(f, &c))
				break;
			/* what lost replies delivered, first: not a replay (it
			 * never reached the frontier), so the seen-set holds */
			while ((got = read_inbox(f, &c, last_in, 256, false, false, NULL, last_in,
						 sizeof(last_in))) > 0)
				;
			while (got == 0 && (got = route(f, &c, last_routed, f->o.nshards,
							last_routed, sizeof(last_routed))) > 0)
				;
			if (got < 0)
				continue;
		}
		if (sync_now_ns() >= next_trim) {
			trim(f, &c, f->inbox, "g");
			if (f->o.shard == 0) /* one trims the shared stream */
				trim(f, &c, f->incoming, "r");
			next_trim = sync_now_ns() + TRIM_EVERY_MS * 1000000ull;
		}
		if (waiting >= f->o.low_water) {
			sync_sleep_ms(20);
			continue;
		}
		got = read_inbox(f, &c, ">", (long)(2 * f->o.low_water - waiting), true, false,
				 NULL, last_in, sizeof(last_in));
		if (got != 0)
			continue;
		got = route(f, &c, ">", f->o.nshards, last_routed, sizeof(last_routed));
		if (got != 0)
			continue;
		/* nothing to read: is the whole job over? */
		if (f->feed.waiting(f->feed.arg) > 0)
			continue;
		left = outstanding(f, &c);
		if (left == -1 && !waiting_noted && !f->o.quiet) {
			fprintf(stderr,
				"\nfetchall: job %s has no URLs yet; waiting for them "
				"(fetchall LIST --redis ... --enqueue)\n",
				f->o.job);
			waiting_noted = true;
		}
		if (left == 0) {
			f->feed.done(f->feed.arg);
			break;
		}
	}
out:
	seen_free(replayed);
	redisFree(c);
	return NULL;
}

/* ---- set-up ------------------------------------------------------------- */

static bool pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

/* Takes the shard's lease; refuses (err) if a live process holds it. */
static enum fa_err take_lease(struct fleet *f, redisContext *c, char *err, size_t errlen)
{
	char ms[24], host[256] = "";
	long pid = 0;

	snprintf(ms, sizeof(ms), "%ld", f->o.lease_ms);
	for (int tries = 0; tries < 3; tries++) {
		const char *set[] = {"SET", f->lease, f->owner, "NX", "PX", ms};
		const char *get[] = {"GET", f->lease};
		const char *ttl[] = {"PTTL", f->lease};
		redisReply *r = command(c, 6, set);
		long long left = 0;
		char *holder;
		const char *colon;

		if (!r)
			goto io;
		if (r->type == REDIS_REPLY_STATUS) {
			freeReplyObject(r);
			f->lease_held = true;
			return FA_OK;
		}
		freeReplyObject(r);
		r = command(c, 2, get);
		if (!r)
			goto io;
		holder = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
		freeReplyObject(r);
		if (!holder)
			continue; /* gone meanwhile: try again */
		r = command(c, 2, ttl);
		if (r && r->type == REDIS_REPLY_INTEGER)
			left = r->integer;
		if (r)
			freeReplyObject(r);
		/* "host:pid:nonce" */
		colon = strchr(holder, ':');
		if (colon) {
			snprintf(host, sizeof(host), "%.*s", (int)(colon - holder), holder);
			pid = strtol(colon + 1, NULL, 10);
		}
		{
			char me[256] = "";

			gethostname(me, sizeof(me) - 1);
			if (colon && !strcmp(host, me) && !pid_alive(pid)) {
				/* its owner here is gone (kill -9): take it over */
				const char *del[] = {"EVAL", RELEASE_LUA, "1", f->lease, holder};

				r = command(c, 5, del);
				if (r)
					freeReplyObject(r);
				free(holder);
				continue;
			}
		}
		snprintf(err, errlen,
			 "shard %u/%u of job %s is owned by %s (pid %ld), whose lease runs %.1f s "
			 "more: two owners would double every host's rate",
			 f->o.shard + 1, f->o.nshards, f->o.job, host[0] ? host : holder, pid,
			 (double)left / 1000.0);
		free(holder);
		return FA_ERR_EXISTS;
	}
	snprintf(err, errlen, "shard %u/%u of job %s: its lease keeps changing hands",
		 f->o.shard + 1, f->o.nshards, f->o.job);
	return FA_ERR_EXISTS;
io:
	snprintf(err, errlen, "redis: %s", c->errstr);
	return FA_ERR_IO;
}

/* The job's shard count: set by the first to name one, checked after. */
static enum fa_err check_shards(struct fleet *f, redisContext *c, char *err, size_t errlen)
{
	char n[16];
	const char *setnx[] = {"HSETNX", f->meta, "shards", n};
	const char *get[] = {"HGET", f->meta, "shards"};
	redisReply *r;
	long have;

	snprintf(n, sizeof(n), "%u", f->o.nshards);
	r = command(c, 4, setnx);
	if (!r || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: %s", r ? r->str : c->errstr);
		if (r)
			freeReplyObject(r);
		return FA_ERR_IO;
	}
	freeReplyObject(r);
	r = command(c, 3, get);
	if (!r) {
		snprintf(err, errlen, "redis: %s", c->errstr);
		return FA_ERR_IO;
	}
	have = r->type == REDIS_REPLY_STRING ? strtol(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	if (have != (long)f->o.nshards) {
		snprintf(err, errlen,
			 "job %s is split in %ld shards, not %u (another --job name "
			 "starts afresh)",
			 f->o.job, have, f->o.nshards);
		return FA_ERR_ARG;
	}
	return FA_OK;
}

enum fa_err fleet_open(const struct fleet_opts *o, struct fleet **out, char *err, size_t errlen)
{
	struct fleet *f = calloc(1, sizeof(*f));
	redisContext *c = NULL;
	char why[256], host[200] = "";
	enum fa_err e;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return FA_ERR_NOMEM;
	}
	f->o = *o;
	if (!f->o.lease_ms)
		f->o.lease_ms = FLEET_LEASE_MS;
	if (!f->o.low_water)
		f->o.low_water = 64;
	sync_must(pthread_mutex_init(&f->lock, NULL), "pthread_mutex_init");
	sync_must(pthread_cond_init(&f->more, NULL), "pthread_cond_init");
	sync_must(pthread_cond_init(&f->room, NULL), "pthread_cond_init");
	sync_must(pthread_cond_init(&f->synced, NULL), "pthread_cond_init");
	if (!job_name_ok(o->job)) {
		snprintf(err, errlen,
			 "--job '%s': a name of 1 to %d letters, digits, '.', '_' or '-'", o->job,
			 JOB_NAME_MAX);
		e = FA_ERR_ARG;
		goto fail;
	}
	if (!parse_address(f, o->redis)) {
		snprintf(err, errlen,
			 "--redis '%s': not redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:PATH",
			 o->redis);
		e = FA_ERR_ARG;
		goto fail;
	}
	snprintf(f->incoming, KEY_MAX, "fa:%s:incoming", o->job);
	snprintf(f->out, KEY_MAX, "fa:%s:out", o->job);
	snprintf(f->meta, KEY_MAX, "fa:%s:meta", o->job);
	snprintf(f->seeded, KEY_MAX, "fa:%s:seeded", o->job);
	inbox_key(f, o->shard, f->inbox, KEY_MAX);
	snprintf(f->seen, KEY_MAX, "fa:%s:seen:%u", o->job, o->shard + 1);
	snprintf(f->lease, KEY_MAX, "fa:%s:lease:%u", o->job, o->shard + 1);
	snprintf(f->stat, KEY_MAX, "fa:%s:stat:%u", o->job, o->shard + 1);
	snprintf(f->consumer, sizeof(f->consumer), "s%u", o->shard + 1);
	gethostname(host, sizeof(host) - 1);
	snprintf(f->owner, sizeof(f->owner), "%s:%ld:%08" PRIx64, host, (long)getpid(),
		 sync_now_ns() ^ ((uint64_t)getpid() << 32));
	c = connect_to(f, why, sizeof(why));
	if (!c) {
		char at[300];

		where(f, at, sizeof(at));
		snprintf(err, errlen, "cannot reach redis at %s: %s", at, why);
		e = FA_ERR_IO;
		goto fail;
	}
	if (o->nshards) {
		e = check_shards(f, c, err, errlen);
		if (e == FA_OK)
			e = take_lease(f, c, err, errlen);
		if (e != FA_OK)
			goto fail;
	}
	f->wc = c; /* the writer's, from now on */
	*out = f;
	return FA_OK;
fail:
	redisFree(c);
	fleet_free(f);
	return e;
}

enum fa_err fleet_start(struct fleet *f, const struct fleet_feed *feed)
{
	if (!f->writer_started) {
		if (pthread_create(&f->writer, NULL, writer_main, f) != 0)
			return FA_ERR_THREAD;
		f->writer_started = true;
	}
	if (feed && !f->feeder_started) {
		f->feed = *feed;
		if (pthread_create(&f->feeder, NULL, feeder_main, f) != 0)
			return FA_ERR_THREAD;
		f->feeder_started = true;
	}
	return FA_OK;
}

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	atomic_store(&f->feeder_stop, true);
	if (f->feeder_started)
		pthread_join(f->feeder, NULL);
	sync_lock(&f->lock);
	f->stopping = true;
	f->stop_deadline_ns = sync_now_ns() + STOP_FLUSH_MS * 1000000ull;
	pthread_cond_broadcast(&f->more);
	sync_unlock(&f->lock);
	if (f->writer_started)
		pthread_join(f->writer, NULL);
	if (f->lease_held && f->wc) {
		const char *argv[] = {"EVAL", RELEASE_LUA, "1", f->lease, f->owner};
		redisReply *r = command(f->wc, 5, argv);

		if (r)
			freeReplyObject(r);
	}
	redisFree(f->wc);
	free_cmds(f->head);
	pthread_cond_destroy(&f->synced);
	pthread_cond_destroy(&f->room);
	pthread_cond_destroy(&f->more);
	pthread_mutex_destroy(&f->lock);
	free(f->host);
	free(f->path);
	free(f->password);
	free(f);
}

uint64_t fleet_commands(const struct fleet *f)
{
	return f ? atomic_load(&f->commands) : 0;
}

void fleet_state(struct fleet *f, char *buf, size_t len)
{
	uint64_t since = f ? atomic_load(&f->down_since_ns) : 0;

	if (since)
		snprintf(buf, len, "redis unreachable %.0f s, retrying",
			 (double)(sync_now_ns() - since) / 1e9);
	else if (len)
		buf[0] = '\0';
}

/* ---- --status ----------------------------------------------------------- */

static long long hash_int(const redisReply *h, const char *name)
{
	const char *v = h && h->type == REDIS_REPLY_ARRAY ? field(h, name, NULL) : NULL;

	return v ? strtoll(v, NULL, 10) : 0;
}

/* XINFO GROUPS's "last-delivered-id" of group g into out ("" if none). */
static void group_last_delivered(const redisReply *r, const char *g, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *m = r->element[i];
		const char *name = m->type == REDIS_REPLY_ARRAY ? field(m, "name", NULL) : NULL;
		const char *id =
		    name && !strcmp(name, g) ? field(m, "last-delivered-id", NULL) : NULL;

		if (id)
			snprintf(out, len, "%s", id);
	}
}

/* XINFO GROUPS's "pending" and "lag" of group g (-1 when unknown). */
static void group_info(const redisReply *r, const char *g, long long *pending, long long *lag)
{
	*pending = *lag = -1;
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *m = r->element[i];
		const char *name = m->type == REDIS_REPLY_ARRAY ? field(m, "name", NULL) : NULL;

		if (!name || strcmp(name, g))
			continue;
		for (size_t j = 0; j + 1 < m->elements; j += 2) {
			const redisReply *k = m->element[j], *v = m->element[j + 1];

			if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_INTEGER)
				continue;
			if (!strcmp(k->str, "pending"))
				*pending = v->integer;
			else if (!strcmp(k->str, "lag"))
				*lag = v->integer;
		}
	}
}

int fleet_status(const char *redis, const char *job, FILE *out, FILE *err)
{
	struct fleet_opts o = {.redis = redis, .job = job, .quiet = true};
	struct fleet *f;
	char why[512];
	redisReply *r;
	long nshards = 0;
	long long left = -1, incoming_lag, incoming_pending;

	if (fleet_open(&o, &f, why, sizeof(why)) != FA_OK) {
		fprintf(err, "fetchall: %s\n", why);
		return 2;
	}
	{
		const char *get[] = {"HGET", f->meta, "shards"};
		const char *outk[] = {"GET", f->out};
		const char *xi[] = {"XINFO", "GROUPS", f->incoming};

		r = command(f->wc, 3, get);
		nshards = r && r->type == REDIS_REPLY_STRING ? strtol(r->str, NULL, 10) : 0;
		if (r)
			freeReplyObject(r);
		r = command(f->wc, 2, outk);
		left = r && r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
		if (r)
			freeReplyObject(r);
		r = command(f->wc, 3, xi);
		group_info(r, "r", &incoming_pending, &incoming_lag);
		if (r)
			freeReplyObject(r);
	}
	if (nshards <= 0 && left < 0) {
		fprintf(err, "fetchall: redis has no job named %s\n", job);
		fleet_free(f);
		return 2;
	}
	fprintf(out, "job %s: %ld shards, %lld URLs not done%s\n", job, nshards,
		left < 0 ? 0 : left, left == 0 ? " (finished)" : "");
	if (incoming_lag > 0 || incoming_pending > 0)
		fprintf(out, "  %lld URLs enqueued and not yet split by host\n",
			(incoming_lag > 0 ? incoming_lag : 0) +
			    (incoming_pending > 0 ? incoming_pending : 0));
	fprintf(out, "%-7s %9s %7s %9s %8s %8s  %s\n", "shard", "done", "failed", "queued",
		"active", "URLs/s", "owner");
	for (long k = 1; k <= nshards; k++) {
		char key[KEY_MAX], owner[300] = "-";
		const char *argv[] = {"HGETALL", key};
		redisReply *h, *x, *l;
		long long pending, lag;
		const char *rate;

		snprintf(key, sizeof(key), "fa:%s:lease:%ld", job, k);
		{
			const char *get[] = {"GET", key};

			l = command(f->wc, 2, get);
			if (l && l->type == REDIS_REPLY_STRING) {
				/* host:pid:nonce -> host pid N */
				const char *a = strchr(l->str, ':');
				const char *b = a ? strchr(a + 1, ':') : NULL;

				if (a && b)
					snprintf(owner, sizeof(owner), "%.*s pid %.*s",
						 (int)(a - l->str), l->str, (int)(b - a - 1),
						 a + 1);
			}
			if (l)
				freeReplyObject(l);
		}
		snprintf(key, sizeof(key), "fa:%s:stat:%ld", job, k);
		h = command(f->wc, 2, argv);
		snprintf(key, sizeof(key), "fa:%s:in:%ld", job, k);
		{
			const char *xi[] = {"XINFO", "GROUPS", key};

			x = command(f->wc, 3, xi);
		}
		group_info(x, "g", &pending, &lag);
		rate = h && h->type == REDIS_REPLY_ARRAY ? field(h, "rate", NULL) : NULL;
		fprintf(out, "%3ld/%-3ld %9lld %7lld %9s %8lld %8s  %s\n", k, nshards,
			hash_int(h, "done"), hash_int(h, "failed"),
			lag >= 0 ? (snprintf(why, sizeof(why), "%lld", lag), why) : "?",
			pending < 0 ? 0 : pending, rate ? rate : "-", owner);
		if (h)
			freeReplyObject(h);
		if (x)
			freeReplyObject(x);
	}
	fleet_free(f);
	return 0;
}
