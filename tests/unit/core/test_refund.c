/*
 * core/refund: proportional clawback on the cumulative refund, so partial refunds add up exactly
 * to a full one, and the split of a clawback against what the member still has.
 */
#include "core_support.h"

#include "core/earn.h"
#include "core/refund.h"

struct clawback_case {
    int64_t earned, clawed, paid, refunded_total;
    int64_t expected;
};

static const struct clawback_case CLAWBACK_CASES[] = {
    {100, 0, 5000, 5000, 100}, /* full refund: everything */
    {101, 0, 1000, 1000, 101},
    {100, 0, 5000, 2500, 50},  /* half */
    {101, 0, 1000, 333, 33},   /* floor(33.63) */
    {101, 33, 1000, 666, 34},  /* floor(67.27) - 33 */
    {101, 67, 1000, 1000, 34}, /* the last refund takes the rest */
    {100, 0, 5000, 6000, 100}, /* more than paid: everything, no more */
    {100, 40, 5000, 6000, 60},
    {100, 100, 5000, 5000, 0}, /* already all taken */
    {100, 50, 5000, 2500, 0},  /* the same refund seen again takes nothing */
    {100, 60, 5000, 2500, 0},  /* never negative */
    {0, 0, 5000, 5000, 0},     /* nothing earned */
    {100, 0, 0, 0, 0},         /* nothing paid */
    {100, 0, 5000, 0, 0},
    {1000000000, 0, 100000000000000LL, 1, 0},
    {1000000000, 0, 100000000000000LL, 100000000000000LL, 1000000000},
    {1000000000, 0, 100000000000000LL, 99999999999999LL, 999999999},
};

static void test_clawback(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CLAWBACK_CASES); i++) {
        const struct clawback_case *c = &CLAWBACK_CASES[i];
        char label[128];
        snprintf(label, sizeof label, "earned %lld clawed %lld paid %lld refunded %lld",
                 (long long)c->earned, (long long)c->clawed, (long long)c->paid,
                 (long long)c->refunded_total);
        UNIT_EQ_INT(label, refund_clawback(c->earned, c->clawed, c->paid, c->refunded_total),
                    c->expected);
    }
}

#define MAX_REFUNDS 6

struct sequence_case {
    const char *name;
    int64_t earned, paid;
    int64_t refunds[MAX_REFUNDS]; /* amounts, 0 ends the list */
    int64_t clawbacks[MAX_REFUNDS];
};

static const struct sequence_case SEQUENCE_CASES[] = {
    {"three thirds of an odd amount", 101, 1000, {333, 333, 334}, {33, 34, 34}},
    {"three thirds of 999", 100, 999, {333, 333, 333}, {33, 33, 34}},
    {"thirds of a tiny order", 7, 3, {1, 1, 1}, {2, 2, 3}},
    {"a point smaller than a refund", 1, 3, {1, 1, 1}, {0, 0, 1}},
    {"odd points, odd amounts", 997, 12345, {1234, 4321, 17, 6773}, {99, 349, 2, 547}},
    {"one cent at a time", 3, 5, {1, 1, 1, 1, 1}, {0, 1, 0, 1, 1}},
    {"whole refund at once", 250, 4999, {4999}, {250}},
    {"refund beyond the order", 50, 1000, {600, 600}, {30, 20}},
};

static void test_partial_refunds_add_up(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(SEQUENCE_CASES); i++) {
        const struct sequence_case *c = &SEQUENCE_CASES[i];
        int64_t refunded = 0, clawed = 0;
        for (size_t r = 0; r < MAX_REFUNDS && c->refunds[r] > 0; r++) {
            refunded += c->refunds[r];
            int64_t take = refund_clawback(c->earned, clawed, c->paid, refunded);
            char label[96];
            snprintf(label, sizeof label, "%s, refund %zu", c->name, r + 1);
            UNIT_EQ_INT(label, take, c->clawbacks[r]);
            clawed += take;
        }
        /* the whole order refunded in parts takes back exactly what it earned */
        UNIT_EQ_INT(c->name, clawed, c->earned);
    }
}

/* ---- what refunds by lines and by amount take back together ------------------------------ */

struct target_case {
    const char *name;
    struct refund_state state;
    int64_t earned, remaining_earned; /* remaining_earned: what the lines left earn */
    int64_t target, money_target;     /* money_target: of the same earned, by money alone */
};

/* An order of 2000 of lines (a mug earning 100, beans 150: 250) unless said otherwise; the state
 * is {gross, merchandise, paid, lines' gross, lines' units, refunded}. */
static const struct target_case TARGET_CASES[] = {
    {"nothing refunded", {2000, 2000, 2000, 0, 0, 0}, 250, 250, 0, 0},
    {"half by amount", {2000, 2000, 2000, 0, 0, 1000}, 250, 250, 125, 125},
    {"the mug by line", {2000, 2000, 2000, 1000, 1, 1000}, 250, 150, 100, 125},
    /* then 500 by amount: half of what the beans earn */
    {"mug, then 500", {2000, 2000, 2000, 1000, 1, 1500}, 250, 150, 175, 187},
    /* then the rest by amount: all the merchandise, all */
    {"mug, then the rest", {2000, 2000, 2000, 1000, 1, 2000}, 250, 150, 250, 250},
    /* 1000 by amount, then the beans: the mug's 100 on its 1000, covered */
    {"1000, then the beans", {2000, 2000, 2000, 1000, 1, 2000}, 250, 100, 250, 250},
    {"mug and 900, shipping paid", {2000, 2000, 2500, 1000, 1, 1900}, 250, 150, 235, 237},
    /* an amount counts as merchandise first, shipping or not */
    {"500 of 2500 paid", {2000, 2000, 2500, 0, 0, 500}, 250, 250, 62, 62},
    /* tax of 200 added on top: 1100 is half; a line gives back its tax */
    {"tax on top, 1100", {2000, 2200, 2200, 0, 0, 1100}, 220, 220, 110, 110},
    {"tax on top, a line", {2000, 2200, 2200, 1000, 1, 1100}, 220, 110, 110, 110},
    /* merchandise discounted to nothing: the shipping all refunded, or half of it */
    {"shipping alone, all", {1000, 0, 500, 0, 0, 500}, 50, 50, 50, 50},
    {"shipping alone, half", {1000, 0, 500, 0, 0, 250}, 50, 50, 0, 0},
    /* a free unit refunded by line takes back what it earned (a stamp) */
    {"a free unit", {380, 380, 380, 0, 1, 0}, 2, 1, 1, 0},
    /* a line refund recorded for less money than its share (before tax counted) */
    {"a line recorded short", {2000, 2200, 2200, 1000, 1, 1000}, 220, 110, 110, 100},
    {"nothing earned", {2000, 2000, 2000, 2000, 2, 2000}, 0, 0, 0, 0},
};

static void test_refund_targets(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(TARGET_CASES); i++) {
        const struct target_case *c = &TARGET_CASES[i];
        UNIT_EQ_INT(c->name, refund_target(&c->state, c->earned, c->remaining_earned), c->target);
        UNIT_EQ_INT(c->name, refund_money_target(&c->state, c->earned), c->money_target);
    }
}

/* Two refunds of the same order in either order end at the same target: by lines and by amount,
 * each taking what its cumulative target adds. */
static void test_refund_order_does_not_matter(void **state)
{
    (void)state;
    /* the beans (1000, earning 150 of 250) by line and 600 by amount */
    struct refund_state lines_first = {2000, 2000, 2000, 1000, 1, 1000};
    int64_t first = refund_target(&lines_first, 250, 100);
    lines_first.refunded += 600;
    int64_t both = refund_target(&lines_first, 250, 100);
    struct refund_state amount_first = {2000, 2000, 2000, 0, 0, 600};
    int64_t first_other = refund_target(&amount_first, 250, 250);
    amount_first.lines_gross = 1000;
    amount_first.lines_units = 1;
    amount_first.refunded += 1000;
    UNIT_EQ_INT("the beans first", first, 150);
    UNIT_EQ_INT("600 first", first_other, 75);
    UNIT_EQ_INT("both, either way", refund_target(&amount_first, 250, 100), both);
    UNIT_EQ_INT("150 + 100 x 600 / 1000", both, 210);
}

struct split_case {
    int64_t clawback, available;
    bool allow_negative;
    int64_t take, forgiven;
};

static const struct split_case SPLIT_CASES[] = {
    {100, 500, false, 100, 0}, {100, 100, false, 100, 0}, {100, 40, false, 40, 60},
    {100, 0, false, 0, 100},   {100, -20, false, 0, 100}, {0, 0, false, 0, 0},
    {100, 500, true, 100, 0},  {100, 40, true, 100, 0},   {100, -20, true, 100, 0},
};

static void test_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(SPLIT_CASES); i++) {
        const struct split_case *c = &SPLIT_CASES[i];
        char label[96];
        snprintf(label, sizeof label, "claw %lld of %lld, negative %s", (long long)c->clawback,
                 (long long)c->available, c->allow_negative ? "allowed" : "refused");
        int64_t take = -1, forgiven = -1;
        refund_split(c->clawback, c->available, c->allow_negative, &take, &forgiven);
        UNIT_EQ_INT(label, take, c->take);
        UNIT_EQ_INT(label, forgiven, c->forgiven);
        UNIT_EQ_INT(label, take + forgiven, c->clawback);
    }
}

/* A member earns 120 points on a 6000 order, spends 100 of them, then the order is refunded
 * in full: the programme's refund policy decides between a debt and forgiving the rest. */
static void test_refund_after_spending(void **state)
{
    (void)state;
    static const struct {
        const char *programme;
        int64_t balance_after, forgiven;
    } cases[] = {
        {"{'earning': {'points': 2, 'per_minor': 100}, "
         "'refunds': {'allow_negative_balance': true}}",
         -100, 0},
        {"{'earning': {'points': 2, 'per_minor': 100}, "
         "'refunds': {'allow_negative_balance': false}}",
         0, 100},
        {"{'earning': {'points': 2, 'per_minor': 100}}", 0, 100}, /* refused by default */
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct program *p = unit_program(cases[i].programme);
        int64_t earned = 120, balance = 120 - 100;
        int64_t clawback = refund_clawback(earned, 0, 6000, 6000);
        assert_int_equal(clawback, 120);
        int64_t take = 0, forgiven = 0;
        refund_split(clawback, balance, p->refund_allow_negative, &take, &forgiven);
        UNIT_EQ_INT(cases[i].programme, balance - take, cases[i].balance_after);
        UNIT_EQ_INT(cases[i].programme, forgiven, cases[i].forgiven);
        program_free(p);
    }
}

/* ---- what is left of an order after a refund by lines ------------------------------------ */

#define MAX_LINES 3

/* 2800 of lines, 280 discount, 400 shipping, 300 tax */
static const char ORDER[] =
    "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', 'at': '2026-03-03T09:00:00Z', "
    "'lines': [{'sku': 'A', 'quantity': 2, 'unit_price_minor': 1000}, "
    "          {'sku': 'B', 'quantity': 1, 'unit_price_minor': 500}, "
    "          {'sku': 'C', 'quantity': 3, 'unit_price_minor': 100}], "
    "'discount_minor': 280, 'shipping_minor': 400, 'tax_minor': 300}";

struct remaining_case {
    const char *name;
    int64_t units[MAX_LINES];
    const char *lines; /* "sku:quantity:amount ..." */
    int64_t discount, tax, basis;
};

static const struct remaining_case REMAINING_CASES[] = {
    {"nothing refunded", {0, 0, 0}, "A:2:2000 B:1:500 C:3:300", 280, 300, 2520},
    {"one unit of C", {0, 0, 1}, "A:2:2000 B:1:500 C:2:200", 270, 290, 2430},
    {"one A and the B", {1, 1, 0}, "A:1:1000 C:3:300", 130, 140, 1170},
    {"all but one C", {2, 1, 2}, "C:1:100", 10, 11, 90},
    {"everything", {2, 1, 3}, "", 0, 0, 0},
};

static void test_remaining_order(void **state)
{
    (void)state;
    struct program *p = unit_program("{'earning': {'points': 1, 'per_minor': 100}}");
    struct event *order = unit_event(ORDER, 0);
    for (size_t i = 0; i < N_ELEMENTS(REMAINING_CASES); i++) {
        const struct remaining_case *c = &REMAINING_CASES[i];
        struct event left;
        refund_remaining_order(order, c->units, &left);
        char text[128] = "";
        size_t n = 0;
        for (size_t k = 0; k < left.n_lines && n < sizeof text; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%s:%lld:%lld", k ? " " : "",
                                  left.lines[k].sku, (long long)left.lines[k].quantity,
                                  (long long)left.lines[k].amount_minor);
        UNIT_EQ_STR(c->name, text, c->lines);
        UNIT_EQ_INT(c->name, left.discount_minor, c->discount);
        UNIT_EQ_INT(c->name, left.tax_minor, c->tax);
        UNIT_EQ_INT(c->name, left.shipping_minor, 400); /* shipping is not refunded by lines */
        UNIT_EQ_STR(c->name, left.order_id, "o");
        UNIT_EQ_INT(c->name, earn_basis(p, &left), c->basis);
        UNIT_EQ_INT(c->name, left.lines != order->lines, 1);
        free(left.lines);
    }
    /* the order itself is untouched */
    assert_int_equal(order->n_lines, 3);
    assert_int_equal(order->lines[0].quantity, 2);
    assert_int_equal(order->lines[2].amount_minor, 300);
    assert_int_equal(order->discount_minor, 280);
    assert_int_equal(order->tax_minor, 300);
    event_free(order);
    program_free(p);
}

static void test_remaining_order_of_a_free_order(void **state)
{
    (void)state;
    struct event *order = unit_event("{'type': 'order', 'key': 'k', 'customer': 'c', "
                                     "'order_id': 'o', 'lines': [{'sku': 'GIFT', 'quantity': 2, "
                                     "'unit_price_minor': 0}]}",
                                     0);
    const int64_t units[] = {1};
    struct event left;
    refund_remaining_order(order, units, &left);
    assert_int_equal(left.n_lines, 1);
    assert_int_equal(left.lines[0].quantity, 1);
    assert_int_equal(left.discount_minor, 0);
    assert_int_equal(event_order_gross(&left), 0);
    free(left.lines);
    event_free(order);
}

/* A line refund's money is its share of the merchandise rounded down, so the lines left keep
 * the rest: their discount is the order's less the refunded lines' share rounded up. Rounded
 * down too, the lines left were a cent short of it and earned a point less when that cent
 * carried one (267 points, 66 refunded, 67 taken back instead of 66). */
static void test_remaining_order_keeps_the_merchandise_left(void **state)
{
    (void)state;
    struct program *p =
        unit_program("{'earning': {'points': 1, 'per_minor': 1, 'rounding': 'ceil', "
                     "'multipliers': [{'id': 'bb', 'name': 'B x2', 'factor_pct': "
                     "200, 'categories': ['b']}]}}");
    struct event *order = unit_event(
        "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', 'discount_minor': 100, "
        "'lines': [{'sku': 'A', 'category': 'a', 'quantity': 1, 'unit_price_minor': 100}, "
        "{'sku': 'B', 'category': 'b', 'quantity': 1, 'unit_price_minor': 100}, "
        "{'sku': 'C', 'category': 'a', 'quantity': 1, 'unit_price_minor': 100}]}",
        0);
    const int64_t units[] = {1, 0, 0};
    struct event left;
    refund_remaining_order(order, units, &left);
    assert_int_equal(refund_lines_money(300, 200, 100), 66);
    assert_int_equal(left.discount_minor, 66);
    assert_int_equal(event_order_paid(&left), 200 - 66);
    struct earn_context context = {0};
    struct earning whole, rest;
    earn_order(p, order, &context, &whole);
    earn_order(p, &left, &context, &rest);
    assert_int_equal(whole.points, 267);
    assert_int_equal(whole.points - rest.points, 66);
    earning_clear(&whole);
    earning_clear(&rest);
    free(left.lines);
    event_free(order);
    program_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clawback),
        cmocka_unit_test(test_remaining_order_keeps_the_merchandise_left),
        cmocka_unit_test(test_partial_refunds_add_up),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_refund_targets),
        cmocka_unit_test(test_refund_order_does_not_matter),
        cmocka_unit_test(test_refund_after_spending),
        cmocka_unit_test(test_remaining_order),
        cmocka_unit_test(test_remaining_order_of_a_free_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
