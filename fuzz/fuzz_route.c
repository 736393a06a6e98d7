/*
 * Fuzz target for the router's path matcher: the bytes are a request path (up to the first NUL,
 * as the server hands it over), matched against every template of the route table and against
 * templates at the capture limit. For each match: the captures are as many as the template's
 * "{", each non-empty, shorter than HTTP_PARAM_MAX and with nothing written past its NUL (no
 * decoded NUL inside), no row past them is written, and a template without captures matches
 * only its own text. Re-encoding the captures into the
 * template gives a path that matches again with the same captures, and the very input when it
 * was already in that form. Two templates of the table match the same path only when they have
 * the same shape, or when the first in table order has a literal segment where the other has a
 * capture ("/v1/events/batch" before "/v1/events/{key}"): the router takes the first template that
 * matches with the request's method, so a capture placed first would leave the literal unreachable.
 */
#include <stdbool.h>
#include <string.h>

#include "http/route_match.h"
#include "fuzz.h"
#include "route_templates.h"

/* Templates at the capture limit: three captures match, four never do (route_match.h). */
#define MOST_CAPTURES     "/{a}/{b}/{c}"
#define TOO_MANY_CAPTURES "/{a}/{b}/{c}/{d}"

/* Room for a template plus every capture written as %XX. */
#define REBUILT_MAX (64 + HTTP_PARAMS_MAX * 3 * HTTP_PARAM_MAX)

typedef char route_params[HTTP_PARAMS_MAX][HTTP_PARAM_MAX];

static size_t captures_in(const char *template)
{
    size_t n = 0;
    for (const char *t = template; *t; t++)
        n += *t == '{';
    return n;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Whether text is what the rebuilding below writes for it: unreserved characters and '/'. */
static bool is_plain(const char *text)
{
    for (const char *c = text; *c; c++)
        if (*c != '/' && !is_unreserved((unsigned char)*c))
            return false;
    return true;
}

static void put(char *out, size_t *len, char c)
{
    FUZZ_ASSERT(*len + 1 < REBUILT_MAX);
    out[(*len)++] = c;
    out[*len] = '\0';
}

/* The template with each "{name}" replaced by its capture, percent-encoded where not unreserved
 * (so '/' and '%' are always escaped). */
static void rebuild(const char *template, route_params params, char out[REBUILT_MAX])
{
    static const char HEX[] = "0123456789ABCDEF";
    size_t len = 0, k = 0;
    out[0] = '\0';
    for (const char *t = template; *t; t++) {
        if (*t != '{') {
            put(out, &len, *t);
            continue;
        }
        for (const char *c = params[k]; *c; c++) {
            unsigned char byte = (unsigned char)*c;
            if (is_unreserved(byte)) {
                put(out, &len, *c);
            } else {
                put(out, &len, '%');
                put(out, &len, HEX[byte >> 4]);
                put(out, &len, HEX[byte & 15]);
            }
        }
        k++;
        t = strchr(t, '}');
    }
}

/* Rows start all zero bytes: a match writes k non-empty captures in rows 0..k-1, each shorter
 * than its row and with nothing written after its NUL (so no decoded NUL hides in it), and leaves
 * the other rows alone. */
static bool holds_captures(route_params params, size_t k)
{
    for (size_t i = 0; i < HTTP_PARAMS_MAX; i++) {
        const char *end = memchr(params[i], '\0', HTTP_PARAM_MAX);
        if (end == NULL || (i < k) != (end > params[i]))
            return false;
        for (const char *c = end; c < params[i] + HTTP_PARAM_MAX; c++)
            if (*c != '\0')
                return false;
    }
    return true;
}

/* Matches path against template; on a match checks the captures and their round trip. */
static bool check_match(const char *template, const char *path)
{
    route_params params;
    memset(params, 0, sizeof params);
    if (!route_match(template, path, params))
        return false;
    size_t k = captures_in(template);
    FUZZ_ASSERT(k <= HTTP_PARAMS_MAX - 1);
    FUZZ_ASSERT(holds_captures(params, k));
    FUZZ_ASSERT(k > 0 || strcmp(template, path) == 0);

    static char rebuilt[REBUILT_MAX];
    rebuild(template, params, rebuilt);
    route_params again;
    memset(again, 0, sizeof again);
    FUZZ_ASSERT(route_match(template, rebuilt, again));
    FUZZ_ASSERT(holds_captures(again, k));
    for (size_t i = 0; i < k; i++)
        FUZZ_ASSERT(strcmp(again[i], params[i]) == 0);
    FUZZ_ASSERT(!is_plain(path) || strcmp(rebuilt, path) == 0);
    return true;
}

/* Whether a, before b in the table, has the same shape (capture names left out: "/v1/keys/{id}"
 * is "/v1/keys/{}") or a literal where b has a capture at their first difference: the router
 * then still reaches a's paths and b's others. */
static bool literal_first(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a == '{' && *b == '{') {
            a = strchr(a, '}');
            b = strchr(b, '}');
        } else if (*a != *b) {
            return *a != '{' && *b == '{';
        }
        a++;
        b++;
    }
    return *a == *b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = malloc(size + 1);
    FUZZ_ASSERT(path != NULL);
    if (size > 0)
        memcpy(path, data, size);
    path[size] = '\0'; /* an embedded NUL ends the path, as it would in the server */

    const char *matched = NULL;
    for (size_t i = 0; i < N_ROUTE_TEMPLATES; i++) {
        if (!check_match(ROUTE_TEMPLATES[i], path))
            continue;
        FUZZ_ASSERT(matched == NULL || literal_first(matched, ROUTE_TEMPLATES[i]));
        matched = ROUTE_TEMPLATES[i];
    }
    check_match(MOST_CAPTURES, path);
    FUZZ_ASSERT(!check_match(TOO_MANY_CAPTURES, path));
    free(path);
    return 0;
}
