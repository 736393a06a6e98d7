/*
 * Helpers shared by the unit tests (each test file is its own executable; these are static inline
 * so that a test uses only what it needs). Table-driven tests name the case in every failure, so
 * the assertions here take a label. JSON in test tables is written with single quotes for
 * readability and turned into real JSON by unit_json().
 */
#ifndef FIDELE_TESTS_UNIT_SUPPORT_H
#define FIDELE_TESTS_UNIT_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define N_ELEMENTS(array) (sizeof(array) / sizeof((array)[0]))

#define UNIT_EQ_INT(label, got, want)                                                              \
    unit_eq_int((label), #got, (int64_t)(got), (int64_t)(want), __FILE__, __LINE__)
#define UNIT_EQ_STR(label, got, want) unit_eq_str((label), #got, (got), (want), __FILE__, __LINE__)

static inline void unit_eq_int(const char *label, const char *expr, int64_t got, int64_t want,
                               const char *file, int line)
{
    if (got != want) {
        print_error("[%s] %s is %lld, expected %lld\n", label, expr, (long long)got,
                    (long long)want);
        _fail(file, line);
    }
}

static inline void unit_eq_str(const char *label, const char *expr, const char *got,
                               const char *want, const char *file, int line)
{
    if (got == NULL || want == NULL ? got != want : strcmp(got, want) != 0) {
        print_error("[%s] %s is \"%s\", expected \"%s\"\n", label, expr, got ? got : "(null)",
                    want ? want : "(null)");
        _fail(file, line);
    }
}

/* JSON written with ' for " (test data never needs an apostrophe). Caller frees. */
static inline char *unit_json(const char *single_quoted)
{
    char *text = xstrdup(single_quoted);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    return text;
}

/* An RFC 3339 instant that must parse (test data, not the code under test). */
static inline int64_t unit_time(const char *iso)
{
    int64_t t = 0;
    struct fid_error err;
    enum fid_status st = fid_time_parse(iso, NULL, &t, "test", &err);
    if (st != FID_OK) {
        print_error("test instant \"%s\" does not parse: %s\n", iso, err.message);
        fail();
    }
    return t;
}

/* Asserts that t formats as the expected UTC instant. */
#define UNIT_EQ_TIME(label, got, want_iso)                                                         \
    do {                                                                                           \
        char unit_iso_[FID_TIME_ISO_MAX];                                                          \
        fid_time_format((got), unit_iso_);                                                         \
        UNIT_EQ_STR((label), unit_iso_, (want_iso));                                               \
    } while (0)

/* Asserts a failure's status and the field it names. */
#define UNIT_EQ_ERROR(label, got_status, err, want_status, want_field)                             \
    do {                                                                                           \
        UNIT_EQ_STR((label), fid_status_name(got_status), fid_status_name(want_status));           \
        UNIT_EQ_STR((label), (err).field, (want_field));                                           \
        UNIT_EQ_INT((label), (err).status, (want_status));                                         \
        if ((err).message[0] == '\0') {                                                            \
            print_error("[%s] the error has no message\n", (label));                               \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* The time zone named name (an IANA id), which must open; fid_tz_free it. */
static inline struct fid_tz *unit_open_zone(const char *name)
{
    struct fid_tz *tz = NULL;
    struct fid_error err;
    assert_int_equal(fid_tz_open(name, &tz, &err), FID_OK);
    assert_non_null(tz);
    return tz;
}

#endif
