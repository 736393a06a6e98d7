/*
 * KPI arithmetic. Money stays in integer minor units (averages are floored); rates and ratios are
 * doubles, as they are reports, never balances.
 */
#include "analytics/kpis.h"

#include <math.h>
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

/* floor(value) as int64 when it fits (it is then exact: 2^63 and -2^63 are doubles). */
static bool floor_fits_int64(double value, int64_t *out)
{
    double whole = floor(value);
    if (!(whole >= -0x1p63 && whole < 0x1p63))
        return false; /* out of range, or NaN: converting would be undefined behaviour */
    *out = (int64_t)whole;
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
                        rate(c->customers_end - c->new_customers, c->customers_start));
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
        if (!floor_fits_int64((double)aov * per_year * lifetime, &value)) {
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
