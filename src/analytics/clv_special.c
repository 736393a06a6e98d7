/*
 * The special functions the CLV predictions need: numbers held beyond the double range, the
 * log-gamma function and its differences, and the Gauss hypergeometric function 2F1 by the form
 * that keeps its digits (the series, Pfaff's transformation for z < 0, the 1 - z transformation
 * near 1). Every series is bounded by HYP2F1_TERMS_MAX.
 */
#include "analytics/clv_internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- Numbers beyond the double range ---- */

double clv_scaled_to_double(struct clv_scaled s)
{
    if (s.value == 0.0)
        return 0.0;
    return copysign(exp(log(fabs(s.value)) + s.log_scale), s.value);
}

static struct clv_scaled scaled_mul(struct clv_scaled x, struct clv_scaled y)
{
    return (struct clv_scaled){x.value * y.value, x.log_scale + y.log_scale};
}

static struct clv_scaled scaled_add(struct clv_scaled x, struct clv_scaled y)
{
    if (x.value == 0.0)
        return y;
    if (y.value == 0.0)
        return x;
    double top = fmax(x.log_scale, y.log_scale);
    return (struct clv_scaled){x.value * exp(x.log_scale - top) + y.value * exp(y.log_scale - top),
                               top};
}

/* ---- Gamma function ---- */

double clv_log_gamma(double v)
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
double clv_log_gamma_rise(double v, double x)
{
    if (x == 0.0)
        return 0.0;
    if (v < STIRLING_MIN)
        return clv_log_gamma(v + x) - clv_log_gamma(v);
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
static struct clv_scaled gamma_ratio(double n1, double n2, double d1, double d2, double *rel_err)
{
    *rel_err = 0.0;
    if (is_nonpositive_integer(d1) || is_nonpositive_integer(d2))
        return (struct clv_scaled){0.0, 0.0};
    int s1, s2, s3, s4;
    double l1 = lgamma_r(n1, &s1), l2 = lgamma_r(n2, &s2), l3 = lgamma_r(d1, &s3),
           l4 = lgamma_r(d2, &s4);
    *rel_err = 4.0 * DBL_EPSILON * (fabs(l1) + fabs(l2) + fabs(l3) + fabs(l4) + 4.0);
    return (struct clv_scaled){(double)(s1 * s2 * s3 * s4), l1 + l2 - l3 - l4};
}

/* ---- Gauss hypergeometric function ---- */

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
enum fid_status clv_hyp2f1_series(double a, double b, double c, double z, struct clv_scaled *out,
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
    *out = (struct clv_scaled){sum, log_scale};
    return FID_OK;
}

/*
 * The 1 - z transformation (Abramowitz & Stegun 15.3.6), for z near 1 and c - a - b = m not an
 * integer:
 *   2F1(a, b; c; z) = G(c) G(m) / (G(c-a) G(c-b)) 2F1(a, b; 1-m; 1-z)
 *                   + (1-z)^m G(c) G(-m) / (G(a) G(b)) 2F1(c-a, c-b; 1+m; 1-z).
 */
static enum fid_status hyp2f1_near_one(double a, double b, double c, double z,
                                       struct clv_scaled *out, struct fid_error *err)
{
    double y = 1.0 - z, m = c - a - b, err1, err2;
    struct clv_scaled sum = {0.0, 0.0}, f;
    struct clv_scaled g1 = gamma_ratio(c, m, c - a, c - b, &err1);
    if (g1.value != 0.0) {
        enum fid_status st = clv_hyp2f1_series(a, b, 1.0 - m, y, &f, err);
        if (st != FID_OK)
            return st;
        sum = scaled_mul(g1, f);
    }
    struct clv_scaled g2 = gamma_ratio(c, -m, a, b, &err2);
    err2 += DBL_EPSILON * fabs(m * log(y));
    if (g2.value == 0.0 && err1 > HYP2F1_TRANSFORM_ERR_MAX)
        return fid_fail(err, FID_ERR_INTERNAL, "z",
                        "2F1(%g, %g; %g; %g): the 1 - z transformation's gamma factors are too "
                        "large to be accurate",
                        a, b, c, z);
    if (g2.value != 0.0) {
        enum fid_status st = clv_hyp2f1_series(c - a, c - b, 1.0 + m, y, &f, err);
        if (st != FID_OK)
            return st;
        g2.log_scale += m * log(y);
        struct clv_scaled second = scaled_mul(g2, f);
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
enum fid_status clv_hyp2f1_scaled(double a, double b, double c, double z, struct clv_scaled *out,
                                  struct fid_error *err)
{
    if (z == 0.0) {
        *out = (struct clv_scaled){1.0, 0.0};
        return FID_OK;
    }
    if (is_nonpositive_integer(a) || is_nonpositive_integer(b))
        return clv_hyp2f1_series(a, b, c, z, out, err);
    if (z < 0.0) {
        /* Pfaff: 2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)), with the new
         * argument in (0, 1): no alternating series, and z <= -1 becomes reachable. */
        double w = z / (z - 1.0);
        struct fid_error first_err;
        if (clv_hyp2f1_scaled(a, c - b, c, w, out, &first_err) == FID_OK) {
            out->log_scale -= a * log1p(-z);
            return FID_OK;
        }
        /* The symmetric form: when c - b is large and negative its series alternates and
         * cancels, while c - a may keep every term of one sign. */
        enum fid_status st = clv_hyp2f1_scaled(b, c - a, c, w, out, err);
        if (st == FID_OK)
            out->log_scale -= b * log1p(-z);
        return st;
    }
    double m = c - a - b;
    if (z <= HYP2F1_SERIES_Z_MAX || fabs(m - nearbyint(m)) < HYP2F1_INTEGER_GAP)
        return clv_hyp2f1_series(a, b, c, z, out, err);
    /* With large a and b (a frequent buyer's r + x and b + x) the transformation's two terms are
     * huge and nearly opposite; the series at z, slower there, then keeps every digit (its terms
     * have one sign once a, b and c are positive), and says so when it cannot. */
    struct fid_error near_err;
    if (hyp2f1_near_one(a, b, c, z, out, &near_err) == FID_OK)
        return FID_OK;
    return clv_hyp2f1_series(a, b, c, z, out, err);
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
    struct clv_scaled s;
    enum fid_status st = clv_hyp2f1_scaled(a, b, c, z, &s, err);
    if (st != FID_OK)
        return st;
    double value = clv_scaled_to_double(s);
    if (!isfinite(value))
        return fid_fail(err, FID_ERR_LIMIT, "z", "2F1(%g, %g; %g; %g) exceeds the double range", a,
                        b, c, z);
    *out = value;
    return FID_OK;
}
