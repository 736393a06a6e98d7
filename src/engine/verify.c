/*
 * `fidele verify`: every invariant the ledger promises, recomputed from the append-only tables.
 * Each check is one SQL query returning the offending rows; a clean database returns none.
 */
#include "engine/engine_internal.h"

#include "store/customer_journal.h"
#include "store/history_store.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check {
    const char *name;
    const char *sql; /* ?1 = merchant id; returns (customer ref or id, detail text) */
};

static const struct check CHECKS[] = {
    /* The ledger has no index by customer (customers chain their entries): each check sums it
     * once, grouped by customer, and joins the sums to the customers. */
    {"points_available_equals_ledger",
     "WITH t AS (SELECT customer_id, SUM(amount) AS s FROM ledger WHERE merchant_id = ?1 AND "
     "account = 'points' GROUP BY customer_id) SELECT c.ref, 'balance ' || c.points_available || "
     "' but ledger sums to ' || COALESCE(t.s, 0) FROM customers c LEFT JOIN t ON t.customer_id = "
     "c.id WHERE c.merchant_id = ?1 AND c.points_available != COALESCE(t.s, 0)"},
    {"points_pending_equals_ledger",
     "WITH t AS (SELECT customer_id, SUM(pending_delta) AS s FROM ledger WHERE merchant_id = ?1 "
     "AND account = 'points' GROUP BY customer_id) SELECT c.ref, 'pending ' || c.points_pending || "
     "' but ledger sums to ' || COALESCE(t.s, 0) FROM customers c LEFT JOIN t ON t.customer_id = "
     "c.id WHERE c.merchant_id = ?1 AND c.points_pending != COALESCE(t.s, 0)"},
    {"points_lifetime_equals_ledger",
     "WITH t AS (SELECT customer_id, SUM(amount) AS s FROM ledger WHERE merchant_id = ?1 AND "
     "account = 'points' AND kind IN ('earn', 'confirm', 'clawback') GROUP BY customer_id) "
     "SELECT c.ref, 'lifetime ' || c.points_lifetime || ' but ledger sums to ' || "
     "COALESCE(t.s, 0) FROM customers c LEFT JOIN t ON t.customer_id = c.id WHERE c.merchant_id "
     "= ?1 AND c.points_lifetime != COALESCE(t.s, 0)"},
    {"cashback_equals_ledger",
     "WITH t AS (SELECT customer_id, SUM(amount) AS s FROM ledger WHERE merchant_id = ?1 AND "
     "account = 'cashback' GROUP BY customer_id) SELECT c.ref, 'cashback ' || c.cashback_minor || "
     "' but ledger sums to ' || COALESCE(t.s, 0) FROM customers c LEFT JOIN t ON t.customer_id = "
     "c.id WHERE c.merchant_id = ?1 AND c.cashback_minor != COALESCE(t.s, 0)"},
    {"stamps_are_json_objects",
     "SELECT ref, 'stamps are not a JSON object: ' || substr(stamps, 1, 60) FROM customers WHERE "
     "merchant_id = ?1 AND json_type(CASE WHEN json_valid(stamps) THEN stamps END) IS NOT "
     "'object'"},
    /* Both ways: a balance the ledger does not explain, and ledger stamps with no balance. */
    {"stamps_equal_ledger",
     "WITH u AS (SELECT customer_id, card_id, SUM(held) AS held, SUM(earned) AS earned FROM "
     "(SELECT customer_id, card_id, stamps AS held, 0 AS earned FROM stamp_balances WHERE "
     "merchant_id = ?1 UNION ALL SELECT customer_id, card_id, 0, amount FROM ledger WHERE "
     "merchant_id = ?1 AND account = 'stamps') GROUP BY customer_id, card_id HAVING SUM(held) != "
     "SUM(earned)) SELECT c.ref, 'card ' || u.card_id || ' holds ' || u.held || ' but ledger "
     "sums to ' || u.earned FROM u JOIN customers c ON c.merchant_id = ?1 AND c.id = "
     "u.customer_id"},
    {"ledger_chain_links_entries",
     "SELECT 'ledger ' || id, 'names ' || COALESCE(prev_id, 'no entry') || ' as the customer''s "
     "previous entry, which is ' || COALESCE(expected, 'none') FROM (SELECT id, prev_id, "
     "LAG(id) OVER (PARTITION BY customer_id ORDER BY id) AS expected FROM ledger WHERE "
     "merchant_id = ?1) WHERE prev_id IS NOT expected"},
    {"ledger_chain_starts_at_newest",
     "WITH t AS (SELECT customer_id, MAX(id) AS newest FROM ledger WHERE merchant_id = ?1 GROUP BY "
     "customer_id) SELECT c.ref, 'newest entry ' || COALESCE(t.newest, 'none') || ' but the "
     "customer names ' || COALESCE(c.last_ledger_id, 'none') FROM customers c LEFT JOIN t ON "
     "t.customer_id = c.id WHERE c.merchant_id = ?1 AND c.last_ledger_id IS NOT t.newest"},
    {"lot_chain_links_lots",
     "SELECT 'lot ' || id, 'names ' || COALESCE(prev_id, 'no lot') || ' as the customer''s "
     "previous lot, which is ' || COALESCE(expected, 'none') FROM (SELECT id, prev_id, "
     "LAG(id) OVER (PARTITION BY customer_id ORDER BY id) AS expected FROM lots WHERE "
     "merchant_id = ?1) WHERE prev_id IS NOT expected"},
    {"lot_chain_starts_at_newest",
     "WITH t AS (SELECT customer_id, MAX(id) AS newest, MIN(CASE WHEN remaining > 0 THEN id END) "
     "AS oldest_open FROM lots WHERE merchant_id = ?1 GROUP BY customer_id) SELECT c.ref, "
     "'newest lot ' || COALESCE(t.newest, 'none') || ', oldest open ' || "
     "COALESCE(t.oldest_open, 'none') || ' but the customer names ' || "
     "COALESCE(c.last_lot_id, 'none') || ' and open from ' || COALESCE(c.open_lots_from, 'none') "
     "FROM customers c LEFT JOIN t ON t.customer_id = c.id WHERE c.merchant_id = ?1 AND "
     "(c.last_lot_id IS NOT t.newest OR t.oldest_open < COALESCE(c.open_lots_from, 0))"},
    /* The uses summed by lot once, then joined: a subquery per lot went through lot_uses'
     * primary key by merchant alone (SQLite's choice without statistics), reading every use for
     * every lot (3.5 million lots: more than half an hour). */
    {"lot_remaining_equals_uses",
     "WITH u AS (SELECT lot_id, SUM(amount) AS used FROM lot_uses WHERE merchant_id = ?1 GROUP "
     "BY lot_id) SELECT 'lot ' || t.id, 'remaining ' || t.remaining || ' but amount ' || "
     "t.amount || ' minus uses ' || COALESCE(u.used, 0) FROM lots t LEFT JOIN u ON u.lot_id = "
     "t.id WHERE t.merchant_id = ?1 AND t.remaining != t.amount - COALESCE(u.used, 0)"},
    /* The lots are summed by customer first: lots have no index by customer (they are chained),
     * and a join from each customer would read all of them each time. */
    {"lots_cover_available_balance",
     "WITH t AS (SELECT customer_id, SUM(remaining) AS s FROM lots WHERE merchant_id = ?1 AND "
     "state = 'available' AND remaining > 0 GROUP BY customer_id) SELECT c.ref, 'available lots "
     "hold ' || COALESCE(t.s, 0) || ' for a balance of ' || c.points_available FROM customers c "
     "LEFT JOIN t ON t.customer_id = c.id WHERE c.merchant_id = ?1 AND COALESCE(t.s, 0) != "
     "MAX(c.points_available, 0)"},
    {"lots_cover_pending_balance",
     "WITH t AS (SELECT customer_id, SUM(remaining) AS s FROM lots WHERE merchant_id = ?1 AND "
     "state = 'pending' AND remaining > 0 GROUP BY customer_id) SELECT c.ref, 'pending lots hold "
     "' || COALESCE(t.s, 0) || ' for a pending balance of ' || c.points_pending FROM customers c "
     "LEFT JOIN t ON t.customer_id = c.id WHERE c.merchant_id = ?1 AND COALESCE(t.s, 0) != "
     "c.points_pending"},
    {"uses_match_their_entry",
     "SELECT 'ledger ' || l.id, l.kind || ' of ' || l.amount || ' consumed ' || SUM(u.amount) || "
     "' from lots' FROM ledger l JOIN lot_uses u ON u.merchant_id = l.merchant_id AND "
     "u.ledger_id = l.id WHERE l.merchant_id = ?1 AND l.kind IN ('redeem', 'expire', 'adjust') "
     "AND (l.amount < 0 OR l.kind = 'expire') "
     "GROUP BY l.id HAVING SUM(u.amount) != -l.amount"},
    /* an expiry given back (a positive expiry entry, a negative use) never passes what expired */
    {"expiry_given_back_within_it",
     "SELECT 'lot ' || u.lot_id, 'expiries took ' || SUM(u.amount) || ' net of what was given "
     "back' FROM lot_uses u JOIN ledger l ON l.merchant_id = u.merchant_id AND l.id = u.ledger_id "
     "WHERE u.merchant_id = ?1 AND l.kind = 'expire' GROUP BY u.lot_id HAVING SUM(u.amount) < 0"},
    {"no_order_earned_twice",
     "SELECT 'order ' || o.ref, COUNT(*) || ' earning entries' FROM ledger l JOIN orders o ON "
     "o.merchant_id = l.merchant_id AND o.id = l.order_id WHERE l.merchant_id = ?1 AND "
     "l.account = 'points' AND l.kind IN ('earn', 'earn_pending') GROUP BY l.order_id HAVING "
     "COUNT(*) > 1"},
    {"order_names_its_lot",
     "WITH t AS (SELECT order_id, MIN(id) AS first FROM lots WHERE merchant_id = ?1 AND order_id "
     "IS NOT NULL GROUP BY order_id) SELECT 'order ' || o.ref, 'names lot ' || "
     "COALESCE(o.lot_id, 'none') || ' but the lot it earned is ' || COALESCE(t.first, 'none') "
     "FROM orders o LEFT JOIN t ON t.order_id = o.id WHERE o.merchant_id = ?1 AND o.lot_id IS "
     "NOT t.first"},
    {"entries_name_applied_events",
     "SELECT 'ledger ' || l.id, 'event key ' || l.event_key || ' has no idempotency record' FROM "
     "ledger l WHERE l.merchant_id = ?1 AND l.event_key IS NOT NULL AND NOT EXISTS (SELECT 1 "
     "FROM events e WHERE e.merchant_id = l.merchant_id AND e.key = l.event_key)"},
    /* A result kept as a shape's number and its values (store/result_shapes.h) names a shape
     * that is kept, and holds a value for each of its places. */
    {"results_fill_their_shape",
     "WITH s AS MATERIALIZED (SELECT id, length(shape) - length(replace(replace(shape, char(29), "
     "''), char(30), '')) AS places FROM result_shapes), e AS (SELECT key, CAST(substr(result, 2, "
     "instr(result, char(31)) - 2) AS INTEGER) AS shape_id, substr(result, instr(result, "
     "char(31)) + 1) AS v FROM events WHERE merchant_id = ?1 AND substr(result, 1, 1) = "
     "char(28)) SELECT 'event ' || e.key, CASE WHEN s.id IS NULL THEN 'result names shape ' || "
     "COALESCE(e.shape_id, '?') || ', which is not kept' ELSE 'result holds ' || (length(e.v) - "
     "length(replace(e.v, char(31), ''))) || ' values for the ' || s.places || ' places of "
     "shape ' || s.id END FROM e LEFT JOIN s ON s.id = e.shape_id WHERE s.id IS NULL OR "
     "s.places != length(e.v) - length(replace(e.v, char(31), ''))"},
    {"order_clawback_within_earning",
     "SELECT 'order ' || ref, 'clawed ' || points_clawed || ' of ' || points_earned || ', "
     "refunded ' || refunded_minor || ' of ' || paid_minor FROM orders WHERE merchant_id = ?1 "
     "AND (points_clawed > points_earned OR refunded_minor > paid_minor OR refunded_minor < 0)"},
    {"orders_refunded_in_full_by_their_refunds",
     "SELECT 'order ' || ref, CASE refunded_in_full WHEN 1 THEN 'refunded in full without a "
     "refund' ELSE 'all it paid refunded, but not in full' END FROM orders WHERE merchant_id = ?1 "
     "AND ((refunded_in_full = 1 AND refunded_minor = 0) OR (refunded_in_full = 0 AND "
     "paid_minor > 0 AND refunded_minor >= paid_minor))"},
    {"explanations_are_json_arrays",
     "SELECT 'ledger ' || id, 'explanation is not a JSON array: ' || substr(explanation, 1, 60) "
     "FROM ledger WHERE merchant_id = ?1 AND json_type(CASE WHEN json_valid(explanation) THEN "
     "explanation END) IS NOT 'array'"},
    /* The foreign keys the schema declares are not enforced (store/db_sqlite.c): checked here,
     * for the tables that name customers. */
    {"rows_name_their_customers",
     "SELECT r.what, 'names customer ' || r.customer_id || ', who does not exist' FROM (SELECT "
     "'order ' || ref AS what, customer_id FROM orders WHERE merchant_id = ?1 UNION ALL SELECT "
     "'ledger ' || id, customer_id FROM ledger WHERE merchant_id = ?1 UNION ALL SELECT 'lot ' || "
     "id, customer_id FROM lots WHERE merchant_id = ?1 UNION ALL SELECT 'voucher ' || code, "
     "customer_id FROM vouchers WHERE merchant_id = ?1) r WHERE NOT EXISTS (SELECT 1 FROM "
     "customers c WHERE c.merchant_id = ?1 AND c.id = r.customer_id)"},
    /* The newest change in the order they were applied (a backdated order may reach a tier at
     * an instant before a review already recorded). */
    {"tier_equals_its_history",
     "WITH t AS (SELECT customer_id, tier, at FROM (SELECT customer_id, tier, at, ROW_NUMBER() "
     "OVER (PARTITION BY customer_id ORDER BY id DESC) AS n FROM tier_changes WHERE merchant_id "
     "= ?1) WHERE n = 1) SELECT c.ref, 'tier ' || quote(c.tier) || ' since ' || c.tier_since || "
     "' but its history ends with ' || COALESCE(quote(t.tier) || ' at ' || t.at, 'no change') "
     "FROM customers c LEFT JOIN t ON t.customer_id = c.id WHERE c.merchant_id = ?1 AND "
     "(c.tier != COALESCE(t.tier, '') OR t.at != COALESCE(c.tier_since, 0))"},
    /* Each change starts from the tier the one before left, no earlier than it. */
    {"tier_history_chains",
     "SELECT 'tier change ' || id, 'from ' || quote(previous) || ' at ' || at || ' after ' || "
     "COALESCE(quote(before_tier) || ' at ' || before_at, 'no change') FROM (SELECT id, at, "
     "previous, reason, LAG(tier) OVER w AS before_tier, LAG(at) OVER w AS before_at FROM "
     "tier_changes WHERE merchant_id = ?1 WINDOW w AS (PARTITION BY customer_id ORDER BY id)) "
     "WHERE (before_at IS NULL AND previous != '' AND reason != 'recorded') OR (before_at IS "
     "NOT NULL AND (previous != before_tier OR at < before_at))"},
    {"order_member_flag_follows_enrolment",
     "SELECT 'order ' || o.ref, CASE o.member_at_order WHEN 1 THEN 'counted as a member''s' "
     "ELSE 'not counted as a member''s' END || ' but its customer ' || CASE WHEN c.is_member "
     "= 1 THEN 'enrolled at ' || c.enrolled_at ELSE 'is not a member' END || ' and it is at ' "
     "|| o.at FROM orders o JOIN customers c ON c.merchant_id = o.merchant_id AND c.id = "
     "o.customer_id WHERE o.merchant_id = ?1 AND o.member_at_order != (c.is_member = 1 AND "
     "c.enrolled_at <= o.at)"},
    /* A VIP refund names a payment of its own customer, gives back a positive amount, and the
     * refunds of a payment never add up to more than it was paid. */
    {"vip_refunds_within_payment",
     "SELECT 'VIP payment ' || COALESCE(p.event_key, 'refunded by ' || MIN(r.event_key)), CASE "
     "WHEN p.id IS NULL THEN 'refunds name no payment of their customer' ELSE 'refunded ' || "
     "SUM(-r.amount_minor) || ' of ' || p.amount_minor || ', the smallest refund ' || "
     "MIN(-r.amount_minor) END FROM vip_payments r LEFT JOIN vip_payments p ON p.merchant_id = "
     "r.merchant_id AND p.id = r.refund_of AND p.customer_id = r.customer_id AND p.refund_of IS "
     "NULL WHERE r.merchant_id = ?1 AND r.refund_of IS NOT NULL GROUP BY r.refund_of HAVING "
     "p.id IS NULL OR SUM(-r.amount_minor) > p.amount_minor OR MAX(r.amount_minor) >= 0"},
    /* A full VIP refund takes back at most the cashback its payment credited as the welcome
     * (the ledger has no index by event: its few cashback entries are summed by key once). */
    {"vip_take_back_within_welcome_credit",
     "WITH credit AS (SELECT event_key, SUM(amount) AS s FROM ledger WHERE merchant_id = ?1 AND "
     "account = 'cashback' AND kind = 'earn' GROUP BY event_key), taken AS (SELECT event_key, "
     "-SUM(amount) AS s FROM ledger WHERE merchant_id = ?1 AND account = 'cashback' AND kind = "
     "'clawback' GROUP BY event_key) SELECT 'VIP payment ' || p.event_key, 'its refunds took "
     "back ' || SUM(t.s) || ' of a welcome credit of ' || COALESCE(c.s, 0) FROM vip_payments r "
     "JOIN taken t ON t.event_key = r.event_key JOIN vip_payments p ON p.merchant_id = "
     "r.merchant_id AND p.id = r.refund_of LEFT JOIN credit c ON c.event_key = p.event_key "
     "WHERE r.merchant_id = ?1 AND r.refund_of IS NOT NULL GROUP BY p.id HAVING SUM(t.s) < 0 "
     "OR SUM(t.s) > COALESCE(c.s, 0)"},
    /* Each VIP payment or refund keeps the end of the membership it left: the newest one's is
     * the member's. */
    {"vip_until_equals_its_history",
     "WITH t AS (SELECT customer_id, valid_until, event_key FROM (SELECT customer_id, "
     "valid_until, event_key, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY id DESC) AS n "
     "FROM vip_payments WHERE merchant_id = ?1) WHERE n = 1) SELECT c.ref, 'VIP until ' || "
     "COALESCE(c.vip_until, 'none') || ' but its last VIP payment or refund, ' || t.event_key || "
     "', left ' || t.valid_until FROM customers c JOIN t ON t.customer_id = c.id WHERE "
     "c.merchant_id = ?1 AND c.vip_until IS NOT t.valid_until"},
    {"vouchers_used_once",
     "SELECT 'voucher ' || code, state || ' with used_at ' || COALESCE(used_at, 'none') FROM "
     "vouchers WHERE merchant_id = ?1 AND ((state = 'used') != (used_at IS NOT NULL))"},
};

static void add(json_t *violations, const char *check, const char *subject, const char *detail)
{
    json_array_append_new(violations, json_pack("{s:s, s:s, s:s}", "check", check, "subject",
                                                subject, "detail", detail));
}

/* Per customer id: orders and spend recorded in the columnar history (scans leave out promoted
 * orders, which the rows count). */
struct history_totals {
    size_t n;
    int64_t *orders, *spend;
    bool stray; /* an order of a customer id that does not exist */
};

static int add_history(const struct order_columns *block, void *context)
{
    struct history_totals *t = context;
    for (size_t i = 0; i < block->n; i++) {
        if (block->customer[i] >= t->n) {
            t->stray = true;
            continue;
        }
        t->orders[block->customer[i]]++;
        t->spend[block->customer[i]] += block->paid_minor[i];
    }
    return 0;
}

/* A customer's order count and spend equal their orders: rows (paid less refunds) and history. */
static enum fid_status check_order_aggregates(struct engine *e, json_t *out, struct fid_error *err)
{
    int64_t max_id = 0;
    struct db_stmt *s = db_prepare(e->db, "SELECT COALESCE(MAX(id), 0) FROM customers WHERE "
                                          "merchant_id = ?");
    db_bind_int(s, 1, e->merchant.id);
    enum fid_status st = db_run_int(s, 0, &max_id, err);
    if (st != FID_OK)
        return st;
    struct history_totals t = {.n = (size_t)max_id + 1};
    t.orders = xcalloc(t.n, sizeof *t.orders);
    t.spend = xcalloc(t.n, sizeof *t.spend);
    st = history_scan(&e->store, INT64_MAX, add_history, &t, err);
    if (st == FID_OK && t.stray)
        add(out, "history_customers_exist", "order_history",
            "an imported order names a customer who does not exist");
    s = db_prepare(e->db, "SELECT c.id, c.ref, c.order_count, c.spend_minor, COALESCE(o.n, 0), "
                          "COALESCE(o.spend, 0) FROM customers c LEFT JOIN (SELECT customer_id, "
                          "COUNT(*) AS n, SUM(paid_minor - refunded_minor) AS spend FROM orders "
                          "WHERE merchant_id = ?1 GROUP BY customer_id) o ON o.customer_id = c.id "
                          "WHERE c.merchant_id = ?1");
    db_bind_int(s, 1, e->merchant.id);
    enum db_step rc = DB_DONE;
    while (st == FID_OK && (rc = db_step(s)) == DB_ROW) {
        size_t id = (size_t)db_column_int(s, 0);
        int64_t orders = db_column_int(s, 4) + (id < t.n ? t.orders[id] : 0);
        int64_t spend = db_column_int(s, 5) + (id < t.n ? t.spend[id] : 0);
        if (orders != db_column_int(s, 2) || spend != db_column_int(s, 3)) {
            char detail[160];
            snprintf(detail, sizeof detail, "%lld orders spending %lld, but %lld and %lld recorded",
                     (long long)db_column_int(s, 2), (long long)db_column_int(s, 3),
                     (long long)orders, (long long)spend);
            add(out, "order_aggregates_equal_orders", db_column_text(s, 1), detail);
        }
    }
    db_done(s);
    free(t.orders);
    free(t.spend);
    if (st == FID_OK && rc == DB_FAILED)
        st = fid_fail(err, FID_ERR_DB, "", "verify query order_aggregates_equal_orders failed");
    return st;
}

/* Customers in id order, read alongside the periods built from their orders. */
struct periods_check {
    struct db_stmt *customers;
    enum db_step rc;
    json_t *out;
};

static void periods_check_next(struct periods_check *c, const struct order_periods *expected,
                               bool chained)
{
    if (!chained)
        add(c->out, "order_chain_links_orders", db_column_text(c->customers, 1),
            "an order does not name the customer's previous order as its previous one");
    size_t size = 0;
    const void *stored = db_column_blob(c->customers, 2, &size);
    static const struct order_periods none;
    if (!order_periods_stored_as(expected ? expected : &none, stored, size))
        add(c->out, "order_periods_equal_orders", db_column_text(c->customers, 1),
            expected ? "the summary of its orders by period differs from the orders"
                     : "a summary of orders by period, but no order");
    c->rc = db_step(c->customers);
}

static int periods_check_visit(int64_t merchant_id, int64_t customer_id,
                               const struct order_periods *expected, bool chained, void *context)
{
    (void)merchant_id;
    struct periods_check *c = context;
    while (c->rc == DB_ROW && db_column_int(c->customers, 0) < customer_id)
        periods_check_next(c, NULL, true);
    if (c->rc == DB_ROW && db_column_int(c->customers, 0) == customer_id)
        periods_check_next(c, expected, chained);
    return c->rc == DB_FAILED;
}

/* Each customer's orders are chained in id order, and its periods (what tier windows read)
 * equal those its orders give. */
static enum fid_status check_order_periods(struct engine *e, json_t *out, struct fid_error *err)
{
    struct periods_check c = {
        .customers = db_prepare(e->db, "SELECT id, ref, order_periods FROM customers WHERE "
                                       "merchant_id = ? ORDER BY id"),
        .out = out,
    };
    db_bind_int(c.customers, 1, e->merchant.id);
    c.rc = db_step(c.customers);
    enum fid_status st = order_periods_build(e->db, e->merchant.id, periods_check_visit, &c, err);
    while (st == FID_OK && c.rc == DB_ROW)
        periods_check_next(&c, NULL, true);
    db_done(c.customers);
    if (st == FID_OK && c.rc == DB_FAILED)
        st = fid_fail(err, FID_ERR_DB, "", "verify query order_periods_equal_orders failed");
    return st;
}

/* Every row must hold its customer's newest state while the checks read: the journal of
 * customers' images (a server's) is folded, then the checks run in a snapshot that holds no image
 * (the server may journal again between the fold and the snapshot: then again). A server that
 * keeps journaling in between every time is paused instead: the checks run in a write
 * transaction that folds first (store_begin), and its writes wait meanwhile. */
#define VERIFY_SNAPSHOT_TRIES 20

static enum fid_status run_checks(struct engine *e, json_t *out, struct fid_error *err);

static enum fid_status checks_in_snapshot(struct engine *e, json_t *out, bool *done,
                                          struct fid_error *err)
{
    *done = false;
    enum fid_status st = customer_journal_fold_first(e->db, err);
    if (st == FID_ERR_DB && db_writes_refused(e->db))
        return fid_fail(err, FID_ERR_DB, "",
                        "verify checks every customer's row, and a server that stopped without "
                        "folding its journal left newer state in it, which this database cannot "
                        "take (it cannot be written): open it once where it can be written");
    if (st != FID_OK || (st = db_read_begin(e->db, err)) != FID_OK)
        return st;
    bool images = false;
    st = customer_journal_waiting(e->db, &images, err);
    if (st == FID_OK && !images) {
        st = run_checks(e, out, err);
        *done = true;
    }
    db_rollback(e->db); /* a snapshot: nothing to keep */
    return st;
}

enum fid_status engine_verify(struct engine *e, json_t **violations, struct fid_error *err)
{
    json_t *out = json_array();
    bool done = false;
    enum fid_status st = FID_OK;
    for (int i = 0; i < VERIFY_SNAPSHOT_TRIES && st == FID_OK && !done; i++)
        st = checks_in_snapshot(e, out, &done, err);
    if (st == FID_OK && !done && (st = store_begin(&e->store, err)) == FID_OK) {
        st = run_checks(e, out, err);
        if (st == FID_OK)
            st = store_commit(&e->store, err);
        if (st != FID_OK)
            store_rollback(&e->store);
    }
    if (st != FID_OK) {
        json_decref(out);
        return st;
    }
    *violations = out;
    return FID_OK;
}

/* What the programme's versions allowed, up to the current one. */
struct programme_history {
    bool negative_allowed;
    int64_t *stock; /* per reward of the current version: the largest stock any gave it; -1 none */
};

static void note_version(const struct program *now, const struct program *version,
                         struct programme_history *h)
{
    h->negative_allowed |= version->refund_allow_negative;
    for (size_t i = 0; i < now->n_rewards; i++) {
        const struct reward *r = program_reward(version, now->rewards[i].id);
        if (r && h->stock[i] >= 0 && (r->stock < 0 || r->stock > h->stock[i]))
            h->stock[i] = r->stock;
    }
}

static enum fid_status read_history(struct engine *e, struct programme_history *h,
                                    struct fid_error *err)
{
    const struct program *now = e->program;
    h->stock = xcalloc(now->n_rewards ? now->n_rewards : 1, sizeof *h->stock);
    for (size_t i = 0; i < now->n_rewards; i++)
        h->stock[i] = now->rewards[i].stock;
    h->negative_allowed = now->refund_allow_negative;
    for (int64_t v = 1; v < now->version; v++) {
        struct program *old = NULL;
        enum fid_status st = engine_program_version(e, v, &old, err);
        if (st != FID_OK)
            return st;
        note_version(now, old, h);
        program_free(old);
    }
    return FID_OK;
}

/* The file itself first: SQLite's own check of its B-trees and of every index against its table
 * (a torn copy passed every check below with an index missing rows, which quick_check does not
 * look for). */
static enum fid_status check_file(struct engine *e, json_t *out, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(e->db, "PRAGMA integrity_check(20)");
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW)
        if (strcmp(db_column_text(s, 0), "ok") != 0)
            add(out, "database_file_intact", "database", db_column_text(s, 0));
    db_done(s);
    return rc == DB_DONE ? FID_OK
                         : fid_fail(err, FID_ERR_DB, "",
                                    "the database's integrity check failed: %s", db_errmsg(e->db));
}

static enum fid_status run_checks(struct engine *e, json_t *out, struct fid_error *err)
{
    enum fid_status st = check_file(e, out, err);
    for (size_t i = 0; i < sizeof CHECKS / sizeof CHECKS[0] && st == FID_OK; i++) {
        struct db_stmt *s = db_prepare(e->db, CHECKS[i].sql);
        db_bind_int(s, 1, e->merchant.id);
        enum db_step rc;
        while ((rc = db_step(s)) == DB_ROW)
            add(out, CHECKS[i].name, db_column_text(s, 0), db_column_text(s, 1));
        db_done(s);
        if (rc == DB_FAILED)
            st = fid_fail(err, FID_ERR_DB, "", "verify query %s failed: %s", CHECKS[i].name,
                          db_errmsg(e->db));
    }
    if (st == FID_OK)
        st = check_order_aggregates(e, out, err);
    if (st == FID_OK)
        st = check_order_periods(e, out, err);
    /* Programme-dependent checks: negative balances and reward stock, against what any
     * version allowed (a debt left under a version that allowed it stays after one that does
     * not; vouchers issued under a larger stock stay when it is lowered). */
    const struct program *p = e->program;
    struct programme_history history = {0};
    if (st == FID_OK)
        st = read_history(e, &history, err);
    if (st == FID_OK && !history.negative_allowed) {
        struct db_stmt *s = db_prepare(
            e->db, "SELECT ref, 'available ' || points_available || ', cashback ' || "
                   "cashback_minor FROM customers WHERE merchant_id = ? AND (points_available < 0 "
                   "OR cashback_minor < 0)");
        db_bind_int(s, 1, e->merchant.id);
        while (db_step(s) == DB_ROW)
            add(out, "no_negative_balance", db_column_text(s, 0), db_column_text(s, 1));
        db_done(s);
        s = db_prepare(e->db, "SELECT c.ref, 'card ' || s.card_id || ' holds ' || s.stamps FROM "
                              "stamp_balances s JOIN customers c ON c.merchant_id = s.merchant_id "
                              "AND c.id = s.customer_id WHERE s.merchant_id = ? AND s.stamps < 0");
        db_bind_int(s, 1, e->merchant.id);
        while (db_step(s) == DB_ROW)
            add(out, "no_negative_stamps", db_column_text(s, 0), db_column_text(s, 1));
        db_done(s);
    }
    for (size_t i = 0; st == FID_OK && i < p->n_rewards; i++) {
        if (history.stock[i] < 0)
            continue;
        int64_t issued = 0;
        st = reward_count_redeemed(&e->store, p->rewards[i].id, &issued, err);
        if (st == FID_OK && issued > history.stock[i]) {
            char detail[96];
            snprintf(detail, sizeof detail, "%lld issued for a stock of %lld", (long long)issued,
                     (long long)history.stock[i]);
            add(out, "reward_stock", p->rewards[i].id, detail);
        }
    }
    free(history.stock);
    return st;
}
