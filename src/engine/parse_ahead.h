/*
 * Parsing a batch's events ahead of the writer: a second thread turns each event object into a
 * struct event (validation, canonical form, digest) while the engine applies the ones before it,
 * so a batch takes both cores. The batch is a JSON array, or the text of one (then split and
 * parsed on that thread as well). Events come out in their batch order; small batches are parsed
 * on the caller's thread, where a thread would cost more than it saves.
 */
#ifndef FIDELE_ENGINE_PARSE_AHEAD_H
#define FIDELE_ENGINE_PARSE_AHEAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "util/error.h"

struct parse_ahead;

/* Starts parsing events (an array, borrowed and read only until parse_ahead_end) with clock now;
 * parsed: NULL, or per event the event read already (NULL: read it from events), copied. */
struct parse_ahead *parse_ahead_start(const json_t *events, const struct event *const *parsed,
                                      int64_t now);
/* The same for the text of a JSON array of events (borrowed until parse_ahead_end). */
struct parse_ahead *parse_ahead_start_text(const char *text, size_t len, int64_t now);

/* Waits until event i (asked in order) is parsed or the batch is known to end before it; true
 * when there is an event i. After false, parse_ahead_failure tells whether the text was whole. */
bool parse_ahead_has(struct parse_ahead *ahead, size_t i);

/* Hands event i over (after parse_ahead_has said it exists; each once): *event (caller frees) on
 * FID_OK, else the parse error in err. */
enum fid_status parse_ahead_take(struct parse_ahead *ahead, size_t i, struct event **event,
                                 struct fid_error *err) FID_MUST_USE;

/* Event i's "key" as its JSON has it, when a string (for the results of events that fail). */
const char *parse_ahead_key(struct parse_ahead *ahead, size_t i);

/* FID_OK, or FID_ERR_INPUT when a text batch is not a well-formed JSON array (err says where). */
enum fid_status parse_ahead_failure(struct parse_ahead *ahead, struct fid_error *err);

/* Stops the thread (events not taken are freed). */
void parse_ahead_end(struct parse_ahead *ahead);

#endif
