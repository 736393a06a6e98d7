/*
 * Fuzz target for input framing (event_stream_parse: one object, an array, or NDJSON), then
 * event_parse of every framed object. The input is not NUL-terminated, so any read past len is
 * caught. A successful parse must yield an array of objects; written back as NDJSON (one compact
 * object per line) it must frame to the same number of objects.
 */
#include <string.h>

#include "core/event.h"
#include "core/event_stream.h"
#include "fuzz.h"

#define FUZZ_NOW 1772525520LL /* 2026-03-03T08:12:00Z */

static void check_ndjson_round_trip(const json_t *events)
{
    size_t count = json_array_size(events), len = 0, cap = 256, i;
    char *text = malloc(cap);
    json_t *item;
    FUZZ_ASSERT(text != NULL);
    json_array_foreach(events, i, item)
    {
        char *line = json_dumps(item, JSON_COMPACT);
        FUZZ_ASSERT(line != NULL && strchr(line, '\n') == NULL);
        size_t n = strlen(line);
        while (len + n + 2 > cap) {
            cap *= 2;
            text = realloc(text, cap);
            FUZZ_ASSERT(text != NULL);
        }
        memcpy(text + len, line, n);
        len += n;
        text[len++] = '\n';
        free(line);
    }
    json_t *again = NULL;
    FUZZ_ASSERT(event_stream_parse(text, len, &again, NULL) == FID_OK);
    FUZZ_ASSERT(json_array_size(again) == count);
    json_decref(again);
    free(text);
}

/* Read each on its own, an input the strict reading refuses is refused the same way or gives
 * events and bad lines, each bad line named with a message. */
static void check_each_on_its_own(const uint8_t *data, size_t size)
{
    json_t *each = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    if (event_stream_parse_each((const char *)data, size, &each, &err) != FID_OK) {
        FUZZ_ASSERT(each == NULL && err.field[0] != '\0');
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(each, i, item)
    {
        FUZZ_ASSERT(json_is_object(item) ||
                    (json_is_array(item) && json_array_size(item) == 2 &&
                     strncmp(json_string_value(json_array_get(item, 0)), "line ", 5) == 0 &&
                     json_string_value(json_array_get(item, 1))[0] != '\0'));
    }
    json_decref(each);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *events = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = event_stream_parse((const char *)data, size, &events, &err);
    if (st != FID_OK) {
        FUZZ_ASSERT(events == NULL);
        FUZZ_ASSERT(err.status == st && err.field[0] != '\0' && err.message[0] != '\0');
        check_each_on_its_own(data, size);
        return 0;
    }
    FUZZ_ASSERT(json_is_array(events));
    size_t i;
    json_t *item;
    json_array_foreach(events, i, item)
    {
        FUZZ_ASSERT(json_is_object(item));
        struct event *ev = NULL;
        if (event_parse(item, FUZZ_NOW, &ev, NULL) == FID_OK)
            FUZZ_ASSERT(ev != NULL && ev->key[0] != '\0');
        else
            FUZZ_ASSERT(ev == NULL);
        event_free(ev);
    }
    if (json_array_size(events) > 0)
        check_ndjson_round_trip(events);
    /* read each on its own, the same input gives the same events */
    json_t *each = NULL;
    FUZZ_ASSERT(event_stream_parse_each((const char *)data, size, &each, NULL) == FID_OK);
    FUZZ_ASSERT(json_equal(each, events));
    json_decref(each);
    json_decref(events);
    return 0;
}
