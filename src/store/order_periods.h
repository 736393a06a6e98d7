/*
 * A customer's orders summed by period of time, kept in the customer's row: what the tier window
 * reads instead of an index of the orders by customer, which took an insertion at a random place
 * for every order. A purchase rewrites the customer's row anyway, so the sums cost no page more.
 *
 * Time is cut into fixed periods of ORDER_PERIOD_SECONDS. Each period the customer has orders in
 * keeps their net spend, net points, how many still count as orders, how many there are, their
 * earliest and latest instants and the ids of their newest and oldest orders. A window [from, to)
 * takes a period whole when all of its orders fall inside, skips it when none do, and otherwise
 * reads the period's orders themselves along the customer's chain of orders (each order names the
 * customer's previous one), from the period's newest to its oldest: exact at any instant, and the
 * walk is bounded by one period's orders, and stops early in a period whose orders arrived in
 * time order. Orders arriving late (an earlier instant than orders already recorded) and refunds
 * of old orders change their own period only. Since no order's share is negative, the periods
 * alone bound a window's sums, which often settles a question (has the customer reached the next
 * tier?) without reading any order.
 *
 * The newest ORDER_PERIODS_MAX periods are kept apart; older ones fold into one summary of
 * everything before `folded_until`, read whole or walked the same way (the walk then follows the
 * chain further: rare, as windows reach at most a year or two back).
 */
#ifndef FIDELE_STORE_ORDER_PERIODS_H
#define FIDELE_STORE_ORDER_PERIODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ORDER_PERIOD_SHIFT     21 /* periods of 2^21 s, about 24 days */
#define ORDER_PERIODS_MAX      40 /* kept apart: over two and a half years of monthly orders */
#define ORDER_PERIODS_BLOB_MAX ((ORDER_PERIODS_MAX + 1) * 9 * 10 + 32)

/* What one order adds to its period: net of refunds, as the tier window counts it. */
struct order_share {
    int64_t spend_minor; /* paid less refunded */
    int64_t points;      /* earned less clawed back */
    int64_t counted;     /* 1 until the order counts as refunded in full, else 0 */
};

struct order_period {
    int64_t key; /* at >> ORDER_PERIOD_SHIFT; for the folded summary, unused */
    struct order_share sum;
    int64_t orders;            /* how many orders, refunded or not */
    int64_t newest_id;         /* the largest order id in the period */
    int64_t oldest_id;         /* the smallest */
    int64_t first_at, last_at; /* the earliest and latest instants of its orders */
    bool out_of_order;         /* an order arrived dated before one already in the period */
};

struct order_periods {
    int64_t last_order_id; /* the head of the customer's chain of orders (0: no order) */
    int64_t folded_until;  /* orders in periods before this key are in `folded` */
    struct order_period folded;
    size_t n;
    struct order_period periods[ORDER_PERIODS_MAX]; /* by key, ascending */
};

int64_t order_period_key(int64_t at);

/* What an order with these figures adds to its period; refunded_in_full when all it paid, or all
 * its merchandise, was given back (core/refund.h), which only its refunds know. */
struct order_share order_share_of(int64_t paid_minor, int64_t refunded_minor, bool refunded_in_full,
                                  int64_t points_earned, int64_t points_clawed);
/* Adds share to sum (sign 1), or takes it away (sign -1). */
void order_share_add(struct order_share *sum, struct order_share share, int sign);

/* Counts a new order (its id above every id the customer has) in its period. */
void order_periods_add(struct order_periods *periods, int64_t order_id, int64_t at,
                       struct order_share share);

/* Moves an order's share from `before` to `after` (a refund, points credited later). False when
 * no period holds that order's instant: the summary is out of step with the orders. */
bool order_periods_change(struct order_periods *periods, int64_t at, struct order_share before,
                          struct order_share after);

/* Whether the order at `at` belongs to the period (the folded summary when period is &folded). */
bool order_period_holds(const struct order_periods *periods, const struct order_period *period,
                        int64_t at);

/* Lower and upper bounds of a window's sums from the periods alone: the periods wholly inside,
 * and those plus every period the window cuts. */
void order_window_bounds(const struct order_periods *periods, int64_t from, int64_t to,
                         struct order_share *low, struct order_share *high);

enum order_period_overlap { PERIOD_OUTSIDE, PERIOD_INSIDE, PERIOD_PARTLY };

/* How the period's orders fall against [from, to). */
enum order_period_overlap order_period_overlap(const struct order_period *period, int64_t from,
                                               int64_t to);

/* The summary as the customer's row stores it (size bytes at most ORDER_PERIODS_BLOB_MAX; none
 * for a customer without orders), and read back. Reading fails on a malformed blob. */
size_t order_periods_encode(const struct order_periods *periods, unsigned char *out);
bool order_periods_decode(const void *blob, size_t size, struct order_periods *out);
/* Whether blob (size bytes; none for no order) is exactly the stored form of periods. */
bool order_periods_stored_as(const struct order_periods *periods, const void *blob, size_t size);

#endif
