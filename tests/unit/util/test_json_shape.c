/*
 * util/json_shape: a JSON text split into its shape and values and joined back byte for byte;
 * which strings stay in the shape; texts that cannot be split; values that do not fit a shape.
 */
#include "../unit_support.h"

#include "util/json_shape.h"

static const char *const KEPT[] = {"type", "label", NULL};

struct split_case {
    const char *text, *shape, *values; /* shape and values with S, N, | for the marks */
};

static const struct split_case SPLITS[] = {
    {"{}", "{}", ""},
    {"{\"key\":\"k-1\",\"points\":-12}", "{\"key\":S,\"points\":N}", "k-1|-12|"},
    {"{\"type\":\"order\",\"at\":\"2026-03-03T14:30:00Z\"}", "{\"type\":\"order\",\"at\":S}",
     "2026-03-03T14:30:00Z|"},
    /* a kept name's value stays, in an array's objects too; an array's strings do not */
    {"[{\"label\":\"Points de base\",\"points\":40},\"ABC-1\",1.5e3]",
     "[{\"label\":\"Points de base\",\"points\":N},S,N]", "40|ABC-1|1.5e3|"},
    /* names are never values, even those of kept names' objects */
    {"{\"label\":{\"fr\":\"Café\"}}", "{\"label\":{\"fr\":S}}", "Café|"},
    /* literals stay; escapes are kept as written */
    {"{\"a\":true,\"b\":null,\"c\":\"x\\\"y\\\\\",\"d\":\"\\u00e9\"}",
     "{\"a\":true,\"b\":null,\"c\":S,\"d\":S}", "x\\\"y\\\\|\\u00e9|"},
    /* white space as it is */
    {" { \"k\" : \"v\" , \"n\" : 0 } ", " { \"k\" : S , \"n\" : N } ", "v|0|"},
    {"\"\"", "S", "|"},
    {"", "", ""},
};

static void marks_readable(const char *data, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++)
        out[n++] = data[i] == JSON_SHAPE_STRING   ? 'S'
                   : data[i] == JSON_SHAPE_NUMBER ? 'N'
                   : data[i] == JSON_SHAPE_END    ? '|'
                                                  : data[i];
    out[n] = '\0';
}

static void test_split_and_join(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(SPLITS); i++) {
        const struct split_case *c = &SPLITS[i];
        struct jsonw shape, values, joined;
        jsonw_init(&shape);
        jsonw_init(&values);
        jsonw_init(&joined);
        assert_true(json_shape_split(c->text, strlen(c->text), KEPT, &shape, &values));
        char readable[256];
        marks_readable(shape.data, shape.len, readable, sizeof readable);
        UNIT_EQ_STR(c->text, readable, c->shape);
        marks_readable(values.data, values.len, readable, sizeof readable);
        UNIT_EQ_STR(c->text, readable, c->values);
        assert_true(json_shape_join(shape.data, shape.len, values.data, values.len, &joined));
        assert_int_equal(joined.len, strlen(c->text));
        assert_true(strncmp(joined.data, c->text, joined.len) == 0);
        jsonw_free(&shape);
        jsonw_free(&values);
        jsonw_free(&joined);
    }
}

static void test_cannot_split(void **state)
{
    (void)state;
    const char *texts[] = {"{\"a\":\"x\x1fy\"}", "{\"a\":1}\x1c", "{\"a\":\"open", "\"a\\\""};
    for (size_t i = 0; i < N_ELEMENTS(texts); i++) {
        struct jsonw shape, values;
        jsonw_init(&shape);
        jsonw_init(&values);
        assert_false(json_shape_split(texts[i], strlen(texts[i]), KEPT, &shape, &values));
        jsonw_free(&shape);
        jsonw_free(&values);
    }
}

static void test_values_must_fit(void **state)
{
    (void)state;
    const char shape[] = "{\"a\":\x1d,\"b\":\x1e}";
    const struct {
        const char *values;
        bool fits;
    } cases[] = {
        {"x\x1f"
         "1\x1f",
         true},
        {"x\x1f", false}, /* one short */
        {"x\x1f"
         "1\x1f"
         "2\x1f",
         false}, /* one too many */
        {"x\x1f"
         "1",
         false}, /* the last not ended */
        {"", false},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        struct jsonw out;
        jsonw_init(&out);
        bool fits =
            json_shape_join(shape, strlen(shape), cases[i].values, strlen(cases[i].values), &out);
        assert_int_equal(fits, cases[i].fits);
        if (fits)
            assert_true(out.len == 15 && strncmp(out.data, "{\"a\":\"x\",\"b\":1}", 15) == 0);
        jsonw_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_and_join),
        cmocka_unit_test(test_cannot_split),
        cmocka_unit_test(test_values_must_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
