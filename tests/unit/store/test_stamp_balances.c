/*
 * store/stamp_balances: the texts a customer's row may hold, read into sorted balances (by hand
 * in the form the store writes, through jansson in any other), and the text written back: keys
 * sorted, compact, as jansson wrote it with sorted keys.
 */
#include "../unit_support.h"

#include "store/stamp_balances.h"

struct read_case {
    const char *text;
    bool object;
    const char *balances; /* "card stamps completed; ..." in card order */
    const char *written;  /* the text written back */
};

static const struct read_case READS[] = {
    {"{}", true, "", "{}"},
    {"{\"coffee\":[3,1]}", true, "coffee 3 1", "{\"coffee\":[3,1]}"},
    {"{\"coffee\":[3,1],\"bread\":[0,2]}", true, "bread 0 2; coffee 3 1",
     "{\"bread\":[0,2],\"coffee\":[3,1]}"},
    {" { \"b\" : [ 1 , 2 ] ,\t\"c\":[-4,0] } \n", true, "b 1 2; c -4 0",
     "{\"b\":[1,2],\"c\":[-4,0]}"},
    /* read through jansson: an escaped key, a key twice (the last wins), values that are not two
     * integers (json_integer_value: 0), nineteen digits */
    {"{\"caf\\u00e9\":[1,0],\"tea\":[2,0]}", true, "caf\xc3\xa9 1 0; tea 2 0",
     "{\"caf\xc3\xa9\":[1,0],\"tea\":[2,0]}"},
    {"{\"a\":[1,2],\"a\":[3,4]}", true, "a 3 4", "{\"a\":[3,4]}"},
    {"{\"x\":[1.5,2],\"y\":[1],\"z\":\"text\"}", true, "x 0 2; y 1 0; z 0 0",
     "{\"x\":[0,2],\"y\":[1,0],\"z\":[0,0]}"},
    {"{\"x\":[1234567890123456789,1]}", true, "x 1234567890123456789 1",
     "{\"x\":[1234567890123456789,1]}"},
    {"{\"q\\\"\":[1,2]}", true, "q\" 1 2", "{\"q\\\"\":[1,2]}"},
    /* not an object */
    {"[1,2]", false, "", NULL},
    {"not json", false, "", NULL},
    {"{\"x\":[007,1]}", false, "", NULL},
    {"{\"x\":[1,2]} trailing", false, "", NULL},
    {"{\"x\":[1,2],}", false, "", NULL},
    {"{\"x\":[99999999999999999999,1]}", false, "", NULL},
    {"", false, "", NULL},
};

static void describe(const struct stamp_balances *b, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b->n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s %lld %lld", i ? "; " : "",
                                 b->items[i].card, (long long)b->items[i].stamps,
                                 (long long)b->items[i].completed);
}

static void test_texts_read_and_written(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(READS); i++) {
        const struct read_case *c = &READS[i];
        struct stamp_balances b = {0};
        UNIT_EQ_INT(c->text, stamp_balances_read(c->text, &b), c->object);
        char got[256];
        describe(&b, got, sizeof got);
        UNIT_EQ_STR(c->text, got, c->balances);
        if (c->written) {
            char *text = stamp_balances_text(&b);
            UNIT_EQ_STR(c->text, text, c->written);
            free(text);
        }
        stamp_balances_clear(&b);
    }
}

static void test_set_keeps_cards_sorted(void **state)
{
    (void)state;
    struct stamp_balances b = {0};
    assert_true(stamp_balances_read("{\"m\":[1,0]}", &b));
    stamp_balances_set(&b, "z", 5, 1);
    stamp_balances_set(&b, "a", 2, 0);
    stamp_balances_set(&b, "m", 9, 3);
    char got[256];
    describe(&b, got, sizeof got);
    UNIT_EQ_STR("after three sets", got, "a 2 0; m 9 3; z 5 1");
    const struct stamp_balance *m = stamp_balances_find(&b, "m");
    assert_non_null(m);
    UNIT_EQ_INT("m's stamps", m->stamps, 9);
    assert_null(stamp_balances_find(&b, "b"));
    stamp_balances_clear(&b);
    assert_null(stamp_balances_find(&b, "m"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texts_read_and_written),
        cmocka_unit_test(test_set_keeps_cards_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
