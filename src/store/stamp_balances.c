/*
 * Stamp balances read by hand in the form this module writes, and through jansson in any other
 * (escaped or non-ASCII keys, a key twice, values that are not two integers, blanks anywhere
 * JSON allows them are fine for both): jansson stays the reference for what the text means.
 */
#include "store/stamp_balances.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/xalloc.h"

void stamp_balances_clear(struct stamp_balances *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->items[i].card);
    free(b->items);
    *b = (struct stamp_balances){0};
}

static void append(struct stamp_balances *b, const char *card, size_t len, int64_t stamps,
                   int64_t completed)
{
    if (b->n == b->capacity) {
        b->capacity = b->capacity ? 2 * b->capacity : 4;
        b->items = xrealloc(b->items, b->capacity * sizeof *b->items);
    }
    char *copy = xmalloc(len + 1);
    memcpy(copy, card, len);
    copy[len] = '\0';
    b->items[b->n++] = (struct stamp_balance){copy, stamps, completed};
}

static int by_card(const void *x, const void *y)
{
    return strcmp(((const struct stamp_balance *)x)->card, ((const struct stamp_balance *)y)->card);
}

/* Sorts the cards; false when one appears twice. */
static bool sort_cards(struct stamp_balances *b)
{
    bool sorted = true;
    for (size_t i = 1; i < b->n && sorted; i++)
        sorted = strcmp(b->items[i - 1].card, b->items[i].card) < 0;
    if (!sorted)
        qsort(b->items, b->n, sizeof *b->items, by_card);
    for (size_t i = 1; i < b->n; i++)
        if (strcmp(b->items[i - 1].card, b->items[i].card) == 0)
            return false;
    return true;
}

/* An integer as JSON writes one (no leading zero, no fraction or exponent), at most 18 digits. */
static bool plain_int(const char **p, int64_t *out)
{
    const char *q = *p;
    bool negative = *q == '-';
    q += negative;
    if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9'))
        return false;
    int64_t value = 0;
    const char *first = q;
    for (; *q >= '0' && *q <= '9'; q++)
        value = q - first < 18 ? value * 10 + (*q - '0') : value;
    if (q - first > 18 || *q == '.' || *q == 'e' || *q == 'E')
        return false;
    *out = negative ? -value : value;
    *p = q;
    return true;
}

/* A key of plain bytes (jsonr_plain_byte); *start and *len name it. */
static bool plain_key(const char **p, const char **start, size_t *len)
{
    const char *q = *p;
    if (*q++ != '"')
        return false;
    *start = q;
    while (jsonr_plain_byte(*q))
        q++;
    if (*q != '"')
        return false;
    *len = (size_t)(q - *start);
    *p = q + 1;
    return true;
}

/* c after blanks, and the blanks after it; the text ends at end (its NUL). */
static bool expect(const char **p, const char *end, char c)
{
    *p = jsonr_skip_blanks(*p, end);
    if (*p == end || **p != c)
        return false;
    *p = jsonr_skip_blanks(*p + 1, end);
    return true;
}

/* {"card":[stamps,completed],...} and nothing else; false for anything the reader leaves to
 * jansson. */
static bool read_plain(const char *text, struct stamp_balances *out)
{
    const char *p = text, *end = text + strlen(text);
    if (!expect(&p, end, '{'))
        return false;
    if (*p != '}')
        for (;;) {
            const char *card;
            size_t len;
            int64_t stamps, completed;
            if (!plain_key(&p, &card, &len) || !expect(&p, end, ':') || !expect(&p, end, '[') ||
                !plain_int(&p, &stamps) || !expect(&p, end, ',') || !plain_int(&p, &completed) ||
                !expect(&p, end, ']'))
                return false;
            append(out, card, len, stamps, completed);
            if (*p == '}')
                break;
            if (!expect(&p, end, ','))
                return false;
        }
    return jsonr_skip_blanks(p + 1, end) == end && sort_cards(out);
}

static bool read_tree(const char *text, struct stamp_balances *out)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    bool object = json_is_object(root);
    const char *card;
    json_t *figures;
    if (object)
        json_object_foreach(root, card, figures)
        {
            append(out, card, strlen(card), json_integer_value(json_array_get(figures, 0)),
                   json_integer_value(json_array_get(figures, 1)));
        }
    json_decref(root);
    (void)sort_cards(out); /* an object's keys are unique */
    return object;
}

bool stamp_balances_read(const char *text, struct stamp_balances *out)
{
    stamp_balances_clear(out);
    if (text && read_plain(text, out))
        return true;
    stamp_balances_clear(out);
    return text && read_tree(text, out);
}

static size_t position(const struct stamp_balances *b, const char *card, bool *found)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->items[mid].card, card);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const struct stamp_balance *stamp_balances_find(const struct stamp_balances *b, const char *card)
{
    bool found;
    size_t i = position(b, card, &found);
    return found ? &b->items[i] : NULL;
}

void stamp_balances_set(struct stamp_balances *b, const char *card, int64_t stamps,
                        int64_t completed)
{
    bool found;
    size_t i = position(b, card, &found);
    if (!found) {
        append(b, card, strlen(card), 0, 0);
        struct stamp_balance added = b->items[b->n - 1];
        memmove(&b->items[i + 1], &b->items[i], (b->n - 1 - i) * sizeof *b->items);
        b->items[i] = added;
    }
    b->items[i].stamps = stamps;
    b->items[i].completed = completed;
}

char *stamp_balances_text(const struct stamp_balances *b)
{
    struct jsonw w;
    jsonw_init(&w);
    jsonw_raw(&w, "{", 1);
    for (size_t i = 0; i < b->n; i++) {
        if (i > 0)
            jsonw_raw(&w, ",", 1);
        jsonw_cstring(&w, b->items[i].card);
        jsonw_raw(&w, ":[", 2);
        jsonw_int(&w, b->items[i].stamps);
        jsonw_raw(&w, ",", 1);
        jsonw_int(&w, b->items[i].completed);
        jsonw_raw(&w, "]", 1);
    }
    jsonw_raw(&w, "}", 1);
    return jsonw_detach(&w);
}
