/*
 * Idempotency records: one row per applied event key with the digest of its body and the result
 * that was answered, so that a replay answers the same and a different body is a conflict.
 *
 * The open transaction's records are held and inserted many at a time (append_rows.h); a look-up
 * finds them through an index of their keys before asking the table, which then never needs
 * them written first.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/result_shapes.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define EVENT_INSERT                                                                               \
    "INSERT INTO events (merchant_id, key, digest, type, at, applied_at, result) VALUES "
#define EVENT_ROW "(?, ?, ?, ?, ?, ?, ?)"
enum { KEY_COLUMN = 1, DIGEST_COLUMN = 2, RESULT_COLUMN = 6, EVENT_COLUMNS = 7 };

void event_rows_init(struct store *store)
{
    append_rows_init(&store->event_rows, EVENT_COLUMNS, EVENT_INSERT EVENT_ROW,
                     EVENT_INSERT APPEND_ROWS_4(EVENT_ROW), EVENT_INSERT APPEND_ROWS_16(EVENT_ROW));
}

void event_rows_forget(struct store *store)
{
    if (store->event_slots)
        memset(store->event_slots, 0, store->event_slots_capacity * sizeof *store->event_slots);
    store->events_indexed = 0;
}

/* The slot of key: where it is, or the free one where it would go. */
static size_t *slot_of(struct store *store, const char *key, size_t len)
{
    size_t mask = store->event_slots_capacity - 1;
    for (size_t i = (size_t)fid_hash(key, len) & mask;; i = (i + 1) & mask) {
        size_t *slot = &store->event_slots[i];
        if (*slot == 0)
            return slot;
        size_t held_len;
        const char *held = append_rows_text(&store->event_rows, *slot - 1, KEY_COLUMN, &held_len);
        if (held_len == len && strncmp(held, key, len) == 0)
            return slot;
    }
}

/* Indexes the held records not indexed yet, growing the index to keep it at most half full. */
static void index_held(struct store *store)
{
    const struct append_rows *rows = &store->event_rows;
    if (2 * rows->n >= store->event_slots_capacity) {
        size_t capacity = store->event_slots_capacity ? store->event_slots_capacity : 128;
        while (2 * rows->n >= capacity)
            capacity *= 2;
        free(store->event_slots);
        store->event_slots = xcalloc(capacity, sizeof *store->event_slots);
        store->event_slots_capacity = capacity;
        store->events_indexed = 0;
    }
    for (; store->events_indexed < rows->n; store->events_indexed++) {
        size_t len;
        const char *key = append_rows_text(rows, store->events_indexed, KEY_COLUMN, &len);
        *slot_of(store, key, len) = store->events_indexed + 1;
    }
}

enum fid_status event_record_find(struct store *store, const char *key, char digest[FID_DIGEST_HEX],
                                  char **result, struct fid_error *err)
{
    *result = NULL;
    if (store->event_rows.n) {
        index_held(store);
        size_t row = *slot_of(store, key, strlen(key)), len;
        if (row) {
            snprintf(digest, FID_DIGEST_HEX, "%s",
                     append_rows_text(&store->event_rows, row - 1, DIGEST_COLUMN, &len));
            const char *text = append_rows_text(&store->event_rows, row - 1, RESULT_COLUMN, &len);
            return result_shapes_unpack(store, text, len, result, err);
        }
    }
    struct db_stmt *s = db_prepare(store->db, "SELECT digest, result FROM events "
                                              "WHERE merchant_id = ? AND key = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, key);
    enum db_step rc = db_step(s);
    char *stored = NULL;
    if (rc == DB_ROW) {
        snprintf(digest, FID_DIGEST_HEX, "%s", db_column_text(s, 0));
        stored = xstrdup(db_column_text(s, 1));
    }
    db_done(s);
    if (rc == DB_ROW) { /* the statement is done: reading a shape may run another */
        enum fid_status st = result_shapes_unpack(store, stored, strlen(stored), result, err);
        free(stored);
        return st;
    }
    if (rc == DB_DONE)
        return FID_ERR_NOT_FOUND;
    return fid_fail(err, FID_ERR_DB, "", "reading idempotency record failed");
}

enum fid_status event_record_insert(struct store *store, const struct event *ev, int64_t applied_at,
                                    const char *result, size_t result_len, struct fid_error *err)
{
    struct jsonw kept;
    jsonw_init(&kept);
    enum fid_status st = result_shapes_pack(store, result, result_len, &kept, err);
    if (st == FID_OK) {
        struct append_rows *rows = &store->event_rows;
        append_row_begin(rows);
        append_int(rows, store->merchant_id);
        append_text(rows, ev->key);
        append_text(rows, ev->digest);
        append_text(rows, event_type_name(ev->type));
        append_int(rows, ev->at);
        append_int(rows, applied_at);
        append_textn(rows, kept.data, kept.len);
        st = store_row_added(store, rows, err);
    }
    jsonw_free(&kept);
    return st;
}
