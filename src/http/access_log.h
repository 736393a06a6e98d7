/*
 * The access log: one JSON object per answered request on stderr, in the order of its fields
 * time, method, route (the template), path, status, duration_ms, request_id, completed and, once
 * authenticated, merchant. Lines go out whole (the lines of concurrent requests never mix, no
 * thread waits on a stdio lock), a few at a time: at most ACCESS_LOG_FLUSH_MS after their request
 * ended, or at access_log_flush.
 */
#ifndef FIDELE_HTTP_ACCESS_LOG_H
#define FIDELE_HTTP_ACCESS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

/* Writes the line of req, answered after duration_ns; completed is false when the connection
 * was lost before the answer went out. Thread-safe. */
void access_log_write(const struct http_request *req, int64_t duration_ns, bool completed);

/* Writes a message of the HTTP library (libmicrohttpd) as a JSON line {"time", "source":
 * "libmicrohttpd", "status" (when it answered a request itself), "message"}: the requests it
 * refuses before the server sees them (a malformed Content-Length, headers too large) are logged
 * so. printf-style; thread-safe. */
void access_log_library(const char *format, va_list args);

/* How long a line may wait to be written with others. */
#define ACCESS_LOG_FLUSH_MS 100

/* Writes every line still waiting (at shutdown, once the answers are out). */
void access_log_flush(void);

#endif
