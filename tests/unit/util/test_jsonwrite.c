/*
 * util/jsonwrite: json_t trees come out byte for byte as json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY) writes them (the HTTP answers depend on it), and with JSON_SORT_KEYS (stored
 * digests of events depend on it), reals as JSON_REAL_PRECISION
 * writes them, text that is not UTF-8 still makes valid JSON, and documents written member by
 * member get their commas where they belong, nested or not.
 */
#include "../unit_support.h"

#include <jansson.h>

#include "util/jsonwrite.h"

/* value written by jsonw_dump (or jsonw_dump_sorted) must be json_dumps's text; takes value. */
static void expect_written_as_jansson(const char *label, json_t *value, bool sorted)
{
    char *want = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | (sorted ? JSON_SORT_KEYS : 0));
    char *got = sorted ? jsonw_dump_sorted(value) : jsonw_dump(value);
    UNIT_EQ_STR(label, got, want);
    free(want);
    free(got);
    json_decref(value);
}

static void expect_same_as_jansson(const char *label, json_t *value)
{
    expect_written_as_jansson(label, value, false);
}

static void test_trees_match_json_dumps(void **state)
{
    (void)state;
    expect_same_as_jansson("empty object", json_object());
    expect_same_as_jansson("empty array", json_array());
    expect_same_as_jansson("scalars",
                           json_pack("[n, b, b, i, I, I, I, s, s]", 0, 1, -7, (json_int_t)INT64_MAX,
                                     (json_int_t)INT64_MIN, (json_int_t)0, "", "plain"));
    expect_same_as_jansson("escapes",
                           json_pack("{s:s}", "k\"\\/\t", "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f"));
    expect_same_as_jansson("non-ASCII", json_pack("{s:s, s:s}", "café", "Café Lumière", "emoji",
                                                  "\xf0\x9f\x98\x80 \xe2\x82\xac"));
    expect_same_as_jansson("NUL inside", json_stringn("a\0b", 3));
    expect_same_as_jansson("reals", json_pack("[f, f, f, f, f, f]", 0.0, 1.0, -2.5, 1e300,
                                              1.0 / 3.0, 123456789012345678.0));
    /* Insertion order, kept when a key is set again, and nesting. */
    json_t *order = json_pack("{s:i, s:i, s:i}", "z", 1, "a", 2, "m", 3);
    json_object_set_new(order, "a",
                        json_pack("{s:[i, {s:o}], s:{}}", "x", 1, "y", json_null(), "w"));
    json_object_del(order, "z");
    json_object_set_new(order, "z", json_true());
    expect_same_as_jansson("order", order);
    expect_same_as_jansson("scalar alone", json_integer(42));

    /* A long text moves the buffer from the struct to the heap. */
    char *long_text = xmalloc(5 * JSONW_INLINE);
    for (size_t i = 0; i < 5 * JSONW_INLINE - 1; i++)
        long_text[i] = (char)('a' + i % 26);
    long_text[5 * JSONW_INLINE - 1] = '\0';
    expect_same_as_jansson("long", json_pack("[s, s]", long_text, long_text));
    free(long_text);
}

static void expect_sorted_same_as_jansson(const char *label, json_t *value)
{
    expect_written_as_jansson(label, value, true);
}

/* Events' digests are stored, taken over this text: it must stay jansson's, key order included. */
static void test_sorted_trees_match_json_dumps(void **state)
{
    (void)state;
    expect_sorted_same_as_jansson("empty", json_pack("{s:{}, s:[]}", "b", "a"));
    expect_sorted_same_as_jansson("one member", json_pack("{s:i}", "only", 1));
    /* A key before its extensions, bytes above 0x7f after ASCII, upper case before lower. */
    expect_sorted_same_as_jansson("order", json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
                                                     "ab", 1, "a", 2, "abc", 3, "B", 4, "b", 5,
                                                     "\xc3\xa9t\xc3\xa9", 6, "~", 7, "a b", 8));
    /* Nested objects sorted too, inside arrays; scalars and escapes as jsonw_dump writes them. */
    expect_sorted_same_as_jansson(
        "nested", json_pack("{s:[{s:s, s:i, s:n}, i], s:{s:b, s:f, s:{s:s}}}", "z", "y", "q\"\\",
                            "x", 2, "w", 3, "m", "k", 1, "j", 2.5, "i", "h", "\t\x01"));
    static const char ORDER[] =
        "{\"type\":\"order\",\"key\":\"k-1\",\"customer\":\"m1\",\"order_id\":\"o-1\","
        "\"lines\":[{\"sku\":\"ESPRESSO\",\"quantity\":2,\"unit_price_minor\":250,"
        "\"category\":\"coffee\"}],\"channel\":\"store\"}";
    expect_sorted_same_as_jansson("order event", json_loads(ORDER, 0, NULL));
    /* More members than the writer keeps on its stack. */
    json_t *wide = json_object();
    for (int i = 40; i > 0; i--) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i * 7 % 41);
        json_object_set_new(wide, key, json_integer(i));
    }
    expect_sorted_same_as_jansson("wide", wide);
    expect_sorted_same_as_jansson("scalar alone", json_string("s"));
}

static void test_reals_at_a_precision(void **state)
{
    (void)state;
    static const double values[] = {0.0,     0.07198, 1.0,      12.5,  1234.0, 12345.6, 1e-7,
                                    9.99996, 100000,  0.000123, -3.25, 5e20,   123.456, 2.5e-10};
    for (size_t i = 0; i < N_ELEMENTS(values); i++) {
        json_t *real = json_real(values[i]);
        char *want = json_dumps(real, JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
        struct jsonw w;
        jsonw_init(&w);
        jsonw_real(&w, values[i], 4);
        char *got = jsonw_detach(&w);
        UNIT_EQ_STR(want, got, want);
        free(got);
        free(want);
        json_decref(real);
    }
}

static void test_text_that_is_not_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"ok", "\"ok\""},
        {"/v1/members/\xff", "\"/v1/members/\\ufffd\""},
        {"\xc3", "\"\\ufffd\""},                       /* cut short */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},            /* overlong */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* a surrogate */
        {"\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct jsonw w;
        jsonw_init(&w);
        jsonw_string(&w, cases[i].in, strlen(cases[i].in));
        char *got = jsonw_detach(&w);
        UNIT_EQ_STR(cases[i].in, got, cases[i].want);
        json_error_t error;
        json_t *parsed = json_loads(got, JSON_DECODE_ANY, &error);
        assert_non_null(parsed);
        json_decref(parsed);
        free(got);
    }
}

static void test_members_and_elements(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w);
    jsonw_text(&w, "{");
    jsonw_key(&w, "a");
    jsonw_int(&w, 1);
    jsonw_key(&w, "list");
    jsonw_text(&w, "[");
    for (int i = 0; i < 3; i++) {
        jsonw_next(&w);
        jsonw_text(&w, "{");
        jsonw_key(&w, "brace{");
        jsonw_cstring(&w, "[");
        jsonw_key(&w, "ok");
        jsonw_bool(&w, i == 1);
        jsonw_text(&w, "}");
    }
    jsonw_text(&w, "]");
    jsonw_key(&w, "empty");
    jsonw_text(&w, "[]");
    jsonw_key(&w, "quote\"d");
    jsonw_bool(&w, false);
    jsonw_text(&w, "}");
    char *got = jsonw_detach(&w);
    UNIT_EQ_STR("document", got,
                "{\"a\":1,\"list\":[{\"brace{\":\"[\",\"ok\":false},{\"brace{\":\"[\",\"ok\":true},"
                "{\"brace{\":\"[\",\"ok\":false}],\"empty\":[],\"quote\\\"d\":false}");
    free(got);
    jsonw_init(&w); /* an empty text takes a first element without a comma */
    jsonw_next(&w);
    jsonw_int(&w, 7);
    jsonw_next(&w);
    jsonw_int(&w, 8);
    got = jsonw_detach(&w);
    UNIT_EQ_STR("elements", got, "7,8");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trees_match_json_dumps),
        cmocka_unit_test(test_sorted_trees_match_json_dumps),
        cmocka_unit_test(test_reals_at_a_precision),
        cmocka_unit_test(test_text_that_is_not_utf8),
        cmocka_unit_test(test_members_and_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
