/* Unit tests for compare: the table's arithmetic, round axis ticks and the
 * SVG plot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "svgcheck.h"

static struct compare_level level(unsigned j, double wall, unsigned long ok, double bytes)
{
	struct compare_level l = {0};

	l.j = j;
	l.wall_s = l.wall_min_s = l.wall_max_s = wall;
	l.ok = ok;
	l.bytes = bytes;
	return l;
}

static void test_compare_compute_arithmetic(void **state)
{
	struct compare_level lv[4] = {level(1, 8.0, 100, 8e6), level(2, 4.2, 100, 8e6),
				      level(4, 2.5, 100, 8e6), level(8, 2.4, 100, 8e6)};
	size_t knee;

	(void)state;
	knee = compare_compute(lv, 4, 8000.0);
	assert_true(lv[0].speedup == 1.0 && lv[0].efficiency == 1.0);
	assert_float_equal(lv[1].speedup, 8.0 / 4.2, 1e-9);
	assert_float_equal(lv[1].efficiency, 8.0 / 4.2 / 2, 1e-9);
	assert_float_equal(lv[3].efficiency, 8.0 / 2.4 / 8, 1e-9);
	assert_float_equal(lv[2].req_per_s, 100 / 2.5, 1e-9);
	assert_float_equal(lv[2].mb_per_s, 8.0 / 2.5, 1e-9);
	assert_float_equal(lv[0].ideal_s, 8.0, 1e-9);
	assert_float_equal(lv[3].ideal_s, 1.0, 1e-9);
	/* best is J=8 (41.7 req/s); J=4 (40) is within 90 % of it */
	assert_int_equal(knee, 2);
}

static void test_compare_compute_relative_and_unknown(void **state)
{
	/* a first level other than 1: speedup over it, efficiency per step */
	struct compare_level lv[2] = {level(4, 2.0, 10, 0), level(16, 1.0, 10, 0)};
	size_t knee;

	(void)state;
	knee = compare_compute(lv, 2, -1);
	assert_float_equal(lv[1].speedup, 2.0, 1e-9);
	assert_float_equal(lv[1].efficiency, 0.5, 1e-9);
	assert_true(lv[0].ideal_s < 0 && lv[1].ideal_s < 0);
	assert_int_equal(knee, 1);
}

/* The number of <circle class="point"> under the element with id. */
static int points_in(xmlNode *node, const char *panel, bool inside)
{
	int n = 0;

	for (; node; node = node->next) {
		bool in = inside;
		xmlChar *id, *cls;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		id = xmlGetProp(node, (const xmlChar *)"id");
		if (id && !strcmp((const char *)id, panel))
			in = true;
		xmlFree(id);
		cls = xmlGetProp(node, (const xmlChar *)"class");
		if (in && cls && !strcmp((const char *)cls, "point") &&
		    !strcmp((const char *)node->name, "circle"))
			n++;
		xmlFree(cls);
		n += points_in(node->children, panel, in);
	}
	return n;
}

static void test_compare_svg_well_formed(void **state)
{
	struct compare_level lv[3] = {level(1, 4.0, 40, 1e6), level(4, 1.1, 40, 1e6),
				      level(16, 0.4, 40, 1e6)};
	char path[] = "/tmp/fetchall-svg-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	xmlDoc *doc;
	xmlNode *root;

	(void)state;
	assert_non_null(f);
	compare_compute(lv, 3, 4000.0);
	/* a title with XML's special characters must still parse */
	assert_int_equal(compare_write_svg(f, lv, 3, "urls <a&b> \"x\""), 0);
	assert_int_equal(fclose(f), 0);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "svg");
	assert_int_equal(points_in(root->children, "wall", false), 3);
	assert_int_equal(points_in(root->children, "speedup", false), 3);
	xmlFreeDoc(doc);
	unlink(path);
}

static void test_compare_nice_step_table(void **state)
{
	static const struct {
		double span;
		unsigned intervals;
		double step;
	} cases[] = {
	    {1.0, 5, 0.2},                 /* 0.2 exactly, not bumped to 0.5 by rounding */
	    {0.6, 5, 0.2},                 /* 0.12 */
	    {0.6, 3, 0.2},                 /* 0.2 exactly */
	    {64, 5, 20},                   /* 12.8 */
	    {100, 5, 20},                  /* 20 exactly */
	    {10, 5, 2},                    /* 2 exactly */
	    {4.3, 5, 1},                   /* 0.86 */
	    {12.32, 5, 5},                 /* 2.464 */
	    {0.003, 3, 0.001}, {7, 0, 10}, /* 0 intervals count as 1 */
	    {0, 5, 1},                     /* no span: a step of 1 */
	    {-3, 5, 1},        {NAN, 5, 1}, {INFINITY, 5, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = compare_nice_step(cases[i].span, cases[i].intervals);

		if (fabs(got - cases[i].step) > 1e-12 * cases[i].step)
			fail_msg("nice_step(%g, %u) = %g, want %g", cases[i].span,
				 cases[i].intervals, got, cases[i].step);
	}
}

static void test_compare_axis_ticks_table(void **state)
{
	static const struct {
		double lo, hi;
		unsigned max_intervals;
		double want_lo, want_hi, want_step;
		unsigned want_count;
	} cases[] = {
	    {0.4, 1.0, 5, 0.4, 1.0, 0.2, 4}, /* a low measured speedup */
	    {0, 1.0, 5, 0, 1.0, 0.2, 6},
	    {0, 64, 5, 0, 80, 20, 5}, /* the linear line at 64 */
	    {0, 12.32, 5, 0, 15, 5, 4},
	    {0, 0.95, 5, 0, 1.0, 0.2, 6},
	    {0.37, 0.93, 5, 0.2, 1.0, 0.2, 5},
	    {0.05, 0.95, 4, 0, 1.0, 0.5, 3},
	    {2, 2, 5, 2, 3, 0.2, 6}, /* no range: lo to lo + 1 */
	    {0, NAN, 5, 0, 1, 0.2, 6},
	    {-1, 1, 1, -1, 1, 1, 3},    /* 1 interval cannot hold 0: 2 */
	    {0, 101, 5, 0, 150, 50, 4}, /* 20.2 -> 50: 0..150 */
	    {0, 99, 5, 0, 100, 20, 6},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct compare_ticks t;
		double eps = 1e-9 * cases[i].want_step;

		compare_axis_ticks(cases[i].lo, cases[i].hi, cases[i].max_intervals, &t);
		if (fabs(t.lo - cases[i].want_lo) > eps || fabs(t.hi - cases[i].want_hi) > eps ||
		    fabs(t.step - cases[i].want_step) > eps || t.count != cases[i].want_count)
			fail_msg("axis_ticks(%g, %g, %u) = %g..%g step %g, %u ticks; want "
				 "%g..%g step %g, %u ticks",
				 cases[i].lo, cases[i].hi, cases[i].max_intervals, t.lo, t.hi,
				 t.step, t.count, cases[i].want_lo, cases[i].want_hi,
				 cases[i].want_step, cases[i].want_count);
		/* every tick a whole number of steps; the range holds lo..hi */
		assert_true(t.lo <= cases[i].lo + eps || isnan(cases[i].lo));
		assert_float_equal(t.lo / t.step, round(t.lo / t.step), 1e-9);
		assert_float_equal(t.lo + (t.count - 1) * t.step, t.hi, eps);
	}
}

/*
 * A speedup that falls from 1 to 0.4 while the linear line runs to 64: the
 * panel's range is the measurements' (a round tick above 1), so the lowest
 * point stays well off the floor; the linear line stays inside the panel
 * and ends on its top edge; the ticks are whole multiples of a round step.
 */
static void test_compare_svg_low_speedup_readable(void **state)
{
	struct compare_level lv[4] = {level(1, 1.0, 40, 1e6), level(4, 1.2, 40, 1e6),
				      level(16, 1.8, 40, 1e6), level(64, 2.5, 40, 1e6)};
	char path[] = "/tmp/fetchall-svg-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	double y, h, py, top_tick = 0;
	int n_ticks = 0;
	struct svg_box box;
	xmlDoc *doc;
	xmlNode *root, *node;

	(void)state;
	assert_non_null(f);
	compare_compute(lv, 4, -1);
	assert_int_equal(compare_write_svg(f, lv, 4, "low"), 0);
	assert_int_equal(fclose(f), 0);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	/* the linear line: every point inside, the last on the top edge */
	box = svg_check_linear_clipped(root);
	y = box.y;
	h = box.h;

	/* the measured points are spread over the panel, not on its floor */
	for (node = svg_find(root, "speedup", "point", false); node; node = node->next) {
		if (!svg_is(node, "circle", "point"))
			continue;
		py = svg_num(node, "cy");
		assert_true(py >= y - 0.05 && py <= y + 0.75 * h); /* 0.4 of at most 1.2 */
	}

	/* the ticks: 0, 0.2, ..., 1.2 */
	for (node = svg_find(root, "speedup", "tick", false); node; node = node->next) {
		xmlChar *text;
		double v;

		if (!svg_is(node, "text", "tick"))
			continue;
		text = xmlNodeGetContent(node);
		v = strtod((const char *)text, NULL);
		xmlFree(text);
		assert_float_equal(v / 0.2, round(v / 0.2), 1e-9);
		top_tick = fmax(top_tick, v);
		n_ticks++;
	}
	assert_int_equal(n_ticks, 7);
	assert_float_equal(top_tick, 1.2, 1e-9);
	xmlFreeDoc(doc);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compare_compute_arithmetic),
	    cmocka_unit_test(test_compare_compute_relative_and_unknown),
	    cmocka_unit_test(test_compare_svg_well_formed),
	    cmocka_unit_test(test_compare_nice_step_table),
	    cmocka_unit_test(test_compare_axis_ticks_table),
	    cmocka_unit_test(test_compare_svg_low_speedup_readable),
	};

	xmlInitParser();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
