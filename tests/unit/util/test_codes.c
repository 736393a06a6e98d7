/*
 * util/codes: the seeded generator is reproducible, codes are Crockford base-32 in groups of four,
 * typed codes normalise to their canonical form, digests are BLAKE2b-256 in lower-case hex.
 */
#include "../unit_support.h"

#include "util/codes.h"

static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void test_seeded_rng_is_deterministic(void **state)
{
    (void)state;
    uint64_t seed = 42, other = 43;
    struct fid_rng *a = fid_rng_new(&seed), *b = fid_rng_new(&seed), *c = fid_rng_new(&other);
    unsigned char x[1000], y[1000], z[1000];
    fid_rng_bytes(a, x, sizeof x); /* crosses several 256-byte pools */
    /* the stream does not depend on how it is read */
    fid_rng_bytes(b, y, 1);
    fid_rng_bytes(b, y + 1, 300);
    fid_rng_bytes(b, y + 301, sizeof y - 301);
    fid_rng_bytes(c, z, sizeof z);
    assert_memory_equal(x, y, sizeof x);
    assert_memory_not_equal(x, z, sizeof x);
    /* not a constant stream: the 256-byte blocks differ */
    assert_memory_not_equal(x, x + 256, 256);
    fid_rng_free(a);
    fid_rng_free(b);
    fid_rng_free(c);
    fid_rng_free(NULL);
}

static void test_seeded_codes_repeat(void **state)
{
    (void)state;
    uint64_t seed = 20260303;
    struct fid_rng *a = fid_rng_new(&seed), *b = fid_rng_new(&seed);
    for (int i = 0; i < 50; i++) {
        char x[FID_CODE_MAX], y[FID_CODE_MAX];
        fid_code_new(a, 16, x);
        fid_code_new(b, 16, y);
        assert_string_equal(x, y);
    }
    fid_rng_free(a);
    fid_rng_free(b);
}

static void test_rekey_depends_only_on_seed_and_context(void **state)
{
    (void)state;
    uint64_t seed = 99;
    struct fid_rng *a = fid_rng_new(&seed), *b = fid_rng_new(&seed);
    unsigned char x[300], y[300], z[300], skip[700];
    /* a has drawn nothing, b has drawn 700 bytes: after the same rekey they agree */
    fid_rng_bytes(b, skip, sizeof skip);
    fid_rng_rekey(a, "order-17", 8);
    fid_rng_rekey(b, "order-17", 8);
    fid_rng_bytes(a, x, sizeof x);
    fid_rng_bytes(b, y, sizeof y);
    assert_memory_equal(x, y, sizeof x);
    /* another context, another stream; the same context again, the same stream */
    fid_rng_rekey(a, "order-18", 8);
    fid_rng_bytes(a, z, sizeof z);
    assert_memory_not_equal(x, z, sizeof x);
    fid_rng_rekey(a, "order-17", 8);
    fid_rng_bytes(a, z, sizeof z);
    assert_memory_equal(x, z, sizeof x);
    /* another seed with the same context differs */
    uint64_t other = 100;
    struct fid_rng *c = fid_rng_new(&other);
    fid_rng_rekey(c, "order-17", 8);
    fid_rng_bytes(c, z, sizeof z);
    assert_memory_not_equal(x, z, sizeof x);
    /* a cryptographic generator ignores rekeying and still works */
    struct fid_rng *secure = fid_rng_new(NULL);
    fid_rng_rekey(secure, "order-17", 8);
    fid_rng_bytes(secure, z, sizeof z);
    assert_memory_not_equal(x, z, sizeof x);
    fid_rng_free(a);
    fid_rng_free(b);
    fid_rng_free(c);
    fid_rng_free(secure);
}

static void test_rng_below(void **state)
{
    (void)state;
    uint64_t seed = 7;
    struct fid_rng *rng = fid_rng_new(&seed);
    static const uint64_t bounds[] = {1, 2, 3, 10, 1000, UINT64_MAX / 3 + 1, UINT64_MAX};
    for (size_t b = 0; b < N_ELEMENTS(bounds); b++) {
        uint64_t low_half = 0;
        for (int i = 0; i < 2000; i++) {
            uint64_t v = fid_rng_below(rng, bounds[b]);
            assert_true(v < bounds[b]);
            low_half += v < bounds[b] / 2;
        }
        if (bounds[b] == 2 || bounds[b] >= 10) /* about half the draws below the middle */
            assert_in_range(low_half, 850, 1150);
    }
    /* every value of a small bound shows up */
    int seen[6] = {0};
    for (int i = 0; i < 600; i++)
        seen[fid_rng_below(rng, 6)]++;
    for (int v = 0; v < 6; v++)
        assert_in_range(seen[v], 50, 150);
    fid_rng_free(rng);
}

static void assert_code_shape(const char *code, int symbols)
{
    size_t groups = (size_t)symbols / 4;
    assert_int_equal(strlen(code), (size_t)symbols + groups - 1);
    for (size_t i = 0; code[i]; i++) {
        if (i % 5 == 4)
            assert_int_equal(code[i], '-');
        else
            assert_non_null(strchr(CROCKFORD, code[i]));
    }
}

static void test_code_shape(void **state)
{
    (void)state;
    static const int sizes[] = {4, 8, 12, 16};
    struct fid_rng *secure = fid_rng_new(NULL);
    uint64_t seed = 1;
    struct fid_rng *seeded = fid_rng_new(&seed);
    int used[32] = {0};
    for (size_t s = 0; s < N_ELEMENTS(sizes); s++) {
        for (int i = 0; i < 200; i++) {
            char code[FID_CODE_MAX], again[FID_CODE_MAX];
            fid_code_new(i % 2 ? secure : seeded, sizes[s], code);
            assert_code_shape(code, sizes[s]);
            for (const char *c = code; *c; c++)
                if (*c != '-')
                    used[strchr(CROCKFORD, *c) - CROCKFORD]++;
            /* a generated code is already canonical */
            assert_int_equal(fid_code_normalise(code, again), 0);
            assert_string_equal(again, code);
        }
    }
    for (int i = 0; i < 32; i++) /* every symbol of the alphabet is used */
        assert_true(used[i] > 0);
    char a[FID_CODE_MAX], b[FID_CODE_MAX];
    fid_code_new(secure, 16, a);
    fid_code_new(secure, 16, b);
    assert_string_not_equal(a, b);
    fid_rng_free(secure);
    fid_rng_free(seeded);
}

struct normalise_case {
    const char *text;
    const char *canonical; /* NULL: not a code */
};

static const struct normalise_case NORMALISE_CASES[] = {
    {"ABCD-EFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRS"},
    {"abcd-efgh-jkmn-pqrs", "ABCD-EFGH-JKMN-PQRS"},
    {"abcdefghjkmnpqrs", "ABCD-EFGH-JKMN-PQRS"},
    {"ABCDEFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRS"},
    {" ab cd - ef gh ", "ABCD-EFGH"},
    {"O0oI-iLl1", "0001-1111"},
    {"TVWX-YZ98", "TVWX-YZ98"},
    {"1234", "1234"},
    {"7ZZZ-ZZZZ-ZZZZ-ZZZZ", "7ZZZ-ZZZZ-ZZZZ-ZZZZ"},
    {"ABCD-EFGU", NULL}, /* U is not in the alphabet */
    {"ABCD-EF*H", NULL}, /* nor is punctuation */
    {"ABC", NULL},       /* not a whole group */
    {"ABCD-EFGH-J", NULL},
    {"ABCD-EFGH-JKMN-PQRS-TVWX", NULL}, /* more than 16 symbols */
    {"ABCDEFGHJKMNPQRST", NULL},        /* 17 */
    {"", NULL},
    {"----", NULL},
    {"ABCD\xc3\x89", NULL}, /* non-ASCII */
};

static void test_normalise(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(NORMALISE_CASES); i++) {
        const struct normalise_case *c = &NORMALISE_CASES[i];
        char out[FID_CODE_MAX] = "untouched";
        int rc = fid_code_normalise(c->text, out);
        if (c->canonical) {
            UNIT_EQ_INT(c->text, rc, 0);
            UNIT_EQ_STR(c->text, out, c->canonical);
        } else {
            UNIT_EQ_INT(c->text, rc, -1);
        }
    }
}

struct digest_case {
    const char *data;
    const char *hex;
};

/* BLAKE2b with a 32-byte output (RFC 7693 algorithm; values from Python's hashlib.blake2b). */
static const struct digest_case DIGEST_CASES[] = {
    {"", "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"},
    {"abc", "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"},
};

static void test_digest_hex(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(DIGEST_CASES); i++) {
        const struct digest_case *c = &DIGEST_CASES[i];
        char out[FID_DIGEST_HEX];
        fid_digest_hex(c->data, strlen(c->data), out);
        UNIT_EQ_INT(c->data, strlen(out), FID_DIGEST_LEN * 2);
        UNIT_EQ_STR(c->data, out, c->hex);
    }
    char a[FID_DIGEST_HEX], b[FID_DIGEST_HEX];
    fid_digest_hex("{\"a\":1}", 7, a);
    fid_digest_hex("{\"a\":2}", 7, b);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_string_not_equal(a, b);
}

static void test_secret_compare(void **state)
{
    (void)state;
    assert_int_equal(fid_secret_compare("secret-1", "secret-1", 8), 0);
    assert_int_not_equal(fid_secret_compare("secret-1", "secret-2", 8), 0);
    assert_int_not_equal(fid_secret_compare("Secret-1", "secret-1", 8), 0);
    assert_int_equal(fid_secret_compare("abcX", "abcY", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeded_rng_is_deterministic),
        cmocka_unit_test(test_seeded_codes_repeat),
        cmocka_unit_test(test_rekey_depends_only_on_seed_and_context),
        cmocka_unit_test(test_rng_below),
        cmocka_unit_test(test_code_shape),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_digest_hex),
        cmocka_unit_test(test_secret_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
