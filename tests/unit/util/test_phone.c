/*
 * util/phone: numbers typed in international form (a plus or 00) become a plus and their digits;
 * a national number is read in the merchant's country (a region such as "FR") and refused
 * without one; too few or too many digits and letters are refused with an empty output.
 */
#include "../unit_support.h"

#include "util/phone.h"
#include "util/phone_region.h"

struct phone_case {
    const char *text;
    const char *region; /* "": no merchant's country */
    const char *want;   /* NULL: refused */
};

static const struct phone_case CASES[] = {
    {"+33612345678", "", "+33612345678"},
    {"+33 06 12 34 56 78", "", "+33612345678"}, /* the trunk prefix typed after the code goes */
    {"+330612345678", "FR", "+33612345678"},
    {"0033 06 12 34 56 78", "", "+33612345678"},
    {"+39 06 1234 5678", "", "+390612345678"}, /* Italy's numbers keep their 0 */
    {"+44 020 7946 0958", "", "+442079460958"},
    {"+999 1234 5678", "", "+99912345678"}, /* a code the tables do not know: its shape */
    {"+33 6 12 34 56 78", "", "+33612345678"},
    {"  +44 (0)20 7946 0958", "", "+442079460958"}, /* the trunk prefix in brackets goes */
    /* Austria's trunk 0 typed twice: the library drops one a read; the number read goes on
     * until it reads as itself, so that it is found again by its own text */
    {"+43 0 0 3 9 0003", "", "+43390003"},
    {"+4300390003", "", "+43390003"},
    {"+44 20 7946 0958", "", "+442079460958"},
    {"+1-212-555-0100", "", "+12125550100"},
    {"+49.30.1234567", "", "+49301234567"},
    {"+123456789012345", "", "+123456789012345"}, /* 15 digits */
    {"0033 6 12 34 56 78", "", "+33612345678"},   /* 00 for the plus */
    {"0044 20 7946 0958", "FR", "+442079460958"},
    {"+1234567", "", NULL},          /* 7 digits */
    {"+1234567890123456", "", NULL}, /* 16 digits */
    {"0612345678", "", NULL},        /* national, and no country to read it in */
    {"+0612345678", "", NULL},
    {"000612345678", "FR", NULL}, /* a national prefix after the 00 */
    {"+", "", NULL},
    {"   ", "", NULL},
    {"", "", NULL},
    {"+33 6 12 34 56 7x", "", NULL},
    {"++33612345678", "", NULL},
    {"+33612345678 ext 2", "", NULL},
    /* national numbers in the merchant's country */
    {"06 12 34 56 78", "FR", "+33612345678"},
    {"06.12.34.56.78", "FR", "+33612345678"},
    {"0612345678", "FR", "+33612345678"},
    {"01 23 45 67 89", "FR", "+33123456789"}, /* a landline */
    {"01-23-45-67-89", "FR", "+33123456789"},
    {"+33 6 12 34 56 78", "FR", "+33612345678"},
    {"07700 900123", "GB", "+447700900123"},
    {"020 7946 0958", "GB", "+442079460958"},
    {"(415) 555-0123", "US", "+14155550123"},
    {"415.555.0123", "US", "+14155550123"},
    {"06 12 34 56", "FR", NULL},          /* too short */
    {"06 12 34 56 78 90", "FR", NULL},    /* too long */
    {"555-0123", "US", NULL},             /* no area code */
    {"06 12 AB 56 78", "FR", NULL},       /* letters, which libphonenumber reads as on a keypad */
    {"06 12 34 56 78 ext 2", "FR", NULL}, /* an extension */
    {"06 12 34 56 78", "", NULL},
    {"- -", "FR", NULL},
    /* spaces and digits as pasted: no-break spaces, full-width digits */
    {"06\u00a012\u00a034\u00a056\u00a078", "FR", "+33612345678"},
    {"06\u202f12\u202f34\u202f56\u202f78", "FR", "+33612345678"},
    {"+33\u00a06\u00a012 34 56 78", "", "+33612345678"},
    {"\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", "FR", "+33612345678"},
    {"\uff0b\uff13\uff13 6 12 34 56 78", "", "+33612345678"},
    {"\u00a0(415)\u2009555\u20110123\u00a0", "US", "+14155550123"},
    {"06\u00b712 34 56 78", "FR", NULL}, /* a middle dot is no separator */
    {"\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "FR", NULL},
    {"0612345678000000000000000000000000", "FR", NULL}, /* longer than anyone types a number */
};

static void test_normalise(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CASES); i++) {
        char out[FID_PHONE_MAX] = "unchanged", label[96];
        snprintf(label, sizeof label, "%s in \"%s\"", CASES[i].text, CASES[i].region);
        int rc = fid_phone_normalise(CASES[i].text, CASES[i].region, out);
        UNIT_EQ_INT(label, rc, CASES[i].want ? 0 : -1);
        UNIT_EQ_STR(label, out, CASES[i].want ? CASES[i].want : "");
        char again[FID_PHONE_MAX];
        if (CASES[i].want) { /* a number read reads again as itself, in no region */
            UNIT_EQ_INT(label, fid_phone_normalise(out, "", again), 0);
            UNIT_EQ_STR(label, again, out);
        }
    }
}

/* The merchant's country is its time zone's; a zone of no country reads international numbers
 * only. */
static void test_region_of_zone(void **state)
{
    (void)state;
    static const char *const ZONES[][2] = {
        {"Europe/Paris", "FR"},     {"Europe/London", "GB"},  {"America/Montreal", "CA"},
        {"America/New_York", "US"}, {"Europe/Monaco", "MC"},  {"Etc/UTC", ""},
        {"Etc/GMT+2", ""},          {"Nowhere/Atlantis", ""},
    };
    for (size_t i = 0; i < N_ELEMENTS(ZONES); i++) {
        char region[FID_PHONE_REGION_MAX] = "xx";
        fid_phone_region_of_zone(ZONES[i][0], region);
        UNIT_EQ_STR(ZONES[i][0], region, ZONES[i][1]);
    }
}

/* A refusal names its field and shows what the country's numbers look like. */
static void test_read_names_the_field(void **state)
{
    (void)state;
    struct fid_error err;
    char out[FID_PHONE_MAX];
    fid_error_clear(&err);
    assert_int_equal(fid_phone_read("06 12 34", "FR", out, "/phone", &err), FID_ERR_INPUT);
    UNIT_EQ_STR("field", err.field, "/phone");
    if (strstr(err.message, "06 12 34 56 78") == NULL ||
        strstr(err.message, "+33612345678") == NULL)
        fail_msg("message \"%s\" shows no French number", err.message);
    assert_int_equal(fid_phone_read("06 12 34 56 78", "", out, "phone", &err), FID_ERR_INPUT);
    if (strstr(err.message, "international form") == NULL)
        fail_msg("message \"%s\" does not ask for the international form", err.message);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_region_of_zone),
        cmocka_unit_test(test_read_names_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
