/*
 * Fuzz target for ISO 8601 parsing (fid_time_parse with and without a zone, fid_date_parse) and
 * formatting. Invariants: a zone changes only how bare dates read; a bare date lands within a
 * day of its UTC midnight; a parsed instant within [FID_TIME_MIN, FID_TIME_MAX) formats to a Z
 * time that parses back to the same instant, and a canonical Z input formats to itself.
 */
#include <string.h>

#include "util/timeutil.h"
#include "fuzz.h"

#define FUZZ_TEXT_MAX 64 /* parsers refuse anything past 40 bytes; leave room to exercise that */

static const struct fid_tz *paris(void)
{
    static struct fid_tz *tz;
    if (tz == NULL)
        FUZZ_ASSERT(fid_tz_open("Europe/Paris", &tz, NULL) == FID_OK);
    return tz;
}

/* format(t) parses back to t; t must be in range. */
static void check_format_round_trip(int64_t t)
{
    char text[FID_TIME_ISO_MAX];
    int64_t back = 0;
    fid_time_format(t, text);
    FUZZ_ASSERT(strlen(text) == 20 && text[10] == 'T' && text[19] == 'Z');
    FUZZ_ASSERT(fid_time_parse(text, NULL, &back, "t", NULL) == FID_OK);
    FUZZ_ASSERT(back == t);
}

static bool in_range(int64_t t)
{
    return t >= FID_TIME_MIN && t < FID_TIME_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[FUZZ_TEXT_MAX];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';

    struct fid_error err;
    int64_t utc = 0, zoned = 0;
    fid_error_clear(&err);
    enum fid_status st_utc = fid_time_parse(text, NULL, &utc, "/at", &err);
    FUZZ_ASSERT(st_utc == FID_OK || (err.status == st_utc && strcmp(err.field, "/at") == 0));
    enum fid_status st_zoned = fid_time_parse(text, paris(), &zoned, "/at", NULL);
    int y = 0, m = 0, d = 0;
    enum fid_status st_date = fid_date_parse(text, &y, &m, &d, "/date", NULL);

    if (st_date == FID_OK) {
        FUZZ_ASSERT(strlen(text) == 10 && fid_date_valid(y, m, d));
        FUZZ_ASSERT(st_utc != FID_OK && st_zoned == FID_OK);
        int64_t midnight_utc = fid_days_from_civil(y, m, d) * 86400;
        FUZZ_ASSERT(zoned > midnight_utc - 86400 && zoned < midnight_utc + 86400);
    }
    if (st_utc == FID_OK) {
        /* A zone only matters for bare dates. */
        FUZZ_ASSERT(st_zoned == FID_OK && zoned == utc);
        FUZZ_ASSERT(utc >= FID_TIME_MIN - 86400 && utc <= FID_TIME_MAX + 86400);
        if (in_range(utc))
            check_format_round_trip(utc);
        size_t len = strlen(text);
        if (len == 20 && text[10] == 'T' && text[19] == 'Z') {
            char formatted[FID_TIME_ISO_MAX];
            fid_time_format(utc, formatted);
            FUZZ_ASSERT(strcmp(formatted, text) == 0);
        }
    } else if (st_zoned == FID_OK) {
        FUZZ_ASSERT(st_date == FID_OK);
    }

    /* Formatting alone, over instants taken from the raw bytes and folded into range. */
    if (size >= 8) {
        uint64_t raw;
        memcpy(&raw, data, sizeof raw);
        uint64_t span = (uint64_t)(FID_TIME_MAX - FID_TIME_MIN);
        check_format_round_trip(FID_TIME_MIN + (int64_t)(raw % span));
    }
    return 0;
}
