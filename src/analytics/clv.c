/*
 * Customer-lifetime value: the BG/NBD and Gamma-Gamma likelihoods, their maximisation, the
 * predictions built on them and the Gauss hypergeometric function those predictions need.
 *
 * Fits work on a private copy of the sample, compressed so that a likelihood evaluation costs one
 * or two logarithms per distinct customer summary: customers with equal (x, t_x, T) are merged
 * with a weight, and every term that depends on x only (the lgamma terms) is computed once per
 * distinct x. The optimiser is Nelder-Mead on the logarithms of the parameters, which keeps them
 * positive and makes scale parameters (alpha, gamma) as easy to move as shape parameters; it is
 * restarted from its own result with a fresh simplex until two runs agree, which guards against
 * the simplex collapsing early. Every loop is bounded: evaluations by the fit's budget, series
 * terms by HYP2F1_TERMS_MAX. A fit's cost is O(customers log customers) for the set-up, then
 * O(distinct summaries) per evaluation: CDNOW's 2,357 customers are about 1,000 summaries.
 *
 * A BG/NBD model has a form: the full model or one of its limits (a fixed rate; no or a fixed
 * dropout). The likelihood, P(alive) and the expected purchases follow the form; the fit tries the
 * limits only when the full model's likelihood has no maximum at finite parameters.
 *
 * lgamma_r rather than lgamma: lgamma writes the global signgam, which would make concurrent fits
 * race.
 */
#include "analytics/clv.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/xalloc.h"

/* Longest field name this module writes into a fid_error ("/customers/<index>/mean_value"). */
#define CLV_FIELD_MAX 64

/* ---- Numbers beyond the double range ---- */

/*
 * A real number held as value * exp(log_scale). Hypergeometric sums for frequent buyers exceed
 * DBL_MAX long before the prefactor that brings them back to a count of purchases is applied.
 */
struct scaled {
    double value;
    double log_scale;
};

/* Sums are renormalised by 2^SCALE_EXPONENT (exactly, with ldexp) when they pass 2^SCALE_LIMIT. */
#define SCALE_EXPONENT 600
#define SCALE_LIMIT    700

static double scaled_to_double(struct scaled s)
{
    if (s.value == 0.0)
        return 0.0;
    return copysign(exp(log(fabs(s.value)) + s.log_scale), s.value);
}

static struct scaled scaled_mul(struct scaled x, struct scaled y)
{
    return (struct scaled){x.value * y.value, x.log_scale + y.log_scale};
}

static struct scaled scaled_add(struct scaled x, struct scaled y)
{
    if (x.value == 0.0)
        return y;
    if (y.value == 0.0)
        return x;
    double top = fmax(x.log_scale, y.log_scale);
    return (struct scaled){x.value * exp(x.log_scale - top) + y.value * exp(y.log_scale - top),
                           top};
}

/* ---- Gamma function ---- */

static double log_gamma(double v)
{
    int sign;
    return lgamma_r(v, &sign);
}

/* From this argument on, log G(v + x) - log G(v) is taken from Stirling's series. */
#define STIRLING_MIN 100.0

/* Stirling's series of log G(z) beyond its leading terms, to z^-7: the next term is below 1e-21 at
 * z >= STIRLING_MIN. */
static double stirling_tail(double z)
{
    double w = 1.0 / (z * z);
    return (1.0 / 12.0 - w * (1.0 / 360.0 - w * (1.0 / 1260.0 - w / 1680.0))) / z;
}

/*
 * log G(v + x) - log G(v) for v > 0, x >= 0. Past STIRLING_MIN, as
 *   (v - 1/2) log1p(x / v) + x log(v + x) - x + tail(v + x) - tail(v),
 * whose terms are of the size of the result: the two log-gammas, each of order v log v, would
 * leave their difference an error of about v log v DBL_EPSILON (5e-5 at v = 1e10), which is what
 * the likelihood would lose along the model's limits.
 */
static double log_gamma_rise(double v, double x)
{
    if (x == 0.0)
        return 0.0;
    if (v < STIRLING_MIN)
        return log_gamma(v + x) - log_gamma(v);
    return (v - 0.5) * log1p(x / v) + x * log(v + x) - x +
           (stirling_tail(v + x) - stirling_tail(v));
}

static bool is_nonpositive_integer(double v)
{
    return v <= 0.0 && v == floor(v);
}

/* Gamma(n1) Gamma(n2) / (Gamma(d1) Gamma(d2)) with its sign; 0 when a denominator is at a pole
 * (1/Gamma vanishes there). The numerators must not be poles. *rel_err bounds its relative error:
 * each log-gamma is good to a few ulps of itself, and at arguments of 1e5 that is 1e-9. */
static struct scaled gamma_ratio(double n1, double n2, double d1, double d2, double *rel_err)
{
    *rel_err = 0.0;
    if (is_nonpositive_integer(d1) || is_nonpositive_integer(d2))
        return (struct scaled){0.0, 0.0};
    int s1, s2, s3, s4;
    double l1 = lgamma_r(n1, &s1), l2 = lgamma_r(n2, &s2), l3 = lgamma_r(d1, &s3),
           l4 = lgamma_r(d2, &s4);
    *rel_err = 4.0 * DBL_EPSILON * (fabs(l1) + fabs(l2) + fabs(l3) + fabs(l4) + 4.0);
    return (struct scaled){(double)(s1 * s2 * s3 * s4), l1 + l2 - l3 - l4};
}

/* ---- Gauss hypergeometric function ---- */

/* Most series terms summed for one 2F1 (the series is used up to z = 1 - 1e-5 or so). */
#define HYP2F1_TERMS_MAX 2000000L
/* The series is used up to this z; above it the 1 - z transformation converges faster. */
#define HYP2F1_SERIES_Z_MAX 0.75
/* Closer than this to an integer, c - a - b makes the 1 - z transformation's two terms cancel
 * (each grows like 1/gap), so the series is summed instead. */
#define HYP2F1_INTEGER_GAP 1e-6
/* A series whose largest term exceeds its sum by this factor has lost too many digits. */
#define HYP2F1_CANCELLATION_MAX 1e6
/* Largest relative error the 1 - z transformation may return: its terms carry the error of their
 * log-gamma prefactors, which a cancellation between them magnifies. */
#define HYP2F1_TRANSFORM_ERR_MAX 1e-9

/*
 * The defining series at |z| < 1, stopped when a rigorous geometric bound on the tail falls
 * below half an ulp of the sum. Once n is past every sign change of the Pochhammer factors, the
 * ratio of consecutive terms beyond n is at most |z| max(1, (a+n)/(c+n)) max(1, (b+n)/(n+1)),
 * because each of those fractions moves monotonically towards 1.
 */
static enum fid_status hyp2f1_series(double a, double b, double c, double z, struct scaled *out,
                                     struct fid_error *err)
{
    double sum = 1.0, term = 1.0, largest = 1.0, log_scale = 0.0;
    double settled = fmax(fmax(-a, -b), fmax(-c, 0.0)) + 1.0;
    for (long n = 0; n < HYP2F1_TERMS_MAX; n++) {
        double k = (double)n;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if (term == 0.0)
            break; /* a or b is a non-positive integer: a polynomial */
        largest = fmax(largest, fabs(term));
        if (fabs(largest) > ldexp(1.0, SCALE_LIMIT)) {
            sum = ldexp(sum, -SCALE_EXPONENT);
            term = ldexp(term, -SCALE_EXPONENT);
            largest = ldexp(largest, -SCALE_EXPONENT);
            log_scale += SCALE_EXPONENT * log(2.0);
        }
        double next = k + 1.0;
        if (next < settled)
            continue;
        double rho =
            fabs(z) * fmax(1.0, (a + next) / (c + next)) * fmax(1.0, (b + next) / (next + 1.0));
        if (rho < 1.0 && fabs(term) * rho / (1.0 - rho) <= 0.5 * DBL_EPSILON * fabs(sum)) {
            term = 0.0;
            break;
        }
    }
    if (term != 0.0)
        return fid_fail(err, FID_ERR_INTERNAL, "z",
                        "2F1(%g, %g; %g; %g): the series did not converge in %ld terms", a, b, c, z,
                        HYP2F1_TERMS_MAX);
    if (largest > HYP2F1_CANCELLATION_MAX * fabs(sum))
        return fid_fail(err, FID_ERR_INTERNAL, "z",
                        "2F1(%g, %g; %g; %g): the series cancels to fewer than 10 digits", a, b, c,
                        z);
    *out = (struct scaled){sum, log_scale};
    return FID_OK;
}

/*
 * The 1 - z transformation (Abramowitz & Stegun 15.3.6), for z near 1 and c - a - b = m not an
 * integer:
 *   2F1(a, b; c; z) = G(c) G(m) / (G(c-a) G(c-b)) 2F1(a, b; 1-m; 1-z)
 *                   + (1-z)^m G(c) G(-m) / (G(a) G(b)) 2F1(c-a, c-b; 1+m; 1-z).
 */
static enum fid_status hyp2f1_near_one(double a, double b, double c, double z, struct scaled *out,
                                       struct fid_error *err)
{
    double y = 1.0 - z, m = c - a - b, err1, err2;
    struct scaled sum = {0.0, 0.0}, f;
    struct scaled g1 = gamma_ratio(c, m, c - a, c - b, &err1);
    if (g1.value != 0.0) {
        enum fid_status st = hyp2f1_series(a, b, 1.0 - m, y, &f, err);
        if (st != FID_OK)
            return st;
        sum = scaled_mul(g1, f);
    }
    struct scaled g2 = gamma_ratio(c, -m, a, b, &err2);
    err2 += DBL_EPSILON * fabs(m * log(y));
    if (g2.value == 0.0 && err1 > HYP2F1_TRANSFORM_ERR_MAX)
        return fid_fail(err, FID_ERR_INTERNAL, "z",
                        "2F1(%g, %g; %g; %g): the 1 - z transformation's gamma factors are too "
                        "large to be accurate",
                        a, b, c, z);
    if (g2.value != 0.0) {
        enum fid_status st = hyp2f1_series(c - a, c - b, 1.0 + m, y, &f, err);
        if (st != FID_OK)
            return st;
        g2.log_scale += m * log(y);
        struct scaled second = scaled_mul(g2, f);
        double larger = fmax(sum.value == 0.0 ? -HUGE_VAL : log(fabs(sum.value)) + sum.log_scale,
                             log(fabs(second.value)) + second.log_scale);
        sum = scaled_add(sum, second);
        if (sum.value == 0.0 ||
            exp(larger - (log(fabs(sum.value)) + sum.log_scale)) * fmax(err1, err2) >
                HYP2F1_TRANSFORM_ERR_MAX)
            return fid_fail(err, FID_ERR_INTERNAL, "z",
                            "2F1(%g, %g; %g; %g): the 1 - z transformation's terms cancel", a, b, c,
                            z);
    }
    *out = sum;
    return FID_OK;
}

/* 2F1 for valid arguments (finite, z < 1, c not a non-positive integer), as a scaled number. */
static enum fid_status hyp2f1_scaled(double a, double b, double c, double z, struct scaled *out,
                                     struct fid_error *err)
{
    if (z == 0.0) {
        *out = (struct scaled){1.0, 0.0};
        return FID_OK;
    }
    if (is_nonpositive_integer(a) || is_nonpositive_integer(b))
        return hyp2f1_series(a, b, c, z, out, err);
    if (z < 0.0) {
        /* Pfaff: 2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)), with the new
         * argument in (0, 1): no alternating series, and z <= -1 becomes reachable. */
        double w = z / (z - 1.0);
        struct fid_error first_err;
        if (hyp2f1_scaled(a, c - b, c, w, out, &first_err) == FID_OK) {
            out->log_scale -= a * log1p(-z);
            return FID_OK;
        }
        /* The symmetric form: when c - b is large and negative its series alternates and
         * cancels, while c - a may keep every term of one sign. */
        enum fid_status st = hyp2f1_scaled(b, c - a, c, w, out, err);
        if (st == FID_OK)
            out->log_scale -= b * log1p(-z);
        return st;
    }
    double m = c - a - b;
    if (z <= HYP2F1_SERIES_Z_MAX || fabs(m - nearbyint(m)) < HYP2F1_INTEGER_GAP)
        return hyp2f1_series(a, b, c, z, out, err);
    /* With large a and b (a frequent buyer's r + x and b + x) the transformation's two terms are
     * huge and nearly opposite; the series at z, slower there, then keeps every digit (its terms
     * have one sign once a, b and c are positive), and says so when it cannot. */
    struct fid_error near_err;
    if (hyp2f1_near_one(a, b, c, z, out, &near_err) == FID_OK)
        return FID_OK;
    return hyp2f1_series(a, b, c, z, out, err);
}

enum fid_status clv_hyp2f1(double a, double b, double c, double z, double *out,
                           struct fid_error *err)
{
    if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z))
        return fid_fail(err, FID_ERR_INPUT, "", "2F1 needs finite arguments");
    if (z >= 1.0)
        return fid_fail(err, FID_ERR_INPUT, "z", "2F1 is evaluated for z < 1, got %g", z);
    if (is_nonpositive_integer(c))
        return fid_fail(err, FID_ERR_INPUT, "c", "2F1 is undefined for c = %g", c);
    struct scaled s;
    enum fid_status st = hyp2f1_scaled(a, b, c, z, &s, err);
    if (st != FID_OK)
        return st;
    double value = scaled_to_double(s);
    if (!isfinite(value))
        return fid_fail(err, FID_ERR_LIMIT, "z", "2F1(%g, %g; %g; %g) exceeds the double range", a,
                        b, c, z);
    *out = value;
    return FID_OK;
}

/* ---- Nelder-Mead on log-parameters ---- */

#define NM_DIM_MAX 4
/* Log-parameters outside [-NM_LOG_BOUND, NM_LOG_BOUND] are infeasible (parameters 1e-13..1e13). */
#define NM_LOG_BOUND 30.0
/* An optimum beyond this is the likelihood running off to a boundary: no finite maximum. */
#define NM_LOG_EDGE 25.0
/* A run has converged when the simplex spans less than NM_XTOL in every log-parameter and its
 * costs differ by less than NM_FTOL relative: 1e-8 is about as tight as a cost summed from
 * thousands of terms can resolve (its rounding noise reaches the curvature term there). */
#define NM_XTOL 1e-8
#define NM_FTOL 1e-12
/* Two consecutive runs that agree this closely end the fit. */
#define NM_RESTART_XTOL 1e-6
#define NM_RESTART_FTOL 1e-10
#define NM_RESTARTS_MAX 30
/* The check of the optimum: a move of the log-parameters, and the least rise of the cost. */
#define NM_PROBE_STEP 1e-2
#define NM_PROBE_RISE 1e-9
/* Initial simplex edge in log-parameters: first run, then each restart. */
#define NM_FIRST_STEP   1.0
#define NM_RESTART_STEP 0.25

struct nm_problem {
    size_t dim;
    double (*cost)(const double *theta, void *data); /* negative log-likelihood */
    void *data;
    unsigned evaluations, budget;
    bool unbounded; /* set when the fit failed because the likelihood has no finite maximum */
};

/* Cost with the infeasible region (outside the box, non-finite likelihood) at +infinity. */
static double nm_cost(struct nm_problem *problem, const double *theta)
{
    problem->evaluations++;
    for (size_t i = 0; i < problem->dim; i++)
        if (!(fabs(theta[i]) <= NM_LOG_BOUND))
            return HUGE_VAL;
    double f = problem->cost(theta, problem->data);
    return isfinite(f) ? f : HUGE_VAL;
}

/*
 * One Nelder-Mead run (reflection 1, expansion 2, contraction 1/2, shrink 1/2) from theta, whose
 * cost is *f, with a simplex of edge step. Leaves the best vertex in theta and *f; false when the
 * evaluation budget ran out first.
 */
static bool nm_run(struct nm_problem *problem, double *theta, double *f, double step)
{
    size_t n = problem->dim;
    double v[NM_DIM_MAX + 1][NM_DIM_MAX], fv[NM_DIM_MAX + 1];
    double centre[NM_DIM_MAX], trial[NM_DIM_MAX], other[NM_DIM_MAX];
    bool converged = false;

    for (size_t i = 0; i <= n; i++) {
        for (size_t j = 0; j < n; j++)
            v[i][j] = theta[j] + (i > 0 && j == i - 1 ? step : 0.0);
        fv[i] = i == 0 ? *f : nm_cost(problem, v[i]);
    }
    while (problem->evaluations < problem->budget) {
        /* order the vertices best first (insertion sort: at most five) */
        for (size_t i = 1; i <= n; i++)
            for (size_t j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
                double t = fv[j];
                fv[j] = fv[j - 1];
                fv[j - 1] = t;
                for (size_t k = 0; k < n; k++) {
                    t = v[j][k];
                    v[j][k] = v[j - 1][k];
                    v[j - 1][k] = t;
                }
            }
        double size = 0.0;
        for (size_t i = 1; i <= n; i++)
            for (size_t k = 0; k < n; k++)
                size = fmax(size, fabs(v[i][k] - v[0][k]));
        if (size <= NM_XTOL && fv[n] - fv[0] <= NM_FTOL * (1.0 + fabs(fv[0]))) {
            converged = true;
            break;
        }

        for (size_t k = 0; k < n; k++) {
            centre[k] = 0.0;
            for (size_t i = 0; i < n; i++)
                centre[k] += v[i][k];
            centre[k] /= (double)n;
            trial[k] = 2.0 * centre[k] - v[n][k];
        }
        double fr = nm_cost(problem, trial);
        double *accept = NULL, f_accept = 0.0;
        if (fr < fv[0]) {
            for (size_t k = 0; k < n; k++)
                other[k] = 3.0 * centre[k] - 2.0 * v[n][k];
            double fe = nm_cost(problem, other);
            accept = fe < fr ? other : trial;
            f_accept = fmin(fe, fr);
        } else if (fr < fv[n - 1]) {
            accept = trial;
            f_accept = fr;
        } else {
            bool outside = fr < fv[n];
            for (size_t k = 0; k < n; k++)
                other[k] = outside ? 0.5 * (centre[k] + trial[k]) : 0.5 * (centre[k] + v[n][k]);
            double fc = nm_cost(problem, other);
            if (outside ? fc <= fr : fc < fv[n]) {
                accept = other;
                f_accept = fc;
            }
        }
        if (accept != NULL) {
            for (size_t k = 0; k < n; k++)
                v[n][k] = accept[k];
            fv[n] = f_accept;
        } else {
            for (size_t i = 1; i <= n; i++) {
                for (size_t k = 0; k < n; k++)
                    v[i][k] = 0.5 * (v[0][k] + v[i][k]);
                fv[i] = nm_cost(problem, v[i]);
            }
        }
    }
    size_t best = 0;
    for (size_t i = 1; i <= n; i++)
        if (fv[i] < fv[best])
            best = i;
    for (size_t k = 0; k < n; k++)
        theta[k] = v[best][k];
    *f = fv[best];
    return converged;
}

/*
 * Whether the point where the runs agreed is a maximum of the likelihood the data identify. When
 * the supremum lies at infinite parameters (nobody bought twice: r -> 0), the cost flattens out
 * and the runs stop wherever its changes fall below their tolerance, so agreement alone proves
 * nothing. A genuine optimum has the cost rise by a resolvable amount when any log-parameter
 * moves by NM_PROBE_STEP either way (CDNOW: by about 1e-2, against a threshold of 1e-5).
 */
static enum fid_status nm_check_optimum(struct nm_problem *problem, const double *theta, double f,
                                        struct fid_error *err)
{
    double tolerance = NM_PROBE_RISE * (1.0 + fabs(f));
    for (size_t k = 0; k < problem->dim; k++) {
        double probe[NM_DIM_MAX], rise = HUGE_VAL;
        for (int side = -1; side <= 1; side += 2) {
            for (size_t j = 0; j < problem->dim; j++)
                probe[j] = theta[j] + (j == k ? side * NM_PROBE_STEP : 0.0);
            rise = fmin(rise, nm_cost(problem, probe) - f);
        }
        if (rise < -tolerance)
            return fid_fail(err, FID_ERR_INTERNAL, "",
                            "the maximum-likelihood fit stopped short of a maximum");
        if (fabs(theta[k]) > NM_LOG_EDGE || rise <= tolerance) {
            problem->unbounded = true;
            return fid_fail(err, FID_ERR_INPUT, "/customers",
                            "the likelihood has no maximum at finite parameters: the sample does "
                            "not identify the model (for instance, nobody bought twice)");
        }
    }
    return FID_OK;
}

/* Minimises the cost from theta, restarting until two consecutive runs agree. */
static enum fid_status nm_minimise(struct nm_problem *problem, double *theta, double *f,
                                   unsigned *restarts, struct fid_error *err)
{
    *f = nm_cost(problem, theta);
    if (*f == HUGE_VAL)
        return fid_fail(err, FID_ERR_INPUT, "/customers",
                        "the likelihood is not finite at the starting parameters");
    double step = NM_FIRST_STEP;
    for (unsigned run = 0; run <= NM_RESTARTS_MAX; run++) {
        double previous[NM_DIM_MAX], f_previous = *f;
        for (size_t k = 0; k < problem->dim; k++)
            previous[k] = theta[k];
        if (!nm_run(problem, theta, f, step))
            return fid_fail(err, FID_ERR_INTERNAL, "",
                            "the maximum-likelihood fit did not converge in %u evaluations",
                            problem->budget);
        double moved = 0.0;
        for (size_t k = 0; k < problem->dim; k++)
            moved = fmax(moved, fabs(theta[k] - previous[k]));
        if (run > 0 && f_previous - *f <= NM_RESTART_FTOL * (1.0 + fabs(*f)) &&
            moved <= NM_RESTART_XTOL) {
            *restarts = run;
            return nm_check_optimum(problem, theta, *f, err);
        }
        step = NM_RESTART_STEP;
    }
    return fid_fail(err, FID_ERR_INTERNAL, "",
                    "the maximum-likelihood fit did not settle in %d restarts", NM_RESTARTS_MAX);
}

static unsigned fit_budget(const struct clv_fit_options *options)
{
    return options != NULL && options->max_evaluations > 0 ? options->max_evaluations
                                                           : CLV_FIT_EVALUATIONS_MAX;
}

/* ---- Input checks ---- */

static void customer_field(char *field, size_t size, size_t index, bool in_list, const char *name)
{
    if (in_list)
        snprintf(field, size, "/customers/%zu/%s", index, name);
    else
        snprintf(field, size, "/customer/%s", name);
}

/* A summary the models accept; with needs_value, also a mean value >= 0 when x >= 1 (0 when the
 * repeat purchases were free or refunded: the spend fit leaves such customers out). */
static enum fid_status customer_check(const struct clv_customer *c, size_t index, bool in_list,
                                      bool needs_value, struct fid_error *err)
{
    char field[CLV_FIELD_MAX];
    if (!isfinite(c->repeats) || c->repeats < 0.0 || c->repeats != floor(c->repeats)) {
        customer_field(field, sizeof field, index, in_list, "repeats");
        return fid_fail(err, FID_ERR_INPUT, field,
                        "repeat purchases must be a whole number >= 0, got %g", c->repeats);
    }
    if (!isfinite(c->age) || c->age < 0.0) {
        customer_field(field, sizeof field, index, in_list, "age");
        return fid_fail(err, FID_ERR_INPUT, field, "age must be >= 0 weeks, got %g", c->age);
    }
    if (!isfinite(c->recency) || c->recency < 0.0 || c->recency > c->age) {
        customer_field(field, sizeof field, index, in_list, "recency");
        return fid_fail(err, FID_ERR_INPUT, field,
                        "recency must be between 0 and the age (%g weeks), got %g", c->age,
                        c->recency);
    }
    if (needs_value && c->repeats >= 1.0 && !(isfinite(c->mean_value) && c->mean_value >= 0.0)) {
        customer_field(field, sizeof field, index, in_list, "mean_value");
        return fid_fail(err, FID_ERR_INPUT, field,
                        "the mean value of repeat purchases must be >= 0, got %g", c->mean_value);
    }
    return FID_OK;
}

static enum fid_status customers_check(const struct clv_customer *customers, size_t n,
                                       bool needs_value, struct fid_error *err)
{
    if (customers == NULL || n == 0)
        return fid_fail(err, FID_ERR_INPUT, "/customers", "no customers");
    if (n > CLV_CUSTOMERS_MAX)
        return fid_fail(err, FID_ERR_LIMIT, "/customers", "%zu customers, at most %u", n,
                        CLV_CUSTOMERS_MAX);
    for (size_t i = 0; i < n; i++) {
        enum fid_status st = customer_check(&customers[i], i, true, needs_value, err);
        if (st != FID_OK)
            return st;
    }
    return FID_OK;
}

static enum fid_status parameter_check(double value, const char *field, struct fid_error *err)
{
    if (!(isfinite(value) && value > 0.0))
        return fid_fail(err, FID_ERR_INPUT, field, "model parameters must be > 0, got %g", value);
    return FID_OK;
}

/* The rate's parameters: r and alpha for Gamma rates, lambda for a fixed one. */
static enum fid_status bgnbd_rate_check(const struct clv_bgnbd *m, struct fid_error *err)
{
    switch (m->rate) {
    case CLV_RATE_GAMMA: {
        enum fid_status st = parameter_check(m->r, "/model/r", err);
        return st == FID_OK ? parameter_check(m->alpha, "/model/alpha", err) : st;
    }
    case CLV_RATE_FIXED:
        return parameter_check(m->lambda, "/model/lambda", err);
    }
    return fid_fail(err, FID_ERR_INPUT, "/model/rate", "unknown purchase-rate model %d",
                    (int)m->rate);
}

/* The dropout's parameters: a and b for a Beta dropout, 0 < p < 1 for a fixed one. */
static enum fid_status bgnbd_dropout_check(const struct clv_bgnbd *m, struct fid_error *err)
{
    switch (m->dropout) {
    case CLV_DROPOUT_BETA: {
        enum fid_status st = parameter_check(m->a, "/model/a", err);
        return st == FID_OK ? parameter_check(m->b, "/model/b", err) : st;
    }
    case CLV_DROPOUT_NONE:
        return FID_OK;
    case CLV_DROPOUT_FIXED:
        if (!(m->p > 0.0 && m->p < 1.0))
            return fid_fail(err, FID_ERR_INPUT, "/model/p",
                            "a fixed dropout probability must be between 0 and 1, got %g", m->p);
        return FID_OK;
    }
    return fid_fail(err, FID_ERR_INPUT, "/model/dropout", "unknown dropout model %d",
                    (int)m->dropout);
}

static enum fid_status bgnbd_check(const struct clv_bgnbd *m, struct fid_error *err)
{
    enum fid_status st = bgnbd_rate_check(m, err);
    return st == FID_OK ? bgnbd_dropout_check(m, err) : st;
}

static enum fid_status gamma_gamma_check(const struct clv_gamma_gamma *m, struct fid_error *err)
{
    enum fid_status st = parameter_check(m->q, "/model/q", err);
    if (st == FID_OK && m->fixed_values)
        return parameter_check(m->scale, "/model/scale", err);
    if (st == FID_OK)
        st = parameter_check(m->p, "/model/p", err);
    if (st == FID_OK)
        st = parameter_check(m->gamma, "/model/gamma", err);
    return st;
}

static enum fid_status weeks_check(double weeks, const char *field, struct fid_error *err)
{
    if (!isfinite(weeks) || weeks < 0.0)
        return fid_fail(err, FID_ERR_INPUT, field, "weeks must be >= 0, got %g", weeks);
    if (weeks > CLV_HORIZON_WEEKS_MAX)
        return fid_fail(err, FID_ERR_LIMIT, field, "%g weeks is beyond the limit of %g", weeks,
                        CLV_HORIZON_WEEKS_MAX);
    return FID_OK;
}

static int compare_doubles(double x, double y)
{
    return (x > y) - (x < y);
}

/* ---- BG/NBD ---- */

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
    int order = compare_doubles(g->repeats, h->repeats);
    if (order == 0)
        order = compare_doubles(g->recency, h->recency);
    return order != 0 ? order : compare_doubles(g->age, h->age);
}

static void bgnbd_sample_free(struct bgnbd_sample *s)
{
    free(s->groups);
    free(s->repeats);
    free(s->base);
    free(s->dropout);
}

/* Compresses checked customers into groups; the sample is freed with bgnbd_sample_free. */
static void bgnbd_sample_build(const struct clv_customer *customers, size_t n,
                               struct bgnbd_sample *s)
{
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
    double base = m->rate == CLV_RATE_GAMMA ? log_gamma_rise(m->r, x) - x * log(m->alpha)
                                            : x * log(m->lambda);
    if (m->dropout == CLV_DROPOUT_BETA)
        base += log_gamma_rise(m->b, x) - log_gamma_rise(m->a + m->b, x);
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
    struct nm_problem problem = {.dim = bgnbd_dimension(form),
                                 .cost = bgnbd_cost,
                                 .data = &data,
                                 .budget = fit_budget(options)};
    *out = (struct bgnbd_attempt){.cost = HUGE_VAL};
    enum fid_status st = nm_minimise(&problem, theta, &out->cost, &out->restarts, err);
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
    enum fid_status st = customers_check(customers, n, false, err);
    if (st != FID_OK)
        return st;
    struct bgnbd_sample sample;
    bgnbd_sample_build(customers, n, &sample);
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
    enum fid_status st = bgnbd_check(model, err);
    if (st == FID_OK)
        st = customers_check(customers, n, false, err);
    if (st != FID_OK)
        return st;
    struct bgnbd_sample sample;
    bgnbd_sample_build(customers, n, &sample);
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
    enum fid_status st = bgnbd_check(model, err);
    if (st == FID_OK)
        st = customer_check(customer, 0, false, false, err);
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
    struct scaled f = {1.0, 0.0};
    struct fid_error series_err;
    enum fid_status st = FID_OK;
    if (z > 0.0 && hyp2f1_series(upper, lower, c, z, &f, &series_err) != FID_OK)
        st = hyp2f1_scaled(upper, lower, c, z, &f, err);
    if (st != FID_OK)
        return st;
    f.log_scale -= lower * log1p(t / (m->alpha + age)); /* (1 - z)^(a - 1) */
    double expected =
        bgnbd_p_alive_at(m, x, t_x, age) * c / (m->a - 1.0) * (1.0 - scaled_to_double(f));
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
static enum fid_status bgnbd_expected(const struct clv_bgnbd *m, double x, double t_x, double age,
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
    enum fid_status st = bgnbd_check(model, err);
    if (st == FID_OK)
        st = customer_check(customer, 0, false, false, err);
    if (st == FID_OK)
        st = weeks_check(weeks, "weeks", err);
    if (st != FID_OK)
        return st;
    return bgnbd_expected(model, customer->repeats, customer->recency, customer->age, weeks, out,
                          err);
}

enum fid_status clv_bgnbd_population_purchases(const struct clv_bgnbd *model, double weeks,
                                               double *out, struct fid_error *err)
{
    enum fid_status st = bgnbd_check(model, err);
    if (st == FID_OK)
        st = weeks_check(weeks, "weeks", err);
    if (st != FID_OK)
        return st;
    /* E[X(t)] is the conditional expectation for a customer seen at the first purchase: with
     * x = t_x = T = 0 the closed form above reduces to it exactly. */
    return bgnbd_expected(model, 0.0, 0.0, 0.0, weeks, out, err);
}

/* ---- Gamma-Gamma ---- */

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
    return compare_doubles(g->repeats, h->repeats);
}

static void spend_sample_free(struct spend_sample *s)
{
    free(s->rows);
    free(s->repeats);
    free(s->log_repeats);
    free(s->base);
}

/* The checked customers with x >= 1 and a positive mean value: the model's values are Gamma
 * distributed, so a mean of 0 has no density (its log is -inf) and would make the whole sample's
 * likelihood vanish; such customers are left out of the fit, as the `lifetimes` library requires.
 * FID_ERR_INPUT when none is left. */
static enum fid_status spend_sample_build(const struct clv_customer *customers, size_t n,
                                          struct spend_sample *s, struct fid_error *err)
{
    *s = (struct spend_sample){0};
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
    double total = (double)s->n_rows * (q * log(scale) - log_gamma(q));
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
    double common = -log_gamma(m->q) + m->q * log(m->gamma);
    for (size_t k = 0; k < s->n_repeats; k++) {
        double px = m->p * s->repeats[k];
        s->base[k] = common + log_gamma(px + m->q) - log_gamma(px) + px * s->log_repeats[k];
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
    enum fid_status st = customers_check(customers, n, true, err);
    if (st != FID_OK)
        return st;
    struct spend_sample sample;
    st = spend_sample_build(customers, n, &sample, err);
    if (st != FID_OK)
        return st;

    /* Start at p = 1, q = 2, where the population mean value p gamma / (q - 1) is gamma, and put
     * gamma at the sample's mean value: gamma carries the currency unit. */
    double mean_value = 0.0;
    for (size_t i = 0; i < sample.n_rows; i++)
        mean_value += sample.rows[i].value / (double)sample.n_rows;
    double theta[NM_DIM_MAX] = {0.0, log(2.0), log(mean_value)};
    struct nm_problem problem = {
        .dim = 3, .cost = spend_cost, .data = &sample, .budget = fit_budget(options)};
    double cost;
    unsigned restarts = 0;
    st = nm_minimise(&problem, theta, &cost, &restarts, err);

    /* A shop whose customers buy the same basket each time has the likelihood rise for ever in p
     * (the fit does not converge, or stops at a p of millions): its supremum is the fixed-values
     * limit, fitted on its own from q = 2 and the scale at the mean value. The limit is taken when
     * the model reached no higher likelihood at finite p, within the rounding of log G(p x + q) -
     * log G(p x) at such p; else the model's own result stands. */
    double limit[NM_DIM_MAX] = {log(2.0), log(mean_value)};
    struct nm_problem limit_problem = {
        .dim = 2, .cost = fixed_values_cost, .data = &sample, .budget = fit_budget(options)};
    double limit_cost;
    unsigned limit_restarts = 0;
    struct fid_error limit_err;
    bool take_limit =
        nm_minimise(&limit_problem, limit, &limit_cost, &limit_restarts, &limit_err) == FID_OK &&
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
    enum fid_status st = gamma_gamma_check(model, err);
    if (st == FID_OK)
        st = customers_check(customers, n, true, err);
    if (st != FID_OK)
        return st;
    struct spend_sample sample;
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
    enum fid_status st = gamma_gamma_check(model, err);
    if (st == FID_OK)
        st = customer_check(customer, 0, false, true, err);
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

/* ---- Lifetime value ---- */

enum fid_status clv_customer_value(const struct clv_bgnbd *purchases,
                                   const struct clv_gamma_gamma *spend,
                                   const struct clv_customer *customer, double horizon_weeks,
                                   double weekly_discount, double *out, struct fid_error *err)
{
    double value;
    enum fid_status st = clv_gamma_gamma_expected_value(spend, customer, &value, err);
    if (st == FID_OK)
        st = bgnbd_check(purchases, err);
    if (st == FID_OK)
        st = weeks_check(horizon_weeks, "horizon_weeks", err);
    if (st != FID_OK)
        return st;
    if (!(weekly_discount >= 0.0 && weekly_discount <= 1.0))
        return fid_fail(err, FID_ERR_INPUT, "weekly_discount",
                        "the weekly discount rate must be between 0 and 1, got %g",
                        weekly_discount);

    double x = customer->repeats, t_x = customer->recency, age = customer->age;
    double purchases_total = 0.0;
    if (weekly_discount == 0.0) {
        st = bgnbd_expected(purchases, x, t_x, age, horizon_weeks, &purchases_total, err);
    } else {
        double before = 0.0, factor = 1.0;
        for (double week = 1.0; week - 1.0 < horizon_weeks; week += 1.0) {
            double upto;
            st = bgnbd_expected(purchases, x, t_x, age, fmin(week, horizon_weeks), &upto, err);
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
