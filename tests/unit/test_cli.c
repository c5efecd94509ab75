/* Unit tests for cli: option parsing with getopt_long's rules, checked
 * numbers, usage errors, the rules of modes, --compare's child arguments,
 * and --help and the man page listing every option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fetch.h"

/* Parses a NULL-terminated argv (argv[0] included) with output to
 * /dev/null. */
static enum cli_action parse_argv(struct fa_opts *o, char *err, size_t errlen,
				  const char *const *argv)
{
	FILE *devnull = fopen("/dev/null", "w");
	enum cli_action a;
	int argc = 0;

	assert_non_null(devnull);
	while (argv[argc])
		argc++;
	err[0] = '\0';
	a = cli_parse(argc, (char **)argv, o, devnull, err, errlen);
	fclose(devnull);
	return a;
}

static enum cli_action parse(struct fa_opts *o, char *err, size_t errlen, int argc, ...)
{
	char *argv[32];
	va_list ap;
	enum cli_action a;
	FILE *devnull = fopen("/dev/null", "w");

	assert_non_null(devnull);
	assert_true(argc < 31);
	argv[0] = (char *)"fetchall";
	va_start(ap, argc);
	for (int i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	err[0] = '\0';
	a = cli_parse(argc + 1, argv, o, devnull, err, errlen);
	fclose(devnull);
	return a;
}

static void test_cli_defaults(void **state)
{
	struct fa_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), 1, "urls.txt"), CLI_RUN);
	assert_string_equal(o.list, "urls.txt");
	assert_string_equal(o.output_dir, "downloads");
	assert_int_equal(o.jobs, 8);
	assert_int_equal(o.retries, 3);
	assert_int_equal(o.max_redirs, 10);
	assert_string_equal(o.user_agent, "fetchall/" FETCHALL_VERSION);
	assert_false(o.tree || o.cont || o.json || o.allow_file || o.insecure);
	cli_release(&o);
}

static void test_cli_options(void **state)
{
	struct fa_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), 16, "-i", "l.txt", "-j", "16", "-o", "imgs/",
			       "-x", "-c", "--json", "-H", "X-A: 1", "-H", "X-B;", "--timeout=2.5",
			       "--max-filesize", "10M"),
			 CLI_RUN);
	assert_string_equal(o.list, "l.txt");
	assert_int_equal(o.jobs, 16);
	assert_string_equal(o.output_dir, "imgs/");
	assert_true(o.tree && o.cont && o.json);
	assert_string_equal(o.headers->data, "X-A: 1");
	assert_string_equal(o.headers->next->data, "X-B;");
	assert_int_equal(o.idle_timeout_ms, 2500);
	assert_int_equal(o.max_time_ms, 0);
	assert_int_equal(o.max_filesize, 10LL * 1024 * 1024);
	cli_release(&o);

	/* --timeout (no byte for S) and --max-time (the whole transfer) are
	 * two options; rates take k, M, G */
	assert_int_equal(parse(&o, err, sizeof(err), 8, "l", "--timeout", "1", "--max-time", "60.5",
			       "--limit-rate", "40M", "--limit-rate-per-transfer=1k"),
			 CLI_RUN);
	assert_int_equal(o.idle_timeout_ms, 1000);
	assert_int_equal(o.max_time_ms, 60500);
	assert_int_equal(o.limit_rate, 40LL << 20);
	assert_int_equal(o.limit_rate_per_transfer, 1024);
	cli_release(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 1, "l"), CLI_RUN);
	assert_int_equal(o.idle_timeout_ms + o.max_time_ms, 0);
	assert_int_equal(o.limit_rate + o.limit_rate_per_transfer, 0);
	cli_release(&o);

	assert_int_equal(parse(&o, err, sizeof(err), 2, "-", "--speed-time=0"), CLI_RUN);
	assert_string_equal(o.list, "-");
	assert_int_equal(o.speed_time_s, 0);
	assert_false(o.content_disposition);
	assert_int_equal(o.throttle_target_milli, 0);
	cli_release(&o);

	/* -J and its long names; --auto-throttle with and without N */
	assert_int_equal(parse(&o, err, sizeof(err), 3, "l", "-J", "--auto-throttle"), CLI_RUN);
	assert_true(o.content_disposition);
	assert_int_equal(o.throttle_target_milli, 1000);
	cli_release(&o);
	assert_int_equal(
	    parse(&o, err, sizeof(err), 3, "l", "--remote-header-name", "--auto-throttle=2.5"),
	    CLI_RUN);
	assert_true(o.content_disposition);
	assert_int_equal(o.throttle_target_milli, 2500);
	cli_release(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "l", "--content-disposition"), CLI_RUN);
	assert_true(o.content_disposition);
	assert_int_equal(o.multiplex, FETCH_MUX_HTTPS); /* the default */
	cli_release(&o);

	/* --multiplex: https, all or never; nothing else */
	assert_int_equal(parse(&o, err, sizeof(err), 2, "l", "--multiplex=all"), CLI_RUN);
	assert_int_equal(o.multiplex, FETCH_MUX_ALL);
	cli_release(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 3, "l", "--multiplex", "never"), CLI_RUN);
	assert_int_equal(o.multiplex, FETCH_MUX_NEVER);
	cli_release(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "l", "--multiplex=https"), CLI_RUN);
	assert_int_equal(o.multiplex, FETCH_MUX_HTTPS);
	cli_release(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 2, "l", "--multiplex=h2"), CLI_USAGE);
	assert_non_null(strstr(err, "--multiplex"));
	assert_non_null(strstr(err, "https, all or never"));
}

/* cli_job_args() (a --compare child's arguments) carries -J and
 * --auto-throttle over, and parses back to the same options. */
static void test_cli_job_args_round_trip(void **state)
{
	struct fa_opts o, back;
	char err[256];
	char **args;
	int n = 0;
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(devnull);
	assert_int_equal(parse(&o, err, sizeof(err), 7, "l.txt", "-J", "--auto-throttle=0.5",
			       "--wait=0.25", "--shard", "3/4", "--multiplex=never"),
			 CLI_RUN);
	assert_int_equal(o.shard, 3);
	assert_int_equal(o.nshards, 4);
	args = cli_job_args(&o);
	assert_non_null(args);
	while (args[n])
		n++;
	assert_int_equal(cli_parse(n, args, &back, devnull, err, sizeof(err)), CLI_RUN);
	assert_true(back.content_disposition);
	assert_int_equal(back.throttle_target_milli, 500);
	assert_int_equal(back.wait_ms, 250);
	assert_int_equal(back.shard, 3);
	assert_int_equal(back.nshards, 4);
	assert_int_equal(back.multiplex, FETCH_MUX_NEVER);
	cli_release(&back);
	cli_free_args(args);
	cli_release(&o);
	fclose(devnull);
}

static void test_cli_usage_errors(void **state)
{
	static const struct {
		const char *a, *b, *c;
		const char *needle;
	} cases[] = {
	    {"-j", "0", "l", "-j/--jobs"},
	    {"-j", "1025", "l", "-j/--jobs"},
	    {"-j", "8x", "l", "-j/--jobs"},
	    {"--retries", "-1", "l", "--retries"},
	    {"--timeout", "soon", "l", "--timeout"},
	    {"--max-time", "-1", "l", "--max-time"},
	    {"--limit-rate", "fast", "l", "--limit-rate wants bytes per second like 500k or 2M"},
	    {"--limit-rate-per-transfer", "1T", "l", "--limit-rate-per-transfer wants"},
	    {"--max-filesize", "12Q", "l", "--max-filesize"},
	    {"-H", "NoColon", "l", "-H/--header"},
	    {"-H", "A: b\r\nEvil: 1", "l", "-H/--header"},
	    {"--bogus", "l", NULL, "unknown option '--bogus'"},
	    /* a short option is named by its letter, not by a neighbour
	     * (it said "unknown option 'urls.txt'" / the program's path) */
	    {"-nc", "urls.txt", NULL, "unknown option '-n' (for wget's -nc, use --no-clobber"},
	    {"urls.txt", "-np", NULL, "unknown option '-n' (for wget's -np, use --no-parent)"},
	    {"-xnc", "l", NULL, "unknown option '-n' in '-xnc'"},
	    {"l", "--retries", NULL, "option --retries needs a value"},
	    {"--tree=yes", "l", NULL, "option --tree takes no value"},
	    {"--no", "l", NULL,
	     "'--no' is ambiguous (--no-use-server-timestamps, --no-clobber, --no-parent, "
	     "--no-robots, --no-cookies, --no-proxy)"},
	    {"--referer", "http://a/\r\nX: 1", "l", "--referer wants a URL without control"},
	    {"-u", "bob\n", "l", "-u/--user wants a user name without control"},
	    /* a value that may hold a password is not repeated */
	    {"-u", "bob:pw\n", "l", "characters, not '(not shown)'"},
	    {"--proxy", "ftp://u:pw@p.example", "l", "PORT], not '(not shown)'"},
	    {"--proxy", "ftp://p.example", "l", "--proxy wants"},
	    {"--proxy", "http://", "l", "--proxy wants"},
	    {"--proxy", "", "l", "--proxy wants"},
	    {"-i", "a", "-ib", "-i/--input-file may be given only once"},
	    {"--level", "x", "l", "-d/--level wants a number or inf, not 'x'"},
	    {"--compare=1,4,4", "l", NULL, "--compare wants levels"},
	    {"-z", "l", NULL, "unknown option '-z'"},
	    {"l", "-j", NULL, "option -j needs a value"},
	    {"a.txt", "b.txt", NULL, "only one URL list"},
	    {"-c", "--no-clobber", "l", "cannot be combined"},
	    {"-q", NULL, NULL, "no URL list"},
	    {"--auto-throttle=0", "l", NULL, "--auto-throttle"},
	    {"--auto-throttle=2000", "l", NULL, "--auto-throttle"},
	    {"--auto-throttle=x", "l", NULL, "--auto-throttle"},
	    {"--convert-links", "l", NULL, "--convert-links needs"},
	    {"--shard", "3/2", "l", "--shard"},
	    {"--shard", "0/2", "l", "--shard"},
	    {"--shard", "2", "l", "--shard"},
	    {"--shard", "1/x", "l", "--shard"},
	    {"--save-failed=f", "--compare", "l", "cannot be combined"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fa_opts o;
		char err[256];
		int argc = cases[i].c ? 3 : cases[i].b ? 2 : 1;

		if (parse(&o, err, sizeof(err), argc, cases[i].a, cases[i].b, cases[i].c) !=
		    CLI_USAGE)
			fail_msg("case %zu (%s %s): not a usage error", i, cases[i].a,
				 cases[i].b ? cases[i].b : "");
		if (!strstr(err, cases[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].needle);
		cli_release(&o);
	}
}

/* getopt_long's rules, kept by the table's own loop: "--name=value" and
 * "--name value", clustered letters, a letter's value attached, unique
 * prefixes, aliases, "--", "-", options after operands, an optional value
 * only after "=". */
static void test_cli_getopt_rules(void **state)
{
	static const char *const clustered[] = {"fetchall", "-xcj16", "l", NULL};
	static const char *const spaced[] = {"fetchall", "l", "--jobs", "4", "-o", "out", NULL};
	static const char *const prefixes[] = {"fetchall", "--recur", "--dep=inf",
					       "--retri",  "0",       "--max-t=1.5",
					       "--force",  "l",       NULL};
	static const char *const dashes[] = {"fetchall", "-j", "2", "--", "-x", NULL};
	static const char *const optional[] = {"fetchall", "--compare", "-j", "4", "l", NULL};
	static const char *const stdin_list[] = {"fetchall", "-", "--level", "3", "-r", NULL};
	static const char *const value_like_option[] = {"fetchall", "-o", "-x", "l", NULL};
	struct fa_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse_argv(&o, err, sizeof(err), clustered), CLI_RUN);
	assert_true(o.tree && o.cont);
	assert_int_equal(o.jobs, 16);
	assert_string_equal(o.list, "l");
	cli_release(&o);

	assert_int_equal(parse_argv(&o, err, sizeof(err), spaced), CLI_RUN);
	assert_int_equal(o.jobs, 4);
	assert_string_equal(o.output_dir, "out");
	cli_release(&o);

	/* --recur(sive), --dep(th), --retri(es), --max-t(ime), --force(-directories) */
	assert_int_equal(parse_argv(&o, err, sizeof(err), prefixes), CLI_RUN);
	assert_true(o.crawl && o.tree);
	assert_int_equal(o.depth, UINT_MAX);
	assert_int_equal(o.retries, 0);
	assert_int_equal(o.max_time_ms, 1500);
	cli_release(&o);

	/* after "--" every word is an operand */
	assert_int_equal(parse_argv(&o, err, sizeof(err), dashes), CLI_RUN);
	assert_string_equal(o.list, "-x");
	assert_false(o.tree);
	cli_release(&o);

	/* --compare takes no value but after "=" */
	assert_int_equal(parse_argv(&o, err, sizeof(err), optional), CLI_RUN);
	assert_true(o.compare);
	assert_int_equal(o.n_levels, 2);
	assert_int_equal(o.levels[1], 4);
	cli_release(&o);

	assert_int_equal(parse_argv(&o, err, sizeof(err), stdin_list), CLI_RUN);
	assert_string_equal(o.list, "-");
	assert_int_equal(o.depth, 3);
	cli_release(&o);

	/* a required value is the next word, whatever it looks like */
	assert_int_equal(parse_argv(&o, err, sizeof(err), value_like_option), CLI_RUN);
	assert_string_equal(o.output_dir, "-x");
	assert_false(o.tree);
	cli_release(&o);
}

/* An option that does nothing in the mode given, or clashes with another
 * option given, is a usage error naming both; the modes that work pass. */
static void test_cli_mode_rules(void **state)
{
	static const struct {
		const char *argv[6];
		const char *needle; /* NULL: runs */
	} cases[] = {
	    {{"--depth", "3", "l"}, "--depth needs --crawl"},
	    {{"-d", "3", "l"}, "-d needs --crawl"},
	    {{"--level=3", "l"}, "--level needs --crawl"},
	    {{"--span-hosts", "l"}, "--span-hosts needs --crawl"},
	    {{"--max-pages", "5", "l"}, "--max-pages needs --crawl"},
	    {{"--no-parent", "--images", "l"}, "--no-parent needs --crawl"},
	    {{"--domains", "a.example", "l"}, "--domains needs --crawl"},
	    {{"--no-robots", "l"}, "--no-robots needs --crawl"},
	    {{"-p", "-O", "f", "http://a/1"}, "-O and -p cannot be combined"},
	    {{"-p", "--convert-links", "l"}, "--convert-links needs --crawl"},
	    {{"--convert-links", "l"}, "--convert-links needs --crawl"},
	    {{"--convert-links", "--images", "-r", "l"},
	     "--convert-links and --images cannot be combined"},
	    {{"-P", "2", "l"}, "-P needs --crawl or --images or --page-requisites"},
	    {{"--max-page-size", "1M", "l"},
	     "--max-page-size needs --crawl or --images or --page-requisites"},
	    {{"--parse-timeout", "3", "l"},
	     "--parse-timeout needs --crawl or --images or --page-requisites"},
	    {{"--random-wait", "l"}, "--random-wait needs --wait"},
	    {{"-q", "-v", "l"}, "-q and -v cannot be combined"},
	    {{"-qv", "l"}, "-q and -v cannot be combined"},
	    {{"--verbose", "l", "--quiet"}, "--quiet and --verbose cannot be combined"},
	    {{"--images", "-p", "l"}, "--images and -p cannot be combined"},
	    {{"-r", "--images", "--page-requisites", "l"},
	     "--images and --page-requisites cannot be combined"},
	    {{"--plot", "x.svg", "l"}, "--plot needs --compare"},
	    {{"--keep", "l"}, "--keep needs --compare"},
	    {{"--repeat", "2", "l"}, "--repeat needs --compare"},
	    {{"-c", "--no-clobber", "l"}, "-c and --no-clobber cannot be combined"},
	    {{"--save-failed", "f", "--compare", "l"},
	     "--save-failed and --compare cannot be combined"},
	    {{"--password", "pw", "l"}, "--password needs --user"},
	    {{"--http-password=pw", "l"}, "--http-password needs --user"},
	    {{"--ask-password", "l"}, "--ask-password needs --user"},
	    {{"-u", "bob", "--ask-password", "--password", "pw", "l"},
	     "--ask-password and --password cannot be combined"},
	    {{"-4", "-6", "l"}, "-6 and -4 cannot be combined"},
	    {{"--inet6-only", "--inet4-only", "l"}, "--inet6-only and --inet4-only cannot"},
	    {{"-u", "bob", "--password", "pw", "l"}, NULL},
	    {{"--http-user=bob", "--ask-password", "l"}, NULL},
	    {{"--proxy", "socks5h://127.0.0.1:1080", "--no-proxy", "*", "l"}, NULL},
	    {{"--proxy", "proxy.lan:3128", "-6", "l"}, NULL},
	    {{"-r", "-d", "3", "--max-pages", "9", "l"}, NULL},
	    {{"--images", "-P", "2", "--max-page-size", "1M", "l"}, NULL},
	    {{"-p", "l"}, NULL},
	    {{"-p", "-P", "2", "--max-page-size", "1M", "l"}, NULL},
	    {{"-r", "--images", "--span-hosts", "l"}, NULL},
	    {{"-r", "-p", "--convert-links", "l"}, NULL},
	    {{"--wait", "1", "--random-wait", "l"}, NULL},
	    {{"--compare=1,2", "--repeat", "2", "--plot", "x.svg", "l"}, NULL},
	    {{"-q", "--json", "l"}, NULL},
	    /* -O FILE saves one URL */
	    {{"-O", "f", "l"}, "-O saves one URL, not a list ('l')"},
	    {{"--output-document=f", "http://a/1", "http://a/2"},
	     "--output-document saves one URL, not 2 ('http://a/1' and 1 more)"},
	    {{"-O", "f", "--crawl", "http://a/"}, "-O and --crawl cannot be combined"},
	    {{"-r", "-O", "f", "http://a/"}, "-O and -r cannot be combined"},
	    {{"-O", "f", "--images", "http://a/"}, "-O and --images cannot be combined"},
	    {{"-O", "f", "--compare", "http://a/"}, "-O and --compare cannot be combined"},
	    {{"-O", "f", "-o", "d", "http://a/"}, "-O and -o cannot be combined"},
	    {{"-O", "f", "-x", "http://a/"}, "-O and -x cannot be combined"},
	    {{"-O", "f", "-J", "http://a/"}, "-O and -J cannot be combined"},
	    {{"-O", "-", "--json", "http://a/"}, "-O - and --json cannot be combined"},
	    {{"-O", "-", "-c", "http://a/"}, "-O - and -c cannot be combined"},
	    {{"-O", "-", "--no-clobber", "http://a/"}, "-O - and --no-clobber cannot be combined"},
	    {{"-O", "f", "-O", "g", "http://a/"}, "-O/--output-document may be given only once"},
	    {{"-O", "f", "--json", "-c", "http://a/"}, NULL},
	    {{"-O", "-", "-v", "--retries", "5", "http://a/"}, NULL},
	    {{"-O", "f", "--no-clobber", "http://a/"}, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[8] = {"fetchall"};
		struct fa_opts o;
		char err[256];
		enum cli_action a;

		for (size_t k = 0; k < 6 && cases[i].argv[k]; k++)
			argv[k + 1] = cases[i].argv[k];
		a = parse_argv(&o, err, sizeof(err), argv);
		if (!cases[i].needle && a != CLI_RUN)
			fail_msg("case %zu (%s %s): refused: %s", i, argv[1], argv[2], err);
		if (cases[i].needle && (a != CLI_USAGE || !strstr(err, cases[i].needle)))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].needle);
		if (cases[i].needle && strchr(err, '\n'))
			fail_msg("case %zu: more than one line: '%s'", i, err);
		cli_release(&o);
	}
}

/* The child runs' arguments name only what differs from the defaults: a
 * plain list gives the list alone (no --depth without --crawl). */
static void test_cli_job_args_defaults_left_out(void **state)
{
	static const char *const plain[] = {"fetchall", "l.txt", "-j", "4", "-q", "-o", "x", NULL};
	static const char *const crawl[] = {"fetchall", "-r", "https://a.example/", "--depth=2",
					    NULL};
	struct fa_opts o;
	char err[256];
	char **args;

	(void)state;
	assert_int_equal(parse_argv(&o, err, sizeof(err), plain), CLI_RUN);
	args = cli_job_args(&o);
	assert_non_null(args);
	assert_string_equal(args[0], "fetchall");
	assert_string_equal(args[1], "--input-file=l.txt");
	assert_null(args[2]);
	cli_free_args(args);
	cli_release(&o);

	/* --depth 2 is the default; -r implies -x (harmless to repeat) */
	assert_int_equal(parse_argv(&o, err, sizeof(err), crawl), CLI_RUN);
	args = cli_job_args(&o);
	assert_non_null(args);
	assert_string_equal(args[1], "https://a.example/");
	for (size_t i = 2; args[i]; i++) {
		if (strcmp(args[i], "--tree") && strcmp(args[i], "--crawl"))
			fail_msg("unexpected '%s'", args[i]);
	}
	cli_free_args(args);
	cli_release(&o);
}

/* Every option that shapes the job, set away from its default, reaches
 * the child runs and parses back to the same job: the arguments made from
 * what they parse to are the same arguments. */
static void test_cli_job_args_every_option(void **state)
{
	static const char *const argv[] = {
	    "fetchall",
	    "-i",
	    "-weird-list",
	    "https://b.example/x",
	    "-x",
	    "-J",
	    "-r",
	    "-p",
	    "-A",
	    "jpg,png",
	    "--accept-type",
	    "image/*",
	    "--min-size",
	    "1k",
	    "--max-size",
	    "2M",
	    "--dedupe",
	    "--max-page-size=3M",
	    "--parse-timeout",
	    "2.5",
	    "--parse-mem-limit=512M",
	    "--level=inf",
	    "--max-pages",
	    "7",
	    "--span-hosts",
	    "--domains=a.example",
	    "--include",
	    "a",
	    "--include",
	    "b",
	    "--exclude",
	    "c",
	    "--no-parent",
	    "--convert-links",
	    "--no-robots",
	    "--per-host=3",
	    "--wait=0.5",
	    "--random-wait",
	    "--auto-throttle=0.5",
	    "--shard",
	    "3/4",
	    "-U",
	    "agent/1",
	    "-H",
	    "X-A: 1",
	    "-H",
	    "X-B;",
	    "--max-redirs=2",
	    "--max-filesize=9k",
	    "--allow-file",
	    "-k",
	    "--connect-timeout=4",
	    "--max-time=60",
	    "--timeout=2.5",
	    "--limit-rate=40M",
	    "--limit-rate-per-transfer=512k",
	    "--speed-limit=2k",
	    "--speed-time=1.2",
	    "--retries=0",
	    "--retry-wait=0.1",
	    "--retry-max-wait=0.2",
	    "--retry-after-max=3",
	    "--referer=http://r.example/",
	    "-u",
	    "alice",
	    "--netrc",
	    "--netrc-file=n.rc",
	    "--location-trusted",
	    "--proxy=socks5h://p.example:1080",
	    "--no-proxy=a.example,b.example",
	    "-4",
	    NULL,
	};
	struct fa_opts o, back;
	char err[256];
	char **args, **again;
	int n = 0;
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(devnull);
	assert_int_equal(parse_argv(&o, err, sizeof(err), argv), CLI_RUN);
	args = cli_job_args(&o);
	assert_non_null(args);
	while (args[n])
		n++;
	if (cli_parse(n, args, &back, devnull, err, sizeof(err)) != CLI_RUN)
		fail_msg("the child's arguments do not parse: %s", err);
	again = cli_job_args(&back);
	assert_non_null(again);
	for (int i = 0; i < n; i++) {
		if (!again[i] || strcmp(args[i], again[i]))
			fail_msg("argument %d: '%s' came back as '%s'", i, args[i],
				 again[i] ? again[i] : "(none)");
	}
	assert_null(again[n]);
	/* a sample of the fields, each through a different kind of value */
	assert_string_equal(back.list, "-weird-list");
	assert_int_equal(back.n_urls, 1);
	assert_true(back.crawl && back.requisites && back.convert_links && back.no_robots);
	assert_int_equal(back.depth, UINT_MAX);
	assert_int_equal(back.max_pages, 7);
	assert_int_equal(back.n_includes, 2);
	assert_string_equal(back.includes[1], "b");
	assert_int_equal(back.throttle_target_milli, 500);
	assert_int_equal(back.shard, 3);
	assert_int_equal(back.nshards, 4);
	assert_string_equal(back.headers->next->data, "X-B;");
	assert_int_equal(back.speed_time_s, 2);
	assert_int_equal(back.speed_limit, 2048);
	assert_int_equal(back.parse_timeout_ms, 2500);
	assert_int_equal(back.parse_mem_limit, 512LL << 20);
	assert_int_equal(back.retry_wait_ms, 100);
	assert_int_equal(back.max_time_ms, 60000);
	assert_int_equal(back.idle_timeout_ms, 2500);
	assert_int_equal(back.limit_rate, 40LL << 20);
	assert_int_equal(back.limit_rate_per_transfer, 512LL << 10);
	assert_string_equal(back.user_agent, "agent/1");
	assert_string_equal(back.user, "alice");
	assert_string_equal(back.proxy, "socks5h://p.example:1080");
	assert_string_equal(back.netrc_file, "n.rc");
	assert_true(back.netrc && back.location_trusted && back.inet4 && !back.inet6);
	assert_string_equal(back.referer, "http://r.example/");
	cli_free_args(again);
	cli_free_args(args);
	cli_release(&back);
	cli_release(&o);
	fclose(devnull);
}

/* What one argv prints to its output (heap string, caller frees). */
static char *printed(const char *const *argv)
{
	struct fa_opts o;
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int argc = 0;

	assert_non_null(f);
	while (argv[argc])
		argc++;
	assert_int_equal(cli_parse(argc, (char **)argv, &o, f, err, sizeof(err)), CLI_EXIT_OK);
	cli_release(&o);
	fclose(f);
	return text;
}

/* "\-\-name" as the man page spells a long option. */
static void roff_option(const char *dashes, const char *name, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", dashes);

	for (; *name && n + 3 < len; name++) {
		if (*name == '-')
			buf[n++] = '\\';
		buf[n++] = *name;
	}
	buf[n] = '\0';
}

/* --help and the man page list every option of the table, names, aliases
 * and letters, and no hidden one; --help fits 80 columns; the man page
 * has its sections and only the macros it means to use. */
static void test_cli_help_and_man_list_every_option(void **state)
{
	static const char *const help_argv[] = {"fetchall", "--help", NULL};
	static const char *const man_argv[] = {"fetchall", "--help-man", NULL};
	static const char *const sections[] = {
	    ".SH NAME\n",    ".SH SYNOPSIS\n",        ".SH DESCRIPTION\n",
	    ".SH OPTIONS\n", ".SH \"EXIT STATUS\"\n", ".SH EXAMPLES\n"};
	static const char *const macros[] = {".\\\"", ".TH ", ".SH ", ".SS ", ".TP", ".PP", ".RS ",
					     ".RE",   ".nf",  ".fi",  ".B ",  ".nh", ".ad "};
	static const char *const hidden[] = {"parse-worker", "stats", "help-man",
					     "help-bash-completion", "help-zsh-completion"};
	char *help = printed(help_argv), *man = printed(man_argv);
	const char *name, *alias;
	char letter, want[96];
	size_t count = 0;

	(void)state;
	for (size_t i = 0; cli_option_names(i, &name, &alias, &letter); i++, count++) {
		snprintf(want, sizeof(want), " --%s", name);
		if (!strstr(help, want))
			fail_msg("--help lacks --%s", name);
		roff_option("\\-\\-", name, want, sizeof(want));
		if (!strstr(man, want))
			fail_msg("the man page lacks --%s", name);
		if (alias) {
			snprintf(want, sizeof(want), "(alias --%s)", alias);
			if (!strstr(help, want))
				fail_msg("--help lacks %s", want);
			roff_option("\\-\\-", alias, want, sizeof(want));
			if (!strstr(man, want))
				fail_msg("the man page lacks --%s", alias);
		}
		if (letter) {
			snprintf(want, sizeof(want), "  -%c, --%s", letter, name);
			if (!strstr(help, want))
				fail_msg("--help lacks '%s'", want);
			snprintf(want, sizeof(want), "\\fB\\-%c\\fR, ", letter);
			if (!strstr(man, want))
				fail_msg("the man page lacks -%c", letter);
		}
	}
	assert_true(count > 50);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		snprintf(want, sizeof(want), "--%s", hidden[i]);
		assert_null(strstr(help, want));
		roff_option("\\-\\-", hidden[i], want, sizeof(want));
		assert_null(strstr(man, want));
	}
	for (const char *p = help; *p;) {
		size_t len = strcspn(p, "\n");

		if (len > 79)
			fail_msg("--help line over 79 columns: %.*s", (int)len, p);
		p += len + (p[len] == '\n');
	}
	assert_non_null(strstr(help, "Usage: fetchall [OPTIONS] LIST|URL...\n"));
	assert_non_null(strstr(help, "\nCrawling:\n  -r, --crawl "));
	assert_non_null(strstr(help, "\nExit status:\n  0    every URL saved"));

	assert_int_equal(strncmp(man, ".\\\"", 3), 0);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		assert_non_null(strstr(man, sections[i]));
	for (const char *p = man; *p;) {
		size_t len = strcspn(p, "\n"), k = 0;

		while (*p == '.' && k < sizeof(macros) / sizeof(macros[0]) &&
		       strncmp(p, macros[k], strlen(macros[k])))
			k++;
		if (*p == '\'' || k == sizeof(macros) / sizeof(macros[0]))
			fail_msg("man page line: %.*s", (int)len, p);
		p += len + (p[len] == '\n');
	}
	free(help);
	free(man);
}

static void test_cli_dir_looks_like_file(void **state)
{
	static const struct {
		const char *dir;
		bool file_like;
	} cases[] = {
	    {"file.iso", true},   {"out/file.zip", true},
	    {"/tmp/a.txt", true}, {"page.html", true},
	    {"x.jpg", true},      {"v1.2", true},
	    {"a.tar.gz", true},   {"a.JPEG", true},
	    {"downloads", false}, {"file.iso/", false},
	    {".cache", false},    {"out/.git", false},
	    {"a.toolong", false}, {"a.", false},
	    {"a.t-x", false},     {"file.iso/sub", false},
	    {"", false},          {"x.y/z.", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cli_dir_looks_like_file(cases[i].dir) != cases[i].file_like)
			fail_msg("'%s': %d", cases[i].dir, !cases[i].file_like);
	}
}

/* Whether word occurs in text with a byte of `before` right before it and
 * one of `after` right after it. */
static bool has_word(const char *text, const char *word, const char *before, const char *after)
{
	size_t len = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		if (p > text && strchr(before, p[-1]) && p[len] && strchr(after, p[len]))
			return true;
	}
	return false;
}

/* The completions come from the table too: every option a user may give,
 * by each of its names, and no hidden one. */
static void test_cli_completions_list_every_option(void **state)
{
	static const char *const bash_argv[] = {"fetchall", "--help-bash-completion", NULL};
	static const char *const zsh_argv[] = {"fetchall", "--help-zsh-completion", NULL};
	static const char *const hidden[] = {"parse-worker", "stats", "help-man",
					     "help-bash-completion", "help-zsh-completion"};
	char *bash = printed(bash_argv), *zsh = printed(zsh_argv);
	const char *name, *alias;
	char letter, want[96];
	size_t count = 0;

	(void)state;
	assert_non_null(strstr(bash, "\ncomplete -o filenames -F _fetchall fetchall\n"));
	assert_int_equal(strncmp(zsh, "#compdef fetchall\n", 18), 0);
	for (size_t i = 0; cli_option_names(i, &name, &alias, &letter); i++, count++) {
		const char *names[] = {name, alias};

		for (size_t k = 0; k < 2 && names[k]; k++) {
			snprintf(want, sizeof(want), "--%s", names[k]);
			/* a word of bash's list (one a line, quoted), a spec
			 * of zsh's ("(...)--name[", "*--name=") */
			if (!has_word(bash, want, "\n'", "\n'"))
				fail_msg("the bash completion lacks %s", want);
			if (!has_word(zsh, want, ")*", "[="))
				fail_msg("the zsh completion lacks %s", want);
		}
		if (letter) {
			snprintf(want, sizeof(want), "-%c", letter);
			if (!has_word(bash, want, "\n'", "\n'"))
				fail_msg("the bash completion lacks %s", want);
			if (!has_word(zsh, want, ")*", "[+"))
				fail_msg("the zsh completion lacks %s", want);
		}
	}
	assert_true(count > 50);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		snprintf(want, sizeof(want), "--%s", hidden[i]);
		assert_false(has_word(bash, want, "\n'|\t", "\n'|)"));
		assert_false(has_word(zsh, want, ")*", "[=+"));
	}
	/* values that are files or directories complete as such */
	assert_non_null(strstr(bash, "\t\t-o|--output-dir)\n\t\tCOMPREPLY=($(compgen -d "));
	assert_non_null(strstr(zsh, "'(-O --output-document)-O+["));
	assert_non_null(strstr(zsh, "]:FILE:_files' \\\n"));
	free(bash);
	free(zsh);
}

static void test_cli_help_and_version(void **state)
{
	struct fa_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), 1, "--help"), CLI_EXIT_OK);
	cli_release(&o);
	assert_int_equal(parse(&o, err, sizeof(err), 1, "-V"), CLI_EXIT_OK);
	cli_release(&o);
}

static void test_cli_number_parsers(void **state)
{
	long long n;
	long ms;

	(void)state;
	assert_int_equal(cli_parse_long("42", 0, 100, &n), FA_OK);
	assert_int_equal(n, 42);
	assert_int_equal(cli_parse_long("", 0, 100, &n), FA_ERR_PARSE);
	assert_int_equal(cli_parse_long("101", 0, 100, &n), FA_ERR_PARSE);
	assert_int_equal(cli_parse_long("99999999999999999999", 0, 100, &n), FA_ERR_PARSE);
	assert_int_equal(cli_parse_size("10k", &n), FA_OK);
	assert_int_equal(n, 10240);
	assert_int_equal(cli_parse_size("2G", &n), FA_OK);
	assert_int_equal(n, 2LL << 30);
	assert_int_equal(cli_parse_size("k", &n), FA_ERR_PARSE);
	assert_int_equal(cli_parse_seconds("0.25", &ms), FA_OK);
	assert_int_equal(ms, 250);
	assert_int_equal(cli_parse_seconds("-1", &ms), FA_ERR_PARSE);
	assert_int_equal(cli_parse_seconds("nan", &ms), FA_ERR_PARSE);
}

/* cli_credentials(): curl's USER:PASS split, the password copied and
 * blanked in argv (what ps shows), FETCHALL_PASSWORD taken and removed,
 * and --compare's runs never given a password on their command line. */
static void test_cli_credentials(void **state)
{
	char w0[] = "fetchall", w1[] = "-u", w2[] = "alice:pw1", w3[] = "l";
	char v1[] = "--user=bob", v2[] = "--password=s3cr3t";
	char x1[] = "--user", x2[] = "a:b", x3[] = "--password", x4[] = "c";
	char e1[] = "--http-user", e2[] = "carol";
	char *split[] = {w0, w1, w2, w3, NULL};
	char *given[] = {w0, v1, v2, w3, NULL};
	char *colon_user[] = {w0, x1, x2, x3, x4, w3, NULL};
	char *from_env[] = {w0, e1, e2, w3, NULL};
	FILE *devnull = fopen("/dev/null", "w");
	struct fa_opts o;
	char err[256];
	char **args;

	(void)state;
	assert_non_null(devnull);
	assert_int_equal(cli_parse(4, split, &o, devnull, err, sizeof(err)), CLI_RUN);
	assert_int_equal(cli_credentials(&o, 4, split, err, sizeof(err)), FA_OK);
	assert_string_equal(o.user, "alice");
	assert_string_equal(o.password, "pw1");
	assert_string_equal(split[2], "alice:***");
	args = cli_job_args(&o);
	assert_non_null(args);
	for (size_t i = 0; args[i]; i++)
		assert_null(strstr(args[i], "pw1"));
	assert_string_equal(args[1], "--input-file=l");
	assert_string_equal(args[2], "--user=alice");
	cli_free_args(args);
	cli_release(&o);
	assert_null(o.password);

	assert_int_equal(cli_parse(4, given, &o, devnull, err, sizeof(err)), CLI_RUN);
	assert_int_equal(cli_credentials(&o, 4, given, err, sizeof(err)), FA_OK);
	assert_string_equal(o.user, "bob");
	assert_string_equal(o.password, "s3cr3t");
	assert_string_equal(given[2], "--password=******");
	cli_release(&o);

	/* a user name with a colon, and a password of its own */
	assert_int_equal(cli_parse(6, colon_user, &o, devnull, err, sizeof(err)), CLI_RUN);
	assert_int_equal(cli_credentials(&o, 6, colon_user, err, sizeof(err)), FA_OK);
	assert_string_equal(o.user, "a:b");
	assert_string_equal(o.password, "c");
	assert_string_equal(colon_user[4], "*");
	cli_release(&o);

	setenv(CLI_PASSWORD_ENV, "envpw", 1);
	assert_int_equal(cli_parse(4, from_env, &o, devnull, err, sizeof(err)), CLI_RUN);
	assert_int_equal(cli_credentials(&o, 4, from_env, err, sizeof(err)), FA_OK);
	assert_string_equal(o.user, "carol");
	assert_string_equal(o.password, "envpw");
	assert_null(getenv(CLI_PASSWORD_ENV));
	cli_release(&o);

	/* no --user: the variable is not used, but still removed */
	setenv(CLI_PASSWORD_ENV, "envpw", 1);
	assert_int_equal(cli_parse(2, (char *[]){w0, w3, NULL}, &o, devnull, err, sizeof(err)),
			 CLI_RUN);
	assert_int_equal(cli_credentials(&o, 2, (char *[]){w0, w3, NULL}, err, sizeof(err)), FA_OK);
	assert_null(o.password);
	assert_null(getenv(CLI_PASSWORD_ENV));
	cli_release(&o);
	fclose(devnull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cli_defaults),
	    cmocka_unit_test(test_cli_options),
	    cmocka_unit_test(test_cli_job_args_round_trip),
	    cmocka_unit_test(test_cli_getopt_rules),
	    cmocka_unit_test(test_cli_mode_rules),
	    cmocka_unit_test(test_cli_job_args_defaults_left_out),
	    cmocka_unit_test(test_cli_job_args_every_option),
	    cmocka_unit_test(test_cli_help_and_man_list_every_option),
	    cmocka_unit_test(test_cli_usage_errors),
	    cmocka_unit_test(test_cli_help_and_version),
	    cmocka_unit_test(test_cli_dir_looks_like_file),
	    cmocka_unit_test(test_cli_completions_list_every_option),
	    cmocka_unit_test(test_cli_number_parsers),
	    cmocka_unit_test(test_cli_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
