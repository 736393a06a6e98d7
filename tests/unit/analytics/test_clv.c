/*
 * analytics/clv: the BG/NBD and Gamma-Gamma fits against the published estimates on the CDNOW
 * sample (Fader, Hardie & Lee 2005), the hypergeometric function against closed forms and against
 * its Euler integral, the expected-purchase closed form against a quadrature of the model itself
 * (no 2F1), the shape of the predictions, and the input errors. Independent numbers come from
 * tanh-sinh quadrature written here, which handles the endpoint singularities of both integrals.
 * The CDNOW file comes from FIDELE_SHARED_DATA (set by tests/CMakeLists.txt); the tests that need
 * it skip, saying so, when it is absent.
 */
#include "../unit_support.h"

#include <math.h>
#include <time.h>

#include "analytics/clv.h"

#ifndef FIDELE_SHARED_DATA
#error "FIDELE_SHARED_DATA must name the shared data folder (see tests/CMakeLists.txt)"
#endif

#define CDNOW_PATH         FIDELE_SHARED_DATA "/cdnow/cdnow_customers_summary_with_transactions.csv"
#define CDNOW_CUSTOMERS    2357
#define CDNOW_REPEATERS    946
#define CDNOW_LINE_MAX     256
#define CDNOW_CUSTOMER_MAX 10000

/* Published estimates (SOURCE.md beside the data), each checked within 1%. */
static const struct clv_bgnbd PUBLISHED_BGNBD = {
    .r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};
static const double PUBLISHED_BGNBD_LL = -9582.4;
static const struct clv_gamma_gamma PUBLISHED_SPEND = {.p = 6.25, .q = 3.74, .gamma = 15.44};

/* The sample, loaded once by the group set-up; NULL when the file is absent. */
struct cdnow {
    struct clv_customer *customers;
    size_t n;
};

static struct cdnow *cdnow;

/* ---- Helpers ---- */

#define UNIT_CLOSE(label, got, want, rel)                                                          \
    unit_close((label), #got, (got), (want), (rel), __FILE__, __LINE__)

static void unit_close(const char *label, const char *expr, double got, double want, double rel,
                       const char *file, int line)
{
    if (!(fabs(got - want) <= rel * fabs(want))) {
        print_error("[%s] %s is %.17g, expected %.17g within %g relative (off by %.3g)\n", label,
                    expr, got, want, rel, fabs(got - want) / fabs(want));
        _fail(file, line);
    }
}

static void unit_ok(const char *label, enum fid_status st, const struct fid_error *err)
{
    if (st != FID_OK) {
        print_error("[%s] failed: %s: %s (%s)\n", label, fid_status_name(st), err->message,
                    err->field);
        fail();
    }
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const struct cdnow *cdnow_or_skip(void)
{
    if (cdnow == NULL) {
        print_message("SKIPPED: the CDNOW sample is absent at %s (CI checks shared/ out beside the "
                      "repository)\n",
                      CDNOW_PATH);
        skip();
    }
    return cdnow;
}

static struct clv_customer customer(double x, double t_x, double age, double mean_value)
{
    return (struct clv_customer){x, t_x, age, mean_value};
}

/* ---- The CDNOW file ---- */

static bool parse_field(char **cursor, double *out)
{
    char *end;
    *out = strtod(*cursor, &end);
    if (end == *cursor || (*end != ',' && *end != '\n' && *end != '\r' && *end != '\0'))
        return false;
    *cursor = *end == ',' ? end + 1 : end;
    return true;
}

static int cdnow_load(void **state)
{
    (void)state;
    FILE *file = fopen(CDNOW_PATH, "r");
    if (file == NULL)
        return 0; /* the tests that need it skip */
    cdnow = xcalloc(1, sizeof *cdnow);
    cdnow->customers = xcalloc(CDNOW_CUSTOMER_MAX, sizeof *cdnow->customers);
    char line[CDNOW_LINE_MAX];
    bool ok = fgets(line, sizeof line, file) != NULL && strncmp(line, "ID,x,t_x,T,zbar", 15) == 0;
    while (ok && fgets(line, sizeof line, file) != NULL) {
        bool whole = strchr(line, '\n') != NULL || feof(file); /* else longer than CDNOW_LINE_MAX */
        struct clv_customer *c = &cdnow->customers[cdnow->n];
        char *cursor = line;
        double id;
        ok = whole && cdnow->n < CDNOW_CUSTOMER_MAX && parse_field(&cursor, &id) &&
             parse_field(&cursor, &c->repeats) && parse_field(&cursor, &c->recency) &&
             parse_field(&cursor, &c->age) && parse_field(&cursor, &c->mean_value);
        if (ok)
            cdnow->n++;
    }
    fclose(file);
    if (!ok) {
        print_error("%s: unreadable line %zu\n", CDNOW_PATH, cdnow->n + 1);
        return -1;
    }
    return 0;
}

static int cdnow_free(void **state)
{
    (void)state;
    if (cdnow != NULL)
        free(cdnow->customers);
    free(cdnow);
    cdnow = NULL;
    return 0;
}

/* ---- Tanh-sinh quadrature on (0, 1) ---- */

/* The integrand gets s and 1 - s separately, so that both endpoints keep full precision. */
typedef double (*unit_integrand)(double s, double rest, const void *params);

/* Integral over (0, 1) with step h in the tanh-sinh variable u, |u| <= 6.5: s = 1 / (1 + e^-2v),
 * v = (pi / 2) sinh u, ds = pi cosh u s (1 - s) du. */
static double tanh_sinh(unit_integrand f, const void *params, double h)
{
    const double pi = 3.14159265358979323846;
    long last = (long)ceil(6.5 / h);
    double sum = 0.0;
    for (long k = -last; k <= last; k++) {
        double u = (double)k * h, v = 0.5 * pi * sinh(u);
        double s = 1.0 / (1.0 + exp(-2.0 * v)), rest = 1.0 / (1.0 + exp(2.0 * v));
        if (s == 0.0 || rest == 0.0)
            continue;
        sum += pi * cosh(u) * s * rest * f(s, rest, params);
    }
    return sum * h;
}

/* The quadrature at h and h / 2 must agree, or it is no oracle. */
static double integral(unit_integrand f, const void *params)
{
    double coarse = tanh_sinh(f, params, 1.0 / 32.0), fine = tanh_sinh(f, params, 1.0 / 64.0);
    UNIT_CLOSE("quadrature converged", coarse, fine, 1e-11);
    return fine;
}

struct hyp2f1_args {
    double a, b, c, z;
};

/* Euler: 2F1(a, b; c; z) = G(c) / (G(b) G(c - b)) int s^(b-1) (1-s)^(c-b-1) (1-zs)^-a ds, c > b > 0
 */
static double euler_integrand(double s, double rest, const void *params)
{
    const struct hyp2f1_args *p = params;
    return exp(lgamma(p->c) - lgamma(p->b) - lgamma(p->c - p->b) + (p->b - 1.0) * log(s) +
               (p->c - p->b - 1.0) * log(rest) - p->a * log1p(-p->z * s));
}

static double hyp2f1_euler(double a, double b, double c, double z)
{
    struct hyp2f1_args args = {a, b, c, z};
    return integral(euler_integrand, &args);
}

struct posterior_args {
    struct clv_bgnbd m;
    double x, age, t;
};

/*
 * Given alive at T, a BG/NBD customer has lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x)
 * independently, and E[Y(t) | lambda, p, alive] = (1 - exp(-lambda p t)) / p. Integrating lambda
 * out leaves this density over p.
 */
static double posterior_integrand(double p, double rest, const void *params)
{
    const struct posterior_args *q = params;
    double bx = q->m.b + q->x;
    double log_density = (q->m.a - 1.0) * log(p) + (bx - 1.0) * log(rest) -
                         (lgamma(q->m.a) + lgamma(bx) - lgamma(q->m.a + bx));
    double bought = -expm1(-(q->m.r + q->x) * log1p(p * q->t / (q->m.alpha + q->age)));
    return exp(log_density) * bought / p;
}

/* E[Y(t) | x, t_x, T] without any hypergeometric function: P(alive) times the integral above. */
static double expected_by_quadrature(const struct clv_bgnbd *m, double x, double t_x, double age,
                                     double t)
{
    struct posterior_args args = {*m, x, age, t};
    double p_alive = 1.0;
    if (x > 0)
        p_alive = 1.0 / (1.0 + m->a / (m->b + x - 1.0) *
                                   pow((m->alpha + age) / (m->alpha + t_x), m->r + x));
    return p_alive * integral(posterior_integrand, &args);
}

/* ---- 2F1 ---- */

struct closed_case {
    const char *label;
    double a, b, c, z, want;
};

static void test_hyp2f1_closed_forms(void **state)
{
    (void)state;
    /* 2F1(-3, 2.5; 1.5; z) is a cubic: sum over n of (-3)_n (2.5)_n / ((1.5)_n n!) z^n */
    double zc = 0.9;
    double cubic = 1.0 - 3.0 * 2.5 / 1.5 * zc + 3.0 * 2.5 * 3.5 / (1.5 * 2.5) * zc * zc -
                   2.5 * 3.5 * 4.5 / (1.5 * 2.5 * 3.5) * zc * zc * zc;
    const struct closed_case cases[] = {
        /* -ln(1 - z) / z; c - a - b = 0 is an integer: the series, even near 1 */
        {"log z=0.3", 1, 1, 2, 0.3, -log1p(-0.3) / 0.3},
        {"log z=0.9", 1, 1, 2, 0.9, -log1p(-0.9) / 0.9},
        {"log z=0.999", 1, 1, 2, 0.999, -log1p(-0.999) / 0.999},
        {"log z=-0.5", 1, 1, 2, -0.5, -log1p(0.5) / -0.5},
        {"log z=-5", 1, 1, 2, -5, -log1p(5.0) / -5.0},
        /* (1 - z)^-a: 1 / G(c - b) = 0 in the 1 - z transformation */
        {"power z=0.5", 0.5, 1.7, 1.7, 0.5, pow(0.5, -0.5)},
        {"power z=0.9", 0.5, 1.7, 1.7, 0.9, pow(0.1, -0.5)},
        {"power z=0.9999", 2.25, 1.7, 1.7, 0.9999, pow(1e-4, -2.25)},
        {"power z=-9", 0.5, 1.7, 1.7, -9, pow(10.0, -0.5)},
        /* arcsin(w) / w at z = w^2; c - a - b = 1/2: the 1 - z transformation */
        {"arcsin z=0.81", 0.5, 0.5, 1.5, 0.81, asin(0.9) / 0.9},
        {"arcsin z=0.99", 0.5, 0.5, 1.5, 0.99, asin(sqrt(0.99)) / sqrt(0.99)},
        /* arctan(w) / w at z = -w^2: Pfaff */
        {"arctan z=-0.25", 0.5, 1, 1.5, -0.25, atan(0.5) / 0.5},
        {"arctan z=-9", 0.5, 1, 1.5, -9, atan(3.0) / 3.0},
        {"arctan z=-1e6", 0.5, 1, 1.5, -1e6, atan(1e3) / 1e3},
        /* a polynomial, and z = 0 */
        {"cubic", -3, 2.5, 1.5, zc, cubic},
        {"zero", 3.3, -4.1, 0.7, 0.0, 1.0},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        const struct closed_case *c = &cases[i];
        double got = NAN;
        struct fid_error err;
        unit_ok(c->label, clv_hyp2f1(c->a, c->b, c->c, c->z, &got, &err), &err);
        UNIT_CLOSE(c->label, got, c->want, 1e-12);
    }
}

/* The parameters of the expected-purchase formula, at every branch of the evaluation, against the
 * Euler integral (with a and b swapped so that c > b > 0: a + b - 1 - r > 0 here). */
static void test_hyp2f1_euler_integral(void **state)
{
    (void)state;
    const struct clv_bgnbd *m = &PUBLISHED_BGNBD;
    const double xs[] = {0, 2, 20};
    const double zs[] = {-3.0, -0.4, 0.1, 0.474, 0.75, 0.8, 0.95, 0.995};
    for (size_t i = 0; i < N_ELEMENTS(xs); i++)
        for (size_t j = 0; j < N_ELEMENTS(zs); j++) {
            double x = xs[i], z = zs[j];
            double a = m->b + x, b = m->r + x, c = m->a + m->b + x - 1.0, got = NAN;
            char label[64];
            snprintf(label, sizeof label, "x=%g z=%g", x, z);
            struct fid_error err;
            unit_ok(label, clv_hyp2f1(a, b, c, z, &got, &err), &err);
            UNIT_CLOSE(label, got, hyp2f1_euler(a, b, c, z), 1e-10);
        }
}

/* Values from 50-digit arithmetic (mpmath) where the 1 - z transformation's two terms nearly cancel
 * and carry the error of large log-gamma prefactors, and where Pfaff's first form alternates. */
static void test_hyp2f1_high_precision(void **state)
{
    (void)state;
    const struct closed_case cases[] = {
        {"transform cancels", 232.5070531072145, 164.70008386559016, 364.0069125091663,
         0.9944825395520189, 7.913510391914259932733408e+140},
        {"transform cancels, b < 0", 363.2134300746276, -0.9533461735631467, 371.26166021653626,
         0.9730404050023937, 5.533560543490018365748634e-2},
        {"pfaff's series cancels", 86.93778752557007, 382.7694831571107, 275.8231510752557,
         -0.5829018249371236, 1.7587686152353786578e-23},
        {"series cancels near 0", 18.8036933528198, 273.68636343863244, 0.5921677100663949,
         -0.01934759050882562, 3.8197206476537636596e-2},
        {"pfaff alternates", 0.05575069564657507, 84.684339332088, 0.04489846794883305,
         -2.0254165809122195, -1.760783990615858944634769e-1},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        const struct closed_case *c = &cases[i];
        double got = NAN;
        struct fid_error err;
        unit_ok(c->label, clv_hyp2f1(c->a, c->b, c->c, c->z, &got, &err), &err);
        UNIT_CLOSE(c->label, got, c->want, 1e-10);
    }
    /* Gamma factors near 1e6 are good to 1e-9 only and cancel by 1e9 here: an error is acceptable,
     * a wrong value is not (it came back as 1.8e217). */
    double got = NAN;
    struct fid_error err;
    if (clv_hyp2f1(4.095102514951289, 269039.53581243585, 269039.5358780158, 0.9981941922751517,
                   &got, &err) == FID_OK)
        UNIT_CLOSE("large gamma factors", got, 1.714790917788259576421298e+11, 1e-8);
}

static void test_hyp2f1_rejects(void **state)
{
    (void)state;
    double out = 42.0;
    struct fid_error err;
    UNIT_EQ_ERROR("z = 1", clv_hyp2f1(1, 1, 2, 1.0, &out, &err), err, FID_ERR_INPUT, "z");
    UNIT_EQ_ERROR("z > 1", clv_hyp2f1(1, 1, 2, 1.5, &out, &err), err, FID_ERR_INPUT, "z");
    UNIT_EQ_ERROR("c = 0", clv_hyp2f1(1, 1, 0, 0.5, &out, &err), err, FID_ERR_INPUT, "c");
    UNIT_EQ_ERROR("c = -2", clv_hyp2f1(1, 1, -2, 0.5, &out, &err), err, FID_ERR_INPUT, "c");
    UNIT_EQ_ERROR("nan", clv_hyp2f1(NAN, 1, 2, 0.5, &out, &err), err, FID_ERR_INPUT, "");
    UNIT_EQ_ERROR("overflow", clv_hyp2f1(400.5, 400, 1, 0.999, &out, &err), err, FID_ERR_LIMIT,
                  "z");
    assert_true(out == 42.0);
}

/* ---- Fits on CDNOW ---- */

static void test_bgnbd_cdnow_fit(void **state)
{
    (void)state;
    const struct cdnow *data = cdnow_or_skip();
    UNIT_EQ_INT("customers", data->n, CDNOW_CUSTOMERS);

    struct clv_bgnbd m;
    struct clv_fit_report report;
    struct fid_error err;
    double start = seconds_now();
    unit_ok("fit", clv_bgnbd_fit(data->customers, data->n, NULL, &m, &report, &err), &err);
    double elapsed = seconds_now() - start;
    print_message("BG/NBD fit in %.3f s (%u evaluations, %u restarts): r = %.5f, alpha = %.5f, "
                  "a = %.5f, b = %.5f, log-likelihood = %.4f\n",
                  elapsed, report.evaluations, report.restarts, m.r, m.alpha, m.a, m.b,
                  report.log_likelihood);
    UNIT_CLOSE("r", m.r, PUBLISHED_BGNBD.r, 0.01);
    UNIT_CLOSE("alpha", m.alpha, PUBLISHED_BGNBD.alpha, 0.01);
    UNIT_CLOSE("a", m.a, PUBLISHED_BGNBD.a, 0.01);
    UNIT_CLOSE("b", m.b, PUBLISHED_BGNBD.b, 0.01);
    UNIT_CLOSE("log-likelihood", report.log_likelihood, PUBLISHED_BGNBD_LL, 0.01);
    UNIT_EQ_INT("customers used", report.customers, CDNOW_CUSTOMERS);

    /* the published point, rounded to three decimals, is within rounding of the maximum */
    double ll_published = 0.0, ll_fitted = 0.0;
    unit_ok(
        "ll",
        clv_bgnbd_log_likelihood(&PUBLISHED_BGNBD, data->customers, data->n, &ll_published, &err),
        &err);
    unit_ok("ll", clv_bgnbd_log_likelihood(&m, data->customers, data->n, &ll_fitted, &err), &err);
    UNIT_CLOSE("ll at the estimates", ll_fitted, report.log_likelihood, 1e-12);
    UNIT_CLOSE("ll at the published point", ll_published, PUBLISHED_BGNBD_LL, 1e-5);
    assert_true(ll_fitted >= ll_published);
    /* it is a maximum: moving any parameter by 1% lowers the likelihood */
    for (int k = 0; k < 8; k++) {
        struct clv_bgnbd moved = m;
        double *param[] = {&moved.r, &moved.alpha, &moved.a, &moved.b};
        *param[k / 2] *= k % 2 ? 1.01 : 0.99;
        double ll = 0.0;
        unit_ok("ll", clv_bgnbd_log_likelihood(&moved, data->customers, data->n, &ll, &err), &err);
        assert_true(ll < ll_fitted);
    }
}

static void test_gamma_gamma_cdnow_fit(void **state)
{
    (void)state;
    const struct cdnow *data = cdnow_or_skip();
    struct clv_gamma_gamma m;
    struct clv_fit_report report;
    struct fid_error err;
    double start = seconds_now();
    unit_ok("fit", clv_gamma_gamma_fit(data->customers, data->n, NULL, &m, &report, &err), &err);
    double elapsed = seconds_now() - start;
    print_message("Gamma-Gamma fit in %.3f s (%u evaluations, %u restarts): p = %.5f, q = %.5f, "
                  "gamma = %.5f, log-likelihood = %.4f\n",
                  elapsed, report.evaluations, report.restarts, m.p, m.q, m.gamma,
                  report.log_likelihood);
    UNIT_EQ_INT("customers used", report.customers, CDNOW_REPEATERS);
    UNIT_CLOSE("p", m.p, PUBLISHED_SPEND.p, 0.01);
    UNIT_CLOSE("q", m.q, PUBLISHED_SPEND.q, 0.01);
    UNIT_CLOSE("gamma", m.gamma, PUBLISHED_SPEND.gamma, 0.01);
    double ll_published = 0.0;
    unit_ok("ll",
            clv_gamma_gamma_log_likelihood(&PUBLISHED_SPEND, data->customers, data->n,
                                           &ll_published, &err),
            &err);
    assert_true(report.log_likelihood >= ll_published);
}

/* A repeat customer whose repeat purchases were worth 0 (free, or refunded) has no density under
 * the spend model: the fit leaves them out, as `lifetimes` does, and stays that of the others. */
static void test_gamma_gamma_cdnow_zero_value(void **state)
{
    (void)state;
    const struct cdnow *data = cdnow_or_skip();
    struct clv_customer *more = xmalloc((data->n + 2) * sizeof *more);
    memcpy(more, data->customers, data->n * sizeof *more);
    more[data->n] = customer(1, 4.14, 34.86, 0); /* a free repeat order */
    more[data->n + 1] = customer(3, 20, 30, 0);  /* three refunded ones */
    struct clv_gamma_gamma alone, with_zeros;
    struct clv_fit_report report;
    struct fid_error err;
    unit_ok("alone", clv_gamma_gamma_fit(data->customers, data->n, NULL, &alone, NULL, &err), &err);
    unit_ok("with zeros", clv_gamma_gamma_fit(more, data->n + 2, NULL, &with_zeros, &report, &err),
            &err);
    free(more);
    UNIT_EQ_INT("customers used", report.customers, CDNOW_REPEATERS);
    UNIT_CLOSE("p", with_zeros.p, alone.p, 1e-9);
    UNIT_CLOSE("q", with_zeros.q, alone.q, 1e-9);
    UNIT_CLOSE("gamma", with_zeros.gamma, alone.gamma, 1e-9);
    UNIT_CLOSE("published p", with_zeros.p, PUBLISHED_SPEND.p, 0.01);
    UNIT_CLOSE("published q", with_zeros.q, PUBLISHED_SPEND.q, 0.01);
    UNIT_CLOSE("published gamma", with_zeros.gamma, PUBLISHED_SPEND.gamma, 0.01);
}

/* The same without the data: a synthetic sample, then zeros added, then only zeros. */
static void test_gamma_gamma_zero_value(void **state)
{
    (void)state;
    enum { N = 60 };
    struct clv_customer sample[N + 3];
    for (size_t i = 0; i < N; i++)
        sample[i] = customer((double)(1 + i % 5), 10, 40,
                             12.0 + 3.0 * (double)((i * 37) % 11) + 0.5 * (double)(i % 7));
    sample[N] = customer(1, 5, 40, 0);
    sample[N + 1] = customer(0, 0, 40, 0);
    sample[N + 2] = customer(4, 30, 40, 0);
    struct clv_gamma_gamma alone, with_zeros;
    struct clv_fit_report report;
    struct fid_error err;
    unit_ok("alone", clv_gamma_gamma_fit(sample, N, NULL, &alone, NULL, &err), &err);
    unit_ok("with zeros", clv_gamma_gamma_fit(sample, N + 3, NULL, &with_zeros, &report, &err),
            &err);
    UNIT_EQ_INT("customers used", report.customers, N);
    UNIT_CLOSE("p", with_zeros.p, alone.p, 1e-9);
    UNIT_CLOSE("q", with_zeros.q, alone.q, 1e-9);
    UNIT_CLOSE("gamma", with_zeros.gamma, alone.gamma, 1e-9);
    double ll_alone = NAN, ll_zeros = NAN;
    unit_ok("ll", clv_gamma_gamma_log_likelihood(&alone, sample, N, &ll_alone, &err), &err);
    unit_ok("ll", clv_gamma_gamma_log_likelihood(&alone, sample, N + 3, &ll_zeros, &err), &err);
    UNIT_CLOSE("the likelihood covers the same customers", ll_zeros, ll_alone, 1e-12);
    /* only zeros: nothing to fit, said so */
    UNIT_EQ_ERROR("only zeros", clv_gamma_gamma_fit(sample + N, 3, NULL, &alone, NULL, &err), err,
                  FID_ERR_INPUT, "/customers");
    assert_non_null(strstr(err.message, "value above 0"));
}

/*
 * Customers who buy the same basket each time: their mean values spread alike whatever their
 * number of purchases, so the likelihood rises for ever in p and the fit takes the fixed-values
 * limit, means InverseGamma(q, scale). Checked against that limit's own optimum (the scale
 * q n / sum(1/m) given q, and no better q nearby), against the model at finite p, and in its
 * predictions: a customer's own mean, scale / (q - 1) for one who never came back.
 */
static void test_gamma_gamma_fixed_values(void **state)
{
    (void)state;
    enum { N = 200 };
    struct clv_customer sample[N];
    double inverse_sum = 0.0;
    for (size_t i = 0; i < N; i++) {
        /* means from 3.5 to about 40, the same spread for each number of repeats */
        double mean = 3.5 + 36.0 / (1.0 + (double)((i * 53) % 97)) + 0.25 * (double)(i % 13);
        sample[i] = customer((double)(1 + (i / 7) % 12), 10, 40, mean);
        inverse_sum += 1.0 / mean;
    }
    struct clv_gamma_gamma m;
    struct clv_fit_report report;
    struct fid_error err;
    unit_ok("fit", clv_gamma_gamma_fit(sample, N, NULL, &m, &report, &err), &err);
    assert_true(m.fixed_values);
    assert_true(isinf(m.p) && m.gamma == 0.0);
    UNIT_EQ_INT("customers used", report.customers, N);
    UNIT_CLOSE("scale at its optimum given q", m.scale, m.q * N / inverse_sum, 1e-6);
    double ll = NAN;
    unit_ok("ll", clv_gamma_gamma_log_likelihood(&m, sample, N, &ll, &err), &err);
    UNIT_CLOSE("reported log-likelihood", report.log_likelihood, ll, 1e-12);
    for (int side = -1; side <= 1; side += 2) {
        struct clv_gamma_gamma moved = m;
        moved.q *= 1.0 + side * 1e-3;
        moved.scale = moved.q * N / inverse_sum;
        double other = NAN;
        unit_ok("ll", clv_gamma_gamma_log_likelihood(&moved, sample, N, &other, &err), &err);
        assert_true(other < ll);
    }
    /* the model at finite p stays below its limit, and reaches it as p grows */
    double previous = -HUGE_VAL;
    for (double p = 10.0; p <= 1e5; p *= 10.0) {
        struct clv_gamma_gamma finite = {.p = p, .q = m.q, .gamma = m.scale / p};
        double at_p = NAN;
        unit_ok("ll", clv_gamma_gamma_log_likelihood(&finite, sample, N, &at_p, &err), &err);
        assert_true(at_p < ll && at_p > previous);
        previous = at_p;
    }
    UNIT_CLOSE("p = 1e5 is the limit", previous, ll, 1e-5);

    double value = NAN;
    unit_ok("own", clv_gamma_gamma_expected_value(&m, &sample[3], &value, &err), &err);
    UNIT_CLOSE("a repeat customer's own mean", value, sample[3].mean_value, 1e-15);
    struct clv_customer silent = customer(0, 0, 40, 0);
    unit_ok("x=0", clv_gamma_gamma_expected_value(&m, &silent, &value, &err), &err);
    UNIT_CLOSE("the population mean", value, m.scale / (m.q - 1.0), 1e-15);
    struct clv_gamma_gamma heavy = m;
    heavy.q = 0.9;
    UNIT_EQ_ERROR("infinite mean", clv_gamma_gamma_expected_value(&heavy, &silent, &value, &err),
                  err, FID_ERR_INPUT, "/model/q");
    heavy = m;
    heavy.scale = 0.0;
    UNIT_EQ_ERROR("bad scale", clv_gamma_gamma_expected_value(&heavy, &silent, &value, &err), err,
                  FID_ERR_INPUT, "/model/scale");
}

/* The fits do not depend on the units: in days alpha is 7 times larger, in cents gamma is 100
 * times larger, and the shape parameters stay (the starts carry the units, so this also shows
 * the optimiser reaches the same maximum from another start). */
static void test_fits_follow_the_units(void **state)
{
    (void)state;
    const struct cdnow *data = cdnow_or_skip();
    struct clv_customer *scaled = xmalloc(data->n * sizeof *scaled);
    for (size_t i = 0; i < data->n; i++) {
        const struct clv_customer *c = &data->customers[i];
        scaled[i] = customer(c->repeats, 7.0 * c->recency, 7.0 * c->age, 100.0 * c->mean_value);
    }
    struct clv_bgnbd weeks, days;
    struct clv_gamma_gamma units, cents;
    struct fid_error err;
    unit_ok("weeks", clv_bgnbd_fit(data->customers, data->n, NULL, &weeks, NULL, &err), &err);
    unit_ok("days", clv_bgnbd_fit(scaled, data->n, NULL, &days, NULL, &err), &err);
    unit_ok("units", clv_gamma_gamma_fit(data->customers, data->n, NULL, &units, NULL, &err), &err);
    unit_ok("cents", clv_gamma_gamma_fit(scaled, data->n, NULL, &cents, NULL, &err), &err);
    free(scaled);
    UNIT_CLOSE("r", days.r, weeks.r, 1e-5);
    UNIT_CLOSE("alpha", days.alpha, 7.0 * weeks.alpha, 1e-5);
    UNIT_CLOSE("a", days.a, weeks.a, 1e-5);
    UNIT_CLOSE("b", days.b, weeks.b, 1e-5);
    UNIT_CLOSE("p", cents.p, units.p, 1e-5);
    UNIT_CLOSE("q", cents.q, units.q, 1e-5);
    UNIT_CLOSE("gamma", cents.gamma, 100.0 * units.gamma, 1e-5);
}

/* ---- BG/NBD predictions ---- */

/* CDNOW customer 1 (x = 2, t_x = 30.43, T = 38.86), next 39 weeks, published parameters. */
static void test_expected_purchases_known_value(void **state)
{
    (void)state;
    const struct clv_bgnbd *m = &PUBLISHED_BGNBD;
    struct clv_customer c = customer(2, 30.43, 38.86, 0);
    double got = NAN;
    struct fid_error err;
    unit_ok("expected", clv_bgnbd_expected_purchases(m, &c, 39, &got, &err), &err);
    print_message("E[Y(39) | x=2, t_x=30.43, T=38.86] = %.12f\n", got);

    /* 1: the closed form with 2F1 from its Euler integral (2F1 symmetric in a and b) */
    double x = 2, t_x = 30.43, age = 38.86, t = 39;
    double z = t / (m->alpha + age + t);
    double f = hyp2f1_euler(m->b + x, m->r + x, m->a + m->b + x - 1.0, z);
    double p_alive =
        1.0 / (1.0 + m->a / (m->b + x - 1.0) * pow((m->alpha + age) / (m->alpha + t_x), m->r + x));
    double by_euler = p_alive * (m->a + m->b + x - 1.0) / (m->a - 1.0) *
                      (1.0 - pow((m->alpha + age) / (m->alpha + age + t), m->r + x) * f);
    UNIT_CLOSE("against the Euler integral", got, by_euler, 1e-6);
    /* 2: the model's own expectation integrated over the dropout probability, no 2F1 at all */
    UNIT_CLOSE("against the posterior quadrature", got, expected_by_quadrature(m, x, t_x, age, t),
               1e-6);
    /* 3: this implementation's value, pinned (it rounds to 1.226) */
    UNIT_CLOSE("regression value", got, 1.2260281748, 1e-9);
}

/* Values from 50-digit arithmetic (mpmath) of the closed form where 1 - (1 - z)^(r + x) 2F1 is
 * near 0: b of millions (it is 1 - 1e-9 there), with a = 1 or within 1e-8 of it, and a + b - 1 < r.
 * They came back as 0 or off by 1e15. */
static void test_expected_purchases_high_precision(void **state)
{
    (void)state;
    /* r, alpha, a, b; x, t_x, T; t; E[Y(t)] */
    const double cases[][9] = {
        {0.028427160751329936, 0.11627210157993993, 1.0, 2865373.3633201383, 0, 67.78008597307345,
         164.18678464257547, 0.02482245142025353, 4.2946968287100646342e-6},
        {1.1109380664666866, 0.018135188164308865, 0.9999999854344318, 5087326.50672516, 7,
         158.70706043236953, 158.70706043236953, 0.00035549272205452636, 1.8165854977273375254e-5},
        {1.3561476469248117, 0.03922492803636903, 1.0, 0.6100675036813681, 0, 103.51450970172229,
         134.60259207909124, 0.007133230984133173, 7.1844985822173211725e-5},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        const double *v = cases[i];
        struct clv_bgnbd m = {.r = v[0], .alpha = v[1], .a = v[2], .b = v[3]};
        struct clv_customer c = customer(v[4], v[5], v[6], 0);
        char label[32];
        snprintf(label, sizeof label, "case %zu", i);
        double got = NAN;
        struct fid_error err;
        unit_ok(label, clv_bgnbd_expected_purchases(&m, &c, v[7], &got, &err), &err);
        UNIT_CLOSE(label, got, v[8], 1e-10);
    }
    /* At 1 - z below 1e-5 the series would need more terms than it is allowed: an error is
     * acceptable, a wrong value is not (they came back off by 1e10 and 1e19). */
    const double near_one[][9] = {
        {0.010649251732288121, 0.001380016330615213, 1.2007024434144866, 4702496.755911302, 1, 0, 0,
         175.5328997204315, 124584.68243492100854},
        {0.010404633806603832, 0.01106083659024569, 0.44516282973784493, 9757455.960577134, 1,
         0.0005451933665923303, 0.005609195433273756, 2718.783600400987, 163587.16709199902918},
    };
    for (size_t i = 0; i < N_ELEMENTS(near_one); i++) {
        const double *v = near_one[i];
        struct clv_bgnbd m = {.r = v[0], .alpha = v[1], .a = v[2], .b = v[3]};
        struct clv_customer c = customer(v[4], v[5], v[6], 0);
        double got = NAN;
        struct fid_error err;
        if (clv_bgnbd_expected_purchases(&m, &c, v[7], &got, &err) == FID_OK)
            UNIT_CLOSE("z near 1", got, v[8], 1e-8);
    }
}

/* A café's fit (the demo's year to 2026-06-01): regulars buying every few days, b large. Its
 * 2F1(r + x, b + x; a + b + x - 1; z) is of order 1e45 at z = 0.75, where the 1 - z
 * transformation's two terms cancel: the predictions were 7e16 purchases a year. */
static const struct clv_bgnbd CAFE_BGNBD = {.r = 0.48665390510323564,
                                            .alpha = 0.29223075733669157,
                                            .a = 0.7170861527142649,
                                            .b = 105.45903171917506};

/* The closed form against the quadrature where the evaluation is hardest: z near 1, huge x,
 * a just under 1 and a = 1 exactly (the removable singularity), a café's frequent buyers. */
static void test_expected_purchases_against_quadrature(void **state)
{
    (void)state;
    struct clv_bgnbd unit_a = PUBLISHED_BGNBD, near_a = PUBLISHED_BGNBD;
    unit_a.a = 1.0;
    near_a.a = 1.0 - 3e-6;
    const struct {
        const char *label;
        const struct clv_bgnbd *m;
        double x, t_x, age, t;
    } cases[] = {
        {"new customer, 100 years", &PUBLISHED_BGNBD, 0, 0, 0, 5200},
        {"x=0 T=38.86, 10 years", &PUBLISHED_BGNBD, 0, 0, 38.86, 520},
        {"x=5, 2 years", &PUBLISHED_BGNBD, 5, 20, 30, 104},
        {"x=300 weekly buyer", &PUBLISHED_BGNBD, 300, 99.5, 100, 26},
        {"x=300 weekly buyer, 100 years", &PUBLISHED_BGNBD, 300, 99.5, 100, 5200},
        {"a = 1", &unit_a, 2, 30.43, 38.86, 39},
        {"a = 1 - 3e-6", &near_a, 2, 30.43, 38.86, 39},
        {"a = 1, new customer", &unit_a, 0, 0, 0, 52},
        {"cafe regular, x=73 in 17 weeks", &CAFE_BGNBD, 73, 16.142857142857142, 16.714285714285715,
         52},
        {"cafe regular, x=35", &CAFE_BGNBD, 35, 16, 16.428571428571427, 52},
        {"cafe, x=5 lapsing", &CAFE_BGNBD, 5, 10, 14.142857142857142, 52},
        {"cafe, new customer", &CAFE_BGNBD, 0, 0, 0, 52},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct clv_customer c = customer(cases[i].x, cases[i].t_x, cases[i].age, 0);
        double got = NAN;
        struct fid_error err;
        unit_ok(cases[i].label,
                clv_bgnbd_expected_purchases(cases[i].m, &c, cases[i].t, &got, &err), &err);
        double want =
            expected_by_quadrature(cases[i].m, cases[i].x, cases[i].t_x, cases[i].age, cases[i].t);
        UNIT_CLOSE(cases[i].label, got, want, 1e-8);
    }
}

/* The café's regulars against values computed apart with 50-digit arithmetic (mpmath's hyp2f1
 * in the closed form): 155.56 and 87.10 purchases in the next year, not 7e16. */
static void test_expected_purchases_frequent_buyers(void **state)
{
    (void)state;
    const struct {
        double x, t_x, age, want;
    } cases[] = {
        {73, 16.142857142857142, 16.714285714285715, 155.56272087193434},
        {35, 16, 16.428571428571427, 87.103954265553998},
        {5, 10, 14.142857142857142, 17.707160632214279},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct clv_customer c = customer(cases[i].x, cases[i].t_x, cases[i].age, 0);
        double got = NAN;
        struct fid_error err;
        unit_ok("expected", clv_bgnbd_expected_purchases(&CAFE_BGNBD, &c, 52, &got, &err), &err);
        UNIT_CLOSE("against 50 digits", got, cases[i].want, 1e-11);
    }
}

static void test_p_alive(void **state)
{
    (void)state;
    const struct clv_bgnbd *m = &PUBLISHED_BGNBD;
    struct fid_error err;
    double p = NAN;
    /* BG/NBD lets customers drop out only just after a purchase: with no repeat purchase the
     * formula's second term is absent and P(alive) is exactly 1, at any age. */
    const double ages[] = {0, 1, 38.86, 500};
    for (size_t i = 0; i < N_ELEMENTS(ages); i++) {
        struct clv_customer c = customer(0, 0, ages[i], 0);
        unit_ok("x=0", clv_bgnbd_p_alive(m, &c, &p, &err), &err);
        assert_true(p == 1.0);
    }
    /* x > 0: in (0, 1), the formula's value, rising with recency and falling with age */
    struct clv_customer c = customer(2, 30.43, 38.86, 0);
    unit_ok("customer 1", clv_bgnbd_p_alive(m, &c, &p, &err), &err);
    UNIT_CLOSE("customer 1", p,
               1.0 / (1.0 + m->a / (m->b + 1.0) *
                                pow((m->alpha + 38.86) / (m->alpha + 30.43), m->r + 2.0)),
               1e-14);
    double previous = 0.0;
    for (double t_x = 0.5; t_x <= 38.86; t_x += 2.0) {
        c = customer(2, t_x, 38.86, 0);
        unit_ok("recency", clv_bgnbd_p_alive(m, &c, &p, &err), &err);
        assert_true(p > previous && p < 1.0);
        previous = p;
    }
    c = customer(3, 38.86, 38.86, 0);
    unit_ok("bought at the end", clv_bgnbd_p_alive(m, &c, &p, &err), &err);
    UNIT_CLOSE("bought at the end", p, 1.0 / (1.0 + m->a / (m->b + 2.0)), 1e-14);
    previous = 1.0;
    for (double age = 10; age <= 200; age += 10) {
        c = customer(2, 10, age, 0);
        unit_ok("age", clv_bgnbd_p_alive(m, &c, &p, &err), &err);
        assert_true(p < previous && p > 0.0);
        previous = p;
    }
}

static void test_expected_purchases_shape(void **state)
{
    (void)state;
    const struct clv_bgnbd *m = &PUBLISHED_BGNBD;
    struct fid_error err;
    double e = NAN, previous = -1.0;
    /* E[X(t)]: 0 at 0, about r t / alpha at first, increasing, with decreasing increments */
    unit_ok("E[X(0)]", clv_bgnbd_population_purchases(m, 0, &e, &err), &err);
    assert_true(e == 0.0);
    unit_ok("E[X(0.001)]", clv_bgnbd_population_purchases(m, 0.001, &e, &err), &err);
    UNIT_CLOSE("E[X(0.001)]", e, m->r * 0.001 / m->alpha, 1e-3);
    double increment = INFINITY;
    for (double t = 1; t <= 520; t += 1) {
        unit_ok("E[X(t)]", clv_bgnbd_population_purchases(m, t, &e, &err), &err);
        assert_true(e > previous);
        if (previous >= 0.0) {
            assert_true(e - previous < increment);
            increment = e - previous;
        }
        previous = e;
    }
    /* the population curve is the conditional expectation at x = t_x = T = 0 */
    struct clv_customer fresh = customer(0, 0, 0, 0);
    double conditional = NAN;
    unit_ok("fresh", clv_bgnbd_expected_purchases(m, &fresh, 520, &conditional, &err), &err);
    UNIT_CLOSE("fresh", conditional, e, 1e-14);

    /* conditional: increasing in t and in recency; an older silent customer buys less */
    struct clv_customer c = customer(2, 30.43, 38.86, 0);
    previous = 0.0;
    for (double t = 1; t <= 260; t += 7) {
        unit_ok("E[Y(t)]", clv_bgnbd_expected_purchases(m, &c, t, &e, &err), &err);
        assert_true(e > previous);
        previous = e;
    }
    previous = 0.0;
    for (double t_x = 1; t_x <= 38.86; t_x += 3) {
        c = customer(4, t_x, 38.86, 0);
        unit_ok("recency", clv_bgnbd_expected_purchases(m, &c, 39, &e, &err), &err);
        assert_true(e > previous);
        previous = e;
    }
    previous = INFINITY;
    for (double age = 5; age <= 80; age += 5) {
        c = customer(0, 0, age, 0);
        unit_ok("age", clv_bgnbd_expected_purchases(m, &c, 39, &e, &err), &err);
        assert_true(e < previous);
        previous = e;
    }
}

/* ---- BG/NBD limits ---- */

/* Marsaglia's xorshift64: the synthetic samples' draws, the same on every machine. */
static double xorshift_uniform(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (double)(*state >> 11) * 0x1.0p-53;
}

enum { SHOP_CUSTOMERS = 400 };
#define SHOP_END_DAY 420.0
#define SHOP_SEED    0x9E3779B97F4A7C15ull

/*
 * A synthetic shop whose sample lands on one of BG/NBD's limits. Each customer first buys on a day
 * drawn from the first 52 weeks and is seen on day SHOP_END_DAY. Purchases come like clockwork:
 * every `every` days, or, when every is 0, every 1 + floor(10 E) days, E exponential quantiles
 * spread over the customers (rates that differ). After each repeat purchase a customer stops with
 * probability p_even or p_odd (by the parity of their index; 0: never), the number of purchases
 * before stopping taken at geometric quantiles spread over them. Clockwork counts vary less than
 * Poisson ones, and quantiles less than draws: the data sit at the limits, not near them.
 */
struct shop {
    const char *label;
    double every, p_even, p_odd;
    enum clv_rate rate; /* the limit its data sit at */
    enum clv_dropout dropout;
};

static void shop_sample(const struct shop *shop, struct clv_customer *out)
{
    uint64_t state = SHOP_SEED;
    const double n = SHOP_CUSTOMERS;
    for (size_t i = 0; i < SHOP_CUSTOMERS; i++) {
        double first = floor(364.0 * xorshift_uniform(&state));
        double every =
            shop->every > 0.0
                ? shop->every
                : 1.0 + floor(-10.0 * log1p(-((double)((i * 37) % SHOP_CUSTOMERS) + 0.5) / n));
        double p = i % 2 ? shop->p_odd : shop->p_even;
        double age = SHOP_END_DAY - first, repeats = floor(age / every);
        if (p > 0.0) {
            double quantile = ((double)(i / 2) + 0.5) / (n / 2.0);
            repeats = fmin(repeats, 1.0 + floor(log1p(-quantile) / log1p(-p)));
        }
        out[i] = customer(repeats, repeats * every / 7.0, age / 7.0, 0);
    }
}

/* The full model at scale k on the way to the limit m: r = lambda k and alpha = k for a fixed
 * rate; a = 1 / k (and b = 1) for no dropout; a = p k and b = (1 - p) k for a fixed dropout. */
static struct clv_bgnbd full_near(const struct clv_bgnbd *m, double k)
{
    struct clv_bgnbd full = {.r = m->r, .alpha = m->alpha, .a = m->a, .b = m->b};
    if (m->rate == CLV_RATE_FIXED) {
        full.r = m->lambda * k;
        full.alpha = k;
    }
    if (m->dropout == CLV_DROPOUT_NONE) {
        full.a = 1.0 / k;
        full.b = 1.0;
    } else if (m->dropout == CLV_DROPOUT_FIXED) {
        full.a = m->p * k;
        full.b = (1.0 - m->p) * k;
    }
    return full;
}

/* The parameters a limit model reads, to move them. */
static size_t limit_parameters(struct clv_bgnbd *m, double **out)
{
    size_t n = 0;
    if (m->rate == CLV_RATE_GAMMA) {
        out[n++] = &m->r;
        out[n++] = &m->alpha;
    } else {
        out[n++] = &m->lambda;
    }
    if (m->dropout == CLV_DROPOUT_BETA) {
        out[n++] = &m->a;
        out[n++] = &m->b;
    } else if (m->dropout == CLV_DROPOUT_FIXED) {
        out[n++] = &m->p;
    }
    return n;
}

static double shop_log_likelihood(const char *label, const struct clv_bgnbd *m,
                                  const struct clv_customer *sample)
{
    double ll = NAN;
    struct fid_error err;
    unit_ok(label, clv_bgnbd_log_likelihood(m, sample, SHOP_CUSTOMERS, &ll, &err), &err);
    return ll;
}

/* The parameters a limit leaves out hold their markers: INFINITY, or 0. */
static void assert_limit_markers(const struct clv_bgnbd *m)
{
    if (m->rate == CLV_RATE_FIXED)
        assert_true(isinf(m->r) && isinf(m->alpha) && m->lambda > 0.0);
    else
        assert_true(m->lambda == 0.0);
    if (m->dropout == CLV_DROPOUT_NONE)
        assert_true(m->a == 0.0 && isinf(m->b) && m->p == 0.0);
    else if (m->dropout == CLV_DROPOUT_FIXED)
        assert_true(isinf(m->a) && isinf(m->b) && m->p > 0.0 && m->p < 1.0);
    else
        assert_true(m->p == 0.0);
}

/*
 * Each shop's fit takes the limit its data sit at, and that limit's likelihood is the supremum of
 * the full model's: the full model on the way to it (full_near, scale 1e2 to 1e8) stays below and
 * rises towards it, to within 1e-6 at 1e8. The limit's own optimum is a maximum (every parameter
 * moved by 0.1% lowers the likelihood), and Poisson's has its closed form, sum x / sum T.
 */
static void test_bgnbd_limit_fits(void **state)
{
    (void)state;
    static const struct shop shops[] = {
        {"weekly, nobody stops: Poisson", 7, 0, 0, CLV_RATE_FIXED, CLV_DROPOUT_NONE},
        {"rates differ, nobody stops: NBD", 0, 0, 0, CLV_RATE_GAMMA, CLV_DROPOUT_NONE},
        {"rates differ, all stop at 0.1", 0, 0.1, 0.1, CLV_RATE_GAMMA, CLV_DROPOUT_FIXED},
        {"weekly, stop at 0.02 or 0.3", 7, 0.02, 0.3, CLV_RATE_FIXED, CLV_DROPOUT_BETA},
        {"weekly, all stop at 0.2", 7, 0.2, 0.2, CLV_RATE_FIXED, CLV_DROPOUT_FIXED},
    };
    static struct clv_customer sample[SHOP_CUSTOMERS];
    for (size_t i = 0; i < N_ELEMENTS(shops); i++) {
        const char *label = shops[i].label;
        shop_sample(&shops[i], sample);
        struct clv_bgnbd m;
        struct clv_fit_report report;
        struct fid_error err;
        double start = seconds_now();
        unit_ok(label, clv_bgnbd_fit(sample, SHOP_CUSTOMERS, NULL, &m, &report, &err), &err);
        print_message("%s: fit in %.3f s (%u evaluations): r %g alpha %g lambda %.6f a %g b %g "
                      "p %.6f, log-likelihood %.4f\n",
                      label, seconds_now() - start, report.evaluations, m.r, m.alpha, m.lambda, m.a,
                      m.b, m.p, report.log_likelihood);
        UNIT_EQ_INT(label, m.rate, shops[i].rate);
        UNIT_EQ_INT(label, m.dropout, shops[i].dropout);
        assert_limit_markers(&m);
        double ll = shop_log_likelihood(label, &m, sample);
        UNIT_CLOSE(label, report.log_likelihood, ll, 1e-12);

        for (size_t k = 0; k < 4; k++)
            for (int side = -1; side <= 1; side += 2) {
                struct clv_bgnbd moved = m;
                double *params[4];
                if (k >= limit_parameters(&moved, params))
                    break;
                *params[k] *= 1.0 + side * 1e-3;
                assert_true(shop_log_likelihood(label, &moved, sample) < ll);
            }

        double previous = -HUGE_VAL, near = NAN;
        for (double scale = 1e2; scale <= 1e8; scale *= 100.0) {
            struct clv_bgnbd full = full_near(&m, scale);
            near = shop_log_likelihood(label, &full, sample);
            assert_true(near > previous && near < ll);
            previous = near;
        }
        UNIT_CLOSE(label, near, ll, 1e-6);
    }

    /* Poisson's maximum: lambda = sum x / sum T, the purchases over the weeks seen */
    shop_sample(&shops[0], sample);
    double purchases = 0.0, weeks = 0.0;
    for (size_t i = 0; i < SHOP_CUSTOMERS; i++) {
        purchases += sample[i].repeats;
        weeks += sample[i].age;
    }
    struct clv_bgnbd poisson;
    struct fid_error err;
    unit_ok("poisson", clv_bgnbd_fit(sample, SHOP_CUSTOMERS, NULL, &poisson, NULL, &err), &err);
    UNIT_CLOSE("poisson's closed form", poisson.lambda, purchases / weeks, 1e-7);
}

/* Nobody bought twice: the likelihood rises towards r -> 0, a boundary no limit model covers, and
 * the fit fails as it did, whether the optimiser ends at the boundary or short of it. */
static void test_bgnbd_limit_fit_unidentified(void **state)
{
    (void)state;
    static struct clv_customer silent[SHOP_CUSTOMERS];
    for (size_t i = 0; i < SHOP_CUSTOMERS; i++)
        silent[i] = customer(0, 0, 10.0 + (double)(i % 30), 0);
    const size_t sizes[] = {3, SHOP_CUSTOMERS};
    for (size_t i = 0; i < N_ELEMENTS(sizes); i++) {
        struct clv_bgnbd m = {.r = 1, .alpha = 1, .a = 1, .b = 1};
        struct fid_error err;
        UNIT_EQ_ERROR("nobody twice", clv_bgnbd_fit(silent, sizes[i], NULL, &m, NULL, &err), err,
                      FID_ERR_INPUT, "/customers");
        UNIT_EQ_STR("nobody twice", err.message,
                    "the likelihood has no maximum at finite parameters: the sample does not "
                    "identify the model (for instance, nobody bought twice)");
        assert_true(m.r == 1.0 && m.rate == CLV_RATE_GAMMA);
    }
}

/* The limits of the examples below, and the full model on the way to each: rates Gamma(1e8
 * lambda, 1e8), a = 1e-9, Beta(1e7 p, 1e7 (1 - p)). */
#define NEAR_LAMBDA 0.8
#define NEAR_P      0.15
#define NEAR_RATE   1e8
#define NEAR_BETA   1e7

struct limit_pair {
    const char *label;
    struct clv_bgnbd limit, full;
};

static const struct limit_pair LIMIT_PAIRS[] = {
    {"gamma rates, no dropout",
     {.r = 0.5, .alpha = 4, .a = 0, .b = INFINITY, .dropout = CLV_DROPOUT_NONE},
     {.r = 0.5, .alpha = 4, .a = 1e-9, .b = 2}},
    {"gamma rates, fixed dropout",
     {.r = 0.5,
      .alpha = 4,
      .a = INFINITY,
      .b = INFINITY,
      .dropout = CLV_DROPOUT_FIXED,
      .p = NEAR_P},
     {.r = 0.5, .alpha = 4, .a = NEAR_P * NEAR_BETA, .b = (1 - NEAR_P) * NEAR_BETA}},
    {"fixed rate, beta dropout",
     {.r = INFINITY,
      .alpha = INFINITY,
      .rate = CLV_RATE_FIXED,
      .lambda = NEAR_LAMBDA,
      .a = 0.8,
      .b = 2.5},
     {.r = NEAR_LAMBDA * NEAR_RATE, .alpha = NEAR_RATE, .a = 0.8, .b = 2.5}},
    {"fixed rate, no dropout",
     {.r = INFINITY,
      .alpha = INFINITY,
      .rate = CLV_RATE_FIXED,
      .lambda = NEAR_LAMBDA,
      .a = 0,
      .b = INFINITY,
      .dropout = CLV_DROPOUT_NONE},
     {.r = NEAR_LAMBDA * NEAR_RATE, .alpha = NEAR_RATE, .a = 1e-9, .b = 2}},
    {"fixed rate, fixed dropout",
     {.r = INFINITY,
      .alpha = INFINITY,
      .rate = CLV_RATE_FIXED,
      .lambda = NEAR_LAMBDA,
      .a = INFINITY,
      .b = INFINITY,
      .dropout = CLV_DROPOUT_FIXED,
      .p = NEAR_P},
     {.r = NEAR_LAMBDA * NEAR_RATE,
      .alpha = NEAR_RATE,
      .a = NEAR_P * NEAR_BETA,
      .b = (1 - NEAR_P) * NEAR_BETA}},
};

/* Each limit's likelihood is the full model's limit: on the way to it (full_near, scale 1e2 to
 * 1e8) the full model's log-likelihood of a shop's sample approaches the limit's, the gap falling
 * like 1 / scale from 1e4 on, to 1e-7 relative at 1e8. */
static void test_bgnbd_limit_likelihoods(void **state)
{
    (void)state;
    static const struct shop shop = {"weekly, nobody stops", 7, 0, 0, CLV_RATE_FIXED,
                                     CLV_DROPOUT_NONE};
    static struct clv_customer sample[SHOP_CUSTOMERS];
    shop_sample(&shop, sample);
    for (size_t f = 0; f < N_ELEMENTS(LIMIT_PAIRS); f++) {
        const struct limit_pair *pair = &LIMIT_PAIRS[f];
        double limit = shop_log_likelihood(pair->label, &pair->limit, sample), gap = NAN;
        for (double scale = 1e2; scale <= 1e8; scale *= 100.0) {
            struct clv_bgnbd full = full_near(&pair->limit, scale);
            double previous = gap;
            gap = fabs(shop_log_likelihood(pair->label, &full, sample) - limit);
            if (scale > 1e4)
                assert_true(gap * 50.0 < previous);
        }
        print_message("%s: the full model at scale 1e8 is %.2g from the limit's log-likelihood "
                      "%.4f\n",
                      pair->label, gap, limit);
        assert_true(gap <= 1e-7 * fabs(limit));
    }
}

/*
 * Each limit's predictions against the full model's closed form evaluated near it, within 1e-5
 * (the distance to the limit at these scales, up to x^2 / 1e7). Where the full model's own 2F1
 * evaluation gives up at such parameters (a dropout Beta(1.5e6, 8.5e6) and 13 weeks for a new
 * customer; a rate Gamma(8e7, 1e8) over 39 weeks), that case is left out: the limits have their
 * own formulas for that reason too.
 */
static void test_bgnbd_limit_predictions_near_full(void **state)
{
    (void)state;
    const struct clv_customer customers[] = {customer(0, 0, 0, 0), customer(0, 0, 30, 0),
                                             customer(5, 20, 30, 0), customer(40, 29.5, 30, 0)};
    const double weeks[] = {1, 13, 39};
    size_t left_out = 0;
    double worst = 0.0;
    for (size_t f = 0; f < N_ELEMENTS(LIMIT_PAIRS); f++) {
        const struct limit_pair *pair = &LIMIT_PAIRS[f];
        for (size_t i = 0; i < N_ELEMENTS(customers); i++) {
            double alive = NAN, alive_full = NAN;
            struct fid_error err;
            unit_ok(pair->label, clv_bgnbd_p_alive(&pair->limit, &customers[i], &alive, &err),
                    &err);
            unit_ok(pair->label, clv_bgnbd_p_alive(&pair->full, &customers[i], &alive_full, &err),
                    &err);
            UNIT_CLOSE(pair->label, alive, alive_full, 1e-5);
            for (size_t j = 0; j < N_ELEMENTS(weeks); j++) {
                double limit = NAN, full = NAN;
                if (clv_bgnbd_expected_purchases(&pair->full, &customers[i], weeks[j], &full,
                                                 &err) != FID_OK) {
                    left_out++; /* see above */
                    continue;
                }
                unit_ok(pair->label,
                        clv_bgnbd_expected_purchases(&pair->limit, &customers[i], weeks[j], &limit,
                                                     &err),
                        &err);
                UNIT_CLOSE(pair->label, limit, full, 1e-5);
                worst = fmax(worst, fabs(limit - full) / full);
            }
        }
        double population = NAN, population_full = NAN;
        struct fid_error err;
        unit_ok(pair->label, clv_bgnbd_population_purchases(&pair->limit, 1, &population, &err),
                &err);
        unit_ok(pair->label, clv_bgnbd_population_purchases(&pair->full, 1, &population_full, &err),
                &err);
        UNIT_CLOSE(pair->label, population, population_full, 1e-5);
    }
    print_message("limits against the full model near them: worst relative difference %.2g, %zu "
                  "of 60 expectations left to the limit\n",
                  worst, left_out);
    assert_true(left_out <= 4);
}

/*
 * Values from 200-digit arithmetic (mpmath) of each limit's expected purchases, P(alive) included:
 * for a fixed rate with a Beta dropout, P(alive) c / (a - 1) [1 - 1F1(a - 1; c; -lambda t)] (at
 * a = 1 the limit, as a = 1 + 1e-80), across lambda t from 1e-7 to 36,400 and a near and at 1; the
 * closed forms of the others, where 1 - e^(-u) has u small among them.
 */
static void test_bgnbd_limit_predictions_high_precision(void **state)
{
    (void)state;
    const struct {
        struct clv_bgnbd m;
        double x, t_x, age, t, want;
    } cases[] = {
#define FIXED_BETA(lambda_, a_, b_)                                                                \
    {.r = INFINITY,                                                                                \
     .alpha = INFINITY,                                                                            \
     .rate = CLV_RATE_FIXED,                                                                       \
     .lambda = (lambda_),                                                                          \
     .a = (a_),                                                                                    \
     .b = (b_)}
        {FIXED_BETA(0.05, 0.79, 2.43), 0, 0, 0, 0.02, 0.000999877346534680024},
        {FIXED_BETA(0.8, 0.79, 2.43), 3, 20, 26, 13, 0.29354866936085408673},
        {FIXED_BETA(5.0, 0.5, 40.0), 0, 0, 0, 520, 568.77302018046418676},
        {FIXED_BETA(7.0, 2.5, 3.0), 150, 150, 150.3, 5200, 90.779289506856680018},
        {FIXED_BETA(0.8, 1.0, 2.43), 2, 30.43, 38.86, 39, 0.038770638351439063172},
        {FIXED_BETA(1.3, 1 - 1e-9, 0.4), 0, 0, 12, 52, 2.70640358084054798},
        {FIXED_BETA(0.02, 1 + 1e-7, 12.0), 1, 3, 10, 5, 0.090928390686065184212},
        {FIXED_BETA(1e-4, 1.0, 2.43), 0, 0, 0, 1e-3, 9.9999998542274081289e-8},
        {FIXED_BETA(2.0, 300.0, 1e4), 10, 9, 10, 100, 28.136674712304367569},
        {FIXED_BETA(0.3, 0.02, 0.05), 0, 0, 5, 100, 20.552400123078638039},
#undef FIXED_BETA
        {{.r = 0.24, .alpha = 4.4, .a = 0, .b = INFINITY, .dropout = CLV_DROPOUT_NONE},
         2,
         30.43,
         38.86,
         39,
         2.0194174757281553417},
        {{.r = 0.24,
          .alpha = 4.4,
          .a = INFINITY,
          .b = INFINITY,
          .dropout = CLV_DROPOUT_FIXED,
          .p = 0.3},
         2,
         30.43,
         38.86,
         39,
         0.81550577186236837478},
        {{.r = 0.24,
          .alpha = 4.4,
          .a = INFINITY,
          .b = INFINITY,
          .dropout = CLV_DROPOUT_FIXED,
          .p = 1e-6},
         0,
         0,
         0,
         1,
         0.054545446859505430091},
        {{.r = INFINITY,
          .alpha = INFINITY,
          .rate = CLV_RATE_FIXED,
          .lambda = 0.8,
          .a = INFINITY,
          .b = INFINITY,
          .dropout = CLV_DROPOUT_FIXED,
          .p = 0.15},
         5,
         20,
         30,
         39,
         0.012531617324822900724},
        {{.r = INFINITY,
          .alpha = INFINITY,
          .rate = CLV_RATE_FIXED,
          .lambda = 0.01,
          .a = INFINITY,
          .b = INFINITY,
          .dropout = CLV_DROPOUT_FIXED,
          .p = 1e-9},
         0,
         0,
         0,
         0.5,
         0.0049999999999875001041},
        {{.r = INFINITY,
          .alpha = INFINITY,
          .rate = CLV_RATE_FIXED,
          .lambda = 0.8,
          .a = 0,
          .b = INFINITY,
          .dropout = CLV_DROPOUT_NONE},
         5,
         20,
         30,
         52,
         41.600000000000002309},
    };
    double worst = 0.0;
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct clv_customer c = customer(cases[i].x, cases[i].t_x, cases[i].age, 0);
        char label[32];
        snprintf(label, sizeof label, "case %zu", i);
        double got = NAN;
        struct fid_error err;
        unit_ok(label, clv_bgnbd_expected_purchases(&cases[i].m, &c, cases[i].t, &got, &err), &err);
        UNIT_CLOSE(label, got, cases[i].want, 1e-12);
        worst = fmax(worst, fabs(got - cases[i].want) / cases[i].want);
    }
    print_message("limits' expected purchases against 200 digits: worst relative error %.2g\n",
                  worst);
}

/* P(alive) in the limits: 1 with no dropout; the odds p / (1 - p) or a / (b + x - 1) of having
 * left, times e^(lambda (T - t_x)) for a fixed rate; and the lifetime value built on them. */
static void test_bgnbd_limit_p_alive_and_value(void **state)
{
    (void)state;
    const struct limit_pair *fixed_beta = &LIMIT_PAIRS[2], *poisson = &LIMIT_PAIRS[3],
                            *fixed_fixed = &LIMIT_PAIRS[4], *gamma_fixed = &LIMIT_PAIRS[1];
    struct clv_customer c = customer(5, 20, 30, 22.35);
    double alive = NAN;
    struct fid_error err;
    unit_ok("poisson", clv_bgnbd_p_alive(&poisson->limit, &c, &alive, &err), &err);
    assert_true(alive == 1.0);
    unit_ok("fixed, beta", clv_bgnbd_p_alive(&fixed_beta->limit, &c, &alive, &err), &err);
    UNIT_CLOSE("fixed, beta", alive, 1.0 / (1.0 + 0.8 / (2.5 + 4.0) * exp(NEAR_LAMBDA * 10.0)),
               1e-14);
    unit_ok("fixed, fixed", clv_bgnbd_p_alive(&fixed_fixed->limit, &c, &alive, &err), &err);
    UNIT_CLOSE("fixed, fixed", alive,
               1.0 / (1.0 + NEAR_P / (1.0 - NEAR_P) * exp(NEAR_LAMBDA * 10.0)), 1e-14);
    unit_ok("gamma, fixed", clv_bgnbd_p_alive(&gamma_fixed->limit, &c, &alive, &err), &err);
    UNIT_CLOSE("gamma, fixed", alive,
               1.0 / (1.0 + NEAR_P / (1.0 - NEAR_P) * pow(34.0 / 24.0, 0.5 + 5.0)), 1e-14);

    /* Poisson: lambda H purchases, each week's lambda discounted at its end */
    const struct clv_gamma_gamma *spend = &PUBLISHED_SPEND;
    double value = NAN, per_purchase = NAN;
    unit_ok("spend", clv_gamma_gamma_expected_value(spend, &c, &per_purchase, &err), &err);
    unit_ok("undiscounted", clv_customer_value(&poisson->limit, spend, &c, 52, 0, &value, &err),
            &err);
    UNIT_CLOSE("undiscounted", value, NEAR_LAMBDA * 52.0 * per_purchase, 1e-14);
    double d = 0.002, want = 0.0;
    for (int k = 1; k <= 52; k++)
        want += NEAR_LAMBDA * per_purchase / pow(1.0 + d, k);
    unit_ok("discounted", clv_customer_value(&poisson->limit, spend, &c, 52, d, &value, &err),
            &err);
    UNIT_CLOSE("discounted", value, want, 1e-12);
}

/* A model is one of the six forms, with the parameters its form reads valid. */
static void test_bgnbd_limit_checks(void **state)
{
    (void)state;
    const struct {
        const char *label;
        struct clv_bgnbd m;
        const char *field;
    } cases[] = {
        {"unknown rate",
         {.r = 1, .alpha = 1, .a = 1, .b = 1, .rate = (enum clv_rate)7},
         "/model/rate"},
        {"unknown dropout",
         {.r = 1, .alpha = 1, .a = 1, .b = 1, .dropout = (enum clv_dropout)9},
         "/model/dropout"},
        {"fixed rate without lambda",
         {.r = INFINITY, .alpha = INFINITY, .a = 1, .b = 1, .rate = CLV_RATE_FIXED},
         "/model/lambda"},
        {"infinite lambda",
         {.a = 1, .b = 1, .rate = CLV_RATE_FIXED, .lambda = INFINITY},
         "/model/lambda"},
        {"gamma rates at the limit's markers",
         {.r = INFINITY, .alpha = INFINITY, .a = 1, .b = 1, .lambda = 1},
         "/model/r"},
        {"fixed dropout p = 0",
         {.r = 1, .alpha = 1, .dropout = CLV_DROPOUT_FIXED, .p = 0},
         "/model/p"},
        {"fixed dropout p = 1",
         {.r = 1, .alpha = 1, .dropout = CLV_DROPOUT_FIXED, .p = 1},
         "/model/p"},
        {"fixed dropout p nan",
         {.r = 1, .alpha = 1, .dropout = CLV_DROPOUT_FIXED, .p = NAN},
         "/model/p"},
        {"beta dropout at the limit's markers",
         {.r = 1, .alpha = 1, .a = INFINITY, .b = INFINITY, .p = 0.5},
         "/model/a"},
    };
    struct clv_customer c = customer(2, 30.43, 38.86, 22.35);
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        double out = 42.0;
        struct fid_error err;
        UNIT_EQ_ERROR(cases[i].label, clv_bgnbd_p_alive(&cases[i].m, &c, &out, &err), err,
                      FID_ERR_INPUT, cases[i].field);
        UNIT_EQ_ERROR(cases[i].label, clv_bgnbd_expected_purchases(&cases[i].m, &c, 1, &out, &err),
                      err, FID_ERR_INPUT, cases[i].field);
        UNIT_EQ_ERROR(cases[i].label, clv_bgnbd_log_likelihood(&cases[i].m, &c, 1, &out, &err), err,
                      FID_ERR_INPUT, cases[i].field);
        assert_true(out == 42.0);
    }
    /* every form, with its parameters alone */
    for (size_t f = 0; f < N_ELEMENTS(LIMIT_PAIRS); f++) {
        double out = NAN;
        struct fid_error err;
        unit_ok(LIMIT_PAIRS[f].label, clv_bgnbd_p_alive(&LIMIT_PAIRS[f].limit, &c, &out, &err),
                &err);
    }
}

/* ---- Gamma-Gamma and CLV ---- */

static void test_expected_value(void **state)
{
    (void)state;
    const struct clv_gamma_gamma *m = &PUBLISHED_SPEND;
    double population = m->p * m->gamma / (m->q - 1.0), v = NAN;
    struct fid_error err;
    struct clv_customer c = customer(0, 0, 38.86, 0);
    unit_ok("x=0", clv_gamma_gamma_expected_value(m, &c, &v, &err), &err);
    UNIT_CLOSE("x=0 gets the population mean", v, population, 1e-14);
    /* shrinkage: between the population mean and the customer's own, towards the own mean as x
     * grows, increasing in the own mean */
    double previous = 0.0;
    for (double own = 5; own <= 100; own += 5) {
        c = customer(3, 20, 38.86, own);
        unit_ok("own", clv_gamma_gamma_expected_value(m, &c, &v, &err), &err);
        assert_true(v > previous);
        assert_true((v - population) * (v - own) <= 0.0);
        previous = v;
    }
    double gap = INFINITY;
    for (double x = 1; x <= 1000; x *= 2) {
        c = customer(x, 20, 38.86, 60);
        unit_ok("x", clv_gamma_gamma_expected_value(m, &c, &v, &err), &err);
        assert_true(fabs(v - 60) < gap);
        gap = fabs(v - 60);
    }
    UNIT_CLOSE("x = 512", v, 60, 0.01);
    /* repeat purchases worth 0: the same average with an own mean of 0, p gamma / (p x + q - 1),
     * between 0 and the population mean and lower as the zeros accumulate */
    previous = population;
    for (double x = 1; x <= 8; x++) {
        c = customer(x, 20, 38.86, 0);
        unit_ok("zero mean", clv_gamma_gamma_expected_value(m, &c, &v, &err), &err);
        UNIT_CLOSE("zero mean", v, m->p * m->gamma / (m->p * x + m->q - 1.0), 1e-14);
        assert_true(v > 0.0 && v < previous);
        previous = v;
    }
}

static void test_customer_value(void **state)
{
    (void)state;
    const struct clv_bgnbd *m = &PUBLISHED_BGNBD;
    const struct clv_gamma_gamma *s = &PUBLISHED_SPEND;
    struct clv_customer c = customer(2, 30.43, 38.86, 22.35);
    struct fid_error err;
    double value = NAN, purchases = NAN, spend = NAN;
    unit_ok("E[Y]", clv_bgnbd_expected_purchases(m, &c, 52, &purchases, &err), &err);
    unit_ok("spend", clv_gamma_gamma_expected_value(s, &c, &spend, &err), &err);

    unit_ok("undiscounted", clv_customer_value(m, s, &c, 52, 0, &value, &err), &err);
    UNIT_CLOSE("undiscounted = E[Y(H)] x spend", value, purchases * spend, 1e-14);

    /* discounted: the weekly increments, each valued at the end of its week (the last one
     * partial), summed here independently of the library's loop */
    double horizon = 52.5, d = 0.002, want = 0.0, before = 0.0;
    for (int k = 1; k <= 53; k++) {
        double upto = NAN;
        unit_ok("E[Y]", clv_bgnbd_expected_purchases(m, &c, fmin(k, horizon), &upto, &err), &err);
        want += (upto - before) * spend / pow(1.0 + d, k);
        before = upto;
    }
    unit_ok("discounted", clv_customer_value(m, s, &c, horizon, d, &value, &err), &err);
    UNIT_CLOSE("discounted", value, want, 1e-12);

    /* zero horizon, monotone in horizon and in the discount rate */
    unit_ok("H=0", clv_customer_value(m, s, &c, 0, d, &value, &err), &err);
    assert_true(value == 0.0);
    double previous = 0.0;
    for (double h = 13; h <= 520; h += 13) {
        unit_ok("horizon", clv_customer_value(m, s, &c, h, d, &value, &err), &err);
        assert_true(value > previous);
        previous = value;
    }
    previous = INFINITY;
    for (double rate = 0; rate <= 0.02; rate += 0.0025) {
        unit_ok("rate", clv_customer_value(m, s, &c, 260, rate, &value, &err), &err);
        assert_true(value < previous);
        previous = value;
    }
}

/* ---- Errors ---- */

static void test_fit_input_errors(void **state)
{
    (void)state;
    struct clv_customer good = customer(1, 5, 10, 12);
    struct clv_bgnbd m = {.r = 1, .alpha = 1, .a = 1, .b = 1}, untouched = m;
    struct clv_gamma_gamma g = {.p = 1, .q = 1, .gamma = 1};
    struct fid_error err;
    struct {
        const char *label;
        struct clv_customer bad;
        const char *field;
    } cases[] = {
        {"negative repeats", customer(-1, 0, 10, 0), "/customers/1/repeats"},
        {"fractional repeats", customer(1.5, 2, 10, 3), "/customers/1/repeats"},
        {"recency beyond age", customer(2, 11, 10, 3), "/customers/1/recency"},
        {"negative recency", customer(2, -1, 10, 3), "/customers/1/recency"},
        {"negative age", customer(0, 0, -3, 0), "/customers/1/age"},
        {"nan age", customer(0, 0, NAN, 0), "/customers/1/age"},
        {"infinite repeats", customer(INFINITY, 0, 10, 0), "/customers/1/repeats"},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct clv_customer list[2] = {good, cases[i].bad};
        UNIT_EQ_ERROR(cases[i].label, clv_bgnbd_fit(list, 2, NULL, &m, NULL, &err), err,
                      FID_ERR_INPUT, cases[i].field);
        UNIT_EQ_ERROR(cases[i].label, clv_gamma_gamma_fit(list, 2, NULL, &g, NULL, &err), err,
                      FID_ERR_INPUT, cases[i].field);
    }
    UNIT_EQ_ERROR("no customers", clv_bgnbd_fit(&good, 0, NULL, &m, NULL, &err), err, FID_ERR_INPUT,
                  "/customers");
    UNIT_EQ_ERROR("null customers", clv_bgnbd_fit(NULL, 3, NULL, &m, NULL, &err), err,
                  FID_ERR_INPUT, "/customers");
    UNIT_EQ_ERROR("too many", clv_bgnbd_fit(&good, CLV_CUSTOMERS_MAX + 1u, NULL, &m, NULL, &err),
                  err, FID_ERR_LIMIT, "/customers");
    UNIT_EQ_ERROR("no customers", clv_gamma_gamma_fit(&good, 0, NULL, &g, NULL, &err), err,
                  FID_ERR_INPUT, "/customers");

    /* spend: a repeat buyer's mean value is a number >= 0; somebody must have bought twice */
    struct clv_customer spend_list[3] = {good, customer(0, 0, 10, 0), customer(2, 4, 10, -1)};
    UNIT_EQ_ERROR("negative mean value", clv_gamma_gamma_fit(spend_list, 3, NULL, &g, NULL, &err),
                  err, FID_ERR_INPUT, "/customers/2/mean_value");
    spend_list[2].mean_value = NAN;
    UNIT_EQ_ERROR("nan mean value", clv_gamma_gamma_fit(spend_list, 3, NULL, &g, NULL, &err), err,
                  FID_ERR_INPUT, "/customers/2/mean_value");
    struct clv_customer silent[3] = {customer(0, 0, 10, 0), customer(0, 0, 20, 0),
                                     customer(0, 0, 30, 0)};
    UNIT_EQ_ERROR("no repeaters", clv_gamma_gamma_fit(silent, 3, NULL, &g, NULL, &err), err,
                  FID_ERR_INPUT, "/customers");
    /* nobody bought twice: the likelihood rises towards r -> 0, with no maximum */
    UNIT_EQ_ERROR("unidentified", clv_bgnbd_fit(silent, 3, NULL, &m, NULL, &err), err,
                  FID_ERR_INPUT, "/customers");
    assert_true(m.r == untouched.r && m.alpha == untouched.alpha);
}

/* A budget too small to converge is an internal failure, not a silent estimate. */
static void test_fit_budget(void **state)
{
    (void)state;
    const struct cdnow *data = cdnow_or_skip();
    struct clv_fit_options tight = {40};
    struct clv_bgnbd m = {.r = 1, .alpha = 1, .a = 1, .b = 1};
    struct clv_gamma_gamma g = {.p = 1, .q = 1, .gamma = 1};
    struct fid_error err;
    UNIT_EQ_ERROR("bgnbd", clv_bgnbd_fit(data->customers, data->n, &tight, &m, NULL, &err), err,
                  FID_ERR_INTERNAL, "");
    UNIT_EQ_ERROR("spend", clv_gamma_gamma_fit(data->customers, data->n, &tight, &g, NULL, &err),
                  err, FID_ERR_INTERNAL, "");
    assert_true(m.r == 1.0 && g.p == 1.0);
}

static void test_prediction_input_errors(void **state)
{
    (void)state;
    const struct clv_bgnbd *m = &PUBLISHED_BGNBD;
    const struct clv_gamma_gamma *s = &PUBLISHED_SPEND;
    struct clv_customer c = customer(2, 30.43, 38.86, 22.35);
    struct clv_bgnbd bad_m = *m;
    bad_m.alpha = 0;
    struct clv_gamma_gamma bad_s = *s, heavy = *s;
    bad_s.gamma = NAN;
    heavy.q = 0.8;
    double out = 42.0;
    struct fid_error err;

    UNIT_EQ_ERROR("alpha", clv_bgnbd_p_alive(&bad_m, &c, &out, &err), err, FID_ERR_INPUT,
                  "/model/alpha");
    UNIT_EQ_ERROR("alpha", clv_bgnbd_expected_purchases(&bad_m, &c, 1, &out, &err), err,
                  FID_ERR_INPUT, "/model/alpha");
    UNIT_EQ_ERROR("gamma", clv_gamma_gamma_expected_value(&bad_s, &c, &out, &err), err,
                  FID_ERR_INPUT, "/model/gamma");
    UNIT_EQ_ERROR("negative weeks", clv_bgnbd_expected_purchases(m, &c, -1, &out, &err), err,
                  FID_ERR_INPUT, "weeks");
    UNIT_EQ_ERROR("too many weeks", clv_bgnbd_population_purchases(m, 1e5, &out, &err), err,
                  FID_ERR_LIMIT, "weeks");
    struct clv_customer late = customer(2, 40, 38.86, 22.35);
    UNIT_EQ_ERROR("recency", clv_bgnbd_expected_purchases(m, &late, 1, &out, &err), err,
                  FID_ERR_INPUT, "/customer/recency");
    UNIT_EQ_ERROR("recency", clv_bgnbd_p_alive(m, &late, &out, &err), err, FID_ERR_INPUT,
                  "/customer/recency");
    struct clv_customer silent = customer(0, 0, 38.86, 0);
    UNIT_EQ_ERROR("infinite mean", clv_gamma_gamma_expected_value(&heavy, &silent, &out, &err), err,
                  FID_ERR_INPUT, "/model/q");
    struct clv_customer no_value = customer(2, 30.43, 38.86, -1);
    UNIT_EQ_ERROR("negative value", clv_customer_value(m, s, &no_value, 52, 0, &out, &err), err,
                  FID_ERR_INPUT, "/customer/mean_value");
    UNIT_EQ_ERROR("discount", clv_customer_value(m, s, &c, 52, -0.1, &out, &err), err,
                  FID_ERR_INPUT, "weekly_discount");
    UNIT_EQ_ERROR("discount", clv_customer_value(m, s, &c, 52, NAN, &out, &err), err, FID_ERR_INPUT,
                  "weekly_discount");
    UNIT_EQ_ERROR("horizon", clv_customer_value(m, s, &c, 6000, 0, &out, &err), err, FID_ERR_LIMIT,
                  "horizon_weeks");
    assert_true(out == 42.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyp2f1_closed_forms),
        cmocka_unit_test(test_hyp2f1_euler_integral),
        cmocka_unit_test(test_hyp2f1_high_precision),
        cmocka_unit_test(test_hyp2f1_rejects),
        cmocka_unit_test(test_bgnbd_cdnow_fit),
        cmocka_unit_test(test_gamma_gamma_cdnow_fit),
        cmocka_unit_test(test_gamma_gamma_cdnow_zero_value),
        cmocka_unit_test(test_gamma_gamma_zero_value),
        cmocka_unit_test(test_gamma_gamma_fixed_values),
        cmocka_unit_test(test_fits_follow_the_units),
        cmocka_unit_test(test_expected_purchases_known_value),
        cmocka_unit_test(test_expected_purchases_against_quadrature),
        cmocka_unit_test(test_expected_purchases_high_precision),
        cmocka_unit_test(test_expected_purchases_frequent_buyers),
        cmocka_unit_test(test_p_alive),
        cmocka_unit_test(test_expected_purchases_shape),
        cmocka_unit_test(test_bgnbd_limit_fits),
        cmocka_unit_test(test_bgnbd_limit_fit_unidentified),
        cmocka_unit_test(test_bgnbd_limit_likelihoods),
        cmocka_unit_test(test_bgnbd_limit_predictions_near_full),
        cmocka_unit_test(test_bgnbd_limit_predictions_high_precision),
        cmocka_unit_test(test_bgnbd_limit_p_alive_and_value),
        cmocka_unit_test(test_bgnbd_limit_checks),
        cmocka_unit_test(test_expected_value),
        cmocka_unit_test(test_customer_value),
        cmocka_unit_test(test_fit_input_errors),
        cmocka_unit_test(test_fit_budget),
        cmocka_unit_test(test_prediction_input_errors),
    };
    return cmocka_run_group_tests(tests, cdnow_load, cdnow_free);
}
