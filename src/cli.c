/*
 * cli: the command line, from one table of options.
 *
 * Every option is one row of options[] below: its long name (and alias),
 * its letter, what its value is and where in struct fa_opts it goes, its
 * default and range, its --help lines and section, the modes it does
 * something in, and whether --compare's child runs get it.  Parsing,
 * --help, the man page (--help-man), the bash and zsh completions
 * (--help-bash-completion, --help-zsh-completion), the checks of modes and
 * cli_job_args() all read that table, so adding an option is adding a row.
 *
 * Parsing is a loop of its own with getopt_long's rules: options and
 * operands in any order (operands keep theirs; with POSIXLY_CORRECT set
 * the first operand ends the options), "--" ends the options,
 * "--name=value" or "--name value", an optional value only after "=", a
 * long name cut to any prefix that names one option (hidden options only
 * in full), letters clustered ("-xc") and a letter's value attached
 * ("-j16") or next.  Owning the loop lets an error name the very word
 * that was wrong, and keeps no state between calls.
 *
 * Option names follow the tools fetchall's users know: -j like aria2c and
 * make, -o/-x/-c/-i/-U/-H/-q like wget and curl, --speed-limit/-time,
 * --max-redirs, --max-filesize and --connect-timeout like curl;
 * --user/--password/--ask-password (and their --http-* aliases) and
 * --referer like wget, -u USER:PASS, --netrc, --location-trusted,
 * --proxy, --no-proxy and -4/-6 like curl.  Every
 * number goes through one checked parser (strtoll with end pointer, errno
 * and range); a bad value is a usage error naming the option.
 *
 * Nothing here is threaded or keeps state: thread-safe, except
 * cli_credentials(), which main calls before any thread starts: it may
 * ask for a password on the terminal (with a signal handler of its own
 * for that while) and takes FETCHALL_PASSWORD out of the environment.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <libxml/xmlversion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

/* A growing argv for cli_job_args(); `failed` once memory ran out. */
struct args {
	char **items;
	size_t count;
	bool failed;
};

/* How an option's value is read and stored.  Numbers of every kind carry
 * their range (min, max) and default (def) in the row; T_MS and T_S read
 * seconds with a fraction, T_SIZE and T_SIZE_LONG sizes with k, M, G. */
enum opt_type {
	T_FLAG,      /* no value: a bool set true */
	T_UINT,      /* a whole number into an unsigned */
	T_LONG,      /* ... into a long */
	T_ULLONG,    /* ... into an unsigned long long */
	T_MS,        /* seconds into a long of milliseconds */
	T_S,         /* seconds into a long of seconds, rounded up */
	T_SIZE,      /* a size into a long long of bytes */
	T_SIZE_LONG, /* ... into a long */
	T_STRING,    /* a const char *, borrowed from argv */
	T_LIST,      /* repeatable: appended to a const char ** and its count */
	T_CUSTOM,    /* the row's parse() and emit() */
	T_ACTION,    /* prints with act() and exits: --help, --version */
};

enum opt_value {
	V_NONE,     /* --name */
	V_REQUIRED, /* --name=X, --name X, -aX, -a X */
	V_OPTIONAL, /* --name or --name=X */
};

/*
 * Modes, and the few options others need or clash with.  Giving an option
 * turns its row's `mode` bit on; a row's `needs` are modes of which one
 * must be on (else the option would do nothing), its `excludes` modes
 * that must be off.
 */
enum mode {
	M_CRAWL = 1 << 0,
	M_IMAGES = 1 << 1,
	M_REQUISITES = 1 << 2,
	M_COMPARE = 1 << 3,
	M_CONTINUE = 1 << 4,
	M_NO_CLOBBER = 1 << 5,
	M_QUIET = 1 << 6,
	M_VERBOSE = 1 << 7,
	M_WAIT = 1 << 8,
	M_OUTPUT_DOC = 1 << 9,   /* -O FILE */
	M_OUTPUT_DIR = 1 << 10,  /* -o DIR */
	M_TREE = 1 << 11,        /* -x */
	M_DISPOSITION = 1 << 12, /* -J */
	M_USER = 1 << 13,
	M_PASSWORD = 1 << 14,
	M_INET4 = 1 << 15,
	M_SPIDER = 1 << 16,
	M_REDIS = 1 << 17,
	M_ENQUEUE = 1 << 18,
	M_STATUS = 1 << 19,
};

/* Pages are parsed: with --crawl, --images or -p. */
#define M_PAGES (M_CRAWL | M_IMAGES | M_REQUISITES)

enum opt_flags {
	F_JOB = 1 << 0,    /* shapes the job: --compare's child runs get it */
	F_HIDDEN = 1 << 1, /* not in --help or the man page; only in full */
	F_ONCE = 1 << 2,   /* may be given once */
	F_INF = 1 << 3,    /* T_UINT: "inf" is UINT_MAX */
	F_NOCTL = 1 << 4,  /* T_STRING: no control characters (it goes into
			      a request header, where a line break would
			      start another) */
	F_SECRET = 1 << 5, /* its value may hold a password: never repeated
			      in a message */
};

enum section {
	SEC_IO,
	SEC_CONCURRENCY,
	SEC_PAGES,
	SEC_CRAWL,
	SEC_COMPARE,
	SEC_HTTP,
	SEC_AUTH,
	SEC_TIMEOUTS,
	SEC_INFO,
	SEC_COUNT,
};

static const char *const section_titles[SEC_COUNT] = {
    "Input and output",
    "Concurrency",
    "Pages and images",
    "Crawling",
    "Comparing concurrency levels",
    "HTTP",
    "Authentication and proxies",
    "Timeouts and retries",
    NULL, /* --help and --version: no heading in --help */
};

struct cli_option {
	const char *name;  /* the long name */
	const char *alias; /* another long name, or NULL */
	char letter;       /* the short option, or 0 */
	enum opt_type type;
	enum opt_value value; /* T_CUSTOM's; the others follow from the type */
	size_t off;           /* the field in struct fa_opts */
	size_t count_off;     /* T_LIST: its count */
	long long min, max;   /* numbers and sizes: the range */
	long long def;        /* numbers: the default (ms for T_MS, bytes for sizes) */
	const char *def_str;  /* T_STRING: the default */
	/* T_CUSTOM: reads a value (NULL: none given) into o; FA_ERR_PARSE
	 * (not a value this option takes) or FA_ERR_NOMEM */
	enum fa_err (*parse)(const char *arg, struct fa_opts *o);
	/* T_CUSTOM with F_JOB: adds the option to a, if o has it */
	void (*emit)(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
	void (*act)(FILE *out);   /* T_ACTION */
	const char *metavar;      /* the value in --help: "N", "SIZE" */
	const char *wants;        /* what a bad value is told to be; NULL: the type's */
	enum section section;     /* where in --help and the man page */
	const char *help;         /* its --help lines, '\n' between */
	unsigned mode;            /* the M_ bit it turns on, or 0 */
	unsigned needs, excludes; /* M_ bits */
	unsigned flags;           /* F_ bits */
};

/*
 * A row's type and field together, the field's C type checked at compile
 * time: _Generic with no match for the field's type does not compile.
 */
#define FIELD(f, ctype)                      \
	.off = offsetof(struct fa_opts, f) + \
	       0 * sizeof(_Generic(((struct fa_opts *)0)->f, ctype : 1))
#define FLAG(f)      .type = T_FLAG, FIELD(f, bool)
#define UINT(f)      .type = T_UINT, FIELD(f, unsigned)
#define LONG(f)      .type = T_LONG, FIELD(f, long)
#define ULLONG(f)    .type = T_ULLONG, FIELD(f, unsigned long long)
#define MS(f)        .type = T_MS, FIELD(f, long)
#define SECONDS(f)   .type = T_S, FIELD(f, long)
#define SIZE(f)      .type = T_SIZE, FIELD(f, long long), .max = LLONG_MAX
#define SIZE_LONG(f) .type = T_SIZE_LONG, FIELD(f, long), .max = LONG_MAX
#define STRING(f)    .type = T_STRING, FIELD(f, const char *)
#define LIST(f, n)                                 \
	.type = T_LIST, FIELD(f, const char **),   \
	.count_off = offsetof(struct fa_opts, n) + \
		     0 * sizeof(_Generic(((struct fa_opts *)0)->n, size_t : 1))

static enum fa_err parse_header(const char *arg, struct fa_opts *o);
static void emit_header(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
static enum fa_err parse_throttle(const char *arg, struct fa_opts *o);
static enum fa_err parse_multiplex(const char *arg, struct fa_opts *o);
static void emit_multiplex(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
static void emit_throttle(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
static enum fa_err parse_shard(const char *arg, struct fa_opts *o);
static void emit_shard(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
static enum fa_err parse_compare(const char *arg, struct fa_opts *o);
static enum fa_err parse_cookie(const char *arg, struct fa_opts *o);
static void emit_cookie(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
static enum fa_err parse_proxy(const char *arg, struct fa_opts *o);
static void emit_proxy(struct args *a, const struct cli_option *opt, const struct fa_opts *o);
static void print_help(FILE *out);
static void print_version(FILE *out);
static void print_man(FILE *out);
static void print_bash_completion(FILE *out);
static void print_zsh_completion(FILE *out);

/* In --help's order, section by section. */
static const struct cli_option options[] = {
    /* Input and output */
    {.name = "input-file",
     .letter = 'i',
     STRING(list),
     .flags = F_JOB | F_ONCE,
     .metavar = "LIST",
     .section = SEC_IO,
     .help = "the URL list (same as the LIST argument)"},
    {.name = "output-dir",
     .letter = 'o',
     STRING(output_dir),
     .mode = M_OUTPUT_DIR,
     .def_str = "downloads",
     .metavar = "DIR",
     .section = SEC_IO,
     .help = "save files under DIR (default: downloads)"},
    {.name = "output-document",
     .letter = 'O',
     STRING(output_doc),
     .mode = M_OUTPUT_DOC,
     .excludes = M_PAGES | M_COMPARE | M_OUTPUT_DIR | M_TREE | M_DISPOSITION,
     .flags = F_ONCE,
     .metavar = "FILE",
     .section = SEC_IO,
     .help = "save the one URL given as FILE, replaced only\n"
	     "once whole; - writes it to standard output\n"
	     "(wget -O, curl -o)"},
    {.name = "tree",
     .alias = "force-directories",
     .letter = 'x',
     FLAG(tree),
     .mode = M_TREE,
     .flags = F_JOB,
     .section = SEC_IO,
     .help = "mirror host/path under DIR, like wget -x"},
    {.name = "adjust-extension",
     .alias = "html-extension",
     .letter = 'E',
     FLAG(adjust_extension),
     .flags = F_JOB,
     .section = SEC_IO,
     .help = "save an HTML page whose name lacks .html or .htm\n"
	     "as NAME.html (wget -E; always so with -x and -r)"},
    {.name = "continue",
     .letter = 'c',
     FLAG(cont),
     .mode = M_CONTINUE,
     .excludes = M_NO_CLOBBER,
     .section = SEC_IO,
     .help = "resume this URL's NAME.part (If-Range, checked\n"
	     "206s); skip it if saved; complete a short file"},
    {.name = "timestamping",
     .letter = 'N',
     FLAG(timestamping),
     .flags = F_JOB,
     .excludes = M_SPIDER,
     .section = SEC_IO,
     .help = "fetch a URL again only if the server's copy is\n"
	     "newer or of another size than the saved one\n"
	     "(as wget -N); a newer copy replaces it"},
    {.name = "no-use-server-timestamps",
     FLAG(no_server_timestamps),
     .flags = F_JOB,
     .section = SEC_IO,
     .help = "leave saved files' times alone (by default\n"
	     "a file gets the server's Last-Modified)"},
    {.name = "no-clobber",
     FLAG(no_clobber),
     .mode = M_NO_CLOBBER,
     .section = SEC_IO,
     .help = "skip URLs whose file already exists"},
    {.name = "content-disposition",
     .alias = "remote-header-name",
     .letter = 'J',
     FLAG(content_disposition),
     .mode = M_DISPOSITION,
     .flags = F_JOB,
     .section = SEC_IO,
     .help = "name files as the server's Content-Disposition\n"
	     "header says (no directory part, made safe)"},
    {.name = "spider",
     FLAG(spider),
     .mode = M_SPIDER,
     .excludes = M_OUTPUT_DOC | M_OUTPUT_DIR | M_TREE | M_DISPOSITION | M_CONTINUE | M_NO_CLOBBER,
     .flags = F_JOB,
     .section = SEC_IO,
     .help = "save nothing: check that the URLs (with --crawl,\n"
	     "every link found) answer, and list the broken\n"
	     "ones with the page they are on (exit 1 if any)"},
    {.name = "json",
     FLAG(json),
     .section = SEC_IO,
     .help = "one JSON object per URL on standard output"},
    {.name = "save-failed",
     STRING(save_failed),
     .excludes = M_COMPARE,
     .metavar = "FILE",
     .section = SEC_IO,
     .help = "write the URLs that failed (after Ctrl-C, every\n"
	     "URL not done) to FILE, a list to run again\n"
	     "(replaced when the run ends)"},
    {.name = "quiet",
     .letter = 'q',
     FLAG(quiet),
     .mode = M_QUIET,
     .excludes = M_VERBOSE,
     .section = SEC_IO,
     .help = "no progress, failures or summary on stderr"},
    {.name = "verbose",
     .letter = 'v',
     FLAG(verbose),
     .mode = M_VERBOSE,
     .section = SEC_IO,
     .help = "a line on stderr for every saved file"},

    /* Concurrency */
    {.name = "jobs",
     .letter = 'j',
     UINT(jobs),
     .min = 1,
     .max = 1024,
     .def = 8,
     .metavar = "N",
     .section = SEC_CONCURRENCY,
     .help = "transfers in flight at most, 1..1024 (default 8)"},
    {.name = "limit-rate",
     SIZE(limit_rate),
     .flags = F_JOB,
     .metavar = "RATE",
     .wants = "bytes per second like 500k or 2M",
     .section = SEC_CONCURRENCY,
     .help = "all transfers together at most RATE bytes/s\n"
	     "(k, M, G; default 0: no limit)"},
    {.name = "limit-rate-per-transfer",
     SIZE(limit_rate_per_transfer),
     .flags = F_JOB,
     .metavar = "RATE",
     .wants = "bytes per second like 500k or 2M",
     .section = SEC_CONCURRENCY,
     .help = "each transfer at most RATE bytes/s\n"
	     "(default 0: no limit)"},
    {.name = "parse-procs",
     .letter = 'P',
     UINT(parse_procs),
     .min = 0,
     .max = 256,
     .needs = M_PAGES,
     .metavar = "N",
     .section = SEC_CONCURRENCY,
     .help = "parse HTML in N worker processes (default 0:\n"
	     "in the fetch threads)"},
    {.name = "parse-timeout",
     MS(parse_timeout_ms),
     .def = 10000,
     .needs = M_PAGES,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_CONCURRENCY,
     .help = "kill a parser worker after S s on a page\n"
	     "(default 10)"},
    {.name = "parse-mem-limit",
     SIZE(parse_mem_limit),
     .def = 1LL << 30,
     .needs = M_PAGES,
     .flags = F_JOB,
     .metavar = "SIZE",
     .section = SEC_CONCURRENCY,
     .help = "memory cap of a parser worker (default 1G)"},

    /* Pages and images */
    {.name = "images",
     FLAG(images),
     .mode = M_IMAGES,
     .excludes = M_REQUISITES,
     .flags = F_JOB,
     .section = SEC_PAGES,
     .help = "LIST holds pages: download the images they show"},
    {.name = "page-requisites",
     .letter = 'p',
     FLAG(requisites),
     .mode = M_REQUISITES,
     .flags = F_JOB,
     .section = SEC_PAGES,
     .help = "also the images, stylesheets and scripts of the\n"
	     "pages saved: without --crawl, LIST holds pages,\n"
	     "each saved with what it needs to show (wget -p)"},
    {.name = "accept",
     .letter = 'A',
     STRING(accept_ext),
     .flags = F_JOB,
     .metavar = "LIST",
     .section = SEC_PAGES,
     .help = "keep only files whose names match: extensions\n"
	     "(jpg,png) or patterns ('*-large.*'); a crawl still\n"
	     "fetches pages for their links, as wget does"},
    {.name = "reject",
     .letter = 'R',
     STRING(reject_ext),
     .flags = F_JOB,
     .metavar = "LIST",
     .section = SEC_PAGES,
     .help = "never keep files whose names match (as -A)"},
    {.name = "ignore-case",
     FLAG(ignore_case),
     .flags = F_JOB,
     .section = SEC_PAGES,
     .help = "-A and -R ignore case (they do not by default)"},
    {.name = "accept-type",
     STRING(accept_types),
     .flags = F_JOB,
     .metavar = "T,...",
     .excludes = M_SPIDER,
     .section = SEC_PAGES,
     .help = "only files of these types (Content-Type or magic\n"
	     "bytes), e.g. image/* or image/png,image/jpeg"},
    {.name = "min-size",
     SIZE(min_size),
     .flags = F_JOB,
     .metavar = "SIZE",
     .excludes = M_SPIDER,
     .section = SEC_PAGES,
     .help = "skip files smaller than SIZE (k, M, G)"},
    {.name = "max-size",
     SIZE(max_size),
     .flags = F_JOB,
     .metavar = "SIZE",
     .excludes = M_SPIDER,
     .section = SEC_PAGES,
     .help = "skip files larger than SIZE"},
    {.name = "dedupe",
     FLAG(dedupe),
     .flags = F_JOB,
     .excludes = M_SPIDER,
     .section = SEC_PAGES,
     .help = "save identical content once"},
    {.name = "max-page-size",
     SIZE(max_page_size),
     .def = 10LL << 20,
     .needs = M_PAGES,
     .flags = F_JOB,
     .metavar = "SIZE",
     .section = SEC_PAGES,
     .help = "larger pages are not parsed (default 10M)"},

    /* Crawling */
    {.name = "crawl",
     .alias = "recursive",
     .letter = 'r',
     FLAG(crawl),
     .mode = M_CRAWL,
     .flags = F_JOB,
     .section = SEC_CRAWL,
     .help = "follow links from the URLs given; files are\n"
	     "saved as host/path (-x)"},
    {.name = "depth",
     .alias = "level",
     .letter = 'd',
     UINT(depth),
     .min = 0,
     .max = 1000000,
     .def = 2,
     .needs = M_CRAWL,
     .flags = F_JOB | F_INF,
     .metavar = "N|inf",
     .wants = "a number or inf",
     .section = SEC_CRAWL,
     .help = "links followed from a start URL (default 2)"},
    {.name = "max-pages",
     ULLONG(max_pages),
     .min = 1,
     .max = LLONG_MAX,
     .needs = M_CRAWL,
     .flags = F_JOB,
     .metavar = "N",
     .excludes = M_REDIS,
     .section = SEC_CRAWL,
     .help = "pages fetched at most (robots-refused ones do\n"
	     "not count)"},
    {.name = "span-hosts",
     FLAG(span_hosts),
     .needs = M_CRAWL,
     .flags = F_JOB,
     .section = SEC_CRAWL,
     .help = "follow links to any host"},
    {.name = "domains",
     STRING(domains),
     .needs = M_CRAWL,
     .flags = F_JOB,
     .metavar = "D,...",
     .section = SEC_CRAWL,
     .help = "also follow hosts in these domains"},
    {.name = "include",
     LIST(includes, n_includes),
     .flags = F_JOB,
     .metavar = "REGEX",
     .section = SEC_CRAWL,
     .help = "fetch only URLs matching: links, images and the\n"
	     "files of a list (repeatable)"},
    {.name = "exclude",
     LIST(excludes, n_excludes),
     .flags = F_JOB,
     .metavar = "REGEX",
     .section = SEC_CRAWL,
     .help = "never fetch URLs matching (repeatable)"},
    {.name = "no-parent",
     FLAG(no_parent),
     .needs = M_CRAWL,
     .flags = F_JOB,
     .section = SEC_CRAWL,
     .help = "stay at or below each start URL's directory"},
    {.name = "convert-links",
     FLAG(convert_links),
     .needs = M_CRAWL,
     .excludes = M_SPIDER | M_IMAGES,
     .flags = F_JOB,
     .section = SEC_CRAWL,
     .help = "point links in saved pages at the local copies\n"
	     "when the crawl ends (wget -k)"},
    {.name = "no-robots",
     FLAG(no_robots),
     .needs = M_CRAWL,
     .flags = F_JOB,
     .section = SEC_CRAWL,
     .help = "ignore robots.txt (obeyed by default)"},
    {.name = "per-host",
     UINT(per_host),
     .min = 1,
     .max = 1024,
     .flags = F_JOB,
     .metavar = "N",
     .section = SEC_CRAWL,
     .help = "transfers at once per host at most (default -j)"},
    {.name = "wait",
     MS(wait_ms),
     .mode = M_WAIT,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_CRAWL,
     .help = "between two requests to one host (default 0)"},
    {.name = "random-wait",
     FLAG(random_wait),
     .needs = M_WAIT,
     .flags = F_JOB,
     .section = SEC_CRAWL,
     .help = "each wait is 0.5 to 1.5 times --wait"},
    {.name = "auto-throttle",
     .type = T_CUSTOM,
     .value = V_OPTIONAL,
     .parse = parse_throttle,
     .emit = emit_throttle,
     .flags = F_JOB,
     .metavar = "N",
     .wants = "requests in flight per host, 0.1 to 1024",
     .section = SEC_CRAWL,
     .help = "adapt each host's delay to its latency, aiming at\n"
	     "N requests in flight per host (default 1)"},
    {.name = "shard",
     .type = T_CUSTOM,
     .value = V_REQUIRED,
     .parse = parse_shard,
     .emit = emit_shard,
     .flags = F_JOB,
     .metavar = "K/N",
     .wants = "K/N with 1 <= K <= N <= 65536",
     .section = SEC_CRAWL,
     .help = "fetch only the hosts of shard K of N, so N\n"
	     "machines given the same job split it by host"},

    {.name = "redis",
     STRING(redis),
     .mode = M_REDIS,
     .excludes = M_COMPARE | M_OUTPUT_DOC,
     .flags = F_ONCE,
     .metavar = "URL",
     .section = SEC_CRAWL,
     .help = "share the job with other processes through\n"
	     "Redis at URL (redis://HOST[:PORT][/DB] or\n"
	     "unix:PATH): with --shard, each takes its hosts'\n"
	     "URLs from there and sends every link to the\n"
	     "shard of its host"},
    {.name = "job",
     STRING(job),
     .needs = M_REDIS,
     .flags = F_ONCE,
     .metavar = "NAME",
     .section = SEC_CRAWL,
     .help = "the shared job's name (with --redis)"},
    {.name = "enqueue",
     FLAG(enqueue),
     .mode = M_ENQUEUE,
     .needs = M_REDIS,
     .excludes = M_PAGES | M_SPIDER,
     .section = SEC_CRAWL,
     .help = "load the URLs given into the --redis job and\n"
	     "exit; workers (--shard K/N) fetch them"},
    {.name = "status",
     FLAG(fleet_status),
     .mode = M_STATUS,
     .needs = M_REDIS,
     .excludes = M_ENQUEUE | M_PAGES,
     .section = SEC_CRAWL,
     .help = "print the --redis job's progress, shard by\n"
	     "shard, and exit"},

    /* Comparing concurrency levels */
    {.name = "compare",
     .type = T_CUSTOM,
     .value = V_OPTIONAL,
     .parse = parse_compare,
     .mode = M_COMPARE,
     .metavar = "J1,J2,...",
     .wants = "levels like 1,4,16 (each 1 to 1024, at most 32, none twice)",
     .section = SEC_COMPARE,
     .help = "time the same job at each -j level (default: 1 and\n"
	     "-j) in separate runs; prints speedup, efficiency,\n"
	     "ideal time, where the time goes and the knee"},
    {.name = "repeat",
     UINT(repeat),
     .min = 1,
     .max = 100,
     .def = 1,
     .needs = M_COMPARE,
     .metavar = "N",
     .section = SEC_COMPARE,
     .help = "measured runs per level, median reported\n"
	     "(default 1)"},
    {.name = "plot",
     STRING(plot),
     .needs = M_COMPARE,
     .metavar = "FILE.svg",
     .section = SEC_COMPARE,
     .help = "write wall time and speedup against J as SVG"},
    {.name = "keep",
     FLAG(keep),
     .needs = M_COMPARE,
     .section = SEC_COMPARE,
     .help = "keep each run's output directory\n"
	     "(--json prints the comparison as JSON)"},

    /* HTTP */
    {.name = "user-agent",
     .letter = 'U',
     STRING(user_agent),
     .def_str = "fetchall/" FETCHALL_VERSION,
     .flags = F_JOB,
     .metavar = "STR",
     .section = SEC_HTTP,
     .help = "User-Agent (default fetchall/" FETCHALL_VERSION ")"},
    {.name = "header",
     .letter = 'H',
     .type = T_CUSTOM,
     .value = V_REQUIRED,
     .parse = parse_header,
     .emit = emit_header,
     .flags = F_JOB,
     .metavar = "'NAME: VALUE'",
     .wants = "'Name: value' on one line",
     .section = SEC_HTTP,
     .help = "extra request header (repeatable; not sent to\n"
	     "another origin a redirect leads to)"},
    {.name = "referer",
     STRING(referer),
     .flags = F_JOB | F_NOCTL,
     .metavar = "URL",
     .wants = "a URL without control characters",
     .section = SEC_HTTP,
     .help = "Referer of the URLs given; a link found on a page\n"
	     "is sent with that page as Referer, as wget does"},
    {.name = "max-redirs",
     LONG(max_redirs),
     .min = 0,
     .max = 1000,
     .def = 10,
     .flags = F_JOB,
     .metavar = "N",
     .section = SEC_HTTP,
     .help = "redirects followed at most (default 10)"},
    {.name = "max-filesize",
     SIZE(max_filesize),
     .flags = F_JOB,
     .metavar = "SIZE",
     .section = SEC_HTTP,
     .help = "fail bodies larger than SIZE (k, M, G; default\n"
	     "none)"},
    {.name = "allow-file",
     FLAG(allow_file),
     .flags = F_JOB,
     .section = SEC_HTTP,
     .help = "also accept file:// URLs in LIST"},
    {.name = "multiplex",
     .type = T_CUSTOM,
     .value = V_REQUIRED,
     .parse = parse_multiplex,
     .emit = emit_multiplex,
     .flags = F_JOB,
     .metavar = "WHICH",
     .wants = "https, all or never",
     .section = SEC_HTTP,
     .help = "transfers to one host share a connection, driven\n"
	     "from one thread (HTTP/2 streams where the server\n"
	     "offers them): https (default), all or never"},
    {.name = "insecure",
     .letter = 'k',
     FLAG(insecure),
     .flags = F_JOB,
     .section = SEC_HTTP,
     .help = "do not verify TLS certificates (dangerous)"},
    {.name = "cookie",
     .letter = 'b',
     .type = T_CUSTOM,
     .value = V_REQUIRED,
     .parse = parse_cookie,
     .emit = emit_cookie,
     .flags = F_JOB | F_ONCE,
     .metavar = "DATA|FILE",
     .wants = "'NAME=VALUE; ...' or a cookies.txt file",
     .section = SEC_HTTP,
     .help = "as curl -b: 'NAME=VALUE; ...' is sent as\n"
	     "given; anything else is a cookies.txt to load"},
    {.name = "load-cookies",
     STRING(load_cookies),
     .flags = F_JOB | F_ONCE,
     .metavar = "FILE",
     .section = SEC_HTTP,
     .help = "start with the cookies of FILE (Netscape\n"
	     "cookies.txt, as browsers export them)"},
    {.name = "save-cookies",
     STRING(save_cookies),
     .flags = F_ONCE,
     .metavar = "FILE",
     .section = SEC_HTTP,
     .help = "write the run's cookies to FILE at the end"},
    {.name = "keep-session-cookies",
     FLAG(keep_session_cookies),
     .section = SEC_HTTP,
     .help = "--save-cookies writes session cookies too"},
    {.name = "no-cookies",
     FLAG(no_cookies),
     .flags = F_JOB,
     .section = SEC_HTTP,
     .help = "neither keep nor send cookies (kept and sent\n"
	     "by default, as wget does)"},

    /* Authentication and proxies */
    {.name = "user",
     .alias = "http-user",
     .letter = 'u',
     STRING(user),
     .mode = M_USER,
     .flags = F_JOB | F_NOCTL | F_SECRET,
     .metavar = "USER[:PASS]",
     .wants = "a user name without control characters",
     .section = SEC_AUTH,
     .help = "user for HTTP authentication, Basic or Digest as\n"
	     "the server asks (USER:PASS as curl -u takes it)"},
    {.name = "password",
     .alias = "http-password",
     STRING(password),
     .mode = M_PASSWORD,
     .needs = M_USER,
     .flags = F_SECRET,
     .metavar = "PASS",
     .section = SEC_AUTH,
     .help = "its password (others may see it in ps while\n"
	     "fetchall starts: --ask-password, --netrc-file or\n"
	     "$" CLI_PASSWORD_ENV " keep it off the command line)"},
    {.name = "ask-password",
     FLAG(ask_password),
     .needs = M_USER,
     .excludes = M_PASSWORD,
     .section = SEC_AUTH,
     .help = "ask for the password on the terminal (not echoed)"},
    {.name = "netrc",
     FLAG(netrc),
     .flags = F_JOB,
     .section = SEC_AUTH,
     .help = "credentials from ~/.netrc for hosts without\n"
	     "--user or user:pass@ in the URL"},
    {.name = "netrc-file",
     STRING(netrc_file),
     .flags = F_JOB,
     .metavar = "FILE",
     .section = SEC_AUTH,
     .help = "... from FILE instead of ~/.netrc"},
    {.name = "location-trusted",
     FLAG(location_trusted),
     .flags = F_JOB,
     .section = SEC_AUTH,
     .help = "send --user's credentials and -H headers to\n"
	     "other origins redirects lead to, too"},
    {.name = "proxy",
     .type = T_CUSTOM,
     .value = V_REQUIRED,
     .parse = parse_proxy,
     .emit = emit_proxy,
     .flags = F_JOB | F_SECRET,
     .metavar = "URL",
     .wants = "[http|https|socks4|socks4a|socks5|socks5h]://[USER:PASS@]HOST[:PORT]",
     .section = SEC_AUTH,
     .help = "use this proxy (http://, https://, socks5h://...;\n"
	     "default: $http_proxy, $https_proxy, $all_proxy)"},
    {.name = "no-proxy",
     STRING(no_proxy),
     .flags = F_JOB,
     .metavar = "HOST,...",
     .section = SEC_AUTH,
     .help = "hosts (and their subdomains) reached without the\n"
	     "proxy; * for all (default: $no_proxy)"},
    {.name = "inet4-only",
     .letter = '4',
     FLAG(inet4),
     .mode = M_INET4,
     .flags = F_JOB,
     .section = SEC_AUTH,
     .help = "connect to IPv4 addresses only"},
    {.name = "inet6-only",
     .letter = '6',
     FLAG(inet6),
     .excludes = M_INET4,
     .flags = F_JOB,
     .section = SEC_AUTH,
     .help = "connect to IPv6 addresses only"},

    /* Timeouts and retries */
    {.name = "connect-timeout",
     MS(connect_timeout_ms),
     .def = 30000,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "give up connecting after S seconds (default 30)"},
    {.name = "timeout",
     MS(idle_timeout_ms),
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "fail a transfer when no byte arrives for S seconds\n"
	     "(connecting, waiting, or mid-body; default none)"},
    {.name = "max-time",
     MS(max_time_ms),
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "give up a whole transfer after S seconds, however\n"
	     "it goes (default none)"},
    {.name = "speed-limit",
     SIZE_LONG(speed_limit),
     .def = 1,
     .flags = F_JOB,
     .metavar = "B",
     .wants = "bytes/s",
     .section = SEC_TIMEOUTS,
     .help = "abort a transfer slower than B bytes/s ..."},
    {.name = "speed-time",
     SECONDS(speed_time_s),
     .def = 30,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "... for S seconds (defaults 1 B/s for 30 s;\n"
	     "--speed-time 0 turns the stall check off)"},
    {.name = "retries",
     UINT(retries),
     .min = 0,
     .max = 100,
     .def = 3,
     .flags = F_JOB,
     .metavar = "N",
     .section = SEC_TIMEOUTS,
     .help = "retries of a transient failure (default 3)"},
    {.name = "retry-wait",
     MS(retry_wait_ms),
     .def = 1000,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "first backoff, doubled each retry (default 1)"},
    {.name = "retry-max-wait",
     MS(retry_max_wait_ms),
     .def = 30000,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "backoff cap (default 30)"},
    {.name = "retry-after-max",
     MS(retry_after_max_ms),
     .def = 120000,
     .flags = F_JOB,
     .metavar = "S",
     .section = SEC_TIMEOUTS,
     .help = "longest Retry-After honoured (default 120)"},

    /* --help and --version */
    {.name = "help",
     .letter = 'h',
     .type = T_ACTION,
     .act = print_help,
     .section = SEC_INFO,
     .help = "list the options and exit codes"},
    {.name = "version",
     .letter = 'V',
     .type = T_ACTION,
     .act = print_version,
     .section = SEC_INFO,
     .help = "versions of fetchall, libcurl and libxml2"},

    /* hidden: the man page and the shell completions (make install); a
     * parser worker process; --compare's runs' statistics */
    {.name = "help-man", .type = T_ACTION, .act = print_man, .flags = F_HIDDEN},
    {.name = "help-bash-completion",
     .type = T_ACTION,
     .act = print_bash_completion,
     .flags = F_HIDDEN},
    {.name = "help-zsh-completion",
     .type = T_ACTION,
     .act = print_zsh_completion,
     .flags = F_HIDDEN},
    {.name = "parse-worker", FLAG(parse_worker), .flags = F_HIDDEN},
    {.name = "stats", STRING(stats_file), .flags = F_HIDDEN},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* The usage line, what fetchall does, and the notes after the options. */
static const char usage_line[] = "fetchall [OPTIONS] LIST|URL...";
static const char about_text[] =
    "Download every URL in LIST (a file, or - for standard input), many at once.\n"
    "Arguments containing :// are URLs; at most one other argument is a LIST.\n";
static const char notes_text[] =
    "Transient failures (connection errors, timeouts, 408, 429, 500, 502, 503,\n"
    "504) are retried with exponential backoff and jitter, honouring Retry-After;\n"
    "a retry resumes a cut-off body with a Range request.  A Retry-After also\n"
    "holds every request to its host that long, no longer; a 429 or 503 without\n"
    "one slows the host down only in a crawl or with --wait or --auto-throttle.\n"
    "Files are written atomically: a file with its final name is always complete.\n";
/* only in the man page, which has room */
static const char values_text[] =
    "Seconds may have a fraction (--timeout 2.5); sizes and rates take k, M, G\n"
    "(powers of 1024).\n";

static const struct {
	int code;
	const char *meaning;
} exit_codes[] = {
    {0, "every URL saved (or skipped), or the list was empty"},
    {1, "some URLs failed"},
    {2, "usage or input error (bad option, missing list, unwritable DIR)"},
    {3, "every URL failed"},
    {130, "interrupted (SIGINT or SIGTERM); run again with -c to resume"},
};

static const struct {
	const char *name, *meaning;
} environment[] = {
    {CLI_PASSWORD_ENV, "the password for --user when the command line gives none"},
    {"http_proxy, https_proxy, all_proxy",
     "the proxy when --proxy is not given (libcurl reads them)"},
    {"no_proxy", "hosts reached directly when --no-proxy is not given"},
};

/* For the man page. */
static const struct {
	const char *what, *command;
} examples[] = {
    {"16 transfers at once into ./downloads:", "fetchall urls.txt -j 16"},
    {"One URL saved as a file of your naming, or written to standard output:",
     "fetchall -O debian.iso https://cdimage.example/debian-12.iso\n"
     "fetchall -O - https://example.com/data.json | jq ."},
    {"From standard input, a JSON line per URL:",
     "cat urls.txt | fetchall - -j 8 --json > results.jsonl"},
    {"Keep the failures in a list, and run it again until it comes out empty:",
     "fetchall urls.txt --save-failed failed.txt\nfetchall failed.txt --save-failed failed.txt"},
    {"Every image on every listed page, only JPEG and PNG of 10 KiB or more:",
     "fetchall pages.txt --images -j 16 -P 2 --accept jpg,png --min-size 10k"},
    {"Mirror a site three links deep, browsable offline:",
     "fetchall --crawl https://docs.example/ -d 3 -p --convert-links"},
    {"Machine 2 of 4 fetches its share of the hosts:", "fetchall urls.txt --shard 2/4 -j 32"},
    {"How much faster at 4 and 16 transfers at once than at 1?",
     "fetchall urls.txt --compare=1,4,16 --plot speed.svg"},
    {"As user alice, the password asked on the terminal, through a proxy:",
     "fetchall urls.txt --user alice --ask-password --proxy http://proxy.lan:3128"},
};

enum fa_err cli_parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return FA_ERR_PARSE;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return FA_ERR_PARSE;
	*out = v;
	return FA_OK;
}

enum fa_err cli_parse_seconds(const char *s, long *ms)
{
	char *end;
	double v;

	if (!s || !*s)
		return FA_ERR_PARSE;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0.0) || v > 86400.0 * 365)
		return FA_ERR_PARSE;
	*ms = (long)(v * 1000.0 + 0.5);
	return FA_OK;
}

enum fa_err cli_parse_size(const char *s, long long *bytes)
{
	char num[32];
	size_t len;
	long long v, mult = 1;

	if (!s || !*s)
		return FA_ERR_PARSE;
	len = strlen(s);
	if (len >= sizeof(num))
		return FA_ERR_PARSE;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K': mult = 1024LL; break;
	case 'm':
	case 'M': mult = 1024LL * 1024; break;
	case 'g':
	case 'G': mult = 1024LL * 1024 * 1024; break;
	default: break;
	}
	if (mult != 1)
		num[len - 1] = '\0';
	if (cli_parse_long(num, 0, LLONG_MAX / mult, &v) != FA_OK)
		return FA_ERR_PARSE;
	*bytes = v * mult;
	return FA_OK;
}

/* Appends a borrowed string to a growable array; false on OOM. */
static bool push_arg(const char ***items, size_t *count, const char *arg)
{
	const char **p = realloc(*items, (*count + 1) * sizeof(*p));

	if (!p)
		return false;
	p[(*count)++] = arg;
	*items = p;
	return true;
}

static bool has_control(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

static bool header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	/* "Name: value", or curl's "Name;" for an empty value.  No line
	 * breaks: a header must not smuggle a second one. */
	if (strpbrk(h, "\r\n"))
		return false;
	if (!colon)
		colon = strchr(h, ';');
	return colon && colon != h;
}

static enum fa_err parse_header(const char *arg, struct fa_opts *o)
{
	struct curl_slist *l;

	if (!header_ok(arg))
		return FA_ERR_PARSE;
	l = curl_slist_append(o->headers, arg);
	if (!l)
		return FA_ERR_NOMEM;
	o->headers = l;
	return FA_OK;
}

/* --multiplex's values, in enum fetch_multiplex's order. */
static const char *const multiplex_names[] = {"https", "all", "never"};

static enum fa_err parse_multiplex(const char *arg, struct fa_opts *o)
{
	for (unsigned i = 0; i < sizeof(multiplex_names) / sizeof(multiplex_names[0]); i++) {
		if (!strcmp(arg, multiplex_names[i])) {
			o->multiplex = i;
			return FA_OK;
		}
	}
	return FA_ERR_PARSE;
}

/* --auto-throttle[=N]: N a decimal number, read by the seconds parser in
 * thousandths; 1 if not given. */
static enum fa_err parse_throttle(const char *arg, struct fa_opts *o)
{
	long milli = 1000;

	if (arg && (cli_parse_seconds(arg, &milli) != FA_OK || milli < 100 || milli > 1024 * 1000))
		return FA_ERR_PARSE;
	o->throttle_target_milli = (unsigned)milli;
	return FA_OK;
}

/* "K/N" for --shard: 1 <= K <= N <= 65536. */
static enum fa_err parse_shard(const char *s, struct fa_opts *o)
{
	const char *slash = strchr(s, '/');
	char k[16];
	long long kv, nv;

	if (!slash || (size_t)(slash - s) >= sizeof(k))
		return FA_ERR_PARSE;
	memcpy(k, s, (size_t)(slash - s));
	k[slash - s] = '\0';
	if (cli_parse_long(k, 1, 65536, &kv) != FA_OK ||
	    cli_parse_long(slash + 1, 1, 65536, &nv) != FA_OK || kv > nv)
		return FA_ERR_PARSE;
	o->shard = (unsigned)kv;
	o->nshards = (unsigned)nv;
	return FA_OK;
}

/* "1,4,16" into o->levels: each 1..1024, at most 32, none twice. */
static enum fa_err parse_levels(const char *text, struct fa_opts *o)
{
	o->n_levels = 0;
	while (*text) {
		char num[16];
		size_t n = strcspn(text, ",");
		long long v;

		if (n == 0 || n >= sizeof(num) ||
		    o->n_levels == sizeof(o->levels) / sizeof(o->levels[0]))
			return FA_ERR_PARSE;
		memcpy(num, text, n);
		num[n] = '\0';
		if (cli_parse_long(num, 1, 1024, &v) != FA_OK)
			return FA_ERR_PARSE;
		for (size_t i = 0; i < o->n_levels; i++) {
			if (o->levels[i] == (unsigned)v)
				return FA_ERR_PARSE;
		}
		o->levels[o->n_levels++] = (unsigned)v;
		text += n;
		if (*text == ',' && *++text == '\0')
			return FA_ERR_PARSE;
	}
	return o->n_levels ? FA_OK : FA_ERR_PARSE;
}

/* --proxy: a URL of a scheme libcurl speaks to proxies, or curl's bare
 * HOST[:PORT] (an http proxy); refused here rather than by every
 * transfer. */
static enum fa_err parse_proxy(const char *arg, struct fa_opts *o)
{
	static const char *const schemes[] = {"http://",    "https://",  "socks4://",
					      "socks4a://", "socks5://", "socks5h://"};
	const char *sep = strstr(arg, "://");
	bool known = !sep;

	for (size_t i = 0; sep && i < sizeof(schemes) / sizeof(schemes[0]); i++)
		known = known || !strncasecmp(arg, schemes[i], strlen(schemes[i]));
	if (!known || !*arg || has_control(arg) || (sep && !sep[3]))
		return FA_ERR_PARSE;
	o->proxy = arg;
	return FA_OK;
}

static enum fa_err parse_compare(const char *arg, struct fa_opts *o)
{
	o->compare = true;
	return arg ? parse_levels(arg, o) : FA_OK;
}

static void *field_of(struct fa_opts *o, size_t off)
{
	return (char *)o + off;
}

static const void *cfield_of(const struct fa_opts *o, size_t off)
{
	return (const char *)o + off;
}

static void defaults(struct fa_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *opt = &options[i];
		void *f = field_of(o, opt->off);

		switch (opt->type) {
		case T_UINT: *(unsigned *)f = (unsigned)opt->def; break;
		case T_LONG:
		case T_MS:
		case T_S:
		case T_SIZE_LONG: *(long *)f = (long)opt->def; break;
		case T_ULLONG: *(unsigned long long *)f = (unsigned long long)opt->def; break;
		case T_SIZE: *(long long *)f = opt->def; break;
		case T_STRING: *(const char **)f = opt->def_str; break;
		default: break; /* flags false, lists empty, the rest by parse() */
		}
	}
}

/* Reads arg (NULL: none given) as opt's value into o.  FA_ERR_PARSE:
 * not a value opt takes; FA_ERR_NOMEM. */
static enum fa_err set_value(const struct cli_option *opt, const char *arg, struct fa_opts *o)
{
	void *f = field_of(o, opt->off);
	long long n;
	long ms;

	switch (opt->type) {
	case T_FLAG: *(bool *)f = true; return FA_OK;
	case T_UINT:
	case T_LONG:
	case T_ULLONG:
		if ((opt->flags & F_INF) && !strcmp(arg, "inf")) {
			*(unsigned *)f = UINT_MAX;
			return FA_OK;
		}
		if (cli_parse_long(arg, opt->min, opt->max, &n) != FA_OK)
			return FA_ERR_PARSE;
		if (opt->type == T_UINT)
			*(unsigned *)f = (unsigned)n;
		else if (opt->type == T_LONG)
			*(long *)f = (long)n;
		else
			*(unsigned long long *)f = (unsigned long long)n;
		return FA_OK;
	case T_MS:
	case T_S:
		if (cli_parse_seconds(arg, &ms) != FA_OK)
			return FA_ERR_PARSE;
		*(long *)f = opt->type == T_MS ? ms : (ms + 999) / 1000;
		return FA_OK;
	case T_SIZE:
	case T_SIZE_LONG:
		if (cli_parse_size(arg, &n) != FA_OK || n < opt->min || n > opt->max)
			return FA_ERR_PARSE;
		if (opt->type == T_SIZE)
			*(long long *)f = n;
		else
			*(long *)f = (long)n;
		return FA_OK;
	case T_STRING:
		if ((opt->flags & F_NOCTL) && has_control(arg))
			return FA_ERR_PARSE;
		*(const char **)f = arg;
		return FA_OK;
	case T_LIST:
		return push_arg((const char ***)f, (size_t *)field_of(o, opt->count_off), arg)
			   ? FA_OK
			   : FA_ERR_NOMEM;
	case T_CUSTOM: return opt->parse(arg, o);
	case T_ACTION: break;
	}
	return FA_ERR_ARG;
}

static enum opt_value value_of(const struct cli_option *opt)
{
	switch (opt->type) {
	case T_FLAG:
	case T_ACTION: return V_NONE;
	case T_CUSTOM: return opt->value;
	default: return V_REQUIRED;
	}
}

/* What a bad value of opt should have been, for the message. */
static const char *wants_text(const struct cli_option *opt, char *buf, size_t len)
{
	if (opt->wants)
		return opt->wants;
	switch (opt->type) {
	case T_MS:
	case T_S: return "seconds";
	case T_SIZE:
	case T_SIZE_LONG: return "a size like 500k or 2G";
	default: break;
	}
	if (opt->max == LLONG_MAX && opt->min == 1)
		return "a positive whole number";
	if (opt->max == LLONG_MAX)
		snprintf(buf, len, "a whole number from %lld up", opt->min);
	else
		snprintf(buf, len, "a whole number from %lld to %lld", opt->min, opt->max);
	return buf;
}

/* How the command line gave each row: not, as -x, or as --name. */
struct given {
	bool on;
	bool by_letter;
	const char *name; /* the long name given (the name or the alias) */
};

/* "-x" or "--name", as given. */
static const char *spelling(const struct cli_option *opt, const struct given *g, char *buf,
			    size_t len)
{
	if (g->by_letter)
		snprintf(buf, len, "-%c", opt->letter);
	else
		snprintf(buf, len, "--%s", g->name);
	return buf;
}

/* "-j/--jobs" or "--retries", naming the alias if that was given. */
static const char *label(const struct cli_option *opt, const struct given *g, char *buf, size_t len)
{
	const char *name = g->by_letter ? opt->name : g->name;

	if (opt->letter)
		snprintf(buf, len, "-%c/--%s", opt->letter, name);
	else
		snprintf(buf, len, "--%s", name);
	return buf;
}

/* The row that turns mode bit on. */
static const struct cli_option *mode_option(unsigned bit)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options[i].mode == bit)
			return &options[i];
	}
	return NULL;
}

/* "--crawl or --images": the options that turn on the modes in mask. */
static void mode_names(unsigned mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned bit = 1; bit && bit <= mask; bit <<= 1) {
		const struct cli_option *opt = (mask & bit) ? mode_option(bit) : NULL;

		if (opt && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s--%s", n ? " or " : "",
					      opt->name);
	}
}

/*
 * The modes rules of the table: an option needs one of its row's `needs`
 * given (else it would do nothing) and none of its `excludes`.  Returns
 * false with errbuf naming both for the first row that breaks one.
 */
static bool check_modes(const struct given *given, char *errbuf, size_t errlen)
{
	unsigned on = 0;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (given[i].on)
			on |= options[i].mode;
	}
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *opt = &options[i];
		char mine[48], theirs[160];
		unsigned clash = on & opt->excludes;

		if (!given[i].on)
			continue;
		if (opt->needs && !(on & opt->needs)) {
			mode_names(opt->needs, theirs, sizeof(theirs));
			snprintf(errbuf, errlen, "%s needs %s",
				 spelling(opt, &given[i], mine, sizeof(mine)), theirs);
			return false;
		}
		if (clash) {
			const struct cli_option *other = mode_option(clash & -clash);
			size_t j = (size_t)(other - options);

			snprintf(errbuf, errlen, "%s and %s cannot be combined",
				 spelling(opt, &given[i], mine, sizeof(mine)),
				 spelling(other, &given[j], theirs, sizeof(theirs)));
			return false;
		}
	}
	return true;
}

/* The row turning mode bit on, spelt as given ("-c" or "--continue"). */
static const char *mode_spelling(unsigned bit, const struct given *given, char *buf, size_t len)
{
	const struct cli_option *opt = mode_option(bit);

	return spelling(opt, &given[opt - options], buf, len);
}

/*
 * -O FILE saves one URL: not a list, not several URLs (--crawl, --images
 * and the options that pick names are the table's excludes).  -O - is
 * standard output: nothing else may write there (--json), and it cannot
 * be resumed (-c) or found existing (--no-clobber).  Returns false with
 * errbuf naming both.
 */
static bool check_output_doc(const struct fa_opts *o, const struct given *given, char *errbuf,
			     size_t errlen)
{
	char mine[48], theirs[48];

	if (!o->output_doc)
		return true;
	mode_spelling(M_OUTPUT_DOC, given, mine, sizeof(mine));
	if (o->list) {
		snprintf(errbuf, errlen, "%s saves one URL, not a list ('%s')", mine, o->list);
		return false;
	}
	if (o->n_urls > 1) {
		snprintf(errbuf, errlen, "%s saves one URL, not %zu ('%s' and %zu more)", mine,
			 o->n_urls, o->urls[0], o->n_urls - 1);
		return false;
	}
	if (strcmp(o->output_doc, "-") != 0)
		return true;
	if (o->json) {
		snprintf(errbuf, errlen,
			 "%s - and --json cannot be combined (both write to standard output)",
			 mine);
		return false;
	}
	if (o->cont || o->no_clobber) {
		snprintf(errbuf, errlen, "%s - and %s cannot be combined (standard output %s)",
			 mine,
			 mode_spelling(o->cont ? M_CONTINUE : M_NO_CLOBBER, given, theirs,
				       sizeof(theirs)),
			 o->cont ? "cannot be resumed" : "never exists already");
		return false;
	}
	return true;
}

/* How a long name given (name, namelen bytes) matches. */
enum match { MATCH_NONE, MATCH_ONE, MATCH_AMBIGUOUS };

static bool name_is(const char *candidate, const char *name, size_t namelen, bool whole)
{
	return candidate && !strncmp(candidate, name, namelen) &&
	       (!whole || candidate[namelen] == '\0');
}

/*
 * The row a long option names: its whole name or alias, else a prefix of
 * the names of exactly one row (as getopt_long takes abbreviations; hidden
 * options only in full).  *matched is the name or alias it matched.
 */
static enum match find_long(const char *name, size_t namelen, size_t *row, const char **matched)
{
	size_t found = N_OPTIONS;

	if (namelen == 0) /* "--=x" */
		return MATCH_NONE;
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (name_is(options[i].name, name, namelen, true) ||
		    name_is(options[i].alias, name, namelen, true)) {
			*row = i;
			*matched = name_is(options[i].name, name, namelen, true) ? options[i].name
										 : options[i].alias;
			return MATCH_ONE;
		}
	}
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options[i].flags & F_HIDDEN)
			continue;
		if (!name_is(options[i].name, name, namelen, false) &&
		    !name_is(options[i].alias, name, namelen, false))
			continue;
		if (found != N_OPTIONS)
			return MATCH_AMBIGUOUS;
		found = i;
	}
	if (found == N_OPTIONS)
		return MATCH_NONE;
	*row = found;
	*matched = name_is(options[found].name, name, namelen, false) ? options[found].name
								      : options[found].alias;
	return MATCH_ONE;
}

/* "option '--no' is ambiguous (--no-clobber, --no-parent, --no-robots)" */
static void say_ambiguous(const char *name, size_t namelen, char *errbuf, size_t errlen)
{
	size_t n =
	    (size_t)snprintf(errbuf, errlen, "option '--%.*s' is ambiguous (", (int)namelen, name);

	for (size_t i = 0; i < N_OPTIONS && n < errlen; i++) {
		const char *m = name_is(options[i].name, name, namelen, false)    ? options[i].name
				: name_is(options[i].alias, name, namelen, false) ? options[i].alias
										  : NULL;

		if (m && !(options[i].flags & F_HIDDEN))
			n += (size_t)snprintf(errbuf + n, errlen - n, "%s--%s",
					      errbuf[n - 1] == '(' ? "" : ", ", m);
	}
	if (n < errlen)
		snprintf(errbuf + n, errlen - n, ")");
}

/* wget spellings fetchall has as long options only */
static const struct {
	const char *wget, *ours;
} wget_words[] = {
    {"-nc", "--no-clobber"},
    {"-np", "--no-parent"},
};

/* An unknown letter, named with the word it was in and, for wget's -nc
 * and -np, where to go instead. */
static void say_unknown_letter(const char *word, const char *at, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < sizeof(wget_words) / sizeof(wget_words[0]); i++) {
		if (at == word + 1 && !strncmp(word, wget_words[i].wget, 3)) {
			snprintf(errbuf, errlen, "unknown option '-%c' (for wget's %s, use %s)",
				 *at, wget_words[i].wget, wget_words[i].ours);
			return;
		}
	}
	if (strlen(word) > 2)
		snprintf(errbuf, errlen, "unknown option '-%c' in '%s' (see --help)", *at, word);
	else
		snprintf(errbuf, errlen, "unknown option '-%c' (see --help)", *at);
}

/*
 * Applies one option given: row i, given as `now` says, with value (NULL:
 * none).  Returns CLI_RUN to go on, CLI_EXIT_OK after an action printed,
 * CLI_USAGE with errbuf filled.
 */
static enum cli_action take(size_t i, struct given now, const char *value, struct given *given,
			    struct fa_opts *o, FILE *out, char *errbuf, size_t errlen)
{
	const struct cli_option *opt = &options[i];
	char name[64], wants[64];
	enum fa_err err;

	if (opt->type == T_ACTION) {
		opt->act(out);
		return CLI_EXIT_OK;
	}
	if ((opt->flags & F_ONCE) && given[i].on) {
		snprintf(errbuf, errlen, "%s may be given only once",
			 label(opt, &now, name, sizeof(name)));
		return CLI_USAGE;
	}
	err = set_value(opt, value, o);
	if (err == FA_ERR_NOMEM) {
		snprintf(errbuf, errlen, "out of memory");
		return CLI_USAGE;
	}
	if (err != FA_OK) {
		snprintf(errbuf, errlen, "%s wants %s, not '%s'",
			 label(opt, &now, name, sizeof(name)),
			 wants_text(opt, wants, sizeof(wants)),
			 !value                  ? ""
			 : opt->flags & F_SECRET ? "(not shown)"
						 : value);
		return CLI_USAGE;
	}
	given[i] = now;
	return CLI_RUN;
}

/* One "--name[=value]" word at argv[*at]; may take argv[*at + 1] as its
 * value (and step *at past it). */
static enum cli_action take_long(int argc, char **argv, int *at, struct given *given,
				 struct fa_opts *o, FILE *out, char *errbuf, size_t errlen)
{
	const char *name = argv[*at] + 2;
	const char *eq = strchr(name, '=');
	size_t namelen = eq ? (size_t)(eq - name) : strlen(name);
	const char *matched = NULL, *value = eq ? eq + 1 : NULL;
	size_t i = 0;

	switch (find_long(name, namelen, &i, &matched)) {
	case MATCH_NONE:
		snprintf(errbuf, errlen, "unknown option '--%.*s' (see --help)", (int)namelen,
			 name);
		return CLI_USAGE;
	case MATCH_AMBIGUOUS: say_ambiguous(name, namelen, errbuf, errlen); return CLI_USAGE;
	case MATCH_ONE: break;
	}
	switch (value_of(&options[i])) {
	case V_NONE:
		if (eq) {
			snprintf(errbuf, errlen, "option --%s takes no value ('%s')", matched,
				 argv[*at]);
			return CLI_USAGE;
		}
		break;
	case V_REQUIRED:
		if (!eq && *at + 1 >= argc) {
			snprintf(errbuf, errlen, "option --%s needs a value", matched);
			return CLI_USAGE;
		}
		if (!eq)
			value = argv[++*at];
		break;
	case V_OPTIONAL: break;
	}
	return take(i, (struct given){.on = true, .name = matched}, value, given, o, out, errbuf,
		    errlen);
}

/* One "-abc" word at argv[*at]: letters, the last of which may take the
 * rest of the word or argv[*at + 1] as its value. */
static enum cli_action take_letters(int argc, char **argv, int *at, struct given *given,
				    struct fa_opts *o, FILE *out, char *errbuf, size_t errlen)
{
	const char *word = argv[*at];

	for (const char *p = word + 1; *p; p++) {
		const char *value = NULL;
		enum cli_action a;
		size_t i = 0;

		while (i < N_OPTIONS && options[i].letter != *p)
			i++;
		if (i == N_OPTIONS) {
			say_unknown_letter(word, p, errbuf, errlen);
			return CLI_USAGE;
		}
		if (value_of(&options[i]) == V_REQUIRED) {
			if (p[1]) {
				value = p + 1;
			} else if (*at + 1 < argc) {
				value = argv[++*at];
			} else {
				snprintf(errbuf, errlen, "option -%c needs a value", *p);
				return CLI_USAGE;
			}
		}
		a = take(i, (struct given){.on = true, .by_letter = true, .name = options[i].name},
			 value, given, o, out, errbuf, errlen);
		if (a != CLI_RUN || value)
			return a;
	}
	return CLI_RUN;
}

/* The operands: URLs (containing "://") and at most one list. */
static enum cli_action take_operands(char **operands, size_t n, struct fa_opts *o, char *errbuf,
				     size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (strstr(operands[i], "://")) {
			if (!push_arg(&o->urls, &o->n_urls, operands[i])) {
				snprintf(errbuf, errlen, "out of memory");
				return CLI_USAGE;
			}
			continue;
		}
		if (o->list) {
			snprintf(errbuf, errlen, "only one URL list may be given ('%s' and '%s')",
				 o->list, operands[i]);
			return CLI_USAGE;
		}
		o->list = operands[i];
	}
	/* a --redis worker or --status takes its URLs from the job */
	if (!o->list && o->n_urls == 0 && !(o->redis && !o->enqueue)) {
		snprintf(errbuf, errlen,
			 "no URL list given (a file, - for standard input, or URLs)");
		return CLI_USAGE;
	}
	return CLI_RUN;
}

enum cli_action cli_parse(int argc, char **argv, struct fa_opts *o, FILE *out, char *errbuf,
			  size_t errlen)
{
	struct given given[N_OPTIONS];
	char **operands = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*operands));
	size_t n_operands = 0;
	bool options_end = false, posixly_correct = getenv("POSIXLY_CORRECT") != NULL;
	enum cli_action a = CLI_RUN;

	defaults(o);
	memset(given, 0, sizeof(given));
	if (!operands) {
		snprintf(errbuf, errlen, "out of memory");
		return CLI_USAGE;
	}
	for (int at = 1; at < argc && a == CLI_RUN; at++) {
		const char *word = argv[at];

		if (options_end || word[0] != '-' || word[1] == '\0') {
			operands[n_operands++] = argv[at];
			options_end = options_end || posixly_correct;
		} else if (!strcmp(word, "--")) {
			options_end = true;
		} else if (word[1] == '-') {
			a = take_long(argc, argv, &at, given, o, out, errbuf, errlen);
		} else {
			a = take_letters(argc, argv, &at, given, o, out, errbuf, errlen);
		}
	}
	if (a == CLI_RUN && !o->parse_worker)
		a = take_operands(operands, n_operands, o, errbuf, errlen);
	free(operands);
	if (a != CLI_RUN || o->parse_worker)
		return a;
	if (!check_modes(given, errbuf, errlen) || !check_output_doc(o, given, errbuf, errlen))
		return CLI_USAGE;
	if (o->crawl)
		o->tree = true;
	if (o->compare && o->n_levels == 0) {
		o->levels[o->n_levels++] = 1;
		if (o->jobs != 1)
			o->levels[o->n_levels++] = o->jobs;
	}
	if (o->retry_max_wait_ms < o->retry_wait_ms)
		o->retry_max_wait_ms = o->retry_wait_ms;
	return CLI_RUN;
}

/* Zeroes a string that held a password before its memory is freed. */
static void wipe(char *s)
{
	volatile char *p = s; /* so the stores are not dropped as dead */
	size_t n = s ? strlen(s) : 0;

	while (n--)
		*p++ = '\0';
}

/* Overwrites with '*' what is left of the argv word in which value (a
 * pointer into argv, borrowed by parsing) starts, so that ps no longer
 * shows it.  Does nothing if value is not in argv. */
static void hide_in_argv(const char *value, int argc, char **argv)
{
	uintptr_t v = (uintptr_t)value;

	for (int i = 1; i < argc; i++) {
		uintptr_t start = (uintptr_t)argv[i];
		size_t len = strlen(argv[i]);

		if (v >= start && v < start + len) {
			memset(argv[i] + (v - start), '*', len - (size_t)(v - start));
			return;
		}
	}
}

/* The signal that interrupted the password prompt, or 0. */
static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
	prompt_signal = sig;
}

/*
 * Asks for user's password on the terminal: a one-line prompt on stderr,
 * a line read from /dev/tty with echo off.  The terminal's settings are
 * put back whatever happens; a SIGINT, SIGTERM, SIGQUIT or SIGHUP during
 * the prompt puts them back and then takes its usual course.  *out gets
 * a heap copy (the caller wipes and frees it).
 */
static enum fa_err ask_password(const char *user, char **out, char *errbuf, size_t errlen)
{
	static const int signals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
	struct sigaction sa, old[sizeof(signals) / sizeof(signals[0])];
	struct termios saved, quiet;
	char line[1024];
	size_t len = 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0) {
		snprintf(errbuf, errlen, "--ask-password: no terminal to ask on (/dev/tty: %s)",
			 strerror(errno));
		return FA_ERR_IO;
	}
	if (tcgetattr(fd, &saved) != 0) {
		snprintf(errbuf, errlen, "--ask-password: /dev/tty: %s", strerror(errno));
		close(fd);
		return FA_ERR_IO;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_signal; /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	prompt_signal = 0;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, &old[i]);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL | ICANON;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	fprintf(stderr, "Password for '%s': ", user);
	fflush(stderr);
	while (!prompt_signal) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break; /* end of line, of input, or an error */
		if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	line[len] = '\0';
	tcsetattr(fd, TCSAFLUSH, &saved);
	close(fd);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &old[i], NULL);
	if (prompt_signal) {
		fputc('\n', stderr);
		wipe(line);
		raise(prompt_signal); /* ends the process, unless ignored */
		snprintf(errbuf, errlen, "--ask-password: interrupted");
		return FA_ERR_CANCELLED;
	}
	if (len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	*out = strdup(line);
	wipe(line);
	if (!*out) {
		snprintf(errbuf, errlen, "out of memory");
		return FA_ERR_NOMEM;
	}
	return FA_OK;
}

enum fa_err cli_credentials(struct fa_opts *o, int argc, char **argv, char *errbuf, size_t errlen)
{
	const char *env = getenv(CLI_PASSWORD_ENV);
	const char *colon = o->user ? strchr(o->user, ':') : NULL;
	enum fa_err err = FA_OK;

	if (colon && !o->password && !o->ask_password) {
		/* curl's -u USER:PASS */
		o->owned_user = strndup(o->user, (size_t)(colon - o->user));
		o->owned_password = strdup(colon + 1);
		if (!o->owned_user || !o->owned_password)
			goto nomem;
		hide_in_argv(colon + 1, argc, argv);
		o->user = o->owned_user;
		o->password = o->owned_password;
	} else if (o->password) {
		o->owned_password = strdup(o->password);
		if (!o->owned_password)
			goto nomem;
		hide_in_argv(o->password, argc, argv);
		o->password = o->owned_password;
	} else if (o->ask_password) {
		err = ask_password(o->user, &o->owned_password, errbuf, errlen);
		o->password = o->owned_password;
	} else if (o->user && env) {
		o->owned_password = strdup(env);
		if (!o->owned_password)
			goto nomem;
		o->password = o->owned_password;
	}
	if (env)
		unsetenv(CLI_PASSWORD_ENV);
	return err;
nomem:
	snprintf(errbuf, errlen, "out of memory");
	return FA_ERR_NOMEM;
}

void cli_release(struct fa_opts *o)
{
	curl_slist_free_all(o->headers);
	o->headers = NULL;
	free(o->urls);
	free(o->includes);
	free(o->excludes);
	o->urls = o->includes = o->excludes = NULL;
	o->n_urls = o->n_includes = o->n_excludes = 0;
	wipe(o->owned_password);
	free(o->owned_password);
	free(o->owned_user);
	o->owned_password = o->owned_user = NULL;
	o->user = o->password = NULL;
}

bool cli_pages(const struct fa_opts *o)
{
	return o->crawl || o->images || o->requisites;
}

bool cli_dir_looks_like_file(const char *dir)
{
	const char *slash = strrchr(dir, '/');
	const char *last = slash ? slash + 1 : dir;
	const char *dot = strrchr(last, '.');
	size_t ext;

	if (!dot || dot == last)
		return false; /* no extension, or a hidden name (".cache") */
	ext = strlen(dot + 1);
	if (ext < 1 || ext > 5)
		return false;
	for (const char *p = dot + 1; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	}
	return true;
}

bool cli_option_names(size_t i, const char **name, const char **alias, char *letter)
{
	for (size_t k = 0; k < N_OPTIONS; k++) {
		if (options[k].flags & F_HIDDEN)
			continue;
		if (i-- == 0) {
			*name = options[k].name;
			*alias = options[k].alias;
			*letter = options[k].letter;
			return true;
		}
	}
	return false;
}

/* --help: the options of each section, then the notes and exit codes. */
static void print_help(FILE *out)
{
	fprintf(out, "Usage: %s\n%s\n", usage_line, about_text);
	for (int s = 0; s < SEC_COUNT; s++) {
		if (section_titles[s])
			fprintf(out, "%s:\n", section_titles[s]);
		for (size_t i = 0; i < N_OPTIONS; i++) {
			const struct cli_option *opt = &options[i];
			const char *line = opt->help;
			char left[64];
			size_t n;

			if (opt->section != (enum section)s || (opt->flags & F_HIDDEN))
				continue;
			n = (size_t)snprintf(
			    left, sizeof(left), "  %c%c%c --%s", opt->letter ? '-' : ' ',
			    opt->letter ? opt->letter : ' ', opt->letter ? ',' : ' ', opt->name);
			if (value_of(opt) == V_REQUIRED)
				snprintf(left + n, sizeof(left) - n, " %s", opt->metavar);
			else if (value_of(opt) == V_OPTIONAL)
				snprintf(left + n, sizeof(left) - n, "[=%s]", opt->metavar);
			/* a name too long for the column gets a line of its own */
			if (strlen(left) > 28)
				fprintf(out, "%s\n", left);
			for (bool first = strlen(left) <= 28; *line; first = false) {
				size_t len = strcspn(line, "\n");

				fprintf(out, "%-28s %.*s\n", first ? left : "", (int)len, line);
				line += len + (line[len] == '\n');
			}
			if (opt->alias)
				fprintf(out, "%-28s (alias --%s)\n", "", opt->alias);
		}
		fputc('\n', out);
	}
	fprintf(out, "%s\nExit status:\n", notes_text);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		fprintf(out, "  %-4d %s\n", exit_codes[i].code, exit_codes[i].meaning);
	fputs("\nEnvironment:\n", out);
	for (size_t i = 0; i < sizeof(environment) / sizeof(environment[0]); i++)
		fprintf(out, "  %s\n      %s\n", environment[i].name, environment[i].meaning);
}

static void print_version(FILE *out)
{
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	fprintf(out, "fetchall %s\nlibcurl %s (%s)\nlibxml2 %s\n", FETCHALL_VERSION, v->version,
		v->ssl_version ? v->ssl_version : "no TLS", LIBXML_DOTTED_VERSION);
}

/* Text as roff input lines: '-' as \-, '\' as \e, and a line that would
 * start with a control character ('.' or '\'') made text with \&. */
static void roff_text(FILE *out, const char *s)
{
	bool line_start = true;

	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		line_start = *s == '\n';
		if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\\')
			fputs("\\e", out);
		else
			fputc(*s, out);
	}
}

/* "\fB\-\-crawl\fR or \fB\-\-images\fR": the options that turn on the
 * modes in mask, after `lead`. */
static void roff_modes(FILE *out, const char *lead, unsigned mask)
{
	const char *sep = "";

	fputs(lead, out);
	for (unsigned bit = 1; bit && bit <= mask; bit <<= 1) {
		const struct cli_option *opt = (mask & bit) ? mode_option(bit) : NULL;

		if (!opt)
			continue;
		fprintf(out, "%s\\fB\\-\\-", sep);
		roff_text(out, opt->name);
		fputs("\\fR", out);
		sep = " or ";
	}
}

/* After an option's text: "(also --alias; only with --crawl; not with
 * --images)", those that apply. */
static void roff_notes(FILE *out, const struct cli_option *opt)
{
	const char *sep = "(";

	if (opt->alias) {
		fprintf(out, "%salso \\fB\\-\\-", sep);
		roff_text(out, opt->alias);
		fputs("\\fR", out);
		sep = "; ";
	}
	if (opt->needs) {
		fputs(sep, out);
		roff_modes(out, "only with ", opt->needs);
		sep = "; ";
	}
	if (opt->excludes) {
		fputs(sep, out);
		roff_modes(out, "not with ", opt->excludes);
		sep = "; ";
	}
	if (*sep == ';')
		fputs(")\n", out);
}

/* --help-man: fetchall(1) in roff, from the same table and texts. */
static void print_man(FILE *out)
{
	fputs(".\\\" fetchall(1), written by 'fetchall --help-man' from src/cli.c\n", out);
	fprintf(out, ".TH FETCHALL 1 \"\" \"fetchall %s\" \"User Commands\"\n", FETCHALL_VERSION);
	/* option names must not be hyphenated; ragged right reads better */
	fputs(".nh\n.ad l\n", out);
	fputs(".SH NAME\nfetchall \\- download many URLs at once, the images of pages, or a site\n"
	      ".SH SYNOPSIS\n.B fetchall\n[\\fIOPTIONS\\fR] \\fILIST\\fR|\\fIURL\\fR...\n"
	      ".SH DESCRIPTION\n",
	      out);
	roff_text(out, about_text);
	fputs(".PP\n", out);
	roff_text(out, notes_text);
	fputs(".PP\n", out);
	roff_text(out, values_text);
	fputs(".SH OPTIONS\n", out);
	for (int s = 0; s < SEC_COUNT; s++) {
		fprintf(out, ".SS \"%s\"\n", section_titles[s] ? section_titles[s] : "Information");
		for (size_t i = 0; i < N_OPTIONS; i++) {
			const struct cli_option *opt = &options[i];

			if (opt->section != (enum section)s || (opt->flags & F_HIDDEN))
				continue;
			fputs(".TP\n", out);
			if (opt->letter)
				fprintf(out, "\\fB\\-%c\\fR, ", opt->letter);
			fputs("\\fB\\-\\-", out);
			roff_text(out, opt->name);
			fputs("\\fR", out);
			if (value_of(opt) != V_NONE) {
				fputs(value_of(opt) == V_OPTIONAL ? "[\\fB=\\fR\\fI" : " \\fI",
				      out);
				roff_text(out, opt->metavar);
				fputs(value_of(opt) == V_OPTIONAL ? "\\fR]" : "\\fR", out);
			}
			fputc('\n', out);
			roff_text(out, opt->help);
			fputc('\n', out);
			roff_notes(out, opt);
		}
	}
	fputs(".SH \"EXIT STATUS\"\n", out);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++) {
		fprintf(out, ".TP\n.B %d\n", exit_codes[i].code);
		roff_text(out, exit_codes[i].meaning);
		fputc('\n', out);
	}
	fputs(".SH ENVIRONMENT\n", out);
	for (size_t i = 0; i < sizeof(environment) / sizeof(environment[0]); i++) {
		fputs(".TP\n.B ", out);
		roff_text(out, environment[i].name);
		fputc('\n', out);
		roff_text(out, environment[i].meaning);
		fputc('\n', out);
	}
	fputs(".SH EXAMPLES\n", out);
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		fputs(".PP\n", out);
		roff_text(out, examples[i].what);
		fputs("\n.PP\n.RS 4\n.nf\n", out);
		roff_text(out, examples[i].command);
		fputs("\n.fi\n.RE\n", out);
	}
}

/* What the value of a row names, for shell completion: by its metavar. */
enum value_kind { VALUE_OTHER, VALUE_FILE, VALUE_DIR };

static enum value_kind value_kind(const struct cli_option *opt)
{
	if (!opt->metavar)
		return VALUE_OTHER;
	if (!strcmp(opt->metavar, "DIR"))
		return VALUE_DIR;
	if (!strcmp(opt->metavar, "LIST") || !strncmp(opt->metavar, "FILE", 4))
		return VALUE_FILE;
	return VALUE_OTHER;
}

/* A row's spellings for a shell's case pattern: "-j|--jobs", alias too. */
static void bash_spellings(FILE *out, const struct cli_option *opt)
{
	const char *sep = "";

	if (opt->letter) {
		fprintf(out, "-%c", opt->letter);
		sep = "|";
	}
	fprintf(out, "%s--%s", sep, opt->name);
	if (opt->alias)
		fprintf(out, "|--%s", opt->alias);
}

/* The "case $prev" arm of the rows whose value is of kind `kind`
 * (VALUE_OTHER: any value that is no file: offer nothing), or nothing. */
static void bash_value_arm(FILE *out, enum value_kind kind, const char *action)
{
	const char *sep = "\t\t";
	bool any = false;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *opt = &options[i];

		if ((opt->flags & F_HIDDEN) || value_of(opt) != V_REQUIRED ||
		    value_kind(opt) != kind)
			continue;
		fputs(sep, out);
		bash_spellings(out, opt);
		sep = "|";
		any = true;
	}
	if (any)
		fprintf(out, ")\n\t\t%s\n\t\treturn\n\t\t;;\n", action);
}

/* --help-bash-completion: a bash completion script from the table. */
static void print_bash_completion(FILE *out)
{
	const char *sep = "";

	fputs("# bash completion for fetchall, written by 'fetchall --help-bash-completion'\n"
	      "# from src/cli.c's table of options\n"
	      "_fetchall()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tlocal IFS=$'\\n' # file names may hold spaces; the words below are one a line\n"
	      "\tCOMPREPLY=()\n"
	      "\t# --name=value: bash splits the word at '='\n"
	      "\t[[ $prev == = && $COMP_CWORD -gt 1 ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}\n"
	      "\tcase $prev in\n",
	      out);
	bash_value_arm(out, VALUE_DIR, "COMPREPLY=($(compgen -d -- \"$cur\"))");
	bash_value_arm(out, VALUE_FILE, "COMPREPLY=($(compgen -f -- \"$cur\"))");
	bash_value_arm(out, VALUE_OTHER, ": # a number, a size, a pattern: nothing to offer");
	fputs("\tesac\n\tcase $cur in\n\t-*)\n\t\tCOMPREPLY=($(compgen -W '", out);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *opt = &options[i];

		if (opt->flags & F_HIDDEN)
			continue;
		if (opt->letter)
			fprintf(out, "%s-%c", sep, opt->letter), sep = "\n";
		fprintf(out, "%s--%s", sep, opt->name), sep = "\n";
		if (opt->alias)
			fprintf(out, "%s--%s", sep, opt->alias);
	}
	fputs("' -- \"$cur\"))\n\t\t;;\n"
	      "\t*)\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\t\t;;\n\tesac\n}\n"
	      "complete -o filenames -F _fetchall fetchall\n",
	      out);
}

/* A row's help on one line, for a zsh description in single quotes and
 * brackets: quotes closed and reopened, brackets, colons and backslashes
 * escaped. */
static void zsh_description(FILE *out, const char *help)
{
	for (; *help; help++) {
		if (*help == '\n')
			fputc(' ', out);
		else if (*help == '\'')
			fputs("'\\''", out);
		else if (*help == '[' || *help == ']' || *help == '\\' || *help == ':')
			fprintf(out, "\\%c", *help);
		else
			fputc(*help, out);
	}
}

/* One zsh _arguments spec for spelling `dash name` of opt. */
static void zsh_spec(FILE *out, const struct cli_option *opt, const char *dash, const char *name)
{
	bool repeatable = opt->type == T_LIST || opt->parse == parse_header;
	enum opt_value v = value_of(opt);

	fputs("\t'", out);
	if (repeatable) {
		fputs("*", out);
	} else {
		/* the other spellings of the same row exclude this one */
		fputs("(", out);
		if (opt->letter)
			fprintf(out, "-%c ", opt->letter);
		fprintf(out, "--%s%s%s)", opt->name, opt->alias ? " --" : "",
			opt->alias ? opt->alias : "");
	}
	fprintf(out, "%s%s%s[", dash, name,
		v == V_REQUIRED   ? (dash[1] ? "=" : "+")
		: v == V_OPTIONAL ? "=-"
				  : "");
	zsh_description(out, opt->help ? opt->help : "");
	fputs("]", out);
	if (v != V_NONE) {
		fputs(v == V_OPTIONAL ? "::" : ":", out);
		zsh_description(out, opt->metavar);
		fputc(':', out);
		if (value_kind(opt) == VALUE_DIR)
			fputs("_files -/", out);
		else if (value_kind(opt) == VALUE_FILE)
			fputs("_files", out);
		else
			fputs(" ", out);
	}
	fputs("' \\\n", out);
}

/* --help-zsh-completion: _fetchall for zsh's site-functions. */
static void print_zsh_completion(FILE *out)
{
	fputs("#compdef fetchall\n"
	      "# zsh completion for fetchall, written by 'fetchall --help-zsh-completion'\n"
	      "# from src/cli.c's table of options\n"
	      "_arguments -s -S \\\n",
	      out);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct cli_option *opt = &options[i];
		char letter[2] = {opt->letter, '\0'};

		if (opt->flags & F_HIDDEN)
			continue;
		if (opt->letter)
			zsh_spec(out, opt, "-", letter);
		zsh_spec(out, opt, "--", opt->name);
		if (opt->alias)
			zsh_spec(out, opt, "--", opt->alias);
	}
	fputs("\t'*:URL or LIST:_files'\n", out);
}

static void arg_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg_add(struct args *a, const char *fmt, ...)
{
	char **p;
	va_list ap;
	int n;

	if (a->failed)
		return;
	p = realloc(a->items, (a->count + 2) * sizeof(*p));
	if (!p) {
		a->failed = true;
		return;
	}
	a->items = p;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	a->items[a->count] = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!a->items[a->count]) {
		a->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(a->items[a->count], (size_t)n + 1, fmt, ap);
	va_end(ap);
	a->items[++a->count] = NULL;
}

static void emit_header(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	for (const struct curl_slist *h = o->headers; h; h = h->next)
		arg_add(a, "--%s=%s", opt->name, h->data);
}

static void emit_proxy(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	if (o->proxy)
		arg_add(a, "--%s=%s", opt->name, o->proxy);
}

static void emit_multiplex(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	if (o->multiplex)
		arg_add(a, "--%s=%s", opt->name, multiplex_names[o->multiplex]);
}

static void emit_throttle(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	if (o->throttle_target_milli)
		arg_add(a, "--%s=%u.%03u", opt->name, o->throttle_target_milli / 1000,
			o->throttle_target_milli % 1000);
}

/* -b: curl's rule, data if it holds '=', else a file to load. */
static enum fa_err parse_cookie(const char *arg, struct fa_opts *o)
{
	if (!arg || !*arg)
		return FA_ERR_PARSE;
	if (strchr(arg, '=')) {
		if (strpbrk(arg, "\r\n"))
			return FA_ERR_PARSE;
		o->cookie_header = arg;
	} else {
		o->load_cookies = arg;
	}
	return FA_OK;
}

static void emit_cookie(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	if (o->cookie_header)
		arg_add(a, "--%s=%s", opt->name, o->cookie_header);
}

static void emit_shard(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	if (o->nshards)
		arg_add(a, "--%s=%u/%u", opt->name, o->shard, o->nshards);
}

/* Whether o's value of a (non-custom) option differs from d's. */
static bool differs(const struct cli_option *opt, const struct fa_opts *o, const struct fa_opts *d)
{
	const void *f = cfield_of(o, opt->off), *g = cfield_of(d, opt->off);
	const char *s, *t;

	switch (opt->type) {
	case T_FLAG: return *(const bool *)f != *(const bool *)g;
	case T_UINT: return *(const unsigned *)f != *(const unsigned *)g;
	case T_LONG:
	case T_MS:
	case T_S:
	case T_SIZE_LONG: return *(const long *)f != *(const long *)g;
	case T_ULLONG: return *(const unsigned long long *)f != *(const unsigned long long *)g;
	case T_SIZE: return *(const long long *)f != *(const long long *)g;
	case T_STRING:
		s = *(const char *const *)f;
		t = *(const char *const *)g;
		return s != t && (!s || !t || strcmp(s, t));
	case T_LIST: return *(const size_t *)cfield_of(o, opt->count_off) > 0;
	default: return true; /* T_CUSTOM: emit() says */
	}
}

/* Adds opt as o has it, in canonical long form. */
static void emit(struct args *a, const struct cli_option *opt, const struct fa_opts *o)
{
	const void *f = cfield_of(o, opt->off);

	switch (opt->type) {
	case T_FLAG: arg_add(a, "--%s", opt->name); break;
	case T_UINT:
		if ((opt->flags & F_INF) && *(const unsigned *)f == UINT_MAX)
			arg_add(a, "--%s=inf", opt->name);
		else
			arg_add(a, "--%s=%u", opt->name, *(const unsigned *)f);
		break;
	case T_LONG:
	case T_S:
	case T_SIZE_LONG: arg_add(a, "--%s=%ld", opt->name, *(const long *)f); break;
	case T_ULLONG: arg_add(a, "--%s=%llu", opt->name, *(const unsigned long long *)f); break;
	case T_MS: arg_add(a, "--%s=%.3f", opt->name, (double)*(const long *)f / 1000.0); break;
	case T_SIZE: arg_add(a, "--%s=%lld", opt->name, *(const long long *)f); break;
	case T_STRING: arg_add(a, "--%s=%s", opt->name, *(const char *const *)f); break;
	case T_LIST:
		for (size_t i = 0; i < *(const size_t *)cfield_of(o, opt->count_off); i++)
			arg_add(a, "--%s=%s", opt->name, (*(const char *const *const *)f)[i]);
		break;
	case T_CUSTOM: opt->emit(a, opt, o); break;
	case T_ACTION: break;
	}
}

char **cli_job_args(const struct fa_opts *o)
{
	struct args a = {0};
	struct fa_opts d;

	defaults(&d);
	arg_add(&a, "fetchall");
	for (size_t i = 0; i < o->n_urls; i++)
		arg_add(&a, "%s", o->urls[i]);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if ((options[i].flags & F_JOB) && differs(&options[i], o, &d))
			emit(&a, &options[i], o);
	}
	if (a.failed) {
		cli_free_args(a.items);
		return NULL;
	}
	return a.items;
}

void cli_free_args(char **args)
{
	if (!args)
		return;
	for (char **p = args; *p; p++)
		free(*p);
	free(args);
}
