/*
 * import/values: amounts, quantities and instants as exports write them. Amounts are exact (no
 * floating point); instants without an offset are local times of the merchant's zone, here
 * Europe/Paris (CET = UTC+1, CEST = UTC+2; summer time 2026 runs from 29 March 01:00Z to
 * 25 October 01:00Z) unless a case says otherwise.
 */
#include "../unit_support.h"

#include "import/values.h"

#define PARIS    "Europe/Paris"
#define NEW_YORK "America/New_York" /* EST = UTC-5, EDT = UTC-4 from 8 March 2026 */
#define UTC      "Etc/UTC"

/* Opened once for the group, so that a failing case leaks nothing under LeakSanitizer. */
static struct fid_tz *paris_tz, *utc_tz, *new_york_tz;

static int open_zones(void **state)
{
    (void)state;
    struct fid_error err;
    if (fid_tz_open(PARIS, &paris_tz, &err) != FID_OK ||
        fid_tz_open(UTC, &utc_tz, &err) != FID_OK ||
        fid_tz_open(NEW_YORK, &new_york_tz, &err) != FID_OK)
        return -1;
    return 0;
}

static int close_zones(void **state)
{
    (void)state;
    fid_tz_free(paris_tz);
    fid_tz_free(utc_tz);
    fid_tz_free(new_york_tz);
    return 0;
}

/* A failure names what went wrong: the reason is a sentence, and holds `word` when given. */
static void check_reason(const char *label, const char *reason, const char *word)
{
    if (reason[0] == '\0') {
        print_error("[%s] failed without a reason\n", label);
        fail();
    }
    if (word && strstr(reason, word) == NULL) {
        print_error("[%s] reason \"%s\" does not mention \"%s\"\n", label, reason, word);
        fail();
    }
}

/* ---- amounts ----------------------------------------------------------------------------- */

struct amount_case {
    const char *text;
    int digits; /* the currency's decimals */
    bool ok;
    int64_t minor;
    const char *reason_word; /* on failure, a word the reason must hold (NULL: any reason) */
};

static const struct amount_case AMOUNT_CASES[] = {
    /* decimal point or comma */
    {"1234.5", 2, true, 123450, NULL},
    {"1234,5", 2, true, 123450, NULL},
    {"12.34", 2, true, 1234, NULL},
    {"12,34", 2, true, 1234, NULL},
    {"0.05", 2, true, 5, NULL},
    {"0", 2, true, 0, NULL},
    {"7", 2, true, 700, NULL},
    /* thousands separators: comma, point, space, apostrophe */
    {"1,234.56", 2, true, 123456, NULL},
    {"1.234,56", 2, true, 123456, NULL},
    {"1 234,50", 2, true, 123450, NULL},
    {"1'234.56", 2, true, 123456, NULL},
    {"1,234,567.89", 2, true, 123456789, NULL},
    {"1.234.567,89", 2, true, 123456789, NULL},
    {"1 000 000", 2, true, 100000000, NULL},
    /* spreadsheets' spaces: no-break (U+00A0), narrow no-break (U+202F, French), thin (U+2009) */
    {"1\xc2\xa0"
     "234,50",
     2, true, 123450, NULL},
    {"1\xe2\x80\xaf"
     "234,50",
     2, true, 123450, NULL},
    {"1\xe2\x80\x89"
     "234,50",
     2, true, 123450, NULL},
    {"1\xe2\x80\xaf"
     "234\xe2\x80\xaf"
     "567,89",
     2, true, 123456789, NULL},
    {"\xc2\xa0"
     "-12,50\xc2\xa0",
     2, true, -1250, NULL},
    {"12\xc2\xa0"
     "5",
     2, false, 0, "not an amount"},           /* a group of one digit */
    {"12\xc2", 2, false, 0, "not an amount"}, /* a cut sequence */
    {"12\xe2\x80", 2, false, 0, "not an amount"},
    /* three digits after the only separator, in a currency with two decimals: thousands, or
     * three decimals? Refused, not guessed (19.990 is not 19,990.00) */
    {"1,234", 2, false, 0, "ambiguous"},
    {"1.234", 2, false, 0, "ambiguous"},
    {"4.125", 2, false, 0, "ambiguous"},
    {"19.990", 2, false, 0, "ambiguous"},
    {"-123,456", 2, false, 0, "ambiguous"},
    {"4.125", 1, false, 0, "ambiguous"},
    {"4.1250", 2, false, 0, "decimals"},
    {"0.125", 2, false, 0, "decimals"},
    {"1234.567", 2, false, 0, "decimals"},  /* four digits before: a decimal point */
    {"1 234.567", 2, false, 0, "decimals"}, /* after another separator: the decimal one */
    {"1'234.567", 2, false, 0, "decimals"},
    {"1'234.567", 3, true, 1234567, NULL},
    {"1,234.567", 2, false, 0, "decimals"},
    {"x23,456", 2, false, 0, "not an amount"},
    /* zero-decimal currency (JPY): separators are thousands, any decimal is refused */
    {"42", 0, true, 42, NULL},
    {"1,234", 0, true, 1234, NULL},
    {"1 234 567", 0, true, 1234567, NULL},
    {"12.5", 0, false, 0, "decimals"},
    {"12.50", 0, false, 0, "decimals"},
    /* three-decimal currency (KWD, TND): three digits after the separator are decimals */
    {"1.234", 3, true, 1234, NULL},
    {"1,234", 3, true, 1234, NULL},
    {"1,234.567", 3, true, 1234567, NULL},
    {"0,5", 3, true, 500, NULL},
    {"2.25", 3, true, 2250, NULL},
    {"1.2345", 3, false, 0, "decimals"},
    /* more decimals than the currency has: refused, not rounded */
    {"12.3456", 2, false, 0, "decimals"},
    /* signs and blanks */
    {"-3", 2, true, -300, NULL},
    {"-12.50", 2, true, -1250, NULL},
    {"+7.1", 2, true, 710, NULL},
    {"  -1 234,50  ", 2, true, -123450, NULL},
    {"-0", 2, true, 0, NULL},
    /* garbage */
    {"", 2, false, 0, "not an amount"},
    {"   ", 2, false, 0, "not an amount"},
    {"-", 2, false, 0, "not an amount"},
    {"abc", 2, false, 0, "not an amount"},
    {"1e5", 2, false, 0, "not an amount"},
    {"12.50 EUR", 2, false, 0, "not an amount"},
    {"EUR 12.50", 2, false, 0, "not an amount"},
    {"€12", 2, false, 0, "not an amount"},
    {"--5", 2, false, 0, "not an amount"},
    {"5-", 2, false, 0, "not an amount"},
    {"1/2", 2, false, 0, "not an amount"},
    {"0x10", 2, false, 0, "not an amount"},
    {"12.5a", 2, false, 0, "not an amount"},
    {"1                                                                  2", 2, false, 0,
     "not an amount"}, /* longer than any amount */
    /* large amounts and overflow beyond int64 */
    {"1,000,000,000.00", 2, true, 100000000000LL, NULL},
    {"100000000000000", 2, true, 10000000000000000LL, NULL}, /* 10^14, the largest accepted */
    {"100000000000000", 3, true, 100000000000000000LL, NULL},
    {"92233720368547758.07", 2, false, 0, "too large"}, /* INT64_MAX minor */
    {"9223372036854775807", 0, false, 0, "too large"},  /* INT64_MAX */
    {"9223372036854775808", 0, false, 0, "too large"},  /* INT64_MAX + 1 */
    {"99999999999999999999999", 2, false, 0, "too large"},
    {"-99999999999999999999999", 2, false, 0, "too large"},
    {"18446744073709551616", 0, false, 0, "too large"}, /* 2^64: wraps uint64 to 0 */
    /* Three digits after a single mark are a thousands group only after one to three digits
     * that do not start with 0; a mark used twice is never the decimal one. */
    {"0.001", 2, false, 0, "decimals"},
    {"0,500", 2, false, 0, "decimals"},
    {"1,234,567", 3, true, 1234567000LL, NULL},
    {"1.234.567", 3, true, 1234567000LL, NULL},
};

static void test_amount(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(AMOUNT_CASES); i++) {
        const struct amount_case *c = &AMOUNT_CASES[i];
        char label[96];
        snprintf(label, sizeof label, "\"%s\" with %d decimals", c->text, c->digits);
        int64_t minor = 424242;
        char reason[VALUE_REASON_MAX] = "";
        int rc = value_amount(c->text, c->digits, &minor, reason);
        if (c->ok) {
            UNIT_EQ_INT(label, rc, 0);
            UNIT_EQ_INT(label, minor, c->minor);
        } else {
            UNIT_EQ_INT(label, rc, -1);
            check_reason(label, reason, c->reason_word);
        }
    }
}

/* ---- e-mail addresses and phones, as customers keep them ----------------------------------- */

struct contact_case {
    const char *text;
    bool phone;
    const char *out; /* NULL: refused */
};

static const struct contact_case CONTACT_CASES[] = {
    {"bob@example.com", false, "bob@example.com"},
    {"Bob@Example.COM", false, "bob@example.com"},
    {"  Ann.Lee+shop@Mail.example  ", false, "ann.lee+shop@mail.example"},
    {"\xc3\x89lodie@exemple.fr", false, "\xc3\xa9lodie@exemple.fr"}, /* folded in every script */
    {"bob.example.com", false, NULL},
    {"bob @example.com", false, NULL},
    {"", false, NULL},
    {"+33612345678", true, "+33612345678"},
    {"+33 6 12 34 56 78", true, "+33612345678"},
    {"+44 (0)20 7946 0958", true, "+442079460958"},
    {"+1 (555) 010-0199", true, "+15550100199"},
    {"06 12 34 56 78", true, NULL}, /* national, and no country to read it in */
    {"+0612345678", true, NULL},
    {"+33 6 12 34 56 78 90 12 34", true, NULL},
    {"call me", true, NULL},
};

static void test_contact(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(CONTACT_CASES); i++) {
        const struct contact_case *c = &CONTACT_CASES[i];
        char out[VALUE_EMAIL_MAX] = "", reason[VALUE_REASON_MAX] = "";
        int rc =
            c->phone ? value_phone(c->text, "", out, reason) : value_email(c->text, out, reason);
        if (c->out) {
            UNIT_EQ_INT(c->text, rc, 0);
            UNIT_EQ_STR(c->text, out, c->out);
        } else {
            UNIT_EQ_INT(c->text, rc, -1);
            check_reason(c->text, reason, c->phone ? "international form" : "e-mail address");
        }
    }
    /* the longest address events keep, and one byte more */
    char text[VALUE_EMAIL_MAX + 1], out[VALUE_EMAIL_MAX], reason[VALUE_REASON_MAX];
    memset(text, 'a', sizeof text);
    text[1] = '@'; /* a@aaa...: one with something each side */
    text[VALUE_EMAIL_MAX - 1] = '\0';
    UNIT_EQ_INT("256 bytes", value_email(text, out, reason), 0);
    text[VALUE_EMAIL_MAX - 1] = 'a';
    text[VALUE_EMAIL_MAX] = '\0';
    UNIT_EQ_INT("257 bytes", value_email(text, out, reason), -1);
    check_reason("257 bytes", reason, "longer");
}

/* ---- order statuses ---------------------------------------------------------------------- */

struct status_case {
    const char *text;
    bool ok;
    enum value_status status;
};

/* A national number is read in the merchant's country; the reason says what the country takes. */
static void test_phone_in_region(void **state)
{
    (void)state;
    char out[FID_PHONE_MAX], reason[VALUE_REASON_MAX] = "";
    UNIT_EQ_INT("FR mobile", value_phone("06 12 34 56 78", "FR", out, reason), 0);
    UNIT_EQ_STR("FR mobile", out, "+33612345678");
    UNIT_EQ_INT("international in FR", value_phone("+44 20 7946 0958", "FR", out, reason), 0);
    UNIT_EQ_STR("international in FR", out, "+442079460958");
    UNIT_EQ_INT("too short", value_phone("06 12 34 56", "FR", out, reason), -1);
    check_reason("too short", reason, "06 12 34 56 78");
}

static const struct status_case STATUS_CASES[] = {
    {"", true, VALUE_PAID},
    {"   ", true, VALUE_PAID},
    {"paid", true, VALUE_PAID},
    {"Paid", true, VALUE_PAID},
    {"partially_paid", true, VALUE_PAID},
    {"completed", true, VALUE_PAID},
    {"wc-completed", true, VALUE_PAID},
    {" Processing ", true, VALUE_PAID},
    {"refunded", true, VALUE_REFUNDED},
    {"wc-refunded", true, VALUE_REFUNDED},
    {"partially_refunded", true, VALUE_PARTLY_REFUNDED},
    {"Partially Refunded", true, VALUE_PARTLY_REFUNDED},
    {"partially-refunded", true, VALUE_PARTLY_REFUNDED},
    {"pending", true, VALUE_UNPAID},
    {"authorized", true, VALUE_UNPAID},
    {"voided", true, VALUE_UNPAID},
    {"expired", true, VALUE_UNPAID},
    {"Cancelled", true, VALUE_UNPAID},
    {"canceled", true, VALUE_UNPAID},
    {"failed", true, VALUE_UNPAID},
    {"on-hold", true, VALUE_UNPAID},
    {"wc-on-hold", true, VALUE_UNPAID},
    {"checkout-draft", true, VALUE_UNPAID},
    {"trash", true, VALUE_UNPAID},
    {"lost", false, 0},
    {"paid!", false, 0},
    {"refunded refunded refunded refunded", false, 0}, /* longer than any status */
    {"pai", false, 0},
};

static void test_status(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(STATUS_CASES); i++) {
        const struct status_case *c = &STATUS_CASES[i];
        enum value_status status = (enum value_status) - 1;
        char reason[VALUE_REASON_MAX] = "";
        int rc = value_status(c->text, &status, reason);
        if (c->ok) {
            UNIT_EQ_INT(c->text, rc, 0);
            UNIT_EQ_INT(c->text, status, c->status);
        } else {
            UNIT_EQ_INT(c->text, rc, -1);
            check_reason(c->text, reason, "order status");
        }
    }
}

/* ---- quantities -------------------------------------------------------------------------- */

struct quantity_case {
    const char *text;
    bool ok;
    int64_t value;
};

static const struct quantity_case QUANTITY_CASES[] = {
    {"1", true, 1},
    {"12", true, 12},
    {" 3 ", true, 3},
    {"007", true, 7},
    {"1000000", true, 1000000},
    {"1000001", false, 0}, /* above the limit */
    {"0", false, 0},       /* at least one */
    {"-1", false, 0},
    {"+2", false, 0},
    {"1.5", false, 0},
    {"2,0", false, 0},
    {"2x", false, 0},
    {"1 2", false, 0},
    {"", false, 0},
    {"  ", false, 0},
    {"abc", false, 0},
    {"99999999999999999999999", false, 0}, /* stops before overflowing */
};

static void test_quantity(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(QUANTITY_CASES); i++) {
        const struct quantity_case *c = &QUANTITY_CASES[i];
        int64_t v = -7;
        char reason[VALUE_REASON_MAX] = "";
        int rc = value_quantity(c->text, &v, reason);
        if (c->ok) {
            UNIT_EQ_INT(c->text, rc, 0);
            UNIT_EQ_INT(c->text, v, c->value);
        } else {
            UNIT_EQ_INT(c->text, rc, -1);
            UNIT_EQ_INT(c->text, v, -7); /* untouched on failure */
            check_reason(c->text, reason, "quantity");
        }
    }
}

/* ---- instants without a format ----------------------------------------------------------- */

struct instant_case {
    const char *text;
    const char *format;   /* NULL: the accepted shapes */
    const char *expected; /* UTC; NULL: an error */
    const char *reason_word;
};

static const struct instant_case INSTANT_CASES[] = {
    /* a bare date is local midnight (CEST on 1 June) */
    {"2026-06-01", NULL, "2026-05-31T22:00:00Z", NULL},
    {"20260601", NULL, "2026-05-31T22:00:00Z", NULL},
    {"01/06/2026", NULL, "2026-05-31T22:00:00Z", NULL}, /* day first */
    {"2026-01-15", NULL, "2026-01-14T23:00:00Z", NULL}, /* CET */
    {"  2026-06-01  ", NULL, "2026-05-31T22:00:00Z", NULL},
    /* local times */
    {"2026-06-01T10:00", NULL, "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01t10:00", NULL, "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01 10:00:05", NULL, "2026-06-01T08:00:05Z", NULL},
    {"2026-06-01T10:00:05.123", NULL, "2026-06-01T08:00:05Z", NULL}, /* fraction dropped */
    {"2026-06-01T10:00:05.999999", NULL, "2026-06-01T08:00:05Z", NULL},
    {"2026-06-01T23:59:59", NULL, "2026-06-01T21:59:59Z", NULL},
    {"2026-06-01T00:00", NULL, "2026-05-31T22:00:00Z", NULL},
    {"01/06/2026 10:00", NULL, "2026-06-01T08:00:00Z", NULL},
    {"31/12/2026 23:30:00", NULL, "2026-12-31T22:30:00Z", NULL},
    /* explicit offsets: the zone no longer matters */
    {"2026-06-01T10:00Z", NULL, "2026-06-01T10:00:00Z", NULL},
    {"2026-06-01T10:00:00z", NULL, "2026-06-01T10:00:00Z", NULL},
    {"2026-06-01T10:00:05.5Z", NULL, "2026-06-01T10:00:05Z", NULL},
    {"2026-06-01T10:00:00+02:00", NULL, "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01T10:00:00+0200", NULL, "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01T10:00:00+02", NULL, "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01T10:00:00-0530", NULL, "2026-06-01T15:30:00Z", NULL},
    {"2026-06-01T10:00:00-05:30", NULL, "2026-06-01T15:30:00Z", NULL},
    {"2026-06-01 10:00:00 +0200", NULL, "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01 10:00:00 Z", NULL, "2026-06-01T10:00:00Z", NULL},
    {"2026-06-01T00:30:00+05:00", NULL, "2026-05-31T19:30:00Z", NULL}, /* day before in UTC */
    {"2026-12-31T23:30:00-01:00", NULL, "2027-01-01T00:30:00Z", NULL}, /* year after */
    {"2026-01-15T10:00:00+00:00", NULL, "2026-01-15T10:00:00Z", NULL},
    /* impossible dates and times */
    {"2026-02-30", NULL, NULL, "real date"},
    {"2026-02-29", NULL, NULL, "real date"}, /* 2026 is not a leap year */
    {"30/02/2026", NULL, NULL, "real date"},
    {"20260230", NULL, NULL, "real date"},
    {"2026-13-01", NULL, NULL, "real date"},
    {"2026-00-10", NULL, NULL, "real date"},
    {"2026-04-31T10:00", NULL, NULL, "real date"},
    {"2026-06-01T24:00", NULL, NULL, "real date"},
    {"2026-06-01T10:60", NULL, NULL, "real date"},
    {"2026-06-01T10:00:60", NULL, NULL, "real date"},
    {"1899-12-31", NULL, NULL, "real date"}, /* before the years instants cover */
    {"3000-01-01", NULL, NULL, "real date"},
    /* shapes not accepted */
    {"", NULL, NULL, "not a date"},
    {"yesterday", NULL, NULL, "not a date"},
    {"2026-6-1", NULL, NULL, "not a date"},
    {"2026/06/01", NULL, NULL, "not a date"},
    {"1/6/2026", NULL, NULL, "not a date"},
    {"01/06/26", NULL, NULL, "not a date"},
    {"202606011", NULL, NULL, "not a date"},
    {"2026-06-01T10", NULL, NULL, "not a date"},
    {"2026-06-01T1:00", NULL, NULL, "not a date"},
    {"2026-06-01T10:00:5", NULL, NULL, "not a date"},
    {"2026-06-01T10:00.5", NULL, NULL, "not a date"},
    {"2026-06-01T10:00:00+2", NULL, NULL, "not a date"},
    {"2026-06-01T10:00:00+02:00junk", NULL, NULL, "not a date"},
    {"2026-06-01Tjunk", NULL, NULL, "not a date"},
    {"2026-06-01 junk", NULL, NULL, "not a date"},
};

static void run_instant_cases(const struct instant_case *cases, size_t n, const struct fid_tz *tz)
{
    const char *zone = fid_tz_name(tz);
    for (size_t i = 0; i < n; i++) {
        const struct instant_case *c = &cases[i];
        char label[128];
        snprintf(label, sizeof label, "\"%s\" format %s in %s", c->text,
                 c->format ? c->format : "(none)", zone);
        int64_t at = -1;
        char reason[VALUE_REASON_MAX] = "";
        int rc = value_instant(c->text, c->format, tz, &at, reason);
        if (c->expected) {
            if (rc != 0)
                print_error("[%s] refused: %s\n", label, reason);
            UNIT_EQ_INT(label, rc, 0);
            UNIT_EQ_TIME(label, at, c->expected);
        } else {
            UNIT_EQ_INT(label, rc, -1);
            UNIT_EQ_INT(label, at, -1); /* untouched on failure */
            check_reason(label, reason, c->reason_word);
        }
    }
}

static void test_instant(void **state)
{
    (void)state;
    run_instant_cases(INSTANT_CASES, N_ELEMENTS(INSTANT_CASES), paris_tz);
}

/* An offset's hours and minutes are bounded (fid_time_parse refuses +24:00 too): an impossible
 * offset would shift the instant by up to four days. */
static const struct instant_case OFFSET_RANGE_CASES[] = {
    {"2026-06-01T10:00:00+24:00", NULL, NULL, "not a date"},
    {"2026-06-01T10:00:00+99:00", NULL, NULL, "not a date"},
    {"2026-06-01T10:00:00+02:60", NULL, NULL, "not a date"},
    {"2026-06-01T10:00:00-0599", NULL, NULL, "not a date"},
};

static void test_instant_offset_out_of_range(void **state)
{
    (void)state;
    run_instant_cases(OFFSET_RANGE_CASES, N_ELEMENTS(OFFSET_RANGE_CASES), paris_tz);
}

/* ---- time zones: DST days and the per-thread cache of the day's bounds ------------------- */

static const struct instant_case PARIS_DST_CASES[] = {
    /* a normal summer day */
    {"2026-06-01T10:00", NULL, "2026-06-01T08:00:00Z", NULL},
    /* spring: 02:00 CET jumps to 03:00 CEST at 01:00Z; the day is 23 hours long */
    {"2026-03-29", NULL, "2026-03-28T23:00:00Z", NULL},
    {"2026-03-29T01:30", NULL, "2026-03-29T00:30:00Z", NULL}, /* still CET */
    {"2026-03-29T01:59:59", NULL, "2026-03-29T00:59:59Z", NULL},
    {"2026-03-29T03:00", NULL, "2026-03-29T01:00:00Z", NULL}, /* first CEST minute */
    {"2026-03-29T10:00", NULL, "2026-03-29T08:00:00Z", NULL},
    {"2026-03-29T23:59:59", NULL, "2026-03-29T21:59:59Z", NULL},
    {"2026-03-29T02:30", NULL, "2026-03-29T01:30:00Z", NULL}, /* skipped: counts as after */
    /* the days around it are ordinary */
    {"2026-03-28T10:00", NULL, "2026-03-28T09:00:00Z", NULL},
    {"2026-03-30T10:00", NULL, "2026-03-30T08:00:00Z", NULL},
    /* autumn: 03:00 CEST falls back to 02:00 CET at 01:00Z; the day is 25 hours long */
    {"2026-10-25", NULL, "2026-10-24T22:00:00Z", NULL},
    {"2026-10-25T01:30", NULL, "2026-10-24T23:30:00Z", NULL}, /* still CEST */
    {"2026-10-25T03:00", NULL, "2026-10-25T02:00:00Z", NULL}, /* CET */
    {"2026-10-25T10:00", NULL, "2026-10-25T09:00:00Z", NULL},
    {"2026-10-25T23:59:59", NULL, "2026-10-25T22:59:59Z", NULL},
    {"2026-10-24T10:00", NULL, "2026-10-24T08:00:00Z", NULL},
    {"2026-10-26T10:00", NULL, "2026-10-26T09:00:00Z", NULL},
    /* day-first and compact dates go through the same path */
    {"29/03/2026 10:00", NULL, "2026-03-29T08:00:00Z", NULL},
    {"20261025", NULL, "2026-10-24T22:00:00Z", NULL},
    /* an explicit offset on a DST day is taken as written */
    {"2026-03-29T02:30:00+01:00", NULL, "2026-03-29T01:30:00Z", NULL},
};

static void test_instant_dst(void **state)
{
    (void)state;
    run_instant_cases(PARIS_DST_CASES, N_ELEMENTS(PARIS_DST_CASES), paris_tz);
}

static int64_t parse_ok(const char *text, const char *format, const struct fid_tz *tz)
{
    int64_t at = 0;
    char reason[VALUE_REASON_MAX] = "";
    if (value_instant(text, format, tz, &at, reason) != 0) {
        print_error("\"%s\" in %s refused: %s\n", text, fid_tz_name(tz), reason);
        fail();
    }
    return at;
}

/* Files hold runs of rows of one day: many rows of a day, then the next day, then a DST day, then
 * back. Every answer must be the zone's, whatever the previous row cached. */
static void test_instant_runs_of_days(void **state)
{
    (void)state;
    const struct fid_tz *paris = paris_tz;
    static const struct {
        int day;          /* of 2026-03 */
        int offset_hours; /* east of UTC at every time of the rows written */
    } RUNS[] = {
        {27, 1}, {28, 1}, {30, 2}, {27, 1}, {31, 2}, {31, 2}, {28, 1}, {30, 2},
    };
    for (size_t r = 0; r < N_ELEMENTS(RUNS); r++) {
        for (int hour = 0; hour < 24; hour++)
            for (int minute = 0; minute < 60; minute += 7) {
                char text[64], label[96];
                snprintf(text, sizeof text, "2026-03-%02d %02d:%02d:%02d", RUNS[r].day, hour,
                         minute, minute % 60);
                snprintf(label, sizeof label, "run %zu: %s", r, text);
                int64_t want = fid_days_from_civil(2026, 3, RUNS[r].day) * 86400 + hour * 3600 +
                               minute * 60 + minute % 60 - RUNS[r].offset_hours * 3600;
                UNIT_EQ_INT(label, parse_ok(text, NULL, paris), want);
            }
        /* one row of the DST day between runs, then the run's day again */
        UNIT_EQ_TIME("DST day between runs", parse_ok("2026-03-29T10:00", NULL, paris),
                     "2026-03-29T08:00:00Z");
        UNIT_EQ_TIME("DST day between runs", parse_ok("2026-03-29T01:00", NULL, paris),
                     "2026-03-29T00:00:00Z");
    }
    /* a full run of the DST day itself, hour by hour, skipping the missing hour */
    for (int hour = 0; hour < 24; hour++) {
        if (hour == 2)
            continue;
        char text[32];
        snprintf(text, sizeof text, "2026-03-29T%02d:15", hour);
        int64_t want = fid_days_from_civil(2026, 3, 29) * 86400 + hour * 3600 + 15 * 60 -
                       (hour < 2 ? 3600 : 7200);
        UNIT_EQ_INT(text, parse_ok(text, NULL, paris), want);
    }
}

struct zone_case {
    const char *text;
    const char *utc, *paris, *new_york; /* the answer in each zone */
};

static const struct zone_case ZONE_CASES[] = {
    {"2026-06-01T10:00", "2026-06-01T10:00:00Z", "2026-06-01T08:00:00Z", "2026-06-01T14:00:00Z"},
    {"2026-06-01", "2026-06-01T00:00:00Z", "2026-05-31T22:00:00Z", "2026-06-01T04:00:00Z"},
    {"2026-01-15T10:00", "2026-01-15T10:00:00Z", "2026-01-15T09:00:00Z", "2026-01-15T15:00:00Z"},
    /* Paris' spring day: 23 hours in Paris only */
    {"2026-03-29T10:00", "2026-03-29T10:00:00Z", "2026-03-29T08:00:00Z", "2026-03-29T14:00:00Z"},
    {"2026-03-29T01:30", "2026-03-29T01:30:00Z", "2026-03-29T00:30:00Z", "2026-03-29T05:30:00Z"},
    /* New York's spring day (8 March, 02:00 EST -> 03:00 EDT): 23 hours in New York only */
    {"2026-03-08T10:00", "2026-03-08T10:00:00Z", "2026-03-08T09:00:00Z", "2026-03-08T14:00:00Z"},
    {"2026-03-08T01:30", "2026-03-08T01:30:00Z", "2026-03-08T00:30:00Z", "2026-03-08T06:30:00Z"},
    /* Paris' autumn day */
    {"2026-10-25T10:00", "2026-10-25T10:00:00Z", "2026-10-25T09:00:00Z", "2026-10-25T14:00:00Z"},
    /* New York's autumn day (1 November, 02:00 EDT -> 01:00 EST) */
    {"2026-11-01T10:00", "2026-11-01T10:00:00Z", "2026-11-01T09:00:00Z", "2026-11-01T15:00:00Z"},
};

/* Same date, alternating zones row after row: the cache must follow the zone, not only the date. */
static void test_instant_alternating_zones(void **state)
{
    (void)state;
    const struct fid_tz *utc = utc_tz, *paris = paris_tz, *ny = new_york_tz;
    for (size_t i = 0; i < N_ELEMENTS(ZONE_CASES); i++) {
        const struct zone_case *c = &ZONE_CASES[i];
        for (int round = 0; round < 3; round++) {
            char label[96];
            snprintf(label, sizeof label, "%s round %d in %s", c->text, round, UTC);
            UNIT_EQ_TIME(label, parse_ok(c->text, NULL, utc), c->utc);
            snprintf(label, sizeof label, "%s round %d in %s", c->text, round, PARIS);
            UNIT_EQ_TIME(label, parse_ok(c->text, NULL, paris), c->paris);
            snprintf(label, sizeof label, "%s round %d in %s", c->text, round, NEW_YORK);
            UNIT_EQ_TIME(label, parse_ok(c->text, NULL, ny), c->new_york);
            /* and back the other way */
            snprintf(label, sizeof label, "%s round %d back in %s", c->text, round, PARIS);
            UNIT_EQ_TIME(label, parse_ok(c->text, NULL, paris), c->paris);
            snprintf(label, sizeof label, "%s round %d back in %s", c->text, round, UTC);
            UNIT_EQ_TIME(label, parse_ok(c->text, NULL, utc), c->utc);
        }
    }

    /* a zone freed and another opened (maybe at the same address) answers for itself */
    for (size_t i = 0; i < N_ELEMENTS(ZONE_CASES); i++) {
        const struct zone_case *c = &ZONE_CASES[i];
        struct fid_tz *tz = unit_open_zone(PARIS);
        UNIT_EQ_TIME(c->text, parse_ok(c->text, NULL, tz), c->paris);
        fid_tz_free(tz);
        tz = unit_open_zone(NEW_YORK);
        UNIT_EQ_TIME(c->text, parse_ok(c->text, NULL, tz), c->new_york);
        fid_tz_free(tz);
    }
}

/* ---- --date-format ----------------------------------------------------------------------- */

static const struct instant_case FORMAT_CASES[] = {
    {"01.06.2026", "%d.%m.%Y", "2026-05-31T22:00:00Z", NULL},
    {"06/01/2026", "%m/%d/%Y", "2026-05-31T22:00:00Z", NULL}, /* month first */
    {"01/06/2026 10:00", "%d/%m/%Y %H:%M", "2026-06-01T08:00:00Z", NULL},
    {"20260601100005", "%Y%m%d%H%M%S", "2026-06-01T08:00:05Z", NULL},
    {"2026-06-01T10:00:00+0200", "%Y-%m-%dT%H:%M:%S%z", "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01T10:00:00-05:30", "%Y-%m-%dT%H:%M:%S%z", "2026-06-01T15:30:00Z", NULL},
    {"2026-06-01T10:00:00Z", "%Y-%m-%dT%H:%M:%S%z", "2026-06-01T10:00:00Z", NULL},
    {"2026-06-01T10:00:00", "%Y-%m-%dT%H:%M:%S%z", "2026-06-01T08:00:00Z", NULL}, /* no offset */
    {"2026-06-01 10:00 +02:00", "%Y-%m-%d %H:%M %z", "2026-06-01T08:00:00Z", NULL},
    {"2026-06-01 100%", "%Y-%m-%d 100%%", "2026-05-31T22:00:00Z", NULL}, /* literal % */
    {"2026-06", "%Y-%m", "2026-05-31T22:00:00Z", NULL},                  /* day 1 by default */
    {"2026", "%Y", "2025-12-31T23:00:00Z", NULL},                        /* 1 January */
    {"  01/06/2026", "%d/%m/%Y", "2026-05-31T22:00:00Z", NULL},          /* leading blanks */
    /* DST days through a format */
    {"29/03/2026 10:00", "%d/%m/%Y %H:%M", "2026-03-29T08:00:00Z", NULL},
    {"29/03/2026 01:30", "%d/%m/%Y %H:%M", "2026-03-29T00:30:00Z", NULL},
    {"25/10/2026 10:00", "%d/%m/%Y %H:%M", "2026-10-25T09:00:00Z", NULL},
    /* mismatches */
    {"1/6/2026", "%d/%m/%Y", NULL, "date format"},
    {"2026-06-01", "%d/%m/%Y", NULL, "date format"},
    {"01/06/2026x", "%d/%m/%Y", NULL, "date format"},
    {"01/06/20", "%d/%m/%Y", NULL, "date format"},
    {"01-06-2026", "%d/%m/%Y", NULL, "date format"},
    {"01/06/2026 10:00", "%d/%m/%Y", NULL, "date format"},
    {"2026-06-01 10:00 +2", "%Y-%m-%d %H:%M %z", NULL, "date format"},
    {"2026-06-01 99", "%Y-%m-%d 100%%", NULL, "date format"},
    /* matches, but not a real date or time */
    {"31/02/2026", "%d/%m/%Y", NULL, "real date"},
    {"01/13/2026", "%d/%m/%Y", NULL, "real date"},
    {"01/06/2026 25:00", "%d/%m/%Y %H:%M", NULL, "real date"},
    {"10:00", "%H:%M", NULL, "real date"}, /* no year */
    /* a format with a token it does not know */
    {"2026-06-01", "%Y-%m-%Q", NULL, "unknown token"},
    {"2026-152", "%Y-%j", NULL, "unknown token"},
};

static void test_instant_format(void **state)
{
    (void)state;
    run_instant_cases(FORMAT_CASES, N_ELEMENTS(FORMAT_CASES), paris_tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amount),
        cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_contact),
        cmocka_unit_test(test_phone_in_region),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_instant),
        cmocka_unit_test(test_instant_offset_out_of_range),
        cmocka_unit_test(test_instant_dst),
        cmocka_unit_test(test_instant_runs_of_days),
        cmocka_unit_test(test_instant_alternating_zones),
        cmocka_unit_test(test_instant_format),
    };
    return cmocka_run_group_tests(tests, open_zones, close_zones);
}
