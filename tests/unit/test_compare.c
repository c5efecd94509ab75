/* Unit tests for compare: the table's arithmetic and the SVG plot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compare_compute_arithmetic),
	    cmocka_unit_test(test_compare_compute_relative_and_unknown),
	    cmocka_unit_test(test_compare_svg_well_formed),
	};

	xmlInitParser();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
