/*
 * The order-based KPI counts in one pass over the order history, in any order: per customer a
 * small record (first order, orders up to `to` and in the period, spend in the period, the
 * period's months with an order, presence in the two active windows), folded into kpi_counts at
 * the end. Refunds are added after the orders, when every customer's order count is known.
 */
#ifndef FIDELE_ANALYTICS_KPI_PASS_H
#define FIDELE_ANALYTICS_KPI_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/kpis.h"
#include "analytics/order_columns.h"

struct kpi_pass_customer;

struct kpi_pass {
    int64_t from, to, start_window,
        end_window;              /* windows: [start_window, from), [end_window, to) */
    const int64_t *month_starts; /* n_months + 1 bounds of the period's months */
    size_t n_months, words;      /* words: 64-bit words of months per customer */
    size_t n_customers;
    struct kpi_pass_customer *customers;
    uint64_t *more_months;    /* months 64.. of each customer, (words - 1) per customer */
    struct kpi_month *months; /* the period's order figures, folded into out at the end */
    int64_t orders, paid_minor, member_orders, member_paid_minor;
    /* The period's paid total would pass INT64_MAX: the pass stopped and its counts are not to
     * be used. Every other sum adds part of the same non-negative amounts, so checking this one
     * before them covers them all. */
    bool overflow;
    struct kpi_counts *out;
};

/* Prepares a pass for customers with ids below n_customers; out's months and cohorts must be
 * allocated for the n_months of month_starts (kpi_counts_calendar does it). */
void kpi_pass_init(struct kpi_pass *pass, struct kpi_counts *out, size_t n_customers, int64_t from,
                   int64_t to, int64_t start_window, int64_t end_window,
                   const int64_t *month_starts, size_t n_months);
/* Adds orders; those at or after `to` and customers outside the range are ignored. */
void kpi_pass_orders(struct kpi_pass *pass, const struct order_columns *orders);
/* Adds the counts of the customers of another pass over the same period (parallel passes). */
void kpi_pass_merge(struct kpi_pass *into, const struct kpi_pass *other);
/* Folds the customers into the counts; refunds may follow. */
void kpi_pass_finish(struct kpi_pass *pass);
/* A refund dated `at` in the period of an order of customer placed at order_at (member at the
 * time or not). */
void kpi_pass_refund(struct kpi_pass *pass, int64_t customer, int64_t at, int64_t order_at,
                     int64_t amount_minor, int member);
void kpi_pass_free(struct kpi_pass *pass);

/* Allocates out's months and cohorts for the months of the period. */
void kpi_counts_calendar(struct kpi_counts *out, const int *year_months, size_t n_months);

#endif
