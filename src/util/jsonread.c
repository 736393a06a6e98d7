/*
 * Strict JSON field readers. They never allocate: results borrow from the jansson tree.
 */
#include "util/jsonread.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
        return fid_fail(err, FID_ERR_INPUT, path[0] ? path : "/", "expected an object, got %s",
                        type_name(value));
    return FID_OK;
}

enum fid_status jsonr_expect_array(const json_t *value, const char *path, struct fid_error *err)
{
    if (!json_is_array(value))
        return fid_fail(err, FID_ERR_INPUT, path[0] ? path : "/", "expected an array, got %s",
                        type_name(value));
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
    if (nul == NULL)
        return json_loadb(text, len, flags, error);
    int line = 1, column = 1;
    for (const char *p = text; p < nul; p++) {
        line += *p == '\n';
        column = *p == '\n' ? 1 : column + 1;
    }
    *error = (json_error_t){.line = line, .column = column, .position = (int)(nul - text)};
    snprintf(error->text, sizeof error->text, "a NUL byte, which JSON text cannot hold");
    return NULL;
}

enum fid_status jsonr_parse(const char *text, size_t len, json_t **out, struct fid_error *err)
{
    json_error_t jerr;
    *out = jsonr_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL) {
        char where[64];
        snprintf(where, sizeof where, "line %d column %d", jerr.line, jerr.column);
        return fid_fail(err, FID_ERR_INPUT, where, "malformed JSON: %s", jerr.text);
    }
    return FID_OK;
}
