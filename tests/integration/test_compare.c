/*
 * End-to-end tests of --compare: the real binary times the same job at
 * several levels against the test server; the JSON table is checked for
 * its arithmetic, each level for having really run at its J (the child's
 * own peak and the server's counter), the warm-up for running first and
 * at the highest level, each run for its stderr line, the SVG for being
 * well-formed XML with one point per level (and, with a low speedup, for
 * its linear line staying inside the speedup panel), and the temporary run
 * directories for being removed (or kept with --keep).  A --plot path that cannot be written
 * fails before any run; an interrupted comparison leaves no plot behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "svgcheck.h"

static struct h_server server;

struct ctx {
	char *dir;
	char list[4096];
	char out[4096];
	char svg[4096];
};

static int group_setup(void **state)
{
	(void)state;
	return h_server_start(&server, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return h_server_stop(&server);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char buf[8192];
	size_t len = 0;

	if (!c || !(c->dir = h_tmpdir()))
		return -1;
	snprintf(c->list, sizeof(c->list), "%s/urls.txt", c->dir);
	snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	snprintf(c->svg, sizeof(c->svg), "%s/plot.svg", c->dir);
	for (int i = 0; i < 24; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s/delay/100/c%d\n",
					server.base, i);
	if (h_write_file(c->list, buf, len) != 0)
		return -1;
	*state = c;
	return h_server_reset(&server, NULL);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

/* The number in `"key":` within the JSON object that starts at p. */
static double field(const char *p, const char *key)
{
	char pat[64];
	const char *q;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	q = strstr(p, pat);
	assert_non_null(q);
	return strtod(q + strlen(pat), NULL);
}

/* Entries in dir whose names start with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static int svg_points(xmlNode *node, const char *panel, bool inside)
{
	int n = 0;

	for (; node; node = node->next) {
		bool in = inside;
		xmlChar *id, *cls;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		id = xmlGetProp(node, (const xmlChar *)"id");
		in = in || (id && !strcmp((const char *)id, panel));
		xmlFree(id);
		cls = xmlGetProp(node, (const xmlChar *)"class");
		n += in && cls && !strcmp((const char *)cls, "point");
		xmlFree(cls);
		n += svg_points(node->children, panel, in);
	}
	return n;
}

static void test_compare_json_table_and_plot(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall", c->list,  "-o",   c->out, "--compare=1,4",
			      "--json",   "--plot", c->svg, NULL};
	struct h_result r;
	struct h_stats st;
	const char *l1, *l4, *warm, *run1, *run4;
	double w1, w4, sp, ideal1, ideal4;
	xmlDoc *doc;

	assert_int_equal(h_run_in(c->dir, argv, NULL, 120, &r), 0);
	assert_int_equal(r.status, 0);
	/* one stderr line per run as it ends: the warm-up first, at the
	 * highest level (the cheapest), then each measured run */
	warm = strstr(r.err, "fetchall: --compare: warm-up at J=4: ");
	run1 = strstr(r.err, "fetchall: --compare: J=1 run 1: ");
	run4 = strstr(r.err, "fetchall: --compare: J=4 run 1: ");
	if (!warm || !run1 || !run4 || !(warm < run1 && run1 < run4))
		fail_msg("stderr was: %s", r.err);
	assert_non_null(strstr(warm, "24 ok, 0 failed (not counted)\n"));
	l1 = strstr(r.out, "{\"j\":1,");
	l4 = strstr(r.out, "{\"j\":4,");
	assert_non_null(l1);
	assert_non_null(l4);
	assert_int_equal(field(l1, "ok"), 24);
	assert_int_equal(field(l4, "ok"), 24);
	/* each level ran at its J: the child's own peak, and the server saw 4 */
	assert_int_equal(field(l1, "peak_inflight"), 1);
	assert_int_equal(field(l4, "peak_inflight"), 4);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.max_inflight, 4);
	assert_int_equal(st.requests, 24 * 3); /* warm-up + two levels */
	/* the arithmetic of the table */
	w1 = field(l1, "wall_s");
	w4 = field(l4, "wall_s");
	sp = field(l4, "speedup");
	assert_float_equal(sp, w1 / w4, 1e-3 * sp + 1e-4);
	assert_float_equal(field(l4, "efficiency"), sp / 4, 1e-3);
	assert_float_equal(field(l4, "req_per_s"), 24 / w4, 1e-2 * (24 / w4));
	ideal1 = field(l1, "ideal_s");
	ideal4 = field(l4, "ideal_s");
	assert_true(ideal1 >= 2.4 && ideal1 < 3.5); /* 24 x ~100 ms */
	assert_float_equal(ideal4, ideal1 / 4, 1e-3);
	/* latency-bound: 4 at once is clearly faster, never faster than ideal */
	assert_true(w4 < w1 / 2);
	assert_true(w4 >= 0.6);
	assert_int_equal(field(r.out, "knee_j"), 4);
	/* the plot: well-formed XML, one point per level in each panel */
	doc = xmlReadFile(c->svg, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	assert_int_equal(svg_points(xmlDocGetRootElement(doc), "wall", false), 2);
	assert_int_equal(svg_points(xmlDocGetRootElement(doc), "speedup", false), 2);
	xmlFreeDoc(doc);
	/* run directories are temporary */
	assert_int_equal(count_entries(c->out, "compare-"), 0);
	h_result_release(&r);
}

/*
 * --per-host 1 holds every level to one transfer at a time: the speedup
 * stays near 1 while the linear line runs to 16.  The speedup panel keeps
 * the linear line inside its plot area, ending on the top edge, and its
 * measured points off the floor.
 */
static void test_compare_low_speedup_plot(void **state)
{
	struct ctx *c = *state;
	char buf[4096];
	size_t len = 0;
	const char *argv[] = {"fetchall",       c->list,      "-o", c->out,
			      "--compare=1,16", "--per-host", "1",  "--plot",
			      c->svg,           "--json",     NULL};
	struct h_result r;
	xmlDoc *doc;
	xmlNode *root, *node;
	struct svg_box box;
	const char *l16;

	for (int i = 0; i < 8; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s/delay/50/p%d\n",
					server.base, i);
	assert_int_equal(h_write_file(c->list, buf, len), 0);
	assert_int_equal(h_run_in(c->dir, argv, NULL, 120, &r), 0);
	assert_int_equal(r.status, 0);
	l16 = strstr(r.out, "{\"j\":16,");
	assert_non_null(l16);
	assert_true(field(l16, "speedup") < 2); /* far below the linear 16 */
	doc = xmlReadFile(c->svg, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	box = svg_check_linear_clipped(root);
	/* the measured speedups (about 1) use the panel: upper half */
	for (node = svg_find(root, "speedup", "point", false); node; node = node->next) {
		if (node->type == XML_ELEMENT_NODE && !strcmp((const char *)node->name, "circle"))
			assert_true(svg_num(node, "cy") < box.y + box.h / 2);
	}
	xmlFreeDoc(doc);
	h_result_release(&r);
}

static void test_compare_table_stdin_keep(void **state)
{
	struct ctx *c = *state;
	char *list;
	size_t len;
	const char *argv[] = {"fetchall", "-", "-o",     c->out, "--compare=2,8",
			      "--repeat", "2", "--keep", NULL};
	struct h_result r;

	assert_int_equal(h_read_file(c->list, &list, &len), 0);
	assert_int_equal(h_run_in(c->dir, argv, list, 120, &r), 0);
	free(list);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "median of 2 runs per level after one warm-up"));
	assert_non_null(strstr(r.err, "warm-up at J=8: "));
	assert_null(strstr(r.err, "warm-up at J=2"));
	assert_non_null(strstr(r.out, "where the time goes"));
	assert_non_null(strstr(r.out, "knee: J="));
	/* the first level is not J=1: no ideal */
	assert_non_null(strstr(r.out, "ideal: not known"));
	/* --keep: warm-up + 2 levels x 2 runs */
	assert_int_equal(count_entries(c->out, "compare-"), 5);
	h_result_release(&r);
}

static void test_compare_parse_placements(void **state)
{
	struct ctx *c = *state;
	char buf[4096];
	size_t len = 0;
	const char *argv[] = {"fetchall", c->list, "-o", c->out, "--compare=2", "--images",
			      "--accept", "none",  "-P", "2",    "--json",      NULL};
	const char *threads, *procs;
	struct h_result r;

	for (int k = 0; k < 12; k++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s/site/50/page/%d.html\n",
					server.base, k);
	assert_int_equal(h_write_file(c->list, buf, len), 0);
	assert_int_equal(h_run_in(c->dir, argv, NULL, 120, &r), 0);
	assert_int_equal(r.status, 0);
	threads = strstr(r.out, "{\"placement\":\"threads\"");
	procs = strstr(r.out, "{\"placement\":\"processes\"");
	assert_non_null(threads);
	assert_non_null(procs);
	/* both placements parsed every page, and took CPU time doing it */
	assert_int_equal(field(threads, "pages"), 12);
	assert_int_equal(field(procs, "pages"), 12);
	assert_int_equal(field(procs, "procs"), 2);
	assert_true(field(threads, "cpu_s") > 0);
	assert_true(field(procs, "parse_s") > 0);
	/* the ideal overlaps parsing and fetching: a lower bound of each wall
	 * time (medians of separate runs, hence the slack) */
	assert_true(field(threads, "ideal_s") > 0);
	assert_true(field(procs, "ideal_s") > 0);
	assert_true(field(procs, "ideal_s") <= 1.5 * field(procs, "wall_s"));
	h_result_release(&r);
}

static void test_compare_usage(void **state)
{
	struct ctx *c = *state;
	const char *bad[] = {"fetchall", c->list, "--compare=0,4", NULL};
	const char *lonely[] = {"fetchall", c->list, "--plot", "x.svg", NULL};
	struct h_result r;

	assert_int_equal(h_run_in(c->dir, bad, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--compare wants levels"));
	h_result_release(&r);
	assert_int_equal(h_run_in(c->dir, lonely, NULL, 30, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--plot needs --compare"));
	h_result_release(&r);
}

/* A --plot path that cannot be written (no such directory; a directory)
 * is a usage error before any run: one line naming it, no request made. */
static void test_compare_bad_plot_fails_fast(void **state)
{
	struct ctx *c = *state;
	char missing[4200];
	const char *paths[] = {missing, c->dir};

	snprintf(missing, sizeof(missing), "%s/no/such/dir/plot.svg", c->dir);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *argv[] = {"fetchall",      c->list,  "-o",     c->out,
				      "--compare=1,4", "--plot", paths[i], NULL};
		struct h_result r;
		struct h_stats st;
		char said[4300];

		assert_int_equal(h_server_reset(&server, NULL), 0);
		assert_int_equal(h_run_in(c->dir, argv, NULL, 30, &r), 0);
		assert_int_equal(r.status, 2);
		snprintf(said, sizeof(said), "fetchall: cannot write plot '%s': ", paths[i]);
		if (strncmp(r.err, said, strlen(said)) ||
		    strchr(r.err, '\n') != r.err + r.err_len - 1)
			fail_msg("stderr was: %s", r.err);
		assert_int_equal(h_server_stats(&server, &st), 0);
		assert_int_equal(st.requests, 0);
		assert_true(count_entries(c->out, "compare-") <= 0);
		h_result_release(&r);
	}
}

/* Ctrl-C during the runs: the plot file named is left as it was and its
 * temporary file (made before the first run) is gone. */
static void test_compare_interrupted_leaves_no_plot(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = {"fetchall",      c->list,  "-o",   c->out,
			      "--compare=1,4", "--plot", c->svg, NULL};
	struct h_stats st = {0};
	char *data;
	size_t len;
	pid_t pid;
	int status;

	assert_int_equal(h_write_file(c->svg, "old", 3), 0);
	pid = h_spawn(argv, NULL, c->dir);
	assert_true(pid > 0);
	/* once the warm-up run is under way, however slow the machine */
	for (int t = 0; t < 200 && st.requests == 0; t++) {
		nanosleep(&(struct timespec){.tv_nsec = 50000000L}, NULL);
		if (h_server_stats(&server, &st) != 0)
			break;
	}
	assert_int_equal(count_entries(c->dir, "plot.svg."), 1);
	kill(pid, SIGINT); /* no assert until the child is reaped */
	assert_int_equal(h_wait(pid, 60, &status), 0);
	assert_true(st.requests > 0);
	assert_int_equal(status, 130);
	assert_int_equal(h_read_file(c->svg, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "old", 3);
	free(data);
	assert_int_equal(count_entries(c->dir, "plot.svg."), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_compare_json_table_and_plot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare_table_stdin_keep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare_low_speedup_plot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare_parse_placements, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare_usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare_bad_plot_fails_fast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare_interrupted_leaves_no_plot, setup,
					    teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
