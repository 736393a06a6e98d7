/*
 * core/arith: exact rounding of fractions (floor and ceil are mathematical, nearest rounds halves
 * away from zero) and proportional shares, in 128 bits, clamped to int64.
 */
#include "../unit_support.h"

#include "core/arith.h"

struct round_case {
    int64_t num, den;
    int64_t floor, nearest, ceil;
};

static const struct round_case ROUND_CASES[] = {
    {0, 7, 0, 0, 0},
    {6, 3, 2, 2, 2},
    {7, 2, 3, 4, 4}, /* 3.5 */
    {5, 3, 1, 2, 2}, /* 1.67 */
    {4, 3, 1, 1, 2}, /* 1.33 */
    {1, 3, 0, 0, 1},
    {1, 2, 0, 1, 1}, /* 0.5 */
    {1999, 100, 19, 20, 20},
    {1950, 100, 19, 20, 20},
    {1949, 100, 19, 19, 20},
    {-6, 3, -2, -2, -2},
    {-7, 2, -4, -4, -3}, /* -3.5: half away from zero */
    {-5, 3, -2, -2, -1}, /* -1.67 */
    {-4, 3, -2, -1, -1}, /* -1.33 */
    {-1, 2, -1, -1, 0},  /* -0.5 */
    {-1, 3, -1, 0, 0},
    {INT64_MAX, 1, INT64_MAX, INT64_MAX, INT64_MAX},
    {INT64_MIN, 1, INT64_MIN, INT64_MIN, INT64_MIN},
    {INT64_MAX, INT64_MAX, 1, 1, 1},
    {INT64_MAX - 1, INT64_MAX, 0, 1, 1},
};

static void test_round(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(ROUND_CASES); i++) {
        const struct round_case *c = &ROUND_CASES[i];
        char label[64];
        snprintf(label, sizeof label, "%lld/%lld", (long long)c->num, (long long)c->den);
        UNIT_EQ_INT(label, arith_round(c->num, c->den, ROUND_FLOOR), c->floor);
        UNIT_EQ_INT(label, arith_round(c->num, c->den, ROUND_NEAREST), c->nearest);
        UNIT_EQ_INT(label, arith_round(c->num, c->den, ROUND_CEIL), c->ceil);
    }
}

static void test_round_wide_and_clamped(void **state)
{
    (void)state;
    /* amount x rate beyond 64 bits before the division is exact */
    __int128 big = (__int128)INT64_MAX * 1000;
    assert_true(arith_round(big, 1000, ROUND_FLOOR) == INT64_MAX);
    assert_true(arith_round(big + 999, 1000, ROUND_FLOOR) == INT64_MAX);
    assert_true(arith_round(big - 1, 1000, ROUND_FLOOR) == INT64_MAX - 1);
    assert_true(arith_round(big - 1, 1000, ROUND_CEIL) == INT64_MAX);
    /* results beyond int64 clamp */
    assert_true(arith_round(big * 2, 1000, ROUND_FLOOR) == INT64_MAX);
    assert_true(arith_round(-big * 2, 1000, ROUND_CEIL) == INT64_MIN);
    assert_true(arith_round((__int128)INT64_MIN - 1, 1, ROUND_NEAREST) == INT64_MIN);
}

struct share_case {
    int64_t value, part, whole, expected;
};

static const struct share_case SHARE_CASES[] = {
    {101, 333, 1000, 33},
    {101, 666, 1000, 67},
    {101, 1000, 1000, 101},
    {100, 1, 3, 33},
    {100, 2, 3, 66},
    {100, 3, 3, 100},
    {0, 5, 10, 0},
    {7, 0, 10, 0},
    {12345, 100, 10000, 123},
    {999, 250, 10000, 24},
    {INT64_MAX, 1, 2, INT64_MAX / 2},
    {INT64_MAX, INT64_MAX - 1, INT64_MAX, INT64_MAX - 1},
    {500, 0, 0, 0}, /* a share of nothing (an order whose lines are free) */
};

static void test_share(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(SHARE_CASES); i++) {
        const struct share_case *c = &SHARE_CASES[i];
        char label[96];
        snprintf(label, sizeof label, "%lld x %lld / %lld", (long long)c->value, (long long)c->part,
                 (long long)c->whole);
        UNIT_EQ_INT(label, arith_share(c->value, c->part, c->whole), c->expected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_round_wide_and_clamped),
        cmocka_unit_test(test_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
