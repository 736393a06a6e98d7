/*
 * Inbound facts. An event is parsed from one JSON object, validated completely (every error names
 * its JSON pointer), and carries its idempotency key and the digest of its canonical body so that
 * a replay can be told from a conflict. Events are plain values: core and engine read them only.
 */
#ifndef FIDELE_CORE_EVENT_H
#define FIDELE_CORE_EVENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/program.h"
#include "util/codes.h"
#include "util/error.h"
#include "util/phone.h"

#define EVENT_KEY_MAX    129 /* idempotency key, bytes incl. NUL */
#define EVENT_REF_MAX    129 /* customer and order references */
#define EVENT_SKU_MAX    65
#define EVENT_TEXT_MAX   257 /* reasons, names, e-mail addresses */
#define EVENT_LINES_MAX  500
#define EVENT_QTY_MAX    1000000LL
#define EVENT_AMOUNT_MAX 100000000000000LL /* 10^14 minor units per amount */
#define EVENT_POINTS_MAX 1000000000LL

enum event_type {
    EVENT_ENROL,
    EVENT_ORDER,
    EVENT_REFUND,
    EVENT_REDEEM,
    EVENT_VOUCHER_USE,
    EVENT_VIP_PAYMENT,
    EVENT_ADJUSTMENT,
    EVENT_SURVEY_ANSWER,
    EVENT_VIP_REFUND,
};

enum survey_kind { SURVEY_NPS, SURVEY_CSAT };

enum consent_channel { CONSENT_EMAIL = 1, CONSENT_SMS = 2, CONSENT_PUSH = 4 };

/* A refund's line that does not name its price (unit_price_minor). */
#define REFUND_ANY_PRICE (-1)

struct order_line {
    char sku[EVENT_SKU_MAX];
    char category[EVENT_SKU_MAX];
    int64_t quantity;
    int64_t unit_price_minor; /* a refund's: REFUND_ANY_PRICE when not named */
    int64_t amount_minor;     /* quantity x unit price, checked for overflow */
};

/* Adjustments move one account: points, cashback (minor units) or one stamp card. */
enum adjust_account { ADJUST_POINTS, ADJUST_CASHBACK, ADJUST_STAMPS };

struct event {
    enum event_type type;
    char key[EVENT_KEY_MAX];
    /* BLAKE2b of the canonical body: the same key with another digest is a conflict. */
    char digest[FID_DIGEST_HEX];
    char *canonical; /* the body, compact with sorted keys; owned */
    int64_t at;      /* when it happened, UTC seconds; the clock's now when absent */
    bool has_at;
    char customer[EVENT_REF_MAX];

    /* order, refund */
    char order_id[EVENT_REF_MAX];
    enum channel channel;
    char currency[4];
    struct order_line *lines;
    size_t n_lines;
    int64_t discount_minor, shipping_minor, tax_minor;
    int64_t amount_minor; /* refund by amount; VIP payment or VIP refund amount */
    bool history;         /* an order from the past, recorded for analytics without earning */
    bool tax_on_top;      /* tax_minor is added to the prices ("tax_included": false) */

    /* redeem */
    char reward_id[PROGRAM_ID_MAX];
    /* voucher_use */
    char code[FID_CODE_MAX];
    /* vip_payment */
    char plan_id[PROGRAM_ID_MAX];
    int64_t periods;
    /* vip_refund: the refunded payment's idempotency key (currency, amount_minor above) */
    char payment_key[EVENT_KEY_MAX];
    /* adjustment */
    enum adjust_account account;
    char card_id[PROGRAM_ID_MAX];
    int64_t points; /* signed amount in the account's unit */
    char reason[EVENT_TEXT_MAX];
    char author[EVENT_TEXT_MAX];
    /* survey_answer: NPS 0-10 or CSAT 1-5, and an optional comment (in reason) */
    enum survey_kind survey;
    int64_t score;
    /* enrol */
    char email[EVENT_TEXT_MAX];      /* in lower case, as kept */
    char phone[FID_PHONE_TYPED_MAX]; /* international form, or national as typed (engine) */
    char name[EVENT_TEXT_MAX];
    char birthday[11]; /* YYYY-MM-DD or "" */
    char locale[8];
    unsigned consents; /* enum consent_channel bits */
};

/* Parses one event object. now fills `at` when the event has none. *out is caller-owned. */
enum fid_status event_parse(const json_t *obj, int64_t now, struct event **out,
                            struct fid_error *err) FID_MUST_USE;

void event_free(struct event *event);
/* A copy of event that owns its own lines and text. */
struct event *event_copy(const struct event *event);

const char *event_type_name(enum event_type type);

/* The order event of a history order known only by its total (an imported row): one line of
 * SKU "IMPORT" at that amount, recorded for analytics without earning. Caller owns it. */
json_t *event_history_order(const char *key, const char *customer, const char *order_id, int64_t at,
                            int64_t paid_minor);

/* Order arithmetic: gross = sum of lines; paid = gross - discount + shipping (+ tax when it is
 * on top of the prices). */
int64_t event_order_gross(const struct event *order);
int64_t event_order_paid(const struct event *order);

#endif
