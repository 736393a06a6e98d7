/*
 * core/templates: every template is a valid programme with the shape its description promises,
 * and earns what a customer of that shop would expect on a typical order.
 */
#include "core_support.h"

#include "core/earn.h"
#include "core/templates.h"

struct template_case {
    const char *name;
    int64_t points, per_minor;
    enum rounding rounding;
    size_t n_multipliers, n_stamp_cards, n_levels, n_vip_plans, n_rewards;
    enum tier_window window;
    enum expiry_mode expiry;
    int64_t expiry_months, pending_days;
    bool allow_negative;
    int64_t cashback_bp;
};

static const struct template_case TEMPLATE_CASES[] = {
    {"cafe", 10, 100, ROUND_FLOOR, 2, 1, 2, 0, 4, TIER_WINDOW_ROLLING_12_MONTHS, EXPIRY_INACTIVITY,
     12, 0, false, 0},
    {"bakery", 1, 100, ROUND_NEAREST, 2, 1, 0, 0, 2, TIER_WINDOW_CALENDAR_YEAR, EXPIRY_PER_LOT, 12,
     0, false, 0},
    {"bookshop", 1, 100, ROUND_FLOOR, 1, 0, 3, 0, 3, TIER_WINDOW_CALENDAR_YEAR, EXPIRY_PER_LOT, 24,
     14, true, 0},
    {"ecommerce", 5, 100, ROUND_FLOOR, 1, 0, 3, 1, 6, TIER_WINDOW_ROLLING_12_MONTHS, EXPIRY_PER_LOT,
     18, 30, false, 100},
};

static struct program *parse_template(const char *name)
{
    const char *text = template_program(name);
    assert_non_null(text);
    struct program *p = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = program_parse_text(text, strlen(text), &p, &err);
    if (st != FID_OK)
        print_error("template %s refused at %s: %s\n", name, err.field, err.message);
    assert_int_equal(st, FID_OK);
    return p;
}

static void test_names(void **state)
{
    (void)state;
    size_t n = 0;
    while (TEMPLATE_NAMES[n])
        n++;
    assert_int_equal(n, N_ELEMENTS(TEMPLATE_CASES));
    for (size_t i = 0; i < N_ELEMENTS(TEMPLATE_CASES); i++)
        UNIT_EQ_STR(TEMPLATE_CASES[i].name, TEMPLATE_NAMES[i], TEMPLATE_CASES[i].name);
    assert_null(template_program("florist"));
    assert_null(template_program(""));
    assert_null(template_program("Cafe"));
}

static void test_every_template_parses(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(TEMPLATE_CASES); i++) {
        const struct template_case *c = &TEMPLATE_CASES[i];
        struct program *p = parse_template(c->name);
        UNIT_EQ_INT(c->name, p->earning.points, c->points);
        UNIT_EQ_INT(c->name, p->earning.per_minor, c->per_minor);
        UNIT_EQ_INT(c->name, p->earning.rounding, c->rounding);
        UNIT_EQ_INT(c->name, p->earning.n_multipliers, c->n_multipliers);
        UNIT_EQ_INT(c->name, p->n_stamp_cards, c->n_stamp_cards);
        UNIT_EQ_INT(c->name, p->tiers.n_levels, c->n_levels);
        if (c->n_levels > 0)
            UNIT_EQ_INT(c->name, p->tiers.window, c->window);
        UNIT_EQ_INT(c->name, p->n_vip_plans, c->n_vip_plans);
        UNIT_EQ_INT(c->name, p->n_rewards, c->n_rewards);
        UNIT_EQ_INT(c->name, p->expiry.mode, c->expiry);
        UNIT_EQ_INT(c->name, p->expiry.months, c->expiry_months);
        UNIT_EQ_INT(c->name, p->pending_days, c->pending_days);
        UNIT_EQ_INT(c->name, p->refund_allow_negative, c->allow_negative);
        UNIT_EQ_INT(c->name, p->cashback_bp, c->cashback_bp);
        /* every stamp card's reward exists (the parser guarantees it; the template relies on it) */
        for (size_t k = 0; k < p->n_stamp_cards; k++)
            assert_non_null(program_reward(p, p->stamp_cards[k].reward_id));
        program_free(p);
    }
}

struct sample_case {
    const char *template_name;
    const char *order; /* single-quoted JSON; "at" read in Europe/Paris */
    bool first_order;
    const char *tier, *vip;
    int64_t points;
    const char *parts;
    const char *stamps;
    int64_t cashback;
};

static const struct sample_case SAMPLE_CASES[] = {
    {"cafe",
     "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
     "'at': '2026-03-03T14:00:00Z', "
     "'lines': [{'sku': 'ESPRESSO', 'category': 'coffee', 'quantity': 3, "
     "'unit_price_minor': 250}]}",
     false, "", "", 150, "base=75 multiplier:quiet-afternoon=75", "coffee=3", 0},
    {"bakery",
     "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
     "'at': '2026-03-08T10:00:00Z', "
     "'lines': [{'sku': 'CAKE', 'category': 'cake', 'quantity': 1, 'unit_price_minor': 1250}, "
     "{'sku': 'BAGUETTE', 'category': 'bread', 'quantity': 2, 'unit_price_minor': 120}]}",
     false, "", "", 28, "base=15 multiplier:sunday-cakes=13", "bread=1", 0},
    {"bookshop",
     "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', "
     "'at': '2026-03-04T10:00:00Z', 'discount_minor': 350, "
     "'lines': [{'sku': 'B1', 'category': 'local', 'quantity': 1, 'unit_price_minor': 2000}, "
     "{'sku': 'B2', 'category': 'novel', 'quantity': 1, 'unit_price_minor': 1500}]}",
     false, "bookworm", "", 55, "base=31 multiplier:local-authors=18 tier:bookworm=6", "", 0},
    {"ecommerce",
     "{'type': 'order', 'key': 'k', 'customer': 'c', 'order_id': 'o', 'channel': 'online', "
     "'at': '2026-03-04T10:00:00Z', 'shipping_minor': 490, 'tax_minor': 833, "
     "'lines': [{'sku': 'SHOES', 'quantity': 2, 'unit_price_minor': 2500}]}",
     true, "", "club", 453, "base=208 multiplier:app-orders=41 vip:club=104 first_order=100", "",
     41},
};

static void test_sample_orders(void **state)
{
    (void)state;
    struct fid_tz *paris = NULL;
    struct fid_error err;
    assert_int_equal(fid_tz_open("Europe/Paris", &paris, &err), FID_OK);
    for (size_t i = 0; i < N_ELEMENTS(SAMPLE_CASES); i++) {
        const struct sample_case *c = &SAMPLE_CASES[i];
        struct program *p = parse_template(c->template_name);
        struct event *order = unit_event(c->order, 0);
        struct earn_context ctx = {
            .first_order = c->first_order, .tier_id = c->tier, .vip_plan_id = c->vip};
        fid_tz_local(paris, order->at, &ctx.local);
        struct earning e;
        earn_order(p, order, &ctx, &e);
        char text[256] = "";
        size_t n = 0;
        for (size_t k = 0; k < e.n_parts && n < sizeof text; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%s=%lld", k ? " " : "",
                                  e.parts[k].rule, (long long)e.parts[k].points);
        UNIT_EQ_STR(c->template_name, text, c->parts);
        UNIT_EQ_INT(c->template_name, e.points, c->points);
        text[0] = '\0';
        n = 0;
        for (size_t k = 0; k < e.n_stamps && n < sizeof text; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%s=%lld", k ? " " : "",
                                  p->stamp_cards[e.stamps[k].card_index].id,
                                  (long long)e.stamps[k].stamps);
        UNIT_EQ_STR(c->template_name, text, c->stamps);
        UNIT_EQ_INT(c->template_name, e.cashback_minor, c->cashback);
        earning_clear(&e);
        event_free(order);
        program_free(p);
    }
    fid_tz_free(paris);
}

/* Words a French shop writes as the English do. */
static bool same_in_french(const char *word)
{
    return strcmp(word, "Bibliophile") == 0 || strcmp(word, "Club") == 0;
}

/* fr is en with its words translated: the same document otherwise, every word in French. */
static void expect_translated(const char *template_name, const char *key, const json_t *en,
                              const json_t *fr)
{
    bool words = key && (strcmp(key, "description") == 0 || strcmp(key, "name") == 0 ||
                         strcmp(key, "benefits") == 0);
    if (json_is_string(en) && words) {
        assert_true(json_is_string(fr));
        if (!same_in_french(json_string_value(en)) &&
            strcmp(json_string_value(en), json_string_value(fr)) == 0)
            fail_msg("%s: \"%s\" is not translated", template_name, json_string_value(en));
        return;
    }
    if (json_is_object(en)) {
        assert_true(json_is_object(fr));
        UNIT_EQ_INT(template_name, json_object_size(fr), json_object_size(en));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)en, k, v)
        {
            const json_t *other = json_object_get(fr, k);
            if (other == NULL)
                fail_msg("%s: \"%s\" missing in French", template_name, k);
            expect_translated(template_name, k, v, other);
        }
        return;
    }
    if (json_is_array(en)) {
        assert_true(json_is_array(fr));
        UNIT_EQ_INT(template_name, json_array_size(fr), json_array_size(en));
        for (size_t i = 0; i < json_array_size(en); i++)
            expect_translated(template_name, words ? key : NULL, json_array_get(en, i),
                              json_array_get(fr, i));
        return;
    }
    assert_true(json_equal(en, fr));
}

static void test_french_words(void **state)
{
    (void)state;
    for (size_t i = 0; TEMPLATE_NAMES[i]; i++) {
        char *text = template_program_in(TEMPLATE_NAMES[i], "EUR", 2, "fr");
        assert_non_null(text);
        struct program *p = NULL;
        struct fid_error err;
        assert_int_equal(program_parse_text(text, strlen(text), &p, &err), FID_OK);
        program_free(p);
        json_error_t jerr;
        json_t *fr = json_loads(text, 0, &jerr),
               *en = json_loads(template_program(TEMPLATE_NAMES[i]), 0, &jerr);
        expect_translated(TEMPLATE_NAMES[i], NULL, en, fr);
        json_decref(fr);
        json_decref(en);
        free(text);
        /* English stays as written */
        text = template_program_in(TEMPLATE_NAMES[i], "EUR", 2, "en");
        UNIT_EQ_STR(TEMPLATE_NAMES[i], text, template_program(TEMPLATE_NAMES[i]));
        free(text);
    }
    /* in another currency, a French name that speaks of money says its amount in it */
    char *text = template_program_in("cafe", "JPY", 0, "fr");
    assert_non_null(strstr(text, "\"500 JPY de remise\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_every_template_parses),
        cmocka_unit_test(test_french_words),
        cmocka_unit_test(test_sample_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
