/*
 * scope: host, domain, parent-directory and pattern rules for a crawl.
 *
 * Hosts are compared lowercased, with the port ignored (wget's notion of
 * "the same site").  Parent rules keep, per seed, its URL up to the last
 * '/' of the path, compared as a prefix of the normalized URL.  Regular
 * expressions are compiled once (regcomp) and only read afterwards; POSIX
 * regexec() is thread-safe on a shared compiled pattern.
 */
#include "scope.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "url.h"

struct list {
	char **items;
	size_t count;
};

struct patterns {
	regex_t *items;
	size_t count;
};

struct scope {
	struct list hosts;   /* seed hosts, lowercase */
	struct list parents; /* seed directories, normalized URL prefixes */
	struct list domains; /* lowercase, no leading dot */
	struct patterns include, exclude;
	bool span_hosts, no_parent;
};

struct scope *scope_new(void)
{
	return calloc(1, sizeof(struct scope));
}

static void list_release(struct list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
}

static void patterns_release(struct patterns *p)
{
	for (size_t i = 0; i < p->count; i++)
		regfree(&p->items[i]);
	free(p->items);
}

void scope_free(struct scope *s)
{
	if (!s)
		return;
	list_release(&s->hosts);
	list_release(&s->parents);
	list_release(&s->domains);
	patterns_release(&s->include);
	patterns_release(&s->exclude);
	free(s);
}

/* Takes ownership of item (freed on failure). */
static enum fa_err list_add(struct list *l, char *item)
{
	char **p;

	if (!item)
		return FA_ERR_NOMEM;
	p = realloc(l->items, (l->count + 1) * sizeof(*p));
	if (!p) {
		free(item);
		return FA_ERR_NOMEM;
	}
	l->items = p;
	l->items[l->count++] = item;
	return FA_OK;
}

/* The URL's host, lowercased; caller frees.  NULL if none. */
static char *host_of(const char *url)
{
	CURLU *h = curl_url();
	char *host = NULL, *copy = NULL;

	if (!h)
		return NULL;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		copy = strdup(host);
		for (char *c = copy; c && *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	curl_free(host);
	curl_url_cleanup(h);
	return copy;
}

enum fa_err scope_add_seed(struct scope *s, const char *url, char *errbuf, size_t errlen)
{
	char *host = host_of(url), *norm = NULL;
	char *slash;
	struct url_split parts;
	enum fa_err err;

	if (!host) {
		snprintf(errbuf, errlen, "'%s' has no host", url);
		return FA_ERR_URL;
	}
	err = list_add(&s->hosts, host);
	if (err != FA_OK)
		return err;
	err = url_normalize(url, &norm);
	if (err != FA_OK) {
		snprintf(errbuf, errlen, "'%s' is not a URL", url);
		return err;
	}
	/* the directory: up to the last '/' of the path */
	if (url_split(norm, &parts))
		norm[parts.query] = '\0';
	slash = strrchr(norm, '/');
	if (slash)
		slash[1] = '\0';
	return list_add(&s->parents, norm);
}

enum fa_err scope_add_domains(struct scope *s, const char *comma_list, char *errbuf, size_t errlen)
{
	const char *p = comma_list;

	while (*p) {
		size_t n = strcspn(p, ",");
		const char *d = p;
		char *item;
		enum fa_err err;

		while (n > 0 && *d == '.')
			d++, n--;
		if (n == 0 || memchr(d, '/', n) || memchr(d, ' ', n)) {
			snprintf(errbuf, errlen, "--domains wants names like example.com, not '%s'",
				 comma_list);
			return FA_ERR_PARSE;
		}
		item = strndup(d, n);
		for (char *c = item; c && *c; c++)
			*c = (char)tolower((unsigned char)*c);
		err = list_add(&s->domains, item);
		if (err != FA_OK)
			return err;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return FA_OK;
}

static enum fa_err add_pattern(struct patterns *p, const char *regex, const char *opt, char *errbuf,
			       size_t errlen)
{
	regex_t *items = realloc(p->items, (p->count + 1) * sizeof(*items));
	int rc;

	if (!items)
		return FA_ERR_NOMEM;
	p->items = items;
	rc = regcomp(&p->items[p->count], regex, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[128];

		regerror(rc, &p->items[p->count], why, sizeof(why));
		snprintf(errbuf, errlen, "%s '%s': %s", opt, regex, why);
		return FA_ERR_PARSE;
	}
	p->count++;
	return FA_OK;
}

enum fa_err scope_add_include(struct scope *s, const char *regex, char *errbuf, size_t errlen)
{
	return add_pattern(&s->include, regex, "--include", errbuf, errlen);
}

enum fa_err scope_add_exclude(struct scope *s, const char *regex, char *errbuf, size_t errlen)
{
	return add_pattern(&s->exclude, regex, "--exclude", errbuf, errlen);
}

void scope_set_span_hosts(struct scope *s, bool on)
{
	s->span_hosts = on;
}

void scope_set_no_parent(struct scope *s, bool on)
{
	s->no_parent = on;
}

const char *scope_patterns_refusal(const struct scope *s, const char *url)
{
	bool included = s->include.count == 0;

	for (size_t i = 0; !included && i < s->include.count; i++)
		included = regexec(&s->include.items[i], url, 0, NULL, 0) == 0;
	if (!included)
		return "not matched by --include";
	for (size_t i = 0; i < s->exclude.count; i++)
		if (regexec(&s->exclude.items[i], url, 0, NULL, 0) == 0)
			return "excluded by --exclude";
	return NULL;
}

bool scope_patterns_allow(const struct scope *s, const char *url)
{
	return !scope_patterns_refusal(s, url);
}

static bool host_allowed(const struct scope *s, const char *host)
{
	size_t hl = strlen(host);

	for (size_t i = 0; i < s->domains.count; i++) {
		const char *d = s->domains.items[i];
		size_t dl = strlen(d);

		if (hl == dl ? !strcmp(host, d)
			     : hl > dl && host[hl - dl - 1] == '.' && !strcmp(host + hl - dl, d))
			return true;
	}
	if (s->span_hosts)
		return s->domains.count == 0;
	for (size_t i = 0; i < s->hosts.count; i++)
		if (!strcmp(host, s->hosts.items[i]))
			return true;
	return false;
}

bool scope_allows(const struct scope *s, const char *url)
{
	char *host = host_of(url);
	bool ok;

	if (!host)
		return false;
	ok = host_allowed(s, host);
	free(host);
	if (ok && s->no_parent) {
		char *norm = NULL;

		ok = false;
		if (url_normalize(url, &norm) == FA_OK) {
			for (size_t i = 0; !ok && i < s->parents.count; i++)
				ok = !strncmp(norm, s->parents.items[i],
					      strlen(s->parents.items[i]));
		}
		free(norm);
	}
	return ok && scope_patterns_allow(s, url);
}
