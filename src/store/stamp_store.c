/*
 * Stamp balances live in their customer's row (customers.stamps, a JSON object card ->
 * [stamps, cards completed]): the row a purchase reads and rewrites anyway, so stamps cost no
 * B-tree of their own. The view stamp_balances shows them as rows for verify and reports.
 *
 * Inside a write transaction or a read snapshot the store holds the balances of the customer it
 * last read (store.c: taken from the row as it is read, parsed here when first asked); a change
 * is written with the customer's row by customer_save, or flushed by the store.
 */
#include "store/store.h"

#include <stdlib.h>

static enum fid_status not_an_object(int64_t customer_id, struct fid_error *err)
{
    return fid_fail(err, FID_ERR_DB, "", "customer %lld: stamps are not a JSON object",
                    (long long)customer_id);
}

/* Reads the customer's balances from its row into *out (none when it has no row). */
static enum fid_status read_stamps(struct store *store, int64_t customer_id,
                                   struct stamp_balances *out, struct fid_error *err)
{
    bool imaged = false;
    char *image = customer_image_stamps(store, customer_id, &imaged);
    if (imaged) { /* the image's balances are newer than the row's */
        bool readable = image == NULL || stamp_balances_read(image, out);
        free(image);
        if (image != NULL || !readable)
            return readable ? FID_OK : not_an_object(customer_id, err);
    }
    struct db_stmt *s = db_prepare(store->db, "SELECT stamps FROM customers WHERE merchant_id = ? "
                                              "AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    enum db_step rc = db_step(s);
    bool readable = rc != DB_ROW || stamp_balances_read(db_column_text(s, 0), out);
    db_done(s);
    if (rc == DB_FAILED)
        return fid_fail(err, FID_ERR_DB, "", "reading stamps failed");
    return readable ? FID_OK : not_an_object(customer_id, err);
}

/* Makes the store hold the customer's balances: parsed from the row's text read with the
 * customer, or read now. */
static enum fid_status held_stamps(struct store *store, int64_t customer_id, struct fid_error *err)
{
    if (store->stamps_of == customer_id && store->stamps_parsed)
        return FID_OK;
    enum fid_status st = FID_OK;
    if (store->stamps_of == customer_id && store->stamps_text) {
        if (!stamp_balances_read(store->stamps_text, &store->stamps))
            st = not_an_object(customer_id, err);
    } else {
        if ((st = store_flush_stamps(store, err)) != FID_OK)
            return st;
        store_forget_stamps(store);
        st = read_stamps(store, customer_id, &store->stamps, err);
        store->stamps_of = customer_id;
    }
    if (st != FID_OK) {
        store_forget_stamps(store);
        return st;
    }
    store->stamps_parsed = true;
    return FID_OK;
}

enum fid_status stamps_get(struct store *store, int64_t customer_id, const char *card_id,
                           int64_t *stamps, int64_t *completed, struct fid_error *err)
{
    enum fid_status st = held_stamps(store, customer_id, err);
    const struct stamp_balance *on =
        st == FID_OK ? stamp_balances_find(&store->stamps, card_id) : NULL;
    *stamps = on ? on->stamps : 0;
    *completed = on ? on->completed : 0;
    return st;
}

enum fid_status stamps_set(struct store *store, int64_t customer_id, const char *card_id,
                           int64_t stamps, int64_t completed, struct fid_error *err)
{
    enum fid_status st = held_stamps(store, customer_id, err);
    if (st != FID_OK)
        return st;
    stamp_balances_set(&store->stamps, card_id, stamps, completed);
    store->stamps_changed = true;
    return FID_OK;
}

enum fid_status stamps_of_customer(struct store *store, int64_t customer_id,
                                   struct stamp_balances *out, struct fid_error *err)
{
    stamp_balances_clear(out);
    if ((store->writing || store->reading) && store->stamps_of == customer_id &&
        held_stamps(store, customer_id, err) == FID_OK) {
        for (size_t i = 0; i < store->stamps.n; i++)
            stamp_balances_set(out, store->stamps.items[i].card, store->stamps.items[i].stamps,
                               store->stamps.items[i].completed);
        return FID_OK;
    }
    return read_stamps(store, customer_id, out, err); /* not held: from the row */
}
