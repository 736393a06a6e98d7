/*
 * KPI arithmetic. Money stays in integer minor units (averages are floored); rates and ratios are
 * doubles, as they are reports, never balances. The historical CLTV, money computed from ratios,
 * is floored from the exact fraction of its integer inputs, never from those doubles.
 */
#include "analytics/kpis.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *rate(int64_t part, int64_t whole)
{
    return whole > 0 ? json_real(100.0 * (double)part / (double)whole) : json_null();
}

static json_t *ratio(int64_t part, int64_t whole)
{
    return whole > 0 ? json_real((double)part / (double)whole) : json_null();
}

static json_t *average_minor(int64_t total, int64_t count)
{
    if (count <= 0)
        return json_null();
    int64_t q = total / count;
    if (total % count != 0 && (total < 0) != (count < 0))
        q -= 1; /* floor, also for a negative revenue */
    return json_integer(q);
}

/* The expected lifetime of docs/kpis.md as the fraction *num / *den years: 1 / yearly churn
 * (customers_start / churned), at most 10, and 10 when nobody churned. */
static void cltv_lifetime(int64_t customers_start, int64_t churned, int64_t *num, int64_t *den)
{
    if (customers_start > 0 && churned > 0 &&
        (__int128)10 * churned > customers_start) { /* churn above 10 %: under 10 years */
        *num = customers_start;
        *den = churned;
    } else {
        *num = 10;
        *den = 1;
    }
}

/* An unsigned 256-bit number, four 64-bit limbs from the least significant: wide enough for the
 * CLTV's numerator, |aov| x orders x 365 x lifetime numerator < 2^63 x 2^63 x 2^9 x 2^63. */
struct wide {
    uint64_t limb[4];
};

static void wide_multiply(struct wide *w, uint64_t factor)
{
    unsigned __int128 carry = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned __int128 t = (unsigned __int128)w->limb[i] * factor + carry;
        w->limb[i] = (uint64_t)t;
        carry = t >> 64;
    }
    assert(carry == 0); /* the bound above: the product never passes 2^198 */
}

/* w = floor(w / divisor), divisor > 0; returns the remainder. */
static uint64_t wide_divide(struct wide *w, uint64_t divisor)
{
    unsigned __int128 rest = 0;
    for (size_t i = 4; i-- > 0;) {
        unsigned __int128 t = rest << 64 | w->limb[i]; /* rest < divisor: fits */
        w->limb[i] = (uint64_t)(t / divisor);
        rest = t % divisor;
    }
    return (uint64_t)rest;
}

bool kpi_cltv_minor(int64_t aov_minor, int64_t orders, int64_t customers, int64_t period_days,
                    int64_t customers_start, int64_t churned, int64_t *value_minor)
{
    assert(orders > 0 && customers > 0 && period_days > 0 && customers_start >= 0 && churned >= 0);
    int64_t lifetime_num, lifetime_den;
    cltv_lifetime(customers_start, churned, &lifetime_num, &lifetime_den);
    /* |aov| x orders x 365 x lifetime_num over customers x period_days x lifetime_den: dividing
     * by each factor of the denominator in turn floors as dividing by their product would, and
     * the division is exact only when every step leaves no remainder. */
    uint64_t magnitude = aov_minor < 0 ? (uint64_t)0 - (uint64_t)aov_minor : (uint64_t)aov_minor;
    struct wide w = {{magnitude, 0, 0, 0}};
    wide_multiply(&w, (uint64_t)orders);
    wide_multiply(&w, 365);
    wide_multiply(&w, (uint64_t)lifetime_num);
    bool inexact = wide_divide(&w, (uint64_t)customers) != 0;
    inexact |= wide_divide(&w, (uint64_t)period_days) != 0;
    inexact |= wide_divide(&w, (uint64_t)lifetime_den) != 0;
    if (w.limb[1] != 0 || w.limb[2] != 0 || w.limb[3] != 0)
        return false;
    uint64_t q = w.limb[0];
    if (aov_minor >= 0) {
        if (q > (uint64_t)INT64_MAX)
            return false;
        *value_minor = (int64_t)q;
        return true;
    }
    /* floor of a negative value: the quotient's magnitude, one more when a remainder is left */
    if (q > (uint64_t)INT64_MAX + 1 - (inexact ? 1 : 0))
        return false;
    uint64_t down = q + (inexact ? 1 : 0); /* at most 2^63 */
    *value_minor = down == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)down;
    return true;
}

enum fid_status kpi_report(const struct kpi_counts *c, json_t **report, struct fid_error *err)
{
    int64_t revenue = c->paid_minor - c->refunded_minor;
    /* the AOV by membership takes each refund with its order: of the orders placed in P, what
     * they paid less what of it was refunded by `to` */
    int64_t member_revenue = c->member_paid_minor - c->member_placed_refunded_minor;
    int64_t non_member_orders = c->orders - c->member_orders;
    int64_t non_member_revenue = c->paid_minor - c->member_paid_minor -
                                 (c->placed_refunded_minor - c->member_placed_refunded_minor);
    json_t *out = json_object();
    json_object_set_new(out, "customers", json_integer(c->customers));
    json_object_set_new(out, "new_customers", json_integer(c->new_customers));
    json_object_set_new(out, "orders", json_integer(c->orders));
    json_object_set_new(out, "revenue_minor", json_integer(revenue));
    json_object_set_new(out, "aov_minor", average_minor(revenue, c->orders));
    json_object_set_new(out, "purchase_frequency", ratio(c->orders, c->customers));
    json_object_set_new(out, "repurchase_rate", rate(c->repeat_customers, c->customers));
    json_object_set_new(out, "customers_start", json_integer(c->customers_start));
    json_object_set_new(out, "customers_end", json_integer(c->customers_end));
    json_object_set_new(out, "retention_rate",
                        rate(c->customers_end - c->new_customers_end, c->customers_start));
    json_object_set_new(out, "churned", json_integer(c->churned));
    json_object_set_new(out, "churn_rate", rate(c->churned, c->customers_start));
    json_object_set_new(out, "loyal_revenue_share",
                        rate(c->loyal_paid_minor - c->loyal_refunded_minor, revenue));

    /* CLTV = AOV x orders per customer per year x expected lifetime (1 / yearly churn, <= 10). */
    json_t *cltv = json_null();
    if (c->orders > 0 && c->customers > 0 && c->period_days > 0) {
        /* money in whole minor units, floored as every average here: the AOV shown above */
        json_t *aov_floored = average_minor(revenue, c->orders);
        json_int_t aov = json_integer_value(aov_floored);
        json_decref(aov_floored);
        double per_year = (double)c->orders / (double)c->customers * 365.0 / (double)c->period_days;
        double churn = c->customers_start > 0 ? (double)c->churned / (double)c->customers_start : 0;
        double lifetime = churn > 0.1 ? 1.0 / churn : 10.0;
        int64_t value;
        if (!kpi_cltv_minor(aov, c->orders, c->customers, c->period_days, c->customers_start,
                            c->churned, &value)) {
            json_decref(out);
            return fid_fail(err, FID_ERR_LIMIT, "",
                            "the period's historical CLTV passes %lld minor units, more than a "
                            "report counts",
                            (long long)INT64_MAX);
        }
        cltv = json_pack("{s:I, s:I, s:f, s:f, s:o}", "value_minor", (json_int_t)value, "aov_minor",
                         aov, "orders_per_customer_per_year", per_year, "expected_lifetime_years",
                         lifetime, "yearly_churn_rate",
                         c->customers_start > 0 ? json_real(churn * 100.0) : json_null());
    }
    json_object_set_new(out, "cltv", cltv);
    json_object_set_new(out, "participation_rate", rate(c->members_active, c->customers));
    json_object_set_new(out, "points_redemption_rate", rate(c->points_redeemed, c->points_earned));
    json_object_set_new(out, "reward_usage_rate", rate(c->vouchers_used, c->vouchers_issued));
    json_object_set_new(out, "aov_members_minor", average_minor(member_revenue, c->member_orders));
    json_object_set_new(out, "aov_non_members_minor",
                        average_minor(non_member_revenue, non_member_orders));
    json_object_set_new(out, "nps",
                        c->nps_answers > 0
                            ? json_real(100.0 * (double)(c->nps_promoters - c->nps_detractors) /
                                        (double)c->nps_answers)
                            : json_null());
    json_object_set_new(out, "csat", rate(c->csat_satisfied, c->csat_answers));
    json_t *cohorts = json_array();
    for (size_t i = 0; i < c->n_cohorts; i++) {
        const struct kpi_cohort *k = &c->cohorts[i];
        if (k->size == 0)
            continue; /* a month without a new customer has no cohort */
        json_t *months = json_array();
        for (size_t m = 0; m < k->n_months; m++)
            json_array_append_new(months, rate(k->active[m], k->size));
        char label[8];
        snprintf(label, sizeof label, "%04d-%02d", k->year, k->month);
        json_array_append_new(cohorts, json_pack("{s:s, s:I, s:o}", "month", label, "customers",
                                                 (json_int_t)k->size, "active_pct", months));
    }
    json_object_set_new(out, "cohorts", cohorts);
    *report = out;
    return FID_OK;
}

void kpi_counts_clear(struct kpi_counts *c)
{
    free(c->months);
    for (size_t i = 0; i < c->n_cohorts; i++)
        free(c->cohorts[i].active);
    free(c->cohorts);
    memset(c, 0, sizeof *c);
}
