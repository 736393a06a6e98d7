/*
 * Parsing a batch's events ahead of the writer: a second thread turns each event object into a
 * struct event (validation, canonical form, digest) while the engine applies the ones before it,
 * so a batch takes both cores. Events come out in their batch order; small batches are parsed on
 * the caller's thread, where a thread would cost more than it saves.
 */
#ifndef FIDELE_ENGINE_PARSE_AHEAD_H
#define FIDELE_ENGINE_PARSE_AHEAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "util/error.h"

struct parse_ahead;

/* Starts parsing events (an array, borrowed and read only until parse_ahead_end) with clock now. */
struct parse_ahead *parse_ahead_start(const json_t *events, int64_t now);

/* Waits for event i (taken in order, each once) and hands it over: *event (caller frees) on
 * FID_OK, else the parse error in err. */
enum fid_status parse_ahead_take(struct parse_ahead *ahead, size_t i, struct event **event,
                                 struct fid_error *err) FID_MUST_USE;

/* Stops the thread (events not taken are freed). */
void parse_ahead_end(struct parse_ahead *ahead);

#endif
