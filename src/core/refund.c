/*
 * Proportional clawback.
 */
#include "core/refund.h"

#include "core/arith.h"

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
