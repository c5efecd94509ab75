/*
 * cli: argv → struct fa_opts, and the --help, --version and man page
 * texts, all from one table of options (src/cli.c).
 */
#ifndef FA_CLI_H
#define FA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <curl/curl.h>

#include "err.h"

#define FETCHALL_VERSION "0.1.0"

struct fa_opts {
	const char *list;       /* URL list path, "-" for stdin */
	const char *output_dir; /* default "downloads" */
	const char *output_doc; /* -O FILE: the one URL saved as FILE ("-":
				   stdout); NULL: none */
	unsigned jobs;          /* -j: transfers in flight, 1..1024 */
	bool tree, cont, no_clobber, json, quiet, verbose, allow_file, insecure;
	unsigned multiplex;        /* enum fetch_multiplex */
	bool content_disposition;  /* -J: file names from Content-Disposition */
	bool timestamping;         /* -N */
	bool spider;               /* --spider: check links, save nothing */
	bool adjust_extension;     /* -E: HTML pages saved as NAME.html */
	bool no_server_timestamps; /* --no-use-server-timestamps */
	const char *user_agent;
	struct curl_slist *headers; /* owned; cli_release() frees */
	unsigned retries;
	long retry_wait_ms, retry_max_wait_ms, retry_after_max_ms;
	long connect_timeout_ms;
	long idle_timeout_ms;                          /* --timeout: no byte for this long fails */
	long max_time_ms;                              /* --max-time: cap on a whole transfer */
	long long limit_rate, limit_rate_per_transfer; /* bytes/s; 0: none */
	long speed_limit, speed_time_s;
	long max_redirs;
	long long max_filesize;

	/* URLs given as arguments (borrowed from argv); cli_release() frees
	 * the arrays. */
	const char **urls;
	size_t n_urls;

	/* pages, images, crawl (issue 3) */
	bool images, crawl, requisites, span_hosts, no_parent, no_robots, random_wait, dedupe;
	unsigned throttle_target_milli; /* --auto-throttle=N as N x 1000; 0: off */
	unsigned depth;                 /* UINT_MAX: inf */
	unsigned long long max_pages;
	unsigned per_host; /* 0: no cap but -j */
	long wait_ms;
	unsigned parse_procs; /* -P; 0: parse in the fetch threads */
	long parse_timeout_ms;
	long long parse_mem_limit, max_page_size, min_size, max_size;
	const char *domains, *accept_ext, *reject_ext, *accept_types;
	bool ignore_case; /* -A/-R ignore case */
	const char **includes, **excludes;
	size_t n_includes, n_excludes;

	/* --compare (issue 4) */
	bool compare, keep;
	unsigned levels[32]; /* concurrency levels to compare */
	size_t n_levels;
	unsigned repeat;  /* measured runs per level */
	const char *plot; /* SVG file to write */

	/* hidden: run as a parser worker process; write run stats here */
	bool parse_worker;
	const char *stats_file;
	const char *save_failed; /* --save-failed FILE, or NULL */
	unsigned shard, nshards; /* --shard K/N (K from 1); nshards 0: off */
	const char *redis;       /* --redis URL, or NULL */
	const char *job;         /* --job NAME */
	bool enqueue;            /* --enqueue: load the URLs into the job */
	bool fleet_status;       /* --status: print the job's progress */
	bool convert_links;      /* --convert-links */
	/* cookies (issue 11) */
	bool no_cookies, keep_session_cookies;
	const char *load_cookies, *save_cookies; /* cookies.txt files, or NULL */
	const char *cookie_header;               /* -b 'NAME=VALUE; ...', or NULL */

	/* authentication, proxies (issue 11).  user and password are
	 * borrowed from argv, or point at owned_* once cli_credentials()
	 * has run. */
	const char *user, *password, *netrc_file, *proxy, *no_proxy, *referer;
	bool ask_password, netrc, location_trusted, inet4, inet6;
	char *owned_user, *owned_password; /* cli_release() frees */
};

enum cli_action {
	CLI_RUN,     /* opts filled: go */
	CLI_EXIT_OK, /* --help / --version printed: exit 0 */
	CLI_USAGE,   /* errbuf says what is wrong: exit 2 */
};

/*
 * Parses argv into *opts (defaults first), with getopt_long's rules
 * (options and operands in any order, "--", "--name=value", unique
 * prefixes of long names, "-xc", "-j16").  Prints --help / --version (and
 * the hidden --help-man, the roff of fetchall(1)) to `out`.  On a usage
 * error fills errbuf with one line naming the option and value: a bad
 * value, an unknown option, or an option that does nothing in the mode
 * given (--depth without --crawl) or clashes with another (-q and -v).
 * argv is borrowed for as long as opts is used.  Caller calls
 * cli_release() in every case.  Thread-safe (no state kept).
 */
enum cli_action cli_parse(int argc, char **argv, struct fa_opts *opts, FILE *out, char *errbuf,
			  size_t errlen);

void cli_release(struct fa_opts *opts);

/* Where a password may come from when --user gives none (--compare's
 * runs get theirs this way, never on their command line). */
#define CLI_PASSWORD_ENV "FETCHALL_PASSWORD"

/*
 * Settles the credentials of a parsed command line, before any thread
 * starts: a --user of curl's form "USER:PASS" (with no --password or
 * --ask-password) is split; --password's value (or that PASS) is copied
 * and overwritten with '*' in argv, so that ps shows it only while
 * fetchall starts, as curl does; --ask-password asks on the terminal
 * (prompt on stderr, nothing echoed); else, with --user, the password is
 * taken from $FETCHALL_PASSWORD.  The variable is removed from the
 * environment either way, so processes fetchall starts do not inherit
 * it.  argv must be main()'s own (writable).  Returns FA_OK, or an error
 * with errbuf saying why (no terminal to ask on, out of memory).  The
 * copies belong to opts (cli_release() wipes and frees them).  Not
 * thread-safe: it reads the terminal and changes the environment.
 */
enum fa_err cli_credentials(struct fa_opts *opts, int argc, char **argv, char *errbuf,
			    size_t errlen);

/*
 * The argv of one run of the same job, for --compare's child runs: the
 * URLs, and every option that shapes the job (the list among them) whose
 * value differs from its default, as canonical "--name=value"; not -j,
 * -o, --json, -q, -v, -P or the --compare options, which the caller adds.
 * Returns a NULL-terminated array of strings (free both with
 * cli_free_args()); NULL on OOM.
 */
char **cli_job_args(const struct fa_opts *opts);
void cli_free_args(char **args);

/*
 * The i-th option a user may give (from 0; hidden ones are not listed):
 * its long name, its other long name or NULL, its letter or 0.  For tests
 * and completion scripts.  Returns false past the last.  Thread-safe.
 */
bool cli_option_names(size_t i, const char **name, const char **alias, char *letter);

/*
 * Whether dir's last component looks like a file's name: a stem, then a
 * dot and 1 to 5 letters or digits to the end ("file.iso", "a/b.html"),
 * and no trailing '/'.  For the note that -o makes DIR a directory and -O
 * names a file.  Pure: thread-safe.
 */
bool cli_dir_looks_like_file(const char *dir);

/* Whether the URLs given are pages, fetched and parsed: --crawl,
 * --images or -p (which without --crawl saves each page with its
 * requisites). */
bool cli_pages(const struct fa_opts *o);

/* Number parsers shared by the options (exposed for tests).  Each
 * accepts the whole string or fails with FA_ERR_PARSE. */
enum fa_err cli_parse_long(const char *s, long long min, long long max, long long *out);
/* Seconds with an optional fraction ("1.5") → milliseconds. */
enum fa_err cli_parse_seconds(const char *s, long *ms);
/* A size with optional suffix k, M, G (powers of 1024) → bytes. */
enum fa_err cli_parse_size(const char *s, long long *bytes);

#endif
