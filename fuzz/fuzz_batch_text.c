/*
 * Fuzz target for a batch given as text (engine/parse_ahead.c: the text of a JSON array, split
 * element by element on the parse thread). Every element read comes out once, in order; a text
 * that stops early says why (FID_ERR_INPUT with a message). Held against the whole-text framing
 * of `fidele event post` (event_stream_parse): when that reads an array of objects, the batch
 * text gives the same number of events with the same outcome and digest for each.
 */
#include <string.h>

#include "core/event.h"
#include "core/event_stream.h"
#include "engine/parse_ahead.h"
#include "fuzz.h"

#define FUZZ_NOW 1772525520LL /* 2026-03-03T08:12:00Z */

static bool starts_an_array(const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < size && data[i] == '[';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *framed = NULL;
    bool oracle = starts_an_array(data, size) &&
                  event_stream_parse((const char *)data, size, &framed, NULL) == FID_OK;
    struct parse_ahead *ahead = parse_ahead_start_text((const char *)data, size, FUZZ_NOW);
    size_t n = 0;
    for (; parse_ahead_has(ahead, n); n++) {
        struct event *ev = NULL;
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = parse_ahead_take(ahead, n, &ev, &err);
        FUZZ_ASSERT((st == FID_OK) == (ev != NULL));
        if (oracle && n < json_array_size(framed)) {
            struct event *want = NULL;
            enum fid_status want_st = event_parse(json_array_get(framed, n), FUZZ_NOW, &want, NULL);
            FUZZ_ASSERT(st == want_st);
            FUZZ_ASSERT(st != FID_OK || strcmp(ev->digest, want->digest) == 0);
            event_free(want);
        }
        event_free(ev);
    }
    FUZZ_ASSERT(!parse_ahead_has(ahead, n)); /* the end stays the end */
    struct fid_error failure;
    fid_error_clear(&failure);
    enum fid_status st = parse_ahead_failure(ahead, &failure);
    FUZZ_ASSERT(st == FID_OK || (st == FID_ERR_INPUT && failure.message[0] != '\0'));
    if (oracle) {
        FUZZ_ASSERT(st == FID_OK);
        FUZZ_ASSERT(n == json_array_size(framed));
    }
    parse_ahead_end(ahead);
    json_decref(framed);
    return 0;
}
