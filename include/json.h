/*
 * json: reading fields of one JSON object, as fetchall writes them (its
 * --json lines, --stats, --compare's children): a top-level key's value
 * found by walking the object's grammar (strings with their escapes,
 * nested objects and arrays skipped whole), so neither key order nor a key
 * spelled inside a string value can mislead it.  Nothing is allocated.
 */
#ifndef FA_JSON_H
#define FA_JSON_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The raw value of top-level key `key` in the object at text (which may be
 * followed by a newline and more): *val points at its first byte, *len is
 * its length ("\"a\"", "12.5", "true", "{...}").  Returns false when the
 * key is absent or text is not an object up to that key.
 */
bool json_field(const char *text, const char *key, const char **val, size_t *len);

/* A number value; false when absent or not a number. */
bool json_number(const char *text, const char *key, double *out);

/* Whether the value is the literal true. */
bool json_true(const char *text, const char *key);

/*
 * A string value unescaped into out (\uXXXX as UTF-8, surrogate pairs
 * joined), cut to outlen - 1 bytes; any other value (a number, null) is
 * copied raw.  Returns false when the key is absent.
 */
bool json_string(const char *text, const char *key, char *out, size_t outlen);

#endif
