/*
 * core/tier: the level a value reaches (threshold edges), and the qualification window, next
 * review and reviewed window for each window kind, in Europe/Paris. New Year in Paris is
 * 2026-12-31T23:00:00Z: one second earlier is still 31 December 23:59:59 local.
 */
#include "core_support.h"

#include "core/tier.h"

static const char LEVELS[] = "'levels': [{'id': 'bronze', 'threshold': 1000},"
                             " {'id': 'silver', 'threshold': 5000},"
                             " {'id': 'gold', 'threshold': 20000}]";

static struct program *tiered(const char *window, int grace_days)
{
    char text[512];
    snprintf(text, sizeof text,
             "{'earning': {'points': 1, 'per_minor': 100}, 'tiers': {'metric': 'spend', "
             "'window': '%s', 'grace_days': %d, %s}}",
             window, grace_days, LEVELS);
    return unit_program(text);
}

static struct fid_tz *paris(void)
{
    struct fid_tz *tz = NULL;
    struct fid_error err;
    assert_int_equal(fid_tz_open("Europe/Paris", &tz, &err), FID_OK);
    return tz;
}

struct rank_case {
    int64_t value;
    int rank;
};

static const struct rank_case RANK_CASES[] = {
    {INT64_MIN, -1}, {-1, -1},  {0, -1},    {999, -1},  {1000, 0},  {1001, 0},
    {4999, 0},       {5000, 1}, {19999, 1}, {20000, 2}, {20001, 2}, {INT64_MAX, 2},
};

static void test_rank_for(void **state)
{
    (void)state;
    struct program *p = tiered("calendar_year", 0);
    for (size_t i = 0; i < N_ELEMENTS(RANK_CASES); i++) {
        const struct rank_case *c = &RANK_CASES[i];
        char label[32];
        snprintf(label, sizeof label, "value %lld", (long long)c->value);
        UNIT_EQ_INT(label, tier_rank_for(p, c->value), c->rank);
    }
    program_free(p);

    /* a first level at 0 is reached by everyone; no tiers: nobody */
    p = unit_program("{'earning': {'points': 1, 'per_minor': 100}, 'tiers': {'metric': 'orders', "
                     "'window': 'lifetime', 'levels': [{'id': 'member', 'threshold': 0}, "
                     "{'id': 'regular', 'threshold': 10}]}}");
    assert_int_equal(tier_rank_for(p, 0), 0);
    assert_int_equal(tier_rank_for(p, 9), 0);
    assert_int_equal(tier_rank_for(p, 10), 1);
    program_free(p);
    p = unit_program("{'earning': {'points': 1, 'per_minor': 100}}");
    assert_int_equal(tier_rank_for(p, 1000000), -1);
    program_free(p);
}

struct window_case {
    const char *name;
    const char *window;
    int grace_days;
    const char *at;
    const char *window_start; /* tier_window_start(at) */
    const char *next_review;  /* tier_next_review(at); NULL: never (0) */
    const char *review_from;  /* tier_review_window(next_review) */
    const char *review_to;
};

#define MIN_ISO "1900-01-01T00:00:00Z"

static const struct window_case WINDOW_CASES[] = {
    /* calendar year, no grace */
    {"last second of 2026 in Paris", "calendar_year", 0, "2026-12-31T22:59:59Z",
     "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z", "2025-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z"},
    {"first second of 2027 in Paris", "calendar_year", 0, "2026-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z", "2027-12-31T23:00:00Z", "2026-12-31T23:00:00Z",
     "2027-12-31T23:00:00Z"},
    {"midsummer", "calendar_year", 0, "2026-07-14T10:00:00Z", "2025-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z", "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z"},
    {"midnight UTC on 1 January is 01:00 in Paris", "calendar_year", 0, "2026-01-01T00:00:00Z",
     "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z", "2025-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z"},
    /* calendar year with a 31-day grace: reviewed on 1 February local */
    {"grace, last second of 2026", "calendar_year", 31, "2026-12-31T22:59:59Z",
     "2025-12-31T23:00:00Z", "2027-01-31T23:00:00Z", "2025-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z"},
    {"grace, first second of 2027", "calendar_year", 31, "2026-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z", "2028-01-31T23:00:00Z", "2026-12-31T23:00:00Z",
     "2027-12-31T23:00:00Z"},
    {"grace, inside the grace period", "calendar_year", 31, "2027-01-15T12:00:00Z",
     "2026-12-31T23:00:00Z", "2028-01-31T23:00:00Z", "2026-12-31T23:00:00Z",
     "2027-12-31T23:00:00Z"},
    {"grace, at the review itself", "calendar_year", 31, "2027-01-31T23:00:00Z",
     "2026-12-31T23:00:00Z", "2028-01-31T23:00:00Z", "2026-12-31T23:00:00Z",
     "2027-12-31T23:00:00Z"},
    {"grace, one second before the review", "calendar_year", 31, "2027-01-31T22:59:59Z",
     "2026-12-31T23:00:00Z", "2028-01-31T23:00:00Z", "2026-12-31T23:00:00Z",
     "2027-12-31T23:00:00Z"},
    {"grace over a DST change", "calendar_year", 100, "2026-06-01T10:00:00Z",
     "2025-12-31T23:00:00Z", "2027-04-10T22:00:00Z", "2025-12-31T23:00:00Z",
     "2026-12-31T23:00:00Z"},
    /* rolling twelve months: same local clock time a year before / after */
    {"rolling, winter", "rolling_12_months", 0, "2026-03-15T10:00:00Z", "2025-03-15T10:00:00Z",
     "2027-03-15T10:00:00Z", "2026-03-15T10:00:00Z", "2027-03-15T10:00:00Z"},
    {"rolling, summer", "rolling_12_months", 0, "2026-07-01T10:00:00Z", "2025-07-01T10:00:00Z",
     "2027-07-01T10:00:00Z", "2026-07-01T10:00:00Z", "2027-07-01T10:00:00Z"},
    {"rolling, last second of 2026", "rolling_12_months", 0, "2026-12-31T22:59:59Z",
     "2025-12-31T22:59:59Z", "2027-12-31T22:59:59Z", "2026-12-31T22:59:59Z",
     "2027-12-31T22:59:59Z"},
    {"rolling, 29 February", "rolling_12_months", 0, "2028-02-29T12:00:00Z", "2027-02-28T12:00:00Z",
     "2029-02-28T12:00:00Z", "2028-02-28T12:00:00Z", "2029-02-28T12:00:00Z"},
    {"rolling with grace across DST", "rolling_12_months", 30, "2026-03-15T10:00:00Z",
     "2025-03-15T10:00:00Z", "2027-04-14T09:00:00Z", "2026-03-15T10:00:00Z",
     "2027-03-15T10:00:00Z"},
    /* lifetime: the window never closes, there is no review */
    {"lifetime", "lifetime", 0, "2026-12-31T22:59:59Z", MIN_ISO, NULL, NULL, NULL},
    {"lifetime with grace", "lifetime", 30, "2026-12-31T23:00:00Z", MIN_ISO, NULL, NULL, NULL},
};

static void test_windows_and_reviews(void **state)
{
    (void)state;
    struct fid_tz *tz = paris();
    for (size_t i = 0; i < N_ELEMENTS(WINDOW_CASES); i++) {
        const struct window_case *c = &WINDOW_CASES[i];
        struct program *p = tiered(c->window, c->grace_days);
        int64_t t = unit_time(c->at);
        UNIT_EQ_TIME(c->name, tier_window_start(p, tz, t), c->window_start);
        int64_t review = tier_next_review(p, tz, t);
        if (c->next_review == NULL) {
            UNIT_EQ_INT(c->name, review, 0);
        } else {
            UNIT_EQ_TIME(c->name, review, c->next_review);
            UNIT_EQ_INT(c->name, review > t, 1);
            int64_t from = 0, to = 0;
            tier_review_window(p, tz, review, &from, &to);
            UNIT_EQ_TIME(c->name, from, c->review_from);
            UNIT_EQ_TIME(c->name, to, c->review_to);
        }
        program_free(p);
    }
    fid_tz_free(tz);
}

static void test_lifetime_review_window(void **state)
{
    (void)state;
    struct fid_tz *tz = paris();
    struct program *p = tiered("lifetime", 0);
    int64_t from = 0, to = 0;
    int64_t at = unit_time("2027-01-01T00:00:00Z");
    tier_review_window(p, tz, at, &from, &to);
    assert_true(from == FID_TIME_MIN);
    assert_true(to == at);
    program_free(p);
    fid_tz_free(tz);
}

/* Confirming a tier at a calendar-year review schedules the next review one year later. */
static void test_reviews_chain_yearly(void **state)
{
    (void)state;
    struct fid_tz *tz = paris();
    struct program *p = tiered("calendar_year", 31);
    int64_t review = tier_next_review(p, tz, unit_time("2026-05-05T05:05:05Z"));
    static const char *const expected[] = {"2027-01-31T23:00:00Z", "2028-01-31T23:00:00Z",
                                           "2029-01-31T23:00:00Z", "2030-01-31T23:00:00Z"};
    for (size_t i = 0; i < N_ELEMENTS(expected); i++) {
        UNIT_EQ_TIME(expected[i], review, expected[i]);
        review = tier_next_review(p, tz, review);
    }
    program_free(p);
    fid_tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_for),
        cmocka_unit_test(test_windows_and_reviews),
        cmocka_unit_test(test_lifetime_review_window),
        cmocka_unit_test(test_reviews_chain_yearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
