/*
 * Vouchers (issued by redemptions, full stamp cards and VIP welcomes) and survey answers: the
 * records events leave besides the ledger (VIP payments: vip_store.c).
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOUCHER_COLUMNS                                                                            \
    "code, customer_id, reward_id, source, state, issued_at, valid_until, used_at, used_order, "   \
    "ledger_id, event_key, withdrawn_at, withdrawn_by"

static void read_voucher(struct db_stmt *s, struct voucher *v)
{
    memset(v, 0, sizeof *v);
    db_column_copy(s, 0, v->code, sizeof v->code);
    v->customer_id = db_column_int(s, 1);
    db_column_copy(s, 2, v->reward_id, sizeof v->reward_id);
    const char *source = db_column_text(s, 3);
    v->source = strcmp(source, "redeem") == 0       ? VOUCHER_FROM_REDEEM
                : strcmp(source, "stamp_card") == 0 ? VOUCHER_FROM_STAMP_CARD
                                                    : VOUCHER_FROM_VIP_WELCOME;
    const char *state = db_column_text(s, 4);
    v->state = strcmp(state, "issued") == 0 ? VOUCHER_ISSUED
               : strcmp(state, "used") == 0 ? VOUCHER_USED
                                            : VOUCHER_EXPIRED;
    v->issued_at = db_column_int(s, 5);
    v->valid_until = db_column_int(s, 6);
    v->used_at = db_column_int(s, 7);
    db_column_copy(s, 8, v->used_order, sizeof v->used_order);
    v->ledger_id = db_column_int(s, 9);
    db_column_copy(s, 10, v->event_key, sizeof v->event_key);
    v->withdrawn_at = db_column_int(s, 11);
    db_column_copy(s, 12, v->withdrawn_by, sizeof v->withdrawn_by);
}

enum fid_status voucher_insert(struct store *store, const struct voucher *v, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db, "INSERT INTO vouchers (merchant_id, code, customer_id, reward_id, source, "
                   "state, issued_at, valid_until, ledger_id, event_key) VALUES (?, ?, ?, ?, ?, "
                   "?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, v->code);
    db_bind_int(s, 3, v->customer_id);
    db_bind_text(s, 4, v->reward_id);
    db_bind_text(s, 5, voucher_source_name(v->source));
    db_bind_text(s, 6, voucher_state_name(v->state));
    db_bind_int(s, 7, v->issued_at);
    db_bind_int(s, 8, v->valid_until);
    db_bind_opt_int(s, 9, v->ledger_id);
    db_bind_text(s, 10, v->event_key);
    return db_run(s, err);
}

enum fid_status voucher_find(struct store *store, const char *code, struct voucher *out,
                             struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT " VOUCHER_COLUMNS
                                              " FROM vouchers WHERE merchant_id = ? AND code = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, code);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW)
        read_voucher(s, out);
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return fid_fail(err, FID_ERR_NOT_FOUND, "/code", "no voucher %s", code);
    return fid_fail(err, FID_ERR_DB, "", "reading voucher failed");
}

enum fid_status voucher_each_of(struct store *store, int64_t customer_id,
                                int (*visit)(const struct voucher *, void *), void *context,
                                struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "SELECT " VOUCHER_COLUMNS " FROM vouchers INDEXED BY "
                              "vouchers_customer WHERE merchant_id = ? AND customer_id = ? ORDER "
                              "BY issued_at, code"); /* else read all of the merchant's */
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        struct voucher v;
        read_voucher(s, &v);
        if (visit(&v, context) != 0)
            break;
    }
    db_done(s);
    return db_rows_status(store->db, rc, "vouchers", err);
}

enum fid_status voucher_save_state(struct store *store, const struct voucher *v,
                                   struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "UPDATE vouchers SET state = ?, used_at = ?, "
                                              "used_order = ? WHERE merchant_id = ? AND code = ?");
    db_bind_text(s, 1, voucher_state_name(v->state));
    db_bind_opt_int(s, 2, v->used_at);
    db_bind_text(s, 3, v->used_order[0] ? v->used_order : NULL);
    db_bind_int(s, 4, store->merchant_id);
    db_bind_text(s, 5, v->code);
    return db_run(s, err);
}

enum fid_status voucher_withdraw(struct store *store, const char *code, int64_t at,
                                 const char *event_key, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "UPDATE vouchers SET state = 'expired', "
                                              "withdrawn_at = ?, withdrawn_by = ? WHERE "
                                              "merchant_id = ? AND code = ?");
    db_bind_int(s, 1, at);
    db_bind_text(s, 2, event_key);
    db_bind_int(s, 3, store->merchant_id);
    db_bind_text(s, 4, code);
    return db_run(s, err);
}

enum fid_status reward_count_redeemed(struct store *store, const char *reward_id, int64_t *count,
                                      struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db, "SELECT (SELECT COUNT(*) FROM vouchers WHERE merchant_id = ?1 AND reward_id = "
                   "?2 AND source = 'redeem') + (SELECT COUNT(*) FROM reward_credits WHERE "
                   "merchant_id = ?1 AND reward_id = ?2)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, reward_id);
    return db_run_int(s, 0, count, err);
}

enum fid_status reward_credit_insert(struct store *store, const char *reward_id, int64_t ledger_id,
                                     struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "INSERT INTO reward_credits (merchant_id, "
                                              "reward_id, ledger_id) VALUES (?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, reward_id);
    db_bind_int(s, 3, ledger_id);
    return db_run(s, err);
}

enum fid_status voucher_expire_due(struct store *store, int64_t t, int64_t *count,
                                   struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "UPDATE vouchers SET state = 'expired' WHERE "
                                              "merchant_id = ? AND state = 'issued' AND "
                                              "valid_until <= ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, t);
    enum fid_status st = db_run(s, err);
    *count = st == FID_OK ? db_changes(store->db) : 0;
    return st;
}

enum fid_status survey_answer_insert(struct store *store, int64_t customer_id, int64_t at,
                                     const char *survey, int64_t score, const char *comment,
                                     const char *event_key, struct fid_error *err)
{
    int64_t id;
    enum fid_status st = store_next_id(store, TABLE_SURVEY_ANSWERS, &id, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(store->db, "INSERT INTO survey_answers (merchant_id, id, "
                                              "customer_id, at, survey, score, comment, event_key) "
                                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, id);
    db_bind_int(s, 3, customer_id);
    db_bind_int(s, 4, at);
    db_bind_text(s, 5, survey);
    db_bind_int(s, 6, score);
    db_bind_text(s, 7, comment && comment[0] ? comment : NULL);
    db_bind_text(s, 8, event_key);
    return db_run(s, err);
}
