/*
 * core/stamps: adding stamps fills the current card, every full card completes, the rest starts
 * the next card.
 */
#include "../unit_support.h"

#include "core/stamps.h"

struct stamps_case {
    int64_t count, added, required;
    int64_t new_count, completed;
};

static const struct stamps_case STAMPS_CASES[] = {
    {9, 1, 10, 0, 1},  /* the tenth stamp completes the card */
    {9, 25, 10, 4, 3}, /* 34 stamps: three cards and four on the next */
    {0, 0, 10, 0, 0},     {3, 4, 10, 7, 0},          {8, 1, 10, 9, 0}, /* one short */
    {0, 10, 10, 0, 1},    {0, 20, 10, 0, 2},         {0, 21, 10, 1, 2},
    {5, 0, 10, 5, 0},     {0, 1, 1, 0, 1},           {0, 7, 1, 0, 7},
    {999, 1, 1000, 0, 1}, {999, 2000, 1000, 999, 2}, {4, 1000000, 8, 4, 125000},
};

static void test_stamps_add(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(STAMPS_CASES); i++) {
        const struct stamps_case *c = &STAMPS_CASES[i];
        char label[64];
        snprintf(label, sizeof label, "%lld + %lld of %lld", (long long)c->count,
                 (long long)c->added, (long long)c->required);
        int64_t new_count = -1, completed = -1;
        stamps_add(c->count, c->added, c->required, &new_count, &completed);
        UNIT_EQ_INT(label, new_count, c->new_count);
        UNIT_EQ_INT(label, completed, c->completed);
        /* nothing is lost: the stamps before and after add up */
        UNIT_EQ_INT(label, completed * c->required + new_count, c->count + c->added);
        UNIT_EQ_INT(label, new_count < c->required, 1);
    }
}

static void test_one_stamp_at_a_time(void **state)
{
    (void)state;
    int64_t count = 0, total_completed = 0;
    for (int visit = 1; visit <= 25; visit++) {
        int64_t completed = 0;
        stamps_add(count, 1, 10, &count, &completed);
        total_completed += completed;
        assert_int_equal(completed, visit % 10 == 0);
    }
    assert_int_equal(count, 5);
    assert_int_equal(total_completed, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamps_add),
        cmocka_unit_test(test_one_stamp_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
