/*
 * API key storage and authentication. Nothing here reveals whether a key id exists: every failed
 * authentication is the same FID_ERR_NOT_FOUND.
 */
#include "store/key_store.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"

const char *api_scope_name(enum api_scope scope)
{
    static const char *const names[] = {"read", "pos", "admin"};
    return names[scope];
}

int api_scope_parse(const char *text)
{
    for (int s = SCOPE_READ; s <= SCOPE_ADMIN; s++)
        if (strcmp(api_scope_name((enum api_scope)s), text) == 0)
            return s;
    return -1;
}

bool api_scope_allows(enum api_scope have, enum api_scope need)
{
    return have >= need;
}

enum fid_status api_key_label_check(const char *label, const char *field, struct fid_error *err)
{
    size_t len = strlen(label);
    if (len >= API_KEY_LABEL_MAX)
        return fid_fail(err, FID_ERR_INPUT, field, "a label is at most %d bytes",
                        API_KEY_LABEL_MAX - 1);
    if (!fid_text_utf8(label, len))
        return fid_fail(err, FID_ERR_INPUT, field, "a label is UTF-8 text");
    int control = fid_text_control(label);
    if (control >= 0)
        return fid_fail(err, FID_ERR_INPUT, field, "control character U+%04X in the label",
                        control);
    return FID_OK;
}

/* A run of base-32 symbols without the dashes of fid_code_new. */
static void random_symbols(struct fid_rng *rng, char *out, size_t n)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    unsigned char raw[64];
    fid_rng_bytes(rng, raw, n);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] & 31];
    out[n] = '\0';
}

enum fid_status api_key_create(struct db *db, struct fid_rng *rng, int64_t merchant_id,
                               enum api_scope scope, const char *label, const char *idempotency_key,
                               int64_t now, struct api_key *out, char text[API_KEY_TEXT_MAX],
                               struct fid_error *err)
{
    char secret[API_KEY_SECRET_LEN + 1], digest[FID_DIGEST_HEX];
    memset(out, 0, sizeof *out);
    random_symbols(rng, out->id, API_KEY_ID_LEN);
    random_symbols(rng, secret, API_KEY_SECRET_LEN);
    fid_digest_hex(secret, strlen(secret), digest);
    out->merchant_id = merchant_id;
    out->scope = scope;
    out->created_at = now;
    snprintf(out->label, sizeof out->label, "%s", label ? label : "");
    struct db_stmt *s =
        db_prepare(db, "INSERT INTO api_keys (id, merchant_id, scope, secret_hash, label, "
                       "created_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)");
    db_bind_text(s, 1, out->id);
    db_bind_int(s, 2, merchant_id);
    db_bind_text(s, 3, api_scope_name(scope));
    db_bind_text(s, 4, digest);
    db_bind_text(s, 5, out->label);
    db_bind_int(s, 6, now);
    db_bind_text(s, 7, idempotency_key);
    enum fid_status st = db_run(s, err);
    if (st == FID_ERR_CONFLICT)
        return fid_fail(err, FID_ERR_CONFLICT, "Idempotency-Key",
                        "a key was already created under this Idempotency-Key; its secret was "
                        "shown once and no second key is made");
    if (st == FID_OK)
        snprintf(text, API_KEY_TEXT_MAX, "fk_%s_%s", out->id, secret);
    return st;
}

static void read_key(struct db_stmt *s, struct api_key *k)
{
    memset(k, 0, sizeof *k);
    db_column_copy(s, 0, k->id, sizeof k->id);
    k->merchant_id = db_column_int(s, 1);
    int scope = api_scope_parse(db_column_text(s, 2));
    k->scope = scope < 0 ? SCOPE_READ : (enum api_scope)scope;
    db_column_copy(s, 4, k->label, sizeof k->label);
    k->created_at = db_column_int(s, 5);
    k->revoked_at = db_column_int(s, 6);
}

bool api_key_parse(const char *presented, char id[API_KEY_ID_LEN + 1], char digest[FID_DIGEST_HEX])
{
    size_t len = strlen(presented);
    if (len != API_KEY_TEXT_MAX - 1 || strncmp(presented, "fk_", 3) != 0 ||
        presented[3 + API_KEY_ID_LEN] != '_')
        return false;
    memcpy(id, presented + 3, API_KEY_ID_LEN);
    id[API_KEY_ID_LEN] = '\0';
    const char *secret = presented + 4 + API_KEY_ID_LEN;
    fid_digest_hex(secret, strlen(secret), digest);
    return true;
}

enum fid_status api_key_verify(struct db *db, const char *id, const char *digest,
                               struct api_key *out, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(db, "SELECT id, merchant_id, scope, secret_hash, label, "
                                       "created_at, revoked_at FROM api_keys WHERE id = ?");
    db_bind_text(s, 1, id);
    enum db_step rc = db_step(s);
    bool ok = false;
    if (rc == DB_ROW) {
        read_key(s, out);
        const char *stored = db_column_text(s, 3);
        ok = strlen(stored) == FID_DIGEST_HEX - 1 &&
             fid_secret_compare(stored, digest, FID_DIGEST_HEX - 1) == 0 && out->revoked_at == 0;
    }
    db_done(s);
    if (rc == DB_FAILED)
        return fid_fail(err, FID_ERR_DB, "", "reading API keys failed");
    return ok ? FID_OK : fid_fail(err, FID_ERR_NOT_FOUND, "Authorization", "invalid API key");
}

enum fid_status api_key_authenticate(struct db *db, const char *presented, struct api_key *out,
                                     struct fid_error *err)
{
    char id[API_KEY_ID_LEN + 1], digest[FID_DIGEST_HEX];
    if (!api_key_parse(presented, id, digest))
        return fid_fail(err, FID_ERR_NOT_FOUND, "Authorization", "invalid API key");
    return api_key_verify(db, id, digest, out, err);
}

enum fid_status api_key_revoke(struct db *db, int64_t merchant_id, const char *id, int64_t now,
                               struct fid_error *err)
{
    struct db_stmt *s = db_prepare(db, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) "
                                       "WHERE id = ? AND merchant_id = ?");
    db_bind_int(s, 1, now);
    db_bind_text(s, 2, id);
    db_bind_int(s, 3, merchant_id);
    enum fid_status st = db_run(s, err);
    if (st == FID_OK && db_changes(db) == 0)
        return fid_fail(err, FID_ERR_NOT_FOUND, "/id", "no API key %.20s", id);
    return st;
}

enum fid_status api_key_list(struct db *db, int64_t merchant_id, api_key_visit visit, void *context,
                             struct fid_error *err)
{
    struct db_stmt *s = db_prepare(db, "SELECT id, merchant_id, scope, secret_hash, label, "
                                       "created_at, revoked_at FROM api_keys WHERE merchant_id = ? "
                                       "ORDER BY created_at, id");
    db_bind_int(s, 1, merchant_id);
    struct api_key k;
    enum db_step rc;
    while ((rc = db_step(s)) == DB_ROW) {
        read_key(s, &k);
        if (visit(&k, context) != 0)
            break;
    }
    db_done(s);
    return rc == DB_FAILED ? fid_fail(err, FID_ERR_DB, "", "listing API keys failed") : FID_OK;
}
