/*
 * Strict JSON field readers. They never allocate: results borrow from the jansson tree. The one
 * exception is the walk that names a number jansson refused (jsonr_overflow_at), on errors only.
 */
#include "util/jsonread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

const char *jsonr_skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

void jsonr_path(char out[JSONR_PATH_MAX], const char *path, const char *key)
{
    size_t n = (size_t)snprintf(out, JSONR_PATH_MAX, "%s/", path);
    for (const char *k = key; *k && n + 3 < JSONR_PATH_MAX; k++) {
        if (*k == '~' || *k == '/') {
            out[n++] = '~';
            out[n++] = *k == '~' ? '0' : '1';
        } else {
            out[n++] = *k;
        }
    }
    out[n < JSONR_PATH_MAX ? n : JSONR_PATH_MAX - 1] = '\0';
}

void jsonr_path_index(char out[JSONR_PATH_MAX], const char *path, size_t index)
{
    snprintf(out, JSONR_PATH_MAX, "%s/%zu", path, index);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a decimal number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* Fails naming the member key of path. The pointer is built here, not by every read: a field
 * read that succeeds (nearly all of them) costs no formatting. */
static enum fid_status fail_at(struct fid_error *err, enum fid_status status, const char *path,
                               const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum fid_status fail_at(struct fid_error *err, enum fid_status status, const char *path,
                               const char *key, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    char at[JSONR_PATH_MAX], message[FID_ERROR_MESSAGE_MAX];
    jsonr_path(at, path, key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return fid_fail(err, status, at, "%s", message);
}

enum fid_status jsonr_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                                 struct fid_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known)
            return fail_at(err, FID_ERR_INPUT, path, key, "unknown field \"%.60s\"", key);
    }
    return FID_OK;
}

enum fid_status jsonr_expect_object(const json_t *value, const char *path, struct fid_error *err)
{
    if (!json_is_object(value))
        return fid_fail(err, FID_ERR_INPUT, path, "expected an object, got %s", type_name(value));
    return FID_OK;
}

enum fid_status jsonr_expect_array(const json_t *value, const char *path, struct fid_error *err)
{
    if (!json_is_array(value))
        return fid_fail(err, FID_ERR_INPUT, path, "expected an array, got %s", type_name(value));
    return FID_OK;
}

/* Looks up key; a JSON null counts as absent. */
static json_t *member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

enum fid_status jsonr_int(const json_t *obj, const char *path, const char *key, bool required,
                          int64_t min, int64_t max, int64_t def, int64_t *out,
                          struct fid_error *err)
{
    json_t *v = member(obj, key);
    if (v == NULL) {
        if (required)
            return fail_at(err, FID_ERR_INPUT, path, key, "required integer is missing");
        *out = def;
        return FID_OK;
    }
    if (!json_is_integer(v))
        return fail_at(err, FID_ERR_INPUT, path, key, "expected an integer, got %s", type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return fail_at(err, FID_ERR_INPUT, path, key, "%lld is out of range [%lld, %lld]",
                       (long long)n, (long long)min, (long long)max);
    *out = n;
    return FID_OK;
}

enum fid_status jsonr_string(const json_t *obj, const char *path, const char *key, bool required,
                             size_t max_len, const char *def, const char **out,
                             struct fid_error *err)
{
    json_t *v = member(obj, key);
    if (v == NULL) {
        if (required)
            return fail_at(err, FID_ERR_INPUT, path, key, "required string is missing");
        *out = def;
        return FID_OK;
    }
    if (!json_is_string(v))
        return fail_at(err, FID_ERR_INPUT, path, key, "expected a string, got %s", type_name(v));
    size_t len = json_string_length(v);
    if (len > max_len)
        return fail_at(err, FID_ERR_INPUT, path, key, "string longer than %zu bytes", max_len);
    if (required && len == 0)
        return fail_at(err, FID_ERR_INPUT, path, key, "must not be empty");
    if (strlen(json_string_value(v)) != len)
        return fail_at(err, FID_ERR_INPUT, path, key, "string contains a NUL character");
    *out = json_string_value(v);
    return FID_OK;
}

enum fid_status jsonr_bool(const json_t *obj, const char *path, const char *key, bool def,
                           bool *out, struct fid_error *err)
{
    json_t *v = member(obj, key);
    if (v == NULL) {
        *out = def;
        return FID_OK;
    }
    if (!json_is_boolean(v))
        return fail_at(err, FID_ERR_INPUT, path, key, "expected true or false, got %s",
                       type_name(v));
    *out = json_is_true(v);
    return FID_OK;
}

enum fid_status jsonr_enum(const json_t *obj, const char *path, const char *key, bool required,
                           const char *const *choices, int def, int *out, struct fid_error *err)
{
    const char *s = NULL;
    enum fid_status st = jsonr_string(obj, path, key, required, 64, NULL, &s, err);
    if (st != FID_OK)
        return st;
    if (s == NULL) {
        *out = def;
        return FID_OK;
    }
    for (int i = 0; choices[i]; i++) {
        if (strcmp(choices[i], s) == 0) {
            *out = i;
            return FID_OK;
        }
    }
    char expected[256] = "";
    size_t n = 0;
    for (int i = 0; choices[i] && n < sizeof expected; i++)
        n += (size_t)snprintf(expected + n, sizeof expected - n, "%s\"%s\"", i ? ", " : "",
                              choices[i]);
    return fail_at(err, FID_ERR_INPUT, path, key, "\"%.40s\" is not one of %s", s, expected);
}

enum fid_status jsonr_array(const json_t *obj, const char *path, const char *key, bool required,
                            size_t max_items, json_t **out, struct fid_error *err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (v == NULL)
        return required ? fail_at(err, FID_ERR_INPUT, path, key, "required array is missing")
                        : FID_OK;
    if (!json_is_array(v))
        return fail_at(err, FID_ERR_INPUT, path, key, "expected an array, got %s", type_name(v));
    if (json_array_size(v) > max_items)
        return fail_at(err, FID_ERR_LIMIT, path, key, "more than %zu items", max_items);
    *out = v;
    return FID_OK;
}

json_t *jsonr_loadb(const char *text, size_t len, size_t flags, json_error_t *error)
{
    const char *nul = memchr(text, '\0', len);
    if (nul == NULL) {
        json_t *tree = json_loadb(text, len, flags, error);
        /* jansson's words name its own flag: say what the text holds instead */
        if (tree == NULL && error && strstr(error->text, "JSON_ALLOW_NUL") != NULL)
            snprintf(error->text, sizeof error->text,
                     "\\u0000 (a NUL character), which texts cannot hold");
        return tree;
    }
    int line = 1, column = 1;
    for (const char *p = text; p < nul; p++) {
        line += *p == '\n';
        column = *p == '\n' ? 1 : column + 1;
    }
    *error = (json_error_t){.line = line, .column = column, .position = (int)(nul - text)};
    snprintf(error->text, sizeof error->text, "a NUL byte, which JSON text cannot hold");
    return NULL;
}

/* The pointer being built by jsonr_overflow_at: the members and indexes down to the value read,
 * with the length the pointer had before each, to go back up. */
struct pointer_walk {
    char at[JSONR_PATH_MAX];
    size_t len;
    size_t depth;
    size_t parent_len[JSON_PARSER_MAX_DEPTH + 1];
    bool in_object[JSON_PARSER_MAX_DEPTH + 1];
    size_t index[JSON_PARSER_MAX_DEPTH + 1];
    bool too_long;
};

static void walk_segment(struct pointer_walk *w, const char *segment, size_t n)
{
    if (w->too_long || w->len + n >= JSONR_PATH_MAX) {
        w->too_long = true;
        return;
    }
    memcpy(w->at + w->len, segment, n);
    w->len += n;
    w->at[w->len] = '\0';
}

/* Sets the innermost level's segment: an index, or the member named by the JSON string at p. */
static void walk_name(struct pointer_walk *w, const char *p, size_t n)
{
    w->len = w->parent_len[w->depth];
    w->at[w->len] = '\0';
    if (!w->in_object[w->depth]) {
        char index[24];
        snprintf(index, sizeof index, "/%zu", w->index[w->depth]);
        walk_segment(w, index, strlen(index));
        return;
    }
    json_t *name = json_loadb(p, n, JSON_DECODE_ANY, NULL); /* decodes the escapes */
    char segment[JSONR_PATH_MAX];
    jsonr_path(segment, "", json_string_value(name) ? json_string_value(name) : "");
    json_decref(name);
    walk_segment(w, segment, strlen(segment));
}

/* The end of the JSON string whose opening quote is at p (just past its closing quote). */
static const char *string_end(const char *p, const char *end)
{
    for (p++; p < end && *p != '"'; p++)
        if (*p == '\\')
            p++;
    return p < end ? p + 1 : end;
}

static const char *digits_end(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* The end of the JSON number at p: -?digits(.digits)?([eE][+-]?digits)? */
static const char *number_end(const char *p, const char *end)
{
    p = digits_end(p + (*p == '-'), end);
    if (p < end && *p == '.')
        p = digits_end(p + 1, end);
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        p = digits_end(p, end);
    }
    return p;
}

/* Whether the number [p, q) is beyond what jansson reads: an integer outside 64 bits, or a
 * decimal number outside a double's range. */
static bool number_overflows(const char *p, const char *q)
{
    char copy[64];
    bool integer = true;
    for (const char *c = p; c < q; c++)
        integer = integer && *c != '.' && *c != 'e' && *c != 'E';
    if (integer && (size_t)(q - p) >= sizeof copy)
        return true; /* more digits than 64 bits hold */
    size_t n = (size_t)(q - p) < sizeof copy ? (size_t)(q - p) : sizeof copy - 1;
    memcpy(copy, p, n);
    copy[n] = '\0';
    errno = 0;
    if (integer) {
        (void)strtoll(copy, NULL, 10);
        return errno == ERANGE;
    }
    if ((size_t)(q - p) >= sizeof copy)
        return true; /* no overflow is that long but in its exponent; jansson said one */
    double d = strtod(copy, NULL);
    return errno == ERANGE && (d > 1.0 || d < -1.0);
}

bool jsonr_overflow_at(const char *text, size_t len, const json_error_t *error,
                       char pointer[JSONR_PATH_MAX], char message[FID_ERROR_MESSAGE_MAX])
{
    if (json_error_code(error) != json_error_numeric_overflow)
        return false;
    struct pointer_walk *w = xcalloc(1, sizeof *w);
    bool found = false;
    const char *p = text, *end = text + len;
    /* Reads the text jansson read: each value where one is due, then a ',' or a closing bracket. */
    while (!found && (p = jsonr_skip_blanks(p, end)) < end) {
        char c = *p;
        if (c == '{' || c == '[') {
            if (w->depth == JSON_PARSER_MAX_DEPTH)
                break;
            w->depth++;
            w->parent_len[w->depth] = w->len;
            w->in_object[w->depth] = c == '{';
            w->index[w->depth] = 0;
            p++;
            const char *next = jsonr_skip_blanks(p, end);
            if (next < end && (*next == '}' || *next == ']'))
                continue; /* empty: closed below */
            if (c == '[')
                walk_name(w, NULL, 0);
        } else if (c == '}' || c == ']') {
            if (w->depth == 0)
                break;
            w->len = w->parent_len[w->depth--];
            w->at[w->len] = '\0';
            p++;
        } else if (c == ',') {
            w->index[w->depth]++;
            if (!w->in_object[w->depth])
                walk_name(w, NULL, 0);
            p++;
        } else if (c == '"') {
            const char *q = string_end(p, end);
            const char *after = jsonr_skip_blanks(q, end);
            if (w->depth > 0 && w->in_object[w->depth] && after < end && *after == ':') {
                walk_name(w, p, (size_t)(q - p)); /* a member's name */
                q = after + 1;
            }
            p = q;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const char *q = number_end(p, end);
            /* the number jansson refused ends where it stopped reading (or one byte before) */
            size_t at = (size_t)(q - text), stopped = (size_t)error->position;
            /* one after the document ("[] 1e999") makes the text malformed, not the value */
            if (number_overflows(p, q) && at + 1 >= stopped && at <= stopped + 1 && w->depth > 0) {
                found = !w->too_long;
                int shown = q - p > 40 ? 40 : (int)(q - p);
                snprintf(message, FID_ERROR_MESSAGE_MAX,
                         "%.*s%s is out of range (%s than any field takes)", shown, p,
                         shown < q - p ? "..." : "", *p == '-' ? "smaller" : "larger");
                snprintf(pointer, JSONR_PATH_MAX, "%s", w->at);
            }
            p = q;
        } else {
            p++; /* true, false, null */
        }
    }
    free(w);
    return found;
}

enum fid_status jsonr_parse(const char *text, size_t len, json_t **out, struct fid_error *err)
{
    json_error_t jerr;
    *out = jsonr_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    char pointer[JSONR_PATH_MAX], message[FID_ERROR_MESSAGE_MAX];
    if (*out == NULL && jsonr_overflow_at(text, len, &jerr, pointer, message))
        return fid_fail(err, FID_ERR_INPUT, pointer, "%s", message);
    if (*out == NULL) {
        char where[64];
        snprintf(where, sizeof where, "line %d column %d", jerr.line, jerr.column);
        return fid_fail(err, FID_ERR_INPUT, where, "malformed JSON: %s", jerr.text);
    }
    return FID_OK;
}
