/*
 * util/numbers: fid_parse_whole takes decimal digits only, within the range, and leaves *out as
 * it was on every refusal.
 */
#include "../unit_support.h"

#include "util/numbers.h"

struct parse_case {
    const char *text;
    int64_t min, max;
    bool ok;
    int64_t value;
};

static const struct parse_case CASES[] = {
    {"0", 0, 10, true, 0},
    {"7", 1, 10, true, 7},
    {"10", 1, 10, true, 10},
    {"007", 1, 10, true, 7},
    {"9223372036854775807", 1, INT64_MAX, true, INT64_MAX},
    {"11", 1, 10, false, 0},
    {"0", 1, 10, false, 0},
    {"9223372036854775808", 1, INT64_MAX, false, 0},
    {"-3", 0, 10, false, 0},
    {"+3", 0, 10, false, 0},
    {" 3", 0, 10, false, 0},
    {"3 ", 0, 10, false, 0},
    {"3x", 0, 10, false, 0},
    {"0x1", 0, 10, false, 0},
    {"", 0, 10, false, 0},
    {"1e3", 0, 10000, false, 0},
};

static void test_whole_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CASES); i++) {
        const struct parse_case *c = &CASES[i];
        int64_t out = -42;
        bool ok = fid_parse_whole(c->text, c->min, c->max, &out);
        UNIT_EQ_INT(c->text, ok, c->ok);
        UNIT_EQ_INT(c->text, out, c->ok ? c->value : -42);
    }
    int64_t out = -42;
    assert_false(fid_parse_whole(NULL, 0, 10, &out));
    UNIT_EQ_INT("NULL", out, -42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
