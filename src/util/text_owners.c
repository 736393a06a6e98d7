/*
 * Texts and their owners (see text_owners.h). A slot holds the text's hash, so that probing past
 * other texts compares no string, and the text's place in the arena.
 */
#include "util/text_owners.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct text_owners_slot {
    uint64_t hash;
    size_t at; /* the text's offset in texts */
    uint32_t owner;
};

void text_owners_init(struct text_owners *map)
{
    memset(map, 0, sizeof *map);
    randombytes_buf(map->key, sizeof map->key);
}

void text_owners_free(struct text_owners *map)
{
    free(map->slots);
    free(map->texts);
    memset(map, 0, sizeof *map);
}

static uint64_t hash_of(const struct text_owners *map, const char *text)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)text, strlen(text), map->key);
    return h;
}

/* The slot holding text, or the empty one where it would go; the table has room. */
static struct text_owners_slot *probe(const struct text_owners *map, const char *text,
                                      uint64_t hash)
{
    size_t mask = map->capacity - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        struct text_owners_slot *slot = &map->slots[i];
        if (slot->owner == TEXT_OWNERS_NONE ||
            (slot->hash == hash && strcmp(map->texts + slot->at, text) == 0))
            return slot;
    }
}

static void grow(struct text_owners *map)
{
    struct text_owners bigger = *map;
    bigger.capacity = map->capacity ? map->capacity * 2 : 1024;
    bigger.slots = xcalloc_table(bigger.capacity, sizeof *bigger.slots);
    for (size_t i = 0; i < map->capacity; i++) {
        const struct text_owners_slot *slot = &map->slots[i];
        if (slot->owner == TEXT_OWNERS_NONE)
            continue;
        for (size_t k = (size_t)slot->hash & (bigger.capacity - 1);;
             k = (k + 1) & (bigger.capacity - 1))
            if (bigger.slots[k].owner == TEXT_OWNERS_NONE) {
                bigger.slots[k] = *slot;
                break;
            }
    }
    free(map->slots);
    map->slots = bigger.slots;
    map->capacity = bigger.capacity;
}

void text_owners_add(struct text_owners *map, const char *text, uint32_t owner)
{
    assert(owner != TEXT_OWNERS_NONE && owner != TEXT_OWNERS_SHARED);
    if ((map->count + 1) * 2 > map->capacity)
        grow(map);
    uint64_t hash = hash_of(map, text);
    struct text_owners_slot *slot = probe(map, text, hash);
    if (slot->owner != TEXT_OWNERS_NONE) {
        if (slot->owner != owner)
            slot->owner = TEXT_OWNERS_SHARED;
        return;
    }
    size_t len = strlen(text);
    xgrow((void **)&map->texts, &map->texts_cap, map->texts_len + len + 1, 1);
    memcpy(map->texts + map->texts_len, text, len + 1);
    *slot = (struct text_owners_slot){.hash = hash, .at = map->texts_len, .owner = owner};
    map->texts_len += len + 1;
    map->count++;
}

uint32_t text_owners_find(const struct text_owners *map, const char *text)
{
    if (map->capacity == 0)
        return TEXT_OWNERS_NONE;
    return probe(map, text, hash_of(map, text))->owner;
}
