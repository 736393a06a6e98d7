/*
 * Helpers for the core tests: programmes and events built from single-quoted JSON text through
 * the real parsers, failing the test (with the parser's message) when the test data is wrong.
 */
#ifndef FIDELE_TESTS_UNIT_CORE_SUPPORT_H
#define FIDELE_TESTS_UNIT_CORE_SUPPORT_H

#include "../unit_support.h"

#include "core/event.h"
#include "core/program.h"
#include "util/jsonread.h"

/* A programme that must be valid. Free with program_free. */
static inline struct program *unit_program(const char *single_quoted)
{
    char *text = unit_json(single_quoted);
    struct program *program = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = program_parse_text(text, strlen(text), &program, &err);
    if (st != FID_OK)
        print_error("test programme refused at %s: %s\n%s\n", err.field, err.message, text);
    free(text);
    assert_int_equal(st, FID_OK);
    return program;
}

/* An event that must be valid; now stands in for the clock. Free with event_free. */
static inline struct event *unit_event(const char *single_quoted, int64_t now)
{
    char *text = unit_json(single_quoted);
    json_t *obj = NULL;
    struct event *event = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = jsonr_parse(text, strlen(text), &obj, &err);
    if (st == FID_OK)
        st = event_parse(obj, now, &event, &err);
    if (st != FID_OK)
        print_error("test event refused at %s: %s\n%s\n", err.field, err.message, text);
    json_decref(obj);
    free(text);
    assert_int_equal(st, FID_OK);
    return event;
}

#endif
