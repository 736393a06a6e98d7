/*
 * engine/views: the balance view written as text (the API's hottest answer) is the document the
 * tree-building code gave, field for field and in the same order, for members at every stage:
 * no orders, stamps on two cards, rewards affordable or not, a tier-limited reward, each tier.
 * The reference below is that tree-building code, kept here as the oracle; it sums the tier window
 * from the orders themselves in SQL. A daily regular over fourteen months (some orders recorded
 * late, one refunded) has a rolling window that cuts a period of orders at almost every look: the
 * view still gives the window's exact spend, week after week.
 */
#include "engine_support.h"

#include <jansson.h>
#include <unistd.h>

#include "core/tier.h"
#include "engine/engine.h"
#include "util/jsonwrite.h"

#define START_AT 1767225600LL /* 2026-01-01T00:00:00Z */

static const char PROGRAM[] =
    "{\"earning\": {\"points\": 10, \"per_minor\": 100, \"rounding\": \"floor\"},"
    " \"enrolment\": {\"bonus_points\": 20},"
    " \"stamp_cards\": ["
    "  {\"id\": \"coffee\", \"stamps_required\": 6, \"reward\": \"free-coffee\", \"per\": \"unit\","
    "   \"categories\": [\"coffee\"]},"
    "  {\"id\": \"visits\", \"stamps_required\": 4, \"reward\": \"five-off\", \"per\": \"order\"}],"
    " \"tiers\": {\"metric\": \"spend\", \"window\": \"rolling_12_months\", \"grace_days\": 30,"
    "  \"levels\": [{\"id\": \"silver\", \"name\": \"Silver\", \"threshold\": 5000},"
    "   {\"id\": \"gold\", \"name\": \"Gold \\\"Or\\\"\", \"threshold\": 20000}]},"
    " \"rewards\": ["
    "  {\"id\": \"free-coffee\", \"name\": \"Caf\\u00e9 offert\", \"kind\": \"free_product\","
    "   \"sku\": \"ESPRESSO\", \"value_minor\": 250, \"cost_points\": 250},"
    "  {\"id\": \"five-off\", \"kind\": \"fixed_discount\", \"value_minor\": 500,"
    "   \"cost_points\": 500},"
    "  {\"id\": \"gold-gift\", \"kind\": \"experience\", \"cost_points\": 800,"
    "   \"tiers\": [\"gold\"]},"
    "  {\"id\": \"spa-day\", \"kind\": \"experience\", \"cost_points\": 40000}]}";

/* The view as engine_balance_view built it with jansson before it wrote text. */
static json_t *reference_view(struct engine *e, const struct customer *c, int64_t now)
{
    const struct program *p = engine_program(e);
    json_t *out = engine_balance_json(e, c);
    json_object_set_new(out, "id", json_string(c->ref));
    json_object_set_new(out, "tier", json_string(c->tier));
    const struct reward *best = NULL;
    for (size_t i = 0; i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        if (r->cost_points <= 0 || r->cost_points <= c->points_available)
            continue;
        if (r->tiers.count > 0 && !string_list_contains(&r->tiers, c->tier))
            continue;
        if (best == NULL || r->cost_points < best->cost_points)
            best = r;
    }
    json_object_set_new(out, "next_reward",
                        best ? json_pack("{s:s, s:s, s:I, s:I}", "reward", best->id, "name",
                                         best->name, "cost_points", (json_int_t)best->cost_points,
                                         "points_missing",
                                         (json_int_t)(best->cost_points - c->points_available))
                             : json_null());
    json_t *affordable = json_array();
    for (size_t i = 0; i < p->n_rewards; i++)
        if (p->rewards[i].cost_points > 0 && p->rewards[i].cost_points <= c->points_available &&
            (p->rewards[i].tiers.count == 0 || string_list_contains(&p->rewards[i].tiers, c->tier)))
            json_array_append_new(affordable, json_string(p->rewards[i].id));
    json_object_set_new(out, "affordable_rewards", affordable);
    int rank = program_tier_rank(p, c->tier);
    if (p->tiers.n_levels == 0 || rank + 1 >= (int)p->tiers.n_levels) {
        json_object_set_new(out, "next_tier", json_null());
        return out;
    }
    /* The window summed from the orders themselves, as the reference. */
    struct db_stmt *s = db_prepare(
        engine_store(e)->db, "SELECT COALESCE(SUM(paid_minor - refunded_minor), 0), "
                             "COALESCE(SUM(points_earned - points_clawed), 0), "
                             "COALESCE(SUM(refunded_minor < paid_minor OR paid_minor = 0), 0) "
                             "FROM orders WHERE customer_id = ? AND at >= ? AND at < ?");
    db_bind_int(s, 1, c->id);
    db_bind_int(s, 2, tier_window_start(p, engine_tz(e), now));
    db_bind_int(s, 3, now + 1);
    assert_int_equal(db_step(s), DB_ROW);
    int64_t spend = db_column_int(s, 0), points = db_column_int(s, 1), count = db_column_int(s, 2);
    db_done(s);
    const struct tier_level *next = &p->tiers.levels[rank + 1];
    static const char *const metric_names[] = {"spend_minor", "points", "orders"};
    int64_t value = p->tiers.metric == TIER_METRIC_SPEND    ? spend
                    : p->tiers.metric == TIER_METRIC_POINTS ? points
                                                            : count;
    json_object_set_new(out, "next_tier",
                        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "tier", next->id, "name",
                                  next->name, "metric", metric_names[p->tiers.metric], "current",
                                  (json_int_t)value, "threshold", (json_int_t)next->threshold,
                                  "missing", (json_int_t)(next->threshold - value)));
    return out;
}

static void apply(struct engine *e, json_t *event, int64_t now)
{
    json_t *events = json_pack("[o]", event), *results = NULL;
    struct fid_error err;
    enum fid_status st = engine_apply(e, events, now, ENGINE_ALL_OR_NOTHING, &results, &err);
    if (st != FID_OK)
        print_error("engine_apply: %s %s\n", err.field, err.message);
    assert_int_equal(st, FID_OK);
    json_decref(results);
    json_decref(events);
}

/* Whether the view lists the reward as affordable. */
static bool view_affords(struct engine *e, const struct customer *c, int64_t now,
                         const char *reward)
{
    struct fid_error err;
    struct jsonw w;
    jsonw_init(&w);
    assert_int_equal(engine_balance_view_write(e, c, now, &w, &err), FID_OK);
    json_error_t jerr;
    json_t *view = json_loadb(w.data, w.len, 0, &jerr), *id;
    size_t i;
    bool found = false;
    json_array_foreach(json_object_get(view, "affordable_rewards"), i, id) found |=
        strcmp(json_string_value(id), reward) == 0;
    json_decref(view);
    jsonw_free(&w);
    return found;
}

/* The view written as text is the reference's, byte for byte. */
static void expect_view(struct engine *e, const struct customer *c, int64_t now, const char *who)
{
    struct fid_error err;
    struct jsonw w;
    jsonw_init(&w);
    assert_int_equal(engine_balance_view_write(e, c, now, &w, &err), FID_OK);
    char *got = jsonw_detach(&w);
    json_t *want_tree = reference_view(e, c, now);
    char *want = json_dumps(want_tree, JSON_COMPACT);
    UNIT_EQ_STR(who, got, want);
    free(got);
    free(want);
    json_decref(want_tree);
}

static void test_text_view_is_the_tree_view(void **state)
{
    (void)state;
    struct engine_test t;
    engine_test_open(&t, "Views cafe", PROGRAM, START_AT);
    struct engine *e = t.engine;
    struct fid_error err;

    /* Members with 0, 1, 3 and 12 orders of growing size: below and above every reward, with
     * stamps on one card or both, tiers none, silver and gold, and an id that needs escaping. */
    static const char *const members[] = {"ann", "bob", "cy\"rus", "d\u00e9e"};
    static const int orders[] = {0, 1, 3, 12};
    int n = 0;
    for (size_t m = 0; m < N_ELEMENTS(members); m++) {
        char key[32], day[32];
        snprintf(key, sizeof key, "enrol-%zu", m);
        apply(e,
              json_pack("{s:s, s:s, s:s, s:s}", "type", "enrol", "key", key, "customer", members[m],
                        "at", "2026-01-02T09:00:00Z"),
              START_AT + 86400 * 2);
        for (int o = 0; o < orders[m]; o++, n++) {
            snprintf(key, sizeof key, "order-%d", n);
            snprintf(day, sizeof day, "2026-02-%02dT10:00:00Z", 1 + o);
            apply(e,
                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, "
                            "s:i}]}",
                            "type", "order", "key", key, "customer", members[m], "order_id", key,
                            "at", day, "lines", "sku", "ESPRESSO", "category", "coffee", "quantity",
                            1 + o % 3, "unit_price_minor", 250, "sku", "BEANS", "category", "beans",
                            "quantity", 1, "unit_price_minor", (int)(1000 * (m + 1))),
                  START_AT + 86400 * 60);
        }
    }
    json_t *all_tiers = json_array();
    int64_t now = START_AT + 86400 * 90;
    int below_gold_with_points = 0;
    for (size_t m = 0; m < N_ELEMENTS(members); m++) {
        struct customer c;
        assert_int_equal(customer_find_ref(engine_store(e), members[m], &c, &err), FID_OK);
        json_array_append_new(all_tiers, json_string(c.tier));

        expect_view(e, &c, now, members[m]);
        /* a reward of a tier the member does not hold is not theirs to redeem */
        if (strcmp(c.tier, "gold") != 0 && c.points_available >= 800) {
            UNIT_EQ_INT(members[m], view_affords(e, &c, now, "gold-gift"), false);
            below_gold_with_points++;
        }
    }
    UNIT_EQ_INT("members below gold with 800 points", below_gold_with_points, 1);
    /* The members cover no tier, silver and gold. */
    char *tiers = json_dumps(all_tiers, JSON_COMPACT);
    UNIT_EQ_STR("tiers", tiers, "[\"\",\"\",\"silver\",\"gold\"]");
    free(tiers);
    json_decref(all_tiers);

    engine_test_close(&t);
}

/* One order of amount_minor at the given instant (its own key and order id). */
static void order_at(struct engine *e, const char *customer, int n, int64_t at, int amount_minor)
{
    char key[32], when[32];
    snprintf(key, sizeof key, "daily-%d", n);
    fid_time_format(at, when);
    apply(e,
          json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, s:i}]}", "type", "order", "key", key,
                    "customer", customer, "order_id", key, "at", when, "lines", "sku", "CAKE",
                    "quantity", 1, "unit_price_minor", amount_minor),
          at);
}

static void test_a_daily_regular_window(void **state)
{
    (void)state;
    struct engine_test t;
    engine_test_open(&t, "Views cafe", PROGRAM, START_AT);
    struct engine *e = t.engine;
    struct fid_error err;
    apply(e,
          json_pack("{s:s, s:s, s:s, s:s}", "type", "enrol", "key", "enrol-reg", "customer", "reg",
                    "at", "2026-01-01T07:00:00Z"),
          START_AT + 3600 * 7);
    int n = 0, checked = 0;
    for (int day = 0; day < 430; day++) {
        int64_t at = START_AT + day * 86400LL + 8 * 3600 + (day % 7) * 600;
        order_at(e, "reg", n++, at, 20 + day % 5);
        if (day % 9 == 4) /* a till that syncs late: dated three days back */
            order_at(e, "reg", n++, at - 3 * 86400 - 60, 17);
        if (day == 200) {
            apply(e,
                  json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "refund", "key", "refund-1",
                            "order_id", "daily-150", "at", "2026-07-20T12:00:00Z", "amount_minor",
                            10),
                  at + 6 * 3600);
        }
        if (day >= 360 && day % 7 == 0) {
            int64_t now = at + 3600;
            struct customer c;
            assert_int_equal(customer_find_ref(engine_store(e), "reg", &c, &err), FID_OK);
            assert_string_equal(c.tier, "silver");
            expect_view(e, &c, now, "the regular's view");
            checked++;
        }
    }
    UNIT_EQ_INT("looks", checked, 10);
    engine_test_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_view_is_the_tree_view),
        cmocka_unit_test(test_a_daily_regular_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
