/*
 * Earning: what an order is worth in points, stamps and cashback under a programme, with the
 * breakdown that explains every point ("40 base + 20 Double points Tuesday + 10 first order").
 * Pure: the caller supplies the member's context and the order's local time.
 */
#ifndef FIDELE_CORE_EARN_H
#define FIDELE_CORE_EARN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"
#include "core/labels.h"
#include "core/program.h"
#include "util/jsonwrite.h"
#include "util/timeutil.h"

struct earn_context {
    bool first_order;            /* the customer's first order ever */
    const char *tier_id;         /* current tier or "" */
    const char *vip_plan_id;     /* active VIP plan or "" */
    struct fid_local local;      /* the order's time in the merchant's zone */
    const struct labels *labels; /* the language of the breakdown's own lines (NULL: English) */
};

/* Bound of the points of one rule in a breakdown (2^53 - 1, exact in JSON readers that use
 * doubles): with at most 256 multipliers the parts of an order add up far inside int64. */
#define EARN_PART_MAX 9007199254740991LL

struct earn_part {
    char
        rule[PROGRAM_ID_MAX + 16]; /* "base", "multiplier:ID", "tier:ID", "vip:ID", "first_order" */
    char label[PROGRAM_NAME_MAX];
    int64_t points;
};

struct earn_stamps {
    size_t card_index; /* into program->stamp_cards */
    int64_t stamps;
};

struct earning {
    int64_t basis_minor; /* the amount that counts, per the programme's basis */
    int64_t points;      /* sum of parts, never negative */
    struct earn_part *parts;
    size_t n_parts;
    struct earn_stamps *stamps; /* only cards with stamps > 0 */
    size_t n_stamps;
    int64_t cashback_minor;
    bool beyond; /* a part or the sum passed +-EARN_PART_MAX: the order earns more than counted */
};

/* Computes the earning of order (an EVENT_ORDER). out is filled; free with earning_clear. */
void earn_order(const struct program *program, const struct event *order,
                const struct earn_context *context, struct earning *out);

void earning_clear(struct earning *earning);

/* The amount of order that counts under the programme's basis (discounts, shipping, tax). */
int64_t earn_basis(const struct program *program, const struct event *order);

/* The breakdown as a JSON array of {"rule","label","points"}, written onto w. */
void earning_breakdown_write(const struct earning *earning, struct jsonw *w);

/* True when the multiplier's time, day, channel and campaign conditions hold for the order. */
bool earn_multiplier_applies(const struct multiplier *m, const struct event *order,
                             const struct fid_local *local);

#endif
