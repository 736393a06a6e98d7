/*
 * A customer's orders over time, without an index of orders by customer: the tier window's sums
 * from the periods kept in the customer's row, reading orders along the customer's chain only in
 * a period the window cuts (store/order_periods.h), and the periods built from the orders
 * themselves (for the migration that introduced them, and for verify).
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* What a walk does with each order of a period that falls in the window. */
struct window_visit {
    void (*visit)(struct window_visit *w, int64_t at, struct order_share share);
    struct order_share sum;
    int64_t *instants;
    struct order_dated *orders;
    size_t n, cap;
    struct order_window_cache *cache; /* a sum's cut periods read through it (NULL: walked) */
};

static void add_share(struct window_visit *w, int64_t at, struct order_share share)
{
    (void)at;
    order_share_add(&w->sum, share, 1);
}

static void add_instant(struct window_visit *w, int64_t at, struct order_share share)
{
    (void)share;
    xgrow((void **)&w->instants, &w->cap, w->n + 1, sizeof *w->instants);
    w->instants[w->n++] = at;
}

static void add_order(struct window_visit *w, int64_t at, struct order_share share)
{
    xgrow((void **)&w->orders, &w->cap, w->n + 1, sizeof *w->orders);
    w->orders[w->n++] = (struct order_dated){at, share};
}

/* Visits the period's orders that fall in [from, to), walking the chain from its newest order;
 * in a period whose orders arrived in time order, the first one before `from` ends the walk. A
 * chain that names a missing order, or a previous order that is not older, is an error. */
static enum fid_status walk_period(struct store *store, const struct order_periods *periods,
                                   const struct order_period *period, int64_t from, int64_t to,
                                   struct window_visit *w, struct fid_error *err)
{
    for (int64_t id = period->newest_id; id >= period->oldest_id && id > 0;) {
        struct db_stmt *s =
            db_prepare(store->db, "SELECT prev_id, at, paid_minor, "
                                  "refunded_minor, refunded_in_full, points_earned, "
                                  "points_clawed FROM orders WHERE merchant_id = ? "
                                  "AND id = ?");
        db_bind_int(s, 1, store->merchant_id);
        db_bind_int(s, 2, id);
        if (db_step(s) != DB_ROW || db_column_int(s, 0) >= id) {
            db_done(s);
            return fid_fail(err, FID_ERR_DB, "", "order #%lld of a customer's chain cannot be read",
                            (long long)id);
        }
        int64_t at = db_column_int(s, 1);
        bool held = order_period_holds(periods, period, at);
        if (held && at < from && !period->out_of_order && period != &periods->folded) {
            db_done(s);
            break;
        }
        if (held && at >= from && at < to)
            w->visit(w, at,
                     order_share_of(db_column_int(s, 2), db_column_int(s, 3),
                                    db_column_int(s, 4) != 0, db_column_int(s, 5),
                                    db_column_int(s, 6)));
        id = db_column_int(s, 0);
        db_done(s);
    }
    return FID_OK;
}

/* The period's orders as the cache holds them, read along the chain when it does not yet (the
 * oldest entry making room). */
static enum fid_status cached_orders(struct store *store, const struct order_periods *periods,
                                     struct order_window_cache *cache,
                                     const struct order_period *period,
                                     const struct order_period_orders **out, struct fid_error *err)
{
    for (size_t i = 0; i < cache->n; i++)
        if (cache->items[i].period == period) {
            *out = &cache->items[i];
            return FID_OK;
        }
    struct window_visit w = {.visit = add_order};
    enum fid_status st =
        walk_period(store, periods, period, period->first_at, period->last_at + 1, &w, err);
    if (st != FID_OK) {
        free(w.orders);
        return st;
    }
    struct order_period_orders *slot = &cache->items[cache->next];
    if (cache->n < ORDER_WINDOW_CACHE_MAX)
        cache->n++;
    else
        free(slot->orders);
    cache->next = (cache->next + 1) % ORDER_WINDOW_CACHE_MAX;
    *slot = (struct order_period_orders){.period = period, .orders = w.orders, .n = w.n};
    *out = slot;
    return FID_OK;
}

void order_window_cache_free(struct order_window_cache *cache)
{
    for (size_t i = 0; i < cache->n; i++)
        free(cache->items[i].orders);
    cache->n = cache->next = 0;
}

/* A period inside the window adds its sum whole when only the sum is wanted, and a period it
 * cuts adds its orders inside from the cache when there is one. */
static enum fid_status visit_period(struct store *store, const struct order_periods *periods,
                                    const struct order_period *period, int64_t from, int64_t to,
                                    struct window_visit *w, struct fid_error *err)
{
    switch (order_period_overlap(period, from, to)) {
    case PERIOD_OUTSIDE:
        return FID_OK;
    case PERIOD_INSIDE:
        if (w->visit != add_share)
            break;
        order_share_add(&w->sum, period->sum, 1);
        return FID_OK;
    case PERIOD_PARTLY:
        if (w->cache == NULL || w->visit != add_share)
            break;
        const struct order_period_orders *read = NULL;
        enum fid_status st = cached_orders(store, periods, w->cache, period, &read, err);
        for (size_t k = 0; st == FID_OK && k < read->n; k++)
            if (read->orders[k].at >= from && read->orders[k].at < to)
                order_share_add(&w->sum, read->orders[k].share, 1);
        return st;
    }
    return walk_period(store, periods, period, from, to, w, err);
}

static enum fid_status visit_window(struct store *store, const struct order_periods *periods,
                                    int64_t from, int64_t to, struct window_visit *w,
                                    struct fid_error *err)
{
    enum fid_status st = visit_period(store, periods, &periods->folded, from, to, w, err);
    for (size_t i = 0; i < periods->n && st == FID_OK; i++)
        st = visit_period(store, periods, &periods->periods[i], from, to, w, err);
    return st;
}

enum fid_status order_window_totals(struct store *store, const struct order_periods *periods,
                                    int64_t from, int64_t to, struct order_share *sum,
                                    struct fid_error *err)
{
    return order_window_totals_cached(store, periods, NULL, from, to, sum, err);
}

enum fid_status order_window_totals_cached(struct store *store, const struct order_periods *periods,
                                           struct order_window_cache *cache, int64_t from,
                                           int64_t to, struct order_share *sum,
                                           struct fid_error *err)
{
    struct window_visit w = {.visit = add_share, .cache = cache};
    enum fid_status st = visit_window(store, periods, from, to, &w, err);
    *sum = w.sum;
    return st;
}

static int by_instant(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

enum fid_status order_window_instants(struct store *store, const struct order_periods *periods,
                                      int64_t from, int64_t to, int64_t **instants, size_t *n,
                                      struct fid_error *err)
{
    struct window_visit w = {.visit = add_instant};
    enum fid_status st = visit_window(store, periods, from, to, &w, err);
    if (st != FID_OK) {
        free(w.instants);
        w.instants = NULL;
        w.n = 0;
    }
    if (w.n > 1)
        qsort(w.instants, w.n, sizeof *w.instants, by_instant);
    *instants = w.instants;
    *n = w.n;
    return st;
}

enum fid_status order_period_instants(struct store *store, const struct order_periods *periods,
                                      struct order_window_cache *cache,
                                      const struct order_period *period, int64_t from, int64_t to,
                                      int64_t **instants, size_t *n, struct fid_error *err)
{
    *instants = NULL;
    *n = 0;
    if (order_period_overlap(period, from, to) == PERIOD_OUTSIDE)
        return FID_OK;
    const struct order_period_orders *read = NULL;
    enum fid_status st = cached_orders(store, periods, cache, period, &read, err);
    if (st != FID_OK)
        return st;
    size_t count = 0, cap = 0;
    int64_t *out = NULL;
    for (size_t k = 0; k < read->n; k++)
        if (read->orders[k].at >= from && read->orders[k].at < to) {
            xgrow((void **)&out, &cap, count + 1, sizeof *out);
            out[count++] = read->orders[k].at;
        }
    if (count > 1)
        qsort(out, count, sizeof *out, by_instant);
    *instants = out;
    *n = count;
    return FID_OK;
}

int64_t order_periods_orders(const struct order_periods *periods)
{
    int64_t n = periods->folded.orders;
    for (size_t i = 0; i < periods->n; i++)
        n += periods->periods[i].orders;
    return n;
}

/* One customer's orders as read, before they are counted in id order. */
struct customer_orders_read {
    int64_t merchant_id, customer_id;
    struct order_read {
        int64_t id, at, prev_id;
        struct order_share share;
    } * items;
    size_t n, cap;
};

static int by_order_id(const void *a, const void *b)
{
    const struct order_read *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Counts the customer's orders in id order, as they were recorded, and visits the periods. */
static int visit_customer(struct customer_orders_read *r, struct order_periods *periods,
                          order_periods_visit visit, void *context)
{
    qsort(r->items, r->n, sizeof *r->items, by_order_id);
    memset(periods, 0, sizeof *periods);
    bool chained = true;
    for (size_t i = 0; i < r->n; i++) {
        chained &= r->items[i].prev_id == (i > 0 ? r->items[i - 1].id : 0);
        order_periods_add(periods, r->items[i].id, r->items[i].at, r->items[i].share);
    }
    r->n = 0;
    return visit(r->merchant_id, r->customer_id, periods, chained, context);
}

/* full_column: the column saying whether an order counts as refunded in full, or "0" before
 * migration 32 added it */
static enum fid_status build_periods(struct db *db, int64_t merchant_id, const char *full_column,
                                     order_periods_visit visit, void *context,
                                     struct fid_error *err)
{
    /* By customer only: an index by customer (while one exists, as during migration 12) then
     * streams the orders, and each customer's are put in id order here. */
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT merchant_id, customer_id, id, at, paid_minor, refunded_minor, %s, "
             "points_earned, points_clawed, prev_id FROM orders WHERE ?1 = 0 OR merchant_id = ?1 "
             "ORDER BY merchant_id, customer_id",
             full_column);
    struct db_stmt *s = db_prepare(db, sql);
    db_bind_int(s, 1, merchant_id);
    struct order_periods *periods = xcalloc(1, sizeof *periods);
    struct customer_orders_read r = {0};
    bool stopped = false;
    enum db_step rc;
    while (!stopped && (rc = db_step(s)) == DB_ROW) {
        int64_t m = db_column_int(s, 0), c = db_column_int(s, 1);
        if (r.n > 0 && (m != r.merchant_id || c != r.customer_id))
            stopped = visit_customer(&r, periods, visit, context) != 0;
        r.merchant_id = m;
        r.customer_id = c;
        xgrow((void **)&r.items, &r.cap, r.n + 1, sizeof *r.items);
        r.items[r.n++] = (struct order_read){
            .id = db_column_int(s, 2),
            .at = db_column_int(s, 3),
            .prev_id = db_column_int(s, 9),
            .share =
                order_share_of(db_column_int(s, 4), db_column_int(s, 5), db_column_int(s, 6) != 0,
                               db_column_int(s, 7), db_column_int(s, 8)),
        };
    }
    if (!stopped && rc == DB_DONE && r.n > 0)
        visit_customer(&r, periods, visit, context);
    db_done(s);
    free(r.items);
    free(periods);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading orders failed") : FID_OK;
}

struct periods_writer {
    struct db *db;
    enum fid_status st;
    struct fid_error *err;
};

static int write_periods(int64_t merchant_id, int64_t customer_id,
                         const struct order_periods *periods, bool chained, void *context)
{
    (void)chained; /* migration 12 has just linked them */
    struct periods_writer *w = context;
    unsigned char blob[ORDER_PERIODS_BLOB_MAX];
    size_t size = order_periods_encode(periods, blob);
    struct db_stmt *s = db_prepare(w->db, "UPDATE customers SET order_periods = ? WHERE "
                                          "merchant_id = ? AND id = ?");
    db_bind_blob(s, 1, blob, size);
    db_bind_int(s, 2, merchant_id);
    db_bind_int(s, 3, customer_id);
    w->st = db_run(s, w->err);
    return w->st != FID_OK;
}

enum fid_status order_periods_build(struct db *db, int64_t merchant_id, order_periods_visit visit,
                                    void *context, struct fid_error *err)
{
    return build_periods(db, merchant_id, "refunded_in_full", visit, context, err);
}

enum fid_status order_periods_rebuild(struct db *db, bool full_column_exists, struct fid_error *err)
{
    struct periods_writer w = {db, FID_OK, err};
    enum fid_status st =
        build_periods(db, 0, full_column_exists ? "refunded_in_full" : "0", write_periods, &w, err);
    return st != FID_OK ? st : w.st;
}
