/*
 * Splits an input of events into JSON objects: one object, a JSON array of objects, or NDJSON
 * (one object per line, blank lines allowed). Errors name the line or the array index.
 */
#ifndef FIDELE_CORE_EVENT_STREAM_H
#define FIDELE_CORE_EVENT_STREAM_H

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

#define EVENT_STREAM_MAX_BYTES  (256u * 1024 * 1024)
#define EVENT_STREAM_MAX_EVENTS 10000000u

/* On success *out is a new JSON array of the objects, in input order. */
enum fid_status event_stream_parse(const char *text, size_t len, json_t **out,
                                   struct fid_error *err) FID_MUST_USE;
/* The same, except that in NDJSON a line that is not one JSON object takes its place in *out as
 * an array [WHERE, MESSAGE] ("line 2", "malformed JSON at column 5: ..."), for callers that
 * apply each event on its own. An array or a single object is still all or nothing. */
enum fid_status event_stream_parse_each(const char *text, size_t len, json_t **out,
                                        struct fid_error *err) FID_MUST_USE;

/* The line each of the n events (as in *out) starts on, for messages (NDJSON's blank lines make it
 * another number than the event's): its non-blank line in NDJSON, the first non-blank line for a
 * single object; 0 for an array (its index names it). One pass; the caller frees the array. */
size_t *event_stream_lines(const char *text, size_t len, size_t n);

#endif
