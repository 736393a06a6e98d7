/*
 * Segments of customers at a date: the lifecycle stage from recency and frequency, and the custom
 * segments of the programme, evaluated on one customer's order history at a time. Pure.
 */
#ifndef FIDELE_ANALYTICS_SEGMENTS_H
#define FIDELE_ANALYTICS_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/program.h"

#define SEGMENT_CATEGORIES_MAX 16 /* categories remembered per order */

/* One order of the customer, with its local time already read in the merchant's zone. */
struct segment_order {
    int64_t at;
    int64_t value_minor;
    int weekday; /* 0 = Monday */
    int minute;  /* minutes since local midnight */
    enum channel channel;
    const char *categories[SEGMENT_CATEGORIES_MAX];
    size_t n_categories;
};

struct segment_customer {
    bool is_member;
    const char *tier;
    bool vip_active;
    int64_t enrolled_at;
    int birthday_month;                 /* 0 = unknown */
    const struct segment_order *orders; /* up to the evaluation date, oldest first */
    size_t n_orders;
};

enum lifecycle_stage {
    LIFECYCLE_NEW,
    LIFECYCLE_ACTIVE,
    LIFECYCLE_LOYAL,
    LIFECYCLE_OCCASIONAL,
    LIFECYCLE_AT_RISK,
    LIFECYCLE_DORMANT,
    LIFECYCLE_CHURNED,
    LIFECYCLE_COUNT,
};
_Static_assert(LIFECYCLE_COUNT == LIFECYCLE_STAGES, "a stage without a name");

const char *lifecycle_name(enum lifecycle_stage stage);

/* The stage at instant `at`; false when the customer has no order yet (no stage). Precedence:
 * new, then churned, dormant, at_risk by recency, then loyal, occasional, active by frequency. */
bool segment_lifecycle(const struct lifecycle_rules *rules, const struct segment_customer *c,
                       int64_t at, enum lifecycle_stage *out);

/* Whether every condition of segment holds at `at`; month is the local month of `at` (1-12). */
bool segment_matches(const struct segment *segment, const struct segment_customer *c, int64_t at,
                     int month);

#endif
