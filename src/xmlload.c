/*
 * xmlload: see xmlload.h.  One pthread_once: dlopen, one dlsym per
 * function (a missing one fails the whole load: a libxml2 too old to
 * trust), then xmlInitParser().  The table is written only inside the
 * once routine, so every reader after pthread_once sees it whole.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "xmlload.h"

#define XMLLOAD_SONAME "libxml2.so.2"

struct xmlload_table xmlload_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char why[256];

/* The real names, before xmlload.h's macros: "#name" of a macro argument
 * is not expanded, so XMLLOAD_FUNCTIONS gives the plain names. */
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
#define XMLLOAD_SYMBOL(name) {#name, offsetof(struct xmlload_table, p_##name)},
    XMLLOAD_FUNCTIONS(XMLLOAD_SYMBOL)
#undef XMLLOAD_SYMBOL
	{"xmlFree", offsetof(struct xmlload_table, v_xmlFree)},
};

static void load(void)
{
	void *lib = dlopen(XMLLOAD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(why, sizeof(why), "cannot load %s: %s", XMLLOAD_SONAME, dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *sym = dlsym(lib, symbols[i].name);

		if (!sym) {
			snprintf(why, sizeof(why), "%s has no %s", XMLLOAD_SONAME, symbols[i].name);
			dlclose(lib);
			memset(&xmlload_fn, 0, sizeof(xmlload_fn));
			return;
		}
		/* POSIX: a function's address fits a void * and back */
		memcpy((char *)&xmlload_fn + symbols[i].offset, &sym, sizeof(sym));
	}
	xmlInitParser();
	loaded = true; /* the library stays open for the life of the process */
}

enum fa_err xmlload_need(void)
{
	pthread_once(&once, load);
	return loaded ? FA_OK : FA_ERR_IO;
}

const char *xmlload_error(void)
{
	return why;
}

void xmlload_release(void)
{
	if (loaded)
		xmlCleanupParser();
}
