/*
 * A fast, non-cryptographic hash of short strings (FNV-1a, 64 bits) for the in-memory tables:
 * cached API keys, rate-limit buckets, the idempotency keys of a transaction's held records.
 */
#ifndef FIDELE_UTIL_HASH_H
#define FIDELE_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t fid_hash(const char *data, size_t len);

#endif
