/*
 * util/phone: numbers typed in international form become a plus and their digits; national
 * numbers, too few or too many digits, and letters are refused with an empty output.
 */
#include "../unit_support.h"

#include "util/phone.h"

struct phone_case {
    const char *text;
    const char *want; /* NULL: refused */
};

static const struct phone_case CASES[] = {
    {"+33612345678", "+33612345678"},
    {"+33 6 12 34 56 78", "+33612345678"},
    {"  +44 (0)20 7946 0958", "+442079460958"}, /* the trunk prefix in brackets goes */
    {"+44 20 7946 0958", "+442079460958"},
    {"+1-212-555-0100", "+12125550100"},
    {"+49.30.1234567", "+49301234567"},
    {"+123456789012345", "+123456789012345"}, /* 15 digits */
    {"+1234567", NULL},                       /* 7 digits */
    {"+1234567890123456", NULL},              /* 16 digits */
    {"0612345678", NULL},                     /* national */
    {"+0612345678", NULL},
    {"+", NULL},
    {"   ", NULL},
    {"", NULL},
    {"+33 6 12 34 56 7x", NULL},
    {"++33612345678", NULL},
    {"+33612345678 ext 2", NULL},
};

static void test_normalise(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CASES); i++) {
        char out[FID_PHONE_MAX] = "unchanged";
        int rc = fid_phone_normalise(CASES[i].text, out);
        UNIT_EQ_INT(CASES[i].text, rc, CASES[i].want ? 0 : -1);
        UNIT_EQ_STR(CASES[i].text, out, CASES[i].want ? CASES[i].want : "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
