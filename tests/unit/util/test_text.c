/*
 * util/text: UTF-8 and control characters of typed text, cutting text to a size without cutting
 * a character, and untrusted bytes made UTF-8 to be echoed.
 */
#include "../unit_support.h"

#include "util/text.h"

static void test_utf8_and_controls(void **state)
{
    (void)state;
    assert_true(fid_text_utf8("café", 5));
    assert_false(fid_text_utf8("caf\xc3", 4));
    assert_false(fid_text_utf8("a\0b", 3));
    UNIT_EQ_INT("no control", fid_text_control("a b"), -1);
    UNIT_EQ_INT("a newline", fid_text_control("a\nb"), '\n');
    UNIT_EQ_INT("DEL", fid_text_control("a\x7f"), 0x7f);
    UNIT_EQ_INT("NEL, a C1 control",
                fid_text_control("a\xc2\x85"
                                 "b"),
                0x85);
    UNIT_EQ_INT("the line separator", fid_text_control("a\xe2\x80\xa8"), 0x2028);
    UNIT_EQ_INT("the paragraph separator", fid_text_control("\xe2\x80\xa9"), 0x2029);
    UNIT_EQ_INT("a letter beside them", fid_text_control("\xc2\xa0\xe2\x80\xa6\xc3\xa9"), -1);
    assert_true(fid_email_plausible("bob@example.org"));
    assert_true(fid_email_plausible("\xc3\xa9lodie@caf\xc3\xa9.fr"));
    assert_true(fid_email_plausible("root@localhost"));
    assert_false(fid_email_plausible("bob@"));
    assert_false(fid_email_plausible("@example.org"));
    assert_false(fid_email_plausible("a@b@c"));
    assert_false(fid_email_plausible("bob @example.org"));
    assert_false(fid_email_plausible("bob\t@example.org"));
    assert_false(fid_email_plausible("Bob Smith"));
}

struct cut_case {
    const char *text;
    size_t size;
    const char *want;
};

static const struct cut_case CUTS[] = {
    {"abc", 8, "abc"},
    {"abcdef", 4, "abc"},
    {"café", 5, "caf"}, /* é is two bytes: it does not fit in 4 */
    {"café", 6, "café"},
    {"a\xe2\x82\xac", 4, "a"},    /* € is three bytes */
    {"\xf0\x9f\x98\x80x", 4, ""}, /* an emoji of four */
    {"", 1, ""},
};

static void test_cut(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CUTS); i++) {
        char out[16];
        fid_text_cut(CUTS[i].text, out, CUTS[i].size);
        UNIT_EQ_STR(CUTS[i].text, out, CUTS[i].want);
        assert_true(fid_text_utf8(out, strlen(out)));
    }
}

static const struct cut_case SANITIZED[] = {
    {"abc", 16, "abc"},
    {"a\xff"
     "b",
     16,
     "a\xef\xbf\xbd"
     "b"},                                                        /* a stray byte becomes U+FFFD */
    {"caf\xc3", 16, "caf\xef\xbf\xbd"},                           /* a cut sequence too */
    {"\xc0\xaf", 16, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* an overlong '/' */
    {"\xed\xa0\x80", 16, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
    {"ab\xff", 5, "ab"}, /* cut before what does not fit whole */
};

static void test_sanitize(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(SANITIZED); i++) {
        char out[16];
        fid_text_sanitize(SANITIZED[i].text, out, SANITIZED[i].size);
        UNIT_EQ_STR(SANITIZED[i].text, out, SANITIZED[i].want);
        assert_true(fid_text_utf8(out, strlen(out)));
    }
}

/* E-mails are folded in every script; what cannot be folded keeps its ASCII letters lowered. */
static void test_email_fold(void **state)
{
    (void)state;
    char out[64];
    fid_email_fold("ÉLODIE@Example.FR", out, sizeof out);
    UNIT_EQ_STR("accents", out, "élodie@example.fr");
    fid_email_fold("ann@example.com", out, sizeof out);
    UNIT_EQ_STR("already folded", out, "ann@example.com");
    fid_email_fold("ÄÖÜ@EXAMPLE.DE", out, 8); /* does not fit folded: ASCII alone, cut */
    assert_true(strlen(out) < 8);
    fid_email_fold("AB\xff@X.FR", out, sizeof out); /* not UTF-8 */
    UNIT_EQ_STR("not UTF-8", out, "ab\xff@x.fr");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_fold),
        cmocka_unit_test(test_utf8_and_controls),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_sanitize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
