/*
 * The HTML report: one self-contained page (inline CSS, SVG drawn here, no script, no external
 * resource) that a browser or a PDF printer renders as it is. Charts: revenue and active customers
 * by month, members against non-members, the cohort heat map and segment sizes.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/kpis.h"
#include "util/money.h"
#include "util/xalloc.h"

/* The page's words in the merchant's language. */
struct report_words {
    const char *lang, *title, *subtitle, *customers, *orders, *revenue, *average_order, *repurchase,
        *retention, *churn, *loyal_share, *participation, *points_redeemed, *none, *new_customers,
        *rewards_used, *cltv, *nps, *csat, *revenue_by_month, *active_by_month, *members_chart,
        *members_line, *non_members_line, *cohorts, *first_order, *segments_on, *from, *to;
    const char *before_percent, *before_colon; /* the space French puts before "%" and ":" */
    const char *first_of_month;                /* after day 1: "1er" */
    const char *months[12];
    const char *stages[7][2]; /* lifecycle stage id -> its name */
};

static const struct report_words ENGLISH = {
    .lang = "en",
    .before_percent = "",
    .before_colon = "",
    .first_of_month = "",
    .title = "loyalty report",
    .subtitle = "Loyalty report, ",
    .customers = "customers",
    .orders = "orders",
    .revenue = "revenue",
    .average_order = "average order",
    .repurchase = "repurchase rate",
    .retention = "retention rate",
    .churn = "churn rate",
    .loyal_share = "loyal revenue share",
    .participation = "customers active in the loyalty programme",
    .points_redeemed = "points redeemed out of points earned",
    .none = "n/a",
    .new_customers = "new customers",
    .rewards_used = "vouchers used out of vouchers issued",
    .cltv = "customer lifetime value (historical)",
    .nps = "net promoter score",
    .csat = "satisfied customers (CSAT)",
    .revenue_by_month = "Revenue by month",
    .active_by_month = "Active customers by month",
    .members_chart = "Members and non-members",
    .members_line = "members",
    .non_members_line = "non-members",
    .cohorts = "Cohorts: % of each month's new customers who ordered k months later",
    .first_order = "first order",
    .segments_on = "Segments on ",
    .from = "",
    .to = " to ",
    .months = {"January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"},
    .stages = {{"new", "new"},
               {"active", "active"},
               {"loyal", "loyal"},
               {"occasional", "occasional"},
               {"at_risk", "at risk"},
               {"dormant", "dormant"},
               {"churned", "churned"}},
};

static const struct report_words FRENCH = {
    .lang = "fr",
    .before_percent = "\u202f",
    .before_colon = " ",
    .first_of_month = "er",
    .title = "rapport de fidélité",
    .subtitle = "Rapport de fidélité, ",
    .customers = "clients",
    .orders = "commandes",
    .revenue = "chiffre d'affaires",
    .average_order = "panier moyen",
    .repurchase = "taux de réachat",
    .retention = "taux de rétention",
    .churn = "taux d'attrition",
    .loyal_share = "part du chiffre d'affaires des clients récurrents",
    .participation = "clients actifs dans le programme de fidélité",
    .points_redeemed = "points utilisés sur les points gagnés",
    .none = "n.d.",
    .new_customers = "nouveaux clients",
    .rewards_used = "bons utilisés sur les bons émis",
    .cltv = "valeur vie client (historique)",
    .nps = "net promoter score (NPS)",
    .csat = "clients satisfaits (CSAT)",
    .revenue_by_month = "Chiffre d'affaires par mois",
    .active_by_month = "Clients actifs par mois",
    .members_chart = "Membres et non-membres",
    .members_line = "membres",
    .non_members_line = "non-membres",
    .cohorts = "Cohortes : % des nouveaux clients de chaque mois qui ont commandé k mois plus tard",
    .first_order = "première commande",
    .segments_on = "Segments au ",
    .from = "du ",
    .to = " au ",
    .months = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
               "octobre", "novembre", "décembre"},
    .stages = {{"new", "nouveaux"},
               {"active", "actifs"},
               {"loyal", "fidèles"},
               {"occasional", "occasionnels"},
               {"at_risk", "à risque"},
               {"dormant", "endormis"},
               {"churned", "perdus"}},
};

struct page {
    char *data;
    size_t len, cap;
    const struct report_words *w;
    const char *locale, *currency; /* money as the merchant's language writes it */
    int digits;
    const struct report_days *days;
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

static void money(const struct page *p, int64_t minor, char out[FID_MONEY_LOCAL_MAX])
{
    fid_money_format_in(minor, p->digits, p->currency, p->locale, out);
}

/* A count with its thousands grouped as the language does. */
static void count(const struct page *p, int64_t n, char out[FID_MONEY_LOCAL_MAX])
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)n);
    fid_number_format_in(text, 0, p->locale, out);
}

/* A percentage with `decimals` decimals: "12.5%" in English, "12,5 %" in French. */
static void percent(const struct page *p, double value, int decimals, char out[FID_MONEY_LOCAL_MAX])
{
    char text[48], number[FID_MONEY_LOCAL_MAX];
    snprintf(text, sizeof text, "%.*f", decimals, value);
    fid_number_format_in(text, decimals, p->locale, number);
    if (snprintf(out, FID_MONEY_LOCAL_MAX, "%s%s%%", number, p->w->before_percent) >=
        FID_MONEY_LOCAL_MAX)
        snprintf(out, FID_MONEY_LOCAL_MAX, "%s", text); /* cannot happen with a rate's digits */
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
    char text[FID_MONEY_LOCAL_MAX];
    snprintf(text, sizeof text, "%s", p->w->none);
    if (json_is_number(value))
        percent(p, json_number_value(value), 1, text);
    tile(p, label, text);
}

/* Vertical bars of values[] with month labels; height scaled to the largest value. */
static void bar_chart(struct page *p, const char *title, const struct kpi_counts *c,
                      int64_t (*value)(const struct kpi_month *), const char *colour, bool in_money)
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
    char label[FID_MONEY_LOCAL_MAX];
    if (in_money)
        money(p, max, label);
    else
        count(p, max, label);
    put(p, "<text x=%d y=%d class=axis text-anchor=end>%s</text>", left - 6, top + 4, label);
    put(p, "<text x=%d y=%d class=axis text-anchor=end>0</text>", left - 6, height - bottom);
    size_t n = c->n_months ? c->n_months : 1;
    double slot = (double)(width - left - 10) / (double)n;
    for (size_t i = 0; i < c->n_months; i++) {
        int64_t v = value(&c->months[i]);
        double h = v > 0 ? (double)v / (double)max * (height - bottom - top) : 0;
        double x = left + slot * (double)i + slot * 0.15;
        /* the tooltip in the axis's unit: money as money, not minor units */
        if (in_money)
            money(p, v, label);
        else
            count(p, v, label);
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

static void members_chart(struct page *p, const struct kpi_counts *c, const json_t *report)
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
    put(p, "<figure><figcaption>");
    put_text(p, p->w->members_chart);
    put(p, "</figcaption><svg viewBox='0 0 640 120' width=640 height=120 role=img>");
    put(p, "<rect x=10 y=20 width=%.1f height=30 fill='#2f6f8f'/>", 620 * share);
    put(p, "<rect x=%.1f y=20 width=%.1f height=30 fill='#d9a441'/>", 10 + 620 * share,
        brought_m + brought_n > 0 ? 620 * (1 - share) : 0);
    const json_t *aov[2] = {json_object_get(report, "aov_members_minor"),
                            json_object_get(report, "aov_non_members_minor")};
    const int64_t amount[2] = {member_revenue, others};
    const double shares[2] = {share * 100, brought_m + brought_n > 0 ? (1 - share) * 100 : 0};
    const char *who[2] = {p->w->members_line, p->w->non_members_line};
    for (int g = 0; g < 2; g++) {
        char total[FID_MONEY_LOCAL_MAX], part[FID_MONEY_LOCAL_MAX], average[FID_MONEY_LOCAL_MAX];
        money(p, amount[g], total);
        percent(p, shares[g], 0, part);
        snprintf(average, sizeof average, "%s", p->w->none);
        if (json_is_integer(aov[g]))
            money(p, json_integer_value(aov[g]), average);
        put(p, "<text x=10 y=%d class=lab fill='%s'>", 75 + 25 * g, g == 0 ? "#2f6f8f" : "#9a6b12");
        put_text(p, who[g]);
        put_text(p, p->w->before_colon);
        put(p, ": ");
        put_text(p, total);
        put(p, " (");
        put_text(p, part);
        put(p, "), ");
        put_text(p, p->w->average_order);
        put(p, " ");
        put_text(p, average);
        put(p, "</text>");
    }
    put(p, "</svg></figure>");
}

static void cohort_table(struct page *p, const json_t *report)
{
    const json_t *cohorts = json_object_get(report, "cohorts");
    if (json_array_size(cohorts) == 0)
        return;
    put(p, "<figure><figcaption>");
    put_text(p, p->w->cohorts);
    put(p, "</figcaption><table class=heat><tr><th>");
    put_text(p, p->w->first_order);
    put(p, "</th><th>");
    put_text(p, p->w->customers);
    put(p, "</th>");
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

/* A day as the language writes it: "2 December 2025", "1er décembre 2026". */
static void day_text(const struct page *p, const struct report_day *d, char *out, size_t size)
{
    snprintf(out, size, "%d%s %s %d", d->day, d->day == 1 ? p->w->first_of_month : "",
             p->w->months[d->month - 1], d->year);
}

/* A lifecycle stage as the language names it. */
static const char *stage_name(const struct page *p, const char *id)
{
    for (size_t i = 0; i < sizeof p->w->stages / sizeof *p->w->stages; i++)
        if (strcmp(p->w->stages[i][0], id) == 0)
            return p->w->stages[i][1];
    return id;
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
    char on[64];
    day_text(p, &p->days->seen, on, sizeof on);
    put(p, "<figure><figcaption>");
    put_text(p, p->w->segments_on);
    put_text(p, on);
    put(p, "</figcaption><svg viewBox='0 0 640 %zu' width=640 height=%zu role=img>", rows * 24 + 10,
        rows * 24 + 10);
    const json_t *names = json_object_get(segments, "names");
    size_t row = 0;
    for (int g = 0; g < 2; g++) {
        const char *name;
        json_t *n;
        json_object_foreach((json_t *)groups[g], name, n)
        {
            double w = (double)json_integer_value(n) / (double)max * 400;
            put(p, "<text x=150 y=%zu class=lab text-anchor=end>", row * 24 + 20);
            const char *custom = json_string_value(json_object_get(names, name));
            put_text(p, g == 0 ? stage_name(p, name) : custom ? custom : name);
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
                      const char *merchant, const struct report_days *days, int digits,
                      const char *currency, const char *locale)
{
    const struct report_words *w = strcmp(locale, "en") == 0 ? &ENGLISH : &FRENCH;
    struct page p = {.data = xmalloc(32768),
                     .cap = 32768,
                     .w = w,
                     .locale = locale,
                     .currency = currency,
                     .digits = digits,
                     .days = days};
    put(&p, "<!DOCTYPE html><html lang=%s><head><meta charset=utf-8><title>", w->lang);
    put_text(&p, merchant);
    put(&p, " — ");
    put_text(&p, w->title);
    put(&p, "</title><style>"
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
    put(&p, "</h1><p class=sub>");
    char first[64], last[64];
    day_text(&p, &days->first, first, sizeof first);
    day_text(&p, &days->last, last, sizeof last);
    put_text(&p, w->subtitle);
    put_text(&p, w->from);
    put_text(&p, first);
    put_text(&p, w->to);
    put_text(&p, last);
    put(&p, "</p><div class=tiles>");
    char text[FID_MONEY_LOCAL_MAX];
    count(&p, json_integer_value(json_object_get(report, "customers")), text);
    tile(&p, w->customers, text);
    count(&p, json_integer_value(json_object_get(report, "new_customers")), text);
    tile(&p, w->new_customers, text);
    count(&p, json_integer_value(json_object_get(report, "orders")), text);
    tile(&p, w->orders, text);
    money(&p, json_integer_value(json_object_get(report, "revenue_minor")), text);
    tile(&p, w->revenue, text);
    const json_t *aov = json_object_get(report, "aov_minor");
    if (json_is_integer(aov))
        money(&p, json_integer_value(aov), text);
    else
        snprintf(text, sizeof text, "%s", w->none);
    tile(&p, w->average_order, text);
    rate_tile(&p, w->repurchase, json_object_get(report, "repurchase_rate"));
    rate_tile(&p, w->retention, json_object_get(report, "retention_rate"));
    rate_tile(&p, w->churn, json_object_get(report, "churn_rate"));
    rate_tile(&p, w->loyal_share, json_object_get(report, "loyal_revenue_share"));
    rate_tile(&p, w->participation, json_object_get(report, "participation_rate"));
    rate_tile(&p, w->points_redeemed, json_object_get(report, "points_redemption_rate"));
    rate_tile(&p, w->rewards_used, json_object_get(report, "reward_usage_rate"));
    const json_t *cltv = json_object_get(json_object_get(report, "cltv"), "value_minor");
    if (json_is_integer(cltv))
        money(&p, json_integer_value(cltv), text);
    else
        snprintf(text, sizeof text, "%s", w->none);
    tile(&p, w->cltv, text);
    /* NPS is a score from -100 to 100, not a share */
    const json_t *nps = json_object_get(report, "nps");
    snprintf(text, sizeof text, "%s", w->none);
    if (json_is_number(nps)) {
        char score[32];
        snprintf(score, sizeof score, "%.1f", json_number_value(nps));
        fid_number_format_in(score, 1, p.locale, text);
    }
    tile(&p, w->nps, text);
    rate_tile(&p, w->csat, json_object_get(report, "csat"));
    put(&p, "</div>");
    bar_chart(&p, w->revenue_by_month, counts, month_revenue, "#2f6f8f", true);
    bar_chart(&p, w->active_by_month, counts, month_active, "#d9a441", false);
    members_chart(&p, counts, report);
    cohort_table(&p, report);
    segment_bars(&p, segments);
    put(&p, "</body></html>\n");
    return p.data;
}
