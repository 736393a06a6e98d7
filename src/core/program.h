/*
 * The programme: one merchant's loyalty rules as one JSON document, parsed and validated into a
 * struct program that the rest of core reads. Every rejection names the JSON pointer of the bad
 * field. A parsed program is immutable and may be shared by readers on several threads.
 */
#ifndef FIDELE_CORE_PROGRAM_H
#define FIDELE_CORE_PROGRAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define PROGRAM_ID_MAX    48  /* rule, card, tier, plan and reward ids, bytes incl. NUL */
#define PROGRAM_NAME_MAX  120 /* human names */
#define PROGRAM_ITEMS_MAX 256 /* rules, rewards, SKUs in one list */
#define PROGRAM_TEXT_MAX  (256 * 1024)

enum rounding { ROUND_FLOOR, ROUND_NEAREST, ROUND_CEIL };
enum expiry_mode { EXPIRY_NONE, EXPIRY_PER_LOT, EXPIRY_INACTIVITY };
enum tier_metric { TIER_METRIC_SPEND, TIER_METRIC_POINTS, TIER_METRIC_ORDERS };
enum tier_window { TIER_WINDOW_CALENDAR_YEAR, TIER_WINDOW_ROLLING_12_MONTHS, TIER_WINDOW_LIFETIME };
enum stamp_rule { STAMP_PER_ORDER, STAMP_PER_UNIT, STAMP_PER_ORDER_ABOVE };
enum vip_period { VIP_PERIOD_MONTH, VIP_PERIOD_YEAR };
enum channel { CHANNEL_STORE, CHANNEL_ONLINE };
enum reward_kind {
    REWARD_FIXED_DISCOUNT,
    REWARD_PERCENT_DISCOUNT,
    REWARD_FREE_PRODUCT,
    REWARD_FREE_DELIVERY,
    REWARD_EXPERIENCE,
    REWARD_PARTNER_OFFER,
    REWARD_CASHBACK_CREDIT,
};

struct string_list {
    char **items;
    size_t count;
};

/* Extra points on part of an order: on matching lines (skus/categories) or on the whole order. */
struct multiplier {
    char id[PROGRAM_ID_MAX];
    char name[PROGRAM_NAME_MAX];
    int64_t factor_pct; /* 200 = double points: adds (factor - 100)% of the base */
    unsigned weekdays;  /* bit 0 = Monday; 0 = every day */
    int from_minute;    /* local time window [from, to) in minutes of the day; -1 = all day */
    int to_minute;      /* may be below from_minute for windows across midnight */
    unsigned channels;  /* bit per enum channel; 0 = all */
    int64_t starts_at;  /* campaign bounds, UTC seconds; 0 = open */
    int64_t ends_at;
    struct string_list skus;
    struct string_list categories;
};

struct stamp_card {
    char id[PROGRAM_ID_MAX];
    char name[PROGRAM_NAME_MAX];
    int64_t stamps_required;
    char reward_id[PROGRAM_ID_MAX];
    enum stamp_rule rule;
    int64_t min_amount_minor; /* order_above: least qualifying amount; per_order: least basis */
    struct string_list skus;
    struct string_list categories;
};

struct perks {
    int64_t multiplier_pct; /* 100 = none; 125 adds 25% of the base */
    struct string_list benefits;
};

struct tier_level {
    char id[PROGRAM_ID_MAX];
    char name[PROGRAM_NAME_MAX];
    int64_t threshold; /* in the metric's unit: minor currency units, points or orders */
    struct perks perks;
};

struct vip_plan {
    char id[PROGRAM_ID_MAX];
    char name[PROGRAM_NAME_MAX];
    int64_t price_minor;
    enum vip_period period;
    char welcome_reward[PROGRAM_ID_MAX]; /* "" = none */
    bool free_delivery;
    struct perks perks;
};

struct reward {
    char id[PROGRAM_ID_MAX];
    char name[PROGRAM_NAME_MAX];
    enum reward_kind kind;
    int64_t cost_points;             /* 0 when paid in stamps */
    int64_t cost_stamps;             /* 0 when paid in points */
    int64_t cost_cashback_minor;     /* paid from the cashback account: spending cashback */
    char stamp_card[PROGRAM_ID_MAX]; /* card whose stamps pay, when cost_stamps > 0 */
    int64_t value_minor;             /* fixed discount, cashback credit, product value */
    int64_t percent;                 /* percent discount */
    char sku[PROGRAM_ID_MAX];        /* free product */
    struct string_list tiers;        /* eligible tiers; empty = everyone */
    bool vip_only;
    int64_t stock;      /* -1 = unlimited */
    int64_t valid_days; /* voucher validity after issue */
};

/* Segments: lifecycle thresholds and custom segments written as conditions over a customer's
 * order history (docs/programme.md). */
enum segment_measure {
    SEGMENT_ORDERS,   /* number of matching orders */
    SEGMENT_SPEND,    /* amount paid of matching orders, minor units */
    SEGMENT_SHARE,    /* % of the window's orders that match */
    SEGMENT_TIER,     /* the member's tier is one of `tiers` */
    SEGMENT_VIP,      /* holds (or not) an active VIP plan */
    SEGMENT_ENROLLED, /* enrolled within `within_days` */
    SEGMENT_BIRTHDAY, /* birthday in `month` (0 = the month of the evaluation date) */
};

struct segment_condition {
    enum segment_measure measure;
    int64_t within_days; /* window ending at the evaluation date; 0 = all history */
    unsigned weekdays;   /* order filter, as for multipliers; 0 = any */
    int from_minute, to_minute;
    unsigned channels;
    struct string_list categories; /* an order matches when one of its lines has one */
    int64_t at_least, at_most;     /* -1 = no bound; "exactly" sets both */
    struct string_list tiers;
    bool vip;
    int64_t month;
};

struct segment {
    char id[PROGRAM_ID_MAX];
    char name[PROGRAM_NAME_MAX];
    struct segment_condition *conditions; /* all must hold */
    size_t n_conditions;
};

/* The lifecycle stages' names, in the order of enum lifecycle_stage (analytics/segments.h):
 * custom segments take other ids, since both are listed and looked up by them. */
#define LIFECYCLE_STAGES 7
extern const char *const LIFECYCLE_STAGE_NAMES[LIFECYCLE_STAGES];

struct lifecycle_rules {
    int64_t new_days;          /* first order at most this many days ago: new */
    int64_t at_risk_days;      /* last order longer ago than this: at_risk */
    int64_t dormant_days;      /* ... dormant */
    int64_t churned_days;      /* ... churned */
    int64_t window_days;       /* frequency window for loyal and occasional */
    int64_t loyal_orders;      /* at least this many orders in the window: loyal */
    int64_t occasional_orders; /* at most this many: occasional (else active) */
};

struct program {
    int64_t version; /* set by the store when saved; 0 for a parsed draft */
    struct {
        int64_t points; /* points earned per per_minor minor units of basis */
        int64_t per_minor;
        enum rounding rounding;
        bool after_discounts, include_shipping, include_tax;
        int64_t min_order_minor;
        int64_t first_order_bonus;
        struct multiplier *multipliers;
        size_t n_multipliers;
    } earning;
    struct {
        int64_t bonus_points;
        int64_t
            quick_bonus_points; /* instead of bonus_points when enrolling soon after a purchase */
        int64_t quick_hours;
        bool credit_past_orders; /* award points for orders recorded before enrolment */
    } enrolment;
    struct stamp_card *stamp_cards;
    size_t n_stamp_cards;
    struct {
        enum tier_metric metric;
        enum tier_window window;
        int64_t grace_days;
        struct tier_level *levels; /* ascending thresholds */
        size_t n_levels;
    } tiers;
    struct vip_plan *vip_plans;
    size_t n_vip_plans;
    struct reward *rewards;
    size_t n_rewards;
    struct {
        enum expiry_mode mode;
        int64_t months;
    } expiry;
    int64_t pending_days;
    int64_t vouchers_per_order; /* vouchers a customer may use on one order; 0 = no limit */
    bool refund_allow_negative;
    int64_t cashback_bp; /* basis points of the earning basis credited as cashback; 0 = off */
    struct {
        int64_t amount_minor; /* what `points` points cost the merchant; points 0 = not declared */
        int64_t points;
    } point_value;
    struct lifecycle_rules lifecycle;
    struct segment *segments;
    size_t n_segments;
    char *text; /* the document, compact with sorted keys: what the store keeps */
};

/* Parses and validates a programme document. On success *out is owned by the caller. */
enum fid_status program_parse(const json_t *doc, struct program **out,
                              struct fid_error *err) FID_MUST_USE;

/* Same from text (JSON). */
enum fid_status program_parse_text(const char *text, size_t len, struct program **out,
                                   struct fid_error *err) FID_MUST_USE;

/* The same for a version read back from the store: the checks added after it was stored are
 * left out (program.c, reading_stored). */
enum fid_status program_parse_stored_text(const char *text, size_t len, struct program **out,
                                          struct fid_error *err) FID_MUST_USE;

void program_free(struct program *program);

/* Look-ups by id; NULL when absent. */
const struct reward *program_reward(const struct program *program, const char *id);
const struct stamp_card *program_stamp_card(const struct program *program, const char *id);
const struct tier_level *program_tier(const struct program *program, const char *id);
const struct vip_plan *program_vip_plan(const struct program *program, const char *id);

/* Index of a tier id in program->tiers.levels, -1 for "" or unknown. */
int program_tier_rank(const struct program *program, const char *id);

/* The money value of points for the liability: amount_minor per points. Declared in the programme
 * ("point_value"), else the best rate of its fixed-discount rewards; false when neither exists. */
bool program_point_value(const struct program *program, int64_t *amount_minor, int64_t *points);

bool string_list_contains(const struct string_list *list, const char *value);

/* Whether a local weekday (0 = Monday) and minute of the day fall in a window of weekdays (0 =
 * every day) and hours (from_minute < 0: the whole day). Hours that cross midnight belong to the
 * day they begin: "fri" 22:00-02:00 holds Saturday 01:30, not Friday 01:30. */
bool program_window_contains(unsigned weekdays, int from_minute, int to_minute, int weekday,
                             int minute);

const char *reward_kind_name(enum reward_kind kind);
const char *channel_name(enum channel channel);

#endif
