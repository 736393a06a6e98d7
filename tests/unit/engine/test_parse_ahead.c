/*
 * engine/parse_ahead: whatever the batch size (parsed on the caller's thread below the threshold,
 * on a second thread above it), each event comes out in batch order exactly as event_parse gives
 * it: the same digest and fields for good events, the same status, field and message for bad
 * ones; and a batch abandoned half-way (an all-or-nothing batch that failed) leaks nothing.
 * The same holds for the batch given as text (indented, so split across lines), which also names
 * each event's key for the results of those that fail; a text that is not a well-formed array
 * ends the events where it breaks and reports the line and column. Events handed over read
 * already come out as copies in their place, dated by the batch's clock when they have no "at",
 * and stay the caller's for a second pass.
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

static void check_batch(size_t n, size_t take, bool as_text)
{
    json_t *batch = make_batch(n);
    char *text = json_dumps(batch, JSON_INDENT(1));
    struct parse_ahead *ahead = as_text ? parse_ahead_start_text(text, strlen(text), NOW)
                                        : parse_ahead_start(batch, NULL, NOW);
    for (size_t i = 0; i < take; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s of %zu, event %zu", as_text ? "text" : "batch", n, i);
        struct event *want = NULL, *got = NULL;
        struct fid_error want_err, got_err;
        fid_error_clear(&want_err);
        fid_error_clear(&got_err);
        enum fid_status want_st = event_parse(json_array_get(batch, i), NOW, &want, &want_err);
        assert_true(parse_ahead_has(ahead, i));
        UNIT_EQ_STR(label, parse_ahead_key(ahead, i),
                    json_string_value(json_object_get(json_array_get(batch, i), "key")));
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
    if (take == n) {
        struct fid_error err;
        assert_false(parse_ahead_has(ahead, n));
        assert_int_equal(parse_ahead_failure(ahead, &err), FID_OK);
    }
    parse_ahead_end(ahead);
    free(text);
    json_decref(batch);
}

static void test_every_size_gives_what_event_parse_gives(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 1000, 2500};
    for (size_t s = 0; s < N_ELEMENTS(sizes); s++) {
        check_batch(sizes[s], sizes[s], false);
        check_batch(sizes[s], sizes[s], true);
    }
}

static void test_a_batch_left_half_way_frees_the_rest(void **state)
{
    (void)state;
    for (int as_text = 0; as_text < 2; as_text++) {
        check_batch(1000, 10, as_text);
        check_batch(1000, 0, as_text);
        check_batch(10, 3, as_text);
    }
}

/* Every stride-th event handed over read already (with another clock): the same events come
 * out. With stride 3 the rest is enough for a second thread; with stride 1 only the broken
 * events are left to read, on the caller's thread. */
static void check_events_read_already(size_t stride)
{
    const size_t n = 100;
    json_t *batch = make_batch(n);
    struct event **read = calloc(n, sizeof *read);
    for (size_t i = 0; i < n; i += stride) {
        struct fid_error err;
        if (event_parse(json_array_get(batch, i), 12345, &read[i], &err) == FID_OK)
            json_array_set_new(batch, i, json_null());
    }
    for (int pass = 0; pass < 2; pass++) {
        struct parse_ahead *ahead =
            parse_ahead_start(batch, (const struct event *const *)read, NOW);
        for (size_t i = 0; i < n; i++) {
            char label[64];
            snprintf(label, sizeof label, "pass %d, event %zu", pass, i);
            json_t *obj = make_event(i);
            struct event *want = NULL, *got = NULL;
            struct fid_error want_err, got_err;
            enum fid_status want_st = event_parse(obj, NOW, &want, &want_err);
            assert_true(parse_ahead_has(ahead, i));
            UNIT_EQ_STR(label, parse_ahead_key(ahead, i),
                        json_string_value(json_object_get(obj, "key")));
            UNIT_EQ_INT(label, parse_ahead_take(ahead, i, &got, &got_err), want_st);
            if (want_st == FID_OK) {
                assert_true(read[i] == NULL || got != read[i]);
                UNIT_EQ_STR(label, got->digest, want->digest);
                UNIT_EQ_STR(label, got->canonical, want->canonical);
                UNIT_EQ_INT(label, got->at, want->at);
                UNIT_EQ_INT(label, got->n_lines, want->n_lines);
                UNIT_EQ_INT(label, event_order_paid(got), event_order_paid(want));
            }
            event_free(want);
            event_free(got);
            json_decref(obj);
        }
        parse_ahead_end(ahead);
    }
    for (size_t i = 0; i < n; i++)
        event_free(read[i]);
    free(read);
    json_decref(batch);
}

static void test_events_read_already(void **state)
{
    (void)state;
    check_events_read_already(3);
    check_events_read_already(1);
}

struct text_case {
    const char *text;
    size_t events;       /* elements read before the text ends or breaks */
    const char *failure; /* the start of the message; NULL when the text is whole */
};

#define ORDER "{\"type\":\"order\",\"key\":\"k\"}"

static const struct text_case TEXT_CASES[] = {
    {"[]", 0, NULL},
    {" \n [ \n ] \n", 0, NULL},
    {"[" ORDER "]", 1, NULL},
    {"[" ORDER " ,\n" ORDER "]", 2, NULL},
    {"[1, \"x\"]", 2, NULL}, /* not objects: event_parse's errors, not the text's */
    {"", 0, "malformed JSON at line 1, column 1: expected a JSON array"},
    {ORDER, 0, "malformed JSON at line 1, column 1: expected a JSON array"},
    {"[", 0, "malformed JSON at line 1, column 2:"},
    {"[" ORDER ",", 1, "malformed JSON at line 1, column "},
    {"[" ORDER " " ORDER "]", 1, "malformed JSON at line 1, column 29: expected ',' or ']'"},
    {"[" ORDER "] x", 1, "malformed JSON at line 1, column 30: text after the array"},
    {"[\n" ORDER ",\n{\"a\":1,\"a\":2}]", 1, "malformed JSON at line 3, column "},
    {"[] []", 0, "malformed JSON at line 1, column 4: text after the array"},
};

static void test_texts_whole_and_broken(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_ELEMENTS(TEXT_CASES); c++) {
        const struct text_case *tc = &TEXT_CASES[c];
        struct parse_ahead *ahead = parse_ahead_start_text(tc->text, strlen(tc->text), NOW);
        size_t n = 0;
        while (parse_ahead_has(ahead, n)) {
            struct event *ev = NULL;
            struct fid_error err;
            if (parse_ahead_take(ahead, n++, &ev, &err) == FID_OK)
                event_free(ev);
        }
        UNIT_EQ_INT(tc->text, n, tc->events);
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = parse_ahead_failure(ahead, &err);
        if (tc->failure == NULL) {
            UNIT_EQ_INT(tc->text, st, FID_OK);
        } else {
            UNIT_EQ_INT(tc->text, st, FID_ERR_INPUT);
            if (strncmp(err.message, tc->failure, strlen(tc->failure)) != 0)
                fail_msg("%s: message \"%s\", expected it to start with \"%s\"", tc->text,
                         err.message, tc->failure);
        }
        parse_ahead_end(ahead);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_size_gives_what_event_parse_gives),
        cmocka_unit_test(test_a_batch_left_half_way_frees_the_rest),
        cmocka_unit_test(test_texts_whole_and_broken),
        cmocka_unit_test(test_events_read_already),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
