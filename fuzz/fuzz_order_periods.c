/*
 * Fuzz target for the summary of a customer's orders by period, as the customer's row stores it.
 * The first byte chooses what the rest is. Even: a stored blob; when it reads, writing it again
 * gives a blob that reads back to the same summary. Odd: orders (instant, spend, points) and
 * whole refunds of them counted into a summary: a refund always finds its order's period, the
 * summary never keeps more than ORDER_PERIODS_MAX periods, keeps them in key order, counts every
 * order once, and its stored form reads back to it.
 */
#include <string.h>

#include "store/order_periods.h"
#include "fuzz.h"

static void check_round_trip(const struct order_periods *p)
{
    unsigned char blob[ORDER_PERIODS_BLOB_MAX];
    size_t size = order_periods_encode(p, blob);
    FUZZ_ASSERT(size <= ORDER_PERIODS_BLOB_MAX);
    struct order_periods back;
    FUZZ_ASSERT(order_periods_decode(blob, size, &back));
    FUZZ_ASSERT(order_periods_stored_as(&back, blob, size));
    FUZZ_ASSERT(back.n == p->n && back.last_order_id == p->last_order_id);
}

static int64_t take(const uint8_t **data, size_t *size, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i<bytes && * size> 0; i++, (*data)++, (*size)--)
        v = v << 8 | **data;
    return (int64_t)v;
}

#define KEPT_ORDERS 1024

static void count_orders(const uint8_t *data, size_t size)
{
    struct order_periods p;
    memset(&p, 0, sizeof p);
    static int64_t order_at[KEPT_ORDERS];
    static struct order_share order_share[KEPT_ORDERS];
    int64_t orders = 0;
    while (size >= 8) {
        int64_t kind = take(&data, &size, 1);
        /* instants within about 68 years either side of 2025 (before 1970 too), in steps of
         * about four minutes */
        int64_t at = 1735689600 + (take(&data, &size, 3) - (1 << 23)) * 256;
        int64_t spend = take(&data, &size, 2), points = take(&data, &size, 2);
        if (kind % 4 == 3 && orders > 0) { /* refunds an order recorded before, wholly */
            size_t i = (size_t)(spend % (orders < KEPT_ORDERS ? orders : KEPT_ORDERS));
            struct order_share refunded =
                order_share_of(order_share[i].spend_minor, order_share[i].spend_minor, false, 0, 0);
            FUZZ_ASSERT(order_periods_change(&p, order_at[i], order_share[i], refunded));
            order_share[i] = refunded;
        } else {
            struct order_share share = order_share_of(spend, 0, false, points, 0);
            if (orders < KEPT_ORDERS) {
                order_at[orders] = at;
                order_share[orders] = share;
            }
            order_periods_add(&p, ++orders, at, share);
        }
        FUZZ_ASSERT(p.n <= ORDER_PERIODS_MAX);
        for (size_t i = 1; i < p.n; i++)
            FUZZ_ASSERT(p.periods[i - 1].key < p.periods[i].key);
        FUZZ_ASSERT(p.folded.orders == 0 || p.n == 0 || p.folded_until <= p.periods[0].key);
        int64_t counted = p.folded.orders;
        for (size_t i = 0; i < p.n; i++)
            counted += p.periods[i].orders;
        FUZZ_ASSERT(counted == orders);
    }
    check_round_trip(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 1) {
        count_orders(data + 1, size - 1);
        return 0;
    }
    struct order_periods p;
    if (order_periods_decode(data + 1, size - 1, &p))
        check_round_trip(&p);
    return 0;
}
