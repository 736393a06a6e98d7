/*
 * Fuzz target for one inbound event: bytes -> jsonr_parse -> event_parse with a fixed clock.
 * Checks the promises of a parsed event (type-specific required fields, order arithmetic in
 * range, voucher codes canonical), that its canonical text is jansson's compact text with sorted
 * keys (stored digests were taken over it), and that its digest ignores layout: the same object
 * written indented with its keys in another order must give the same digest. Every text the
 * order reader without a tree (event_parse_order_text) accepts, with or without an
 * Idempotency-Key header, must give the event the tree's reader gives for it.
 */
#include <string.h>

#include "core/event.h"
#include "core/event_fast.h"
#include "util/jsonread.h"
#include "util/timeutil.h"
#include "fuzz.h"

#define FUZZ_NOW 1772525520LL /* 2026-03-03T08:12:00Z */

static void check_event(const struct event *ev)
{
    FUZZ_ASSERT(event_type_name(ev->type) != NULL);
    FUZZ_ASSERT(ev->key[0] != '\0');
    FUZZ_ASSERT(strlen(ev->digest) == FID_DIGEST_HEX - 1);
    FUZZ_ASSERT(strspn(ev->digest, "0123456789abcdef") == FID_DIGEST_HEX - 1);
    if (ev->has_at)
        FUZZ_ASSERT(ev->at >= FID_TIME_MIN && ev->at <= FID_TIME_MAX);
    else
        FUZZ_ASSERT(ev->at == FUZZ_NOW);
    switch (ev->type) {
    case EVENT_ORDER: {
        FUZZ_ASSERT(ev->customer[0] && ev->order_id[0] && ev->n_lines >= 1);
        for (size_t i = 0; i < ev->n_lines; i++) {
            const struct order_line *l = &ev->lines[i];
            FUZZ_ASSERT(l->sku[0] != '\0' && l->quantity >= 1 && l->quantity <= EVENT_QTY_MAX);
            FUZZ_ASSERT(l->amount_minor == l->quantity * l->unit_price_minor);
        }
        int64_t gross = event_order_gross(ev), paid = event_order_paid(ev);
        FUZZ_ASSERT(gross >= 0 && gross <= EVENT_AMOUNT_MAX);
        FUZZ_ASSERT(paid >= 0 && ev->tax_minor <= paid);
        FUZZ_ASSERT(ev->channel == CHANNEL_STORE || ev->channel == CHANNEL_ONLINE);
        FUZZ_ASSERT(ev->currency[0] == '\0' || strlen(ev->currency) == 3);
        break;
    }
    case EVENT_REFUND:
        FUZZ_ASSERT(ev->order_id[0] != '\0');
        FUZZ_ASSERT((ev->n_lines > 0) != (ev->amount_minor > 0));
        break;
    case EVENT_ENROL: {
        FUZZ_ASSERT(ev->customer[0] != '\0');
        int y, m, d;
        FUZZ_ASSERT(ev->birthday[0] == '\0' ||
                    fid_date_parse(ev->birthday, &y, &m, &d, "/birthday", NULL) == FID_OK);
        FUZZ_ASSERT(ev->consents <= (CONSENT_EMAIL | CONSENT_SMS | CONSENT_PUSH));
        break;
    }
    case EVENT_VOUCHER_USE: {
        char again[FID_CODE_MAX];
        FUZZ_ASSERT(fid_code_normalise(ev->code, again) == 0 && strcmp(again, ev->code) == 0);
        break;
    }
    case EVENT_REDEEM:
        FUZZ_ASSERT(ev->customer[0] && ev->reward_id[0]);
        break;
    case EVENT_VIP_PAYMENT:
        FUZZ_ASSERT(ev->customer[0] && ev->plan_id[0] && ev->periods >= 1);
        break;
    case EVENT_VIP_REFUND:
        FUZZ_ASSERT(ev->customer[0] && ev->amount_minor >= 1);
        break;
    case EVENT_ADJUSTMENT:
        FUZZ_ASSERT(ev->customer[0] && ev->points != 0 && ev->reason[0] && ev->author[0]);
        FUZZ_ASSERT(ev->account != ADJUST_STAMPS || ev->card_id[0] != '\0');
        break;
    case EVENT_SURVEY_ANSWER:
        FUZZ_ASSERT(ev->customer[0] != '\0');
        FUZZ_ASSERT(ev->survey == SURVEY_NPS ? ev->score >= 0 && ev->score <= 10
                                             : ev->score >= 1 && ev->score <= 5);
        break;
    }
}

/* The same object re-serialised indented, keys in reverse insertion order, must parse to an
 * event with the same digest. */
static void check_layout_independent(const json_t *obj, const struct event *ev)
{
    json_t *reversed = json_object();
    const char **keys = calloc(json_object_size(obj) + 1, sizeof *keys);
    size_t n = 0;
    const char *key;
    json_t *value;
    FUZZ_ASSERT(reversed != NULL && keys != NULL);
    json_object_foreach((json_t *)obj, key, value) keys[n++] = key;
    while (n > 0) {
        n--;
        json_object_set(reversed, keys[n], json_object_get(obj, keys[n]));
    }
    char *text = json_dumps(reversed, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
    FUZZ_ASSERT(text != NULL);
    json_t *doc = NULL;
    struct event *again = NULL;
    FUZZ_ASSERT(jsonr_parse(text, strlen(text), &doc, NULL) == FID_OK);
    FUZZ_ASSERT(event_parse(doc, FUZZ_NOW, &again, NULL) == FID_OK);
    FUZZ_ASSERT(strcmp(again->digest, ev->digest) == 0 && again->type == ev->type);
    event_free(again);
    json_decref(doc);
    free(text);
    free(keys);
    json_decref(reversed);
}

static void assert_same_event(const struct event *a, const struct event *b)
{
    FUZZ_ASSERT(a->type == b->type && strcmp(a->key, b->key) == 0);
    FUZZ_ASSERT(strcmp(a->digest, b->digest) == 0 && strcmp(a->canonical, b->canonical) == 0);
    FUZZ_ASSERT(a->at == b->at && a->has_at == b->has_at);
    FUZZ_ASSERT(strcmp(a->customer, b->customer) == 0 && strcmp(a->order_id, b->order_id) == 0);
    FUZZ_ASSERT(a->channel == b->channel && strcmp(a->currency, b->currency) == 0);
    FUZZ_ASSERT(a->discount_minor == b->discount_minor && a->shipping_minor == b->shipping_minor);
    FUZZ_ASSERT(a->tax_minor == b->tax_minor && a->amount_minor == b->amount_minor);
    FUZZ_ASSERT(a->history == b->history && a->n_lines == b->n_lines);
    for (size_t i = 0; i < a->n_lines; i++) {
        const struct order_line *x = &a->lines[i], *y = &b->lines[i];
        FUZZ_ASSERT(strcmp(x->sku, y->sku) == 0 && strcmp(x->category, y->category) == 0);
        FUZZ_ASSERT(x->quantity == y->quantity && x->unit_price_minor == y->unit_price_minor);
        FUZZ_ASSERT(x->amount_minor == y->amount_minor);
    }
}

/* The reader without a tree, with header as the Idempotency-Key (NULL: none): what it accepts,
 * the tree's reader reads the same once the API joined the header to the object. */
static void check_order_text(const uint8_t *data, size_t size, const char *header)
{
    struct event *fast = event_parse_order_text((const char *)data, size, header, FUZZ_NOW);
    if (fast == NULL)
        return;
    json_t *doc = NULL;
    struct event *ev = NULL;
    FUZZ_ASSERT(jsonr_parse((const char *)data, size, &doc, NULL) == FID_OK);
    if (header && json_object_get(doc, "key") == NULL)
        json_object_set_new(doc, "key", json_string(header));
    FUZZ_ASSERT(event_parse(doc, FUZZ_NOW, &ev, NULL) == FID_OK);
    assert_same_event(fast, ev);
    event_free(ev);
    event_free(fast);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_order_text(data, size, NULL);
    check_order_text(data, size, "till-7/2026-03-03/0042");
    json_t *doc = NULL;
    struct event *ev = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    if (jsonr_parse((const char *)data, size, &doc, &err) != FID_OK)
        return 0;
    /* Non-objects too: event_parse must refuse them cleanly. */
    enum fid_status st = event_parse(doc, FUZZ_NOW, &ev, &err);
    if (st == FID_OK) {
        FUZZ_ASSERT(json_is_object(doc));
        /* Stored digests were taken over jansson's own text: the canonical form must not move. */
        char *jansson_text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        FUZZ_ASSERT(jansson_text != NULL && strcmp(jansson_text, ev->canonical) == 0);
        free(jansson_text);
        check_event(ev);
        check_layout_independent(doc, ev);
    } else {
        FUZZ_ASSERT(ev == NULL);
        FUZZ_ASSERT(err.status == st && err.message[0] != '\0');
    }
    event_free(ev);
    json_decref(doc);
    return 0;
}
