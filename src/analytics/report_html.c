/*
 * The HTML report: one self-contained page (inline CSS, SVG drawn here, no script, no external
 * resource) that a browser or a PDF printer renders as it is. Charts: revenue and active customers
 * by month, members against non-members, the cohort heat map and segment sizes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/kpis.h"
#include "util/money.h"
#include "util/xalloc.h"

struct page {
    char *data;
    size_t len, cap;
};

static void put(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct page *p, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->data + p->len, p->cap - p->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < p->cap - p->len) {
            p->len += (size_t)n;
            return;
        }
        p->cap = p->cap * 2 + (size_t)(n > 0 ? n : 0);
        p->data = xrealloc(p->data, p->cap);
    }
}

/* Text into HTML: &, <, >, " escaped. */
static void put_text(struct page *p, const char *text)
{
    for (const char *c = text ? text : ""; *c; c++) {
        switch (*c) {
        case '&':
            put(p, "&amp;");
            break;
        case '<':
            put(p, "&lt;");
            break;
        case '>':
            put(p, "&gt;");
            break;
        case '"':
            put(p, "&quot;");
            break;
        default:
            put(p, "%c", *c);
        }
    }
}

static void money(char *out, size_t size, int64_t minor, int digits, const char *currency)
{
    char amount[FID_MONEY_TEXT_MAX];
    fid_money_format(minor, digits, amount);
    snprintf(out, size, "%s %s", amount, currency);
}

static void tile(struct page *p, const char *label, const char *value)
{
    put(p, "<div class=tile><div class=v>");
    put_text(p, value);
    put(p, "</div><div class=l>");
    put_text(p, label);
    put(p, "</div></div>");
}

static void rate_tile(struct page *p, const char *label, const json_t *value)
{
    char text[32] = "n/a";
    if (json_is_number(value))
        snprintf(text, sizeof text, "%.1f %%", json_number_value(value));
    tile(p, label, text);
}

/* Vertical bars of values[] with month labels; height scaled to the largest value. */
static void bar_chart(struct page *p, const char *title, const struct kpi_counts *c,
                      int64_t (*value)(const struct kpi_month *), const char *colour, int digits,
                      const char *currency)
{
    const int width = 680, height = 220, left = 110, bottom = 30, top = 20;
    int64_t max = 1;
    for (size_t i = 0; i < c->n_months; i++)
        if (value(&c->months[i]) > max)
            max = value(&c->months[i]);
    put(p, "<figure><figcaption>");
    put_text(p, title);
    put(p, "</figcaption><svg viewBox='0 0 %d %d' width=%d height=%d role=img>", width, height,
        width, height);
    put(p, "<line x1=%d y1=%d x2=%d y2=%d stroke='#999'/>", left, height - bottom, width - 10,
        height - bottom);
    char label[64];
    if (currency)
        money(label, sizeof label, max, digits, currency);
    else
        snprintf(label, sizeof label, "%lld", (long long)max);
    put(p, "<text x=%d y=%d class=axis text-anchor=end>%s</text>", left - 6, top + 4, label);
    put(p, "<text x=%d y=%d class=axis text-anchor=end>0</text>", left - 6, height - bottom);
    size_t n = c->n_months ? c->n_months : 1;
    double slot = (double)(width - left - 10) / (double)n;
    for (size_t i = 0; i < c->n_months; i++) {
        int64_t v = value(&c->months[i]);
        double h = v > 0 ? (double)v / (double)max * (height - bottom - top) : 0;
        double x = left + slot * (double)i + slot * 0.15;
        /* the tooltip in the axis's unit: money as money, not minor units */
        if (currency)
            money(label, sizeof label, v, digits, currency);
        else
            snprintf(label, sizeof label, "%lld", (long long)v);
        put(p,
            "<rect x=%.1f y=%.1f width=%.1f height=%.1f fill='%s'><title>%04d-%02d: %s</title>"
            "</rect>",
            x, height - bottom - h, slot * 0.7, h, colour, c->months[i].year, c->months[i].month,
            label);
        put(p, "<text x=%.1f y=%d class=axis text-anchor=middle>%02d/%02d</text>", x + slot * 0.35,
            height - bottom + 16, c->months[i].month, c->months[i].year % 100);
    }
    put(p, "</svg></figure>");
}

static int64_t month_revenue(const struct kpi_month *m)
{
    return m->revenue_minor;
}

static int64_t month_active(const struct kpi_month *m)
{
    return m->active_customers;
}

static void members_chart(struct page *p, const struct kpi_counts *c, const json_t *report,
                          int digits, const char *currency)
{
    int64_t member_revenue = 0, revenue = 0;
    for (size_t i = 0; i < c->n_months; i++) {
        member_revenue += c->months[i].member_revenue_minor;
        revenue += c->months[i].revenue_minor;
    }
    int64_t others = revenue - member_revenue;
    /* Net of refunds a group's revenue can be below zero (refunds of earlier orders): the bar
     * shares what each group brought, never less than nothing. */
    int64_t brought_m = member_revenue > 0 ? member_revenue : 0,
            brought_n = others > 0 ? others : 0;
    double share =
        brought_m + brought_n > 0 ? (double)brought_m / (double)(brought_m + brought_n) : 0;
    put(p, "<figure><figcaption>Members and non-members</figcaption>"
           "<svg viewBox='0 0 640 120' width=640 height=120 role=img>");
    put(p, "<rect x=10 y=20 width=%.1f height=30 fill='#2f6f8f'/>", 620 * share);
    put(p, "<rect x=%.1f y=20 width=%.1f height=30 fill='#d9a441'/>", 10 + 620 * share,
        brought_m + brought_n > 0 ? 620 * (1 - share) : 0);
    char a[64], b[64], aov_m[64] = "n/a", aov_n[64] = "n/a";
    money(a, sizeof a, member_revenue, digits, currency);
    money(b, sizeof b, others, digits, currency);
    const json_t *am = json_object_get(report, "aov_members_minor");
    const json_t *an = json_object_get(report, "aov_non_members_minor");
    if (json_is_integer(am))
        money(aov_m, sizeof aov_m, json_integer_value(am), digits, currency);
    if (json_is_integer(an))
        money(aov_n, sizeof aov_n, json_integer_value(an), digits, currency);
    put(p,
        "<text x=10 y=75 class=lab fill='#2f6f8f'>members: %s (%.0f %%), average order %s"
        "</text>",
        a, share * 100, aov_m);
    put(p,
        "<text x=10 y=100 class=lab fill='#9a6b12'>non-members: %s (%.0f %%), average order "
        "%s</text></svg></figure>",
        b, brought_m + brought_n > 0 ? (1 - share) * 100 : 0, aov_n);
}

static void cohort_table(struct page *p, const json_t *report)
{
    const json_t *cohorts = json_object_get(report, "cohorts");
    if (json_array_size(cohorts) == 0)
        return;
    put(p, "<figure><figcaption>Cohorts: %% of each month's new customers who ordered k months "
           "later</figcaption><table class=heat><tr><th>first order</th><th>customers</th>");
    for (size_t k = 0;
         k < json_array_size(json_object_get(json_array_get(cohorts, 0), "active_pct")); k++)
        put(p, "<th>%zu</th>", k);
    put(p, "</tr>");
    size_t i;
    json_t *c;
    json_array_foreach(cohorts, i, c)
    {
        put(p, "<tr><td>%s</td><td>%lld</td>", json_string_value(json_object_get(c, "month")),
            (long long)json_integer_value(json_object_get(c, "customers")));
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(c, "active_pct"), k, v)
        {
            if (!json_is_number(v)) {
                put(p, "<td class=na>–</td>");
                continue;
            }
            double pct = json_number_value(v);
            /* White to deep teal as the share grows. */
            int shade = (int)(255 - pct * 1.6);
            put(p, "<td style='background:rgb(%d,%d,%d);color:%s'>%.0f</td>", shade,
                (int)(255 - pct * 0.9), (int)(255 - pct * 1.0), pct > 55 ? "#fff" : "#222", pct);
        }
        put(p, "</tr>");
    }
    put(p, "</table></figure>");
}

static void segment_bars(struct page *p, const json_t *segments)
{
    if (segments == NULL)
        return;
    const json_t *groups[2] = {json_object_get(segments, "lifecycle"),
                               json_object_get(segments, "custom")};
    int64_t max = 1;
    for (int g = 0; g < 2; g++) {
        const char *name;
        json_t *n;
        json_object_foreach((json_t *)groups[g], name, n) if (json_integer_value(n) > max) max =
            json_integer_value(n);
    }
    size_t rows = json_object_size(groups[0]) + json_object_size(groups[1]);
    put(p,
        "<figure><figcaption>Segments</figcaption><svg viewBox='0 0 640 %zu' width=640 "
        "height=%zu role=img>",
        rows * 24 + 10, rows * 24 + 10);
    size_t row = 0;
    for (int g = 0; g < 2; g++) {
        const char *name;
        json_t *n;
        json_object_foreach((json_t *)groups[g], name, n)
        {
            double w = (double)json_integer_value(n) / (double)max * 400;
            put(p, "<text x=150 y=%zu class=lab text-anchor=end>", row * 24 + 20);
            put_text(p, name);
            put(p, "</text><rect x=160 y=%zu width=%.1f height=16 fill='%s'/>", row * 24 + 7, w,
                g == 0 ? "#5b8c5a" : "#8a5a9e");
            put(p, "<text x=%.1f y=%zu class=lab>%lld</text>", 166 + w, row * 24 + 20,
                (long long)json_integer_value(n));
            row++;
        }
    }
    put(p, "</svg></figure>");
}

char *kpi_report_html(const json_t *report, const struct kpi_counts *counts, const json_t *segments,
                      const char *merchant, const char *period, int digits, const char *currency)
{
    struct page p = {.data = xmalloc(32768), .cap = 32768};
    put(&p, "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>");
    put_text(&p, merchant);
    put(&p, " — loyalty report</title><style>"
            "body{font:15px/1.45 system-ui,sans-serif;margin:32px;color:#222;max-width:980px}"
            "h1{font-size:24px;margin:0 0 4px}p.sub{color:#666;margin:0 0 24px}"
            ".tiles{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:24px}"
            ".tile{border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:140px}"
            ".tile .v{font-size:20px;font-weight:600}.tile .l{color:#666;font-size:13px}"
            "figure{margin:0 0 28px}figcaption{font-weight:600;margin-bottom:8px}"
            "text.axis{font-size:11px;fill:#666}text.lab{font-size:13px}"
            "table.heat{border-collapse:collapse;font-size:12px}"
            "table.heat td,table.heat th{border:1px solid #eee;padding:4px 6px;text-align:right}"
            "td.na{color:#bbb}</style></head><body><h1>");
    put_text(&p, merchant);
    put(&p, "</h1><p class=sub>Loyalty report, ");
    put_text(&p, period);
    put(&p, "</p><div class=tiles>");
    char text[64];
    snprintf(text, sizeof text, "%lld",
             (long long)json_integer_value(json_object_get(report, "customers")));
    tile(&p, "customers", text);
    snprintf(text, sizeof text, "%lld",
             (long long)json_integer_value(json_object_get(report, "orders")));
    tile(&p, "orders", text);
    money(text, sizeof text, json_integer_value(json_object_get(report, "revenue_minor")), digits,
          currency);
    tile(&p, "revenue", text);
    const json_t *aov = json_object_get(report, "aov_minor");
    if (json_is_integer(aov))
        money(text, sizeof text, json_integer_value(aov), digits, currency);
    else
        snprintf(text, sizeof text, "n/a");
    tile(&p, "average order", text);
    rate_tile(&p, "repurchase rate", json_object_get(report, "repurchase_rate"));
    rate_tile(&p, "retention rate", json_object_get(report, "retention_rate"));
    rate_tile(&p, "churn rate", json_object_get(report, "churn_rate"));
    rate_tile(&p, "loyal revenue share", json_object_get(report, "loyal_revenue_share"));
    rate_tile(&p, "participation", json_object_get(report, "participation_rate"));
    rate_tile(&p, "points redeemed", json_object_get(report, "points_redemption_rate"));
    put(&p, "</div>");
    bar_chart(&p, "Revenue by month", counts, month_revenue, "#2f6f8f", digits, currency);
    bar_chart(&p, "Active customers by month", counts, month_active, "#d9a441", digits, NULL);
    members_chart(&p, counts, report, digits, currency);
    cohort_table(&p, report);
    segment_bars(&p, segments);
    put(&p, "</body></html>\n");
    return p.data;
}
