/*
 * Idempotency records: one row per applied event key with the digest of its body and the result
 * that was answered, so that a replay answers the same and a different body is a conflict.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/xalloc.h"

enum fid_status event_record_find(struct store *store, const char *key, char digest[FID_DIGEST_HEX],
                                  char **result, struct fid_error *err)
{
    *result = NULL;
    struct db_stmt *s = db_prepare(store->db, "SELECT digest, result FROM events "
                                              "WHERE merchant_id = ? AND key = ?");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, key);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        snprintf(digest, FID_DIGEST_HEX, "%s", db_column_text(s, 0));
        *result = xstrdup(db_column_text(s, 1));
    }
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return FID_ERR_NOT_FOUND;
    return fid_fail(err, FID_ERR_DB, "", "reading idempotency record failed");
}

enum fid_status event_record_insert(struct store *store, const struct event *ev, int64_t applied_at,
                                    const char *result, size_t result_len, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "INSERT INTO events (merchant_id, key, digest, type, at, "
                              "applied_at, result) VALUES (?, ?, ?, ?, ?, ?, ?)");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, ev->key);
    db_bind_text(s, 3, ev->digest);
    db_bind_text(s, 4, event_type_name(ev->type));
    db_bind_int(s, 5, ev->at);
    db_bind_int(s, 6, applied_at);
    db_bind_textn(s, 7, result, result_len);
    return db_run(s, err);
}
