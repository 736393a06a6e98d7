/*
 * Whole numbers typed by people (options, query parameters): decimal digits only — no sign, no
 * blank, nothing after — within a range. strtoll alone takes " 5", "+5" and "5x".
 */
#ifndef FIDELE_UTIL_NUMBERS_H
#define FIDELE_UTIL_NUMBERS_H

#include <stdbool.h>
#include <stdint.h>

/* True and *out = the value when text is digits only and its value lies in [min, max] (min >= 0);
 * false otherwise, *out untouched. */
bool fid_parse_whole(const char *text, int64_t min, int64_t max, int64_t *out);

#endif
