/*
 * util/error: status names, messages, the one mapping to exit codes, and the error record.
 */
#include "../unit_support.h"

#include "util/error.h"

struct status_case {
    enum fid_status status;
    const char *name;
    const char *text;
    int exit_code;
};

static const struct status_case STATUS_CASES[] = {
    {FID_OK, "ok", "success", 0},
    {FID_ERR_INPUT, "invalid_input", "invalid input", 2},
    {FID_ERR_NOT_FOUND, "not_found", "not found", 2},
    {FID_ERR_CONFLICT, "conflict", "conflict", 2},
    {FID_ERR_INSUFFICIENT, "insufficient", "insufficient balance or stock", 2},
    {FID_ERR_STATE, "invalid_state", "object in the wrong state", 2},
    {FID_ERR_LIMIT, "too_large", "input too large", 2},
    {FID_ERR_FORBIDDEN, "forbidden", "not allowed to this caller", 2},
    {FID_ERR_DB, "database", "database error", 1},
    {FID_ERR_IO, "io", "input/output error", 1},
    {FID_ERR_INTERNAL, "internal", "internal error", 1},
    {(enum fid_status)99, "unknown", "unknown error", 1},
};

static void test_status_names_texts_and_exit_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(STATUS_CASES); i++) {
        const struct status_case *c = &STATUS_CASES[i];
        UNIT_EQ_STR(c->name, fid_status_name(c->status), c->name);
        UNIT_EQ_STR(c->name, fid_strerror(c->status), c->text);
        UNIT_EQ_INT(c->name, fid_exit_code(c->status), c->exit_code);
    }
}

static void test_fail_fills_the_record(void **state)
{
    (void)state;
    struct fid_error err;
    memset(&err, 'x', sizeof err);
    enum fid_status st =
        fid_fail(&err, FID_ERR_INPUT, "/lines/0/quantity", "%d is below %s", -1, "one");
    assert_int_equal(st, FID_ERR_INPUT);
    assert_int_equal(err.status, FID_ERR_INPUT);
    assert_string_equal(err.field, "/lines/0/quantity");
    assert_string_equal(err.message, "-1 is below one");
}

static void test_fail_without_record_or_field(void **state)
{
    (void)state;
    assert_int_equal(fid_fail(NULL, FID_ERR_CONFLICT, "/key", "ignored"), FID_ERR_CONFLICT);
    struct fid_error err;
    assert_int_equal(fid_fail(&err, FID_ERR_IO, NULL, "disk"), FID_ERR_IO);
    assert_string_equal(err.field, "");
    assert_string_equal(err.message, "disk");
}

static void test_fail_bounds_long_text(void **state)
{
    (void)state;
    char long_field[FID_ERROR_FIELD_MAX * 2];
    memset(long_field, 'f', sizeof long_field - 1);
    long_field[sizeof long_field - 1] = '\0';
    struct fid_error err;
    (void)fid_fail(&err, FID_ERR_INPUT, long_field, "%0*d", FID_ERROR_MESSAGE_MAX * 2, 7);
    assert_int_equal(strlen(err.field), FID_ERROR_FIELD_MAX - 1);
    assert_int_equal(strlen(err.message), FID_ERROR_MESSAGE_MAX - 1);
    assert_int_equal(err.message[0], '0');
}

static void test_clear(void **state)
{
    (void)state;
    struct fid_error err;
    (void)fid_fail(&err, FID_ERR_DB, "/x", "broken");
    fid_error_clear(&err);
    assert_int_equal(err.status, FID_OK);
    assert_string_equal(err.field, "");
    assert_string_equal(err.message, "");
    fid_error_clear(NULL);
}

struct prefix_case {
    const char *field;
    const char *prefix;
    const char *expected;
};

static const struct prefix_case PREFIX_CASES[] = {
    {"/lines/0/sku", "/events/3", "/events/3/lines/0/sku"},
    {"", "/events/3", "/events/3"},
    {"/at", "", "/at"},
    {"/at", NULL, "/at"},
};

static void test_prefix_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(PREFIX_CASES); i++) {
        const struct prefix_case *c = &PREFIX_CASES[i];
        struct fid_error err;
        (void)fid_fail(&err, FID_ERR_INPUT, c->field, "message");
        fid_error_prefix_field(&err, c->prefix);
        UNIT_EQ_STR(c->expected, err.field, c->expected);
        UNIT_EQ_STR(c->expected, err.message, "message");
    }
    fid_error_prefix_field(NULL, "/x");
}

static void test_prefix_field_is_bounded(void **state)
{
    (void)state;
    char prefix[FID_ERROR_FIELD_MAX];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    struct fid_error err;
    (void)fid_fail(&err, FID_ERR_INPUT, "/tail", "message");
    fid_error_prefix_field(&err, prefix);
    assert_int_equal(strlen(err.field), FID_ERROR_FIELD_MAX - 1);
    assert_int_equal(err.field[0], 'p');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names_texts_and_exit_codes),
        cmocka_unit_test(test_fail_fills_the_record),
        cmocka_unit_test(test_fail_without_record_or_field),
        cmocka_unit_test(test_fail_bounds_long_text),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_prefix_field),
        cmocka_unit_test(test_prefix_field_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
