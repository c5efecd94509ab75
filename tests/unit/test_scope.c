/*
 * Unit tests for scope: which links a crawl follows.
 *
 * Each test builds a scope from a small spec (seeds, domains, patterns,
 * flags) and runs a table of (URL, allowed?) through scope_allows() and,
 * where it matters, scope_patterns_allow().  A last test shares one scope
 * between 1, 2 and 8 threads, repeated: workers only count mismatches and
 * the test thread asserts after joining them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "scope.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct spec {
	const char *seeds[4];
	const char *domains; /* NULL: none */
	const char *includes[3];
	const char *excludes[3];
	bool span_hosts, no_parent;
};

struct verdict {
	const char *url;
	bool allowed;
};

static struct scope *build(const struct spec *sp)
{
	struct scope *s = scope_new();
	char err[256] = "";

	assert_non_null(s);
	for (size_t i = 0; i < ARRAY_LEN(sp->seeds) && sp->seeds[i]; i++)
		assert_int_equal(scope_add_seed(s, sp->seeds[i], err, sizeof(err)), FA_OK);
	if (sp->domains)
		assert_int_equal(scope_add_domains(s, sp->domains, err, sizeof(err)), FA_OK);
	for (size_t i = 0; i < ARRAY_LEN(sp->includes) && sp->includes[i]; i++)
		assert_int_equal(scope_add_include(s, sp->includes[i], err, sizeof(err)), FA_OK);
	for (size_t i = 0; i < ARRAY_LEN(sp->excludes) && sp->excludes[i]; i++)
		assert_int_equal(scope_add_exclude(s, sp->excludes[i], err, sizeof(err)), FA_OK);
	scope_set_span_hosts(s, sp->span_hosts);
	scope_set_no_parent(s, sp->no_parent);
	return s;
}

/* Runs the table; prints every wrong verdict, then fails if any. */
static void check(const struct spec *sp, const struct verdict *v, size_t n)
{
	struct scope *s = build(sp);
	size_t wrong = 0;

	for (size_t i = 0; i < n; i++) {
		bool got = scope_allows(s, v[i].url);

		if (got != v[i].allowed) {
			print_message("seed %s: scope_allows(\"%s\") = %d, want %d\n", sp->seeds[0],
				      v[i].url, got, v[i].allowed);
			wrong++;
		}
	}
	scope_free(s);
	assert_int_equal(wrong, 0);
}

static void test_scope_free_accepts_null(void **state)
{
	(void)state;
	scope_free(NULL);
}

static void test_scope_seed_host_only_by_default(void **state)
{
	static const struct spec sp = {.seeds = {"http://Example.com:8080/docs/index.html"}};
	static const struct verdict v[] = {
	    {"http://example.com:8080/docs/a.html", true},
	    {"http://example.com/other/", true},       /* port ignored */
	    {"https://example.com:443/x", true},       /* scheme and port ignored */
	    {"HTTP://EXAMPLE.COM/upper", true},        /* case */
	    {"http://user:pw@example.com/cred", true}, /* user-info is not the host */
	    {"http://other.com/", false},
	    {"http://www.example.com/", false}, /* a subdomain is another host */
	    {"http://example.com.evil.net/", false},
	    {"http://badexample.com/", false},
	    {"http://example.co/", false},
	    {"not a url", false},
	    {"", false},
	};
	static const struct spec ip = {.seeds = {"http://localhost:8000/"}};
	static const struct verdict vip[] = {
	    {"http://localhost:9000/x", true},
	    /* another name for the same address is another host */
	    {"http://127.0.0.1:8000/", false},
	    {"http://[::1]:8000/", false},
	};
	static const struct spec two = {.seeds = {"http://a.test/", "https://b.test/x/"}};
	static const struct verdict vtwo[] = {
	    {"http://a.test/1", true},
	    {"http://b.test/2", true},
	    {"http://c.test/3", false},
	};

	(void)state;
	check(&sp, v, ARRAY_LEN(v));
	check(&ip, vip, ARRAY_LEN(vip));
	check(&two, vtwo, ARRAY_LEN(vtwo));
}

static void test_scope_bad_seed(void **state)
{
	static const char *const bad[] = {"not a url", "file:///etc/passwd", "http://"};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct scope *s = scope_new();
		char err[256] = "";

		assert_non_null(s);
		assert_int_equal(scope_add_seed(s, bad[i], err, sizeof(err)), FA_ERR_URL);
		assert_non_null(strstr(err, bad[i]));
		scope_free(s);
	}
}

static void test_scope_span_hosts(void **state)
{
	static const struct spec sp = {.seeds = {"http://example.com/"}, .span_hosts = true};
	static const struct verdict v[] = {
	    {"http://example.com/", true},
	    {"http://other.com/", true},
	    {"https://10.0.0.1:8443/x", true},
	    {"not a url", false},
	};

	(void)state;
	check(&sp, v, ARRAY_LEN(v));
}

static void test_scope_domains(void **state)
{
	static const struct spec sp = {.seeds = {"http://seed.test/"},
				       .domains = "example.com,.Other.ORG"};
	static const struct verdict v[] = {
	    {"http://seed.test/", true}, /* the seed's host still */
	    {"http://example.com/", true},     {"http://EXAMPLE.com:81/", true},
	    {"http://www.example.com/", true}, {"http://a.b.example.com/x", true},
	    {"http://other.org/", true},       {"http://x.other.org/", true},
	    {"http://badexample.com/", false}, /* a suffix, not a subdomain */
	    {"http://notexample.com/", false}, {"http://example.com.evil.net/", false},
	    {"http://example.co/", false},     {"http://com/", false},
	    {"http://xother.org/", false},     {"http://unrelated.test/", false},
	};
	/* with --span-hosts, --domains is what limits the span */
	static const struct spec span = {
	    .seeds = {"http://seed.test/"}, .domains = "example.com", .span_hosts = true};
	static const struct verdict vspan[] = {
	    {"http://www.example.com/", true},
	    {"http://badexample.com/", false},
	    {"http://unrelated.test/", false},
	};

	(void)state;
	check(&sp, v, ARRAY_LEN(v));
	check(&span, vspan, ARRAY_LEN(vspan));
}

static void test_scope_bad_domains(void **state)
{
	static const char *const bad[] = {"a.com,,b.com", "example.com/path", "exa mple.com", ".",
					  ",a.com"};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct scope *s = scope_new();
		char err[256] = "";

		assert_non_null(s);
		assert_int_equal(scope_add_domains(s, bad[i], err, sizeof(err)), FA_ERR_PARSE);
		assert_non_null(strstr(err, bad[i]));
		scope_free(s);
	}
}

static void test_scope_include_exclude(void **state)
{
	static const struct spec sp = {.seeds = {"http://h.test/"},
				       .includes = {"\\.html?$", "/docs/"},
				       .excludes = {"/private/", "[?&]session="}};
	static const struct verdict v[] = {
	    {"http://h.test/a.html", true},
	    {"http://h.test/a.htm", true},
	    {"http://h.test/docs/img.png", true}, /* the second include */
	    {"http://h.test/a.png", false},       /* no include matches */
	    {"http://h.test/private/a.html", false},
	    {"http://h.test/docs/private/x", false},
	    {"http://h.test/a.html?session=1", false}, /* include is anchored at $ */
	    {"http://h.test/docs/?a=1&session=2", false},
	    {"http://other.test/a.html", false}, /* host rules still apply */
	};

	(void)state;
	check(&sp, v, ARRAY_LEN(v));
}

static void test_scope_bad_regex(void **state)
{
	static const struct {
		const char *regex;
		bool include;
		const char *opt;
	} cases[] = {
	    {"(", true, "--include"},       {"[a-", true, "--include"},
	    {"a{2,1}", false, "--exclude"}, {"(a|b", false, "--exclude"},
	    {"x\\", false, "--exclude"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct scope *s = scope_new();
		char err[256] = "";
		enum fa_err got;

		assert_non_null(s);
		assert_int_equal(scope_add_seed(s, "http://h.test/", err, sizeof(err)), FA_OK);
		got = cases[i].include ? scope_add_include(s, cases[i].regex, err, sizeof(err))
				       : scope_add_exclude(s, cases[i].regex, err, sizeof(err));
		assert_int_equal(got, FA_ERR_PARSE);
		assert_non_null(strstr(err, cases[i].opt));
		assert_non_null(strstr(err, cases[i].regex));
		/* the failed pattern left nothing behind */
		assert_true(scope_allows(s, "http://h.test/x"));
		scope_free(s);
	}
}

static void test_scope_no_parent(void **state)
{
	static const struct spec sp = {.seeds = {"http://h.test/a/b/index.html?next=/q/"},
				       .no_parent = true};
	static const struct verdict v[] = {
	    {"http://h.test/a/b/", true},
	    {"http://h.test/a/b/index.html", true},
	    {"http://h.test/a/b/other.html?x=1", true},
	    {"http://h.test/a/b/c/d/e.html", true},
	    {"http://H.TEST/a/b/./c", true},
	    {"http://h.test:80/a/b/c", true},
	    {"http://h.test/a/", false}, /* the parent */
	    {"http://h.test/a", false},
	    {"http://h.test/", false},
	    {"http://h.test/a/bc/", false}, /* a sibling sharing a prefix */
	    {"http://h.test/a/c/x.html", false},
	    {"http://h.test/a/b/../c/x", false}, /* normalised: /a/c/x */
	    {"http://h.test/q/", false},         /* the seed's query is no directory */
	    {"http://h.test/q/x", false},
	    {"http://other.test/a/b/", false},
	};
	/* each seed keeps its own directory */
	static const struct spec two = {.seeds = {"http://h.test/x/", "http://h.test/y/z"},
					.no_parent = true};
	static const struct verdict vtwo[] = {
	    {"http://h.test/x/1", true},
	    {"http://h.test/y/2", true},
	    {"http://h.test/w/3", false},
	};
	/* a seed at the root: the whole host */
	static const struct spec root = {.seeds = {"http://h.test"}, .no_parent = true};
	static const struct verdict vroot[] = {
	    {"http://h.test/", true},
	    {"http://h.test/any/thing", true},
	    {"http://o.test/", false},
	};

	(void)state;
	check(&sp, v, ARRAY_LEN(v));
	check(&two, vtwo, ARRAY_LEN(vtwo));
	check(&root, vroot, ARRAY_LEN(vroot));
}

static void test_scope_patterns_allow_ignores_hosts(void **state)
{
	static const struct spec sp = {.seeds = {"http://h.test/a/"},
				       .includes = {"\\.(jpg|png)$"},
				       .excludes = {"/ads/"},
				       .no_parent = true};
	static const struct {
		const char *url;
		bool allows, patterns;
		const char *refusal; /* scope_patterns_refusal()'s reason */
	} cases[] = {
	    {"http://cdn.other.net/img/x.jpg", false, true, NULL},
	    {"http://h.test/b/x.png", false, true, NULL}, /* no-parent is a host-side rule */
	    {"http://h.test/a/x.png", true, true, NULL},
	    {"http://cdn.other.net/ads/x.jpg", false, false, "excluded by --exclude"},
	    {"http://cdn.other.net/x.gif", false, false, "not matched by --include"},
	};
	struct scope *s = build(&sp);
	struct scope *none = scope_new();

	(void)state;
	assert_non_null(none);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(scope_allows(s, cases[i].url), cases[i].allows);
		assert_int_equal(scope_patterns_allow(s, cases[i].url), cases[i].patterns);
		if (cases[i].refusal)
			assert_string_equal(scope_patterns_refusal(s, cases[i].url),
					    cases[i].refusal);
		else
			assert_null(scope_patterns_refusal(s, cases[i].url));
		/* no patterns: everything passes them */
		assert_true(scope_patterns_allow(none, cases[i].url));
	}
	scope_free(none);
	scope_free(s);
}

/* ---- shared between threads --------------------------------------------- */

static const struct spec shared_spec = {.seeds = {"http://h.test/a/"},
					.domains = "example.com",
					.includes = {"\\.html$", "/$"},
					.excludes = {"/private/"},
					.no_parent = false};
static const struct verdict shared_verdicts[] = {
    {"http://h.test/a/x.html", true},        {"http://www.example.com/", true},
    {"http://badexample.com/", false},       {"http://h.test/a/private/x.html", false},
    {"http://h.test/a/x.png", false},        {"http://other.test/x.html", false},
    {"http://sub.example.com/y.html", true},
};

struct reader {
	const struct scope *scope;
	unsigned rounds;
	atomic_uint *wrong;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	for (unsigned k = 0; k < r->rounds; k++)
		for (size_t i = 0; i < ARRAY_LEN(shared_verdicts); i++)
			if (scope_allows(r->scope, shared_verdicts[i].url) !=
			    shared_verdicts[i].allowed)
				atomic_fetch_add(r->wrong, 1);
	return NULL;
}

static void test_scope_shared_by_threads(void **state)
{
	static const unsigned thread_counts[] = {1, 2, 8};
	enum { REPEAT = 3, ROUNDS = 200 };

	(void)state;
	for (size_t t = 0; t < ARRAY_LEN(thread_counts); t++) {
		for (unsigned rep = 0; rep < REPEAT; rep++) {
			struct scope *s = build(&shared_spec);
			atomic_uint wrong = 0;
			struct reader r = {s, ROUNDS, &wrong};
			pthread_t threads[8];

			for (unsigned i = 0; i < thread_counts[t]; i++)
				assert_int_equal(pthread_create(&threads[i], NULL, reader_main, &r),
						 0);
			for (unsigned i = 0; i < thread_counts[t]; i++)
				assert_int_equal(pthread_join(threads[i], NULL), 0);
			assert_int_equal(atomic_load(&wrong), 0);
			scope_free(s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scope_free_accepts_null),
	    cmocka_unit_test(test_scope_seed_host_only_by_default),
	    cmocka_unit_test(test_scope_bad_seed),
	    cmocka_unit_test(test_scope_span_hosts),
	    cmocka_unit_test(test_scope_domains),
	    cmocka_unit_test(test_scope_bad_domains),
	    cmocka_unit_test(test_scope_include_exclude),
	    cmocka_unit_test(test_scope_bad_regex),
	    cmocka_unit_test(test_scope_no_parent),
	    cmocka_unit_test(test_scope_patterns_allow_ignores_hosts),
	    cmocka_unit_test(test_scope_shared_by_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
