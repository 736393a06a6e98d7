/*
 * Random codes and digests on top of libsodium. A seeded fid_rng expands the seed with
 * randombytes_buf_deterministic over a counter, so a stream is reproducible for a given seed.
 */
#include "util/codes.h"

#include <ctype.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>

#include "util/xalloc.h"

static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct fid_rng {
    int seeded;
    unsigned char base[randombytes_SEEDBYTES]; /* hash of the seed; fid_rng_rekey starts from it */
    unsigned char seed[randombytes_SEEDBYTES];
    uint64_t counter;
    unsigned char pool[256];
    size_t pool_used;
    /* the context of the last rekey, hashed into seed only when something is drawn: most events
     * draw nothing */
    unsigned char *context;
    size_t context_len, context_capacity;
    bool rekey_due;
};

static void sodium_ready(void)
{
    if (sodium_init() < 0)
        abort();
}

struct fid_rng *fid_rng_new(const uint64_t *seed)
{
    sodium_ready();
    struct fid_rng *rng = xcalloc(1, sizeof *rng);
    rng->pool_used = sizeof rng->pool;
    if (seed != NULL) {
        rng->seeded = 1;
        crypto_generichash(rng->base, sizeof rng->base, (const unsigned char *)seed, sizeof *seed,
                           NULL, 0);
        memcpy(rng->seed, rng->base, sizeof rng->seed);
    }
    return rng;
}

void fid_rng_rekey(struct fid_rng *rng, const void *context, size_t len)
{
    if (!rng->seeded)
        return;
    xgrow((void **)&rng->context, &rng->context_capacity, len + 1, 1);
    memcpy(rng->context, context, len);
    rng->context_len = len;
    rng->rekey_due = true;
    rng->counter = 0;
    rng->pool_used = sizeof rng->pool;
}

static void rekey_now(struct fid_rng *rng)
{
    crypto_generichash(rng->seed, sizeof rng->seed, rng->context, rng->context_len, rng->base,
                       sizeof rng->base);
    rng->rekey_due = false;
}

void fid_rng_free(struct fid_rng *rng)
{
    if (rng == NULL)
        return;
    free(rng->context);
    sodium_memzero(rng, sizeof *rng);
    free(rng);
}

static void refill(struct fid_rng *rng)
{
    unsigned char block_seed[randombytes_SEEDBYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof block_seed);
    crypto_generichash_update(&st, rng->seed, sizeof rng->seed);
    crypto_generichash_update(&st, (const unsigned char *)&rng->counter, sizeof rng->counter);
    crypto_generichash_final(&st, block_seed, sizeof block_seed);
    rng->counter++;
    randombytes_buf_deterministic(rng->pool, sizeof rng->pool, block_seed);
    rng->pool_used = 0;
}

void fid_rng_bytes(struct fid_rng *rng, void *buf, size_t len)
{
    if (!rng->seeded) {
        randombytes_buf(buf, len);
        return;
    }
    if (rng->rekey_due)
        rekey_now(rng);
    unsigned char *out = buf;
    while (len > 0) {
        if (rng->pool_used == sizeof rng->pool)
            refill(rng);
        size_t take = sizeof rng->pool - rng->pool_used;
        take = take < len ? take : len;
        memcpy(out, rng->pool + rng->pool_used, take);
        rng->pool_used += take;
        out += take;
        len -= take;
    }
}

uint64_t fid_rng_below(struct fid_rng *rng, uint64_t bound)
{
    /* Rejection sampling removes modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound, v;
    do {
        fid_rng_bytes(rng, &v, sizeof v);
    } while (v >= limit);
    return v % bound;
}

void fid_code_new(struct fid_rng *rng, int symbols, char out[FID_CODE_MAX])
{
    unsigned char raw[16];
    fid_rng_bytes(rng, raw, sizeof raw);
    fid_code_spell(raw, symbols, out);
}

void fid_code_spell(const unsigned char raw[16], int symbols, char out[FID_CODE_MAX])
{
    int n = 0;
    for (int i = 0; i < symbols && i < 16; i++) {
        if (i > 0 && i % 4 == 0)
            out[n++] = '-';
        out[n++] = CROCKFORD[raw[i] & 31];
    }
    out[n] = '\0';
}

int fid_code_normalise(const char *text, char out[FID_CODE_MAX])
{
    char symbols[17];
    int count = 0;
    for (const char *p = text; *p; p++) {
        char c = (char)toupper((unsigned char)*p);
        if (c == '-' || c == ' ')
            continue;
        if (c == 'O')
            c = '0';
        else if (c == 'I' || c == 'L')
            c = '1';
        if (strchr(CROCKFORD, c) == NULL || c == '\0' || count == 16)
            return -1;
        symbols[count++] = c;
    }
    if (count == 0 || count % 4 != 0)
        return -1;
    int n = 0;
    for (int i = 0; i < count; i++) {
        if (i > 0 && i % 4 == 0)
            out[n++] = '-';
        out[n++] = symbols[i];
    }
    out[n] = '\0';
    return 0;
}

void fid_digest_hex(const void *data, size_t len, char out[FID_DIGEST_HEX])
{
    sodium_ready();
    unsigned char digest[FID_DIGEST_LEN];
    crypto_generichash(digest, sizeof digest, data, len, NULL, 0);
    sodium_bin2hex(out, FID_DIGEST_HEX, digest, sizeof digest);
}

int fid_secret_compare(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len);
}
