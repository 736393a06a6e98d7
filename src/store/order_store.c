/*
 * Orders (members' and non-members' alike: analytics count them all) and refunds. The order
 * keeps its event body so that refunds by line and late crediting can re-read its lines.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/history_store.h"
#include "util/xalloc.h"

#define ORDER_COLUMNS                                                                              \
    "id, ref, customer_id, at, channel, member_at_order, gross_minor, paid_minor, basis_minor, "   \
    "points_earned, points_clawed, cashback_earned, cashback_clawed, refunded_minor, stamps, "     \
    "stamps_clawed, refunded_units, body, program_version, earn_context, lot_id, refunded_in_full"
#define ORDER_COLUMNS_N 22 /* a column selected after them is number ORDER_COLUMNS_N */

void order_row_clear(struct order_row *o)
{
    free(o->stamps);
    free(o->stamps_clawed);
    free(o->refunded_units);
    free(o->body);
    free(o->earn_context);
    memset(o, 0, sizeof *o);
}

/* What the row, as it stands in memory, adds to its customer's period. */
static struct order_share row_share(const struct order_row *o)
{
    return order_share_of(o->paid_minor, o->refunded_minor, o->refunded_in_full, o->points_earned,
                          o->points_clawed);
}

static void read_row(struct db_stmt *s, struct order_row *o)
{
    memset(o, 0, sizeof *o);
    o->id = db_column_int(s, 0);
    db_column_copy(s, 1, o->ref, sizeof o->ref);
    o->customer_id = db_column_int(s, 2);
    o->at = db_column_int(s, 3);
    o->channel = strcmp(db_column_text(s, 4), "online") == 0 ? CHANNEL_ONLINE : CHANNEL_STORE;
    o->member_at_order = db_column_int(s, 5) != 0;
    o->gross_minor = db_column_int(s, 6);
    o->paid_minor = db_column_int(s, 7);
    o->basis_minor = db_column_int(s, 8);
    o->points_earned = db_column_int(s, 9);
    o->points_clawed = db_column_int(s, 10);
    o->cashback_earned = db_column_int(s, 11);
    o->cashback_clawed = db_column_int(s, 12);
    o->refunded_minor = db_column_int(s, 13);
    o->stamps = xstrdup(db_column_text(s, 14));
    o->stamps_clawed = xstrdup(db_column_text(s, 15));
    o->refunded_units = xstrdup(db_column_text(s, 16));
    o->body = xstrdup(db_column_text(s, 17));
    o->program_version = db_column_int(s, 18);
    o->earn_context = xstrdup(db_column_text(s, 19));
    o->lot_id = db_column_int(s, 20);
    o->refunded_in_full = db_column_int(s, 21) != 0;
    o->stored_share = row_share(o);
}

enum fid_status order_rename(struct store *store, const char *ref, const char *new_ref,
                             struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "UPDATE orders SET ref = ? WHERE merchant_id = ? AND ref = ?");
    db_bind_text(s, 1, new_ref);
    db_bind_int(s, 2, store->merchant_id);
    db_bind_text(s, 3, ref);
    return db_run(s, err);
}

enum fid_status order_find_ref(struct store *store, const char *ref, struct order_row *out,
                               struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT " ORDER_COLUMNS
                                              " FROM orders WHERE merchant_id = ? AND ref = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, ref);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW)
        read_row(s, out);
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return fid_fail(err, FID_ERR_NOT_FOUND, "/order_id", "no order \"%.100s\"", ref);
    return fid_fail(err, FID_ERR_DB, "", "reading order failed");
}

enum fid_status order_insert(struct store *store, struct order_periods *periods,
                             struct order_row *o, struct fid_error *err)
{
    enum fid_status st = o->id ? FID_OK : store_next_id(store, TABLE_ORDERS, &o->id, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(
        store->db,
        "INSERT INTO orders (merchant_id, id, ref, customer_id, at, channel, member_at_order, "
        "gross_minor, paid_minor, basis_minor, points_earned, cashback_earned, stamps, body, "
        "program_version, earn_context, prev_id, lot_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, o->id);
    db_bind_text(s, 3, o->ref);
    db_bind_int(s, 4, o->customer_id);
    db_bind_int(s, 5, o->at);
    db_bind_text(s, 6, channel_name(o->channel));
    db_bind_int(s, 7, o->member_at_order);
    db_bind_int(s, 8, o->gross_minor);
    db_bind_int(s, 9, o->paid_minor);
    db_bind_int(s, 10, o->basis_minor);
    db_bind_int(s, 11, o->points_earned);
    db_bind_int(s, 12, o->cashback_earned);
    db_bind_text(s, 13, o->stamps ? o->stamps : "{}");
    db_bind_text(s, 14, o->body);
    db_bind_int(s, 15, o->program_version);
    db_bind_text(s, 16, o->earn_context ? o->earn_context : "{}");
    db_bind_opt_int(s, 17, periods->last_order_id);
    db_bind_opt_int(s, 18, o->lot_id);
    st = db_run(s, err);
    if (st == FID_ERR_CONFLICT)
        return fid_fail(err, FID_ERR_CONFLICT, "/order_id",
                        "order \"%.100s\" was already recorded under another idempotency key",
                        o->ref);
    if (st == FID_OK) {
        o->stored_share = row_share(o);
        order_periods_add(periods, o->id, o->at, o->stored_share);
    }
    return st;
}

/* Moves the order's share in its customer's periods to what the row now holds. */
static enum fid_status share_changed(struct order_periods *periods, struct order_row *o,
                                     struct fid_error *err)
{
    struct order_share now = row_share(o);
    if (!order_periods_change(periods, o->at, o->stored_share, now))
        return fid_fail(err, FID_ERR_DB, "", "order \"%.100s\" is missing from its periods",
                        o->ref);
    o->stored_share = now;
    return FID_OK;
}

enum fid_status order_save_refund(struct store *store, struct order_periods *periods,
                                  struct order_row *o, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db,
        "UPDATE orders SET refunded_minor = ?, points_clawed = ?, cashback_clawed = ?, "
        "stamps_clawed = ?, refunded_units = ?, refunded_in_full = ? WHERE merchant_id = "
        "? AND id = ?");
    db_bind_int(s, 1, o->refunded_minor);
    db_bind_int(s, 2, o->points_clawed);
    db_bind_int(s, 3, o->cashback_clawed);
    db_bind_text(s, 4, o->stamps_clawed);
    db_bind_text(s, 5, o->refunded_units);
    db_bind_int(s, 6, o->refunded_in_full);
    db_bind_int(s, 7, store->merchant_id);
    db_bind_int(s, 8, o->id);
    enum fid_status st = db_run(s, err);
    return st == FID_OK ? share_changed(periods, o, err) : st;
}

enum fid_status order_save_earning(struct store *store, struct order_periods *periods,
                                   struct order_row *o, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db, "UPDATE orders SET points_earned = ?, cashback_earned = ?, stamps = ?, "
                   "basis_minor = ?, program_version = ?, earn_context = ?, lot_id = ? WHERE "
                   "merchant_id = ? AND id = ?");
    db_bind_int(s, 1, o->points_earned);
    db_bind_int(s, 2, o->cashback_earned);
    db_bind_text(s, 3, o->stamps ? o->stamps : "{}");
    db_bind_int(s, 4, o->basis_minor);
    db_bind_int(s, 5, o->program_version);
    db_bind_text(s, 6, o->earn_context ? o->earn_context : "{}");
    db_bind_opt_int(s, 7, o->lot_id);
    db_bind_int(s, 8, store->merchant_id);
    db_bind_int(s, 9, o->id);
    enum fid_status st = db_run(s, err);
    return st == FID_OK ? share_changed(periods, o, err) : st;
}

enum fid_status refund_insert(struct store *store, int64_t order_id, int64_t at,
                              int64_t amount_minor, const char *event_key, struct fid_error *err)
{
    int64_t id;
    enum fid_status st = store_next_id(store, TABLE_REFUNDS, &id, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(store->db, "INSERT INTO refunds (merchant_id, id, order_id, "
                                              "at, amount_minor, event_key) VALUES (?, ?, ?, ?, "
                                              "?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, id);
    db_bind_int(s, 3, order_id);
    db_bind_int(s, 4, at);
    db_bind_int(s, 5, amount_minor);
    db_bind_text(s, 6, event_key);
    return db_run(s, err);
}

/* Reads the order `id` of a chain; FID_ERR_DB when the chain names an order that is not there,
 * or a previous order that is not older (a loop would never end). */
static enum fid_status chain_read(struct store *store, int64_t id, struct order_row *out,
                                  int64_t *prev, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT " ORDER_COLUMNS ", prev_id FROM orders "
                                              "WHERE merchant_id = ? AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, id);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        read_row(s, out);
        *prev = db_column_int(s, ORDER_COLUMNS_N);
    }
    db_done(s);
    if (rc == DB_ROW && *prev < id)
        return FID_OK;
    if (rc == DB_ROW)
        order_row_clear(out);
    return fid_fail(err, FID_ERR_DB, "", "order #%lld of a customer's chain cannot be read",
                    (long long)id);
}

static int by_time_then_id(const void *a, const void *b)
{
    const struct order_row *x = a, *y = b;
    if (x->at != y->at)
        return (x->at > y->at) - (x->at < y->at);
    return (x->id > y->id) - (x->id < y->id);
}

enum fid_status order_uncredited(struct store *store, const struct order_periods *periods,
                                 struct order_row **orders, size_t *n, struct fid_error *err)
{
    size_t cap = 0;
    *orders = NULL;
    *n = 0;
    enum fid_status st = FID_OK;
    struct order_row row;
    for (int64_t id = periods->last_order_id, prev = 0; id > 0 && st == FID_OK; id = prev) {
        if ((st = chain_read(store, id, &row, &prev, err)) != FID_OK)
            break;
        /* a past order refunded in full earns nothing; one that paid nothing (discounted to
         * nothing) may still earn stamps */
        if (!row.member_at_order && row.points_earned == 0 && row_share(&row).counted) {
            xgrow((void **)orders, &cap, *n + 1, sizeof **orders);
            (*orders)[(*n)++] = row;
        } else {
            order_row_clear(&row);
        }
    }
    if (*n > 1)
        qsort(*orders, *n, sizeof **orders, by_time_then_id);
    return st;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

enum fid_status order_mark_member(struct store *store, const struct order_periods *periods,
                                  int64_t since, int64_t **instants, size_t *n,
                                  struct fid_error *err)
{
    enum fid_status st = FID_OK;
    struct order_row row;
    size_t cap = 0;
    *instants = NULL;
    *n = 0;
    for (int64_t id = periods->last_order_id, prev = 0; id > 0 && st == FID_OK; id = prev) {
        if ((st = chain_read(store, id, &row, &prev, err)) != FID_OK)
            break;
        bool mark = !row.member_at_order && row.at >= since;
        if (row.at >= since) {
            xgrow((void **)instants, &cap, *n + 1, sizeof **instants);
            (*instants)[(*n)++] = row.at;
        }
        order_row_clear(&row);
        if (!mark)
            continue;
        struct db_stmt *s = db_prepare(store->db, "UPDATE orders SET member_at_order = 1 WHERE "
                                                  "merchant_id = ? AND id = ?");
        db_bind_int(s, 1, store->merchant_id);
        db_bind_int(s, 2, id);
        st = db_run(s, err);
    }
    if (*n > 1)
        qsort(*instants, *n, sizeof **instants, by_value);
    return st;
}

/* The columnar history's orders before `before`, by customer then time, to merge with rows. */
struct history_entry {
    int64_t customer_id, at, value_minor;
};

struct history_entries {
    int64_t before;
    struct history_entry *items;
    size_t n, cap;
};

static int collect_block(const struct order_columns *block, void *context)
{
    struct history_entries *h = context;
    for (size_t i = 0; i < block->n; i++) {
        if (block->at[i] >= h->before)
            continue;
        xgrow((void **)&h->items, &h->cap, h->n + 1, sizeof *h->items);
        h->items[h->n++] =
            (struct history_entry){block->customer[i], block->at[i], block->paid_minor[i]};
    }
    return 0;
}

static int by_customer_then_time(const void *a, const void *b)
{
    const struct history_entry *x = a, *y = b;
    if (x->customer_id != y->customer_id)
        return (x->customer_id > y->customer_id) - (x->customer_id < y->customer_id);
    return (x->at > y->at) - (x->at < y->at);
}

static enum fid_status history_entries_load(struct store *store, int64_t before,
                                            struct history_entries *out, struct fid_error *err)
{
    memset(out, 0, sizeof *out);
    out->before = before;
    enum fid_status st = history_scan(store, before, collect_block, out, err);
    if (st == FID_OK && out->n > 1)
        qsort(out->items, out->n, sizeof *out->items, by_customer_then_time);
    return st;
}

/* Whether the next history entry comes before the row (customer, at). */
static bool history_first(const struct history_entries *h, size_t i, int64_t customer, int64_t at)
{
    const struct history_entry *e = &h->items[i];
    return e->customer_id < customer || (e->customer_id == customer && e->at <= at);
}

/* Visits history entries from *next while they come before (customer, at), or all that are left
 * when last; history orders were recorded without lines or channel: in store, no categories. */
static bool visit_history(const struct history_entries *h, size_t *next, bool last,
                          int64_t customer, int64_t at, order_detail_visit visit, void *context)
{
    struct order_detail d = {.channel = CHANNEL_STORE, .body = "{}"};
    for (; *next < h->n && (last || history_first(h, *next, customer, at)); (*next)++) {
        d.customer_id = h->items[*next].customer_id;
        d.at = h->items[*next].at;
        d.value_minor = h->items[*next].value_minor;
        if (visit(&d, context) != 0)
            return true;
    }
    return false;
}

/* The rows and the columnar history merged by customer then time; bodies read when asked. */
static enum fid_status merged_scan(struct store *store, int64_t before, bool with_body,
                                   order_detail_visit visit, void *context, struct fid_error *err)
{
    struct history_entries h;
    enum fid_status st = history_entries_load(store, before, &h, err);
    if (st != FID_OK) {
        free(h.items);
        return st;
    }
    /* An order's value as it stood before `before`: refunds dated later are not yet made. */
#define VALUE_BEFORE                                                                               \
    "paid_minor - CASE WHEN refunded_minor = 0 THEN 0 ELSE (SELECT COALESCE(SUM(r.amount_minor), " \
    "0) FROM refunds r WHERE r.merchant_id = orders.merchant_id AND r.order_id = orders.id AND "   \
    "r.at < ?2) END"
    struct db_stmt *s = db_prepare(
        store->db, with_body
                       ? "SELECT customer_id, at, " VALUE_BEFORE ", channel, body FROM orders "
                         "WHERE merchant_id = ?1 AND at < ?2 ORDER BY customer_id, at"
                       : "SELECT customer_id, at, " VALUE_BEFORE ", channel, '{}' FROM orders "
                         "WHERE merchant_id = ?1 AND at < ?2 ORDER BY customer_id, at");
#undef VALUE_BEFORE
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, before);
    size_t next = 0;
    bool stopped = false;
    enum db_step rc;
    while (!stopped && (rc = db_step(s)) == DB_ROW) {
        struct order_detail row = {
            .customer_id = db_column_int(s, 0),
            .at = db_column_int(s, 1),
            .value_minor = db_column_int(s, 2),
            .channel = strcmp(db_column_text(s, 3), "online") == 0 ? CHANNEL_ONLINE : CHANNEL_STORE,
            .body = db_column_text(s, 4),
        };
        stopped = visit_history(&h, &next, false, row.customer_id, row.at, visit, context) ||
                  visit(&row, context) != 0;
    }
    if (!stopped && rc != DB_FAILED)
        visit_history(&h, &next, true, 0, 0, visit, context);
    db_done(s);
    free(h.items);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading order history failed") : FID_OK;
}

struct value_visit {
    order_history_visit visit;
    void *context;
};

static int visit_value(const struct order_detail *order, void *context)
{
    const struct value_visit *v = context;
    return v->visit(order->customer_id, order->at, order->value_minor, v->context);
}

enum fid_status order_history_scan(struct store *store, int64_t before, order_history_visit visit,
                                   void *context, struct fid_error *err)
{
    struct value_visit v = {visit, context};
    return merged_scan(store, before, false, visit_value, &v, err);
}

enum fid_status order_detail_scan(struct store *store, int64_t before, order_detail_visit visit,
                                  void *context, struct fid_error *err)
{
    return merged_scan(store, before, true, visit, context, err);
}
