/*
 * Per-thread table of verified keys, direct-mapped by a hash of the key id: no lock, no
 * allocation after creation, and a slot shared by two keys only makes them verified in turn.
 * The generation is the only shared state, an atomic counter that revocations move.
 */
#include "http/key_cache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

struct key_cache {
    struct key_cache_entry slots[KEY_CACHE_SLOTS];
};

static atomic_uint_least64_t generation;

struct key_cache *key_cache_new(void)
{
    return xcalloc(1, sizeof(struct key_cache));
}

void key_cache_free(struct key_cache *cache)
{
    free(cache);
}

static struct key_cache_entry *slot(struct key_cache *cache, const char *id)
{
    return &cache->slots[fid_hash(id, strlen(id)) & (KEY_CACHE_SLOTS - 1)];
}

struct key_cache_entry *key_cache_find(struct key_cache *cache, const char *id,
                                       const char digest[FID_DIGEST_HEX])
{
    struct key_cache_entry *e = slot(cache, id);
    if (e->key.id[0] == '\0' || strcmp(e->key.id, id) != 0 ||
        fid_secret_compare(e->digest, digest, FID_DIGEST_HEX - 1) != 0)
        return NULL;
    return e;
}

struct key_cache_entry *key_cache_put(struct key_cache *cache, const struct api_key *key,
                                      const char digest[FID_DIGEST_HEX])
{
    struct key_cache_entry *e = slot(cache, key->id);
    memset(e, 0, sizeof *e);
    e->key = *key;
    memcpy(e->digest, digest, FID_DIGEST_HEX);
    return e;
}

void key_cache_drop(struct key_cache_entry *entry)
{
    memset(entry, 0, sizeof *entry);
}

bool key_cache_current(const struct key_cache_entry *entry, uint64_t data_version,
                       uint64_t generation_read)
{
    return entry->checked && entry->data_version == data_version &&
           entry->generation == generation_read;
}

void key_cache_checked(struct key_cache_entry *entry, uint64_t data_version,
                       uint64_t generation_read)
{
    entry->checked = true;
    entry->data_version = data_version;
    entry->generation = generation_read;
}

uint64_t key_cache_generation(void)
{
    return atomic_load(&generation);
}

void key_cache_invalidate_all(void)
{
    atomic_fetch_add(&generation, 1);
}
