/*
 * `fidele clv [--calibration-end DATE] [--horizon-weeks N] [--discount-weekly R] [--limit N]`:
 * fits BG/NBD and Gamma-Gamma to the order history up to the end of the calibration day (in the
 * merchant's time zone) and prints the parameters and, per customer, expected purchases over the
 * horizon, the probability of being alive and the lifetime value. A purchase is a day with at
 * least one order, as in the models' papers; values are in major currency units. A repeat
 * customer whose repeat purchases are worth 0 on average is left out of the Gamma-Gamma fit and
 * valued by its prediction with that mean of 0 (docs/kpis.md). A history the models cannot fit,
 * or whose fit cannot predict for every customer, fails with what the history holds (exit 1).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/clv.h"
#include "cli/cli.h"
#include "store/store.h"
#include "util/money.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct summary {
    const struct fid_tz *tz;
    double unit;      /* minor units per major unit */
    int64_t end_day;  /* the calibration day, days since the epoch */
    int64_t customer; /* customer being summarised; 0 before the first order */
    int64_t first_day, day, days;
    int64_t day_value, repeat_value;
    struct clv_customer *rows;
    int64_t *ids;
    size_t n, cap;
};

static void flush(struct summary *s)
{
    if (s->customer == 0)
        return;
    if (s->day != s->first_day)
        s->repeat_value += s->day_value;
    xgrow((void **)&s->rows, &s->cap, s->n + 1, sizeof *s->rows);
    s->ids = xrealloc(s->ids, s->cap * sizeof *s->ids);
    int64_t repeats = s->days - 1;
    s->rows[s->n] = (struct clv_customer){
        .repeats = (double)repeats,
        .recency = (double)(s->day - s->first_day) / 7.0,
        .age = (double)(s->end_day - s->first_day) / 7.0,
        .mean_value = repeats > 0 ? (double)s->repeat_value / (double)repeats / s->unit : 0.0,
    };
    s->ids[s->n++] = s->customer;
}

static int visit_order(int64_t customer_id, int64_t at, int64_t value_minor, void *context)
{
    struct summary *s = context;
    struct fid_local local;
    fid_tz_local(s->tz, at, &local);
    int64_t day = fid_days_from_civil(local.year, local.month, local.day);
    if (customer_id != s->customer) {
        flush(s);
        s->customer = customer_id;
        s->first_day = s->day = day;
        s->days = 1;
        s->day_value = value_minor;
        s->repeat_value = 0;
    } else if (day == s->day) {
        s->day_value += value_minor;
    } else {
        if (s->day != s->first_day)
            s->repeat_value += s->day_value;
        s->day = day;
        s->days++;
        s->day_value = value_minor;
    }
    return 0;
}

/* A history too thin for the models is a state of the shop, not a bad argument: says what it
 * holds and why (exit 1). */
static int fail_thin_history(struct cli *cli, const struct summary *s, int year, int month, int day,
                             const char *why, const struct fid_error *cause)
{
    size_t repeat = 0;
    for (size_t i = 0; i < s->n; i++)
        repeat += s->rows[i].repeats > 0;
    char reason[200];
    snprintf(reason, sizeof reason, "%s%.150s", why, cause->message);
    struct fid_error err;
    fid_fail(&err, FID_ERR_INSUFFICIENT, "",
             "cannot fit the models on this history: %zu customers by %04d-%02d-%02d, %zu of "
             "them bought more than once; more history helps (%s)",
             s->n, year, month, day, repeat, reason);
    cli_fail(cli, &err);
    return 1;
}

/* A parameter in JSON: null where the model's limit leaves it out. */
static json_t *parameter_json(bool applies, double value)
{
    return applies ? json_real(value) : json_null();
}

/* The purchase model: its rate ("gamma", r and alpha; or "fixed", lambda) and its dropout ("beta",
 * a and b; "none", p = 0; or "fixed", p), the parameters of the other forms null. */
static json_t *bgnbd_json(const struct clv_bgnbd *m, double log_likelihood)
{
    static const char *const rates[] = {[CLV_RATE_GAMMA] = "gamma", [CLV_RATE_FIXED] = "fixed"};
    static const char *const dropouts[] = {
        [CLV_DROPOUT_BETA] = "beta", [CLV_DROPOUT_NONE] = "none", [CLV_DROPOUT_FIXED] = "fixed"};
    bool gamma = m->rate == CLV_RATE_GAMMA, beta = m->dropout == CLV_DROPOUT_BETA;
    return json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:f}", "rate", rates[m->rate], "r",
                     parameter_json(gamma, m->r), "alpha", parameter_json(gamma, m->alpha),
                     "lambda", parameter_json(!gamma, m->lambda), "dropout", dropouts[m->dropout],
                     "a", parameter_json(beta, m->a), "b", parameter_json(beta, m->b), "p",
                     parameter_json(!beta, m->p), "log_likelihood", log_likelihood);
}

/* The purchase model in words, for the text output. */
static void bgnbd_print(const struct clv_bgnbd *m, double log_likelihood)
{
    char rate[96], dropout[96];
    if (m->rate == CLV_RATE_GAMMA)
        snprintf(rate, sizeof rate, "r %.4f  alpha %.4f", m->r, m->alpha);
    else
        snprintf(rate, sizeof rate, "lambda %.4f a week (every customer buys at that rate)",
                 m->lambda);
    if (m->dropout == CLV_DROPOUT_BETA)
        snprintf(dropout, sizeof dropout, "a %.4f  b %.4f", m->a, m->b);
    else if (m->dropout == CLV_DROPOUT_NONE)
        snprintf(dropout, sizeof dropout, "no dropout (nobody stops buying)");
    else
        snprintf(dropout, sizeof dropout,
                 "p %.4f (every customer stops after a purchase with that probability)", m->p);
    printf("BG/NBD       %s  %s  (log-likelihood %.2f)\n", rate, dropout, log_likelihood);
}

struct scored {
    size_t index;
    double clv;
};

static int by_clv(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    return (x->clv < y->clv) - (x->clv > y->clv);
}

int cmd_clv(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"calibration-end", true},
                                                   {"horizon-weeks", true},
                                                   {"discount-weekly", true},
                                                   {"limit", true},
                                                   {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    struct summary s = {0};
    struct scored *order = NULL;
    json_t *items = NULL;
    int64_t horizon = 0, limit = 0;
    int code = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        cli_option_int(cli, "horizon-weeks", 1, (int64_t)CLV_HORIZON_WEEKS_MAX, 52, &horizon,
                       &err) != FID_OK ||
        cli_option_int(cli, "limit", 0, 100000000, cli->json ? 0 : 20, &limit, &err) != FID_OK ||
        cli_open_engine(cli, &e, &err) != FID_OK)
        goto fail;
    double discount = 0.0;
    const char *discount_text = cli_option(cli, "discount-weekly");
    if (discount_text) {
        char *end = NULL;
        discount = strtod(discount_text, &end);
        if (end == discount_text || *end || !(discount >= 0.0 && discount <= 1.0)) {
            fid_fail(&err, FID_ERR_INPUT, "--discount-weekly",
                     "expected a weekly rate from 0 to 1, such as 0.002");
            goto fail;
        }
    }
    s.tz = engine_tz(e);
    s.unit = (double)fid_currency_unit(engine_currency_digits(e));
    int year, month, day;
    struct fid_local now;
    fid_tz_local(s.tz, cli->now, &now);
    const char *end_text = cli_option(cli, "calibration-end");
    if (end_text) {
        if (fid_date_parse(end_text, &year, &month, &day, "--calibration-end", &err) != FID_OK)
            goto fail;
        /* days not lived yet would read as days without purchases */
        if (fid_days_from_civil(year, month, day) >
            fid_days_from_civil(now.year, now.month, now.day)) {
            fid_fail(&err, FID_ERR_INPUT, "--calibration-end",
                     "%s is after today (%04d-%02d-%02d): expected a day that has begun", end_text,
                     now.year, now.month, now.day);
            goto fail;
        }
    } else {
        year = now.year, month = now.month, day = now.day;
    }
    s.end_day = fid_days_from_civil(year, month, day);
    int64_t before = fid_tz_add_days(s.tz, fid_tz_midnight(s.tz, year, month, day), 1);
    if (order_history_scan(engine_store(e), before, visit_order, &s, &err) != FID_OK)
        goto fail;
    flush(&s);
    struct clv_bgnbd purchases;
    struct clv_gamma_gamma spend;
    struct clv_fit_report bg_report, gg_report;
    if (clv_bgnbd_fit(s.rows, s.n, NULL, &purchases, &bg_report, &err) != FID_OK ||
        clv_gamma_gamma_fit(s.rows, s.n, NULL, &spend, &gg_report, &err) != FID_OK) {
        code = fail_thin_history(cli, &s, year, month, day, "", &err);
        goto done;
    }
    order = xcalloc(s.n ? s.n : 1, sizeof *order);
    items = json_array();
    for (size_t i = 0; i < s.n; i++) {
        double value;
        order[i].index = i;
        /* The customers' data passed the fits' checks: a prediction that cannot be computed comes
         * from the fitted parameters, a degenerate fit on a short history (a dropout parameter
         * at millions, an infinite mean value), not from one odd customer. Every customer is
         * scored before anything is printed, so the command fails as a thin history does. */
        if (clv_customer_value(&purchases, &spend, &s.rows[i], (double)horizon, discount, &value,
                               &err) != FID_OK) {
            code = fail_thin_history(cli, &s, year, month, day,
                                     "the fitted models cannot predict for every customer: ", &err);
            goto done;
        }
        order[i].clv = value;
    }
    qsort(order, s.n, sizeof *order, by_clv);
    size_t shown = limit > 0 && (size_t)limit < s.n ? (size_t)limit : s.n;
    for (size_t k = 0; k < shown; k++) {
        const struct clv_customer *row = &s.rows[order[k].index];
        double expected, alive, mean;
        struct customer c;
        if (clv_bgnbd_expected_purchases(&purchases, row, (double)horizon, &expected, &err) !=
                FID_OK ||
            clv_bgnbd_p_alive(&purchases, row, &alive, &err) != FID_OK ||
            clv_gamma_gamma_expected_value(&spend, row, &mean, &err) != FID_OK ||
            customer_find_id(engine_store(e), s.ids[order[k].index], &c, &err) != FID_OK)
            goto fail;
        json_array_append_new(items, json_pack("{s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:f}",
                                               "customer", c.ref, "repeats", (int)row->repeats,
                                               "recency_weeks", row->recency, "age_weeks", row->age,
                                               "expected_purchases", expected, "p_alive", alive,
                                               "expected_value", mean, "clv", order[k].clv));
    }
    char end_date[16];
    snprintf(end_date, sizeof end_date, "%04d-%02d-%02d", year, month, day);
    /* The fixed-values limit has p infinite and gamma 0; its scale is the limit of p gamma. */
    double scale = spend.fixed_values ? spend.scale : spend.p * spend.gamma;
    if (cli->json) {
        cli_print_json(json_pack(
            "{s:s, s:I, s:f, s:s, s:I, s:o, s:{s:b, s:o, s:f, s:o, s:f, s:I, s:f}, s:O}",
            "calibration_end", end_date, "horizon_weeks", (json_int_t)horizon, "discount_weekly",
            discount, "currency", engine_merchant(e)->currency, "customers", (json_int_t)s.n,
            "bgnbd", bgnbd_json(&purchases, bg_report.log_likelihood), "gamma_gamma",
            "fixed_values", spend.fixed_values, "p",
            spend.fixed_values ? json_null() : json_real(spend.p), "q", spend.q, "gamma",
            spend.fixed_values ? json_null() : json_real(spend.gamma), "scale", scale, "customers",
            (json_int_t)gg_report.customers, "log_likelihood", gg_report.log_likelihood, "items",
            items));
    } else {
        printf("Calibration to %s: %zu customers; horizon %lld weeks\n", end_date, s.n,
               (long long)horizon);
        bgnbd_print(&purchases, bg_report.log_likelihood);
        if (spend.fixed_values)
            printf("Gamma-Gamma  p infinite (each customer's purchases are worth their own mean)  "
                   "q %.4f  p*gamma %.4f  (%zu repeat customers)\n\n",
                   spend.q, scale, gg_report.customers);
        else
            printf("Gamma-Gamma  p %.4f  q %.4f  gamma %.4f  (%zu repeat customers)\n\n", spend.p,
                   spend.q, spend.gamma, gg_report.customers);
        printf("%-20s %8s %10s %8s %12s\n", "customer", "repeats", "purchases", "P(alive)", "CLV");
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
            printf("%-20s %8lld %10.2f %8.3f %12.2f %s\n",
                   json_string_value(json_object_get(it, "customer")),
                   (long long)json_integer_value(json_object_get(it, "repeats")),
                   json_real_value(json_object_get(it, "expected_purchases")),
                   json_real_value(json_object_get(it, "p_alive")),
                   json_real_value(json_object_get(it, "clv")), engine_merchant(e)->currency);
    }
    goto done;
fail:
    code = cli_fail(cli, &err);
done:
    json_decref(items);
    free(order);
    free(s.rows);
    free(s.ids);
    engine_close(e);
    return code;
}
