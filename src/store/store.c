/*
 * Store life cycle, per-transaction id counters and the names of stored enums.
 */
#include "store/store.h"

#include <string.h>

static const char *const ID_QUERIES[TABLE_COUNT] = {
    [TABLE_CUSTOMERS] = "SELECT COALESCE(MAX(id), 0) FROM customers WHERE merchant_id = ?",
    [TABLE_ORDERS] = "SELECT COALESCE(MAX(id), 0) FROM orders WHERE merchant_id = ?",
    [TABLE_REFUNDS] = "SELECT COALESCE(MAX(id), 0) FROM refunds WHERE merchant_id = ?",
    [TABLE_LEDGER] = "SELECT COALESCE(MAX(id), 0) FROM ledger WHERE merchant_id = ?",
    [TABLE_LOTS] = "SELECT COALESCE(MAX(id), 0) FROM lots WHERE merchant_id = ?",
    [TABLE_VIP_PAYMENTS] = "SELECT COALESCE(MAX(id), 0) FROM vip_payments WHERE merchant_id = ?",
    [TABLE_SURVEY_ANSWERS] =
        "SELECT COALESCE(MAX(id), 0) FROM survey_answers WHERE merchant_id = ?",
};

const char *ledger_kind_name(enum ledger_kind kind)
{
    static const char *const names[] = {"earn",   "earn_pending",    "confirm",
                                        "redeem", "redeem_rollback", "clawback",
                                        "expire", "adjust"};
    return names[kind];
}

const char *ledger_account_name(enum ledger_account account)
{
    static const char *const names[] = {"points", "stamps", "cashback"};
    return names[account];
}

const char *lot_state_name(enum lot_state state)
{
    static const char *const names[] = {"pending", "available", "cancelled"};
    return names[state];
}

const char *voucher_state_name(enum voucher_state state)
{
    static const char *const names[] = {"issued", "used", "expired"};
    return names[state];
}

const char *voucher_source_name(enum voucher_source source)
{
    static const char *const names[] = {"redeem", "stamp_card", "vip_welcome"};
    return names[source];
}

void store_init(struct store *store, struct db *db, int64_t merchant_id)
{
    memset(store, 0, sizeof *store);
    store->db = db;
    store->merchant_id = merchant_id;
}

void store_release(struct store *store)
{
    store_forget_stamps(store);
}

void store_forget(struct store *store)
{
    memset(store->ids_loaded, 0, sizeof store->ids_loaded);
    store_forget_stamps(store);
}

enum fid_status store_begin(struct store *store, struct fid_error *err)
{
    store_forget(store);
    enum fid_status st = db_begin(store->db, err);
    store->writing = st == FID_OK;
    return st;
}

enum fid_status store_commit(struct store *store, struct fid_error *err)
{
    enum fid_status st = store_flush_stamps(store, err);
    if (st != FID_OK)
        return st;
    st = db_commit(store->db, err);
    if (st == FID_OK) {
        store->writing = false;
        store_forget_stamps(store);
    }
    return st;
}

void store_rollback(struct store *store)
{
    store_forget(store);
    store->writing = false;
    db_rollback(store->db);
}

enum fid_status store_next_id(struct store *store, enum store_table table, int64_t *id,
                              struct fid_error *err)
{
    if (!store->ids_loaded[table]) {
        struct db_stmt *s = db_prepare(store->db, ID_QUERIES[table]);
        db_bind_int(s, 1, store->merchant_id);
        enum fid_status st = db_run_int(s, 0, &store->next_id[table], err);
        if (st != FID_OK)
            return st;
        store->ids_loaded[table] = true;
    }
    *id = ++store->next_id[table];
    return FID_OK;
}
