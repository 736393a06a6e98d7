/*
 * An order event read straight from its text, without a JSON tree, when the text is one a
 * program writes (event_fast.c says which); event_parse reads every other text.
 */
#ifndef FIDELE_CORE_EVENT_FAST_H
#define FIDELE_CORE_EVENT_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

/* The order event of the object text[0..len), with the Idempotency-Key header key_header
 * (NULL: none) as the API joins them, exactly as event_parse reads the same object; NULL when
 * the text is not such an order or is one this reader leaves to event_parse. Caller frees. */
struct event *event_parse_order_text(const char *text, size_t len, const char *key_header,
                                     int64_t now);

/* The same for the order object at the start of text[0..len) (an element of a batch's text),
 * without a header: *used is set to the bytes the object took. */
struct event *event_parse_order_prefix(const char *text, size_t len, int64_t now, size_t *used);

#endif
