/*
 * Refunds: the points (or stamps, or cashback) to take back when part of an order is refunded.
 * Clawback is proportional to the money refunded so far, computed on the cumulative refund so
 * that several partial refunds add up exactly to a full one.
 */
#ifndef FIDELE_CORE_REFUND_H
#define FIDELE_CORE_REFUND_H

#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"

/* earned: what the order earned; clawed: already taken back; paid: the order's paid amount;
 * refunded_total: all money refunded on the order including this refund (<= paid).
 * Returns what this refund takes back (>= 0). */
int64_t refund_clawback(int64_t earned, int64_t clawed, int64_t paid, int64_t refunded_total);

/* Where an order's refunds stand, all of them so far together (the one being applied included).
 * The merchandise is what the lines were paid: their gross less the discount, with the tax when
 * it is added on top; the rest of what was paid is shipping. A refund by lines gives back the
 * lines' share of the merchandise; a refund by amount is taken as merchandise first. */
struct refund_state {
    int64_t gross;       /* the order's lines before its discount */
    int64_t merchandise; /* gross - discount (+ tax on top) */
    int64_t paid;        /* merchandise + shipping */
    int64_t lines_gross; /* gross of the units refunded by line */
    int64_t lines_units; /* units refunded by line, free ones included */
    int64_t refunded;    /* money refunded in all, by lines and by amount */
};

/* The money that units of lines_gross gross stand for: their share of the merchandise. */
int64_t refund_lines_money(int64_t gross, int64_t merchandise, int64_t lines_gross);

/* The order counts as refunded in full: all it paid, or all its merchandise, given back. */
bool refund_is_full(const struct refund_state *s);

/* What the refunds so far take back of `earned` (points, or a card's stamps): everything when
 * full; else what the refunded lines earned (earned less remaining_earned, what the lines left
 * earn), plus, of the rest, the share the amounts refunded are of the merchandise left. Every
 * refund adds to it, so each takes the difference from the last. */
int64_t refund_target(const struct refund_state *s, int64_t earned, int64_t remaining_earned);

/* The same for what was earned in proportion to money (cashback): the share of the merchandise
 * refunded, by lines and amounts alike. */
int64_t refund_money_target(const struct refund_state *s, int64_t earned);

/* Splits a clawback against an available balance: what can be taken (*take) and, when the
 * programme refuses negative balances, what is forgiven (*forgiven). */
void refund_split(int64_t clawback, int64_t available, int allow_negative, int64_t *take,
                  int64_t *forgiven);

/* The part of order kept after units_refunded[i] units of each line i were refunded: quantities
 * reduced, emptied lines dropped, the tax reduced in proportion to the refunded gross, and the
 * discount so that what is left is worth the merchandise the refunds did not give back. *out is a
 * copy of order owning new lines; free them with free(out->lines). */
void refund_remaining_order(const struct event *order, const int64_t *units_refunded,
                            struct event *out);

#endif
