/* A JSON text's shape and values (util/json_shape.h). */
#include "util/json_shape.h"

#include <string.h>

static bool is_mark(unsigned char c)
{
    return c >= 0x1c && c <= 0x1f;
}

static bool is_number_byte(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* The end of the string whose opening quote is at i: the index of its closing quote, or len. */
static size_t string_end(const char *text, size_t len, size_t i)
{
    for (i++; i < len; i++)
        if (text[i] == '\\')
            i++;
        else if (text[i] == '"')
            return i;
    return len;
}

static size_t skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    return i;
}

static bool is_kept(const char *const *kept, const char *name, size_t name_len)
{
    for (; kept && *kept; kept++)
        if (strlen(*kept) == name_len && strncmp(*kept, name, name_len) == 0)
            return true;
    return false;
}

bool json_shape_split(const char *text, size_t len, const char *const *kept, struct jsonw *shape,
                      struct jsonw *values)
{
    const char *name = NULL; /* the member name the next value belongs to, after its colon */
    size_t name_len = 0;
    size_t run = 0; /* the start of the bytes the shape takes as they are, not yet appended */
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (is_mark((unsigned char)c))
            return false;
        if (c == '"') {
            size_t end = string_end(text, len, i);
            if (end == len)
                return false;
            for (size_t k = i + 1; k < end; k++)
                if (is_mark((unsigned char)text[k]))
                    return false;
            size_t after = skip_space(text, len, end + 1);
            bool member_name = after < len && text[after] == ':';
            if (!member_name && !(name && is_kept(kept, name, name_len))) {
                jsonw_raw(shape, text + run, i - run);
                jsonw_raw(shape, &(char){JSON_SHAPE_STRING}, 1);
                jsonw_raw(values, text + i + 1, end - i - 1);
                jsonw_raw(values, &(char){JSON_SHAPE_END}, 1);
                run = end + 1;
            }
            name = member_name ? text + i + 1 : NULL;
            name_len = member_name ? end - i - 1 : 0;
            i = end + 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t end = i + 1;
            while (end < len && is_number_byte(text[end]))
                end++;
            jsonw_raw(shape, text + run, i - run);
            jsonw_raw(shape, &(char){JSON_SHAPE_NUMBER}, 1);
            jsonw_raw(values, text + i, end - i);
            jsonw_raw(values, &(char){JSON_SHAPE_END}, 1);
            run = end;
            name = NULL;
            i = end;
        } else {
            if (c != ':' && c != ' ' && c != '\t' && c != '\n' && c != '\r')
                name = NULL;
            i++;
        }
    }
    jsonw_raw(shape, text + run, len - run);
    return true;
}

bool json_shape_join(const char *shape, size_t shape_len, const char *values, size_t values_len,
                     struct jsonw *out)
{
    size_t v = 0;
    for (size_t i = 0; i < shape_len;) {
        size_t run = i;
        while (run < shape_len && shape[run] != JSON_SHAPE_STRING &&
               shape[run] != JSON_SHAPE_NUMBER)
            run++;
        jsonw_raw(out, shape + i, run - i);
        if (run == shape_len)
            break;
        const char *end = memchr(values + v, JSON_SHAPE_END, values_len - v);
        if (end == NULL)
            return false;
        size_t n = (size_t)(end - (values + v));
        bool string = shape[run] == JSON_SHAPE_STRING;
        if (string)
            jsonw_raw(out, "\"", 1);
        jsonw_raw(out, values + v, n);
        if (string)
            jsonw_raw(out, "\"", 1);
        v += n + 1;
        i = run + 1;
    }
    return v == values_len;
}
