/*
 * API keys already verified on this thread, so that a request with a known key pays a digest
 * and a compare instead of a database read. Nothing here decides alone that a key is valid: an
 * entry says which merchant a key was verified for, and when (the data version of that
 * merchant's engine connection, and the process's key generation). The caller checks the key
 * again inside its request's snapshot whenever either moved, so a key revoked by this process or
 * by another one (the CLI) is refused from the first request that sees the revocation committed.
 * Unknown and revoked keys are never kept. A cache belongs to one thread; only the generation is
 * shared.
 */
#ifndef FIDELE_HTTP_KEY_CACHE_H
#define FIDELE_HTTP_KEY_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/key_store.h"
#include "util/codes.h"

#define KEY_CACHE_SLOTS 256 /* power of two; a collision only costs a database read */

struct key_cache;

struct key_cache_entry {
    struct api_key key;
    char digest[FID_DIGEST_HEX]; /* of the secret, as stored */
    uint64_t generation;         /* key_cache_generation() when last checked */
    uint64_t data_version;       /* of the merchant's engine connection when last checked */
    bool checked;                /* false until checked on the engine connection */
};

struct key_cache *key_cache_new(void);
void key_cache_free(struct key_cache *cache);

/* The entry of key id with a secret of this digest (compared in constant time), or NULL. */
struct key_cache_entry *key_cache_find(struct key_cache *cache, const char *id,
                                       const char digest[FID_DIGEST_HEX]);

/* Keeps a key just verified against the database (replacing whatever shared its slot), not yet
 * checked on its engine connection. The entry is owned by the cache. */
struct key_cache_entry *key_cache_put(struct key_cache *cache, const struct api_key *key,
                                      const char digest[FID_DIGEST_HEX]);

/* Forgets an entry (its key failed a check). */
void key_cache_drop(struct key_cache_entry *entry);

/* True when the entry was checked at this data version and no key was revoked in this process
 * since generation was read. */
bool key_cache_current(const struct key_cache_entry *entry, uint64_t data_version,
                       uint64_t generation);

/* Records a successful check at data_version; generation was read before the snapshot began. */
void key_cache_checked(struct key_cache_entry *entry, uint64_t data_version, uint64_t generation);

/* The process's key generation; read it before opening the snapshot the check runs in. */
uint64_t key_cache_generation(void);

/* Called after this process revoked a key: every thread checks its entries again. */
void key_cache_invalidate_all(void);

#endif
