/*
 * core/event_stream: one object, a JSON array of objects, or NDJSON (blank lines allowed) become
 * an array of objects in input order; a bad line is named "line N", a bad array item "/N".
 */
#include "../unit_support.h"

#include "core/event_stream.h"

struct stream_case {
    const char *name;
    const char *text;
    enum fid_status status;
    const char *keys;  /* on success: the "key" of every object, in order, joined by ',' */
    const char *field; /* on failure */
};

static const struct stream_case STREAM_CASES[] = {
    {"single object", "{\"key\": \"a\"}", FID_OK, "a", NULL},
    {"single object, spaces around", "\n\n  {\"key\": \"a\"}  \n\n", FID_OK, "a", NULL},
    {"single object on several lines", "{\n  \"key\": \"a\",\n  \"type\": \"order\"\n}\n", FID_OK,
     "a", NULL},
    {"array", "[{\"key\": \"a\"}, {\"key\": \"b\"},\n {\"key\": \"c\"}]", FID_OK, "a,b,c", NULL},
    {"array after blank lines", "\n \n[{\"key\": \"a\"}]", FID_OK, "a", NULL},
    {"empty array", "[]", FID_OK, "", NULL},
    {"ndjson", "{\"key\": \"a\"}\n{\"key\": \"b\"}\n{\"key\": \"c\"}\n", FID_OK, "a,b,c", NULL},
    {"ndjson without final newline", "{\"key\": \"a\"}\n{\"key\": \"b\"}", FID_OK, "a,b", NULL},
    {"ndjson with blank lines",
     "\n{\"key\": \"a\"}\n\n   \n{\"key\": \"b\"}\n\t\n\n{\"key\": \"c\"}\n\n", FID_OK, "a,b,c",
     NULL},
    {"ndjson with CRLF", "{\"key\": \"a\"}\r\n{\"key\": \"b\"}\r\n", FID_OK, "a,b", NULL},
    {"ndjson, two objects on one line", "{\"key\": \"a\"} {\"key\": \"b\"}\n{\"key\": \"c\"}",
     FID_ERR_INPUT, NULL, "line 1"},
    {"ndjson bad line", "{\"key\": \"a\"}\n{\"key\": \"b\"}\n{\"key\": }\n{\"key\": \"d\"}\n",
     FID_ERR_INPUT, NULL, "line 3"},
    {"ndjson bad line after blank lines",
     "{\"key\": \"a\"}\n\n\n{\"key\": \"b\"\n{\"key\": \"c\"}\n", FID_ERR_INPUT, NULL, "line 4"},
    {"ndjson bad last line without newline", "{\"key\": \"a\"}\n{\"key\": \"b\"", FID_ERR_INPUT,
     NULL, "line 2"},
    {"ndjson line that is an array", "{\"key\": \"a\"}\n[{\"key\": \"b\"}]\n", FID_ERR_INPUT, NULL,
     "line 2"},
    {"ndjson line that is a string", "{\"key\": \"a\"}\n\"b\"\n", FID_ERR_INPUT, NULL, "line 2"},
    {"ndjson duplicate keys", "{\"key\": \"a\"}\n{\"key\": \"b\", \"key\": \"c\"}\n", FID_ERR_INPUT,
     NULL, "line 2"},
    {"array with a non-object", "[{\"key\": \"a\"}, 5, {\"key\": \"c\"}]", FID_ERR_INPUT, NULL,
     "/1"},
    {"malformed array", "[\n{\"key\": \"a\"},\n{\"key\": }\n]", FID_ERR_INPUT, NULL, "line 3"},
    {"array then junk", "[{\"key\": \"a\"}]\n{\"key\": \"b\"}", FID_ERR_INPUT, NULL, "line 2"},
    {"empty", "", FID_ERR_INPUT, NULL, "line 1"},
    {"only blank lines", "\n \n\t\n", FID_ERR_INPUT, NULL, "line 1"},
    {"garbage", "order,k,c\n", FID_ERR_INPUT, NULL, "line 1"},
};

static void join_keys(const json_t *events, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(events) && n < size; i++) {
        const char *key = json_string_value(json_object_get(json_array_get(events, i), "key"));
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", key ? key : "?");
    }
}

static void test_streams(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(STREAM_CASES); i++) {
        const struct stream_case *c = &STREAM_CASES[i];
        json_t *events = (json_t *)c;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = event_stream_parse(c->text, strlen(c->text), &events, &err);
        if (c->status == FID_OK) {
            if (st != FID_OK)
                print_error("[%s] refused at %s: %s\n", c->name, err.field, err.message);
            UNIT_EQ_INT(c->name, st, FID_OK);
            assert_true(json_is_array(events));
            char keys[128];
            join_keys(events, keys, sizeof keys);
            UNIT_EQ_STR(c->name, keys, c->keys);
            json_decref(events);
        } else {
            UNIT_EQ_ERROR(c->name, st, err, c->status, c->field);
            assert_null(events);
        }
    }
}

static void test_objects_are_kept_whole(void **state)
{
    (void)state;
    const char text[] = "{\"key\": \"a\", \"lines\": [{\"sku\": \"X\", \"quantity\": 2}]}\n\n"
                        "{\"key\": \"b\", \"at\": \"2026-03-03T08:12:00Z\"}\n";
    json_t *events = NULL;
    struct fid_error err;
    assert_int_equal(event_stream_parse(text, strlen(text), &events, &err), FID_OK);
    assert_int_equal(json_array_size(events), 2);
    json_t *line = json_array_get(json_object_get(json_array_get(events, 0), "lines"), 0);
    assert_int_equal(json_integer_value(json_object_get(line, "quantity")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 1), "at")),
                        "2026-03-03T08:12:00Z");
    json_decref(events);
}

static void test_uses_len_not_nul(void **state)
{
    (void)state;
    const char text[] = "{\"key\": \"a\"}\n{\"key\": \"b\"}\nnot json";
    json_t *events = NULL;
    struct fid_error err;
    size_t two_lines = strlen("{\"key\": \"a\"}\n{\"key\": \"b\"}\n");
    assert_int_equal(event_stream_parse(text, two_lines, &events, &err), FID_OK);
    assert_int_equal(json_array_size(events), 2);
    json_decref(events);
}

/* Each on its own: a bad NDJSON line keeps its place as [WHERE, MESSAGE]; an array stays whole. */
static void test_bad_lines_keep_their_place(void **state)
{
    (void)state;
    const char text[] = "{\"key\": \"a\"}\n{\"key\": \n\n[1]\n{\"key\": \"b\"}\n";
    json_t *events = NULL;
    struct fid_error err;
    assert_int_equal(event_stream_parse_each(text, strlen(text), &events, &err), FID_OK);
    assert_int_equal(json_array_size(events), 4);
    assert_true(json_is_object(json_array_get(events, 0)));
    json_t *bad = json_array_get(events, 1);
    assert_string_equal(json_string_value(json_array_get(bad, 0)), "line 2");
    assert_non_null(strstr(json_string_value(json_array_get(bad, 1)), "malformed JSON"));
    bad = json_array_get(events, 2);
    assert_string_equal(json_string_value(json_array_get(bad, 0)), "line 4");
    assert_string_equal(json_string_value(json_array_get(bad, 1)),
                        "expected one event object per line");
    assert_true(json_is_object(json_array_get(events, 3)));
    json_decref(events);
    /* the strict reading refuses the same input at its first bad line */
    assert_int_equal(event_stream_parse(text, strlen(text), &events, &err), FID_ERR_INPUT);
    assert_string_equal(err.field, "line 2");
    const char array[] = "[{\"key\": \"a\"}, 1]";
    assert_int_equal(event_stream_parse_each(array, strlen(array), &events, &err), FID_ERR_INPUT);
    assert_string_equal(err.field, "/1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_objects_are_kept_whole),
        cmocka_unit_test(test_uses_len_not_nul),
        cmocka_unit_test(test_bad_lines_keep_their_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
