/*
 * A token bucket per API key: `rate` requests per second on average, bursts up to `burst`.
 * Thread-safe; memory grows with the number of distinct keys seen (bounded by the keys table).
 */
#ifndef FIDELE_HTTP_RATELIMIT_H
#define FIDELE_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

void ratelimit_init(double rate, double burst);

/* Takes one token for key_id at now_ns. False when empty; *retry_after gets whole seconds. */
bool ratelimit_take(const char *key_id, int64_t now_ns, unsigned *retry_after);

void ratelimit_free(void);

#endif
