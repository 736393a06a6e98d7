/*
 * Refunds: the points (or stamps, or cashback) to take back when part of an order is refunded.
 * Clawback is proportional to the money refunded so far, computed on the cumulative refund so
 * that several partial refunds add up exactly to a full one.
 */
#ifndef FIDELE_CORE_REFUND_H
#define FIDELE_CORE_REFUND_H

#include <stdint.h>

/* earned: what the order earned; clawed: already taken back; paid: the order's paid amount;
 * refunded_total: all money refunded on the order including this refund (<= paid).
 * Returns what this refund takes back (>= 0). */
int64_t refund_clawback(int64_t earned, int64_t clawed, int64_t paid, int64_t refunded_total);

/* Splits a clawback against an available balance: what can be taken (*take) and, when the
 * programme refuses negative balances, what is forgiven (*forgiven). */
void refund_split(int64_t clawback, int64_t available, int allow_negative, int64_t *take,
                  int64_t *forgiven);

#endif
