/*
 * Codes people type or scan (voucher codes, card codes) and digests of request bodies.
 * Codes use Crockford's base-32 alphabet (no I, L, O, U), grouped by four with dashes.
 * Randomness comes from libsodium; a seeded generator gives reproducible codes for demos and tests.
 */
#ifndef FIDELE_UTIL_CODES_H
#define FIDELE_UTIL_CODES_H

#include <stddef.h>
#include <stdint.h>

#define FID_CODE_MAX   24 /* 16 symbols, 3 dashes, NUL, slack */
#define FID_DIGEST_LEN 32
#define FID_DIGEST_HEX (FID_DIGEST_LEN * 2 + 1)

struct fid_rng;

/* NULL seed: cryptographic randomness. Otherwise a deterministic stream from seed. */
struct fid_rng *fid_rng_new(const uint64_t *seed);
void fid_rng_free(struct fid_rng *rng);

/* A seeded generator restarts on a stream derived from its seed and context (e.g. an event's
 * idempotency key), so that what one event draws does not depend on what was drawn before it, in
 * this process or another. No effect on a cryptographic generator. */
void fid_rng_rekey(struct fid_rng *rng, const void *context, size_t len);

/* Fills buf with len random bytes. */
void fid_rng_bytes(struct fid_rng *rng, void *buf, size_t len);

/* Uniform integer in [0, bound). bound > 0. */
uint64_t fid_rng_below(struct fid_rng *rng, uint64_t bound);

/* A code of `symbols` (<= 16, multiple of 4) base-32 symbols: 16 give 80 bits. */
void fid_code_new(struct fid_rng *rng, int symbols, char out[FID_CODE_MAX]);
/* The code fid_code_new makes of raw: symbol i spells the low 5 bits of raw[i]. */
void fid_code_spell(const unsigned char raw[16], int symbols, char out[FID_CODE_MAX]);

/* Canonical form of a typed code: upper-case, dashes and spaces removed then re-grouped, with the
 * look-alikes O->0, I/L->1. Returns 0, or -1 when text cannot be a code. */
int fid_code_normalise(const char *text, char out[FID_CODE_MAX]);

/* BLAKE2b-256 digest of data as lower-case hex. */
void fid_digest_hex(const void *data, size_t len, char out[FID_DIGEST_HEX]);

/* Compares two equal-length secrets in constant time: 0 when equal. */
int fid_secret_compare(const void *a, const void *b, size_t len);

#endif
