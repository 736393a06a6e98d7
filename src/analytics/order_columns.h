/*
 * Orders as columns: what the analytics' scans read, a block at a time, whether the orders come
 * from the columnar history or from the rows of orders applied live.
 */
#ifndef FIDELE_ANALYTICS_ORDER_COLUMNS_H
#define FIDELE_ANALYTICS_ORDER_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

struct order_columns {
    size_t n;
    int64_t *at;
    int64_t *paid_minor;
    uint32_t *customer;
    uint8_t *member; /* 1 when the customer was a member at the time of the order */
};

#endif
