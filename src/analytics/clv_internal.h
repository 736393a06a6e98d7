/*
 * The CLV module's own interface between its files (analytics/clv.h is the public one): numbers
 * beyond the double range and the special functions (clv_special.c), the optimiser
 * (clv_optimise.c), the checks of customers and models (clv_checks.c), and BG/NBD's prediction
 * at a customer's summary (clv_bgnbd.c), which the lifetime value (clv.c) sums week by week.
 */
#ifndef FIDELE_ANALYTICS_CLV_INTERNAL_H
#define FIDELE_ANALYTICS_CLV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "analytics/clv.h"

/* ---- Special functions (clv_special.c) ---- */
/*
 * A real number held as value * exp(log_scale). Hypergeometric sums for frequent buyers exceed
 * DBL_MAX long before the prefactor that brings them back to a count of purchases is applied.
 */
struct clv_scaled {
    double value;
    double log_scale;
};

/* Sums are renormalised by 2^SCALE_EXPONENT (exactly, with ldexp) when they pass 2^SCALE_LIMIT. */
#define SCALE_EXPONENT 600
#define SCALE_LIMIT    700

double clv_scaled_to_double(struct clv_scaled s);

/* Most series terms summed for one 2F1 (the series is used up to z = 1 - 1e-5 or so). */
#define HYP2F1_TERMS_MAX 2000000L

/* log G(v), re-entrant (lgamma_r: lgamma writes the global signgam). */
double clv_log_gamma(double v);
/* log G(v + x) - log G(v) for v > 0, x >= 0, with its digits where both are huge. */
double clv_log_gamma_rise(double v, double x);
/* 2F1(a, b; c; z) by its defining series at |z| < 1, with a rigorous bound on the tail. */
enum fid_status clv_hyp2f1_series(double a, double b, double c, double z, struct clv_scaled *out,
                                  struct fid_error *err);
/* 2F1(a, b; c; z) for z < 1, by the form that keeps its digits (clv_hyp2f1 without the final
 * conversion to a double). */
enum fid_status clv_hyp2f1_scaled(double a, double b, double c, double z, struct clv_scaled *out,
                                  struct fid_error *err);

/* ---- Nelder-Mead on log-parameters (clv_optimise.c) ---- */

#define NM_DIM_MAX 4
struct clv_nm_problem {
    size_t dim;
    double (*cost)(const double *theta, void *data); /* negative log-likelihood */
    void *data;
    unsigned evaluations, budget;
    bool unbounded; /* set when the fit failed because the likelihood has no finite maximum */
};

/* Minimises the cost from theta, restarting until two consecutive runs agree, and checks that
 * the result is a maximum of the likelihood at finite parameters (problem->unbounded when not). */
enum fid_status clv_nm_minimise(struct clv_nm_problem *problem, double *theta, double *f,
                                unsigned *restarts, struct fid_error *err);
/* The fit's budget of likelihood evaluations. */
unsigned clv_fit_budget(const struct clv_fit_options *options);

/* ---- Checks of the input (clv_checks.c) ---- */

enum fid_status clv_customer_check(const struct clv_customer *c, size_t index, bool in_list,
                                   bool needs_value, struct fid_error *err);
enum fid_status clv_customers_check(const struct clv_customer *customers, size_t n,
                                    bool needs_value, struct fid_error *err);
enum fid_status clv_bgnbd_check(const struct clv_bgnbd *m, struct fid_error *err);
enum fid_status clv_gamma_gamma_check(const struct clv_gamma_gamma *m, struct fid_error *err);
enum fid_status clv_weeks_check(double weeks, const char *field, struct fid_error *err);
int clv_compare_doubles(double x, double y);

/* ---- BG/NBD (clv_bgnbd.c) ---- */

/* E[Y(t) | x, t_x, T] for a checked model and customer. */
enum fid_status clv_bgnbd_expected(const struct clv_bgnbd *m, double x, double t_x, double age,
                                   double t, double *out, struct fid_error *err);

#endif
