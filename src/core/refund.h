/*
 * Refunds: the points (or stamps, or cashback) to take back when part of an order is refunded.
 * Clawback is proportional to the money refunded so far, computed on the cumulative refund so
 * that several partial refunds add up exactly to a full one.
 */
#ifndef FIDELE_CORE_REFUND_H
#define FIDELE_CORE_REFUND_H

#include <stdint.h>

#include "core/event.h"

/* earned: what the order earned; clawed: already taken back; paid: the order's paid amount;
 * refunded_total: all money refunded on the order including this refund (<= paid).
 * Returns what this refund takes back (>= 0). */
int64_t refund_clawback(int64_t earned, int64_t clawed, int64_t paid, int64_t refunded_total);

/* Splits a clawback against an available balance: what can be taken (*take) and, when the
 * programme refuses negative balances, what is forgiven (*forgiven). */
void refund_split(int64_t clawback, int64_t available, int allow_negative, int64_t *take,
                  int64_t *forgiven);

/* The part of order kept after units_refunded[i] units of each line i were refunded: quantities
 * reduced, emptied lines dropped, and the discount and tax reduced in proportion to the refunded
 * gross. *out is a copy of order owning new lines; free them with free(out->lines). */
void refund_remaining_order(const struct event *order, const int64_t *units_refunded,
                            struct event *out);

#endif
