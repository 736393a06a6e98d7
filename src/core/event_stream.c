/*
 * Input framing for `fidele event post`. A document that starts with '[' is one JSON array; a
 * document holding exactly one JSON value is that object; anything else is read as NDJSON, line by
 * line, so that a bad line is reported by its number, unless it is one malformed document written
 * over several lines (below).
 */
#include "core/event_stream.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/jsonread.h"
#include "util/xalloc.h"

/* Walks a text's lines: each call gives the next line's bounds and number, false at the end. */
struct line_walk {
    const char *p, *end;
    size_t number;
};

static bool next_line(struct line_walk *w, const char **start, const char **stop)
{
    if (w->p >= w->end)
        return false;
    const char *nl = memchr(w->p, '\n', (size_t)(w->end - w->p));
    *start = w->p;
    *stop = nl ? nl : w->end;
    w->p = nl ? nl + 1 : w->end;
    w->number++;
    return true;
}

/* A bad line's place in a lenient parse: [WHERE, MESSAGE]. */
static void keep_bad_line(json_t *out, const char *where, const char *message)
{
    json_array_append_new(out, json_pack("[s, s]", where, message));
}

static enum fid_status parse_ndjson(const char *text, size_t len, bool lenient, json_t *out,
                                    struct fid_error *err)
{
    struct line_walk w = {text, text + len, 0};
    const char *p, *line_end;
    while (next_line(&w, &p, &line_end)) {
        if (jsonr_skip_blanks(p, line_end) != line_end) {
            json_error_t jerr;
            json_t *obj = jsonr_loadb(p, (size_t)(line_end - p), JSON_REJECT_DUPLICATES, &jerr);
            char where[48], pointer[JSONR_PATH_MAX], overflow[FID_ERROR_MESSAGE_MAX];
            char message[JSONR_PATH_MAX + FID_ERROR_MESSAGE_MAX + 2];
            snprintf(where, sizeof where, "line %zu", w.number);
            if (obj == NULL &&
                jsonr_overflow_at(p, (size_t)(line_end - p), &jerr, pointer, overflow))
                snprintf(message, sizeof message, "%s: %s", pointer, overflow);
            else if (obj == NULL)
                snprintf(message, sizeof message, "malformed JSON at column %d: %s", jerr.column,
                         jerr.text);
            else if (!json_is_object(obj))
                snprintf(message, sizeof message, "expected one event object per line");
            if (obj == NULL || !json_is_object(obj)) {
                json_decref(obj);
                if (!lenient)
                    return fid_fail(err, FID_ERR_INPUT, where, "%s", message);
                obj = NULL;
            }
            if (json_array_size(out) >= EVENT_STREAM_MAX_EVENTS) {
                json_decref(obj);
                return fid_fail(err, FID_ERR_LIMIT, where, "more than %u events",
                                EVENT_STREAM_MAX_EVENTS);
            }
            if (obj)
                json_array_append_new(out, obj);
            else
                keep_bad_line(out, where, message);
        }
    }
    return FID_OK;
}

/* Where a document read whole went wrong: the overflowing field's pointer, or its line. */
static enum fid_status whole_document_error(const char *text, size_t len, json_error_t *jerr,
                                            struct fid_error *err)
{
    char pointer[JSONR_PATH_MAX], message[FID_ERROR_MESSAGE_MAX], where[48];
    if (jsonr_overflow_at(text, len, jerr, pointer, message))
        return fid_fail(err, FID_ERR_INPUT, pointer, "%s", message);
    snprintf(where, sizeof where, "line %d", jerr->line);
    return fid_fail(err, FID_ERR_INPUT, where, "malformed JSON at column %d: %s", jerr->column,
                    jerr->text);
}

/* A malformed text is one object written over several lines, not NDJSON, when its first line is
 * not a JSON value of its own and a later line does not start an object (`"type": ...`, `}`):
 * NDJSON's lines each hold an object, so reading it line by line would report the wrong line and,
 * applying each event, apply what stood inside the object. */
static bool one_document_over_lines(const char *text, size_t len)
{
    const char *end = text + len, *line, *line_end;
    struct line_walk w = {jsonr_skip_blanks(text, end), end, 0};
    if (!next_line(&w, &line, &line_end) || line_end == end)
        return false;
    json_error_t ignored;
    json_t *first = jsonr_loadb(line, (size_t)(line_end - line), JSON_DECODE_ANY, &ignored);
    json_decref(first);
    if (first != NULL)
        return false;
    while (next_line(&w, &line, &line_end)) {
        const char *c = jsonr_skip_blanks(line, line_end);
        if (c != line_end && *c != '{')
            return true;
    }
    return false;
}

static enum fid_status parse(const char *text, size_t len, bool lenient, json_t **out,
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
    json_t *whole = jsonr_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*first == '[') {
        if (whole == NULL) {
            st = whole_document_error(text, len, &jerr, err);
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
        st = fid_fail(err, FID_ERR_INPUT, "", "expected an event object, an array or NDJSON");
    } else if (one_document_over_lines(text, len)) {
        st = whole_document_error(text, len, &jerr, err);
    } else {
        st = parse_ndjson(text, len, lenient, events, err);
    }
    json_decref(whole);
    if (st != FID_OK) {
        json_decref(events);
        return st;
    }
    *out = events;
    return FID_OK;
}

enum fid_status event_stream_parse(const char *text, size_t len, json_t **out,
                                   struct fid_error *err)
{
    return parse(text, len, false, out, err);
}

enum fid_status event_stream_parse_each(const char *text, size_t len, json_t **out,
                                        struct fid_error *err)
{
    return parse(text, len, true, out, err);
}

size_t *event_stream_lines(const char *text, size_t len, size_t n)
{
    size_t *lines = xcalloc(n ? n : 1, sizeof *lines);
    const char *end = text + len, *first = jsonr_skip_blanks(text, end);
    if (first == end || *first == '[')
        return lines;
    struct line_walk w = {text, end, 0};
    const char *line, *line_end;
    for (size_t events = 0; events < n && next_line(&w, &line, &line_end);)
        if (jsonr_skip_blanks(line, line_end) != line_end)
            lines[events++] = w.number;
    return lines;
}
