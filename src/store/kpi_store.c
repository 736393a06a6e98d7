/*
 * KPI counts by SQL over the merchant's rows, plus one ordered scan of the order history for the
 * cohorts (months are local months, which SQL cannot compute in the merchant's time zone).
 */
#include "store/kpi_store.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Runs sql with (merchant, a, b[, c, d]) and reads up to three integer columns. */
static enum fid_status counts(struct store *store, const char *sql, int nparams,
                              const int64_t *params, int64_t *c0, int64_t *c1, int64_t *c2,
                              struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, sql);
    db_bind_int(s, 1, store->merchant_id);
    for (int i = 0; i < nparams; i++)
        db_bind_int(s, i + 2, params[i]);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        if (c0)
            *c0 = db_column_int(s, 0);
        if (c1)
            *c1 = db_column_int(s, 1);
        if (c2)
            *c2 = db_column_int(s, 2);
    }
    db_done(s);
    return rc == DB_ROW ? FID_OK : fid_fail(err, FID_ERR_DB, "", "KPI query failed");
}

struct cohort_scan {
    const struct months *months;
    int first_month, last_month; /* year * 12 + month - 1, inclusive range of cohorts shown */
    int64_t customer;
    int cohort;    /* the current customer's first month */
    int last_seen; /* last month counted for the current customer */
    struct kpi_counts *out;
};

/* Local months as year * 12 + month - 1. Reading the time zone for every order is the costly
 * part of a scan, so the month starts of the scanned range are computed once and searched. */
struct months {
    const struct fid_tz *tz;
    int first; /* the month of starts[0] */
    size_t n;  /* starts[0..n] bound months first .. first + n - 1 */
    int64_t *starts;
};

static int local_month(const struct fid_tz *tz, int64_t at)
{
    struct fid_local l;
    fid_tz_local(tz, at, &l);
    return l.year * 12 + l.month - 1;
}

static void months_init(struct months *m, const struct fid_tz *tz, int64_t from, int64_t to)
{
    m->tz = tz;
    m->first = local_month(tz, from);
    int last = local_month(tz, to - 1);
    m->n = (size_t)(last - m->first + 1);
    m->starts = xcalloc(m->n + 1, sizeof *m->starts);
    for (size_t i = 0; i <= m->n; i++) {
        int month = m->first + (int)i;
        m->starts[i] = fid_tz_midnight(tz, month / 12, month % 12 + 1, 1);
    }
}

static int month_of(const struct months *m, int64_t at)
{
    if (m->n == 0 || at < m->starts[0] || at >= m->starts[m->n])
        return local_month(m->tz, at);
    size_t lo = 0, hi = m->n; /* starts[lo] <= at < starts[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (m->starts[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    return m->first + (int)lo;
}

static int visit(int64_t customer_id, int64_t at, int64_t value_minor, void *context)
{
    (void)value_minor;
    struct cohort_scan *s = context;
    int month = month_of(s->months, at);
    if (customer_id != s->customer) {
        s->customer = customer_id;
        s->cohort = month;
        s->last_seen = -1;
        if (month >= s->first_month && month <= s->last_month)
            s->out->cohorts[month - s->first_month].size++;
    }
    if (s->cohort < s->first_month || s->cohort > s->last_month || month == s->last_seen)
        return 0;
    s->last_seen = month;
    struct kpi_cohort *k = &s->out->cohorts[s->cohort - s->first_month];
    size_t offset = (size_t)(month - s->cohort);
    if (offset < k->n_months)
        k->active[offset]++;
    return 0;
}

/* Monthly series: orders and revenue by local month, active customers per month. */
static struct kpi_month *month_slot(struct kpi_counts *out, int first, int month)
{
    int i = month - first;
    return i >= 0 && (size_t)i < out->n_months ? &out->months[i] : NULL;
}

static enum fid_status load_months(struct store *store, const struct months *calendar, int64_t from,
                                   int64_t to, struct kpi_counts *out, struct fid_error *err)
{
    int first = month_of(calendar, from), last = month_of(calendar, to - 1);
    out->n_months = (size_t)(last - first + 1);
    out->months = xcalloc(out->n_months, sizeof *out->months);
    for (size_t i = 0; i < out->n_months; i++) {
        out->months[i].year = (first + (int)i) / 12;
        out->months[i].month = (first + (int)i) % 12 + 1;
    }
    struct db_stmt *s = db_prepare(store->db, "SELECT customer_id, at, paid_minor, member_at_order "
                                              "FROM orders WHERE merchant_id = ? AND at >= ? AND "
                                              "at < ? ORDER BY customer_id, at");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, from);
    db_bind_int(s, 3, to);
    int64_t customer = -1;
    int last_seen = -1;
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        int64_t who = db_column_int(s, 0), paid = db_column_int(s, 2);
        bool member = db_column_int(s, 3) != 0;
        int month = month_of(calendar, db_column_int(s, 1));
        struct kpi_month *m = month_slot(out, first, month);
        if (m == NULL)
            continue;
        if (who != customer) {
            customer = who;
            last_seen = -1;
        }
        if (month != last_seen) {
            m->active_customers++;
            last_seen = month;
        }
        m->orders++;
        m->revenue_minor += paid;
        if (member) {
            m->member_orders++;
            m->member_revenue_minor += paid;
        }
    }
    db_done(s);
    if (rc == DB_FAILED)
        return fid_fail(err, FID_ERR_DB, "", "reading monthly orders failed");
    s = db_prepare(store->db, "SELECT r.at, r.amount_minor, o.member_at_order FROM refunds r JOIN "
                              "orders o ON o.merchant_id = r.merchant_id AND o.id = r.order_id "
                              "WHERE r.merchant_id = ? AND r.at >= ? AND r.at < ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, from);
    db_bind_int(s, 3, to);
    while ((rc = db_step(s)) == DB_ROW) {
        struct kpi_month *m = month_slot(out, first, month_of(calendar, db_column_int(s, 0)));
        if (m == NULL)
            continue;
        m->revenue_minor -= db_column_int(s, 1);
        if (db_column_int(s, 2))
            m->member_revenue_minor -= db_column_int(s, 1);
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading monthly refunds failed")
                           : FID_OK;
}

enum fid_status kpi_counts_load(struct store *store, const struct fid_tz *tz, int64_t from,
                                int64_t to, int64_t window_days, struct kpi_counts *out,
                                struct fid_error *err)
{
    memset(out, 0, sizeof *out);
    out->period_days = (to - from + 43200) / 86400;
    int64_t period[2] = {from, to};
    int64_t start_window[2] = {fid_tz_add_days(tz, from, -(int)window_days), from};
    int64_t end_window[2] = {fid_tz_add_days(tz, to, -(int)window_days), to};
    int64_t churn[4] = {start_window[0], start_window[1], end_window[0], end_window[1]};
    enum fid_status st;
    if ((st = counts(store,
                     "SELECT COUNT(*), COALESCE(SUM(paid_minor), 0), COUNT(DISTINCT customer_id) "
                     "FROM orders WHERE merchant_id = ?1 AND at >= ?2 AND at < ?3",
                     2, period, &out->orders, &out->paid_minor, &out->customers, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(*), COALESCE(SUM(paid_minor), 0) FROM orders WHERE "
                     "merchant_id = ?1 AND at >= ?2 AND at < ?3 AND member_at_order = 1",
                     2, period, &out->member_orders, &out->member_paid_minor, NULL, err)) !=
            FID_OK ||
        (st = counts(store,
                     "SELECT COALESCE(SUM(r.amount_minor), 0), COALESCE(SUM(CASE WHEN "
                     "o.member_at_order = 1 THEN r.amount_minor END), 0) FROM refunds r JOIN "
                     "orders o ON o.merchant_id = r.merchant_id AND o.id = r.order_id WHERE "
                     "r.merchant_id = ?1 AND r.at >= ?2 AND r.at < ?3",
                     2, period, &out->refunded_minor, &out->member_refunded_minor, NULL, err)) !=
            FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(*) FROM customers WHERE merchant_id = ?1 AND first_order_at >= "
                     "?2 AND first_order_at < ?3",
                     2, period, &out->new_customers, NULL, NULL, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(*) FROM (SELECT customer_id FROM orders WHERE merchant_id = ?1 "
                     "AND at >= ?2 AND at < ?3 GROUP BY customer_id HAVING COUNT(*) >= 2)",
                     2, period, &out->repeat_customers, NULL, NULL, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(DISTINCT customer_id) FROM orders WHERE merchant_id = ?1 AND "
                     "at >= ?2 AND at < ?3",
                     2, start_window, &out->customers_start, NULL, NULL, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(DISTINCT customer_id) FROM orders WHERE merchant_id = ?1 AND "
                     "at >= ?2 AND at < ?3",
                     2, end_window, &out->customers_end, NULL, NULL, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(*) FROM (SELECT DISTINCT customer_id FROM orders WHERE "
                     "merchant_id = ?1 AND at >= ?2 AND at < ?3 EXCEPT SELECT customer_id FROM "
                     "orders WHERE merchant_id = ?1 AND at >= ?4 AND at < ?5)",
                     4, churn, &out->churned, NULL, NULL, err)) != FID_OK ||
        (st = counts(store,
                     "WITH loyal AS (SELECT customer_id FROM orders WHERE merchant_id = ?1 AND at "
                     "< ?3 GROUP BY customer_id HAVING COUNT(*) >= 2) SELECT (SELECT "
                     "COALESCE(SUM(paid_minor), 0) FROM orders WHERE merchant_id = ?1 AND at >= "
                     "?2 AND at < ?3 AND customer_id IN loyal), (SELECT "
                     "COALESCE(SUM(r.amount_minor), 0) FROM refunds r JOIN orders o ON "
                     "o.merchant_id = r.merchant_id AND o.id = r.order_id WHERE r.merchant_id = "
                     "?1 AND r.at >= ?2 AND r.at < ?3 AND o.customer_id IN loyal)",
                     2, period, &out->loyal_paid_minor, &out->loyal_refunded_minor, NULL, err)) !=
            FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(DISTINCT customer_id), COALESCE(SUM(CASE WHEN account = "
                     "'points' AND kind IN ('earn', 'earn_pending') THEN amount + pending_delta "
                     "END), 0), COALESCE(-SUM(CASE WHEN account = 'points' AND kind = 'redeem' "
                     "THEN amount END), 0) FROM ledger WHERE merchant_id = ?1 AND at >= ?2 AND "
                     "at < ?3",
                     2, period, &out->members_active, &out->points_earned, &out->points_redeemed,
                     err)) != FID_OK ||
        (st = counts(store,
                     "SELECT (SELECT COUNT(*) FROM vouchers WHERE merchant_id = ?1 AND issued_at "
                     ">= ?2 AND issued_at < ?3), (SELECT COUNT(*) FROM vouchers WHERE "
                     "merchant_id = ?1 AND used_at >= ?2 AND used_at < ?3)",
                     2, period, &out->vouchers_issued, &out->vouchers_used, NULL, err)) != FID_OK)
        return st;
    if ((st = counts(store,
                     "SELECT COUNT(*), COALESCE(SUM(score >= 9), 0), COALESCE(SUM(score <= 6), 0) "
                     "FROM survey_answers WHERE merchant_id = ?1 AND survey = 'nps' AND at >= ?2 "
                     "AND at < ?3",
                     2, period, &out->nps_answers, &out->nps_promoters, &out->nps_detractors,
                     err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(*), COALESCE(SUM(score >= 4), 0) FROM survey_answers WHERE "
                     "merchant_id = ?1 AND survey = 'csat' AND at >= ?2 AND at < ?3",
                     2, period, &out->csat_answers, &out->csat_satisfied, NULL, err)) != FID_OK)
        return st;
    /* Cohorts: one per month of the period, followed to the last month before `to`. */
    int64_t earliest = from;
    if ((st = counts(store, "SELECT COALESCE(MIN(at), ?2) FROM orders WHERE merchant_id = ?1", 1,
                     &from, &earliest, NULL, NULL, err)) != FID_OK)
        return st;
    struct months calendar;
    months_init(&calendar, tz, earliest < from ? earliest : from, to);
    struct cohort_scan scan = {.months = &calendar,
                               .first_month = month_of(&calendar, from),
                               .last_month = month_of(&calendar, to - 1),
                               .out = out};
    out->n_cohorts = (size_t)(scan.last_month - scan.first_month + 1);
    out->cohorts = xcalloc(out->n_cohorts, sizeof *out->cohorts);
    for (size_t i = 0; i < out->n_cohorts; i++) {
        int m = scan.first_month + (int)i;
        out->cohorts[i].year = m / 12;
        out->cohorts[i].month = m % 12 + 1;
        out->cohorts[i].n_months = out->n_cohorts - i;
        out->cohorts[i].active = xcalloc(out->cohorts[i].n_months, sizeof(int64_t));
    }
    st = order_history_scan(store, to, visit, &scan, err);
    if (st == FID_OK)
        st = load_months(store, &calendar, from, to, out, err);
    free(calendar.starts);
    return st;
}
