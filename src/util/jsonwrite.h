/*
 * Compact JSON text written by hand into a growing buffer: json_t trees exactly as
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) writes them, and documents built field by field
 * (the access log). Faster than json_dumps, which checks every object and array for cycles by
 * formatting its address and hashing it; trees written here are built by the program, which never
 * makes a cycle.
 */
#ifndef FIDELE_UTIL_JSONWRITE_H
#define FIDELE_UTIL_JSONWRITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes held in the struct itself before the text moves to the heap. */
#define JSONW_INLINE 1024

struct jsonw {
    char *data; /* data[0..len), not NUL-terminated until jsonw_detach */
    size_t len, cap;
    char inline_data[JSONW_INLINE];
};

/* Starts an empty text in w's own storage (a stack struct costs no allocation for short text). */
void jsonw_init(struct jsonw *w);
/* Frees what w allocated; w may be reused after jsonw_init. */
void jsonw_free(struct jsonw *w);
/* The text, NUL-terminated, owned by the caller (free()); w is left empty. */
char *jsonw_detach(struct jsonw *w);

/* Appends text as it is (punctuation, keys known to need no escaping). */
void jsonw_raw(struct jsonw *w, const char *text, size_t len);
void jsonw_text(struct jsonw *w, const char *text);
/* The most bytes a JSON string of n bytes of text takes, quotes included: a control character
 * is written as six ("\u0001"). */
#define JSONW_STRING_MAX(n) (6 * (size_t)(n) + 2)

/* Appends a JSON string of the len bytes of utf8, escaped as jansson escapes; bytes that are not
 * well-formed UTF-8 become U+FFFD. */
void jsonw_string(struct jsonw *w, const char *utf8, size_t len);
void jsonw_int(struct jsonw *w, int64_t value);
/* A real as jansson writes it with JSON_REAL_PRECISION(precision), 1 to 17. */
void jsonw_real(struct jsonw *w, double value, int precision);
void jsonw_bool(struct jsonw *w, bool value);
/* A NUL-terminated string as jsonw_string writes it. */
void jsonw_cstring(struct jsonw *w, const char *utf8);

/* Objects and arrays written member by member: jsonw_key writes a comma unless the text so far
 * ends with an opening brace or bracket (or is empty), then key as a string and a colon; the
 * caller writes the value next. jsonw_next does the same for an array's element. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_next(struct jsonw *w);

/* Appends a json_t value (NULL writes nothing). */
void jsonw_value(struct jsonw *w, const json_t *value);

/* json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY): the text, owned by the caller (free()). */
char *jsonw_dump(const json_t *value);

/* As jsonw_value and jsonw_dump, with each object's members in bytewise order of their keys:
 * json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY), byte for byte (events'
 * digests are taken over it and stored, so it must not change). */
void jsonw_value_sorted(struct jsonw *w, const json_t *value);
char *jsonw_dump_sorted(const json_t *value);

#endif
