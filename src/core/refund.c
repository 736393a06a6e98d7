/*
 * Proportional clawback.
 */
#include "core/refund.h"

#include "core/arith.h"
#include "util/xalloc.h"

int64_t refund_clawback(int64_t earned, int64_t clawed, int64_t paid, int64_t refunded_total)
{
    if (paid <= 0 || earned <= 0)
        return 0;
    int64_t target = refunded_total >= paid ? earned : arith_share(earned, refunded_total, paid);
    return target > clawed ? target - clawed : 0;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t refund_lines_money(int64_t gross, int64_t merchandise, int64_t lines_gross)
{
    return arith_share(lines_gross, merchandise, gross);
}

bool refund_is_full(const struct refund_state *s)
{
    return s->refunded >= s->paid || (s->merchandise > 0 && s->refunded >= s->merchandise);
}

int64_t refund_target(const struct refund_state *s, int64_t earned, int64_t remaining_earned)
{
    if (earned <= 0)
        return 0;
    if (refund_is_full(s))
        return earned;
    int64_t by_lines =
        s->lines_units > 0 && remaining_earned < earned ? earned - remaining_earned : 0;
    int64_t lines_money = refund_lines_money(s->gross, s->merchandise, s->lines_gross);
    int64_t merchandise_left = s->merchandise - lines_money;
    /* refunds by lines recorded before their money counted the tax on top gave back less */
    int64_t amounts = s->refunded > lines_money ? s->refunded - lines_money : 0;
    int64_t by_amounts =
        merchandise_left > 0
            ? arith_share(earned - by_lines, min64(amounts, merchandise_left), merchandise_left)
            : 0;
    return min64(by_lines + by_amounts, earned);
}

int64_t refund_money_target(const struct refund_state *s, int64_t earned)
{
    if (earned <= 0)
        return 0;
    if (refund_is_full(s))
        return earned;
    return arith_share(earned, min64(s->refunded, s->merchandise), s->merchandise);
}

void refund_split(int64_t clawback, int64_t available, int allow_negative, int64_t *take,
                  int64_t *forgiven)
{
    if (allow_negative || clawback <= available) {
        *take = clawback;
        *forgiven = 0;
        return;
    }
    *take = available > 0 ? available : 0;
    *forgiven = clawback - *take;
}

void refund_remaining_order(const struct event *order, const int64_t *units_refunded,
                            struct event *out)
{
    *out = *order;
    out->lines = xcalloc(order->n_lines ? order->n_lines : 1, sizeof *out->lines);
    out->n_lines = 0;
    int64_t gross = event_order_gross(order), refunded_gross = 0;
    for (size_t i = 0; i < order->n_lines; i++) {
        struct order_line line = order->lines[i];
        refunded_gross += units_refunded[i] * line.unit_price_minor;
        line.quantity -= units_refunded[i];
        line.amount_minor = line.quantity * line.unit_price_minor;
        if (line.quantity > 0)
            out->lines[out->n_lines++] = line;
    }
    if (gross > 0 && refunded_gross > 0) {
        out->tax_minor -= arith_share(order->tax_minor, refunded_gross, gross);
        /* the discount left is what makes the lines left worth the merchandise the refunds have
         * not given back: the money refunded is the lines' share rounded down, so their
         * discount's share is rounded up (rounding both down gave the lines left a cent less,
         * and a refund a point more when that cent carried one) */
        int64_t merchandise = event_order_paid(order) - order->shipping_minor;
        int64_t left = merchandise - refund_lines_money(gross, merchandise, refunded_gross);
        int64_t discount =
            (gross - refunded_gross) + (order->tax_on_top ? out->tax_minor : 0) - left;
        out->discount_minor = discount < 0                       ? 0
                              : discount > order->discount_minor ? order->discount_minor
                                                                 : discount;
    }
}
