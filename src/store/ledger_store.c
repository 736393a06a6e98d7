/*
 * The append-only ledger, the lots that earned points form, and the record of which lots each
 * spending entry consumed. Only lots.remaining and lots.state change after insertion.
 */
#include "store/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define LEDGER_INSERT                                                                              \
    "INSERT INTO ledger (merchant_id, id, customer_id, at, kind, account, card_id, amount, "       \
    "pending_delta, event_key, order_id, lot_id, program_version, explanation, reason, author, "   \
    "prev_id) VALUES "
#define LEDGER_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define LOT_INSERT                                                                                 \
    "INSERT INTO lots (merchant_id, id, customer_id, state, earned_at, available_at, expires_at, " \
    "amount, remaining, order_id, ledger_id, prev_id) VALUES "
#define LOT_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

void ledger_rows_init(struct store *store)
{
    append_rows_init(&store->ledger_rows, 17, LEDGER_INSERT LEDGER_ROW,
                     LEDGER_INSERT APPEND_ROWS_4(LEDGER_ROW),
                     LEDGER_INSERT APPEND_ROWS_16(LEDGER_ROW));
    append_rows_init(&store->lot_rows, 12, LOT_INSERT LOT_ROW, LOT_INSERT APPEND_ROWS_4(LOT_ROW),
                     LOT_INSERT APPEND_ROWS_16(LOT_ROW));
}

enum fid_status ledger_append(struct store *store, struct customer *c, struct ledger_row *r,
                              struct fid_error *err)
{
    enum fid_status st = store_next_id(store, TABLE_LEDGER, &r->id, err);
    if (st != FID_OK)
        return st;
    r->customer_id = c->id;
    struct append_rows *rows = &store->ledger_rows;
    append_row_begin(rows);
    append_int(rows, store->merchant_id);
    append_int(rows, r->id);
    append_int(rows, r->customer_id);
    append_int(rows, r->at);
    append_text(rows, ledger_kind_name(r->kind));
    append_text(rows, ledger_account_name(r->account));
    append_text(rows, r->card_id ? r->card_id : "");
    append_int(rows, r->amount);
    append_int(rows, r->pending_delta);
    append_text(rows, r->event_key);
    append_opt_int(rows, r->order_id);
    append_opt_int(rows, r->lot_id);
    append_int(rows, r->program_version);
    append_text(rows, r->explanation ? r->explanation : "[]");
    append_text(rows, r->reason);
    append_text(rows, r->author);
    append_opt_int(rows, c->last_ledger_id);
    c->last_ledger_id = r->id;
    return store_row_added(store, rows, err);
}

enum fid_status lot_insert(struct store *store, struct customer *c, struct lot_row *lot,
                           struct fid_error *err)
{
    enum fid_status st = store_next_id(store, TABLE_LOTS, &lot->id, err);
    if (st != FID_OK)
        return st;
    lot->customer_id = c->id;
    struct append_rows *rows = &store->lot_rows;
    append_row_begin(rows);
    append_int(rows, store->merchant_id);
    append_int(rows, lot->id);
    append_int(rows, lot->customer_id);
    append_text(rows, lot_state_name(lot->state));
    append_int(rows, lot->earned_at);
    append_int(rows, lot->available_at);
    append_opt_int(rows, lot->expires_at);
    append_int(rows, lot->amount);
    append_int(rows, lot->remaining);
    append_opt_int(rows, lot->order_id);
    append_int(rows, lot->ledger_id);
    append_opt_int(rows, c->last_lot_id);
    c->last_lot_id = lot->id;
    return store_row_added(store, rows, err);
}

enum fid_status lot_save(struct store *store, const struct lot_row *lot, struct fid_error *err)
{
    enum fid_status st = store_write_rows(store, &store->lot_rows, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(store->db, "UPDATE lots SET state = ?, remaining = ?, "
                                              "expires_at = ? WHERE merchant_id = ? AND id = ?");
    db_bind_text(s, 1, lot_state_name(lot->state));
    db_bind_int(s, 2, lot->remaining);
    db_bind_opt_int(s, 3, lot->expires_at);
    db_bind_int(s, 4, store->merchant_id);
    db_bind_int(s, 5, lot->id);
    return db_run(s, err);
}

enum fid_status lot_use_insert(struct store *store, int64_t ledger_id, int64_t lot_id,
                               int64_t amount, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "INSERT INTO lot_uses (merchant_id, ledger_id, "
                                              "lot_id, amount) VALUES (?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, ledger_id);
    db_bind_int(s, 3, lot_id);
    db_bind_int(s, 4, amount);
    return db_run(s, err);
}

#define LOT_COLUMNS                                                                                \
    "id, customer_id, state, earned_at, available_at, expires_at, amount, remaining, order_id, "   \
    "ledger_id"

static void read_lot(struct db_stmt *s, struct lot_row *l)
{
    l->id = db_column_int(s, 0);
    l->customer_id = db_column_int(s, 1);
    const char *state = db_column_text(s, 2);
    l->state = strcmp(state, "pending") == 0     ? LOT_PENDING
               : strcmp(state, "available") == 0 ? LOT_AVAILABLE
                                                 : LOT_CANCELLED;
    l->earned_at = db_column_int(s, 3);
    l->available_at = db_column_int(s, 4);
    l->expires_at = db_column_int(s, 5);
    l->amount = db_column_int(s, 6);
    l->remaining = db_column_int(s, 7);
    l->order_id = db_column_int(s, 8);
    l->ledger_id = db_column_int(s, 9);
}

typedef void (*lot_visit)(const struct lot_row *lot, void *context);

/* Visits a customer's lots that still hold points, newest first along the chain, down to
 * open_lots_from, one look-up by key each: as one recursive query, SQLite built a Bloom filter of
 * the merchant's lots at every step (1.3 ms for a walk of 15 lots at 40,000 lots, most of a demo's
 * time). Each step goes to an older lot, so a damaged link (verify names it) ends the walk
 * instead of looping. */
static enum fid_status walk_open_lots(struct store *store, const struct customer *c,
                                      lot_visit visit, void *context, struct fid_error *err)
{
    enum fid_status written = store_write_rows(store, &store->lot_rows, err);
    if (written != FID_OK)
        return written;
    for (int64_t id = c->last_lot_id; id > 0;) {
        struct db_stmt *s = db_prepare(store->db, "SELECT " LOT_COLUMNS ", prev_id FROM lots WHERE "
                                                  "merchant_id = ? AND id = ? AND customer_id = ?");
        db_bind_int(s, 1, store->merchant_id);
        db_bind_int(s, 2, id);
        db_bind_int(s, 3, c->id);
        struct lot_row lot;
        int64_t prev = 0;
        enum db_step rc = db_step(s);
        if (rc == DB_ROW) {
            read_lot(s, &lot);
            prev = db_column_int(s, 10);
        }
        db_done(s);
        if (rc == DB_FAILED)
            return fid_fail(err, FID_ERR_DB, "", "reading lots failed");
        if (rc != DB_ROW)
            break;
        if (lot.remaining > 0)
            visit(&lot, context);
        if (prev < c->open_lots_from || prev >= id)
            break;
        id = prev;
    }
    return FID_OK;
}

struct open_lots {
    enum lot_state state;
    struct lot_row *lots; /* newest first */
    size_t n, cap;
    int64_t oldest_open;
};

static void collect_lot(const struct lot_row *lot, void *context)
{
    struct open_lots *o = context;
    o->oldest_open = lot->id;
    if (lot->state != o->state)
        return;
    xgrow((void **)&o->lots, &o->cap, o->n + 1, sizeof *o->lots);
    o->lots[o->n++] = *lot;
}

enum fid_status lots_open(struct store *store, struct customer *c, enum lot_state state,
                          struct lot_row **lots, size_t *n, struct fid_error *err)
{
    *lots = NULL;
    *n = 0;
    struct open_lots o = {.state = state};
    enum fid_status st = walk_open_lots(store, c, collect_lot, &o, err);
    if (st != FID_OK) {
        free(o.lots);
        return st;
    }
    for (size_t i = 0; i < o.n / 2; i++) { /* oldest first */
        struct lot_row newer = o.lots[i];
        o.lots[i] = o.lots[o.n - 1 - i];
        o.lots[o.n - 1 - i] = newer;
    }
    *lots = o.lots;
    *n = o.n;
    c->open_lots_from = o.oldest_open ? o.oldest_open : c->last_lot_id + 1;
    return FID_OK;
}

enum fid_status lot_of_order(struct store *store, const struct order_row *order,
                             struct lot_row *out, struct fid_error *err)
{
    if (order->lot_id == 0)
        return FID_ERR_NOT_FOUND;
    enum fid_status written = store_write_rows(store, &store->lot_rows, err);
    if (written != FID_OK)
        return written;
    struct db_stmt *s =
        db_prepare(store->db, "SELECT " LOT_COLUMNS " FROM lots WHERE merchant_id = ? AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, order->lot_id);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW)
        read_lot(s, out);
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    return rc == DB_DONE ? FID_ERR_NOT_FOUND : fid_fail(err, FID_ERR_DB, "", "reading lot failed");
}

enum fid_status ledger_entry_version(struct store *store, int64_t ledger_id, int64_t *version,
                                     struct fid_error *err)
{
    enum fid_status written = store_write_rows(store, &store->ledger_rows, err);
    if (written != FID_OK)
        return written;
    struct db_stmt *s = db_prepare(
        store->db, "SELECT program_version FROM ledger WHERE merchant_id = ? AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, ledger_id);
    return db_run_int(s, 0, version, err);
}

enum fid_status lot_expired(struct store *store, int64_t lot_id, int64_t *amount,
                            struct fid_error *err)
{
    enum fid_status written = store_write_rows(store, &store->ledger_rows, err);
    if (written != FID_OK)
        return written;
    struct db_stmt *s = db_prepare(
        store->db, "SELECT COALESCE(SUM(u.amount), 0) FROM lot_uses u INDEXED BY lot_uses_lot "
                   "JOIN ledger l ON l.merchant_id = u.merchant_id AND l.id = u.ledger_id WHERE "
                   "u.merchant_id = ? AND u.lot_id = ? AND l.kind = 'expire'");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, lot_id);
    return db_run_int(s, 0, amount, err);
}

/* Whether the ledger holds an expiry of the customer's points dated after t, among the rows held
 * and not yet inserted or through ledger_expiries. Most members never had points expire: the
 * probe spares them the held rows' insert (which the look-up below needs) and the join. */
static enum fid_status any_expiry_after(struct store *store, const struct customer *c, int64_t t,
                                        bool *any, struct fid_error *err)
{
    const struct append_rows *rows = &store->ledger_rows;
    for (size_t i = rows->written; i < rows->n; i++) {
        size_t len = 0;
        if (append_rows_int(rows, i, 2) == c->id && append_rows_int(rows, i, 3) > t &&
            strcmp(append_rows_text(rows, i, 4, &len), "expire") == 0 &&
            strcmp(append_rows_text(rows, i, 5, &len), "points") == 0) {
            *any = true;
            return FID_OK;
        }
    }
    struct db_stmt *s = db_prepare(store->db, "SELECT EXISTS (SELECT 1 FROM ledger INDEXED BY "
                                              "ledger_expiries WHERE merchant_id = ? AND "
                                              "customer_id = ? AND kind = 'expire' AND at > ? AND "
                                              "account = 'points')");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, c->id);
    db_bind_int(s, 3, t);
    int64_t found = 0;
    enum fid_status st = db_run_int(s, 0, &found, err);
    *any = found != 0;
    return st;
}

/* Expiry entries are found through ledger_expiries (a partial index: no other entry is in it);
 * each lot's uses by them are summed per instant, net of what was given back. */
enum fid_status lots_expired_after(struct store *store, const struct customer *c, int64_t t,
                                   struct lot_expiry **out, size_t *n, struct fid_error *err)
{
    *out = NULL;
    *n = 0;
    bool any = false;
    enum fid_status st = any_expiry_after(store, c, t, &any, err);
    if (st != FID_OK || !any)
        return st;
    st = store_write_rows(store, &store->ledger_rows, err);
    if (st == FID_OK)
        st = store_write_rows(store, &store->lot_rows, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(
        store->db,
        "SELECT t.id, t.customer_id, t.state, t.earned_at, t.available_at, t.expires_at, "
        "t.amount, t.remaining, t.order_id, t.ledger_id, at, taken, COALESCE((SELECT "
        "refunded_minor > 0 FROM orders o WHERE o.merchant_id = ?1 AND o.id = t.order_id), 0) "
        "FROM (SELECT u.lot_id, l.at, SUM(u.amount) AS taken FROM ledger l INDEXED BY "
        "ledger_expiries JOIN lot_uses u ON u.merchant_id = l.merchant_id AND u.ledger_id = l.id "
        "WHERE l.merchant_id = ?1 AND l.customer_id = ?2 AND l.kind = 'expire' AND l.at > ?3 AND "
        "l.account = 'points' GROUP BY u.lot_id, l.at HAVING SUM(u.amount) > 0) JOIN lots t ON "
        "t.merchant_id = ?1 AND t.id = lot_id ORDER BY at, lot_id");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, c->id);
    db_bind_int(s, 3, t);
    size_t cap = 0;
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct lot_expiry *x = &(*out)[(*n)++];
        read_lot(s, &x->lot);
        x->at = db_column_int(s, 10);
        x->amount = db_column_int(s, 11);
        x->order_refunded = db_column_int(s, 12) != 0;
    }
    db_done(s);
    st = db_rows_status(store->db, rc, "expired lots", err);
    if (st != FID_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

/* The soonest instant a lot holding points falls due: pending ones' confirmation, others'
 * expiry (0: none). */
static void note_lot_due(const struct lot_row *lot, void *context)
{
    int64_t *at = context;
    int64_t due = lot->state == LOT_PENDING ? lot->available_at : lot->expires_at;
    if (due != 0 && (*at == 0 || due < *at))
        *at = due;
}

enum fid_status lots_next_due(struct store *store, const struct customer *c, int64_t *at,
                              struct fid_error *err)
{
    *at = 0;
    return walk_open_lots(store, c, note_lot_due, at, err);
}

enum fid_status ledger_page(struct store *store, const struct customer *customer, int64_t before,
                            int64_t limit, ledger_visit visit, void *context, bool *more,
                            struct fid_error *err)
{
    int64_t customer_id = customer->id;
    /* The chain is walked one link past the page (n = limit + 1), which tells whether there is
     * more; that oldest entry comes first in id order and is skipped. It starts before `before`:
     * at that entry's link when it is the customer's, else at the customer's newest entry older
     * than it (ids are shared by every customer's entries). */
    *more = false;
    enum fid_status written = store_write_rows(store, &store->ledger_rows, err);
    if (written != FID_OK)
        return written;
    struct db_stmt *s = db_prepare(
        store->db,
        "WITH RECURSIVE chain(id, n) AS (SELECT CASE WHEN ?3 = 0 THEN COALESCE((SELECT id FROM "
        "ledger WHERE merchant_id = ?1 AND id = ?5), (SELECT id FROM ledger WHERE merchant_id = "
        "?1 AND id < ?5 AND customer_id = ?2 ORDER BY id DESC LIMIT 1)) WHEN EXISTS (SELECT 1 "
        "FROM ledger WHERE merchant_id = ?1 AND id = ?3 AND customer_id = ?2) THEN (SELECT "
        "prev_id FROM ledger WHERE merchant_id = ?1 AND id = ?3) ELSE COALESCE((SELECT id FROM "
        "ledger WHERE merchant_id = ?1 AND id = ?5 AND id < ?3), (SELECT id FROM ledger WHERE "
        "merchant_id = ?1 AND id < ?3 AND customer_id = ?2 ORDER BY id DESC LIMIT 1)) END, 1 "
        "UNION ALL "
        "SELECT l.prev_id, chain.n + 1 FROM chain JOIN ledger l ON l.merchant_id = ?1 AND "
        "l.id = chain.id WHERE l.prev_id IS NOT NULL AND chain.n <= ?4) "
        "SELECT l.id, l.at, l.kind, l.account, l.card_id, l.amount, l.pending_delta, "
        "l.event_key, o.ref, l.lot_id, l.program_version, l.explanation, l.reason, l.author, "
        "chain.n FROM chain JOIN ledger l ON l.merchant_id = ?1 AND l.id = chain.id LEFT JOIN "
        "orders o ON o.merchant_id = l.merchant_id AND o.id = l.order_id WHERE l.customer_id = "
        "?2 ORDER BY l.id");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    db_bind_int(s, 3, before);
    db_bind_int(s, 4, limit);
    db_bind_opt_int(s, 5, customer->last_ledger_id);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (db_column_int(s, 14) > limit) {
            *more = true;
            continue;
        }
        if (visit(s, context) != 0)
            break;
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading ledger failed") : FID_OK;
}

enum fid_status customer_acts_after(struct store *store, const struct customer *customer, int64_t t,
                                    int64_t **ats, size_t *n, struct fid_error *err)
{
    enum fid_status written = store_write_rows(store, &store->ledger_rows, err);
    if (written != FID_OK)
        return written;
    /* the ledger has no index by customer: the customer's chain, walked whole (a late event's
     * rare path) */
    struct db_stmt *s = db_prepare(
        store->db,
        "WITH RECURSIVE chain(id) AS (SELECT ?3 UNION ALL SELECT l.prev_id FROM chain JOIN ledger "
        "l ON l.merchant_id = ?1 AND l.id = chain.id WHERE l.prev_id IS NOT NULL) "
        "SELECT l.at FROM chain JOIN ledger l ON l.merchant_id = ?1 AND l.id = chain.id WHERE "
        "l.kind IN ('redeem', 'adjust') AND l.at > ?4 UNION ALL SELECT at FROM vip_payments "
        "WHERE merchant_id = ?1 AND customer_id = ?2 AND amount_minor > 0 AND at > ?4 ORDER BY 1");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer->id);
    db_bind_opt_int(s, 3, customer->last_ledger_id);
    db_bind_int(s, 4, t);
    return db_run_ints(s, ats, n, err);
}

enum fid_status ledger_list(struct store *store, const struct customer *customer,
                            ledger_visit visit, void *context, struct fid_error *err)
{
    bool more;
    return ledger_page(store, customer, 0, INT64_MAX - 1, visit, context, &more, err);
}

enum fid_status ledger_points_totals(struct store *store, int64_t from, int64_t to,
                                     struct points_totals *out, struct fid_error *err)
{
    memset(out, 0, sizeof *out);
    enum fid_status written = store_write_rows(store, &store->ledger_rows, err);
    if (written != FID_OK)
        return written;
    struct db_stmt *s = db_prepare(
        store->db, "SELECT kind, COALESCE(SUM(amount), 0), COALESCE(SUM(pending_delta), 0) FROM "
                   "ledger WHERE merchant_id = ? AND account = 'points' AND at >= ? AND at < ? "
                   "GROUP BY kind");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, from);
    db_bind_int(s, 3, to);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *kind = db_column_text(s, 0);
        int64_t amount = db_column_int(s, 1), pending = db_column_int(s, 2);
        if (strcmp(kind, "earn") == 0 || strcmp(kind, "earn_pending") == 0)
            out->earned += amount + pending;
        else if (strcmp(kind, "confirm") == 0)
            out->confirmed += amount;
        else if (strcmp(kind, "redeem") == 0 || strcmp(kind, "redeem_rollback") == 0)
            out->redeemed -= amount + pending;
        else if (strcmp(kind, "expire") == 0)
            out->expired -= amount + pending;
        else if (strcmp(kind, "clawback") == 0)
            out->clawed_back -= amount + pending;
        else if (strcmp(kind, "adjust") == 0)
            out->adjusted += amount + pending;
        out->net += amount + pending;
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "summing the ledger failed") : FID_OK;
}

/* Folds balances into a position in SQL: `balances` is a query of (balance, pending) rows, one a
 * member, bound to the merchant as ?1 (and the instant as ?2 where it needs one). */
#define POINTS_POSITION_SQL(balances)                                                              \
    "SELECT COALESCE(SUM(MAX(balance, 0)), 0), COALESCE(SUM(MIN(pending, MAX(balance, 0))), 0), "  \
    "COALESCE(SUM(MAX(-balance, 0)), 0), COUNT(CASE WHEN balance < 0 THEN 1 END) FROM "            \
    "(" balances ")"

static enum fid_status points_position_read(struct db_stmt *s, struct points_position *out,
                                            struct fid_error *err)
{
    memset(out, 0, sizeof *out);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        out->owed = db_column_int(s, 0);
        out->owed_pending = db_column_int(s, 1);
        out->owed_available = out->owed - out->owed_pending;
        out->owed_by_members = db_column_int(s, 2);
        out->members_owing = db_column_int(s, 3);
    }
    db_done(s);
    return rc == DB_ROW ? FID_OK : fid_fail(err, FID_ERR_DB, "", "summing balances failed");
}

enum fid_status ledger_points_position(struct store *store, int64_t to, struct points_position *out,
                                       struct fid_error *err)
{
    enum fid_status written = store_write_rows(store, &store->ledger_rows, err);
    if (written != FID_OK)
        return written;
    struct db_stmt *s = db_prepare(
        store->db, POINTS_POSITION_SQL("SELECT SUM(amount + pending_delta) AS balance, "
                                       "SUM(pending_delta) AS pending FROM ledger WHERE "
                                       "merchant_id = ?1 AND account = 'points' AND at < ?2 "
                                       "GROUP BY customer_id"));
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, to);
    return points_position_read(s, out, err);
}

enum fid_status customer_points_position(struct store *store, struct points_position *out,
                                         struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db, POINTS_POSITION_SQL("SELECT points_available + points_pending AS balance, "
                                       "points_pending AS pending FROM customers WHERE "
                                       "merchant_id = ?1"));
    db_bind_int(s, 1, store->merchant_id);
    return points_position_read(s, out, err);
}
