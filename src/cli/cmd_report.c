/*
 * `fidele report [--from DATE] [--to DATE] [--window DAYS] [--format text|json|html] [--out F]`:
 * the loyalty KPIs of docs/kpis.md over the period [from, to) in the merchant's time zone
 * (default: the 365 days up to and including today), as a terminal summary, as JSON whose
 * top-level keys are exactly the KPI names, or as a self-contained HTML page with SVG charts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/kpis.h"
#include "cli/cli.h"
#include "store/kpi_store.h"
#include "util/money.h"
#include "util/timeutil.h"

/* A figure's line: every value ends at the same column, its unit (%, the currency) after it, so
 * that the figures of a column read down in line. */
static void print_row(FILE *out, const char *label, const char *value, const char *unit)
{
    fprintf(out, "  %-26s %16s%s%s\n", label, value, unit[0] ? " " : "", unit);
}

static void print_count(FILE *out, const char *label, const json_t *value)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
    print_row(out, label, text, "");
}

/* A number with `decimals` digits after the point, and its unit; n/a when there is none (null). */
static void print_number(FILE *out, const char *label, const json_t *value, int decimals,
                         const char *unit)
{
    char text[64];
    snprintf(text, sizeof text, "%.*f", decimals, json_number_value(value));
    if (json_is_number(value))
        print_row(out, label, text, unit);
    else
        print_row(out, label, "n/a", "");
}

static void print_money(FILE *out, const struct engine *e, const char *label, const json_t *value)
{
    char text[FID_MONEY_TEXT_MAX];
    fid_money_format(json_integer_value(value), engine_currency_digits(e), text);
    if (json_is_integer(value))
        print_row(out, label, text, engine_merchant(e)->currency);
    else
        print_row(out, label, "n/a", "");
}

static void print_text(FILE *out, const struct engine *e, const json_t *r, const char *from,
                       const char *to)
{
    fprintf(out, "%s: loyalty report from %s to %s (to excluded)\n\n", engine_merchant(e)->name,
            from, to);
    print_count(out, "customers", json_object_get(r, "customers"));
    print_count(out, "new customers", json_object_get(r, "new_customers"));
    print_count(out, "orders", json_object_get(r, "orders"));
    print_money(out, e, "revenue", json_object_get(r, "revenue_minor"));
    print_money(out, e, "average order", json_object_get(r, "aov_minor"));
    print_money(out, e, "  members", json_object_get(r, "aov_members_minor"));
    print_money(out, e, "  non-members", json_object_get(r, "aov_non_members_minor"));
    /* n/a with no customer in the period */
    print_number(out, "orders per customer", json_object_get(r, "purchase_frequency"), 2, "");
    static const char *const RATES[][2] = {
        {"repurchase rate", "repurchase_rate"},
        {"retention rate", "retention_rate"},
        {"churn rate", "churn_rate"},
        {"loyal revenue share", "loyal_revenue_share"},
        {"participation rate", "participation_rate"},
        {"points redemption rate", "points_redemption_rate"},
        {"reward usage rate", "reward_usage_rate"},
    };
    for (size_t i = 0; i < sizeof RATES / sizeof RATES[0]; i++)
        print_number(out, RATES[i][0], json_object_get(r, RATES[i][1]), 1, "%");
    /* NPS is a score from -100 to 100, not a share */
    print_number(out, "NPS", json_object_get(r, "nps"), 1, "");
    print_number(out, "CSAT", json_object_get(r, "csat"), 1, "%");
    json_t *cltv = json_object_get(r, "cltv");
    if (json_is_object(cltv)) {
        char value[FID_MONEY_TEXT_MAX];
        fid_money_format(json_integer_value(json_object_get(cltv, "value_minor")),
                         engine_currency_digits(e), value);
        fprintf(out, "  %-26s %16s %s  (%.1f orders a year, %.1f years)\n", "CLTV (historical)",
                value, engine_merchant(e)->currency,
                json_number_value(json_object_get(cltv, "orders_per_customer_per_year")),
                json_number_value(json_object_get(cltv, "expected_lifetime_years")));
    }
    json_t *cohorts = json_object_get(r, "cohorts");
    if (json_array_size(cohorts) > 0) {
        fprintf(out, "\n  cohorts (%% of each month's new customers ordering k months later)\n");
        size_t i;
        json_t *c;
        json_array_foreach(cohorts, i, c)
        {
            fprintf(out, "  %s %6lld ", json_string_value(json_object_get(c, "month")),
                    (long long)json_integer_value(json_object_get(c, "customers")));
            size_t k;
            json_t *v;
            json_array_foreach(json_object_get(c, "active_pct"), k, v)
            {
                if (json_is_number(v))
                    fprintf(out, " %5.1f", json_number_value(v));
                else
                    fprintf(out, "     -");
            }
            fprintf(out, "\n");
        }
    }
}

static enum fid_status read_date(const struct cli *cli, const char *name, int *y, int *m, int *d,
                                 struct fid_error *err)
{
    const char *value = cli_option(cli, name);
    char field[32];
    snprintf(field, sizeof field, "--%s", name);
    return value ? fid_date_parse(value, y, m, d, field, err) : FID_OK;
}

int cmd_report(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"from", true},   {"to", true},
                                                   {"window", true}, {"format", true},
                                                   {"out", true},    {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    struct kpi_counts counts = {0};
    int64_t window = 0;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        cli_option_int(cli, "window", 1, 3660, 365, &window, &err) != FID_OK)
        return cli_fail(cli, &err);
    const char *format = cli_option(cli, "format") ? cli_option(cli, "format")
                         : cli->json               ? "json"
                                                   : "text";
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "html") != 0) {
        fid_fail(&err, FID_ERR_INPUT, "--format", "expected text, json or html");
        return cli_fail(cli, &err);
    }
    if (cli_open_engine(cli, &e, &err) != FID_OK)
        return cli_fail(cli, &err);
    const struct fid_tz *tz = engine_tz(e);
    struct fid_local today;
    fid_tz_local(tz, cli->now, &today);
    int ty = today.year, tm = today.month, td = today.day, fy, fm, fd;
    int64_t to, from;
    if (read_date(cli, "to", &ty, &tm, &td, &err) != FID_OK)
        goto fail;
    to = fid_tz_midnight(tz, ty, tm, td);
    if (cli_option(cli, "to") == NULL)
        to = fid_tz_add_days(tz, to, 1); /* today included */
    from = fid_tz_add_days(tz, to, -365);
    if (cli_option(cli, "from")) {
        if (read_date(cli, "from", &fy, &fm, &fd, &err) != FID_OK)
            goto fail;
        from = fid_tz_midnight(tz, fy, fm, fd);
    }
    if (to <= from) {
        fid_fail(&err, FID_ERR_INPUT, "--to", "must be after --from (the period is [from, to))");
        goto fail;
    }
    json_t *report = NULL;
    if (kpi_counts_load(engine_store(e), tz, from, to, window, &counts, &err) != FID_OK ||
        kpi_report(&counts, &report, &err) != FID_OK)
        goto fail;
    struct fid_local lf, lt;
    fid_tz_local(tz, from, &lf);
    fid_tz_local(tz, to, &lt);
    char from_text[16], to_text[16];
    snprintf(from_text, sizeof from_text, "%04d-%02d-%02d", lf.year, lf.month, lf.day);
    snprintf(to_text, sizeof to_text, "%04d-%02d-%02d", lt.year, lt.month, lt.day);
    FILE *out = stdout;
    const char *path = cli_option(cli, "out");
    if (path && (out = fopen(path, "w")) == NULL) {
        json_decref(report);
        fid_fail(&err, FID_ERR_IO, "--out", "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    if (strcmp(format, "json") == 0) {
        char *text = json_dumps(report, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fprintf(out, "%s\n", text);
        free(text);
    } else if (strcmp(format, "html") == 0) {
        json_t *segments = NULL;
        struct fid_error left_out;
        /* at the period's end, or now for a period not over yet: not ahead of the clock */
        int64_t segments_at = to - 1 < cli->now ? to - 1 : cli->now;
        if (engine_segments(e, segments_at, NULL, &segments, &left_out) != FID_OK)
            fprintf(stderr, "fidele: the report leaves out segments: %s\n", left_out.message);
        const struct program *p = engine_program(e);
        json_t *names = json_object();
        for (size_t i = 0; i < p->n_segments; i++)
            json_object_set_new(names, p->segments[i].id, json_string(p->segments[i].name));
        json_object_set_new(segments, "names", names);
        struct fid_local last, seen; /* the period's last day: to is excluded */
        fid_tz_local(tz, to - 1, &last);
        fid_tz_local(tz, segments_at, &seen);
        struct report_days days = {{lf.year, lf.month, lf.day},
                                   {last.year, last.month, last.day},
                                   {seen.year, seen.month, seen.day}};
        char *html = kpi_report_html(report, &counts, segments, engine_merchant(e)->name, &days,
                                     engine_currency_digits(e), engine_merchant(e)->currency,
                                     engine_merchant(e)->locale);
        fputs(html, out);
        free(html);
        json_decref(segments);
    } else {
        print_text(out, e, report, from_text, to_text);
    }
    if (out != stdout)
        fclose(out);
    json_decref(report);
    kpi_counts_clear(&counts);
    engine_close(e);
    return 0;
fail:
    kpi_counts_clear(&counts);
    engine_close(e);
    return cli_fail(cli, &err);
}
