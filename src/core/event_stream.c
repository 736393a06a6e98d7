/*
 * Input framing for `fidele event post`. A document that starts with '[' is one JSON array; a
 * document holding exactly one JSON value is that object; anything else is read as NDJSON, line by
 * line, so that a bad line is reported by its number.
 */
#include "core/event_stream.h"

#include <stdio.h>
#include <string.h>

#include "util/jsonread.h"

static enum fid_status parse_ndjson(const char *text, size_t len, json_t *out,
                                    struct fid_error *err)
{
    const char *p = text, *end = text + len;
    size_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        line++;
        if (jsonr_skip_blanks(p, line_end) != line_end) {
            json_error_t jerr;
            json_t *obj = json_loadb(p, (size_t)(line_end - p), JSON_REJECT_DUPLICATES, &jerr);
            char where[48];
            snprintf(where, sizeof where, "line %zu", line);
            if (obj == NULL)
                return fid_fail(err, FID_ERR_INPUT, where, "malformed JSON at column %d: %s",
                                jerr.column, jerr.text);
            if (!json_is_object(obj)) {
                json_decref(obj);
                return fid_fail(err, FID_ERR_INPUT, where, "expected one event object per line");
            }
            if (json_array_size(out) >= EVENT_STREAM_MAX_EVENTS) {
                json_decref(obj);
                return fid_fail(err, FID_ERR_LIMIT, where, "more than %u events",
                                EVENT_STREAM_MAX_EVENTS);
            }
            json_array_append_new(out, obj);
        }
        p = nl ? nl + 1 : end;
    }
    return FID_OK;
}

enum fid_status event_stream_parse(const char *text, size_t len, json_t **out,
                                   struct fid_error *err)
{
    *out = NULL;
    if (len > EVENT_STREAM_MAX_BYTES)
        return fid_fail(err, FID_ERR_LIMIT, "", "input larger than %u bytes",
                        EVENT_STREAM_MAX_BYTES);
    const char *first = jsonr_skip_blanks(text, text + len);
    if (first == text + len)
        return fid_fail(err, FID_ERR_INPUT, "line 1", "no events in the input");
    json_t *events = json_array();
    enum fid_status st = FID_OK;
    json_error_t jerr;
    json_t *whole = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*first == '[') {
        if (whole == NULL) {
            char where[48];
            snprintf(where, sizeof where, "line %d", jerr.line);
            st = fid_fail(err, FID_ERR_INPUT, where, "malformed JSON at column %d: %s", jerr.column,
                          jerr.text);
        } else {
            size_t i;
            json_t *item;
            json_array_foreach(whole, i, item)
            {
                if (!json_is_object(item)) {
                    char where[48];
                    snprintf(where, sizeof where, "/%zu", i);
                    st = fid_fail(err, FID_ERR_INPUT, where, "expected an event object");
                    break;
                }
                json_array_append(events, item);
            }
        }
    } else if (whole != NULL && json_is_object(whole)) {
        json_array_append(events, whole);
    } else if (whole != NULL) {
        st = fid_fail(err, FID_ERR_INPUT, "/", "expected an event object, an array or NDJSON");
    } else {
        st = parse_ndjson(text, len, events, err);
    }
    json_decref(whole);
    if (st != FID_OK) {
        json_decref(events);
        return st;
    }
    *out = events;
    return FID_OK;
}
