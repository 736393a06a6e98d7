/*
 * Digest set (see digest_set.h). The digests are keyed hashes, so their first eight bytes index
 * the table directly.
 */
#include "util/digest_set.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Digests as two words: public values (keyed hashes of order ids), compared in one step each. */
static bool same(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[2], y[2];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    return x[0] == y[0] && x[1] == y[1];
}

static bool is_zero(const uint8_t *a)
{
    uint64_t x[2];
    memcpy(x, a, sizeof x);
    return (x[0] | x[1]) == 0;
}

void digest_set_init(struct digest_set *set)
{
    memset(set, 0, sizeof *set);
}

void digest_set_free(struct digest_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}

static size_t home(const struct digest_set *set, const uint8_t *digest)
{
    uint64_t h;
    memcpy(&h, digest, sizeof h);
    return (size_t)h & (set->capacity - 1);
}

/* The slot holding digest, or the empty slot where it would go. */
static uint8_t *probe(const struct digest_set *set, const uint8_t *digest)
{
    for (size_t i = home(set, digest);; i = (i + 1) & (set->capacity - 1)) {
        uint8_t *slot = set->slots + i * DIGEST_SET_BYTES;
        if (same(slot, digest) || is_zero(slot))
            return slot;
    }
}

bool digest_set_contains(const struct digest_set *set, const uint8_t digest[DIGEST_SET_BYTES])
{
    if (is_zero(digest))
        return set->has_zero;
    if (set->capacity == 0)
        return false;
    return !is_zero(probe(set, digest));
}

void digest_set_prefetch(const struct digest_set *set, const uint8_t digest[DIGEST_SET_BYTES])
{
    if (set->capacity)
        __builtin_prefetch(set->slots + home(set, digest) * DIGEST_SET_BYTES);
}

static void grow_to(struct digest_set *set, size_t capacity)
{
    struct digest_set bigger = {
        .capacity = capacity, .count = set->count, .has_zero = set->has_zero};
    bigger.slots = xcalloc_table(bigger.capacity, DIGEST_SET_BYTES);
    for (size_t i = 0; i < set->capacity; i++) {
        const uint8_t *slot = set->slots + i * DIGEST_SET_BYTES;
        if (!is_zero(slot))
            memcpy(probe(&bigger, slot), slot, DIGEST_SET_BYTES);
    }
    free(set->slots);
    *set = bigger;
}

static void grow(struct digest_set *set)
{
    grow_to(set, set->capacity ? set->capacity * 2 : 1024);
}

void digest_set_reserve(struct digest_set *set, size_t n)
{
    size_t capacity = set->capacity ? set->capacity : 1024;
    while ((set->count + n) * 4 > capacity * 3)
        capacity *= 2;
    if (capacity != set->capacity)
        grow_to(set, capacity);
}

bool digest_set_add(struct digest_set *set, const uint8_t digest[DIGEST_SET_BYTES])
{
    if (is_zero(digest)) {
        bool added = !set->has_zero;
        set->has_zero = true;
        return added;
    }
    if ((set->count + 1) * 4 > set->capacity * 3)
        grow(set);
    uint8_t *slot = probe(set, digest);
    if (!is_zero(slot))
        return false;
    memcpy(slot, digest, DIGEST_SET_BYTES);
    set->count++;
    return true;
}
