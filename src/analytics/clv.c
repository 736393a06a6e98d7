/*
 * Customer-lifetime value: the expected value of a customer's purchases over a horizon, from the
 * BG/NBD purchase model (clv_bgnbd.c) and the Gamma-Gamma value model (clv_gamma_gamma.c), which
 * stand on the special functions (clv_special.c), the optimiser (clv_optimise.c) and the input
 * checks (clv_checks.c). Doubles throughout: analytics, never a balance.
 */
#include "analytics/clv_internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum fid_status clv_customer_value(const struct clv_bgnbd *purchases,
                                   const struct clv_gamma_gamma *spend,
                                   const struct clv_customer *customer, double horizon_weeks,
                                   double weekly_discount, double *out, struct fid_error *err)
{
    double value;
    enum fid_status st = clv_gamma_gamma_expected_value(spend, customer, &value, err);
    if (st == FID_OK)
        st = clv_bgnbd_check(purchases, err);
    if (st == FID_OK)
        st = clv_weeks_check(horizon_weeks, "horizon_weeks", err);
    if (st != FID_OK)
        return st;
    if (!(weekly_discount >= 0.0 && weekly_discount <= 1.0))
        return fid_fail(err, FID_ERR_INPUT, "weekly_discount",
                        "the weekly discount rate must be between 0 and 1, got %g",
                        weekly_discount);

    double x = customer->repeats, t_x = customer->recency, age = customer->age;
    double purchases_total = 0.0;
    if (weekly_discount == 0.0) {
        st = clv_bgnbd_expected(purchases, x, t_x, age, horizon_weeks, &purchases_total, err);
    } else {
        double before = 0.0, factor = 1.0;
        for (double week = 1.0; week - 1.0 < horizon_weeks; week += 1.0) {
            double upto;
            st = clv_bgnbd_expected(purchases, x, t_x, age, fmin(week, horizon_weeks), &upto, err);
            if (st != FID_OK)
                break;
            factor /= 1.0 + weekly_discount;
            purchases_total += (upto - before) * factor;
            before = upto;
        }
    }
    if (st != FID_OK)
        return st;
    *out = value * purchases_total;
    return FID_OK;
}
