/*
 * util/timeutil: strict ISO 8601 parsing, formatting, and calendar arithmetic in Europe/Paris
 * (CET/CEST: summer time 2026 runs from 29 March 01:00Z to 25 October 01:00Z).
 */
#include "../unit_support.h"

#include "util/timeutil.h"

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define PARIS "Europe/Paris"

/* ---- civil dates ------------------------------------------------------------------------- */

struct civil_case {
    int year, month, day;
    int64_t days;
};

static const struct civil_case CIVIL_CASES[] = {
    {1970, 1, 1, 0},      {1969, 12, 31, -1},    {2000, 3, 1, 11017},    {1900, 1, 1, -25567},
    {2024, 2, 29, 19782}, {2026, 12, 31, 20818}, {2999, 12, 31, 376199},
};

static void test_days_from_civil(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CIVIL_CASES); i++) {
        const struct civil_case *c = &CIVIL_CASES[i];
        char label[32];
        snprintf(label, sizeof label, "%04d-%02d-%02d", c->year, c->month, c->day);
        UNIT_EQ_INT(label, fid_days_from_civil(c->year, c->month, c->day), c->days);
    }
}

struct date_case {
    const char *text;
    bool valid;
    int year, month, day;
};

static const struct date_case DATE_CASES[] = {
    {"2026-02-28", true, 2026, 2, 28},
    {"2024-02-29", true, 2024, 2, 29},
    {"2000-02-29", true, 2000, 2, 29},
    {"1900-01-01", true, 1900, 1, 1},
    {"2999-12-31", true, 2999, 12, 31},
    {"2026-02-29", false, 0, 0, 0}, /* not a leap year */
    {"2100-02-29", false, 0, 0, 0}, /* century, not a leap year */
    {"2026-02-30", false, 0, 0, 0},
    {"2026-04-31", false, 0, 0, 0},
    {"2026-13-01", false, 0, 0, 0},
    {"2026-00-10", false, 0, 0, 0},
    {"2026-01-00", false, 0, 0, 0},
    {"1899-12-31", false, 0, 0, 0},
    {"3000-01-01", false, 0, 0, 0},
    {"2026-1-01", false, 0, 0, 0},
    {"2026-01-011", false, 0, 0, 0},
    {"2026/01/01", false, 0, 0, 0},
    {"", false, 0, 0, 0},
};

static void test_date_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(DATE_CASES); i++) {
        const struct date_case *c = &DATE_CASES[i];
        int y = -1, m = -1, d = -1;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = fid_date_parse(c->text, &y, &m, &d, "/birthday", &err);
        if (c->valid) {
            UNIT_EQ_INT(c->text, st, FID_OK);
            UNIT_EQ_INT(c->text, y, c->year);
            UNIT_EQ_INT(c->text, m, c->month);
            UNIT_EQ_INT(c->text, d, c->day);
            UNIT_EQ_INT(c->text, fid_date_valid(y, m, d), true);
        } else {
            UNIT_EQ_ERROR(c->text, st, err, FID_ERR_INPUT, "/birthday");
        }
    }
    assert_false(fid_date_valid(2026, 2, 29));
    assert_true(fid_date_valid(2028, 2, 29));
    assert_false(fid_date_valid(2026, 12, 32));
}

/* ---- instants ---------------------------------------------------------------------------- */

struct parse_case {
    const char *text;
    bool with_zone; /* parse with Europe/Paris, which allows a bare date */
    enum fid_status status;
    int64_t expected;
};

#define T_0812 1772525520LL /* 2026-03-03T08:12:00Z */

static const struct parse_case PARSE_CASES[] = {
    {"2026-03-03T08:12:00Z", false, FID_OK, T_0812},
    {"2026-03-03T09:12:00+01:00", false, FID_OK, T_0812},
    {"2026-03-03T02:42:00-05:30", false, FID_OK, T_0812},
    {"2026-03-04T00:12:00+16:00", false, FID_OK, T_0812},
    {"2026-03-03T08:12:00+00:00", false, FID_OK, T_0812},
    {"2026-03-03T08:12:00.5Z", false, FID_OK, T_0812},
    {"2026-03-03T08:12:00.123456789Z", false, FID_OK, T_0812},
    {"2026-03-03T08:12:00.999+00:00", false, FID_OK, T_0812},
    {"2026-03-03t08:12:00z", false, FID_OK, T_0812},
    {"2026-03-03 08:12:00Z", false, FID_OK, T_0812},
    {"2026-03-03T08:12Z", false, FID_OK, T_0812},
    {"1970-01-01T00:00:00Z", false, FID_OK, 0},
    {"1900-01-01T00:00:00Z", false, FID_OK, FID_TIME_MIN},
    {"2999-12-31T23:59:59Z", false, FID_OK, FID_TIME_MAX - 1},
    {"2024-02-29T00:00:00Z", false, FID_OK, 1709164800LL},
    /* a bare date is local midnight in the zone */
    {"2026-07-01", true, FID_OK, 1782856800LL}, /* 2026-06-30T22:00:00Z (CEST) */
    {"2026-01-15", true, FID_OK, 1768431600LL}, /* 2026-01-14T23:00:00Z (CET) */
    {"2026-07-01", false, FID_ERR_INPUT, 0},
    /* impossible dates and times */
    {"2026-02-30T10:00:00Z", false, FID_ERR_INPUT, 0},
    {"2026-02-29T10:00:00Z", false, FID_ERR_INPUT, 0},
    {"2026-13-01T10:00:00Z", false, FID_ERR_INPUT, 0},
    {"2026-03-03T24:00:00Z", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:60:00Z", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:60Z", false, FID_ERR_INPUT, 0},
    {"1899-12-31T23:59:59Z", false, FID_ERR_INPUT, 0},
    /* syntax */
    {"2026-03-03T08:12:00", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00+0100", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00+01", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00+24:00", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00.Z", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00Z ", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00Zjunk", false, FID_ERR_INPUT, 0},
    {"2026-03-03T8:12:00Z", false, FID_ERR_INPUT, 0},
    {"2026-03-03X08:12:00Z", false, FID_ERR_INPUT, 0},
    {"2026-3-3T08:12:00Z", false, FID_ERR_INPUT, 0},
    {"26-03-03T08:12:00Z", false, FID_ERR_INPUT, 0},
    {"2026-03-03T", false, FID_ERR_INPUT, 0},
    {"2026", false, FID_ERR_INPUT, 0},
    {"", false, FID_ERR_INPUT, 0},
    {"2026-03-03T08:12:00.00000000000000000000Z", false, FID_ERR_INPUT, 0}, /* 41 bytes */
    {"2026-03-03T08:12:00.0000000000000000000Z", false, FID_OK, T_0812},    /* 40 bytes */
};

static void test_time_parse(void **state)
{
    (void)state;
    struct fid_tz *paris = unit_open_zone(PARIS);
    for (size_t i = 0; i < N_ELEMENTS(PARSE_CASES); i++) {
        const struct parse_case *c = &PARSE_CASES[i];
        int64_t t = -42;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = fid_time_parse(c->text, c->with_zone ? paris : NULL, &t, "/at", &err);
        if (c->status == FID_OK) {
            UNIT_EQ_INT(c->text, st, FID_OK);
            UNIT_EQ_INT(c->text, t, c->expected);
        } else {
            UNIT_EQ_ERROR(c->text, st, err, c->status, "/at");
            UNIT_EQ_INT(c->text, t, -42);
        }
    }
    fid_tz_free(paris);
}

struct format_case {
    int64_t t;
    const char *text;
};

static const struct format_case FORMAT_CASES[] = {
    {0, "1970-01-01T00:00:00Z"},
    {-1, "1969-12-31T23:59:59Z"},
    {-86400, "1969-12-31T00:00:00Z"},
    {-86401, "1969-12-30T23:59:59Z"},
    {T_0812, "2026-03-03T08:12:00Z"},
    {1709164800LL, "2024-02-29T00:00:00Z"},
    {FID_TIME_MIN, "1900-01-01T00:00:00Z"},
    {FID_TIME_MAX, "3000-01-01T00:00:00Z"},
    {FID_TIME_MAX - 1, "2999-12-31T23:59:59Z"},
    {951782400LL, "2000-02-29T00:00:00Z"},
};

static void test_time_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(FORMAT_CASES); i++) {
        const struct format_case *c = &FORMAT_CASES[i];
        char out[FID_TIME_ISO_MAX];
        fid_time_format(c->t, out);
        UNIT_EQ_STR(c->text, out, c->text);
    }
}

static void test_time_round_trip(void **state)
{
    (void)state;
    /* A prime stride (about 9 days) so that every time of day and date shows up. */
    for (int64_t t = FID_TIME_MIN; t < FID_TIME_MAX; t += 768143) {
        char text[FID_TIME_ISO_MAX];
        fid_time_format(t, text);
        int64_t back = 0;
        struct fid_error err;
        UNIT_EQ_INT(text, fid_time_parse(text, NULL, &back, "t", &err), FID_OK);
        UNIT_EQ_INT(text, back, t);
    }
}

/* ---- zones ------------------------------------------------------------------------------- */

struct zone_case {
    const char *name;
    enum fid_status status;
};

static const struct zone_case ZONE_CASES[] = {
    {"Europe/Paris", FID_OK},
    {"America/New_York", FID_OK},
    {"UTC", FID_OK},
    {"Asia/Kolkata", FID_OK},
    {"Mars/Olympus_Mons", FID_ERR_INPUT},
    {"Europe/Pariss", FID_ERR_INPUT},
    {"", FID_ERR_INPUT},
    {"Europe/Paris/This/Name/Is/Far/Too/Long/For/Any/Zone/In/The/IANA/DB", FID_ERR_INPUT},
};

static void test_tz_open(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(ZONE_CASES); i++) {
        const struct zone_case *c = &ZONE_CASES[i];
        struct fid_tz *tz = (struct fid_tz *)&tz; /* must be reset to NULL on failure */
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = fid_tz_open(c->name, &tz, &err);
        if (c->status == FID_OK) {
            UNIT_EQ_INT(c->name, st, FID_OK);
            assert_non_null(tz);
            UNIT_EQ_STR(c->name, fid_tz_name(tz), c->name);
        } else {
            UNIT_EQ_ERROR(c->name, st, err, c->status, "timezone");
            assert_null(tz);
        }
        fid_tz_free(tz);
    }
    fid_tz_free(NULL);
}

struct local_case {
    const char *utc;
    int year, month, day, hour, minute, second, weekday;
};

static const struct local_case LOCAL_CASES[] = {
    {"2026-03-03T08:12:00Z", 2026, 3, 3, 9, 12, 0, 1}, /* Tuesday, CET */
    /* Monday in UTC, already Tuesday in Paris */
    {"2026-03-02T23:30:00Z", 2026, 3, 3, 0, 30, 0, 1},
    {"2026-03-03T23:30:00Z", 2026, 3, 4, 0, 30, 0, 2},
    /* spring forward: 02:00 CET becomes 03:00 CEST on Sunday 29 March */
    {"2026-03-29T00:59:59Z", 2026, 3, 29, 1, 59, 59, 6},
    {"2026-03-29T01:00:00Z", 2026, 3, 29, 3, 0, 0, 6},
    {"2026-03-29T21:59:59Z", 2026, 3, 29, 23, 59, 59, 6},
    {"2026-03-29T22:00:00Z", 2026, 3, 30, 0, 0, 0, 0},
    /* fall back: 03:00 CEST becomes 02:00 CET on Sunday 25 October */
    {"2026-10-25T00:59:59Z", 2026, 10, 25, 2, 59, 59, 6},
    {"2026-10-25T01:00:00Z", 2026, 10, 25, 2, 0, 0, 6},
    {"2026-10-25T22:59:59Z", 2026, 10, 25, 23, 59, 59, 6},
    {"2026-10-25T23:00:00Z", 2026, 10, 26, 0, 0, 0, 0},
    /* new year */
    {"2026-12-31T22:59:59Z", 2026, 12, 31, 23, 59, 59, 3},
    {"2026-12-31T23:00:00Z", 2027, 1, 1, 0, 0, 0, 4},
    {"2028-02-29T12:00:00Z", 2028, 2, 29, 13, 0, 0, 1},
    {"1900-01-01T00:00:00Z", 1900, 1, 1, 0, 9, 21, 0}, /* Paris mean time, +00:09:21 */
};

static void test_tz_local(void **state)
{
    (void)state;
    struct fid_tz *paris = unit_open_zone(PARIS);
    for (size_t i = 0; i < N_ELEMENTS(LOCAL_CASES); i++) {
        const struct local_case *c = &LOCAL_CASES[i];
        struct fid_local l;
        memset(&l, 0xff, sizeof l);
        fid_tz_local(paris, unit_time(c->utc), &l);
        UNIT_EQ_INT(c->utc, l.year, c->year);
        UNIT_EQ_INT(c->utc, l.month, c->month);
        UNIT_EQ_INT(c->utc, l.day, c->day);
        UNIT_EQ_INT(c->utc, l.hour, c->hour);
        UNIT_EQ_INT(c->utc, l.minute, c->minute);
        UNIT_EQ_INT(c->utc, l.second, c->second);
        UNIT_EQ_INT(c->utc, l.weekday, c->weekday);
    }
    fid_tz_free(paris);
}

struct midnight_case {
    int year, month, day;
    const char *utc;
};

static const struct midnight_case MIDNIGHT_CASES[] = {
    {2026, 1, 1, "2025-12-31T23:00:00Z"},   {2026, 3, 29, "2026-03-28T23:00:00Z"},
    {2026, 3, 30, "2026-03-29T22:00:00Z"},  {2026, 7, 1, "2026-06-30T22:00:00Z"},
    {2026, 10, 25, "2026-10-24T22:00:00Z"}, {2026, 10, 26, "2026-10-25T23:00:00Z"},
    {2028, 2, 29, "2028-02-28T23:00:00Z"},
};

static void test_tz_midnight(void **state)
{
    (void)state;
    struct fid_tz *paris = unit_open_zone(PARIS);
    for (size_t i = 0; i < N_ELEMENTS(MIDNIGHT_CASES); i++) {
        const struct midnight_case *c = &MIDNIGHT_CASES[i];
        UNIT_EQ_TIME(c->utc, fid_tz_midnight(paris, c->year, c->month, c->day), c->utc);
    }
    fid_tz_free(paris);
}

struct shift_case {
    const char *from;
    int months, days;
    const char *expected;
};

static const struct shift_case SHIFT_CASES[] = {
    /* clamped to the end of the month, same local clock time (12:00 CET) */
    {"2026-01-31T11:00:00Z", 1, 0, "2026-02-28T11:00:00Z"},
    {"2028-01-31T11:00:00Z", 1, 0, "2028-02-29T11:00:00Z"},
    {"2026-01-31T11:00:00Z", 13, 0, "2027-02-28T11:00:00Z"},
    {"2026-03-31T10:00:00Z", -1, 0, "2026-02-28T11:00:00Z"}, /* 12:00 CEST -> 12:00 CET */
    {"2026-08-31T10:00:00Z", 1, 0, "2026-09-30T10:00:00Z"},
    {"2026-10-31T11:00:00Z", 1, 0, "2026-11-30T11:00:00Z"},
    {"2028-02-29T11:00:00Z", 12, 0, "2029-02-28T11:00:00Z"},
    {"2028-02-29T11:00:00Z", -12, 0, "2027-02-28T11:00:00Z"},
    {"2026-03-15T10:00:00Z", 0, 0, "2026-03-15T10:00:00Z"},
    /* across a DST change the local clock time is kept, so the UTC hour moves */
    {"2026-03-15T11:00:00Z", 1, 0, "2026-04-15T10:00:00Z"},
    {"2026-03-28T11:00:00Z", 0, 1, "2026-03-29T10:00:00Z"},
    {"2026-10-24T10:00:00Z", 0, 1, "2026-10-25T11:00:00Z"},
    {"2026-12-31T23:00:00Z", 0, -1, "2026-12-30T23:00:00Z"},
    {"2026-12-31T23:00:00Z", 0, 31, "2027-01-31T23:00:00Z"},
    {"2026-02-28T11:00:00Z", 0, 366, "2027-03-01T11:00:00Z"},
};

static void test_tz_add_months_and_days(void **state)
{
    (void)state;
    struct fid_tz *paris = unit_open_zone(PARIS);
    for (size_t i = 0; i < N_ELEMENTS(SHIFT_CASES); i++) {
        const struct shift_case *c = &SHIFT_CASES[i];
        char label[80];
        snprintf(label, sizeof label, "%s %+d months %+d days", c->from, c->months, c->days);
        int64_t t = unit_time(c->from);
        if (c->months)
            t = fid_tz_add_months(paris, t, c->months);
        if (c->days)
            t = fid_tz_add_days(paris, t, c->days);
        if (!c->months && !c->days)
            t = fid_tz_add_months(paris, t, 0);
        UNIT_EQ_TIME(label, t, c->expected);
    }
    fid_tz_free(paris);
}

struct year_case {
    const char *at;
    const char *year_start;
    const char *next_year_start;
};

static const struct year_case YEAR_CASES[] = {
    {"2026-12-31T22:59:59Z", "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z"},
    {"2026-12-31T23:00:00Z", "2026-12-31T23:00:00Z", "2027-12-31T23:00:00Z"},
    {"2026-01-01T00:00:00Z", "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z"},
    {"2025-12-31T22:59:59Z", "2024-12-31T23:00:00Z", "2025-12-31T23:00:00Z"},
    {"2026-07-14T10:00:00Z", "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z"},
};

static void test_tz_year_bounds(void **state)
{
    (void)state;
    struct fid_tz *paris = unit_open_zone(PARIS);
    for (size_t i = 0; i < N_ELEMENTS(YEAR_CASES); i++) {
        const struct year_case *c = &YEAR_CASES[i];
        int64_t t = unit_time(c->at);
        UNIT_EQ_TIME(c->at, fid_tz_year_start(paris, t), c->year_start);
        UNIT_EQ_TIME(c->at, fid_tz_next_year_start(paris, t), c->next_year_start);
    }
    fid_tz_free(paris);
}

static void test_tz_other_zones(void **state)
{
    (void)state;
    struct fid_tz *ny = unit_open_zone("America/New_York");
    struct fid_local l;
    fid_tz_local(ny, unit_time("2026-03-03T04:30:00Z"), &l); /* 23:30 EST on Monday 2 March */
    assert_int_equal(l.day, 2);
    assert_int_equal(l.hour, 23);
    assert_int_equal(l.weekday, 0);
    UNIT_EQ_TIME("NY midnight", fid_tz_midnight(ny, 2026, 7, 4), "2026-07-04T04:00:00Z");
    fid_tz_free(ny);

    struct fid_tz *utc = unit_open_zone("UTC");
    fid_tz_local(utc, unit_time("2026-03-08T00:00:00Z"), &l);
    assert_int_equal(l.hour, 0);
    assert_int_equal(l.weekday, 6); /* Sunday */
    fid_tz_free(utc);
}

/* ---- local time for people ---------------------------------------------------------------- */

struct local_format_case {
    const char *zone; /* NULL: UTC without a zone */
    const char *utc, *text;
};

static const struct local_format_case LOCAL_FORMAT_CASES[] = {
    {PARIS, "2026-03-03T14:30:00Z", "2026-03-03 15:30:00+01:00"}, /* winter */
    {PARIS, "2026-07-14T12:00:00Z", "2026-07-14 14:00:00+02:00"}, /* summer */
    {PARIS, "2026-03-28T23:30:00Z", "2026-03-29 00:30:00+01:00"}, /* the day starts in winter */
    {PARIS, "2026-03-29T00:59:59Z", "2026-03-29 01:59:59+01:00"}, /* the last second of winter */
    {PARIS, "2026-03-29T01:00:00Z", "2026-03-29 03:00:00+02:00"}, /* 02:00 to 03:00 never was */
    {PARIS, "2026-10-25T00:30:00Z", "2026-10-25 02:30:00+02:00"}, /* 02:30 the first time ... */
    {PARIS, "2026-10-25T01:30:00Z", "2026-10-25 02:30:00+01:00"}, /* ... and the second */
    {PARIS, "2026-10-24T22:00:00Z", "2026-10-25 00:00:00+02:00"}, /* midnight in summer */
    {"Asia/Kolkata", "2026-03-03T14:30:00Z", "2026-03-03 20:00:00+05:30"},
    {"Asia/Kolkata", "2026-12-31T18:29:59Z", "2026-12-31 23:59:59+05:30"},
    {"Australia/Adelaide", "2026-03-03T14:30:00Z", "2026-03-04 01:00:00+10:30"},
    {"Australia/Adelaide", "2026-07-01T00:00:00Z", "2026-07-01 09:30:00+09:30"},
    {"America/St_Johns", "2026-01-15T12:00:00Z", "2026-01-15 08:30:00-03:30"},
    {"America/New_York", "2026-03-03T04:30:00Z", "2026-03-02 23:30:00-05:00"},
    {"UTC", "2026-03-03T14:30:00Z", "2026-03-03 14:30:00+00:00"},
    {"UTC", "1900-01-01T00:00:00Z", "1900-01-01 00:00:00+00:00"},
    {NULL, "2026-03-03T14:30:00Z", "2026-03-03 14:30:00+00:00"},
    {NULL, "1969-12-31T23:59:59Z", "1969-12-31 23:59:59+00:00"},
    {NULL, "2999-12-31T23:59:59Z", "2999-12-31 23:59:59+00:00"},
};

static void test_time_format_local(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(LOCAL_FORMAT_CASES); i++) {
        const struct local_format_case *c = &LOCAL_FORMAT_CASES[i];
        struct fid_tz *tz = c->zone ? unit_open_zone(c->zone) : NULL;
        char out[FID_TIME_LOCAL_MAX];
        fid_time_format_local(unit_time(c->utc), tz, out);
        UNIT_EQ_STR(c->utc, out, c->text);
        fid_tz_free(tz);
    }
}

/* Paris kept its mean time, 9 min 21 s ahead of Greenwich, until 1911: the offset shows its
 * seconds rather than a wrong minute. */
static void test_time_format_local_mean_time(void **state)
{
    (void)state;
    struct fid_tz *paris = unit_open_zone(PARIS);
    char out[FID_TIME_LOCAL_MAX];
    fid_time_format_local(unit_time("1905-06-01T12:00:00Z"), paris, out);
    UNIT_EQ_STR("1905", out, "1905-06-01 12:09:21+00:09:21");
    fid_tz_free(paris);
}

/* What people read is one instant: it parses back to the same one, at every time of day and
 * on both sides of each change of offset. */
static void test_time_format_local_round_trip(void **state)
{
    (void)state;
    static const char *const zones[] = {PARIS, "Australia/Adelaide", "America/St_Johns"};
    for (size_t z = 0; z < N_ELEMENTS(zones); z++) {
        struct fid_tz *tz = unit_open_zone(zones[z]);
        for (int64_t t = unit_time("1980-01-01T00:00:00Z"); t < unit_time("2040-01-01T00:00:00Z");
             t += 86413) {
            char text[FID_TIME_LOCAL_MAX];
            fid_time_format_local(t, tz, text);
            int64_t back = 0;
            struct fid_error err;
            UNIT_EQ_INT(text, fid_time_parse(text, NULL, &back, "t", &err), FID_OK);
            UNIT_EQ_INT(text, back, t);
        }
        fid_tz_free(tz);
    }
}

/* ---- the answers without ICU against ICU's own ----------------------------------------------
 * fid_tz answers from remembered spans of constant offset; ICU's calendar, opened as fid_tz_open
 * opens it, is the oracle. Zones with unusual changes: half-hour DST (Lord Howe), a skipped day
 * (Apia, 2011), DST suspended during Ramadan (Casablanca), midnight changes (Santiago), a
 * quarter-hour offset (Kathmandu). Instants are drawn near changes of offset as well. */

static const char *const ORACLE_ZONES[] = {
    "Europe/Paris",        "America/New_York",
    "Australia/Lord_Howe", "Pacific/Apia",
    "America/Santiago",    "Africa/Casablanca",
    "Asia/Kathmandu",      "America/St_Johns",
    "Europe/London",       "UTC",
};

static UCalendar *oracle_open(const char *zone)
{
    UChar id[FID_TZ_NAME_MAX];
    u_uastrcpy(id, zone);
    UErrorCode status = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, -1, "en_US@calendar=gregorian", UCAL_GREGORIAN, &status);
    ucal_setGregorianChange(cal, -8.64e15, &status);
    assert_true(U_SUCCESS(status));
    return cal;
}

static int64_t oracle_moved(UCalendar *cal, int64_t t, UCalendarDateFields field, int amount)
{
    UErrorCode status = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t * 1000.0, &status);
    ucal_add(cal, field, amount, &status);
    return (int64_t)(ucal_getMillis(cal, &status) / 1000.0);
}

static int64_t oracle_instant(UCalendar *cal, const struct fid_local *l)
{
    UErrorCode status = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_setDateTime(cal, l->year, l->month - 1, l->day, l->hour, l->minute, l->second, &status);
    return (int64_t)(ucal_getMillis(cal, &status) / 1000.0);
}

static void oracle_local(UCalendar *cal, int64_t t, struct fid_local *l)
{
    UErrorCode status = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t * 1000.0, &status);
    l->year = ucal_get(cal, UCAL_YEAR, &status);
    l->month = ucal_get(cal, UCAL_MONTH, &status) + 1;
    l->day = ucal_get(cal, UCAL_DATE, &status);
    l->hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &status);
    l->minute = ucal_get(cal, UCAL_MINUTE, &status);
    l->second = ucal_get(cal, UCAL_SECOND, &status);
    l->weekday = (ucal_get(cal, UCAL_DAY_OF_WEEK, &status) + 5) % 7;
}

/* An instant near a change of offset when there is one, else anywhere in 1900-2999. */
static int64_t oracle_draw(UCalendar *cal, uint64_t *rng)
{
    *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
    int64_t t = FID_TIME_MIN + (int64_t)(*rng % (uint64_t)(FID_TIME_MAX - FID_TIME_MIN));
    if (*rng % 3 == 0)
        return t;
    UErrorCode status = U_ZERO_ERROR;
    UDate change = 0;
    ucal_setMillis(cal, (UDate)t * 1000.0, &status);
    if (!ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &change, &status))
        return t;
    int64_t near = (int64_t)(change / 1000.0) + (int64_t)(*rng >> 40) % (3 * 86400) - 36 * 3600;
    return near < FID_TIME_MIN || near > FID_TIME_MAX ? t : near;
}

static void test_tz_matches_icu(void **state)
{
    (void)state;
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    for (size_t z = 0; z < N_ELEMENTS(ORACLE_ZONES); z++) {
        struct fid_tz *tz = unit_open_zone(ORACLE_ZONES[z]);
        UCalendar *cal = oracle_open(ORACLE_ZONES[z]);
        for (int i = 0; i < 4000; i++) {
            int64_t t = oracle_draw(cal, &rng);
            int months = (int)(rng % 49) - 24, days = (int)(rng >> 20) % 801 - 400;
            char label[160];
            snprintf(label, sizeof label, "%s t=%lld months=%d days=%d", ORACLE_ZONES[z],
                     (long long)t, months, days);
            struct fid_local got, want;
            fid_tz_local(tz, t, &got);
            oracle_local(cal, t, &want);
            UNIT_EQ_INT(label, got.year, want.year);
            UNIT_EQ_INT(label, got.month, want.month);
            UNIT_EQ_INT(label, got.day, want.day);
            UNIT_EQ_INT(label, got.hour, want.hour);
            UNIT_EQ_INT(label, got.minute, want.minute);
            UNIT_EQ_INT(label, got.second, want.second);
            UNIT_EQ_INT(label, got.weekday, want.weekday);
            UNIT_EQ_INT(label, fid_tz_add_months(tz, t, months),
                        oracle_moved(cal, t, UCAL_MONTH, months));
            UNIT_EQ_INT(label, fid_tz_add_days(tz, t, days), oracle_moved(cal, t, UCAL_DATE, days));
            UNIT_EQ_INT(label,
                        fid_tz_local_instant(tz, want.year, want.month, want.day, want.hour,
                                             want.minute, want.second),
                        oracle_instant(cal, &want));
            struct fid_local midnight = {want.year, want.month, want.day, 0, 0, 0, 0};
            UNIT_EQ_INT(label, fid_tz_midnight(tz, want.year, want.month, want.day),
                        oracle_instant(cal, &midnight));
        }
        ucal_close(cal);
        fid_tz_free(tz);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_round_trip),
        cmocka_unit_test(test_tz_open),
        cmocka_unit_test(test_tz_local),
        cmocka_unit_test(test_tz_midnight),
        cmocka_unit_test(test_tz_add_months_and_days),
        cmocka_unit_test(test_tz_year_bounds),
        cmocka_unit_test(test_tz_other_zones),
        cmocka_unit_test(test_time_format_local),
        cmocka_unit_test(test_time_format_local_mean_time),
        cmocka_unit_test(test_time_format_local_round_trip),
        cmocka_unit_test(test_tz_matches_icu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
