/*
 * Tier changes (store.h): one row each time a member's tier moves, so that the tier held at any
 * date is a look-up by customer and time. Changes are rare (a few per member a year), so the
 * table keeps an index by customer, unlike the ledger.
 */
#include <string.h>

#include "store/store.h"

static const char *const REASON_NAMES[] = {"reached", "review", "recorded"};

const char *tier_change_reason_name(enum tier_change_reason reason)
{
    return REASON_NAMES[reason];
}

enum fid_status tier_change_insert(struct store *store, int64_t customer_id,
                                   struct tier_change *change, struct fid_error *err)
{
    enum fid_status st = store_next_id(store, TABLE_TIER_CHANGES, &change->id, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s =
        db_prepare(store->db, "INSERT INTO tier_changes (merchant_id, id, customer_id, at, tier, "
                              "previous, reason, program_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, change->id);
    db_bind_int(s, 3, customer_id);
    db_bind_int(s, 4, change->at);
    db_bind_text(s, 5, change->tier);
    db_bind_text(s, 6, change->previous);
    db_bind_text(s, 7, tier_change_reason_name(change->reason));
    db_bind_opt_int(s, 8, change->program_version);
    return db_run(s, err);
}

enum fid_status tier_at(struct store *store, int64_t customer_id, int64_t at,
                        char out[PROGRAM_ID_MAX], struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT tier FROM tier_changes WHERE merchant_id = ? "
                                              "AND customer_id = ? AND at < ? ORDER BY at DESC, "
                                              "id DESC LIMIT 1");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    db_bind_int(s, 3, at);
    return db_run_text(s, out, PROGRAM_ID_MAX, "tiers", err);
}

static enum tier_change_reason reason_of(const char *name)
{
    for (int r = TIER_REACHED; r <= TIER_RECORDED; r++)
        if (strcmp(name, REASON_NAMES[r]) == 0)
            return (enum tier_change_reason)r;
    return TIER_RECORDED;
}

enum fid_status tier_changes_each(struct store *store, int64_t customer_id,
                                  int (*visit)(const struct tier_change *, void *), void *context,
                                  struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "SELECT id, at, tier, previous, reason, program_version FROM "
                              "tier_changes WHERE merchant_id = ? AND customer_id = ? ORDER "
                              "BY at, id");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        struct tier_change c = {.id = db_column_int(s, 0), .at = db_column_int(s, 1)};
        db_column_copy(s, 2, c.tier, sizeof c.tier);
        db_column_copy(s, 3, c.previous, sizeof c.previous);
        c.reason = reason_of(db_column_text(s, 4));
        c.program_version = db_column_int(s, 5);
        if (visit(&c, context) != 0)
            break;
    }
    db_done(s);
    return db_rows_status(store->db, rc, "tiers", err);
}
