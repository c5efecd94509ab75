/*
 * cli: command-line parsing with getopt_long, defaults, and --help.
 *
 * Option names follow the tools fetchall's users know: -j like aria2c and
 * make, -o/-x/-c/-i/-U/-H/-q like wget and curl, --speed-limit/-time,
 * --max-redirs, --max-filesize and --connect-timeout like curl.  Every
 * number goes through one checked parser (strtoll with end pointer, errno
 * and range); a bad value is a usage error naming the option.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <libxml/xmlversion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_JSON = 256,
	OPT_NO_CLOBBER,
	OPT_RETRIES,
	OPT_RETRY_WAIT,
	OPT_RETRY_MAX_WAIT,
	OPT_RETRY_AFTER_MAX,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_SPEED_LIMIT,
	OPT_SPEED_TIME,
	OPT_MAX_REDIRS,
	OPT_MAX_FILESIZE,
	OPT_ALLOW_FILE,
	OPT_IMAGES,
	OPT_MAX_PAGES,
	OPT_SPAN_HOSTS,
	OPT_DOMAINS,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_NO_PARENT,
	OPT_NO_ROBOTS,
	OPT_PER_HOST,
	OPT_WAIT,
	OPT_RANDOM_WAIT,
	OPT_PARSE_TIMEOUT,
	OPT_PARSE_MEM,
	OPT_ACCEPT_TYPE,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
	OPT_DEDUPE,
	OPT_MAX_PAGE_SIZE,
	OPT_PARSE_WORKER,
	OPT_COMPARE,
	OPT_AUTO_THROTTLE,
	OPT_SAVE_FAILED,
	OPT_SHARD,
	OPT_CONVERT_LINKS,
	OPT_REPEAT,
	OPT_KEEP,
	OPT_PLOT,
	OPT_STATS,
};

static const struct option long_options[] = {
    {"jobs", required_argument, NULL, 'j'},
    {"output-dir", required_argument, NULL, 'o'},
    {"input-file", required_argument, NULL, 'i'},
    {"tree", no_argument, NULL, 'x'},
    {"force-directories", no_argument, NULL, 'x'},
    {"continue", no_argument, NULL, 'c'},
    {"no-clobber", no_argument, NULL, OPT_NO_CLOBBER},
    {"content-disposition", no_argument, NULL, 'J'},
    {"remote-header-name", no_argument, NULL, 'J'},
    {"json", no_argument, NULL, OPT_JSON},
    {"save-failed", required_argument, NULL, OPT_SAVE_FAILED},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"user-agent", required_argument, NULL, 'U'},
    {"header", required_argument, NULL, 'H'},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"retry-wait", required_argument, NULL, OPT_RETRY_WAIT},
    {"retry-max-wait", required_argument, NULL, OPT_RETRY_MAX_WAIT},
    {"retry-after-max", required_argument, NULL, OPT_RETRY_AFTER_MAX},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-time", required_argument, NULL, OPT_TIMEOUT},
    {"speed-limit", required_argument, NULL, OPT_SPEED_LIMIT},
    {"speed-time", required_argument, NULL, OPT_SPEED_TIME},
    {"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
    {"max-filesize", required_argument, NULL, OPT_MAX_FILESIZE},
    {"allow-file", no_argument, NULL, OPT_ALLOW_FILE},
    {"insecure", no_argument, NULL, 'k'},
    {"images", no_argument, NULL, OPT_IMAGES},
    {"crawl", no_argument, NULL, 'r'},
    {"recursive", no_argument, NULL, 'r'},
    {"depth", required_argument, NULL, 'd'},
    {"level", required_argument, NULL, 'd'},
    {"max-pages", required_argument, NULL, OPT_MAX_PAGES},
    {"span-hosts", no_argument, NULL, OPT_SPAN_HOSTS},
    {"domains", required_argument, NULL, OPT_DOMAINS},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"no-parent", no_argument, NULL, OPT_NO_PARENT},
    {"no-robots", no_argument, NULL, OPT_NO_ROBOTS},
    {"page-requisites", no_argument, NULL, 'p'},
    {"per-host", required_argument, NULL, OPT_PER_HOST},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"random-wait", no_argument, NULL, OPT_RANDOM_WAIT},
    {"auto-throttle", optional_argument, NULL, OPT_AUTO_THROTTLE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"convert-links", no_argument, NULL, OPT_CONVERT_LINKS},
    {"parse-procs", required_argument, NULL, 'P'},
    {"parse-timeout", required_argument, NULL, OPT_PARSE_TIMEOUT},
    {"parse-mem-limit", required_argument, NULL, OPT_PARSE_MEM},
    {"accept", required_argument, NULL, 'A'},
    {"accept-type", required_argument, NULL, OPT_ACCEPT_TYPE},
    {"min-size", required_argument, NULL, OPT_MIN_SIZE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"dedupe", no_argument, NULL, OPT_DEDUPE},
    {"max-page-size", required_argument, NULL, OPT_MAX_PAGE_SIZE},
    {"parse-worker", no_argument, NULL, OPT_PARSE_WORKER},
    {"compare", optional_argument, NULL, OPT_COMPARE},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"stats", required_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: fetchall [OPTIONS] LIST|URL...\n"
    "Download every URL in LIST (a file, or - for standard input), many at once.\n"
    "Arguments containing :// are URLs; at most one other argument is a LIST.\n"
    "\n"
    "Input and output:\n"
    "  -i, --input-file LIST      the URL list (same as the LIST argument)\n"
    "  -o, --output-dir DIR       save files under DIR (default: downloads)\n"
    "  -x, --tree                 mirror host/path under DIR, like wget -x\n"
    "                             (alias --force-directories)\n"
    "  -c, --continue             resume this URL's NAME.part (If-Range, checked\n"
    "                             206s); skip it if saved; complete a short file\n"
    "      --no-clobber           skip URLs whose file already exists\n"
    "  -J, --content-disposition  name files as the server's Content-Disposition\n"
    "                             header says (no directory part, made safe)\n"
    "      --json                 one JSON object per URL on standard output\n"
    "      --save-failed FILE     write the URLs that failed (after Ctrl-C, every\n"
    "                             URL not done) to FILE, a list to run again\n"
    "                             (replaced when the run ends)\n"
    "  -q, --quiet                no progress, failures or summary on stderr\n"
    "  -v, --verbose              a line on stderr for every saved file\n"
    "\n"
    "Concurrency:\n"
    "  -j, --jobs N               transfers in flight at most, 1..1024 (default 8)\n"
    "  -P, --parse-procs N        parse HTML in N worker processes (default 0:\n"
    "                             in the fetch threads)\n"
    "      --parse-timeout S      kill a parser worker after S s on a page (default 10)\n"
    "      --parse-mem-limit SIZE memory cap of a parser worker (default 1G)\n"
    "\n";

/* In parts: C11 compilers need only take string literals of 4095 bytes. */
static const char usage_text2[] =
    "Pages and images:\n"
    "      --images               LIST holds pages: download the images they show\n"
    "  -p, --page-requisites      also images, stylesheets and scripts of pages\n"
    "  -A, --accept EXT,...       only images whose names end in these extensions\n"
    "      --accept-type T,...    only files of these types (Content-Type or magic\n"
    "                             bytes), e.g. image/* or image/png,image/jpeg\n"
    "      --min-size SIZE        skip files smaller than SIZE (k, M, G)\n"
    "      --max-size SIZE        skip files larger than SIZE\n"
    "      --dedupe               save identical content once\n"
    "      --max-page-size SIZE   larger pages are not parsed (default 10M)\n"
    "\n"
    "Crawling:\n"
    "  -r, --crawl                follow links from the URLs given (alias --recursive);\n"
    "                             files are saved as host/path (-x)\n"
    "  -d, --depth N|inf          links followed from a start URL (default 2)\n"
    "      --max-pages N          pages fetched at most (robots-refused ones do\n"
    "                             not count)\n"
    "      --span-hosts           follow links to any host\n"
    "      --domains D,...        also follow hosts in these domains\n"
    "      --include REGEX        fetch only URLs matching: links, images and the\n"
    "                             files of a list (repeatable)\n"
    "      --exclude REGEX        never fetch URLs matching (repeatable)\n"
    "      --no-parent            stay at or below each start URL's directory\n"
    "      --convert-links        point links in saved pages at the local copies\n"
    "                             when the crawl ends (wget -k)\n"
    "      --no-robots            ignore robots.txt (obeyed by default)\n"
    "      --per-host N           transfers at once per host at most (default -j)\n"
    "      --wait S               between two requests to one host (default 0)\n"
    "      --random-wait          each wait is 0.5 to 1.5 times --wait\n"
    "      --auto-throttle[=N]    adapt each host's delay to its latency, aiming at\n"
    "                             N requests in flight per host (default 1)\n"
    "      --shard K/N            fetch only the hosts of shard K of N, so N machines\n"
    "                             given the same job split it by host\n"
    "\n";

static const char usage_text3[] =
    "Comparing concurrency levels:\n"
    "      --compare[=J1,J2,...]  time the same job at each -j level (default: 1 and\n"
    "                             -j) in separate runs; prints speedup, efficiency,\n"
    "                             ideal time, where the time goes and the knee\n"
    "      --repeat N             measured runs per level, median reported (default 1)\n"
    "      --plot FILE.svg        write wall time and speedup against J as SVG\n"
    "      --keep                 keep each run's output directory\n"
    "                             (--json prints the comparison as JSON)\n"
    "\n"
    "HTTP:\n"
    "  -U, --user-agent STR       User-Agent (default fetchall/" FETCHALL_VERSION ")\n"
    "  -H, --header 'NAME: VALUE' extra request header (repeatable)\n"
    "      --max-redirs N         redirects followed at most (default 10)\n"
    "      --max-filesize SIZE    fail bodies larger than SIZE (k, M, G; default none)\n"
    "      --allow-file           also accept file:// URLs in LIST\n"
    "  -k, --insecure             do not verify TLS certificates (dangerous)\n"
    "\n"
    "Timeouts and retries:\n"
    "      --connect-timeout S    give up connecting after S seconds (default 30)\n"
    "      --timeout S            give up a transfer after S seconds (default none;\n"
    "                             alias --max-time)\n"
    "      --speed-limit B        abort a transfer slower than B bytes/s ...\n"
    "      --speed-time S         ... for S seconds (defaults 1 B/s for 30 s;\n"
    "                             --speed-time 0 turns the stall check off)\n"
    "      --retries N            retries of a transient failure (default 3)\n"
    "      --retry-wait S         first backoff, doubled each retry (default 1)\n"
    "      --retry-max-wait S     backoff cap (default 30)\n"
    "      --retry-after-max S    longest Retry-After honoured (default 120)\n"
    "\n"
    "  -h, --help                 this text\n"
    "  -V, --version              versions of fetchall, libcurl and libxml2\n"
    "\n"
    "Transient failures (connection errors, timeouts, 408, 429, 500, 502, 503,\n"
    "504) are retried with exponential backoff and jitter, honouring Retry-After;\n"
    "a retry resumes a cut-off body with a Range request.  Files are written\n"
    "atomically: a file with its final name is always complete.\n"
    "\n"
    "Exit status:\n"
    "  0    every URL saved (or skipped), or the list was empty\n"
    "  1    some URLs failed\n"
    "  2    usage or input error (bad option, missing list, unwritable DIR)\n"
    "  3    every URL failed\n"
    "  130  interrupted (SIGINT or SIGTERM); run again with -c to resume\n";

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

/* "--name" of a long-only option, for messages. */
static const char *option_name(int val)
{
	static char buf[40];

	for (const struct option *o = long_options; o->name; o++) {
		if (o->val == val) {
			snprintf(buf, sizeof(buf), "--%s", o->name);
			return buf;
		}
	}
	return "option";
}

/* "1,4,16" into o->levels. */
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
		o->levels[o->n_levels++] = (unsigned)v;
		text += n;
		if (*text == ',' && *++text == '\0')
			return FA_ERR_PARSE;
	}
	return o->n_levels ? FA_OK : FA_ERR_PARSE;
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

static void defaults(struct fa_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->output_dir = "downloads";
	o->jobs = 8;
	snprintf(o->user_agent_buf, sizeof(o->user_agent_buf), "fetchall/%s", FETCHALL_VERSION);
	o->user_agent = o->user_agent_buf;
	o->retries = 3;
	o->retry_wait_ms = 1000;
	o->retry_max_wait_ms = 30000;
	o->retry_after_max_ms = 120000;
	o->connect_timeout_ms = 30000;
	o->speed_limit = 1;
	o->speed_time_s = 30;
	o->max_redirs = 10;
	o->depth = 2;
	o->parse_timeout_ms = 10000;
	o->parse_mem_limit = 1024LL * 1024 * 1024;
	o->max_page_size = 10LL * 1024 * 1024;
}

static void print_version(FILE *out)
{
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	fprintf(out, "fetchall %s\nlibcurl %s (%s)\nlibxml2 %s\n", FETCHALL_VERSION, v->version,
		v->ssl_version ? v->ssl_version : "no TLS", LIBXML_DOTTED_VERSION);
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

enum cli_action cli_parse(int argc, char **argv, struct fa_opts *o, FILE *out, char *errbuf,
			  size_t errlen)
{
	long long n;
	long ms;
	int c;

	defaults(o);
	/* 0, not 1: glibc then starts afresh, also forgetting a short-option
	 * cluster an earlier parse stopped inside ("-nc" failing at 'n'). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:o:i:xcJqvU:H:khVrd:pP:A:", long_options, NULL)) !=
	       -1) {
		const char *name = option_name(c);

		switch (c) {
		case 'j':
			if (cli_parse_long(optarg, 1, 1024, &n) != FA_OK) {
				snprintf(errbuf, errlen,
					 "-j/--jobs wants a whole number from 1 to 1024, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->jobs = (unsigned)n;
			break;
		case 'o': o->output_dir = optarg; break;
		case 'i':
			if (o->list) {
				snprintf(errbuf, errlen, "only one URL list may be given");
				return CLI_USAGE;
			}
			o->list = optarg;
			break;
		case 'x': o->tree = true; break;
		case 'c': o->cont = true; break;
		case OPT_NO_CLOBBER: o->no_clobber = true; break;
		case 'J': o->content_disposition = true; break;
		case OPT_JSON: o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 'U': o->user_agent = optarg; break;
		case 'H': {
			struct curl_slist *l;

			if (!header_ok(optarg)) {
				snprintf(errbuf, errlen,
					 "-H/--header wants 'Name: value' on one line, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			l = curl_slist_append(o->headers, optarg);
			if (!l) {
				snprintf(errbuf, errlen, "out of memory");
				return CLI_USAGE;
			}
			o->headers = l;
			break;
		}
		case 'k': o->insecure = true; break;
		case OPT_ALLOW_FILE: o->allow_file = true; break;
		case OPT_RETRIES:
			if (cli_parse_long(optarg, 0, 100, &n) != FA_OK) {
				snprintf(errbuf, errlen, "--retries wants 0 to 100, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->retries = (unsigned)n;
			break;
		case OPT_MAX_REDIRS:
			if (cli_parse_long(optarg, 0, 1000, &n) != FA_OK) {
				snprintf(errbuf, errlen, "--max-redirs wants 0 to 1000, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->max_redirs = (long)n;
			break;
		case OPT_SPEED_LIMIT:
			if (cli_parse_size(optarg, &n) != FA_OK || n > LONG_MAX) {
				snprintf(errbuf, errlen, "--speed-limit wants bytes/s, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->speed_limit = (long)n;
			break;
		case OPT_MAX_FILESIZE:
			if (cli_parse_size(optarg, &n) != FA_OK) {
				snprintf(errbuf, errlen,
					 "--max-filesize wants a size like 500k or 2G, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->max_filesize = n;
			break;
		case OPT_RETRY_WAIT:
		case OPT_RETRY_MAX_WAIT:
		case OPT_RETRY_AFTER_MAX:
		case OPT_CONNECT_TIMEOUT:
		case OPT_TIMEOUT:
		case OPT_SPEED_TIME:
			if (cli_parse_seconds(optarg, &ms) != FA_OK) {
				snprintf(errbuf, errlen, "%s wants seconds, not '%s'", name,
					 optarg);
				return CLI_USAGE;
			}
			if (c == OPT_RETRY_WAIT)
				o->retry_wait_ms = ms;
			else if (c == OPT_RETRY_MAX_WAIT)
				o->retry_max_wait_ms = ms;
			else if (c == OPT_RETRY_AFTER_MAX)
				o->retry_after_max_ms = ms;
			else if (c == OPT_CONNECT_TIMEOUT)
				o->connect_timeout_ms = ms;
			else if (c == OPT_TIMEOUT)
				o->timeout_ms = ms;
			else
				o->speed_time_s = (ms + 999) / 1000;
			break;
		case OPT_IMAGES: o->images = true; break;
		case 'r': o->crawl = true; break;
		case 'p': o->requisites = true; break;
		case OPT_SPAN_HOSTS: o->span_hosts = true; break;
		case OPT_NO_PARENT: o->no_parent = true; break;
		case OPT_NO_ROBOTS: o->no_robots = true; break;
		case OPT_RANDOM_WAIT: o->random_wait = true; break;
		case OPT_AUTO_THROTTLE:
			o->throttle_target_milli = 1000;
			/* a decimal number, read by the seconds parser in
			 * thousandths */
			if (optarg && (cli_parse_seconds(optarg, &ms) != FA_OK || ms < 100 ||
				       ms > 1024 * 1000)) {
				snprintf(errbuf, errlen,
					 "--auto-throttle wants requests in flight per host, "
					 "0.1 to 1024, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			if (optarg)
				o->throttle_target_milli = (unsigned)ms;
			break;
		case OPT_DEDUPE: o->dedupe = true; break;
		case OPT_PARSE_WORKER: o->parse_worker = true; break;
		case OPT_KEEP: o->keep = true; break;
		case OPT_PLOT: o->plot = optarg; break;
		case OPT_STATS: o->stats_file = optarg; break;
		case OPT_SAVE_FAILED: o->save_failed = optarg; break;
		case OPT_CONVERT_LINKS: o->convert_links = true; break;
		case OPT_SHARD:
			if (parse_shard(optarg, o) != FA_OK) {
				snprintf(errbuf, errlen,
					 "--shard wants K/N with 1 <= K <= N <= 65536, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_COMPARE:
			o->compare = true;
			if (optarg && parse_levels(optarg, o) != FA_OK) {
				snprintf(errbuf, errlen,
					 "--compare wants levels like 1,4,16 (each 1 to 1024, "
					 "at most 32), not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_REPEAT:
			if (cli_parse_long(optarg, 1, 100, &n) != FA_OK) {
				snprintf(errbuf, errlen, "--repeat wants 1 to 100, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->repeat = (unsigned)n;
			break;
		case OPT_DOMAINS: o->domains = optarg; break;
		case 'A': o->accept_ext = optarg; break;
		case OPT_ACCEPT_TYPE: o->accept_types = optarg; break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
			if (!push_arg(c == OPT_INCLUDE ? &o->includes : &o->excludes,
				      c == OPT_INCLUDE ? &o->n_includes : &o->n_excludes, optarg)) {
				snprintf(errbuf, errlen, "out of memory");
				return CLI_USAGE;
			}
			break;
		case 'd':
			if (!strcmp(optarg, "inf")) {
				o->depth = UINT_MAX;
			} else if (cli_parse_long(optarg, 0, 1000000, &n) == FA_OK) {
				o->depth = (unsigned)n;
			} else {
				snprintf(errbuf, errlen,
					 "-d/--depth wants a number or inf, not '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_MAX_PAGES:
			if (cli_parse_long(optarg, 1, LLONG_MAX, &n) != FA_OK) {
				snprintf(errbuf, errlen,
					 "--max-pages wants a positive number, not '%s'", optarg);
				return CLI_USAGE;
			}
			o->max_pages = (unsigned long long)n;
			break;
		case OPT_PER_HOST:
			if (cli_parse_long(optarg, 1, 1024, &n) != FA_OK) {
				snprintf(errbuf, errlen, "--per-host wants 1 to 1024, not '%s'",
					 optarg);
				return CLI_USAGE;
			}
			o->per_host = (unsigned)n;
			break;
		case 'P':
			if (cli_parse_long(optarg, 0, 256, &n) != FA_OK) {
				snprintf(errbuf, errlen,
					 "-P/--parse-procs wants 0 to 256, not '%s'", optarg);
				return CLI_USAGE;
			}
			o->parse_procs = (unsigned)n;
			break;
		case OPT_WAIT:
		case OPT_PARSE_TIMEOUT:
			if (cli_parse_seconds(optarg, &ms) != FA_OK) {
				snprintf(errbuf, errlen, "%s wants seconds, not '%s'", name,
					 optarg);
				return CLI_USAGE;
			}
			*(c == OPT_WAIT ? &o->wait_ms : &o->parse_timeout_ms) = ms;
			break;
		case OPT_PARSE_MEM:
		case OPT_MAX_PAGE_SIZE:
		case OPT_MIN_SIZE:
		case OPT_MAX_SIZE:
			if (cli_parse_size(optarg, &n) != FA_OK) {
				snprintf(errbuf, errlen,
					 "%s wants a size like 500k or 2G, not '%s'", name, optarg);
				return CLI_USAGE;
			}
			if (c == OPT_PARSE_MEM)
				o->parse_mem_limit = n;
			else if (c == OPT_MAX_PAGE_SIZE)
				o->max_page_size = n;
			else if (c == OPT_MIN_SIZE)
				o->min_size = n;
			else
				o->max_size = n;
			break;
		case 'h':
			fputs(usage_text, out);
			fputs(usage_text2, out);
			fputs(usage_text3, out);
			return CLI_EXIT_OK;
		case 'V': print_version(out); return CLI_EXIT_OK;
		/* A short option is named by its letter: getopt may be inside a
		 * cluster ("-nc") or have moved operands, so argv[optind - 1] is
		 * not always the word that held it. */
		case ':':
			if (optopt)
				snprintf(errbuf, errlen, "option -%c needs a value", optopt);
			else
				snprintf(errbuf, errlen, "option %s needs a value",
					 argv[optind - 1]);
			return CLI_USAGE;
		default:
			if (optopt)
				snprintf(errbuf, errlen, "unknown option '-%c'%s (see --help)",
					 optopt,
					 optopt == 'n' ? " (for wget's -nc, use --no-clobber; "
							 "for -np, --no-parent)"
						       : "");
			else
				snprintf(errbuf, errlen, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (o->parse_worker)
		return CLI_RUN;
	for (int i = optind; i < argc; i++) {
		if (strstr(argv[i], "://")) {
			if (!push_arg(&o->urls, &o->n_urls, argv[i])) {
				snprintf(errbuf, errlen, "out of memory");
				return CLI_USAGE;
			}
			continue;
		}
		if (o->list) {
			snprintf(errbuf, errlen, "only one URL list may be given ('%s' and '%s')",
				 o->list, argv[i]);
			return CLI_USAGE;
		}
		o->list = argv[i];
	}
	if (!o->list && o->n_urls == 0) {
		snprintf(errbuf, errlen,
			 "no URL list given (a file, - for standard input, or URLs)");
		return CLI_USAGE;
	}
	if (o->crawl)
		o->tree = true;
	if (o->compare && o->n_levels == 0) {
		o->levels[o->n_levels++] = 1;
		if (o->jobs != 1)
			o->levels[o->n_levels++] = o->jobs;
	}
	if ((o->plot || o->keep || o->repeat) && !o->compare) {
		snprintf(errbuf, errlen, "--plot, --keep and --repeat go with --compare");
		return CLI_USAGE;
	}
	if (!o->repeat)
		o->repeat = 1;
	if (o->convert_links && !o->crawl && !o->requisites) {
		snprintf(errbuf, errlen, "--convert-links needs --crawl or -p (pages to save)");
		return CLI_USAGE;
	}
	if (o->save_failed && o->compare) {
		snprintf(errbuf, errlen, "--save-failed and --compare cannot be combined");
		return CLI_USAGE;
	}
	if (o->cont && o->no_clobber) {
		snprintf(errbuf, errlen, "-c/--continue and --no-clobber cannot be combined");
		return CLI_USAGE;
	}
	if (o->retry_max_wait_ms < o->retry_wait_ms)
		o->retry_max_wait_ms = o->retry_wait_ms;
	return CLI_RUN;
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
}

struct args {
	char **items;
	size_t count;
	bool failed;
};

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

static void arg_seconds(struct args *a, const char *opt, long ms)
{
	arg_add(a, "%s", opt);
	arg_add(a, "%.3f", (double)ms / 1000.0);
}

char **cli_job_args(const struct fa_opts *o)
{
	struct args a = {0};
	struct fa_opts d;
	char err[8];

	/* the defaults, to emit only what differs */
	{
		char *argv[] = {(char *)"fetchall", (char *)"-", NULL};

		cli_parse(2, argv, &d, stdout, err, sizeof(err));
		cli_release(&d);
	}
	arg_add(&a, "fetchall");
	if (o->list)
		arg_add(&a, "%s", o->list);
	for (size_t i = 0; i < o->n_urls; i++)
		arg_add(&a, "%s", o->urls[i]);
	if (o->tree && !o->crawl)
		arg_add(&a, "--tree");
	if (strcmp(o->user_agent, d.user_agent))
		arg_add(&a, "--user-agent=%s", o->user_agent);
	for (const struct curl_slist *h = o->headers; h; h = h->next)
		arg_add(&a, "--header=%s", h->data);
	arg_add(&a, "--retries=%u", o->retries);
	arg_seconds(&a, "--retry-wait", o->retry_wait_ms);
	arg_seconds(&a, "--retry-max-wait", o->retry_max_wait_ms);
	arg_seconds(&a, "--retry-after-max", o->retry_after_max_ms);
	arg_seconds(&a, "--connect-timeout", o->connect_timeout_ms);
	if (o->timeout_ms)
		arg_seconds(&a, "--timeout", o->timeout_ms);
	arg_add(&a, "--speed-limit=%ld", o->speed_limit);
	arg_add(&a, "--speed-time=%ld", o->speed_time_s);
	arg_add(&a, "--max-redirs=%ld", o->max_redirs);
	if (o->max_filesize)
		arg_add(&a, "--max-filesize=%lld", o->max_filesize);
	if (o->allow_file)
		arg_add(&a, "--allow-file");
	if (o->content_disposition)
		arg_add(&a, "--content-disposition");
	if (o->insecure)
		arg_add(&a, "--insecure");
	if (o->images)
		arg_add(&a, "--images");
	if (o->crawl)
		arg_add(&a, "--crawl");
	if (o->requisites)
		arg_add(&a, "--page-requisites");
	if (o->span_hosts)
		arg_add(&a, "--span-hosts");
	if (o->no_parent)
		arg_add(&a, "--no-parent");
	if (o->no_robots)
		arg_add(&a, "--no-robots");
	if (o->random_wait)
		arg_add(&a, "--random-wait");
	if (o->nshards)
		arg_add(&a, "--shard=%u/%u", o->shard, o->nshards);
	if (o->convert_links)
		arg_add(&a, "--convert-links");
	if (o->throttle_target_milli)
		arg_add(&a, "--auto-throttle=%u.%03u", o->throttle_target_milli / 1000,
			o->throttle_target_milli % 1000);
	if (o->dedupe)
		arg_add(&a, "--dedupe");
	if (o->domains)
		arg_add(&a, "--domains=%s", o->domains);
	if (o->accept_ext)
		arg_add(&a, "--accept=%s", o->accept_ext);
	if (o->accept_types)
		arg_add(&a, "--accept-type=%s", o->accept_types);
	for (size_t i = 0; i < o->n_includes; i++)
		arg_add(&a, "--include=%s", o->includes[i]);
	for (size_t i = 0; i < o->n_excludes; i++)
		arg_add(&a, "--exclude=%s", o->excludes[i]);
	if (o->depth == UINT_MAX)
		arg_add(&a, "--depth=inf");
	else
		arg_add(&a, "--depth=%u", o->depth);
	if (o->max_pages)
		arg_add(&a, "--max-pages=%llu", o->max_pages);
	if (o->per_host)
		arg_add(&a, "--per-host=%u", o->per_host);
	if (o->wait_ms)
		arg_seconds(&a, "--wait", o->wait_ms);
	arg_seconds(&a, "--parse-timeout", o->parse_timeout_ms);
	arg_add(&a, "--parse-mem-limit=%lld", o->parse_mem_limit);
	arg_add(&a, "--max-page-size=%lld", o->max_page_size);
	if (o->min_size)
		arg_add(&a, "--min-size=%lld", o->min_size);
	if (o->max_size)
		arg_add(&a, "--max-size=%lld", o->max_size);
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
