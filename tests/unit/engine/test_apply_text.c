/*
 * engine_apply_text on a real file: a text that breaks after good events fails the whole call
 * with FID_ERR_INPUT naming its line, in either mode, and nothing is written (the enrolled
 * customer is not there, the key is free); the same events as a whole text apply, posting them
 * again replays them, and an element that is not an event object fails alone, its result
 * naming no key (null). engine_apply_batch gives the same results as text, each item's slice one
 * result object whose status matches its outcome, and the stored result of an applied event is
 * the very text it answered; a slice of the results is an array of its own.
 */
#include "engine_support.h"

#include <jansson.h>
#include <unistd.h>

#include "engine/engine.h"

#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

static const char PROGRAM[] = "{\"earning\": {\"points\": 1, \"per_minor\": 100}}";

#define ENROL_ANN "{\"type\": \"enrol\", \"key\": \"e-ann\", \"customer\": \"ann\"}"
#define ORDER_ANN                                                                                  \
    "{\"type\": \"order\", \"key\": \"o-ann\", \"customer\": \"ann\", \"order_id\": \"A1\","       \
    " \"lines\": [{\"sku\": \"TEA\", \"quantity\": 1, \"unit_price_minor\": 300}]}"

static const char *status_of(const json_t *results, size_t i)
{
    return json_string_value(json_object_get(json_array_get(results, i), "status"));
}

static void expect_nothing_written(struct engine *e, const char *label)
{
    struct customer c;
    struct fid_error err;
    UNIT_EQ_INT(label, customer_find_ref(engine_store(e), "ann", &c, &err), FID_ERR_NOT_FOUND);
}

static void test_broken_text_writes_nothing(void **state)
{
    (void)state;
    struct engine_test t;
    engine_test_open(&t, "Text cafe", PROGRAM, NOW);
    struct engine *e = t.engine;
    struct fid_error err;

    static const char broken[] = "[" ENROL_ANN ",\n" ORDER_ANN ",\n{\"type\": ]";
    static const enum engine_mode modes[] = {ENGINE_ALL_OR_NOTHING, ENGINE_EACH_ON_ITS_OWN};
    for (size_t m = 0; m < N_ELEMENTS(modes); m++) {
        json_t *results = NULL;
        fid_error_clear(&err);
        UNIT_EQ_INT("broken text",
                    engine_apply_text(e, broken, strlen(broken), NOW, modes[m], &results, &err),
                    FID_ERR_INPUT);
        assert_null(results);
        if (strstr(err.message, "line 3") == NULL)
            fail_msg("the message names line 3: %s", err.message);
        expect_nothing_written(e, "after a broken text");
    }

    static const char whole[] = "[" ENROL_ANN ", " ORDER_ANN ", 7]";
    for (int pass = 0; pass < 2; pass++) {
        json_t *results = NULL;
        assert_int_equal(
            engine_apply_text(e, whole, strlen(whole), NOW, ENGINE_EACH_ON_ITS_OWN, &results, &err),
            FID_OK);
        UNIT_EQ_INT("results", json_array_size(results), 3);
        const char *applied = pass == 0 ? "applied" : "replayed";
        UNIT_EQ_STR("enrol", status_of(results, 0), applied);
        UNIT_EQ_STR("order", status_of(results, 1), applied);
        UNIT_EQ_STR("not an object", status_of(results, 2), "error");
        assert_true(json_is_null(json_object_get(json_array_get(results, 2), "key")));
        json_decref(results);
    }
    struct customer c;
    assert_int_equal(customer_find_ref(engine_store(e), "ann", &c, &err), FID_OK);
    UNIT_EQ_INT("one order counted once", c.order_count, 1);

    engine_test_close(&t);
}

/* Each item of out is one JSON object of the results' text, with the status of its outcome. */
static void expect_items_match_text(const struct engine_results *out)
{
    static const char *const names[] = {"applied", "replayed", "error"};
    json_t *all = engine_results_json(out);
    UNIT_EQ_INT("items", out->count, json_array_size(all));
    for (size_t i = 0; i < out->count; i++) {
        const struct engine_result *r = &out->items[i];
        json_error_t jerr;
        json_t *one = json_loadb(out->text + r->offset, r->len, 0, &jerr);
        if (one == NULL)
            fail_msg("item %zu is not JSON: %s", i, jerr.text);
        assert_true(json_equal(one, json_array_get(all, i)));
        UNIT_EQ_STR("status", json_string_value(json_object_get(one, "status")), names[r->outcome]);
        json_decref(one);
    }
    json_decref(all);
}

static void test_results_as_text(void **state)
{
    (void)state;
    struct engine_test t;
    engine_test_open(&t, "Text cafe", PROGRAM, NOW);
    struct fid_error err;
    static const char text[] = "[" ENROL_ANN ", " ORDER_ANN ", 7, {\"type\": \"order\"}]";
    struct engine_batch batch = {.text = text, .len = strlen(text)};
    struct engine_results out = {0};
    static const enum engine_outcome first[] = {ENGINE_APPLIED, ENGINE_APPLIED, ENGINE_FAILED,
                                                ENGINE_FAILED};
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(
            engine_apply_batch(t.engine, &batch, NOW, ENGINE_EACH_ON_ITS_OWN, &out, &err), FID_OK);
        UNIT_EQ_INT("results", out.count, 4);
        for (size_t i = 0; i < 4; i++)
            UNIT_EQ_INT("outcome", out.items[i].outcome,
                        pass == 1 && first[i] == ENGINE_APPLIED ? ENGINE_REPLAYED : first[i]);
        expect_items_match_text(&out);
        if (pass == 0) { /* the order's stored result is its answer, byte for byte */
            char digest[FID_DIGEST_HEX], *stored = NULL;
            assert_int_equal(
                event_record_find(engine_store(t.engine), "o-ann", digest, &stored, &err), FID_OK);
            UNIT_EQ_INT("stored length", strlen(stored), out.items[1].len);
            assert_memory_equal(stored, out.text + out.items[1].offset, out.items[1].len);
            free(stored);
        }
    }
    struct engine_results part = {0}; /* the share of a caller of the middle two events */
    engine_results_slice(&out, 1, 2, &part);
    UNIT_EQ_INT("slice", part.count, 2);
    UNIT_EQ_INT("slice outcome", part.items[1].outcome, out.items[2].outcome);
    char want[4096];
    snprintf(want, sizeof want, "[%.*s,%.*s]", (int)out.items[1].len,
             out.text + out.items[1].offset, (int)out.items[2].len, out.text + out.items[2].offset);
    UNIT_EQ_STR("slice text", part.text, want);
    expect_items_match_text(&part);
    engine_results_free(&part);
    engine_results_free(&out);
    assert_null(out.text);
    engine_test_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_text_writes_nothing),
        cmocka_unit_test(test_results_as_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
