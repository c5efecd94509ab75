/*
 * svgcheck: what the --compare tests read off a --plot SVG (a libxml2
 * tree), shared by the unit test (compare_write_svg() on made-up levels)
 * and the integration test (a real --compare run).  Include after
 * <cmocka.h> and <libxml/tree.h>: the checks are cmocka assertions.
 */
#ifndef SVGCHECK_H
#define SVGCHECK_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A rectangle of the plot, in SVG units. */
struct svg_box {
	double x, y, w, h;
};

/* The first element with class cls at or below the element with id panel,
 * searching node and its siblings (inside: already below the panel). */
static inline xmlNode *svg_find(xmlNode *node, const char *panel, const char *cls, bool inside)
{
	for (; node; node = node->next) {
		bool in = inside;
		xmlChar *id, *c;
		xmlNode *found = NULL;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		id = xmlGetProp(node, (const xmlChar *)"id");
		in = in || (id && !strcmp((const char *)id, panel));
		xmlFree(id);
		c = xmlGetProp(node, (const xmlChar *)"class");
		if (in && c && !strcmp((const char *)c, cls))
			found = node;
		xmlFree(c);
		if (!found)
			found = svg_find(node->children, panel, cls, in);
		if (found)
			return found;
	}
	return NULL;
}

/* Attribute name of node as a number; asserts it is there. */
static inline double svg_num(xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
	double d;

	assert_non_null(v);
	d = strtod((const char *)v, NULL);
	xmlFree(v);
	return d;
}

/* Whether node is a <name> element of class cls. */
static inline bool svg_is(xmlNode *node, const char *name, const char *cls)
{
	xmlChar *c;
	bool yes;

	if (node->type != XML_ELEMENT_NODE || strcmp((const char *)node->name, name))
		return false;
	c = xmlGetProp(node, (const xmlChar *)"class");
	yes = c && !strcmp((const char *)c, cls);
	xmlFree(c);
	return yes;
}

/* Asserts that the speedup panel's linear ("ideal") line has at least
 * two "X,Y" points, every one inside the panel's plot area, the last on
 * its top edge (clipped there); returns the plot area. */
static inline struct svg_box svg_check_linear_clipped(xmlNode *root)
{
	xmlNode *area = svg_find(root, "speedup", "plot-area", false);
	xmlNode *ideal = svg_find(root, "speedup", "ideal", false);
	struct svg_box b;
	double px, py, last_y = 0;
	int n = 0;
	xmlChar *points;
	char *p, *end;

	assert_non_null(area);
	assert_non_null(ideal);
	b.x = svg_num(area, "x");
	b.y = svg_num(area, "y");
	b.w = svg_num(area, "width");
	b.h = svg_num(area, "height");
	points = xmlGetProp(ideal, (const xmlChar *)"points");
	assert_non_null(points);
	for (p = (char *)points;; p = end, n++) {
		px = strtod(p, &end);
		if (end == p)
			break;
		assert_int_equal(*end, ',');
		py = strtod(end + 1, &end);
		if (px < b.x - 0.05 || px > b.x + b.w + 0.05 || py < b.y - 0.05 ||
		    py > b.y + b.h + 0.05)
			fail_msg("linear point %g,%g outside the panel %g,%g %gx%g", px, py, b.x,
				 b.y, b.w, b.h);
		last_y = py;
	}
	xmlFree(points);
	assert_true(n >= 2); /* a visible stretch, from the first level up */
	assert_float_equal(last_y, b.y, 0.051);
	return b;
}

#endif
