/*
 * Predictive customer-lifetime value (CLV) for the analytics layer. Two probability models are
 * fitted by maximum likelihood to a per-customer summary of the calibration period:
 *
 * - BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive, a
 *   customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each purchase the
 *   customer drops out with probability p ~ Beta(a, b). It predicts how many purchases follow.
 * - Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): the value of each purchase is
 *   Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer. It predicts what a purchase is worth.
 *
 * Time is in weeks everywhere and values are doubles: this is analytics, never a balance. Pure
 * computation: no I/O and no global state, so every function is re-entrant and thread-safe.
 * Arguments are borrowed; results come back through out-parameters, which are written only on
 * FID_OK. Invalid data returns FID_ERR_INPUT with err->field naming it ("/customers/12/recency").
 */
#ifndef FIDELE_ANALYTICS_CLV_H
#define FIDELE_ANALYTICS_CLV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Most customers a fit accepts: the fit allocates a few doubles per customer. */
#define CLV_CUSTOMERS_MAX 10000000u
/* Longest horizon for expected purchases and CLV, in weeks (about 100 years). */
#define CLV_HORIZON_WEEKS_MAX 5200.0
/* Default budget of likelihood evaluations for one fit, over all optimiser restarts. */
#define CLV_FIT_EVALUATIONS_MAX 60000u

/*
 * One customer's summary of the calibration period, which ends at the same date for everyone.
 * repeats is a whole number; 0 <= recency <= age; recency is ignored when repeats is 0.
 */
struct clv_customer {
    double repeats;    /* x: purchases after the first one */
    double recency;    /* t_x: weeks from the first purchase to the last repeat purchase */
    double age;        /* T: weeks from the first purchase to the end of the period */
    double mean_value; /* mean value of the repeat purchases (>= 0 if repeats >= 1); Gamma-Gamma */
};

/* How purchase rates vary across customers. */
enum clv_rate {
    CLV_RATE_GAMMA, /* lambda ~ Gamma(shape r, rate alpha) */
    CLV_RATE_FIXED, /* every customer buys at the same rate lambda */
};

/* How customers drop out: just after each repeat purchase, with probability p. */
enum clv_dropout {
    CLV_DROPOUT_BETA,  /* p ~ Beta(a, b) */
    CLV_DROPOUT_NONE,  /* p = 0: nobody drops out (the NBD model) */
    CLV_DROPOUT_FIXED, /* every customer has the same p */
};

/*
 * BG/NBD parameters: purchase rate ~ Gamma(shape r, rate alpha), dropout ~ Beta(a, b), all > 0.
 * A zero-initialised rate and dropout are these, the full model.
 *
 * Where the likelihood rises for ever towards one of the model's limits, the fit takes the limit,
 * a model in its own right, and says which:
 * - rate CLV_RATE_FIXED, the limit r, alpha -> infinity with r / alpha = lambda held: r and alpha
 *   are INFINITY; lambda (> 0, purchases a week) is read only then, and is 0 otherwise;
 * - dropout CLV_DROPOUT_NONE, the limit a -> 0 (or b -> infinity with a / b -> 0): a is 0, b is
 *   INFINITY and p is 0;
 * - dropout CLV_DROPOUT_FIXED, the limit a, b -> infinity with a / (a + b) = p held: a and b are
 *   INFINITY and 0 < p < 1 is read only then (p is 0 with a Beta dropout).
 * Both limits at once are models too: a fixed rate with no dropout is the Poisson model.
 */
struct clv_bgnbd {
    double r, alpha, a, b;
    enum clv_rate rate;
    double lambda;
    enum clv_dropout dropout;
    double p;
};

/*
 * Gamma-Gamma parameters, all > 0: purchase value ~ Gamma(p, nu), nu ~ Gamma(q, gamma).
 *
 * With fixed_values, the model's limit as p grows with p gamma held (the likelihood of a shop whose
 * customers buy the same basket each time rises without bound in p): a customer's purchases are
 * all worth the customer's own mean, and those means are InverseGamma(q, scale) across customers,
 * scale being the limit of p gamma. p is then INFINITY and gamma 0; scale is read only then.
 */
struct clv_gamma_gamma {
    double p, q, gamma;
    bool fixed_values;
    double scale;
};

/* Optional settings of a fit; NULL or zero fields mean the defaults. */
struct clv_fit_options {
    unsigned max_evaluations; /* likelihood evaluations over all restarts; 0: default */
};

/* What a fit did. */
struct clv_fit_report {
    double log_likelihood; /* at the estimates, summed over the customers used */
    size_t customers;      /* customers the likelihood covers (Gamma-Gamma: x >= 1, mean > 0) */
    unsigned evaluations;  /* likelihood evaluations spent */
    unsigned restarts;     /* Nelder-Mead restarts after the first run */
};

/* ---- BG/NBD: purchase counts ---- */

/*
 * Maximum-likelihood estimates of r, alpha, a, b from n customers (Nelder-Mead on the logarithms of
 * the parameters, restarted from its own result until two runs agree). report may be NULL. When
 * the likelihood has no maximum at finite parameters, the limits are fitted too (each on its own
 * log-parameters, the log-odds for a fixed p) and the one with the highest likelihood whose own
 * maximum checks out is returned, its form in out->rate and out->dropout, provided the full model
 * reached no higher likelihood; report->log_likelihood is then the limit's.
 * FID_ERR_INPUT: no customers, a bad customer, or a sample whose likelihood has no maximum at
 * finite parameters in the model nor in any limit (e.g. nobody bought twice). FID_ERR_LIMIT:
 * n > CLV_CUSTOMERS_MAX. FID_ERR_INTERNAL: no convergence within the evaluation budget (each fit
 * has its own).
 */
enum fid_status clv_bgnbd_fit(const struct clv_customer *customers, size_t n,
                              const struct clv_fit_options *options, struct clv_bgnbd *out,
                              struct clv_fit_report *report, struct fid_error *err) FID_MUST_USE;

/* Log-likelihood of the n customers' (repeats, recency, age) under model, of any form, summed
 * (natural log). */
enum fid_status clv_bgnbd_log_likelihood(const struct clv_bgnbd *model,
                                         const struct clv_customer *customers, size_t n,
                                         double *out, struct fid_error *err) FID_MUST_USE;

/*
 * P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)).
 * The model lets customers drop out only just after a purchase, so this is exactly 1 when x = 0.
 * In the limits a / (b + x - 1) becomes p / (1 - p) (fixed dropout) or 0 (none, P(alive) = 1), and
 * the power e^(lambda (T - t_x)) (fixed rate).
 */
enum fid_status clv_bgnbd_p_alive(const struct clv_bgnbd *model,
                                  const struct clv_customer *customer, double *out,
                                  struct fid_error *err) FID_MUST_USE;

/*
 * E[Y(t) | x, t_x, T]: purchases expected from the customer in the next t weeks,
 *   P(alive) (a + b + x - 1) / (a - 1)
 *     [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T
 * + t))] (at a = 1, where the formula is 0/0, by interpolation across the removable singularity).
 * In the limits, P(alive) times, with c = a + b + x - 1 and s = lambda t:
 *   Gamma rates, no dropout    (r + x) / (alpha + T) t
 *   Gamma rates, fixed p       (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p
 *   fixed rate, Beta dropout   c / (a - 1) [1 - 1F1(a - 1; c; -s)], summed as a series of n
 *                              positive terms, n about s + 9 sqrt(s) + 10 (relative error below
 *                              3 n ulps; FID_ERR_LIMIT beyond 2e6 terms, s near 2e6)
 *   fixed rate, no dropout     lambda t
 *   fixed rate, fixed p        (1 - e^(-lambda p t)) / p
 * 0 <= t <= CLV_HORIZON_WEEKS_MAX, else FID_ERR_INPUT / FID_ERR_LIMIT.
 */
enum fid_status clv_bgnbd_expected_purchases(const struct clv_bgnbd *model,
                                             const struct clv_customer *customer, double weeks,
                                             double *out, struct fid_error *err) FID_MUST_USE;

/*
 * E[X(t)]: purchases expected in the first t weeks after a customer's first purchase,
 *   (a + b - 1) / (a - 1) [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t))],
 * and in the limits E[Y(t)] above at x = t_x = T = 0.
 */
enum fid_status clv_bgnbd_population_purchases(const struct clv_bgnbd *model, double weeks,
                                               double *out, struct fid_error *err) FID_MUST_USE;

/* ---- Gamma-Gamma: value per purchase ---- */

/*
 * Maximum-likelihood estimates of p, q, gamma from the customers with repeats >= 1 and a
 * mean_value > 0 (the others are skipped: a mean of 0, free or refunded repeat purchases, has no
 * density under the model). The fixed-values limit is fitted too (q and scale), and taken when the
 * model reaches no higher likelihood at finite p. Errors as clv_bgnbd_fit; FID_ERR_INPUT also when
 * no such customer is left or a repeat customer's mean_value is negative or not finite.
 */
enum fid_status clv_gamma_gamma_fit(const struct clv_customer *customers, size_t n,
                                    const struct clv_fit_options *options,
                                    struct clv_gamma_gamma *out, struct clv_fit_report *report,
                                    struct fid_error *err) FID_MUST_USE;

/* Log-likelihood of the mean values of the customers the fit uses (repeats >= 1, mean > 0); with
 * fixed_values, the InverseGamma(q, scale) log density of those means. */
enum fid_status clv_gamma_gamma_log_likelihood(const struct clv_gamma_gamma *model,
                                               const struct clv_customer *customers, size_t n,
                                               double *out, struct fid_error *err) FID_MUST_USE;

/*
 * E[value of a purchase | x, mean_value] = p (gamma + x mean_value) / (p x + q - 1): a weighted
 * average of the population mean p gamma / (q - 1) and the customer's own mean, the own mean
 * weighing p x / (p x + q - 1). A repeat customer whose mean is 0 gets the same average with an
 * own mean of 0, p gamma / (p x + q - 1), as `lifetimes` predicts for them. Needs p x + q > 1
 * (q > 1 for x = 0, whose mean_value is ignored), else FID_ERR_INPUT: infinite mean. With
 * fixed_values (p infinite) the own mean weighs everything: mean_value when x >= 1, and the
 * population mean scale / (q - 1) when x = 0.
 */
enum fid_status clv_gamma_gamma_expected_value(const struct clv_gamma_gamma *model,
                                               const struct clv_customer *customer, double *out,
                                               struct fid_error *err) FID_MUST_USE;

/* ---- Lifetime value ---- */

/*
 * Expected value of the customer's purchases over the next H = horizon_weeks weeks, discounted at
 * d = weekly_discount per week (0: none):
 *   CLV = V * sum_{k=1..ceil(H)} (E[Y(min(k, H))] - E[Y(k - 1)]) / (1 + d)^k
 * with E[Y(t)] from clv_bgnbd_expected_purchases and V from clv_gamma_gamma_expected_value: each
 * week's expected purchases are valued at the end of that week. With d = 0 the sum telescopes to
 * V E[Y(H)]. Needs 0 <= H <= CLV_HORIZON_WEEKS_MAX and 0 <= d <= 1.
 */
enum fid_status clv_customer_value(const struct clv_bgnbd *purchases,
                                   const struct clv_gamma_gamma *spend,
                                   const struct clv_customer *customer, double horizon_weeks,
                                   double weekly_discount, double *out,
                                   struct fid_error *err) FID_MUST_USE;

/* ---- Special function ---- */

/*
 * Gauss hypergeometric function 2F1(a, b; c; z) for real parameters and real z < 1: the series
 * for 0 <= z <= 0.75, Pfaff's transformation for z < 0 and the 1 - z transformation near 1.
 * FID_ERR_INPUT: z >= 1, a non-finite argument, or c a non-positive integer. FID_ERR_LIMIT: the
 * value does not fit a double. FID_ERR_INTERNAL: the series did not converge or lost precision.
 */
enum fid_status clv_hyp2f1(double a, double b, double c, double z, double *out,
                           struct fid_error *err) FID_MUST_USE;

#endif
