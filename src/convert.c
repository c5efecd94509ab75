/*
 * convert: a saved page's links pointed at the local copies.
 *
 * The page is parsed into libxml2's HTML tree (recovering, no network,
 * no implied elements added), every element is visited without recursion,
 * and each link attribute is resolved with libcurl's URL API against the
 * page's <base href> or its URL, looked up in the linkmap and replaced.
 * Then libxml2 serializes the tree.  Pages come in as saved, so the
 * charset is found as the crawl found it: valid UTF-8 is read as UTF-8,
 * anything else as its <meta> says.  No state; run on the main thread
 * after the crawl (libxml2's generic error handler is swapped meanwhile).
 */
#include "convert.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cancel.h"
#include "html.h"
#include "linkmap.h"
#include "pool.h"
#include "store.h"
#include "url.h"
#include "xmlload.h" /* last: it renames libxml2's functions */

/* Link attributes, on any element (libxml2 lowercases HTML names). */
static const char *const link_attrs[] = {"href", "src", "poster"};

struct conv {
	CURLU *base;
	const char *page_relpath;
	struct linkmap *map;
	size_t converted;
	bool nomem;
};

/* A growing string. */
struct buf {
	char *data;
	size_t len, cap;
};

static bool buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *data;

		while (cap < b->len + n + 1)
			cap *= 2;
		data = realloc(b->data, cap);
		if (!data)
			return false;
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

static bool keep_byte(unsigned char c)
{
	return url_unreserved(c) || (c && strchr("!$&'()*+,;=:@/", c));
}

enum fa_err convert_relative(const char *from, const char *to, char *out, size_t outlen)
{
	size_t common = 0, up = 0, n = 0;
	const char *rest;
	const char *colon, *slash;

	for (size_t k = 0; from[k] && to[k] && from[k] == to[k]; k++) {
		if (from[k] == '/')
			common = k + 1;
	}
	for (const char *p = from + common; *p; p++)
		up += *p == '/';
	rest = to + common;
	colon = strchr(rest, ':');
	slash = strchr(rest, '/');
	if (outlen == 0)
		return FA_ERR_TOO_LONG;
	out[0] = '\0';
	if (up == 0 && colon && (!slash || colon < slash)) {
		if (outlen < 3)
			return FA_ERR_TOO_LONG;
		memcpy(out, "./", 2);
		n = 2;
	}
	for (size_t i = 0; i < up; i++) {
		if (n + 3 >= outlen)
			return FA_ERR_TOO_LONG;
		memcpy(out + n, "../", 3);
		n += 3;
	}
	for (const unsigned char *p = (const unsigned char *)rest; *p; p++) {
		if (n + 3 >= outlen) {
			out[0] = '\0';
			return FA_ERR_TOO_LONG;
		}
		if (keep_byte(*p)) {
			out[n++] = (char)*p;
		} else {
			snprintf(out + n, 4, "%%%02X", *p);
			n += 3;
		}
	}
	out[n] = '\0';
	return FA_OK;
}

/* HTML's ASCII whitespace, which attribute URLs are stripped of. */
static bool html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool http_scheme(const char *scheme)
{
	return !strcmp(scheme, "http") || !strcmp(scheme, "https");
}

/*
 * The new value for one reference (a heap string), or NULL to keep it:
 * the local file's relative path when the map has the target, else the
 * absolute URL; NULL for other schemes, pure fragments and references
 * libcurl cannot resolve.
 */
static char *convert_ref(struct conv *cv, const char *ref, size_t len)
{
	char *trimmed, *abs = NULL, *scheme = NULL, *frag = NULL, *result = NULL;
	const char *target;
	CURLU *h;

	while (len > 0 && html_space(*ref)) {
		ref++;
		len--;
	}
	while (len > 0 && html_space(ref[len - 1]))
		len--;
	if (len == 0 || ref[0] == '#')
		return NULL;
	trimmed = strndup(ref, len);
	h = curl_url_dup(cv->base);
	if (!trimmed || !h) {
		cv->nomem = true;
		goto out;
	}
	if (curl_url_set(h, CURLUPART_URL, trimmed, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || !http_scheme(scheme) ||
	    curl_url_get(h, CURLUPART_URL, &abs, 0) != CURLUE_OK)
		goto out;
	target = linkmap_get(cv->map, abs);
	if (target) {
		char rel[4096];
		size_t size;

		if (convert_relative(cv->page_relpath, target, rel, sizeof(rel)) != FA_OK)
			goto out;
		if (curl_url_get(h, CURLUPART_FRAGMENT, &frag, 0) != CURLUE_OK)
			frag = NULL;
		size = strlen(rel) + (frag ? strlen(frag) + 1 : 0) + 1;
		result = malloc(size);
		if (result) {
			snprintf(result, size, "%s%s%s", rel, frag ? "#" : "", frag ? frag : "");
			cv->converted++;
		}
	} else {
		result = strdup(abs);
	}
	if (!result)
		cv->nomem = true;
out:
	curl_free(frag);
	curl_free(abs);
	curl_free(scheme);
	curl_url_cleanup(h);
	free(trimmed);
	return result;
}

/* A srcset with each candidate's URL (as html_srcset_next() finds it)
 * converted and every other byte kept.  A heap string or NULL on OOM. */
static char *convert_srcset(struct conv *cv, const char *v)
{
	struct buf b = {0};
	const char *p = v, *end = v + strlen(v), *kept = v, *url;
	size_t url_len;

	if (!buf_add(&b, "", 0))
		return NULL;
	while (html_srcset_next(&p, end, &url, &url_len)) {
		char *conv = convert_ref(cv, url, url_len);
		bool ok = buf_add(&b, kept, (size_t)(url - kept)) &&
			  buf_add(&b, conv ? conv : url, conv ? strlen(conv) : url_len);

		free(conv);
		if (!ok)
			goto fail;
		kept = url + url_len;
	}
	if (!buf_add(&b, kept, (size_t)(end - kept)))
		goto fail;
	return b.data;
fail:
	free(b.data);
	return NULL;
}

static void set_attr(xmlNodePtr node, const char *name, const char *value)
{
	xmlSetProp(node, (const xmlChar *)name, (const xmlChar *)value);
}

static void convert_element(struct conv *cv, xmlNodePtr node)
{
	xmlChar *v;
	char *conv;

	for (size_t i = 0; i < sizeof(link_attrs) / sizeof(link_attrs[0]); i++) {
		v = xmlGetProp(node, (const xmlChar *)link_attrs[i]);
		if (!v)
			continue;
		conv = convert_ref(cv, (const char *)v, strlen((const char *)v));
		if (conv)
			set_attr(node, link_attrs[i], conv);
		free(conv);
		xmlFree(v);
	}
	v = xmlGetProp(node, (const xmlChar *)"srcset");
	if (v) {
		conv = convert_srcset(cv, (const char *)v);
		if (conv)
			set_attr(node, "srcset", conv);
		else
			cv->nomem = true;
		free(conv);
		xmlFree(v);
	}
}

/* The next node in document order after n (NULL at the end). */
static xmlNodePtr next_node(xmlDocPtr doc, xmlNodePtr n)
{
	if (n->type == XML_ELEMENT_NODE && n->children)
		return n->children;
	while (n && !n->next) {
		n = n->parent;
		if (n == (xmlNodePtr)doc)
			return NULL;
	}
	return n ? n->next : NULL;
}

static bool is_element(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name &&
	       !xmlStrcasecmp(n->name, (const xmlChar *)name);
}

static size_t count_elements(xmlDocPtr doc)
{
	size_t n = 0;

	for (xmlNodePtr node = doc->children; node; node = next_node(doc, node))
		n += node->type == XML_ELEMENT_NODE;
	return n;
}

#define PARSE_OPTIONS                                                                        \
	(HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
	 HTML_PARSE_NOIMPLIED | HTML_PARSE_NODEFDTD)

/* Whether mem (size bytes, as libxml2 wrote doc) reads back with as many
 * elements as doc has.  libxml2's writer stops at a character its output
 * encoding cannot hold, and a page cut short must never replace the
 * whole one. */
static bool written_whole(xmlDocPtr doc, const xmlChar *mem, int size, const char *base_url)
{
	xmlDocPtr back = htmlReadMemory((const char *)mem, size, base_url, NULL, PARSE_OPTIONS);
	bool whole = back && count_elements(back) == count_elements(doc);

	if (back)
		xmlFreeDoc(back);
	return whole;
}

static void ignore_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

enum fa_err convert_page(const char *html, size_t len, const char *page_relpath,
			 const char *base_url, const char *charset, struct linkmap *map, char **out,
			 size_t *outlen, size_t *converted)
{
	struct conv cv = {.page_relpath = page_relpath, .map = map};
	xmlGenericErrorFunc saved_error;
	void *saved_ctx;
	const char *encoding = charset;
	xmlDocPtr doc;
	xmlChar *mem = NULL;
	int size = 0;
	enum fa_err err = FA_OK;
	bool base_done = false;

	*out = NULL;
	*outlen = 0;
	*converted = 0;
	if (xmlload_need() != FA_OK)
		return FA_ERR_PARSE;
	saved_error = xmlGenericError;
	saved_ctx = xmlGenericErrorContext;
	if (len > INT_MAX)
		return FA_ERR_TOO_LONG;
	cv.base = curl_url();
	if (!cv.base)
		return FA_ERR_NOMEM;
	if (curl_url_set(cv.base, CURLUPART_URL, base_url, 0) != CURLUE_OK) {
		curl_url_cleanup(cv.base);
		return FA_ERR_URL;
	}
	{
		char *z = strndup(html, len);

		if (!z) {
			curl_url_cleanup(cv.base);
			return FA_ERR_NOMEM;
		}
		if (!encoding && strlen(z) == len && xmlCheckUTF8((const unsigned char *)z))
			encoding = "UTF-8";
		free(z);
	}
	xmlSetGenericErrorFunc(NULL, ignore_error);
	doc = htmlReadMemory(html, (int)len, base_url, encoding, PARSE_OPTIONS);
	if (!doc) {
		xmlSetGenericErrorFunc(saved_ctx, saved_error);
		curl_url_cleanup(cv.base);
		return FA_ERR_PARSE;
	}
	for (xmlNodePtr n = doc->children; n; n = next_node(doc, n)) {
		if (!is_element(n, "base"))
			continue;
		/* The first <base href> is what links resolve against; it goes,
		 * since the converted links must not. */
		if (!base_done) {
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");

			if (href) {
				CURLU *b = curl_url_dup(cv.base);

				if (b && curl_url_set(b, CURLUPART_URL, (const char *)href, 0) ==
					     CURLUE_OK) {
					curl_url_cleanup(cv.base);
					cv.base = b;
				} else {
					curl_url_cleanup(b);
				}
				xmlFree(href);
				base_done = true;
			}
		}
		xmlUnsetProp(n, (const xmlChar *)"href");
	}
	for (xmlNodePtr n = doc->children; n; n = next_node(doc, n)) {
		if (n->type == XML_ELEMENT_NODE && !is_element(n, "base"))
			convert_element(&cv, n);
	}
	htmlDocDumpMemoryFormat(doc, &mem, &size, 0);
	if (cv.nomem || !mem || size < 0)
		err = FA_ERR_NOMEM;
	else if (!written_whole(doc, mem, size, base_url))
		err = FA_ERR_PARSE;
	xmlSetGenericErrorFunc(saved_ctx, saved_error);
	if (err == FA_OK) {
		*out = malloc((size_t)size + 1);
		if (!*out) {
			err = FA_ERR_NOMEM;
		} else {
			memcpy(*out, mem, (size_t)size);
			(*out)[size] = '\0';
			*outlen = (size_t)size;
			*converted = cv.converted;
		}
	}
	xmlFree(mem);
	xmlFreeDoc(doc);
	curl_url_cleanup(cv.base);
	return err;
}

/* convert_saved_pages()' shared state: pool threads take pages by index. */
struct pass {
	struct linkmap *map;
	struct store *store;
	size_t max_page_size;
	FILE *err;
	struct convert_totals *totals;
};

/* Converts page i and replaces it; says why not on pass->err. */
static void convert_one(void *arg, size_t i)
{
	struct pass *ps = arg;
	const char *relpath, *base, *charset;
	char *data = NULL, *out = NULL;
	size_t len = 0, outlen = 0, converted = 0;
	enum fa_err err;

	if (cancel_requested())
		return;
	linkmap_page(ps->map, i, &relpath, &base, &charset);
	err = store_read(ps->store, relpath, ps->max_page_size, &data, &len);
	if (err != FA_OK) {
		if (ps->err)
			fprintf(ps->err, "fetchall: converting links in '%s': %s; left as it is\n",
				relpath,
				err == FA_ERR_TOO_LONG ? "larger than --max-page-size"
				: err == FA_ERR_IO     ? strerror(errno)
						       : fa_strerror(err));
		return;
	}
	err = convert_page(data, len, relpath, base, charset, ps->map, &out, &outlen, &converted);
	if (err == FA_OK)
		err = store_rewrite(ps->store, relpath, out, outlen);
	if (err != FA_OK && ps->err)
		fprintf(ps->err, "fetchall: converting links in '%s': %s; left as it is\n", relpath,
			err == FA_ERR_IO ? strerror(errno) : fa_strerror(err));
	if (err == FA_OK) {
		atomic_fetch_add(&ps->totals->done, 1);
		atomic_fetch_add(&ps->totals->links, converted);
	}
	free(data);
	free(out);
}

void convert_saved_pages(struct pool *pool, unsigned width, struct linkmap *map,
			 struct store *store, size_t max_page_size, FILE *err,
			 struct convert_totals *totals)
{
	struct pass ps = {map, store, max_page_size, err, totals};

	totals->pages = linkmap_pages(map);
	atomic_store(&totals->done, 0);
	atomic_store(&totals->links, 0);
	pool_each(pool, width, totals->pages, convert_one, &ps);
}
