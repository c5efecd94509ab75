/* Unit tests for cli: option parsing, checked numbers, usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
	assert_int_equal(o.timeout_ms, 2500);
	assert_int_equal(o.max_filesize, 10LL * 1024 * 1024);
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
	cli_release(&o);
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
	assert_int_equal(parse(&o, err, sizeof(err), 6, "l.txt", "-J", "--auto-throttle=0.5",
			       "--wait=0.25", "--shard", "3/4"),
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
	    {"--max-filesize", "12Q", "l", "--max-filesize"},
	    {"-H", "NoColon", "l", "-H/--header"},
	    {"-H", "A: b\r\nEvil: 1", "l", "-H/--header"},
	    {"--bogus", "l", NULL, "unknown option '--bogus'"},
	    /* a short option is named by its letter, not by a neighbour
	     * (it said "unknown option 'urls.txt'" / the program's path) */
	    {"-nc", "urls.txt", NULL, "unknown option '-n' (for wget's -nc, use --no-clobber"},
	    {"urls.txt", "-np", NULL, "unknown option '-n'"},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cli_defaults),
	    cmocka_unit_test(test_cli_options),
	    cmocka_unit_test(test_cli_job_args_round_trip),
	    cmocka_unit_test(test_cli_usage_errors),
	    cmocka_unit_test(test_cli_help_and_version),
	    cmocka_unit_test(test_cli_number_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
