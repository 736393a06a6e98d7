/*
 * Time: instants are int64 seconds since the Unix epoch, UTC. Parsing and formatting of ISO 8601,
 * and calendar arithmetic in a merchant's IANA time zone (through ICU). A struct fid_tz is not
 * thread-safe: keep one per thread.
 */
#ifndef FIDELE_UTIL_TIMEUTIL_H
#define FIDELE_UTIL_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define FID_TIME_ISO_MAX   32 /* "2026-11-30T08:15:00Z" plus room */
#define FID_TIME_LOCAL_MAX 40 /* "2026-11-30 09:15:00+01:00", or "+00:09:21" offsets, plus room */
#define FID_TZ_NAME_MAX    64

/* Earliest and latest instants accepted anywhere: years 1900 to 2999. */
#define FID_TIME_MIN (-2208988800LL)
#define FID_TIME_MAX (32503680000LL)

struct fid_tz;

/* A local calendar reading of an instant. weekday: 0 = Monday ... 6 = Sunday. */
struct fid_local {
    int year, month, day, hour, minute, second, weekday;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (no validation). */
int64_t fid_days_from_civil(int year, int month, int day);
/* The civil date of a day number (days since 1970-01-01). */
void fid_civil_from_days(int64_t days, int *year, int *month, int *day);

/* True when year-month-day is a real calendar date. */
bool fid_date_valid(int year, int month, int day);

/* Parses "YYYY-MM-DD". Fails with FID_ERR_INPUT (naming field) on bad syntax or impossible dates.
 */
enum fid_status fid_date_parse(const char *text, int *year, int *month, int *day, const char *field,
                               struct fid_error *err) FID_MUST_USE;

/* Parses an RFC 3339 instant ("2026-03-03T08:12:00Z", optional fraction, or +01:00 offsets),
 * or a bare date when tz is not NULL (midnight in tz). */
enum fid_status fid_time_parse(const char *text, const struct fid_tz *tz, int64_t *out,
                               const char *field, struct fid_error *err) FID_MUST_USE;

/* Writes the UTC instant as "YYYY-MM-DDTHH:MM:SSZ" into out (FID_TIME_ISO_MAX bytes). */
void fid_time_format(int64_t t, char out[FID_TIME_ISO_MAX]);

/* Writes t as people read it where tz is: the local date and time with the UTC offset that makes
 * it one instant, "2026-03-03 15:30:00+01:00" (RFC 3339 with a space, which fid_time_parse reads
 * back), into out. An offset with seconds (local mean time before 1912) shows them:
 * "+00:09:21". tz NULL writes UTC, "+00:00". For text shown to people; data (JSON, the API) keeps
 * fid_time_format. */
void fid_time_format_local(int64_t t, const struct fid_tz *tz, char out[FID_TIME_LOCAL_MAX]);

/* Opens a time zone by IANA name; FID_ERR_INPUT when ICU does not know it. Caller frees. */
enum fid_status fid_tz_open(const char *iana, struct fid_tz **out,
                            struct fid_error *err) FID_MUST_USE;
void fid_tz_free(struct fid_tz *tz);
const char *fid_tz_name(const struct fid_tz *tz);

/* Local reading of t in tz. */
void fid_tz_local(const struct fid_tz *tz, int64_t t, struct fid_local *out);

/* Instant of local midnight starting year-month-day in tz. */
int64_t fid_tz_midnight(const struct fid_tz *tz, int year, int month, int day);
/* The instant of a local date and time (a time skipped by a DST change counts as after it). */
int64_t fid_tz_local_instant(const struct fid_tz *tz, int year, int month, int day, int hour,
                             int minute, int second);

/* t moved by months / days in the local calendar (same local clock time, clamped to month end). */
int64_t fid_tz_add_months(const struct fid_tz *tz, int64_t t, int months);
int64_t fid_tz_add_days(const struct fid_tz *tz, int64_t t, int days);

/* Local midnight of 1 January of the year containing t, and of the next year. */
int64_t fid_tz_year_start(const struct fid_tz *tz, int64_t t);
int64_t fid_tz_next_year_start(const struct fid_tz *tz, int64_t t);

#endif
