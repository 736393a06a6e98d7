/*
 * ISO 8601 parsing/formatting done by hand (strict, bounded) and time-zone arithmetic delegated to
 * ICU's calendar, which carries the IANA database. A fid_tz owns one UCalendar; reading it mutates
 * the calendar's fields, hence "not thread-safe" even for const callers (cast is confined here).
 *
 * ICU's calendar costs microseconds per call and the engine asks several times per purchase
 * (expiry dates, tier windows, happy hours). A fid_tz therefore remembers the spans of time in
 * which its UTC offset is constant, as ICU reports them, and answers inside a known span with
 * civil arithmetic. Local times close to a change of offset (skipped, repeated or ambiguous) are
 * still resolved by ICU.
 */
#include "util/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "util/xalloc.h"

/* A stretch of time [start, end) in which the zone's UTC offset stays the same. */
struct tz_span {
    int64_t start, end;
    int64_t offset; /* seconds east of UTC */
};

#define TZ_SPANS 16 /* about eight years of two changes a year */
/* How far inside a span a local time must fall to be resolved without ICU: no change of offset
 * is larger than a day, so a local time two days inside a span is neither skipped nor repeated. */
#define TZ_EDGE (2 * 86400)
#define DAY     86400

struct fid_tz {
    UCalendar *cal;
    char name[FID_TZ_NAME_MAX];
    struct tz_span spans[TZ_SPANS];
    unsigned n_spans, next_slot;
};

int64_t fid_days_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void fid_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Why a date that reads as one is refused: its year out of the range the store holds, or a day
 * the calendar does not have. */
static enum fid_status date_refused(const char *text, int year, const char *field,
                                    struct fid_error *err)
{
    if (year < 1900 || year > 2999)
        return fid_fail(err, FID_ERR_INPUT, field, "\"%.40s\": the year must be from 1900 to 2999",
                        text);
    return fid_fail(err, FID_ERR_INPUT, field, "\"%.40s\" is not a real calendar date", text);
}

bool fid_date_valid(int year, int month, int day)
{
    if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1)
        return false;
    return day <= days_in_month(year, month);
}

/* Reads exactly n digits at *p into *out; advances p. */
static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool parse_date_prefix(const char **p, int *y, int *m, int *d)
{
    return read_digits(p, 4, y) && *(*p)++ == '-' && read_digits(p, 2, m) && *(*p)++ == '-' &&
           read_digits(p, 2, d);
}

enum fid_status fid_date_parse(const char *text, int *year, int *month, int *day, const char *field,
                               struct fid_error *err)
{
    const char *p = text;
    if (strlen(text) != 10 || !parse_date_prefix(&p, year, month, day))
        return fid_fail(err, FID_ERR_INPUT, field, "expected a date YYYY-MM-DD, got \"%.40s\"",
                        text);
    if (!fid_date_valid(*year, *month, *day))
        return date_refused(text, *year, field, err);
    return FID_OK;
}

enum fid_status fid_time_parse(const char *text, const struct fid_tz *tz, int64_t *out,
                               const char *field, struct fid_error *err)
{
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (strlen(text) > 40 || !parse_date_prefix(&p, &y, &mo, &d))
        goto syntax;
    if (!fid_date_valid(y, mo, d))
        return date_refused(text, y, field, err);
    if (*p == '\0') {
        if (tz == NULL)
            goto syntax;
        *out = fid_tz_midnight(tz, y, mo, d);
        return FID_OK;
    }
    if ((*p != 'T' && *p != 't' && *p != ' ') || (++p, !read_digits(&p, 2, &h)) || *p++ != ':' ||
        !read_digits(&p, 2, &mi))
        goto syntax;
    if (*p == ':') {
        p++;
        if (!read_digits(&p, 2, &s))
            goto syntax;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto syntax;
            while (isdigit((unsigned char)*p))
                p++; /* sub-second precision is dropped: instants are whole seconds */
        }
    }
    if (h > 23 || mi > 59 || s > 59)
        return fid_fail(err, FID_ERR_INPUT, field, "\"%s\" has an impossible time of day", text);
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!read_digits(&p, 2, &oh) || *p++ != ':' || !read_digits(&p, 2, &om) || oh > 23 ||
            om > 59)
            goto syntax;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        goto syntax;
    }
    if (*p != '\0')
        goto syntax;
    *out = fid_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return FID_OK;
syntax:
    return fid_fail(err, FID_ERR_INPUT, field,
                    "expected an ISO 8601 time such as 2026-03-03T08:12:00Z, got \"%.40s\"", text);
}

void fid_time_format(int64_t t, char out[FID_TIME_ISO_MAX])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    int y, m, d;
    fid_civil_from_days(days, &y, &m, &d);
    int hour = (int)(rem / 3600), minute = (int)(rem % 3600 / 60), second = (int)(rem % 60);
    if (y < 0 || y > 9999) {
        snprintf(out, FID_TIME_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, hour, minute,
                 second);
        return;
    }
    /* By hand: every result and ledger line formats times, and snprintf is the dearer part. */
    const int fields[] = {y / 100, y % 100, m, d, hour, minute, second};
    static const char after[] = "\0--T::Z";
    char *p = out;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        *p++ = (char)('0' + fields[i] / 10);
        *p++ = (char)('0' + fields[i] % 10);
        if (after[i])
            *p++ = after[i];
    }
    *p = '\0';
}

enum fid_status fid_tz_open(const char *iana, struct fid_tz **out, struct fid_error *err)
{
    *out = NULL;
    UChar zone[FID_TZ_NAME_MAX], canonical[FID_TZ_NAME_MAX];
    if (strlen(iana) >= FID_TZ_NAME_MAX)
        return fid_fail(err, FID_ERR_INPUT, "timezone", "time zone name is too long");
    u_uastrcpy(zone, iana);
    UErrorCode status = U_ZERO_ERROR;
    UBool system_id = 0;
    ucal_getCanonicalTimeZoneID(zone, -1, canonical, FID_TZ_NAME_MAX, &system_id, &status);
    if (U_FAILURE(status) || !system_id)
        return fid_fail(err, FID_ERR_INPUT, "timezone",
                        "unknown time zone \"%s\"; expected an IANA name such as Europe/Paris",
                        iana);
    UCalendar *cal = ucal_open(zone, -1, "en_US@calendar=gregorian", UCAL_GREGORIAN, &status);
    if (U_FAILURE(status))
        return fid_fail(err, FID_ERR_INTERNAL, "timezone", "ICU could not open a calendar: %s",
                        u_errorName(status));
    /* Pure Gregorian calendar for all dates: no Julian switch in 1582 surprises. */
    ucal_setGregorianChange(cal, -8.64e15, &status);
    struct fid_tz *tz = xcalloc(1, sizeof *tz);
    tz->cal = cal;
    snprintf(tz->name, sizeof tz->name, "%s", iana);
    *out = tz;
    return FID_OK;
}

void fid_tz_free(struct fid_tz *tz)
{
    if (tz == NULL)
        return;
    ucal_close(tz->cal);
    free(tz);
}

const char *fid_tz_name(const struct fid_tz *tz)
{
    return tz->name;
}

static UCalendar *calendar_at(const struct fid_tz *tz, int64_t t)
{
    UErrorCode status = U_ZERO_ERROR;
    UCalendar *cal = (UCalendar *)tz->cal;
    ucal_setMillis(cal, (UDate)t * 1000.0, &status);
    return cal;
}

static int64_t calendar_instant(UCalendar *cal)
{
    UErrorCode status = U_ZERO_ERROR;
    UDate ms = ucal_getMillis(cal, &status);
    return (int64_t)(ms / 1000.0);
}

static int cal_get(UCalendar *cal, UCalendarDateFields field)
{
    UErrorCode status = U_ZERO_ERROR;
    return ucal_get(cal, field, &status);
}

/* The span holding t: from the cache, or asked of ICU (its transitions before and after t). */
static const struct tz_span *span_at(const struct fid_tz *ctz, int64_t t)
{
    struct fid_tz *tz = (struct fid_tz *)ctz;
    for (unsigned i = 0; i < tz->n_spans; i++)
        if (t >= tz->spans[i].start && t < tz->spans[i].end)
            return &tz->spans[i];
    UCalendar *cal = calendar_at(tz, t);
    struct tz_span span = {.start = INT64_MIN, .end = INT64_MAX};
    span.offset = ((int64_t)cal_get(cal, UCAL_ZONE_OFFSET) + cal_get(cal, UCAL_DST_OFFSET)) / 1000;
    UErrorCode status = U_ZERO_ERROR;
    UDate at = 0;
    if (ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE, &at, &status) &&
        U_SUCCESS(status))
        span.start = (int64_t)(at / 1000.0);
    status = U_ZERO_ERROR;
    if (ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &at, &status) &&
        U_SUCCESS(status))
        span.end = (int64_t)(at / 1000.0);
    if (t < span.start || t >= span.end) /* not expected from ICU; a span of t alone is exact */
        span.start = t, span.end = t + 1;
    struct tz_span *slot = &tz->spans[tz->next_slot];
    tz->next_slot = (tz->next_slot + 1) % TZ_SPANS;
    if (tz->n_spans < TZ_SPANS)
        tz->n_spans++;
    *slot = span;
    return slot;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The instant whose local reading is `wall` (local seconds counted as if they were UTC), when it
 * is unique and far from any change of offset; false leaves the case to ICU. */
static bool resolve_wall(const struct fid_tz *tz, int64_t wall, int64_t *out)
{
    if (wall < FID_TIME_MIN || wall > FID_TIME_MAX)
        return false;
    int64_t guess = wall - span_at(tz, wall)->offset;
    const struct tz_span *span = span_at(tz, guess);
    int64_t t = wall - span->offset;
    if (t < span->start || t >= span->end)
        return false;
    bool clear_before = span->start == INT64_MIN || t - span->start >= TZ_EDGE;
    bool clear_after = span->end == INT64_MAX || span->end - t > TZ_EDGE;
    if (!clear_before || !clear_after)
        return false;
    *out = t;
    return true;
}

/* Local wall-clock seconds of instant t (as if UTC). */
static int64_t wall_of(const struct fid_tz *tz, int64_t t)
{
    return t + span_at(tz, t)->offset;
}

void fid_tz_local(const struct fid_tz *tz, int64_t t, struct fid_local *out)
{
    if (t >= FID_TIME_MIN && t <= FID_TIME_MAX) {
        int64_t wall = wall_of(tz, t);
        int64_t days = floor_div(wall, DAY), secs = wall - days * DAY;
        fid_civil_from_days(days, &out->year, &out->month, &out->day);
        out->hour = (int)(secs / 3600);
        out->minute = (int)(secs % 3600 / 60);
        out->second = (int)(secs % 60);
        out->weekday = (int)((days % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
        return;
    }
    UCalendar *cal = calendar_at(tz, t);
    out->year = cal_get(cal, UCAL_YEAR);
    out->month = cal_get(cal, UCAL_MONTH) + 1;
    out->day = cal_get(cal, UCAL_DATE);
    out->hour = cal_get(cal, UCAL_HOUR_OF_DAY);
    out->minute = cal_get(cal, UCAL_MINUTE);
    out->second = cal_get(cal, UCAL_SECOND);
    out->weekday = (cal_get(cal, UCAL_DAY_OF_WEEK) + 5) % 7; /* ICU: 1 = Sunday */
}

int64_t fid_tz_local_instant(const struct fid_tz *tz, int year, int month, int day, int hour,
                             int minute, int second)
{
    int64_t t;
    if (fid_date_valid(year, month, day) && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 &&
        second >= 0 && second < 60 &&
        resolve_wall(
            tz, fid_days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second,
            &t))
        return t;
    UErrorCode status = U_ZERO_ERROR;
    UCalendar *cal = (UCalendar *)tz->cal;
    ucal_clear(cal);
    ucal_setDateTime(cal, year, month - 1, day, hour, minute, second, &status);
    return calendar_instant(cal);
}

void fid_time_format_local(int64_t t, const struct fid_tz *tz, char out[FID_TIME_LOCAL_MAX])
{
    struct fid_local l = {0};
    if (tz) {
        fid_tz_local(tz, t, &l);
    } else { /* UTC: the civil reading of t itself */
        int64_t days = floor_div(t, DAY), secs = t - days * DAY;
        fid_civil_from_days(days, &l.year, &l.month, &l.day);
        l.hour = (int)(secs / 3600);
        l.minute = (int)(secs % 3600 / 60);
        l.second = (int)(secs % 60);
    }
    /* the offset is what the local reading adds to t: exact on both sides of a change */
    int64_t wall = fid_days_from_civil(l.year, l.month, l.day) * DAY + l.hour * 3600 +
                   l.minute * 60 + l.second;
    int64_t offset = wall - t, distance = offset < 0 ? -offset : offset;
    char seconds[8] = "";
    if (distance % 60)
        snprintf(seconds, sizeof seconds, ":%02d", (int)(distance % 60));
    snprintf(out, FID_TIME_LOCAL_MAX, "%04d-%02d-%02d %02d:%02d:%02d%c%02d:%02d%s", l.year, l.month,
             l.day, l.hour, l.minute, l.second, offset < 0 ? '-' : '+', (int)(distance / 3600),
             (int)(distance % 3600 / 60), seconds);
}

int64_t fid_tz_midnight(const struct fid_tz *tz, int year, int month, int day)
{
    return fid_tz_local_instant(tz, year, month, day, 0, 0, 0);
}

int64_t fid_tz_add_months(const struct fid_tz *tz, int64_t t, int months)
{
    struct fid_local l;
    int64_t moved;
    if (t >= FID_TIME_MIN && t <= FID_TIME_MAX && months > -12 * 1200 && months < 12 * 1200) {
        fid_tz_local(tz, t, &l);
        int64_t index = (int64_t)l.year * 12 + (l.month - 1) + months;
        int year = (int)floor_div(index, 12), month = (int)(index - (int64_t)year * 12) + 1;
        int day = l.day < days_in_month(year, month) ? l.day : days_in_month(year, month);
        int64_t wall =
            fid_days_from_civil(year, month, day) * DAY + l.hour * 3600 + l.minute * 60 + l.second;
        if (resolve_wall(tz, wall, &moved))
            return moved;
    }
    UErrorCode status = U_ZERO_ERROR;
    UCalendar *cal = calendar_at(tz, t);
    ucal_add(cal, UCAL_MONTH, months, &status);
    return calendar_instant(cal);
}

/* ICU moves t by whole days of elapsed time and then corrects by the change of offset, if any
 * (taken modulo a day: Apia's skipped day of 2011 counts as none). Without a change the answer is
 * exact and ICU is not asked. */
int64_t fid_tz_add_days(const struct fid_tz *tz, int64_t t, int days)
{
    int64_t moved = t + (int64_t)days * DAY;
    if (t >= FID_TIME_MIN && t <= FID_TIME_MAX && moved >= FID_TIME_MIN && moved <= FID_TIME_MAX &&
        span_at(tz, t)->offset == span_at(tz, moved)->offset)
        return moved;
    UErrorCode status = U_ZERO_ERROR;
    UCalendar *cal = calendar_at(tz, t);
    ucal_add(cal, UCAL_DATE, days, &status);
    return calendar_instant(cal);
}

int64_t fid_tz_year_start(const struct fid_tz *tz, int64_t t)
{
    struct fid_local l;
    fid_tz_local(tz, t, &l);
    return fid_tz_midnight(tz, l.year, 1, 1);
}

int64_t fid_tz_next_year_start(const struct fid_tz *tz, int64_t t)
{
    struct fid_local l;
    fid_tz_local(tz, t, &l);
    return fid_tz_midnight(tz, l.year + 1, 1, 1);
}
