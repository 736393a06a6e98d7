/*
 * Merchants and the versioned programme documents.
 */
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum fid_status merchant_insert(struct db *db, struct merchant *m, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(db, "INSERT INTO merchants (name, currency, timezone, locale, created_at) "
                       "VALUES (?, ?, ?, ?, ?) RETURNING id");
    db_bind_text(s, 1, m->name);
    db_bind_text(s, 2, m->currency);
    db_bind_text(s, 3, m->timezone);
    db_bind_text(s, 4, m->locale);
    db_bind_int(s, 5, m->created_at);
    return db_run_int(s, 0, &m->id, err);
}

static enum fid_status read_merchant(struct db_stmt *s, struct merchant *out, struct fid_error *err)
{
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        out->id = db_column_int(s, 0);
        db_column_copy(s, 1, out->name, sizeof out->name);
        db_column_copy(s, 2, out->currency, sizeof out->currency);
        db_column_copy(s, 3, out->timezone, sizeof out->timezone);
        db_column_copy(s, 4, out->locale, sizeof out->locale);
        out->created_at = db_column_int(s, 5);
    }
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return fid_fail(err, FID_ERR_NOT_FOUND, "--db",
                        "no merchant in this database: run `fidele init` first");
    return fid_fail(err, FID_ERR_DB, "", "reading merchant failed");
}

enum fid_status merchant_get(struct db *db, int64_t id, struct merchant *out, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(
        db, "SELECT id, name, currency, timezone, locale, created_at FROM merchants WHERE id = ?");
    db_bind_int(s, 1, id);
    enum fid_status st = read_merchant(s, out, err);
    if (st == FID_ERR_NOT_FOUND)
        return fid_fail(err, FID_ERR_NOT_FOUND, "--merchant", "no merchant %lld in this database",
                        (long long)id);
    return st;
}

enum fid_status merchant_default(struct db *db, struct merchant *out, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(db, "SELECT id, name, currency, timezone, locale, created_at "
                                       "FROM merchants ORDER BY id LIMIT 1");
    return read_merchant(s, out, err);
}

enum fid_status merchant_ids(struct db *db, int64_t **ids, size_t *n, struct fid_error *err)
{
    return db_run_ints(db_prepare(db, "SELECT id FROM merchants ORDER BY id"), ids, n, err);
}

enum fid_status program_store_save(struct store *store, const char *document, int64_t at,
                                   int64_t *version, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(store->db, "INSERT INTO programs (merchant_id, version, document, created_at) "
                              "SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3 FROM programs "
                              "WHERE merchant_id = ?1 RETURNING version");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_text(s, 2, document);
    db_bind_int(s, 3, at);
    return db_run_int(s, 0, version, err);
}

enum fid_status program_store_load(struct store *store, int64_t version, char **text,
                                   int64_t *loaded_version, struct fid_error *err)
{
    *text = NULL;
    struct db_stmt *s =
        db_prepare(store->db, "SELECT version, document FROM programs WHERE merchant_id = ? "
                              "AND (? = 0 OR version = ?) ORDER BY version DESC LIMIT 1");
    db_bind_int(s, 1, store->merchant_id);
    db_bind_int(s, 2, version);
    db_bind_int(s, 3, version);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        *loaded_version = db_column_int(s, 0);
        *text = xstrdup(db_column_text(s, 1));
    }
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return version ? fid_fail(err, FID_ERR_NOT_FOUND, "--version", "no programme version %lld",
                                  (long long)version)
                       : fid_fail(err, FID_ERR_NOT_FOUND, "", "no programme yet");
    return fid_fail(err, FID_ERR_DB, "", "reading programme failed");
}

static bool same_rule(const json_t *a, const json_t *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && json_equal(a, b));
}

enum fid_status program_store_expiry_history(struct store *store, int64_t *since, bool *by_lot,
                                             struct fid_error *err)
{
    *since = 0;
    *by_lot = false;
    struct db_stmt *s = db_prepare(store->db, "SELECT document, created_at FROM programs WHERE "
                                              "merchant_id = ? ORDER BY version DESC");
    db_bind_int(s, 1, store->merchant_id);
    json_t *current = NULL;
    bool first = true, broken = false;
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        json_error_t jerr;
        json_t *doc = json_loads(db_column_text(s, 0), 0, &jerr);
        json_t *rule = json_incref(json_object_get(doc, "expiry"));
        json_decref(doc);
        const char *mode = json_string_value(json_object_get(rule, "mode"));
        *by_lot = *by_lot || (mode != NULL && strcmp(mode, "per_lot") == 0);
        broken = broken || (!first && !same_rule(rule, current));
        if (!broken)
            *since = db_column_int(s, 1);
        if (first)
            current = json_incref(rule);
        first = false;
        json_decref(rule);
    }
    db_done(s);
    json_decref(current);
    if (!broken) /* as the first version had it: in force since always */
        *since = 0;
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "reading programme versions failed")
                           : FID_OK;
}
