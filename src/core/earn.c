/*
 * Points for an order. Every part is computed as an exact fraction of the basis and rounded once
 * by the programme's rule, so the breakdown always adds up to the total. Line-level multipliers
 * (by SKU or category) apply to the matching lines' share of the basis, which spreads order-level
 * discounts over lines in proportion to their amount.
 */
#include "core/earn.h"

#include <stdio.h>
#include <string.h>

#include "core/arith.h"
#include "util/xalloc.h"

static void add_part(struct earning *e, size_t *cap, const char *rule, const char *label,
                     int64_t points)
{
    xgrow((void **)&e->parts, cap, e->n_parts + 1, sizeof *e->parts);
    struct earn_part *p = &e->parts[e->n_parts++];
    snprintf(p->rule, sizeof p->rule, "%s", rule);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->points = points;
    e->points += points;
    if (points >= EARN_PART_MAX || points <= -EARN_PART_MAX || e->points > EARN_PART_MAX ||
        e->points < -EARN_PART_MAX)
        e->beyond = true;
}

int64_t earn_basis(const struct program *p, const struct event *o)
{
    int64_t basis = event_order_gross(o);
    if (p->earning.after_discounts)
        basis -= o->discount_minor;
    if (p->earning.include_shipping)
        basis += o->shipping_minor;
    if (o->tax_on_top && p->earning.include_tax)
        basis += o->tax_minor; /* not in the prices: added when the basis counts it */
    else if (!o->tax_on_top && !p->earning.include_tax)
        basis -= o->tax_minor;
    return basis > 0 ? basis : 0;
}

static bool line_matches(const struct string_list *skus, const struct string_list *categories,
                         const struct order_line *line)
{
    if (skus->count == 0 && categories->count == 0)
        return true;
    return string_list_contains(skus, line->sku) ||
           (line->category[0] && string_list_contains(categories, line->category));
}

bool earn_multiplier_applies(const struct multiplier *m, const struct event *o,
                             const struct fid_local *local)
{
    if (!program_window_contains(m->weekdays, m->from_minute, m->to_minute, local->weekday,
                                 local->hour * 60 + local->minute))
        return false;
    if (m->channels && !(m->channels & (1u << o->channel)))
        return false;
    if (m->starts_at && o->at < m->starts_at)
        return false;
    if (m->ends_at && o->at >= m->ends_at)
        return false;
    return true;
}

/* Points for `amount` of basis (amount_num / amount_den >= 0) at extra_pct percent of the earning
 * rate, within +-EARN_PART_MAX. A line share's numerator reaches 10^28, so multiplying it by the
 * rate (up to 10^13) could pass 128 bits: the whole part of the amount takes the rate first, then
 * the fraction. Both pieces have the rate's sign, so rounding the fraction rounds the sum. */
static int64_t rate_points(const struct program *p, __int128 amount_num, __int128 amount_den,
                           int64_t extra_pct)
{
    __int128 rate = (__int128)p->earning.points * extra_pct;
    __int128 per = (__int128)p->earning.per_minor * 100;
    __int128 whole = amount_num / amount_den, rest = amount_num % amount_den;
    __int128 fraction = whole * rate % per * amount_den + rest * rate;
    __int128 points =
        whole * rate / per + arith_round(fraction, per * amount_den, p->earning.rounding);
    return (int64_t)(points > EARN_PART_MAX    ? EARN_PART_MAX
                     : points < -EARN_PART_MAX ? -EARN_PART_MAX
                                               : points);
}

static void add_stamps(const struct program *p, const struct event *o, int64_t basis,
                       struct earning *e)
{
    for (size_t c = 0; c < p->n_stamp_cards; c++) {
        const struct stamp_card *card = &p->stamp_cards[c];
        int64_t units = 0, matching_lines = 0;
        for (size_t i = 0; i < o->n_lines; i++)
            if (line_matches(&card->skus, &card->categories, &o->lines[i])) {
                units += o->lines[i].quantity;
                matching_lines++;
            }
        int64_t stamps = 0;
        switch (card->rule) {
        case STAMP_PER_ORDER:
            stamps = matching_lines > 0 && basis >= card->min_amount_minor;
            break;
        case STAMP_PER_UNIT:
            stamps = units;
            break;
        case STAMP_PER_ORDER_ABOVE:
            stamps = matching_lines > 0 && basis >= card->min_amount_minor;
            break;
        }
        if (stamps > 0) {
            e->stamps = xrealloc(e->stamps, (e->n_stamps + 1) * sizeof *e->stamps);
            e->stamps[e->n_stamps++] = (struct earn_stamps){.card_index = c, .stamps = stamps};
        }
    }
}

/* The parts the earning rate makes: base, multipliers, tier and VIP bonuses. */
static void add_rate_parts(const struct program *p, const struct event *o,
                           const struct earn_context *ctx, const struct labels *words,
                           int64_t basis, struct earning *e, size_t *cap)
{
    int64_t gross = event_order_gross(o);
    add_part(e, cap, "base", words->base, rate_points(p, basis, 1, 100));
    for (size_t i = 0; i < p->earning.n_multipliers; i++) {
        const struct multiplier *m = &p->earning.multipliers[i];
        if (m->factor_pct == 100 || !earn_multiplier_applies(m, o, &ctx->local))
            continue;
        int64_t extra;
        if (m->skus.count == 0 && m->categories.count == 0) {
            extra = rate_points(p, basis, 1, m->factor_pct - 100);
        } else {
            int64_t matching = 0;
            for (size_t l = 0; l < o->n_lines; l++)
                if (line_matches(&m->skus, &m->categories, &o->lines[l]))
                    matching += o->lines[l].amount_minor;
            if (matching == 0 || gross == 0)
                continue;
            /* matching lines' share of the basis: matching * basis / gross */
            extra = rate_points(p, (__int128)matching * basis, gross, m->factor_pct - 100);
        }
        char rule[PROGRAM_ID_MAX + 16];
        snprintf(rule, sizeof rule, "multiplier:%s", m->id);
        add_part(e, cap, rule, m->name, extra);
    }
    const struct tier_level *tier = ctx->tier_id ? program_tier(p, ctx->tier_id) : NULL;
    if (tier && tier->perks.multiplier_pct != 100) {
        char rule[PROGRAM_ID_MAX + 16];
        snprintf(rule, sizeof rule, "tier:%s", tier->id);
        char label[PROGRAM_NAME_MAX];
        labels_fill(words->tier_bonus, tier->name, label, sizeof label);
        add_part(e, cap, rule, label, rate_points(p, basis, 1, tier->perks.multiplier_pct - 100));
    }
    const struct vip_plan *vip = ctx->vip_plan_id ? program_vip_plan(p, ctx->vip_plan_id) : NULL;
    if (vip && vip->perks.multiplier_pct != 100) {
        char rule[PROGRAM_ID_MAX + 16];
        snprintf(rule, sizeof rule, "vip:%s", vip->id);
        char label[PROGRAM_NAME_MAX];
        labels_fill(words->vip_bonus, vip->name, label, sizeof label);
        add_part(e, cap, rule, label, rate_points(p, basis, 1, vip->perks.multiplier_pct - 100));
    }
}

void earn_order(const struct program *p, const struct event *o, const struct earn_context *ctx,
                struct earning *e)
{
    memset(e, 0, sizeof *e);
    size_t cap = 0;
    const struct labels *words = ctx->labels ? ctx->labels : labels_for("en");
    int64_t basis = earn_basis(p, o);
    e->basis_minor = basis;
    add_stamps(p, o, basis, e);
    e->cashback_minor = arith_share(basis, p->cashback_bp, 10000);

    if (basis < p->earning.min_order_minor) {
        add_part(e, &cap, "base", words->below_minimum, 0);
        return;
    }
    if (p->earning.points == 0) /* no rate (a card of stamps alone): a first order's bonus still */
        add_part(e, &cap, "base", words->base, 0);
    else
        add_rate_parts(p, o, ctx, words, basis, e, &cap);
    if (ctx->first_order && p->earning.first_order_bonus > 0)
        add_part(e, &cap, "first_order", words->first_order, p->earning.first_order_bonus);
    if (e->points < 0) /* multipliers below 100% cannot take more than the base */
        add_part(e, &cap, "floor", words->no_negative, -e->points);
}

void earning_clear(struct earning *e)
{
    free(e->parts);
    free(e->stamps);
    memset(e, 0, sizeof *e);
}

void earning_breakdown_write(const struct earning *e, struct jsonw *w)
{
    jsonw_text(w, "[");
    for (size_t i = 0; i < e->n_parts; i++) {
        jsonw_next(w);
        jsonw_text(w, "{\"rule\":");
        jsonw_cstring(w, e->parts[i].rule);
        jsonw_text(w, ",\"label\":");
        jsonw_cstring(w, e->parts[i].label);
        jsonw_text(w, ",\"points\":");
        jsonw_int(w, e->parts[i].points);
        jsonw_text(w, "}");
    }
    jsonw_text(w, "]");
}
