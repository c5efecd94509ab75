/*
 * linkmap: normalized URL -> saved relpath, plus the pages to convert.
 *
 * A chained hash table (url_hash() of the normalized URL) that doubles when
 * it is as full as it has buckets, and a growing array of pages.  URLs
 * are normalized before the lock is taken.  One mutex guards both.
 */
#include "linkmap.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"
#include "url.h"

struct entry {
	char *url; /* normalized */
	char *relpath;
	uint64_t hash;
	struct entry *next;
};

struct page {
	char *relpath;
	char *base_url;
	char *charset; /* NULL if none */
};

struct linkmap {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets, count;
	struct page *pages;
	size_t npages, pages_cap;
};

struct linkmap *linkmap_new(void)
{
	struct linkmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = 256;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	sync_must(pthread_mutex_init(&m->lock, NULL), "pthread_mutex_init");
	return m;
}

void linkmap_free(struct linkmap *m)
{
	if (!m)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct entry *e = m->buckets[b];

		while (e) {
			struct entry *next = e->next;

			free(e->url);
			free(e->relpath);
			free(e);
			e = next;
		}
	}
	for (size_t i = 0; i < m->npages; i++) {
		free(m->pages[i].relpath);
		free(m->pages[i].base_url);
		free(m->pages[i].charset);
	}
	free(m->pages);
	free(m->buckets);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* With the lock held: the entry for norm, or NULL. */
static struct entry *find(const struct linkmap *m, const char *norm, uint64_t hash)
{
	for (struct entry *e = m->buckets[hash % m->nbuckets]; e; e = e->next) {
		if (e->hash == hash && strcmp(e->url, norm) == 0)
			return e;
	}
	return NULL;
}

/* With the lock held: doubles the table; keeps the old one on OOM (the
 * chains only get longer). */
static void grow(struct linkmap *m)
{
	size_t n = m->nbuckets * 2;
	struct entry **buckets = calloc(n, sizeof(*buckets));

	if (!buckets)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct entry *e = m->buckets[b];

		while (e) {
			struct entry *next = e->next;

			e->next = buckets[e->hash % n];
			buckets[e->hash % n] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = buckets;
	m->nbuckets = n;
}

enum fa_err linkmap_put(struct linkmap *m, const char *url, const char *relpath)
{
	char *norm = NULL;
	struct entry *e;
	enum fa_err err = url_normalize(url, &norm);
	uint64_t hash;

	if (err != FA_OK)
		return err;
	hash = url_hash(norm);
	e = calloc(1, sizeof(*e));
	if (e)
		e->relpath = strdup(relpath);
	if (!e || !e->relpath) {
		free(e);
		free(norm);
		return FA_ERR_NOMEM;
	}
	e->url = norm;
	e->hash = hash;
	sync_lock(&m->lock);
	if (find(m, norm, hash)) {
		sync_unlock(&m->lock);
		free(e->url);
		free(e->relpath);
		free(e);
		return FA_OK; /* the first one stays */
	}
	if (m->count >= m->nbuckets)
		grow(m);
	e->next = m->buckets[hash % m->nbuckets];
	m->buckets[hash % m->nbuckets] = e;
	m->count++;
	sync_unlock(&m->lock);
	return FA_OK;
}

const char *linkmap_get(struct linkmap *m, const char *url)
{
	char *norm = NULL;
	const char *relpath = NULL;
	struct entry *e;

	if (url_normalize(url, &norm) != FA_OK)
		return NULL;
	sync_lock(&m->lock);
	e = find(m, norm, url_hash(norm));
	if (e)
		relpath = e->relpath;
	sync_unlock(&m->lock);
	free(norm);
	return relpath;
}

enum fa_err linkmap_add_page(struct linkmap *m, const char *relpath, const char *base_url,
			     const char *charset)
{
	struct page p = {strdup(relpath), strdup(base_url), charset ? strdup(charset) : NULL};
	enum fa_err err = FA_OK;

	if (!p.relpath || !p.base_url || (charset && !p.charset)) {
		free(p.relpath);
		free(p.base_url);
		free(p.charset);
		return FA_ERR_NOMEM;
	}
	sync_lock(&m->lock);
	if (m->npages == m->pages_cap) {
		size_t cap = m->pages_cap ? m->pages_cap * 2 : 64;
		struct page *pages = realloc(m->pages, cap * sizeof(*pages));

		if (pages) {
			m->pages = pages;
			m->pages_cap = cap;
		}
	}
	if (m->npages < m->pages_cap)
		m->pages[m->npages++] = p;
	else
		err = FA_ERR_NOMEM;
	sync_unlock(&m->lock);
	if (err != FA_OK) {
		free(p.relpath);
		free(p.base_url);
		free(p.charset);
	}
	return err;
}

size_t linkmap_pages(const struct linkmap *m)
{
	return m->npages;
}

void linkmap_page(const struct linkmap *m, size_t i, const char **relpath, const char **base_url,
		  const char **charset)
{
	*relpath = m->pages[i].relpath;
	*base_url = m->pages[i].base_url;
	*charset = m->pages[i].charset;
}
