/*
 * util/jsonread: strict readers name the JSON pointer of the bad field, refuse wrong types, values
 * out of range and unknown fields; jsonr_parse refuses duplicate keys, and integers beyond 64 bits
 * naming their pointer.
 */
#include "../unit_support.h"

#include "util/jsonread.h"

/* Parses single-quoted test JSON that must be valid. */
static json_t *doc(const char *single_quoted)
{
    char *text = unit_json(single_quoted);
    json_t *value = NULL;
    struct fid_error err;
    enum fid_status st = jsonr_parse(text, strlen(text), &value, &err);
    if (st != FID_OK)
        print_error("test document does not parse: %s at %s\n", err.message, err.field);
    assert_int_equal(st, FID_OK);
    free(text);
    return value;
}

/* ---- paths ------------------------------------------------------------------------------- */

struct path_case {
    const char *path;
    const char *key;
    const char *expected;
};

static const struct path_case PATH_CASES[] = {
    {"", "earning", "/earning"}, {"/earning", "multipliers", "/earning/multipliers"},
    {"/a", "b/c", "/a/b~1c"},    {"/a", "x~y", "/a/x~0y"},
    {"/a", "~/", "/a/~0~1"},     {"", "", "/"},
};

static void test_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(PATH_CASES); i++) {
        const struct path_case *c = &PATH_CASES[i];
        char out[JSONR_PATH_MAX];
        jsonr_path(out, c->path, c->key);
        UNIT_EQ_STR(c->expected, out, c->expected);
    }
    char out[JSONR_PATH_MAX];
    jsonr_path_index(out, "/earning/multipliers", 12);
    assert_string_equal(out, "/earning/multipliers/12");
    jsonr_path_index(out, "", 0);
    assert_string_equal(out, "/0");
}

static void test_path_is_bounded(void **state)
{
    (void)state;
    char long_path[JSONR_PATH_MAX + 40], long_key[JSONR_PATH_MAX * 2];
    memset(long_path, 'p', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    memset(long_key, '/', sizeof long_key - 1); /* every byte escapes to two */
    long_key[sizeof long_key - 1] = '\0';
    char out[JSONR_PATH_MAX];
    jsonr_path(out, long_path, "k");
    assert_int_equal(strlen(out), JSONR_PATH_MAX - 1);
    jsonr_path(out, "/a", long_key);
    assert_true(strlen(out) < JSONR_PATH_MAX);
    assert_int_equal(strncmp(out, "/a/~1~1", 7), 0);
}

/* ---- keys and containers ----------------------------------------------------------------- */

static void test_check_keys(void **state)
{
    (void)state;
    static const char *const allowed[] = {"id", "name", NULL};
    struct fid_error err;
    json_t *good = doc("{'id': 'a', 'name': 'b'}");
    assert_int_equal(jsonr_check_keys(good, "/rewards/1", allowed, &err), FID_OK);
    json_t *bad = doc("{'id': 'a', 'colour': 'red', 'size': 2}");
    enum fid_status st = jsonr_check_keys(bad, "/rewards/1", allowed, &err);
    UNIT_EQ_ERROR("unknown", st, err, FID_ERR_INPUT, "/rewards/1/colour");
    assert_non_null(strstr(err.message, "colour"));
    json_t *slash = doc("{'a/b': 1}");
    st = jsonr_check_keys(slash, "", allowed, &err);
    UNIT_EQ_ERROR("escaped", st, err, FID_ERR_INPUT, "/a~1b");
    json_t *empty = doc("{}");
    assert_int_equal(jsonr_check_keys(empty, "", allowed, &err), FID_OK);
    json_decref(good);
    json_decref(bad);
    json_decref(slash);
    json_decref(empty);
}

static void test_expect_object_and_array(void **state)
{
    (void)state;
    struct fid_error err;
    json_t *arr = doc("[1]");
    json_t *obj = doc("{}");
    assert_int_equal(jsonr_expect_object(obj, "", &err), FID_OK);
    assert_int_equal(jsonr_expect_array(arr, "/lines", &err), FID_OK);
    enum fid_status st = jsonr_expect_object(arr, "", &err);
    UNIT_EQ_ERROR("root", st, err, FID_ERR_INPUT, ""); /* the whole document (RFC 6901) */
    assert_non_null(strstr(err.message, "an array"));
    st = jsonr_expect_object(json_array_get(arr, 0), "/lines/0", &err);
    UNIT_EQ_ERROR("item", st, err, FID_ERR_INPUT, "/lines/0");
    assert_non_null(strstr(err.message, "an integer"));
    st = jsonr_expect_array(obj, "/lines", &err);
    UNIT_EQ_ERROR("array", st, err, FID_ERR_INPUT, "/lines");
    json_decref(arr);
    json_decref(obj);
}

/* ---- integers ---------------------------------------------------------------------------- */

struct int_case {
    const char *name;
    const char *json;
    bool required;
    enum fid_status status;
    int64_t expected;
};

/* Reads "n" within [-5, 1000000], default 7. */
static const struct int_case INT_CASES[] = {
    {"present", "{'n': 42}", true, FID_OK, 42},
    {"min", "{'n': -5}", true, FID_OK, -5},
    {"max", "{'n': 1000000}", true, FID_OK, 1000000},
    {"below", "{'n': -6}", true, FID_ERR_INPUT, 0},
    {"above", "{'n': 1000001}", true, FID_ERR_INPUT, 0},
    {"absent, default", "{}", false, FID_OK, 7},
    {"null is absent", "{'n': null}", false, FID_OK, 7},
    {"absent, required", "{}", true, FID_ERR_INPUT, 0},
    {"null, required", "{'n': null}", true, FID_ERR_INPUT, 0},
    {"string", "{'n': '42'}", false, FID_ERR_INPUT, 0},
    {"decimal", "{'n': 42.0}", false, FID_ERR_INPUT, 0},
    {"boolean", "{'n': true}", false, FID_ERR_INPUT, 0},
    {"huge", "{'n': 9223372036854775807}", false, FID_ERR_INPUT, 0},
};

static void test_int(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(INT_CASES); i++) {
        const struct int_case *c = &INT_CASES[i];
        json_t *obj = doc(c->json);
        int64_t out = -99;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = jsonr_int(obj, "/x", "n", c->required, -5, 1000000, 7, &out, &err);
        if (c->status == FID_OK) {
            UNIT_EQ_INT(c->name, st, FID_OK);
            UNIT_EQ_INT(c->name, out, c->expected);
        } else {
            UNIT_EQ_ERROR(c->name, st, err, c->status, "/x/n");
        }
        json_decref(obj);
    }
}

static void test_int_full_range(void **state)
{
    (void)state;
    json_t *obj = doc("{'lo': -9223372036854775808, 'hi': 9223372036854775807}");
    int64_t out = 0;
    struct fid_error err;
    assert_int_equal(jsonr_int(obj, "", "lo", true, INT64_MIN, INT64_MAX, 0, &out, &err), FID_OK);
    assert_true(out == INT64_MIN);
    assert_int_equal(jsonr_int(obj, "", "hi", true, INT64_MIN, INT64_MAX, 0, &out, &err), FID_OK);
    assert_true(out == INT64_MAX);
    json_decref(obj);
}

/* ---- strings, booleans, enums, arrays ---------------------------------------------------- */

struct string_case {
    const char *name;
    const char *json;
    bool required;
    enum fid_status status;
    const char *expected;
};

/* Reads "s" of at most 5 bytes, default "dflt". */
static const struct string_case STRING_CASES[] = {
    {"present", "{'s': 'abc'}", true, FID_OK, "abc"},
    {"at the limit", "{'s': 'abcde'}", true, FID_OK, "abcde"},
    {"utf-8 counts bytes", "{'s': '\\u00e9\\u00e9'}", true, FID_OK, "\xc3\xa9\xc3\xa9"},
    {"over the limit", "{'s': 'abcdef'}", true, FID_ERR_INPUT, NULL},
    {"utf-8 over the limit", "{'s': '\\u00e9\\u00e9\\u00e9'}", true, FID_ERR_INPUT, NULL},
    {"empty, required", "{'s': ''}", true, FID_ERR_INPUT, NULL},
    {"empty, optional", "{'s': ''}", false, FID_OK, ""},
    {"absent, optional", "{}", false, FID_OK, "dflt"},
    {"absent, required", "{}", true, FID_ERR_INPUT, NULL},
    {"number", "{'s': 5}", false, FID_ERR_INPUT, NULL},
    {"array", "{'s': ['a']}", false, FID_ERR_INPUT, NULL},
};

static void test_string(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(STRING_CASES); i++) {
        const struct string_case *c = &STRING_CASES[i];
        json_t *obj = doc(c->json);
        const char *out = NULL;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = jsonr_string(obj, "", "s", c->required, 5, "dflt", &out, &err);
        if (c->status == FID_OK) {
            UNIT_EQ_INT(c->name, st, FID_OK);
            UNIT_EQ_STR(c->name, out, c->expected);
        } else {
            UNIT_EQ_ERROR(c->name, st, err, c->status, "/s");
        }
        json_decref(obj);
    }
}

static void test_string_with_nul(void **state)
{
    (void)state;
    /* jansson's parser refuses \u0000, but a tree built in code can hold one */
    json_t *obj = json_object();
    json_object_set_new(obj, "s", json_stringn("a\0b", 3));
    const char *out = NULL;
    struct fid_error err;
    enum fid_status st = jsonr_string(obj, "/m", "s", false, 10, NULL, &out, &err);
    UNIT_EQ_ERROR("nul", st, err, FID_ERR_INPUT, "/m/s");
    json_decref(obj);
}

static void test_bool(void **state)
{
    (void)state;
    json_t *obj = doc("{'t': true, 'f': false, 'n': null, 's': 'true', 'i': 1}");
    bool out = false;
    struct fid_error err;
    assert_int_equal(jsonr_bool(obj, "", "t", false, &out, &err), FID_OK);
    assert_true(out);
    assert_int_equal(jsonr_bool(obj, "", "f", true, &out, &err), FID_OK);
    assert_false(out);
    assert_int_equal(jsonr_bool(obj, "", "n", true, &out, &err), FID_OK);
    assert_true(out);
    assert_int_equal(jsonr_bool(obj, "", "absent", false, &out, &err), FID_OK);
    assert_false(out);
    enum fid_status st = jsonr_bool(obj, "/basis", "s", false, &out, &err);
    UNIT_EQ_ERROR("string", st, err, FID_ERR_INPUT, "/basis/s");
    st = jsonr_bool(obj, "/basis", "i", false, &out, &err);
    UNIT_EQ_ERROR("integer", st, err, FID_ERR_INPUT, "/basis/i");
    json_decref(obj);
}

static void test_enum(void **state)
{
    (void)state;
    static const char *const choices[] = {"floor", "nearest", "ceil", NULL};
    json_t *obj = doc("{'a': 'floor', 'b': 'ceil', 'c': 'up', 'd': 3, 'e': 'Floor', 'f': ''}");
    int out = -1;
    struct fid_error err;
    assert_int_equal(jsonr_enum(obj, "", "a", true, choices, 1, &out, &err), FID_OK);
    assert_int_equal(out, 0);
    assert_int_equal(jsonr_enum(obj, "", "b", true, choices, 1, &out, &err), FID_OK);
    assert_int_equal(out, 2);
    assert_int_equal(jsonr_enum(obj, "", "absent", false, choices, 1, &out, &err), FID_OK);
    assert_int_equal(out, 1);
    enum fid_status st = jsonr_enum(obj, "/earning", "c", true, choices, 0, &out, &err);
    UNIT_EQ_ERROR("unknown", st, err, FID_ERR_INPUT, "/earning/c");
    assert_string_equal(err.message, "\"up\" is not one of \"floor\", \"nearest\", \"ceil\"");
    st = jsonr_enum(obj, "/earning", "d", true, choices, 0, &out, &err);
    UNIT_EQ_ERROR("number", st, err, FID_ERR_INPUT, "/earning/d");
    st = jsonr_enum(obj, "/earning", "e", true, choices, 0, &out, &err);
    UNIT_EQ_ERROR("case matters", st, err, FID_ERR_INPUT, "/earning/e");
    st = jsonr_enum(obj, "/earning", "f", false, choices, 0, &out, &err);
    UNIT_EQ_ERROR("empty", st, err, FID_ERR_INPUT, "/earning/f");
    st = jsonr_enum(obj, "/earning", "absent", true, choices, 0, &out, &err);
    UNIT_EQ_ERROR("required", st, err, FID_ERR_INPUT, "/earning/absent");
    json_decref(obj);
}

static void test_array(void **state)
{
    (void)state;
    json_t *obj = doc("{'a': [1, 2, 3], 'o': {}, 'e': []}");
    json_t *out = (json_t *)obj;
    struct fid_error err;
    assert_int_equal(jsonr_array(obj, "", "a", true, 3, &out, &err), FID_OK);
    assert_int_equal(json_array_size(out), 3);
    assert_int_equal(jsonr_array(obj, "", "e", true, 3, &out, &err), FID_OK);
    assert_int_equal(json_array_size(out), 0);
    assert_int_equal(jsonr_array(obj, "", "absent", false, 3, &out, &err), FID_OK);
    assert_null(out);
    enum fid_status st = jsonr_array(obj, "/p", "a", true, 2, &out, &err);
    UNIT_EQ_ERROR("too many", st, err, FID_ERR_LIMIT, "/p/a");
    st = jsonr_array(obj, "/p", "o", true, 2, &out, &err);
    UNIT_EQ_ERROR("object", st, err, FID_ERR_INPUT, "/p/o");
    st = jsonr_array(obj, "/p", "absent", true, 2, &out, &err);
    UNIT_EQ_ERROR("required", st, err, FID_ERR_INPUT, "/p/absent");
    json_decref(obj);
}

/* ---- parsing ----------------------------------------------------------------------------- */

struct parse_case {
    const char *name;
    const char *text;
    /* NULL: parses; else the start of the field ("line N column "), or the pointer of a value */
    const char *where;
};

static const struct parse_case PARSE_CASES[] = {
    {"object", "{\"a\": 1}", NULL},
    {"array", " [1, 2] \n", NULL},
    {"int64 max", "{\"n\": 9223372036854775807}", NULL},
    {"int64 min", "{\"n\": -9223372036854775808}", NULL},
    /* valid JSON: a value out of range, named by its pointer */
    {"int64 max + 1", "{\"n\": 9223372036854775808}", "/n"},
    {"int64 min - 1", "{\"n\": -9223372036854775809}", "/n"},
    {"beyond 64 bits", "{\"quantity\": 100000000000000000000}", "/quantity"},
    {"beyond 64 bits, deep",
     "{\"a\": [1, {\"x\": \"]\\\"\"}, {\"b~/\\u0041\": [{}, [], \"s\", {\"c\": [true]}, "
     "-100000000000000000000]}]}",
     "/a/2/b~0~1A/4"},
    {"beyond a double", "[0, 1e400]", "/1"},
    {"whole document", "[[{}], 100000000000000000000]", "/1"},
    {"beyond 64 bits after the document", "[] 100000000000000000000", "line 1 column "},
    {"beyond 64 bits in a token", "[100000000000000000000-1]", "/0"},
    {"duplicate key", "{\"a\": 1, \"a\": 2}", "line 1 column "},
    {"truncated", "{\"a\": ", "line 1 column "},
    {"second line", "{\n  \"a\": 1,\n  \"b\": }", "line 3 column "},
    {"trailing text", "{} {}", "line 1 column "},
    {"nul escape", "{\"a\": \"x\\u0000y\"}", "line 1 column "},
    {"empty", "", "line 1 column "},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(PARSE_CASES); i++) {
        const struct parse_case *c = &PARSE_CASES[i];
        json_t *value = (json_t *)c;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = jsonr_parse(c->text, strlen(c->text), &value, &err);
        if (c->where == NULL) {
            UNIT_EQ_INT(c->name, st, FID_OK);
            assert_non_null(value);
            json_decref(value);
        } else {
            UNIT_EQ_INT(c->name, st, FID_ERR_INPUT);
            UNIT_EQ_INT(c->name, err.status, FID_ERR_INPUT);
            bool pointer = c->where[0] == '/';
            if (pointer ? strcmp(err.field, c->where) != 0
                        : strncmp(err.field, c->where, strlen(c->where)) != 0) {
                print_error("[%s] field \"%s\" does not start with \"%s\"\n", c->name, err.field,
                            c->where);
                fail();
            }
            assert_null(value);
            assert_non_null(strstr(err.message, pointer ? "is out of range" : "malformed JSON"));
        }
    }
}

static void test_parse_uses_len(void **state)
{
    (void)state;
    const char text[] = "{\"a\": 1}garbage";
    json_t *value = NULL;
    struct fid_error err;
    assert_int_equal(jsonr_parse(text, 8, &value, &err), FID_OK);
    assert_int_equal(json_integer_value(json_object_get(value, "a")), 1);
    json_decref(value);
}

/* A NUL byte is no JSON text anywhere: after a number, jansson read it as nothing. */
static void test_parse_refuses_nul_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text;
        size_t len;
        const char *where;
    } cases[] = {
        {"after a number", "{\"a\": 2\0}", 9, "line 1 column 8"},
        {"between members", "{\"a\": 2,\n\0\"b\": 1}", 16, "line 2 column 1"},
        {"inside a string", "{\"a\": \"x\0y\"}", 12, "line 1 column 9"},
        {"after the value", "{\"a\": 2}\0", 9, "line 1 column 9"},
    };
    for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
        json_t *value = NULL;
        struct fid_error err;
        fid_error_clear(&err);
        UNIT_EQ_INT(cases[i].name, jsonr_parse(cases[i].text, cases[i].len, &value, &err),
                    FID_ERR_INPUT);
        UNIT_EQ_STR(cases[i].name, err.field, cases[i].where);
        assert_non_null(strstr(err.message, "NUL byte"));
        assert_null(value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_path_is_bounded),
        cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_expect_object_and_array),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_int_full_range),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_string_with_nul),
        cmocka_unit_test(test_parse_refuses_nul_bytes),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_uses_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
