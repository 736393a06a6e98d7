/*
 * API keys: "fk_<id>_<secret>". The id (16 base-32 symbols) is public and indexes the row; the
 * secret (256 bits, base-32) is shown once at creation and stored only as its BLAKE2b digest,
 * compared in constant time. Each key belongs to one merchant and carries one scope.
 */
#ifndef FIDELE_STORE_KEY_STORE_H
#define FIDELE_STORE_KEY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/codes.h"
#include "util/error.h"

#define API_KEY_ID_LEN     16
#define API_KEY_SECRET_LEN 52 /* 256 bits in base 32 */
#define API_KEY_TEXT_MAX   (3 + API_KEY_ID_LEN + 1 + API_KEY_SECRET_LEN + 1)
#define API_KEY_LABEL_MAX  121

enum api_scope { SCOPE_READ, SCOPE_POS, SCOPE_ADMIN };

struct api_key {
    char id[API_KEY_ID_LEN + 1];
    int64_t merchant_id;
    enum api_scope scope;
    char label[API_KEY_LABEL_MAX];
    int64_t created_at;
    int64_t revoked_at; /* 0 = active */
};

const char *api_scope_name(enum api_scope scope);
/* Parses "admin", "pos" or "read"; -1 when unknown. */
int api_scope_parse(const char *text);
/* True when a key of scope `have` may do what needs scope `need` (admin > pos > read). */
bool api_scope_allows(enum api_scope have, enum api_scope need);

/* Checks a key's label before api_key_create: at most API_KEY_LABEL_MAX - 1 bytes of UTF-8
 * without control characters, as `fidele key list` prints a key a line (a newline would forge a
 * row). FID_ERR_INPUT naming field (the API's "/label", the CLI's "--label") otherwise. */
enum fid_status api_key_label_check(const char *label, const char *field,
                                    struct fid_error *err) FID_MUST_USE;

/* Creates a key; *text (API_KEY_TEXT_MAX bytes) receives the whole key, shown once. With an
 * idempotency_key (may be NULL) a second creation under the same key is FID_ERR_CONFLICT: the
 * secret cannot be shown again, and no second key is made. */
enum fid_status api_key_create(struct db *db, struct fid_rng *rng, int64_t merchant_id,
                               enum api_scope scope, const char *label, const char *idempotency_key,
                               int64_t now, struct api_key *out, char text[API_KEY_TEXT_MAX],
                               struct fid_error *err) FID_MUST_USE;

/* Authenticates a presented key: FID_ERR_NOT_FOUND for any malformed, unknown, wrong or revoked
 * key (callers answer 401 without saying which). api_key_parse then api_key_verify. */
enum fid_status api_key_authenticate(struct db *db, const char *presented, struct api_key *out,
                                     struct fid_error *err) FID_MUST_USE;
/* Splits a presented key into its id and the digest of its secret; false when it is not of the
 * form "fk_<id>_<secret>". Reads no database, so callers may look the pair up in a cache. */
bool api_key_parse(const char *presented, char id[API_KEY_ID_LEN + 1], char digest[FID_DIGEST_HEX]);
/* Authenticates a parsed key: FID_ERR_NOT_FOUND when unknown, of another secret or revoked. */
enum fid_status api_key_verify(struct db *db, const char *id, const char *digest,
                               struct api_key *out, struct fid_error *err) FID_MUST_USE;

/* Revokes key id of merchant_id; FID_ERR_NOT_FOUND when it is not that merchant's. */
enum fid_status api_key_revoke(struct db *db, int64_t merchant_id, const char *id, int64_t now,
                               struct fid_error *err) FID_MUST_USE;

typedef int (*api_key_visit)(const struct api_key *key, void *context);
enum fid_status api_key_list(struct db *db, int64_t merchant_id, api_key_visit visit, void *context,
                             struct fid_error *err) FID_MUST_USE;

#endif
