/*
 * core/lots: consumption order (soonest expiry first, never-expiring last, ties by earned time
 * then id) and planning: partial consumption, several lots, running out.
 */
#include "../unit_support.h"

#include "core/lots.h"

#define MAX_LOTS 8

struct lots_case {
    const char *name;
    struct lot lots[MAX_LOTS]; /* in the order the store returned them */
    size_t n;
    int64_t amount;
    int64_t planned;
    const char *order; /* lot ids after lots_sort */
    const char *uses;  /* "id:amount" planned, in order */
};

static const struct lots_case LOTS_CASES[] = {
    {"soonest expiry first",
     {{1, 100, 3000, 10}, {2, 200, 1000, 10}, {3, 300, 2000, 10}},
     3,
     15,
     15,
     "2 3 1",
     "2:10 3:5"},
    {"never-expiring last",
     {{1, 100, 0, 10}, {2, 200, 5000, 10}, {3, 50, 0, 10}, {4, 300, 9000, 10}},
     4,
     25,
     25,
     "2 4 3 1",
     "2:10 4:10 3:5"},
    {"same expiry: oldest first",
     {{7, 300, 1000, 5}, {8, 100, 1000, 5}, {9, 200, 1000, 5}},
     3,
     7,
     7,
     "8 9 7",
     "8:5 9:2"},
    {"same expiry and earned time: lowest id first",
     {{30, 100, 1000, 5}, {10, 100, 1000, 5}, {20, 100, 1000, 5}},
     3,
     11,
     11,
     "10 20 30",
     "10:5 20:5 30:1"},
    {"never-expiring ties by earned time then id",
     {{5, 200, 0, 1}, {4, 100, 0, 1}, {3, 200, 0, 1}},
     3,
     3,
     3,
     "4 3 5",
     "4:1 3:1 5:1"},
    {"partial consumption of one lot",
     {{1, 100, 1000, 50}, {2, 100, 2000, 50}},
     2,
     20,
     20,
     "1 2",
     "1:20"},
    {"exactly one lot", {{1, 100, 1000, 50}, {2, 100, 2000, 50}}, 2, 50, 50, "1 2", "1:50"},
    {"exactly all lots", {{1, 100, 1000, 50}, {2, 100, 2000, 50}}, 2, 100, 100, "1 2", "1:50 2:50"},
    {"running out", {{1, 100, 1000, 50}, {2, 100, 0, 30}}, 2, 500, 80, "1 2", "1:50 2:30"},
    {"empty lots are skipped",
     {{1, 100, 1000, 0}, {2, 100, 2000, 40}, {3, 100, 3000, 0}, {4, 100, 4000, 5}},
     4,
     42,
     42,
     "1 2 3 4",
     "2:40 4:2"},
    {"nothing to take", {{1, 100, 1000, 50}}, 1, 0, 0, "1", ""},
    {"no lots", {{0, 0, 0, 0}}, 0, 10, 0, "", ""},
    {"expiry in year 2999 before never",
     {{1, 100, 0, 5}, {2, 100, 32503679999LL, 5}},
     2,
     6,
     6,
     "2 1",
     "2:5 1:1"},
};

static void render_ids(const struct lot *lots, size_t n, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len +=
            (size_t)snprintf(out + len, size - len, "%s%lld", i ? " " : "", (long long)lots[i].id);
}

static void render_uses(const struct lot_use *uses, size_t n, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%lld:%lld", i ? " " : "",
                                (long long)uses[i].lot_id, (long long)uses[i].amount);
}

static void test_sort_and_consume(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(LOTS_CASES); i++) {
        const struct lots_case *c = &LOTS_CASES[i];
        struct lot lots[MAX_LOTS];
        memcpy(lots, c->lots, sizeof lots);
        int64_t before = 0;
        for (size_t k = 0; k < c->n; k++)
            before += lots[k].remaining;

        lots_sort(lots, c->n);
        char text[128];
        render_ids(lots, c->n, text, sizeof text);
        UNIT_EQ_STR(c->name, text, c->order);

        struct lot_use uses[MAX_LOTS];
        size_t n_uses = 99;
        int64_t planned = lots_consume(lots, c->n, c->amount, uses, &n_uses);
        UNIT_EQ_INT(c->name, planned, c->planned);
        render_uses(uses, n_uses, text, sizeof text);
        UNIT_EQ_STR(c->name, text, c->uses);

        /* the plan is what left the lots, and no lot goes below zero */
        int64_t after = 0, used = 0;
        for (size_t k = 0; k < c->n; k++) {
            after += lots[k].remaining;
            UNIT_EQ_INT(c->name, lots[k].remaining >= 0, 1);
        }
        for (size_t u = 0; u < n_uses; u++)
            used += uses[u].amount;
        UNIT_EQ_INT(c->name, used, planned);
        UNIT_EQ_INT(c->name, before - after, planned);
    }
}

static void test_order_does_not_depend_on_input_order(void **state)
{
    (void)state;
    const struct lot base[4] = {
        {11, 500, 0, 1}, {12, 100, 7000, 1}, {13, 100, 7000, 1}, {14, 900, 2000, 1}};
    /* every rotation and its reverse give the same plan */
    for (size_t r = 0; r < 4; r++) {
        for (int reverse = 0; reverse < 2; reverse++) {
            struct lot lots[4];
            for (size_t k = 0; k < 4; k++)
                lots[k] = base[reverse ? (r + 4 - k) % 4 : (r + k) % 4];
            lots_sort(lots, 4);
            char text[64];
            render_ids(lots, 4, text, sizeof text);
            assert_string_equal(text, "14 12 13 11");
        }
    }
}

static void test_consume_in_steps(void **state)
{
    (void)state;
    struct lot lots[3] = {{1, 100, 2000, 10}, {2, 100, 1000, 10}, {3, 100, 0, 10}};
    lots_sort(lots, 3);
    struct lot_use uses[3];
    size_t n_uses = 0;
    char text[64];
    /* spending twice continues where the first spend stopped */
    assert_int_equal(lots_consume(lots, 3, 6, uses, &n_uses), 6);
    render_uses(uses, n_uses, text, sizeof text);
    assert_string_equal(text, "2:6");
    assert_int_equal(lots_consume(lots, 3, 12, uses, &n_uses), 12);
    render_uses(uses, n_uses, text, sizeof text);
    assert_string_equal(text, "2:4 1:8");
    assert_int_equal(lots_consume(lots, 3, 100, uses, &n_uses), 12);
    render_uses(uses, n_uses, text, sizeof text);
    assert_string_equal(text, "1:2 3:10");
    assert_int_equal(lots_consume(lots, 3, 1, uses, &n_uses), 0);
    assert_int_equal(n_uses, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_and_consume),
        cmocka_unit_test(test_order_does_not_depend_on_input_order),
        cmocka_unit_test(test_consume_in_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
