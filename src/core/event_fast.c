/*
 * The common order read straight from its text. Most events a till sends are orders written by
 * a program: printable ASCII strings without escapes, integers, no duplicate member. For those
 * this reader builds the event without a JSON tree (a tree costs an allocation per value to build
 * and a free per value to drop, a tenth of an order's CPU in the server). It accepts a subset of
 * what event_parse accepts and nothing else: anything unusual (an escape, a real number, an
 * unknown member, a value out of range, a malformed text) is left to event_parse, which then
 * gives the answer, error messages included. The fuzz target fuzz_event holds the two readers
 * to the same event, canonical text and digest for every text this one accepts.
 */
#include "core/event_fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/codes.h"
#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/money.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct cursor {
    const char *p, *end;
};

/* A string without escapes: its bytes lie between the quotes as they are. */
struct span {
    const char *text;
    size_t len;
};

static void skip_space(struct cursor *c)
{
    c->p = jsonr_skip_blanks(c->p, c->end);
}

static bool take(struct cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string of plain bytes (jsonr_plain_byte). */
static bool simple_string(struct cursor *c, struct span *out)
{
    if (!take(c, '"'))
        return false;
    const char *start = c->p;
    while (c->p < c->end && *c->p != '"') {
        if (!jsonr_plain_byte(*c->p))
            return false;
        c->p++;
    }
    if (c->p == c->end)
        return false;
    out->text = start;
    out->len = (size_t)(c->p - start);
    c->p++;
    return true;
}

/* An integer in [min, max] written as JSON writes it back: no leading zero, no "-0", at most 15
 * digits (every bound here is below 10^15), not followed by a fraction or an exponent. */
static bool integer(struct cursor *c, int64_t min, int64_t max, int64_t *out)
{
    skip_space(c);
    bool negative = c->p < c->end && *c->p == '-';
    if (negative)
        c->p++;
    const char *start = c->p;
    int64_t value = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 16)
        value = value * 10 + (*c->p++ - '0');
    size_t digits = (size_t)(c->p - start);
    if (digits == 0 || digits > 15 || (digits > 1 && *start == '0') || (negative && value == 0))
        return false;
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
        return false;
    *out = negative ? -value : value;
    return *out >= min && *out <= max;
}

static bool boolean(struct cursor *c, bool *out)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && strncmp(c->p, "true", 4) == 0) {
        c->p += 4;
        *out = true;
        return true;
    }
    if (left >= 5 && strncmp(c->p, "false", 5) == 0) {
        c->p += 5;
        *out = false;
        return true;
    }
    return false;
}

static bool equals(struct span s, const char *text)
{
    return s.len == strlen(text) && strncmp(s.text, text, s.len) == 0;
}

/* Copies a string of 1 (0 when !required) to size - 1 bytes. */
static bool copy_span(struct span s, bool required, char *out, size_t size)
{
    if (s.len >= size || (required && s.len == 0))
        return false;
    memcpy(out, s.text, s.len);
    out[s.len] = '\0';
    return true;
}

/* The members of an order and of its lines, in the byte order json_dumps sorts them in. */
enum order_member {
    M_AT,
    M_CHANNEL,
    M_CURRENCY,
    M_CUSTOMER,
    M_DISCOUNT,
    M_HISTORY,
    M_KEY,
    M_LINES,
    M_ORDER_ID,
    M_SHIPPING,
    M_TAX,
    M_TYPE,
    M_COUNT
};
static const char *const ORDER_MEMBERS[M_COUNT] = {
    "at",  "channel", "currency", "customer",       "discount_minor", "history",
    "key", "lines",   "order_id", "shipping_minor", "tax_minor",      "type"};

enum line_member { L_CATEGORY, L_QUANTITY, L_SKU, L_UNIT_PRICE, L_COUNT };
static const char *const LINE_MEMBERS[L_COUNT] = {"category", "quantity", "sku",
                                                  "unit_price_minor"};

static int member_index(struct span name, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (equals(name, names[i]))
            return i;
    return -1;
}

/* Reads one line object into line, checking what parse_lines checks. */
static bool read_line(struct cursor *c, struct order_line *line, bool *has_category, int64_t *gross)
{
    if (!take(c, '{'))
        return false;
    bool seen[L_COUNT] = {false};
    if (!take(c, '}')) {
        do {
            struct span name, text;
            if (!simple_string(c, &name) || !take(c, ':'))
                return false;
            int m = member_index(name, LINE_MEMBERS, L_COUNT);
            if (m < 0 || seen[m])
                return false;
            seen[m] = true;
            bool ok = false;
            switch (m) {
            case L_SKU:
                ok = simple_string(c, &text) && copy_span(text, true, line->sku, sizeof line->sku);
                break;
            case L_CATEGORY:
                *has_category = true;
                ok = simple_string(c, &text) &&
                     copy_span(text, false, line->category, sizeof line->category);
                break;
            case L_QUANTITY:
                ok = integer(c, 1, EVENT_QTY_MAX, &line->quantity);
                break;
            default:
                ok = integer(c, 0, EVENT_AMOUNT_MAX, &line->unit_price_minor);
                break;
            }
            if (!ok)
                return false;
        } while (take(c, ','));
        if (!take(c, '}'))
            return false;
    }
    if (!seen[L_SKU] || !seen[L_QUANTITY] || !seen[L_UNIT_PRICE])
        return false;
    return !__builtin_mul_overflow(line->quantity, line->unit_price_minor, &line->amount_minor) &&
           line->amount_minor <= EVENT_AMOUNT_MAX &&
           !__builtin_add_overflow(*gross, line->amount_minor, gross) && *gross <= EVENT_AMOUNT_MAX;
}

static bool read_lines(struct cursor *c, struct event *ev, bool *has_category)
{
    if (!take(c, '['))
        return false;
    size_t capacity = 4;
    ev->lines = xcalloc(capacity, sizeof *ev->lines);
    int64_t gross = 0;
    do {
        if (ev->n_lines == EVENT_LINES_MAX)
            return false;
        if (ev->n_lines == capacity) {
            xgrow((void **)&ev->lines, &capacity, ev->n_lines + 1, sizeof *ev->lines);
            memset(ev->lines + ev->n_lines, 0, (capacity - ev->n_lines) * sizeof *ev->lines);
        }
        if (!read_line(c, &ev->lines[ev->n_lines], &has_category[ev->n_lines], &gross))
            return false;
        ev->n_lines++;
    } while (take(c, ','));
    return take(c, ']');
}

/* Reads the value of member m of the order. */
static bool read_member(struct cursor *c, int m, struct event *ev, struct span *key,
                        struct span *at, bool *has_category)
{
    struct span text;
    switch (m) {
    case M_TYPE:
        return simple_string(c, &text) && equals(text, "order");
    case M_KEY:
        return simple_string(c, key) && key->len > 0 && key->len < EVENT_KEY_MAX;
    case M_AT:
        return simple_string(c, at) && at->len <= 40;
    case M_CUSTOMER: /* "." and "..": the tree's reader refuses them */
        return simple_string(c, &text) && !equals(text, ".") && !equals(text, "..") &&
               copy_span(text, true, ev->customer, sizeof ev->customer);
    case M_ORDER_ID:
        return simple_string(c, &text) && copy_span(text, true, ev->order_id, sizeof ev->order_id);
    case M_CHANNEL:
        if (!simple_string(c, &text))
            return false;
        ev->channel = equals(text, "online") ? CHANNEL_ONLINE : CHANNEL_STORE;
        return equals(text, "online") || equals(text, "store");
    case M_CURRENCY:
        return simple_string(c, &text) && copy_span(text, false, ev->currency, sizeof ev->currency);
    case M_LINES:
        return read_lines(c, ev, has_category);
    case M_DISCOUNT:
        return integer(c, 0, EVENT_AMOUNT_MAX, &ev->discount_minor);
    case M_SHIPPING:
        return integer(c, 0, EVENT_AMOUNT_MAX, &ev->shipping_minor);
    case M_TAX:
        return integer(c, 0, EVENT_AMOUNT_MAX, &ev->tax_minor);
    default:
        return boolean(c, &ev->history);
    }
}

static void put_member(struct jsonw *w, bool *first, const char *name)
{
    jsonw_text(w, *first ? "{\"" : ",\"");
    jsonw_text(w, name);
    jsonw_text(w, "\":");
    *first = false;
}

static void put_span(struct jsonw *w, struct span s)
{
    jsonw_text(w, "\"");
    jsonw_raw(w, s.text, s.len);
    jsonw_text(w, "\"");
}

static void put_text(struct jsonw *w, const char *text)
{
    put_span(w, (struct span){text, strlen(text)});
}

static void put_lines(struct jsonw *w, const struct event *ev, const bool *has_category)
{
    jsonw_text(w, "[");
    for (size_t i = 0; i < ev->n_lines; i++) {
        const struct order_line *line = &ev->lines[i];
        jsonw_text(w, i ? ",{" : "{");
        if (has_category[i]) {
            jsonw_text(w, "\"category\":");
            put_text(w, line->category);
            jsonw_text(w, ",");
        }
        jsonw_text(w, "\"quantity\":");
        jsonw_int(w, line->quantity);
        jsonw_text(w, ",\"sku\":");
        put_text(w, line->sku);
        jsonw_text(w, ",\"unit_price_minor\":");
        jsonw_int(w, line->unit_price_minor);
        jsonw_text(w, "}");
    }
    jsonw_text(w, "]");
}

/* The text json_dumps(JSON_COMPACT | JSON_SORT_KEYS) gives for the order's tree. */
static char *canonical(const struct event *ev, const bool *seen, struct span key, struct span at,
                       const bool *has_category)
{
    struct jsonw w;
    jsonw_init(&w);
    bool first = true;
    for (int m = 0; m < M_COUNT; m++) {
        if (!seen[m])
            continue;
        put_member(&w, &first, ORDER_MEMBERS[m]);
        switch (m) {
        case M_AT:
            put_span(&w, at);
            break;
        case M_CHANNEL:
            put_text(&w, channel_name(ev->channel));
            break;
        case M_CURRENCY:
            put_text(&w, ev->currency);
            break;
        case M_CUSTOMER:
            put_text(&w, ev->customer);
            break;
        case M_DISCOUNT:
            jsonw_int(&w, ev->discount_minor);
            break;
        case M_HISTORY:
            jsonw_text(&w, ev->history ? "true" : "false");
            break;
        case M_KEY:
            put_span(&w, key);
            break;
        case M_LINES:
            put_lines(&w, ev, has_category);
            break;
        case M_ORDER_ID:
            put_text(&w, ev->order_id);
            break;
        case M_SHIPPING:
            jsonw_int(&w, ev->shipping_minor);
            break;
        case M_TAX:
            jsonw_int(&w, ev->tax_minor);
            break;
        default:
            jsonw_text(&w, "\"order\"");
            break;
        }
    }
    jsonw_text(&w, "}");
    return jsonw_detach(&w);
}

/* What parse_order checks once the members are read. */
static bool order_checks(struct event *ev, const bool *seen, struct span at, int64_t now)
{
    if (!seen[M_TYPE] || !seen[M_KEY] || !seen[M_CUSTOMER] || !seen[M_ORDER_ID] || !seen[M_LINES])
        return false;
    int digits;
    struct fid_error err;
    if (ev->currency[0] && fid_currency_check(ev->currency, &digits, "/currency", &err) != FID_OK)
        return false;
    int64_t gross = event_order_gross(ev);
    if (ev->discount_minor > gross ||
        ev->tax_minor > gross - ev->discount_minor + ev->shipping_minor)
        return false;
    ev->at = now;
    if (seen[M_AT]) {
        char text[48];
        memcpy(text, at.text, at.len);
        text[at.len] = '\0';
        if (fid_time_parse(text, NULL, &ev->at, "/at", &err) != FID_OK || ev->at < FID_TIME_MIN ||
            ev->at > FID_TIME_MAX)
            return false;
        ev->has_at = true;
    }
    return true;
}

/* Reads the order object at the start of text[0..len) and sets *used to the bytes it took;
 * with whole, only blanks may follow it. */
static struct event *read_order(const char *text, size_t len, const char *key_header, int64_t now,
                                bool whole, size_t *used)
{
    struct cursor c = {text, text + len};
    struct event *ev = xcalloc(1, sizeof *ev);
    ev->type = EVENT_ORDER;
    bool seen[M_COUNT] = {false};
    bool has_category[EVENT_LINES_MAX] = {false}; /* a line's category is written back if given */
    struct span key = {NULL, 0}, at = {NULL, 0};
    if (!take(&c, '{') || take(&c, '}'))
        goto other;
    do {
        struct span name;
        if (!simple_string(&c, &name) || !take(&c, ':'))
            goto other;
        int m = member_index(name, ORDER_MEMBERS, M_COUNT);
        if (m < 0 || seen[m] || !read_member(&c, m, ev, &key, &at, has_category))
            goto other;
        seen[m] = true;
    } while (take(&c, ','));
    if (!take(&c, '}'))
        goto other;
    *used = (size_t)(c.p - text);
    skip_space(&c);
    if (whole && c.p != c.end)
        goto other;
    if (key_header) {
        struct span header = {key_header, strlen(key_header)};
        if (seen[M_KEY] ? !(header.len == key.len && strncmp(header.text, key.text, key.len) == 0)
                        : header.len == 0 || header.len >= EVENT_KEY_MAX)
            goto other;
        for (size_t i = 0; i < header.len; i++)
            if (!jsonr_plain_byte(header.text[i]))
                goto other;
        key = header;
        seen[M_KEY] = true;
    }
    if (!order_checks(ev, seen, at, now))
        goto other;
    memcpy(ev->key, key.text, key.len);
    ev->canonical = canonical(ev, seen, key, at, has_category);
    fid_digest_hex(ev->canonical, strlen(ev->canonical), ev->digest);
    return ev;
other:
    event_free(ev);
    return NULL;
}

struct event *event_parse_order_text(const char *text, size_t len, const char *key_header,
                                     int64_t now)
{
    size_t used = 0;
    return read_order(text, len, key_header, now, true, &used);
}

struct event *event_parse_order_prefix(const char *text, size_t len, int64_t now, size_t *used)
{
    return read_order(text, len, NULL, now, false, used);
}
