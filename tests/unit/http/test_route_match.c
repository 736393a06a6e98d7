/*
 * http/route_match: literal templates match their own text only; "{name}" segments capture up to
 * the next '/', percent-decoded (an invalid escape kept as it is), and only as many rows as the
 * template has captures are written. Refused: an empty segment, a decoded NUL, a capture of
 * HTTP_PARAM_MAX bytes or more once decoded, a missing or extra segment, a template of
 * HTTP_PARAMS_MAX captures. The route fuzz target's copy of the templates equals the route table's.
 */
#include "../unit_support.h"

#include "http/route_match.h"
#include "http/routes.h"
#include "../../../fuzz/route_templates.h"

struct match_case {
    const char *label, *template, *path;
    bool matches;
    const char *captures[HTTP_PARAMS_MAX - 1];
};

static const struct match_case CASES[] = {
    {"literal", "/v1/members", "/v1/members", true, {NULL}},
    {"literal, other path", "/v1/members", "/v1/rewards", false, {NULL}},
    {"literal, a prefix", "/v1/members", "/v1/member", false, {NULL}},
    {"literal, longer path", "/v1/events", "/v1/events/batch", false, {NULL}},
    {"literal, escaped", "/v1/members", "/v1/%6Dembers", false, {NULL}},
    {"capture last", "/v1/members/{id}", "/v1/members/m0001", true, {"m0001"}},
    {"capture inside", "/v1/members/{id}/balance", "/v1/members/m0001/balance", true, {"m0001"}},
    {"voucher use", "/v1/vouchers/{code}/use", "/v1/vouchers/ABCD-EFGH/use", true, {"ABCD-EFGH"}},
    {"decoded",
     "/v1/members/{id}/ledger",
     "/v1/members/caf%C3%a9%20au%20lait/ledger",
     true,
     {"caf\xc3\xa9 au lait"}},
    {"decoded slash", "/v1/vouchers/{code}/use", "/v1/vouchers/a%2Fb%2f/use", true, {"a/b/"}},
    {"decoded percent", "/v1/members/{id}", "/v1/members/100%25", true, {"100%"}},
    {"invalid escapes kept", "/v1/members/{id}", "/v1/members/a%zz%4", true, {"a%zz%4"}},
    {"escape cut by a slash", "/v1/members/{id}/balance", "/v1/members/a%4/balance", true, {"a%4"}},
    {"three captures", "/{a}/{b}/{c}", "/x/y%2Fz/w", true, {"x", "y/z", "w"}},
    {"four captures", "/{a}/{b}/{c}/{d}", "/w/x/y/z", false, {NULL}},
    {"empty segment", "/v1/members/{id}/balance", "/v1/members//balance", false, {NULL}},
    {"empty last segment", "/v1/members/{id}", "/v1/members/", false, {NULL}},
    {"missing segment", "/v1/members/{id}/balance", "/v1/members/m0001", false, {NULL}},
    {"extra segment", "/v1/members/{id}", "/v1/members/m0001/balance", false, {NULL}},
    {"trailing slash", "/v1/members/{id}/balance", "/v1/members/m0001/balance/", false, {NULL}},
    {"decoded NUL", "/v1/members/{id}", "/v1/members/m%000001", false, {NULL}},
    {"empty path", "/healthz", "", false, {NULL}},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CASES); i++) {
        const struct match_case *c = &CASES[i];
        char params[HTTP_PARAMS_MAX][HTTP_PARAM_MAX];
        memset(params, 0, sizeof params);
        UNIT_EQ_INT(c->label, route_match(c->template, c->path, params), c->matches);
        if (!c->matches)
            continue;
        size_t k = 0;
        for (; k < N_ELEMENTS(c->captures) && c->captures[k] != NULL; k++)
            UNIT_EQ_STR(c->label, params[k], c->captures[k]);
        for (; k < HTTP_PARAMS_MAX; k++) /* rows past the captures are left alone */
            UNIT_EQ_STR(c->label, params[k], "");
    }
}

/* path is "/v1/members/" followed by n copies of unit, which decodes to one byte. */
static bool member_of_length(size_t n, const char *unit, char params[][HTTP_PARAM_MAX])
{
    char path[16 + 3 * HTTP_PARAM_MAX + 8] = "/v1/members/";
    size_t len = strlen(path), unit_len = strlen(unit);
    for (size_t i = 0; i < n; i++, len += unit_len)
        memcpy(path + len, unit, unit_len);
    path[len] = '\0';
    return route_match("/v1/members/{id}", path, params);
}

static void test_capture_length(void **state)
{
    (void)state;
    char params[HTTP_PARAMS_MAX][HTTP_PARAM_MAX];
    assert_true(member_of_length(HTTP_PARAM_MAX - 1, "x", params));
    UNIT_EQ_INT("longest", strlen(params[0]), HTTP_PARAM_MAX - 1);
    assert_false(member_of_length(HTTP_PARAM_MAX, "x", params));
    /* the decoded length counts, not the length on the wire */
    assert_true(member_of_length(HTTP_PARAM_MAX - 1, "%41", params));
    UNIT_EQ_INT("longest decoded", strlen(params[0]), HTTP_PARAM_MAX - 1);
    assert_int_equal(params[0][0], 'A');
    assert_false(member_of_length(HTTP_PARAM_MAX, "%41", params));
}

static bool listed(const char *const *list, size_t n, const char *template)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], template) == 0)
            return true;
    return false;
}

/* The copy holds the table's templates each once, in the order they first appear. */
static void test_fuzz_templates_are_the_route_table(void **state)
{
    (void)state;
    const char *const *table = routes_templates();
    size_t n = 0;
    for (size_t i = 0; i < routes_count(); i++) {
        if (listed(table, i, table[i]))
            continue;
        UNIT_EQ_INT(table[i], n < N_ROUTE_TEMPLATES, true);
        UNIT_EQ_STR(table[i], ROUTE_TEMPLATES[n], table[i]);
        n++;
    }
    UNIT_EQ_INT("templates", N_ROUTE_TEMPLATES, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_capture_length),
        cmocka_unit_test(test_fuzz_templates_are_the_route_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
