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
    if (gross > 0) {
        out->discount_minor -= arith_share(order->discount_minor, refunded_gross, gross);
        out->tax_minor -= arith_share(order->tax_minor, refunded_gross, gross);
    }
}
