/*
 * Event parsing. The digest is computed over the object serialised with sorted keys and without
 * whitespace, so the same event written with another layout is still a replay, not a conflict.
 */
#include "core/event.h"

#include <stdio.h>
#include <string.h>

#include "util/phone.h"
#include "util/text.h"
#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/money.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const TYPE_NAMES[] = {
    "enrol",       "order",      "refund",        "redeem",     "voucher_use",
    "vip_payment", "adjustment", "survey_answer", "vip_refund", NULL};
static const char *const CHANNELS[] = {"store", "online", NULL};
static const char *const ACCOUNTS[] = {"points", "cashback", "stamps", NULL};

const char *event_type_name(enum event_type type)
{
    return TYPE_NAMES[type];
}

void event_free(struct event *event)
{
    if (event == NULL)
        return;
    free(event->lines);
    free(event->canonical);
    free(event);
}

struct event *event_copy(const struct event *event)
{
    struct event *copy = xmalloc(sizeof *copy);
    *copy = *event;
    copy->lines = xcalloc(event->n_lines ? event->n_lines : 1, sizeof *copy->lines);
    for (size_t i = 0; i < event->n_lines; i++)
        copy->lines[i] = event->lines[i];
    copy->canonical = event->canonical ? xstrdup(event->canonical) : NULL;
    return copy;
}

int64_t event_order_gross(const struct event *order)
{
    int64_t gross = 0;
    for (size_t i = 0; i < order->n_lines; i++)
        gross += order->lines[i].amount_minor; /* bounded at parse time */
    return gross;
}

int64_t event_order_paid(const struct event *order)
{
    return event_order_gross(order) - order->discount_minor + order->shipping_minor +
           (order->tax_on_top ? order->tax_minor : 0);
}

/* A text at at + "/" + key: no control characters (ids, names, reasons, SKUs and categories are
 * printed one a line and in columns). */
static enum fid_status copy_text(const json_t *obj, const char *at, const char *key, bool required,
                                 char *out, size_t size, struct fid_error *err)
{
    const char *s = NULL;
    FID_CHECK(jsonr_string(obj, at, key, required, size - 1, "", &s, err));
    int control = fid_text_control(s);
    if (control >= 0) {
        char where[JSONR_PATH_MAX];
        snprintf(where, sizeof where, "%s/%s", at, key);
        return fid_fail(err, FID_ERR_INPUT, where, "control character U+%04X in the text", control);
    }
    snprintf(out, size, "%s", s);
    return FID_OK;
}

static enum fid_status copy_string(const json_t *obj, const char *key, bool required, char *out,
                                   size_t size, struct fid_error *err)
{
    FID_CHECK(copy_text(obj, "", key, required, out, size, err));
    /* a customer's id is a segment of the API's paths (/v1/members/{id}), which URL readers
     * take "." and ".." in as steps, whatever their escapes: no client could name such one */
    if (strcmp(key, "customer") == 0 && (strcmp(out, ".") == 0 || strcmp(out, "..") == 0))
        return fid_fail(err, FID_ERR_INPUT, "/customer",
                        "\"%s\" cannot be an id: a URL path reads it as a step", out);
    return FID_OK;
}

static enum fid_status parse_lines(const json_t *obj, struct event *ev, bool refund,
                                   struct fid_error *err)
{
    json_t *arr = NULL;
    FID_CHECK(jsonr_array(obj, "", "lines", !refund, EVENT_LINES_MAX, &arr, err));
    if (arr == NULL)
        return FID_OK;
    if (!refund && json_array_size(arr) == 0)
        return fid_fail(err, FID_ERR_INPUT, "/lines", "an order needs at least one line");
    ev->lines = xcalloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof *ev->lines);
    int64_t gross = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *item = json_array_get(arr, i);
        char at[JSONR_PATH_MAX];
        jsonr_path_index(at, "/lines", i);
        FID_CHECK(jsonr_expect_object(item, at, err));
        static const char *const order_keys[] = {"sku", "category", "quantity", "unit_price_minor",
                                                 NULL};
        static const char *const refund_keys[] = {"sku", "quantity", "unit_price_minor", NULL};
        FID_CHECK(jsonr_check_keys(item, at, refund ? refund_keys : order_keys, err));
        struct order_line *line = &ev->lines[i];
        FID_CHECK(copy_text(item, at, "sku", true, line->sku, sizeof line->sku, err));
        FID_CHECK(jsonr_int(item, at, "quantity", true, 1, EVENT_QTY_MAX, 0, &line->quantity, err));
        /* a refund's line may name its price, to tell apart lines of one SKU sold at two */
        if (refund)
            FID_CHECK(jsonr_int(item, at, "unit_price_minor", false, 0, EVENT_AMOUNT_MAX,
                                REFUND_ANY_PRICE, &line->unit_price_minor, err));
        if (!refund) {
            FID_CHECK(
                copy_text(item, at, "category", false, line->category, sizeof line->category, err));
            FID_CHECK(jsonr_int(item, at, "unit_price_minor", true, 0, EVENT_AMOUNT_MAX, 0,
                                &line->unit_price_minor, err));
            if (__builtin_mul_overflow(line->quantity, line->unit_price_minor,
                                       &line->amount_minor) ||
                line->amount_minor > EVENT_AMOUNT_MAX ||
                __builtin_add_overflow(gross, line->amount_minor, &gross) ||
                gross > EVENT_AMOUNT_MAX)
                return fid_fail(err, FID_ERR_INPUT, at,
                                "quantity x unit_price_minor exceeds the largest order amount");
        }
        ev->n_lines = i + 1;
    }
    return FID_OK;
}

static enum fid_status parse_order(const json_t *obj, struct event *ev, struct fid_error *err)
{
    static const char *const keys[] = {"type",           "key",       "at",
                                       "customer",       "order_id",  "channel",
                                       "currency",       "lines",     "discount_minor",
                                       "shipping_minor", "tax_minor", "history",
                                       "tax_included",   NULL};
    FID_CHECK(jsonr_check_keys(obj, "", keys, err));
    FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
    FID_CHECK(copy_string(obj, "order_id", true, ev->order_id, sizeof ev->order_id, err));
    FID_CHECK(jsonr_bool(obj, "", "history", false, &ev->history, err));
    int channel = 0;
    FID_CHECK(jsonr_enum(obj, "", "channel", false, CHANNELS, CHANNEL_STORE, &channel, err));
    ev->channel = (enum channel)channel;
    FID_CHECK(copy_string(obj, "currency", false, ev->currency, sizeof ev->currency, err));
    if (ev->currency[0]) {
        int digits;
        FID_CHECK(fid_currency_check(ev->currency, &digits, "/currency", err));
    }
    FID_CHECK(parse_lines(obj, ev, false, err));
    FID_CHECK(jsonr_int(obj, "", "discount_minor", false, 0, EVENT_AMOUNT_MAX, 0,
                        &ev->discount_minor, err));
    FID_CHECK(jsonr_int(obj, "", "shipping_minor", false, 0, EVENT_AMOUNT_MAX, 0,
                        &ev->shipping_minor, err));
    FID_CHECK(jsonr_int(obj, "", "tax_minor", false, 0, EVENT_AMOUNT_MAX, 0, &ev->tax_minor, err));
    bool tax_included = true;
    FID_CHECK(jsonr_bool(obj, "", "tax_included", true, &tax_included, err));
    ev->tax_on_top = !tax_included;
    int64_t gross = event_order_gross(ev);
    if (ev->discount_minor > gross)
        return fid_fail(err, FID_ERR_INPUT, "/discount_minor",
                        "discount %lld is larger than the lines' total %lld",
                        (long long)ev->discount_minor, (long long)gross);
    if (tax_included && ev->tax_minor > gross - ev->discount_minor + ev->shipping_minor)
        return fid_fail(err, FID_ERR_INPUT, "/tax_minor", "tax is larger than the amount paid");
    return FID_OK;
}

static enum fid_status parse_refund(const json_t *obj, struct event *ev, struct fid_error *err)
{
    static const char *const keys[] = {"type",  "key",          "at", "order_id",
                                       "lines", "amount_minor", NULL};
    FID_CHECK(jsonr_check_keys(obj, "", keys, err));
    FID_CHECK(copy_string(obj, "order_id", true, ev->order_id, sizeof ev->order_id, err));
    FID_CHECK(parse_lines(obj, ev, true, err));
    FID_CHECK(
        jsonr_int(obj, "", "amount_minor", false, 1, EVENT_AMOUNT_MAX, 0, &ev->amount_minor, err));
    if ((ev->n_lines > 0) == (ev->amount_minor > 0))
        return fid_fail(err, FID_ERR_INPUT, "/lines",
                        "a refund names either \"lines\" or \"amount_minor\", exactly one");
    return FID_OK;
}

/* E-mail addresses are kept folded to lower case (fid_email_fold): look-ups fold what they are
 * given the same way, and an enrolment and a profile change, both read here, store the same
 * text. */
static void email_lower(char *email)
{
    char folded[EVENT_TEXT_MAX];
    fid_email_fold(email, folded, sizeof folded);
    snprintf(email, EVENT_TEXT_MAX, "%s", folded);
}

static enum fid_status parse_enrol(const json_t *obj, struct event *ev, struct fid_error *err)
{
    static const char *const keys[] = {"type", "key",      "at",     "customer", "email", "phone",
                                       "name", "birthday", "locale", "consents", NULL};
    FID_CHECK(jsonr_check_keys(obj, "", keys, err));
    FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
    FID_CHECK(copy_string(obj, "email", false, ev->email, sizeof ev->email, err));
    if (ev->email[0] && !fid_email_plausible(ev->email))
        return fid_fail(err, FID_ERR_INPUT, "/email", "\"%.60s\" is not an e-mail address",
                        ev->email);
    email_lower(ev->email);
    FID_CHECK(copy_string(obj, "phone", false, ev->phone, sizeof ev->phone, err));
    /* A national number is kept as typed: the engine reads it in the merchant's country. */
    char phone[FID_PHONE_MAX];
    if (ev->phone[0] && !fid_phone_national(ev->phone)) {
        if (fid_phone_normalise(ev->phone, "", phone) != 0)
            return fid_fail(err, FID_ERR_INPUT, "/phone",
                            "\"%.40s\" is not a phone number: expected digits with spaces, dots "
                            "or dashes, in national form or international such as +33612345678",
                            ev->phone);
        snprintf(ev->phone, sizeof ev->phone, "%s", phone);
    }
    FID_CHECK(copy_string(obj, "name", false, ev->name, sizeof ev->name, err));
    FID_CHECK(copy_string(obj, "birthday", false, ev->birthday, sizeof ev->birthday, err));
    if (ev->birthday[0]) {
        int y, m, d;
        FID_CHECK(fid_date_parse(ev->birthday, &y, &m, &d, "/birthday", err));
        /* born after the event: a typo (a day of slack for the time zones) */
        if (fid_days_from_civil(y, m, d) > ev->at / 86400 + 1)
            return fid_fail(err, FID_ERR_INPUT, "/birthday", "%s is after the event's date",
                            ev->birthday);
    }
    static const char *const locales[] = {"fr", "en", NULL};
    int locale = -1;
    FID_CHECK(jsonr_enum(obj, "", "locale", false, locales, -1, &locale, err));
    snprintf(ev->locale, sizeof ev->locale, "%s", locale < 0 ? "" : locales[locale]);
    json_t *consents = NULL;
    FID_CHECK(jsonr_array(obj, "", "consents", false, 3, &consents, err));
    for (size_t i = 0; consents && i < json_array_size(consents); i++) {
        static const char *const names[] = {"email", "sms", "push"};
        const char *c = json_string_value(json_array_get(consents, i));
        unsigned bit = 0;
        for (int k = 0; c && k < 3; k++)
            if (strcmp(names[k], c) == 0)
                bit = 1u << k;
        if (bit == 0) {
            char at[JSONR_PATH_MAX];
            jsonr_path_index(at, "/consents", i);
            return fid_fail(err, FID_ERR_INPUT, at, "expected \"email\", \"sms\" or \"push\"");
        }
        ev->consents |= bit;
    }
    return FID_OK;
}

static enum fid_status parse_other(const json_t *obj, struct event *ev, struct fid_error *err)
{
    switch (ev->type) {
    case EVENT_REDEEM: {
        static const char *const keys[] = {"type", "key", "at", "customer", "reward", NULL};
        FID_CHECK(jsonr_check_keys(obj, "", keys, err));
        FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
        return copy_string(obj, "reward", true, ev->reward_id, sizeof ev->reward_id, err);
    }
    case EVENT_VOUCHER_USE: {
        static const char *const keys[] = {"type", "key", "at", "code", "order_id", NULL};
        FID_CHECK(jsonr_check_keys(obj, "", keys, err));
        const char *code = NULL;
        FID_CHECK(jsonr_string(obj, "", "code", true, 40, NULL, &code, err));
        if (fid_code_normalise(code, ev->code) != 0)
            return fid_fail(err, FID_ERR_INPUT, "/code", "\"%.40s\" is not a voucher code", code);
        return copy_string(obj, "order_id", false, ev->order_id, sizeof ev->order_id, err);
    }
    case EVENT_VIP_PAYMENT: {
        static const char *const keys[] = {"type", "key",          "at",      "customer",
                                           "plan", "amount_minor", "periods", NULL};
        FID_CHECK(jsonr_check_keys(obj, "", keys, err));
        FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
        FID_CHECK(copy_string(obj, "plan", true, ev->plan_id, sizeof ev->plan_id, err));
        FID_CHECK(jsonr_int(obj, "", "amount_minor", true, 0, EVENT_AMOUNT_MAX, 0,
                            &ev->amount_minor, err));
        return jsonr_int(obj, "", "periods", false, 1, 120, 1, &ev->periods, err);
    }
    case EVENT_VIP_REFUND: {
        static const char *const keys[] = {"type",    "key",          "at",       "customer",
                                           "payment", "amount_minor", "currency", NULL};
        FID_CHECK(jsonr_check_keys(obj, "", keys, err));
        FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
        FID_CHECK(copy_string(obj, "payment", true, ev->payment_key, sizeof ev->payment_key, err));
        FID_CHECK(jsonr_int(obj, "", "amount_minor", true, 1, EVENT_AMOUNT_MAX, 0,
                            &ev->amount_minor, err));
        FID_CHECK(copy_string(obj, "currency", false, ev->currency, sizeof ev->currency, err));
        int digits;
        return ev->currency[0] ? fid_currency_check(ev->currency, &digits, "/currency", err)
                               : FID_OK;
    }
    case EVENT_ADJUSTMENT: {
        static const char *const keys[] = {"type",   "key",    "at",      "customer", "points",
                                           "reason", "author", "account", "card",     NULL};
        FID_CHECK(jsonr_check_keys(obj, "", keys, err));
        FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
        FID_CHECK(jsonr_int(obj, "", "points", true, -EVENT_POINTS_MAX, EVENT_POINTS_MAX, 0,
                            &ev->points, err));
        if (ev->points == 0)
            return fid_fail(err, FID_ERR_INPUT, "/points", "an adjustment must not be zero");
        FID_CHECK(copy_string(obj, "reason", true, ev->reason, sizeof ev->reason, err));
        FID_CHECK(copy_string(obj, "author", true, ev->author, sizeof ev->author, err));
        int account = 0;
        FID_CHECK(jsonr_enum(obj, "", "account", false, ACCOUNTS, ADJUST_POINTS, &account, err));
        ev->account = (enum adjust_account)account;
        return copy_string(obj, "card", ev->account == ADJUST_STAMPS, ev->card_id,
                           sizeof ev->card_id, err);
    }
    case EVENT_SURVEY_ANSWER: {
        static const char *const keys[] = {"type",   "key",   "at",      "customer",
                                           "survey", "score", "comment", NULL};
        static const char *const surveys[] = {"nps", "csat", NULL};
        FID_CHECK(jsonr_check_keys(obj, "", keys, err));
        FID_CHECK(copy_string(obj, "customer", true, ev->customer, sizeof ev->customer, err));
        int survey = 0;
        FID_CHECK(jsonr_enum(obj, "", "survey", true, surveys, 0, &survey, err));
        ev->survey = (enum survey_kind)survey;
        FID_CHECK(jsonr_int(obj, "", "score", true, ev->survey == SURVEY_NPS ? 0 : 1,
                            ev->survey == SURVEY_NPS ? 10 : 5, 0, &ev->score, err));
        return copy_string(obj, "comment", false, ev->reason, sizeof ev->reason, err);
    }
    default:
        return FID_ERR_INTERNAL;
    }
}

enum fid_status event_parse(const json_t *obj, int64_t now, struct event **out,
                            struct fid_error *err)
{
    *out = NULL;
    FID_CHECK(jsonr_expect_object(obj, "", err));
    struct event *ev = xcalloc(1, sizeof *ev);
    enum fid_status st;
    int type = 0;
    const char *at = NULL;
    if ((st = jsonr_enum(obj, "", "type", true, TYPE_NAMES, 0, &type, err)) != FID_OK ||
        (st = copy_string(obj, "key", true, ev->key, sizeof ev->key, err)) != FID_OK ||
        (st = jsonr_string(obj, "", "at", false, 40, NULL, &at, err)) != FID_OK)
        goto fail;
    ev->type = (enum event_type)type;
    ev->at = now;
    if (at) {
        if ((st = fid_time_parse(at, NULL, &ev->at, "/at", err)) != FID_OK)
            goto fail;
        if (ev->at < FID_TIME_MIN || ev->at > FID_TIME_MAX) {
            st = fid_fail(err, FID_ERR_INPUT, "/at", "time out of the supported range");
            goto fail;
        }
        ev->has_at = true;
    }
    switch (ev->type) {
    case EVENT_ORDER:
        st = parse_order(obj, ev, err);
        break;
    case EVENT_REFUND:
        st = parse_refund(obj, ev, err);
        break;
    case EVENT_ENROL:
        st = parse_enrol(obj, ev, err);
        break;
    default:
        st = parse_other(obj, ev, err);
        break;
    }
    if (st != FID_OK)
        goto fail;
    /* The digest ignores "at" only when it was filled from the clock: a retry without "at"
     * later must still be a replay. */
    ev->canonical = jsonw_dump_sorted(obj); /* json_dumps(JSON_COMPACT | JSON_SORT_KEYS) */
    fid_digest_hex(ev->canonical, strlen(ev->canonical), ev->digest);
    *out = ev;
    return FID_OK;
fail:
    event_free(ev);
    return st;
}

json_t *event_history_order(const char *key, const char *customer, const char *order_id, int64_t at,
                            int64_t paid_minor)
{
    char at_text[FID_TIME_ISO_MAX];
    fid_time_format(at, at_text);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, s:I}], s:b}", "type", "order", "key",
                     key, "customer", customer, "order_id", order_id, "at", at_text, "lines", "sku",
                     "IMPORT", "quantity", 1, "unit_price_minor", (json_int_t)paid_minor, "history",
                     true);
}
