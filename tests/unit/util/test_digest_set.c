/*
 * util/digest_set: a set of 16-byte digests, open addressing with linear probing from the home
 * slot given by the first eight bytes, grown by doubling at three quarters full. An all-zero slot
 * means empty, so the all-zero digest lives in a flag instead.
 */
#include "../unit_support.h"

#include "util/digest_set.h"

/* splitmix64: a deterministic stream for the test data (the set expects uniform digests). */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* An empty slot is all zero bytes. */
static bool slot_empty(const uint8_t *slot)
{
    for (size_t k = 0; k < DIGEST_SET_BYTES; k++)
        if (slot[k] != 0)
            return false;
    return true;
}

static void random_digest(uint64_t *state, uint8_t out[DIGEST_SET_BYTES])
{
    uint64_t a = next_u64(state), b = next_u64(state);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
}

/* A digest whose first eight bytes are head (the home slot) and last eight bytes tail. */
static void make_digest(uint64_t head, uint64_t tail, uint8_t out[DIGEST_SET_BYTES])
{
    memcpy(out, &head, 8);
    memcpy(out + 8, &tail, 8);
}

static const uint8_t ZERO_DIGEST[DIGEST_SET_BYTES];

/* The table's invariants: capacity a power of two (home() masks with capacity - 1), never more
 * than three quarters full, count equal to the non-empty slots. */
static void check_shape(const char *label, const struct digest_set *set)
{
    if (set->capacity == 0) {
        UNIT_EQ_INT(label, set->count, 0);
        return;
    }
    UNIT_EQ_INT(label, set->capacity & (set->capacity - 1), 0);
    if (set->count * 4 > set->capacity * 3) {
        print_error("[%s] %zu digests in %zu slots: above 3/4\n", label, set->count, set->capacity);
        fail();
    }
    size_t used = 0;
    for (size_t i = 0; i < set->capacity; i++)
        used += !slot_empty(set->slots + i * DIGEST_SET_BYTES);
    UNIT_EQ_INT(label, used, set->count);
}

/* ---- basics ------------------------------------------------------------------------------ */

static void test_empty(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    uint8_t d[DIGEST_SET_BYTES];
    make_digest(1, 2, d);
    /* contains on a set that never allocated must not touch slots */
    assert_false(digest_set_contains(&set, d));
    assert_false(digest_set_contains(&set, ZERO_DIGEST));
    assert_int_equal(set.count, 0);
    assert_int_equal(set.capacity, 0);
    digest_set_free(&set);
    digest_set_free(&set); /* freeing twice is harmless: free() leaves the set empty */
    assert_null(set.slots);
}

struct member_case {
    const char *name;
    uint64_t head, tail;
};

static const struct member_case MEMBER_CASES[] = {
    {"ordinary", 0x0123456789ABCDEFULL, 0xFEDCBA9876543210ULL},
    {"only the tail set", 0, 1},          /* home slot 0, yet not the zero digest */
    {"only the head set", 1, 0},          /* zero tail */
    {"all ones", UINT64_MAX, UINT64_MAX}, /* home slot capacity - 1 */
    {"high head bit", 1ULL << 63, 0},     /* masked to home slot 0 */
    {"last byte", 0, 1ULL << 56},
};

static void test_add_contains(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    uint8_t d[DIGEST_SET_BYTES];
    for (size_t i = 0; i < N_ELEMENTS(MEMBER_CASES); i++) {
        const struct member_case *c = &MEMBER_CASES[i];
        make_digest(c->head, c->tail, d);
        UNIT_EQ_INT(c->name, digest_set_contains(&set, d), false);
        UNIT_EQ_INT(c->name, digest_set_add(&set, d), true);
        UNIT_EQ_INT(c->name, digest_set_contains(&set, d), true);
        UNIT_EQ_INT(c->name, set.count, i + 1);
    }
    /* all still there once the others went in */
    for (size_t i = 0; i < N_ELEMENTS(MEMBER_CASES); i++) {
        make_digest(MEMBER_CASES[i].head, MEMBER_CASES[i].tail, d);
        UNIT_EQ_INT(MEMBER_CASES[i].name, digest_set_contains(&set, d), true);
    }
    /* near misses are not members: one bit off in the head, in the tail */
    make_digest(0x0123456789ABCDEEULL, 0xFEDCBA9876543210ULL, d);
    assert_false(digest_set_contains(&set, d));
    make_digest(0x0123456789ABCDEFULL, 0xFEDCBA9876543211ULL, d);
    assert_false(digest_set_contains(&set, d));
    make_digest(0, 2, d);
    assert_false(digest_set_contains(&set, d));
    check_shape("members", &set);
    digest_set_free(&set);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    uint8_t d[DIGEST_SET_BYTES], copy[DIGEST_SET_BYTES];
    make_digest(42, 43, d);
    assert_true(digest_set_add(&set, d));
    /* a copy in another buffer: equality is by bytes, not by address */
    memcpy(copy, d, sizeof copy);
    for (int i = 0; i < 3; i++) {
        assert_false(digest_set_add(&set, copy));
        assert_int_equal(set.count, 1);
    }
    assert_true(digest_set_contains(&set, d));
    check_shape("duplicates", &set);
    digest_set_free(&set);
}

/* The all-zero digest cannot sit in a slot (it reads as empty): the flag holds it, it is not
 * counted in count, and it survives growth. */
static void test_zero_digest(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    assert_true(digest_set_add(&set, ZERO_DIGEST));
    assert_true(set.has_zero);
    assert_int_equal(set.count, 0);
    assert_int_equal(set.capacity, 0); /* no table needed for it */
    assert_true(digest_set_contains(&set, ZERO_DIGEST));
    assert_false(digest_set_add(&set, ZERO_DIGEST));

    /* a digest with a zero head (home slot 0) is a different member */
    uint8_t d[DIGEST_SET_BYTES];
    make_digest(0, 7, d);
    assert_false(digest_set_contains(&set, d));
    assert_true(digest_set_add(&set, d));
    assert_int_equal(set.count, 1);

    /* grow well past the first table: the flag is carried over */
    uint64_t rng = 99;
    for (int i = 0; i < 5000; i++) {
        random_digest(&rng, d);
        assert_true(digest_set_add(&set, d));
    }
    assert_true(set.capacity > 1024);
    assert_true(digest_set_contains(&set, ZERO_DIGEST));
    assert_false(digest_set_add(&set, ZERO_DIGEST));
    assert_int_equal(set.count, 5001);
    check_shape("zero and others", &set);
    digest_set_free(&set);

    /* a set without it says so even when full of others */
    digest_set_init(&set);
    make_digest(5, 5, d);
    assert_true(digest_set_add(&set, d));
    assert_false(digest_set_contains(&set, ZERO_DIGEST));
    digest_set_free(&set);
}

/* ---- growth ------------------------------------------------------------------------------ */

#define MANY 200000

static void test_growth_keeps_members(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    uint8_t d[DIGEST_SET_BYTES];
    uint64_t rng = 0x5EED;
    size_t grew = 0, last_capacity = 0;
    for (size_t i = 0; i < MANY; i++) {
        random_digest(&rng, d);
        if (!digest_set_add(&set, d)) {
            print_error("digest %zu refused as a duplicate\n", i);
            fail();
        }
        if (set.capacity != last_capacity) {
            /* each growth doubles (the first allocates) */
            if (last_capacity != 0)
                assert_int_equal(set.capacity, last_capacity * 2);
            last_capacity = set.capacity;
            grew++;
        }
    }
    assert_int_equal(set.count, MANY);
    assert_true(grew >= 8); /* 1024 -> 262144+ */
    check_shape("after growth", &set);

    /* every member is found, and adding it again is refused */
    rng = 0x5EED;
    for (size_t i = 0; i < MANY; i++) {
        random_digest(&rng, d);
        if (!digest_set_contains(&set, d)) {
            print_error("digest %zu lost by growth\n", i);
            fail();
        }
        if (digest_set_add(&set, d)) {
            print_error("digest %zu added twice\n", i);
            fail();
        }
    }
    assert_int_equal(set.count, MANY);

    /* another stream's digests are not members (2^-128 per probe to be wrong) */
    uint64_t other = 0xD1FF;
    for (size_t i = 0; i < 20000; i++) {
        random_digest(&other, d);
        if (digest_set_contains(&set, d)) {
            print_error("foreign digest %zu reported as a member\n", i);
            fail();
        }
    }
    digest_set_free(&set);
}

/* The threshold is 3/4 of the capacity: 768 digests fit in the first 1024 slots, the 769th
 * doubles the table. */
static void test_growth_threshold(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    uint8_t d[DIGEST_SET_BYTES];
    uint64_t rng = 3;
    random_digest(&rng, d);
    assert_true(digest_set_add(&set, d));
    size_t first = set.capacity;
    assert_true(first >= 2);
    while ((set.count + 1) * 4 <= first * 3) {
        random_digest(&rng, d);
        assert_true(digest_set_add(&set, d));
        assert_int_equal(set.capacity, first);
    }
    assert_int_equal(set.count, first * 3 / 4);
    random_digest(&rng, d);
    assert_true(digest_set_add(&set, d));
    assert_int_equal(set.capacity, 2 * first);
    check_shape("threshold", &set);
    digest_set_free(&set);
}

/* ---- collisions -------------------------------------------------------------------------- */

struct collision_case {
    const char *name;
    uint64_t head; /* shared by every digest of the case */
    size_t n;
};

static const struct collision_case COLLISION_CASES[] = {
    {"same home slot in the middle", 0x00000000000001F0ULL, 300},
    /* home slot capacity - 1 at every size: the cluster wraps round to slot 0 */
    {"same home slot at the end, wrapping", UINT64_MAX, 300},
    {"zero head: home slot 0", 0, 300},
    /* more than the first table's 3/4: growth must rehash a single long cluster */
    {"one cluster across growth", 0xABCDEF0123456789ULL, 2000},
};

static void test_collisions(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_ELEMENTS(COLLISION_CASES); k++) {
        const struct collision_case *c = &COLLISION_CASES[k];
        struct digest_set set;
        digest_set_init(&set);
        uint8_t d[DIGEST_SET_BYTES];
        for (size_t i = 0; i < c->n; i++) {
            /* tails differ, in their low byte or their high byte */
            make_digest(c->head, (i % 2 ? (uint64_t)(i + 1) : (uint64_t)(i + 1) << 48), d);
            UNIT_EQ_INT(c->name, digest_set_add(&set, d), true);
        }
        UNIT_EQ_INT(c->name, set.count, c->n);
        for (size_t i = 0; i < c->n; i++) {
            make_digest(c->head, (i % 2 ? (uint64_t)(i + 1) : (uint64_t)(i + 1) << 48), d);
            UNIT_EQ_INT(c->name, digest_set_contains(&set, d), true);
            UNIT_EQ_INT(c->name, digest_set_add(&set, d), false);
        }
        /* same head, a tail never added: probing walks the cluster and stops at the gap */
        make_digest(c->head, 0xDEADBEEFULL << 8, d);
        UNIT_EQ_INT(c->name, digest_set_contains(&set, d), false);
        /* same home slot but another head (differs above the mask) is another digest too */
        make_digest(c->head ^ (1ULL << 62), 1, d);
        UNIT_EQ_INT(c->name, digest_set_contains(&set, d), false);
        UNIT_EQ_INT(c->name, digest_set_add(&set, d), true);
        UNIT_EQ_INT(c->name, digest_set_contains(&set, d), true);
        check_shape(c->name, &set);
        digest_set_free(&set);
    }
}

/* Members interleaved with a cluster around them: digests whose home slots neighbour a cluster
 * get pushed past it and must still be found. */
static void test_neighbouring_clusters(void **state)
{
    (void)state;
    struct digest_set set;
    digest_set_init(&set);
    uint8_t d[DIGEST_SET_BYTES];
    for (uint64_t i = 0; i < 200; i++) {
        make_digest(100, i + 1, d); /* a cluster from slot 100 */
        assert_true(digest_set_add(&set, d));
        make_digest(101 + i % 50, 1000 + i, d); /* homes inside that cluster */
        assert_true(digest_set_add(&set, d));
    }
    for (uint64_t i = 0; i < 200; i++) {
        make_digest(100, i + 1, d);
        assert_true(digest_set_contains(&set, d));
        make_digest(101 + i % 50, 1000 + i, d);
        assert_true(digest_set_contains(&set, d));
    }
    assert_int_equal(set.count, 400);
    check_shape("neighbours", &set);
    digest_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_add_contains),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_zero_digest),
        cmocka_unit_test(test_growth_keeps_members),
        cmocka_unit_test(test_growth_threshold),
        cmocka_unit_test(test_collisions),
        cmocka_unit_test(test_neighbouring_clusters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
