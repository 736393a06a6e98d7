/*
 * util/money: ISO 4217 currency checks through ICU and plain decimal formatting of minor units.
 */
#include "../unit_support.h"

#include "util/money.h"

struct currency_case {
    const char *code;
    enum fid_status status;
    int digits;
};

static const struct currency_case CURRENCY_CASES[] = {
    {"EUR", FID_OK, 2},        {"USD", FID_OK, 2},         {"GBP", FID_OK, 2},
    {"CHF", FID_OK, 2},        {"JPY", FID_OK, 0},         {"KRW", FID_OK, 0},
    {"BHD", FID_OK, 3},        {"XXY", FID_ERR_INPUT, 0}, /* well-formed, not a currency */
    {"QQQ", FID_ERR_INPUT, 0}, {"FRF", FID_ERR_INPUT, 0}, /* withdrawn in 2002: not current */
    {"DEM", FID_ERR_INPUT, 0}, {"eur", FID_ERR_INPUT, 0}, /* codes are upper case */
    {"Eur", FID_ERR_INPUT, 0}, {"EU", FID_ERR_INPUT, 0},   {"EURO", FID_ERR_INPUT, 0},
    {"E1R", FID_ERR_INPUT, 0}, {" EUR", FID_ERR_INPUT, 0}, {"", FID_ERR_INPUT, 0},
};

static void test_currency_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CURRENCY_CASES); i++) {
        const struct currency_case *c = &CURRENCY_CASES[i];
        int digits = -7;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = fid_currency_check(c->code, &digits, "/currency", &err);
        if (c->status == FID_OK) {
            UNIT_EQ_INT(c->code, st, FID_OK);
            UNIT_EQ_INT(c->code, digits, c->digits);
        } else {
            UNIT_EQ_ERROR(c->code, st, err, c->status, "/currency");
            UNIT_EQ_INT(c->code, digits, -7);
        }
    }
}

static void test_currency_check_null(void **state)
{
    (void)state;
    int digits = -7;
    struct fid_error err;
    enum fid_status st = fid_currency_check(NULL, &digits, "currency", &err);
    UNIT_EQ_ERROR("NULL", st, err, FID_ERR_INPUT, "currency");
    assert_int_equal(digits, -7);
}

static void test_currency_unit(void **state)
{
    (void)state;
    static const int64_t units[] = {1, 10, 100, 1000, 10000};
    for (int digits = 0; digits < (int)N_ELEMENTS(units); digits++) {
        char label[24];
        snprintf(label, sizeof label, "%d digits", digits);
        UNIT_EQ_INT(label, fid_currency_unit(digits), units[digits]);
    }
}

struct format_case {
    int64_t amount;
    int digits;
    const char *text;
};

static const struct format_case FORMAT_CASES[] = {
    {1250, 2, "12.50"},
    {-1250, 2, "-12.50"},
    {5, 2, "0.05"},
    {-5, 2, "-0.05"},
    {-99, 2, "-0.99"},
    {-100, 2, "-1.00"},
    {0, 2, "0.00"},
    {1234, 0, "1234"},
    {-1234, 0, "-1234"},
    {0, 0, "0"},
    {1234567, 3, "1234.567"},
    {-1, 3, "-0.001"},
    {7, 4, "0.0007"},
    {INT64_MAX, 2, "92233720368547758.07"},
    {INT64_MIN, 2, "-92233720368547758.08"},
    {INT64_MIN, 0, "-9223372036854775808"},
};

static void test_money_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(FORMAT_CASES); i++) {
        const struct format_case *c = &FORMAT_CASES[i];
        char out[FID_MONEY_TEXT_MAX];
        fid_money_format(c->amount, c->digits, out);
        UNIT_EQ_STR(c->text, out, c->text);
    }
}

/* Amounts as a language writes them: exact (no double on the way), the currency's digits. */
static void test_money_format_in(void **state)
{
    (void)state;
    static const struct {
        int64_t minor;
        int digits;
        const char *currency, *locale, *want;
    } cases[] = {
        {123456, 2, "EUR", "fr", "1\u202f234,56\u00a0€"},
        {123456, 2, "EUR", "en", "€1,234.56"},
        {-2000, 2, "EUR", "fr", "-20,00\u00a0€"},
        {-2000, 2, "EUR", "en", "-€20.00"},
        {1000, 0, "JPY", "fr", "1\u202f000\u00a0JPY"},
        {500, 3, "KWD", "en", "KWD\u00a00.500"},
        /* past a double's 2^53: every digit kept */
        {9007199254740993LL, 2, "EUR", "en", "€90,071,992,547,409.93"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[FID_MONEY_LOCAL_MAX];
        fid_money_format_in(cases[i].minor, cases[i].digits, cases[i].currency, cases[i].locale,
                            out);
        UNIT_EQ_STR(cases[i].want, out, cases[i].want);
    }
    char out[FID_MONEY_LOCAL_MAX];
    fid_number_format_in("12.5", 1, "fr", out);
    UNIT_EQ_STR("a French decimal", out, "12,5");
    fid_number_format_in("1234567", 0, "en", out);
    UNIT_EQ_STR("grouped thousands", out, "1,234,567");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_check),  cmocka_unit_test(test_currency_check_null),
        cmocka_unit_test(test_currency_unit),   cmocka_unit_test(test_money_format),
        cmocka_unit_test(test_money_format_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
