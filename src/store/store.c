/*
 * Store life cycle, what the store holds for the open transaction (id counters, the stamp
 * balances of the customer last read, the rows appended to the ledger, the lots and the
 * idempotency records) and the names of stored enums.
 *
 * Held rows are inserted at commit, before their table is read or its ids counted again, and
 * follow savepoints (store_savepoint): a rollback to one drops the rows added since and puts
 * back in line those it undid.
 *
 * Held stamp balances that changed are written with the customer's row by customer_save, or by
 * store_flush_stamps, which runs before the store holds another customer's balances, before it
 * commits, and in the engine at the end of every event: no change is held across events, so
 * rolling one back (dropping what the store holds) loses nothing else.
 */
#include "store/store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/customer_journal.h"
#include "store/result_shapes.h"
#include "util/xalloc.h"

static const char *const ID_QUERIES[TABLE_COUNT] = {
    [TABLE_CUSTOMERS] = "SELECT COALESCE(MAX(id), 0) FROM customers WHERE merchant_id = ?",
    [TABLE_ORDERS] = "SELECT COALESCE(MAX(id), 0) FROM orders WHERE merchant_id = ?",
    [TABLE_REFUNDS] = "SELECT COALESCE(MAX(id), 0) FROM refunds WHERE merchant_id = ?",
    [TABLE_LEDGER] = "SELECT COALESCE(MAX(id), 0) FROM ledger WHERE merchant_id = ?",
    [TABLE_LOTS] = "SELECT COALESCE(MAX(id), 0) FROM lots WHERE merchant_id = ?",
    [TABLE_VIP_PAYMENTS] = "SELECT COALESCE(MAX(id), 0) FROM vip_payments WHERE merchant_id = ?",
    [TABLE_SURVEY_ANSWERS] =
        "SELECT COALESCE(MAX(id), 0) FROM survey_answers WHERE merchant_id = ?",
    [TABLE_TIER_CHANGES] = "SELECT COALESCE(MAX(id), 0) FROM tier_changes WHERE merchant_id = ?",
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
    ledger_rows_init(store);
    event_rows_init(store);
}

/* The tables whose rows the store holds, in savepoint_marks' order. */
static struct append_rows *held(struct store *store, size_t i)
{
    struct append_rows *all[STORE_HELD_TABLES] = {&store->ledger_rows, &store->lot_rows,
                                                  &store->event_rows};
    return all[i];
}

enum fid_status store_write_rows(struct store *store, struct append_rows *rows,
                                 struct fid_error *err)
{
    enum fid_status st = append_rows_write(store->db, rows, err);
    size_t i = 0;
    while (i + 1 < STORE_HELD_TABLES && held(store, i) != rows)
        i++;
    assert(held(store, i) == rows);
    if (st == FID_OK && rows->written > 0) {
        append_rows_drop_written(rows, store->savepoint_open ? &store->savepoint_marks[i] : NULL);
        if (rows == &store->event_rows)
            event_rows_forget(store); /* held records were renumbered */
    }
    return st;
}

enum fid_status store_row_added(struct store *store, struct append_rows *rows,
                                struct fid_error *err)
{
    return append_rows_pending(rows) < STORE_ROWS_HELD_MAX ? FID_OK
                                                           : store_write_rows(store, rows, err);
}

enum fid_status store_write_held(struct store *store, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    for (size_t i = 0; i < STORE_HELD_TABLES && st == FID_OK; i++)
        st = store_write_rows(store, held(store, i), err);
    return st;
}

static void clear_held(struct store *store)
{
    store->savepoint_open = false;
    for (size_t i = 0; i < STORE_HELD_TABLES; i++)
        append_rows_clear(held(store, i));
    event_rows_forget(store);
}

enum fid_status store_savepoint(struct store *store, struct fid_error *err)
{
    enum fid_status st = db_savepoint(store->db, err);
    for (size_t i = 0; i < STORE_HELD_TABLES && st == FID_OK; i++)
        store->savepoint_marks[i] = append_rows_mark(held(store, i));
    if (store->journal != NULL)
        store->journal_mark = customer_journal_mark(store->journal);
    store->savepoint_open = st == FID_OK;
    return st;
}

void store_savepoint_release(struct store *store)
{
    db_savepoint_release(store->db);
    store->savepoint_open = false;
}

void store_savepoint_rollback(struct store *store)
{
    db_savepoint_rollback(store->db);
    for (size_t i = 0; i < STORE_HELD_TABLES; i++)
        append_rows_rollback(held(store, i), store->savepoint_marks[i]);
    if (store->journal != NULL)
        customer_journal_rollback_to(store->journal, store->journal_mark);
    result_shapes_rolled_back(store->result_shapes);
    store->savepoint_open = false;
    event_rows_forget(store);
}

int64_t store_total_changes(struct store *store)
{
    int64_t changes = db_total_changes(store->db);
    for (size_t i = 0; i < STORE_HELD_TABLES; i++)
        changes += (int64_t)append_rows_pending(held(store, i));
    if (store->journal != NULL) /* images put instead of rows written */
        changes += (int64_t)customer_journal_mark(store->journal);
    return changes;
}

void store_forget_stamps(struct store *store)
{
    stamp_balances_clear(&store->stamps);
    free(store->stamps_text);
    store->stamps_parsed = false;
    store->stamps_text = NULL;
    store->stamps_of = 0;
    store->stamps_changed = false;
}

char *store_changed_stamps(struct store *store, int64_t customer_id)
{
    if (!store->stamps_changed || store->stamps_of != customer_id)
        return NULL;
    return stamp_balances_text(&store->stamps);
}

/* A journal's owner puts changed stamps into the customer's newest image, when it has one (the
 * row is then older than the image, which a fold would write over it). */
static bool journal_stamps(struct store *store, const char *text)
{
    struct customer c;
    char *old = NULL;
    if (!customer_journal_decoded(store->journal, store->merchant_id, store->stamps_of, &c, &old))
        return false;
    free(old);
    unsigned char changed[CUSTOMER_IMAGE_MAX];
    size_t size = customer_image_encode(store->merchant_id, &c, text, changed, sizeof changed);
    if (size > 0)
        customer_journal_put(store->journal, store->merchant_id, c.id, changed, size);
    return size > 0;
}

enum fid_status store_flush_stamps(struct store *store, struct fid_error *err)
{
    char *text = store_changed_stamps(store, store->stamps_of);
    if (text == NULL)
        return FID_OK;
    if (store->journal != NULL && journal_stamps(store, text)) {
        free(text);
        store->stamps_changed = false;
        return FID_OK;
    }
    struct db_stmt *s = db_prepare(store->db, "UPDATE customers SET stamps = ? WHERE "
                                              "merchant_id = ? AND id = ?");
    db_bind_text(s, 1, text);
    db_bind_int(s, 2, store->merchant_id);
    db_bind_int(s, 3, store->stamps_of);
    enum fid_status st = db_run(s, err);
    free(text);
    if (st == FID_OK)
        store->stamps_changed = false;
    return st;
}

void store_hold_stamps(struct store *store, int64_t customer_id, const char *text)
{
    if (store->stamps_of == customer_id)
        return;                 /* what is held is newer than or the same as the row */
    store_forget_stamps(store); /* the caller flushed a change first */
    store->stamps_text = xstrdup(text);
    store->stamps_of = customer_id;
}

void store_release(struct store *store)
{
    store_forget_stamps(store);
    for (size_t i = 0; i < STORE_HELD_TABLES; i++)
        append_rows_free(held(store, i));
    free(store->event_slots);
    store->event_slots = NULL;
    store->event_slots_capacity = store->events_indexed = 0;
    result_shapes_free(store->result_shapes);
    store->result_shapes = NULL;
}

void store_forget(struct store *store)
{
    memset(store->ids_loaded, 0, sizeof store->ids_loaded);
    store_forget_stamps(store);
}

/* A writer that does not own the journal folds it before anything else: its changes then land
 * on rows as new as every image. */
static enum fid_status fold_journal(struct store *store, struct fid_error *err)
{
    bool waiting = false;
    enum fid_status st = customer_journal_waiting(store->db, &waiting, err);
    size_t folded = 0;
    return st != FID_OK || !waiting ? st : customer_journal_fold(store->db, &folded, err);
}

enum fid_status store_begin(struct store *store, struct fid_error *err)
{
    store_forget(store);
    clear_held(store);
    enum fid_status st = db_begin(store->db, err);
    if (st == FID_OK) {
        st = store->journal ? customer_journal_begin(store->journal, store->db, err)
                            : fold_journal(store, err);
        if (st != FID_OK)
            db_rollback(store->db);
    }
    store->writing = st == FID_OK;
    return st;
}

enum fid_status store_commit(struct store *store, struct fid_error *err)
{
    enum fid_status st = store_flush_stamps(store, err);
    if (st != FID_OK || (st = store_write_held(store, err)) != FID_OK)
        return st;
    if (store->journal != NULL &&
        (st = customer_journal_append(store->journal, store->db, err)) != FID_OK)
        return st;
    st = db_commit(store->db, err);
    if (st == FID_OK && store->journal != NULL)
        customer_journal_committed(store->journal);
    if (st == FID_OK)
        result_shapes_committed(store->result_shapes);
    if (st == FID_OK) {
        store->writing = false;
        store_forget_stamps(store);
        clear_held(store);
    }
    return st;
}

void store_read_begin(struct store *store)
{
    store_forget_stamps(store);
    store->snapshot_folds = -1;
    store->reading = true;
}

void store_read_end(struct store *store)
{
    store_forget_stamps(store);
    store->reading = false;
}

void store_rollback(struct store *store)
{
    store_forget(store);
    clear_held(store);
    store->writing = false;
    if (store->journal != NULL)
        customer_journal_rolled_back(store->journal);
    db_rollback(store->db);
    result_shapes_rolled_back(store->result_shapes);
}

enum fid_status store_next_id(struct store *store, enum store_table table, int64_t *id,
                              struct fid_error *err)
{
    if (!store->ids_loaded[table]) {
        /* held rows have ids the table does not show yet */
        struct append_rows *rows = table == TABLE_LEDGER ? &store->ledger_rows
                                   : table == TABLE_LOTS ? &store->lot_rows
                                                         : NULL;
        enum fid_status st = rows ? store_write_rows(store, rows, err) : FID_OK;
        if (st != FID_OK)
            return st;
        struct db_stmt *s = db_prepare(store->db, ID_QUERIES[table]);
        db_bind_int(s, 1, store->merchant_id);
        st = db_run_int(s, 0, &store->next_id[table], err);
        if (st != FID_OK)
            return st;
        store->ids_loaded[table] = true;
    }
    *id = ++store->next_id[table];
    return FID_OK;
}
