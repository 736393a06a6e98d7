/*
 * Segment evaluation. Windows end at the evaluation instant and reach back within_days days
 * (to the second); an order on the boundary belongs to the window. Shares are of the window's
 * orders; a customer with no order in the window has no share (the condition fails).
 */
#include "analytics/segments.h"

#include <string.h>

#define DAY 86400

const char *lifecycle_name(enum lifecycle_stage stage)
{
    return LIFECYCLE_STAGE_NAMES[stage];
}

bool segment_lifecycle(const struct lifecycle_rules *r, const struct segment_customer *c,
                       int64_t at, enum lifecycle_stage *out)
{
    if (c->n_orders == 0)
        return false;
    int64_t first = c->orders[0].at, last = c->orders[c->n_orders - 1].at;
    int64_t in_window = 0;
    for (size_t i = 0; i < c->n_orders; i++)
        in_window += c->orders[i].at >= at - r->window_days * DAY;
    if (first >= at - r->new_days * DAY)
        *out = LIFECYCLE_NEW;
    else if (last < at - r->churned_days * DAY)
        *out = LIFECYCLE_CHURNED;
    else if (last < at - r->dormant_days * DAY)
        *out = LIFECYCLE_DORMANT;
    else if (last < at - r->at_risk_days * DAY)
        *out = LIFECYCLE_AT_RISK;
    else if (in_window >= r->loyal_orders)
        *out = LIFECYCLE_LOYAL;
    else if (in_window <= r->occasional_orders)
        *out = LIFECYCLE_OCCASIONAL;
    else
        *out = LIFECYCLE_ACTIVE;
    return true;
}

static bool order_passes(const struct segment_condition *k, const struct segment_order *o)
{
    if (!program_window_contains(k->weekdays, k->from_minute, k->to_minute, o->weekday, o->minute))
        return false;
    if (k->channels && !(k->channels & (1u << o->channel)))
        return false;
    if (k->categories.count > 0) {
        bool any = false;
        for (size_t i = 0; i < o->n_categories && !any; i++)
            any = string_list_contains(&k->categories, o->categories[i]);
        if (!any)
            return false;
    }
    return true;
}

static bool within_bounds(const struct segment_condition *k, int64_t value)
{
    return (k->at_least < 0 || value >= k->at_least) && (k->at_most < 0 || value <= k->at_most);
}

static bool condition_holds(const struct segment_condition *k, const struct segment_customer *c,
                            int64_t at, int month)
{
    switch (k->measure) {
    case SEGMENT_ORDERS:
    case SEGMENT_SPEND:
    case SEGMENT_SHARE: {
        int64_t in_window = 0, matching = 0, spend = 0;
        for (size_t i = 0; i < c->n_orders; i++) {
            const struct segment_order *o = &c->orders[i];
            if (o->at > at || (k->within_days && o->at < at - k->within_days * DAY))
                continue;
            in_window++;
            if (order_passes(k, o)) {
                matching++;
                spend += o->value_minor;
            }
        }
        if (k->measure == SEGMENT_ORDERS)
            return within_bounds(k, matching);
        if (k->measure == SEGMENT_SPEND)
            return within_bounds(k, spend);
        if (in_window == 0)
            return false;
        /* Compare matching / in_window with the percentage bounds without rounding. */
        return (k->at_least < 0 || matching * 100 >= k->at_least * in_window) &&
               (k->at_most < 0 || matching * 100 <= k->at_most * in_window);
    }
    case SEGMENT_TIER:
        return c->tier && string_list_contains(&k->tiers, c->tier);
    case SEGMENT_VIP:
        return c->vip_active == k->vip;
    case SEGMENT_ENROLLED:
        return c->is_member && c->enrolled_at <= at && c->enrolled_at >= at - k->within_days * DAY;
    case SEGMENT_BIRTHDAY:
        return c->birthday_month != 0 && c->birthday_month == (k->month ? (int)k->month : month);
    }
    return false;
}

bool segment_matches(const struct segment *s, const struct segment_customer *c, int64_t at,
                     int month)
{
    for (size_t i = 0; i < s->n_conditions; i++)
        if (!condition_holds(&s->conditions[i], c, at, month))
            return false;
    return true;
}
