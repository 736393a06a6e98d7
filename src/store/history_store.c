/*
 * The columnar order history (see history_store.h). A block's blob is at[n], paid_minor[n]
 * (little-endian int64), customer[n] (uint32), member[n] (uint8), in that order.
 */
#include "store/history_store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the history blocks are stored in the host's order, which must be little-endian"
#endif

#define ENTRY_BYTES (2 * sizeof(int64_t) + sizeof(uint32_t) + sizeof(uint8_t))

/* Where each column starts in the blob of a block of n orders, and its size. */
struct layout {
    size_t at, paid, customer, member, size;
};

static struct layout layout_of(size_t n)
{
    return (struct layout){.at = 0,
                           .paid = n * sizeof(int64_t),
                           .customer = 2 * n * sizeof(int64_t),
                           .member = n * (2 * sizeof(int64_t) + sizeof(uint32_t)),
                           .size = n * ENTRY_BYTES};
}

/* A stored block can be read: its count within bounds and its blob of the size that implies. */
static bool block_sound(size_t n, size_t size)
{
    return n <= HISTORY_BLOCK_ORDERS && size == layout_of(n).size;
}

enum fid_status history_key_read(struct store *store, uint8_t key[HISTORY_KEY_BYTES], bool *found,
                                 struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "SELECT hash_key FROM order_history_keys WHERE merchant_id = ?");
    db_bind_int(s, 1, store->merchant_id);
    enum db_step rc = db_step(s);
    size_t size = 0;
    const void *stored = rc == DB_ROW ? db_column_blob(s, 0, &size) : NULL;
    *found = stored != NULL && size == HISTORY_KEY_BYTES;
    if (*found)
        memcpy(key, stored, HISTORY_KEY_BYTES);
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the order history key failed")
                           : FID_OK;
}

enum fid_status history_key_new(uint8_t key[HISTORY_KEY_BYTES], struct fid_error *err)
{
    if (sodium_init() < 0)
        return fid_fail(err, FID_ERR_IO, "", "libsodium failed to initialise");
    randombytes_buf(key, HISTORY_KEY_BYTES);
    return FID_OK;
}

enum fid_status history_key_save(struct store *store, const uint8_t key[HISTORY_KEY_BYTES],
                                 struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "INSERT INTO order_history_keys (merchant_id, "
                                              "hash_key) VALUES (?, ?) ON CONFLICT DO NOTHING");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_blob(s, 2, key, HISTORY_KEY_BYTES);
    uint8_t stored[HISTORY_KEY_BYTES];
    bool found = false;
    enum fid_status st = db_run(s, err);
    if (st == FID_OK)
        st = history_key_read(store, stored, &found, err);
    if (st == FID_OK && (!found || sodium_memcmp(stored, key, HISTORY_KEY_BYTES) != 0))
        st = fid_fail(err, FID_ERR_CONFLICT, "",
                      "another import recorded order history meanwhile: run the import again");
    return st;
}

enum fid_status history_key(struct store *store, uint8_t key[HISTORY_KEY_BYTES],
                            struct fid_error *err)
{
    bool found = false;
    enum fid_status st = history_key_read(store, key, &found, err);
    if (st != FID_OK || found)
        return st;
    st = history_key_new(key, err);
    return st == FID_OK ? history_key_save(store, key, err) : st;
}

void history_ref_hash(const uint8_t key[HISTORY_KEY_BYTES], const char *ref,
                      uint8_t out[HISTORY_REF_HASH])
{
    crypto_shorthash_siphashx24(out, (const unsigned char *)ref, strlen(ref), key);
}

enum fid_status history_block_append(struct store *store, const struct order_columns *block,
                                     const uint8_t *refs, struct fid_error *err)
{
    if (block->n == 0)
        return FID_OK;
    if (block->n > HISTORY_BLOCK_ORDERS)
        return fid_fail(err, FID_ERR_INTERNAL, "", "a history block holds at most %d orders",
                        HISTORY_BLOCK_ORDERS);
    int64_t next = 0;
    struct db_stmt *s = db_prepare(
        store->db, "SELECT COALESCE(MAX(block), 0) + 1 FROM order_history WHERE merchant_id = ?");
    db_bind_int(s, 1, store->merchant_id);
    enum fid_status st = db_run_int(s, 1, &next, err);
    if (st != FID_OK)
        return st;
    size_t n = block->n;
    int64_t first = block->at[0], last = block->at[0];
    for (size_t i = 1; i < n; i++) {
        if (block->at[i] < first)
            first = block->at[i];
        if (block->at[i] > last)
            last = block->at[i];
    }
    struct layout l = layout_of(n);
    unsigned char *blob = xmalloc(l.size);
    memcpy(blob + l.at, block->at, n * sizeof(int64_t));
    memcpy(blob + l.paid, block->paid_minor, n * sizeof(int64_t));
    memcpy(blob + l.customer, block->customer, n * sizeof(uint32_t));
    memcpy(blob + l.member, block->member, n);
    s = db_prepare(store->db,
                   "INSERT INTO order_history (merchant_id, block, n, first_at, last_at, "
                   "columns) VALUES (?, ?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, next);
    db_bind_int(s, 3, (int64_t)n);
    db_bind_int(s, 4, first);
    db_bind_int(s, 5, last);
    db_bind_blob(s, 6, blob, l.size);
    st = db_run(s, err);
    free(blob);
    if (st != FID_OK)
        return st;
    s = db_prepare(store->db,
                   "INSERT INTO order_history_refs (merchant_id, block, refs) VALUES (?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, next);
    db_bind_blob(s, 3, refs, n * HISTORY_REF_HASH);
    return db_run(s, err);
}

enum fid_status history_refs_scan(struct store *store, history_refs_visit visit, void *context,
                                  struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "SELECT refs FROM order_history_refs WHERE merchant_id = ?");
    db_bind_int(s, 1, store->merchant_id);
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        size_t size = 0;
        const uint8_t *refs = db_column_blob(s, 0, &size);
        visit(refs, size / HISTORY_REF_HASH, context);
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the order history failed")
                           : FID_OK;
}

/* Orders moved to the rows (history_take) are counted there: scans never see them. */
static void drop_promoted(struct order_columns *block)
{
    size_t kept = 0;
    for (size_t i = 0; i < block->n; i++) {
        if (block->member[i] == HISTORY_PROMOTED)
            continue;
        block->at[kept] = block->at[i];
        block->paid_minor[kept] = block->paid_minor[i];
        block->customer[kept] = block->customer[i];
        block->member[kept] = block->member[i];
        kept++;
    }
    block->n = kept;
}

enum fid_status history_scan(struct store *store, int64_t before, history_block_visit visit,
                             void *context, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT n, columns FROM order_history WHERE "
                                              "merchant_id = ? AND first_at < ? ORDER BY block");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, before);
    /* Copied into aligned columns: a blob's bytes carry no alignment. */
    int64_t *wide = xmalloc(2 * HISTORY_BLOCK_ORDERS * sizeof(int64_t));
    uint32_t *customer = xmalloc(HISTORY_BLOCK_ORDERS * sizeof(uint32_t));
    uint8_t *member = xmalloc(HISTORY_BLOCK_ORDERS);
    enum db_step rc;
    bool bad = false;
    while ((rc = db_step(s)) == DB_ROW) {
        size_t n = (size_t)db_column_int(s, 0), size = 0;
        const unsigned char *blob = db_column_blob(s, 1, &size);
        if (!block_sound(n, size)) {
            bad = true;
            break;
        }
        struct layout l = layout_of(n);
        struct order_columns block = {
            .n = n, .at = wide, .paid_minor = wide + n, .customer = customer, .member = member};
        memcpy(block.at, blob + l.at, n * sizeof(int64_t));
        memcpy(block.paid_minor, blob + l.paid, n * sizeof(int64_t));
        memcpy(block.customer, blob + l.customer, n * sizeof(uint32_t));
        memcpy(block.member, blob + l.member, n);
        drop_promoted(&block);
        if (visit(&block, context) != 0)
            break;
    }
    db_done(s);
    free(wide);
    free(customer);
    free(member);
    if (bad)
        return fid_fail(err, FID_ERR_DB, "", "an order history block is damaged");
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the order history failed")
                           : FID_OK;
}

struct changed_block {
    int64_t block;
    unsigned char *blob;
    size_t size;
};

enum fid_status history_take(struct store *store, int64_t customer_id, struct history_taken **out,
                             size_t *n, struct fid_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0, n_changed = 0, cap_changed = 0;
    struct changed_block *changed = NULL;
    struct db_stmt *s = db_prepare(store->db, "SELECT block, n, columns FROM order_history WHERE "
                                              "merchant_id = ? ORDER BY block");
    db_bind_int(s, 1, store->merchant_id);
    enum db_step rc;
    bool bad = false;
    while ((rc = db_step(s)) == DB_ROW) {
        size_t count = (size_t)db_column_int(s, 1), size = 0;
        const unsigned char *blob = db_column_blob(s, 2, &size);
        if (!block_sound(count, size)) {
            bad = true;
            break;
        }
        struct layout l = layout_of(count);
        const unsigned char *customers = blob + l.customer, *members = blob + l.member;
        unsigned char *copy = NULL;
        for (size_t i = 0; i < count; i++) {
            uint32_t who;
            memcpy(&who, customers + i * sizeof who, sizeof who);
            if ((int64_t)who != customer_id || members[i] == HISTORY_PROMOTED)
                continue;
            if (copy == NULL) {
                copy = xmalloc(size);
                memcpy(copy, blob, size);
                xgrow((void **)&changed, &cap_changed, n_changed + 1, sizeof *changed);
                changed[n_changed++] = (struct changed_block){
                    .block = db_column_int(s, 0), .blob = copy, .size = size};
            }
            copy[l.member + i] = HISTORY_PROMOTED;
            xgrow((void **)out, &cap, *n + 1, sizeof **out);
            struct history_taken *t = &(*out)[(*n)++];
            t->block = db_column_int(s, 0);
            t->index = i;
            memcpy(&t->at, blob + l.at + i * sizeof(int64_t), sizeof t->at);
            memcpy(&t->paid_minor, blob + l.paid + i * sizeof(int64_t), sizeof t->paid_minor);
        }
    }
    db_done(s);
    enum fid_status st = FID_OK;
    if (bad)
        st = fid_fail(err, FID_ERR_DB, "", "an order history block is damaged");
    else if (rc == DB_FAILED)
        st = fid_fail(err, FID_ERR_DB, "", "reading the order history failed");
    for (size_t i = 0; i < n_changed; i++) {
        if (st == FID_OK) {
            s = db_prepare(store->db, "UPDATE order_history SET columns = ? WHERE merchant_id = ? "
                                      "AND block = ?");
            db_bind_blob(s, 1, changed[i].blob, changed[i].size);
            db_bind_int(s, 2, store->merchant_id);
            db_bind_int(s, 3, changed[i].block);
            st = db_run(s, err);
        }
        free(changed[i].blob);
    }
    free(changed);
    if (st != FID_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

enum fid_status history_count(struct store *store, int64_t *count, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db, "SELECT COALESCE(SUM(n), 0) FROM order_history WHERE merchant_id = ?");
    db_bind_int(s, 1, store->merchant_id);
    return db_run_int(s, 0, count, err);
}

static bool same_hash(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[2], y[2];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    return x[0] == y[0] && x[1] == y[1];
}

/* Where the history keeps the order whose ref hashes to `hash`: *block 0 when nowhere. A scan
 * of the refs' hashes (16 bytes an order), done only for a refund naming no recorded order. */
static enum fid_status locate(struct store *store, const uint8_t hash[HISTORY_REF_HASH],
                              int64_t *block, size_t *index, struct fid_error *err)
{
    *block = 0;
    struct db_stmt *s = db_prepare(
        store->db,
        "SELECT block, refs FROM order_history_refs WHERE merchant_id = ? ORDER BY block");
    db_bind_int(s, 1, store->merchant_id);
    enum db_step rc = DB_DONE;
    while (*block == 0 && (rc = db_step(s)) == DB_ROW) {
        size_t size = 0;
        const uint8_t *refs = db_column_blob(s, 1, &size);
        for (size_t i = 0; i < size / HISTORY_REF_HASH; i++)
            if (same_hash(refs + i * HISTORY_REF_HASH, hash)) {
                *block = db_column_int(s, 0);
                *index = i;
                break;
            }
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading the order history failed")
                           : FID_OK;
}

enum fid_status history_holds_ref_at(struct store *store, const char *ref, int64_t at, bool *found,
                                     struct fid_error *err)
{
    *found = false;
    struct db_stmt *s =
        db_prepare(store->db, "SELECT r.refs FROM order_history h CROSS JOIN order_history_refs r "
                              "ON r.merchant_id = h.merchant_id AND r.block = h.block "
                              "WHERE h.merchant_id = ? AND h.first_at <= ? AND h.last_at >= ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, at);
    db_bind_int(s, 3, at);
    enum db_step rc = db_step(s);
    uint8_t key[HISTORY_KEY_BYTES], hash[HISTORY_REF_HASH];
    bool keyed = false;
    enum fid_status st = FID_OK;
    if (rc == DB_ROW && (st = history_key_read(store, key, &keyed, err)) == FID_OK && keyed)
        history_ref_hash(key, ref, hash);
    for (; st == FID_OK && keyed && !*found && rc == DB_ROW; rc = db_step(s)) {
        size_t size = 0;
        const uint8_t *refs = db_column_blob(s, 0, &size);
        for (size_t i = 0; i < size / HISTORY_REF_HASH && !*found; i++)
            *found = same_hash(refs + i * HISTORY_REF_HASH, hash);
    }
    db_done(s);
    if (st == FID_OK && rc == DB_FAILED)
        st = fid_fail(err, FID_ERR_DB, "", "reading the order history failed");
    return st;
}

enum fid_status history_take_ref(struct store *store, const char *ref, struct history_found *out,
                                 bool *found, struct fid_error *err)
{
    *found = false;
    uint8_t key[HISTORY_KEY_BYTES], hash[HISTORY_REF_HASH];
    bool keyed = false;
    enum fid_status st = history_key_read(store, key, &keyed, err);
    if (st != FID_OK || !keyed)
        return st;
    history_ref_hash(key, ref, hash);
    int64_t block = 0;
    size_t index = 0;
    if ((st = locate(store, hash, &block, &index, err)) != FID_OK || block == 0)
        return st;
    struct db_stmt *s = db_prepare(
        store->db, "SELECT n, columns FROM order_history WHERE merchant_id = ? AND block = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, block);
    enum db_step rc = db_step(s);
    size_t n = rc == DB_ROW ? (size_t)db_column_int(s, 0) : 0, size = 0;
    const unsigned char *blob = rc == DB_ROW ? db_column_blob(s, 1, &size) : NULL;
    unsigned char *copy = NULL;
    if (blob != NULL && block_sound(n, size) && index < n) {
        struct layout l = layout_of(n);
        uint32_t who;
        memcpy(&who, blob + l.customer + index * sizeof who, sizeof who);
        *out =
            (struct history_found){.taken = {.block = block, .index = index},
                                   .customer_id = who,
                                   .promoted_before = blob[l.member + index] == HISTORY_PROMOTED};
        memcpy(&out->taken.at, blob + l.at + index * sizeof(int64_t), sizeof out->taken.at);
        memcpy(&out->taken.paid_minor, blob + l.paid + index * sizeof(int64_t),
               sizeof out->taken.paid_minor);
        *found = true;
        if (!out->promoted_before) {
            copy = xmalloc(size);
            memcpy(copy, blob, size);
            copy[l.member + index] = HISTORY_PROMOTED;
        }
    }
    db_done(s);
    if (rc == DB_FAILED)
        st = fid_fail(err, FID_ERR_DB, "", "reading the order history failed");
    else if (!*found)
        st = fid_fail(err, FID_ERR_DB, "", "the order history block %lld is damaged",
                      (long long)block);
    if (st == FID_OK && copy != NULL) {
        s = db_prepare(store->db,
                       "UPDATE order_history SET columns = ? WHERE merchant_id = ? AND block = ?");
        db_bind_blob(s, 1, copy, size);
        db_bind_int(s, 2, store->merchant_id);
        db_bind_int(s, 3, block);
        st = db_run(s, err);
    }
    free(copy);
    if (st != FID_OK)
        *found = false;
    return st;
}
