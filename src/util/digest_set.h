/*
 * A set of 128-bit digests (already uniformly distributed: keyed hashes), open addressing with
 * linear probing, grown by doubling at three quarters full. Sixteen bytes per slot.
 */
#ifndef FIDELE_UTIL_DIGEST_SET_H
#define FIDELE_UTIL_DIGEST_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_SET_BYTES 16

struct digest_set {
    uint8_t *slots; /* capacity * DIGEST_SET_BYTES; all-zero = empty */
    size_t capacity, count;
    bool has_zero; /* the all-zero digest, which cannot live in a slot */
};

void digest_set_init(struct digest_set *set);
void digest_set_free(struct digest_set *set);
bool digest_set_contains(const struct digest_set *set, const uint8_t digest[DIGEST_SET_BYTES]);
/* Makes room for n more digests at once (a large import knows about how many will come). */
void digest_set_reserve(struct digest_set *set, size_t n);
/* Asks the CPU to load the line where digest lives or would go. */
void digest_set_prefetch(const struct digest_set *set, const uint8_t digest[DIGEST_SET_BYTES]);
/* Adds; returns false when it was already there. */
bool digest_set_add(struct digest_set *set, const uint8_t digest[DIGEST_SET_BYTES]);

#endif
