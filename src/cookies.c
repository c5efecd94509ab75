/*
 * cookies: see cookies.h.  The jar is an array of Netscape lines, each
 * with the generation that stored it, under one mutex; small jars (a
 * login's session, a site's preferences) are the case this is built for,
 * so look-ups are linear.  A thread's engine is only ever touched by its
 * own thread; the jar's lock is never held while libcurl transfers.
 */
#include "cookies.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

#define KEY_MAX 4096

struct entry {
	char *line;
	char *key;
	uint64_t gen;
};

struct cookies {
	pthread_mutex_t lock;
	struct entry *v;
	size_t n, cap;
	uint64_t gen;   /* bumped by every store */
	uint64_t epoch; /* bumped by every removal */
};

struct cookies *cookies_new(void)
{
	struct cookies *jar = calloc(1, sizeof(*jar));

	if (!jar)
		return NULL;
	sync_must(pthread_mutex_init(&jar->lock, NULL), "pthread_mutex_init");
	return jar;
}

void cookies_free(struct cookies *jar)
{
	if (!jar)
		return;
	for (size_t i = 0; i < jar->n; i++) {
		free(jar->v[i].line);
		free(jar->v[i].key);
	}
	free(jar->v);
	sync_must(pthread_mutex_destroy(&jar->lock), "pthread_mutex_destroy");
	free(jar);
}

/* Field i (0-based, tab-separated) of line: start and length; false if
 * the line has fewer fields. */
static bool field(const char *line, int i, const char **start, size_t *len)
{
	const char *p = line;

	for (; i > 0; i--) {
		p = strchr(p, '\t');
		if (!p)
			return false;
		p++;
	}
	*start = p;
	*len = strcspn(p, "\t\r\n");
	return true;
}

size_t cookies_line_key(const char *line, char *key, size_t keylen)
{
	static const char httponly[] = "#HttpOnly_";
	const char *d, *p, *n, *v;
	size_t dl, pl, nl, vl, need;

	if (!line || (line[0] == '#' && strncmp(line, httponly, sizeof(httponly) - 1) != 0))
		return 0;
	if (!field(line, 0, &d, &dl) || !field(line, 2, &p, &pl) || !field(line, 5, &n, &nl) ||
	    !field(line, 6, &v, &vl))
		return 0;
	if (strncmp(d, httponly, sizeof(httponly) - 1) == 0) {
		d += sizeof(httponly) - 1;
		dl -= sizeof(httponly) - 1;
	}
	need = dl + 1 + pl + 1 + nl;
	if (dl == 0 || need + 1 > keylen)
		return 0;
	memcpy(key, d, dl);
	key[dl] = '\t';
	memcpy(key + dl + 1, p, pl);
	key[dl + 1 + pl] = '\t';
	memcpy(key + dl + pl + 2, n, nl);
	key[need] = '\0';
	return need;
}

static struct entry *find(struct cookies *jar, const char *key)
{
	for (size_t i = 0; i < jar->n; i++)
		if (strcmp(jar->v[i].key, key) == 0)
			return &jar->v[i];
	return NULL;
}

/* Stores line under key (new or changed); e is find(jar, key).  False on
 * OOM.  Under lock. */
static bool store(struct cookies *jar, const char *line, const char *key, struct entry *e)
{
	char *copy;

	if (e && strcmp(e->line, line) == 0)
		return true;
	copy = strdup(line);
	if (!copy)
		return false;
	if (!e) {
		char *k = strdup(key);

		if (k && jar->n == jar->cap) {
			size_t cap = jar->cap ? jar->cap * 2 : 16;
			struct entry *v = realloc(jar->v, cap * sizeof(*v));

			if (v) {
				jar->v = v;
				jar->cap = cap;
			}
		}
		if (!k || jar->n == jar->cap) {
			free(k);
			free(copy);
			return false;
		}
		e = &jar->v[jar->n++];
		e->key = k;
		e->line = NULL;
	}
	free(e->line);
	e->line = copy;
	e->gen = ++jar->gen;
	return true;
}

/* Removes entry i.  Under lock. */
static void drop(struct cookies *jar, size_t i)
{
	free(jar->v[i].line);
	free(jar->v[i].key);
	jar->v[i] = jar->v[--jar->n];
	jar->epoch++;
}

/* Stores every cookie line of list.  With sync (an engine's list after a
 * transfer), a cookie another thread stored since that engine was loaded
 * is left as the jar has it: the engine's copy may only be stale.  Under
 * lock. */
static void store_list(struct cookies *jar, const struct curl_slist *list,
		       const struct cookies_sync *sync)
{
	char key[KEY_MAX];

	for (; list; list = list->next) {
		struct entry *e;

		if (!cookies_line_key(list->data, key, sizeof(key)))
			continue;
		e = find(jar, key);
		if (e && sync && e->gen > sync->gen)
			continue;
		store(jar, list->data, key, e); /* out of memory: the cookie is lost */
	}
}

enum fa_err cookies_load(struct cookies *jar, const char *path, char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct curl_slist *list = NULL;
	CURL *h;

	/* libcurl skips a file it cannot read without a word: look first */
	if (!f) {
		snprintf(errbuf, errlen, "cannot read the cookies file '%s': %s", path,
			 strerror(errno));
		return FA_ERR_IO;
	}
	fclose(f);
	h = curl_easy_init();
	if (!h) {
		snprintf(errbuf, errlen, "out of memory");
		return FA_ERR_NOMEM;
	}
	curl_easy_setopt(h, CURLOPT_COOKIEFILE, path);
	curl_easy_setopt(h, CURLOPT_COOKIELIST, "RELOAD");
	if (curl_easy_getinfo(h, CURLINFO_COOKIELIST, &list) == CURLE_OK) {
		sync_lock(&jar->lock);
		store_list(jar, list, NULL);
		sync_unlock(&jar->lock);
		curl_slist_free_all(list);
	}
	curl_easy_cleanup(h);
	return FA_OK;
}

/* Whether the line's cookie goes into a saved file. */
static bool keep_line(const char *line, bool keep_session, time_t now)
{
	const char *e;
	size_t len;
	long long expires;

	if (!field(line, 4, &e, &len))
		return false;
	expires = strtoll(e, NULL, 10);
	if (expires == 0)
		return keep_session;
	return expires > (long long)now;
}

enum fa_err cookies_save(struct cookies *jar, const char *path, bool keep_session, char *errbuf,
			 size_t errlen)
{
	size_t len = strlen(path) + sizeof(".XXXXXX");
	char *tmp = malloc(len);
	time_t now = time(NULL);
	FILE *f = NULL;
	int fd = -1;
	bool ok;

	if (!tmp) {
		snprintf(errbuf, errlen, "out of memory");
		return FA_ERR_NOMEM;
	}
	snprintf(tmp, len, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (!f) {
		snprintf(errbuf, errlen, "cannot write the cookies file '%s': %s", path,
			 strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return FA_ERR_IO;
	}
	fputs("# Netscape HTTP Cookie File\n# Written by fetchall; see --save-cookies.\n\n", f);
	sync_lock(&jar->lock);
	for (size_t i = 0; i < jar->n; i++)
		if (keep_line(jar->v[i].line, keep_session, now))
			fprintf(f, "%s\n", jar->v[i].line);
	sync_unlock(&jar->lock);
	ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		snprintf(errbuf, errlen, "cannot write the cookies file '%s': %s", path,
			 strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? FA_OK : FA_ERR_IO;
}

void cookies_attach(CURL *easy, struct cookies_sync *sync)
{
	curl_easy_setopt(easy, CURLOPT_COOKIEFILE, ""); /* the engine, no file */
	memset(sync, 0, sizeof(*sync));
}

void cookies_before(struct cookies *jar, CURL *easy, struct cookies_sync *sync)
{
	sync_lock(&jar->lock);
	if (sync->loaded && sync->gen == jar->gen && sync->epoch == jar->epoch) {
		sync_unlock(&jar->lock);
		return;
	}
	if (sync->loaded && sync->epoch != jar->epoch)
		curl_easy_setopt(easy, CURLOPT_COOKIELIST, "ALL"); /* reload it all */
	for (size_t i = 0; i < jar->n; i++)
		if (!sync->loaded || sync->epoch != jar->epoch || jar->v[i].gen > sync->gen)
			curl_easy_setopt(easy, CURLOPT_COOKIELIST, jar->v[i].line);
	sync->gen = jar->gen;
	sync->epoch = jar->epoch;
	sync->loaded = true;
	sync_unlock(&jar->lock);
}

/* Whether key is among list's cookies. */
static bool listed(const struct curl_slist *list, const char *key)
{
	char k[KEY_MAX];

	for (; list; list = list->next)
		if (cookies_line_key(list->data, k, sizeof(k)) && strcmp(k, key) == 0)
			return true;
	return false;
}

void cookies_after(struct cookies *jar, CURL *easy, struct cookies_sync *sync)
{
	struct curl_slist *list = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &list) != CURLE_OK)
		return;
	sync_lock(&jar->lock);
	/* What this engine was given and no longer has, the server deleted
	 * (or it expired): out of the jar too. */
	for (size_t i = jar->n; i-- > 0;)
		if (jar->v[i].gen <= sync->gen && !listed(list, jar->v[i].key))
			drop(jar, i);
	store_list(jar, list, sync);
	sync_unlock(&jar->lock);
	curl_slist_free_all(list);
}

size_t cookies_count(struct cookies *jar)
{
	size_t n;

	sync_lock(&jar->lock);
	n = jar->n;
	sync_unlock(&jar->lock);
	return n;
}
