/*
 * VIP payments and their refunds, in one table and one id sequence, so that the order they were
 * applied in is the order of their ids. A payment keeps the time it bought (valid_from to
 * valid_until, as paid); a refund is a row of its own with a negative amount naming the payment
 * (refund_of). Every row keeps the end of the membership it left: the membership at an instant
 * is the end the newest row dated at or before it left. For payments alone that end never
 * falls from one row to the next, so it is also their largest end, as earlier versions read it.
 */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static enum fid_status insert_row(struct store *store, int64_t customer_id, const char *plan_id,
                                  int64_t at, int64_t amount_minor, int64_t periods,
                                  const int64_t *valid_from, int64_t valid_until, int64_t refund_of,
                                  const char *event_key, struct fid_error *err)
{
    int64_t id;
    enum fid_status st = store_next_id(store, TABLE_VIP_PAYMENTS, &id, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(
        store->db, "INSERT INTO vip_payments (merchant_id, id, customer_id, plan_id, at, "
                   "amount_minor, periods, valid_from, valid_until, refund_of, event_key) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, id);
    db_bind_int(s, 3, customer_id);
    db_bind_text(s, 4, plan_id);
    db_bind_int(s, 5, at);
    db_bind_int(s, 6, amount_minor);
    db_bind_int(s, 7, periods);
    if (valid_from) /* a payment's; a refund buys no time */
        db_bind_int(s, 8, *valid_from);
    else
        db_bind_null(s, 8);
    db_bind_int(s, 9, valid_until);
    db_bind_opt_int(s, 10, refund_of);
    db_bind_text(s, 11, event_key);
    return db_run(s, err);
}

enum fid_status vip_payment_insert(struct store *store, int64_t customer_id, const char *plan_id,
                                   int64_t at, int64_t amount_minor, int64_t periods,
                                   int64_t valid_from, int64_t valid_until, const char *event_key,
                                   struct fid_error *err)
{
    return insert_row(store, customer_id, plan_id, at, amount_minor, periods, &valid_from,
                      valid_until, 0, event_key, err);
}

enum fid_status vip_refund_insert(struct store *store, const struct vip_payment *payment,
                                  const char *plan_id, int64_t at, int64_t amount_minor,
                                  int64_t valid_until, const char *event_key, struct fid_error *err)
{
    return insert_row(store, payment->customer_id, plan_id, at, -amount_minor, 0, NULL, valid_until,
                      payment->id, event_key, err);
}

enum fid_status vip_payment_find(struct store *store, const char *event_key,
                                 struct vip_payment *out, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db,
        "SELECT p.id, p.customer_id, p.at, p.amount_minor, p.periods, p.valid_from, "
        "p.valid_until, p.plan_id, p.event_key, COALESCE((SELECT -SUM(r.amount_minor) FROM "
        "vip_payments r WHERE r.merchant_id = p.merchant_id AND r.customer_id = p.customer_id "
        "AND r.refund_of = p.id), 0) FROM vip_payments p WHERE p.merchant_id = ? AND "
        "p.event_key = ? AND p.refund_of IS NULL");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, event_key);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof *out);
        out->id = db_column_int(s, 0);
        out->customer_id = db_column_int(s, 1);
        out->at = db_column_int(s, 2);
        out->amount_minor = db_column_int(s, 3);
        out->periods = db_column_int(s, 4);
        out->valid_from = db_column_int(s, 5);
        out->valid_until = db_column_int(s, 6);
        db_column_copy(s, 7, out->plan_id, sizeof out->plan_id);
        db_column_copy(s, 8, out->event_key, sizeof out->event_key);
        out->refunded_minor = db_column_int(s, 9);
    }
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return FID_ERR_NOT_FOUND;
    return fid_fail(err, FID_ERR_DB, "", "reading VIP payments failed");
}

enum fid_status vip_new_membership_since(struct store *store, int64_t customer_id,
                                         int64_t payment_id, bool *out, struct fid_error *err)
{
    /* a payment that found no membership running bought time from its own instant */
    struct db_stmt *s = db_prepare(
        store->db, "SELECT EXISTS (SELECT 1 FROM vip_payments WHERE merchant_id = ? AND "
                   "customer_id = ? AND id > ? AND refund_of IS NULL AND valid_from = at)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    db_bind_int(s, 3, payment_id);
    int64_t found = 0;
    enum fid_status st = db_run_int(s, 0, &found, err);
    *out = found != 0;
    return st;
}

enum fid_status vip_plan_left(struct store *store, int64_t customer_id, int64_t payment_id,
                              char plan[PROGRAM_ID_MAX], struct fid_error *err)
{
    /* the running membership began at its latest payment that found none running */
    struct db_stmt *s = db_prepare(
        store->db,
        "SELECT p.plan_id FROM vip_payments p WHERE p.merchant_id = ?1 AND p.customer_id = ?2 "
        "AND p.refund_of IS NULL AND p.id != ?3 AND p.id >= (SELECT MAX(id) FROM "
        "vip_payments WHERE merchant_id = ?1 AND customer_id = ?2 AND refund_of IS NULL AND "
        "valid_from = at) AND p.amount_minor > COALESCE((SELECT -SUM(r.amount_minor) FROM "
        "vip_payments r WHERE r.merchant_id = ?1 AND r.customer_id = ?2 AND r.refund_of = p.id), "
        "0) ORDER BY p.id DESC LIMIT 1");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    db_bind_int(s, 3, payment_id);
    return db_run_text(s, plan, PROGRAM_ID_MAX, "VIP payments", err);
}

enum fid_status vip_welcome_credit(struct store *store, const struct customer *customer,
                                   const struct vip_payment *payment, int64_t *amount,
                                   struct fid_error *err)
{
    *amount = 0;
    enum fid_status st = store_write_rows(store, &store->ledger_rows, err);
    if (st != FID_OK)
        return st;
    /* The ledger has no index by customer or event: the customer's chain is walked from its
     * newest entry and stops at the credit (a refund in full comes soon after its payment). */
    struct db_stmt *s = db_prepare(
        store->db,
        "WITH RECURSIVE chain(id) AS (SELECT ?3 UNION ALL SELECT l.prev_id FROM chain JOIN "
        "ledger l ON l.merchant_id = ?1 AND l.id = chain.id WHERE l.prev_id IS NOT NULL AND NOT "
        "(l.event_key IS ?4 AND l.account = 'cashback' AND l.kind = 'earn')) "
        "SELECT COALESCE(SUM(l.amount), 0) FROM chain JOIN ledger l ON l.merchant_id = ?1 AND "
        "l.id = chain.id WHERE l.customer_id = ?2 AND l.event_key IS ?4 AND l.account = "
        "'cashback' AND l.kind = 'earn' AND json_extract(l.explanation, '$[0].rule') GLOB "
        "'vip_welcome:*'");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer->id);
    db_bind_opt_int(s, 3, customer->last_ledger_id);
    db_bind_text(s, 4, payment->event_key);
    return db_run_int(s, 0, amount, err);
}

enum fid_status vip_latest_at(struct store *store, int64_t customer_id, int64_t *at,
                              struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT COALESCE(MAX(at), 0) FROM vip_payments "
                                              "WHERE merchant_id = ? AND customer_id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    return db_run_int(s, 0, at, err);
}

enum fid_status vip_until_at(struct store *store, int64_t customer_id, int64_t at, int64_t *until,
                             struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT valid_until FROM vip_payments WHERE "
                                              "merchant_id = ? AND customer_id = ? AND at <= ? "
                                              "ORDER BY id DESC LIMIT 1");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    db_bind_int(s, 3, at);
    return db_run_int(s, 0, until, err);
}

enum fid_status vip_payment_plan_at(struct store *store, int64_t customer_id, int64_t at,
                                    char plan[PROGRAM_ID_MAX], struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db,
        "SELECT plan_id FROM vip_payments WHERE merchant_id = ?1 AND customer_id = ?2 "
        "AND at <= ?3 AND (SELECT valid_until FROM vip_payments WHERE merchant_id = ?1 AND "
        "customer_id = ?2 AND at <= ?3 ORDER BY id DESC LIMIT 1) > ?3 ORDER BY at DESC, id "
        "DESC LIMIT 1");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    db_bind_int(s, 3, at);
    return db_run_text(s, plan, PROGRAM_ID_MAX, "VIP payments", err);
}
