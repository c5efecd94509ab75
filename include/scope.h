/*
 * scope: which discovered links a crawl follows (and, by its patterns
 * alone, which images and listed URLs are fetched).
 *
 * By default a crawl stays on its seeds' hosts.  --span-hosts lifts that;
 * --domains a,b allows those domains and their subdomains; --include and
 * --exclude are POSIX extended regular expressions matched against the
 * whole URL (a URL must match an --include, if any, and no --exclude);
 * --no-parent keeps the crawl at or below each seed's directory, like
 * wget -np.  Immutable once built, so workers query it without locks.
 */
#ifndef FA_SCOPE_H
#define FA_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct scope;

struct scope *scope_new(void);
void scope_free(struct scope *scope);

/* Building (before any worker starts; not thread-safe).  Each returns
 * FA_OK, FA_ERR_NOMEM, or FA_ERR_PARSE / FA_ERR_URL with errbuf saying
 * what is wrong with the argument. */
enum fa_err scope_add_seed(struct scope *scope, const char *url, char *errbuf, size_t errlen);
enum fa_err scope_add_domains(struct scope *scope, const char *comma_list, char *errbuf,
			      size_t errlen);
enum fa_err scope_add_include(struct scope *scope, const char *regex, char *errbuf, size_t errlen);
enum fa_err scope_add_exclude(struct scope *scope, const char *regex, char *errbuf, size_t errlen);
void scope_set_span_hosts(struct scope *scope, bool on);
void scope_set_no_parent(struct scope *scope, bool on);

/* True if a crawl may follow a link to url (host, parent and pattern
 * rules).  Thread-safe. */
bool scope_allows(const struct scope *scope, const char *url);

/* Only the --include/--exclude rules (for images, which may live on
 * other hosts, such as a CDN, and for the URLs of a list).  Thread-safe. */
bool scope_patterns_allow(const struct scope *scope, const char *url);

/* The same rules, saying why they refuse url: "not matched by --include"
 * or "excluded by --exclude" (static text), or NULL if they allow it.
 * Thread-safe. */
const char *scope_patterns_refusal(const struct scope *scope, const char *url);

#endif
