/*
 * Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): the likelihood of the repeat customers'
 * mean values, its fit (and its fixed-values limit) and the value expected of a purchase.
 */
#include "analytics/clv_internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct spend_row {
    double repeats, value, log_value;
    size_t repeat_index;
};

struct spend_sample {
    struct spend_row *rows; /* customers with x >= 1 */
    size_t n_rows;
    double *repeats; /* distinct x, ascending */
    double *log_repeats;
    double *base; /* per distinct x: the terms independent of the value (scratch) */
    size_t n_repeats;
};

static int compare_spend_rows(const void *x, const void *y)
{
    const struct spend_row *g = x, *h = y;
    return clv_compare_doubles(g->repeats, h->repeats);
}

static void spend_sample_free(struct spend_sample *s)
{
    free(s->rows);
    free(s->repeats);
    free(s->log_repeats);
    free(s->base);
}

/* The customers (checked first) with x >= 1 and a positive mean value: the model's values are Gamma
 * distributed, so a mean of 0 has no density (its log is -inf) and would make the whole sample's
 * likelihood vanish; such customers are left out of the fit, as the `lifetimes` library requires.
 * FID_ERR_INPUT when none is left. */
static enum fid_status spend_sample_build(const struct clv_customer *customers, size_t n,
                                          struct spend_sample *s, struct fid_error *err)
{
    *s = (struct spend_sample){0};
    enum fid_status checked = clv_customers_check(customers, n, true, err);
    if (checked != FID_OK)
        return checked;
    s->rows = xmalloc(n * sizeof *s->rows);
    size_t repeaters = 0;
    for (size_t i = 0; i < n; i++) {
        if (customers[i].repeats < 1.0)
            continue;
        repeaters++;
        if (customers[i].mean_value > 0.0)
            s->rows[s->n_rows++] = (struct spend_row){customers[i].repeats, customers[i].mean_value,
                                                      log(customers[i].mean_value), 0};
    }
    if (s->n_rows == 0) {
        spend_sample_free(s);
        return repeaters == 0
                   ? fid_fail(err, FID_ERR_INPUT, "/customers",
                              "no customer has a repeat purchase: the spend model needs some")
                   : fid_fail(err, FID_ERR_INPUT, "/customers",
                              "no repeat purchase has a value above 0: the spend model needs some");
    }
    qsort(s->rows, s->n_rows, sizeof *s->rows, compare_spend_rows);
    s->repeats = xmalloc(s->n_rows * sizeof *s->repeats);
    for (size_t i = 0; i < s->n_rows; i++) {
        if (s->n_repeats == 0 || s->repeats[s->n_repeats - 1] != s->rows[i].repeats)
            s->repeats[s->n_repeats++] = s->rows[i].repeats;
        s->rows[i].repeat_index = s->n_repeats - 1;
    }
    s->log_repeats = xmalloc(s->n_repeats * sizeof *s->log_repeats);
    s->base = xmalloc(s->n_repeats * sizeof *s->base);
    for (size_t k = 0; k < s->n_repeats; k++)
        s->log_repeats[k] = log(s->repeats[k]);
    return FID_OK;
}

/*
 * The fixed-values limit: each mean value m is the customer's own, InverseGamma(q, scale) across
 * customers, log density q log scale - log G(q) - (q + 1) log m - scale / m. It is the limit of
 * the density below as p grows with p gamma = scale held.
 */
static double fixed_values_log_likelihood(const struct spend_sample *s, double q, double scale)
{
    double total = (double)s->n_rows * (q * log(scale) - clv_log_gamma(q));
    for (size_t i = 0; i < s->n_rows; i++)
        total -= (q + 1.0) * s->rows[i].log_value + scale / s->rows[i].value;
    return total;
}

/*
 * Sum over customers with x >= 1 and m > 0 of the log density of their mean value m (Fader, Hardie
 * & Lee 2005, "RFM and CLV", appendix): G(p x + q) / (G(p x) G(q)) gamma^q m^(p x - 1) x^(p x) /
 * (gamma + x m)^(p x + q).
 */
static double spend_sample_log_likelihood(struct spend_sample *s, const struct clv_gamma_gamma *m)
{
    if (m->fixed_values)
        return fixed_values_log_likelihood(s, m->q, m->scale);
    double common = -clv_log_gamma(m->q) + m->q * log(m->gamma);
    for (size_t k = 0; k < s->n_repeats; k++) {
        double px = m->p * s->repeats[k];
        s->base[k] = common + clv_log_gamma(px + m->q) - clv_log_gamma(px) + px * s->log_repeats[k];
    }
    double total = 0.0;
    for (size_t i = 0; i < s->n_rows; i++) {
        const struct spend_row *row = &s->rows[i];
        double px = m->p * row->repeats;
        total += s->base[row->repeat_index] + (px - 1.0) * row->log_value -
                 (px + m->q) * log(m->gamma + row->repeats * row->value);
    }
    return total;
}

static struct clv_gamma_gamma gamma_gamma_from_log(const double *theta)
{
    return (struct clv_gamma_gamma){.p = exp(theta[0]), .q = exp(theta[1]), .gamma = exp(theta[2])};
}

static double spend_cost(const double *theta, void *data)
{
    struct clv_gamma_gamma m = gamma_gamma_from_log(theta);
    return -spend_sample_log_likelihood(data, &m);
}

/* The fixed-values limit wins over a finite p that is not better by more than this, relative: at
 * p of 1e5 and more the model's log-likelihood is summed from lgamma terms of 1e7 whose difference
 * keeps about eight digits (CDNOW's finite optimum is better by far more). */
#define SPEND_LIMIT_TOLERANCE 1e-6

/* theta: log q, log scale. */
static double fixed_values_cost(const double *theta, void *data)
{
    return -fixed_values_log_likelihood(data, exp(theta[0]), exp(theta[1]));
}

enum fid_status clv_gamma_gamma_fit(const struct clv_customer *customers, size_t n,
                                    const struct clv_fit_options *options,
                                    struct clv_gamma_gamma *out, struct clv_fit_report *report,
                                    struct fid_error *err)
{
    struct spend_sample sample;
    enum fid_status st = spend_sample_build(customers, n, &sample, err);
    if (st != FID_OK)
        return st;

    /* Start at p = 1, q = 2, where the population mean value p gamma / (q - 1) is gamma, and put
     * gamma at the sample's mean value: gamma carries the currency unit. */
    double mean_value = 0.0;
    for (size_t i = 0; i < sample.n_rows; i++)
        mean_value += sample.rows[i].value / (double)sample.n_rows;
    double theta[NM_DIM_MAX] = {0.0, log(2.0), log(mean_value)};
    struct clv_nm_problem problem = {
        .dim = 3, .cost = spend_cost, .data = &sample, .budget = clv_fit_budget(options)};
    double cost;
    unsigned restarts = 0;
    st = clv_nm_minimise(&problem, theta, &cost, &restarts, err);

    /* A shop whose customers buy the same basket each time has the likelihood rise for ever in p
     * (the fit does not converge, or stops at a p of millions): its supremum is the fixed-values
     * limit, fitted on its own from q = 2 and the scale at the mean value. The limit is taken when
     * the model reached no higher likelihood at finite p, within the rounding of log G(p x + q) -
     * log G(p x) at such p; else the model's own result stands. */
    double limit[NM_DIM_MAX] = {log(2.0), log(mean_value)};
    struct clv_nm_problem limit_problem = {
        .dim = 2, .cost = fixed_values_cost, .data = &sample, .budget = clv_fit_budget(options)};
    double limit_cost;
    unsigned limit_restarts = 0;
    struct fid_error limit_err;
    bool take_limit = clv_nm_minimise(&limit_problem, limit, &limit_cost, &limit_restarts,
                                      &limit_err) == FID_OK &&
                      cost >= limit_cost - SPEND_LIMIT_TOLERANCE * (1.0 + fabs(limit_cost));
    size_t used = sample.n_rows;
    spend_sample_free(&sample);
    if (take_limit) {
        *out = (struct clv_gamma_gamma){.p = INFINITY,
                                        .q = exp(limit[0]),
                                        .gamma = 0.0,
                                        .fixed_values = true,
                                        .scale = exp(limit[1])};
        cost = limit_cost;
        restarts = limit_restarts;
    } else if (st != FID_OK) {
        return st;
    } else {
        *out = gamma_gamma_from_log(theta);
    }
    if (report != NULL)
        *report = (struct clv_fit_report){
            -cost, used, problem.evaluations + limit_problem.evaluations, restarts};
    return FID_OK;
}

enum fid_status clv_gamma_gamma_log_likelihood(const struct clv_gamma_gamma *model,
                                               const struct clv_customer *customers, size_t n,
                                               double *out, struct fid_error *err)
{
    struct spend_sample sample;
    enum fid_status st = clv_gamma_gamma_check(model, err);
    if (st == FID_OK)
        st = spend_sample_build(customers, n, &sample, err);
    if (st != FID_OK)
        return st;
    *out = spend_sample_log_likelihood(&sample, model);
    spend_sample_free(&sample);
    return FID_OK;
}

enum fid_status clv_gamma_gamma_expected_value(const struct clv_gamma_gamma *model,
                                               const struct clv_customer *customer, double *out,
                                               struct fid_error *err)
{
    enum fid_status st = clv_gamma_gamma_check(model, err);
    if (st == FID_OK)
        st = clv_customer_check(customer, 0, false, true, err);
    if (st != FID_OK)
        return st;
    double x = customer->repeats;
    if (model->fixed_values && x > 0.0) {
        *out = customer->mean_value;
        return FID_OK;
    }
    if (model->fixed_values) {
        if (!(model->q > 1.0))
            return fid_fail(err, FID_ERR_INPUT, "/model/q",
                            "the expected purchase value is infinite when q <= 1 (q = %g)",
                            model->q);
        *out = model->scale / (model->q - 1.0);
        return FID_OK;
    }
    double weight = model->p * x + model->q - 1.0;
    if (!(weight > 0.0))
        return fid_fail(err, FID_ERR_INPUT, "/model/q",
                        "the expected purchase value is infinite when p x + q <= 1 (p x + q = %g)",
                        weight + 1.0);
    double own = x > 0.0 ? x * customer->mean_value : 0.0;
    *out = model->p * (model->gamma + own) / weight;
    return FID_OK;
}
