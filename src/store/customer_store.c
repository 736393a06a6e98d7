/*
 * Customers and members: one row each, holding the profile, the per-customer aggregates that
 * segments and KPIs read (order count, spend, first and last order) and the materialised
 * balances that `fidele verify` checks against the ledger (stamp balances: stamp_store.c).
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/customer_journal.h"
#include "util/text.h"
#include "util/phone.h"
#include "util/xalloc.h"

#define CUSTOMER_COLUMNS                                                                           \
    "id, ref, is_member, enrolled_at, card_code, email, phone, name, birthday, locale, consents, " \
    "consents_at, order_count, spend_minor, first_order_at, last_order_at, last_activity_at, "     \
    "points_available, points_pending, points_lifetime, cashback_minor, tier, tier_since, "        \
    "tier_review_at, vip_plan, vip_until, next_due_at, created_at, vip_started_at, vip_months, "   \
    "last_ledger_id, last_lot_id, open_lots_from, stamps, order_periods, rowid"
#define STAMPS_COLUMN        33
#define ORDER_PERIODS_COLUMN 34
#define ROWID_COLUMN         35

#define COPY_TEXT(field, col) db_column_copy(s, col, c->field, sizeof c->field)

/* False when the row's order periods cannot be read (they are then empty). */
static bool read_row(struct db_stmt *s, struct customer *c)
{
    memset(c, 0, sizeof *c);
    c->id = db_column_int(s, 0);
    COPY_TEXT(ref, 1);
    c->is_member = db_column_int(s, 2) != 0;
    c->enrolled_at = db_column_int(s, 3);
    COPY_TEXT(card_code, 4);
    COPY_TEXT(email, 5);
    COPY_TEXT(phone, 6);
    COPY_TEXT(name, 7);
    COPY_TEXT(birthday, 8);
    COPY_TEXT(locale, 9);
    c->consents = (unsigned)db_column_int(s, 10);
    c->consents_at = db_column_int(s, 11);
    c->order_count = db_column_int(s, 12);
    c->spend_minor = db_column_int(s, 13);
    c->first_order_at = db_column_int(s, 14);
    c->last_order_at = db_column_int(s, 15);
    c->last_activity_at = db_column_int(s, 16);
    c->points_available = db_column_int(s, 17);
    c->points_pending = db_column_int(s, 18);
    c->points_lifetime = db_column_int(s, 19);
    c->cashback_minor = db_column_int(s, 20);
    COPY_TEXT(tier, 21);
    c->tier_since = db_column_int(s, 22);
    c->tier_review_at = db_column_int(s, 23);
    COPY_TEXT(vip_plan, 24);
    c->vip_until = db_column_int(s, 25);
    c->next_due_at = db_column_int(s, 26);
    c->next_due_at_stored = c->next_due_at;
    c->created_at = db_column_int(s, 27);
    c->vip_started_at = db_column_int(s, 28);
    c->vip_months = db_column_int(s, 29);
    c->last_ledger_id = db_column_int(s, 30);
    c->last_lot_id = db_column_int(s, 31);
    c->open_lots_from = db_column_int(s, 32);
    c->rowid = db_column_int(s, ROWID_COLUMN);
    size_t size = 0;
    const void *periods = db_column_blob(s, ORDER_PERIODS_COLUMN, &size);
    return order_periods_decode(periods, size, &c->order_periods);
}

/* How a look-up names the customer it did not find: "..." is text, #n an id. The name is made
 * only when a message needs it, not for every look-up. */
struct wanted {
    enum { BY_REF, BY_ID, MATCHING } by;
    const char *text; /* the ref, or the text matched */
    int64_t id;
};

static void describe(const struct wanted *w, char *out, size_t size)
{
    if (w->by == BY_ID)
        snprintf(out, size, "#%lld", (long long)w->id);
    else
        snprintf(out, size, w->by == MATCHING ? "matching \"%.100s\"" : "\"%.100s\"", w->text);
}

/* Reads the one customer s finds; inside a transaction the store holds its stamps too. */
static enum fid_status read_one(struct store *store, struct db_stmt *s, struct customer *out,
                                const struct wanted *wanted, struct fid_error *err)
{
    enum fid_status st = store->writing ? store_flush_stamps(store, err) : FID_OK;
    if (st != FID_OK) {
        db_done(s);
        return st;
    }
    enum db_step rc = db_step(s);
    bool readable = true;
    if (rc == DB_ROW) {
        readable = read_row(s, out);
        if (store->writing || store->reading)
            store_hold_stamps(store, out->id, db_column_text(s, STAMPS_COLUMN));
    }
    db_done(s);
    if (rc == DB_ROW && readable)
        customer_overlay(store, out);
    if (rc == DB_ROW && readable)
        return FID_OK;
    char what[EVENT_REF_MAX + 16];
    describe(wanted, what, sizeof what);
    if (rc == DB_ROW)
        return fid_fail(err, FID_ERR_DB, "",
                        "customer %.100s: the summary of its orders is unreadable", what);
    if (rc == DB_DONE)
        return fid_fail(err, FID_ERR_NOT_FOUND, "customer", "no customer %.100s", what);
    return fid_fail(err, FID_ERR_DB, "", "reading customer failed");
}

/* The owner of a journal reads a customer it holds an image of from the image alone (profile
 * and state), without its row; false when it holds none (or one without stamp balances, which
 * are then the row's). */
static bool held_image(struct store *store, int64_t id, struct customer *out)
{
    char *stamps = NULL;
    struct customer c;
    if (store->journal == NULL || !store->writing || id == 0 ||
        !customer_journal_decoded(store->journal, store->merchant_id, id, &c, &stamps))
        return false;
    struct fid_error err;
    bool held = stamps != NULL && store_flush_stamps(store, &err) == FID_OK;
    if (held) { /* a failed flush: the row's read reports it */
        store_hold_stamps(store, id, stamps);
        *out = c;
    }
    free(stamps);
    return held;
}

enum fid_status customer_find_ref(struct store *store, const char *ref, struct customer *out,
                                  struct fid_error *err)
{
    if (store->journal != NULL &&
        held_image(store, customer_journal_id_of(store->journal, store->merchant_id, ref), out))
        return FID_OK;
    struct db_stmt *s = db_prepare(store->db, "SELECT " CUSTOMER_COLUMNS
                                              " FROM customers WHERE merchant_id = ? AND ref = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, ref);
    return read_one(store, s, out, &(struct wanted){.by = BY_REF, .text = ref}, err);
}

enum fid_status customer_find_id(struct store *store, int64_t id, struct customer *out,
                                 struct fid_error *err)
{
    if (held_image(store, id, out))
        return FID_OK;
    struct db_stmt *s = db_prepare(store->db, "SELECT " CUSTOMER_COLUMNS
                                              " FROM customers WHERE merchant_id = ? AND id = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, id);
    return read_one(store, s, out, &(struct wanted){.by = BY_ID, .id = id}, err);
}

/* Visits each customer s reads, through the journal's images; what names the query in errors. */
static enum fid_status visit_rows(struct store *store, struct db_stmt *s, customer_visit visit,
                                  void *context, const char *what, struct fid_error *err)
{
    struct customer c;
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        (void)read_row(s, &c); /* unreadable periods count as none here; verify names them */
        customer_overlay(store, &c);
        if (visit(&c, context) != 0)
            break;
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "%s customers failed", what) : FID_OK;
}

/* The exact matches of a typed query: its ref, card code, phone or e-mail, as ?2, ?3, ?4, ?5.
 * Each through its own index: as one OR, SQLite read every customer of the merchant. */
#define EXACT_MATCH                                                                                \
    "merchant_id = ?1 AND id IN (SELECT id FROM customers WHERE merchant_id = ?1 AND ref = ?2 "    \
    "UNION ALL SELECT id FROM customers INDEXED BY customers_card WHERE merchant_id = ?1 AND "     \
    "card_code = ?3 UNION ALL SELECT id FROM customers INDEXED BY customers_email WHERE "          \
    "merchant_id = ?1 AND email = ?5 UNION ALL SELECT id FROM customers INDEXED BY "               \
    "customers_phone WHERE merchant_id = ?1 AND phone = ?4)"

static void bind_query(struct db_stmt *s, const struct store *store, const char *query,
                       char code[FID_CODE_MAX])
{
    char phone[FID_PHONE_MAX], email[EVENT_TEXT_MAX];
    if (fid_code_normalise(query, code) != 0)
        code[0] = '\0';
    /* as typed: "+33 6 12 34 56 78", or "06 12 34 56 78" in the merchant's country */
    fid_phone_normalise(query, store->phone_region, phone);
    fid_email_fold(query, email, sizeof email);
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, query);
    db_bind_text(s, 3, code);
    db_bind_text(s, 4, phone);
    db_bind_text(s, 5, email);
}

enum fid_status customer_find_any(struct store *store, const char *query, struct customer *out,
                                  struct fid_error *err)
{
    char code[FID_CODE_MAX];
    struct db_stmt *s =
        db_prepare(store->db, "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE " EXACT_MATCH
                              " ORDER BY (ref = ?2) DESC, (card_code = ?3) DESC, "
                              "id LIMIT 1");
    bind_query(s, store, query, code);
    enum fid_status st =
        read_one(store, s, out, &(struct wanted){.by = MATCHING, .text = query}, err);
    if (st != FID_OK || strcmp(out->ref, query) == 0 ||
        (code[0] && strcmp(out->card_code, code) == 0))
        return st;
    /* found by e-mail or phone, which two customers may share: one of them is not a guess */
    int64_t sharing = 0;
    s = db_prepare(store->db, "SELECT COUNT(*) FROM customers WHERE " EXACT_MATCH);
    bind_query(s, store, query, code);
    if ((st = db_run_int(s, 0, &sharing, err)) != FID_OK)
        return st;
    if (sharing > 1)
        return fid_fail(err, FID_ERR_INPUT, "customer",
                        "%lld customers have the e-mail or phone \"%.100s\": name one by its id or "
                        "card code",
                        (long long)sharing, query);
    return FID_OK;
}

enum fid_status customer_find_by(struct store *store, enum customer_field field, const char *value,
                                 customer_visit visit, void *context, struct fid_error *err)
{
    static const char *const sql[] = {
        [CUSTOMER_REF] = "SELECT " CUSTOMER_COLUMNS
                         " FROM customers WHERE merchant_id = ? AND ref = ? ORDER BY id",
        [CUSTOMER_CARD_CODE] =
            "SELECT " CUSTOMER_COLUMNS
            " FROM customers WHERE merchant_id = ? AND card_code = ? ORDER BY id",
        [CUSTOMER_EMAIL] = "SELECT " CUSTOMER_COLUMNS " FROM customers INDEXED BY customers_email "
                           "WHERE merchant_id = ? AND email = ? ORDER BY id",
        [CUSTOMER_PHONE] = "SELECT " CUSTOMER_COLUMNS " FROM customers INDEXED BY customers_phone "
                           "WHERE merchant_id = ? AND phone = ? ORDER BY id",
    };
    /* The indexes are named: with no statistics SQLite read every customer of the merchant in id
     * order (its key) rather than sort the few an e-mail finds (tests/integration/plans.sh). */
    /* card codes, phones and e-mails are stored in their canonical form: the value is compared
     * in it */
    char code[FID_CODE_MAX], phone[FID_PHONE_MAX], email[EVENT_TEXT_MAX];
    fid_email_fold(value, email, sizeof email);
    if (field == CUSTOMER_CARD_CODE && fid_code_normalise(value, code) != 0)
        return FID_OK;
    if (field == CUSTOMER_PHONE && fid_phone_normalise(value, store->phone_region, phone) != 0)
        return FID_OK;
    struct db_stmt *s = db_prepare(store->db, sql[field]);
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2,
                 field == CUSTOMER_CARD_CODE ? code
                 : field == CUSTOMER_PHONE   ? phone
                 : field == CUSTOMER_EMAIL   ? email
                                             : value);
    return visit_rows(store, s, visit, context, "finding", err);
}

/* The two groups of writable columns, in the order of PROFILE_COLUMNS and STATE_COLUMNS. */
#define PROFILE_COLUMNS                                                                            \
    "is_member, enrolled_at, card_code, email, phone, name, birthday, locale, consents, "          \
    "consents_at"
#define STATE_COLUMNS                                                                              \
    "order_count, spend_minor, first_order_at, last_order_at, last_activity_at, "                  \
    "points_available, points_pending, points_lifetime, cashback_minor, tier, tier_since, "        \
    "tier_review_at, vip_plan, vip_until, vip_started_at, vip_months, last_ledger_id, "            \
    "last_lot_id, open_lots_from"

static const char *or_null(const char *text)
{
    return text[0] ? text : NULL;
}

static void bind_profile(struct db_stmt *s, const struct customer *c, int *i)
{
    db_bind_int(s, (*i)++, c->is_member);
    db_bind_opt_int(s, (*i)++, c->enrolled_at);
    db_bind_text(s, (*i)++, or_null(c->card_code));
    db_bind_text(s, (*i)++, or_null(c->email));
    db_bind_text(s, (*i)++, or_null(c->phone));
    db_bind_text(s, (*i)++, or_null(c->name));
    db_bind_text(s, (*i)++, or_null(c->birthday));
    db_bind_text(s, (*i)++, or_null(c->locale));
    db_bind_int(s, (*i)++, c->consents);
    db_bind_opt_int(s, (*i)++, c->consents_at);
}

static void bind_state(struct db_stmt *s, const struct customer *c, int *i)
{
    db_bind_int(s, (*i)++, c->order_count);
    db_bind_int(s, (*i)++, c->spend_minor);
    db_bind_opt_int(s, (*i)++, c->first_order_at);
    db_bind_opt_int(s, (*i)++, c->last_order_at);
    db_bind_opt_int(s, (*i)++, c->last_activity_at);
    db_bind_int(s, (*i)++, c->points_available);
    db_bind_int(s, (*i)++, c->points_pending);
    db_bind_int(s, (*i)++, c->points_lifetime);
    db_bind_int(s, (*i)++, c->cashback_minor);
    db_bind_text(s, (*i)++, c->tier);
    db_bind_opt_int(s, (*i)++, c->tier_since);
    db_bind_opt_int(s, (*i)++, c->tier_review_at);
    db_bind_text(s, (*i)++, c->vip_plan);
    db_bind_opt_int(s, (*i)++, c->vip_until);
    db_bind_opt_int(s, (*i)++, c->vip_started_at);
    db_bind_int(s, (*i)++, c->vip_months);
    db_bind_opt_int(s, (*i)++, c->last_ledger_id);
    db_bind_opt_int(s, (*i)++, c->last_lot_id);
    db_bind_opt_int(s, (*i)++, c->open_lots_from);
}

enum fid_status customer_insert(struct store *store, struct customer *c, struct fid_error *err)
{
    enum fid_status st = store_next_id(store, TABLE_CUSTOMERS, &c->id, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *s = db_prepare(
        store->db,
        "INSERT INTO customers (" PROFILE_COLUMNS ", " STATE_COLUMNS
        ", next_due_at, merchant_id, id, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    int i = 1;
    bind_profile(s, c, &i);
    bind_state(s, c, &i);
    db_bind_opt_int(s, i++, c->next_due_at);
    db_bind_int(s, i++, store->merchant_id);
    db_bind_int(s, i++, c->id);
    db_bind_text(s, i++, c->ref);
    db_bind_int(s, i++, c->created_at);
    if ((st = db_run(s, err)) == FID_OK)
        c->next_due_at_stored = c->next_due_at;
    return st;
}

#define SAVE_STATE                                                                                 \
    "UPDATE customers SET (" STATE_COLUMNS                                                         \
    ", stamps, order_periods) = (?, ?, ?, ?, ?, ?, ?, ?, ?, "                                      \
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, stamps), ?) WHERE merchant_id = ? AND id = ?"

/* Writes the state through the row's rowid when c was read with it (by_rowid): the key
 * (merchant_id, id) is then only checked on the row found, not looked up in its index (a random
 * page of an index the size of the table, per purchase). A rowid that no longer names the row (a
 * VACUUM may renumber them) changes nothing, and the caller writes through the key. */
static enum fid_status save_state(struct db *db, int64_t merchant_id, const struct customer *c,
                                  bool by_rowid, const char *stamps, struct fid_error *err)
{
    struct db_stmt *s =
        by_rowid ? db_prepare(db, SAVE_STATE " AND rowid = ?") : db_prepare(db, SAVE_STATE);
    int i = 1;
    bind_state(s, c, &i);
    db_bind_text(s, i++, stamps);
    unsigned char periods[ORDER_PERIODS_BLOB_MAX];
    size_t periods_size = order_periods_encode(&c->order_periods, periods);
    if (periods_size > 0)
        db_bind_blob(s, i++, periods, periods_size);
    else
        db_bind_null(s, i++);
    db_bind_int(s, i++, merchant_id);
    db_bind_int(s, i++, c->id);
    if (by_rowid)
        db_bind_int(s, i++, c->rowid);
    return db_run(s, err);
}

enum fid_status customer_write_state(struct db *db, int64_t merchant_id, const struct customer *c,
                                     const char *stamps, struct fid_error *err)
{
    enum fid_status st = save_state(db, merchant_id, c, false, stamps, err);
    if (st != FID_OK)
        return st;
    /* "IS NOT": an unchanged time leaves customers_due alone */
    struct db_stmt *s = db_prepare(db, "UPDATE customers SET next_due_at = ?1 WHERE merchant_id = "
                                       "?2 AND id = ?3 AND next_due_at IS NOT ?1");
    db_bind_opt_int(s, 1, c->next_due_at);
    db_bind_int(s, 2, merchant_id);
    db_bind_int(s, 3, c->id);
    return db_run(s, err);
}

/* The text of the stamp balances an image of customer_id carries: those the store holds for it,
 * else its newest image's, else none (the row's stand). */
static char *image_stamps(struct store *store, int64_t customer_id)
{
    if (store->stamps_of == customer_id) {
        if (store->stamps_changed || store->stamps_parsed)
            return stamp_balances_text(&store->stamps);
        if (store->stamps_text != NULL)
            return xstrdup(store->stamps_text);
    }
    struct customer old;
    char *stamps = NULL;
    return customer_journal_decoded(store->journal, store->merchant_id, customer_id, &old, &stamps)
               ? stamps
               : NULL;
}

/* Puts c (with the stamps' text, NULL: the row's) into the owner's journal. */
static enum fid_status put_image(struct store *store, const struct customer *c, const char *stamps,
                                 struct fid_error *err)
{
    unsigned char image[CUSTOMER_IMAGE_MAX];
    size_t size = customer_image_encode(store->merchant_id, c, stamps, image, sizeof image);
    if (size == 0)
        return fid_fail(err, FID_ERR_DB, "", "customer #%lld: its state is too large to journal",
                        (long long)c->id);
    customer_journal_put(store->journal, store->merchant_id, c->id, image, size);
    return FID_OK;
}

/* A journal's owner keeps the state as an image instead of writing the row. */
static enum fid_status journal_state(struct store *store, struct customer *c, struct fid_error *err)
{
    char *stamps = image_stamps(store, c->id);
    enum fid_status st = put_image(store, c, stamps, err);
    free(stamps);
    if (st == FID_OK && store->stamps_of == c->id)
        store->stamps_changed = false;
    if (st == FID_OK)
        c->next_due_at_stored = c->next_due_at;
    return st;
}

/* Copies into out the image of customer_id newer than its row, if any: in a write transaction
 * the store's own journal's, outside one the overlay's unless the snapshot's row already holds
 * it (the image is older than the snapshot's folds). */
static size_t newer_image(struct store *store, int64_t customer_id, unsigned char *out)
{
    size_t size = 0;
    if (store->journal != NULL && store->writing) {
        const unsigned char *image =
            customer_journal_get(store->journal, store->merchant_id, customer_id, &size);
        if (image != NULL)
            memcpy(out, image, size);
        return image ? size : 0;
    }
    if (store->overlay == NULL || store->writing)
        return 0;
    int64_t gen = 0;
    size = customer_journal_find(store->overlay, store->merchant_id, customer_id, out, &gen);
    if (size == 0)
        return 0;
    struct fid_error err; /* folds unreadable: the row */
    int64_t folds = store->reading ? store->snapshot_folds : -1;
    if (folds < 0 && customer_journal_read_folds(store->db, &folds, &err) != FID_OK)
        return 0;
    if (store->reading)
        store->snapshot_folds = folds;
    return gen >= folds ? size : 0;
}

void customer_overlay(struct store *store, struct customer *c)
{
    unsigned char image[CUSTOMER_IMAGE_MAX];
    size_t size = newer_image(store, c->id, image);
    if (size > 0)
        customer_apply_image(store, c, image, size);
}

char *customer_image_stamps(struct store *store, int64_t customer_id, bool *imaged)
{
    unsigned char image[CUSTOMER_IMAGE_MAX];
    size_t size = newer_image(store, customer_id, image);
    struct customer c;
    int64_t merchant_id = 0;
    const char *stamps = NULL;
    size_t stamps_size = 0;
    *imaged =
        size > 0 && customer_image_decode(image, size, &merchant_id, &c, &stamps, &stamps_size);
    return *imaged && stamps ? xstrndup(stamps, stamps_size) : NULL;
}

void customer_apply_image(struct store *store, struct customer *c, const unsigned char *image,
                          size_t size)
{
    struct customer state = *c;
    int64_t merchant_id = 0;
    const char *stamps = NULL;
    size_t stamps_size = 0;
    if (!customer_image_decode(image, size, &merchant_id, &state, &stamps, &stamps_size) ||
        merchant_id != store->merchant_id || state.id != c->id)
        return; /* not this customer's: the row stands */
    *c = state;
    if (stamps != NULL && (store->writing || store->reading)) {
        char *text = xstrndup(stamps, stamps_size);
        store_forget_stamps(store); /* what was held came from the row */
        store_hold_stamps(store, c->id, text);
        free(text);
    }
}

/* next_due_at is written apart, and only when it moved: SQLite rewrites the entry of every index
 * over an assigned column, and customers_due is ordered by time, so a purchase would otherwise
 * touch it at a random place whether or not anything became due sooner. */
enum fid_status customer_save(struct store *store, struct customer *c, struct fid_error *err)
{
    if (store->journal != NULL)
        return journal_state(store, c, err);
    char *stamps = store_changed_stamps(store, c->id); /* NULL: the row's stay */
    bool by_rowid = c->rowid > 0;
    enum fid_status st = save_state(store->db, store->merchant_id, c, by_rowid, stamps, err);
    if (st == FID_OK && by_rowid && db_changes(store->db) == 0) {
        c->rowid = 0;
        st = save_state(store->db, store->merchant_id, c, false, stamps, err);
    }
    if (st == FID_OK && stamps != NULL)
        store->stamps_changed = false;
    free(stamps);
    if (st != FID_OK || c->next_due_at == c->next_due_at_stored)
        return st;
    struct db_stmt *s = db_prepare(
        store->db, "UPDATE customers SET next_due_at = ? WHERE merchant_id = ? AND id = ?");
    db_bind_opt_int(s, 1, c->next_due_at);
    db_bind_int(s, 2, store->merchant_id);
    db_bind_int(s, 3, c->id);
    if ((st = db_run(s, err)) == FID_OK)
        c->next_due_at_stored = c->next_due_at;
    return st;
}

enum fid_status customer_insert_shopper(struct store *store, const struct customer_orders *o,
                                        const char *ref, const char *email, const char *phone,
                                        int64_t created_at, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "INSERT INTO customers (merchant_id, id, ref, "
                              "order_count, spend_minor, first_order_at, "
                              "last_order_at, created_at, email, phone) VALUES (?, ?, ?, ?, ?, ?, "
                              "?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, o->id);
    db_bind_text(s, 3, ref);
    db_bind_int(s, 4, o->order_count);
    db_bind_int(s, 5, o->spend_minor);
    db_bind_opt_int(s, 6, o->first_order_at);
    db_bind_opt_int(s, 7, o->last_order_at);
    db_bind_int(s, 8, created_at);
    db_bind_text(s, 9, email);
    db_bind_text(s, 10, phone);
    return db_run(s, err);
}

enum fid_status customer_keep_contact(struct store *store, const char *ref, const char *email,
                                      const char *phone, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "UPDATE customers SET email = COALESCE(email, ?1), phone = "
                              "COALESCE(phone, ?2) WHERE merchant_id = ?3 AND ref = ?4 AND "
                              "((email IS NULL AND ?1 IS NOT NULL) OR (phone IS NULL AND ?2 IS "
                              "NOT NULL))");
    db_bind_text(s, 1, email);
    db_bind_text(s, 2, phone);
    db_bind_int(s, 3, store->merchant_id);
    db_bind_text(s, 4, ref);
    return db_run(s, err);
}

enum fid_status customer_add_orders(struct store *store, const struct customer_orders *o,
                                    struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        store->db, "UPDATE customers SET order_count = order_count + ?1, spend_minor = spend_minor "
                   "+ ?2, first_order_at = CASE WHEN first_order_at IS NULL OR first_order_at > ?3 "
                   "THEN ?3 ELSE first_order_at END, last_order_at = CASE WHEN last_order_at IS "
                   "NULL OR last_order_at < ?4 THEN ?4 ELSE last_order_at END WHERE merchant_id = "
                   "?5 AND id = ?6");
    db_bind_int(s, 1, o->order_count);
    db_bind_int(s, 2, o->spend_minor);
    db_bind_int(s, 3, o->first_order_at);
    db_bind_int(s, 4, o->last_order_at);
    db_bind_int(s, 5, store->merchant_id);
    db_bind_int(s, 6, o->id);
    return db_run(s, err);
}

/* Puts the profile of c into the owner's newest image of the customer, if it holds one. */
static enum fid_status journal_profile(struct store *store, const struct customer *c,
                                       struct fid_error *err)
{
    struct customer held;
    char *text = NULL;
    if (!customer_journal_decoded(store->journal, store->merchant_id, c->id, &held, &text))
        return FID_OK;
    held.is_member = c->is_member;
    held.enrolled_at = c->enrolled_at;
    held.consents = c->consents;
    held.consents_at = c->consents_at;
    memcpy(held.card_code, c->card_code, sizeof held.card_code);
    memcpy(held.email, c->email, sizeof held.email);
    memcpy(held.phone, c->phone, sizeof held.phone);
    memcpy(held.name, c->name, sizeof held.name);
    memcpy(held.birthday, c->birthday, sizeof held.birthday);
    memcpy(held.locale, c->locale, sizeof held.locale);
    enum fid_status st = put_image(store, &held, text, err);
    free(text);
    return st;
}

enum fid_status customer_save_profile(struct store *store, const struct customer *c,
                                      struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "UPDATE customers SET (" PROFILE_COLUMNS
                                              ") = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE "
                                              "merchant_id = ? AND id = ?");
    int i = 1;
    bind_profile(s, c, &i);
    db_bind_int(s, i++, store->merchant_id);
    db_bind_int(s, i++, c->id);
    enum fid_status st = db_run(s, err);
    /* the owner's image holds the profile too (held_image reads it instead of the row) */
    return st == FID_OK && store->journal != NULL ? journal_profile(store, c, err) : st;
}

enum fid_status customer_list(struct store *store, const char *after, int64_t limit,
                              bool members_only, customer_visit visit, void *context,
                              struct fid_error *err)
{
    struct db_stmt *s = db_prepare(store->db, "SELECT " CUSTOMER_COLUMNS
                                              " FROM customers WHERE merchant_id = ? AND ref > ? "
                                              "AND (? = 0 OR is_member = 1) ORDER BY ref LIMIT ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, after ? after : "");
    db_bind_int(s, 3, members_only);
    db_bind_int(s, 4, limit);
    return visit_rows(store, s, visit, context, "listing", err);
}

enum fid_status customer_due(struct store *store, int64_t t, int64_t limit, int64_t **ids,
                             size_t *n, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "SELECT id FROM customers WHERE merchant_id = ? AND "
                              "next_due_at IS NOT NULL AND next_due_at <= ? ORDER BY id "
                              "LIMIT ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, t);
    db_bind_int(s, 3, limit);
    return db_run_ints(s, ids, n, err);
}

enum fid_status customer_search(struct store *store, const char *query, int64_t limit,
                                customer_visit visit, void *context, struct fid_error *err)
{
    char code[FID_CODE_MAX] = "";
    struct db_stmt *s = db_prepare(
        store->db,
        "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE merchant_id = ?1 AND (ref = ?2 OR "
        "card_code = ?3 OR email = ?5 OR phone = ?4 OR instr(fold(name), fold(?2)) > 0 "
        "OR instr(email, ?5) > 0 OR instr(ref, ?2) > 0) ORDER BY (ref = ?2) DESC, "
        "(card_code = ?3) DESC, ref LIMIT ?6");
    bind_query(s, store, query, code);
    db_bind_int(s, 6, limit);
    return visit_rows(store, s, visit, context, "searching", err);
}
