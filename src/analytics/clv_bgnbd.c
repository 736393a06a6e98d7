/*
 * BG/NBD (Fader, Hardie & Lee 2005): the likelihood of a sample, its fit, P(alive) and the
 * purchases expected, for the full model and its limits (a fixed rate; no or a fixed dropout).
 *
 * Fits work on a private copy of the sample, compressed so that a likelihood evaluation costs one
 * or two logarithms per distinct customer summary: customers with equal (x, t_x, T) are merged
 * with a weight, and every term that depends on x only (the log-gamma terms) is computed once per
 * distinct x. A fit's cost is O(customers log customers) for the set-up, then O(distinct
 * summaries) per evaluation: CDNOW's 2,357 customers are about 1,000 summaries. The fit tries
 * the limits only when the full model's likelihood has no maximum at finite parameters.
 */
#include "analytics/clv_internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Customers with the same summary, merged. recency is 0 when repeats is 0 (it plays no part). */
struct bgnbd_group {
    double repeats, recency, age, weight;
    size_t repeat_index; /* into bgnbd_sample.repeats */
};

struct bgnbd_sample {
    struct bgnbd_group *groups;
    size_t n_groups;
    double *repeats; /* distinct x, ascending */
    size_t n_repeats;
    double *base;    /* per distinct x: the terms of the likelihood in x alone (scratch) */
    double *dropout; /* per distinct x: log(a / (b + x - 1)) or its limit (scratch) */
};

static int compare_groups(const void *x, const void *y)
{
    const struct bgnbd_group *g = x, *h = y;
    int order = clv_compare_doubles(g->repeats, h->repeats);
    if (order == 0)
        order = clv_compare_doubles(g->recency, h->recency);
    return order != 0 ? order : clv_compare_doubles(g->age, h->age);
}

static void bgnbd_sample_free(struct bgnbd_sample *s)
{
    free(s->groups);
    free(s->repeats);
    free(s->base);
    free(s->dropout);
}

/* Checks the customers and compresses them into groups; the sample is freed with
 * bgnbd_sample_free (nothing to free on failure). */
static enum fid_status bgnbd_sample_build(const struct clv_customer *customers, size_t n,
                                          struct bgnbd_sample *s, struct fid_error *err)
{
    enum fid_status checked = clv_customers_check(customers, n, false, err);
    if (checked != FID_OK)
        return checked;
    s->groups = xmalloc(n * sizeof *s->groups);
    for (size_t i = 0; i < n; i++) {
        const struct clv_customer *c = &customers[i];
        s->groups[i] =
            (struct bgnbd_group){c->repeats, c->repeats > 0.0 ? c->recency : 0.0, c->age, 1.0, 0};
    }
    qsort(s->groups, n, sizeof *s->groups, compare_groups);
    s->n_groups = 0;
    for (size_t i = 0; i < n; i++) {
        struct bgnbd_group *last = s->n_groups > 0 ? &s->groups[s->n_groups - 1] : NULL;
        if (last != NULL && compare_groups(last, &s->groups[i]) == 0)
            last->weight += 1.0;
        else
            s->groups[s->n_groups++] = s->groups[i];
    }
    s->repeats = xmalloc(s->n_groups * sizeof *s->repeats);
    s->n_repeats = 0;
    for (size_t i = 0; i < s->n_groups; i++) {
        if (s->n_repeats == 0 || s->repeats[s->n_repeats - 1] != s->groups[i].repeats)
            s->repeats[s->n_repeats++] = s->groups[i].repeats;
        s->groups[i].repeat_index = s->n_repeats - 1;
    }
    s->base = xmalloc(s->n_repeats * sizeof *s->base);
    s->dropout = xmalloc(s->n_repeats * sizeof *s->dropout);
    return FID_OK;
}

static double log_add_exp(double u, double v)
{
    double top = fmax(u, v);
    return top + log1p(exp(-fabs(u - v)));
}

/*
 * Sum over customers of log L(r, alpha, a, b | x, t_x, T), with (Fader, Hardie & Lee 2005, eq. 6)
 *   L = B(a, b + x) / B(a, b) G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
 *     + [x > 0] B(a + 1, b + x - 1) / B(a, b) G(r + x) alpha^r / (G(r) (alpha + t_x)^(r + x))
 * written as base(x) + log(exp(survival(T)) + [x > 0] exp(dropout(x) + survival(t_x))), since
 * B(a + 1, b + x - 1) / B(a, b + x) = a / (b + x - 1), with
 *   base(x) = log (G(r + x) / G(r)) - x log alpha + log (G(b + x) / G(b))
 *             - log (G(a + b + x) / G(a + b)),
 *   survival(tau) = -(r + x) log1p(tau / alpha).
 * Each piece is of the size of what it adds to the likelihood, which so keeps its digits along the
 * model's limits: there log G(r) and r log alpha are of 1e12, and their differences taken apart
 * would be noise in which the optimiser wanders instead of running off to the limit.
 *
 * The limits replace a factor each. A fixed rate turns the factors in G and alpha above into
 * lambda^x e^(-lambda tau); a fixed dropout turns B(a, b + x) / B(a, b) into (1 - p)^x and
 * a / (b + x - 1) into p / (1 - p); no dropout turns the first into 1 and the second into 0.
 */
static double bgnbd_base(const struct clv_bgnbd *m, double x)
{
    double base = m->rate == CLV_RATE_GAMMA ? clv_log_gamma_rise(m->r, x) - x * log(m->alpha)
                                            : x * log(m->lambda);
    if (m->dropout == CLV_DROPOUT_BETA)
        base += clv_log_gamma_rise(m->b, x) - clv_log_gamma_rise(m->a + m->b, x);
    else if (m->dropout == CLV_DROPOUT_FIXED)
        base += x * log1p(-m->p);
    return base;
}

/* log of the odds that a customer with x > 0 repeat purchases dropped out just after the last
 * one, before the times weigh in: -infinity with no dropout. */
static double bgnbd_log_dropout_odds(const struct clv_bgnbd *m, double x)
{
    switch (m->dropout) {
    case CLV_DROPOUT_BETA:
        return log(m->a) - log(m->b + x - 1.0);
    case CLV_DROPOUT_FIXED:
        return log(m->p) - log1p(-m->p);
    case CLV_DROPOUT_NONE:
        break;
    }
    return -HUGE_VAL;
}

/* The part of log L that depends on how long the customer was seen alive, tau (T or t_x). */
static double bgnbd_log_survival(const struct clv_bgnbd *m, double x, double tau)
{
    if (m->rate == CLV_RATE_FIXED)
        return -m->lambda * tau;
    return -(m->r + x) * log1p(tau / m->alpha);
}

static double bgnbd_sample_log_likelihood(struct bgnbd_sample *s, const struct clv_bgnbd *m)
{
    for (size_t k = 0; k < s->n_repeats; k++) {
        double x = s->repeats[k];
        s->base[k] = bgnbd_base(m, x);
        s->dropout[k] = x > 0.0 ? bgnbd_log_dropout_odds(m, x) : -HUGE_VAL;
    }
    bool drops = m->dropout != CLV_DROPOUT_NONE;
    double total = 0.0;
    for (size_t i = 0; i < s->n_groups; i++) {
        const struct bgnbd_group *g = &s->groups[i];
        double ll = bgnbd_log_survival(m, g->repeats, g->age);
        if (g->repeats > 0.0 && drops)
            ll = log_add_exp(ll, s->dropout[g->repeat_index] +
                                     bgnbd_log_survival(m, g->repeats, g->recency));
        total += g->weight * (s->base[g->repeat_index] + ll);
    }
    return total;
}

/* Which model a fit maximises: the full one or one of its limits. */
struct bgnbd_form {
    enum clv_rate rate;
    enum clv_dropout dropout;
};

static const struct bgnbd_form BGNBD_FULL = {.rate = CLV_RATE_GAMMA, .dropout = CLV_DROPOUT_BETA};

/* The limits, fitted when the full model's likelihood has no maximum at finite parameters. */
static const struct bgnbd_form BGNBD_LIMITS[] = {
    {.rate = CLV_RATE_GAMMA, .dropout = CLV_DROPOUT_NONE},
    {.rate = CLV_RATE_GAMMA, .dropout = CLV_DROPOUT_FIXED},
    {.rate = CLV_RATE_FIXED, .dropout = CLV_DROPOUT_BETA},
    {.rate = CLV_RATE_FIXED, .dropout = CLV_DROPOUT_NONE},
    {.rate = CLV_RATE_FIXED, .dropout = CLV_DROPOUT_FIXED},
};

static size_t bgnbd_dimension(struct bgnbd_form form)
{
    size_t rate = form.rate == CLV_RATE_GAMMA ? 2 : 1;
    return rate + (form.dropout == CLV_DROPOUT_BETA ? 2 : form.dropout == CLV_DROPOUT_FIXED);
}

/*
 * The model at theta, the form's log-parameters in order: log r, log alpha or log lambda, then
 * log a, log b or log(p / (1 - p)) (the limit of log(a / b)), none with no dropout.
 */
static struct clv_bgnbd bgnbd_from_log(struct bgnbd_form form, const double *theta)
{
    struct clv_bgnbd m = {.rate = form.rate, .dropout = form.dropout};
    size_t k = 0;
    if (form.rate == CLV_RATE_GAMMA) {
        m.r = exp(theta[k++]);
        m.alpha = exp(theta[k++]);
    } else {
        m.r = m.alpha = INFINITY;
        m.lambda = exp(theta[k++]);
    }
    if (form.dropout == CLV_DROPOUT_BETA) {
        m.a = exp(theta[k++]);
        m.b = exp(theta[k++]);
    } else {
        m.a = form.dropout == CLV_DROPOUT_NONE ? 0.0 : INFINITY;
        m.b = INFINITY;
        m.p = form.dropout == CLV_DROPOUT_NONE ? 0.0 : 1.0 / (1.0 + exp(-theta[k]));
    }
    return m;
}

/* Where a form's fit starts: r = a = b = 1 and p = 1/2, with alpha at the customers' mean age
 * and lambda its inverse. alpha and lambda carry the time unit, so the start does not depend on
 * whether ages are in weeks or days. */
static void bgnbd_start(struct bgnbd_form form, double mean_age, double *theta)
{
    double log_age = log(mean_age > 0.0 ? mean_age : 1.0);
    size_t k = 0;
    if (form.rate == CLV_RATE_GAMMA) {
        theta[k++] = 0.0;
        theta[k++] = log_age;
    } else {
        theta[k++] = -log_age;
    }
    for (size_t n = bgnbd_dimension(form); k < n; k++)
        theta[k] = 0.0;
}

struct bgnbd_cost_data {
    struct bgnbd_sample *sample;
    struct bgnbd_form form;
};

static double bgnbd_cost(const double *theta, void *data)
{
    struct bgnbd_cost_data *d = data;
    struct clv_bgnbd m = bgnbd_from_log(d->form, theta);
    return -bgnbd_sample_log_likelihood(d->sample, &m);
}

/* One form's fit. */
struct bgnbd_attempt {
    struct clv_bgnbd model;
    double cost; /* negative log-likelihood where the fit stopped, even when it failed */
    unsigned restarts;
    bool unbounded; /* failed because the likelihood has no maximum at finite parameters */
};

static enum fid_status bgnbd_fit_form(struct bgnbd_sample *sample, struct bgnbd_form form,
                                      double mean_age, const struct clv_fit_options *options,
                                      struct bgnbd_attempt *out, unsigned *evaluations,
                                      struct fid_error *err)
{
    double theta[NM_DIM_MAX];
    bgnbd_start(form, mean_age, theta);
    struct bgnbd_cost_data data = {.sample = sample, .form = form};
    struct clv_nm_problem problem = {.dim = bgnbd_dimension(form),
                                     .cost = bgnbd_cost,
                                     .data = &data,
                                     .budget = clv_fit_budget(options)};
    *out = (struct bgnbd_attempt){.cost = HUGE_VAL};
    enum fid_status st = clv_nm_minimise(&problem, theta, &out->cost, &out->restarts, err);
    *evaluations += problem.evaluations;
    out->unbounded = problem.unbounded;
    out->model = bgnbd_from_log(form, theta);
    return st;
}

/* A limit is taken over a full fit that ran off to infinity unless the full model reached a
 * likelihood higher by more than this, relative: it approaches the limit's from below, and the
 * two differ by rounding only (about 1e-13 relative), or by the optimisers' tolerances (1e-10),
 * while a supremum elsewhere (a few came back, the rest never: r -> 0) is higher by whole units. */
#define BGNBD_LIMIT_TOLERANCE 1e-8

/*
 * The best limit whose own optimum checks out, when the full model's likelihood reaches no higher
 * at finite parameters than it; false when there is none.
 */
static bool bgnbd_fit_limits(struct bgnbd_sample *sample, double mean_age,
                             const struct clv_fit_options *options, double full_cost,
                             struct bgnbd_attempt *best, unsigned *evaluations)
{
    bool found = false;
    for (size_t i = 0; i < sizeof BGNBD_LIMITS / sizeof BGNBD_LIMITS[0]; i++) {
        struct bgnbd_attempt limit;
        struct fid_error limit_err;
        if (bgnbd_fit_form(sample, BGNBD_LIMITS[i], mean_age, options, &limit, evaluations,
                           &limit_err) == FID_OK &&
            (!found || limit.cost < best->cost)) {
            *best = limit;
            found = true;
        }
    }
    return found && full_cost >= best->cost - BGNBD_LIMIT_TOLERANCE * (1.0 + fabs(best->cost));
}

enum fid_status clv_bgnbd_fit(const struct clv_customer *customers, size_t n,
                              const struct clv_fit_options *options, struct clv_bgnbd *out,
                              struct clv_fit_report *report, struct fid_error *err)
{
    struct bgnbd_sample sample;
    enum fid_status st = bgnbd_sample_build(customers, n, &sample, err);
    if (st != FID_OK)
        return st;
    double mean_age = 0.0;
    for (size_t i = 0; i < n; i++)
        mean_age += customers[i].age / (double)n;

    struct bgnbd_attempt fit, limit;
    unsigned evaluations = 0;
    st = bgnbd_fit_form(&sample, BGNBD_FULL, mean_age, options, &fit, &evaluations, err);
    /* Only a likelihood that rises for ever sends the fit to the limits: one that did not
     * converge in its budget is an error as it was. */
    if (st != FID_OK && fit.unbounded &&
        bgnbd_fit_limits(&sample, mean_age, options, fit.cost, &limit, &evaluations)) {
        fit = limit;
        st = FID_OK;
    }
    bgnbd_sample_free(&sample);
    if (st != FID_OK)
        return st;
    *out = fit.model;
    if (report != NULL)
        *report = (struct clv_fit_report){.log_likelihood = -fit.cost,
                                          .customers = n,
                                          .evaluations = evaluations,
                                          .restarts = fit.restarts};
    return FID_OK;
}

enum fid_status clv_bgnbd_log_likelihood(const struct clv_bgnbd *model,
                                         const struct clv_customer *customers, size_t n,
                                         double *out, struct fid_error *err)
{
    struct bgnbd_sample sample;
    enum fid_status st = clv_bgnbd_check(model, err);
    if (st == FID_OK)
        st = bgnbd_sample_build(customers, n, &sample, err);
    if (st != FID_OK)
        return st;
    *out = bgnbd_sample_log_likelihood(&sample, model);
    bgnbd_sample_free(&sample);
    return FID_OK;
}

/*
 * P(alive | x, t_x, T) = 1 / (1 + [x > 0] D R): D the odds of dropping out just after a purchase
 * (bgnbd_log_dropout_odds, 0 with no dropout), R how much likelier the silence since the last
 * purchase is for a customer who left: ((alpha + T) / (alpha + t_x))^(r + x) for Gamma rates,
 * e^(lambda (T - t_x)) for a fixed rate.
 */
static double bgnbd_p_alive_at(const struct clv_bgnbd *m, double x, double t_x, double age)
{
    if (!(x > 0.0) || m->dropout == CLV_DROPOUT_NONE)
        return 1.0;
    double log_silence = m->rate == CLV_RATE_FIXED
                             ? m->lambda * (age - t_x)
                             : (m->r + x) * log1p((age - t_x) / (m->alpha + t_x));
    return 1.0 / (1.0 + exp(bgnbd_log_dropout_odds(m, x) + log_silence));
}

enum fid_status clv_bgnbd_p_alive(const struct clv_bgnbd *model,
                                  const struct clv_customer *customer, double *out,
                                  struct fid_error *err)
{
    enum fid_status st = clv_bgnbd_check(model, err);
    if (st == FID_OK)
        st = clv_customer_check(customer, 0, false, false, err);
    if (st != FID_OK)
        return st;
    *out = bgnbd_p_alive_at(model, customer->repeats, customer->recency, customer->age);
    return FID_OK;
}

/*
 * E[Y(t) | x, t_x, T] by the closed form, for a != 1 and a + b + x != 1. Its product
 * ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; c; z), c = a + b + x - 1 and
 * z = t / (alpha + T + t), is taken through Euler's transformation as
 * (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; c; z): for a frequent buyer the first 2F1 is of order
 * 1e40 against a prefactor of 1e-40, and near z = 1 its transformation's terms cancel to nothing,
 * while the second's series has terms of one sign after the first and stays near 1. The series is
 * summed at every z < 1, falling back to the general evaluation when it needs too many terms.
 */
static enum fid_status bgnbd_expected_closed(const struct clv_bgnbd *m, double x, double t_x,
                                             double age, double t, double *out,
                                             struct fid_error *err)
{
    double c = m->a + m->b + x - 1.0, z = t / (m->alpha + age + t);
    double upper = m->a + m->b - 1.0 - m->r, lower = m->a - 1.0;
    struct clv_scaled f = {1.0, 0.0};
    struct fid_error series_err;
    enum fid_status st = FID_OK;
    if (z > 0.0 && clv_hyp2f1_series(upper, lower, c, z, &f, &series_err) != FID_OK)
        st = clv_hyp2f1_scaled(upper, lower, c, z, &f, err);
    if (st != FID_OK)
        return st;
    f.log_scale -= lower * log1p(t / (m->alpha + age)); /* (1 - z)^(a - 1) */
    double expected =
        bgnbd_p_alive_at(m, x, t_x, age) * c / (m->a - 1.0) * (1.0 - clv_scaled_to_double(f));
    if (!isfinite(expected))
        return fid_fail(err, FID_ERR_INTERNAL, "/customer",
                        "expected purchases overflow for this customer and model");
    *out = expected;
    return FID_OK;
}

/* A series of mixed signs whose largest term exceeds its sum by this factor is left to the closed
 * form. */
#define BGNBD_SERIES_CANCELLATION_MAX 1e6

/*
 * E[Y(t) | x, t_x, T] / P(alive) as a series, for c = a + b + x - 1 > 0. With q = r + x and
 * z = t / (alpha + T + t), expanding both the closed form's 1 and its 2F1 in z (the 1 as
 * (1 - z)^q 1F0(q; ; z)) pairs their terms so that they cancel exactly, before rounding:
 *   c (1 - z)^(a - 1) sum_{n >= 1} (a)_{n-1} / n! z^n (1 - R_n),  R_n = prod_{k < n} (1 - q / (c +
 * k)). While the factors are positive, 1 - R_n is -expm1 of a sum of log1p, so no digit is lost to
 * a 1 - f near 0 (f is 1 - 1e-9 when b is 1e7) and nothing is divided by a - 1. When a + b - 1 < r
 * the first factors are negative and the terms may change sign; the series is then refused if they
 * cancel. False also when it needs more than HYP2F1_TERMS_MAX terms (z very near 1).
 */
static bool bgnbd_expected_series(const struct clv_bgnbd *m, double x, double age, double t,
                                  double *out)
{
    double q = m->r + x, c = m->a + m->b + x - 1.0;
    if (!(c > 0.0))
        return false;
    double log_y = -log1p(t / (m->alpha + age)), z = -expm1(log_y); /* y = 1 - z */
    /* the terms fall like n^(a - 2) z^n: give up at once rather than after the whole budget */
    if (exp(log_y) * (double)HYP2F1_TERMS_MAX < 50.0 + 15.0 * m->a)
        return false;
    double sum = 0.0, largest = 0.0, power = z, log_r = 0.0, sign_r = 1.0;
    double settled = q - c; /* the factors are in [0, 1) from k >= settled on */
    for (long n = 1; n <= HYP2F1_TERMS_MAX; n++) {
        double k = (double)(n - 1);
        /* power = (a)_{n-1} / n! z^n; R_n = sign_r exp(log_r) */
        double factor = 1.0 - q / (c + k);
        if (factor < 0.0)
            sign_r = -sign_r;
        log_r += factor > 0.0 ? log1p(-q / (c + k)) : factor < 0.0 ? log(-factor) : -HUGE_VAL;
        double bracket = sign_r > 0.0 ? -expm1(log_r) : 1.0 + exp(log_r);
        double term = power * bracket;
        sum += term;
        largest = fmax(largest, fabs(term));
        double next = k + 1.0;
        double rho = z * fmax(1.0, (m->a + next - 1.0) / (next + 1.0));
        power *= (m->a + next - 1.0) / (next + 1.0) * z;
        /* past the sign changes |R_n| only falls, so |1 - R| stays below 1 + |R_n| and the tail
         * below that times the tail of sum power, whose ratio of consecutive terms falls to z */
        bool converged = power == 0.0 || (next >= settled && rho < 1.0 &&
                                          (1.0 + exp(log_r)) * power / (1.0 - rho) <=
                                              0.5 * DBL_EPSILON * fabs(sum));
        if (converged) {
            if (largest > BGNBD_SERIES_CANCELLATION_MAX * fabs(sum))
                return false;
            *out = c * exp((m->a - 1.0) * log_y) * sum;
            return isfinite(*out);
        }
    }
    return false;
}

/* Within this distance of a = 1 or a + b + x = 1 the closed form is evaluated on either side. */
#define BGNBD_SINGULAR_GAP 1e-5

/*
 * E[Y(t) | x, t_x, T]. At a = 1 (and at a + b + x = 1) the closed form is 0/0 although the
 * expectation is smooth in a, so it is interpolated linearly in a between two points
 * BGNBD_SINGULAR_GAP away: error O(gap^2), against a cancellation of O(DBL_EPSILON / gap).
 */
static enum fid_status bgnbd_expected_full(const struct clv_bgnbd *m, double x, double t_x,
                                           double age, double t, double *out, struct fid_error *err)
{
    double ratio;
    if (bgnbd_expected_series(m, x, age, t, &ratio)) {
        *out = bgnbd_p_alive_at(m, x, t_x, age) * ratio;
        return FID_OK;
    }
    double singular;
    if (fabs(m->a - 1.0) < BGNBD_SINGULAR_GAP)
        singular = 1.0;
    else if (fabs(m->a + m->b + x - 1.0) < BGNBD_SINGULAR_GAP)
        singular = 1.0 - m->b - x;
    else
        return bgnbd_expected_closed(m, x, t_x, age, t, out, err);
    struct clv_bgnbd lo = *m, hi = *m;
    lo.a = singular - BGNBD_SINGULAR_GAP;
    hi.a = singular + BGNBD_SINGULAR_GAP;
    if (lo.a <= 0.0) {
        lo.a = hi.a;
        hi.a = singular + 2.0 * BGNBD_SINGULAR_GAP;
    }
    double e_lo = 0.0, e_hi = 0.0;
    enum fid_status st = bgnbd_expected_closed(&lo, x, t_x, age, t, &e_lo, err);
    if (st == FID_OK)
        st = bgnbd_expected_closed(&hi, x, t_x, age, t, &e_hi, err);
    if (st != FID_OK)
        return st;
    *out = e_lo + (m->a - lo.a) / (hi.a - lo.a) * (e_hi - e_lo);
    return FID_OK;
}

/*
 * E[Y(t) | alive] for a fixed rate and p ~ Beta(a, B), B = b + x: in the next t weeks a customer
 * alive now has Poisson(s) chances to buy, s = lambda t, and takes the j-th one while still alive,
 * with probability E[(1 - p)^j] = (B)_j / (a + B)_j. So
 *   E = sum_m e^-s s^m / m! G_m,  G_m = sum_{j<m} (B)_j / (a + B)_j,
 * the closed form's limit c / (a - 1) [1 - 1F1(a - 1; c; -s)], c = a + B - 1, through Kummer's
 * c / (a - 1) [1 - e^-s 1F1(B; c; s)] with the 1 written as e^-s sum s^m / m! and the two sums
 * paired term by term. Every term is positive, so nothing cancels at any s (the series of 1F1 at
 * -s alternates with terms of e^s), and nothing is divided by a - 1. The Poisson weights are summed
 * from w_0 = 1, renormalised exactly by powers of 2, and the sum divided by theirs: e^-s, which
 * underflows past s = 745, never appears. G's increments fall (by (B + j) / (a + B + j) < 1), so
 * G_{m+1} / G_m <= (m + 1) / m and past m >= s each term is at most s / m of the one before: the
 * tail is below a geometric series, summed until it is below half an ulp. With n terms the result
 * is within about 3 n ulps (positive terms, each from at most 2 n roundings); past HYP2F1_TERMS_MAX
 * terms (s of about 2e6) it is refused.
 */
static enum fid_status fixed_rate_beta_expected(double s, double a, double B, double *out,
                                                struct fid_error *err)
{
    double weights = 1.0, sum = 0.0, weight = 1.0, bought = 0.0, survival = 1.0;
    for (long n = 0; n < HYP2F1_TERMS_MAX; n++) {
        double m = (double)n;
        /* from the weight and G of m to those of m + 1 */
        bought += survival;
        survival *= (B + m) / (a + B + m);
        weight *= s / (m + 1.0);
        weights += weight;
        sum += weight * bought;
        if (weight > ldexp(1.0, SCALE_LIMIT)) {
            weight = ldexp(weight, -SCALE_EXPONENT);
            weights = ldexp(weights, -SCALE_EXPONENT);
            sum = ldexp(sum, -SCALE_EXPONENT);
        }
        double rho = s / (m + 1.0);
        if (rho < 1.0 && weight * bought * rho / (1.0 - rho) <= 0.5 * DBL_EPSILON * sum &&
            weight * rho / (1.0 - rho) <= 0.5 * DBL_EPSILON * weights) {
            *out = sum / weights;
            return FID_OK;
        }
    }
    return fid_fail(err, FID_ERR_LIMIT, "weeks",
                    "expected purchases at lambda t = %g need more than %ld terms", s,
                    HYP2F1_TERMS_MAX);
}

/*
 * E[Y(t) | x, t_x, T] in the model's limits: P(alive) times the mean of (1 - e^(-lambda p t)) / p
 * (lambda t when p = 0), the purchases of a customer alive now with rate lambda and dropout p, over
 * the posterior of those alive: lambda ~ Gamma(r + x, alpha + T) or fixed, p ~ Beta(a, b + x), 0 or
 * fixed. In closed form but for a fixed rate with a Beta dropout:
 *   Gamma rates, no dropout:   (r + x) / (alpha + T) t
 *   Gamma rates, fixed p:      (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p
 *   fixed rate, no dropout:    lambda t
 *   fixed rate, fixed p:       (1 - e^(-lambda p t)) / p
 * each 1 - e^(-u) taken as -expm1(-u), which keeps its digits when u is small.
 */
static enum fid_status bgnbd_expected_limit(const struct clv_bgnbd *m, double x, double t_x,
                                            double age, double t, double *out,
                                            struct fid_error *err)
{
    double alive_purchases = 0.0;
    if (m->rate == CLV_RATE_GAMMA && m->dropout == CLV_DROPOUT_NONE) {
        alive_purchases = (m->r + x) / (m->alpha + age) * t;
    } else if (m->rate == CLV_RATE_GAMMA) {
        alive_purchases = -expm1(-(m->r + x) * log1p(m->p * t / (m->alpha + age))) / m->p;
    } else if (m->dropout == CLV_DROPOUT_NONE) {
        alive_purchases = m->lambda * t;
    } else if (m->dropout == CLV_DROPOUT_FIXED) {
        alive_purchases = -expm1(-m->lambda * m->p * t) / m->p;
    } else {
        enum fid_status st =
            fixed_rate_beta_expected(m->lambda * t, m->a, m->b + x, &alive_purchases, err);
        if (st != FID_OK)
            return st;
    }
    *out = bgnbd_p_alive_at(m, x, t_x, age) * alive_purchases;
    return FID_OK;
}

/* E[Y(t) | x, t_x, T] for the full model or any of its limits. */
enum fid_status clv_bgnbd_expected(const struct clv_bgnbd *m, double x, double t_x, double age,
                                   double t, double *out, struct fid_error *err)
{
    if (m->rate == CLV_RATE_GAMMA && m->dropout == CLV_DROPOUT_BETA)
        return bgnbd_expected_full(m, x, t_x, age, t, out, err);
    return bgnbd_expected_limit(m, x, t_x, age, t, out, err);
}

enum fid_status clv_bgnbd_expected_purchases(const struct clv_bgnbd *model,
                                             const struct clv_customer *customer, double weeks,
                                             double *out, struct fid_error *err)
{
    enum fid_status st = clv_bgnbd_check(model, err);
    if (st == FID_OK)
        st = clv_customer_check(customer, 0, false, false, err);
    if (st == FID_OK)
        st = clv_weeks_check(weeks, "weeks", err);
    if (st != FID_OK)
        return st;
    return clv_bgnbd_expected(model, customer->repeats, customer->recency, customer->age, weeks,
                              out, err);
}

enum fid_status clv_bgnbd_population_purchases(const struct clv_bgnbd *model, double weeks,
                                               double *out, struct fid_error *err)
{
    enum fid_status st = clv_bgnbd_check(model, err);
    if (st == FID_OK)
        st = clv_weeks_check(weeks, "weeks", err);
    if (st != FID_OK)
        return st;
    /* E[X(t)] is the conditional expectation for a customer seen at the first purchase: with
     * x = t_x = T = 0 the closed form above reduces to it exactly. */
    return clv_bgnbd_expected(model, 0.0, 0.0, 0.0, weeks, out, err);
}
