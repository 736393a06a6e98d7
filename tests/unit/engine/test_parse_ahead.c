/*
 * engine/parse_ahead: whatever the batch size (parsed on the caller's thread below the threshold,
 * on a second thread above it), each event comes out in batch order exactly as event_parse gives
 * it: the same digest and fields for good events, the same status, field and message for bad
 * ones; and a batch abandoned half-way (an all-or-nothing batch that failed) leaks nothing.
 */
#include "../unit_support.h"

#include <jansson.h>

#include "engine/parse_ahead.h"

#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

/* Event i: an order, except every seventh, which is broken in one of three ways. */
static json_t *make_event(size_t i)
{
    char key[32], order[32];
    snprintf(key, sizeof key, "k-%zu", i);
    snprintf(order, sizeof order, "o-%zu", i);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:i, s:i}]}", "type", "order", "key", key,
                           "customer", "c-1", "order_id", order, "lines", "sku", "LATTE",
                           "quantity", (int)(1 + i % 3), "unit_price_minor", (int)(100 + i));
    if (i % 7 == 3)
        json_object_set_new(ev, "colour", json_string("blue")); /* unknown field */
    else if (i % 7 == 5)
        json_object_set_new(ev, "at", json_string("2026-02-30T10:00:00Z")); /* no such day */
    else if (i % 7 == 6)
        json_object_del(ev, "lines");
    return ev;
}

static json_t *make_batch(size_t n)
{
    json_t *batch = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(batch, make_event(i));
    return batch;
}

static void check_batch(size_t n, size_t take)
{
    json_t *batch = make_batch(n);
    struct parse_ahead *ahead = parse_ahead_start(batch, NOW);
    for (size_t i = 0; i < take; i++) {
        char label[64];
        snprintf(label, sizeof label, "batch of %zu, event %zu", n, i);
        struct event *want = NULL, *got = NULL;
        struct fid_error want_err, got_err;
        fid_error_clear(&want_err);
        fid_error_clear(&got_err);
        enum fid_status want_st = event_parse(json_array_get(batch, i), NOW, &want, &want_err);
        enum fid_status got_st = parse_ahead_take(ahead, i, &got, &got_err);
        UNIT_EQ_INT(label, got_st, want_st);
        if (want_st == FID_OK) {
            UNIT_EQ_STR(label, got->key, want->key);
            UNIT_EQ_STR(label, got->digest, want->digest);
            UNIT_EQ_STR(label, got->canonical, want->canonical);
            UNIT_EQ_INT(label, got->at, want->at);
            UNIT_EQ_INT(label, event_order_paid(got), event_order_paid(want));
        } else {
            UNIT_EQ_STR(label, got_err.field, want_err.field);
            UNIT_EQ_STR(label, got_err.message, want_err.message);
            assert_null(got);
        }
        event_free(want);
        event_free(got);
    }
    parse_ahead_end(ahead);
    json_decref(batch);
}

static void test_every_size_gives_what_event_parse_gives(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 1000, 2500};
    for (size_t s = 0; s < N_ELEMENTS(sizes); s++)
        check_batch(sizes[s], sizes[s]);
}

static void test_a_batch_left_half_way_frees_the_rest(void **state)
{
    (void)state;
    check_batch(1000, 10);
    check_batch(1000, 0);
    check_batch(10, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_size_gives_what_event_parse_gives),
        cmocka_unit_test(test_a_batch_left_half_way_frees_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
