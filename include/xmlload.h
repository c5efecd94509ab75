/*
 * xmlload: libxml2, loaded (dlopen) when a run parses HTML, not at start.
 *
 * libxml2 on Debian brings ICU and libstdc++ with it, about 3 MB of
 * resident pages before it parses a byte (bench/memory), and a list run
 * never parses.  So fetchall is not linked against it: the first
 * xmlload_need() opens libxml2.so.2, resolves every function fetchall
 * calls into one table, and runs xmlInitParser(); main calls it on the
 * main thread before any other starts in the modes that parse (libxml2
 * wants its initialisation there), and the parsers call it again, which
 * then costs one pthread_once.
 *
 * Include this header instead of libxml2's, and after every other
 * header: it includes libxml2's own, then turns each function fetchall
 * uses into the table's pointer by a macro, so html.c and convert.c read
 * as plain libxml2 code.
 */
#ifndef FA_XMLLOAD_H
#define FA_XMLLOAD_H

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/encoding.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#include "err.h"

/* X(name) for every libxml2 function fetchall calls. */
#define XMLLOAD_FUNCTIONS(X)          \
	X(htmlCreateMemoryParserCtxt) \
	X(htmlCtxtUseOptions)         \
	X(htmlDocDumpMemoryFormat)    \
	X(htmlFreeParserCtxt)         \
	X(htmlParseDocument)          \
	X(htmlReadMemory)             \
	X(xmlCheckUTF8)               \
	X(xmlCleanupParser)           \
	X(xmlDetectCharEncoding)      \
	X(xmlFreeDoc)                 \
	X(xmlGetProp)                 \
	X(xmlInitParser)              \
	X(xmlSetGenericErrorFunc)     \
	X(xmlSetProp)                 \
	X(xmlStrcasecmp)              \
	X(xmlSwitchEncoding)          \
	X(xmlUnsetProp)               \
	X(__xmlGenericError)          \
	X(__xmlGenericErrorContext)

struct xmlload_table {
#define XMLLOAD_MEMBER(name) __typeof__(name) *p_##name;
	XMLLOAD_FUNCTIONS(XMLLOAD_MEMBER)
#undef XMLLOAD_MEMBER
	xmlFreeFunc *v_xmlFree; /* a variable of libxml2's, not a function */
};

/* Filled once by xmlload_need(); read only after it returned FA_OK. */
extern struct xmlload_table xmlload_fn;

/*
 * Loads libxml2 and initialises it, once per process.  Returns FA_OK, or
 * FA_ERR_IO (every later call too) with xmlload_error() saying why.
 * Thread-safe.
 */
enum fa_err xmlload_need(void);

/* Why loading failed, one line; "" if it did not. */
const char *xmlload_error(void);

/* xmlCleanupParser() if libxml2 was loaded.  Call at exit, after every
 * thread that parsed is gone. */
void xmlload_release(void);

/* The calls in fetchall's code go through the table. */
#define htmlCreateMemoryParserCtxt xmlload_fn.p_htmlCreateMemoryParserCtxt
#define htmlCtxtUseOptions         xmlload_fn.p_htmlCtxtUseOptions
#define htmlDocDumpMemoryFormat    xmlload_fn.p_htmlDocDumpMemoryFormat
#define htmlFreeParserCtxt         xmlload_fn.p_htmlFreeParserCtxt
#define htmlParseDocument          xmlload_fn.p_htmlParseDocument
#define htmlReadMemory             xmlload_fn.p_htmlReadMemory
#define xmlCheckUTF8               xmlload_fn.p_xmlCheckUTF8
#define xmlCleanupParser           xmlload_fn.p_xmlCleanupParser
#define xmlDetectCharEncoding      xmlload_fn.p_xmlDetectCharEncoding
#define xmlFreeDoc                 xmlload_fn.p_xmlFreeDoc
#define xmlGetProp                 xmlload_fn.p_xmlGetProp
#define xmlInitParser              xmlload_fn.p_xmlInitParser
#define xmlSetGenericErrorFunc     xmlload_fn.p_xmlSetGenericErrorFunc
#define xmlSetProp                 xmlload_fn.p_xmlSetProp
#define xmlStrcasecmp              xmlload_fn.p_xmlStrcasecmp
#define xmlSwitchEncoding          xmlload_fn.p_xmlSwitchEncoding
#define xmlUnsetProp               xmlload_fn.p_xmlUnsetProp
#undef xmlFree
#define xmlFree (*xmlload_fn.v_xmlFree)
#undef xmlGenericError
#define xmlGenericError (*(xmlload_fn.p___xmlGenericError()))
#undef xmlGenericErrorContext
#define xmlGenericErrorContext (*(xmlload_fn.p___xmlGenericErrorContext()))

#endif
