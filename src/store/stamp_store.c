/*
 * Stamp balances live in their customer's row (customers.stamps, a JSON object card ->
 * [stamps, cards completed]): the row a purchase reads and rewrites anyway, so stamps cost no
 * B-tree of their own. The view stamp_balances shows them as rows for verify and reports.
 *
 * Inside a write transaction the store keeps the balances of the customer it last touched,
 * parsed, and writes every change through at once: a purchase reads them once, and what the
 * transaction sees in SQL is always what the cache holds. Rolling back drops the cache.
 */
#include "store/store.h"

#include <stdlib.h>

enum { STAMPS_COUNT, STAMPS_COMPLETED };

void store_forget_stamps(struct store *store)
{
    json_decref(store->stamps);
    store->stamps = NULL;
    store->stamps_of = 0;
}

static enum fid_status read_stamps(struct store *store, int64_t customer_id, json_t **out,
                                   struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT stamps FROM customers WHERE merchant_id = ? "
                                              "AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    enum db_step rc = db_step(s);
    json_error_t jerr;
    *out = rc == DB_ROW ? json_loads(db_column_text(s, 0), 0, &jerr) : json_object();
    db_done(s);
    if (rc == DB_FAILED)
        return fid_fail(err, FID_ERR_DB, "", "reading stamps failed");
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return fid_fail(err, FID_ERR_DB, "", "customer %lld: stamps are not a JSON object",
                        (long long)customer_id);
    }
    return FID_OK;
}

/* The customer's balances (borrowed from the cache), read when not held. */
static enum fid_status held_stamps(struct store *store, int64_t customer_id, json_t **cards,
                                   struct fid_error *err)
{
    if (store->stamps_of != customer_id || store->stamps == NULL) {
        store_forget_stamps(store);
        enum fid_status st = read_stamps(store, customer_id, &store->stamps, err);
        if (st != FID_OK)
            return st;
        store->stamps_of = customer_id;
    }
    *cards = store->stamps;
    return FID_OK;
}

static int64_t card_figure(const json_t *cards, const char *card_id, int which)
{
    return json_integer_value(json_array_get(json_object_get(cards, card_id), (size_t)which));
}

enum fid_status stamps_get(struct store *store, int64_t customer_id, const char *card_id,
                           int64_t *stamps, int64_t *completed, struct fid_error *err)
{
    json_t *cards = NULL;
    enum fid_status st = held_stamps(store, customer_id, &cards, err);
    *stamps = st == FID_OK ? card_figure(cards, card_id, STAMPS_COUNT) : 0;
    *completed = st == FID_OK ? card_figure(cards, card_id, STAMPS_COMPLETED) : 0;
    return st;
}

enum fid_status stamps_set(struct store *store, int64_t customer_id, const char *card_id,
                           int64_t stamps, int64_t completed, struct fid_error *err)
{
    json_t *cards = NULL;
    enum fid_status st = held_stamps(store, customer_id, &cards, err);
    if (st != FID_OK)
        return st;
    json_object_set_new(cards, card_id,
                        json_pack("[I, I]", (json_int_t)stamps, (json_int_t)completed));
    char *text = json_dumps(cards, JSON_COMPACT | JSON_SORT_KEYS);
    struct db_stmt *s = db_prepare(store->db, "UPDATE customers SET stamps = ? WHERE "
                                              "merchant_id = ? AND id = ?");
    db_bind_text(s, 1, text);
    db_bind_int(s, 2, store->merchant_id);
    db_bind_int(s, 3, customer_id);
    st = db_run(s, err);
    free(text);
    if (st != FID_OK)
        store_forget_stamps(store);
    return st;
}

enum fid_status stamps_of_customer(struct store *store, int64_t customer_id, json_t **out,
                                   struct fid_error *err)
{
    *out = json_object();
    const char *card_id;
    json_t *figures;
    if (store->writing && store->stamps_of == customer_id && store->stamps) {
        json_object_foreach(store->stamps, card_id, figures) json_object_set_new(
            *out, card_id, json_integer(json_integer_value(json_array_get(figures, 0))));
        return FID_OK;
    }
    /* Read-only look-ups (every balance answer) let SQLite take the row's JSON apart. */
    struct db_stmt *s = db_prepare(store->db, "SELECT j.key, json_extract(j.value, '$[0]') FROM "
                                              "customers c, json_each(c.stamps) j WHERE "
                                              "c.merchant_id = ? AND c.id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW)
        json_object_set_new(*out, db_column_text(s, 0), json_integer(db_column_int(s, 1)));
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading stamps failed") : FID_OK;
}
