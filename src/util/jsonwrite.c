/*
 * The writer keeps its text in the struct until it outgrows JSONW_INLINE bytes, then on the heap.
 * Output matches jansson 2.14's dump.c for compact output: insertion order of object keys,
 * "\b \f \n \r \t \" \\" and \uXXXX (upper-case hex) for other control characters, '/' and
 * non-ASCII left as they are, reals as "%.17g" (or the given precision) with ".0" added when they
 * would read as integers and the exponent stripped of '+' and leading zeros.
 */
#include "util/jsonwrite.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void jsonw_init(struct jsonw *w)
{
    w->data = w->inline_data;
    w->len = 0;
    w->cap = sizeof w->inline_data;
}

void jsonw_free(struct jsonw *w)
{
    if (w->data != w->inline_data)
        free(w->data);
    jsonw_init(w);
}

static void reserve(struct jsonw *w, size_t more)
{
    if (w->len + more <= w->cap)
        return;
    size_t cap = w->cap * 2 > w->len + more ? w->cap * 2 : w->len + more;
    if (w->data == w->inline_data) {
        w->data = xmalloc(cap);
        memcpy(w->data, w->inline_data, w->len);
    } else {
        w->data = xrealloc(w->data, cap);
    }
    w->cap = cap;
}

char *jsonw_detach(struct jsonw *w)
{
    char *text;
    if (w->data == w->inline_data) {
        text = xmalloc(w->len + 1);
        memcpy(text, w->data, w->len);
    } else {
        reserve(w, 1);
        text = w->data;
    }
    text[w->len] = '\0';
    jsonw_init(w);
    return text;
}

void jsonw_raw(struct jsonw *w, const char *text, size_t len)
{
    reserve(w, len);
    memcpy(w->data + w->len, text, len);
    w->len += len;
}

void jsonw_text(struct jsonw *w, const char *text)
{
    jsonw_raw(w, text, strlen(text));
}

/* Length of the well-formed UTF-8 sequence at s (1 to 4 of the n bytes left), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t c;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, c = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, c = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, c = s[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3fu);
    }
    bool overlong = (len == 3 && c < 0x800) || (len == 4 && c < 0x10000);
    if (overlong || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return len;
}

void jsonw_string(struct jsonw *w, const char *utf8, size_t len)
{
    static const char HEX[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)utf8, *end = s + len;
    reserve(w, len + 2);
    w->data[w->len++] = '"';
    while (s < end) {
        /* Copy the run that needs no escaping in one go. */
        const unsigned char *run = s;
        while (s < end && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        jsonw_raw(w, (const char *)run, (size_t)(s - run));
        if (s == end)
            break;
        size_t n = utf8_sequence(s, (size_t)(end - s));
        if (n == 0) {
            jsonw_raw(w, "\\ufffd", 6);
            s++;
        } else if (n > 1) {
            jsonw_raw(w, (const char *)s, n);
            s += n;
        } else {
            char escaped[6] = {'\\', (char)*s, 0, 0, 0, 0};
            size_t escaped_len = 2;
            switch (*s) {
            case '\b':
                escaped[1] = 'b';
                break;
            case '\f':
                escaped[1] = 'f';
                break;
            case '\n':
                escaped[1] = 'n';
                break;
            case '\r':
                escaped[1] = 'r';
                break;
            case '\t':
                escaped[1] = 't';
                break;
            case '"':
            case '\\':
                break;
            default:
                memcpy(escaped + 1, "u00", 3);
                escaped[4] = HEX[*s >> 4];
                escaped[5] = HEX[*s & 15];
                escaped_len = 6;
            }
            jsonw_raw(w, escaped, escaped_len);
            s++;
        }
    }
    reserve(w, 1);
    w->data[w->len++] = '"';
}

void jsonw_int(struct jsonw *w, int64_t value)
{
    char digits[24];
    size_t n = sizeof digits;
    /* Through uint64_t so that INT64_MIN negates without overflow. */
    uint64_t v = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0)
        digits[--n] = '-';
    jsonw_raw(w, digits + n, sizeof digits - n);
}

void jsonw_bool(struct jsonw *w, bool value)
{
    if (value)
        jsonw_raw(w, "true", 4);
    else
        jsonw_raw(w, "false", 5);
}

void jsonw_cstring(struct jsonw *w, const char *utf8)
{
    jsonw_string(w, utf8, strlen(utf8));
}

void jsonw_next(struct jsonw *w)
{
    char last = w->len ? w->data[w->len - 1] : '{';
    if (last != '{' && last != '[')
        jsonw_raw(w, ",", 1);
}

void jsonw_key(struct jsonw *w, const char *key)
{
    jsonw_next(w);
    jsonw_cstring(w, key);
    jsonw_raw(w, ":", 1);
}

void jsonw_real(struct jsonw *w, double value, int precision)
{
    char text[40];
    int n = snprintf(text, sizeof text, "%.*g", precision, value);
    if (n < 0 || (size_t)n + 3 > sizeof text)
        return;
    size_t len = (size_t)n;
    if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL) {
        memcpy(text + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(text, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - text) + 1);
            len -= (size_t)(end - start);
        }
    }
    jsonw_raw(w, text, len);
}

/* An object's member, for writing members in key order. */
struct member {
    const char *key;
    size_t len;
    const json_t *value;
};

/* Bytewise, a key before the keys it is a prefix of: the order of JSON_SORT_KEYS. */
static int by_key(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    for (size_t i = 0; i < n; i++)
        if (x->key[i] != y->key[i])
            return (unsigned char)x->key[i] < (unsigned char)y->key[i] ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

static void write_value(struct jsonw *w, const json_t *value, bool sorted);

static void write_member(struct jsonw *w, bool first, const char *key, size_t len,
                         const json_t *value, bool sorted)
{
    if (!first)
        jsonw_raw(w, ",", 1);
    jsonw_string(w, key, len);
    jsonw_raw(w, ":", 1);
    write_value(w, value, sorted);
}

static void write_object(struct jsonw *w, const json_t *object, bool sorted)
{
    jsonw_raw(w, "{", 1);
    /* jansson's iterators take a non-const object; they do not change it. */
    json_t *o = (json_t *)object;
    size_t n = json_object_size(object);
    if (!sorted || n < 2) {
        bool first = true;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
            write_member(w, first, json_object_iter_key(it), json_object_iter_key_len(it),
                         json_object_iter_value(it), sorted);
            first = false;
        }
    } else {
        struct member few[16], *members = n <= 16 ? few : xmalloc(n * sizeof *members);
        size_t k = 0;
        for (void *it = json_object_iter(o); it && k < n; it = json_object_iter_next(o, it))
            members[k++] = (struct member){json_object_iter_key(it), json_object_iter_key_len(it),
                                           json_object_iter_value(it)};
        qsort(members, k, sizeof *members, by_key);
        for (size_t i = 0; i < k; i++)
            write_member(w, i == 0, members[i].key, members[i].len, members[i].value, sorted);
        if (members != few)
            free(members);
    }
    jsonw_raw(w, "}", 1);
}

static void write_value(struct jsonw *w, const json_t *value, bool sorted)
{
    if (value == NULL)
        return;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        write_object(w, value, sorted);
        break;
    case JSON_ARRAY:
        jsonw_raw(w, "[", 1);
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (i > 0)
                jsonw_raw(w, ",", 1);
            write_value(w, json_array_get(value, i), sorted);
        }
        jsonw_raw(w, "]", 1);
        break;
    case JSON_STRING:
        jsonw_string(w, json_string_value(value), json_string_length(value));
        break;
    case JSON_INTEGER:
        jsonw_int(w, (int64_t)json_integer_value(value));
        break;
    case JSON_REAL:
        jsonw_real(w, json_real_value(value), 17);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        jsonw_bool(w, json_is_true(value));
        break;
    case JSON_NULL:
        jsonw_raw(w, "null", 4);
        break;
    }
}

void jsonw_value(struct jsonw *w, const json_t *value)
{
    write_value(w, value, false);
}

void jsonw_value_sorted(struct jsonw *w, const json_t *value)
{
    write_value(w, value, true);
}

static char *dump(const json_t *value, bool sorted)
{
    struct jsonw w;
    jsonw_init(&w);
    write_value(&w, value, sorted);
    return jsonw_detach(&w);
}

char *jsonw_dump(const json_t *value)
{
    return dump(value, false);
}

char *jsonw_dump_sorted(const json_t *value)
{
    return dump(value, true);
}
