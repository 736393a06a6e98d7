/*
 * core/earn: every earning rule, one table. Each case is a programme and an order written as JSON
 * (parsed by the real parsers), the member's context, and the expected basis, points, breakdown,
 * stamps and cashback. The order's "at" is read in Europe/Paris (CET = UTC+1 in March).
 */
#include "core_support.h"

#include "core/earn.h"

/* ---- programmes -------------------------------------------------------------------------- */

#define RATE                      "'points': 1, 'per_minor': 100"
#define EARN(fields)              "{'earning': {" fields "}}"
#define EARN_WITH(fields, rest)   "{'earning': {" fields "}, " rest "}"
#define MULTIPLIER(body)          EARN(RATE ", 'multipliers': [" body "]")
#define MULTIPLIER_AT(rate, body) EARN(rate ", 'multipliers': [" body "]")

#define TUESDAY_DOUBLE                                                                             \
    MULTIPLIER("{'id': 'tue', 'name': 'Double points Tuesday', 'factor_pct': 200, "                \
               "'weekdays': ['tue']}")
#define AFTERNOON                                                                                  \
    MULTIPLIER("{'id': 'pm', 'factor_pct': 200, 'hours': {'from': '14:00', 'to': '16:00'}}")
#define NIGHT                                                                                      \
    MULTIPLIER("{'id': 'night', 'factor_pct': 200, 'hours': {'from': '22:00', 'to': '02:00'}}")
#define CAMPAIGN                                                                                   \
    MULTIPLIER("{'id': 'launch', 'factor_pct': 300, 'from': '2026-03-01T00:00:00Z', "              \
               "'until': '2026-03-08T00:00:00Z'}")
#define PERKS                                                                                      \
    EARN_WITH(RATE ", 'first_order_bonus': 100",                                                   \
              "'tiers': {'metric': 'spend', 'window': 'lifetime', 'levels': ["                     \
              "{'id': 'silver', 'threshold': 0}, "                                                 \
              "{'id': 'gold', 'threshold': 100000, 'multiplier_pct': 125}]}, "                     \
              "'vip_plans': [{'id': 'club', 'price_minor': 4900, 'period': 'year', "               \
              "'multiplier_pct': 150}]")
#define STAMP_CARDS                                                                                \
    EARN_WITH(RATE,                                                                                \
              "'stamp_cards': ["                                                                   \
              "{'id': 'visit', 'stamps_required': 10, 'reward': 'r'}, "                            \
              "{'id': 'over5', 'stamps_required': 10, 'reward': 'r', 'min_amount_minor': 500}, "   \
              "{'id': 'bread', 'stamps_required': 8, 'reward': 'r', 'categories': ['bread']}, "    \
              "{'id': 'coffee', 'stamps_required': 10, 'reward': 'r', 'per': 'unit', "             \
              " 'categories': ['coffee'], 'skus': ['BEANS']}, "                                    \
              "{'id': 'big', 'stamps_required': 5, 'reward': 'r', 'per': 'order_above', "          \
              " 'min_amount_minor': 1500}, "                                                       \
              "{'id': 'big-tea', 'stamps_required': 5, 'reward': 'r', 'per': 'order_above', "      \
              " 'min_amount_minor': 1000, 'skus': ['TEA']}], "                                     \
              "'rewards': [{'id': 'r', 'kind': 'experience'}]")
#define CASHBACK(bp) EARN_WITH(RATE, "'cashback': {'percent_bp': " #bp "}")

/* ---- orders ------------------------------------------------------------------------------ */

#define TUE "2026-03-03T09:00:00Z" /* Tuesday 10:00 in Paris */
#define WED "2026-03-04T09:00:00Z" /* Wednesday 10:00 */

#define ORDER_AT(at, rest)                                                                         \
    "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', 'at': '" at "', " rest "}"
#define ORDER(rest)  ORDER_AT(WED, rest)
#define LINES(lines) "'lines': [" lines "]"
#define LINE(sku, category, quantity, price)                                                       \
    "{'sku': '" sku "', 'category': '" category "', 'quantity': " #quantity                        \
    ", 'unit_price_minor': " #price "}"
#define ONE_LINE(price)        LINES(LINE("X", "misc", 1, price))
#define ONE_LINE_AT(at, price) ORDER_AT(at, ONE_LINE(price))
/* 10000 of lines, 2000 discount, 500 shipping, 1000 tax */
#define FULL_ORDER                                                                                 \
    ORDER(LINES(LINE("X", "misc", 2, 5000)) ", 'discount_minor': 2000, 'shipping_minor': 500, "    \
                                            "'tax_minor': 1000")

struct earn_case {
    const char *name;
    const char *programme;
    const char *order;
    bool first_order;
    const char *tier;
    const char *vip;
    int64_t basis;
    int64_t points;
    const char *parts;  /* "rule=points ..." in breakdown order */
    const char *stamps; /* "card=stamps ..."; NULL: none */
    int64_t cashback;
};

static const struct earn_case EARN_CASES[] = {
    /* base points and rounding */
    {.name = "floor 19.99",
     .programme = EARN(RATE ", 'rounding': 'floor'"),
     .order = ORDER(ONE_LINE(1999)),
     .basis = 1999,
     .points = 19,
     .parts = "base=19"},
    {.name = "floor is the default",
     .programme = EARN(RATE),
     .order = ORDER(ONE_LINE(1999)),
     .basis = 1999,
     .points = 19,
     .parts = "base=19"},
    {.name = "nearest 19.99",
     .programme = EARN(RATE ", 'rounding': 'nearest'"),
     .order = ORDER(ONE_LINE(1999)),
     .basis = 1999,
     .points = 20,
     .parts = "base=20"},
    {.name = "nearest 19.50 rounds up",
     .programme = EARN(RATE ", 'rounding': 'nearest'"),
     .order = ORDER(ONE_LINE(1950)),
     .basis = 1950,
     .points = 20,
     .parts = "base=20"},
    {.name = "nearest 19.49 rounds down",
     .programme = EARN(RATE ", 'rounding': 'nearest'"),
     .order = ORDER(ONE_LINE(1949)),
     .basis = 1949,
     .points = 19,
     .parts = "base=19"},
    {.name = "ceil 19.01",
     .programme = EARN(RATE ", 'rounding': 'ceil'"),
     .order = ORDER(ONE_LINE(1901)),
     .basis = 1901,
     .points = 20,
     .parts = "base=20"},
    {.name = "ceil of a whole number",
     .programme = EARN(RATE ", 'rounding': 'ceil'"),
     .order = ORDER(ONE_LINE(2000)),
     .basis = 2000,
     .points = 20,
     .parts = "base=20"},
    {.name = "1 per 1000, floor",
     .programme = EARN("'points': 1, 'per_minor': 1000"),
     .order = ORDER(ONE_LINE(2499)),
     .basis = 2499,
     .points = 2,
     .parts = "base=2"},
    {.name = "1 per 1000, nearest 2.499",
     .programme = EARN("'points': 1, 'per_minor': 1000, 'rounding': 'nearest'"),
     .order = ORDER(ONE_LINE(2499)),
     .basis = 2499,
     .points = 2,
     .parts = "base=2"},
    {.name = "1 per 1000, nearest 2.5",
     .programme = EARN("'points': 1, 'per_minor': 1000, 'rounding': 'nearest'"),
     .order = ORDER(ONE_LINE(2500)),
     .basis = 2500,
     .points = 3,
     .parts = "base=3"},
    {.name = "1 per 1000, ceil",
     .programme = EARN("'points': 1, 'per_minor': 1000, 'rounding': 'ceil'"),
     .order = ORDER(ONE_LINE(2499)),
     .basis = 2499,
     .points = 3,
     .parts = "base=3"},
    {.name = "1 per 1000, floor under one point",
     .programme = EARN("'points': 1, 'per_minor': 1000"),
     .order = ORDER(ONE_LINE(999)),
     .basis = 999,
     .points = 0,
     .parts = "base=0"},
    {.name = "1 per 1000, ceil under one point",
     .programme = EARN("'points': 1, 'per_minor': 1000, 'rounding': 'ceil'"),
     .order = ORDER(ONE_LINE(999)),
     .basis = 999,
     .points = 1,
     .parts = "base=1"},
    {.name = "10 per 100",
     .programme = EARN("'points': 10, 'per_minor': 100"),
     .order = ORDER(ONE_LINE(1234)),
     .basis = 1234,
     .points = 123,
     .parts = "base=123"},
    {.name = "3 per 250, ceil",
     .programme = EARN("'points': 3, 'per_minor': 250, 'rounding': 'ceil'"),
     .order = ORDER(ONE_LINE(1001)),
     .basis = 1001,
     .points = 13,
     .parts = "base=13"},
    {.name = "zero points per unit",
     .programme = EARN("'points': 0, 'per_minor': 100"),
     .order = ORDER(ONE_LINE(5000)),
     .basis = 5000,
     .points = 0,
     .parts = "base=0"},
    {.name = "zero points per unit: a first order's bonus still",
     .programme = EARN("'points': 0, 'per_minor': 100, 'first_order_bonus': 50"),
     .order = ORDER(ONE_LINE(380)),
     .first_order = true,
     .basis = 380,
     .points = 50,
     .parts = "base=0 first_order=50"},
    {.name = "a free order",
     .programme = EARN(RATE),
     .order = ORDER(ONE_LINE(0)),
     .basis = 0,
     .points = 0,
     .parts = "base=0"},
    {.name = "quantities multiply",
     .programme = EARN(RATE),
     .order = ORDER(LINES(LINE("A", "x", 3, 333) ", " LINE("B", "y", 2, 1000))),
     .basis = 2999,
     .points = 29,
     .parts = "base=29"},

    /* basis */
    {.name = "basis: after discounts, without shipping, with tax (default)",
     .programme = EARN(RATE),
     .order = FULL_ORDER,
     .basis = 8000,
     .points = 80,
     .parts = "base=80"},
    {.name = "basis: before discounts",
     .programme = EARN(RATE ", 'basis': {'after_discounts': false}"),
     .order = FULL_ORDER,
     .basis = 10000,
     .points = 100,
     .parts = "base=100"},
    {.name = "basis: with shipping",
     .programme = EARN(RATE ", 'basis': {'include_shipping': true}"),
     .order = FULL_ORDER,
     .basis = 8500,
     .points = 85,
     .parts = "base=85"},
    {.name = "basis: without tax",
     .programme = EARN(RATE ", 'basis': {'include_tax': false}"),
     .order = FULL_ORDER,
     .basis = 7000,
     .points = 70,
     .parts = "base=70"},
    {.name = "basis: before discounts, with shipping, without tax",
     .programme = EARN(RATE ", 'basis': {'after_discounts': false, 'include_shipping': true, "
                            "'include_tax': false}"),
     .order = FULL_ORDER,
     .basis = 9500,
     .points = 95,
     .parts = "base=95"},
    /* prices before tax: the tax, paid on top of them, counts only when the basis includes it */
    {.name = "basis: tax on top of the prices, included (default)",
     .programme = EARN(RATE),
     .order = ORDER(LINES(LINE("X", "misc", 2, 5000)) ", 'discount_minor': 2000, "
                                                      "'shipping_minor': 500, 'tax_minor': 1000, "
                                                      "'tax_included': false"),
     .basis = 9000,
     .points = 90,
     .parts = "base=90"},
    {.name = "basis: tax on top of the prices, without tax",
     .programme = EARN(RATE ", 'basis': {'include_tax': false}"),
     .order = ORDER(LINES(LINE("X", "misc", 2, 5000)) ", 'discount_minor': 2000, "
                                                      "'shipping_minor': 500, 'tax_minor': 1000, "
                                                      "'tax_included': false"),
     .basis = 8000,
     .points = 80,
     .parts = "base=80"},
    {.name = "basis: fully discounted order",
     .programme = EARN(RATE),
     .order = ORDER(ONE_LINE(1000) ", 'discount_minor': 1000"),
     .basis = 0,
     .points = 0,
     .parts = "base=0"},

    /* minimum order */
    {.name = "min order: one cent short",
     .programme = EARN(RATE ", 'min_order_minor': 1000"),
     .order = ORDER(ONE_LINE(999)),
     .basis = 999,
     .points = 0,
     .parts = "base=0"},
    {.name = "min order: exactly",
     .programme = EARN(RATE ", 'min_order_minor': 1000"),
     .order = ORDER(ONE_LINE(1000)),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "min order: on the basis, after the discount",
     .programme = EARN(RATE ", 'min_order_minor': 1000"),
     .order = ORDER(ONE_LINE(1200) ", 'discount_minor': 300"),
     .basis = 900,
     .points = 0,
     .parts = "base=0"},
    {.name = "min order: no first-order bonus either",
     .programme = EARN(RATE ", 'min_order_minor': 1000, 'first_order_bonus': 50"),
     .order = ORDER(ONE_LINE(999)),
     .first_order = true,
     .basis = 999,
     .points = 0,
     .parts = "base=0"},

    /* SKU and category multipliers */
    {.name = "SKU multiplier",
     .programme = MULTIPLIER("{'id': 'beans', 'factor_pct': 200, 'skus': ['BEANS']}"),
     .order = ORDER(LINES(LINE("BEANS", "retail", 1, 1000) ", " LINE("CUP", "retail", 1, 1000))),
     .basis = 2000,
     .points = 30,
     .parts = "base=20 multiplier:beans=10"},
    {.name = "SKU multiplier, no matching line",
     .programme = MULTIPLIER("{'id': 'beans', 'factor_pct': 200, 'skus': ['BEANS']}"),
     .order = ORDER(LINES(LINE("CUP", "retail", 2, 1000))),
     .basis = 2000,
     .points = 20,
     .parts = "base=20"},
    {.name = "category multiplier",
     .programme = MULTIPLIER("{'id': 'local', 'factor_pct': 150, 'categories': ['local']}"),
     .order = ORDER(LINES(LINE("B1", "local", 2, 1000) ", " LINE("B2", "import", 1, 1000))),
     .basis = 3000,
     .points = 40,
     .parts = "base=30 multiplier:local=10"},
    {.name = "SKU or category",
     .programme = MULTIPLIER("{'id': 'either', 'factor_pct': 200, 'skus': ['X'], "
                             "'categories': ['y']}"),
     .order = ORDER(
         LINES(LINE("X", "z", 1, 1000) ", " LINE("Q", "y", 1, 1000) ", " LINE("R", "z", 1, 1000))),
     .basis = 3000,
     .points = 50,
     .parts = "base=30 multiplier:either=20"},
    {.name = "line multiplier, order discount spread over lines",
     .programme = MULTIPLIER("{'id': 'a', 'factor_pct': 200, 'skus': ['A']}"),
     .order = ORDER(
         LINES(LINE("A", "x", 1, 6000) ", " LINE("B", "x", 1, 4000)) ", 'discount_minor': 1000"),
     .basis = 9000,
     .points = 144,
     .parts = "base=90 multiplier:a=54"},
    {.name = "line multiplier, odd discount, floor",
     .programme = MULTIPLIER("{'id': 'a', 'factor_pct': 200, 'skus': ['A']}"),
     .order = ORDER(
         LINES(LINE("A", "x", 1, 3333) ", " LINE("B", "x", 1, 6667)) ", 'discount_minor': 1001"),
     .basis = 8999,
     .points = 118,
     .parts = "base=89 multiplier:a=29"},
    {.name = "line multiplier, odd discount, nearest",
     .programme = EARN(RATE ", 'rounding': 'nearest', 'multipliers': [{'id': 'a', "
                            "'factor_pct': 200, 'skus': ['A']}]"),
     .order = ORDER(
         LINES(LINE("A", "x", 1, 3333) ", " LINE("B", "x", 1, 6667)) ", 'discount_minor': 1001"),
     .basis = 8999,
     .points = 120,
     .parts = "base=90 multiplier:a=30"},
    {.name = "line multiplier on a free order",
     .programme = MULTIPLIER("{'id': 'a', 'factor_pct': 200, 'skus': ['A']}"),
     .order = ORDER(LINES(LINE("A", "x", 1, 0))),
     .basis = 0,
     .points = 0,
     .parts = "base=0"},

    /* weekday: double points Tuesday */
    {.name = "Tuesday",
     .programme = TUESDAY_DOUBLE,
     .order = ONE_LINE_AT(TUE, 2500),
     .basis = 2500,
     .points = 50,
     .parts = "base=25 multiplier:tue=25"},
    {.name = "Wednesday",
     .programme = TUESDAY_DOUBLE,
     .order = ONE_LINE_AT(WED, 2500),
     .basis = 2500,
     .points = 25,
     .parts = "base=25"},
    {.name = "Monday in UTC, Tuesday 00:30 in Paris",
     .programme = TUESDAY_DOUBLE,
     .order = ONE_LINE_AT("2026-03-02T23:30:00Z", 2500),
     .basis = 2500,
     .points = 50,
     .parts = "base=25 multiplier:tue=25"},
    {.name = "Tuesday in UTC, Wednesday 00:30 in Paris",
     .programme = TUESDAY_DOUBLE,
     .order = ONE_LINE_AT("2026-03-03T23:30:00Z", 2500),
     .basis = 2500,
     .points = 25,
     .parts = "base=25"},
    {.name = "weekend list, Sunday",
     .programme = MULTIPLIER("{'id': 'we', 'factor_pct': 150, 'weekdays': ['sat', 'sun']}"),
     .order = ONE_LINE_AT("2026-03-08T10:00:00Z", 2000),
     .basis = 2000,
     .points = 30,
     .parts = "base=20 multiplier:we=10"},
    {.name = "weekend list, Monday",
     .programme = MULTIPLIER("{'id': 'we', 'factor_pct': 150, 'weekdays': ['sat', 'sun']}"),
     .order = ONE_LINE_AT("2026-03-09T10:00:00Z", 2000),
     .basis = 2000,
     .points = 20,
     .parts = "base=20"},

    /* hour window 14:00-16:00 local, end excluded */
    {.name = "14:00 local",
     .programme = AFTERNOON,
     .order = ONE_LINE_AT("2026-03-04T13:00:00Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:pm=10"},
    {.name = "15:59:59 local",
     .programme = AFTERNOON,
     .order = ONE_LINE_AT("2026-03-04T14:59:59Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:pm=10"},
    {.name = "16:00 local",
     .programme = AFTERNOON,
     .order = ONE_LINE_AT("2026-03-04T15:00:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "13:59 local",
     .programme = AFTERNOON,
     .order = ONE_LINE_AT("2026-03-04T12:59:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "14:00 UTC is 16:00 summer time",
     .programme = AFTERNOON,
     .order = ONE_LINE_AT("2026-07-08T14:00:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "12:00 UTC is 14:00 summer time",
     .programme = AFTERNOON,
     .order = ONE_LINE_AT("2026-07-08T12:00:00Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:pm=10"},

    /* hour window across midnight 22:00-02:00 */
    {.name = "21:59 local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-04T20:59:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "22:00 local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-04T21:00:00Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:night=10"},
    {.name = "23:30 local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-04T22:30:00Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:night=10"},
    {.name = "00:00 local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-04T23:00:00Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:night=10"},
    {.name = "01:59 local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-05T00:59:00Z", 1000),
     .basis = 1000,
     .points = 20,
     .parts = "base=10 multiplier:night=10"},
    {.name = "02:00 local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-05T01:00:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "noon local",
     .programme = NIGHT,
     .order = ONE_LINE_AT("2026-03-05T11:00:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},

    /* channel */
    {.name = "online order",
     .programme = MULTIPLIER("{'id': 'app', 'factor_pct': 120, 'channels': ['online']}"),
     .order = ORDER(ONE_LINE(1000) ", 'channel': 'online'"),
     .basis = 1000,
     .points = 12,
     .parts = "base=10 multiplier:app=2"},
    {.name = "store order",
     .programme = MULTIPLIER("{'id': 'app', 'factor_pct': 120, 'channels': ['online']}"),
     .order = ORDER(ONE_LINE(1000) ", 'channel': 'store'"),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "store is the default channel",
     .programme = MULTIPLIER("{'id': 'app', 'factor_pct': 120, 'channels': ['online']}"),
     .order = ORDER(ONE_LINE(1000)),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "both channels",
     .programme = MULTIPLIER("{'id': 'all', 'factor_pct': 120, 'channels': ['store', 'online']}"),
     .order = ORDER(ONE_LINE(1000)),
     .basis = 1000,
     .points = 12,
     .parts = "base=10 multiplier:all=2"},

    /* campaign [from, until) */
    {.name = "campaign: one second before",
     .programme = CAMPAIGN,
     .order = ONE_LINE_AT("2026-02-28T23:59:59Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "campaign: first second",
     .programme = CAMPAIGN,
     .order = ONE_LINE_AT("2026-03-01T00:00:00Z", 1000),
     .basis = 1000,
     .points = 30,
     .parts = "base=10 multiplier:launch=20"},
    {.name = "campaign: last second",
     .programme = CAMPAIGN,
     .order = ONE_LINE_AT("2026-03-07T23:59:59Z", 1000),
     .basis = 1000,
     .points = 30,
     .parts = "base=10 multiplier:launch=20"},
    {.name = "campaign: over",
     .programme = CAMPAIGN,
     .order = ONE_LINE_AT("2026-03-08T00:00:00Z", 1000),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "campaign without end",
     .programme = MULTIPLIER("{'id': 'new', 'factor_pct': 300, 'from': '2026-03-01T00:00:00Z'}"),
     .order = ONE_LINE_AT("2030-01-01T00:00:00Z", 1000),
     .basis = 1000,
     .points = 30,
     .parts = "base=10 multiplier:new=20"},
    {.name = "campaign without start",
     .programme = MULTIPLIER("{'id': 'old', 'factor_pct': 300, 'until': '2026-03-01T00:00:00Z'}"),
     .order = ONE_LINE_AT("2001-01-01T00:00:00Z", 1000),
     .basis = 1000,
     .points = 30,
     .parts = "base=10 multiplier:old=20"},

    /* tier and VIP perks, first order */
    {.name = "gold tier perk",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .tier = "gold",
     .basis = 4000,
     .points = 50,
     .parts = "base=40 tier:gold=10"},
    {.name = "tier without a multiplier",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .tier = "silver",
     .basis = 4000,
     .points = 40,
     .parts = "base=40"},
    {.name = "no tier",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .tier = "",
     .basis = 4000,
     .points = 40,
     .parts = "base=40"},
    {.name = "unknown tier",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .tier = "platinum",
     .basis = 4000,
     .points = 40,
     .parts = "base=40"},
    {.name = "VIP perk",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .vip = "club",
     .basis = 4000,
     .points = 60,
     .parts = "base=40 vip:club=20"},
    {.name = "no VIP plan",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .vip = "",
     .basis = 4000,
     .points = 40,
     .parts = "base=40"},
    {.name = "first order bonus",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .first_order = true,
     .basis = 4000,
     .points = 140,
     .parts = "base=40 first_order=100"},
    {.name = "tier, VIP and first order together",
     .programme = PERKS,
     .order = ORDER(ONE_LINE(4000)),
     .first_order = true,
     .tier = "gold",
     .vip = "club",
     .basis = 4000,
     .points = 170,
     .parts = "base=40 tier:gold=10 vip:club=20 first_order=100"},

    /* everything at once: each part rounded once, the parts add up to the total */
    {.name = "every rule at once",
     .programme =
         EARN_WITH(RATE ", 'rounding': 'nearest', 'first_order_bonus': 50, 'multipliers': ["
                        "{'id': 'tue', 'factor_pct': 200, 'weekdays': ['tue']}, "
                        "{'id': 'a-line', 'factor_pct': 150, 'skus': ['A']}, "
                        "{'id': 'online', 'factor_pct': 300, 'channels': ['online']}]",
                   "'tiers': {'metric': 'spend', 'window': 'lifetime', 'levels': ["
                   "{'id': 'gold', 'threshold': 0, 'multiplier_pct': 125}]}, "
                   "'vip_plans': [{'id': 'club', 'price_minor': 1, 'period': 'month', "
                   "'multiplier_pct': 150}], 'cashback': {'percent_bp': 150}"),
     .order = ORDER_AT(
         TUE, LINES(LINE("A", "x", 1, 1234) ", " LINE("B", "y", 1, 2345)) ", 'discount_minor': 99"),
     .first_order = true,
     .tier = "gold",
     .vip = "club",
     .basis = 3480,
     .points = 152,
     .parts = "base=35 multiplier:tue=35 multiplier:a-line=6 tier:gold=9 vip:club=17 "
              "first_order=50",
     .cashback = 52},

    /* multipliers under 100% never make earning negative */
    {.name = "half points",
     .programme = MULTIPLIER("{'id': 'half', 'factor_pct': 50}"),
     .order = ORDER(ONE_LINE(1000)),
     .basis = 1000,
     .points = 5,
     .parts = "base=10 multiplier:half=-5"},
    {.name = "a 100% multiplier adds no part",
     .programme = MULTIPLIER("{'id': 'same', 'factor_pct': 100}"),
     .order = ORDER(ONE_LINE(1000)),
     .basis = 1000,
     .points = 10,
     .parts = "base=10"},
    {.name = "negative total floored at zero",
     .programme = MULTIPLIER("{'id': 'z1', 'factor_pct': 0}, {'id': 'z2', 'factor_pct': 0}"),
     .order = ORDER(ONE_LINE(1000)),
     .basis = 1000,
     .points = 0,
     .parts = "base=10 multiplier:z1=-10 multiplier:z2=-10 floor=10"},

    /* stamp cards: per order, per unit, order above an amount; SKU and category filters */
    {.name = "stamps: coffee, bread and a big order",
     .programme = STAMP_CARDS,
     .order = ORDER(LINES(LINE("ESP", "coffee", 3, 250) ", " LINE(
         "LATTE", "coffee", 2, 400) ", " LINE("BAGUETTE", "bread", 1, 120))),
     .basis = 1670,
     .points = 16,
     .parts = "base=16",
     .stamps = "visit=1 over5=1 bread=1 coffee=5 big=1"},
    {.name = "stamps: SKU filters",
     .programme = STAMP_CARDS,
     .order = ORDER(LINES(LINE("TEA", "tea", 2, 500) ", " LINE("BEANS", "retail", 1, 400))),
     .basis = 1400,
     .points = 14,
     .parts = "base=14",
     .stamps = "visit=1 over5=1 coffee=1 big-tea=1"},
    {.name = "stamps: order above, exactly the amount",
     .programme = STAMP_CARDS,
     .order = ORDER(ONE_LINE(1500)),
     .basis = 1500,
     .points = 15,
     .parts = "base=15",
     .stamps = "visit=1 over5=1 big=1"},
    {.name = "stamps: order above, one cent short after discount",
     .programme = STAMP_CARDS,
     .order = ORDER(ONE_LINE(1600) ", 'discount_minor': 101"),
     .basis = 1499,
     .points = 14,
     .parts = "base=14",
     .stamps = "visit=1 over5=1"},
    {.name = "stamps: per order below its minimum",
     .programme = STAMP_CARDS,
     .order = ORDER(ONE_LINE(499)),
     .basis = 499,
     .points = 4,
     .parts = "base=4",
     .stamps = "visit=1"},
    {.name = "stamps: order above with a SKU filter and no match",
     .programme = STAMP_CARDS,
     .order = ORDER(LINES(LINE("CAKE", "pastry", 1, 5000))),
     .basis = 5000,
     .points = 50,
     .parts = "base=50",
     .stamps = "visit=1 over5=1 big=1"},

    /* cashback in basis points of the basis, rounded down */
    {.name = "cashback 1%",
     .programme = CASHBACK(100),
     .order = ORDER(ONE_LINE(12345)),
     .basis = 12345,
     .points = 123,
     .parts = "base=123",
     .cashback = 123},
    {.name = "cashback 2.5%",
     .programme = CASHBACK(250),
     .order = ORDER(ONE_LINE(999)),
     .basis = 999,
     .points = 9,
     .parts = "base=9",
     .cashback = 24},
    {.name = "cashback 100%",
     .programme = CASHBACK(10000),
     .order = ORDER(ONE_LINE(999)),
     .basis = 999,
     .points = 9,
     .parts = "base=9",
     .cashback = 999},
    {.name = "cashback on the basis",
     .programme = CASHBACK(100),
     .order = FULL_ORDER,
     .basis = 8000,
     .points = 80,
     .parts = "base=80",
     .cashback = 80},
    {.name = "no cashback",
     .programme = CASHBACK(0),
     .order = ORDER(ONE_LINE(12345)),
     .basis = 12345,
     .points = 123,
     .parts = "base=123",
     .cashback = 0},
};

static void render_parts(const struct earning *e, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < e->n_parts && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s=%lld", i ? " " : "", e->parts[i].rule,
                              (long long)e->parts[i].points);
}

static void render_stamps(const struct program *p, const struct earning *e, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < e->n_stamps && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s=%lld", i ? " " : "",
                              p->stamp_cards[e->stamps[i].card_index].id,
                              (long long)e->stamps[i].stamps);
}

static void test_earning_rules(void **state)
{
    (void)state;
    struct fid_tz *paris = NULL;
    struct fid_error err;
    assert_int_equal(fid_tz_open("Europe/Paris", &paris, &err), FID_OK);
    for (size_t i = 0; i < N_ELEMENTS(EARN_CASES); i++) {
        const struct earn_case *c = &EARN_CASES[i];
        struct program *p = unit_program(c->programme);
        struct event *order = unit_event(c->order, 0);
        struct earn_context ctx = {
            .first_order = c->first_order, .tier_id = c->tier, .vip_plan_id = c->vip};
        fid_tz_local(paris, order->at, &ctx.local);
        struct earning e;
        earn_order(p, order, &ctx, &e);

        UNIT_EQ_INT(c->name, e.basis_minor, c->basis);
        UNIT_EQ_INT(c->name, earn_basis(p, order), c->basis);
        UNIT_EQ_INT(c->name, e.points, c->points);
        char text[512];
        render_parts(&e, text, sizeof text);
        UNIT_EQ_STR(c->name, text, c->parts);
        render_stamps(p, &e, text, sizeof text);
        UNIT_EQ_STR(c->name, text, c->stamps ? c->stamps : "");
        UNIT_EQ_INT(c->name, e.cashback_minor, c->cashback);

        /* the breakdown explains every point */
        int64_t sum = 0;
        for (size_t k = 0; k < e.n_parts; k++)
            sum += e.parts[k].points;
        UNIT_EQ_INT(c->name, sum, e.points);
        UNIT_EQ_INT(c->name, e.points >= 0, 1);
        UNIT_EQ_STR(c->name, e.parts[0].rule, "base");

        earning_clear(&e);
        event_free(order);
        program_free(p);
    }
    fid_tz_free(paris);
}

static void test_breakdown_json(void **state)
{
    (void)state;
    struct program *p = unit_program(
        EARN_WITH(RATE ", 'first_order_bonus': 7, 'multipliers': [{'id': 'tue', 'name': "
                       "'Double points Tuesday', 'factor_pct': 200, 'weekdays': ['tue']}]",
                  "'tiers': {'metric': 'spend', 'window': 'lifetime', 'levels': [{'id': 'gold', "
                  "'name': 'Gold', 'threshold': 0, 'multiplier_pct': 150}]}"));
    struct event *order = unit_event(ONE_LINE_AT(TUE, 4000), 0);
    struct earn_context ctx = {.first_order = true, .tier_id = "gold", .vip_plan_id = ""};
    ctx.local.weekday = 1; /* Tuesday */
    struct earning e;
    earn_order(p, order, &ctx, &e);
    assert_int_equal(e.points, 40 + 40 + 20 + 7);
    struct jsonw w;
    jsonw_init(&w);
    earning_breakdown_write(&e, &w);
    char *text = jsonw_detach(&w);
    assert_string_equal(text,
                        "[{\"rule\":\"base\",\"label\":\"Base points\",\"points\":40},"
                        "{\"rule\":\"multiplier:tue\",\"label\":\"Double points Tuesday\","
                        "\"points\":40},"
                        "{\"rule\":\"tier:gold\",\"label\":\"Gold tier bonus\",\"points\":20},"
                        "{\"rule\":\"first_order\",\"label\":\"First order bonus\",\"points\":7}]");
    free(text);
    earning_clear(&e);
    assert_int_equal(e.n_parts, 0);
    assert_null(e.parts);
    /* in French: the engine's own lines, the merchant's names as written */
    ctx.labels = labels_for("fr");
    earn_order(p, order, &ctx, &e);
    jsonw_init(&w);
    earning_breakdown_write(&e, &w);
    text = jsonw_detach(&w);
    assert_string_equal(text,
                        "[{\"rule\":\"base\",\"label\":\"Points de base\",\"points\":40},"
                        "{\"rule\":\"multiplier:tue\",\"label\":\"Double points Tuesday\","
                        "\"points\":40},"
                        "{\"rule\":\"tier:gold\",\"label\":\"Bonus niveau Gold\",\"points\":20},"
                        "{\"rule\":\"first_order\",\"label\":\"Bonus de première commande\","
                        "\"points\":7}]");
    free(text);
    earning_clear(&e);
    event_free(order);
    program_free(p);
}

/* The largest valid orders and rates: results are exact where they fit, parts are bounded by
 * EARN_PART_MAX, and nothing overflows (the sanitizer build checks). */
static void test_extreme_amounts(void **state)
{
    (void)state;
    static const char order_text[] = ORDER(LINES(LINE("A", "x", 1, 60000000000000) ", " LINE(
        "B", "x", 1, 40000000000000)) ", 'discount_minor': 1");
    static const struct {
        const char *programme;
        int64_t points;
        const char *parts;
    } cases[] = {
        /* one point per 1000 minor units, written two ways: the same exact result */
        {MULTIPLIER_AT("'points': 1, 'per_minor': 1000", "{'id': 'a', 'factor_pct': 10000, "
                                                         "'skus': ['A']}"),
         6039999999998, "base=99999999999 multiplier:a=5939999999999"},
        {MULTIPLIER_AT("'points': 1000000000, 'per_minor': 1000000000000",
                       "{'id': 'a', 'factor_pct': 10000, 'skus': ['A']}"),
         6039999999998, "base=99999999999 multiplier:a=5939999999999"},
        /* a billion points per cent: every part at its bound */
        {MULTIPLIER_AT("'points': 1000000000, 'per_minor': 1",
                       "{'id': 'a', 'factor_pct': 10000, 'skus': ['A']}"),
         2 * EARN_PART_MAX, "base=9007199254740991 multiplier:a=9007199254740991"},
        {MULTIPLIER_AT("'points': 1000000000, 'per_minor': 1",
                       "{'id': 'z1', 'factor_pct': 0}, {'id': 'z2', 'factor_pct': 0}, "
                       "{'id': 'z3', 'factor_pct': 0}"),
         0,
         "base=9007199254740991 multiplier:z1=-9007199254740991 multiplier:z2=-9007199254740991 "
         "multiplier:z3=-9007199254740991 floor=18014398509481982"},
    };
    struct event *order = unit_event(order_text, 0);
    struct earn_context ctx = {.tier_id = "", .vip_plan_id = ""};
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct program *p = unit_program(cases[i].programme);
        struct earning e;
        earn_order(p, order, &ctx, &e);
        char text[512];
        render_parts(&e, text, sizeof text);
        UNIT_EQ_STR(cases[i].programme, text, cases[i].parts);
        UNIT_EQ_INT(cases[i].programme, e.points, cases[i].points);
        earning_clear(&e);
        program_free(p);
    }
    event_free(order);
}

struct applies_case {
    const char *name;
    const char *multiplier;
    const char *order;
    int weekday, hour, minute; /* the order's local time */
    bool applies;
};

static const struct applies_case APPLIES_CASES[] = {
    {"no condition", "{'id': 'm', 'factor_pct': 200}", ORDER(ONE_LINE(1)), 0, 0, 0, true},
    {"weekday matches", "{'id': 'm', 'factor_pct': 200, 'weekdays': ['sun']}", ORDER(ONE_LINE(1)),
     6, 12, 0, true},
    {"weekday differs", "{'id': 'm', 'factor_pct': 200, 'weekdays': ['sun']}", ORDER(ONE_LINE(1)),
     5, 12, 0, false},
    {"window start", "{'id': 'm', 'factor_pct': 200, 'hours': {'from': '07:00', 'to': '09:00'}}",
     ORDER(ONE_LINE(1)), 0, 7, 0, true},
    {"window end", "{'id': 'm', 'factor_pct': 200, 'hours': {'from': '07:00', 'to': '09:00'}}",
     ORDER(ONE_LINE(1)), 0, 9, 0, false},
    {"window to midnight",
     "{'id': 'm', 'factor_pct': 200, 'hours': {'from': '20:00', 'to': '24:00'}}",
     ORDER(ONE_LINE(1)), 0, 23, 59, true},
    {"window to midnight, after",
     "{'id': 'm', 'factor_pct': 200, 'hours': {'from': '20:00', "
     "'to': '24:00'}}",
     ORDER(ONE_LINE(1)), 0, 0, 0, false},
    {"window across midnight, day and hour both checked",
     "{'id': 'm', 'factor_pct': 200, 'weekdays': ['fri'], 'hours': {'from': '22:00', 'to': "
     "'02:00'}}",
     ORDER(ONE_LINE(1)), 4, 23, 0, true},
    {"window across midnight: its tail belongs to the day it began (Friday night, Saturday 01:30)",
     "{'id': 'm', 'factor_pct': 200, 'weekdays': ['fri'], 'hours': {'from': '22:00', 'to': "
     "'02:00'}}",
     ORDER(ONE_LINE(1)), 5, 1, 30, true},
    {"window across midnight: Friday 01:30 is Thursday night's tail",
     "{'id': 'm', 'factor_pct': 200, 'weekdays': ['fri'], 'hours': {'from': '22:00', 'to': "
     "'02:00'}}",
     ORDER(ONE_LINE(1)), 4, 1, 30, false},
    {"window across midnight: its end",
     "{'id': 'm', 'factor_pct': 200, 'weekdays': ['fri'], 'hours': {'from': '22:00', 'to': "
     "'02:00'}}",
     ORDER(ONE_LINE(1)), 5, 2, 0, false},
    {"window across midnight: Sunday night's tail is Monday morning (the week wraps)",
     "{'id': 'm', 'factor_pct': 200, 'weekdays': ['sun'], 'hours': {'from': '22:00', 'to': "
     "'02:00'}}",
     ORDER(ONE_LINE(1)), 0, 0, 0, true},
    {"window across midnight, between its end and start",
     "{'id': 'm', 'factor_pct': 200, 'hours': {'from': '22:00', 'to': '02:00'}}",
     ORDER(ONE_LINE(1)), 3, 12, 0, false},
    {"channel", "{'id': 'm', 'factor_pct': 200, 'channels': ['online']}",
     ORDER(ONE_LINE(1) ", 'channel': 'online'"), 0, 0, 0, true},
};

static void test_multiplier_applies(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(APPLIES_CASES); i++) {
        const struct applies_case *c = &APPLIES_CASES[i];
        char text[512];
        snprintf(text, sizeof text, "{'earning': {%s, 'multipliers': [%s]}}", RATE, c->multiplier);
        struct program *p = unit_program(text);
        struct event *order = unit_event(c->order, 0);
        struct fid_local local = {.year = 2026,
                                  .month = 3,
                                  .day = 4,
                                  .hour = c->hour,
                                  .minute = c->minute,
                                  .weekday = c->weekday};
        UNIT_EQ_INT(c->name, earn_multiplier_applies(&p->earning.multipliers[0], order, &local),
                    c->applies);
        event_free(order);
        program_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_earning_rules),
        cmocka_unit_test(test_breakdown_json),
        cmocka_unit_test(test_extreme_amounts),
        cmocka_unit_test(test_multiplier_applies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
