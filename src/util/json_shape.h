/*
 * A JSON text split into its shape and its values, and joined back byte for byte. The shape is
 * the text with each number, and each string that is not a member's name, replaced by a mark;
 * the values are what the marks stood for, one after the other. Texts written by one program
 * in one form (the results of a type of event) share a few shapes, so a store can keep each
 * shape once and each text as its shape's number and its values: a fifth of the bytes.
 *
 * A string value stays in the shape when the member it is the value of is one of the names the
 * caller lists (names whose values take few forms: a rule, a label, a currency). The marks are
 * bytes 0x1C-0x1F, which no JSON text holds raw (a string writes a control character escaped);
 * a text holding one cannot be split.
 */
#ifndef FIDELE_UTIL_JSON_SHAPE_H
#define FIDELE_UTIL_JSON_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/jsonwrite.h"

/* In a shape: a string value's place (written back in quotes), a number's place. */
#define JSON_SHAPE_STRING '\x1d'
#define JSON_SHAPE_NUMBER '\x1e'
/* In the values: after each value. */
#define JSON_SHAPE_END '\x1f'

/* Appends text's shape to shape and its values to values. kept: NULL-terminated names whose
 * string values stay in the shape. False (shape and values then hold a part) when the text holds
 * a byte 0x1C-0x1F or a string without its closing quote. */
bool json_shape_split(const char *text, size_t len, const char *const *kept, struct jsonw *shape,
                      struct jsonw *values);

/* Appends to out the text shape and values were split from. False (out then holds a part) when
 * the values do not fill the shape's marks exactly. */
bool json_shape_join(const char *shape, size_t shape_len, const char *values, size_t values_len,
                     struct jsonw *out);

#endif
