/*
 * Strict reading of JSON objects with jansson: every accessor names the JSON pointer of the field
 * it reads in its error, refuses wrong types and out-of-range values, and jsonr_check_keys refuses
 * unknown fields. Paths are built by the caller as JSON pointers ("/earning/multipliers/2").
 */
#ifndef FIDELE_UTIL_JSONREAD_H
#define FIDELE_UTIL_JSONREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define JSONR_PATH_MAX 160

/* The first byte of [p, end) that is not JSON whitespace (end when all are). */
const char *jsonr_skip_blanks(const char *p, const char *end);

/* Printable ASCII other than the quote and the backslash: a JSON string of such bytes reads as
 * it is written, and jansson writes it back the same. */
static inline bool jsonr_plain_byte(char byte)
{
    unsigned char ch = (unsigned char)byte;
    return ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\';
}

/* Joins path and key into out as a JSON pointer (escaping '~' and '/'). */
void jsonr_path(char out[JSONR_PATH_MAX], const char *path, const char *key);
void jsonr_path_index(char out[JSONR_PATH_MAX], const char *path, size_t index);

/* Fails naming the first member of obj whose key is not in allowed (NULL-terminated). */
enum fid_status jsonr_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                                 struct fid_error *err) FID_MUST_USE;

/* Requires value to be an object (or array); names path ("" for the whole document, RFC 6901). */
enum fid_status jsonr_expect_object(const json_t *value, const char *path,
                                    struct fid_error *err) FID_MUST_USE;
enum fid_status jsonr_expect_array(const json_t *value, const char *path,
                                   struct fid_error *err) FID_MUST_USE;

/* Integer member key of obj within [min, max]. Missing: *out = def when !required, else error. */
enum fid_status jsonr_int(const json_t *obj, const char *path, const char *key, bool required,
                          int64_t min, int64_t max, int64_t def, int64_t *out,
                          struct fid_error *err) FID_MUST_USE;

/* String member of at most max_len bytes (non-empty when required). *out borrows from obj. */
enum fid_status jsonr_string(const json_t *obj, const char *path, const char *key, bool required,
                             size_t max_len, const char *def, const char **out,
                             struct fid_error *err) FID_MUST_USE;

enum fid_status jsonr_bool(const json_t *obj, const char *path, const char *key, bool def,
                           bool *out, struct fid_error *err) FID_MUST_USE;

/* String member that must be one of choices (NULL-terminated); *out is its index. */
enum fid_status jsonr_enum(const json_t *obj, const char *path, const char *key, bool required,
                           const char *const *choices, int def, int *out,
                           struct fid_error *err) FID_MUST_USE;

/* Array member (NULL *out when absent and !required). */
enum fid_status jsonr_array(const json_t *obj, const char *path, const char *key, bool required,
                            size_t max_items, json_t **out, struct fid_error *err) FID_MUST_USE;

/* json_loadb, refusing a text that holds a NUL byte, which JSON cannot (a string writes it
 * \u0000): jansson read one after a number as nothing, where the batch reader refused it. */
json_t *jsonr_loadb(const char *text, size_t len, size_t flags, json_error_t *error);

/* Where jansson refused text (len bytes) for a number beyond its range (error->text "too big
 * integer", "real number overflow"), valid JSON all the same: the JSON pointer of that number into
 * pointer, and what is wrong with it into message. False when the error is another one, or the
 * pointer does not fit. Allocates a work area for the walk: for errors only. */
bool jsonr_overflow_at(const char *text, size_t len, const json_error_t *error,
                       char pointer[JSONR_PATH_MAX], char message[FID_ERROR_MESSAGE_MAX]);

/* Parses text (len bytes) as one JSON value, refusing duplicate keys; a malformed text's error
 * names line:column ("malformed JSON: ..."); a number beyond 64 bits, valid JSON, is an invalid
 * value named by its JSON pointer. */
enum fid_status jsonr_parse(const char *text, size_t len, json_t **out,
                            struct fid_error *err) FID_MUST_USE;

#endif
