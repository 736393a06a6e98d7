/*
 * The access log: one JSON object per answered request on stderr, in the order of its fields
 * time, method, route (the template), path, status, duration_ms, request_id, completed and, once
 * authenticated, merchant. Each line goes out in one write(2), so that the lines of concurrent
 * requests never mix and no thread waits on a stdio lock.
 */
#ifndef FIDELE_HTTP_ACCESS_LOG_H
#define FIDELE_HTTP_ACCESS_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

/* Writes the line of req, answered after duration_ns; completed is false when the connection
 * was lost before the answer went out. Thread-safe. */
void access_log_write(const struct http_request *req, int64_t duration_ns, bool completed);

#endif
