/*
 * Lots: earned points kept apart by when they expire. Spending, expiring and clawing back consume
 * lots soonest expiry first (never-expiring lots last), oldest first among equals. Pure planning:
 * the caller writes the consumption it is given.
 */
#ifndef FIDELE_CORE_LOTS_H
#define FIDELE_CORE_LOTS_H

#include <stddef.h>
#include <stdint.h>

struct lot {
    int64_t id;
    int64_t earned_at;
    int64_t expires_at; /* 0 = never */
    int64_t remaining;
};

struct lot_use {
    int64_t lot_id;
    int64_t amount;
};

/* Sorts lots into consumption order in place. */
void lots_sort(struct lot *lots, size_t n);

/* Plans taking up to amount from lots (already sorted). uses must hold n entries; *n_uses gets the
 * count used. Returns the amount planned, which is less than amount when the lots run out. The
 * remaining fields of lots are decremented as planned. */
int64_t lots_consume(struct lot *lots, size_t n, int64_t amount, struct lot_use *uses,
                     size_t *n_uses);

#endif
