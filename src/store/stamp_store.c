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

enum { STAMPS_COUNT, STAMPS_COMPLETED };

static enum fid_status parse_stamps(const char *text, int64_t customer_id, json_t **out,
                                    struct fid_error *err)
{
    json_error_t jerr;
    *out = json_loads(text, 0, &jerr);
    if (json_is_object(*out))
        return FID_OK;
    json_decref(*out);
    *out = NULL;
    return fid_fail(err, FID_ERR_DB, "", "customer %lld: stamps are not a JSON object",
                    (long long)customer_id);
}

static enum fid_status read_stamps(struct store *store, int64_t customer_id, json_t **out,
                                   struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT stamps FROM customers WHERE merchant_id = ? "
                                              "AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, customer_id);
    enum db_step rc = db_step(s);
    enum fid_status st =
        rc == DB_ROW ? parse_stamps(db_column_text(s, 0), customer_id, out, err) : FID_OK;
    if (rc == DB_DONE)
        *out = json_object();
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading stamps failed") : st;
}

/* The customer's balances (borrowed from the cache), read when not held. */
static enum fid_status held_stamps(struct store *store, int64_t customer_id, json_t **cards,
                                   struct fid_error *err)
{
    enum fid_status st = FID_OK;
    if (store->stamps_of == customer_id && store->stamps == NULL && store->stamps_text)
        st = parse_stamps(store->stamps_text, customer_id, &store->stamps, err);
    else if (store->stamps_of != customer_id || store->stamps == NULL) {
        if ((st = store_flush_stamps(store, err)) != FID_OK)
            return st;
        store_forget_stamps(store);
        if ((st = read_stamps(store, customer_id, &store->stamps, err)) == FID_OK)
            store->stamps_of = customer_id;
    }
    if (st != FID_OK) {
        store_forget_stamps(store);
        return st;
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
    store->stamps_changed = true;
    return FID_OK;
}

enum fid_status stamps_of_customer(struct store *store, int64_t customer_id, json_t **out,
                                   struct fid_error *err)
{
    *out = json_object();
    const char *card_id;
    json_t *figures;
    json_t *held = NULL;
    if ((store->writing || store->reading) && store->stamps_of == customer_id &&
        held_stamps(store, customer_id, &held, err) == FID_OK) {
        json_object_foreach(held, card_id, figures)
        {
            json_int_t count = json_integer_value(json_array_get(figures, STAMPS_COUNT));
            json_object_set_new(*out, card_id, json_integer(count));
        }
        return FID_OK;
    }
    /* Balances not held: SQLite takes the row's JSON apart. */
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
