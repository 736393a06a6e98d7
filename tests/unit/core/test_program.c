/*
 * core/program: defaults, every field of a full document, look-ups, and a table of bad documents
 * each refused with the JSON pointer of the bad field.
 */
#include "core_support.h"

#include "core/templates.h"
#include "util/timeutil.h"

#define EARNING "'earning': {'points': 1, 'per_minor': 100}"

static void test_minimal_document_defaults(void **state)
{
    (void)state;
    struct program *p = unit_program("{" EARNING "}");
    assert_int_equal(p->version, 0);
    assert_int_equal(p->earning.points, 1);
    assert_int_equal(p->earning.per_minor, 100);
    assert_int_equal(p->earning.rounding, ROUND_FLOOR);
    assert_true(p->earning.after_discounts);
    assert_false(p->earning.include_shipping);
    assert_true(p->earning.include_tax);
    assert_int_equal(p->earning.min_order_minor, 0);
    assert_int_equal(p->earning.first_order_bonus, 0);
    assert_int_equal(p->earning.n_multipliers, 0);
    assert_int_equal(p->enrolment.bonus_points, 0);
    assert_int_equal(p->enrolment.quick_hours, 24);
    assert_false(p->enrolment.credit_past_orders);
    assert_int_equal(p->n_stamp_cards, 0);
    assert_int_equal(p->tiers.n_levels, 0);
    assert_int_equal(p->n_vip_plans, 0);
    assert_int_equal(p->n_rewards, 0);
    assert_int_equal(p->expiry.mode, EXPIRY_NONE);
    assert_int_equal(p->pending_days, 0);
    assert_int_equal(p->vouchers_per_order, 0); /* no limit */
    assert_false(p->refund_allow_negative);
    assert_int_equal(p->cashback_bp, 0);
    /* the stored text is compact with sorted keys */
    assert_string_equal(p->text, "{\"earning\":{\"per_minor\":100,\"points\":1}}");
    assert_int_equal(program_tier_rank(p, "gold"), -1);
    assert_null(program_tier(p, "gold"));
    assert_null(program_reward(p, "x"));
    program_free(p);
    program_free(NULL);
}

static const char FULL[] =
    "{'description': 'Every field',"
    " 'earning': {'points': 3, 'per_minor': 250, 'rounding': 'ceil',"
    "   'basis': {'after_discounts': false, 'include_shipping': true, 'include_tax': false},"
    "   'min_order_minor': 500, 'first_order_bonus': 40,"
    "   'multipliers': ["
    "     {'id': 'late', 'name': 'Night owls', 'factor_pct': 200, 'weekdays': ['tue', 'sun'],"
    "      'hours': {'from': '22:00', 'to': '02:00'}, 'channels': ['online'],"
    "      'skus': ['A', 'B'], 'categories': ['c'],"
    "      'from': '2026-03-01T00:00:00Z', 'until': '2026-04-01T00:00:00+02:00'},"
    "     {'id': 'all', 'factor_pct': 150, 'hours': {'from': '00:00', 'to': '24:00'}}]},"
    " 'enrolment': {'bonus_points': 10, 'quick_hours': 48, 'credit_past_orders': true},"
    " 'stamp_cards': [{'id': 'coffee', 'stamps_required': 10, 'reward': 'free-coffee',"
    "   'per': 'order_above', 'min_amount_minor': 300, 'skus': ['ESP']},"
    "   {'id': 'tea', 'stamps_required': 6, 'reward': 'gold-only', 'per': 'unit',"
    "    'categories': ['tea']}],"
    " 'tiers': {'metric': 'points', 'window': 'lifetime', 'grace_days': 5, 'levels': ["
    "   {'id': 'silver', 'threshold': 100},"
    "   {'id': 'gold', 'name': 'Gold', 'threshold': 500, 'multiplier_pct': 125,"
    "    'benefits': ['Lounge', 'Parking']}]},"
    " 'vip_plans': [{'id': 'club', 'price_minor': 4900, 'period': 'month', 'multiplier_pct': 150,"
    "   'welcome_reward': 'free-coffee', 'free_delivery': true, 'benefits': ['Tasting']}],"
    " 'rewards': [{'id': 'free-coffee', 'kind': 'free_product', 'sku': 'ESP', 'cost_stamps': 8,"
    "   'stamp_card': 'coffee'},"
    "   {'id': 'gold-only', 'name': 'Gold gift', 'kind': 'percent_discount', 'percent': 15,"
    "    'cost_points': 900, 'tiers': ['gold'], 'vip_only': true, 'stock': 0, 'valid_days': 30},"
    "   {'id': 'spend-cashback', 'kind': 'fixed_discount', 'value_minor': 1000,"
    "    'cost_cashback_minor': 1000}],"
    " 'expiry': {'mode': 'per_lot', 'months': 12},"
    " 'pending_days': 14,"
    " 'refunds': {'allow_negative_balance': true},"
    " 'cashback': {'percent_bp': 250}}";

static void test_full_document(void **state)
{
    (void)state;
    struct program *p = unit_program(FULL);
    assert_int_equal(p->earning.points, 3);
    assert_int_equal(p->earning.per_minor, 250);
    assert_int_equal(p->earning.rounding, ROUND_CEIL);
    assert_false(p->earning.after_discounts);
    assert_true(p->earning.include_shipping);
    assert_false(p->earning.include_tax);
    assert_int_equal(p->earning.min_order_minor, 500);
    assert_int_equal(p->earning.first_order_bonus, 40);
    assert_int_equal(p->earning.n_multipliers, 2);

    const struct multiplier *m = &p->earning.multipliers[0];
    assert_string_equal(m->id, "late");
    assert_string_equal(m->name, "Night owls");
    assert_int_equal(m->factor_pct, 200);
    assert_int_equal(m->weekdays, (1u << 1) | (1u << 6));
    assert_int_equal(m->from_minute, 22 * 60);
    assert_int_equal(m->to_minute, 2 * 60);
    assert_int_equal(m->channels, 1u << CHANNEL_ONLINE);
    assert_int_equal(m->skus.count, 2);
    assert_true(string_list_contains(&m->skus, "B"));
    assert_false(string_list_contains(&m->skus, "b"));
    assert_true(string_list_contains(&m->categories, "c"));
    UNIT_EQ_TIME("from", m->starts_at, "2026-03-01T00:00:00Z");
    UNIT_EQ_TIME("until", m->ends_at, "2026-03-31T22:00:00Z");
    const struct multiplier *all = &p->earning.multipliers[1];
    assert_string_equal(all->name, "all"); /* the name defaults to the id */
    assert_int_equal(all->weekdays, 0);
    assert_int_equal(all->channels, 0);
    assert_int_equal(all->from_minute, 0);
    assert_int_equal(all->to_minute, 24 * 60);
    assert_int_equal(all->starts_at, 0);
    assert_int_equal(all->ends_at, 0);

    assert_int_equal(p->enrolment.bonus_points, 10);
    assert_int_equal(p->enrolment.quick_bonus_points, 10); /* defaults to bonus_points */
    assert_int_equal(p->enrolment.quick_hours, 48);
    assert_true(p->enrolment.credit_past_orders);

    assert_int_equal(p->n_stamp_cards, 2);
    const struct stamp_card *card = program_stamp_card(p, "coffee");
    assert_ptr_equal(card, &p->stamp_cards[0]);
    assert_int_equal(card->stamps_required, 10);
    assert_string_equal(card->reward_id, "free-coffee");
    assert_int_equal(card->rule, STAMP_PER_ORDER_ABOVE);
    assert_int_equal(card->min_amount_minor, 300);
    assert_true(string_list_contains(&card->skus, "ESP"));
    assert_int_equal(program_stamp_card(p, "tea")->rule, STAMP_PER_UNIT);
    assert_null(program_stamp_card(p, "bread"));

    assert_int_equal(p->tiers.metric, TIER_METRIC_POINTS);
    assert_int_equal(p->tiers.window, TIER_WINDOW_LIFETIME);
    assert_int_equal(p->tiers.grace_days, 5);
    assert_int_equal(p->tiers.n_levels, 2);
    assert_int_equal(program_tier_rank(p, "silver"), 0);
    assert_int_equal(program_tier_rank(p, "gold"), 1);
    assert_int_equal(program_tier_rank(p, ""), -1);
    assert_int_equal(program_tier_rank(p, NULL), -1);
    assert_int_equal(program_tier_rank(p, "Gold"), -1);
    const struct tier_level *gold = program_tier(p, "gold");
    assert_int_equal(gold->threshold, 500);
    assert_int_equal(gold->perks.multiplier_pct, 125);
    assert_int_equal(gold->perks.benefits.count, 2);
    assert_string_equal(gold->perks.benefits.items[1], "Parking");
    assert_string_equal(program_tier(p, "silver")->name, "silver");
    assert_int_equal(program_tier(p, "silver")->perks.multiplier_pct, 100);

    const struct vip_plan *club = program_vip_plan(p, "club");
    assert_non_null(club);
    assert_int_equal(club->price_minor, 4900);
    assert_int_equal(club->period, VIP_PERIOD_MONTH);
    assert_string_equal(club->welcome_reward, "free-coffee");
    assert_true(club->free_delivery);
    assert_int_equal(club->perks.multiplier_pct, 150);
    assert_null(program_vip_plan(p, "gold"));

    const struct reward *coffee = program_reward(p, "free-coffee");
    assert_int_equal(coffee->kind, REWARD_FREE_PRODUCT);
    assert_int_equal(coffee->cost_points, 0);
    assert_int_equal(coffee->cost_stamps, 8);
    assert_string_equal(coffee->stamp_card, "coffee");
    assert_string_equal(coffee->sku, "ESP");
    assert_int_equal(coffee->stock, -1);
    assert_int_equal(coffee->valid_days, 90);
    assert_false(coffee->vip_only);
    const struct reward *gift = program_reward(p, "gold-only");
    assert_int_equal(gift->kind, REWARD_PERCENT_DISCOUNT);
    assert_int_equal(gift->percent, 15);
    assert_int_equal(gift->cost_points, 900);
    assert_true(string_list_contains(&gift->tiers, "gold"));
    assert_true(gift->vip_only);
    assert_int_equal(gift->stock, 0);
    assert_int_equal(gift->valid_days, 30);
    assert_int_equal(gift->cost_cashback_minor, 0);
    const struct reward *spend = program_reward(p, "spend-cashback");
    assert_int_equal(spend->cost_cashback_minor, 1000);
    assert_int_equal(spend->cost_points, 0);
    assert_int_equal(spend->value_minor, 1000);
    assert_int_equal(p->n_rewards, 3);

    assert_int_equal(p->expiry.mode, EXPIRY_PER_LOT);
    assert_int_equal(p->expiry.months, 12);
    assert_int_equal(p->pending_days, 14);
    assert_true(p->refund_allow_negative);
    assert_int_equal(p->cashback_bp, 250);
    assert_non_null(strstr(p->text, "\"cashback\":{\"percent_bp\":250}"));
    program_free(p);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const kinds[] = {"fixed_discount", "percent_discount", "free_product",
                                        "free_delivery",  "experience",       "partner_offer",
                                        "cashback_credit"};
    for (int k = REWARD_FIXED_DISCOUNT; k <= REWARD_CASHBACK_CREDIT; k++)
        UNIT_EQ_STR(kinds[k], reward_kind_name((enum reward_kind)k), kinds[k]);
    assert_string_equal(channel_name(CHANNEL_STORE), "store");
    assert_string_equal(channel_name(CHANNEL_ONLINE), "online");
}

static void test_same_programme_same_text(void **state)
{
    (void)state;
    struct program *a = unit_program("{'pending_days': 3, " EARNING "}");
    struct program *b = unit_program("{\n  'earning' : { 'per_minor' : 100 , 'points' : 1 } ,\n"
                                     "  'pending_days' : 3\n}");
    assert_string_equal(a->text, b->text);
    program_free(a);
    program_free(b);
}

static void test_every_template_parses(void **state)
{
    (void)state;
    size_t n = 0;
    for (const char *const *name = TEMPLATE_NAMES; *name; name++, n++) {
        const char *text = template_program(*name);
        assert_non_null(text);
        struct program *p = NULL;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = program_parse_text(text, strlen(text), &p, &err);
        if (st != FID_OK)
            print_error("template %s refused at %s: %s\n", *name, err.field, err.message);
        UNIT_EQ_INT(*name, st, FID_OK);
        program_free(p);
    }
    assert_int_equal(n, 4);
}

/* ---- bad documents ----------------------------------------------------------------------- */

struct bad_case {
    const char *name;
    const char *json;
    enum fid_status status;
    const char *field;
};

#define MULT(body)    "{'earning': {'points': 1, 'per_minor': 100, 'multipliers': [" body "]}}"
#define REWARDS(body) "{" EARNING ", 'rewards': [" body "]}"
#define TIERS(body)   "{" EARNING ", 'tiers': {" body "}}"
#define LEVELS(body)  TIERS("'metric': 'spend', 'window': 'calendar_year', 'levels': [" body "]")
#define REWARD_A      "{'id': 'a', 'kind': 'experience'}"

static const struct bad_case BAD_CASES[] = {
    /* shape */
    {"not an object", "[]", FID_ERR_INPUT, ""},
    {"no earning", "{}", FID_ERR_INPUT, "/earning"},
    {"earning not an object", "{'earning': 5}", FID_ERR_INPUT, "/earning"},
    {"unknown top-level field", "{" EARNING ", 'referrals': {}}", FID_ERR_INPUT, "/referrals"},
    {"unknown field with a slash", "{" EARNING ", 'a/b': 1}", FID_ERR_INPUT, "/a~1b"},
    {"description not a string", "{" EARNING ", 'description': 5}", FID_ERR_INPUT, "/description"},
    {"no vouchers per order", "{" EARNING ", 'vouchers_per_order': 0}", FID_ERR_INPUT,
     "/vouchers_per_order"},
    {"vouchers per order as a string", "{" EARNING ", 'vouchers_per_order': '1'}", FID_ERR_INPUT,
     "/vouchers_per_order"},
    /* earning */
    {"unknown earning field", "{'earning': {'points': 1, 'per_minor': 100, 'bonus': 1}}",
     FID_ERR_INPUT, "/earning/bonus"},
    {"points missing", "{'earning': {'per_minor': 100}}", FID_ERR_INPUT, "/earning/points"},
    {"points as a string", "{'earning': {'points': '1', 'per_minor': 100}}", FID_ERR_INPUT,
     "/earning/points"},
    {"negative points", "{'earning': {'points': -1, 'per_minor': 100}}", FID_ERR_INPUT,
     "/earning/points"},
    {"per_minor missing", "{'earning': {'points': 1}}", FID_ERR_INPUT, "/earning/per_minor"},
    {"per_minor zero", "{'earning': {'points': 1, 'per_minor': 0}}", FID_ERR_INPUT,
     "/earning/per_minor"},
    {"per_minor decimal", "{'earning': {'points': 1, 'per_minor': 100.0}}", FID_ERR_INPUT,
     "/earning/per_minor"},
    {"rounding unknown", "{'earning': {'points': 1, 'per_minor': 100, 'rounding': 'up'}}",
     FID_ERR_INPUT, "/earning/rounding"},
    {"basis not an object", "{'earning': {'points': 1, 'per_minor': 100, 'basis': true}}",
     FID_ERR_INPUT, "/earning/basis"},
    {"basis unknown field",
     "{'earning': {'points': 1, 'per_minor': 100, 'basis': {'after_discount': true}}}",
     FID_ERR_INPUT, "/earning/basis/after_discount"},
    {"basis wrong type",
     "{'earning': {'points': 1, 'per_minor': 100, 'basis': {'include_tax': 'yes'}}}", FID_ERR_INPUT,
     "/earning/basis/include_tax"},
    {"min_order_minor negative",
     "{'earning': {'points': 1, 'per_minor': 100, "
     "'min_order_minor': -1}}",
     FID_ERR_INPUT, "/earning/min_order_minor"},
    {"first_order_bonus too big",
     "{'earning': {'points': 1, 'per_minor': 100, "
     "'first_order_bonus': 1000000001}}",
     FID_ERR_INPUT, "/earning/first_order_bonus"},
    /* multipliers */
    {"multipliers not an array", "{'earning': {'points': 1, 'per_minor': 100, 'multipliers': {}}}",
     FID_ERR_INPUT, "/earning/multipliers"},
    {"multiplier not an object", MULT("5"), FID_ERR_INPUT, "/earning/multipliers/0"},
    {"factor_pct above 10000", MULT("{'id': 'm', 'factor_pct': 10001}"), FID_ERR_INPUT,
     "/earning/multipliers/0/factor_pct"},
    {"factor_pct negative", MULT("{'id': 'm', 'factor_pct': -100}"), FID_ERR_INPUT,
     "/earning/multipliers/0/factor_pct"},
    {"factor_pct decimal", MULT("{'id': 'm', 'factor_pct': 1.5}"), FID_ERR_INPUT,
     "/earning/multipliers/0/factor_pct"},
    {"factor_pct missing", MULT("{'id': 'm', 'factor_pct': 200}, {'id': 'n'}"), FID_ERR_INPUT,
     "/earning/multipliers/1/factor_pct"},
    {"multiplier id missing", MULT("{'factor_pct': 200}"), FID_ERR_INPUT,
     "/earning/multipliers/0/id"},
    {"multiplier id with a space", MULT("{'id': 'double tuesday', 'factor_pct': 200}"),
     FID_ERR_INPUT, "/earning/multipliers/0/id"},
    {"multiplier id too long",
     MULT("{'id': 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl', 'factor_pct': 200}"),
     FID_ERR_INPUT, "/earning/multipliers/0/id"},
    {"multiplier unknown field", MULT("{'id': 'm', 'factor_pct': 200, 'factor': 2}"), FID_ERR_INPUT,
     "/earning/multipliers/0/factor"},
    {"duplicate multiplier ids",
     MULT("{'id': 'm', 'factor_pct': 200}, {'id': 'm', 'factor_pct': 150}"), FID_ERR_INPUT,
     "/earning/multipliers/1/id"},
    {"weekday name", MULT("{'id': 'm', 'factor_pct': 200, 'weekdays': ['mon', 'tuesday']}"),
     FID_ERR_INPUT, "/earning/multipliers/0/weekdays/1"},
    {"weekday not a string", MULT("{'id': 'm', 'factor_pct': 200, 'weekdays': [2]}"), FID_ERR_INPUT,
     "/earning/multipliers/0/weekdays/0"},
    {"eight weekdays",
     MULT("{'id': 'm', 'factor_pct': 200, 'weekdays': ['mon', 'tue', 'wed', 'thu', 'fri', "
          "'sat', 'sun', 'mon']}"),
     FID_ERR_LIMIT, "/earning/multipliers/0/weekdays"},
    {"channel", MULT("{'id': 'm', 'factor_pct': 200, 'channels': ['web']}"), FID_ERR_INPUT,
     "/earning/multipliers/0/channels/0"},
    {"hours from 25:00",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '25:00', 'to': '02:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/from"},
    {"hours to 9:00",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '08:00', 'to': '9:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/to"},
    {"hours 12:60",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '12:60', 'to': '14:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/from"},
    {"hours 24:30",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '22:00', 'to': '24:30'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/to"},
    {"hours with a sign",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '+9:00', 'to': '14:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/from"},
    {"hours with a blank",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '09:00', 'to': '1 :00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/to"},
    {"hours 12h00",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '12h00', 'to': '14:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/from"},
    {"hours without to", MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '22:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/to"},
    {"hours equal",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '10:00', 'to': '10:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours"},
    {"hours unknown field",
     MULT("{'id': 'm', 'factor_pct': 200, 'hours': {'from': '10:00', 'until': '11:00'}}"),
     FID_ERR_INPUT, "/earning/multipliers/0/hours/until"},
    {"hours not an object", MULT("{'id': 'm', 'factor_pct': 200, 'hours': '22-02'}"), FID_ERR_INPUT,
     "/earning/multipliers/0/hours"},
    {"empty sku", MULT("{'id': 'm', 'factor_pct': 200, 'skus': ['']}"), FID_ERR_INPUT,
     "/earning/multipliers/0/skus/0"},
    {"category not a string", MULT("{'id': 'm', 'factor_pct': 200, 'categories': ['a', 7]}"),
     FID_ERR_INPUT, "/earning/multipliers/0/categories/1"},
    {"campaign from impossible date",
     MULT("{'id': 'm', 'factor_pct': 200, 'from': '2026-02-30T00:00:00Z'}"), FID_ERR_INPUT,
     "/earning/multipliers/0/from"},
    {"campaign until without zone",
     MULT("{'id': 'm', 'factor_pct': 200, 'until': '2026-03-30T00:00:00'}"), FID_ERR_INPUT,
     "/earning/multipliers/0/until"},
    {"campaign until before from",
     MULT("{'id': 'm', 'factor_pct': 200, 'from': '2026-03-08T00:00:00Z', "
          "'until': '2026-03-01T00:00:00Z'}"),
     FID_ERR_INPUT, "/earning/multipliers/0/until"},
    {"campaign until equal to from",
     MULT("{'id': 'm', 'factor_pct': 200, 'from': '2026-03-08T00:00:00Z', "
          "'until': '2026-03-08T01:00:00+01:00'}"),
     FID_ERR_INPUT, "/earning/multipliers/0/until"},
    /* enrolment */
    {"enrolment unknown field", "{" EARNING ", 'enrolment': {'bonus': 5}}", FID_ERR_INPUT,
     "/enrolment/bonus"},
    {"quick_hours zero", "{" EARNING ", 'enrolment': {'quick_hours': 0}}", FID_ERR_INPUT,
     "/enrolment/quick_hours"},
    /* stamp cards */
    {"stamp card reward missing",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 5}]}", FID_ERR_INPUT,
     "/stamp_cards/0/reward"},
    {"stamp card reward not in rewards",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 5, 'reward': 'ghost'}], "
     "'rewards': [" REWARD_A "]}",
     FID_ERR_INPUT, "/stamp_cards/0/reward"},
    {"stamps_required zero",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 0, 'reward': 'a'}]}",
     FID_ERR_INPUT, "/stamp_cards/0/stamps_required"},
    {"stamp rule unknown",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 5, 'reward': 'a', "
     "'per': 'visit'}]}",
     FID_ERR_INPUT, "/stamp_cards/0/per"},
    {"order_above without amount",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 5, 'reward': 'a', "
     "'per': 'order_above'}]}",
     FID_ERR_INPUT, "/stamp_cards/0/min_amount_minor"},
    {"duplicate stamp card ids",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 5, 'reward': 'a'}, "
     "{'id': 'c', 'stamps_required': 8, 'reward': 'a'}], 'rewards': [" REWARD_A "]}",
     FID_ERR_INPUT, "/stamp_cards/1/id"},
    /* tiers */
    {"tiers without metric", TIERS("'window': 'lifetime', 'levels': [{'id': 'a', 'threshold': 1}]"),
     FID_ERR_INPUT, "/tiers/metric"},
    {"tiers window unknown",
     TIERS("'metric': 'spend', 'window': 'quarter', 'levels': [{'id': 'a', 'threshold': 1}]"),
     FID_ERR_INPUT, "/tiers/window"},
    {"tiers without levels", TIERS("'metric': 'spend', 'window': 'lifetime'"), FID_ERR_INPUT,
     "/tiers/levels"},
    {"tiers with no level", LEVELS(""), FID_ERR_INPUT, "/tiers/levels"},
    {"tiers descending",
     LEVELS("{'id': 'a', 'threshold': 0}, {'id': 'b', 'threshold': 500}, "
            "{'id': 'c', 'threshold': 100}"),
     FID_ERR_INPUT, "/tiers/levels/2/threshold"},
    {"tiers equal thresholds",
     LEVELS("{'id': 'a', 'threshold': 100}, {'id': 'b', 'threshold': 100}"), FID_ERR_INPUT,
     "/tiers/levels/1/threshold"},
    {"tier threshold negative", LEVELS("{'id': 'a', 'threshold': -1}"), FID_ERR_INPUT,
     "/tiers/levels/0/threshold"},
    {"tier multiplier below 100", LEVELS("{'id': 'a', 'threshold': 0, 'multiplier_pct': 90}"),
     FID_ERR_INPUT, "/tiers/levels/0/multiplier_pct"},
    {"tier benefit not a string", LEVELS("{'id': 'a', 'threshold': 0, 'benefits': [true]}"),
     FID_ERR_INPUT, "/tiers/levels/0/benefits/0"},
    {"duplicate tier ids", LEVELS("{'id': 'a', 'threshold': 0}, {'id': 'a', 'threshold': 10}"),
     FID_ERR_INPUT, "/tiers/levels/1/id"},
    {"grace_days negative",
     TIERS("'metric': 'spend', 'window': 'lifetime', 'grace_days': -1, 'levels': "
           "[{'id': 'a', 'threshold': 1}]"),
     FID_ERR_INPUT, "/tiers/grace_days"},
    {"grace_days of a year for a calendar year",
     TIERS("'metric': 'spend', 'window': 'calendar_year', 'grace_days': 365, 'levels': "
           "[{'id': 'a', 'threshold': 1}]"),
     FID_ERR_INPUT, "/tiers/grace_days"},
    /* VIP plans */
    {"vip period unknown",
     "{" EARNING ", 'vip_plans': [{'id': 'v', 'price_minor': 100, 'period': 'week'}]}",
     FID_ERR_INPUT, "/vip_plans/0/period"},
    {"vip price missing", "{" EARNING ", 'vip_plans': [{'id': 'v', 'period': 'year'}]}",
     FID_ERR_INPUT, "/vip_plans/0/price_minor"},
    {"vip welcome reward not in rewards",
     "{" EARNING ", 'vip_plans': [{'id': 'v', 'price_minor': 100, 'period': 'year', "
     "'welcome_reward': 'ghost'}]}",
     FID_ERR_INPUT, "/vip_plans/0/welcome_reward"},
    {"duplicate vip plan ids",
     "{" EARNING ", 'vip_plans': [{'id': 'v', 'price_minor': 100, 'period': 'year'}, "
     "{'id': 'v', 'price_minor': 10, 'period': 'month'}]}",
     FID_ERR_INPUT, "/vip_plans/1/id"},
    /* rewards */
    {"reward kind unknown", REWARDS(REWARD_A ", {'id': 'b', 'kind': 'hug'}"), FID_ERR_INPUT,
     "/rewards/1/kind"},
    {"reward kind missing", REWARDS("{'id': 'a'}"), FID_ERR_INPUT, "/rewards/0/kind"},
    {"reward not an object", REWARDS(REWARD_A ", 'b'"), FID_ERR_INPUT, "/rewards/1"},
    {"reward unknown field", REWARDS("{'id': 'a', 'kind': 'experience', 'price': 5}"),
     FID_ERR_INPUT, "/rewards/0/price"},
    {"reward paid in points and stamps",
     "{" EARNING ", 'rewards': [{'id': 'a', 'kind': 'experience', 'cost_points': 5, "
     "'cost_stamps': 5, 'stamp_card': 'c'}]}",
     FID_ERR_INPUT, "/rewards/0"},
    {"reward paid in points and cashback",
     REWARDS("{'id': 'a', 'kind': 'experience', 'cost_points': 5, 'cost_cashback_minor': 500}"),
     FID_ERR_INPUT, "/rewards/0"},
    {"cashback credit paid with cashback",
     REWARDS("{'id': 'a', 'kind': 'cashback_credit', 'value_minor': 500, "
             "'cost_cashback_minor': 500}"),
     FID_ERR_INPUT, "/rewards/0"},
    {"cashback cost negative",
     REWARDS("{'id': 'a', 'kind': 'experience', 'cost_cashback_minor': -1}"), FID_ERR_INPUT,
     "/rewards/0/cost_cashback_minor"},
    {"fixed discount without value", REWARDS("{'id': 'a', 'kind': 'fixed_discount'}"),
     FID_ERR_INPUT, "/rewards/0/value_minor"},
    {"cashback credit without value", REWARDS("{'id': 'a', 'kind': 'cashback_credit'}"),
     FID_ERR_INPUT, "/rewards/0/value_minor"},
    {"percent discount without percent", REWARDS("{'id': 'a', 'kind': 'percent_discount'}"),
     FID_ERR_INPUT, "/rewards/0/percent"},
    {"percent above 100", REWARDS("{'id': 'a', 'kind': 'percent_discount', 'percent': 101}"),
     FID_ERR_INPUT, "/rewards/0/percent"},
    {"stamps without a card", REWARDS("{'id': 'a', 'kind': 'experience', 'cost_stamps': 5}"),
     FID_ERR_INPUT, "/rewards/0/stamp_card"},
    {"stamps on a missing card",
     REWARDS("{'id': 'a', 'kind': 'experience', 'cost_stamps': 5, 'stamp_card': 'ghost'}"),
     FID_ERR_INPUT, "/rewards/0/stamp_card"},
    {"stamps a full card never holds",
     "{" EARNING ", 'stamp_cards': [{'id': 'c', 'stamps_required': 5, 'reward': 'a'}],"
     " 'rewards': [{'id': 'a', 'kind': 'experience', 'cost_stamps': 5, 'stamp_card': 'c'}]}",
     FID_ERR_INPUT, "/rewards/0/cost_stamps"},
    {"reward for a missing tier",
     "{" EARNING ", 'tiers': {'metric': 'spend', 'window': 'lifetime', 'levels': "
     "[{'id': 'gold', 'threshold': 1}]}, 'rewards': [{'id': 'a', 'kind': 'experience', "
     "'tiers': ['gold', 'platinum']}]}",
     FID_ERR_INPUT, "/rewards/0/tiers/1"},
    {"stock negative", REWARDS("{'id': 'a', 'kind': 'experience', 'stock': -1}"), FID_ERR_INPUT,
     "/rewards/0/stock"},
    {"valid_days zero", REWARDS("{'id': 'a', 'kind': 'experience', 'valid_days': 0}"),
     FID_ERR_INPUT, "/rewards/0/valid_days"},
    {"vip_only not a boolean", REWARDS("{'id': 'a', 'kind': 'experience', 'vip_only': 1}"),
     FID_ERR_INPUT, "/rewards/0/vip_only"},
    {"duplicate reward ids", REWARDS(REWARD_A ", " REWARD_A), FID_ERR_INPUT, "/rewards/1/id"},
    /* policies */
    {"expiry without months", "{" EARNING ", 'expiry': {'mode': 'per_lot'}}", FID_ERR_INPUT,
     "/expiry/months"},
    {"expiry mode unknown", "{" EARNING ", 'expiry': {'mode': 'yearly', 'months': 12}}",
     FID_ERR_INPUT, "/expiry/mode"},
    {"expiry months 241", "{" EARNING ", 'expiry': {'mode': 'inactivity', 'months': 241}}",
     FID_ERR_INPUT, "/expiry/months"},
    {"pending_days 366", "{" EARNING ", 'pending_days': 366}", FID_ERR_INPUT, "/pending_days"},
    {"refunds unknown field", "{" EARNING ", 'refunds': {'allow_negative': true}}", FID_ERR_INPUT,
     "/refunds/allow_negative"},
    {"refunds wrong type", "{" EARNING ", 'refunds': {'allow_negative_balance': 'no'}}",
     FID_ERR_INPUT, "/refunds/allow_negative_balance"},
    {"cashback above 100%", "{" EARNING ", 'cashback': {'percent_bp': 10001}}", FID_ERR_INPUT,
     "/cashback/percent_bp"},
    {"cashback without rate", "{" EARNING ", 'cashback': {}}", FID_ERR_INPUT,
     "/cashback/percent_bp"},
};

static void test_bad_documents(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(BAD_CASES); i++) {
        const struct bad_case *c = &BAD_CASES[i];
        char *text = unit_json(c->json);
        struct program *p = (struct program *)text;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = program_parse_text(text, strlen(text), &p, &err);
        UNIT_EQ_ERROR(c->name, st, err, c->status, c->field);
        assert_null(p);
        free(text);
    }
}

static void test_bad_text(void **state)
{
    (void)state;
    struct program *p = NULL;
    struct fid_error err;
    const char duplicate[] = "{\"earning\": {\"points\": 1, \"points\": 2, \"per_minor\": 100}}";
    enum fid_status st = program_parse_text(duplicate, strlen(duplicate), &p, &err);
    assert_int_equal(st, FID_ERR_INPUT);
    assert_int_equal(strncmp(err.field, "line 1 column ", 14), 0);
    assert_null(p);

    const char truncated[] = "{\"earning\": {\"points\": 1,\n";
    st = program_parse_text(truncated, strlen(truncated), &p, &err);
    assert_int_equal(st, FID_ERR_INPUT);
    assert_int_equal(strncmp(err.field, "line 2 column ", 14), 0);

    size_t big = PROGRAM_TEXT_MAX + 1;
    char *huge = xmalloc(big);
    memset(huge, ' ', big);
    st = program_parse_text(huge, big, &p, &err);
    UNIT_EQ_ERROR("too large", st, err, FID_ERR_LIMIT, "");
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_document_defaults),
        cmocka_unit_test(test_full_document),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_same_programme_same_text),
        cmocka_unit_test(test_every_template_parses),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_bad_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
