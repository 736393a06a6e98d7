/*
 * Loyalty KPIs: the exact definitions of docs/kpis.md computed from counts the store gathers.
 * Pure: the caller fills struct kpi_counts (store/kpi_store.c) and this module turns it into the
 * report, with rates in percent and null where a denominator is zero.
 */
#ifndef FIDELE_ANALYTICS_KPIS_H
#define FIDELE_ANALYTICS_KPIS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One cohort: customers whose first order fell in a month, and how many ordered k months later. */
struct kpi_cohort {
    int year, month; /* the cohort's month, in the merchant's time zone */
    int64_t size;
    int64_t *active; /* active[k], k = 0 .. n_months - 1 */
    size_t n_months;
};

/* One local month of the period. */
struct kpi_month {
    int year, month;
    int64_t orders, member_orders;
    int64_t revenue_minor, member_revenue_minor; /* paid minus refunds dated in the month */
    int64_t active_customers;
};

struct kpi_counts {
    struct kpi_month *months; /* the months of [from, to), in order */
    size_t n_months;
    int64_t period_days; /* length of [from, to) in days */
    int64_t customers, new_customers, orders, repeat_customers;
    int64_t paid_minor, refunded_minor; /* orders in P; refunds dated in P */
    int64_t placed_refunded_minor;      /* refunds dated in P of orders placed in P */
    int64_t member_orders, member_paid_minor;
    int64_t member_placed_refunded_minor; /* those of members' orders (membership at the order) */
    int64_t customers_start, customers_end, churned;
    int64_t new_customers_end; /* new customers (first order ever in P) among customers_end */
    int64_t loyal_paid_minor, loyal_refunded_minor;
    int64_t members_active; /* customers of P (an order in P) with a ledger entry in P */
    int64_t points_earned, points_redeemed; /* in P */
    int64_t vouchers_issued, vouchers_used; /* in P */
    int64_t nps_answers, nps_promoters, nps_detractors;
    int64_t csat_answers, csat_satisfied;
    struct kpi_cohort *cohorts;
    size_t n_cohorts;
};

/* The report: a JSON object whose top-level keys are exactly the KPI names (docs/kpis.md), in
 * *out (caller frees). FID_ERR_LIMIT, and nothing in *out, when the historical CLTV passes what a
 * signed 64-bit number of minor units holds: a report refuses rather than wrap. */
enum fid_status kpi_report(const struct kpi_counts *counts, json_t **out,
                           struct fid_error *err) FID_MUST_USE;

/* The historical CLTV of docs/kpis.md in whole minor units, in *value_minor: the floor of
 * aov_minor x (orders / customers x 365 / period_days) x lifetime, where the lifetime is
 * customers_start / churned years, at most 10, and 10 when nobody churned. Exact: the fraction of
 * these integers is floored, nothing is rounded before. False, and *value_minor untouched, when
 * the result does not fit 64 bits. Requires orders, customers, period_days > 0 and
 * customers_start, churned >= 0. */
bool kpi_cltv_minor(int64_t aov_minor, int64_t orders, int64_t customers, int64_t period_days,
                    int64_t customers_start, int64_t churned, int64_t *value_minor) FID_MUST_USE;

/* A self-contained HTML page (inline CSS and SVG charts, no external resource) of the report,
 * the monthly series, the cohorts and the segment sizes (an engine_segments object, may be NULL,
 * whose "names" object may name the custom segments),
 * in the merchant's language (locale "en", else French), money in digits/currency as it writes
 * it. Caller frees. */
struct report_days {
    struct report_day {
        int year, month, day;
    } first, last;          /* the period's first and last days, both included */
    struct report_day seen; /* the day the segments are counted at (the last, or today) */
};
char *kpi_report_html(const json_t *report, const struct kpi_counts *counts, const json_t *segments,
                      const char *merchant, const struct report_days *days, int digits,
                      const char *currency, const char *locale);

void kpi_counts_clear(struct kpi_counts *counts);

#endif
