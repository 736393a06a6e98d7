/*
 * KPI counts: the order-based ones in one columnar pass (analytics/kpi_pass.h) over the history
 * blocks and the rows of orders applied live; refunds, the ledger, vouchers and surveys by SQL.
 */
#include "store/kpi_store.h"

#include <stdlib.h>
#include <string.h>

#include "analytics/kpi_pass.h"
#include "store/history_store.h"
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

/* The local months of [from, to): their year * 12 + month - 1 and their bounds. */
static size_t calendar(const struct fid_tz *tz, int64_t from, int64_t to, int **year_months,
                       int64_t **starts)
{
    struct fid_local l;
    fid_tz_local(tz, from, &l);
    int first = l.year * 12 + l.month - 1;
    fid_tz_local(tz, to - 1, &l);
    int last = l.year * 12 + l.month - 1;
    size_t n = last >= first ? (size_t)(last - first + 1) : 0;
    *year_months = xcalloc(n + 1, sizeof **year_months);
    *starts = xcalloc(n + 1, sizeof **starts);
    for (size_t i = 0; i <= n; i++) {
        int month = first + (int)i;
        (*year_months)[i] = month;
        (*starts)[i] = fid_tz_midnight(tz, month / 12, month % 12 + 1, 1);
    }
    if (n > 0)
        (*starts)[0] = from; /* the first month counts from `from` */
    return n;
}

static int add_block(const struct order_columns *block, void *context)
{
    kpi_pass_orders(context, block);
    return 0;
}

/* The orders applied live (rows), in chunks shaped like the history's blocks. */
static enum fid_status add_rows(struct store *store, struct kpi_pass *pass, struct fid_error *err)
{
    enum { CHUNK = 4096 };
    int64_t at[CHUNK], paid[CHUNK];
    uint32_t customer[CHUNK];
    uint8_t member[CHUNK];
    struct order_columns chunk = {
        .at = at, .paid_minor = paid, .customer = customer, .member = member};
    struct db_stmt *s = db_prepare(store->db, "SELECT customer_id, at, paid_minor, "
                                              "member_at_order FROM orders WHERE merchant_id = ? "
                                              "AND at < ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, pass->to);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        customer[chunk.n] = (uint32_t)db_column_int(s, 0);
        at[chunk.n] = db_column_int(s, 1);
        paid[chunk.n] = db_column_int(s, 2);
        member[chunk.n] = db_column_int(s, 3) != 0;
        if (++chunk.n == CHUNK) {
            kpi_pass_orders(pass, &chunk);
            chunk.n = 0;
        }
    }
    db_done(s);
    kpi_pass_orders(pass, &chunk);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the orders failed") : FID_OK;
}

/* The refunds dated in P with their order's date: the revenue takes every one of them, the AOV by
 * membership only those of orders placed in P (docs/kpis.md). */
static enum fid_status add_refunds(struct store *store, struct kpi_pass *pass,
                                   struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "SELECT o.customer_id, r.at, o.at, r.amount_minor, o.member_at_order "
                              "FROM refunds r JOIN orders o ON o.merchant_id = r.merchant_id "
                              "AND o.id = r.order_id WHERE r.merchant_id = ? AND r.at >= ? "
                              "AND r.at < ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, pass->from);
    db_bind_int(s, 3, pass->to);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW)
        kpi_pass_refund(pass, db_column_int(s, 0), db_column_int(s, 1), db_column_int(s, 2),
                        db_column_int(s, 3), db_column_int(s, 4) != 0);
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the refunds failed") : FID_OK;
}

static enum fid_status order_counts(struct store *store, const struct fid_tz *tz, int64_t from,
                                    int64_t to, int64_t window_days, struct kpi_counts *out,
                                    struct fid_error *err)
{
    int64_t max_id = 0;
    enum fid_status st = counts(store,
                                "SELECT COALESCE(MAX(id), 0) FROM customers WHERE "
                                "merchant_id = ?1",
                                0, NULL, &max_id, NULL, NULL, err);
    if (st != FID_OK)
        return st;
    int *year_months;
    int64_t *starts;
    size_t n_months = calendar(tz, from, to, &year_months, &starts);
    kpi_counts_calendar(out, year_months, n_months);
    struct kpi_pass pass;
    kpi_pass_init(&pass, out, (size_t)max_id + 1, from, to,
                  fid_tz_add_days(tz, from, -(int)window_days),
                  fid_tz_add_days(tz, to, -(int)window_days), starts, n_months);
    if ((st = history_scan(store, to, add_block, &pass, err)) == FID_OK &&
        (st = add_rows(store, &pass, err)) == FID_OK) {
        kpi_pass_finish(&pass);
        st = add_refunds(store, &pass, err);
    }
    if (st == FID_OK && pass.overflow)
        st = fid_fail(err, FID_ERR_LIMIT, "",
                      "the period's revenue passes %lld minor units, more than a report counts",
                      (long long)INT64_MAX);
    kpi_pass_free(&pass);
    free(year_months);
    free(starts);
    return st;
}

enum fid_status kpi_counts_load(struct store *store, const struct fid_tz *tz, int64_t from,
                                int64_t to, int64_t window_days, struct kpi_counts *out,
                                struct fid_error *err)
{
    memset(out, 0, sizeof *out);
    out->period_days = (to - from + 43200) / 86400;
    int64_t period[2] = {from, to};
    enum fid_status st;
    if ((st = order_counts(store, tz, from, to, window_days, out, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(DISTINCT CASE WHEN customer_id IN (SELECT customer_id FROM "
                     "orders WHERE merchant_id = ?1 AND at >= ?2 AND at < ?3) THEN customer_id "
                     "END), COALESCE(SUM(CASE WHEN account = "
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
                     2, period, &out->vouchers_issued, &out->vouchers_used, NULL, err)) != FID_OK ||
        (st = counts(store,
                     "SELECT COUNT(*), COALESCE(SUM(score >= 9), 0), COALESCE(SUM(score <= 6), 0) "
                     "FROM survey_answers WHERE merchant_id = ?1 AND survey = 'nps' AND at >= ?2 "
                     "AND at < ?3",
                     2, period, &out->nps_answers, &out->nps_promoters, &out->nps_detractors,
                     err)) != FID_OK)
        return st;
    return counts(store,
                  "SELECT COUNT(*), COALESCE(SUM(score >= 4), 0) FROM survey_answers WHERE "
                  "merchant_id = ?1 AND survey = 'csat' AND at >= ?2 AND at < ?3",
                  2, period, &out->csat_answers, &out->csat_satisfied, NULL, err);
}
